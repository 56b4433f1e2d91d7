"""``orbitgrid sweep``: a small simulate sweep end to end, resume, a dask cluster by address, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app

runner = CliRunner()

BASE = """\
schema_version: 1
name: sweep-cli-base
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
fleet:
  shells:
    - name: walker
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 4, planes: 2, phasing: 1}
      design: compute-sat
"""

SPEC = """\
schema_version: 1
name: cli-sweep
base: base.yaml
evaluate: simulate
grid:
  fleet.shells.walker.orbit.inclination_deg: [0.0, 53.0]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "sweep.yaml").write_text(SPEC)
    return tmp_path


def test_sweep_runs_and_resumes(folder: Path) -> None:
    out = folder / "out"
    res = runner.invoke(app, ["sweep", str(folder / "sweep.yaml"), "--out", str(out), "--workers", "0"])
    assert res.exit_code == 0, res.output
    assert "2 points: 2 evaluated, 0 already done, 0 failed" in res.stdout
    table = pq.read_table(out / "sweep.parquet")
    assert table.num_rows == 2
    rows = table.to_pylist()
    assert [r["param.fleet.shells.walker.orbit.inclination_deg"] for r in rows] == [0.0, 53.0]
    # An equatorial 550 km orbit crosses Earth's shadow every revolution; at 53 deg in March it does too, for less
    # of the orbit: the swept value reached the simulation.
    assert rows[0]["fleet.eclipses_total"] > 0
    assert rows[0]["fleet.sunlit_fraction_mean"] != rows[1]["fleet.sunlit_fraction_mean"]
    assert json.loads((out / "sweep.json").read_text())["summary"] == {"points": 2, "failed": 0}
    assert (out / "sweep.html").stat().st_size > 1e6  # plotly.js is inlined
    # the results table: the axis with its unit, a headline output, one row per point
    text = " ".join(res.stdout.split())
    assert "Sweep results (2 points)" in text and "inclination (°)" in text
    page = (out / "sweep.html").read_text()
    assert '"type":"parcoords"' in page and "fleet.shells.walker.orbit.inclination (°)" in page

    again = runner.invoke(app, ["sweep", str(folder / "sweep.yaml"), "--out", str(out), "--workers", "0"])
    assert again.exit_code == 0, again.output
    assert "2 points: 0 evaluated, 2 already done" in again.stdout
    fresh = runner.invoke(
        app, ["sweep", str(folder / "sweep.yaml"), "--out", str(out), "--workers", "0", "--no-resume"]
    )
    assert "2 points: 2 evaluated, 0 already done" in fresh.stdout


def test_sweep_on_a_dask_cluster_by_address(folder: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    ) as cluster:
        res = runner.invoke(
            app,
            ["sweep", str(folder / "sweep.yaml"), "--out", str(folder / "d"), "--cluster", cluster.scheduler_address],
        )
    assert res.exit_code == 0, res.output
    assert pq.read_table(folder / "d" / "sweep.parquet").num_rows == 2


def test_unknown_path_is_reported_with_what_is_allowed(folder: Path) -> None:
    (folder / "bad.yaml").write_text(SPEC.replace("orbit.inclination_deg", "orbit.inclination"))
    res = runner.invoke(app, ["sweep", str(folder / "bad.yaml"), "--workers", "0"])
    assert res.exit_code == 2
    err = " ".join(res.stderr.split())  # rich wraps lines at the terminal width
    assert "grid['fleet.shells.walker.orbit.inclination']" in err
    allowed = "altitude_km, inclination_deg, phasing, planes, raan_deg, total, type"
    assert f"no field 'inclination'; allowed: {allowed}" in err


def test_failed_points_exit_1_and_are_listed(folder: Path) -> None:
    (folder / "bad.yaml").write_text(SPEC.replace("[0.0, 53.0]", "[53.0, 200.0]"))
    res = runner.invoke(app, ["sweep", str(folder / "bad.yaml"), "--out", str(folder / "o"), "--workers", "0"])
    assert res.exit_code == 1
    err = " ".join(res.stderr.split())
    assert "fleet.shells[0].orbit.inclination_deg: must be between 0 and 180, got 200" in err
    assert "1 points failed" in err


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sweeps"


@pytest.mark.parametrize(("name", "points"), [("simulate-ltan.yaml", 6), ("cost-launch-price.yaml", 1000)])
def test_example_sweeps_are_valid(name: str, points: int) -> None:
    """The shipped examples load: spec, base scenario and every axis path (their runs are in docs/economics.md)."""
    from orbitgrid.design.sweep import plan_points
    from orbitgrid.scenario.sweep import apply_point, load_sweep

    sweep = load_sweep(EXAMPLES / name)
    planned = plan_points(sweep)
    assert len(planned) == points
    apply_point(sweep.base_dict, planned[-1].params)  # the last point is a valid scenario
