"""Service settings from ``ORBITGRID_*`` environment variables (read when the app is built, never at import)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every field can be set as ``ORBITGRID_<FIELD>`` (e.g. ``ORBITGRID_DB_URL``, ``ORBITGRID_SPEED``)."""

    model_config = SettingsConfigDict(env_prefix="ORBITGRID_", extra="ignore")

    #: SQLAlchemy URL: an SQLite file by default; ``postgresql://user:pw@host/db`` uses psycopg 3.
    db_url: str = "sqlite:///orbitgrid-service.db"
    #: Built-in scenario name or YAML path: its fleet, epoch, duration, step, seed and policy.
    scenario: str = "default"
    #: Simulated seconds per wall-clock second (0: the clock moves only when the admin advances it).
    speed: float = Field(1.0, ge=0.0, le=1e7)
    #: The admin key (at least 32 characters). Without it a key is generated at first start and shown once.
    admin_key: SecretStr | None = None
    #: SQLite ``synchronous`` in WAL mode: NORMAL survives a process crash (kill -9); FULL also a power loss.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    #: Wall seconds between clock ticks (each tick advances the engine and commits what happened).
    tick_s: float = Field(0.25, gt=0.0, le=60.0)
    #: Largest request body, bytes (bulk submissions: ``max_bulk_body_bytes``).
    max_body_bytes: int = Field(1_048_576, ge=1024)
    max_bulk_body_bytes: int = Field(32 * 1_048_576, ge=1024)
    #: Most jobs in one bulk submission.
    max_bulk_jobs: int = Field(20_000, ge=1)
    #: Look-ahead for estimated start times, simulated seconds, and how often it is refreshed, wall seconds.
    eta_horizon_s: float = Field(7 * 86_400.0, gt=0.0)
    eta_refresh_s: float = Field(2.0, ge=0.0)
    #: Defaults of new tenants: requests per second and burst (token bucket), active jobs (Slurm's MaxJobCount).
    default_rate_limit_per_s: float = Field(200.0, gt=0.0)
    default_rate_burst: int = Field(400, ge=1)
    default_max_active_jobs: int = Field(10_000, ge=1)
