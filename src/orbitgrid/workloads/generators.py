"""Synthetic workloads calibrated on public traces, vectorized and seeded by an explicit ``numpy.random.Generator``.

Two generators, each with a ``fit_*`` function that estimates its parameters from a loaded trace and a fitted
default computed from the traces (the constants below; ``tests/workloads/test_generators.py`` re-fits them from
the data and fails if they drift):

- :func:`generate_training_jobs` — training/batch jobs. Arrivals: a Poisson process whose rate follows a 24-hour
  profile fitted from the trace's arrivals per hour of day (:func:`fit_hourly_rate`). GPUs per job: the trace's
  empirical distribution. Run time: the trace's empirical distribution as a quantile table, interpolated
  log-linearly between knots (:class:`QuantileTable`); the maximum-likelihood lognormal is stored beside it for
  analytic use. Checkpoint size, write and restore times and all-reduce volume come from :class:`CheckpointRule`.
- :func:`generate_requests` — an inference request stream: Poisson arrivals at the fitted mean rate, input and
  output token counts drawn independently from their empirical quantile tables.

Everything is numpy on whole arrays: 100,000 jobs or requests take a few tens of milliseconds.

Fitted defaults:

- :data:`OPENB_TRAINING_FIT` from the Alibaba openb default pod list shipped in ``workloads/data`` (GPU pods that
  were scheduled; the busy window found by :func:`busy_window`);
- :data:`PHILLY_DURATION_FIT` from the Philly run times (``philly_runtime.csv``; not shipped, the test reads the
  shared data folder). Swap it in with ``dataclasses.replace(OPENB_TRAINING_FIT, duration=PHILLY_DURATION_FIT)``;
- :data:`AZURE_CONV_FIT` from the shipped Azure LLM inference conversation trace (2023-11-16, one hour).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.workloads.jobs import Contract, JobKind, JobTable, RequestTable

DAY_S = 86_400.0
HOUR_S = 3_600.0

#: Knots of the quantile tables: probabilities 0, 0.01, ..., 1 (101 knots).
QUANTILE_KNOTS = 101


# ---------------------------------------------------------------------------------------------------------------
# Distributions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuantileTable:
    """An empirical distribution of a positive quantity as its quantiles at equally spaced probabilities
    ``0, 1/(k-1), ..., 1`` (``values[0]`` is the minimum, ``values[-1]`` the maximum).

    Sampling inverts the CDF, interpolating linearly in log(value) between knots: exact at the knots, and a
    log-uniform spread inside each probability bin.
    """

    values: tuple[float, ...]

    @property
    def probs(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, len(self.values))

    def quantile(self, p: np.ndarray | float) -> np.ndarray:
        """The interpolated quantile(s) at probability ``p`` in [0, 1]."""
        return np.exp(np.interp(p, self.probs, np.log(np.asarray(self.values))))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.quantile(rng.random(n))


def fit_quantiles(x: np.ndarray, *, knots: int = QUANTILE_KNOTS, floor: float = 1.0) -> QuantileTable:
    """The quantile table of ``x`` (values below ``floor`` raised to it, so the log scale is defined)."""
    x = np.maximum(np.asarray(x, dtype=np.float64), floor)
    if x.size == 0:
        raise ValueError("fit_quantiles needs at least one value")
    q = np.quantile(x, np.linspace(0.0, 1.0, knots))
    return QuantileTable(tuple(float(v) for v in q))


@dataclass(frozen=True)
class DiscreteDistribution:
    """Integer outcomes ``values`` with probabilities ``probs`` (summing to 1)."""

    values: tuple[int, ...]
    probs: tuple[float, ...]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        cdf = np.cumsum(self.probs)
        idx = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
        return np.asarray(self.values, dtype=np.int64)[np.minimum(idx, len(self.values) - 1)]

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))


def fit_discrete(x: np.ndarray) -> DiscreteDistribution:
    """The empirical distribution of integer observations ``x``."""
    values, counts = np.unique(np.asarray(x, dtype=np.int64), return_counts=True)
    return DiscreteDistribution(tuple(int(v) for v in values), tuple(float(c) for c in counts / counts.sum()))


@dataclass(frozen=True)
class DurationFit:
    """Job run time in seconds: the empirical quantile table (used for sampling) and the maximum-likelihood
    lognormal (``ln t ~ N(mu, sigma^2)``, for analytic use and comparison); ``n`` observations."""

    quantiles: QuantileTable
    lognormal_mu: float
    lognormal_sigma: float
    n: int

    def sample(self, rng: np.random.Generator, n: int, *, lognormal: bool = False) -> np.ndarray:
        if lognormal:
            return rng.lognormal(self.lognormal_mu, self.lognormal_sigma, n)
        return self.quantiles.sample(rng, n)


def fit_duration(run_s: np.ndarray, *, floor_s: float = 1.0) -> DurationFit:
    """Fit run times in seconds; run times below ``floor_s`` (jobs that died at once) count as ``floor_s``."""
    x = np.maximum(np.asarray(run_s, dtype=np.float64), floor_s)
    logs = np.log(x)
    return DurationFit(fit_quantiles(x, floor=floor_s), float(logs.mean()), float(logs.std()), int(x.size))


# ---------------------------------------------------------------------------------------------------------------
# Arrivals
# ---------------------------------------------------------------------------------------------------------------


def _hour_bins(t0_s: float, t1_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Hour-of-day index and length in seconds of each clock-hour piece of [t0_s, t1_s]."""
    k = np.arange(np.floor(t0_s / HOUR_S), np.ceil(t1_s / HOUR_S))
    lo = np.maximum(k * HOUR_S, t0_s)
    hi = np.minimum((k + 1) * HOUR_S, t1_s)
    return (k % 24).astype(np.int64), np.maximum(hi - lo, 0.0)


