"""``economics``: the cost model's inputs (launch, ground segment, terrestrial baseline, uncertainty); equations and
sources in ``docs/economics.md``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, field_validator

from orbitgrid.economics.launch import WrightsLaw
from orbitgrid.economics.mass import Propulsion
from orbitgrid.economics.tco import (
    DEFAULT_DISCOUNT_RATE,
    DEFAULT_LAUNCH_INSURANCE_FRACTION,
    H100_SERVER_USD_PER_GPU,
    MCCALIP_CAPACITY_FACTOR,
    MCCALIP_GPU_FAILURE_RATE_PER_YEAR,
    MCCALIP_NRE_USD,
    MCCALIP_OPS_FRACTION_PER_YEAR,
    MCCALIP_SATELLITE_USD_PER_KG,
    MCCALIP_SATELLITE_USD_PER_W,
    TERMINATOR_SUNLIT_FRACTION,
    OrbitInputs,
)
from orbitgrid.economics.terrestrial import CapexBuckets, GroundInputs
from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import (
    MAX_SEED,
    Bounds,
    Found,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    StrictModel,
    UnitFraction,
    _error,
    fmt_number,
)
from orbitgrid.scenario.sections.distributions import (
    DistributionSpec,
    LogNormalSpec,
    Number,
    PertSpec,
    TriangularSpec,
    UniformSpec,
)

Fraction = Annotated[float, Strict(), Bounds(0.0, 1.0)]  # [0, 1]


class LearningCurveSpec(StrictModel):
    """Wright's law for the launch price: it falls by ``learning_rate`` per doubling of cumulative launched mass.
    Defaults: Suncatcher's fit, ~20 % per doubling from Falcon Heavy's ~$1,800/kg at ~400 t (arXiv:2511.19468
    §4.4)."""

    learning_rate: Annotated[float, Strict(), Bounds(0.0, 1.0, hi_open=True)] = Field(
        default=WrightsLaw.learning_rate,
        description="Price drop per doubling of cumulative mass, [0, 1) (Suncatcher: ~0.20, 0.18-0.24).",
    )
    start_price_usd_per_kg: PositiveFloat = Field(
        default=WrightsLaw.start_price_usd_per_kg,
        description="Price at the curve's anchor, USD/kg (Suncatcher: Falcon Heavy ~1,800).",
    )
    start_cumulative_t: PositiveFloat = Field(
        default=WrightsLaw.start_cumulative_kg / 1e3,
        description="Cumulative launched mass at the anchor, t (Suncatcher: ~400).",
    )
    programme_start_cumulative_t: PositiveFloat | None = Field(
        default=None,
        description="Cumulative mass when this programme's first launch flies, t; default: the anchor. "
        "Suncatcher's < $200/kg point is ~368,560 t.",
    )
    world_t_per_year: NonNegativeFloat = Field(
        default=0.0, description="Mass others launch each year, which moves the curve along too, t/yr."
    )


class LaunchSpec(StrictModel):
    """How the fleet flies: a vehicle from the launch-vehicle catalog, its price and the launch cadence."""

    vehicle: Name = Field(
        default="Starship", description="Launch vehicle, a name from the catalog (launch_vehicles.yaml)."
    )
    price_usd_per_kg: PositiveFloat | None = Field(
        default=None,
        description="Fixed price, USD/kg; default: the vehicle's catalog price (Starship: $200/kg, Suncatcher's "
        "~2035 projection), unless a learning curve is given.",
    )
    learning_curve: LearningCurveSpec | None = Field(
        default=None, description="Price from Wright's law instead of a fixed price."
    )
    max_launches_per_year: PositiveFloat | None = Field(
        default=None,
        description="Launch cadence limit; deployment stretches over years (Suncatcher's path: ~180/yr). "
        "null: no limit.",
    )
    billed: Literal["launch", "mass"] = Field(
        default="launch", description="launch: the whole payload of each launch is paid; mass: only the mass flown."
    )

    @field_validator("vehicle")
    @classmethod
    def _known_vehicle(cls, v: str) -> str:
        known = catalog.launch_vehicles()
        if v not in known:
            raise _error("unknown_vehicle", f"unknown launch vehicle {v!r}; known: {', '.join(known)}")
        return v


class GroundSegmentSpec(StrictModel):
    """Ground stations sized from downlink demand, and per-satellite operations. Not priced by default (no
    published station cost was found): McCalip's operations fraction covers "comms, infra"."""

    downlink_gbit_per_satellite_day: NonNegativeFloat = Field(
        default=0.0, description="Data each satellite sends down per day, Gbit (0: no stations sized)."
    )
    station_capacity_gbit_per_day: PositiveFloat = Field(
        default=1e6, description="What one station takes in per day (link rate x contact time), Gbit."
    )
    station_capex_usd: NonNegativeFloat = Field(default=0.0, description="Cost of building one station, USD.")
    station_opex_usd_per_year: NonNegativeFloat = Field(default=0.0, description="Running one station, USD/yr.")
    min_stations: Annotated[int, Strict(), Bounds(0, 100_000, why="an upper bound on stations")] = Field(
        default=0, description="Stations needed whatever the demand (coverage)."
    )
    ops_usd_per_satellite_year: NonNegativeFloat = Field(
        default=0.0, description="Operations per satellite per year, USD."
    )


