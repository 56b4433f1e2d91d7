"""Request and response bodies: one schema per direction (``JobSubmit`` in, ``JobPublic`` out), every field
bounded, unknown fields refused (``extra="forbid"``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")]
# Free text may hold anything but NUL (U+0000), which PostgreSQL's text type cannot store (SQLite can): refused here
# with a 422 naming the field rather than failing in the database.
NO_NUL = r"^[^\x00]*$"
Label = Annotated[str, StringConstraints(max_length=256, pattern=NO_NUL)]
LabelKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._/-]+$")]
GpuModel = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]
JobKindName = Literal["training", "batch", "inference"]
ContractKind = Literal["reserved", "on_demand", "spot"]
PlacementName = Literal["any", "orbit", "ground"]
JobState = Literal["submitted", "queued", "running", "completed", "failed", "cancelled"]

MAX_GPUS = 1_000_000
MAX_WORK_GPU_HOURS = 1e9
MAX_DURATION_S = 10 * 365 * 86_400.0


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------------------------------- tenants ---
class Limits(_In):
    """Quotas and limits of a tenant (Kueue's cohort model; ``null``: unlimited)."""

    cohort: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)] | None = None
    nominal_gpus: int | None = Field(None, ge=0, le=MAX_GPUS, description="GPUs the tenant may hold at once")
    borrowing_limit_gpus: int | None = Field(None, ge=0, le=MAX_GPUS, description="most GPUs borrowed beyond nominal")
    lending_limit_gpus: int | None = Field(None, ge=0, le=MAX_GPUS, description="most unused nominal GPUs lent")
    max_active_jobs: int | None = Field(None, ge=1, le=10_000_000, description="submitted, queued and running jobs")
    rate_limit_per_s: float | None = Field(None, gt=0, le=1e6, description="requests per second (token bucket)")
    rate_burst: int | None = Field(None, ge=1, le=10_000_000)


class TenantCreate(Limits):
    name: Name
    contracts: list[ContractCreate] = Field(default_factory=list, max_length=16, description="created with it")


class TenantUpdate(Limits):
    pass


class TenantPublic(BaseModel):
    id: str
    name: str
    created_t_s: float
    cohort: str | None
    nominal_gpus: int | None
    borrowing_limit_gpus: int | None
    lending_limit_gpus: int | None
    max_active_jobs: int
    rate_limit_per_s: float
    rate_burst: int


class TenantCreated(BaseModel):
    tenant: TenantPublic
    api_key: str = Field(description="shown once: store it now")


class TenantList(BaseModel):
    data: list[TenantPublic]
    count: int


class KeyCreated(BaseModel):
    key_id: str
    api_key: str = Field(description="shown once: store it now")


class ContractCreate(_In):
    kind: ContractKind
    price_usd_per_gpu_hour: Decimal = Field(ge=0, le=100_000, max_digits=12, decimal_places=6)
    gpus: int = Field(0, ge=0, le=MAX_GPUS, description="reserved GPUs (reserved contracts only)")
    gpu_model: GpuModel | None = None
    starts_at: datetime | None = Field(None, description="default: now (simulated calendar, UTC)")
    ends_at: datetime | None = Field(None, description="required for reserved contracts")
    notice_s: float | None = Field(
        None, ge=0, le=3600, description="spot: notice before a preemption evicts a job (default 120 s, EC2's)"
    )

    @model_validator(mode="after")
    def _check(self) -> ContractCreate:
        if self.notice_s is not None and self.kind != "spot":
            raise ValueError("notice_s is for spot contracts (reserved and on-demand jobs are not preempted)")
        if self.kind == "reserved":
            if self.gpus < 1:
                raise ValueError("a reserved contract needs gpus >= 1")
            if self.ends_at is None:
                raise ValueError("a reserved contract needs ends_at")
        elif self.gpus:
            raise ValueError(f"gpus is for reserved contracts; a {self.kind} contract is metered by use")
        return self


