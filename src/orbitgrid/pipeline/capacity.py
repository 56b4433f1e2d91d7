"""Capacity of every node: turn each shell's survey and design into power-, heat- and dose-limited compute.

Scenario designs become ``OrbitalDesignSpec``; each shell is stepped chunk by chunk through ``fleet.kernel`` (the
numba kernel, tested against the numpy reference ``fleet.orbital``), one representative satellite per formation
cluster with totals scaled by the cluster's members; dose is the shell's orbit average over a sample of its tracks;
ground sites go through ``fleet.ground``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, SECONDS_PER_DAY
from orbitgrid.astro.constants import SECONDS_PER_JULIAN_YEAR as SECONDS_PER_YEAR
from orbitgrid.astro.frames import ecef_to_geodetic, teme_to_ecef
from orbitgrid.astro.j2 import positions_teme_m, semi_major_axis_m
from orbitgrid.astro.survey import sun_on_grid_m
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.ground import GroundSiteCapacity, GroundSiteSpec, site_capacity
from orbitgrid.fleet.kernel import simulate_shifted_tracks_fast, simulate_survey_tracks_fast, survey_intervals
from orbitgrid.fleet.orbital import (
    ArrayIncidence,
    OrbitalDesignSpec,
    TrackCapacity,
    body_fixed_incidence_circular,
    body_fixed_incidence_elements,
)
from orbitgrid.pipeline.orbit import ShellSurvey
from orbitgrid.results import RunWriter
from orbitgrid.scenario import GroundSite, SatelliteDesign, Scenario
from orbitgrid.scenario.catalog import gpu_models
from orbitgrid.scheduling.pools import PoolCapacity, accumulate, pool_bounds
from orbitgrid.spacecraft.cosmic_rays import (
    SOLAR_EVENTS,
    gcr_nuclei_flux_cm2_s,
    gcr_upset_rates_per_s,
    spe_dose_rate_rad_s,
)
from orbitgrid.spacecraft.payload import Payload
from orbitgrid.spacecraft.radiation import (
    ABOVE_GRID,
    BELOW_GRID,
    GRID_ALTITUDE_RANGE_KM,
    altitude_grid_status,
    dose_rate_rad_s,
    upset_rates_per_s,
)

DOSE_SAMPLE_TRACKS = 32
DOSE_SAMPLE_STEP_S = 300.0


def payload_for(model: str, count: int) -> Payload:
    g = gpu_models()[model]
    return Payload(model=model, count=count, tdp_w=g.tdp_w, bf16_dense_flops=g.bf16_dense_flops, hbm_gb=g.hbm_gb)


def design_spec(design: SatelliteDesign) -> OrbitalDesignSpec:
    return OrbitalDesignSpec(
        payload=payload_for(design.payload.gpu, design.payload.gpus),
        array_area_m2=design.solar_array.area_m2,
        cell_efficiency=design.solar_array.cell_efficiency,
        packing_factor=design.solar_array.packing_factor,
        degradation_per_year=design.solar_array.degradation_per_year,
        battery_capacity_wh=design.battery.capacity_wh,
        depth_of_discharge=design.battery.depth_of_discharge,
        radiator_area_m2=design.radiator.area_m2,
        emissivity=design.radiator.emissivity,
        solar_absorptivity=design.radiator.solar_absorptivity,
        radiator_faces=2 if design.radiator.two_sided else 1,
        shielding_mm_al=design.shielding_mm_al,
        tracking=design.solar_array.tracking,
    )


def shell_array_incidence(spec: OrbitalDesignSpec, s: ShellSurvey, grid: TimeGrid) -> ArrayIncidence | None:
    """The array's cosine per track and step for a ``body_fixed`` design (``|sin beta|``, one row per orbital plane
    of a designed shell, one per element set); None for a ``sun_tracking`` one (normal incidence)."""
    if spec.tracking != "body_fixed":
        return None
    if s.orbits.circular is not None:
        return body_fixed_incidence_circular(s.orbits.circular, grid)
    assert s.orbits.elements is not None
    return body_fixed_incidence_elements(s.orbits.elements, grid)


def ground_spec(site: GroundSite, grid: TimeGrid) -> GroundSiteSpec:
    """The fleet-layer spec of ``site`` on ``grid``: inventory resolved to catalog payloads, and price and carbon
    intensity as one step mean per step (a constant repeated, or the CSV series read by the scenario layer)."""
    return GroundSiteSpec(
        name=site.name,
        lat_deg=site.lat_deg,
        lon_deg=site.lon_deg,
        payloads=tuple(payload_for(m, n) for m, n in site.gpu_counts.items()),
        grid_power_w=site.grid_power_mw * 1e6,
        pue=site.pue,
        power_price_usd_per_kwh=site.price_per_step(grid),
        carbon_g_per_kwh=site.carbon_per_step(grid),
        water_l_per_kwh=site.water_l_per_kwh,
    )


def _track_altitude_m(s: ShellSurvey) -> np.ndarray:
    if s.orbits.circular is not None:
        return s.orbits.circular.semi_major_axis_m - EARTH_EQUATORIAL_RADIUS_M
    assert s.orbits.elements is not None
    return semi_major_axis_m(s.orbits.elements.mean_motion_brouwer_rad_s) - EARTH_EQUATORIAL_RADIUS_M


def dose_track_points(s: ShellSurvey, grid: TimeGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic (lat rad, lon rad, height m), flattened, of a sample of the shell's tracks every 5 minutes: the points
    the dose, the cosmic-ray flux and the table checks are computed on (a satellite SGP4 lost only before it was
    lost; empty for a shell with nothing flying), and each point's time (s after the epoch). The samples are evenly
    spaced over the run, so a mean over them is a time average."""
    flying = np.flatnonzero(s.survey.end_s > 0.0)  # tracks SGP4 lost at the start have no positions
    if flying.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)
    n = flying.size
    idx = flying[np.unique(np.linspace(0, n - 1, min(n, DOSE_SAMPLE_TRACKS)).astype(np.int64))]
    t = np.arange(0.0, grid.duration_s, DOSE_SAMPLE_STEP_S)
    if s.orbits.circular is not None:
        c = s.orbits.circular.subset(idx)
        r_j2 = positions_teme_m(c.semi_major_axis_m, c.inclination_rad, c.raan_rad, c.arg_latitude_rad, t)
        assert isinstance(r_j2, np.ndarray)
        r = r_j2
    else:
        from orbitgrid.astro.sgp4_adapter import propagate_teme

        assert s.orbits.elements is not None
        jd, fr = grid.jd_utc(t)
        r, _, _err = propagate_teme(s.orbits.elements.subset(idx), jd, fr)
        # a track's samples after SGP4 lost it are NaN and left out of the mean
        r = np.where((t[None, :] <= s.survey.end_s[idx, None])[..., None], r, np.nan)
    jd, fr = grid.jd_utc(t)
    lat, lon, h = ecef_to_geodetic(teme_to_ecef(r, jd, fr))
    ok = np.isfinite(h)
    return lat[ok], lon[ok], h[ok], np.broadcast_to(t, h.shape)[ok]


