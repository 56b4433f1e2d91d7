"""The application factory: ``create_app()`` returns a FastAPI app whose lifespan loads the scenario, builds the
fleet, opens the database (migrating it), rebuilds the scheduler from the command log and starts the clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orbitgrid.pipeline.live import LiveFleet, build_live_fleet, live_policy
from orbitgrid.service import db
from orbitgrid.service.auth import KeyStore, hash_key, new_key
from orbitgrid.service.deps import RateLimiter, ServiceState
from orbitgrid.service.driver import Driver, ServiceError
from orbitgrid.service.fastpath import FastPath
from orbitgrid.service.reads import JobReader
from orbitgrid.service.responses import FiniteJSONResponse, service_error_response
from orbitgrid.service.routes import billing as billing_routes
from orbitgrid.service.routes import dashboard as dashboard_routes
from orbitgrid.service.routes import fleet as fleet_routes
from orbitgrid.service.routes import jobs as job_routes
from orbitgrid.service.routes import tenants as tenant_routes
from orbitgrid.service.settings import Settings

API_VERSION = "1"


class BodyLimit:
    """Refuse request bodies over the limit with a 413 (Content-Length or counted while streaming), and a path or
    query string holding NUL (U+0000, ``%00``) with a 422: no identifier or filter contains it, and PostgreSQL's text
    type cannot even compare with it (the query would fail in the database)."""

    def __init__(self, app: ASGIApp, limit: int, bulk_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.bulk_limit = bulk_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _nul_in(scope)
        if where is not None:
            await _send_json(send, 422, {"detail": [{"loc": [where], "msg": _NUL_MSG, "type": "invalid"}]})
            return
        limit = self.bulk_limit if scope["path"].endswith("/bulk") else self.limit
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    too_big = int(v) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await _too_large(send, limit)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


_NUL_MSG = "NUL characters (U+0000, %00) are not allowed in paths or query strings"


def _nul_in(scope: Scope) -> str | None:
    """``"path"`` or ``"query"`` if that part of the request holds a NUL character, else None."""
    if "\x00" in scope["path"]:
        return "path"
    qs: bytes = scope.get("query_string", b"")
    if b"\x00" in qs or b"%00" in qs:
        return "query"
    return None


async def _too_large(send: Send, limit: int) -> None:
    await _send_json(send, 413, {"detail": f"request body larger than {limit} bytes"})


async def _send_json(send: Send, status: int, content: Any) -> None:
    body = json.dumps(content).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _check_meta(sessions: sessionmaker, scenario_name: str, seed: int, n_nodes: int, horizon_s: float) -> None:
    """The database belongs to this scenario (its log can only be replayed on the same fleet and seed)."""
    want = {"scenario": scenario_name, "seed": str(seed), "nodes": str(n_nodes), "horizon_s": repr(horizon_s)}
    with sessions() as s:
        have = {m.key: m.value for m in s.scalars(select(db.Meta).where(db.Meta.key.in_(list(want))))}
        if not have:
            s.add_all([db.Meta(key=k, value=v) for k, v in want.items()])
            s.commit()
            return
        if have != want:
            raise RuntimeError(
                f"this database was built with scenario {have.get('scenario')!r} (seed {have.get('seed')}, "
                f"{have.get('nodes')} nodes); it cannot serve {scenario_name!r} (seed {seed}, {n_nodes} nodes): "
                "use another --db"
            )


def preflight(settings: Settings, fleet: LiveFleet) -> None:
    """Open and migrate the database and check that it belongs to this scenario (RuntimeError otherwise), so the
    command line can say so before the server starts."""
    engine = db.make_engine(settings.db_url, settings.sqlite_synchronous)
    try:
        db.migrate(engine)
        sc = fleet.scenario
        _check_meta(sessionmaker(engine), sc.name, sc.seed, len(fleet.timeline.nodes), fleet.timeline.horizon_s)
    finally:
        engine.dispose()


def create_app(
    settings: Settings | None = None,
    *,
    fleet: LiveFleet | None = None,
    on_admin_key: Callable[[str], None] | None = None,
    on_ready: Callable[[ServiceState], None] | None = None,
) -> FastAPI:
    """The service. ``settings`` default to the environment; ``fleet`` may be given (tests build it once);
    ``on_admin_key`` receives a generated admin key once (the CLI prints it); ``on_ready`` runs after start."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or Settings()
        live = fleet
        if live is None:
            from orbitgrid.scenario import load_scenario

            live = build_live_fleet(load_scenario(s.scenario))
        scenario = live.scenario
        engine = db.make_engine(s.db_url, s.sqlite_synchronous)
        db.migrate(engine)
        sessions = sessionmaker(engine, expire_on_commit=False)
        _check_meta(sessions, scenario.name, scenario.seed, len(live.timeline.nodes), live.timeline.horizon_s)
        env_admin = s.admin_key.get_secret_value() if s.admin_key is not None else None
        if env_admin is not None and len(env_admin) < 32:
            raise RuntimeError("ORBITGRID_ADMIN_KEY must be at least 32 characters")
        with sessions() as ses:
            has_admin = ses.scalar(
                select(db.ApiKey.id).where(db.ApiKey.tenant_id.is_(None), db.ApiKey.revoked.is_(False))
            )
            if env_admin is None and has_admin is None:
                kid, key = new_key()
                ses.add(db.ApiKey(id=kid, tenant_id=None, hash=hash_key(key), created_t_s=0.0, revoked=False))
                ses.commit()
                if on_admin_key is not None:
                    on_admin_key(key)
            # requests that died with the last process created nothing: their keys are free again
            ses.execute(delete(db.IdempotencyKey).where(db.IdempotencyKey.done.is_(False)))
            ses.commit()
        driver = Driver(
            live, live_policy(scenario), scenario.seed, sessions, s.speed, s.tick_s, s.eta_horizon_s, s.eta_refresh_s
        )
        driver.replay()
        driver.inline_commits = engine.dialect.name == "sqlite"
        reader = JobReader(engine)
        state = ServiceState(s, sessions, driver, KeyStore(env_admin), RateLimiter(), {}, reader)
        app.state.service = state
        driver.start()
        if on_ready is not None:
            on_ready(state)
        try:
            yield
        finally:
            driver.stop()
            reader.close()
            engine.dispose()

    app = FastAPI(
        title="orbitgrid control plane",
        version=API_VERSION,
        description=(
            "Tenants, contracts, jobs, the fleet's live state, usage and invoices of an orbital and ground compute "
            "fleet scheduled by its digital twin. Every route needs 'Authorization: Bearer <key>'."
        ),
        lifespan=lifespan,
        default_response_class=FiniteJSONResponse,
    )
    limits = settings or None
    body_limit = limits.max_body_bytes if limits is not None else 1_048_576
    bulk_limit = limits.max_bulk_body_bytes if limits is not None else 32 * 1_048_576
    app.add_middleware(FastPath, state=app.state)  # inside the body limit: what it reads is limited too
    app.add_middleware(BodyLimit, limit=body_limit, bulk_limit=bulk_limit)

    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return service_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = []
        for e in exc.errors():
            errors.append({"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")})
        return JSONResponse({"detail": errors}, status_code=422)

    for r in (tenant_routes.router, job_routes.router, fleet_routes.router, billing_routes.router):
        app.include_router(r)
    for r in (dashboard_routes.router, dashboard_routes.pages):
        app.include_router(r)
    return app
