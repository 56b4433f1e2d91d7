"""The co-location closed form against the conjunction screener (``orbitgrid conjunctions``: sampled states refined
between steps, written independently of it): over one nodal period, the screener's exact minimum separation within
and between shells that share an altitude and inclination equals the closed form's closest approach."""

from __future__ import annotations

import pytest

from orbitgrid.astro.colocation import find_colocations
from orbitgrid.astro.j2 import nodal_period_s
from orbitgrid.pipeline.conjunctions import MIN_SEPARATION_HORIZON_M, screen_scenario
from orbitgrid.scenario import load_scenario_text
from orbitgrid.scenario.colocation import shell_layouts

# starlink-gen1's 70 deg shell at its old phasing 1 (2.5 km), and its two 560 km polar shells as they fly now
SCENARIO = """\
schema_version: 1
name: screen-check
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
fleet:
  shells:
    - name: w70
      orbit: {type: walker_delta, altitude_km: 570, inclination_deg: 70.0, total: 720, planes: 36, phasing: 1}
      design: starlink-v2-mini-compute
    - name: polar-a
      orbit: {type: walker_delta, altitude_km: 560, inclination_deg: 97.6, total: 348, planes: 6, phasing: 1}
      design: starlink-v2-mini-compute
    - name: polar-b
      orbit: {type: walker_delta, altitude_km: 560, inclination_deg: 97.6, total: 172, planes: 4, phasing: 0,
              raan_deg: 7.5}
      design: starlink-v2-mini-compute
"""


def test_the_screeners_minimum_separations_are_the_closed_forms() -> None:
    sc = load_scenario_text(SCENARIO)
    layouts, _ = shell_layouts(sc)
    # the relative geometry repeats every nodal period: one period (and a margin) holds every closest approach
    period_s = max(float(nodal_period_s(lay.pattern.semi_major_axis_m, lay.pattern.inclination_rad)) for lay in layouts)
    study = screen_scenario(sc, duration_s=1.05 * period_s, step_s=10.0)
    closed = {(c.first, c.second): c.min_distance_m for c in find_colocations(layouts, close_approach_m=1e9)}
    assert set(closed) == {(0, 0), (1, 1), (1, 2), (2, 2)}  # w70 flies another altitude: not compared with the others
    for (i, j), d in closed.items():
        screened = study.min_sep_m[i, j]
        if d > MIN_SEPARATION_HORIZON_M:
            assert screened == float("inf")  # the screener reports only that it is above its 50 km horizon
        else:
            assert screened == pytest.approx(d, abs=1.0)  # metres
    assert closed[(0, 0)] == pytest.approx(2_492.6, abs=0.1) and closed[(1, 2)] == pytest.approx(585.4, abs=0.1)
