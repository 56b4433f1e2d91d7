"""The read of a job row with the committed clock, in one statement (so the open run is metered through a clock
consistent with the row), outside the engine's lock.

On an SQLite file the read runs on the event loop through a connection of its own (``query_only``, autocommit: each
statement reads the latest committed snapshot of the WAL, never waiting for the writer): a primary-key read takes
tens of microseconds, less than the hop to a worker thread and back. Elsewhere (PostgreSQL: a network round trip)
it runs in a worker thread through the SQLAlchemy engine's pool."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import anyio
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from orbitgrid.service import db

_JOB_COLUMNS = tuple(c.name for c in db.Job.__table__.columns)


class JobReader:
    """``await reader.job(job_id)``: the job's columns and ``clock_t_s`` (the committed clock), or None."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.columns = (*_JOB_COLUMNS, "clock_t_s")
        self._raw: sqlite3.Connection | None = None
        path = engine.url.database
        if engine.dialect.name == "sqlite" and path and path != ":memory:" and not path.startswith("file:"):
            self._raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
            self._raw.execute("PRAGMA query_only=ON")
            self._raw.execute("PRAGMA busy_timeout=30000")
        cols = ", ".join(f"jobs.{c}" for c in _JOB_COLUMNS)
        self._sql = f"SELECT {cols}, clock.t_s FROM jobs LEFT JOIN clock ON clock.id = 1 WHERE jobs.id = ?"
        job, clock = db.Job.__table__, db.Clock.__table__
        self._stmt = (
            select(job, clock.c.t_s.label("clock_t_s"))
            .select_from(job.outerjoin(clock, clock.c.id == 1))
            .where(job.c.id == bindparam("id"))
        )

    async def job(self, job_id: str) -> dict[str, Any] | None:
        if self._raw is not None:
            row = self._raw.execute(self._sql, (job_id,)).fetchone()
            if row is None:
                return None
            out = dict(zip(self.columns, row, strict=True))
            out["labels"] = json.loads(out["labels"]) if out["labels"] else {}
            return out
        return await anyio.to_thread.run_sync(self._job_pooled, job_id)

    def _job_pooled(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._stmt, {"id": job_id}).mappings().first()
        return None if row is None else dict(row)

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None
