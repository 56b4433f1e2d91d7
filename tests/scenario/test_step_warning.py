"""A step too coarse for a shell's shadow passages is a warning naming the beta angles whose passages it can miss.

The survey classifies sunlight at the grid instants and refines boundaries between them; a passage shorter than a
step can fall between two instants. Measured before this warning existed: one 550 km, 53 deg satellite over 10 days
gave 15.00 eclipses a day of at most 35.4 min at steps of 60 s, 10 min and 30 min, and 8.60 a day of up to 83.2 min
at 1 h (passages merged and missed), with no word said.
"""

from __future__ import annotations

import math

import pytest

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2
from orbitgrid.scenario import load_scenario_text

SCENARIO = """\
schema_version: 1
name: steps
epoch: 2027-06-21T00:00:00Z
duration: {duration}
step: {step}
fleet:
  shells:
    - {{name: s, orbit: {{type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 1, planes: 1, phasing: 0}},
       design: compute-sat}}
"""


def _step_warnings(step: str, duration: str = "1d") -> list[str]:
    sc = load_scenario_text(SCENARIO.format(step=step, duration=duration))
    return [p.message for p in sc.warnings if p.path == "step"]


def test_the_longest_passage_and_the_beta_angle_by_hand() -> None:
    # 550 km: a = 6,928.137 km, T = 2 pi sqrt(a^3 / mu) = 5,739.0 s = 95.65 min; rho = asin(R / a) = 67.02 deg;
    # the longest passage T rho / pi = 35.6 min; a quarter of it is 534 s.
    a = EARTH_EQUATORIAL_RADIUS_M + 550e3
    period = 2 * math.pi * math.sqrt(a**3 / EARTH_MU_M3_S2)
    rho = math.asin(EARTH_EQUATORIAL_RADIUS_M / a)
    assert period / 60 == pytest.approx(95.65, abs=0.01) and math.degrees(rho) == pytest.approx(67.02, abs=0.01)
    assert _step_warnings("60s") == [] and _step_warnings("8min") == []
    (ten,) = _step_warnings("10min")
    # a 600 s step covers pi x 600 / T = 18.8 deg of the orbit either side: passages at beta above
    # acos(cos 67.0 / cos 18.8) = 65.6 deg are shorter than a step
    beta = math.degrees(math.acos(math.cos(rho) / math.cos(math.pi * 600 / period)))
    assert f"passages at beta angles above {beta:.1f} deg (critical 67.0 deg)" in ten
    assert "(35.6 min of a 95.6 min orbit)" in ten and "at most 534 s" in ten
    (hour,) = _step_warnings("1h", "2d")
    assert "a passage at any beta angle can fall between two steps" in hour


def test_an_element_shell_is_judged_by_its_lowest_orbit(reference_data) -> None:  # type: ignore[no-untyped-def]
    text = SCENARIO.replace(
        "{{type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 1, planes: 1, phasing: 0}}",
        "{{type: elements, file: " + str(reference_data / "tle_starlink" / "starlink_20260224_1413Z_slice.tle") + "}}",
    )
    sc = load_scenario_text(text.format(step="30min", duration="1d").replace("2027-06-21", "2026-02-24"))
    (w,) = [p.message for p in sc.warnings if p.path == "step"]
    assert "of shell 's'" in w and "min orbit" in w


def test_an_element_shell_is_judged_by_its_shortest_longest_passage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The longest passage is not shortest on the lowest orbit: 37.3 min at 200 km, 34.8 min at 1,500 km (the period
    grows faster than the Earth's angular radius shrinks). A 550 s step is within a quarter of the 200 km passage
    (559 s) and beyond a quarter of the 1,500 km one (522 s): a catalogue holding both must be warned about."""
    import json

    def omm(norad: int, altitude_km: float) -> dict[str, object]:
        a = EARTH_EQUATORIAL_RADIUS_M + altitude_km * 1e3
        rev_per_day = math.sqrt(EARTH_MU_M3_S2 / a**3) * 86400.0 / (2.0 * math.pi)
        return {
            "OBJECT_NAME": f"SAT-{norad}",
            "EPOCH": "2027-06-21T00:00:00",
            "NORAD_CAT_ID": norad,
            "MEAN_MOTION": rev_per_day,
            "ECCENTRICITY": 0.0001,
            "INCLINATION": 53.0,
            "RA_OF_ASC_NODE": 10.0,
            "ARG_OF_PERICENTER": 0.0,
            "MEAN_ANOMALY": 0.0,
            "BSTAR": 0.0,
            "MEAN_MOTION_DOT": 0.0,
            "MEAN_MOTION_DDOT": 0.0,
        }

    path = tmp_path / "sats.json"
    path.write_text(json.dumps([omm(90001, 200.0), omm(90002, 1500.0)]))
    text = SCENARIO.replace(
        "{{type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 1, planes: 1, phasing: 0}}",
        "{{type: elements, file: " + str(path) + "}}",
    )
    sc = load_scenario_text(text.format(step="550s", duration="88000s"))  # 160 steps
    (w,) = [p.message for p in sc.warnings if p.path == "step"]
    assert "(34.8 min of a " in w  # the 1,500 km set (the 200 km one: 37.3 min)
