"""Replay fidelity against the input, exactly: the inference replay serves the request file's tokens, and a hand-built
trace under strict FIFO reproduces the waits worked out by hand.

1. Tokens. An inference service over exactly the span of the shipped Azure LLM inference 2023 conversation trace
   (19,366 requests, 18:15:46.68-19:14:08.40 on 2023-11-16) on a ground site large enough to serve every request:
   the requests the replay serves carry the file's prompt and output tokens, so their mean, median and 99th
   percentile equal the file's, read here independently with the standard library's ``csv`` and ``gzip`` (not the
   project's pyarrow loader). Exact equality: the replay must neither drop, duplicate, tile nor resample requests.
2. Waits. Four gangs on one 4-GPU node under FIFO without backfill (a blocked head blocks everything behind it):
   A (4 GPUs, 100 s) at 0 s runs at once; B (2 GPUs, 50 s) at 10 s waits for A (start 100 s, wait 90 s); C (2 GPUs,
   30 s) at 20 s starts beside B (start 100 s, wait 80 s); D (4 GPUs, 10 s) at 30 s waits for B (start 150 s, wait
   120 s); E (1 GPU, 5 s) at 40 s is behind D and starts when D ends (start 160 s, wait 120 s) although a GPU is free
   from 130 s (that is what FIFO without backfill means). The engine must reproduce every start to the float.
"""

from __future__ import annotations

import csv
import gzip
from datetime import datetime

import numpy as np
import pytest

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.pipeline.schedule import build_workload, replay_requests
from orbitgrid.scenario import load_scenario_text
from orbitgrid.scheduling.engine import COMPLETED, Engine
from orbitgrid.scheduling.policies import FifoBackfill
from orbitgrid.workloads.jobs import JobKind, JobTable, Workload
from orbitgrid.workloads.traces import default_path


def _ground_fleet(gpus: int, horizon_s: float, step_s: float) -> FleetTimeline:
    n_steps = int(np.ceil(horizon_s / step_s))
    nodes = NodeTable(
        name=np.array(["site/H100"], dtype=object),
        kind=np.array([NodeKind.GROUND], dtype=np.int8),
        group=np.array(["site"], dtype=object),
        gpu_model=np.array(["H100"], dtype=object),
        gpus=np.array([gpus], dtype=np.int32),
        speed=np.ones(1),
        fabric_bytes_s=np.full(1, 50e9),
        power_per_gpu_w=np.full(1, 1000.0),
        base_rate_per_gpu_s=np.zeros((1, 3)),
        recovery_s=np.full(1, 600.0),
        lat_deg=np.array([35.0]),
        lon_deg=np.array([-90.0]),
        altitude_m=np.zeros(1),
        energy_price_usd_per_kwh=np.zeros(1),
    )
    return FleetTimeline(nodes, step_s, np.full((1, n_steps), gpus, dtype=np.int32))


def _file_tokens() -> tuple[np.ndarray, np.ndarray, float]:
    """Prompt and output tokens of the shipped conversation trace, and its span in seconds (last - first + 1)."""
    with gzip.open(default_path("azure_llm_conv"), "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    stamps = [datetime.fromisoformat(r["TIMESTAMP"][:26]) for r in (rows[0], rows[-1])]
    span = (stamps[1] - stamps[0]).total_seconds() + 1.0
    return (
        np.array([int(r["ContextTokens"]) for r in rows]),
        np.array([int(r["GeneratedTokens"]) for r in rows]),
        span,
    )


def test_inference_replay_serves_the_files_token_distributions() -> None:
    file_in, file_out, span = _file_tokens()
    assert file_in.size == 19_366
    duration = int(span)  # covers every arrival (the last is at span - 1) and no second pass of the trace
    scenario = load_scenario_text(
        f"""
schema_version: 1
name: tokens
epoch: 2027-03-20T00:00:00Z
duration: {duration}s
step: 1s
fleet:
  ground_sites:
    - {{name: site, lat_deg: 35.0, lon_deg: -90.0, gpus: {{H100: 64}}, grid_power_mw: 1.0}}
tenants:
  - {{name: app, contract: on_demand}}
workloads:
  - {{type: inference, tenant: app, services: 1, gpus: 64, gpu_model: H100}}
policy: {{name: fifo-backfill}}
"""
    )
    workload = build_workload(scenario, np.random.default_rng(0))
    fleet = _ground_fleet(64, float(duration), 1.0)
    result = Engine(fleet, workload, FifoBackfill(), np.random.default_rng(0)).run()
    outcome = replay_requests(workload, fleet, result, fleet.horizon_s)
    assert outcome is not None and workload.requests is not None
    assert outcome.served.all()  # 64 GPUs x 32 sequences: no request waits past the end
    served_in = workload.requests.input_tokens[outcome.served]
    served_out = workload.requests.output_tokens[outcome.served]
    for sim, ref in ((served_in, file_in), (served_out, file_out)):
        assert sim.size == ref.size
        assert float(np.mean(sim)) == pytest.approx(float(np.mean(ref)), rel=0, abs=1e-9)
        for q in (50, 99):
            assert float(np.percentile(sim, q)) == float(np.percentile(ref, q))


def test_hand_built_trace_under_fifo_reproduces_known_waits() -> None:
    submit = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    gpus = np.array([4, 2, 2, 4, 1])
    run_s = np.array([100.0, 50.0, 30.0, 10.0, 5.0])
    jobs = JobTable.build(
        job_id=["A", "B", "C", "D", "E"],
        kind=int(JobKind.TRAINING),
        submit_s=submit,
        gpus=gpus,
        work_gpu_s=gpus * run_s,  # speed 1, no communication: a gang of g runs work / g seconds
        checkpoint_interval_s=1e9,
    )
    fleet = _ground_fleet(4, 600.0, 60.0)
    policy = FifoBackfill(backfill=False)
    result = Engine(fleet, Workload(jobs), policy, np.random.default_rng(0)).run()
    assert (result.state == COMPLETED).all()
    expected_start = np.array([0.0, 100.0, 100.0, 150.0, 160.0])
    np.testing.assert_array_equal(result.first_start_s, expected_start)
    np.testing.assert_array_equal(result.first_start_s - submit, [0.0, 90.0, 80.0, 120.0, 120.0])
    np.testing.assert_array_equal(result.end_s, expected_start + run_s)
