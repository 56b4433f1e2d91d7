"""Terrestrial baseline: a ground data center priced with the same outputs as the orbital TCO, and the lease view.

Model
-----
**Time** as in ``tco``: built and paid for in year 0, served in years ``1 .. L`` (a fractional last year counts
its fraction); present values at the discount rate, levelized cost = PV(costs) / PV(units).

**Capital** per W of IT load (McCalip's five buckets, andrewmccalip/thoughts ``static/js/math.js`` @534b5d7,
docs/sources.md §3): power generation ``$/kW x PUE / 1000`` (on-site gas turbines, $1,450/kW), electrical $5.25/W,
mechanical $3.00/W, civil $2.50/W, fit-out $1.75/W (~$13.8/W in all at PUE 1.2); an optional backup-power bucket
(Starcloud prices backup at $20M for 40 MW, $0.50/W; McCalip's electrical bucket includes the gensets, so it is 0 by
default). Set power generation to 0 when the site buys grid power. IT hardware: GPUs x $/GPU (with its server share),
as in orbit.

**Energy.** Facility energy = IT energy x PUE with IT energy ``GPUs x W per GPU x utilization x hours``.
Priced by a constant or an hourly (any-step) price series ``p_h``: a year costs
``P_IT PUE sum_h u_h p_h x (hours per year / n)`` for a series of ``n`` steps (utilization ``u_h`` constant or
the same length); or by fuel, ``heat rate x gas price``: 6,200 BTU/kWh x $4.30/MMBtu = $0.0267/kWh (McCalip). The
energy line is split into IT (``1/PUE``) and cooling and other overhead (``(PUE - 1)/PUE``), as Starcloud's table
separates energy from chiller energy.

**Water**: ``L/kWh x IT energy``; the default 0.485 L/kWh is Starcloud's 1.7 Mt per 40 MW over 10 years
(docs/sources.md §5, derived). **Carbon**: ``g/kWh x facility energy`` (constant or series); with fuel and no intensity
given, natural gas's 53.06 kg CO2/MMBtu (US EPA GHG Emission Factors Hub, Table 1) x heat rate = 329 g/kWh. Water
and carbon are priced only if given a price.

**Failures**: GPUs fail at the same per-GPU-year rate as in orbit and are replaced at ``$/GPU`` by default (a
technician swaps a board); ``replace_failed=False`` loses the capacity instead, never both (see ``tco``). A repair
takes ``repair_s`` (mean; 0 by default, the board swap taken as instant) with ``technicians`` at once (0: as many as
needed), the rule the simulation applies (``fleet.maintenance``): the GPUs down in repair are the finite-source
M/M/c//N steady state ``fleet.maintenance.machine_repair_in_repair``, and the working fraction is one less their
share (the failures, counted on the working GPUs, scale with it).

**Lease view.** Anthropic's reported lease of all of xAI's Colossus 1, ~$1.25 B per month for ~300 MW and
> 220,000 GPUs (docs/sources.md §4, SpaceX S-1 via TechCrunch, M confidence), is ``1.25e9 x 12 / (220,000 x 8,766 h)``
~ $7.78 per GPU-hour: a market price with margin, not a cost.

Validity
--------
Constant real prices; no land (except inside civil), taxes, staff or network transit; no salvage value; a load at
constant utilization unless a series is given. The McCalip buckets describe a new hyperscale build with on-site gas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.economics.tco import (
    DEFAULT_DISCOUNT_RATE,
    DEFAULT_LIFE_YEARS,
    H100_BF16_DENSE_FLOPS,
    H100_SERVER_USD_PER_GPU,
    HOURS_PER_JULIAN_YEAR,
    MCCALIP_CAPACITY_FACTOR,
    MCCALIP_GPU_FAILURE_RATE_PER_YEAR,
    CostResult,
    _broadcast_years,
    _fmt,
    _from_year,
    as_column,
    as_number,
    failure_profile,
    service_weights,
)
from orbitgrid.fleet.maintenance import machine_repair_in_repair

#: Power per H100 with its host share, W: DGX H100 10.2 kW / 8 (docs/sources.md §5; ``spacecraft.payload``).
H100_IT_W_PER_GPU = 10_200.0 / 8

#: US EPA GHG Emission Factors Hub, Table 1: natural gas 53.06 kg CO2 per MMBtu.
NATURAL_GAS_KG_CO2_PER_MMBTU = 53.06

#: Starcloud: 1.7 Mt of water for 40 MW over 10 years, per kWh of IT energy (docs/sources.md §5, derived).
STARCLOUD_WATER_L_PER_KWH = 1.7e9 / (40_000.0 * 8_760.0 * 10.0)

#: Colossus 1 lease (docs/sources.md §4): $/month, GPUs, MW.
COLOSSUS_LEASE_USD_PER_MONTH = 1.25e9
COLOSSUS_GPUS = 220_000
COLOSSUS_MW = 300.0

CAPEX_BUCKETS = ("power_generation", "electrical", "mechanical", "civil", "fit_out", "backup_power", "it_hardware")
OPEX_LINES = ("energy_it", "energy_overhead", "water", "carbon", "replacements")


@dataclass(frozen=True)
class CapexBuckets:
    """Facility capital per W of IT load; defaults McCalip's (module docstring)."""

    power_generation_usd_per_kw: float = 1450.0
    electrical_usd_per_w: float = 5.25
    mechanical_usd_per_w: float = 3.00
    civil_usd_per_w: float = 2.50
    fit_out_usd_per_w: float = 1.75
    backup_power_usd_per_w: float = 0.0

    def usd_per_w_it(self, pue: float) -> dict[str, float]:
        """Each bucket in $ per W of IT load (power generation scales with the facility power, IT x PUE)."""
        return {
            "power_generation": self.power_generation_usd_per_kw * pue / 1e3,
            "electrical": self.electrical_usd_per_w,
            "mechanical": self.mechanical_usd_per_w,
            "civil": self.civil_usd_per_w,
            "fit_out": self.fit_out_usd_per_w,
            "backup_power": self.backup_power_usd_per_w,
        }


