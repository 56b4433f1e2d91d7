"""The openb trace replayed in time with GPU sharing, CPU and memory on its own node list: the GPU share the run
allocates is the share the trace's pods asked for, hour by hour.

Setup: the 4,132 GPU pods the shipped openb list scheduled, each a gang of its ``num_gpu`` GPUs with its
``gpu_milli`` share (1,705 pods ask for part of one GPU), ``cpu_milli`` and ``memory_mib``, on the 1,213 GPU nodes
of the node list (GPUs, CPU and memory per node, speed 1 so every pod keeps its observed run time), FIFO + EASY
backfill, no faults, 150 days at 1 h steps. The trace's cluster is nearly idle (``test_alibaba_replay``), so every
pod starts at its creation and runs its observed time: what the engine delivers is fixed by the trace.

Asserted (exact up to float rounding, 1e-9 relative):

1. every pod completes, starting at its creation, on a node whose GPUs, CPU and memory hold it;
2. delivered GPU-hours = sum of share x observed run time over the pods (fractional pods counted at their share);
   the whole-GPU replay (the loader's rounding up) delivers more by exactly the rounding: measured 15.9 %;
3. the allocation table's allocated GPUs at every hour boundary = the trace's running pods' shares at that instant
   (computed here from the CSV columns directly), and occupied GPUs >= allocated.
"""

from __future__ import annotations

import numpy as np
import pyarrow.csv as pacsv
import pytest

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.scheduling.allocation import RunRequests, allocation_timeline
from orbitgrid.scheduling.engine import COMPLETED, Engine, EngineResult
from orbitgrid.scheduling.policies import FifoBackfill
from orbitgrid.workloads.jobs import MILLI_PER_GPU, JobKind, JobTable, Workload
from orbitgrid.workloads.traces import default_path

HORIZON_S = 150 * 86_400.0
STEP_S = 3600.0


def _csv(name: str) -> dict[str, np.ndarray]:
    table = pacsv.read_csv(default_path(name))
    return {k: table.column(k).to_numpy() for k in table.column_names}


def _setup(sharing: bool) -> tuple[FleetTimeline, JobTable, np.ndarray]:
    nodes, pods = _csv("alibaba_openb_gpu_nodes"), _csv("alibaba_openb_pods")
    n = nodes["gpu"].size
    table = NodeTable(
        name=nodes["sn"].astype(object),
        kind=np.full(n, NodeKind.GROUND, dtype=np.int8),
        group=np.full(n, "openb", dtype=object),
        gpu_model=nodes["model"].astype(object),
        gpus=nodes["gpu"].astype(np.int32),
        speed=np.ones(n),
        fabric_bytes_s=np.full(n, 50e9),
        power_per_gpu_w=np.full(n, 300.0),
        base_rate_per_gpu_s=np.zeros((n, 3)),
        recovery_s=np.full(n, 600.0),
        lat_deg=np.zeros(n),
        lon_deg=np.zeros(n),
        altitude_m=np.zeros(n),
        energy_price_usd_per_kwh=np.zeros(n),
        cpu_milli=nodes["cpu_milli"] if sharing else None,
        memory_mib=nodes["memory_mib"].astype(float) if sharing else None,
    )
    fleet = FleetTimeline(table, STEP_S, np.repeat(table.gpus[:, None], int(HORIZON_S / STEP_S), axis=1))
    g = np.nan_to_num(pods["num_gpu"]).astype(np.int64)
    keep = (g > 0) & np.isfinite(pods["scheduled_time"])
    g = g[keep]
    run_s = (pods["deletion_time"] - pods["scheduled_time"])[keep]
    t0 = float(pods["creation_time"][keep].min())
    milli = np.where(g == 1, pods["gpu_milli"][keep], MILLI_PER_GPU).astype(np.int64)
    jobs = JobTable.build(
        job_id=pods["name"][keep].astype(object),
        kind=int(JobKind.TRAINING),
        submit_s=pods["creation_time"][keep] - t0,
        gpus=g,
        work_gpu_s=g * run_s,
        checkpoint_interval_s=1e12,
        gpu_milli=milli if sharing else MILLI_PER_GPU,
        cpu_milli=pods["cpu_milli"][keep] if sharing else 0,
        memory_mib=pods["memory_mib"][keep].astype(float) if sharing else 0.0,
    )
    order = np.argsort(pods["creation_time"][keep] - t0, kind="stable")
    return fleet, jobs, run_s[order]


