"""Ground data centres as nodes: accelerators, a grid connection, PUE, and the price, carbon and water of energy.

Model
-----
A site installs accelerators of one or more models (``Payload`` each, host and network share included). Its IT
power at full load is ``P_IT = sum_m n_m P_m``; the facility draws ``PUE x P_IT``. When that exceeds the grid
connection ``P_grid`` the site runs the largest whole number of accelerators of each model that fits, scaling every
model by the same factor ``min(1, P_grid / (PUE P_IT))`` (rounded down). Over step ``k`` of ``h`` seconds at full
load: IT energy ``E_k = P_IT,used h``; facility energy ``PUE E_k``; cost ``PUE E_k x price_k``; emissions
``PUE E_k x carbon_k``; water ``E_k x WUE`` (litres per kWh of IT energy, The Green Grid's WUE, whose denominator is
IT energy). Run totals are the sums over steps, so a price series weights each step by the energy used in it.

Price and carbon intensity are either one number for the whole run or one value per step; the scenario layer turns
a CSV series into step means (``orbitgrid.scenario.series``) and passes plain arrays here.

Sources: PUE default 1.2 (McCalip's liquid-cooled figure; Suncatcher quotes 1.09-1.4); price, carbon and water
defaults as cited in the scenario reference (``GroundSite``). Validity: a site runs at the power the grid allows,
with no on-site generation, storage or demand response, and at full load on every step: it does not move load to
cheap or clean hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.spacecraft.payload import Payload

J_PER_KWH = 3.6e6


PerStep = float | np.ndarray


def _per_step(value: PerStep, n_steps: int, name: str) -> np.ndarray:
    """``value`` as one float per step: a number repeated, or an array of exactly ``n_steps`` finite values."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n_steps, float(arr))
    if arr.shape != (n_steps,):
        raise ValueError(f"{name} has {arr.size} values per step, the run has {n_steps} steps")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite on every step")
    return arr


@dataclass(frozen=True, eq=False)
class GroundSiteSpec:
    """A site. ``power_price_usd_per_kwh`` and ``carbon_g_per_kwh`` are a number for the whole run or an array with
    one value per step (the step mean)."""

    name: str
    lat_deg: float
    lon_deg: float
    payloads: tuple[Payload, ...]
    grid_power_w: float
    pue: float
    power_price_usd_per_kwh: PerStep
    carbon_g_per_kwh: PerStep
    water_l_per_kwh: float

    @property
    def accelerators(self) -> int:
        return sum(p.count for p in self.payloads)

    @property
    def it_power_full_w(self) -> float:
        return sum(p.full_load_w for p in self.payloads)

    def price_per_step(self, n_steps: int) -> np.ndarray:
        """USD/kWh on each of ``n_steps`` steps."""
        return _per_step(self.power_price_usd_per_kwh, n_steps, "power_price_usd_per_kwh")

    def carbon_per_step(self, n_steps: int) -> np.ndarray:
        """gCO2e/kWh on each of ``n_steps`` steps."""
        return _per_step(self.carbon_g_per_kwh, n_steps, "carbon_g_per_kwh")


@dataclass(frozen=True)
class GroundSiteCapacity:
    """Per-step capacity of a site; arrays have one value per step."""

    spec: GroundSiteSpec
    step_s: float
    usable_accelerators: np.ndarray
    it_power_w: np.ndarray
    grid_limited: np.ndarray

    @property
    def it_energy_kwh(self) -> np.ndarray:
        """IT energy on each step, kWh."""
        return np.asarray(self.it_power_w * self.step_s / J_PER_KWH)

    @property
    def facility_energy_kwh(self) -> np.ndarray:
        """Facility energy (IT x PUE) on each step, kWh."""
        return self.it_energy_kwh * self.spec.pue

    @property
    def energy_cost_usd(self) -> np.ndarray:
        """Energy cost on each step: IT energy x PUE x that step's price, USD."""
        return self.facility_energy_kwh * self.spec.price_per_step(self.it_power_w.size)

    @property
    def carbon_kg(self) -> np.ndarray:
        """Emissions on each step: IT energy x PUE x that step's carbon intensity, kgCO2e."""
        return self.facility_energy_kwh * self.spec.carbon_per_step(self.it_power_w.size) / 1e3

    @property
    def water_l(self) -> np.ndarray:
        """Cooling water on each step: IT energy x WUE, litres."""
        return self.it_energy_kwh * self.spec.water_l_per_kwh

    def totals(self) -> dict[str, float]:
        it_kwh = float(np.sum(self.it_energy_kwh))
        facility_kwh = float(np.sum(self.facility_energy_kwh))
        cost = float(np.sum(self.energy_cost_usd))
        carbon_kg = float(np.sum(self.carbon_kg))
        hours = self.step_s * self.usable_accelerators.size / 3600.0
        return {
            "accelerators": self.spec.accelerators,
            "gpu_hours_deliverable": float(np.sum(self.usable_accelerators) * self.step_s / 3600.0),
            "gpu_hours_installed": self.spec.accelerators * hours,
            "it_energy_kwh": it_kwh,
            "facility_energy_kwh": facility_kwh,
            "energy_cost_usd": cost,
            "carbon_t": carbon_kg / 1e3,
            "water_m3": float(np.sum(self.water_l)) / 1e3,
            "price_usd_per_kwh_mean": cost / facility_kwh if facility_kwh > 0 else float("nan"),
            "carbon_g_per_kwh_mean": carbon_kg * 1e3 / facility_kwh if facility_kwh > 0 else float("nan"),
            "grid_limited_fraction": float(np.mean(self.grid_limited)),
            "pue": self.spec.pue,
        }


def site_capacity(spec: GroundSiteSpec, n_steps: int, step_s: float) -> GroundSiteCapacity:
    """Capacity of ``spec`` on every step of a grid (constant over time: the grid connection does not vary).

    Raises ValueError when a per-step price or carbon array does not have ``n_steps`` values.
    """
    spec.price_per_step(n_steps)
    spec.carbon_per_step(n_steps)
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
