"""The live driver: the scheduling engine advanced by a clock at ``speed`` x real time, fed from the database.

Every input the scheduler sees (a tenant, a quota change, a contract, a submission, a cancellation) is a row of the
``commands`` table, committed in the same transaction as the resource it creates before the request is
acknowledged, and applied to the engine at the simulated instant it was accepted. The engine is a pure function of
the scenario, its seed and that log (``scheduling.live``), so at start the driver rebuilds it by replaying the log
and recomputes everything derived from it (job states, events, the usage ledger); a kill -9 at any moment loses no
accepted job and no metered second.

Derived state is committed by the clock's ticks (every ``tick_s`` wall seconds): the events of each job, the usage
ledger (closed runs; an open run once, when it is first committed: it is metered through the committed clock when
read) and the rows of the jobs something happened to, with the clock row, in one transaction. A tick's work is
proportional to what happened since the last one, not to the number of running jobs. Reads of jobs, usage and
invoices come from the database, so a reader never sees a state that a crash could take back; the fleet views read
the engine (the twin's live picture). After a restart the simulated clock resumes where the committed state ended
(the twin does not run while the service is down).

Submissions do not wait for the engine: a group commit (:meth:`Driver.grouped`) holds only the log's lock, picks
an instant the engine has not passed, commits, and leaves its jobs for the engine to add at that instant on its next
advance. A bulk submission takes precedence over the clock's work (:meth:`Driver.precedence`): the tick pauses
between the engine's events while one is validated, checked and committed, so 20,000 jobs are not stuck behind the
placement and commit of the last 20,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import queue
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from orbitgrid.fleet.nodes import FAULT_CAUSES, NodeKind
from orbitgrid.pipeline.live import LiveFleet
from orbitgrid.scheduling.engine import COMPLETED, FAILED, PENDING, QUEUED, RUNNING
from orbitgrid.scheduling.live import CANCELLED, LIVE_STATE_NAMES, CohortQuotas, LiveEngine, Quota
from orbitgrid.service import billing, db
from orbitgrid.workloads.jobs import Contract, JobKind, Placement

KINDS = {"training": JobKind.TRAINING, "batch": JobKind.BATCH, "inference": JobKind.INFERENCE}
CONTRACTS = {"reserved": Contract.RESERVED, "on_demand": Contract.ON_DEMAND, "spot": Contract.SPOT}
PLACEMENTS = {"any": Placement.ANY, "orbit": Placement.ORBIT, "ground": Placement.GROUND}
FINAL = ("completed", "failed", "cancelled")


class ServiceError(Exception):
    """A refusal with its HTTP status and a detail for the client."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


#: Events one refresh of the estimated starts may run ahead (``LiveEngine.starts_of``): after a restart with thousands
#: of jobs queued, 200,000 events took ~14 s of the interpreter (measured, the crash test's database); a job further
#: back than the look-ahead reaches has no estimate until the queue ahead of it has drained enough.
LOOK_AHEAD_EVENTS = 20_000
#: Work and pause of the look-ahead's time slices (:meth:`Driver._look_ahead_pause`): requests get a fifth of the
#: interpreter while it runs.
LOOK_AHEAD_SLICE_S = 0.002
LOOK_AHEAD_PAUSE_S = 0.0005


@dataclass
class _ContractInfo:
    id: str
    tenant_id: str
    kind: str
    gpus: int
    gpu_model: str | None
    price: int
    start_s: float
    end_s: float | None
    notice_s: float = 0.0


@dataclass
class Accepted:
    """A request its check accepted (:meth:`Driver.grouped`): its ``answer`` and the ``rows`` it adds, per model
    (``db.Job``, ``db.IdempotencyKey``), inserted with the other accepted requests' rows in one statement each."""

    answer: Any
    rows: dict[type[db.Base], list[dict[str, Any]]] = field(default_factory=dict)


#: The tables a group inserts into, in this order (the commands last).
GROUP_TABLES: tuple[type[db.Base], ...] = (db.Job, db.IdempotencyKey)


@dataclass
class _Pending:
    """A request waiting for its group commit (:meth:`Driver.grouped`): settled on its event loop."""

    check: Callable[..., Accepted]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future
    done: bool = False
    answer: Any = None
    error: BaseException | None = None

    def settle(self) -> None:
        with contextlib.suppress(RuntimeError):  # its event loop is closed: nobody waits for the answer
            self.loop.call_soon_threadsafe(_settle, self.future, self.answer, self.error)


def _settle(future: asyncio.Future, answer: Any, error: BaseException | None) -> None:
    if future.cancelled():  # the client went away; what was committed stays committed (its key replays it)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(answer)


@dataclass
class Estimates:
    as_of_s: float
    position: dict[int, int]
    start_s: dict[int, float]


