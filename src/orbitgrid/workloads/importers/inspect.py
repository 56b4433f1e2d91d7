"""What a trace file holds, as ``orbitgrid trace inspect`` prints it: rows read, rows kept, the time span, the GPU
demand (or token counts, or GPUs per model), and every row dropped or adjusted, counted by reason.

The preset is named, or recognised from the file's columns (the first preset whose columns the file has: job
presets, then request presets, then node lists; headerless files such as PAI 2020's need ``--preset``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from orbitgrid.workloads.importers.jobs import JOB_PRESETS, import_jobs
from orbitgrid.workloads.importers.nodes import NODE_PRESETS, import_nodes
from orbitgrid.workloads.importers.reading import file_format, not_a_file, read_json_records, refuse_archive
from orbitgrid.workloads.importers.requests import REQUEST_PRESETS, import_requests
from orbitgrid.workloads.importers.values import DATETIME_ZERO_NS
from orbitgrid.workloads.jobs import MILLI_PER_GPU, JobKind, TraceStatus
from orbitgrid.workloads.traces import TraceFormatError

What = Literal["jobs", "requests", "nodes"]


@dataclass(frozen=True)
class Inspection:
    """Labelled lines describing a file (``lines``) and the reasons rows were dropped or adjusted."""

    path: Path
    what: What
    preset: str
    lines: list[tuple[str, str]]
    dropped: dict[str, int]
    adjusted: dict[str, int]


def _columns_of(path: Path) -> set[str]:
    """The column names of a file (header line, Parquet schema, first JSON Lines object, Philly's record keys)."""
    fmt = file_format(path)
    if path.is_file():
        refuse_archive(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return set(pq.read_schema(str(path)).names)
        if fmt == "json":
            records = read_json_records(path)
            return set(records[0]) if records and isinstance(records[0], dict) else set()
        import csv
        import gzip
        import json

        opener = gzip.open if path.name.lower().endswith(".gz") else open
        # utf-8-sig: a byte-order mark (spreadsheet exports) is not part of the first column name, as in the readers
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            if fmt == "jsonl":
                first = json.loads(f.readline() or "{}")
                return set(first) if isinstance(first, dict) else set()
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, ValueError, EOFError, StopIteration) as exc:
        raise TraceFormatError(path, f"cannot read the header to recognise the format ({exc})") from None
    if not header:
        raise TraceFormatError(path, "empty file: no header line to recognise the format from")
    return {h.strip() for h in header}


def detect(path: Path) -> tuple[What, str]:
    """The kind of file and preset whose columns the file has; TraceFormatError naming the presets if none fits."""
    cols = _columns_of(path)
    candidates: list[tuple[int, What, str]] = []  # the preset naming the most of the file's columns wins
    for name, p in JOB_PRESETS.items():
        need = set(p.mapping.kinds()) if p.mapping.layout == "rows" else {"jobid", "attempts", "submitted_time"}
        if p.mapping.column_names is None and need <= cols:
            candidates.append((len(need), "jobs", name))
    for name, rp in REQUEST_PRESETS.items():
        if set(rp.mapping.kinds()) <= cols:
            candidates.append((len(rp.mapping.kinds()), "requests", name))
    for name, np_ in NODE_PRESETS.items():
        if np_.mapping.column_names is None and set(np_.mapping.kinds()) <= cols:
            candidates.append((len(np_.mapping.kinds()), "nodes", name))
    if candidates:
        _, what, name = max(candidates, key=lambda c: c[0])  # first of equals: jobs, then requests, then nodes
        return what, name
    known = ", ".join([*JOB_PRESETS, *REQUEST_PRESETS, *(f"{n} (--nodes)" for n in NODE_PRESETS)])
    hint = ""
    if len(cols) == 1 and file_format(path) == "csv":
        (only,) = cols
        other = next((d for d in (";", "\t", "|") if d in only), None)
        if other is not None:
            shown = "tab" if other == "\t" else repr(other)
            hint = f" (the header holds one column split by {shown}: orbitgrid reads comma-separated files)"
    raise TraceFormatError(
        path,
        f"no preset matches the columns {', '.join(sorted(cols)) or 'none'}{hint}; give --preset, one of {known}",
    )


def _span(t0_s: float, first_s: float, last_s: float, datetime: bool) -> str:
    days = (last_s - first_s) / 86400.0
    if datetime:
        zero = _dt.datetime.fromtimestamp(DATETIME_ZERO_NS / 1e9, tz=_dt.UTC)
        a = zero + _dt.timedelta(seconds=t0_s + first_s)
        b = zero + _dt.timedelta(seconds=t0_s + last_s)
        return f"{a:%Y-%m-%d %H:%M:%S} to {b:%Y-%m-%d %H:%M:%S} UTC ({days:,.2f} days)"
    return f"{t0_s + first_s:,.0f} s to {t0_s + last_s:,.0f} s in the trace's clock ({days:,.2f} days)"


def _counts(d: dict[str, int]) -> str:
    return "; ".join(f"{k}: {v:,}" for k, v in d.items()) or "none"


def _pct(x: np.ndarray) -> str:
    return f"mean {np.mean(x):,.0f}, p50 {np.percentile(x, 50):,.0f}, p99 {np.percentile(x, 99):,.0f}"


def inspect(path: str | Path, preset: str | None = None, what: What | None = None) -> Inspection:
    """Read ``path`` with the named (or recognised) preset and describe it."""
    p = Path(path)
    if not p.is_file():
        raise TraceFormatError(p, not_a_file(p, "file"))
    if preset is None:
        what, preset = detect(p)
    elif what is None:
        if preset in JOB_PRESETS:
            what = "jobs"
        elif preset in REQUEST_PRESETS:
            what = "requests"
        elif preset in NODE_PRESETS:
            what = "nodes"
    table: dict[str, list[str]] = {
        "jobs": list(JOB_PRESETS),
        "requests": list(REQUEST_PRESETS),
        "nodes": list(NODE_PRESETS),
    }
    if what is None or preset not in table[what]:
        options = ", ".join(table[what or "jobs"])
        raise TraceFormatError(p, f"unknown {what or 'job'} preset {preset!r}; known: {options}")
    if what == "jobs":
        return _inspect_jobs(p, preset)
    if what == "requests":
        return _inspect_requests(p, preset)
    return _inspect_nodes(p, preset)


def _inspect_jobs(path: Path, preset: str) -> Inspection:
    spec = JOB_PRESETS[preset]
    kind = JobKind.TRAINING if spec.kind == "training" else JobKind.BATCH
    imp = import_jobs(path, spec.mapping, kind=kind)
    j = imp.jobs
    lines = [("format", f"{preset} job trace: {spec.reads}"), ("rows read", f"{imp.rows:,}"), ("jobs", f"{len(j):,}")]
    if len(j):
        lines.append(("submitted", _span(imp.t0_s, float(j.submit_s[0]), float(j.submit_s[-1]), imp.datetime)))
        run_s = np.where(np.isnan(j.duration_s), j.work_gpu_s / j.gpus, j.duration_s)
        gpu_h = float(np.sum(j.gpus * run_s * np.where(j.gpu_milli < MILLI_PER_GPU, j.gpu_milli / MILLI_PER_GPU, 1.0)))
        sizes, n = np.unique(j.gpus, return_counts=True)
        shown = ", ".join(f"{s:,} GPU{'s' if s > 1 else ''}: {c:,}" for s, c in list(zip(sizes, n, strict=True))[:12])
        lines.append(("GPUs per job", shown + (" ..." if sizes.size > 12 else "")))
        frac = j.gpu_milli < MILLI_PER_GPU
        if frac.any():
            lines.append(
                (
                    "fractional jobs",
                    f"{int(frac.sum()):,} share one GPU (mean share {np.mean(j.gpu_milli[frac]) / MILLI_PER_GPU:.2f})",
                )
            )
        lines.append(("GPU demand", f"{gpu_h / 3600.0:,.0f} GPU-hours requested over the recorded run times"))
        lines.append(("run time", _pct(run_s) + " s"))
        wait = imp.observed_wait_s
        if np.isfinite(wait).any():
            lines.append(("recorded wait", _pct(wait[np.isfinite(wait)]) + " s"))
        status = {s.name.lower(): int(np.count_nonzero(j.trace_status == s)) for s in TraceStatus}
        lines.append(("status", _counts({k: v for k, v in status.items() if v})))
        kinds = {k.name.lower(): int(np.count_nonzero(j.kind == k)) for k in JobKind}
        lines.append(("kinds", _counts({k: v for k, v in kinds.items() if v})))
        if (j.cpu_milli > 0).any():
            lines.append(("CPU per job", _pct(j.cpu_milli / 1000.0) + " cores"))
        if (j.memory_mib > 0).any():
            lines.append(("memory per job", _pct(j.memory_mib / 1024.0) + " GiB"))
        if j.gpu_models:
            per = {m: int(np.count_nonzero(j.gpu_model == i)) for i, m in enumerate(j.gpu_models)}
            per["any"] = int(np.count_nonzero(j.gpu_model < 0))
            lines.append(("GPU models", _counts(per)))
        if imp.users:
            lines.append(("users", f"{imp.users:,}"))
    lines.append(("dropped", _counts(imp.dropped)))
    lines.append(("adjusted", _counts(imp.adjusted)))
    return Inspection(path, "jobs", preset, lines, dict(imp.dropped), dict(imp.adjusted))


def _inspect_requests(path: Path, preset: str) -> Inspection:
    spec = REQUEST_PRESETS[preset]
    imp = import_requests(path, spec.mapping)
    r = imp.requests
    lines = [
        ("format", f"{preset} request trace: {spec.reads}"),
        ("rows read", f"{imp.rows:,}"),
        ("requests", f"{len(r):,}"),
    ]
    if len(r):
        span = float(r.arrival_s[-1])
        datetime = spec.mapping.time_unit == "datetime"
        lines.append(("arrivals", _span(imp.t0_s, 0.0, span, datetime)))
        lines.append(("rate", f"{len(r) / max(span, 1e-9):,.2f} requests/s"))
        lines.append(("prompt tokens", _pct(r.input_tokens)))
        lines.append(("output tokens", _pct(r.output_tokens)))
    lines.append(("dropped", _counts(imp.dropped)))
    lines.append(("adjusted", _counts(imp.adjusted)))
    return Inspection(path, "requests", preset, lines, dict(imp.dropped), dict(imp.adjusted))


def _inspect_nodes(path: Path, preset: str) -> Inspection:
    spec = NODE_PRESETS[preset]
    imp = import_nodes(path, spec.mapping)
    lines = [
        ("format", f"{preset} node list: {spec.reads}"),
        ("rows read", f"{imp.rows:,}"),
        ("GPU nodes", f"{len(imp.node):,}"),
        ("GPUs", f"{int(imp.gpus.sum()):,}"),
        ("GPUs per model", _counts({m or "no model": n for m, n in imp.counts().items()})),
    ]
    if (imp.cpu_milli > 0).any():
        lines.append(("CPU", f"{imp.cpu_milli.sum() / 1000.0:,.0f} cores"))
    if (imp.memory_mib > 0).any():
        lines.append(("memory", f"{imp.memory_mib.sum() / 2**20:,.1f} TiB"))
    lines.append(("dropped", _counts(imp.dropped)))
    return Inspection(path, "nodes", preset, lines, dict(imp.dropped), {})


def presets() -> list[tuple[str, str, str, str]]:
    """(kind, name, what file it reads, where its schema is published) of every preset."""
    rows = [("job trace", name, p.reads, p.source) for name, p in JOB_PRESETS.items()]
    rows += [("request trace", name, p.reads, p.source) for name, p in REQUEST_PRESETS.items()]
    rows += [("node list", name, p.reads, p.source) for name, p in NODE_PRESETS.items()]
    return rows
