"""Published cost tables reproduced from their own assumptions through the cost model (not returned as constants).

- Suncatcher Table 1 (arXiv:2511.19468 §4.4): launched power price of four satellites at $3,600/kg and $200/kg,
  within 2 %.
- Starcloud's 40 MW, 10-year comparison (white paper v1.03, cost table), line by line, and the same space column
  re-priced at $500/kg and $1,000/kg (Nanjangud's $53.2M and $103.2M, docs/sources.md §3).
- McCalip's own setpoint runs (andrewmccalip/thoughts ``audit/setpoint_runs.json`` @534b5d7): the baseline and two
  orbital variants, and two terrestrial variants, to 1e-9.
"""

from __future__ import annotations

import math

import pytest

from orbitgrid.economics.launch import LaunchVehicle, launched_power_price_usd_per_kw_year
from orbitgrid.economics.tco import HardwareCost, LaunchPlan, OrbitInputs, Reliability, SatelliteSpec, evaluate_orbit
from orbitgrid.economics.terrestrial import CapexBuckets, GroundInputs, evaluate_ground

BIG = LaunchVehicle("any", 1e12)

# name: mass kg, power kW, life yr, $/kW/yr at $3,600/kg, at $200/kg
SUNCATCHER_TABLE_1 = {
    "Starlink v2 mini (optimized)": (575.0, 28.0, 5.0, 14_700.0, 810.0),
    "Starlink v1": (260.0, 7.0, 5.0, 26_600.0, 1_470.0),
    "OneWeb": (150.0, 0.8, 5.0, 135_800.0, 7_500.0),
    "Iridium NEXT": (860.0, 2.0, 12.5, 124_600.0, 6_900.0),
}


def _nothing_but_launch(mass_kg: float, power_kw: float, life: float, usd_per_kg: float) -> OrbitInputs:
    return OrbitInputs(
        satellites=1,
        satellite=SatelliteSpec(gpus=0, compute_w=power_kw * 1e3, array_bol_w=power_kw * 1e3, mass_kg=mass_kg),
        hardware=HardwareCost(satellite_usd_per_w=0.0, gpu_usd=0.0),
        launch=LaunchPlan(vehicle=BIG, price_usd_per_kg=usd_per_kg, billed="mass"),
        reliability=Reliability(gpu_failure_rate_per_year=0.0),
        design_life_years=life,
        discount_rate=0.0,
        nre_usd=0.0,
        ops_fraction_of_hardware_per_year=0.0,
        launch_insurance_fraction=0.0,
    )


@pytest.mark.parametrize("name", list(SUNCATCHER_TABLE_1))
def test_suncatcher_table_1_within_2_percent(name):
    m, kw, life, at_3600, at_200 = SUNCATCHER_TABLE_1[name]
    for price, published in ((3600.0, at_3600), (200.0, at_200)):
        direct = launched_power_price_usd_per_kw_year(m, kw, life, price)
        via_tco = evaluate_orbit(_nothing_but_launch(m, kw, life, price))
        model = via_tco.facts["launched_power_price_usd_per_kw_year"]
        assert model == pytest.approx(direct, rel=1e-12)
        # and the TCO's launch line over the kW-years of the life
        assert via_tco.cash_usd["launch"].sum() / (kw * life) == pytest.approx(direct, rel=1e-12)
        print(f"{name} at ${price:,.0f}/kg: {model:,.0f} $/kW/yr (Suncatcher {published:,.0f})")
        assert model == pytest.approx(published, rel=0.02)


# Starcloud white paper: 40 MW for 10 years; ground energy at $0.04/kWh over 8,760 h a year
STARCLOUD_MW, STARCLOUD_YEARS = 40.0, 10.0


def _starcloud_ground() -> GroundInputs:
    """Energy and cooling from the paper's own figures: 40,000 kW x 8,760 h x 10 y x $0.04. The paper gives cooling
    (chiller energy) as $7M without a derivation; it is 5.0 % of the energy, i.e. a chiller overhead of PUE 1.05
    (inferred). Backup power $20M for 40 MW is $0.50/W. Building and other hardware are "equivalent" on both sides
    and left out of both."""
    return GroundInputs(
        gpus=40_000,
        it_w_per_gpu=1_000.0,  # 40 MW of IT load; the paper prices power, not GPUs
        life_years=STARCLOUD_YEARS,
        pue=1.05,
        capex=CapexBuckets(0.0, 0.0, 0.0, 0.0, 0.0, backup_power_usd_per_w=20e6 / 40e6),
        gpu_usd=0.0,
        electricity_usd_per_kwh=0.04,
        utilization=1.0,
        gpu_failure_rate_per_year=0.0,
        discount_rate=0.0,
        hours_per_year=8_760.0,
    )


