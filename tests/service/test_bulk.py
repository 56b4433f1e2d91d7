"""Bulk submissions do not wait for the engine: accepted while the engine's lock is held (a tick placing and
committing the last bulk's jobs), added to the engine at the instant they were accepted on its next advance, and a
restart rebuilds the same state from the log. New jobs' answers are JobPublic's bytes."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from svc_helpers import ADMIN, TRAIN, new_tenant

from orbitgrid.service.routes import jobs
from orbitgrid.service.schemas import JobPublic


def test_a_bulk_submission_is_accepted_while_the_engine_is_busy(make_client) -> None:
    c = make_client()
    _, auth = new_tenant(c, "lab")
    d = c.app.state.service.driver
    bulk = {"jobs": [dict(TRAIN, gpus=1, name=f"b-{i}") for i in range(50)]}
    held = threading.Event()
    release = threading.Event()
    answered_while_held: list[bool] = []

    def hold_engine() -> None:  # what a long tick does: hold the engine's lock
        with d.lock:
            held.set()
            release.wait(60)  # a bound against a hang if the submission waited for the lock (a failure)
            answered_while_held.append(done.is_set())

    done = threading.Event()
    holder = threading.Thread(target=hold_engine)
    holder.start()
    held.wait()
    r = c.post("/v1/jobs/bulk", json=bulk, headers={**auth, "Idempotency-Key": "bulk-1"})
    done.set()
    release.set()
    holder.join()
    assert r.status_code == 201, r.text
    assert answered_while_held == [True]
    ids = [j["id"] for j in r.json()["data"]]
    t_accepted = r.json()["data"][0]["submit_t_s"]
    # the engine has them once it advances, at the instant they were accepted, in their order
    assert c.post("/v1/clock/advance", json={"by_s": 60}, headers=ADMIN).status_code == 200
    cols = d.engine.columns
    assert cols.job_id[-50:] == ids
    assert cols.submit_s[cols.n - 50 : cols.n].tolist() == [t_accepted] * 50
    states = {c.get(f"/v1/jobs/{i}", headers=auth).json()["state"] for i in ids}
    assert states <= {"queued", "running", "completed"} and "running" in states


def test_jobs_accepted_before_the_engine_had_them_survive_a_restart(make_client) -> None:
    c = make_client()
    _, auth = new_tenant(c, "lab")
    d = c.app.state.service.driver
    with d.lock:  # accepted, committed, not yet in the engine when the service stops
        r = c.post("/v1/jobs/bulk", json={"jobs": [TRAIN, TRAIN]}, headers={**auth, "Idempotency-Key": "k"})
        assert r.status_code == 201 and d.engine.columns.n < len(d.job_ids)
    ids = [j["id"] for j in r.json()["data"]]
    c.post("/v1/clock/advance", json={"by_s": 600}, headers=ADMIN)
    before = [c.get(f"/v1/jobs/{i}", headers=auth).json() for i in ids]
    c.__exit__(None, None, None)
    c2 = make_client()  # the same database, rebuilt from the log
    after = [c2.get(f"/v1/jobs/{i}", headers=auth).json() for i in ids]
    assert [(j["state"], j["node"], j["started_at"]) for j in after] == [
        (j["state"], j["node"], j["started_at"]) for j in before
    ]
    assert before[0]["state"] == "running"
    r = c2.post("/v1/jobs/bulk", json={"jobs": [TRAIN, TRAIN]}, headers={**auth, "Idempotency-Key": "k"})
    assert r.headers.get("idempotent-replayed") == "true" and [j["id"] for j in r.json()["data"]] == ids


def test_a_new_jobs_answer_is_job_publics_json() -> None:
    row = {
        "id": "job_0123456789abcdef",
        "tenant_id": "ten_1",
        "name": "run-1",
        "labels": {"team": "a"},
        "kind": "training",
        "contract": "on_demand",
        "contract_id": "con_1",
        "placement": "ground",
        "gpus": 8,
        "gpu_model": "H100",
        "priority": 3,
        "work_gpu_s": 28_800.0,
        "duration_s": None,
        "state": "submitted",
        "submit_t_s": 61.25,
    }
    fresh = jobs._fresh(row, datetime(2027, 3, 31, 22, 1, 1, 250_000, tzinfo=UTC))
    assert (
        jobs._FRESH_ANSWERS.dump_json([fresh])
        == b"[" + JobPublic.model_validate(fresh).model_dump_json().encode() + b"]"
    )


def test_only_the_clocks_own_tick_pauses_for_a_bulk_submission(make_client) -> None:
    """The engine's advance pauses for a bulk submission in progress only inside the clock's own tick. A cancellation
    or a quota change advances the engine holding the log's lock, which the submission's commit needs: it waited out
    the pause budget a tick had left unspent, and the submission waited for it (found by review, 2026-12-07)."""
    c = make_client()
    _, auth = new_tenant(c, "lab")
    d = c.app.state.service.driver
    d.max_yield_s = 30.0  # a pause that long would be unmistakable (not a timing measurement)
    d.tick(yielding=True)  # a tick of the clock with no bulk in progress: its pause budget left unspent
    with d.lock:  # the engine to this thread (the clock's thread cannot tick meanwhile)
        r = c.post("/v1/jobs", json=TRAIN, headers={**auth, "Idempotency-Key": "one"})
        assert r.status_code == 201 and d.engine.columns.n < len(d.job_ids)  # accepted, not yet in the engine
        with d.precedence():  # a bulk submission in progress
            t0 = time.monotonic()
            d.advance(d.sim_now())  # what a cancellation does first: adds the pending job
            waited = time.monotonic() - t0
    assert d.engine.columns.n == len(d.job_ids)
    assert waited < 0.5 * d.max_yield_s
