"""The discrete-event engine: jobs placed on nodes over time, with faults, checkpoints and preemption.

The engine reads a :class:`~orbitgrid.fleet.nodes.FleetTimeline` (it never sees an orbit) and a
:class:`~orbitgrid.workloads.jobs.Workload`, and runs the events in ``(time, priority, sequence)`` order
(:mod:`orbitgrid.scheduling.events`):

- *capacity changes* from the timeline (eclipse, battery, heat): when a node's usable GPUs drop below what is busy,
  victims are chosen (spot before on-demand before reserved, least unsaved work first) and requeued; they keep
  their last checkpoint, or — with a policy that checkpoints ahead of predictable outages — the work up to the drop;
- *arrivals*, *completions*, and *faults* (:mod:`orbitgrid.scheduling.faults`: per node and cause, a
  non-homogeneous Poisson process). A fault strikes one GPU uniformly among the node's alive GPUs; when that GPU is
  busy the job on it suffers: silent data corruption rolls back to the last checkpoint and restarts at once, a
  functional interrupt restarts after the node's recovery time, a permanent failure removes the GPU and requeues
  the job; the fleet's maintenance decides whether and when the GPU comes back (repair, cold spare or lost);
- after the events of one instant, the policy (injected, :class:`~orbitgrid.scheduling.view.Policy`, reading the
  engine through :class:`~orbitgrid.scheduling.view.EngineView`) orders the queue and places jobs.

Work model (:mod:`orbitgrid.scheduling.formulas`): a gang's rate from its compute and ring all-reduce per step;
gangs never span nodes. Batch work is divisible: it starts on as many GPUs as are free (up to its request) and its
items are saved as they finish, so a fault loses only the in-flight item (``EngineConfig.batch_item_s`` of one
GPU). Inference services hold their GPUs for their duration and lose no work on a fault (they are stateless);
their downtime is what counts.

The engine's neighbourhood: job and node state (:mod:`~orbitgrid.scheduling.state`), faults and maintenance
(:mod:`~orbitgrid.scheduling.faults`), records and results (:mod:`~orbitgrid.scheduling.metrics`), capacity-window
questions (:mod:`~orbitgrid.scheduling.windows`), the compiled node search (:mod:`~orbitgrid.scheduling.placement`).
This module is the event core: the loop, the handlers, the job actions and the dispatch.
"""

from __future__ import annotations

import heapq
import math
from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orbitgrid.fleet.maintenance import REPAIR
from orbitgrid.fleet.nodes import FAULT_CAUSES, INTERRUPT, PERMANENT, SDC, FleetTimeline, NodeKind
from orbitgrid.scheduling import formulas
from orbitgrid.scheduling.checkpoint import Segment
from orbitgrid.scheduling.events import ARRIVAL, COMPLETION, FAULT, RETURN, WAKE, EventQueue, Priority
from orbitgrid.scheduling.faults import FaultClocks, Maintenance
from orbitgrid.scheduling.freeindex import mask_bits
from orbitgrid.scheduling.freeindex import max_free as index_max_free
from orbitgrid.scheduling.metrics import (
    CAPACITY_OUT,
    COMPLETED_OUT,
    FAULT_OUT,
    HORIZON_OUT,
    OUTCOMES,
    PREEMPTED_OUT,
    EngineResult,
    Records,
)
from orbitgrid.scheduling.placement import REFUSED
from orbitgrid.scheduling.placement import best_fit as placement_best_fit
from orbitgrid.scheduling.placement import safe as placement_safe
from orbitgrid.scheduling.placement import search as placement_search
from orbitgrid.scheduling.sharing import EngineSharing, never_fits_reason
from orbitgrid.scheduling.state import (
    COMPLETED,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    STATE_NAMES,
    JobState,
    NodeState,
)
from orbitgrid.scheduling.view import EngineView, Policy
from orbitgrid.scheduling.windows import CapacityWindows
from orbitgrid.workloads.jobs import JobKind, Placement, RequestTable, Workload

__all__ = [
    "COMPLETED",
    "FAILED",
    "OUTCOMES",
    "PENDING",
    "QUEUED",
    "RUNNING",
    "STATE_NAMES",
    "Engine",
    "EngineConfig",
    "EngineResult",
    "EngineView",
    "Policy",
]

# plain ints in the handlers (an IntEnum member lookup costs more than the comparison)
_TRAINING, _BATCH, _INFERENCE = int(JobKind.TRAINING), int(JobKind.BATCH), int(JobKind.INFERENCE)
_P_COMPLETION, _P_RESUME, _P_ARRIVAL = int(Priority.COMPLETION), int(Priority.RESUME), int(Priority.ARRIVAL)

