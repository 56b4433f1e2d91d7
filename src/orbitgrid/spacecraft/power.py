"""Solar-array output power: irradiance, geometry, degradation, temperature and power conditioning.

Model
-----
The electrical power at the array's terminals, for a planar array of area ``A`` (m²), is

    P_array = A * eta * p * S(r) * f_lit * cos(theta) * D_time * D_rad * D_temp

- ``eta`` the cell efficiency at beginning of life (AM0, 28 °C) and ``p`` the packing factor (cell area over
  array area), as in ``SolarArray`` of the scenario models.
- ``S(r) = S0 (1 AU / r)^2`` the solar flux at the Sun-satellite distance ``r``, ``S0 = 1361 W/m²`` (AM0 total
  solar irradiance; Suncatcher and McCalip use 1.361 kW/m², docs/sources.md §1/§5). Over a year ``r`` runs from
  0.9833 to 1.0167 AU, so the flux swings +3.4 % / -3.3 % about its mean-distance value.
- ``f_lit`` the fraction of the solar disc visible (0 in umbra, 1 in sunlight), from
  ``orbitgrid.astro.eclipse.illuminated_fraction``.
- ``cos(theta)`` the cosine of the angle between the array normal and the Sun direction. A sun-tracking array has
  ``cos(theta) = 1`` times an optional tracking factor (e.g. ``cos`` of the residual angle a single-axis drive
  leaves, or a pointing-error allowance); a body-fixed array uses ``max(0, n . s)`` from the panel normal ``n`` and
  Sun direction ``s`` (one active face: light on the back gives nothing), as STK Astrogator's solar-array source
  does with its "inclination to sun line" (help.agi.com, Astrogator power source components). The body-fixed
  attitude orbitgrid simulates is a nadir-pointing bus with the array's normal along the orbit normal, turned to
  the Sun's side of the orbit plane (a 180 deg yaw when the Sun crosses the plane): ``cos(theta) = |h . s| =
  |sin beta|`` for the unit orbit normal ``h`` and Sun direction ``s`` (``orbit_normal_array_cosine``; the
  attitude and its validity are in ``fleet.orbital``).
- ``D_time = (1 - d)^t`` compounding degradation at ``d`` per year over ``t`` years in orbit (the same form as
  STK Astrogator's ``(1 - x%/yr)^time`` and as Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed.,
  1999, sec. 11.4, lifetime degradation ``L_d = (1 - degradation/yr)^life``). The scenario default 2.5 %/yr is
  McCalip's (docs/sources.md §3/§5); it lumps every mechanism, radiation included.
- ``D_rad = 1 - C log10(1 + phi / phi_x)``, the semi-empirical form used to fit remaining-factor curves in the JPL
  equivalent-fluence and NRL displacement-damage-dose methods (Tada, Carter, Anspaugh & Downing, *Solar Cell
  Radiation Handbook*, JPL Publ. 82-69, 1982; Messenger et al., Prog. Photovolt. 9 (2001) 103), as a function of
  the 1 MeV-electron-equivalent fluence ``phi`` (e/cm²). ``C = 0.2217`` and ``phi_x = 2.342e14 e/cm²`` pass exactly
  through the published maximum-power retention of Spectrolab's XTJ GaInP/GaAs/Ge cell, 0.89 at 5e14 and 0.84 at
  1e15 e/cm² (Fetzer et al., "Production ready 30% efficient triple junction space solar cells", IEEE PVSC 2008).
  Use either this dose-based factor or a time-based rate that already includes radiation, not both.
- ``D_temp = 1 + gamma (T - 28 °C)`` with ``gamma`` the relative temperature coefficient of maximum power. Space
  cells are rated at AM0 and 28 °C (Fetzer et al. above). Default ``-0.0025 /K`` (-0.25 %/K), typical of
  lattice-matched triple-junction cells; silicon cells are about -0.45 %/K (``SILICON_TEMPERATURE_COEFFICIENT``).
  Both figures are orbitgrid's choice within the -0.2 to -0.45 %/K span vendors publish (confidence M).

The array power then passes through the power-conditioning electronics (array regulator or maximum-power-point
tracker and bus converters): ``P_bus = eta_pcu * P_array``. Default ``eta_pcu = 0.92``, an orbitgrid assumption
between SMAD's daylight path efficiency from array to loads (0.80 peak-power tracking, 0.85 direct energy transfer;
Wertz & Larson sec. 11.4, which also counts distribution) and the ~0.95 of current converters. The bus first feeds
the housekeeping load (avionics, thermal control, attitude control: ``housekeeping_w``); ``net_w = P_bus -
housekeeping_w`` is what is left for the payload and the battery (negative: the bus needs the battery).

Validity
--------
Flat-plate, one-sun arrays; no spectral, Earth-albedo or Earth-infrared input (Suncatcher's sizing ignores them
too); no shadowing of the array by the bus; the temperature effect is a first-order expansion about 28 °C (real
coefficients drift with temperature, intensity and radiation damage). The radiation curve is a fit to one cell type over
1e14-1e16 e/cm²; below 1e13 it gives < 0.5 % loss. Degradation factors are clipped to [0, 1] and the temperature
factor at 0, so no input yields negative power.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from orbitgrid.astro.constants import AU_M, SOLAR_CONSTANT_W_M2

#: Rating temperature of space solar cells (AM0, 28 °C), kelvin.
REFERENCE_CELL_TEMPERATURE_K = 301.15

#: Relative temperature coefficient of maximum power, 1/K: triple-junction GaInP/GaAs/Ge (default) and silicon.
TRIPLE_JUNCTION_TEMPERATURE_COEFFICIENT = -0.0025
SILICON_TEMPERATURE_COEFFICIENT = -0.0045

#: Remaining-factor curve ``1 - C log10(1 + phi/phi_x)`` fitted to Spectrolab XTJ: 0.89 at 5e14, 0.84 at 1e15 e/cm².
RADIATION_C = 0.2217
RADIATION_PHI_X_E_CM2 = 2.342e14

#: Power-conditioning efficiency, array terminals to bus (orbitgrid assumption; see the module docstring).
DEFAULT_CONDITIONING_EFFICIENCY = 0.92

#: Array output lost per year in orbit: McCalip's default 2.5 %/yr (andrewmccalip.com/space-datacenters; Starcloud
#: claims < 0.15 %/yr for thin-film cells, docs/sources.md §5, low confidence).
DEFAULT_DEGRADATION_PER_YEAR = 0.025

#: Sun-tracking and body-fixed arrays, the two ``SolarArray.tracking`` values of the scenario models.
SUN_TRACKING, BODY_FIXED = "sun_tracking", "body_fixed"


def solar_flux_w_m2(sun_distance_m: ArrayLike = AU_M) -> np.ndarray:
    """Solar flux ``S0 (1 AU / r)^2`` at Sun-satellite distances ``r`` in metres."""
    r = np.asarray(sun_distance_m, dtype=np.float64)
    return SOLAR_CONSTANT_W_M2 * (AU_M / r) ** 2


def incidence_cosine(panel_normal: ArrayLike, sun_direction: ArrayLike) -> np.ndarray:
    """``max(0, n . s)`` for panel normals and Sun directions ``(..., 3)`` (any length; both are normalised)."""
    n = np.asarray(panel_normal, dtype=np.float64)
    s = np.asarray(sun_direction, dtype=np.float64)
    dot = np.einsum("...i,...i->...", n, s)
    norm = np.linalg.norm(n, axis=-1) * np.linalg.norm(s, axis=-1)
    return np.clip(dot / norm, 0.0, 1.0)


def orbit_normal_array_cosine(orbit_normal: ArrayLike, sun_direction: ArrayLike) -> np.ndarray:
    """``|h . s| = |sin beta|``: an array whose normal lies along the orbit normal ``h``, on the Sun's side.

    ``h`` and ``s`` are ``(..., 3)`` in the same frame, any length. This is ``incidence_cosine`` with the panel
    normal flipped to the Sun's side of the orbit plane, as a bus that yaws 180 deg when ``beta`` changes sign has it.
    """
    n = np.asarray(orbit_normal, dtype=np.float64)
    s = np.asarray(sun_direction, dtype=np.float64)
    dot = np.einsum("...i,...i->...", n, s)
    norm = np.linalg.norm(n, axis=-1) * np.linalg.norm(s, axis=-1)
    return np.minimum(np.abs(dot) / norm, 1.0)


def array_cos_incidence(
    tracking: str,
    *,
    panel_normal: ArrayLike | None = None,
    sun_direction: ArrayLike | None = None,
    tracking_factor: ArrayLike = 1.0,
) -> np.ndarray:
    """Cosine factor for a ``sun_tracking`` array (``tracking_factor``, 1 when ideal) or a ``body_fixed`` one.

    A body-fixed array needs ``panel_normal`` and ``sun_direction`` in the same frame, shapes ``(..., 3)``.
    """
    if tracking == SUN_TRACKING:
        return np.clip(np.asarray(tracking_factor, dtype=np.float64), 0.0, 1.0)
    if tracking == BODY_FIXED:
        if panel_normal is None or sun_direction is None:
            raise ValueError("a body_fixed array needs panel_normal and sun_direction")
        return incidence_cosine(panel_normal, sun_direction)
    raise ValueError(f"tracking must be {SUN_TRACKING!r} or {BODY_FIXED!r}, not {tracking!r}")


def time_degradation_factor(years_in_orbit: ArrayLike, degradation_per_year: ArrayLike) -> np.ndarray:
    """Remaining fraction ``(1 - d)^t`` after ``t`` years at ``d`` per year, compounding (clipped to [0, 1])."""
    t = np.maximum(np.asarray(years_in_orbit, dtype=np.float64), 0.0)
    d = np.clip(np.asarray(degradation_per_year, dtype=np.float64), 0.0, 1.0)
    return np.clip((1.0 - d) ** t, 0.0, 1.0)


def radiation_degradation_factor(
    fluence_1mev_e_cm2: ArrayLike, c: float = RADIATION_C, phi_x_e_cm2: float = RADIATION_PHI_X_E_CM2
) -> np.ndarray:
    """Remaining maximum-power fraction ``1 - C log10(1 + phi/phi_x)`` at 1 MeV-electron-equivalent fluence ``phi``."""
    phi = np.maximum(np.asarray(fluence_1mev_e_cm2, dtype=np.float64), 0.0)
    return np.clip(1.0 - c * np.log10(1.0 + phi / phi_x_e_cm2), 0.0, 1.0)


def temperature_factor(
    cell_temperature_k: ArrayLike,
    coefficient_per_k: float = TRIPLE_JUNCTION_TEMPERATURE_COEFFICIENT,
    reference_k: float = REFERENCE_CELL_TEMPERATURE_K,
) -> np.ndarray:
    """Relative power ``1 + gamma (T - T_ref)`` at cell temperature ``T`` (K), never below 0."""
    t = np.asarray(cell_temperature_k, dtype=np.float64)
    return np.maximum(1.0 + coefficient_per_k * (t - reference_k), 0.0)


@dataclass(frozen=True)
class ArrayPowerBreakdown:
    """Every factor of the array-power chain, broadcast to a common shape (see the module docstring).

    ``array_w = area_m2 * cell_efficiency * packing_factor * solar_flux_w_m2 * illuminated_fraction *
    cos_incidence * time_factor * radiation_factor * temperature_factor``; ``conditioned_w = array_w *
    conditioning_efficiency``; ``net_w = conditioned_w - housekeeping_w``.
    """

    solar_flux_w_m2: np.ndarray
    illuminated_fraction: np.ndarray
    cos_incidence: np.ndarray
    time_factor: np.ndarray
    radiation_factor: np.ndarray
    temperature_factor: np.ndarray
    bol_sun_facing_w: np.ndarray
    array_w: np.ndarray
    conditioning_loss_w: np.ndarray
    conditioned_w: np.ndarray
    housekeeping_w: np.ndarray
    net_w: np.ndarray


def power_breakdown(
    area_m2: ArrayLike,
    cell_efficiency: ArrayLike,
    packing_factor: ArrayLike,
    *,
    sun_distance_m: ArrayLike = AU_M,
    illuminated_fraction: ArrayLike = 1.0,
    cos_incidence: ArrayLike = 1.0,
    years_in_orbit: ArrayLike = 0.0,
    degradation_per_year: ArrayLike = 0.0,
    fluence_1mev_e_cm2: ArrayLike = 0.0,
    cell_temperature_k: ArrayLike = REFERENCE_CELL_TEMPERATURE_K,
    temperature_coefficient_per_k: float = TRIPLE_JUNCTION_TEMPERATURE_COEFFICIENT,
    conditioning_efficiency: ArrayLike = DEFAULT_CONDITIONING_EFFICIENCY,
    housekeeping_w: ArrayLike = 0.0,
) -> ArrayPowerBreakdown:
    """The full chain from sunlight to bus power; all inputs broadcast (satellites x times, or any shape).

    ``bol_sun_facing_w`` is the beginning-of-life power at the actual Sun distance with the array square to the
    Sun, fully lit, at 28 °C. Defaults leave every factor at 1 except the conditioning efficiency.
    """
    flux = solar_flux_w_m2(sun_distance_m)
    lit = np.clip(np.asarray(illuminated_fraction, dtype=np.float64), 0.0, 1.0)
    cos_i = np.clip(np.asarray(cos_incidence, dtype=np.float64), 0.0, 1.0)
    d_time = time_degradation_factor(years_in_orbit, degradation_per_year)
    d_rad = radiation_degradation_factor(fluence_1mev_e_cm2)
    d_temp = temperature_factor(cell_temperature_k, temperature_coefficient_per_k)
    area = np.asarray(area_m2, dtype=np.float64)
    bol = area * np.asarray(cell_efficiency, dtype=np.float64) * np.asarray(packing_factor, dtype=np.float64) * flux
    array = bol * lit * cos_i * d_time * d_rad * d_temp
    eta = np.asarray(conditioning_efficiency, dtype=np.float64)
    conditioned = array * eta
    hk = np.asarray(housekeeping_w, dtype=np.float64)
    parts = np.broadcast_arrays(
        flux, lit, cos_i, d_time, d_rad, d_temp, bol, array, array - conditioned, conditioned, hk, conditioned - hk
    )
    return ArrayPowerBreakdown(*(np.array(p, dtype=np.float64) for p in parts))


def array_power_w(
    area_m2: ArrayLike,
    cell_efficiency: ArrayLike,
    packing_factor: ArrayLike,
    *,
    sun_distance_m: ArrayLike = AU_M,
    illuminated_fraction: ArrayLike = 1.0,
    cos_incidence: ArrayLike = 1.0,
    years_in_orbit: ArrayLike = 0.0,
    degradation_per_year: ArrayLike = 0.0,
    fluence_1mev_e_cm2: ArrayLike = 0.0,
    cell_temperature_k: ArrayLike = REFERENCE_CELL_TEMPERATURE_K,
    temperature_coefficient_per_k: float = TRIPLE_JUNCTION_TEMPERATURE_COEFFICIENT,
) -> np.ndarray:
    """Electrical power at the array terminals, W (before conditioning); arguments as in ``power_breakdown``."""
    return power_breakdown(
        area_m2,
        cell_efficiency,
        packing_factor,
        sun_distance_m=sun_distance_m,
        illuminated_fraction=illuminated_fraction,
        cos_incidence=cos_incidence,
        years_in_orbit=years_in_orbit,
        degradation_per_year=degradation_per_year,
        fluence_1mev_e_cm2=fluence_1mev_e_cm2,
        cell_temperature_k=cell_temperature_k,
        temperature_coefficient_per_k=temperature_coefficient_per_k,
    ).array_w


def bus_power_w(array_w: ArrayLike, conditioning_efficiency: ArrayLike = DEFAULT_CONDITIONING_EFFICIENCY) -> np.ndarray:
    """Power delivered to the bus by the conditioning electronics from array power ``array_w``."""
    return np.asarray(array_w, dtype=np.float64) * np.asarray(conditioning_efficiency, dtype=np.float64)
