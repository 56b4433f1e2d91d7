"""``examples/alibaba-openb-replay.yaml``: a user scenario built from the Alibaba openb trace runs end to end with
``orbitgrid simulate`` (summary on screen, run directory, report), and the trace workload's horizon cut."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.pipeline.schedule import build_workload
from orbitgrid.scenario import load_scenario
from orbitgrid.workloads.traces import default_path, load_alibaba_openb_pods

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "alibaba-openb-replay.yaml"
#: GPU pods the shipped openb list scheduled (load_alibaba_openb_pods); the example replays all of them.
TRACE_PODS = 4132
#: Of them, pods whose pod_phase is Failed: the replay ends them as the trace recorded, not as useful work.
TRACE_FAILED = 1379


def test_simulate_the_trace_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # as a user would, from outside the repository
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["simulate", str(EXAMPLE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    for heading in ("Workloads", "Tenants", "Orbit vs ground", "openb-cluster", "dawn-dusk-650", "4,132"):
        assert heading in res.output
    for name in ("summary.json", "manifest.json", "jobs.parquet", "placements.parquet", "utilization.parquet"):
        assert (out / name).is_file(), name
    assert (out / "report.html").stat().st_size > 10_000
    s = json.loads((out / "summary.json").read_text())
    jobs = s["jobs"]
    assert jobs["submitted"] == TRACE_PODS
    assert jobs["failed"] == TRACE_FAILED and jobs["queued"] == 0
    assert jobs["completed"] + jobs["running"] == TRACE_PODS - TRACE_FAILED
    # 30 pods of the trace are still alive at day 141; batch pods started on fewer GPUs may add a few more
    assert 30 <= jobs["running"] <= 40
    assert s["wait_s"]["p99"] == 0.0  # 6,340 GPUs for a load of ~40: nothing waits
    table = pq.read_table(out / "jobs.parquet").to_pydict()
    assert len(table["job_id"]) == TRACE_PODS
    assert set(table["state"]) <= {"completed", "running", "failed"}
    assert table["state"].count("failed") == TRACE_FAILED


def test_trace_pods_after_the_run_are_dropped(tmp_path: Path) -> None:
    """A scenario shorter than the trace keeps only the pods created before it ends (they alone can arrive), as
    the generated workloads do; before the fix the rest were counted as submitted and listed as 'pending'."""
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["duration"] = "120d"
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(raw))
    scenario = load_scenario(path)
    wl = build_workload(scenario, np.random.default_rng(0))
    submit = load_alibaba_openb_pods(default_path("alibaba_openb_pods")).submit_s
    expected = int(np.sum(submit < 120 * 86_400.0))
    assert 0 < expected < TRACE_PODS  # the cut falls inside the trace's busy window
    assert len(wl.jobs) == expected
    assert float(wl.jobs.submit_s.max()) < scenario.duration_s
