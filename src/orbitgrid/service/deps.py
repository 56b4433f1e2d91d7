"""Dependencies: the service state, the session, the caller (every route authenticates) and rate limits."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from orbitgrid.service import db
from orbitgrid.service.auth import KeyStore, Principal
from orbitgrid.service.driver import Driver, ServiceError
from orbitgrid.service.reads import JobReader
from orbitgrid.service.settings import Settings


@dataclass
class Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """A token bucket per tenant (rate and burst from its row; the admin is not limited)."""

    buckets: dict[str, Bucket] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, tenant_id: str, rate: float, burst: int) -> float:
        """0 when the request may go on, else the seconds to wait."""
        now = time.monotonic()
        with self.lock:
            b = self.buckets.get(tenant_id)
            if b is None:
                b = self.buckets[tenant_id] = Bucket(float(burst), now)
            b.tokens = min(float(burst), b.tokens + (now - b.stamp) * rate)
            b.stamp = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return 0.0
            return (1.0 - b.tokens) / rate


@dataclass
class ServiceState:
    settings: Settings
    sessions: sessionmaker[Session]
    driver: Driver
    keys: KeyStore
    limiter: RateLimiter
    limits: dict[str, tuple[float, int]]  # tenant id -> (rate, burst), kept in step with the tenants table
    reader: JobReader


async def service(request: Request) -> ServiceState:
    return request.app.state.service


ServiceDep = Annotated[ServiceState, Depends(service)]


def session(svc: ServiceDep) -> Iterator[Session]:
    with svc.sessions() as s:
        yield s


SessionDep = Annotated[Session, Depends(session)]
_bearer = HTTPBearer(auto_error=False, description="an API key: og_<id>_<secret> (tenant) or the admin key")


async def principal(
    svc: ServiceDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller. Dependencies that only compute run on the event loop (a sync one costs a thread hop per
    request): a key verified before is a dictionary lookup; a new key (a database read and an argon2 hash) is
    verified in a worker thread."""
    if creds is None or not creds.credentials:
        raise ServiceError(401, "missing API key: send 'Authorization: Bearer <key>'")
    if len(creds.credentials) > MAX_KEY_CHARS:
        raise ServiceError(401, "invalid API key")
    p = known_caller(svc, creds.credentials)
    if p is None:
        p = await anyio.to_thread.run_sync(_verify, svc, creds.credentials)
    if p is None:
        raise ServiceError(401, "invalid API key")
    admit(svc, p)
    return p


#: Longest API key accepted (longer ones are refused before any lookup).
MAX_KEY_CHARS = 512


def known_caller(svc: ServiceState, key: str) -> Principal | None:
    """The caller of a key verified before whose tenant's limits are loaded (no database, no hash), else None."""
    p = svc.keys.cached(key)
    if p is None or (p.tenant_id is not None and p.tenant_id not in svc.limits):
        return None
    return p


def admit(svc: ServiceState, p: Principal) -> None:
    """The tenant's rate limit (a 429 with the seconds to wait); the admin is not limited."""
    if p.tenant_id is not None:
        rate, burst = svc.limits.get(
            p.tenant_id, (svc.settings.default_rate_limit_per_s, svc.settings.default_rate_burst)
        )
        wait = svc.limiter.take(p.tenant_id, rate, burst)
        if wait > 0:
            raise ServiceError(429, {"message": "rate limit exceeded", "retry_after_s": math.ceil(wait)})


def _verify(svc: ServiceState, key: str) -> Principal | None:
    with svc.sessions() as s:
        p = svc.keys.verify(s, key)
        if p is not None and p.tenant_id is not None and p.tenant_id not in svc.limits:
            t = s.get(db.Tenant, p.tenant_id)
            if t is not None:
                svc.limits[t.id] = (t.rate_limit_per_s, t.rate_burst)
    return p


PrincipalDep = Annotated[Principal, Depends(principal)]


async def admin(p: PrincipalDep) -> Principal:
    if not p.is_admin:
        raise ServiceError(403, "this route needs the admin key")
    return p


AdminDep = Annotated[Principal, Depends(admin)]


def tenant_scope(p: Principal, tenant_id: str | None) -> str | None:
    """The tenant a request may see: its own (another tenant's id is a 404), or any (admin; None: all)."""
    if p.is_admin:
        return tenant_id
    if tenant_id is not None and tenant_id != p.tenant_id:
        raise ServiceError(404, f"tenant {tenant_id} not found")
    return p.tenant_id
