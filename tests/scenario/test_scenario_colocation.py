"""Co-located shells at validation: satellites that meet are an error naming both shells' paths (exit 2), close
passes and shared orbit planes a warning that ``simulate`` prints and keeps in the manifest and summary."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.scenario import ScenarioError, builtin_scenario_text, load_scenario, load_scenario_text

SHELLS = ("fleet", "shells")


def _default_with_clusters_at(altitude_km: float) -> dict[str, Any]:
    data = yaml.safe_load(builtin_scenario_text("default"))
    data["fleet"]["shells"][2]["orbit"]["altitude_km"] = altitude_km
    return data


def _load(data: dict[str, Any]) -> Any:
    return load_scenario_text(yaml.safe_dump(data))


def test_the_default_scenario_has_no_colocated_or_close_shells() -> None:
    assert load_scenario("default").warnings == []


def test_the_old_default_is_refused_naming_both_shells() -> None:
    # the formation clusters at the dawn-dusk shell's altitude and LTAN: 4 pairs met at 0 m (orbitgrid conjunctions)
    with pytest.raises(ScenarioError) as info:
        _load(_default_with_clusters_at(650))
    (problem,) = info.value.problems
    assert problem.path == "fleet.shells[2].orbit"
    assert "suncatcher-clusters and dawn-dusk-650 (fleet.shells[0].orbit) are co-located" in problem.message
    assert "4 satellite-cluster pairs meet twice every orbit" in problem.message
    assert "closest approach 0 m" in problem.message


def test_the_old_default_exits_2_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "old-default.yaml"
    path.write_text(yaml.safe_dump(_default_with_clusters_at(650)), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    err = " ".join(res.stderr.split())
    assert "fleet.shells[2].orbit: suncatcher-clusters and dawn-dusk-650 (fleet.shells[0].orbit)" in err
    assert "Traceback" not in res.output


@pytest.mark.parametrize("altitude_km", [649.5, 650.5])
def test_clusters_at_another_altitude_are_not_compared(altitude_km: float) -> None:
    # half a kilometre off: different periods, so they drift through each other: the screener's business
    assert _load(_default_with_clusters_at(altitude_km)).warnings == []


def _walker(name: str, inclination_deg: float, total: int, planes: int, phasing: int, **extra: Any) -> dict[str, Any]:
    orbit = {"type": "walker_delta", "altitude_km": 550, "inclination_deg": inclination_deg, "total": total}
    orbit |= {"planes": planes, "phasing": phasing, **extra}
    return {"name": name, "orbit": orbit, "design": "starlink-v2-mini-compute"}


def _fleet(base: dict[str, Any], *shells: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data["fleet"]["shells"] = list(shells)
    return data


def test_walker_shells_at_one_altitude_with_different_inclinations_pass(base: dict[str, Any]) -> None:
    data = _fleet(base, _walker("w53", 53.0, 1584, 72, 17), _walker("w70", 70.0, 720, 36, 25))
    data["fleet"]["shells"].append(_walker("w97", 97.6, 348, 6, 1))
    assert _load(data).warnings == []


def test_a_walker_whose_own_planes_meet_is_refused_with_the_phasing_that_separates_them(
    base: dict[str, Any],
) -> None:
    # 40/4/0 at 53 deg: planes 0 and 2 (nodes 180 deg apart) reach their crossing together
    with pytest.raises(ScenarioError) as info:
        _load(_fleet(base, _walker("w", 53.0, 40, 4, 0)))
    (problem,) = info.value.problems
    assert problem.path == "fleet.shells[0].orbit"
    assert "w's own satellites are co-located" in problem.message and "planes 0 and 2" in problem.message
    assert "the phasing that keeps them farthest apart is" in problem.message
    phasing = int(problem.message.rsplit("farthest apart is ", 1)[1].split()[0])
    assert _load(_fleet(base, _walker("w", 53.0, 40, 4, phasing))).warnings == []


def test_a_shell_flown_twice_is_refused(base: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError) as info:
        _load(_fleet(base, _walker("a", 53.0, 24, 4, 1), _walker("b", 53.0, 24, 4, 1)))
    (problem,) = info.value.problems
    assert problem.path == "fleet.shells[1].orbit"
    assert "b and a (fleet.shells[0].orbit) are co-located: 24 satellite pairs" in problem.message


def test_turning_a_shell_about_the_axis_interleaves_it(base: dict[str, Any]) -> None:
    # the same 24/4/1 pattern turned by 45 deg: crossing planes, satellites far apart
    data = _fleet(base, _walker("a", 53.0, 24, 4, 1), _walker("b", 53.0, 24, 4, 1, raan_deg=45.0))
    assert _load(data).warnings == []


SHARED = {
    "schema_version": 1,
    "name": "shared",
    "epoch": "2027-03-20T00:00:00Z",
    "duration": "10min",
    "step": "60s",
    "fleet": {
        "shells": [
            # one plane at node 90 deg; three planes whose plane 1 lies on it, satellites 12 deg behind (36 apart)
            {
                "name": "one",
                "orbit": {
                    "type": "walker_delta",
                    "altitude_km": 700,
                    "inclination_deg": 53.0,
                    "total": 10,
                    "planes": 1,
                    "raan_deg": 90.0,
                },
                "design": "compute-sat",
            },
            {
                "name": "three",
                "orbit": {
                    "type": "walker_delta",
                    "altitude_km": 700,
                    "inclination_deg": 53.0,
                    "total": 30,
                    "planes": 3,
                    "phasing": 1,
                    "raan_deg": 330.0,
                },
                "design": "compute-sat",
            },
        ]
    },
}


def test_shared_orbit_planes_warn_in_validate_and_in_the_run(tmp_path: Path) -> None:
    sc = _load(SHARED)
    (warning,) = sc.warnings
    assert warning.path == "fleet.shells[1].orbit"
    assert "three flies the same orbit planes as one (fleet.shells[0].orbit): 1 plane pair shares" in warning.message
    assert "closest approach 1,479.7 km" in warning.message
    path = tmp_path / "shared.yaml"
    path.write_text(yaml.safe_dump(SHARED), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 0 and f"warning: {warning}" in " ".join(res.stderr.split())
    out = tmp_path / "run"
    res = runner.invoke(app, ["simulate", str(path), "--out", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    # printed when loaded and again under the results
    assert " ".join(res.stderr.split()).count("three flies the same orbit planes as one") == 2
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert summary["warnings"] == manifest["warnings"] == [str(warning)]


def test_starlink_gen1_warns_of_its_polar_shells_close_passes() -> None:
    sc = load_scenario("starlink-gen1")
    (warning,) = sc.warnings
    assert warning.path == "fleet.shells[4].orbit"
    assert "gen1-560-97.6-b and gen1-560-97.6-a (fleet.shells[3].orbit) pass within 1.0 km" in warning.message
    assert "closest approach 585 m" in warning.message


def test_mega_1m_warns_that_no_phasing_keeps_its_shells_a_kilometre_apart() -> None:
    sc = load_scenario("mega-1m")
    assert [w.path for w in sc.warnings] == [f"fleet.shells[{k}].orbit" for k in range(4)]
    assert all("own satellites pass within 1.0 km of each other" in w.message for w in sc.warnings)
    assert "closest approach 68 m" in sc.warnings[0].message
    assert "the phasing that keeps them farthest apart is 209 (689 m)" in sc.warnings[0].message
