"""Shadow survey of many satellites over a time grid: chunked drivers around the numba kernels.

``survey_circular`` takes designed shells (J2 path), ``survey_elements`` takes element sets (SGP4 path). Both
return a ``Survey``: one row per track (satellite, or formation-cluster centre) with sunlit time and beta extremes,
and a table of shadow passages with refined boundary crossings. Memory stays bounded by the chunk size: positions
are never stored for the whole fleet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro import kernels
from orbitgrid.astro.constellations import CircularOrbits
from orbitgrid.astro.j2 import secular_rates
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.time import TimeGrid

ProgressFn = Callable[[int], None]

PASSAGE_COLUMNS = (
    "penumbra_entry_s",
    "entry_s",
    "umbra_entry_s",
    "umbra_exit_s",
    "exit_s",
    "penumbra_exit_s",
    "shadow_s",
)


@dataclass(frozen=True)
class Survey:
    """Illumination summary of ``n`` tracks over ``[0, span_s]`` seconds after the epoch.

    Per track: ``shadow_s`` (integral of the hidden solar fraction), ``eclipses`` (passages in which the Sun's
    centre was hidden), ``beta_min_rad``/``beta_max_rad`` (beta extremes), ``valid`` (False where SGP4 failed;
    such tracks have NaN statistics).

    Per passage (arrays of equal length): ``track``; the ``PASSAGE_COLUMNS`` in seconds since the epoch, where
    ``entry_s``/``exit_s`` are the half-disc instants (the line-of-sight test) and NaN marks a boundary outside
    the window or not reached; ``truncated`` (bit 1: began before the window, bit 2: ends after it); and the shadow
    class (0 lit, 1 penumbra, 2 centre hidden, 3 umbra) at the window's edges for truncated passages.
    """

    span_s: float
    shadow_s: np.ndarray
    eclipses: np.ndarray
    beta_min_rad: np.ndarray
    beta_max_rad: np.ndarray
    valid: np.ndarray
    track: np.ndarray
    passages: dict[str, np.ndarray]
    truncated: np.ndarray
    class_at_start: np.ndarray
    class_at_end: np.ndarray

    @property
    def sunlit_fraction(self) -> np.ndarray:
        return 1.0 - self.shadow_s / self.span_s

    @property
    def eclipse_duration_s(self) -> np.ndarray:
        """Time with the Sun's centre hidden in each passage (half-disc to half-disc), clipped to the window.

        Zero for a penumbral graze that never hid the centre.
        """
        entry, exit_ = self.passages["entry_s"], self.passages["exit_s"]
        hidden_at_start = (self.class_at_start >= 2) & np.isnan(entry)
        hidden_at_end = (self.class_at_end >= 2) & np.isnan(exit_)
        start = np.where(hidden_at_start, 0.0, entry)
        end = np.where(hidden_at_end, self.span_s, exit_)
        return np.where(np.isnan(start) | np.isnan(end), 0.0, end - start)


def sun_on_grid_m(grid: TimeGrid) -> np.ndarray:
    """Sun positions (TEME, m) at the grid's ``n_steps + 1`` nodes ``0, h, ..., duration``."""
    t = np.arange(grid.n_steps + 1, dtype=np.float64) * grid.step_s
    return sun_position_teme_m(grid.jd_tt(t))


def _room(room: np.ndarray, n: int, cap: int) -> np.ndarray:
    """Passage room for ``n`` tracks with ``cap`` slots each, reusing ``room`` when it is large enough."""
    if room.shape[0] >= n and room.shape[1] == cap:
        return room[:n]
    return np.empty((max(n, room.shape[0]), cap, kernels.EV_FIELDS))


def _cap_for(u_dot_max: float, span_s: float) -> int:
    return math.ceil(u_dot_max * span_s / (2.0 * math.pi)) + 3


