"""The co-location geometry (``astro.colocation``) against the J2 propagator the run uses, sampled and refined, and
against every satellite pair of small shells; published constellations that fly without meeting must pass."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from orbitgrid.astro import constellations as con
from orbitgrid.astro.colocation import (
    COINCIDENCE_TOLERANCE_M,
    ShellLayout,
    closest_approach_m,
    find_colocations,
    safest_phasing,
)
from orbitgrid.astro.j2 import nodal_period_s, positions_teme_m

R_EARTH_M = 6_378_137.0


def _sampled_closest_m(a: float, inc: float, raan: np.ndarray, u: np.ndarray) -> float:
    """Closest distance of two satellites over one nodal period of the J2 propagator: a 4,000-point scan, then
    Brent's method around the best sample (the separation has two equal minima per orbit)."""
    period = float(nodal_period_s(a, inc))

    def dist(t: np.ndarray) -> np.ndarray:
        r = positions_teme_m(np.full(2, a), np.full(2, inc), raan, u, np.atleast_1d(t))
        return np.asarray(np.linalg.norm(r[0] - r[1], axis=-1))

    t = np.linspace(0.0, period, 4001)
    d = dist(t)
    k = int(np.argmin(d))
    lo, hi = t[max(k - 1, 0)], t[min(k + 1, len(t) - 1)]
    res = minimize_scalar(
        lambda x: float(dist(np.array([x]))[0]), bounds=(lo, hi), method="bounded", options={"xatol": 1e-7}
    )
    return float(min(res.fun, d[k]))


def test_closed_form_matches_the_propagator_to_a_centimetre() -> None:
    rng = np.random.default_rng(2026)
    for _ in range(40):
        a = R_EARTH_M + rng.uniform(300e3, 2000e3)
        inc = rng.uniform(0.0, math.pi)
        raan = rng.uniform(0.0, 2 * math.pi, 2)
        u = rng.uniform(0.0, 2 * math.pi, 2)
        want = _sampled_closest_m(a, inc, raan, u)
        got = float(closest_approach_m(a, inc, raan[1] - raan[0], u[0] - u[1]))
        assert got == pytest.approx(want, abs=0.01), (a, inc, raan, u)


def test_satellites_that_meet_at_a_node_are_found_at_zero() -> None:
    # Walker 53 deg: 6/2/1: satellite 0 (node 0, u = 0) and satellite 4 (node 180, u = 180) are both on the +x axis
    o = con.walker(550e3, math.radians(53.0), 6, 2, 1)
    sampled = _sampled_closest_m(
        o.semi_major_axis_m[0], o.inclination_rad[0], o.raan_rad[[0, 4]], o.arg_latitude_rad[[0, 4]]
    )
    assert sampled < 1e-6
    (c,) = find_colocations([ShellLayout("w", con.walker_pattern(550e3, math.radians(53.0), 6, 2, 1))])
    assert (c.kind, c.pairs, c.first_plane, c.second_plane) == ("coincide", 3, 0, 1)
    assert c.min_distance_m < 1e-6


def _brute(layouts: list[ShellLayout], i: int, j: int, limit_m: float) -> tuple[float, int]:
    """Closest approach and pairs within ``limit_m`` over every track pair of shells i and j (i == j: distinct
    tracks of one shell), from the closed form pair by pair."""
    a, b = layouts[i].pattern.orbits(), layouts[j].pattern.orbits()
    r = 0.5 * (layouts[i].pattern.semi_major_axis_m + layouts[j].pattern.semi_major_axis_m)
    inc = layouts[i].pattern.inclination_rad
    d = closest_approach_m(
        r, inc, b.raan_rad[None, :] - a.raan_rad[:, None], a.arg_latitude_rad[:, None] - b.arg_latitude_rad[None, :]
    )
    if i == j:
        d = d[np.triu_indices(len(a), k=1)]
    return float(d.min()), int(np.count_nonzero(d <= limit_m))


def _random_pattern(rng: np.random.Generator, inc: float, raan0: float) -> con.Pattern:
    planes = int(rng.integers(1, 7))
    per_plane = int(rng.integers(1, 13))
    phasing = int(rng.integers(0, planes))
    span = float(rng.choice([2 * math.pi, math.pi, rng.uniform(0.0, 2 * math.pi)]))
    return con.Pattern(R_EARTH_M + 700e3, inc, planes, per_plane, phasing, raan0, span)


