"""Drag decay, orbital lifetime, station keeping against drag and the deorbit burn, for circular orbits.

Model
-----
- **Drag deceleration** ``a_D = 1/2 rho v² (C_D A / m)`` (``C_D A / m`` the inverse ballistic coefficient) along
  the velocity of a circular orbit of radius ``a`` with ``v = sqrt(mu / a)``.
- **Decay.** Averaged over one revolution a tangential deceleration changes the semi-major axis at
  ``da/dt = -2 a² v a_D / mu = -sqrt(mu a) rho (C_D A / m)`` (Gauss's equation for ``a``, circular orbit; King-Hele,
  *Satellite Orbits in an Atmosphere*, 1987; Vallado 4th ed. sec. 9.6), with ``rho`` the orbit-averaged density
  (``astro.atmosphere``). ``scipy.integrate.solve_ivp`` integrates it (LSODA, rtol 1e-8) until the altitude reaches
  the 121.92 km entry interface (``sgp4_adapter.REENTRY_ALTITUDE_M``); the circular approximation and the neglect of
  atmospheric rotation (a few percent on ``v_rel``) bound its accuracy (~10-20 %, dominated by the density model).
- **Lifetime under a steady atmosphere.** When the density depends on altitude only, the same equation separates:
  ``T = int_{a_entry}^{a_0} da / (sqrt(mu a) rho(a - R) C_D A / m)``. :func:`steady_lifetime_years` evaluates it by
  Gauss-Legendre quadrature (16 nodes) on each interval between the density profile's altitude nodes, where a
  log-linear profile is smooth, without a time integration (tested against ``scipy.integrate.quad`` to 1e-10, a
  DOP853 integration of the decay equation to 1e-6 and :func:`decay` to 1e-4).
- **Station keeping.** Holding a circular orbit against drag costs ``a_D`` per unit time: ``Δv/yr = a_D x 1 yr``.
- **Deorbit** by one tangential burn lowering the perigee from the circular orbit to ``r_p``:
  ``Δv_D = v_c (1 - sqrt(2 r_p / (r + r_p)))`` (first burn of a Hohmann transfer, Vallado 4th ed. ch. 6).
- **Disposal rule.** The FCC's Second Report and Order of 29 Sep 2022 (FCC 22-74, 47 CFR 25.114(d)(14)(vii))
  requires a LEO satellite ending its mission to be disposed of within 5 years (was 25). A satellite complies
  passively when its natural decay from the operating altitude takes at most 5 years, else it needs the deorbit burn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2, SECONDS_PER_JULIAN_YEAR
from orbitgrid.astro.sgp4_adapter import REENTRY_ALTITUDE_M

#: FCC 22-74 (Second Report and Order, 2022): LEO disposal within 5 years of the end of the mission.
FCC_DISPOSAL_YEARS = 5.0


def circular_speed_m_s(altitude_m: float) -> float:
    """``sqrt(mu / r)`` at ``altitude_m`` above the equatorial radius."""
    return math.sqrt(EARTH_MU_M3_S2 / (EARTH_EQUATORIAL_RADIUS_M + altitude_m))


def drag_deceleration_m_s2(density_kg_m3: float, altitude_m: float, area_to_mass_m2_kg: float) -> float:
    """``1/2 rho v² (C_D A / m)`` on a circular orbit; ``area_to_mass_m2_kg`` is ``C_D A / m``."""
    v = circular_speed_m_s(altitude_m)
    return 0.5 * density_kg_m3 * v * v * area_to_mass_m2_kg


def hold_delta_v_m_s(density_kg_m3: float, altitude_m: float, area_to_mass_m2_kg: float, years: float) -> float:
    """Δv to hold a circular orbit against drag for ``years``: ``a_D x L``."""
    return drag_deceleration_m_s2(density_kg_m3, altitude_m, area_to_mass_m2_kg) * years * SECONDS_PER_JULIAN_YEAR


def deorbit_delta_v_m_s(altitude_m: float, perigee_altitude_m: float) -> float:
    """Δv of one tangential burn lowering the perigee of a circular orbit: ``v_c (1 - sqrt(2 r_p / (r + r_p)))``."""
    if perigee_altitude_m >= altitude_m:
        return 0.0
    r = EARTH_EQUATORIAL_RADIUS_M + altitude_m
    rp = EARTH_EQUATORIAL_RADIUS_M + perigee_altitude_m
    return circular_speed_m_s(altitude_m) * (1.0 - math.sqrt(2.0 * rp / (r + rp)))


#: Gauss-Legendre nodes per interval of :func:`steady_lifetime_years`.
QUADRATURE_NODES = 16


def steady_lifetime_years(
    altitude_m: float,
    area_to_mass_m2_kg: float,
    density: Callable[[np.ndarray], np.ndarray],
    breaks_m: np.ndarray | None = None,
    max_years: float = 200.0,
    reentry_altitude_m: float = REENTRY_ALTITUDE_M,
) -> float:
    """Years for a circular orbit to decay from ``altitude_m`` to the entry interface when the orbit-averaged
    ``density(altitude_m)`` (vectorised) does not change with time (module docstring); ``inf`` beyond
    ``max_years``, as :func:`decay` reports. ``breaks_m``: altitudes where the density model changes its form (the
    nodes of an interpolated profile), each an end of a quadrature interval."""
    if area_to_mass_m2_kg <= 0.0:
        raise ValueError(f"C_D A / m must be positive, got {area_to_mass_m2_kg}")
    if altitude_m <= reentry_altitude_m:
        return 0.0
    inner = np.asarray([] if breaks_m is None else breaks_m, dtype=np.float64)
    inner = inner[(inner > reentry_altitude_m) & (inner < altitude_m)]
    edges = np.concatenate([[reentry_altitude_m], np.sort(inner), [altitude_m]])
    x, w = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    half = 0.5 * np.diff(edges)
    h = (0.5 * (edges[:-1] + edges[1:]))[:, None] + half[:, None] * x  # (intervals, nodes)
    a = EARTH_EQUATORIAL_RADIUS_M + h
    rate = np.sqrt(EARTH_MU_M3_S2 * a) * np.asarray(density(h.ravel())).reshape(h.shape) * area_to_mass_m2_kg
    seconds = float(np.sum(half[:, None] * w / rate))
    years = seconds / SECONDS_PER_JULIAN_YEAR
    return years if years <= max_years else math.inf


@dataclass(frozen=True)
class Decay:
    """Altitude history of a decaying circular orbit; ``lifetime_years`` is ``inf`` if it outlived ``max_years``."""

    t_years: np.ndarray
    altitude_m: np.ndarray
    lifetime_years: float


def decay(
    altitude_m: float,
    area_to_mass_m2_kg: float,
    density: Callable[[float, float], float],
    max_years: float = 200.0,
    reentry_altitude_m: float = REENTRY_ALTITUDE_M,
) -> Decay:
    """Integrate ``da/dt = -sqrt(mu a) rho(t, h) C_D A / m`` from ``altitude_m`` (module docstring).

    ``density(t_s, altitude_m)`` is the orbit-averaged density at time ``t_s`` after the start.
    """
    if area_to_mass_m2_kg <= 0.0:
        raise ValueError(f"C_D A / m must be positive, got {area_to_mass_m2_kg}")
    if altitude_m <= reentry_altitude_m:
        return Decay(np.zeros(1), np.array([altitude_m]), 0.0)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        a = float(y[0])
        h = max(a - EARTH_EQUATORIAL_RADIUS_M, reentry_altitude_m)
        return np.array([-math.sqrt(EARTH_MU_M3_S2 * a) * density(t, h) * area_to_mass_m2_kg])

    def reentry(t: float, y: np.ndarray) -> float:
        return float(y[0]) - EARTH_EQUATORIAL_RADIUS_M - reentry_altitude_m

    reentry.terminal = True  # type: ignore[attr-defined]
    reentry.direction = -1  # type: ignore[attr-defined]
    from scipy.integrate import solve_ivp  # imported here: scenario validation imports this module

    sol = solve_ivp(
        rhs,
        (0.0, max_years * SECONDS_PER_JULIAN_YEAR),
        [EARTH_EQUATORIAL_RADIUS_M + altitude_m],
        method="LSODA",
        rtol=1e-8,
        atol=1e-3,
        events=reentry,
    )
    if not sol.success:
        raise RuntimeError(f"decay integration failed: {sol.message}")
    t = sol.t / SECONDS_PER_JULIAN_YEAR
    h = sol.y[0] - EARTH_EQUATORIAL_RADIUS_M
    life = float(sol.t_events[0][0]) / SECONDS_PER_JULIAN_YEAR if sol.t_events[0].size else math.inf
    return Decay(t, h, life)
