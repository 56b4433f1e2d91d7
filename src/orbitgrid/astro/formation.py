"""Formation flying of a Suncatcher-style cluster: HCW geometry against numerical propagation with J2 and drag.

The cluster's nominal motion is the bounded Hill-Clohessy-Wiltshire solution of
``astro.constellations.formation_relative_ric_m`` (lattice point ``(p, q)``: radial ``(p cos nt - q sin nt) / 2``,
along-track ``-(p sin nt + q cos nt)``). This module checks it and prices keeping it:

- **Numerical propagation** of the chief (cluster centre) and every member in inertial coordinates with
  ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-12): point-mass gravity, optionally the J2 zonal acceleration
  (Vallado 4th ed. eq. 8-30) and drag ``-1/2 rho |v_r| v_r C_D A / m`` with ``v_r = v - omega_E x r`` (co-rotating
  atmosphere) and ``rho`` an orbit-averaged NRLMSIS profile (``astro.atmosphere``). Members start at the HCW offsets
  with the HCW relative velocity (``v_c + R (dρ/dt) + ω x R ρ``, ``R`` the chief's RIC axes); with
  ``energy_matched`` each member's speed is then scaled so that its two-body energy, hence its period, equals the
  chief's (the second-order correction that removes the ~12 R²/a-per-orbit along-track drift of the linear initial
  state; Gurfil, *J. Guid. Control Dyn.* 28 (2005) 761, "period matching").
- **Neighbour distances** over an orbit (lattice edges, ``network.topology.formation_edges`` semantics: members one
  lattice spacing apart), and the number of shape cycles per orbit (maxima of a neighbour distance).
- **Drift.** From the energy-matched initial state, after ``orbits`` revolutions: the motion of each member's
  relative-orbit centre (its offset from the chief in the chief's RIC frame averaged over one orbit) between the
  last two orbits, worst member, m per orbit. J2 also shifts the in-plane frequency of the relative motion from
  ``n`` (Schweighart & Sedwick, *J. Guid. Control Dyn.* 25 (2002) 1073), so members slip in phase around their
  ellipses (the shape keeps its size); that slip needs no Δv and is not counted.
- **Formation-keeping Δv.** A secular along-track drift ``ḋ`` (m/s) is a period mismatch: one tangential burn
  ``Δv = ḋ / 3`` stops it (a burn ``Δv`` raises ``a`` by ``2 Δv / n`` and adds ``ḋ = -3/2 n Δa = -3 Δv``).
  Under J2 the members' osculating states that match the chief's energy differ in *mean* semi-major axis (J2's
  short-period terms depend on the argument of latitude, which differs across the cluster), so each drifts
  at a constant rate: the burn is applied at t = 0 and the propagation (J2 and drag) is run again; what drifts
  then (``drift_after_correction``) is what recurs, priced as re-nulled every orbit (an upper bound). First-order
  secular J2 rates depend only on mean ``a, e, i``, equal
  across an in-plane cluster once the burn matched them. A difference ``δ`` in ``C_D A / m`` between members makes a
  differential drag acceleration ``δ x a_D`` that must be cancelled continuously: ``δ a_D x 1 yr`` per year,
  reported per 1 % of ballistic-coefficient difference (a sensitivity: the spread of real satellites depends on
  their attitude control, which no source gives for Suncatcher).

Validity: circular reference orbit; identical satellites (no differential drag but through the density's radial
gradient across the cluster); no third-body, solar-pressure or higher zonal terms; the one-time burn is computed
from a few orbits of drift.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from orbitgrid.astro.atmosphere import DensityProfile
from orbitgrid.astro.constants import (
    EARTH_EQUATORIAL_RADIUS_M,
    EARTH_J2,
    EARTH_MU_M3_S2,
    EARTH_ROTATION_RAD_S,
    SECONDS_PER_JULIAN_YEAR,
)
from orbitgrid.astro.constellations import formation_lattice_m, formation_relative_ric_m


def ric_axes(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rows: radial, in-track, cross-track unit vectors of the state ``(r, v)`` (shape ``(..., 3, 3)``)."""
    rad = r / np.linalg.norm(r, axis=-1, keepdims=True)
    cross = np.cross(r, v)
    cross = cross / np.linalg.norm(cross, axis=-1, keepdims=True)
    return np.stack([rad, np.cross(cross, rad), cross], axis=-2)


