"""``tenants``, and the fields every ``workloads`` entry shares (tenant, contract, placement, priority,
restarts, GPU model)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict, field_validator

from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import MAX_GPUS, Bounds, Name, NonNegativeFloat, PositiveFloat, StrictModel, _check_gpu

ContractName = Literal["reserved", "on_demand", "spot"]
PlacementName = Literal["any", "orbit", "ground"]


class Tenant(StrictModel):
    """A customer of the compute service and its contract."""

    name: Name = Field(description="Unique tenant name.")
    contract: ContractName = Field(
        default="on_demand",
        description="Contract class: reserved (never preempted, up to reserved_gpus), on_demand, or spot "
        "(preemptible).",
    )
    reserved_gpus: Annotated[int, Strict(), Bounds(0, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")] = Field(
        default=0, description="GPUs reserved for this tenant (reserved contracts); jobs beyond it queue as on-demand."
    )
    share: PositiveFloat = Field(default=1.0, description="Fair-share weight.")
    price_usd_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Price billed per delivered GPU-hour, USD."
    )


class _JobsBase(StrictModel):
    tenant: Name = Field(description="Tenant that owns these jobs (a name from tenants).")
    placement: PlacementName = Field(default="any", description="Where the jobs may run: any, orbit or ground.")
    contract: ContractName | None = Field(default=None, description="Contract override; default: the tenant's.")
    preemptible: bool = Field(default=False, description="May be preempted by higher contract classes.")
    priority: Annotated[int, Strict(), Bounds(-1_000_000, 1_000_000, why="an upper bound on priorities")] = Field(
        default=0, description="Priority inside a contract class (higher first)."
    )
    max_restarts: Annotated[int, Strict(), Bounds(0, 1_000_000, why="an upper bound on restarts")] | None = Field(
        default=None,
        description="Fault restarts after which a job of this workload fails; default: the policy's (none: restart "
        "until done).",
    )
    gpu_model: str | None = Field(
        default=None,
        description="Required accelerator model (catalog name); default: any model.",
        json_schema_extra=lambda s: s.update({"anyOf": [{"enum": list(catalog.gpu_models())}, {"type": "null"}]}),
    )

    @field_validator("gpu_model")
    @classmethod
    def _known_model(cls, v: str | None) -> str | None:
        return None if v is None else _check_gpu(v)
