"""Earth's shadow: conical umbra and penumbra, the illuminated fraction of the solar disc, and the beta angle.

Model
-----
Spherical Sun (radius 695,700 km) and spherical Earth of equatorial radius 6,378.137 km; the Sun at its true
geometric distance. Seen from the satellite the Sun and the Earth are discs of angular radii
``a_s = asin(R_sun / |r_sun - r|)`` and ``a_e = asin(R_e / |r|)`` whose centres are ``theta`` apart; the
illuminated fraction ``f`` is one minus the overlapping area of the two discs over the Sun's area (Montenbruck &
Gill, *Satellite Orbits*, 2000, sec. 3.4.2, eqs. 3.87-3.93). ``f = 1`` in sunlight, ``0`` in the umbra.

The same geometry as cones, used to classify a position cheaply and to find boundary crossings as roots of smooth
functions (Vallado, 4th ed., sec. 5.3): with ``d = r . s_hat`` and ``perp^2 = |r|^2 - d^2``, a point behind the
Earth (``d < 0``, depth ``x = -d``) is

- inside the penumbra cone (``f < 1``) when ``perp < (x + R_e / sin f_p) tan f_p``, ``sin f_p = (R_sun + R_e) / D``;
- cut off from the Sun's centre (the line-of-sight test, ``f`` ~ 0.5) when ``perp < (x + D) tan f_c``,
  ``sin f_c = R_e / D``; this is exactly Skyfield's ``is_sunlit`` test;
- inside the umbra (``f = 0``) when ``perp < (R_e / sin f_u - x) tan f_u``, ``sin f_u = (R_sun - R_e) / D``.

Validity
--------
Atmospheric refraction and absorption (which widen the shadow by an effective ~20-50 km of radius) and Earth's
oblateness (up to 21 km of radius) are not modelled, as in Skyfield, SGP4-based tools and most mission-analysis
codes; the conical geometry holds to the umbra's apex (~1.4 million km), so for every Earth orbit.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, SUN_RADIUS_M

#: Shadow codes, ordered by depth: a position's code counts the boundaries it lies inside.
LIT, PENUMBRA, CENTRE_BLOCKED, UMBRA = 0, 1, 2, 3


def cone_parameters(sun_m: np.ndarray) -> dict[str, np.ndarray]:
    """Per-time constants of the three shadow cones from Sun positions ``(..., 3)`` in metres."""
    dist = np.linalg.norm(sun_m, axis=-1)
    sin_p = (SUN_RADIUS_M + EARTH_EQUATORIAL_RADIUS_M) / dist
    sin_c = EARTH_EQUATORIAL_RADIUS_M / dist
    sin_u = (SUN_RADIUS_M - EARTH_EQUATORIAL_RADIUS_M) / dist
    return {
        "s_hat": sun_m / dist[..., None],
        "dist_m": dist,
        "apex_p_m": EARTH_EQUATORIAL_RADIUS_M / sin_p,
        "tan_p": sin_p / np.sqrt(1.0 - sin_p**2),
        "tan_c": sin_c / np.sqrt(1.0 - sin_c**2),
        "apex_u_m": EARTH_EQUATORIAL_RADIUS_M / sin_u,
        "tan_u": sin_u / np.sqrt(1.0 - sin_u**2),
    }


def shadow_code(r_m: np.ndarray, sun_m: np.ndarray) -> np.ndarray:
    """Shadow code (``LIT`` .. ``UMBRA``) of positions ``r_m`` ``(..., 3)`` with Sun positions broadcasting."""
    c = cone_parameters(sun_m)
    d = np.einsum("...i,...i->...", r_m, c["s_hat"])
    perp2 = np.einsum("...i,...i->...", r_m, r_m) - d * d
    x = -d
    behind = d < 0.0
    rp = (x + c["apex_p_m"]) * c["tan_p"]
    rc = (x + c["dist_m"]) * c["tan_c"]
    ru = (c["apex_u_m"] - x) * c["tan_u"]
    code = (perp2 < rp * rp).astype(np.int8) + (perp2 < rc * rc) + (perp2 < ru * ru)
    return np.where(behind, code, 0).astype(np.int8)


def illuminated_fraction(r_m: np.ndarray, sun_m: np.ndarray) -> np.ndarray:
    """Fraction 0..1 of the solar disc visible from positions ``r_m`` ``(..., 3)`` (Sun positions broadcast)."""
    r = np.asarray(r_m, dtype=np.float64)
    rel = np.asarray(sun_m, dtype=np.float64) - r
    rn = np.linalg.norm(r, axis=-1)
    reln = np.linalg.norm(rel, axis=-1)
    a = np.arcsin(SUN_RADIUS_M / reln)
    b = np.arcsin(np.minimum(EARTH_EQUATORIAL_RADIUS_M / rn, 1.0))
    cos_c = -np.einsum("...i,...i->...", rel, r) / (reln * rn)
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        x = (c * c + a * a - b * b) / (2.0 * c)
        y = np.sqrt(np.maximum(a * a - x * x, 0.0))
        area = a * a * np.arccos(np.clip(x / a, -1.0, 1.0)) + b * b * np.arccos(np.clip((c - x) / b, -1.0, 1.0)) - c * y
    f = 1.0 - area / (np.pi * a * a)
    f = np.where(c >= a + b, 1.0, f)
    f = np.where(c <= b - a, 0.0, f)
    f = np.where(c <= a - b, 1.0 - (b * b) / (a * a), f)
    return np.clip(f, 0.0, 1.0)


def beta_angle_rad(r_m: np.ndarray, v_m_s: np.ndarray, sun_m: np.ndarray) -> np.ndarray:
    """Angle between the orbit plane and the Sun direction, from states ``(..., 3)``; positive on the side of h."""
    h = np.cross(r_m, v_m_s)
    h_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    s_hat = sun_m / np.linalg.norm(sun_m, axis=-1, keepdims=True)
    return np.arcsin(np.clip(np.einsum("...i,...i->...", h_hat, s_hat), -1.0, 1.0))
