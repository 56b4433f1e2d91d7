"""Load on the control plane from other processes on loopback, bounded in count and time.

The server is the app factory under uvicorn (uvloop, httptools; access log off) in its own process, on a small
fleet (one ground site of 65,536 H100 and a two-satellite shell; jobs are one GPU for a few simulated seconds, so
the scheduler keeps up and the queue stays short) with a fresh database: an SQLite file (WAL, ``synchronous``
NORMAL, the default) or PostgreSQL with ``--db postgresql://...``. The load comes from ``--client-procs`` processes
of asyncio httpx clients (``--clients`` in all, HTTP/1.1 keep-alive), one tenant whose rate and job limits are
raised out of the way. Phases:

1. **submit**: every client submits jobs back to back for ``--duration`` s, each with a fresh ``Idempotency-Key``
   (a durable, idempotent submission: committed before the 201). Afterwards the jobs are counted: as many rows as
   201s, and ``--replays`` of the keys are resubmitted to check they return the first job
   (``Idempotent-Replayed``).
2. **read**: every client reads the status of random jobs of phase 1 (``GET /v1/jobs/{id}``) for ``--duration`` s.
3. **steady**: an open-loop ``--steady-rate`` submissions/s (each at its scheduled instant, whatever the previous
   answers) for ``--steady-duration`` s.
4. **bulk**: ``--bulk`` jobs in one ``POST /v1/jobs/bulk`` (all or none), ``--bulk-repeats`` times (last: the tens
   of thousands of jobs it starts keep the clock's ticks busy for a while).

Each phase prints requests/s and latency percentiles (client side, from send to the whole answer), the server
process's CPU seconds per request and share of a core, and the load average before and after (the machine is
shared: the load is reported with every figure). ``--profile`` samples the server with py-spy (every thread, 100 Hz)
during the closed-loop phases, writes the collapsed stacks to ``--out`` and prints where the time goes.

    python benchmarks/service.py [--db URL] [--duration 60] [--clients 32] [--client-procs 2] [--bulk 20000]
                                 [--steady-rate 20] [--steady-duration 60] [--profile] [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

ADMIN_KEY = "bench-admin-key-" + "k" * 32
SCENARIO = """\
schema_version: 1
name: service-bench
epoch: 2027-03-31T22:00:00Z
duration: 7d
step: 60s
seed: 3
fleet:
  shells:
    - name: dd
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}
      design: compute-sat
  ground_sites:
    - {name: bench-site, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 65536}, grid_power_mw: 100, pue: 1.2}
