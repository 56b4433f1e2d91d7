"""``fleet.ground_sites[].gpus`` as a node-list file: a cluster's GPU inventory counted from its node list."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Field, PrivateAttr, ValidationInfo, field_validator

from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import MAX_GPUS, Found, Name, StrictModel, _check_gpu, _resolve_file
from orbitgrid.workloads.importers.nodes import NODE_PRESETS, NodeImport, NodeMapping, import_nodes
from orbitgrid.workloads.traces import TraceFormatError

#: Values of ``format``: the presets and ``custom``.
NODE_FORMATS = (*NODE_PRESETS, "custom")


class NodeColumns(StrictModel):
    """Columns of a node list (unset: the preset's)."""

    node: Name | None = Field(default=None, description="Node name.")
    gpu_model: Name | None = Field(default=None, description="GPU model of the node.")
    gpus: Name | None = Field(default=None, description="GPUs on the node.")
    cpu: Name | None = Field(default=None, description="CPU of the node.")
    memory: Name | None = Field(default=None, description="Memory of the node.")


class GpuNodeList(StrictModel):
    """Accelerators of a cluster read node by node from its node list (GPU model, GPUs, CPU, memory per node). A
    model the file names is counted as the catalog GPU ``models`` maps it to, else as the catalog GPU of the same
    name; ``ignore`` leaves models out; a file without a model column needs ``default_model``. Any other model is an
    error: orbitgrid maps no names on its own."""

    file: Path = Field(description="Node-list file (CSV, Parquet); a relative path is relative to the scenario file.")
    format: Literal[NODE_FORMATS] = Field(  # type: ignore[valid-type]
        description="Preset: alibaba_spot_v2026 (node_info_df.csv), alibaba_openb (openb_node_list_*.csv), "
        "alibaba_pai_2020 (pai_machine_spec.csv), philly (philly_cluster_machine_list.csv); or custom: the columns "
        "from columns."
    )
    columns: NodeColumns | None = Field(
        default=None, description="Columns replacing the preset's (custom: gpus at least)."
    )
    cpu_unit: Literal["milli", "cores", "percent"] | None = Field(
        default=None, description="Unit of the CPU column; default: the preset's (custom: milli)."
    )
    memory_unit: Literal["MiB", "GiB", "MB", "GB"] | None = Field(
        default=None, description="Unit of the memory column; default: the preset's (custom: MiB)."
    )
    models: dict[str, Annotated[str, AfterValidator(_check_gpu)]] = Field(
        default={},
        description="File GPU model -> catalog GPU to count it as, e.g. {H800: H100}.",
        json_schema_extra=lambda s: s.update(additionalProperties={"enum": list(catalog.gpu_models())}),
    )
    default_model: Annotated[str, AfterValidator(_check_gpu)] | None = Field(
        default=None,
        description="Catalog GPU of nodes whose file gives no model (Philly publishes none).",
        json_schema_extra=lambda s: s.update({"anyOf": [{"enum": list(catalog.gpu_models())}, {"type": "null"}]}),
    )
    ignore: list[Name] = Field(default=[], description="File GPU models to leave out.")

    _counts: dict[str, int] | None = PrivateAttr(default=None)
    _nodes: NodeImport | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path, info: ValidationInfo) -> Path:
        return _resolve_file(v, info, "node-list file")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        cols = data.get("columns")
        if data.get("format") == "custom" and not (isinstance(cols, Mapping) and cols.get("gpus")):
            return [(("columns", "gpus"), "required with format custom: the column of GPUs per node", None)]
        return []

    def mapping(self) -> NodeMapping:
        base = NODE_PRESETS[self.format].mapping if self.format != "custom" else NodeMapping(gpus="")
        fields = dict(base.__dict__)
        if self.columns is not None:
            fields.update(self.columns.model_dump(exclude_none=True))
        if self.cpu_unit is not None:
            fields["cpu_unit"] = self.cpu_unit
        if self.memory_unit is not None:
            fields["memory_unit"] = self.memory_unit
        return NodeMapping(**fields)

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            nodes = import_nodes(model.file, model.mapping())
        except TraceFormatError as exc:
            raise cls._merged([], [(("file",), str(exc), str(model.file))]) from None
        found = nodes.counts()
        problems: Found = []
        for key, names in (("models", list(model.models)), ("ignore", list(model.ignore))):
            for name in names:
                if name not in found:
                    msg = f"no GPU model {name!r} in {model.file.name}; its models: {', '.join(found)}"
                    problems.append(((key, name) if key == "models" else (key,), msg, name))
        known = catalog.gpu_models()
        counts: dict[str, int] = {}
        unmapped = []
        target_of: dict[str, str | None] = {}
        for name, n in found.items():
            if name in model.ignore:
                target_of[name] = None
                continue
            default = model.default_model if name == "" else None
            target = model.models.get(name, default or (name if name in known else None))
            target_of[name] = target
            if target is None:
                unmapped.append(f"{name or 'no model'} ({n:,} GPUs)")
            else:
                counts[target] = counts.get(target, 0) + n
        for target, n in counts.items():
            if n > MAX_GPUS:
                msg = f"{model.file.name} counts {n:,} {target} GPUs; at most {MAX_GPUS:,} of one model at one site"
                problems.append((("file",), msg, str(model.file)))
        if unmapped:
            hint = "give default_model" if "" in found and model.default_model is None else "map each"
            msg = (
                f"no catalog GPU for {', '.join(unmapped)}; {hint} to one of {', '.join(known)} under models, "
                "or list it under ignore"
            )
            problems.append((("models",), msg, dict(model.models)))
        elif not counts:
            problems.append((("ignore",), f"every GPU model in {model.file.name} is ignored", list(model.ignore)))
        if problems:
            raise cls._merged([], problems)
        keep = np.array([target_of[m] is not None for m in nodes.model], dtype=bool)
        catalog_model = np.array([target_of[m] or "" for m in nodes.model], dtype=object)
        model._nodes = dataclasses.replace(
            nodes,
            node=nodes.node[keep],
            model=catalog_model[keep],
            gpus=nodes.gpus[keep],
            cpu_milli=nodes.cpu_milli[keep],
            memory_mib=nodes.memory_mib[keep],
        )
        model._counts = counts
        return model

    @property
    def counts(self) -> dict[str, int]:
        """Catalog GPU -> count."""
        assert self._counts is not None, "validate the model to read its file"
        return dict(self._counts)

    @property
    def nodes(self) -> NodeImport:
        """Every node kept, one by one: ``node`` name, ``model`` (the catalog GPU), ``gpus``, ``cpu_milli``,
        ``memory_mib`` (0: not in the file), with the rows read and dropped."""
        assert self._nodes is not None, "validate the model to read its file"
        return self._nodes
