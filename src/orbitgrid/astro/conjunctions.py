"""Conjunction screening: every pair of objects that comes closer than a threshold over a time span.

Method
------
The span is cut into steps of ``h``; grid time ``t_k`` covers the window from the midpoint of the step before it
to the midpoint of the step after it (half windows ``e`` = ``h / 2``). At every grid time the states of all objects
are generated (streamed: two steps are held at once, never satellites x steps) and :func:`screen` lists the pairs
that can come within their threshold ``D`` inside the window, in three exact filters:

1. **Radius** (the apogee/perigee filter): objects with a fixed range of distance from the Earth's centre (circular
   orbits: exactly ``a``; formation members: ``a`` +- their lattice radius) are sorted once into radial layers:
   runs of ranges separated by gaps wider than ``D_max`` are never compared with each other (a designed shell is
   one layer), and a run thicker than ``SPLIT_LAYERS`` layers of ``L = D_max + widest range`` is cut into layers of
   thickness ``L``, compared with the next layer only (two layers apart are more than ``D_max`` apart at every
   instant); a pair's ranges must come within its ``D``. Element sets (SGP4: drag and short-period terms) have no
   fixed range and are compared with every layer their current radius reaches.
2. **Place** at ``t_k``: a pair that comes within ``D`` during the window is within
   ``R = D + V e + margin`` at ``t_k`` (``V`` bounds their relative speed: ``2 v_max``, or a layer's own bound,
   "Relative speed" below), so within the angle ``theta = 2 asin(R / 2 r_min)`` as seen from the Earth's centre.
   Each layer is sorted by latitude band (found from a table of the edges' sines) and longitude (a polynomial
   ``atan2`` within ``LON_ERROR_RAD``, the windows widened by twice that; a counting sort by band and longitude
   bucket, then an insertion sort of the near-sorted bands). The band height is one of the layers' ``theta``
   (:func:`_band_plan`), and a layer searches ``m = ceil(theta / band)`` bands either way: a sweep compares each
   band with itself and the ``m`` next bands, and with the ``2 m + 1`` nearest bands of the next layer, over
   longitudes within ``asin(sin theta / cos phi)`` (the longitude extent of a spherical cap of radius ``theta``
   centred at latitude ``phi``, with the band's poleward edge for ``phi``; the whole circle for bands within
   ``theta`` of a pole), with the wrap at +-180 deg.
3. **Motion**: the relative motion over each half window is the straight line ``d0 + w0 s`` within
   ``A s^2 / 2``, ``A = 2 (1 + ACCEL_MARGIN) mu / r_floor^2`` bounding the two objects' accelerations
   (``r_floor``: the lowest object's radius less ``v_max e``; J2 adds ~0.2 % in LEO); a pair is kept for a half
   window if the line comes within ``D + A e^2 / 2 + hermite + ROUNDING_M`` of the origin over it.

Each kept pair is refined over the step the half window belongs to: the relative position is interpolated by the
cubic Hermite polynomial through the two end states (positions and velocities), and the time of closest approach
(TCA) is the root of the range rate ``d(s) . d'(s)`` bracketed by its sign change over the step, found by Newton's
method safeguarded by the bracket to 2^-48 of the step. All pairs are never formed; at a million satellites a step
compares ~2 pairs per object at ``h`` = 10 s and refines ~1.5 per conjunction found (docs/benchmarks.md).

:func:`screen_kdtree` is the previous method, kept as a reference: at every grid time a k-d tree
(``scipy.spatial.cKDTree.query_pairs``) lists every pair within ``D + v_max h`` and every pair listed at either end of
a step is refined over it. Both give the same conjunctions (tested); the speed ratio is in docs/benchmarks.md.

Detection guarantee
-------------------
Let ``v_max`` bound the speed of every object over the span (inertial frame). The relative velocity of two objects is
then at most ``2 v_max``, so their separation changes by at most ``2 v_max |t - t'|`` between two times. A closest
approach at ``t*`` lies in the window of one grid time, within ``e`` of it, so if the miss distance is ``<= D`` the
separation at that grid time is ``<= D + 2 v_max e``. (The k-d tree screen uses ``e = h / 2`` from either end of a
step: ``R = D + v_max h``.) ``v_max`` is the vis-viva speed at perigee of the lowest-perigee, most eccentric object
(``sqrt(mu (1 + e) / (a (1 - e)))``; for element sets of the osculating orbits at the start and the end of the span,
since drag only lowers them) times ``1 + SPEED_MARGIN`` (``SPEED_MARGIN`` = 1 % covers J2 short-period terms, ~1e-3
relative); the speed of every object is checked against it at every step and a violation raises, so the guarantee is
never silently broken.

Relative speed
--------------
``2 v_max`` is the worst case, two objects meeting head-on. Within a segment of circular orbits that are all
prograde (or all retrograde) it is less: on the J2-secular circular orbit an object's velocity is ``s t + W z x r``
(``s = a u'`` along track, ``t = n x r / |r|`` with ``n`` the orbit normal, ``W`` the node rate), so two objects
within ``R`` of each other differ in velocity by at most ``|s_a - s_b| + s_max (|n_a - n_b| + 2 R / r_floor) +
|W_a| a_a + |W_b| a_b``, and the normals of orbits inclined at most ``i`` lie within ``i`` of the pole:
``|n_a - n_b| <= 2 sin i``. A shell at 30 deg closes on itself at most ~``v`` (half of ``2 v_max``), a sun-synchronous
one at ~1.98 ``v``. Each quiet layer uses its segment's bound (times ``1 + SPEED_MARGIN``, never above ``2 v_max``)
for its search radius and straight-line reach; element sets and formation members keep ``2 v_max``. While two
objects are within ``R`` the bound holds, and a pair that meets within ``D`` inside a window is within
``D + V e <= R`` at its grid time, so the argument of the detection guarantee carries over unchanged (tested against
sampled pairs and against the k-d tree screen, which uses ``2 v_max`` everywhere).

The interpolation error of the refinement is ``h^4 / 384 max|d|`` with ``|d| <~ 2 n^4 r`` (two objects
accelerating towards the Earth in different directions): 0.7 m at ``h`` = 60 s in LEO, 3 mm at 15 s; the motion
filter adds twice this bound (``hermite``) to its limit, so a pair whose interpolated minimum is below ``D`` is never
filtered out. A local minimum at the first (last) grid time of the span counts as a closest approach when the objects
are receding (approaching) there.

Whitelists and catalogues
-------------------------
Objects with the same non-negative ``group`` are never paired (formation members belong to formation keeping, not
screening: a million satellites in 81-satellite clusters hold ~40 M permanently close pairs). Catalogue objects are
screened against the fleet; catalogue-catalogue conjunctions are counted (they calibrate the manoeuvre estimate) but
not listed.

Thresholds are per shell: a pair is reported below the larger of its two shells' thresholds.

Validation: ``tests/astro/test_conjunctions.py`` compares against an all-pairs screen whose minima are refined with
the propagator itself by ``scipy.optimize.minimize_scalar`` (no index, no interpolation), and against the closed form
of two satellites on crossing circular orbits.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree
from sgp4.api import SatrecArray

from orbitgrid.astro import conjunction_kernels as ck
from orbitgrid.astro.constants import EARTH_MU_M3_S2, SECONDS_PER_DAY
from orbitgrid.astro.constellations import CircularOrbits, ric_to_inertial
from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.j2 import positions_teme_m, secular_rates
from orbitgrid.astro.time import datetime_to_jd

__all__ = [
    "SPEED_MARGIN",
    "STARLINK_MANOEUVRES_PER_DAY",
    "STARLINK_SATELLITES",
    "CircularSource",
    "Conjunctions",
    "ElementSource",
    "FormationSource",
    "Population",
    "ScreeningError",
    "brute_force_conjunctions",
    "hermite_closest_approach",
    "manoeuvres_per_day",
    "min_separation",
    "pairs_matching",
    "screen",
    "screen_kdtree",
]

#: Relative margin on the vis-viva speed bound (J2 short-period speed variations are ~1e-3 relative in LEO).
SPEED_MARGIN = 0.01
#: Relative margin on the gravitational acceleration bound of the straight-line filter (J2 adds ~1.6e-3 in LEO).
ACCEL_MARGIN = 0.01
#: Slack of the straight-line filter for float round-off in states and distances, metres.
ROUNDING_M = 1.0
#: Every ``conjunction_kernels.REANCHOR`` steps the layer order becomes the last sort's order
#: (:meth:`_Sweeper.relayout`); False keeps the first order (the tests compare both).
RELAYOUT = True
#: A run of radius ranges thicker than this many layers (of ``D_max`` + widest range) is cut into layers.
SPLIT_LAYERS = 4
#: Starlink collision-avoidance manoeuvres, Jun-Nov 2025: 148,696 in six months (SpaceX semi-annual report to the
#: FCC of 31 Dec 2025, as reported by altagrove.com; docs/sources.md §7) = 148,696 / 183 days.
STARLINK_MANOEUVRES_PER_DAY = 148_696 / 183.0
#: Starlink satellites in orbit in late 2025 (same source: ~9,400).
STARLINK_SATELLITES = 9_400


class ScreeningError(ValueError):
    """Bad screening input (non-finite states at the epoch, non-positive threshold, step or duration)."""


# --------------------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class CircularSource:
    """Designed circular orbits on the J2 secular propagator (``orbitgrid.astro.j2``)."""

    orbits: CircularOrbits

    def __len__(self) -> int:
        return len(self.orbits)

    def states(self, t_s: float | np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """States at ``t_s`` (a scalar, or one time per object of ``idx``)."""
        o = self.orbits if idx is None else self.orbits.subset(idx)
        if np.ndim(t_s) == 0:
            r, v = positions_teme_m(
                o.semi_major_axis_m, o.inclination_rad, o.raan_rad, o.arg_latitude_rad, np.array([float(t_s)]), True
            )
            return r[:, 0], v[:, 0]
        # one time per object: advance each object's node and argument of latitude by its own secular rates
        t = np.asarray(t_s, dtype=np.float64)
        raan_dot, argp_dot, m_dot = secular_rates(o.semi_major_axis_m, o.inclination_rad)
        r, v = positions_teme_m(
            o.semi_major_axis_m,
            o.inclination_rad,
            o.raan_rad + raan_dot * t,
            o.arg_latitude_rad + (argp_dot + m_dot) * t,
            np.zeros(1),
            True,
        )
        return r[:, 0], v[:, 0]

    def speed_bound_m_s(self) -> float:
        a = self.orbits.semi_major_axis_m
        if a.size == 0:
            return 0.0
        return float(np.sqrt(EARTH_MU_M3_S2 / a.min()))

    def radius_bounds_m(self) -> tuple[np.ndarray, np.ndarray]:
        """Each object's smallest and largest distance from the Earth's centre over any span: ``a`` (circular)."""
        a = np.asarray(self.orbits.semi_major_axis_m, dtype=np.float64)
        return a.copy(), a.copy()


@dataclass(frozen=True)
class FormationSource:
    """Formation clusters: ``members`` lattice points (``(m, 2)`` metres, ``constellations.formation_lattice_m``)
    in bounded Hill-Clohessy-Wiltshire motion about each centre of ``centres``; object ``c * m + k`` is member ``k``
    of cluster ``c``. The members' velocities add the in-plane HCW rates and the frame's rotation ``n`` about the
    orbit normal (exact for the circular reference orbit, to ~J2 relative)."""

    centres: CircularOrbits
    lattice_m: np.ndarray

    @property
    def per_cluster(self) -> int:
        return int(self.lattice_m.shape[0])

    def __len__(self) -> int:
        return len(self.centres) * self.per_cluster

    def states(self, t_s: float | np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        m = self.per_cluster
        if idx is None:
            idx = np.arange(len(self))
        idx = np.asarray(idx)
        c = self.centres.subset(idx // m)
        rc, vc = CircularSource(c).states(t_s)
        _, argp_dot, m_dot = secular_rates(c.semi_major_axis_m, c.inclination_rad)
        n = argp_dot + m_dot
        pq = self.lattice_m[idx % m]
        p, q = pq[:, 0], pq[:, 1]
        cs, sn = np.cos(n * t_s), np.sin(n * t_s)
        x = 0.5 * (p * cs - q * sn)
        y = -(p * sn + q * cs)
        xd = 0.5 * n * (-p * sn - q * cs)
        yd = -n * (p * cs - q * sn)
        zero = np.zeros_like(x)
        r = rc + ric_to_inertial(rc, vc, np.stack([x, y, zero], axis=-1))
        v = vc + ric_to_inertial(rc, vc, np.stack([xd - n * y, yd + n * x, zero], axis=-1))
        return r, v

    def speed_bound_m_s(self) -> float:
        a = self.centres.semi_major_axis_m
        if a.size == 0:
            return 0.0
        radius = float(np.max(np.hypot(self.lattice_m[:, 0], self.lattice_m[:, 1]), initial=0.0))
        n_max = float(np.sqrt(EARTH_MU_M3_S2 / a.min() ** 3))
        return float(np.sqrt(EARTH_MU_M3_S2 / a.min())) + 2.0 * n_max * radius

    def radius_bounds_m(self) -> tuple[np.ndarray, np.ndarray]:
        """Member ``k`` is at ``sqrt((a + x)^2 + y^2)`` from the Earth's centre with ``|x| <= rho/2``, ``|y| <= rho``
        (``rho`` = ``hypot(p, q)``): within ``a - rho`` and ``a + rho``."""
        a = np.repeat(np.asarray(self.centres.semi_major_axis_m, dtype=np.float64), self.per_cluster)
        rho = np.tile(np.hypot(self.lattice_m[:, 0], self.lattice_m[:, 1]), len(self.centres))
        return a - rho, a + rho


@dataclass(frozen=True)
class ElementSource:
    """Element sets on SGP4 (``sgp4.api.SatrecArray``), TEME, metres; NaN where SGP4 reports an error."""

    elements: ElementSet
    epoch: _dt.datetime
    _array: SatrecArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_array", SatrecArray(self.elements.satrecs))

    def __len__(self) -> int:
        return len(self.elements)

    def _jd(self, t_s: float) -> tuple[np.ndarray, np.ndarray]:
        jd0, fr0 = datetime_to_jd(self.epoch)
        fr = fr0 + t_s / SECONDS_PER_DAY
        whole = math.floor(fr)
        return np.array([jd0 + whole]), np.array([fr - whole])

    def states(self, t_s: float | np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if np.ndim(t_s) == 0:
            jd, fr = self._jd(float(t_s))
            arr = self._array if idx is None else SatrecArray([self.elements.satrecs[i] for i in np.asarray(idx)])
            err, r, v = arr.sgp4(jd, fr)
            err, r, v = err[:, 0], r[:, 0], v[:, 0]
        else:  # one time per object
            sel = np.arange(len(self)) if idx is None else np.asarray(idx)
            rows = []
            for i, t in zip(sel, np.asarray(t_s), strict=True):
                jd, fr = self._jd(float(t))
                rows.append(self.elements.satrecs[i].sgp4(jd[0], fr[0]))
            err = np.array([q[0] for q in rows], dtype=np.int64)
            r = np.array([q[1] for q in rows], dtype=np.float64).reshape(-1, 3)
            v = np.array([q[2] for q in rows], dtype=np.float64).reshape(-1, 3)
        r, v = r * 1e3, v * 1e3
        bad = (err != 0) | ~np.isfinite(r).all(axis=1)
        r[bad] = np.nan
        v[bad] = np.nan
        return r, v

    def radius_bounds_m(self) -> tuple[np.ndarray, np.ndarray]:
        """No fixed bounds (SGP4's drag and short-period terms): ``-inf``, ``inf``; the screen treats these objects
        as free in radius."""
        n = len(self)
        return np.full(n, -np.inf), np.full(n, np.inf)

    def speed_bound_m_s(self, duration_s: float = 0.0) -> float:
        """Largest perigee speed of the osculating orbits at the start and the end of the span: SGP4's drag only
        lowers orbits, so the later one bounds the speeds in between (a decayed object has no state and no speed)."""
        best = 0.0
        for t in (0.0, duration_s):
            r, v = self.states(t)
            ok = np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
            if ok.any():
                best = max(best, float(np.max(_perigee_speed(r[ok], v[ok]))))
        return best


def _perigee_speed(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vis-viva speed at perigee of the osculating two-body orbits of states ``r``, ``v`` (m, m/s)."""
    rn = np.linalg.norm(r, axis=1)
    v2 = np.einsum("ij,ij->i", v, v)
    energy = 0.5 * v2 - EARTH_MU_M3_S2 / rn
    h = np.linalg.norm(np.cross(r, v), axis=1)
    e = np.sqrt(np.maximum(1.0 + 2.0 * energy * h * h / EARTH_MU_M3_S2**2, 0.0))
    rp = h * h / (EARTH_MU_M3_S2 * (1.0 + e))
    return np.sqrt(np.maximum(2.0 * (energy + EARTH_MU_M3_S2 / rp), 0.0))


Source = CircularSource | FormationSource | ElementSource


@dataclass
class Population:
    """Everything screened: named shells, each a source with a threshold (m) and a catalogue flag.

    Object ids run over the shells in order. ``group`` whitelists: objects of equal non-negative group are never
    paired (a formation shell gives each cluster its own group).
    """

    names: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    thresholds_m: list[float] = field(default_factory=list)
    catalogue: list[bool] = field(default_factory=list)
    groups: list[np.ndarray] = field(default_factory=list)

    def add(
        self, name: str, source: Source, threshold_m: float, catalogue: bool = False, group: np.ndarray | None = None
    ) -> None:
        if not (math.isfinite(threshold_m) and threshold_m > 0.0):
            raise ScreeningError(f"shell {name!r}: threshold must be a positive number of metres, got {threshold_m}")
        if name in self.names:
            raise ScreeningError(f"shell name {name!r} appears twice")
        n = len(source)
        if group is None:
            if isinstance(source, FormationSource):
                group = np.repeat(np.arange(len(source.centres)), source.per_cluster)
            else:
                group = np.full(n, -1)
        group = np.asarray(group, dtype=np.int64)
        if group.shape != (n,):
            raise ScreeningError(f"shell {name!r}: group must have one entry per object ({n}), got {group.shape}")
        offset = max((int(g.max()) + 1 for g in self.groups if g.size and g.max() >= 0), default=0)
        self.names.append(name)
        self.sources.append(source)
        self.thresholds_m.append(float(threshold_m))
        self.catalogue.append(bool(catalogue))
        self.groups.append(np.where(group >= 0, group + offset, -1))

    @property
    def sizes(self) -> np.ndarray:
        return np.array([len(s) for s in self.sources], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.sizes.sum())

    @property
    def shell_of(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.sources), dtype=np.int32), self.sizes)

    @property
    def group(self) -> np.ndarray:
        return np.concatenate(self.groups) if self.groups else np.empty(0, dtype=np.int64)

    def states(self, t_s: float | np.ndarray, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """TEME positions (m) and velocities (m/s) of all objects (or of ``idx``) at ``t_s`` after the epoch
        (a scalar, or with ``idx`` one time per object)."""
        starts = np.concatenate([[0], np.cumsum(self.sizes)])
        if idx is None:
            parts = [s.states(t_s) for s in self.sources]
            if not parts:
                return np.empty((0, 3)), np.empty((0, 3))
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        idx = np.asarray(idx)
        r = np.empty((idx.size, 3))
        v = np.empty((idx.size, 3))
        shell = np.searchsorted(starts, idx, side="right") - 1
        for k, src in enumerate(self.sources):
            sel = np.nonzero(shell == k)[0]
            if sel.size:
                ts = t_s if np.ndim(t_s) == 0 else np.asarray(t_s)[sel]
                r[sel], v[sel] = src.states(ts, idx[sel] - starts[k])
        return r, v

    def radius_bounds_m(self) -> tuple[np.ndarray, np.ndarray]:
        """Per object, bounds on its distance from the Earth's centre over any span (``-inf``, ``inf`` where the
        source has none)."""
        if not self.sources:
            return np.empty(0), np.empty(0)
        parts = [s.radius_bounds_m() for s in self.sources]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def speed_bound_m_s(self, duration_s: float = 0.0) -> float:
        """``v_max`` of the module docstring: the largest perigee speed over ``[0, duration_s]``, times
        ``1 + SPEED_MARGIN``."""
        bounds = [
            s.speed_bound_m_s(duration_s) if isinstance(s, ElementSource) else s.speed_bound_m_s() for s in self.sources
        ]
        return max(bounds, default=0.0) * (1.0 + SPEED_MARGIN)


# ------------------------------------------------------------------------------------------------------ refinement


def hermite_closest_approach(
    d0: np.ndarray, w0: np.ndarray, d1: np.ndarray, w1: np.ndarray, h: float, iterations: int = 48
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closest approach over one step of the cubic Hermite interpolant of relative position.

    ``d0, w0`` (``d1, w1``): relative positions (m) and velocities (m/s), ``(n, 3)``, at the start (end) of a step of
    ``h`` seconds. For pairs whose range rate ``d . w`` goes from ``<= 0`` to ``> 0`` over the step, the root of the
    interpolant's ``d(s) . d'(s)`` is found by Newton's method safeguarded by the sign-change bracket (bisection
    whenever Newton leaves it) to ``2^-iterations`` of the step; returns ``(s, miss_m, rel_speed_m_s)`` with ``s``
    in [0, 1] the fraction of the step; other pairs get NaN.
    """
    n = d0.shape[0]
    s, miss, speed = np.empty(n), np.empty(n), np.empty(n)
    ck.hermite_closest(
        np.ascontiguousarray(d0, dtype=np.float64),
        np.ascontiguousarray(w0, dtype=np.float64),
        np.ascontiguousarray(d1, dtype=np.float64),
        np.ascontiguousarray(w1, dtype=np.float64),
        float(h),
        2.0**-iterations,
        s,
        miss,
        speed,
    )
    return s, miss, speed


# ------------------------------------------------------------------------------------------------------- screening


@dataclass
class Conjunctions:
    """Conjunctions found (one row per closest approach below the pair's threshold) and the screening's figures."""

    i: np.ndarray
    j: np.ndarray
    tca_s: np.ndarray
    miss_m: np.ndarray
    rel_speed_m_s: np.ndarray
    duration_s: float
    step_s: float
    search_radius_m: float
    speed_bound_m_s: float
    n_candidates: int
    catalogue_pairs: int

    def __len__(self) -> int:
        return int(self.i.size)


def _candidates(r: np.ndarray, ok: np.ndarray, radius: float, group: np.ndarray, n: int) -> np.ndarray:
    """Pair codes ``i * n + j`` (i < j) of live objects within ``radius``, whitelisted pairs removed."""
    live = np.nonzero(ok)[0]
    if live.size < 2:
        return np.empty(0, dtype=np.int64)
    tree = cKDTree(r[live], balanced_tree=False, compact_nodes=False)
    pairs = tree.query_pairs(radius, output_type="ndarray")
    a = live[pairs[:, 0]].astype(np.int64)
    b = live[pairs[:, 1]].astype(np.int64)
    i, j = np.minimum(a, b), np.maximum(a, b)
    keep = (group[i] < 0) | (group[i] != group[j])
    return (i * n + j)[keep]


def _check_states(pop: Population, r: np.ndarray, v: np.ndarray, t: float, vmax: float) -> np.ndarray:
    ok = np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
    if ok.any():
        fastest = float(np.sqrt(np.max(np.einsum("ij,ij->i", v[ok], v[ok]))))
        if fastest > vmax:
            raise ScreeningError(
                f"an object moves at {fastest:.1f} m/s at t = {t:.0f} s, above the speed bound {vmax:.1f} m/s "
                "the detection guarantee rests on"
            )
    return ok


def _validate_span(duration_s: float, step_s: float) -> tuple[int, np.ndarray]:
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ScreeningError(f"duration must be a positive number of seconds, got {duration_s}")
    if not (math.isfinite(step_s) and step_s > 0):
        raise ScreeningError(f"step must be a positive number of seconds, got {step_s}")
    n_steps = max(1, math.ceil(duration_s / step_s - 1e-9))
    return n_steps, np.minimum(np.arange(n_steps + 1) * step_s, duration_s)


@dataclass
class _Hits:
    """Refined closest approaches accumulated over the steps."""

    pair_thr: np.ndarray
    cat: np.ndarray
    n_steps: int
    out: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in ("i", "j", "t", "miss", "vrel")})
    cat_pairs: int = 0

    def refine(
        self,
        codes: np.ndarray,
        n: int,
        k: int,
        t0: float,
        t1: float,
        states0: tuple[np.ndarray, np.ndarray],
        states1: tuple[np.ndarray, np.ndarray],
        where: np.ndarray | None = None,
        where1: np.ndarray | None = None,
    ) -> None:
        """Refine the pairs ``codes`` (``i * n + j``, sorted) over step ``k`` = ``[t0, t1]`` and keep those whose
        closest approach is below their threshold (catalogue-catalogue ones are only counted). ``where``: the row of
        each object in the state arrays (default: its id); ``where1``: in the end states, when they differ."""
        r0, v0, r1, v1 = (np.ascontiguousarray(x, dtype=np.float64) for x in (*states0, *states1))
        codes = np.ascontiguousarray(codes, dtype=np.int64)
        i, j = codes // n if n else codes, codes % n if n else codes
        h = t1 - t0
        w0 = np.arange(n, dtype=np.int64) if where is None else where
        w1 = w0 if where1 is None else where1
        s, miss, vrel = np.empty(codes.size), np.empty(codes.size), np.empty(codes.size)
        ck.refine_pairs[codes.size >= ck.PARALLEL_MIN_PAIRS](
            codes, max(n, 1), w0, w1, r0, v0, r1, v1, float(h), 2.0**-48, k == 0, k == self.n_steps - 1, s, miss, vrel
        )
        hit = np.isfinite(miss) & (miss <= np.maximum(self.pair_thr[i], self.pair_thr[j]))
        both_cat = self.cat[i] & self.cat[j]
        self.cat_pairs += int(np.count_nonzero(hit & both_cat))
        hit &= ~both_cat
        self.out["i"].append(i[hit])
        self.out["j"].append(j[hit])
        self.out["t"].append(t0 + s[hit] * h)
        self.out["miss"].append(miss[hit])
        self.out["vrel"].append(vrel[hit])

    def result(self, duration_s: float, step_s: float, radius: float, vmax: float, n_candidates: int) -> Conjunctions:
        cols = {}
        for key in ("i", "j", "t", "miss", "vrel"):  # one column at a time: peak memory one column above the result
            parts = self.out[key]
            cols[key] = np.concatenate(parts) if parts else np.empty(0)
            parts.clear()
        return Conjunctions(
            i=cols["i"].astype(np.int64, copy=False),
            j=cols["j"].astype(np.int64, copy=False),
            tca_s=cols["t"],
            miss_m=cols["miss"],
            rel_speed_m_s=cols["vrel"],
            duration_s=float(duration_s),
            step_s=float(step_s),
            search_radius_m=radius,
            speed_bound_m_s=vmax,
            n_candidates=int(n_candidates),
            catalogue_pairs=self.cat_pairs,
        )


def _hits(pop: Population, n_steps: int) -> _Hits:
    n = len(pop)
    thr = np.array(pop.thresholds_m)
    cat = np.array(pop.catalogue, dtype=bool)[pop.shell_of] if n else np.zeros(0, dtype=bool)
    return _Hits(pair_thr=thr[pop.shell_of] if n else np.zeros(0), cat=cat, n_steps=n_steps)


def screen_kdtree(
    pop: Population,
    duration_s: float,
    step_s: float,
    progress: Callable[[int, int], None] | None = None,
) -> Conjunctions:
    """The k-d tree screen (the previous method, kept as a reference and for comparisons): at every grid time a
    ``cKDTree`` lists every pair within ``R = D + v_max h``, and every pair listed at either end of a step is
    refined over it (module docstring, "Detection guarantee")."""
    n_steps, times = _validate_span(duration_s, step_s)
    n = len(pop)
    vmax = pop.speed_bound_m_s(duration_s)
    radius = float(max(pop.thresholds_m, default=0.0)) + vmax * step_s
    group = pop.group
    r0, v0 = pop.states(float(times[0]))
    ok0 = _check_states(pop, r0, v0, float(times[0]), vmax)
    if n and not ok0.any():
        raise ScreeningError("no object has a finite state at the epoch (every element set failed in SGP4)")
    c0 = _candidates(r0, ok0, radius, group, n)
    hits = _hits(pop, n_steps)
    n_cand = 0
    for k in range(n_steps):
        t0, t1 = float(times[k]), float(times[k + 1])
        r1, v1 = pop.states(t1)
        ok1 = _check_states(pop, r1, v1, t1, vmax)
        c1 = _candidates(r1, ok1, radius, group, n)
        codes = np.union1d(c0, c1)
        n_cand += codes.size
        hits.refine(codes, n, k, t0, t1, (r0, v0), (r1, v1))
        r0, v0, c0 = r1, v1, c1
        if progress is not None:
            progress(k + 1, n_steps)
    return hits.result(duration_s, step_s, radius, vmax, n_cand)


def _segment_speed_terms(pop: Population, q_ids: np.ndarray, seg: np.ndarray, seg_of_layer: np.ndarray) -> np.ndarray:
    """Terms of each quiet layer's bound on the relative speed of two of its objects close to each other, ``(layers,
    4)``: along-track speed spread, largest along-track speed, chord between orbit normals, largest node-drift speed
    (NaN: no bound below ``2 v_max``). The terms are those of the layer's segment (adjacent layers of one segment are
    swept against each other), and only for segments whose objects all fly circular orbits (module docstring,
    "Relative speed").

    On the J2-secular circular orbit an object's velocity is ``s t + W z x r`` (``s = a u'``, ``t = n x r / |r|``,
    ``n`` the orbit normal, ``W`` the node rate), so for two objects ``|v_a - v_b| <= |s_a - s_b| + s_max (|n_a -
    n_b| + |r_a / |r_a| - r_b / |r_b||) + |W_a| a_a + |W_b| a_b``. The normals of orbits inclined at most ``i`` (all
    prograde) lie in a cap of radius ``i`` about the pole, so ``|n_a - n_b| <= 2 sin(min(i, 90 deg))``; retrograde
    orbits likewise about the south pole, with ``180 deg - i``."""
    n_layers = seg_of_layer.size
    out = np.full((n_layers, 4), np.nan)
    n = len(pop)
    starts = np.concatenate([[0], np.cumsum(pop.sizes)]).astype(np.int64)
    circ = np.zeros(n, dtype=bool)
    a = np.zeros(n)
    inc = np.zeros(n)
    u_dot = np.zeros(n)
    node = np.zeros(n)
    for k, src in enumerate(pop.sources):
        if isinstance(src, CircularSource) and len(src):
            lo, hi = int(starts[k]), int(starts[k + 1])
            o = src.orbits
            raan_dot, argp_dot, m_dot = secular_rates(o.semi_major_axis_m, o.inclination_rad)
            circ[lo:hi] = True
            a[lo:hi] = o.semi_major_axis_m
            inc[lo:hi] = np.broadcast_to(o.inclination_rad, (hi - lo,))
            u_dot[lo:hi] = np.broadcast_to(argp_dot + m_dot, (hi - lo,))
            node[lo:hi] = np.broadcast_to(raan_dot, (hi - lo,))
    for s_id in np.unique(seg_of_layer):
        ids = q_ids[seg == s_id]
        if ids.size == 0 or not circ[ids].all():
            continue
        speed = a[ids] * np.abs(u_dot[ids])
        i_lo, i_hi = float(inc[ids].min()), float(inc[ids].max())
        if i_hi <= 0.5 * math.pi:
            cap = i_hi
        elif i_lo >= 0.5 * math.pi:
            cap = math.pi - i_lo
        else:
            cap = 0.5 * math.pi
        chord = 2.0 * math.sin(min(cap, 0.5 * math.pi))
        out[seg_of_layer == s_id] = (
            float(speed.max() - speed.min()),
            float(speed.max()),
            chord,
            float(np.max(np.abs(node[ids]) * a[ids])),
        )
    return out


#: Relative cost of one pair test against one sweep of a band for one object, for :func:`_band_plan` (measured on
#: the 1,000,000-satellite benchmark fleet: ~4 tests and 2 sweeps per object took similar times).
TEST_COST = 1.3


def _band_plan(layer_theta: np.ndarray, layer_sizes: np.ndarray) -> tuple[int, np.ndarray]:
    """The number of latitude bands and how many bands each layer searches either way (``ceil(theta_l / band)``,
    at least 1): the band height is the candidate (``pi / floor(pi / theta_l)`` for each layer's cap radius
    ``theta_l``) with the least estimated work, ``sum_l N_l ((m_l + 1) + TEST_COST (2 m_l + 1) band theta_l /
    theta_max^2)``: a sweep of ``m_l + 1`` bands per object and pair tests in proportion to the searched area
    (``theta_max``: the largest radius, where one band of that height costs ~1 test per sweep). Any choice finds
    the same pairs; it only changes the work."""
    theta_max = float(layer_theta.max())
    if not theta_max > 0.0:
        return 1, np.ones(layer_theta.size, dtype=np.int64)
    best: tuple[float, int, np.ndarray] | None = None
    for th in np.unique(layer_theta[layer_theta > 0.0]):
        n_bands = max(1, int(math.pi / th))
        band = math.pi / n_bands
        m = np.maximum(np.ceil(layer_theta / band), 1.0)
        cost = float(np.sum(layer_sizes * ((m + 1) + TEST_COST * (2 * m + 1) * band * layer_theta / theta_max**2)))
        if best is None or cost < best[0]:
            best = (cost, n_bands, m.astype(np.int64))
    assert best is not None
    return best[1], best[2]


class _Sweeper:
    """The state of :func:`screen` across steps: the static radial layers and the per-step sorted arrays.

    Objects are kept in layer order (``order[p]`` is the object at position ``p``, ``pos_of`` the inverse): states
    are generated in that order so each layer is one contiguous block."""

    def __init__(self, pop: Population, vmax: float) -> None:
        self.pop = pop
        self.n = n = len(pop)
        self.vmax = vmax
        group = pop.group.astype(np.int64)
        thr = np.array(pop.thresholds_m)[pop.shell_of] if n else np.zeros(0)
        self.d_max = float(thr.max(initial=0.0))
        rlo, rhi = pop.radius_bounds_m()
        quiet = np.isfinite(rlo) & np.isfinite(rhi)
        q_ids = np.nonzero(quiet)[0]
        free_ids = np.nonzero(~quiet)[0]
        # segments: runs of radius ranges with no gap wider than D_max (objects of two segments never come within
        # D_max of each other); a segment thicker than SPLIT_LAYERS layers of thickness L = D_max + widest radius
        # range is cut into such layers, and objects two layers apart never come within D_max either. A thin
        # segment (a designed shell) stays one layer: cutting it would only add sweeps between its layers.
        width = float(np.max(rhi[q_ids] - rlo[q_ids], initial=0.0))
        thick = (self.d_max + width) * (1.0 + 1e-9) + 1e-6
        by_lo = q_ids[np.argsort(rlo[q_ids], kind="stable")]
        lo_s, hi_s = rlo[by_lo], rhi[by_lo]
        run_hi = np.maximum.accumulate(hi_s) if by_lo.size else hi_s
        new_seg = np.ones(by_lo.size, dtype=bool)
        new_seg[1:] = lo_s[1:] > run_hi[:-1] + self.d_max
        seg = np.cumsum(new_seg) - 1
        seg_lo = lo_s[new_seg]
        seg_hi = np.maximum.reduceat(hi_s, np.nonzero(new_seg)[0]) if by_lo.size else hi_s
        cut = (seg_hi - seg_lo) > SPLIT_LAYERS * thick
        sub = np.where(cut[seg], np.floor((lo_s - seg_lo[seg]) / thick), 0.0).astype(np.int64)
        key = seg * (int(sub.max(initial=0)) + 2) + sub  # layers ordered by segment, then by sub-layer
        by_layer = np.argsort(key, kind="stable")
        used, layer_of = np.unique(key[by_layer], return_inverse=True)  # empty layers dropped, order kept
        sizes = np.bincount(layer_of, minlength=used.size)
        self.n_quiet = int(used.size)
        # neighbours in the list are adjacent only if one thickness apart in one cut segment
        self.adjacent = np.append(np.diff(used) == 1, False) if used.size else np.zeros(0, dtype=bool)
        q_ids = by_lo
        self.order = np.concatenate([q_ids[by_layer], free_ids]).astype(np.int64)
        self.pos_of = np.empty(n, dtype=np.int64)
        self.pos_of[self.order] = np.arange(n)
        self.layer_start = np.concatenate([[0], np.cumsum(sizes), [n]]).astype(np.int64)
        spans = [(int(self.layer_start[k]), int(self.layer_start[k + 1])) for k in range(self.n_quiet)]
        self.layer_r_lo = np.array([rlo[self.order[a:b]].min() for a, b in spans])
        self.layer_r_hi = np.array([rhi[self.order[a:b]].max() for a, b in spans])
        self.r_floor_quiet = float(rlo[q_ids].min(initial=np.inf))
        self.layer_sizes = np.diff(self.layer_start).astype(np.float64)
        seg_of_layer = used // (int(sub.max(initial=0)) + 2) if used.size else used
        self.vrel_terms = _segment_speed_terms(pop, q_ids, seg, seg_of_layer)
        self.free_pos = np.arange(len(q_ids), n)
        self.rlo, self.rhi = rlo[self.order], rhi[self.order]
        self.group, self.thr = group[self.order], thr[self.order]
        self.s_id = np.empty(n, dtype=np.int64)
        self.s_lon = np.empty(n)
        self.s_pos = np.empty((n, 3))
        self.s_vel = np.empty((n, 3))
        self.s_rlo = np.empty(n)
        self.s_rhi = np.empty(n)
        self.s_group = np.empty(n, dtype=np.int64)
        self.s_thr = np.empty(n)
        self.par = n >= ck.PARALLEL_MIN_OBJECTS
        self.threads = nb_threads()
        self.cap = 1 << 16
        self._alloc()

    def relayout(self) -> tuple[np.ndarray, np.ndarray]:
        """Make the last sort's order the layer order (``order``, ``pos_of`` and the per-position data follow):
        states generated in that order reach the next sort nearly sorted, and its gathers read nearby memory
        instead of the whole layer at random (at 1,000,000 satellites the sort took ~40 ms a step from a random
        order, ~25 ms from a recent sorted one). The sort permutes each layer within its own block, so layers keep
        their positions. Returns the previous ``pos_of`` (a copy: states computed before this call are in that
        layout) and ``perm``, the previous position of the object now at each position."""
        old_pos = self.pos_of.copy()
        self.order[:] = self.s_id
        perm = old_pos[self.order]
        self.pos_of[self.order] = np.arange(self.n)
        self.rlo, self.rhi = self.rlo[perm], self.rhi[perm]
        self.group, self.thr = self.group[perm], self.thr[perm]
        return old_pos, perm

    def _alloc(self) -> None:
        self.buf_i = np.empty((self.threads, self.cap), dtype=np.int64)
        self.buf_j = np.empty((self.threads, self.cap), dtype=np.int64)
        self.buf_f = np.empty((self.threads, self.cap), dtype=np.int8)

    def pairs(
        self, r: np.ndarray, v: np.ndarray, t: float, e_before: float, e_after: float, step_max: float
    ) -> tuple[np.ndarray, np.ndarray, float, int]:
        """Pair codes (``i * n + j``) to refine over the step before and the step after grid time ``t``, given the
        half windows ``e_before``, ``e_after`` it covers and states in layer order; the search radius; the number
        of live objects."""
        n = self.n
        e = max(e_before, e_after)
        r_min = self.r_floor_quiet
        if self.free_pos.size:
            rf = r[self.free_pos]
            rf2 = np.einsum("ij,ij->i", rf, rf)
            rf2 = rf2[np.isfinite(rf2)]
            if rf2.size:
                r_min = min(r_min, float(np.sqrt(rf2.min())))
        r_floor = r_min - self.vmax * e
        if not (math.isfinite(r_floor) and r_floor > 0.0):
            r_floor = max(r_floor, 1.0) if math.isfinite(r_floor) else 1.0
        accel = 2.0 * (1.0 + ACCEL_MARGIN) * EARTH_MU_M3_S2 / r_floor**2
        hermite = 2.0 * step_max**4 / 384.0 * 2.0 * EARTH_MU_M3_S2**2 / r_floor**5
        margin = 0.5 * accel * e * e + hermite + ROUNDING_M
        reach = 2.0 * self.vmax * e
        radius = self.d_max + margin + reach
        # each quiet layer's reach from its own relative-speed bound (never above 2 v_max); the free objects (last
        # row) keep 2 v_max
        spread, s_max, chord, node = self.vrel_terms.T if self.n_quiet else (np.zeros(0),) * 4
        pos_chord = 2.0 * radius / r_floor  # |r_a/|r_a| - r_b/|r_b|| for two objects within the search radius
        vrel = (1.0 + SPEED_MARGIN) * (spread + s_max * (chord + pos_chord) + 2.0 * node)
        vrel = np.where(np.isfinite(vrel), np.minimum(vrel, 2.0 * self.vmax), 2.0 * self.vmax)
        layer_reach = np.append(vrel * e, reach)
        layer_radius = self.d_max + margin + layer_reach
        layer_theta = 2.0 * np.arcsin(np.minimum(1.0, layer_radius / (2.0 * r_floor)))
        n_bands, reach_bands = _band_plan(layer_theta, self.layer_sizes)
        band_rad = math.pi / n_bands
        edge = np.abs(-0.5 * math.pi + band_rad * np.arange(n_bands + 1))
        polar = np.minimum(np.maximum(edge[:-1], edge[1:]), 0.5 * math.pi)
        band_w = np.full((layer_theta.size, n_bands), math.pi)
        for lay, th in enumerate(layer_theta):
            inner = polar + th < 0.5 * math.pi
            band_w[lay, inner] = np.arcsin(np.minimum(1.0, math.sin(th) / np.cos(polar[inner])))
        band_w += 2.0 * ck.LON_ERROR_RAD  # the sort's longitudes are within LON_ERROR_RAD of the true ones
        sines, guess = ck.band_tables(n_bands)
        band_start = np.zeros((self.n_quiet + 1, n_bands + 1), dtype=np.int64)
        fastest2, live = ck.sort_layers[self.par](
            r, v, self.order, self.layer_start, n_bands, sines, guess, self.rlo, self.rhi, self.group, self.thr,
            self.s_id, self.s_lon, self.s_pos, self.s_vel, self.s_rlo, self.s_rhi, self.s_group, self.s_thr,
            band_start,
        )  # fmt: skip
        if fastest2 > self.vmax**2:
            raise ScreeningError(
                f"an object moves at {math.sqrt(fastest2):.1f} m/s at t = {t:.0f} s, above the speed bound "
                f"{self.vmax:.1f} m/s the detection guarantee rests on"
            )
        while True:
            cnt = np.zeros(self.threads, dtype=np.int64)
            arrays = (self.s_id, self.s_lon, self.s_pos, self.s_vel, self.s_rlo, self.s_rhi, self.s_group, self.s_thr)
            out = (self.buf_i, self.buf_j, self.buf_f, cnt)
            ck.sweep_layers[self.par](
                band_start, self.n_quiet, self.adjacent, band_w, reach_bands, layer_reach, *arrays, margin, e_before,
                e_after, *out,
            )  # fmt: skip
            if self.free_pos.size:  # a parallel region costs a wake-up of the thread pool even when empty
                ck.sweep_free[self.par](
                    band_start, self.n_quiet, self.layer_r_lo, self.layer_r_hi, sines, guess, band_w[-1],
                    int(reach_bands[-1]), radius,
                    *arrays, reach, margin, e_before, e_after, *out,
                )  # fmt: skip
            if cnt.max(initial=0) <= self.cap:
                break
            self.cap = int(cnt.max() * 1.5)
            self._alloc()
        parts = [slice(0, int(c)) for c in cnt]
        i = np.concatenate([self.buf_i[q][p] for q, p in enumerate(parts)])
        j = np.concatenate([self.buf_j[q][p] for q, p in enumerate(parts)])
        f = np.concatenate([self.buf_f[q][p] for q, p in enumerate(parts)])
        codes = i * n + j
        before = np.sort(codes[(f & ck.FLAG_BEFORE) != 0])
        after = np.sort(codes[(f & ck.FLAG_AFTER) != 0])
        return before, after, radius, int(live)


def nb_threads() -> int:
    """Threads the numba kernels run on (one output buffer each). ``numba.get_num_threads`` also starts numba's
    threading layer, which the kernels' thread ids read: a kernel loaded from numba's cache, run before any parallel
    code in the process, would otherwise read an id the layer never set."""
    import numba

    return int(numba.get_num_threads())


def screen(
    pop: Population,
    duration_s: float,
    step_s: float,
    progress: Callable[[int, int], None] | None = None,
) -> Conjunctions:
    """All closest approaches below the pairs' thresholds over ``[0, duration_s]`` (module docstring): the same
    conjunctions as :func:`screen_kdtree`, by radial layers, latitude bands and longitude sweeps with a straight-line
    filter before the refinement."""
    n_steps, times = _validate_span(duration_s, step_s)
    n = len(pop)
    vmax = pop.speed_bound_m_s(duration_s)
    hits = _hits(pop, n_steps)
    sweeper = _Sweeper(pop, vmax)
    step_max = float(np.max(np.diff(times)))
    states = _StateBuffers(pop, sweeper.order, sweeper.pos_of)
    n_cand = 0
    radius = float("nan")
    after_prev = np.empty(0, dtype=np.int64)
    prev: tuple[np.ndarray, np.ndarray] | None = None
    for k in range(n_steps + 1):
        t = float(times[k])
        where_prev = sweeper.pos_of
        if RELAYOUT and k > 0 and n and states.anchor_due():
            where_prev, perm = sweeper.relayout()
            states.relayout(perm)
        r, v = states.at(t, k % 2)
        e_before = 0.5 * (t - float(times[k - 1])) if k > 0 else 0.0
        e_after = 0.5 * (float(times[k + 1]) - t) if k < n_steps else 0.0
        before, after, rad, live = sweeper.pairs(r, v, t, e_before, e_after, step_max)
        if k == 0 and n and not live:
            raise ScreeningError("no object has a finite state at the epoch (every element set failed in SGP4)")
        radius = rad if k == 0 else max(radius, rad)
        if prev is not None:
            codes = ck.merge_unique(after_prev, before)
            n_cand += codes.size
            hits.refine(codes, n, k - 1, float(times[k - 1]), t, prev, (r, v), where_prev, sweeper.pos_of)
            if progress is not None:
                progress(k, n_steps)
        after_prev, prev = after, (r, v)
    return hits.result(duration_s, step_s, radius, vmax, n_cand)


class _StateBuffers:
    """States of the whole population at one time, in layer order, written into one of two preallocated buffers
    (this step's and the last); circular shells through the numba kernel, the other sources through their
    ``states``."""

    def __init__(self, pop: Population, order: np.ndarray, pos_of: np.ndarray) -> None:
        self.pop = pop
        n = len(pop)
        self.r = [np.empty((n, 3)), np.empty((n, 3))]
        self.v = [np.empty((n, 3)), np.empty((n, 3))]
        self.pos_of = pos_of
        self.starts = np.concatenate([[0], np.cumsum(pop.sizes)]).astype(np.int64)
        params: list[list[np.ndarray]] = [[] for _ in range(8)]
        self.other: list[int] = []
        for k, src in enumerate(pop.sources):
            if isinstance(src, CircularSource):
                o = src.orbits
                raan_dot, argp_dot, m_dot = secular_rates(o.semi_major_axis_m, o.inclination_rad)
                cols = [o.semi_major_axis_m, np.cos(o.inclination_rad), np.sin(o.inclination_rad), o.raan_rad]
                cols += [raan_dot, o.arg_latitude_rad, argp_dot + m_dot]
                for q, x in enumerate(cols):
                    params[q].append(np.broadcast_to(np.asarray(x, dtype=np.float64), (len(o),)))
                params[7].append(pos_of[self.starts[k] : self.starts[k + 1]])
            else:
                self.other.append(k)
        if params[7]:
            dest = np.concatenate(params[7])
            by_dest = np.argsort(dest, kind="stable")  # write the buffers in order
            self.circ = tuple(np.ascontiguousarray(np.concatenate(p)[by_dest]) for p in params[:7])
            self.dest = np.ascontiguousarray(dest[by_dest])
        else:
            self.circ = ()
            self.dest = np.empty(0, dtype=np.int64)
        self.par = self.dest.size >= ck.PARALLEL_MIN_OBJECTS
        m = self.dest.size
        self.trig = tuple(np.empty(m) for _ in range(4))  # cos u, sin u, cos node, sin node at the last call
        self.step_trig: tuple[np.ndarray, ...] = ()
        self.last_t = math.nan
        self.step_s = math.nan
        self.since_anchor = 0

    def anchor_due(self) -> bool:
        """The next regular step re-evaluates the circular states exactly (their angles are not carried)."""
        return self.since_anchor >= ck.REANCHOR

    def relayout(self, perm: np.ndarray) -> None:
        """Follow a new layout of the positions (``perm``: the previous position of the object now at each one,
        :meth:`_Sweeper.relayout`): the circular orbits' rows are reordered so their destinations stay increasing,
        and the next call evaluates them exactly (the carried sines and cosines are not reordered)."""
        if self.dest.size:
            row_at = np.full(perm.size, -1, dtype=np.int64)
            row_at[self.dest] = np.arange(self.dest.size)
            rows = row_at[perm]
            keep = rows >= 0
            rows = rows[keep]
            self.dest = np.nonzero(keep)[0].astype(np.int64)
            self.circ = tuple(x[rows] for x in self.circ)
            self.step_trig = tuple(x[rows] for x in self.step_trig)
        self.since_anchor = ck.REANCHOR

    def at(self, t: float, slot: int) -> tuple[np.ndarray, np.ndarray]:
        """States at ``t`` into buffer ``slot``. Circular orbits advance their angles by rotation when ``t`` is one
        regular step after the last call (re-evaluated exactly every ``REANCHOR`` steps and after any other step)."""
        r, v = self.r[slot], self.v[slot]
        if self.dest.size:
            h = t - self.last_t
            regular = abs(h - self.step_s) <= 1e-12 * max(1.0, abs(h))  # False while either is NaN
            if self.step_trig and regular and self.since_anchor < ck.REANCHOR:
                advance = True
                self.since_anchor += 1
            else:
                advance = False
                self.since_anchor = 0
                if math.isfinite(h) and h > 0 and not regular:  # a new step length: its rotations, once
                    raan_dot, u_dot = self.circ[4], self.circ[6]
                    self.step_s = h
                    self.step_trig = (np.cos(u_dot * h), np.sin(u_dot * h), np.cos(raan_dot * h), np.sin(raan_dot * h))
            a, cos_i, sin_i, raan0, raan_dot, u0, u_dot = self.circ
            ck.circular_states_rotating[self.par](
                a, cos_i, sin_i, raan0, raan_dot, u0, u_dot, t, advance, *self.trig,
                *(self.step_trig or self.trig), self.dest, r, v,
            )  # fmt: skip
            self.last_t = t
        for k in self.other:
            rows = self.pos_of[self.starts[k] : self.starts[k + 1]]
            r[rows], v[rows] = self.pop.sources[k].states(t)
        return r, v


def min_separation(
    pop: Population,
    duration_s: float,
    step_s: float,
    horizon_m: float = 50_000.0,
    known: Conjunctions | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Smallest separation within and between shells over ``[0, duration_s]``, whitelisted pairs excluded.

    Returns ``(sep_m, tca_s, i, j)``, each ``(S, S)`` (symmetric; ``i``, ``j`` the closest pair's object ids, -1 when
    no pair came within ``horizon_m``, where ``sep_m`` is ``inf``: the minimum is then above the horizon). The screen
    of :func:`screen` with a shrinking threshold: ``U`` starts at the nearest-neighbour distance at the epoch (at most
    ``horizon_m``; the cost grows as ``U^2`` in a shell) and every step queries the pairs within ``U + v_max h``,
    refines them over the steps on both sides and lowers ``U`` to the smallest range found. ``U`` only decreases,
    so a pair whose true minimum is below the final ``U`` was within the search radius at the grid time nearest its
    closest approach (module docstring): the minimum is exact to the refinement, not a grid sample.

    ``known``: the conjunctions :func:`screen` found in ``pop`` over the same span and step (thresholds at most
    ``horizon_m``). A shell pair with a conjunction there has its minimum among them: any closer approach of any of
    its pairs would be a local minimum below the pair's threshold, a conjunction too. A shell pair whose radius ranges
    (:meth:`Population.radius_bounds_m`) are more than ``horizon_m`` apart never comes within it. Only the remaining
    shell pairs are searched, so a fleet whose shells all hold conjunctions costs nothing more than its screening.
    """
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ScreeningError(f"duration must be a positive number of seconds, got {duration_s}")
    if not (math.isfinite(step_s) and step_s > 0):
        raise ScreeningError(f"step must be a positive number of seconds, got {step_s}")
    todo, sep_known, when_known, who_known = _known_minima(pop, horizon_m, known)
    if not todo.any():
        return _symmetric(sep_known, when_known, who_known)
    n_steps = max(1, math.ceil(duration_s / step_s - 1e-9))
    times = np.minimum(np.arange(n_steps + 1) * step_s, duration_s)
    vmax = pop.speed_bound_m_s(duration_s)
    group = pop.group
    starts = np.concatenate([[0], np.cumsum(pop.sizes)])
    n_sh = len(pop.sources)
    n = len(pop)
    sep = np.full((n_sh, n_sh), np.inf)
    when = np.full((n_sh, n_sh), np.nan)
    who = np.full((n_sh, n_sh, 2), -1, dtype=np.int64)

    def pairs(r: np.ndarray, ok: np.ndarray, first: bool) -> dict[tuple[int, int], np.ndarray]:
        out: dict[tuple[int, int], np.ndarray] = {}
        trees = {}
        for a in range(n_sh):
            ia = np.arange(starts[a], starts[a + 1])[ok[starts[a] : starts[a + 1]]]
            if ia.size and (todo[a].any() or todo[:, a].any()):
                trees[a] = (ia, cKDTree(r[ia], balanced_tree=False, compact_nodes=False))
        for a, (ia, ta) in trees.items():
            for b, (ib, tb) in trees.items():
                if b < a or (a == b and ia.size < 2) or not todo[a, b]:
                    continue
                if first:  # nearest neighbours at the epoch: the starting U
                    kq = min(ia.size, 2 + int(np.max(np.bincount(group[ia][group[ia] >= 0]), initial=0)))
                    kq = kq if a == b else 1
                    _, nb = ta.query(r[ib], k=kq)
                    nb = nb.reshape(ib.size, -1)
                    p = np.stack([np.repeat(ib, nb.shape[1]), ia[nb.ravel()]], axis=1)
                else:
                    radius = float(sep[a, b]) + vmax * step_s
                    if a == b:
                        q = ta.query_pairs(radius, output_type="ndarray")
                        p = np.stack([ia[q[:, 0]], ia[q[:, 1]]], axis=1)
                    else:
                        q = ta.sparse_distance_matrix(tb, radius, output_type="ndarray")
                        p = np.stack([ia[q["i"]], ib[q["j"]]], axis=1).astype(np.int64)
                lo, hi = np.minimum(p[:, 0], p[:, 1]), np.maximum(p[:, 0], p[:, 1])
                keep = (lo != hi) & ((group[lo] < 0) | (group[lo] != group[hi]))
                out[(a, b)] = np.unique(lo[keep] * n + hi[keep])
        return out

    def lower(a: int, b: int, miss: np.ndarray, t: np.ndarray, codes: np.ndarray) -> None:
        if miss.size:
            q = int(np.nanargmin(miss))
            if miss[q] < sep[a, b]:
                sep[a, b], when[a, b] = miss[q], t[q]
                who[a, b] = (codes[q] // n, codes[q] % n)

    r0, v0 = pop.states(0.0)
    ok0 = np.isfinite(r0).all(axis=1) & np.isfinite(v0).all(axis=1)
    sep[:] = horizon_m
    for (a, b), codes in pairs(r0, ok0, True).items():
        lower(a, b, np.linalg.norm(r0[codes % n] - r0[codes // n], axis=1), np.zeros(codes.size), codes)
    c0 = pairs(r0, ok0, False)
    for k in range(n_steps):
        t0, t1 = float(times[k]), float(times[k + 1])
        r1, v1 = pop.states(t1)
        ok1 = np.isfinite(r1).all(axis=1) & np.isfinite(v1).all(axis=1)
        c1 = pairs(r1, ok1, False)
        for key in set(c0) | set(c1):
            codes = np.union1d(c0.get(key, np.empty(0, np.int64)), c1.get(key, np.empty(0, np.int64)))
            i, j = codes // n, codes % n
            d0, d1 = r0[j] - r0[i], r1[j] - r1[i]
            s, miss, _ = hermite_closest_approach(d0, v0[j] - v0[i], d1, v1[j] - v1[i], t1 - t0)
            lower(*key, np.linalg.norm(d1, axis=1), np.full(codes.size, t1), codes)
            lower(*key, np.where(np.isfinite(miss), miss, np.inf), t0 + np.nan_to_num(s) * (t1 - t0), codes)
        r0, v0, c0 = r1, v1, c1
    sep[who[..., 0] < 0] = np.inf
    done = ~todo
    sep[done], when[done], who[done] = sep_known[done], when_known[done], who_known[done]
    return _symmetric(sep, when, who)


def _symmetric(
    sep: np.ndarray, when: np.ndarray, who: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    iu = np.triu_indices(sep.shape[0], 1)
    sep[iu[1], iu[0]] = sep[iu]
    when[iu[1], iu[0]] = when[iu]
    who[iu[1], iu[0]] = who[iu]
    return sep, when, who[..., 0], who[..., 1]


def _known_minima(
    pop: Population, horizon_m: float, known: Conjunctions | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shell pairs (upper triangle) still to search for :func:`min_separation`, and the minima known without a
    search: from the conjunctions of a screening, or above the horizon by the shells' radius ranges."""
    n_sh = len(pop.sources)
    sep = np.full((n_sh, n_sh), np.inf)
    when = np.full((n_sh, n_sh), np.nan)
    who = np.full((n_sh, n_sh, 2), -1, dtype=np.int64)
    todo = np.triu(np.ones((n_sh, n_sh), dtype=bool))
    if known is None:
        return todo, sep, when, who
    if max(pop.thresholds_m, default=0.0) > horizon_m:
        raise ScreeningError(f"known conjunctions must come from thresholds at most the horizon, {horizon_m:.0f} m")
    bounds = [s.radius_bounds_m() for s in pop.sources]
    lo = np.array([float(b[0].min(initial=np.inf)) for b in bounds])
    hi = np.array([float(b[1].max(initial=-np.inf)) for b in bounds])
    apart = (lo[None, :] - hi[:, None] > horizon_m) | (lo[:, None] - hi[None, :] > horizon_m)
    todo &= ~apart
    n = len(pop)
    rows = np.nonzero((known.i < n) & (known.j < n))[0]
    a, b = pop.shell_of[known.i[rows]], pop.shell_of[known.j[rows]]
    key = np.minimum(a, b).astype(np.int64) * n_sh + np.maximum(a, b)
    by_miss = np.argsort(known.miss_m[rows], kind="stable")
    keys, first = np.unique(key[by_miss], return_index=True)  # the smallest miss of each shell pair
    best = rows[by_miss[first]]
    x, y = keys // n_sh, keys % n_sh
    sep[x, y], when[x, y] = known.miss_m[best], known.tca_s[best]
    who[x, y, 0], who[x, y, 1] = known.i[best], known.j[best]
    todo[x, y] = False
    return todo, sep, when, who


# ---------------------------------------------------------------------------------------------------- brute force


def brute_force_conjunctions(pop: Population, duration_s: float, step_s: float) -> Conjunctions:
    """Reference screen for validation: every pair at every step, no index, no interpolation.

    Every step where a pair's range rate ``d . w`` changes sign from ``<= 0`` to ``> 0`` holds one local minimum of
    the range. It can be below the threshold only if ``(|d0| + |d1|) / 2 - w_max h / 2 <= D`` with ``w_max`` the
    pair's largest relative speed at the two ends plus ``2 g h`` (``g`` = mu / r^2 at the lowest object: the relative
    acceleration is at most twice the gravity); those steps are refined with the propagator itself by a golden-section
    search on the true range (to 1 ms). Memory and time grow as ``n^2``: a few thousand objects at most.
    """
    n = len(pop)
    n_steps = max(1, math.ceil(duration_s / step_s - 1e-9))
    times = np.minimum(np.arange(n_steps + 1) * step_s, duration_s)
    thr = np.array(pop.thresholds_m)[pop.shell_of]
    group = pop.group
    cat = np.array(pop.catalogue, dtype=bool)[pop.shell_of]
    # all pairs as n x n matrices (Gram form: |d|^2 = |ri|^2 + |rj|^2 - 2 ri.rj, ~1e-2 m^2 rounding at LEO radii)
    keep = np.triu(np.ones((n, n), dtype=bool), 1)
    keep &= (group[:, None] < 0) | (group[:, None] != group[None, :])
    keep &= ~(cat[:, None] & cat[None, :])
    pthr_m = np.maximum(thr[:, None], thr[None, :])

    def geom(t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        r, v = pop.states(t)
        rr, vv, rv = r @ r.T, v @ v.T, r @ v.T
        dr, dv, drv = np.diag(rr), np.diag(vv), np.diag(rv)
        dist = np.sqrt(np.maximum(dr[:, None] + dr[None, :] - 2.0 * rr, 0.0))
        g = drv[:, None] + drv[None, :] - rv - rv.T
        w = np.sqrt(np.maximum(dv[:, None] + dv[None, :] - 2.0 * vv, 0.0))
        return dist, g, w, EARTH_MU_M3_S2 / float(np.min(dr))

    def true_range(p: tuple[np.ndarray, np.ndarray], t: np.ndarray) -> np.ndarray:
        ra, _ = pop.states(t, p[0])
        rb, _ = pop.states(t, p[1])
        return np.linalg.norm(rb - ra, axis=1)

    out_i: list[np.ndarray] = []
    out_j: list[np.ndarray] = []
    out_t: list[np.ndarray] = []
    dist0, g0, w0, grav0 = geom(float(times[0]))
    fi, fj = np.nonzero(keep & (g0 > 0.0) & (dist0 <= pthr_m))
    out_i.append(fi)
    out_j.append(fj)
    out_t.append(np.zeros(fi.size))
    golden = (math.sqrt(5.0) - 1.0) / 2.0
    for k in range(n_steps):
        t0, t1 = float(times[k]), float(times[k + 1])
        h = t1 - t0
        dist1, g1, w1, grav1 = geom(t1)
        wmax = np.maximum(w0, w1) + 2.0 * max(grav0, grav1) * h
        cand_i, cand_j = np.nonzero(
            keep & (g0 <= 0.0) & (g1 > 0.0) & (0.5 * (dist0 + dist1) - 0.5 * wmax * h <= pthr_m)
        )
        cand = (cand_i, cand_j)
        if cand[0].size:
            lo = np.full(cand[0].size, t0)
            hi = np.full(cand[0].size, t1)
            x1 = hi - golden * (hi - lo)
            x2 = lo + golden * (hi - lo)
            f1, f2 = true_range(cand, x1), true_range(cand, x2)
            while np.max(hi - lo) > 1e-3:
                left = f1 < f2
                hi = np.where(left, x2, hi)
                lo = np.where(left, lo, x1)
                new_x = np.where(left, hi - golden * (hi - lo), lo + golden * (hi - lo))
                fn = true_range(cand, new_x)
                x1, x2 = np.where(left, new_x, x2), np.where(left, x1, new_x)
                f1, f2 = np.where(left, fn, f2), np.where(left, f1, fn)
            out_i.append(cand[0])
            out_j.append(cand[1])
            out_t.append(0.5 * (lo + hi))
        if k == n_steps - 1:
            li, lj = np.nonzero(keep & (g1 <= 0.0) & (dist1 <= pthr_m))
            out_i.append(li)
            out_j.append(lj)
            out_t.append(np.full(li.size, t1))
        dist0, g0, w0, grav0 = dist1, g1, w1, grav1
    ci, cj = np.concatenate(out_i), np.concatenate(out_j)
    t = np.concatenate(out_t)
    ra, va = pop.states(t, ci)
    rb, vb = pop.states(t, cj)
    miss = np.linalg.norm(rb - ra, axis=1)
    hit = miss <= pthr_m[ci, cj]
    order = np.argsort(t[hit], kind="stable")
    sel = np.nonzero(hit)[0][order]
    return Conjunctions(
        i=ci[sel].astype(np.int64),
        j=cj[sel].astype(np.int64),
        tca_s=t[sel],
        miss_m=miss[sel],
        rel_speed_m_s=np.linalg.norm(vb - va, axis=1)[sel],
        duration_s=float(duration_s),
        step_s=float(step_s),
        search_radius_m=float("nan"),
        speed_bound_m_s=float("nan"),
        n_candidates=int(np.count_nonzero(keep)) * n_steps,
        catalogue_pairs=0,
    )


# ------------------------------------------------------------------------------------------------------ manoeuvres


def manoeuvres_per_day(
    fleet_satellites: int,
    fleet_encounters_per_day: float | None = None,
    reference_encounters_per_satellite_day: float | None = None,
) -> dict[str, float]:
    """Collision-avoidance manoeuvres per day for a fleet, scaled from Starlink's published rate.

    Baseline: Starlink's per-satellite rate (:data:`STARLINK_MANOEUVRES_PER_DAY` / :data:`STARLINK_SATELLITES`,
    0.086 per satellite per day) times the fleet size: the fleet in Starlink's environment. Encounter-scaled: the
    per-satellite rate grows with the rate at which a satellite meets other objects (kinetic-gas picture: density x
    cross-section x relative speed), so the baseline is multiplied by ``e_fleet / e_ref``, where ``e_fleet`` is the
    fleet's conjunctions (each counted once per fleet satellite involved) per fleet satellite per day and ``e_ref``
    the same rate among the reference (catalogue) satellites, both from one screening at one threshold. Both rates
    from a sampled catalogue are lower than the real ones by the sampling fraction for catalogue encounters, so give
    the full catalogue for the estimate.
    """
    per_sat = STARLINK_MANOEUVRES_PER_DAY / STARLINK_SATELLITES
    out = {"starlink_per_satellite_day": per_sat, "baseline_per_day": per_sat * fleet_satellites}
    if fleet_encounters_per_day is not None and reference_encounters_per_satellite_day:
        e_fleet = fleet_encounters_per_day / max(fleet_satellites, 1)
        out["fleet_encounters_per_satellite_day"] = e_fleet
        out["reference_encounters_per_satellite_day"] = reference_encounters_per_satellite_day
        out["encounter_scaled_per_day"] = per_sat * fleet_satellites * e_fleet / reference_encounters_per_satellite_day
    return out


def pairs_matching(
    a: Conjunctions, b: Conjunctions, tca_tol_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """Match events of ``a`` and ``b`` by pair and TCA within ``tca_tol_s``: indices into ``a`` and ``b`` of the
    matches, then the unmatched indices of each."""
    from collections import defaultdict

    by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
    for q, (i, j) in enumerate(zip(b.i, b.j, strict=True)):
        by_pair[(int(i), int(j))].append(q)
    used: set[int] = set()
    ma, mb, only_a = [], [], []
    for p, (i, j, t) in enumerate(zip(a.i, a.j, a.tca_s, strict=True)):
        best = None
        for q in by_pair.get((int(i), int(j)), []):
            if q not in used and abs(b.tca_s[q] - t) <= tca_tol_s and (best is None or abs(b.tca_s[q] - t) < best[0]):
                best = (abs(b.tca_s[q] - t), q)
        if best is None:
            only_a.append(p)
        else:
            used.add(best[1])
            ma.append(p)
            mb.append(best[1])
    only_b = [q for q in range(len(b)) if q not in used]
    return np.array(ma, dtype=np.int64), np.array(mb, dtype=np.int64), only_a, only_b


def shell_pairs(names: Sequence[str], shell_of: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[list[str], ...]:
    """Shell names of each conjunction's two objects."""
    return [names[s] for s in shell_of[i]], [names[s] for s in shell_of[j]]