def shell_dose_rate_rad_s(s: ShellSurvey, grid: TimeGrid, shielding_mm_al: float, proton_solar: str = "min") -> float:
    """Orbit-averaged dose rate over a sample of the shell's tracks, sampled every 5 minutes (0 for a shell with
    nothing flying)."""
    lat, lon, h, _ = dose_track_points(s, grid)
    if h.size == 0:
        return 0.0
    return float(np.mean(dose_rate_rad_s(lat, lon, h, shielding_mm_al, proton_solar=proton_solar)))


def radiation_table_notes(name: str, h_m: np.ndarray) -> list[str]:
    """Warnings for track samples outside the trapped-radiation table's heights (possible only for element sets:
    designed shells are checked when the scenario is validated): there the nearest level is held."""
    if h_m.size == 0:
        return []
    status = altitude_grid_status(h_m)
    lo, hi = GRID_ALTITUDE_RANGE_KM
    notes = []
    above, below = float(np.mean(status == ABOVE_GRID)), float(np.mean(status == BELOW_GRID))
    if above > 0.0:
        notes.append(
            f"shell {name!r}: {100 * above:.1f} % of the sampled track points are above {hi:.0f} km (up to "
            f"{np.max(h_m) / 1e3:.0f} km), the top of the AE8/AP8 table; their trapped flux is held at the "
            f"{hi:.0f} km level, which underestimates the dose and upset rates there"
        )
    if below > 0.0:
        notes.append(
            f"shell {name!r}: {100 * below:.1f} % of the sampled track points are below {lo:.0f} km (down to "
            f"{np.min(h_m) / 1e3:.0f} km); their trapped flux is held at the {lo:.0f} km level (an overestimate of a "
            f"flux that is already small)"
        )
    return notes


