"""Radiator heat balance: environment fluxes, steady state, sizing, a lumped transient and junction-limit throttling.

Model
-----
A flat panel radiator of planform area ``A`` (one face, as ``scenario.Radiator.area_m2``) at one uniform temperature
``T``, with ``n`` radiating faces (1, or 2 when both faces radiate). Per square metre of panel the net rejection is

    q_net(T) = q_emit - q_space - q_sun - q_ir - q_alb                                          [W/m^2]
    q_emit  = n eps sigma T^4                                  emitted by the radiating faces
    q_space = n eps sigma T_sink^4                             absorbed from the deep-space sink (3 K)
    q_sun   = alpha_s S c_sun f_lit                            S = S_1AU (1 AU / d_sun)^2
    q_ir    = alpha_ir F q_olr                                 alpha_ir = eps by Kirchhoff unless given
    q_alb   = alpha_s F a S max(cos zeta, 0)                   zeta: Sun zenith angle at the sub-satellite point

``c_sun`` is the cosine of the angle between the front face's normal and the Sun, taken as ``max(c, 0)`` for one
radiating face (the back is insulated) and ``|c|`` for two (whichever face looks at the Sun absorbs); ``f_lit`` is
the visible fraction of the solar disc (``orbitgrid.astro.eclipse.illuminated_fraction``); ``F`` is the Earth view
factor summed over the radiating faces. Everything except ``q_emit`` is independent of ``T``, so
``q_net = k T^4 - b`` with ``k = n eps sigma`` (``emission_coefficient_w_m2_k4``) and ``b`` the absorbed flux
(``absorbed_flux_w_m2``); a per-step kernel needs only ``k`` and ``b``.

Earth view factor of one face whose normal makes the angle ``beta`` with nadir, at radius ``r = R_e + h``, with
``H = r / R_e`` (Howell's catalogue, "differential planar element to sphere", both the untilted and the tilted case):

- ``beta <= acos(1/H)`` (the whole disc is in front of the face): ``F = cos(beta) / H^2``; nadir-facing ``1/H^2``;
- ``beta >= pi - acos(1/H)``: ``F = 0``;
- otherwise (the face's plane cuts the Earth)::

      F = 1/2 - asin(sqrt(H^2-1) / (H sin beta)) / pi
          + [cos(beta) acos(-sqrt(H^2-1) cot beta) - sqrt(H^2-1) sqrt(1 - H^2 cos^2 beta)] / (pi H^2)

  which for a face edge-on to nadir (``beta = pi/2``, the usual radiator attitude) reduces to
  ``F = (asin(rho) - rho sqrt(1 - rho^2)) / pi`` with ``rho = 1/H``: 0.241 at 650 km, tending to 1/2 as ``h -> 0``.
  A two-sided panel sees ``F(beta) + F(pi - beta)`` (0.481 edge-on at 650 km).

Steady state: ``Q = A q_net(T)`` has the closed-form root ``T = ((Q/A + b) / k)^(1/4)`` (``q_net`` is
``k T^4 - b`` exactly); sizing inverts it, ``A = Q / q_net(T)``.

Transient: one lumped node of heat capacity ``C``, ``C dT/dt = Q - A q_net(T)``, advanced by backward Euler with
the environment held at its end-of-step value: ``C (T1 - T0) = dt (Q - A q_net(T1))``. The residual is increasing and
convex in ``T1``, so Newton's method started at ``max(T0, T_ss)`` descends monotonically to the unique root, which
always lies between ``T0`` and the steady state ``T_ss``: the step is unconditionally stable and never overshoots
(backward Euler is L-stable; Hairer & Wanner, *Solving ODEs II*, sec. IV.3), for any ``dt`` and any ``C >= 0``
(``C = 0`` gives the quasi-steady temperature). Its truncation error is first order: with a 60 s step and a time
constant ``C / (4 A k T^3)`` of minutes it lags the exact solution by ~1 K after an abrupt load step (measured: 1.42 K
after 0 -> 8 kW on a 10 m^2, 45 kJ/K panel with tau ~ 7 min; 0.24 K with 10 s steps) and settles on the same state.

Throttling: the junction temperature is ``T + dT_die`` (a fixed die-to-radiator drop, K). The largest load whose
end-of-step temperature satisfies ``T1 + dT_die <= T_jmax`` follows from the step equation with ``T1 = T_lim =
T_jmax - dT_die``: ``Q_max = C (T_lim - T0) / dt + A q_net(T_lim)``; ``T1`` increases with ``Q``, so every load up to
``Q_max`` keeps the limit.

Sources
-------
- Stefan-Boltzmann constant 5.670374419e-8 W/m^2/K^4: CODATA 2018 (docs/sources.md §5; Starcloud uses 5.67e-8).
- Solar constant 1361 W/m^2 at 1 AU (Kopp & Lean, GRL 38, L01706, 2011; docs/sources.md §5; Starcloud uses 1366).
- Earth albedo 0.30 and outgoing long-wave radiation 237 W/m^2, global annual means (docs/sources.md §5; Gilmore (ed.),
  *Spacecraft Thermal Control Handbook*, vol. I, 2nd ed., 2002, ch. 2, which also gives the albedo-cosine
  approximation and the plate-to-Earth view factors).
- View factors: J. R. Howell, *A Catalog of Radiation Heat Transfer Configuration Factors* (thermalradiation.net),
  section B, differential planar element to sphere (normal through the centre; tilted, plane clear of the sphere;
  tilted, plane intersecting the sphere); verified here against direct integration of ``cos(theta) / pi`` over the
  Earth's disc (``tests/spacecraft/test_thermal.py``).
- Kirchhoff's law for a grey surface (IR absorptivity = emissivity): the critique of Starcloud's reuse of
  ``alpha = 0.09`` for Earth IR, docs/sources.md dispute 3.
- Coating default: Z-93 white paint, eps 0.92, alpha_s 0.15 at beginning of life (docs/sources.md §5).
- GPU junction limit default 87 °C: ``nvidia-smi -q`` "GPU Max Operating Temp" of a Hopper H800 SXM (700 W board;
  slowdown 89 °C, shutdown 92 °C, HBM 95 °C), as recorded in public nvidia-smi notes; NVML documents SW thermal
  slowdown above that temperature.

Validity
--------
One isothermal node: no fin efficiency, no inlet-to-outlet gradient along the panel (Starcloud's 35 -> 5 °C loop is
represented by its mean), no conduction to the bus, no radiative exchange with the satellite's own solar arrays. Grey,
diffuse, temperature-independent optical properties; specular and angle-dependent coatings are not modelled. Earth is
a sphere of uniform albedo and OLR (locally 150-350 W/m^2) seen under the IR view factor; the albedo term uses the
same view factor times the sub-satellite cosine (the usual first-order approximation). Against a direct integration
of a Lambertian albedo over the visible sunlit cap at 650 km (a one-off check, not in the tests) its factor is off by
at most 0.04, i.e. 0.04 a S alpha_s <= 16 alpha_s W/m^2 per face (2.4 W/m^2 for alpha_s = 0.15); the worst case is
a face tilted towards the lit side over the terminator, where the approximation gives zero (dawn-dusk orbits). The
junction drop ``dT_die`` is constant (no load-dependent thermal resistance) and the environment is held constant over
a step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import AU_M, EARTH_EQUATORIAL_RADIUS_M, SOLAR_CONSTANT_W_M2

STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
EARTH_OLR_W_M2 = 237.0
EARTH_ALBEDO = 0.30
DEEP_SPACE_SINK_K = 3.0
ZERO_CELSIUS_K = 273.15
#: "GPU Max Operating Temp" of a Hopper SXM GPU (nvidia-smi): 87 °C.
GPU_MAX_OPERATING_TEMPERATURE_K = 87.0 + ZERO_CELSIUS_K

_NEWTON_MAX_ITER = 100
_NEWTON_RTOL = 1e-13

Array = float | np.ndarray


@dataclass(frozen=True)
class RadiatorEnvironment:
    """Coating, attitude and surroundings of a radiator: everything in the balance except its temperature.

    Fields are floats or numpy arrays that broadcast together (and with the temperature). The defaults describe a
    Z-93-painted two-sided panel edge-on to the Sun and out of sight of the Earth (pure emission to the 3 K sink);
    ``environment_from_state`` fills the geometry from positions.
    """

    emissivity: Array = 0.92
    solar_absorptivity: Array = 0.15
    #: Earth-IR absorptivity; ``None`` means equal to ``emissivity`` (Kirchhoff).
    ir_absorptivity: Array | None = None
    #: Radiating faces, 1 or 2.
    faces: Array = 2
    #: Cosine of the angle between the front face's normal and the Sun direction (signed).
    cos_sun: Array = 0.0
    #: Visible fraction of the solar disc, 0..1.
    lit_fraction: Array = 1.0
    #: Earth view factor summed over the radiating faces.
    earth_view_factor: Array = 0.0
    #: Cosine of the Sun's zenith angle at the sub-satellite point.
    cos_sun_zenith_subsatellite: Array = 0.0
    solar_flux_w_m2: Array = SOLAR_CONSTANT_W_M2
    olr_w_m2: Array = EARTH_OLR_W_M2
    albedo: Array = EARTH_ALBEDO
    sink_temperature_k: Array = DEEP_SPACE_SINK_K

    def __post_init__(self) -> None:
        faces = np.asarray(self.faces)
        if not np.all((faces == 1) | (faces == 2)):
            raise ValueError(f"faces must be 1 or 2, got {self.faces!r}")


@dataclass(frozen=True)
class RadiatorFluxTerms:
    """The terms of the balance, each in W per m^2 of panel; ``net = emitted - space - solar - earth_ir - albedo``."""

    emitted_w_m2: np.ndarray
    space_w_m2: np.ndarray
    solar_w_m2: np.ndarray
    earth_ir_w_m2: np.ndarray
    albedo_w_m2: np.ndarray
    net_w_m2: np.ndarray


def solar_flux_w_m2(sun_distance_m: Array = AU_M) -> np.ndarray:
    """Solar flux at a distance from the Sun, ``1361 W/m^2 (1 AU / d)^2``."""
    return SOLAR_CONSTANT_W_M2 * (AU_M / np.asarray(sun_distance_m, dtype=np.float64)) ** 2


def blackbody_flux_w_m2(temperature_k: Array) -> np.ndarray:
    """Black-body exitance ``sigma T^4`` (e.g. Earth as a -20 °C black body: 232.9 W/m^2)."""
    return STEFAN_BOLTZMANN_W_M2_K4 * np.asarray(temperature_k, dtype=np.float64) ** 4


def earth_view_factor(
    altitude_m: Array, beta_rad: Array = np.pi / 2, earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M
) -> np.ndarray:
    """View factor from one face to a spherical Earth, its normal ``beta_rad`` from nadir (see the module docstring)."""
    h_ratio = (earth_radius_m + np.asarray(altitude_m, dtype=np.float64)) / earth_radius_m
    beta = np.asarray(beta_rad, dtype=np.float64)
    h_ratio, beta = np.broadcast_arrays(h_ratio, beta)
    rho = 1.0 / h_ratio
    s = np.sqrt(np.maximum(h_ratio * h_ratio - 1.0, 0.0))
    cos_b = np.cos(beta)
    sin_b = np.sin(beta)
    edge = np.arccos(np.clip(rho, -1.0, 1.0))  # beta at which the face's plane touches the Earth's limb
    full = beta <= edge
    hidden = beta >= np.pi - edge
    partial = ~(full | hidden)
    sin_safe = np.where(partial, sin_b, 1.0)
    term1 = np.arcsin(np.clip(s / (h_ratio * sin_safe), -1.0, 1.0)) / np.pi
    term2 = cos_b * np.arccos(np.clip(-s * cos_b / sin_safe, -1.0, 1.0))
    term3 = s * np.sqrt(np.maximum(1.0 - (h_ratio * cos_b) ** 2, 0.0))
    f_partial = 0.5 - term1 + (term2 - term3) / (np.pi * h_ratio * h_ratio)
    f = np.where(full, cos_b * rho * rho, np.where(hidden, 0.0, f_partial))
    return np.clip(f, 0.0, 1.0)


def panel_earth_view_factor(altitude_m: Array, beta_rad: Array = np.pi / 2, faces: Array = 2) -> np.ndarray:
    """Earth view factor summed over a panel's radiating faces: ``F(beta)``, plus ``F(pi - beta)`` when two-sided."""
    front = earth_view_factor(altitude_m, beta_rad)
    back = earth_view_factor(altitude_m, np.pi - np.asarray(beta_rad, dtype=np.float64))
    return front + np.where(np.asarray(faces) == 2, back, 0.0)


