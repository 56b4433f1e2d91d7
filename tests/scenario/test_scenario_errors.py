"""Malformed scenarios: every problem is reported, with its path and a plain message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orbitgrid.scenario import Problem, Scenario, ScenarioError, load_scenario, load_scenario_text

WriteYaml = Callable[..., Path]


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def only_problem(path: Path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_base_loads(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    s = load_scenario(write_yaml(base))
    assert [shell.name for shell in s.shells] == ["sso", "walker"]


def test_altitude_90_message_is_exact(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"][1]["orbit"]["altitude_km"] = 90
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(base))
    assert str(info.value) == "fleet.shells[1].orbit.altitude_km: must be between 160 and 40000, got 90"
    assert isinstance(info.value, ValueError)


def test_negative_altitude(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"][0]["orbit"]["altitude_km"] = -5.5
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells[0].orbit.altitude_km", "must be between 160 and 40000, got -5.5"
    )


def test_missing_field(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    del base["fleet"]["shells"][1]["orbit"]["inclination_deg"]
    del base["epoch"]
    assert problems_of(write_yaml(base)) == [
        Problem("epoch", "required field is missing"),
        Problem("fleet.shells[1].orbit.inclination_deg", "required field is missing"),
    ]


@pytest.mark.parametrize(
    ("where", "value", "path", "message"),
    [
        (("seed",), "seven", "seed", "must be an integer, got 'seven'"),
        (("seed",), 1.5, "seed", "must be an integer, got 1.5"),
        (
            ("fleet", "shells", 0, "orbit", "planes"),
            "4",
            "fleet.shells[0].orbit.planes",
            "must be an integer, got '4'",
        ),
        (
            ("fleet", "shells", 1, "orbit", "altitude_km"),
            "550",
            "fleet.shells[1].orbit.altitude_km",
            "must be a number, got '550'",
        ),
        (("fleet", "shells"), {"a": 1}, "fleet.shells", "must be a list, got a mapping"),
        (("fleet",), [1, 2], "fleet", "must be a mapping (key: value), got a list"),
        (("name",), 12, "name", "must be a string, got 12"),
        (("schema_version",), 2, "schema_version", "must be 1, got 2"),
    ],
)
def test_wrong_types_and_values(
    base: dict[str, Any], write_yaml: WriteYaml, where: tuple[Any, ...], value: Any, path: str, message: str
) -> None:
    target: Any = base
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    assert only_problem(write_yaml(base)) == Problem(path, message)


def test_unknown_key_top_level(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["epoc"] = "2027-01-01T00:00:00Z"
    assert only_problem(write_yaml(base)) == Problem(
        "epoc",
        "unknown field; allowed: schema_version, name, description, epoch, duration, step, seed, designs, fleet, "
        "tenants, workloads, policy, economics, environment, network",
    )


def test_unknown_key_nested(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    shell = base["fleet"]["shells"][0]
    shell["orbitt"] = shell.pop("orbit")
    assert problems_of(write_yaml(base)) == [
        Problem("fleet.shells[0].orbit", "required field is missing"),
        Problem("fleet.shells[0].orbitt", "unknown field; allowed: name, orbit, design"),
    ]


def test_unknown_key_inside_an_orbit_has_no_union_tag_in_its_path(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"][1]["orbit"]["eccentricity"] = 0.01
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells[1].orbit.eccentricity",
        "unknown field; allowed: type, altitude_km, inclination_deg, total, planes, phasing, raan_deg",
    )


def test_unknown_orbit_type(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"][0]["orbit"]["type"] = "molniya"
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells[0].orbit.type",
        "unknown type 'molniya'; allowed: walker_delta, walker_star, sun_synchronous, formation, elements",
    )


def test_unknown_gpu_lists_the_allowed_ones(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["designs"] = {
        "mine": {
            "payload": {"gpu": "MI300X", "gpus": 8},
            "solar_array": {"area_m2": 100, "cell_efficiency": 0.3, "packing_factor": 0.9},
            "battery": {"capacity_wh": 1000},
            "radiator": {"area_m2": 10, "emissivity": 0.9, "solar_absorptivity": 0.2},
        }
    }
    assert only_problem(write_yaml(base)) == Problem(
        "designs.mine.payload.gpu",
        "unknown GPU model 'MI300X'; allowed: H100, H200, B200, GB200, TPU-v6e, A100, V100, A10, T4, P100",
    )


def test_unknown_design_lists_the_known_ones(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"][1]["design"] = "death-star"
    problem = only_problem(write_yaml(base))
    assert problem.path == "fleet.shells[1].design"
    assert problem.message.startswith("unknown design 'death-star'; known designs: compute-sat, ")
    assert "suncatcher-tpu-sat" in problem.message


def test_missing_element_file_gives_the_resolved_path(
    base: dict[str, Any], write_yaml: WriteYaml, tmp_path: Path
) -> None:
    base["fleet"]["shells"].append(
        {"name": "tle", "orbit": {"type": "elements", "file": "data/none.tle"}, "design": "compute-sat"}
    )
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells[2].orbit.file", f"element file not found: {(tmp_path / 'data' / 'none.tle').resolve()}"
    )


def test_element_file_with_a_wrong_extension(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"].append(
        {"name": "tle", "orbit": {"type": "elements", "file": "sats.omm"}, "design": "compute-sat"}
    )
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells[2].orbit.file",
        "must end in .tle, .txt, .3le, .2le, .json, .csv, .xml, .kvn (or one of them then .gz), got 'sats.omm'",
    )


def test_bad_duration_string(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["duration"] = "two days"
    problem = only_problem(write_yaml(base))
    assert problem.path == "duration"
    assert problem.message.startswith("'two days' is not a duration")


def test_duration_not_a_multiple_of_step(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["duration"] = "1h30s"
    base["step"] = "60s"
    assert only_problem(write_yaml(base)) == Problem(
        "duration", "must be a whole number of steps of 60 s, got 3630 s (60.5 steps)"
    )


def test_bad_yaml_syntax_gives_line_and_column(write_yaml: WriteYaml) -> None:
    path = write_yaml("schema_version: 1\nname: x\nfleet:\n  shells: [\n    {name: a\n")
    problem = only_problem(path)
    assert problem.path == ""
    assert problem.message.startswith("invalid YAML at line ")
    assert ", column " in problem.message


def test_duplicate_yaml_key(write_yaml: WriteYaml) -> None:
    problem = only_problem(write_yaml("schema_version: 1\nname: a\nname: b\n"))
    assert problem.message == "invalid YAML at line 3, column 1: duplicate key 'name' (first at line 2)"


def test_not_a_mapping_and_empty(write_yaml: WriteYaml) -> None:
    assert only_problem(write_yaml("- 1\n- 2\n")).message.endswith("got a list")
    assert only_problem(write_yaml("", "empty.yaml")).message == "the scenario is empty"


def test_missing_file(tmp_path: Path) -> None:
    assert only_problem(tmp_path / "nope.yaml") == Problem("", f"scenario file not found: {tmp_path / 'nope.yaml'}")


def test_naive_epoch_is_rejected(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    path = write_yaml(base)
    path.write_text(path.read_text().replace("'2027-03-20T00:00:00Z'", "2027-03-20T00:00:00"))
    problem = only_problem(path)
    assert problem.path == "epoch"
    assert problem.message.startswith("must include a timezone")


def test_pattern_checks(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    walker = base["fleet"]["shells"][1]["orbit"]
    walker.update(total=41, phasing=4)
    sso = base["fleet"]["shells"][0]["orbit"]
    sso.update(altitude_km=8000, ltan_hours=24)
    base["fleet"]["shells"].append(
        {
            "name": "f",
            "orbit": {
                "type": "formation",
                "altitude_km": 650,
                "ltan_hours": 6,
                "clusters": 5,
                "per_cluster": 81,
                "radius_km": 0,
                "planes": 2,
            },
            "design": "compute-sat",
        }
    )
    assert problems_of(write_yaml(base)) == [
        Problem("fleet.shells[0].orbit.ltan_hours", "must be at least 0 and less than 24, got 24"),
        Problem("fleet.shells[0].orbit.altitude_km", "no sun-synchronous orbit exists above 5974 km, got 8000"),
        Problem("fleet.shells[1].orbit.total", "must be divisible by planes (4), got 41"),
        Problem("fleet.shells[1].orbit.phasing", "must be less than planes (4), got 4"),
        Problem("fleet.shells[2].orbit.radius_km", "must be greater than 0 and at most 100, got 0"),
        Problem("fleet.shells[2].orbit.clusters", "must be divisible by planes (2), got 5"),
    ]


def test_duplicate_names_and_empty_fleet(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["shells"][1]["name"] = "sso"
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells[1].name", "duplicate name 'sso', first used by entry [0]"
    )
    base["fleet"] = {"shells": [], "ground_sites": []}
    assert only_problem(write_yaml(base)) == Problem(
        "fleet.shells", "the fleet is empty: add at least one shell or ground site"
    )


def test_ground_site_checks(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["ground_sites"] = [
        {
            "name": "g",
            "lat_deg": 95,
            "lon_deg": 0,
            "gpus": {"H100": 8, "MI300X": 8},
            "grid_power_mw": 0,
            "pue": 0.9,
        }
    ]
    assert problems_of(write_yaml(base)) == [
        Problem("fleet.ground_sites[0].lat_deg", "must be between -90 and 90, got 95"),
        Problem(
            "fleet.ground_sites[0].gpus",
            "unknown GPU model 'MI300X'; allowed: H100, H200, B200, GB200, TPU-v6e, A100, V100, A10, T4, P100",
        ),
        Problem("fleet.ground_sites[0].grid_power_mw", "must be greater than 0, got 0"),
        Problem("fleet.ground_sites[0].pue", "must be between 1 and 3, got 0.9"),
    ]


def test_several_problems_are_all_reported(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["schema_version"] = 3
    base["bogus"] = True
    base["duration"] = "90s"
    base["fleet"]["shells"][0]["orbit"]["per_plane"] = 0
    base["fleet"]["shells"][1]["orbit"]["altitude_km"] = 90
    base["fleet"]["shells"][1]["design"] = "nope"
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(base))
    got = {(p.path, p.message.split(";")[0]) for p in info.value.problems}
    assert got == {
        ("schema_version", "must be 1, got 3"),
        ("bogus", "unknown field"),
        ("duration", "must be a whole number of steps of 60 s, got 90 s (1.5 steps)"),
        ("fleet.shells[0].orbit.per_plane", "must be at least 1, got 0"),
        ("fleet.shells[1].orbit.altitude_km", "must be between 160 and 40000, got 90"),
        ("fleet.shells[1].design", "unknown design 'nope'"),
    }
    assert len(str(info.value).splitlines()) == len(info.value.problems) == 6
    assert "walker_delta" not in str(info.value)


def test_model_validate_reports_the_same_way(base: dict[str, Any]) -> None:
    from pydantic import ValidationError

    base["fleet"]["shells"][1]["orbit"]["altitude_km"] = 90
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(base)
    (err,) = info.value.errors()
    assert err["loc"] == ("fleet", "shells", 1, "orbit", "altitude_km")
    assert err["msg"] == "must be between 160 and 40000, got 90"


def test_load_scenario_text_without_a_file(base: dict[str, Any]) -> None:
    import yaml

    s = load_scenario_text(yaml.safe_dump(base))
    assert s.source_dir == Path.cwd().resolve()
    with pytest.raises(ScenarioError):
        load_scenario_text("name: [")
