"""Typed views of a run's JSON documents: :class:`Summary` (``summary.json``), :class:`Capacity` (its ``capacity``
block) and :class:`Cost` (``cost.json``), frozen dataclasses whose fields are the documents' keys with their units
in the names (``_s`` seconds, ``_km``, ``_deg``, ``_usd``, ``_mwh``, ``_bps``, ``gpu_hours``; fractions are 0-1).

They are built from the documents as written (:func:`from_document`), so every field equals the value in the file:
a number the run could not compute (no job started, no satellite flew) is ``None`` there and here, as JSON has no
NaN. Blocks whose keys are names (shells, ground sites, tenants, upset kinds, cost lines) are dictionaries; a
document key no field names is left out of the view but stays in the document (``Run.documents``), and the test
suite checks that every key a run writes has a field.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

__all__ = [
    "Allocation",
    "Capacity",
    "Cost",
    "CostRatios",
    "CostSide",
    "CostUncertainty",
    "Distribution",
    "FaultCounts",
    "FleetTotals",
    "GpuHours",
    "GroundSiteCapacity",
    "JobCounts",
    "Lease",
    "LostGpuHours",
    "Maintenance",
    "MonteCarlo",
    "Network",
    "NodeKindTotals",
    "NominalCost",
    "Percentiles",
    "ShellCapacity",
    "ShellOrbit",
    "Summary",
    "TenantTotals",
    "WaitTimes",
    "from_document",
    "unmapped_keys",
]

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class FleetTotals:
    """The whole orbital fleet (``summary.json`` ``fleet``)."""

    #: Satellites in every shell.
    satellites: int
    #: Shells in the scenario.
    shells: int
    #: Time-mean sunlit fraction of the disc of the Sun seen by a satellite (0-1), averaged over shells weighted by
    #: satellites; None when no shell flew.
    sunlit_fraction_mean: float | None
    #: Shadow passages (umbra or penumbra) of every satellite over the run.
    eclipses_total: int
    #: Satellites lost during the run (SGP4 failed or they re-entered below 121.92 km).
    satellites_lost: int


@dataclass(frozen=True)
class ShellOrbit:
    """Orbit and sunlight statistics of one shell (``summary.json`` ``shells.<name>``), over the tracks that flew
    the whole run. Altitudes are mean altitudes above the equatorial radius (``a - R_eq``), periods from the same
    mean elements (docs/models.md)."""

    #: Shell kind: ``walker_delta``, ``walker_star``, ``sun_synchronous``, ``formation`` or ``elements``.
    kind: str
    satellites: int
    #: Orbits propagated (a formation cluster's members share one track).
    tracks: int
    #: Satellites per track (formation members; 1 otherwise).
    members_per_track: int
    #: Tracks that did not fly the whole run (SGP4 failure or re-entry).
    tracks_failed: int
    mean_altitude_km_min: float | None
    mean_altitude_km_max: float | None
    inclination_deg_min: float | None
    inclination_deg_max: float | None
    #: J2 nodal period (node to node), seconds: mean, min and max over satellites.
    nodal_period_s_mean: float | None
    nodal_period_s_min: float | None
    nodal_period_s_max: float | None
    #: Keplerian period from the mean semi-major axis, seconds.
    keplerian_period_s_mean: float | None
    #: J2 secular drift of the ascending node, degrees per day (0.9856 for a sun-synchronous orbit).
    nodal_drift_deg_per_day_mean: float | None
    #: Time-mean sunlit fraction (0-1) of a satellite: mean, min and max over tracks.
    sunlit_fraction_mean: float | None
    sunlit_fraction_min: float | None
    sunlit_fraction_max: float | None
    #: Shadow passages of every satellite.
    eclipses_total: int
    eclipses_per_satellite_day: float | None
    #: Fraction of tracks with at least one eclipse.
    eclipsed_satellites_fraction: float | None
    longest_eclipse_s: float
    #: Sun angle above the orbit plane over the run, degrees.
    beta_deg_min: float | None
    beta_deg_max: float | None
    #: Element shells only (None for designed shells): satellites lost, the first 1,000 of them (catalogue number,
    #: name, SGP4 error code and meaning, ``failed_s``, ``failed_utc``), repeated catalogue numbers and the element
    #: sets dropped for them.
    satellites_lost: int | None = None
    lost_satellites: tuple[Mapping[str, Any], ...] = ()
    duplicate_catalog_numbers: tuple[Mapping[str, Any], ...] = ()
    element_sets_dropped: int | None = None


@dataclass(frozen=True)
class JobCounts:
    """Jobs by final state at the end of the run (``summary.json`` ``jobs``)."""

    submitted: int
    completed: int
    failed: int
    running: int
    queued: int
    #: Trace pods that ended as the trace recorded them killed, and jobs no node could ever hold (``never_fits``:
    #: the reasons are ``Summary.never_fits``); None in runs written before these states existed.
    killed: int | None = None
    never_fits: int | None = None


@dataclass(frozen=True)
class GpuHours:
    """GPU-hours of the whole fleet (``summary.json`` ``gpu_hours``)."""

    #: GPU-hours jobs occupied (including work later lost).
    delivered: float
    #: GPU-hours the fleet could deliver: usable GPUs (after eclipse, power and heat throttling) x time.
    deliverable: float
    #: Delivered GPU-hours that ended in completed progress (delivered minus work lost to faults and preemption).
    useful: float


@dataclass(frozen=True)
class WaitTimes:
    """Wait from submission to first start over the jobs that started, seconds; None when none started."""

    p50: float | None
    p99: float | None
    mean: float | None


@dataclass(frozen=True)
class LostGpuHours:
    """GPU-hours of work lost, by cause (``summary.json`` ``lost_gpu_hours``)."""

    #: Silent data corruption (work back to the last checkpoint).
    sdc: float
    #: Interrupts (single-event functional interrupts, host upsets).
    interrupt: float
    #: Permanent GPU failures.
    permanent: float
    #: Capacity taken away under a running job (eclipse, throttling, lost satellite).
    capacity: float
    #: Preemption by higher-priority contracts.
    preempted: float
    #: GPU-hours of trace pods the trace recorded as failed or killed (their time is lost, not useful); None in runs
    #: written before traces recorded it.
    trace_failed_or_killed: float | None = None


@dataclass(frozen=True)
class FaultCounts:
    """Faults drawn during the run, by cause (``summary.json`` ``faults``)."""

    sdc: int
    interrupt: int
    permanent: int


@dataclass(frozen=True)
class TenantTotals:
    """One tenant (``summary.json`` ``tenants.<name>``)."""

    jobs_submitted: int
    jobs_completed: int
    gpu_hours_delivered: float
    #: What the tenant's contract bills for the GPU-hours delivered, USD.
    bill_usd: float
    #: Wait to first start of its jobs that started, seconds.
    wait_s_p50: float | None
    wait_s_p99: float | None
    #: Inference tenants: fraction of requests served within the latency SLO (None for other tenants).
    slo_attainment: float | None
    #: Inference tenants only: requests and time to first token, seconds.
    requests: int | None = None
    ttft_s_p50: float | None = None
    ttft_s_p99: float | None = None


@dataclass(frozen=True)
class NodeKindTotals:
    """Orbital or ground nodes together (``summary.json`` ``orbit_vs_ground.orbital`` / ``.ground``)."""

    gpus: int
    gpu_hours_deliverable: float
    gpu_hours_delivered: float
    #: Delivered / deliverable (None when nothing was deliverable).
    utilization: float | None
    #: Faults per GPU-day of installed GPUs.
    faults_per_gpu_day: float | None
    #: Jobs that completed on a node of this kind.
    jobs_completed_here: int


@dataclass(frozen=True)
class Maintenance:
    """GPUs that failed for good in one shell or ground site, and what became of them
    (``summary.json`` ``maintenance.<name>``)."""

    #: ``orbital`` or ``ground``.
    kind: str
    gpus: int
    spares_carried: int
    #: Permanent failures; ``repairs`` = ``repaired`` + ``in_repair`` (ground sites), ``spares_used`` (satellites),
    #: ``lost`` (neither).
    failures: int
    repairs: int
    repaired: int
    in_repair: int
    spares_used: int
    lost: int
    #: Usable GPU-hours the failed GPUs took away, and their share of the deliverable GPU-hours (0-1).
    capacity_lost_gpu_hours: float
    capacity_lost_fraction: float


@dataclass(frozen=True)
class Allocation:
    """GPU allocation over the run (``summary.json`` ``allocation``: means of ``allocation.parquet`` over its sample
    times; docs/models.md, GPU sharing and fragmentation). GPU counts are in GPUs (shares summed)."""

    installed_gpus: int
    #: Demand of the jobs in the system, the share running jobs hold, and GPUs holding any job.
    requested_gpus_mean: float
    allocated_gpus_mean: float
    occupied_gpus_mean: float
    #: Allocated / requested (None with no demand).
    allocated_to_requested: float | None
    #: Fragmented GPUs by the openb paper's measure for the run's mix of requests.
    fragmented_gpus_mean: float
    fragmented_gpus_max: float
    #: Free share no waiting job can use.
    stranded_gpus_mean: float
    stranded_gpus_max: float
    #: Sample times the means are over.
    samples: int


@dataclass(frozen=True)
class Percentiles:
    """Median and 99th percentile (units as the field holding them); None when there was nothing to measure."""

    p50: float | None
    p99: float | None


@dataclass(frozen=True)
class IslCapacity:
    """Capacity of the inter-satellite links over every link step, bits per second (each way)."""

    p50: float | None
    min: float | None


@dataclass(frozen=True)
class Network:
    """The link model's results (``summary.json`` ``network``; docs/network.md)."""

    #: Link step, seconds, and how many link steps the run has.
    link_step_s: float
    link_steps: int
    #: Gateways and their (latitude, longitude) in degrees, by name.
    gateways: int
    gateway_sites: dict[str, tuple[float, float]]
    #: User locations and the one-way latency to each over the routed path, seconds.
    users: int
    latency_to_users_s: dict[str, Percentiles]
    #: One-way latency from a node to the nearest gateway over the routed path, seconds.
    latency_to_ground_s: Percentiles
    #: Fraction of node x link-step pairs with a path to the ground.
    reachable_fraction: float | None
    isl_links_per_step: float
    isl_capacity_bps: IslCapacity
    #: Passes of satellites over gateways, the satellites that had one, their hours and the bytes they can carry.
    contacts: int
    contact_satellites: int
    contact_hours: float
    contact_bytes: float
    #: Lowest formation-fabric capacity by shell, bits per second.
    fabric_capacity_bps_min: dict[str, float]
    #: Bytes the jobs' data flows moved (scaled to all flows when only some were simulated).
    bytes_moved: float | None
    flows: int
    flows_unfinished: int
    #: Completion time of the simulated flows that finished, seconds.
    flow_completion_s: Percentiles
    notes: tuple[str, ...]
    #: With workloads: the flows simulated with contention, and flows by kind (dataset, checkpoint, result).
    flows_simulated: int | None = None
    flows_by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """The headline results of a run (``summary.json``; capacity is :class:`Capacity`). The scheduling fields are
    None (maps empty) for a scenario without workloads, ``network`` for one without a ``network:`` section."""

    scenario: str
    #: Start of the run (UTC).
    epoch: _dt.datetime
    duration_s: float
    step_s: float
    seed: int
    fleet: FleetTotals
    shells: dict[str, ShellOrbit]
    #: Model approximations the run applied (also in the manifest; printed by the command line).
    approximations: tuple[str, ...]
    #: What the scenario's validation found valid but doubtful (``Scenario.warnings``: stale element sets, shells
    #: whose satellites pass within a kilometre of each other every orbit, shells sharing orbit planes), each as
    #: ``path: message``; also in the manifest and printed by the command line.
    warnings: tuple[str, ...] = ()
    #: Scheduling policy as run (e.g. ``power-aware(priority)``) and events the engine processed.
    policy: str | None = None
    engine_events: int | None = None
    jobs: JobCounts | None = None
    #: Jobs no node could ever hold, by reason (``never_fits: needs 16 GPUs on one node, largest node has 8``).
    never_fits: dict[str, int] = field(default_factory=dict)
    gpu_hours: GpuHours | None = None
    #: Useful / delivered GPU-hours (None when nothing was delivered).
    goodput: float | None = None
    wait_s: WaitTimes | None = None
    lost_gpu_hours: LostGpuHours | None = None
    faults: FaultCounts | None = None
    tenants: dict[str, TenantTotals] = field(default_factory=dict)
    #: ``orbital`` and ``ground`` node totals.
    orbit_vs_ground: dict[str, NodeKindTotals] = field(default_factory=dict)
    maintenance: dict[str, Maintenance] = field(default_factory=dict)
    #: None without workloads, or when the allocation table has no sample.
    allocation: Allocation | None = None
    network: Network | None = None
    #: Why the run has no cost.json (e.g. element shells with no design to price); None when it has one.
    cost_note: str | None = None


