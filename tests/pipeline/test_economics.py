"""Scenario -> cost-model inputs (orbitgrid.pipeline.economics): designs, counts, the economics section, a run's
simulated GPU-hours, the terrestrial site, several shells."""

from __future__ import annotations

import json
import math

import pytest

from orbitgrid.economics.mass import Propulsion, mass_budget, server_enclosure_area_m2
from orbitgrid.economics.tco import evaluate_orbit
from orbitgrid.pipeline.economics import CostInputError, evaluate_cost, satellite_spec, scenario_cost
from orbitgrid.pipeline.nodes import ground_rates_per_gpu_s
from orbitgrid.scenario import ScenarioError
from orbitgrid.scenario.loader import load_scenario_text

BASE = """\
schema_version: 1
name: econ
epoch: 2027-03-20T00:00:00Z
duration: 1h
step: 60s
designs:
  sized:
    payload: {gpu: H100, gpus: 16}
    solar_array: {area_m2: 120, cell_efficiency: 0.3, packing_factor: 0.9}
    battery: {capacity_wh: 20000}
    radiator: {area_m2: 40, emissivity: 0.9, solar_absorptivity: 0.15}
    shielding_mm_al: 5
fleet:
  shells:
    - name: dd
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 2, per_plane: 5}
      design: compute-sat
  ground_sites:
    - {name: site, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 1000}, grid_power_mw: 5, pue: 1.3,
       power_price_usd_per_kwh: 0.07}
"""


def _scenario(extra: str = "", shells: str | None = None):
    text = (
        BASE if shells is None else BASE.replace(BASE[BASE.index("  shells:") : BASE.index("  ground_sites:")], shells)
    )
    return load_scenario_text(text + extra)


def test_a_catalog_design_with_a_bus_mass():
    """compute-sat: 8 H100 (1,275 W each with the host share), 110 m² of 22 % cells at 90 % packing, bus 740 kg."""
    sc = _scenario()
    sat, margin = satellite_spec(sc, sc.shells[0])
    assert sat.gpus == 8 and sat.compute_w == pytest.approx(8 * 1275.0, rel=1e-3)
    assert sat.array_bol_w == pytest.approx(110 * 0.22 * 0.9 * 1361, rel=1e-12)
    assert sat.mass_kg == pytest.approx(740.0 + 8 * 130.45 / 8, rel=1e-12)
    # the deorbit propellant is carried inside the given mass: m_D = m (1 - exp(-Δv / (g0 Isp)))
    from orbitgrid.economics.mass import deorbit_delta_v_m_s

    dv = deorbit_delta_v_m_s(650e3, 200e3)
    assert sat.deorbit_propellant_kg == pytest.approx(sat.mass_kg * -math.expm1(-dv / (9.80665 * 1600)), rel=1e-12)
    assert margin == pytest.approx(110 * 0.22 * 0.9 * 1361 * 0.92 / sat.compute_w, rel=1e-3)
    cost = scenario_cost(sc)
    assert cost.orbit[0].satellites == 10
    assert cost.ground.gpus == 80


def test_a_design_without_a_bus_mass_gets_the_full_mass_budget():
    shells = (
        "  shells:\n    - {name: s, orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 12,"
        " planes: 3, phasing: 1}, design: sized}\n"
    )
    sc = _scenario(shells=shells)
    sat, _ = satellite_spec(sc, sc.shells[0])
    b = mass_budget(
        gpus=16,
        array_bol_w=120 * 0.3 * 0.9 * 1361,
        battery_wh=20_000,
        radiator_area_m2=40,
        shielding_mm_al=5,
        shielded_area_m2=server_enclosure_area_m2(2),
        array_area_m2=120,
        altitude_m=550e3,
        design_life_years=5.0,
        propulsion=Propulsion(),
    )
    assert sat.mass_kg == pytest.approx(b.total_kg, rel=1e-12)
    assert sat.deorbit_propellant_kg == pytest.approx(b.kg["propellant_deorbit"], rel=1e-12)
    assert sat.mass_items_kg == pytest.approx(b.kg)


