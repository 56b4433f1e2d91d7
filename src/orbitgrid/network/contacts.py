"""Contact windows: when each satellite is above each station's elevation mask, and how much a pass can carry.

Method
------
Satellite states (ECEF position and velocity relative to the rotating Earth) are sampled on a uniform coarse grid
``t_k = t_0 + k h`` by an existing propagator (SGP4 for element sets, the J2 secular model for designed shells,
both rotated by :func:`orbitgrid.astro.frames.teme_to_ecef_rv`); between grid points the trajectory is the cubic
Hermite interpolant of position and velocity, error ``<= h^4 max|r''''| / 384`` (~ ``r (w h)^4 / 384`` with
``w = n + omega_E``: ~3-5 m at the default step, 0.3 m at 60 s in LEO; rise and set on closed-form passes at
550 km agree to 3.6 ms, see tests/network/test_contacts.py).

For a station at ``s`` with up vector ``u`` (WGS84 normal) and mask ``el_m``, with ``d = r - s``:

    f(t) = d.u - sin(el_m) |d|       (>= 0 exactly when the elevation is >= el_m; smooth, in metres)
    g(t) = d.u / |d| = sin(elevation)

1. Scan (no pass is missed). ``|df/dt| <= |v| (1 + |sin el_m|)``, so if ``f >= 0`` anywhere, the nearest grid
   point (within ``h/2``) has ``f >= -M``, ``M = v_max (1 + |sin el_m|) h / 2``. Every maximal run of grid points
   with ``f >= -M`` is a candidate; a satellite visible for any instant, however short the pass, is inside one.
   ``v_max`` is 1.02 x the largest sampled ECEF speed of the satellite (between samples at the default step the
   speed of a near-circular orbit exceeds the sampled maximum by < 0.1 %).
2. Culmination. Within a run (shorter than half an orbit) ``g`` is unimodal: for a spherical Earth and a circular
   orbit it decreases monotonically with the Earth-central angle between sub-satellite point and station, which
   has one minimum per pass. The continuous maximum lies within one step of the largest sample ``g_k``; it is the
   root of ``dg/dt`` (sign of ``(v.u)|d|^2 - (d.u)(d.v)``) found by regula falsi (Illinois) to 1 ms. If the maximum
   is below the mask the run is a near miss and is dropped.
3. Rise and set: roots of ``f`` between the grid point before the run (``f < -M < 0``) and the culmination
   (``f >= 0``), and between the culmination and the grid point after the run, by Newton's method with the
   analytic slope ``df/dt = v.u - sin(el_m) (d.v)/|d|``, safeguarded by the bracket (bisection when a step
   would leave it), to < 1 ms.
   A pass already in progress at the start (or still going at the end) of the span gets the span's first (last)
   instant and a ``rise_truncated`` (``set_truncated``) flag; the same where a propagation error (NaN state, e.g.
   a decayed SGP4 satellite) cuts it.
4. Capacity per pass: the ground-link capacity ``C(range, elevation)`` (e.g.
   :meth:`orbitgrid.network.budget.RfGroundLink.capacity_bps`) sampled at evenly spaced instants from rise to set,
   no more than ``fine_step_s`` apart, integrated with the trapezoidal rule, divided by 8: bytes per pass.
   ``C`` is evaluated once per chunk on a uniform grid of sin(elevation) (step 1e-3) x log range (step 0.5 %)
   covering every possible pass and looked up bilinearly in the kernel (measured against direct evaluation:
   relative error < 1.1e-6 for a smooth RF budget, up to 7e-4 in the cells next to a spectral-efficiency cap's
   kink), so a user's numpy budget is called ~10^5-10^6 times per chunk, not once per sample. With the default
   ``fine_step_s`` of 10 s the bytes of a pass are within 0.4 % of a 0.5 s integration (1e-4 on the day's total).

Step rule: ``h = (2 pi / (n_max + omega_E)) / 48``, 1/48 of the shortest synodic period of the fleet (sampled
radius at the start), capped at 300 s: 112 s at 550 km. The step sets interpolation accuracy and run length, not
whether a pass can be missed (the margin does that).

Work: one pass over ``n_sat x n_station x n_t`` samples with a cheap rejection (``d.u < -M`` needs no square root)
that also skips ahead: ``f`` rises by at most ``2 M`` per step, so after a sample with ``f < -M`` the next
``floor((-M - f) / 2M)`` samples cannot be flagged and are not evaluated (a satellite on the far side of the Earth
skips ~10 steps). Then ~10-30 Hermite evaluations per candidate, in numba with a chunk's satellites over threads.

Time scales: positions are in the Earth-fixed frame of ``orbitgrid.astro.frames`` (IAU-82 GMST, UT1 = UTC unless
``ut1_minus_utc_s`` is given, polar motion ignored: < 15 m at LEO radius). |UT1-UTC| < 0.9 s moves a station by
< 420 m against the orbit; the event times move by at most about that over the ground speed (~0.06 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orbitgrid._jit import kernel, prange
from orbitgrid.astro.constants import EARTH_ROTATION_RAD_S
from orbitgrid.astro.constellations import CircularOrbits
from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.frames import gmst_rad, teme_to_ecef_rv
from orbitgrid.astro.j2 import mean_motion_rad_s, secular_rates
from orbitgrid.astro.sgp4_adapter import propagate_teme
from orbitgrid.network.geometry import elevation_rad
from orbitgrid.network.stations import Stations

__all__ = [
    "ContactWindows",
    "StateFn",
    "circular_states",
    "coarse_step_s",
    "contact_windows",
    "contact_windows_on_grid",
    "sgp4_states",
    "visible",
]

#: ``states(sat_indices, t_s) -> (r_ecef_m, v_ecef_m_s)``, each ``(len(sat_indices), len(t_s), 3)``.
StateFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

STEPS_PER_SYNODIC_PERIOD = 48
MAX_STEP_S = 300.0
SPEED_BOUND_FACTOR = 1.02
ROOT_TOL_S = 1e-3
_MAX_ITER = 100

# Record columns of the kernel output.
_STATION, _RISE, _CUL, _SET, _GMAX, _FLAGS = range(6)
_N_FIELDS = 6
_RISE_TRUNC, _SET_TRUNC = 1, 2

_jit = kernel(cache=True, error_model="numpy")
_jit_parallel = kernel(cache=True, error_model="numpy", parallel=True)


@dataclass(frozen=True)
class ContactWindows:
    """Passes as columns, sorted by satellite, station and rise; times in seconds since the scenario epoch.

    ``volume_bytes`` is the integral of the ground-link capacity over the pass / 8 (NaN when no capacity function
    was given). ``rise_truncated`` / ``set_truncated`` mark passes cut by the span's ends (or a propagation error).
    """

    sat_index: np.ndarray
    station_index: np.ndarray
    rise_s: np.ndarray
    culmination_s: np.ndarray
    set_s: np.ndarray
    max_elevation_deg: np.ndarray
    volume_bytes: np.ndarray
    rise_truncated: np.ndarray
    set_truncated: np.ndarray

    def __len__(self) -> int:
        return int(self.sat_index.shape[0])

    @property
    def duration_s(self) -> np.ndarray:
        return np.asarray(self.set_s - self.rise_s)

    def columns(self) -> dict[str, np.ndarray]:
        """The table as a name -> column mapping (for Parquet or a DataFrame)."""
        return {
            "sat_index": self.sat_index,
            "station_index": self.station_index,
            "rise_s": self.rise_s,
            "culmination_s": self.culmination_s,
            "set_s": self.set_s,
            "max_elevation_deg": self.max_elevation_deg,
            "volume_bytes": self.volume_bytes,
            "rise_truncated": self.rise_truncated,
            "set_truncated": self.set_truncated,
        }

    @staticmethod
    def concatenate(parts: list[ContactWindows]) -> ContactWindows:
        if not parts:
            return _empty()
        return ContactWindows(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = (
    "sat_index",
    "station_index",
    "rise_s",
    "culmination_s",
    "set_s",
    "max_elevation_deg",
    "volume_bytes",
    "rise_truncated",
    "set_truncated",
)


def _empty() -> ContactWindows:
    f = np.empty(0, dtype=np.float64)
    b = np.empty(0, dtype=bool)
    return ContactWindows(np.empty(0, np.int64), np.empty(0, np.int32), f, f, f, f, f, b, b)


# ------------------------------------------------------------------------------------------------ state providers


def sgp4_states(elements: ElementSet, epoch_jd: tuple[float, float], ut1_minus_utc_s: float = 0.0) -> StateFn:
    """ECEF states from SGP4 (``orbitgrid.astro.sgp4_adapter``), ``t_s`` in seconds after the UTC ``epoch_jd``."""
    jd0, fr0 = epoch_jd

    def states(idx: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fr = fr0 + np.asarray(t_s, dtype=np.float64) / 86_400.0
        whole = np.floor(fr)
        jd, fr = jd0 + whole, fr - whole
        r, v, _err = propagate_teme(elements.subset(np.asarray(idx)), jd, fr)
        return teme_to_ecef_rv(r, v, jd, fr, ut1_minus_utc_s)

    return states


def circular_states(orbits: CircularOrbits, epoch_jd: tuple[float, float], ut1_minus_utc_s: float = 0.0) -> StateFn:
    """ECEF states of designed circular orbits from the J2 secular model (``orbitgrid.astro.j2``).

    The equations of :func:`orbitgrid.astro.j2.positions_teme_m` followed by
    :func:`orbitgrid.astro.frames.teme_to_ecef_rv`, evaluated in one numba loop without temporaries (the numpy
    pair is the reference it is tested against, to 1e-6 m).
    """
    jd0, fr0 = epoch_jd

    def states(idx: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sub = orbits.subset(np.asarray(idx))
        t = np.ascontiguousarray(t_s, dtype=np.float64)
        raan_dot, argp_dot, m_dot = secular_rates(sub.semi_major_axis_m, sub.inclination_rad)
        fr = fr0 + t / 86_400.0
        whole = np.floor(fr)
        theta = gmst_rad(jd0 + whole, fr - whole + ut1_minus_utc_s / 86_400.0)
        n = len(sub)
        r = np.empty((n, t.shape[0], 3))
        v = np.empty((n, t.shape[0], 3))
        _circular_ecef(
            np.ascontiguousarray(sub.semi_major_axis_m, dtype=np.float64),
            np.ascontiguousarray(sub.inclination_rad, dtype=np.float64),
            np.ascontiguousarray(sub.raan_rad, dtype=np.float64),
            np.ascontiguousarray(sub.arg_latitude_rad, dtype=np.float64),
            np.ascontiguousarray(raan_dot, dtype=np.float64),
            np.ascontiguousarray(argp_dot + m_dot, dtype=np.float64),
            t,
            np.ascontiguousarray(theta),
            r,
            v,
        )
        return r, v

    return states


@_jit_parallel
def _circular_ecef(a, inc, raan0, u0, raan_dot, u_dot, t, theta, r, v):
    """Earth-fixed position and velocity of circular J2-secular orbits (see :func:`circular_states`)."""
    w = EARTH_ROTATION_RAD_S
    for i in prange(a.shape[0]):
        ci = math.cos(inc[i])
        si = math.sin(inc[i])
        for k in range(t.shape[0]):
            u = u0[i] + u_dot[i] * t[k]
            om = raan0[i] + raan_dot[i] * t[k]
            cu = math.cos(u)
            su = math.sin(u)
            co = math.cos(om)
            so = math.sin(om)
            x = a[i] * (cu * co - su * ci * so)
            y = a[i] * (cu * so + su * ci * co)
            z = a[i] * su * si
            vx = a[i] * (u_dot[i] * (-su * co - cu * ci * so) + raan_dot[i] * (-cu * so - su * ci * co))
            vy = a[i] * (u_dot[i] * (-su * so + cu * ci * co) + raan_dot[i] * (cu * co - su * ci * so))
            vz = a[i] * u_dot[i] * cu * si
            c = math.cos(theta[k])
            s = math.sin(theta[k])
            xe = c * x + s * y
            ye = c * y - s * x
            r[i, k, 0] = xe
            r[i, k, 1] = ye
            r[i, k, 2] = z
            v[i, k, 0] = c * vx + s * vy + w * ye
            v[i, k, 1] = c * vy - s * vx - w * xe
            v[i, k, 2] = vz


def coarse_step_s(min_radius_m: float) -> float:
    """Coarse grid step: 1/48 of the synodic period ``2 pi / (n + omega_E)`` at ``min_radius_m``, at most 300 s."""
    n = float(mean_motion_rad_s(min_radius_m))
    return min(MAX_STEP_S, 2.0 * math.pi / (n + EARTH_ROTATION_RAD_S) / STEPS_PER_SYNODIC_PERIOD)


def visible(sat_ecef_m: np.ndarray, stations: Stations) -> np.ndarray:
    """Boolean ``(..., n_station)``: satellite above each station's elevation mask at this instant."""
    el = elevation_rad(sat_ecef_m, stations.ecef_m, stations.up)
    return np.asarray(el >= stations.elevation_mask_rad)


