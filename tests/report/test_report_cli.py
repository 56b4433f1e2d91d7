"""The report through the command line: `orbitgrid report RUN_DIR` and `orbitgrid simulate --no-report`."""

from __future__ import annotations

import json
from pathlib import Path

from pages import parse
from synthetic_tables import copy_run
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.report import render_report

runner = CliRunner()

SMALL = """\
schema_version: 1
name: small
epoch: 2027-03-20T00:00:00Z
duration: 3h
step: 60s
seed: 5
fleet:
  shells:
    - name: walker-550
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 16, planes: 4, phasing: 1}
      design: compute-sat
"""


def test_report_command_rebuilds_the_page(default_run: Path, tmp_path: Path) -> None:
    run = copy_run(default_run, tmp_path / "run")
    assert not (run / "report.html").exists()
    # a run folder without lifetime.json (written before simulate kept the table): the command computes it
    (run / "lifetime.json").unlink()
    res = runner.invoke(app, ["report", str(run)])
    assert res.exit_code == 0, res.output
    page = run / "report.html"
    assert page.is_file() and "Wrote" in res.stdout and str(page) in res.stdout.replace("\n", "")
    assert json.loads((run / "lifetime.json").read_text()) == json.loads((default_run / "lifetime.json").read_text())
    html = page.read_text(encoding="utf-8")
    assert html == render_report(run)
    # the same page as simulate's own, lifetime section included
    assert html == (default_run / "report.html").read_text(encoding="utf-8")
    assert "lifetime" in parse(html).sections
    # --out writes the page where it says (it was ignored for one run), and the run's own page is left as it was
    page.unlink()
    res = runner.invoke(app, ["report", str(run), "--out", str(tmp_path / "elsewhere.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "elsewhere.html").read_text(encoding="utf-8") == html and not page.exists()


def test_report_command_refuses_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2
    assert "not a run directory" in " ".join(res.output.split())
    assert not (tmp_path / "report.html").exists()


def test_simulate_no_report(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    out = tmp_path / "run"
    res = runner.invoke(app, ["simulate", str(scenario), "--out", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    assert (out / "summary.json").is_file() and (out / "timeseries.parquet").is_file()
    assert not (out / "report.html").exists()
    assert "report.html" not in res.stdout
    res = runner.invoke(app, ["simulate", str(scenario), "--out", str(out), "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file() and "report.html" in res.stdout
