"""Terrestrial baseline (orbitgrid.economics.terrestrial): McCalip's buckets, fuel and price series (a real hourly
day-ahead series), water and carbon by hand, the Colossus lease per GPU-hour, failures replaced or lost."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from orbitgrid.economics import terrestrial
from orbitgrid.economics.terrestrial import CapexBuckets, GroundInputs, evaluate_ground


def _plain(**kw) -> GroundInputs:
    args = dict(
        gpus=1000,
        it_w_per_gpu=1000.0,
        life_years=3.0,
        gpu_usd=0.0,
        gpu_failure_rate_per_year=0.0,
        discount_rate=0.0,
        utilization=1.0,
    )
    args.update(kw)
    return GroundInputs(**args)


def test_mccalip_capex_buckets_per_w():
    # power generation $1,450/kW x PUE 1.2 = $1.74/W; + 5.25 + 3.00 + 2.50 + 1.75 = $14.24/W of IT load, inside the
    # $11.60-16.00/W range McCalip's source report gives (~$13.80/W target)
    per_w = CapexBuckets().usd_per_w_it(1.2)
    assert per_w["power_generation"] == pytest.approx(1.74)
    assert sum(per_w.values()) == pytest.approx(14.24, rel=1e-12)
    assert 11.60 <= sum(per_w.values()) <= 16.00
    g = evaluate_ground(_plain(pue=1.2))
    assert g.facts["capex_usd_per_w_it"] == pytest.approx(14.24, rel=1e-12)


def test_fuel_priced_energy_by_hand_and_carbon_of_gas():
    # 6,200 BTU/kWh x $4.30/MMBtu = $0.02666/kWh of facility energy; 1 MW IT x PUE 1.2 x 8,766 h x 0.85 per year
    g = evaluate_ground(_plain(pue=1.2, utilization=0.85))
    per_year = 1_000.0 * 1.2 * 8_766.0 * 0.85 * 6_200 * 4.30 / 1e6
    energy = g.cash_usd["energy_it"] + g.cash_usd["energy_overhead"]
    assert energy.tolist() == pytest.approx([0.0, per_year, per_year, per_year], rel=1e-12)
    assert g.cash_usd["energy_overhead"].sum() == pytest.approx(energy.sum() * 0.2 / 1.2, rel=1e-12)
    # 53.06 kg CO2/MMBtu x 6,200 BTU/kWh = 328.97 g/kWh of facility energy
    assert g.facts["carbon_g_per_kwh"] == pytest.approx(328.972, abs=1e-3)
    facility_kwh = 1_000.0 * 1.2 * 8_766.0 * 0.85 * 3
    assert g.facts["carbon_t_co2"] == pytest.approx(facility_kwh * 328.972e-6, rel=1e-5)
    # priced only when given a price: $100/t
    gc = evaluate_ground(_plain(pue=1.2, utilization=0.85, carbon_usd_per_t=100.0))
    assert gc.cash_usd["carbon"].sum() == pytest.approx(g.facts["carbon_t_co2"] * 100.0, rel=1e-12)
    # water at Starcloud's ratio: L per kWh of IT energy
    assert g.facts["water_l"] == pytest.approx(1_000.0 * 8_766.0 * 0.85 * 3 * 1.7e9 / 3.504e9, rel=1e-12)


def test_hourly_price_series_from_real_day_ahead_prices(shared_file):
    """Belgian day-ahead prices 2022-2023 (hourly, EUR/kWh, ENTSO-E via ../shared/data/grid_carbon): a flat load pays
    the mean price; a load that idles in the 10 % dearest hours pays sum(u_h p_h), less than the flat load."""
    path = shared_file("grid_carbon/belgium_dayahead_price_2022_2023_eur_per_kwh.csv")
    with path.open() as f:
        rows = list(csv.DictReader(f))
    price = np.array([float(r["DAM_price"]) for r in rows if r["DAM_price"].strip()])
    assert len(rows) == 17_522 and price.size == 17_520  # the two spring-forward hours have no price
    flat = evaluate_ground(_plain(electricity_usd_per_kwh=price, pue=1.1))
    const = evaluate_ground(_plain(electricity_usd_per_kwh=float(price.mean()), pue=1.1))
    assert flat.total_cash_usd.sum() == pytest.approx(const.total_cash_usd.sum(), rel=1e-12)
    u = np.where(price > np.quantile(price, 0.9), 0.0, 1.0)
    shaped = evaluate_ground(_plain(electricity_usd_per_kwh=price, utilization=u, pue=1.1))
    per_year = 1_000.0 * 1.1 * 8_766.0 * float(np.mean(u * price))
    energy = shaped.cash_usd["energy_it"] + shaped.cash_usd["energy_overhead"]
    assert energy[1:] == pytest.approx([per_year] * 3, rel=1e-12)
    # it delivers 10 % fewer GPU-hours and pays far less than 90 % of the flat energy bill (2022's price spikes)
    assert shaped.gpu_hours.sum() == pytest.approx(0.9 * flat.gpu_hours.sum(), rel=1e-3)
    assert energy.sum() < 0.75 * (flat.cash_usd["energy_it"] + flat.cash_usd["energy_overhead"]).sum()
    with pytest.raises(ValueError):
        evaluate_ground(_plain(electricity_usd_per_kwh=price, utilization=u[:100]))


def test_colossus_lease_per_gpu_hour():
    # $1.25B x 12 / (220,000 GPUs x 8,766 h) = $7.778 per GPU-hour; per kW of the 300 MW: $50,000/kW/yr
    assert terrestrial.lease_usd_per_gpu_hour() == pytest.approx(1.25e9 * 12 / (220_000 * 8_766), rel=1e-12)
    assert terrestrial.lease_usd_per_gpu_hour() == pytest.approx(7.78, abs=0.005)
    assert terrestrial.lease_usd_per_kw_year() == pytest.approx(50_000.0, rel=1e-12)


def test_failures_replaced_or_lost_and_discounting_like_orbit():
    r = evaluate_ground(_plain(gpu_failure_rate_per_year=0.1, gpu_usd=30_000.0))
    # replaced by default: 10 % of 1,000 GPUs a year for 3 years at $30,000, no capacity lost
    assert r.cash_usd["replacements"].sum() == pytest.approx(300 * 30_000.0, rel=1e-12)
    assert r.lost_gpu_hours_failures.sum() == 0.0
    lost = evaluate_ground(_plain(gpu_failure_rate_per_year=0.1, gpu_usd=30_000.0, replace_failed=False))
    assert lost.cash_usd["replacements"].sum() == 0.0
    assert r.gpu_hours.sum() - lost.gpu_hours.sum() == pytest.approx(lost.lost_gpu_hours_failures.sum(), rel=1e-12)
    # 3-year hand case: $30M of GPUs in year 0, 8.766M GPU-hours a year; at 10 % PV(hours) = 8.766e6 x 2.486852
    d = evaluate_ground(_plain(gpu_usd=30_000.0, discount_rate=0.10, capex=CapexBuckets(0, 0, 0, 0, 0, 0)))
    energy_pv = d.pv(d.cash_usd["energy_it"] + d.cash_usd["energy_overhead"])
    assert d.pv_gpu_hours == pytest.approx(8.766e6 * 2.4868520, rel=1e-7)
    assert d.usd_per_gpu_hour == pytest.approx((30e6 + energy_pv) / (8.766e6 * 2.4868520), rel=1e-7)
