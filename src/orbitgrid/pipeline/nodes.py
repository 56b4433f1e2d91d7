"""Physics -> schedulable nodes: per-node capacity timelines and fault rates from the shells' and sites' physics.

Nodes (ARCHITECTURE.md §2): each satellite of a Walker, sun-synchronous or element shell is one node; each
formation cluster is one node (its satellites share illumination, capacities add); each ground site contributes one
node per accelerator model it houses, or, when its GPUs come from a node list, one node per machine with that
machine's GPUs, CPU and memory (placement dimensions for the scheduler; a grid cap powers whole machines down).

Fault rates per accelerator (FAULT_CAUSES: sdc, interrupt, permanent):

- the ground baseline from Llama 3's 54-day snapshot (``spacecraft.radiation.ground_failure_rates_per_gpu_hour``):
  silent data corruption -> ``sdc``; faulty GPU -> ``permanent`` (the hardware-replacement candidate); every other
  unexpected interruption -> ``interrupt``;
- in orbit, the radiation upsets from the shell's orbit-averaged dose behind its shielding (Suncatcher's dose per
  event): SDC -> ``sdc``; HBM uncorrectable errors and chip/host SEFIs -> ``interrupt``;
- galactic cosmic rays add their orbit-averaged upsets (``spacecraft.cosmic_rays``: nuclei above the local cutoff,
  each counted as one 67 MeV proton against the same cross-sections);
- along each track, the trapped part is modulated by the local >10 MeV trapped-proton flux (AP8) relative to its
  mean over the track, so the South Atlantic Anomaly shows in time, the GCR part by the local GCR flux relative to
  its mean (high at high magnetic latitudes), and a solar particle event of the scenario adds its dose-rate upsets
  while it lasts: the node's ``rate_scale[k]`` is
  ``(ground + trapped x f_k + gcr x g_k + spe_k) / (ground + trapped + gcr)``, with SDC and interrupts sharing one
  scale computed from their sum (the engine modulates both causes by it; permanent failures are not modulated).

Fabric bandwidth per accelerator: 400 Gb/s (Llama 3's RoCE/InfiniBand per GPU, docs/sources.md §6) inside a satellite
and in a ground site; in a formation cluster, one 9.6 Tb/s DWDM aperture link per satellite (Suncatcher §4.2,
docs/sources.md §3) shared by its accelerators. Speed is the accelerator's dense BF16 rate relative to the H100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.frames import ecef_to_geodetic, teme_to_ecef
from orbitgrid.astro.j2 import positions_teme_m
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.ground import GroundSiteCapacity
from orbitgrid.fleet.kernel import simulate_survey_tracks_fast, survey_life_steps
from orbitgrid.fleet.maintenance import RECOVERY_S, Maintenance
from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.network.budget import isl_capacity_bps
from orbitgrid.pipeline.capacity import (
    ShellCapacity,
    _track_altitude_m,
    design_spec,
    proton_solar,
    shell_array_incidence,
    step_sun_distance_m,
)
from orbitgrid.pipeline.orbit import ShellSurvey
from orbitgrid.scenario import Scenario
from orbitgrid.scenario.catalog import gpu_models
from orbitgrid.scenario.sections.nodes import GpuNodeList
from orbitgrid.scheduling.pools import neighbour_distance_m, pool_bounds, pool_usable_gpus, span_fabric_bytes_s
from orbitgrid.spacecraft.cosmic_rays import (
    SOLAR_EVENTS,
    gcr_nuclei_flux_cm2_s,
    gcr_upset_rates_per_s,
    spe_dose_rate_rad_s,
)
from orbitgrid.spacecraft.radiation import ground_failure_rates_per_gpu_hour, trapped_flux, upset_rates_per_s

REFERENCE_GPU = "H100"
GROUND_FABRIC_BYTES_S = 400e9 / 8.0
CLUSTER_LINK_BYTES_S = 9.6e12 / 8.0


def ground_rates_per_gpu_s() -> np.ndarray:
    """(sdc, interrupt, permanent) per GPU-second from the Llama 3 snapshot."""
    r = ground_failure_rates_per_gpu_hour()
    sdc = r["silent_data_corruption"]
    permanent = r["faulty_gpu"]
    interrupt = sum(r.values()) - sdc - permanent
    return np.array([sdc, interrupt, permanent]) / 3600.0


def radiation_rates_per_gpu_s(dose_rate_rad_s: float) -> np.ndarray:
    """(sdc, interrupt, 0) per chip-second from the orbit-averaged dose rate (Suncatcher dose per event)."""
    r = upset_rates_per_s(dose_rate_rad_s)
    interrupt = r["hbm_uncorrectable"] + r["sefi"] + r["host_cpu_sefi"] + r["host_ram_sefi"]
    return np.array([float(r["sdc"]), float(interrupt), 0.0])


def _speed(model: str) -> float:
    g = gpu_models()
    return g[model].bf16_dense_flops / g[REFERENCE_GPU].bf16_dense_flops


def _step_midpoints(grid: TimeGrid) -> np.ndarray:
    return (np.arange(grid.n_steps) + 0.5) * grid.step_s


def gcr_rates_per_gpu_s(nuclei_flux_cm2_s: float) -> np.ndarray:
    """(sdc, interrupt, 0) per chip-second from a galactic cosmic-ray nuclei flux (``spacecraft.cosmic_rays``)."""
    r = gcr_upset_rates_per_s(nuclei_flux_cm2_s)
    interrupt = r["hbm_uncorrectable"] + r["sefi"] + r["host_cpu_sefi"] + r["host_ram_sefi"]
    return np.array([float(r["sdc"]), float(interrupt), 0.0])


@dataclass(frozen=True)
class RadiationProfiles:
    """Per track and step (at each step's midpoint): the > 10 MeV trapped-proton flux and the GCR nuclei flux, each
    relative to its track mean, and the solar-particle-event dose rate behind the shield (rad/s, 0 outside the
    event, weighted by the part of the step the event covers)."""

    trapped: np.ndarray
    gcr: np.ndarray
    spe_rad_s: np.ndarray


def _relative(f: np.ndarray, flying: np.ndarray) -> np.ndarray:
    """``f`` over its mean along each track's flown steps; 1 where the track did not fly or the mean is zero."""
    n = np.maximum(flying.sum(axis=1, keepdims=True), 1)
    mean = np.where(flying, f, 0.0).sum(axis=1, keepdims=True) / n
    return np.where(flying & (mean > 0), f / np.where(mean > 0, mean, 1.0), 1.0)


def spe_step_overlap(scenario: Scenario) -> np.ndarray:
    """Fraction of each step of the scenario's grid that its solar particle event covers (zeros without one)."""
    grid = scenario.time_grid()
    spe = scenario.environment.solar_particle_event
    if spe is None:
        return np.zeros(grid.n_steps)
    t0 = (spe.start - scenario.epoch).total_seconds()
    lo = np.arange(grid.n_steps) * grid.step_s
    covered = np.clip(np.minimum(lo + grid.step_s, t0 + spe.duration) - np.maximum(lo, t0), 0.0, None)
    return covered / grid.step_s


def track_geodetic(
    s: ShellSurvey, idx: np.ndarray, t_s: np.ndarray, grid: TimeGrid
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic latitude, longitude (rad) and height (m) of tracks ``idx`` of a shell at ``t_s`` (seconds after the
    scenario epoch), each ``(len(idx), len(t_s))``: the J2 secular model for designed shells, SGP4 for element sets;
    NaN once SGP4 has lost a satellite (it has no position, and no capacity, from then on)."""
    jd, fr = grid.jd_utc(t_s)
    if s.orbits.circular is not None:
        c = s.orbits.circular.subset(idx)
        r = positions_teme_m(c.semi_major_axis_m, c.inclination_rad, c.raan_rad, c.arg_latitude_rad, t_s)
        assert isinstance(r, np.ndarray)
    else:
        from orbitgrid.astro.sgp4_adapter import propagate_teme

        assert s.orbits.elements is not None
        r, _, _ = propagate_teme(s.orbits.elements.subset(idx), jd, fr)
        r = np.where((t_s[None, :] < s.survey.end_s[idx, None])[..., None], r, np.nan)
    lat, lon, h = ecef_to_geodetic(teme_to_ecef(r, jd, fr))
    return np.asarray(lat), np.asarray(lon), np.asarray(h)


def radiation_profiles(
    scenario: Scenario, s: ShellSurvey, shielding_mm_al: float, tracks: np.ndarray | None = None
) -> RadiationProfiles:
    """:class:`RadiationProfiles` of every track of ``s`` (or of ``tracks``, in that order) on the scenario's grid."""
    grid = scenario.time_grid()
    env = scenario.environment
    species = f"proton_10MeV_{proton_solar(scenario)}"
    spe_on = spe_step_overlap(scenario)
    t = _step_midpoints(grid)
    which = np.arange(s.orbits.tracks) if tracks is None else np.asarray(tracks, dtype=np.int64)
    n = which.size
    trapped, gcr, spe = np.ones((n, grid.n_steps)), np.ones((n, grid.n_steps)), np.zeros((n, grid.n_steps))
    chunk = max(1, 2_000_000 // max(grid.n_steps, 1))
    for lo in range(0, n, chunk):
        rows = np.arange(lo, min(lo + chunk, n))
        idx = which[rows]
        lat, lon, h = track_geodetic(s, idx, t, grid)
        flying = np.isfinite(h)  # where SGP4 lost a satellite its position is NaN: profiles are 1 there
        lat, lon, h = (np.where(flying, x, 0.0) for x in (lat, lon, h))
        trapped[rows] = _relative(np.nan_to_num(trapped_flux(lat, lon, h, species), nan=0.0), flying)
        gcr[rows] = _relative(np.nan_to_num(gcr_nuclei_flux_cm2_s(lat, lon, h, env.phi_mv), nan=0.0), flying)
        spec = env.solar_particle_event
        if spec is not None:
            on = spe_on > 0.0
            d = spe_dose_rate_rad_s(
                SOLAR_EVENTS[spec.event], spec.duration, lat[:, on], lon[:, on], h[:, on], shielding_mm_al
            )
            d = np.where(flying[:, on], np.nan_to_num(d, nan=0.0), 0.0)
            spe[np.ix_(rows, np.flatnonzero(on))] = d * spe_on[on]
    return RadiationProfiles(trapped, gcr, spe)


#: Plane pools: members per plane whose radiation profiles are averaged for the pool's fault-rate modulation, evenly
#: spaced around the plane. Each member's profile averages 1 over the run, so the pool's fault count is exact
#: whatever the sample; its timing is not: against all 96 members of a 550 km / 53 deg plane over 3 h, 32 samples
#: are off by 7 % per step on average (57 % at worst, at the SAA's edges), 8 samples by 67 % (tests/pipeline/
#: test_plane_pools.py; docs/models.md, "Node pools").
POOL_PROFILE_SAMPLES = 32


def pooled(scenario: Scenario, s: ShellSurvey) -> bool:
    """Whether the scheduler places work on ``s`` by orbital plane (``policy.node_pools: plane``, a Walker or
    sun-synchronous shell) rather than by satellite."""
    return scenario.policy.node_pools == "plane" and s.orbits.circular is not None and s.orbits.kind != "formation"


def pool_of_track(scenario: Scenario, s: ShellSurvey) -> np.ndarray | None:
    """Each track's pool (its orbital plane, numbered 0, 1, ... in track order) when ``s`` is pooled, else None."""
    if not pooled(scenario, s):
        return None
    assert s.orbits.circular is not None
    plane = np.asarray(s.orbits.circular.plane, dtype=np.int64)
    starts = np.r_[True, plane[1:] != plane[:-1]] if plane.size else np.zeros(0, bool)
    return np.cumsum(starts) - 1


def schedulable_nodes(scenario: Scenario) -> int:
    """Nodes the scheduler would see: a node per satellite, formation cluster or plane pool, per ground site and
    accelerator model, and per machine of a site given by a node list (from the scenario alone)."""
    from orbitgrid.scenario import FormationOrbit, SunSynchronousOrbit, WalkerOrbit

    n = sum(
        len(g.gpus.nodes.gpus) if isinstance(g.gpus, GpuNodeList) else len(g.gpu_counts) for g in scenario.ground_sites
    )
    for sh in scenario.shells:
        o = sh.orbit
        if isinstance(o, FormationOrbit):
            n += o.clusters
        elif isinstance(o, WalkerOrbit | SunSynchronousOrbit):
            n += o.planes if scenario.policy.node_pools == "plane" else o.n_satellites
        else:
            n += o.n_satellites
    return n


@dataclass(frozen=True)
class NodeBuild:
    """The fleet timeline and, per node, the shell/site index it came from and its first track."""

    timeline: FleetTimeline
    satellites_per_node: np.ndarray


def _add_machines(
    nodelist: GpuNodeList,
    c: GroundSiteCapacity,
    crew: int,
    price: float,
    site: object,
    cols: dict[str, list],
    usable_parts: list[np.ndarray],
    scale_parts: list[np.ndarray],
    sats: list[np.ndarray],
    maint: dict[str, list],
    ground: np.ndarray,
) -> None:
    """A ground site given by a node list: one node per machine (its GPUs, catalog model, CPU and memory), named
    ``site/machine``. When the grid caps the site below its GPUs, whole machines are left idle, the last of the list
    first (a site sheds load by powering machines down, not by idling a GPU on each)."""
    machines = nodelist.nodes
    g = machines.gpus.astype(np.int64)
    n = int(g.size)
    power = {p.model: p.power_per_accelerator_w for p in c.spec.payloads}
    before = np.cumsum(g) - g
    usable = np.clip(c.usable_accelerators[None, :].astype(np.int64) - before[:, None], 0, g[:, None])
    usable_parts.append(usable.astype(np.int32))
    scale_parts.append(np.ones(usable.shape, dtype=np.float32))
    models = [str(m) for m in machines.model.tolist()]
    cols["name"] += [f"{c.spec.name}/{m}" for m in machines.node.tolist()]
    cols["kind"] += [NodeKind.GROUND] * n
    cols["group"] += [c.spec.name] * n
    cols["gpu_model"] += models
    cols["gpus"] += g.tolist()
    cols["speed"] += [_speed(m) for m in models]
    cols["fabric_bytes_s"] += [GROUND_FABRIC_BYTES_S] * n
    cols["member_gpus"] += g.tolist()
    cols["span_fabric_bytes_s"] += [GROUND_FABRIC_BYTES_S] * n
    cols["power_per_gpu_w"] += [power[m] for m in models]
    cols["base_rate_per_gpu_s"] += [ground] * n
    cols["recovery_s"] += [RECOVERY_S] * n
    cols["lat_deg"] += [c.spec.lat_deg] * n
    cols["lon_deg"] += [c.spec.lon_deg] * n
    cols["altitude_m"] += [0.0] * n
    cols["energy_price_usd_per_kwh"] += [price] * n
    cols["cpu_milli"] += machines.cpu_milli.astype(np.int64).tolist()
    cols["memory_mib"] += machines.memory_mib.astype(np.float64).tolist()
    sats.append(np.zeros(n, dtype=np.int64))
    repair = getattr(site, "repair_time", None)
    maint["repair_s"] += [np.inf if repair is None else repair] * n
    maint["crew"] += [crew] * n  # the site's machines share its technicians
    maint["technicians"] += [getattr(site, "technicians", None) or 0] * n
    maint["members"] += [1] * n
    maint["spares"] += [0] * n
    maint["switchover_s"] += [0.0] * n


def build_fleet_timeline(
    scenario: Scenario,
    surveys: list[ShellSurvey],
    shells: list[ShellCapacity],
    sites: list[GroundSiteCapacity],
) -> NodeBuild:
    """Every node's usable accelerators per step, fault rates and static facts (see the module docstring); the shells'
    capacities must carry their track timelines (``shell_capacity(..., track_usable=True)``)."""
    grid = scenario.time_grid()
    ground = ground_rates_per_gpu_s()
    cols: dict[str, list] = {k: [] for k in NodeTable.__dataclass_fields__}
    usable_parts: list[np.ndarray] = []
    scale_parts: list[np.ndarray] = []
    sats: list[np.ndarray] = []
    maint: dict[str, list] = {k: [] for k in ("repair_s", "crew", "technicians", "members", "spares", "switchover_s")}
    shell_specs = {sh.name: sh for sh in scenario.shells}
    site_specs = {g.name: g for g in scenario.ground_sites}
    for s, cap in zip(surveys, shells, strict=True):
        if cap.pools is not None:
            _add_pools(scenario, s, cap, cols, usable_parts, scale_parts, sats, maint, ground)
            continue
        n = s.orbits.tracks
        members = s.orbits.members
        spec = cap.spec
        alt = _track_altitude_m(s)
        if cap.tracks.track_usable_gpus is None:
            raise ValueError(f"shell {cap.name!r}: build its capacity with shell_capacity(..., track_usable=True)")
        usable = cap.tracks.track_usable_gpus.astype(np.int32) * members
        rad = radiation_rates_per_gpu_s(cap.dose_rate_rad_s)
        cosmic = gcr_rates_per_gpu_s(cap.gcr_flux_cm2_s)
        base = ground + rad + cosmic
        prof = radiation_profiles(scenario, s, spec.shielding_mm_al)
        g_si, r_si, c_si = ground[0] + ground[1], rad[0] + rad[1], cosmic[0] + cosmic[1]
        spe_si = radiation_rates_per_gpu_s(1.0)[:2].sum() * prof.spe_rad_s  # upsets scale with the event's dose
        scale_sdc = (g_si + r_si * prof.trapped + c_si * prof.gcr + spe_si) / (g_si + r_si + c_si)
        usable_parts.append(usable)
        scale_parts.append(scale_sdc.astype(np.float32))
        model = spec.payload.model
        gpus = spec.payload.count * members
        kind = "cluster" if s.orbits.kind == "formation" else "sat"
        cols["name"] += [f"{s.orbits.name}/{kind}-{i}" for i in range(n)]
        cols["kind"] += [NodeKind.ORBITAL] * n
        cols["group"] += [s.orbits.name] * n
        cols["gpu_model"] += [model] * n
        cols["gpus"] += [gpus] * n
        cols["speed"] += [_speed(model)] * n
        fabric = CLUSTER_LINK_BYTES_S / spec.payload.count if members > 1 else GROUND_FABRIC_BYTES_S
        cols["fabric_bytes_s"] += [fabric] * n
        cols["member_gpus"] += [gpus] * n  # a gang never leaves the satellite or cluster
        cols["span_fabric_bytes_s"] += [fabric] * n
        cols["power_per_gpu_w"] += [spec.payload.power_per_accelerator_w] * n
        cols["base_rate_per_gpu_s"] += [base] * n
        cols["recovery_s"] += [RECOVERY_S] * n
        cols["lat_deg"] += [np.nan] * n
        cols["lon_deg"] += [np.nan] * n
        cols["altitude_m"] += list(np.broadcast_to(alt, (n,)).astype(float))
        cols["energy_price_usd_per_kwh"] += [0.0] * n
        cols["cpu_milli"] += [0] * n  # satellites: host CPU and memory not modelled for placement
        cols["memory_mib"] += [0.0] * n
        sats.append(np.full(n, members))
        payload = scenario.design_for(shell_specs[s.orbits.name]).payload
        maint["repair_s"] += [np.inf] * n
        maint["crew"] += [-1] * n
        maint["technicians"] += [0] * n
        maint["members"] += [members] * n
        maint["spares"] += [payload.spares] * n
        maint["switchover_s"] += [payload.spare_switchover] * n
    for crew, c in enumerate(sites):
        site = site_specs[c.spec.name]
        total = max(c.spec.accelerators, 1)
        price = float(np.mean(c.spec.price_per_step(grid.n_steps))) * c.spec.pue
        if isinstance(site.gpus, GpuNodeList):  # a node list: one node per machine, with its CPU and memory
            _add_machines(site.gpus, c, crew, price, site, cols, usable_parts, scale_parts, sats, maint, ground)
            continue
        for p in c.spec.payloads:
            share = np.minimum(p.count, np.floor(c.usable_accelerators * p.count / total + 1e-9)).astype(np.int32)
            usable_parts.append(share[None, :])
            scale_parts.append(np.ones((1, grid.n_steps), dtype=np.float32))
            cols["name"].append(f"{c.spec.name}/{p.model}")
            cols["kind"].append(NodeKind.GROUND)
            cols["group"].append(c.spec.name)
            cols["gpu_model"].append(p.model)
            cols["gpus"].append(p.count)
            cols["speed"].append(_speed(p.model))
            cols["fabric_bytes_s"].append(GROUND_FABRIC_BYTES_S)
            cols["member_gpus"].append(p.count)
            cols["span_fabric_bytes_s"].append(GROUND_FABRIC_BYTES_S)
            cols["power_per_gpu_w"].append(p.power_per_accelerator_w)
            cols["base_rate_per_gpu_s"].append(ground)
            cols["recovery_s"].append(RECOVERY_S)
            cols["lat_deg"].append(c.spec.lat_deg)
            cols["lon_deg"].append(c.spec.lon_deg)
            cols["altitude_m"].append(0.0)
            cols["energy_price_usd_per_kwh"].append(price)
            cols["cpu_milli"].append(0)  # a site pools its machines: per-machine CPU and memory not modelled
            cols["memory_mib"].append(0.0)
            sats.append(np.zeros(1, dtype=np.int64))
            maint["repair_s"].append(np.inf if site.repair_time is None else site.repair_time)
            maint["crew"].append(crew)  # the site's GPU models share its technicians
            maint["technicians"].append(site.technicians or 0)
            maint["members"].append(1)
            maint["spares"].append(0)
            maint["switchover_s"].append(0.0)
    dtypes = {
        "name": object,
        "kind": np.int8,
        "group": object,
        "gpu_model": object,
        "gpus": np.int32,
        "member_gpus": np.int32,
        "base_rate_per_gpu_s": np.float64,
        "cpu_milli": np.int64,
    }
    if not any(c.pools is not None for c in shells):  # no node pools a satellite: the table as before pools
        del cols["member_gpus"], cols["span_fabric_bytes_s"]
    table = NodeTable(
        **{
            k: (
                np.array(v, dtype=dtypes.get(k, np.float64)).reshape(-1, 3)
                if k == "base_rate_per_gpu_s"
                else np.array(v, dtype=dtypes.get(k, np.float64))
            )
            for k, v in cols.items()
        }
    )
    usable_all = np.concatenate(usable_parts) if usable_parts else np.zeros((0, grid.n_steps), np.int32)
    scale_all = np.concatenate(scale_parts) if scale_parts else None
    maintenance = Maintenance(
        repair_s=np.array(maint["repair_s"], dtype=np.float64),
        crew=np.array(maint["crew"], dtype=np.int64),
        technicians=np.array(maint["technicians"], dtype=np.int64),
        members=np.array(maint["members"], dtype=np.int64),
        spares_per_member=np.array(maint["spares"], dtype=np.int64),
        switchover_s=np.array(maint["switchover_s"], dtype=np.float64),
    )
    timeline = FleetTimeline(table, grid.step_s, usable_all, scale_all, maintenance=maintenance)
    return NodeBuild(timeline, np.concatenate(sats) if sats else np.zeros(0, np.int64))


def _add_pools(
    scenario: Scenario,
    s: ShellSurvey,
    cap: ShellCapacity,
    cols: dict[str, list],
    usable_parts: list[np.ndarray],
    scale_parts: list[np.ndarray],
    sats: list[np.ndarray],
    maint: dict[str, list],
    ground: np.ndarray,
) -> None:
    """The nodes of a shell scheduled by orbital plane (``scheduling.pools``): one per plane, its usable
    accelerators the members' sum less the handoffs, its fault-rate modulation the mean over a sample of members."""
    from orbitgrid.pipeline.network import isl_terminal
    from orbitgrid.scenario.models import IslTerminalSpec

    pools = cap.pools
    assert pools is not None and s.orbits.circular is not None
    grid = scenario.time_grid()
    spec = cap.spec
    count = spec.payload.count
    n_pools = pools.n_pools
    members = pools.members.astype(np.int64)
    gpus = members * count
    usable_parts.append(pool_usable_gpus(pools, scenario.policy.handoff, grid.step_s, gpus))
    bounds = pool_bounds(pools.pool_of_track)
    rad = radiation_rates_per_gpu_s(cap.dose_rate_rad_s)
    cosmic = gcr_rates_per_gpu_s(cap.gcr_flux_cm2_s)
    g_si, r_si, c_si = ground[0] + ground[1], rad[0] + rad[1], cosmic[0] + cosmic[1]
    # the sampled members of each plane, evenly spread around it
    picks = [
        bounds[p] + np.unique(np.linspace(0, members[p] - 1, min(POOL_PROFILE_SAMPLES, members[p])).astype(np.int64))
        for p in range(n_pools)
    ]
    sample = np.concatenate(picks) if picks else np.zeros(0, np.int64)
    prof = radiation_profiles(scenario, s, spec.shielding_mm_al, tracks=sample)
    spe_si = radiation_rates_per_gpu_s(1.0)[:2].sum() * prof.spe_rad_s
    scale = (g_si + r_si * prof.trapped + c_si * prof.gcr + spe_si) / (g_si + r_si + c_si)
    owner = np.repeat(np.arange(n_pools), [p.size for p in picks])
    per_pool = np.zeros((n_pools, grid.n_steps))
    np.add.at(per_pool, owner, scale)
    scale_parts.append((per_pool / np.maximum(np.bincount(owner, minlength=n_pools), 1)[:, None]).astype(np.float32))
    # gangs larger than one satellite span neighbours over the in-plane laser links (the scenario's default terminal)
    a = s.orbits.circular.semi_major_axis_m
    per_plane = int(np.max(members, initial=1))
    distance = neighbour_distance_m(float(np.mean(a)), per_plane)
    span = span_fabric_bytes_s(isl_capacity_bps(np.atleast_1d(distance), isl_terminal(IslTerminalSpec()))[0], count,
                               GROUND_FABRIC_BYTES_S)  # fmt: skip
    alt = np.broadcast_to(_track_altitude_m(s), (s.orbits.tracks,))
    model = spec.payload.model
    payload = scenario.design_for(next(sh for sh in scenario.shells if sh.name == s.orbits.name)).payload
    cols["name"] += [f"{s.orbits.name}/plane-{p}" for p in range(n_pools)]
    cols["kind"] += [NodeKind.ORBITAL] * n_pools
    cols["group"] += [s.orbits.name] * n_pools
    cols["gpu_model"] += [model] * n_pools
    cols["gpus"] += gpus.tolist()
    cols["speed"] += [_speed(model)] * n_pools
    cols["fabric_bytes_s"] += [GROUND_FABRIC_BYTES_S] * n_pools
    cols["member_gpus"] += [count] * n_pools
    cols["span_fabric_bytes_s"] += [float(span)] * n_pools
    cols["power_per_gpu_w"] += [spec.payload.power_per_accelerator_w] * n_pools
    cols["base_rate_per_gpu_s"] += [ground + rad + cosmic] * n_pools
    cols["recovery_s"] += [RECOVERY_S] * n_pools
    cols["lat_deg"] += [np.nan] * n_pools
    cols["lon_deg"] += [np.nan] * n_pools
    cols["altitude_m"] += [float(np.mean(alt[bounds[p] : bounds[p + 1]])) for p in range(n_pools)]
    cols["energy_price_usd_per_kwh"] += [0.0] * n_pools
    cols["cpu_milli"] += [0] * n_pools  # host CPU and memory not modelled for placement, as for satellites
    cols["memory_mib"] += [0.0] * n_pools
    sats.append(members * s.orbits.members)
    maint["repair_s"] += [np.inf] * n_pools
    maint["crew"] += [-1] * n_pools
    maint["technicians"] += [0] * n_pools
    maint["members"] += members.tolist()
    maint["spares"] += [payload.spares] * n_pools
    maint["switchover_s"] += [payload.spare_switchover] * n_pools


def track_state(
    scenario: Scenario, s: ShellSurvey, i: int, sun_distance: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Step-by-step state of track ``i`` of a shell from the capacity kernel run on that track alone: sunlit
    fraction of the step, mean battery state of charge, mean radiator temperature (K) and usable accelerators (all
    members of a formation cluster); NaN (0 accelerators) from the step a lost satellite was lost in."""
    from orbitgrid.fleet.illumination import step_lit_fraction

    grid = scenario.time_grid()
    if sun_distance is None:
        sun_distance = step_sun_distance_m(grid)
    design = scenario.design(next(sh.design for sh in scenario.shells if sh.name == s.orbits.name))
    spec = design_spec(design)
    alt = _track_altitude_m(s)
    n = s.orbits.tracks
    incidence = shell_array_incidence(spec, s, grid)
    lit = step_lit_fraction(s.survey, grid.step_s, grid.n_steps, slice(i, i + 1))
    flown = int(survey_life_steps(s.survey, grid.step_s, grid.n_steps, slice(i, i + 1))[0])
    lit[0, flown:] = np.nan  # a satellite lost (SGP4 failure, re-entry) has no sunlight to report after it
    a = float(np.broadcast_to(alt, (n,))[i])
    tc = simulate_survey_tracks_fast(
        spec,
        s.survey,
        grid.n_steps,
        sun_distance,
        np.array([a]),
        grid.step_s,
        tracks=slice(i, i + 1),
        incidence=incidence,
    )
    return {
        "lit_fraction": lit[0],
        "battery_soc": tc.step_soc_mean,
        "radiator_k": tc.step_radiator_mean_k,
        "usable_gpus": tc.step_usable_gpus * s.orbits.members,
    }


def sample_columns(scenario: Scenario, surveys: list[ShellSurvey], per_shell: int = 2) -> dict[str, np.ndarray]:
    """Step-by-step state of a few satellites per shell (sunlit fraction, battery, radiator, usable accelerators),
    from the capacity kernel run on one track at a time (the report's "sample satellites"), and where each one is
    at the start of each step (sub-satellite point ``lat_deg``, ``lon_deg`` and height ``alt_km`` above the WGS84
    ellipsoid, :func:`track_geodetic`; NaN once a satellite is lost): the report's ground tracks."""
    grid = scenario.time_grid()
    sun_distance = step_sun_distance_m(grid)
    t = np.arange(grid.n_steps) * grid.step_s
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("t_s", "lit_fraction", "battery_soc", "radiator_k")}
    parts["usable_gpus"] = []
    for k in ("lat_deg", "lon_deg", "alt_km"):
        parts[k] = []
    names: list[str] = []
    shells: list[str] = []
    for s in surveys:
        n = s.orbits.tracks
        for i in np.unique(np.linspace(0, n - 1, min(per_shell, n)).astype(np.int64)).tolist():
            state = track_state(scenario, s, i, sun_distance)
            parts["t_s"].append(t)
            for k in ("lit_fraction", "battery_soc", "radiator_k", "usable_gpus"):
                parts[k].append(state[k])
            lat, lon, h = (x[0] for x in track_geodetic(s, np.array([i]), t, grid))
            parts["lat_deg"].append(np.degrees(lat))
            parts["lon_deg"].append(np.degrees(lon))
            parts["alt_km"].append(h / 1e3)
            names += [f"{s.orbits.name}/{i}"] * grid.n_steps
            shells += [s.orbits.name] * grid.n_steps
    out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
    out["satellite"] = np.array(names, dtype=object).astype(str)
    out["shell"] = np.array(shells, dtype=object).astype(str)
    return out
