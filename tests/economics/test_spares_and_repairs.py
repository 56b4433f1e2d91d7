"""Cold spares in the orbital TCO and repair downtime in the terrestrial baseline, priced with the rules the engine
applies (``fleet.maintenance``); the closed forms checked against independent computations (a direct simulation of
the spare process, a numerical solve of the repair chain)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from orbitgrid.economics.launch import LaunchVehicle
from orbitgrid.economics.tco import LaunchPlan, OrbitInputs, Reliability, SatelliteSpec, evaluate_orbit
from orbitgrid.economics.terrestrial import GroundInputs, evaluate_ground
from orbitgrid.fleet.maintenance import (
    machine_repair_in_repair,
    service_year_profile,
    spare_alive_mean,
    spares_used_mean,
)


def test_spare_survival_matches_a_direct_simulation_of_the_swap_process() -> None:
    """200,000 satellites of G accelerators with s cold spares: independent exponential lifetimes, a failed one
    replaced by a fresh spare while any is left. Mean working accelerators and spares used at t against the closed
    forms, within 4 standard errors."""
    rng = np.random.default_rng(7)
    n = 200_000
    for gpus, spares, f, t in ((4, 2, 0.3, 3.0), (1, 3, 0.5, 4.0), (16, 1, 0.09, 5.0)):
        life = rng.exponential(1.0 / f, (n, gpus))  # failure time of each slot's current accelerator
        left = np.full(n, spares)
        used = np.zeros(n, np.int64)
        while True:
            first = life.min(axis=1)
            slot = life.argmin(axis=1)
            swap = (first < t) & (left > 0)
            if not swap.any():
                break
            rows = np.flatnonzero(swap)
            life[rows, slot[rows]] = first[rows] + rng.exponential(1.0 / f, rows.size)
            left[rows] -= 1
            used[rows] += 1
        alive = (life >= t).sum(axis=1)
        want = float(spare_alive_mean(t, f, gpus, spares))
        assert abs(alive.mean() - want) < 4 * alive.std() / math.sqrt(n), (gpus, spares, alive.mean(), want)
        want_used = float(spares_used_mean(t, f, gpus, spares))
        assert abs(used.mean() - want_used) < 4 * used.std() / math.sqrt(n) + 1e-12, (used.mean(), want_used)


def test_machine_repair_steady_state_matches_a_numerical_solve_of_the_chain() -> None:
    """The closed form against the birth-death chain solved as a linear system (pi Q = 0), N = 12 GPUs."""
    n, f, mttr = 12, 0.02, 3.0
    for c in (1, 2, 5, 0):
        q = np.zeros((n + 1, n + 1))
        for k in range(n + 1):
            if k < n:
                q[k, k + 1] = (n - k) * f
            if k > 0:
                q[k, k - 1] = min(k, c if c > 0 else n) / mttr
            q[k, k] = -q[k].sum()
        a = np.vstack([q.T, np.ones(n + 1)])
        b = np.zeros(n + 2)
        b[-1] = 1.0
        pi = np.linalg.lstsq(a, b, rcond=None)[0]
        assert machine_repair_in_repair(n, f, mttr, c) == pytest.approx(float(np.arange(n + 1) @ pi), rel=1e-9)
    assert machine_repair_in_repair(n, f, mttr, 0) == pytest.approx(n * f * mttr / (1 + f * mttr), rel=1e-12)


SAT = SatelliteSpec(gpus=16, compute_w=20_400.0, array_bol_w=28_000.0, mass_kg=2_000.0)
COMMON = dict(satellites=100, launch=LaunchPlan(vehicle=LaunchVehicle("v", 100_000.0)), availability=1.0)


def test_spares_are_paid_for_and_keep_capacity_until_they_run_out() -> None:
    f = 0.09
    none = evaluate_orbit(OrbitInputs(satellite=SAT, reliability=Reliability(f), **COMMON))
    spared_sat = dataclasses.replace(SAT, spare_gpus=2, mass_kg=SAT.mass_kg + 2 * 16.3)
    spared = evaluate_orbit(
        OrbitInputs(satellite=spared_sat, reliability=Reliability(f, spares_per_satellite=2), **COMMON)
    )
    # the spares' price is a hardware line, and the satellites are heavier
    assert spared.facts["hardware_usd_per_satellite.spare_gpus"] == pytest.approx(2 * 33_750.0)
    assert spared.cash_usd["hardware"].sum() > none.cash_usd["hardware"].sum()
    # fewer GPU-hours lost; spares used per satellite between 0 and 2, as expected over 5 years
    assert spared.lost_gpu_hours_failures.sum() < none.lost_gpu_hours_failures.sum()
    used = spared.facts["spares_used"] / 100
    assert 0.0 < used <= 2.0
    want = float(spares_used_mean(5.0, f, 16, 2))
    assert used == pytest.approx(want, rel=1e-6)
    _, year_used, lost = service_year_profile(f, 16, 2, 5.0)
    assert year_used.sum() == pytest.approx(want, rel=1e-9)
    assert spared.facts["gpus_lost_failures"] / 100 == pytest.approx(lost.sum(), rel=1e-9)
    assert lost.sum() == pytest.approx(16 - float(spare_alive_mean(5.0, f, 16, 2)), rel=1e-9)
    # replaced instead of lost: only the failures beyond the spares are flown
    keep = evaluate_orbit(
        OrbitInputs(satellite=spared_sat, reliability=Reliability(f, True, spares_per_satellite=2), **COMMON)
    )
    assert keep.lost_gpu_hours_failures.sum() == 0.0
    assert keep.facts["gpus_replaced"] == pytest.approx(100 * (f * 16 * 5.0 - want), rel=1e-6)


def test_a_ground_repair_time_takes_its_machine_repair_share_of_the_capacity() -> None:
    base = GroundInputs(gpus=10_000, gpu_failure_rate_per_year=0.09, life_years=3.0)
    instant = evaluate_ground(base)
    day = evaluate_ground(dataclasses.replace(base, repair_s=86_400.0, technicians=4))
    rate_s = 0.09 / (8766.0 * 3600.0)
    down = machine_repair_in_repair(10_000, rate_s, 86_400.0, 4)
    assert day.facts["gpus_in_repair_mean"] == pytest.approx(down, rel=1e-12)
    # ~2.5 GPUs fail a day: 2.5 in repair on average, plus a short queue for the 4 technicians
    assert 2.5 < down < 3.5
    assert machine_repair_in_repair(10_000, rate_s, 86_400.0, 1) > 5_000  # one technician cannot keep up
    np.testing.assert_allclose(day.gpu_hours, instant.gpu_hours * (1 - down / 10_000), rtol=1e-12)
    assert day.cash_usd["replacements"].sum() < instant.cash_usd["replacements"].sum()
