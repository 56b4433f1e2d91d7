"""``orbitgrid cost`` and ``orbitgrid design`` end to end (typer's runner, in process)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from orbitgrid.cli import app

runner = CliRunner()

TINY = """\
schema_version: 1
name: tiny
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
seed: 3
fleet:
  shells:
    - name: dd
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}
      design: compute-sat
tenants:
  - {name: lab, contract: on_demand}
workloads:
  - {type: training, tenant: lab, count: 2, gpus: 8, gpu_model: H100, work_gpu_hours: 4, spacing: 10min}
economics:
  nre_usd: 0.0
"""

KEYS = {"schema", "label", "orbit", "ground", "lease", "ratio_orbit_to_ground", "ratios", "assumptions", "uncertainty"}


def test_cost_of_a_scenario_prints_orbit_vs_ground_and_writes_cost_json(tmp_path: Path) -> None:
    sc = tmp_path / "tiny.yaml"
    sc.write_text(TINY)
    out = tmp_path / "c" / "cost.json"
    res = runner.invoke(app, ["cost", str(sc), "--out", str(out)])
    assert res.exit_code == 0, res.output
    for text in ("$ per delivered GPU-hour", "orbit / ground", "nominal", "Wrote"):
        assert text in res.stdout
    doc = json.loads(out.read_text())
    assert set(doc) == KEYS and doc["label"] == "tiny"
    assert doc["orbit"]["gpu_hours_source"] == "nominal"
    assert doc["orbit"]["facts"]["satellites"] == 2 and doc["ground"]["facts"]["gpus"] == 16
    assert doc["ratio_orbit_to_ground"] == doc["orbit"]["usd_per_gpu_hour"] / doc["ground"]["usd_per_gpu_hour"]
    unc = doc["uncertainty"]
    assert set(unc) == {"parameters", "monte_carlo", "tornado", "break_even"} and unc["monte_carlo"]["n"] == 1000
    for text in ("Monte Carlo, 1,000 draws", "Tornado", "Break-even"):
        assert text in res.stdout


def test_cost_monte_carlo_flag(tmp_path: Path) -> None:
    sc = tmp_path / "tiny.yaml"
    sc.write_text(TINY)
    out = tmp_path / "cost.json"
    res = runner.invoke(app, ["cost", str(sc), "--out", str(out), "--monte-carlo", "0"])
    assert res.exit_code == 0, res.output
    assert "monte_carlo" not in json.loads(out.read_text())["uncertainty"]
    bad = runner.invoke(app, ["cost", str(sc), "--out", str(out), "--monte-carlo", "-5"])
    assert bad.exit_code == 2


def test_cost_of_a_run_uses_its_simulated_gpu_hours(tmp_path: Path) -> None:
    sc = tmp_path / "tiny.yaml"
    sc.write_text(TINY)
    run_dir = tmp_path / "run"
    sim = runner.invoke(app, ["simulate", str(sc), "--out", str(run_dir), "--no-report"])
    assert sim.exit_code == 0, sim.output
    res = runner.invoke(app, ["cost", "--run", str(run_dir)])
    assert res.exit_code == 0, res.output
    doc = json.loads((run_dir / "cost.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert doc["orbit"]["gpu_hours_source"] == "simulated"
    frac = summary["orbit_vs_ground"]["orbital"]["gpu_hours_delivered"] / sum(
        c["gpu_hours_installed"] for c in summary["capacity"]["shells"].values()
    )
    assert 0.0 < frac <= 1.0
    assert math.isclose(doc["orbit"]["facts"]["delivered_fraction"], frac, rel_tol=1e-12)
    assert "simulated" in res.stdout
    bad = runner.invoke(app, ["cost", "--run", str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "summary.json" in bad.stderr


def test_design_from_a_requirement(tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    args = ["design", "--power-mw", "40", "--orbit", "dawn-dusk", "--altitude-km", "650", "--gpu", "H100"]
    res = runner.invoke(app, [*args, "--launches-per-year", "10", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for text in ("Satellite", "array area", "mass: total at launch", "Fleet and cost", "launches", "orbit / ground"):
        assert text in res.stdout
    doc = json.loads(out.read_text())
    # 40 MW of 100.725 kW satellites (79 H100 each): 398 satellites, 14 per Starship launch, 29 launches, 3 years
    facts = doc["orbit"]["facts"]
    assert facts["satellites"] == 398 and facts["launches"] == 29 and facts["deployment_years"] == 3
    assert set(doc) == KEYS - {"uncertainty"}  # a designed fleet is priced at its point values


def test_design_rejects_bad_input() -> None:
    base = ["design", "--power-mw", "10"]
    assert runner.invoke(app, [*base, "--orbit", "inclined"]).exit_code == 2
    assert runner.invoke(app, [*base, "--vehicle", "Saturn V"]).exit_code == 2
    assert runner.invoke(app, [*base, "--gpu", "H900"]).exit_code == 2
    res = runner.invoke(app, ["design", "--satellite-kw", "50"])
    assert res.exit_code == 2 and "--power-mw" in res.stderr
