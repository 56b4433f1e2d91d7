"""End-to-end tests of the ``orbitgrid`` command line (typer's runner, in process)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app

runner = CliRunner()

SMALL = """\
schema_version: 1
name: small
epoch: 2027-03-20T00:00:00Z
duration: 6h
step: 60s
seed: 11
fleet:
  shells:
    - name: walker-550
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 40, planes: 8, phasing: 2}
      design: compute-sat
    - name: dawn-dusk
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 2, per_plane: 5}
      design: compute-sat
    - name: clusters
      orbit: {type: formation, altitude_km: 650, ltan_hours: 10.5, clusters: 3, per_cluster: 81, radius_km: 1.0}
      design: compute-sat
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    return p


def test_help_lists_commands() -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("simulate", "orbit", "validate", "scenarios", "scenario"):
        assert cmd in res.stdout


def test_help_does_not_import_the_engine() -> None:
    """`orbitgrid --help` must answer fast: numpy, numba and pydantic stay unimported."""
    code = (
        "import sys; from orbitgrid.cli import app\n"
        "heavy = [m for m in ('numpy', 'numba', 'pydantic', 'pyarrow') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_simulate_writes_run_directory(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["simulate", str(small), "--out", str(out)])
    assert res.exit_code == 0, res.output
    for name in ("manifest.json", "summary.json", "orbit.json", "eclipses.parquet"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fleet"]["satellites"] == 40 + 10 + 3 * 81
    assert set(summary["shells"]) == {"walker-550", "dawn-dusk", "clusters"}
    walker = summary["shells"]["walker-550"]
    # A 53 deg shell at 550 km near the equinox spends roughly a third of each orbit in shadow.
    assert 0.55 < walker["sunlit_fraction_mean"] < 0.75
    assert walker["eclipses_total"] > 0
    assert summary["shells"]["clusters"]["members_per_track"] == 81
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11
    assert manifest["scenario"]["name"] == "small"
    assert {"python", "numpy", "numba", "sgp4", "orbitgrid"} <= set(manifest["versions"])
    table = pq.read_table(out / "eclipses.parquet")
    assert {"shell", "track", "entry_s", "exit_s", "penumbra_entry_s", "umbra_exit_s", "shadow_s"} <= set(
        table.column_names
    )
    shells = set(table.column("shell").to_pylist())
    assert "walker-550" in shells
    assert "walker-550" in res.stdout and "Wrote" in res.stdout


def test_same_seed_same_bytes(small: Path, tmp_path: Path) -> None:
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert runner.invoke(app, ["simulate", str(small), "--out", str(out)]).exit_code == 0
        outs.append(out)
    for name in ("manifest.json", "summary.json", "orbit.json", "eclipses.parquet"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_orbit_command(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "orbit"
    res = runner.invoke(app, ["orbit", str(small), "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "orbit.json").read_text())
    dd = doc["shells"]["dawn-dusk"]
    assert dd["inclination_deg_min"] == pytest.approx(97.99, abs=0.01)
    assert dd["nodal_drift_deg_per_day_mean"] == pytest.approx(0.98565, abs=1e-4)
    # Labelled periods and altitudes: mean altitude above the equatorial radius; the Keplerian period of that mean
    # a; the J2 nodal period (sun-synchronous at 650 km: ~8 s longer than Kepler's, node crossings every 97.7 min).
    assert dd["mean_altitude_km_min"] == dd["mean_altitude_km_max"] == pytest.approx(650.0, abs=1e-9)
    a_m = 6_378_137.0 + 650e3
    assert dd["keplerian_period_s_mean"] == pytest.approx(2.0 * math.pi * math.sqrt(a_m**3 / 3.986004418e14), rel=1e-12)
    assert 5.0 < dd["nodal_period_s_mean"] - dd["keplerian_period_s_mean"] < 10.0
    assert not {"period_s_mean", "altitude_km_min", "altitude_km_max"} & set(dd)
    assert "nodal T min" in res.stdout and "mean alt km" in res.stdout and "Keplerian period" in res.stdout
    assert pq.read_table(out / "eclipses.parquet").num_rows > 0


def test_validate_ok(small: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["validate", str(small)])
    assert res.exit_code == 0
    assert "valid (3 shells, 293 satellites" in " ".join(res.stdout.split())
    one = tmp_path / "one.yaml"
    one.write_text(SMALL.split("    - name: dawn-dusk")[0])
    res = runner.invoke(app, ["validate", str(one)])
    assert res.exit_code == 0 and "valid (1 shell, 40 satellites" in " ".join(res.stdout.split())


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    data = yaml.safe_load(SMALL)
    data["fleet"]["shells"][0]["orbit"]["altitude_km"] = 90
    data["fleet"]["shells"][1]["design"] = "no-such-design"
    data["fleet"]["shells"][2]["orbitt"] = {}
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 2
    err = res.stderr
    assert "fleet.shells[0].orbit.altitude_km: must be between 160 and 40000, got 90" in err
    assert "fleet.shells[1].design" in err
    assert "fleet.shells[2].orbitt" in err
    assert "Traceback" not in res.output


def test_validate_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output


def test_scenarios_and_show() -> None:
    res = runner.invoke(app, ["scenarios"])
    assert res.exit_code == 0
    assert "default" in res.stdout and "mega-1m" in res.stdout
    res = runner.invoke(app, ["scenario", "show", "default"])
    assert res.exit_code == 0
    assert yaml.safe_load(res.stdout)["name"] == "default"
    res = runner.invoke(app, ["scenario", "show", "nope"])
    assert res.exit_code == 2


@pytest.mark.slow  # the whole default scenario, report and cost included: ~13 s of CPU with compiled kernels
def test_simulate_default_builtin(tmp_path: Path) -> None:
    """The README's main command: the built-in default scenario, end to end; its workload uses the orbital fleet
    enough that the cost per delivered GPU-hour prices a used fleet (docs/design.md, issue 14)."""
    out = tmp_path / "default"
    res = runner.invoke(app, ["simulate", "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "default"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    orbital = summary["orbit_vs_ground"]["orbital"]
    assert orbital["gpu_hours_delivered"] / orbital["gpu_hours_deliverable"] > 0.6
    cost = json.loads((out / "cost.json").read_text())
    assert 0.8 < cost["ratio_orbit_to_ground"] / cost["nominal"]["ratio_orbit_to_ground"] < 1.25
    for text in ("delivered (simulated)", "nominal (availability x utilization)"):
        assert text in res.stdout
    # Dawn-dusk SSO at 650 km near the March equinox: beta ~ 78-82 deg, above the 65 deg needed to stay lit.
    assert summary["shells"]["dawn-dusk-650"]["sunlit_fraction_min"] == 1.0
    assert summary["shells"]["walker-550"]["eclipses_per_satellite_day"] == pytest.approx(15.4, abs=0.3)


def test_simulate_bad_scenario_exits_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("schema_version: 1\nname: x\n")
    res = runner.invoke(app, ["simulate", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "epoch" in res.stderr


def test_design_size_prints_the_mass_budget() -> None:
    res = runner.invoke(app, ["design", "size", "--satellite-kw", "100"])
    assert res.exit_code == 0, res.output
    for item in ("array area", "battery EOL capacity", "radiator area", "mass: total (dry)", "specific mass"):
        assert item in res.stdout
    assert "e+0" not in res.stdout  # thousands separators, not exponents
    # dawn-dusk (the default) is sun-synchronous at LTAN 18 h, as in `orbitgrid design`
    same = runner.invoke(app, ["design", "size", "--satellite-kw", "100", "--orbit", "sun_synchronous"])
    assert same.exit_code == 0 and same.stdout == res.stdout
    # the accelerator named is the one sized, not the DGX H100 the host share comes from
    b200 = runner.invoke(app, ["design", "size", "--satellite-kw", "100", "--gpu", "B200"])
    assert b200.exit_code == 0, b200.output
    text = " ".join(b200.stdout.split())
    assert "B200 TDP + host share" in text and "H100 TDP" not in text


def test_design_size_rejects_bad_input() -> None:
    res = runner.invoke(app, ["design", "size", "--satellite-kw", "100", "--gpu", "H900"])
    assert res.exit_code == 2
    assert "allowed" in res.stderr
    res = runner.invoke(app, ["design", "size", "--satellite-kw", "100", "--orbit", "inclined"])
    assert res.exit_code == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["design", "--fleet-power-mw", "inf"], "--fleet-power-mw: must be a finite number in (0, inf), got inf"),
        (["design", "--fleet-power-mw", "10", "--life-years", "0"], "--life-years: must be a finite number in (0,"),
        (["design", "--fleet-power-mw", "10", "--price-per-kg", "nan"], "--price-per-kg: must be a finite number"),
        (["design", "--fleet-power-mw", "10", "--orbit", "sun_synchronous", "--ltan-hours", "nan"], "--ltan-hours"),
        (["design", "--fleet-power-mw", "10", "--orbit", "inclined", "--inclination-deg", "400"], "[0, 180], got 400"),
        (["design", "size", "--satellite-kw", "100", "--radiator-c", "nan"], "--radiator-c: must be a finite number"),
        (["design", "size", "--satellite-kw", "100", "--dose-rad-per-year", "nan"], "--dose-rad-per-year"),
        (["design", "size", "--satellite-kw", "nan"], "--satellite-kw: must be a finite number in (0, inf), got nan"),
        # finite but beyond what can be built or priced: 1e10 satellites (the process was killed), a deployment of
        # 1e13 years (MemoryError), no array power left after 1e9 years (ZeroDivisionError)
        (["design", "--fleet-power-mw", "1e9"], "more than the 10,000,000 a scenario may fly"),
        (["design", "--fleet-power-mw", "10", "--launches-per-year", "1e-9"], "take more than 1,000 years to deploy"),
        (["design", "--fleet-power-mw", "10", "--life-years", "1e9"], "the solar array delivers no power after 1e+09"),
    ],
)
def test_design_numbers_must_be_finite_and_in_range(args: list[str], expected: str) -> None:
    # NaN and infinities reached the sizing code: internal errors (exit 70), or a cost printed as '-' (exit 0)
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert expected in " ".join(res.stderr.split())


def test_version_short_help_and_the_orbit_folder() -> None:
    import orbitgrid

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"orbitgrid {orbitgrid.__version__}"
    for args in (["-h"], ["simulate", "-h"], ["design", "size", "-h"]):
        short, long = runner.invoke(app, args), runner.invoke(app, [*args[:-1], "--help"])
        assert short.exit_code == 0 and short.stdout == long.stdout
    orbit_help = " ".join(runner.invoke(app, ["orbit", "--help"]).stdout.replace("│", " ").split())
    assert "runs/<scenario name>-orbit" in orbit_help


def test_simulate_prints_the_workload_tables_and_lists_what_it_wrote(tmp_path: Path) -> None:
    from orbitgrid.scenario import builtin_scenario_text

    text = builtin_scenario_text("default").replace("duration: 24h", "duration: 2h")
    path = tmp_path / "short.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "run"), "--no-report"])
    assert result.exit_code == 0, result.output
    for title in ("Workloads (power-aware(priority))", "Tenants", "Orbit vs ground", "GPU-hours of work lost"):
        assert title in result.output
    assert "frontier-lab" in result.output and "chat-app" in result.output
    for name in ("jobs.parquet", "placements.parquet", "faults.parquet", "utilization.parquet", "samples.parquet"):
        assert name in result.output
        assert (tmp_path / "run" / name).is_file()


def test_too_many_nodes_are_refused_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler's timelines enter the pre-flight estimate: a million satellites scheduled one by one are refused
    (exit 2) before the physics runs, naming the fields and pointing at plane pools."""
    from orbitgrid.pipeline import preflight
    from orbitgrid.scenario import builtin_scenario_text

    monkeypatch.setattr(preflight, "available_memory_bytes", lambda: int(16e9))
    text = builtin_scenario_text("mega-1m").replace("node_pools: plane", "node_pools: satellite")
    assert "node_pools: satellite" in text
    path = tmp_path / "big.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "run"), "--no-report"])
    assert result.exit_code == 2, result.output
    assert "node timelines" in result.output and "policy.node_pools: plane" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "run").exists()
    checked = runner.invoke(app, ["validate", str(path)])  # valid, and says the run would be refused here
    assert checked.exit_code == 0 and "1,000,003 scheduler nodes" in checked.output, checked.output
    assert "simulate would refuse it here" in checked.output and "policy.node_pools" in checked.output


def test_simulate_counts_jobs_that_never_fit_in_the_workloads_table(tmp_path: Path) -> None:
    # The table's state columns did not add up to its job count: jobs no node could hold were in none of them.
    path = tmp_path / "nf.yaml"
    path.write_text(
        "schema_version: 1\nname: nf\nepoch: 2027-03-20T00:00:00Z\nduration: 1h\nstep: 60s\nfleet:\n  ground_sites:\n"
        "    - {name: dc, lat_deg: 40.0, lon_deg: -100.0, gpus: {H100: 64}, grid_power_mw: 5}\n"
        "tenants:\n  - {name: lab}\nworkloads:\n"
        "  - {type: training, tenant: lab, count: 2, gpus: 100000, gpu_model: H100, work_gpu_hours: 10}\n"
        "  - {type: training, tenant: lab, count: 1, gpus: 8, gpu_model: H100, work_gpu_hours: 1}\n"
    )
    res = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "run"), "--no-report"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "┃ jobs ┃ completed ┃ running ┃ queued ┃ failed ┃ killed ┃ never fit ┃" in text
    assert "│ 3 │ 1 │ 0 │ 0 │ 0 │ 0 │ 2 │" in text
    assert "2 jobs can never run: never_fits: needs 100000 GPUs on one node, largest node has 64" in text
