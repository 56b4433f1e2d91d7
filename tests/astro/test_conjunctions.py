"""Conjunction screening (``orbitgrid.astro.conjunctions``): exact against all-pairs brute force, the closed form of a
crossing, whitelists, catalogue handling and bad input.

The brute-force oracle forms every pair at every step (no spatial index) and refines each range minimum with the
propagator itself by golden-section search on the true range (no interpolation), so it checks both the detection
guarantee and the Hermite refinement. Issue 17: same pairs, TCA within 1 s, miss distance within 10 m.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree

from orbitgrid.astro import conjunctions as cj
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2
from orbitgrid.astro.constellations import CircularOrbits, formation_lattice_m, walker
from orbitgrid.astro.elements import load_elements
from orbitgrid.astro.j2 import secular_rates

DATA = Path(__file__).resolve().parents[1] / "data" / "tle_starlink"
TCA_TOL_S = 1.0
MISS_TOL_M = 10.0


def _dense_shell(n: int, seed: int) -> CircularOrbits:
    """``n`` circular orbits at 550 +- 1 km, half at 53 deg and half sun-synchronous, random nodes and phases: dense
    enough for ~10^2 conjunctions below 2-3 km in a few minutes."""
    rng = np.random.default_rng(seed)
    a = EARTH_EQUATORIAL_RADIUS_M + 550e3 + rng.uniform(-1e3, 1e3, n)
    inc = np.radians(np.where(rng.random(n) < 0.5, 53.0, 97.6))
    return CircularOrbits(a, inc, rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n), np.zeros(n, np.int32))


def test_exact_against_brute_force_on_2000_satellites() -> None:
    orbits = _dense_shell(2000, seed=17)
    pop = cj.Population()
    pop.add("inner", cj.CircularSource(orbits.subset(slice(0, 1000))), 2_000.0)
    pop.add("outer", cj.CircularSource(orbits.subset(slice(1000, 2000))), 3_000.0)
    res = cj.screen(pop, 400.0, 20.0)
    ref = cj.brute_force_conjunctions(pop, 400.0, 20.0)
    assert len(ref) > 50, "the test population must produce conjunctions"
    ma, mb, only_screen, only_ref = cj.pairs_matching(res, ref, TCA_TOL_S)
    thr = np.maximum(np.array(pop.thresholds_m)[pop.shell_of[res.i]], np.array(pop.thresholds_m)[pop.shell_of[res.j]])
    thr_ref = np.maximum(
        np.array(pop.thresholds_m)[pop.shell_of[ref.i]], np.array(pop.thresholds_m)[pop.shell_of[ref.j]]
    )
    # a miss within the 10 m tolerance of the threshold may fall either side: only those may go unmatched
    assert all(abs(res.miss_m[p] - thr[p]) < MISS_TOL_M for p in only_screen), only_screen
    assert all(abs(ref.miss_m[q] - thr_ref[q]) < MISS_TOL_M for q in only_ref), only_ref
    assert np.max(np.abs(res.tca_s[ma] - ref.tca_s[mb])) < TCA_TOL_S
    assert np.max(np.abs(res.miss_m[ma] - ref.miss_m[mb])) < MISS_TOL_M
    assert np.max(np.abs(res.rel_speed_m_s[ma] - ref.rel_speed_m_s[mb])) < 1.0
    # the index never forms all pairs
    assert res.n_candidates < ref.n_candidates / 10


def test_crossing_course_closed_form() -> None:
    """Two circular orbits 500 m apart in radius and 30 deg apart in inclination, set to reach the same node at
    ``T`` = 317.3 s (off the 20 s grid): at ``T`` both sit on the node line, the separation is purely radial
    (500 m) and the relative velocity horizontal, so ``T`` is the TCA and 500 m the miss; the relative speed is
    ``|v_B - v_A|`` of the two node velocities, ``~2 v sin(15 deg)``."""
    t_star, dr, raan_star = 317.3, 500.0, 0.7
    a = np.array([EARTH_EQUATORIAL_RADIUS_M + 600e3, EARTH_EQUATORIAL_RADIUS_M + 600e3 + dr])
    inc = np.radians([53.0, 83.0])
    raan_dot, argp_dot, m_dot = secular_rates(a, inc)
    orbits = CircularOrbits(
        a, inc, raan_star - raan_dot * t_star, -(argp_dot + m_dot) * t_star, np.zeros(2, dtype=np.int32)
    )
    pop = cj.Population()
    pop.add("fleet", cj.CircularSource(orbits), 1_000.0)
    res = cj.screen(pop, 1_200.0, 20.0)
    assert len(res) == 1
    assert res.tca_s[0] == pytest.approx(t_star, abs=1e-3)
    assert res.miss_m[0] == pytest.approx(dr, abs=0.05)
    u_dot = argp_dot + m_dot
    node_dir = np.array([math.cos(raan_star), math.sin(raan_star), 0.0])
    tangent = [
        np.array([-math.sin(raan_star) * math.cos(i), math.cos(raan_star) * math.cos(i), math.sin(i)]) for i in inc
    ]
    v = [a[k] * (u_dot[k] * tangent[k] + raan_dot[k] * np.cross([0.0, 0.0, 1.0], node_dir)) for k in range(2)]
    assert res.rel_speed_m_s[0] == pytest.approx(np.linalg.norm(v[1] - v[0]), rel=1e-6)
    assert res.rel_speed_m_s[0] == pytest.approx(
        2 * math.sqrt(EARTH_MU_M3_S2 / a[0]) * math.sin(math.radians(15)), rel=0.01
    )


def test_formation_members_whitelisted() -> None:
    centres = CircularOrbits(
        np.array([EARTH_EQUATORIAL_RADIUS_M + 650e3]), np.array([1.7]), np.zeros(1), np.zeros(1), np.zeros(1, np.int32)
    )
    source = cj.FormationSource(centres, formation_lattice_m(9, 400.0))
    pop = cj.Population()
    pop.add("cluster", source, 1_000.0)
    assert len(cj.screen(pop, 600.0, 30.0)) == 0
    open_pop = cj.Population()
    open_pop.add("cluster", source, 1_000.0, group=np.full(9, -1))
    found = cj.screen(open_pop, 600.0, 30.0)
    assert len(found) >= 9  # every member has a neighbour within 1 km
    # members' velocities are the derivative of their positions (the Hermite refinement relies on it)
    _, v0 = source.states(100.0)
    r1, _ = source.states(100.5)
    rm, _ = source.states(99.5)
    assert np.max(np.abs((r1 - rm) - v0)) < 1e-2


def test_catalogue_pairs_counted_not_listed() -> None:
    elements = load_elements(DATA / "starlink_20260224_1413Z_slice.tle")
    epoch = dt.datetime(2026, 2, 24, 14, 0, tzinfo=dt.UTC)
    fleet = cj.Population()
    fleet.add("starlink", cj.ElementSource(elements, epoch), 60_000.0)
    as_fleet = cj.screen(fleet, 1_800.0, 10.0)
    assert len(as_fleet) > 0
    cat = cj.Population()
    cat.add("own", cj.CircularSource(_dense_shell(2, seed=1)), 1_000.0)
    cat.add("catalogue", cj.ElementSource(elements, epoch), 60_000.0, catalogue=True)
    as_cat = cj.screen(cat, 1_800.0, 10.0)
    assert not np.any(cat.shell_of[as_cat.i] + cat.shell_of[as_cat.j] == 2)  # never catalogue-catalogue
    assert as_cat.catalogue_pairs == len(as_fleet)


def test_manoeuvre_estimate_scales_from_starlink() -> None:
    m = cj.manoeuvres_per_day(9_400, fleet_encounters_per_day=94.0, reference_encounters_per_satellite_day=0.01)
    assert m["baseline_per_day"] == pytest.approx(148_696 / 183.0)
    assert m["encounter_scaled_per_day"] == pytest.approx(m["baseline_per_day"])
    assert cj.manoeuvres_per_day(18_800, 376.0, 0.01)["encounter_scaled_per_day"] == pytest.approx(4 * 148_696 / 183.0)


def test_min_separation_within_and_between_shells() -> None:
    orbits = _dense_shell(300, seed=3)
    pop = cj.Population()
    pop.add("a", cj.CircularSource(orbits.subset(slice(0, 150))), 1_000.0)
    pop.add("b", cj.CircularSource(orbits.subset(slice(150, 300))), 1_000.0)
    sep, tca, i, j = cj.min_separation(pop, 1_200.0, 20.0)
    assert sep.shape == (2, 2)
    # the reported minimum is never above the separation on a 2 s grid over all pairs, and within the distance
    # covered in 1 s (half the grid step) at the closest pair's relative speed (< 15.2 km/s) of it
    worst = np.full((2, 2), np.inf)
    for t in np.arange(0.0, 1_200.0 + 1e-9, 2.0):
        r, _ = pop.states(float(t))
        d = np.linalg.norm(r[:, None] - r[None, :], axis=-1)
        np.fill_diagonal(d, np.inf)
        for a in range(2):
            for b in range(2):
                worst[a, b] = min(worst[a, b], d[a * 150 : (a + 1) * 150, b * 150 : (b + 1) * 150].min())
    assert np.all(sep <= worst + 1.0)
    assert np.all(sep >= worst - 15_200.0)
    # the reported pair, time and distance agree
    r, _ = pop.states(tca[0, 1], np.array([i[0, 1], j[0, 1]]))
    assert np.linalg.norm(r[1] - r[0]) == pytest.approx(sep[0, 1], abs=1.0)
    # the minima taken from a screening's conjunctions (shell pairs with one) are the searched ones
    screened = cj.screen(pop, 1_200.0, 20.0)
    assert len(screened) > 0
    sep2, tca2, i2, j2 = cj.min_separation(pop, 1_200.0, 20.0, known=screened)
    assert np.allclose(sep2, sep, atol=1e-3, rtol=0.0)
    assert np.allclose(tca2, tca, atol=1e-3, rtol=0.0)
    assert np.array_equal(i2, i) and np.array_equal(j2, j)


def test_min_separation_of_shells_radially_apart_needs_no_search() -> None:
    """Two circular shells 60 km apart in radius never come within the 50 km horizon: known from their radii."""
    low, high = _dense_shell(50, seed=8), _dense_shell(50, seed=9)
    high = CircularOrbits(
        high.semi_major_axis_m + 60e3, high.inclination_rad, high.raan_rad, high.arg_latitude_rad, high.plane
    )
    pop = cj.Population()
    pop.add("low", cj.CircularSource(low), 1_000.0)
    pop.add("high", cj.CircularSource(high), 1_000.0)
    screened = cj.screen(pop, 600.0, 20.0)
    sep, _, i, _ = cj.min_separation(pop, 600.0, 20.0, known=screened)
    full, _, _, _ = cj.min_separation(pop, 600.0, 20.0)
    assert sep[0, 1] == np.inf and full[0, 1] == np.inf and i[0, 1] == -1
    assert np.allclose(sep, full, atol=1e-3, rtol=0.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.add("x", cj.CircularSource(_dense_shell(3, 0)), 0.0), "threshold must be a positive"),
        (lambda p: p.add("x", cj.CircularSource(_dense_shell(3, 0)), math.nan), "threshold must be a positive"),
        (lambda p: p.add("s", cj.CircularSource(_dense_shell(3, 0)), 1e3), "appears twice"),
        (lambda p: p.add("x", cj.CircularSource(_dense_shell(3, 0)), 1e3, group=np.zeros(2)), "one entry per object"),
        (lambda p: cj.screen(p, -5.0, 10.0), "duration must be a positive"),
        (lambda p: cj.screen(p, 100.0, 0.0), "step must be a positive"),
    ],
)
def test_bad_input_is_named(call: object, message: str) -> None:
    pop = cj.Population()
    pop.add("s", cj.CircularSource(_dense_shell(3, 1)), 1e3)
    with pytest.raises(cj.ScreeningError, match=message):
        call(pop)  # type: ignore[operator]


def test_catalogue_without_a_valid_state_is_an_error() -> None:
    from sgp4.api import WGS72, Satrec

    from orbitgrid.astro.elements import ElementSet

    bad = Satrec()  # eccentricity 1.5: SGP4 initialisation fails (error 1)
    bad.sgp4init(WGS72, "i", 1, 25_000.0, 0.0, 0.0, 0.0, 1.5, 0.0, 0.9, 0.0, 0.06, 0.0)
    pop = cj.Population()
    pop.add("broken", cj.ElementSource(ElementSet.from_satrecs([bad]), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)), 1e3)
    with pytest.raises(cj.ScreeningError, match="no object has a finite state"):
        cj.screen(pop, 60.0, 10.0)


# ------------------------------------------------------------------ the sweep screen against the k-d tree screen
#
# ``screen`` (radial layers, latitude bands, longitude sweeps, straight-line filter) must find exactly the closest
# approaches ``screen_kdtree`` (every pair within D + v_max h at a grid time refined) finds: the same pairs, TCA within
# 1 ms and miss distance within 1 mm (both refine with the same Hermite root finder; the states come from the numba
# kernel in one and from the numpy propagator in the other, which differ by float round-off only).

SAME_TCA_S = 1e-3
SAME_MISS_M = 1e-3


def _assert_same(a: cj.Conjunctions, b: cj.Conjunctions) -> None:
    ma, mb, only_a, only_b = cj.pairs_matching(a, b, SAME_TCA_S)
    assert not only_a and not only_b, (len(a), len(b), only_a[:5], only_b[:5])
    assert np.max(np.abs(a.miss_m[ma] - b.miss_m[mb]), initial=0.0) < SAME_MISS_M
    assert np.max(np.abs(a.rel_speed_m_s[ma] - b.rel_speed_m_s[mb]), initial=0.0) < 1e-3
    assert a.catalogue_pairs == b.catalogue_pairs


def _random_fleet(seed: int, n: int) -> cj.Population:
    """Three shells sharing 540-560 km (a 30 deg shell, a polar one reaching the poles, a sun-synchronous one) with
    thresholds of 2, 5 and 8 km, and formation clusters at 550 km: random nodes, phases and altitudes."""
    rng = np.random.default_rng(seed)
    pop = cj.Population()
    for name, inc_deg, thr in (("low", 30.0, 2_000.0), ("polar", 90.0, 5_000.0), ("sso", 97.6, 8_000.0)):
        a = EARTH_EQUATORIAL_RADIUS_M + rng.uniform(540e3, 560e3, n)
        orbits = CircularOrbits(
            a, np.radians(np.full(n, inc_deg)), rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n),
            np.zeros(n, np.int32),
        )  # fmt: skip
        pop.add(name, cj.CircularSource(orbits), thr)
    centres = CircularOrbits(
        EARTH_EQUATORIAL_RADIUS_M + np.full(20, 550e3), np.radians(np.full(20, 53.0)), rng.uniform(0, 2 * np.pi, 20),
        rng.uniform(0, 2 * np.pi, 20), np.zeros(20, np.int32),
    )  # fmt: skip
    pop.add("clusters", cj.FormationSource(centres, formation_lattice_m(9, 1_000.0)), 3_000.0)
    return pop


@pytest.mark.parametrize(("seed", "duration_s", "step_s"), [(1, 600.0, 10.0), (2, 1_000.0, 30.0), (3, 905.0, 60.0)])
def test_sweep_screen_finds_what_the_kdtree_screen_finds(seed: int, duration_s: float, step_s: float) -> None:
    pop = _random_fleet(seed, 700)
    a = cj.screen(pop, duration_s, step_s)
    b = cj.screen_kdtree(pop, duration_s, step_s)
    assert len(b) > 20, "the population must produce conjunctions"
    _assert_same(a, b)
    assert a.n_candidates < b.n_candidates / 10  # the straight-line filter refines few pairs


def test_sweep_screen_on_walker_shells() -> None:
    """Two designed shells crossing each other (Walker 53 deg: 1,584/72/17 at 550 km and 97.6 deg: 720/36/5 at
    550.5 km), 2 km threshold: the same conjunctions as the k-d tree screen over 30 min and as all-pairs brute force
    over the first 120 s (8 conjunctions). Satellites of one plane keep their along-track spacing (~1,980 km at 22
    per plane) and never pair with each other."""
    pop = cj.Population()
    pop.add("a", cj.CircularSource(walker(550e3, math.radians(53.0), 1_584, 72, 17)), 2_000.0)
    pop.add("b", cj.CircularSource(walker(550.5e3, math.radians(97.6), 720, 36, 5)), 2_000.0)
    a = cj.screen(pop, 1_800.0, 20.0)
    b = cj.screen_kdtree(pop, 1_800.0, 20.0)
    assert len(b) > 10
    _assert_same(a, b)
    early = cj.screen(pop, 120.0, 20.0)
    ref = cj.brute_force_conjunctions(pop, 120.0, 20.0)
    assert len(ref) > 0
    ma, mb, only_a, only_ref = cj.pairs_matching(early, ref, TCA_TOL_S)
    assert not only_a and not only_ref
    assert np.max(np.abs(early.tca_s[ma] - ref.tca_s[mb])) < TCA_TOL_S
    assert np.max(np.abs(early.miss_m[ma] - ref.miss_m[mb])) < MISS_TOL_M
    plane = np.concatenate([p.orbits.plane + 100 * k for k, p in enumerate(pop.sources)])  # type: ignore[union-attr]
    assert not np.any(plane[a.i] == plane[a.j])


def test_sweep_screen_with_element_sets_and_a_catalogue() -> None:
    """Element sets have no fixed radius range: they are swept against every layer they can reach."""
    elements = load_elements(DATA / "starlink_20260224_1413Z_slice.tle")
    epoch = dt.datetime(2026, 2, 24, 14, 0, tzinfo=dt.UTC)
    pop = cj.Population()
    pop.add("own", cj.CircularSource(_dense_shell(400, seed=5)), 20_000.0)
    pop.add("catalogue", cj.ElementSource(elements, epoch), 40_000.0, catalogue=True)
    a = cj.screen(pop, 1_200.0, 20.0)
    b = cj.screen_kdtree(pop, 1_200.0, 20.0)
    assert len(b) > 10 and b.catalogue_pairs > 0
    _assert_same(a, b)


def test_sweep_screen_across_the_date_line_and_the_poles() -> None:
    """Pairs set to meet at longitude +-180 deg (the sweep's wrap-around) and over a pole (a band with the whole
    circle as its window): each found once, at the closed-form time."""
    t_star = 213.7
    incs = np.radians([89.95, 90.05, 40.0, 140.0])
    a = np.full(4, EARTH_EQUATORIAL_RADIUS_M + 700e3) + np.array([0.0, 300.0, 0.0, 300.0])
    raan_dot, argp_dot, m_dot = secular_rates(a, incs)
    u_dot = argp_dot + m_dot
    # the polar pair meets over the north pole (u = 90 deg), the inclined pair at its ascending node at 180 deg
    raan = np.array([0.3, 0.3 + np.pi, np.pi, np.pi]) - raan_dot * t_star
    u = np.array([np.pi / 2, np.pi / 2, 0.0, 0.0]) - u_dot * t_star
    orbits = CircularOrbits(a, incs, raan, u, np.zeros(4, np.int32))
    pop = cj.Population()
    pop.add("x", cj.CircularSource(orbits), 1_000.0)
    for step in (10.0, 60.0):
        res = cj.screen(pop, 600.0, step)
        _assert_same(res, cj.screen_kdtree(pop, 600.0, step))
        assert sorted(zip(res.i.tolist(), res.j.tolist(), strict=True)) == [(0, 1), (2, 3)]
        assert np.all(np.abs(res.tca_s - t_star) < 0.01)


def test_screen_states_by_rotation_match_the_propagator() -> None:
    """The screen's circular states advance sines and cosines by rotation between exact evaluations every
    ``REANCHOR`` steps: over 200 regular steps and a shortened last one they stay within 1e-6 m and 1e-9 m/s of the
    J2 propagator (``j2.positions_teme_m``)."""
    pop = _random_fleet(4, 50)
    sweeper = cj._Sweeper(pop, pop.speed_bound_m_s(2_000.0))
    states = cj._StateBuffers(pop, sweeper.order, sweeper.pos_of)
    times = np.append(np.arange(201) * 10.0, 2_003.7)
    for k, t in enumerate(times):
        r, v = states.at(float(t), k % 2)
        r_ref, v_ref = pop.states(float(t))
        assert np.max(np.abs(r[sweeper.pos_of] - r_ref)) < 1e-6
        assert np.max(np.abs(v[sweeper.pos_of] - v_ref)) < 1e-9


def test_sweep_screen_on_a_continuum_of_altitudes_and_separate_shells() -> None:
    """Radius ranges spread without a gap over 150 km (cut into layers of D_max + widest range, compared with the
    next layer only), beside two thin shells each more than D_max from the rest (one layer each, never compared with
    another): the same conjunctions as the k-d tree screen."""
    rng = np.random.default_rng(23)
    n = 1_500
    alt = np.concatenate([rng.uniform(500e3, 650e3, n), rng.uniform(700e3, 702e3, n), rng.uniform(710e3, 712e3, n)])
    inc = np.radians(rng.choice([30.0, 53.0, 97.6], alt.size))
    orbits = CircularOrbits(
        EARTH_EQUATORIAL_RADIUS_M + alt, inc, rng.uniform(0, 2 * np.pi, alt.size),
        rng.uniform(0, 2 * np.pi, alt.size), np.zeros(alt.size, np.int32),
    )  # fmt: skip
    pop = cj.Population()
    pop.add("fleet", cj.CircularSource(orbits), 6_000.0)
    sweeper = cj._Sweeper(pop, pop.speed_bound_m_s(600.0))
    assert sweeper.n_quiet > 10 and sweeper.adjacent.sum() > 5 and not sweeper.adjacent.all()
    a = cj.screen(pop, 600.0, 20.0)
    b = cj.screen_kdtree(pop, 600.0, 20.0)
    assert len(b) > 20
    _assert_same(a, b)


def test_fast_longitude_and_band_within_their_bounds() -> None:
    """The sort's polynomial ``atan2`` stays within ``LON_ERROR_RAD`` of ``math.atan2`` (a dense sample of angles
    at radii from 1e-3 m to 1e8 m, the axes, and the signed zeros), and the band from the table of sines is the band
    of ``asin`` except within 1e-12 rad of a band edge."""
    from orbitgrid.astro import conjunction_kernels as ck

    rng = np.random.default_rng(3)
    ang = np.concatenate([np.linspace(-np.pi, np.pi, 200_001), rng.uniform(-np.pi, np.pi, 100_000)])
    ang = np.concatenate([ang, np.arange(-8, 9) * np.pi / 4])
    rad = 10.0 ** rng.uniform(-3, 8, ang.size)
    x, y = rad * np.cos(ang), rad * np.sin(ang)
    err = [abs(ck.fast_atan2(float(b), float(a)) - math.atan2(b, a)) for a, b in zip(x, y, strict=True)]
    err = np.minimum(np.array(err), 2 * np.pi - np.array(err))  # +-pi are the same longitude
    assert err.max() < ck.LON_ERROR_RAD
    for a, b in ((0.0, 0.0), (-0.0, 0.0), (-1.0, 0.0), (-1.0, -0.0), (0.0, -2.0)):
        assert -np.pi <= ck.fast_atan2(b, a) <= np.pi
    n_bands = 263
    band_rad = math.pi / n_bands
    sines, guess = ck.band_tables(n_bands)
    lat = np.concatenate([rng.uniform(-np.pi / 2, np.pi / 2, 50_000), [-np.pi / 2, 0.0, np.pi / 2]])
    got = np.array([ck._band_of(math.sin(p), sines, guess, n_bands) for p in lat])
    want = np.minimum(((lat + np.pi / 2) / band_rad).astype(np.int64), n_bands - 1)
    near_edge = np.abs((lat + np.pi / 2) / band_rad - np.round((lat + np.pi / 2) / band_rad)) * band_rad < 1e-12
    assert np.all((got == want) | near_edge)


def test_eccentric_element_sets_against_brute_force() -> None:
    """Eccentric element sets (e 0.01-0.06: apogees 140-900 km above perigees inside a dense 550 km shell, which
    they cross fast near perigee; no fixed radius range, so the free objects' sweep) screened with the shell: the
    same conjunctions as the all-pairs brute force refined on SGP4 itself (pairs, TCA within 1 s, miss within
    10 m)."""
    from sgp4.api import WGS72, Satrec

    from orbitgrid.astro.elements import ElementSet

    rng = np.random.default_rng(41)
    sats = []
    for k in range(100):
        e = rng.uniform(0.01, 0.06)
        a = (EARTH_EQUATORIAL_RADIUS_M + 550e3 + rng.uniform(-1e3, 1e3)) / (1.0 - e)
        n_rad_min = math.sqrt(EARTH_MU_M3_S2 / a**3) * 60.0
        s = Satrec()
        s.sgp4init(
            WGS72, "i", 90_000 + k, 27_000.0, 0.0, 0.0, 0.0, e, rng.uniform(0, 2 * np.pi), math.radians(53.0),
            rng.uniform(-0.2, 0.2), n_rad_min, rng.uniform(0, 2 * np.pi),
        )  # fmt: skip
        sats.append(s)
    epoch = dt.datetime(1949, 12, 31, tzinfo=dt.UTC) + dt.timedelta(days=27_000.0)
    pop = cj.Population()
    pop.add("shell", cj.CircularSource(_dense_shell(1_000, seed=43)), 15_000.0)
    pop.add("eccentric", cj.ElementSource(ElementSet.from_satrecs(sats), epoch), 15_000.0)
    res = cj.screen(pop, 300.0, 15.0)
    ref = cj.brute_force_conjunctions(pop, 300.0, 15.0)
    ecc = pop.shell_of[ref.i] + pop.shell_of[ref.j] >= 1
    assert ecc.sum() >= 10, "eccentric objects must take part in conjunctions"
    ma, mb, only_screen, only_ref = cj.pairs_matching(res, ref, TCA_TOL_S)
    thr = 15_000.0
    assert all(abs(res.miss_m[p] - thr) < MISS_TOL_M for p in only_screen), only_screen
    assert all(abs(ref.miss_m[q] - thr) < MISS_TOL_M for q in only_ref), only_ref
    assert np.max(np.abs(res.tca_s[ma] - ref.tca_s[mb])) < TCA_TOL_S
    assert np.max(np.abs(res.miss_m[ma] - ref.miss_m[mb])) < MISS_TOL_M


def test_relayout_changes_nothing_but_the_memory_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``REANCHOR`` steps the screen lays its positions out in the last sort's order (``RELAYOUT``). With a
    re-anchor every 3 steps, on circular shells, formation clusters and element sets together, the conjunctions are
    those found without re-layout and those of the k-d tree screen, and the states after many re-layouts are still the
    propagator's."""
    from orbitgrid.astro import conjunction_kernels as ck

    elements = load_elements(DATA / "starlink_20260224_1413Z_slice.tle")
    pop = _random_fleet(6, 400)
    pop.add("catalogue", cj.ElementSource(elements, dt.datetime(2026, 2, 24, 14, 0, tzinfo=dt.UTC)), 30_000.0, True)
    monkeypatch.setattr(ck, "REANCHOR", 3)
    moved = cj.screen(pop, 900.0, 20.0)
    monkeypatch.setattr(cj, "RELAYOUT", False)
    fixed = cj.screen(pop, 900.0, 20.0)
    assert len(moved) > 20 and moved.catalogue_pairs > 0
    _assert_same(moved, fixed)
    _assert_same(moved, cj.screen_kdtree(pop, 900.0, 20.0))
    monkeypatch.setattr(cj, "RELAYOUT", True)
    sweeper = cj._Sweeper(pop, pop.speed_bound_m_s(900.0))
    states = cj._StateBuffers(pop, sweeper.order, sweeper.pos_of)
    first_order = sweeper.order.copy()
    for k in range(40):
        t = 20.0 * k
        if k and states.anchor_due():
            states.relayout(sweeper.relayout()[1])
        r, v = states.at(t, k % 2)
        sweeper.pairs(r, v, t, 10.0, 10.0, 20.0)
        r_ref, v_ref = pop.states(t)
        ok = np.isfinite(r_ref).all(axis=1)
        assert np.max(np.abs(r[sweeper.pos_of][ok] - r_ref[ok])) < 1e-6
        assert np.max(np.abs(v[sweeper.pos_of][ok] - v_ref[ok])) < 1e-9
    assert not np.array_equal(sweeper.order, first_order)  # the layout did move
    assert np.array_equal(np.sort(sweeper.order), np.arange(len(pop)))


def _separate_shells(seed: int, n: int) -> cj.Population:
    """Three shells far apart in radius (each its own layer with its own relative-speed bound): 30 deg at 550 km,
    retrograde 140 deg at 700 km and sun-synchronous at 900 km, each 10 km thick, 5 km threshold."""
    return _thin_shells(seed, [("low", 30.0, 550.0, n), ("retro", 140.0, 700.0, n), ("sso", 97.6, 900.0, n)])


def _thin_shells(seed: int, shells: list[tuple[str, float, float, int]]) -> cj.Population:
    """Shells ``(name, inclination deg, altitude km, satellites)`` 10 km thick, random nodes and phases, 5 km
    threshold."""
    rng = np.random.default_rng(seed)
    pop = cj.Population()
    for name, inc_deg, alt_km, n in shells:
        a = EARTH_EQUATORIAL_RADIUS_M + 1e3 * rng.uniform(alt_km - 5.0, alt_km + 5.0, n)
        orbits = CircularOrbits(
            a, np.radians(np.full(n, inc_deg)), rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n),
            np.zeros(n, np.int32),
        )  # fmt: skip
        pop.add(name, cj.CircularSource(orbits), 5_000.0)
    return pop