policy: {name: priority}
"""
JOB = {"kind": "training", "gpus": 1, "gpu_model": "H100", "work_gpu_hours": 0.001, "placement": "ground"}


# ------------------------------------------------------------------------------------------------- server ---
def serve(args: argparse.Namespace) -> None:
    """The server process: the app factory under uvicorn on the given port."""
    import uvicorn

    from orbitgrid.pipeline.live import build_live_fleet
    from orbitgrid.scenario.loader import load_scenario_text
    from orbitgrid.service.app import create_app
    from orbitgrid.service.settings import Settings

    scenario_path = Path(args.workdir) / "service-bench.yaml"
    scenario_path.write_text(SCENARIO)
    sc = load_scenario_text(SCENARIO, base_dir=scenario_path.parent, source=str(scenario_path))
    fleet = build_live_fleet(sc)
    settings = Settings(db_url=args.db, speed=1.0, admin_key=ADMIN_KEY, max_bulk_jobs=max(args.bulk, 1))
    app = create_app(settings, fleet=fleet)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def serve_reference(args: argparse.Namespace) -> None:
    """The reference server: the least a durable, idempotent job API can do per request on this stack. A bare ASGI
    app under the same uvicorn (uvloop, httptools, no access log) and the same SQLite settings (a file in WAL mode,
    ``synchronous=NORMAL``): a submission checks the key against one dictionary, parses the body, inserts one row
    with its idempotency key (a key seen before returns its job) and commits before answering; a read selects one
    row by primary key and sends the stored JSON. No validation, no tenants, no scheduler, no ledger: the floor
    the service's figures are compared with."""
    import sqlite3

    import uvicorn

    db = sqlite3.connect(args.db.split("///", 1)[1], isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, key TEXT UNIQUE, body TEXT)")
    auth = f"Bearer {REFERENCE_KEY}".encode()

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        if headers.get(b"authorization") != auth:
            status, out = 401, b'{"detail":"invalid API key"}'
        elif scope["method"] == "POST":
            body = b""
            while True:
                msg = await receive()
                body += msg.get("body", b"")
                if not msg.get("more_body"):
                    break
            job = json.loads(body)
            key = headers.get(b"idempotency-key", b"").decode() or None
            job["id"] = "job_" + uuid.uuid4().hex[:16]
            text = json.dumps(job)
            db.execute("BEGIN")
            got = db.execute("SELECT body FROM jobs WHERE key = ?", (key,)).fetchone() if key else None
            if got is None:
                db.execute("INSERT INTO jobs VALUES (?, ?, ?)", (job["id"], key, text))
            db.execute("COMMIT")
            status, out = 201, (got[0] if got else text).encode()
        else:
            row = db.execute("SELECT body FROM jobs WHERE id = ?", (scope["path"].rsplit("/", 1)[1],)).fetchone()
            status, out = (200, row[0].encode()) if row else (404, b'{"detail":"not found"}')
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": out})

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


