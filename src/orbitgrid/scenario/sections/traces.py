"""Trace files in a scenario: ``workloads[]`` of ``type: trace`` (a job trace through a preset or a column mapping,
cut to a window, scaled in rate or time, warm-started) and ``workloads[].requests`` of an inference service read
from a request trace.

The sections hold the mapping and the replay options; reading the file is the importers' job
(:mod:`orbitgrid.workloads.importers`), called once when the scenario is validated so that ``orbitgrid validate``
reports a malformed trace (file, line, column, what was expected) exactly as ``simulate`` would.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, AwareDatetime, Field, PrivateAttr, Strict, ValidationInfo, field_validator

from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import (
    MAX_JOBS,
    Bounds,
    DurationS,
    Found,
    Name,
    RateScale,
    StrictModel,
    _check_gpu,
    _error,
    _resolve_data_file,
)
from orbitgrid.scenario.sections.tenants import _JobsBase
from orbitgrid.workloads.importers.jobs import JOB_PRESETS, JobImport, JobMapping, Replay, import_jobs, replay
from orbitgrid.workloads.importers.requests import REQUEST_PRESETS, RequestImport, RequestMapping, import_requests
from orbitgrid.workloads.importers.values import DATETIME_ZERO_NS
from orbitgrid.workloads.jobs import JobKind, JobTable
from orbitgrid.workloads.traces import TraceFormatError, default_path

#: Values of ``format``: the presets and ``custom``.
JOB_FORMATS = (*JOB_PRESETS, "custom")
REQUEST_FORMATS = (*REQUEST_PRESETS, "custom")
#: Time compression factors accepted: beyond them a day of trace lasts under a tenth of a second, or a thousand years.
TIME_SCALE_BOUNDS = (1e-3, 1e6)


def _timezone(v: str) -> str:
    try:
        zoneinfo.ZoneInfo(v)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _error("timezone", f"unknown time zone {v!r}; give an IANA name such as UTC or Asia/Shanghai") from None
    return v


TimeZone = Annotated[str, Strict(), AfterValidator(_timezone)]
CatalogGpu = Annotated[str, AfterValidator(_check_gpu)]


class TraceColumns(StrictModel):
    """Which column of the trace holds each field (unset: the preset's, or not in the trace). Times: ``submit``, and
    ``start`` with ``end`` or ``duration``."""

    submit: Name | None = Field(default=None, description="Submit (arrival) time of each job.")
    start: Name | None = Field(default=None, description="Start of the job's run.")
    end: Name | None = Field(default=None, description="End of the job's run.")
    duration: Name | None = Field(default=None, description="Run time (instead of start and end).")
    gpus: Name | None = Field(default=None, description="GPUs of the job (unset: 1).")
    gpu_share: Name | None = Field(default=None, description="Share of each GPU a fractional job uses.")
    gpu_model: Name | None = Field(default=None, description="GPU model the job asked for (empty: any).")
    cpu: Name | None = Field(default=None, description="CPU the job asked for.")
    memory: Name | None = Field(default=None, description="Memory the job asked for.")
    instances: Name | None = Field(default=None, description="Instances of the job (multiplies GPUs, CPU, memory).")
    status: Name | None = Field(default=None, description="How the job ended (through status_values).")
    tenant: Name | None = Field(default=None, description="User or tenant of the job (reported by trace inspect).")
    job_type: Name | None = Field(default=None, description="Kind of job (through job_type_values).")
    contract: Name | None = Field(default=None, description="Service class of the job (through contract_values).")
    id: Name | None = Field(default=None, description="Job identifier, unique per row (unset: the line number).")


class TraceUnits(StrictModel):
    """Units of the trace's columns (unset: the preset's, else the first value listed)."""

    time: Literal["s", "ms", "us", "ns", "min", "h", "datetime"] | None = Field(
        default=None, description="Times: numbers in s, ms, us, ns, min, h, or datetime (ISO 8601 text)."
    )
    duration: Literal["s", "ms", "us", "ns", "min", "h"] | None = Field(default=None, description="Run times.")
    timezone: TimeZone | None = Field(default=None, description="Time zone of date-times without an offset (IANA).")
    gpus: Literal["count", "percent"] | None = Field(
        default=None, description="GPUs: a count, or percent of one GPU (100 = one GPU, as PAI's plan_gpu)."
    )
    gpu_share: Literal["milli", "percent", "fraction"] | None = Field(
        default=None, description="GPU share: milli-GPU (1000 = whole), percent or a fraction of one GPU."
    )
    cpu: Literal["milli", "cores", "percent"] | None = Field(
        default=None, description="CPU: milli-cores, cores, or percent of one core."
    )
    memory: Literal["MiB", "GiB", "MB", "GB"] | None = Field(default=None, description="Memory.")


class TraceWindow(StrictModel):
    """The part of a trace replayed: from ``start`` to ``end``, each a date-time (traces with date-times) or a
    duration after the trace's first submit; replay time 0 is the window's start."""

    start: AwareDatetime | DurationS | None = Field(default=None, description="Start; unset: the first submit.")
    end: AwareDatetime | DurationS | None = Field(default=None, description="End; unset: the last submit.")


def _labels(values: list[str]) -> Any:
    return lambda s: s.update(additionalProperties={"enum": values})


class TraceJobs(_JobsBase):
    """Jobs replayed from a trace file: a preset of a public trace (``format``) or a column mapping (``columns``,
    ``units``); rows dropped on reading (CPU-only, never started, ...) are counted by reason (``orbitgrid trace
    inspect``)."""

    type: Literal["trace"] = Field(description="Replay of a job trace.")
    format: Literal[JOB_FORMATS] = Field(  # type: ignore[valid-type]
        default="alibaba_openb",
        description="Preset of a public trace: alibaba_openb (cluster-trace-gpu-v2023 pod list), alibaba_pai_2020 "
        "(pai_task_table), philly (cluster_job_log JSON), helios (cluster_log.csv), acme (trace_seren/kalos.csv); or "
        "custom: every column from columns.",
    )
    file: Path | None = Field(
        default=None,
        description="Trace file (CSV, gzip CSV, Parquet, JSON Lines, Philly's JSON log); default: the shipped openb "
        "pods.",
    )
    columns: TraceColumns | None = Field(default=None, description="Columns replacing the preset's (custom: all).")
    units: TraceUnits | None = Field(default=None, description="Units replacing the preset's.")
    status_values: dict[str, Literal["completed", "failed", "killed", "drop"]] | None = Field(
        default=None, description="Status value -> completed, failed, killed or drop; replaces the preset's map."
    )
    job_type_values: dict[str, Literal["training", "batch", "inference", "drop"]] | None = Field(
        default=None, description="Job-type value -> training, batch, inference or drop; replaces the preset's map."
    )
    contract_values: dict[str, Literal["reserved", "on_demand", "spot"]] | None = Field(
        default=None, description="Service-class value -> contract; replaces the preset's map."
    )
    models: dict[str, CatalogGpu] = Field(
        default={},
        description="Trace GPU model -> catalog GPU, e.g. {V100M32: V100}; a model neither mapped nor in the catalog "
        "is an error.",
        json_schema_extra=_labels(list(catalog.gpu_models())),
    )
    kind: Literal["training", "batch"] | None = Field(
        default=None, description="Kind of jobs without a job-type column; default: the preset's (openb: batch)."
    )
    tenant_per_user: bool = Field(
        default=False,
        description="Each user of the trace's tenant column is a tenant of its own, named <tenant>/<user>, with this "
        "workload tenant's contract, fair-share weight and price (for per-user fair share); false: every job is "
        "the workload tenant's.",
    )
    window: TraceWindow | None = Field(default=None, description="Replay only the jobs submitted in this window.")
    warm_start: bool = Field(
        default=False,
        description="Jobs running when the window starts are placed first, at time 0, with the run time they had left.",
    )
    rate_scale: RateScale = Field(
        default=1.0, description="Multiplier on the arrival rate (submit times divided by it; run times kept)."
    )
    time_scale: Annotated[float, Strict(), Bounds(*TIME_SCALE_BOUNDS)] = Field(
        default=1.0, description="Time compression: submit and run times divided by it (the same load, faster)."
    )
    limit: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] | None = Field(
        default=None, description="Replay only the first jobs (after the window and scaling)."
    )

    _import: JobImport | None = PrivateAttr(default=None)
    _replay: Replay | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        return None if v is None else _resolve_data_file(v, info)

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        found: Found = []
        fmt = data.get("format", "alibaba_openb")
        if fmt != "alibaba_openb" and data.get("file") is None and fmt in JOB_FORMATS:
            found.append((("file",), f"required with format {fmt} (only alibaba_openb has a shipped copy)", None))
        cols = data.get("columns")
        if fmt == "custom" and not (isinstance(cols, Mapping) and cols.get("submit")):
            found.append((("columns", "submit"), "required with format custom: the column of submit times", None))
        return found

    def mapping(self) -> JobMapping:
        """The preset's mapping with this workload's columns, units and value maps over it."""
        base = JOB_PRESETS[self.format].mapping if self.format != "custom" else None
        fields: dict[str, Any] = {} if base is None else dict(base.__dict__)
        if base is None:
            fields = {"submit": ""}
        if self.columns is not None:
            for key, value in self.columns.model_dump(exclude_none=True).items():
                fields[key] = value
        if self.units is not None:
            u = self.units
            for key, attr in (
                ("time_unit", u.time),
                ("duration_unit", u.duration),
                ("timezone", u.timezone),
                ("gpu_unit", u.gpus),
                ("gpu_share_unit", u.gpu_share),
                ("cpu_unit", u.cpu),
                ("memory_unit", u.memory),
            ):
                if attr is not None:
                    fields[key] = attr
        for key in ("status_values", "job_type_values", "contract_values"):
            if getattr(self, key) is not None:
                fields[key] = dict(getattr(self, key))
        return JobMapping(**fields)

    def job_kind(self) -> JobKind:
        kind = self.kind or (JOB_PRESETS[self.format].kind if self.format != "custom" else "batch")
        return JobKind.TRAINING if kind == "training" else JobKind.BATCH

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        path = model.file or default_path("alibaba_openb_pods")
        mapping = model.mapping()
        try:
            imp = import_jobs(path, mapping, kind=model.job_kind())
        except TraceFormatError as exc:
            raise cls._merged([], [(("file",), str(exc), str(path))]) from None
        problems: Found = []
        if model.tenant_per_user and not mapping.tenant:
            msg = f"format {model.format} maps no tenant (user) column; give columns.tenant"
            problems.append((("tenant_per_user",), msg, True))
        known = catalog.gpu_models()
        unmapped = [m for m in imp.jobs.gpu_models if m not in model.models and m not in known]
        if unmapped:
            msg = (
                f"{Path(path).name} asks for GPU models {', '.join(unmapped)} that are not in the catalog; map each to "
                f"one of {', '.join(known)} under models"
            )
            problems.append((("models",), msg, dict(model.models)))
        bounds: list[float | None] = []
        for key in ("start", "end"):
            v = getattr(model.window, key) if model.window is not None else None
            if isinstance(v, _dt.datetime):
                if not imp.datetime:
                    msg = (
                        "a date-time window needs a trace with date-time columns; this trace counts seconds: give a "
                        "duration after its first submit (e.g. 30d)"
                    )
                    problems.append((("window", key), msg, v.isoformat()))
                    bounds.append(None)
                    continue
                zero = _dt.datetime.fromtimestamp(DATETIME_ZERO_NS / 1e9, tz=_dt.UTC)
                bounds.append((v - zero).total_seconds() - imp.t0_s)
            else:
                bounds.append(v)
        ws, we = bounds
        if ws is not None and we is not None and we <= ws:
            problems.append((("window", "end"), "must be after window.start", None))
        if problems:
            raise cls._merged([], problems)
        jobs = _rename_models(imp.jobs, model.models)
        imp = dataclasses.replace(imp, jobs=jobs)
        model._import = imp
        model._replay = replay(
            imp,
            window_start_s=ws,
            window_end_s=we,
            rate_scale=model.rate_scale,
            time_scale=model.time_scale,
            warm_start=model.warm_start,
            limit=model.limit,
        )
        if len(model._replay.jobs) == 0:
            where = "the window" if model.window is not None else "the trace"
            raise cls._merged([], [(("window",) if model.window else ("file",), f"no jobs in {where}", None)])
        return model

    def user_tenants(self) -> tuple[str, ...]:
        """The tenants this workload's jobs belong to: ``<tenant>/<user>`` per trace user with
        ``tenant_per_user``, else the workload's tenant alone."""
        if not self.tenant_per_user:
            return (self.tenant,)
        return tuple(f"{self.tenant}/{u}" for u in self.table.tenants)

    @property
    def imported(self) -> JobImport:
        """What the trace file held (every job kept on reading, the dropped and adjusted counts)."""
        assert self._import is not None, "validate the model to read its file"
        return self._import

    @property
    def replayed(self) -> Replay:
        """The jobs after the window, warm start, scaling and limit, and the transformation applied."""
        assert self._replay is not None, "validate the model to read its file"
        return self._replay

    @property
    def table(self) -> JobTable:
        """The jobs replayed (submit times from the window's start), as read when the scenario was validated."""
        return self.replayed.jobs

    def report(self) -> dict[str, Any]:
        """What was read and how it was replayed, as plain values (run manifests, ``trace inspect``)."""
        imp, rep = self.imported, self.replayed
        return {
            "file": str(imp.path),
            "format": self.format,
            "rows": imp.rows,
            "jobs": len(imp.jobs),
            "dropped": dict(imp.dropped),
            "adjusted": dict(imp.adjusted),
            "replayed": len(rep.jobs),
            "outside_window": rep.outside_window,
            "warm_started": rep.warm,
            "beyond_limit": rep.beyond_limit,
            "transform": dict(rep.transform),
        }


