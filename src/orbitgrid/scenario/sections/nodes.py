"""``fleet.ground_sites[].gpus`` as a node-list file: a cluster's GPU inventory counted from its node list."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PrivateAttr, ValidationInfo, field_validator

from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import MAX_GPUS, Found, Name, StrictModel, _check_gpu, _resolve_file
from orbitgrid.scenario.series import SeriesError, read_node_list


class GpuNodeList(StrictModel):
    """Accelerators counted from a cluster's node list. A model the file names is counted as the catalog GPU
    ``models`` maps it to, else as the catalog GPU of the same name; ``ignore`` leaves models out. Any other model
    is an error: orbitgrid maps no names on its own."""

    file: Path = Field(description="Node-list CSV; a relative path is relative to the scenario file's folder.")
    format: Literal["alibaba_spot_v2026"] = Field(
        description="alibaba_spot_v2026: node_info_df.csv of Alibaba's 2026 spot GPU trace (gpu_model, "
        "gpu_capacity_num per node)."
    )
    models: dict[str, Annotated[str, AfterValidator(_check_gpu)]] = Field(
        default={},
        description="File GPU model -> catalog GPU to count it as, e.g. {H800: H100}.",
        json_schema_extra=lambda s: s.update(additionalProperties={"enum": list(catalog.gpu_models())}),
    )
    ignore: list[Name] = Field(default=[], description="File GPU models to leave out.")

    _counts: dict[str, int] | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path, info: ValidationInfo) -> Path:
        return _resolve_file(v, info, "node-list file")

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            found = read_node_list(model.file, model.format)
        except SeriesError as exc:
            raise cls._merged([], [((exc.field,), exc.message, str(model.file))]) from None
        problems: Found = []
        for key, names in (("models", list(model.models)), ("ignore", list(model.ignore))):
            for name in names:
                if name not in found:
                    msg = f"no GPU model {name!r} in {model.file.name}; its models: {', '.join(found)}"
                    problems.append(((key, name) if key == "models" else (key,), msg, name))
        known = catalog.gpu_models()
        counts: dict[str, int] = {}
        unmapped = []
        for name, n in found.items():
            if name in model.ignore:
                continue
            target = model.models.get(name, name if name in known else None)
            if target is None:
                unmapped.append(f"{name} ({n:,} GPUs)")
            else:
                counts[target] = counts.get(target, 0) + n
        for target, n in counts.items():
            if n > MAX_GPUS:
                msg = f"{model.file.name} counts {n:,} {target} GPUs; at most {MAX_GPUS:,} of one model at one site"
                problems.append((("file",), msg, str(model.file)))
        if unmapped:
            msg = (
                f"no catalog GPU for {', '.join(unmapped)}; map each to one of {', '.join(known)} under models, "
                "or list it under ignore"
            )
            problems.append((("models",), msg, dict(model.models)))
        elif not counts:
            problems.append((("ignore",), f"every GPU model in {model.file.name} is ignored", list(model.ignore)))
        if problems:
            raise cls._merged([], problems)
        model._counts = counts
        return model

    @property
    def counts(self) -> dict[str, int]:
        """Catalog GPU -> count."""
        assert self._counts is not None, "validate the model to read its file"
        return dict(self._counts)