def _starcloud_space(usd_per_kg: float | None) -> OrbitInputs:
    """Space column: one ~100 t launch at $5M (or re-priced per kg); solar array $2M and shielding $1.2M for 40 MW,
    the paper's own line totals (it gives no derivation), i.e. $0.05/W and $0.03/W of compute."""
    return OrbitInputs(
        satellites=1,
        satellite=SatelliteSpec(gpus=0, compute_w=40e6, array_bol_w=40e6, mass_kg=100_000.0),
        hardware=HardwareCost(
            method="bottom_up",
            gpu_usd=0.0,
            usd_per_compute_w={"solar_array": 2e6 / 40e6, "shielding": 1.2e6 / 40e6},
        ),
        launch=LaunchPlan(
            vehicle=LaunchVehicle("Starship", 100_000.0, price_usd_per_launch=5e6),
            price_usd_per_kg=usd_per_kg,
        ),
        reliability=Reliability(gpu_failure_rate_per_year=0.0),
        design_life_years=STARCLOUD_YEARS,
        discount_rate=0.0,
        nre_usd=0.0,
        ops_fraction_of_hardware_per_year=0.0,
        launch_insurance_fraction=0.0,
    )


def test_starcloud_40mw_10yr_line_by_line():
    g = evaluate_ground(_starcloud_ground())
    energy = g.cash_usd["energy_it"].sum()
    cooling = g.cash_usd["energy_overhead"].sum()
    backup = g.cash_usd["backup_power"].sum()
    assert energy == pytest.approx(40_000 * 8_760 * 10 * 0.04, rel=1e-12)  # $140.16M
    assert energy == pytest.approx(140.16e6, rel=1e-12)
    assert cooling == pytest.approx(7e6, rel=0.002)  # $7.008M vs "$7M"
    assert backup == pytest.approx(20e6, rel=1e-12)
    ground_total = g.total_cash_usd.sum()
    assert ground_total == pytest.approx(167e6, rel=0.002)  # $167.17M vs "$167M"
    # water: 1.7 Mt over 10 years at the default L/kWh of IT energy
    assert g.facts["water_l"] == pytest.approx(1.7e9, rel=1e-9)

    s = evaluate_orbit(_starcloud_space(None))
    hw = s.facts
    assert hw["hardware_usd_per_satellite.solar_array"] == pytest.approx(2e6, rel=1e-12)
    assert hw["hardware_usd_per_satellite.shielding"] == pytest.approx(1.2e6, rel=1e-12)
    assert s.cash_usd["launch"].sum() == pytest.approx(5e6, rel=1e-12)
    assert s.facts["launches"] == 1
    space_total = s.total_cash_usd.sum()
    assert space_total == pytest.approx(8.2e6, rel=1e-12)
    print(
        f"Starcloud: ground ${ground_total / 1e6:.2f}M, space ${space_total / 1e6:.2f}M,"
        f" {ground_total / space_total:.1f}x"
    )
    assert ground_total / space_total == pytest.approx(20.4, abs=0.1)  # "20x cheaper"
    # $5M for ~100 t is $50/kg
    assert s.facts["launch_usd_per_kg_mean"] == pytest.approx(50.0)


@pytest.mark.parametrize(("usd_per_kg", "total"), [(500.0, 53.2e6), (1000.0, 103.2e6)])
def test_starcloud_repriced_launch_matches_nanjangud(usd_per_kg, total):
    s = evaluate_orbit(_starcloud_space(usd_per_kg))
    assert s.cash_usd["launch"].sum() == pytest.approx(100_000 * usd_per_kg, rel=1e-12)
    assert s.total_cash_usd.sum() == pytest.approx(total, rel=1e-12)


