"""Battery state of charge: exact energy closure, floor and capacity bounds, rate limits, cycle counting, fade, and
the compute-serving policy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitgrid.spacecraft import battery as bt

CLOSURE_REL = 1e-9


def _closure_scale(sim: bt.Simulation) -> float:
    """Magnitude the closure error is compared against: all energy that moved, plus what is stored."""
    moved = sim.harvested_wh.sum() + sim.discharged_wh.sum() + sim.charged_wh.sum()
    return float(moved + np.max(sim.initial.capacity_wh, initial=0.0) + 1.0)


def _assert_closes(sim: bt.Simulation, dt_s: np.ndarray) -> None:
    delivered_wh = sim.delivered_w * (dt_s / 3600.0).reshape((-1,) + (1,) * (sim.delivered_w.ndim - 1))
    stored = sim.final.energy_wh - sim.initial.energy_wh
    lhs = sim.harvested_wh.sum(axis=0)
    rhs = delivered_wh.sum(axis=0) + stored + sim.lost_wh.sum(axis=0) + sim.curtailed_wh.sum(axis=0)
    assert np.all(np.abs(lhs - rhs) <= CLOSURE_REL * _closure_scale(sim))


def _assert_bounds(sim: bt.Simulation, params: bt.BatteryParams) -> None:
    floor = bt.floor_wh(sim.capacity_wh, params.depth_of_discharge)
    assert np.all(sim.energy_wh >= floor)
    assert np.all(sim.energy_wh <= sim.capacity_wh)


# A power profile: each step is sunlit (array power) or eclipsed (zero), with a random load.
steps = st.lists(
    st.tuples(
        st.booleans(),
        st.floats(0.0, 5000.0, allow_nan=False),
        st.floats(0.0, 5000.0, allow_nan=False),
        st.floats(1.0, 600.0),
    ),
    min_size=1,
    max_size=120,
)
params_st = st.builds(
    bt.BatteryParams,
    capacity_wh=st.one_of(st.just(0.0), st.floats(1.0, 5000.0)),
    depth_of_discharge=st.floats(0.05, 1.0),
    charge_efficiency=st.floats(0.5, 1.0),
    discharge_efficiency=st.floats(0.5, 1.0),
    max_charge_c_rate_per_h=st.floats(0.01, 5.0),
    max_discharge_c_rate_per_h=st.floats(0.01, 5.0),
    fade_per_equivalent_cycle=st.one_of(st.just(0.0), st.floats(0.0, 0.05)),
)


def _profile(rows: list[tuple[bool, float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lit = np.array([r[0] for r in rows])
    avail = np.where(lit, [r[1] for r in rows], 0.0)
    load = np.array([r[2] for r in rows])
    dt = np.array([r[3] for r in rows])
    return avail, load, dt


@settings(max_examples=200, deadline=None)
@given(rows=steps, params=params_st, soc=st.floats(0.0, 1.0))
def test_energy_closes_and_state_stays_in_bounds(rows, params, soc) -> None:
    avail, load, dt = _profile(rows)
    sim = bt.simulate(params, avail, load, dt, initial=bt.initial_state(params, soc))
    _assert_closes(sim, dt)
    _assert_bounds(sim, params)
    # every term of the ledger is non-negative, and charge and discharge never share a step
    for name in ("harvested_wh", "delivered_w", "charged_wh", "discharged_wh", "lost_wh", "curtailed_wh", "unmet_wh"):
        assert np.all(getattr(sim, name) >= 0.0), name
    assert not np.any((sim.charged_wh > 0.0) & (sim.discharged_wh > 0.0))
    # rate limits (bus side), against the capacity at the start of each step
    cap_before = np.concatenate([[sim.initial.capacity_wh], sim.capacity_wh[:-1]])
    hours = dt / 3600.0
    scale = 1.0 + 1e-12
    assert np.all(sim.charged_wh <= params.max_charge_c_rate_per_h * cap_before * hours * scale)
    assert np.all(sim.discharged_wh <= params.max_discharge_c_rate_per_h * cap_before * hours * scale)
    # load is served up to demand, and unmet + delivered = demand
    np.testing.assert_allclose(sim.delivered_w * hours + sim.unmet_wh, load * hours, rtol=1e-12, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(rows=steps, params=params_st)
def test_each_step_closes(rows, params) -> None:
    avail, load, dt = _profile(rows)
    state = bt.initial_state(params, 0.5)
    for a, ld, d in zip(avail, load, dt, strict=True):
        r = bt.step(state, params, a, ld, d)
        rhs = r.delivered_wh + r.stored_delta_wh + r.lost_wh + r.curtailed_wh
        assert abs(r.harvested_wh - rhs) <= CLOSURE_REL * (r.harvested_wh + r.discharged_wh + state.capacity_wh + 1)
        assert r.stored_delta_wh == pytest.approx(r.state.energy_wh - state.energy_wh, abs=1e-12)
        state = r.state


@settings(max_examples=50, deadline=None)
@given(rows=steps, params=params_st)
def test_vectorised_equals_one_satellite_at_a_time(rows, params) -> None:
    avail, load, dt = _profile(rows)
    n = 4
    scale = np.array([0.0, 0.5, 1.0, 2.0])
    av2, ld2 = avail[:, None] * scale, load[:, None] * scale[::-1]
    sim = bt.simulate(params, av2, ld2, dt)
    for k in range(n):
        one = bt.simulate(params, av2[:, k], ld2[:, k], dt)
        np.testing.assert_array_equal(sim.energy_wh[:, k], one.energy_wh)
        np.testing.assert_array_equal(sim.unmet_wh[:, k], one.unmet_wh)
        np.testing.assert_array_equal(sim.curtailed_wh[:, k], one.curtailed_wh)


def test_long_eclipse_stops_at_the_floor() -> None:
    params = bt.BatteryParams(capacity_wh=1000.0, depth_of_discharge=0.8, fade_per_equivalent_cycle=0.0)
    n = 200
    sim = bt.simulate(params, np.zeros(n), np.full(n, 500.0), 60.0)
    floor = bt.floor_wh(1000.0, 0.8)  # (1 - 0.8) x 1000 = 200 Wh, to rounding
    assert floor == pytest.approx(200.0)
    assert sim.final.energy_wh == floor
    assert np.all(sim.energy_wh >= floor)
    assert sim.unmet_wh[-1] == pytest.approx(500.0 / 60.0)
    # 800 Wh above the floor give 760 Wh to the bus at eta_d = 0.95, and the 40 Wh difference is lost
    assert sim.discharged_wh.sum() == pytest.approx(800.0 * 0.95)
    assert sim.lost_wh.sum() == pytest.approx(800.0 * 0.05)
    _assert_closes(sim, np.full(n, 60.0))


def test_full_battery_curtails_and_charge_rate_limits() -> None:
    params = bt.BatteryParams(capacity_wh=1000.0, max_charge_c_rate_per_h=0.5)
    full = bt.step(bt.initial_state(params, 1.0), params, 2000.0, 500.0, 3600.0)
    assert full.charged_wh == 0.0
    assert full.curtailed_wh == pytest.approx(1500.0)
    empty = bt.initial_state(params, 0.0)  # clipped to the floor, 200 Wh
    assert empty.energy_wh == pytest.approx(200.0)
    r = bt.step(empty, params, 2000.0, 500.0, 3600.0)
    assert r.charged_wh == pytest.approx(500.0)  # 0.5 C for one hour
    assert r.stored_delta_wh == pytest.approx(500.0 * 0.95, rel=1e-6)  # less a sliver of fade
    assert r.curtailed_wh == pytest.approx(1000.0)
    assert bt.max_charge_w(empty, params, 3600.0) == pytest.approx(500.0)
    assert bt.max_discharge_w(bt.initial_state(params), params, 60.0) == pytest.approx(1000.0)  # 1 C


def test_no_battery_passes_array_power_through() -> None:
    params = bt.BatteryParams(capacity_wh=0.0)
    avail = np.array([1000.0, 0.0, 300.0])
    sim = bt.simulate(params, avail, 500.0, 60.0)
    np.testing.assert_allclose(sim.delivered_w, [500.0, 0.0, 300.0])
    np.testing.assert_allclose(sim.curtailed_wh, [500.0 / 60.0, 0.0, 0.0])
    np.testing.assert_allclose(sim.unmet_wh, [0.0, 500.0 / 60.0, 200.0 / 60.0])
    assert np.all(bt.equivalent_full_cycles(sim.final, params) == 0.0)


def _eclipse_cycles(
    params: bt.BatteryParams, n_cycles: int, dod_cycle: float, dt_s: float = 60.0
) -> tuple[np.ndarray, np.ndarray]:
    """Power profile of ``n_cycles`` LEO orbits: a 35-minute eclipse drawing ``dod_cycle`` of the nominal capacity
    from the cells, then 60 minutes of sunlight with ample array power and no load."""
    eclipse_min, sun_min = 35, 60
    c0 = float(np.asarray(params.capacity_wh))
    eclipse_load_w = dod_cycle * c0 * float(np.asarray(params.discharge_efficiency)) / (eclipse_min / 60.0)
    one_orbit_avail = np.r_[np.zeros(eclipse_min), np.full(sun_min, 10.0 * c0)]
    one_orbit_load = np.r_[np.full(eclipse_min, eclipse_load_w), np.zeros(sun_min)]
    assert dt_s == 60.0
    return np.tile(one_orbit_avail, n_cycles), np.tile(one_orbit_load, n_cycles)


def test_equivalent_cycles_of_identical_eclipses() -> None:
    params = bt.BatteryParams(capacity_wh=1000.0, fade_per_equivalent_cycle=0.0)
    n_cycles, dod = 10, 0.3
    avail, load = _eclipse_cycles(params, n_cycles, dod)
    sim = bt.simulate(params, avail, load, 60.0)
    assert bt.equivalent_full_cycles(sim.final, params) == pytest.approx(n_cycles * dod, rel=1e-12)
    assert sim.unmet_wh.sum() == 0.0
    assert sim.final.energy_wh == pytest.approx(1000.0)  # recharged every orbit
    # the deepest point of each eclipse is 30 % below full
    assert sim.energy_wh.min() == pytest.approx(700.0)
    _assert_closes(sim, np.full(avail.size, 60.0))


def test_fade_reduces_capacity_monotonically() -> None:
    params = bt.BatteryParams(capacity_wh=1000.0, fade_per_equivalent_cycle=1e-3)  # exaggerated to see it
    avail, load = _eclipse_cycles(params, 20, 0.3)
    sim = bt.simulate(params, avail, load, 60.0)
    assert np.all(np.diff(sim.capacity_wh) <= 0.0)
    assert sim.capacity_wh[-1] < sim.capacity_wh[0] < 1000.0
    n_eq = bt.equivalent_full_cycles(sim.final, params)
    assert 5.9 < n_eq <= 6.0  # slightly under 20 x 0.3: the faded battery refills a little less
    assert sim.final.capacity_wh == pytest.approx(1000.0 * (1.0 - 1e-3 * n_eq), rel=1e-12)
    assert sim.fade_lost_wh.sum() >= 0.0
    _assert_closes(sim, np.full(avail.size, 60.0))
    _assert_bounds(sim, params)


def test_default_fade_matches_the_saft_specification() -> None:
    # < 20 % after 5 years in LEO at 30 % DoD, 5,500 eclipses a year
    params = bt.BatteryParams(capacity_wh=1000.0)
    n_eq = 5 * 5500 * 0.30
    assert bt.faded_capacity_wh(params, 2.0 * 1000.0 * n_eq) == pytest.approx(800.0)


def test_simulate_matches_a_step_loop_and_takes_per_step_dt() -> None:
    params = bt.BatteryParams(capacity_wh=np.array([500.0, 2000.0]), depth_of_discharge=np.array([0.5, 0.9]))
    rng = np.random.default_rng(7)
    avail = rng.uniform(0.0, 3000.0, (50, 2)) * (rng.random((50, 1)) > 0.4)
    load = rng.uniform(0.0, 2000.0, (50, 2))
    dt = rng.uniform(10.0, 120.0, 50)
    sim = bt.simulate(params, avail, load, dt)
    state = bt.initial_state(params, 1.0)
    for i in range(50):
        r = bt.step(state, params, avail[i], load[i], dt[i])
        state = r.state
        np.testing.assert_array_equal(sim.energy_wh[i], state.energy_wh)
        np.testing.assert_array_equal(sim.delivered_w[i], r.delivered_w)
    _assert_closes(sim, dt)
    with pytest.raises(ValueError, match="positive"):
        bt.simulate(params, avail, load, 0.0)


# --- the compute-serving policy -------------------------------------------------------------------------------


def test_policy_serves_in_full_when_power_suffices() -> None:
    params = bt.BatteryParams(capacity_wh=10_000.0)
    state = bt.initial_state(params, 0.5)
    d = bt.serve_compute(20_000.0, 1_000.0, 15_000.0, state, params, 60.0)
    assert d.compute_w == 15_000.0 and not d.throttled and d.served_fraction == 1.0
    assert d.battery_w == 0.0
    # in eclipse a charged battery carries both housekeeping and compute within its 1 C limit
    d = bt.serve_compute(0.0, 1_000.0, 8_000.0, state, params, 60.0)
    assert d.compute_w == 8_000.0 and not d.throttled
    assert d.battery_w == pytest.approx(9_000.0)


def test_policy_throttles_on_rate_limit_floor_and_reserve() -> None:
    params = bt.BatteryParams(capacity_wh=10_000.0, depth_of_discharge=0.8)
    state = bt.initial_state(params, 1.0)
    d = bt.serve_compute(0.0, 1_000.0, 20_000.0, state, params, 60.0)  # 1 C = 10 kW, housekeeping first
    assert d.throttled and d.compute_w == pytest.approx(9_000.0)
    at_floor = bt.initial_state(params, 0.2)
    d = bt.serve_compute(3_000.0, 1_000.0, 5_000.0, at_floor, params, 60.0)
    assert d.throttled and d.compute_w == pytest.approx(2_000.0)  # only what the array has left
    assert d.served_fraction == pytest.approx(0.4)
    d = bt.serve_compute(500.0, 1_000.0, 5_000.0, at_floor, params, 60.0)
    assert d.compute_w == 0.0 and d.housekeeping_unmet_w == pytest.approx(500.0)
    # a reserve keeps compute off the last 1,000 Wh above the floor; housekeeping may still use it
    state = bt.initial_state(params, 0.3)  # 1,000 Wh above the floor
    d = bt.serve_compute(0.0, 1_000.0, 5_000.0, state, params, 3600.0, reserve_wh=1_000.0)
    assert d.compute_w == 0.0 and d.battery_w == pytest.approx(950.0)  # 1,000 Wh x 0.95, housekeeping only
    assert d.housekeeping_unmet_w == pytest.approx(50.0)


@settings(max_examples=200, deadline=None)
@given(
    bus=st.floats(0.0, 50_000.0),
    hk=st.floats(0.0, 5_000.0),
    req=st.floats(0.0, 50_000.0),
    soc=st.floats(0.0, 1.0),
    cap=st.floats(0.0, 50_000.0),
    dod=st.floats(0.1, 1.0),
    rate=st.floats(0.05, 3.0),
    dt=st.floats(1.0, 600.0),
    reserve=st.floats(0.0, 5_000.0),
)
def test_policy_throttles_only_when_energy_is_short(bus, hk, req, soc, cap, dod, rate, dt, reserve) -> None:
    params = bt.BatteryParams(capacity_wh=cap, depth_of_discharge=dod, max_discharge_c_rate_per_h=rate)
    state = bt.initial_state(params, soc)
    d = bt.serve_compute(bus, hk, req, state, params, dt, reserve_wh=reserve)
    assert 0.0 <= d.compute_w <= req
    supply_w = bus + bt.max_discharge_w(state, params, dt)
    if d.throttled:
        assert req > bus - hk  # the array alone could not serve the request ...
        headroom_w = max(float(supply_w) - hk, 0.0)
        rounding_w = 1e-12 * (float(supply_w) + hk)  # headroom is a difference of large numbers
        assert d.compute_w <= headroom_w + rounding_w  # ... compute got no more than there was ...
        if reserve == 0.0:  # ... and, with no reserve held back, all of it
            assert d.compute_w == pytest.approx(headroom_w, abs=rounding_w + 1e-12)
    else:
        assert d.compute_w == req
    # the chosen load is deliverable: stepping with it leaves only housekeeping that could not be met
    r = bt.step(state, params, bus, d.load_w, dt)
    scale = (bus + hk + req + cap) * dt / 3600.0
    assert r.unmet_wh == pytest.approx(d.housekeeping_unmet_w * dt / 3600.0, abs=1e-12 * scale + 1e-12)
    # and compute never takes the battery below floor + reserve
    if d.compute_w > 0.0 and hk + d.compute_w > bus:
        limit = bt.floor_wh(state.capacity_wh, dod) + reserve
        assert r.state.energy_wh >= min(limit, state.energy_wh) - 1e-9 * (cap + 1.0)


def test_usable_gpus() -> None:
    np.testing.assert_array_equal(bt.usable_gpus([0.0, 699.0, 700.0, 5600.0, 1e9], 700.0, 8), [0, 0, 1, 8, 8])
    assert bt.usable_gpus(3 * 0.7 * 1000.0, 0.7 * 1000.0, 8) == 3  # no 2.9999 -> 2
