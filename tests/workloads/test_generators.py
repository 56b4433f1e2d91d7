"""Calibrated generators: the fitted defaults are what the traces give, and generated workloads reproduce the trace
statistics they were fitted on.

Distribution checks use the two-sample Kolmogorov-Smirnov statistic D against the critical value at
significance alpha = 0.001, ``c * sqrt((n + m) / (n m))`` with ``c = sqrt(-ln(alpha / 2) / 2) = 1.949``: a generator
that reproduces the trace fails this with probability 0.001 (less for discrete data, where KS is conservative);
seeds are fixed, so the outcome is deterministic.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from orbitgrid.workloads import generators as gen
from orbitgrid.workloads import traces
from orbitgrid.workloads.jobs import Contract, JobKind

ALPHA = 0.001


def _ks_critical(n: int, m: int, alpha: float = ALPHA) -> float:
    return float(np.sqrt(-np.log(alpha / 2) / 2) * np.sqrt((n + m) / (n * m)))


def _assert_same_distribution(generated: np.ndarray, observed: np.ndarray) -> None:
    d = stats.ks_2samp(generated, observed).statistic
    crit = _ks_critical(len(generated), len(observed))
    assert d < crit, f"KS D = {d:.4f} >= {crit:.4f}"


def _assert_fit_matches(fresh: Any, stored: Any, where: str = "") -> None:
    """Stored constants carry 6 significant digits: equal to the fresh fit within rtol 1e-5."""
    if dataclasses.is_dataclass(fresh):
        assert type(fresh) is type(stored), where
        for f in dataclasses.fields(fresh):
            _assert_fit_matches(getattr(fresh, f.name), getattr(stored, f.name), f"{where}.{f.name}")
    elif isinstance(fresh, tuple):
        assert len(fresh) == len(stored), where
        for i, (a, b) in enumerate(zip(fresh, stored, strict=True)):
            _assert_fit_matches(a, b, f"{where}[{i}]")
    elif isinstance(fresh, int):
        assert fresh == stored, where
    else:
        assert fresh == pytest.approx(stored, rel=1e-5, abs=1e-300), f"{where}: fresh {fresh!r} stored {stored!r}"


@pytest.fixture(scope="module")
def openb_jobs():  # type: ignore[no-untyped-def]
    return traces.load_alibaba_openb_pods(traces.default_path("alibaba_openb_pods"), include_pending=True)


@pytest.fixture(scope="module")
def azure_requests():  # type: ignore[no-untyped-def]
    return traces.load_azure_llm_requests(traces.default_path("azure_llm_conv"))


# --- the fitted defaults are computed from the traces -------------------------------------------------------------


def test_openb_training_fit_is_refit_from_the_shipped_trace(openb_jobs) -> None:  # type: ignore[no-untyped-def]
    _assert_fit_matches(gen.fit_training(openb_jobs), gen.OPENB_TRAINING_FIT, "OPENB_TRAINING_FIT")


def test_azure_conv_fit_is_refit_from_the_shipped_trace(azure_requests) -> None:  # type: ignore[no-untyped-def]
    _assert_fit_matches(gen.fit_inference(azure_requests), gen.AZURE_CONV_FIT, "AZURE_CONV_FIT")


def test_philly_duration_fit_is_refit_from_the_trace(shared_data: Path) -> None:
    run_s = traces.load_philly_runtimes(shared_data / "philly_msr" / "philly_runtime_from_alibaba.csv")
    _assert_fit_matches(gen.fit_duration(run_s), gen.PHILLY_DURATION_FIT, "PHILLY_DURATION_FIT")


def test_openb_fit_uses_the_busy_window(openb_jobs) -> None:  # type: ignore[no-untyped-def]
    t0, t1 = gen.OPENB_TRAINING_FIT.window_s
    assert 115 * gen.DAY_S < t0 < 116 * gen.DAY_S  # the long-lived pods created months earlier are left out
    assert t1 == pytest.approx(openb_jobs.submit_s[-1], rel=1e-5)  # stored to 6 digits
    # the mean of the hourly profile is the window's arrival rate (within the weight of the partial first day)
    observed = gen.OPENB_TRAINING_FIT.n_jobs / (t1 - t0)
    assert gen.OPENB_TRAINING_FIT.mean_rate_per_s == pytest.approx(observed, rel=0.03)
    # a real diurnal cycle: busiest hour at least 3x the quietest
    rate = np.asarray(gen.OPENB_TRAINING_FIT.hourly_rate_per_s)
    assert rate.max() > 3 * rate.min() > 0


# --- generated training jobs reproduce the trace ------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_jobs():  # type: ignore[no-untyped-def]
    return gen.generate_training_jobs(np.random.default_rng(20231116), 100_000)


def test_generated_gpu_counts_match_the_trace(generated_jobs, openb_jobs) -> None:  # type: ignore[no-untyped-def]
    t0, _ = gen.OPENB_TRAINING_FIT.window_s
    ran = (openb_jobs.work_gpu_s > 0) & (openb_jobs.submit_s >= t0)
    _assert_same_distribution(generated_jobs.gpus, openb_jobs.gpus[ran])
    # and each GPU count's share within 4 binomial standard errors of the trace's
    for g in (1, 2, 4, 8):
        p = np.mean(openb_jobs.gpus[ran] == g)
        se = np.sqrt(p * (1 - p) / ran.sum())
        assert abs(np.mean(generated_jobs.gpus == g) - p) < 4 * se + 1e-3


def test_generated_durations_match_the_trace(generated_jobs, openb_jobs) -> None:  # type: ignore[no-untyped-def]
    t0, _ = gen.OPENB_TRAINING_FIT.window_s
    ran = (openb_jobs.work_gpu_s > 0) & (openb_jobs.submit_s >= t0)
    _assert_same_distribution(
        generated_jobs.work_gpu_s / generated_jobs.gpus, openb_jobs.work_gpu_s[ran] / openb_jobs.gpus[ran]
    )


def test_lognormal_duration_option_has_the_fitted_moments() -> None:
    fit = gen.OPENB_TRAINING_FIT.duration
    logs = np.log(fit.sample(np.random.default_rng(3), 200_000, lognormal=True))
    assert logs.mean() == pytest.approx(fit.lognormal_mu, abs=0.02)
    assert logs.std() == pytest.approx(fit.lognormal_sigma, rel=0.01)


def test_philly_durations_can_be_swapped_in(shared_data: Path) -> None:
    run_s = traces.load_philly_runtimes(shared_data / "philly_msr" / "philly_runtime_from_alibaba.csv")
    fit = dataclasses.replace(gen.OPENB_TRAINING_FIT, duration=gen.PHILLY_DURATION_FIT)
    jobs = gen.generate_training_jobs(np.random.default_rng(7), 100_000, fit=fit)
    _assert_same_distribution(jobs.work_gpu_s / jobs.gpus, np.maximum(run_s, 1.0))


def test_generated_arrivals_follow_the_fitted_rate_and_diurnal_profile() -> None:
    fit = gen.OPENB_TRAINING_FIT
    horizon = 400 * gen.DAY_S
    jobs = gen.generate_training_jobs(np.random.default_rng(11), horizon_s=horizon)
    expected = fit.mean_rate_per_s * horizon  # about 73,000 jobs
    assert abs(len(jobs) - expected) < 4 * np.sqrt(expected)
    assert len(jobs) / horizon == pytest.approx(fit.mean_rate_per_s, rel=0.02)
    # counts per hour of day against the profile: chi-square goodness of fit
    counts = np.bincount((jobs.submit_s // gen.HOUR_S % 24).astype(int), minlength=24)
    probs = np.asarray(fit.hourly_rate_per_s) / np.sum(fit.hourly_rate_per_s)
    assert stats.chisquare(counts, probs * counts.sum()).pvalue > ALPHA
    assert np.all(np.diff(jobs.submit_s) >= 0) and jobs.submit_s[-1] <= horizon


def test_contract_mix_and_preemption_follow_the_trace(generated_jobs) -> None:  # type: ignore[no-untyped-def]
    mix = dict(zip(gen.OPENB_TRAINING_FIT.contracts.values, gen.OPENB_TRAINING_FIT.contracts.probs, strict=True))
    spot = np.mean(generated_jobs.contract == Contract.SPOT)
    assert spot == pytest.approx(mix[int(Contract.SPOT)], abs=0.01)
    assert np.array_equal(generated_jobs.preemptible, generated_jobs.contract == Contract.SPOT)
    assert np.all(generated_jobs.kind == JobKind.TRAINING)


def test_rate_scale_and_kind() -> None:
    rng = np.random.default_rng(5)
    jobs = gen.generate_training_jobs(rng, horizon_s=30 * gen.DAY_S, rate_scale=10.0, kind=JobKind.BATCH)
    expected = 10 * gen.OPENB_TRAINING_FIT.mean_rate_per_s * 30 * gen.DAY_S
    assert abs(len(jobs) - expected) < 4 * np.sqrt(expected)
    assert np.all(jobs.kind == JobKind.BATCH)


# --- diurnal arrivals ----------------------------------------------------------------------------------------------


def test_diurnal_arrivals_modes() -> None:
    rate = np.zeros(24)
    rate[9:17] = 0.01  # office hours only
    rng = np.random.default_rng(1)
    t = gen.diurnal_arrivals(rng, rate, n=10_000)
    assert t.shape == (10_000,)
    hour = (t // gen.HOUR_S % 24).astype(int)
    assert np.all((hour >= 9) & (hour < 17))
    # n only: the horizon where n are expected, n / mean rate
    assert t[-1] <= 10_000 / rate.mean()
    both = gen.diurnal_arrivals(rng, rate, n=500, horizon_s=3 * gen.DAY_S)
    assert both.shape == (500,) and both[-1] <= 3 * gen.DAY_S and np.all(np.diff(both) >= 0)
    # horizon only: a Poisson count with mean 8 h x 3,600 s x 0.01 /s = 288 per day
    n = [len(gen.diurnal_arrivals(rng, rate, horizon_s=10 * gen.DAY_S)) for _ in range(200)]
    assert np.mean(n) == pytest.approx(2880, rel=0.01)
    assert np.var(n) == pytest.approx(2880, rel=0.3)
    with pytest.raises(ValueError):
        gen.diurnal_arrivals(rng, np.zeros(24), n=5)
    with pytest.raises(ValueError):
        gen.diurnal_arrivals(rng, rate)


def test_fit_hourly_rate_weights_partial_days_exactly() -> None:
    rng = np.random.default_rng(2)
    rate = 0.01 * (1 + np.arange(24))  # at least 1,440 arrivals per hour of day: standard error <= 2.7 %
    t0, t1 = 5.5 * gen.HOUR_S, 40 * gen.DAY_S + 7.25 * gen.HOUR_S
    # a stream longer than the window; the window cuts both ends mid-hour
    t = gen.diurnal_arrivals(rng, rate, horizon_s=t1 + gen.DAY_S)
    fitted = gen.fit_hourly_rate(t, t0, t1)
    assert np.allclose(fitted, rate, rtol=0.12)
    assert np.corrcoef(fitted, rate)[0, 1] > 0.99
    with pytest.raises(ValueError):
        gen.fit_hourly_rate(t, 10.0, 10.0)


def test_busy_window_skips_a_sparse_prefix() -> None:
    sparse = np.array([0.0, 3 * gen.DAY_S, 20 * gen.DAY_S])
    dense = 30 * gen.DAY_S + np.linspace(3_600, 5 * gen.DAY_S, 500)
    assert gen.busy_window(np.concatenate([sparse, dense])) == (dense[0], dense[-1])
    with pytest.raises(ValueError):
        gen.busy_window(sparse)


# --- checkpoints -------------------------------------------------------------------------------------------------


def test_checkpoint_rule_reproduces_llama3_405b() -> None:
    """Llama 3 405B: 3.8e25 FLOPs on 16,384 H100; 405e9 parameters; 1 MB-4 GB checkpoint per GPU (sources.md §6)."""
    rule = gen.DEFAULT_CHECKPOINT_RULE
    gpus = np.array([16_384])
    work = np.array([3.8e25 / rule.flops_per_gpu_s])
    n = rule.params(gpus, work)[0]
    assert 405e9 < n < 1.5 * 405e9  # compute-optimal is larger than the over-trained model
    cols = rule.columns(gpus, work)
    assert cols["checkpoint_bytes"][0] == pytest.approx(14 * n)
    per_gpu = cols["checkpoint_bytes"][0] / gpus[0]
    assert 1e6 < per_gpu < 4e9
    # every GPU writes its shard at 2 TB/s / 16,384 GPUs
    assert cols["checkpoint_write_s"][0] == pytest.approx(cols["checkpoint_bytes"][0] / 2e12)
    assert cols["allreduce_bytes_per_step"][0] == pytest.approx(2 * (16_383 / 16_384) * 2 * n)


def test_checkpoint_rule_memory_cap_and_single_gpu() -> None:
    rule = gen.DEFAULT_CHECKPOINT_RULE
    cols = rule.columns(np.array([1, 1]), np.array([3600.0, 1e9]))
    n_small = np.sqrt(3600 * 400e12 / 120)
    assert cols["checkpoint_bytes"][0] == pytest.approx(14 * n_small)
    # a year-long single-GPU job cannot hold more than 80 GB / 16 B = 5e9 parameters
    assert cols["checkpoint_bytes"][1] == pytest.approx(14 * 5e9)
    assert np.all(cols["allreduce_bytes_per_step"] == 0)


def test_dataset_is_the_compute_optimal_token_count_in_32_bit_ids() -> None:
    """D = C / (6 N) tokens, 4 bytes each: 20 tokens per parameter while N is compute-optimal (Chinchilla), more
    once the HBM cap binds; a 16-GPU, 48 GPU-hour job reads 61 GB (hand: C = 6.912e19, N = 7.59e8, D = 1.518e10)."""
    rule = gen.DEFAULT_CHECKPOINT_RULE
    gpus, work = np.array([16.0, 1.0]), np.array([48 * 3600.0, 1e9])
    n = rule.params(gpus, work)
    d = rule.dataset_bytes(gpus, work) / 4.0
    assert d[0] == pytest.approx(20.0 * n[0], rel=1e-12)
    assert rule.dataset_bytes(gpus, work)[0] == pytest.approx(4 * 6.912e19 / (6 * np.sqrt(6.912e19 / 120)), rel=1e-12)
    assert 60e9 < rule.dataset_bytes(gpus, work)[0] < 62e9
    assert d[1] == pytest.approx(1e9 * 400e12 / (6 * 5e9), rel=1e-12) and d[1] > 20.0 * n[1]


def test_generated_jobs_carry_checkpoint_columns(generated_jobs) -> None:  # type: ignore[no-untyped-def]
    expected = gen.DEFAULT_CHECKPOINT_RULE.columns(generated_jobs.gpus, generated_jobs.work_gpu_s)
    for name, col in expected.items():
        assert np.array_equal(getattr(generated_jobs, name), col), name
    assert np.all(generated_jobs.checkpoint_bytes > 0)
    assert np.all(np.isnan(generated_jobs.checkpoint_interval_s))


# --- inference requests ------------------------------------------------------------------------------------------


def test_generated_tokens_and_rate_match_the_azure_trace(azure_requests) -> None:  # type: ignore[no-untyped-def]
    req = gen.generate_requests(np.random.default_rng(42), 100_000, service=2)
    _assert_same_distribution(req.input_tokens, azure_requests.input_tokens)
    _assert_same_distribution(req.output_tokens, azure_requests.output_tokens)
    rate = (len(req) - 1) / (req.arrival_s[-1] - req.arrival_s[0])
    assert rate == pytest.approx(gen.AZURE_CONV_FIT.rate_per_s, rel=0.02)
    assert rate == pytest.approx(len(azure_requests) / azure_requests.arrival_s[-1], rel=0.02)
    gaps = np.diff(req.arrival_s)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.02)
    assert np.all(req.service == 2) and np.all(req.input_tokens >= 1) and np.all(req.output_tokens >= 1)


def test_azure_trace_supports_the_poisson_and_independence_choices(azure_requests) -> None:  # type: ignore[no-untyped-def]
    assert abs(gen.AZURE_CONV_FIT.interarrival_cv - 1.0) < 0.15
    r = np.corrcoef(np.log(azure_requests.input_tokens), np.log(azure_requests.output_tokens))[0, 1]
    assert abs(r) < 0.15


def test_request_horizon_modes() -> None:
    rng = np.random.default_rng(9)
    req = gen.generate_requests(rng, horizon_s=600.0, rate_scale=2.0)
    expected = 2 * gen.AZURE_CONV_FIT.rate_per_s * 600
    assert abs(len(req) - expected) < 4 * np.sqrt(expected)
    assert np.all(np.diff(req.arrival_s) >= 0) and req.arrival_s[-1] <= 600.0
    fixed = gen.generate_requests(rng, 1000, horizon_s=60.0)
    assert len(fixed) == 1000 and fixed.arrival_s[-1] <= 60.0
    with pytest.raises(ValueError):
        gen.generate_requests(rng)


# --- reproducibility and speed -------------------------------------------------------------------------------------


def test_same_seed_same_output_different_seed_differs() -> None:
    a = gen.generate_training_jobs(np.random.default_rng(1), 5_000)
    b = gen.generate_training_jobs(np.random.default_rng(1), 5_000)
    c = gen.generate_training_jobs(np.random.default_rng(2), 5_000)
    for name in ("submit_s", "gpus", "work_gpu_s", "contract", "checkpoint_bytes"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.submit_s, c.submit_s)
    assert not np.array_equal(a.work_gpu_s, c.work_gpu_s)
    ra = gen.generate_requests(np.random.default_rng(1), 5_000)
    rb = gen.generate_requests(np.random.default_rng(1), 5_000)
    rc = gen.generate_requests(np.random.default_rng(2), 5_000)
    assert np.array_equal(ra.arrival_s, rb.arrival_s) and np.array_equal(ra.input_tokens, rb.input_tokens)
    assert not np.array_equal(ra.arrival_s, rc.arrival_s)
    assert not np.array_equal(ra.output_tokens, rc.output_tokens)