@pytest.mark.parametrize("seed", range(12))
def test_every_pair_counted_as_the_brute_force_counts_it(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inc = float(rng.choice([math.radians(53.0), math.pi / 2, math.radians(97.6), rng.uniform(0.0, math.pi)]))
    envelopes = [float(rng.choice([0.0, 5e3])), float(rng.choice([0.0, 5e3]))]
    # the second shell shares the first's nodes half the time (shared planes and exact meetings), else is turned
    turn = float(rng.choice([0.0, rng.uniform(0.0, 2 * math.pi)]))
    layouts = [
        ShellLayout("a", _random_pattern(rng, inc, 0.0), envelopes[0]),
        ShellLayout("b", _random_pattern(rng, inc, turn), envelopes[1]),
    ]
    close_m = 800e3  # wide, so the counts run over many lattice values
    found = {(c.first, c.second): c for c in find_colocations(layouts, close_approach_m=close_m)}
    for i, j in ((0, 0), (0, 1), (1, 1)):
        if i == j and layouts[i].pattern.total == 1:
            assert (i, j) not in found
            continue
        env = envelopes[i] + envelopes[j]
        d_min, meet = _brute(layouts, i, j, env + COINCIDENCE_TOLERANCE_M)
        _, close = _brute(layouts, i, j, env + close_m)
        c = found.get((i, j))
        if meet:
            assert c is not None and (c.kind, c.pairs) == ("coincide", meet)
        elif close:
            assert c is not None and (c.kind, c.pairs) == ("close", close)
        else:
            assert c is None or c.kind == "shared_orbit"
            continue
        assert c.min_distance_m == pytest.approx(d_min, abs=1e-3)


def test_shells_on_one_plane_that_never_meet_share_an_orbit() -> None:
    inc = math.radians(53.0)
    one = con.walker_pattern(700e3, inc, 10, 1, 0, raan0_rad=math.radians(90.0))
    # three planes turned so that plane 1 lies on the first shell's plane, its satellites 12 deg behind (36 deg apart)
    three = con.walker_pattern(700e3, inc, 30, 3, 1, raan0_rad=math.radians(330.0))
    layouts = [ShellLayout("one", one), ShellLayout("three", three)]
    between = [c for c in find_colocations(layouts, close_approach_m=0.0) if c.first != c.second]
    d_min, _ = _brute(layouts, 0, 1, 0.0)
    assert d_min > 100e3  # the planes that cross keep them apart too
    (c,) = between
    assert (c.kind, c.pairs, c.first_plane, c.second_plane) == ("shared_orbit", 1, 0, 1)
    assert c.min_distance_m == pytest.approx(2 * one.semi_major_axis_m * math.sin(math.radians(6.0)), rel=1e-9)


def test_polar_walker_delta_planes_half_a_turn_apart_always_meet() -> None:
    # At 90 deg, planes whose nodes differ by 180 deg are one plane flown both ways: satellites meet whatever the
    # phasing, which is why polar constellations are Walker stars (nodes over 180 deg)
    delta = con.walker_pattern(780e3, math.pi / 2, 24, 4, 1)
    (c,) = find_colocations([ShellLayout("delta", delta)])
    assert c.kind == "coincide" and c.min_distance_m < COINCIDENCE_TOLERANCE_M
    assert safest_phasing(delta)[1] < COINCIDENCE_TOLERANCE_M
    star = con.walker_pattern(780e3, math.pi / 2, 24, 4, 1, "star")
    assert find_colocations([ShellLayout("star", star)]) == []


@pytest.mark.parametrize(
    ("name", "altitude_km", "inclination_deg", "total", "planes", "phasing", "kind"),
    [
        # published Walker patterns of constellations that fly (Walker 1984; the operators' system descriptions)
        ("Galileo 56:24/3/1", 23_222, 56.0, 24, 3, 1, "delta"),
        ("GLONASS 64.8:24/3/1", 19_100, 64.8, 24, 3, 1, "delta"),
        ("Iridium 86.4:66/6/2 star", 780, 86.4, 66, 6, 2, "star"),
        ("Starlink Gen1 53:1584/72/39", 550, 53.0, 1584, 72, 39, "delta"),
    ],
)
def test_published_constellations_pass(
    name: str, altitude_km: float, inclination_deg: float, total: int, planes: int, phasing: int, kind: str
) -> None:
    pattern = con.walker_pattern(altitude_km * 1e3, math.radians(inclination_deg), total, planes, phasing, kind)
    assert [c for c in find_colocations([ShellLayout(name, pattern)]) if c.kind == "coincide"] == []


def test_same_altitude_different_inclinations_are_not_compared() -> None:
    # they drift through each other and meet only by chance: the screener's business, not a co-location
    a = con.walker_pattern(550e3, math.radians(53.0), 1584, 72, 17)
    b = con.walker_pattern(550e3, math.radians(70.0), 720, 36, 1)
    c = con.walker_pattern(550e3, math.radians(97.6), 348, 6, 1)
    assert [
        f
        for f in find_colocations([ShellLayout("a", a), ShellLayout("b", b), ShellLayout("c", c)])
        if f.first != f.second
    ] == []


def test_safest_phasing_is_the_brute_force_best() -> None:
    base = con.walker_pattern(560e3, math.radians(97.6), 172, 4, 1)
    best = []
    for f in range(base.planes):
        trial = con.walker_pattern(560e3, math.radians(97.6), 172, 4, f)
        best.append(_brute([ShellLayout("t", trial)], 0, 0, 0.0)[0])
    f, d = safest_phasing(base)
    assert f == int(np.argmax(best)) and d == pytest.approx(max(best), abs=1e-3)
    assert best[1] < 1e-6 and d > 60e3  # phasing 1 meets (planes 0 and 2); phasing 0 keeps 67 km


def test_formation_cluster_flown_through_is_a_coincidence() -> None:
    # a satellite whose closest approach to a cluster's reference orbit is inside the cluster radius
    sso = con.sun_synchronous_pattern(650e3, 18.0, 1, 20, 0.0, 0.0)
    clusters = con.sun_synchronous_pattern(650e3, 18.0, 1, 12, 0.0, 0.0)
    (c,) = find_colocations([ShellLayout("sso", sso), ShellLayout("clusters", clusters, 1e3)])
    assert (c.kind, c.first, c.second, c.pairs) == ("coincide", 0, 1, 4)  # gcd(20, 12) slots line up
    higher = con.sun_synchronous_pattern(670e3, 18.0, 1, 12, 0.0, 0.0)
    assert find_colocations([ShellLayout("sso", sso), ShellLayout("clusters", higher, 1e3)]) == []


def test_shells_a_few_metres_apart_are_compared_with_the_offset_added() -> None:
    """Moving a copy of a shell 2 m up used to hide it from the check: the closed form ran only for radii within 1 m.
    Its satellites then sit 2 m from the original's at the epoch and drift apart by only ~0.3 km a day (J2 at 550 km,
    53 deg): a close approach to warn about, never a coincidence (they cannot come closer than the 2 m)."""
    inc = math.radians(53.0)
    low = con.walker_pattern(550e3, inc, 60, 6, 1)
    high = con.walker_pattern(550.002e3, inc, 60, 6, 1)
    (c,) = [f for f in find_colocations([ShellLayout("low", low), ShellLayout("high", high)]) if f.first != f.second]
    assert (c.kind, c.pairs) == ("close", 60)
    assert c.min_distance_m == pytest.approx(2.0, abs=1e-6)
    # the propagator: satellite 0 of each shell, one nodal period from the epoch
    o_low, o_high = low.orbits(), high.orbits()
    raan = np.array([o_low.raan_rad[0], o_high.raan_rad[0]])
    u = np.array([o_low.arg_latitude_rad[0], o_high.arg_latitude_rad[0]])
    a = np.array([low.semi_major_axis_m, high.semi_major_axis_m])
    t = np.linspace(0.0, float(nodal_period_s(low.semi_major_axis_m, inc)), 200)
    r = positions_teme_m(a, np.full(2, inc), raan, u, t)
    sep = np.linalg.norm(r[0] - r[1], axis=-1)
    assert float(sep.min()) == pytest.approx(2.0, abs=0.5)
    # an offset beyond the close-approach distance leaves the shells to the conjunction screener
    far = con.walker_pattern(551.5e3, inc, 60, 6, 1)
    assert [
        f for f in find_colocations([ShellLayout("low", low), ShellLayout("far", far)]) if f.first != f.second
    ] == []
