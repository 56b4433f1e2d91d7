"""A small fleet (a ground site of 64 H100 and a two-satellite shell) built once,
and apps on fresh databases (SQLite files, or PostgreSQL when ORBITGRID_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from svc_helpers import ADMIN_KEY, SCENARIO

from orbitgrid.pipeline.live import LiveFleet, build_live_fleet
from orbitgrid.scenario.loader import load_scenario_text
from orbitgrid.service.app import create_app
from orbitgrid.service.settings import Settings


@pytest.fixture(scope="session")
def live_fleet(tmp_path_factory: pytest.TempPathFactory) -> LiveFleet:
    path = tmp_path_factory.mktemp("scn") / "service-test.yaml"
    path.write_text(SCENARIO)
    return build_live_fleet(load_scenario_text(SCENARIO, base_dir=path.parent, source=str(path)))


def _postgres_url() -> str | None:
    return os.environ.get("ORBITGRID_TEST_POSTGRES_URL") or None


def _fresh_postgres(base: str) -> str:
    """A new schema-less database on the server of ``base`` (dropped at the end of the session by name)."""
    import psycopg

    name = f"og_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip("ORBITGRID_TEST_POSTGRES_URL is not set")
    url = _fresh_postgres(base)
    yield url
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture
def make_client(live_fleet: LiveFleet, db_url: str) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(speed: float = 0.0, **kw: Any) -> TestClient:
        settings = Settings(db_url=db_url, speed=speed, admin_key=ADMIN_KEY, tick_s=0.05, eta_refresh_s=0.0, **kw)
        c = TestClient(create_app(settings, fleet=live_fleet))
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
