"""Jobs: submit (one or in bulk, idempotent), list, get, cancel, events (also streamed with server-sent events)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, insert, select
from sse_starlette.sse import EventSourceResponse

from orbitgrid.service import db
from orbitgrid.service.auth import Principal
from orbitgrid.service.deps import PrincipalDep, ServiceDep, ServiceState, SessionDep, tenant_scope
from orbitgrid.service.driver import CONTRACTS, FINAL, KINDS, PLACEMENTS, Driver, ServiceError, new_id
from orbitgrid.service.schemas import (
    BulkCreated,
    BulkSubmit,
    ContractKind,
    JobEventList,
    JobEventPublic,
    JobKindName,
    JobList,
    JobPublic,
    JobState,
    JobSubmit,
)

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
JSON = "application/json"
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="a retried submission with the same key returns the first answer and creates nothing",
    ),
]


def job_public(j: db.Job | dict[str, Any], d: Driver) -> JobPublic:
    g: Callable[[str], Any] = j.get if isinstance(j, dict) else lambda k: getattr(j, k)
    state = g("state")
    row = g("engine_row")
    est = d.estimates
    pos = eta = as_of = None
    if state in ("submitted", "queued") and (row in est.position or row in est.start_s):
        pos = est.position.get(row)
        s = est.start_s.get(row)
        eta = None if s is None else d.at(s)
        as_of = est.as_of_s
    first, end = g("first_start_t_s"), g("end_t_s")
    work = g("work_gpu_s")
    return JobPublic(
        id=g("id"),
        tenant_id=g("tenant_id"),
        name=g("name"),
        labels=g("labels") or {},
        kind=g("kind"),
        contract=g("contract"),
        contract_id=g("contract_id"),
        placement=g("placement"),
        gpus=g("gpus"),
        gpu_model=g("gpu_model"),
        priority=g("priority"),
        work_gpu_hours=None if work is None else work / 3600.0,
        duration_s=g("duration_s"),
        state=state,
        submitted_at=d.at(g("submit_t_s")),
        submit_t_s=g("submit_t_s"),
        node=g("node"),
        started_at=None if first is None else d.at(first),
        ended_at=None if end is None else d.at(end),
        restarts=g("restarts"),
        preemptions=g("preemptions"),
        done_gpu_hours=(g("done_gpu_s") or 0.0) / 3600.0,
        metered_gpu_seconds=g("metered_gpu_s"),
        cost_usd=f"{g('cost_micro_usd') / 1e6:.6f}",
        failure_reason=g("failure_reason"),
        queue_position=pos,
        estimated_start_at=eta,
        estimate_as_of_s=as_of,
    )


def _own_job(session: Any, p: Principal, job_id: str) -> db.Job:
    job = session.get(db.Job, job_id)
    if job is None or (not p.is_admin and job.tenant_id != p.tenant_id):
        raise ServiceError(404, f"job {job_id} not found")
    return job


def _tenant_of(p: Principal) -> str:
    if p.tenant_id is None:
        raise ServiceError(403, "jobs are submitted with a tenant's key, not the admin key")
    return p.tenant_id


def _fingerprint(path: str, specs: list[JobSubmit]) -> str:
    doc = {"path": path, "jobs": [s.model_dump(mode="json") for s in specs]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _contract_for(session: Any, tenant_id: str, spec: JobSubmit, t: float) -> db.Contract:
    rows = session.scalars(
        select(db.Contract)
        .where(db.Contract.tenant_id == tenant_id, db.Contract.kind == spec.contract, db.Contract.start_s <= t)
        .order_by(db.Contract.start_s.desc(), db.Contract.id)
    )
    for c in rows:
        if c.end_s is not None and c.end_s <= t:
            continue
        if spec.gpu_model is not None and c.gpu_model is not None and c.gpu_model != spec.gpu_model:
            continue
        return c
    model = f" for {spec.gpu_model}" if spec.gpu_model else ""
    raise ServiceError(422, f"no active {spec.contract} contract{model}: ask the operator for one")


def _submit(svc: ServiceState, tenant_id: str, specs: list[JobSubmit], key: str | None, path: str) -> tuple[int, Any]:
    """Check, create and answer a submission in the driver's group commit: the jobs, their commands and the key's
    answer commit together, once for every submission that waited for the engine with it. A key already answered
    replays its answer; a key in a request of the same group (or left unfinished) is a 409; a refusal stores
    nothing, so the key stays free."""
    d = svc.driver
    fp = _fingerprint(path, specs)

    def check(session: Any, t: float, log: Any) -> Any:
        if key is not None:
            if (tenant_id, key) in d.group["keys"]:
                raise ServiceError(409, "a request with this Idempotency-Key is in progress; retry later")
            row = session.get(db.IdempotencyKey, (tenant_id, key))
            if row is not None:
                if row.fingerprint != fp:
                    raise ServiceError(
                        422, "this Idempotency-Key was used with a different request; use a new key for a new request"
                    )
                if not row.done:
                    raise ServiceError(409, "a request with this Idempotency-Key is in progress; retry later")
                replay = -(row.status_code or 201), json.loads(row.response or "null")
                return lambda _s: replay
        rows, body = _create(svc, session, t, log, tenant_id, specs)
        if key is not None:
            d.group["keys"].add((tenant_id, key))

        def write(s: Any) -> tuple[int, Any]:
            s.execute(insert(db.Job), rows)
            if key is not None:
                s.add(
                    db.IdempotencyKey(
                        tenant_id=tenant_id,
                        key=key,
                        fingerprint=fp,
                        done=True,
                        status_code=201,
                        response=json.dumps(body),
                        created_t_s=t,
                    )
                )
            return 201, body

        return write

    return d.grouped(check)


def _create(
    svc: ServiceState, session: Any, t: float, log: Any, tenant_id: str, specs: list[JobSubmit]
) -> tuple[list[dict[str, Any]], Any]:
    """Validate a submission (reads only; a refusal raises) and log its commands: the job rows and the answer."""
    d = svc.driver
    models = d.gpu_models()
    if t >= d.horizon_s:
        raise ServiceError(409, f"the simulated period of scenario {d.scenario.name!r} has ended ({d.horizon_s:.0f} s)")
    tenant = session.get(db.Tenant, tenant_id)
    if tenant is None:
        raise ServiceError(404, f"tenant {tenant_id} not found")
    active = d.active[tenant_id] + d.group["tenant_jobs"][tenant_id]
    if active + len(specs) > tenant.max_active_jobs:
        raise ServiceError(429, f"at most {tenant.max_active_jobs} active jobs per tenant; {active} are active")
    rows: list[dict[str, Any]] = []
    biggest: dict[tuple[str, str | None], int] = {}
    contracts: dict[tuple[str, str | None], db.Contract] = {}
    for i, spec in enumerate(specs):
        where = f"jobs[{i}]: " if len(specs) > 1 else ""
        if spec.gpu_model is not None and spec.gpu_model not in models:
            raise ServiceError(
                422, f"{where}gpu_model {spec.gpu_model!r} is not in this fleet; it has {', '.join(models)}"
            )
        ck = (spec.contract, spec.gpu_model)
        c = contracts.get(ck)
        if c is None:
            try:
                c = contracts[ck] = _contract_for(session, tenant_id, spec, t)
            except ServiceError as why:
                raise ServiceError(why.status, where + str(why.detail)) from None
        model = spec.gpu_model or c.gpu_model
        if spec.contract == "reserved" and spec.gpus > c.gpus:
            raise ServiceError(422, f"{where}{spec.gpus} GPUs exceed the {c.gpus} reserved by contract {c.id}")
        bk = (spec.placement, model)
        if bk not in biggest:
            biggest[bk] = d.largest_node(spec.placement, model)
        need = 1 if spec.kind == "batch" else spec.gpus
        if biggest[bk] < need:
            raise ServiceError(
                422,
                f"{where}no node of this fleet can hold {need} GPUs"
                f"{' of ' + model if model else ''} with placement {spec.placement!r} "
                f"(the largest holds {biggest[bk]}; gangs do not span nodes)",
            )
        jid = new_id("job")
        work = None if spec.work_gpu_hours is None else spec.work_gpu_hours * 3600.0
        row = {
            "id": jid,
            "tenant_id": tenant_id,
            "engine_row": len(d.job_ids) + d.group["jobs"] + i,
            "contract_id": c.id,
            "name": spec.name,
            "labels": dict(spec.labels),
            "kind": spec.kind,
            "contract": spec.contract,
            "placement": spec.placement,
            "gpus": spec.gpus,
            "gpu_model": model,
            "priority": spec.priority,
            "work_gpu_s": work,
            "duration_s": spec.duration_s,
            "checkpoint_interval_s": spec.checkpoint.interval_s,
            "checkpoint_write_s": spec.checkpoint.write_s,
            "restore_s": spec.checkpoint.restore_s,
            "allreduce_bytes_per_step": spec.allreduce_gb_per_step * 1e9,
            "step_compute_s": spec.step_compute_s,
            "dataset_bytes": spec.dataset_gb * 1e9,
            "submit_t_s": t,
            "state": "submitted",
            "node": None,
            "first_start_t_s": None,
            "end_t_s": None,
            "restarts": 0,
            "preemptions": 0,
            "done_gpu_s": 0.0,
            "metered_gpu_s": 0,
            "cost_micro_usd": 0,
            "failure_reason": None,
        }
        rows.append(row)
        payload: dict[str, Any] = {
            "tenant_id": tenant_id,
            "contract_id": c.id,
            "gpu_model_name": model,
            "kind": int(KINDS[spec.kind]),
            "gpus": spec.gpus,
            "contract": int(CONTRACTS[spec.contract]),
            "placement": int(PLACEMENTS[spec.placement]),
            "priority": spec.priority,
            "checkpoint_write_s": spec.checkpoint.write_s,
            "restore_s": spec.checkpoint.restore_s,
            "allreduce_bytes_per_step": spec.allreduce_gb_per_step * 1e9,
            "step_compute_s": spec.step_compute_s,
            "dataset_bytes": spec.dataset_gb * 1e9,
            "notice_s": c.notice_s,
        }
        for k, v in (
            ("work_gpu_s", work),
            ("duration_s", spec.duration_s),
            ("checkpoint_interval_s", spec.checkpoint.interval_s),
        ):
            if v is not None:
                payload[k] = v
        log("submit", jid, payload)
    out = [job_public(r, d).model_dump(mode="json") for r in rows]
    body = {"data": out, "count": len(out)} if isinstance(specs, _Bulk) else out[0]
    return rows, body


class _Bulk(list):
    """The jobs of a bulk submission (answered as ``{data, count}``)."""


def _answer(status: int, body: Any) -> Any:
    if status < 0:  # a replay of a stored answer
        return JSONResponse(body, status_code=-status, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(body, status_code=status)


@router.post(
    "",
    status_code=201,
    operation_id="submitJob",
    response_model=JobPublic,
    responses={409: {"description": "the same Idempotency-Key is in flight"}, 422: {"description": "invalid"}},
)
def submit_job(
    request: Request, body: JobSubmit, svc: ServiceDep, p: PrincipalDep, idempotency_key: IdemKey = None
) -> Any:
    """Submit a job. With an ``Idempotency-Key`` a retry returns the first answer (``Idempotent-Replayed: true``)
    and never creates a second job; the same key with a different body is a 422, and while the first request is
    in flight a 409."""
    return _answer(*_submit(svc, _tenant_of(p), [body], idempotency_key, "/v1/jobs"))


@router.post("/bulk", status_code=201, operation_id="submitJobs", response_model=BulkCreated)
def submit_jobs(body: BulkSubmit, svc: ServiceDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> Any:
    """Submit many jobs in one transaction (all or none), idempotent as a whole."""
    if len(body.jobs) > svc.settings.max_bulk_jobs:
        raise ServiceError(413, f"at most {svc.settings.max_bulk_jobs} jobs per bulk submission, got {len(body.jobs)}")
    return _answer(*_submit(svc, _tenant_of(p), _Bulk(body.jobs), idempotency_key, "/v1/jobs/bulk"))


@router.get("", operation_id="listJobs", response_model=JobList)
def list_jobs(
    session: SessionDep,
    svc: ServiceDep,
    p: PrincipalDep,
    state: JobState | None = None,
    kind: JobKindName | None = None,
    contract: ContractKind | None = None,
    name: str | None = Query(None, max_length=128),
    tenant_id: str | None = Query(None, max_length=64, description="admin only: one tenant's jobs"),
    submitted_after_s: float | None = Query(None, ge=-1e12, le=1e12),
    submitted_before_s: float | None = Query(None, ge=-1e12, le=1e12),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> JobList:
    """A page of jobs, newest last; ``count`` is the number matching the filters."""
    scope = tenant_scope(p, tenant_id)
    conds = []
    if scope is not None:
        conds.append(db.Job.tenant_id == scope)
    for col, v in ((db.Job.state, state), (db.Job.kind, kind), (db.Job.contract, contract), (db.Job.name, name)):
        if v is not None:
            conds.append(col == v)
    if submitted_after_s is not None:
        conds.append(db.Job.submit_t_s >= submitted_after_s)
    if submitted_before_s is not None:
        conds.append(db.Job.submit_t_s < submitted_before_s)
    rows = session.scalars(
        select(db.Job).where(*conds).order_by(db.Job.submit_t_s, db.Job.engine_row).limit(limit).offset(offset)
    )
    count = session.scalar(select(func.count()).select_from(db.Job).where(*conds)) or 0
    d = svc.driver
    return JobList(data=[job_public(j, d) for j in rows], count=count)


@router.get("/{job_id}", operation_id="getJob", response_model=JobPublic)
async def get_job(job_id: str, svc: ServiceDep, p: PrincipalDep) -> Response:
    """A job as of the clock: state, node, restarts, cost over all runs; queued: position and estimated start."""

    def read() -> str:  # one worker thread for the session, the read and the serialization (not one per step)
        with svc.sessions() as session:
            # serialized here: the model is built from the row, validating it again as the response costs as much
            return job_public(_own_job(session, p, job_id), svc.driver).model_dump_json()

    return Response(await anyio.to_thread.run_sync(read), media_type=JSON)


@router.post("/{job_id}/cancel", operation_id="cancelJob", response_model=JobPublic)
def cancel_job(job_id: str, svc: ServiceDep, p: PrincipalDep) -> JobPublic:
    """Cancel a job that has not finished (a running job stops now and its run is metered to now)."""
    d = svc.driver
    with d.transaction() as (session, t, log):
        job = _own_job(session, p, job_id)
        state = d.engine.state[job.engine_row]
        from orbitgrid.scheduling.live import LIVE_STATE_NAMES

        name = LIVE_STATE_NAMES[state]
        if name in FINAL:
            raise ServiceError(409, f"job {job_id} is already {name}")
        log("cancel", job_id, {"row": job.engine_row})
        job.state = "cancelled"
        job.end_t_s = t
        job.node = None
        out = job_public(job, d)
    return out


def _redact(detail: dict[str, Any], viewer: str | None) -> dict[str, Any]:
    """A preemption by another tenant's job names the contract class and the reason, not the job or the tenant."""
    by = detail.get("by_tenant")
    if by is None or viewer is None or by == viewer:
        return detail
    return {**detail, "by_job": None, "by_tenant": None, "by": "another tenant's job"}


