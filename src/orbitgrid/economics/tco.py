"""Orbital total cost of ownership and levelized cost per delivered GPU-hour, kWh, W and PFLOP-day.

One call, :func:`evaluate_orbit`, prices a fleet of identical satellites from plain numbers (no scenario objects,
no pandas) in well under a millisecond; ``uncertainty`` and ``design.sweep`` call it many thousand times.

**Batches.** Any numeric input that is not a count (satellites, GPUs, spares, stations) may also be an array of one
value per draw, shape ``(B,)``: the same equations then run on all draws at once, every per-year array of the
result is ``(B, years)`` (``years`` the most any draw needs; a draw's later years are zero) and every summary is an
array of ``B`` values (:func:`as_number`). The Monte Carlo of a run's ``cost.json`` evaluates its draws this way.

Model
-----
**Time.** Whole years ``t = 0, 1, ...`` of the programme. Satellites fly in cohorts: the launch schedule
(``launch.schedule_launches``: whole satellites per launch, at most ``max_launches_per_year``) puts cohort ``y``'s
satellites in orbit during year ``y``; they are paid for in year ``y`` and serve in years ``y+1 ... y+L`` (design
life ``L``; a fractional last year counts its fraction). NRE is paid in year 0.

**Capital (paid in the launch year).**

- *Hardware*, per satellite, ``"per_w"``: ``$/W x P_array,BOL + GPUs x $/GPU`` (McCalip prices the satellite
  without its compute at $22/W of array nameplate, Starlink V2 Mini BOM at ~$800/kg; GPUs are priced on both sides
  alike); or ``"bottom_up"``: ``GPUs x $/GPU + sum_i m_i x $/kg_i + P_array x $/W_array + sum_j P_compute x $/W_j``
  over the mass budget's items ``m_i`` (``mass.ITEMS``; payload and propellant excluded, the GPUs carry the
  payload) and named per-W lines ``j``.
- *Launch* from the schedule (fixed $/kg, a vehicle's price per launch, or the learning curve; the whole launch is
  billed unless ``billed="mass"``). The share of the launched mass that is deorbit propellant is reported as
  *deorbit* (the disposal's cost), the rest as *launch*.
- *Insurance*: launch + first-year cover, a fraction of hardware + launch value. 5 % by default: the actuarially fair
  premium of a launch failure rate of about 1 in 20 (CNBC, quoted by astropreneurs.space 2017); plus an optional
  in-orbit premium per year on the same value.
- *NRE* (non-recurring engineering): McCalip's $0.5 B default (docs/sources.md §3).

**Operations (per service year).**

- *Ground segment*: ``stations(t) = max(min_stations, ceil(N_active(t) x D / C))`` for a downlink demand ``D``
  bits per satellite-day and a station capacity ``C`` bits per station-day (link rate x contact time per day; the
  network layer computes contact time); a station is bought (capex) the first year it is needed and run (opex)
  every year after. Plus a per-satellite operations cost per year. Stations come in whole units, so the cost steps.
- *Operations* as a fraction of hardware per year: McCalip's 1 % of satellite hardware over a 5-year analysis is
  0.2 %/yr (andrewmccalip/thoughts ``static/js/math.js``, ``ORBITAL_OPS_FRAC``).

**Failures and degradation.** GPUs fail at ``f`` per GPU-year (McCalip: 9 %/yr, "Meta"; the Llama 3 counts give
0.061/yr faulty GPU + 0.030/yr HBM = 0.091/yr, docs/sources.md §6), or at the rate a simulation measured. A failed
GPU is *either* replaced *or* its capacity is lost, never both (``replace_failed``):

- lost: the cohort's working fraction over service year ``a`` is ``(1 - f)^(a-1) (1 - f/2)`` (start-of-year survivors,
  less half the year's failures); no replacement cost;
- replaced: the working fraction stays 1, and each year ``f`` of the installed GPUs are replaced, each at its share
  of a new satellite flown to orbit: ``(hardware + launch per satellite) x (1 + launch insurance) / GPUs``.

*Cold spares* (``spares_per_satellite``, the payload's ``spares``): each satellite carries them from launch (their
GPU price is a hardware line, ``spare_gpus``, and their mass is in the satellite's launched mass) and swaps one in
for each failed GPU until none is left — the rule the simulation applies (``fleet.maintenance``). With spares the
working fraction of service year ``a`` is the year's mean of the continuous-time survival
``fleet.maintenance.spare_alive_mean`` (a Poisson process of failures replaced until the spares run out, then
independent decay at rate ``f``), and, when failed GPUs are replaced, only the failures beyond the spares are flown
(``f`` per GPU-year less the spares used that year). Without spares the annual form above is kept.

Array degradation ``d`` per year (McCalip 2.5 %/yr) throttles compute once the array's margin is used up: the power
fraction in service year ``a`` is ``min(1, k (1 - d)^(a - 1/2))``; ``k = None`` means the array was sized for end of
life (as ``design.size`` does), so the fraction is 1.

**Delivered GPU-hours.** ``installed GPU-hours x working fraction x power fraction x delivered fraction``, where the
delivered fraction is a simulation's delivered / installed GPU-hours when given (``gpu_hours_source =
"simulated"``: eclipse throttling, faults, checkpoint losses and scheduler idling as simulated) or else the nominal
``availability x utilization`` (``"nominal"``: terminator-orbit sunlight 0.98, docs/sources.md §5, times McCalip's
capacity factor 0.85, which he applies to the ground). Hours per year 8,766 (Julian) unless given.

**Discounting and levelized cost.** Present value at rate ``r``: ``PV = sum_t CF_t / (1 + r)^t``. Levelized cost
per unit = PV(costs) / PV(units) (the discounted-output convention of levelized cost of energy; with ``r = 0`` it is
total cost / total units), for delivered GPU-hours, compute energy (delivered GPU-hours x W per GPU incl. host), and
PFLOP-days (delivered GPU-hours x dense BF16 FLOP/s per GPU). ``usd_per_w`` is PV(costs) / installed compute W.

Validity
--------
Constant prices in real terms (no inflation, no GPU price decline), no salvage value, no taxes or financing beyond
the discount rate; every satellite of the fleet is the same; one launch vehicle. Non-linear in fleet size through
NRE, whole stations, the launch cadence (a fleet that takes years to deploy serves later, and discounting weighs
that) and the learning curve (a large fleet buys its own price cuts).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from orbitgrid.economics.launch import STARSHIP_V3, LaunchVehicle, WrightsLaw, as_column, schedule_launches
from orbitgrid.fleet.maintenance import service_year_profile
from orbitgrid.spacecraft.power import DEFAULT_DEGRADATION_PER_YEAR

HOURS_PER_JULIAN_YEAR = 8766.0

#: NVIDIA H100 SXM dense BF16, FLOP/s (GPU catalog; docs/sources.md §6).
H100_BF16_DENSE_FLOPS = 9.89e14

#: Price of one GPU with its share of the server: a DGX H100 sold for ~$270,000 (SemiAnalysis, "AI server cost
#: analysis", May 2023, as used by Epoch AI's training-cost-trends), / 8 GPUs.
H100_SERVER_USD_PER_GPU = 270_000.0 / 8

#: McCalip's satellite hardware price, $/W of array nameplate, GPUs excluded (Starlink V2 Mini BOM ~$590k / 27 kW,
#: "~$800/kg manufacturing"; andrewmccalip/thoughts static/js/math.js @534b5d7).
MCCALIP_SATELLITE_USD_PER_W = 22.0
MCCALIP_SATELLITE_USD_PER_KG = 800.0
MCCALIP_NRE_USD = 500e6
MCCALIP_OPS_FRACTION_PER_YEAR = 0.01 / 5.0
MCCALIP_GPU_FAILURE_RATE_PER_YEAR = 0.09
MCCALIP_CELL_DEGRADATION_PER_YEAR = DEFAULT_DEGRADATION_PER_YEAR  # McCalip's 2.5 %/yr (spacecraft.power)
MCCALIP_CAPACITY_FACTOR = 0.85
TERMINATOR_SUNLIT_FRACTION = 0.98  # docs/sources.md §5, McCalip's terminator default

#: Real discount rate: the base case of OMB Circular A-94 (1992).
DEFAULT_DISCOUNT_RATE = 0.07

#: Service life of a satellite and of a ground site, years: McCalip's analysis period and Suncatcher's 5-year dose
#: requirement (Suncatcher §2.3 via docs/sources.md; Starcloud plans ~15 years).
DEFAULT_LIFE_YEARS = 5.0

#: Launch + first-year insurance: one launch in ~20 fails (CNBC via astropreneurs.space, 2017) -> 5 % fair premium.
DEFAULT_LAUNCH_INSURANCE_FRACTION = 0.05

#: Lines of the cost breakdown, in display order; capital lines first.
CAPEX_LINES = ("hardware", "launch", "deorbit", "insurance", "nre", "ground_segment_capex")
OPEX_LINES = ("ground_segment_opex", "operations", "insurance_in_orbit", "replacements")
LINES = CAPEX_LINES + OPEX_LINES


@dataclass(frozen=True)
class SatelliteSpec:
    """One satellite as the cost model sees it.

    ``compute_w``: IT load at full use (GPUs + host share). ``array_bol_w``: array rating at beginning of life (the
    $/W hardware basis). ``mass_kg``: launched mass; ``deorbit_propellant_kg`` is the part of it reported as
    deorbit. ``mass_items_kg``: the mass budget by item, for bottom-up pricing.
    """

    gpus: int
    compute_w: float
    array_bol_w: float
    mass_kg: float
    deorbit_propellant_kg: float = 0.0
    flops_per_gpu: float = H100_BF16_DENSE_FLOPS
    mass_items_kg: Mapping[str, float] = field(default_factory=dict)
    spare_gpus: int = 0  # cold spares carried (priced like GPUs; their mass is in mass_kg)


@dataclass(frozen=True)
class HardwareCost:
    """Satellite hardware price; ``method`` ``"per_w"`` or ``"bottom_up"`` (module docstring)."""

    method: str = "per_w"
    satellite_usd_per_w: float = MCCALIP_SATELLITE_USD_PER_W
    gpu_usd: float = H100_SERVER_USD_PER_GPU
    default_usd_per_kg: float = MCCALIP_SATELLITE_USD_PER_KG
    usd_per_kg: Mapping[str, float] = field(default_factory=dict)
    array_usd_per_w: float = 0.0
    usd_per_compute_w: Mapping[str, float] = field(default_factory=dict)

    def lines_usd(self, sat: SatelliteSpec) -> dict[str, Any]:
        """Hardware of one satellite by line (per draw for a batch)."""
        out = {"gpus": sat.gpus * self.gpu_usd}
        if sat.spare_gpus:
            out["spare_gpus"] = sat.spare_gpus * self.gpu_usd
        if self.method == "per_w":
            out["satellite"] = self.satellite_usd_per_w * sat.array_bol_w
        elif self.method == "bottom_up":
            for item, kg in sat.mass_items_kg.items():
                if item == "payload" or item.startswith("propellant"):
                    continue
                out[f"{item}_mass"] = kg * self.usd_per_kg.get(item, self.default_usd_per_kg)
            if np.any(np.asarray(self.array_usd_per_w) != 0.0):
                out["array_power"] = self.array_usd_per_w * sat.array_bol_w
            for name, usd_per_w in self.usd_per_compute_w.items():
                out[name] = usd_per_w * sat.compute_w
        else:
            raise ValueError(f"hardware method must be 'per_w' or 'bottom_up', not {self.method!r}")
        return out


@dataclass(frozen=True)
class LaunchPlan:
    """How the fleet flies: vehicle, price ($/kg, per launch, or a learning curve), cadence, billing.

    Defaults: Starship V3, 100 t to LEO (docs/sources.md §4), at $200/kg, Suncatcher's projection for ~2035 (the
    catalog's nominal); no cadence limit.
    """

    vehicle: LaunchVehicle = STARSHIP_V3
    price_usd_per_kg: float | None = 200.0
    learning: WrightsLaw | None = None
    start_cumulative_kg: float | None = None
    world_kg_per_year: float = 0.0
    max_launches_per_year: float = math.inf
    billed: str = "launch"


@dataclass(frozen=True)
class GroundSegment:
    """Stations from downlink demand, and per-satellite operations (module docstring). All zero by default: no
    published station cost was found; give them to price the ground segment."""

    downlink_bits_per_satellite_day: float = 0.0
    station_capacity_bits_per_day: float = math.inf
    station_capex_usd: float = 0.0
    station_opex_usd_per_year: float = 0.0
    min_stations: int = 0
    ops_usd_per_satellite_year: float = 0.0

    def stations(self, active_satellites: np.ndarray) -> np.ndarray:
        """Stations needed for ``active_satellites`` (per year; ``(B, years)`` for a batch)."""
        a = np.asarray(active_satellites, dtype=np.float64)
        demand = as_column(self.downlink_bits_per_satellite_day)
        with np.errstate(divide="ignore", invalid="ignore"):
            need = np.where(
                demand > 0.0, np.ceil(a * demand / as_column(self.station_capacity_bits_per_day) - 1e-9), 0.0
            )
        return np.where(a > 0, np.maximum(need, self.min_stations), 0.0)


@dataclass(frozen=True)
class Reliability:
    """GPU failures (replaced or lost, never both) and array degradation (module docstring)."""

    gpu_failure_rate_per_year: float = MCCALIP_GPU_FAILURE_RATE_PER_YEAR
    replace_failed: bool = False
    array_degradation_per_year: float = MCCALIP_CELL_DEGRADATION_PER_YEAR
    array_bol_margin: float | None = None
    spares_per_satellite: int = 0


@dataclass(frozen=True)
class OrbitInputs:
    """Everything :func:`evaluate_orbit` needs, as plain numbers."""

    satellites: int
    satellite: SatelliteSpec
    hardware: HardwareCost = HardwareCost()
    launch: LaunchPlan = LaunchPlan()
    ground_segment: GroundSegment = GroundSegment()
    reliability: Reliability = Reliability()
    design_life_years: float = DEFAULT_LIFE_YEARS
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    nre_usd: float = MCCALIP_NRE_USD
    ops_fraction_of_hardware_per_year: float = MCCALIP_OPS_FRACTION_PER_YEAR
    launch_insurance_fraction: float = DEFAULT_LAUNCH_INSURANCE_FRACTION
    in_orbit_insurance_fraction_per_year: float = 0.0
    availability: float = TERMINATOR_SUNLIT_FRACTION
    utilization: float = MCCALIP_CAPACITY_FACTOR
    simulated_delivered_fraction: float | None = None
    hours_per_year: float = HOURS_PER_JULIAN_YEAR


@dataclass(frozen=True)
class CostResult:
    """Cash flows by year and line, delivered units, present values and levelized costs of one side."""

    side: str
    years: np.ndarray
    cash_usd: dict[str, np.ndarray]
    gpu_hours: np.ndarray
    installed_gpu_hours: np.ndarray
    lost_gpu_hours_failures: np.ndarray
    compute_energy_kwh: np.ndarray
    pflop_days: np.ndarray
    discount_rate: Any
    installed_compute_w: Any
    gpu_hours_source: str
    facts: dict[str, Any]
    notes: tuple[str, ...] = ()
    capex_lines: tuple[str, ...] = CAPEX_LINES

    # cached: the result is immutable, and sweeps read several metrics of each evaluation
    @cached_property
    def discount_factors(self) -> np.ndarray:
        return np.asarray((1.0 + as_column(self.discount_rate)) ** -self.years.astype(np.float64))

    def pv(self, values: np.ndarray) -> Any:
        """Present value of per-year ``values`` (a float; per draw for a batch)."""
        return as_number(np.sum(values * self.discount_factors, axis=-1))

    @cached_property
    def total_cash_usd(self) -> np.ndarray:
        total: np.ndarray = np.zeros(self.years.size)
        for v in self.cash_usd.values():
            total = total + v
        return total

    @property
    def pv_usd(self) -> dict[str, Any]:
        return {k: self.pv(v) for k, v in self.cash_usd.items()}

    @cached_property
    def pv_total_usd(self) -> Any:
        return self.pv(self.total_cash_usd)

    @cached_property
    def pv_gpu_hours(self) -> Any:
        return self.pv(self.gpu_hours)

    @property
    def usd_per_gpu_hour(self) -> Any:
        return _ratio(self.pv_total_usd, self.pv_gpu_hours)

    @property
    def usd_per_kwh(self) -> Any:
        return _ratio(self.pv_total_usd, self.pv(self.compute_energy_kwh))

    @property
    def usd_per_pflop_day(self) -> Any:
        return _ratio(self.pv_total_usd, self.pv(self.pflop_days))

    @property
    def usd_per_w(self) -> Any:
        return _ratio(self.pv_total_usd, self.installed_compute_w)

    def totals_usd(self, lines: tuple[str, ...] | None = None) -> dict[str, float]:
        """Undiscounted totals by line."""
        keys = self.cash_usd.keys() if lines is None else [k for k in lines if k in self.cash_usd]
        return {k: float(self.cash_usd[k].sum()) for k in keys}

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with stable keys (see ``economics.report``)."""
        capex = [k for k in self.cash_usd if k in self.capex_lines]
        opex = [k for k in self.cash_usd if k not in self.capex_lines]
        return {
            "usd_per_gpu_hour": self.usd_per_gpu_hour,
            "usd_per_kwh": self.usd_per_kwh,
            "usd_per_w": self.usd_per_w,
            "usd_per_pflop_day": self.usd_per_pflop_day,
            "pv_usd": self.pv_total_usd,
            "pv_usd_by_line": self.pv_usd,
            "capex_usd": self.totals_usd(tuple(capex)),
            "opex_usd": self.totals_usd(tuple(opex)),
            "total_usd": float(self.total_cash_usd.sum()),
            "gpu_hours_delivered": float(self.gpu_hours.sum()),
            "gpu_hours_installed": float(self.installed_gpu_hours.sum()),
            "gpu_hours_lost_failures": float(self.lost_gpu_hours_failures.sum()),
            "gpu_hours_source": self.gpu_hours_source,
            "compute_energy_kwh": float(self.compute_energy_kwh.sum()),
            "installed_compute_w": self.installed_compute_w,
            "discount_rate": self.discount_rate,
            "years": [int(t) for t in self.years],
            "cash_usd_by_year": {k: [float(x) for x in v] for k, v in self.cash_usd.items()},
            "facts": dict(self.facts),
            "notes": list(self.notes),
        }