def environment_from_state(
    r_m: np.ndarray,
    sun_m: np.ndarray,
    normal: np.ndarray,
    *,
    faces: int = 2,
    emissivity: Array = 0.92,
    solar_absorptivity: Array = 0.15,
    ir_absorptivity: Array | None = None,
    olr_w_m2: Array = EARTH_OLR_W_M2,
    albedo: Array = EARTH_ALBEDO,
) -> RadiatorEnvironment:
    """Environment of a panel from satellite and Sun positions and the front face's normal, all ``(..., 3)``.

    Positions are geocentric in one inertial frame (TEME in the engine), in metres; ``normal`` need not be unit.
    """
    from orbitgrid.astro.eclipse import illuminated_fraction

    r = np.asarray(r_m, dtype=np.float64)
    sun = np.asarray(sun_m, dtype=np.float64)
    n = np.asarray(normal, dtype=np.float64)
    n = n / np.linalg.norm(n, axis=-1, keepdims=True)
    rel = sun - r
    rel_norm = np.linalg.norm(rel, axis=-1)
    r_norm = np.linalg.norm(r, axis=-1)
    cos_sun = np.einsum("...i,...i->...", n, rel) / rel_norm
    cos_nadir = -np.einsum("...i,...i->...", n, r) / r_norm
    beta = np.arccos(np.clip(cos_nadir, -1.0, 1.0))
    cos_zenith = np.einsum("...i,...i->...", r, sun) / (r_norm * np.linalg.norm(sun, axis=-1))
    return RadiatorEnvironment(
        emissivity=emissivity,
        solar_absorptivity=solar_absorptivity,
        ir_absorptivity=ir_absorptivity,
        faces=faces,
        cos_sun=cos_sun,
        lit_fraction=illuminated_fraction(r, sun),
        earth_view_factor=panel_earth_view_factor(r_norm - EARTH_EQUATORIAL_RADIUS_M, beta, faces),
        cos_sun_zenith_subsatellite=cos_zenith,
        solar_flux_w_m2=solar_flux_w_m2(rel_norm),
        olr_w_m2=olr_w_m2,
        albedo=albedo,
    )


