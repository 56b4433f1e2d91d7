"""SGP4/SDP4 propagation of an ``ElementSet`` to TEME position and velocity, in SI units.

The propagator is the ``sgp4`` package's compiled port of Vallado's reference code (Vallado, Crawford, Hujsak
and Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753), WGS72 constants, improved ("i") operation mode,
driven through ``sgp4.api.SatrecArray`` so one call covers many satellites and times.

Frame: TEME (true equator, mean equinox of date), the frame SGP4 is defined in; see ``orbitgrid.astro.frames``
to rotate into an Earth-fixed frame.

Errors are data, never exceptions: every (satellite, time) gets an SGP4 error code (``uint8``; 0 = fine,
otherwise a key of ``sgp4.api.SGP4_ERRORS``: 1 mean eccentricity out of range, 2 mean motion < 0, 3 perturbed
eccentricity out of range, 4 semi-latus rectum < 0, 6 decayed; or ``ERROR_NONFINITE`` where SGP4 returned NaN
without a code, as it does for an eccentricity of exactly 1). Wherever the code is nonzero the position and
velocity are NaN (all three components), so a decayed satellite shows up as NaN rows from its decay time on
and never stops a batch. A satellite whose initialisation failed (``ElementSet.init_error`` nonzero) is NaN at
every time.

Accuracy: this adapter adds only a km -> m scale; it reproduces Vallado's ``tcppver.out`` verification output
to better than 1 mm and 1e-9 km/s (tests/validation/test_sgp4_vallado.py). The SGP4 *model* itself is good to
about 1 km at epoch, growing by 1-3 km/day for LEO (Vallado et al. 2006).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sgp4.api import SGP4_ERRORS, Satrec, SatrecArray

from orbitgrid.astro.elements import ElementSet

__all__ = [
    "ERROR_MEANINGS",
    "ERROR_NONFINITE",
    "ERROR_REENTRY",
    "REENTRY_ALTITUDE_M",
    "codes_at_epoch",
    "codes_before_start",
    "error_onset_s",
    "flight_codes",
    "iter_teme_chunks",
    "propagate_teme",
    "summarize_codes",
]

#: orbitgrid's code for a state SGP4 returns as NaN or infinite without an error code: python-sgp4 2.x does that for
#: an eccentricity of exactly 1 or a negative mean motion from OMM fields (no SGP4 code uses 255).
ERROR_NONFINITE = 255
#: orbitgrid's code for a state below :data:`REENTRY_ALTITUDE_M`: SGP4 still returns it (its own decay test, code 6,
#: waits until the radius is below one earth radius), but the satellite is re-entering, not flying.
ERROR_REENTRY = 254
#: The entry interface, 400,000 ft = 121,920 m, where a returning Space Shuttle "reached the atmosphere" (NASA Human
#: Space Flight, Space Shuttle Basics: Landing, spaceflight.nasa.gov/shuttle/reference/basics/landing.html). Below it
#: a satellite is re-entering: drag ends a circular orbit within a revolution (none completes one below ~150 km).
REENTRY_ALTITUDE_M = 121_920.0

#: What each error code means: SGP4's (Vallado et al. 2006, as python-sgp4 words them in ``sgp4.api.SGP4_ERRORS``),
#: :data:`ERROR_REENTRY` and :data:`ERROR_NONFINITE`.
ERROR_MEANINGS: dict[int, str] = {int(k): str(v) for k, v in SGP4_ERRORS.items()} | {
    ERROR_REENTRY: f"below the {REENTRY_ALTITUDE_M / 1e3:.2f} km entry interface: re-entering",
    ERROR_NONFINITE: "SGP4 returned a non-finite state without an error code (e.g. eccentricity 1 or a negative "
    "mean motion)",
}


def flight_codes(err: np.ndarray, r_m: np.ndarray) -> np.ndarray:
    """``err`` (SGP4 codes, ``(...)``) with :data:`ERROR_REENTRY` where SGP4 gave 0 but the position ``r_m``
    (TEME, m, ``(..., 3)``) is below :data:`REENTRY_ALTITUDE_M` above the WGS84 ellipsoid.

    The height is the radius minus the ellipsoid's radius at the geocentric latitude (TEME and Earth-fixed share the
    z axis): below 200 km it is within 2 m of the geodetic height (the normal and the radius differ by < 0.2 deg).
    """
    from orbitgrid.astro.constants import WGS84_A_M, WGS84_E2

    r2 = np.einsum("...i,...i->...", r_m, r_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        sin2 = np.where(r2 > 0.0, r_m[..., 2] ** 2 / r2, 0.0)
        ellipsoid = WGS84_A_M * np.sqrt((1.0 - WGS84_E2) / (1.0 - WGS84_E2 * (1.0 - sin2)))
        low = np.sqrt(r2) - ellipsoid < REENTRY_ALTITUDE_M
    return np.where((err == 0) & low, np.uint8(ERROR_REENTRY), err).astype(np.uint8)


_M_PER_KM = 1000.0


def _time_arrays(jd: np.ndarray | float, fr: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    jd_a, fr_a = np.broadcast_arrays(
        np.atleast_1d(np.asarray(jd, dtype=np.float64)), np.atleast_1d(np.asarray(fr, dtype=np.float64))
    )
    if jd_a.ndim != 1:
        raise ValueError(f"jd and fr must be scalars or 1-D arrays, got shape {jd_a.shape}")
    return np.ascontiguousarray(jd_a), np.ascontiguousarray(fr_a)


def _propagate(satrecs: list, jd: np.ndarray, fr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_sat, n_t = len(satrecs), jd.shape[0]
    if n_sat == 0 or n_t == 0:
        return np.empty((n_sat, n_t, 3)), np.empty((n_sat, n_t, 3)), np.zeros((n_sat, n_t), dtype=np.uint8)
    err, r, v = SatrecArray(satrecs).sgp4(jd, fr)
    r *= _M_PER_KM
    v *= _M_PER_KM
    nonfinite = ~(np.isfinite(r).all(axis=-1) & np.isfinite(v).all(axis=-1))
    err[nonfinite & (err == 0)] = ERROR_NONFINITE
    bad = err != 0
    if bad.any():
        r[bad] = np.nan
        v[bad] = np.nan
    return r, v, err


def propagate_teme(
    elements: ElementSet, jd: np.ndarray | float, fr: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TEME state of every satellite at every time.

    ``jd``, ``fr``: split UTC Julian dates (whole, fraction), scalars or 1-D arrays of length ``n_t`` (e.g.
    from ``TimeGrid.jd_utc``). Returns ``(r_m, v_m_s, error_code)`` shaped ``(n_sat, n_t, 3)``,
    ``(n_sat, n_t, 3)`` and ``(n_sat, n_t)`` (uint8). Positions in metres, velocities in m/s; NaN where
    ``error_code != 0``.

    Memory is about 49 bytes per (satellite, time); use :func:`iter_teme_chunks` for large constellations.
    """
    jd_a, fr_a = _time_arrays(jd, fr)
    return _propagate(elements.satrecs, jd_a, fr_a)


