"""Repairs on the ground, cold spares in orbit, and restarts until done.

The queue and spare statistics are checked against closed forms nobody here derived for the engine: the finite-source
M/M/c//N machine-repair steady state (Gross & Harris, Fundamentals of Queueing Theory, §2.8) and the Erlang/Poisson
survival of a satellite with cold spares (``orbitgrid.fleet.maintenance``, the functions the cost model prices
with). Every statistical tolerance is stated with the standard error it is measured in.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from orbitgrid.fleet.maintenance import (
    LOST,
    REPAIR,
    SPARE,
    Maintenance,
    machine_repair_in_repair,
    spare_alive_mean,
    spares_used_mean,
)
from orbitgrid.fleet.nodes import PERMANENT, NodeKind
from orbitgrid.scheduling.engine import COMPLETED, FAILED, EngineConfig
from orbitgrid.workloads.jobs import JobKind


def with_maintenance(fleet, **fields):
    n = len(fleet.nodes)
    base = dataclasses.asdict(Maintenance.none(n))
    for k, v in fields.items():
        base[k] = np.broadcast_to(np.asarray(v, dtype=base[k].dtype), (n,)).copy()
    return dataclasses.replace(fleet, maintenance=Maintenance(**base))


def down_gpus(res, n: int, installed: int, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-constant GPUs out of service on node ``n``: (interval start times, values), ending at the horizon."""
    ac = res.alive_changes
    sel = ac["node"] == n
    t = np.concatenate([[0.0], ac["t_s"][sel]])
    down = np.concatenate([[0], installed - ac["alive"][sel]])
    return np.append(t, horizon), down


def test_a_ground_gang_continues_on_repaired_gpus(make_fleet, make_workload, run_engine, check_invariants) -> None:
    """An 8-GPU gang on an 8-GPU ground site: before repairs, the first permanent failure stopped it for good (it
    could never fit again); now each failed GPU returns after its repair and the gang finishes. The capacity the
    failures took is exactly the GPU-seconds spent in repair (the site's usable count is its installed count)."""
    fleet = make_fleet([8], n_steps=2000, step_s=60.0, kind=[NodeKind.GROUND], rates=(0.0, 0.0, 2e-6))
    wl = make_workload(
        submit_s=[0.0], gpus=8, work_gpu_s=8 * 60_000.0, checkpoint_interval_s=1800.0, checkpoint_write_s=10.0
    )
    lost = run_engine(fleet, wl, "fifo-backfill", seed=3)
    assert lost.state[0] != COMPLETED and (lost.faults["cause"] == PERMANENT).sum() >= 1
    assert lost.maintenance["lost"].sum() == (lost.faults["cause"] == PERMANENT).sum()
    repaired = with_maintenance(fleet, repair_s=3600.0, crew=0)
    res = run_engine(repaired, wl, "fifo-backfill", seed=3)
    check_invariants(repaired, wl, res)
    perm = res.faults["cause"] == PERMANENT
    assert perm.sum() >= 1 and np.all(res.faults["fate"][perm] == REPAIR) and np.all(res.faults["fate"][~perm] == -1)
    assert res.state[0] == COMPLETED
    m = res.maintenance
    assert m["failures"][0] == perm.sum() == m["repairs"][0] == m["repaired"][0] + m["in_repair"][0]
    assert m["lost"][0] == 0 and m["spares_used"][0] == 0
    t, down = down_gpus(res, 0, 8, fleet.horizon_s)
    assert m["capacity_lost_gpu_s"][0] == pytest.approx(float(np.dot(down, np.diff(t))), rel=1e-12)
    assert m["capacity_lost_gpu_s"][0] > 0.0


