"""The discrete-event engine: jobs placed on nodes over time, with faults, checkpoints and preemption.

The engine reads a :class:`~orbitgrid.fleet.nodes.FleetTimeline` (it never sees an orbit) and a
:class:`~orbitgrid.workloads.jobs.Workload`, and runs the events in ``(time, priority, sequence)`` order:

- *capacity changes* from the timeline (eclipse, battery, heat): when a node's usable GPUs drop below what is busy,
  victims are chosen (spot before on-demand before reserved, least unsaved work first) and requeued; they keep
  their last checkpoint, or — with a policy that checkpoints ahead of predictable outages — the work up to the drop;
- *arrivals*, *completions*, and *faults* drawn per node and cause (``sdc``, ``interrupt``, ``permanent``) from a
  non-homogeneous Poisson process ``base rate x alive GPUs x rate_scale(t)`` by inverse transform of its cumulative
  hazard, with the run's ``numpy.random.Generator``. A fault strikes one GPU uniformly among the node's alive GPUs;
  when that GPU is busy the job on it suffers: silent data corruption rolls back to the last checkpoint and
  restarts at once, a functional interrupt restarts after the node's recovery time, a permanent failure removes the
  GPU and requeues the job. What becomes of the GPU is decided at the failure by the fleet's maintenance
  (:mod:`orbitgrid.fleet.maintenance`): a ground site's GPU joins its site's repair queue (first come, first served,
  at most ``technicians`` repairs at once) and returns after an exponential repair time; a satellite with a cold
  spare left on the failed GPU's satellite swaps it in after the switch-over time; otherwise the GPU is lost for
  the rest of the run. The fault table records each permanent failure's fate; the result's ``maintenance`` block
  counts failures, repairs, spares used, GPUs lost and the capacity they took (usable GPU-seconds) per node;
- after the events of one instant, the policy (injected, :class:`Policy`) orders the queue and places jobs.

Work model. A job's work is in GPU-seconds at the reference speed. On a node with relative speed ``s`` and per-GPU
fabric bandwidth ``B``, a gang of ``G`` GPUs doing ``c`` seconds of reference compute per step and a ring
all-reduce of ``A`` bytes per GPU per step advances ``G c / (c / s + 2 (G - 1) A / (G B))`` units per second
(communication not overlapped with compute: a conservative, documented choice). Gangs never span nodes.
Batch work is divisible: it starts on as many GPUs as are free (up to its request) and its items are saved as they
finish, so a fault loses only the in-flight item (``EngineConfig.batch_item_s`` of one GPU). Inference services hold
their GPUs for their duration and lose no work on a fault (they are stateless); their downtime is what counts.
"""

from __future__ import annotations

import heapq
import math
from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numba as nb
import numpy as np

from orbitgrid.fleet.maintenance import LOST, REPAIR, SPARE, fate_of
from orbitgrid.fleet.nodes import FAULT_CAUSES, INTERRUPT, PERMANENT, SDC, FleetTimeline, NodeKind
from orbitgrid.scheduling.checkpoint import Segment, daly_interval_array_s, daly_interval_s
from orbitgrid.scheduling.events import EventQueue, Priority
from orbitgrid.scheduling.placement import REFUSED, mask_max, next_fault_time
from orbitgrid.scheduling.placement import best_fit as placement_best_fit
from orbitgrid.scheduling.placement import search as placement_search
from orbitgrid.workloads.jobs import Contract, JobKind, Placement, Workload

# Job states
PENDING, QUEUED, RUNNING, COMPLETED, FAILED = -1, 0, 1, 2, 3
STATE_NAMES = {PENDING: "pending", QUEUED: "queued", RUNNING: "running", COMPLETED: "completed", FAILED: "failed"}

# Event kinds
_ARRIVAL, _COMPLETION, _FAULT, _WAKE, _RETURN = 0, 1, 2, 3, 4

# Placement outcomes
OUTCOMES = ("completed", "checkpoint", "fault", "preempted", "capacity", "horizon")
_COMPLETED, _FAULT_OUT, _PREEMPTED, _CAPACITY, _HORIZON = 0, 2, 3, 4, 5


_BLOCK = 64  # steps per block of the window min/max tables (placement._BLOCK)
# the anomaly table passed when the fleet has no rate scale (the compiled search does not read it)
_NO_SCALE = np.zeros((1, 1), dtype=np.int16)


