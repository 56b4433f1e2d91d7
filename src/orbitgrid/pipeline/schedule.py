"""Workloads from the scenario, the engine run on the fleet timeline, and the tables and summary it produces.

Inference requests are replayed after the engine (ARCHITECTURE.md §1: load feeds back through a vectorised pass,
not step by step): each service is a pool of ``gpus x max_batch`` sequence slots on the node the engine kept it
on; a request waits for a free slot (and for the service to be up), then takes ``input / prefill`` for its first
token and ``output x TPOT`` to finish. Its time to first token adds the one-way network latency twice:
with a link timeline (the scenario's ``network:`` section), the routed latency from the replica's node to the
request's user location at its arrival; without one, the same link models on their own: ground sites, the fibre
delay of the great-circle distance (``network.routing.fibre_delay_s``: route factor 1.3, group index 1.468, the
routed graph's fibre edges); orbital nodes, light time over the slant range at the Starlink 25 deg elevation mask
(``network.geometry.slant_range_m``, ``network.routing.STARLINK_ELEVATION_MASK_DEG``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.astro.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.fleet.maintenance import FATES
from orbitgrid.fleet.nodes import FAULT_CAUSES, FleetTimeline, NodeKind
from orbitgrid.network.geometry import great_circle_distance_m, slant_range_m
from orbitgrid.network.routing import STARLINK_ELEVATION_MASK_DEG, fibre_delay_s
from orbitgrid.results.run import RunWriter
from orbitgrid.scenario import Scenario
from orbitgrid.scenario.models import GeneratedJobs, InferenceServices, TraceJobs, TrainingJobs
from orbitgrid.scheduling.allocation import COLUMNS as ALLOCATION_COLUMNS
from orbitgrid.scheduling.allocation import RunRequests, allocation_timeline
from orbitgrid.scheduling.engine import COMPLETED, OUTCOMES, STATE_NAMES, Engine, EngineConfig, EngineResult
from orbitgrid.scheduling.inference import serve_fifo_slots
from orbitgrid.scheduling.partition import run_partitioned
from orbitgrid.scheduling.policies import PowerAware, make_policy
from orbitgrid.scheduling.sharing import MILLI
from orbitgrid.workloads.generators import DEFAULT_CHECKPOINT_RULE, generate_training_jobs
from orbitgrid.workloads.jobs import (
    Contract,
    InferenceProfile,
    JobKind,
    JobTable,
    Placement,
    RequestTable,
    Tenant,
    TraceStatus,
    Workload,
)
from orbitgrid.workloads.traces import default_path, load_azure_llm_requests

_CONTRACTS = {"reserved": Contract.RESERVED, "on_demand": Contract.ON_DEMAND, "spot": Contract.SPOT}
_PLACEMENTS = {"any": Placement.ANY, "orbit": Placement.ORBIT, "ground": Placement.GROUND}
KIND_NAMES = {int(JobKind.TRAINING): "training", int(JobKind.BATCH): "batch", int(JobKind.INFERENCE): "inference"}
CONTRACT_NAMES = {int(c): c.name.lower() for c in Contract}


# --------------------------------------------------------------------------------------------------- workload ---
def _piece(
    spec: TrainingJobs | GeneratedJobs | TraceJobs | InferenceServices,
    table: JobTable,
    tenant_contract: Contract,
) -> JobTable:
    """Stamp a piece's tenant, contract, placement, priority, preemption and GPU model onto its rows.

    Traces and generated jobs keep their own per-job contracts (the openb pods' QoS classes, or the mix the
    generator drew from them) unless the workload names one; explicit jobs take the workload's or the tenant's.
    """
    n = len(table)
    if spec.contract:
        contract: np.ndarray | int = int(_CONTRACTS[spec.contract])
    elif isinstance(spec, TraceJobs | GeneratedJobs):
        contract = table.contract
    else:
        contract = int(tenant_contract)
    cols = {name: getattr(table, name) for name in ("kind", "submit_s", "gpus", "work_gpu_s", "duration_s")}
    cols.update(
        {
            name: getattr(table, name)
            for name in (
                "checkpoint_interval_s",
                "checkpoint_write_s",
                "restore_s",
                "checkpoint_bytes",
                "allreduce_bytes_per_step",
                "step_compute_s",
                "dataset_bytes",
            )
        }
    )
    cols["max_restarts"] = table.max_restarts if spec.max_restarts is None else spec.max_restarts
    cols.update({name: getattr(table, name) for name in ("gpu_milli", "cpu_milli", "memory_mib", "trace_status")})
    # A workload's gpu_model binds all its jobs; else a trace's own per-job models (catalog names) are kept.
    gpu_model: np.ndarray | None = np.zeros(n, np.int32) if spec.gpu_model else None
    gpu_models: tuple[str, ...] = (spec.gpu_model,) if spec.gpu_model else ()
    if not spec.gpu_model and table.gpu_models:
        gpu_model, gpu_models = table.gpu_model, table.gpu_models
    per_user = isinstance(spec, TraceJobs) and spec.tenant_per_user
    return JobTable.build(
        job_id=table.job_id,
        gpu_model=gpu_model,
        tenants=spec.user_tenants() if per_user else (spec.tenant,),  # type: ignore[union-attr]
        gpu_models=gpu_models,
        tenant=table.tenant if per_user else 0,
        contract=contract,
        preemptible=spec.preemptible | (np.asarray(contract) == Contract.SPOT) | table.preemptible,
        placement=int(_PLACEMENTS[spec.placement]),
        priority=spec.priority,
        **cols,
    )


def _tiled_requests(
    duration_s: float, start_s: float, rate_scale: float, base: RequestTable | None = None
) -> RequestTable:
    """The request stream (default: the shipped Azure conversation hour) repeated from ``start_s`` to the run's
    end, its arrival rate times ``rate_scale``."""
    if base is None:
        base = load_azure_llm_requests(default_path("azure_llm_conv"))
    span = float(base.arrival_s[-1]) + 1.0
    t = base.arrival_s / rate_scale
    span_scaled = span / rate_scale
    reps = max(1, math.ceil((duration_s - start_s) / span_scaled))
    arrival = (t[None, :] + span_scaled * np.arange(reps)[:, None]).ravel() + start_s
    keep = arrival < duration_s
    n = int(keep.sum())
    return RequestTable(
        service=np.zeros(n, np.int64),
        arrival_s=arrival[keep],
        input_tokens=np.tile(base.input_tokens, reps)[keep],
        output_tokens=np.tile(base.output_tokens, reps)[keep],
        user_lat_deg=np.full(n, np.nan),
        user_lon_deg=np.full(n, np.nan),
    )


def build_workload(scenario: Scenario, rng: np.random.Generator) -> Workload:
    """The scenario's tenants and workloads as one job table (sorted by submit time) plus request streams."""
    tenants = tuple(
        Tenant(t.name, _CONTRACTS[t.contract], t.reserved_gpus, t.share, t.price_usd_per_gpu_hour)
        for t in scenario.tenants
    )
    contract_of = {t.name: t.contract for t in tenants}
    parent = {t.name: t for t in tenants}
    for w in scenario.workloads:  # a trace's users as tenants of their own, on the workload tenant's terms
        if isinstance(w, TraceJobs) and w.tenant_per_user:
            owner = parent[w.tenant]
            added = tuple(
                Tenant(name, owner.contract, 0, owner.share, owner.price_usd_per_gpu_hour)
                for name in w.user_tenants()
                if name not in parent
            )
            tenants += added
            parent.update({t.name: t for t in added})
    duration = scenario.duration_s
    pieces: list[JobTable] = []
    services: list[tuple[InferenceServices, list[str]]] = []
    for i, w in enumerate(scenario.workloads):
        if isinstance(w, TrainingJobs):
            n = w.count
            table = JobTable.build(
                job_id=[f"w{i}-train-{k}" for k in range(n)],
                kind=int(JobKind.TRAINING),
                submit_s=w.submit + w.spacing * np.arange(n),
                gpus=w.gpus,
                work_gpu_s=w.work_gpu_hours * 3600.0,
                checkpoint_interval_s=np.nan if w.checkpoint_interval is None else w.checkpoint_interval,
                checkpoint_write_s=w.checkpoint_write,
                restore_s=w.restore,
                allreduce_bytes_per_step=w.allreduce_gb_per_step * 1e9,
                step_compute_s=w.step_compute,
                dataset_bytes=DEFAULT_CHECKPOINT_RULE.dataset_bytes(
                    np.full(n, float(w.gpus)), np.full(n, w.work_gpu_hours * 3600.0)
                ),
            )
        elif isinstance(w, GeneratedJobs):
            kind = JobKind.TRAINING if w.kind == "training" else JobKind.BATCH
            g = generate_training_jobs(
                rng, w.count, horizon_s=duration, rate_scale=w.rate_scale, kind=kind, id_prefix=f"w{i}-gen-"
            )
            table = JobTable.build(
                job_id=g.job_id,
                kind=g.kind,
                submit_s=g.submit_s,
                gpus=g.gpus * w.gpu_scale,
                work_gpu_s=g.work_gpu_s * w.gpu_scale,
                contract=g.contract,
                preemptible=g.preemptible,
                checkpoint_interval_s=g.checkpoint_interval_s,
                checkpoint_write_s=g.checkpoint_write_s,
                restore_s=g.restore_s,
                checkpoint_bytes=g.checkpoint_bytes,
                allreduce_bytes_per_step=g.allreduce_bytes_per_step,
                step_compute_s=g.step_compute_s,
                dataset_bytes=g.dataset_bytes,
            )
            table = table.take(table.submit_s < duration)
        elif isinstance(w, TraceJobs):
            table = w.table  # read, checked, windowed and scaled when the scenario was validated
            table = table.take(table.submit_s < duration)  # pods created after the run ends never arrive
        else:
            n = w.services
            table = JobTable.build(
                job_id=[f"w{i}-svc-{k}" for k in range(n)],
                kind=int(JobKind.INFERENCE),
                submit_s=w.start,
                gpus=w.gpus,
                work_gpu_s=np.nan,
                duration_s=duration - w.start,
            )
            services.append((w, [str(x) for x in table.job_id]))
        pieces.append(_piece(w, table, contract_of[w.tenant]))
    if not pieces:
        return Workload(JobTable.build(tenants=tuple(t.name for t in tenants) or ("default",)), None, tenants)
    jobs = pieces[0]
    for p in pieces[1:]:
        jobs = jobs.concat(p)
    order = {t.name: k for k, t in enumerate(tenants)}
    jobs = _reindex_tenants(jobs, tuple(t.name for t in tenants), order)
    row_of = {str(jid): r for r, jid in enumerate(jobs.job_id)}
    req_parts: list[RequestTable] = []
    profiles: dict[int, InferenceProfile] = {}
    users_default = [(g.lat_deg, g.lon_deg) for g in scenario.ground_sites] or [(0.0, 0.0)]
    for w, ids in services:
        base = None if isinstance(w.requests, str) else w.requests.imported.requests
        stream = _tiled_requests(duration, w.start, w.rate_scale, base)
        rows = np.array([row_of[x] for x in ids], dtype=np.int64)
        k = np.arange(len(stream))
        users = [(u.lat_deg, u.lon_deg) for u in w.users] or users_default
        lat = np.array([u[0] for u in users])[k % len(users)]
        lon = np.array([u[1] for u in users])[k % len(users)]
        req_parts.append(
            RequestTable(rows[k % rows.size], stream.arrival_s, stream.input_tokens, stream.output_tokens, lat, lon)
        )
        prof = InferenceProfile(w.prefill_tokens_per_s, w.decode_tokens_per_s, w.ttft_slo, w.tpot_slo, w.max_batch)
        profiles.update({int(r): prof for r in rows})
    requests = None
    if req_parts:
        requests = RequestTable(
            *(np.concatenate([getattr(r, f) for r in req_parts]) for f in RequestTable.__dataclass_fields__)
        )
    return Workload(jobs, requests, tenants, profiles)


