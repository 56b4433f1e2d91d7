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

The array's attitude: ``OrbitalDesignSpec.tracking`` is ``sun_tracking`` (normal incidence: ``cos theta = 1``) or
``body_fixed``. A body-fixed array is modelled on a nadir-pointing bus (local-vertical/local-horizontal attitude)
with the array plane containing the velocity and the nadir directions, its active face turned to the orbit normal
on the Sun's side of the orbit plane (the bus yaws 180 deg when the Sun crosses the orbit plane, ``beta = 0``). The
orbit normal is fixed in that frame, so the incidence is constant around an orbit: ``cos theta = |h . s| =
|sin beta|``, with ``h`` the unit orbit normal and ``s`` the unit Sun direction at each step's midpoint
(``ArrayIncidence``, built by ``body_fixed_incidence_circular`` for designed shells and
``body_fixed_incidence_elements`` for element sets). A dawn-dusk sun-synchronous orbit (``|beta|`` ~ 70-90 deg)
loses a few per cent; a 53 deg shell, whose beta sweeps through 0, loses most of its power.

Assumptions (stated, not sourced): housekeeping is 5 % of the payload's full-load power; the radiator's heat
capacity is 7 kg/m^2 (docs/sources.md §5: conventional radiators 5-10 kg/m^2) of aluminium (900 J/kg/K); the radiator
is edge-on to the Sun and to nadir (two faces seeing the Earth), albedo neglected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import SECONDS_PER_JULIAN_YEAR
from orbitgrid.astro.constellations import CircularOrbits
from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.j2 import secular_rates
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.time import TimeGrid
from orbitgrid.spacecraft import battery as bat
from orbitgrid.spacecraft import thermal
from orbitgrid.spacecraft.payload import Payload
from orbitgrid.spacecraft.power import (
    BODY_FIXED,
    DEFAULT_CONDITIONING_EFFICIENCY,
    SUN_TRACKING,
    array_power_w,
    orbit_normal_array_cosine,
)

CONDITIONING_EFFICIENCY = DEFAULT_CONDITIONING_EFFICIENCY
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
    #: ``sun_tracking`` or ``body_fixed`` (see the module docstring); a body-fixed design needs an ``ArrayIncidence``.
    tracking: str = SUN_TRACKING

    def __post_init__(self) -> None:
        if self.tracking not in (SUN_TRACKING, BODY_FIXED):
            raise ValueError(f"tracking must be {SUN_TRACKING!r} or {BODY_FIXED!r}, not {self.tracking!r}")

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
class ArrayIncidence:
    """Cosine of the Sun's incidence on the array at every step, in rows shared by tracks.

    ``cos`` is ``(m, K)`` in [0, 1]; ``row`` ``(n,)`` int64 is the row of ``cos`` each track uses (all tracks of an
    orbital plane share one row: the body-fixed incidence depends only on the plane). Track ``i`` of the arrays a
    simulation is given is track ``i`` here; a survey simulation with ``tracks=slice(a, b)`` reads ``row[a:b]``.
    """

    cos: np.ndarray
    row: np.ndarray

    def __post_init__(self) -> None:
        cos = np.ascontiguousarray(self.cos, dtype=np.float64)
        row = np.ascontiguousarray(self.row, dtype=np.int64)
        if cos.ndim != 2 or row.ndim != 1:
            raise ValueError("cos must be (rows, steps) and row (tracks,)")
        if not np.all((cos >= 0.0) & (cos <= 1.0)):
            raise ValueError("cos must be finite and within [0, 1]")
        if row.size and (row.min() < 0 or row.max() >= cos.shape[0]):
            raise ValueError("row indexes outside cos")
        object.__setattr__(self, "cos", cos)
        object.__setattr__(self, "row", row)

    @property
    def n_steps(self) -> int:
        return int(self.cos.shape[1])

    def per_track(self, tracks: slice | None = None) -> np.ndarray:
        """``(n, K)`` cosines of the selected tracks (all by default)."""
        return self.cos[self.row if tracks is None else self.row[tracks]]


def step_midpoints_s(grid: TimeGrid) -> np.ndarray:
    """Seconds after the epoch of each step's midpoint, ``(K,)``."""
    return (np.arange(grid.n_steps, dtype=np.float64) + 0.5) * grid.step_s


