"""Writing a run directory: ``manifest.json``, ``summary.json``, other JSON documents and Parquet tables.

Outputs are deterministic: keys sorted, floats written by ``json`` with full precision, NaN written as ``null``, no
timestamps, so the same scenario and seed give the same bytes.
"""

from __future__ import annotations

import json
import math
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

_PACKAGES = ("orbitgrid", "numpy", "scipy", "numba", "sgp4", "pydantic", "pyarrow", "pyyaml", "typer", "rich")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that shape a run's numbers."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(_clean(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


class RunWriter:
    """A run directory being written."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir)
        self.path.mkdir(parents=True, exist_ok=True)

    def json(self, name: str, obj: Any) -> Path:
        p = self.path / name
        p.write_text(dumps(obj))
        return p

    def manifest(self, *, command: str, scenario: dict[str, Any], seed: int) -> Path:
        return self.json(
            "manifest.json",
            {
                "command": command,
                "scenario": scenario,
                "seed": seed,
                "versions": package_versions(),
                "format": 1,
            },
        )

    def table(self, name: str, columns: dict[str, np.ndarray], *, dictionary: tuple[str, ...] = ()) -> Path:
        """Write ``columns`` (equal-length arrays) to Parquet; names in ``dictionary`` are dictionary-encoded."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = {}
        for key, values in columns.items():
            arr = pa.array(values)
            if key in dictionary:
                arr = arr.dictionary_encode()
            arrays[key] = arr
        p = self.path / name
        pq.write_table(pa.table(arrays), p, compression="zstd")
        return p
