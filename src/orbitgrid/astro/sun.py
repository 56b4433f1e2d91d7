"""Geometric position of the Sun in the TEME frame, from an analytic solar theory.

Model
-----
Meeus, *Astronomical Algorithms* (2nd ed., 1998), ch. 25 ("low accuracy" solar coordinates, based on the VSOP87
mean elements): geometric mean longitude ``L0``, mean anomaly ``M``, equation of the centre ``C`` to the 3rd
harmonic, eccentricity ``e``; the five largest periodic perturbations of the longitude (Venus, Jupiter, the
Moon, the long-period inequality) from Meeus, *Astronomical Formulae for Calculators* (4th ed., 1988), ch. 18;
true longitude ``L0 + C`` and radius ``1.000001018 (1-e^2)/(1+e cos nu)`` AU, referred
to the mean equinox of date; ecliptic latitude taken as zero (< 1.2 arcsec).
Nutation from the four largest IAU-1980 terms (Meeus ch. 22: -17.20" sin Omega, -1.32" sin 2L, ...; 0.5" in
longitude, 0.1" in obliquity). The true-of-date vector is turned into TEME (true equator, mean equinox) by removing
the equation of the equinoxes ``dpsi cos(eps)`` from the right ascension (Vallado, *Fundamentals of Astrodynamics
and Applications*, 4th ed., sec. 3.7).

The position is geometric (no light-time, no aberration), as Skyfield's ``is_sunlit`` uses, so eclipse instants
are comparable one to one; aberration (20.5") would move a LEO eclipse edge by < 0.1 s.

Validity and accuracy
---------------------
Years 1950-2100. Against Skyfield with the JPL DE421 ephemeris the direction error is below 0.004 deg over
2020-2035 (measured: max 0.0034 deg, median 0.0009 deg; ``tests/validation/test_sun_skyfield.py``). Without
the perturbation terms the error reaches 0.0096 deg and the distance error below 1e-4 relative.
"""

from __future__ import annotations

import numpy as np

from orbitgrid.astro.constants import AU_M, J2000_JD

_ARCSEC = np.pi / (180.0 * 3600.0)
_DEG = np.pi / 180.0


def _nutation_rad(t_cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nutation in longitude and obliquity (radians), four largest IAU-1980 terms (Meeus eq. 22.x)."""
    omega = (125.04452 - 1934.136261 * t_cy) * _DEG
    l_sun = (280.4665 + 36000.7698 * t_cy) * _DEG
    l_moon = (218.3165 + 481267.8813 * t_cy) * _DEG
    dpsi = (
        -17.20 * np.sin(omega) - 1.32 * np.sin(2 * l_sun) - 0.23 * np.sin(2 * l_moon) + 0.21 * np.sin(2 * omega)
    ) * _ARCSEC
    deps = (9.20 * np.cos(omega) + 0.57 * np.cos(2 * l_sun) + 0.10 * np.cos(2 * l_moon) - 0.09 * np.cos(2 * omega)) * (
        _ARCSEC
    )
    return dpsi, deps


def sun_position_teme_m(jd_tt: np.ndarray | float) -> np.ndarray:
    """Geometric geocentric position of the Sun in TEME, metres, shape ``(..., 3)``.

    ``jd_tt`` is the Julian date in Terrestrial Time (see ``TimeGrid.jd_tt``).
    """
    jd = np.asarray(jd_tt, dtype=np.float64)
    t = (jd - J2000_JD) / 36525.0
    l0 = (280.46646 + 36000.76983 * t + 0.0003032 * t * t) * _DEG
    m = (357.52911 + 35999.05029 * t - 0.0001537 * t * t) * _DEG
    e = 0.016708634 - 0.000042037 * t - 0.0000001267 * t * t
    c = (
        (1.914602 - 0.004817 * t - 0.000014 * t * t) * np.sin(m)
        + (0.019993 - 0.000101 * t) * np.sin(2 * m)
        + 0.000289 * np.sin(3 * m)
    ) * _DEG
    # Periodic perturbations of the longitude by Venus (A, B), Jupiter (C), the Moon (D) and the long-period
    # inequality (E); Meeus, *Astronomical Formulae for Calculators* (4th ed., 1988), ch. 18. Arguments in degrees
    # with time counted in Julian centuries from 1900.0.
    t1900 = t + 1.0
    perturbation_deg = (
        0.00134 * np.cos((153.23 + 22518.7541 * t1900) * _DEG)
        + 0.00154 * np.cos((216.57 + 45037.5082 * t1900) * _DEG)
        + 0.00200 * np.cos((312.69 + 32964.3577 * t1900) * _DEG)
        + 0.00179 * np.sin((350.74 + 445267.1142 * t1900) * _DEG)
        + 0.00178 * np.sin((231.19 + 20.20 * t1900) * _DEG)
    )
    lon = l0 + c + perturbation_deg * _DEG
    nu = m + c
    r_m = AU_M * 1.000001018 * (1.0 - e * e) / (1.0 + e * np.cos(nu))

    eps0 = (23.0 + 26.0 / 60.0 + 21.448 / 3600.0) * _DEG - (46.8150 * t + 0.00059 * t * t - 0.001813 * t**3) * _ARCSEC
    dpsi, deps = _nutation_rad(t)
    lon_true = lon + dpsi
    eps = eps0 + deps

    # True-of-date equatorial direction.
    x = np.cos(lon_true)
    y = np.sin(lon_true) * np.cos(eps)
    z = np.sin(lon_true) * np.sin(eps)
    # TEME: right ascension counted from the mean equinox along the true equator (subtract the equation of equinoxes).
    eqeq = dpsi * np.cos(eps)
    ce, se = np.cos(eqeq), np.sin(eqeq)
    xt = ce * x + se * y
    yt = -se * x + ce * y
    return np.stack([xt * r_m, yt * r_m, z * r_m], axis=-1)
