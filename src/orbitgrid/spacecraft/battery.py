"""Battery state of charge over a time grid, with exact energy bookkeeping, and the compute-serving policy.

Model
-----
The battery holds ``E`` (Wh, cell side) between a floor ``(1 - DoD) C`` and its present capacity ``C``. Each step
of ``dt`` seconds, with bus power ``P_av`` from the array (after conditioning, see ``power.py``) and bus load
``P_load`` (housekeeping plus compute), all in energies ``A = P_av dt``, ``L = P_load dt``:

1. The array feeds the load directly: ``direct = min(A, L)``.
2. A surplus ``A - direct`` charges the battery. Taken from the bus: ``c = min(surplus, k_c C dt, (C - E) / eta_c)``;
   stored: ``eta_c c``; lost: ``(1 - eta_c) c``. What is left of the surplus is **curtailed** (the regulator
   sheds it: battery full or charge rate at its limit).
3. A deficit ``L - direct`` is drawn from the battery. Delivered to the bus: ``d = min(deficit, k_d C dt,
   (E - floor) eta_d)``; taken from the cells: ``d / eta_d``; lost: ``d (1/eta_d - 1)``. What is left of the
   deficit is **unmet** load.
4. Capacity fade. Cell-side throughput ``Q`` accumulates ``eta_c c + d / eta_d``; the equivalent full cycles are
   ``N_eq = Q / (2 C0)`` (one full cycle moves ``C0`` in and ``C0`` out; ``C0`` the nominal capacity), and the
   capacity fades linearly, ``C = C0 max(0, 1 - f N_eq)``. Stored energy above the new capacity is dropped and
   counted as lost (``fade_lost_wh``).

Charging and discharging never happen in the same step. The bookkeeping closes exactly, step by step:
``harvested = delivered + dE_stored + lost + curtailed`` with ``lost`` = charge loss + discharge loss + fade loss
(to rounding, ~1e-16 relative per step).

Parameters and sources
----------------------
- One-way efficiencies ``eta_c = eta_d = 0.95`` (round trip 0.90): Li-ion energy round trip is quoted at 85-95 %
  (energea.com glossary; Tesla Powerwall 92.5 %, list.solar), Saft notes its space cells' high recharge efficiency
  (Electronics Weekly interview, 2008). Confidence M; the round trip of a whole space battery with its harness
  is lower (SMAD, Wertz & Larson 1999, sec. 11.4, path efficiencies 0.60-0.65 through the battery vs 0.80-0.85
  direct, older hardware).
- C-rate limits ``k_c = 0.5 /h`` (charge), ``k_d = 1.0 /h`` (discharge): orbitgrid assumptions; a 35-minute LEO
  eclipse at 30 % DoD needs ~0.5 C, and Saft rates its VES180 cell's energy at C/1.5.
- Depth of discharge default 0.8, as ``Battery.depth_of_discharge`` in the scenario models.
- Fade ``f = 2.42e-5`` per equivalent full cycle: Saft's VES180 specification allows < 20 % energy loss from
  cycling after 5 years in LEO at 30 % DoD (ESA ARTES project page "Development of High specific energy Li-Ion
  cell"), and a LEO satellite sees ~5,500 eclipses a year (Dudley & Verniolle, ESA Bulletin 90, 1997):
  ``0.20 / (5 x 5,500 x 0.30)``. The specification is an upper bound, so this fade is pessimistic for that cell;
  its GEO figure (< 2 % after 15 years at 90 % DoD, ~1,200 equivalent cycles, 1.7e-5 per cycle) is of the same
  order. GS Yuasa report 40,000 LEO cycles at 25 % DoD for their large space cells (JAXA Space Energy Symposium,
  2008).

Validity
--------
An energy-reservoir model: no voltage, current or internal resistance (losses are a fixed fraction of the energy
moved), no temperature, no self-discharge or calendar ageing, and fade linear in equivalent cycles whatever the
depth (shallow cycles age less per equivalent cycle in reality, deep ones more); calibrated at 30 % DoD. Rates are
step averages, so a step should be short against an eclipse (60 s steps resolve a 35-minute eclipse to 3 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

SECONDS_PER_HOUR = 3600.0

#: One-way charge and discharge efficiencies (see the module docstring).
DEFAULT_CHARGE_EFFICIENCY = 0.95
DEFAULT_DISCHARGE_EFFICIENCY = 0.95

#: Charge and discharge rate limits, multiples of the present capacity per hour (C-rates).
DEFAULT_MAX_CHARGE_C_RATE = 0.5
DEFAULT_MAX_DISCHARGE_C_RATE = 1.0

#: Usable fraction of the capacity, as the scenario's ``Battery.depth_of_discharge`` default.
DEFAULT_DEPTH_OF_DISCHARGE = 0.8

#: Eclipses a year for a LEO satellite (Dudley & Verniolle, ESA Bulletin 90, 1997).
LEO_ECLIPSES_PER_YEAR = 5500.0

#: Fractional capacity lost per equivalent full cycle: Saft VES180, < 20 % after 5 years of LEO at 30 % DoD.
DEFAULT_FADE_PER_EQUIVALENT_CYCLE = 0.20 / (5.0 * LEO_ECLIPSES_PER_YEAR * 0.30)


def _f64(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True)
class BatteryParams:
    """Battery of each satellite; every field is a float or an array broadcasting against the satellites.

    ``capacity_wh`` is the nominal (beginning-of-life) capacity ``C0``; 0 means no battery.
    """

    capacity_wh: ArrayLike
    depth_of_discharge: ArrayLike = DEFAULT_DEPTH_OF_DISCHARGE
    charge_efficiency: ArrayLike = DEFAULT_CHARGE_EFFICIENCY
    discharge_efficiency: ArrayLike = DEFAULT_DISCHARGE_EFFICIENCY
    max_charge_c_rate_per_h: ArrayLike = DEFAULT_MAX_CHARGE_C_RATE
    max_discharge_c_rate_per_h: ArrayLike = DEFAULT_MAX_DISCHARGE_C_RATE
    fade_per_equivalent_cycle: ArrayLike = DEFAULT_FADE_PER_EQUIVALENT_CYCLE


@dataclass(frozen=True)
class BatteryState:
    """Stored energy ``energy_wh`` (cell side), present capacity ``capacity_wh``, cell-side throughput so far."""

    energy_wh: np.ndarray
    capacity_wh: np.ndarray
    throughput_wh: np.ndarray


@dataclass(frozen=True)
class StepResult:
    """One step's energy flows (Wh unless the name says W) and the new state.

    ``harvested_wh`` = bus energy offered by the array; ``delivered_w`` average power delivered to the load;
    ``charged_wh`` taken from the bus into the battery; ``discharged_wh`` delivered by the battery to the bus;
    ``stored_delta_wh`` change of stored energy; ``lost_wh`` charge, discharge and fade losses, of which
    ``fade_lost_wh`` is energy dropped because the capacity shrank below it; ``curtailed_wh`` array energy neither
    used nor stored; ``unmet_wh`` load not served.
    """

    harvested_wh: np.ndarray
    delivered_w: np.ndarray
    delivered_wh: np.ndarray
    charged_wh: np.ndarray
    discharged_wh: np.ndarray
    stored_delta_wh: np.ndarray
    lost_wh: np.ndarray
    fade_lost_wh: np.ndarray
    curtailed_wh: np.ndarray
    unmet_wh: np.ndarray
    state: BatteryState


def floor_wh(capacity_wh: ArrayLike, depth_of_discharge: ArrayLike) -> np.ndarray:
    """Lowest allowed stored energy ``(1 - DoD) C``."""
    return (1.0 - _f64(depth_of_discharge)) * _f64(capacity_wh)


def faded_capacity_wh(params: BatteryParams, throughput_wh: ArrayLike) -> np.ndarray:
    """Capacity after cell-side throughput ``Q``: ``C0 max(0, 1 - f Q / (2 C0)) = max(0, C0 - f Q / 2)``."""
    c0 = _f64(params.capacity_wh)
    return np.maximum(c0 - _f64(params.fade_per_equivalent_cycle) * _f64(throughput_wh) * 0.5, 0.0)


def equivalent_full_cycles(state: BatteryState, params: BatteryParams) -> np.ndarray:
    """``Q / (2 C0)``: cell-side throughput over twice the nominal capacity (0 where there is no battery)."""
    c0 = _f64(params.capacity_wh)
    q = np.broadcast_to(_f64(state.throughput_wh), np.broadcast_shapes(c0.shape, np.shape(state.throughput_wh)))
    return np.divide(q, 2.0 * c0, out=np.zeros(q.shape), where=c0 > 0.0)


def initial_state(params: BatteryParams, state_of_charge: ArrayLike = 1.0, shape: tuple[int, ...] = ()) -> BatteryState:
    """A fresh battery at ``state_of_charge`` (fraction of capacity), clipped to ``[floor, capacity]``.

    ``shape`` broadcasts the state (e.g. ``(n_satellites,)``) when every parameter is a scalar.
    """
    c0 = _f64(params.capacity_wh)
    full_shape = np.broadcast_shapes(shape, c0.shape, np.shape(state_of_charge), np.shape(params.depth_of_discharge))
    cap = np.broadcast_to(c0, full_shape).astype(np.float64)
    lo = floor_wh(cap, params.depth_of_discharge)
    energy = np.clip(_f64(state_of_charge) * cap, lo, cap)
    return BatteryState(energy_wh=energy, capacity_wh=cap, throughput_wh=np.zeros(full_shape))


def max_discharge_w(state: BatteryState, params: BatteryParams, dt_s: ArrayLike) -> np.ndarray:
    """Most bus power the battery can give over the next ``dt_s``: C-rate limit, and the energy above the floor."""
    cap, e = _f64(state.capacity_wh), _f64(state.energy_wh)
    above_floor_wh = np.maximum(e - floor_wh(cap, params.depth_of_discharge), 0.0)
    rate_w = _f64(params.max_discharge_c_rate_per_h) * cap
    return np.minimum(rate_w, above_floor_wh * _f64(params.discharge_efficiency) * SECONDS_PER_HOUR / _f64(dt_s))


def max_charge_w(state: BatteryState, params: BatteryParams, dt_s: ArrayLike) -> np.ndarray:
    """Most bus power the battery can take over the next ``dt_s``: C-rate limit, and the room below capacity."""
    cap, e = _f64(state.capacity_wh), _f64(state.energy_wh)
    room_wh = np.maximum(cap - e, 0.0)
    rate_w = _f64(params.max_charge_c_rate_per_h) * cap
    return np.minimum(rate_w, room_wh / _f64(params.charge_efficiency) * SECONDS_PER_HOUR / _f64(dt_s))


def _check_dt(dt_s: np.ndarray) -> None:
    if np.any(~(dt_s > 0.0)):
        raise ValueError("time steps dt_s must be positive")


def step(
    state: BatteryState, params: BatteryParams, available_w: ArrayLike, load_w: ArrayLike, dt_s: ArrayLike
) -> StepResult:
    """Advance every satellite's battery by ``dt_s`` seconds (see the module docstring for the rule).

    ``available_w`` is the array's bus power after conditioning and ``load_w`` the whole bus load (housekeeping
    plus compute), both averages over the step; negative values count as 0. Arrays broadcast together.
    """
    dt = _f64(dt_s)
    _check_dt(dt)
    hours = dt / SECONDS_PER_HOUR
    eta_c, eta_d = _f64(params.charge_efficiency), _f64(params.discharge_efficiency)
    e0, cap0, q0 = _f64(state.energy_wh), _f64(state.capacity_wh), _f64(state.throughput_wh)
    lo0 = floor_wh(cap0, params.depth_of_discharge)

    harvested = np.maximum(_f64(available_w), 0.0) * hours
    demand = np.maximum(_f64(load_w), 0.0) * hours
    direct = np.minimum(harvested, demand)
    surplus = harvested - direct
    deficit = demand - direct

    room_bus = np.maximum(cap0 - e0, 0.0) / eta_c
    charged = np.minimum(np.minimum(surplus, _f64(params.max_charge_c_rate_per_h) * cap0 * hours), room_bus)
    above_floor_bus = np.maximum(e0 - lo0, 0.0) * eta_d
    rate_bus = _f64(params.max_discharge_c_rate_per_h) * cap0 * hours
    discharged = np.minimum(np.minimum(deficit, rate_bus), above_floor_bus)

    into_cells = eta_c * charged
    out_of_cells = discharged / eta_d
    e1 = e0 + into_cells - out_of_cells
    e1 = np.maximum(e1, np.minimum(e0, lo0))  # rounding only: a floor-limited discharge lands on the floor
    q1 = q0 + into_cells + out_of_cells
    cap1 = faded_capacity_wh(params, q1)
    fade_lost = np.maximum(e1 - cap1, 0.0)
    e1 = e1 - fade_lost

    lost = (charged - into_cells) + (out_of_cells - discharged) + fade_lost
    delivered = direct + discharged
    shape = np.broadcast_shapes(e1.shape, harvested.shape, demand.shape, cap1.shape)

    def full(x: np.ndarray) -> np.ndarray:
        return np.array(np.broadcast_to(x, shape), dtype=np.float64)

    new_state = BatteryState(energy_wh=full(e1), capacity_wh=full(cap1), throughput_wh=full(q1))
    return StepResult(
        harvested_wh=full(harvested),
        delivered_w=full(delivered / hours),
        delivered_wh=full(delivered),
        charged_wh=full(charged),
        discharged_wh=full(discharged),
        stored_delta_wh=full(e1 - e0),
        lost_wh=full(lost),
        fade_lost_wh=full(fade_lost),
        curtailed_wh=full(surplus - charged),
        unmet_wh=full(deficit - discharged),
        state=new_state,
    )


@dataclass(frozen=True)
class Simulation:
    """Time series from ``simulate``: every array has the time axis first, ``(n_steps, ...)``.

    ``energy_wh`` and ``capacity_wh`` are the values at the end of each step; the other series are the
    ``StepResult`` fields of the same name.
    """

    harvested_wh: np.ndarray
    delivered_w: np.ndarray
    charged_wh: np.ndarray
    discharged_wh: np.ndarray
    lost_wh: np.ndarray
    fade_lost_wh: np.ndarray
    curtailed_wh: np.ndarray
    unmet_wh: np.ndarray
    energy_wh: np.ndarray
    capacity_wh: np.ndarray
    initial: BatteryState
    final: BatteryState


def simulate(
    params: BatteryParams,
    available_w: ArrayLike,
    load_w: ArrayLike,
    dt_s: ArrayLike,
    initial: BatteryState | None = None,
) -> Simulation:
    """Run ``step`` over a whole series (the oracle for the compiled kernel).

    ``available_w`` and ``load_w`` broadcast together to ``(n_steps, ...)``, time axis first (a ``(n_sat,)`` array
    is constant in time); ``dt_s`` is a scalar or one value per step; ``initial`` defaults to a full battery.
    """
    avail, load = np.broadcast_arrays(_f64(available_w), _f64(load_w))
    if avail.ndim == 0:
        raise ValueError("available_w or load_w needs a time axis")
    n_steps = avail.shape[0]
    dt_all = np.broadcast_to(_f64(dt_s), (n_steps,))
    _check_dt(dt_all)
    if initial is None:
        initial = initial_state(params, 1.0, avail.shape[1:])
    state = initial
    names = (
        "harvested_wh",
        "delivered_w",
        "charged_wh",
        "discharged_wh",
        "lost_wh",
        "fade_lost_wh",
        "curtailed_wh",
        "unmet_wh",
    )
    series: dict[str, list[np.ndarray]] = {k: [] for k in (*names, "energy_wh", "capacity_wh")}
    for i in range(n_steps):
        res = step(state, params, avail[i], load[i], dt_all[i])
        for k in names:
            series[k].append(getattr(res, k))
        state = res.state
        series["energy_wh"].append(state.energy_wh)
        series["capacity_wh"].append(state.capacity_wh)
    stacked = {k: np.stack(np.broadcast_arrays(*v)) if v else np.zeros((0,)) for k, v in series.items()}
    return Simulation(**stacked, initial=initial, final=state)


@dataclass(frozen=True)
class ComputeDecision:
    """What ``serve_compute`` decided for one step.

    ``compute_w`` compute power served; ``throttled`` True where it is below the request; ``served_fraction``
    served over requested (1 where nothing was requested); ``load_w`` housekeeping plus compute, the load to pass
    to ``step``; ``battery_w`` the bus power the battery is planned to give; ``housekeeping_unmet_w`` housekeeping
    power that neither array nor battery can supply (compute is then 0).
    """

    compute_w: np.ndarray
    throttled: np.ndarray
    served_fraction: np.ndarray
    load_w: np.ndarray
    battery_w: np.ndarray
    housekeeping_unmet_w: np.ndarray


def serve_compute(
    bus_w: ArrayLike,
    housekeeping_w: ArrayLike,
    requested_compute_w: ArrayLike,
    state: BatteryState,
    params: BatteryParams,
    dt_s: ArrayLike,
    reserve_wh: ArrayLike = 0.0,
) -> ComputeDecision:
    """Decide the compute power a satellite can serve this step (pure; vectorised over satellites).

    Rule: housekeeping comes first, from the array and then the battery. Compute takes the array power left
    (``bus_w`` is the array's bus power after conditioning), then the battery for the shortfall, down to the
    depth-of-discharge floor plus ``reserve_wh`` (energy kept back for housekeeping, e.g. through the next eclipse)
    and within the discharge C-rate. Beyond that compute is throttled. Feeding ``load_w`` to ``step`` with the same
    state leaves no unmet load unless housekeeping alone exceeds the supply.
    """
    dt = _f64(dt_s)
    _check_dt(dt)
    bus = np.maximum(_f64(bus_w), 0.0)
    hk = np.maximum(_f64(housekeeping_w), 0.0)
    req = np.maximum(_f64(requested_compute_w), 0.0)

    hk_from_array = np.minimum(bus, hk)
    hk_short = hk - hk_from_array
    array_left = bus - hk_from_array
    battery_max = max_discharge_w(state, params, dt)
    hk_from_battery = np.minimum(hk_short, battery_max)
    lo = floor_wh(state.capacity_wh, params.depth_of_discharge) + np.maximum(_f64(reserve_wh), 0.0)
    above_reserve_w = np.maximum(_f64(state.energy_wh) - lo, 0.0) * _f64(params.discharge_efficiency)
    above_reserve_w = above_reserve_w * SECONDS_PER_HOUR / dt
    battery_for_compute = np.clip(
        np.minimum(battery_max - hk_from_battery, above_reserve_w - hk_from_battery), 0.0, None
    )
    compute = np.minimum(req, array_left + battery_for_compute)
    battery_w = hk_from_battery + np.maximum(compute - array_left, 0.0)
    shape = np.broadcast_shapes(compute.shape, hk.shape, battery_w.shape)
    served = np.divide(compute, req, out=np.ones(np.broadcast_shapes(compute.shape, req.shape)), where=req > 0.0)

    def full(x: np.ndarray) -> np.ndarray:
        return np.array(np.broadcast_to(x, shape))

    return ComputeDecision(
        compute_w=full(compute),
        throttled=full(compute < req),
        served_fraction=full(served),
        load_w=full(hk + compute),
        battery_w=full(battery_w),
        housekeeping_unmet_w=full(hk_short - hk_from_battery),
    )


def usable_gpus(compute_w: ArrayLike, gpu_power_w: ArrayLike, gpus: ArrayLike) -> np.ndarray:
    """Power-limited usable accelerators: whole GPUs that ``compute_w`` can run, at most ``gpus``."""
    n = np.floor(_f64(compute_w) / _f64(gpu_power_w) * (1.0 + 1e-12))
    return np.minimum(n, _f64(gpus)).astype(np.int64)