# --------------------------------------------------------------------------------------------------------- kernels


@_jit
def _hermite(r, v, i, t0, h, n_t, t):
    """Position and velocity of satellite ``i`` at time ``t`` on the cubic Hermite interpolant."""
    x = (t - t0) / h
    k = math.floor(x)
    if k < 0:
        k = 0
    if k > n_t - 2:
        k = n_t - 2
    tau = x - k
    t2 = tau * tau
    t3 = t2 * tau
    h00 = 2.0 * t3 - 3.0 * t2 + 1.0
    h10 = (t3 - 2.0 * t2 + tau) * h
    h01 = -2.0 * t3 + 3.0 * t2
    h11 = (t3 - t2) * h
    d00 = (6.0 * t2 - 6.0 * tau) / h
    d10 = 3.0 * t2 - 4.0 * tau + 1.0
    d01 = -d00
    d11 = 3.0 * t2 - 2.0 * tau
    px = h00 * r[i, k, 0] + h10 * v[i, k, 0] + h01 * r[i, k + 1, 0] + h11 * v[i, k + 1, 0]
    py = h00 * r[i, k, 1] + h10 * v[i, k, 1] + h01 * r[i, k + 1, 1] + h11 * v[i, k + 1, 1]
    pz = h00 * r[i, k, 2] + h10 * v[i, k, 2] + h01 * r[i, k + 1, 2] + h11 * v[i, k + 1, 2]
    vx = d00 * r[i, k, 0] + d10 * v[i, k, 0] + d01 * r[i, k + 1, 0] + d11 * v[i, k + 1, 0]
    vy = d00 * r[i, k, 1] + d10 * v[i, k, 1] + d01 * r[i, k + 1, 1] + d11 * v[i, k + 1, 1]
    vz = d00 * r[i, k, 2] + d10 * v[i, k, 2] + d01 * r[i, k + 1, 2] + d11 * v[i, k + 1, 2]
    return px, py, pz, vx, vy, vz