@dataclass(frozen=True)
class ShellCapacity:
    name: str
    members: int
    spec: OrbitalDesignSpec
    tracks: TrackCapacity
    dose_rate_rad_s: float
    step_s: float
    #: First instant SGP4 failed for each track, s after the epoch (NaN: never); None for designed shells.
    failed_s: np.ndarray | None = None
    #: Approximations the radiation model applied to this shell (printed by simulate, kept in summary and manifest).
    approximations: tuple[str, ...] = ()
    #: Orbit-averaged galactic cosmic-ray nuclei flux reaching the shell, cm^-2 s^-1 (``spacecraft.cosmic_rays``).
    gcr_flux_cm2_s: float = 0.0
    #: Dose (rad(Si)) the scenario's solar particle event gives a satellite during the run, shell average.
    spe_dose_rad: float = 0.0
    #: Usable accelerators summed per pool (orbital plane) and step, when built for plane pools.
    pools: PoolCapacity | None = None

    def summary(self) -> dict[str, float | int | dict[str, float]]:
        """Shell totals. Satellites SGP4 lost deliver nothing from the step they were lost in
        (``satellite_steps_flown`` of ``satellite_steps``); ``gpu_hours_installed`` still counts every satellite
        over the whole run (they were launched and paid for), so a loss lowers deliverable / installed and raises
        the cost per delivered GPU-hour. Throttled fractions are of the time flown, temperatures and battery
        extremes over it."""
        m = self.members
        t = self.tracks
        n_tracks = t.gpu_hours.shape[0]
        k_steps = t.step_usable_gpus.shape[0]
        assert t.step_tracks is not None
        flown_steps = float(np.sum(t.step_tracks))  # track-steps flown
        flown_s = flown_steps * self.step_s
        installed = self.spec.payload.count * m * n_tracks * k_steps * self.step_s / 3600.0
        rates = upset_rates_per_s(self.dose_rate_rad_s)
        gcr = gcr_upset_rates_per_s(self.gcr_flux_cm2_s)
        flew = np.isfinite(t.radiator_mean_k)

        def frac(x: np.ndarray) -> float:
            return float(np.sum(x) / flown_s) if flown_s > 0 else math.nan

        return {
            "gpus": self.spec.payload.count * m * n_tracks,
            "gpu_model": self.spec.payload.model,
            "satellite_steps": n_tracks * m * k_steps,
            "satellite_steps_flown": round(flown_steps) * m,
            "energy_harvested_mwh": float(np.sum(t.harvested_wh) * m / 1e6),
            "compute_energy_mwh": float(np.sum(t.delivered_compute_wh) * m / 1e6),
            "gpu_hours_deliverable": float(np.sum(t.gpu_hours) * m),
            "gpu_hours_installed": installed,
            "throttled_fraction_eclipse": frac(t.throttled_eclipse_s),
            "throttled_fraction_array": frac(t.throttled_array_s),
            "throttled_fraction_heat": frac(t.throttled_heat_s),
            "radiator_peak_c": float(np.max(t.radiator_peak_k[flew]) - 273.15) if flew.any() else math.nan,
            "radiator_mean_c": float(np.mean(t.radiator_mean_k[flew]) - 273.15) if flew.any() else math.nan,
            "battery_min_soc": float(np.min(t.battery_min_soc[flew])) if flew.any() else math.nan,
            "dose_rad_per_year": self.dose_rate_rad_s * SECONDS_PER_YEAR,
            "upsets_per_gpu_day": {k: float(v) * SECONDS_PER_DAY for k, v in rates.items()},
            "gcr_nuclei_flux_cm2_s": self.gcr_flux_cm2_s,
            "gcr_upsets_per_gpu_day": {k: float(v) * SECONDS_PER_DAY for k, v in gcr.items()},
            "spe_dose_rad": self.spe_dose_rad,
            "spe_upsets_per_gpu": {k: float(v) for k, v in upset_rates_per_s(self.spe_dose_rad).items()},
            "energy_closure_max_wh": float(np.max(np.abs(t.energy_closure_wh), initial=0.0)),
        }


