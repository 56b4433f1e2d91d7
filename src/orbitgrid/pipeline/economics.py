"""Scenario (+ a finished run's summary) -> the cost model's plain inputs, and their evaluation.

Each shell becomes one :class:`tco.OrbitInputs` (its satellites, launched on their own schedule; the NRE is
carried by the first shell), the terrestrial baseline one :class:`terrestrial.GroundInputs` with the same GPUs as
the orbital fleet. Everything comes from the scenario's ``economics`` section (defaults sourced in
docs/economics.md), the shells' designs and orbits, and the catalogs:

- **Satellite.** Compute power from the payload (GPU TDP + host share, ``spacecraft.payload``); array rating at
  beginning of life ``area x efficiency x packing x 1361 W/m²``. Launched mass: when the design gives
  ``bus_mass_kg`` (the satellite without its compute), ``bus + GPUs x kg/GPU`` with the deorbit propellant taken
  out of it by the rocket equation; else the full ``economics.mass.mass_budget`` of the design's array, battery,
  radiator (per face area) and shielding over the servers' enclosure, with propellant for drag make-up over the
  design life and for deorbit.
- **Array margin** ``k`` for degradation: the array's conditioned power at beginning of life over the compute load
  (``spacecraft.power`` at 1 AU, 28 C, 92 % conditioning); the array's own ``degradation_per_year``.
- **Launch vehicle** from the launch-vehicle catalog; its catalog price per kg unless the section gives one or a
  learning curve.
- **From a run** (``summary.json``): the delivered fraction of the orbital fleet, ``orbit_vs_ground.orbital.
  gpu_hours_delivered / sum(capacity.shells.*.gpu_hours_installed)``, replaces the nominal availability x
  utilization (``gpu_hours_source: "simulated"``); without a schedule (no workloads) only the availability,
  deliverable / installed, is taken from the run. The ground utilization likewise from ``orbit_vs_ground.ground``.
  The permanent GPU failure rate becomes the one the simulation draws failures from (the Llama 3 faulty-GPU rate,
  0.061/GPU-yr, ``pipeline.nodes.ground_rates_per_gpu_s``; radiation adds no permanent failures in the fault
  model), in orbit and on the ground.
- **Terrestrial site.** With ``economics.terrestrial.site`` the PUE, the energy price (the constant, or the series'
  step means over the scenario's time grid), the carbon intensity and the water use come from that ground site, and
  the site buys grid power (no generation capex unless given); else McCalip's on-site gas build.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orbitgrid.astro.constants import SECONDS_PER_JULIAN_YEAR
from orbitgrid.economics.launch import LaunchVehicle, WrightsLaw
from orbitgrid.economics.mass import (
    DGX_H100_GPUS,
    G0_M_S2,
    Propulsion,
    SpecificMasses,
    deorbit_delta_v_m_s,
    mass_budget,
    server_enclosure_area_m2,
)
from orbitgrid.economics.report import CaseResult, cost_dict, flat_metrics, jsonable
from orbitgrid.economics.tco import (
    GroundSegment,
    HardwareCost,
    LaunchPlan,
    OrbitInputs,
    Reliability,
    SatelliteSpec,
    combine_results,
    evaluate_orbit,
)
from orbitgrid.economics.terrestrial import CapexBuckets, GroundInputs, evaluate_ground
from orbitgrid.errors import InputError
from orbitgrid.fleet.maintenance import DEFAULT_GROUND_REPAIR_S, expected_fates
from orbitgrid.pipeline.capacity import payload_for
from orbitgrid.pipeline.nodes import ground_rates_per_gpu_s
from orbitgrid.pipeline.orbit import shell_orbits
from orbitgrid.scenario import Scenario, Shell
from orbitgrid.scenario.catalog import launch_vehicles
from orbitgrid.spacecraft import power


class CostInputError(InputError):
    """The scenario cannot be priced (e.g. it has no orbital shell)."""


@dataclass(frozen=True)
class ScenarioCost:
    """The cost model's inputs for a scenario: one orbital fleet per shell, and the terrestrial baseline."""

    shells: tuple[str, ...]
    orbit: tuple[OrbitInputs, ...]
    ground: GroundInputs
    notes: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    maintenance: dict[str, Any] = field(default_factory=dict)

    def evaluate(self) -> CaseResult:
        return CaseResult(combine_results([evaluate_orbit(o) for o in self.orbit]), evaluate_ground(self.ground))

    def to_dict(self, result: CaseResult | None = None) -> dict[str, Any]:
        """``cost.json``: the evaluation with these inputs as its assumptions."""
        res = result if result is not None else self.evaluate()
        doc = cost_dict(res)
        doc["assumptions"] = jsonable(
            {"orbit": dict(zip(self.shells, self.orbit, strict=True)), "ground": self.ground, "sources": self.sources}
        )
        doc["orbit"]["notes"] = list(dict.fromkeys([*doc["orbit"]["notes"], *self.notes]))
        if self.maintenance:
            doc["maintenance"] = jsonable(self.maintenance)
        return dict(doc)