def body_fixed_incidence_circular(orbits: CircularOrbits, grid: TimeGrid) -> ArrayIncidence:
    """``|sin beta|`` per orbital plane and step for circular J2 orbits (see the module docstring).

    The orbit normal at the step midpoint ``t`` is ``(sin W sin i, -cos W sin i, cos i)`` with the node
    ``W = W0 + dW/dt t`` regressing at the J2 secular rate (``astro.j2``); tracks with the same ``(a, i, W0)`` share
    a row.
    """
    keys = np.stack([orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad], axis=1)
    uniq, row = np.unique(keys, axis=0, return_inverse=True)
    t = step_midpoints_s(grid)
    sun = sun_position_teme_m(grid.jd_tt(t))
    raan_dot = secular_rates(uniq[:, 0], uniq[:, 1])[0]
    node = uniq[:, 2, None] + raan_dot[:, None] * t[None, :]
    si, ci = np.sin(uniq[:, 1])[:, None], np.cos(uniq[:, 1])[:, None]
    normal = np.stack([np.sin(node) * si, -np.cos(node) * si, np.broadcast_to(ci, node.shape)], axis=-1)
    return ArrayIncidence(orbit_normal_array_cosine(normal, sun[None, :, :]), np.asarray(row).reshape(-1))


#: Orbit normals of element sets are taken from the SGP4 state every this many seconds and interpolated between:
#: the normal turns with the node (< 0.1 deg per 10 min at 5 deg/day) and wobbles with the short-period J2 terms by
#: hundredths of a degree, so the interpolation changes ``|sin beta|`` by < 1e-3.
NORMAL_SAMPLE_S = 600.0


def body_fixed_incidence_elements(
    elements: ElementSet, grid: TimeGrid, *, sample_s: float = NORMAL_SAMPLE_S, chunk: int = 2_048
) -> ArrayIncidence:
    """``|sin beta|`` per track and step for element sets, from the SGP4 states' angular momentum ``r x v``.

    States are sampled at step midpoints every ``sample_s`` (and at the last step) and the unit normal is
    interpolated linearly in time between samples. A track whose propagation fails at a sample gets 0 there (no
    power is counted for an orbit SGP4 cannot follow; the survey marks such tracks invalid).
    """
    from orbitgrid.astro.sgp4_adapter import iter_teme_chunks

    t = step_midpoints_s(grid)
    stride = max(1, round(sample_s / grid.step_s))
    ks = np.unique(np.append(np.arange(0, grid.n_steps, stride), grid.n_steps - 1))
    sun = sun_position_teme_m(grid.jd_tt(t))
    jd, fr = grid.jd_utc(t[ks])
    # linear interpolation weights from the sampled steps to every step
    hi = np.clip(np.searchsorted(ks, np.arange(grid.n_steps)), 1, max(ks.size - 1, 1)) if ks.size > 1 else None
    cos = np.empty((len(elements), grid.n_steps))
    for sl, r, v, _err in iter_teme_chunks(elements, jd, fr, chunk):
        h = np.cross(r, v)  # NaN where SGP4 failed
        if hi is None:
            normal = np.broadcast_to(h, (h.shape[0], grid.n_steps, 3))
        else:
            t0, t1 = t[ks[hi - 1]], t[ks[hi]]
            w = ((t - t0) / (t1 - t0))[None, :, None]
            normal = h[:, hi - 1] * (1.0 - w) + h[:, hi] * w
        part = orbit_normal_array_cosine(normal, sun[None, :, :])
        cos[sl] = np.where(np.isfinite(part), part, 0.0)
    return ArrayIncidence(cos, np.arange(len(elements), dtype=np.int64))


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
    #: Tracks flying in each step, ``(K,)`` (all of them unless SGP4 lost some): the weight of the step means.
    step_tracks: np.ndarray | None = None


def incidence_for(
    spec: OrbitalDesignSpec, incidence: ArrayIncidence | None, n: int, k_steps: int, first: int = 0
) -> np.ndarray | None:
    """The ``(n, K)`` cosines of tracks ``first..first+n-1``, or None for normal incidence; checks shapes and that a
    body-fixed design is not stepped without its incidence (the field would otherwise do nothing)."""
    if incidence is None:
        if spec.tracking == BODY_FIXED:
            raise ValueError("a body_fixed array needs its ArrayIncidence (fleet.orbital.body_fixed_incidence_*)")
        return None
    if incidence.n_steps != k_steps or incidence.row.shape[0] < first + n:
        raise ValueError(
            f"incidence covers {incidence.row.shape[0]} tracks x {incidence.n_steps} steps, "
            f"not tracks {first}..{first + n - 1} x {k_steps} steps"
        )
    return incidence.per_track(slice(first, first + n))