def step_sun_distance_m(grid: TimeGrid) -> np.ndarray:
    """Mean Sun distance over each step (the two grid nodes' average), m."""
    dist = np.linalg.norm(sun_on_grid_m(grid), axis=-1)
    return 0.5 * (dist[:-1] + dist[1:])


def shell_capacity(
    scenario: Scenario,
    s: ShellSurvey,
    sun_distance: np.ndarray | None = None,
    chunk: int = 8_192,
    *,
    track_usable: bool = False,
    pool_of_track: np.ndarray | None = None,
) -> ShellCapacity:
    """The shell's capacity through the fused kernel; with ``track_usable`` the result also carries every track's
    usable accelerators per step (``tracks.track_usable_gpus``, what the scheduler's node timelines are built from).
    With ``pool_of_track`` (each track's pool, grouped: ``scheduling.pools.pool_bounds``) it carries instead their
    sums per pool (``pools``), chunk by chunk: no per-track timeline is kept."""
    pooled = pool_of_track is not None
    pool_sums: tuple[np.ndarray, np.ndarray] | None = None
    grid = scenario.time_grid()
    if sun_distance is None:
        sun_distance = step_sun_distance_m(grid)
    spec = design_spec(
        scenario.design(s.orbits.kind and next(sh.design for sh in scenario.shells if sh.name == s.orbits.name))
    )
    alt = _track_altitude_m(s)
    incidence = shell_array_incidence(spec, s, grid)
    parts: list[TrackCapacity] = []
    if pool_of_track is not None:
        n_pools = pool_bounds(pool_of_track).size - 1
        pool_sums = (np.zeros((n_pools, grid.n_steps), np.int64), np.zeros((n_pools, grid.n_steps), np.int64))
        track_usable = True

    def keep(cap: TrackCapacity, lo: int) -> TrackCapacity:
        if pool_sums is None or pool_of_track is None or cap.track_usable_gpus is None:
            return cap
        accumulate(pool_sums[0], pool_sums[1], cap.track_usable_gpus, pool_of_track, lo)
        return dataclasses.replace(cap, track_usable_gpus=None)

    if s.shifted is not None:
        # designed shell surveyed through reference tracks: each track's passages are binned from its reference's,
        # moved by its lag, inside the kernel (no per-track passage is read)
        ref_intervals = s.shifted.intervals()
        for lo in range(0, s.orbits.tracks, chunk):
            sl = slice(lo, min(s.orbits.tracks, lo + chunk))
            cap = simulate_shifted_tracks_fast(
                spec,
                s.shifted,
                grid.n_steps,
                sun_distance,
                alt[sl],
                grid.step_s,
                tracks=sl,
                intervals=ref_intervals,
                incidence=incidence,
                track_usable=track_usable,
            )
            parts.append(keep(cap, lo))
    else:
        intervals = survey_intervals(s.survey)  # passages binned to steps inside the kernel: no (n, K) lit array
        for lo in range(0, s.orbits.tracks, chunk):
            sl = slice(lo, min(s.orbits.tracks, lo + chunk))
            parts.append(
                keep(
                    simulate_survey_tracks_fast(
                        spec,
                        s.survey,
                        grid.n_steps,
                        sun_distance,
                        alt[sl],
                        grid.step_s,
                        tracks=sl,
                        intervals=intervals,
                        incidence=incidence,
                        track_usable=track_usable,
                    ),
                    lo,
                )
            )
    merged = merge_track_capacities(parts, track_usable and not pooled)
    env = scenario.environment
    lat, lon, h, t_s = dose_track_points(s, grid)
    dose = float(np.mean(dose_rate_rad_s(lat, lon, h, spec.shielding_mm_al, proton_solar(scenario)))) if h.size else 0.0
    gcr = float(np.mean(gcr_nuclei_flux_cm2_s(lat, lon, h, env.phi_mv))) if h.size else 0.0
    notes = tuple(radiation_table_notes(s.orbits.name, h))
    failed = s.survey.failed_s if s.orbits.elements is not None else None
    spe = spe_dose_rad(scenario, lat, lon, h, t_s, spec.shielding_mm_al)
    pools = None
    if pool_sums is not None and pool_of_track is not None:
        members = np.diff(pool_bounds(pool_of_track))
        pools = PoolCapacity(pool_sums[0], pool_sums[1], members, np.asarray(pool_of_track, dtype=np.int64))
    return ShellCapacity(
        s.orbits.name, s.orbits.members, spec, merged, dose, grid.step_s, failed, notes, gcr, spe, pools
    )


