"""Earth-orientation and ellipsoid conversions: TEME -> Earth-fixed, and WGS84 geodetic coordinates.

TEME -> ECEF
    SGP4 states are in TEME (true equator, mean equinox of date). Following Vallado et al., "Revisiting
    Spacetrack Report #3" (AIAA 2006-6753), sec. on coordinate frames, and Vallado, *Fundamentals of
    Astrodynamics and Applications*, 4th ed., sec. 3.7: the pseudo-Earth-fixed frame is

        r_PEF = R3(GMST_82) r_TEME,        v_PEF = R3(GMST_82) v_TEME - omega_E x r_PEF,

    and r_ITRF = W r_PEF with the polar-motion matrix W. Here W is taken as identity (polar motion ignored:
    the pole wanders < 0.5 arcsec, i.e. < ~15 m at LEO radius), and UT1 = UTC unless ``ut1_minus_utc_s`` is
    given (|UT1 - UTC| < 0.9 s by IERS rule, i.e. up to ~450 m of rotation at LEO radius; in 2020-2026 it is <
    0.3 s). The result is therefore "ECEF" at the ~10-100 m level, which is what coverage, ground tracks and
    link geometry need; measured against Skyfield's ITRS (full IAU 2000/2006 chain with IERS UT1) in
    tests/validation/test_frames_skyfield.py.

GMST
    IAU 1982 GMST (Aoki et al. 1982; Vallado eq. 3-47), the sidereal time TEME is defined with:

        GMST[s] = 67310.54841 + (876600 h + 8640184.812866 s) T + 0.093104 T^2 - 6.2e-6 T^3,
        T = (JD_UT1 - 2451545.0) / 36525.

    The 876600 h term is 86400 s per day elapsed, i.e. a whole number of turns plus the UT1 day fraction, so
    it is evaluated from the split Julian date (whole, fraction) to keep full double precision.

Geodetic
    WGS84 ellipsoid (NIMA TR8350.2). ECEF -> geodetic uses Vermeille's closed form (H. Vermeille, "Direct
    transformation from geocentric coordinates to geodetic coordinates", J. Geodesy 76 (2002) 451-454, and
    "Computing geodetic coordinates from geocentric coordinates", J. Geodesy 78 (2004) 94-95), exact up to
    rounding (round trip < 1e-6 m from -1 km to GEO altitude); valid for points outside the ellipsoid's
    evolute, i.e. more than ~43 km from the Earth's centre (every real satellite or site).
"""

from __future__ import annotations

import numpy as np

from orbitgrid.astro.constants import EARTH_ROTATION_RAD_S, J2000_JD, SECONDS_PER_DAY, WGS84_A_M, WGS84_E2

__all__ = ["ecef_to_geodetic", "geodetic_to_ecef", "gmst_rad", "teme_to_ecef", "teme_to_ecef_rv"]

_TWO_PI = 2.0 * np.pi
_DAYS_PER_CENTURY = 36525.0


def gmst_rad(jd_ut1_whole: np.ndarray | float, jd_ut1_fr: np.ndarray | float) -> np.ndarray:
    """IAU-82 Greenwich mean sidereal time in radians, in [0, 2*pi), from a split UT1 Julian date."""
    jd = np.asarray(jd_ut1_whole, dtype=np.float64)
    fr = np.asarray(jd_ut1_fr, dtype=np.float64)
    t = ((jd - J2000_JD) + fr) / _DAYS_PER_CENTURY
    g_s = 67310.54841 + (8640184.812866 + (0.093104 - 6.2e-6 * t) * t) * t
    turns = (np.mod(jd, 1.0) + np.mod(fr, 1.0) + g_s / SECONDS_PER_DAY) % 1.0
    return turns * _TWO_PI


def _rotation_angle(jd: np.ndarray | float, fr: np.ndarray | float, ut1_minus_utc_s: float) -> np.ndarray:
    fr_ut1 = np.asarray(fr, dtype=np.float64) + ut1_minus_utc_s / SECONDS_PER_DAY
    return gmst_rad(jd, fr_ut1)


