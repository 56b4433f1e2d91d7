"""Node pools (``scheduling.pools``): per-pool sums without per-satellite arrays, the handoff charge, and gangs that
span a pool's satellites at the laser links' bandwidth through the engine's one gang-rate formula."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from orbitgrid.scheduling.engine import Engine
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.scheduling.pools import (
    PoolCapacity,
    accumulate,
    handoff_gpus,
    neighbour_distance_m,
    pool_bounds,
    pool_usable_gpus,
    span_fabric_bytes_s,
)
from orbitgrid.workloads.jobs import JobKind


def test_chunked_sums_equal_the_dense_sums() -> None:
    rng = np.random.default_rng(3)
    pool_of_track = np.repeat(np.arange(4), [3, 5, 1, 7])
    u = rng.integers(0, 17, size=(pool_of_track.size, 50)).astype(np.int16)
    usable, drops = np.zeros((4, 50), np.int64), np.zeros((4, 50), np.int64)
    for lo in range(0, u.shape[0], 6):  # chunks that cut pools in two
        accumulate(usable, drops, u[lo : lo + 6], pool_of_track, lo)
    for p in range(4):
        rows = u[pool_of_track == p].astype(np.int64)
        assert np.array_equal(usable[p], rows.sum(axis=0))
        assert drops[p, 0] == 0
        assert np.array_equal(drops[p, 1:], np.maximum(rows[:, :-1] - rows[:, 1:], 0).sum(axis=0))


def test_pool_bounds_need_grouped_pools() -> None:
    assert pool_bounds(np.array([0, 0, 1, 1, 1, 2])).tolist() == [0, 2, 5, 6]
    with pytest.raises(ValueError, match="non-decreasing"):
        pool_bounds(np.array([0, 1, 0]))


@pytest.mark.parametrize("handoff_s", [30.0, 60.0, 150.0, 600.0])
def test_each_lost_gpu_is_charged_the_handoff_time_once(handoff_s: float) -> None:
    drops = np.zeros((1, 40), np.int64)
    drops[0, [3, 10, 11]] = [5, 2, 7]
    busy = handoff_gpus(drops, handoff_s, 60.0)
    # GPU-seconds charged = lost GPUs x handoff time, all inside the horizon here
    assert busy.sum() * 60.0 == pytest.approx(14 * handoff_s)
    assert np.all(busy[0, :3] == 0.0)  # nothing before the first drop
    if handoff_s == 60.0:  # one step exactly: the step the GPUs were lost in
        assert np.array_equal(busy, drops.astype(float))


def test_pool_usable_is_the_sum_less_the_handoffs_within_the_pool() -> None:
    usable = np.array([[32, 30, 30, 31, 32]], np.int64)
    drops = np.array([[0, 2, 1, 0, 0]], np.int64)
    cap = PoolCapacity(usable, drops, np.array([2]), np.zeros(2, np.int64))
    out = pool_usable_gpus(cap, 60.0, 60.0, np.array([32]))
    assert out.tolist() == [[32, 28, 29, 31, 32]]
    assert pool_usable_gpus(cap, 6000.0, 60.0, np.array([32])).min() >= 0


def test_span_fabric_shares_the_link_and_never_beats_the_satellite() -> None:
    assert span_fabric_bytes_s(200e9, 16, 50e9) == pytest.approx(200e9 / 8 / 16)
    assert span_fabric_bytes_s(9.6e12, 16, 50e9) == pytest.approx(50e9)
    # 500 satellites at 550 km: chord 2 a sin(pi / 500) = 87.06 km
    assert neighbour_distance_m(6_378_137.0 + 550e3, 500) == pytest.approx(87_061.0, abs=1.0)


def _pooled(fleet, member_gpus: int, span: float):
    n = len(fleet.nodes)
    nodes = dataclasses.replace(
        fleet.nodes, member_gpus=np.full(n, member_gpus, np.int32), span_fabric_bytes_s=np.full(n, span)
    )
    return dataclasses.replace(fleet, nodes=nodes)


def test_a_gang_larger_than_a_satellite_all_reduces_over_the_links(make_fleet, make_workload) -> None:
    fleet = _pooled(make_fleet(gpus=[64], fabric_bytes_s=50e9), member_gpus=16, span=1.5625e9)
    w = make_workload(
        kind=int(JobKind.TRAINING), submit_s=0.0, gpus=[16, 32], work_gpu_s=3600.0, step_compute_s=1.0,
        allreduce_bytes_per_step=1e9,
    )  # fmt: skip
    eng = Engine(fleet, w, make_policy("fifo-backfill"), np.random.default_rng(0))
    inside, spanning = eng.rate(0, 0, 16), eng.rate(1, 0, 32)
    assert inside == pytest.approx(16 / (1.0 + 2 * 15 / 16 * 1e9 / 50e9))
    assert spanning == pytest.approx(32 / (1.0 + 2 * 31 / 32 * 1e9 / 1.5625e9))
    assert eng.rates(1, np.array([0, 0]), np.array([16, 32])).tolist() == pytest.approx([eng.rate(1, 0, 16), spanning])


@pytest.mark.parametrize(("policy", "power_aware"), [("fifo-backfill", False), ("priority", True), ("hybrid", False)])
def test_pools_of_one_satellite_reproduce_the_per_satellite_run(
    make_fleet, make_workload, run_engine, policy: str, power_aware: bool
) -> None:
    rng = np.random.default_rng(11)
    usable = np.repeat(np.array([[16], [16], [8]]), 300, axis=1)
    usable[0, 100:140] = 4  # an eclipse-like drop on one node
    fleet = make_fleet(gpus=[16, 16, 8], n_steps=300, usable=usable, rates=(2e-6, 2e-6, 1e-7))
    n = 40
    w = make_workload(
        kind=int(JobKind.TRAINING), submit_s=np.sort(rng.uniform(0, 8000, n)), gpus=rng.choice([1, 2, 4, 8], n),
        work_gpu_s=rng.uniform(600, 20000, n), step_compute_s=1.0, allreduce_bytes_per_step=2e8,
    )  # fmt: skip
    # a pool of one satellite: the gang never exceeds the member, whatever the span bandwidth
    same = _pooled(fleet, member_gpus=16, span=1.0)
    a = run_engine(fleet, w, policy, seed=5, power_aware=power_aware)
    b = run_engine(same, w, policy, seed=5, power_aware=power_aware)
    assert np.all(a.state >= 0) and a.restarts.sum() > 0  # the drop and the faults touched the run
    for name in ("state", "node", "first_start_s", "end_s", "done_work", "restarts"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
