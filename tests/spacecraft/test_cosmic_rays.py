"""Galactic cosmic rays and solar particle events (orbitgrid.spacecraft.cosmic_rays): cutoffs, the modulated
spectrum against PDG's primary intensity, upsets along orbits, and the August 1972 event."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from orbitgrid.astro import frames, j2
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.time import TimeGrid
from orbitgrid.spacecraft import cosmic_rays as cr
from orbitgrid.spacecraft import radiation as rad

EPOCH = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
DAY_S = 86_400.0


def track(alt_km: float, inc_deg: float):
    grid = TimeGrid.from_duration(EPOCH, DAY_S, 60.0)
    r = j2.positions_teme_m(
        np.array([EARTH_EQUATORIAL_RADIUS_M + alt_km * 1e3]), np.radians([inc_deg]), np.zeros(1), np.zeros(1), grid.t_s
    )
    jd, fr = grid.jd_utc(grid.t_s)
    return frames.ecef_to_geodetic(frames.teme_to_ecef(r, jd, fr)[0])


def test_stormer_constant_from_the_igrf_dipole():
    # B0 = |(g10, g11, h11)| at 2026.0 = 29,717 nT; C = B0 R c / 4 with R = 6371.2 km.
    assert pytest.approx(29_717.0, abs=1.0) == cr._B0_T * 1e9
    assert pytest.approx(29_717e-9 * 6_371_200.0 * 299_792_458.0 / 4e9, rel=1e-4) == cr.STORMER_VERTICAL_CUTOFF_GV
    assert pytest.approx(14.19, abs=0.01) == cr.STORMER_VERTICAL_CUTOFF_GV


def test_cutoffs_follow_magnetic_latitude():
    # Highest over the equator (Rc ~ C / L^2 with L ~ 1.1 at 650 km), vanishing over the polar caps.
    eq = float(cr.cutoff_rigidity_gv(0.0, np.radians(100.0), 650e3))
    mid = float(cr.cutoff_rigidity_gv(np.radians(45.0), 0.0, 650e3))
    cap = float(cr.cutoff_rigidity_gv(np.radians(80.0), 0.0, 650e3))
    assert 9.0 < eq < 15.0 and 2.0 < mid < 6.0 and cap < 0.1
    g = rad.load_trapped_flux_grid()
    ell = float(rad.mcilwain_l(np.radians(30.0), np.radians(20.0), 1000e3))
    k, i, j = int(np.flatnonzero(g.alt_km == 1000.0)[0]), 59, 100  # the node at 30 N 20 E
    assert (g.lat_deg[i], g.lon_deg[j]) == (30.0, 20.0)
    assert ell == pytest.approx(1.0 / np.sqrt(g.inverse_l_squared[k, i, j]), rel=1e-6)


def test_open_sky():
    np.testing.assert_allclose(cr.open_sky_fraction(np.array([0.0, 400e3, 2000e3])), [0.5, 0.669, 0.824], atol=1e-3)


def test_spectrum_matches_pdg_primary_protons_above_20_gev():
    """PDG Review, "Cosmic rays": primary nucleons 1.8e4 (E/GeV)^-2.7 /(m2 s sr GeV), 79 % of them free protons
    (E the total energy per nucleon). Above 20 GeV modulation fades: the force-field spectrum is 4-9 % under it at
    400 MV and 11-16 % at 1,000 MV (20-100 GeV)."""
    for t in (20.0, 50.0, 100.0):
        pdg = 0.79 * 1.8e4 * (t + 0.938) ** -2.7
        for phi in (400.0, 1000.0):
            assert cr.gcr_proton_intensity(t, phi) == pytest.approx(pdg, rel=0.2)


def test_modulation_and_cutoff_order_the_flux():
    r = np.array([0.0, 1.0, 3.0, 10.0, 15.0])
    fmin, fmax = cr.gcr_proton_flux_above_cm2_s(r, 400.0), cr.gcr_proton_flux_above_cm2_s(r, 1000.0)
    assert np.all(np.diff(fmin) < 0) and np.all(fmax < fmin)
    assert fmin[0] == pytest.approx(4.86, rel=0.01) and fmax[0] == pytest.approx(1.69, rel=0.01)
    assert fmax[-1] / fmin[-1] > 0.85  # high-rigidity particles barely feel the solar cycle
    assert cr.MODULATION_POTENTIAL_MV == {"minimum": 400.0, "maximum": 1000.0}


def test_gcr_upsets_along_orbits():
    """Orbit-averaged GCR nuclei flux: an equatorial orbit sits under the highest cutoffs, a polar one crosses the
    caps; solar maximum lowers both. Upsets use the 67 MeV cross-sections per nucleus."""
    flux = {}
    for inc in (0.0, 53.0, 97.9):
        lat, lon, h = track(650.0, inc)
        flux[inc] = {phi: float(cr.gcr_nuclei_flux_cm2_s(lat, lon, h, phi).mean()) for phi in (400.0, 1000.0)}
    print(f"GCR nuclei flux at 650 km (cm^-2 s^-1) by inclination and phi: {flux}")
    assert flux[0.0][400.0] < flux[53.0][400.0] < flux[97.9][400.0]
    for f in flux.values():
        assert f[1000.0] < f[400.0]
    assert 0.05 < flux[0.0][400.0] < 0.3 and 0.5 < flux[97.9][400.0] < 2.0
    xs = rad.UpsetCrossSections()
    rates = cr.gcr_upset_rates_per_s(flux[97.9][400.0], xs)
    assert rates["sdc"] == pytest.approx(flux[97.9][400.0] / (17.0 * 7.9e6))
    # Against the trapped protons of the same orbit behind 10 mm (67-MeV-equivalent flux = dose rate x 7.9e6):
    lat, lon, h = track(650.0, 97.9)
    trapped_eq = float(rad.dose_rate_rad_s(lat, lon, h, 10.0).mean()) * 7.9e6
    print(f"SSO 650 km: trapped 67-MeV-equivalent {trapped_eq:.1f} vs GCR {flux[97.9][400.0]:.2f} /cm2/s")
    assert flux[97.9][400.0] < 0.1 * trapped_eq


def test_king_1972_event_spectrum_and_transmission():
    ev = cr.SOLAR_EVENTS["august_1972"]
    assert float(ev.fluence_above_cm2(30.0)) == pytest.approx(7.9e9)
    assert float(ev.fluence_above_cm2(10.0)) == pytest.approx(7.9e9 * np.exp(20.0 / 26.5))
    # Over the polar cap the event arrives (cutoff ~0), over the equator nothing does.
    cap = float(cr.spe_dose_rate_rad_s(ev, DAY_S, np.radians(80.0), 0.0, 650e3, 10.0)) * DAY_S
    eq = float(cr.spe_dose_rate_rad_s(ev, DAY_S, 0.0, 0.0, 650e3, 10.0)) * DAY_S
    print(f"August 1972 event behind 10 mm Al at 650 km: polar cap {cap:.0f} rad(Si), equator {eq:.3g}")
    assert 300.0 < cap < 2000.0 and eq < 1e-6
    # Same transport as trapped protons: the fully transmitted dose is J(>10) K_p(t, J100/J10) x open sky.
    ratio = float(ev.fluence_above_cm2(100.0) / ev.fluence_above_cm2(10.0))
    full = float(ev.fluence_above_cm2(10.0)) * float(rad.proton_dose_coefficient_mev_cm2_g(10.0, ratio))
    assert cap == pytest.approx(full * rad.MEV_PER_G_TO_RAD * float(cr.open_sky_fraction(650e3)), rel=0.02)
    # Thicker shields cut a soft event hard.
    d = [float(cr.spe_dose_rate_rad_s(ev, DAY_S, np.radians(80.0), 0.0, 650e3, t)) for t in (1.0, 5.0, 10.0, 20.0)]
    assert d[0] > d[1] > d[2] > d[3] > 0.0
    with pytest.raises(ValueError, match="duration"):
        cr.spe_dose_rate_rad_s(ev, 0.0, 0.0, 0.0, 650e3, 10.0)
