"""Loaders for public cluster traces: each reads one file from an explicit path into the columnar contracts of
:mod:`orbitgrid.workloads.jobs` (a :class:`JobTable` or :class:`RequestTable`) or into a GPU inventory.

Every loader takes the path of the trace file; :func:`default_path` names the copies shipped inside the package
(``orbitgrid/workloads/data``, see its ``PROVENANCE.md``). Files may be plain or gzip-compressed CSV (pyarrow picks
the codec from the ``.gz`` suffix). Times become float seconds relative to the trace's own zero as stated per
loader; nothing here knows about orbits or the scenario epoch: the caller shifts ``submit_s`` if needed.

Loaders and their sources (full mapping in ``docs/models.md``, "Workloads"):

- :func:`load_alibaba_openb_pods` — Alibaba ``cluster-trace-gpu-v2023`` (openb) pod list -> TRAINING/BATCH jobs;
  :func:`alibaba_openb_observed_wait_s` gives the trace's own queueing delay per job for replay comparisons.
- :func:`load_alibaba_openb_gpu_inventory` / :func:`load_alibaba_openb_gpu_nodes` — the openb GPU node list.
- :func:`load_alibaba_spot_gpu_inventory` — the Alibaba 2026 spot-GPU node list.
- :func:`load_philly_runtimes` — Microsoft Philly job run times (as republished by Alibaba's v2020 analysis).
- :func:`load_azure_llm_requests` — Azure LLM inference trace 2023 (conversation) -> requests of one service.
- :func:`load_alibaba_dlrm_services` — Alibaba ``cluster-trace-gpu-v2025`` disaggregated DLRM inference
  instances -> INFERENCE services.
"""

from __future__ import annotations

import csv
import gzip
import importlib.resources
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from orbitgrid.errors import InputError
from orbitgrid.workloads.jobs import Contract, JobKind, JobTable, RequestTable

#: Files shipped in ``orbitgrid/workloads/data`` (names for :func:`default_path`).
SHIPPED: Mapping[str, str] = {
    "azure_llm_conv": "azure_llm_inference_2023_conv.csv.gz",
    "alibaba_openb_pods": "alibaba_openb_pod_list_default_lt_day140.csv.gz",
    "alibaba_openb_gpu_nodes": "alibaba_openb_node_list_gpu_node.csv.gz",
}

#: openb ``qos`` class -> contract. ``BE`` (best effort) is what a cluster evicts first: SPOT and preemptible;
#: ``Guaranteed`` pods hold reserved resources; ``LS`` (latency sensitive) and ``Burstable`` are ON_DEMAND.
OPENB_QOS_CONTRACT: Mapping[str, Contract] = {
    "BE": Contract.SPOT,
    "LS": Contract.ON_DEMAND,
    "Burstable": Contract.ON_DEMAND,
    "Guaranteed": Contract.RESERVED,
}


def default_path(name: str) -> Path:
    """The path of a trace shipped in the package: one of :data:`SHIPPED`'s keys (``azure_llm_conv``,
    ``alibaba_openb_pods``, ``alibaba_openb_gpu_nodes``). The package must be installed as files (not zipped)."""
    try:
        fname = SHIPPED[name]
    except KeyError:
        raise KeyError(f"no shipped trace {name!r}; known: {sorted(SHIPPED)}") from None
    path = Path(str(importlib.resources.files("orbitgrid.workloads") / "data" / fname))
    if not path.is_file():
        raise FileNotFoundError(f"shipped trace {name!r} missing at {path}")
    return path


def _name_column(path: str | Path, message: str) -> str:
    """pyarrow's ``In CSV column #3: ...`` (0-based) with the column's header name added, when it can be read."""
    m = re.match(r"In CSV column #(\d+): (.*)", message)
    if m is None:
        return message
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            header = next(csv.reader(f))
        name = header[int(m.group(1))].strip()
    except (OSError, UnicodeDecodeError, StopIteration, IndexError, csv.Error, EOFError):
        return message
    return f"column {name}: {m.group(2)}"