def spe_dose_rad(
    scenario: Scenario, lat: np.ndarray, lon: np.ndarray, h: np.ndarray, t_s: np.ndarray, shielding_mm_al: float
) -> float:
    """Dose in Si (rad) the scenario's solar particle event gives a satellite of the shell during the run, on average:
    the mean over the evenly spaced samples of the event's dose rate (zero outside it) times the run's duration."""
    event = scenario.environment.solar_particle_event
    if event is None or h.size == 0:
        return 0.0
    t0 = (event.start - scenario.epoch).total_seconds()
    on = (t_s >= t0) & (t_s < t0 + event.duration)
    if not on.any():
        return 0.0
    rate = spe_dose_rate_rad_s(SOLAR_EVENTS[event.event], event.duration, lat[on], lon[on], h[on], shielding_mm_al)
    return float(np.sum(rate) / h.size * scenario.duration_s)


def proton_solar(scenario: Scenario) -> str:
    """The AP8 model of the scenario's solar-cycle phase: ``"min"`` (AP8MIN) or ``"max"`` (AP8MAX)."""
    return "min" if scenario.environment.solar_cycle == "minimum" else "max"


def radiation_approximations(scenario: Scenario, shells: list[ShellCapacity]) -> list[str]:
    """Every approximation the trapped-radiation model applies to this run, as sentences: track samples outside the
    table's heights (element sets; designed shells are kept inside by scenario validation)."""
    return [n for c in shells for n in c.approximations]


def merge_track_capacities(parts: list[TrackCapacity], track_usable: bool = False) -> TrackCapacity:
    """One ``TrackCapacity`` from chunks of consecutive tracks: per-track arrays concatenated, per-step sums added,
    per-step means weighted by the tracks flying in each step in each chunk."""
    summed = ("step_usable_gpus", "step_array_w", "step_compute_w", "step_tracks")
    flying = [np.asarray(p.step_tracks) for p in parts]
    total = np.sum(flying, axis=0)

    def mean(name: str) -> np.ndarray:
        acc = np.sum(
            [np.where(w > 0, np.nan_to_num(getattr(p, name)) * w, 0.0) for p, w in zip(parts, flying, strict=True)],
            axis=0,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, acc / total, np.nan)

    fields = {
        f: np.sum([getattr(p, f) for p in parts], axis=0)
        if f in summed
        else np.concatenate([np.atleast_1d(getattr(p, f)) for p in parts])
        for f in TrackCapacity.__dataclass_fields__
        if (not f.startswith("step_") and f != "track_usable_gpus") or f in summed
    }
    return TrackCapacity(
        **fields,
        step_soc_mean=mean("step_soc_mean"),
        step_radiator_mean_k=mean("step_radiator_mean_k"),
        track_usable_gpus=(
            np.concatenate([p.track_usable_gpus for p in parts if p.track_usable_gpus is not None])
            if track_usable
            else None
        ),
    )


def ground_capacities(scenario: Scenario) -> list[GroundSiteCapacity]:
    grid = scenario.time_grid()
    return [site_capacity(ground_spec(g, grid), grid.n_steps, grid.step_s) for g in scenario.ground_sites]


