"""The engine with GPU sharing, CPU and memory as placement dimensions, never-fit reasons and divisible placement."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind
from orbitgrid.scheduling.engine import COMPLETED, FAILED, Engine, EngineResult
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import JobKind, JobTable, Workload


def _with_hosts(fleet: FleetTimeline, cpu: list[int] | None = None, mem: list[float] | None = None) -> FleetTimeline:
    nodes = dataclasses.replace(
        fleet.nodes,
        kind=np.full(len(fleet.nodes), NodeKind.GROUND, dtype=np.int8),
        cpu_milli=None if cpu is None else np.array(cpu),
        memory_mib=None if mem is None else np.array(mem, dtype=float),
    )
    return FleetTimeline(nodes, fleet.step_s, fleet.usable_gpus)


def _run(fleet: FleetTimeline, policy: str = "fifo-backfill", **columns: object) -> tuple[Engine, EngineResult]:
    jobs = JobTable.build(checkpoint_interval_s=1e9, **columns)  # type: ignore[arg-type]
    eng = Engine(fleet, Workload(jobs), make_policy(policy), np.random.default_rng(0))
    return eng, eng.run()


def _share_invariants(eng: Engine, res: EngineResult) -> None:
    """Delivered GPU-seconds are the placements' GPU-seconds at each job's share; occupied GPUs never exceed the
    node's GPUs and integrate to at most the placements' GPU-seconds (pods share GPUs)."""
    pl = res.placements
    sh = eng.sharing
    assert sh is not None
    share = np.array(sh.share)[pl["job"]]
    gpu_s = (pl["end_s"] - pl["start_s"]) * pl["gpus"] * share
    np.testing.assert_allclose(np.bincount(pl["job"], gpu_s, len(eng.jobs)), res.delivered_gpu_s, atol=1e-6)
    bc = res.busy_changes
    for n in range(len(eng.nodes)):
        sel = bc["node"] == n
        busy = np.cumsum(bc["delta"][sel])
        assert np.all(busy >= 0) and np.all(busy <= eng.nodes.gpus[n])
    # every GPU's share back to whole at the end of a run where every job completed
    if np.all(res.state == COMPLETED):
        assert np.array_equal(sh.cluster.whole, sh.cluster.gpus) and (sh.cluster.shared == -1).all()


def test_two_half_pods_share_one_gpu(make_fleet: Callable[..., FleetTimeline]) -> None:
    fleet = _with_hosts(make_fleet([1], n_steps=60))
    eng, res = _run(fleet, gpus=1, gpu_milli=np.array([500, 500, 600]), work_gpu_s=600.0, submit_s=0.0)
    # the two 0.5 pods run side by side from 0 s; the 0.6 pod does not fit beside them and waits for both
    np.testing.assert_array_equal(res.first_start_s, [0.0, 0.0, 600.0])
    assert (res.state == COMPLETED).all()
    np.testing.assert_allclose(res.delivered_gpu_s, [300.0, 300.0, 360.0])  # 600 s at their share
    b = res.busy_changes
    assert int(np.cumsum(b["delta"]).max()) == 1  # one GPU occupied at any time
    _share_invariants(eng, res)


def test_cpu_and_memory_limit_placement(make_fleet: Callable[..., FleetTimeline]) -> None:
    fleet = _with_hosts(make_fleet([4], n_steps=60), cpu=[8000], mem=[32768.0])
    eng, res = _run(
        fleet,
        gpus=1,
        cpu_milli=np.array([6000, 6000, 1000]),
        memory_mib=np.array([1024.0, 1024.0, 40_000.0]),
        work_gpu_s=600.0,
        submit_s=0.0,
    )
    # the second 6-core job waits for CPU with three GPUs free; the third asks more memory than the node has
    np.testing.assert_array_equal(res.first_start_s[:2], [0.0, 600.0])
    assert res.state[2] == FAILED
    assert res.failure_reason[2] == "never_fits: needs 40000 MiB of memory on one node, largest node has 32768"
    _share_invariants(eng, res)


def test_gang_beyond_the_largest_node_never_fits_with_a_reason(make_fleet: Callable[..., FleetTimeline]) -> None:
    _, res = _run(make_fleet([8, 8, 2], n_steps=60), gpus=np.array([16, 8]), work_gpu_s=800.0, submit_s=0.0)
    assert res.state[0] == FAILED
    assert res.failure_reason[0] == "never_fits: needs 16 GPUs on one node, largest node has 8"
    assert res.state[1] == COMPLETED


def test_divisible_job_takes_the_most_gpus_one_node_gives(make_fleet: Callable[..., FleetTimeline]) -> None:
    """A 16-GPU batch job on 8-GPU nodes and a 2-GPU node runs on 8 GPUs (best fit used to pick the 2-GPU node and
    run 8x slower than the 16 asked, with 8-GPU nodes idle)."""
    for compiled in (True, False):
        fleet = make_fleet([2, 8, 8], n_steps=600)
        from orbitgrid.scheduling.engine import EngineConfig

        jobs = JobTable.build(kind=int(JobKind.BATCH), gpus=16, work_gpu_s=16 * 3600.0, submit_s=np.zeros(1))
        eng = Engine(
            fleet, Workload(jobs), make_policy("fifo-backfill"), np.random.default_rng(0),
            EngineConfig(compiled_search=compiled),
        )  # fmt: skip
        res = eng.run()
        assert res.placements["gpus"][0] == 8 and res.placements["node"][0] == 1
        assert res.end_s[0] == pytest.approx(2 * 3600.0)


def test_whole_gpu_gang_waits_for_a_shared_gpu_to_empty(make_fleet: Callable[..., FleetTimeline]) -> None:
    fleet = _with_hosts(make_fleet([2], n_steps=60))
    eng, res = _run(
        fleet,
        gpus=np.array([1, 2]),
        gpu_milli=np.array([300, 1000]),
        work_gpu_s=np.array([180.0, 1200.0]),
        submit_s=np.array([0.0, 10.0]),
    )
    # a pod's work runs at its GPU's speed whatever its share (the trace's run time): the 0.3 pod holds GPU 0 for 180 s
    # and the gang, though one GPU is free, starts only when GPU 0 is entirely free again
    np.testing.assert_array_equal(res.first_start_s, [0.0, 180.0])
    _share_invariants(eng, res)


def test_divisible_fractional_pods_share_a_gpu_with_none_entirely_free(
    make_fleet: Callable[..., FleetTimeline],
) -> None:
    """Batch (divisible) pods of 0.4 GPU on one GPU: the second fits beside the first although no GPU is entirely
    free (it once got 0 GPUs and stopped the run)."""
    fleet = _with_hosts(make_fleet([1], n_steps=60))
    eng, res = _run(
        fleet, kind=int(JobKind.BATCH), gpus=1, gpu_milli=np.array([400, 400]), work_gpu_s=600.0, submit_s=0.0
    )
    np.testing.assert_array_equal(res.first_start_s, [0.0, 0.0])
    assert list(res.placements["gpus"]) == [1, 1]
    _share_invariants(eng, res)