def j2_acceleration(r: np.ndarray) -> np.ndarray:
    """J2 zonal acceleration (m/s²) at inertial positions ``r`` (..., 3), Earth's axis along z (Vallado eq. 8-30)."""
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    rn = np.linalg.norm(r, axis=-1)
    k = -1.5 * EARTH_J2 * EARTH_MU_M3_S2 * EARTH_EQUATORIAL_RADIUS_M**2 / rn**5
    f = 5.0 * z * z / (rn * rn)
    return np.stack([k * x * (1.0 - f), k * y * (1.0 - f), k * z * (3.0 - f)], axis=-1)


@dataclass(frozen=True)
class Forces:
    """Perturbations of the numerical propagation: J2, and drag from ``density`` with each body's ``C_D A / m``."""

    j2: bool = False
    density: DensityProfile | None = None
    area_to_mass_m2_kg: np.ndarray | float = 0.0


def _rhs(forces: Forces, n_bodies: int) -> Callable[[float, np.ndarray], np.ndarray]:
    omega_e = np.array([0.0, 0.0, EARTH_ROTATION_RAD_S])
    cdam = np.broadcast_to(np.asarray(forces.area_to_mass_m2_kg, dtype=np.float64), (n_bodies,))

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        s = y.reshape(n_bodies, 6)
        r, v = s[:, :3], s[:, 3:]
        rn = np.linalg.norm(r, axis=1, keepdims=True)
        acc = -EARTH_MU_M3_S2 * r / rn**3
        if forces.j2:
            acc = acc + j2_acceleration(r)
        if forces.density is not None:
            vr = v - np.cross(omega_e, r)
            rho = forces.density(rn[:, 0] - EARTH_EQUATORIAL_RADIUS_M)
            acc = acc - (0.5 * rho * cdam * np.linalg.norm(vr, axis=1))[:, None] * vr
        return np.concatenate([v, acc], axis=1).ravel()

    return rhs


def initial_states(
    lattice_m: np.ndarray, semi_major_axis_m: float, inclination_rad: float, energy_matched: bool = False
) -> np.ndarray:
    """Inertial states ``(1 + n, 6)`` of the chief (row 0, on the x axis at the node) and the members at t = 0."""
    n = math.sqrt(EARTH_MU_M3_S2 / semi_major_axis_m**3)
    r_c = np.array([semi_major_axis_m, 0.0, 0.0])
    v_c = math.sqrt(EARTH_MU_M3_S2 / semi_major_axis_m) * np.array(
        [0.0, math.cos(inclination_rad), math.sin(inclination_rad)]
    )
    axes = ric_axes(r_c, v_c)
    p, q = lattice_m[:, 0], lattice_m[:, 1]
    off = np.stack([0.5 * p, -q, np.zeros_like(p)], axis=1)  # HCW at t = 0
    dot = np.stack([-0.5 * n * q, -n * p, np.zeros_like(p)], axis=1)  # its time derivative
    off_i = off @ axes
    omega = n * axes[2]
    r_m = r_c + off_i
    v_m = v_c + dot @ axes + np.cross(omega, off_i)
    if energy_matched:
        eps_c = 0.5 * float(v_c @ v_c) - EARTH_MU_M3_S2 / semi_major_axis_m
        speed = np.sqrt(2.0 * (eps_c + EARTH_MU_M3_S2 / np.linalg.norm(r_m, axis=1)))
        v_m = v_m * (speed / np.linalg.norm(v_m, axis=1))[:, None]
    return np.vstack([np.concatenate([r_c, v_c]), np.concatenate([r_m, v_m], axis=1)])


