"""Every route of the control plane on a paused clock (moved by the admin), against SQLite and, when
ORBITGRID_TEST_POSTGRES_URL is set, PostgreSQL."""

from __future__ import annotations

import json
import threading

from svc_helpers import ADMIN, TRAIN, bearer, msg, new_tenant

from orbitgrid.service import db

OPERATION_IDS = {
    "createTenant",
    "listTenants",
    "getTenant",
    "updateTenant",
    "createApiKey",
    "revokeApiKey",
    "createContract",
    "listContracts",
    "submitJob",
    "submitJobs",
    "listJobs",
    "getJob",
    "cancelJob",
    "listJobEvents",
    "streamJobEvents",
    "getClock",
    "advanceClock",
    "getFleet",
    "getFleetMap",
    "getFleetHistory",
    "listNodes",
    "getNode",
    "listFaults",
    "getUsage",
    "getInvoice",
    "listInvoices",
}


def advance(c, by_s: float) -> None:
    r = c.post("/v1/clock/advance", json={"by_s": by_s}, headers=ADMIN)
    assert r.status_code == 200, r.text


def test_openapi_is_public_and_holds_no_secret(make_client) -> None:
    """docs/design.md: the API's description needs no key; it must then carry no key (nor any tenant's data)."""
    c = make_client()
    r = c.post("/v1/tenants", json={"name": "secretive-lab"}, headers=ADMIN)
    tenant_key = r.json()["api_key"]
    for path in ("/openapi.json", "/docs"):
        doc = c.get(path)
        assert doc.status_code == 200, path
        for secret in (ADMIN["Authorization"].split()[1], tenant_key, "secretive-lab"):
            assert secret not in doc.text, (path, secret[:8])


def test_openapi_has_stable_operation_ids_and_every_route_needs_a_key(make_client) -> None:
    c = make_client()
    spec = c.get("/openapi.json").json()
    ops = {(m.upper(), p): o for p, item in spec["paths"].items() for m, o in item.items()}
    assert {o["operationId"] for o in ops.values()} == OPERATION_IDS
    for (method, path), _ in ops.items():
        url = path.replace("{tenant_id}", "ten_x").replace("{job_id}", "job_x").replace("{key_id}", "k")
        url = url.replace("{node_id}", "0").replace("{period}", "2027-03")
        r = c.request(method, url)
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["www-authenticate"] == "Bearer"
        r = c.request(method, url, headers=bearer("og_nothere_secret"))
        assert r.status_code == 401, (method, path)


