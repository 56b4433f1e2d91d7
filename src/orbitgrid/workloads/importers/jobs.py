"""Job traces from any file: a column mapping (:class:`JobMapping`) turns the rows of a CSV, Parquet or JSON trace
into a :class:`~orbitgrid.workloads.jobs.JobTable`, and :data:`JOB_PRESETS` holds the mappings of the public GPU
cluster traces.

What a mapping reads, per row (only ``submit`` is required; ``gpus`` defaults to 1):

- times: ``submit``, and the run time from ``start``/``end`` or from ``duration`` (``time_unit`` s, ms, us, min, h, or
  ``datetime`` for ISO 8601 text; naive date-times are in ``timezone``);
- resources: ``gpus`` (``gpu_unit`` count, or percent of one GPU as in PAI's ``plan_gpu``), ``gpu_share`` (the share
  of each GPU: milli, percent or fraction), ``gpu_model``, ``cpu`` (milli-cores, cores or percent of a core),
  ``memory`` (MiB, GiB, MB or GB), ``instances`` (a multiplier on GPUs, CPU and memory: PAI's ``inst_num``);
- labels: ``id``, ``tenant`` (the user), ``status`` and ``job_type`` through value maps, ``contract`` through a value
  map (openb's QoS classes).

Each row becomes one job, or is dropped with a counted reason (:attr:`JobImport.dropped`), or is kept with a counted
adjustment (:attr:`JobImport.adjusted`); nothing is dropped or changed silently. Malformed values (a negative or
impossible count, an end before its start, a repeated id, an unknown status) raise
:class:`~orbitgrid.workloads.traces.TraceFormatError` naming the line and column.

:func:`replay` then cuts a window, scales the arrival rate or compresses time, and places jobs running at the
window's start first (a warm start).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from orbitgrid.workloads.importers.reading import (
    ColumnKind,
    Columns,
    FileFormat,
    read_columns,
    read_json_records,
    records_columns,
)
from orbitgrid.workloads.importers.values import TimeUnit, amounts, durations_s, fail, first, times_s
from orbitgrid.workloads.jobs import MILLI_PER_GPU, Contract, JobKind, JobTable, TraceStatus
from orbitgrid.workloads.traces import MAX_TRACE_GPUS, OPENB_QOS_CONTRACT, TraceFormatError

StatusName = Literal["completed", "failed", "killed", "drop"]
KindName = Literal["training", "batch", "inference", "drop"]
ContractName = Literal["reserved", "on_demand", "spot"]

_STATUS = {"completed": TraceStatus.COMPLETED, "failed": TraceStatus.FAILED, "killed": TraceStatus.KILLED}
_KIND = {"training": JobKind.TRAINING, "batch": JobKind.BATCH, "inference": JobKind.INFERENCE}
_CONTRACT: dict[str, Contract] = {"reserved": Contract.RESERVED, "on_demand": Contract.ON_DEMAND, "spot": Contract.SPOT}
_CONTRACT_NAME: dict[Contract, ContractName] = {
    Contract.RESERVED: "reserved",
    Contract.ON_DEMAND: "on_demand",
    Contract.SPOT: "spot",
}
#: Share units -> milli-GPU per unit.
GPU_SHARE_MILLI = {"milli": 1.0, "percent": 10.0, "fraction": 1000.0}
#: CPU units -> milli-cores per unit.
CPU_MILLI = {"milli": 1.0, "cores": 1000.0, "percent": 10.0}
#: Memory units -> MiB per unit (MB and GB decimal).
MEMORY_MIB = {"MiB": 1.0, "GiB": 1024.0, "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}
#: Largest CPU request of one job (milli-cores) and memory (MiB) read: JobTable stores CPU as int32.
MAX_CPU_MILLI = int(np.iinfo(np.int32).max)
MAX_MEMORY_MIB = 1e12


@dataclass(frozen=True)
class JobMapping:
    """Which column holds what, in which unit; ``None``: not in the trace. See the module docstring."""

    submit: str
    start: str | None = None
    end: str | None = None
    duration: str | None = None
    gpus: str | None = None
    gpu_share: str | None = None
    gpu_model: str | None = None
    cpu: str | None = None
    memory: str | None = None
    instances: str | None = None
    status: str | None = None
    tenant: str | None = None
    job_type: str | None = None
    contract: str | None = None
    id: str | None = None
    id_columns: tuple[str, ...] = ()  # an id made of several columns joined by "/" (PAI: job_name/task_name)
    layout: Literal["rows", "philly_attempts"] = "rows"  # philly_attempts: Philly's JSON job log (see the preset)
    time_unit: TimeUnit = "s"
    duration_unit: TimeUnit = "s"
    timezone: str = "UTC"
    gpu_unit: Literal["count", "percent"] = "count"
    gpu_share_unit: Literal["milli", "percent", "fraction"] = "milli"
    cpu_unit: Literal["milli", "cores", "percent"] = "milli"
    memory_unit: Literal["MiB", "GiB", "MB", "GB"] = "MiB"
    status_values: Mapping[str, StatusName] = field(default_factory=dict)
    job_type_values: Mapping[str, KindName] = field(default_factory=dict)
    contract_values: Mapping[str, ContractName] = field(default_factory=dict)
    file_format: FileFormat | None = None
    column_names: tuple[str, ...] | None = None  # a CSV without a header line (PAI 2020)
    delimiter: str = ","

    def kinds(self) -> dict[str, ColumnKind]:
        """Every mapped column and how it is read."""
        text = self.time_unit == "datetime"
        out: dict[str, ColumnKind] = {}
        for key in ("submit", "start", "end"):
            name = getattr(self, key)
            if name is not None:
                out[name] = "string" if text else "number"
        for key in ("duration", "gpus", "gpu_share", "cpu", "memory", "instances"):
            name = getattr(self, key)
            if name is not None:
                out[name] = "number"
        for key in ("gpu_model", "status", "tenant", "job_type", "contract", "id"):
            name = getattr(self, key)
            if name is not None:
                out[name] = "string"
        for name in self.id_columns:
            out[name] = "string"
        return out


@dataclass(frozen=True)
class JobPreset:
    """A named mapping of a public trace, with the file it reads and where the format is published."""

    mapping: JobMapping
    reads: str
    source: str
    kind: Literal["training", "batch"] = "batch"


_SLURM_STATES: dict[str, StatusName] = {
    "COMPLETED": "completed",
    "FAILED": "failed",
    "CANCELLED": "killed",
    "TIMEOUT": "failed",
    "NODE_FAIL": "failed",
    "OUT_OF_MEMORY": "failed",
    "PREEMPTED": "killed",
    "SUSPENDED": "killed",
}

#: Mappings of the public traces users know (the file each reads, its published schema).
JOB_PRESETS: dict[str, JobPreset] = {
    "alibaba_openb": JobPreset(
        JobMapping(
            id="name",
            submit="creation_time",
            start="scheduled_time",
            end="deletion_time",
            gpus="num_gpu",
            gpu_share="gpu_milli",
            gpu_model="gpu_spec",
            cpu="cpu_milli",
            memory="memory_mib",
            status="pod_phase",
            contract="qos",
            status_values={"Succeeded": "completed", "Running": "completed", "Failed": "failed", "Pending": "drop"},
            contract_values={q: _CONTRACT_NAME[c] for q, c in OPENB_QOS_CONTRACT.items()},
        ),
        reads="openb_pod_list_*.csv (and the split_dev_* windows) of Alibaba cluster-trace-gpu-v2023",
        source="github.com/alibaba/clusterdata, cluster-trace-gpu-v2023 README (Weng et al., USENIX ATC 2023): name, "
        "cpu_milli, memory_mib, num_gpu, gpu_milli, gpu_spec, qos, pod_phase, creation_time, deletion_time, "
        "scheduled_time in seconds from the trace start. Running pods were alive at the trace end (their run time is "
        "a lower bound); Pending pods never ran.",
    ),
    "alibaba_pai_2020": JobPreset(
        JobMapping(
            id_columns=("job_name", "task_name"),
            submit="start_time",
            end="end_time",
            start="start_time",
            gpus="plan_gpu",
            gpu_unit="percent",
            gpu_model="gpu_type",
            cpu="plan_cpu",
            cpu_unit="percent",
            memory="plan_mem",
            memory_unit="GB",
            instances="inst_num",
            status="status",
            status_values={"Terminated": "completed", "Failed": "failed", "Running": "drop", "Waiting": "drop"},
            column_names=(
                "job_name",
                "task_name",
                "inst_num",
                "status",
                "start_time",
                "end_time",
                "plan_cpu",
                "plan_mem",
                "plan_gpu",
                "gpu_type",
            ),
        ),
        reads="pai_task_table.csv of Alibaba cluster-trace-gpu-v2020 (no header line)",
        source="github.com/alibaba/clusterdata, cluster-trace-gpu-v2020 (Weng et al., NSDI 2022), "
        "pai_task_table.header "
        "columns: "
        "job_name, task_name, inst_num, status, start_time, end_time, plan_cpu (100 = one core), plan_mem (GB), "
        "plan_gpu (100 = one GPU), gpu_type; one row per task of inst_num instances. The table has no submit time: a "
        "task is submitted when it starts. Running and Waiting tasks (no end) are dropped.",
    ),
    "philly": JobPreset(
        JobMapping(
            id="jobid",
            submit="submitted_time",
            start="start_time",
            end="end_time",
            gpus="gpus",
            tenant="user",
            status="status",
            time_unit="datetime",
            status_values={"Pass": "completed", "Failed": "failed", "Killed": "killed"},
            file_format="json",
            layout="philly_attempts",
        ),
        reads="cluster_job_log (JSON) of msr-fiddle/philly-traces",
        source="github.com/msr-fiddle/philly-traces README (Jeon et al., USENIX ATC 2019): one JSON record per job "
        "with status (Pass, Failed, Killed), jobid, user, submitted_time and attempts, each with start_time, end_time "
        "and the GPUs it held per machine. A job's start is its first attempt's start, its end the last attempt's "
        "end, its GPUs the first attempt's; times are local date-times without an offset, read as UTC (only "
        "differences are used).",
        kind="training",
    ),
    "helios": JobPreset(
        JobMapping(
            id="job_id",
            submit="submit_time",
            start="start_time",
            end="end_time",
            gpus="gpu_num",
            cpu="cpu_num",
            cpu_unit="cores",
            tenant="user",
            status="state",
            time_unit="datetime",
            status_values=_SLURM_STATES,
        ),
        reads="cluster_log.csv of S-Lab-System-Group/HeliosData (Venus, Earth, Saturn, Uranus)",
        source="github.com/S-Lab-System-Group/HeliosData README (Hu et al., SC 2021): job_id, user, vc, gpu_num, "
        "cpu_num, node_num, state (COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL), submit_time, start_time, "
        "end_time (date-times), duration, queue (s). TIMEOUT and NODE_FAIL count as failed, as in the paper.",
        kind="training",
    ),
    "acme": JobPreset(
        JobMapping(
            id="job_id",
            submit="submit_time",
            start="start_time",
            end="end_time",
            gpus="gpu_num",
            cpu="cpu_num",
            cpu_unit="cores",
            tenant="user",
            status="state",
            job_type="type",
            time_unit="datetime",
            status_values=_SLURM_STATES,
            job_type_values={
                "Pretrain": "training",
                "SFT": "training",
                "MLLM": "training",
                "Evaluation": "batch",
                "Debug": "batch",
                "Other": "batch",
            },
        ),
        reads="trace_seren.csv and trace_kalos.csv of InternLM/AcmeTrace",
        source="github.com/InternLM/AcmeTrace README (Hu et al., NSDI 2024): job_id, user, node_num, gpu_num, "
        "cpu_num, type (Pretrain, SFT, MLLM, Evaluation, Debug, Other), state (as Helios), submit_time, start_time, "
        "end_time (date-times with a UTC offset), duration, queue, gpu_time; Kalos adds mem_per_pod_GB. Pretraining, "
        "fine-tuning and multimodal jobs are training gangs, the rest batch.",
        kind="training",
    ),
}


@dataclass(frozen=True)
class JobImport:
    """What an import read: the jobs (``submit_s`` from the trace's first submit, ``t0_s`` in the trace's own
    clock: seconds since 2020-01-01 UTC for date-times, ``importers.values.DATETIME_ZERO_NS``), each job's recorded
    start and end relative to ``t0_s`` (NaN: unknown), and
    the counts of rows dropped and adjusted by reason."""

    path: Path
    jobs: JobTable
    t0_s: float
    start_s: np.ndarray  # recorded start, relative to t0_s
    end_s: np.ndarray  # recorded end, relative to t0_s
    rows: int
    dropped: dict[str, int]
    adjusted: dict[str, int]
    users: int  # distinct users/tenants in the kept rows (0: no tenant column)
    datetime: bool  # times were date-times (t0_s counts from 2020-01-01 UTC)

    @property
    def observed_wait_s(self) -> np.ndarray:
        """The trace's own queueing delay per job (start - submit; NaN where the start is unknown)."""
        return self.start_s - self.jobs.submit_s