def _compact(lo: int, counts: np.ndarray, events: np.ndarray, beta_min, beta_max, ok) -> tuple:
    """Keep only the filled passage slots of a chunk (its ``events`` array is mostly empty room)."""
    rows, track, shadow, eclipses = kernels.compact_passages(lo, counts, events)
    return lo, rows, track, shadow, eclipses, beta_min, beta_max, ok


def _assemble(parts: list[tuple], span_s: float, n: int) -> Survey:
    shadow = np.empty(n)
    eclipses = np.zeros(n, dtype=np.int32)
    sb_min = np.empty(n)
    sb_max = np.empty(n)
    valid = np.ones(n, dtype=bool)
    for lo, _rows, _track, sh, ec, bmin, bmax, ok in parts:
        sl = slice(lo, lo + sh.shape[0])
        shadow[sl], eclipses[sl], sb_min[sl], sb_max[sl], valid[sl] = sh, ec, bmin, bmax, ok
    ev = np.concatenate([p[1] for p in parts]) if parts else np.empty((0, kernels.EV_FIELDS))
    track = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, dtype=np.int64)
    parts.clear()
    shadow[~valid] = np.nan
    passages = {name: ev[:, j] for j, name in enumerate(PASSAGE_COLUMNS)}  # views: no copy of the largest arrays
    return Survey(
        span_s=span_s,
        shadow_s=shadow,
        eclipses=eclipses,
        beta_min_rad=sb_min,
        beta_max_rad=sb_max,
        valid=valid,
        track=track,
        passages=passages,
        truncated=ev[:, kernels.EV_FLAGS].astype(np.int8),
        class_at_start=ev[:, kernels.EV_CLASS_START].astype(np.int8),
        class_at_end=ev[:, kernels.EV_CLASS_END].astype(np.int8),
    )


def survey_circular(
    orbits: CircularOrbits,
    grid: TimeGrid,
    sun_m: np.ndarray | None = None,
    *,
    centre_only: bool = False,
    chunk: int = 65_536,
    block: int = 512,
    progress: ProgressFn | None = None,
) -> Survey:
    """Survey circular J2 orbits over ``grid`` (``[0, duration]``, both ends included)."""
    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    n = len(orbits)
    raan_dot, argp_dot, m_dot = secular_rates(orbits.semi_major_axis_m, orbits.inclination_rad)
    u_dot = argp_dot + m_dot
    span = grid.duration_s
    parts = []
    room = np.empty((0, 0, kernels.EV_FIELDS))
    for lo in range(0, n, chunk):
        sl = slice(lo, min(n, lo + chunk))
        cap = _cap_for(float(np.max(u_dot[sl])), span)
        while True:
            room = _room(room, sl.stop - sl.start, cap)
            counts, events, smin, smax = kernels.survey_circular(
                orbits.semi_major_axis_m[sl],
                orbits.inclination_rad[sl],
                orbits.raan_rad[sl],
                raan_dot[sl],
                orbits.arg_latitude_rad[sl],
                u_dot[sl],
                0.0,
                grid.step_s,
                grid.n_steps + 1,
                sun,
                room,
                block,
                centre_only,
            )
            if counts.max(initial=0) <= cap:
                break
            cap *= 2
        ok = np.ones(counts.shape[0], dtype=bool)
        parts.append(_compact(lo, counts, events, np.arcsin(smin), np.arcsin(smax), ok))
        if progress is not None:
            progress(sl.stop - sl.start)
    return _assemble(parts, span, n)


