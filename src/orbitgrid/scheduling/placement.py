"""Compiled node search for the best-fit policies, over the index of nodes by free GPUs.

The engine places a job by (1) the nodes of its mask (placement and GPU model) with enough free GPUs, (2) for a
divisible job, only the nodes that can hold all it asks when there are any, (3) minus the node an EASY reservation
protects, and (4) the policy's choice among them. For the best-fit policies (``FifoBackfill``, ``ContractPriority``,
``FairShare``) the choice is the node with the fewest free GPUs, ties to the lowest index; the power-aware wrapper
takes the first node in that order whose capacity timeline keeps the gang's GPUs, out of the South Atlantic Anomaly,
until the job's next checkpoint.

Profiling the engine on 100,000 jobs and 10,004 nodes (``benchmarks/engine.py``) showed these steps — a mask
reduction for the largest free count, ``flatnonzero`` of the candidates and an ``argmin`` over them, each a pass over
10,000 nodes with numpy's per-call overhead — taking about a third of the run. A compiled pass over the mask's nodes
replaced them; :func:`search` now walks the index of nodes by free GPUs (:mod:`orbitgrid.scheduling.freeindex`) in
best-fit order and stops at the first acceptable node, so its cost follows the nodes it looks at, not the fleet. It
is the same decision as the Python path
(``Policy.choose_node`` on the candidate array), which stays the reference: ``tests/scheduling/test_placement.py``
checks both agree node for node, and that whole runs give identical results either way.

The power-aware test (:func:`safe`) is the one place that test is written: the window comes from
:mod:`orbitgrid.scheduling.formulas` and the capacity check from :mod:`orbitgrid.scheduling.windows`, and the
policies' Python path calls the same compiled test for one node (``EngineView.power_aware_safe``); the reference
path's array test (``PowerAware.safe``) checks the windows with numpy instead.
"""

from __future__ import annotations

import numpy as np

from orbitgrid._jit import kernel
from orbitgrid.scheduling.formulas import BATCH, node_window
from orbitgrid.scheduling.freeindex import max_free, next_fit
from orbitgrid.scheduling.windows import fits

NO_CANDIDATE = -1  # no node of the mask has the GPUs free
REFUSED = -2  # candidates exist but the policy (power-aware) accepts none of them now


@kernel(cache=True)
def safe(n: int, g: int, t: float, job: tuple, fleet: tuple) -> bool:
    """The power-aware test for ``g`` GPUs of node ``n`` from ``t``: the gang's window
    (:func:`orbitgrid.scheduling.formulas.node_window`, to its next checkpoint or its end) stays out of the anomaly
    and within the node's usable GPUs. ``job`` and ``fleet`` are the tuples :func:`search` documents."""
    nodes, busy, usable, blocks, scale_above, use_scale, step_s, n_steps = fleet
    k0, k1 = node_window(n, g, t, job, nodes, step_s, n_steps)
    if use_scale and scale_above[n, k0] < k1:
        return False
    return fits(usable, blocks, n, k0, k1, busy[n] + g)


@kernel(cache=True)
def _best_fit(index: tuple, mask: np.ndarray, free: np.ndarray, g_min: int, g_req: int, exclude: int) -> tuple:
    """``(node, its level in the index, the free GPUs a candidate needs)`` of the best fit, node -1 when there is
    none."""
    mf = max_free(index, mask, free)
    # a divisible job (g_min < g_req) needs its whole request where some node has it free, else the most free GPUs
    # any node has: it runs on as many GPUs as one node gives rather than on the tightest node's few
    need = min(g_req, mf) if (g_min < g_req and mf >= g_min) else g_min
    if mf < need:
        return NO_CANDIDATE, 0, need
    n, level = next_fit(index, mask, free, need, need, -1)
    if n == exclude and n >= 0:
        n, level = next_fit(index, mask, free, need, level, n)
    return n, level, need


@kernel(cache=True)
def best_fit(index: tuple, mask: np.ndarray, free: np.ndarray, g_min: int, g_req: int, exclude: int) -> int:
    """:func:`search` without the power-aware test (fewer arguments: numba's call overhead grows with them)."""
    return _best_fit(index, mask, free, g_min, g_req, exclude)[0]


@kernel(cache=True)
def search(
    index: tuple,
    mask: np.ndarray,
    free: np.ndarray,
    g_min: int,
    g_req: int,
    exclude: int,
    t: float,
    job: tuple,
    fleet: tuple,
) -> int:
    """The node for a job, :data:`NO_CANDIDATE` or :data:`REFUSED`.

    ``index``: the nodes by free GPUs (:mod:`orbitgrid.scheduling.freeindex`), ``mask``: the job's nodes as a bitset
    (``freeindex.mask_bits``), ``free``: free GPUs per node. A node is a candidate when it has ``g_min`` GPUs free;
    when ``g_min < g_req`` (a divisible job) only the nodes with ``g_req`` free are, or when no node has, those with
    the most free GPUs (a divisible job must not run on the tightest node's few GPUs while larger nodes idle).
    ``exclude`` (or -1) is then removed (the EASY reservation). Among candidates, in best-fit order (fewest free
    GPUs, then lowest index), the first that passes the power-aware test (:func:`safe`).

    ``job``: the job's parameters in :data:`orbitgrid.scheduling.formulas.JOB_FIELDS` order. ``fleet``: ``((speed,
    fabric bytes/s, fault rate sum per GPU-s, GPUs per satellite, fabric bytes/s between satellites), busy GPUs,
    usable GPUs (n, K), their block minima (:mod:`orbitgrid.scheduling.windows`), anomaly table, use it, step s,
    steps)``.
    """
    n, level, need = _best_fit(index, mask, free, g_min, g_req, exclude)
    if n < 0:
        return NO_CANDIDATE
    batch = job[0] == BATCH
    while n >= 0:  # the candidates in best-fit order, from the index: it stops at the first safe node
        if n != exclude:
            g = min(g_req, free[n]) if batch else g_req
            if safe(n, g, t, job, fleet):
                return n
        n, level = next_fit(index, mask, free, need, level, n)
    return REFUSED
