"""A trace replayed through ``orbitgrid simulate``: the window, warm start and scaling reach the engine's jobs, and
the run's manifest records what was read and how it was transformed."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from orbitgrid.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "traces"

SCENARIO = """\
schema_version: 1
name: helios-window
epoch: 2027-03-20T00:00:00Z
duration: 4h
step: 300s
fleet:
  ground_sites:
    - {{name: dc, lat_deg: 40.0, lon_deg: -100.0, gpus: {{H100: 64}}, grid_power_mw: 5}}
tenants:
  - {{name: lab}}
workloads:
  - type: trace
    tenant: lab
    format: helios
    file: {file}
    window: {{start: "2020-06-09T18:41:20Z"}}
    warm_start: true
    rate_scale: 2.0
"""


def test_window_warm_start_and_scaling_reach_the_run_and_its_manifest(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO.format(file=DATA / "helios_cluster_log.csv"))
    res = CliRunner().invoke(app, ["simulate", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "run"), "--no-report"])
    assert res.exit_code == 0, res.output
    jobs = pq.read_table(tmp_path / "run" / "jobs.parquet").to_pydict()
    # 1425511 (submitted 18:41:01, running until the next day) is warm; 1425512 and 1425513 are submitted inside the
    # window 7 and 8 s after its start, at rate_scale 2: 3.5 and 4 s; 1425515 (16 GPUs) 539 - 19 = 520 s -> 260 s
    got = dict(zip(jobs["job_id"], jobs["submit_s"], strict=True))
    assert got == {"1425511@warm": 0.0, "1425512": 3.5, "1425513": 4.0, "1425515": 260.0}
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    [trace] = manifest["traces"]
    assert trace["path"] == "workloads[0]" and trace["format"] == "helios"
    assert trace["rows"] == 5 and trace["jobs"] == 4 and trace["replayed"] == 4
    assert trace["dropped"] == {"no GPUs (CPU-only)": 1}
    assert trace["warm_started"] == 1 and trace["outside_window"] == 0
    assert trace["transform"] == {
        "window_start_s": 19.0,
        "window_end_s": None,
        "rate_scale": 2.0,
        "time_scale": 1.0,
        "warm_start": True,
        "limit": None,
    }
    assert manifest["scenario"]["workloads"][0]["rate_scale"] == 2.0


def test_the_window_example_reads_the_shipped_trace_and_node_list() -> None:
    from orbitgrid.scenario import load_scenario

    example = Path(__file__).resolve().parents[2] / "examples" / "openb-window-100x.yaml"
    sc = load_scenario(example)
    w = sc.workloads[0]
    rep = w.report()
    assert rep["replayed"] == 1272 and rep["warm_started"] == 33 and rep["outside_window"] == 2860
    assert rep["transform"]["rate_scale"] == 100 and rep["transform"]["window_start_s"] == 120 * 86400.0
    assert w.table.job_id[0].endswith("@warm") and w.table.submit_s[33] > 0.0
    assert len(sc.ground_sites[0].gpus.nodes.node) == 1213 and sc.ground_sites[0].gpu_counts == {"H100": 6212}


def test_each_trace_user_can_be_a_tenant(tmp_path: Path) -> None:
    text = SCENARIO.format(file=DATA / "helios_cluster_log.csv").replace(
        '    window: {start: "2020-06-09T18:41:20Z"}\n    warm_start: true\n    rate_scale: 2.0\n',
        "    tenant_per_user: true\npolicy: {name: fair-share}\n",
    )
    text = text.replace("  - {name: lab}", "  - {name: lab, share: 2.0, price_usd_per_gpu_hour: 3.0}")
    (tmp_path / "s.yaml").write_text(text)
    res = CliRunner().invoke(app, ["simulate", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "run"), "--no-report"])
    assert res.exit_code == 0, res.output
    jobs = pq.read_table(tmp_path / "run" / "jobs.parquet").to_pydict()
    got = dict(zip(jobs["job_id"], jobs["tenant"], strict=True))
    assert got == {"1425511": "lab/uXBbc", "1425512": "lab/uVMrF", "1425513": "lab/uzqls", "1425515": "lab/uXBbc"}
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(summary["tenants"]) == {"lab", "lab/uXBbc", "lab/uVMrF", "lab/uzqls"}
    assert summary["tenants"]["lab"]["jobs_submitted"] == 0
    assert summary["tenants"]["lab/uXBbc"]["jobs_submitted"] == 2


def test_tenant_per_user_needs_a_user_column() -> None:
    from orbitgrid.scenario import ScenarioError, load_scenario_text

    text = SCENARIO.format(file=DATA / "openb_pods.csv").replace("format: helios", "format: alibaba_openb")
    text = text.replace(
        '    window: {start: "2020-06-09T18:41:20Z"}\n    warm_start: true\n', "    tenant_per_user: true\n"
    )
    try:
        load_scenario_text(text)
    except ScenarioError as exc:
        found = {p.path: p.message for p in exc.problems}
        assert "maps no tenant (user) column" in found["workloads[0].tenant_per_user"]
    else:
        raise AssertionError("tenant_per_user without a user column was accepted")
