"""The fleet as the twin sees it now: nodes, live capacity, illumination, battery, temperature, faults; the clock."""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from fastapi import APIRouter, Query

from orbitgrid.fleet.nodes import FAULT_CAUSES
from orbitgrid.service.deps import AdminDep, PrincipalDep, ServiceDep
from orbitgrid.service.driver import ServiceError
from orbitgrid.service.schemas import (
    ClockAdvance,
    ClockPublic,
    FaultList,
    FaultPublic,
    FleetPublic,
    GroupPublic,
    NodeDetail,
    NodeList,
    NodePublic,
)

router = APIRouter(prefix="/v1", tags=["fleet"])


@router.get("/clock", operation_id="getClock", response_model=ClockPublic)
def get_clock(svc: ServiceDep, _: PrincipalDep) -> ClockPublic:
    """The simulated clock: now, the scenario's epoch and horizon, the speed, and the time committed so far."""
    d = svc.driver
    t = d.sim_now()
    return ClockPublic(
        t_s=t,
        now=d.at(t),
        epoch=d.epoch,
        speed=d.speed,
        horizon_s=d.horizon_s,
        committed_t_s=d.committed_t_s,
        last_tick_error=d.tick_error,
    )


@router.post("/clock/advance", operation_id="advanceClock", response_model=ClockPublic)
def advance_clock(svc: ServiceDep, _: AdminDep, body: ClockAdvance) -> ClockPublic:
    """Move the simulated clock forward (admin; a paused clock, ``--speed 0``, moves only this way). Everything the
    twin does up to then is committed before the answer."""
    d = svc.driver
    if body.t_s is None and body.by_s is None:
        raise ServiceError(422, "give t_s or by_s")
    target = body.t_s if body.t_s is not None else d.sim_now() + (body.by_s or 0.0)
    d.jump(target)
    return get_clock(svc, _)


@router.get("/fleet", operation_id="getFleet", response_model=FleetPublic)
def get_fleet(svc: ServiceDep, _: PrincipalDep) -> FleetPublic:
    """Totals now and per group (shell or ground site)."""
    d = svc.driver
    with d.lock:
        views = d.node_views()
        queued, running = d.counts()
        t = d.t_engine
    groups: dict[str, dict] = {}
    models: dict[str, set[str]] = defaultdict(set)
    for v in views:
        g = groups.setdefault(
            v["group"],
            {
                "group": v["group"],
                "kind": v["kind"],
                "nodes": 0,
                "installed_gpus": 0,
                "usable_gpus": 0,
                "busy_gpus": 0,
                "failed_gpus": 0,
            },
        )
        g["nodes"] += 1
        for k in ("installed_gpus", "usable_gpus", "busy_gpus", "failed_gpus"):
            g[k] += v[k]
        models[v["group"]].add(v["gpu_model"])
    out = [GroupPublic(**g, gpu_models=sorted(models[name])) for name, g in groups.items()]
    return FleetPublic(
        t_s=t,
        now=d.at(t),
        speed=d.speed,
        horizon_s=d.horizon_s,
        scenario=d.scenario.name,
        nodes=len(views),
        installed_gpus=sum(g.installed_gpus for g in out),
        usable_gpus=sum(g.usable_gpus for g in out),
        busy_gpus=sum(g.busy_gpus for g in out),
        jobs_queued=queued,
        jobs_running=running,
        groups=out,
    )


@router.get("/fleet/nodes", operation_id="listNodes", response_model=NodeList)
def list_nodes(
    svc: ServiceDep,
    _: PrincipalDep,
    group: str | None = Query(None, max_length=128),
    kind: Literal["orbital", "ground"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> NodeList:
    """Nodes with their usable, busy and failed GPUs now and whether they reach the ground."""
    with svc.driver.lock:
        views = svc.driver.node_views()
    sel = [v for v in views if (group is None or v["group"] == group) and (kind is None or v["kind"] == kind)]
    return NodeList(data=[NodePublic(**v) for v in sel[offset : offset + limit]], count=len(sel))


@router.get("/fleet/nodes/{node_id}", operation_id="getNode", response_model=NodeDetail)
def get_node(node_id: int, svc: ServiceDep, p: PrincipalDep) -> NodeDetail:
    """One node now: sunlit fraction, battery state of charge and radiator temperature of the current step (from
    the capacity kernel on its track), fault rates and count, usable GPUs over the next steps, the caller's jobs on
    it."""
    d = svc.driver
    if not 0 <= node_id < len(d.fleet.timeline.nodes):
        raise ServiceError(404, f"node {node_id} not found (ids 0..{len(d.fleet.timeline.nodes) - 1})")
    with d.lock:
        idx = None if p.is_admin else d.tenant_index.get(p.tenant_id or "")
        detail = d.node_detail(node_id, -1 if (idx is None and not p.is_admin) else idx)
    return NodeDetail(**detail)


@router.get("/fleet/faults", operation_id="listFaults", response_model=FaultList)
def list_faults(
    svc: ServiceDep,
    p: PrincipalDep,
    node_id: int | None = Query(None, ge=0, le=10_000_000),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> FaultList:
    """Faults so far, newest first (the job hit is shown only to its tenant and the admin)."""
    d = svc.driver
    with d.lock:
        faults = list(d.engine.records.faults)
        eng = d.engine
        own = None if p.is_admin else d.tenant_index.get(p.tenant_id or "", -1)
        names = d.fleet.timeline.nodes.name
        sel = [f for f in reversed(faults) if node_id is None or f[1] == node_id]
        data = []
        for f in sel[offset : offset + limit]:
            t, n, cause, j = f[0], f[1], f[2], f[3]
            job = int(j)
            show = job >= 0 and (own is None or eng.tenant[job] == own)
            data.append(
                FaultPublic(
                    t_s=t,
                    at=d.at(t),
                    node_id=int(n),
                    node=str(names[int(n)]),
                    cause=FAULT_CAUSES[int(cause)],
                    job_id=d.job_ids[job] if show else None,
                )
            )
    return FaultList(data=data, count=len(sel))