def _altitude_m(shell: Shell, scenario: Scenario) -> float:
    alt_km = getattr(shell.orbit, "altitude_km", None)
    if alt_km is not None:
        return float(alt_km) * 1e3
    orbits = shell_orbits(scenario, shell)
    el = orbits.elements
    if el is None or len(el) == 0:
        raise CostInputError(f"shell {shell.name!r}: no orbits to price")
    from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
    from orbitgrid.astro.j2 import semi_major_axis_m

    return float(semi_major_axis_m(float(el.mean_motion_brouwer_rad_s.mean()))) - EARTH_EQUATORIAL_RADIUS_M


def satellite_spec(scenario: Scenario, shell: Shell, density_kg_m3: float | None = None) -> tuple[SatelliteSpec, float]:
    """The shell's satellite as the cost model sees it, and its array margin ``k`` (module docstring).

    ``density_kg_m3`` replaces the mass budget's density table (``Propulsion.density_kg_m3``; ``orbitgrid
    lifetime`` passes NRLMSIS's orbit average)."""
    econ = scenario.economics
    design = scenario.design_for(shell)
    pl = payload_for(design.payload.gpu, design.payload.gpus)
    compute_w = pl.full_load_w
    sa = design.solar_array
    array_bol_w = float(power.array_power_w(sa.area_m2, sa.cell_efficiency, sa.packing_factor))
    margin = array_bol_w * power.DEFAULT_CONDITIONING_EFFICIENCY / compute_w
    altitude = _altitude_m(shell, scenario)
    prop = Propulsion(
        isp_s=econ.isp_s,
        solar_activity_factor=econ.solar_activity_factor,
        deorbit_perigee_altitude_m=econ.deorbit_perigee_km * 1e3,
        density_kg_m3=density_kg_m3,
    )
    masses = SpecificMasses()
    spares = design.payload.spares
    # a cold spare is massed and priced as one more accelerator with its server share (conservative: the share
    # includes chassis, CPUs and power supplies a spare board may not need)
    payload_kg = (pl.count + spares) * masses.payload_kg_per_gpu
    if design.bus_mass_kg is not None:
        total = design.bus_mass_kg + payload_kg
        dv = deorbit_delta_v_m_s(altitude, prop.deorbit_perigee_altitude_m)
        deorbit = total - total / (1.0 + math.expm1(dv / (G0_M_S2 * prop.isp_s)))
        items = {"payload": payload_kg, "bus": design.bus_mass_kg}
    else:
        b = mass_budget(
            payload_kg=payload_kg,
            array_bol_w=array_bol_w,
            battery_wh=design.battery.capacity_wh,
            radiator_area_m2=design.radiator.area_m2,
            shielding_mm_al=design.shielding_mm_al,
            shielded_area_m2=server_enclosure_area_m2(math.ceil(pl.count / DGX_H100_GPUS)),
            array_area_m2=sa.area_m2,
            altitude_m=altitude,
            design_life_years=econ.design_life_years,
            masses=masses,
            propulsion=prop,
        )
        total, deorbit, items = b.total_kg, b.kg["propellant_deorbit"], dict(b.kg)
    spec = SatelliteSpec(
        gpus=pl.count,
        compute_w=compute_w,
        array_bol_w=array_bol_w,
        mass_kg=total,
        deorbit_propellant_kg=deorbit,
        flops_per_gpu=pl.bf16_dense_flops,
        mass_items_kg=items,
        spare_gpus=spares,
    )
    return spec, margin


