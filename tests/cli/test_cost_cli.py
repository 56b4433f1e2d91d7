"""``orbitgrid cost`` and ``orbitgrid design`` end to end (typer's runner, in process)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from cli_scenarios import TINY as BASE_TINY
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.scenario import load_scenario

runner = CliRunner()

TINY = BASE_TINY + "economics:\n  nre_usd: 0.0\n"

KEYS = {
    *("schema", "label", "orbit", "ground", "lease", "ratio_orbit_to_ground", "ratios", "assumptions", "uncertainty"),
    "maintenance",  # the fate rule per shell and site (with a run: its counts beside the rule's expectation)
}


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
    assert set(unc) == {"seed", "parameters", "monte_carlo", "tornado", "break_even"}
    assert unc["monte_carlo"]["n"] == 1000 and unc["seed"] == 3  # the scenario's seed
    for text in ("Monte Carlo, 1,000 draws (seed 3)", "Tornado", "Break-even", "orbit.launch.price_usd_per_kg"):
        assert text in res.stdout


def _cost(tmp_path: Path, *args: str, scenario: str = TINY) -> tuple[Any, Path]:
    sc = tmp_path / "tiny.yaml"
    sc.write_text(scenario)
    out = tmp_path / f"cost-{len(list(tmp_path.glob('cost-*.json')))}.json"
    return runner.invoke(app, ["cost", str(sc), "--out", str(out), *args]), out


def test_cost_uncertainty_flags(tmp_path: Path) -> None:
    res, out = _cost(tmp_path, "--monte-carlo", "0")
    assert res.exit_code == 0, res.output
    unc = json.loads(out.read_text())["uncertainty"]
    assert "monte_carlo" not in unc and unc["tornado"]["rows"] and unc["break_even"]
    assert "Monte Carlo" not in res.stdout and "Tornado" in res.stdout
    # --seed and --monte-carlo override the scenario's; the same seed writes the same bytes, another one others
    a, out_a = _cost(tmp_path, "--monte-carlo", "50", "--seed", "11")
    b, out_b = _cost(tmp_path, "--monte-carlo", "50", "--seed", "11")
    c, out_c = _cost(tmp_path, "--monte-carlo", "50", "--seed", "12")
    assert a.exit_code == b.exit_code == c.exit_code == 0, a.output
    assert out_a.read_bytes() == out_b.read_bytes() != out_c.read_bytes()
    mc = json.loads(out_a.read_text())["uncertainty"]["monte_carlo"]
    assert mc["n"] == 50 and mc["seed"] == 11 and len(mc["draws"]["ratio_orbit_to_ground"]) == 50
    # --no-uncertainty: point values only
    res, out = _cost(tmp_path, "--no-uncertainty")
    assert res.exit_code == 0 and "uncertainty" not in json.loads(out.read_text()) and "Tornado" not in res.stdout
    assert runner.invoke(app, ["cost", "--monte-carlo", "-5"]).exit_code == 2


def test_cost_uncertainty_from_the_scenario(tmp_path: Path) -> None:
    block = """\
  uncertainty:
    monte_carlo: 20
    seed: 5
    tornado: false
    parameters:
      orbit.launch.price_usd_per_kg: {type: uniform, low: 100, high: 300}
    break_even:
      ground.gas_usd_per_mmbtu: [0, 10000]
"""
    res, out = _cost(tmp_path, scenario=TINY + block)
    assert res.exit_code == 0, res.output
    unc = json.loads(out.read_text())["uncertainty"]
    assert unc["monte_carlo"]["n"] == 20 and unc["seed"] == 5 and "tornado" not in unc
    assert list(unc["parameters"]) == ["orbit.launch.price_usd_per_kg"]
    assert unc["parameters"]["orbit.launch.price_usd_per_kg"]["distribution"] == {
        "type": "uniform",
        "low": 100.0,
        "high": 300.0,
    }
    (row,) = unc["break_even"]
    assert row["parameter"] == "ground.gas_usd_per_mmbtu" and row["status"] == "solved"
    assert f"{row['value']:,.4g}" in res.stdout


def test_a_bad_distribution_exits_2_naming_the_field(tmp_path: Path) -> None:
    bad = (
        TINY
        + """\
  uncertainty:
    parameters:
      orbit.launch.price_usd_per_kg: {type: triangular, low: 100, mode: 900, high: 500}
"""
    )
    res, _ = _cost(tmp_path, scenario=bad)
    assert res.exit_code == 2
    err = " ".join(res.stderr.split())  # rich wraps lines
    assert "economics.uncertainty.parameters.orbit.launch.price_usd_per_kg.high: must be at least mode (900)" in err
    unknown = (
        TINY
        + """\
  uncertainty:
    parameters:
      orbit.launch.price_per_kg: {type: uniform, low: 100, high: 900}
