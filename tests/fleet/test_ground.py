"""Ground sites: grid-limited capacity and the energy, cost, carbon and water arithmetic, checked by hand."""

from __future__ import annotations

import pytest

from orbitgrid.fleet.ground import GroundSiteSpec, site_capacity
from orbitgrid.spacecraft.payload import Payload


def site(grid_mw: float, h100: int = 1000, pue: float = 1.2) -> GroundSiteSpec:
    return GroundSiteSpec(
        name="test",
        lat_deg=35.1,
        lon_deg=-90.0,
        payloads=(Payload("H100", h100, 700.0, 9.89e14, 80.0),),
        grid_power_w=grid_mw * 1e6,
        pue=pue,
        power_price_usd_per_kwh=0.05,
        carbon_g_per_kwh=400.0,
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
    assert t["emissions_tco2e"] == pytest.approx(1275.0 * 24 * 1.2 * 400.0 / 1e6)
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