# the anomaly table passed when the fleet has no rate scale (the compiled search does not read it)
_NO_SCALE = np.zeros((1, 1), dtype=np.int16)


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


class Engine:
    """One run of a workload on a fleet. Build, then :meth:`run`. Implements :class:`EngineView`."""

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
        self.n_steps = fleet.n_steps
        self.q = EventQueue()
        nodes = self.nodes
        # --- node state: one copy each (state.NodeState); the names below are the same arrays ---
        ns = self.node_state = NodeState(nodes.gpus, fleet.usable_gpus[:, 0])
        self.installed, self.busy, self.free_arr, self.running = ns.installed, ns.busy, ns.free, ns.running
        self.speed: list[float] = nodes.speed.astype(float).tolist()
        self.power_w: list[float] = nodes.power_per_gpu_w.astype(float).tolist()
        self.recovery: list[float] = nodes.recovery_s.astype(float).tolist()
        self.orbital: list[bool] = (nodes.kind == NodeKind.ORBITAL).tolist()
        self.nodes_speed = nodes.speed.astype(np.float64)
        self.nodes_member_gpus, self.nodes_fabric, self.nodes_span_fabric = nodes.gang_fabric_bytes_s()
        self.windows = CapacityWindows(fleet.usable_gpus, fleet.rate_scale)
        # --- faults and maintenance ---
        self.fault_clocks = FaultClocks(fleet, self.q, rng, self.horizon_s)
        self.maintenance = Maintenance(fleet, self.q, rng)
        self.base_rate = self.fault_clocks.base_rate
        self.rate_sum_arr = self.fault_clocks.rate_sum
        self.rate_sum: list[float] = self.rate_sum_arr.tolist()  # all causes, per GPU-second
        self._node_params = (
            self.nodes_speed,
            self.nodes_fabric,
            self.rate_sum_arr,
            self.nodes_member_gpus,
            self.nodes_span_fabric,
        )
        # --- job state: one copy each (state.JobState); the names below are the same lists ---
        self._bind_jobs(JobState(self.jobs))
        # --- GPU sharing, CPU and memory (sharing.EngineSharing): only for workloads that need the per-GPU view ---
        self.sharing: EngineSharing | None = None
        if EngineSharing.needed(nodes.cpu_milli, nodes.memory_mib, self.jobs):
            self.sharing = EngineSharing(nodes.gpus, nodes.cpu_milli, nodes.memory_mib, self.jobs)
        self._never_fits: dict[tuple, str | None] = {}
        # --- queue, tenants, records ---
        self.queue_classes: dict[tuple[int, int, int, int, int], list[tuple[tuple, int]]] = {}
        self.n_queued = 0
        self.tenant_busy = [0] * max(len(self.jobs.tenants), 1)
        self.preemptible_busy = [0, 0, 0]  # GPUs held by preemptible jobs, per contract class
        self.tenant_used_gpu_s = [0.0] * max(len(self.jobs.tenants), 1)
        self.failure_reason: dict[int, str] = {}
        self.records = Records(self.config.record_utilization)
        self._masks: dict[tuple[int, int], np.ndarray] = {}
        self._mask_bits: dict[tuple[int, int], np.ndarray] = {}  # mask_now of each mask key, as a bitset
        self._mask_nodes: dict[tuple[int, int], np.ndarray] = {}  # and as node indices (the sharing path)
        # links: nodes without a path to the ground take no new work; datasets are uploaded before a start in orbit
        self.links = fleet.links
        self._link_step = -1
        self._reachable: np.ndarray | None = None
        self._masks_now: dict[tuple[int, int], np.ndarray] = {}
        self._last_backfill = -math.inf
        self._wake_at = -math.inf  # time of the pending wake-up (a dispatch with nothing else happening)
        self._dirty = False
        self.now = 0.0
        self.events = 0

    def _bind_jobs(self, js: JobState) -> None:
        """Name the job state's columns on the engine (the same lists, read in the handlers without a lookup)."""
        self.job_state = js
        self.kind, self.gpus, self.contract, self.preemptible = js.kind, js.gpus, js.contract, js.preemptible
        self.submit, self.tenant, self.priority, self.work = js.submit, js.tenant, js.priority, js.work
        self.restore_s, self.write_s, self.interval_s = js.restore_s, js.write_s, js.interval_s
        self.step_compute_s, self.allreduce_bytes = js.step_compute_s, js.allreduce_bytes
        self.max_restarts, self.dataset_bytes, self._mask_key = js.max_restarts, js.dataset_bytes, js.mask_key
        self.state, self.node_of, self.alloc, self.seg = js.state, js.node_of, js.alloc, js.seg
        self.seg_start, self.done, self.version = js.seg_start, js.done, js.version
        self.first_start, self.end, self.end_est, self.tau = js.first_start, js.end, js.end_est, js.tau
        self.useful_gpu_s, self.delivered_gpu_s, self.lost = js.useful_gpu_s, js.delivered_gpu_s, js.lost
        self.restarts, self.fault_restarts, self.preemptions = js.restarts, js.fault_restarts, js.preemptions
        self.evictable = js.evictable
        self.energy_j, self.data_node, self.upload_s = js.energy_j, js.data_node, js.upload_s

    # ------------------------------------------------------------------------------------------- the view ---
    @property
    def failed(self) -> np.ndarray:
        """GPUs out of service per node (failed, in repair or awaiting a spare)."""
        return self.node_state.failed

    @property
    def requests(self) -> RequestTable | None:
        return self.workload.requests

    def _cap(self, n: int) -> int:
        return self.node_state.cap(n)

    def free(self, n: int) -> int:
        return int(self.free_arr[n])

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
            self._mask_bits.clear()
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
        if links is None or not self.orbital[n] or self.data_node[j] == n or self.dataset_bytes[j] <= 0.0:
            return 0.0
        bw = float(links.ground_bandwidth_bps[n, links.step_at(t)])
        return self.dataset_bytes[j] * 8.0 / bw if bw > 0.0 else math.inf

    def rate(self, j: int, n: int, g: int) -> float:
        """Work units (reference GPU-seconds) per second for job ``j`` on ``g`` GPUs of node ``n``."""
        bw = formulas.gang_fabric(g, self.nodes_fabric[n], self.nodes_member_gpus[n], self.nodes_span_fabric[n])
        return formulas.gang_rate(self.kind[j], g, self.speed[n], bw, self.step_compute_s[j], self.allreduce_bytes[j])

    def rates(self, j: int, nodes: np.ndarray, g: np.ndarray | int) -> np.ndarray:
        """:meth:`rate` for many nodes at once."""
        g_arr = np.broadcast_to(np.asarray(g, dtype=np.int64), nodes.shape)
        return formulas.gang_rates(
            self.kind[j],
            np.ascontiguousarray(g_arr),
            self.nodes_speed[nodes],
            np.where(g_arr <= self.nodes_member_gpus[nodes], self.nodes_fabric[nodes], self.nodes_span_fabric[nodes]),
            self.step_compute_s[j],
            self.allreduce_bytes[j],
        )

    def checkpoint_interval(self, j: int, n: int, g: int) -> float:
        """The job's interval, or Daly's optimum for the node's failure rate when the job leaves it open."""
        return formulas.checkpoint_interval(self.interval_s[j], self.write_s[j], g, self.rate_sum[n])

    def job_params(self, j: int) -> tuple:
        """Job ``j``'s parameters in :data:`orbitgrid.scheduling.formulas.JOB_FIELDS` order."""
        return (
            self.kind[j],
            self.work[j] - self.done[j],
            self.done[j],
            self.step_compute_s[j],
            self.allreduce_bytes[j],
            self.restore_s[j],
            self.write_s[j],
            self.interval_s[j],
            self.config.batch_item_s,
        )

    def run_windows(self, j: int, nodes: np.ndarray, g: np.ndarray, t: float) -> tuple[int, np.ndarray]:
        """The steps ``[k0, k1[i])`` job ``j`` started at ``t`` on ``g[i]`` GPUs of ``nodes[i]`` must keep them."""
        k0, k1 = formulas.node_windows(
            np.ascontiguousarray(g, dtype=np.int64),
            nodes.astype(np.int64),
            t,
            self.job_params(j),
            self._node_params,
            self.step_s,
            self.n_steps,
        )
        return int(k0), k1

    def window_min_usable(self, nodes: np.ndarray, k0: int, k1: np.ndarray) -> np.ndarray:
        """The least usable GPUs of each node over steps ``[k0, k1)`` (``k1 > k0``, per node)."""
        return self.windows.min_usable(nodes, k0, k1)

    def first_window_fit(self, nodes: np.ndarray, k0: int, k1: np.ndarray, needed: np.ndarray) -> int:
        """The first ``i`` whose node keeps at least ``needed[i]`` usable GPUs over steps ``[k0, k1[i])``, or -1."""
        return self.windows.first_fit(nodes, k0, k1, needed)

    def next_rate_scale_above(self, nodes: np.ndarray, k0: int, threshold: float) -> np.ndarray:
        """The first step ``>= k0`` at which each node's fault-rate scale exceeds ``threshold`` (or is NaN); the
        number of steps when there is none (or the fleet has no rate scale)."""
        if self.fleet.rate_scale is None:
            return np.full(nodes.size, self.n_steps, dtype=np.int64)
        return self.windows.scale_above(threshold)[nodes, k0]

    def _search_fleet(self, saa_threshold: float) -> tuple:
        """The fleet tuple of the compiled power-aware test (``placement.search``)."""
        use_scale = self.fleet.rate_scale is not None
        return (
            self._node_params,
            self.busy,
            self.fleet.usable_gpus,
            self.windows.blocks,
            self.windows.scale_above(saa_threshold) if use_scale else _NO_SCALE,
            use_scale,
            self.step_s,
            self.n_steps,
        )

    def _batch_gpus(self, j: int, free: int) -> int:
        """GPUs a divisible job takes on a node with ``free`` entirely free GPUs: as many as it may use, at least one
        (a fractional pod takes its share of a GPU other pods already use, with no GPU entirely free)."""
        return max(1, min(self.gpus[j], free))

    def power_aware_safe(self, j: int, n: int, t: float, saa_threshold: float) -> bool:
        """The power-aware test (``placement.safe``) for job ``j`` started at ``t`` on node ``n``."""
        g = self._batch_gpus(j, int(self.free_arr[n])) if self.kind[j] == _BATCH else self.gpus[j]
        return bool(placement_safe(n, g, t, self.job_params(j), self._search_fleet(saa_threshold)))

    def power_aware_best_fit(
        self, j: int, nodes: np.ndarray, g_min: int, exclude: int, t: float, saa_threshold: float
    ) -> int:
        """The first of ``nodes`` (ascending int64 indices) in best-fit order that passes the power-aware test
        for job ``j`` at ``t``, compiled; ``placement.NO_CANDIDATE`` or ``REFUSED``."""
        fleet = self._search_fleet(saa_threshold)
        sub = np.zeros(len(self.nodes), dtype=bool)
        sub[nodes] = True
        index = self.node_state.free_index.arrays
        return int(
            placement_search(
                index, mask_bits(sub), self.free_arr, g_min, self.gpus[j], exclude, t, self.job_params(j), fleet
            )
        )

    def expected_end(self, j: int) -> float:
        return self.end_est[j]

    def _restart_limit(self, j: int) -> float:
        own = self.max_restarts[j]
        if own >= 0:
            return own
        return math.inf if self.config.max_restarts is None else self.config.max_restarts

    def effective_contract(self, j: int) -> int:
        """The job's contract class as the policy sees it now (e.g. reserved beyond the tenant's quota is on-demand)."""
        pol = self.policy
        f = getattr(pol, "effective_contract", None) or getattr(getattr(pol, "base", None), "effective_contract", None)
        return int(f(self, j)) if f is not None else self.contract[j]

    def _is_preemptible(self, j: int) -> bool:
        return self.evictable[j]

    def _unsaved(self, j: int, t: float) -> float:
        seg = self.seg[j]
        return 0.0 if seg is None else seg.progress(t) - seg.saved(t)

    # ------------------------------------------------------------------------------------------ job actions ---
    def _take(self, j: int, n: int, g: int, t: float) -> None:
        """Job ``j`` holds ``g`` more GPUs of node ``n`` (negative: releases them)."""
        self.node_state.take(n, g)
        self.tenant_busy[self.tenant[j]] += g
        if self._is_preemptible(j):
            self.preemptible_busy[self.contract[j]] += g
        self.records.busy(t, n, g)

    def start(self, j: int, n: int, t: float, g: int | None = None) -> None:
        g = self.gpus[j] if g is None else g
        sh = self.sharing
        if sh is None:
            if g > self.free(n) or g < 1:
                raise RuntimeError(f"policy placed job {j} ({g} GPUs) on node {n} with {self.free(n)} free")
            opened = g
        else:
            if g < 1 or not sh.fits(j, n, g, self.free(n)):
                raise RuntimeError(f"policy placed job {j} ({g} GPUs) on node {n}, where it does not fit")
            opened = sh.start(j, n, g)
        self.state[j] = RUNNING
        self.node_of[j] = n
        self.alloc[j] = g
        self.running[n].append(j)
        self._take(j, n, opened, t)
        if math.isnan(self.first_start[j]):
            self.first_start[j] = t
        restore = 0.0 if self.done[j] == 0.0 else self.restore_s[j]
        if self.links is not None:
            up = self.upload_time_s(j, n, t)
            if up > 0.0:
                self.upload_s[j] += up
                restore += up
            self.data_node[j] = n
        self._new_segment(j, t, restore=restore)

    def _new_segment(self, j: int, t0: float, restore: float) -> None:
        n, g = self.node_of[j], self.alloc[j]
        saves = self.kind[j] == _TRAINING
        tau = self.checkpoint_interval(j, n, g) if saves else math.inf
        self.tau[j] = tau
        seg = Segment(t0, self.rate(j, n, g), tau, self.write_s[j], restore, saves)
        self.seg[j] = seg
        self.seg_start[j] = t0
        self.version[j] += 1
        end = seg.finish_time(self.work[j] - self.done[j])
        self.end_est[j] = end
        if end <= self.horizon_s:
            self.q.push(end, _P_COMPLETION, COMPLETION, j, self.version[j])

    def _close_segment(self, j: int, t: float, kept: float, outcome: int) -> None:
        """Account the segment ending at ``t``: ``kept`` work is added to the job's saved work."""
        seg = self.seg[j]
        assert seg is not None
        n, g_int = self.node_of[j], self.alloc[j]
        # a fractional pod holds its share of one GPU: GPU-seconds and energy count that share
        g = g_int * self.sharing.share[j] if self.sharing is not None else g_int
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
        self.records.placements.append((j, n, start, t, g_int, outcome, max(progress - kept, 0.0)))

    def _release(self, j: int, t: float) -> None:
        n, g = self.node_of[j], self.alloc[j]
        self.running[n].remove(j)
        self._take(j, n, -(g if self.sharing is None else self.sharing.release(j, n)), t)
        self.alloc[j] = 0
        self.seg[j] = None
        self.version[j] += 1
        self._dirty = True

    def _requeue(self, j: int, t: float, fault: bool = False) -> None:
        self.restarts[j] += 1
        self.fault_restarts[j] += int(fault)
        if self.fault_restarts[j] > self._restart_limit(j):
            self._fail(j, t, f"more than {self._restart_limit(j):.0f} restarts")
            return
        self._enqueue(j)

    def _fail(self, j: int, t: float, reason: str) -> None:
        self.state[j] = FAILED
        self.end[j] = t
        self.failure_reason[j] = reason

    def _class_of(self, j: int) -> tuple[int, int, int, int, int]:
        g_min = 1 if self.kind[j] == _BATCH else self.gpus[j]
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
        if self.kind[j] == _BATCH:
            kept = max(seg.progress(t) - self._batch_item_loss(j, seg, t), 0.0) if outcome == FAULT_OUT else kept
        self._close_segment(j, t, kept, outcome)
        self._release(j, t)
        if outcome == PREEMPTED_OUT:
            self.preemptions[j] += 1
        if self.kind[j] == _INFERENCE and self.done[j] >= self.work[j]:
            self._complete(j, t)
        else:
            self._requeue(j, t, fault=outcome == FAULT_OUT)

    def _batch_item_loss(self, j: int, seg: Segment, t: float) -> float:
        per_gpu = seg.rate / max(self.alloc[j], 1)
        return min(seg.progress(t), per_gpu * self.config.batch_item_s)

    def _complete(self, j: int, t: float) -> None:
        self.state[j] = COMPLETED
        self.end[j] = t

    def _shed(self, n: int, t: float, outcome: int, predictable: bool) -> None:
        """Fit node ``n``'s busy GPUs into its capacity: evict non-divisible jobs (lowest class, least unsaved work
        first) only while shrinking the divisible batch jobs cannot absorb the excess, then shrink (or evict) those.
        Shrinking loses nothing (batch items are saved as they finish); an eviction loses unsaved work."""
        cap = self._cap(n)
        victims = sorted(self.running[n], key=lambda j: (-self.contract[j], self._unsaved(j, t), j))
        batch = [j for j in victims if self.kind[j] == _BATCH]
        shrinkable = sum(self.alloc[j] - 1 for j in batch)
        for j in victims:
            if self.kind[j] == _BATCH:
                continue
            excess = int(self.busy[n]) - cap
            if excess <= 0 or excess <= shrinkable:
                break
            self.evict(j, t, outcome, predictable)
        for j in batch:
            excess = int(self.busy[n]) - cap
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
        self._close_segment(j, t, seg.progress(t), outcome=CAPACITY_OUT)
        freed = self.alloc[j] - g_new if self.sharing is None else self.sharing.shrink(j, n, g_new)
        self._take(j, n, -freed, t)
        self.alloc[j] = g_new
        self._new_segment(j, t, restore=0.0)

    def _rollback(self, j: int, t: float, delay: float) -> None:
        """Roll job ``j`` back to its last saved work and restart on the same GPUs after ``delay``."""
        seg = self.seg[j]
        assert seg is not None
        if self.kind[j] == _INFERENCE:
            kept = seg.progress(t)
        elif self.kind[j] == _BATCH:
            kept = max(seg.progress(t) - self._batch_item_loss(j, seg, t), 0.0)
        else:
            kept = seg.saved(t)
        self._close_segment(j, t, kept, FAULT_OUT)
        self.restarts[j] += 1
        self.fault_restarts[j] += 1
        if self.fault_restarts[j] > self._restart_limit(j):
            self._release(j, t)
            self._fail(j, t, f"more than {self._restart_limit(j):.0f} restarts")
            return
        restore = self.restore_s[j] if self.kind[j] == _TRAINING else 0.0
        self._new_segment(j, t + delay, restore=restore)
        self.seg_start[j] = t  # the recovery time is delivered (held) GPU time too

    # --------------------------------------------------------------------------------------------- handlers ---
    def _on_arrival(self, j: int, t: float) -> None:
        key = self._mask_key[j]
        sh = self.sharing
        cpu, mem = (sh.cpu[j], sh.mem[j]) if sh is not None else (0, 0.0)
        divisible = self.kind[j] == _BATCH
        ck = (key, self.gpus[j], divisible, cpu, mem)
        if ck not in self._never_fits:
            placement, model = key
            kind = {int(Placement.ORBIT): "orbital nodes", int(Placement.GROUND): "ground nodes"}.get(
                placement, "nodes"
            )
            where = f"{kind} with GPU model {self.jobs.gpu_models[model]}" if model >= 0 else kind
            nodes = self.nodes
            self._never_fits[ck] = never_fits_reason(
                self.gpus[j], divisible, cpu, mem, self.mask(j), nodes.gpus, nodes.cpu_milli, nodes.memory_mib, where
            )
        reason = self._never_fits[ck]
        if reason is not None:
            self._fail(j, t, reason)
            return
        self._enqueue(j)

    def _on_completion(self, j: int, version: int, t: float) -> None:
        if version != self.version[j] or self.state[j] != RUNNING:
            return
        remaining = self.work[j] - self.done[j]
        self._close_segment(j, t, remaining, COMPLETED_OUT)
        self.done[j] = self.work[j]
        self._release(j, t)
        self._complete(j, t)

    def _on_capacity_block(self, nodes: np.ndarray, usable: np.ndarray, t: float) -> None:
        """The capacity timeline moves every node of ``nodes`` (distinct, ascending) to ``usable`` GPUs at ``t``:
        nodes left with more busy than usable GPUs shed work, in node order."""
        if self.node_state.set_usable(nodes, usable):
            self._dirty = True
        free = self.free_arr
        over = nodes[free[nodes] < 0]  # busy > new capacity
        for n in over.tolist():
            self._shed(n, t, CAPACITY_OUT, predictable=True)

    def _alive_changed(self, n: int, alive: int, t: float) -> None:
        """Node ``n`` has ``alive`` GPUs in service from ``t``: recorded, and its fault clocks redrawn."""
        self.node_state.set_alive(n, alive)
        self.records.alive.append((t, n, alive))

    def _redraw_faults(self, n: int, t: float) -> None:
        alive = int(self.node_state.alive[n])
        for c in (SDC, INTERRUPT, PERMANENT):  # alive count changed: redraw (memoryless, exact)
            self.fault_clocks.schedule(n, c, alive, t)

    def _on_fault(self, n: int, payload: int, t: float) -> None:
        cause = self.fault_clocks.cause_of(n, payload)
        if cause < 0:
            return
        alive = int(self.node_state.alive[n])
        slot = int(self.rng.integers(alive)) if alive > 0 else 0
        hit = -1
        acc = 0
        if self.sharing is not None:  # the job holding that GPU (the first placed of the pods sharing it)
            hit = self.sharing.job_on_gpu(slot, self.running[n])
        else:
            for j in self.running[n]:
                acc += self.alloc[j]
                if slot < acc:
                    hit = j
                    break
        lost_before = self.lost[hit] if hit >= 0 else 0.0
        fate = -1
        if cause == PERMANENT:
            self._alive_changed(n, alive - 1, t)
            fate = self.maintenance.fail(n, slot, t)
            if hit >= 0:
                self.evict(hit, t, FAULT_OUT)
            if self.busy[n] > self._cap(n):
                self._shed(n, t, CAPACITY_OUT, predictable=False)
            self._redraw_faults(n, t)
        else:
            if hit >= 0:
                self._rollback(hit, t, delay=self.recovery[n] if cause == INTERRUPT else 0.0)
            self.fault_clocks.schedule(n, cause, alive, t)
        lost = (self.lost[hit] - lost_before) if hit >= 0 else 0.0
        self.records.faults.append((t, n, cause, hit, lost, fate))

    def _on_return(self, n: int, payload: int, t: float) -> None:
        """A repaired GPU, or a spare swapped in, enters service on node ``n``."""
        fate = self.maintenance.returned(n, payload)
        self._alive_changed(n, int(self.node_state.alive[n]) + 1, t)
        self._dirty = True
        self._redraw_faults(n, t)
        if fate == REPAIR:
            self.maintenance.repair_done(n, t)

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
        index = self.node_state.free_index.arrays
        max_free_cache: dict[tuple[int, int], int] = {}

        def max_free(mask_key: tuple[int, int], m: np.ndarray) -> int:
            mf = max_free_cache.get(mask_key)
            if mf is None:
                mf = max_free_cache[mask_key] = int(index_max_free(index, self._bits(mask_key, m), self.free_arr))
            return mf

        if index[2][0] == len(self.nodes) and not policy.preempt:  # every node at level 0: none has a GPU free
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
                if self.kind[j] == _BATCH and idx + 1 < len(lst):
                    heapq.heappush(heads, (policy.key(self, lst[idx + 1][1]), idx + 1, ck))
                continue
            g_min = ck[4]
            mkey = (ck[2], ck[3])
            m = self.mask_now(j)
            placed = False
            mf = max_free(mkey, m)
            fits = mf >= g_min
            n = -1
            special = self.sharing is not None and self.sharing.special[j]
            if special:  # a fractional pod may fit beside others on a GPU; CPU and memory are checked per node
                fits = True
                n = self._share_search(j, mkey, m, g_min, mf, reserved, t)
            elif fits and search is not None:
                n = self._search(j, mkey, m, mf, g_min, reserved, t, search)
                if n == REFUSED:
                    self._wake((math.floor(t / self.step_s) + 1) * self.step_s)
            elif fits:
                cand = np.flatnonzero(m & (self.free_arr >= g_min))
                if g_min < self.gpus[j] and cand.size:
                    whole = cand[self.free_arr[cand] >= self.gpus[j]]
                    # a divisible job runs on fewer GPUs only when no node can hold all it asks, and then on a node
                    # giving it the most GPUs (placement.search)
                    cand = whole if whole.size else cand[self.free_arr[cand] == self.free_arr[cand].max()]
                if reserved is not None:
                    cand = self._respect_reservation(j, cand, reserved, t)
                if cand.size:
                    chosen = policy.choose_node(self, j, cand, t)
                    if chosen is None:
                        # refused by the policy (power-aware: the timeline); its answer can only change at a step
                        self._wake((math.floor(t / self.step_s) + 1) * self.step_s)
                    else:
                        n = int(chosen)
            if n >= 0:
                g = self._batch_gpus(j, self.free(n)) if self.kind[j] == _BATCH else self.gpus[j]
                if reserved is not None and n == reserved[0] and self._backfill_end(j, n, t) > reserved[1]:
                    reserved = (n, reserved[1], reserved[2] - g)  # it holds spare GPUs past the shadow
                del lst[idx]
                self.n_queued -= 1
                self.start(j, n, t, g)
                max_free_cache.clear()
                placed = True
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
            need = min(g_req, mf) if g_min < g_req else g_min
            if (
                m[node]
                and self.free_arr[node] >= need
                and not (g_req <= reserved[2] or self._backfill_end(j, node, t) <= reserved[1])
            ):
                exclude = node
        bits = self._bits(mkey, m)
        index = self.node_state.free_index.arrays
        if search == "best-fit":
            return int(placement_best_fit(index, bits, self.free_arr, g_min, g_req, exclude))
        saa_threshold = self.policy.saa_threshold  # type: ignore[attr-defined]
        job, fleet = self.job_params(j), self._search_fleet(saa_threshold)
        return int(placement_search(index, bits, self.free_arr, g_min, g_req, exclude, t, job, fleet))

    def _bits(self, mkey: tuple[int, int], m: np.ndarray) -> np.ndarray:
        """The nodes of mask ``m`` (``mask_now`` of mask key ``mkey``) as a bitset (built once per key and link
        step)."""
        bits = self._mask_bits.get(mkey)
        if bits is None:
            bits = self._mask_bits[mkey] = mask_bits(m)
        return bits

    def _share_search(
        self,
        j: int,
        mkey: tuple[int, int],
        m: np.ndarray,
        g_min: int,
        mf: int,
        reserved: tuple[int, float, int] | None,
        t: float,
    ) -> int:
        """The node for a job that shares a GPU or asks for CPU or memory (``sharing.engine_best_fit``: the least
        weighted CPU + GPU leftover), or -1. A divisible job takes its whole request where one node holds it, else
        the most GPUs one node gives. The node an EASY reservation protects is left out unless the job fits beside
        the reserved gang or ends before its shadow. (The power-aware test is not applied on this path.)"""
        sh = self.sharing
        assert sh is not None
        nodes = self._mask_nodes.get(mkey)
        if nodes is None:
            nodes = self._mask_nodes[mkey] = np.flatnonzero(m).astype(np.int64)
        g_req = self.gpus[j]
        exclude = -1
        if reserved is not None and reserved[0] >= 0:
            node = reserved[0]
            if not (g_req <= reserved[2] or self._backfill_end(j, node, t) <= reserved[1]):
                exclude = node
        n = sh.best_node(j, nodes, g_req, self.free_arr, exclude)
        g = min(g_req, mf)
        while n < 0 and g_min <= g < g_req:  # divisible: the most GPUs any one node gives
            n = sh.best_node(j, nodes, g, self.free_arr, exclude)
            g -= 1
        return n

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
        g = self._batch_gpus(j, self.free(n)) if self.kind[j] == _BATCH else self.gpus[j]
        restore = 0.0 if self.done[j] == 0.0 else self.restore_s[j]
        rate = self.rate(j, n, g)
        if self.kind[j] != _TRAINING or rate <= 0.0:
            return t + restore + (self.work[j] - self.done[j]) / max(rate, formulas.MIN_RATE)
        tau = self.checkpoint_interval(j, n, g)
        seg = Segment(t, rate, tau, self.write_s[j], restore, True)
        return seg.finish_time(self.work[j] - self.done[j])

    def _wake(self, t_wake: float) -> None:
        """Make sure a dispatch runs at ``t_wake`` (one pending wake-up at a time: a later request waits for it)."""
        if t_wake >= self.horizon_s or self.now < self._wake_at <= t_wake:
            return
        self._wake_at = t_wake
        self.q.push(t_wake, _P_RESUME, WAKE)

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
        for n in np.flatnonzero(m & (self.free_arr + self.busy >= g) & (self.free_arr < g)).tolist():
            victims = [
                r
                for r in self.running[n]
                if self.contract[r] > c
                and self._is_preemptible(r)
                and r not in spared
                and (self.sharing is None or self.sharing.share[r] == 1.0)  # evicting a pod may free no GPU
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
        if self.sharing is not None and self.sharing.special[j]:
            return False  # evictions free whole GPUs; a pod's share, CPU and memory are not searched for here
        found = self._preemption_victims(j, t)
        if found is None:
            return False
        n, chosen = found
        del lst[idx]
        self.n_queued -= 1
        for r in chosen:
            self.evict(r, t, PREEMPTED_OUT)
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
                self.q.push(ts, _P_ARRIVAL, ARRIVAL, j, 0)
        alive = self.node_state.alive.tolist()
        for n in range(len(self.nodes)):
            for c in range(len(FAULT_CAUSES)):
                self.fault_clocks.schedule(n, c, alive[n], 0.0)
        if self.links is not None:  # reachability changes at link steps: queued jobs may start there
            for step in range(1, self.links.n_steps):
                if step * self.links.step_s < self.horizon_s:
                    self.q.push(step * self.links.step_s, _P_RESUME, WAKE)
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
                if kind == ARRIVAL:
                    self._on_arrival(a, t)
                elif kind == COMPLETION:
                    self._on_completion(a, b, t)
                elif kind == FAULT:
                    self._on_fault(a, b, t)
                elif kind == RETURN:
                    self._on_return(a, b, t)
                else:  # WAKE: only a dispatch is due
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
        pl = self.records.placements
        for n in range(len(self.nodes)):
            for j in list(self.running[n]):
                seg = self.seg[j]
                assert seg is not None
                kept = seg.progress(horizon) if self.kind[j] != _TRAINING else seg.saved(horizon)
                self._close_segment(j, horizon, kept, HORIZON_OUT)
                # the job is still running at the horizon: its unsaved progress is not lost yet
                self.lost[j] -= max(seg.progress(horizon) - kept, 0.0)
                pl[-1] = (*pl[-1][:6], 0.0)

    def _result(self, events: int) -> EngineResult:
        rec = self.records
        maintenance = self.maintenance.counts()
        maintenance["capacity_lost_gpu_s"] = rec.capacity_lost_gpu_s(
            self.installed, self.fleet.usable_gpus, self.step_s, self.horizon_s
        )
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
            placements=rec.placements_array(),
            faults=rec.faults_array(),
            busy_changes=rec.busy_array(),
            events=events,
            failure_reason=dict(self.failure_reason),
            maintenance=maintenance,
            alive_changes=rec.alive_array(),
        )
