"""The compiled track kernel reproduces the numpy reference ``simulate_tracks`` on catalog designs, to stated
tolerances in physical units; the survey-fed kernel reproduces the lit-array kernel. Every test runs twice: on the
compiled kernels and on their Python-mode twins (``orbitgrid._jit``, the arithmetic vectorised over tracks)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from orbitgrid import _jit
from orbitgrid.astro import constellations as con
from orbitgrid.astro.constants import AU_M
from orbitgrid.astro.survey import sun_on_grid_m, survey_circular, survey_shell_references
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.illumination import step_lit_fraction
from orbitgrid.fleet.kernel import (
    shifted_lit_fraction,
    simulate_shifted_tracks_fast,
    simulate_survey_tracks_fast,
    simulate_tracks_fast,
    survey_intervals,
)
from orbitgrid.fleet.orbital import ArrayIncidence, TrackCapacity, body_fixed_incidence_circular, simulate_tracks
from orbitgrid.pipeline.capacity import design_spec
from orbitgrid.scenario.catalog import designs

STEP_S = 60.0
N_TRACKS, N_STEPS = 200, 1440


@pytest.fixture(autouse=True, params=["compiled", "python"])
def kernel_mode(request):
    """Every test runs on the compiled kernels and on their Python-mode twins (``orbitgrid._jit``): both against the
    numpy reference ``simulate_tracks``."""
    with _jit.using(request.param):
        yield request.param


DESIGNS = ("compute-sat", "starlink-v2-mini-compute", "suncatcher-tpu-sat")
PER_TRACK = (
    "harvested_wh",
    "delivered_compute_wh",
    "gpu_hours",
    "throttled_eclipse_s",
    "throttled_array_s",
    "throttled_heat_s",
    "battery_min_soc",
)


def synthetic_lit(rng: np.random.Generator, n: int, k_steps: int, step_s: float = STEP_S) -> np.ndarray:
    """Exact step means of a periodic eclipse per track: random period, phase, umbra length and penumbra ramp.

    The hidden fraction rises linearly over ``ramp`` seconds, stays 1, and falls over ``ramp``; 10 % of the tracks
    never enter shadow.
    """
    period = rng.uniform(88.0, 110.0, n) * 60.0
    dark = rng.uniform(0.0, 38.0, n) * 60.0
    dark[rng.random(n) < 0.1] = 0.0
    ramp = rng.uniform(4.0, 90.0, n)
    dark = np.where(dark > 0.0, np.maximum(dark, ramp), 0.0)
    start = rng.uniform(0.0, 1.0, n) * period
    x_all = np.arange(k_steps + 1) * step_s - start[:, None]
    m = np.floor(x_all / period[:, None])
    x = x_all - m * period[:, None]
    w, d = ramp[:, None], dark[:, None]
    ramp_out = d - w / 2 + (x - d) - (x - d) ** 2 / (2 * w)
    h = np.where(x <= w, x * x / (2 * w), np.where(x <= d, w / 2 + (x - w), np.where(x <= d + w, ramp_out, d)))
    hidden = m * d + np.where(d > 0.0, h, 0.0)  # cumulative hidden seconds
    return np.clip(1.0 - np.diff(hidden, axis=1) / step_s, 0.0, 1.0)


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(20270320)
    lit = synthetic_lit(rng, N_TRACKS, N_STEPS)
    sun = AU_M * (1.0 + 0.0167 * np.cos(np.linspace(0.3, 0.32, N_STEPS)))
    alt = rng.uniform(500e3, 650e3, N_TRACKS)
    return lit, sun, alt


def assert_matches(ref: TrackCapacity, fast: TrackCapacity) -> dict[str, float]:
    """The kernel against the reference, in physical units.

    The kernel regroups products, multiplies by reciprocals and stops the radiator's Newton solve after a fixed
    number of iterations, so it is not bit-identical; these are the tolerances it is held to.
    """
    # GPU-hours per track within 1e-6 relative (a flipped whole-accelerator rounding would break it by 1/60 h)
    np.testing.assert_allclose(fast.gpu_hours, ref.gpu_hours, rtol=1e-6, atol=1e-9, err_msg="gpu_hours")
    for name in ("harvested_wh", "delivered_compute_wh"):  # Wh
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=1e-9, atol=1e-9, err_msg=name)
    for name in ("throttled_eclipse_s", "throttled_array_s", "throttled_heat_s"):  # whole steps
        np.testing.assert_array_equal(getattr(fast, name), getattr(ref, name), err_msg=name)
    np.testing.assert_allclose(fast.battery_min_soc, ref.battery_min_soc, rtol=0.0, atol=1e-9, err_msg="min soc")
    for name in ("radiator_peak_k", "radiator_mean_k"):  # K
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=0.0, atol=0.01, err_msg=name)
    for name in ("step_usable_gpus", "step_array_w", "step_compute_w", "step_soc_mean"):
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=1e-9, atol=1e-9, err_msg=name)
    np.testing.assert_allclose(fast.step_radiator_mean_k, ref.step_radiator_mean_k, rtol=0.0, atol=0.01)
    # energy still closes per track to 1e-9 of the harvest
    fast_closure = np.abs(fast.energy_closure_wh).max()
    assert fast_closure <= 1e-9 * max(ref.harvested_wh.max(), 1.0)
    return {
        "gpu_hours_max_abs": float(np.abs(fast.gpu_hours - ref.gpu_hours).max()),
        "temperature_max_abs_k": float(
            max(
                np.abs(fast.radiator_mean_k - ref.radiator_mean_k).max(),
                np.abs(fast.radiator_peak_k - ref.radiator_peak_k).max(),
            )
        ),
    }


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("variant", ["catalog", "small-radiator", "no-battery"])
def test_kernel_matches_reference(inputs, name: str, variant: str) -> None:
    lit, sun, alt = inputs
    spec = design_spec(designs()[name])
    if variant == "small-radiator":  # makes the heat cap bind: exercises the thermal path and its rounding
        spec = dataclasses.replace(spec, radiator_area_m2=spec.radiator_area_m2 / 4.0)
    elif variant == "no-battery":  # the payload drops out in every shadow: the largest radiator swings
        spec = dataclasses.replace(spec, battery_capacity_wh=0.0)
    ref = simulate_tracks(spec, lit, sun, alt, STEP_S, years_at_start=1.5, track_usable=True)
    fast = simulate_tracks_fast(spec, lit, sun, alt, STEP_S, years_at_start=1.5, track_usable=True)
    diffs = assert_matches(ref, fast)
    # Measured on these inputs: GPU-hours differ by <= 5e-11 h (summation order), temperatures by <= 2e-11 K (the
    # fixed Newton iterations reach the same root as the reference's tolerance-stopped solve); no rounding flips.
    assert diffs["gpu_hours_max_abs"] < 1e-9
    assert diffs["temperature_max_abs_k"] < 1e-8
    # the per-track usable-accelerator timelines agree step for step, and add up to the per-step sums
    assert ref.track_usable_gpus is not None and fast.track_usable_gpus is not None
    assert fast.track_usable_gpus.dtype == np.int16 and fast.track_usable_gpus.shape == lit.shape
    np.testing.assert_array_equal(fast.track_usable_gpus, ref.track_usable_gpus)
    np.testing.assert_array_equal(fast.track_usable_gpus.sum(axis=0), fast.step_usable_gpus)
    np.testing.assert_allclose(fast.track_usable_gpus.sum(axis=1) * STEP_S / 3600.0, fast.gpu_hours, rtol=1e-12)


def test_track_usable_is_off_by_default(inputs) -> None:
    lit, sun, alt = inputs
    spec = design_spec(designs()["compute-sat"])
    assert simulate_tracks_fast(spec, lit[:5], sun, alt[:5], STEP_S).track_usable_gpus is None
    assert simulate_tracks(spec, lit[:5], sun, alt[:5], STEP_S).track_usable_gpus is None


def test_every_throttle_reason_is_exercised(inputs) -> None:
    lit, sun, alt = inputs
    totals = np.zeros(3)
    for name in DESIGNS:
        base = design_spec(designs()[name])
        for spec in (base, dataclasses.replace(base, radiator_area_m2=base.radiator_area_m2 / 4.0)):
            f = simulate_tracks_fast(spec, lit, sun, alt, STEP_S)
            totals += [f.throttled_eclipse_s.sum(), f.throttled_array_s.sum(), f.throttled_heat_s.sum()]
    assert np.all(totals > 0.0), totals


def test_scalar_altitude_and_tiny_chunks(inputs) -> None:
    lit, sun, _ = inputs
    spec = design_spec(designs()["starlink-v2-mini-compute"])
    for n in (1, 3, 17):
        ref = simulate_tracks(spec, lit[:n, :300], sun[:300], np.full(n, 550e3), STEP_S)
        fast = simulate_tracks_fast(spec, lit[:n, :300], sun[:300], 550e3, STEP_S)
        assert_matches(ref, fast)


def test_per_track_results_do_not_depend_on_chunking(inputs) -> None:
    lit, sun, alt = inputs
    spec = design_spec(designs()["suncatcher-tpu-sat"])
    whole = simulate_tracks_fast(spec, lit, sun, alt, STEP_S)
    a = simulate_tracks_fast(spec, lit[:77], sun, alt[:77], STEP_S)
    b = simulate_tracks_fast(spec, lit[77:], sun, alt[77:], STEP_S)
    for name in (*PER_TRACK, "radiator_peak_k", "radiator_mean_k", "energy_closure_wh"):
        np.testing.assert_array_equal(getattr(whole, name), np.concatenate([getattr(a, name), getattr(b, name)]))
    np.testing.assert_allclose(whole.step_compute_w, a.step_compute_w + b.step_compute_w, rtol=1e-12)


@pytest.mark.parametrize("name", DESIGNS)
def test_lost_tracks_count_only_the_steps_they_flew(inputs, name: str) -> None:
    """``life_steps``: the kernel matches the reference; each track's totals equal a run of that track over its
    first ``life`` steps alone (stepping is causal), a track that never flew counts nothing, and the step sums and
    means are over the tracks flying in each step."""
    lit, sun, alt = inputs
    n, k = 40, 300
    spec = design_spec(designs()[name])
    life = np.array([k, 0, 1, 150, k - 1] * (n // 5), dtype=np.int64)
    ref = simulate_tracks(spec, lit[:n, :k], sun[:k], alt[:n], STEP_S, track_usable=True, life_steps=life)
    fast = simulate_tracks_fast(spec, lit[:n, :k], sun[:k], alt[:n], STEP_S, track_usable=True, life_steps=life)
    gone = life == 0
    for cap in (ref, fast):
        assert np.all(cap.gpu_hours[gone] == 0.0) and np.all(cap.harvested_wh[gone] == 0.0)
        assert np.all(np.isnan(cap.radiator_mean_k[gone]) & np.isnan(cap.battery_min_soc[gone]))
        np.testing.assert_array_equal(cap.step_tracks, [(life > j).sum() for j in range(k)])
        assert cap.track_usable_gpus is not None
        assert not np.any(cap.track_usable_gpus[np.arange(k)[None, :] >= life[:, None]])
    flew = ~gone
    assert_matches(
        dataclasses.replace(ref, radiator_mean_k=ref.radiator_mean_k[flew], radiator_peak_k=ref.radiator_peak_k[flew]),
        dataclasses.replace(
            fast, radiator_mean_k=fast.radiator_mean_k[flew], radiator_peak_k=fast.radiator_peak_k[flew]
        ),
    )
    np.testing.assert_array_equal(fast.track_usable_gpus, ref.track_usable_gpus)
    for life_i in np.unique(life[flew]).tolist():
        sel = np.flatnonzero(life == life_i)
        alone = simulate_tracks_fast(spec, lit[sel, :life_i], sun[:life_i], alt[sel], STEP_S)
        for field in (*PER_TRACK, "radiator_peak_k", "radiator_mean_k", "energy_closure_wh"):
            np.testing.assert_allclose(getattr(fast, field)[sel], getattr(alone, field), rtol=1e-12, err_msg=field)
    with pytest.raises(ValueError, match="life_steps"):
        simulate_tracks_fast(spec, lit[:2, :k], sun[:k], alt[:2], STEP_S, life_steps=np.array([1.5, 2.0]))


def test_survey_fed_kernel_matches_the_lit_array_path() -> None:
    """Binning the passages inside the kernel gives what ``step_lit_fraction`` + ``simulate_tracks_fast`` give."""
    epoch = dt.datetime(2027, 6, 21, tzinfo=dt.UTC)
    grid = TimeGrid.from_duration(epoch, 12 * 3600.0, 60.0)
    orbits = con.CircularOrbits.concatenate(
        [con.walker(550e3, math.radians(53.0), 40, 8, 1), con.walker(560e3, math.radians(97.6), 13, 13, 1)]
    )
    survey = survey_circular(orbits, grid, sun_on_grid_m(grid))
    sun = np.full(grid.n_steps, AU_M)
    alt = orbits.semi_major_axis_m - 6378137.0
    spec = design_spec(designs()["compute-sat"])
    spec = dataclasses.replace(spec, battery_capacity_wh=spec.battery_capacity_wh / 3.0)  # eclipse-throttled
    intervals = survey_intervals(survey)
    for sl in (slice(0, len(orbits)), slice(5, 22), slice(40, 53)):
        lit = step_lit_fraction(survey, grid.step_s, grid.n_steps, sl)
        a = simulate_tracks_fast(spec, lit, sun, alt[sl], grid.step_s, track_usable=True)
        b = simulate_survey_tracks_fast(
            spec, survey, grid.n_steps, sun, alt[sl], grid.step_s, tracks=sl, track_usable=True, intervals=intervals
        )
        for name in (*PER_TRACK, "radiator_peak_k", "radiator_mean_k", "energy_closure_wh"):
            # lit = 1 - hidden * (1/h) instead of 1 - hidden / h: equal to the last bit or so
            np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, atol=1e-9, err_msg=name)
        assert a.track_usable_gpus is not None and b.track_usable_gpus is not None
        np.testing.assert_array_equal(b.track_usable_gpus, a.track_usable_gpus)
    assert np.any(a.throttled_eclipse_s > 0.0)  # the comparison covers shadowed, throttled tracks


def _plane_incidence(rng: np.random.Generator, n: int, k_steps: int, planes: int = 7) -> ArrayIncidence:
    """Body-fixed cosines shared by planes: |sin beta| drifting along the run, one plane through beta = 0."""
    beta0 = rng.uniform(-1.4, 1.4, planes)
    beta0[0] = -0.05
    drift = rng.uniform(-0.2, 0.2, planes)
    beta = beta0[:, None] + drift[:, None] * np.linspace(0.0, 1.0, k_steps)[None, :]
    return ArrayIncidence(np.abs(np.sin(beta)), rng.integers(0, planes, n))


@pytest.mark.parametrize("name", DESIGNS)
def test_body_fixed_kernel_matches_reference(inputs, name: str) -> None:
    """A body-fixed array: the per-lane power buffer against the reference's ``cos_incidence``, same tolerances."""
    lit, sun, alt = inputs
    spec = dataclasses.replace(design_spec(designs()[name]), tracking="body_fixed")
    inc = _plane_incidence(np.random.default_rng(7), lit.shape[0], lit.shape[1])
    ref = simulate_tracks(spec, lit, sun, alt, STEP_S, years_at_start=1.5, track_usable=True, incidence=inc)
    fast = simulate_tracks_fast(spec, lit, sun, alt, STEP_S, years_at_start=1.5, track_usable=True, incidence=inc)
    diffs = assert_matches(ref, fast)
    assert diffs["gpu_hours_max_abs"] < 1e-9 and diffs["temperature_max_abs_k"] < 1e-8
    assert ref.track_usable_gpus is not None and fast.track_usable_gpus is not None
    np.testing.assert_array_equal(fast.track_usable_gpus, ref.track_usable_gpus)
    # the cosine bites: the array-limited throttling of the sun-tracking run grows
    tracking = simulate_tracks_fast(dataclasses.replace(spec, tracking="sun_tracking"), lit, sun, alt, STEP_S, 1.5)
    assert fast.harvested_wh.sum() < 0.8 * tracking.harvested_wh.sum()
    assert fast.throttled_array_s.sum() + fast.throttled_eclipse_s.sum() > tracking.throttled_array_s.sum()