# ---------------------------------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class ShellCapacity:
    """What one shell could deliver (``summary.json`` ``capacity.shells.<name>``; docs/models.md, capacity)."""

    gpus: int
    gpu_model: str
    #: Satellite x step pairs, and those flown (a lost satellite flies no more steps).
    satellite_steps: int
    satellite_steps_flown: int
    #: Energy the arrays harvested and the GPUs used, MWh.
    energy_harvested_mwh: float
    compute_energy_mwh: float
    #: Usable GPU-hours after eclipse, array and heat throttling; installed GPU-hours (every GPU the whole run).
    gpu_hours_deliverable: float
    gpu_hours_installed: float
    #: Fractions of the time flown with compute throttled by each cause (0-1).
    throttled_fraction_eclipse: float | None
    throttled_fraction_array: float | None
    throttled_fraction_heat: float | None
    #: Radiator temperature, degrees Celsius: peak and time mean.
    radiator_peak_c: float | None
    radiator_mean_c: float | None
    #: Lowest battery state of charge (0-1).
    battery_min_soc: float | None
    #: Trapped-radiation dose behind the design's shielding, rad(Si) per year.
    dose_rad_per_year: float
    #: Upsets per GPU-day by kind (``sdc``, ``sefi``, ``hbm_uncorrectable``, ...), from trapped protons.
    upsets_per_gpu_day: dict[str, float]
    #: Galactic cosmic-ray nuclei flux above the geomagnetic cutoff, per cm^2 per second, and its upsets per GPU-day.
    gcr_nuclei_flux_cm2_s: float
    gcr_upsets_per_gpu_day: dict[str, float]
    #: Dose of the solar particle event (rad) and its upsets per GPU (0 without an event).
    spe_dose_rad: float
    spe_upsets_per_gpu: dict[str, float]
    #: Largest energy-balance residual of a satellite over the run, Wh (a check of the power model).
    energy_closure_max_wh: float


