"""Suncatcher-style formation clusters: the lattice, the bounded HCW motion, and HCW against two-body dynamics.

References: Agüera y Arcas et al., arXiv:2511.19468 (Project Suncatcher), sec. 2.2 and Fig. 3 (81 satellites,
R = 1 km, 650 km; neighbour distances oscillating between ~100 and ~200 m, twice per orbit; see
docs/sources.md). Clohessy & Wiltshire, J. Aerospace Sci. 27 (1960) 653.

The two-body reference integrates the chief and one member separately with scipy's DOP853 (rtol 1e-12,
atol 1e-6 m), the member started at ``chief + R_ric * offset`` with inertial velocity
``v_chief + R_ric * v_rel + omega x (R_ric * offset)``, ``v_rel`` the time derivative of the HCW offsets.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from orbitgrid.astro import constellations as cons
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2

A_M = EARTH_EQUATORIAL_RADIUS_M + 650e3
N_RAD_S = float(np.sqrt(EARTH_MU_M3_S2 / A_M**3))
PERIOD_S = 2.0 * np.pi / N_RAD_S
GEOMETRY_TOL_M = 1e-6

# HCW vs two-body after one orbit, R = 1 km (issue: within 1 m). Measured: 0.335 m for the member that starts
# radially offset (lattice (R, 0)); 1.676 m for the member that starts along track (lattice (0, R)), growing by
# the same amount every orbit (a second-order energy mismatch: the HCW initial state gives the member a semi-major
# axis ~R^2/a different from the chief's, hence a steady along-track drift of ~12 R^2/a per orbit).
HCW_TOL_M = 3.5  # after one orbit, R = 1 km at 650 km, any rim member: measured 1.68 m (~12 R^2/a)
RADIAL_START_TOL_M = 0.7  # measured 0.335 m
SECOND_ORDER_COEFF = 20.0  # error after one orbit, in units of R^2/a, any rim member: measured 11.78


def _lattice() -> np.ndarray:
    return cons.formation_lattice_m(81, 1000.0)


def test_lattice_has_81_distinct_points_within_1_km_spaced_200_m() -> None:
    lat = _lattice()
    assert lat.shape == (81, 2)
    assert len(np.unique(np.round(lat, 6), axis=0)) == 81
    r = np.linalg.norm(lat, axis=1)
    assert r.max() == pytest.approx(1000.0, abs=GEOMETRY_TOL_M)
    d = np.linalg.norm(lat[:, None] - lat[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_allclose(d.min(axis=1), 200.0, atol=GEOMETRY_TOL_M)  # every member's nearest neighbour
    np.testing.assert_allclose(lat.mean(axis=0), 0.0, atol=GEOMETRY_TOL_M)  # symmetric about the centre
    np.testing.assert_array_equal(cons.formation_lattice_m(1, 1000.0), np.zeros((1, 2)))


def test_every_member_stays_on_its_2_to_1_ellipse() -> None:
    lat = _lattice()
    t = np.linspace(0.0, 2.0 * PERIOD_S, 1_001)
    ric = cons.formation_relative_ric_m(lat, N_RAD_S, t)
    assert ric.shape == (81, t.size, 3)
    lhs = (2.0 * ric[..., 0]) ** 2 + ric[..., 1] ** 2
    np.testing.assert_allclose(lhs, np.broadcast_to((lat**2).sum(axis=1)[:, None], lhs.shape), rtol=1e-12, atol=1e-6)
    np.testing.assert_array_equal(ric[..., 2], 0.0)
    assert np.abs(ric[..., 0]).max() <= 500.0 + GEOMETRY_TOL_M  # +-R/2 radially
    assert np.abs(ric[..., 1]).max() <= 1000.0 + GEOMETRY_TOL_M  # +-R along track
    # Periodic with the orbit, and the epoch shape is the lattice stretched 2:1.
    np.testing.assert_allclose(ric[:, -1], ric[:, 0], atol=1e-6)
    np.testing.assert_allclose(ric[:, 0, 0], lat[:, 0] / 2.0)
    np.testing.assert_allclose(ric[:, 0, 1], -lat[:, 1])


def test_neighbour_distance_oscillates_100_to_200_m_twice_per_orbit() -> None:
    lat = _lattice()
    t = np.linspace(0.0, PERIOD_S, 2_001)
    ric = cons.formation_relative_ric_m(lat, N_RAD_S, t)
    d0 = np.linalg.norm(lat[:, None] - lat[None], axis=-1)
    i, j = np.nonzero(np.triu(np.isclose(d0, 200.0)))
    assert i.size == 140  # lattice edges among the 81 points of the disc
    dist = np.linalg.norm(ric[i] - ric[j], axis=-1)  # (pairs, times)
    np.testing.assert_allclose(dist.min(axis=1), 100.0, atol=1e-3)
    np.testing.assert_allclose(dist.max(axis=1), 200.0, atol=1e-3)
    # Two cycles per orbit: two maxima over one period (the start is a sample of either kind).
    inner = dist[:, 1:-1]
    maxima = ((inner > dist[:, :-2]) & (inner >= dist[:, 2:])).sum(axis=1)
    maxima += (dist[:, 0] > dist[:, 1]).astype(int)  # a maximum at t = 0 (= t = T)
    np.testing.assert_array_equal(maxima, 2)
    # No two members ever come closer than half their lattice spacing.
    for k in range(0, t.size, 25):
        x = ric[:, k]
        dd = np.linalg.norm(x[:, None] - x[None], axis=-1)
        np.fill_diagonal(dd, np.inf)
        assert dd.min() > 100.0 - 1e-6


def test_ric_to_inertial_is_a_rotation() -> None:
    r = np.array([A_M, 0.0, 0.0])
    v = np.array([0.0, 5e3, 5e3])
    ric = cons.formation_relative_ric_m(_lattice(), N_RAD_S, np.linspace(0, PERIOD_S, 7))
    out = cons.ric_to_inertial(r, v, ric)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(ric, axis=-1), atol=1e-9)
    # Radial goes along r, in-track along the velocity's direction (v is perpendicular to r here).
    np.testing.assert_allclose(cons.ric_to_inertial(r, v, np.array([3.0, 0.0, 0.0])), [3.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(
        cons.ric_to_inertial(r, v, np.array([0.0, 2.0, 0.0])), [0.0, np.sqrt(2.0), np.sqrt(2.0)], atol=1e-12
    )


# ------------------------------------------------------------------------------------------- HCW vs two-body


def _two_body(_t: float, y: np.ndarray) -> np.ndarray:
    out = np.empty_like(y)
    for k in (0, 6):
        r = y[k : k + 3]
        out[k : k + 3] = y[k + 3 : k + 6]
        out[k + 3 : k + 6] = -EARTH_MU_M3_S2 * r / np.linalg.norm(r) ** 3
    return out


def _ric_axes(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rows: radial, in-track, cross-track unit vectors of the state (r, v)."""
    rad = r / np.linalg.norm(r)
    cross = np.cross(r, v)
    cross /= np.linalg.norm(cross)
    return np.array([rad, np.cross(cross, rad), cross])


