"""Ground sites: grid-limited capacity and the energy, cost, carbon and water arithmetic, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.fleet.ground import GroundSiteSpec, PerStep, site_capacity
from orbitgrid.spacecraft.payload import Payload


def site(
    grid_mw: float, h100: int = 1000, pue: float = 1.2, price: PerStep = 0.05, carbon: PerStep = 400.0
) -> GroundSiteSpec:
    return GroundSiteSpec(
        name="test",
        lat_deg=35.1,
        lon_deg=-90.0,
        payloads=(Payload("H100", h100, 700.0, 9.89e14, 80.0),),
        grid_power_w=grid_mw * 1e6,
        pue=pue,
        power_price_usd_per_kwh=price,
        carbon_g_per_kwh=carbon,
        water_l_per_kwh=0.5,
    )


def test_unconstrained_site_by_hand() -> None:
    # 1,000 H100 x 1,275 W (700 W + DGX host share 575 W) = 1.275 MW IT; x 1.2 = 1.53 MW facility < 2 MW grid.
    cap = site_capacity(site(2.0), n_steps=24, step_s=3600.0)
    t = cap.totals()
    assert t["gpu_hours_deliverable"] == pytest.approx(1000 * 24)
    assert t["it_energy_kwh"] == pytest.approx(1275.0 * 24)
    assert t["facility_energy_kwh"] == pytest.approx(1275.0 * 24 * 1.2)
    assert t["energy_cost_usd"] == pytest.approx(1275.0 * 24 * 1.2 * 0.05)
    assert t["carbon_t"] == pytest.approx(1275.0 * 24 * 1.2 * 400.0 / 1e6)
    assert t["water_m3"] == pytest.approx(1275.0 * 24 * 0.5 / 1e3)
    assert t["grid_limited_fraction"] == 0.0


def test_grid_limited_site_runs_the_whole_accelerators_that_fit() -> None:
    # 1.2 MW grid / 1.2 PUE = 1.0 MW IT -> floor(1e6 / 1275) = 784 H100.
    cap = site_capacity(site(1.2), n_steps=10, step_s=60.0)
    assert (cap.usable_accelerators == 784).all()
    assert cap.grid_limited.all()
    assert cap.it_power_w[0] == pytest.approx(784 * 1275.0)
    assert cap.it_power_w[0] * 1.2 <= 1.2e6


def test_colossus_scale_default_site() -> None:
    # The default scenario's site: 100,000 H100 on 150 MW at PUE 1.2 -> floor(125 MW / 1,275 W) = 98,039.
    cap = site_capacity(site(150.0, h100=100_000), n_steps=1, step_s=60.0)
    assert cap.usable_accelerators[0] == 98_039


def test_price_and_carbon_series_by_hand() -> None:
    # 1,000 H100 x 1,275 W = 1,275 kW IT for 4 steps of one hour: 1,275 kWh IT and 1,275 x 1.2 = 1,530 kWh facility
    # per step.
    # Prices 0.10, 0.20, 0.05, -0.01 USD/kWh (a negative day-ahead hour is kept): cost per step 153, 306, 76.5,
    # -15.3 USD; total 1,530 x 0.34 = 520.2 USD. Energy-weighted mean price 520.2 / 6,120 = 0.085 USD/kWh.
    # Carbon 100, 200, 300, 400 g/kWh: 153, 306, 459, 612 kg; total 1,530 x 1,000 g = 1.53 t.
    # Water 4 x 1,275 kWh IT x 0.5 L/kWh = 2,550 L = 2.55 m^3 (water follows IT energy, not price).
    price = np.array([0.10, 0.20, 0.05, -0.01])
    carbon = np.array([100.0, 200.0, 300.0, 400.0])
    cap = site_capacity(site(2.0, price=price, carbon=carbon), n_steps=4, step_s=3600.0)
    np.testing.assert_allclose(cap.energy_cost_usd, [153.0, 306.0, 76.5, -15.3], rtol=1e-12)
    np.testing.assert_allclose(cap.carbon_kg, [153.0, 306.0, 459.0, 612.0], rtol=1e-12)
    t = cap.totals()
    assert t["energy_cost_usd"] == pytest.approx(520.2, rel=1e-9)
    assert t["carbon_t"] == pytest.approx(1.53, rel=1e-9)
    assert t["water_m3"] == pytest.approx(2.55, rel=1e-9)
    assert t["price_usd_per_kwh_mean"] == pytest.approx(0.085, rel=1e-9)
    assert t["carbon_g_per_kwh_mean"] == pytest.approx(250.0, rel=1e-9)


def test_series_weight_the_energy_a_grid_limited_site_uses() -> None:
    # 784 H100 run (see above): 784 x 1,275 W = 999.6 kW IT; steps of 30 min -> 499.8 kWh IT, 599.76 kWh facility.
    # Prices 0.1 and 0.3: 599.76 x 0.4 = 239.904 USD.
    cap = site_capacity(site(1.2, price=np.array([0.1, 0.3])), n_steps=2, step_s=1800.0)
    assert cap.totals()["energy_cost_usd"] == pytest.approx(239.904, rel=1e-9)


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="power_price_usd_per_kwh has 3 values per step, the run has 4 steps"):
        site_capacity(site(2.0, price=np.array([0.1, 0.2, 0.3])), n_steps=4, step_s=3600.0)
    with pytest.raises(ValueError, match="carbon_g_per_kwh must be finite"):
        site_capacity(site(2.0, carbon=np.array([1.0, np.nan])), n_steps=2, step_s=3600.0)