@pytest.mark.parametrize(("technicians", "gpus"), [(1, 60), (3, 200), (0, 200)])
def test_repair_queue_matches_the_machine_repair_model(make_fleet, run_engine, make_workload, technicians, gpus):
    """``gpus`` GPUs failing at ``f`` each while working, ``technicians`` repairing at once (0: as many as needed), 1 h
    mean exponential repairs: the time-average of GPUs down equals the finite-source M/M/c//N steady state. The
    standard error is estimated from 25 batch means of the simulated path; the test allows 4 of them (and 10 %)."""
    mttr = 3600.0
    f = 0.6 * max(technicians, 1) / (gpus * mttr) if technicians else 0.012 / mttr
    horizon_h = 8000
    fleet = make_fleet([gpus], n_steps=horizon_h, step_s=3600.0, kind=[NodeKind.GROUND], rates=(0.0, 0.0, f))
    fleet = with_maintenance(fleet, repair_s=mttr, crew=0, technicians=technicians)
    res = run_engine(fleet, make_workload(submit_s=[], gpus=[]), "fifo-backfill", seed=11)
    t, down = down_gpus(res, 0, gpus, fleet.horizon_s)
    expected = machine_repair_in_repair(gpus, f, mttr, technicians)
    # batch means of the down count over 25 equal windows (after a 1 % warm-up)
    edges = np.linspace(0.01 * fleet.horizon_s, fleet.horizon_s, 26)
    cum = np.concatenate([[0.0], np.cumsum(down * np.diff(t))])
    area = np.interp(edges, t, cum)
    means = np.diff(area) / np.diff(edges)
    se = means.std(ddof=1) / math.sqrt(means.size)
    assert (res.faults["cause"] == PERMANENT).sum() > 1500
    assert abs(means.mean() - expected) < max(4.0 * se, 1e-9), (means.mean(), expected, se)
    assert abs(means.mean() - expected) < 0.10 * expected
    if technicians:  # never more repairs at once than technicians: the queue is real
        assert expected > technicians * 0.5


def test_the_queue_is_first_come_first_served_with_bounded_technicians(make_fleet, make_workload, run_engine):
    """With one technician, repairs never overlap: GPUs come back one at a time, in failure order, each after the
    previous one (so the down count can exceed 1 only while GPUs wait)."""
    fleet = make_fleet([50], n_steps=500, step_s=3600.0, kind=[NodeKind.GROUND], rates=(0.0, 0.0, 1e-5))
    fleet = with_maintenance(fleet, repair_s=7200.0, crew=0, technicians=1)
    res = run_engine(fleet, make_workload(submit_s=[], gpus=[]), "fifo-backfill", seed=2)
    ac = res.alive_changes
    ups = np.flatnonzero(np.diff(np.concatenate([[50], ac["alive"]])) > 0)
    downs = np.flatnonzero(np.diff(np.concatenate([[50], ac["alive"]])) < 0)
    assert ups.size > 50 and np.max(50 - ac["alive"]) > 1  # the queue formed
    # the k-th return comes after the k-th failure, and returns are ordered (one technician at a time)
    assert np.all(ac["t_s"][ups] > ac["t_s"][downs[: ups.size]])
    assert res.maintenance["in_repair"][0] == downs.size - ups.size


def test_spares_replace_failed_accelerators_then_capacity_is_lost(make_fleet, make_workload, run_engine) -> None:
    """Two-satellite formation nodes, 4 accelerators and 1 cold spare per satellite, 15 min switch-over: at most 2
    spares are used per node, every spare returns its GPU exactly one switch-over later, failures beyond them are
    lost, and at the horizon each node works ``installed - lost`` GPUs."""
    n = 30
    fleet = make_fleet([8] * n, n_steps=300, step_s=3600.0, rates=(0.0, 0.0, 3.5e-7))
    fleet = with_maintenance(fleet, members=2, spares_per_member=1, switchover_s=900.0)
    res = run_engine(fleet, make_workload(submit_s=[], gpus=[]), "fifo-backfill", seed=8)
    m = res.maintenance
    assert m["failures"].sum() > 2 * n and m["repairs"].sum() == 0
    assert np.all(m["spares_used"] <= 2) and m["spares_used"].sum() > n
    assert np.array_equal(m["failures"], m["spares_used"] + m["lost"])
    assert m["lost"].sum() > 0
    # spares do not cross satellites: some node lost a GPU on one satellite while the other's spare stayed unused
    assert np.any((m["spares_used"] < 2) & (m["lost"] > 0))
    ac = res.alive_changes
    for node in range(n):
        sel = ac["node"] == node
        final = ac["alive"][sel][-1] if sel.any() else 8
        returns_pending = 0
        f = res.faults
        spare_t = f["t_s"][(f["node"] == node) & (f["fate"] == SPARE)]
        returns_pending = int(np.sum(spare_t + 900.0 >= fleet.horizon_s))
        assert final == 8 - m["lost"][node] - returns_pending
        ups = ac["t_s"][sel][np.diff(np.concatenate([[8], ac["alive"][sel]])) > 0]
        np.testing.assert_allclose(ups, np.sort(spare_t + 900.0)[: ups.size], rtol=0, atol=1e-6)
    lost_rows = res.faults["fate"] == LOST
    assert lost_rows.sum() == m["lost"].sum()


