"""``workloads[]`` of ``type: trace``: replay a job trace file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, Strict, ValidationInfo, field_validator

from orbitgrid.scenario.base import MAX_JOBS, Bounds, _resolve_data_file
from orbitgrid.scenario.sections.tenants import _JobsBase
from orbitgrid.workloads.jobs import JobKind, JobTable
from orbitgrid.workloads.traces import TraceFormatError, default_path, load_alibaba_openb_pods


class TraceJobs(_JobsBase):
    """Jobs replayed from a trace file (submit times, GPU counts and run times as recorded)."""

    type: Literal["trace"] = Field(description="Replay of a job trace.")
    format: Literal["alibaba_openb"] = Field(default="alibaba_openb", description="Trace format.")
    file: Path | None = Field(default=None, description="Trace file; default: the copy shipped with orbitgrid.")
    kind: Literal["training", "batch"] = Field(default="batch", description="Job kind of the replayed jobs.")
    limit: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] | None = Field(
        default=None, description="Replay only the first jobs."
    )

    _table: JobTable | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        return None if v is None else _resolve_data_file(v, info)

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            model._table = model.read()
        except TraceFormatError as exc:
            raise cls._merged([], [(("file",), str(exc), str(exc.path))]) from None
        return model

    def read(self) -> JobTable:
        """Read and check the trace (the one reader for validation and runs): a :class:`TraceFormatError` names the
        file, column and row."""
        kind = JobKind.TRAINING if self.kind == "training" else JobKind.BATCH
        return load_alibaba_openb_pods(self.file or default_path("alibaba_openb_pods"), kind=kind)

    @property
    def table(self) -> JobTable:
        """Every job of the trace (before ``limit`` and the run's end), as read when the scenario was validated."""
        if self._table is None:
            self._table = self.read()
        return self._table
