"""``policy``: the scheduling policy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict

from orbitgrid.scenario.base import Bounds, DurationS, NonNegativeFloat, PositiveFloat, StrictModel
from orbitgrid.scenario.sections.workloads import TrainingJobs


class PolicySpec(StrictModel):
    """The scheduling policy."""

    name: Literal["fifo-backfill", "priority", "fair-share", "hybrid"] = Field(
        default="priority", description="Queue order and placement."
    )
    power_aware: bool = Field(
        default=True,
        description="Avoid starting gangs that an eclipse, battery floor or the SAA would stop before their next "
        "checkpoint, and checkpoint ahead of predictable capacity drops.",
    )
    saa_threshold: PositiveFloat = Field(
        default=5.0, description="Power-aware: the fault-rate multiple (vs orbit mean) that counts as the SAA."
    )
    orbit_price_usd_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Hybrid: operator cost of an orbital GPU-hour (capital recovery), USD."
    )
    ground_price_usd_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Hybrid: operator cost of a ground GPU-hour before energy, USD."
    )
    max_restarts: Annotated[int, Strict(), Bounds(0, 1_000_000, why="an upper bound on restarts")] | None = Field(
        default=None,
        description="Fault restarts after which a job fails (an operator giving up); null: every job restarts "
        "until done, as long training runs do. A workload's max_restarts overrides it.",
    )
    node_pools: Literal["satellite", "plane"] = Field(
        default="satellite",
        description="What the scheduler places work on in Walker and sun-synchronous shells: each satellite "
        "(a node per satellite), or each orbital plane as one pool of its satellites (a node per plane: gangs "
        "larger than a satellite span its neighbours over the in-plane laser links, and work moves along the plane "
        "to the satellites with power, each move costing the handoff time; for fleets of hundreds of thousands of "
        "satellites). Formation clusters and element-set shells keep a node per cluster or satellite.",
    )
    handoff: DurationS = Field(
        default=TrainingJobs.model_fields["checkpoint_write"].default + TrainingJobs.model_fields["restore"].default,
        description="Plane pools: GPU time one move along the plane costs (a checkpoint written on the satellite "
        "losing power and restored on the one taking over; default: a training workload's default "
        "checkpoint_write + restore).",
    )
    partition: Literal["none", "group"] = Field(
        default="none",
        description="group: each shell and each ground site is scheduled by an engine of its own, with its own queue, "
        "as tasks of a local process pool (or of the dask cluster ORBITGRID_CLUSTER names); a job that several "
        "could run is routed to one before the run, in proportion to their GPUs, and reserved quotas are split the "
        "same way (docs/models.md, Partitioned runs). none: one engine for the whole fleet.",
    )
