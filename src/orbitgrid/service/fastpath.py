"""The fast path: the requests a control plane gets most — a job's status (``getJob``) and submissions
(``submitJob``, ``submitJobs``) — answered without FastAPI's routing and dependency resolution, which cost more than
the work itself (~0.2 ms of a ~0.35 ms status read, measured in process).

It is an ASGI middleware in front of the application and calls the same functions as the routes: the caller from the
cache of verified keys and the rate limit (``deps.known_caller``, ``deps.admit``), the read (``jobs.job_response``),
the group commit (``jobs.submission``) and the error rendering (``responses.service_error_response``). It takes only
the plain case; anything else goes to the application unchanged (the body it read replayed), which answers as it
always did: a key not verified yet, a missing or malformed ``Authorization``, a body that is not JSON or does not
validate (the 422 names the field), an ``Idempotency-Key`` outside 1-255 characters, any other route. So the
OpenAPI document, the validation errors and every refusal stay those of the routes."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orbitgrid.service.deps import MAX_KEY_CHARS, ServiceState, admit, known_caller
from orbitgrid.service.driver import ServiceError
from orbitgrid.service.responses import service_error_response
from orbitgrid.service.routes import jobs
from orbitgrid.service.schemas import BulkSubmit, JobSubmit

_JOB = re.compile(r"^/v1/jobs/([^/]+)$")
_JSON = re.compile(rb"^application/json\s*(;.*)?$", re.IGNORECASE)


class FastPath:
    """ASGI middleware (module docstring); ``state`` is the application's state (``state.service`` once started)."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "GET":
            m = _JOB.match(path)
            if m is not None and m.group(1) != "bulk":
                svc, p = self._caller(scope)
                if p is not None:
                    await self._answer(scope, receive, send, self._get(svc, p, m.group(1)))
                    return
        elif method == "POST" and (path == jobs.SUBMIT_PATH or path == jobs.BULK_PATH):
            svc, p = self._caller(scope)
            if p is not None:
                await self._post(scope, receive, send, svc, p, path)
                return
        await self.app(scope, receive, send)

    def _caller(self, scope: Scope) -> tuple[Any, Any]:
        svc: ServiceState | None = getattr(self.state, "service", None)
        if svc is None:
            return None, None
        auth = None
        for k, v in scope["headers"]:
            if k == b"authorization":
                auth = v
                break
        if auth is None or len(auth) > MAX_KEY_CHARS + 7 or auth[:7].lower() != b"bearer ":
            return svc, None
        key = auth[7:].decode("latin-1").strip()
        return svc, (known_caller(svc, key) if key else None)

    async def _get(self, svc: ServiceState, p: Any, job_id: str) -> Response:
        admit(svc, p)
        return await jobs.job_response(svc, p, job_id)

    async def _post(self, scope: Scope, receive: Receive, send: Send, svc: ServiceState, p: Any, path: str) -> None:
        ctype = key = None
        for k, v in scope["headers"]:
            if k == b"content-type":
                ctype = v
            elif k == b"idempotency-key":
                key = v.decode("latin-1")
        chunks: list[bytes] = []
        more = True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":  # the client went away
                return
            chunks.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        if path == jobs.BULK_PATH:  # from here to the answer, the clock's work waits (Driver.precedence)
            with svc.driver.precedence():
                response = await self._submit(svc, p, path, key, ctype, body)
        else:
            response = await self._submit(svc, p, path, key, ctype, body)
        if response is None:  # the application says what is wrong, as it always did
            await self.app(scope, _replay(body), send)
        else:
            await response(scope, receive, send)

    async def _submit(
        self, svc: ServiceState, p: Any, path: str, key: str | None, ctype: bytes | None, body: bytes
    ) -> Response | None:
        """The submission's answer; None: not the plain case (the application answers)."""
        specs: list[JobSubmit] | None = None
        if ctype is not None and _JSON.match(ctype) and (key is None or (1 <= len(key) <= 255 and "\x00" not in key)):
            try:
                if path == jobs.SUBMIT_PATH:
                    specs = [JobSubmit.model_validate_json(body)]
                else:
                    specs = jobs.Bulk(BulkSubmit.model_validate_json(body).jobs)
            except ValidationError:
                specs = None
        if specs is None:
            return None
        try:
            admit(svc, p)
            return await jobs.submission(svc, p, specs, key, path)
        except ServiceError as why:
            return service_error_response(why)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, work: Any) -> None:
        try:
            response = await work
        except ServiceError as why:
            response = service_error_response(why)
        await response(scope, receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
