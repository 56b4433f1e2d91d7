"""Designed shells: Walker delta and star patterns, sun-synchronous shells, and Suncatcher-style formation clusters.

Every generator returns ``CircularOrbits``: mean elements of circular orbits at the scenario epoch in the TEME
frame, ready for the J2 secular propagator (``orbitgrid.astro.j2``).

Sources
-------
- Walker patterns ``i: T/P/F``: J. G. Walker, "Satellite constellations", *J. Br. Interplanet. Soc.* 37 (1984)
  559-572. Delta: P planes with right ascensions spread over 360 deg; star: over 180 deg. Satellite ``s`` of plane
  ``p`` sits at argument of latitude ``360 s / S + 360 F p / T`` with ``S = T/P``.
- Sun-synchronous inclination from the J2 nodal-regression condition ``dOmega/dt = 360 deg per tropical year``
  (Vallado, 4th ed., sec. 11.4); the right ascension of the node follows from the local mean solar time of the
  ascending node (LTAN): ``Omega = GMST(epoch) + 15 deg/h * (LTAN - UT(epoch))``, where UT is the epoch's UTC
  time of day in hours (mean solar time, so the LTAN stays fixed as the node precesses with the mean Sun).
- Formation clusters: Agüera y Arcas et al., "Towards a future space-based, highly scalable AI infrastructure
  system design", arXiv:2511.19468 (Google Project Suncatcher), sec. 2.2: a planar cluster of N satellites on a
  square lattice within radius R (81 satellites, R = 1 km, at 650 km dawn-dusk) whose members stay inside a
  rotating 2:1 ellipse (+-R along track, +-R/2 radially) with two shape cycles per orbit and no delta-v in the
  Keplerian limit. We realise this with the bounded solution of the Hill-Clohessy-Wiltshire equations
  (Clohessy & Wiltshire, *J. Aerospace Sci.* 27 (1960) 653): lattice point ``(p, q)`` moves as
  ``radial = (p cos nt - q sin nt) / 2``, ``along = -(p sin nt + q cos nt)``, ``cross = 0``, so every member
  satisfies ``(2 radial)^2 + along^2 = p^2 + q^2 <= R^2`` at all times, and the distance between two members
  oscillates between half and all of their lattice separation twice per orbit (Suncatcher Fig. 3: 100-200 m).
  Linearisation error grows by ~12 R^2 / a per orbit against two-body motion (1.7 m per orbit for R = 1 km at
  650 km, measured in ``tests/astro/test_formation.py``): station keeping absorbs it, as it does the J2 drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import (
    EARTH_EQUATORIAL_RADIUS_M,
    EARTH_J2,
    EARTH_MU_M3_S2,
    SUN_MEAN_MOTION_RAD_S,
)
from orbitgrid.astro.frames import gmst_rad
from orbitgrid.astro.j2 import mean_motion_rad_s

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class CircularOrbits:
    """Mean elements of ``n`` circular orbits at the epoch (TEME), one row per satellite or cluster centre."""

    semi_major_axis_m: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    arg_latitude_rad: np.ndarray
    plane: np.ndarray

    def __len__(self) -> int:
        return int(self.semi_major_axis_m.shape[0])

    def subset(self, index: slice | np.ndarray) -> CircularOrbits:
        return CircularOrbits(
            self.semi_major_axis_m[index],
            self.inclination_rad[index],
            self.raan_rad[index],
            self.arg_latitude_rad[index],
            self.plane[index],
        )

    @staticmethod
    def concatenate(parts: list[CircularOrbits]) -> CircularOrbits:
        return CircularOrbits(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = ("semi_major_axis_m", "inclination_rad", "raan_rad", "arg_latitude_rad", "plane")


@dataclass(frozen=True)
class Pattern:
    """A designed shell's layout: ``planes`` x ``per_plane`` circular orbits sharing one semi-major axis and
    inclination. Plane ``p`` has its node at ``raan0_rad + raan_span_rad * p / planes``; satellite ``s`` of plane
    ``p`` sits at argument of latitude ``2 pi s / per_plane + 2 pi phasing p / (planes * per_plane)`` at the epoch.

    The one place these rules live: :meth:`orbits` expands them to one row per satellite (or cluster centre), and
    :meth:`plane_raan_rad` / :meth:`plane_phase_rad` give them per plane (``astro.colocation`` works on planes so a
    million-satellite shell is checked without expanding it).
    """

    semi_major_axis_m: float
    inclination_rad: float
    planes: int
    per_plane: int
    phasing: int
    raan0_rad: float
    raan_span_rad: float

    @property
    def total(self) -> int:
        return self.planes * self.per_plane

    def plane_raan_rad(self) -> np.ndarray:
        """Right ascension of each plane's ascending node at the epoch, rad, shape ``(planes,)``."""
        p = np.arange(self.planes)
        return np.mod(self.raan0_rad + self.raan_span_rad * p / self.planes, _TWO_PI)

    def plane_phase_rad(self) -> np.ndarray:
        """Argument of latitude of satellite 0 of each plane at the epoch, rad, shape ``(planes,)``."""
        p = np.arange(self.planes)
        return np.mod(_TWO_PI * self.phasing * p / self.total, _TWO_PI)

    def orbits(self) -> CircularOrbits:
        """One row per satellite, plane by plane."""
        p = np.repeat(np.arange(self.planes), self.per_plane)
        s = np.tile(np.arange(self.per_plane), self.planes)
        raan = np.mod(self.raan0_rad + self.raan_span_rad * p / self.planes, _TWO_PI)
        u = np.mod(_TWO_PI * s / self.per_plane + _TWO_PI * self.phasing * p / self.total, _TWO_PI)
        a = np.full(self.total, self.semi_major_axis_m)
        return CircularOrbits(a, np.full(self.total, self.inclination_rad), raan, u, p.astype(np.int32))