def _rename_models(jobs: JobTable, models: Mapping[str, str]) -> JobTable:
    """The trace's GPU model names as catalog names (``models`` maps the ones the catalog does not know)."""
    if not jobs.gpu_models or not models:
        return jobs
    names = [models.get(m, m) for m in jobs.gpu_models]
    unique = tuple(dict.fromkeys(names))
    lut = np.array([unique.index(n) for n in names] + [-1], dtype=np.int32)
    return JobTable.build(
        job_id=jobs.job_id, gpu_model=lut[jobs.gpu_model], gpu_models=unique, tenants=jobs.tenants, **jobs.columns_raw()
    )


class RequestColumns(StrictModel):
    """Columns of a request trace (unset: the preset's)."""

    arrival: Name | None = Field(default=None, description="Arrival time of each request.")
    prompt_tokens: Name | None = Field(default=None, description="Prompt (input) tokens.")
    output_tokens: Name | None = Field(default=None, description="Output (generated) tokens.")


class RequestTrace(StrictModel):
    """An inference request trace file: arrival times and token counts, through a preset or a column mapping."""

    file: Path = Field(description="Request trace (CSV, gzip CSV, Parquet, JSON Lines); relative to the scenario.")
    format: Literal[REQUEST_FORMATS] = Field(  # type: ignore[valid-type]
        description="Preset: azure_conv_2023, azure_code_2023, azure_2024 (Azure LLM inference traces), burstgpt, "
        "mooncake (JSON Lines); or custom: the columns from columns."
    )
    columns: RequestColumns | None = Field(default=None, description="Columns replacing the preset's (custom: all).")
    time_unit: Literal["s", "ms", "us", "ns", "min", "h", "datetime"] | None = Field(
        default=None, description="Unit of the arrival column; default: the preset's (custom: s)."
    )
    timezone: TimeZone | None = Field(default=None, description="Time zone of date-times without an offset.")

    _import: RequestImport | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path, info: ValidationInfo) -> Path:
        return _resolve_data_file(v, info)

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        cols = data.get("columns")
        if data.get("format") == "custom":
            have = cols if isinstance(cols, Mapping) else {}
            return [
                (("columns", k), "required with format custom", None)
                for k in ("arrival", "prompt_tokens", "output_tokens")
                if not have.get(k)
            ]
        return []

    def mapping(self) -> RequestMapping:
        base = (
            REQUEST_PRESETS[self.format].mapping
            if self.format != "custom"
            else RequestMapping(arrival="", prompt_tokens="", output_tokens="")
        )
        fields = dict(base.__dict__)
        if self.columns is not None:
            fields.update(self.columns.model_dump(exclude_none=True))
        if self.time_unit is not None:
            fields["time_unit"] = self.time_unit
        if self.timezone is not None:
            fields["timezone"] = self.timezone
        return RequestMapping(**fields)

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            model._import = import_requests(model.file, model.mapping())
        except TraceFormatError as exc:
            raise cls._merged([], [(("file",), str(exc), str(model.file))]) from None
        if len(model._import.requests) == 0:
            raise cls._merged([], [(("file",), f"{model.file}: no requests left after dropping", str(model.file))])
        span = float(model._import.requests.arrival_s[-1])
        if not math.isfinite(span):
            raise cls._merged([], [(("file",), f"{model.file}: arrival times are not finite", str(model.file))])
        return model

    @property
    def imported(self) -> RequestImport:
        assert self._import is not None, "validate the model to read its file"
        return self._import


