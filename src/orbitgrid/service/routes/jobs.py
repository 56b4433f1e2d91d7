"""Jobs: submit (one or in bulk, idempotent), list, get, cancel, events (also streamed with server-sent events)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter
from sqlalchemy import RowMapping, bindparam, func, select
from sse_starlette.sse import EventSourceResponse
from typing_extensions import TypedDict

from orbitgrid.scheduling.live import LIVE_STATE_NAMES
from orbitgrid.service import billing, db
from orbitgrid.service.auth import Principal
from orbitgrid.service.deps import PrincipalDep, ServiceDep, ServiceState, SessionDep, tenant_scope
from orbitgrid.service.driver import CONTRACTS, FINAL, KINDS, PLACEMENTS, Accepted, Driver, ServiceError, new_id
from orbitgrid.service.schemas import (
    NO_NUL,
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
SUBMIT_PATH = "/v1/jobs"
BULK_PATH = "/v1/jobs/bulk"
JSON = "application/json"
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NO_NUL,
        description="a retried submission with the same key returns the first answer and creates nothing",
    ),
]


def job_public(j: Mapping[str, Any] | RowMapping, d: Driver, clock: float) -> JobPublic:
    """A job's answer from its row (a mapping of the ``jobs`` columns): its open run, if any, metered through the
    committed ``clock`` read with the row, added to its closed runs."""
    state = j["state"]
    row = j["engine_row"]
    est = d.estimates
    pos = eta = as_of = None
    if state in ("submitted", "queued") and (row in est.position or row in est.start_s):
        pos = est.position.get(row)
        s = est.start_s.get(row)
        eta = None if s is None else d.at(s)
        as_of = est.as_of_s
    first, end = j["first_start_t_s"], j["end_t_s"]
    work = j["work_gpu_s"]
    metered, x3600 = j["metered_gpu_s"], j["closed_cost_x3600"]
    start = j["run_start_s"]
    if start is not None:
        c = d.contracts[j["contract_id"]]
        m = billing.meter(j["id"], 0, c.id, c.kind, "", j["run_gpus"], start, None, clock, None, c.price)
        metered += m.billed_gpu_s
        x3600 += m.amount_x3600
    return JobPublic(
        id=j["id"],
        tenant_id=j["tenant_id"],
        name=j["name"],
        labels=j["labels"] or {},
        kind=j["kind"],
        contract=j["contract"],
        contract_id=j["contract_id"],
        placement=j["placement"],
        gpus=j["gpus"],
        gpu_model=j["gpu_model"],
        priority=j["priority"],
        work_gpu_hours=None if work is None else work / 3600.0,
        duration_s=j["duration_s"],
        state=state,
        submitted_at=d.at(j["submit_t_s"]),
        submit_t_s=j["submit_t_s"],
        node=j["node"],
        started_at=None if first is None else d.at(first),
        ended_at=None if end is None else d.at(end),
        restarts=j["restarts"],
        preemptions=j["preemptions"],
        done_gpu_hours=(j["done_gpu_s"] or 0.0) / 3600.0,
        metered_gpu_seconds=metered,
        cost_usd=f"{billing.micro_from_x3600(x3600) / 1e6:.6f}",
        failure_reason=j["failure_reason"],
        queue_position=pos,
        estimated_start_at=eta,
        estimate_as_of_s=as_of,
    )


def _columns(job: db.Job) -> dict[str, Any]:
    return {c: getattr(job, c) for c in _COLUMNS}


_COLUMNS = tuple(c.name for c in db.Job.__table__.columns)
_JOB_PAGE = select(db.Job.__table__)
_CLOCK = select(db.Clock.t_s).where(db.Clock.id == 1)


def _own_job(session: Any, p: Principal, job_id: str) -> db.Job:
    job = session.get(db.Job, job_id)
    if job is None or (not p.is_admin and job.tenant_id != p.tenant_id):
        raise ServiceError(404, f"job {job_id} not found")
    return job


def _tenant_of(p: Principal) -> str:
    if p.tenant_id is None:
        raise ServiceError(403, "jobs are submitted with a tenant's key, not the admin key")
    return p.tenant_id


_SPECS = TypeAdapter(list[JobSubmit])


def _fingerprint(path: str, specs: list[JobSubmit]) -> str:
    """The request as validated (defaults filled in, fields in schema order), hashed: a retry whose body differs
    only in spacing, key order or defaults spelled out is the same request."""
    return hashlib.sha256(path.encode() + b"\n" + _SPECS.dump_json(specs)).hexdigest()


def _fingerprint_v1(path: str, specs: list[JobSubmit]) -> str:
    """The fingerprint of keys stored by earlier versions (the sorted keys of a JSON dump), still recognized."""
    doc = {"path": path, "jobs": [s.model_dump(mode="json") for s in specs]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


_KEY = db.IdempotencyKey.__table__
_KEY_ROW = select(_KEY.c.fingerprint, _KEY.c.done, _KEY.c.status_code, _KEY.c.response).where(
    _KEY.c.tenant_id == bindparam("tenant_id"), _KEY.c.key == bindparam("key")
)


async def submission(svc: ServiceState, p: Principal, specs: list[JobSubmit], key: str | None, path: str) -> Response:
    """Check, create and answer a submission in the driver's group commit: the jobs, their commands and the key's
    answer commit together, once for every submission that waited for the log's lock with it (never for the engine:
    it adds the jobs on its next advance). A key already answered replays its answer; a key in a request of the same
    group (or left unfinished) is a 409; a refusal stores nothing, so the key stays free. The answer is serialized
    once: the same bytes are stored with the key."""
    tenant_id = _tenant_of(p)
    if isinstance(specs, Bulk) and len(specs) > svc.settings.max_bulk_jobs:
        raise ServiceError(413, f"at most {svc.settings.max_bulk_jobs} jobs per bulk submission, got {len(specs)}")
    d = svc.driver
    fp = _fingerprint(path, specs) if key is not None else ""

    def check(session: Any, t: float, log: Any) -> Accepted:
        if key is not None:
            if (tenant_id, key) in d.group["keys"]:
                raise ServiceError(409, "a request with this Idempotency-Key is in progress; retry later")
            row = session.connection().execute(_KEY_ROW, {"tenant_id": tenant_id, "key": key}).first()
            if row is not None:
                if row.fingerprint != fp and row.fingerprint != _fingerprint_v1(path, specs):
                    raise ServiceError(
                        422, "this Idempotency-Key was used with a different request; use a new key for a new request"
                    )
                if not row.done:
                    raise ServiceError(409, "a request with this Idempotency-Key is in progress; retry later")
                return Accepted((-(row.status_code or 201), (row.response or "null").encode()))
        rows, body = _create(svc, t, log, tenant_id, specs)
        out: dict[type[db.Base], list[dict[str, Any]]] = {db.Job: rows}
        if key is not None:
            d.group["keys"].add((tenant_id, key))
            out[db.IdempotencyKey] = [
                {
                    "tenant_id": tenant_id,
                    "key": key,
                    "fingerprint": fp,
                    "done": True,
                    "status_code": 201,
                    "response": body.decode(),
                    "created_t_s": t,
                }
            ]
        return Accepted((201, body), out)

    return _answer(*(await d.grouped(check)))


def _create(
    svc: ServiceState, t: float, log: Any, tenant_id: str, specs: list[JobSubmit]
) -> tuple[list[dict[str, Any]], bytes]:
    """Validate a submission (from the driver's state: no database read; a refusal raises) and log its commands:
    the job rows and the answer's JSON."""
    d = svc.driver
    models = d.gpu_models()
    if t >= d.horizon_s:
        raise ServiceError(409, f"the simulated period of scenario {d.scenario.name!r} has ended ({d.horizon_s:.0f} s)")
    limit = d.max_active_jobs.get(tenant_id)
    if limit is None:
        raise ServiceError(404, f"tenant {tenant_id} not found")
    active = d.active[tenant_id] + d.group["tenant_jobs"][tenant_id]
    if active + len(specs) > limit:
        raise ServiceError(429, f"at most {limit} active jobs per tenant; {active} are active")
    rows: list[dict[str, Any]] = []
    biggest: dict[tuple[str, str | None], int] = {}
    contracts: dict[tuple[str, str | None], Any] = {}
    for i, spec in enumerate(specs):
        where = f"jobs[{i}]: " if len(specs) > 1 else ""
        if spec.gpu_model is not None and spec.gpu_model not in models:
            raise ServiceError(
                422, f"{where}gpu_model {spec.gpu_model!r} is not in this fleet; it has {', '.join(models)}"
            )
        ck = (spec.contract, spec.gpu_model)
        c = contracts.get(ck)
        if c is None:
            c = contracts[ck] = d.contract_for(tenant_id, spec.contract, spec.gpu_model, t)
            if c is None:
                what = f" for {spec.gpu_model}" if spec.gpu_model else ""
                raise ServiceError(422, f"{where}no active {spec.contract} contract{what}: ask the operator for one")
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
        ckpt = spec.checkpoint
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
            "checkpoint_interval_s": ckpt.interval_s,
            "checkpoint_write_s": ckpt.write_s,
            "restore_s": ckpt.restore_s,
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
            "closed_cost_x3600": 0,
            "run_start_s": None,
            "run_gpus": None,
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
            "checkpoint_write_s": ckpt.write_s,
            "restore_s": ckpt.restore_s,
            "allreduce_bytes_per_step": row["allreduce_bytes_per_step"],
            "step_compute_s": spec.step_compute_s,
            "dataset_bytes": row["dataset_bytes"],
            "notice_s": c.notice_s,
        }
        for k, v in (("work_gpu_s", work), ("duration_s", spec.duration_s), ("checkpoint_interval_s", ckpt.interval_s)):
            if v is not None:
                payload[k] = v
        log("submit", jid, payload)
    at = d.at(t)
    fresh = [_fresh(r, at) for r in rows]
    if isinstance(specs, Bulk):
        body = b'{"data":' + _FRESH_ANSWERS.dump_json(fresh) + b',"count":' + str(len(fresh)).encode() + b"}"
    else:
        body = _FRESH_ANSWERS.dump_json(fresh)[1:-1]
    return rows, body