def emission_coefficient_w_m2_k4(env: RadiatorEnvironment) -> np.ndarray:
    """``k = n eps sigma``: the panel emits ``k T^4`` per m^2."""
    faces = np.asarray(env.faces, dtype=np.float64)
    return faces * np.asarray(env.emissivity, dtype=np.float64) * STEFAN_BOLTZMANN_W_M2_K4


def _absorbed_terms(env: RadiatorEnvironment) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    k = emission_coefficient_w_m2_k4(env)
    space = k * np.asarray(env.sink_temperature_k, dtype=np.float64) ** 4
    c = np.asarray(env.cos_sun, dtype=np.float64)
    c_eff = np.where(np.asarray(env.faces) == 2, np.abs(c), np.maximum(c, 0.0))
    s = np.asarray(env.solar_flux_w_m2, dtype=np.float64)
    alpha_s = np.asarray(env.solar_absorptivity, dtype=np.float64)
    solar = alpha_s * s * c_eff * np.asarray(env.lit_fraction, dtype=np.float64)
    alpha_ir = env.emissivity if env.ir_absorptivity is None else env.ir_absorptivity
    f = np.asarray(env.earth_view_factor, dtype=np.float64)
    earth_ir = np.asarray(alpha_ir, dtype=np.float64) * f * np.asarray(env.olr_w_m2, dtype=np.float64)
    cos_z = np.maximum(np.asarray(env.cos_sun_zenith_subsatellite, dtype=np.float64), 0.0)
    albedo = alpha_s * f * np.asarray(env.albedo, dtype=np.float64) * s * cos_z
    return space, solar, earth_ir, albedo


