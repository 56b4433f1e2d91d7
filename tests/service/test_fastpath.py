"""The fast path (service.fastpath) answers getJob and submissions as the routes do, and hands everything else to
the application unchanged: a key not verified yet, a body that does not validate, an Idempotency-Key out of bounds."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from svc_helpers import TRAIN, new_tenant

from orbitgrid.service.fastpath import FastPath


class _Inner:
    """The application behind the fast path: records what reached it and answers 599."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bytes]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        self.calls.append((scope["method"], scope["path"], body))
        await send({"type": "http.response.start", "status": 599, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(msg: dict) -> None:
        if msg["type"] == "http.response.start":
            out["status"] = msg["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in msg["headers"]}
        else:
            out["body"] += msg.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out.get("headers", {}), out["body"]


def test_fast_path_answers_as_the_routes_and_hands_on_the_rest(make_client) -> None:
    c = make_client()
    tid, auth = new_tenant(c, "lab")
    _, other = new_tenant(c, "rival")
    job = c.post("/v1/jobs", json=TRAIN, headers={**auth, "Idempotency-Key": "k1"}).json()  # the key is now known
    c.get("/v1/tenants/" + tid, headers=other)  # and the rival's
    inner = _Inner()
    fast = FastPath(inner, c.app.state)
    json_h = {**auth, "Content-Type": "application/json"}

    # getJob: the route's answer, the same bytes; another tenant's job is a 404 as on the route
    status, _, body = _call(fast, "GET", f"/v1/jobs/{job['id']}", auth)
    assert status == 200 and json.loads(body) == c.get(f"/v1/jobs/{job['id']}", headers=auth).json()
    status, _, body = _call(fast, "GET", f"/v1/jobs/{job['id']}", other)
    assert status == 404 and json.loads(body) == c.get(f"/v1/jobs/{job['id']}", headers=other).json()
    # a replayed submission: the first answer, marked as a replay, nothing created
    status, headers, body = _call(
        fast, "POST", "/v1/jobs", {**json_h, "Idempotency-Key": "k1"}, json.dumps(TRAIN).encode()
    )
    assert status == 201 and headers["idempotent-replayed"] == "true" and json.loads(body) == job
    # a new one and a bulk one, created as by the routes
    status, _, body = _call(fast, "POST", "/v1/jobs", {**json_h, "Idempotency-Key": "k2"}, json.dumps(TRAIN).encode())
    assert status == 201 and c.get(f"/v1/jobs/{json.loads(body)['id']}", headers=auth).json()["tenant_id"] == tid
    bulk = json.dumps({"jobs": [TRAIN, TRAIN]}).encode()
    status, _, body = _call(fast, "POST", "/v1/jobs/bulk", json_h, bulk)
    assert status == 201 and json.loads(body)["count"] == 2
    # refusals of the driver are rendered as by the app's handler (the same key, another body: 422)
    other_body = json.dumps({**TRAIN, "gpus": 4}).encode()
    status, _, body = _call(fast, "POST", "/v1/jobs", {**json_h, "Idempotency-Key": "k1"}, other_body)
    assert status == 422 and "different request" in json.loads(body)["detail"][0]["msg"]
    assert inner.calls == []

    # everything else reaches the application as sent
    bad = json.dumps({**TRAIN, "gpus": 0}).encode()
    handed = [
        ("GET", f"/v1/jobs/{job['id']}", {"Authorization": "Bearer og_unknown_key"}, b""),  # not verified yet
        ("GET", f"/v1/jobs/{job['id']}", {}, b""),  # no key
        ("GET", f"/v1/jobs/{job['id']}/events", auth, b""),  # another route
        ("POST", "/v1/jobs", json_h, bad),  # does not validate: the app names the field
        ("POST", "/v1/jobs", {**json_h, "Idempotency-Key": "x" * 256}, json.dumps(TRAIN).encode()),
        ("POST", "/v1/jobs", auth, json.dumps(TRAIN).encode()),  # no JSON content type
    ]
    for method, path, headers, body in handed:
        assert _call(fast, method, path, headers, body)[0] == 599, (method, path, headers)
    assert [(m, p, b) for m, p, _, b in handed] == inner.calls
    # and the application's answer to the invalid body names the field
    r = c.post("/v1/jobs", content=bad, headers=json_h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "gpus"]
