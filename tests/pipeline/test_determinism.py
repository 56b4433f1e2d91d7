"""Same inputs, same bytes: two runs of one scenario write identical files, except ``timings.json``.

The fast test runs a small scenario through every stage ``simulate`` has (designed, Walker and formation shells, a
ground site, training, generated and inference workloads, the network with contacts and flows, cost.json with its
Monte Carlo, the report); the slow one runs the built-in default scenario through the CLI in a subprocess, as a user
would. Both write to the same path twice (the path is part of the recorded command) and compare every byte of every
file. The report is also searched for what would make two renderings differ: timestamps and random ids.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orbitgrid.api import TIMINGS_FILE, load_scenario, simulate
from orbitgrid.scenario import load_scenario_text

EVERY_STAGE = """\
schema_version: 1
name: every-stage
epoch: 2027-03-20T00:00:00Z
duration: 3h
step: 60s
seed: 11
fleet:
  shells:
    - name: dawn-dusk
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 2, per_plane: 4}
      design: compute-sat
    - name: walker
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 24, planes: 4, phasing: 1}
      design: starlink-v2-mini-compute
    - name: clusters
      orbit: {type: formation, altitude_km: 670, ltan_hours: 18.0, clusters: 2, per_cluster: 9, radius_km: 1.0}
      design: suncatcher-tpu-sat
  ground_sites:
    - {name: memphis, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 512}, grid_power_mw: 1.0, pue: 1.2}
tenants:
  - {name: lab, contract: reserved, reserved_gpus: 256, price_usd_per_gpu_hour: 2.2}
  - {name: chat, contract: on_demand, price_usd_per_gpu_hour: 3.5}
workloads:
  - {type: training, tenant: lab, count: 3, gpus: 128, gpu_model: H100, work_gpu_hours: 128, spacing: 30min,
     allreduce_gb_per_step: 1.6, step_compute: 4s}
  - {type: training, tenant: lab, count: 4, gpus: 16, gpu_model: H100, work_gpu_hours: 8, spacing: 20min}
  - {type: generated, tenant: lab, kind: batch, rate_scale: 2, contract: spot}
  - {type: inference, tenant: chat, services: 2, gpus: 8, gpu_model: H100, rate_scale: 1}
policy: {name: priority, power_aware: true}
network:
  gateways: {providers: [KSAT], beside_ground_sites: true}
"""

#: Every file a run with all stages writes; a new output must be added here (and so to the promise).
EVERY_FILE = {
    "allocation.parquet",
    "contacts.parquet",
    "cost.json",
    "eclipses.parquet",
    "faults.parquet",
    "flows.parquet",
    "jobs.parquet",
    "latency.parquet",
    "lifetime.json",
    "links.parquet",
    "manifest.json",
    "node_usage.parquet",
    "nodes.parquet",
    "orbit.json",
    "placements.parquet",
    "report.html",
    "samples.parquet",
    "summary.json",
    "timeseries.parquet",
    "timings.json",
    "utilization.parquet",
}
_ISO_DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def _files(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.iterdir()) if p.is_file()}


def _assert_same_bytes(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    assert set(first) == set(second)
    differ = sorted(name for name in first if name != TIMINGS_FILE and first[name] != second[name])
    assert differ == [], f"files that differ between two identical runs: {differ}"


def _assert_report_has_no_clock_or_random_id(html: str, epoch: str) -> None:
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert html.count(bundle) == 1  # plotly.js inlined once, as shipped (its own constants hold fixed dates)
    html = html.replace(bundle, "")
    dates = set(_ISO_DATE.findall(html))
    # the only instants on the page are the scenario's epoch (and instants derived from it in the tables)
    assert all(d.startswith(epoch[:10]) for d in dates), dates
    assert _UUID.search(html) is None
    ids = re.findall(r'<div class="plot" id="([^"]+)"', html)
    assert ids and ids == [f"plot-{k}" for k in range(1, len(ids) + 1)]  # numbered in page order, not random


def test_two_runs_of_every_stage_are_byte_identical(tmp_path: Path) -> None:
    scenario = load_scenario_text(EVERY_STAGE)
    run = tmp_path / "run"
    first = simulate(scenario, run)
    files = _files(run)
    shutil.rmtree(run)
    second = simulate(scenario, run)
    assert set(files) == EVERY_FILE
    _assert_same_bytes(files, _files(run))
    # wall times are only in timings.json: not in the summary, with the stages that ran
    assert "engine_wall_s" not in json.loads(files["summary.json"]) and "wall" not in files["summary.json"].decode()
    timings = json.loads(files[TIMINGS_FILE])
    assert set(timings["stages_s"]) == {
        "orbit",
        "capacity",
        "nodes",
        "network",
        "schedule",
        "flows",
        "cost",
        "lifetime",
        "report",
    }
    assert timings["total_s"] >= sum(timings["stages_s"].values()) > 0.0 and timings["engine_s"] > 0.0
    assert first.timings == timings and second.summary == first.summary
    _assert_report_has_no_clock_or_random_id(files["report.html"].decode("utf-8"), "2027-03-20")


@pytest.mark.slow
def test_the_default_scenario_through_the_cli_twice_is_byte_identical(tmp_path: Path) -> None:
    """The main job as a user runs it (a subprocess of ``python -m orbitgrid simulate``), twice into one folder."""
    import orbitgrid

    cmd = [sys.executable, "-m", "orbitgrid", "simulate", "default", "--out", "run"]
    # the orbitgrid under test, whatever the working directory (the folder is not on the child's path otherwise)
    env = {**os.environ, "PYTHONPATH": str(Path(orbitgrid.__file__).resolve().parents[1])}
    outs = []
    for k in range(2):
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stderr
        outs.append(_files(tmp_path / "run"))
        shutil.move(tmp_path / "run", tmp_path / f"run{k}")
    assert {"summary.json", "report.html", "jobs.parquet", "flows.parquet", "cost.json"} <= set(outs[0])
    _assert_same_bytes(*outs)
    epoch = load_scenario("default").epoch.isoformat()
    _assert_report_has_no_clock_or_random_id(outs[0]["report.html"].decode("utf-8"), epoch)
