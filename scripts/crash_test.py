"""Crash test of the control plane: submit jobs while the server is killed with SIGKILL and restarted, record every
request and answer as a history, then check it.

    python scripts/crash_test.py --kills 100 --out crash-run/

The server (``orbitgrid serve`` on a small scenario, SQLite, loopback) runs at a high speed so jobs start, run,
checkpoint and finish between kills. Client threads submit jobs, each with a unique ``Idempotency-Key`` that is
also the job's name; a request that gets no answer (the server died) is recorded as *info* (outcome unknown) and is
retried with the same key after the restart, as a client of an idempotent API would. A reader polls the tenant's
metered usage. After the last restart every key still unresolved is retried until it gets an answer.

The checker (Jepsen's model: invoke / ok / fail / info) shows:

1. every job acknowledged with a 2xx exists afterwards, exactly once (one job per key; every 2xx for a key named
   the same job);
2. no job exists that was never submitted (every job's name is a key the client sent);
3. the metered usage read over time never decreases;
4. the invoices reconcile: each month's usage lines equal the per-second ledger to the cent, and the months add up
   to the ledger's total (within a cent per month of rounding).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCENARIO = """\
schema_version: 1
name: crash-test
epoch: 2027-03-31T23:30:00Z
duration: 30d
step: 60s
seed: 5
fleet:
  shells:
    - name: dd
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}
      design: compute-sat
  ground_sites:
    - {name: memphis, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 64}, grid_power_mw: 1, pue: 1.2}
policy: {name: priority}
"""
#: The same without the shell: no orbit survey or capacity kernel at start, so a restart takes a few seconds.
SCENARIO_GROUND = SCENARIO.replace(
    """  shells:
    - name: dd
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}
      design: compute-sat
