"""The engine driven incrementally: jobs and tenants added while it runs, cancellations, a record of what happened
to each job, quotas with cohorts, and a look-ahead copy (the live service's scheduler, ARCHITECTURE.md §6).

:class:`LiveEngine` is :class:`~orbitgrid.scheduling.engine.Engine` with a growing job table. A driver advances
it with :meth:`~orbitgrid.scheduling.engine.Engine.run_until` and adds a job with :meth:`LiveEngine.add_job` at the
instant it stopped at; the same calls in the same order give the same state (the engine is a pure function of its
inputs and seed), which is how the service rebuilds its scheduler from the database after a crash. Adding every job
of a batch workload at its submit time reproduces the batch run exactly (tested).

What happens to each job is recorded as :class:`JobEvent` rows (placed, resumed, interrupted by a fault, preempted
by whom and why, evicted by a capacity drop, checkpointed, completed, failed, cancelled) and every closed run of a
job on a node as a :class:`Run` (the metering unit).

Quotas follow Kueue's cohort model (ClusterQueue ``nominalQuota``, ``borrowingLimit``, ``lendingLimit``;
kubernetes-sigs/kueue, docs "Cohort"): a tenant may hold up to its nominal GPUs; beyond that it borrows unused
nominal GPUs of the other members of its cohort, at most ``borrowing_limit`` in all, and a member lends at most
``lending_limit`` of its unused nominal GPUs. As in Kueue, the cohort never holds more than its members' lendable
GPUs beyond their guaranteed parts (nominal less lending limit). A member that needs its lent-out nominal GPUs back
reclaims them by preemption, as Kueue's ``reclaimWithinCohort: Any`` does: when a queued job of a tenant that would
stay within its nominal quota is refused only because the cohort's members borrow, running jobs of the borrowing
members are evicted (on the node where the fewest must go, lowest priority first, then the most recently started;
never below a member's own nominal quota) and the job starts at once (``LiveEngine._reclaim``;
``CohortQuotas.reclaim`` off: the lender waits for the borrowers' jobs to end). Reserved-contract jobs also stay
within the tenant's reserved GPUs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from orbitgrid.fleet.nodes import FAULT_CAUSES, FleetTimeline, NodeKind
from orbitgrid.scheduling.engine import (
    FAILED,
    OUTCOMES,
    PENDING,
    QUEUED,
    RUNNING,
    STATE_NAMES,
    Engine,
    EngineConfig,
)
from orbitgrid.scheduling.events import ARRIVAL, WAKE, Priority
from orbitgrid.scheduling.metrics import CAPACITY_OUT, FAULT_OUT, PREEMPTED_OUT
from orbitgrid.workloads.jobs import _COLUMNS, Contract, JobKind, JobTable, Workload

#: A job cancelled by its tenant (a state beyond the engine's batch states).
CANCELLED = 4
LIVE_STATE_NAMES = {**STATE_NAMES, CANCELLED: "cancelled", PENDING: "submitted"}
#: Outcome code of a run ended by a cancellation (after the engine's :data:`OUTCOMES`).
CANCELLED_OUT = len(OUTCOMES)
RUN_OUTCOMES = (*OUTCOMES, "cancelled")


class JobColumns:
    """A job table that grows: the columns the engine and the policies index (``jobs.<column>[j]``) as numpy
    buffers with spare room (doubling), the tenants and GPU models as growing lists."""

    def __init__(self, tenants: list[str], gpu_models: list[str]) -> None:
        self.n = 0
        self.tenants = tenants
        self.gpu_models = gpu_models
        self.job_id: list[str] = []
        self._cap = 0
        self._grow(64)

    def _grow(self, cap: int) -> None:
        for name, (dtype, default) in (*_COLUMNS.items(), ("gpu_model", ("int32", -1))):
            buf = np.full(cap, default, dtype=dtype)
            if self._cap:
                buf[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, buf)
        self._cap = cap

    def __len__(self) -> int:
        return self.n

    def append(self, job_id: str, row: dict[str, float | int | bool]) -> int:
        if self.n == self._cap:
            self._grow(2 * self._cap)
        j = self.n
        for name, value in row.items():
            getattr(self, name)[j] = value
        self.job_id.append(job_id)
        self.n += 1
        return j


@dataclass(frozen=True)
class JobEvent:
    """Something that happened to a job: ``kind`` in placed, resumed, checkpointed, interrupted, preempted, evicted,
    completed, failed, cancelled; ``node`` (-1 when none); ``detail`` a plain dict (culprit, reason, cause)."""

    t_s: float
    job: int
    kind: str
    node: int
    detail: dict


@dataclass(frozen=True)
class Run:
    """A closed run of a job on one node: ``gpus`` held from ``start_s`` to ``end_s``; ``outcome`` in
    :data:`RUN_OUTCOMES`."""

    job: int
    node: int
    gpus: int
    start_s: float
    end_s: float
    outcome: str


@dataclass
class Quota:
    """A tenant's limits (``None``: unlimited): ``nominal_gpus`` held at once, ``borrowing_limit_gpus`` beyond its
    nominal from its cohort, ``lending_limit_gpus`` of its unused nominal lent to the cohort, ``reserved_gpus`` for
    reserved-contract jobs (its active reserved contracts)."""

    cohort: str | None = None
    nominal_gpus: int | None = None
    borrowing_limit_gpus: int | None = None
    lending_limit_gpus: int | None = None
    reserved_gpus: int = 0

    def __setattr__(self, name: str, value: object) -> None:
        _edited()  # the cohorts computed from the quotas are recomputed (CohortQuotas.cohorts)
        object.__setattr__(self, name, value)


#: Changes to any quota or quota mapping so far (what CohortQuotas.cohorts was computed at is compared with it).
_quota_edits = 0


class _QuotaMap(dict[int, Quota]):
    """The tenants' quotas: a change to the mapping counts as a change of a quota (``_quota_edits``)."""

    def __setitem__(self, k: int, v: Quota) -> None:
        _edited()
        super().__setitem__(k, v)

    def __delitem__(self, k: int) -> None:
        _edited()
        super().__delitem__(k)

    def setdefault(self, k: int, v: Quota) -> Quota:
        _edited()
        return super().setdefault(k, v)

    def pop(self, *a: Any) -> Any:
        _edited()
        return super().pop(*a)

    def popitem(self) -> tuple[int, Quota]:
        _edited()
        return super().popitem()

    def clear(self) -> None:
        _edited()
        super().clear()

    def update(self, *a: Any, **kw: Any) -> None:
        _edited()
        super().update(*a, **kw)


