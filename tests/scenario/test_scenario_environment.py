"""Scenario checks tied to the radiation environment: circular shells inside the trapped-radiation table, the
solar-cycle phase and a solar particle event inside the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orbitgrid.scenario import Problem, ScenarioError, load_scenario
from orbitgrid.spacecraft.cosmic_rays import MODULATION_POTENTIAL_MV
from orbitgrid.spacecraft.radiation import SHELL_ALTITUDE_MAX_KM

WriteYaml = Callable[..., Path]


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_walker_above_the_radiation_table_is_an_error_naming_the_field(base: dict[str, Any], write_yaml) -> None:
    base["fleet"]["shells"][1]["orbit"]["altitude_km"] = 2500
    assert problems_of(write_yaml(base)) == [
        Problem(
            "fleet.shells[1].orbit.altitude_km",
            "must be at most 2100 km, the highest circular orbit inside orbitgrid's AE8/AP8 trapped-radiation table "
            "(150-2150 km geodetic), got 2500",
        )
    ]


def test_shells_up_to_the_table_top_load(base: dict[str, Any], write_yaml) -> None:
    base["fleet"]["shells"][1]["orbit"]["altitude_km"] = SHELL_ALTITUDE_MAX_KM
    base["fleet"]["shells"][0]["orbit"]["altitude_km"] = 1200
    assert load_scenario(write_yaml(base)).shells[1].orbit.altitude_km == SHELL_ALTITUDE_MAX_KM


def test_sun_synchronous_above_the_table_reports_the_table_limit_once(base: dict[str, Any], write_yaml) -> None:
    base["fleet"]["shells"][0]["orbit"]["altitude_km"] = 3000
    problems = problems_of(write_yaml(base))
    assert [p.path for p in problems] == ["fleet.shells[0].orbit.altitude_km"]
    assert problems[0].message.startswith("must be at most 2100 km")


def test_environment_defaults_and_phase(base: dict[str, Any], write_yaml) -> None:
    s = load_scenario(write_yaml(base))
    assert s.environment.solar_cycle == "minimum" and s.environment.solar_particle_event is None
    assert s.environment.phi_mv == MODULATION_POTENTIAL_MV["minimum"] == 400.0
    base["environment"] = {"solar_cycle": "maximum"}
    assert load_scenario(write_yaml(base)).environment.phi_mv == 1000.0
    base["environment"] = {"solar_cycle": "maximum", "modulation_potential_mv": 700.0}
    assert load_scenario(write_yaml(base)).environment.phi_mv == 700.0


def test_solar_particle_event_fields(base: dict[str, Any], write_yaml) -> None:
    base["environment"] = {"solar_particle_event": {"start": "2027-03-20T01:00:00Z", "duration": "2d"}}
    spe = load_scenario(write_yaml(base)).environment.solar_particle_event
    assert spe is not None and spe.event == "august_1972" and spe.duration == 172_800.0
    base["environment"] = {"solar_particle_event": {"start": "2027-03-20T01:00:00Z", "duration": "2d", "event": "x"}}
    (problem,) = problems_of(write_yaml(base))
    assert problem.path == "environment.solar_particle_event.event"


def test_solar_particle_event_outside_the_run_is_an_error(base: dict[str, Any], write_yaml) -> None:
    base["environment"] = {"solar_particle_event": {"start": "2030-01-01T00:00:00Z", "duration": "1d"}}
    (problem,) = problems_of(write_yaml(base))
    assert problem.path == "environment.solar_particle_event.start"
    assert "does not overlap the run" in problem.message


def test_the_solar_storm_example_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "solar-storm-1200km.yaml"
    s = load_scenario(example)
    spe = s.environment.solar_particle_event
    assert spe is not None and spe.duration == 12 * 3600.0 and s.environment.solar_cycle == "minimum"
    assert [sh.orbit.altitude_km for sh in s.shells] == [1200.0, 650.0]