@dataclass(frozen=True)
class GroundSiteCapacity:
    """What one ground site could deliver (``summary.json`` ``capacity.ground_sites.<name>``)."""

    accelerators: int
    gpu_hours_deliverable: float
    gpu_hours_installed: float
    it_energy_kwh: float
    #: IT energy x PUE, kWh.
    facility_energy_kwh: float
    energy_cost_usd: float
    #: Emissions, tonnes CO2e; cooling water, cubic metres.
    carbon_t: float
    water_m3: float
    price_usd_per_kwh_mean: float | None
    carbon_g_per_kwh_mean: float | None
    #: Fraction of steps the grid connection limited the usable accelerators.
    grid_limited_fraction: float
    pue: float


@dataclass(frozen=True)
class Capacity:
    """Capacity per shell and ground site (``summary.json`` ``capacity``)."""

    shells: dict[str, ShellCapacity]
    ground_sites: dict[str, GroundSiteCapacity]

    @property
    def gpu_hours_deliverable(self) -> float:
        """Every shell's and site's deliverable GPU-hours."""
        return sum(s.gpu_hours_deliverable for s in self.shells.values()) + sum(
            g.gpu_hours_deliverable for g in self.ground_sites.values()
        )

    @property
    def gpu_hours_installed(self) -> float:
        """Every shell's and site's installed GPU-hours."""
        return sum(s.gpu_hours_installed for s in self.shells.values()) + sum(
            g.gpu_hours_installed for g in self.ground_sites.values()
        )


