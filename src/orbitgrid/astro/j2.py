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

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_J2, EARTH_MU_M3_S2


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


def nodal_period_s(semi_major_axis_m: np.ndarray | float, inclination_rad: np.ndarray | float) -> np.ndarray:
    """Draconitic (node-to-node) period of a circular orbit: ``2 pi / (domega/dt + dM/dt)``."""
    _, argp_dot, m_dot = secular_rates(semi_major_axis_m, inclination_rad)
    return 2.0 * np.pi / (argp_dot + m_dot)


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
