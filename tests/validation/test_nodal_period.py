"""The nodal period orbit.json and the CLI report against node-to-node times measured in SGP4 (python-sgp4).

``astro.j2.nodal_period_s`` is ``2 pi / (domega/dt + dM/dt)`` with the first-order J2 secular rates of the Brouwer
mean elements (Vallado, 4th ed., §9.6). The oracle is independent code: python-sgp4 (Vallado's SGP4, WGS72
constants, with J2, J3, J4 and J2^2 terms, short-period terms and drag) propagated for a day, each ascending node
found as the sign change of TEME z (linear interpolation between 5 s samples: z is linear to third order at the
node, so the instant is good to ~1e-4 s), and the mean node-to-node time taken from the first to the last crossing.
Short-period terms repeat at every node and cancel in that mean.

* Designed shells: circular orbits initialised in SGP4 with the Brouwer mean motion of the J2 kernel's ``a``,
  400-2,000 km and 30-97.6 deg. Measured worst 0.053 s (400 km, 30 deg: the J2^2 and J4 terms the first-order
  rates leave out grow with cos i and at low altitude). Tolerance 0.1 s.
* Element sets: the shipped Starlink slice (``tests/data``, 243 satellites, 287-570 km, 43-97.7 deg mean elements), each
  re-initialised in SGP4 with B* = 0 (the J2 period leaves drag out by definition; with the file's B* the
  manoeuvring and decaying satellites, B* up to 0.098, average up to 4.4 s off it over the day). Measured worst
  0.013 s. Tolerance 0.05 s. Against SGP4's own secular rates (``Satrec.argpdot + mdot``): measured worst 0.013 s
  (WGS72 vs EGM96 constants and the J2^2/J4 terms). Tolerance 0.05 s. The TLE's Kozai mean motion gives neither
  period: ``2 pi / n_kozai`` misses the node-to-node time by 1.6 s or more.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec, SatrecArray, jday

from orbitgrid.astro import j2
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.constellations import CircularOrbits
from orbitgrid.astro.elements import ElementSet, load_elements
from orbitgrid.pipeline.orbit import ShellOrbits, _shell_geometry_stats

NODE_TO_NODE_TOL_S = 0.1  # designed shells
ELEMENTS_TOL_S = 0.05
SGP4_RATES_TOL_S = 0.05
STEP_S = 5.0
SGP4_EPOCH_0 = 2433281.5  # sgp4init's epoch origin: days since 1949 December 31 00:00 UT


def _mean_node_to_node_s(satrecs: list[Satrec], jd0: float, fr0: float, span_s: float = 86_400.0) -> np.ndarray:
    t = np.arange(0.0, span_s + STEP_S, STEP_S)
    err, r, _ = SatrecArray(satrecs).sgp4(np.full(t.shape, jd0), fr0 + t / 86_400.0)
    assert (err == 0).all()
    out = np.empty(len(satrecs))
    for k, z in enumerate(r[:, :, 2]):
        i = np.nonzero((z[:-1] < 0.0) & (z[1:] >= 0.0))[0]
        crossings = t[i] - z[i] * STEP_S / (z[i + 1] - z[i])
        assert len(crossings) >= 12
        out[k] = (crossings[-1] - crossings[0]) / (len(crossings) - 1)
    return out


def _circular_satrec(semi_major_axis_m: float, inclination_rad: float, jd: float) -> Satrec:
    """SGP4 satellite on a circular orbit whose Brouwer mean motion is the J2 kernel's ``sqrt(mu/a^3)``."""
    n_brouwer = float(j2.mean_motion_rad_s(semi_major_axis_m)) * 60.0  # rad/min
    n_kozai = n_brouwer
    for _ in range(8):  # sgp4init takes the Kozai mean motion; iterate until its un-Kozai'd one matches
        sat = Satrec()
        sat.sgp4init(WGS72, "i", 1, jd - SGP4_EPOCH_0, 0.0, 0.0, 0.0, 0.0, 0.0, inclination_rad, 0.0, n_kozai, 0.0)
        n_kozai *= n_brouwer * sat.tumin * sat.a**1.5
    assert 1.0 / (sat.tumin * sat.a**1.5) == pytest.approx(n_brouwer, rel=1e-12)
    return sat