@_jit
def _hermite_position(r, v, i, t0, h, n_t, t):
    """Position only of satellite ``i`` at ``t`` on the cubic Hermite interpolant."""
    x = (t - t0) / h
    k = math.floor(x)
    if k < 0:
        k = 0
    if k > n_t - 2:
        k = n_t - 2
    tau = x - k
    t2 = tau * tau
    t3 = t2 * tau
    h00 = 2.0 * t3 - 3.0 * t2 + 1.0
    h10 = (t3 - 2.0 * t2 + tau) * h
    h01 = 1.0 - h00
    h11 = (t3 - t2) * h
    px = h00 * r[i, k, 0] + h10 * v[i, k, 0] + h01 * r[i, k + 1, 0] + h11 * v[i, k + 1, 0]
    py = h00 * r[i, k, 1] + h10 * v[i, k, 1] + h01 * r[i, k + 1, 1] + h11 * v[i, k + 1, 1]
    pz = h00 * r[i, k, 2] + h10 * v[i, k, 2] + h01 * r[i, k + 1, 2] + h11 * v[i, k + 1, 2]
    return px, py, pz


@_jit
def _fun(kind, r, v, i, t0, h, n_t, t, sx, sy, sz, ux, uy, uz, s):
    """kind 0: f = d.u - s |d|;  kind 1: sign-carrying dg/dt, (v.u)|d|^2 - (d.u)(d.v), scaled by 1/|d|^3."""
    px, py, pz, vx, vy, vz = _hermite(r, v, i, t0, h, n_t, t)
    dx = px - sx
    dy = py - sy
    dz = pz - sz
    du = dx * ux + dy * uy + dz * uz
    dd = dx * dx + dy * dy + dz * dz
    if kind == 0:
        return du - s * math.sqrt(dd)
    vu = vx * ux + vy * uy + vz * uz
    dv = dx * vx + dy * vy + dz * vz
    return (vu * dd - du * dv) / (dd * math.sqrt(dd))


