"""Behaviour of the validated models: units, defaults, design lookup, element paths, resolved dicts."""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orbitgrid.scenario import (
    ElementsOrbit,
    Scenario,
    ScenarioError,
    dump_scenario_yaml,
    load_scenario,
    resolved_scenario_dict,
)
from orbitgrid.scenario.catalog import designs as catalog_designs
from orbitgrid.scenario.models import SAFE_NAME_RE
from orbitgrid.spacecraft.radiation import SHELL_ALTITUDE_MAX_KM

WriteYaml = Callable[..., Path]


@pytest.mark.parametrize("text", ["0E0", "1e6", "-2.5E-3", ".5e1", "1_000e2"])
def test_strings_that_read_as_exponent_floats_are_quoted(text: str) -> None:
    """The loader reads ``1e6`` as a float (YAML 1.2), which PyYAML's own dumper does not know: such strings must
    come back as strings (hypothesis found ``description: 0E0`` read back as the number 0)."""
    dumped = dump_scenario_yaml({"description": text, "value": float(text.replace("_", ""))})
    from orbitgrid.scenario.loader import _parse_yaml

    assert _parse_yaml(dumped, "<test>") == {"description": text, "value": float(text.replace("_", ""))}


def test_durations_are_stored_as_seconds(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["duration"] = "1h30m"
    base["step"] = 90
    s = load_scenario(write_yaml(base))
    assert (s.duration, s.step, s.duration_s, s.step_s, s.n_steps) == (5400.0, 90.0, 5400.0, 90.0, 60)


def test_epoch_is_converted_to_utc(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["epoch"] = "2027-03-20T02:00:00+02:00"
    s = load_scenario(write_yaml(base))
    assert s.epoch == dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
    assert s.epoch.tzinfo == dt.UTC


def test_defaults_are_filled_in(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    s = load_scenario(write_yaml(base))
    sso = s.shells[0].orbit
    assert (sso.raan_spread_hours, sso.phasing) == (0.0, 0)
    design = s.design_for(s.shells[0])
    assert design.solar_array.tracking == "sun_tracking"
    assert design.solar_array.degradation_per_year == 0.025
    assert design.battery.depth_of_discharge == 0.8
    assert design.radiator.two_sided is True
    assert s.description == "" and s.fleet.ground_sites == []


def test_scenario_designs_override_the_catalog(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    custom = catalog_designs()["compute-sat"].model_dump()
    custom["payload"] = {"gpu": "B200", "gpus": 4}
    base["designs"] = {"compute-sat": custom}
    s = load_scenario(write_yaml(base))
    assert s.design("compute-sat").payload.gpu == "B200"
    assert catalog_designs()["compute-sat"].payload.gpu == "H100"


def test_yaml_exponent_floats_are_numbers(base: dict[str, Any], write_yaml: WriteYaml) -> None:
    base["fleet"]["ground_sites"] = [
        {"name": "g", "lat_deg": 35.1, "lon_deg": -90.0, "gpus": {"H100": 100000}, "grid_power_mw": 150}
    ]
    path = write_yaml(base)
    path.write_text(path.read_text().replace("grid_power_mw: 150", "grid_power_mw: 1.5e2"))
    assert load_scenario(path).ground_sites[0].grid_power_mw == 150.0


def test_relative_element_file_resolves_against_the_scenario_folder(
    base: dict[str, Any], write_yaml: WriteYaml, tmp_path: Path
) -> None:
    (tmp_path / "elements").mkdir()
    omm = {
        "OBJECT_NAME": "SAT",
        "EPOCH": "2027-03-19T12:00:00",
        "NORAD_CAT_ID": 44713,
        "MEAN_MOTION": 15.2,
        "ECCENTRICITY": 0.0001,
        "INCLINATION": 53.0,
        "RA_OF_ASC_NODE": 10.0,
        "ARG_OF_PERICENTER": 0.0,
        "MEAN_ANOMALY": 0.0,
        "BSTAR": 0.0001,
        "MEAN_MOTION_DOT": 0.0,
        "MEAN_MOTION_DDOT": 0.0,
    }
    (tmp_path / "elements" / "sats.json").write_text(json.dumps([omm]))  # read when the scenario is validated
    base["fleet"]["shells"] = [
        {"name": "omm", "orbit": {"type": "elements", "file": "elements/sats.json"}, "design": "compute-sat"}
    ]
    s = load_scenario(write_yaml(base))
    orbit = s.shells[0].orbit
    assert isinstance(orbit, ElementsOrbit)
    assert orbit.file == (tmp_path / "elements" / "sats.json").resolve()
    assert orbit.resolved_format == "omm_json" and orbit.n_satellites == 1
    assert s.source_dir == tmp_path.resolve()
    data = resolved_scenario_dict(s)
    assert data["fleet"]["shells"][0]["orbit"]["file"] == str(orbit.file)


def test_resolved_dict_is_json_and_self_contained() -> None:
    s = load_scenario("default")
    data = resolved_scenario_dict(s)
    assert json.loads(json.dumps(data)) == data
    assert data["epoch"] == "2027-03-20T00:00:00Z" and data["duration"] == 86400.0
    assert set(data["designs"]) == {shell.design for shell in s.shells}
    assert data["fleet"]["shells"][0]["orbit"]["raan_spread_hours"] == 1.0
    assert resolved_scenario_dict(Scenario.model_validate(data)) == data


# -- round trip ---------------------------------------------------------------------------------------------

NAMES = st.from_regex(SAFE_NAME_RE, fullmatch=True).filter(lambda s: ".." not in s)  # scenario names name folders


def finite(lo: float, hi: float, **kw: Any) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False, **kw)


@st.composite
def orbits(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["walker_delta", "walker_star", "sun_synchronous", "formation"]))
    if kind.startswith("walker"):
        planes = draw(st.integers(1, 50))
        return {
            "type": kind,
            "altitude_km": draw(finite(160, SHELL_ALTITUDE_MAX_KM)),
            "inclination_deg": draw(finite(0, 180)),
            "total": planes * draw(st.integers(1, 40)),
            "planes": planes,
            "phasing": draw(st.integers(0, planes - 1)),
        }
    planes = draw(st.integers(1, 8))
    orbit = {
        "type": kind,
        "altitude_km": draw(finite(160, SHELL_ALTITUDE_MAX_KM)),
        "ltan_hours": draw(finite(0, 24, exclude_max=True)),
        "planes": planes,
        "raan_spread_hours": draw(finite(0, 24)),
    }
    if kind == "formation":
        orbit |= {
            "clusters": planes * draw(st.integers(1, 5)),
            "per_cluster": draw(st.integers(1, 200)),
            "radius_km": draw(finite(0, 100, exclude_min=True)),
        }
    else:
        orbit |= {"per_plane": draw(st.integers(1, 100)), "phasing": draw(st.integers(0, planes - 1))}
    return orbit


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    step = draw(st.integers(1, 3600))
    shells = draw(st.lists(orbits(), min_size=1, max_size=3))
    design_names = [*catalog_designs(), "own"]
    return {
        "schema_version": 1,
        "name": draw(NAMES),
        "description": draw(st.text(alphabet=string.printable.strip(), max_size=40)),
        "epoch": draw(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 1, 1)))
        .replace(tzinfo=dt.UTC)
        .isoformat(),
        "duration": step * draw(st.integers(1, 2000)),
        "step": f"{step}s",
        "seed": draw(st.integers(0, 2**32)),
        "designs": {
            "own": {
                "payload": {
                    "gpu": draw(st.sampled_from(["H100", "B200", "TPU-v6e"])),
                    "gpus": draw(st.integers(1, 64)),
                },
                "solar_array": {
                    "area_m2": draw(finite(0, 1e4, exclude_min=True)),
                    "cell_efficiency": draw(finite(0, 1, exclude_min=True)),
                    "packing_factor": draw(finite(0, 1, exclude_min=True)),
                    "tracking": draw(st.sampled_from(["sun_tracking", "body_fixed"])),
                },
                "battery": {"capacity_wh": draw(finite(0, 1e6))},
                "radiator": {
                    "area_m2": draw(finite(0, 1e3, exclude_min=True)),
                    "emissivity": draw(finite(0, 1, exclude_min=True)),
                    "solar_absorptivity": draw(finite(0, 1, exclude_min=True)),
                },
            }
        },
        "fleet": {
            "shells": [
                {"name": f"shell-{i}", "orbit": orbit, "design": draw(st.sampled_from(design_names))}
                for i, orbit in enumerate(shells)
            ],
            "ground_sites": [
                {
                    "name": "site",
                    "lat_deg": draw(finite(-90, 90)),
                    "lon_deg": draw(finite(-180, 180)),
                    "gpus": {"H100": draw(st.integers(1, 10**6))},
                    "grid_power_mw": draw(finite(0, 1e4, exclude_min=True)),
                }
            ],
        },
    }


@settings(max_examples=60, deadline=None)
@given(raw=scenarios())
def test_resolved_dict_round_trips_through_yaml(raw: dict[str, Any], tmp_path_factory: Any) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    first = folder / "first.yaml"
    first.write_text(dump_scenario_yaml(raw), encoding="utf-8")  # safe_dump leaves 0E0 unquoted: a float here
    try:
        loaded = load_scenario(first)
    except ScenarioError as exc:  # drawn layouts whose satellites meet are refused (e.g. equatorial Walker planes)
        assert all("co-located" in p.message for p in exc.problems), exc
        assume(False)
        raise
    resolved = resolved_scenario_dict(loaded)
    second = folder / "second.yaml"
    second.write_text(dump_scenario_yaml(resolved), encoding="utf-8")
    assert resolved_scenario_dict(load_scenario(second)) == resolved