def _count(out: dict[str, int], reason: str, mask: np.ndarray) -> None:
    n = int(np.count_nonzero(mask))
    if n:
        out[reason] = out.get(reason, 0) + n


def _mapped(cols: Columns, column: str, values: Mapping[str, str], what: str, key: str) -> tuple[list[str], np.ndarray]:
    """Each row's value of a labelled column through its value map: (the map's targets in order, per-row index into
    them; -1 for an empty cell). An unmapped value raises naming its first line."""
    cats, codes = cols.categories(column)
    unknown = [c for c in cats if c not in values]
    if unknown:
        bad = cats.index(unknown[0])
        row = first(codes == bad)
        allowed = ", ".join(values) if values else f"none: give {key} to map the column's values"
        raise fail(cols, row, column, f"unknown {what} {unknown[0]!r}; the mapping knows {allowed}")
    targets = list(dict.fromkeys(values.values()))
    lut = np.array([targets.index(values[c]) for c in cats] + [-1], dtype=np.int64)
    return targets, lut[codes]


def _philly_records(path: Path) -> Columns:
    """Philly's cluster_job_log flattened to one row per job (see the preset's source note)."""
    records = read_json_records(path)
    flat = []
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise TraceFormatError(path, f"record {i + 1}: expected a JSON object, found {type(r).__name__}")
        attempts = r.get("attempts")
        if not isinstance(attempts, list):
            raise TraceFormatError(path, f"record {i + 1}, key attempts: expected a list of attempts")
        first_a = attempts[0] if attempts else {}
        last_a = attempts[-1] if attempts else {}
        detail = first_a.get("detail") if isinstance(first_a, Mapping) else None
        gpus = 0
        for m in detail if isinstance(detail, list) else []:
            g = m.get("gpus") if isinstance(m, Mapping) else None
            gpus += len(g) if isinstance(g, list) else 0
        flat.append(
            {
                "jobid": r.get("jobid"),
                "user": r.get("user"),
                "status": r.get("status"),
                "submitted_time": r.get("submitted_time"),
                "start_time": first_a.get("start_time") if isinstance(first_a, Mapping) else None,
                "end_time": last_a.get("end_time") if isinstance(last_a, Mapping) else None,
                "gpus": gpus,
            }
        )
    kinds: dict[str, ColumnKind] = {
        "jobid": "string",
        "user": "string",
        "status": "string",
        "submitted_time": "string",
        "start_time": "string",
        "end_time": "string",
        "gpus": "number",
    }
    return records_columns(path, flat, kinds)