class TerrestrialSpec(StrictModel):
    """The ground baseline: the same GPUs in a new data centre. Defaults: McCalip's on-site gas build
    (andrewmccalip.com/space-datacenters, docs/sources.md §3); with ``site`` the PUE, energy price, carbon and water
    come from that ground site and power generation is bought from the grid (0 capex)."""

    site: Name | None = Field(
        default=None, description="A ground site of the fleet to take PUE, energy price, carbon and water from."
    )
    pue: Annotated[float, Strict(), Bounds(1.0, 3.0)] | None = Field(
        default=None, description="Power usage effectiveness; default: the site's, else 1.2 (McCalip)."
    )
    electricity_usd_per_kwh: NonNegativeFloat | None = Field(
        default=None, description="Grid energy price, USD/kWh; default: the site's mean price, else fuel."
    )
    heat_rate_btu_per_kwh: PositiveFloat = Field(
        default=GroundInputs.heat_rate_btu_per_kwh,
        description="On-site generation heat rate, BTU/kWh (McCalip: frame CCGT 6,200).",
    )
    gas_usd_per_mmbtu: NonNegativeFloat = Field(
        default=GroundInputs.gas_usd_per_mmbtu,
        description="Gas price, USD/MMBtu (McCalip: EIA 2025 Henry Hub forecast 4.30).",
    )
    power_generation_usd_per_kw: NonNegativeFloat | None = Field(
        default=None, description="Generation capex per kW of facility power; default 1,450 with fuel, 0 with grid."
    )
    electrical_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.electrical_usd_per_w, description="Electrical, USD/W of IT (McCalip)."
    )
    mechanical_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.mechanical_usd_per_w, description="Mechanical, USD/W of IT (McCalip)."
    )
    civil_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.civil_usd_per_w, description="Civil and shell, USD/W of IT (McCalip)."
    )
    fit_out_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.fit_out_usd_per_w, description="Fit-out, USD/W of IT (McCalip)."
    )
    backup_power_usd_per_w: NonNegativeFloat = Field(
        default=0.0, description="Backup power not in electrical, USD/W of IT (Starcloud: 0.50)."
    )
    utilization: UnitFraction | None = Field(
        default=None,
        description="Fraction of GPU-hours used; default: a run's ground utilization, else 0.85 (McCalip).",
    )
    water_usd_per_m3: NonNegativeFloat = Field(default=0.0, description="Water price, USD/m3 (0: not priced).")
    carbon_usd_per_t: NonNegativeFloat = Field(default=0.0, description="Carbon price, USD/t CO2 (0: not priced).")
    replace_failed: bool = Field(default=True, description="Failed GPUs are replaced (else their capacity is lost).")