def as_number(x: Any) -> Any:
    """``x`` as a float when it is one value, else as a float array (one value per draw of a batch)."""
    if isinstance(x, float | int):
        return float(x)
    a = np.asarray(x, dtype=np.float64)
    return float(a) if a.ndim == 0 else a


def _fmt(x: Any) -> str:
    """A number for a note (``:g``), or "per draw" for a batch's array."""
    return f"{float(x):g}" if np.ndim(x) == 0 else "per draw"


def _ratio(a: Any, b: Any) -> Any:
    if isinstance(b, float | int) and isinstance(a, float | int):
        return a / b if b > 0.0 else math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        return as_number(np.where(np.asarray(b) > 0.0, np.asarray(a) / np.where(np.asarray(b) > 0.0, b, 1.0), math.inf))


def service_weights(life_years: Any) -> np.ndarray:
    """Fraction of each service year ``a = 1 .. ceil(L)`` that is served: 1, ..., 1, and the fraction of the last
    (``(B, max ceil(L))`` for a batch of lives)."""
    n = max(1, math.ceil(float(np.max(life_years)) - 1e-9))
    return np.asarray(np.clip(as_column(life_years) - np.arange(n), 0.0, 1.0))


def failure_profile(rate_per_year: Any, life_years: Any, replace: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per service year: (working fraction of installed GPUs, GPUs failing per installed GPU) (module docstring)."""
    w = service_weights(life_years)
    a = np.arange(w.shape[-1], dtype=np.float64)
    f = as_column(rate_per_year)
    if replace:
        return np.ones_like(w), f * w
    start = (1.0 - f) ** a
    working = start * (1.0 - 0.5 * f)
    return _shaped(working, np.broadcast_shapes(working.shape, w.shape)), start * f * w


def _spare_profiles(rate: Any, gpus: int, spares: int, life: Any, n_age: int) -> tuple[np.ndarray, ...]:
    """``fleet.maintenance.service_year_profile`` per draw (each distinct rate and life once), padded to ``n_age``
    service years: (working fraction, spares used, GPUs lost)."""
    if np.ndim(rate) == 0 and np.ndim(life) == 0:
        return service_year_profile(float(rate), gpus, spares, float(life))
    r, lf = np.broadcast_arrays(np.asarray(rate, dtype=np.float64), np.asarray(life, dtype=np.float64))
    pairs, where = np.unique(np.stack([r.ravel(), lf.ravel()], axis=1), axis=0, return_inverse=True)
    out = np.zeros((3, len(pairs), n_age))
    for i, (ri, li) in enumerate(pairs):
        for j, prof in enumerate(service_year_profile(float(ri), gpus, spares, float(li))):
            out[j, i, : prof.size] = prof
    return tuple(out[j][where.ravel()].reshape((*r.shape, n_age)) for j in range(3))


def _from_year(value: Any, years: np.ndarray, first: int = 0) -> np.ndarray:
    """A per-draw amount in year ``first``, zero in the others: ``(years,)`` or ``(B, years)``."""
    v = np.asarray(value, dtype=np.float64)
    out = np.zeros((*v.shape, years.size))
    out[..., first] = v
    return out


def _broadcast_years(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Per-year arrays brought to one shape (``(years,)``, or ``(B, years)`` when any is per draw), writable."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    return [_shaped(a, shape) for a in arrays]


def _shaped(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``a`` broadcast to ``shape`` (a writable copy when it has to grow)."""
    return a if a.shape == shape else np.broadcast_to(a, shape).copy()


def _padded(per_year: np.ndarray, n_t: int) -> np.ndarray:
    """``per_year`` (years along the last axis) followed by zeros up to ``n_t`` years."""
    out = np.zeros((*per_year.shape[:-1], n_t))
    out[..., : per_year.shape[-1]] = per_year
    return out


def evaluate_orbit(inp: OrbitInputs) -> CostResult:
    """Price an orbital fleet (module docstring; inputs may be per-draw arrays, "Batches")."""
    sat, n_sat = inp.satellite, int(inp.satellites)
    if n_sat <= 0 or sat.gpus < 0:
        raise ValueError("satellites must be > 0 and gpus >= 0")
    lp = inp.launch
    sched = schedule_launches(
        n_sat,
        sat.mass_kg,
        lp.vehicle,
        price_usd_per_kg=lp.price_usd_per_kg,
        learning=lp.learning,
        start_cumulative_kg=lp.start_cumulative_kg,
        world_kg_per_year=lp.world_kg_per_year,
        max_launches_per_year=lp.max_launches_per_year,
        billed=lp.billed,
    )
    deployment = sched.deployment_years
    d_years = int(np.max(deployment))  # the longest deployment of a batch
    cohorts = sched.by_year(sched.satellites, d_years)  # satellites launched per year
    launch_by_year = sched.by_year(sched.cost_usd, d_years)
    launch_total = np.sum(sched.cost_usd, axis=-1)

    w = service_weights(inp.design_life_years)
    n_age = w.shape[-1]
    n_t = d_years + n_age
    years = np.arange(n_t)
    rel = inp.reliability
    spares_used: Any = np.zeros(n_age)
    if rel.spares_per_satellite > 0 and sat.gpus > 0:
        f = as_column(rel.gpu_failure_rate_per_year)
        alive_mean, spares_used, lost = _spare_profiles(
            rel.gpu_failure_rate_per_year, sat.gpus, rel.spares_per_satellite, inp.design_life_years, n_age
        )
        spares_used = spares_used / sat.gpus  # per installed GPU, like ``failing``
        if rel.replace_failed:  # the spares cover the first failures; the rest are flown up
            working, failing = np.ones_like(w), np.maximum(f * w - spares_used, 0.0)
        else:
            working, failing = np.where(w > 0, alive_mean, 0.0), lost / sat.gpus
    else:
        working, failing = failure_profile(rel.gpu_failure_rate_per_year, inp.design_life_years, rel.replace_failed)
    if rel.array_bol_margin is None:
        power: Any = np.ones(n_age)
    else:
        power = np.minimum(
            1.0,
            as_column(rel.array_bol_margin)
            * (1.0 - as_column(rel.array_degradation_per_year)) ** (np.arange(n_age) + 0.5),
        )

    # cohort y serves in years y+1 .. y+n_age: spread each per-age profile over calendar years
    def by_year(per_age: np.ndarray) -> np.ndarray:
        parts = [cohorts[..., y, None] * per_age for y in range(d_years)]
        out = np.zeros((*np.broadcast_shapes(*(p.shape for p in parts))[:-1], n_t))
        for y, part in enumerate(parts):
            out[..., y + 1 : y + 1 + n_age] += part
        return out

    sat_years = by_year(w)  # satellite-years of service
    active = by_year((w > 0).astype(np.float64))
    hours = as_column(inp.hours_per_year)
    installed_gpu_h = sat_years * sat.gpus * hours
    working_gpu_h = by_year(w * working) * sat.gpus * hours
    powered_gpu_h = by_year(w * working * power) * sat.gpus * hours
    if inp.simulated_delivered_fraction is not None:
        frac, source = as_number(inp.simulated_delivered_fraction), "simulated"
    else:
        frac, source = as_number(np.asarray(inp.availability) * np.asarray(inp.utilization)), "nominal"
    gpu_h = powered_gpu_h * as_column(frac)
    lost_failures = installed_gpu_h - working_gpu_h
    w_per_gpu = as_column(np.asarray(sat.compute_w) / sat.gpus if sat.gpus else 0.0)

    hw_lines = inp.hardware.lines_usd(sat)
    hw_sat = sum(hw_lines.values(), 0.0)  # per satellite
    mass = np.asarray(sat.mass_kg, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        deorbit_share = np.where(mass > 0, np.asarray(sat.deorbit_propellant_kg) / np.where(mass > 0, mass, 1.0), 0.0)
    hw_by_year = _padded(cohorts * as_column(hw_sat), n_t)
    launch_t = _padded(launch_by_year, n_t)
    cash: dict[str, np.ndarray] = {}
    cash["hardware"] = hw_by_year
    cash["launch"] = launch_t * as_column(1.0 - deorbit_share)
    cash["deorbit"] = launch_t * as_column(deorbit_share)
    cash["insurance"] = as_column(inp.launch_insurance_fraction) * (hw_by_year + launch_t)
    cash["nre"] = _from_year(inp.nre_usd, years)
    gs = inp.ground_segment
    stations = gs.stations(active)
    bought = np.maximum.accumulate(stations, axis=-1)
    cash["ground_segment_capex"] = np.diff(bought, prepend=0.0, axis=-1) * as_column(gs.station_capex_usd)
    cash["ground_segment_opex"] = stations * as_column(gs.station_opex_usd_per_year) + sat_years * as_column(
        gs.ops_usd_per_satellite_year
    )
    cash["operations"] = sat_years * as_column(hw_sat) * as_column(inp.ops_fraction_of_hardware_per_year)
    launch_per_sat = launch_total / n_sat
    value_per_sat = hw_sat + launch_per_sat
    cash["insurance_in_orbit"] = sat_years * as_column(value_per_sat * inp.in_orbit_insurance_fraction_per_year)
    replaced_gpus = by_year(failing) * sat.gpus if rel.replace_failed else np.zeros(n_t)
    unit = value_per_sat * (1.0 + np.asarray(inp.launch_insurance_fraction)) / sat.gpus if sat.gpus else 0.0
    cash["replacements"] = replaced_gpus * as_column(unit)
    energy_kwh = gpu_h * w_per_gpu / 1e3
    pflop_days = gpu_h * as_column(sat.flops_per_gpu) / 1e15 / 24.0
    # every per-year array to one shape: a draw may vary any one of them alone (the compute power, the FLOPS)
    per_year = _broadcast_years(
        [*(cash[k] for k in LINES), gpu_h, installed_gpu_h, lost_failures, energy_kwh, pflop_days]
    )
    cash = dict(zip(LINES, per_year, strict=False))
    gpu_h, installed_gpu_h, lost_failures, energy_kwh, pflop_days = per_year[len(LINES) :]

    facts = {
        "satellites": float(n_sat),
        "gpus": float(n_sat * sat.gpus),
        "satellite_mass_kg": as_number(mass),
        "fleet_mass_kg": as_number(n_sat * mass),
        "launches": as_number(sched.launches),
        "satellites_per_launch": as_number(sched.satellites_per_launch),
        "deployment_years": as_number(deployment),
        "launch_usd_per_kg_mean": as_number(launch_total / (n_sat * mass)),
        "hardware_usd_per_satellite": as_number(hw_sat),
        "stations_max": as_number(np.max(stations, axis=-1, initial=0.0)),
        "gpus_replaced": as_number(np.sum(replaced_gpus, axis=-1)),
        "spares_used": as_number(np.sum(by_year(spares_used), axis=-1) * sat.gpus),
        "gpus_lost_failures": 0.0 if rel.replace_failed else as_number(np.sum(by_year(failing), axis=-1) * sat.gpus),
        "delivered_fraction": frac,
        "launched_power_price_usd_per_kw_year": as_number(
            launch_total / (n_sat * np.asarray(sat.compute_w) / 1e3 * np.asarray(inp.design_life_years))
        ),
    }
    for k, v in hw_lines.items():
        facts[f"hardware_usd_per_satellite.{k}"] = as_number(v)
    notes = []
    if source == "nominal":
        notes.append(
            f"delivered GPU-hours are nominal (availability {_fmt(inp.availability)} x utilization "
            f"{_fmt(inp.utilization)}), not simulated"
        )
    return CostResult(
        side="orbit",
        years=years,
        cash_usd=cash,
        gpu_hours=gpu_h,
        installed_gpu_hours=installed_gpu_h,
        lost_gpu_hours_failures=lost_failures,
        compute_energy_kwh=energy_kwh,
        pflop_days=pflop_days,
        discount_rate=as_number(inp.discount_rate),
        installed_compute_w=as_number(n_sat * np.asarray(sat.compute_w)),
        gpu_hours_source=source,
        facts=facts,
        notes=tuple(notes),
    )


def replace_path(obj: Any, path: str, value: Any) -> Any:
    """A copy of the frozen dataclass tree ``obj`` with the field at dotted ``path`` set to ``value``.

    ``replace_path(inputs, "launch.price_usd_per_kg", 500.0)``; integer fields get ``int(value)`` when a float
    with an integral value is given (so samplers may pass floats).
    """
    head, _, rest = path.partition(".")
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise KeyError(f"{path!r}: not a dataclass field")
    names = {f.name: f for f in dataclasses.fields(obj)}
    if head not in names:
        raise KeyError(f"{head!r} is not a field of {type(obj).__name__}; fields: {', '.join(names)}")
    if rest:
        return dataclasses.replace(obj, **{head: replace_path(getattr(obj, head), rest, value)})
    current = getattr(obj, head)
    if isinstance(current, bool) or (isinstance(current, int) and not isinstance(current, bool)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(current, bool):
            value = bool(value)
    return dataclasses.replace(obj, **{head: value})


#: Facts that add up over shells; the rest take the largest value (``deployment_years``) or are dropped.
_ADDITIVE_FACTS = (
    "satellites",
    "gpus",
    "fleet_mass_kg",
    "launches",
    "stations_max",
    "gpus_replaced",
    "spares_used",
    "gpus_lost_failures",
)


def combine_results(results: list[CostResult]) -> CostResult:
    """One orbital result from several fleets priced separately (e.g. one per shell): cash flows, GPU-hours and
    units added year by year. Each part keeps its own launch schedule and learning curve."""
    if not results:
        raise ValueError("nothing to combine")
    if len(results) == 1:
        return results[0]
    n_t = max(r.years.size for r in results)
    rate = results[0].discount_rate
    if not all(np.array_equal(r.discount_rate, rate) for r in results[1:]):
        raise ValueError("results to combine must share a discount rate")
    batch = np.broadcast_shapes(*(r.gpu_hours.shape[:-1] for r in results))

    def pad(a: np.ndarray) -> np.ndarray:  # zeros after the end (np.pad costs ~60 us a call: half an evaluation)
        out = np.zeros((*batch, n_t), dtype=np.result_type(a, np.float64))
        out[..., : a.shape[-1]] = a
        return out

    lines = list(dict.fromkeys(k for r in results for k in r.cash_usd))
    cash = {k: sum((pad(r.cash_usd[k]) for r in results if k in r.cash_usd), np.zeros((*batch, n_t))) for k in lines}

    def add(attr: str) -> np.ndarray:
        return np.asarray(sum((pad(getattr(r, attr)) for r in results), np.zeros((*batch, n_t))))

    facts = {k: as_number(sum((np.asarray(r.facts.get(k, 0.0)) for r in results), 0.0)) for k in _ADDITIVE_FACTS}
    facts["deployment_years"] = as_number(
        np.maximum.reduce([np.asarray(r.facts.get("deployment_years", 0.0)) for r in results])
    )
    mass = np.asarray(facts["fleet_mass_kg"])
    launch_usd = sum(
        (np.sum(r.cash_usd["launch"], axis=-1) + np.sum(r.cash_usd["deorbit"], axis=-1) for r in results), 0.0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        facts["launch_usd_per_kg_mean"] = as_number(
            np.where(mass > 0, launch_usd / np.where(mass > 0, mass, 1.0), math.nan)
        )
    sources = {r.gpu_hours_source for r in results}
    return CostResult(
        side=results[0].side,
        years=np.arange(n_t),
        cash_usd=cash,
        gpu_hours=add("gpu_hours"),
        installed_gpu_hours=add("installed_gpu_hours"),
        lost_gpu_hours_failures=add("lost_gpu_hours_failures"),
        compute_energy_kwh=add("compute_energy_kwh"),
        pflop_days=add("pflop_days"),
        discount_rate=rate,
        installed_compute_w=as_number(sum((np.asarray(r.installed_compute_w) for r in results), 0.0)),
        gpu_hours_source=sources.pop() if len(sources) == 1 else "mixed",
        facts=facts,
        notes=tuple(dict.fromkeys(n for r in results for n in r.notes)),
        capex_lines=results[0].capex_lines,
    )
