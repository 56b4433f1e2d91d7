"""Step-averaged sunlight rebuilt from passages, against the exact illuminated fraction sampled at 1 s."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from orbitgrid.astro import constellations as con
from orbitgrid.astro import eclipse, j2
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.survey import sun_on_grid_m, survey_circular
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.illumination import step_lit_fraction

EPOCH = dt.datetime(2027, 6, 21, tzinfo=dt.UTC)  # solstice: the dawn-dusk shell has slanted passages


@pytest.fixture(scope="module")
def cases():
    grid = TimeGrid.from_duration(EPOCH, 6 * 3600.0, 60.0)
    sun = sun_on_grid_m(grid)
    shells = {
        "walker": con.walker(550e3, math.radians(53.0), 6, 3, 1),
        "polar": con.walker(560e3, math.radians(97.6), 6, 6, 1),
    }
    out = {}
    for name, orbits in shells.items():
        s = survey_circular(orbits, grid, sun)
        lit = step_lit_fraction(s, grid.step_s, grid.n_steps)
        t = np.arange(0.0, grid.duration_s, 1.0) + 0.5  # midpoints of 1 s cells
        r = j2.positions_teme_m(
            orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, orbits.arg_latitude_rad, t
        )
        f = eclipse.illuminated_fraction(r, sun_position_teme_m(grid.jd_tt(t))[None])
        exact = f.reshape(len(orbits), grid.n_steps, 60).mean(axis=2)
        out[name] = (s, lit, exact, grid)
    return out


@pytest.mark.parametrize("name", ["walker", "polar"])
def test_step_means_match_the_exact_fraction(cases, name: str) -> None:
    _s, lit, exact, _grid = cases[name]
    err = np.abs(lit - exact)
    # Only steps holding a penumbral crossing can differ, by at most the penumbra's duration over the step:
    # measured max 0.017 (walker) and 0.038 (polar, slanted crossings), in 0.6 % and 0.4 % of the steps.
    print(f"{name}: max |step mean - exact| {err.max():.4f}; steps off by > 1e-3: {np.mean(err > 1e-3):.4f}")
    assert err.max() < 0.08
    assert np.mean(err > 1e-3) < 0.02


@pytest.mark.parametrize("name", ["walker", "polar"])
def test_energy_is_conserved(cases, name: str) -> None:
    s, lit, exact, grid = cases[name]
    lit_s = lit.sum(axis=1) * grid.step_s
    np.testing.assert_allclose(lit_s, s.sunlit_fraction * grid.duration_s, rtol=0, atol=1e-6)
    # and against the exact fraction, within the survey's hidden-time accuracy (< 0.05 s per passage, 4 passages)
    off = np.abs(lit_s - exact.sum(axis=1) * grid.step_s).max()
    print(f"{name}: sunlit seconds vs exact: {off:.4f} s")
    assert off < 0.1  # measured 0.020 s (walker), 0.045 s (polar)
