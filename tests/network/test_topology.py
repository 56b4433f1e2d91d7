"""ISL topology: +Grid on Walker shells, k-d tree neighbours against brute force, reuse over time, formations.

Oracles: propagated positions (``astro.j2``) for lengths; the chord ``2 a sin(pi / S)`` and ``a cos(pi / S)`` for
in-plane links; the rotational symmetry of a Walker delta pattern for the seam; a dense sampling of each segment for
the grazing altitude; an O(n^2) distance matrix and a plain Python greedy for the neighbour links; Suncatcher Fig. 3
(nearest-neighbour distance oscillating between 100 and 200 m) for the formation fabric.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from orbitgrid.astro import constellations as con
from orbitgrid.astro.j2 import mean_motion_rad_s, positions_teme_m, secular_rates
from orbitgrid.network import topology as tp
from orbitgrid.network.budget import isl_capacity_bps, starlink_laser_link
from orbitgrid.network.geometry import WGS84_MEAN_RADIUS_M

R_EARTH = WGS84_MEAN_RADIUS_M


def positions(orbits: con.CircularOrbits, t_s: float) -> np.ndarray:
    r = positions_teme_m(
        orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, orbits.arg_latitude_rad, np.array([t_s])
    )
    return r[:, 0, :]


def sampled_grazing_m(a: np.ndarray, b: np.ndarray, samples: int = 1001) -> np.ndarray:
    """Lowest sampled altitude of each segment over a sphere of the WGS84 mean radius (independent of geometry.py).

    With ``samples`` points on a segment of length L the sampled minimum exceeds the true one by at most
    ``(L / (samples - 1))^2 / (8 R)``: < 0.6 m for L = 5,400 km.
    """
    s = np.linspace(0.0, 1.0, samples)[None, :, None]
    p = a[:, None, :] + s * (b - a)[:, None, :]
    return np.linalg.norm(p, axis=-1).min(axis=1) - R_EARTH


def inverse_square(distance_m: np.ndarray) -> np.ndarray:
    """A capacity that falls with distance (Friis-like), so a mix-up of lengths would show."""
    return 1e23 / np.asarray(distance_m) ** 2


# --------------------------------------------------------------------------------------------------- +Grid


@pytest.mark.parametrize(("total", "planes", "phasing"), [(480, 24, 5), (1584, 72, 39), (240, 12, 0)])
def test_plus_grid_delta_degree_lengths_and_line_of_sight(total: int, planes: int, phasing: int) -> None:
    orbits = con.walker(550e3, np.radians(53.0), total, planes, phasing, "delta")
    layout = tp.walker_layout(orbits)
    assert (layout.planes, layout.per_plane, layout.phasing, layout.full_circle) == (
        planes,
        total // planes,
        phasing,
        True,
    )
    edges = tp.plus_grid_edges(layout)
    per_plane = total // planes
    a = orbits.semi_major_axis_m[0]
    for t_s in (0.0, 1234.5, 4000.0):
        r = positions(orbits, t_s)
        links = tp.evaluate_links(edges, r, inverse_square)
        # Delta +Grid: every satellite uses all four terminals and no link is blocked at 550 km.
        assert len(links) == 2 * total
        np.testing.assert_array_equal(links.degree(total), 4)
        i, j = links.edges[:, 0], links.edges[:, 1]
        np.testing.assert_allclose(links.length_m, np.linalg.norm(r[i] - r[j], axis=1), rtol=0, atol=1e-6)
        np.testing.assert_allclose(links.capacity_bps, 1e23 / links.length_m**2, rtol=1e-15)
        in_plane = layout.plane[i] == layout.plane[j]
        np.testing.assert_allclose(links.length_m[in_plane], 2 * a * np.sin(np.pi / per_plane), rtol=0, atol=1e-3)
        assert np.all(sampled_grazing_m(r[i], r[j]) >= tp.ATMOSPHERE_MARGIN_M)


def test_plus_grid_seam_follows_the_phasing() -> None:
    """Walker delta symmetry: a link's length depends only on the argument of latitude of its first end and the
    node and phase differences of its ends (rotations about the pole preserve lengths, and J2 turns every node
    alike). The seam links (plane P-1, slot s) - (plane 0, slot s + F) then have, at time t, the lengths of the
    links (0, s) - (1, s) at the time ``t + tau`` when plane 0 has advanced by the ``2 pi F (P - 1) / T`` that
    plane P-1 leads it. Linking slot s to slot s across the seam would not."""
    total, planes, phasing = 1584, 72, 39
    orbits = con.walker(550e3, np.radians(53.0), total, planes, phasing)
    layout = tp.walker_layout(orbits)
    edges = tp.plus_grid_edges(layout)
    _, argp_dot, m_dot = secular_rates(orbits.semi_major_axis_m[0], orbits.inclination_rad[0])
    tau = (2 * np.pi * phasing * (planes - 1) / total) / float(argp_dot + m_dot)
    t_s = 777.0
    r, r_later = positions(orbits, t_s), positions(orbits, t_s + tau)
    table = layout.index()
    seam = edges[(layout.plane[edges[:, 0]] == 0) & (layout.plane[edges[:, 1]] == planes - 1)]
    assert seam.shape[0] == total // planes
    seam_len = np.sort(np.linalg.norm(r[seam[:, 0]] - r[seam[:, 1]], axis=1))
    first_len = np.sort(np.linalg.norm(r_later[table[0]] - r_later[table[1]], axis=1))
    np.testing.assert_allclose(seam_len, first_len, rtol=0, atol=1e-3)
    naive = np.sort(np.linalg.norm(r[table[-1]] - r[table[0]], axis=1))
    assert np.max(np.abs(naive - first_len)) > 10e3


def test_plus_grid_star_has_no_cross_seam_links() -> None:
    total, planes = 6 * 11 * 4, 6
    orbits = con.walker(780e3, np.radians(86.4), total, planes, 2, "star")
    layout = tp.walker_layout(orbits)
    assert not layout.full_circle
    edges = tp.plus_grid_edges(layout)
    p_i, p_j = layout.plane[edges[:, 0]], layout.plane[edges[:, 1]]
    assert not np.any((p_i == 0) & (p_j == planes - 1))
    degree = np.bincount(edges.ravel(), minlength=total)
    edge_plane = (layout.plane == 0) | (layout.plane == planes - 1)
    np.testing.assert_array_equal(degree[edge_plane], 3)
    np.testing.assert_array_equal(degree[~edge_plane], 4)


def test_plus_grid_in_plane_links_blocked_below_margin() -> None:
    """Eight satellites per plane at 550 km: the in-plane chord grazes ``a cos(pi/8) - R`` ~ 29 km, below the 80 km
    margin, so only cross-plane links survive (those whose sampled segment stays above the margin); with a 0 margin
    they all do."""
    orbits = con.walker(550e3, np.radians(53.0), 8 * 20, 20, 3)
    layout = tp.walker_layout(orbits)
    edges = tp.plus_grid_edges(layout)
    r = positions(orbits, 300.0)
    a = orbits.semi_major_axis_m[0]
    graze = a * np.cos(np.pi / 8) - R_EARTH
    assert 0.0 < graze < tp.ATMOSPHERE_MARGIN_M
    same = layout.plane[edges[:, 0]] == layout.plane[edges[:, 1]]
    np.testing.assert_allclose(sampled_grazing_m(r[edges[same, 0]], r[edges[same, 1]]), graze, atol=0.1)
    kept = tp.evaluate_links(edges, r, inverse_square)
    assert np.all(layout.plane[kept.edges[:, 0]] != layout.plane[kept.edges[:, 1]])
    visible = sampled_grazing_m(r[edges[:, 0]], r[edges[:, 1]]) >= tp.ATMOSPHERE_MARGIN_M
    assert {tuple(e) for e in kept.edges} == {tuple(e) for e in edges[visible]}
    assert len(kept) > 0
    assert len(tp.evaluate_links(edges, r, inverse_square, margin_m=0.0)) == len(edges)


def test_walker_layout_recovers_planes_and_slots_in_any_order() -> None:
    orbits = con.walker(1200e3, np.radians(70.0), 20 * 18, 20, 7)
    perm = np.random.default_rng(3).permutation(len(orbits))
    layout = tp.walker_layout(orbits.subset(perm))
    np.testing.assert_array_equal(layout.plane, orbits.plane[perm])
    np.testing.assert_array_equal(layout.slot, np.tile(np.arange(18), 20)[perm])
    assert layout.phasing == 7
    edges_perm = tp.plus_grid_edges(layout)
    edges = tp.plus_grid_edges(tp.walker_layout(orbits))
    mapped = np.sort(perm[edges_perm], axis=1)
    assert {tuple(e) for e in mapped} == {tuple(e) for e in edges}


def test_walker_layout_rejects_other_shells() -> None:
    two = con.CircularOrbits.concatenate(
        [con.walker(550e3, np.radians(53.0), 40, 4, 1), con.walker(560e3, np.radians(53.0), 40, 4, 1)]
    )
    with pytest.raises(ValueError, match="semi_major_axis_m"):
        tp.walker_layout(two)
    o = con.walker(550e3, np.radians(53.0), 40, 4, 1)
    shifted = con.CircularOrbits(o.semi_major_axis_m, o.inclination_rad, o.raan_rad, o.arg_latitude_rad + 0.1, o.plane)
    shifted = shifted.subset(np.r_[np.arange(39), 0])  # a duplicate satellite
    with pytest.raises(ValueError):
        tp.walker_layout(shifted)


def test_plus_grid_with_two_terminals_is_the_in_plane_ring() -> None:
    layout = tp.walker_layout(con.walker(550e3, np.radians(53.0), 120, 6, 1))
    edges = tp.plus_grid_edges(layout, terminals=2)
    assert np.all(layout.plane[edges[:, 0]] == layout.plane[edges[:, 1]])
    np.testing.assert_array_equal(np.bincount(edges.ravel(), minlength=120), 2)


# --------------------------------------------------------------------------------------------------- neighbours


def random_fleet(n: int, seed: int) -> np.ndarray:
    """Random points in a 500-1,500 km altitude band (uniform directions)."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v * (R_EARTH + rng.uniform(500e3, 1500e3, n))[:, None]