#: Roots of a cost-model parameter path (``pipeline.cost_uncertainty``): ``orbit.<field of tco.OrbitInputs>`` (every
#: shell), ``ground.<field of terrestrial.GroundInputs>``, and the named parameters below.
COST_PATH_ROOTS = ("orbit", "ground", "shared", "satellite")
#: Parameters set on both sides at once (one draw): GPU price, GPU (and satellite / site) life, discount rate, GPU
#: failure rate.
SHARED_COST_PARAMETERS = ("gpu_usd", "life_years", "discount_rate", "gpu_failure_rate_per_year")
#: ``satellite.kg_per_kw``: the fleet's launched mass per kW of compute; every satellite's mass scales with it.
SATELLITE_COST_PARAMETERS = ("kg_per_kw",)

#: Default uncertain parameters: the ranges on which published analyses disagree (sources in docs/economics.md,
#: "Uncertainty in the product"; docs/sources.md §3-5 and open disputes 2, 4, 5).
DEFAULT_UNCERTAIN_PARAMETERS: dict[str, DistributionSpec] = {
    # median: McCalip's current $500/kg; 99th percentile ~$3,700/kg, Falcon 9's price (dispute 2)
    "orbit.launch.price_usd_per_kg": LogNormalSpec(type="lognormal", median=500.0, p90=1500.0),
    # SpaceX filing 10 kg/kW, McCalip's Starlink V2 Mini 27.4 kg/kW (36.5 W/kg), Turyshev 59 kg/kW (dispute 4)
    "satellite.kg_per_kw": TriangularSpec(type="triangular", low=10.0, mode=27.4, high=59.0),
    # McCalip's satellite hardware slider, $5-40/W around the V2 Mini's $22/W
    "orbit.hardware.satellite_usd_per_w": TriangularSpec(type="triangular", low=5.0, mode=22.0, high=40.0),
    # McCalip's NRE slider $0-10B around his model's $0.5B
    "orbit.nre_usd": PertSpec(type="pert", low=0.0, mode=5e8, high=1e10),
    # H100 per-unit prices $25,000-40,000 (2023-26 market reports) around DGX H100 $270k / 8
    "shared.gpu_usd": PertSpec(type="pert", low=25_000.0, mode=33_750.0, high=40_000.0),
    # McCalip's analysis-period slider, 3-10 years around his 5 (Suncatcher's 5-year dose requirement)
    "shared.life_years": TriangularSpec(type="triangular", low=3.0, mode=5.0, high=10.0),
    # OMB Circular A-4's two real discount rates, 3 % and 7 %
    "shared.discount_rate": UniformSpec(type="uniform", low=0.03, high=0.07),
    # Suncatcher's PUE range 1.09-1.4 around McCalip's 1.2
    "ground.pue": TriangularSpec(type="triangular", low=1.09, mode=1.2, high=1.4),
}

#: Default break-even searches: parameter path -> bracket searched.
DEFAULT_BREAK_EVEN: dict[str, list[float]] = {
    "orbit.launch.price_usd_per_kg": [1.0, 100_000.0],
    "satellite.kg_per_kw": [0.1, 500.0],
    "shared.life_years": [1.0, 30.0],
    "orbit.hardware.satellite_usd_per_w": [0.0, 500.0],
}

Bracket = Annotated[list[Number], Field(min_length=2, max_length=2)]


