"""Reading a run directory for the report: ``summary.json``, ``manifest.json`` and Parquet tables as numpy columns.

Every table is optional. Asking for a table the run does not have, or for a column it lacks, raises
:class:`Missing` with a sentence the report prints in place of the section, so a run written before the scheduler
existed (or by a newer one with a changed schema) still gets a report of everything it does have.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from orbitgrid.results import read_json

ORBITAL = "orbital"
GROUND = "ground"


class Missing(Exception):
    """A table or column the section needs is not in the run directory; the message says which."""


def nested(d: Any, *keys: str) -> Any:
    """``d[k1][k2]...`` or None when any level is absent."""
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def finite(x: Any) -> bool:
    """A real number that is finite: Python and numpy ints and floats (``np.sum`` of a mask is an ``np.int64``)."""
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool) and math.isfinite(x)


def _column(chunked: Any) -> np.ndarray:
    """One Parquet column as a numpy array: strings (plain or dictionary-encoded) become object arrays of str."""
    import pyarrow as pa

    parts = []
    for chunk in chunked.chunks:
        if pa.types.is_dictionary(chunk.type):
            names = np.asarray(chunk.dictionary.to_pylist(), dtype=object)
            idx = chunk.indices.to_numpy(zero_copy_only=False)
            parts.append(names[idx] if len(names) else np.empty(0, dtype=object))
        elif pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
            parts.append(np.asarray(chunk.fill_null("").to_pylist(), dtype=object))
        else:
            parts.append(np.asarray(chunk.to_numpy(zero_copy_only=False)))
    if not parts:
        return np.empty(0, dtype=object if pa.types.is_dictionary(chunked.type) else np.float64)
    return np.concatenate(parts)


class RunData:
    """A run directory opened for reporting; tables are read on first use and kept."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir)
        summary = self.path / "summary.json"
        if not summary.is_file():
            raise FileNotFoundError(f"{self.path} is not a run directory: it has no summary.json")
        self.summary: dict[str, Any] = read_json(summary)
        manifest = self.path / "manifest.json"
        self.manifest: dict[str, Any] = read_json(manifest) if manifest.is_file() else {}
        self._tables: dict[tuple[str, tuple[str, ...]], dict[str, np.ndarray]] = {}

    def has(self, name: str) -> bool:
        return (self.path / f"{name}.parquet").is_file()

    def table(self, name: str, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
        """The named columns of ``<name>.parquet``; raises :class:`Missing` if the file or a column is absent."""
        key = (name, columns)
        if key in self._tables:
            return self._tables[key]
        if not self.has(name):
            raise Missing(f"this run has no {name}.parquet")
        import pyarrow.parquet as pq

        path = self.path / f"{name}.parquet"
        present = set(pq.read_schema(path).names)
        lacking = [c for c in columns if c not in present]
        if lacking:
            raise Missing(f"{name}.parquet lacks column{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}")
        table = pq.read_table(path, columns=list(columns))
        out = {c: _column(table.column(c)) for c in columns}
        self._tables[key] = out
        return out

    @property
    def duration_s(self) -> float:
        d: Any = self.summary.get("duration_s")
        return float(d) if finite(d) else float("nan")

    @cached_property
    def groups(self) -> dict[str, dict[str, Any]]:
        """Every node group (shell or ground site) with its ``kind`` and installed ``gpus``, in summary order."""
        out: dict[str, dict[str, Any]] = {}
        for name, c in (nested(self.summary, "capacity", "shells") or {}).items():
            out[name] = {"kind": ORBITAL, "gpus": int(c.get("gpus") or 0)}
        for name, g in (nested(self.summary, "capacity", "ground_sites") or {}).items():
            out[name] = {"kind": GROUND, "gpus": int(g.get("accelerators") or 0)}
        if self.has("utilization"):
            try:
                u = self.table("utilization", ("group", "kind", "installed_gpus"))
            except Missing:
                return out
            for g in np.unique(u["group"]).tolist():
                sel = u["group"] == g
                kind = str(u["kind"][sel][0])
                gpus = out.get(g, {}).get("gpus") or int(np.nanmax(u["installed_gpus"][sel]))
                out[str(g)] = {"kind": kind, "gpus": gpus}
        return out

    def kind_of(self, groups: np.ndarray) -> np.ndarray:
        """The node kind (orbital/ground, "unknown" when the group is not in the run) of each group name."""
        lookup = {g: v["kind"] for g, v in self.groups.items()}
        names, inverse = np.unique(groups.astype(str), return_inverse=True)
        kinds = np.array([lookup.get(n, "unknown") for n in names.tolist()], dtype=object)
        return kinds[inverse] if len(names) else np.empty(0, dtype=object)

    def installed_by_kind(self) -> dict[str, int]:
        out = {ORBITAL: 0, GROUND: 0}
        for g in self.groups.values():
            out[g["kind"]] = out.get(g["kind"], 0) + int(g["gpus"])
        return out

    def ground_sites(self) -> list[tuple[str, float, float]]:
        """(name, latitude, longitude in degrees) of the scenario's ground data centres, from the resolved scenario
        in manifest.json; empty when the manifest has none."""
        sites = nested(self.manifest, "scenario", "fleet", "ground_sites") or []
        return [
            (str(g.get("name", "")), float(g["lat_deg"]), float(g["lon_deg"]))
            for g in sites
            if isinstance(g, dict) and finite(g.get("lat_deg")) and finite(g.get("lon_deg"))
        ]

    def json(self, name: str) -> dict[str, Any]:
        """``<name>`` (a JSON file of the run) read with ``results.read_json``; :class:`Missing` when absent."""
        path = self.path / name
        if not path.is_file():
            raise Missing(f"this run has no {name}")
        doc: dict[str, Any] = read_json(path)
        return doc
