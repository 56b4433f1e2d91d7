"""The JobTable columns a trace fills for the engine (GPU share, CPU, memory, recorded status): defaults that mean
"not modelled", bounds, and runs of workloads that do not set them unchanged by their presence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.scheduling.engine import Engine
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.generators import generate_training_jobs
from orbitgrid.workloads.jobs import _COLUMNS, MILLI_PER_GPU, JobKind, JobTable, TraceStatus, Workload


def _fleet(gpus: list[int], n_steps: int = 600, step_s: float = 60.0, rate: float = 1e-7) -> FleetTimeline:
    """Orbital H100 nodes at full capacity with the same fault rates (per GPU-second) on every node."""
    n = len(gpus)
    g = np.asarray(gpus, np.int32)
    nodes = NodeTable(
        name=np.array([f"n{i}" for i in range(n)], dtype=object),
        kind=np.full(n, NodeKind.ORBITAL, np.int8),
        group=np.array(["test"] * n, dtype=object),
        gpu_model=np.array(["H100"] * n, dtype=object),
        gpus=g,
        speed=np.ones(n),
        fabric_bytes_s=np.full(n, 50e9),
        power_per_gpu_w=np.full(n, 1000.0),
        base_rate_per_gpu_s=np.tile([rate, rate, 0.0], (n, 1)),
        recovery_s=np.full(n, 600.0),
        lat_deg=np.full(n, np.nan),
        lon_deg=np.full(n, np.nan),
        altitude_m=np.full(n, 550e3),
        energy_price_usd_per_kwh=np.zeros(n),
    )
    return FleetTimeline(nodes, step_s, np.repeat(g[:, None], n_steps, axis=1))


def test_new_columns_default_to_whole_gpus_unmodelled_cpu_memory_and_completed() -> None:
    t = JobTable.build(submit_s=[0.0, 5.0], gpus=[1, 8], work_gpu_s=[10.0, 80.0])
    assert t.gpu_milli.dtype == np.int32 and t.gpu_milli.tolist() == [MILLI_PER_GPU, MILLI_PER_GPU]
    assert t.cpu_milli.dtype == np.int32 and t.cpu_milli.tolist() == [0, 0]
    assert t.memory_mib.dtype == np.float64 and t.memory_mib.tolist() == [0.0, 0.0]
    assert t.trace_status.dtype == np.int8 and t.trace_status.tolist() == [TraceStatus.COMPLETED] * 2
    assert t.gpu_model.tolist() == [-1, -1]
    assert {"gpu_milli", "cpu_milli", "memory_mib", "trace_status"} <= set(_COLUMNS)


def test_new_columns_survive_take_and_concat() -> None:
    a = JobTable.build(
        submit_s=[3.0, 1.0],
        gpus=[1, 2],
        gpu_milli=[250, 1000],
        cpu_milli=[4000, 8000],
        memory_mib=[1024.0, 2048.0],
        trace_status=[TraceStatus.FAILED, TraceStatus.KILLED],
    )
    assert a.gpu_milli.tolist() == [1000, 250]  # sorted by submit time with the rest of the row
    b = a.concat(JobTable.build(submit_s=[2.0]))
    assert b.gpu_milli.tolist() == [1000, 1000, 250]
    assert b.trace_status.tolist() == [TraceStatus.KILLED, TraceStatus.COMPLETED, TraceStatus.FAILED]
    assert a.take(np.array([1])).memory_mib.tolist() == [1024.0]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"gpu_milli": 0}, "gpu_milli must be in 1..1000"),
        ({"gpu_milli": 1001}, "gpu_milli must be in 1..1000"),
        ({"gpu_milli": 500, "gpus": 2}, "needs gpus == 1"),
        ({"cpu_milli": -1}, "cpu_milli and memory_mib"),
        ({"memory_mib": np.nan}, "cpu_milli and memory_mib"),
        ({"trace_status": 3}, "TraceStatus"),
    ],
)
def test_new_columns_reject_values_outside_their_meaning(columns: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        JobTable.build(submit_s=[0.0], **columns)


def test_generated_jobs_fill_the_defaults() -> None:
    jobs = generate_training_jobs(np.random.default_rng(1), 50)
    assert (jobs.gpu_milli == MILLI_PER_GPU).all() and (jobs.cpu_milli == 0).all()
    assert (jobs.memory_mib == 0).all() and (jobs.trace_status == TraceStatus.COMPLETED).all()


def test_a_run_is_unchanged_by_the_defaults_written_out() -> None:
    """Setting the new columns to their defaults explicitly gives the same run, field by field, as leaving them
    out (whole GPUs, CPU and memory not modelled, all completed)."""
    rng = np.random.default_rng(7)
    n = 40
    cols = {
        "kind": rng.choice([int(JobKind.TRAINING), int(JobKind.BATCH)], n),
        "submit_s": np.sort(rng.uniform(0, 20_000, n)),
        "gpus": rng.choice([1, 2, 4, 8], n),
        "work_gpu_s": rng.uniform(600, 40_000, n),
    }
    fleet = _fleet([8, 8, 4])
    plain = JobTable.build(**cols)
    explicit = JobTable.build(
        **cols,
        gpu_milli=np.full(n, MILLI_PER_GPU),
        cpu_milli=np.zeros(n),
        memory_mib=np.zeros(n),
        trace_status=np.zeros(n),
        gpu_model=np.full(n, -1),
    )
    runs = [
        Engine(fleet, Workload(t), make_policy("fifo-backfill", power_aware=True), np.random.default_rng(3)).run()
        for t in (plain, explicit)
    ]
    assert runs[0].events == runs[1].events > 0
    for f in dataclasses.fields(runs[0]):
        a, b = getattr(runs[0], f.name), getattr(runs[1], f.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f.name)
        elif isinstance(a, dict):
            assert a.keys() == b.keys()
            for k in a:
                np.testing.assert_array_equal(a[k], b[k], err_msg=f"{f.name}.{k}")
