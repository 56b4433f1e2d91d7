"""Fused, compiled per-track stepping: the numba twin of ``fleet.orbital.simulate_tracks``.

Same model, same constants, same order of floating-point operations as the numpy reference (array power ->
heat cap -> battery policy -> whole-accelerator rounding -> battery step -> backward-Euler radiator step), but
each satellite is stepped through time in registers: a ``prange`` over blocks of satellites, a sequential loop over
steps per satellite. Per-track totals are therefore bit-identical to the reference whenever the radiator's Newton
solve lands on the same double (the reference iterates every track until the slowest converges; here each track
stops at its own convergence, which can move the last bit). The per-step sums over tracks are accumulated per block
of satellites into ``(n_blocks, 5, K)`` and summed afterwards, so they differ from numpy's pairwise sums by
rounding only.

Everything that does not depend on the track's state (solar flux and array ageing per step, the radiator's
emission coefficient, absorbed flux, starting temperature and the heat the panel rejects at its limit temperature
per track) is computed once, in Python, with the spacecraft modules' own functions.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from orbitgrid.fleet.orbital import (
    CONDITIONING_EFFICIENCY,
    SECONDS_PER_YEAR,
    OrbitalDesignSpec,
    TrackCapacity,
)
from orbitgrid.spacecraft import power, thermal
from orbitgrid.spacecraft.battery import SECONDS_PER_HOUR
from orbitgrid.spacecraft.thermal import _NEWTON_MAX_ITER, _NEWTON_RTOL

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
#: Blocks of satellites per thread for the per-step sums (bounds the ``(n_blocks, 5, K)`` accumulator).
_BLOCKS_PER_THREAD = 8


# --- scalar translations of the spacecraft functions (same operations, same order) ---------------------------


@nb.njit(cache=True, error_model="numpy", inline="always")
def _array_power_w(bol_w, lit, cos_i, d_time, d_rad, d_temp):
    """``power.power_breakdown(...).array_w`` for one track and step: ``bol * lit * cos * D_time * D_rad * D_temp``."""
    f = min(max(lit, 0.0), 1.0)
    return bol_w * f * cos_i * d_time * d_rad * d_temp


@nb.njit(cache=True, error_model="numpy", inline="always")
def _max_load_w(t0, dt, heat_capacity, t_lim, rejected_at_limit_w):
    """``thermal.max_load_w``: ``C (T_lim - T0) / dt + A q_net(T_lim)`` (the second term precomputed per track)."""
    return heat_capacity * (t_lim - t0) / dt + rejected_at_limit_w


@nb.njit(cache=True, error_model="numpy", inline="always")
def _max_discharge_w(energy, cap, dod, eta_d, kd, dt):
    """``battery.max_discharge_w`` for one track."""
    above_floor_wh = max(energy - (1.0 - dod) * cap, 0.0)
    rate_w = kd * cap
    return min(rate_w, above_floor_wh * eta_d * SECONDS_PER_HOUR / dt)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _serve_compute_w(bus_w, hk_w, req_w, energy, cap, dod, eta_d, kd, dt):
    """``battery.serve_compute(...).compute_w`` for one track (no reserve)."""
    bus = max(bus_w, 0.0)
    hk = max(hk_w, 0.0)
    req = max(req_w, 0.0)
    hk_from_array = min(bus, hk)
    hk_short = hk - hk_from_array
    array_left = bus - hk_from_array
    battery_max = _max_discharge_w(energy, cap, dod, eta_d, kd, dt)
    hk_from_battery = min(hk_short, battery_max)
    lo = (1.0 - dod) * cap + 0.0
    above_reserve_w = max(energy - lo, 0.0) * eta_d
    above_reserve_w = above_reserve_w * SECONDS_PER_HOUR / dt
    battery_for_compute = max(min(battery_max - hk_from_battery, above_reserve_w - hk_from_battery), 0.0)
    return min(req, array_left + battery_for_compute)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _accelerators_for_power(power_w, per_accelerator_w, count):
    """``Payload.accelerators_for_power``: whole accelerators a budget runs, at most ``count`` (a float)."""
    n = np.floor(max(power_w, 0.0) / per_accelerator_w + 1e-9)
    return min(n, count)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _battery_step(energy, cap, thru, c0, dod, eta_c, eta_d, kc, kd, fade, available_w, load_w, hours):
    """``battery.step`` for one track: returns the new state and the closure residual of the step."""
    lo0 = (1.0 - dod) * cap
    harvested = max(available_w, 0.0) * hours
    demand = max(load_w, 0.0) * hours
    direct = min(harvested, demand)
    surplus = harvested - direct
    deficit = demand - direct
    room_bus = max(cap - energy, 0.0) / eta_c
    charged = min(min(surplus, kc * cap * hours), room_bus)
    above_floor_bus = max(energy - lo0, 0.0) * eta_d
    rate_bus = kd * cap * hours
    discharged = min(min(deficit, rate_bus), above_floor_bus)
    into_cells = eta_c * charged
    out_of_cells = discharged / eta_d
    e1 = energy + into_cells - out_of_cells
    e1 = max(e1, min(energy, lo0))
    q1 = thru + into_cells + out_of_cells
    cap1 = max(c0 - fade * q1 * 0.5, 0.0)
    fade_lost = max(e1 - cap1, 0.0)
    e1 = e1 - fade_lost
    lost = (charged - into_cells) + (out_of_cells - discharged) + fade_lost
    delivered = direct + discharged
    closure = harvested - delivered - (e1 - energy) - lost - (surplus - charged)
    return e1, cap1, q1, harvested, closure


@nb.njit(cache=True, error_model="numpy", inline="always")
def _step_temperature(t0, load_w, dt, heat_capacity, area, k_emit, b_abs):
    """``thermal.step_temperature`` for one track: backward Euler, Newton from ``max(T0, T_ss)`` (from above)."""
    t_ss = ((load_w / area + b_abs) / k_emit) ** 0.25
    a4 = area * k_emit * dt
    rhs = heat_capacity * t0 + dt * (load_w + area * b_abs)
    t = max(t0, t_ss)
    for _ in range(_NEWTON_MAX_ITER):
        t3 = t * t * t
        g = heat_capacity * t + a4 * t3 * t - rhs
        dg = heat_capacity + 4.0 * a4 * t3
        step = g / dg if dg > 0.0 else 0.0
        t = t - step
        if abs(step) <= _NEWTON_RTOL * abs(t):
            break
    return t


# --- the fused kernel ------------------------------------------------------------------------------------------


@nb.njit(cache=True, parallel=True, error_model="numpy")
def _tracks_kernel(
    lit,
    bol_w,
    d_time,
    cos_i,
    d_rad,
    d_temp,
    b_abs,
    temp0,
    rejected_at_limit_w,
    n_blocks,
    step_s,
    conditioning,
    hk,
    full,
    per_accelerator_w,
    count,
    heat_capacity,
    area,
    k_emit,
    t_lim,
    c0,
    dod,
    eta_c,
    eta_d,
    kc,
    kd,
    fade,
):
    n, k_steps = lit.shape
    out = np.zeros((10, n))
    steps = np.zeros((n_blocks, 5, k_steps))
    hours = step_s / SECONDS_PER_HOUR
    per_block = (n + n_blocks - 1) // n_blocks
    for blk in nb.prange(n_blocks):
        acc = steps[blk]
        for i in range(blk * per_block, min(n, (blk + 1) * per_block)):
            temp = temp0[i]
            b = b_abs[i]
            q_lim = rejected_at_limit_w[i]
            energy = c0
            cap = c0
            thru = 0.0
            harvested_sum = 0.0
            delivered_sum = 0.0
            gpu_h = 0.0
            thr_ecl = 0.0
            thr_arr = 0.0
            thr_heat = 0.0
            mean_t = 0.0
            closure_sum = 0.0
            peak = temp
            min_soc = 1.0
            for k in range(k_steps):
                lit_k = lit[i, k]
                array_w = _array_power_w(bol_w[k], lit_k, cos_i, d_time[k], d_rad, d_temp)
                bus_w = conditioning * array_w
                heat_cap = _max_load_w(temp, step_s, heat_capacity, t_lim, q_lim)
                requested = min(max(heat_cap - hk, 0.0), full)
                served = _serve_compute_w(bus_w, hk, requested, energy, cap, dod, eta_d, kd, step_s)
                gpus = _accelerators_for_power(served, per_accelerator_w, count)
                compute_w = gpus * per_accelerator_w
                energy, cap, thru, harvested, closure = _battery_step(
                    energy, cap, thru, c0, dod, eta_c, eta_d, kc, kd, fade, bus_w, hk + compute_w, hours
                )
                temp = _step_temperature(temp, hk + compute_w, step_s, heat_capacity, area, k_emit, b)
                if gpus < count:
                    if requested < full:
                        thr_heat += step_s
                    elif lit_k < 1.0:
                        thr_ecl += step_s
                    else:
                        thr_arr += step_s
                harvested_sum += harvested
                delivered_sum += compute_w * step_s / 3600.0
                gpu_h += gpus * step_s / 3600.0
                mean_t += temp / k_steps
                closure_sum += closure
                peak = max(peak, temp)
                soc = energy / max(cap, 1e-12)
                min_soc = min(min_soc, soc)
                acc[0, k] += gpus
                acc[1, k] += array_w
                acc[2, k] += compute_w
                acc[3, k] += soc
                acc[4, k] += temp
            out[0, i] = harvested_sum
            out[1, i] = delivered_sum
            out[2, i] = gpu_h
            out[3, i] = thr_ecl
            out[4, i] = thr_arr
            out[5, i] = thr_heat
            out[6, i] = peak
            out[7, i] = mean_t
            out[8, i] = min_soc
            out[9, i] = closure_sum
    return out, steps


def simulate_tracks_fast(
    spec: OrbitalDesignSpec,
    lit: np.ndarray,
    sun_distance_m: np.ndarray,
    altitude_m: np.ndarray,
    step_s: float,
    years_at_start: float = 0.0,
) -> TrackCapacity:
    """``fleet.orbital.simulate_tracks`` compiled: ``lit`` is ``(n, K)``, ``sun_distance_m`` ``(K,)``.

    ``altitude_m`` is a scalar or one value per track. Returns the same ``TrackCapacity``.
    """
    lit = np.ascontiguousarray(lit, dtype=np.float64)
    n, k_steps = lit.shape
    if not step_s > 0.0:
        raise ValueError("step_s must be positive")
    p = spec.payload
    params = spec.battery_params()
    sun = np.broadcast_to(np.asarray(sun_distance_m, dtype=np.float64), (k_steps,))
    alt = np.broadcast_to(np.asarray(altitude_m, dtype=np.float64), (n,))
    env = spec.radiator_environment(alt)
    hk = spec.housekeeping_w
    full = p.full_load_w
    # state-independent factors, with the reference's own functions and argument shapes (scalar per step)
    area = np.asarray(spec.array_area_m2, dtype=np.float64)
    eta = np.asarray(spec.cell_efficiency, dtype=np.float64)
    pack = np.asarray(spec.packing_factor, dtype=np.float64)
    bol_w = np.empty(k_steps)
    d_time = np.empty(k_steps)
    for k in range(k_steps):
        years = years_at_start + (k + 0.5) * step_s / SECONDS_PER_YEAR
        bol_w[k] = area * eta * pack * power.solar_flux_w_m2(sun[k])
        d_time[k] = power.time_degradation_factor(years, spec.degradation_per_year)
    cos_i = float(np.clip(1.0, 0.0, 1.0))
    d_rad = float(power.radiation_degradation_factor(0.0))
    d_temp = float(power.temperature_factor(power.REFERENCE_CELL_TEMPERATURE_K))
    b_abs = np.ascontiguousarray(np.broadcast_to(thermal.absorbed_flux_w_m2(env), (n,)), dtype=np.float64)
    k_emit = float(thermal.emission_coefficient_w_m2_k4(env))
    temp0 = np.ascontiguousarray(
        np.broadcast_to(thermal.steady_state_temperature_k(hk + full, spec.radiator_area_m2, env), (n,)),
        dtype=np.float64,
    )
    t_lim = float(np.asarray(spec.junction_max_k, dtype=np.float64) - np.asarray(spec.die_to_radiator_k))
    if t_lim <= 0.0:
        raise ValueError("die_to_radiator_k must be smaller than junction_max_k")
    rejected = np.ascontiguousarray(
        np.broadcast_to(spec.radiator_area_m2 * thermal.radiator_net_flux_w_m2(t_lim, env), (n,)), dtype=np.float64
    )
    n_blocks = max(1, min(n, _BLOCKS_PER_THREAD * nb.get_num_threads()))
    out, steps = _tracks_kernel(
        lit,
        bol_w,
        d_time,
        cos_i,
        d_rad,
        d_temp,
        b_abs,
        temp0,
        rejected,
        n_blocks,
        float(step_s),
        CONDITIONING_EFFICIENCY,
        float(hk),
        float(full),
        float(p.power_per_accelerator_w),
        float(p.count),
        float(spec.heat_capacity_j_k),
        float(spec.radiator_area_m2),
        k_emit,
        t_lim,
        float(spec.battery_capacity_wh),
        float(spec.depth_of_discharge),
        float(np.asarray(params.charge_efficiency)),
        float(np.asarray(params.discharge_efficiency)),
        float(np.asarray(params.max_charge_c_rate_per_h)),
        float(np.asarray(params.max_discharge_c_rate_per_h)),
        float(np.asarray(params.fade_per_equivalent_cycle)),
    )
    sums = steps.sum(axis=0)
    per_track = {name: out[j] for j, name in enumerate(_TRACK_FIELDS)}
    return TrackCapacity(
        **per_track,
        step_usable_gpus=sums[0],
        step_array_w=sums[1],
        step_compute_w=sums[2],
        step_soc_mean=sums[3] / n if n else np.full(k_steps, np.nan),
        step_radiator_mean_k=sums[4] / n if n else np.full(k_steps, np.nan),
    )
