"""Uncertainty tools (orbitgrid.economics.uncertainty) against independent references.

Oracles: scipy.stats distributions for quantiles and means; numerical quadrature of the normal density for the
truncated normal; closed forms for the Monte Carlo mean, the tornado swings and the break-even roots; a brute-force
O(n^2) dominance check (hypothesis-generated point sets with ties) for the Pareto front; a serial run for the process
pool and a real dask.distributed LocalCluster.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import integrate, stats

from orbitgrid.economics import uncertainty as u

# ----------------------------------------------------------------------------------------- distributions

Q = np.array([1e-6, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1 - 1e-6])


@pytest.mark.parametrize(
    ("dist", "oracle"),
    [
        (u.Uniform(200.0, 3600.0), stats.uniform(loc=200.0, scale=3400.0)),
        (u.Normal(40.0, 8.0), stats.norm(loc=40.0, scale=8.0)),
        (u.LogNormal(math.log(500.0), 0.8), stats.lognorm(s=0.8, scale=500.0)),
        (u.Triangular(10.0, 25.0, 100.0), stats.triang(c=15.0 / 90.0, loc=10.0, scale=90.0)),
        (u.Triangular(10.0, 10.0, 100.0), stats.triang(c=0.0, loc=10.0, scale=90.0)),
        (u.Pert(3.0, 5.0, 9.0), stats.beta(1 + 4 * 2 / 6, 1 + 4 * 4 / 6, loc=3.0, scale=6.0)),
        (u.Pert(0.0, 1.0, 2.0, shape=6.0), stats.beta(4.0, 4.0, loc=0.0, scale=2.0)),
    ],
    ids=["uniform", "normal", "lognormal", "triangular", "triangular-left", "pert", "pert-shape6"],
)
def test_quantiles_and_means_match_scipy(dist, oracle) -> None:
    # Quantiles to 1e-9 relative (the inverse CDFs are closed forms or scipy special functions of the same maths).
    np.testing.assert_allclose(dist.ppf(Q), oracle.ppf(Q), rtol=1e-9, atol=1e-9)
    assert dist.expected_value() == pytest.approx(float(oracle.mean()), rel=1e-12)


def test_standard_normal_quantile_matches_scipy_ndtri() -> None:
    """The standard library's inverse CDF the normal and lognormal draws use, against scipy.special.ndtri: 100,000
    uniform probabilities and the far tails (1e-300 .. 1 - 1e-16), to 4e-15 absolute; +-inf at 0 and 1."""
    from scipy import special

    rng = np.random.default_rng(11)
    p = np.concatenate([rng.random(100_000), 10.0 ** -rng.uniform(0, 300, 2_000), [1e-300, 0.5, 1 - 1e-16, 0.0, 1.0]])
    got, want = u._ndtri(p), special.ndtri(p)
    assert got[-2] == -np.inf and got[-1] == np.inf
    assert np.max(np.abs(got[:-2] - want[:-2]) / np.maximum(1.0, np.abs(want[:-2]))) <= 4e-15


@pytest.mark.parametrize(
    ("a", "b"),
    [(1.0, 1.0), (1.0, 5.0), (5.0, 1.0), (1.3, 4.7), (3.66, 2.33), (2.5, 2.5), (1.01, 1.09), (11.0, 91.0),
     (101.0, 1.0), (1.0, 101.0), (51.0, 51.0)],
)  # fmt: skip
def test_beta_quantile_matches_scipy_betaincinv(a: float, b: float) -> None:
    """The beta quantile PERT draws use, against scipy: 4,096 uniform probabilities to 1e-14 absolute of
    scipy.special.betaincinv; the far tails (1e-300 .. 1 - 1e-16, where betaincinv itself may give NaN) through
    scipy.special.betainc: the CDF at the quantile returns the probability to 1e-12 relative (the complement's, for
    the upper tail); 0 and 1 at q = 0 and 1."""
    from scipy import special

    rng = np.random.default_rng(int(a * 100 + b))
    q = rng.random(4_096)
    np.testing.assert_allclose(u._beta_ppf(a, b, q), special.betaincinv(a, b, q), rtol=0, atol=1e-14)
    lower = np.array([1e-300, 1e-100, 1e-20, 1e-12, 1e-3, 0.5])
    np.testing.assert_allclose(special.betainc(a, b, u._beta_ppf(a, b, lower)), lower, rtol=1e-12)
    q_upper = 1.0 - np.array([1e-16, 1e-12, 1e-3])  # near 1, x itself is only good to its spacing, 1.1e-16
    np.testing.assert_allclose(u._beta_ppf(a, b, q_upper), special.betaincinv(a, b, q_upper), rtol=0, atol=1e-14)
    assert u._beta_ppf(a, b, np.array([0.0, 1.0])).tolist() == [0.0, 1.0]


def test_quantile_edges_nan_scalars_and_extreme_pert_shapes() -> None:
    """NaN in, NaN out (as scipy's); a Python float gives a float; PERT shapes far beyond the catalog's (a flat
    a = 1, b = 1e5, and a = b = 500) stay within 1e-13 of scipy.special.betaincinv without a floating-point
    warning (the suite turns warnings into errors)."""
    from scipy import special

    assert math.isnan(u.Normal(1.0, 2.0).ppf(np.nan)) and math.isnan(u.Pert(0.0, 1.0, 3.0).ppf(np.nan))
    assert np.isnan(u.LogNormal(0.0, 1.0).ppf(np.array([np.nan, 0.5]))).tolist() == [True, False]
    assert u._ndtri(0.975) == pytest.approx(1.959963984540054, abs=1e-15)
    assert u._beta_ppf(2.0, 3.0, 0.3) == pytest.approx(float(special.betaincinv(2.0, 3.0, 0.3)), abs=1e-15)
    q = np.random.default_rng(5).random(1_024)
    for a, b in ((1.0, 1e5), (1e5, 1.0), (500.0, 500.0)):
        np.testing.assert_allclose(u._beta_ppf(a, b, q), special.betaincinv(a, b, q), rtol=0, atol=1e-13)


def test_truncated_normal_against_quadrature() -> None:
    """CDF of the draws' quantiles by quadrature of the normal density over [low, x] / mass in [low, high]."""
    d = u.Normal(100.0, 40.0, low=50.0, high=260.0)
    pdf = stats.norm(100.0, 40.0).pdf
    mass = integrate.quad(pdf, 50.0, 260.0, epsabs=1e-13)[0]
    for q, x in zip(Q[1:-1], d.ppf(Q[1:-1]), strict=True):
        assert integrate.quad(pdf, 50.0, x, epsabs=1e-13)[0] / mass == pytest.approx(q, abs=1e-9)
    mean = integrate.quad(lambda x: x * pdf(x), 50.0, 260.0, epsabs=1e-12)[0] / mass
    assert d.expected_value() == pytest.approx(mean, rel=1e-9)
    draws = d.sample(np.random.default_rng(3), 20_000)
    assert draws.min() >= 50.0 and draws.max() <= 260.0


def test_lognormal_from_median_p90() -> None:
    # Launch price: median $500/kg, 1 in 10 chance above $1,500/kg.
    d = u.LogNormal.from_median_p90(500.0, 1500.0)
    np.testing.assert_allclose(d.ppf([0.5, 0.9]), [500.0, 1500.0], rtol=1e-12)
    assert d.sigma == pytest.approx(math.log(3.0) / stats.norm.ppf(0.9), rel=1e-12)
    with pytest.raises(ValueError, match="median < p90"):
        u.LogNormal.from_median_p90(500.0, 400.0)


def test_choice_frequencies_and_integers() -> None:
    d = u.Choice((1, 2, 4), weights=(0.5, 0.25, 0.25))
    x = d.sample(np.random.default_rng(1), 40_000)
    assert x.dtype == np.int64
    freq = np.array([(x == v).mean() for v in (1, 2, 4)])
    # Binomial standard error at n = 40,000 is <= 0.0025; 4 sigma.
    np.testing.assert_allclose(freq, [0.5, 0.25, 0.25], atol=0.01)
    assert d.expected_value() == pytest.approx(2.0)
    assert u.Choice((0.5, 1.5)).ppf([0.25, 0.75]).tolist() == [0.5, 1.5]


def test_fixed_and_invalid_parameters() -> None:
    assert u.Fixed(7.0).sample(np.random.default_rng(0), 3).tolist() == [7.0, 7.0, 7.0]
    for make, match in [
        (lambda: u.Uniform(2.0, 1.0), "low must be below high"),
        (lambda: u.Normal(0.0, 0.0), "std must be > 0"),
        (lambda: u.Triangular(0.0, 2.0, 1.0), "low <= mode <= high"),
        (lambda: u.Pert(0.0, 1.0, 2.0, shape=0.0), "shape must be > 0"),
        (lambda: u.Choice(()), "must not be empty"),
        (lambda: u.Choice((1.0, 2.0), weights=(1.0,)), "1 weights for 2 values"),
        (lambda: u.Uniform(0.0, math.inf), "finite"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()


# ----------------------------------------------------------------------------------------------- Monte Carlo

# A toy cost model with a known mean: cost = price * mass + hardware (independent inputs).
PRICE = u.LogNormal.from_median_p90(500.0, 1500.0)  # USD/kg
MASS = u.Triangular(20_000.0, 30_000.0, 60_000.0)  # kg
HARDWARE = u.Pert(30e6, 40e6, 80e6)  # USD
DISTS = {"price_usd_per_kg": PRICE, "mass_kg": MASS, "hardware_usd": HARDWARE}
EXPECTED_COST = PRICE.expected_value() * MASS.expected_value() + HARDWARE.expected_value()


def toy_cost(p):
    launch = p["price_usd_per_kg"] * p["mass_kg"]
    return {"cost_usd": launch + p["hardware_usd"], "launch_usd": launch}


def toy_cost_vectorized(p):
    return toy_cost(p)


def test_monte_carlo_mean_matches_the_analytic_mean() -> None:
    res = u.monte_carlo(toy_cost, DISTS, 20_000, seed=2027)
    se = res.std_error("cost_usd")
    assert abs(res.mean("cost_usd") - EXPECTED_COST) < 4.0 * se
    # The inputs' sample means against their own analytic means, also within 4 SE.
    for name, dist in DISTS.items():
        x = res.inputs[name]
        assert abs(x.mean() - dist.expected_value()) < 4.0 * x.std(ddof=1) / math.sqrt(x.size)
    s = res.summary()["cost_usd"]
    assert s["n"] == 20_000 and s["p5"] < s["p50"] < s["p95"]
    assert s["std_error"] == pytest.approx(se)


def test_standard_error_shrinks_as_one_over_root_n() -> None:
    """Slope of log SE against log n over n = 250 ... 64,000 is -0.5 within 0.05."""
    ns = np.array([250, 1_000, 4_000, 16_000, 64_000])
    res = u.monte_carlo(toy_cost_vectorized, DISTS, int(ns[-1]), seed=11, vectorized=True)
    cost = res.outputs["cost_usd"]
    se = np.array([cost[:n].std(ddof=1) / math.sqrt(n) for n in ns])
    slope = np.polyfit(np.log(ns), np.log(se), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)
    # ... and the error of the mean stays inside 4 SE at every size.
    for n, e in zip(ns, se, strict=True):
        assert abs(cost[:n].mean() - EXPECTED_COST) < 4.0 * e


def test_draws_depend_only_on_seed_name_and_index() -> None:
    big = u.draw(DISTS, 10_000, seed=5)
    small = u.draw({"mass_kg": MASS}, 100, seed=5)
    np.testing.assert_array_equal(small["mass_kg"], big["mass_kg"][:100])  # prefix, other parameters irrelevant
    other = u.draw(DISTS, 100, seed=6)
    assert not np.array_equal(other["mass_kg"], small["mass_kg"])
    ss = np.random.SeedSequence(5)
    np.testing.assert_array_equal(u.draw({"mass_kg": MASS}, 100, seed=ss)["mass_kg"], small["mass_kg"])


def test_serial_chunked_and_vectorized_runs_agree_bit_for_bit() -> None:
    a = u.monte_carlo(toy_cost, DISTS, 3_000, seed=9)
    b = u.monte_carlo(toy_cost, DISTS, 3_000, seed=9, chunk_size=7)
    c = u.monte_carlo(toy_cost_vectorized, DISTS, 3_000, seed=9, vectorized=True, chunk_size=1_000)
    for r in (b, c):
        for k in a.outputs:
            np.testing.assert_array_equal(a.outputs[k], r.outputs[k])


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_same_seed_same_results_serial_process_pool_and_dask(dask_client) -> None:
    n = 2_500
    serial = u.monte_carlo(toy_cost, DISTS, n, seed=42)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = u.monte_carlo(toy_cost, DISTS, n, seed=42, executor=pool, chunk_size=300)
    on_dask = u.monte_carlo(toy_cost, DISTS, n, seed=42, executor=dask_client.get_executor(pure=False), chunk_size=450)
    for r in (pooled, on_dask):
        for k in serial.inputs:
            np.testing.assert_array_equal(serial.inputs[k], r.inputs[k])
        for k in serial.outputs:
            np.testing.assert_array_equal(serial.outputs[k], r.outputs[k])


def test_fixed_parameters_and_inconsistent_outputs() -> None:
    res = u.monte_carlo(toy_cost, {"mass_kg": MASS}, 10, seed=1, fixed={"price_usd_per_kg": 100.0, "hardware_usd": 0})
    np.testing.assert_allclose(res.outputs["cost_usd"], 100.0 * res.inputs["mass_kg"])
    with pytest.raises(ValueError, match="both fixed and uncertain"):
        u.monte_carlo(toy_cost, DISTS, 10, seed=1, fixed={"mass_kg": 1.0})

    def flaky(p):
        return {"a": 1.0} if p["x"] < 0.5 else {"b": 1.0}

    with pytest.raises(ValueError, match="returned outputs"):
        u.monte_carlo(flaky, {"x": u.Uniform(0.0, 1.0)}, 200, seed=0)


# --------------------------------------------------------------------------------------------------- tornado


def linear(p):
    return {"y": 3.0 * p["a"] - 7.0 * p["b"] + 0.5 * p["c"] + 0.0 * p["d"] + 10.0}


def test_tornado_orders_a_linear_function_by_coefficient_times_range() -> None:
    base = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0}
    # Swings |coef| * (high - low): a 3*2 = 6, b 7*1 = 7, c 0.5*4 = 2, d 0; plus a distribution's p10-p90 range.
    ranges = {"a": (0.0, 2.0), "b": (0.5, 1.5), "c": (-1.0, 3.0), "d": (0.0, 100.0)}
    t = u.tornado(linear, base, ranges, "y")
    assert [b.parameter for b in t.bars] == ["b", "a", "c", "d"]
    assert [b.swing for b in t.bars] == pytest.approx([7.0, 6.0, 2.0, 0.0])
    assert t.base_output == pytest.approx(6.5)
    bar_b = t.bars[0]
    assert (bar_b.output_at_low, bar_b.output_at_high) == pytest.approx((10.0, 3.0))
    t2 = u.tornado(linear, base, {"a": u.Normal(1.0, 1.0), "c": (0.0, 1.0)}, "y")
    z = stats.norm.ppf(0.9) - stats.norm.ppf(0.1)  # p10-p90 width of N(1, 1)
    assert t2.bars[0].parameter == "a" and t2.bars[0].swing == pytest.approx(3.0 * z, rel=1e-12)
    with pytest.raises(KeyError, match="not in the base case"):
        u.tornado(linear, base, {"e": (0.0, 1.0)}, "y")


# ------------------------------------------------------------------------------------------------ break-even


def orbit_vs_ground(p):
    # Orbit $/GPU-h = 0.9 + 0.0021 * launch $/kg; ground $/GPU-h = 2.5 (a linear toy with a known root).
    return {"orbit_usd_per_gpu_hour": 0.9 + 0.0021 * p["launch_usd_per_kg"], "ground_usd_per_gpu_hour": 2.5}


def test_break_even_on_analytic_functions() -> None:
    be = u.break_even(
        orbit_vs_ground,
        {"launch_usd_per_kg": 1000.0},
        "launch_usd_per_kg",
        (10.0, 5000.0),
        "orbit_usd_per_gpu_hour",
        target="ground_usd_per_gpu_hour",
    )
    assert be.value == pytest.approx(1.6 / 0.0021, rel=1e-12)  # 761.9 $/kg
    root2 = u.solve_break_even(lambda x: x**2 - 2.0, (0.0, 3.0))
    assert root2.value == pytest.approx(math.sqrt(2.0), abs=1e-12)
    assert root2.g_at_ends == (-2.0, 7.0)
    assert u.solve_break_even(lambda x: x - 1.0, (1.0, 2.0)).value == 1.0  # a root on the bracket's end


def test_break_even_without_sign_change_reports_both_ends() -> None:
    with pytest.raises(u.NoSignChangeError) as info:
        u.break_even(
            orbit_vs_ground,
            {"launch_usd_per_kg": 0.0},
            "launch_usd_per_kg",
            (1000.0, 3600.0),
            "orbit_usd_per_gpu_hour",
            target="ground_usd_per_gpu_hour",
        )
    msg = str(info.value)
    assert "launch_usd_per_kg" in msg and "1000" in msg and "3600" in msg
    assert info.value.g_ends == pytest.approx((0.5, 5.96))
    with pytest.raises(ValueError, match="low < high"):
        u.solve_break_even(lambda x: x, (1.0, 1.0))


# ------------------------------------------------------------------------------------------------------ Pareto


def brute_force_front(points: np.ndarray, senses) -> np.ndarray:
    """Every pair compared (O(n^2)): j dominates i when j <= i everywhere and j < i somewhere (both finite)."""
    sign = np.array([1.0 if s == "min" else -1.0 for s in senses])
    p = points * sign
    finite = np.all(np.isfinite(p), axis=1)
    le = np.all(p[:, None, :] <= p[None, :, :], axis=2)  # le[j, i]: p[j] <= p[i] in every objective
    lt = np.any(p[:, None, :] < p[None, :, :], axis=2)
    dominates = le & lt & finite[:, None] & finite[None, :]
    return finite & ~dominates.any(axis=0)


values = st.one_of(st.integers(-4, 4).map(float), st.floats(-1e3, 1e3, allow_nan=False), st.just(math.nan))


@st.composite
def point_sets(draw, k: int):
    n = draw(st.integers(0, 40))
    pts = draw(hnp.arrays(np.float64, (n, k), elements=values))
    senses = draw(st.lists(st.sampled_from(["min", "max"]), min_size=k, max_size=k))
    return pts, senses


@settings(max_examples=120, deadline=None)
@given(point_sets(2))
def test_pareto_2d_matches_brute_force(case) -> None:
    pts, senses = case
    np.testing.assert_array_equal(u.pareto_front(pts, senses), brute_force_front(pts, senses))


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 4).flatmap(point_sets))
def test_pareto_nd_matches_brute_force(case) -> None:
    pts, senses = case
    np.testing.assert_array_equal(u.pareto_front(pts, senses), brute_force_front(pts, senses))


def test_pareto_named_columns() -> None:
    cols = {
        "usd_per_gpu_hour": [2.0, 1.5, 3.0, 1.5],
        "gpu_hours": [100.0, 80.0, 120.0, 70.0],
        "mass_kg": [10.0, 10.0, 10.0, 10.0],
    }
    idx = u.pareto_rows(cols, {"usd_per_gpu_hour": "min", "gpu_hours": "max", "mass_kg": "min"})
    assert idx.tolist() == [0, 1, 2]  # row 3 is dominated by row 1 (same price, more compute)