def _edited() -> None:
    global _quota_edits
    _quota_edits += 1


@dataclass
class _Cohort:
    """A cohort's members with a nominal quota, in the quotas' order: ``(tenant, nominal, guaranteed, quota)``
    (guaranteed: nominal less what it lends; quota: the member's :class:`Quota`), and ``size``, the sum of what they
    lend (the shared pool)."""

    members: list[tuple[int, int, int, Quota]]
    size: int


class CohortQuotas:
    """Wraps a policy with an admission check (``admit``): the tenant's quota within its cohort (module docstring).
    Node choice goes through ``choose_node`` of the wrapped policy (no compiled search, which would skip it)."""

    search = None

    def __init__(self, base: object, reclaim: bool = True) -> None:
        self.base = base
        self._cohorts_at = -1
        self._cohorts: dict[str, _Cohort] = {}
        self.quotas = {}
        # the wrapped policy's order and node choice, called directly (they run for every queued job at every
        # dispatch): key(eng, j), within_key(eng, j), choose_node(eng, j, candidates, t)
        self.key: Callable[[Engine, int], tuple] = base.key  # type: ignore[attr-defined]
        self.within_key: Callable[[Engine, int], tuple] = base.within_key  # type: ignore[attr-defined]
        self.choose_node: Callable[[Engine, int, np.ndarray, float], int | None] = base.choose_node  # type: ignore[attr-defined]
        self.reserved_busy: dict[int, int] = {}
        #: A lender takes its nominal GPUs back from borrowers by preemption (Kueue's ``reclaimWithinCohort: Any``).
        self.reclaim = reclaim

    def __getattr__(self, name: str) -> object:  # name, backfill, preempt, checkpoint_ahead, saa_threshold
        base = self.__dict__.get("base")
        if base is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(base, name)

    @property
    def quotas(self) -> dict[int, Quota]:
        """Per tenant index (a mapping that counts its changes: assign any dict)."""
        return self._quotas

    @quotas.setter
    def quotas(self, value: dict[int, Quota]) -> None:
        _edited()
        self._quotas = value if isinstance(value, _QuotaMap) else _QuotaMap(value)

    def cohorts(self) -> dict[str, _Cohort]:
        """The cohorts and their members with a nominal quota, recomputed when a quota or the mapping changed (a
        quota check looks at one cohort's members, not at every tenant)."""
        if self._cohorts_at != _quota_edits:
            out: dict[str, _Cohort] = {}
            for m, qm in self._quotas.items():
                if qm.cohort is None or qm.nominal_gpus is None:
                    continue
                c = out.setdefault(qm.cohort, _Cohort([], 0))
                lend = _lendable(qm)
                c.members.append((m, qm.nominal_gpus, qm.nominal_gpus - lend, qm))
                c.size += lend
            self._cohorts, self._cohorts_at = out, _quota_edits
        return self._cohorts

    def effective_contract(self, eng: Engine, j: int) -> int:
        return eng.contract[j]

    def borrowable(self, eng: Engine, tenant: int) -> int:
        """The most GPUs ``tenant`` may hold beyond its nominal quota now: the other members' unused nominal GPUs
        within their lending limits, less what the other members already borrow (0 without a cohort)."""
        q = self._quotas.get(tenant)
        if q is None or q.cohort is None:
            return 0
        pool = 0
        borrowed = 0
        c = self.cohorts().get(q.cohort)
        for m, nominal, _, qm in c.members if c is not None else ():
            used = eng.tenant_busy[m]
            if m != tenant:
                unused = max(nominal - used, 0)
                pool += unused if qm.lending_limit_gpus is None else min(unused, qm.lending_limit_gpus)
                borrowed += max(used - nominal, 0)
        return max(pool - borrowed, 0)

    def admit(self, eng: Engine, j: int, t: float) -> bool:
        tenant = eng.tenant[j]
        q = self._quotas.get(tenant)
        if q is None:
            return True
        g = eng.gpus[j] if eng.kind[j] != JobKind.BATCH else 1
        if eng.contract[j] == Contract.RESERVED and self.reserved_busy.get(tenant, 0) + eng.gpus[j] > q.reserved_gpus:
            return False
        if q.nominal_gpus is None:
            return True
        busy = eng.tenant_busy[tenant]
        over = busy + g - q.nominal_gpus
        if q.cohort is None:
            return over <= 0
        if over > 0 and q.borrowing_limit_gpus is not None and over > q.borrowing_limit_gpus:
            return False
        # the cohort's shared pool holds every member's lendable GPUs; a member's use beyond its guaranteed part
        # (nominal - lendable) draws on it, its own lendable part included: lent-out nominal quota is not there
        # to take back (Kueue reclaims it by preemption; here the job waits until the borrowers finish)
        used, size = self.pool(eng, q.cohort)
        guaranteed = q.nominal_gpus - _lendable(q)
        return used + max(busy + g - guaranteed, 0) - max(busy - guaranteed, 0) <= size

    def reclaimable(self, eng: Engine, j: int) -> bool:
        """Whether refusing ``j`` takes a lender's own nominal quota: its tenant is in a cohort and would stay within
        its nominal GPUs with it (and, for a reserved job, within its reserved GPUs)."""
        tenant = eng.tenant[j]
        q = self._quotas.get(tenant)
        if q is None or q.cohort is None or q.nominal_gpus is None:
            return False
        g = eng.gpus[j] if eng.kind[j] != JobKind.BATCH else 1
        if eng.contract[j] == Contract.RESERVED and self.reserved_busy.get(tenant, 0) + eng.gpus[j] > q.reserved_gpus:
            return False
        return eng.tenant_busy[tenant] + g <= q.nominal_gpus

    def borrowers(self, eng: Engine, cohort: str, but: int) -> list[int]:
        """The members of ``cohort`` other than ``but`` holding more than their nominal GPUs."""
        c = self.cohorts().get(cohort)
        busy = eng.tenant_busy
        return [m for m, nominal, _, _ in (c.members if c is not None else ()) if m != but and busy[m] > nominal]

    def pool(self, eng: Engine, cohort: str) -> tuple[int, int]:
        """``(held, size)`` of a cohort's shared pool: the members' lendable GPUs (lending limit, else nominal) and
        how many of them members hold beyond their guaranteed parts."""
        c = self.cohorts().get(cohort)
        if c is None:
            return 0, 0
        held = 0
        busy = eng.tenant_busy
        for m, _, guaranteed, _ in c.members:
            b = busy[m] - guaranteed
            if b > 0:
                held += b
        return held, c.size


