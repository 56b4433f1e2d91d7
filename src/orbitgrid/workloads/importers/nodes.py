"""GPU node lists from any file: a :class:`NodeMapping` (node name, GPU model, GPUs, CPU, memory) reads a
cluster's machines one by one; :data:`NODE_PRESETS` holds the public clusters' lists. Nodes without GPUs are dropped
and counted; a negative or impossible count raises :class:`~orbitgrid.workloads.traces.TraceFormatError` naming
its line and column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from orbitgrid.workloads.importers.jobs import CPU_MILLI, MAX_CPU_MILLI, MAX_MEMORY_MIB, MEMORY_MIB
from orbitgrid.workloads.importers.reading import ColumnKind, FileFormat, read_columns
from orbitgrid.workloads.importers.values import amounts
from orbitgrid.workloads.traces import MAX_TRACE_GPUS, TraceFormatError


@dataclass(frozen=True)
class NodeMapping:
    """Which column holds each node's name, GPU model, GPU count, CPU and memory (``None``: not in the file)."""

    gpus: str
    node: str | None = None
    gpu_model: str | None = None
    cpu: str | None = None
    memory: str | None = None
    cpu_unit: Literal["milli", "cores", "percent"] = "milli"
    memory_unit: Literal["MiB", "GiB", "MB", "GB"] = "MiB"
    file_format: FileFormat | None = None
    column_names: tuple[str, ...] | None = None

    def kinds(self) -> dict[str, ColumnKind]:
        out: dict[str, ColumnKind] = {self.gpus: "number"}
        for key, kind in (("node", "string"), ("gpu_model", "string"), ("cpu", "number"), ("memory", "number")):
            name = getattr(self, key)
            if name is not None:
                out[name] = kind  # type: ignore[assignment]
        return out


@dataclass(frozen=True)
class NodePreset:
    mapping: NodeMapping
    reads: str
    source: str


NODE_PRESETS: dict[str, NodePreset] = {
    "alibaba_openb": NodePreset(
        NodeMapping(node="sn", gpu_model="model", gpus="gpu", cpu="cpu_milli", memory="memory_mib"),
        "openb_node_list_gpu_node.csv / openb_node_list_all_node.csv of Alibaba cluster-trace-gpu-v2023",
        "github.com/alibaba/clusterdata, cluster-trace-gpu-v2023 README: sn, cpu_milli, memory_mib, gpu, model",
    ),
    "alibaba_spot_v2026": NodePreset(
        NodeMapping(node="node_name", gpu_model="gpu_model", gpus="gpu_capacity_num", cpu="cpu_num", cpu_unit="cores"),
        "node_info_df.csv of Alibaba's 2026 spot GPU trace",
        "github.com/alibaba/clusterdata, spot GPU trace 2026: gpu_model, gpu_capacity_num (GPUs per node), cpu_num "
        "(cores), node_name",
    ),
    "alibaba_pai_2020": NodePreset(
        NodeMapping(
            node="machine",
            gpu_model="gpu_type",
            gpus="cap_gpu",
            cpu="cap_cpu",
            cpu_unit="cores",
            memory="cap_mem",
            memory_unit="GB",
            column_names=("machine", "gpu_type", "cap_cpu", "cap_mem", "cap_gpu"),
        ),
        "pai_machine_spec.csv of Alibaba cluster-trace-gpu-v2020 (no header line)",
        "github.com/alibaba/clusterdata, cluster-trace-gpu-v2020, pai_machine_spec.header: machine, gpu_type, cap_cpu "
        "(cores), cap_mem (GB), cap_gpu",
    ),
    "philly": NodePreset(
        NodeMapping(node="machineId", gpus="number of GPUs"),
        "philly_cluster_machine_list.csv of msr-fiddle/philly-traces (no GPU model: give one)",
        "github.com/msr-fiddle/philly-traces: machineId, number of GPUs, single GPU mem (12GB or 24GB); the GPU model "
        "is not published",
    ),
}


@dataclass(frozen=True)
class NodeImport:
    """Per node: ``node`` name, ``model`` (the file's GPU model name, "" when the file has none), ``gpus``,
    ``cpu_milli`` and ``memory_mib`` (0: not in the file); rows read and dropped by reason."""

    path: Path
    node: np.ndarray
    model: np.ndarray
    gpus: np.ndarray
    cpu_milli: np.ndarray
    memory_mib: np.ndarray
    rows: int
    dropped: dict[str, int]

    def counts(self) -> dict[str, int]:
        """GPUs per model name, in order of first appearance."""
        out: dict[str, int] = {}
        for m, g in zip(self.model.tolist(), self.gpus.tolist(), strict=True):
            out[m] = out.get(m, 0) + int(g)
        return out


def import_nodes(path: str | Path, mapping: NodeMapping) -> NodeImport:
    """The GPU nodes of a node list. Raises :class:`TraceFormatError` for anything malformed."""
    cols = read_columns(
        path, mapping.kinds(), fmt=mapping.file_format, column_names=mapping.column_names, what="node list"
    )
    n = cols.rows
    gpus = np.nan_to_num(amounts(cols, mapping.gpus, "GPUs", MAX_TRACE_GPUS, whole=True), nan=0.0)
    keep = gpus > 0
    dropped = {"no GPUs (CPU-only node)": int(n - keep.sum())} if not keep.all() else {}
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise TraceFormatError(cols.path, f"no node with GPUs among {n:,} rows (column {mapping.gpus})")
    names = (
        cols.strings(mapping.node)[rows]
        if mapping.node
        else np.array([f"node{int(r) + cols.first_line}" for r in rows], dtype=object)
    )
    model = np.full(rows.size, "", dtype=object)
    if mapping.gpu_model:
        m = cols.strings(mapping.gpu_model)[rows]
        model = np.array(["" if v is None else str(v).strip() for v in m], dtype=object)
    cpu = np.zeros(rows.size, dtype=np.int64)
    if mapping.cpu:
        c = amounts(cols, mapping.cpu, f"CPU ({mapping.cpu_unit})", MAX_CPU_MILLI / CPU_MILLI[mapping.cpu_unit])
        cpu = np.round(np.nan_to_num(c, nan=0.0)[rows] * CPU_MILLI[mapping.cpu_unit]).astype(np.int64)
    mem = np.zeros(rows.size)
    if mapping.memory:
        v = amounts(
            cols, mapping.memory, f"memory ({mapping.memory_unit})", MAX_MEMORY_MIB / MEMORY_MIB[mapping.memory_unit]
        )
        mem = np.nan_to_num(v, nan=0.0)[rows] * MEMORY_MIB[mapping.memory_unit]
    return NodeImport(cols.path, names, model, gpus[rows].astype(np.int64), cpu, mem, n, dropped)