@_jit
def _f_and_slope(r, v, i, t0, h, n_t, t, sx, sy, sz, ux, uy, uz, s):
    """``f = d.u - s |d|`` and ``df/dt = v.u - s (d.v) / |d|`` on the Hermite interpolant."""
    px, py, pz, vx, vy, vz = _hermite(r, v, i, t0, h, n_t, t)
    dx = px - sx
    dy = py - sy
    dz = pz - sz
    dn = math.sqrt(dx * dx + dy * dy + dz * dz)
    f = dx * ux + dy * uy + dz * uz - s * dn
    df = vx * ux + vy * uy + vz * uz - s * (dx * vx + dy * vy + dz * vz) / dn
    return f, df


@_jit
def _mask_crossing(r, v, i, t0, h, n_t, ta, tb, fa, fb, sx, sy, sz, ux, uy, uz, s):
    """Root of ``f`` in ``[ta, tb]`` (``fa``, ``fb`` of opposite sign): Newton kept inside the shrinking bracket.

    Starts from the secant point; a Newton step that would leave the bracket is replaced by bisection. Stops
    when a step is below ``ROOT_TOL_S / 10`` (Newton's error is then far below it) or the bracket is narrower
    than ``ROOT_TOL_S``.
    """
    t = (ta * fb - tb * fa) / (fb - fa)
    if not (ta < t < tb):
        t = 0.5 * (ta + tb)
    for _ in range(_MAX_ITER):
        f, df = _f_and_slope(r, v, i, t0, h, n_t, t, sx, sy, sz, ux, uy, uz, s)
        if f == 0.0:
            return t
        if (f > 0.0) == (fb > 0.0):
            tb, fb = t, f
        else:
            ta, fa = t, f
        if tb - ta <= ROOT_TOL_S:
            return ta if abs(fa) < abs(fb) else tb
        step = f / df if df != 0.0 else math.inf
        t_new = t - step
        if not (ta < t_new < tb):
            t_new = 0.5 * (ta + tb)
        elif abs(step) < 0.1 * ROOT_TOL_S:
            return t_new
        t = t_new
    return t