def absorbed_flux_w_m2(env: RadiatorEnvironment) -> np.ndarray:
    """``b``: all the temperature-independent absorbed flux (sink + Sun + Earth IR + albedo), W/m^2 of panel."""
    space, solar, earth_ir, albedo = _absorbed_terms(env)
    return space + solar + earth_ir + albedo


def radiator_flux_terms(temperature_k: Array, env: RadiatorEnvironment) -> RadiatorFluxTerms:
    """Each term of the balance at panel temperature ``temperature_k``, W/m^2 of panel (broadcast)."""
    t = np.asarray(temperature_k, dtype=np.float64)
    emitted = emission_coefficient_w_m2_k4(env) * t**4
    space, solar, earth_ir, albedo = _absorbed_terms(env)
    emitted, space, solar, earth_ir, albedo = np.broadcast_arrays(emitted, space, solar, earth_ir, albedo)
    net = emitted - space - solar - earth_ir - albedo
    return RadiatorFluxTerms(emitted, space, solar, earth_ir, albedo, net)


def radiator_net_flux_w_m2(temperature_k: Array, env: RadiatorEnvironment) -> np.ndarray:
    """Net heat rejected per m^2 of panel, ``k T^4 - b`` (negative when the environment heats the panel)."""
    t = np.asarray(temperature_k, dtype=np.float64)
    return emission_coefficient_w_m2_k4(env) * t**4 - absorbed_flux_w_m2(env)