def teme_to_ecef(
    r_m: np.ndarray, jd: np.ndarray | float, fr: np.ndarray | float, ut1_minus_utc_s: float = 0.0
) -> np.ndarray:
    """Rotate TEME positions into the Earth-fixed frame (PEF; polar motion ignored).

    ``r_m`` has shape ``(..., n_t, 3)`` (or ``(..., 3)`` with scalar times); ``jd``, ``fr`` are split UTC
    Julian dates of shape ``(n_t,)`` (or scalars) that broadcast against ``r_m[..., 0]``. Returns an array
    like ``r_m``.
    """
    r = np.asarray(r_m, dtype=np.float64)
    theta = _rotation_angle(jd, fr, ut1_minus_utc_s)
    c, s = np.cos(theta), np.sin(theta)
    x, y = r[..., 0], r[..., 1]
    out = np.empty(np.broadcast_shapes(r.shape, (*np.shape(theta), 3)), dtype=np.float64)
    out[..., 0] = c * x + s * y
    out[..., 1] = c * y - s * x
    out[..., 2] = r[..., 2]
    return out


def teme_to_ecef_rv(
    r_m: np.ndarray,
    v_m_s: np.ndarray,
    jd: np.ndarray | float,
    fr: np.ndarray | float,
    ut1_minus_utc_s: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """TEME position and velocity to Earth-fixed position and velocity relative to the rotating Earth.

    ``v_ecef = R3(GMST) v_teme - omega x r_ecef`` with ``omega = EARTH_ROTATION_RAD_S`` about z (the IAU-82
    GMST rate differs by 1e-8 relative: < 1e-5 m/s at LEO). Shapes as :func:`teme_to_ecef`.
    """
    r_e = teme_to_ecef(r_m, jd, fr, ut1_minus_utc_s)
    v_rot = teme_to_ecef(v_m_s, jd, fr, ut1_minus_utc_s)
    v_rot[..., 0] += EARTH_ROTATION_RAD_S * r_e[..., 1]
    v_rot[..., 1] -= EARTH_ROTATION_RAD_S * r_e[..., 0]
    return r_e, v_rot


def ecef_to_geodetic(r_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 geodetic latitude, longitude (radians, longitude in (-pi, pi]) and ellipsoidal height (m).

    ``r_m`` has shape ``(..., 3)``; the three results have shape ``(...)``. Closed form (Vermeille), no
    iteration.
    """
    r = np.asarray(r_m, dtype=np.float64)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    a = WGS84_A_M
    e2 = WGS84_E2
    e4 = e2 * e2
    rho2 = x * x + y * y
    rho = np.sqrt(rho2)
    p = rho2 / (a * a)
    q = (1.0 - e2) * z * z / (a * a)
    rr = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * rr**3)
    t = np.cbrt(1.0 + s + np.sqrt(s * (2.0 + s)))
    u = rr * (1.0 + t + 1.0 / t)
    v = np.sqrt(u * u + e4 * q)
    w = e2 * (u + v - q) / (2.0 * v)
    k = np.sqrt(u + v + w * w) - w
    d = k * rho / (k + e2)
    dz = np.hypot(d, z)
    lat = 2.0 * np.arctan2(z, d + dz)
    lon = np.arctan2(y, x)
    h = (k + e2 - 1.0) / k * dz
    return lat, lon, h


def geodetic_to_ecef(lat_rad: np.ndarray | float, lon_rad: np.ndarray | float, h_m: np.ndarray | float) -> np.ndarray:
    """WGS84 geodetic coordinates to ECEF metres, shape ``broadcast(lat, lon, h) + (3,)``.

    ``N = a / sqrt(1 - e^2 sin^2 lat)``; ``x = (N + h) cos lat cos lon``, ``y = (N + h) cos lat sin lon``,
    ``z = (N (1 - e^2) + h) sin lat`` (Vallado eq. 3-14).
    """
    lat, lon, h = np.broadcast_arrays(
        np.asarray(lat_rad, dtype=np.float64),
        np.asarray(lon_rad, dtype=np.float64),
        np.asarray(h_m, dtype=np.float64),
    )
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sin_lat * sin_lat)
    out = np.empty((*lat.shape, 3), dtype=np.float64)
    out[..., 0] = (n + h) * cos_lat * np.cos(lon)
    out[..., 1] = (n + h) * cos_lat * np.sin(lon)
    out[..., 2] = (n * (1.0 - WGS84_E2) + h) * sin_lat
    return out