"""
    )
    res, _ = _cost(tmp_path, scenario=unknown)
    assert res.exit_code == 2
    err = " ".join(res.stderr.split())
    assert "economics.uncertainty.parameters.orbit.launch.price_per_kg: 'price_per_kg' is not a field" in err


def test_cost_of_a_run_uses_its_simulated_gpu_hours(tmp_path: Path) -> None:
    sc = tmp_path / "tiny.yaml"
    sc.write_text(TINY)
    run_dir = tmp_path / "run"
    sim = runner.invoke(app, ["simulate", str(sc), "--out", str(run_dir), "--no-report"])
    assert sim.exit_code == 0, sim.output
    written = json.loads((run_dir / "cost.json").read_text())  # simulate prices its own run
    for text in ("Cost: orbit vs ground", "delivered (simulated)", "nominal (availability x utilization)"):
        assert text in sim.stdout
    nominal = json.loads((run_dir / "cost.json").read_text())["nominal"]
    assert nominal["gpu_hours_source"] == "nominal"
    # the run's cost.json is never replaced silently: refused (exit 2, naming the flag), then --overwrite
    refused = runner.invoke(app, ["cost", "--run", str(run_dir), "--monte-carlo", "5"])
    assert refused.exit_code == 2 and "--overwrite" in " ".join(refused.stderr.split())
    assert json.loads((run_dir / "cost.json").read_text()) == written
    res = runner.invoke(app, ["cost", "--run", str(run_dir), "--overwrite"])
    assert res.exit_code == 0, res.output
    doc = json.loads((run_dir / "cost.json").read_text())
    assert doc == written and doc["uncertainty"]["monte_carlo"]["n"] == 1000
    summary = json.loads((run_dir / "summary.json").read_text())
    assert doc["orbit"]["gpu_hours_source"] == "simulated"
    frac = summary["orbit_vs_ground"]["orbital"]["gpu_hours_delivered"] / sum(
        c["gpu_hours_installed"] for c in summary["capacity"]["shells"].values()
    )
    assert 0.0 < frac <= 1.0
    assert math.isclose(doc["orbit"]["facts"]["delivered_fraction"], frac, rel_tol=1e-12)
    assert "simulated" in res.stdout
    bad = runner.invoke(app, ["cost", "--run", str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "no such run directory" in " ".join(bad.stderr.split())
    # a nominal cost is not written into a run directory it did not come from
    other = runner.invoke(app, ["cost", str(sc), "--out", str(run_dir / "cost.json"), "--overwrite"])
    assert other.exit_code == 2 and "is a run directory" in " ".join(other.stderr.split())
    # the run's GPU-hours price its own fleet only: another economics section is fine, another fleet is refused
    cheaper = tmp_path / "cheaper.yaml"
    cheaper.write_text(TINY.replace("nre_usd: 0.0", "nre_usd: 0.0\n  launch: {price_usd_per_kg: 100}"))
    res = runner.invoke(app, ["cost", str(cheaper), "--run", str(run_dir), "--out", str(tmp_path / "c1.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "c1.json").read_text())["orbit"]["gpu_hours_source"] == "simulated"
    moved = tmp_path / "moved.yaml"
    moved.write_text(TINY.replace("design: compute-sat", "design: compute-sat\n    - {name: extra, orbit: "
                                  "{type: walker_delta, altitude_km: 800, inclination_deg: 60, total: 2, planes: 2, "
                                  "phasing: 0}, design: compute-sat}"))  # fmt: skip
    res = runner.invoke(app, ["cost", str(moved), "--run", str(run_dir), "--out", str(tmp_path / "c2.json")])
    err = " ".join(res.stderr.split())
    assert res.exit_code == 2 and "the run simulated another fleet than scenario 'tiny'" in err, res.output
    assert "the run flew shell dd; the scenario has shell dd, shell extra" in err
    assert not (tmp_path / "c2.json").exists()
    # the same shells flying a redefined design (four times the GPUs under the catalog design's name)
    design = load_scenario(sc).design("compute-sat").model_dump(mode="json")
    design["payload"]["gpus"] *= 4
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(TINY + "designs:\n  compute-sat: " + json.dumps(design) + "\n")
    res = runner.invoke(app, ["cost", str(bigger), "--run", str(run_dir), "--out", str(tmp_path / "c3.json")])
    err = " ".join(res.stderr.split())
    assert res.exit_code == 2 and "(designs.compute-sat differ;" in err, res.output


def test_design_from_a_requirement(tmp_path: Path) -> None:
    out = tmp_path / "fleet.json"
    args = ["design", "--fleet-power-mw", "40", "--orbit", "dawn-dusk", "--altitude-km", "650", "--gpu", "H100"]
    res = runner.invoke(app, [*args, "--launches-per-year", "10", "--out", str(out)])
    assert res.exit_code == 0, res.output
    for text in ("Satellite", "array area", "mass: total at launch", "Fleet and cost", "launches", "orbit / ground"):
        assert text in res.stdout
    doc = json.loads(out.read_text())
    # 40 MW of 100.725 kW satellites (79 H100 each): 398 satellites, 14 per Starship launch, 29 launches, 3 years
    facts = doc["orbit"]["facts"]
    assert facts["satellites"] == 398 and facts["launches"] == 29 and facts["deployment_years"] == 3
    assert set(doc) == KEYS - {"uncertainty", "maintenance"}  # a designed fleet: point values, no sites or spares


def test_design_rejects_bad_input() -> None:
    base = ["design", "--fleet-power-mw", "10"]
    assert runner.invoke(app, [*base, "--orbit", "inclined"]).exit_code == 2
    assert runner.invoke(app, [*base, "--vehicle", "Saturn V"]).exit_code == 2
    assert runner.invoke(app, [*base, "--gpu", "H900"]).exit_code == 2
    res = runner.invoke(app, ["design", "--satellite-kw", "50"])
    assert res.exit_code == 2 and "--fleet-power-mw" in res.stderr


def test_monte_carlo_draws_are_capped_as_in_the_scenario(tmp_path: Path) -> None:
    # --monte-carlo 100000000 ran for minutes; the option takes the scenario field's bound
    from orbitgrid.scenario.sections.economics import MONTE_CARLO_MAX

    sc = tmp_path / "tiny.yaml"
    sc.write_text(TINY)
    res = runner.invoke(app, ["cost", str(sc), "--monte-carlo", str(MONTE_CARLO_MAX + 1), "-o", str(tmp_path / "c")])
    assert res.exit_code == 2 and f"{MONTE_CARLO_MAX}" in res.output.replace(",", "").replace("_", "")
    assert not (tmp_path / "c").exists()
