"""Partitioned runs: independent groups of nodes (a shell's pools, a ground site) with their own queues, each an
engine run of its own, as tasks on any ``concurrent.futures.Executor`` — a local process pool or a
``dask.distributed`` cluster's executor, the ones the sweeps use (``design.sweep.open_executor``).

What is partitioned. The nodes, by ``NodeTable.group`` (a shell or a ground site) unless other labels are given; the
jobs, by the partitions whose nodes could ever run them (placement, GPU model, and a node with the gang's GPUs
installed; a divisible batch job fits any node of its model). Each partition runs the whole engine — events,
faults, maintenance, checkpoints, the policy — on its nodes and jobs alone; the results are merged back into one
:class:`~orbitgrid.scheduling.metrics.EngineResult` in the fleet's node and job order.

What is approximated at the boundaries:

- a job that several partitions could run is routed before the run to one of them, in proportion to the GPUs each
  has installed (a deterministic low-discrepancy sequence over the jobs in submit order), and never moves: there is
  no global queue that would start it wherever GPUs free up first;
- each partition's policy sees only its own tenants' usage (fair share) and gets the share of a tenant's quota that
  the caller gives it (``policy_factory``'s ``share``, the partition's fraction of the fleet's GPUs in
  ``pipeline.schedule``);
- each partition draws its faults and repairs from its own random stream (``SeedSequence.spawn``), and keeps its own
  dispatch limits (the backfill interval, the blocked-job budget), which a single engine shares between all nodes.

So a partitioned run equals the single-process run job for job when no job could run in two partitions, no policy
state is shared between them, no faults are drawn, and the dispatch limits do not bind
(``tests/scheduling/test_partition.py``); otherwise it is the same model with the approximations above.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from orbitgrid.fleet.maintenance import Maintenance
from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.scheduling.engine import PENDING, Engine, EngineConfig
from orbitgrid.scheduling.metrics import EngineResult
from orbitgrid.workloads.jobs import JobKind, Placement, RequestTable, Workload

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Partition:
    """One partition: its nodes and jobs (ascending indices into the fleet and the job table) and its GPU share."""

    label: str
    nodes: np.ndarray
    jobs: np.ndarray
    share: float


def _eligible(fleet: FleetTimeline, workload: Workload, labels: np.ndarray, names: list[str]) -> np.ndarray:
    """``(n_jobs, n_partitions)`` bool: whether some node of each partition could ever run each job."""
    nodes, jobs = fleet.nodes, workload.jobs
    out = np.zeros((len(jobs), len(names)), dtype=bool)
    models = np.asarray((*jobs.gpu_models, ""), dtype=object)[jobs.gpu_model]
    orbital = nodes.kind == NodeKind.ORBITAL
    for p, name in enumerate(names):
        mine = labels == name
        for model in dict.fromkeys(models.tolist()):
            for placement in (Placement.ANY, Placement.ORBIT, Placement.GROUND):
                sel = (models == model) & (jobs.placement == placement)
                if not sel.any():
                    continue
                m = mine.copy()
                if model:
                    m &= nodes.gpu_model == model
                if placement == Placement.ORBIT:
                    m &= orbital
                elif placement == Placement.GROUND:
                    m &= ~orbital
                biggest = int(nodes.gpus[m].max(initial=0))
                fits = (jobs.gpus <= biggest) | ((jobs.kind == JobKind.BATCH) & (biggest > 0))
                out[:, p] |= sel & fits
    return out


def plan(fleet: FleetTimeline, workload: Workload, labels: Sequence[str] | np.ndarray | None = None) -> list[Partition]:
    """The partitions of ``fleet`` by ``labels`` (one per node; default ``NodeTable.group``) and the jobs routed to
    each (module docstring). A job no partition could run goes to the first one, whose engine reports it as never
    fitting, as a single engine would."""
    lab = np.asarray(fleet.nodes.group if labels is None else labels, dtype=object)
    if lab.shape != (len(fleet.nodes),):
        raise ValueError(f"labels must name a partition for each of the {len(fleet.nodes)} nodes")
    names = list(dict.fromkeys(lab.tolist()))
    gpus = np.array([float(fleet.nodes.gpus[lab == n].sum()) for n in names])
    elig = _eligible(fleet, workload, lab, names)
    n_jobs = elig.shape[0]
    route = np.zeros(n_jobs, dtype=np.int64)
    weights = np.where(elig, gpus[None, :], 0.0)
    total = weights.sum(axis=1)
    many = np.flatnonzero(elig.sum(axis=1) > 1)
    one = np.flatnonzero(elig.sum(axis=1) == 1)
    route[one] = np.argmax(elig[one], axis=1)
    if many.size:
        cum = np.cumsum(weights[many], axis=1) / total[many, None]
        u = np.mod(np.arange(1, many.size + 1) * _GOLDEN, 1.0)
        route[many] = np.minimum((cum <= u[:, None]).sum(axis=1), len(names) - 1)
    share = gpus / gpus.sum() if gpus.sum() > 0 else np.full(len(names), 1.0 / max(len(names), 1))
    return [
        Partition(str(name), np.flatnonzero(lab == name), np.flatnonzero(route == p), float(share[p]))
        for p, name in enumerate(names)
    ]


def _take_nodes(table: NodeTable, rows: np.ndarray) -> NodeTable:
    cols: dict[str, Any] = {
        f.name: (None if getattr(table, f.name) is None else getattr(table, f.name)[rows])
        for f in dataclasses.fields(table)
    }
    return NodeTable(**cols)


def sub_fleet(fleet: FleetTimeline, rows: np.ndarray) -> FleetTimeline:
    """The fleet restricted to nodes ``rows`` (ascending), repair crews renumbered."""
    links = fleet.links
    if links is not None:
        links = dataclasses.replace(
            links,
            ground_latency_s=links.ground_latency_s[rows],
            ground_bandwidth_bps=links.ground_bandwidth_bps[rows],
            user_latency_s=links.user_latency_s[:, rows],
        )
    maint = fleet.maintenance
    if maint is not None:
        crew = maint.crew[rows]
        used = np.unique(crew[crew >= 0])
        renumber = np.full(int(maint.crew.max(initial=-1)) + 2, -1, dtype=np.int64)
        renumber[used] = np.arange(used.size)
        maint = Maintenance(
            repair_s=maint.repair_s[rows],
            crew=np.where(crew >= 0, renumber[crew], -1),
            technicians=maint.technicians[rows],
            members=maint.members[rows],
            spares_per_member=maint.spares_per_member[rows],
            switchover_s=maint.switchover_s[rows],
        )
    scale = None if fleet.rate_scale is None else fleet.rate_scale[rows]
    return FleetTimeline(_take_nodes(fleet.nodes, rows), fleet.step_s, fleet.usable_gpus[rows], scale, links, maint)


def sub_workload(workload: Workload, rows: np.ndarray) -> Workload:
    """The workload restricted to job rows ``rows`` (ascending; the table stays in submit order), with the requests
    of its inference services."""
    jobs = workload.jobs.take(rows)
    requests: RequestTable | None = None
    inference = {}
    if workload.requests is not None:
        where = np.full(len(workload.jobs), -1, dtype=np.int64)
        where[rows] = np.arange(rows.size)
        r = workload.requests
        keep = where[r.service] >= 0
        requests = RequestTable(
            *(
                where[r.service[keep]] if f == "service" else getattr(r, f)[keep]
                for f in RequestTable.__dataclass_fields__
            )
        )
        inference = {int(where[k]): v for k, v in workload.inference.items() if where[k] >= 0}
    return Workload(jobs, requests, workload.tenants, inference)


def run_partition(
    fleet: FleetTimeline,
    workload: Workload,
    policy_factory: Callable[[Workload, float], object],
    share: float,
    seed: np.random.SeedSequence,
    config: EngineConfig | None,
    horizon_s: float | None,
) -> EngineResult:
    """One partition's engine run (a top-level function: it is what an executor's worker calls)."""
    policy = policy_factory(workload, share)
    engine = Engine(fleet, workload, policy, np.random.default_rng(seed), config, horizon_s)  # type: ignore[arg-type]
    return engine.run()


def run_partitioned(
    fleet: FleetTimeline,
    workload: Workload,
    policy_factory: Callable[[Workload, float], object],
    seed: np.random.SeedSequence,
    config: EngineConfig | None = None,
    *,
    partitions: list[Partition] | None = None,
    executor: Executor | None = None,
    horizon_s: float | None = None,
) -> tuple[EngineResult, list[Partition]]:
    """Run every partition (:func:`plan` by default) as its own engine, on ``executor`` (in this process without
    one), and merge the results. ``policy_factory(workload, share)`` builds a partition's policy (top-level, for
    processes and dask); each partition's random stream is one of ``seed.spawn``."""
    parts = plan(fleet, workload) if partitions is None else partitions
    seeds = seed.spawn(len(parts))
    args = [
        (sub_fleet(fleet, p.nodes), sub_workload(workload, p.jobs), policy_factory, p.share, s, config, horizon_s)
        for p, s in zip(parts, seeds, strict=True)
    ]
    if executor is None:
        results = [run_partition(*a) for a in args]
    else:
        results = [f.result() for f in [executor.submit(run_partition, *a) for a in args]]
    return merge(fleet, workload, parts, results), parts


