"""The scheduling formulas, each in one place: a gang's work rate, its checkpoint interval, and the window a
power-aware placement must keep free.

Every function is compiled (numba, ``cache=True``) and called both from Python (the engine's handlers, the
policies' reference paths) and from the compiled kernels (:mod:`orbitgrid.scheduling.placement`), so the two paths
compute the same floats from the same expressions.

Work rate. A job's work is in GPU-seconds at the reference speed. On a node with relative speed ``s`` and per-GPU
fabric bandwidth ``B``, a gang of ``G`` GPUs doing ``c`` seconds of reference compute per step and a ring all-reduce
of ``A`` bytes per GPU per step advances ``G c / (c / s + 2 (G - 1) A / (G B))`` units per second: the ring
all-reduce moves ``2 (G - 1) / G`` of the buffer per GPU (Patarasuk and Yuan, "Bandwidth optimal all-reduce
algorithms for clusters of workstations", JPDC 69(2), 2009), and communication is not overlapped with compute (a
conservative choice). One GPU, a divisible batch job or a step without all-reduce runs at ``G s``; an inference
service advances one unit (second of service) per second. ``B`` is the node's fabric, except for a gang larger than
one satellite of a node that pools satellites (:mod:`orbitgrid.scheduling.pools`), which spans satellites and
all-reduces over the laser links between them (:func:`gang_fabric`).

Checkpoint interval. The job's own interval, or Daly's optimum (:func:`orbitgrid.scheduling.checkpoint.daly_interval_s`)
for the gang's failure rate ``G x (sum over causes of the node's rate per GPU-second)``.

Run window. How long a gang must run undisturbed: to its first checkpoint (restore, compute to the interval, the
write) or its end for training; one batch item (``batch_item_s``) or the end for batch work; the end for an
inference service. In steps of the capacity timeline: ``[k0, k1)`` with ``k0`` the step holding ``t`` and ``k1`` the
first step boundary at or after ``t + window`` (at least ``k0 + 1``, at most the number of steps).
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid._jit import kernel
from orbitgrid.scheduling.checkpoint import daly_interval_s

# Job kinds, as in orbitgrid.workloads.jobs.JobKind (plain ints inside the compiled code)
TRAINING, BATCH, INFERENCE = 0, 1, 2

MIN_RATE = 1e-12  # work units per second below which a gang counts as stalled (windows stay finite)

_daly = kernel(cache=True)(daly_interval_s)


@kernel(cache=True)
def gang_rate(kind: int, g: int, speed: float, fabric_bytes_s: float, step_compute_s: float, allreduce: float) -> float:
    """Work units (reference GPU-seconds; seconds of service for inference) per second of a gang of ``g`` GPUs."""
    if kind == INFERENCE:
        return 1.0
    if kind == BATCH or g == 1:
        return g * speed
    comm = 2.0 * (g - 1) / g * allreduce / fabric_bytes_s if allreduce > 0.0 else 0.0
    return g * step_compute_s / (step_compute_s / speed + comm)


@kernel(cache=True)
def gang_fabric(g: int, fabric_bytes_s: float, member_gpus: int, span_fabric_bytes_s: float) -> float:
    """Per-GPU all-reduce bandwidth of a gang of ``g`` GPUs: the node's fabric when the gang fits one of its
    satellites (``member_gpus``; every GPU of an unpooled node), else the links between satellites
    (``NodeTable.gang_fabric_bytes_s``)."""
    return fabric_bytes_s if g <= member_gpus else span_fabric_bytes_s


@kernel(cache=True)
def gang_rates(
    kind: int, g: np.ndarray, speed: np.ndarray, fabric_bytes_s: np.ndarray, step_compute_s: float, allreduce: float
) -> np.ndarray:
    """:func:`gang_rate` for many nodes (``g``, ``speed`` and ``fabric_bytes_s`` per node)."""
    out = np.empty(speed.size)
    for i in range(speed.size):
        out[i] = gang_rate(kind, g[i], speed[i], fabric_bytes_s[i], step_compute_s, allreduce)
    return out


@kernel(cache=True)
def checkpoint_interval(interval_s: float, write_s: float, g: int, rate_sum_per_gpu_s: float) -> float:
    """The job's interval when it sets one (finite and positive), else Daly's optimum for the gang's fault rate."""
    if math.isfinite(interval_s) and interval_s > 0.0:
        return interval_s
    lam = g * rate_sum_per_gpu_s
    return _daly(write_s, 1.0 / lam if lam > 0.0 else math.inf)