# McCalip @534b5d7: inputs of each setpoint (audit/setpoint_runs.json) and his published outputs
MCCALIP_SETPOINTS = {
    # name: (launch $/kg, sat $/W, W/kg, sat kW, sun fraction, cell deg %/yr, GPU failure %/yr, NRE $M),
    #       (satellites, hardware, launch, ops, total)
    "baseline": (
        (1000, 22, 36.5, 27, 0.98, 2.5, 9, 500),
        (47329, 28_113_426_000, 35_010_493_150.68493, 281_134_260, 63_905_053_410.68493),
    ),
    "orbital_optimistic_starship": (
        (200, 15, 55, 35, 0.99, 1.5, 5, 300),
        (32815, 17_227_875_000, 4_176_454_545.4545455, 172_278_750, 21_876_608_295.454544),
    ),
    "orbital_pessimistic": (
        (2000, 30, 28, 20, 0.9, 4, 12, 800),
        (75674, 45_404_400_000, 108_105_714_285.7143, 454_044_000, 154_764_158_285.7143),
    ),
}


@pytest.mark.parametrize("name", list(MCCALIP_SETPOINTS))
def test_mccalip_orbital_setpoints(name):
    """McCalip sizes the fleet up front so that the mean power over 5 years, after cell degradation and GPU
    attrition and the sunlight fraction, is 1 GW (his sizing, done here from his inputs); the cost is then hardware
    at $/W of nameplate + launch at $/kg + NRE + ops 1 % of hardware, undiscounted. The model reproduces his costs
    from those inputs with ops as 0.2 %/yr over the 5 years."""
    (price, usd_w, w_kg, sat_kw, sun, deg, fail, nre_m), (n_pub, hw_pub, launch_pub, ops_pub, total_pub) = (
        MCCALIP_SETPOINTS[name]
    )
    years = 5
    retention = (1 - deg / 100) * (1 - fail / 100)
    avg = sum(retention**y for y in range(years)) / years
    n = math.ceil(1e9 / (avg * sun) / (sat_kw * 1e3))
    assert n == n_pub
    inputs = OrbitInputs(
        satellites=n,
        satellite=SatelliteSpec(gpus=0, compute_w=sat_kw * 1e3, array_bol_w=sat_kw * 1e3, mass_kg=sat_kw * 1e3 / w_kg),
        hardware=HardwareCost(satellite_usd_per_w=usd_w, gpu_usd=0.0),
        launch=LaunchPlan(vehicle=BIG, price_usd_per_kg=price, billed="mass"),
        reliability=Reliability(gpu_failure_rate_per_year=0.0),
        design_life_years=years,
        discount_rate=0.0,
        nre_usd=nre_m * 1e6,
        ops_fraction_of_hardware_per_year=0.01 / years,
        launch_insurance_fraction=0.0,
    )
    r = evaluate_orbit(inputs)
    assert r.cash_usd["hardware"].sum() == pytest.approx(hw_pub, rel=1e-9)
    assert r.cash_usd["launch"].sum() == pytest.approx(launch_pub, rel=1e-9)
    assert r.cash_usd["operations"].sum() == pytest.approx(ops_pub, rel=1e-9)
    assert r.total_cash_usd.sum() == pytest.approx(total_pub, rel=1e-9)
    # his $/W is per W of the 1 GW target: $63.9/W at the baseline, docs/sources.md §3 "$31-64/W"
    print(f"McCalip {name}: ${r.total_cash_usd.sum() / 1e9:.2f}/W")


@pytest.mark.parametrize(
    ("overrides", "fuel_pub", "total_pub"),
    [
        ({}, 1_191_062_160, 15_431_062_160),
        ({"gas_usd_per_mmbtu": 8.0, "heat_rate_btu_per_kwh": 6600.0}, 2_358_892_800, 16_598_892_800),
        ({"utilization": 0.6, "pue": 1.3, "gas_usd_per_mmbtu": 5.0}, 1_059_084_000, 15_444_084_000),
    ],
)
def test_mccalip_terrestrial_setpoints(overrides, fuel_pub, total_pub):
    """McCalip's terrestrial 1 GW, 5 years: five capex buckets per W of IT load, fuel for IT energy x PUE at the
    capacity factor (his GPUs are out of scope on both sides, so none here)."""
    args = dict(
        gpus=1_000_000,
        it_w_per_gpu=1_000.0,
        life_years=5.0,
        gpu_usd=0.0,
        gpu_failure_rate_per_year=0.0,
        discount_rate=0.0,
        hours_per_year=8_760.0,
    )
    args.update(overrides)
    g = evaluate_ground(GroundInputs(**args))
    fuel = g.cash_usd["energy_it"].sum() + g.cash_usd["energy_overhead"].sum()
    assert fuel == pytest.approx(fuel_pub, rel=1e-9)
    assert g.total_cash_usd.sum() == pytest.approx(total_pub, rel=1e-9)