class ContractPublic(BaseModel):
    id: str
    tenant_id: str
    kind: ContractKind
    gpus: int
    gpu_model: str | None
    price_usd_per_gpu_hour: str
    starts_at: datetime
    ends_at: datetime | None
    notice_s: float


class ContractList(BaseModel):
    data: list[ContractPublic]
    count: int


# -------------------------------------------------------------------------------------------------------- jobs ---
class Checkpointing(_In):
    # frozen (hashable): a job without a ``checkpoint`` shares one default instead of building one per job
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_s: float | None = Field(None, gt=0, le=MAX_DURATION_S, description="null: Young/Daly optimum")
    write_s: float = Field(0.0, ge=0, le=86_400)
    restore_s: float = Field(0.0, ge=0, le=86_400)


class JobSubmit(_In):
    kind: JobKindName
    gpus: int = Field(ge=1, le=MAX_GPUS, description="a gang (training, inference) or at most this many (batch)")
    gpu_model: GpuModel | None = Field(None, description="an accelerator of the fleet; null: any")
    work_gpu_hours: float | None = Field(
        None, gt=0, le=MAX_WORK_GPU_HOURS, description="training and batch: work at the reference GPU's speed"
    )
    duration_s: float | None = Field(None, gt=0, le=MAX_DURATION_S, description="inference: how long it serves")
    contract: ContractKind = "on_demand"
    placement: PlacementName = "any"
    priority: int = Field(0, ge=-1000, le=1000)
    checkpoint: Checkpointing = Checkpointing()
    allreduce_gb_per_step: float = Field(0.0, ge=0, le=1e6)
    step_compute_s: float = Field(1.0, gt=0, le=86_400)
    dataset_gb: float = Field(0.0, ge=0, le=1e9)
    name: Name | None = None
    labels: dict[LabelKey, Label] = Field(default_factory=dict, max_length=32)

    @model_validator(mode="after")
    def _check(self) -> JobSubmit:
        if self.kind == "inference":
            if self.duration_s is None or self.work_gpu_hours is not None:
                raise ValueError("an inference job takes duration_s (and no work_gpu_hours)")
        elif self.work_gpu_hours is None or self.duration_s is not None:
            raise ValueError(f"a {self.kind} job takes work_gpu_hours (and no duration_s)")
        return self


class BulkSubmit(_In):
    jobs: list[JobSubmit] = Field(min_length=1)


class JobPublic(BaseModel):
    id: str
    tenant_id: str
    name: str | None
    labels: dict[str, str]
    kind: JobKindName
    contract: ContractKind
    contract_id: str
    placement: PlacementName
    gpus: int
    gpu_model: str | None
    priority: int
    work_gpu_hours: float | None
    duration_s: float | None
    state: JobState
    submitted_at: datetime
    submit_t_s: float
    node: str | None
    started_at: datetime | None
    ended_at: datetime | None
    restarts: int
    preemptions: int
    done_gpu_hours: float
    metered_gpu_seconds: int = Field(description="over all runs, restarts included, as of the clock")
    cost_usd: str = Field(description="metered cost over all runs (reserved usage: covered by the commitment)")
    failure_reason: str | None
    queue_position: int | None = Field(None, description="1 = next to start (queued jobs, as of estimate_as_of_s)")
    estimated_start_at: datetime | None = Field(None, description="from a look-ahead of the twin with no new jobs")
    estimate_as_of_s: float | None = None


class JobList(BaseModel):
    data: list[JobPublic]
    count: int


class BulkCreated(BaseModel):
    data: list[JobPublic]
    count: int


class JobEventPublic(BaseModel):
    seq: int
    t_s: float
    at: datetime
    kind: str
    node: str | None
    detail: dict[str, Any]


class JobEventList(BaseModel):
    data: list[JobEventPublic]
    count: int


