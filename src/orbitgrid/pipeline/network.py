"""The network stage of ``simulate``: links, routes and latencies per link step, contacts, and data flows.

This is where a scenario's ``network:`` section meets the fleet (docs/network.md, "Links in a simulation").

Vertices
    The routing graph of a link step has one vertex per propagated track of every shell, in shell order: a
    satellite of a Walker, sun-synchronous or element shell, or a formation cluster (through its reference orbit;
    members sit within ``radius_km`` of it, 3.3 us of light time per km), then the gateways, then the user
    locations. Vertex names are the node names of :mod:`orbitgrid.pipeline.nodes` (``shell/sat-i``,
    ``shell/cluster-i``), which is how a scheduled node finds its vertex (:func:`node_vertices`).

A link step ``l`` (``t_l = l x link_step``, held for ``[t_l, t_l + link_step)``)
    1. Positions: Earth-fixed, from the propagators the contact windows use (J2 secular circular orbits,
       ``network.contacts.circular_states``; SGP4 for element sets). A track whose propagation failed is put at the
       Earth's centre, where it has no link and no view of a gateway.
    2. Links between satellites, per shell (shells do not link to each other): ``topology: auto`` gives Walker
       shells the +Grid (``network.topology.plus_grid_edges``, fixed edges, lengths and line of sight per step)
       and every other shell nearest-neighbour links re-planned every ``neighbour_refresh``
       (``NeighbourTopology``); formation clusters link to each other the same way, each cluster with one
       satellite's terminal count. Capacity of every link: the ``isl`` terminal's budget at its length
       (``budget.isl_capacity_bps``).
    3. The graph (``routing.build_step_graph``): ISLs, a ground link from each gateway to every satellite above the
       elevation mask (capacity from the ``ground_link`` budget at its range and elevation), fibre between gateways
       and from users to gateways with the route factor, and radio links from users to satellites with
       ``users_direct``.
    4. Routes: every vertex's nearest gateway (one multi-source Dijkstra: latency, bottleneck, hops) and the
       latency from every vertex to every user location (one Dijkstra per user).
    5. Formation fabric: the lattice links of a cluster (``fabric_links``) at the members' separations at ``t_l``
       (bounded Hill-Clohessy-Wiltshire motion, the same for every cluster of a shell), capacity from the
       ``fabric`` terminal's budget.

What the scheduler gets (:class:`orbitgrid.fleet.nodes.LinkTimeline`)
    Per node and link step: latency and bottleneck bandwidth of its vertex's path to the nearest gateway and its
    latency to each user location. A ground site is its own gateway: latency 0, bandwidth ``inf``, and fibre to
    each user (great circle x route factor x group index / c). Formation cluster nodes get ``fabric_bytes_s`` from
    the fabric budget: the slowest fabric link over the run, per accelerator of a satellite (a ring all-reduce
    through the lattice moves each satellite's share over one link each way; with Suncatcher's terminal at
    100-200 m that is the full 9.6 Tb/s).

Contact windows (``network.contacts.contact_windows``) of every vertex over the gateways for the whole run, with
bytes per pass from the ground-link budget; at most ``MAX_CONTACT_PAIRS`` satellite-station pairs are searched (an
evenly spaced sample of satellites beyond that).

Flows after the engine (:func:`simulate_data_flows`)
    * dataset upload (``dataset_bytes``) at each placement on an orbital node that does not hold the job's data
      yet (the engine's rule: the data follows the job), from the nearest gateway, starting at the placement;
    * checkpoint downlink (``checkpoint_bytes``) of a training job on an orbital node at each completed write:
      ``start + restore + k (tau + write)`` within the placement, ``tau`` the job's checkpoint interval, restore
      the job's restore time after its first placement plus the dataset upload when there was one;
    * result downlink: a training job that completes in orbit sends its final model (``checkpoint_bytes``) down.

    All run through ``routing.simulate_flows`` on the link steps' graphs (max-min fair sharing of every link
    direction, re-routed at step boundaries). Per-link utilisation is rebuilt from its completion times: between
    consecutive events (arrivals, completions, step boundaries) the active flows' rates are the same max-min fair
    allocation (``routing.max_min_fair_rates`` on the same paths), integrated per link direction and step;
    every flow's integral equals its size (tested), which checks the replay against ``simulate_flows``.

Outputs (:func:`write_network`)
    ``links.parquet`` (per recorded link step: endpoints, kind ``isl``/``ground``/``fabric``, length, capacity,
    bytes moved and utilisation of the busier direction; fabric links carry no flows, their utilisation is
    NaN), ``latency.parquet`` (per recorded link step and node: position and latency to the ground and to each
    user), ``contacts.parquet`` and ``flows.parquet``, and the ``network`` block of ``summary.json``.

Sampling for large fleets (documented in docs/network.md): vertex tables are recorded for at most
``MAX_VERTEX_STEPS`` vertex-steps (evenly spaced link steps; routing runs at every link step when the scheduler
needs the link timeline); ``links.parquet`` keeps at most ``MAX_LINK_ROWS`` rows (an evenly spaced sample of each
recorded step's links beyond that).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.astro import constellations as con
from orbitgrid.astro.frames import ecef_to_geodetic
from orbitgrid.astro.j2 import mean_motion_rad_s
from orbitgrid.fleet.nodes import FleetTimeline, LinkTimeline, NodeKind, NodeTable
from orbitgrid.network import budget as bd
from orbitgrid.network.contacts import ContactWindows, StateFn, circular_states, contact_windows, sgp4_states
from orbitgrid.network.geometry import slant_range_m
from orbitgrid.network.routing import (
    ANY_GATEWAY,
    EdgeKind,
    Flows,
    GatewayRoutes,
    GroundCapacityFn,
    StepGraph,
    build_step_graph,
    fibre_delay_s,
    great_circle_m,
    max_min_fair_rates,
    routes_to_gateways,
    simulate_flows,
    user_latency_s,
)
from orbitgrid.network.stations import Stations
from orbitgrid.network.topology import (
    Links,
    NeighbourTopology,
    evaluate_links,
    formation_edges,
    plus_grid_edges,
    walker_layout,
)
from orbitgrid.pipeline.orbit import ShellSurvey
from orbitgrid.results.run import RunWriter
from orbitgrid.scenario import Scenario
from orbitgrid.scenario.catalog import ground_stations
from orbitgrid.scenario.models import (
    FormationOrbit,
    InferenceServices,
    IslTerminalSpec,
    NetworkSpec,
    OpticalGroundLinkSpec,
    RfGroundLinkSpec,
)

__all__ = [
    "FLOW_KINDS",
    "MAX_CONTACT_PAIRS",
    "MAX_FLOWS",
    "MAX_LINK_ROWS",
    "MAX_VERTEX_STEPS",
    "REFERENCE_ALTITUDE_M",
    "DataFlows",
    "NetworkRun",
    "flow_columns",
    "gateway_stations",
    "ground_link_capacity",
    "isl_terminal",
    "network_summary",
    "node_vertices",
    "optical_ground_link",
    "rf_ground_link",
    "run_network",
    "simulate_data_flows",
    "user_locations",
    "write_network",
]

#: Altitude the derived ground-link defaults refer to: Starlink's first shell (550 km, docs/sources.md §5).
REFERENCE_ALTITUDE_M = 550e3
#: Most vertex x link-step entries recorded for the vertex tables (latency.parquet, the summary's percentiles).
MAX_VERTEX_STEPS = 5_000_000
#: Most rows written to links.parquet.
MAX_LINK_ROWS = 1_500_000
#: Most satellite x station pairs searched for contact windows (the default scenario's 62,000 take 0.6-1.7 s).
MAX_CONTACT_PAIRS = 200_000
#: Vertex x link-step positions propagated at once.
POSITION_BLOCK = 1_000_000
#: Step graphs kept in memory between the link stage and the flows when they hold fewer entries than this.
CACHE_GRAPH_ENTRIES = 5_000_000

_KIND_ISL, _KIND_GROUND, _KIND_FABRIC = "isl", "ground", "fabric"


# ------------------------------------------------------------------------------------------------ link models ---
def isl_terminal(spec: IslTerminalSpec) -> bd.FsoLink:
    """The FSO link of a terminal spec: its preset with the fields it gives replaced (``budget`` presets)."""
    base = bd.suncatcher_link() if spec.preset == "suncatcher" else bd.starlink_laser_link()
    over: dict[str, Any] = {}
    if spec.tx_power_w is not None:
        over["tx_power_w"] = spec.tx_power_w
    if spec.aperture_diameter_m is not None:
        over["tx_diameter_m"] = over["rx_diameter_m"] = spec.aperture_diameter_m
    if spec.aperture_efficiency is not None:
        over["tx_efficiency"] = over["rx_efficiency"] = spec.aperture_efficiency
    if spec.wavelength_nm is not None:
        over["wavelength_m"] = spec.wavelength_nm * 1e-9
    for name in ("other_loss_db", "pointing_loss_db", "photons_per_bit"):
        if getattr(spec, name) is not None:
            over[name] = getattr(spec, name)
    if spec.channels is not None:
        over["n_channels"] = spec.channels
    if spec.channel_rate_gbps is not None:
        over["channel_rate_bps"] = spec.channel_rate_gbps * 1e9
    if spec.rate_cap_gbps is not None:
        over["rate_cap_bps"] = spec.rate_cap_gbps * 1e9
    return dataclasses.replace(base, **over)


def rf_ground_link(spec: RfGroundLinkSpec, elevation_mask_deg: float) -> bd.RfGroundLink:
    """The Ka-band budget of ``spec``; without ``eirp_dbw`` the EIRP is derived so that Shannon's rate reaches the
    spectral-efficiency cap at the mask from ``REFERENCE_ALTITUDE_M`` under the zenith loss:
    ``C/N0 = 10 log10((2^eta - 1) B)`` there, ``EIRP = C/N0 - (C/N0 at 0 dBW)``."""
    freq, bw = spec.frequency_ghz * 1e9, spec.bandwidth_mhz * 1e6
    eta = spec.max_spectral_efficiency_bps_hz
    eirp = spec.eirp_dbw
    if eirp is None:
        mask = math.radians(elevation_mask_deg)
        probe = bd.RfGroundLink(freq, 0.0, spec.g_over_t_db_k, bw, zenith_loss_db=spec.zenith_loss_db)
        rng = slant_range_m(mask, REFERENCE_ALTITUDE_M)
        need = 10.0 * math.log10((2.0**eta - 1.0) * bw)
        eirp = need - float(probe.cn0_dbhz(rng, mask))
    return bd.RfGroundLink(
        freq,
        float(eirp),
        spec.g_over_t_db_k,
        bw,
        zenith_loss_db=spec.zenith_loss_db,
        max_spectral_efficiency_bps_hz=eta,
    )


def optical_ground_link(spec: OpticalGroundLinkSpec) -> bd.OpticalGroundLink:
    """Suncatcher's optical chain to a ground telescope of ``telescope_diameter_m``, capped at ``rate_cap_gbps``."""
    link = dataclasses.replace(
        bd.suncatcher_link(), rx_diameter_m=spec.telescope_diameter_m, rate_cap_bps=spec.rate_cap_gbps * 1e9
    )
    return bd.OpticalGroundLink(link, spec.zenith_loss_db, spec.clear_sky_probability)


