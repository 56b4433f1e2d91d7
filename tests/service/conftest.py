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

from orbitgrid.pipeline.live import LiveFleet, build_live_fleet
from orbitgrid.scenario.loader import load_scenario_text
from orbitgrid.service.app import create_app
from orbitgrid.service.settings import Settings

SCENARIO = """\
schema_version: 1
name: service-test
epoch: 2027-03-31T22:00:00Z
duration: 3d
step: 60s
seed: 11
fleet:
  shells:
    - name: dd
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}
      design: compute-sat
  ground_sites:
    - {name: memphis, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 64}, grid_power_mw: 1, pue: 1.2}
policy: {name: priority}
"""
ADMIN_KEY = "test-admin-key-" + "x" * 32


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


ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_tenant(
    client: TestClient, name: str, contracts: tuple[str, ...] = ("on_demand", "spot"), **limits: Any
) -> tuple[str, dict[str, str]]:
    """A tenant with on-demand ($3.50/GPU-h) and spot ($1.05/GPU-h) contracts; returns its id and auth header."""
    r = client.post("/v1/tenants", json={"name": name, **limits}, headers=ADMIN)
    assert r.status_code == 201, r.text
    tid, key = r.json()["tenant"]["id"], r.json()["api_key"]
    prices = {"on_demand": "3.50", "spot": "1.05"}
    for kind in contracts:
        r = client.post(
            f"/v1/tenants/{tid}/contracts", json={"kind": kind, "price_usd_per_gpu_hour": prices[kind]}, headers=ADMIN
        )
        assert r.status_code == 201, r.text
    return tid, bearer(key)


TRAIN = {"kind": "training", "gpus": 8, "gpu_model": "H100", "work_gpu_hours": 8.0, "placement": "ground"}