@_jit
def _root(kind, r, v, i, t0, h, n_t, ta, tb, fa, fb, sx, sy, sz, ux, uy, uz, s):
    """Illinois regula falsi for a sign change of ``_fun(kind)`` in ``[ta, tb]`` (``fa``, ``fb`` of opposite sign)."""
    side = 0
    for _ in range(_MAX_ITER):
        if tb - ta <= ROOT_TOL_S:
            break
        tc = (ta * fb - tb * fa) / (fb - fa)
        if not (ta < tc < tb):
            tc = 0.5 * (ta + tb)
        fc = _fun(kind, r, v, i, t0, h, n_t, tc, sx, sy, sz, ux, uy, uz, s)
        if fc == 0.0:
            return tc
        if (fc > 0.0) == (fb > 0.0):
            tb, fb = tc, fc
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            ta, fa = tc, fc
            if side == -1:
                fb *= 0.5
            side = -1
    if abs(fa) < abs(fb):
        return ta
    return tb


@_jit
def _refine_run(r, v, i, t0, h, n_t, ks, ke, kstar, sx, sy, sz, ux, uy, uz, s, out, slot):
    """Culmination, rise and set of one candidate run; returns False for a near miss (maximum below the mask)."""
    t_first = t0
    t_last = t0 + (n_t - 1) * h
    # Culmination: root of dg/dt within one step of the best sample.
    ka = max(kstar - 1, 0)
    kb = min(kstar + 1, n_t - 1)
    ta = t0 + ka * h
    tb = t0 + kb * h
    ga = _fun(1, r, v, i, t0, h, n_t, ta, sx, sy, sz, ux, uy, uz, s)
    gb = _fun(1, r, v, i, t0, h, n_t, tb, sx, sy, sz, ux, uy, uz, s)
    if not (math.isfinite(ga) and math.isfinite(gb)):
        tc = t0 + kstar * h
    elif ga <= 0.0 and gb <= 0.0:
        tc = ta if kstar == 0 else t0 + kstar * h
    elif ga >= 0.0 and gb >= 0.0:
        tc = tb if kstar == n_t - 1 else t0 + kstar * h
    else:
        tc = _root(1, r, v, i, t0, h, n_t, ta, tb, ga, gb, sx, sy, sz, ux, uy, uz, s)
    fc = _fun(0, r, v, i, t0, h, n_t, tc, sx, sy, sz, ux, uy, uz, s)
    if not fc >= 0.0:
        return False
    px, py, pz, _vx, _vy, _vz = _hermite(r, v, i, t0, h, n_t, tc)
    dx = px - sx
    dy = py - sy
    dz = pz - sz
    gmax = (dx * ux + dy * uy + dz * uz) / math.sqrt(dx * dx + dy * dy + dz * dz)
    flags = 0
    # Rise.
    if ks == 0:
        f0 = _fun(0, r, v, i, t0, h, n_t, t_first, sx, sy, sz, ux, uy, uz, s)
        if f0 >= 0.0 or tc <= t_first:
            rise = t_first
            flags |= _RISE_TRUNC
        else:
            rise = _mask_crossing(r, v, i, t0, h, n_t, t_first, tc, f0, fc, sx, sy, sz, ux, uy, uz, s)
    else:
        ta = t0 + (ks - 1) * h
        fa = _fun(0, r, v, i, t0, h, n_t, ta, sx, sy, sz, ux, uy, uz, s)
        if not math.isfinite(fa):
            rise = t0 + ks * h
            flags |= _RISE_TRUNC
        else:
            rise = _mask_crossing(r, v, i, t0, h, n_t, ta, tc, fa, fc, sx, sy, sz, ux, uy, uz, s)
    # Set.
    if ke == n_t - 1:
        f1 = _fun(0, r, v, i, t0, h, n_t, t_last, sx, sy, sz, ux, uy, uz, s)
        if f1 >= 0.0 or tc >= t_last:
            st = t_last
            flags |= _SET_TRUNC
        else:
            st = _mask_crossing(r, v, i, t0, h, n_t, tc, t_last, fc, f1, sx, sy, sz, ux, uy, uz, s)
    else:
        tb = t0 + (ke + 1) * h
        fb = _fun(0, r, v, i, t0, h, n_t, tb, sx, sy, sz, ux, uy, uz, s)
        if not math.isfinite(fb):
            st = t0 + ke * h
            flags |= _SET_TRUNC
        else:
            st = _mask_crossing(r, v, i, t0, h, n_t, tc, tb, fc, fb, sx, sy, sz, ux, uy, uz, s)
    out[slot, _RISE] = rise
    out[slot, _CUL] = tc
    out[slot, _SET] = st
    out[slot, _GMAX] = gmax
    out[slot, _FLAGS] = flags
    return True