def ground_link_capacity(net: NetworkSpec) -> GroundCapacityFn:
    """``capacity(range_m, elevation_rad) -> bit/s`` of the scenario's ground link (optical: the expected rate,
    clear-sky rate x cloud-free probability)."""
    spec = net.ground_link
    if isinstance(spec, RfGroundLinkSpec):
        return rf_ground_link(spec, net.elevation_mask_deg).capacity_bps
    return optical_ground_link(spec).expected_capacity_bps


# ---------------------------------------------------------------------------------------- gateways and users ---
def gateway_stations(scenario: Scenario) -> Stations:
    """The gateways: named catalog stations (a bare name takes every provider's station of that name), every
    station of the named providers, then one beside each ground site; masks from ``elevation_mask_deg``."""
    net = scenario.network
    assert net is not None
    cat = ground_stations()
    rows: dict[str, tuple[float, float]] = {}
    for entry in net.gateways.stations:
        for g in cat:
            label = f"{g.provider}/{g.name}"
            if entry in (g.name, label):
                rows.setdefault(label, (g.lat_deg, g.lon_deg))
    for provider in net.gateways.providers:
        for g in cat:
            if g.provider == provider:
                rows.setdefault(f"{g.provider}/{g.name}", (g.lat_deg, g.lon_deg))
    if net.gateways.beside_ground_sites:
        for site in scenario.ground_sites:
            rows.setdefault(site.name, (site.lat_deg, site.lon_deg))
    names = list(rows)
    return Stations.from_degrees(
        names,
        [rows[n][0] for n in names],
        [rows[n][1] for n in names],
        0.0,
        net.elevation_mask_deg,
    )


def user_locations(scenario: Scenario) -> list[tuple[str, float, float]]:
    """Where the scenario's inference requests come from, as ``pipeline.schedule.build_workload`` assigns them
    (each service's users, else beside every ground site, else (0, 0)); named after a ground site at the same
    place, else by their coordinates."""
    sites = [(g.name, g.lat_deg, g.lon_deg) for g in scenario.ground_sites]
    default = [(lat, lon) for _, lat, lon in sites] or [(0.0, 0.0)]
    coords: list[tuple[float, float]] = []
    for w in scenario.workloads:
        if isinstance(w, InferenceServices):
            for c in [(u.lat_deg, u.lon_deg) for u in w.users] or default:
                if c not in coords:
                    coords.append(c)
    out = []
    for lat, lon in coords:
        name = next((n for n, a, b in sites if a == lat and b == lon), f"{lat:g},{lon:g}")
        out.append((name, lat, lon))
    return out


# ----------------------------------------------------------------------------------------------- the shells ---
@dataclass(frozen=True)
class _Fabric:
    """A formation shell's intra-cluster fabric: lattice, its edges and the clusters' mean motion."""

    lattice_m: np.ndarray
    edges: np.ndarray
    mean_motion_rad_s: float
    per_cluster: int

    def lengths_m(self, t_s: float) -> np.ndarray:
        ric = con.formation_relative_ric_m(self.lattice_m, self.mean_motion_rad_s, np.array([t_s]))[:, 0, :]
        d = ric[self.edges[:, 1]] - ric[self.edges[:, 0]]
        return np.sqrt(np.einsum("ij,ij->i", d, d))


