"""The Parquet tables of a run as Arrow tables, read on first use (``Run.tables``).

Each attribute is a ``pyarrow.Table`` (``.to_pandas()`` with pandas installed, ``polars.from_arrow`` with polars),
or None when the run did not write that table (no workloads: no ``jobs``; no ``network:`` section: no ``links``).
Columns, units and one row's meaning: docs/quickstart.md, "What a run directory holds".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["TABLES", "Tables"]

#: The tables ``simulate`` can write, each an attribute of :class:`Tables` (the file is ``<name>.parquet``).
TABLES = (
    "eclipses",
    "nodes",
    "timeseries",
    "samples",
    "jobs",
    "placements",
    "faults",
    "utilization",
    "node_usage",
    "allocation",
    "links",
    "latency",
    "contacts",
    "flows",
)


class Tables:
    """A run's tables by attribute (``tables.jobs``) or name (``tables["jobs"]``); each is read once, when first
    asked for. ``names`` lists the tables this run has."""

    def __init__(self, names: list[str], read: Callable[[str], pa.Table]) -> None:
        self.names = list(names)
        self._read = read
        self._cache: dict[str, pa.Table] = {}

    def __getitem__(self, name: str) -> pa.Table:
        if name not in self.names:
            have = ", ".join(self.names) or "none"
            raise KeyError(f"this run has no {name!r} table; its tables: {have}")
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def get(self, name: str) -> pa.Table | None:
        """The table ``name``, or None when this run has none."""
        return self[name] if name in self.names else None

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"Tables({', '.join(self.names)})"

    @property
    def eclipses(self) -> pa.Table | None:
        """``eclipses.parquet``: one shadow passage of one track (shell, track, entry/exit, duration_s)."""
        return self.get("eclipses")

    @property
    def nodes(self) -> pa.Table | None:
        """``nodes.parquet``: one node, totals over the run."""
        return self.get("nodes")

    @property
    def timeseries(self) -> pa.Table | None:
        """``timeseries.parquet``: one node group at one step."""
        return self.get("timeseries")

    @property
    def samples(self) -> pa.Table | None:
        """``samples.parquet``: sample satellites step by step."""
        return self.get("samples")

    @property
    def jobs(self) -> pa.Table | None:
        """``jobs.parquet`` (with workloads): one job."""
        return self.get("jobs")

    @property
    def placements(self) -> pa.Table | None:
        """``placements.parquet`` (with workloads): one contiguous run of a job on a node."""
        return self.get("placements")

    @property
    def faults(self) -> pa.Table | None:
        """``faults.parquet`` (with workloads): one fault."""
        return self.get("faults")

    @property
    def utilization(self) -> pa.Table | None:
        """``utilization.parquet`` (with workloads): one node group at one step."""
        return self.get("utilization")

    @property
    def node_usage(self) -> pa.Table | None:
        """``node_usage.parquet`` (with workloads): one node."""
        return self.get("node_usage")

    @property
    def allocation(self) -> pa.Table | None:
        """``allocation.parquet`` (with workloads): requested, allocated, occupied, fragmented and stranded GPUs
        and queued jobs at sample times."""
        return self.get("allocation")

    @property
    def links(self) -> pa.Table | None:
        """``links.parquet`` (with ``network:``): one link at one link step."""
        return self.get("links")

    @property
    def latency(self) -> pa.Table | None:
        """``latency.parquet`` (with ``network:``): one node and target at one link step."""
        return self.get("latency")

    @property
    def contacts(self) -> pa.Table | None:
        """``contacts.parquet`` (with ``network:``): one pass over a gateway."""
        return self.get("contacts")

    @property
    def flows(self) -> pa.Table | None:
        """``flows.parquet`` (with ``network:`` and workloads): one data transfer."""
        return self.get("flows")
