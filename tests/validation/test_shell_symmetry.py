"""Time-shift symmetry of designed shells (``astro.survey.survey_shell_references``) against the full survey.

Every track of a designed shell is surveyed twice: by ``survey_circular`` (each track propagated and searched for
its own crossings, the reference path) and through ``REFS_PER_PLANE`` reference tracks per plane whose passages are
shifted in time to each member. Compared per track: the passages one to one (same count, same truncation flags and
edge classes), their six boundary instants and hidden time, the step-mean lit fraction the capacity kernel bins,
and the capacity it yields (GPU-hours, harvested Wh, radiator temperatures, battery state of charge).

Cases, one day at 60 s:

- ``walker53``: 550 km, 53 deg Walker delta 2048/32/1 at the March equinox 2027 (beta -76..+76 deg over the planes);
- ``sso_dawn_dusk``: 650 km dawn-dusk (18:00 LTAN) sun-synchronous, 4 planes 1 h of node local time apart, at the June
  solstice 2027, the eclipse season of a dawn-dusk orbit (beta ~58-66 deg: short eclipses and penumbral grazes
  near the critical beta of 64.6 deg);
- ``polar_star``: 560 km polar Walker star 768/12/0 at the March equinox, its nodes spread over 180 deg so the planes
  run from beta ~0 (the longest eclipses, low beta) to ~90 deg (never eclipsed, high beta), through the critical
  beta where eclipses shrink to grazes.

Tolerances, and why:

- boundary instants ``CROSSING_TOL_S`` = 0.5 s. The shift leaves out the change of the shadow geometry over the lag
  beyond the plane's mean rate, mostly the beta drift (up to ~7 deg/day for a 53 deg shell) moving the eclipse arc's
  half-width ``w``; with a lag of at most T / (2 R) = 180 s (R = 16) that is up to ~0.1 s in mid-beta planes and
  more where ``dw/dbeta`` grows toward the critical beta. Measured: 0.08 s (Walker), see the slow test's printout;
- hidden time of a passage ``HIDDEN_TOL_S`` = 1 s (entry and exit errors of opposite sign add up);
- step-mean lit fraction ``LIT_TOL`` = 0.02: a crossing 0.5 s off moves 0.5/60 = 0.008 of a step's sunlight. In
  the window's first and last step ``EDGE_LIT_TOL`` = 0.2 for the kernel's binning, which spreads a cut passage at
  the whole passage's hidden-time density instead of integrating the cut part: where the edge cuts a penumbral
  crossing (4-25 s long) that misplaces at most half its length, 12.5 s of a 60 s step;
- truncation flags and NaN boundaries agree except for passages with a boundary within the crossing tolerance of
  the window's edges, which the crossing error can move to the other side;
- GPU-hours and harvested energy per track: relative 1e-3 (an eclipse ~2,100 s long moved by < 1 s changes the
  day's energy by < 1/80,000 of a day's harvest; whole-GPU rounding can flip a step's last GPU, 1/1,440 of a day
  for one GPU of 8-80);
- radiator mean and peak temperature 0.01 K (the radiator's time constant is minutes, so sub-second sunlight changes
  move it by mK);
- battery minimum state of charge 1e-3.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from orbitgrid.astro import constellations as con
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.frames import gmst_rad
from orbitgrid.astro.survey import (
    PASSAGE_COLUMNS,
    REFS_PER_PLANE,
    expand_shifted,
    sun_on_grid_m,
    survey_circular,
    survey_shell_references,
)
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.illumination import step_lit_fraction
from orbitgrid.fleet.kernel import shifted_lit_fraction, simulate_shifted_tracks_fast, simulate_survey_tracks_fast
from orbitgrid.pipeline.capacity import design_spec, step_sun_distance_m
from orbitgrid.scenario.catalog import designs

CROSSING_TOL_S = 0.5
HIDDEN_TOL_S = 1.0
LIT_TOL = 0.02
EDGE_LIT_TOL = 0.2
REL_TOL = 1e-3
TEMP_TOL_K = 0.01
SOC_TOL = 1e-3

EQUINOX = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
SOLSTICE = dt.datetime(2027, 6, 21, tzinfo=dt.UTC)


def _grid(epoch: dt.datetime) -> TimeGrid:
    return TimeGrid.from_duration(epoch, 86_400.0, 60.0)


def _case(name: str, scale: int = 1) -> tuple[con.CircularOrbits, TimeGrid]:
    if name == "walker53":
        return con.walker(550e3, math.radians(53.0), 2048 * scale, 32, 1), _grid(EQUINOX)
    if name == "sso_dawn_dusk":
        grid = _grid(SOLSTICE)
        jd, fr = grid.epoch_jd
        gmst0 = float(gmst_rad(np.array(jd), np.array(fr)))
        return con.sun_synchronous(650e3, 18.0, 4, 64 * scale, gmst0, fr * 24.0, 1.0, 0), grid
    if name == "polar_star":
        return con.walker(560e3, math.radians(90.0), 768 * scale, 12, 0, "star"), _grid(EQUINOX)
    raise ValueError(name)


def _errors(orbits: con.CircularOrbits, grid: TimeGrid, design: str) -> dict[str, float]:
    """Largest differences between the symmetry path and the per-track survey (see the module docstring)."""
    sun = sun_on_grid_m(grid)
    full = survey_circular(orbits, grid, sun)
    shifted = survey_shell_references(orbits, grid, sun)
    assert shifted is not None
    assert shifted.max_lag_s <= math.pi / REFS_PER_PLANE / float(np.min(shifted.planes.sync_rate_rad_s)) + 1e-9
    shift = expand_shifted(shifted, orbits, grid, sun)
    n = len(orbits)
    out: dict[str, float] = {}
    out["count_mismatch"] = float(
        np.count_nonzero(np.bincount(full.track, minlength=n) != np.bincount(shift.track, minlength=n))
    )
    same = np.array_equal(full.track, shift.track)
    out["flag_mismatch"] = float(
        np.count_nonzero(full.truncated != shift.truncated)
        + np.count_nonzero(full.class_at_start != shift.class_at_start)
        + np.count_nonzero(full.class_at_end != shift.class_at_end)
        if same
        else -1
    )
    crossing = 0.0
    nan_mismatch = 0
    for name in PASSAGE_COLUMNS[:-1]:
        a, b = full.passages[name], shift.passages[name]
        nan_mismatch += int(np.count_nonzero(np.isnan(a) != np.isnan(b)))
        crossing = max(crossing, float(np.nanmax(np.abs(a - b), initial=0.0)))
    out["nan_mismatch"] = float(nan_mismatch)
    # passages with a boundary within the crossing tolerance of the window's edges may fall on either side of it
    b = np.stack([full.passages[name] for name in PASSAGE_COLUMNS[:-1]])
    near = np.any((np.abs(b) < CROSSING_TOL_S) | (np.abs(b - grid.duration_s) < CROSSING_TOL_S), axis=0)
    out["near_edge"] = float(np.count_nonzero(near))
    out["crossing_s"] = crossing
    out["hidden_s"] = float(np.max(np.abs(full.passages["shadow_s"] - shift.passages["shadow_s"]), initial=0.0))
    out["track_shadow_s"] = float(np.max(np.abs(full.shadow_s - shift.shadow_s)))
    out["eclipse_count"] = float(np.max(np.abs(full.eclipses - shift.eclipses)))
    out["beta_rad"] = float(np.max(np.abs(full.beta_min_rad - shift.beta_min_rad)))
    lit_full = step_lit_fraction(full, grid.step_s, grid.n_steps)
    out["lit_expanded"] = float(np.max(np.abs(step_lit_fraction(shift, grid.step_s, grid.n_steps) - lit_full)))
    lit_diff = np.abs(shifted_lit_fraction(shifted, grid.step_s, grid.n_steps) - lit_full)
    out["lit_kernel"] = float(np.max(lit_diff[:, 1:-1]))
    out["lit_kernel_edge"] = float(np.max(lit_diff[:, [0, -1]]))
    spec = design_spec(designs()[design])
    sun_d = step_sun_distance_m(grid)
    alt = orbits.semi_major_axis_m - EARTH_EQUATORIAL_RADIUS_M
    ref = simulate_survey_tracks_fast(spec, full, grid.n_steps, sun_d, alt, grid.step_s)
    cap = simulate_shifted_tracks_fast(spec, shifted, grid.n_steps, sun_d, alt, grid.step_s)
    out["gpu_hours_rel"] = float(np.max(np.abs(cap.gpu_hours - ref.gpu_hours) / ref.gpu_hours))
    out["harvest_rel"] = float(np.max(np.abs(cap.harvested_wh - ref.harvested_wh) / ref.harvested_wh))
    out["radiator_mean_k"] = float(np.max(np.abs(cap.radiator_mean_k - ref.radiator_mean_k)))
    out["radiator_peak_k"] = float(np.max(np.abs(cap.radiator_peak_k - ref.radiator_peak_k)))
    out["soc_min"] = float(np.max(np.abs(cap.battery_min_soc - ref.battery_min_soc)))
    out["throttled_fraction"] = float(np.mean(ref.throttled_eclipse_s + ref.throttled_array_s) / grid.duration_s)
    out["passages"] = float(full.track.size)
    out["tracks_eclipsed"] = float(np.count_nonzero(full.eclipses))
    return out


def _check(e: dict[str, float]) -> None:
    assert e["count_mismatch"] == 0
    assert e["flag_mismatch"] <= e["near_edge"]
    assert e["nan_mismatch"] <= e["near_edge"]
    assert e["crossing_s"] < CROSSING_TOL_S
    assert e["hidden_s"] < HIDDEN_TOL_S
    assert e["eclipse_count"] == 0
    assert e["beta_rad"] == 0.0
    assert e["lit_expanded"] < LIT_TOL
    assert e["lit_kernel"] < LIT_TOL
    assert e["lit_kernel_edge"] < EDGE_LIT_TOL
    assert e["gpu_hours_rel"] < REL_TOL
    assert e["harvest_rel"] < REL_TOL
    assert e["radiator_mean_k"] < TEMP_TOL_K
    assert e["radiator_peak_k"] < TEMP_TOL_K
    assert e["soc_min"] < SOC_TOL


@pytest.mark.parametrize(
    ("case", "design"),
    [
        ("walker53", "suncatcher-tpu-sat"),
        ("sso_dawn_dusk", "starlink-v2-mini-compute"),
        ("polar_star", "suncatcher-tpu-sat"),
    ],
)
def test_shifted_survey_matches_full_survey(case: str, design: str) -> None:
    orbits, grid = _case(case)
    e = _errors(orbits, grid, design)
    assert e["tracks_eclipsed"] > 0
    _check(e)


def test_shift_error_is_first_order_in_the_lag() -> None:
    """With one reference per plane (lags up to half an orbit) the error is ~R times larger than with R: the
    approximation's error comes from the lag, not from the shifted bookkeeping."""
    orbits, grid = _case("walker53")
    sun = sun_on_grid_m(grid)
    full = survey_circular(orbits, grid, sun)
    worst = []
    for r in (1, REFS_PER_PLANE):
        s = expand_shifted(survey_shell_references(orbits, grid, sun, refs_per_plane=r), orbits, grid, sun)
        worst.append(float(np.nanmax(np.abs(s.passages["entry_s"] - full.passages["entry_s"]))))
    assert worst[1] < worst[0] / (REFS_PER_PLANE / 2)


