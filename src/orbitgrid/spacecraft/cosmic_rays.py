"""Galactic cosmic rays and solar particle events: the particle background the trapped belts do not cover.

Model
-----
**Where particles get in.** A charged particle reaches a point of the orbit only if its magnetic rigidity exceeds
the local geomagnetic cutoff. We use Størmer's vertical cutoff of a dipole, which depends on the McIlwain shell only,

    Rc = C / L^2,    C = B0 R c / 4 = 14.19 GV

with ``B0`` the 2026.0 dipole field at the reference radius ``R = 6371.2 km`` from the IGRF-14 coefficients
(g10, g11, h11 = -29,337.4, -1,400.3, 4,524.0 nT, linear between the 2025 and 2030 columns; B0 = 29,717 nT), and
the same McIlwain L that AE8/AP8 are looked up with (``radiation.mcilwain_l``, IGRF through ``aep8``). The Earth
itself blocks the directions below the horizon: the open fraction of the sky at height ``h`` is
``(1 + cos(theta))/2`` with ``sin(theta) = R_E / (R_E + h)`` (0.67 at 400 km, 0.82 at 2,000 km). Storms lower the
cutoffs and the cutoff is not the same in every direction (east-west effect); neither is modelled.

**Galactic cosmic rays.** Protons follow the force-field approximation (Gleeson & Axford 1968) of solar modulation
applied to the local interstellar spectrum of Burger et al. (2000) in the form of Usoskin et al. (2005):

    J_LIS(T) = 1.9e4 P^-2.78 / (1 + 0.4866 P^-2.51)      [m^-2 s^-1 sr^-1 GeV^-1],  P = sqrt(T (T + 2 Tr)) in GV
    J(T, phi) = J_LIS(T + phi) T (T + 2 Tr) / ((T + phi)(T + phi + 2 Tr))

(T kinetic energy in GeV, Tr = 0.938 GeV, phi the modulation potential in GV). The omnidirectional flux above the
cutoff is ``4 pi x open sky x int_{T(Rc)}^inf J dT``. Helium and heavier nuclei are counted with the protons'
rigidity spectrum in the number ratio 87 % H : 12 % He : 1 % heavier (Simpson, Ann. Rev. Nucl. Part. Sci. 33, 323,
1983), i.e. all nuclei = protons / 0.87. Solar cycle: ``phi`` = 400 MV at solar minimum and 1,000 MV at solar
maximum (round values of the monthly modulation potential at recent minima and maxima in the reconstruction of
Usoskin et al. 2005 and 2011, made with this LIS; it spans ~300 MV in 2009 to ~1,300 MV). Free-space proton flux:
4.9 cm^-2 s^-1 at 400 MV, 1.7 at 1,000 MV; above a 10 GV cutoff 0.20 and 0.17. Above 20 GeV, where
modulation fades, the spectrum is 4-9 % (400 MV) and 11-16 % (1,000 MV) under PDG's primary-proton intensity
(79 % of ``1.8e4 (E/GeV)^-2.7``, 20-100 GeV). The upset rate per chip is ``sigma x flux``, each nucleus counted as
one 67 MeV proton of :class:`radiation.UpsetCrossSections`: GCR protons have GeV energies, where proton upset
cross-sections are saturated (at least the 67 MeV value), and heavier nuclei upset by direct ionisation with
cross-sections that need heavy-ion test data nobody has published for these accelerators, so the GCR rate is a
lower bound. Shielding is ignored: a 10 mm Al wall (2.7 g/cm^2) is 2.5 % of a nuclear interaction length
(107 g/cm^2, PDG) and stops protons below 48 MeV, 0.7 % of the free-space GCR protons at 400 MV (0.2 % at
1,000 MV), fewer where a cutoff applies.

**Solar particle events.** An event is an integral proton fluence spectrum at 1 AU delivered at a constant rate
over the event's duration. The built-in event is the August 1972 "anomalously large" event of King (1974),
``J(>E) = 7.9e9 exp((30 - E) / 26.5)`` protons cm^-2 (E in MeV; King, J. Spacecraft Rockets 11, 401, 1974), the
classic design case (1.7e10 cm^-2 above 10 MeV, 7.9e9 above 30 MeV, 5.7e8 above 100 MeV). Its protons reach a
point only above the local cutoff energy (the kinetic energy of a proton at rigidity ``Rc``) and the open sky; the
transmitted fluence above ``max(10 MeV, E(Rc))`` is carried through the same shield transport as trapped protons
(the exponential spectrum with ``J(>100)/J(>10) = exp(-90/26.5)``: :func:`radiation.proton_dose_coefficient_mev_cm2_g`),
and upsets follow from the dose per event as for trapped protons. Behind 10 mm Al the whole event deposits
~710 rad(Si) at a point where it is fully transmitted (80 deg N at 650 km: cutoff 0.02 GV, open sky 0.67), about
four years of the trapped dose of a 650 km dawn-dusk SSO; over the equator (cutoff 11 GV) nothing arrives.

Sources
-------
Størmer, *The Polar Aurora* (1955); IGRF-14 (Alken et al., 2025, doi:10.5281/zenodo.14012302, shared data
``IGRF14.shc``); Gleeson & Axford, ApJ 154, 1011 (1968); Burger, Potgieter & Heber, JGR 105, 27447 (2000);
Usoskin, Alanko-Huotari, Kovaltsov & Mursula, JGR 110, A12108 (2005); Usoskin, Bazilevskaya & Kovaltsov, JGR 116,
A02104 (2011); Simpson (1983); PDG *Review of Particle Physics* (2024), "Cosmic rays" (primary nucleon intensity
``1.8e4 (E/GeV)^-2.7`` m^-2 s^-1 sr^-1 GeV^-1, 79 % free protons: the validation above 10 GeV); King (1974).

Validity
--------
LEO to ~2,000 km in quiet geomagnetic conditions. Fluxes of primaries only (no albedo or shield secondaries); GCR
upsets a lower bound (no heavy-ion cross-sections); SPE fluence spread evenly over the stated duration (real events
peak within hours).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import SPEED_OF_LIGHT_M_S, WGS84_MEAN_RADIUS_M
from orbitgrid.spacecraft.radiation import (
    _PROTON_MASS_MEV,
    MEV_PER_G_TO_RAD,
    UpsetCrossSections,
    mcilwain_l,
    proton_dose_coefficient_mev_cm2_g,
    upset_rates_from_flux_per_s,
    upset_rates_per_s,
)

__all__ = [
    "GCR_NUCLEI_PER_PROTON",
    "MODULATION_POTENTIAL_MV",
    "SOLAR_EVENTS",
    "STORMER_VERTICAL_CUTOFF_GV",
    "SolarParticleEvent",
    "cutoff_rigidity_gv",
    "gcr_nuclei_flux_cm2_s",
    "gcr_proton_flux_above_cm2_s",
    "gcr_proton_intensity",
    "gcr_upset_rates_per_s",
    "open_sky_fraction",
    "proton_energy_at_rigidity_mev",
    "spe_dose_rate_rad_s",
    "spe_upset_rates_per_s",
]

_PROTON_REST_GEV = _PROTON_MASS_MEV / 1e3
_IGRF_REFERENCE_RADIUS_M = 6_371_200.0
#: IGRF-14 dipole coefficients at 2026.0 (nT): g10, g11, h11, linear between the 2025.0 and 2030.0 columns.
_IGRF14_2025_2030_DIPOLE_NT = ((-29350.0, -29287.0), (-1410.3, -1360.3), (4545.5, 4438.0))
_IGRF14_2026_DIPOLE_NT = tuple(a + 0.2 * (b - a) for a, b in _IGRF14_2025_2030_DIPOLE_NT)
_B0_T = float(np.sqrt(sum(c * c for c in _IGRF14_2026_DIPOLE_NT))) * 1e-9
#: Størmer vertical cutoff at L = 1 (GV): B0 R c / 4 for the 2026.0 IGRF dipole.
STORMER_VERTICAL_CUTOFF_GV = _B0_T * _IGRF_REFERENCE_RADIUS_M * SPEED_OF_LIGHT_M_S / 4.0 / 1e9
_EARTH_MEAN_RADIUS_M = WGS84_MEAN_RADIUS_M

#: Modulation potential (MV) by solar-cycle phase (module docstring: Usoskin et al. 2005, 2011).
MODULATION_POTENTIAL_MV: dict[str, float] = {"minimum": 400.0, "maximum": 1000.0}
#: All GCR nuclei per proton at the same rigidity (Simpson 1983: 87 % H, 12 % He, 1 % heavier, by number).
GCR_NUCLEI_PER_PROTON = 1.0 / 0.87


def cutoff_rigidity_gv(
    lat_rad: np.ndarray | float, lon_rad: np.ndarray | float, alt_m: np.ndarray | float
) -> np.ndarray:
    """Størmer vertical cutoff rigidity ``C / L^2`` (GV) at geodetic points, L from the packaged AE8/AP8 table."""
    return STORMER_VERTICAL_CUTOFF_GV / mcilwain_l(lat_rad, lon_rad, alt_m) ** 2


def open_sky_fraction(alt_m: np.ndarray | float) -> np.ndarray:
    """Fraction of directions not blocked by the solid Earth (a sphere of mean radius) at height ``alt_m``."""
    s = _EARTH_MEAN_RADIUS_M / (_EARTH_MEAN_RADIUS_M + np.maximum(np.asarray(alt_m, dtype=np.float64), 0.0))
    return 0.5 * (1.0 + np.sqrt(1.0 - s * s))


def proton_energy_at_rigidity_mev(rigidity_gv: np.ndarray | float) -> np.ndarray:
    """Kinetic energy (MeV) of a proton of magnetic rigidity ``rigidity_gv``: ``sqrt(R^2 + m^2) - m``."""
    r = np.asarray(rigidity_gv, dtype=np.float64)
    return (np.sqrt(r * r + _PROTON_REST_GEV**2) - _PROTON_REST_GEV) * 1e3


def gcr_proton_intensity(kinetic_gev: np.ndarray | float, phi_mv: float) -> np.ndarray:
    """Force-field GCR proton intensity (m^-2 s^-1 sr^-1 GeV^-1) at kinetic energy ``kinetic_gev``."""
    t = np.asarray(kinetic_gev, dtype=np.float64)
    phi = phi_mv / 1e3
    tm = t + phi
    p = np.sqrt(tm * (tm + 2.0 * _PROTON_REST_GEV))
    lis = 1.9e4 * p**-2.78 / (1.0 + 0.4866 * p**-2.51)
    return lis * t * (t + 2.0 * _PROTON_REST_GEV) / (tm * (tm + 2.0 * _PROTON_REST_GEV))


@functools.lru_cache(maxsize=16)
def _integral_table(phi_mv: float) -> tuple[np.ndarray, np.ndarray]:
    """(cutoff rigidity GV, omnidirectional free-space proton flux above it, cm^-2 s^-1) on a log grid."""
    t = np.logspace(-4.0, 4.0, 4001)  # 0.1 MeV - 10 TeV
    j = gcr_proton_intensity(t, phi_mv)
    seg = 0.5 * (j[1:] + j[:-1]) * np.diff(t)
    above = np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]]) * 4.0 * np.pi / 1e4
    rigidity = np.sqrt(t * (t + 2.0 * _PROTON_REST_GEV))
    return rigidity, above


def gcr_proton_flux_above_cm2_s(rigidity_gv: np.ndarray | float, phi_mv: float) -> np.ndarray:
    """Free-space omnidirectional GCR proton flux (cm^-2 s^-1) above a rigidity cutoff, at modulation ``phi_mv``."""
    r_tab, f_tab = _integral_table(float(phi_mv))
    r = np.clip(np.asarray(rigidity_gv, dtype=np.float64), r_tab[0], r_tab[-1])
    return np.exp(np.interp(np.log(r), np.log(r_tab), np.log(np.maximum(f_tab, 1e-300))))


def gcr_nuclei_flux_cm2_s(
    lat_rad: np.ndarray | float, lon_rad: np.ndarray | float, alt_m: np.ndarray | float, phi_mv: float
) -> np.ndarray:
    """Flux of GCR nuclei (cm^-2 s^-1) reaching geodetic points: above the local cutoff, from the open sky."""
    rc = cutoff_rigidity_gv(lat_rad, lon_rad, alt_m)
    return GCR_NUCLEI_PER_PROTON * gcr_proton_flux_above_cm2_s(rc, phi_mv) * open_sky_fraction(alt_m)


def gcr_upset_rates_per_s(
    nuclei_flux_cm2_s: np.ndarray | float, cross_sections: UpsetCrossSections | None = None
) -> dict[str, np.ndarray]:
    """Events per chip-second from a GCR nuclei flux, each nucleus as one 67 MeV proton (a lower bound)."""
    return upset_rates_from_flux_per_s(nuclei_flux_cm2_s, cross_sections)


@dataclass(frozen=True)
class SolarParticleEvent:
    """An event-integrated integral proton fluence ``J(>E) = norm x exp((e_ref - E) / e_fold)`` cm^-2 at 1 AU."""

    name: str
    norm_cm2: float
    e_ref_mev: float
    e_fold_mev: float
    source: str

    def fluence_above_cm2(self, energy_mev: np.ndarray | float) -> np.ndarray:
        e = np.asarray(energy_mev, dtype=np.float64)
        return self.norm_cm2 * np.exp((self.e_ref_mev - e) / self.e_fold_mev)


SOLAR_EVENTS: dict[str, SolarParticleEvent] = {
    "august_1972": SolarParticleEvent(
        "august_1972",
        7.9e9,
        30.0,
        26.5,
        "King, J. Spacecraft Rockets 11, 401 (1974): the August 1972 anomalously large event, "
        "J(>E) = 7.9e9 exp((30 - E)/26.5) protons/cm^2",
    ),
}


def spe_dose_rate_rad_s(
    event: SolarParticleEvent,
    duration_s: float,
    lat_rad: np.ndarray | float,
    lon_rad: np.ndarray | float,
    alt_m: np.ndarray | float,
    shielding_mm_al: float,
) -> np.ndarray:
    """Dose rate in Si (rad/s) behind a sphere of Al while ``event`` lasts, its fluence spread over ``duration_s``."""
    if not duration_s > 0.0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    e_cut = proton_energy_at_rigidity_mev(cutoff_rigidity_gv(lat_rad, lon_rad, alt_m))
    transmitted = event.fluence_above_cm2(np.maximum(e_cut, 10.0)) * open_sky_fraction(alt_m)
    ratio = float(event.fluence_above_cm2(100.0) / event.fluence_above_cm2(10.0))
    k = float(proton_dose_coefficient_mev_cm2_g(shielding_mm_al, ratio))
    return transmitted * k * MEV_PER_G_TO_RAD / duration_s


def spe_upset_rates_per_s(
    dose_rate_rad_s_: np.ndarray | float, cross_sections: UpsetCrossSections | None = None
) -> dict[str, np.ndarray]:
    """Events per chip-second during an event, from its dose rate (dose per event, as for trapped protons)."""
    return upset_rates_per_s(dose_rate_rad_s_, cross_sections)