@dataclass(frozen=True)
class GroundInputs:
    """A ground data center as plain numbers (module docstring). ``electricity_usd_per_kwh`` (constant or series)
    takes precedence over fuel; ``utilization`` is a constant or a series as long as the price series."""

    gpus: int
    it_w_per_gpu: float = H100_IT_W_PER_GPU
    flops_per_gpu: float = H100_BF16_DENSE_FLOPS
    life_years: float = DEFAULT_LIFE_YEARS
    pue: float = 1.2
    capex: CapexBuckets = CapexBuckets()
    gpu_usd: float = H100_SERVER_USD_PER_GPU
    electricity_usd_per_kwh: float | np.ndarray | None = None
    heat_rate_btu_per_kwh: float = 6200.0
    gas_usd_per_mmbtu: float = 4.30
    utilization: float | np.ndarray = MCCALIP_CAPACITY_FACTOR
    water_l_per_kwh: float = STARCLOUD_WATER_L_PER_KWH
    water_usd_per_m3: float = 0.0
    carbon_g_per_kwh: float | np.ndarray | None = None
    carbon_usd_per_t: float = 0.0
    gpu_failure_rate_per_year: float = MCCALIP_GPU_FAILURE_RATE_PER_YEAR
    replace_failed: bool = True
    repair_s: float = 0.0
    technicians: int = 0
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    hours_per_year: float = HOURS_PER_JULIAN_YEAR
    facts_extra: dict[str, float] = field(default_factory=dict)


def _series_mean(x: float | np.ndarray) -> float:
    return float(np.mean(np.asarray(x, dtype=np.float64)))


#: Fields of :class:`GroundInputs` that may be a time series (not a batch of draws: an array there is a series).
SERIES_FIELDS = ("electricity_usd_per_kwh", "utilization", "carbon_g_per_kwh")