def trace_reports(scenario: Any) -> list[dict[str, Any]]:
    """What every trace file of a validated scenario held and how it is replayed, by scenario path (for the run
    manifest): job traces (rows, jobs, dropped and adjusted by reason, window, warm start, scaling), request traces
    (rows, requests, dropped and adjusted) and node lists (rows, GPU nodes, dropped)."""
    out: list[dict[str, Any]] = []
    for i, w in enumerate(scenario.workloads):
        if isinstance(w, TraceJobs):
            out.append({"path": f"workloads[{i}]", **w.report()})
        requests = getattr(w, "requests", None)
        if isinstance(requests, RequestTrace):
            imp = requests.imported
            out.append(
                {
                    "path": f"workloads[{i}].requests",
                    "file": str(imp.path),
                    "format": requests.format,
                    "rows": imp.rows,
                    "requests": len(imp.requests),
                    "dropped": dict(imp.dropped),
                    "adjusted": dict(imp.adjusted),
                }
            )
    for i, site in enumerate(scenario.fleet.ground_sites):
        nodes = getattr(site.gpus, "nodes", None)
        if nodes is not None:
            out.append(
                {
                    "path": f"fleet.ground_sites[{i}].gpus",
                    "file": str(nodes.path),
                    "format": site.gpus.format,
                    "rows": nodes.rows,
                    "nodes": len(nodes.node),
                    "dropped": dict(nodes.dropped),
                }
            )
    return out


