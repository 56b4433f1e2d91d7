"""Analytic J2 secular propagation of circular orbits (the fast path for designed shells).

Model
-----
First-order secular rates of Brouwer theory from the Earth's J2 zonal harmonic (Vallado, *Fundamentals of
Astrodynamics and Applications*, 4th ed., eqs. 9-41 and 9-42; the same first-order terms SGP4 carries in
``nodedot``, ``argpdot`` and ``mdot``)::

    p = a (1 - e^2),  n0 = sqrt(mu / a^3),  k = J2 (R/p)^2
    dOmega/dt = -3/2 n0 k cos i
    domega/dt =  3/4 n0 k (5 cos^2 i - 1)
    dM/dt     =  n0 [1 + 3/4 k sqrt(1 - e^2) (3 cos^2 i - 1)]

``a`` is the Brouwer mean semi-major axis. For element sets it must come from the Brouwer ("un-Kozai'd") mean
motion, as SGP4 computes it (``Satrec.no_unkozai``); using the TLE's Kozai mean motion directly puts the satellite
hundreds of km along track after a day. A circular orbit is then a rotation of the argument of latitude
``u = omega + M`` at ``du/dt = domega/dt + dM/dt`` in a plane whose node regresses at ``dOmega/dt``.

Validity
--------
Near-circular orbits (e < ~0.01) from ~300 km (drag is not modelled) to GEO. Short-period J2 terms (~10 km in
radius and along track in LEO) and J3/J4, drag and third bodies are left out: against SGP4 from the same mean
elements the position differs by < 25 km after 24 h for circular orbits of 500-1,200 km
(``tests/validation/test_j2_vs_sgp4.py`` states the measured figure).
"""

from __future__ import annotations

import numpy as np

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_J2, EARTH_J3, EARTH_MU_M3_S2


def mean_motion_rad_s(semi_major_axis_m: np.ndarray | float) -> np.ndarray:
    """Keplerian mean motion ``sqrt(mu/a^3)`` of the mean semi-major axis."""
    a = np.asarray(semi_major_axis_m, dtype=np.float64)
    return np.sqrt(EARTH_MU_M3_S2 / a**3)


def semi_major_axis_m(mean_motion_rad_s_: np.ndarray | float) -> np.ndarray:
    """Mean semi-major axis from a (Brouwer) mean motion."""
    n = np.asarray(mean_motion_rad_s_, dtype=np.float64)
    return (EARTH_MU_M3_S2 / n**2) ** (1.0 / 3.0)