def test_economics_section_reaches_the_model():
    extra = """\
economics:
  design_life_years: 7
  discount_rate: 0.05
  nre_usd: 1.0e8
  launch:
    vehicle: Falcon 9
    max_launches_per_year: 2
    learning_curve: {learning_rate: 0.18, start_price_usd_per_kg: 2500, start_cumulative_t: 1000, world_t_per_year: 50}
"""
    cost = scenario_cost(_scenario(extra))
    o = cost.orbit[0]
    assert (o.design_life_years, o.discount_rate, o.nre_usd) == (7.0, 0.05, 1.0e8)
    lp = o.launch
    assert lp.vehicle.payload_kg == 18_500 and lp.max_launches_per_year == 2
    assert lp.learning is not None and lp.learning.start_cumulative_kg == 1e6 and lp.world_kg_per_year == 5e4
    assert lp.price_usd_per_kg is None
    # Falcon 9 at its catalog price without a curve
    fixed = scenario_cost(_scenario("economics: {launch: {vehicle: Falcon 9}}\n")).orbit[0].launch
    assert fixed.price_usd_per_kg == 3770 and fixed.learning is None
    with pytest.raises(ScenarioError, match="unknown launch vehicle"):
        _scenario("economics: {launch: {vehicle: Saturn V}}\n")
    with pytest.raises(ScenarioError) as exc:
        _scenario("economics: {terrestrial: {site: nowhere}}\n")
    assert any(p.path == "economics.terrestrial.site" for p in exc.value.problems)


def test_a_runs_summary_gives_simulated_gpu_hours_and_the_fault_models_failure_rate():
    sc = _scenario()
    summary = {
        "capacity": {
            "shells": {"dd": {"gpu_hours_installed": 80.0, "gpu_hours_deliverable": 76.0}},
            "ground_sites": {"site": {"gpu_hours_installed": 1000.0, "gpu_hours_deliverable": 1000.0}},
        },
        "orbit_vs_ground": {"orbital": {"gpu_hours_delivered": 52.0}, "ground": {"gpu_hours_delivered": 600.0}},
    }
    cost = scenario_cost(sc, summary)
    o = cost.orbit[0]
    assert o.simulated_delivered_fraction == pytest.approx(52.0 / 80.0)
    assert cost.ground.utilization == pytest.approx(0.6)
    rate = float(ground_rates_per_gpu_s()[2]) * 365.25 * 86_400
    assert rate == pytest.approx(148 / (16_384 * 54 * 24) * 8766, rel=1e-9)  # Llama 3: 148 faulty GPUs
    assert o.reliability.gpu_failure_rate_per_year == pytest.approx(rate, rel=1e-12)
    res = cost.evaluate()
    assert res.orbit.gpu_hours_source == "simulated"
    nominal = scenario_cost(sc).evaluate()
    assert nominal.orbit.gpu_hours_source == "nominal"
    # without a schedule only the availability comes from the run
    no_jobs = {"capacity": summary["capacity"]}
    o2 = scenario_cost(sc, no_jobs).orbit[0]
    assert o2.simulated_delivered_fraction is None and o2.availability == pytest.approx(0.95)
    doc = cost.to_dict(res)
    json.dumps(doc, allow_nan=False)
    assert doc["assumptions"]["sources"]["delivered_fraction"].startswith("run:")


def test_terrestrial_site_supplies_pue_price_and_no_generation_capex():
    cost = scenario_cost(_scenario("economics: {terrestrial: {site: site}}\n"))
    g = cost.ground
    assert g.pue == 1.3 and g.capex.power_generation_usd_per_kw == 0.0
    res = cost.evaluate()
    assert res.ground.facts["energy_usd_per_kwh_facility"] == pytest.approx(0.07, rel=1e-12)
    # without a site: McCalip's on-site gas build
    gas = scenario_cost(_scenario()).ground
    assert gas.pue == 1.2 and gas.electricity_usd_per_kwh is None and gas.capex.power_generation_usd_per_kw == 1450


def test_several_shells_carry_the_nre_once_and_add_up():
    shells = (
        "  shells:\n"
        "    - {name: a, orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 4},"
        " design: compute-sat}\n"
        "    - {name: b, orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 6, planes: 2,"
        " phasing: 0}, design: sized}\n"
    )
    cost = scenario_cost(_scenario(shells=shells))
    assert [o.nre_usd for o in cost.orbit] == [5e8, 0.0]
    parts = [evaluate_orbit(o) for o in cost.orbit]
    res = cost.evaluate()
    assert res.orbit.total_cash_usd.sum() == pytest.approx(sum(p.total_cash_usd.sum() for p in parts), rel=1e-12)
    assert res.orbit.gpu_hours.sum() == pytest.approx(sum(p.gpu_hours.sum() for p in parts), rel=1e-12)
    assert res.orbit.facts["satellites"] == 10 and cost.ground.gpus == 4 * 8 + 6 * 16
    flat = evaluate_cost(_scenario(shells=shells))
    assert flat["orbit.usd_per_gpu_hour"] == pytest.approx(res.orbit.usd_per_gpu_hour, rel=1e-12)
    assert flat["ratio_orbit_to_ground"] == pytest.approx(res.ratio_orbit_to_ground, rel=1e-12)


def test_a_scenario_without_shells_cannot_be_priced():
    text = BASE[: BASE.index("  shells:")] + BASE[BASE.index("  ground_sites:") :]
    with pytest.raises(CostInputError):
        scenario_cost(load_scenario_text(text))