def steady_state_temperature_k(load_w: Array, area_m2: Array, env: RadiatorEnvironment) -> np.ndarray:
    """Panel temperature at which ``area * q_net(T)`` equals the heat load: ``((Q/A + b) / k)^(1/4)``."""
    q_per_m2 = np.asarray(load_w, dtype=np.float64) / np.asarray(area_m2, dtype=np.float64)
    if np.any(q_per_m2 < 0.0):
        raise ValueError("heat load must be >= 0")
    return ((q_per_m2 + absorbed_flux_w_m2(env)) / emission_coefficient_w_m2_k4(env)) ** 0.25


def radiator_area_m2(load_w: Array, temperature_k: Array, env: RadiatorEnvironment) -> np.ndarray:
    """Panel area that rejects ``load_w`` at ``temperature_k``; ValueError where the net flux there is not positive."""
    q = radiator_net_flux_w_m2(temperature_k, env)
    if np.any(q <= 0.0):
        raise ValueError(
            "the environment's absorbed flux already equals or exceeds the emission at this temperature "
            f"(net flux min {float(np.min(q)):.3f} W/m^2): no radiator area can reject the load"
        )
    return np.asarray(load_w, dtype=np.float64) / q


def step_temperature(
    temperature_k: Array, load_w: Array, dt_s: Array, heat_capacity_j_k: Array, area_m2: Array, env: RadiatorEnvironment
) -> np.ndarray:
    """Panel temperature after ``dt_s`` of load ``load_w`` (backward Euler, Newton; see the module docstring).

    Solves ``C (T1 - T0) = dt (Q - A q_net(T1))`` to ~1e-13 relative for any ``dt >= 0`` and ``C >= 0``; the result
    lies between ``T0`` and the steady state for ``Q``. ``load_w`` must be >= 0.
    """
    t0 = np.asarray(temperature_k, dtype=np.float64)
    q = np.asarray(load_w, dtype=np.float64)
    dt = np.asarray(dt_s, dtype=np.float64)
    c = np.asarray(heat_capacity_j_k, dtype=np.float64)
    area = np.asarray(area_m2, dtype=np.float64)
    k = emission_coefficient_w_m2_k4(env)
    b = absorbed_flux_w_m2(env)
    t_ss = steady_state_temperature_k(q, area, env)
    # residual g(T) = c T + a4 T^4 - rhs: increasing and convex, g(max(T0, T_ss)) >= 0
    a4 = area * k * dt
    rhs = c * t0 + dt * (q + area * b)
    t = np.maximum(t0, t_ss)
    for _ in range(_NEWTON_MAX_ITER):
        t3 = t * t * t
        g = c * t + a4 * t3 * t - rhs
        dg = c + 4.0 * a4 * t3
        step = np.where(dg > 0.0, g / np.where(dg > 0.0, dg, 1.0), 0.0)
        t = t - step
        if np.all(np.abs(step) <= _NEWTON_RTOL * np.abs(t)):
            break
    return t