def _cost_path_problems(where: str, paths: Any) -> Found:
    """Paths whose root (or named parameter) is unknown; fields under ``orbit.`` and ``ground.`` are checked
    against the cost model when it is priced (``pipeline.cost_uncertainty``)."""
    if not isinstance(paths, Mapping):
        return []
    found: Found = []
    named = {"shared": SHARED_COST_PARAMETERS, "satellite": SATELLITE_COST_PARAMETERS}
    for path in paths:
        if not isinstance(path, str):
            continue
        root, _, rest = path.partition(".")
        if root not in COST_PATH_ROOTS or not rest:
            msg = (
                f"unknown cost-model parameter path {path!r}; a path starts with one of "
                f"{', '.join(r + '.' for r in COST_PATH_ROOTS)} (e.g. orbit.launch.price_usd_per_kg)"
            )
            found.append(((where, path), msg, path))
        elif root in named and rest not in named[root]:
            msg = f"unknown parameter {path!r}; allowed: {', '.join(f'{root}.{n}' for n in named[root])}"
            found.append(((where, path), msg, path))
    return found


#: Most Monte Carlo draws of the cost (the scenario field and ``orbitgrid cost --monte-carlo``).
MONTE_CARLO_MAX = 1_000_000


class CostUncertainty(StrictModel):
    """Uncertainty of the cost model in ``orbitgrid cost`` and every run's cost.json: a Monte Carlo over
    distributions on cost-model parameter paths, a tornado (each parameter at its 10th and 90th percentile) and
    break-even searches (the value at which orbit and ground cost the same per GPU-hour). A path is
    ``orbit.<field>`` (the orbital inputs of every shell, e.g. ``orbit.launch.price_usd_per_kg``,
    ``orbit.hardware.satellite_usd_per_w``, ``orbit.nre_usd``), ``ground.<field>`` (``ground.pue``,
    ``ground.gas_usd_per_mmbtu``), ``shared.<gpu_usd|life_years|discount_rate|gpu_failure_rate_per_year>`` (both
    sides at once) or ``satellite.kg_per_kw`` (the fleet's launched mass per kW of compute). Defaults: sourced
    ranges in docs/economics.md ("Uncertainty in the product")."""

    parameters: dict[str, DistributionSpec] = Field(
        default=DEFAULT_UNCERTAIN_PARAMETERS,
        description="Cost-model parameter path -> distribution (`type`: fixed, uniform, normal, lognormal, "
        "triangular, pert, choice); given, it replaces the default set.",
    )
    monte_carlo: Annotated[
        int, Strict(), Bounds(0, MONTE_CARLO_MAX, why="~25 s of draws priced in batches, ~25 min one at a time")
    ] = Field(
        default=1000,
        description="Monte Carlo draws (0: none); a simulate run draws at most 1,000 (priced as one batch).",
    )
    seed: Annotated[int, Strict(), Bounds(0, MAX_SEED, why="seeds are stored as int64")] | None = Field(
        default=None, description="Seed of the draws, >= 0; default: the scenario's seed."
    )
    tornado: bool = Field(default=True, description="One-at-a-time swings of orbit / ground $ per GPU-hour.")
    break_even: dict[str, Bracket] = Field(
        default=DEFAULT_BREAK_EVEN,
        description="Parameter path -> [low, high] searched for the value at which orbit $ per GPU-hour equals "
        "ground's (Brent's method; the others at the scenario's values).",
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        found = _cost_path_problems("parameters", data.get("parameters"))
        found += _cost_path_problems("break_even", data.get("break_even"))
        brackets = data.get("break_even")
        if isinstance(brackets, Mapping):
            for path, b in brackets.items():
                if isinstance(b, list) and len(b) == 2:
                    lo, hi = (v if isinstance(v, int | float) and not isinstance(v, bool) else None for v in b)
                    if lo is not None and hi is not None and lo >= hi:
                        msg = f"the bracket's high end must be greater than its low end ({fmt_number(lo)})"
                        found.append((("break_even", path, 1), f"{msg}, got {fmt_number(hi)}", hi))
        return found


class Economics(StrictModel):
    """Cost model inputs for ``orbitgrid cost``: orbital TCO and the terrestrial baseline. Every default is
    sourced in docs/economics.md."""

    design_life_years: PositiveFloat = Field(
        default=OrbitInputs.design_life_years, description="Service life of a satellite and a site, yr."
    )
    discount_rate: Annotated[float, Strict(), Bounds(0.0, 1.0)] = Field(
        default=DEFAULT_DISCOUNT_RATE, description="Real discount rate (OMB Circular A-94 base case: 0.07)."
    )
    hardware_method: Literal["per_w", "bottom_up"] = Field(
        default="per_w",
        description="per_w: USD per W of array nameplate; bottom_up: USD per kg of the mass budget's items.",
    )
    satellite_usd_per_w: NonNegativeFloat = Field(
        default=MCCALIP_SATELLITE_USD_PER_W,
        description="Satellite without GPUs, USD/W of array (McCalip: Starlink V2 Mini BOM).",
    )
    satellite_usd_per_kg: NonNegativeFloat = Field(
        default=MCCALIP_SATELLITE_USD_PER_KG, description="Bottom-up: satellite without GPUs, USD/kg (McCalip: ~800)."
    )
    gpu_usd: NonNegativeFloat = Field(
        default=H100_SERVER_USD_PER_GPU,
        description="One GPU with its server share, USD (DGX H100 ~$270k / 8, SemiAnalysis).",
    )
    nre_usd: NonNegativeFloat = Field(
        default=MCCALIP_NRE_USD, description="Non-recurring engineering, USD (McCalip: $0.5B)."
    )
    operations_fraction_per_year: Fraction = Field(
        default=MCCALIP_OPS_FRACTION_PER_YEAR,
        description="Operations per year as a fraction of hardware (McCalip: 1 % over 5 years).",
    )
    launch_insurance_fraction: Fraction = Field(
        default=DEFAULT_LAUNCH_INSURANCE_FRACTION,
        description="Launch insurance, fraction of hardware + launch (~1 launch in 20 fails).",
    )
    in_orbit_insurance_fraction_per_year: Fraction = Field(
        default=0.0, description="In-orbit insurance per year, fraction of hardware + launch."
    )
    availability: UnitFraction = Field(
        default=TERMINATOR_SUNLIT_FRACTION,
        description="Nominal fraction of orbital GPU-hours power allows (terminator orbit: 0.98).",
    )
    utilization: UnitFraction = Field(
        default=MCCALIP_CAPACITY_FACTOR,
        description="Nominal fraction of available orbital GPU-hours used (McCalip: 0.85).",
    )
    gpu_failure_rate_per_year: Fraction = Field(
        default=MCCALIP_GPU_FAILURE_RATE_PER_YEAR,
        description="Permanent GPU failures per GPU-year (McCalip: 0.09, Meta); a run's measured rate replaces it.",
    )
    replace_failed_in_orbit: bool = Field(
        default=False,
        description="true: failed orbital GPUs are replaced by flying new capacity (paid); false: capacity lost.",
    )
    isp_s: PositiveFloat = Field(
        default=Propulsion.isp_s, description="Thruster specific impulse, s (SPT-100-class Hall)."
    )
    solar_activity_factor: PositiveFloat = Field(
        default=Propulsion.solar_activity_factor,
        description="Multiplier on the drag density table (solar cycle: ~0.1-10).",
    )
    deorbit_perigee_km: Annotated[float, Strict(), Bounds(0.0, 1000.0)] = Field(
        default=Propulsion.deorbit_perigee_altitude_m / 1e3,
        description="Perigee the disposal burn lowers the orbit to, km.",
    )
    launch: LaunchSpec = Field(default=LaunchSpec(), description="Launch vehicle, price and cadence.")
    ground_segment: GroundSegmentSpec = Field(
        default=GroundSegmentSpec(), description="Ground stations and per-satellite operations."
    )
    terrestrial: TerrestrialSpec = Field(default=TerrestrialSpec(), description="The ground baseline.")
    uncertainty: CostUncertainty | None = Field(
        default=CostUncertainty(), description="Monte Carlo, tornado and break-even of the cost; null: none."
    )
