"""The engine's state: one copy of each quantity, job state and node state as columns indexed by job or node.

:class:`JobState` holds the job table's columns the engine reads (as Python lists: scalar access in the event
handlers is several times faster than on numpy arrays) and each job's run state: where it runs, on how many GPUs,
the running segment, its saved work and its accounting. :class:`NodeState` holds the GPUs of every node in numpy
arrays that the compiled node search reads directly: installed, alive (installed minus those out of service),
usable now (the capacity timeline's current step), busy, and free ``= max(min(usable, alive), 0) - busy``, which
only the methods of :class:`NodeState` change, together with what it derives from and the index of nodes by free
GPUs (:mod:`orbitgrid.scheduling.freeindex`) the node searches walk.
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid.scheduling.checkpoint import Segment
from orbitgrid.scheduling.freeindex import FreeIndex, move, move_many
from orbitgrid.workloads.jobs import Contract, JobKind, JobTable

FREE_LEVELS = 258  # levels of the free-GPU index: exact free counts up to 256 GPUs, larger nodes share the last

# Job states
PENDING, QUEUED, RUNNING, COMPLETED, FAILED = -1, 0, 1, 2, 3
STATE_NAMES = {PENDING: "pending", QUEUED: "queued", RUNNING: "running", COMPLETED: "completed", FAILED: "failed"}

#: The job table's columns the engine reads, as ``(state attribute, table column, Python type)``; ``work`` is the
#: service's duration for inference (seconds of service), else the work in reference GPU-seconds.
INPUT_COLUMNS = (
    ("kind", "kind", int),
    ("gpus", "gpus", int),
    ("contract", "contract", int),
    ("preemptible", "preemptible", bool),
    ("submit", "submit_s", float),
    ("tenant", "tenant", int),
    ("priority", "priority", int),
    ("step_compute_s", "step_compute_s", float),
    ("allreduce_bytes", "allreduce_bytes_per_step", float),
    ("restore_s", "restore_s", float),
    ("write_s", "checkpoint_write_s", float),
    ("interval_s", "checkpoint_interval_s", float),
    ("max_restarts", "max_restarts", int),
    ("dataset_bytes", "dataset_bytes", float),
)

#: Each job's run state and its value before the job arrives.
RUN_COLUMNS: tuple[tuple[str, object], ...] = (
    ("state", PENDING),
    ("node_of", -1),
    ("alloc", 0),  # GPUs held
    ("seg", None),  # the running Segment
    ("seg_start", 0.0),  # when the running segment's GPUs were taken
    ("done", 0.0),  # saved work
    ("version", 0),  # bumped at each segment change: stale completion events are ignored
    ("first_start", math.nan),
    ("end", math.nan),
    ("useful_gpu_s", 0.0),
    ("delivered_gpu_s", 0.0),
    ("lost", 0.0),
    ("restarts", 0),
    ("fault_restarts", 0),
    ("preemptions", 0),
    ("energy_j", 0.0),
    ("tau", math.nan),  # checkpoint interval of the last segment
    ("end_est", math.inf),  # expected end of the running segment
    ("data_node", -1),  # the node holding the job's dataset (after an upload)
    ("upload_s", 0.0),
)


class JobState:
    """Per-job columns (module docstring): the inputs of :data:`INPUT_COLUMNS` and the run state of
    :data:`RUN_COLUMNS`, each one list indexed by job."""

    kind: list[int]
    gpus: list[int]
    contract: list[int]
    preemptible: list[bool]
    submit: list[float]
    tenant: list[int]
    priority: list[int]
    step_compute_s: list[float]
    allreduce_bytes: list[float]
    restore_s: list[float]
    write_s: list[float]
    interval_s: list[float]
    max_restarts: list[int]
    dataset_bytes: list[float]
    mask_key: list[tuple[int, int]]  # (placement, GPU model index): which nodes may run the job
    evictable: list[bool]  # preemptible or spot: may be preempted by a higher class
    work: list[float]
    state: list[int]
    node_of: list[int]
    alloc: list[int]
    seg: list[Segment | None]
    seg_start: list[float]
    done: list[float]
    version: list[int]
    first_start: list[float]
    end: list[float]
    useful_gpu_s: list[float]
    delivered_gpu_s: list[float]
    lost: list[float]
    restarts: list[int]
    fault_restarts: list[int]
    preemptions: list[int]
    energy_j: list[float]
    tau: list[float]
    end_est: list[float]
    data_node: list[int]
    upload_s: list[float]

    def __init__(self, jobs: JobTable) -> None:
        n = len(jobs)
        for name, column, typ in INPUT_COLUMNS:
            setattr(self, name, getattr(jobs, column)[:n].astype(typ).tolist())
        work = np.where(jobs.kind[:n] == JobKind.INFERENCE, jobs.duration_s[:n], jobs.work_gpu_s[:n])
        self.work = work.astype(float).tolist()
        self.mask_key = list(
            zip(jobs.placement[:n].astype(int).tolist(), jobs.gpu_model[:n].astype(int).tolist(), strict=True)
        )
        spot = int(Contract.SPOT)
        self.evictable = [p or c == spot for p, c in zip(self.preemptible, self.contract, strict=True)]
        for name, value in RUN_COLUMNS:
            setattr(self, name, [value] * n)

    def __len__(self) -> int:
        return len(self.kind)

    def append(self, jobs: JobTable, j: int) -> None:
        """Add row ``j`` of ``jobs`` (the next job) with its run state before arrival."""
        for name, column, typ in INPUT_COLUMNS:
            getattr(self, name).append(typ(getattr(jobs, column)[j]))
        inference = int(jobs.kind[j]) == JobKind.INFERENCE
        self.work.append(float(jobs.duration_s[j] if inference else jobs.work_gpu_s[j]))
        self.mask_key.append((int(jobs.placement[j]), int(jobs.gpu_model[j])))
        self.evictable.append(self.preemptible[-1] or self.contract[-1] == Contract.SPOT)
        for name, value in RUN_COLUMNS:
            getattr(self, name).append(value)

    def g_min(self, j: int) -> int:
        """The smallest gang job ``j`` runs on: one GPU for divisible batch work, else its size."""
        return 1 if self.kind[j] == JobKind.BATCH else self.gpus[j]


class NodeState:
    """Per-node GPU counts (module docstring) and the jobs running on each node."""

    def __init__(self, installed: np.ndarray, usable_now: np.ndarray) -> None:
        n = installed.size
        self.installed = installed.astype(np.int64)
        self.alive = self.installed.copy()  # installed minus failed GPUs not yet back in service
        self.usable = usable_now.astype(np.int64)
        self.busy = np.zeros(n, dtype=np.int64)
        self.free = np.maximum(np.minimum(self.usable, self.alive), 0) - self.busy
        self.running: list[list[int]] = [[] for _ in range(n)]
        # the nodes by free GPUs, exact up to the largest node's GPUs (at most FREE_LEVELS levels)
        levels = min(int(self.installed.max(initial=0)) + 2, FREE_LEVELS)
        self.free_index = FreeIndex(self.free, levels)
        self._index = self.free_index.arrays

    def cap(self, n: int) -> int:
        """GPUs node ``n`` can run on now: ``max(min(usable, alive), 0)``."""
        return int(self.free[n] + self.busy[n])

    def take(self, n: int, g: int) -> None:
        """``g`` more GPUs of node ``n`` busy (negative: released)."""
        self.busy[n] += g
        self.free[n] -= g
        move(self._index, n, self.free[n])

    def set_alive(self, n: int, alive: int) -> None:
        """Node ``n`` has ``alive`` GPUs in service."""
        self.alive[n] = alive
        self.free[n] = max(min(int(self.usable[n]), alive), 0) - int(self.busy[n])
        move(self._index, n, self.free[n])

    def set_usable(self, nodes: np.ndarray, usable: np.ndarray) -> bool:
        """The capacity timeline moves ``nodes`` (distinct) to ``usable`` GPUs: whether any node gained capacity."""
        alive = self.alive[nodes]
        old = np.maximum(np.minimum(self.usable[nodes], alive), 0)
        new = np.maximum(np.minimum(usable, alive), 0)
        self.usable[nodes] = usable
        self.free[nodes] += new - old
        move_many(self._index, nodes, self.free)
        return bool((new > old).any())

    def reset(self, usable_now: np.ndarray, busy: np.ndarray) -> None:
        """Set every node's usable and busy GPUs (a state to test the node search on; no running jobs)."""
        self.usable[:] = usable_now
        self.busy[:] = busy
        self.free[:] = np.maximum(np.minimum(self.usable, self.alive), 0) - self.busy
        move_many(self._index, np.arange(self.free.size), self.free)

    @property
    def failed(self) -> np.ndarray:
        """GPUs out of service (failed, in repair or awaiting a spare) per node."""
        return self.installed - self.alive