def iter_teme_chunks(
    elements: ElementSet, jd: np.ndarray | float, fr: np.ndarray | float, chunk_size: int = 4096
) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray]]:
    """Propagate ``chunk_size`` satellites at a time, yielding ``(sat_slice, r_m, v_m_s, error_code)``.

    ``sat_slice`` selects the chunk's rows of ``elements``; the arrays are as from :func:`propagate_teme` for
    those rows only, so a caller holds at most ``chunk_size * n_t`` states (about 49 bytes each) at once.
    """
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    chunk_size = int(chunk_size)
    jd_a, fr_a = _time_arrays(jd, fr)
    n = len(elements)
    for start in range(0, n, chunk_size):
        sl = slice(start, min(n, start + chunk_size))
        r, v, err = _propagate(elements.satrecs[sl], jd_a, fr_a)
        yield sl, r, v, err


def error_onset_s(
    satrec: Satrec,
    to_jd: Callable[[float], tuple[Any, Any]],
    good_s: float,
    bad_s: float,
    tol_s: float = 1e-3,
) -> tuple[float, int]:
    """The instant SGP4 starts failing for ``satrec`` between ``good_s`` (propagates) and ``bad_s`` (fails), by
    bisection to ``tol_s``, and the error code there: ``(t_s, code)`` with ``t_s`` the earliest time found failing.
    Failing is as :func:`flight_codes` has it: an SGP4 code, a non-finite state, or a position below the entry
    interface.

    ``to_jd(t_s)`` gives the split UTC Julian date of ``t_s`` (e.g. ``TimeGrid.jd_utc``). SGP4's errors are not
    guaranteed to be monotonic in time; the bisection keeps the invariant "``lo`` propagates, ``hi`` fails", so the
    result is an instant of onset inside the bracket (the only one when the failure persists, as decay does).
    """
    lo, hi = float(good_s), float(bad_s)
    code = _code_at(satrec, to_jd, hi)
    if code == 0:
        raise ValueError(f"SGP4 propagates at {hi} s: not a failing instant")
    while hi - lo > tol_s:
        mid = 0.5 * (lo + hi)
        e = _code_at(satrec, to_jd, mid)
        if e == 0:
            lo = mid
        else:
            hi, code = mid, e
    return hi, code


