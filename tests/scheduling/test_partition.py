"""Partitioned runs (``scheduling.partition``): independent groups of nodes run as engines of their own, on an
executor, and merged; equal to the single-process run job for job when the partitions are truly independent."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from orbitgrid.scheduling.engine import EngineConfig
from orbitgrid.scheduling.partition import plan, run_partitioned
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import JobKind, Placement, Workload

# no backfill-interval or blocked-job limits that one engine would share between the partitions
FREE = EngineConfig(backfill_interval_s=0.0, max_blocked_per_dispatch=1_000_000)


def fifo(workload: Workload, share: float) -> object:
    return make_policy("fifo-backfill")


def _fleet(make_fleet, rates=(0.0, 0.0, 0.0)):
    """Two 'shells' of three nodes with eclipse-like drops, and one large ground node of another GPU model."""
    n_steps = 240
    usable = np.repeat(np.array([[16], [16], [8], [16], [16], [8], [512]]), n_steps, axis=1)
    usable[0, 60:90] = 4
    usable[4, 100:130] = 0
    fleet = make_fleet(gpus=[16, 16, 8, 16, 16, 8, 512], n_steps=n_steps, usable=usable, rates=rates)
    nodes = dataclasses.replace(
        fleet.nodes,
        group=np.array(["a", "a", "a", "b", "b", "b", "ground"], dtype=object),
        gpu_model=np.array(["H100"] * 6 + ["B200"], dtype=object),
        kind=np.array([0] * 6 + [1], dtype=np.int8),
    )
    return dataclasses.replace(fleet, nodes=nodes)


def _workload(make_workload, n: int, rng: np.random.Generator, placement: np.ndarray, models: tuple[str, ...]):
    return make_workload(
        kind=int(JobKind.TRAINING), submit_s=np.sort(rng.uniform(0, 6000, n)), gpus=rng.choice([1, 2, 4, 8, 16], n),
        work_gpu_s=rng.uniform(600, 40_000, n), step_compute_s=1.0, allreduce_bytes_per_step=1e8,
        placement=placement, gpu_model=rng.integers(0, len(models), n), gpu_models=models,
    )  # fmt: skip


def test_independent_partitions_equal_the_single_run(make_fleet, make_workload, run_engine) -> None:
    """Partitions by GPU model (the H100 satellites, the B200 ground node): each job can run in one partition only,
    no faults, no dispatch limits, and the ground partition never makes a job wait, so the single engine's one
    queue (whose blocked head alone holds an EASY reservation) never lets one partition's queue hold up the
    other's. The satellites are contended: random gangs wait, and capacity drops evict."""
    fleet = _fleet(make_fleet)
    rng = np.random.default_rng(4)
    n = 120
    w = _workload(make_workload, n, rng, np.full(n, int(Placement.ANY)), ("H100", "B200"))
    labels = np.array(["orbit", "orbit", "orbit", "orbit", "orbit", "orbit", "ground"], dtype=object)
    parts = plan(fleet, w, labels)
    assert [p.label for p in parts] == ["orbit", "ground"]
    assert sum(p.jobs.size for p in parts) == n and parts[1].jobs.size > 0  # B200 jobs go to the ground only
    single = run_engine(fleet, w, "fifo-backfill", config=FREE)
    merged, _ = run_partitioned(fleet, w, fifo, np.random.SeedSequence(1), FREE, partitions=parts)
    assert single.state.tolist().count(2) > 30 and np.any(single.restarts > 0)  # jobs ran, drops evicted some
    ground = w.jobs.gpu_model == 1
    assert np.allclose(single.first_start_s[ground], w.jobs.submit_s[ground])  # the ground never queues
    assert np.any(single.first_start_s[~ground] > w.jobs.submit_s[~ground] + 60.0)  # the satellites do
    for name in ("state", "node", "first_start_s", "end_s", "done_work", "delivered_gpu_s", "restarts"):
        assert np.array_equal(getattr(single, name), getattr(merged, name), equal_nan=True), name
    key = lambda pl: np.lexsort((pl["start_s"], pl["job"]))  # noqa: E731
    for col in ("job", "node", "start_s", "end_s", "gpus", "outcome"):
        assert np.array_equal(
            single.placements[col][key(single.placements)], merged.placements[col][key(merged.placements)]
        )


def test_partitions_run_on_an_executor_as_in_process(make_fleet, make_workload) -> None:
    fleet = _fleet(make_fleet, rates=(1e-5, 1e-5, 1e-6))
    rng = np.random.default_rng(8)
    n = 80
    w = _workload(make_workload, n, rng, rng.choice([int(Placement.ANY), int(Placement.ORBIT)], n), ("H100",))
    seed = np.random.SeedSequence(3)
    local, parts = run_partitioned(fleet, w, fifo, seed)
    assert [p.label for p in parts] == ["a", "b", "ground"]
    with ProcessPoolExecutor(max_workers=2) as pool:
        remote, _ = run_partitioned(fleet, w, fifo, np.random.SeedSequence(3), executor=pool)
    for name in ("state", "node", "end_s", "restarts"):
        assert np.array_equal(getattr(local, name), getattr(remote, name), equal_nan=True), name
    assert local.faults["t_s"].size > 0 and np.array_equal(local.faults["node"], remote.faults["node"])


def test_shared_jobs_are_routed_by_installed_gpus(make_fleet, make_workload) -> None:
    """H100 jobs may run in shell a or b (40 GPUs each): routed half and half, every job exactly once; ground
    nodes are B200 and take none."""
    fleet = _fleet(make_fleet)
    n = 1000
    w = make_workload(kind=int(JobKind.BATCH), submit_s=np.arange(n) * 1.0, gpus=1, work_gpu_s=60.0,
                      gpu_model=np.zeros(n, np.int32), gpu_models=("H100",))  # fmt: skip
    parts = plan(fleet, w)
    sizes = {p.label: p.jobs.size for p in parts}
    assert sizes["ground"] == 0 and sizes["a"] + sizes["b"] == n
    assert sizes["a"] == pytest.approx(500, abs=2)
    assert np.array_equal(np.sort(np.concatenate([p.jobs for p in parts])), np.arange(n))