@dataclass(frozen=True)
class _ShellNet:
    name: str
    node_word: str  # "sat" or "cluster": the node-name infix of pipeline/nodes.py
    offset: int
    n: int
    states: StateFn
    mode: str  # "plus_grid", "neighbours" or "none"
    edges: np.ndarray | None  # +Grid edge list (shell-local)
    fabric: _Fabric | None


def _shell_nets(scenario: Scenario, surveys: list[ShellSurvey], net: NetworkSpec) -> list[_ShellNet]:
    epoch_jd = scenario.time_grid().epoch_jd
    specs = {s.name: s for s in scenario.shells}
    out: list[_ShellNet] = []
    offset = 0
    for s in surveys:
        orbits = s.orbits
        n = orbits.tracks
        if orbits.circular is not None:
            states = circular_states(orbits.circular, epoch_jd)
        else:
            assert orbits.elements is not None
            states = sgp4_states(orbits.elements, epoch_jd)
            if s.survey.lost.any():
                states = _lost_from(states, np.where(s.survey.lost, s.survey.end_s, np.inf))
        mode = "none" if net.topology == "none" else "neighbours"
        edges = None
        if net.topology == "auto" and orbits.kind in ("walker_delta", "walker_star") and orbits.circular is not None:
            mode = "plus_grid"
            edges = plus_grid_edges(walker_layout(orbits.circular), net.terminals)
        fabric = None
        orbit = specs[orbits.name].orbit
        if isinstance(orbit, FormationOrbit) and orbits.circular is not None and orbit.per_cluster > 1:
            lattice = con.formation_lattice_m(orbit.per_cluster, orbit.radius_km * 1e3)
            fabric = _Fabric(
                lattice,
                formation_edges(lattice, net.fabric_links),
                float(np.mean(mean_motion_rad_s(orbits.circular.semi_major_axis_m))),
                orbit.per_cluster,
            )
        word = "cluster" if orbits.kind == "formation" else "sat"
        out.append(_ShellNet(orbits.name, word, offset, n, states, mode, edges, fabric))
        offset += n
    return out