def _block_reduce(a: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """``reduce`` over consecutive blocks of :data:`_BLOCK` steps of each row of ``a`` (the last block may be short)."""
    n, k = a.shape
    full = k // _BLOCK
    out = np.empty((n, -(-k // _BLOCK)), dtype=a.dtype)
    if full:
        out[:, :full] = reduce.reduce(a[:, : full * _BLOCK].reshape(n, full, _BLOCK), axis=2)
    if k % _BLOCK:
        out[:, full] = reduce.reduce(a[:, full * _BLOCK :], axis=1)
    return out


def _window_reduce(
    a: np.ndarray, blocks: np.ndarray, rows: np.ndarray, k0: int, k1: np.ndarray, reduce: np.ufunc, fill: float
) -> np.ndarray:
    """``reduce(a[rows[i], k0 : k1[i]])`` for every ``i`` (``k1 > k0``) from at most two partial blocks of ``a`` and
    the whole blocks between them in ``blocks`` (:func:`_block_reduce` of ``a``): exact, as min and max are."""
    if rows.size == 0:
        return np.zeros(0, dtype=a.dtype)
    k = a.shape[1]
    steps = np.arange(_BLOCK)
    head = a[rows, k0 : k0 + _BLOCK]
    head = np.where(steps[: head.shape[1]][None, :] < (k1 - k0)[:, None], head, fill)
    last = (k1 - 1) // _BLOCK * _BLOCK
    cols = last[:, None] + steps[None, :]
    tail = a[rows[:, None], np.minimum(cols, k - 1)]
    tail = np.where((cols < k1[:, None]) & (cols >= k0), tail, fill)
    out = reduce(reduce.reduce(head, axis=1), reduce.reduce(tail, axis=1))
    b0 = k0 // _BLOCK + 1
    b1 = (k1 - 1) // _BLOCK  # whole blocks b0 .. b1 - 1
    nb = int(b1.max()) - b0
    if nb > 0:
        mid = blocks[rows, b0 : b0 + nb]
        mid = np.where(np.arange(nb)[None, :] < (b1 - b0)[:, None], mid, fill)
        out = reduce(out, reduce.reduce(mid, axis=1))
    return out


@nb.njit(cache=True)
def _first_window_fit(
    a: np.ndarray, blocks: np.ndarray, rows: np.ndarray, k0: int, k1: np.ndarray, needed: np.ndarray
) -> int:
    """The first ``i`` with ``a[rows[i], k0 : k1[i]] >= needed[i]`` everywhere, or -1: whole blocks whose minimum
    (``blocks``, :func:`_block_reduce`) clears the need are skipped, and a row stops at its first short step."""
    for i in range(rows.size):
        n, need, end = rows[i], needed[i], k1[i]
        k = k0
        ok = True
        while k < end:
            if k % _BLOCK == 0 and k + _BLOCK <= end and blocks[n, k // _BLOCK] >= need:
                k += _BLOCK
            elif a[n, k] < need:
                ok = False
                break
            else:
                k += 1
        if ok:
            return i
    return -1


@nb.njit(cache=True)
def _window_fits_one(a: np.ndarray, blocks: np.ndarray, n: int, k0: int, end: int, need: int) -> bool:
    """:func:`_first_window_fit` for one row: whether ``a[n, k0 : end] >= need`` everywhere (the same steps)."""
    k = k0
    while k < end:
        if k % _BLOCK == 0 and k + _BLOCK <= end and blocks[n, k // _BLOCK] >= need:
            k += _BLOCK
        elif a[n, k] < need:
            return False
        else:
            k += 1
    return True


class Policy(Protocol):
    """Ordering and placement, injected into the engine."""

    name: str
    backfill: bool  # EASY backfill behind a blocked head job
    preempt: bool  # may evict lower contract classes
    checkpoint_ahead: bool  # writes a checkpoint ahead of a predictable capacity drop

    def within_key(self, eng: Engine, j: int) -> tuple:
        """Static order of jobs inside one queue class (same tenant, contract, placement, model and size)."""
        ...

    def key(self, eng: Engine, j: int) -> tuple:
        """Order between the heads of the queue classes, evaluated at each dispatch (may depend on state)."""
        ...

    # A policy may also define ``admit(eng, j, t) -> bool``: whether job ``j`` may start now at all (a quota); a job
    # it refuses is neither placed nor allowed to preempt, and waits for the next dispatch.

    def choose_node(self, eng: Engine, j: int, candidates: np.ndarray, t: float) -> int | None:
        """The node for job ``j`` among ``candidates`` (ascending indices, all with the GPUs free), or ``None``.

        A policy whose choice is best fit (fewest free GPUs, then lowest index) may say so with a ``search``
        attribute of ``"best-fit"`` (``"power-aware"`` for the power-aware test over best fit): the engine then
        makes the same choice with a compiled search (:mod:`orbitgrid.scheduling.placement`) without building the
        candidate array. A subclass that changes ``choose_node`` must set ``search = None``."""
        ...


@dataclass(frozen=True)
class EngineConfig:
    """Engine knobs. ``max_restarts``: a job restarted after faults more often fails (an operator giving up;
    evictions for capacity and preemptions are counted in ``restarts`` but not against this limit); ``None``, the
    default, restarts every job until it is done, as operators of long training runs do, and a job's own
    ``max_restarts`` column (``>= 0``) overrides it. ``max_blocked_per_dispatch``:
    a dispatch stops after examining this many jobs that fit somewhere but could not be placed (the analogue of
    Slurm's ``bf_max_job_test``), bounding the cost of a dispatch on a long queue. ``backfill_interval_s``: the
    backfill scan behind a blocked head runs at most this often (Slurm's ``bf_interval``); between scans a dispatch
    stops at the first job it cannot place. ``compiled_search``: use the compiled node search for policies that
    declare a best-fit choice (``False`` forces ``choose_node`` on candidate arrays, the reference path)."""

    max_restarts: int | None = None
    batch_item_s: float = 300.0
    reservation_candidates: int = 64
    max_blocked_per_dispatch: int = 200
    backfill_interval_s: float = 60.0
    record_utilization: bool = True
    compiled_search: bool = True


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
    maintenance: dict[str, np.ndarray] = field(default_factory=dict)  # per node (Engine._maintenance_result)
    alive_changes: dict[str, np.ndarray] = field(default_factory=dict)  # t_s, node, alive: GPUs in service from t_s


class Engine:
    """One run of a workload on a fleet. Build, then :meth:`run`."""

    def __init__(
        self,
        fleet: FleetTimeline,
        workload: Workload,
        policy: Policy,
        rng: np.random.Generator,
        config: EngineConfig | None = None,
        horizon_s: float | None = None,
    ) -> None:
        self.fleet = fleet
        self.nodes = fleet.nodes
        self.jobs = workload.jobs
        self.workload = workload
        self.policy = policy
        self.rng = rng
        self.config = config or EngineConfig()
        self.horizon_s = fleet.horizon_s if horizon_s is None else horizon_s
        self.step_s = fleet.step_s
        self.q = EventQueue()
        nodes, jobs = self.nodes, self.jobs
        n_nodes, n_jobs = len(nodes), len(jobs)
        # --- node state (python lists: scalar access in handlers is several times faster than numpy) ---
        self.installed: list[int] = nodes.gpus.astype(int).tolist()
        self.failed = [0] * n_nodes
        self.usable_tl: list[int] = fleet.usable_gpus[:, 0].astype(int).tolist()
        self.usable_arr = fleet.usable_gpus[:, 0].astype(np.int64)  # the same, for capacity blocks
        self.alive_arr = nodes.gpus.astype(np.int64)  # installed minus permanently failed GPUs
        self.busy = [0] * n_nodes
        self.busy_arr = np.zeros(n_nodes, dtype=np.int64)  # the same, for the compiled node search
        self.running: list[list[int]] = [[] for _ in range(n_nodes)]
        self.free_arr = np.array([self._cap(n) for n in range(n_nodes)], dtype=np.int64)
        self.speed: list[float] = nodes.speed.astype(float).tolist()
        self.fabric: list[float] = nodes.fabric_bytes_s.astype(float).tolist()
        self.power_w: list[float] = nodes.power_per_gpu_w.astype(float).tolist()
        self.recovery: list[float] = nodes.recovery_s.astype(float).tolist()
        self.base_rate = nodes.base_rate_per_gpu_s.astype(float)
        self.rate_sum_arr = self.base_rate.sum(axis=1)
        self.rate_sum: list[float] = self.rate_sum_arr.tolist()  # all causes, per GPU-second
        self.fault_version = [[0, 0, 0] for _ in range(n_nodes)]
        # --- job state ---
        self.kind: list[int] = jobs.kind.astype(int).tolist()
        self.gpus: list[int] = jobs.gpus.astype(int).tolist()
        self.contract: list[int] = jobs.contract.astype(int).tolist()
        self.preemptible: list[bool] = jobs.preemptible.astype(bool).tolist()
        self.submit: list[float] = jobs.submit_s.astype(float).tolist()
        self.tenant: list[int] = jobs.tenant.astype(int).tolist()
        work = np.where(jobs.kind == JobKind.INFERENCE, jobs.duration_s, jobs.work_gpu_s)
        self.work: list[float] = work.astype(float).tolist()
        # the same columns as python floats, for the scalar paths of node choice
        self.step_compute_l: list[float] = jobs.step_compute_s.astype(float).tolist()
        self.allreduce_l: list[float] = jobs.allreduce_bytes_per_step.astype(float).tolist()
        self.restore_l: list[float] = jobs.restore_s.astype(float).tolist()
        self.write_l: list[float] = jobs.checkpoint_write_s.astype(float).tolist()
        self.interval_l: list[float] = jobs.checkpoint_interval_s.astype(float).tolist()
        self.n_steps = fleet.n_steps
        self.state = [PENDING] * n_jobs
        self.node_of = [-1] * n_jobs
        self.alloc = [0] * n_jobs
        self.seg: list[Segment | None] = [None] * n_jobs
        self.seg_start = [0.0] * n_jobs
        self.done = [0.0] * n_jobs
        self.version = [0] * n_jobs
        self.first_start = [math.nan] * n_jobs
        self.end = [math.nan] * n_jobs
        self.useful_gpu_s = [0.0] * n_jobs
        self.delivered_gpu_s = [0.0] * n_jobs
        self.lost = [0.0] * n_jobs
        self.restarts = [0] * n_jobs
        self.fault_restarts = [0] * n_jobs
        self.preemptions = [0] * n_jobs
        self.energy_j = [0.0] * n_jobs
        self.tau = [math.nan] * n_jobs
        self.end_est = [math.inf] * n_jobs
        self._last_backfill = -math.inf
        self._wake_at = -math.inf  # time of the pending wake-up (a dispatch with nothing else happening)
        self.queue_classes: dict[tuple[int, int, int, int, int], list[tuple[tuple, int]]] = {}
        self.n_queued = 0
        self.tenant_busy = [0] * max(len(jobs.tenants), 1)
        self.preemptible_busy = [0, 0, 0]  # GPUs held by preemptible jobs, per contract class
        self.tenant_used_gpu_s = [0.0] * max(len(jobs.tenants), 1)
        self.failure_reason: dict[int, str] = {}
        self.max_restarts_l: list[int] = jobs.max_restarts.astype(int).tolist()
        self._init_maintenance()
        # records
        self._pl: list[tuple[int, int, float, float, int, int, float]] = []
        self._faults: list[tuple[float, int, int, int, float, int]] = []
        self._busy_t: list[float] = []
        self._busy_node: list[int] = []
        self._busy_delta: list[int] = []
        self._masks: dict[tuple[int, int], np.ndarray] = {}
        self._mask_nodes: dict[tuple[int, int], np.ndarray] = {}
        self._biggest: dict[tuple[int, int], int] = {}  # the most GPUs any node of a mask has installed
        # links: nodes without a path to the ground take no new work; datasets are uploaded before a start in orbit
        self.links = fleet.links
        self._link_step = -1
        self._reachable: np.ndarray | None = None
        self._masks_now: dict[tuple[int, int], np.ndarray] = {}
        self.dataset_bytes_l: list[float] = jobs.dataset_bytes.astype(float).tolist()
        self.data_node = [-1] * n_jobs  # the node holding the job's dataset (after an upload)
        self.upload_s = [0.0] * n_jobs
        self.orbital: list[bool] = (nodes.kind == NodeKind.ORBITAL).tolist()
        self.nodes_speed = nodes.speed.astype(np.float64)
        self.nodes_fabric = nodes.fabric_bytes_s.astype(np.float64)
        self._mask_key = list(
            zip(jobs.placement.astype(int).tolist(), jobs.gpu_model.astype(int).tolist(), strict=True)
        )
        self._dirty = False
        self._hazard_all: np.ndarray | None = None
        self._usable_blocks: np.ndarray | None = None
        self._scale_above: dict[float, np.ndarray] = {}
        self.now = 0.0

    # ------------------------------------------------------------------------------------------- maintenance ---
    def _init_maintenance(self) -> None:
        n_nodes = len(self.nodes)
        m = self.fleet.maintenance
        self.maint = m
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
                per = self.installed[n] // k
                alive = [per] * k
                alive[-1] += self.installed[n] - per * k
                self.member_alive[n] = alive
                self.member_spares[n] = [int(m.spares_per_member[n])] * k
        self.n_failures = [0] * n_nodes
        self.n_fate = [[0, 0, 0] for _ in range(n_nodes)]  # repair, spare, lost
        self.n_returned = [[0, 0] for _ in range(n_nodes)]  # repairs done, spares brought into service
        self._alive_log: list[tuple[float, int, int]] = []  # (t, node, alive GPUs from t on)

    def _permanent_failure(self, n: int, slot: int, t: float) -> int:
        """GPU ``slot`` of node ``n``'s alive GPUs fails for good at ``t``: it leaves service, and its fate
        (:func:`orbitgrid.fleet.maintenance.fate_of`) decides whether and when it comes back."""
        self.failed[n] += 1
        self.alive_arr[n] -= 1
        self.free_arr[n] = self._cap(n) - self.busy[n]
        self._alive_log.append((t, n, self.installed[n] - self.failed[n]))
        self.n_failures[n] += 1
        repairs = math.isfinite(self.repair_s[n])
        spares = None if repairs else self.member_spares[n]
        member = -1
        if spares is not None:
            alive = self.member_alive[n]
            assert alive is not None
            acc = 0
            for i, a in enumerate(alive):  # the satellite holding the failed accelerator (slots in member order)
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
            self._start_repairs(c, t)
        elif fate == SPARE:
            assert spares is not None
            spares[member] -= 1
            # the payload carries the satellite the spare serves: fate + 3 x member
            self.q.push(t + self.switchover_s[n], Priority.CAPACITY, _RETURN, n, SPARE + 3 * member)
        return fate

    def _start_repairs(self, c: int, t: float) -> None:
        """Hand waiting repairs of crew ``c`` to free technicians (first come, first served)."""
        queue, size = self.crew_queue[c], self.crew_size[c]
        while self.crew_head[c] < len(queue) and (size <= 0 or self.crew_busy[c] < size):
            n = queue[self.crew_head[c]]
            self.crew_head[c] += 1
            self.crew_busy[c] += 1
            self.q.push(t + float(self.rng.exponential(self.repair_s[n])), Priority.CAPACITY, _RETURN, n, REPAIR)

    def _on_return(self, n: int, payload: int, t: float) -> None:
        """A repaired GPU, or a spare swapped in, enters service on node ``n``."""
        member, fate = divmod(payload, 3)
        alive = self.member_alive[n]
        if fate == SPARE and alive is not None:
            alive[member] += 1
        self.failed[n] -= 1
        self.alive_arr[n] += 1
        self.free_arr[n] = self._cap(n) - self.busy[n]
        self._alive_log.append((t, n, self.installed[n] - self.failed[n]))
        self.n_returned[n][0 if fate == REPAIR else 1] += 1
        self._dirty = True
        for c in (SDC, INTERRUPT, PERMANENT):  # alive count changed: redraw (memoryless, exact)
            self._schedule_fault(n, c, t)
        if fate == REPAIR:
            crew = self.crew_of[n]
            self.crew_busy[crew] -= 1
            self._start_repairs(crew, t)

    def _restart_limit(self, j: int) -> float:
        own = self.max_restarts_l[j]
        if own >= 0:
            return own
        return math.inf if self.config.max_restarts is None else self.config.max_restarts

    # ----------------------------------------------------------------------------------------------- helpers ---
    def _cap(self, n: int) -> int:
        return max(min(self.usable_tl[n], self.installed[n] - self.failed[n]), 0)

    def free(self, n: int) -> int:
        return self._cap(n) - self.busy[n]

    def mask(self, j: int) -> np.ndarray:
        """Nodes that may ever run job ``j`` (placement, GPU model, size)."""
        key = self._mask_key[j]
        m = self._masks.get(key)
        if m is None:
            placement, model = key
            nodes = self.nodes
            m = np.ones(len(nodes), dtype=bool)
            if placement == Placement.ORBIT:
                m &= nodes.kind == NodeKind.ORBITAL
            elif placement == Placement.GROUND:
                m &= nodes.kind == NodeKind.GROUND
            if model >= 0:
                m &= nodes.gpu_model == self.jobs.gpu_models[model]
            self._masks[key] = m
        return m

    def _refresh_links(self, t: float) -> None:
        """Follow the link timeline to the step covering ``t``: the nodes reachable from the ground change."""
        links = self.links
        if links is None:
            return
        step = links.step_at(t)
        if step == self._link_step:
            return
        self._link_step = step
        reach = links.reachable(step)
        if self._reachable is None or not np.array_equal(reach, self._reachable):
            self._reachable = reach
            self._masks_now.clear()
            self._mask_nodes.clear()

    def mask_now(self, j: int) -> np.ndarray:
        """:meth:`mask` less the nodes that have no path to the ground now (with links; :meth:`mask` without)."""
        if self._reachable is None:
            return self.mask(j)
        key = self._mask_key[j]
        m = self._masks_now.get(key)
        if m is None:
            m = self._masks_now[key] = self.mask(j) & self._reachable
        return m

    def upload_time_s(self, j: int, n: int, t: float) -> float:
        """Seconds to upload job ``j``'s dataset to orbital node ``n`` at ``t`` over its path's bottleneck (0 on
        the ground, without links, or when the node already holds it)."""
        links = self.links
        if links is None or not self.orbital[n] or self.data_node[j] == n or self.dataset_bytes_l[j] <= 0.0:
            return 0.0
        bw = float(links.ground_bandwidth_bps[n, links.step_at(t)])
        return self.dataset_bytes_l[j] * 8.0 / bw if bw > 0.0 else math.inf

    def rate(self, j: int, n: int, g: int) -> float:
        """Work units (reference GPU-seconds) per second for job ``j`` on ``g`` GPUs of node ``n``."""
        s = self.speed[n]
        if self.kind[j] == JobKind.INFERENCE:
            return 1.0
        if self.kind[j] == JobKind.BATCH or g == 1:
            return g * s
        c = self.step_compute_l[j]
        a = self.allreduce_l[j]
        comm = 2.0 * (g - 1) / g * a / self.fabric[n] if a > 0.0 else 0.0
        return g * c / (c / s + comm)

    def rates(self, j: int, nodes: np.ndarray, g: np.ndarray | int) -> np.ndarray:
        """:meth:`rate` for many nodes at once."""
        s = self.nodes.speed[nodes]
        g_arr = np.broadcast_to(np.asarray(g, dtype=np.float64), s.shape)
        if self.kind[j] == JobKind.INFERENCE:
            return np.ones_like(s)
        if self.kind[j] == JobKind.BATCH:
            return g_arr * s
        c = float(self.jobs.step_compute_s[j])
        a = float(self.jobs.allreduce_bytes_per_step[j])
        comm = 2.0 * (g_arr - 1.0) / g_arr * a / self.nodes.fabric_bytes_s[nodes]
        return g_arr * c / (c / s + comm)

    def gang_rate_per_s(self, j: int, n: int, g: int) -> float:
        """Faults per second hitting a gang of ``g`` GPUs of node ``n`` at the orbit-mean rate (all causes)."""
        return g * self.rate_sum[n]

    def checkpoint_intervals(self, j: int, nodes: np.ndarray, g: np.ndarray) -> np.ndarray:
        """:meth:`checkpoint_interval` for many nodes at once."""
        tau = float(self.jobs.checkpoint_interval_s[j])
        if math.isfinite(tau) and tau > 0.0:
            return np.full(nodes.size, tau)
        lam = g * self.rate_sum_arr[nodes]
        with np.errstate(divide="ignore"):
            mtbf = np.where(lam > 0.0, 1.0 / lam, np.inf)
        return daly_interval_array_s(float(self.jobs.checkpoint_write_s[j]), mtbf)

    def checkpoint_interval(self, j: int, n: int, g: int) -> float:
        """The job's interval, or Daly's optimum for the node's failure rate when the job leaves it open."""
        tau = self.interval_l[j]
        if math.isfinite(tau) and tau > 0.0:
            return tau
        lam = self.gang_rate_per_s(j, n, g)
        return daly_interval_s(self.write_l[j], 1.0 / lam if lam > 0.0 else math.inf)

    def window_min_usable(self, nodes: np.ndarray, k0: int, k1: np.ndarray) -> np.ndarray:
        """The least usable GPUs of each node over steps ``[k0, k1)`` (``k1 > k0``, per node)."""
        if self._usable_blocks is None:
            self._usable_blocks = _block_reduce(self.fleet.usable_gpus, np.minimum)
        fill = np.iinfo(self.fleet.usable_gpus.dtype).max
        return _window_reduce(self.fleet.usable_gpus, self._usable_blocks, nodes, k0, k1, np.minimum, fill)

    def first_window_fit(self, nodes: np.ndarray, k0: int, k1: np.ndarray, needed: np.ndarray) -> int:
        """The first ``i`` whose node keeps at least ``needed[i]`` usable GPUs over steps ``[k0, k1[i])``, or -1."""
        if self._usable_blocks is None:
            self._usable_blocks = _block_reduce(self.fleet.usable_gpus, np.minimum)
        return int(_first_window_fit(self.fleet.usable_gpus, self._usable_blocks, nodes, k0, k1, needed))

    def _scale_above_table(self, threshold: float) -> np.ndarray:
        table = self._scale_above.get(threshold)
        if table is None:
            scale = self.fleet.rate_scale
            assert scale is not None
            n, k = scale.shape
            table = np.empty((n, k), dtype=np.int16 if k < 32767 else np.int32)
            steps = np.arange(k, dtype=table.dtype)
            for lo in range(0, n, 1024):
                above = ~(scale[lo : lo + 1024] <= threshold)
                idx = np.where(above, steps, k).astype(table.dtype)
                table[lo : lo + 1024] = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
            self._scale_above[threshold] = table
        return table

    def next_rate_scale_above(self, nodes: np.ndarray, k0: int, threshold: float) -> np.ndarray:
        """The first step ``>= k0`` at which each node's fault-rate scale exceeds ``threshold`` (or is NaN); the
        number of steps when there is none. From a table built once per threshold (int16 or int32 per node-step)."""
        return self._scale_above_table(threshold)[nodes, k0]

    def next_rate_scale_above_one(self, n: int, k0: int, threshold: float) -> int:
        """:meth:`next_rate_scale_above` for one node."""
        return int(self._scale_above_table(threshold)[n, k0])

    def window_fits_one(self, n: int, k0: int, k1: int, needed: int) -> bool:
        """:meth:`first_window_fit` for one node: whether it keeps ``needed`` usable GPUs over steps ``[k0, k1)``."""
        if self._usable_blocks is None:
            self._usable_blocks = _block_reduce(self.fleet.usable_gpus, np.minimum)
        return bool(_window_fits_one(self.fleet.usable_gpus, self._usable_blocks, n, k0, k1, needed))

    def expected_end(self, j: int) -> float:
        return self.end_est[j]

    def _record_busy(self, t: float, n: int, delta: int) -> None:
        if self.config.record_utilization:
            self._busy_t.append(t)
            self._busy_node.append(n)
            self._busy_delta.append(delta)

    # ------------------------------------------------------------------------------------------ job actions ---
    def start(self, j: int, n: int, t: float, g: int | None = None) -> None:
        g = self.gpus[j] if g is None else g
        if g > self.free(n) or g < 1:
            raise RuntimeError(f"policy placed job {j} ({g} GPUs) on node {n} with {self.free(n)} free")
        self.state[j] = RUNNING
        self.node_of[j] = n
        self.alloc[j] = g
        self.busy[n] += g
        self.busy_arr[n] += g
        self.free_arr[n] -= g
        self.running[n].append(j)
        self.tenant_busy[self.tenant[j]] += g
        if self._is_preemptible(j):
            self.preemptible_busy[self.contract[j]] += g
        self._record_busy(t, n, g)
        if math.isnan(self.first_start[j]):
            self.first_start[j] = t
        restore = 0.0 if self.done[j] == 0.0 else self.restore_l[j]
        if self.links is not None:
            up = self.upload_time_s(j, n, t)
            if up > 0.0:
                self.upload_s[j] += up
                restore += up
            self.data_node[j] = n
        self._new_segment(j, t, restore=restore)

    def _new_segment(self, j: int, t0: float, restore: float) -> None:
        n, g = self.node_of[j], self.alloc[j]
        kind = self.kind[j]
        saves = kind == JobKind.TRAINING
        tau = self.checkpoint_interval(j, n, g) if saves else math.inf
        self.tau[j] = tau
        seg = Segment(t0, self.rate(j, n, g), tau, self.write_l[j], restore, saves)
        self.seg[j] = seg
        self.seg_start[j] = t0
        self.version[j] += 1
        end = seg.finish_time(self.work[j] - self.done[j])
        self.end_est[j] = end
        if end <= self.horizon_s:
            self.q.push(end, Priority.COMPLETION, _COMPLETION, j, self.version[j])

    def _close_segment(self, j: int, t: float, kept: float, outcome: int) -> None:
        """Account the segment ending at ``t``: ``kept`` work is added to the job's saved work."""
        seg = self.seg[j]
        assert seg is not None
        n, g = self.node_of[j], self.alloc[j]
        start = self.seg_start[j]
        dur = max(t - start, 0.0)
        progress = seg.progress(t)
        self.done[j] = min(self.done[j] + kept, self.work[j])
        self.lost[j] += max(progress - kept, 0.0)
        self.delivered_gpu_s[j] += dur * g
        if seg.rate > 0.0:
            self.useful_gpu_s[j] += kept / seg.rate * g
        self.energy_j[j] += dur * g * self.power_w[n]
        self.tenant_used_gpu_s[self.tenant[j]] += dur * g
        self._pl.append((j, n, start, t, g, outcome, max(progress - kept, 0.0)))

    def _release(self, j: int, t: float) -> None:
        n, g = self.node_of[j], self.alloc[j]
        self.busy[n] -= g
        self.busy_arr[n] -= g
        self.free_arr[n] += g
        self.running[n].remove(j)
        self.tenant_busy[self.tenant[j]] -= g
        if self._is_preemptible(j):
            self.preemptible_busy[self.contract[j]] -= g
        self._record_busy(t, n, -g)
        self.alloc[j] = 0
        self.seg[j] = None
        self.version[j] += 1
        self._dirty = True

    def _requeue(self, j: int, t: float, fault: bool = False) -> None:
        self.restarts[j] += 1
        self.fault_restarts[j] += int(fault)
        if self.fault_restarts[j] > self._restart_limit(j):
            self.state[j] = FAILED
            self.end[j] = t
            self.failure_reason[j] = f"more than {self._restart_limit(j):.0f} restarts"
            return
        self._enqueue(j)

    def _class_of(self, j: int) -> tuple[int, int, int, int, int]:
        g_min = 1 if self.kind[j] == JobKind.BATCH else self.gpus[j]
        placement, model = self._mask_key[j]
        return (self.tenant[j], self.contract[j], placement, model, g_min)

    def _enqueue(self, j: int) -> None:
        self.state[j] = QUEUED
        lst = self.queue_classes.setdefault(self._class_of(j), [])
        insort(lst, (self.policy.within_key(self, j), j))
        self.n_queued += 1
        self._dirty = True

    def queued_jobs(self) -> list[int]:
        """Every queued job (any order)."""
        return [j for lst in self.queue_classes.values() for _, j in lst]

    def evict(self, j: int, t: float, outcome: int, predictable: bool = False) -> None:
        """Stop job ``j`` at ``t`` and requeue it with its saved work."""
        seg = self.seg[j]
        assert seg is not None
        kept = seg.saved_if_checkpoint_ends_at(t) if predictable and self.policy.checkpoint_ahead else seg.saved(t)
        if self.kind[j] == JobKind.BATCH:
            kept = max(seg.progress(t) - self._batch_item_loss(j, seg, t), 0.0) if outcome == _FAULT_OUT else kept
        self._close_segment(j, t, kept, outcome)
        self._release(j, t)
        if outcome == _PREEMPTED:
            self.preemptions[j] += 1
        if self.kind[j] == JobKind.INFERENCE and self.done[j] >= self.work[j]:
            self._complete(j, t)
        else:
            self._requeue(j, t, fault=outcome == _FAULT_OUT)

    def _batch_item_loss(self, j: int, seg: Segment, t: float) -> float:
        per_gpu = seg.rate / max(self.alloc[j], 1)
        return min(seg.progress(t), per_gpu * self.config.batch_item_s)

    def _complete(self, j: int, t: float) -> None:
        self.state[j] = COMPLETED
        self.end[j] = t

    # --------------------------------------------------------------------------------------------- handlers ---
    def _on_arrival(self, j: int, t: float) -> None:
        key = self._mask_key[j]
        biggest = self._biggest.get(key)
        if biggest is None:
            m = self.mask(j)
            biggest = self._biggest[key] = int(self.nodes.gpus[m].max()) if m.any() else 0
        g_min = 1 if self.kind[j] == JobKind.BATCH else self.gpus[j]
        if biggest < g_min:
            self.state[j] = FAILED
            self.end[j] = t
            self.failure_reason[j] = "no node can ever hold it (placement, GPU model or gang size)"
            return
        self._enqueue(j)

    def _on_completion(self, j: int, version: int, t: float) -> None:
        if version != self.version[j] or self.state[j] != RUNNING:
            return
        remaining = self.work[j] - self.done[j]
        self._close_segment(j, t, remaining, _COMPLETED)
        self.done[j] = self.work[j]
        self._release(j, t)
        self._complete(j, t)

    def _on_capacity_block(self, nodes: np.ndarray, usable: np.ndarray, t: float) -> None:
        """:meth:`_on_capacity` for every node whose capacity changes at ``t`` (distinct nodes, ascending)."""
        alive = self.alive_arr[nodes]
        old = np.maximum(np.minimum(self.usable_arr[nodes], alive), 0)
        new = np.maximum(np.minimum(usable, alive), 0)
        self.usable_arr[nodes] = usable
        usable_tl = self.usable_tl
        for n, u in zip(nodes.tolist(), usable.tolist(), strict=True):
            usable_tl[n] = u
        free = self.free_arr
        free[nodes] += new - old
        if (new > old).any():
            self._dirty = True
        over = nodes[free[nodes] < 0]  # busy > new capacity
        for n in over.tolist():
            self._shed(n, t, _CAPACITY, predictable=True)

    def _shed(self, n: int, t: float, outcome: int, predictable: bool) -> None:
        """Fit node ``n``'s busy GPUs into its capacity: evict non-divisible jobs (lowest class, least unsaved work
        first) only while shrinking the divisible batch jobs cannot absorb the excess, then shrink (or evict) those.
        Shrinking loses nothing (batch items are saved as they finish); an eviction loses unsaved work."""
        cap = self._cap(n)
        victims = sorted(self.running[n], key=lambda j: (-self.contract[j], self._unsaved(j, t), j))
        batch = [j for j in victims if self.kind[j] == JobKind.BATCH]
        shrinkable = sum(self.alloc[j] - 1 for j in batch)
        for j in victims:
            if self.kind[j] == JobKind.BATCH:
                continue
            excess = self.busy[n] - cap
            if excess <= 0 or excess <= shrinkable:
                break
            self.evict(j, t, outcome, predictable)
        for j in batch:
            excess = self.busy[n] - cap
            if excess <= 0:
                break
            if self.alloc[j] > excess:
                self._shrink(j, t, self.alloc[j] - excess)
            else:
                self.evict(j, t, outcome, predictable)

    def _shrink(self, j: int, t: float, g_new: int) -> None:
        seg = self.seg[j]
        assert seg is not None
        n = self.node_of[j]
        self._close_segment(j, t, seg.progress(t), outcome=_CAPACITY)
        delta = self.alloc[j] - g_new
        self.busy[n] -= delta
        self.busy_arr[n] -= delta
        self.free_arr[n] += delta
        self.tenant_busy[self.tenant[j]] -= delta
        if self._is_preemptible(j):
            self.preemptible_busy[self.contract[j]] -= delta
        self._record_busy(t, n, -delta)
        self.alloc[j] = g_new
        self._new_segment(j, t, restore=0.0)

    def effective_contract(self, j: int) -> int:
        """The job's contract class as the policy sees it now (e.g. reserved beyond the tenant's quota is on-demand)."""
        pol = self.policy
        f = getattr(pol, "effective_contract", None) or getattr(getattr(pol, "base", None), "effective_contract", None)
        return int(f(self, j)) if f is not None else self.contract[j]

    def _is_preemptible(self, j: int) -> bool:
        return self.contract[j] == Contract.SPOT or self.preemptible[j]

    def _unsaved(self, j: int, t: float) -> float:
        seg = self.seg[j]
        return 0.0 if seg is None else seg.progress(t) - seg.saved(t)

    # faults -------------------------------------------------------------------------------------------------
    def _hazard_table(self) -> np.ndarray:
        """``fleet.cumulative_hazard(n)`` of every node, computed once (the same sequential sums)."""
        h = self._hazard_all
        if h is None:
            scale = self.fleet.rate_scale
            assert scale is not None
            h = np.empty((scale.shape[0], scale.shape[1] + 1))
            h[:, 0] = 0.0
            np.cumsum(scale, axis=1, dtype=np.float64, out=h[:, 1:])
            h[:, 1:] *= self.step_s
            self._hazard_all = h
        return h

    def _schedule_fault(self, n: int, cause: int, t: float) -> None:
        self.fault_version[n][cause] += 1
        alive = self.installed[n] - self.failed[n]
        lam = float(self.base_rate[n, cause]) * alive
        if lam <= 0.0:
            return
        e = float(self.rng.exponential()) / lam
        scale = self.fleet.rate_scale
        if scale is None or cause == PERMANENT:
            t_next = t + e
        else:
            t_next = next_fault_time(self._hazard_table(), scale, n, t, e, self.step_s)
            if t_next < 0.0:  # beyond the timeline's cumulative hazard
                return
        if t_next < self.horizon_s:
            self.q.push(t_next, Priority.FAULT, _FAULT, n, cause * (1 << 40) + self.fault_version[n][cause])

    def _on_fault(self, n: int, payload: int, t: float) -> None:
        cause, version = divmod(payload, 1 << 40)
        if version != self.fault_version[n][cause]:
            return
        alive = self.installed[n] - self.failed[n]
        slot = int(self.rng.integers(alive)) if alive > 0 else 0
        hit = -1
        acc = 0
        for j in self.running[n]:
            acc += self.alloc[j]
            if slot < acc:
                hit = j
                break
        lost_before = self.lost[hit] if hit >= 0 else 0.0
        fate = -1
        if cause == PERMANENT:
            fate = self._permanent_failure(n, slot, t)
            if hit >= 0:
                self.evict(hit, t, _FAULT_OUT)
            if self.busy[n] > self._cap(n):
                self._shed(n, t, _CAPACITY, predictable=False)
            for c in (SDC, INTERRUPT, PERMANENT):  # alive count changed: redraw (memoryless, exact)
                self._schedule_fault(n, c, t)
        else:
            if hit >= 0:
                self._rollback(hit, t, delay=self.recovery[n] if cause == INTERRUPT else 0.0)
            self._schedule_fault(n, cause, t)
        lost = (self.lost[hit] - lost_before) if hit >= 0 else 0.0
        self._faults.append((t, n, cause, hit, lost, fate))

    def _rollback(self, j: int, t: float, delay: float) -> None:
        """Roll job ``j`` back to its last saved work and restart on the same GPUs after ``delay``."""
        seg = self.seg[j]
        assert seg is not None
        if self.kind[j] == JobKind.INFERENCE:
            kept = seg.progress(t)
        elif self.kind[j] == JobKind.BATCH:
            kept = max(seg.progress(t) - self._batch_item_loss(j, seg, t), 0.0)
        else:
            kept = seg.saved(t)
        self._close_segment(j, t, kept, _FAULT_OUT)
        self.restarts[j] += 1
        self.fault_restarts[j] += 1
        if self.fault_restarts[j] > self._restart_limit(j):
            self._release(j, t)
            self.state[j] = FAILED
            self.end[j] = t
            self.failure_reason[j] = f"more than {self._restart_limit(j):.0f} restarts"
            return
        restore = float(self.jobs.restore_s[j]) if self.kind[j] == JobKind.TRAINING else 0.0
        self._new_segment(j, t + delay, restore=restore)
        self.seg_start[j] = t  # the recovery time is delivered (held) GPU time too

    # ------------------------------------------------------------------------------------------- dispatch ---
    def dispatch(self, t: float) -> None:
        """Place queued jobs: a lazy merge of the queue classes' heads in the policy's order.

        A class whose smallest gang cannot fit any node of its mask right now is skipped without looking at its
        jobs, so a dispatch costs in proportion to the jobs that fit, not to the queue length.
        """
        if not self.n_queued:
            return
        self._refresh_links(t)
        policy = self.policy
        max_free_cache: dict[tuple[int, int], int] = {}

        def max_free(mask_key: tuple[int, int], m: np.ndarray) -> int:
            mf = max_free_cache.get(mask_key)
            if mf is None:
                nodes = self._mask_nodes.get(mask_key)
                if nodes is None:
                    nodes = self._mask_nodes[mask_key] = np.flatnonzero(m).astype(np.int64)
                mf = max_free_cache[mask_key] = int(mask_max(nodes, self.free_arr))
            return mf

        if int(self.free_arr.max(initial=0)) <= 0 and not policy.preempt:
            return
        search = getattr(policy, "search", None) if self.config.compiled_search else None
        admit = getattr(policy, "admit", None)  # optional admission check (quotas) before placement and preemption
        heads: list[tuple[tuple, int, tuple[int, int, int, int, int]]] = []
        for ck, lst in self.queue_classes.items():
            if lst:
                j = lst[0][1]
                heads.append((policy.key(self, j), 0, ck))
        heapq.heapify(heads)
        reserved: tuple[int, float, int] | None = None
        blocked = 0
        backfill = policy.backfill and t >= self._last_backfill + self.config.backfill_interval_s
        if backfill:
            self._last_backfill = t
        while heads:
            _, idx, ck = heapq.heappop(heads)
            lst = self.queue_classes[ck]
            if idx >= len(lst):
                continue
            j = lst[idx][1]
            if admit is not None and not admit(self, j, t):
                # over its quota now: it waits (a release re-runs the dispatch). The check sees the tenant, the
                # contract and the gang, which every job of a gang class shares: the rest of the class waits too;
                # in a class of divisible jobs (any gang of 1) the jobs behind it are examined
                if self.kind[j] == JobKind.BATCH and idx + 1 < len(lst):
                    heapq.heappush(heads, (policy.key(self, lst[idx + 1][1]), idx + 1, ck))
                continue
            g_min = ck[4]
            mkey = (ck[2], ck[3])
            m = self.mask_now(j)
            placed = False
            mf = max_free(mkey, m)
            fits = mf >= g_min
            if fits and search is not None:
                found = self._search(j, mkey, m, mf, g_min, reserved, t, search)
                if found >= 0:
                    g = min(self.gpus[j], self.free(found)) if self.kind[j] == JobKind.BATCH else self.gpus[j]
                    if reserved is not None and found == reserved[0] and self._backfill_end(j, found, t) > reserved[1]:
                        reserved = (found, reserved[1], reserved[2] - g)  # it holds spare GPUs past the shadow
                    del lst[idx]
                    self.n_queued -= 1
                    self.start(j, found, t, g)
                    max_free_cache.clear()
                    placed = True
                elif found == REFUSED:
                    self._wake((math.floor(t / self.step_s) + 1) * self.step_s)
            elif fits:
                cand = np.flatnonzero(m & (self.free_arr >= g_min))
                if g_min < self.gpus[j] and cand.size:
                    whole = cand[self.free_arr[cand] >= self.gpus[j]]
                    if whole.size:  # a divisible job runs on fewer GPUs only when no node can hold all it asks
                        cand = whole
                if reserved is not None:
                    cand = self._respect_reservation(j, cand, reserved, t)
                if cand.size:
                    n = policy.choose_node(self, j, cand, t)
                    if n is not None:
                        g = min(self.gpus[j], self.free(n)) if self.kind[j] == JobKind.BATCH else self.gpus[j]
                        if reserved is not None and n == reserved[0] and self._backfill_end(j, n, t) > reserved[1]:
                            reserved = (n, reserved[1], reserved[2] - g)  # it holds spare GPUs past the shadow
                        del lst[idx]
                        self.n_queued -= 1
                        self.start(j, n, t, g)
                        max_free_cache.clear()
                        placed = True
                    else:
                        # refused by the policy (power-aware: the timeline); its answer can only change at a step
                        self._wake((math.floor(t / self.step_s) + 1) * self.step_s)
            if not placed and policy.preempt and self._try_preempt(j, t, lst, idx):
                max_free_cache.clear()
                placed = True
            if placed:
                if idx < len(lst):
                    heapq.heappush(heads, (policy.key(self, lst[idx][1]), idx, ck))
                continue
            if not backfill:
                if policy.backfill:  # the scan is only throttled: run it when it is due, even if nothing happens
                    self._wake(self._last_backfill + self.config.backfill_interval_s)
                break
            if reserved is None:
                reserved = self._reservation(j, t)
            if fits:
                blocked += 1
                if blocked >= self.config.max_blocked_per_dispatch:
                    break
                if idx + 1 < len(lst):
                    heapq.heappush(heads, (policy.key(self, lst[idx + 1][1]), idx + 1, ck))

    def _search(
        self,
        j: int,
        mkey: tuple[int, int],
        m: np.ndarray,
        mf: int,
        g_min: int,
        reserved: tuple[int, float, int] | None,
        t: float,
        search: str,
    ) -> int:
        """The compiled node choice (:func:`orbitgrid.scheduling.placement.search`) for a policy whose choice is
        best fit (``search == "best-fit"``) or power-aware best fit (``"power-aware"``): the same decision as
        building the candidate array and calling ``policy.choose_node``."""
        g_req = self.gpus[j]
        exclude = -1
        if reserved is not None and reserved[0] >= 0:
            node = reserved[0]
            need = g_req if (g_min < g_req and mf >= g_req) else g_min
            if (
                m[node]
                and self.free_arr[node] >= need
                and not (g_req <= reserved[2] or self._backfill_end(j, node, t) <= reserved[1])
            ):
                exclude = node
        nodes = self._mask_nodes[mkey]  # filled by dispatch's max_free
        if search == "best-fit":
            return int(placement_best_fit(nodes, self.free_arr, g_min, g_req, exclude))
        return self.power_aware_best_fit(j, nodes, g_min, exclude, t, self.policy.saa_threshold)  # type: ignore[attr-defined]

    def power_aware_best_fit(
        self, j: int, nodes: np.ndarray, g_min: int, exclude: int, t: float, saa_threshold: float
    ) -> int:
        """The first of ``nodes`` (ascending int64 indices) in best-fit order that passes the power-aware test
        (``PowerAware._safe_one``) for job ``j`` at ``t``, compiled; ``placement.NO_CANDIDATE`` or ``REFUSED``."""
        if self._usable_blocks is None:
            self._usable_blocks = _block_reduce(self.fleet.usable_gpus, np.minimum)
        use_scale = self.fleet.rate_scale is not None
        scale = self._scale_above_table(saa_threshold) if use_scale else _NO_SCALE
        job = (
            t,
            self.kind[j],
            self.work[j] - self.done[j],
            self.done[j],
            self.step_compute_l[j],
            self.allreduce_l[j],
            self.restore_l[j],
            self.write_l[j],
            self.interval_l[j],
            self.config.batch_item_s,
        )
        fleet = (
            self.nodes_speed,
            self.nodes_fabric,
            self.rate_sum_arr,
            self.busy_arr,
            self.fleet.usable_gpus,
            self._usable_blocks,
            scale,
            use_scale,
            self.step_s,
            self.n_steps,
        )
        return int(placement_search(nodes, self.free_arr, g_min, self.gpus[j], exclude, job, fleet))

    def _respect_reservation(self, j: int, cand: np.ndarray, reserved: tuple[int, float, int], t: float) -> np.ndarray:
        node, shadow, extra = reserved
        if node < 0 or not np.any(cand == node):
            return cand
        g = self.gpus[j]
        if g <= extra or self._backfill_end(j, node, t) <= shadow:
            return cand
        return cand[cand != node]

    def _backfill_end(self, j: int, n: int, t: float) -> float:
        """When job ``j`` would end if started on node ``n`` at ``t`` (restore and checkpoint writes included)."""
        g = min(self.gpus[j], self.free(n)) if self.kind[j] == JobKind.BATCH else self.gpus[j]
        restore = 0.0 if self.done[j] == 0.0 else float(self.jobs.restore_s[j])
        rate = self.rate(j, n, g)
        if self.kind[j] != JobKind.TRAINING or rate <= 0.0:
            return t + restore + (self.work[j] - self.done[j]) / max(rate, 1e-12)
        tau = self.checkpoint_interval(j, n, g)
        seg = Segment(t, rate, tau, float(self.jobs.checkpoint_write_s[j]), restore, True)
        return seg.finish_time(self.work[j] - self.done[j])

    def _wake(self, t_wake: float) -> None:
        """Make sure a dispatch runs at ``t_wake`` (one pending wake-up at a time: a later request waits for it)."""
        if t_wake >= self.horizon_s or self.now < self._wake_at <= t_wake:
            return
        self._wake_at = t_wake
        self.q.push(t_wake, Priority.RESUME, _WAKE)

    def _reservation(self, j: int, t: float) -> tuple[int, float, int]:
        """EASY: the earliest time job ``j`` could start on one node, from running jobs' expected ends."""
        g = self.gpus[j]
        idx = np.flatnonzero(self.mask(j))
        ok = idx[self.nodes.gpus[idx] >= g]
        if ok.size == 0:
            return (-1, math.inf, 0)
        if ok.size > self.config.reservation_candidates:
            part = np.argpartition(-self.free_arr[ok], self.config.reservation_candidates)
            ok = ok[part[: self.config.reservation_candidates]]
        best = (-1, math.inf, 0)
        for n in ok.tolist():
            free = self.free(n)
            cap = self._cap(n)
            if cap < g:
                continue
            ends = sorted((self.expected_end(r), self.alloc[r]) for r in self.running[n])
            shadow = t
            for e, a in ends:
                if free >= g:
                    break
                free += a
                shadow = e
            if free >= g and shadow < best[1]:
                best = (n, shadow, free - g)
        return best

    def _preemption_victims(
        self, j: int, t: float, spared: set[int] | frozenset[int] = frozenset()
    ) -> tuple[int, list[int]] | None:
        """The node where evicting preemptible lower-class jobs (not those in ``spared``) frees room for ``j`` with
        the fewest GPUs, and the jobs to evict there (lowest class, then least unsaved work, first); None: none."""
        g = self.gpus[j]
        c = self.effective_contract(j)
        if sum(self.preemptible_busy[c + 1 :]) <= 0:
            return None
        m = self.mask_now(j)
        best: tuple[int, int, list[int]] | None = None
        for n in np.flatnonzero(m & (self.free_arr + self.busy_arr >= g) & (self.free_arr < g)).tolist():
            victims = [
                r for r in self.running[n] if self.contract[r] > c and self._is_preemptible(r) and r not in spared
            ]
            if not victims:
                continue
            victims.sort(key=lambda r: (-self.contract[r], self._unsaved(r, t), r))
            free = self.free(n)
            chosen: list[int] = []
            for r in victims:
                if free >= g:
                    break
                chosen.append(r)
                free += self.alloc[r]
            if free >= g:
                cost = sum(self.alloc[r] for r in chosen)
                if best is None or cost < best[0]:
                    best = (cost, n, chosen)
        return None if best is None else (best[1], best[2])

    def _try_preempt(self, j: int, t: float, lst: list[tuple[tuple, int]], idx: int) -> bool:
        """Evict preemptible lower-class jobs on the node where the fewest GPUs must be freed."""
        found = self._preemption_victims(j, t)
        if found is None:
            return False
        n, chosen = found
        del lst[idx]
        self.n_queued -= 1
        for r in chosen:
            self.evict(r, t, _PREEMPTED)
        self.start(j, n, t)
        return True

    # ------------------------------------------------------------------------------------------------- run ---
    def run(self, progress: Callable[[float, float], None] | None = None, slices: int = 48) -> EngineResult:
        """Run the whole workload to the horizon: :meth:`prime`, :meth:`run_until` the horizon, close the books.
        With ``progress``, the horizon is run in ``slices`` equal spans and ``progress(t_s, horizon_s)`` is called
        after each (stopping and resuming changes nothing, :meth:`run_until`)."""
        self.prime()
        if progress is None:
            self.run_until(self.horizon_s)
        else:
            progress(0.0, self.horizon_s)
            for k in range(1, slices + 1):
                t = self.horizon_s * k / slices
                self.run_until(t if k < slices else self.horizon_s)
                progress(t, self.horizon_s)
        self._finish(self.horizon_s)
        return self._result(self.events)

    def prime(self) -> None:
        """Queue the arrivals of the job table, the first fault of every node and cause, the link-step wake-ups and
        the capacity change blocks (once, before the first :meth:`run_until`)."""
        jobs = self.jobs
        for j, ts in enumerate(jobs.submit_s[: len(jobs)].tolist()):
            if ts < self.horizon_s:
                self.q.push(ts, Priority.ARRIVAL, _ARRIVAL, j, 0)
        for n in range(len(self.nodes)):
            for c in range(len(FAULT_CAUSES)):
                self._schedule_fault(n, c, 0.0)
        if self.links is not None:  # reachability changes at link steps: queued jobs may start there
            for step in range(1, self.links.n_steps):
                if step * self.links.step_s < self.horizon_s:
                    self.q.push(step * self.links.step_s, Priority.RESUME, _WAKE)
        # Capacity changes come in blocks, one per step boundary (sorted by time, then node). A block is applied at
        # once (vectorised; sheds in node order), exactly as one capacity event after another at that instant:
        # they precede every heap event at the same time and no dispatch runs between them.
        cap_t, cap_n, cap_u = self.fleet.changes()
        bounds = np.flatnonzero(np.diff(cap_t)) + 1 if cap_t.size else np.zeros(0, np.int64)
        self._blk_starts = [0, *bounds.tolist()]
        self._blk_ends = [*bounds.tolist(), int(cap_t.size)]
        self._blk_t = cap_t[self._blk_starts].tolist() if cap_t.size else []
        self._blk_n, self._blk_u = cap_n, cap_u
        self._bi = 0
        self.events = 0

    def run_until(self, t_stop: float) -> None:
        """Process every event before ``t_stop`` (and before the horizon), each instant followed by its dispatch.

        Stopping and resuming changes nothing: the loop is the same whether it runs in one call or in many, so a
        live driver may advance the engine in small steps and add jobs at the instant it stopped at (their arrival
        events are processed after the events already queued for that instant, as in a batch run)."""
        starts, ends, blk_t = self._blk_starts, self._blk_ends, self._blk_t
        cap_n, cap_u = self._blk_n, self._blk_u
        bi, n_blk = self._bi, len(blk_t)
        limit = min(self.horizon_s, t_stop)
        q = self.q
        heap = q._heap
        events = self.events
        inf = math.inf
        while True:
            t_heap = heap[0][0] if heap else inf
            t_cap = blk_t[bi] if bi < n_blk else inf
            t = t_heap if t_heap < t_cap else t_cap
            if t >= limit:
                break
            if t_cap <= t_heap:
                lo, hi = starts[bi], ends[bi]
                self._on_capacity_block(cap_n[lo:hi], cap_u[lo:hi], t_cap)
                events += hi - lo
                bi += 1
            else:
                _, _, _, kind, a, b = q.pop()
                if kind == _ARRIVAL:
                    self._on_arrival(a, t)
                elif kind == _COMPLETION:
                    self._on_completion(a, b, t)
                elif kind == _FAULT:
                    self._on_fault(a, b, t)
                elif kind == _RETURN:
                    self._on_return(a, b, t)
                else:  # _WAKE: only a dispatch is due
                    self._dirty = True
                events += 1
            self.now = t
            if self._dirty:
                t_next = min(heap[0][0] if heap else inf, blk_t[bi] if bi < n_blk else inf)
                if t_next > t:
                    self._dirty = False
                    self.dispatch(t)
        self._bi = bi
        self.events = events

    def _finish(self, horizon: float) -> None:
        for n in range(len(self.nodes)):
            for j in list(self.running[n]):
                seg = self.seg[j]
                assert seg is not None
                kept = seg.progress(horizon) if self.kind[j] != JobKind.TRAINING else seg.saved(horizon)
                self._close_segment(j, horizon, kept, _HORIZON)
                # the job is still running at the horizon: its unsaved progress is not lost yet
                self.lost[j] -= max(seg.progress(horizon) - kept, 0.0)
                self._pl[-1] = (*self._pl[-1][:6], 0.0)

    def _result(self, events: int) -> EngineResult:
        pl = np.array(self._pl, dtype=np.float64).reshape(-1, 7)
        ft = np.array(self._faults, dtype=np.float64).reshape(-1, 6)
        return EngineResult(
            state=np.array(self.state, dtype=np.int8),
            node=np.array(self.node_of, dtype=np.int64),
            first_start_s=np.array(self.first_start),
            end_s=np.array(self.end),
            done_work=np.array(self.done),
            useful_gpu_s=np.array(self.useful_gpu_s),
            delivered_gpu_s=np.array(self.delivered_gpu_s),
            lost_work=np.array(self.lost),
            restarts=np.array(self.restarts, dtype=np.int32),
            preemptions=np.array(self.preemptions, dtype=np.int32),
            energy_j=np.array(self.energy_j),
            upload_s=np.array(self.upload_s),
            checkpoint_interval_s=np.array(self.tau),
            placements={
                "job": pl[:, 0].astype(np.int64),
                "node": pl[:, 1].astype(np.int64),
                "start_s": pl[:, 2],
                "end_s": pl[:, 3],
                "gpus": pl[:, 4].astype(np.int32),
                "outcome": pl[:, 5].astype(np.int8),
                "lost_work": pl[:, 6],
            },
            faults={
                "t_s": ft[:, 0],
                "node": ft[:, 1].astype(np.int64),
                "cause": ft[:, 2].astype(np.int8),
                "job": ft[:, 3].astype(np.int64),
                "lost_work": ft[:, 4],
                "fate": ft[:, 5].astype(np.int8),
            },
            busy_changes={
                "t_s": np.array(self._busy_t),
                "node": np.array(self._busy_node, dtype=np.int64),
                "delta": np.array(self._busy_delta, dtype=np.int64),
            },
            events=events,
            failure_reason=dict(self.failure_reason),
            maintenance=self._maintenance_result(),
            alive_changes={
                "t_s": np.array([a[0] for a in self._alive_log], dtype=np.float64),
                "node": np.array([a[1] for a in self._alive_log], dtype=np.int64),
                "alive": np.array([a[2] for a in self._alive_log], dtype=np.int64),
            },
        )

    def _maintenance_result(self) -> dict[str, np.ndarray]:
        """Per node: permanent ``failures`` and their fates (``repairs``: sent to repair, ``spares_used``,
        ``lost``), ``repaired`` (repairs finished by the horizon), ``in_repair`` at the horizon (queued or being
        repaired), and ``capacity_lost_gpu_s``: usable GPU-seconds the failed GPUs took, ``integral of
        min(usable, installed) - min(usable, alive)`` over the run against the fleet's capacity timeline."""
        n_nodes = len(self.nodes)
        fate = np.array(self.n_fate, dtype=np.int64).reshape(n_nodes, 3)
        back = np.array(self.n_returned, dtype=np.int64).reshape(n_nodes, 2)
        lost_s = np.zeros(n_nodes)
        usable = self.fleet.usable_gpus
        h, k_all = self.step_s, self.fleet.n_steps
        horizon = self.horizon_s
        by_node: dict[int, list[tuple[float, int]]] = {}
        for t, n, alive in self._alive_log:
            by_node.setdefault(n, []).append((t, alive))
        for n, changes in by_node.items():
            inst = self.installed[n]
            for i, (t0, alive) in enumerate(changes):
                t1 = changes[i + 1][0] if i + 1 < len(changes) else horizon
                t1 = min(t1, horizon)
                if t1 <= t0 or alive >= inst:
                    continue
                k0, k1 = int(t0 // h), min(math.ceil(t1 / h), k_all)
                if k1 <= k0:
                    continue
                u = usable[n, k0:k1].astype(np.float64)
                deficit = np.minimum(u, inst) - np.minimum(u, alive)
                edges = np.arange(k0, k1 + 1, dtype=np.float64) * h
                overlap = np.minimum(edges[1:], t1) - np.maximum(edges[:-1], t0)
                lost_s[n] += float(np.dot(deficit, np.maximum(overlap, 0.0)))
        return {
            "failures": np.array(self.n_failures, dtype=np.int64),
            "repairs": fate[:, REPAIR],
            "spares_used": fate[:, SPARE],
            "lost": fate[:, LOST],
            "repaired": back[:, 0],
            "in_repair": fate[:, REPAIR] - back[:, 0],
            "capacity_lost_gpu_s": lost_s,
        }