# -------------------------------------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class CostSide:
    """Levelized cost of one side, orbit or ground (``cost.json`` ``orbit`` / ``ground``; docs/economics.md).
    Costs are present values at ``discount_rate`` over the life (``years``), divided by the delivered output."""

    #: The headline: USD per delivered GPU-hour, per kWh of compute energy, per PFLOP-day, per W of compute.
    usd_per_gpu_hour: float | None
    usd_per_kwh: float | None
    usd_per_pflop_day: float | None
    usd_per_w: float | None
    #: Undiscounted and present-value total cost, USD.
    total_usd: float
    pv_usd: float
    #: GPU-hours over the life: delivered (``gpu_hours_source``: ``simulated`` from the run, or ``nominal`` from
    #: availability x utilization), installed, and lost to failures.
    gpu_hours_delivered: float
    gpu_hours_installed: float
    gpu_hours_lost_failures: float
    gpu_hours_source: str
    installed_compute_w: float
    compute_energy_kwh: float
    discount_rate: float
    #: Cost lines, USD: capital, operating, present value by line, and cash by line and year.
    capex_usd: dict[str, float]
    opex_usd: dict[str, float]
    pv_usd_by_line: dict[str, float]
    cash_usd_by_year: dict[str, tuple[float, ...]]
    years: tuple[int, ...]
    #: Derived quantities (fleet mass, launches, GPUs replaced, ...) by name, and notes on the model's choices.
    facts: dict[str, float | None]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CostRatios:
    """Orbit / ground for each headline metric."""

    usd_per_gpu_hour: float | None
    usd_per_kwh: float | None
    usd_per_pflop_day: float | None
    usd_per_w: float | None