class Driver:
    """Owns the engine; every method that touches it holds ``lock``."""

    def __init__(
        self,
        fleet: LiveFleet,
        policy: object,
        seed: int,
        sessions: sessionmaker[Session],
        speed: float,
        tick_s: float,
        eta_horizon_s: float,
        eta_refresh_s: float,
    ) -> None:
        self.fleet = fleet
        self.scenario = fleet.scenario
        self.epoch: datetime = fleet.scenario.epoch
        self.horizon_s = fleet.timeline.horizon_s
        self.quotas = CohortQuotas(policy)
        self.seed = seed
        self.engine = LiveEngine(fleet.timeline, self.quotas, np.random.default_rng(np.random.SeedSequence([seed, 13])))
        self.engine.prime()
        self.sessions = sessions
        self.speed = speed
        self.tick_s = tick_s
        self.eta_horizon_s = eta_horizon_s
        self.eta_refresh_s = eta_refresh_s
        self.lock = threading.RLock()
        #: Orders the command log: held while a command's instant is chosen and until it is committed (a group
        #: commit holds it alone, never waiting for the engine; :meth:`transaction` holds it with ``lock``).
        self.log_lock = threading.RLock()
        #: Submissions committed but not yet added to the engine, in log order: ``(t, ref, payload, row)``.
        self._pending: list[tuple[float, str, dict[str, Any], int]] = []
        #: The furthest instant the engine has been told to reach (a new command is never accepted before it).
        self._engine_target = 0.0
        #: Bulk submissions in progress: the clock's work pauses for them (:meth:`precedence`).
        self._precedence = 0
        self._no_precedence = threading.Event()
        self._no_precedence.set()
        self._precedence_lock = threading.Lock()
        self._gc_was_enabled = True
        #: The most a tick of the clock pauses for bulk submissions in all (then it goes on regardless).
        self.max_yield_s = 5.0
        self._yield_left = 0.0
        self._yielder: int | None = None  # the thread of the yielding tick in progress, the only one that pauses
        self._requests: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self.inline_commits = False  # commit on the event loop when the engine is free (:meth:`grouped`)
        self._in_flight = 0  # submissions waiting in grouped() (event loop only)
        self._writer: threading.Thread | None = None
        self.group: dict[str, Any] = {}
        self._largest: dict[tuple[str, str | None], int] = {}
        self._gpu_models: list[str] | None = None
        self.t_engine = 0.0
        self.committed_t_s = 0.0
        # the clock's origin (simulated s, monotonic wall s), one tuple so a reader never sees half of a jump
        self._t0: tuple[float, float] = (0.0, time.monotonic())
        # identities
        self.tenant_index: dict[str, int] = {}
        self.tenant_of_index: list[str] = []
        self.job_ids: list[str] = []
        self.job_contract: list[_ContractInfo] = []
        self.contracts: dict[str, _ContractInfo] = {}
        self.tenant_contracts: dict[str, list[_ContractInfo]] = defaultdict(list)
        self.max_active_jobs: dict[str, int] = {}  # per tenant, kept in step with the tenants table
        self.tenant_quota: dict[str, dict[str, Any]] = {}
        self._boundaries: list[float] = []
        self.active: dict[str, int] = defaultdict(int)
        # flush bookkeeping
        self._log_i = 0
        self._runs_i = 0
        self._ev_count: list[int] = []
        self._run_count: list[int] = []
        self._closed_gpu_s: list[int] = []
        self._closed_x3600: list[int] = []  # exact cost of closed runs, micro-dollars x 3600
        self._final: list[bool] = []
        self.estimates = Estimates(0.0, {}, {})
        self._eta_wall = -math.inf
        self._eta_version: tuple[float, int, int] | None = None  # what the estimates were computed from
        self._slice_start = 0.0
        self._eta_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.tick_error: str | None = None
        # what submissions are checked against, computed before anything runs (the same at every start, so a
        # replay indexes the GPU models as the first run did): a submission then never needs the engine's lock
        for placement in PLACEMENTS:
            for model in (None, *self.gpu_models()):
                self.largest_node(placement, model)

    # ------------------------------------------------------------------------------------------------ clock ---
    def sim_now(self) -> float:
        t0_sim, t0_wall = self._t0
        return min(t0_sim + (time.monotonic() - t0_wall) * self.speed, self.horizon_s)

    def jump(self, t: float) -> float:
        """Move the simulated clock forward to ``t`` (never back) and tick; returns the clock."""
        with self.lock:
            if t > self.sim_now():
                self._t0 = (min(t, self.horizon_s), time.monotonic())
            self.tick()
            return self.t_engine

    def at(self, t_s: float) -> datetime:
        return self.epoch + timedelta(seconds=t_s)

    def to_sim(self, when: datetime) -> float:
        return (when - self.epoch).total_seconds()

    def advance(self, t: float) -> None:
        """Run the engine to ``t`` (under ``lock``), adding the submissions committed since the last advance at
        the instants they were accepted (never later than ``t``... nor before what the engine had reached when they
        were accepted: see :meth:`_commit_group_in`)."""
        with self.log_lock:
            pending, self._pending = self._pending, []
            t = min(max(t, pending[-1][0]) if pending else t, self.horizon_s)
            self._engine_target = max(self._engine_target, t)
        for ts, ref, payload, row in pending:
            self._run_to(ts)
            self._engine_submit(ts, ref, payload, row)
            self._yield()
        self._run_to(t)

    def _run_to(self, t: float) -> None:
        """Run the engine to ``t``, applying reserved-contract boundaries at their exact instants."""
        t = min(t, self.horizon_s)
        if t <= self.t_engine:
            return
        while self._boundaries and self._boundaries[0] <= t:
            b = self._boundaries.pop(0)
            if b > self.t_engine:
                self.engine.run_until(b)
                self.t_engine = b
            self._apply_reserved(b)
        self.engine.run_until(t)
        self.t_engine = t

    def _apply_reserved(self, t: float) -> None:
        reserved: dict[str, int] = defaultdict(int)
        for c in self.contracts.values():
            if c.kind == "reserved" and c.start_s <= t and (c.end_s is None or t < c.end_s):
                reserved[c.tenant_id] += c.gpus
        for tenant_id, idx in self.tenant_index.items():
            self.quotas.quotas.setdefault(idx, Quota()).reserved_gpus = reserved.get(tenant_id, 0)
        self.engine._dirty = True

    # ---------------------------------------------------------------------------------------------- commands ---
    def _apply(self, op: str, t: float, ref: str, payload: dict[str, Any]) -> None:
        """Apply one command at ``t`` (the engine stands at ``t``): the same code live and in replay."""
        eng = self.engine
        if op == "tenant":
            idx = eng.add_tenant(ref)
            self.tenant_index[ref] = idx
            self.tenant_of_index.append(ref)
            self._set_quota(ref, payload)
        elif op == "quota":
            self._set_quota(ref, payload)
            eng._dirty = True
            eng.q.push(t, 3, 3)  # a dispatch at t (Priority.RESUME, wake): a raised quota may start jobs
        elif op == "contract":
            c = _ContractInfo(ref, **payload)
            self.contracts[ref] = c
            self.tenant_contracts[c.tenant_id].append(c)
            if c.kind == "reserved":
                for b in (c.start_s, c.end_s):
                    if b is not None and b > t:
                        self._boundaries.append(b)
                self._boundaries.sort()
                self._apply_reserved(t)
                eng.q.push(t, 3, 3)
        elif op == "submit":
            self._engine_submit(t, ref, payload, self._register(ref, payload))
        elif op == "cancel":
            eng.cancel(payload["row"], t)
        else:
            raise ValueError(f"unknown command {op!r}")

    def _register(self, ref: str, payload: dict[str, Any]) -> int:
        """A submitted job's identity and bookkeeping (its engine row, returned), before the engine has it."""
        contract = self.contracts[payload["contract_id"]]
        row = len(self.job_ids)
        self.job_ids.append(ref)
        self.job_contract.append(contract)
        self._ev_count.append(0)
        self._run_count.append(0)
        self._closed_gpu_s.append(0)
        self._closed_x3600.append(0)
        self._final.append(False)
        self.active[contract.tenant_id] += 1
        return row

    def _engine_submit(self, t: float, ref: str, payload: dict[str, Any], row: int) -> None:
        """Add a registered job to the engine (which stands at ``t``)."""
        eng = self.engine
        cols = dict(payload)
        del cols["contract_id"]
        cols["gpu_model"] = eng.gpu_model_index(cols.pop("gpu_model_name"))
        cols["tenant"] = self.tenant_index[cols.pop("tenant_id")]
        j = eng.add_job(ref, t, **cols)
        assert j == row, "job rows out of step with the command log"

    def _set_quota(self, tenant_id: str, limits: dict[str, Any]) -> None:
        idx = self.tenant_index[tenant_id]
        q = self.quotas.quotas.setdefault(idx, Quota())
        q.cohort = limits.get("cohort")
        q.nominal_gpus = limits.get("nominal_gpus")
        q.borrowing_limit_gpus = limits.get("borrowing_limit_gpus")
        q.lending_limit_gpus = limits.get("lending_limit_gpus")
        self.tenant_quota[tenant_id] = dict(limits)

    def command(self, session: Session, op: str, ref: str, payload: dict[str, Any], t: float) -> None:
        session.add(db.Command(t_s=t, op=op, ref=ref, payload=payload))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[tuple[Session, float, Callable[[str, str, dict[str, Any]], None]]]:
        """Hold the engine at the current instant ``t``: yields a session, ``t`` and ``log(op, ref, payload)``.
        On exit the session commits and only then are the logged commands applied to the engine (so the engine
        never runs ahead of what is durable); an exception rolls everything back."""
        with self.lock, self.log_lock:
            t = self.sim_now()
            self.advance(t)
            t = self.t_engine
            ops: list[tuple[str, str, dict[str, Any]]] = []

            def log(op: str, ref: str, payload: dict[str, Any]) -> None:
                ops.append((op, ref, payload))

            with self.sessions() as session:
                yield session, t, log
                session.add_all([db.Command(t_s=t, op=op, ref=ref, payload=p) for op, ref, p in ops])
                session.commit()
            for op, ref, p in ops:
                self._apply(op, t, ref, p)

    # ----------------------------------------------------------------------------------------- group commit ---
    async def grouped(
        self, check: Callable[[Session, float, Callable[[str, str, dict[str, Any]], None]], Accepted]
    ) -> Any:
        """Group commit (submissions): ``check(session, t, log)`` validates one request with reads only (a refusal
        raises and concerns that request alone), logs its commands and returns what it adds (:class:`Accepted`).
        Requests queue for one writer thread; the requests that queued while it was busy are checked one after the
        other at the same instant ``t`` under ``log_lock``, their rows inserted together (one statement per table)
        and committed once; only then are their jobs registered (their rows in the engine reserved) and queued for
        the engine, which adds them at ``t`` on its next advance, in log order, and their answers given. A failed
        commit fails every request of the group, and none of them is registered. ``group`` holds what the group has
        accepted so far (submissions per tenant, jobs, idempotency keys) for the checks after it. No request waits
        in a thread of its own, and none waits for the engine: ``t`` is never before the instant the engine was last
        told to reach, so a tick running meanwhile cannot pass it (replaying the log at start does the same).

        With ``inline_commits`` (an SQLite file: a commit is a write to the WAL, no round trip) a request alone in
        flight that finds the log free commits on the event loop itself: two thread switches fewer, which on a
        busy machine cost more than the work (each waits for the operating system to run the other thread). Requests
        that arrive together still go to the writer and commit as a group (one commit each costs three times the
        CPU of a group's share, measured)."""
        loop = asyncio.get_running_loop()
        item = _Pending(check, loop, loop.create_future())
        if self._writer is None or not self._writer.is_alive():
            raise ServiceError(503, "the service is not accepting submissions (starting or stopping)")
        self._in_flight += 1
        try:
            if self.inline_commits and self._in_flight == 1 and self.log_lock.acquire(blocking=False):
                try:
                    batch = [item, *self._drain()]
                    self._commit_group(batch)
                finally:
                    self.log_lock.release()
                for other in batch:
                    other.settle()
            else:
                self._requests.put(item)
            return await item.future
        finally:
            self._in_flight -= 1

    def _drain(self) -> list[_Pending]:
        """What has queued for the writer (a stop marker put back for it)."""
        out: list[_Pending] = []
        while True:
            try:
                nxt = self._requests.get_nowait()
            except queue.Empty:
                return out
            if nxt is None:
                self._requests.put(None)
                return out
            out.append(nxt)

    def _write_loop(self) -> None:
        while True:
            first = self._requests.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while True:
                try:
                    nxt = self._requests.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            try:
                with self.log_lock:
                    self._commit_group(batch)
            except Exception as why:  # never let the writer die: fail this group, serve the next
                for item in batch:
                    if item.error is None and item.answer is None:
                        item.error = why
            for item in batch:
                item.settle()
            if stop:
                return

    def _commit_group(self, batch: list[_Pending]) -> None:
        try:
            self._commit_group_in(batch)
        finally:
            for item in batch:
                if not item.done and item.error is None and item.answer is None:
                    item.error = RuntimeError("the group commit failed before this request was answered")
                item.done = True

    def _commit_group_in(self, batch: list[_Pending]) -> None:
        """(Under ``log_lock``.) The group's instant: now, and never before what the engine was told to reach, so
        its jobs can be added at that instant whatever the clock's thread is doing meanwhile."""
        t = max(min(self.sim_now(), self.horizon_s), self._engine_target)
        self.group = {"jobs": 0, "tenant_jobs": defaultdict(int), "keys": set()}
        accepted: list[tuple[_Pending, Accepted, list[tuple[str, str, dict[str, Any]]]]] = []
        try:
            with self.sessions() as session:
                for item in batch:
                    ops: list[tuple[str, str, dict[str, Any]]] = []
                    try:
                        got = item.check(session, t, lambda op, ref, payload, ops=ops: ops.append((op, ref, payload)))
                        if any(op != "submit" for op, _, _ in ops):
                            raise ValueError("a group commit logs submissions only")
                    except Exception as why:
                        item.error = why
                        continue
                    for op, _ref, payload in ops:
                        if op == "submit":
                            self.group["jobs"] += 1
                            self.group["tenant_jobs"][payload["tenant_id"]] += 1
                    accepted.append((item, got, ops))
                # one executemany per table (ORM objects cost several times more per row, Core twice)
                conn = session.connection()
                for model in GROUP_TABLES:
                    db.insert_rows(conn, model, [r for _, got, _ in accepted for r in got.rows.get(model, ())])
                commands = [
                    {"t_s": t, "op": op, "ref": ref, "payload": p} for *_, ops in accepted for op, ref, p in ops
                ]
                db.insert_rows(conn, db.Command, commands)
                session.commit()
        except Exception as why:
            for item, *_ in accepted:
                item.error = why
            accepted = []
        finally:
            self.group = {}
        for item, got, ops in accepted:
            for _op, ref, p in ops:
                # the engine gets the job at its next advance (a tick, or any request that advances it)
                self._pending.append((t, ref, p, self._register(ref, p)))
            item.answer = got.answer

    # ----------------------------------------------------------------------------------------------- replay ---
    def replay(self) -> int:
        """Rebuild the engine from the command log and commit everything derived from it; returns the commands.
        Also loads what submissions are checked against without a database read: each tenant's active-job limit
        and each contract's spot notice (logs written before the notice was in the contract command lack it)."""
        with self.lock, self.sessions() as session:
            clock = session.get(db.Clock, 1)
            target = clock.t_s if clock is not None else 0.0
            n = 0
            for c in session.scalars(select(db.Command).order_by(db.Command.seq)).yield_per(2000):
                self.advance(c.t_s)
                self._apply(c.op, c.t_s, c.ref, c.payload)
                target = max(target, c.t_s)
                n += 1
            for tid, limit in session.execute(select(db.Tenant.id, db.Tenant.max_active_jobs)):
                self.max_active_jobs[tid] = limit
            for cid, notice in session.execute(select(db.Contract.id, db.Contract.notice_s)):
                if cid in self.contracts:
                    self.contracts[cid].notice_s = notice
        with self.lock:
            self.advance(target)
            self._t0 = (target, time.monotonic())
            self.flush(self.t_engine)
        return n

    def contract_for(self, tenant_id: str, kind: str, gpu_model: str | None, t: float) -> _ContractInfo | None:
        """The tenant's active contract of a kind at ``t`` for a GPU model (None: any), the latest started first."""
        best: _ContractInfo | None = None
        for c in self.tenant_contracts.get(tenant_id, ()):
            if c.kind != kind or c.start_s > t or (c.end_s is not None and c.end_s <= t):
                continue
            if gpu_model is not None and c.gpu_model is not None and c.gpu_model != gpu_model:
                continue
            if best is None or (c.start_s, best.id) > (best.start_s, c.id):
                best = c
        return best

    # ------------------------------------------------------------------------------------------------ ticks ---
    def start(self) -> None:
        self._writer = threading.Thread(target=self._write_loop, name="orbitgrid-writer", daemon=True)
        self._writer.start()
        self._thread = threading.Thread(target=self._run, name="orbitgrid-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the clock and the writer (the submissions queued before are committed and answered), then tick
        once more."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._writer is not None:
            self._requests.put(None)
            self._writer.join(timeout=30)
            self._writer = None
        while True:  # anything queued after the writer stopped is refused
            try:
                item = self._requests.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item.error = ServiceError(503, "the service is stopping")
                item.settle()
        with self.lock:
            self.tick()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.tick(yielding=True)
                self.tick_error = None
            except Exception as why:  # a database outage: keep ticking, report it on /v1/clock
                self.tick_error = f"{type(why).__name__}: {why}"

    def tick(self, yielding: bool = False) -> None:
        """Advance the engine to now, commit what happened, refresh the estimates now and then. ``yielding`` (the
        clock's thread): pause for bulk submissions in progress (:meth:`precedence`) between the engine's events
        and before the commit, ``max_yield_s`` at most in all."""
        if yielding:
            self._yielder = threading.get_ident()
            self._yield_left = self.max_yield_s
        plan = None
        try:
            self._yield()
            with self.lock:
                eng = self.engine
                eng.yield_point = self._yield if yielding else None
                try:
                    self.advance(self.sim_now())
                    self.flush(self.t_engine)
                    if time.monotonic() - self._eta_wall >= self.eta_refresh_s:
                        plan = self._plan_estimates()
                finally:
                    eng.yield_point = None
        finally:
            if yielding:
                self._yielder = None
                self._yield_left = 0.0
        if plan is not None:  # the look-ahead runs on its fork without the engine's lock
            self._finish_estimates(plan)

    @contextlib.contextmanager
    def precedence(self) -> Iterator[None]:
        """A bulk submission's work (validation, checks, commit, answer): the clock's thread pauses meanwhile (at
        its next engine event, or before its commit), so the submission has the process's one core for Python to
        itself and does not wait for a tick placing and committing the jobs of the last one. A submission never
        waits for the engine (:meth:`grouped`), so the pause cannot deadlock; it is bounded all the same.

        The cyclic garbage collector is off meanwhile: the submission's ~10 objects per job all stay alive until
        the answer, yet each thousand of them set off a collection, and a few of those scan every object of the
        process (the engine's per-job state: measured, a third of a 20,000-job submission's CPU). Reference
        counting still frees what is dropped; the collector runs again at the end."""
        with self._precedence_lock:
            if self._precedence == 0:
                self._no_precedence.clear()
                self._gc_was_enabled = gc.isenabled()
                gc.disable()
            self._precedence += 1
        try:
            yield
        finally:
            with self._precedence_lock:
                self._precedence -= 1
                if self._precedence == 0:
                    if self._gc_was_enabled:
                        gc.enable()
                    self._no_precedence.set()

    def _yield(self) -> None:
        """Pause for a bulk submission in progress: only within a yielding tick and on its thread. Any other caller
        of :meth:`advance` (a cancellation, a quota change) may hold ``log_lock``, which the submission's group
        commit needs: it must never wait for the submission."""
        if self._precedence and self._yield_left > 0.0 and self._yielder == threading.get_ident():
            t0 = time.monotonic()
            self._no_precedence.wait(self._yield_left)
            self._yield_left -= time.monotonic() - t0

    def _price(self, j: int) -> _ContractInfo:
        return self.job_contract[j]

    def _meter(
        self, j: int, seq: int, node: int, gpus: int, start: float, end: float | None, through: float, out: str | None
    ) -> billing.MeteredRun:
        c = self.job_contract[j]
        return billing.meter(
            self.job_ids[j], seq, c.id, c.kind, self._node_name(node), gpus, start, end, through, out, c.price
        )

    def _node_name(self, n: int) -> str:
        return str(self.fleet.timeline.nodes.name[n])

    def flush(self, t: float) -> None:
        """Commit the events, ledger rows and job rows produced since the last flush, and the clock at ``t``.

        Only what happened is written: the new events, the runs that closed, the runs that started (an open row,
        written once: readers meter it through the committed clock, which this transaction moves to ``t``) and the
        rows of the jobs concerned. A job that runs on untouched costs nothing here."""
        eng = self.engine
        new_events = eng.log[self._log_i :]
        new_runs = eng.runs[self._runs_i :]
        ev_count: dict[int, int] = {}
        ev_rows = []
        touched: set[int] = set()
        started: list[int] = []
        for ev in new_events:
            j = ev.job
            seq = ev_count.get(j, self._ev_count[j])
            ev_count[j] = seq + 1
            touched.add(j)
            if ev.kind == "placed" or ev.kind == "resumed":
                started.append(j)
            ev_rows.append(
                {
                    "job_id": self.job_ids[j],
                    "seq": seq,
                    "tenant_id": self.job_contract[j].tenant_id,
                    "t_s": ev.t_s,
                    "kind": ev.kind,
                    "node": self._node_name(ev.node) if ev.node >= 0 else None,
                    "detail": ev.detail,
                }
            )
        run_count: dict[int, int] = {}
        closed_gpu: dict[int, int] = {}
        closed_x3600: dict[int, int] = {}
        usage_rows = []
        for r in new_runs:
            j = r.job
            seq = run_count.get(j, self._run_count[j])
            run_count[j] = seq + 1
            m = self._meter(j, seq, r.node, r.gpus, r.start_s, r.end_s, r.end_s, r.outcome)
            closed_gpu[j] = closed_gpu.get(j, self._closed_gpu_s[j]) + m.billed_gpu_s
            closed_x3600[j] = closed_x3600.get(j, self._closed_x3600[j]) + m.amount_x3600
            touched.add(j)
            usage_rows.append(self._usage_row(j, seq, r.node, r.gpus, r.start_s, r.end_s, r.end_s, r.outcome))
        opened: set[int] = set()
        for j in started:  # runs that began since the last flush and still go on: their open ledger row
            if j in opened or eng.state[j] != RUNNING:
                continue
            opened.add(j)
            seq = run_count.get(j, self._run_count[j])
            usage_rows.append(self._usage_row(j, seq, eng.node_of[j], eng.alloc[j], eng.seg_start[j], None, t, None))
        job_updates = []
        newly_final: list[int] = []
        for j in sorted(touched):
            state = LIVE_STATE_NAMES[eng.state[j]]
            x3600 = closed_x3600.get(j, self._closed_x3600[j])
            node = eng.node_of[j]
            running = eng.state[j] == RUNNING
            job_updates.append(
                {
                    "id": self.job_ids[j],
                    "state": state,
                    "node": self._node_name(node) if node >= 0 and running else None,
                    "first_start_t_s": None if math.isnan(eng.first_start[j]) else eng.first_start[j],
                    "end_t_s": None if math.isnan(eng.end[j]) else eng.end[j],
                    "restarts": eng.restarts[j],
                    "preemptions": eng.preemptions[j],
                    "done_gpu_s": eng.done[j],
                    "metered_gpu_s": closed_gpu.get(j, self._closed_gpu_s[j]),
                    "cost_micro_usd": billing.micro_from_x3600(x3600),
                    "closed_cost_x3600": x3600,
                    "run_start_s": eng.seg_start[j] if running else None,
                    "run_gpus": eng.alloc[j] if running else None,
                    "failure_reason": eng.failure_reason.get(j),
                }
            )
            if state in FINAL and not self._final[j]:
                newly_final.append(j)
        self._yield()  # a bulk submission commits before this write (one writer at a time in SQLite)
        with self.sessions() as session:
            conn = session.connection()
            db.insert_ignore(conn, db.JobEvent, ev_rows)
            db.upsert(conn, db.UsageRun, usage_rows, ["node", "gpus", "start_s", "end_s", "through_s", "outcome"])
            db.update_rows(conn, db.Job, "id", job_updates)
            db.set_clock(conn, t)
            session.commit()
        self._log_i += len(new_events)
        self._runs_i += len(new_runs)
        for j, c in ev_count.items():
            self._ev_count[j] = c
        for j, c in run_count.items():
            self._run_count[j] = c
        for j, v in closed_gpu.items():
            self._closed_gpu_s[j] = v
        for j, x in closed_x3600.items():
            self._closed_x3600[j] = x
        with self.log_lock:  # a group commit counts new jobs in under log_lock, not the engine's lock
            for j in newly_final:
                self._final[j] = True
                self.active[self.job_contract[j].tenant_id] -= 1
        self.committed_t_s = max(self.committed_t_s, t)
        # the engine's records are only needed until committed: keep memory bounded on a long run
        if self._log_i > 100_000:
            del eng.log[: self._log_i]
            self._log_i = 0
        if self._runs_i > 100_000:
            del eng.runs[: self._runs_i]
            self._runs_i = 0

    def _usage_row(
        self,
        j: int,
        seq: int,
        node: int,
        gpus: int,
        start: float,
        end: float | None,
        through: float,
        outcome: str | None,
    ) -> dict[str, Any]:
        c = self.job_contract[j]
        return {
            "job_id": self.job_ids[j],
            "run_seq": seq,
            "tenant_id": c.tenant_id,
            "contract_id": c.id,
            "node": self._node_name(node),
            "gpus": gpus,
            "start_s": start,
            "end_s": end,
            "through_s": through,
            "outcome": outcome,
        }

    # ------------------------------------------------------------------------------------------- estimates ---
    def _plan_estimates(self) -> tuple[tuple[float, int, int], float, list[int], LiveEngine, set[int], float] | None:
        """Under the engine's lock: what the estimates need, with a fork of the engine to run ahead (``None`` when
        they are done here).

        Skipped while nothing they depend on has moved (the engine's instant, its jobs and their states: a paused
        clock re-ran the whole look-ahead every ``eta_refresh_s``), and the interval counts from the end of the last
        look-ahead. The look-ahead itself runs on the fork without the lock (:meth:`_finish_estimates`): after a
        restart with thousands of jobs queued it took ~14 s (200,000 events), and a request waiting for the lock
        meanwhile timed out in the crash test."""
        eng = self.engine
        version = (self.t_engine, len(eng.state), hash(np.asarray(eng.state).tobytes()))
        if version == self._eta_version:
            self._eta_wall = time.monotonic()
            return None
        queued = eng.queued_jobs()
        pending = [j for j in range(len(eng.state)) if eng.state[j] == PENDING]
        if not queued and not pending:
            self.estimates = Estimates(self.t_engine, {}, {})
            self._eta_version = version
            self._eta_wall = time.monotonic()
            return None
        order = sorted(queued, key=lambda j: eng.policy.key(eng, j)) + pending
        ahead = eng.fork()
        self._slice_start = time.monotonic()
        ahead.yield_point = self._look_ahead_pause  # runs on the clock's thread after the tick, outside its pauses
        until = min(self.horizon_s, self.t_engine + self.eta_horizon_s)
        return version, self.t_engine, order, ahead, set(order), until

    def _finish_estimates(
        self, plan: tuple[tuple[float, int, int], float, list[int], LiveEngine, set[int], float]
    ) -> None:
        """Run the fork of :meth:`_plan_estimates` ahead and publish the estimates (one assignment: a request reads
        either the old ones or the new)."""
        version, t_engine, order, ahead, waiting, until = plan
        starts = ahead.starts_of(waiting, until, LOOK_AHEAD_EVENTS)
        with self._eta_lock:  # a clock jump's tick may have published newer ones meanwhile
            if t_engine < self.estimates.as_of_s:
                return
            self.estimates = Estimates(t_engine, {j: i + 1 for i, j in enumerate(order)}, starts)
            self._eta_version = version
            self._eta_wall = time.monotonic()

    def _look_ahead_pause(self) -> None:
        """Called at each event of the look-ahead: every ``LOOK_AHEAD_SLICE_S`` of it, sleep ``LOOK_AHEAD_PAUSE_S``.
        Without the engine's lock the look-ahead still holds the interpreter, and a request that reads a page row by
        row from SQLite gives the interpreter up at every row and waits up to the 5 ms switch interval to get it
        back (a 1,000-job page took 5-6 s during a look-ahead, measured); a sleep hands the interpreter over, a
        thread that merely releases and retakes it does not."""
        now = time.monotonic()
        if now - self._slice_start >= LOOK_AHEAD_SLICE_S:
            time.sleep(LOOK_AHEAD_PAUSE_S)
            self._slice_start = time.monotonic()

    # ---------------------------------------------------------------------------------------------- helpers ---
    def job_row(self, job_id: str) -> int | None:
        try:
            return self.job_ids.index(job_id) if len(self.job_ids) < 64 else self._row_of()[job_id]
        except (ValueError, KeyError):
            return None

    def _row_of(self) -> dict[str, int]:
        cache = getattr(self, "_row_cache", None)
        if cache is None or len(cache) != len(self.job_ids):
            cache = {jid: i for i, jid in enumerate(self.job_ids)}
            self._row_cache = cache
        return cache

    def largest_node(self, placement: str, gpu_model: str | None) -> int:
        """The most GPUs installed on a node jobs of this placement and model may use (installed GPUs never
        change: computed for every placement and fleet model at start)."""
        got = self._largest.get((placement, gpu_model))
        if got is None and gpu_model is not None and gpu_model not in self.gpu_models():
            return 0  # no node has it
        if got is None:
            with self.lock:
                eng = self.engine
                idx = eng.gpu_model_index(gpu_model) if gpu_model is not None else -1
                got = self._largest[(placement, gpu_model)] = eng.largest_node_gpus(int(PLACEMENTS[placement]), idx)
        return got

    def gpu_models(self) -> list[str]:
        """The fleet's accelerator models (computed once: a submission checks against them)."""
        if self._gpu_models is None:
            self._gpu_models = sorted(set(self.fleet.timeline.nodes.gpu_model.tolist()))
        return list(self._gpu_models)

    def node_views(self) -> list[dict[str, Any]]:
        """Every node's live numbers (under the lock)."""
        eng = self.engine
        nodes = eng.nodes
        reach = eng._reachable
        out = []
        for n in range(len(nodes)):
            out.append(
                {
                    "id": n,
                    "name": str(nodes.name[n]),
                    "group": str(nodes.group[n]),
                    "kind": "orbital" if nodes.kind[n] == NodeKind.ORBITAL else "ground",
                    "gpu_model": str(nodes.gpu_model[n]),
                    "installed_gpus": int(eng.installed[n]),
                    "usable_gpus": int(eng._cap(n)),
                    "busy_gpus": int(eng.busy[n]),
                    "failed_gpus": int(eng.failed[n]),
                    "reachable": True if reach is None else bool(reach[n]),
                }
            )
        return out

    def node_detail(self, n: int, tenant_index: int | None) -> dict[str, Any]:
        eng = self.engine
        view = self.node_views()[n]
        k = min(int(self.t_engine // eng.step_s), eng.n_steps - 1)
        state = self.fleet.node_state(n)
        rates = eng.base_rate[n] * 86_400.0
        own = [self.job_ids[j] for j in eng.running[n] if tenant_index is None or eng.tenant[j] == tenant_index]
        faults = sum(1 for f in eng.records.faults if f[1] == n)
        return {
            **view,
            "sunlit_fraction": None if state is None else float(state["lit_fraction"][k]),
            "battery_soc": None if state is None else float(state["battery_soc"][k]),
            "radiator_c": None if state is None else float(state["radiator_k"][k]) - 273.15,
            "fault_rate_per_gpu_day": {c: float(rates[i]) for i, c in enumerate(FAULT_CAUSES)},
            "faults": faults,
            "own_jobs_running": own,
            "usable_gpus_next": eng.fleet.usable_gpus[n, k : k + 96].astype(int).tolist(),
            "step_s": eng.step_s,
        }

    def counts(self) -> tuple[int, int]:
        eng = self.engine
        return eng.n_queued, sum(len(r) for r in eng.running)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def state_counts(states: list[int]) -> dict[str, int]:
    names = {QUEUED: "queued", RUNNING: "running", COMPLETED: "completed", FAILED: "failed", CANCELLED: "cancelled"}
    out: dict[str, int] = defaultdict(int)
    for s in states:
        out[names.get(s, "submitted")] += 1
    return dict(out)