def simulate_tracks(
    spec: OrbitalDesignSpec,
    lit: np.ndarray,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray,
    step_s: float,
    years_at_start: float = 0.0,
    *,
    track_usable: bool = False,
    incidence: ArrayIncidence | None = None,
    life_steps: np.ndarray | None = None,
) -> TrackCapacity:
    """Step ``n`` tracks through ``K`` steps; ``lit`` is ``(n, K)``, ``sun_distance_m`` is ``(K,)``.

    With ``track_usable`` the result also carries each track's usable accelerators per step, ``(n, K)`` int16.
    ``incidence`` (one row index per track) multiplies the array power by its cosine; a ``body_fixed`` design
    needs it, a ``sun_tracking`` one runs at normal incidence without it. ``life_steps`` (one whole number per
    track, default ``K``): track ``i`` counts only in steps ``k < life_steps[i]`` — a satellite SGP4 lost delivers,
    harvests and throttles nothing from the step holding its failure on, and its means and extremes are over the
    steps it flew (NaN when it flew none); the step means are over the tracks flying in the step.
    """
    n, k_steps = lit.shape
    cos_i = incidence_for(spec, incidence, n, k_steps)
    life = np.full(n, k_steps) if life_steps is None else np.minimum(np.asarray(life_steps).reshape(n), k_steps)
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
    steps = {name: np.zeros(k_steps) for name in ("usable", "array", "compute", "soc", "temp", "tracks")}
    for k in range(k_steps):
        years = years_at_start + (k + 0.5) * step_s / SECONDS_PER_YEAR
        array_w = array_power_w(
            spec.array_area_m2,
            spec.cell_efficiency,
            spec.packing_factor,
            sun_distance_m=sun_distance_m[k],
            illuminated_fraction=lit[:, k],
            cos_incidence=1.0 if cos_i is None else cos_i[:, k],
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
        on = k < life  # tracks still flying in this step
        throttled = (gpus < p.count) & on
        heat_bound = requested < full
        out["throttled_heat_s"] += np.where(throttled & heat_bound, step_s, 0.0)
        power_bound = throttled & ~heat_bound
        out["throttled_eclipse_s"] += np.where(power_bound & (lit[:, k] < 1.0), step_s, 0.0)
        out["throttled_array_s"] += np.where(power_bound & (lit[:, k] >= 1.0), step_s, 0.0)
        out["harvested_wh"] += np.where(on, res.harvested_wh, 0.0)
        out["delivered_compute_wh"] += np.where(on, compute_w * step_s / 3600.0, 0.0)
        out["gpu_hours"] += np.where(on, gpus * step_s / 3600.0, 0.0)
        out["radiator_mean_k"] += np.where(on, temp, 0.0)
        out["energy_closure_wh"] += np.where(
            on, res.harvested_wh - res.delivered_wh - res.stored_delta_wh - res.lost_wh - res.curtailed_wh, 0.0
        )
        peak = np.where(on, np.maximum(peak, temp), peak)
        soc = state.energy_wh / np.maximum(state.capacity_wh, 1e-12)
        min_soc = np.where(on, np.minimum(min_soc, soc), min_soc)
        flying = int(np.count_nonzero(on))
        steps["usable"][k] = np.sum(np.where(on, gpus, 0))
        if usable is not None:
            usable[:, k] = np.where(on, gpus, 0)
        steps["array"][k] = np.sum(np.where(on, array_w, 0.0))
        steps["compute"][k] = np.sum(np.where(on, compute_w, 0.0))
        steps["soc"][k] = np.sum(np.where(on, soc, 0.0)) / flying if flying else np.nan
        steps["temp"][k] = np.sum(np.where(on, temp, 0.0)) / flying if flying else np.nan
        steps["tracks"][k] = flying
    flown = life > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["radiator_mean_k"] = np.where(flown, out["radiator_mean_k"] / life, np.nan)
    peak = np.where(flown, peak, np.nan)
    min_soc = np.where(flown, min_soc, np.nan)
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
        step_tracks=steps["tracks"],
    )
