"""Jobs, tenants and contracts as plain columnar data (no pydantic: the scenario layer converts into these).

A workload is a :class:`JobTable`: one row per job, one numpy array per field, so that trace loaders and the
calibrated generators can build 100,000 jobs without a Python object each, and the engine can index by row.

Job kinds (ARCHITECTURE.md §2):

- ``TRAINING``: a gang of ``gpus`` accelerators that all start and stop together. ``work_gpu_s`` is the work in
  GPU-seconds at the reference speed (one reference GPU, unthrottled, no communication stall). It checkpoints every
  ``checkpoint_interval_s`` of run time (NaN: the engine uses the Young/Daly optimum for the node's failure rate),
  each write taking ``checkpoint_write_s``; a restart costs ``restore_s``. Each training step exchanges
  ``allreduce_bytes_per_step`` per GPU (ring all-reduce) after ``step_compute_s`` of compute.
- ``BATCH``: divisible work (``work_gpu_s``) that may run on any number of GPUs up to ``gpus`` and may move
  between nodes at a checkpoint; no communication.
- ``INFERENCE``: a service holding ``gpus`` accelerators from ``submit_s`` to ``submit_s + duration_s``; its
  requests live in a :class:`RequestTable` and are replayed against the replicas the engine actually kept running.

Contracts order the queue and decide preemption: reserved > on-demand > spot (a spot job may be preempted by
either; an on-demand job by a reserved one only if it is ``preemptible``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum

import numpy as np


class JobKind(IntEnum):
    TRAINING = 0
    BATCH = 1
    INFERENCE = 2


class Contract(IntEnum):
    """Lower value = higher priority class."""

    RESERVED = 0
    ON_DEMAND = 1
    SPOT = 2


class TraceStatus(IntEnum):
    """How a trace recorded a job's end: ``COMPLETED`` (or not recorded: generated jobs), ``FAILED`` (ended by an
    error) or ``KILLED`` (stopped by its user or the operator). A replay ends failed and killed jobs as recorded
    rather than counting them as useful work."""

    COMPLETED = 0
    FAILED = 1
    KILLED = 2


#: Thousandths of one GPU in a whole GPU: ``gpu_milli`` below this is a fractional pod sharing one GPU.
MILLI_PER_GPU = 1000


class Placement(IntEnum):
    """Where a job may run: anywhere, only in orbit, only on the ground."""

    ANY = 0
    ORBIT = 1
    GROUND = 2


#: The fields of a JobTable with their dtypes and the default used by :meth:`JobTable.build`.
_COLUMNS: dict[str, tuple[str, object]] = {
    "kind": ("int8", int(JobKind.TRAINING)),
    "tenant": ("int32", 0),
    "submit_s": ("float64", 0.0),
    "gpus": ("int32", 1),
    "work_gpu_s": ("float64", 0.0),
    "duration_s": ("float64", np.nan),
    "contract": ("int8", int(Contract.ON_DEMAND)),
    "priority": ("int32", 0),
    "preemptible": ("bool", False),
    "placement": ("int8", int(Placement.ANY)),
    "checkpoint_interval_s": ("float64", np.nan),
    "checkpoint_write_s": ("float64", 0.0),
    "restore_s": ("float64", 0.0),
    "checkpoint_bytes": ("float64", 0.0),
    "allreduce_bytes_per_step": ("float64", 0.0),
    "step_compute_s": ("float64", 1.0),
    "dataset_bytes": ("float64", 0.0),
    "max_restarts": ("int32", -1),
    "gpu_milli": ("int32", MILLI_PER_GPU),
    "cpu_milli": ("int32", 0),
    "memory_mib": ("float64", 0.0),
    "trace_status": ("int8", int(TraceStatus.COMPLETED)),
}


@dataclass(frozen=True)
class JobTable:
    """One row per job. ``gpu_model`` is an index into ``gpu_models`` (-1: any model); ``tenant`` into ``tenants``.

    ``work_gpu_s`` is NaN for inference services (their length is ``duration_s``); ``duration_s`` is NaN for
    training and batch jobs. Rows are sorted by ``submit_s`` (stable), and ``job_id`` keeps the source's identifier.
    """

    job_id: np.ndarray  # object array of str
    kind: np.ndarray
    tenant: np.ndarray
    submit_s: np.ndarray
    gpus: np.ndarray
    gpu_model: np.ndarray
    work_gpu_s: np.ndarray
    duration_s: np.ndarray
    contract: np.ndarray
    priority: np.ndarray
    preemptible: np.ndarray
    placement: np.ndarray
    checkpoint_interval_s: np.ndarray
    checkpoint_write_s: np.ndarray
    restore_s: np.ndarray
    checkpoint_bytes: np.ndarray
    allreduce_bytes_per_step: np.ndarray
    step_compute_s: np.ndarray
    dataset_bytes: np.ndarray
    max_restarts: np.ndarray  # fault restarts after which the job fails; -1: the engine's limit (none by default)
    gpu_milli: np.ndarray  # share of each GPU in thousandths (1000: whole GPUs; < 1000 only with gpus == 1)
    cpu_milli: np.ndarray  # CPU cores requested in thousandths (0: CPU not modelled)
    memory_mib: np.ndarray  # memory requested in MiB (0: memory not modelled)
    trace_status: np.ndarray  # TraceStatus recorded by the source trace (COMPLETED for generated jobs)
    tenants: tuple[str, ...] = ("default",)
    gpu_models: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.submit_s.shape[0])

    def __post_init__(self) -> None:
        n = len(self)
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray) and v.shape != (n,):
                raise ValueError(f"JobTable.{f.name} has shape {v.shape}, expected ({n},)")
        if n and np.any(np.diff(self.submit_s) < 0):
            raise ValueError("JobTable rows must be sorted by submit_s")
        if np.any(self.gpus < 1):
            raise ValueError("JobTable.gpus must be >= 1")
        if np.any(self.tenant < 0) or np.any(self.tenant >= len(self.tenants)):
            raise ValueError("JobTable.tenant indexes outside tenants")
        if np.any(self.gpu_model >= len(self.gpu_models)):
            raise ValueError("JobTable.gpu_model indexes outside gpu_models")
        if np.any(self.gpu_milli < 1) or np.any(self.gpu_milli > MILLI_PER_GPU):
            raise ValueError(f"JobTable.gpu_milli must be in 1..{MILLI_PER_GPU}")
        if np.any((self.gpu_milli < MILLI_PER_GPU) & (self.gpus != 1)):
            raise ValueError("JobTable.gpu_milli below a whole GPU needs gpus == 1 (a fractional pod)")
        if np.any(self.cpu_milli < 0) or np.any(~(self.memory_mib >= 0)):
            raise ValueError("JobTable.cpu_milli and memory_mib must be >= 0")
        if not np.all(np.isin(self.trace_status, [int(s) for s in TraceStatus])):
            raise ValueError("JobTable.trace_status must be a TraceStatus")

    @classmethod
    def build(
        cls,
        *,
        job_id: np.ndarray | list[str] | None = None,
        gpu_model: np.ndarray | None = None,
        tenants: tuple[str, ...] = ("default",),
        gpu_models: tuple[str, ...] = (),
        **columns: np.ndarray | float | int,
    ) -> JobTable:
        """Build from any subset of columns (scalars broadcast; missing columns take their defaults); sorts by
        ``submit_s`` (stable)."""
        unknown = set(columns) - set(_COLUMNS)
        if unknown:
            raise TypeError(f"unknown JobTable columns: {sorted(unknown)}")
        n = max((np.size(v) for v in columns.values() if np.ndim(v) > 0), default=0)
        if job_id is not None:
            n = len(job_id)
        cols = {}
        for name, (dtype, default) in _COLUMNS.items():
            v = columns.get(name, default)
            cols[name] = np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()
        ids = np.asarray(job_id if job_id is not None else [f"j{i}" for i in range(n)], dtype=object)
        gm = np.full(n, -1, np.int32) if gpu_model is None else np.asarray(gpu_model, np.int32).copy()
        order = np.argsort(cols["submit_s"], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        return cls(job_id=ids[order], gpu_model=gm[order], tenants=tenants, gpu_models=gpu_models, **cols)

    def concat(self, other: JobTable) -> JobTable:
        """Both tables' rows, re-sorted by submit time; tenant and model indices are remapped by name."""
        tenants = tuple(dict.fromkeys(self.tenants + other.tenants))
        models = tuple(dict.fromkeys(self.gpu_models + other.gpu_models))

        t_at = {name: i for i, name in enumerate(tenants)}  # dicts: a trace may have thousands of users
        m_at = {name: i for i, name in enumerate(models)}

        def remap(t: JobTable) -> tuple[np.ndarray, np.ndarray]:
            tmap = np.array([t_at[x] for x in t.tenants], np.int32)
            mmap = np.array([m_at[x] for x in t.gpu_models] + [-1], np.int32)
            return tmap[t.tenant], mmap[t.gpu_model]

        a_t, a_m = remap(self)
        b_t, b_m = remap(other)
        cols = {name: np.concatenate([getattr(self, name), getattr(other, name)]) for name in _COLUMNS}
        cols["tenant"] = np.concatenate([a_t, b_t])
        return JobTable.build(
            job_id=np.concatenate([self.job_id, other.job_id]),
            gpu_model=np.concatenate([a_m, b_m]),
            tenants=tenants,
            gpu_models=models,
            **cols,
        )

    def columns_raw(self) -> dict[str, np.ndarray]:
        """The numeric columns as stored (tenant and model as indices), for rebuilding a table."""
        return {name: getattr(self, name) for name in _COLUMNS}

    def take(self, rows: np.ndarray) -> JobTable:
        """The given rows (an index array or boolean mask), re-sorted by submit time."""
        return JobTable.build(
            job_id=self.job_id[rows],
            gpu_model=self.gpu_model[rows],
            tenants=self.tenants,
            gpu_models=self.gpu_models,
            **{k: v[rows] for k, v in self.columns_raw().items()},
        )

    def columns(self) -> dict[str, np.ndarray]:
        """Plain columns for a Parquet table (names resolved to strings)."""
        out: dict[str, np.ndarray] = {"job_id": self.job_id.astype(str)}
        out["tenant"] = np.asarray(self.tenants, dtype=object)[self.tenant].astype(str)
        models = np.asarray((*self.gpu_models, "any"), dtype=object)
        out["gpu_model"] = models[self.gpu_model].astype(str)
        for name in _COLUMNS:
            if name != "tenant":
                out[name] = getattr(self, name)
        return out


