"""Helpers of the service tests (a module with a unique name: every test directory has a conftest)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

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


def msg(r: Any) -> str:
    """The error text of an answer (422s carry a list of {loc, msg, type})."""
    d = r.json()["detail"]
    return " | ".join(e["msg"] for e in d) if isinstance(d, list) else str(d)
