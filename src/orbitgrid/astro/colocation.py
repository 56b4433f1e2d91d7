"""Co-location of designed shells: satellites whose orbits make them meet at a fixed place every orbit.

Two satellites on circular orbits of the same semi-major axis and inclination have the same J2 secular rates
(node regression and argument-of-latitude rate, ``astro.j2.secular_rates``), so their relative geometry never
changes: whatever the distance of their closest approach is on the first orbit, it is the same on every orbit. When
that distance is zero the two satellites collide twice every orbit, at the two points where their planes cross; when
a satellite passes within a formation cluster's radius of the cluster's reference orbit, it flies through the
cluster. Shells at different altitudes or inclinations drift through each other and meet only by chance: those
close approaches are the conjunction screener's business (``orbitgrid conjunctions``), not this module's.

The closest approach of two such satellites has a closed form. Write ``i`` for the common inclination, ``dO`` for
the difference of their nodes, ``gamma`` for the angle between their planes (``cos gamma = cos^2 i + sin^2 i cos dO``)
and ``du`` for ``u_first - u_second``, the (constant) difference of their arguments of latitude. The cosine of the
angle between their position vectors is ``cos^2(gamma/2) cos(du - psi) + sin^2(gamma/2) cos(2 u + ...)`` with
``psi = atan2(cos i sin dO, (cos dO (1 + cos^2 i) + sin^2 i) / 2)``, so the closest approach is

    d_min = 2 r cos(gamma / 2) |sin((du - psi) / 2)|.

It is zero exactly when ``du = psi``: the two satellites reach the planes' line of intersection together. (For equal
nodes it reduces to the chord ``2 r |sin(du / 2)|`` between satellites of one plane; for two polar planes whose
nodes differ by 180 deg the planes are one, flown in opposite directions, and ``d_min`` is zero whatever the
phase.) Checked against sampling the J2 propagator over an orbit in ``tests/astro/test_colocation.py``.

The satellites of a designed shell sit on a lattice (``astro.constellations.Pattern``): in a plane with ``S``
satellites the arguments of latitude are ``phase + 2 pi s / S``, so between a plane of ``S1`` satellites and one of
``S2`` the differences ``du`` take the values ``phase1 - phase2 + 2 pi n / lcm(S1, S2)``, each reached by
``gcd(S1, S2)`` satellite pairs. The closest pair between two planes is therefore the lattice value nearest ``psi``:
every pair of planes is checked in O(1), without expanding a million-satellite shell into its satellites. Inside
one shell the geometry of planes ``p`` and ``p + d`` depends only on ``d`` (nodes and phases grow linearly with the
plane index), so a shell of ``P`` planes needs ``P`` evaluations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constellations import Pattern

_TWO_PI = 2.0 * math.pi

#: Two satellites closer than this at their closest approach occupy the same place (m): the patterns are exact, so a
#: co-located pair meets at 0 m to rounding (about 1e-8 m at LEO radii), and 1 m is far below any satellite's size.
COINCIDENCE_TOLERANCE_M = 1.0

#: Shells whose semi-major axes differ by at most this, and whose inclinations differ by at most this distance at
#: the orbit radius, share their secular rates for the purpose of the check (m).
SAME_ORBIT_TOLERANCE_M = 1.0

#: Shells whose orbits lie at most this far apart (:func:`orbit_offset_m`, m) without sharing them are compared too:
#: their satellites drift relative to each other along-track by ``1.5 n da`` (about 140 m a day per metre of radius
#: at LEO), so within 10 m the epoch's geometry holds to a kilometre for about a day. Further apart they drift through
#: each other within hours and meet by chance: the conjunction screener's business.
NEAR_ORBIT_M = 10.0

#: Satellites whose closest approach, repeated twice every orbit, is below this get a warning (m): public element
#: sets place a LEO satellite to about a kilometre at their epoch and drift by 1-3 km a day (Vallado & Cefola,
#: "Two-line element sets - practice and use", IAC-12-C1.6.12, 2012), so an operator cannot tell such a pass from a
#: collision course without exchanging ephemerides, and must plan around it on every orbit.
CLOSE_APPROACH_M = 1000.0

#: Plane pairs evaluated at once when two shells with many planes share an altitude and inclination.
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ShellLayout:
    """One designed shell as the check sees it: its layout and, for formation clusters, the radius its members stay
    within around each reference orbit (``envelope_m``; 0 for single satellites)."""

    name: str
    pattern: Pattern
    envelope_m: float = 0.0


@dataclass(frozen=True)
class Colocation:
    """Satellites of shells ``first`` and ``second`` (indices into the layouts; equal for a shell whose own planes
    meet) that meet at a fixed place twice every orbit (``kind == "coincide"``: closer than the two envelopes plus
    :data:`COINCIDENCE_TOLERANCE_M`), that pass close twice every orbit (``kind == "close"``: closer than the
    envelopes plus :data:`CLOSE_APPROACH_M`), or two shells that fly the same orbit planes without either
    (``kind == "shared_orbit"``).

    ``pairs`` counts the track pairs (satellite or cluster reference orbit) that meet or pass close, or the plane
    pairs that share an orbit; ``min_distance_m`` is the closest approach over them, first reached between plane
    ``first_plane`` of ``first`` and plane ``second_plane`` of ``second``, whose nodes differ by
    ``node_difference_rad``.
    """

    kind: str
    first: int
    second: int
    pairs: int
    min_distance_m: float
    first_plane: int
    second_plane: int
    node_difference_rad: float


def closest_approach_m(
    radius_m: float,
    inclination_rad: float,
    node_difference_rad: np.ndarray | float,
    phase_difference_rad: np.ndarray | float,
) -> np.ndarray:
    """Closest approach of two satellites on circular orbits of radius ``radius_m`` and inclination
    ``inclination_rad`` whose nodes differ by ``node_difference_rad`` (second minus first) and whose arguments of
    latitude differ by ``phase_difference_rad`` (first minus second), m (module docstring)."""
    cos_half_gamma, psi = _plane_geometry(inclination_rad, np.asarray(node_difference_rad, dtype=np.float64))
    delta = np.asarray(phase_difference_rad, dtype=np.float64) - psi
    return 2.0 * radius_m * cos_half_gamma * np.abs(np.sin(0.5 * delta))


def _plane_geometry(inclination_rad: float, node_difference_rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``cos(gamma / 2)`` and ``psi`` of two planes of one inclination whose nodes differ by ``dO``."""
    si, ci = math.sin(inclination_rad), math.cos(inclination_rad)
    cos_half_gamma = np.sqrt(np.clip(1.0 - (si * np.sin(0.5 * node_difference_rad)) ** 2, 0.0, 1.0))
    cos_d = np.cos(node_difference_rad)
    psi = np.arctan2(ci * np.sin(node_difference_rad), 0.5 * (cos_d * (1.0 + ci * ci) + si * si))
    return cos_half_gamma, psi