def test_body_fixed_survey_and_shifted_kernels_match_the_lit_array_path() -> None:
    """The survey- and shift-fed kernels read each selected track's incidence row as the lit-array kernel does."""
    grid = TimeGrid.from_duration(dt.datetime(2027, 6, 21, tzinfo=dt.UTC), 12 * 3600.0, 60.0)
    orbits = con.walker(550e3, math.radians(53.0), 64, 2, 1)
    sun_m = sun_on_grid_m(grid)
    survey = survey_circular(orbits, grid, sun_m)
    shifted = survey_shell_references(orbits, grid, sun_m, refs_per_plane=4)
    assert shifted is not None
    inc = body_fixed_incidence_circular(orbits, grid)
    sun = np.full(grid.n_steps, AU_M)
    spec = dataclasses.replace(design_spec(designs()["starlink-v2-mini-compute"]), tracking="body_fixed")
    for sl in (slice(0, 64), slice(5, 22), slice(40, 64)):
        per_track = ArrayIncidence(inc.per_track(sl), np.arange(sl.stop - sl.start))
        for lit, fast in (
            (
                step_lit_fraction(survey, grid.step_s, grid.n_steps, sl),
                simulate_survey_tracks_fast(
                    spec, survey, grid.n_steps, sun, 550e3, grid.step_s, tracks=sl, incidence=inc
                ),
            ),
            (
                shifted_lit_fraction(shifted, grid.step_s, grid.n_steps, sl),
                simulate_shifted_tracks_fast(
                    spec, shifted, grid.n_steps, sun, 550e3, grid.step_s, tracks=sl, incidence=inc
                ),
            ),
        ):
            a = simulate_tracks_fast(spec, lit, sun, 550e3, grid.step_s, incidence=per_track)
            for name in (*PER_TRACK, "radiator_peak_k", "radiator_mean_k", "energy_closure_wh"):
                np.testing.assert_allclose(getattr(fast, name), getattr(a, name), rtol=1e-12, atol=1e-9, err_msg=name)