def _join_id(cols: Columns, names: tuple[str, ...]) -> None:
    """An id column ``_id`` of several columns joined by ``/`` (PAI names a task by job and task)."""
    import pyarrow.compute as pc

    cols.text["_id"] = pc.binary_join_element_wise(*(cols.text[c] for c in names), "/")


def read_job_columns(path: str | Path, mapping: JobMapping) -> Columns:
    """The mapped columns of a job trace (Philly's JSON log flattened, joined ids assembled)."""
    p = Path(path)
    if mapping.layout == "philly_attempts":
        return _philly_records(p)
    cols = read_columns(
        p, mapping.kinds(), fmt=mapping.file_format, column_names=mapping.column_names, delimiter=mapping.delimiter
    )
    if mapping.id_columns:
        _join_id(cols, mapping.id_columns)
    return cols


def import_jobs(path: str | Path, mapping: JobMapping, *, kind: JobKind = JobKind.BATCH) -> JobImport:
    """Jobs from a trace file through ``mapping``; ``kind`` for rows without a job-type column. Raises
    :class:`TraceFormatError` for anything malformed (see the module docstring)."""
    cols = read_job_columns(path, mapping)
    return jobs_from_columns(cols, mapping, kind=kind)


def jobs_from_columns(cols: Columns, m: JobMapping, *, kind: JobKind = JobKind.BATCH) -> JobImport:
    n = cols.rows
    dropped: dict[str, int] = {}
    adjusted: dict[str, int] = {}
    keep = np.ones(n, dtype=bool)

    submit = times_s(cols, m.submit, m.time_unit, m.timezone)
    _count(dropped, "no submit time", np.isnan(submit))
    keep &= ~np.isnan(submit)
    start = times_s(cols, m.start, m.time_unit, m.timezone) if m.start else np.full(n, np.nan)
    end = times_s(cols, m.end, m.time_unit, m.timezone) if m.end else np.full(n, np.nan)

    status = np.zeros(n, dtype=np.int8)
    if m.status:
        targets, idx = _mapped(cols, m.status, m.status_values, "status", "status_values")
        raw_cats, raw_codes = cols.categories(m.status)
        for k, target in enumerate(targets):
            sel = idx == k
            if target == "drop":
                for c, name in enumerate(raw_cats):
                    if m.status_values.get(name) == "drop":
                        _count(dropped, f"status {name}", keep & (raw_codes == c))
                keep &= ~sel
            else:
                status[sel] = int(_STATUS[target])
    kinds = np.full(n, int(kind), dtype=np.int8)
    if m.job_type:
        targets, idx = _mapped(cols, m.job_type, m.job_type_values, "job type", "job_type_values")
        raw_cats, raw_codes = cols.categories(m.job_type)
        for k, target in enumerate(targets):
            sel = idx == k
            if target == "drop":
                for c, name in enumerate(raw_cats):
                    if m.job_type_values.get(name) == "drop":
                        _count(dropped, f"job type {name}", keep & (raw_codes == c))
                keep &= ~sel
            else:
                kinds[sel] = int(_KIND[target])

    # Run time: start/end when both are mapped, else the duration column.
    if m.start and m.end:
        no_start = keep & np.isnan(start)
        _count(dropped, "never started (no start time)", no_start)
        keep &= ~no_start
        no_end = keep & np.isnan(end)
        _count(dropped, "no end time", no_end)
        keep &= ~no_end
        back = keep & (end < start)
        if back.any():
            i = first(back)
            raise fail(
                cols,
                i,
                m.end,
                f"ends {start[i] - end[i]:g} s before it starts ({m.start}); a job cannot end before it starts",
            )
        run = end - start
    elif m.duration:
        run = durations_s(cols, m.duration, m.duration_unit)
        no_run = keep & np.isnan(run)
        _count(dropped, "no duration", no_run)
        keep &= ~no_run
        start = np.where(np.isnan(start), submit, start) if m.start else submit.copy()
        end = start + run
    else:
        raise TraceFormatError(cols.path, "the mapping needs start and end, or duration, to know each job's run time")
    early = keep & (start < submit)
    _count(adjusted, "started before its submit time: submitted at its start", early)
    submit = np.where(early, start, submit)

    # GPUs, share, instances.
    if m.gpus:
        hi = MAX_TRACE_GPUS * (100 if m.gpu_unit == "percent" else 1)
        g = amounts(cols, m.gpus, "GPUs" if m.gpu_unit == "count" else "GPU percent", hi, whole=m.gpu_unit == "count")
        g = np.nan_to_num(g, nan=0.0)
        per = g / 100.0 if m.gpu_unit == "percent" else g
    else:
        per = np.ones(n)
    inst = np.ones(n)
    if m.instances:
        inst = np.nan_to_num(amounts(cols, m.instances, "instances", MAX_TRACE_GPUS, whole=True), nan=1.0)
        inst = np.maximum(inst, 1.0)
    milli = np.full(n, float(MILLI_PER_GPU))
    if m.gpu_share:
        share = amounts(
            cols, m.gpu_share, f"GPU share ({m.gpu_share_unit})", 1000.0 / GPU_SHARE_MILLI[m.gpu_share_unit]
        )
        share = share * GPU_SHARE_MILLI[m.gpu_share_unit]
        part = np.isfinite(share) & (share > 0) & (share < MILLI_PER_GPU)
        milli = np.where(part, share, milli)
    if m.gpu_unit == "percent":
        frac = (per > 0) & (per < 1)
        milli = np.where(frac, np.round(per * MILLI_PER_GPU), milli)
        whole = np.ceil(per - 1e-9)
        _count(adjusted, "GPU count not whole: rounded up", keep & (per > 1) & (whole != per))
        per = np.where(frac, 1.0, whole)
    gpus = per * inst
    cpu_only = keep & (gpus <= 0)
    _count(dropped, "no GPUs (CPU-only)", cpu_only)
    keep &= ~cpu_only
    multi = keep & (milli < MILLI_PER_GPU) & (gpus > 1)
    _count(adjusted, "GPU share on a job of several GPUs: whole GPUs", multi)
    milli = np.where(gpus > 1, MILLI_PER_GPU, np.maximum(milli, 1.0))
    too_many = keep & (gpus > MAX_TRACE_GPUS)
    if too_many.any():
        i = first(too_many)
        raise fail(cols, i, m.gpus or "", f"the job asks for {gpus[i]:,.0f} GPUs; at most {MAX_TRACE_GPUS:,}")

    cpu = np.zeros(n)
    if m.cpu:
        cpu_raw = amounts(cols, m.cpu, f"CPU ({m.cpu_unit})", MAX_CPU_MILLI / CPU_MILLI[m.cpu_unit])
        cpu = np.nan_to_num(cpu_raw, nan=0.0) * CPU_MILLI[m.cpu_unit] * inst
        big = keep & (cpu > MAX_CPU_MILLI)
        if big.any():
            raise fail(cols, first(big), m.cpu, f"{cpu[first(big)]:,.0f} milli-cores in all; at most {MAX_CPU_MILLI:,}")
    mem = np.zeros(n)
    if m.memory:
        v = amounts(cols, m.memory, f"memory ({m.memory_unit})", MAX_MEMORY_MIB / MEMORY_MIB[m.memory_unit])
        mem = np.nan_to_num(v, nan=0.0) * MEMORY_MIB[m.memory_unit] * inst

    # GPU model: the trace's names; an alternative list (openb "A|B") is any model.
    model_idx = np.full(n, -1, dtype=np.int32)
    model_names: tuple[str, ...] = ()
    if m.gpu_model:
        cats, codes = cols.categories(m.gpu_model)
        used = set(np.unique(codes[keep & (codes >= 0)]).tolist())  # the models of the rows kept only
        named = [c for i, c in enumerate(cats) if c and "|" not in c and i in used]
        model_names = tuple(named)
        lut = np.array([named.index(c) if c in named else -1 for c in cats] + [-1], dtype=np.int32)
        model_idx = lut[codes]
        alt = np.array([("|" in c) for c in cats] + [False])[codes]
        _count(adjusted, "several GPU models allowed: any model", keep & alt)

    contract = np.full(n, int(Contract.ON_DEMAND), dtype=np.int8)
    if m.contract:
        targets, idx = _mapped(cols, m.contract, m.contract_values, "contract class", "contract_values")
        lut_c = np.array([int(_CONTRACT[t]) for t in targets] + [int(Contract.ON_DEMAND)], dtype=np.int8)
        contract = lut_c[idx]

    # Ids: the trace's (must be unique among kept rows) or the row number.
    rows = np.flatnonzero(keep)
    if m.id or m.id_columns:
        id_col = m.id if m.id else "_id"
        import pyarrow as pa
        import pyarrow.compute as pc

        col = cols.text[id_col]
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        kept = col.take(pa.array(rows))
        if kept.null_count:
            i = int(rows[first(np.asarray(kept.is_null().to_numpy(zero_copy_only=False)))])
            raise fail(cols, i, id_col, "expected an id, found an empty cell")
        # Ids in increasing order (most traces) are unique at the cost of one comparison per row; else hash them.
        increasing = len(kept) < 2 or pc.all(pc.less(kept.slice(0, len(kept) - 1), kept.slice(1))).as_py()
        if not increasing and len(pc.unique(kept)) != len(kept):  # only then: which id, on which lines
            ids_all = np.asarray(kept.to_numpy(zero_copy_only=False), dtype=object).astype(str)
            uniq, inv, counts = np.unique(ids_all, return_inverse=True, return_counts=True)
            dup = int(np.argmax(counts > 1))
            where = rows[np.flatnonzero(inv == dup)[:2]]
            again, before = cols.where(int(where[1]), id_col), cols.where(int(where[0]))
            raise TraceFormatError(cols.path, f"{again}: id {str(uniq[dup])!r} repeats {before}; ids must be unique")
        ids = np.asarray(kept.to_numpy(zero_copy_only=False), dtype=object)
    else:
        ids = np.array([f"row{int(r) + cols.first_line}" for r in rows], dtype=object)

    users = 0
    tenant_names: tuple[str, ...] = ("default",)
    tenant_idx = np.zeros(rows.size, dtype=np.int32)
    if m.tenant:  # the trace's users as the table's tenants (an empty cell: "unknown")
        cats, codes = cols.categories(m.tenant)
        kept_codes = codes[rows]
        user_codes = np.unique(kept_codes[kept_codes >= 0])
        users = int(user_codes.size)
        names = [cats[c] for c in user_codes.tolist()] + (["unknown"] if (kept_codes < 0).any() else [])
        lut = np.full(len(cats) + 1, len(names) - 1, dtype=np.int32)
        lut[user_codes] = np.arange(user_codes.size, dtype=np.int32)
        tenant_idx = lut[kept_codes]
        tenant_names = tuple(names) if names else ("default",)

    out_of_order = int(np.count_nonzero(np.diff(submit[rows]) < 0)) if rows.size > 1 else 0
    if out_of_order:
        adjusted["rows out of submit order: sorted"] = out_of_order
    t0 = float(np.min(submit[rows])) if rows.size else 0.0
    run_s = run[rows]
    kind_rows = kinds[rows]
    inference = kind_rows == int(JobKind.INFERENCE)
    g_rows = gpus[rows].astype(np.int32)
    table = JobTable.build(
        job_id=ids,
        gpu_model=model_idx[rows],
        gpu_models=model_names,
        tenants=tenant_names,
        tenant=tenant_idx,
        kind=kind_rows,
        submit_s=submit[rows] - t0,
        gpus=g_rows,
        work_gpu_s=np.where(inference, np.nan, g_rows * run_s),
        duration_s=np.where(inference, run_s, np.nan),
        contract=contract[rows],
        preemptible=contract[rows] == int(Contract.SPOT),
        gpu_milli=milli[rows].astype(np.int32),
        cpu_milli=np.round(cpu[rows]).astype(np.int32),
        memory_mib=mem[rows],
        trace_status=status[rows],
    )
    order = np.argsort(submit[rows] - t0, kind="stable")
    return JobImport(
        path=cols.path,
        jobs=table,
        t0_s=t0,
        start_s=(start[rows] - t0)[order],
        end_s=(end[rows] - t0)[order],
        rows=n,
        dropped=dropped,
        adjusted=adjusted,
        users=users,
        datetime=m.time_unit == "datetime",
    )