def _lattice_encounters(
    radius_m: float,
    inclination_rad: float,
    node_difference_rad: np.ndarray,
    phase_offset_rad: np.ndarray,
    lattice: int,
    limit_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """For plane pairs whose phase differences run over ``phase_offset_rad + 2 pi n / lattice``: the closest
    approach (m) and how many lattice values ``n`` (mod ``lattice``) come closer than ``limit_m``."""
    cos_half_gamma, psi = _plane_geometry(inclination_rad, node_difference_rad)
    h = _TWO_PI / lattice
    delta0 = np.mod(phase_offset_rad - psi + math.pi, _TWO_PI) - math.pi  # in [-pi, pi)
    best = delta0 - h * np.round(delta0 / h)
    d_min = 2.0 * radius_m * cos_half_gamma * np.abs(np.sin(0.5 * best))
    if limit_m < 0.0:  # nothing can come that close (:func:`_reduced`)
        return d_min, np.zeros(np.shape(d_min), dtype=np.int64)
    # lattice values with 2 r cos(gamma/2) |sin(delta/2)| <= limit: |delta| <= w on the circle
    ratio = np.divide(
        limit_m, 2.0 * radius_m * cos_half_gamma, out=np.full_like(cos_half_gamma, np.inf), where=cos_half_gamma > 0
    )
    w = 2.0 * np.arcsin(np.minimum(ratio, 1.0))
    lo = np.ceil((-w - delta0) / h)
    hi = np.floor((w - delta0) / h)
    count = np.clip(hi - lo + 1.0, 0.0, float(lattice))
    count = np.where(ratio >= 1.0, float(lattice), count)
    return d_min, count.astype(np.int64)


def same_orbit(first: Pattern, second: Pattern) -> bool:
    """Two shells share their secular rates: radii and inclinations (at the radius) within
    :data:`SAME_ORBIT_TOLERANCE_M`."""
    a = 0.5 * (first.semi_major_axis_m + second.semi_major_axis_m)
    return (
        abs(first.semi_major_axis_m - second.semi_major_axis_m) <= SAME_ORBIT_TOLERANCE_M
        and a * abs(first.inclination_rad - second.inclination_rad) <= SAME_ORBIT_TOLERANCE_M
    )


def orbit_offset_m(first: Pattern, second: Pattern) -> float:
    """How far apart two shells' orbits lie at the same place in them: the difference of their radii and of their
    inclinations at the mean radius, in quadrature (m). Shells within :data:`SAME_ORBIT_TOLERANCE_M` of each other
    share their secular rates; shells a little further apart drift through each other so slowly (2 m apart at
    550 km and 53 deg: 284 m after a day) that their geometry at the epoch holds for days (:data:`NEAR_ORBIT_M`)."""
    a = 0.5 * (first.semi_major_axis_m + second.semi_major_axis_m)
    return math.hypot(
        first.semi_major_axis_m - second.semi_major_axis_m, a * (first.inclination_rad - second.inclination_rad)
    )


def _planes_coincide(radius_m: float, inclination_rad: float, node_difference_rad: np.ndarray) -> np.ndarray:
    """Planes whose greatest separation (``2 r sin(gamma / 2)``) is within the tolerance: one orbit plane."""
    half_gap = np.abs(math.sin(inclination_rad) * np.sin(0.5 * node_difference_rad))
    return 2.0 * radius_m * half_gap <= SAME_ORBIT_TOLERANCE_M


class _Tally:
    """Track pairs closer than the coincidence and the close-approach limits, the closest plane pair, and the plane
    pairs that share an orbit, accumulated over chunks of plane pairs."""

    def __init__(self) -> None:
        self.coincide = self.close = self.shared = 0
        self.best: tuple[float, int, int, float] = (math.inf, 0, 0, 0.0)
        self.best_shared: tuple[float, int, int, float] = (math.inf, 0, 0, 0.0)

    def add(
        self,
        d_min: np.ndarray,
        coincide: np.ndarray,
        close: np.ndarray,
        first_plane: np.ndarray,
        second_plane: np.ndarray,
        node_difference_rad: np.ndarray,
        shared: np.ndarray | None = None,
    ) -> None:
        self.coincide += int(np.sum(coincide))
        self.close += int(np.sum(close))
        if d_min.size:
            k = int(np.argmin(d_min))
            if d_min.flat[k] < self.best[0]:
                self.best = _where(d_min, first_plane, second_plane, node_difference_rad, k)
        if shared is not None and shared.any():
            self.shared += int(np.count_nonzero(shared))
            masked = np.where(shared, d_min, np.inf)
            k = int(np.argmin(masked))
            if masked.flat[k] < self.best_shared[0]:
                self.best_shared = _where(masked, first_plane, second_plane, node_difference_rad, k)

    def findings(self, first: int, second: int) -> list[Colocation]:
        """The most severe finding: satellites that meet, else close approaches, else shared orbit planes."""
        if self.coincide:
            return [Colocation("coincide", first, second, self.coincide, *self.best)]
        if self.close:
            return [Colocation("close", first, second, self.close, *self.best)]
        if self.shared:
            return [Colocation("shared_orbit", first, second, self.shared, *self.best_shared)]
        return []


def _where(
    values: np.ndarray, first_plane: np.ndarray, second_plane: np.ndarray, node_difference_rad: np.ndarray, k: int
) -> tuple[float, int, int, float]:
    shape = values.shape
    fp = np.broadcast_to(first_plane, shape).flat[k]
    sp = np.broadcast_to(second_plane, shape).flat[k]
    return float(values.flat[k]), int(fp), int(sp), float(np.broadcast_to(node_difference_rad, shape).flat[k])


def _within_shell(index: int, layout: ShellLayout, close_approach_m: float) -> list[Colocation]:
    pat = layout.pattern
    r, inc, n_planes, per_plane = pat.semi_major_axis_m, pat.inclination_rad, pat.planes, pat.per_plane
    limit = 2.0 * layout.envelope_m + COINCIDENCE_TOLERANCE_M
    warn = 2.0 * layout.envelope_m + close_approach_m
    tally = _Tally()
    if per_plane > 1:  # neighbours in one plane: the chord between slots m apart
        m = np.arange(1, per_plane // 2 + 1)
        chord = 2.0 * r * np.sin(math.pi * m / per_plane)
        # slot separations m and per_plane - m are the same pairs; m = per_plane / 2 pairs each satellite once
        per_m = n_planes * np.where(2 * m == per_plane, per_plane // 2, per_plane)
        zero = np.zeros(1, dtype=np.int64)
        tally.add(chord[:1], per_m * (chord <= limit), per_m * (chord <= warn), zero, zero, np.zeros(1))
    if n_planes > 1:
        raan, phase = pat.plane_raan_rad(), pat.plane_phase_rad()
        d = np.arange(1, n_planes)
        d_node = np.mod(raan[d] - raan[0] + math.pi, _TWO_PI) - math.pi
        offset = phase[0] - phase[d]
        d_min, coincide = _lattice_encounters(r, inc, d_node, offset, per_plane, limit)
        _, close = _lattice_encounters(r, inc, d_node, offset, per_plane, warn)
        weight = per_plane * (n_planes - d)  # plane pairs (p, p + d), each lattice value met by per_plane pairs
        tally.add(d_min, coincide * weight, close * weight, np.zeros_like(d), d, d_node)
    return tally.findings(index, index)


def _between_shells(
    i: int, first: ShellLayout, j: int, second: ShellLayout, close_approach_m: float
) -> list[Colocation]:
    a, b = first.pattern, second.pattern
    r, inc = 0.5 * (a.semi_major_axis_m + b.semi_major_axis_m), 0.5 * (a.inclination_rad + b.inclination_rad)
    # shells a little apart in radius or inclination: the in-plane closed form at the mean orbit, the offset added in
    # quadrature (the satellites can come no closer than it where the closed form puts them together)
    # (never a coincidence: they drift, so the closest pass is a warning)
    off = 0.0 if same_orbit(a, b) else orbit_offset_m(a, b)
    limit = first.envelope_m + second.envelope_m + COINCIDENCE_TOLERANCE_M if not off else -1.0
    warn = _reduced(first.envelope_m + second.envelope_m + close_approach_m, off)
    lattice = math.lcm(a.per_plane, b.per_plane)
    per_value = math.gcd(a.per_plane, b.per_plane)
    raan_a, phase_a, raan_b, phase_b = a.plane_raan_rad(), a.plane_phase_rad(), b.plane_raan_rad(), b.plane_phase_rad()
    tally = _Tally()
    rows = max(1, _CHUNK // max(1, b.planes))
    q = np.arange(b.planes)[None, :]
    for start in range(0, a.planes, rows):
        p = np.arange(start, min(a.planes, start + rows))[:, None]
        d_node = np.mod(raan_b[q] - raan_a[p] + math.pi, _TWO_PI) - math.pi
        offset = phase_a[p] - phase_b[q]
        d_min, coincide = _lattice_encounters(r, inc, d_node, offset, lattice, limit)
        _, close = _lattice_encounters(r, inc, d_node, offset, lattice, warn)
        if off:
            d_min = np.hypot(d_min, off)
        shared = _planes_coincide(r, inc, d_node)
        tally.add(d_min, coincide * per_value, close * per_value, p, q, d_node, shared)
    return tally.findings(i, j)


def _reduced(limit_m: float, offset_m: float) -> float:
    """The in-plane distance below which two satellites whose orbits lie ``offset_m`` apart come within
    ``limit_m``; negative (no lattice value qualifies) when the offset alone exceeds the limit."""
    if offset_m <= 0.0:
        return limit_m
    return math.sqrt(limit_m * limit_m - offset_m * offset_m) if limit_m > offset_m else -1.0


def find_colocations(layouts: list[ShellLayout], close_approach_m: float = CLOSE_APPROACH_M) -> list[Colocation]:
    """For every shell and every pair of shells with the same altitude and inclination (to
    :data:`SAME_ORBIT_TOLERANCE_M`, or within :data:`NEAR_ORBIT_M` of each other: :func:`orbit_offset_m`, never a
    coincidence then), the most severe of: satellites that meet (or fly through a formation cluster)
    twice every orbit (``coincide``); satellites that pass within :data:`CLOSE_APPROACH_M` of each other (or of a
    cluster's envelope) twice every orbit (``close``); two shells that share an orbit plane (``shared_orbit``).
    In shell order."""
    out: list[Colocation] = []
    for i, first in enumerate(layouts):
        out += _within_shell(i, first, close_approach_m)
        for j in range(i + 1, len(layouts)):
            second = layouts[j]
            if orbit_offset_m(first.pattern, second.pattern) <= NEAR_ORBIT_M:  # shared orbits included (<= 1.5 m)
                out += _between_shells(i, first, j, second, close_approach_m)
    return out


def safest_phasing(pattern: Pattern) -> tuple[int, float]:
    """The Walker phasing factor ``0 <= F < planes`` that keeps the shell's own satellites farthest apart (the
    smallest such ``F`` on a tie), and that distance (m): what to suggest when a shell's planes meet."""
    r, n_planes, per_plane = pattern.semi_major_axis_m, pattern.planes, pattern.per_plane
    chord = 2.0 * r * math.sin(math.pi / per_plane) if per_plane > 1 else math.inf
    if n_planes == 1:
        return 0, chord
    raan = pattern.plane_raan_rad()
    d = np.arange(1, n_planes)[None, :]
    f = np.arange(n_planes)[:, None]
    d_node = raan[d] - raan[0]
    offset = -_TWO_PI * np.mod(f * d, pattern.total) / pattern.total  # phase of plane 0 minus plane d
    d_min, _ = _lattice_encounters(r, pattern.inclination_rad, d_node, offset, per_plane, 0.0)
    worst = np.minimum(d_min.min(axis=1), chord)
    best = int(np.argmax(worst >= worst.max() - COINCIDENCE_TOLERANCE_M))
    return best, float(worst[best])
