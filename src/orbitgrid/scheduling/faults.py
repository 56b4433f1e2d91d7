"""Faults and what becomes of failed GPUs: the per-node fault clocks and the fleet's maintenance.

Faults are drawn per node and cause (``sdc``, ``interrupt``, ``permanent``) from a non-homogeneous Poisson process
``base rate x alive GPUs x rate_scale(t)`` by inverse transform of its cumulative hazard
(:func:`next_fault_time`), with the run's ``numpy.random.Generator``. A change of a node's alive GPUs redraws its
clocks (memoryless, so exact); a drawn fault whose clock was redrawn since is stale and ignored (a version number
per node and cause travels with the event).

What becomes of a GPU that fails for good is decided at the failure (:func:`orbitgrid.fleet.maintenance.fate_of`):
a ground site's GPU joins its site's repair queue (first come, first served, at most ``technicians`` repairs at once)
and returns after an exponential repair time; a satellite with a cold spare left on the failed GPU's satellite swaps
it in after the switch-over time; otherwise the GPU is lost for the rest of the run.
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid._jit import kernel
from orbitgrid.fleet.maintenance import LOST, REPAIR, SPARE, fate_of
from orbitgrid.fleet.nodes import PERMANENT, FleetTimeline
from orbitgrid.scheduling.events import FAULT, RETURN, EventQueue, Priority

_P_FAULT = int(Priority.FAULT)  # a plain int: cheaper than the IntEnum member in the hot path
_VERSION_BITS = 1 << 40  # a fault event's payload: cause x 2^40 + the clock's version


@kernel(cache=True)
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


class FaultClocks:
    """The next fault of every node and cause, drawn on demand and pushed on the event queue."""

    def __init__(self, fleet: FleetTimeline, q: EventQueue, rng: np.random.Generator, horizon_s: float) -> None:
        self.fleet = fleet
        self.q = q
        self.rng = rng
        self.horizon_s = horizon_s
        self.base_rate = fleet.nodes.base_rate_per_gpu_s.astype(float)  # per node and cause, per GPU-second
        self.rate_sum = self.base_rate.sum(axis=1)  # all causes, per GPU-second
        self.version = [[0, 0, 0] for _ in range(len(fleet.nodes))]
        self._hazard: np.ndarray | None = None

    def hazard_table(self) -> np.ndarray:
        """``fleet.cumulative_hazard(n)`` of every node, computed once (the same sequential sums)."""
        h = self._hazard
        if h is None:
            scale = self.fleet.rate_scale
            assert scale is not None
            h = np.empty((scale.shape[0], scale.shape[1] + 1))
            h[:, 0] = 0.0
            np.cumsum(scale, axis=1, dtype=np.float64, out=h[:, 1:])
            h[:, 1:] *= self.fleet.step_s
            self._hazard = h
        return h

    def schedule(self, n: int, cause: int, alive: int, t: float) -> None:
        """Draw node ``n``'s next fault of ``cause`` after ``t`` with ``alive`` GPUs in service (any earlier draw
        becomes stale)."""
        self.version[n][cause] += 1
        lam = float(self.base_rate[n, cause]) * alive
        if lam <= 0.0:
            return
        e = float(self.rng.exponential()) / lam
        scale = self.fleet.rate_scale
        if scale is None or cause == PERMANENT:
            t_next = t + e
        else:
            t_next = next_fault_time(self.hazard_table(), scale, n, t, e, self.fleet.step_s)
            if t_next < 0.0:  # beyond the timeline's cumulative hazard
                return
        if t_next < self.horizon_s:
            self.q.push(t_next, _P_FAULT, FAULT, n, cause * _VERSION_BITS + self.version[n][cause])

    def cause_of(self, n: int, payload: int) -> int:
        """The cause of a fault event of node ``n``, or -1 when its clock was redrawn since (a stale event)."""
        cause, version = divmod(payload, _VERSION_BITS)
        return cause if version == self.version[n][cause] else -1


class Maintenance:
    """Repair queues and cold spares: the fate of every permanent failure and the return of repaired GPUs."""

    def __init__(self, fleet: FleetTimeline, q: EventQueue, rng: np.random.Generator) -> None:
        n_nodes = len(fleet.nodes)
        installed = fleet.nodes.gpus.astype(int).tolist()
        m = fleet.maintenance
        self.q = q
        self.rng = rng
        self.repair_s: list[float] = [math.inf] * n_nodes if m is None else m.repair_s.astype(float).tolist()
        self.switchover_s: list[float] = [0.0] * n_nodes if m is None else m.switchover_s.astype(float).tolist()
        self.crew_of: list[int] = [-1] * n_nodes if m is None else m.crew.astype(int).tolist()
        n_crews = 0 if m is None else int(m.crew.max(initial=-1)) + 1
        self.crew_size = [0] * n_crews  # technicians (0: as many as needed)
        if m is not None:
            for n in np.flatnonzero(m.crew >= 0).tolist():
                self.crew_size[self.crew_of[n]] = int(m.technicians[n])
        self.crew_busy = [0] * n_crews
        self.crew_queue: list[list[int]] = [[] for _ in range(n_crews)]  # FIFO of nodes waiting for a technician
        self.crew_head = [0] * n_crews
        # per satellite of each node with spares: working accelerators and spares left (None: no spares on board)
        self.member_alive: list[list[int] | None] = [None] * n_nodes
        self.member_spares: list[list[int] | None] = [None] * n_nodes
        if m is not None:
            for n in np.flatnonzero(m.spares_per_member > 0).tolist():
                k = int(m.members[n])
                per = installed[n] // k
                alive = [per] * k
                alive[-1] += installed[n] - per * k
                self.member_alive[n] = alive
                self.member_spares[n] = [int(m.spares_per_member[n])] * k
        self.n_failures = [0] * n_nodes
        self.n_fate = [[0, 0, 0] for _ in range(n_nodes)]  # repair, spare, lost
        self.n_returned = [[0, 0] for _ in range(n_nodes)]  # repairs done, spares brought into service

    def fail(self, n: int, slot: int, t: float) -> int:
        """GPU ``slot`` of node ``n``'s alive GPUs (slots in member order) failed for good at ``t``: its fate
        (repair, spare or lost); a repair joins the crew's queue, a spare's switch-over is scheduled."""
        self.n_failures[n] += 1
        repairs = math.isfinite(self.repair_s[n])
        spares = None if repairs else self.member_spares[n]
        member = -1
        if spares is not None:
            alive = self.member_alive[n]
            assert alive is not None
            acc = 0
            for i, a in enumerate(alive):  # the satellite holding the failed accelerator
                acc += a
                if slot < acc:
                    member = i
                    break
        fate = fate_of(repairs, member >= 0 and spares is not None and spares[member] > 0)
        self.n_fate[n][fate] += 1
        if member >= 0:
            alive = self.member_alive[n]
            assert alive is not None
            alive[member] -= 1
        if fate == REPAIR:
            c = self.crew_of[n]
            self.crew_queue[c].append(n)
            self.start_repairs(c, t)
        elif fate == SPARE:
            assert spares is not None
            spares[member] -= 1
            # the payload carries the satellite the spare serves: fate + 3 x member
            self.q.push(t + self.switchover_s[n], Priority.CAPACITY, RETURN, n, SPARE + 3 * member)
        return fate

    def start_repairs(self, c: int, t: float) -> None:
        """Hand waiting repairs of crew ``c`` to free technicians (first come, first served)."""
        queue, size = self.crew_queue[c], self.crew_size[c]
        while self.crew_head[c] < len(queue) and (size <= 0 or self.crew_busy[c] < size):
            n = queue[self.crew_head[c]]
            self.crew_head[c] += 1
            self.crew_busy[c] += 1
            self.q.push(t + float(self.rng.exponential(self.repair_s[n])), Priority.CAPACITY, RETURN, n, REPAIR)

    def returned(self, n: int, payload: int) -> int:
        """A repaired GPU or a spare (the event's ``payload``) enters service on node ``n``: its fate."""
        member, fate = divmod(payload, 3)
        alive = self.member_alive[n]
        if fate == SPARE and alive is not None:
            alive[member] += 1
        self.n_returned[n][0 if fate == REPAIR else 1] += 1
        return fate

    def repair_done(self, n: int, t: float) -> None:
        """Node ``n``'s technician is free again: the next repair of the crew starts."""
        crew = self.crew_of[n]
        self.crew_busy[crew] -= 1
        self.start_repairs(crew, t)

    def counts(self) -> dict[str, np.ndarray]:
        """Per node: permanent ``failures`` and their fates (``repairs``: sent to repair, ``spares_used``,
        ``lost``), ``repaired`` (repairs finished), ``in_repair`` (queued or being repaired)."""
        n_nodes = len(self.n_failures)
        fate = np.array(self.n_fate, dtype=np.int64).reshape(n_nodes, 3)
        back = np.array(self.n_returned, dtype=np.int64).reshape(n_nodes, 2)
        return {
            "failures": np.array(self.n_failures, dtype=np.int64),
            "repairs": fate[:, REPAIR],
            "spares_used": fate[:, SPARE],
            "lost": fate[:, LOST],
            "repaired": back[:, 0],
            "in_repair": fate[:, REPAIR] - back[:, 0],
        }
