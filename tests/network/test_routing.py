"""Routing over a step graph: latency to the ground and to users, hop counts and bottlenecks.

Oracles: the light time of a straight-down path (550 km / c = 1.8346 ms); the vacuum light time of the straight line
between a path's ends (no route may beat it); networkx's Dijkstra on a graph built independently here from the
positions (its paths give hop counts, and a brute-force minimum over each path gives the bottleneck); all-pairs look
angles for visibility.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from orbitgrid.astro import constellations as con
from orbitgrid.astro.frames import teme_to_ecef
from orbitgrid.astro.j2 import positions_teme_m
from orbitgrid.network import routing as rt
from orbitgrid.network import topology as tp
from orbitgrid.network.geometry import WGS84_MEAN_RADIUS_M, look_angles
from orbitgrid.network.stations import Stations

C = 299_792_458.0


def ground_capacity(range_m: np.ndarray, elevation_rad: np.ndarray) -> np.ndarray:
    """A capacity that depends on both arguments, so that a mix-up would show."""
    return 1e9 * (1.0 + np.sin(elevation_rad)) * (1e6 / np.asarray(range_m))


def isl_capacity(distance_m: np.ndarray) -> np.ndarray:
    return 1e23 / np.asarray(distance_m) ** 2


def random_sites(n: int, rng: np.random.Generator, mask_deg: float | np.ndarray = 25.0, tag: str = "g") -> Stations:
    lat = np.degrees(np.arcsin(rng.uniform(-0.9, 0.9, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return Stations.from_degrees([f"{tag}{i}" for i in range(n)], lat, lon, rng.uniform(0.0, 2000.0, n), mask_deg)


def test_straight_down_at_550_km_is_1_83_ms() -> None:
    gw = Stations.from_degrees(["equator"], [0.0], [0.0], 0.0, 25.0)
    a = 6_378_137.0  # WGS84 equatorial radius: the station sits on it at (a, 0, 0)
    ang = np.radians(20.0)  # a second satellite 20 deg of arc away: below the mask, reached over one ISL
    r = np.array([[a + 550e3, 0.0, 0.0], [(a + 550e3) * np.cos(ang), (a + 550e3) * np.sin(ang), 0.0]])
    isl = float(np.linalg.norm(r[1] - r[0]))
    links = tp.Links(np.array([[0, 1]], dtype=np.int32), np.array([isl]), np.array([5e9]))
    graph = rt.build_step_graph(r, links, gw, ground_capacity)
    routes = rt.routes_to_gateways(graph)
    assert routes.latency_s[0] == pytest.approx(550e3 / C, abs=1e-15)
    assert routes.latency_s[0] == pytest.approx(1.8346e-3, abs=1e-7)
    assert routes.latency_s[1] == pytest.approx((isl + 550e3) / C, abs=1e-15)
    np.testing.assert_array_equal(routes.hops, [1, 2, 0])
    np.testing.assert_array_equal(routes.gateway, [0, 0, 0])
    down = ground_capacity(np.array([550e3]), np.array([np.pi / 2]))[0]
    assert routes.bottleneck_bps[0] == pytest.approx(down, rel=1e-12)
    assert routes.bottleneck_bps[1] == pytest.approx(min(down, 5e9), rel=1e-12)
    with_switching = rt.routes_to_gateways(rt.build_step_graph(r, links, gw, ground_capacity, switching_delay_s=1e-5))
    assert with_switching.latency_s[1] == pytest.approx((isl + 550e3) / C + 2e-5, abs=1e-15)


def test_routes_never_beat_light_in_vacuum() -> None:
    """A 1,584-satellite +Grid shell, 30 gateways and 12 users: every path is at least the vacuum light time of the
    straight line between its ends, and every satellite reaches the ground (the delta +Grid is connected)."""
    rng = np.random.default_rng(11)
    orbits = con.walker(550e3, np.radians(53.0), 1584, 72, 39)
    r_teme = positions_teme_m(
        orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, orbits.arg_latitude_rad, np.array([900.0])
    )[:, 0, :]
    r = teme_to_ecef(r_teme, 2_461_000.5, 0.3)
    links = tp.evaluate_links(tp.plus_grid_edges(tp.walker_layout(orbits)), r_teme, isl_capacity)
    gws = random_sites(30, rng)
    users = random_sites(12, rng, tag="u")
    graph = rt.build_step_graph(r, links, gws, ground_capacity, users=users, switching_delay_s=1e-6)
    routes = rt.routes_to_gateways(graph)
    n_sat, n_gw = len(orbits), len(gws)
    assert routes.reachable[: n_sat + n_gw].all()
    assert not routes.reachable[n_sat + n_gw :].any()  # users are never transit nodes nor reached from gateways
    ends = np.vstack([r, gws.ecef_m])
    gw_pos = gws.ecef_m[routes.gateway[: n_sat + n_gw]]
    straight = np.linalg.norm(ends - gw_pos, axis=1) / C
    assert np.all(routes.latency_s[: n_sat + n_gw] >= straight * (1 - 1e-15))
    assert np.all(routes.hops[:n_sat] >= 1)
    lat_u = rt.user_latency_s(graph)
    assert lat_u.shape == (12, graph.n_nodes)
    for u in range(12):
        straight_u = np.linalg.norm(ends - users.ecef_m[u], axis=1) / C
        assert np.all(lat_u[u, : n_sat + n_gw] >= straight_u * (1 - 1e-15))
        assert np.isfinite(lat_u[u, :n_sat]).all()
    # Going through the user's own gateway fibre or down from a satellite overhead is never worse than the route
    # to the nearest gateway plus fibre from that gateway to the user.
    fibre = rt.fibre_delay_s(rt.great_circle_m(gws, users))  # (gateway, user)
    via_nearest = routes.latency_s[:n_sat, None] + fibre[routes.gateway[:n_sat]]
    assert np.all(via_nearest * (1 + 1e-12) >= lat_u[:, :n_sat].T)


def independent_graph(
    r: np.ndarray, links: tp.Links, gws: Stations, users: Stations, switching_s: float
) -> tuple[nx.DiGraph, int, int]:
    """The same network built edge by edge from first principles (look angles, haversine, light time)."""
    n_sat, n_gw, n_user = r.shape[0], len(gws), len(users)
    g = nx.DiGraph()
    g.add_nodes_from(range(n_sat + n_gw + n_user))
    for (i, j), cap in zip(links.edges.tolist(), links.capacity_bps, strict=True):
        w = float(np.linalg.norm(r[i] - r[j])) / C + switching_s
        g.add_edge(i, j, weight=w, cap=cap)
        g.add_edge(j, i, weight=w, cap=cap)

    def radio(sites: Stations, offset: int, both: bool) -> None:
        el, _, rng_m = look_angles(r, sites.ecef_m, sites.lat_rad, sites.lon_rad)
        for s, k in zip(*np.nonzero(el >= sites.elevation_mask_rad[None, :]), strict=True):
            w = rng_m[s, k] / C + switching_s
            cap = float(ground_capacity(rng_m[s, k], el[s, k]))
            g.add_edge(offset + k, s, weight=w, cap=cap)
            if both:
                g.add_edge(s, offset + k, weight=w, cap=cap)

    def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        return float(2 * WGS84_MEAN_RADIUS_M * np.arcsin(np.sqrt(h)))

    radio(gws, n_sat, True)
    radio(users, n_sat + n_gw, False)
    for a in range(n_gw):
        for b in range(n_gw):
            if a != b:
                d = haversine(gws.lat_rad[a], gws.lon_rad[a], gws.lat_rad[b], gws.lon_rad[b])
                g.add_edge(n_sat + a, n_sat + b, weight=1.3 * 1.468 * d / C, cap=np.inf)
        for u in range(n_user):
            d = haversine(users.lat_rad[u], users.lon_rad[u], gws.lat_rad[a], gws.lon_rad[a])
            g.add_edge(n_sat + n_gw + u, n_sat + a, weight=1.3 * 1.468 * d / C, cap=np.inf)
    return g, n_sat, n_gw


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_shortest_paths_hops_and_bottlenecks_agree_with_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 150
    v = rng.normal(size=(n, 3))
    r = v / np.linalg.norm(v, axis=1, keepdims=True) * (WGS84_MEAN_RADIUS_M + rng.uniform(500e3, 1500e3, n))[:, None]
    links = tp.nearest_neighbour_links(r, isl_capacity, terminals=4, max_range_m=4000e3)
    gws = random_sites(8, rng, mask_deg=rng.uniform(10.0, 40.0, 8))
    users = random_sites(3, rng, mask_deg=20.0, tag="u")
    graph = rt.build_step_graph(r, links, gws, ground_capacity, users=users, switching_delay_s=3e-5)
    routes = rt.routes_to_gateways(graph)
    g, n_sat, n_gw = independent_graph(r, links, gws, users, 3e-5)
    dist, paths = nx.multi_source_dijkstra(g, set(range(n_sat, n_sat + n_gw)), weight="weight")
    reachable = np.zeros(graph.n_nodes, dtype=bool)
    reachable[list(dist)] = True
    np.testing.assert_array_equal(routes.reachable, reachable)
    assert reachable[:n_sat].sum() > n_sat // 3  # the case is not vacuous
    for node, d in dist.items():
        path = paths[node]
        assert routes.latency_s[node] == pytest.approx(d, rel=1e-12, abs=1e-18)
        assert routes.gateway[node] == path[0] - n_sat
        assert routes.hops[node] == len(path) - 1
        caps = [g.edges[a, b]["cap"] for a, b in itertools.pairwise(path)]
        assert routes.bottleneck_bps[node] == pytest.approx(min(caps) if caps else np.inf, rel=1e-12)
    assert np.all(routes.hops[~reachable] == -1)
    assert np.all(routes.bottleneck_bps[~reachable] == 0.0)
    lat_u = rt.user_latency_s(graph)
    for u in range(len(users)):
        ref = nx.single_source_dijkstra_path_length(g, n_sat + n_gw + u, weight="weight")
        got = lat_u[u]
        assert set(np.nonzero(np.isfinite(got))[0].tolist()) == set(ref)
        for node, d in ref.items():
            assert got[node] == pytest.approx(d, rel=1e-12, abs=1e-18)


def test_visible_pairs_match_all_pairs_look_angles() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    v = rng.normal(size=(n, 3))
    r = v / np.linalg.norm(v, axis=1, keepdims=True) * (WGS84_MEAN_RADIUS_M + rng.uniform(300e3, 2000e3, n))[:, None]
    sites = random_sites(40, rng, mask_deg=rng.uniform(0.0, 60.0, 40))
    s_idx, p_idx, rng_m, el = rt.visible_pairs(r, sites)
    el_ref, _, rng_ref = look_angles(r, sites.ecef_m, sites.lat_rad, sites.lon_rad)
    want = np.nonzero(el_ref >= sites.elevation_mask_rad[None, :])
    assert set(zip(s_idx.tolist(), p_idx.tolist(), strict=True)) == set(zip(*(w.tolist() for w in want), strict=True))
    np.testing.assert_allclose(rng_m, rng_ref[s_idx, p_idx], rtol=1e-12)
    np.testing.assert_allclose(el, el_ref[s_idx, p_idx], atol=1e-12)
    assert s_idx.size > 100


def test_great_circle_and_fibre_delay() -> None:
    """A quarter meridian and a quarter of the equator are pi R / 2; 1,000 km of fibre at the defaults is
    1.3 x 1,000 km x 1.468 / c = 6.3657 ms."""
    a = Stations.from_degrees(["a", "b"], [0.0, 0.0], [0.0, 0.0])
    b = Stations.from_degrees(["c", "d"], [90.0, 0.0], [0.0, 90.0])
    d = rt.great_circle_m(a, b)
    np.testing.assert_allclose(np.diag(d), np.pi / 2 * WGS84_MEAN_RADIUS_M, rtol=1e-14)
    assert float(rt.fibre_delay_s(np.array(1e6))) == pytest.approx(6.3657e-3, abs=1e-7)
    # docs/sources.md: light in vacuum is ~35-50 % faster than in fibre.
    assert 1.35 <= rt.FIBRE_GROUP_INDEX <= 1.50