def _launch_plan(scenario: Scenario) -> LaunchPlan:
    ls = scenario.economics.launch
    cat = launch_vehicles()[ls.vehicle]
    vehicle = LaunchVehicle(cat.name, float(cat.payload_leo_kg), None, bool(cat.reusable))
    learning = None
    start = None
    if ls.learning_curve is not None:
        lc = ls.learning_curve
        learning = WrightsLaw(lc.start_price_usd_per_kg, lc.start_cumulative_t * 1e3, lc.learning_rate)
        start = lc.programme_start_cumulative_t * 1e3 if lc.programme_start_cumulative_t is not None else None
    price = ls.price_usd_per_kg if ls.price_usd_per_kg is not None else float(cat.price_usd_per_kg)
    return LaunchPlan(
        vehicle=vehicle,
        price_usd_per_kg=None if learning is not None else price,
        learning=learning,
        start_cumulative_kg=start,
        world_kg_per_year=(ls.learning_curve.world_t_per_year * 1e3) if ls.learning_curve is not None else 0.0,
        max_launches_per_year=ls.max_launches_per_year if ls.max_launches_per_year is not None else math.inf,
        billed=ls.billed,
    )


def _run_fractions(summary: Mapping[str, Any] | None) -> dict[str, float]:
    """Delivered / installed GPU-hours per side from a run's summary (only what the run has)."""
    out: dict[str, float] = {}
    if not summary:
        return out
    cap = summary.get("capacity") or {}
    installed = {
        "orbital": sum(float(c.get("gpu_hours_installed") or 0.0) for c in (cap.get("shells") or {}).values()),
        "ground": sum(float(c.get("gpu_hours_installed") or 0.0) for c in (cap.get("ground_sites") or {}).values()),
    }
    deliverable = {
        "orbital": sum(float(c.get("gpu_hours_deliverable") or 0.0) for c in (cap.get("shells") or {}).values()),
        "ground": sum(float(c.get("gpu_hours_deliverable") or 0.0) for c in (cap.get("ground_sites") or {}).values()),
    }
    ovg = summary.get("orbit_vs_ground") or {}
    for kind in ("orbital", "ground"):
        if installed[kind] <= 0:
            continue
        if kind in ovg and ovg[kind].get("gpu_hours_delivered") is not None:
            out[f"{kind}_delivered"] = float(ovg[kind]["gpu_hours_delivered"]) / installed[kind]
        else:
            out[f"{kind}_available"] = deliverable[kind] / installed[kind]
    return out