# ------------------------------------------------------------------------------------------------------- fleet ---
class GroupPublic(BaseModel):
    group: str
    kind: Literal["orbital", "ground"]
    nodes: int
    gpu_models: list[str]
    installed_gpus: int
    usable_gpus: int
    busy_gpus: int
    failed_gpus: int


class FleetPublic(BaseModel):
    t_s: float
    now: datetime
    speed: float
    horizon_s: float
    scenario: str
    nodes: int
    installed_gpus: int
    usable_gpus: int
    busy_gpus: int
    jobs_queued: int
    jobs_running: int
    groups: list[GroupPublic]


class NodePublic(BaseModel):
    id: int
    name: str
    group: str
    kind: Literal["orbital", "ground"]
    gpu_model: str
    installed_gpus: int
    usable_gpus: int
    busy_gpus: int
    failed_gpus: int
    reachable: bool


class NodeList(BaseModel):
    data: list[NodePublic]
    count: int


class NodeDetail(NodePublic):
    sunlit_fraction: float | None = Field(description="of the current step (orbital nodes)")
    battery_soc: float | None
    radiator_c: float | None
    fault_rate_per_gpu_day: dict[str, float]
    faults: int
    own_jobs_running: list[str]
    usable_gpus_next: list[int] = Field(description="usable GPUs over the next steps (up to 96)")
    step_s: float


class FaultPublic(BaseModel):
    t_s: float
    at: datetime
    node_id: int
    node: str
    cause: str
    job_id: str | None = Field(description="only for the caller's own jobs")


class FaultList(BaseModel):
    data: list[FaultPublic]
    count: int


class ClockAdvance(_In):
    t_s: float | None = Field(None, ge=0, le=1e12, description="to this simulated time")
    by_s: float | None = Field(None, gt=0, le=1e12, description="or by this many simulated seconds")


class ClockPublic(BaseModel):
    t_s: float
    now: datetime
    epoch: datetime
    speed: float
    horizon_s: float
    committed_t_s: float
    last_tick_error: str | None = Field(None, description="why the last tick could not commit (a database fault)")


# ------------------------------------------------------------------------------------------------ usage, bills ---
class UsageRunPublic(BaseModel):
    job_id: str
    run_seq: int
    contract_id: str
    contract: ContractKind
    node: str
    gpus: int
    start_s: int
    end_s: int
    open: bool
    minimum_seconds: int
    billed_gpu_seconds: int
    amount_usd: str


class UsagePublic(BaseModel):
    tenant_id: str
    metered_through_s: float
    data: list[UsageRunPublic]
    count: int
    gpu_seconds: int
    amount_usd: str


class InvoiceLine(BaseModel):
    type: Literal["usage", "commitment"]
    hour_start_s: int
    hour_start: datetime
    contract_id: str
    contract: ContractKind
    gpu_seconds: int
    minimum_gpu_seconds: int
    unit_price_usd_per_gpu_hour: str
    amount_usd: str


class Reconciliation(BaseModel):
    ledger_gpu_seconds: int
    lines_gpu_seconds: int
    ledger_usage_usd: str
    lines_usage_usd: str
    ledger_usage_exact_micro_usd: str


class InvoicePublic(BaseModel):
    tenant_id: str
    period: str
    period_start: datetime
    period_end: datetime
    status: Literal["open", "closed"]
    as_of_s: float
    currency: Literal["USD"] = "USD"
    lines: list[InvoiceLine]
    usage_gpu_seconds: dict[str, int]
    usage_usd: str
    commitment_usd: str
    total_usd: str
    reconciliation: Reconciliation


class InvoiceSummary(BaseModel):
    period: str
    status: Literal["open", "closed"]
    total_usd: str


class InvoiceList(BaseModel):
    tenant_id: str
    data: list[InvoiceSummary]
    count: int


class Problem(BaseModel):
    """An error: what went wrong and, for validation errors, where."""

    detail: Any


TenantCreate.model_rebuild()
