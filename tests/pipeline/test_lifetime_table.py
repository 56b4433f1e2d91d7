"""``orbitgrid lifetime``: the per-shell table agrees with its parts and with the mass budget."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orbitgrid.astro import atmosphere as atm
from orbitgrid.astro import lifetime as lt
from orbitgrid.cli import app
from orbitgrid.economics.mass import propellant_mass_kg
from orbitgrid.pipeline.lifetime import lifetime_table
from orbitgrid.scenario import load_scenario


@pytest.fixture(scope="module")
def rows() -> list:
    return lifetime_table(load_scenario("default"))


def test_rows_are_consistent(rows: list) -> None:
    by = {r.shell: r for r in rows}
    assert set(by) == {"dawn-dusk-650", "walker-550", "suncatcher-clusters"}
    w = by["walker-550"]
    assert w.altitude_km == pytest.approx(550.0)
    assert w.inclination_deg == pytest.approx(53.0)
    assert w.ltan_hours is None
    # density at the altitude from the same profile the decay used
    assert w.density_kg_m3["mean"] == pytest.approx(
        float(atm.density_profile("mean", math.radians(53.0))(550e3)), rel=1e-12
    )
    assert w.lifetime_years["max"] < w.lifetime_years["mean"] < w.lifetime_years["min"]
    # station keeping over the life at the cycle mean, by the rocket equation on the dry mass with the deorbit last
    dv_sk = w.hold_delta_v_m_s_per_year["mean"] * w.design_life_years
    assert w.station_keeping_delta_v_m_s == pytest.approx(dv_sk)
    isp = load_scenario("default").economics.isp_s
    total = propellant_mass_kg(w.dry_mass_kg, dv_sk + w.deorbit_delta_v_m_s, isp)
    assert w.station_keeping_propellant_kg + w.deorbit_propellant_kg == pytest.approx(total, rel=1e-9)
    assert w.deorbit_delta_v_m_s == pytest.approx(lt.deorbit_delta_v_m_s(550e3, 200e3))
    # 550 km decays within 5 years at the cycle mean; 650 km dawn-dusk needs its deorbit burn
    assert w.passive_disposal and w.fcc_5yr_compliant
    d = by["dawn-dusk-650"]
    assert d.lifetime_years["mean"] > lt.FCC_DISPOSAL_YEARS
    assert not d.passive_disposal and d.fcc_5yr_compliant and d.deorbit_propellant_kg > 0.0


def test_cli_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "lifetime.json"
    res = CliRunner().invoke(app, ["lifetime", "default", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "Lifetime and station keeping: default" in res.output and "passive" in res.output
    doc = json.loads(out.read_text())
    assert [r["shell"] for r in doc] == ["dawn-dusk-650", "walker-550", "suncatcher-clusters"]


def test_cli_rejects_bad_input(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["lifetime", "default", "--max-years", "-1"])
    assert res.exit_code == 2
    assert "--max-years" in res.output
    res = CliRunner().invoke(app, ["lifetime", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2


def test_formation_cli(tmp_path: Path) -> None:
    out = tmp_path / "formation.json"
    res = CliRunner().invoke(app, ["formation", "suncatcher", "--orbits", "2", "--json", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    (rep,) = doc.values()
    assert rep["members"] == 81 and rep["shape_cycles_per_orbit"] == 2
    assert 99.9 < rep["neighbour_min_m"] < 100.1 and 199.9 < rep["neighbour_max_m"] < 200.1
    res = CliRunner().invoke(app, ["formation", "starlink-gen1"])
    assert res.exit_code == 2 and "no formation shell" in res.output
    res = CliRunner().invoke(app, ["formation", "suncatcher", "--orbits", "1"])
    assert res.exit_code == 2
