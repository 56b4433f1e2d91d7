"""Kueue's scheduler performance scenarios replayed through the live service's scheduler on the simulated clock.

Kueue (kubernetes-sigs/kueue) measures its scheduler in CI with generated ClusterQueues and workloads
(``test/performance/scheduler``): ``configs/baseline/generator.yaml`` makes 5 cohorts of 6 ClusterQueues, each with
a nominal quota of 20 units of one resource and a borrowing limit of 100 (preemption ``reclaimWithinCohort: Any``,
``withinClusterQueue: LowerPriority``), and feeds every queue three streams of workloads: 350 *small* (1 unit,
200 ms, priority 50) one every 100 ms, 100 *medium* (5 units, 500 ms, priority 100) one every 500 ms and 50
*large* (20 units, 1 s, priority 200) one every 1.2 s, all streams and queues at once; a workload's first creation
comes one interval after the start of its stream. 15,000 workloads in all. A workload runs for its run time from
its admission. ``configs/baseline/rangespec.yaml`` publishes the averages of 5 runs: 351.1 s of wall time, a mean
time to admission of 6.67 s (large), 76.8 s (medium) and 215.5 s (small), and 58.7 % mean ClusterQueue usage.

Here each ClusterQueue is a tenant of the live engine (:class:`~orbitgrid.scheduling.live.LiveEngine`) whose quota
(:class:`~orbitgrid.scheduling.live.Quota`: cohort, nominal, borrowing and lending limits) the service's admission
check (:class:`~orbitgrid.scheduling.live.CohortQuotas` over the service's ``priority`` policy) enforces; the resource
is GPUs of one ground node holding every nominal quota, so only the quotas bind; a workload is a fixed-duration
gang (the engine's inference kind: it runs for its run time on its GPUs) submitted at its creation instant on the
simulated clock. Reclaiming lent quota by preemption (``reclaimWithinCohort: Any``, the baseline's setting and the
service's) is an option of the replay (``reclaim``; off: a job over its share waits for running jobs to end);
``benchmarks/kueue_replay.py`` runs with it. What Kueue does and this scheduler does not: preemption by priority
within a queue (``withinClusterQueue: LowerPriority``); what this scheduler adds: nothing here is paced by a real
clock, so the replay measures the scheduling decisions alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.scheduling.live import CohortQuotas, LiveEngine, Quota
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import Contract, JobKind, Placement


@dataclass(frozen=True)
class WorkloadClass:
    name: str
    runtime_s: float
    priority: int
    request: int


@dataclass(frozen=True)
class WorkloadSet:
    """``count`` rounds, one every ``interval_s``, each creating one workload of every class in ``classes``."""

    count: int
    interval_s: float
    classes: tuple[WorkloadClass, ...]


@dataclass(frozen=True)
class QueueSet:
    name: str
    count: int
    nominal: int
    borrowing_limit: int | None
    lending_limit: int | None
    sets: tuple[WorkloadSet, ...]


@dataclass(frozen=True)
class CohortSet:
    name: str
    count: int
    queues: tuple[QueueSet, ...]


#: ``configs/baseline/generator.yaml`` (module docstring).
BASELINE = (
    CohortSet(
        "cohort",
        5,
        (
            QueueSet(
                "cq",
                6,
                20,
                100,
                None,
                (
                    WorkloadSet(350, 0.1, (WorkloadClass("small", 0.2, 50, 1),)),
                    WorkloadSet(100, 0.5, (WorkloadClass("medium", 0.5, 100, 5),)),
                    WorkloadSet(50, 1.2, (WorkloadClass("large", 1.0, 200, 20),)),
                ),
            ),
        ),
    ),
)

#: Kueue's published baseline figures (``configs/baseline/rangespec.yaml``: averages of 5 CI runs) and its gates.
KUEUE_BASELINE = {
    "wall_s": 351.1164,
    "wall_gate_s": 425.0,
    "mean_admission_s": {"large": 6.666, "medium": 76.768, "small": 215.468},
    "mean_admission_gate_s": {"large": 11.0, "medium": 90.0, "small": 260.0},
    "cq_usage_pct": 58.7,
    "cq_usage_gate_pct": 55.0,
}


@dataclass
class Workloads:
    """The generated workloads in creation order and the queues (tenants) they go to."""

    t_s: np.ndarray
    queue: np.ndarray
    cls: list[str]
    runtime_s: np.ndarray
    priority: np.ndarray
    request: np.ndarray
    queues: list[str]
    quotas: list[Quota]


def generate(config: tuple[CohortSet, ...]) -> Workloads:
    """Every queue and workload of a generator configuration (module docstring), sorted by creation time (ties in
    generation order)."""
    queues: list[str] = []
    quotas: list[Quota] = []
    rows: list[tuple[float, int, int, str, float, int, int]] = []
    for cs in config:
        for ci in range(cs.count):
            cohort = f"{cs.name}-{ci}"
            for qs in cs.queues:
                for qi in range(qs.count):
                    q = len(queues)
                    queues.append(f"{qs.name}-{qi}-{cohort}")
                    quotas.append(Quota(cohort, qs.nominal, qs.borrowing_limit, qs.lending_limit))
                    for ws in qs.sets:
                        t = 0.0
                        for _ in range(ws.count):
                            for wc in ws.classes:
                                t += ws.interval_s
                                rows.append((t, len(rows), q, wc.name, wc.runtime_s, wc.priority, wc.request))
    rows.sort(key=lambda r: (r[0], r[1]))
    return Workloads(
        t_s=np.array([r[0] for r in rows]),
        queue=np.array([r[2] for r in rows], dtype=np.int64),
        cls=[r[3] for r in rows],
        runtime_s=np.array([r[4] for r in rows]),
        priority=np.array([r[5] for r in rows], dtype=np.int64),
        request=np.array([r[6] for r in rows], dtype=np.int64),
        queues=queues,
        quotas=quotas,
    )


def quota_node(gpus: int, horizon_s: float) -> FleetTimeline:
    """One ground node of ``gpus`` GPUs that never fails or loses capacity over ``horizon_s``."""
    nodes = NodeTable(
        name=np.array(["quota-pool"], dtype=object),
        kind=np.array([NodeKind.GROUND], dtype=np.int8),
        group=np.array(["kueue"], dtype=object),
        gpu_model=np.array(["H100"], dtype=object),
        gpus=np.array([gpus], dtype=np.int32),
        speed=np.ones(1),
        fabric_bytes_s=np.full(1, 50e9),
        power_per_gpu_w=np.full(1, 1000.0),
        base_rate_per_gpu_s=np.zeros((1, 3)),
        recovery_s=np.zeros(1),
        lat_deg=np.zeros(1),
        lon_deg=np.zeros(1),
        altitude_m=np.zeros(1),
        energy_price_usd_per_kwh=np.zeros(1),
    )
    step = 3600.0
    return FleetTimeline(nodes, step, np.full((1, max(1, math.ceil(horizon_s / step))), gpus, dtype=np.int32))


class _Recording(LiveEngine):
    """A live engine that calls ``on_admit(engine, job, t)`` after every start."""

    on_admit: Callable[[LiveEngine, int, float], None] | None = None

    def start(self, j: int, n: int, t: float, g: int | None = None) -> None:
        super().start(j, n, t, g)
        if self.on_admit is not None:
            self.on_admit(self, j, t)


@dataclass
class Replay:
    """What the replay did: per workload its admission delay (creation to start, simulated seconds)."""

    workloads: Workloads
    admitted_after_s: np.ndarray
    makespan_s: float
    wall_s: float
    events: int
    quotas: CohortQuotas
    engine: LiveEngine = field(repr=False)

    def mean_admission_s(self) -> dict[str, float]:
        cls = np.array(self.workloads.cls)
        return {c: float(self.admitted_after_s[cls == c].mean()) for c in dict.fromkeys(self.workloads.cls)}

    def admission_pct_s(self, q: float) -> dict[str, float]:
        cls = np.array(self.workloads.cls)
        return {c: float(np.percentile(self.admitted_after_s[cls == c], q)) for c in dict.fromkeys(self.workloads.cls)}

    def usage_pct(self) -> float:
        """Mean use of the queues' nominal quotas from the first creation to the last end, percent."""
        w = self.workloads
        held = float(np.sum(w.runtime_s * w.request))
        nominal = sum(q.nominal_gpus or 0 for q in w.quotas)
        span = self.makespan_s - float(w.t_s.min())
        return 100.0 * held / (nominal * span)