def _reindex_tenants(jobs: JobTable, names: tuple[str, ...], order: dict[str, int]) -> JobTable:
    """Tenant indices in the scenario's tenant order (tenants without jobs keep their place)."""
    remap = np.array([order[t] for t in jobs.tenants], dtype=np.int32)
    raw = jobs.columns_raw()
    raw["tenant"] = remap[jobs.tenant] if len(jobs) else jobs.tenant
    return JobTable.build(
        job_id=jobs.job_id, gpu_model=jobs.gpu_model, tenants=names, gpu_models=jobs.gpu_models, **raw
    )


# ----------------------------------------------------------------------------------------------------- policy ---
def build_policy(scenario: Scenario, workload: Workload, share: float = 1.0) -> Any:
    """The scenario's policy for ``workload``; ``share``: the part of the fleet it schedules (a partition's share of
    the GPUs, ``scheduling.partition``), which gets that share of each reserved tenant's quota (rounded)."""
    p = scenario.policy
    names = workload.jobs.tenants
    kwargs: dict[str, Any] = {}
    if p.name == "priority":
        kwargs["reserved_gpus"] = {
            names.index(t.name): round(t.reserved_gpus * share)
            for t in workload.tenants
            if t.contract == Contract.RESERVED
        }
    elif p.name == "fair-share":
        kwargs["shares"] = {names.index(t.name): t.share for t in workload.tenants}
    elif p.name == "hybrid":
        kwargs["price_usd_per_gpu_hour"] = {
            NodeKind.ORBITAL: p.orbit_price_usd_per_gpu_hour,
            NodeKind.GROUND: p.ground_price_usd_per_gpu_hour,
        }
    policy = make_policy(p.name, power_aware=p.power_aware, **kwargs)
    if isinstance(policy, PowerAware):
        policy.saa_threshold = p.saa_threshold
    return policy