def test_designed_shell_nodal_period_matches_sgp4_node_crossings() -> None:
    jd, fr = jday(2027, 3, 20, 0, 0, 0.0)
    alt_km = np.repeat([400.0, 550.0, 800.0, 1200.0, 2000.0], 5)
    inc_deg = np.tile([30.0, 53.0, 70.0, 87.9, 97.6], 5)
    a_m = EARTH_EQUATORIAL_RADIUS_M + 1e3 * alt_km
    inc = np.radians(inc_deg)
    measured = _mean_node_to_node_s([_circular_satrec(a, i, jd + fr) for a, i in zip(a_m, inc, strict=True)], jd, fr)
    # What orbit.json reports for such a shell (one satellite per orbit).
    shell = CircularOrbits(
        semi_major_axis_m=a_m,
        inclination_rad=inc,
        raan_rad=np.zeros_like(a_m),
        arg_latitude_rad=np.zeros_like(a_m),
        plane=np.arange(len(a_m)),
    )
    stats = _shell_geometry_stats(ShellOrbits("grid", "walker_delta", 1, circular=shell))
    predicted = j2.nodal_period_s(a_m, inc)
    assert np.abs(predicted - measured).max() < NODE_TO_NODE_TOL_S
    assert stats["nodal_period_s_mean"] == pytest.approx(float(np.mean(predicted)), rel=1e-15)
    assert (stats["nodal_period_s_min"], stats["nodal_period_s_max"]) == (predicted.min(), predicted.max())
    # J2 is what makes them differ from the Keplerian period: by -16 s to +8 s here, far beyond the tolerance.
    kepler = j2.keplerian_period_s(a_m)
    assert np.abs(kepler - measured).max() > 100 * NODE_TO_NODE_TOL_S
    assert stats["keplerian_period_s_mean"] == pytest.approx(float(np.mean(kepler)), rel=1e-15)
    assert stats["mean_altitude_km_min"] == pytest.approx(400.0) and stats["mean_altitude_km_max"] == pytest.approx(2e3)


def _without_drag(sat: Satrec) -> Satrec:
    """The same mean elements initialised in SGP4 with B* = 0: the J2 period has no drag, so the oracle must not."""
    out = Satrec()
    epoch = sat.jdsatepoch + sat.jdsatepochF - SGP4_EPOCH_0
    args = (sat.ecco, sat.argpo, sat.inclo, sat.mo, sat.no_kozai, sat.nodeo)
    out.sgp4init(WGS72, "i", sat.satnum, epoch, 0.0, 0.0, 0.0, *args)
    return out


def test_element_set_nodal_period_matches_sgp4_node_crossings(reference_data: Path) -> None:
    es = load_elements(reference_data / "tle_starlink" / "starlink_20260224_1413Z_slice.tle")
    assert len(es) == 243
    drag_free = [_without_drag(s) for s in es.satrecs]
    measured = _mean_node_to_node_s(drag_free, float(es.epoch_jd[0]), float(es.epoch_fr[0]))
    a_m = j2.semi_major_axis_m(es.mean_motion_brouwer_rad_s)
    predicted = j2.nodal_period_s(a_m, es.inclination_rad, es.eccentricity)
    assert np.abs(predicted - measured).max() < ELEMENTS_TOL_S
    sgp4_rates = np.array([2.0 * math.pi / ((s.argpdot + s.mdot) / 60.0) for s in es.satrecs])
    assert np.abs(predicted - sgp4_rates).max() < SGP4_RATES_TOL_S
    # orbit.json's value is that same period, averaged over the shell.
    stats = _shell_geometry_stats(ShellOrbits("starlink", "elements", 1, elements=es))
    assert stats["nodal_period_s_mean"] == pytest.approx(float(np.mean(measured)), abs=ELEMENTS_TOL_S / 10)
    # The Kozai mean motion of the TLE is neither period: 2 pi / n_kozai misses the node-to-node time by seconds.
    kozai = 2.0 * math.pi / es.mean_motion_kozai_rad_s
    assert np.abs(kozai - measured).min() > 10 * ELEMENTS_TOL_S


def test_satellites_sgp4_cannot_initialise_are_left_out(reference_data: Path) -> None:
    """Vallado's case 33334 fails SGP4 initialisation (no mean elements): the shell's figures are the others'."""
    text = (reference_data / "sgp4_verification" / "SGP4-VER.TLE").read_text().splitlines()
    pairs = [f"{ln[:69]}\n{text[i + 1][:69]}" for i, ln in enumerate(text) if ln.startswith("1 ")]
    es = ElementSet.from_tle_text("\n".join(pairs), verify_checksum=False)
    bad = np.flatnonzero(es.init_error != 0)
    assert list(es.catalog_numbers[bad]) == [33334]
    good = int(np.flatnonzero(es.catalog_numbers == 88888)[0])  # near-Earth, e = 0.0087
    mixed = _shell_geometry_stats(ShellOrbits("mixed", "elements", 1, elements=es.subset([good, int(bad[0])])))
    alone = _shell_geometry_stats(ShellOrbits("alone", "elements", 1, elements=es.subset([good])))
    assert mixed == alone and all(math.isfinite(v) for v in alone.values())
    failed = _shell_geometry_stats(ShellOrbits("failed", "elements", 1, elements=es.subset(bad)))
    assert all(math.isnan(v) for v in failed.values())