def write_capacity_tables(writer: RunWriter, shells: list[ShellCapacity], sites: list[GroundSiteCapacity]) -> None:
    """``nodes.parquet`` (one row per node: satellite, formation cluster or ground site; ``sgp4_failed_s`` is when SGP4
    lost a satellite of an element shell, NaN otherwise) and ``timeseries.parquet``
    (one row per shell or site and step: usable accelerators, compute and array power, battery and radiator means;
    for sites also the step's energy cost in USD and emissions in kgCO2e, which are null for shells)."""
    labels = [c.name for c in shells] + [g.spec.name for g in sites]

    def node_parts():
        for c in shells:
            t = c.tracks
            n = t.gpu_hours.shape[0]
            m = c.members
            yield {
                "group": c.name,
                "node": np.arange(n, dtype=np.int64),
                "kind": np.full(n, 0, dtype=np.int8),
                "satellites": np.full(n, m, dtype=np.int32),
                "accelerators": np.full(n, c.spec.payload.count * m, dtype=np.int64),
                "gpu_hours": t.gpu_hours * m,
                "compute_energy_kwh": t.delivered_compute_wh * m / 1e3,
                "harvested_energy_kwh": t.harvested_wh * m / 1e3,
                "throttled_eclipse_s": t.throttled_eclipse_s,
                "throttled_array_s": t.throttled_array_s,
                "throttled_heat_s": t.throttled_heat_s,
                "radiator_peak_k": t.radiator_peak_k,
                "radiator_mean_k": t.radiator_mean_k,
                "battery_min_soc": t.battery_min_soc,
                "dose_rad_per_year": np.full(n, c.dose_rate_rad_s * SECONDS_PER_YEAR),
                "sgp4_failed_s": np.full(n, np.nan) if c.failed_s is None else np.asarray(c.failed_s, dtype=np.float64),
            }
        for g in sites:
            tot = g.totals()
            yield {
                "group": g.spec.name,
                "node": np.zeros(1, dtype=np.int64),
                "kind": np.ones(1, dtype=np.int8),
                "satellites": np.zeros(1, dtype=np.int32),
                "accelerators": np.array([g.spec.accelerators], dtype=np.int64),
                "gpu_hours": np.array([tot["gpu_hours_deliverable"]]),
                "compute_energy_kwh": np.array([tot["it_energy_kwh"]]),
                "harvested_energy_kwh": np.array([np.nan]),
                "throttled_eclipse_s": np.zeros(1),
                "throttled_array_s": np.zeros(1),
                "throttled_heat_s": np.zeros(1),
                "radiator_peak_k": np.array([np.nan]),
                "radiator_mean_k": np.array([np.nan]),
                "battery_min_soc": np.array([np.nan]),
                "dose_rad_per_year": np.zeros(1),
                "sgp4_failed_s": np.full(1, np.nan),
            }

    def step_parts():
        for c in shells:
            t = c.tracks
            k = t.step_usable_gpus.shape[0]
            yield {
                "group": c.name,
                "t_s": np.arange(k) * c.step_s,
                "usable_accelerators": t.step_usable_gpus * c.members,
                "compute_power_w": t.step_compute_w * c.members,
                "array_power_w": t.step_array_w * c.members,
                "battery_soc_mean": t.step_soc_mean,
                "radiator_mean_k": t.step_radiator_mean_k,
                "energy_cost_usd": np.full(k, np.nan),
                "carbon_kg": np.full(k, np.nan),
            }
        for g in sites:
            k = g.usable_accelerators.shape[0]
            yield {
                "group": g.spec.name,
                "t_s": np.arange(k) * g.step_s,
                "usable_accelerators": g.usable_accelerators.astype(np.float64),
                "compute_power_w": g.it_power_w,
                "array_power_w": np.full(k, np.nan),
                "battery_soc_mean": np.full(k, np.nan),
                "radiator_mean_k": np.full(k, np.nan),
                "energy_cost_usd": g.energy_cost_usd,
                "carbon_kg": g.carbon_kg,
            }

    writer.table_stream("nodes.parquet", node_parts(), labels={"group": labels})
    writer.table_stream("timeseries.parquet", step_parts(), labels={"group": labels})