def brute_force_links(
    r: np.ndarray, terminals: int, max_range_m: float, margin_m: float, candidates: int
) -> set[tuple[int, int]]:
    """The same rule written the slow way: full distance matrix, sampled line of sight, sequential greedy."""
    n = r.shape[0]
    d = np.linalg.norm(r[:, None, :] - r[None, :, :], axis=-1)
    np.fill_diagonal(d, np.inf)
    pairs = set()
    for i in range(n):
        near = np.argsort(d[i])[:candidates]
        for j in near:
            if d[i, j] <= max_range_m:
                pairs.add((min(i, int(j)), max(i, int(j))))
    cand = sorted(pairs)
    a = np.array([r[p[0]] for p in cand])
    b = np.array([r[p[1]] for p in cand])
    visible = sampled_grazing_m(a, b) >= margin_m
    kept = [(p, d[p]) for p, ok in zip(cand, visible, strict=True) if ok]
    kept.sort(key=lambda x: x[1])
    free = [terminals] * n
    out = set()
    for (i, j), _ in kept:
        if free[i] and free[j]:
            free[i] -= 1
            free[j] -= 1
            out.add((i, j))
    return out


@pytest.mark.parametrize(("seed", "n", "terminals"), [(0, 300, 4), (1, 500, 3), (2, 200, 2)])
def test_knn_matches_brute_force(seed: int, n: int, terminals: int) -> None:
    r = random_fleet(n, seed)
    max_range = 2500e3
    links = tp.nearest_neighbour_links(r, inverse_square, terminals=terminals, max_range_m=max_range)
    expected = brute_force_links(r, terminals, max_range, tp.ATMOSPHERE_MARGIN_M, 2 * terminals)
    assert {tuple(map(int, e)) for e in links.edges} == expected
    assert links.degree(n).max() <= terminals
    assert np.all(links.edges[:, 0] < links.edges[:, 1])
    np.testing.assert_allclose(links.length_m, np.linalg.norm(r[links.edges[:, 0]] - r[links.edges[:, 1]], axis=1))
    assert np.all(links.length_m <= max_range)