def replay(
    config: tuple[CohortSet, ...] = BASELINE,
    *,
    on_admit: Callable[[LiveEngine, int, float], None] | None = None,
    seed: int = 0,
    reclaim: bool = False,
) -> Replay:
    """Create every workload of ``config`` at its instant on the simulated clock, as the service's driver adds
    submissions, and run until all have ended. ``reclaim``: a queue within its nominal quota takes lent GPUs back by
    preempting borrowers (Kueue's ``reclaimWithinCohort: Any``, the baseline's setting; the service's default and
    ``benchmarks/kueue_replay.py``'s, whose figures docs/service.md gives); off, it waits for the borrowers' workloads
    to end."""
    w = generate(config)
    total_nominal = sum(q.nominal_gpus or 0 for q in w.quotas)
    work = float(np.sum(w.runtime_s * w.request))
    horizon = float(w.t_s.max()) + 4.0 * work / max(total_nominal, 1) + 3600.0
    wall0 = time.perf_counter()
    quotas = CohortQuotas(make_policy("priority"), reclaim=reclaim)
    eng = _Recording(quota_node(total_nominal, horizon), quotas, np.random.default_rng(seed))
    eng.on_admit = on_admit
    for i, name in enumerate(w.queues):
        eng.add_tenant(name)
        quotas.quotas[i] = w.quotas[i]
    eng.prime()
    kind = int(JobKind.INFERENCE)
    on_demand = int(Contract.ON_DEMAND)
    anywhere = int(Placement.ANY)
    for j in range(w.t_s.size):
        t = float(w.t_s[j])
        eng.run_until(t)
        eng.add_job(
            f"{w.cls[j]}-{j}",
            t,
            kind=kind,
            tenant=int(w.queue[j]),
            gpus=int(w.request[j]),
            duration_s=float(w.runtime_s[j]),
            contract=on_demand,
            placement=anywhere,
            priority=int(w.priority[j]),
            gpu_model=-1,
        )
    step = 60.0
    t = float(w.t_s.max())
    while np.isnan(np.asarray(eng.end[: w.t_s.size])).any():
        t += step
        if t > horizon:
            raise RuntimeError(f"the replay did not finish within {horizon:.0f} simulated seconds")
        eng.run_until(t)
    wall = time.perf_counter() - wall0
    first = np.asarray(eng.first_start[: w.t_s.size], dtype=np.float64)
    end = np.asarray(eng.end[: w.t_s.size], dtype=np.float64)
    return Replay(w, first - w.t_s, float(end.max()), wall, eng.events, quotas, eng)