def fit_hourly_rate(submit_s: np.ndarray, t0_s: float, t1_s: float) -> np.ndarray:
    """Arrival rate (per second) for each hour of day 0..23 of the trace's clock: arrivals in [t0_s, t1_s] that fell
    in that hour, divided by the time the window spent in that hour (partial days are weighted exactly)."""
    if not t1_s > t0_s:
        raise ValueError("fit_hourly_rate needs t1_s > t0_s")
    t = np.asarray(submit_s, dtype=np.float64)
    t = t[(t >= t0_s) & (t <= t1_s)]
    counts = np.bincount((np.floor(t / HOUR_S) % 24).astype(np.int64), minlength=24)
    hod, length = _hour_bins(t0_s, t1_s)
    exposure = np.bincount(hod, weights=length, minlength=24)
    return np.divide(counts, exposure, out=np.zeros(24), where=exposure > 0)


def busy_window(submit_s: np.ndarray, *, min_per_day: int = 24) -> tuple[float, float]:
    """The stretch of a trace that was recorded densely: from the first arrival of the first day (of the trace's
    clock) with at least ``min_per_day`` arrivals to the last arrival.

    Snapshot traces such as openb list a few long-lived jobs created months before the recording began; counting
    those months would dilute the fitted rate several-fold (openb: 140 days instead of 25).
    """
    t = np.sort(np.asarray(submit_s, dtype=np.float64))
    per_day = np.bincount((t // DAY_S).astype(np.int64))
    busy = np.flatnonzero(per_day >= min_per_day)
    if busy.size == 0:
        raise ValueError(f"no day with {min_per_day} arrivals")
    t0 = float(t[np.searchsorted(t, busy[0] * DAY_S)])
    return t0, float(t[-1])


def diurnal_arrivals(
    rng: np.random.Generator,
    hourly_rate_per_s: np.ndarray | tuple[float, ...],
    *,
    n: int | None = None,
    horizon_s: float | None = None,
) -> np.ndarray:
    """Sorted arrival times (s) of a Poisson process whose rate is ``hourly_rate_per_s[h]`` during hour of day
    ``h`` (time 0 is midnight of the profile's clock).

    - ``horizon_s`` only: the process on [0, horizon_s] (a Poisson number of arrivals);
    - ``n`` only: ``n`` arrivals spread over the horizon where the expected count is ``n``;
    - both: ``n`` arrivals on [0, horizon_s] (the process conditioned on its count).

    Given the count, arrivals are independent with density proportional to the rate; each is drawn by inverting
    the piecewise-linear cumulative intensity with one uniform number.
    """
    rate = np.asarray(hourly_rate_per_s, dtype=np.float64)
    if rate.shape != (24,) or np.any(rate < 0) or not np.any(rate > 0):
        raise ValueError("hourly_rate_per_s must be 24 non-negative rates, not all zero")
    if horizon_s is None:
        if n is None:
            raise ValueError("give n, horizon_s or both")
        horizon_s = n / float(rate.mean())
    hod, length = _hour_bins(0.0, float(horizon_s))
    weight = rate[hod] * length
    cum = np.cumsum(weight)
    if n is None:
        n = int(rng.poisson(cum[-1]))
    u = rng.random(n) * cum[-1]
    k = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    t = k * HOUR_S + (u - (cum[k] - weight[k])) / rate[hod[k]]
    return np.sort(np.minimum(t, horizon_s))


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointRule:
    """Model size, checkpoint and communication volume of a training job from its GPU count and work.

    1. Compute: ``C = work_gpu_s * flops_per_gpu_s`` with the achieved rate of Llama 3 405B pre-training,
       400 TFLOP/s per H100 at 16K GPUs (41 % MFU; Llama 3 paper Table 4, docs/sources.md §6).
    2. Parameters: the compute-optimal model for that budget, ``C = 6 N D`` with ``D = tokens_per_param * N``
       (Hoffmann et al. 2022, "Chinchilla": about 20 tokens per parameter), so ``N = sqrt(C / (6 * 20))``; capped
       so the model states (``state_bytes_per_param`` = 16: fp16 weights and gradients, fp32 master weights,
       Adam momentum and variance; Rajbhandari et al. 2020, ZeRO §3) fit the gang's HBM when fully sharded:
       ``N <= gpus * hbm_bytes_per_gpu / 16`` (80 GB H100).
       Check: Llama 3 405B's 3.8e25 FLOPs give N = 5.6e11, 1.4x its 405e9 parameters (it was trained on 38
       tokens per parameter, past the compute-optimal point).
    3. Checkpoint: ``checkpoint_bytes = 14 N`` — the model states less the gradients, which are not saved.
    4. Write and restore: the gang shares storage bandwidth in proportion to its size at Llama 3's sustained
       2 TB/s for 16,384 GPUs (122 MB/s per GPU; Llama 3 paper §3.3 via docs/sources.md §6); restore is assumed to
       read at the same rate.
    5. All-reduce: a ring all-reduce of bf16 gradients sends ``2 (g - 1) / g * 2 N`` bytes per GPU per step.
    6. Dataset: the job reads ``D = C / (6 N)`` tokens, stored as 32-bit token ids (Llama 3's 128K-token
       vocabulary needs more than 16 bits; Llama 3 paper §3.1.1): ``dataset_bytes = 4 D``. For a 48 GPU-hour job
       that is 61 GB; for Llama 3 405B's 15.6T tokens it would be 62 TB. Where links are modelled, the engine
       uploads it before the job starts on an orbital node (conservative: a streaming loader overlaps it).

    ``checkpoint_interval_s`` is left NaN (the engine picks the Young/Daly interval) and ``step_compute_s`` keeps
    the JobTable default: the traces carry no step times.
    """

    flops_per_gpu_s: float = 400e12
    tokens_per_param: float = 20.0
    state_bytes_per_param: float = 16.0
    checkpoint_bytes_per_param: float = 14.0
    gradient_bytes_per_param: float = 2.0
    hbm_bytes_per_gpu: float = 80e9
    storage_bytes_per_s_per_gpu: float = 2e12 / 16_384
    bytes_per_token: float = 4.0

    def params(self, gpus: np.ndarray, work_gpu_s: np.ndarray) -> np.ndarray:
        """Model parameters N of each job (step 2)."""
        compute = np.asarray(work_gpu_s, dtype=np.float64) * self.flops_per_gpu_s
        n = np.sqrt(compute / (6.0 * self.tokens_per_param))
        return np.minimum(n, np.asarray(gpus, dtype=np.float64) * self.hbm_bytes_per_gpu / self.state_bytes_per_param)

    def columns(self, gpus: np.ndarray, work_gpu_s: np.ndarray) -> dict[str, np.ndarray]:
        """The JobTable columns ``checkpoint_bytes``, ``checkpoint_write_s``, ``restore_s``,
        ``allreduce_bytes_per_step`` and ``dataset_bytes`` for each job."""
        g = np.asarray(gpus, dtype=np.float64)
        n = self.params(g, work_gpu_s)
        ckpt = self.checkpoint_bytes_per_param * n
        io_s = ckpt / (g * self.storage_bytes_per_s_per_gpu)
        return {
            "checkpoint_bytes": ckpt,
            "checkpoint_write_s": io_s,
            "restore_s": io_s.copy(),
            "allreduce_bytes_per_step": 2.0 * (g - 1.0) / g * self.gradient_bytes_per_param * n,
            "dataset_bytes": self.dataset_bytes(g, work_gpu_s),
        }

    def dataset_bytes(self, gpus: np.ndarray, work_gpu_s: np.ndarray) -> np.ndarray:
        """Bytes of tokenized data each job reads (step 6)."""
        compute = np.asarray(work_gpu_s, dtype=np.float64) * self.flops_per_gpu_s
        n = self.params(np.asarray(gpus, dtype=np.float64), work_gpu_s)
        with np.errstate(divide="ignore", invalid="ignore"):
            tokens = np.where(n > 0, compute / (6.0 * n), 0.0)
        return self.bytes_per_token * tokens


DEFAULT_CHECKPOINT_RULE = CheckpointRule()


# ---------------------------------------------------------------------------------------------------------------
# Training / batch jobs
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingFit:
    """Parameters of :func:`generate_training_jobs`: arrival rate per hour of day (per second, 24 values), GPUs
    per job, run time, contract mix, the fitted window of the trace (s, trace clock) and its job count."""

    hourly_rate_per_s: tuple[float, ...]
    gpus: DiscreteDistribution
    duration: DurationFit
    contracts: DiscreteDistribution
    window_s: tuple[float, float]
    n_jobs: int

    @property
    def mean_rate_per_s(self) -> float:
        """Long-run mean arrival rate (the mean of the hourly profile)."""
        return float(np.mean(self.hourly_rate_per_s))


def fit_training(jobs: JobTable, *, window_s: tuple[float, float] | None = None) -> TrainingFit:
    """Fit from a trace's jobs (e.g. :func:`orbitgrid.workloads.traces.load_alibaba_openb_pods`) in ``window_s``
    (default :func:`busy_window`): run time = ``work_gpu_s / gpus``; jobs with no work (never ran) are skipped
    for GPUs, run time and contracts but count as arrivals."""
    t0, t1 = busy_window(jobs.submit_s) if window_s is None else window_s
    inside = (jobs.submit_s >= t0) & (jobs.submit_s <= t1)
    ran = inside & (jobs.work_gpu_s > 0)
    return TrainingFit(
        hourly_rate_per_s=tuple(float(r) for r in fit_hourly_rate(jobs.submit_s, t0, t1)),
        gpus=fit_discrete(jobs.gpus[ran]),
        duration=fit_duration(jobs.work_gpu_s[ran] / jobs.gpus[ran]),
        contracts=fit_discrete(jobs.contract[ran]),
        window_s=(float(t0), float(t1)),
        n_jobs=int(inside.sum()),
    )


def generate_training_jobs(
    rng: np.random.Generator,
    n_jobs: int | None = None,
    *,
    horizon_s: float | None = None,
    fit: TrainingFit | None = None,
    rate_scale: float = 1.0,
    kind: JobKind = JobKind.TRAINING,
    checkpoint: CheckpointRule = DEFAULT_CHECKPOINT_RULE,
    id_prefix: str = "g",
) -> JobTable:
    """Synthetic training (or batch, with ``kind``) jobs calibrated by ``fit`` (default :data:`OPENB_TRAINING_FIT`).

    Arrivals follow :func:`diurnal_arrivals` with the fitted profile times ``rate_scale`` (give ``n_jobs``,
    ``horizon_s`` or both). Each job draws its GPUs, run time and contract independently from the fit;
    ``work_gpu_s = gpus * run time``; SPOT jobs are preemptible; checkpoint and all-reduce columns follow
    ``checkpoint``. Job ids are ``id_prefix`` + arrival rank.
    """
    fit = OPENB_TRAINING_FIT if fit is None else fit
    rate = np.asarray(fit.hourly_rate_per_s) * rate_scale
    submit = diurnal_arrivals(rng, rate, n=n_jobs, horizon_s=horizon_s)
    n = submit.shape[0]
    gpus = fit.gpus.sample(rng, n)
    work = gpus * fit.duration.sample(rng, n)
    contract = fit.contracts.sample(rng, n)
    ckpt = checkpoint.columns(gpus, work)
    return JobTable.build(
        job_id=np.array([f"{id_prefix}{i}" for i in range(n)], dtype=object),
        kind=int(kind),
        submit_s=submit,
        gpus=gpus,
        work_gpu_s=work,
        contract=contract,
        preemptible=contract == int(Contract.SPOT),
        checkpoint_bytes=ckpt["checkpoint_bytes"],
        checkpoint_write_s=ckpt["checkpoint_write_s"],
        restore_s=ckpt["restore_s"],
        allreduce_bytes_per_step=ckpt["allreduce_bytes_per_step"],
        dataset_bytes=ckpt["dataset_bytes"],
    )


# ---------------------------------------------------------------------------------------------------------------
# Inference requests
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InferenceFit:
    """Parameters of :func:`generate_requests`: mean arrival rate (per second), the trace's inter-arrival
    coefficient of variation (1 for Poisson; a diagnostic), token-count quantile tables, the trace's span (s)
    and request count."""

    rate_per_s: float
    interarrival_cv: float
    input_tokens: QuantileTable
    output_tokens: QuantileTable
    span_s: float
    n_requests: int


def fit_inference(requests: RequestTable) -> InferenceFit:
    """Fit from a request trace (e.g. :func:`orbitgrid.workloads.traces.load_azure_llm_requests`): rate = requests
    after the first / span between first and last arrival."""
    t = np.sort(requests.arrival_s)
    span = float(t[-1] - t[0])
    gaps = np.diff(t)
    return InferenceFit(
        rate_per_s=(len(t) - 1) / span,
        interarrival_cv=float(gaps.std() / gaps.mean()),
        input_tokens=fit_quantiles(requests.input_tokens),
        output_tokens=fit_quantiles(requests.output_tokens),
        span_s=span,
        n_requests=len(t),
    )


def generate_requests(
    rng: np.random.Generator,
    n_requests: int | None = None,
    *,
    horizon_s: float | None = None,
    fit: InferenceFit | None = None,
    rate_scale: float = 1.0,
    service: int = 0,
    user_lat_deg: float = np.nan,
    user_lon_deg: float = np.nan,
) -> RequestTable:
    """A Poisson request stream for the JobTable row ``service``, calibrated by ``fit`` (default
    :data:`AZURE_CONV_FIT`): rate ``fit.rate_per_s * rate_scale``; ``n_requests``, ``horizon_s`` or both as in
    :func:`diurnal_arrivals`. Token counts are drawn independently (the Azure conversation trace's log-token
    correlation is 0.09) and rounded to whole tokens, at least 1."""
    fit = AZURE_CONV_FIT if fit is None else fit
    rate = fit.rate_per_s * rate_scale
    if horizon_s is None:
        if n_requests is None:
            raise ValueError("give n_requests, horizon_s or both")
        t = np.cumsum(rng.exponential(1.0 / rate, n_requests))
    else:
        n = int(rng.poisson(rate * horizon_s)) if n_requests is None else n_requests
        t = np.sort(rng.random(n) * horizon_s)
    n = t.shape[0]
    return RequestTable(
        service=np.full(n, service, np.int64),
        arrival_s=t,
        input_tokens=np.maximum(np.rint(fit.input_tokens.sample(rng, n)), 1).astype(np.int64),
        output_tokens=np.maximum(np.rint(fit.output_tokens.sample(rng, n)), 1).astype(np.int64),
        user_lat_deg=np.full(n, user_lat_deg),
        user_lon_deg=np.full(n, user_lon_deg),
    )


# ---------------------------------------------------------------------------------------------------------------
# Fitted defaults (6 significant digits). Provenance and the command that re-computes each are in the comments;
# tests/workloads/test_generators.py re-fits them and fails on any difference beyond rounding.
# ---------------------------------------------------------------------------------------------------------------
# fmt: off

#: Alibaba openb default pod list (shipped ``alibaba_openb_pods``; GPU pods including pending ones as arrivals),
#: busy window trace days 115.1-140.0 (4,564 arrivals; 4,132 ran). Re-computed by
#: ``fit_training(load_alibaba_openb_pods(default_path("alibaba_openb_pods"), include_pending=True))``.
OPENB_TRAINING_FIT = TrainingFit(
    hourly_rate_per_s=(
        0.00327546, 0.00275435, 0.0022, 0.00263333, 0.00297778, 0.00222222, 0.00178889, 0.00185556, 0.00135556,
        0.000911111, 0.00117778, 0.0014, 0.001, 0.000811111, 0.000866667, 0.00105556, 0.0016, 0.0029, 0.00396667,
        0.00323333, 0.00224444, 0.00265556, 0.00272222, 0.0032968,
    ),
    gpus=DiscreteDistribution(values=(1, 2, 4, 8), probs=(0.988069, 0.00194789, 0.00146092, 0.00852204)),
    duration=DurationFit(
        quantiles=QuantileTable(
            values=(
                5.0, 27.0, 33.0, 40.0, 46.24, 50.0, 54.0, 58.0, 63.0, 68.54, 75.0, 83.0, 91.0, 102.0, 115.0, 123.9,
                131.0, 140.0, 147.0, 151.0, 158.0, 164.0, 173.0, 184.0, 193.0, 197.0, 201.0, 205.0, 211.0, 216.0, 222.0,
                231.0, 243.92, 259.0, 279.0, 292.0, 313.16, 333.0, 361.0, 385.0, 424.0, 465.0, 503.52, 535.58, 545.0,
                569.0, 600.0, 636.0, 686.0, 739.0, 772.0, 805.06, 839.0, 883.18, 929.0, 943.0, 968.36, 1016.84, 1072.0,
                1123.54, 1163.2, 1199.0, 1232.0, 1299.9, 1365.0, 1439.9, 1499.96, 1564.02, 1685.24, 1796.14, 1917.2,
                2028.26, 2101.0, 2196.66, 2343.76, 2508.0, 2702.68, 2931.0, 3153.72, 3407.54, 3614.8, 3743.0, 3941.92,
                4078.86, 4269.16, 4551.3, 4830.28, 5360.32, 5854.32, 6698.78, 7682.0, 8811.02, 10116.0, 11832.0,
                13888.4, 17427.9, 22736.2, 30141.7, 50020.2, 92796.6, 2612710.0,
            ),
        ),
        lognormal_mu=6.64656,
        lognormal_sigma=1.83037,
        n=4107,
    ),
    contracts=DiscreteDistribution(values=(0, 1, 2), probs=(0.00121743, 0.53981, 0.458972)),
    window_s=(9941380.0, 12095800.0),
    n_jobs=4564,
)

#: Philly run times (``philly_runtime.csv`` from alibaba/clusterdata cluster-trace-gpu-v2020/analysis, 83,154
#: jobs). Re-computed by ``fit_duration(load_philly_runtimes(path))``.

PHILLY_DURATION_FIT = DurationFit(
    quantiles=QuantileTable(
        values=(
            1.0, 17.0, 25.0, 38.0, 44.0, 48.0, 51.0, 55.0, 57.0, 59.0, 61.0, 63.0, 64.0, 65.0, 67.0, 68.0, 69.0, 71.0,
            72.0, 74.0, 76.0, 79.0, 84.0, 95.0, 110.0, 131.0, 151.0, 170.0, 186.0, 207.0, 229.0, 265.0, 302.0, 325.0,
            356.02, 428.0, 486.08, 528.0, 558.0, 589.0, 630.0, 675.0, 726.0, 785.0, 845.0, 889.0, 930.0, 986.0, 1053.0,
            1121.0, 1186.0, 1252.0, 1330.0, 1412.0, 1461.0, 1500.0, 1547.0, 1604.21, 1699.0, 1801.27, 1871.0, 1941.0,
            2004.0, 2059.0, 2127.0, 2242.0, 2354.0, 2433.0, 2490.0, 2545.0, 2590.0, 2647.0, 2710.0, 2783.0, 2949.22,
            3341.5, 3536.0, 3801.81, 4018.0, 4261.87, 4699.4, 5160.0, 5453.46, 5710.0, 5928.0, 6300.1, 7765.58, 8816.11,
            9709.76, 11086.0, 12859.4, 15080.6, 18841.8, 23848.0, 31998.7, 49947.6, 69286.9, 101863.0, 167784.0,
            287283.0, 4628240.0,
        ),
    ),
    lognormal_mu=6.84569,
    lognormal_sigma=2.18166,
    n=83154,
)

#: Azure LLM inference trace 2023, conversation (shipped ``azure_llm_conv``; 19,366 requests in 58 min).
#: Re-computed by ``fit_inference(load_azure_llm_requests(default_path("azure_llm_conv")))``.
AZURE_CONV_FIT = InferenceFit(
    rate_per_s=5.53014,
    interarrival_cv=1.09417,
    input_tokens=QuantileTable(
        values=(
            2.0, 29.0, 91.0, 161.0, 181.0, 181.0, 191.0, 197.0, 201.0, 203.0, 207.0, 212.0, 222.0, 242.0, 317.0, 372.0,
            375.0, 378.0, 381.0, 384.0, 387.0, 390.0, 392.0, 394.0, 395.0, 396.0, 398.0, 399.0, 400.0, 402.0, 403.0,
            405.0, 406.0, 408.0, 411.0, 414.0, 419.0, 424.0, 433.0, 456.0, 703.0, 862.65, 903.0, 946.0, 971.6, 984.0,
            994.0, 1002.0, 1009.0, 1014.0, 1020.0, 1025.0, 1031.0, 1036.0, 1041.0, 1045.0, 1050.0, 1055.0, 1060.0,
            1065.0, 1071.0, 1076.0, 1081.0, 1086.0, 1092.0, 1097.0, 1102.0, 1109.0, 1116.0, 1122.0, 1130.0, 1139.0,
            1147.0, 1159.45, 1171.0, 1189.0, 1214.4, 1249.0, 1311.0, 1314.0, 1315.0, 1321.0, 1368.3, 1508.0, 1689.2,
            1876.25, 2032.0, 2221.0, 2401.2, 2584.0, 2734.5, 3291.15, 4073.0, 4076.0, 4079.0, 4083.0, 4086.0, 4090.0,
            4098.0, 4142.0, 14050.0,
        ),
    ),
    output_tokens=QuantileTable(
        values=(
            7.0, 16.0, 24.0, 32.0, 38.0, 41.0, 44.0, 47.0, 49.0, 52.0, 54.0, 57.0, 59.0, 62.0, 64.0, 67.0, 69.0, 71.0,
            73.0, 75.0, 77.0, 79.0, 81.0, 82.0, 84.0, 85.0, 86.0, 87.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0, 96.0,
            97.0, 99.0, 100.0, 101.0, 103.0, 105.0, 107.0, 108.0, 110.0, 113.0, 116.0, 118.0, 122.0, 125.0, 129.0,
            133.0, 137.0, 141.0, 145.0, 151.0, 156.0, 161.0, 163.0, 169.0, 177.0, 182.0, 190.0, 201.95, 216.0, 217.0,
            237.0, 371.0, 375.0, 378.0, 384.0, 387.0, 390.0, 393.0, 394.0, 395.0, 396.0, 396.0, 397.0, 398.0, 400.0,
            402.0, 404.0, 407.0, 410.0, 411.0, 414.0, 415.0, 417.0, 420.0, 424.0, 428.0, 429.0, 433.0, 442.0, 451.0,
            468.0, 509.0, 540.0, 601.0, 1000.0,
        ),
    ),
    span_s=3501.72,
    n_requests=19366,
)
# fmt: on
