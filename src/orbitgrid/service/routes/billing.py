"""Usage (the per-second ledger) and invoices (monthly, hourly lines) per tenant."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from orbitgrid.service import billing, db
from orbitgrid.service.deps import PrincipalDep, ServiceDep, SessionDep, tenant_scope
from orbitgrid.service.driver import Driver, ServiceError
from orbitgrid.service.schemas import (
    InvoiceList,
    InvoicePublic,
    InvoiceSummary,
    UsagePublic,
    UsageRunPublic,
)

router = APIRouter(prefix="/v1", tags=["billing"])
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _tenant(session: Session, p: Any, tenant_id: str | None) -> str:
    scope = tenant_scope(p, tenant_id)
    if scope is None:
        raise ServiceError(422, "the admin must name a tenant: ?tenant_id=...")
    if session.get(db.Tenant, scope) is None:
        raise ServiceError(404, f"tenant {scope} not found")
    return scope


def _clock(session: Session) -> float:
    c = session.get(db.Clock, 1)
    return 0.0 if c is None else c.t_s


def _runs(session: Session, tenant_id: str, lo: float, hi: float, clock: float) -> list[billing.MeteredRun]:
    """The tenant's ledger rows held in ``[lo, hi]``, metered (open runs through the committed ``clock``)."""
    prices = {c.id: c for c in session.scalars(select(db.Contract).where(db.Contract.tenant_id == tenant_id))}
    rows = session.scalars(
        select(db.UsageRun)
        .where(
            db.UsageRun.tenant_id == tenant_id,
            db.UsageRun.start_s < hi + 1,
            or_(db.UsageRun.end_s.is_(None), db.UsageRun.end_s >= lo - 1),
        )
        .order_by(db.UsageRun.start_s, db.UsageRun.job_id, db.UsageRun.run_seq)
    )
    out = []
    for r in rows:
        c = prices[r.contract_id]
        out.append(
            billing.meter(
                r.job_id,
                r.run_seq,
                c.id,
                c.kind,
                r.node,
                r.gpus,
                r.start_s,
                r.end_s,
                clock if r.end_s is None else r.end_s,
                r.outcome,
                c.price_micro_usd_per_gpu_hour,
            )
        )
    return out


@router.get("/usage", operation_id="getUsage", response_model=UsagePublic)
def get_usage(
    session: SessionDep,
    svc: ServiceDep,
    p: PrincipalDep,
    tenant_id: str | None = Query(None, max_length=64, description="admin only"),
    start_s: float = Query(0.0, ge=-1e12, le=1e12, description="runs held after this simulated time"),
    end_s: float | None = Query(None, ge=-1e12, le=1e12, description="and before this one (default: the clock)"),
    limit: int = Query(1000, ge=1, le=10_000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> UsagePublic:
    """The per-second ledger: every run of the tenant's jobs (open runs metered through the clock), whole seconds
    held, the minimum added, billed GPU-seconds and the exact amount; totals over all rows matching."""
    tid = _tenant(session, p, tenant_id)
    clock = _clock(session)
    hi = clock if end_s is None else end_s
    runs = [
        r
        for r in _runs(session, tid, start_s, hi, clock)
        if r.end > billing.second(start_s) and r.start < billing.second(hi) + (r.start == r.end)
    ]
    page = runs[offset : offset + limit]
    total = sum((r.amount for r in runs), start=billing.Fraction(0))
    return UsagePublic(
        tenant_id=tid,
        metered_through_s=clock,
        data=[
            UsageRunPublic(
                job_id=r.job_id,
                run_seq=r.run_seq,
                contract_id=r.contract_id,
                contract=r.kind,
                node=r.node,
                gpus=r.gpus,
                start_s=r.start,
                end_s=r.end,
                open=r.open,
                minimum_seconds=r.minimum_s,
                billed_gpu_seconds=r.billed_gpu_s,
                amount_usd=billing.usd(r.amount),
            )
            for r in page
        ],
        count=len(runs),
        gpu_seconds=sum(r.billed_gpu_s for r in runs),
        amount_usd=billing.usd(total),
    )


def _period_bounds(d: Driver, period: str) -> tuple[int, int]:
    m = PERIOD.match(period)
    if m is None:
        raise ServiceError(422, f"period must be YYYY-MM, got {period!r}")
    y, mo = int(m.group(1)), int(m.group(2))
    try:
        start = datetime(y, mo, 1, tzinfo=UTC)
        end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
    except ValueError:
        raise ServiceError(422, f"period {period!r} is outside the calendar (years 1 to 9998)") from None
    return round(d.to_sim(start)), round(d.to_sim(end))


def invoice_doc(session: Session, d: Driver, tenant_id: str, period: str) -> InvoicePublic:
    ps, pe = _period_bounds(d, period)
    clock = _clock(session)
    runs = _runs(session, tenant_id, ps, pe, clock)
    commitments = [
        billing.Commitment(
            c.id,
            c.gpus,
            billing.second(c.start_s),
            None if c.end_s is None else billing.second(c.end_s),
            c.price_micro_usd_per_gpu_hour,
        )
        for c in session.scalars(
            select(db.Contract).where(db.Contract.tenant_id == tenant_id, db.Contract.kind == "reserved")
        )
    ]
    offset = (d.epoch.minute * 60 + d.epoch.second) % billing.HOUR_S
    doc = billing.invoice(runs, commitments, ps, pe, billing.second(clock), offset)
    for line in doc["lines"]:
        line["hour_start"] = d.at(line["hour_start_s"])
    return InvoicePublic(
        tenant_id=tenant_id,
        period=period,
        period_start=d.at(ps),
        period_end=d.at(pe),
        status="closed" if pe <= clock else "open",
        as_of_s=clock,
        **doc,
    )


@router.get("/invoices/{period}", operation_id="getInvoice", response_model=InvoicePublic)
def get_invoice(
    session: SessionDep,
    svc: ServiceDep,
    p: PrincipalDep,
    period: str = Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (UTC, simulated calendar)"),
    tenant_id: str | None = Query(None, max_length=64, description="admin only"),
) -> InvoicePublic:
    """The month's invoice as of the clock: hourly usage lines per contract (seconds held plus minimums) and
    reserved commitment lines, totals, and the reconciliation with the per-second ledger (equal to the cent)."""
    tid = _tenant(session, p, tenant_id)
    return invoice_doc(session, svc.driver, tid, period)


@router.get("/invoices", operation_id="listInvoices", response_model=InvoiceList)
def list_invoices(
    session: SessionDep,
    svc: ServiceDep,
    p: PrincipalDep,
    tenant_id: str | None = Query(None, max_length=64, description="admin only"),
) -> InvoiceList:
    """Every month from the scenario's epoch to the clock, with its total."""
    tid = _tenant(session, p, tenant_id)
    d = svc.driver
    now = d.at(_clock(session))
    y, m = d.epoch.year, d.epoch.month
    out = []
    while (y, m) <= (now.year, now.month):
        period = f"{y:04d}-{m:02d}"
        inv = invoice_doc(session, d, tid, period)
        out.append(InvoiceSummary(period=period, status=inv.status, total_usd=inv.total_usd))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return InvoiceList(tenant_id=tid, data=out, count=len(out))