def _lendable(q: Quota) -> int:
    assert q.nominal_gpus is not None
    return q.nominal_gpus if q.lending_limit_gpus is None else min(q.lending_limit_gpus, q.nominal_gpus)


class LiveEngine(Engine):
    """:class:`Engine` with jobs and tenants added while it runs (module docstring). Build, :meth:`prime`, then
    alternate :meth:`run_until` and :meth:`add_job` / :meth:`cancel`."""

    def __init__(
        self,
        fleet: FleetTimeline,
        policy: object,
        rng: np.random.Generator,
        config: EngineConfig | None = None,
        horizon_s: float | None = None,
    ) -> None:
        self.quota_policy = policy if isinstance(policy, CohortQuotas) else None
        super().__init__(fleet, Workload(JobTable.build(tenants=())), policy, rng, config, horizon_s)  # type: ignore[arg-type]
        self.columns = JobColumns([], [])  # the growing table, typed as such
        self.jobs = self.columns  # type: ignore[assignment]
        self.tenant_busy = []
        self.tenant_used_gpu_s = []
        self.log: list[JobEvent] = []
        self.runs: list[Run] = []
        self._culprit: int = -1
        self._fault: tuple[int, int] | None = None
        self._capacity_from: dict[int, int] = {}
        self.notice: list[float] = []  # per job: notice before a preemption evicts it, s
        self._noticed: set[int] = set()  # jobs told they will be preempted
        self._awaiting: dict[int, tuple[int, list[int], float]] = {}  # preemptor -> (node, victims, deadline)
        self._reclaiming = False  # the culprit is reclaiming its nominal quota (the reason of the eviction)
        #: Called after each recorded event when set: a driver's chance to pause the engine between events (the
        #: live service lets a bulk submission go first). It must not touch the engine.
        self.yield_point: Callable[[], None] | None = None

    # ------------------------------------------------------------------------------------------ additions ---
    def add_tenant(self, name: str) -> int:
        """A new tenant index."""
        self.columns.tenants.append(name)
        self.tenant_busy.append(0)
        self.tenant_used_gpu_s.append(0.0)
        return len(self.jobs.tenants) - 1

    def gpu_model_index(self, model: str | None) -> int:
        """The index of a GPU model name in the job table (added on first use); -1 for any model."""
        if model is None:
            return -1
        models = self.columns.gpu_models
        if model not in models:
            models.append(model)
        return models.index(model)

    def largest_node_gpus(self, placement: int, model: int) -> int:
        """The most GPUs any node that jobs of this placement and GPU model may use has installed (0: none)."""
        self._mask_key.append((placement, model))
        try:
            m = self.mask(len(self._mask_key) - 1)
        finally:
            self._mask_key.pop()
        return int(self.nodes.gpus[m].max()) if m.any() else 0

    def add_job(self, job_id: str, t: float, notice_s: float = 0.0, **row: float | int | bool) -> int:
        """Add a job arriving at ``t`` (not before the instant the engine stopped at); ``row`` holds JobTable
        columns (``kind``, ``tenant``, ``gpus``, ``work_gpu_s`` or ``duration_s``, ``contract``, ...; ``gpu_model``
        an index from :meth:`gpu_model_index`). ``notice_s``: how long before a preemption evicts it the job is
        told (a spot notice; 0: at once). Returns the job's row."""
        if t < self.now:
            raise ValueError(f"job {job_id} arrives at {t} s, before the engine's time {self.now} s")
        unknown = set(row) - set(_COLUMNS) - {"gpu_model"}
        if unknown:
            raise TypeError(f"unknown job columns: {sorted(unknown)}")
        row = {**row, "submit_s": t}
        if row.get("contract", int(Contract.ON_DEMAND)) == Contract.SPOT:
            row["preemptible"] = True
        j = self.columns.append(job_id, row)
        self.job_state.append(self.jobs, j)
        self.notice.append(float(notice_s))
        if t < self.horizon_s:
            self.q.push(t, Priority.ARRIVAL, ARRIVAL, j, 0)
        return j

    def cancel(self, j: int, t: float) -> bool:
        """Cancel job ``j`` at ``t`` (the instant the engine stopped at): a queued job leaves the queue, a running one
        is stopped and its GPUs released. False when it had already finished (completed, failed, cancelled)."""
        state = self.state[j]
        if state in (FAILED, CANCELLED) or state == 2:  # 2: COMPLETED
            return False
        if j in self._awaiting:  # a preemptor waiting out its victims' notice: they keep running
            _, victims, _ = self._awaiting.pop(j)
            self._noticed.difference_update(victims)
        elif state == QUEUED:
            lst = self.queue_classes[self._class_of(j)]
            for i, (_, r) in enumerate(lst):
                if r == j:
                    del lst[i]
                    break
            self.n_queued -= 1
        elif state == RUNNING:
            seg = self.seg[j]
            assert seg is not None
            self._close_segment(
                j, t, seg.saved(t) if self.kind[j] == JobKind.TRAINING else seg.progress(t), CANCELLED_OUT
            )
            self._release(j, t)
            self.q.push(t, Priority.RESUME, WAKE)  # a dispatch at t: the freed GPUs go to the queue
        self.state[j] = CANCELLED
        self.end[j] = t
        self.version[j] += 1
        self._event(t, j, "cancelled", -1, {})
        return True

    # ------------------------------------------------------------------------------------------- recording ---
    def _event(self, t: float, j: int, kind: str, node: int, detail: dict) -> None:
        self.log.append(JobEvent(t, j, kind, node, detail))
        if self.yield_point is not None:
            self.yield_point()

    def _on_arrival(self, j: int, t: float) -> None:
        if self.state[j] == CANCELLED:
            return
        super()._on_arrival(j, t)
        if self.state[j] == FAILED:
            self._event(t, j, "failed", -1, {"reason": self.failure_reason.get(j, "")})
        else:
            self._event(t, j, "queued", -1, {})

    def start(self, j: int, n: int, t: float, g: int | None = None) -> None:
        resumed = self.done[j] > 0.0 or self.restarts[j] > 0
        super().start(j, n, t, g)
        if self.quota_policy is not None and self.contract[j] == Contract.RESERVED:
            rb = self.quota_policy.reserved_busy
            rb[self.tenant[j]] = rb.get(self.tenant[j], 0) + self.alloc[j]
        self._event(t, j, "resumed" if resumed else "placed", n, {"gpus": self.alloc[j]})

    def _release(self, j: int, t: float) -> None:
        if self.quota_policy is not None and self.contract[j] == Contract.RESERVED:
            rb = self.quota_policy.reserved_busy
            rb[self.tenant[j]] = rb.get(self.tenant[j], 0) - self.alloc[j]
        super()._release(j, t)

    def _close_segment(self, j: int, t: float, kept: float, outcome: int) -> None:
        seg = self.seg[j]
        if seg is not None and seg.saves and math.isfinite(seg.tau):
            cycle = seg.tau + seg.delta
            k = 1
            while True:  # the checkpoint writes completed in this segment
                tk = seg.t0 + seg.restore + k * cycle
                if tk > t or seg.rate * seg.tau * k >= self.work[j] - self.done[j]:
                    break
                self._event(tk, j, "checkpointed", self.node_of[j], {"saved_gpu_s": seg.rate * seg.tau * k})
                k += 1
        start = self.seg_start[j]
        super()._close_segment(j, t, kept, outcome)
        name = RUN_OUTCOMES[outcome]
        self.runs.append(Run(j, self.node_of[j], self.alloc[j], start, t, name))
        if outcome == 0:
            self._event(t, j, "completed", self.node_of[j], {})

    def evict(self, j: int, t: float, outcome: int, predictable: bool = False) -> None:
        n = self.node_of[j]
        if outcome == PREEMPTED_OUT:
            detail = self._culprit_detail(j)
            self._event(t, j, "preempted", n, detail)
        elif outcome == CAPACITY_OUT:
            was = self._capacity_from.get(n)
            reason = "the node's usable GPUs dropped"
            if was is not None:
                reason += f" from {was} to {self._cap(n)}"
            kind = "eclipse, battery or heat" if self.orbital[n] else "the site's power cap"
            self._event(t, j, "evicted", n, {"reason": f"{reason} ({kind})"})
        elif outcome == FAULT_OUT:
            self._fault_event(t, j, n)
        super().evict(j, t, outcome, predictable)
        if self.state[j] == FAILED:
            self._event(t, j, "failed", -1, {"reason": self.failure_reason.get(j, "")})

    def _fault_event(self, t: float, j: int, n: int) -> None:
        cause = FAULT_CAUSES[self._fault[1]] if self._fault is not None else "fault"
        where = "radiation upset" if self.nodes.kind[n] == NodeKind.ORBITAL and cause != "permanent" else "failure"
        self._event(t, j, "interrupted", n, {"cause": cause, "reason": f"{cause} ({where}) on one of its GPUs"})

    def _rollback(self, j: int, t: float, delay: float) -> None:
        self._fault_event(t, j, self.node_of[j])
        super()._rollback(j, t, delay)
        if self.state[j] == FAILED:
            self._event(t, j, "failed", -1, {"reason": self.failure_reason.get(j, "")})

    def _on_fault(self, n: int, payload: int, t: float) -> None:
        self._fault = (n, divmod(payload, 1 << 40)[0])
        try:
            super()._on_fault(n, payload, t)
        finally:
            self._fault = None

    def _on_capacity_block(self, nodes: np.ndarray, usable: np.ndarray, t: float) -> None:
        self._capacity_from = {int(n): self._cap(int(n)) for n in nodes.tolist()}
        super()._on_capacity_block(nodes, usable, t)
        self._capacity_from = {}

    def _try_preempt(self, j: int, t: float, lst: list, idx: int) -> bool:
        """The engine's preemption (fewest GPUs freed on one node, lowest class and least unsaved work first), with
        a notice: when a victim's ``notice_s`` is positive the victims are told now (``preemption_notice``) and
        keep running, the preemptor leaves the queue and starts on the node when the longest notice ends."""
        self._culprit = j
        try:
            found = self._preemption_victims(j, t, self._noticed)
            if found is None:
                return False
            n, chosen = found
            del lst[idx]
            self.n_queued -= 1
            notice = max(self.notice[r] for r in chosen)
            if notice <= 0.0:
                for r in chosen:
                    self.evict(r, t, PREEMPTED_OUT)
                self.start(j, n, t)
                return True
            deadline = t + notice
            self._awaiting[j] = (n, chosen, deadline)
            for r in chosen:
                self._noticed.add(r)
                detail = self._culprit_detail(r)
                self._event(t, r, "preemption_notice", n, {**detail, "evicted_at_s": deadline})
            self.q.push(deadline, Priority.RESUME, WAKE)
            return True
        finally:
            self._culprit = -1

    def _culprit_detail(self, j: int) -> dict:
        c = self._culprit
        if c >= 0 and self._reclaiming:
            return {
                "by_job": self.jobs.job_id[c],
                "by_tenant": self.jobs.tenants[self.tenant[c]],
                "reason": (
                    f"its tenant borrowed GPUs of the cohort; a job needed {self.gpus[c]} GPUs of its own tenant's "
                    "nominal quota back (reclaimed)"
                ),
            }
        return {
            "by_job": self.jobs.job_id[c] if c >= 0 else None,
            "by_tenant": self.jobs.tenants[self.tenant[c]] if c >= 0 else None,
            "reason": (
                f"a {Contract(self.contract[c]).name.lower()} job needed {self.gpus[c]} GPUs on this node and "
                f"{Contract(self.contract[j]).name.lower()} jobs are preemptible by it"
                if c >= 0
                else "preempted"
            ),
        }

    def dispatch(self, t: float) -> None:
        """Preemptions whose notice ended are carried out first (victims evicted, their preemptor started, or
        queued again if the node no longer has the GPUs), then the engine's dispatch."""
        if self._awaiting:
            due = sorted((d, j) for j, (_, _, d) in self._awaiting.items() if d <= t)
            for _, j in due:
                n, victims, _ = self._awaiting.pop(j)
                self._culprit = j
                for r in victims:
                    self._noticed.discard(r)
                    if self.state[r] == RUNNING and self.node_of[r] == n:
                        self.evict(r, t, PREEMPTED_OUT, predictable=True)
                self._culprit = -1
                if self.free(n) >= self.gpus[j] and self._cap(n) >= self.gpus[j]:
                    self.start(j, n, t)
                else:
                    self._enqueue(j)
        super().dispatch(t)
        qp = self.quota_policy
        if qp is not None and qp.reclaim and self.n_queued:  # what the quotas still refuse may reclaim lent GPUs
            self._reclaim(qp, t)

    def _reclaim(self, qp: CohortQuotas, t: float) -> None:
        """Kueue's ``reclaimWithinCohort: Any``: for each queue class's first job, in the policy's order, that its
        quota refuses only because other members of its cohort borrow (``CohortQuotas.reclaimable``), the borrowers'
        running jobs are evicted and the job starts at once (it takes the GPUs it reclaimed before the borrowers'
        requeued jobs can borrow them again). The node is the one where the fewest borrowed GPUs must go for the job
        to fit; there the borrowers' jobs go lowest priority first, then the most recently started, then elsewhere
        while the quota still refuses, and never a job of a member back within its own nominal quota. When no node
        can be freed enough, or the quota still refuses, nothing is evicted. An evicted job is queued again with its
        saved work, as after any preemption (``preempted``: by which job of which tenant, and why)."""
        if not qp.cohorts():
            return
        # the heads that may reclaim in this pass: reclaimable now, or of a tenant that borrows now (its own jobs may
        # be evicted below its nominal quota by a reclaim before its turn). No other head can become reclaimable
        # here: only borrowers' jobs are evicted, and only reclaimable heads start (and stay within nominal).
        quotas, busy, key = qp.quotas, self.tenant_busy, self.policy.key
        cands = []
        for ck, lst in self.queue_classes.items():
            if not lst:
                continue
            j = lst[0][1]
            q = quotas.get(ck[0])
            if q is None or q.cohort is None or q.nominal_gpus is None:
                continue
            if busy[ck[0]] > q.nominal_gpus or qp.reclaimable(self, j):
                cands.append((key(self, j), ck))
        heads = sorted(cands)
        for _, ck in heads:
            lst = self.queue_classes[ck]
            if not lst:
                continue
            j = lst[0][1]
            if self.state[j] != QUEUED or not qp.reclaimable(self, j) or qp.admit(self, j, t):
                continue
            cohort = qp.quotas[self.tenant[j]].cohort
            assert cohort is not None
            owners = set(qp.borrowers(self, cohort, self.tenant[j]))
            if owners:
                self._reclaim_for(qp, j, t, owners, lst)

    def _reclaim_for(self, qp: CohortQuotas, j: int, t: float, owners: set[int], lst: list) -> None:
        g = self.gpus[j] if self.kind[j] != JobKind.BATCH else 1
        order = lambda r: (self.priority[r], -self.seg_start[r], r)  # noqa: E731
        # a plan first (nothing evicted unless it works): how much each borrower may give back
        spare = {m: self.tenant_busy[m] - (qp.quotas[m].nominal_gpus or 0) for m in owners}
        best: tuple[int, int, list[int]] | None = None
        for n in np.flatnonzero(self.mask_now(j) & (self.free_arr + self.busy >= g)).tolist():
            free, chosen, left = self.free(n), [], dict(spare)
            for r in sorted((r for r in self.running[n] if self.tenant[r] in owners), key=order):
                if free >= g:
                    break
                if left[self.tenant[r]] > 0 and self._cap(n) >= g:
                    chosen.append(r)
                    left[self.tenant[r]] -= self.alloc[r]
                    free += self.alloc[r]
            if free >= g and self._cap(n) >= g and (best is None or sum(self.alloc[r] for r in chosen) < best[0]):
                best = (sum(self.alloc[r] for r in chosen), n, chosen)
        if best is None:
            return
        _, n, chosen = best
        self._culprit, self._reclaiming = j, True
        try:
            for r in chosen:
                self._noticed.discard(r)
                self.evict(r, t, PREEMPTED_OUT)
            if not qp.admit(self, j, t):  # the pool still refuses: the borrowers' jobs elsewhere, same order
                others = [r for m in range(len(self.running)) for r in self.running[m] if self.tenant[r] in owners]
                for r in sorted(others, key=order):
                    if qp.admit(self, j, t):
                        break
                    nominal = qp.quotas[self.tenant[r]].nominal_gpus or 0
                    if self.tenant_busy[self.tenant[r]] > nominal:
                        self._noticed.discard(r)
                        self.evict(r, t, PREEMPTED_OUT)
        finally:
            self._culprit, self._reclaiming = -1, False
        if qp.admit(self, j, t) and self.free(n) >= g:
            del lst[0]
            self.n_queued -= 1
            self.start(j, n, t, self._batch_gpus(j, self.free(n)) if self.kind[j] == JobKind.BATCH else None)

    # ---------------------------------------------------------------------------------------- look-ahead ---
    def fork(self) -> LiveEngine:
        """A deep copy sharing the read-only fleet and precomputed tables (a look-ahead that changes nothing here;
        its random stream is a copy, so it draws the faults this engine would draw)."""
        memo: dict[int, object] = {
            id(self.fleet): self.fleet,
            id(self.nodes): self.nodes,
            id(self.workload): self.workload,
        }
        # ``_mask_nodes`` is not shared: it holds the nodes reachable at the engine's link step, and a look-ahead
        # running into another step would clear and refill it for that step under the live engine
        shared = [getattr(self, name, None) for name in ("windows", "_masks", "_blk_n", "_blk_u")]
        for v in (*shared, self.fault_clocks._hazard):  # read-only tables (built once)
            if v is not None:
                memo[id(v)] = v
        rec = self.records
        logs: tuple[list, ...] = (rec.placements, rec.faults, rec.busy_t, rec.busy_node, rec.busy_delta)
        for log in (self.log, self.runs, *logs):
            memo[id(log)] = []
        if self.yield_point is not None:  # shared, not copied (a driver's bound method)
            memo[id(self.yield_point)] = self.yield_point
        return copy.deepcopy(self, memo)

    def estimated_starts(self, until_s: float, max_events: int = 200_000) -> dict[int, float]:
        """When each job waiting now (queued or just submitted) would start if nothing else arrived, from a
        look-ahead copy run to ``until_s`` (at most ``max_events`` events); jobs that do not start by then are left
        out."""
        waiting = self.waiting_jobs()
        if not waiting:
            return {}
        return self.fork().starts_of(waiting, until_s, max_events)

    def waiting_jobs(self) -> set[int]:
        """Jobs queued or just submitted (not yet placed)."""
        return set(self.queued_jobs()) | {j for j, s in enumerate(self.state) if s == PENDING}

    def starts_of(self, waiting: set[int], until_s: float, max_events: int = 200_000) -> dict[int, float]:
        """Run this engine (a :meth:`fork`: it changes) ahead to ``until_s``, at most ``max_events`` events, and
        return when each job of ``waiting`` was first placed. A driver forks under its lock and runs this outside
        it, so requests are not held for the look-ahead."""
        out: dict[int, float] = {}
        t = self.now
        seen = len(self.log)
        first = self.events
        while t < until_s and self.events - first < max_events and len(out) < len(waiting):
            t = min(t + 64 * self.step_s, until_s)
            self.run_until(t)
            for ev in self.log[seen:]:
                if ev.job in waiting and ev.kind in ("placed", "resumed") and ev.job not in out:
                    out[ev.job] = ev.t_s
            seen = len(self.log)
        return out