def _events(
    session: Any, job_id: str, after: int, limit: int, d: Driver, viewer: str | None = None
) -> list[JobEventPublic]:
    rows = session.scalars(
        select(db.JobEvent)
        .where(db.JobEvent.job_id == job_id, db.JobEvent.seq > after)
        .order_by(db.JobEvent.seq)
        .limit(limit)
    )
    return [
        JobEventPublic(seq=e.seq, t_s=e.t_s, at=d.at(e.t_s), kind=e.kind, node=e.node, detail=_redact(e.detail, viewer))
        for e in rows
    ]


@router.get("/{job_id}/events", operation_id="listJobEvents", response_model=JobEventList)
def list_job_events(
    job_id: str,
    session: SessionDep,
    svc: ServiceDep,
    p: PrincipalDep,
    after_seq: int = Query(-1, ge=-1, le=2**31 - 1),
    limit: int = Query(1000, ge=1, le=10_000),
) -> JobEventList:
    """What happened to the job: queued, placed (node), checkpointed, interrupted (cause), preempted (by which job
    of which tenant and why), evicted (capacity drop), resumed, completed, failed, cancelled."""
    _own_job(session, p, job_id)
    data = _events(session, job_id, after_seq, limit, svc.driver, p.tenant_id)
    return JobEventList(data=data, count=len(data))


