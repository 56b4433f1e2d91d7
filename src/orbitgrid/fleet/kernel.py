"""Fused, compiled per-track stepping: the numba twin of ``fleet.orbital.simulate_tracks``.

Same model and constants as the numpy reference (array power -> heat cap -> battery policy -> whole-accelerator
rounding -> battery step -> backward-Euler radiator step), laid out for throughput:

- *lanes*: each thread steps a group of ``_LANES`` satellites together through time; the state of the group lives
  in small arrays indexed by lane, so the loop over lanes is straight-line arithmetic (``min``/``max``/``floor``,
  no data-dependent branches) that the compiler turns into SIMD code, and the serial dependency chain of one
  satellite (temperature -> heat cap -> load -> temperature) no longer bounds the speed;
- *radiator*: the backward-Euler equation ``C (T1 - T0) + dt A k T1^4 = dt (Q + A b)`` is solved by a fixed
  ``_NEWTON_STEPS`` Newton iterations started at ``T0`` (no ``T_ss**0.25`` start, no convergence test). The residual
  is increasing and convex, so from ``T0`` the first iterate lands at or above the root and the rest descend to it
  quadratically: the relative error after ``m`` steps is at most ``(1.5 e0)^(2^m) / 1.5`` for a relative first
  change ``e0 = |T1 - T0| / T1``; four steps reach the double's resolution for ``e0`` up to 0.1 (a 30 K jump in one
  step), far beyond what a radiator of minutes' time constant does in 60 s;
- *constants*: every per-step and per-design factor (array power per lit fraction, reciprocals of the efficiencies,
  of the step and of the accelerator power) is computed once; per-track counters are integers until the end;
- *incidence*: the array power per lit fraction is read per lane and step from a group buffer, written once per
  thread at normal incidence (sun-tracking: the lane loop is what it was) or per group as the step's power times
  the track's body-fixed cosine (``fleet.orbital.ArrayIncidence``: rows shared by the tracks of a plane).

So the numerics differ from the reference in the last bits (products regrouped, reciprocals multiplied,
the Newton solve stopped by count instead of by tolerance): ``tests/fleet/test_kernel.py`` holds them to the
reference within stated tolerances in physical units (GPU-hours, Wh, K), and energy still closes per step.

Three entry points share the lane loop: ``simulate_tracks_fast`` takes an ``(n, K)`` array of step-mean lit
fractions; ``simulate_survey_tracks_fast`` bins a survey's shadow passages into per-group scratch inside the kernel
(``fleet.illumination``'s binning, the same operations), so no ``(n, K)`` lit array is ever built;
``simulate_shifted_tracks_fast`` bins the passages of a designed shell's reference tracks, moved by each member's
lag (``astro.survey.ShiftedShell``), so not even per-satellite passages are built.

Satellites SGP4 lost (``astro.survey.Survey.end_s``) count only in the steps before the one holding their loss
(``life_steps``, as in the reference): the kernels stay unmasked, and the wrappers run the tracks that fly every
step in one call and each group of lost tracks with the same life over its own first steps (stepping is causal, so
that is exactly the masked result; a masked lane loop cost 5-13 % on every shell, lost tracks are rare).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from orbitgrid import _jit
from orbitgrid._jit import kernel, prange
from orbitgrid.astro.survey import ShiftedShell, Survey
from orbitgrid.fleet.illumination import hidden_intervals
from orbitgrid.fleet.orbital import (
    CONDITIONING_EFFICIENCY,
    SECONDS_PER_YEAR,
    ArrayIncidence,
    OrbitalDesignSpec,
    TrackCapacity,
    incidence_for,
)
from orbitgrid.spacecraft import power, thermal
from orbitgrid.spacecraft.battery import SECONDS_PER_HOUR

#: Per-track outputs, in the order of the kernel's ``(10, n)`` result.
_TRACK_FIELDS = (
    "harvested_wh",
    "delivered_compute_wh",
    "gpu_hours",
    "throttled_eclipse_s",
    "throttled_array_s",
    "throttled_heat_s",
    "radiator_peak_k",
    "radiator_mean_k",
    "battery_min_soc",
    "energy_closure_wh",
)
#: Satellites stepped together by one thread (SIMD width times a few, to hide the dependency chain's latency).
_LANES = 16
#: Work items per thread for the per-step sums (bounds the ``(n_items, 5, K)`` accumulator).
_ITEMS_PER_THREAD = 8
#: Newton iterations of the radiator step (see the module docstring).
_NEWTON_STEPS = 4

# indices into the scalar parameter vector
_P_STEP, _P_HK, _P_FULL, _P_PA, _P_INV_PA, _P_COUNT = 0, 1, 2, 3, 4, 5
_P_C_DT, _P_TLIM, _P_C0, _P_FLOOR, _P_ETA_C, _P_INV_ETA_C = 6, 7, 8, 9, 10, 11
_P_ETA_D, _P_INV_ETA_D, _P_KC_H, _P_KD, _P_KD_H, _P_FADE = 12, 13, 14, 15, 16, 17
_P_HOURS, _P_DIS_SCALE, _P_HEAT_C, _P_A4, _P_DT, _P_GPU_H = 18, 19, 20, 21, 22, 23
_N_PARAMS = 24


# rows of the per-group state, one ``_LANES``-long row each, in one flat array: constant distances between rows let
# the compiler vectorise the loop over lanes without runtime overlap checks
_R_ENERGY, _R_CAP, _R_THRU, _R_TEMP, _R_HARV, _R_GPUS, _R_ECL, _R_ARR, _R_HEAT = 0, 1, 2, 3, 4, 5, 6, 7, 8
_R_MEAN_T, _R_CLOSURE, _R_PEAK, _R_MIN_SOC, _R_QLIM, _R_RHS0 = 9, 10, 11, 12, 13, 14
_R_RDG, _R_RCAP = 15, 16  # running reciprocals: of the radiator residual's slope and of the battery capacity
_R_SUMS = 17  # five rows: usable accelerators, array power, compute power, state of charge, radiator temperature
_N_ROWS = 22


@kernel(cache=True, error_model="numpy", inline="always")
def _step_group(lit_kb, nl, i0, prm, pk_kb, b_abs, temp0, q_lim, area, out, acc, usable, want_usable, st):
    """Step lanes ``0..nl-1`` (tracks ``i0..i0+nl-1``) through all steps.

    ``lit_kb`` is the group's lit fractions and ``pk_kb`` its array power per lit fraction (W), both flat
    ``(K * _LANES)`` (step-major, filled by ``_fill_power``); ``st`` is flat ``(_N_ROWS * _LANES)`` scratch.
    Padding lanes repeat the last track; their results are dropped.
    """
    L = _LANES
    k_steps = lit_kb.shape[0] // L
    step_s = prm[_P_STEP]
    hk = prm[_P_HK]
    full = prm[_P_FULL]
    pa = prm[_P_PA]
    inv_pa = prm[_P_INV_PA]
    count = prm[_P_COUNT]
    c_dt = prm[_P_C_DT]
    t_lim = prm[_P_TLIM]
    c0 = prm[_P_C0]
    floor_frac = prm[_P_FLOOR]
    eta_c = prm[_P_ETA_C]
    inv_eta_c = prm[_P_INV_ETA_C]
    eta_d = prm[_P_ETA_D]
    inv_eta_d = prm[_P_INV_ETA_D]
    kc_h = prm[_P_KC_H]
    kd = prm[_P_KD]
    kd_h = prm[_P_KD_H]
    fade_half = 0.5 * prm[_P_FADE]
    hours = prm[_P_HOURS]
    dis_scale = prm[_P_DIS_SCALE]  # eta_d * 3600 / dt: Wh above the floor -> W this step
    heat_c = prm[_P_HEAT_C]
    a4 = prm[_P_A4]
    dt = prm[_P_DT]
    for j in range(L):
        jj = i0 + min(j, nl - 1)
        st[_R_ENERGY * L + j] = c0
        st[_R_CAP * L + j] = c0
        st[_R_THRU * L + j] = 0.0
        st[_R_TEMP * L + j] = temp0[jj]
        st[_R_HARV * L + j] = 0.0
        st[_R_GPUS * L + j] = 0.0
        st[_R_ECL * L + j] = 0.0
        st[_R_ARR * L + j] = 0.0
        st[_R_HEAT * L + j] = 0.0
        st[_R_MEAN_T * L + j] = 0.0
        st[_R_CLOSURE * L + j] = 0.0
        st[_R_PEAK * L + j] = temp0[jj]
        st[_R_MIN_SOC * L + j] = 1.0
        st[_R_QLIM * L + j] = q_lim[jj]
        st[_R_RHS0 * L + j] = dt * area * b_abs[jj]
        st[_R_RDG * L + j] = 1.0 / (heat_c + 4.0 * a4 * temp0[jj] ** 3)
        st[_R_RCAP * L + j] = 1.0 / max(c0, 1e-12)
    for k in range(k_steps):
        base = k * L
        for j in range(L):
            f = min(max(lit_kb[base + j], 0.0), 1.0)
            array_w = pk_kb[base + j] * f
            bus = CONDITIONING_EFFICIENCY * array_w
            t0 = st[_R_TEMP * L + j]
            e0 = st[_R_ENERGY * L + j]
            cp = st[_R_CAP * L + j]
            # heat the radiator can take this step (thermal.max_load_w), compute the heat allows
            heat_cap = c_dt * (t_lim - t0) + st[_R_QLIM * L + j]
            requested = min(max(heat_cap - hk, 0.0), full)
            # battery.serve_compute: housekeeping first, then compute from the array and the battery
            hk_from_array = min(bus, hk)
            hk_short = hk - hk_from_array
            array_left = bus - hk_from_array
            lo0 = floor_frac * cp
            above = max(e0 - lo0, 0.0)
            above_w = above * dis_scale
            battery_max = min(kd * cp, above_w)
            hk_from_battery = min(hk_short, battery_max)
            for_compute = max(min(battery_max - hk_from_battery, above_w - hk_from_battery), 0.0)
            served = min(requested, array_left + for_compute)
            gpus = min(np.floor(served * inv_pa + 1e-9), count)
            compute_w = gpus * pa
            load = hk + compute_w
            # battery.step
            harvested = bus * hours
            demand = load * hours
            direct = min(harvested, demand)
            surplus = harvested - direct
            deficit = demand - direct
            room_bus = max(cp - e0, 0.0) * inv_eta_c
            charged = min(min(surplus, kc_h * cp), room_bus)
            above_floor_bus = above * eta_d
            discharged = min(min(deficit, kd_h * cp), above_floor_bus)
            into_cells = eta_c * charged
            out_of_cells = discharged * inv_eta_d
            e1 = e0 + into_cells - out_of_cells
            e1 = max(e1, min(e0, lo0))
            q1 = st[_R_THRU * L + j] + into_cells + out_of_cells
            cap1 = max(c0 - fade_half * q1, 0.0)
            fade_lost = max(e1 - cap1, 0.0)
            e1 = e1 - fade_lost
            lost = (charged - into_cells) + (out_of_cells - discharged) + fade_lost
            delivered = direct + discharged
            closure = harvested - delivered - (e1 - e0) - lost - (surplus - charged)
            # thermal.step_temperature: backward Euler, fixed Newton iterations from T0; the slope's reciprocal is
            # carried from step to step and refined by one Newton-Raphson reciprocal step per iteration (no division)
            rhs = heat_c * t0 + dt * load + st[_R_RHS0 * L + j]
            t = t0
            r_dg = st[_R_RDG * L + j]
            for _ in range(_NEWTON_STEPS):
                t3 = t * t * t
                g = heat_c * t + a4 * t3 * t - rhs
                r_dg = r_dg * (2.0 - (heat_c + 4.0 * a4 * t3) * r_dg)
                t = t - g * r_dg
            # state of charge, with the capacity's reciprocal carried the same way (the capacity fades by ~1e-7/step)
            cap_safe = max(cap1, 1e-12)
            r_cap = st[_R_RCAP * L + j]
            r_cap = r_cap * (2.0 - cap_safe * r_cap)
            r_cap = r_cap * (2.0 - cap_safe * r_cap)
            # counters (branch-free)
            throttled = 1.0 if gpus < count else 0.0
            heat_bound = 1.0 if requested < full else 0.0
            shaded = 1.0 if f < 1.0 else 0.0
            soc = e1 * r_cap
            st[_R_HEAT * L + j] += throttled * heat_bound
            st[_R_ECL * L + j] += throttled * (1.0 - heat_bound) * shaded
            st[_R_ARR * L + j] += throttled * (1.0 - heat_bound) * (1.0 - shaded)
            st[_R_ENERGY * L + j] = e1
            st[_R_CAP * L + j] = cap1
            st[_R_THRU * L + j] = q1
            st[_R_TEMP * L + j] = t
            st[_R_RDG * L + j] = r_dg
            st[_R_RCAP * L + j] = r_cap
            st[_R_HARV * L + j] += harvested
            st[_R_GPUS * L + j] += gpus
            st[_R_MEAN_T * L + j] += t
            st[_R_CLOSURE * L + j] += closure
            st[_R_PEAK * L + j] = max(st[_R_PEAK * L + j], t)
            st[_R_MIN_SOC * L + j] = min(st[_R_MIN_SOC * L + j], soc)
            st[(_R_SUMS + 0) * L + j] = gpus
            st[(_R_SUMS + 1) * L + j] = array_w
            st[(_R_SUMS + 2) * L + j] = compute_w
            st[(_R_SUMS + 3) * L + j] = soc
            st[(_R_SUMS + 4) * L + j] = t
        for r in range(5):
            s = 0.0
            for j in range(nl):
                s += st[(_R_SUMS + r) * L + j]
            acc[r, k] += s
        if want_usable:
            for j in range(nl):
                usable[i0 + j, k] = np.int16(st[_R_SUMS * L + j])
    inv_k = 1.0 / k_steps
    for j in range(nl):
        i = i0 + j
        out[0, i] = st[_R_HARV * L + j]
        out[1, i] = st[_R_GPUS * L + j] * prm[_P_GPU_H] * pa
        out[2, i] = st[_R_GPUS * L + j] * prm[_P_GPU_H]
        out[3, i] = st[_R_ECL * L + j] * step_s
        out[4, i] = st[_R_ARR * L + j] * step_s
        out[5, i] = st[_R_HEAT * L + j] * step_s
        out[6, i] = st[_R_PEAK * L + j]
        out[7, i] = st[_R_MEAN_T * L + j] * inv_k
        out[8, i] = st[_R_MIN_SOC * L + j]
        out[9, i] = st[_R_CLOSURE * L + j]


@kernel(cache=True, error_model="numpy", inline="always")
def _fill_power(pk_kb, array_per_lit, cos, row, i0, nl, filled):
    """Array power per lit fraction of lanes ``0..nl-1`` (tracks ``i0..``), flat ``(K * _LANES)``; returns True.

    Normal incidence (``cos`` has no rows): every lane gets ``array_per_lit[k]``, written once per work item
    (``filled`` True skips it). Otherwise lane ``j`` gets ``array_per_lit[k] * cos[row[i0 + j], k]``.
    """
    k_steps = array_per_lit.shape[0]
    if cos.shape[0] == 0:
        if not filled:
            for k in range(k_steps):
                for j in range(_LANES):
                    pk_kb[k * _LANES + j] = array_per_lit[k]
        return True
    for j in range(_LANES):
        r = row[i0 + min(j, nl - 1)]
        for k in range(k_steps):
            pk_kb[k * _LANES + j] = array_per_lit[k] * cos[r, k]
    return True


@kernel(cache=True, parallel=True, error_model="numpy")
def _tracks_kernel(lit, prm, array_per_lit, cos, row, b_abs, temp0, q_lim, area, n_items, want_usable):
    """Lit fractions given as ``(n, K)``; ``cos``/``row`` as in ``_fill_power`` (``row`` indexed like ``lit``)."""
    n, k_steps = lit.shape
    out = np.zeros((10, n))
    steps = np.zeros((n_items, 5, k_steps))
    usable = np.zeros((n if want_usable else 0, k_steps), dtype=np.int16)
    n_groups = (n + _LANES - 1) // _LANES
    per_item = (n_groups + n_items - 1) // n_items
    for item in prange(n_items):
        lit_kb = np.zeros(k_steps * _LANES)
        pk_kb = np.empty(k_steps * _LANES)
        filled = False
        st = np.empty(_N_ROWS * _LANES)
        for g in range(item * per_item, min(n_groups, (item + 1) * per_item)):
            i0 = g * _LANES
            nl = min(_LANES, n - i0)
            filled = _fill_power(pk_kb, array_per_lit, cos, row, i0, nl, filled)
            for j in range(nl):
                lit_row = lit[i0 + j]
                for k in range(k_steps):
                    lit_kb[k * _LANES + j] = lit_row[k]
            _step_group(
                lit_kb, nl, i0, prm, pk_kb, b_abs, temp0, q_lim, area, out, steps[item], usable,
                want_usable, st,
            )  # fmt: skip
    return out, steps, usable


@kernel(cache=True, error_model="numpy", inline="always")
def _bin_track(lit_kb, j, q0, q1, shift, p_start, p_end, p_hidden, step_s, inv_step):
    """``fleet.illumination._bin_hidden`` for one track into lane ``j`` of ``lit_kb``, then hidden -> lit fraction.

    Passages ``q0..q1-1`` are taken ``shift`` seconds earlier (0 for a track's own passages); the binning clips them
    to the steps ``0..K-1``.
    """
    k_steps = lit_kb.shape[0] // _LANES
    for q in range(q0, q1):
        a, b, w = p_start[q] - shift, p_end[q] - shift, p_hidden[q]
        if not b > a or w <= 0.0:
            continue
        density = w / (b - a)
        k0 = max(math.floor(a / step_s), 0)
        k1 = min(math.floor(b / step_s), k_steps - 1)
        for k in range(k0, k1 + 1):
            lo = max(a, k * step_s)
            hi = min(b, (k + 1) * step_s)
            if hi > lo:
                lit_kb[k * _LANES + j] += density * (hi - lo)
    for k in range(k_steps):
        lit_kb[k * _LANES + j] = min(max(1.0 - lit_kb[k * _LANES + j] * inv_step, 0.0), 1.0)


@kernel(cache=True, parallel=True, error_model="numpy")
def _shifted_tracks_kernel(
    first, n, k_steps, offsets, member_ref, member_dt, p_start, p_end, p_hidden, prm, array_per_lit, cos, row, b_abs,
    temp0, q_lim, area, n_items, want_usable,
):  # fmt: skip
    """Lit fractions binned from reference passages moved by each member's lag (``astro.survey.ShiftedShell``)."""
    step_s = prm[_P_STEP]
    inv_step = 1.0 / step_s
    out = np.zeros((10, n))
    steps = np.zeros((n_items, 5, k_steps))
    usable = np.zeros((n if want_usable else 0, k_steps), dtype=np.int16)
    n_groups = (n + _LANES - 1) // _LANES
    per_item = (n_groups + n_items - 1) // n_items
    for item in prange(n_items):
        lit_kb = np.zeros(k_steps * _LANES)
        pk_kb = np.empty(k_steps * _LANES)
        filled = False
        st = np.empty(_N_ROWS * _LANES)
        for g in range(item * per_item, min(n_groups, (item + 1) * per_item)):
            i0 = g * _LANES
            nl = min(_LANES, n - i0)
            filled = _fill_power(pk_kb, array_per_lit, cos, row, i0, nl, filled)
            lit_kb[:] = 0.0
            for j in range(nl):
                i = first + i0 + j
                r = member_ref[i]
                _bin_track(
                    lit_kb, j, offsets[r], offsets[r + 1], member_dt[i], p_start, p_end, p_hidden, step_s, inv_step
                )
            _step_group(
                lit_kb, nl, i0, prm, pk_kb, b_abs, temp0, q_lim, area, out, steps[item], usable,
                want_usable, st,
            )  # fmt: skip
    return out, steps, usable


# --- Python mode (``orbitgrid._jit``): the same arithmetic, vectorised over tracks ---------------------------------

#: Up to this many tracks the Python-mode stepper runs each track with float arithmetic; more, as numpy vectors
#: (a ufunc call costs ~1 us whatever its length; a float operation ~0.05 us).
_SCALAR_TRACKS = 8


def _lt_array(a: np.ndarray, b: Any) -> np.ndarray:
    return (a < b).astype(np.float64)


def _lt_float(a: float, b: float) -> float:
    return 1.0 if a < b else 0.0


def _floor_float(x: float) -> float:
    return float(math.floor(x))


_ARRAY_OPS = (np.minimum, np.maximum, np.floor, _lt_array)
_FLOAT_OPS = (min, max, _floor_float, _lt_float)


def _step_lanes(ops, lit, pk, prm, b_abs, temp0, q_lim, area, acc, usable):
    """``_step_group``'s per-lane arithmetic, in the same order, on lanes given as numpy vectors or as floats.

    ``lit`` and ``pk`` are sequences over steps of the lanes' lit fraction and array power per lit fraction; the
    step sums of the five per-step quantities are added to ``acc`` ``(5, K)``; ``usable`` (a list, or None) gets
    each step's usable accelerators. Returns the ten per-track outputs (``_TRACK_FIELDS``).
    """
    mn, mx, fl, lt = ops
    step_s, hk, full, pa, inv_pa, count = (float(prm[i]) for i in range(_P_COUNT + 1))
    c_dt, t_lim, c0, floor_frac = float(prm[_P_C_DT]), float(prm[_P_TLIM]), float(prm[_P_C0]), float(prm[_P_FLOOR])
    eta_c, inv_eta_c, eta_d, inv_eta_d = (float(prm[i]) for i in (_P_ETA_C, _P_INV_ETA_C, _P_ETA_D, _P_INV_ETA_D))
    kc_h, kd, kd_h = float(prm[_P_KC_H]), float(prm[_P_KD]), float(prm[_P_KD_H])
    fade_half = 0.5 * float(prm[_P_FADE])
    hours, dis_scale, heat_c = float(prm[_P_HOURS]), float(prm[_P_DIS_SCALE]), float(prm[_P_HEAT_C])
    a4, dt = float(prm[_P_A4]), float(prm[_P_DT])
    e0 = cp = c0
    thru = harv = gpus_sum = ecl = arr = heat = mean_t = closure_sum = 0.0
    t0 = peak = temp0
    min_soc = 1.0
    rhs0 = dt * area * b_abs
    r_dg = 1.0 / (heat_c + 4.0 * a4 * temp0**3)
    r_cap = 1.0 / max(c0, 1e-12)
    floats = ops is _FLOAT_OPS
    per_step: list[tuple[Any, ...]] = []  # the five per-step sums (``acc``'s rows), added at the end
    for k in range(len(lit)):
        f = mn(mx(lit[k], 0.0), 1.0)
        array_w = pk[k] * f
        bus = CONDITIONING_EFFICIENCY * array_w
        heat_cap = c_dt * (t_lim - t0) + q_lim
        requested = mn(mx(heat_cap - hk, 0.0), full)
        hk_from_array = mn(bus, hk)
        hk_short = hk - hk_from_array
        array_left = bus - hk_from_array
        lo0 = floor_frac * cp
        above = mx(e0 - lo0, 0.0)
        above_w = above * dis_scale
        battery_max = mn(kd * cp, above_w)
        hk_from_battery = mn(hk_short, battery_max)
        for_compute = mx(mn(battery_max - hk_from_battery, above_w - hk_from_battery), 0.0)
        served = mn(requested, array_left + for_compute)
        gpus = mn(fl(served * inv_pa + 1e-9), count)
        compute_w = gpus * pa
        load = hk + compute_w
        harvested = bus * hours
        demand = load * hours
        direct = mn(harvested, demand)
        surplus = harvested - direct
        deficit = demand - direct
        room_bus = mx(cp - e0, 0.0) * inv_eta_c
        charged = mn(mn(surplus, kc_h * cp), room_bus)
        above_floor_bus = above * eta_d
        discharged = mn(mn(deficit, kd_h * cp), above_floor_bus)
        into_cells = eta_c * charged
        out_of_cells = discharged * inv_eta_d
        e1 = e0 + into_cells - out_of_cells
        e1 = mx(e1, mn(e0, lo0))
        q1 = thru + into_cells + out_of_cells
        cap1 = mx(c0 - fade_half * q1, 0.0)
        fade_lost = mx(e1 - cap1, 0.0)
        e1 = e1 - fade_lost
        lost = (charged - into_cells) + (out_of_cells - discharged) + fade_lost
        delivered = direct + discharged
        closure = harvested - delivered - (e1 - e0) - lost - (surplus - charged)
        rhs = heat_c * t0 + dt * load + rhs0
        t = t0
        for _ in range(_NEWTON_STEPS):
            t3 = t * t * t
            g = heat_c * t + a4 * t3 * t - rhs
            r_dg = r_dg * (2.0 - (heat_c + 4.0 * a4 * t3) * r_dg)
            t = t - g * r_dg
        cap_safe = mx(cap1, 1e-12)
        r_cap = r_cap * (2.0 - cap_safe * r_cap)
        r_cap = r_cap * (2.0 - cap_safe * r_cap)
        throttled = lt(gpus, count)
        heat_bound = lt(requested, full)
        shaded = lt(f, 1.0)
        soc = e1 * r_cap
        heat = heat + throttled * heat_bound
        ecl = ecl + throttled * (1.0 - heat_bound) * shaded
        arr = arr + throttled * (1.0 - heat_bound) * (1.0 - shaded)
        e0, cp, thru, t0 = e1, cap1, q1, t
        harv = harv + harvested
        gpus_sum = gpus_sum + gpus
        mean_t = mean_t + t
        closure_sum = closure_sum + closure
        peak = mx(peak, t)
        min_soc = mn(min_soc, soc)
        per_step.append(
            (gpus, array_w, compute_w, soc, t)
            if floats
            else (gpus.sum(), array_w.sum(), compute_w.sum(), soc.sum(), t.sum())
        )
        if usable is not None:
            usable.append(gpus)
    if per_step:
        acc += np.asarray(per_step).T
    gpu_h = float(prm[_P_GPU_H])
    return (
        harv, gpus_sum * gpu_h * pa, gpus_sum * gpu_h, ecl * step_s, arr * step_s, heat * step_s, peak,
        mean_t * (1.0 / len(lit)), min_soc, closure_sum,
    )  # fmt: skip


def _step_tracks_python(lit, pk, prm, b_abs, temp0, q_lim, area, want_usable):
    """``(out, steps, usable)`` of the compiled kernels for lit fractions ``lit`` ``(n, K)`` and array power per
    lit fraction ``pk`` ``(n, K)``, stepped by ``_step_lanes`` (track by track as floats when there are few)."""
    n, k_steps = lit.shape
    out = np.zeros((10, n))
    acc = np.zeros((1, 5, k_steps))
    usable = np.zeros((n if want_usable else 0, k_steps), dtype=np.int16)
    if n == 0:
        return out, acc, usable
    if k_steps == 0:  # what the kernel's loops leave: no energy or hours, the start temperature, no mean, full
        out[6] = temp0
        out[7] = np.nan
        out[8] = 1.0
        return out, acc, usable
    if n <= _SCALAR_TRACKS:
        for i in range(n):
            got: list[float] | None = [] if want_usable else None
            out[:, i] = _step_lanes(
                _FLOAT_OPS, lit[i].tolist(), pk[i].tolist(), prm, float(b_abs[i]), float(temp0[i]), float(q_lim[i]),
                float(area), acc[0], got,
            )  # fmt: skip
            if got is not None:
                usable[i] = np.asarray(got)
    else:
        rows: list[np.ndarray] | None = [] if want_usable else None
        res = _step_lanes(
            _ARRAY_OPS, np.ascontiguousarray(lit.T), np.ascontiguousarray(pk.T), prm, b_abs, temp0, q_lim,
            float(area), acc[0], rows,
        )  # fmt: skip
        for f, value in enumerate(res):
            out[f] = value
        if rows is not None:
            usable[:] = np.stack(rows, axis=1)
    return out, acc, usable


def _power_rows(array_per_lit: np.ndarray, cos: np.ndarray, row: np.ndarray, n: int) -> np.ndarray:
    """``_fill_power`` for all tracks at once: array power per lit fraction, ``(n, K)``."""
    if cos.shape[0] == 0:
        return np.broadcast_to(array_per_lit, (n, array_per_lit.shape[0]))
    return array_per_lit[None, :] * cos[row[:n], : array_per_lit.shape[0]]


def _ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(start, count)])`` without the loop."""
    total = int(count.sum())
    return np.repeat(start - np.cumsum(count) + count, count) + np.arange(total)


def _shifted_lit_python(first, n, k_steps, offsets, member_ref, member_dt, p_start, p_end, p_hidden, step_s):
    """``_bin_track`` for every member at once: lit fractions ``(n, K)`` with the kernel's arithmetic (each cell
    sums its passages' shares in the kernel's order)."""
    members = first + np.arange(n)
    ref = member_ref[members]
    per = offsets[ref + 1] - offsets[ref]
    lane = np.repeat(np.arange(n), per)
    q = _ranges(offsets[ref], per)
    shift = np.repeat(member_dt[members], per)
    a, b, w = p_start[q] - shift, p_end[q] - shift, p_hidden[q]
    keep = (b > a) & (w > 0.0)
    lane, a, b, w = lane[keep], a[keep], b[keep], w[keep]
    density = w / (b - a)
    k0 = np.maximum(np.floor(a / step_s), 0).astype(np.int64)
    k1 = np.minimum(np.floor(b / step_s), k_steps - 1).astype(np.int64)
    cells = np.maximum(k1 - k0 + 1, 0)
    at = np.repeat(np.arange(cells.size), cells)
    k = _ranges(k0, cells)
    lo_s = np.maximum(a[at], k * step_s)
    hi_s = np.minimum(b[at], (k + 1) * step_s)
    inside = hi_s > lo_s
    hidden = np.zeros((n, k_steps))
    np.add.at(hidden, (lane[at][inside], k[inside]), density[at][inside] * (hi_s[inside] - lo_s[inside]))
    return np.minimum(np.maximum(1.0 - hidden * (1.0 / step_s), 0.0), 1.0)


def _shifted_tracks(
    first, n, k_steps, offsets, member_ref, member_dt, p_start, p_end, p_hidden, prm, array_per_lit, cos, row, b_abs,
    temp0, q_lim, area, n_items, want_usable,
):  # fmt: skip
    """``_shifted_tracks_kernel``, or its Python-mode twin (``orbitgrid._jit``)."""
    if not _jit.python_mode():
        return _shifted_tracks_kernel(
            first, n, k_steps, offsets, member_ref, member_dt, p_start, p_end, p_hidden, prm, array_per_lit, cos,
            row, b_abs, temp0, q_lim, area, n_items, want_usable,
        )  # fmt: skip
    step_s = float(prm[_P_STEP])
    lit = _shifted_lit_python(first, n, k_steps, offsets, member_ref, member_dt, p_start, p_end, p_hidden, step_s)
    pk = _power_rows(array_per_lit, cos, row, n)
    return _step_tracks_python(lit, pk, prm, b_abs, temp0, q_lim, area, want_usable)


def _tracks(lit, prm, array_per_lit, cos, row, b_abs, temp0, q_lim, area, n_items, want_usable):
    """``_tracks_kernel``, or its Python-mode twin (``orbitgrid._jit``)."""
    if not _jit.python_mode():
        return _tracks_kernel(lit, prm, array_per_lit, cos, row, b_abs, temp0, q_lim, area, n_items, want_usable)
    pk = _power_rows(array_per_lit, cos, row, lit.shape[0])
    return _step_tracks_python(lit, pk, prm, b_abs, temp0, q_lim, area, want_usable)


def _prepare(
    spec: OrbitalDesignSpec,
    n: int,
    k_steps: int,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray | float,
    step_s: float,
    years_at_start: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Everything that does not depend on a track's state, with the spacecraft modules' own functions."""
    if not step_s > 0.0:
        raise ValueError("step_s must be positive")
    p = spec.payload
    params = spec.battery_params()
    sun = np.broadcast_to(np.asarray(sun_distance_m, dtype=np.float64), (k_steps,))
    alt = np.broadcast_to(np.asarray(altitude_m, dtype=np.float64), (n,))
    env = spec.radiator_environment(alt)
    hk = spec.housekeeping_w
    full = p.full_load_w
    years = years_at_start + (np.arange(k_steps) + 0.5) * step_s / SECONDS_PER_YEAR
    bol_w = spec.array_area_m2 * spec.cell_efficiency * spec.packing_factor * power.solar_flux_w_m2(sun)
    d_time = power.time_degradation_factor(years, spec.degradation_per_year)
    d_rad = float(power.radiation_degradation_factor(0.0))
    d_temp = float(power.temperature_factor(power.REFERENCE_CELL_TEMPERATURE_K))
    # at normal incidence; a body-fixed array's cosine is applied per lane by _fill_power
    array_per_lit = np.ascontiguousarray(bol_w * d_time * d_rad * d_temp, dtype=np.float64)
    b_abs = np.ascontiguousarray(np.broadcast_to(thermal.absorbed_flux_w_m2(env), (n,)), dtype=np.float64)
    k_emit = float(thermal.emission_coefficient_w_m2_k4(env))
    temp0 = np.ascontiguousarray(
        np.broadcast_to(thermal.steady_state_temperature_k(hk + full, spec.radiator_area_m2, env), (n,)),
        dtype=np.float64,
    )
    t_lim = float(np.asarray(spec.junction_max_k, dtype=np.float64) - np.asarray(spec.die_to_radiator_k))
    if t_lim <= 0.0:
        raise ValueError("die_to_radiator_k must be smaller than junction_max_k")
    q_lim = np.ascontiguousarray(
        np.broadcast_to(spec.radiator_area_m2 * thermal.radiator_net_flux_w_m2(t_lim, env), (n,)), dtype=np.float64
    )
    eta_c = float(np.asarray(params.charge_efficiency))
    eta_d = float(np.asarray(params.discharge_efficiency))
    kc = float(np.asarray(params.max_charge_c_rate_per_h))
    kd = float(np.asarray(params.max_discharge_c_rate_per_h))
    hours = step_s / SECONDS_PER_HOUR
    heat_c = float(spec.heat_capacity_j_k)
    area = float(spec.radiator_area_m2)
    prm = np.empty(_N_PARAMS)
    prm[_P_STEP] = step_s
    prm[_P_HK] = hk
    prm[_P_FULL] = full
    prm[_P_PA] = p.power_per_accelerator_w
    prm[_P_INV_PA] = 1.0 / p.power_per_accelerator_w
    prm[_P_COUNT] = p.count
    prm[_P_C_DT] = heat_c / step_s
    prm[_P_TLIM] = t_lim
    prm[_P_C0] = spec.battery_capacity_wh
    prm[_P_FLOOR] = 1.0 - spec.depth_of_discharge
    prm[_P_ETA_C] = eta_c
    prm[_P_INV_ETA_C] = 1.0 / eta_c
    prm[_P_ETA_D] = eta_d
    prm[_P_INV_ETA_D] = 1.0 / eta_d
    prm[_P_KC_H] = kc * hours
    prm[_P_KD] = kd
    prm[_P_KD_H] = kd * hours
    prm[_P_FADE] = float(np.asarray(params.fade_per_equivalent_cycle))
    prm[_P_HOURS] = hours
    prm[_P_DIS_SCALE] = eta_d * SECONDS_PER_HOUR / step_s
    prm[_P_HEAT_C] = heat_c
    prm[_P_A4] = area * k_emit * step_s
    prm[_P_DT] = step_s
    prm[_P_GPU_H] = step_s / 3600.0
    return prm, array_per_lit, b_abs, temp0, q_lim, area