class TraceFormatError(InputError):
    """An unreadable trace file: the message names the file, and the column and row when known."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.detail = message
        super().__init__(f"{path}: {message}")


#: Largest GPU count of one job or node read from a trace: JobTable stores GPU counts as int32.
MAX_TRACE_GPUS = 1_000_000


def _read(
    path: str | Path, types: Mapping[str, str] | None = None, required: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """All columns of a CSV as numpy arrays (strings as object arrays, nulls in numeric columns as NaN); ``types``
    by pyarrow type name (``"string"``, ``"timestamp[ns]"``). A file pyarrow cannot parse, or one without a
    ``required`` column, raises :class:`TraceFormatError` naming it."""
    import pyarrow as pa  # imported here: scenario validation imports this module
    import pyarrow.csv as pacsv

    column_types = {name: pa.type_for_alias(t) for name, t in (types or {}).items()}
    convert = pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True)
    try:
        table = pacsv.read_csv(str(path), convert_options=convert)
        names = [name.strip() for name in table.column_names]
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TraceFormatError(path, f"not a readable CSV file: {_name_column(path, what)}") from None
    missing = [c for c in required if c not in names]
    if missing:
        raise TraceFormatError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the format has columns "
            f"{', '.join(required)}; found {', '.join(names) or 'none'}",
        )
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            out[name.strip()] = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
        elif pa.types.is_null(col.type):
            out[name.strip()] = np.full(len(col), None, dtype=object)
        else:
            out[name.strip()] = col.to_numpy(zero_copy_only=False)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Alibaba cluster-trace-gpu-v2023 (openb)
# ---------------------------------------------------------------------------------------------------------------

#: Arrow types of the openb columns read as given (pyarrow type names; the rest numeric as float64).
_OPENB_TYPES = {
    "name": "string",
    "gpu_spec": "string",
    "qos": "string",
    "pod_phase": "string",
    "creation_time": "float64",
    "deletion_time": "float64",
    "scheduled_time": "float64",
}


_OPENB_COLUMNS = (
    "name",
    "cpu_milli",
    "memory_mib",
    "num_gpu",
    "gpu_milli",
    "gpu_spec",
    "qos",
    "pod_phase",
    "creation_time",
    "deletion_time",
    "scheduled_time",
)
_OPENB_NUMERIC = {"cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "creation_time", "deletion_time", "scheduled_time"}


def _check_numeric(path: str | Path, d: dict[str, np.ndarray], column: str, *, whole: bool = False) -> None:
    """``d[column]`` holds numbers (NaN for empty cells) or raises naming the first offending data row."""
    values = d[column]
    if values.dtype == object:
        bad = next(i for i, v in enumerate(values) if not isinstance(v, float | int))
        raise TraceFormatError(path, f"column {column}, row {bad + 2}: expected a number, found {values[bad]!r}")
    if whole:
        ok = np.isnan(values) | ((values == np.floor(values)) & (values >= 0) & (values <= MAX_TRACE_GPUS))
        if not ok.all():
            bad = int(np.argmin(ok))
            raise TraceFormatError(
                path,
                f"column {column}, row {bad + 2}: expected a whole number of GPUs 0-{MAX_TRACE_GPUS:,}, "
                f"found {values[bad]:g}",
            )


def _openb_rows(path: str | Path, include_pending: bool) -> dict[str, np.ndarray]:
    """The GPU pods of an openb pod list, filtered and stably sorted by creation time. Raises
    :class:`TraceFormatError` for a file that is not an openb pod list (columns, types, times)."""
    types = {**_OPENB_TYPES, **{c: "float64" for c in _OPENB_NUMERIC - set(_OPENB_TYPES)}}
    d = _read(path, types, required=_OPENB_COLUMNS)
    for column in _OPENB_NUMERIC:
        _check_numeric(path, d, column, whole=column == "num_gpu")
    gpu_rows = np.nan_to_num(d["num_gpu"]) > 0
    for column in ("creation_time",):
        bad = gpu_rows & ~np.isfinite(d[column])
        if bad.any():
            row = int(np.argmax(bad))
            raise TraceFormatError(path, f"column {column}, row {row + 2}: expected a time in seconds, found nothing")
    late = gpu_rows & (d["deletion_time"] < d["scheduled_time"])
    if late.any():
        row = int(np.argmax(late))
        raise TraceFormatError(
            path,
            f"row {row + 2}: deletion_time ({d['deletion_time'][row]:g}) is before scheduled_time "
            f"({d['scheduled_time'][row]:g}): a pod cannot end before it starts",
        )
    d["num_gpu"] = np.nan_to_num(d["num_gpu"])
    scheduled = ~np.isnan(d["scheduled_time"])
    keep = (d["num_gpu"] > 0) & (scheduled | include_pending)
    order = np.argsort(d["creation_time"][keep], kind="stable")
    return {k: v[keep][order] for k, v in d.items()}


def load_alibaba_openb_pods(
    path: str | Path, *, kind: JobKind = JobKind.TRAINING, include_pending: bool = False
) -> JobTable:
    """Jobs from an Alibaba openb pod list (``openb_pod_list_*.csv``: ``name, cpu_milli, memory_mib, num_gpu,
    gpu_milli, gpu_spec, qos, pod_phase, creation_time, deletion_time, scheduled_time``; times in integer seconds).

    Mapping, one row per GPU pod:

    - ``submit_s`` = ``creation_time`` minus the earliest kept ``creation_time``; ``job_id`` = ``name``.
    - ``gpus`` = ``num_gpu``. **GPU sharing**: a pod with ``num_gpu = 1`` and ``gpu_milli < 1000`` asked for a
      fraction of one GPU (the cluster packs several such pods on a card). A :class:`JobTable` allocates whole
      GPUs, so such a pod is given one GPU and holds it for its observed run time: replay keeps the trace's
      durations and is conservative for capacity (it overstates GPU-time by up to 1000/``gpu_milli``). The
      fraction is kept by :func:`alibaba_openb_gpu_fraction` for callers that want to pack.
    - ``work_gpu_s`` = ``gpus`` x (``deletion_time`` - ``scheduled_time``): the observed run time on that many
      reference GPUs. Pods still running when the trace ends have ``deletion_time`` at the trace end, so their
      run time is a lower bound (about 0.6 % of the GPU pods in the shipped list).
    - ``contract`` and ``preemptible`` from ``qos`` by :data:`OPENB_QOS_CONTRACT` (BE -> SPOT, preemptible).
    - ``gpu_model`` is -1 (any): ``gpu_spec`` is empty in the published lists. ``kind`` is the caller's choice
      (the trace does not say whether a pod trained or served).

    Pods with ``num_gpu = 0`` (CPU only) are dropped; so are pods never scheduled (``pod_phase`` Pending, no
    ``scheduled_time``) unless ``include_pending``, in which case their work is 0 and they only occupy the queue.
    """
    d = _openb_rows(path, include_pending)
    gpus = d["num_gpu"].astype(np.int32)
    run_s = np.nan_to_num(d["deletion_time"] - d["scheduled_time"], nan=0.0)
    qos = d["qos"].astype(str)
    unknown = set(np.unique(qos)) - set(OPENB_QOS_CONTRACT)
    if unknown:
        raise TraceFormatError(
            path,
            f"column qos: unknown classes {', '.join(map(repr, sorted(map(str, unknown))))}; allowed: "
            f"{', '.join(OPENB_QOS_CONTRACT)}",
        )
    contract = np.array([OPENB_QOS_CONTRACT[q] for q in qos], dtype=np.int8)
    t0 = d["creation_time"][0] if len(gpus) else 0.0
    return JobTable.build(
        job_id=d["name"].astype(str).astype(object),
        kind=int(kind),
        submit_s=d["creation_time"] - t0,
        gpus=gpus,
        work_gpu_s=gpus * run_s,
        contract=contract,
        preemptible=contract == int(Contract.SPOT),
    )


def alibaba_openb_observed_wait_s(path: str | Path, *, include_pending: bool = False) -> np.ndarray:
    """The trace's own queueing delay per job, ``scheduled_time - creation_time`` in seconds, aligned row by row
    with :func:`load_alibaba_openb_pods` called with the same arguments (NaN for pending pods, which never ran)."""
    d = _openb_rows(path, include_pending)
    return d["scheduled_time"] - d["creation_time"]


def alibaba_openb_gpu_fraction(path: str | Path, *, include_pending: bool = False) -> np.ndarray:
    """GPUs each job actually requested, ``num_gpu * gpu_milli / 1000`` (e.g. 0.47 for a shared card), aligned row
    by row with :func:`load_alibaba_openb_pods` called with the same arguments."""
    d = _openb_rows(path, include_pending)
    return d["num_gpu"] * d["gpu_milli"] / 1000.0


def load_alibaba_openb_gpu_nodes(path: str | Path) -> dict[str, np.ndarray]:
    """Per-node arrays of an openb node list (``sn, cpu_milli, memory_mib, gpu, model``): ``node`` (str),
    ``gpus`` (int), ``model`` (str, ``""`` for CPU-only nodes), ``cpu_milli``, ``memory_mib`` (int)."""
    d = _read(path, {"sn": "string", "model": "string"})
    model = np.array(["" if m is None else str(m) for m in d["model"]], dtype=object)
    return {
        "node": d["sn"].astype(str).astype(object),
        "gpus": d["gpu"].astype(np.int64),
        "model": model,
        "cpu_milli": d["cpu_milli"].astype(np.int64),
        "memory_mib": d["memory_mib"].astype(np.int64),
    }


def _inventory(models: np.ndarray, gpus: np.ndarray) -> dict[str, int]:
    keep = gpus > 0
    names, inv = np.unique(models[keep].astype(str), return_inverse=True)
    counts = np.bincount(inv, weights=gpus[keep], minlength=len(names))
    return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


def load_alibaba_openb_gpu_inventory(path: str | Path) -> dict[str, int]:
    """GPUs per model (sum of ``gpu`` by ``model``, sorted by name) in an openb node list; CPU-only nodes are
    left out. The shipped GPU node list holds 6,212 GPUs on 1,213 nodes (``G2``/``G3`` are anonymised models)."""
    n = load_alibaba_openb_gpu_nodes(path)
    return _inventory(n["model"], n["gpus"])


def load_alibaba_spot_gpu_inventory(path: str | Path) -> dict[str, int]:
    """GPUs per model in the Alibaba 2026 spot-GPU node list (``node_info_df.csv``: ``gpu_model,
    gpu_capacity_num, cpu_num, node_name``)."""
    d = _read(path, {"gpu_model": "string"})
    return _inventory(d["gpu_model"], d["gpu_capacity_num"].astype(np.int64))


# ---------------------------------------------------------------------------------------------------------------
# Microsoft Philly
# ---------------------------------------------------------------------------------------------------------------


def load_philly_runtimes(path: str | Path) -> np.ndarray:
    """Run time in seconds of each Philly job (file ``philly_runtime.csv``, one column ``runtime``, in the order
    of the file). The file carries no GPU counts or submit times, so it calibrates durations only
    (:func:`orbitgrid.workloads.generators.fit_duration`); zero run times (jobs that failed at once) are kept."""
    return _read(path)["runtime"].astype(np.float64)


# ---------------------------------------------------------------------------------------------------------------
# Azure LLM inference trace 2023
# ---------------------------------------------------------------------------------------------------------------


def load_azure_llm_requests(
    path: str | Path, *, service: int = 0, user_lat_deg: float = np.nan, user_lon_deg: float = np.nan
) -> RequestTable:
    """Requests from an Azure LLM inference trace (``TIMESTAMP, ContextTokens, GeneratedTokens``), all served by
    the JobTable row ``service``.

    ``arrival_s`` = seconds since the first ``TIMESTAMP`` (the file is in arrival order; sub-microsecond digits
    are kept to the nanosecond), ``input_tokens`` = ``ContextTokens``, ``output_tokens`` = ``GeneratedTokens``.
    The trace has no user locations: ``user_lat_deg``/``user_lon_deg`` are the given scalars for every request
    (NaN: unknown).
    """
    d = _read(path, {"TIMESTAMP": "timestamp[ns]"})
    t_ns = d["TIMESTAMP"].astype("datetime64[ns]").astype(np.int64)
    n = t_ns.shape[0]
    arrival = (t_ns - t_ns[0]).astype(np.float64) / 1e9 if n else np.zeros(0)
    order = np.argsort(arrival, kind="stable")
    return RequestTable(
        service=np.full(n, service, np.int64),
        arrival_s=arrival[order],
        input_tokens=d["ContextTokens"].astype(np.int64)[order],
        output_tokens=d["GeneratedTokens"].astype(np.int64)[order],
        user_lat_deg=np.full(n, user_lat_deg, np.float64),
        user_lon_deg=np.full(n, user_lon_deg, np.float64),
    )


# ---------------------------------------------------------------------------------------------------------------
# Alibaba cluster-trace-gpu-v2025 (disaggregated DLRM inference)
# ---------------------------------------------------------------------------------------------------------------


def load_alibaba_dlrm_services(path: str | Path) -> JobTable:
    """INFERENCE services from the Alibaba 2025 disaggregated DLRM trace (``disaggregated_DLRM_trace.csv``).

    The trace lists serving instances of 156 recommendation-model applications. Each application is split into
    GPU "HN" instances (1 GPU each, ``gpu_request = 1``) and CPU-only "CN" instances (``gpu_request = 0``).
    Mapping, one row per instance with ``gpu_request >= 1`` (CN instances are dropped: a JobTable row holds GPUs):

    - ``kind`` = INFERENCE; ``job_id`` = ``instance_sn``; ``tenant`` indexes ``app_name`` (``tenants`` holds the
      application names in first-seen order); ``gpus`` = ``gpu_request``; ``work_gpu_s`` = NaN.
    - ``submit_s`` = ``creation_time``, or 0 when the instance already ran at the start of the trace (then both
      ``creation_time`` and ``scheduled_time`` are empty). The trace's times already count seconds from the start
      of its window (about 31 days long).
    - ``duration_s`` = ``deletion_time - scheduled_time`` (the time it served; empty ``scheduled_time`` read as
      0), with an empty ``deletion_time`` (still serving at the end) read as the trace end, the latest time found
      in any of the three time columns. Durations of instances alive at either edge are censored by the window.

    The trace holds no request stream: pair the services with a generated one
    (:func:`orbitgrid.workloads.generators.generate_requests`) if the engine needs requests.
    """
    d = _read(path, {"instance_sn": "string", "role": "string", "app_name": "string"})
    times = np.concatenate([d["creation_time"], d["scheduled_time"], d["deletion_time"]])
    t_end = float(np.nanmax(times))
    keep = d["gpu_request"] >= 1
    apps = d["app_name"][keep].astype(str)
    tenants = tuple(dict.fromkeys(apps.tolist()))
    index = {a: i for i, a in enumerate(tenants)}
    submit = np.nan_to_num(d["creation_time"][keep], nan=0.0)
    start = np.nan_to_num(d["scheduled_time"][keep], nan=0.0)
    end = np.where(np.isnan(d["deletion_time"][keep]), t_end, d["deletion_time"][keep])
    return JobTable.build(
        job_id=d["instance_sn"][keep].astype(str).astype(object),
        kind=int(JobKind.INFERENCE),
        tenant=np.array([index[a] for a in apps], np.int32),
        submit_s=submit,
        gpus=d["gpu_request"][keep].astype(np.int32),
        work_gpu_s=np.nan,
        duration_s=end - start,
        tenants=tenants,
    )