def test_knn_drops_links_through_the_earth() -> None:
    """Antipodal pairs in range but through the Earth: two satellites on opposite sides at 1,000 km."""
    a = R_EARTH + 1000e3
    r = np.array([[a, 0, 0], [-a, 0, 0], [a * np.cos(0.1), a * np.sin(0.1), 0]])
    links = tp.nearest_neighbour_links(r, inverse_square, max_range_m=20_000e3)
    assert {tuple(map(int, e)) for e in links.edges} == {(0, 2)}


def test_neighbour_topology_reuses_and_validates() -> None:
    """A random fleet of circular orbits over 20 minutes at 60 s steps with a 300 s refresh: re-plans at 0, 300,
    600 and 900 s only; in between every link is a link of the last plan that is still in range and visible."""
    rng = np.random.default_rng(7)
    n = 400
    orbits = con.CircularOrbits(
        R_EARTH + rng.uniform(500e3, 700e3, n),
        np.arccos(rng.uniform(-1, 1, n)),
        rng.uniform(0, 2 * np.pi, n),
        rng.uniform(0, 2 * np.pi, n),
        np.zeros(n, dtype=np.int32),
    )
    topo = tp.NeighbourTopology(inverse_square, terminals=4, max_range_m=1500e3, refresh_s=300.0)
    plan: set[tuple[int, int]] = set()
    dropped = 0
    for t_s in np.arange(0.0, 1200.0, 60.0):
        r = positions(orbits, float(t_s))
        links = topo.links_at(float(t_s), r)
        now = {tuple(map(int, e)) for e in links.edges}
        if t_s % 300.0 == 0.0:
            plan = now
            fresh = tp.nearest_neighbour_links(r, inverse_square, terminals=4, max_range_m=1500e3)
            assert now == {tuple(map(int, e)) for e in fresh.edges}
        else:
            assert now <= plan
            dropped += len(plan - now)
            plan = now
        i, j = links.edges[:, 0], links.edges[:, 1]
        assert np.all(np.linalg.norm(r[i] - r[j], axis=1) <= 1500e3)
        assert np.all(sampled_grazing_m(r[i], r[j]) >= tp.ATMOSPHERE_MARGIN_M - 0.1)
        assert links.degree(n).max() <= 4
    assert topo.replans == 4
    assert dropped > 0  # random orbits cross: some links break between re-plans