def trace_notes(scenario: Any) -> list[str]:
    """One line per trace file of a validated scenario: rows read, what was kept, and the rows dropped or adjusted
    by reason (printed by ``orbitgrid validate`` and ``simulate``)."""
    out = []
    for r in trace_reports(scenario):
        kept = (
            f"{r['jobs']:,} jobs, {r['replayed']:,} replayed"
            if "jobs" in r
            else f"{r['requests']:,} requests"
            if "requests" in r
            else f"{r['nodes']:,} GPU nodes"
        )
        parts = [f"{r['path']}: {Path(r['file']).name} ({r['format']}): {r['rows']:,} rows, {kept}"]
        if r.get("dropped"):
            parts.append("dropped " + ", ".join(f"{k}: {v:,}" for k, v in r["dropped"].items()))
        if r.get("adjusted"):
            parts.append("adjusted " + ", ".join(f"{k}: {v:,}" for k, v in r["adjusted"].items()))
        if r.get("warm_started"):
            parts.append(f"{r['warm_started']:,} warm-started")
        if r.get("outside_window"):
            parts.append(f"{r['outside_window']:,} outside the window")
        if r.get("beyond_limit"):
            parts.append(f"{r['beyond_limit']:,} beyond the limit")
        out.append("; ".join(parts))
    return out
