"""Topocentric geometry in the Earth-fixed frame: look angles from stations, slant range, line of sight.

Frames and Earth shape
----------------------
Every position is Earth-fixed (ECEF, metres, float64, last axis ``(x, y, z)``), as produced by
:func:`orbitgrid.astro.frames.teme_to_ecef`. Stations are given by WGS84 geodetic latitude, longitude and
ellipsoidal height (NIMA TR8350.2, 3rd ed., Table 3.1) and converted with
:func:`orbitgrid.astro.frames.geodetic_to_ecef`.

Look angles
    The topocentric East-North-Up basis at geodetic latitude ``phi`` and longitude ``lam`` is (Vallado,
    *Fundamentals of Astrodynamics and Applications*, 4th ed., sec. 3.4, eq. 3-28 rearranged)::

        e = (-sin lam, cos lam, 0)
        n = (-sin phi cos lam, -sin phi sin lam, cos phi)
        u = ( cos phi cos lam,  cos phi sin lam, sin phi)

    so "up" is the WGS84 ellipsoid normal (geodetic, not geocentric, zenith; as Skyfield's ``wgs84.latlon``).
    With ``d = r_sat - r_station``: range ``rho = |d|``, elevation ``el = atan2(d.u, hypot(d.e, d.n))`` and
    azimuth ``az = atan2(d.e, d.n)`` in ``[0, 2 pi)``, clockwise from north. Geometric (airless) angles:
    refraction, which lifts apparent elevation by ~0.5 deg at the horizon and < 0.1 deg above 10 deg, is not
    applied (as Skyfield's ``altaz()`` without a temperature).

Slant range
    For a spherical Earth of radius ``R`` and a satellite at altitude ``h`` seen at elevation ``el`` (law of cosines
    in the Earth-centre / station / satellite triangle; e.g. Vallado sec. 11.3, or Maral & Bousquet, *Satellite
    Communications Systems*, 5th ed., sec. 2.2.5)::

        rho = sqrt((R + h)^2 - R^2 cos^2 el) - R sin el

Grazing altitude (line of sight between two points)
    The lowest altitude above the Earth reached by the straight segment ``A -> B``. A link is blocked when it is
    below a margin that keeps the beam out of the dense atmosphere (``margin_m``).

    * ``earth="sphere"``: closest point of the segment to the centre, ``t* = clip(-A.(B-A) / |B-A|^2, 0, 1)``,
      altitude ``|A + t* (B-A)| - R``; ``R`` defaults to the WGS84 mean radius ``R1 = (2a + b) / 3 =
      6,371,008.77 m`` (NIMA TR8350.2 Table 3.3).
    * ``earth="wgs84"``: geodetic height (distance to the ellipsoid, along its normal) of the lowest point. Scaling
      ``z`` by ``a/b`` maps the ellipsoid onto the sphere of radius ``a``; the closest point to the centre in that
      space is the starting guess, refined by two Newton steps on ``h(s)`` along the segment (``dh/ds = n_hat . d_hat``
      with the geodetic normal ``n_hat``; ``d^2h/ds^2 ~ (1 - (n_hat . d_hat)^2) / |P|``). The height above a convex body
      is a convex function along a line, so the minimum is unique; the reported value is the height of an actual
      point of the segment, hence never below the true minimum, and it is within 1 m of it for segments that stay
      above -500 km (checked against a dense search in tests/network/test_geometry.py). Whether the segment cuts
      the ellipsoid is decided exactly by the scaled test. Segments that pass deeper than 500 km below the surface
      report the scaled-sphere estimate ``a (|P_scaled| / a - 1)`` (only its sign and rough size mean anything:
      the link is blocked either way).

    The grazing test is meant for links between two points above the margin (satellite to satellite). For a ground
    station the segment starts on the surface, so use the elevation mask instead.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from orbitgrid.astro.constants import WGS84_A_M, WGS84_B_M, WGS84_MEAN_RADIUS_M
from orbitgrid.astro.frames import ecef_to_geodetic, geodetic_to_ecef

__all__ = [
    "WGS84_B_M",
    "WGS84_MEAN_RADIUS_M",
    "EarthShape",
    "coverage_angle_rad",
    "elevation_rad",
    "enu_basis",
    "grazing_altitude_m",
    "great_circle_distance_m",
    "line_of_sight",
    "look_angles",
    "slant_range_m",
    "small_circle_deg",
    "station_ecef_m",
]


_NEWTON_STEPS = 2
_DEEP_M = -500e3

EarthShape = Literal["sphere", "wgs84"]


def station_ecef_m(lat_rad: np.ndarray | float, lon_rad: np.ndarray | float, alt_m: np.ndarray | float) -> np.ndarray:
    """ECEF positions (m) of stations at WGS84 geodetic coordinates; shape ``broadcast(lat, lon, alt) + (3,)``."""
    return geodetic_to_ecef(lat_rad, lon_rad, alt_m)


def enu_basis(lat_rad: np.ndarray | float, lon_rad: np.ndarray | float) -> np.ndarray:
    """Unit East, North, Up vectors at geodetic coordinates, shape ``broadcast(lat, lon) + (3, 3)``.

    ``basis[..., 0, :]`` is east, ``[..., 1, :]`` north and ``[..., 2, :]`` up (the WGS84 ellipsoid normal).
    """
    lat, lon = np.broadcast_arrays(np.asarray(lat_rad, dtype=np.float64), np.asarray(lon_rad, dtype=np.float64))
    sp, cp = np.sin(lat), np.cos(lat)
    sl, cl = np.sin(lon), np.cos(lon)
    out = np.empty((*lat.shape, 3, 3), dtype=np.float64)
    out[..., 0, 0] = -sl
    out[..., 0, 1] = cl
    out[..., 0, 2] = 0.0
    out[..., 1, 0] = -sp * cl
    out[..., 1, 1] = -sp * sl
    out[..., 1, 2] = cp
    out[..., 2, 0] = cp * cl
    out[..., 2, 1] = cp * sl
    out[..., 2, 2] = sp
    return out


def _topocentric(
    sat_ecef_m: np.ndarray, station_ecef_m: np.ndarray, basis: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sat = np.asarray(sat_ecef_m, dtype=np.float64)
    st = np.asarray(station_ecef_m, dtype=np.float64)
    d = sat[..., None, :] - st  # (..., n_station, 3)
    east = np.einsum("...sj,sj->...s", d, basis[:, 0, :])
    north = np.einsum("...sj,sj->...s", d, basis[:, 1, :])
    up = np.einsum("...sj,sj->...s", d, basis[:, 2, :])
    return east, north, up


def look_angles(
    sat_ecef_m: np.ndarray,
    station_ecef_m: np.ndarray,
    station_lat_rad: np.ndarray,
    station_lon_rad: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elevation (rad), azimuth (rad, ``[0, 2 pi)``, from north through east) and range (m) from stations.

    ``sat_ecef_m`` has shape ``(..., 3)`` (e.g. ``(n_sat, 3)`` or ``(n_sat, n_t, 3)``); the station arrays have
    ``n_station`` rows (``station_ecef_m`` is ``(n_station, 3)``). The three results have shape
    ``(..., n_station)``, e.g. ``(n_sat, n_station)``. Geometric angles, no refraction (module docstring).
    """
    lat = np.atleast_1d(np.asarray(station_lat_rad, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(station_lon_rad, dtype=np.float64))
    st = np.asarray(station_ecef_m, dtype=np.float64).reshape(-1, 3)
    e, n, u = _topocentric(sat_ecef_m, st, enu_basis(lat, lon))
    horiz = np.hypot(e, n)
    el = np.arctan2(u, horiz)
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    rng = np.sqrt(horiz * horiz + u * u)
    return el, az, rng


def elevation_rad(
    sat_ecef_m: np.ndarray,
    station_ecef_m: np.ndarray,
    station_up: np.ndarray,
) -> np.ndarray:
    """Elevation only (rad), ``asin(d.u / |d|)``, shape ``(..., n_station)``; cheaper than :func:`look_angles`.

    ``station_up`` is the ``(n_station, 3)`` unit up vector (``enu_basis(lat, lon)[:, 2, :]``).
    """
    sat = np.asarray(sat_ecef_m, dtype=np.float64)
    st = np.asarray(station_ecef_m, dtype=np.float64).reshape(-1, 3)
    up_vec = np.asarray(station_up, dtype=np.float64).reshape(-1, 3)
    d = sat[..., None, :] - st
    up = np.einsum("...sj,sj->...s", d, up_vec)
    rng = np.sqrt(np.einsum("...j,...j->...", d, d))
    return np.arcsin(np.clip(up / rng, -1.0, 1.0))


def great_circle_distance_m(
    lat1_rad: np.ndarray | float,
    lon1_rad: np.ndarray | float,
    lat2_rad: np.ndarray | float,
    lon2_rad: np.ndarray | float,
    radius_m: float = WGS84_MEAN_RADIUS_M,
) -> np.ndarray:
    """Great-circle distance (m) on a sphere of ``radius_m`` (default the WGS84 mean radius, within 0.5 % of the
    ellipsoidal geodesic), by the haversine formula (well conditioned at small distances); broadcasting inputs."""
    la, lb = np.asarray(lat1_rad, dtype=np.float64), np.asarray(lat2_rad, dtype=np.float64)
    dlon = np.asarray(lon2_rad, dtype=np.float64) - np.asarray(lon1_rad, dtype=np.float64)
    h = np.sin(0.5 * (lb - la)) ** 2 + np.cos(la) * np.cos(lb) * np.sin(0.5 * dlon) ** 2
    return np.asarray(2.0 * radius_m * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def slant_range_m(
    elevation_rad: np.ndarray | float,
    altitude_m: np.ndarray | float,
    earth_radius_m: float = WGS84_MEAN_RADIUS_M,
) -> np.ndarray:
    """Station-to-satellite distance (m) for a spherical Earth: ``sqrt((R+h)^2 - R^2 cos^2 el) - R sin el``.

    ``altitude_m`` is the satellite's height above the sphere (the station is on it); broadcasting inputs.
    At ``el = 90 deg`` this is ``h``; at ``el = 0`` it is the horizon distance ``sqrt(h (2R + h))``.
    """
    el = np.asarray(elevation_rad, dtype=np.float64)
    h = np.asarray(altitude_m, dtype=np.float64)
    r = earth_radius_m
    ce = np.cos(el)
    return np.asarray(np.sqrt((r + h) ** 2 - (r * ce) ** 2) - r * np.sin(el))


def coverage_angle_rad(
    elevation_rad: np.ndarray | float,
    altitude_m: np.ndarray | float,
    earth_radius_m: float = WGS84_MEAN_RADIUS_M,
) -> np.ndarray:
    """Earth central angle (rad) from a station to the farthest sub-satellite point at which a satellite at
    ``altitude_m`` is at least ``elevation_rad`` above the station's horizon (spherical Earth):
    ``arccos(R cos el / (R + h)) - el``; the radius of the station's coverage circle on the ground."""
    el = np.asarray(elevation_rad, dtype=np.float64)
    h = np.asarray(altitude_m, dtype=np.float64)
    r = earth_radius_m
    return np.asarray(np.arccos(np.clip(r * np.cos(el) / (r + h), -1.0, 1.0)) - el)


def small_circle_deg(lat_deg: float, lon_deg: float, radius_rad: float, points: int = 121) -> tuple[np.ndarray, ...]:
    """Latitudes and longitudes (degrees, longitudes in [-180, 180)) of ``points`` points on the circle of central
    angle ``radius_rad`` around (``lat_deg``, ``lon_deg``) on a sphere, the first point repeated last."""
    phi0, lam0 = np.radians(lat_deg), np.radians(lon_deg)
    az = np.linspace(0.0, 2.0 * np.pi, points)
    sin_lat = np.sin(phi0) * np.cos(radius_rad) + np.cos(phi0) * np.sin(radius_rad) * np.cos(az)
    lat = np.arcsin(np.clip(sin_lat, -1.0, 1.0))
    lon = lam0 + np.arctan2(np.sin(az) * np.sin(radius_rad) * np.cos(phi0), np.cos(radius_rad) - np.sin(phi0) * sin_lat)
    return np.degrees(lat), (np.degrees(lon) + 180.0) % 360.0 - 180.0


def _closest_to_centre(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Parameter ``t`` in ``[0, 1]`` of the point of ``a + t d`` closest to the origin."""
    dd = np.einsum("...j,...j->...", d, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = -np.einsum("...j,...j->...", a, d) / dd
    t = np.where(dd > 0.0, t, 0.0)
    return np.asarray(np.clip(t, 0.0, 1.0))


def grazing_altitude_m(
    a_ecef_m: np.ndarray,
    b_ecef_m: np.ndarray,
    earth: EarthShape = "sphere",
    earth_radius_m: float = WGS84_MEAN_RADIUS_M,
) -> np.ndarray:
    """Lowest altitude (m) above the Earth of the straight segment between ``a`` and ``b`` (``(..., 3)`` each).

    Negative when the segment passes through the Earth. ``earth="sphere"`` uses a sphere of ``earth_radius_m``
    (default the WGS84 mean radius); ``earth="wgs84"`` returns geodetic height above the WGS84 ellipsoid (the
    module docstring gives the method and its accuracy). Result shape ``broadcast(a, b)[:-1]``.
    """
    a = np.asarray(a_ecef_m, dtype=np.float64)
    b = np.asarray(b_ecef_m, dtype=np.float64)
    a, b = np.broadcast_arrays(a, b)
    d = b - a
    if earth == "sphere":
        t = _closest_to_centre(a, d)
        p = a + t[..., None] * d
        return np.asarray(np.linalg.norm(p, axis=-1) - earth_radius_m)
    if earth != "wgs84":
        raise ValueError(f"earth must be 'sphere' or 'wgs84', got {earth!r}")
    scale = np.array([1.0, 1.0, WGS84_A_M / WGS84_B_M])
    a_s, d_s = a * scale, d * scale
    t = _closest_to_centre(a_s, d_s)
    scaled_alt = np.linalg.norm(a_s + t[..., None] * d_s, axis=-1) - WGS84_A_M
    length = np.linalg.norm(d, axis=-1)
    safe_len = np.where(length > 0.0, length, 1.0)
    d_hat = d / safe_len[..., None]
    deep = scaled_alt < _DEEP_M
    s = t * length
    for _ in range(_NEWTON_STEPS):
        # Deep segments (result taken from the scaled test) are evaluated at ``a``: the centre is no valid point.
        p = np.where(deep[..., None], a, a + s[..., None] * d_hat)
        lat, lon, _h = ecef_to_geodetic(p)
        cl = np.cos(lat)
        n_hat = np.stack((cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)), axis=-1)
        g = np.einsum("...j,...j->...", n_hat, d_hat)
        curv = np.maximum(1.0 - g * g, 1e-12) / np.linalg.norm(p, axis=-1)
        s = np.clip(s - g / curv, 0.0, length)
    p = a + s[..., None] * d_hat
    _lat, _lon, h = ecef_to_geodetic(np.where(deep[..., None], a, p))
    return np.asarray(np.where(deep, scaled_alt, h))


def line_of_sight(
    a_ecef_m: np.ndarray,
    b_ecef_m: np.ndarray,
    margin_m: float = 0.0,
    earth: EarthShape = "sphere",
    earth_radius_m: float = WGS84_MEAN_RADIUS_M,
) -> np.ndarray:
    """True where the segment ``a -> b`` stays at least ``margin_m`` above the Earth (:func:`grazing_altitude_m`).

    ``margin_m`` is the atmosphere margin below which a link is considered blocked (e.g. ~80-100 km keeps an
    optical beam above the weather and most of the air mass); the caller chooses it, 0 means geometric visibility.
    """
    return np.asarray(grazing_altitude_m(a_ecef_m, b_ecef_m, earth=earth, earth_radius_m=earth_radius_m) >= margin_m)