REFERENCE_KEY = "og_reference_" + "r" * 32


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------------- client ---
class Conn:
    """One keep-alive HTTP/1.1 connection speaking just what the load needs (a request with a Content-Length
    body, an answer with a Content-Length body). A general client (httpx) costs ~1 ms of CPU a request in Python,
    as much as the server's work, on the same two cores; this one costs ~0.04 ms, so the server is what is
    measured."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, auth: str) -> None:
        self.reader = reader
        self.writer = writer
        self.head = f"host: {host}\r\nauthorization: Bearer {auth}\r\n"

    @classmethod
    async def open(cls, base: str, key: str) -> Conn:
        host, port = base.split("//", 1)[1].rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, f"{host}:{port}", key)

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> tuple[int, bytes, bytes]:
        """``(status, head, body)``; ``headers``: extra lines, each ending in CRLF."""
        self.writer.write(
            f"{method} {path} HTTP/1.1\r\n{self.head}{headers}content-length: {len(body)}\r\n\r\n".encode() + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        i = head.lower().find(b"\r\ncontent-length:")
        if i < 0:
            raise RuntimeError(f"an answer without content-length: {head[:200]!r}")
        j = head.find(b"\r\n", i + 2)
        data = await self.reader.readexactly(int(head[i + 17 : j]))
        return int(head[9:12]), head, data

    def close(self) -> None:
        self.writer.close()


SUBMIT_HEADERS = "content-type: application/json\r\nidempotency-key: {key}\r\n"


async def _closed_loop(base: str, key: str, mode: str, clients: int, duration: float, ids: list[str]) -> dict:
    lat: list[float] = []
    status: dict[int, int] = {}
    created: list[tuple[str, str]] = []
    body = json.dumps(JOB).encode()
    conns = [await Conn.open(base, key) for _ in range(clients)]
    stop = time.perf_counter() + duration

    async def worker(c: Conn) -> None:
        rnd = random.Random()
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            if mode == "submit":
                k = uuid.uuid4().hex
                code, _, data = await c.request("POST", "/v1/jobs", body, SUBMIT_HEADERS.format(key=k))
                if code == 201:
                    created.append((k, json.loads(data)["id"]))
            else:
                code, _, _ = await c.request("GET", f"/v1/jobs/{rnd.choice(ids)}")
            lat.append(time.perf_counter() - t0)
            status[code] = status.get(code, 0) + 1

    t_start = time.perf_counter()
    cpu0 = time.process_time()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - t_start
    cpu = time.process_time() - cpu0
    for c in conns:
        c.close()
    return {"lat": lat, "status": status, "created": created, "elapsed": elapsed, "client_cpu": cpu}


def _client_proc(base: str, key: str, mode: str, clients: int, duration: float, ids: list[str], q: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    q.put(asyncio.run(_closed_loop(base, key, mode, clients, duration, ids)))


def closed_loop(args: argparse.Namespace, base: str, key: str, mode: str, ids: list[str]) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    per = [args.clients // args.client_procs + (i < args.clients % args.client_procs) for i in range(args.client_procs)]
    procs = [ctx.Process(target=_client_proc, args=(base, key, mode, n, args.duration, ids, q)) for n in per if n > 0]
    for p in procs:
        p.start()
    parts = [q.get() for _ in procs]
    for p in procs:
        p.join()
    out = {
        "lat": [],
        "status": {},
        "created": [],
        "elapsed": max(p["elapsed"] for p in parts),
        "client_cpu": sum(p["client_cpu"] for p in parts),
    }
    for p in parts:
        out["lat"] += p["lat"]
        out["created"] += p["created"]
        for s, n in p["status"].items():
            out["status"][s] = out["status"].get(s, 0) + n
    return out


async def _steady(base: str, key: str, rate: float, duration: float) -> dict:
    body = json.dumps(JOB).encode()
    lat: list[float] = []
    late: list[float] = []
    status: dict[int | str, int] = {}
    idle: list[Conn] = [await Conn.open(base, key) for _ in range(8)]
    n = int(rate * duration)
    t0 = time.perf_counter() + 0.2

    async def one(i: int) -> None:
        at = t0 + i / rate
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        start = time.perf_counter()
        late.append(start - at)
        extra = SUBMIT_HEADERS.format(key=uuid.uuid4().hex)
        code: int | str
        try:
            c = idle.pop() if idle else None
            try:
                if c is None:  # every connection busy: a new one (its setup counts in this request's latency)
                    c = await Conn.open(base, key)
                code = (await c.request("POST", "/v1/jobs", body, extra))[0]
            except (OSError, asyncio.IncompleteReadError):
                # the server closes keep-alive connections idle for 5 s (uvicorn's default): send again on a new
                # one, with the same Idempotency-Key (safe: the first cannot have created a second job)
                c = await Conn.open(base, key)
                code = (await c.request("POST", "/v1/jobs", body, extra))[0]
                status["reconnected"] = status.get("reconnected", 0) + 1
            idle.append(c)
        except (OSError, asyncio.IncompleteReadError, RuntimeError) as why:
            code = type(why).__name__
        lat.append(time.perf_counter() - start)
        status[code] = status.get(code, 0) + 1

    await asyncio.gather(*(one(i) for i in range(n)))
    for c in idle:
        c.close()
    return {"lat": lat, "status": status, "late": late}


# ------------------------------------------------------------------------------------------------- report ---
def _pct(lat: list[float]) -> str:
    if not lat:
        return "no answers"
    a = np.asarray(lat) * 1e3
    return (
        f"p50 {np.percentile(a, 50):.1f} ms, p90 {np.percentile(a, 90):.1f} ms, p99 {np.percentile(a, 99):.1f} ms, "
        f"max {a.max():.1f} ms"
    )


def _load() -> str:
    a = os.getloadavg()
    return f"{a[0]:.2f} {a[1]:.2f} {a[2]:.2f}"


def _line(name: str, n: int, elapsed: float, lat: list[float], status: dict, cpu: float, load0: str) -> dict:
    rate = n / elapsed if elapsed > 0 else 0.0
    print(
        f"{name:<7} {n:>8,} requests in {elapsed:6.1f} s = {rate:8,.0f}/s; {_pct(lat)}; statuses {dict(status)}; "
        f"server CPU {cpu:.1f} s ({1e3 * cpu / max(n, 1):.2f} ms/request, {100 * cpu / elapsed:.0f} % of a core); "
        f"load {load0} -> {_load()}"
    )
    a = np.asarray(lat) * 1e3 if lat else np.zeros(1)
    return {
        "phase": name,
        "requests": n,
        "elapsed_s": elapsed,
        "per_s": rate,
        "p50_ms": float(np.percentile(a, 50)),
        "p99_ms": float(np.percentile(a, 99)),
        "status": status,
        "server_cpu_s": cpu,
        "load_before": load0,
        "load_after": _load(),
    }


def _spy(args: argparse.Namespace, pid: int, out: Path, phase: str) -> tuple[subprocess.Popen, Path] | None:
    if not args.profile:
        return None
    path = out / f"server-{phase}.collapsed"
    exe = Path(sys.executable).parent / "py-spy"
    cmd = [str(exe), "record", "-p", str(pid), "-r", "100", "-d", str(int(args.duration)), "-f", "raw", "-o", str(path)]
    return subprocess.Popen([*cmd, "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), path


def _spy_report(spy: tuple[subprocess.Popen, Path] | None, top: int = 30) -> None:
    """Inclusive share of samples per function (each counted once per stack) from py-spy's collapsed stacks."""
    if spy is None:
        return
    proc, path = spy
    proc.wait(timeout=600)
    total = 0
    incl: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        k = int(n)
        total += k
        for frame in set(stack.split(";")):
            incl[frame] = incl.get(frame, 0) + k
    print(f"        server samples {total:,} (every thread); inclusive share:")
    for frame, k in sorted(incl.items(), key=lambda kv: -kv[1])[:top]:
        print(f"        {100 * k / max(total, 1):5.1f} %  {frame[:150]}")