def _lost_from(states: StateFn, gone_s: np.ndarray) -> StateFn:
    """``states`` with no state (NaN) for a satellite from ``gone_s`` on: the start of the step in which SGP4 lost it,
    from which it counts for nothing (no links, no contacts, no relaying); ``inf`` for the satellites never lost."""

    def lost_states(idx: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r, v = states(idx, t_s)
        gone = np.asarray(t_s, dtype=np.float64)[None, :] >= gone_s[np.asarray(idx)][:, None]
        return np.where(gone[..., None], np.nan, r), np.where(gone[..., None], np.nan, v)

    return lost_states


# ------------------------------------------------------------------------------------------------ the steps ---
@dataclass(frozen=True)
class _Step:
    """One link step's network."""

    index: int
    t_s: float
    r_ecef_m: np.ndarray
    links: Links  # ISLs between vertices (global vertex indices)
    fabric: dict[str, tuple[np.ndarray, np.ndarray]]  # shell -> (length_m, capacity_bps) of its lattice edges
    graph: StepGraph


class _Model:
    """The fixed parts of a run's network and the per-step computation (module docstring)."""

    def __init__(self, scenario: Scenario, surveys: list[ShellSurvey]) -> None:
        net = scenario.network
        assert net is not None
        self.scenario = scenario
        self.net = net
        self.shells = _shell_nets(scenario, surveys, net)
        self.n_vertices = sum(s.n for s in self.shells)
        self.vertex_names = np.array(
            [f"{s.name}/{s.node_word}-{i}" for s in self.shells for i in range(s.n)], dtype=object
        ).astype(str)
        self.gateways = gateway_stations(scenario)
        users = user_locations(scenario)
        self.user_names = tuple(u[0] for u in users)
        self.user_lat_deg = np.array([u[1] for u in users], dtype=np.float64)
        self.user_lon_deg = np.array([u[2] for u in users], dtype=np.float64)
        self.users = (
            Stations.from_degrees(self.user_names, self.user_lat_deg, self.user_lon_deg, 0.0, net.elevation_mask_deg)
            if users
            else None
        )
        # The graphs always hold at least one user vertex (a sentinel station when the scenario has no users).
        self.graph_users = self.users or Stations.from_degrees(["(sentinel)"], [0.0], [0.0], 0.0, 89.0)
        self.isl_link = isl_terminal(net.isl)
        self.fabric_link = isl_terminal(net.fabric)
        self.isl_capacity = functools.partial(bd.isl_capacity_bps, link=self.isl_link)
        self.fabric_capacity = functools.partial(bd.isl_capacity_bps, link=self.fabric_link)
        self.ground_capacity = ground_link_capacity(net)
        self.step_s = float(net.link_step)
        self.n_steps = max(1, math.ceil(scenario.duration_s / self.step_s - 1e-9))
        self.margin_m = net.atmosphere_margin_km * 1e3
        self.max_range_m = net.max_isl_range_km * 1e3

    @property
    def step_start_s(self) -> np.ndarray:
        return np.arange(self.n_steps) * self.step_s

    def positions_m(self, t_s: np.ndarray) -> np.ndarray:
        """Earth-fixed positions of every vertex at the times ``t_s`` ``(V, len(t_s), 3)``; failed propagations
        at the origin."""
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        r = np.zeros((self.n_vertices, t.size, 3))
        for s in self.shells:
            if s.n:
                pos, _vel = s.states(np.arange(s.n), t)
                r[s.offset : s.offset + s.n] = pos
        r[~np.all(np.isfinite(r), axis=2)] = 0.0
        return r

    def _positions(self, indices: Sequence[int]) -> Iterator[np.ndarray]:
        """Positions ``(V, 3)`` at each link step of ``indices``, propagated in blocks of steps."""
        idx = np.asarray(indices, dtype=np.int64)
        block = max(1, POSITION_BLOCK // max(self.n_vertices, 1))
        for lo in range(0, idx.size, block):
            r = self.positions_m(idx[lo : lo + block] * self.step_s)
            for j in range(r.shape[1]):
                yield r[:, j, :]

    def steps(self, indices: Sequence[int]) -> Iterator[_Step]:
        """The network at each link step in ``indices`` (increasing), with fresh nearest-neighbour planners."""
        planners = {
            s.name: NeighbourTopology(
                self.isl_capacity,
                self.net.terminals,
                self.max_range_m,
                self.margin_m,
                self.net.neighbour_refresh,
            )
            for s in self.shells
            if s.mode == "neighbours"
        }
        empty = Links(np.zeros((0, 2), np.int32), np.zeros(0), np.zeros(0))
        for k, r in zip(indices, self._positions(indices), strict=True):
            t = float(k) * self.step_s
            parts: list[Links] = []
            fabric: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            for s in self.shells:
                rs = r[s.offset : s.offset + s.n]
                if s.mode == "plus_grid":
                    assert s.edges is not None
                    lk = evaluate_links(s.edges, rs, self.isl_capacity, self.margin_m, self.max_range_m)
                elif s.mode == "neighbours" and s.n > 1:
                    lk = planners[s.name].links_at(t, rs)
                else:
                    lk = empty
                parts.append(Links(lk.edges + np.int32(s.offset), lk.length_m, lk.capacity_bps))
                if s.fabric is not None:
                    length = s.fabric.lengths_m(t)
                    fabric[s.name] = (length, np.asarray(self.fabric_capacity(length), dtype=np.float64))
            parts.append(empty)
            links = Links(
                np.concatenate([p.edges for p in parts]).astype(np.int32).reshape(-1, 2),
                np.concatenate([p.length_m for p in parts]),
                np.concatenate([p.capacity_bps for p in parts]),
            )
            graph = build_step_graph(
                r,
                links,
                self.gateways,
                self.ground_capacity,
                users=self.graph_users,
                switching_delay_s=self.net.switching_delay_ms * 1e-3,
                fibre_route_factor=self.net.fibre_route_factor,
                user_direct=self.net.users_direct,
            )
            yield _Step(int(k), t, r, links, fabric, graph)


class _StepGraphs(Sequence[StepGraph]):
    """Every link step's graph, in order: cached from the link stage when small, else recomputed on demand
    (sequentially from the first step, as ``simulate_flows`` walks forward in time)."""

    def __init__(self, model: _Model, cached: dict[int, StepGraph]) -> None:
        self.model = model
        self.cached = cached
        self._it: Iterator[_Step] | None = None
        self._last: tuple[int, StepGraph] | None = None

    def __len__(self) -> int:
        return self.model.n_steps

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        k = int(k)
        if k < 0:
            k += len(self)
        if k in self.cached:
            return self.cached[k]
        if self._last is not None and self._last[0] == k:
            return self._last[1]
        if self._it is None or self._last is None or self._last[0] > k:
            # from the first step: nearest-neighbour plans depend on the steps before (re-plan times)
            self._it = self.model.steps(range(len(self)))
        for step in self._it:
            self._last = (step.index, step.graph)
            if step.index == k:
                return step.graph
        raise IndexError(k)


# ---------------------------------------------------------------------------------------------- the stage ---
@dataclass
class _StepRows:
    """The links of one recorded step, for links.parquet."""

    isl: np.ndarray  # (m, 2) vertex indices
    isl_length_m: np.ndarray
    isl_capacity_bps: np.ndarray
    ground_sat: np.ndarray
    ground_gw: np.ndarray
    ground_range_m: np.ndarray
    ground_capacity_bps: np.ndarray
    fabric: dict[str, tuple[np.ndarray, np.ndarray]]
    isl_bytes: np.ndarray | None = None  # (m, 2) bytes moved each way, after the flows
    ground_bytes: np.ndarray | None = None


@dataclass
class NetworkRun:
    """The network of a run: per-vertex routes on the recorded link steps, per-node link timeline arrays, links,
    contacts, and the step graphs for the flows."""

    model: _Model
    recorded_steps: np.ndarray  # link-step indices whose vertex tables and links were recorded
    latency_s: np.ndarray  # (V, R) float32: vertex to nearest gateway (inf: no path)
    bandwidth_bps: np.ndarray  # (V, R) float32: bottleneck of that path (0: no path)
    hops: np.ndarray  # (V, R) int16 (-1: no path)
    user_latency_s: np.ndarray  # (U, V, R) float32
    lat_deg: np.ndarray  # (V, R) float32 sub-satellite point
    lon_deg: np.ndarray
    altitude_m: np.ndarray
    rows: dict[int, _StepRows]
    fabric_min_bps: dict[str, float]
    contacts: ContactWindows
    contact_satellites: np.ndarray  # vertex index of each contact-searched satellite
    graphs: _StepGraphs
    node_vertex: np.ndarray | None = None  # per node of the fleet: its vertex (-1 on the ground)
    timeline: LinkTimeline | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def step_s(self) -> float:
        return self.model.step_s

    def attach(self, fleet: FleetTimeline) -> FleetTimeline:
        """``fleet`` with this run's link timeline and the formation clusters' fabric from the budget."""
        if self.timeline is None or self.node_vertex is None:
            raise ValueError("the network stage was run without the fleet's nodes")
        nodes = fleet.nodes
        fabric = nodes.fabric_bytes_s.copy()
        for s in self.model.shells:
            if s.fabric is None or s.name not in self.fabric_min_bps:
                continue
            sel = (nodes.kind == NodeKind.ORBITAL) & (nodes.group == s.name)
            per_sat = nodes.gpus[sel] / s.fabric.per_cluster
            fabric[sel] = self.fabric_min_bps[s.name] / 8.0 / per_sat
        return dataclasses.replace(fleet, nodes=dataclasses.replace(nodes, fabric_bytes_s=fabric), links=self.timeline)


def node_vertices(model_names: np.ndarray, nodes: NodeTable) -> np.ndarray:
    """Each node's vertex (by name: ``shell/sat-i`` or ``shell/cluster-i``), -1 for ground sites."""
    index = {str(n): i for i, n in enumerate(model_names.tolist())}
    out = np.full(len(nodes), -1, dtype=np.int64)
    for i in np.flatnonzero(nodes.kind == NodeKind.ORBITAL).tolist():
        name = str(nodes.name[i])
        if name not in index:
            raise ValueError(f"orbital node {name!r} has no satellite in the network (names: shell/sat-i)")
        out[i] = index[name]
    return out


def _recorded(n_vertices: int, n_steps: int) -> np.ndarray:
    keep = max(1, min(n_steps, MAX_VERTEX_STEPS // max(n_vertices, 1)))
    return np.unique(np.linspace(0, n_steps - 1, keep).round().astype(np.int64))


def _contacts(model: _Model, duration_s: float) -> tuple[ContactWindows, np.ndarray]:
    """Passes of (a sample of) every shell's tracks over the gateways, with bytes per pass."""
    n_gw = len(model.gateways)
    budget = max(1, MAX_CONTACT_PAIRS // max(n_gw, 1))
    frac = min(1.0, budget / max(model.n_vertices, 1))
    parts: list[ContactWindows] = []
    chosen: list[np.ndarray] = []
    for s in model.shells:
        if s.n == 0 or n_gw == 0:
            continue
        take = np.unique(np.linspace(0, s.n - 1, max(1, round(s.n * frac))).round().astype(np.int64))
        states = s.states

        def sub(idx: np.ndarray, t_s: np.ndarray, _take: np.ndarray = take, _st: StateFn = states) -> Any:
            return _st(_take[idx], t_s)

        cw = contact_windows(sub, take.size, model.gateways, duration_s, capacity_fn=model.ground_capacity)
        parts.append(dataclasses.replace(cw, sat_index=s.offset + take[cw.sat_index]))
        chosen.append(s.offset + take)
    sats = np.concatenate(chosen) if chosen else np.zeros(0, np.int64)
    return ContactWindows.concatenate(parts), sats


def run_network(
    scenario: Scenario,
    surveys: list[ShellSurvey],
    nodes: NodeTable | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> NetworkRun | None:
    """The link stage (module docstring); None when the scenario has no ``network:`` section. With ``nodes`` (the
    fleet's node table) every link step is routed and the run carries the nodes' :class:`LinkTimeline`."""
    if scenario.network is None:
        return None
    model = _Model(scenario, surveys)
    v, n_steps = model.n_vertices, model.n_steps
    recorded = _recorded(v, n_steps)
    rec_pos = {int(k): i for i, k in enumerate(recorded.tolist())}
    steps = np.arange(n_steps) if nodes is not None else recorded
    r_count = recorded.size
    n_users = len(model.user_names)
    lat = np.full((v, r_count), np.inf, dtype=np.float32)
    bw = np.zeros((v, r_count), dtype=np.float32)
    hops = np.full((v, r_count), -1, dtype=np.int16)
    ulat = np.full((n_users, v, r_count), np.inf, dtype=np.float32)
    sub_lat = np.zeros((v, r_count), dtype=np.float32)
    sub_lon = np.zeros((v, r_count), dtype=np.float32)
    sub_alt = np.zeros((v, r_count), dtype=np.float32)
    node_vertex = node_vertices(model.vertex_names, nodes) if nodes is not None else None
    n_nodes = len(nodes) if nodes is not None else 0
    node_lat = np.zeros((n_nodes, n_steps))
    node_bw = np.full((n_nodes, n_steps), np.inf)
    node_user = np.zeros((n_users, n_nodes, n_steps))
    rows: dict[int, _StepRows] = {}
    fabric_min: dict[str, float] = {}
    cache: dict[int, StepGraph] = {}
    entries = 0
    for done, step in enumerate(model.steps(steps.tolist())):
        g = step.graph
        routes = routes_to_gateways(g)
        users = user_latency_s(g) if n_users else np.zeros((0, g.n_nodes))
        if node_vertex is not None:
            orb = node_vertex >= 0
            vx = node_vertex[orb]
            node_lat[orb, step.index] = routes.latency_s[vx]
            node_bw[orb, step.index] = routes.bottleneck_bps[vx]
            node_user[:, orb, step.index] = users[:, vx]
        for name, (_length, cap) in step.fabric.items():
            fabric_min[name] = min(fabric_min.get(name, math.inf), float(cap.min()) if cap.size else math.inf)
        i = rec_pos.get(step.index)
        if i is not None:
            lat[:, i] = routes.latency_s[:v]
            bw[:, i] = routes.bottleneck_bps[:v]
            hops[:, i] = routes.hops[:v]
            ulat[:, :, i] = users[:, :v]
            if v:
                r = step.r_ecef_m
                placed = np.any(r != 0.0, axis=1)  # failed or lost satellites sit at the origin: no sub-point
                la, lo, h = (np.full(v, np.nan) for _ in range(3))
                la[placed], lo[placed], h[placed] = ecef_to_geodetic(r[placed])
                sub_lat[:, i], sub_lon[:, i], sub_alt[:, i] = np.degrees(la), np.degrees(lo), h
            rows[step.index] = _step_rows(step, g, model.gateways)
        entries += g.graph.nnz
        if entries <= CACHE_GRAPH_ENTRIES:
            cache[step.index] = g
        if progress is not None:
            progress("links", done + 1, steps.size)
    if entries > CACHE_GRAPH_ENTRIES:
        cache.clear()
    if progress is not None:
        progress("contacts", 0, 1)
    contacts, contact_sats = _contacts(model, scenario.duration_s)
    if progress is not None:
        progress("contacts", 1, 1)
    run = NetworkRun(
        model=model,
        recorded_steps=recorded,
        latency_s=lat,
        bandwidth_bps=bw,
        hops=hops,
        user_latency_s=ulat,
        lat_deg=sub_lat,
        lon_deg=sub_lon,
        altitude_m=sub_alt,
        rows=rows,
        fabric_min_bps=fabric_min,
        contacts=contacts,
        contact_satellites=contact_sats,
        graphs=_StepGraphs(model, cache),
        node_vertex=node_vertex,
    )
    if recorded.size < n_steps:
        run.notes.append(
            f"vertex tables recorded at {recorded.size} of {n_steps} link steps (evenly spaced; at most "
            f"{MAX_VERTEX_STEPS:,} vertex-steps)"
        )
    if contact_sats.size < v:
        run.notes.append(f"contact windows searched for {contact_sats.size:,} of {v:,} satellites (evenly spaced)")
    if nodes is not None:
        run.timeline = _link_timeline(model, nodes, node_vertex, node_lat, node_bw, node_user)
    return run


def _step_rows(step: _Step, g: StepGraph, gateways: Stations) -> _StepRows:
    """The step's ISL and ground links as rows (the ground links read back from the graph's entries)."""
    v = g.n_satellites
    rows = g.entry_key // g.n_nodes
    cols = g.entry_key % g.n_nodes
    sel = (g.kind == EdgeKind.GROUND) & (rows < v)
    sat, gw = rows[sel], cols[sel] - v
    d = step.r_ecef_m[sat] - gateways.ecef_m[gw]
    return _StepRows(
        isl=step.links.edges,
        isl_length_m=step.links.length_m,
        isl_capacity_bps=step.links.capacity_bps,
        ground_sat=sat,
        ground_gw=gw,
        ground_range_m=np.sqrt(np.einsum("ij,ij->i", d, d)),
        ground_capacity_bps=g.capacity_bps[sel],
        fabric=step.fabric,
    )


def _link_timeline(
    model: _Model,
    nodes: NodeTable,
    node_vertex: np.ndarray | None,
    node_lat: np.ndarray,
    node_bw: np.ndarray,
    node_user: np.ndarray,
) -> LinkTimeline:
    """Ground sites: 0 s and unlimited bandwidth to the ground, terrestrial fibre to each user."""
    assert node_vertex is not None
    ground = np.flatnonzero(node_vertex < 0)
    if ground.size and model.users is not None:
        sites = Stations.from_degrees(
            [str(nodes.name[i]) for i in ground], nodes.lat_deg[ground], nodes.lon_deg[ground], 0.0
        )
        d = great_circle_m(model.users, sites)  # (U, sites)
        node_user[:, ground, :] = fibre_delay_s(d, model.net.fibre_route_factor)[:, :, None]
    node_lat[ground] = 0.0
    node_bw[ground] = np.inf
    return LinkTimeline(
        step_s=model.step_s,
        ground_latency_s=node_lat,
        ground_bandwidth_bps=node_bw,
        user_latency_s=node_user,
        user_names=model.user_names,
        user_lat_deg=model.user_lat_deg,
        user_lon_deg=model.user_lon_deg,
    )


# ---------------------------------------------------------------------------------------------------- flows ---
FLOW_KINDS = ("dataset", "checkpoint", "result")


@dataclass(frozen=True)
class DataFlows:
    """The run's transfers and how the simulated ones went: per flow its kind (index into ``FLOW_KINDS``), job,
    node, direction, size, start, finish (``inf``: not delivered; NaN: not simulated), path latency at completion
    and the bytes its replayed rates moved over its life and before the run's end (NaN: not simulated).

    ``simulated`` marks the flows that went through the network: all of them up to ``MAX_FLOWS``; beyond, those
    starting in an evenly spaced subset of link steps (every ``stride``-th), whose contention with each other is
    exact (flows of the other steps are left out)."""

    kind: np.ndarray
    job: np.ndarray
    job_id: np.ndarray
    node: np.ndarray
    upload: np.ndarray  # bool: gateway -> node (else node -> gateway)
    size_bytes: np.ndarray
    start_s: np.ndarray
    finish_s: np.ndarray
    latency_s: np.ndarray
    delivered_bytes: np.ndarray
    moved_in_run_bytes: np.ndarray
    simulated: np.ndarray
    stride: int
    horizon_s: float

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    @property
    def sampled_fraction(self) -> float:
        """Share of all flows' bytes that were simulated (1 without sampling)."""
        total = float(self.size_bytes.sum())
        return float(self.size_bytes[self.simulated].sum()) / total if total > 0 else 1.0


#: Most flows simulated in one run (module docstring; ~1 s per 1,000 flows here).
MAX_FLOWS = 2_000


def _flow_list(fleet: FleetTimeline, schedule: Any, node_vertex: np.ndarray) -> dict[str, np.ndarray]:
    """Uploads, checkpoint and result downlinks of the run's orbital placements (module docstring)."""
    from orbitgrid.scheduling.engine import COMPLETED
    from orbitgrid.workloads.jobs import JobKind

    jobs, res = schedule.workload.jobs, schedule.result
    pl = res.placements
    orbital = fleet.nodes.kind == NodeKind.ORBITAL
    links = fleet.links
    out: dict[str, list[Any]] = {k: [] for k in ("kind", "job", "node", "upload", "size", "start")}

    def add(kind: int, j: int, n: int, up: bool, size: float, t: float) -> None:
        for key, val in zip(out, (kind, j, n, up, size, t), strict=True):
            out[key].append(val)

    data = jobs.dataset_bytes.astype(np.float64)
    ckpt = jobs.checkpoint_bytes.astype(np.float64)
    training = jobs.kind == JobKind.TRAINING
    tau = res.checkpoint_interval_s
    held = np.full(len(jobs), -1, dtype=np.int64)
    placed = np.zeros(len(jobs), dtype=bool)
    for p in np.lexsort((pl["start_s"], pl["job"])).tolist():
        j, n = int(pl["job"][p]), int(pl["node"][p])
        s, e = float(pl["start_s"][p]), float(pl["end_s"][p])
        upload = bool(orbital[n]) and data[j] > 0.0 and held[j] != n
        restore = float(jobs.restore_s[j]) if placed[j] else 0.0
        placed[j] = True
        held[j] = n
        if upload:
            add(0, j, n, True, data[j], s)
            if links is not None:
                bw = float(links.ground_bandwidth_bps[n, links.step_at(s)])
                restore += data[j] * 8.0 / bw if bw > 0.0 else math.inf
        if orbital[n] and training[j] and ckpt[j] > 0.0 and math.isfinite(tau[j]) and tau[j] > 0.0:
            cycle = float(tau[j] + jobs.checkpoint_write_s[j])
            if math.isfinite(restore) and cycle > 0.0:
                count = math.floor((e - s - restore) / cycle + 1e-9)
                for k in range(1, count + 1):
                    add(1, j, n, False, ckpt[j], s + restore + k * cycle)
    done = res.state == COMPLETED
    for j in np.flatnonzero(done & training & (ckpt > 0.0) & (res.node >= 0)).tolist():
        n = int(res.node[j])
        if orbital[n]:
            add(2, j, n, False, ckpt[j], float(res.end_s[j]))
    cols: dict[str, np.ndarray] = {
        "kind": np.array(out["kind"], dtype=np.int8),
        "job": np.array(out["job"], dtype=np.int64),
        "node": np.array(out["node"], dtype=np.int64),
        "upload": np.array(out["upload"], dtype=bool),
        "size": np.array(out["size"], dtype=np.float64),
        "start": np.array(out["start"], dtype=np.float64),
    }
    vertex = node_vertex[cols["node"]]
    cols["src"] = np.where(cols["upload"], ANY_GATEWAY, vertex)
    cols["dst"] = np.where(cols["upload"], vertex, ANY_GATEWAY)
    return cols


def _path_entries(graph: StepGraph, routes: GatewayRoutes, vertex: int, upload: bool) -> np.ndarray:
    """Graph entries of the shortest path between ``vertex`` and its nearest gateway, in the flow's direction."""
    pred = routes.predecessor
    out: list[int] = []
    cur = vertex
    while True:
        p = int(pred[cur])
        if p < 0:
            break
        a, b = (p, cur) if upload else (cur, p)
        out.append(int(graph.entry_index(np.array([a]), np.array([b]))[0]))
        cur = p
    return np.array(out, dtype=np.int64)


def _replay(
    flows: dict[str, np.ndarray],
    finish_s: np.ndarray,
    latency_s: np.ndarray,
    graphs: _StepGraphs,
    step_start_s: np.ndarray,
    horizon_s: float,
    on_step: Callable[[int, StepGraph, np.ndarray], None],
) -> tuple[np.ndarray, np.ndarray]:
    """Per flow, bits delivered over its life and before ``horizon_s``; per step, ``on_step(k, graph, bits per
    entry)``. Rates between events are the max-min fair allocation of the active flows (module docstring)."""
    start = flows["start"]
    vertex = np.where(flows["upload"], flows["dst"], flows["src"])
    m = start.shape[0]
    drain = np.where(np.isfinite(finish_s), finish_s - np.where(np.isfinite(latency_s), latency_s, 0.0), np.inf)
    delivered = np.zeros(m)
    in_run = np.zeros(m)
    if m == 0:
        return delivered, in_run
    last = float(np.max(np.where(np.isfinite(drain), drain, start)))
    cuts = step_start_s[(step_start_s > start.min()) & (step_start_s < last)]
    events = np.unique(np.concatenate([start, drain[np.isfinite(drain)], cuts]))
    n_steps = step_start_s.shape[0]
    k_now = -1
    bits = np.zeros(0)
    graph: StepGraph | None = None
    routes: GatewayRoutes | None = None
    paths: dict[int, np.ndarray | None] = {}
    for a, b in itertools.pairwise(events):
        k = min(max(int(np.searchsorted(step_start_s, a, side="right")) - 1, 0), n_steps - 1)
        if k != k_now:
            if graph is not None:
                on_step(k_now, graph, bits)
            graph = graphs[k]
            routes = routes_to_gateways(graph)
            bits = np.zeros(graph.graph.nnz)
            paths = {}
            k_now = k
        assert graph is not None and routes is not None
        active = np.flatnonzero((start <= a) & (drain > a))
        if active.size == 0:
            continue
        pf: list[np.ndarray] = []
        pe: list[np.ndarray] = []
        for i, f in enumerate(active.tolist()):
            if f not in paths:
                ok = bool(routes.reachable[vertex[f]])
                paths[f] = _path_entries(graph, routes, int(vertex[f]), bool(flows["upload"][f])) if ok else None
            e = paths[f]
            if e is not None and e.size:
                pe.append(e)
                pf.append(np.full(e.size, i, dtype=np.int64))
        if not pe:
            continue
        flat_f, flat_e = np.concatenate(pf), np.concatenate(pe)
        res, idx = np.unique(flat_e, return_inverse=True)
        rates = max_min_fair_rates(flat_f, idx, graph.capacity_bps[res], active.size)
        rates[~np.isfinite(rates)] = 0.0
        dt = float(b - a)
        delivered[active] += rates * dt
        if a < horizon_s:
            in_run[active] += rates * (min(float(b), horizon_s) - float(a))
        np.add.at(bits, flat_e, rates[flat_f] * dt)
    if graph is not None:
        on_step(k_now, graph, bits)
    return delivered / 8.0, in_run / 8.0


def simulate_data_flows(net: NetworkRun, fleet: FleetTimeline, schedule: Any) -> DataFlows:
    """Dataset uploads, checkpoint and result downlinks of a schedule run through the network (module docstring);
    fills the bytes moved per link of the recorded steps."""
    if net.node_vertex is None:
        raise ValueError("the network stage was run without the fleet's nodes")
    every = _flow_list(fleet, schedule, net.node_vertex)
    step_start = net.model.step_start_s
    m_all = every["size"].size
    step_of = np.clip((every["start"] // net.step_s).astype(np.int64), 0, net.model.n_steps - 1)
    stride = max(1, math.ceil(m_all / MAX_FLOWS))
    simulated = step_of % stride == 0
    cols = {k: v[simulated] for k, v in every.items()}
    m = int(simulated.sum())
    if m:
        outcome = simulate_flows(Flows(cols["src"], cols["dst"], cols["size"], cols["start"]), net.graphs, step_start)
        finish, latency = outcome.finish_s, outcome.latency_s
    else:
        finish, latency = np.zeros(0), np.zeros(0)

    def on_step(k: int, graph: StepGraph, bits: np.ndarray) -> None:
        rows = net.rows.get(k)
        if rows is None:
            return
        e = rows.isl.astype(np.int64)
        v = graph.n_satellites
        if e.size:
            fwd = graph.entry_index(e[:, 0], e[:, 1])
            bwd = graph.entry_index(e[:, 1], e[:, 0])
            rows.isl_bytes = np.column_stack([bits[fwd], bits[bwd]]) / 8.0
        if rows.ground_sat.size:
            down = graph.entry_index(rows.ground_sat, rows.ground_gw + v)
            up = graph.entry_index(rows.ground_gw + v, rows.ground_sat)
            rows.ground_bytes = np.column_stack([bits[down], bits[up]]) / 8.0

    horizon = fleet.horizon_s
    delivered, in_run = _replay(cols, finish, latency, net.graphs, step_start, horizon, on_step)

    def spread(values: np.ndarray) -> np.ndarray:
        out = np.full(m_all, np.nan)
        out[simulated] = values
        return out

    if stride > 1:
        net.notes.append(
            f"{m:,} of {m_all:,} flows simulated: those starting in every {stride}th link step (contention among "
            "them is exact; flows of the other steps are left out)"
        )
    jobs = schedule.workload.jobs
    return DataFlows(
        kind=every["kind"],
        job=every["job"],
        job_id=np.asarray(jobs.job_id)[every["job"]].astype(str),
        node=every["node"],
        upload=every["upload"],
        size_bytes=every["size"],
        start_s=every["start"],
        finish_s=spread(finish),
        latency_s=spread(latency),
        delivered_bytes=spread(delivered),
        moved_in_run_bytes=spread(in_run),
        simulated=simulated,
        stride=stride,
        horizon_s=horizon,
    )


# --------------------------------------------------------------------------------------------------- output ---
def _pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else math.nan


def network_summary(net: NetworkRun, flows: DataFlows | None) -> dict[str, Any]:
    """The ``network`` block of summary.json (stable keys: docs/quickstart.md)."""
    lat = net.latency_s.astype(np.float64)
    reach = np.isfinite(lat)
    isl_caps = [r.isl_capacity_bps for r in net.rows.values()]
    caps = np.concatenate(isl_caps) if isl_caps else np.zeros(0)
    model = net.model
    users = {}
    for u, name in enumerate(model.user_names):
        ul = net.user_latency_s[u].astype(np.float64)
        ul = ul[np.isfinite(ul)]
        users[name] = {"p50": _pct(ul, 50), "p99": _pct(ul, 99)}
    cw = net.contacts
    out: dict[str, Any] = {
        "link_step_s": model.step_s,
        "link_steps": model.n_steps,
        "gateways": len(model.gateways),
        "gateway_sites": {
            name: [float(np.degrees(a)), float(np.degrees(b))]
            for name, a, b in zip(model.gateways.names, model.gateways.lat_rad, model.gateways.lon_rad, strict=True)
        },
        "users": len(model.user_names),
        "latency_to_ground_s": {"p50": _pct(lat[reach], 50), "p99": _pct(lat[reach], 99)},
        "latency_to_users_s": users,
        "reachable_fraction": float(reach.mean()) if reach.size else math.nan,
        "isl_links_per_step": float(caps.size / max(len(net.rows), 1)),
        "isl_capacity_bps": {"p50": _pct(caps, 50), "min": float(caps.min()) if caps.size else math.nan},
        "contacts": len(cw),
        "contact_satellites": int(net.contact_satellites.size),
        "contact_hours": float(np.sum(cw.duration_s)) / 3600.0,
        "contact_bytes": float(np.nansum(cw.volume_bytes)),
        "fabric_capacity_bps_min": {k: v for k, v in sorted(net.fabric_min_bps.items())},
        "bytes_moved": 0.0,
        "flows": 0,
        "flows_unfinished": 0,
        "flow_completion_s": {"p50": math.nan, "p99": math.nan},
        "notes": list(net.notes),
    }
    if flows is not None:
        sim = flows.simulated
        done = sim & (flows.finish_s <= flows.horizon_s)
        took = (flows.finish_s - flows.start_s)[done]
        frac = flows.sampled_fraction
        moved = float(np.nansum(flows.moved_in_run_bytes))
        out.update(
            {
                "bytes_moved": moved / frac if frac > 0 else math.nan,
                "flows": len(flows),
                "flows_simulated": int(sim.sum()),
                "flows_unfinished": int(np.sum(sim & ~done)),
                "flow_completion_s": {"p50": _pct(took, 50), "p99": _pct(took, 99)},
                "flows_by_kind": {name: int(np.sum(flows.kind == i)) for i, name in enumerate(FLOW_KINDS)},
            }
        )
    return out


def _link_parts(net: NetworkRun) -> Iterator[dict[str, np.ndarray]]:
    """links.parquet, one recorded step at a time (at most ``MAX_LINK_ROWS`` rows: module docstring)."""
    model = net.model
    names = model.vertex_names
    gw_names = np.asarray(model.gateways.names, dtype=object).astype(str)
    shells = {s.name: s for s in model.shells}
    total = 0
    for rows in net.rows.values():
        total += rows.isl.shape[0] + rows.ground_sat.size
        total += sum(shells[n].n * c.size for n, (_l, c) in rows.fabric.items())
    keep = min(1.0, MAX_LINK_ROWS / max(total, 1))
    if keep < 1.0:
        net.notes.append(f"links.parquet holds an evenly spaced {keep:.1%} of each recorded step's links")

    def pick(n: int) -> np.ndarray:
        if keep >= 1.0:
            return np.arange(n)
        return (
            np.unique(np.linspace(0, n - 1, max(1, round(n * keep))).round().astype(np.int64))
            if n
            else np.zeros(0, int)
        )

    h = model.step_s
    fabric_names: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for k, rows in net.rows.items():
        a: list[np.ndarray] = []
        b: list[np.ndarray] = []
        kind: list[np.ndarray] = []
        length: list[np.ndarray] = []
        cap: list[np.ndarray] = []
        moved: list[np.ndarray] = []
        util: list[np.ndarray] = []
        for edges, lengths, caps, both_ways, label, b_names in (
            (rows.isl, rows.isl_length_m, rows.isl_capacity_bps, rows.isl_bytes, _KIND_ISL, None),
            (
                np.column_stack([rows.ground_sat, rows.ground_gw]),
                rows.ground_range_m,
                rows.ground_capacity_bps,
                rows.ground_bytes,
                _KIND_GROUND,
                gw_names,
            ),
        ):
            sel = pick(edges.shape[0])
            e = edges[sel].astype(np.int64)
            a.append(names[e[:, 0]])
            b.append(names[e[:, 1]] if b_names is None else b_names[e[:, 1]])
            kind.append(np.full(sel.size, label))
            length.append(lengths[sel])
            cap.append(caps[sel])
            bw = np.zeros((sel.size, 2)) if both_ways is None else both_ways[sel]
            moved.append(bw.sum(axis=1))
            with np.errstate(divide="ignore", invalid="ignore"):
                util.append(np.where(caps[sel] > 0, bw.max(axis=1) * 8.0 / (caps[sel] * h), np.nan))
        for shell, (lengths, caps) in rows.fabric.items():
            if shell not in fabric_names:
                fabric_names[shell] = _fabric_names(shells[shell])
            fa, fb, e_of = fabric_names[shell]
            sel = pick(fa.size)
            e = e_of[sel]
            a.append(fa[sel])
            b.append(fb[sel])
            kind.append(np.full(sel.size, _KIND_FABRIC))
            length.append(lengths[e])
            cap.append(caps[e])
            moved.append(np.zeros(sel.size))
            util.append(np.full(sel.size, np.nan))
        n = sum(x.size for x in kind)
        yield {
            "t_s": np.full(n, k * h),
            "a": np.concatenate(a).astype(str),
            "b": np.concatenate(b).astype(str),
            "kind": np.concatenate(kind).astype(str),
            "length_m": np.concatenate(length).astype(np.float32),
            "capacity_bps": np.concatenate(cap).astype(np.float32),
            "bytes": np.concatenate(moved).astype(np.float64),
            "utilisation": np.concatenate(util).astype(np.float32),
        }


def _fabric_names(shell: _ShellNet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Endpoint names of every cluster's fabric links (``shell/cluster-c/m<i>``) and each row's lattice edge."""
    assert shell.fabric is not None
    edges = shell.fabric.edges
    stems = [f"{shell.name}/cluster-{c}/m" for c in range(shell.n)]
    a = np.array([f"{st}{i}" for st in stems for i in edges[:, 0].tolist()], dtype=object).astype(str)
    b = np.array([f"{st}{j}" for st in stems for j in edges[:, 1].tolist()], dtype=object).astype(str)
    return a, b, np.tile(np.arange(edges.shape[0]), shell.n)


def _latency_parts(net: NetworkRun, scenario: Scenario) -> Iterator[dict[str, np.ndarray]]:
    """latency.parquet: per recorded step, every satellite (or cluster) and ground site, to the ground and to each
    user location (``target``)."""
    model = net.model
    v = model.n_vertices
    group = (
        np.concatenate([np.full(s.n, s.name, dtype=object) for s in model.shells]).astype(str)
        if v
        else np.zeros(0, str)
    )
    sites = scenario.ground_sites
    site_names = np.array([g.name for g in sites], dtype=object).astype(str)
    site_lat = np.array([g.lat_deg for g in sites], dtype=np.float64)
    site_lon = np.array([g.lon_deg for g in sites], dtype=np.float64)
    site_user = np.zeros((len(model.user_names), len(sites)))
    if sites and model.users is not None:
        st = Stations.from_degrees(site_names.tolist(), site_lat, site_lon, 0.0)
        site_user = fibre_delay_s(great_circle_m(model.users, st), model.net.fibre_route_factor)
    node = np.concatenate([model.vertex_names, site_names])
    grp = np.concatenate([group, site_names])
    kind = np.concatenate([np.full(v, "orbital"), np.full(len(sites), "ground")]).astype(str)
    targets = ["ground", *model.user_names]
    for i, k in enumerate(net.recorded_steps.tolist()):
        lat = np.concatenate([net.lat_deg[:, i], site_lat])
        lon = np.concatenate([net.lon_deg[:, i], site_lon])
        alt = np.concatenate([net.altitude_m[:, i], np.zeros(len(sites))])
        n = node.size
        lat_s = [np.concatenate([net.latency_s[:, i], np.zeros(len(sites))])]
        lat_s += [np.concatenate([net.user_latency_s[u, :, i], site_user[u]]) for u in range(len(model.user_names))]
        bw = np.concatenate([net.bandwidth_bps[:, i], np.full(len(sites), np.inf)])
        hops = np.concatenate([net.hops[:, i], np.zeros(len(sites), np.int16)])
        t = len(targets)
        yield {
            "t_s": np.full(n * t, k * model.step_s),
            "node": np.tile(node, t),
            "group": np.tile(grp, t),
            "kind": np.tile(kind, t),
            "lat_deg": np.tile(lat, t).astype(np.float32),
            "lon_deg": np.tile(lon, t).astype(np.float32),
            "altitude_m": np.tile(alt, t).astype(np.float32),
            "target": np.repeat(np.array(targets, dtype=object), n).astype(str),
            "latency_s": np.concatenate(lat_s).astype(np.float32),
            "bandwidth_bps": np.concatenate([bw, np.full(n * (t - 1), np.nan)]).astype(np.float32),
            "hops": np.concatenate([hops, np.full(n * (t - 1), -1, np.int16)]).astype(np.int16),
        }


def write_network(writer: RunWriter, net: NetworkRun, scenario: Scenario, flows: DataFlows | None) -> dict[str, Any]:
    """Write links.parquet, latency.parquet, contacts.parquet and (with flows) flows.parquet; return the summary
    block."""
    model = net.model
    writer.table_stream("links.parquet", _link_parts(net))
    writer.table_stream("latency.parquet", _latency_parts(net, scenario))
    cw = net.contacts
    writer.table(
        "contacts",
        {
            "satellite": model.vertex_names[cw.sat_index].astype(str),
            "station": np.asarray(model.gateways.names, dtype=object)[cw.station_index].astype(str),
            "rise_s": cw.rise_s,
            "culmination_s": cw.culmination_s,
            "set_s": cw.set_s,
            "max_elevation_deg": cw.max_elevation_deg,
            "bytes": cw.volume_bytes,
            "rise_truncated": cw.rise_truncated,
            "set_truncated": cw.set_truncated,
        },
    )
    if flows is not None:
        writer.table("flows", flow_columns(flows, net))
    return network_summary(net, flows)


def flow_columns(flows: DataFlows, net: NetworkRun) -> dict[str, np.ndarray]:
    """flows.parquet: one row per transfer (simulated or not: ``simulated``)."""
    names = net.model.vertex_names
    assert net.node_vertex is not None
    return {
        "kind": np.asarray(FLOW_KINDS, dtype=object)[flows.kind].astype(str),
        "job_id": flows.job_id,
        "node": names[net.node_vertex[flows.node]].astype(str) if len(flows) else np.zeros(0, str),
        "direction": np.where(flows.upload, "up", "down").astype(str),
        "bytes": flows.size_bytes,
        "start_s": flows.start_s,
        "finish_s": flows.finish_s,
        "completion_s": flows.finish_s - flows.start_s,
        "latency_s": flows.latency_s,
        "moved_in_run_bytes": flows.moved_in_run_bytes,
        "simulated": flows.simulated,
    }