def _incidence_rows(
    spec: OrbitalDesignSpec, incidence: ArrayIncidence | None, n: int, k_steps: int, first: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(cos, row)`` for the kernels: no rows for normal incidence, else the shared rows and each selected track's
    row (``row[i]`` for track ``first + i``), with the same checks as the numpy reference."""
    incidence_for(spec, incidence, 0, k_steps, first)  # shape and tracking checks without building (n, K)
    if incidence is None:
        return np.empty((0, k_steps)), np.empty(0, dtype=np.int64)
    if incidence.row.shape[0] < first + n:
        raise ValueError(f"incidence covers {incidence.row.shape[0]} tracks, not {first + n}")
    return incidence.cos, np.ascontiguousarray(incidence.row[first : first + n])


def _n_items(n: int) -> int:
    if _jit.python_mode():  # one pass over all tracks, no threads (and numba stays unloaded)
        return 1
    groups = (n + _LANES - 1) // _LANES
    return max(1, min(groups, _ITEMS_PER_THREAD * _jit.num_threads()))


def _result(out: np.ndarray, steps: np.ndarray, usable: np.ndarray, want_usable: bool) -> TrackCapacity:
    n = out.shape[1]
    k_steps = steps.shape[2]
    sums = steps.sum(axis=0)
    per_track = {name: out[j] for j, name in enumerate(_TRACK_FIELDS)}
    return TrackCapacity(
        **per_track,
        step_usable_gpus=sums[0],
        step_array_w=sums[1],
        step_compute_w=sums[2],
        step_soc_mean=sums[3] / n if n else np.full(k_steps, np.nan),
        step_radiator_mean_k=sums[4] / n if n else np.full(k_steps, np.nan),
        track_usable_gpus=usable if want_usable else None,
        step_tracks=np.full(k_steps, float(n)),
    )


def _life(life_steps: np.ndarray | None, n: int, k_steps: int) -> np.ndarray:
    """Steps each of ``n`` tracks flies, whole numbers in ``[0, k_steps]`` (all ``k_steps`` when not given)."""
    if life_steps is None:
        return np.full(n, k_steps, dtype=np.int64)
    life = np.asarray(life_steps, dtype=np.float64).reshape(-1)
    if life.shape != (n,) or np.any(life < 0) or np.any(life != np.floor(life)):
        raise ValueError(f"life_steps must be {n} whole numbers >= 0")
    return np.minimum(life, k_steps).astype(np.int64)


def survey_life_steps(survey: Survey, step_s: float, n_steps: int, tracks: slice | None = None) -> np.ndarray:
    """Steps each track of ``survey`` flies: all ``n_steps``, or for a track SGP4 lost the whole steps before the
    one holding its loss (``Survey.end_s`` is the last grid instant before it)."""
    sl = tracks if tracks is not None else slice(0, survey.shadow_s.shape[0])
    return np.minimum(np.floor(survey.end_s[sl] / step_s + 1e-9), n_steps).astype(np.int64)


#: ``run(idx, k)``: the kernel on the tracks ``idx`` (of the call's selection) over the first ``k`` steps.
_SubsetRun = Callable[[np.ndarray, int], TrackCapacity]


#: Groups of fewer tracks run their kernel on one thread: a parallel launch costs more than it saves for them (a
#: one-track call took 3 ms on one thread and 80-110 ms on two on this machine at load 13).
SMALL_GROUP_TRACKS = 1_024


def _one_thread_if_small(run: _SubsetRun, idx: np.ndarray, k: int) -> TrackCapacity:
    if idx.size >= SMALL_GROUP_TRACKS or _jit.python_mode():
        return run(idx, k)
    before = _jit.num_threads()
    _jit.set_num_threads(1)
    try:
        return run(idx, k)
    finally:
        _jit.set_num_threads(before)


def _by_life(run: _SubsetRun, life: np.ndarray, k_steps: int, track_usable: bool) -> TrackCapacity:
    """The ``TrackCapacity`` of tracks that fly ``life`` steps each: one kernel call per distinct life (the tracks
    that fly all ``k_steps`` in one), each over its own first steps, put together; tracks that never flew count
    nothing (NaN temperatures and state of charge), and the step means are over the tracks flying in each step."""
    n = life.shape[0]
    if np.all(life == k_steps):
        return run(np.arange(n), k_steps)
    per = {name: np.zeros(n) for name in _TRACK_FIELDS}
    for name in ("radiator_peak_k", "radiator_mean_k", "battery_min_soc"):
        per[name][:] = np.nan
    sums = np.zeros((6, k_steps))  # usable, array, compute, soc x tracks, radiator x tracks, tracks flying
    usable = np.zeros((n, k_steps), dtype=np.int16) if track_usable else None
    for k in np.unique(life[life > 0]).tolist():
        idx = np.flatnonzero(life == k)
        cap = _one_thread_if_small(run, idx, k)
        for name in _TRACK_FIELDS:
            per[name][idx] = getattr(cap, name)
        m = float(idx.size)
        for row, part in enumerate(
            (cap.step_usable_gpus, cap.step_array_w, cap.step_compute_w, cap.step_soc_mean * m,
             cap.step_radiator_mean_k * m, np.full(k, m))
        ):  # fmt: skip
            sums[row, :k] += part
        if usable is not None and cap.track_usable_gpus is not None:
            usable[idx, :k] = cap.track_usable_gpus
    flying = sums[5]
    with np.errstate(invalid="ignore", divide="ignore"):
        soc_mean = np.where(flying > 0, sums[3] / flying, np.nan)
        radiator_mean = np.where(flying > 0, sums[4] / flying, np.nan)
    return TrackCapacity(
        **per,
        step_usable_gpus=sums[0],
        step_array_w=sums[1],
        step_compute_w=sums[2],
        step_soc_mean=soc_mean,
        step_radiator_mean_k=radiator_mean,
        track_usable_gpus=usable,
        step_tracks=flying,
    )


def simulate_tracks_fast(
    spec: OrbitalDesignSpec,
    lit: np.ndarray,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray | float,
    step_s: float,
    years_at_start: float = 0.0,
    *,
    track_usable: bool = False,
    incidence: ArrayIncidence | None = None,
    life_steps: np.ndarray | None = None,
) -> TrackCapacity:
    """``fleet.orbital.simulate_tracks`` compiled: ``lit`` is ``(n, K)``, ``sun_distance_m`` ``(K,)``.

    ``altitude_m`` is a scalar or one value per track. Returns the same ``TrackCapacity``; with ``track_usable``
    it also carries every track's usable accelerators per step, ``(n, K)`` int16. ``incidence`` and
    ``life_steps`` as in the reference (one row index per track of ``lit``, required for a ``body_fixed`` design;
    the steps each track flies, all by default).
    """
    lit = np.ascontiguousarray(lit, dtype=np.float64)
    if not np.isfinite(lit).all():
        raise ValueError("lit fractions must be finite numbers (each is clipped to [0, 1])")
    n, k_steps = lit.shape
    cos, row = _incidence_rows(spec, incidence, n, k_steps)
    sun = np.broadcast_to(np.asarray(sun_distance_m, dtype=np.float64), (k_steps,))
    alt = np.broadcast_to(np.asarray(altitude_m, dtype=np.float64), (n,))

    def run(idx: np.ndarray, k: int) -> TrackCapacity:
        whole = idx.size == n and k == k_steps
        sub = lit if whole else np.ascontiguousarray(lit[idx, :k])
        prm, array_per_lit, b_abs, temp0, q_lim, area = _prepare(
            spec, idx.size, k, sun[:k], alt if whole else alt[idx], float(step_s), years_at_start
        )
        cos_k = cos if whole else np.ascontiguousarray(cos[:, :k])
        row_k = row if whole or row.size == 0 else np.ascontiguousarray(row[idx])
        out, steps, usable = _tracks(
            sub, prm, array_per_lit, cos_k, row_k, b_abs, temp0, q_lim, area, _n_items(idx.size), bool(track_usable)
        )
        return _result(out, steps, usable, track_usable)

    return _by_life(run, _life(life_steps, n, k_steps), k_steps, track_usable)


def passage_offsets(survey: Survey) -> np.ndarray:
    """Row of each track's first passage, ``(n + 1,)``: passages of track ``i`` are ``offsets[i]:offsets[i+1]``."""
    n = survey.shadow_s.shape[0]
    track = survey.track
    if track.size > 1 and np.any(track[1:] < track[:-1]):
        raise ValueError("survey passages must be ordered by track")
    return np.searchsorted(track, np.arange(n + 1)).astype(np.int64)


def simulate_survey_tracks_fast(
    spec: OrbitalDesignSpec,
    survey: Survey,
    n_steps: int,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray | float,
    step_s: float,
    years_at_start: float = 0.0,
    *,
    tracks: slice | None = None,
    track_usable: bool = False,
    intervals: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    incidence: ArrayIncidence | None = None,
) -> TrackCapacity:
    """``simulate_tracks_fast(spec, step_lit_fraction(survey, step_s, n_steps, tracks), ...)`` without the lit array.

    The binning of ``fleet.illumination.step_lit_fraction`` runs inside the kernel, per group of tracks, with the
    same operations, so the results are identical. ``altitude_m`` is a scalar or one value per selected track.
    ``intervals`` — ``(offsets, start_s, end_s, hidden_s)`` from ``survey_intervals`` — saves recomputing them when
    a caller walks one survey in several slices. ``incidence`` covers all the survey's tracks (its rows are read
    for ``tracks``); required for a ``body_fixed`` design. A track SGP4 lost counts only in the steps before the one
    holding its loss (``survey_life_steps``).
    """
    sl = tracks if tracks is not None else slice(0, survey.shadow_s.shape[0])
    n = sl.stop - sl.start
    offsets, start, end, hidden = intervals if intervals is not None else survey_intervals(survey)
    cos, row = _incidence_rows(spec, incidence, n, n_steps, sl.start)
    sun = np.broadcast_to(np.asarray(sun_distance_m, dtype=np.float64), (n_steps,))
    alt = np.broadcast_to(np.asarray(altitude_m, dtype=np.float64), (n,))
    n_tracks = offsets.size - 1

    def run(idx: np.ndarray, k: int) -> TrackCapacity:
        whole = idx.size == n and k == n_steps
        prm, array_per_lit, b_abs, temp0, q_lim, area = _prepare(
            spec, idx.size, k, sun[:k], alt if whole else alt[idx], float(step_s), years_at_start
        )
        # each track is its own reference with no lag: the shifted kernel's binning with a zero shift is the same
        # arithmetic; a subset names its tracks through member_ref (first = 0)
        if whole:
            first, ref, lag = sl.start, np.arange(n_tracks, dtype=np.int64), np.zeros(n_tracks)
            cos_k, row_k = cos, row
        else:
            first, ref, lag = 0, (sl.start + idx).astype(np.int64), np.zeros(idx.size)
            cos_k = np.ascontiguousarray(cos[:, :k])
            row_k = row if row.size == 0 else np.ascontiguousarray(row[idx])
        out, steps, usable = _shifted_tracks(
            first, idx.size, k, offsets, ref, lag, start, end, hidden, prm, array_per_lit, cos_k, row_k, b_abs,
            temp0, q_lim, area, _n_items(idx.size), bool(track_usable),
        )  # fmt: skip
        return _result(out, steps, usable, track_usable)

    return _by_life(
        run, _life(survey_life_steps(survey, float(step_s), n_steps, sl), n, n_steps), n_steps, track_usable
    )


def survey_intervals(survey: Survey) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(offsets, start_s, end_s, hidden_s)``: what ``simulate_survey_tracks_fast`` reads from a survey."""
    start, end = hidden_intervals(survey)
    hidden = np.nan_to_num(survey.passages["shadow_s"])
    return (
        passage_offsets(survey),
        np.ascontiguousarray(start, dtype=np.float64),
        np.ascontiguousarray(end, dtype=np.float64),
        np.ascontiguousarray(hidden, dtype=np.float64),
    )


def simulate_shifted_tracks_fast(
    spec: OrbitalDesignSpec,
    shifted: ShiftedShell,
    n_steps: int,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray | float,
    step_s: float,
    years_at_start: float = 0.0,
    *,
    tracks: slice | None = None,
    track_usable: bool = False,
    intervals: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    incidence: ArrayIncidence | None = None,
) -> TrackCapacity:
    """``simulate_survey_tracks_fast`` for a shell surveyed through reference tracks (``ShiftedShell``).

    Each member's step-mean sunlight is binned from its reference's passages moved ``member_dt_s`` earlier, inside
    the kernel: no per-member passage is ever stored. A passage cut by the window's edge keeps the reference's
    hidden-time density over the part inside (the per-satellite survey integrates that part again; the two differ
    by the penumbral asymmetry, well below a second of hidden time). ``intervals`` is
    ``shifted.intervals()``, to share between slices. ``incidence`` covers all the shell's tracks, as in
    ``simulate_survey_tracks_fast``; the body-fixed incidence depends on the plane only, so the shift leaves it
    exact.
    """
    sl = tracks if tracks is not None else slice(0, shifted.member_ref.shape[0])
    n = sl.stop - sl.start
    start, end, hidden = intervals if intervals is not None else shifted.intervals()
    cos, row = _incidence_rows(spec, incidence, n, n_steps, sl.start)
    prm, array_per_lit, b_abs, temp0, q_lim, area = _prepare(
        spec, n, n_steps, sun_distance_m, altitude_m, float(step_s), years_at_start
    )
    out, steps, usable = _shifted_tracks(
        sl.start, n, n_steps, shifted.offsets, shifted.member_ref, shifted.member_dt_s, start, end, hidden, prm,
        array_per_lit, cos, row, b_abs, temp0, q_lim, area, _n_items(n), bool(track_usable),
    )  # fmt: skip
    return _result(out, steps, usable, track_usable)


@kernel(cache=True, parallel=True, error_model="numpy")
def _shifted_lit_kernel(first, n, k_steps, offsets, member_ref, member_dt, p_start, p_end, p_hidden, step_s):
    out = np.empty((n, k_steps))
    inv_step = 1.0 / step_s
    for i in prange(n):
        lit_kb = np.zeros(k_steps * _LANES)
        m = first + i
        r = member_ref[m]
        _bin_track(lit_kb, 0, offsets[r], offsets[r + 1], member_dt[m], p_start, p_end, p_hidden, step_s, inv_step)
        for k in range(k_steps):
            out[i, k] = lit_kb[k * _LANES]
    return out


def shifted_lit_fraction(shifted: ShiftedShell, step_s: float, n_steps: int, tracks: slice | None = None) -> np.ndarray:
    """The step-mean lit fractions ``simulate_shifted_tracks_fast`` steps with, ``(n_tracks, n_steps)`` (for checks;
    the kernel itself never builds this array)."""
    sl = tracks if tracks is not None else slice(0, shifted.member_ref.shape[0])
    start, end, hidden = shifted.intervals()
    return _shifted_lit_kernel(
        sl.start, sl.stop - sl.start, n_steps, shifted.offsets, shifted.member_ref, shifted.member_dt_s, start, end,
        hidden, float(step_s),
    )  # fmt: skip