# -------------------------------------------------------------------------------------------------- inference ---
def one_way_latency_s(
    fleet: FleetTimeline, node: int, lat: np.ndarray, lon: np.ndarray, t_s: np.ndarray | None = None
) -> np.ndarray:
    """One-way latency from ``node`` to users at ``lat``/``lon`` (requests at ``t_s``): the routed latency of the
    fleet's link timeline where it knows the user location, else the estimate of the module docstring."""
    nodes = fleet.nodes
    links = fleet.links
    if links is not None and t_s is not None and links.user_names:
        out = np.full(lat.shape, np.nan)
        steps = np.clip((np.asarray(t_s) // links.step_s).astype(np.int64), 0, links.n_steps - 1)
        for u in range(len(links.user_names)):  # a few user locations, millions of requests
            sel = (np.abs(lat - links.user_lat_deg[u]) <= 1e-6) & (np.abs(lon - links.user_lon_deg[u]) <= 1e-6)
            sel &= np.isnan(out)
            if sel.any():
                out[sel] = links.user_latency_s[u, node, steps[sel]]
        missing = np.isnan(out)
        if missing.any():
            out[missing] = one_way_latency_s(fleet, node, lat[missing], lon[missing])
        return out
    if nodes.kind[node] == NodeKind.GROUND:
        site = np.radians([float(nodes.lat_deg[node]), float(nodes.lon_deg[node])])
        return fibre_delay_s(great_circle_distance_m(np.radians(lat), np.radians(lon), site[0], site[1]))
    rng = slant_range_m(math.radians(STARLINK_ELEVATION_MASK_DEG), float(nodes.altitude_m[node]))
    return np.full(lat.shape, float(rng) / SPEED_OF_LIGHT_M_S)


@dataclass(frozen=True)
class InferenceOutcome:
    ttft_s: np.ndarray
    tpot_s: np.ndarray
    served: np.ndarray
    slo_met: np.ndarray


def replay_requests(
    workload: Workload, fleet: FleetTimeline, result: EngineResult, horizon_s: float
) -> InferenceOutcome | None:
    """Serve every request on the replicas the engine kept up (see the module docstring)."""
    req = workload.requests
    if req is None or len(req) == 0:
        return None
    n = len(req)
    ttft = np.full(n, np.inf)
    tpot = np.full(n, np.inf)
    pl = result.placements
    for svc in np.unique(req.service).tolist():
        prof = workload.inference[svc]
        mask = pl["job"] == svc
        starts, ends, nodes = pl["start_s"][mask], pl["end_s"][mask], pl["node"][mask]
        order = np.argsort(starts)
        starts, ends, nodes = starts[order], ends[order], nodes[order]
        idx = np.flatnonzero(req.service == svc)
        if starts.size == 0:
            continue
        order_r = np.argsort(req.arrival_s[idx], kind="stable")
        idx = idx[order_r]
        arrival = req.arrival_s[idx]
        prefill = req.input_tokens[idx] / prof.prefill_tokens_per_s
        tpot_s = 1.0 / prof.decode_tokens_per_s
        decode = req.output_tokens[idx] * tpot_s
        gpus = int(workload.jobs.gpus[svc])
        first_tok, seg_of = serve_fifo_slots(
            arrival.astype(np.float64),
            prefill.astype(np.float64),
            decode.astype(np.float64),
            starts.astype(np.float64),
            ends.astype(np.float64),
            gpus * prof.max_batch,
        )
        node_at = np.where(seg_of >= 0, nodes[np.maximum(seg_of, 0)], -1)
        served = np.isfinite(first_tok)
        for nd in np.unique(node_at[served]).tolist():
            sel = node_at == nd
            rtt = 2.0 * one_way_latency_s(
                fleet, nd, req.user_lat_deg[idx][sel], req.user_lon_deg[idx][sel], arrival[sel]
            )
            first_tok[sel] += np.nan_to_num(rtt, nan=0.0)
        ttft[idx] = first_tok
        tpot[idx[served]] = tpot_s
    served = np.isfinite(ttft)
    slo = np.zeros(n, dtype=bool)
    for svc in np.unique(req.service).tolist():
        prof = workload.inference[svc]
        sel = req.service == svc
        slo[sel] = (ttft[sel] <= prof.ttft_slo_s) & (tpot[sel] <= prof.tpot_slo_s)
    return InferenceOutcome(ttft, tpot, served, slo)


# --------------------------------------------------------------------------------------------------- the run ---
@dataclass(frozen=True)
class ScheduleRun:
    fleet: FleetTimeline
    workload: Workload
    result: EngineResult
    inference: InferenceOutcome | None
    policy_name: str
    wall_s: float
    allocation: dict[str, np.ndarray] = field(default_factory=dict)  # allocation_columns, filled by run_schedule


def run_schedule(
    scenario: Scenario,
    fleet: FleetTimeline,
    progress: Callable[[str, float, float], None] | None = None,
    executor: Executor | None = None,
) -> ScheduleRun | None:
    """Build the workload, run the engine and replay inference. ``None`` when the scenario has no workloads.
    ``progress(stage, done, total)``: stage ``workload`` (0/1 then 1/1) while the jobs, the policy and the engine
    are built, then ``schedule`` in simulated seconds as the engine runs (``Engine.run``).

    With ``policy.partition: group`` each shell and ground site runs as its own engine
    (:func:`orbitgrid.scheduling.partition.run_partitioned`), on ``executor`` when given (in this process
    otherwise), and ``schedule`` progress comes once, at the end."""
    import time

    if not scenario.workloads:
        return None
    if progress is not None:
        progress("workload", 0, 1)
    workload_ss, engine_ss = np.random.SeedSequence([scenario.seed, 4]).spawn(2)
    workload = build_workload(scenario, np.random.default_rng(workload_ss))
    policy = build_policy(scenario, workload)
    config = EngineConfig(max_restarts=scenario.policy.max_restarts)
    t0 = time.perf_counter()
    if scenario.policy.partition == "group":
        if progress is not None:
            progress("workload", 1, 1)
            progress("schedule", 0.0, fleet.horizon_s)
        factory = functools.partial(build_policy, scenario)
        result, _ = run_partitioned(fleet, workload, factory, engine_ss, config, executor=executor)
        if progress is not None:
            progress("schedule", fleet.horizon_s, fleet.horizon_s)
    else:
        engine = Engine(fleet, workload, policy, np.random.default_rng(engine_ss), config)
        if progress is not None:
            progress("workload", 1, 1)
        result = engine.run(None if progress is None else lambda t, h: progress("schedule", t, h))
    wall = time.perf_counter() - t0
    inference = replay_requests(workload, fleet, result, fleet.horizon_s)
    run = ScheduleRun(fleet, workload, result, inference, policy.name, wall)
    run.allocation.update(allocation_columns(run))
    return run


def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else math.nan


#: At most this many sample times in the allocation table (evenly spaced steps; every step when there are fewer).
MAX_ALLOCATION_SAMPLES = 2_000
#: How the engine's reason for a job no node can ever hold begins (``sharing.never_fits_reason``).
NEVER_FITS = "never_fits"


def never_fits_reasons(run: ScheduleRun) -> dict[int, str]:
    """Every job the engine turned away at arrival because no node could ever hold it, with the engine's reason
    (``never_fits: needs 16 GPUs on one node, largest node has 8``)."""
    return {j: why for j, why in run.result.failure_reason.items() if why.startswith(NEVER_FITS)}


def _trace_ended(run: ScheduleRun) -> np.ndarray:
    """Jobs the engine ran to the end of their recorded run time whose trace says they failed or were killed: their
    GPU-time is lost, not useful work."""
    return (run.result.state == COMPLETED) & (run.workload.jobs.trace_status != TraceStatus.COMPLETED)


def job_columns(run: ScheduleRun) -> dict[str, np.ndarray]:
    """One row per job. ``state``: the engine's, except ``never_fits`` (no node could ever hold it; ``reason`` says
    why) and, for a job its trace recorded as failed or killed that ran its recorded time, ``failed`` or ``killed``
    as recorded with its GPU-time counted lost (``useful_gpu_s`` 0)."""
    jobs, r, nodes = run.workload.jobs, run.result, run.fleet.nodes
    tenants = np.asarray(jobs.tenants, dtype=object)[jobs.tenant]
    price = {t.name: t.price_usd_per_gpu_hour for t in run.workload.tenants}
    node_name = np.where(r.node >= 0, nodes.name[np.maximum(r.node, 0)], "")
    node_kind = np.where(
        r.node >= 0, np.where(nodes.kind[np.maximum(r.node, 0)] == NodeKind.ORBITAL, "orbital", "ground"), ""
    )
    wait = r.first_start_s - jobs.submit_s
    run_s = np.where(np.isfinite(r.end_s), r.end_s, run.fleet.horizon_s) - r.first_start_s
    state = np.array([STATE_NAMES[int(s)] for s in r.state], dtype=object)
    reason = np.full(len(jobs), "", dtype=object)
    for j, why in r.failure_reason.items():
        reason[j] = why
    for j, why in never_fits_reasons(run).items():
        state[j] = "never_fits"
        reason[j] = why
    ended = _trace_ended(run)
    killed = ended & (jobs.trace_status == TraceStatus.KILLED)
    state[ended] = np.where(killed[ended], "killed", "failed")
    reason[ended] = np.where(killed[ended], "trace: killed as recorded", "trace: failed as recorded")
    useful = np.where(ended, 0.0, r.useful_gpu_s)
    lost = np.where(ended, r.delivered_gpu_s, r.lost_work)
    return {
        "job_id": jobs.job_id.astype(str),
        "tenant": tenants.astype(str),
        "kind": np.array([KIND_NAMES[int(k)] for k in jobs.kind], dtype=object).astype(str),
        "contract": np.array([CONTRACT_NAMES[int(c)] for c in jobs.contract], dtype=object).astype(str),
        "gpus": jobs.gpus,
        "submit_s": jobs.submit_s,
        "start_s": r.first_start_s,
        "end_s": r.end_s,
        "state": state.astype(str),
        "reason": reason.astype(str),
        "gpu_milli": jobs.gpu_milli,
        "node": node_name.astype(str),
        "node_kind": node_kind.astype(str),
        "wait_s": wait,
        "run_s": run_s,
        "useful_gpu_s": useful,
        "delivered_gpu_s": r.delivered_gpu_s,
        "lost_gpu_s": lost,
        "restarts": r.restarts,
        "preemptions": r.preemptions,
        "checkpoint_interval_s": r.checkpoint_interval_s,
        "energy_kwh": r.energy_j / 3.6e6,
        "cost_usd": r.delivered_gpu_s / 3600.0 * np.array([price.get(t, 0.0) for t in tenants]),
    }


def utilization_columns(run: ScheduleRun) -> dict[str, np.ndarray]:
    """Per group and step: installed, usable and step-mean busy GPUs (from the engine's busy changes)."""
    fleet = run.fleet
    nodes = fleet.nodes
    k_steps, h = fleet.n_steps, fleet.step_s
    groups = list(dict.fromkeys(nodes.group.tolist()))
    gidx = np.array([groups.index(g) for g in nodes.group.tolist()], dtype=np.int64)
    b = run.result.busy_changes
    # integral of busy over each step: each change at t contributes delta x (end of step - t) to its step and
    # delta x h to every later step (a cumulative sum over steps).
    busy_s = np.zeros((len(groups), k_steps))
    if b["t_s"].size:
        k = np.minimum((b["t_s"] // h).astype(np.int64), k_steps - 1)
        part = b["delta"] * ((k + 1) * h - b["t_s"])
        np.add.at(busy_s, (gidx[b["node"]], k), part)
        whole = np.zeros((len(groups), k_steps + 1))
        np.add.at(whole, (gidx[b["node"]], k + 1), b["delta"] * h)
        busy_s += np.cumsum(whole, axis=1)[:, :k_steps]
    usable = np.zeros((len(groups), k_steps))
    np.add.at(usable, gidx, fleet.usable_gpus)
    installed = np.bincount(gidx, weights=nodes.gpus, minlength=len(groups))
    kind = ["orbital" if nodes.kind[gidx == g][0] == NodeKind.ORBITAL else "ground" for g in range(len(groups))]
    t = np.arange(k_steps) * h
    return {
        "t_s": np.tile(t, len(groups)),
        "group": np.repeat(np.array(groups, dtype=object), k_steps).astype(str),
        "kind": np.repeat(np.array(kind, dtype=object), k_steps).astype(str),
        "installed_gpus": np.repeat(installed, k_steps),
        "usable_gpus": usable.ravel(),
        "busy_gpus": busy_s.ravel() / h,
    }


def node_usage_columns(run: ScheduleRun) -> dict[str, np.ndarray]:
    """Per node over the run: deliverable and delivered GPU-hours, utilization, work lost, goodput, energy, faults.

    ``goodput`` here is ``1 - lost / delivered`` with the lost reference GPU-seconds converted to the node's
    GPU-seconds by its speed (communication stalls are not separated out), so it can differ slightly from the
    job-level goodput of ``summary.json``, which counts kept work per segment.
    """
    fleet, r = run.fleet, run.result
    nodes = fleet.nodes
    n = len(nodes)
    pl, ft = r.placements, r.faults
    dur = pl["end_s"] - pl["start_s"]
    delivered = np.bincount(pl["node"], weights=dur * pl["gpus"], minlength=n)
    lost = np.bincount(pl["node"], weights=pl["lost_work"], minlength=n) / nodes.speed
    energy = delivered * nodes.power_per_gpu_w / 3.6e6
    deliverable = fleet.usable_gpus.sum(axis=1, dtype=np.float64) * fleet.step_s
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.where(deliverable > 0, delivered / deliverable, np.nan)
        goodput = np.where(delivered > 0, 1.0 - lost / delivered, np.nan)
    return {
        "node": nodes.name.astype(str),
        "group": nodes.group.astype(str),
        "kind": np.where(nodes.kind == NodeKind.ORBITAL, "orbital", "ground").astype(str),
        "gpus": nodes.gpus,
        "gpu_hours_deliverable": deliverable / 3600.0,
        "gpu_hours_delivered": delivered / 3600.0,
        "utilization": util,
        "lost_gpu_hours": lost / 3600.0,
        "goodput": goodput,
        "energy_kwh": energy,
        "faults": np.bincount(ft["node"], minlength=n).astype(np.int64),
        "placements": np.bincount(pl["node"], minlength=n).astype(np.int64),
        **{f"gpu_{k}": v for k, v in _node_maintenance(run).items() if k != "capacity_lost_gpu_s"},
        "capacity_lost_gpu_hours": _node_maintenance(run)["capacity_lost_gpu_s"] / 3600.0,
    }


def allocation_columns(run: ScheduleRun) -> dict[str, np.ndarray]:
    """The ``allocation`` table: requested, allocated, occupied, fragmented and stranded GPUs and queued jobs at the
    start of each step (every ``ceil(steps / MAX_ALLOCATION_SAMPLES)``-th step), from the run's placements replayed
    through the GPU-sharing packer (:mod:`orbitgrid.scheduling.allocation`). Empty for a fleet with plane pools
    (:func:`pooled_nodes`): a pool places work on its plane's accelerators, not on particular GPUs, so there is no
    packing to replay."""
    fleet, jobs, r = run.fleet, run.workload.jobs, run.result
    if pooled_nodes(fleet):
        return {"t_s": np.zeros(0), **{c: np.zeros(0) for c in ALLOCATION_COLUMNS}}
    nodes = fleet.nodes
    stride = max(1, math.ceil(fleet.n_steps / MAX_ALLOCATION_SAMPLES))
    samples = np.arange(0, fleet.n_steps, stride, dtype=np.float64) * fleet.step_s
    names = {m: i for i, m in enumerate(dict.fromkeys(nodes.gpu_model.tolist()))}
    node_model = np.array([names[m] for m in nodes.gpu_model.tolist()], dtype=np.int64)
    job_model_of = np.array([names.get(m, -2) for m in jobs.gpu_models] + [-1], dtype=np.int64)
    fractional = (jobs.gpus == 1) & (jobs.gpu_milli < MILLI)
    requests = RunRequests(
        gpus=jobs.gpus.astype(np.int64),
        share=np.where(fractional, jobs.gpu_milli / MILLI, jobs.gpus).astype(np.float64),
        cpu_milli=jobs.cpu_milli.astype(np.int64),
        memory_mib=jobs.memory_mib.astype(np.float64),
        model=job_model_of[jobs.gpu_model],
        submit_s=jobs.submit_s,
        end_s=r.end_s,
    )
    return allocation_timeline(
        nodes.gpus, nodes.cpu_milli, nodes.memory_mib, node_model, requests, r.placements, samples
    )


def pooled_nodes(fleet: FleetTimeline) -> bool:
    """Whether some node pools satellites (``scheduling.pools``: a gang may span more GPUs than one satellite's)."""
    member = fleet.nodes.member_gpus
    return member is not None and bool(np.any(member < fleet.nodes.gpus))


#: What the run's summary says instead of the allocation means when the fleet has plane pools.
ALLOCATION_NOT_BUILT = (
    "not built: plane pools place work on a plane's accelerators, not on particular GPUs (docs/models.md, Node pools)"
)


def allocation_summary(cols: dict[str, np.ndarray], installed_gpus: int) -> dict[str, Any]:
    """Means (and the fragmented and stranded peaks) of the allocation table over its sample times."""
    if cols["t_s"].size == 0:
        return {}
    mean = {k: float(np.mean(cols[k])) for k in ("requested_gpus", "allocated_gpus", "occupied_gpus")}
    req = mean["requested_gpus"]
    return {
        "installed_gpus": installed_gpus,
        **{f"{k}_mean": v for k, v in mean.items()},
        "allocated_to_requested": mean["allocated_gpus"] / req if req > 0 else math.nan,
        "fragmented_gpus_mean": float(np.mean(cols["fragmented_gpus"])),
        "fragmented_gpus_max": float(np.max(cols["fragmented_gpus"])),
        "stranded_gpus_mean": float(np.mean(cols["stranded_gpus"])),
        "stranded_gpus_max": float(np.max(cols["stranded_gpus"])),
        "samples": int(cols["t_s"].size),
    }


MAINTENANCE_COUNTS = ("failures", "repairs", "repaired", "in_repair", "spares_used", "lost")


def _node_maintenance(run: ScheduleRun) -> dict[str, np.ndarray]:
    """The engine's per-node maintenance counts (zeros for an engine result without them)."""
    m = run.result.maintenance
    n = len(run.fleet.nodes)
    out = {k: np.asarray(m.get(k, np.zeros(n, np.int64)), dtype=np.int64) for k in MAINTENANCE_COUNTS}
    out["capacity_lost_gpu_s"] = np.asarray(m.get("capacity_lost_gpu_s", np.zeros(n)), dtype=np.float64)
    return out


def maintenance_summary(run: ScheduleRun) -> dict[str, Any]:
    """Per shell and ground site: GPUs that failed for good and what became of them (sent to ``repairs`` and
    ``repaired`` by the horizon, still ``in_repair``, replaced by ``spares_used``, ``lost``), spares carried, the
    usable GPU-hours the failed GPUs took (``capacity_lost_gpu_hours``) and their share of the deliverable GPU-hours."""
    fleet = run.fleet
    nodes = fleet.nodes
    per = _node_maintenance(run)
    spares = fleet.maintenance.spares if fleet.maintenance is not None else np.zeros(len(nodes), np.int64)
    deliverable = fleet.usable_gpus.sum(axis=1, dtype=np.float64) * fleet.step_s / 3600.0
    out: dict[str, Any] = {}
    for g in dict.fromkeys(nodes.group.tolist()):
        sel = nodes.group == g
        lost_h = float(per["capacity_lost_gpu_s"][sel].sum()) / 3600.0
        able = float(deliverable[sel].sum())
        block: dict[str, Any] = {
            "kind": "orbital" if nodes.kind[sel][0] == NodeKind.ORBITAL else "ground",
            "gpus": int(nodes.gpus[sel].sum()),
            "spares_carried": int(spares[sel].sum()),
        }
        block.update({k: int(per[k][sel].sum()) for k in MAINTENANCE_COUNTS})
        block["capacity_lost_gpu_hours"] = lost_h
        block["capacity_lost_fraction"] = lost_h / (able + lost_h) if able + lost_h > 0 else 0.0
        out[str(g)] = block
    return out


def schedule_summary(run: ScheduleRun) -> dict[str, Any]:
    """The stable summary keys of the scheduling stage (see docs/quickstart.md)."""
    jobs, r, fleet = run.workload.jobs, run.result, run.fleet
    cols = job_columns(run)
    state = cols["state"]
    started = np.isfinite(r.first_start_s)
    wait = cols["wait_s"][started]
    h = fleet.step_s
    delivered = float(r.delivered_gpu_s.sum()) / 3600.0
    useful = float(cols["useful_gpu_s"].sum()) / 3600.0
    never = [str(x) for x in cols["reason"][state == "never_fits"]]
    never_fits = {k: never.count(k) for k in sorted(set(never))}
    deliverable = float(fleet.usable_gpus.sum(dtype=np.float64)) * h / 3600.0
    pl, ft = r.placements, r.faults
    lost_by: dict[str, float] = {c: 0.0 for c in (*FAULT_CAUSES, "capacity", "preempted")}
    for c, name in enumerate(FAULT_CAUSES):
        lost_by[name] = float(ft["lost_work"][ft["cause"] == c].sum()) / 3600.0
    lost_by["capacity"] = float(pl["lost_work"][pl["outcome"] == OUTCOMES.index("capacity")].sum()) / 3600.0
    lost_by["preempted"] = float(pl["lost_work"][pl["outcome"] == OUTCOMES.index("preempted")].sum()) / 3600.0
    lost_by["trace_failed_or_killed"] = float(r.delivered_gpu_s[_trace_ended(run)].sum()) / 3600.0
    tenants: dict[str, Any] = {}
    inf = run.inference
    for ti, name in enumerate(jobs.tenants):
        sel = jobs.tenant == ti
        w = cols["wait_s"][sel & started]
        block: dict[str, Any] = {
            "jobs_submitted": int(sel.sum()),
            "jobs_completed": int(np.sum(state[sel] == "completed")),
            "gpu_hours_delivered": float(r.delivered_gpu_s[sel].sum()) / 3600.0,
            "bill_usd": float(cols["cost_usd"][sel].sum()),
            "wait_s_p50": _pct(w, 50),
            "wait_s_p99": _pct(w, 99),
            "slo_attainment": None,
        }
        if inf is not None and run.workload.requests is not None:
            rsel = sel[run.workload.requests.service]
            if rsel.any():
                block["requests"] = int(rsel.sum())
                block["slo_attainment"] = float(inf.slo_met[rsel].mean())
                block["ttft_s_p50"] = _pct(inf.ttft_s[rsel & inf.served], 50)
                block["ttft_s_p99"] = _pct(inf.ttft_s[rsel & inf.served], 99)
        tenants[name] = block
    by_kind: dict[str, Any] = {}
    node_kind_of_pl = fleet.nodes.kind[pl["node"]] if pl["node"].size else np.zeros(0, np.int8)
    for kname, kval in (("orbital", NodeKind.ORBITAL), ("ground", NodeKind.GROUND)):
        nsel = fleet.nodes.kind == kval
        if not nsel.any():
            continue
        gpu_days = float(fleet.nodes.gpus[nsel].sum()) * fleet.horizon_s / 86_400.0
        psel = node_kind_of_pl == kval
        deliv = float(np.sum((pl["end_s"] - pl["start_s"])[psel] * pl["gpus"][psel])) / 3600.0
        fsel = fleet.nodes.kind[ft["node"]] == kval if ft["node"].size else np.zeros(0, bool)
        able = float(fleet.usable_gpus[nsel].sum(dtype=np.float64)) * h / 3600.0
        by_kind[kname] = {
            "gpus": int(fleet.nodes.gpus[nsel].sum()),
            "gpu_hours_deliverable": able,
            "gpu_hours_delivered": deliv,
            "utilization": deliv / able if able > 0 else math.nan,
            "faults_per_gpu_day": float(fsel.sum()) / gpu_days if gpu_days > 0 else math.nan,
            "jobs_completed_here": int(np.sum((cols["node_kind"] == kname) & (state == "completed"))),
        }
    return {
        "policy": run.policy_name,
        "engine_events": r.events,
        "jobs": {
            "submitted": len(jobs),
            "completed": int(np.sum(state == "completed")),
            "failed": int(np.sum(state == "failed")),
            "killed": int(np.sum(state == "killed")),
            "never_fits": int(np.sum(state == "never_fits")),
            "running": int(np.sum(state == "running")),
            "queued": int(np.sum(state == "queued")),
        },
        "never_fits": never_fits,
        "gpu_hours": {"delivered": delivered, "deliverable": deliverable, "useful": useful},
        "goodput": useful / delivered if delivered > 0 else math.nan,
        "wait_s": {"p50": _pct(wait, 50), "p99": _pct(wait, 99), "mean": float(wait.mean()) if wait.size else math.nan},
        "lost_gpu_hours": lost_by,
        "faults": {c: int(np.sum(ft["cause"] == i)) for i, c in enumerate(FAULT_CAUSES)},
        "maintenance": maintenance_summary(run),
        "allocation": (
            {"note": ALLOCATION_NOT_BUILT}
            if pooled_nodes(fleet)
            else allocation_summary(run.allocation or allocation_columns(run), int(fleet.nodes.gpus.sum()))
        ),
        "tenants": tenants,
        "orbit_vs_ground": by_kind,
    }


def write_schedule_tables(writer: RunWriter, run: ScheduleRun) -> None:
    jobs, r, nodes = run.workload.jobs, run.result, run.fleet.nodes
    writer.table("jobs", job_columns(run))
    pl = r.placements
    writer.table(
        "placements",
        {
            "job_id": jobs.job_id[pl["job"]].astype(str),
            "tenant": np.asarray(jobs.tenants, dtype=object)[jobs.tenant[pl["job"]]].astype(str),
            "node": nodes.name[pl["node"]].astype(str),
            "node_group": nodes.group[pl["node"]].astype(str),
            "start_s": pl["start_s"],
            "end_s": pl["end_s"],
            "gpus": pl["gpus"],
            "outcome": np.array(OUTCOMES, dtype=object)[pl["outcome"]].astype(str),
            "lost_gpu_s": pl["lost_work"],
        },
    )
    ft = r.faults
    hit = ft["job"] >= 0
    writer.table(
        "faults",
        {
            "t_s": ft["t_s"],
            "node": nodes.name[ft["node"]].astype(str),
            "node_group": nodes.group[ft["node"]].astype(str),
            "cause": np.array(FAULT_CAUSES, dtype=object)[ft["cause"]].astype(str),
            "job_id": np.where(hit, jobs.job_id[np.maximum(ft["job"], 0)], "").astype(str),
            "lost_gpu_s": ft["lost_work"],
            "fate": np.array(("", *FATES), dtype=object)[ft["fate"] + 1].astype(str),
        },
    )
    writer.table("utilization", utilization_columns(run))
    writer.table("allocation", run.allocation or allocation_columns(run))
    writer.table("node_usage", node_usage_columns(run))