def test_members_on_a_reference_are_exact() -> None:
    """A member that sits on its reference (lag 0) gets the reference's own passages: bit-identical to the full
    survey (to the 1e-9 s of its lag's round-off)."""
    orbits, grid = _case("walker53")
    sun = sun_on_grid_m(grid)
    shifted = survey_shell_references(orbits, grid, sun)
    assert shifted is not None
    on_ref = np.flatnonzero(np.abs(shifted.member_dt_s) < 1e-9)  # 0 up to the round-off of the u arithmetic
    assert on_ref.size >= 32 * REFS_PER_PLANE
    full = survey_circular(orbits.subset(on_ref), grid, sun)
    shift = expand_shifted(shifted, orbits, grid, sun)
    rows = np.isin(shift.track, on_ref)
    for name in PASSAGE_COLUMNS[:-1]:
        np.testing.assert_allclose(shift.passages[name][rows], full.passages[name], rtol=0, atol=1e-6)


@pytest.mark.slow
def test_shifted_survey_matches_full_survey_large() -> None:
    """The three cases at 8x the members per plane (22,000 tracks), printing the measured errors."""
    for case, design in (
        ("walker53", "suncatcher-tpu-sat"),
        ("sso_dawn_dusk", "starlink-v2-mini-compute"),
        ("polar_star", "compute-sat"),
    ):
        orbits, grid = _case(case, scale=8)
        e = _errors(orbits, grid, design)
        print(case, design, {k: f"{v:.3g}" for k, v in e.items()})
        _check(e)


