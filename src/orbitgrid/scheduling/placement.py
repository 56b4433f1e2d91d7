"""Compiled node search for the best-fit policies: one pass over a mask's nodes instead of several numpy passes.

The engine places a job by (1) the nodes of its mask (placement and GPU model) with enough free GPUs, (2) for a
divisible job, only the nodes that can hold all it asks when there are any, (3) minus the node an EASY reservation
protects, and (4) the policy's choice among them. For the best-fit policies (``FifoBackfill``, ``ContractPriority``,
``FairShare``) the choice is the node with the fewest free GPUs, ties to the lowest index; the power-aware wrapper
takes the first node in that order whose capacity timeline keeps the gang's GPUs, out of the South Atlantic Anomaly,
until the job's next checkpoint.

Profiling the engine on 100,000 jobs and 10,004 nodes (``benchmarks/engine.py``) showed these steps — a mask
reduction for the largest free count, ``flatnonzero`` of the candidates and an ``argmin`` over them, each a pass over
10,000 nodes with numpy's per-call overhead — taking about a third of the run. :func:`search` does them in one
compiled pass and stops at the first acceptable node. It is the same decision as the Python path
(``Policy.choose_node`` on the candidate array), which stays the reference: ``tests/scheduling/test_placement.py``
checks both agree node for node, and that whole runs give identical results either way.

The safety check mirrors ``PowerAware._safe_one`` operation for operation (same float expressions in the same
order), so the two paths agree bit for bit.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from orbitgrid.scheduling.checkpoint import daly_interval_s

# Job kinds, as in orbitgrid.workloads.jobs.JobKind (plain ints inside the kernel)
_TRAINING, _BATCH, _INFERENCE = 0, 1, 2

NO_CANDIDATE = -1  # no node of the mask has the GPUs free
REFUSED = -2  # candidates exist but the policy (power-aware) accepts none of them now

_BLOCK = 64  # steps per block of the usable-GPU window-minimum table (engine._BLOCK)

_daly = nb.njit(cache=True)(daly_interval_s)


@nb.njit(cache=True)
def mask_max(mask_nodes: np.ndarray, free: np.ndarray) -> int:
    """The most free GPUs on any node of ``mask_nodes`` (0 for an empty mask)."""
    best = 0
    for i in range(mask_nodes.size):
        f = free[mask_nodes[i]]
        if f > best:
            best = f
    return best


@nb.njit(cache=True)
def _fits(usable: np.ndarray, blocks: np.ndarray, n: int, k0: int, end: int, need: int) -> bool:
    """Whether ``usable[n, k0:end] >= need`` everywhere, skipping whole blocks whose minimum clears the need."""
    k = k0
    while k < end:
        if k % _BLOCK == 0 and k + _BLOCK <= end and blocks[n, k // _BLOCK] >= need:
            k += _BLOCK
        elif usable[n, k] < need:
            return False
        else:
            k += 1
    return True


@nb.njit(cache=True)
def _safe(n: int, g: int, job: tuple, fleet: tuple) -> bool:
    """The power-aware test for one node (``PowerAware._safe_one``): the gang's window, to its next checkpoint or
    its end, stays out of the anomaly and within the node's usable GPUs. ``job`` and ``fleet`` are the tuples
    :func:`search` documents."""
    t, kind, work_left, done, step_compute_s, allreduce_bytes, restore_s, write_s, interval_s, batch_item_s = job
    speed, fabric, rate_sum, busy, usable, blocks, scale_above, use_scale, step_s, n_steps = fleet
    gf = float(g)
    s = speed[n]
    if kind == _INFERENCE:
        rate = 1.0
    elif kind == _BATCH:
        rate = gf * s
    else:
        comm = 2.0 * (gf - 1.0) / gf * allreduce_bytes / fabric[n]
        rate = gf * step_compute_s / (step_compute_s / s + comm)
    to_end = work_left / max(rate, 1e-12)
    if kind == _BATCH:
        win = min(to_end, batch_item_s)
    elif kind == _INFERENCE:
        win = to_end
    else:
        restore = restore_s if done > 0 else 0.0
        tau = interval_s
        if not (math.isfinite(tau) and tau > 0.0):
            lam = gf * rate_sum[n]
            tau = _daly(write_s, 1.0 / lam if lam > 0.0 else math.inf)
        win = restore + min(to_end, tau + write_s)
    k0 = min(int(t // step_s), n_steps - 1)
    x = (t + win) / step_s
    k1 = n_steps if not (x < n_steps) else min(math.ceil(x), n_steps)
    k1 = max(k1, k0 + 1)
    if use_scale and scale_above[n, k0] < k1:
        return False
    return _fits(usable, blocks, n, k0, k1, busy[n] + g)


@nb.njit(cache=True)
def _best_fit(mask_nodes: np.ndarray, free: np.ndarray, g_min: int, g_req: int, exclude: int) -> tuple[int, int, int]:
    """``(node, its free GPUs, the free GPUs a candidate needs)`` of the best fit, node -1 when there is none."""
    max_free = -1
    for i in range(mask_nodes.size):
        f = free[mask_nodes[i]]
        if f > max_free:
            max_free = f
    need = g_req if (g_min < g_req and max_free >= g_req) else g_min
    if max_free < need:
        return NO_CANDIDATE, 0, need
    best = NO_CANDIDATE
    best_free = 0
    for i in range(mask_nodes.size):
        n = mask_nodes[i]
        f = free[n]
        if f >= need and n != exclude and (best < 0 or f < best_free):
            best = n
            best_free = f
    return best, best_free, need


@nb.njit(cache=True)
def best_fit(mask_nodes: np.ndarray, free: np.ndarray, g_min: int, g_req: int, exclude: int) -> int:
    """:func:`search` without the power-aware test (fewer arguments: numba's call overhead grows with them)."""
    return _best_fit(mask_nodes, free, g_min, g_req, exclude)[0]


@nb.njit(cache=True)
def search(
    mask_nodes: np.ndarray, free: np.ndarray, g_min: int, g_req: int, exclude: int, job: tuple, fleet: tuple
) -> int:
    """The node for a job, :data:`NO_CANDIDATE` or :data:`REFUSED`.

    ``mask_nodes``: the mask's node indices, ascending. A node is a candidate when it has ``g_min`` GPUs free; when
    ``g_min < g_req`` (a divisible job) and some node of the mask has ``g_req`` free, only those are. ``exclude`` (or
    -1) is then removed (the EASY reservation). Among candidates, in best-fit order (fewest free GPUs, then lowest
    index), the first that passes the power-aware test.

    ``job``: ``(t, kind, remaining work, done work, step compute s, all-reduce bytes per step, restore s, checkpoint
    write s, checkpoint interval s, batch item s)``. ``fleet``: ``(speed, fabric bytes/s, fault rate sum per GPU-s,
    busy GPUs, usable GPUs (n, K), their block minima, anomaly table, use it, step s, steps)``.
    """
    m = mask_nodes.size
    best, best_free, need = _best_fit(mask_nodes, free, g_min, g_req, exclude)
    if best < 0:
        return best
    batch = job[1] == _BATCH
    g = min(g_req, best_free) if batch else g_req
    if _safe(best, g, job, fleet):
        return best
    # the rest in (free, index) order, one free level at a time: a pass over the mask per level visited (the levels
    # are the distinct free counts, at most a node's GPUs), with no sort, and it stops at the first safe node
    level = best_free
    while True:
        next_level = -1
        for i in range(m):
            n = mask_nodes[i]
            f = free[n]
            if f < need or n == exclude:
                continue
            if f == level:
                if n != best:
                    g = min(g_req, f) if batch else g_req
                    if _safe(n, g, job, fleet):
                        return n
            elif f > level and (next_level < 0 or f < next_level):
                next_level = f
        if next_level < 0:
            break
        level = next_level
    return REFUSED


@nb.njit(cache=True)
def next_fault_time(hazard: np.ndarray, scale: np.ndarray, n: int, t: float, e: float, step_s: float) -> float:
    """The time at which node ``n``'s cumulative hazard grows by ``e`` after ``t``, or -1 beyond the timeline.

    ``hazard[n]`` is the cumulative rate scale at the step boundaries (``n_steps + 1`` values, in scale-seconds),
    ``scale[n]`` the scale per step (piecewise constant), so the inversion is exact: the step where the target is
    reached (the last boundary at or below it, as ``searchsorted(..., side="right") - 1``), then linear inside it.
    """
    n_steps = scale.shape[1]
    k = min(int(t // step_s), n_steps - 1)
    h_t = hazard[n, k] + float(scale[n, k]) * (t - k * step_s)
    target = h_t + e
    if target >= hazard[n, n_steps]:
        return -1.0
    lo, hi = 0, n_steps + 1  # first index with hazard > target, by bisection
    while lo < hi:
        mid = (lo + hi) // 2
        if hazard[n, mid] <= target:
            lo = mid + 1
        else:
            hi = mid
    k2 = lo - 1
    s = float(scale[n, k2])
    t_next = k2 * step_s + ((target - hazard[n, k2]) / s if s > 0 else 0.0)
    return max(t_next, t)
