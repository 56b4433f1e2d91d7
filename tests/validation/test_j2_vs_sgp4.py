"""The analytic J2 propagator (orbitgrid.astro.j2) against python-sgp4 from the same mean elements.

Satellites are built with ``Satrec.sgp4init`` (WGS72, improved mode, B* = 0 so drag plays no part) from circular
mean elements; ``ElementSet.from_satrecs`` gives the Brouwer mean motion SGP4 derives at initialisation, and the
J2 orbit takes its semi-major axis from it. The two models then differ only by what the J2 secular model leaves
out: short-period J2 terms (~10 km), J3 long-period terms, J4 and J2^2 secular terms, and WGS72 vs EGM96 constants.
"""

from __future__ import annotations

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec, SatrecArray
from sgp4.model import Satrec as PySatrec

from orbitgrid.astro import j2
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2
from orbitgrid.astro.elements import ElementSet

SGP4_EPOCH_ZERO_JD = 2_433_281.5  # sgp4init counts its epoch in days from 1949-12-31 00:00 UT
EPOCH_JD, EPOCH_FR = 2_461_095.5, 0.25  # 2026-02-24 06:00 UTC

INCLINATIONS_DEG = (53.0, 70.0, 97.6)
ALTITUDES_M = (500e3, 800e3, 1_200e3)
ECCENTRICITIES = (0.0, 1e-4)

# Issue requirement: < 25 km after 24 h. Measured max 18.5 km (97.6 deg, 500 km, e = 1e-4); twice the measurement
# would exceed the requirement, so the requirement is the tolerance.
J2_VS_SGP4_TOL_M = 25e3
# Taking a from the Kozai mean motion instead: measured 42-52 km at 53 deg (the Kozai correction is proportional
# to 3 cos^2 i - 1, which vanishes at 54.7 deg), 248-311 km at 70 deg, 357-450 km at 97.6 deg.
KOZAI_MIN_ERROR_M = 100e3
BROUWER_MOTION_REL_TOL = 1e-13  # ElementSet vs the pure-Python port's no_unkozai: measured 3.3e-16


def _satrecs(cls: type = Satrec) -> tuple[list, list[tuple[float, float, float]]]:
    """Circular test orbits, as compiled ``Satrec`` (or ``cls``, e.g. the pure-Python ``sgp4.model.Satrec``)."""
    sats, cases = [], []
    for inc in INCLINATIONS_DEG:
        for alt in ALTITUDES_M:
            for ecc in ECCENTRICITIES:
                a = EARTH_EQUATORIAL_RADIUS_M + alt
                n_rad_min = np.sqrt(EARTH_MU_M3_S2 / a**3) * 60.0  # the element set's (Kozai) mean motion
                s = cls()
                s.sgp4init(
                    WGS72,
                    "i",
                    len(sats) + 1,
                    EPOCH_JD + EPOCH_FR - SGP4_EPOCH_ZERO_JD,
                    0.0,  # bstar
                    0.0,  # ndot (unused by SGP4)
                    0.0,  # nddot (unused by SGP4)
                    ecc,
                    np.radians(30.0),  # argument of perigee
                    np.radians(inc),
                    np.radians(200.0),  # mean anomaly
                    n_rad_min,
                    np.radians(100.0),  # right ascension of the node
                )
                s.jdsatepoch, s.jdsatepochF = EPOCH_JD, EPOCH_FR  # exact split epoch (as the TLE reader keeps it)
                sats.append(s)
                cases.append((inc, alt, ecc))
    return sats, cases


@pytest.fixture(scope="module")
def day():
    sats, cases = _satrecs()
    elements = ElementSet.from_satrecs(sats)
    t_s = np.arange(0.0, 86_400.0 + 1.0, 60.0)
    err, r_km, _ = SatrecArray(sats).sgp4(np.full(t_s.shape, EPOCH_JD), EPOCH_FR + t_s / 86_400.0)
    assert (err == 0).all()
    return {"elements": elements, "cases": cases, "t_s": t_s, "r_sgp4": r_km * 1e3}


def _j2_error_m(day, mean_motion_rad_s: np.ndarray) -> np.ndarray:
    es = day["elements"]
    a = j2.semi_major_axis_m(mean_motion_rad_s)
    u0 = es.arg_perigee_rad + es.mean_anomaly_rad
    ours = j2.positions_teme_m(a, es.inclination_rad, es.raan_rad, u0, day["t_s"])
    return np.linalg.norm(ours - day["r_sgp4"], axis=-1).max(axis=1)


def test_brouwer_mean_motion_is_sgp4s() -> None:
    """ElementSet recomputes the un-Kozai'd motion from ``Satrec.a``; python-sgp4's pure-Python port stores it."""
    sats, _ = _satrecs()
    es = ElementSet.from_satrecs(sats)
    py_sats, _ = _satrecs(PySatrec)
    ref = np.array([s.no_unkozai for s in py_sats]) / 60.0
    np.testing.assert_allclose(es.mean_motion_brouwer_rad_s, ref, rtol=BROUWER_MOTION_REL_TOL)
    # The un-Kozai'd motion is slower for these inclinations: a grows by a few hundred metres.
    assert (es.mean_motion_brouwer_rad_s != es.mean_motion_kozai_rad_s).all()


def test_j2_from_brouwer_mean_motion_within_25_km_of_sgp4_over_a_day(day) -> None:
    err = _j2_error_m(day, day["elements"].mean_motion_brouwer_rad_s)
    for case, e in zip(day["cases"], err, strict=True):
        print(f"i={case[0]:5.1f} deg h={case[1] / 1e3:6.0f} km e={case[2]:.0e}: max |dr| {e / 1e3:6.2f} km")
    print(f"max over all: {err.max() / 1e3:.2f} km")
    assert err.max() < J2_VS_SGP4_TOL_M


def test_kozai_mean_motion_puts_the_satellite_hundreds_of_km_off(day) -> None:
    """Why ``ElementSet.mean_motion_brouwer_rad_s`` exists: the printed (Kozai) mean motion is the wrong input."""
    es = day["elements"]
    err_kozai = _j2_error_m(day, es.mean_motion_kozai_rad_s)
    err_brouwer = _j2_error_m(day, es.mean_motion_brouwer_rad_s)
    inc = np.array([c[0] for c in day["cases"]])
    print(f"Kozai: max {err_kozai.max() / 1e3:.0f} km; at 53 deg max {err_kozai[inc == 53.0].max() / 1e3:.0f} km")
    assert err_kozai.max() > 3 * KOZAI_MIN_ERROR_M
    assert (err_kozai[inc != 53.0] > KOZAI_MIN_ERROR_M).all()
    assert (err_kozai > 2.0 * err_brouwer).all()
