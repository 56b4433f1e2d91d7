"""Replay fidelity in the run's tables: jobs that can never fit say why, jobs a trace recorded as failed or killed
end that way and count as lost, and the allocation table tracks shared GPUs."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.pipeline.schedule import ScheduleRun, allocation_columns, job_columns, schedule_summary
from orbitgrid.scheduling.engine import Engine
from orbitgrid.scheduling.policies import FifoBackfill
from orbitgrid.workloads.jobs import JobKind, JobTable, TraceStatus, Workload


def _fleet(n_steps: int = 60, step_s: float = 60.0) -> FleetTimeline:
    gpus = np.array([8, 2], dtype=np.int32)
    nodes = NodeTable(
        name=np.array(["big", "small"], dtype=object),
        kind=np.full(2, NodeKind.GROUND, dtype=np.int8),
        group=np.array(["site", "site"], dtype=object),
        gpu_model=np.array(["H100", "H100"], dtype=object),
        gpus=gpus,
        speed=np.ones(2),
        fabric_bytes_s=np.full(2, 50e9),
        power_per_gpu_w=np.full(2, 1000.0),
        base_rate_per_gpu_s=np.zeros((2, 3)),
        recovery_s=np.full(2, 600.0),
        lat_deg=np.zeros(2),
        lon_deg=np.zeros(2),
        altitude_m=np.zeros(2),
        energy_price_usd_per_kwh=np.zeros(2),
        cpu_milli=np.array([64_000, 16_000]),
        memory_mib=np.array([262_144.0, 65_536.0]),
    )
    return FleetTimeline(nodes, step_s, np.repeat(gpus[:, None], n_steps, axis=1))


@pytest.fixture(scope="module")
def run() -> ScheduleRun:
    jobs = JobTable.build(
        job_id=["gang16", "t4", "failed", "killed", "half-a", "half-b"],
        kind=int(JobKind.TRAINING),
        submit_s=np.array([0.0, 0.0, 0.0, 0.0, 60.0, 60.0]),
        gpus=np.array([16, 1, 1, 1, 1, 1]),
        gpu_milli=np.array([1000, 1000, 1000, 1000, 500, 500]),
        work_gpu_s=np.array([1600.0, 100.0, 100.0, 200.0, 600.0, 600.0]),
        trace_status=np.array([0, 0, TraceStatus.FAILED, TraceStatus.KILLED, 0, 0]),
        checkpoint_interval_s=1e9,
        gpu_model=np.array([-1, 0, -1, -1, -1, -1]),
        gpu_models=("T4",),
    )
    fleet = _fleet()
    workload = Workload(jobs)
    result = Engine(fleet, workload, FifoBackfill(), np.random.default_rng(0)).run()
    r = ScheduleRun(fleet, workload, result, None, "fifo-backfill", 0.0)
    r.allocation.update(allocation_columns(r))
    return r


def test_never_fits_jobs_say_why_and_are_counted(run: ScheduleRun) -> None:
    cols = job_columns(run)
    state = dict(zip(cols["job_id"], cols["state"], strict=True))
    reason = dict(zip(cols["job_id"], cols["reason"], strict=True))
    assert state["gang16"] == "never_fits"
    assert reason["gang16"] == "never_fits: needs 16 GPUs on one node, largest node has 8"
    assert state["t4"] == "never_fits" and reason["t4"] == "never_fits: no nodes with GPU model T4"
    summary = schedule_summary(run)
    assert summary["jobs"]["never_fits"] == 2
    assert summary["never_fits"] == {reason["gang16"]: 1, reason["t4"]: 1}


def test_trace_failed_and_killed_jobs_end_as_recorded_and_count_as_lost(run: ScheduleRun) -> None:
    cols = job_columns(run)
    row = {k: i for i, k in enumerate(cols["job_id"])}
    for name, state in (("failed", "failed"), ("killed", "killed")):
        i = row[name]
        assert cols["state"][i] == state and cols["reason"][i] == f"trace: {state} as recorded"
        assert cols["useful_gpu_s"][i] == 0.0
        assert cols["lost_gpu_s"][i] == cols["delivered_gpu_s"][i] > 0.0
    summary = schedule_summary(run)
    assert summary["jobs"]["failed"] == 1 and summary["jobs"]["killed"] == 1 and summary["jobs"]["completed"] == 2
    lost_h = (cols["delivered_gpu_s"][row["failed"]] + cols["delivered_gpu_s"][row["killed"]]) / 3600.0
    assert summary["lost_gpu_hours"]["trace_failed_or_killed"] == pytest.approx(lost_h)
    useful_h = (cols["useful_gpu_s"][row["half-a"]] + cols["useful_gpu_s"][row["half-b"]]) / 3600.0
    assert summary["gpu_hours"]["useful"] == pytest.approx(useful_h)


def test_allocation_table_counts_shares(run: ScheduleRun) -> None:
    a = run.allocation
    assert set(a) >= {"t_s", "requested_gpus", "allocated_gpus", "occupied_gpus", "fragmented_gpus", "stranded_gpus"}
    # at 60 s: the failed (0-100 s) and killed (0-200 s) pods hold a GPU each, the two half pods share a third (best
    # fit on the share); the 16-GPU gang and the T4 job left at arrival and request nothing
    k = int(np.searchsorted(a["t_s"], 60.0))
    assert a["requested_gpus"][k] == pytest.approx(3.0) and a["allocated_gpus"][k] == pytest.approx(3.0)
    assert a["occupied_gpus"][k] == 3
    # at 300 s only the half pods run: one GPU occupied, wholly allocated
    k = int(np.searchsorted(a["t_s"], 300.0))
    assert a["allocated_gpus"][k] == pytest.approx(1.0) and a["occupied_gpus"][k] == 1
    assert a["queued_jobs"].max() == 0 and a["stranded_gpus"].max() == 0.0
