"""Routing over one step's network: latency, hops and bottleneck to the ground and to users; flows with contention.

The graph of a step (:func:`build_step_graph`)
    Nodes are ``[satellites | gateways | users]``. Edge weights are one-way delays in seconds:

    * ISL ``i - j``: ``L / c + t_sw`` (``L`` from :mod:`orbitgrid.network.topology`, ``c`` = 299,792,458 m/s exactly,
      the SI definition of the metre);
    * gateway - satellite, for every satellite at or above the gateway's own elevation mask
      (:func:`orbitgrid.network.geometry.elevation_rad`, geodetic up): ``rho / c + t_sw`` with the slant range
      ``rho``. Masks come with the sites (:class:`orbitgrid.network.stations.Stations`); for Starlink-like gateways
      use 25 deg (``STARLINK_ELEVATION_MASK_DEG``), the minimum elevation the FCC authorised for Starlink earth
      stations (FCC 21-48, April 2021, lowering it from 40 deg);
    * fibre gateway - gateway (a full mesh: the operator's terrestrial backbone): ``k d_gc n / c``, great-circle
      distance ``d_gc`` on the sphere of the WGS84 mean radius (within 0.5 % of the ellipsoidal geodesic), route
      factor ``k = 1.3`` and group index ``n = 1.468``. ``k``: the median ratio of the shortest path through the
      long-haul conduits of the contiguous US to the line-of-sight distance between its 120 largest cities
      (Bozkurt et al., "Dissecting Latency in the Internet's Fiber Infrastructure", arXiv:1811.10737, 2018); the
      same paper gives 2.1 for measured Internet paths, which ``fibre_route_factor`` can select. ``n``: group index
      of standard single-mode fibre at 1550 nm (Corning SMF-28 Ultra product information: 1.4682), so light in
      vacuum is 47 % faster than in fibre (``docs/sources.md``: 35-50 %);
    * user edges, directed out of the user only so that no route transits a user: fibre to every gateway (as above)
      and, with ``user_direct``, a radio link to every satellite above the user's mask.

    ``t_sw`` is a per-hop switching delay charged on every radio or laser hop; it defaults to 0 (no published figure
    for a flight ISL router was found), so latencies are light-time figures unless a scenario sets it. Capacities
    are per direction of each full-duplex link: ISLs from :class:`~orbitgrid.network.topology.Links`, ground links
    from the caller's ``capacity(range_m, elevation_rad)`` callable (e.g. ``budget.RfGroundLink.capacity_bps``),
    fibre unlimited (the terrestrial backbone is never the bottleneck here).

Paths to the ground (:func:`routes_to_gateways`)
    One Dijkstra from all gateways at once (``scipy.sparse.csgraph.dijkstra``, ``indices=gateways``,
    ``min_only=True``), valid because every edge but the users' is symmetric: the shortest path from any node to its
    nearest gateway, its one-way latency, gateway, hop count and bottleneck (the smallest capacity on the path). Hop
    counts and bottlenecks come from pointer jumping on the predecessor tree: ``log2(depth)`` vectorized passes
    ``b[v] = min(b[v], b[p[v]]), h[v] += h[p[v]], p[v] = p[p[v]]`` (Wyllie's list ranking), no loop per node.

Paths to users (:func:`user_latency_s`)
    Latency from every node to every user: one Dijkstra per user over the same graph, so the best of "to a gateway
    over ISLs, then fibre to the user" and "over ISLs to a satellite above the user, then down" is taken per node.

Flows (:func:`max_min_fair_rates`, :func:`simulate_flows`)
    A fluid model: each flow follows the shortest path of the step it is in (re-routed at each step boundary);
    rates are max-min fair over the directed links by progressive filling (Bertsekas & Gallager, *Data Networks*,
    2nd ed., 1992, sec. 6.5.2): all unfrozen flows grow together until a link saturates, its flows freeze, repeat.
    Rates change only at flow arrivals, completions and step boundaries, so time advances event to event. A flow
    completes when its last bit leaves the source plus the path's one-way latency at that moment. A flow with no
    path waits (rate 0) until a step that has one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # scipy is imported where a graph is built or searched (a run without a network never loads it)
    from scipy.sparse import csr_matrix

from orbitgrid.astro.constants import SPEED_OF_LIGHT_M_S
from orbitgrid.network.constants import FIBRE_GROUP_INDEX, FIBRE_ROUTE_FACTOR, STARLINK_ELEVATION_MASK_DEG
from orbitgrid.network.geometry import WGS84_MEAN_RADIUS_M, elevation_rad, great_circle_distance_m
from orbitgrid.network.topology import Links

__all__ = [
    "ANY_GATEWAY",
    "FIBRE_GROUP_INDEX",
    "FIBRE_ROUTE_FACTOR",
    "SPEED_OF_LIGHT_M_S",
    "STARLINK_ELEVATION_MASK_DEG",
    "EdgeKind",
    "FlowOutcome",
    "Flows",
    "GatewayRoutes",
    "GroundCapacityFn",
    "Sites",
    "StepGraph",
    "build_step_graph",
    "fibre_delay_s",
    "graph_from_edges",
    "great_circle_m",
    "max_min_fair_rates",
    "routes_to_gateways",
    "simulate_flows",
    "user_latency_s",
    "visible_pairs",
]

#: Flow endpoint meaning "the nearest gateway" (source of an upload or destination of a downlink).
ANY_GATEWAY = -1

#: Capacity (bps) of a ground link at slant range (m) and elevation (rad), e.g. ``RfGroundLink.capacity_bps``.
GroundCapacityFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
_NO_PATH = -9999


class EdgeKind:
    """Codes of :attr:`StepGraph.kind`."""

    ISL = 0
    GROUND = 1
    FIBRE = 2
    USER_FIBRE = 3
    USER_RADIO = 4


class Sites(Protocol):
    """Gateways or users as columns: what :class:`orbitgrid.network.stations.Stations` provides. WGS84 geodetic
    ``lat_rad``, ``lon_rad`` ``(n,)``; Earth-fixed ``ecef_m`` ``(n, 3)``; unit ``up`` ``(n, 3)`` (ellipsoid
    normal); ``elevation_mask_rad`` ``(n,)``."""

    @property
    def lat_rad(self) -> np.ndarray: ...
    @property
    def lon_rad(self) -> np.ndarray: ...
    @property
    def ecef_m(self) -> np.ndarray: ...
    @property
    def up(self) -> np.ndarray: ...
    @property
    def elevation_mask_rad(self) -> np.ndarray: ...


def great_circle_m(a: Sites, b: Sites, radius_m: float = WGS84_MEAN_RADIUS_M) -> np.ndarray:
    """Great-circle distance ``(len(a), len(b))`` on a sphere (haversine), metres."""
    return great_circle_distance_m(
        a.lat_rad[:, None], a.lon_rad[:, None], b.lat_rad[None, :], b.lon_rad[None, :], radius_m
    )


def fibre_delay_s(
    distance_m: np.ndarray,
    route_factor: float = FIBRE_ROUTE_FACTOR,
    group_index: float = FIBRE_GROUP_INDEX,
) -> np.ndarray:
    """One-way delay of a terrestrial fibre path over a great-circle distance: ``k d n / c``."""
    return np.asarray(route_factor * np.asarray(distance_m) * group_index / SPEED_OF_LIGHT_M_S)


def visible_pairs(sat_ecef_m: np.ndarray, points: Sites) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(satellite, point, range_m, elevation_rad)`` of every satellite at or above each point's elevation mask.

    Candidates first, from a k-d tree of the satellites: seen from a point at radius ``r_g`` at geocentric
    elevation ``e``, a satellite at radius ``r_s`` is ``sqrt(r_s^2 - r_g^2 cos^2 e) - r_g sin e`` away (law of
    cosines), which grows with ``r_s`` and shrinks with ``e``; so every satellite above the mask lies within that
    range for the fleet's largest ``r_s`` and ``e`` = mask - 0.25 deg (geodetic and geocentric zenith differ by
    < 0.2 deg). :func:`orbitgrid.network.geometry.elevation_rad` (geodetic up) then decides each candidate. Rows
    are sorted by point, then satellite. (At 100,000 satellites and 100 points the tree and its ball queries take
    a fifth of the time of the all-pairs matrix product they replaced.)
    """
    mask = np.asarray(points.elevation_mask_rad, dtype=np.float64)
    if np.any(mask < 0.0):
        raise ValueError("elevation masks below the horizon are not supported")
    pts = np.asarray(points.ecef_m, dtype=np.float64).reshape(-1, 3)
    up = np.asarray(points.up, dtype=np.float64).reshape(-1, 3)
    n_pts = pts.shape[0]
    if sat_ecef_m.shape[0] == 0 or n_pts == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0)
    r_s = float(np.sqrt(np.max(np.einsum("ij,ij->i", sat_ecef_m, sat_ecef_m))))
    r_g = np.linalg.norm(pts, axis=1)
    loose = np.maximum(mask - np.radians(0.25), 0.0)
    reach = np.sqrt(np.maximum(r_s**2 - (r_g * np.cos(loose)) ** 2, 0.0)) - r_g * np.sin(loose)
    from scipy.spatial import cKDTree

    tree = cKDTree(sat_ecef_m, balanced_tree=False, compact_nodes=False)
    found = tree.query_ball_point(pts, reach * (1.0 + 1e-9), return_sorted=True)
    counts = np.array([len(f) for f in found], dtype=np.int64)
    cand_s = [np.asarray(f, dtype=np.int64) for f in found]
    cand_p = [np.full(c, g, dtype=np.int64) for g, c in enumerate(counts)]
    s_all = np.concatenate(cand_s) if cand_s else np.zeros(0, dtype=np.int64)
    p_all = np.concatenate(cand_p) if cand_p else np.zeros(0, dtype=np.int64)
    bounds = np.searchsorted(p_all, np.arange(n_pts + 1))
    el = np.empty(s_all.shape[0])
    for g in range(n_pts):
        a, b = bounds[g], bounds[g + 1]
        if a < b:
            el[a:b] = elevation_rad(sat_ecef_m[s_all[a:b]], pts[g : g + 1], up[g : g + 1])[:, 0]
    keep = el >= mask[p_all]
    s_all, p_all, el = s_all[keep], p_all[keep], el[keep]
    d = sat_ecef_m[s_all] - pts[p_all]
    return s_all, p_all, np.sqrt(np.einsum("ij,ij->i", d, d)), el