def _code_at(satrec: Satrec, to_jd: Callable[[float], tuple[Any, Any]], t_s: float) -> int:
    jd, fr = to_jd(t_s)
    e, r, v = satrec.sgp4(float(jd), float(fr))
    if e == 0 and not all(math.isfinite(x) for x in (*r, *v)):
        return ERROR_NONFINITE
    return int(flight_codes(np.array(e, dtype=np.uint8), np.asarray(r) * _M_PER_KM))


def codes_at_epoch(satrecs: list[Satrec]) -> np.ndarray:
    """The run's code (``_code_at``: SGP4's error, ``ERROR_NONFINITE``, re-entry) of each set at its own epoch: a set
    failing here is lost from the first instant of any run. One call per set, no time grid: ``validate`` uses it."""
    out = np.zeros(len(satrecs), dtype=np.int64)
    for i, sat in enumerate(satrecs):

        def at_epoch(_t_s: float, s: Satrec = sat) -> tuple[float, float]:
            return s.jdsatepoch, s.jdsatepochF

        with np.errstate(all="ignore"):
            out[i] = _code_at(sat, at_epoch, 0.0)
    return out


#: Spacing of the samples :func:`codes_before_start` takes between a set's epoch and the start of a run, s. SGP4's
#: decay failures last for days once they begin (the drag polynomial drives the mean semi-major axis through zero and
#: back), so an hour finds them; Vallado's decaying case 29141 fails from 7 h after its epoch.
PRE_START_STEP_S = 3600.0


def codes_before_start(
    elements: ElementSet, start_jd: tuple[float, float], step_s: float = PRE_START_STEP_S
) -> np.ndarray:
    """The first failure (as :func:`flight_codes`: an SGP4 code, a non-finite state, re-entry) of each set between
    its epoch and ``start_jd`` (a split UTC Julian date, excluded), sampled every ``step_s`` from the epoch; 0 where
    none is found, and for sets whose epoch is not before the start.

    A set that fails there has decayed (or left SGP4's domain) before the run begins: past its first failure SGP4 can
    return error-free states again that are no orbit at all (Vallado's case 29141, five days after its epoch: a
    radius of 6e9 km moving at 8 m/s), so such a set must count as lost from the run's first instant, not from the
    first failing instant inside the run. One vectorised SGP4 call per set (about 340 samples for a set two weeks
    old)."""
    n = len(elements)
    out = np.zeros(n, dtype=np.uint8)
    lead_d = (start_jd[0] - elements.epoch_jd) + (start_jd[1] - elements.epoch_fr)  # days from epoch to start
    step_d = step_s / 86_400.0
    with np.errstate(all="ignore"):
        for g in np.flatnonzero(lead_d > 0.0).tolist():
            sat = elements.satrecs[g]
            k = np.arange(math.ceil(float(lead_d[g]) / step_d), dtype=np.float64) * step_d
            jd = np.full(k.size, sat.jdsatepoch)
            err, r, _v = sat.sgp4_array(jd, sat.jdsatepochF + k)
            r_m = np.asarray(r, dtype=np.float64) * _M_PER_KM
            finite = np.asarray(np.isfinite(r_m).all(axis=-1), dtype=bool)
            e = np.where((np.asarray(err) == 0) & ~finite, np.uint8(ERROR_NONFINITE), err).astype(np.uint8)
            e = flight_codes(e, np.where(finite[:, None], r_m, 0.0))
            bad = np.flatnonzero(e)
            if bad.size:
                out[g] = e[bad[0]]
    return out


def summarize_codes(codes: np.ndarray) -> str:
    """``"3 x error 4 (meaning); 1 x error 6 (meaning)"`` for the nonzero codes, most frequent first."""
    values, counts = np.unique(codes[codes != 0], return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return "; ".join(
        f"{int(counts[k])} x error {int(values[k])} ({ERROR_MEANINGS.get(int(values[k]), 'unknown')})" for k in order
    )