def walker_pattern(
    altitude_m: float,
    inclination_rad: float,
    total: int,
    planes: int,
    phasing: int,
    pattern: str = "delta",
    raan0_rad: float = 0.0,
) -> Pattern:
    """Walker ``i: T/P/F`` layout, ``pattern`` = ``"delta"`` (nodes over 360 deg) or ``"star"`` (over 180 deg)."""
    if total % planes:
        raise ValueError(f"total {total} is not a multiple of planes {planes}")
    if not 0 <= phasing < planes:
        raise ValueError(f"phasing F must satisfy 0 <= F < P = {planes}, got {phasing}")
    span = {"delta": _TWO_PI, "star": np.pi}[pattern]
    a = EARTH_EQUATORIAL_RADIUS_M + altitude_m
    return Pattern(a, inclination_rad, planes, total // planes, phasing, raan0_rad, span)


def walker(
    altitude_m: float,
    inclination_rad: float,
    total: int,
    planes: int,
    phasing: int,
    pattern: str = "delta",
    raan0_rad: float = 0.0,
) -> CircularOrbits:
    """Walker ``i: T/P/F`` pattern, ``pattern`` = ``"delta"`` (nodes over 360 deg) or ``"star"`` (over 180 deg)."""
    return walker_pattern(altitude_m, inclination_rad, total, planes, phasing, pattern, raan0_rad).orbits()


#: Highest altitude of a sun-synchronous circular orbit (m): where the ``cos i`` of
#: :func:`sun_synchronous_inclination_rad` reaches -1, ``a^3.5 = 3/2 J2 R^2 sqrt(mu) / n_sun`` (about 5,970 km).
SUN_SYNCHRONOUS_MAX_ALTITUDE_M = (
    1.5 * EARTH_J2 * EARTH_EQUATORIAL_RADIUS_M**2 * np.sqrt(EARTH_MU_M3_S2) / SUN_MEAN_MOTION_RAD_S
) ** (2.0 / 7.0) - EARTH_EQUATORIAL_RADIUS_M


def sun_synchronous_inclination_rad(altitude_m: float) -> float:
    """Inclination at which J2 turns the node at the mean Sun's rate, for a circular orbit at ``altitude_m``.

    ``cos i = -(dOmega/dt)_sun / (3/2 n0 J2 (R/a)^2)``; raises ``ValueError`` above
    ``SUN_SYNCHRONOUS_MAX_ALTITUDE_M`` (~5,970 km) where no inclination regresses the node fast enough.
    """
    a = EARTH_EQUATORIAL_RADIUS_M + altitude_m
    cos_i = -SUN_MEAN_MOTION_RAD_S / (
        1.5 * float(mean_motion_rad_s(a)) * EARTH_J2 * (EARTH_EQUATORIAL_RADIUS_M / a) ** 2
    )
    if cos_i < -1.0:
        raise ValueError(f"no sun-synchronous circular orbit exists at {altitude_m / 1e3:.0f} km")
    return float(np.arccos(cos_i))


def raan_from_ltan_rad(ltan_hours: float, gmst_epoch_rad: float, ut_epoch_hours: float) -> float:
    """Right ascension of the ascending node whose local mean solar time is ``ltan_hours`` at the epoch."""
    return float(np.mod(gmst_epoch_rad + np.radians(15.0 * (ltan_hours - ut_epoch_hours)), _TWO_PI))


def epoch_angles(epoch_jd: tuple[float, float]) -> tuple[float, float]:
    """Greenwich mean sidereal time (rad) and UT time of day (hours) at an epoch given as a two-part Julian date
    (``TimeGrid.epoch_jd``): what :func:`raan_from_ltan_rad` needs to place a node at a local time."""
    jd, fr = epoch_jd
    return float(gmst_rad(np.array(jd), np.array(fr))), fr * 24.0


def ltan_hours_from_raan(raan_rad: np.ndarray, gmst_rad: np.ndarray, ut_hours: np.ndarray) -> np.ndarray:
    """Inverse of ``raan_from_ltan_rad``: local mean solar time of the node, hours in [0, 24)."""
    return np.mod(ut_hours + np.degrees(raan_rad - gmst_rad) / 15.0, 24.0)


def sun_synchronous_pattern(
    altitude_m: float,
    ltan_hours: float,
    planes: int,
    per_plane: int,
    gmst_epoch_rad: float,
    ut_epoch_hours: float,
    raan_spread_hours: float = 0.0,
    phasing: int = 0,
) -> Pattern:
    """A sun-synchronous layout: ``planes`` x ``per_plane`` satellites whose nodes sit at ``ltan_hours``.

    Plane ``k`` of ``P`` has its node at local time ``ltan_hours + raan_spread_hours * k / P``. Co-planar planes
    (spread 0) with ``phasing`` 0 would stack satellites on top of each other, so they are then interleaved along
    the orbit (phasing 1).
    """
    inc = sun_synchronous_inclination_rad(altitude_m)
    if raan_spread_hours == 0.0 and phasing == 0 and planes > 1:
        phasing = 1
    raan0 = raan_from_ltan_rad(ltan_hours, gmst_epoch_rad, ut_epoch_hours)
    span = float(np.radians(15.0 * raan_spread_hours))
    return Pattern(EARTH_EQUATORIAL_RADIUS_M + altitude_m, inc, planes, per_plane, phasing, raan0, span)


def sun_synchronous(
    altitude_m: float,
    ltan_hours: float,
    planes: int,
    per_plane: int,
    gmst_epoch_rad: float,
    ut_epoch_hours: float,
    raan_spread_hours: float = 0.0,
    phasing: int = 0,
) -> CircularOrbits:
    """A sun-synchronous shell (:func:`sun_synchronous_pattern`), one row per satellite."""
    return sun_synchronous_pattern(
        altitude_m, ltan_hours, planes, per_plane, gmst_epoch_rad, ut_epoch_hours, raan_spread_hours, phasing
    ).orbits()


def formation_lattice_m(per_cluster: int, radius_m: float) -> np.ndarray:
    """In-plane lattice coordinates ``(p, q)`` of a cluster's members, shape ``(per_cluster, 2)``, metres.

    The ``per_cluster`` points of a square lattice nearest its centre (ties broken by angle, so the pattern is
    deterministic), scaled so that the farthest member lies at ``radius_m``. For 81 members and R = 1 km this gives
    the 200 m spacing whose nearest-neighbour distance oscillates between 100 and 200 m (Suncatcher Fig. 3).
    """
    if per_cluster == 1:
        return np.zeros((1, 2))
    k = int(np.ceil(np.sqrt(per_cluster))) + 2
    g = np.arange(-k, k + 1, dtype=np.float64)
    pp, qq = np.meshgrid(g, g, indexing="ij")
    pts = np.column_stack([pp.ravel(), qq.ravel()])
    r2 = np.round(np.einsum("ij,ij->i", pts, pts), 9)
    ang = np.round(np.mod(np.arctan2(pts[:, 1], pts[:, 0]), _TWO_PI), 9)
    order = np.lexsort((ang, r2))
    chosen = pts[order[:per_cluster]]
    rmax = np.sqrt(np.max(np.einsum("ij,ij->i", chosen, chosen)))
    return chosen * (radius_m / rmax)


def formation_relative_ric_m(lattice_m: np.ndarray, mean_motion_rad_s_: float, t_s: np.ndarray) -> np.ndarray:
    """Members' offsets from the cluster centre in the radial / in-track / cross-track frame, ``(n, n_t, 3)``, m.

    Bounded Hill-Clohessy-Wiltshire motion (see the module docstring); ``t_s`` counts from the epoch, at which the
    cluster is at its lattice shape stretched 2:1.
    """
    p = lattice_m[:, 0:1]
    q = lattice_m[:, 1:2]
    nt = mean_motion_rad_s_ * np.asarray(t_s, dtype=np.float64)[None, :]
    c, s = np.cos(nt), np.sin(nt)
    radial = 0.5 * (p * c - q * s)
    along = -(p * s + q * c)
    return np.stack([radial, along, np.zeros_like(radial)], axis=-1)


def ric_to_inertial(r_ref_m: np.ndarray, v_ref_m_s: np.ndarray, ric_m: np.ndarray) -> np.ndarray:
    """Rotate offsets from the radial/in-track/cross-track frame of a reference state into the inertial frame."""
    r_hat = r_ref_m / np.linalg.norm(r_ref_m, axis=-1, keepdims=True)
    h = np.cross(r_ref_m, v_ref_m_s)
    c_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    i_hat = np.cross(c_hat, r_hat)
    return ric_m[..., 0:1] * r_hat + ric_m[..., 1:2] * i_hat + ric_m[..., 2:3] * c_hat