def merge(
    fleet: FleetTimeline, workload: Workload, parts: list[Partition], results: list[EngineResult]
) -> EngineResult:
    """One result in the fleet's node and job order from the partitions' results."""
    n_jobs, n_nodes = len(workload.jobs), len(fleet.nodes)
    first = results[0] if results else None

    def per_job(name: str, fill: float | int) -> np.ndarray:
        dtype = getattr(first, name).dtype if first is not None else np.float64
        out = np.full(n_jobs, fill, dtype=dtype)
        for p, r in zip(parts, results, strict=True):
            out[p.jobs] = getattr(r, name)
        return out

    def logs(name: str, node_key: str, job_key: str | None) -> dict[str, np.ndarray]:
        keys = list(getattr(first, name)) if first is not None else []
        cols: dict[str, list[np.ndarray]] = {k: [] for k in keys}
        for p, r in zip(parts, results, strict=True):
            d = getattr(r, name)
            for k in keys:
                v = d[k]
                if k == node_key:
                    v = p.nodes[v]
                elif k == job_key and p.jobs.size:
                    v = np.where(v >= 0, p.jobs[np.maximum(v, 0)], v)
                cols[k].append(v)
        out = {k: np.concatenate(v) for k, v in cols.items()}
        time_key = "start_s" if "start_s" in out else "t_s"
        if time_key in out:
            order = np.argsort(out[time_key], kind="stable")
            out = {k: v[order] for k, v in out.items()}
        return out

    maintenance: dict[str, np.ndarray] = {}
    for p, r in zip(parts, results, strict=True):
        for k, v in r.maintenance.items():
            if k not in maintenance:
                maintenance[k] = np.zeros(n_nodes, dtype=v.dtype)
            maintenance[k][p.nodes] = v
    reasons: dict[int, str] = {}
    for p, r in zip(parts, results, strict=True):
        reasons.update({int(p.jobs[j]): why for j, why in r.failure_reason.items()})
    node = per_job("node", -1)
    for p, r in zip(parts, results, strict=True):
        node[p.jobs] = np.where(r.node >= 0, p.nodes[np.maximum(r.node, 0)], -1)
    return EngineResult(
        state=per_job("state", PENDING),
        node=node,
        first_start_s=per_job("first_start_s", np.nan),
        end_s=per_job("end_s", np.nan),
        done_work=per_job("done_work", 0.0),
        useful_gpu_s=per_job("useful_gpu_s", 0.0),
        delivered_gpu_s=per_job("delivered_gpu_s", 0.0),
        lost_work=per_job("lost_work", 0.0),
        restarts=per_job("restarts", 0),
        preemptions=per_job("preemptions", 0),
        energy_j=per_job("energy_j", 0.0),
        upload_s=per_job("upload_s", 0.0),
        checkpoint_interval_s=per_job("checkpoint_interval_s", np.nan),
        placements=logs("placements", "node", "job"),
        faults=logs("faults", "node", "job"),
        busy_changes=logs("busy_changes", "node", None),
        events=sum(r.events for r in results),
        failure_reason=reasons,
        maintenance=maintenance,
        alive_changes=logs("alive_changes", "node", None),
    )