@dataclass(frozen=True)
class Replay:
    """What :func:`replay` did: the jobs replayed, how many jobs fell outside the window, how many were warm-started,
    and the transformation as plain values (recorded in the run manifest)."""

    jobs: JobTable
    transform: dict[str, Any]
    outside_window: int
    warm: int
    beyond_limit: int


def replay(
    imp: JobImport,
    *,
    window_start_s: float | None = None,
    window_end_s: float | None = None,
    rate_scale: float = 1.0,
    time_scale: float = 1.0,
    warm_start: bool = False,
    limit: int | None = None,
) -> Replay:
    """The trace's jobs as a run replays them.

    - Window: jobs submitted in ``[window_start_s, window_end_s)`` (seconds from the trace's first submit); replay
      time 0 is the window's start.
    - Warm start: jobs submitted before the window that were still running at its start (recorded start before it,
      recorded end after it) are submitted at time 0 ahead of every other job, with the run time they had left;
      their ids end in ``@warm``.
    - ``rate_scale`` r: submit times divided by r (r times the arrivals per hour, same run times: r times the
      offered load). ``time_scale`` c: submit and run times divided by c (the same load in 1/c of the time).
    - ``limit``: the first jobs only, after all of the above.
    """
    if not (rate_scale > 0 and time_scale > 0 and math.isfinite(rate_scale) and math.isfinite(time_scale)):
        raise ValueError("rate_scale and time_scale must be positive")
    jobs = imp.jobs
    ws = 0.0 if window_start_s is None else float(window_start_s)
    we = math.inf if window_end_s is None else float(window_end_s)
    inside = (jobs.submit_s >= ws) & (jobs.submit_s < we)
    outside = int(np.count_nonzero(~inside))
    parts = []
    warm_n = 0
    if warm_start and ws > 0:
        running = (jobs.submit_s < ws) & (imp.start_s < ws) & (imp.end_s > ws)
        warm_n = int(np.count_nonzero(running))
        outside -= warm_n
        if warm_n:
            rows = np.flatnonzero(running)  # in submit order, as the table
            w = jobs.take(rows)
            left = (imp.end_s[rows] - ws) / time_scale
            raw = w.columns_raw()
            inf = raw["kind"] == int(JobKind.INFERENCE)
            raw["submit_s"] = np.zeros(len(w))
            raw["work_gpu_s"] = np.where(inf, np.nan, w.gpus * left)
            raw["duration_s"] = np.where(inf, left, np.nan)
            ids = np.array([f"{x}@warm" for x in w.job_id], dtype=object)
            parts.append(
                JobTable.build(job_id=ids, gpu_model=w.gpu_model, gpu_models=w.gpu_models, tenants=w.tenants, **raw)
            )
    body = jobs.take(np.flatnonzero(inside))
    raw = body.columns_raw()
    raw["submit_s"] = (body.submit_s - ws) / (rate_scale * time_scale)
    raw["work_gpu_s"] = body.work_gpu_s / time_scale
    raw["duration_s"] = body.duration_s / time_scale
    parts.append(
        JobTable.build(
            job_id=body.job_id, gpu_model=body.gpu_model, gpu_models=body.gpu_models, tenants=body.tenants, **raw
        )
    )
    out = parts[0] if len(parts) == 1 else parts[0].concat(parts[1])
    beyond = 0
    if limit is not None and len(out) > limit:
        beyond = len(out) - limit
        out = out.take(np.arange(limit))
    transform = {
        "window_start_s": ws,
        "window_end_s": None if math.isinf(we) else we,
        "rate_scale": rate_scale,
        "time_scale": time_scale,
        "warm_start": warm_start,
        "limit": limit,
    }
    return Replay(out, transform, outside, warm_n, beyond)


def preset_mapping(name: str, **overrides: Any) -> JobMapping:
    """A preset's mapping with some fields replaced (a column renamed, a unit changed)."""
    return replace(JOB_PRESETS[name].mapping, **overrides)
