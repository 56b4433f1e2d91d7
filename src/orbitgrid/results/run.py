"""Writing a run directory: ``manifest.json``, ``summary.json``, other JSON documents and Parquet tables.

Outputs are deterministic: keys sorted, floats written by ``json`` with full precision, NaN written as ``null``, no
timestamps, so the same scenario and seed give the same bytes.
"""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from orbitgrid.errors import InputError

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
    """A JSON file of a run directory; a damaged one is an ``InputError`` naming the file, line and column."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None


class RunWriter:
    """A run directory being written."""

    def __init__(self, out_dir: str | Path) -> None:
        self.path = Path(out_dir)
        self.path.mkdir(parents=True, exist_ok=True)

    def json(self, name: str, obj: Any) -> Path:
        p = self.path / name
        p.write_text(dumps(obj))
        return p

    def manifest(
        self, *, command: str, scenario: dict[str, Any], seed: int, approximations: Iterable[str] = ()
    ) -> Path:
        """``manifest.json``; ``approximations`` lists every model approximation the run applied (also printed by
        the CLI and kept in ``summary.json``)."""
        return self.json(
            "manifest.json",
            {
                "command": command,
                "scenario": scenario,
                "seed": seed,
                "versions": package_versions(),
                "format": 1,
                "approximations": list(approximations),
            },
        )

    def table(self, name: str, columns: Mapping[str, np.ndarray]) -> Path:
        """Write one in-memory table as ``name.parquet`` (same encodings as :meth:`table_stream`)."""
        return self.table_stream(f"{name}.parquet", [columns])

    def table_stream(
        self,
        name: str,
        parts: Iterable[Mapping[str, np.ndarray | str]],
        *,
        labels: Mapping[str, list[str]] | None = None,
        compression: str = "lz4",
    ) -> Path:
        """Write a Parquet table part by part (one row group each), never holding the whole table.

        A column named in ``labels`` takes one string per part and is stored dictionary-encoded over
        ``labels[column]`` (for instance the shell each part belongs to); other columns are equal-length arrays
        whose dtypes must agree between parts. Floating-point columns use the byte-stream-split encoding and only
        label columns are dictionary-encoded: on 13 million eclipse rows this writes 2.7 s and 521 MB against 7.2 s
        and 692 MB for pyarrow's defaults with zstd (measured on the ``mega-1m`` scenario).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        labels = dict(labels or {})
        p = self.path / name
        writer = None
        try:
            for part in parts:
                arrays = {}
                n = None
                for key, values in part.items():
                    if key in labels:
                        continue
                    arr = np.asarray(values)
                    n = arr.shape[0]
                    arrays[key] = pa.array(arr)
                cols = {}
                for key, values in part.items():
                    if key in labels:
                        index = np.full(n or 0, labels[key].index(str(values)), dtype=np.int32)
                        cols[key] = pa.DictionaryArray.from_arrays(index, pa.array(labels[key]))
                    else:
                        cols[key] = arrays[key]
                table = pa.table(cols)
                if writer is None:
                    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
                    writer = pq.ParquetWriter(
                        p,
                        table.schema,
                        compression=compression,
                        use_dictionary=list(labels),
                        use_byte_stream_split=floats,
                    )
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            pq.write_table(pa.table({}), p)
        return p
