"""SGP4/SDP4 propagation of an ``ElementSet`` to TEME position and velocity, in SI units.

The propagator is the ``sgp4`` package's compiled port of Vallado's reference code (Vallado, Crawford, Hujsak
and Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753), WGS72 constants, improved ("i") operation mode,
driven through ``sgp4.api.SatrecArray`` so one call covers many satellites and times.

Frame: TEME (true equator, mean equinox of date), the frame SGP4 is defined in; see ``orbitgrid.astro.frames``
to rotate into an Earth-fixed frame.

Errors are data, never exceptions: every (satellite, time) gets an SGP4 error code (``uint8``; 0 = fine,
otherwise a key of ``sgp4.api.SGP4_ERRORS``: 1 mean eccentricity out of range, 2 mean motion < 0, 3 perturbed
eccentricity out of range, 4 semi-latus rectum < 0, 6 decayed). Wherever the code is nonzero the position and
velocity are NaN (all three components), so a decayed satellite shows up as NaN rows from its decay time on
and never stops a batch. A satellite whose initialisation failed (``ElementSet.init_error`` nonzero) is NaN at
every time.

Accuracy: this adapter adds only a km -> m scale; it reproduces Vallado's ``tcppver.out`` verification output
to better than 1 mm and 1e-9 km/s (tests/validation/test_sgp4_vallado.py). The SGP4 *model* itself is good to
about 1 km at epoch, growing by 1-3 km/day for LEO (Vallado et al. 2006).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sgp4.api import SatrecArray

from orbitgrid.astro.elements import ElementSet

__all__ = ["iter_teme_chunks", "propagate_teme"]

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