def test_layer_speed_bounds_hold_and_narrow_the_search() -> None:
    """A shell of prograde orbits inclined 30 deg never closes on itself faster than ~v (orbit normals within 60 deg
    of each other), a retrograde 140 deg one faster than ~1.3 v: the screen searches those layers with that bound
    instead of 2 v_max. The bound holds for every pair within 200 km at 50 instants, and the screen still finds
    exactly what the k-d tree screen (2 v_max everywhere) finds, at 10 and 30 s steps."""
    pop = _separate_shells(8, 900)
    vmax = pop.speed_bound_m_s(600.0)
    sweeper = cj._Sweeper(pop, vmax)
    assert sweeper.n_quiet == 3
    spread, s_max, chord, node = sweeper.vrel_terms.T
    np.testing.assert_allclose(0.5 * chord, np.sin(np.radians([30.0, 40.0, 180.0 - 97.6])))
    pos_chord = 2.0 * 200e3 / (EARTH_EQUATORIAL_RADIUS_M + 540e3)
    bound = (1.0 + cj.SPEED_MARGIN) * (spread + s_max * (chord + pos_chord) + 2.0 * node)
    assert bound[0] < 1.1 * vmax and bound[1] < 1.4 * vmax  # the narrowing is real
    shells = [np.nonzero(pop.shell_of == k)[0] for k in range(3)]
    seen = 0
    for t in np.linspace(0.0, 6_000.0, 50):
        r, v = pop.states(float(t))
        for layer, ids in enumerate(shells):  # layers are ordered by radius, as the shells here
            tree = cKDTree(r[ids])
            pairs = tree.query_pairs(200e3, output_type="ndarray")
            dv = np.linalg.norm(v[ids[pairs[:, 0]]] - v[ids[pairs[:, 1]]], axis=1)
            seen += pairs.shape[0]
            assert np.all(dv <= bound[layer]), (layer, dv.max(), bound[layer])
    assert seen > 1_000
    for step in (10.0, 30.0):
        a = cj.screen(pop, 1_200.0, step)
        b = cj.screen_kdtree(pop, 1_200.0, step)
        assert len(b) > 20 and set(pop.shell_of[b.i]) == {0, 1, 2}
        _assert_same(a, b)


def test_equatorial_shells_prograde_retrograde_and_coplanar() -> None:
    """Bounds at their extremes: a segment holding prograde and retrograde equatorial orbits (head-on, no narrowing)
    and a co-planar prograde equatorial shell (normals all equal: only the speed spread, position and node terms
    remain, so the finest band height a layer asks for). The screen finds what the k-d tree screen finds."""
    pop = _thin_shells(11, [("pro", 0.0, 600.0, 150), ("retro", 180.0, 600.0, 150), ("flat", 0.0, 800.0, 800)])
    sweeper = cj._Sweeper(pop, pop.speed_bound_m_s(1_200.0))
    assert sweeper.n_quiet == 2
    np.testing.assert_allclose(sweeper.vrel_terms[:, 2], [2.0, 0.0], atol=1e-12)
    a = cj.screen(pop, 1_200.0, 20.0)
    b = cj.screen_kdtree(pop, 1_200.0, 20.0)
    shells = set(pop.shell_of[b.i].tolist()) | set(pop.shell_of[b.j].tolist())
    assert len(b) > 100 and shells == {0, 1, 2}
    _assert_same(a, b)
