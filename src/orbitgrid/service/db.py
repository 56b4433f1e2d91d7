"""Persistence: SQLAlchemy 2 models, the database engine (SQLite file by default, PostgreSQL by URL) and migrations.

Durability. SQLite runs in WAL mode with ``synchronous=NORMAL`` by default: a committed transaction survives a crash
of the process (kill -9) whatever the setting, because the WAL is in the operating system's page cache; after a
power loss or an operating-system crash the last transactions before it may roll back (sqlite.org/pragma.html
#pragma_synchronous). ``ORBITGRID_SQLITE_SYNCHRONOUS=FULL`` syncs the WAL at every commit, so a commit also survives
a power loss, at the cost of an fsync per commit. PostgreSQL commits are durable through its own WAL
(``synchronous_commit=on``, the default).

Amounts of money are integer micro-dollars; prices are micro-dollars per GPU-hour.
"""

from __future__ import annotations

import json
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Meta(Base):
    """Service-wide facts: the admin key's hash, the scenario and seed the state was built with."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Clock(Base):
    """The simulated time every committed state is consistent with (one row)."""

    __tablename__ = "clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    t_s: Mapped[float] = mapped_column(Float)


class Tenant(Base):
    __tablename__ = "tenants"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    engine_index: Mapped[int] = mapped_column(Integer, unique=True)
    created_t_s: Mapped[float] = mapped_column(Float)
    cohort: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nominal_gpus: Mapped[int | None] = mapped_column(Integer, nullable=True)
    borrowing_limit_gpus: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lending_limit_gpus: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_active_jobs: Mapped[int] = mapped_column(Integer)
    rate_limit_per_s: Mapped[float] = mapped_column(Float)
    rate_burst: Mapped[int] = mapped_column(Integer)


class ApiKey(Base):
    """An API key: ``og_<id>_<secret>``; only the argon2 hash of the whole key is stored. ``tenant_id`` NULL: admin."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), nullable=True, index=True)
    hash: Mapped[str] = mapped_column(String(255))
    created_t_s: Mapped[float] = mapped_column(Float)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Contract(Base):
    """Reserved (``gpus`` of ``gpu_model`` over ``[start_s, end_s)``, a commitment billed per hour), on-demand or
    spot (metered per second of use) at ``price_micro_usd_per_gpu_hour``."""

    __tablename__ = "contracts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    gpu_model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gpus: Mapped[int] = mapped_column(Integer)
    price_micro_usd_per_gpu_hour: Mapped[int] = mapped_column(BigInteger)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_t_s: Mapped[float] = mapped_column(Float)
    #: Spot: how long before a preemption evicts a job it is told (0: at once).
    notice_s: Mapped[float] = mapped_column(Float, server_default="0")


class Job(Base):
    """A job as submitted (immutable columns) and its state as of the clock (updated by the driver's ticks when
    something happens to it). ``metered_gpu_s``, ``cost_micro_usd`` and ``closed_cost_x3600`` (the exact cost in
    micro-dollars x 3600, an integer) cover its closed runs; its open run (``run_start_s``, ``run_gpus``) is metered
    through the committed clock when the job is read, so a tick does not rewrite every running job."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    engine_row: Mapped[int] = mapped_column(Integer, unique=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kind: Mapped[str] = mapped_column(String(16))
    contract: Mapped[str] = mapped_column(String(16))
    placement: Mapped[str] = mapped_column(String(8))
    gpus: Mapped[int] = mapped_column(Integer)
    gpu_model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    work_gpu_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkpoint_interval_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    checkpoint_write_s: Mapped[float] = mapped_column(Float)
    restore_s: Mapped[float] = mapped_column(Float)
    allreduce_bytes_per_step: Mapped[float] = mapped_column(Float)
    step_compute_s: Mapped[float] = mapped_column(Float)
    dataset_bytes: Mapped[float] = mapped_column(Float)
    submit_t_s: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16))
    node: Mapped[str | None] = mapped_column(String(128), nullable=True)
    first_start_t_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    end_t_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    preemptions: Mapped[int] = mapped_column(Integer, default=0)
    done_gpu_s: Mapped[float] = mapped_column(Float, default=0.0)
    metered_gpu_s: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_micro_usd: Mapped[int] = mapped_column(BigInteger, default=0)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    run_start_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_gpus: Mapped[int | None] = mapped_column(Integer, nullable=True)
    closed_cost_x3600: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    __table_args__ = (
        Index("ix_jobs_tenant_submit", "tenant_id", "submit_t_s"),
        Index("ix_jobs_tenant_state", "tenant_id", "state"),
    )


class IdempotencyKey(Base):
    """A submission's key (per tenant): the request's fingerprint and, once done, the response (Stripe's model)."""

    __tablename__ = "idempotency_keys"
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_t_s: Mapped[float] = mapped_column(Float)


class Command(Base):
    """Every input the scheduler saw, in order: the log it is rebuilt from at start (``op``: tenant, quota,
    contract, submit, cancel; ``payload``: what the op needs)."""

    __tablename__ = "commands"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    t_s: Mapped[float] = mapped_column(Float)
    op: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class JobEvent(Base):
    """What happened to a job; ``seq`` numbers a job's events (the scheduler's replay gives the same numbers)."""

    __tablename__ = "job_events"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    t_s: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(32))
    node: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class UsageRun(Base):
    """The per-second ledger: one row per run of a job on a node (``run_seq``-th run of the job); open runs have no
    ``end_s`` and are metered through the committed clock (``through_s``: the clock when the row was written; an
    open row is written once, when the run is first committed, and again when it closes)."""

    __tablename__ = "usage_runs"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    run_seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    contract_id: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(128))
    gpus: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    through_s: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    __table_args__ = (Index("ix_usage_tenant_start", "tenant_id", "start_s"),)


