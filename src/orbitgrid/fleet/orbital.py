"""Orbital nodes: what each satellite (or formation cluster) can deliver at every step, from power, heat and dose.

For every track and step ``[t_k, t_k + h)`` (vectorised over tracks, stepping in time):

1. array power from the step-averaged illuminated fraction (``fleet.illumination``), the Sun's distance and the
   array's age (``spacecraft.power``), then power conditioning (0.92);
2. the heat the radiator can take this step without the chips passing their junction limit
   (``spacecraft.thermal.max_load_w``: lumped radiator, die-to-radiator drop, backward-Euler step);
3. the compute the bus can feed: housekeeping first, then compute from the array and the battery down to its floor
   (``spacecraft.battery.serve_compute``), capped by the heat limit and rounded down to whole accelerators;
4. the battery and the radiator temperature are advanced with the load actually drawn
   (``spacecraft.battery.step``, ``spacecraft.thermal.step_temperature``), so energy closes exactly;
5. dose and upset rates from the orbit-averaged trapped-particle dose behind the design's shielding
   (``spacecraft.radiation``).

A step is *throttled* when fewer than all accelerators run; the reason is *heat* when the thermal cap binds,
*eclipse* when the track is not fully lit and the power path binds (the battery cannot carry the load through the
shadow), and *array* when it is fully lit and the power path still binds (the array is too small for the
payload). This is the numpy reference of the fused kernel ARCHITECTURE.md §4 asks for; it works chunk by chunk.

Assumptions (stated, not sourced): housekeeping is 5 % of the payload's full-load power; the radiator's heat
capacity is 7 kg/m^2 (FIGURES.md §5: conventional radiators 5-10 kg/m^2) of aluminium (900 J/kg/K); the radiator
is edge-on to the Sun and to nadir (two faces seeing the Earth), albedo neglected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import SECONDS_PER_JULIAN_YEAR
from orbitgrid.spacecraft import battery as bat
from orbitgrid.spacecraft import thermal
from orbitgrid.spacecraft.payload import Payload
from orbitgrid.spacecraft.power import array_power_w

CONDITIONING_EFFICIENCY = 0.92
HOUSEKEEPING_FRACTION = 0.05
RADIATOR_AREAL_HEAT_CAPACITY_J_K_M2 = 7.0 * 900.0
SECONDS_PER_YEAR = SECONDS_PER_JULIAN_YEAR


@dataclass(frozen=True)
class OrbitalDesignSpec:
    """A satellite design as plain numbers (converted from the scenario by the pipeline)."""

    payload: Payload
    array_area_m2: float
    cell_efficiency: float
    packing_factor: float
    degradation_per_year: float
    battery_capacity_wh: float
    depth_of_discharge: float
    radiator_area_m2: float
    emissivity: float
    solar_absorptivity: float
    radiator_faces: int
    shielding_mm_al: float
    die_to_radiator_k: float = 25.0
    junction_max_k: float = thermal.GPU_MAX_OPERATING_TEMPERATURE_K

    @property
    def housekeeping_w(self) -> float:
        return HOUSEKEEPING_FRACTION * self.payload.full_load_w

    @property
    def heat_capacity_j_k(self) -> float:
        return RADIATOR_AREAL_HEAT_CAPACITY_J_K_M2 * self.radiator_area_m2

    def battery_params(self) -> bat.BatteryParams:
        return bat.BatteryParams(capacity_wh=self.battery_capacity_wh, depth_of_discharge=self.depth_of_discharge)

    def radiator_environment(self, altitude_m: np.ndarray | float) -> thermal.RadiatorEnvironment:
        """The radiator edge-on to the Sun and to nadir, both faces seeing the Earth (see the module docstring)."""
        return thermal.RadiatorEnvironment(
            emissivity=self.emissivity,
            solar_absorptivity=self.solar_absorptivity,
            faces=self.radiator_faces,
            earth_view_factor=thermal.panel_earth_view_factor(altitude_m, np.pi / 2, self.radiator_faces),
        )


@dataclass(frozen=True)
class TrackCapacity:
    """Per-track totals and per-step sums over the tracks of one chunk."""

    harvested_wh: np.ndarray
    delivered_compute_wh: np.ndarray
    gpu_hours: np.ndarray
    throttled_eclipse_s: np.ndarray
    throttled_array_s: np.ndarray
    throttled_heat_s: np.ndarray
    radiator_peak_k: np.ndarray
    radiator_mean_k: np.ndarray
    battery_min_soc: np.ndarray
    energy_closure_wh: np.ndarray
    step_usable_gpus: np.ndarray
    step_array_w: np.ndarray
    step_compute_w: np.ndarray
    step_soc_mean: np.ndarray
    step_radiator_mean_k: np.ndarray
    #: Usable accelerators of every track and step, ``(n, K)`` int16; only when asked for (``track_usable=True``).
    track_usable_gpus: np.ndarray | None = None


def simulate_tracks(
    spec: OrbitalDesignSpec,
    lit: np.ndarray,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray,
    step_s: float,
    years_at_start: float = 0.0,
    *,
    track_usable: bool = False,
) -> TrackCapacity:
    """Step ``n`` tracks through ``K`` steps; ``lit`` is ``(n, K)``, ``sun_distance_m`` is ``(K,)``.

    With ``track_usable`` the result also carries each track's usable accelerators per step, ``(n, K)`` int16.
    """
    n, k_steps = lit.shape
    usable = np.zeros((n, k_steps), dtype=np.int16) if track_usable else None
    p = spec.payload
    params = spec.battery_params()
    state = bat.initial_state(params, 1.0, (n,))
    env = spec.radiator_environment(altitude_m)
    hk = spec.housekeeping_w
    full = p.full_load_w
    temp = thermal.steady_state_temperature_k(hk + full, spec.radiator_area_m2, env) * np.ones(n)
    out = {
        name: np.zeros(n)
        for name in (
            "harvested_wh",
            "delivered_compute_wh",
            "gpu_hours",
            "throttled_eclipse_s",
            "throttled_array_s",
            "throttled_heat_s",
            "radiator_mean_k",
            "energy_closure_wh",
        )
    }
    peak = temp.copy()
    min_soc = np.ones(n)
    steps = {name: np.zeros(k_steps) for name in ("usable", "array", "compute", "soc", "temp")}
    for k in range(k_steps):
        years = years_at_start + (k + 0.5) * step_s / SECONDS_PER_YEAR
        array_w = array_power_w(
            spec.array_area_m2,
            spec.cell_efficiency,
            spec.packing_factor,
            sun_distance_m=sun_distance_m[k],
            illuminated_fraction=lit[:, k],
            years_in_orbit=years,
            degradation_per_year=spec.degradation_per_year,
        )
        bus_w = CONDITIONING_EFFICIENCY * array_w
        heat_cap = thermal.max_load_w(
            temp,
            step_s,
            spec.heat_capacity_j_k,
            spec.radiator_area_m2,
            env,
            spec.die_to_radiator_k,
            spec.junction_max_k,
        )
        requested = np.clip(heat_cap - hk, 0.0, full)
        decision = bat.serve_compute(bus_w, hk, requested, state, params, step_s)
        gpus = p.accelerators_for_power(decision.compute_w)
        compute_w = gpus * p.power_per_accelerator_w
        res = bat.step(state, params, bus_w, hk + compute_w, step_s)
        state = res.state
        temp = thermal.step_temperature(
            temp, hk + compute_w, step_s, spec.heat_capacity_j_k, spec.radiator_area_m2, env
        )
        throttled = gpus < p.count
        heat_bound = requested < full
        out["throttled_heat_s"] += np.where(throttled & heat_bound, step_s, 0.0)
        power_bound = throttled & ~heat_bound
        out["throttled_eclipse_s"] += np.where(power_bound & (lit[:, k] < 1.0), step_s, 0.0)
        out["throttled_array_s"] += np.where(power_bound & (lit[:, k] >= 1.0), step_s, 0.0)
        out["harvested_wh"] += res.harvested_wh
        out["delivered_compute_wh"] += compute_w * step_s / 3600.0
        out["gpu_hours"] += gpus * step_s / 3600.0
        out["radiator_mean_k"] += temp / k_steps
        out["energy_closure_wh"] += (
            res.harvested_wh - res.delivered_wh - res.stored_delta_wh - res.lost_wh - res.curtailed_wh
        )
        peak = np.maximum(peak, temp)
        soc = state.energy_wh / np.maximum(state.capacity_wh, 1e-12)
        min_soc = np.minimum(min_soc, soc)
        steps["usable"][k] = gpus.sum()
        if usable is not None:
            usable[:, k] = gpus
        steps["array"][k] = array_w.sum()
        steps["compute"][k] = compute_w.sum()
        steps["soc"][k] = soc.mean()
        steps["temp"][k] = temp.mean()
    return TrackCapacity(
        harvested_wh=out["harvested_wh"],
        delivered_compute_wh=out["delivered_compute_wh"],
        gpu_hours=out["gpu_hours"],
        throttled_eclipse_s=out["throttled_eclipse_s"],
        throttled_array_s=out["throttled_array_s"],
        throttled_heat_s=out["throttled_heat_s"],
        radiator_peak_k=peak,
        radiator_mean_k=out["radiator_mean_k"],
        battery_min_soc=min_soc,
        energy_closure_wh=out["energy_closure_wh"],
        step_usable_gpus=steps["usable"],
        step_array_w=steps["array"],
        step_compute_w=steps["compute"],
        step_soc_mean=steps["soc"],
        step_radiator_mean_k=steps["temp"],
        track_usable_gpus=usable,
    )
