"""Body-fixed solar arrays: the incidence factor is |sin beta| (checked against Skyfield and by hand), a dawn-dusk
shell barely notices it, a 53 deg shell loses about half its harvest, and the pipeline carries it everywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import warnings

import numpy as np
import pytest

from orbitgrid.astro import constellations as con
from orbitgrid.astro.constants import AU_M
from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.frames import gmst_rad
from orbitgrid.astro.j2 import positions_teme_m, secular_rates
from orbitgrid.astro.survey import sun_on_grid_m, survey_circular
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.illumination import step_lit_fraction
from orbitgrid.fleet.kernel import simulate_survey_tracks_fast
from orbitgrid.fleet.orbital import (
    SECONDS_PER_YEAR,
    ArrayIncidence,
    body_fixed_incidence_circular,
    body_fixed_incidence_elements,
    simulate_tracks,
    step_midpoints_s,
)
from orbitgrid.pipeline.capacity import design_spec
from orbitgrid.scenario.catalog import designs
from orbitgrid.spacecraft.power import time_degradation_factor

EQUINOX = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
EPOCHS = (EQUINOX, dt.datetime(2027, 6, 21, 6, tzinfo=dt.UTC), dt.datetime(2027, 12, 21, 17, tzinfo=dt.UTC))
# One public Starlink element set (CelesTrak), as in tests/astro/test_elements.py.
STARLINK = (
    "1 44714U 19074B   26054.54089312  .00000969  00000+0  43797-4 0  9997",
    "2 44714  53.1568 244.5638 0001273  95.0474 265.0672 15.31036083346702",
)


def _grid(epoch: dt.datetime, hours: float = 24.0) -> TimeGrid:
    return TimeGrid.from_duration(epoch, hours * 3600.0, 60.0)


def _sso(grid: TimeGrid, planes: int = 2, per_plane: int = 6) -> con.CircularOrbits:
    jd, fr = grid.epoch_jd
    gmst0 = float(gmst_rad(np.array(jd), np.array(fr)))
    return con.sun_synchronous(650e3, 18.0, planes, per_plane, gmst0, fr * 24.0, raan_spread_hours=1.0)


@pytest.fixture(scope="module")
def de421():
    skyfield_data = pytest.importorskip("skyfield_data")
    from skyfield.api import Loader

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The file .* has expired", category=RuntimeWarning)
        eph = Loader(skyfield_data.get_skyfield_data_path())("de421.bsp")
    yield eph
    eph.close()


def _skyfield_sun_teme(eph, grid: TimeGrid, t_s: np.ndarray) -> np.ndarray:
    from skyfield.api import load
    from skyfield.sgp4lib import TEME

    e = grid.epoch
    t = load.timescale(builtin=True).utc(e.year, e.month, e.day, e.hour, e.minute, e.second + t_s)
    return (eph["sun"] - eph["earth"]).at(t).frame_xyz(TEME).m.T


@pytest.mark.parametrize("epoch", EPOCHS, ids=lambda e: e.date().isoformat())
def test_circular_incidence_is_abs_sin_beta_against_skyfield(de421, epoch: dt.datetime) -> None:
    """|h . s| with the Sun from DE421 (Skyfield) and the orbit normal from ``r x v`` of the J2 states.

    Tolerance 1e-4 in the cosine: the analytic Sun is within 0.0035 deg of DE421 (test_sun_skyfield), 6e-5 in a
    cosine.
    """
    grid = _grid(epoch)
    orbits = con.CircularOrbits.concatenate([_sso(grid), con.walker(550e3, math.radians(53.0), 24, 6, 1)])
    inc = body_fixed_incidence_circular(orbits, grid)
    assert inc.cos.shape == (2 + 6, grid.n_steps)  # one row per plane
    steps = np.array([0, 517, 1439])
    t_mid = step_midpoints_s(grid)[steps]
    sun = _skyfield_sun_teme(de421, grid, t_mid)
    r, v = positions_teme_m(
        orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, orbits.arg_latitude_rad, t_mid, True
    )
    # the plane's normal is r x (in-plane velocity): take out the node's turning, dW/dt z x r, which leans r x v
    # off the normal by (dW/dt) / (du/dt) ~ 8e-4 rad at 53 deg
    raan_dot = secular_rates(orbits.semi_major_axis_m, orbits.inclination_rad)[0]
    z_cross_r = np.stack([-r[..., 1], r[..., 0], np.zeros_like(r[..., 0])], axis=-1)
    h = np.cross(r, v - raan_dot[:, None, None] * z_cross_r)
    by_hand = np.abs(np.einsum("nki,ki->nk", h, sun)) / (np.linalg.norm(h, axis=-1) * np.linalg.norm(sun, axis=-1))
    np.testing.assert_allclose(inc.per_track()[:, steps], by_hand, rtol=0.0, atol=1e-4)


def test_element_incidence_against_skyfield_sgp4_in_gcrs(de421) -> None:
    """The element-set path (SGP4 ``r x v`` every 10 min, interpolated) against Skyfield's own SGP4 satellite and
    DE421 Sun, both in GCRS: the cosine is a dot product of unit vectors, the same in any frame. Tolerance 2e-3:
    the osculating normal wobbles by hundredths of a degree within an orbit, and interpolation and the analytic
    Sun add < 1e-3 (module constant ``NORMAL_SAMPLE_S``)."""
    from skyfield.api import EarthSatellite, load

    grid = _grid(dt.datetime(2026, 2, 24, tzinfo=dt.UTC))
    inc = body_fixed_incidence_elements(ElementSet.from_tle_text("\n".join(STARLINK) + "\n"), grid)
    steps = np.arange(3, grid.n_steps, 97)
    t_mid = step_midpoints_s(grid)[steps]
    ts = load.timescale(builtin=True)
    t = ts.utc(2026, 2, 24, 0, 0, t_mid)
    sat = EarthSatellite(*STARLINK, ts=ts).at(t)
    h = np.cross(sat.position.m.T, sat.velocity.m_per_s.T)
    sun = (de421["sun"] - de421["earth"]).at(t).position.m.T
    expect = np.abs(np.einsum("ki,ki->k", h, sun)) / (np.linalg.norm(h, axis=-1) * np.linalg.norm(sun, axis=-1))
    np.testing.assert_allclose(inc.cos[0, steps], expect, rtol=0.0, atol=2e-3)
    assert inc.cos.shape == (1, grid.n_steps) and inc.row.tolist() == [0]


def test_beta_of_a_53_deg_shell_moves_by_degrees_a_day_and_its_mean_is_two_over_pi_sin_i() -> None:
    """Per plane, |sin beta| changes along the day (the node regresses ~5 deg/day, the Sun moves ~1 deg/day); over
    72 planes spread in node at the equinox (Sun declination ~0), sin beta = sin i sin(W - a) averages to
    (2/pi) sin i over the shell, within 0.01 (the Sun's declination is < 0.5 deg over the day)."""
    grid = _grid(EQUINOX)
    inc = body_fixed_incidence_circular(con.walker(550e3, math.radians(53.0), 72, 72, 1), grid)
    beta = np.degrees(np.arcsin(inc.cos))
    assert np.max(np.abs(beta[:, -1] - beta[:, 0])) > 3.0
    assert float(inc.cos.mean()) == pytest.approx(2.0 / math.pi * math.sin(math.radians(53.0)), abs=0.01)


@pytest.fixture(scope="module")
def shells():
    """A dawn-dusk shell and a 53 deg shell surveyed over a day at the equinox."""
    grid = _grid(EQUINOX)
    sun = sun_on_grid_m(grid)
    out = {}
    for name, orbits in (("sso", _sso(grid, 4, 5)), ("walker53", con.walker(550e3, math.radians(53.0), 48, 12, 1))):
        out[name] = (orbits, survey_circular(orbits, grid, sun))
    return grid, out


def _run(spec, grid, orbits, survey, incidence):
    alt = orbits.semi_major_axis_m - 6378137.0
    return simulate_survey_tracks_fast(
        spec, survey, grid.n_steps, np.full(grid.n_steps, AU_M), alt, grid.step_s, incidence=incidence
    )


@pytest.mark.parametrize("design", ["compute-sat", "starlink-v2-mini-compute"])
def test_dawn_dusk_shell_keeps_its_power_and_53_deg_shell_loses_the_mean_abs_sin_beta(shells, design: str) -> None:
    grid, data = shells
    tracking = design_spec(designs()[design])
    fixed = dataclasses.replace(tracking, tracking="body_fixed")
    result = {}
    for name, (orbits, survey) in data.items():
        inc = body_fixed_incidence_circular(orbits, grid)
        a = _run(tracking, grid, orbits, survey, None)
        b = _run(fixed, grid, orbits, survey, inc)
        # harvested energy is the conditioned array output (curtailment is counted after it), so its ratio is the
        # mean cosine weighted by lit fraction and the array's age over the day, to round-off
        lit = step_lit_fraction(survey, grid.step_s, grid.n_steps)
        age = time_degradation_factor(step_midpoints_s(grid) / SECONDS_PER_YEAR, tracking.degradation_per_year)
        w = lit * age[None, :]
        assert b.harvested_wh.sum() / a.harvested_wh.sum() == pytest.approx(
            np.sum(w * inc.per_track()) / np.sum(w), rel=1e-12
        )
        weighted = float(np.sum(lit * inc.per_track()) / np.sum(lit))
        assert np.abs(b.energy_closure_wh).max() <= 1e-9 * b.harvested_wh.max()
        result[name] = (a, b, weighted, float(inc.cos.mean()))
    a, b, weighted, _ = result["sso"]
    # dawn-dusk at the equinox: beta ~ 82 deg, |sin beta| ~ 0.99; both harvest and compute within 2 %
    assert weighted > 0.98
    assert b.gpu_hours.sum() >= 0.98 * a.gpu_hours.sum()
    a, b, weighted, mean_cos = result["walker53"]
    # 53 deg: |sin beta| averages ~(2/pi) sin 53 deg ~ 0.51 over the planes; lit steps weight the high-beta
    # planes a little more (they spend less time in shadow)
    assert 0.45 < mean_cos < 0.57 and mean_cos <= weighted < 0.65
    assert b.gpu_hours.sum() < 0.85 * a.gpu_hours.sum()


def test_a_body_fixed_design_needs_its_incidence(shells) -> None:
    grid, data = shells
    orbits, survey = data["sso"]
    fixed = dataclasses.replace(design_spec(designs()["compute-sat"]), tracking="body_fixed")
    with pytest.raises(ValueError, match="body_fixed array needs"):
        _run(fixed, grid, orbits, survey, None)
    lit = step_lit_fraction(survey, grid.step_s, grid.n_steps)
    with pytest.raises(ValueError, match="body_fixed array needs"):
        simulate_tracks(fixed, lit, np.full(grid.n_steps, AU_M), 650e3, grid.step_s)
    short = ArrayIncidence(np.ones((1, grid.n_steps - 1)), np.zeros(len(orbits), dtype=np.int64))
    with pytest.raises(ValueError, match="incidence covers"):
        _run(fixed, grid, orbits, survey, short)
    with pytest.raises(ValueError, match="within"):
        ArrayIncidence(np.full((1, 3), 1.5), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="tracking must be"):
        dataclasses.replace(fixed, tracking="gimballed")


def _scenario(tracking: str):
    """Equinox day: a dawn-dusk SSO shell and a 53 deg Walker shell, their designs with ``tracking``."""
    from orbitgrid.scenario.loader import load_scenario_text

    own = {}
    for name in ("compute-sat", "starlink-v2-mini-compute"):
        d = designs()[name].model_dump(mode="json", exclude_none=True)
        d["solar_array"]["tracking"] = tracking
        own[name] = d
    data = {
        "schema_version": 1,
        "name": f"body-fixed-{tracking}",
        "epoch": "2027-03-20T00:00:00Z",
        "duration": "24h",
        "step": "60s",
        "designs": own,
        "fleet": {
            "shells": [
                {
                    "name": "dawn-dusk",
                    "orbit": {"type": "sun_synchronous", "altitude_km": 650, "ltan_hours": 18.0, "planes": 2,
                              "per_plane": 4, "raan_spread_hours": 1.0},
                    "design": "compute-sat",
                },
                {
                    "name": "walker-53",
                    "orbit": {"type": "walker_delta", "altitude_km": 550, "inclination_deg": 53, "total": 128,
                              "planes": 4, "phasing": 1},
                    "design": "starlink-v2-mini-compute",
                },
            ]
        },
    }  # fmt: skip
    return load_scenario_text(json.dumps(data))


def test_pipeline_carries_the_body_fixed_factor_to_capacity_timeline_and_samples() -> None:
    """shell_capacity (through the shell symmetry for the Walker shell), build_fleet_timeline and sample_columns
    all step the body-fixed array: their GPU-hours agree with each other, and with the sun-tracking run as the
    incidence says."""
    from orbitgrid.pipeline.capacity import shell_capacity
    from orbitgrid.pipeline.nodes import build_fleet_timeline, sample_columns
    from orbitgrid.pipeline.orbit import survey_shells

    out = {}
    for tracking in ("sun_tracking", "body_fixed"):
        sc = _scenario(tracking)
        surveys = survey_shells(sc, symmetry=True)
        assert surveys[1].shifted is not None and surveys[0].shifted is None
        caps = [shell_capacity(sc, s, track_usable=True) for s in surveys]
        build = build_fleet_timeline(sc, surveys, caps, [])
        samples = sample_columns(sc, surveys, per_shell=1)
        out[tracking] = (caps, build, samples)
    for tracking, (caps, build, samples) in out.items():
        usable = build.timeline.usable_gpus
        lo = 0
        for c in caps:
            n = c.tracks.gpu_hours.shape[0]
            timeline_h = usable[lo : lo + n].sum() * c.step_s / 3600.0
            # the timeline steps every track's own survey, capacity the shell's time-shift symmetry: 1e-3 relative
            # is test_shell_symmetry's tolerance for GPU-hours
            assert timeline_h == pytest.approx(c.tracks.gpu_hours.sum(), rel=1e-3), (tracking, c.name)
            assert c.summary()["energy_closure_max_wh"] <= 1e-9 * max(c.tracks.harvested_wh.max(), 1.0)
            lo += n
        # the sample satellite is track 0 of each shell, stepped alone by the kernel with the shell's incidence
        for c, u in zip(caps, np.split(samples["usable_gpus"], 2), strict=True):
            np.testing.assert_allclose(u.sum() * c.step_s / 3600.0, c.tracks.gpu_hours[0], rtol=1e-3)
    track, fixed = out["sun_tracking"][0], out["body_fixed"][0]
    ratio = {
        c.name: f.tracks.harvested_wh.sum() / c.tracks.harvested_wh.sum() for c, f in zip(track, fixed, strict=True)
    }
    # dawn-dusk: beta ~ 82 deg; Walker planes at nodes 0/90/180/270 deg with the Sun near RA 0: two planes at
    # beta ~ 0 (nothing), two at |beta| ~ 53 deg (|sin beta| ~ 0.8, and longer lit): about 0.4-0.5 overall
    assert ratio["dawn-dusk"] > 0.98 and 0.35 < ratio["walker-53"] < 0.6
    assert fixed[0].tracks.gpu_hours.sum() >= 0.98 * track[0].tracks.gpu_hours.sum()
    assert fixed[1].tracks.gpu_hours.sum() < 0.85 * track[1].tracks.gpu_hours.sum()
