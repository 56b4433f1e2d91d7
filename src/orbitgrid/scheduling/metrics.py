"""What a run records and hands back: the placement, fault, busy-GPU and alive-GPU logs, and the result arrays.

The engine appends one row per closed placement segment, per fault, per change of a node's busy GPUs and per change
of its GPUs in service; :meth:`Records.result` turns the logs and the per-job state into an :class:`EngineResult`
ready for Parquet and the metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# Placement outcomes (the ``outcome`` column of the placements)
OUTCOMES = ("completed", "checkpoint", "fault", "preempted", "capacity", "horizon")
COMPLETED_OUT, FAULT_OUT, PREEMPTED_OUT, CAPACITY_OUT, HORIZON_OUT = 0, 2, 3, 4, 5


@dataclass
class EngineResult:
    """Everything a run produced, as arrays ready for Parquet and metrics."""

    state: np.ndarray
    node: np.ndarray
    first_start_s: np.ndarray
    end_s: np.ndarray
    done_work: np.ndarray
    useful_gpu_s: np.ndarray
    delivered_gpu_s: np.ndarray
    lost_work: np.ndarray
    restarts: np.ndarray
    preemptions: np.ndarray
    energy_j: np.ndarray
    upload_s: np.ndarray  # seconds spent uploading datasets before starts in orbit (with links)
    checkpoint_interval_s: np.ndarray
    placements: dict[str, np.ndarray]
    faults: dict[str, np.ndarray]
    busy_changes: dict[str, np.ndarray]
    events: int
    failure_reason: dict[int, str] = field(default_factory=dict)
    maintenance: dict[str, np.ndarray] = field(default_factory=dict)  # per node (Records.maintenance)
    alive_changes: dict[str, np.ndarray] = field(default_factory=dict)  # t_s, node, alive: GPUs in service from t_s


class Records:
    """The logs of one run (``busy`` changes only with ``record_utilization``)."""

    def __init__(self, record_utilization: bool) -> None:
        self.record_utilization = record_utilization
        self.placements: list[tuple[int, int, float, float, int, int, float]] = []
        self.faults: list[tuple[float, int, int, int, float, int]] = []
        self.busy_t: list[float] = []
        self.busy_node: list[int] = []
        self.busy_delta: list[int] = []
        self.alive: list[tuple[float, int, int]] = []  # (t, node, alive GPUs from t on)

    def busy(self, t: float, n: int, delta: int) -> None:
        """Node ``n``'s busy GPUs change by ``delta`` at ``t``."""
        if self.record_utilization:
            self.busy_t.append(t)
            self.busy_node.append(n)
            self.busy_delta.append(delta)

    def placements_array(self) -> dict[str, np.ndarray]:
        pl = np.array(self.placements, dtype=np.float64).reshape(-1, 7)
        return {
            "job": pl[:, 0].astype(np.int64),
            "node": pl[:, 1].astype(np.int64),
            "start_s": pl[:, 2],
            "end_s": pl[:, 3],
            "gpus": pl[:, 4].astype(np.int32),
            "outcome": pl[:, 5].astype(np.int8),
            "lost_work": pl[:, 6],
        }

    def faults_array(self) -> dict[str, np.ndarray]:
        ft = np.array(self.faults, dtype=np.float64).reshape(-1, 6)
        return {
            "t_s": ft[:, 0],
            "node": ft[:, 1].astype(np.int64),
            "cause": ft[:, 2].astype(np.int8),
            "job": ft[:, 3].astype(np.int64),
            "lost_work": ft[:, 4],
            "fate": ft[:, 5].astype(np.int8),
        }

    def busy_array(self) -> dict[str, np.ndarray]:
        return {
            "t_s": np.array(self.busy_t),
            "node": np.array(self.busy_node, dtype=np.int64),
            "delta": np.array(self.busy_delta, dtype=np.int64),
        }

    def alive_array(self) -> dict[str, np.ndarray]:
        return {
            "t_s": np.array([a[0] for a in self.alive], dtype=np.float64),
            "node": np.array([a[1] for a in self.alive], dtype=np.int64),
            "alive": np.array([a[2] for a in self.alive], dtype=np.int64),
        }

    def capacity_lost_gpu_s(
        self, installed: np.ndarray, usable: np.ndarray, step_s: float, horizon_s: float
    ) -> np.ndarray:
        """Per node, the usable GPU-seconds the failed GPUs took: ``integral of min(usable, installed) -
        min(usable, alive)`` over the run against the fleet's capacity timeline (``usable``, nodes x steps)."""
        n_nodes, k_all = usable.shape
        lost_s = np.zeros(n_nodes)
        by_node: dict[int, list[tuple[float, int]]] = {}
        for t, n, alive in self.alive:
            by_node.setdefault(n, []).append((t, alive))
        for n, changes in by_node.items():
            inst = int(installed[n])
            for i, (t0, alive) in enumerate(changes):
                t1 = changes[i + 1][0] if i + 1 < len(changes) else horizon_s
                t1 = min(t1, horizon_s)
                if t1 <= t0 or alive >= inst:
                    continue
                k0, k1 = int(t0 // step_s), min(math.ceil(t1 / step_s), k_all)
                if k1 <= k0:
                    continue
                u = usable[n, k0:k1].astype(np.float64)
                deficit = np.minimum(u, inst) - np.minimum(u, alive)
                edges = np.arange(k0, k1 + 1, dtype=np.float64) * step_s
                overlap = np.minimum(edges[1:], t1) - np.maximum(edges[:-1], t0)
                lost_s[n] += float(np.dot(deficit, np.maximum(overlap, 0.0)))
        return lost_s
