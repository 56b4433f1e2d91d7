"""Built-in scenarios, the example scenario and the catalog."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from orbitgrid.scenario import (
    ElementsOrbit,
    FormationOrbit,
    ScenarioError,
    SunSynchronousOrbit,
    WalkerOrbit,
    builtin_scenario_text,
    catalog,
    list_builtin_scenarios,
    load_scenario,
)

REPO = Path(__file__).resolve().parents[2]
BUILTINS = [name for name, _ in list_builtin_scenarios()]


def test_the_expected_builtins_exist() -> None:
    assert {"default", "suncatcher", "starlink-gen1", "mega-1m"} <= set(BUILTINS)
    assert all(description for _, description in list_builtin_scenarios())


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_loads_and_is_self_contained(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.n_steps * scenario.step_s == scenario.duration_s
    # Built-ins must not point at files outside the package (no TLE data is shipped).
    assert not any(isinstance(shell.orbit, ElementsOrbit) for shell in scenario.shells)
    assert yaml.safe_load(builtin_scenario_text(name))["name"] == name


def test_default_scenario_matches_the_demo_spec() -> None:
    s = load_scenario("default")
    assert s.epoch == dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
    assert (s.duration_s, s.step_s, s.n_steps, s.seed) == (86_400.0, 60.0, 1440, 7)
    sso, walker, formation = (shell.orbit for shell in s.shells)
    assert isinstance(sso, SunSynchronousOrbit)
    assert (sso.altitude_km, sso.ltan_hours, sso.planes, sso.per_plane) == (650, 18.0, 4, 20)
    assert isinstance(walker, WalkerOrbit) and walker.type == "walker_delta"
    assert (walker.altitude_km, walker.inclination_deg, walker.total, walker.planes, walker.phasing) == (
        550,
        53,
        1584,
        72,
        17,
    )
    assert isinstance(formation, FormationOrbit)
    assert (formation.clusters, formation.per_cluster, formation.radius_km, formation.planes) == (
        12,
        81,
        1.0,
        1,
    )
    assert s.time_grid().n_steps == 1440


def test_mega_1m_has_exactly_one_million_satellites() -> None:
    s = load_scenario("mega-1m")
    assert sum(shell.orbit.n_satellites for shell in s.shells) == 1_000_000
    assert all(isinstance(shell.orbit, WalkerOrbit) and shell.orbit.type == "walker_delta" for shell in s.shells)
    assert all(500 <= shell.orbit.altitude_km <= 650 for shell in s.shells)
    # with its workloads, scheduled by plane: 2,000 pools and the three ground sites
    assert s.policy.node_pools == "plane" and len(s.ground_sites) == 3 and s.workloads


def test_starlink_gen1_shells() -> None:
    s = load_scenario("starlink-gen1")
    got = sorted(
        (o.altitude_km, o.inclination_deg, o.planes, o.per_plane)
        for o in (shell.orbit for shell in s.shells)
        if isinstance(o, WalkerOrbit)
    )
    assert got == sorted(
        [
            (550, 53.0, 72, 22),
            (540, 53.2, 72, 22),
            (570, 70.0, 36, 20),
            (560, 97.6, 6, 58),
            (560, 97.6, 4, 43),
        ]
    )
    assert sum(shell.orbit.n_satellites for shell in s.shells) == 4408


def test_unknown_builtin_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError) as info:
        builtin_scenario_text("nope")
    assert "default" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        load_scenario("nope")
    assert str(info.value).startswith("no scenario file or built-in scenario called 'nope'; built-in scenarios:")


def test_starlink_snapshot_example_resolves_its_element_file() -> None:
    example = REPO / "examples" / "starlink-snapshot.yaml"
    tle = REPO / "tests" / "data" / "tle_starlink" / "starlink_20260224_1413Z_slice.tle"  # shipped in the repository
    s = load_scenario(example)
    orbit = s.shells[0].orbit
    assert isinstance(orbit, ElementsOrbit)
    assert orbit.file == tle.resolve() and orbit.file.is_absolute()
    assert orbit.resolved_format == "tle"
    assert s.source_dir == example.parent.resolve()
    assert s.epoch == dt.datetime(2026, 2, 24, 15, tzinfo=dt.UTC)


def test_catalog_gpus() -> None:
    gpus = catalog.gpu_models()
    assert list(gpus) == ["H100", "H200", "B200", "GB200", "TPU-v6e", "A100", "V100", "A10", "T4", "P100"]
    h100 = gpus["H100"]
    assert (h100.tdp_w, h100.bf16_dense_flops, h100.hbm_gb) == (700, 989e12, 80)
    assert (gpus["H200"].hbm_gb, gpus["B200"].tdp_w, gpus["GB200"].tdp_w) == (141, 1000, 1200)
    assert gpus["GB200"].bf16_dense_flops == 2.5e15 and gpus["B200"].bf16_dense_flops == 2.25e15
    assert gpus["TPU-v6e"].tdp_estimated and not h100.tdp_estimated
    # the older GPUs of replayed clusters, from their datasheets (FP16 Tensor Core rate where there is no BF16)
    older = {m: (gpus[m].tdp_w, gpus[m].bf16_dense_flops) for m in ("A100", "V100", "A10", "T4", "P100")}
    assert older == {
        "A100": (400, 312e12), "V100": (300, 125e12), "A10": (150, 125e12), "T4": (70, 65e12), "P100": (300, 21.2e12)
    }  # fmt: skip
    assert all(g.source for g in gpus.values())


def test_catalog_launch_vehicles_designs_and_stations() -> None:
    lvs = catalog.launch_vehicles()
    assert set(lvs) == {"Falcon 9", "Falcon Heavy", "Starship"}
    assert lvs["Starship"].payload_leo_kg == 100_000
    assert lvs["Falcon 9"].price_usd_per_kg > lvs["Starship"].price_usd_per_kg
    assert all(lv.source for lv in lvs.values())
    designs = catalog.designs()
    assert {"compute-sat", "starlink-v2-mini-compute", "suncatcher-tpu-sat"} <= set(designs)
    assert all(d.source for d in designs.values())
    assert designs["suncatcher-tpu-sat"].payload.gpu == "TPU-v6e"
    stations = catalog.ground_stations()
    assert len(stations) == 79
    assert {s.provider for s in stations} == {"AWS", "NASA DSN", "KSAT", "Leaf Space", "SSC"}
    assert all(s.source and s.bands for s in stations)
    licence = catalog.catalog_dir().joinpath("LICENSE_ground_stations.md").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Duncan Eddy" in licence


def test_catalog_is_loaded_once() -> None:
    assert catalog.gpu_models() is catalog.gpu_models()
    assert catalog.designs() is catalog.designs()