def _fresh(r: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A new job's answer (what :func:`job_public` gives a row just created: nothing run, no estimate yet), as a
    dict with :class:`JobPublic`'s fields in its order."""
    work = r["work_gpu_s"]
    return {
        "id": r["id"],
        "tenant_id": r["tenant_id"],
        "name": r["name"],
        "labels": r["labels"],
        "kind": r["kind"],
        "contract": r["contract"],
        "contract_id": r["contract_id"],
        "placement": r["placement"],
        "gpus": r["gpus"],
        "gpu_model": r["gpu_model"],
        "priority": r["priority"],
        "work_gpu_hours": None if work is None else work / 3600.0,
        "duration_s": r["duration_s"],
        "state": r["state"],
        "submitted_at": at,
        "submit_t_s": r["submit_t_s"],
        "node": None,
        "started_at": None,
        "ended_at": None,
        "restarts": 0,
        "preemptions": 0,
        "done_gpu_hours": 0.0,
        "metered_gpu_seconds": 0,
        "cost_usd": "0.000000",
        "failure_reason": None,
        "queue_position": None,
        "estimated_start_at": None,
        "estimate_as_of_s": None,
    }


#: New jobs' answers serialized straight from their dicts: :class:`JobPublic`'s fields as a TypedDict, so the
#: bytes are those of ``JobPublic.model_dump_json`` without building (and validating) a model per job.
_FRESH_FIELDS: dict[str, Any] = {k: f.annotation for k, f in JobPublic.model_fields.items()}
_FreshJob: Any = TypedDict("_FreshJob", _FRESH_FIELDS)  # type: ignore[misc]
_FRESH_ANSWERS: TypeAdapter[Any] = TypeAdapter(list[_FreshJob])


class Bulk(list):
    """The jobs of a bulk submission (answered as ``{data, count}``)."""


def _answer(status: int, body: bytes) -> Response:
    if status < 0:  # a replay of a stored answer
        return Response(body, status_code=-status, media_type=JSON, headers={"Idempotent-Replayed": "true"})
    return Response(body, status_code=status, media_type=JSON)


@router.post(
    "",
    status_code=201,
    operation_id="submitJob",
    response_model=JobPublic,
    responses={409: {"description": "the same Idempotency-Key is in flight"}, 422: {"description": "invalid"}},
)
async def submit_job(body: JobSubmit, svc: ServiceDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> Any:
    """Submit a job. With an ``Idempotency-Key`` a retry returns the first answer (``Idempotent-Replayed: true``)
    and never creates a second job; the same key with a different body is a 422, and while the first request is
    in flight a 409."""
    return await submission(svc, p, [body], idempotency_key, SUBMIT_PATH)


@router.post("/bulk", status_code=201, operation_id="submitJobs", response_model=BulkCreated)
async def submit_jobs(body: BulkSubmit, svc: ServiceDep, p: PrincipalDep, idempotency_key: IdemKey = None) -> Any:
    """Submit many jobs in one transaction (all or none), idempotent as a whole."""
    with svc.driver.precedence():
        return await submission(svc, p, Bulk(body.jobs), idempotency_key, BULK_PATH)


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
    conn = session.connection()
    # the clock first: rows read after it are at least as new, so an open run is never metered past its end
    clock = conn.execute(_CLOCK).scalar() or 0.0
    rows = conn.execute(
        _JOB_PAGE.where(*conds).order_by(db.Job.submit_t_s, db.Job.engine_row).limit(limit).offset(offset)
    ).mappings()
    data = [job_public(j, svc.driver, clock) for j in rows]
    count = conn.execute(select(func.count()).select_from(db.Job).where(*conds)).scalar() or 0
    return JobList(data=data, count=count)


@router.get("/{job_id}", operation_id="getJob", response_model=JobPublic)
async def get_job(job_id: str, svc: ServiceDep, p: PrincipalDep) -> Response:
    """A job as of the clock: state, node, restarts, cost over all runs; queued: position and estimated start."""
    return await job_response(svc, p, job_id)


async def job_response(svc: ServiceState, p: Principal, job_id: str) -> Response:
    """``getJob``'s answer (also served by the fast path, :mod:`orbitgrid.service.fastpath`)."""
    job = await svc.reader.job(job_id)
    if job is None or (not p.is_admin and job["tenant_id"] != p.tenant_id):
        raise ServiceError(404, f"job {job_id} not found")
    # serialized here: the model is built from the row, validating it again as the response costs as much
    return Response(job_public(job, svc.driver, job["clock_t_s"] or 0.0).model_dump_json(), media_type=JSON)


@router.post("/{job_id}/cancel", operation_id="cancelJob", response_model=JobPublic)
def cancel_job(job_id: str, svc: ServiceDep, p: PrincipalDep) -> JobPublic:
    """Cancel a job that has not finished (a running job stops now and its run is metered to now)."""
    d = svc.driver
    with d.transaction() as (session, t, log):
        job = _own_job(session, p, job_id)
        state = d.engine.state[job.engine_row]
        name = LIVE_STATE_NAMES[state]
        if name in FINAL:
            raise ServiceError(409, f"job {job_id} is already {name}")
        log("cancel", job_id, {"row": job.engine_row})
        job.state = "cancelled"
        job.end_t_s = t
        job.node = None
        out = job_public(_columns(job), d, d.committed_t_s)
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