def test_tenants_keys_and_contracts(make_client) -> None:
    c = make_client()
    tid, h = new_tenant(c, "lab", cohort="research", nominal_gpus=32, borrowing_limit_gpus=8)
    t = c.get(f"/v1/tenants/{tid}", headers=h).json()
    assert t["name"] == "lab" and t["nominal_gpus"] == 32 and t["max_active_jobs"] == 10_000
    assert c.post("/v1/tenants", json={"name": "lab"}, headers=ADMIN).status_code == 409
    assert c.post("/v1/tenants", json={"name": "x", "bogus": 1}, headers=ADMIN).status_code == 422
    assert c.post("/v1/tenants", json={"name": "x"}, headers=h).status_code == 403
    assert c.get("/v1/tenants", headers=h).status_code == 403
    lst = c.get("/v1/tenants", headers=ADMIN).json()
    assert lst["count"] == 1 and lst["data"][0]["id"] == tid
    r = c.patch(f"/v1/tenants/{tid}", json={"nominal_gpus": 16, "rate_limit_per_s": 5}, headers=ADMIN)
    assert r.status_code == 200 and r.json()["nominal_gpus"] == 16 and r.json()["cohort"] == "research"
    assert c.patch(f"/v1/tenants/{tid}", json={"max_active_jobs": None}, headers=ADMIN).status_code == 422
    # keys: a second key works, a revoked one stops at once (also when it was verified and cached before)
    k = c.post(f"/v1/tenants/{tid}/keys", headers=ADMIN).json()
    assert c.get(f"/v1/tenants/{tid}", headers=bearer(k["api_key"])).status_code == 200
    assert c.delete(f"/v1/tenants/{tid}/keys/{k['key_id']}", headers=ADMIN).status_code == 204
    assert c.get(f"/v1/tenants/{tid}", headers=bearer(k["api_key"])).status_code == 401
    assert c.delete(f"/v1/tenants/{tid}/keys/nothere", headers=ADMIN).status_code == 404
    # contracts
    cons = c.get(f"/v1/tenants/{tid}/contracts", headers=h).json()
    assert cons["count"] == 2 and {x["kind"] for x in cons["data"]} == {"on_demand", "spot"}
    assert cons["data"][0]["price_usd_per_gpu_hour"] in ("3.5", "1.05")
    bad = [
        {"kind": "reserved", "price_usd_per_gpu_hour": "2", "gpus": 8},  # no end
        {"kind": "reserved", "price_usd_per_gpu_hour": "2", "ends_at": "2027-04-02T00:00:00Z"},  # no gpus
        {"kind": "spot", "price_usd_per_gpu_hour": "1", "gpus": 4},
        {"kind": "on_demand", "price_usd_per_gpu_hour": "-1"},
        {"kind": "on_demand", "price_usd_per_gpu_hour": "1", "gpu_model": "Z9000"},
        {"kind": "on_demand", "price_usd_per_gpu_hour": "1", "starts_at": "2020-01-01T00:00:00Z"},
    ]
    for body in bad:
        r = c.post(f"/v1/tenants/{tid}/contracts", json=body, headers=ADMIN)
        assert r.status_code == 422, (body, r.text)
    r = c.post(
        f"/v1/tenants/{tid}/contracts",
        json={"kind": "reserved", "price_usd_per_gpu_hour": "2", "gpus": 8, "ends_at": "2027-04-02T00:00:00Z"},
        headers=ADMIN,
    )
    assert r.status_code == 201 and r.json()["gpus"] == 8
    assert c.post(f"/v1/tenants/{tid}/contracts", json=bad[0], headers=h).status_code == 403