def secular_rates(
    semi_major_axis_m: np.ndarray | float,
    inclination_rad: np.ndarray | float,
    eccentricity: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """J2 secular rates ``(raan_dot, argp_dot, mean_anomaly_dot)`` in rad/s."""
    a = np.asarray(semi_major_axis_m, dtype=np.float64)
    i = np.asarray(inclination_rad, dtype=np.float64)
    e = np.asarray(eccentricity, dtype=np.float64)
    n0 = mean_motion_rad_s(a)
    p = a * (1.0 - e * e)
    k = EARTH_J2 * (EARTH_EQUATORIAL_RADIUS_M / p) ** 2
    c = np.cos(i)
    raan_dot = -1.5 * n0 * k * c
    argp_dot = 0.75 * n0 * k * (5.0 * c * c - 1.0)
    m_dot = n0 * (1.0 + 0.75 * k * np.sqrt(1.0 - e * e) * (3.0 * c * c - 1.0))
    return raan_dot, argp_dot, m_dot


def nodal_period_s(
    semi_major_axis_m: np.ndarray | float,
    inclination_rad: np.ndarray | float,
    eccentricity: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Nodal (draconitic, ascending node to ascending node) period under J2: ``2 pi / (domega/dt + dM/dt)``.

    The mean time between node crossings for Brouwer mean elements ``a``, ``i``, ``e`` (Vallado, 4th ed., §9.6: the
    nodal period is the time between successive ascending-node passages, ``2 pi`` over the secular rate of the
    argument of latitude). It differs from :func:`keplerian_period_s` by ``-3/4 J2 (R/p)^2`` times
    ``(5 cos^2 i - 1) + sqrt(1 - e^2) (3 cos^2 i - 1)`` relative, to first order: -3.5 s at 550 km and 53 deg,
    +7.4 s at 550 km sun-synchronous (97.6 deg).
    Validated against the node-to-node time of SGP4 (``tests/validation/test_nodal_period.py``).
    """
    _, argp_dot, m_dot = secular_rates(semi_major_axis_m, inclination_rad, eccentricity)
    return np.asarray(2.0 * np.pi / (argp_dot + m_dot))


def keplerian_period_s(semi_major_axis_m: np.ndarray | float) -> np.ndarray:
    """Two-body (Keplerian) period ``2 pi sqrt(a^3 / mu)`` of a (mean) semi-major axis: no J2."""
    return np.asarray(2.0 * np.pi / mean_motion_rad_s(semi_major_axis_m))


def positions_teme_m(
    semi_major_axis_m: np.ndarray,
    inclination_rad: np.ndarray,
    raan_rad: np.ndarray,
    arg_latitude_rad: np.ndarray,
    t_s: np.ndarray,
    with_velocity: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Positions (and velocities) of circular orbits at ``t_s``, shape ``(n_sat, n_t, 3)``, metres (m/s).

    The numpy reference implementation: the numba kernel in ``orbitgrid.astro.kernels`` is tested against it.
    """
    a = np.asarray(semi_major_axis_m, dtype=np.float64)[:, None]
    inc = np.asarray(inclination_rad, dtype=np.float64)[:, None]
    raan_dot, argp_dot, m_dot = secular_rates(a, inc)
    t = np.asarray(t_s, dtype=np.float64)[None, :]
    raan = np.asarray(raan_rad, dtype=np.float64)[:, None] + raan_dot * t
    u_dot = argp_dot + m_dot
    u = np.asarray(arg_latitude_rad, dtype=np.float64)[:, None] + u_dot * t
    cu, su = np.cos(u), np.sin(u)
    co, so = np.cos(raan), np.sin(raan)
    ci, si = np.cos(inc), np.sin(inc)
    r = np.stack([cu * co - su * ci * so, cu * so + su * ci * co, su * si], axis=-1) * a[..., None]
    if not with_velocity:
        return r
    # d/dt of the unit vector: u_dot * dP/du + raan_dot * dP/dOmega.
    dpdu = np.stack([-su * co - cu * ci * so, -su * so + cu * ci * co, cu * si], axis=-1)
    dpdo = np.stack([-cu * so - su * ci * co, cu * co - su * ci * so, np.zeros_like(cu)], axis=-1)
    v = (dpdu * u_dot[..., None] + dpdo * raan_dot[..., None]) * a[..., None]
    return r, v


def solve_kepler(mean_anomaly_rad: np.ndarray, eccentricity: np.ndarray) -> np.ndarray:
    """Eccentric anomaly from Kepler's equation ``E - e sin E = M`` by Newton's method (e < 0.9)."""
    m = np.mod(np.asarray(mean_anomaly_rad, dtype=np.float64), 2.0 * np.pi)
    e = np.asarray(eccentricity, dtype=np.float64)
    ecc_anom = np.where(e < 0.8, m, np.pi)
    for _ in range(12):
        f = ecc_anom - e * np.sin(ecc_anom) - m
        ecc_anom = ecc_anom - f / (1.0 - e * np.cos(ecc_anom))
    return ecc_anom


def _j3_long_period_positions(a, e, inc, raan, argp, m):
    """Positions (m) from mean elements with the J3 long-period terms SGP4 applies (Hoots & Roehrich 1980, eqs.
    for ``a_yNL`` and ``L``; Vallado et al. 2006, ``sgp4`` near-Earth long-period periodics), no short periodics."""
    sin_i, cos_i = np.sin(inc), np.cos(inc)
    j3_over_j2 = EARTH_J3 / EARTH_J2
    aycof = -0.5 * j3_over_j2 * sin_i
    denom = np.where(np.abs(1.0 + cos_i) > 1.5e-12, 1.0 + cos_i, 1.5e-12)
    xlcof = -0.25 * j3_over_j2 * sin_i * (3.0 + 5.0 * cos_i) / denom
    p_over_r = (a / EARTH_EQUATORIAL_RADIUS_M) * (1.0 - e * e)
    axn = e * np.cos(argp)
    ayn = e * np.sin(argp) + aycof / p_over_r
    xl = m + argp + raan + xlcof * axn / p_over_r
    u_mean = np.mod(xl - raan, 2.0 * np.pi)
    ew = u_mean.copy()  # Kepler's equation in the eccentric longitude
    for _ in range(10):
        sew, cew = np.sin(ew), np.cos(ew)
        f = ew - axn * sew + ayn * cew - u_mean
        ew = ew - f / (1.0 - axn * cew - ayn * sew)
    sew, cew = np.sin(ew), np.cos(ew)
    ecose = axn * cew + ayn * sew
    esine = axn * sew - ayn * cew
    el2 = axn * axn + ayn * ayn
    rl = a * (1.0 - ecose)
    betal = np.sqrt(1.0 - el2)
    k = esine / (1.0 + betal)
    sinu = a / rl * (sew - ayn - axn * k)
    cosu = a / rl * (cew - axn + ayn * k)
    co, so = np.cos(raan), np.sin(raan)
    return (
        np.stack([cosu * co - sinu * cos_i * so, cosu * so + sinu * cos_i * co, sinu * sin_i], axis=-1) * rl[..., None]
    )


def mean_element_states_teme(
    semi_major_axis_m: np.ndarray,
    eccentricity: np.ndarray,
    inclination_rad: np.ndarray,
    raan_rad: np.ndarray,
    arg_perigee_rad: np.ndarray,
    mean_anomaly_rad: np.ndarray,
    t_s: np.ndarray,
    j3_long_period: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities ``(n_sat, n_t, 3)`` of eccentric orbits under J2 secular rates (m, m/s).

    Elements are Brouwer mean elements at ``t = 0`` (per satellite, shape ``(n_sat,)``; ``t_s`` may be
    ``(n_t,)`` or ``(n_sat, n_t)``). The node, perigee and mean anomaly advance at the rates of ``secular_rates``;
    the orbit is the Keplerian ellipse of the mean elements at each instant. The velocity is the time derivative of
    that position (in-plane motion, perigee advance and the turning node), so a Hermite interpolant of the states
    reproduces the model between grid points.

    With ``j3_long_period`` the J3 long-period terms SGP4 applies are added: the odd zonal harmonic J3 holds a
    near-circular LEO orbit's eccentricity vector near ``(0, -J3/(2 J2) (R/p) sin i)`` (~9e-4 for Starlink, a 6 km
    radial and 12 km along-track oscillation once per orbit). Velocities then come from a central difference
    over +-0.5 s (error < 1 mm/s).
    """
    a = np.asarray(semi_major_axis_m, dtype=np.float64)[:, None]
    e = np.asarray(eccentricity, dtype=np.float64)[:, None]
    inc = np.asarray(inclination_rad, dtype=np.float64)[:, None]
    raan_dot, argp_dot, m_dot = secular_rates(a, inc, e)
    t = np.asarray(t_s, dtype=np.float64)
    t = t[None, :] if t.ndim == 1 else t
    m = np.asarray(mean_anomaly_rad, dtype=np.float64)[:, None] + m_dot * t
    w = np.asarray(arg_perigee_rad, dtype=np.float64)[:, None] + argp_dot * t
    o = np.asarray(raan_rad, dtype=np.float64)[:, None] + raan_dot * t
    if j3_long_period:
        eb = np.broadcast_to(e, m.shape)
        ib = np.broadcast_to(inc, m.shape)
        ab = np.broadcast_to(a, m.shape)
        rates = (raan_dot, argp_dot, m_dot)
        pos = [
            _j3_long_period_positions(ab, eb, ib, o + rates[0] * dt, w + rates[1] * dt, m + rates[2] * dt)
            for dt in (-0.5, 0.0, 0.5)
        ]
        return pos[1], pos[2] - pos[0]
    ecc_anom = solve_kepler(m, np.broadcast_to(e, m.shape))
    one_minus = 1.0 - e * np.cos(ecc_anom)
    radius = a * one_minus
    nu = 2.0 * np.arctan2(np.sqrt(1.0 + e) * np.sin(0.5 * ecc_anom), np.sqrt(1.0 - e) * np.cos(0.5 * ecc_anom))
    u = w + nu
    e_dot = m_dot / one_minus
    r_dot = a * e * np.sin(ecc_anom) * e_dot
    u_dot = argp_dot + m_dot * np.sqrt(1.0 - e * e) / one_minus**2
    cu, su = np.cos(u), np.sin(u)
    co, so = np.cos(o), np.sin(o)
    ci, si = np.cos(inc), np.sin(inc)
    er = np.stack([cu * co - su * ci * so, cu * so + su * ci * co, su * si], axis=-1)
    eu = np.stack([-su * co - cu * ci * so, -su * so + cu * ci * co, cu * si], axis=-1)
    r = radius[..., None] * er
    z_cross_r = np.stack([-r[..., 1], r[..., 0], np.zeros_like(r[..., 0])], axis=-1)
    v = r_dot[..., None] * er + (radius * u_dot)[..., None] * eu + raan_dot[..., None] * z_cross_r
    return r, v