@_jit_parallel
def _scan(r, v, t0, h, st, up, smask, margin, out, counts):
    """Find every pass of every satellite over every station (module docstring, steps 1-3).

    ``out`` is ``(n_sat, cap, 6)``; ``counts[i]`` is the number of passes of satellite ``i`` (it may exceed ``cap``,
    in which case the caller repeats the chunk with room for them all).
    """
    n_sat, n_t = r.shape[0], r.shape[1]
    n_st = st.shape[0]
    cap = out.shape[1]
    for i in prange(n_sat):
        m_i = margin[i]
        count = 0
        for j in range(n_st):
            sx, sy, sz = st[j, 0], st[j, 1], st[j, 2]
            ux, uy, uz = up[j, 0], up[j, 1], up[j, 2]
            s = smask[j]
            ks = -1
            kstar = -1
            gbest = -2.0
            k = 0
            while k <= n_t:  # k == n_t closes a run still open at the end
                flagged = False
                skip = 0
                if k < n_t:
                    dx = r[i, k, 0] - sx
                    dy = r[i, k, 1] - sy
                    dz = r[i, k, 2] - sz
                    du = dx * ux + dy * uy + dz * uz
                    if s >= 0.0 and du + m_i < 0.0:
                        f = du  # f <= d.u when the mask is not negative: no square root needed
                    else:
                        dn = math.sqrt(dx * dx + dy * dy + dz * dz)
                        f = du - s * dn
                        if f >= -m_i:
                            flagged = True
                            g = du / dn
                            if ks < 0:
                                ks = k
                                gbest = g
                                kstar = k
                            elif g > gbest:
                                gbest = g
                                kstar = k
                    if not flagged and m_i > 0.0 and f > -1e300:
                        # f rises by at most 2 M per step (|df/dt| <= L, M = L h / 2): the next points stay below -M.
                        skip = int((-m_i - f) / (2.0 * m_i))
                if not flagged and ks >= 0:
                    slot = count if count < cap else cap - 1
                    ok = _refine_run(r, v, i, t0, h, n_t, ks, k - 1, kstar, sx, sy, sz, ux, uy, uz, s, out[i], slot)
                    if ok:
                        if count < cap:
                            out[i, slot, _STATION] = j
                        count += 1
                    ks = -1
                k += 1 + skip
        counts[i] = count


@_jit
def _table_value(g, rng, g0, dg, r0, dr, table):
    """Bilinear look-up of ``table[sin elevation, log range]`` on uniform axes, clamped at the edges."""
    n_g, n_r = table.shape
    x = min(max((g - g0) / dg, 0.0), n_g - 1.000001)
    y = min(max((math.log(rng) - r0) / dr, 0.0), n_r - 1.000001)
    a = int(x)
    b = int(y)
    fx = x - a
    fy = y - b
    return (1.0 - fx) * ((1.0 - fy) * table[a, b] + fy * table[a, b + 1]) + fx * (
        (1.0 - fy) * table[a + 1, b] + fy * table[a + 1, b + 1]
    )


@_jit_parallel
def _pass_volume(r, v, t0, h, sat, station, rise, set_, fine_step, st, up, g0, dg, r0, dr, table, out):
    """Trapezoidal integral over each pass of the tabulated capacity, sampled <= ``fine_step`` apart (bits)."""
    n_t = r.shape[1]
    for q in prange(sat.shape[0]):
        i = sat[q]
        j = station[q]
        dur = set_[q] - rise[q]
        if not dur > 0.0:
            out[q] = 0.0
            continue
        n = max(2, math.ceil(dur / fine_step) + 1)
        dt = dur / (n - 1)
        acc = 0.0
        for m in range(n):
            px, py, pz = _hermite_position(r, v, i, t0, h, n_t, rise[q] + m * dt)
            dx = px - st[j, 0]
            dy = py - st[j, 1]
            dz = pz - st[j, 2]
            dn = math.sqrt(dx * dx + dy * dy + dz * dz)
            g = (dx * up[j, 0] + dy * up[j, 1] + dz * up[j, 2]) / dn
            c = _table_value(g, dn, g0, dg, r0, dr, table)
            acc += 0.5 * c if (m == 0 or m == n - 1) else c
        out[q] = acc * dt