def test_pipeline_uses_the_symmetry_for_designed_shells() -> None:
    """``survey_shells`` / ``shell_capacity`` on the default scenario with its Walker shell in 12 planes of 132:
    the shifted passages (what ``eclipses.parquet`` is written from) and the shell's capacity summary match the
    track-by-track pipeline within the tolerances above."""
    from orbitgrid.pipeline.capacity import shell_capacity
    from orbitgrid.pipeline.orbit import survey_shells
    from orbitgrid.scenario.loader import builtin_scenario_text, load_scenario_text

    text = builtin_scenario_text("default").replace(
        "total: 1584, planes: 72, phasing: 17", "total: 1584, planes: 12, phasing: 5"
    )
    scenario = load_scenario_text(text)
    walker = next(sh.name for sh in scenario.shells if sh.orbit.type == "walker_delta")
    fleet = scenario.fleet.model_copy(update={"shells": [sh for sh in scenario.shells if sh.name == walker]})
    scenario = scenario.model_copy(update={"fleet": fleet})
    (sym,) = survey_shells(scenario, symmetry=True)
    (ref,) = survey_shells(scenario, symmetry=False)
    assert sym.shifted is not None and ref.shifted is None
    a, b = ref.passage_columns(), sym.passage_columns()
    assert np.array_equal(a["track"], b["track"]) and np.array_equal(a["truncated"], b["truncated"])
    for name in PASSAGE_COLUMNS[:-1]:
        assert np.nanmax(np.abs(a[name] - b[name])) < CROSSING_TOL_S
    ca, cb = shell_capacity(scenario, ref).summary(), shell_capacity(scenario, sym).summary()
    assert abs(float(cb["gpu_hours_deliverable"]) / float(ca["gpu_hours_deliverable"]) - 1.0) < REL_TOL
    assert abs(float(cb["energy_harvested_mwh"]) / float(ca["energy_harvested_mwh"]) - 1.0) < REL_TOL
    assert abs(float(cb["radiator_mean_c"]) - float(ca["radiator_mean_c"])) < TEMP_TOL_K
    assert abs(float(cb["radiator_peak_c"]) - float(ca["radiator_peak_c"])) < TEMP_TOL_K