""",
    "",
)
ADMIN_KEY = "crash-test-admin-" + "k" * 32


class Server:
    """``orbitgrid serve`` in a child process on a loopback port."""

    def __init__(self, workdir: Path, speed: float, ground_only: bool = False) -> None:
        self.workdir = workdir
        self.scenario = workdir / "crash-test.yaml"
        self.scenario.write_text(SCENARIO_GROUND if ground_only else SCENARIO)
        self.db = f"sqlite:///{workdir / 'service.db'}"
        self.speed = speed
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = open(workdir / "server.log", "ab")  # noqa: SIM115 (kept open across restarts)

    def start(self, timeout_s: float = 300.0) -> float:
        env = {
            **os.environ,
            "ORBITGRID_ADMIN_KEY": ADMIN_KEY,
            "ORBITGRID_TICK_S": "0.05",
            "ORBITGRID_ETA_REFRESH_S": "5",
        }
        cmd = [sys.executable, "-m", "orbitgrid", "serve", str(self.scenario), "--db", self.db]
        cmd += ["--port", str(self.port), "--speed", str(self.speed)]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=self.log)
        while time.monotonic() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.workdir / 'server.log'}")
            try:
                status, _ = request(self.port, "GET", "/v1/clock", ADMIN_KEY, timeout=2.0)
                if status == 200:
                    return time.monotonic() - t0
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not start in time")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(
    port: int,
    method: str,
    path: str,
    key: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = {"Authorization": f"Bearer {key}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        return r.status, json.loads(raw) if raw else None
    finally:
        conn.close()


@dataclass
class History:
    """Every operation: ``type`` invoke, then ok (2xx), fail (a definite refusal) or info (no answer)."""

    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, **row: Any) -> None:
        row["wall"] = time.time()
        with self.lock:
            self.rows.append(row)
            with open(self.path, "a") as f:
                f.write(json.dumps(row) + "\n")


def job_body(key: str, rng: random.Random, orbit: bool = True) -> dict[str, Any]:
    kind = rng.choice(["training", "training", "batch", "inference"])
    body: dict[str, Any] = {"kind": kind, "name": key, "contract": rng.choice(["on_demand", "spot"])}
    body["gpus"] = rng.choice([1, 2, 4, 8])
    body["placement"] = rng.choice(["any", "ground", "orbit"] if orbit else ["any", "ground"])
    if kind == "inference":
        body["duration_s"] = rng.uniform(600, 7200)
    else:
        body["work_gpu_hours"] = rng.uniform(0.5, 16.0)
        body["checkpoint"] = {"write_s": 30.0, "restore_s": 60.0}
    return body


def submit(port: int, key: str, body: dict[str, Any], idem: str, hist: History, proc: int) -> str:
    """One attempt; returns ok, fail or info."""
    hist.add(type="invoke", f="submit", key=idem, process=proc)
    try:
        status, out = request(port, "POST", "/v1/jobs", key, body, {"Idempotency-Key": idem})
    except (OSError, http.client.HTTPException) as why:  # no answer, or a truncated one (killed mid-answer)
        hist.add(type="info", f="submit", key=idem, process=proc, error=type(why).__name__)
        return "info"
    if 200 <= status < 300:
        hist.add(type="ok", f="submit", key=idem, process=proc, status=status, job_id=out["id"])
        return "ok"
    hist.add(
        type="fail" if status not in (409, 429, 500, 503) else "info",
        f="submit",
        key=idem,
        process=proc,
        status=status,
        body=out,
    )
    return "fail" if status not in (409, 429, 500, 503) else "info"


def run(
    kills: int,
    out: Path,
    speed: float = 600.0,
    clients: int = 4,
    cycle_s: tuple[float, float] = (2.0, 5.0),
    seed: int = 1,
    ground_only: bool = False,
) -> dict[str, Any]:
    """Run the test and the checker; returns the checker's summary (also written to ``out/summary.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    hist = History(out / "history.jsonl")
    server = Server(out, speed, ground_only)
    startups = [server.start()]
    # durability is the subject, not the tenant's limits: a 100-kill run submits ~12,000 jobs and most stay queued
    # (a run refused a key 429 at the default 10,000 active jobs until its retries ran out)
    tenant = {"name": "crash", "rate_limit_per_s": 10000, "rate_burst": 10000, "max_active_jobs": 1_000_000}
    status, t = request(server.port, "POST", "/v1/tenants", ADMIN_KEY, tenant)
    assert status == 201, t
    tid, key = t["tenant"]["id"], t["api_key"]
    for kind, price in (("on_demand", "3.50"), ("spot", "1.05")):
        s, _ = request(
            server.port,
            "POST",
            f"/v1/tenants/{tid}/contracts",
            ADMIN_KEY,
            {"kind": kind, "price_usd_per_gpu_hour": price},
        )
        assert s == 201
    pending: dict[str, dict[str, Any]] = {}  # keys whose outcome is unknown, with their bodies
    bodies: dict[str, dict[str, Any]] = {}
    usage_reads: list[tuple[float, int]] = []
    stop = threading.Event()

    def client(proc: int) -> None:
        crng = random.Random(seed * 1000 + proc)
        while not stop.is_set():
            retry = None
            with hist.lock:
                mine = [k for k in pending if pending[k]["proc"] == proc]
            if mine:
                retry = mine[0]
            idem = retry or uuid.uuid4().hex
            body = bodies[retry] if retry else job_body(idem, crng, not ground_only)
            bodies[idem] = body
            res = submit(server.port, key, body, idem, hist, proc)
            with hist.lock:
                if res == "info":
                    pending[idem] = {"proc": proc}
                    time.sleep(0.05)
                else:
                    pending.pop(idem, None)

    def reader() -> None:
        while not stop.is_set():
            try:
                status, u = request(server.port, "GET", "/v1/usage?limit=1", key, timeout=5.0)
                if status == 200:
                    usage_reads.append((time.time(), int(u["gpu_seconds"])))
                    hist.add(type="ok", f="usage", gpu_seconds=int(u["gpu_seconds"]), through=u["metered_through_s"])
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.1)

    for cycle in range(kills + 1):
        stop.clear()
        threads = [threading.Thread(target=client, args=(p,)) for p in range(clients)]
        threads.append(threading.Thread(target=reader))
        for th in threads:
            th.start()
        time.sleep(rng.uniform(*cycle_s))
        if cycle < kills:
            server.kill()
            hist.add(type="nemesis", f="kill", cycle=cycle)
        stop.set()
        for th in threads:
            th.join()
        if cycle < kills:
            startups.append(server.start())
            hist.add(type="nemesis", f="start", cycle=cycle)
    # resolve every unknown outcome: retry its key until it answers
    for idem in list(pending):
        for _ in range(20):
            if submit(server.port, key, bodies[idem], idem, hist, -1) != "info":
                break
            time.sleep(0.5)
    # one more crash, then a paused clock (speed 0) so that jobs, invoices and the ledger are read at one instant
    server.kill()
    hist.add(type="nemesis", f="kill", cycle=kills)
    server.speed = 0.0
    startups.append(server.start())
    status, u = request(server.port, "GET", "/v1/usage?limit=1", key)
    usage_reads.append((time.time(), int(u["gpu_seconds"])))
    jobs = []
    offset = 0
    while True:
        status, page = request(server.port, "GET", f"/v1/jobs?limit=1000&offset={offset}", key)
        assert status == 200, page
        jobs += page["data"]
        offset += 1000
        if offset >= page["count"]:
            break
    months = request(server.port, "GET", "/v1/invoices", key)[1]["data"]
    invoices = [request(server.port, "GET", f"/v1/invoices/{m['period']}", key)[1] for m in months]
    usage = request(server.port, "GET", "/v1/usage?limit=1", key)[1]
    server.stop()
    summary = check(hist.rows, jobs, usage_reads, invoices, usage)
    summary["kills"] = kills
    summary["startup_s"] = {"first": startups[0], "mean_restart": sum(startups[1:]) / max(len(startups) - 1, 1)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def check(
    rows: list[dict[str, Any]],
    jobs: list[dict[str, Any]],
    usage_reads: list[tuple[float, int]],
    invoices: list[dict],
    usage: dict,
) -> dict[str, Any]:
    """The checker (module docstring); raises AssertionError naming the first violation."""
    sent = {r["key"] for r in rows if r.get("f") == "submit" and r["type"] == "invoke"}
    acked: dict[str, set[str]] = {}
    for r in rows:
        if r.get("f") == "submit" and r["type"] == "ok":
            acked.setdefault(r["key"], set()).add(r["job_id"])
    unresolved = (
        {r["key"] for r in rows if r.get("f") == "submit"}
        - set(acked)
        - {r["key"] for r in rows if r.get("f") == "submit" and r["type"] == "fail"}
    )
    by_name: dict[str, list[str]] = {}
    for j in jobs:
        by_name.setdefault(j["name"], []).append(j["id"])
    ids = [j["id"] for j in jobs]
    assert len(ids) == len(set(ids)), "a job id listed twice"
    for k, got in acked.items():
        assert len(got) == 1, f"key {k}: 2xx answers named different jobs {sorted(got)}"
        assert by_name.get(k) == list(got), f"key {k}: acknowledged {sorted(got)}, stored {by_name.get(k)}"
    phantoms = set(by_name) - sent
    assert not phantoms, f"jobs never submitted: {sorted(phantoms)[:5]}"
    extra = set(by_name) - set(acked)
    assert not extra, f"jobs created for keys never acknowledged after retries: {sorted(extra)[:5]}"
    values = [v for _, v in usage_reads]
    drops = [(a, b) for a, b in itertools.pairwise(values) if b < a]
    assert not drops, f"metered usage decreased: {drops[:3]}"
    months_cents = 0
    for inv in invoices:
        rec = inv["reconciliation"]
        assert rec["ledger_usage_usd"] == rec["lines_usage_usd"], f"{inv['period']}: {rec}"
        assert rec["ledger_gpu_seconds"] == rec["lines_gpu_seconds"], f"{inv['period']}: {rec}"
        months_cents += round(float(inv["usage_usd"]) * 100)
    ledger_cents = round(float(usage["amount_usd"]) * 100)
    assert abs(months_cents - ledger_cents) <= len(invoices), (months_cents, ledger_cents)
    states: dict[str, int] = {}
    for j in jobs:
        states[j["state"]] = states.get(j["state"], 0) + 1
    return {
        "submissions_invoked": sum(1 for r in rows if r.get("f") == "submit" and r["type"] == "invoke"),
        "keys_sent": len(sent),
        "acknowledged_jobs": len(acked),
        "unknown_then_retried": sum(1 for r in rows if r.get("f") == "submit" and r["type"] == "info"),
        "unresolved_keys": len(unresolved),
        "jobs_stored": len(jobs),
        "job_states": states,
        "usage_reads": len(values),
        "metered_gpu_seconds_final": int(usage["gpu_seconds"]),
        "invoices": {inv["period"]: inv["total_usd"] for inv in invoices},
        "ledger_usd": usage["amount_usd"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--out", type=Path, default=Path("crash-run"))
    ap.add_argument("--speed", type=float, default=600.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ground-only", action="store_true", help="a fleet without satellites (faster restarts)")
    a = ap.parse_args()
    t0 = time.monotonic()
    summary = run(a.kills, a.out, a.speed, a.clients, seed=a.seed, ground_only=a.ground_only)
    summary["wall_s"] = time.monotonic() - t0


if __name__ == "__main__":
    main()