def propagate_relative_ric(
    states0: np.ndarray, t_s: np.ndarray, forces: Forces = Forces()
) -> tuple[np.ndarray, np.ndarray]:
    """Members' offsets from the chief in the chief's RIC frame, ``(n, n_t, 3)``, and the chief's states
    ``(n_t, 6)``, by numerical propagation (module docstring)."""
    nb = states0.shape[0]
    sol = solve_ivp(
        _rhs(forces, nb),
        (0.0, float(t_s[-1])),
        states0.ravel(),
        method="DOP853",
        t_eval=t_s,
        rtol=1e-12,
        atol=1e-7,
    )
    if not sol.success:
        raise RuntimeError(f"formation propagation failed: {sol.message}")
    y = sol.y.reshape(nb, 6, -1).transpose(0, 2, 1)  # (bodies, t, 6)
    chief = y[0]
    axes = ric_axes(chief[:, :3], chief[:, 3:])  # (t, 3, 3)
    rel = y[1:, :, :3] - chief[None, :, :3]
    return np.einsum("tij,ntj->nti", axes, rel), chief


def lattice_edges(lattice_m: np.ndarray) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of members one lattice spacing apart (the smallest separation)."""
    d = np.linalg.norm(lattice_m[:, None] - lattice_m[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    i, j = np.nonzero(np.triu(np.isclose(d, d.min(), rtol=1e-9)))
    return np.column_stack([i, j])


def neighbour_distances(ric: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Distances ``(n_edges, n_t)`` between the members of each edge."""
    return np.asarray(np.linalg.norm(ric[edges[:, 0]] - ric[edges[:, 1]], axis=-1))


def shape_cycles_per_orbit(distance_over_one_orbit: np.ndarray) -> np.ndarray:
    """Maxima of each row of distances sampled over exactly one orbit (first and last samples the same instant)."""
    d = distance_over_one_orbit
    inner = d[:, 1:-1]
    maxima = ((inner > d[:, :-2]) & (inner >= d[:, 2:])).sum(axis=1)
    return np.asarray(maxima + (d[:, 0] > d[:, 1]).astype(int))


@dataclass(frozen=True)
class FormationReport:
    """Geometry, verification and keeping cost of one cluster (units in the names)."""

    members: int
    radius_m: float
    altitude_m: float
    inclination_deg: float
    spacing_m: float
    neighbour_min_m: float
    neighbour_max_m: float
    shape_cycles_per_orbit: int
    hcw_vs_two_body_m: float  # worst member position, over one orbit, energy-matched initial state
    hcw_vs_two_body_neighbour_m: float  # worst neighbour-distance difference over one orbit
    drift_two_body_m_per_orbit: float  # energy-matched HCW initial state, as the J2 one
    drift_j2_m_per_orbit: float
    delta_v_j2_once_m_s: float  # worst member's one tangential burn that stops its J2 drift
    drift_after_correction_m_per_orbit: float  # with that burn, J2 and (given a density) drag
    delta_v_residual_m_s_per_year: float  # re-nulling the residual drift every orbit (an upper bound)
    delta_v_drag_per_percent_m_s_per_year: float  # differential drag per 1 % ballistic-coefficient difference
    orbits: int


def _secular_drift(ric: np.ndarray, samples_per_orbit: int) -> float:
    """Worst member's motion of its relative-orbit centre (its offsets averaged over one orbit) between the last
    two orbits, m. A bounded relation whose phase slips (J2 shifts the in-plane frequency from ``n``) moves no
    centre; a period mismatch or differential drag does."""
    k = samples_per_orbit
    last = ric[:, -k:].mean(axis=1)
    prev = ric[:, -2 * k : -k].mean(axis=1)
    return float(np.max(np.linalg.norm(last - prev, axis=-1)))