# ---------------------------------------------------------------------------------------------------------- drivers


def _speed_margin_m(v_ecef_m_s: np.ndarray, h: float, stations: Stations) -> np.ndarray:
    speed = np.sqrt(np.einsum("itj,itj->it", v_ecef_m_s, v_ecef_m_s))
    with np.errstate(invalid="ignore"):
        vmax = np.nanmax(np.where(np.isfinite(speed), speed, -np.inf), axis=1)
    vmax = np.where(np.isfinite(vmax), vmax, 0.0)
    s_max = float(np.max(np.abs(np.sin(stations.elevation_mask_rad)))) if len(stations) else 0.0
    return np.asarray(SPEED_BOUND_FACTOR * vmax * (1.0 + s_max) * 0.5 * h)


def _capacity_table(
    capacity_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    r: np.ndarray,
    stations: Stations,
) -> tuple[float, float, float, float, np.ndarray]:
    """``capacity_fn`` on a uniform grid of sin(elevation) x log(range) covering every pass of these satellites.

    sin(elevation) from the lowest mask to 1 in steps of <= 1e-3 (0.06 deg at the horizon); range log-spaced in
    steps of <= 0.5 %, from the closest possible approach (satellite radius minus station radius, at least 1 km)
    to the horizon distance of the highest satellite from the lowest station.
    """
    radius = np.sqrt(np.einsum("itj,itj->it", r, r))
    radius = radius[np.isfinite(radius)]
    st_radius = np.linalg.norm(stations.ecef_m, axis=-1)
    lo = max(1e3, float(radius.min() - st_radius.max()))
    hi = max(math.sqrt(max(float(radius.max()) ** 2 - float(st_radius.min()) ** 2, 0.0)) * 1.01, 1.01 * lo)
    g_lo = float(np.sin(stations.elevation_mask_rad.min()))
    n_g = max(2, math.ceil((1.0 - g_lo) / 1e-3) + 1)
    n_r = max(2, math.ceil(math.log(hi / lo) / 5e-3) + 1)
    g_axis = np.linspace(g_lo, 1.0, n_g)
    lr_axis = np.linspace(math.log(lo), math.log(hi), n_r)
    table = np.asarray(capacity_fn(np.exp(lr_axis)[None, :], np.arcsin(g_axis)[:, None]), dtype=np.float64)
    table = np.ascontiguousarray(np.broadcast_to(table, (n_g, n_r)))
    return g_lo, float(g_axis[1] - g_axis[0]), float(lr_axis[0]), float(lr_axis[1] - lr_axis[0]), table


def _integrate_capacity(
    r: np.ndarray,
    v: np.ndarray,
    t0: float,
    h: float,
    sat_local: np.ndarray,
    station: np.ndarray,
    rise: np.ndarray,
    set_: np.ndarray,
    stations: Stations,
    capacity_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fine_step_s: float,
) -> np.ndarray:
    """Bytes per pass: the trapezoidal integral of the tabulated ``capacity_fn(range, elevation)``, over 8."""
    g0, d_g, r0, d_r, table = _capacity_table(capacity_fn, r, stations)
    bits = np.empty(len(rise))
    _pass_volume(
        r,
        v,
        t0,
        h,
        sat_local.astype(np.int64),
        station.astype(np.int64),
        np.ascontiguousarray(rise),
        np.ascontiguousarray(set_),
        float(fine_step_s),
        np.ascontiguousarray(stations.ecef_m),
        np.ascontiguousarray(stations.up),
        g0,
        d_g,
        r0,
        d_r,
        table,
        bits,
    )
    return bits / 8.0