@dataclass(frozen=True)
class NominalCost:
    """The same fleet priced at the nominal GPU-hours (``economics`` availability x utilization) instead of the
    run's delivered ones (``cost.json`` ``nominal``)."""

    orbit_usd_per_gpu_hour: float | None
    ground_usd_per_gpu_hour: float | None
    ratio_orbit_to_ground: float | None
    orbit_gpu_hours_delivered: float
    ground_gpu_hours_delivered: float
    gpu_hours_source: str


@dataclass(frozen=True)
class Lease:
    """A published lease price for comparison (``cost.json`` ``lease``)."""

    usd_per_gpu_hour: float
    usd_per_kw_year: float
    source: str


@dataclass(frozen=True)
class Distribution:
    """A Monte Carlo output: mean, percentiles, standard error of the mean, finite draws."""

    mean: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    std_error: float | None
    n_finite: int


@dataclass(frozen=True)
class MonteCarlo:
    """Monte Carlo over the uncertain cost inputs (``cost.json`` ``uncertainty.monte_carlo``)."""

    n: int
    seed: int
    #: Fraction of draws in which orbit costs less per GPU-hour than ground.
    p_orbit_cheaper: float | None
    orbit_usd_per_gpu_hour: Distribution
    ground_usd_per_gpu_hour: Distribution
    ratio_orbit_to_ground: Distribution
    #: Every draw of each output, by output name.
    draws: dict[str, tuple[float | None, ...]]