def scenario_cost(scenario: Scenario, summary: Mapping[str, Any] | None = None) -> ScenarioCost:
    """The cost model's inputs for ``scenario``, using a finished run's ``summary`` when given."""
    if not scenario.shells:
        raise CostInputError("the scenario has no orbital shells to price")
    econ = scenario.economics
    run = _run_fractions(summary)
    notes: list[str] = []
    sources = {"economics": "scenario economics section (defaults: docs/economics.md)"}
    failure = econ.gpu_failure_rate_per_year
    if summary:
        failure = float(ground_rates_per_gpu_s()[2]) * SECONDS_PER_JULIAN_YEAR
        sources["gpu_failure_rate_per_year"] = "the run's fault model (Llama 3 faulty-GPU rate)"
    hw = HardwareCost(
        method=econ.hardware_method,
        satellite_usd_per_w=econ.satellite_usd_per_w,
        gpu_usd=econ.gpu_usd,
        default_usd_per_kg=econ.satellite_usd_per_kg,
    )
    gs = econ.ground_segment
    segment = GroundSegment(
        downlink_bits_per_satellite_day=gs.downlink_gbit_per_satellite_day * 1e9,
        station_capacity_bits_per_day=gs.station_capacity_gbit_per_day * 1e9,
        station_capex_usd=gs.station_capex_usd,
        station_opex_usd_per_year=gs.station_opex_usd_per_year,
        min_stations=gs.min_stations,
        ops_usd_per_satellite_year=gs.ops_usd_per_satellite_year,
    )
    launch = _launch_plan(scenario)
    availability = econ.availability
    simulated = run.get("orbital_delivered")
    if simulated is not None:
        sources["delivered_fraction"] = "run: orbital delivered / installed GPU-hours"
    elif "orbital_available" in run:
        availability = run["orbital_available"]
        sources["availability"] = "run: orbital deliverable / installed GPU-hours (no schedule ran)"
        notes.append("availability from the run's capacity; utilization nominal (the run had no workloads)")
    orbit: list[OrbitInputs] = []
    gpus = 0
    compute_w = flops_w = 0.0
    for i, shell in enumerate(scenario.shells):
        sat, margin = satellite_spec(scenario, shell)
        n = shell_orbits(scenario, shell).satellites
        design = scenario.design_for(shell)
        orbit.append(
            OrbitInputs(
                satellites=n,
                satellite=sat,
                hardware=hw,
                launch=launch,
                ground_segment=segment,
                reliability=Reliability(
                    gpu_failure_rate_per_year=failure,
                    replace_failed=econ.replace_failed_in_orbit,
                    array_degradation_per_year=design.solar_array.degradation_per_year,
                    array_bol_margin=margin,
                    spares_per_satellite=design.payload.spares,
                ),
                design_life_years=econ.design_life_years,
                discount_rate=econ.discount_rate,
                nre_usd=econ.nre_usd if i == 0 else 0.0,
                ops_fraction_of_hardware_per_year=econ.operations_fraction_per_year,
                launch_insurance_fraction=econ.launch_insurance_fraction,
                in_orbit_insurance_fraction_per_year=econ.in_orbit_insurance_fraction_per_year,
                availability=availability,
                utilization=econ.utilization,
                simulated_delivered_fraction=simulated,
            )
        )
        gpus += n * sat.gpus
        compute_w += n * sat.compute_w
        flops_w += n * sat.gpus * sat.flops_per_gpu
    if len(scenario.shells) > 1:
        notes.append("shells are launched on separate schedules (cadence and learning curve apply per shell)")
    ground = _ground_inputs(scenario, gpus, compute_w / gpus, flops_w / gpus, failure, run, sources)
    maintenance = maintenance_block(scenario, failure, summary)
    if econ.replace_failed_in_orbit:
        notes.append(
            "replace_failed_in_orbit: the cost model flies replacements for orbital failures beyond the spares; the "
            "simulation flies none, so in a run those GPUs stay lost"
        )
    return ScenarioCost(
        tuple(s.name for s in scenario.shells), tuple(orbit), ground, tuple(notes), sources, maintenance
    )


