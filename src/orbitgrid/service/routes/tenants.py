"""Tenants, their API keys, limits and contracts (admin; a tenant may read its own)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from orbitgrid.service import db
from orbitgrid.service.auth import hash_key, new_key
from orbitgrid.service.deps import AdminDep, PrincipalDep, ServiceDep, SessionDep, tenant_scope
from orbitgrid.service.driver import ServiceError, new_id
from orbitgrid.service.schemas import (
    ContractCreate,
    ContractList,
    ContractPublic,
    KeyCreated,
    TenantCreate,
    TenantCreated,
    TenantList,
    TenantPublic,
    TenantUpdate,
)

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])
#: Default notice of a spot preemption, s (EC2's two-minute spot interruption notice).
SPOT_NOTICE_S = 120.0
LIMIT_FIELDS = ("cohort", "nominal_gpus", "borrowing_limit_gpus", "lending_limit_gpus")


def public(t: db.Tenant) -> TenantPublic:
    return TenantPublic(
        id=t.id,
        name=t.name,
        created_t_s=t.created_t_s,
        cohort=t.cohort,
        nominal_gpus=t.nominal_gpus,
        borrowing_limit_gpus=t.borrowing_limit_gpus,
        lending_limit_gpus=t.lending_limit_gpus,
        max_active_jobs=t.max_active_jobs,
        rate_limit_per_s=t.rate_limit_per_s,
        rate_burst=t.rate_burst,
    )


def _get(session: SessionDep, tenant_id: str) -> db.Tenant:
    t = session.get(db.Tenant, tenant_id)
    if t is None:
        raise ServiceError(404, f"tenant {tenant_id} not found")
    return t


@router.post("", status_code=201, operation_id="createTenant", response_model=TenantCreated)
def create_tenant(body: TenantCreate, svc: ServiceDep, _: AdminDep) -> TenantCreated:
    """Create a tenant and its first API key (shown once)."""
    s = svc.settings
    kid, key = new_key()
    hashed = hash_key(key)
    tid = new_id("ten")
    d = svc.driver
    try:
        with d.transaction() as (session, t, log):
            if session.scalar(select(db.Tenant.id).where(db.Tenant.name == body.name)) is not None:
                raise ServiceError(409, f"a tenant named {body.name!r} exists")
            row = db.Tenant(
                id=tid,
                name=body.name,
                engine_index=len(d.tenant_of_index),
                created_t_s=t,
                cohort=body.cohort,
                nominal_gpus=body.nominal_gpus,
                borrowing_limit_gpus=body.borrowing_limit_gpus,
                lending_limit_gpus=body.lending_limit_gpus,
                max_active_jobs=body.max_active_jobs or s.default_max_active_jobs,
                rate_limit_per_s=body.rate_limit_per_s or s.default_rate_limit_per_s,
                rate_burst=body.rate_burst or s.default_rate_burst,
            )
            session.add(row)
            session.flush()
            session.add(db.ApiKey(id=kid, tenant_id=tid, hash=hashed, created_t_s=t, revoked=False))
            log("tenant", tid, {f: getattr(body, f) for f in LIMIT_FIELDS})
            for i, con in enumerate(body.contracts):
                try:
                    _add_contract(session, svc, t, log, tid, con)
                except ServiceError as why:
                    raise ServiceError(why.status, f"contracts[{i}]: {why.detail}") from None
            out = public(row)
    except IntegrityError as why:
        raise ServiceError(409, f"a tenant named {body.name!r} exists") from why
    svc.limits[tid] = (out.rate_limit_per_s, out.rate_burst)
    d.max_active_jobs[tid] = out.max_active_jobs
    return TenantCreated(tenant=out, api_key=key)


@router.get("", operation_id="listTenants", response_model=TenantList)
def list_tenants(
    session: SessionDep,
    _: AdminDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> TenantList:
    rows = session.scalars(select(db.Tenant).order_by(db.Tenant.created_t_s, db.Tenant.id).limit(limit).offset(offset))
    count = session.scalar(select(func.count()).select_from(db.Tenant)) or 0
    return TenantList(data=[public(t) for t in rows], count=count)


@router.get("/{tenant_id}", operation_id="getTenant", response_model=TenantPublic)
def get_tenant(tenant_id: str, session: SessionDep, p: PrincipalDep) -> TenantPublic:
    tenant_scope(p, tenant_id)
    return public(_get(session, tenant_id))


@router.patch("/{tenant_id}", operation_id="updateTenant", response_model=TenantPublic)
def update_tenant(tenant_id: str, body: TenantUpdate, svc: ServiceDep, _: AdminDep) -> TenantPublic:
    """Change limits; quota fields take effect in the scheduler at once (fields left out keep their values)."""
    given = body.model_dump(exclude_unset=True)
    with svc.driver.transaction() as (session, _t, log):
        t = _get(session, tenant_id)
        for k, v in given.items():
            if k in ("max_active_jobs", "rate_limit_per_s", "rate_burst") and v is None:
                raise ServiceError(422, f"{k} cannot be null")
            setattr(t, k, v)
        if any(k in given for k in LIMIT_FIELDS):
            log("quota", tenant_id, {f: getattr(t, f) for f in LIMIT_FIELDS})
        out = public(t)
    svc.limits[tenant_id] = (out.rate_limit_per_s, out.rate_burst)
    svc.driver.max_active_jobs[tenant_id] = out.max_active_jobs
    return out


@router.post("/{tenant_id}/keys", status_code=201, operation_id="createApiKey", response_model=KeyCreated)
def create_key(tenant_id: str, session: SessionDep, svc: ServiceDep, _: AdminDep) -> KeyCreated:
    _get(session, tenant_id)
    kid, key = new_key()
    session.add(db.ApiKey(id=kid, tenant_id=tenant_id, hash=hash_key(key), created_t_s=svc.driver.sim_now()))
    session.commit()
    return KeyCreated(key_id=kid, api_key=key)


@router.delete("/{tenant_id}/keys/{key_id}", status_code=204, operation_id="revokeApiKey")
def revoke_key(tenant_id: str, key_id: str, session: SessionDep, svc: ServiceDep, _: AdminDep) -> None:
    row = session.get(db.ApiKey, key_id)
    if row is None or row.tenant_id != tenant_id:
        raise ServiceError(404, f"key {key_id} of tenant {tenant_id} not found")
    row.revoked = True
    session.commit()
    svc.keys.forget(key_id)


def contract_public(c: db.Contract, svc: ServiceDep) -> ContractPublic:
    d = svc.driver
    return ContractPublic(
        id=c.id,
        tenant_id=c.tenant_id,
        kind=c.kind,
        gpus=c.gpus,
        gpu_model=c.gpu_model,
        price_usd_per_gpu_hour=str(Decimal(c.price_micro_usd_per_gpu_hour).scaleb(-6).normalize()),
        starts_at=d.at(c.start_s),
        ends_at=None if c.end_s is None else d.at(c.end_s),
        notice_s=c.notice_s,
    )


def _add_contract(
    session: Any, svc: ServiceDep, t: float, log: Any, tenant_id: str, body: ContractCreate
) -> db.Contract:
    d = svc.driver
    if body.gpu_model is not None and body.gpu_model not in d.gpu_models():
        raise ServiceError(
            422, f"gpu_model {body.gpu_model!r} is not in this fleet; it has {', '.join(d.gpu_models())}"
        )
    price = int(body.price_usd_per_gpu_hour * 1_000_000)
    start = t if body.starts_at is None else d.to_sim(body.starts_at)
    end = None if body.ends_at is None else d.to_sim(body.ends_at)
    if start < t - 1e-6:
        raise ServiceError(422, "starts_at is in the past of the simulated clock")
    if end is not None and end <= start:
        raise ServiceError(422, "ends_at must be after starts_at")
    cid = new_id("con")
    row = db.Contract(
        id=cid,
        tenant_id=tenant_id,
        kind=body.kind,
        gpu_model=body.gpu_model,
        gpus=body.gpus,
        price_micro_usd_per_gpu_hour=price,
        start_s=start,
        end_s=end,
        created_t_s=t,
        notice_s=(SPOT_NOTICE_S if body.notice_s is None else body.notice_s) if body.kind == "spot" else 0.0,
    )
    session.add(row)
    payload = {"tenant_id": tenant_id, "kind": body.kind, "gpus": body.gpus, "gpu_model": body.gpu_model}
    log("contract", cid, {**payload, "price": price, "start_s": start, "end_s": end, "notice_s": row.notice_s})
    return row


@router.post("/{tenant_id}/contracts", status_code=201, operation_id="createContract", response_model=ContractPublic)
def create_contract(tenant_id: str, body: ContractCreate, svc: ServiceDep, _: AdminDep) -> ContractPublic:
    """A reserved commitment (GPUs of a class for a period at a price per GPU-hour), or on-demand or spot prices."""
    with svc.driver.transaction() as (session, t, log):
        _get(session, tenant_id)
        row = _add_contract(session, svc, t, log, tenant_id, body)
        out = contract_public(row, svc)
    return out


@router.get("/{tenant_id}/contracts", operation_id="listContracts", response_model=ContractList)
def list_contracts(tenant_id: str, session: SessionDep, svc: ServiceDep, p: PrincipalDep) -> ContractList:
    tenant_scope(p, tenant_id)
    _get(session, tenant_id)
    rows = list(
        session.scalars(
            select(db.Contract).where(db.Contract.tenant_id == tenant_id).order_by(db.Contract.start_s, db.Contract.id)
        )
    )
    return ContractList(data=[contract_public(c, svc) for c in rows], count=len(rows))