@dataclass(frozen=True)
class StepGraph:
    """One step's network as a directed CSR matrix of one-way delays (s) with per-entry capacity (bps) and kind.

    ``capacity_bps``, ``kind`` and ``entry_key`` (``row * n_nodes + column``, ascending) are aligned with
    ``graph.data``.
    """

    graph: csr_matrix
    capacity_bps: np.ndarray
    kind: np.ndarray
    entry_key: np.ndarray
    n_satellites: int
    n_gateways: int
    n_users: int

    @property
    def n_nodes(self) -> int:
        return self.n_satellites + self.n_gateways + self.n_users

    @property
    def gateway_nodes(self) -> np.ndarray:
        return np.arange(self.n_satellites, self.n_satellites + self.n_gateways)

    @property
    def user_nodes(self) -> np.ndarray:
        start = self.n_satellites + self.n_gateways
        return np.arange(start, start + self.n_users)

    def entry_index(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Position in ``graph.data`` of each directed entry ``rows[k] -> cols[k]`` (which must exist)."""
        n = self.n_nodes
        key = np.asarray(rows, dtype=np.int64) * n + np.asarray(cols, dtype=np.int64)
        return np.searchsorted(self.entry_key, key)


def _assemble(
    n_nodes: int,
    rows: np.ndarray,
    cols: np.ndarray,
    delay_s: np.ndarray,
    capacity_bps: np.ndarray,
    kind: np.ndarray,
    counts: tuple[int, int, int],
) -> StepGraph:
    key = rows.astype(np.int64) * n_nodes + cols.astype(np.int64)
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size and np.any(key[1:] == key[:-1]):
        raise ValueError("duplicate edge in the step graph")
    r = key // n_nodes
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=n_nodes), out=indptr[1:])
    indices = (key % n_nodes).astype(np.int32)
    from scipy.sparse import csr_matrix

    graph = csr_matrix((delay_s[order], indices, indptr), shape=(n_nodes, n_nodes))
    return StepGraph(graph, capacity_bps[order], kind[order].astype(np.int8), key, *counts)


def graph_from_edges(
    n_nodes: int,
    edges: np.ndarray,
    delay_s: np.ndarray,
    capacity_bps: np.ndarray,
    n_gateways: int = 0,
) -> StepGraph:
    """A step graph from undirected edges ``(m, 2)`` given directly (hand-built networks, tests): both directions
    get the edge's delay and capacity; the last ``n_gateways`` nodes are gateways, all others satellites."""
    e = np.asarray(edges, dtype=np.int64)
    rows = np.concatenate([e[:, 0], e[:, 1]])
    cols = np.concatenate([e[:, 1], e[:, 0]])
    d = np.concatenate([delay_s, delay_s]).astype(np.float64)
    c = np.concatenate([capacity_bps, capacity_bps]).astype(np.float64)
    k = np.zeros(rows.shape[0], dtype=np.int8)
    return _assemble(n_nodes, rows, cols, d, c, k, (n_nodes - n_gateways, n_gateways, 0))


def build_step_graph(
    sat_ecef_m: np.ndarray,
    links: Links,
    gateways: Sites,
    ground_capacity_bps: GroundCapacityFn,
    users: Sites | None = None,
    user_capacity_bps: GroundCapacityFn | None = None,
    switching_delay_s: float = 0.0,
    fibre_route_factor: float = FIBRE_ROUTE_FACTOR,
    fibre_group_index: float = FIBRE_GROUP_INDEX,
    user_direct: bool = True,
) -> StepGraph:
    """The graph of one step (module docstring). ``sat_ecef_m`` ``(n, 3)`` Earth-fixed positions at the step;
    ``links`` the step's ISLs between those satellites."""
    n_sat = sat_ecef_m.shape[0]
    n_gw = gateways.lat_rad.shape[0]
    n_user = 0 if users is None else users.lat_rad.shape[0]
    n = n_sat + n_gw + n_user
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    delay: list[np.ndarray] = []
    cap: list[np.ndarray] = []
    kind: list[np.ndarray] = []

    def add(r: np.ndarray, c: np.ndarray, d: np.ndarray, k: np.ndarray, code: int, both: bool) -> None:
        rows.append(r if not both else np.concatenate([r, c]))
        cols.append(c if not both else np.concatenate([c, r]))
        delay.append(d if not both else np.concatenate([d, d]))
        cap.append(k if not both else np.concatenate([k, k]))
        kind.append(np.full(rows[-1].shape[0], code, dtype=np.int8))

    e = links.edges.astype(np.int64)
    add(
        e[:, 0],
        e[:, 1],
        links.length_m / SPEED_OF_LIGHT_M_S + switching_delay_s,
        links.capacity_bps,
        EdgeKind.ISL,
        True,
    )
    s_idx, g_idx, rng, el = visible_pairs(sat_ecef_m, gateways)
    g_cap = np.asarray(ground_capacity_bps(rng, el), dtype=np.float64)
    add(s_idx, g_idx + n_sat, rng / SPEED_OF_LIGHT_M_S + switching_delay_s, g_cap, EdgeKind.GROUND, True)
    if n_gw > 1:
        gi, gj = np.nonzero(~np.eye(n_gw, dtype=bool))
        d = fibre_delay_s(great_circle_m(gateways, gateways)[gi, gj], fibre_route_factor, fibre_group_index)
        add(gi + n_sat, gj + n_sat, d, np.full(gi.shape[0], np.inf), EdgeKind.FIBRE, False)
    if users is not None and n_user:
        ui, gj = np.indices((n_user, n_gw)).reshape(2, -1)
        d = fibre_delay_s(great_circle_m(users, gateways).ravel(), fibre_route_factor, fibre_group_index)
        add(ui + n_sat + n_gw, gj + n_sat, d, np.full(ui.shape[0], np.inf), EdgeKind.USER_FIBRE, False)
        if user_direct:
            s_u, u_idx, rng_u, el_u = visible_pairs(sat_ecef_m, users)
            fn = user_capacity_bps if user_capacity_bps is not None else ground_capacity_bps
            add(
                u_idx + n_sat + n_gw,
                s_u,
                rng_u / SPEED_OF_LIGHT_M_S + switching_delay_s,
                np.asarray(fn(rng_u, el_u), dtype=np.float64),
                EdgeKind.USER_RADIO,
                False,
            )
    return _assemble(
        n,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(delay).astype(np.float64),
        np.concatenate(cap).astype(np.float64),
        np.concatenate(kind),
        (n_sat, n_gw, n_user),
    )


# --------------------------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class GatewayRoutes:
    """Every node's shortest path to its nearest gateway.

    ``latency_s`` (inf when unreachable), ``gateway`` (0-based gateway number, -1 when unreachable; a gateway is
    its own), ``hops`` (edges on the path, -1 when unreachable), ``bottleneck_bps`` (smallest per-direction capacity
    on the path; inf for a gateway, 0 when unreachable) and ``predecessor`` (next node towards the gateway, -9999
    at gateways and unreachable nodes), all ``(n_nodes,)``.
    """

    latency_s: np.ndarray
    gateway: np.ndarray
    hops: np.ndarray
    bottleneck_bps: np.ndarray
    predecessor: np.ndarray

    @property
    def reachable(self) -> np.ndarray:
        return np.isfinite(self.latency_s)


def _tree_walk(
    parent: np.ndarray, edge_capacity: np.ndarray, is_root: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pointer jumping over a forest: per node ``(root, hops to root, min edge capacity to root)``."""
    n = parent.shape[0]
    ptr = np.where(is_root, np.arange(n), parent)
    hops = np.where(is_root, 0, 1).astype(np.int64)
    low = np.where(is_root, np.inf, edge_capacity)
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        low = np.minimum(low, low[ptr])
        hops = hops + hops[ptr]
        ptr = nxt
    return ptr, hops, low


def routes_to_gateways(graph: StepGraph) -> GatewayRoutes:
    """Shortest paths from every node to the nearest gateway: latency, gateway, hops, bottleneck (module docstring)."""
    gw = graph.gateway_nodes
    n = graph.n_nodes
    if gw.size == 0:
        none = np.full(n, _NO_PATH, dtype=np.int32)
        return GatewayRoutes(np.full(n, np.inf), np.full(n, -1), np.full(n, -1), np.zeros(n), none)
    from scipy.sparse.csgraph import dijkstra

    dist, pred, src = dijkstra(graph.graph, directed=True, indices=gw, min_only=True, return_predecessors=True)
    reach = np.isfinite(dist)
    has_parent = pred >= 0
    cap = np.zeros(n)
    idx = np.nonzero(has_parent)[0]
    cap[idx] = graph.capacity_bps[graph.entry_index(pred[idx], idx)]
    _root, hops, low = _tree_walk(pred, cap, ~has_parent)
    gateway = np.where(reach, src - graph.n_satellites, -1)
    hops = np.where(reach, hops, -1)
    low = np.where(reach, low, 0.0)
    return GatewayRoutes(dist, gateway, hops, low, pred.astype(np.int32))


def user_latency_s(graph: StepGraph) -> np.ndarray:
    """One-way latency ``(n_users, n_nodes)`` from every node to every user (inf when unreachable)."""
    if graph.n_users == 0:
        return np.zeros((0, graph.n_nodes))
    from scipy.sparse.csgraph import dijkstra

    return np.atleast_2d(dijkstra(graph.graph, directed=True, indices=graph.user_nodes))


# --------------------------------------------------------------------------------------------------- flows


def max_min_fair_rates(flow: np.ndarray, resource: np.ndarray, capacity_bps: np.ndarray, n_flows: int) -> np.ndarray:
    """Max-min fair rates (bps) by progressive filling.

    Flow ``flow[k]`` uses resource ``resource[k]`` (one pair per use; a flow crosses a resource once);
    ``capacity_bps`` per resource. Flows that use no resource, or only unlimited ones, get ``inf``.
    """
    f = np.asarray(flow, dtype=np.int64)
    r = np.asarray(resource, dtype=np.int64)
    cap = np.asarray(capacity_bps, dtype=np.float64)
    n_res = cap.shape[0]
    rates = np.zeros(n_flows)
    frozen = np.zeros(n_flows, dtype=bool)
    residual = cap.copy()
    used = np.bincount(f, minlength=n_flows) > 0
    rates[~used] = np.inf
    frozen[~used] = True
    while not frozen.all():
        live = ~frozen[f]
        count = np.bincount(r[live], minlength=n_res)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(count > 0, residual / np.maximum(count, 1), np.inf)
        inc = float(share.min())
        if not np.isfinite(inc):
            rates[~frozen] = np.inf
            break
        inc = max(inc, 0.0)
        rates[~frozen] += inc
        residual -= inc * count
        full = (count > 0) & np.isfinite(cap) & (residual <= 1e-12 * np.maximum(cap, 1.0))
        residual[full] = 0.0
        hit = np.zeros(n_flows, dtype=bool)
        hit[f[live & full[r]]] = True
        frozen |= hit
    return rates


@dataclass(frozen=True)
class Flows:
    """Transfers: ``src`` and ``dst`` node numbers (or :data:`ANY_GATEWAY`), ``size_bytes``, ``start_s``."""

    src: np.ndarray
    dst: np.ndarray
    size_bytes: np.ndarray
    start_s: np.ndarray

    def __len__(self) -> int:
        return int(np.asarray(self.src).shape[0])


@dataclass(frozen=True)
class FlowOutcome:
    """Per flow: ``finish_s`` (last bit delivered, inf if never), ``latency_s`` (path latency at completion)."""

    finish_s: np.ndarray
    latency_s: np.ndarray


def _flow_paths(
    graph: StepGraph, src: np.ndarray, dst: np.ndarray, routes: Callable[[], GatewayRoutes]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shortest paths of flows on one step: ``(routable, latency_s, pair_flow, pair_entry)`` where the pairs list
    the directed graph entries each flow crosses."""
    from scipy.sparse.csgraph import dijkstra

    m = src.shape[0]
    routable = np.zeros(m, dtype=bool)
    latency = np.full(m, np.inf)
    pair_f: list[np.ndarray] = []
    pair_e: list[np.ndarray] = []
    to_gw = dst == ANY_GATEWAY
    from_gw = src == ANY_GATEWAY
    if (to_gw | from_gw).any():
        tree = routes()
        pred = tree.predecessor.astype(np.int64)
        for sel, node, outward in ((to_gw, src, True), (from_gw, dst, False)):
            ids = np.nonzero(sel)[0]
            ok = tree.reachable[node[ids]]
            ids = ids[ok]
            routable[ids] = True
            latency[ids] = tree.latency_s[node[ids]]
            cur = node[ids]
            while ids.size:
                p = pred[cur]
                go = p >= 0
                ids, cur, p = ids[go], cur[go], p[go]
                if not ids.size:
                    break
                a, b = (cur, p) if outward else (p, cur)
                pair_f.append(ids)
                pair_e.append(graph.entry_index(a, b))
                cur = p
    fixed = np.nonzero(~(to_gw | from_gw))[0]
    if fixed.size:
        sources, inverse = np.unique(src[fixed], return_inverse=True)
        dist, pred2 = dijkstra(graph.graph, directed=True, indices=sources, return_predecessors=True)
        dist = np.atleast_2d(dist)
        pred2 = np.atleast_2d(pred2).astype(np.int64)
        d = dist[inverse, dst[fixed]]
        ok = np.isfinite(d)
        ids, row, cur = fixed[ok], inverse[ok], dst[fixed][ok]
        routable[ids] = True
        latency[ids] = d[ok]
        while ids.size:
            p = pred2[row, cur]
            go = p >= 0
            ids, row, cur, p = ids[go], row[go], cur[go], p[go]
            if not ids.size:
                break
            pair_f.append(ids)
            pair_e.append(graph.entry_index(p, cur))
            cur = p
    pf = np.concatenate(pair_f) if pair_f else np.zeros(0, dtype=np.int64)
    pe = np.concatenate(pair_e) if pair_e else np.zeros(0, dtype=np.int64)
    return routable, latency, pf, pe


def simulate_flows(
    flows: Flows,
    graphs: Sequence[StepGraph],
    step_start_s: np.ndarray,
    rel_tol: float = 1e-9,
) -> FlowOutcome:
    """Completion times of ``flows`` over a sequence of step graphs (module docstring).

    ``graphs[k]`` holds from ``step_start_s[k]`` until ``step_start_s[k + 1]`` (the last one for ever; before the
    first start the first graph holds). Flows that start at the same instant share from that instant. Endpoints
    are satellites or gateways (users have no incoming edges); a flow that never finds a path gets ``inf``.
    """
    src = np.asarray(flows.src, dtype=np.int64)
    dst = np.asarray(flows.dst, dtype=np.int64)
    bits0 = 8.0 * np.asarray(flows.size_bytes, dtype=np.float64)
    start = np.asarray(flows.start_s, dtype=np.float64)
    steps = np.asarray(step_start_s, dtype=np.float64)
    m = src.shape[0]
    if np.any((src == ANY_GATEWAY) & (dst == ANY_GATEWAY)):
        raise ValueError("a flow needs at least one fixed endpoint")
    remaining = bits0.copy()
    finish = np.full(m, np.inf)
    fin_latency = np.full(m, np.inf)
    done = np.zeros(m, dtype=bool)
    if m == 0:
        return FlowOutcome(finish, fin_latency)
    t = float(start.min())
    k = max(int(np.searchsorted(steps, t, side="right")) - 1, 0)
    cache: dict[int, np.ndarray] = {}  # flow -> graph entries of its path on step k (absent: not routed yet)
    trees: dict[int, GatewayRoutes] = {}  # step -> nearest-gateway routes, computed when a flow first needs them

    def gateway_tree() -> GatewayRoutes:
        if k not in trees:
            trees.clear()
            trees[k] = routes_to_gateways(graphs[k])
        return trees[k]

    routable = np.zeros(m, dtype=bool)
    path_latency = np.full(m, np.inf)
    rates = np.zeros(m)
    rated: tuple[int, frozenset[int]] | None = None
    while not done.all():
        active = np.nonzero((start <= t) & ~done)[0]
        key = (k, frozenset(active.tolist()))
        if rated != key:
            new = np.array([f for f in active if f not in cache], dtype=np.int64)
            if new.size:
                ok, lat, pf, pe = _flow_paths(graphs[k], src[new], dst[new], gateway_tree)
                routable[new], path_latency[new] = ok, lat
                order = np.argsort(pf, kind="stable")
                bounds = np.searchsorted(pf[order], np.arange(new.size + 1))
                for i, f in enumerate(new):
                    cache[int(f)] = pe[order[bounds[i] : bounds[i + 1]]]
            rates[:] = 0.0
            if active.size:  # none between busy periods: every started flow is done and the next has not begun
                pe_all = [cache[int(f)] for f in active]
                pf_all = np.repeat(np.arange(active.size), [e.size for e in pe_all])
                local_res, res_idx = np.unique(np.concatenate(pe_all), return_inverse=True)
                r_active = max_min_fair_rates(pf_all, res_idx, graphs[k].capacity_bps[local_res], active.size)
                r_active[~routable[active]] = 0.0
                rates[active] = r_active
            rated = key
        # Flows that need no time (nothing to send, or unlimited paths) complete now.
        instant = active[(remaining[active] <= 0.0) | np.isinf(rates[active])]
        if instant.size:
            remaining[instant] = 0.0
            done[instant] = True
            finish[instant] = t + path_latency[instant]
            fin_latency[instant] = path_latency[instant]
            continue
        later = start[start > t]
        t_arrive = float(later.min()) if later.size else np.inf
        t_step = float(steps[k + 1]) if k + 1 < steps.size else np.inf
        moving = active[rates[active] > 0.0]
        t_drain = float(np.min(t + remaining[moving] / rates[moving])) if moving.size else np.inf
        t_next = min(t_arrive, t_step, t_drain)
        if not np.isfinite(t_next):
            break
        remaining[moving] -= rates[moving] * (t_next - t)
        ended = moving[remaining[moving] <= rel_tol * bits0[moving]]
        remaining[ended] = 0.0
        done[ended] = True
        finish[ended] = t_next + path_latency[ended]
        fin_latency[ended] = path_latency[ended]
        t = t_next
        if t >= t_step:
            k += 1
            cache.clear()
    return FlowOutcome(finish, fin_latency)