def maintenance_block(
    scenario: Scenario, failure_per_gpu_year: float, summary: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``cost.json``'s ``maintenance``: per shell and ground site, the fate rule the cost model prices with (the
    engine's, ``fleet.maintenance``), and with a run the run's counts beside the counts that rule expects over the
    run's duration at the same failure rate (``fleet.maintenance.expected_fates``)."""
    rate_s = failure_per_gpu_year / SECONDS_PER_JULIAN_YEAR
    horizon = scenario.duration_s
    counts = (summary or {}).get("maintenance") or {}
    out: dict[str, Any] = {
        "rule": "ground sites repair failed GPUs (repair_time, technicians); a satellite swaps in its cold spares, "
        "then loses failed GPUs (fleet.maintenance)",
        "failure_rate_per_gpu_year": failure_per_gpu_year,
        "shells": {},
        "ground_sites": {},
    }
    for shell in scenario.shells:
        payload = scenario.design_for(shell).payload
        n = shell_orbits(scenario, shell).satellites
        block: dict[str, Any] = {
            "spares_per_satellite": payload.spares,
            "spare_switchover_s": payload.spare_switchover,
            "replaced_by_launch": scenario.economics.replace_failed_in_orbit,
        }
        if shell.name in counts:
            block["run"] = dict(counts[shell.name])
            block["run_expected"] = expected_fates(payload.gpus, n, rate_s, horizon, False, payload.spares)
        out["shells"][shell.name] = block
    for site in scenario.ground_sites:
        gpus = sum(site.gpu_counts.values())
        repairs = site.repair_time is not None
        block = {"repair_time_s": site.repair_time, "technicians": site.technicians}
        if site.name in counts:
            block["run"] = dict(counts[site.name])
            block["run_expected"] = expected_fates(gpus, 1, rate_s, horizon, repairs)
        out["ground_sites"][site.name] = block
    return out


def _ground_inputs(
    scenario: Scenario,
    gpus: int,
    it_w_per_gpu: float,
    flops_per_gpu: float,
    failure: float,
    run: Mapping[str, float],
    sources: dict[str, str],
) -> GroundInputs:
    econ, t = scenario.economics, scenario.economics.terrestrial
    site = next((g for g in scenario.ground_sites if g.name == t.site), None) if t.site else None
    pue = t.pue if t.pue is not None else (site.pue if site is not None else 1.2)
    # repairs as the simulation makes them: the site's, or the default repair time of a ground site
    repair_s = DEFAULT_GROUND_REPAIR_S if site is None else site.repair_time
    technicians = 0 if site is None or site.technicians is None else site.technicians
    replace_failed = t.replace_failed and repair_s is not None
    if t.replace_failed and site is not None and site.repair_time is None:
        sources["ground_replace_failed"] = (
            f"ground site {site.name!r} does not repair (repair_time: null): failed GPUs are lost"
        )
    electricity: Any = t.electricity_usd_per_kwh
    carbon: Any = None
    water = None
    if site is not None:
        grid = scenario.time_grid()
        if electricity is None:
            electricity = site.price_per_step(grid)
            sources["ground_energy"] = f"ground site {site.name!r}: price over the scenario's steps"
        carbon = site.carbon_per_step(grid)
        water = site.water_l_per_kwh
    power_gen = t.power_generation_usd_per_kw
    if power_gen is None:
        power_gen = 0.0 if electricity is not None else 1450.0
    utilization = t.utilization
    if utilization is None:
        utilization = 0.85
        if run.get("ground_delivered", 0.0) > 0.0:
            utilization = run["ground_delivered"]
            sources["ground_utilization"] = "run: ground delivered / installed GPU-hours"
    extra: dict[str, Any] = {}
    if water is not None:
        extra["water_l_per_kwh"] = water
    return GroundInputs(
        gpus=gpus,
        it_w_per_gpu=it_w_per_gpu,
        flops_per_gpu=flops_per_gpu,
        life_years=econ.design_life_years,
        pue=pue,
        capex=CapexBuckets(
            power_generation_usd_per_kw=power_gen,
            electrical_usd_per_w=t.electrical_usd_per_w,
            mechanical_usd_per_w=t.mechanical_usd_per_w,
            civil_usd_per_w=t.civil_usd_per_w,
            fit_out_usd_per_w=t.fit_out_usd_per_w,
            backup_power_usd_per_w=t.backup_power_usd_per_w,
        ),
        gpu_usd=econ.gpu_usd,
        electricity_usd_per_kwh=electricity,
        heat_rate_btu_per_kwh=t.heat_rate_btu_per_kwh,
        gas_usd_per_mmbtu=t.gas_usd_per_mmbtu,
        utilization=float(utilization),
        water_usd_per_m3=t.water_usd_per_m3,
        carbon_g_per_kwh=carbon,
        carbon_usd_per_t=t.carbon_usd_per_t,
        gpu_failure_rate_per_year=failure,
        replace_failed=replace_failed,
        repair_s=repair_s or 0.0,
        technicians=technicians,
        discount_rate=econ.discount_rate,
        **extra,
    )


def evaluate_cost(scenario: Scenario) -> dict[str, float]:
    """Sweep evaluator ``cost``: the cost model on a scenario (nominal GPU-hours), as flat metrics
    (``orbit.usd_per_gpu_hour``, ``ground.usd_per_gpu_hour``, ``ratio_orbit_to_ground``, ...)."""
    return flat_metrics(scenario_cost(scenario).evaluate())