def formation_report(
    per_cluster: int,
    radius_m: float,
    altitude_m: float,
    inclination_rad: float,
    density: DensityProfile | None = None,
    area_to_mass_m2_kg: float = 0.0,
    orbits: int = 3,
    samples_per_orbit: int = 360,
) -> FormationReport:
    """Formation report of a cluster (module docstring); drag terms need ``density`` and ``area_to_mass_m2_kg``."""
    a = EARTH_EQUATORIAL_RADIUS_M + altitude_m
    n = math.sqrt(EARTH_MU_M3_S2 / a**3)
    period = 2.0 * math.pi / n
    lattice = formation_lattice_m(per_cluster, radius_m)
    edges = lattice_edges(lattice)
    t1 = np.linspace(0.0, period, samples_per_orbit + 1)
    hcw1 = formation_relative_ric_m(lattice, n, t1)
    d_hcw = neighbour_distances(hcw1, edges)
    cycles = shape_cycles_per_orbit(d_hcw)
    # verification: energy-matched two-body over one orbit
    ric_tb, _ = propagate_relative_ric(initial_states(lattice, a, inclination_rad, energy_matched=True), t1)
    pos_err = float(np.max(np.linalg.norm(ric_tb - hcw1, axis=-1)))
    nb_err = float(np.max(np.abs(neighbour_distances(ric_tb, edges) - d_hcw)))
    # drift over several orbits
    tn = np.linspace(0.0, orbits * period, orbits * samples_per_orbit + 1)
    s0 = initial_states(lattice, a, inclination_rad, energy_matched=True)
    ric_2b, _ = propagate_relative_ric(s0, tn, Forces())
    ric_j2, _ = propagate_relative_ric(s0, tn, Forces(j2=True))
    drift_j2 = _secular_drift(ric_j2, samples_per_orbit)
    # one tangential burn per member at t = 0 stops its along-track drift: Δv = ḋ / 3 (module docstring)
    k = samples_per_orbit
    rate = (ric_j2[:, -k:, 1].mean(axis=1) - ric_j2[:, -2 * k : -k, 1].mean(axis=1)) / period
    dv = rate / 3.0
    s1 = s0.copy()
    s1[1:, 3:] += dv[:, None] * ric_axes(s0[0, :3], s0[0, 3:])[1]
    forces = Forces(j2=True, density=density, area_to_mass_m2_kg=area_to_mass_m2_kg if density is not None else 0.0)
    ric_kept, _ = propagate_relative_ric(s1, tn, forces)
    residual = _secular_drift(ric_kept, samples_per_orbit)
    orbits_per_year = SECONDS_PER_JULIAN_YEAR / period
    if density is not None and area_to_mass_m2_kg > 0.0:
        v = math.sqrt(EARTH_MU_M3_S2 / a)
        a_d = 0.5 * float(density(altitude_m)) * v * v * area_to_mass_m2_kg
        dv_drag = 0.01 * a_d * SECONDS_PER_JULIAN_YEAR
    else:
        dv_drag = math.nan
    spacing = float(np.linalg.norm(lattice[edges[0, 0]] - lattice[edges[0, 1]])) if edges.size else 0.0
    return FormationReport(
        members=per_cluster,
        radius_m=radius_m,
        altitude_m=altitude_m,
        inclination_deg=math.degrees(inclination_rad),
        spacing_m=spacing,
        neighbour_min_m=float(d_hcw.min()) if edges.size else math.nan,
        neighbour_max_m=float(d_hcw.max()) if edges.size else math.nan,
        shape_cycles_per_orbit=int(np.max(cycles)) if edges.size else 0,
        hcw_vs_two_body_m=pos_err,
        hcw_vs_two_body_neighbour_m=nb_err,
        drift_two_body_m_per_orbit=_secular_drift(ric_2b, samples_per_orbit),
        drift_j2_m_per_orbit=drift_j2,
        delta_v_j2_once_m_s=float(np.max(np.abs(dv))),
        drift_after_correction_m_per_orbit=residual,
        delta_v_residual_m_s_per_year=residual / period / 3.0 * orbits_per_year,
        delta_v_drag_per_percent_m_s_per_year=dv_drag,
        orbits=orbits,
    )