# ---------------------------------------------------------------------------------------------------- engine ---
def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, sqlite_synchronous: str = "NORMAL") -> Engine:
    """The database engine; SQLite files get WAL, the chosen ``synchronous``, foreign keys and a busy timeout."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30.0}, pool_size=16)

        @event.listens_for(eng, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return eng
    return create_engine(url, pool_size=16, max_overflow=16, pool_pre_ping=True)


def migrate(eng: Engine) -> None:
    """Bring the schema to the latest Alembic revision shipped in the package."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def insert_rows(conn: Connection, model: type[Base], rows: list[dict[str, Any]], conflict: str = "") -> None:
    """Insert rows (all with the keys of the first) with one ``executemany`` of the driver: about half the CPU per
    row of a Core insert, whose per-row parameter processing is skipped (JSON columns are serialized here).
    ``conflict``: an ``ON CONFLICT ...`` clause (the same words in SQLite and PostgreSQL)."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    mark = _mark(conn)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join([mark] * len(cols))}){conflict}'
    conn.exec_driver_sql(sql, _params(table, cols, rows))


def insert_ignore(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose primary key exists (SQLite and PostgreSQL)."""
    insert_rows(conn, model, rows, " ON CONFLICT DO NOTHING")


def upsert(conn: Connection, model: type[Base], rows: list[dict[str, Any]], update: list[str]) -> None:
    """Insert rows or, on a primary-key conflict, set the ``update`` columns from the new row."""
    keys = ", ".join(f'"{c.name}"' for c in model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in update)
    insert_rows(conn, model, rows, f" ON CONFLICT ({keys}) DO UPDATE SET {sets}")


def update_rows(conn: Connection, model: type[Base], key: str, rows: list[dict[str, Any]]) -> None:
    """Set the other columns of each row (all with the keys of the first) where the column ``key`` equals its
    ``key`` value: one ``executemany`` of the driver."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    cols = [c for c in rows[0] if c != key]
    mark = _mark(conn)
    sets = ", ".join(f'"{c}" = {mark}' for c in cols)
    conn.exec_driver_sql(f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = {mark}', _params(table, [*cols, key], rows))


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _params(table: Table, cols: list[str], rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows' values in the order of ``cols`` (JSON columns serialized as SQLAlchemy would)."""
    get = itemgetter(*cols)
    params: list[Any] = [get(r) for r in rows] if len(cols) > 1 else [(r[cols[0]],) for r in rows]
    at = [i for i, c in enumerate(cols) if isinstance(table.c[c].type, JSON)]
    if at:
        dumps = json.dumps
        for k, v in enumerate(params):
            v = list(v)
            for i in at:
                x = v[i]
                v[i] = "{}" if x == {} else dumps(x)
            params[k] = tuple(v)
    return params


def set_clock(conn: Connection, t_s: float) -> None:
    """Move the committed clock (the one row of ``clock``) forward to ``t_s``; never back."""
    stmt = _dialect_insert(conn, Clock).values(id=1, t_s=t_s)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={"t_s": stmt.excluded.t_s}, where=Clock.__table__.c.t_s < stmt.excluded.t_s
        )
    )


def _dialect_insert(conn: Connection, model: type[Base]) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(model)
