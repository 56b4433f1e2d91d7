"""``Scenario.replace``: one field changed by its path, validated as a file with that change would be; bad paths
and values name the path and what is allowed; the original scenario never changes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orbitgrid.scenario import ScenarioError, load_scenario, resolved_scenario_dict
from orbitgrid.scenario.sweep import PathError, split_path


def test_bracket_path_changes_one_field_and_leaves_the_original(base: dict[str, Any], write_yaml: Callable) -> None:
    sc = load_scenario(write_yaml(base))
    before = resolved_scenario_dict(sc)
    new = sc.replace(**{"fleet.shells[1].orbit.altitude_km": 600})
    assert new.fleet.shells[1].orbit.altitude_km == 600.0
    assert resolved_scenario_dict(sc) == before
    after = resolved_scenario_dict(new)
    after["fleet"]["shells"][1]["orbit"]["altitude_km"] = before["fleet"]["shells"][1]["orbit"]["altitude_km"]
    assert after == before  # nothing else moved


def test_dotted_name_and_index_forms_address_the_same_field(base: dict[str, Any], write_yaml: Callable) -> None:
    sc = load_scenario(write_yaml(base))
    forms = [
        "fleet.shells[1].orbit.altitude_km",
        "fleet.shells.1.orbit.altitude_km",
        "fleet.shells.walker.orbit.altitude_km",
        "fleet.shells['walker'].orbit.altitude_km",
    ]
    changed = [resolved_scenario_dict(sc.replace({form: 720})) for form in forms]
    assert all(c == changed[0] for c in changed)
    assert changed[0]["fleet"]["shells"][1]["orbit"]["altitude_km"] == 720.0


def test_nested_mapping_is_merged_and_a_new_type_replaces_the_block(base: dict[str, Any], write_yaml: Callable) -> None:
    sc = load_scenario(write_yaml(base))
    assert sc.policy.power_aware is True
    new = sc.replace(policy={"power_aware": False}, seed=11, duration="1h")
    assert (new.policy.power_aware, new.policy.name, new.seed, new.duration_s) == (False, sc.policy.name, 11, 3600.0)
    walker = {"type": "walker_star", "altitude_km": 800, "inclination_deg": 86.4, "total": 6, "planes": 2}
    star = sc.replace({"fleet.shells[0].orbit": walker}).fleet.shells[0].orbit
    assert (star.type, star.altitude_km, star.total) == ("walker_star", 800.0, 6)
    # the same type: merged, so ltan_hours, planes and per_plane stay
    sso = sc.replace({"fleet.shells[0].orbit": {"type": "sun_synchronous", "altitude_km": 700}}).fleet.shells[0].orbit
    assert (sso.altitude_km, sso.ltan_hours, sso.planes, sso.per_plane) == (700.0, 18.0, 2, 10)


@pytest.mark.parametrize(
    ("changes", "path", "says"),
    [
        ({"fleet.shells[1].orbit.altitude_km": 90}, "fleet.shells[1].orbit.altitude_km", "must be between 160 and"),
        ({"fleet.shells[4].orbit.altitude_km": 600}, "fleet.shells[4].orbit.altitude_km", "index 4 is out of range"),
        ({"fleet.shells[0].orbt": 1}, "fleet.shells[0].orbt", "allowed: design, name, orbit"),
        ({"policy": {"powr": True}}, "policy.powr", "unknown field; allowed: name, power_aware"),
        ({"seed": -1}, "seed", "must be at least 0"),
        ({"step": "7min"}, "duration", "whole number of steps"),
        ({"fleet.shells[0].design": "nope"}, "fleet.shells[0].design", "unknown design 'nope'; known designs:"),
        ({"fleet.shells[": 1}, "fleet.shells[", "is not a dotted path"),
    ],
)
def test_bad_path_or_value_names_the_path_and_what_is_allowed(
    base: dict[str, Any], write_yaml: Callable, changes: dict[str, Any], path: str, says: str
) -> None:
    sc = load_scenario(write_yaml(base))
    with pytest.raises(ScenarioError) as err:
        sc.replace(changes)
    assert [p.path for p in err.value.problems] == [path]
    assert says in err.value.problems[0].message
    assert str(err.value).startswith(f"{path}: ")


def test_every_bad_path_is_reported_at_once(base: dict[str, Any], write_yaml: Callable) -> None:
    sc = load_scenario(write_yaml(base))
    with pytest.raises(ScenarioError) as err:
        sc.replace({"nope": 1, "fleet.shells[9].name": "x", "seed": 3})
    assert [p.path for p in err.value.problems] == ["nope", "fleet.shells[9].name"]


def test_relative_element_file_survives_replace_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference_data: Path
) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(reference_data / "tle_starlink" / "starlink_20230718_first10.tle", folder / "sats.tle")
    (folder / "s.yaml").write_text(
        "schema_version: 1\nname: el\nepoch: 2023-07-18T12:00:00Z\nduration: 1h\nstep: 60s\n"
        "fleet:\n  shells:\n    - {name: sl, orbit: {type: elements, file: sats.tle}, design: compute-sat}\n",
        encoding="utf-8",
    )
    sc = load_scenario(folder / "s.yaml")
    monkeypatch.chdir(tmp_path)
    new = sc.replace(seed=5)
    assert new.fleet.shells[0].orbit.file == (folder / "sats.tle").resolve()
    assert new.fleet.shells[0].orbit.n_satellites == sc.fleet.shells[0].orbit.n_satellites == 10


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("fleet.shells[1].orbit.altitude_km", ["fleet", "shells", "1", "orbit", "altitude_km"]),
        ("fleet.shells.0.orbit", ["fleet", "shells", "0", "orbit"]),
        ("fleet.shells['a.b'].design", ["fleet", "shells", "a.b", "design"]),
        ('x["k"][2]', ["x", "k", "2"]),
    ],
)
def test_split_path(path: str, parts: list[str]) -> None:
    assert split_path(path) == parts


@pytest.mark.parametrize("path", ["", "a.", ".a", "a..b", "[0]", "a[0]b", "a[", "a[]", "a.[0]"])
def test_split_path_refuses_what_is_not_a_path(path: str) -> None:
    with pytest.raises(PathError, match="is not a dotted path"):
        split_path(path)