@dataclass(frozen=True)
class CostUncertainty:
    """The uncertainty block (``cost.json`` ``uncertainty``): parameters and their distributions, Monte Carlo,
    tornado (one-at-a-time swings of ``tornado['output']``) and break-even values."""

    seed: int
    parameters: dict[str, Mapping[str, Any]]
    monte_carlo: MonteCarlo | None
    tornado: Mapping[str, Any]
    break_even: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Cost:
    """Orbit against the same GPUs on the ground (``cost.json``; docs/economics.md)."""

    schema: str
    #: The scenario's name.
    label: str
    orbit: CostSide
    ground: CostSide
    #: Orbit / ground USD per delivered GPU-hour.
    ratio_orbit_to_ground: float | None
    ratios: CostRatios
    #: The inputs priced (by shell and for the ground) and their sources, as written.
    assumptions: Mapping[str, Any]
    nominal: NominalCost | None = None
    lease: Lease | None = None
    uncertainty: CostUncertainty | None = None
    #: Failures, repairs and spares the cost counted (by shell and site), as written.
    maintenance: Mapping[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------- construction


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _convert(tp: Any, value: Any, where: str, optional: bool = False) -> Any:
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        (inner,) = [a for a in get_args(tp) if a is not type(None)]
        return _convert(inner, value, where, optional=True)
    if value is None:
        if tp in (float, Any):
            return value  # a float JSON could not hold (NaN, inf) is null in the document
        raise ValueError(f"{where}: null where {getattr(tp, '__name__', tp)} is expected")
    if dataclasses.is_dataclass(tp):
        if value == {} and optional:
            return None  # an empty block: nothing to summarise (e.g. an allocation table with no sample)
        return from_document(typing.cast(type, tp), value, where)
    if origin is dict:
        _, val = get_args(tp)
        return {str(k): _convert(val, v, f"{where}.{k}") for k, v in value.items()}
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        return tuple(_convert(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if origin is Mapping or tp is Any:
        return value
    scalars: dict[Any, Any] = {_dt.datetime: _dt.datetime.fromisoformat, float: float, int: int, str: str}
    if tp in scalars:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        ok = number if tp in (int, float) else isinstance(value, str)
        if not ok or (tp is int and value != int(value)):
            raise ValueError(f"{where}: expected {tp.__name__}, found {value!r}")
        try:
            return scalars[tp](value)
        except ValueError:
            raise ValueError(f"{where}: expected {tp.__name__}, found {value!r}") from None
    raise TypeError(f"{where}: no conversion to {tp!r}")


def from_document(cls: type[T], data: Mapping[str, Any], where: str = "") -> T:
    """The dataclass ``cls`` from its block of a run's JSON document (keys are the field names; see the module
    docstring). ``where`` is the block's path, for the message of a block that does not fit."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where or cls.__name__}: expected a mapping, found {type(data).__name__}")
    hints = _hints(typing.cast(type, cls))
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(typing.cast(Any, cls)):
        path = f"{where}.{f.name}" if where else f.name
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name], path)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{path}: missing")
    return cls(**kwargs)


def unmapped_keys(cls: type, data: Mapping[str, Any], where: str = "") -> list[str]:
    """Keys of ``data`` (recursively, as dotted paths) that no field of ``cls`` holds: what a typed view would drop.
    The test suite asserts this is empty for the documents a run writes."""
    hints = _hints(cls)
    out: list[str] = []
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in hints:
            out.append(path)
            continue
        out += _unmapped(hints[key], value, path)
    return out


def _unmapped(tp: Any, value: Any, path: str) -> list[str]:
    if get_origin(tp) in (types.UnionType, typing.Union):
        (tp,) = [a for a in get_args(tp) if a is not type(None)]
    if value is None:
        return []
    if dataclasses.is_dataclass(tp):
        return unmapped_keys(typing.cast(type, tp), value, path)
    if get_origin(tp) is dict:
        _, val = get_args(tp)
        return [k for key, v in value.items() for k in _unmapped(val, v, f"{path}.{key}")]
    return []