# --------------------------------------------------------------------------------------------------- formations


def test_formation_lattice_fabric_matches_suncatcher_figure_3() -> None:
    """81 satellites, R = 1 km, 650 km: lattice links between edge-sharing neighbours, at their actual separations,
    which oscillate between 100 and 200 m twice per orbit (Suncatcher sec. 2.2, Fig. 3)."""
    lattice = con.formation_lattice_m(81, 1000.0)
    edges = tp.formation_edges(lattice)
    sep = np.linalg.norm(lattice[:, None, :] - lattice[None, :, :], axis=-1)
    spacing = sep[sep > 0].min()
    i, j = np.nonzero(np.triu(np.isclose(sep, spacing), 1))
    assert {tuple(e) for e in edges} == set(zip(i.tolist(), j.tolist(), strict=True))
    assert np.bincount(edges.ravel(), minlength=81).max() == 4
    a = R_EARTH + 650e3
    n_rad_s = float(mean_motion_rad_s(a))
    period = 2 * np.pi / n_rad_s
    lengths = []
    for t_s in np.linspace(0.0, period, 97):
        u = n_rad_s * t_s
        r_ref = a * np.array([np.cos(u), np.sin(u), 0.0])
        v_ref = a * n_rad_s * np.array([-np.sin(u), np.cos(u), 0.0])
        r = tp.formation_positions_m(r_ref, v_ref, lattice, n_rad_s, t_s)
        links = tp.evaluate_links(edges, r, inverse_square)
        assert len(links) == len(edges)
        np.testing.assert_allclose(links.length_m, np.linalg.norm(r[edges[:, 0]] - r[edges[:, 1]], axis=1))
        ric = con.formation_relative_ric_m(lattice, n_rad_s, np.array([t_s]))[:, 0, :]
        np.testing.assert_allclose(np.linalg.norm(r - r_ref, axis=1), np.linalg.norm(ric, axis=1), atol=1e-6)
        lengths.append(links.length_m)
    lengths_m = np.array(lengths)
    assert lengths_m.min() == pytest.approx(100.0, abs=0.5)
    assert lengths_m.max() == pytest.approx(200.0, abs=0.5)


def test_formation_all_to_all_and_diagonals() -> None:
    lattice = con.formation_lattice_m(25, 400.0)
    assert len(tp.formation_edges(lattice, "all")) == 25 * 24 // 2
    diag = tp.formation_edges(lattice, "lattice", diagonal=True)
    sep = np.linalg.norm(lattice[:, None, :] - lattice[None, :, :], axis=-1)
    spacing = sep[sep > 0].min()
    i, j = np.nonzero(np.triu((sep > 0) & (sep <= np.sqrt(2) * spacing * (1 + 1e-9)), 1))
    assert {tuple(e) for e in diag} == set(zip(i.tolist(), j.tolist(), strict=True))
    assert np.bincount(diag.ravel(), minlength=25).max() == 8


def test_capacity_from_the_link_budget() -> None:
    """The budget's Starlink-like terminal as the capacity callable: every +Grid link of a 550 km shell is shorter
    than 5,400 km, so each carries at least the 100 Gbps Starlink sustains at that range (docs/sources.md), and the
    capacities are the budget's at the links' lengths."""
    capacity = functools.partial(isl_capacity_bps, link=starlink_laser_link())
    orbits = con.walker(550e3, np.radians(53.0), 1584, 72, 39)
    r = positions(orbits, 60.0)
    links = tp.evaluate_links(tp.plus_grid_edges(tp.walker_layout(orbits)), r, capacity)
    np.testing.assert_array_equal(links.capacity_bps, capacity(links.length_m))
    assert links.length_m.max() < tp.MAX_ISL_RANGE_M
    assert links.capacity_bps.min() >= 100e9