def _fetch(svc: ServiceState, job_id: str, after: int, viewer: str | None) -> tuple[list[JobEventPublic], bool]:
    with svc.sessions() as s:
        job = s.get(db.Job, job_id)
        final = job is not None and job.state in FINAL
        return _events(s, job_id, after, 500, svc.driver, viewer), final


@router.get(
    "/{job_id}/events/stream",
    operation_id="streamJobEvents",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events, one per job event"}},
)
async def stream_job_events(
    job_id: str,
    request: Request,
    svc: ServiceDep,
    p: PrincipalDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
) -> EventSourceResponse:
    """The job's events as server-sent events (``id`` = seq, so a reconnect with ``Last-Event-ID`` resumes); the
    stream ends after the job's final event."""

    def own() -> None:
        with svc.sessions() as s:
            _own_job(s, p, job_id)

    await anyio.to_thread.run_sync(own)
    try:
        after = int(last_event_id) if last_event_id else -1
    except ValueError:
        after = -1

    async def gen() -> AsyncIterator[dict[str, Any]]:
        nonlocal after
        while True:
            events, final = await anyio.to_thread.run_sync(_fetch, svc, job_id, after, p.tenant_id)
            if not events and final:  # a reconnect after the last event: nothing more will come
                return
            for e in events:
                after = e.seq
                yield {"id": str(e.seq), "event": e.kind, "data": e.model_dump_json()}
                if e.kind in FINAL:
                    return
            if await request.is_disconnected():
                return
            await asyncio.sleep(min(svc.settings.tick_s, 0.25))

    return EventSourceResponse(gen(), ping=15)