def _implied(row: dict, res: dict) -> None:
    """The CPU per request of the server and of the clients, and the rate they allow on two idle cores: the server
    is one process (its Python work holds one core at most), the clients need the rest."""
    n = max(row["requests"], 1)
    server_ms = 1e3 * row["server_cpu_s"] / n
    client_ms = 1e3 * res["client_cpu"] / n
    implied = min(1e3 / server_ms, 2e3 / (server_ms + client_ms)) if server_ms > 0 else float("inf")
    row.update(client_cpu_s=res["client_cpu"], server_cpu_ms=server_ms, client_cpu_ms=client_ms, implied_per_s=implied)
    print(
        f"        CPU per request: server {server_ms:.3f} ms, clients {client_ms:.3f} ms: on 2 idle cores at most "
        f"{implied:,.0f}/s (the server on one core, the clients on the other)"
    )


def reference(args: argparse.Namespace, work: Path, ours: list[dict]) -> list[dict]:
    """The submit and read phases against the reference server (:func:`serve_reference`), and the ratios."""
    port = _free_port()
    db = f"sqlite:///{work / 'reference.db'}"
    cmd = [sys.executable, __file__, "--serve-reference", "--port", str(port), "--db", db]
    server = subprocess.Popen(cmd)
    base = f"http://127.0.0.1:{port}"
    out: list[dict] = []
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the reference server did not start") from None
                time.sleep(0.2)
        ref_args = argparse.Namespace(**{**vars(args), "duration": args.reference_duration})
        print(f"reference (bare ASGI + sqlite3, one commit per submission), {args.reference_duration:.0f} s phases:")
        ids: list[str] = []
        for mode in ("submit", "read"):
            load0, cpu0 = _load(), _cpu_s(server.pid)
            res = closed_loop(ref_args, base, REFERENCE_KEY, mode, ids)
            cpu = _cpu_s(server.pid) - cpu0
            row = _line(f"ref-{mode}", len(res["lat"]), res["elapsed"], res["lat"], res["status"], cpu, load0)
            _implied(row, res)
            out.append(row)
            if mode == "submit":
                ids = [i for _, i in res["created"]]
            mine = next((r for r in ours if r["phase"] == mode), None)
            if mine is not None and row["per_s"] > 0:
                print(
                    f"        service / reference: {mine['per_s'] / row['per_s']:.2f}x the requests per second, "
                    f"{mine['server_cpu_ms'] / row['server_cpu_ms']:.2f}x the server CPU per request"
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    return out


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file in a temporary folder)")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--client-procs", type=int, default=2)
    ap.add_argument("--replays", type=int, default=1000)
    ap.add_argument("--bulk", type=int, default=20_000)
    ap.add_argument("--bulk-repeats", type=int, default=3)
    ap.add_argument("--steady-rate", type=float, default=20.0)
    ap.add_argument("--steady-duration", type=float, default=60.0)
    ap.add_argument("--phases", default="submit,read,steady,bulk")
    ap.add_argument("--profile", action="store_true", help="sample the server with py-spy (closed-loop phases)")
    ap.add_argument("--out", default=None, help="folder for results.json and the server profile")
    ap.add_argument(
        "--reference-duration", type=float, default=20.0, help="closed-loop phases against the reference (0: none)"
    )
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-reference", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args)
        return
    if args.serve_reference:
        serve_reference(args)
        return

    import httpx2 as httpx

    work = Path(tempfile.mkdtemp(prefix="og-bench-"))
    out = Path(args.out) if args.out else work
    out.mkdir(parents=True, exist_ok=True)
    db = args.db or f"sqlite:///{work / 'bench.db'}"
    port = _free_port()
    cmd = [
        sys.executable,
        __file__,
        "--serve",
        "--port",
        str(port),
        "--db",
        db,
        "--workdir",
        str(work),
        "--bulk",
        str(args.bulk),
    ]
    server = subprocess.Popen(cmd)
    base = f"http://127.0.0.1:{port}"
    results: list[dict] = []
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/v1/clock", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        with httpx.Client(base_url=base, timeout=120.0) as http:
            r = http.post(
                "/v1/tenants",
                json={
                    "name": "bench",
                    "rate_limit_per_s": 1e6,
                    "rate_burst": 10_000_000,
                    "max_active_jobs": 10_000_000,
                },
                headers=admin,
            )
            r.raise_for_status()
            tid, key = r.json()["tenant"]["id"], r.json()["api_key"]
            http.post(
                f"/v1/tenants/{tid}/contracts",
                json={"kind": "on_demand", "price_usd_per_gpu_hour": "2.50"},
                headers=admin,
            ).raise_for_status()
            auth = {"Authorization": f"Bearer {key}"}
            http.get("/v1/clock", headers=auth).raise_for_status()
            # warm up: the first jobs compile or load the scheduler's kernels (numba) and fill the caches
            for _ in range(20):
                http.post("/v1/jobs", json=JOB, headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
            time.sleep(2.0)
            warmed = http.get("/v1/jobs?limit=1", headers=auth).json()["count"]  # not counted below
        git = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
        )
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"commit {git.stdout.strip() or 'unknown'}; database {db.split('://')[0]}; clients {args.clients} in "
            f"{args.client_procs} processes"
        )
        phases = args.phases.split(",")
        ids: list[str] = []
        if "submit" in phases or "read" in phases:
            load0, cpu0 = _load(), _cpu_s(server.pid)
            spy = _spy(args, server.pid, out, "submit")
            res = closed_loop(args, base, key, "submit", [])
            _spy_report(spy)
            cpu = _cpu_s(server.pid) - cpu0
            results.append(_line("submit", len(res["lat"]), res["elapsed"], res["lat"], res["status"], cpu, load0))
            _implied(results[-1], res)
            created = res["created"]
            ids = [i for _, i in created]
            with httpx.Client(base_url=base, timeout=120.0, headers=auth) as http:
                count = http.get("/v1/jobs?limit=1").json()["count"] - warmed
                sample = random.Random(1).sample(created, min(args.replays, len(created)))
                same = 0
                for k, jid in sample:
                    r = http.post("/v1/jobs", json=JOB, headers={"Idempotency-Key": k})
                    same += (
                        r.status_code == 201
                        and r.json()["id"] == jid
                        and r.headers.get("idempotent-replayed") == "true"
                    )
                after = http.get("/v1/jobs?limit=1").json()["count"] - warmed
            print(
                f"        {len(created):,} acknowledged (201), {count:,} jobs stored (beyond the warm-up's), "
                f"{len(set(ids)):,} distinct ids; {same:,} of {len(sample):,} replayed keys returned their first job; "
                f"jobs after the replays {after:,}"
            )
            results[-1].update(acknowledged=len(created), stored=count, replays_same=same, replays=len(sample))
        if "read" in phases and ids:
            load0, cpu0 = _load(), _cpu_s(server.pid)
            spy = _spy(args, server.pid, out, "read")
            res = closed_loop(args, base, key, "read", ids)
            _spy_report(spy)
            cpu = _cpu_s(server.pid) - cpu0
            results.append(_line("read", len(res["lat"]), res["elapsed"], res["lat"], res["status"], cpu, load0))
            _implied(results[-1], res)
        if "steady" in phases:
            load0, cpu0 = _load(), _cpu_s(server.pid)
            res = asyncio.run(_steady(base, key, args.steady_rate, args.steady_duration))
            cpu = _cpu_s(server.pid) - cpu0
            results.append(
                _line("steady", len(res["lat"]), args.steady_duration, res["lat"], res["status"], cpu, load0)
            )
            late = np.asarray(res["late"]) * 1e3
            print(f"        client send lateness p99 {np.percentile(late, 99):.1f} ms (the open loop's own accuracy)")
        if "bulk" in phases:
            jobs = {"jobs": [dict(JOB, name=f"bulk-{i}") for i in range(args.bulk)]}
            payload = json.dumps(jobs).encode()
            lat = []
            cpus = []
            status: dict[int, int] = {}
            load0, cpu0 = _load(), _cpu_s(server.pid)
            with httpx.Client(base_url=base, timeout=600.0, headers=auth) as http:
                for _ in range(args.bulk_repeats):
                    c0 = _cpu_s(server.pid)
                    t0 = time.perf_counter()
                    r = http.post(
                        "/v1/jobs/bulk",
                        content=payload,
                        headers={"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"},
                    )
                    lat.append(time.perf_counter() - t0)
                    cpus.append(_cpu_s(server.pid) - c0)
                    status[r.status_code] = status.get(r.status_code, 0) + 1
                    if r.status_code != 201:
                        print(r.text[:500])
            cpu = _cpu_s(server.pid) - cpu0
            print(
                f"bulk    {args.bulk:,} jobs x {args.bulk_repeats}: "
                + ", ".join(f"{x:.2f} s" for x in lat)
                + f" ({args.bulk / min(lat):,.0f} jobs/s at best, {len(payload) / 1e6:.1f} MB a request); statuses "
                f"{status}; server CPU {cpu:.1f} s (during each request: "
                + ", ".join(f"{x:.2f}" for x in cpus)
                + f" s); load {load0} -> {_load()}"
            )
            results.append(
                {
                    "phase": "bulk",
                    "jobs": args.bulk,
                    "seconds": lat,
                    "server_cpu_s": cpus,
                    "status": status,
                    "load": _load(),
                }
            )
            single = next((r for r in results if r["phase"] == "submit"), None)
            if single is not None and single["per_s"] > 0:
                ratio = args.bulk / min(lat) / single["per_s"]
                print(f"        bulk / single submissions (same run): {ratio:.1f}x the jobs per second")
        if args.reference_duration > 0 and ("submit" in phases or "read" in phases):
            results += reference(args, work, results)
        (out / "results.json").write_text(json.dumps(results, indent=1))
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
