"""Tenant isolation: tenant A's key against every route on tenant B's resources (404 for B's things, 403 for the
admin's routes), B's job unchanged afterwards, and A's views of shared things (fleet, faults) without B's jobs."""

from __future__ import annotations

import pytest
from svc_helpers import ADMIN, TRAIN, new_tenant
from test_api import OPERATION_IDS

#: (operation id, method, path, query, body, expected status for tenant A on tenant B's resource)
MATRIX = [
    ("getTenant", "GET", "/v1/tenants/{tb}", None, None, 404),
    ("updateTenant", "PATCH", "/v1/tenants/{tb}", None, {"nominal_gpus": 0}, 403),
    ("createApiKey", "POST", "/v1/tenants/{tb}/keys", None, None, 403),
    ("revokeApiKey", "DELETE", "/v1/tenants/{tb}/keys/{kb}", None, None, 403),
    (
        "createContract",
        "POST",
        "/v1/tenants/{tb}/contracts",
        None,
        {"kind": "spot", "price_usd_per_gpu_hour": "0"},
        403,
    ),
    ("listContracts", "GET", "/v1/tenants/{tb}/contracts", None, None, 404),
    ("listTenants", "GET", "/v1/tenants", None, None, 403),
    ("createTenant", "POST", "/v1/tenants", None, {"name": "mallory"}, 403),
    ("getJob", "GET", "/v1/jobs/{jb}", None, None, 404),
    ("cancelJob", "POST", "/v1/jobs/{jb}/cancel", None, None, 404),
    ("listJobEvents", "GET", "/v1/jobs/{jb}/events", None, None, 404),
    ("streamJobEvents", "GET", "/v1/jobs/{jb}/events/stream", None, None, 404),
    ("listJobs", "GET", "/v1/jobs", {"tenant_id": "{tb}"}, None, 404),
    ("getUsage", "GET", "/v1/usage", {"tenant_id": "{tb}"}, None, 404),
    ("getInvoice", "GET", "/v1/invoices/2027-03", {"tenant_id": "{tb}"}, None, 404),
    ("listInvoices", "GET", "/v1/invoices", {"tenant_id": "{tb}"}, None, 404),
    ("advanceClock", "POST", "/v1/clock/advance", None, {"by_s": 60}, 403),
]
#: Operations without a tenant's resource in them: what A sees there is checked below.
SHARED = {
    "getClock",
    "getFleet",
    "getFleetMap",
    "getFleetHistory",
    "listNodes",
    "getNode",
    "listFaults",
    "submitJob",
    "submitJobs",
}


def test_the_matrix_covers_every_operation() -> None:
    assert {m[0] for m in MATRIX} | SHARED == OPERATION_IDS


@pytest.fixture
def two_tenants(make_client):
    c = make_client()
    ta, ha = new_tenant(c, "a")
    tb, hb = new_tenant(c, "b")
    jb = c.post("/v1/jobs", json={**TRAIN, "placement": "orbit"}, headers=hb).json()["id"]
    kb = c.post(f"/v1/tenants/{tb}/keys", headers=ADMIN).json()["key_id"]
    c.post("/v1/clock/advance", json={"by_s": 120}, headers=ADMIN)
    return c, ha, hb, {"tb": tb, "jb": jb, "kb": kb, "ta": ta}


def test_tenant_a_on_tenant_b(two_tenants) -> None:
    """Every verb of the matrix, one after the other on one app (B's job must survive all of them)."""
    c, ha, hb, ids = two_tenants
    for op, method, path, query, body, expected in MATRIX:
        params = {k: v.format(**ids) for k, v in (query or {}).items()}
        r = c.request(method, path.format(**ids), params=params, json=body, headers=ha)
        assert r.status_code == expected, (op, r.text)
        assert set(r.json()) == {"detail"}, op  # an error, nothing of B's
        job = c.get(f"/v1/jobs/{ids['jb']}", headers=hb).json()
        assert job["state"] == "running" and job["tenant_id"] == ids["tb"], op
    assert c.get(f"/v1/tenants/{ids['tb']}", headers=hb).json()["nominal_gpus"] is None
    assert c.get(f"/v1/tenants/{ids['tb']}/contracts", headers=hb).json()["count"] == 2
    keys_ok = c.get(f"/v1/tenants/{ids['tb']}", headers=hb).status_code
    assert keys_ok == 200 and c.get("/v1/tenants", headers=ADMIN).json()["count"] == 2


def test_shared_views_hide_other_tenants_jobs(two_tenants) -> None:
    c, ha, hb, ids = two_tenants
    assert c.get("/v1/jobs", headers=ha).json() == {"data": [], "count": 0}
    assert c.get("/v1/usage", headers=ha).json()["count"] == 0
    assert c.get("/v1/invoices/2027-03", headers=ha).json()["total_usd"] == "0.00"
    nodes = c.get("/v1/fleet/nodes", params={"kind": "orbital"}, headers=ha).json()["data"]
    busy = next(n for n in nodes if n["busy_gpus"])
    assert c.get(f"/v1/fleet/nodes/{busy['id']}", headers=ha).json()["own_jobs_running"] == []
    assert c.get(f"/v1/fleet/nodes/{busy['id']}", headers=hb).json()["own_jobs_running"] == [ids["jb"]]
    for f in c.get("/v1/fleet/faults", params={"limit": 1000}, headers=ha).json()["data"]:
        assert f["job_id"] is None
    # the admin sees everything
    assert c.get("/v1/jobs", headers=ADMIN).json()["count"] == 1
    assert c.get("/v1/jobs", params={"tenant_id": ids["tb"]}, headers=ADMIN).json()["count"] == 1