def _hcw_error_after_one_orbit_m(lattice_point: tuple[float, float]) -> float:
    lat = np.array([lattice_point], dtype=np.float64)

    def hcw(t: float) -> np.ndarray:
        return cons.formation_relative_ric_m(lat, N_RAD_S, np.array([t]))[0, 0]

    h = 1e-3
    offset, v_rel = hcw(0.0), (hcw(h) - hcw(-h)) / (2.0 * h)  # central difference: exact to ~1e-12 m/s
    inc = np.radians(97.99)  # any plane: a dawn-dusk-like inclination
    r_c = np.array([A_M, 0.0, 0.0])
    v_c = np.sqrt(EARTH_MU_M3_S2 / A_M) * np.array([0.0, np.cos(inc), np.sin(inc)])
    axes = _ric_axes(r_c, v_c)
    omega = N_RAD_S * axes[2]
    off_i = axes.T @ offset
    r_m = r_c + off_i
    v_m = v_c + axes.T @ v_rel + np.cross(omega, off_i)
    sol = solve_ivp(
        _two_body,
        (0.0, PERIOD_S),
        np.concatenate([r_c, v_c, r_m, v_m]),
        method="DOP853",
        rtol=1e-12,
        atol=1e-6,
    )
    y = sol.y[:, -1]
    offset_end = _ric_axes(y[0:3], y[3:6]) @ (y[6:9] - y[0:3])
    return float(np.linalg.norm(offset_end - hcw(PERIOD_S)))


def test_hcw_matches_two_body_after_one_orbit_radial_start() -> None:
    err = _hcw_error_after_one_orbit_m((1000.0, 0.0))
    print(f"member (R, 0): |HCW - two-body| after one orbit {err:.3f} m")
    assert err < RADIAL_START_TOL_M


def _rim_members() -> np.ndarray:
    lat = _lattice()
    return lat[np.isclose(np.linalg.norm(lat, axis=1), 1000.0)]


def test_hcw_matches_two_body_after_one_orbit_every_rim_member() -> None:
    errs = [_hcw_error_after_one_orbit_m(tuple(p)) for p in _rim_members()]
    print(f"rim members: max |HCW - two-body| after one orbit {max(errs):.3f} m")
    assert max(errs) < HCW_TOL_M


def test_hcw_error_is_second_order_in_the_cluster_size() -> None:
    """The HCW-vs-two-body gap scales as R^2 / a (doubling R quadruples it) and stays below 20 R^2 / a."""
    worst = 0.0
    for p, q in _rim_members():
        e1 = _hcw_error_after_one_orbit_m((p, q))
        e2 = _hcw_error_after_one_orbit_m((2.0 * p, 2.0 * q))
        assert e2 / e1 == pytest.approx(4.0, rel=0.05)
        worst = max(worst, e1 / (1000.0**2 / A_M))
    print(f"max error after one orbit: {worst:.2f} R^2/a")
    assert worst < SECOND_ORDER_COEFF