def _initial_capacity(n_station: int, span_s: float, min_radius_m: float) -> int:
    """Room for passes per satellite in the first try: a quarter of the stations once per synodic revolution.

    Only memory depends on it: a satellite with more passes makes its chunk run again with room for all.
    """
    revs = span_s * (float(mean_motion_rad_s(min_radius_m)) + EARTH_ROTATION_RAD_S) / (2.0 * math.pi)
    return max(4, n_station * (int(revs) + 2) // 4)


def contact_windows_on_grid(
    r_ecef_m: np.ndarray,
    v_ecef_m_s: np.ndarray,
    t0_s: float,
    step_s: float,
    stations: Stations,
    capacity_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    fine_step_s: float = 10.0,
    sat_offset: int = 0,
) -> ContactWindows:
    """Passes of satellites whose ECEF states ``(n_sat, n_t, 3)`` are sampled at ``t0_s + k step_s``.

    ``capacity_fn(range_m, elevation_rad) -> bit/s`` (vectorized) gives ``volume_bytes``; ``sat_offset`` is added
    to the satellite indices (for chunked callers). See the module docstring for the method and its guarantees.
    """
    r = np.ascontiguousarray(r_ecef_m, dtype=np.float64)
    v = np.ascontiguousarray(v_ecef_m_s, dtype=np.float64)
    if r.ndim != 3 or r.shape[2] != 3 or v.shape != r.shape:
        raise ValueError(f"states must be (n_sat, n_t, 3) and alike, got {r.shape} and {v.shape}")
    n_sat, n_t = r.shape[0], r.shape[1]
    if n_t < 2 or n_sat == 0 or len(stations) == 0:
        return _empty()
    h = float(step_s)
    margin = _speed_margin_m(v, h, stations)
    smask = np.ascontiguousarray(np.sin(stations.elevation_mask_rad))
    st = np.ascontiguousarray(stations.ecef_m)
    up = np.ascontiguousarray(stations.up)
    radius = np.sqrt(np.einsum("itj,itj->it", r, r))
    finite = radius[np.isfinite(radius)]
    cap = _initial_capacity(len(stations), (n_t - 1) * h, float(finite.min()) if finite.size else 1e300)
    counts = np.zeros(n_sat, dtype=np.int64)
    while True:
        out = np.empty((n_sat, cap, _N_FIELDS), dtype=np.float64)
        _scan(r, v, float(t0_s), h, st, up, smask, margin, out, counts)
        need = int(counts.max())
        if need <= cap:
            break
        cap = need
    sat_local = np.repeat(np.arange(n_sat), counts)
    keep = np.arange(cap)[None, :] < counts[:, None]
    rec = out[keep]
    station = rec[:, _STATION].astype(np.int32)
    order = np.lexsort((rec[:, _RISE], station, sat_local))
    rec, station, sat_local = rec[order], station[order], sat_local[order]
    flags = rec[:, _FLAGS].astype(np.int64)
    if capacity_fn is not None and len(rec):
        volume = _integrate_capacity(
            r, v, float(t0_s), h, sat_local, station, rec[:, _RISE], rec[:, _SET], stations, capacity_fn, fine_step_s
        )
    else:
        volume = np.full(len(rec), np.nan)
    return ContactWindows(
        sat_index=(sat_local + sat_offset).astype(np.int64),
        station_index=station,
        rise_s=rec[:, _RISE].copy(),
        culmination_s=rec[:, _CUL].copy(),
        set_s=rec[:, _SET].copy(),
        max_elevation_deg=np.degrees(np.arcsin(np.clip(rec[:, _GMAX], -1.0, 1.0))),
        volume_bytes=volume,
        rise_truncated=(flags & _RISE_TRUNC) != 0,
        set_truncated=(flags & _SET_TRUNC) != 0,
    )


def contact_windows(
    states: StateFn,
    n_sat: int,
    stations: Stations,
    duration_s: float,
    start_s: float = 0.0,
    step_s: float | None = None,
    capacity_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    fine_step_s: float = 10.0,
    chunk_size: int = 2048,
) -> ContactWindows:
    """Contact windows of ``n_sat`` satellites over ``stations`` from ``start_s`` for ``duration_s`` seconds.

    ``states`` gives ECEF states for satellite indices at times (:func:`sgp4_states`, :func:`circular_states`).
    ``step_s`` defaults to :func:`coarse_step_s` of the smallest orbital radius at the start; the grid is
    stretched so its last point is the span's end. Satellites are processed ``chunk_size`` at a time (memory
    ~90 bytes x chunk x grid points: 140 MB for 2,048 satellites over a day at 112 s).
    """
    if duration_s <= 0.0:
        raise ValueError("duration_s must be positive")
    if step_s is None:
        r0, _v0 = states(np.arange(n_sat), np.array([start_s]))
        radius = np.linalg.norm(r0[:, 0, :], axis=-1)
        radius = radius[np.isfinite(radius)]
        step_s = coarse_step_s(float(radius.min())) if radius.size else MAX_STEP_S
    n_steps = max(1, math.ceil(duration_s / step_s - 1e-9))
    h = duration_s / n_steps
    t = start_s + np.arange(n_steps + 1) * h
    parts = []
    for lo in range(0, n_sat, chunk_size):
        idx = np.arange(lo, min(n_sat, lo + chunk_size))
        r, v = states(idx, t)
        parts.append(contact_windows_on_grid(r, v, start_s, h, stations, capacity_fn, fine_step_s, sat_offset=lo))
    return ContactWindows.concatenate(parts)