@dataclass(frozen=True)
class RequestTable:
    """Inference requests: ``service`` is the JobTable row of the inference service that serves them."""

    service: np.ndarray  # int64 row index into the JobTable
    arrival_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    user_lat_deg: np.ndarray
    user_lon_deg: np.ndarray

    def __len__(self) -> int:
        return int(self.arrival_s.shape[0])


@dataclass(frozen=True)
class InferenceProfile:
    """Serving speed of one GPU for a model: prefill and decode throughput, and the service-level objective.

    ``prefill_tokens_per_s`` and ``decode_tokens_per_s`` are per GPU at the reference speed; a request's time to
    first token is its queueing delay + network round trip + ``input_tokens / prefill``; its time per output token
    is ``1 / decode`` scaled by the replica's throttling.
    """

    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    ttft_slo_s: float
    tpot_slo_s: float
    max_batch: int = 32


@dataclass(frozen=True)
class Tenant:
    """A customer: its contract class, reserved GPUs (for RESERVED), fair-share weight, and price per GPU-hour."""

    name: str
    contract: Contract = Contract.ON_DEMAND
    reserved_gpus: int = 0
    share: float = 1.0
    price_usd_per_gpu_hour: float = 0.0


@dataclass(frozen=True)
class Workload:
    """Everything the engine runs: jobs, the requests of their inference services, the tenants."""

    jobs: JobTable
    requests: RequestTable | None = None
    tenants: tuple[Tenant, ...] = field(default_factory=tuple)
    inference: dict[int, InferenceProfile] = field(default_factory=dict)  # JobTable row -> profile