def evaluate_ground(inp: GroundInputs) -> CostResult:
    """Price a ground data center with the same outputs as :func:`tco.evaluate_orbit`. Like it, every numeric
    input but the counts and :data:`SERIES_FIELDS` may be an array of one value per draw (``tco``, "Batches")."""
    if inp.gpus <= 0:
        raise ValueError("gpus must be > 0")
    w = service_weights(inp.life_years)
    n_t = w.shape[-1] + 1
    years = np.arange(n_t)
    it_w = inp.gpus * np.asarray(inp.it_w_per_gpu, dtype=np.float64)
    working, failing = failure_profile(inp.gpu_failure_rate_per_year, inp.life_years, inp.replace_failed)
    in_repair: Any = 0.0
    rate = np.asarray(inp.gpu_failure_rate_per_year, dtype=np.float64)
    if inp.replace_failed and np.any(np.asarray(inp.repair_s) > 0.0) and np.any(rate > 0.0):
        rate_s = rate / (np.asarray(inp.hours_per_year) * 3600.0)
        if np.ndim(rate_s) == 0 and np.ndim(inp.repair_s) == 0:
            in_repair = machine_repair_in_repair(inp.gpus, float(rate_s), float(inp.repair_s), inp.technicians)
        else:  # per draw (0 where a rate is 0)
            repair = np.vectorize(machine_repair_in_repair, otypes=[np.float64])
            in_repair = as_number(repair(inp.gpus, rate_s, inp.repair_s, inp.technicians))
        working = working * (1.0 - as_column(in_repair) / inp.gpus)
        failing = failing * (1.0 - as_column(in_repair) / inp.gpus)

    u = np.asarray(inp.utilization, dtype=np.float64)
    if inp.electricity_usd_per_kwh is not None:
        price = np.asarray(inp.electricity_usd_per_kwh, dtype=np.float64)
        if price.ndim and u.ndim and price.shape != u.shape:
            raise ValueError("a utilization series must have the price series' length")
        usd_per_kwh_weighted: Any = float(np.mean(u * price))  # mean of u_h p_h over the series
        energy_basis = "electricity price series" if price.ndim else "electricity price"
    else:
        fuel = np.asarray(inp.heat_rate_btu_per_kwh) * np.asarray(inp.gas_usd_per_mmbtu) / 1e6
        usd_per_kwh_weighted = as_number(_series_mean(u) * fuel)
        energy_basis = f"fuel: {_fmt(inp.heat_rate_btu_per_kwh)} BTU/kWh x ${_fmt(inp.gas_usd_per_mmbtu)}/MMBtu"
    u_mean = _series_mean(u)
    g_per_kwh_weighted: Any
    if inp.carbon_g_per_kwh is not None:
        carbon = np.asarray(inp.carbon_g_per_kwh, dtype=np.float64)
        g_per_kwh_weighted = float(np.mean(u * carbon)) / u_mean if u_mean > 0 else _series_mean(carbon)
    elif inp.electricity_usd_per_kwh is None:
        g_per_kwh_weighted = as_number(np.asarray(inp.heat_rate_btu_per_kwh) * NATURAL_GAS_KG_CO2_PER_MMBTU / 1e3)
    else:
        g_per_kwh_weighted = math.nan
    no_carbon = np.isnan(g_per_kwh_weighted)

    hours = as_column(inp.hours_per_year)
    alive = _padded_front(w * working)  # fraction of GPU-years working
    installed_gpu_h = _padded_front(w * inp.gpus * hours)
    gpu_h = alive * inp.gpus * hours * u_mean
    it_kwh = gpu_h * as_column(inp.it_w_per_gpu) / 1e3
    # energy cost: sum_h P u_h p_h over the working fleet
    pue = as_column(inp.pue)
    energy_usd = alive * as_column(it_w) / 1e3 * hours * as_column(usd_per_kwh_weighted) * pue

    cash: dict[str, np.ndarray] = {}
    for k, v in inp.capex.usd_per_w_it(inp.pue).items():
        cash[k] = _from_year(np.asarray(v) * it_w, years)
    cash["it_hardware"] = _from_year(inp.gpus * np.asarray(inp.gpu_usd), years)
    cash["energy_it"] = energy_usd / pue
    cash["energy_overhead"] = energy_usd * (pue - 1.0) / pue
    water_l = it_kwh * as_column(inp.water_l_per_kwh)
    cash["water"] = water_l / 1e3 * as_column(inp.water_usd_per_m3)
    co2_t = it_kwh * pue * as_column(np.where(no_carbon, 0.0, g_per_kwh_weighted)) / 1e6
    cash["carbon"] = co2_t * as_column(inp.carbon_usd_per_t)
    replaced = _padded_front(failing * inp.gpus) if inp.replace_failed else np.zeros(n_t)
    cash["replacements"] = replaced * as_column(inp.gpu_usd)
    keys = CAPEX_BUCKETS + OPEX_LINES
    lost_gpu_h = installed_gpu_h - alive * inp.gpus * hours
    pflop_days = gpu_h * as_column(inp.flops_per_gpu) / 1e15 / 24.0
    # every per-year array to one shape: a draw may vary any one of them alone (the FLOPS, the IT power)
    per_year = _broadcast_years(
        [*(cash[k] for k in keys), gpu_h, installed_gpu_h, alive, lost_gpu_h, it_kwh, pflop_days]
    )
    batch = per_year[0].shape
    cash = dict(zip(keys, per_year, strict=False))
    gpu_h, installed_gpu_h, alive, lost_gpu_h, it_kwh, pflop_days = per_year[len(keys) :]
    capex_w = sum((cash[k][..., 0] for k in CAPEX_BUCKETS if k != "it_hardware"), np.zeros(batch[:-1]))

    facts = {
        "gpus": float(inp.gpus),
        "it_power_w": as_number(it_w),
        "facility_power_w": as_number(it_w * np.asarray(inp.pue)),
        "pue": as_number(inp.pue),
        "capex_usd_per_w_it": as_number(capex_w / it_w),
        "energy_usd_per_kwh_facility": as_number(np.asarray(usd_per_kwh_weighted) / u_mean) if u_mean > 0 else math.nan,
        "water_l": as_number(np.sum(water_l, axis=-1)),
        "carbon_t_co2": as_number(np.where(no_carbon, math.nan, np.sum(co2_t, axis=-1))),
        "carbon_g_per_kwh": g_per_kwh_weighted,
        "utilization": u_mean,
        "gpus_replaced": as_number(np.sum(replaced, axis=-1)),
        "gpus_in_repair_mean": in_repair,
        **inp.facts_extra,
    }
    return CostResult(
        side="ground",
        years=years,
        cash_usd=cash,
        gpu_hours=gpu_h,
        installed_gpu_hours=installed_gpu_h,
        lost_gpu_hours_failures=lost_gpu_h,
        compute_energy_kwh=it_kwh,
        pflop_days=pflop_days,
        discount_rate=as_number(inp.discount_rate),
        installed_compute_w=as_number(it_w),
        gpu_hours_source="nominal",
        facts=facts,
        notes=(f"energy priced by {energy_basis}",),
        capex_lines=CAPEX_BUCKETS,
    )


def _padded_front(per_service_year: np.ndarray) -> np.ndarray:
    """Year 0 (building) followed by the service years ``1 .. L``."""
    a = np.asarray(per_service_year, dtype=np.float64)
    return np.concatenate([np.zeros((*a.shape[:-1], 1)), a], axis=-1)


def lease_usd_per_gpu_hour(
    usd_per_month: float = COLOSSUS_LEASE_USD_PER_MONTH,
    gpus: int = COLOSSUS_GPUS,
    hours_per_year: float = HOURS_PER_JULIAN_YEAR,
) -> float:
    """A lease's price per GPU-hour: ``$/month x 12 / (GPUs x hours per year)`` (Colossus 1 by default)."""
    return usd_per_month * 12.0 / (gpus * hours_per_year)


def lease_usd_per_kw_year(usd_per_month: float = COLOSSUS_LEASE_USD_PER_MONTH, mw: float = COLOSSUS_MW) -> float:
    """A lease's price per kW of facility power per year (Colossus 1 by default)."""
    return usd_per_month * 12.0 / (mw * 1e3)
