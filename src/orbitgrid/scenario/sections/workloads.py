"""``workloads``: explicit training gangs, jobs from a calibrated generator, job-trace replays and LLM inference
services (a union on ``type``)."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Strict, Tag

from orbitgrid.scenario.base import (
    MAX_GPUS,
    MAX_JOBS,
    Bounds,
    DurationS,
    NonNegativeFloat,
    PositiveFloat,
    RateScale,
    StrictModel,
    _parse_duration,
)
from orbitgrid.scenario.sections.tenants import _JobsBase
from orbitgrid.scenario.sections.traces import RequestTrace, TraceJobs


class TrainingJobs(_JobsBase):
    """``count`` identical training gangs submitted ``spacing`` apart from ``submit``."""

    type: Literal["training"] = Field(description="Explicit training gangs.")
    count: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] = Field(
        default=1, description="Number of jobs."
    )
    gpus: Annotated[int, Strict(), Bounds(1, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")] = Field(
        description="Gang size: GPUs that start and stop together."
    )
    work_gpu_hours: PositiveFloat = Field(description="Work per job in GPU-hours at the reference GPU's speed (H100).")
    submit: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=0.0, description="Submission time of the first job after the epoch (duration)."
    )
    spacing: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=0.0, description="Time between submissions (duration)."
    )
    checkpoint_interval: DurationS | None = Field(
        default=None, description="Compute time between checkpoints; default: the Young/Daly optimum on each node."
    )
    checkpoint_write: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=60.0, description="Time to write one checkpoint (duration)."
    )
    restore: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=120.0, description="Time to restore from a checkpoint after a restart (duration)."
    )
    allreduce_gb_per_step: NonNegativeFloat = Field(
        default=0.0, description="Gradient bytes all-reduced per GPU per training step, GB."
    )
    step_compute: DurationS = Field(default=1.0, description="Compute time of one training step on the reference GPU.")


class GeneratedJobs(_JobsBase):
    """Jobs drawn from a generator calibrated on a public trace (``orbitgrid.workloads.generators``)."""

    type: Literal["generated"] = Field(description="Jobs from a calibrated generator.")
    source: Literal["alibaba_openb"] = Field(
        default="alibaba_openb", description="Trace the generator was calibrated on (Alibaba 2023 openb GPU pods)."
    )
    kind: Literal["training", "batch"] = Field(default="batch", description="Job kind of the generated jobs.")
    count: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] | None = Field(
        default=None, description="Number of jobs; default: the trace's rate over the run."
    )
    rate_scale: RateScale = Field(default=1.0, description="Multiplier on the trace's arrival rate, [1e-6, 1e4].")
    gpu_scale: Annotated[int, Strict(), Bounds(1, 10_000, why="an upper bound on the scale")] = Field(
        default=1, description="Multiplier on each job's GPU count (scales the trace's pods up), at most 10,000."
    )


class UserSite(StrictModel):
    """A place inference requests come from."""

    lat_deg: Annotated[float, Strict(), Bounds(-90.0, 90.0)] = Field(description="Latitude, deg.")
    lon_deg: Annotated[float, Strict(), Bounds(-180.0, 180.0)] = Field(description="Longitude, deg east.")


def _name_or_file(v: Any) -> str:
    return "file" if isinstance(v, Mapping | RequestTrace) else "name"


RequestStream = Annotated[
    typing.Union[Annotated[Literal["azure_conv"], Tag("name")], Annotated[RequestTrace, Tag("file")]],  # noqa: UP007
    Discriminator(_name_or_file),
]


class InferenceServices(_JobsBase):
    """LLM inference services serving a request stream (defaults: a Llama-3-70B-class model on H100s)."""

    type: Literal["inference"] = Field(description="Inference services.")
    services: Annotated[int, Strict(), Bounds(1, 100_000, why="an upper bound on services")] = Field(
        default=1, description="Number of services (the request stream is split among them), at most 100,000."
    )
    gpus: Annotated[int, Strict(), Bounds(1, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")] = Field(
        description="GPUs per service."
    )
    start: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=0.0, description="When the services are submitted (duration)."
    )
    requests: RequestStream = Field(
        default="azure_conv",
        description="Request stream, repeated over the run: azure_conv (the shipped Azure LLM inference 2023 "
        "conversation trace) or a request trace file with its format.",
    )
    rate_scale: RateScale = Field(default=1.0, description="Multiplier on the trace's request rate, [1e-6, 1e4].")
    prefill_tokens_per_s: PositiveFloat = Field(default=10_000.0, description="Prefill tokens/s per GPU.")
    decode_tokens_per_s: PositiveFloat = Field(
        default=40.0, description="Decode tokens/s of one sequence (time per output token = 1 / this)."
    )
    max_batch: Annotated[int, Strict(), Bounds(1, 100_000, why="an upper bound on batch size")] = Field(
        default=32, description="Concurrent sequences per GPU."
    )
    ttft_slo: DurationS = Field(default=2.0, description="Time-to-first-token objective.")
    tpot_slo: DurationS = Field(default=0.1, description="Time-per-output-token objective.")
    users: list[UserSite] = Field(
        default=[], description="Where requests come from (round robin); default: beside each ground site."
    )


WorkloadSpec = Annotated[TrainingJobs | GeneratedJobs | TraceJobs | InferenceServices, Field(discriminator="type")]