def test_spares_in_the_engine_agree_with_the_cost_models_survival_curve(make_fleet, make_workload, run_engine):
    """400 satellites of 4 accelerators with 2 cold spares each (instant switch-over), failing at 1/yr-scale rates
    for 3 years: the mean working accelerators and spares used at the horizon match ``spare_alive_mean`` and
    ``spares_used_mean`` (the cost model's functions) within 4 standard errors of the sample mean."""
    n, gpus, spares = 400, 4, 2
    rate = 0.3 / 8.766e3 / 3600.0  # 0.3 per GPU-year
    fleet = make_fleet([gpus] * n, n_steps=3 * 365, step_s=86_400.0, rates=(0.0, 0.0, rate))
    fleet = with_maintenance(fleet, spares_per_member=spares)
    res = run_engine(fleet, make_workload(submit_s=[], gpus=[]), "fifo-backfill", seed=4)
    m = res.maintenance
    alive = gpus - m["lost"]
    horizon = fleet.horizon_s
    want_alive = float(spare_alive_mean(horizon, rate, gpus, spares))
    want_used = float(spares_used_mean(horizon, rate, gpus, spares))
    assert abs(alive.mean() - want_alive) < 4.0 * alive.std(ddof=1) / math.sqrt(n), (alive.mean(), want_alive)
    used = m["spares_used"]
    assert abs(used.mean() - want_used) < 4.0 * used.std(ddof=1) / math.sqrt(n), (used.mean(), want_used)


def test_restarts_until_done_unless_a_limit_is_given(make_fleet, make_workload, run_engine) -> None:
    """A checkpointed gang hit by ~30 interrupts finishes with the default (no limit); a limit of 5 restarts in the
    engine config, or on the job itself, fails it with the reason."""
    fleet = make_fleet([8], n_steps=3000, step_s=60.0, rates=(0.0, 4e-5, 0.0), recovery_s=60.0)
    cols = dict(
        submit_s=[0.0], gpus=8, work_gpu_s=8 * 90_000.0, checkpoint_write_s=10.0, restore_s=10.0, kind=JobKind.TRAINING
    )
    res = run_engine(fleet, make_workload(**cols), "fifo-backfill", seed=1)
    assert res.state[0] == COMPLETED and res.restarts[0] > 10
    capped = run_engine(fleet, make_workload(**cols), "fifo-backfill", seed=1, config=EngineConfig(max_restarts=5))
    assert capped.state[0] == FAILED and capped.failure_reason[0] == "more than 5 restarts"
    own = run_engine(fleet, make_workload(max_restarts=5, **cols), "fifo-backfill", seed=1)
    assert own.state[0] == FAILED and own.restarts[0] == 6
    loose = run_engine(
        fleet, make_workload(max_restarts=1000, **cols), "fifo-backfill", seed=1, config=EngineConfig(max_restarts=5)
    )
    assert loose.state[0] == COMPLETED  # the job's own limit overrides the engine's


def test_a_sites_gpu_models_share_its_technicians(make_fleet, make_workload, run_engine) -> None:
    """A site with two GPU models is two nodes with one crew: with one technician, GPUs come back in the order they
    failed across both nodes (the k-th return is on the node of the k-th failure), never two repairs at once."""
    fleet = make_fleet([40, 20], n_steps=600, step_s=3600.0, kind=[NodeKind.GROUND] * 2, rates=(0.0, 0.0, 1e-5))
    fleet = with_maintenance(fleet, repair_s=5400.0, crew=0, technicians=1)
    res = run_engine(fleet, make_workload(submit_s=[], gpus=[]), "fifo-backfill", seed=6)
    ac = res.alive_changes
    step = np.zeros(ac["t_s"].size, np.int64)
    for n, g in ((0, 40), (1, 20)):
        sel = ac["node"] == n
        step[sel] = np.diff(np.concatenate([[g], ac["alive"][sel]]))
    down_nodes, up_nodes = ac["node"][step < 0], ac["node"][step > 0]
    assert up_nodes.size > 40 and set(up_nodes.tolist()) == {0, 1}
    assert np.array_equal(up_nodes, down_nodes[: up_nodes.size])
    # and with a crew per node (two sites), the order across nodes is free
    own = with_maintenance(fleet, repair_s=5400.0, crew=[0, 1], technicians=1)
    res2 = run_engine(own, make_workload(submit_s=[], gpus=[]), "fifo-backfill", seed=6)
    assert res2.maintenance["repaired"].sum() > res.maintenance["repaired"].sum()