def _share(jobs: JobTable) -> np.ndarray:
    return np.where(jobs.gpus == 1, jobs.gpu_milli / MILLI_PER_GPU, jobs.gpus).astype(float)


@pytest.fixture(scope="module")
def shared() -> tuple[FleetTimeline, JobTable, np.ndarray, EngineResult, Engine]:
    fleet, jobs, run_s = _setup(True)
    eng = Engine(fleet, Workload(jobs), FifoBackfill(), np.random.default_rng(0))
    return fleet, jobs, run_s, eng.run(), eng


def test_every_pod_runs_at_creation_on_a_node_that_holds_it(shared) -> None:
    fleet, jobs, run_s, res, eng = shared
    assert len(jobs) == 4132 and int((jobs.gpu_milli < MILLI_PER_GPU).sum()) == 1705
    assert (res.state == COMPLETED).all()
    np.testing.assert_array_equal(res.first_start_s, jobs.submit_s)
    np.testing.assert_allclose(res.end_s - res.first_start_s, run_s, rtol=1e-9, atol=1e-6)
    nodes = fleet.nodes
    assert np.all(jobs.cpu_milli <= nodes.cpu_milli[res.node]) and np.all(jobs.memory_mib <= nodes.memory_mib[res.node])
    assert eng.sharing is not None  # the run used the per-GPU view


def test_delivered_gpu_hours_are_the_pods_shares(shared) -> None:
    _, jobs, run_s, res, _ = shared
    expected = float(np.sum(_share(jobs) * run_s))
    assert float(res.delivered_gpu_s.sum()) == pytest.approx(expected, rel=1e-9)
    fleet_w, jobs_w, _ = _setup(False)
    whole = Engine(fleet_w, Workload(jobs_w), FifoBackfill(), np.random.default_rng(0)).run()
    rounding = float(np.sum(jobs.gpus * run_s)) / expected
    assert float(whole.delivered_gpu_s.sum()) / expected == pytest.approx(rounding, rel=1e-9)
    assert 1.15 < rounding < 1.17  # measured 1.159


def test_allocation_table_is_the_traces_running_share(shared) -> None:
    fleet, jobs, run_s, res, _ = shared
    req = RunRequests(
        gpus=jobs.gpus.astype(np.int64),
        share=_share(jobs),
        cpu_milli=jobs.cpu_milli.astype(np.int64),
        memory_mib=jobs.memory_mib.astype(float),
        model=np.full(len(jobs), -1),
        submit_s=jobs.submit_s,
        end_s=res.end_s,
    )
    t = np.arange(fleet.n_steps) * STEP_S
    nodes = fleet.nodes
    cols = allocation_timeline(
        nodes.gpus, nodes.cpu_milli, nodes.memory_mib, np.zeros(len(nodes), np.int64), req, res.placements, t
    )
    start, end = jobs.submit_s, jobs.submit_s + run_s  # the trace's own run intervals
    running = (start[None, :] <= t[:, None]) & (t[:, None] < end[None, :])
    np.testing.assert_allclose(cols["allocated_gpus"], running @ _share(jobs), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cols["requested_gpus"], cols["allocated_gpus"], rtol=1e-9, atol=1e-9)
    assert np.all(cols["occupied_gpus"] >= cols["allocated_gpus"] - 1e-9)
    assert cols["queued_jobs"].max() == 0 and cols["stranded_gpus"].max() == 0.0