def test_submit_get_list_events_cancel(make_client) -> None:
    c = make_client()
    _, h = new_tenant(c, "lab")
    jobs = []
    for i in range(3):
        r = c.post("/v1/jobs", json={**TRAIN, "name": f"run-{i}", "gpus": 64, "labels": {"team": "a"}}, headers=h)
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "submitted"
        jobs.append(r.json()["id"])
    advance(c, 60)
    got = [c.get(f"/v1/jobs/{j}", headers=h).json() for j in jobs]
    assert [g["state"] for g in got] == ["running", "queued", "queued"]
    assert got[0]["node"] == "memphis/H100" and got[0]["metered_gpu_seconds"] == 64 * 60
    # the queue: positions and estimated starts from the look-ahead (8 GPU-h on 64 GPUs: 7.5 min each)
    assert [g["queue_position"] for g in got[1:]] == [1, 2]
    t1 = got[1]["estimated_start_at"]
    assert t1 == "2027-03-31T22:07:30Z" and got[2]["estimated_start_at"] == "2027-03-31T22:15:00Z"
    # list: filters and pagination
    page = c.get("/v1/jobs", params={"state": "queued", "limit": 1}, headers=h).json()
    assert page["count"] == 2 and len(page["data"]) == 1 and page["data"][0]["id"] == jobs[1]
    page = c.get("/v1/jobs", params={"limit": 2, "offset": 2}, headers=h).json()
    assert page["count"] == 3 and [j["id"] for j in page["data"]] == [jobs[2]]
    assert c.get("/v1/jobs", params={"name": "run-0"}, headers=h).json()["count"] == 1
    assert c.get("/v1/jobs", params={"kind": "batch"}, headers=h).json()["count"] == 0
    assert c.get("/v1/jobs", params={"limit": 5000}, headers=h).status_code == 422
    # cancel the running job: the next one starts at once; cancelling again is a 409
    r = c.post(f"/v1/jobs/{jobs[0]}/cancel", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert c.post(f"/v1/jobs/{jobs[0]}/cancel", headers=h).status_code == 409
    advance(c, 1)
    assert c.get(f"/v1/jobs/{jobs[1]}", headers=h).json()["state"] == "running"
    ev = c.get(f"/v1/jobs/{jobs[0]}/events", headers=h).json()
    assert [e["kind"] for e in ev["data"]] == ["queued", "placed", "cancelled"]
    assert ev["data"][1]["node"] == "memphis/H100" and ev["data"][1]["detail"] == {"gpus": 64}
    after = c.get(f"/v1/jobs/{jobs[0]}/events", params={"after_seq": 1}, headers=h).json()
    assert [e["seq"] for e in after["data"]] == [2]
    # the cancelled run is metered to the cancellation, with the 60 s minimum
    usage = c.get("/v1/usage", headers=h).json()
    first = [u for u in usage["data"] if u["job_id"] == jobs[0]]
    assert len(first) == 1 and first[0]["end_s"] - first[0]["start_s"] == 60 and first[0]["minimum_seconds"] == 0
    # the stream replays the events and ends after the final one
    with c.stream("GET", f"/v1/jobs/{jobs[0]}/events/stream", headers=h) as s:
        text = "".join(s.iter_text())
    assert text.count("event: ") == 3 and "event: cancelled" in text and "id: 2" in text
    assert c.get("/v1/jobs/job_nothere", headers=h).status_code == 404


def test_stream_follows_a_running_job(make_client) -> None:
    c = make_client(speed=7200.0)  # two simulated hours per second
    _, h = new_tenant(c, "lab")
    jid = c.post("/v1/jobs", json={**TRAIN, "work_gpu_hours": 4.0}, headers=h).json()["id"]  # 30 min
    with c.stream("GET", f"/v1/jobs/{jid}/events/stream", headers=h) as s:
        kinds = [line.split(": ", 1)[1] for line in s.iter_lines() if line.startswith("event: ")]
    assert kinds[0] == "queued" and kinds[1] == "placed" and kinds[-1] == "completed"


def test_idempotency_keys(make_client) -> None:
    c = make_client()
    tid, h = new_tenant(c, "lab")
    key = {**h, "Idempotency-Key": "submit-1"}
    r1 = c.post("/v1/jobs", json=TRAIN, headers=key)
    r2 = c.post("/v1/jobs", json=TRAIN, headers=key)
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json() and r2.headers["idempotent-replayed"] == "true"
    assert c.get("/v1/jobs", headers=h).json()["count"] == 1
    r3 = c.post("/v1/jobs", json={**TRAIN, "gpus": 16}, headers=key)
    assert r3.status_code == 422 and "different request" in msg(r3)
    # another tenant may use the same key for its own job
    _, h2 = new_tenant(c, "other")
    assert c.post("/v1/jobs", json=TRAIN, headers={**h2, "Idempotency-Key": "submit-1"}).status_code == 201
    # a refused request does not keep its key: a corrected retry with the same key goes through
    bad = c.post("/v1/jobs", json={**TRAIN, "gpu_model": "Z9000"}, headers={**h, "Idempotency-Key": "k2"})
    assert bad.status_code == 422
    assert c.post("/v1/jobs", json=TRAIN, headers={**h, "Idempotency-Key": "k2"}).status_code == 201
    # a request in flight with the key: a concurrent duplicate is a 409
    sessions = c.app.state.service.sessions
    with sessions() as s:
        s.add(db.IdempotencyKey(tenant_id=tid, key="k3", fingerprint="x", done=False, created_t_s=0.0))
        s.commit()
    from orbitgrid.service.routes.jobs import _fingerprint
    from orbitgrid.service.schemas import JobSubmit

    with sessions() as s:
        row = s.get(db.IdempotencyKey, (tid, "k3"))
        row.fingerprint = _fingerprint("/v1/jobs", [JobSubmit(**TRAIN)])
        s.commit()
    r = c.post("/v1/jobs", json=TRAIN, headers={**h, "Idempotency-Key": "k3"})
    assert r.status_code == 409 and "in progress" in r.json()["detail"]
    assert c.post("/v1/jobs", json=TRAIN, headers={**h, "Idempotency-Key": "x" * 256}).status_code == 422
    assert c.get("/v1/jobs", headers=h).json()["count"] == 2


def test_concurrent_duplicates_create_one_job(make_client) -> None:
    c = make_client()
    _, h = new_tenant(c, "lab")
    key = {**h, "Idempotency-Key": "race"}
    codes: list[int] = []
    bodies: list[dict] = []

    def go() -> None:
        r = c.post("/v1/jobs", json=TRAIN, headers=key)
        codes.append(r.status_code)
        if r.status_code == 201:
            bodies.append(r.json())

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(codes) <= {201, 409} and 201 in codes
    assert len({b["id"] for b in bodies}) == 1
    assert c.get("/v1/jobs", headers=h).json()["count"] == 1


def test_bulk_submit(make_client) -> None:
    c = make_client()
    _, h = new_tenant(c, "lab")
    jobs = [{**TRAIN, "name": f"b{i}"} for i in range(50)]
    r = c.post("/v1/jobs/bulk", json={"jobs": jobs}, headers={**h, "Idempotency-Key": "bulk-1"})
    assert r.status_code == 201 and r.json()["count"] == 50
    again = c.post("/v1/jobs/bulk", json={"jobs": jobs}, headers={**h, "Idempotency-Key": "bulk-1"})
    assert again.json() == r.json()
    # all or nothing: one bad job refuses the batch, naming it
    bad = [*jobs[:3], {**TRAIN, "gpus": 100000}]
    r = c.post("/v1/jobs/bulk", json={"jobs": bad}, headers=h)
    assert r.status_code == 422 and msg(r).startswith("jobs[3]: no node of this fleet can hold 100000")
    assert c.get("/v1/jobs", headers=h).json()["count"] == 50
    assert c.post("/v1/jobs/bulk", json={"jobs": []}, headers=h).status_code == 422


def test_clear_4xx_for_bad_input(make_client) -> None:
    c = make_client(max_body_bytes=4096, max_bulk_jobs=5)
    tid, h = new_tenant(c, "lab", contracts=("on_demand",))
    cases = [
        ({**TRAIN, "gpu_model": "Z9000"}, 422, "not in this fleet"),
        ({**TRAIN, "gpus": 65}, 422, "no node of this fleet can hold 65"),
        ({**TRAIN, "placement": "orbit", "gpus": 16}, 422, "the largest holds 8"),
        ({**TRAIN, "contract": "spot"}, 422, "no active spot contract"),
        ({**TRAIN, "contract": "reserved"}, 422, "no active reserved contract"),
        ({**TRAIN, "work_gpu_hours": None}, 422, None),
        ({**TRAIN, "duration_s": 60}, 422, None),
        ({"kind": "inference", "gpus": 8, "work_gpu_hours": 1}, 422, None),
        ({**TRAIN, "gpus": 0}, 422, None),
        ({**TRAIN, "kind": "quantum"}, 422, None),
        ({**TRAIN, "labels": {"bad key!": "x"}}, 422, None),
        ({**TRAIN, "extra": 1}, 422, None),
    ]
    for body, code, text in cases:
        r = c.post("/v1/jobs", json=body, headers=h)
        assert r.status_code == code, (body, r.text)
        if text:
            assert text in msg(r), r.text
        else:
            assert r.json()["detail"][0]["loc"][0] == "body"
    big = {**TRAIN, "labels": {f"k{i}": "x" * 200 for i in range(30)}}
    assert c.post("/v1/jobs", json=big, headers=h).status_code == 413
    assert (
        c.post("/v1/jobs", content=b"{not json", headers={**h, "content-type": "application/json"}).status_code == 422
    )
    r = c.post("/v1/jobs/bulk", json={"jobs": [TRAIN] * 6}, headers=h)
    assert r.status_code == 413 and "at most 5" in r.json()["detail"]
    assert c.post("/v1/jobs", json=TRAIN, headers=ADMIN).status_code == 403
    # limits: active jobs and requests per second
    c.patch(f"/v1/tenants/{tid}", json={"max_active_jobs": 2}, headers=ADMIN)
    assert c.post("/v1/jobs/bulk", json={"jobs": [TRAIN] * 3}, headers=h).status_code == 429
    c.patch(f"/v1/tenants/{tid}", json={"rate_limit_per_s": 0.001, "rate_burst": 2}, headers=ADMIN)
    codes = [c.get("/v1/jobs", headers=h).status_code for _ in range(4)]
    assert codes[-1] == 429
    r = c.get("/v1/jobs", headers=h)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_fleet_routes(make_client) -> None:
    c = make_client()
    _, h = new_tenant(c, "lab")
    _, h2 = new_tenant(c, "other")
    jid = c.post("/v1/jobs", json={**TRAIN, "placement": "orbit", "gpus": 8}, headers=h).json()["id"]
    advance(c, 120)
    f = c.get("/v1/fleet", headers=h).json()
    assert f["nodes"] == 3 and f["installed_gpus"] == 80 and f["jobs_running"] == 1
    assert {g["group"] for g in f["groups"]} == {"dd", "memphis"} and f["busy_gpus"] == 8
    nodes = c.get("/v1/fleet/nodes", params={"kind": "orbital"}, headers=h).json()
    assert nodes["count"] == 2 and all(n["kind"] == "orbital" for n in nodes["data"])
    busy = next(n for n in nodes["data"] if n["busy_gpus"] == 8)
    d = c.get(f"/v1/fleet/nodes/{busy['id']}", headers=h).json()
    assert d["own_jobs_running"] == [jid] and 0.0 <= d["sunlit_fraction"] <= 1.0 and 0.0 <= d["battery_soc"] <= 1.0
    assert -150 < d["radiator_c"] < 150 and set(d["fault_rate_per_gpu_day"]) == {"sdc", "interrupt", "permanent"}
    assert c.get(f"/v1/fleet/nodes/{busy['id']}", headers=h2).json()["own_jobs_running"] == []
    ground = c.get("/v1/fleet/nodes", params={"kind": "ground"}, headers=h).json()["data"][0]
    g = c.get(f"/v1/fleet/nodes/{ground['id']}", headers=h).json()
    assert g["sunlit_fraction"] is None and g["battery_soc"] is None
    assert c.get("/v1/fleet/nodes/99", headers=h).status_code == 404
    assert c.get("/v1/fleet/faults", headers=h).json()["count"] >= 0
    clock = c.get("/v1/clock", headers=h).json()
    assert clock["t_s"] == 120.0 and clock["committed_t_s"] == 120.0 and clock["now"] == "2027-03-31T22:02:00Z"
    assert c.post("/v1/clock/advance", json={"by_s": 1}, headers=h).status_code == 403
    assert c.post("/v1/clock/advance", json={}, headers=ADMIN).status_code == 422


def test_preemption_names_its_culprit_to_its_tenant_only(make_client) -> None:
    c = make_client()
    _, ha = new_tenant(c, "a")
    tid_b, hb = new_tenant(c, "b")
    r = c.post(
        f"/v1/tenants/{tid_b}/contracts",
        json={"kind": "reserved", "price_usd_per_gpu_hour": "2", "gpus": 64, "ends_at": "2027-04-03T00:00:00Z"},
        headers=ADMIN,
    )
    assert r.status_code == 201
    spot = c.post("/v1/jobs", json={**TRAIN, "gpus": 64, "contract": "spot"}, headers=ha).json()["id"]
    own_spot = c.post("/v1/jobs", json={**TRAIN, "gpus": 8, "contract": "spot", "placement": "orbit"}, headers=hb)
    advance(c, 60)
    res = c.post("/v1/jobs", json={**TRAIN, "gpus": 64, "contract": "reserved"}, headers=hb).json()["id"]
    advance(c, 60)  # the spot job has been told and runs out its 120 s notice
    assert c.get(f"/v1/jobs/{res}", headers=hb).json()["state"] == "queued"
    assert c.get(f"/v1/jobs/{spot}", headers=ha).json()["state"] == "running"
    told = [e for e in c.get(f"/v1/jobs/{spot}/events", headers=ha).json()["data"] if e["kind"] == "preemption_notice"]
    assert len(told) == 1 and told[0]["detail"]["evicted_at_s"] == told[0]["t_s"] + 120.0
    advance(c, 120)
    assert c.get(f"/v1/jobs/{res}", headers=hb).json()["state"] == "running"
    a = c.get(f"/v1/jobs/{spot}", headers=ha).json()
    assert a["state"] == "queued" and a["preemptions"] == 1
    pre = [e for e in c.get(f"/v1/jobs/{spot}/events", headers=ha).json()["data"] if e["kind"] == "preempted"]
    assert len(pre) == 1 and pre[0]["detail"]["by_job"] is None and pre[0]["detail"]["by"] == "another tenant's job"
    assert "reserved job needed 64 GPUs" in pre[0]["detail"]["reason"]
    admin_view = c.get(f"/v1/jobs/{spot}/events", headers=ADMIN).json()["data"]
    assert next(e for e in admin_view if e["kind"] == "preempted")["detail"]["by_job"] == res
    assert own_spot.status_code == 201


def test_restart_rebuilds_the_same_state(make_client) -> None:
    c = make_client()
    _, h = new_tenant(c, "lab")
    ids = [c.post("/v1/jobs", json={**TRAIN, "gpus": 32}, headers=h).json()["id"] for _ in range(5)]
    advance(c, 3000)
    c.post(f"/v1/jobs/{ids[3]}/cancel", headers=h)
    advance(c, 500)
    before = {j: c.get(f"/v1/jobs/{j}", headers=h).json() for j in ids}
    events = {j: c.get(f"/v1/jobs/{j}/events", headers=h).json() for j in ids}
    usage = c.get("/v1/usage", headers=h).json()
    c.__exit__(None, None, None)
    c2 = make_client()
    after = {j: c2.get(f"/v1/jobs/{j}", headers=h).json() for j in ids}
    for j in ids:
        for k in ("state", "node", "started_at", "ended_at", "metered_gpu_seconds", "cost_usd", "restarts"):
            assert after[j][k] == before[j][k], (j, k)
        assert c2.get(f"/v1/jobs/{j}/events", headers=h).json() == events[j]
    assert c2.get("/v1/usage", headers=h).json() == usage
    assert c2.get("/v1/clock", headers=h).json()["t_s"] == 3500.0
    advance(c2, 3600)
    assert c2.get(f"/v1/jobs/{ids[4]}", headers=h).json()["state"] == "completed"


def test_usage_and_invoice_routes(make_client) -> None:
    c = make_client()
    tid, h = new_tenant(c, "lab")
    _, h2 = new_tenant(c, "other")
    c.post("/v1/jobs", json=TRAIN, headers=h)
    advance(c, 600)
    u = c.get("/v1/usage", headers=h).json()
    assert u["count"] == 1 and u["data"][0]["open"] and u["gpu_seconds"] == 8 * 600
    assert u["amount_usd"] == "4.666667"  # 4,800 GPU-s at $3.50/GPU-h
    assert c.get("/v1/usage", headers=ADMIN).status_code == 422
    assert c.get("/v1/usage", params={"tenant_id": tid}, headers=ADMIN).json() == u
    inv = c.get("/v1/invoices/2027-03", headers=h).json()
    assert inv["status"] == "open" and inv["total_usd"] == "4.67" and len(inv["lines"]) == 1
    assert inv["reconciliation"]["ledger_usage_usd"] == inv["reconciliation"]["lines_usage_usd"] == "4.67"
    lst = c.get("/v1/invoices", headers=h).json()
    assert [x["period"] for x in lst["data"]] == ["2027-03"]
    assert c.get("/v1/invoices/2027-13", headers=h).status_code == 422
    assert c.get("/v1/invoices/2027-03", headers=h2).json()["total_usd"] == "0.00"
    assert c.get("/v1/invoices/2027-03", params={"tenant_id": tid}, headers=h2).status_code == 404
    assert json.loads(json.dumps(inv))["currency"] == "USD"


def test_a_tenant_with_its_contracts_in_one_call(make_client) -> None:
    c = make_client()
    body = {"name": "lab", "contracts": [{"kind": "on_demand", "price_usd_per_gpu_hour": "3.50"}]}
    r = c.post("/v1/tenants", json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    h = bearer(r.json()["api_key"])
    assert c.post("/v1/jobs", json=TRAIN, headers=h).status_code == 201
    bad = {"name": "lab2", "contracts": [{"kind": "on_demand", "price_usd_per_gpu_hour": "1", "gpu_model": "Z"}]}
    r = c.post("/v1/tenants", json=bad, headers=ADMIN)
    assert r.status_code == 422 and msg(r).startswith("contracts[0]: gpu_model 'Z'")
    assert c.get("/v1/tenants", headers=ADMIN).json()["count"] == 1  # nothing of lab2 was created


def test_migrations_match_the_models(make_client) -> None:
    """The shipped Alembic revisions build exactly the schema of the models (no autogenerate difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    c = make_client()
    with c.app.state.service.sessions() as s:
        diff = compare_metadata(MigrationContext.configure(s.connection()), db.Base.metadata)
    assert diff == []


def test_nul_characters_refused_with_422(make_client) -> None:
    """NUL (U+0000) anywhere a caller can put it is a 422 naming where, never a database error: PostgreSQL's text
    type cannot hold or even compare with it (the CI fuzzer found ``GET /v1/invoices?tenant_id=%00`` failing there)."""
    c = make_client()
    tid, h = new_tenant(c, "lab")
    for url, where in [
        ("/v1/invoices?tenant_id=%00", "query"),
        ("/v1/jobs?tenant_id=a%00b", "query"),
        ("/v1/tenants/%00", "path"),
        (f"/v1/tenants/{tid}%00", "path"),
        ("/v1/jobs/%00", "path"),
    ]:
        r = c.get(url, headers=ADMIN)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["detail"][0]["loc"] == [where], r.text
        assert "NUL" in r.json()["detail"][0]["msg"]
    for body in [
        {**TRAIN, "labels": {"team": "a\x00b"}},
        {**TRAIN, "gpu_model": "H100\x00"},
    ]:
        r = c.post("/v1/jobs", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"][0]["loc"][0] == "body"
    r = c.post("/v1/jobs", json=TRAIN, headers={**h, "Idempotency-Key": "k\x00"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"], r.text
    r = c.patch(f"/v1/tenants/{tid}", json={"cohort": "\x00"}, headers=ADMIN)
    assert r.status_code == 422, r.text
    # the same requests without the NUL still work: nothing else was refused
    assert c.get(f"/v1/invoices?tenant_id={tid}", headers=ADMIN).status_code == 200
    assert c.post("/v1/jobs", json={**TRAIN, "labels": {"team": "ab"}}, headers=h).status_code == 201