def max_load_w(
    temperature_k: Array,
    dt_s: Array,
    heat_capacity_j_k: Array,
    area_m2: Array,
    env: RadiatorEnvironment,
    die_to_radiator_k: Array,
    junction_max_k: Array = GPU_MAX_OPERATING_TEMPERATURE_K,
) -> np.ndarray:
    """Largest heat load that keeps ``T1 + die_to_radiator_k <= junction_max_k`` at the end of a step (may be < 0).

    ``Q_max = C (T_lim - T0) / dt + A q_net(T_lim)``, ``T_lim = junction_max_k - die_to_radiator_k``. A negative value
    means the limit is missed even with no load (the panel starts too hot to cool below it within one step).
    """
    t_lim = np.asarray(junction_max_k, dtype=np.float64) - np.asarray(die_to_radiator_k, dtype=np.float64)
    if np.any(t_lim <= 0.0):
        raise ValueError("die_to_radiator_k must be smaller than junction_max_k")
    t0 = np.asarray(temperature_k, dtype=np.float64)
    c = np.asarray(heat_capacity_j_k, dtype=np.float64)
    dt = np.asarray(dt_s, dtype=np.float64)
    return c * (t_lim - t0) / dt + np.asarray(area_m2, dtype=np.float64) * radiator_net_flux_w_m2(t_lim, env)


def throttled_load_w(
    demand_w: Array,
    temperature_k: Array,
    dt_s: Array,
    heat_capacity_j_k: Array,
    area_m2: Array,
    env: RadiatorEnvironment,
    die_to_radiator_k: Array,
    junction_max_k: Array = GPU_MAX_OPERATING_TEMPERATURE_K,
    base_load_w: Array = 0.0,
) -> np.ndarray:
    """Compute load allowed this step: ``clip(Q_max - base_load_w, 0, demand_w)``.

    ``base_load_w`` is heat that cannot be throttled (avionics, conversion losses) and goes into the same radiator;
    the full demand is returned when it fits. When even zero compute load misses the limit, 0 is returned and the
    panel is left to cool.
    """
    q_max = max_load_w(temperature_k, dt_s, heat_capacity_j_k, area_m2, env, die_to_radiator_k, junction_max_k)
    return np.clip(q_max - np.asarray(base_load_w, dtype=np.float64), 0.0, np.asarray(demand_w, dtype=np.float64))
