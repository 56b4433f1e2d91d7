"""Ground data centres as nodes: accelerators, a grid connection, PUE, and the price, carbon and water of energy.

Model
-----
A site installs accelerators of one or more models (``Payload`` each, host and network share included). Its IT
power at full load is ``P_IT = sum_m n_m P_m``; the facility draws ``PUE x P_IT``. When that exceeds the grid
connection ``P_grid`` the site runs the largest whole number of accelerators of each model that fits, scaling every
model by the same factor ``min(1, P_grid / (PUE P_IT))`` (rounded down). Over a step of ``h`` seconds at full load:
IT energy ``E_IT = P_IT,used h``; facility energy ``PUE E_IT``; cost ``PUE E_IT x price``; emissions
``PUE E_IT x carbon intensity``; water ``E_IT x WUE`` (litres per kWh of IT energy, The Green Grid's WUE).

Sources: PUE default 1.2 (McCalip's liquid-cooled figure; Suncatcher quotes 1.09-1.4); price, carbon and water
defaults as cited in the scenario reference (``GroundSite``). Validity: a site runs at the power the grid allows,
with no on-site generation, storage or demand response; price and carbon are constants over the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.spacecraft.payload import Payload

J_PER_KWH = 3.6e6


@dataclass(frozen=True)
class GroundSiteSpec:
    name: str
    lat_deg: float
    lon_deg: float
    payloads: tuple[Payload, ...]
    grid_power_w: float
    pue: float
    power_price_usd_per_kwh: float
    carbon_g_per_kwh: float
    water_l_per_kwh: float

    @property
    def accelerators(self) -> int:
        return sum(p.count for p in self.payloads)

    @property
    def it_power_full_w(self) -> float:
        return sum(p.full_load_w for p in self.payloads)


@dataclass(frozen=True)
class GroundSiteCapacity:
    """Per-step capacity of a site; arrays have one value per step."""

    spec: GroundSiteSpec
    step_s: float
    usable_accelerators: np.ndarray
    it_power_w: np.ndarray
    grid_limited: np.ndarray

    def totals(self) -> dict[str, float]:
        it_kwh = float(np.sum(self.it_power_w) * self.step_s / J_PER_KWH)
        facility_kwh = it_kwh * self.spec.pue
        hours = self.step_s * self.usable_accelerators.size / 3600.0
        return {
            "accelerators": self.spec.accelerators,
            "gpu_hours_deliverable": float(np.sum(self.usable_accelerators) * self.step_s / 3600.0),
            "gpu_hours_installed": self.spec.accelerators * hours,
            "it_energy_kwh": it_kwh,
            "facility_energy_kwh": facility_kwh,
            "energy_cost_usd": facility_kwh * self.spec.power_price_usd_per_kwh,
            "emissions_tco2e": facility_kwh * self.spec.carbon_g_per_kwh / 1e6,
            "water_m3": it_kwh * self.spec.water_l_per_kwh / 1e3,
            "grid_limited_fraction": float(np.mean(self.grid_limited)),
            "pue": self.spec.pue,
        }


def site_capacity(spec: GroundSiteSpec, n_steps: int, step_s: float) -> GroundSiteCapacity:
    """Capacity of ``spec`` on every step of a grid (constant over time: the grid connection does not vary)."""
    available_it_w = spec.grid_power_w / spec.pue
    scale = min(1.0, available_it_w / spec.it_power_full_w) if spec.it_power_full_w > 0 else 1.0
    usable = 0
    it_w = 0.0
    for p in spec.payloads:
        n = int(np.floor(p.count * scale + 1e-9))
        usable += n
        it_w += n * p.power_per_accelerator_w
    return GroundSiteCapacity(
        spec=spec,
        step_s=step_s,
        usable_accelerators=np.full(n_steps, usable, dtype=np.int64),
        it_power_w=np.full(n_steps, it_w),
        grid_limited=np.full(n_steps, scale < 1.0),
    )