def _states_part(
    lo: int, r: np.ndarray, v: np.ndarray, ok: np.ndarray, grid: TimeGrid, sun: np.ndarray, cap: int, block: int
) -> tuple:
    """Survey one chunk of states on the grid; tracks with ``ok`` False are skipped and keep NaN statistics."""
    m = r.shape[0]
    idx = np.flatnonzero(ok)
    if idx.size < m:
        r, v = np.ascontiguousarray(r[idx]), np.ascontiguousarray(v[idx])
    while True:
        room = np.empty((idx.size, cap, kernels.EV_FIELDS))
        counts, events, s0, s1 = kernels.survey_states(r, v, 0.0, grid.step_s, sun, room, block)
        if counts.max(initial=0) <= cap:
            break
        cap *= 2
    rows, track, shadow_sub, eclipses_sub = kernels.compact_passages(0, counts, events)
    shadow = np.full(m, np.nan)
    eclipses = np.zeros(m, dtype=np.int32)
    beta_min = np.full(m, np.nan)
    beta_max = np.full(m, np.nan)
    shadow[idx], eclipses[idx], beta_min[idx], beta_max[idx] = shadow_sub, eclipses_sub, np.arcsin(s0), np.arcsin(s1)
    return lo, rows, lo + idx[track], shadow, eclipses, beta_min, beta_max, ok


def survey_elements_j2(
    elements,  # orbitgrid.astro.elements.ElementSet
    grid: TimeGrid,
    sun_m: np.ndarray | None = None,
    *,
    chunk: int = 2_048,
    block: int = 64,
    j3_long_period: bool = True,
) -> Survey:
    """Survey element sets propagated by the J2 secular model instead of SGP4 (no drag, no short periodics).

    The Brouwer mean elements of each element set (semi-major axis from the un-Kozai'd mean motion, as SGP4 does)
    are carried from the element epoch to the grid by the secular rates; states on the grid come from
    ``j2.mean_element_states_teme`` (with SGP4's J3 long-period terms unless ``j3_long_period`` is False) and go
    through the same shadow kernel as the SGP4 path.
    """
    from orbitgrid.astro.j2 import mean_element_states_teme, semi_major_axis_m

    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    n = len(elements)
    t = np.arange(grid.n_steps + 1, dtype=np.float64) * grid.step_s
    jd0, fr0 = grid.epoch_jd
    offset_s = ((jd0 - elements.epoch_jd) + (fr0 - elements.epoch_fr)) * 86_400.0
    a = semi_major_axis_m(elements.mean_motion_brouwer_rad_s)
    span = grid.duration_s
    parts = []
    for lo in range(0, n, chunk):
        sl = slice(lo, min(n, lo + chunk))
        r, v = mean_element_states_teme(
            a[sl],
            elements.eccentricity[sl],
            elements.inclination_rad[sl],
            elements.raan_rad[sl],
            elements.arg_perigee_rad[sl],
            elements.mean_anomaly_rad[sl],
            t[None, :] + offset_s[sl, None],
            j3_long_period=j3_long_period,
        )
        cap = _cap_for(float(np.max(elements.mean_motion_brouwer_rad_s[sl])) * 1.1, span)
        parts.append(_states_part(lo, r, v, np.ones(r.shape[0], dtype=bool), grid, sun, cap, block))
    return _assemble(parts, span, n)


def survey_elements(
    elements,  # orbitgrid.astro.elements.ElementSet
    grid: TimeGrid,
    sun_m: np.ndarray | None = None,
    *,
    chunk: int = 2_048,
    block: int = 64,
    progress: ProgressFn | None = None,
) -> Survey:
    """Survey element sets propagated by SGP4 over ``grid`` (``[0, duration]``, both ends included)."""
    from orbitgrid.astro.sgp4_adapter import iter_teme_chunks

    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    n = len(elements)
    t = np.arange(grid.n_steps + 1, dtype=np.float64) * grid.step_s
    jd, fr = grid.jd_utc(t)
    span = grid.duration_s
    parts = []
    for sl, r, v, err in iter_teme_chunks(elements, jd, fr, chunk):
        ok = ~np.any(err != 0, axis=1)
        rate = np.linalg.norm(v[ok, 0], axis=-1) / np.linalg.norm(r[ok, 0], axis=-1) if ok.any() else np.ones(1)
        parts.append(_states_part(sl.start, r, v, ok, grid, sun, _cap_for(float(np.max(rate)) * 1.1, span), block))
        if progress is not None:
            progress(r.shape[0])
    return _assemble(parts, span, n)
