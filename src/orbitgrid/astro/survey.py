"""Shadow survey of many satellites over a time grid: chunked drivers around the numba kernels.

``survey_circular`` takes designed shells (J2 path), ``survey_elements`` takes element sets (SGP4 path).
``survey_shell_shifted`` takes designed shells too, but surveys only a few reference tracks per orbital plane and
derives every member's passages from them by a time shift (see its docstring for the approximation). All
return a ``Survey``: one row per track (satellite, or formation-cluster centre) with sunlit time and beta extremes,
and a table of shadow passages with refined boundary crossings. Memory stays bounded by the chunk size: positions
are never stored for the whole fleet.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orbitgrid import _jit
from orbitgrid.astro import kernels
from orbitgrid.astro.constellations import CircularOrbits
from orbitgrid.astro.j2 import secular_rates
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.time import TimeGrid

ProgressFn = Callable[[int], None]

#: Track-steps per chunk of the Python-mode sweep (``kernels.survey_circular_numpy``; ~15 arrays of 8 bytes each).
PYTHON_TRACK_STEPS = 1_000_000

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
    centre was hidden), ``beta_min_rad``/``beta_max_rad`` (beta extremes), ``valid`` (False where SGP4 failed at
    some grid instant; such tracks have NaN statistics), and for tracks SGP4 lost: ``failed_s`` (the first instant
    SGP4 fails, to 1 ms; NaN for a track that never fails; 0 for one whose initialisation failed),
    ``failure_code`` (the SGP4 error code there; 0 = none) and ``end_s`` (the last grid instant before the failure:
    the track's passages are surveyed over ``[0, end_s]`` only; ``span_s`` for a track that never fails). A lost
    track counts for nothing from the step that holds its failure on (``fleet`` reads ``end_s``).

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
    # per-track loss facts; None when built (filled in by __post_init__: nothing lost)
    end_s: np.ndarray = None  # type: ignore[assignment]
    failed_s: np.ndarray = None  # type: ignore[assignment]
    failure_code: np.ndarray = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = self.shadow_s.shape[0]
        if self.end_s is None:
            object.__setattr__(self, "end_s", np.full(n, float(self.span_s)))
        if self.failed_s is None:
            object.__setattr__(self, "failed_s", np.full(n, np.nan))
        if self.failure_code is None:
            object.__setattr__(self, "failure_code", np.zeros(n, dtype=np.uint8))

    @property
    def lost(self) -> np.ndarray:
        """True for tracks SGP4 could not propagate over the whole window (``failure_code != 0``)."""
        return self.failure_code != 0

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
        end = np.where(hidden_at_end, self.passage_end_s, exit_)
        return np.where(np.isnan(start) | np.isnan(end), 0.0, end - start)

    @property
    def passage_end_s(self) -> np.ndarray:
        """The end of each passage's track window: ``span_s``, or ``end_s`` of a track SGP4 lost."""
        return self.end_s[self.track] if self.track.size else np.zeros(0)


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
    sweep: Callable[..., tuple] = kernels.survey_circular
    if _jit.python_mode():  # vectorised over tracks x steps: chunks of ~1e6 track-steps bound its arrays
        sweep = kernels.survey_circular_numpy
        chunk = min(chunk, max(1, PYTHON_TRACK_STEPS // (grid.n_steps + 1)))
    for lo in range(0, n, chunk):
        sl = slice(lo, min(n, lo + chunk))
        cap = _cap_for(float(np.max(u_dot[sl])), span)
        while True:
            room = _room(room, sl.stop - sl.start, cap)
            counts, events, smin, smax = sweep(
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
    """Survey element sets propagated by SGP4 over ``grid`` (``[0, duration]``, both ends included).

    A satellite SGP4 fails for at some grid instant (decayed, eccentricity out of range, ...), or whose position is
    below the entry interface (``sgp4_adapter.flight_codes``), is lost from its first failure on: its passages are
    surveyed over the instants before it, its failure instant is found to 1 ms between the last good and the first
    failing instant (``sgp4_adapter.error_onset_s``) and recorded with the error code (``Survey.failed_s``,
    ``failure_code``, ``end_s``). A set that already failed between its epoch and the grid's start
    (``sgp4_adapter.codes_before_start``) is lost at the first instant with that code, whatever SGP4 returns later.
    """
    from orbitgrid.astro.sgp4_adapter import codes_before_start, error_onset_s, flight_codes, iter_teme_chunks

    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    n = len(elements)
    t = np.arange(grid.n_steps + 1, dtype=np.float64) * grid.step_s
    jd, fr = grid.jd_utc(t)
    span = grid.duration_s
    parts = []
    end_s = np.full(n, span)
    failed_s = np.full(n, np.nan)
    code = np.zeros(n, dtype=np.uint8)
    before = codes_before_start(elements, grid.epoch_jd)
    for sl, r, v, err in iter_teme_chunks(elements, jd, fr, chunk):
        err = flight_codes(err, r)  # re-entering below the entry interface counts as lost too
        early = before[sl] != 0  # failed between the set's epoch and the start: lost at the first instant
        if early.any():
            err[early, 0] = before[sl][early]
        bad = err != 0
        lost = np.any(bad, axis=1)
        ok = ~lost
        first = np.where(lost, np.argmax(bad, axis=1), t.size)  # first failing grid instant
        fine = first > 0  # tracks with a state at the first instant
        rate = np.linalg.norm(v[fine, 0], axis=-1) / np.linalg.norm(r[fine, 0], axis=-1) if fine.any() else np.ones(1)
        cap = _cap_for(float(np.max(rate)) * 1.1, span)
        part = _states_part(sl.start, r, v, ok, grid, sun, cap, block)
        if lost.any():
            part = _with_prefixes(part, r, v, first, lost, grid, sun, cap, block)
            for i in np.flatnonzero(lost).tolist():
                j = int(first[i])
                g = sl.start + i
                end_s[g] = t[j - 1] if j > 0 else 0.0
                if j == 0:
                    failed_s[g], code[g] = 0.0, err[i, 0]
                else:
                    failed_s[g], code[g] = error_onset_s(elements.satrecs[g], grid.jd_utc, t[j - 1], t[j])
        parts.append(part)
        if progress is not None:
            progress(r.shape[0])
    survey = _assemble(parts, span, n)
    return dataclasses.replace(survey, end_s=end_s, failed_s=failed_s, failure_code=code)


def _with_prefixes(
    part: tuple, r: np.ndarray, v: np.ndarray, first: np.ndarray, lost: np.ndarray, grid, sun, cap: int, block: int
) -> tuple:
    """``part`` (a chunk surveyed over the whole window, lost tracks skipped) with the passages of every lost track
    over the grid instants before its first failure (tracks failing at the first instant have none), in track
    order. The lost tracks keep NaN statistics (``valid`` False): only their passages are added."""
    lo, rows, track, shadow, eclipses, beta_min, beta_max, ok = part
    rows_all, track_all = [rows], [track]
    for j in np.unique(first[lost & (first >= 2)]).tolist():
        idx = np.flatnonzero(lost & (first == j))
        sub_r, sub_v = np.ascontiguousarray(r[idx, :j]), np.ascontiguousarray(v[idx, :j])
        sub = _states_part(0, sub_r, sub_v, np.ones(idx.size, dtype=bool), grid, sun, cap, block)
        rows_all.append(sub[1])
        track_all.append(lo + idx[sub[2]])
        eclipses[idx] = sub[4]
    rows = np.concatenate(rows_all)
    track = np.concatenate(track_all)
    order = np.argsort(track, kind="stable")
    return lo, rows[order], track[order], shadow, eclipses, beta_min, beta_max, ok


#: Reference tracks per orbital plane for ``survey_shell_shifted``: a member is at most ``T / (2 R)`` from its
#: reference, and the error of the shift grows with that lag (see ``survey_shell_shifted``).
REFS_PER_PLANE = 16


@dataclass(frozen=True)
class ShellPlanes:
    """The orbital planes of a designed shell: the index of every track's plane and each plane's common orbit.

    ``plane`` (n,) int64 indexes the rows of the per-plane arrays; ``u_base_rad`` is the argument of latitude at the
    epoch of the plane's first track, ``sync_rate_rad_s`` the plane's mean rate of the argument of latitude relative
    to the in-plane direction of the Sun over the window (``u_dot - phi_dot``; see ``survey_shell_shifted``).
    """

    plane: np.ndarray
    semi_major_axis_m: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    u_base_rad: np.ndarray
    sync_rate_rad_s: np.ndarray


def shell_planes(orbits: CircularOrbits, grid: TimeGrid, sun_m: np.ndarray | None = None) -> ShellPlanes | None:
    """Group ``orbits`` into planes of identical ``(a, i, RAAN)``, or None if some plane's members differ."""
    if len(orbits) == 0:
        return None
    _labels, first, plane = np.unique(orbits.plane, return_index=True, return_inverse=True)
    a = orbits.semi_major_axis_m[first]
    inc = orbits.inclination_rad[first]
    raan = orbits.raan_rad[first]
    if not (
        np.array_equal(a[plane], orbits.semi_major_axis_m)
        and np.array_equal(inc[plane], orbits.inclination_rad)
        and np.array_equal(raan[plane], orbits.raan_rad)
    ):
        return None
    raan_dot, argp_dot, m_dot = secular_rates(a, inc)
    # In-plane longitude of the Sun from the ascending node, phi = atan2(Q.s, P.s), sampled over the window; its
    # mean rate turns the orbital rate into the rate at which a track overtakes the shadow.
    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    k = np.unique(np.linspace(0, sun.shape[0] - 1, 25).astype(np.int64))
    t = k * grid.step_s
    s_hat = sun[k] / np.linalg.norm(sun[k], axis=-1, keepdims=True)
    o = raan[:, None] + raan_dot[:, None] * t[None, :]
    ps = np.cos(o) * s_hat[None, :, 0] + np.sin(o) * s_hat[None, :, 1]
    qs = np.cos(inc)[:, None] * (np.cos(o) * s_hat[None, :, 1] - np.sin(o) * s_hat[None, :, 0])
    qs += np.sin(inc)[:, None] * s_hat[None, :, 2]
    phi = np.unwrap(np.arctan2(qs, ps), axis=1)
    phi_dot = (phi[:, -1] - phi[:, 0]) / max(t[-1] - t[0], 1.0)
    return ShellPlanes(
        plane=plane.astype(np.int64),
        semi_major_axis_m=a,
        inclination_rad=inc,
        raan_rad=raan,
        u_base_rad=orbits.arg_latitude_rad[first],
        sync_rate_rad_s=argp_dot + m_dot - phi_dot,
    )


def _window_beta(planes: ShellPlanes, grid: TimeGrid, sun: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-plane beta extremes sampled where ``kernels.survey_circular`` samples them (every REANCHOR-th node and
    the last), so a shifted survey reports the same extremes as the full one."""
    n_t = grid.n_steps + 1
    k = np.unique(np.append(np.arange(0, n_t, kernels.REANCHOR), n_t - 1))
    s_hat = sun[k] / np.linalg.norm(sun[k], axis=-1, keepdims=True)
    raan_dot = secular_rates(planes.semi_major_axis_m, planes.inclination_rad)[0]
    o = planes.raan_rad[:, None] + raan_dot[:, None] * (k * grid.step_s)[None, :]
    si, ci = np.sin(planes.inclination_rad)[:, None], np.cos(planes.inclination_rad)[:, None]
    sb = np.sin(o) * si * s_hat[None, :, 0] - np.cos(o) * si * s_hat[None, :, 1] + ci * s_hat[None, :, 2]
    return np.arcsin(sb.min(axis=1)), np.arcsin(sb.max(axis=1))


@dataclass(frozen=True)
class ShiftedShell:
    """A designed shell surveyed through reference tracks: what every member's passages are derived from.

    ``references`` is the survey of the reference tracks over ``[t0_s, t0_s + references.span_s]`` (passage
    instants in seconds since the grid's epoch, so ``t0_s < 0``); ``offsets`` (n_refs + 1) index its passage rows
    by reference. Member ``i`` sees at ``t`` what reference ``member_ref[i]`` sees at ``t + member_dt_s[i]``.
    ``planes`` is the shell's plane grouping and ``span_s`` the members' window ``[0, span_s]``.
    """

    references: Survey
    offsets: np.ndarray
    t0_s: float
    member_ref: np.ndarray
    member_dt_s: np.ndarray
    span_s: float
    refs_per_plane: int
    planes: ShellPlanes
    centre_only: bool

    @property
    def max_lag_s(self) -> float:
        return float(np.max(np.abs(self.member_dt_s), initial=0.0))

    def intervals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(start_s, end_s, hidden_s)`` of each reference passage: the interval over which its hidden time is
        spread when binned to steps (``fleet.illumination.hidden_intervals``, with the references' own window)."""
        p = self.references.passages
        ref = self.references
        t1 = self.t0_s + ref.span_s
        centre = ~np.isnan(p["entry_s"]) | ~np.isnan(p["exit_s"]) | (ref.class_at_start >= 2) | (ref.class_at_end >= 2)
        start_c = np.where(np.isnan(p["entry_s"]), self.t0_s, p["entry_s"])
        end_c = np.where(np.isnan(p["exit_s"]), t1, p["exit_s"])
        start_p = np.where(np.isnan(p["penumbra_entry_s"]), self.t0_s, p["penumbra_entry_s"])
        end_p = np.where(np.isnan(p["penumbra_exit_s"]), t1, p["penumbra_exit_s"])
        return (
            np.ascontiguousarray(np.where(centre, start_c, start_p)),
            np.ascontiguousarray(np.where(centre, end_c, end_p)),
            np.ascontiguousarray(np.nan_to_num(p["shadow_s"])),
        )


def survey_shell_references(
    orbits: CircularOrbits,
    grid: TimeGrid,
    sun_m: np.ndarray | None = None,
    *,
    refs_per_plane: int = REFS_PER_PLANE,
    centre_only: bool = False,
    planes: ShellPlanes | None = None,
    block: int = 64,
) -> ShiftedShell | None:
    """Survey ``refs_per_plane`` reference tracks per plane of a designed shell (None if it has no such planes).

    All tracks of a plane fly the same circular J2 orbit (same ``a``, ``i``, node and node drift) and differ only in
    the argument of latitude ``u``. Each plane gets ``R = refs_per_plane`` reference tracks spaced ``2 pi / R``
    apart in ``u`` from its first track, surveyed on the grid extended on both sides by the largest lag; a member
    ``du`` ahead of its nearest reference (``|du| <= pi / R``) meets the reference's passages earlier by
    ``dt = du / (u_dot - phi_dot)``, where ``phi`` is the Sun's longitude in the plane measured from the node: its
    mean rate over the window (node drift and the Sun's motion) makes ``dt`` the lag at which the member meets the
    same shadow geometry. What the shift leaves out is the change of that geometry over ``dt`` beyond the mean
    rate, mainly the drift of the beta angle, which widens or narrows the eclipse arc; the error is first order in
    ``dt`` and so in ``1 / R`` (``tests/validation/test_shell_symmetry.py`` measures it).
    """
    if refs_per_plane < 1:
        raise ValueError("refs_per_plane must be >= 1")
    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    pl = planes if planes is not None else shell_planes(orbits, grid, sun)
    if pl is None:
        return None
    n_planes = pl.semi_major_axis_m.shape[0]
    spacing = 2.0 * math.pi / refs_per_plane
    du = np.mod(orbits.arg_latitude_rad - pl.u_base_rad[pl.plane], 2.0 * math.pi)
    slot = np.rint(du / spacing)
    du -= slot * spacing
    member_ref = pl.plane * refs_per_plane + np.mod(slot.astype(np.int64), refs_per_plane)
    member_dt = du / pl.sync_rate_rad_s[pl.plane]
    rp = np.repeat(np.arange(n_planes), refs_per_plane)  # reference tracks, plane-major
    ref = CircularOrbits(
        pl.semi_major_axis_m[rp],
        pl.inclination_rad[rp],
        pl.raan_rad[rp],
        np.mod(pl.u_base_rad[rp] + spacing * np.tile(np.arange(refs_per_plane), n_planes), 2.0 * math.pi),
        rp,
    )
    h = grid.step_s
    pad = math.ceil(float(np.max(np.abs(member_dt), initial=0.0)) / h) + 1
    n_win = grid.n_steps + 1
    n_ext = n_win + 2 * pad
    sun_ext = np.empty((n_ext, 3))
    sun_ext[pad : pad + n_win] = sun
    outside = np.r_[np.arange(pad), np.arange(pad + n_win, n_ext)]
    sun_ext[outside] = sun_position_teme_m(grid.jd_tt((outside - pad) * h))
    raan_dot, argp_dot, m_dot = secular_rates(ref.semi_major_axis_m, ref.inclination_rad)
    u_dot = argp_dot + m_dot
    span_ext = (n_ext - 1) * h
    cap = _cap_for(float(np.max(u_dot)), span_ext)
    while True:
        room = np.empty((len(ref), cap, kernels.EV_FIELDS))
        counts, events, smin, smax = kernels.survey_circular(
            ref.semi_major_axis_m, ref.inclination_rad, ref.raan_rad, raan_dot, ref.arg_latitude_rad, u_dot,
            -pad * h, h, n_ext, sun_ext, room, block, centre_only,
        )  # fmt: skip
        if counts.max(initial=0) <= cap:
            break
        cap *= 2
    part = _compact(0, counts, events, np.arcsin(smin), np.arcsin(smax), np.ones(len(ref), dtype=bool))
    del room, events
    references = _assemble([part], span_ext, len(ref))
    offsets = np.searchsorted(references.track, np.arange(len(ref) + 1)).astype(np.int64)
    return ShiftedShell(
        references=references,
        offsets=offsets,
        t0_s=-pad * h,
        member_ref=member_ref,
        member_dt_s=member_dt,
        span_s=grid.duration_s,
        refs_per_plane=refs_per_plane,
        planes=pl,
        centre_only=centre_only,
    )


def expand_shifted(
    shifted: ShiftedShell, orbits: CircularOrbits, grid: TimeGrid, sun_m: np.ndarray | None = None
) -> Survey:
    """Every member's passages from ``shifted`` (``kernels.shift_passages``): a ``Survey`` of all of ``orbits``.

    Passages cut by the window's edges have their hidden time integrated again on the member's exact orbit; beta
    extremes are the plane's, sampled as ``survey_circular`` samples them.
    """
    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    ref = shifted.references
    rows_ref = np.empty((ref.track.shape[0], kernels.EV_FIELDS))
    for j, name in enumerate(PASSAGE_COLUMNS):
        rows_ref[:, j] = ref.passages[name]
    rows_ref[:, kernels.EV_FLAGS] = ref.truncated
    rows_ref[:, kernels.EV_CLASS_START] = ref.class_at_start
    rows_ref[:, kernels.EV_CLASS_END] = ref.class_at_end
    raan_dot, argp_dot, m_dot = secular_rates(orbits.semi_major_axis_m, orbits.inclination_rad)
    rows, track, shadow, eclipses, flags, c_start, c_end = kernels.shift_passages(
        rows_ref, shifted.offsets, shifted.member_ref, shifted.member_dt_s, shifted.span_s,
        orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, raan_dot, orbits.arg_latitude_rad,
        argp_dot + m_dot, grid.step_s, sun, shifted.centre_only,
    )  # fmt: skip
    bmin, bmax = _window_beta(shifted.planes, grid, sun)
    pl = shifted.planes.plane
    return Survey(
        span_s=shifted.span_s,
        shadow_s=shadow,
        eclipses=eclipses,
        beta_min_rad=bmin[pl],
        beta_max_rad=bmax[pl],
        valid=np.ones(len(orbits), dtype=bool),
        track=track,
        passages={name: rows[:, j] for j, name in enumerate(PASSAGE_COLUMNS)},
        truncated=flags,
        class_at_start=c_start,
        class_at_end=c_end,
    )


def survey_shell_shifted(
    orbits: CircularOrbits,
    grid: TimeGrid,
    sun_m: np.ndarray | None = None,
    *,
    refs_per_plane: int = REFS_PER_PLANE,
    centre_only: bool = False,
) -> Survey:
    """``survey_circular`` of a designed shell by the time shift of ``survey_shell_references``.

    Falls back to ``survey_circular`` when the tracks do not form planes of identical orbits.
    """
    sun = sun_on_grid_m(grid) if sun_m is None else sun_m
    shifted = survey_shell_references(orbits, grid, sun, refs_per_plane=refs_per_plane, centre_only=centre_only)
    if shifted is None:
        return survey_circular(orbits, grid, sun, centre_only=centre_only)
    return expand_shifted(shifted, orbits, grid, sun)