@kernel(cache=True)
def run_window_s(
    kind: int, rate: float, work_left: float, restore_s: float, write_s: float, tau_s: float, batch_item_s: float
) -> float:
    """Seconds a gang must run undisturbed from its start: to its first checkpoint or its end (module docstring).
    ``restore_s`` is the restore the start pays (0 for a first start)."""
    to_end = work_left / max(rate, MIN_RATE)
    if kind == BATCH:
        return min(to_end, batch_item_s)
    if kind == INFERENCE:
        return to_end
    return restore_s + min(to_end, tau_s + write_s)


@kernel(cache=True)
def window_steps(t: float, window_s: float, step_s: float, n_steps: int) -> tuple[int, int]:
    """The steps ``[k0, k1)`` a window of ``window_s`` from ``t`` covers (``k1 > k0``; an endless window: to the
    last step)."""
    k0 = min(int(t // step_s), n_steps - 1)
    x = (t + window_s) / step_s
    k1 = n_steps if not (x < n_steps) else min(math.ceil(x), n_steps)
    return k0, max(k1, k0 + 1)


@kernel(cache=True)
def node_window(n: int, g: int, t: float, job: tuple, nodes: tuple, step_s: float, n_steps: int) -> tuple[int, int]:
    """The steps ``[k0, k1)`` job ``job`` (:data:`JOB_FIELDS`) must keep ``g`` GPUs of node ``n`` from ``t``;
    ``nodes``: ``(speed, fabric bytes/s, fault rate sum per GPU-second, GPUs per satellite, fabric bytes/s between
    satellites)`` arrays (:func:`gang_fabric`)."""
    kind, work_left, done, step_compute_s, allreduce, restore_s, write_s, interval_s, batch_item_s = job
    speed, fabric, rate_sum, member_gpus, span_fabric = nodes
    bw = gang_fabric(g, fabric[n], member_gpus[n], span_fabric[n])
    rate = gang_rate(kind, g, speed[n], bw, step_compute_s, allreduce)
    tau = checkpoint_interval(interval_s, write_s, g, rate_sum[n]) if kind == TRAINING else math.inf
    win = run_window_s(kind, rate, work_left, restore_s if done > 0 else 0.0, write_s, tau, batch_item_s)
    return window_steps(t, win, step_s, n_steps)


@kernel(cache=True)
def node_windows(
    g: np.ndarray, cand: np.ndarray, t: float, job: tuple, nodes: tuple, step_s: float, n_steps: int
) -> tuple[int, np.ndarray]:
    """:func:`node_window` for the nodes ``cand`` with gangs ``g``: ``k0`` (the same for all) and each ``k1``."""
    k1 = np.empty(cand.size, dtype=np.int64)
    k0 = min(int(t // step_s), n_steps - 1)
    for i in range(cand.size):
        k1[i] = node_window(cand[i], g[i], t, job, nodes, step_s, n_steps)[1]
    return k0, k1


JOB_FIELDS = (
    "kind",
    "work_left",
    "done",
    "step_compute_s",
    "allreduce_bytes_per_step",
    "restore_s",
    "checkpoint_write_s",
    "checkpoint_interval_s",
    "batch_item_s",
)
"""The job tuple the window functions take, in this order (built by ``Engine.job_params``)."""
