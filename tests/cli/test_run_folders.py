"""Run folders never mix two runs: a run is staged beside its target and renamed into place when complete.

In process (``api.simulate`` and typer's runner): an existing run is refused without ``--overwrite`` and replaced
whole with it (files the new run does not write are gone), a folder that is not a run is refused, an empty one is
used, a run that stops early leaves the target as it was and no staging folder, and ``orbitgrid report`` refuses a
run whose manifest is not ``complete``. As subprocesses (``python -m orbitgrid simulate``): Ctrl-C (SIGINT) and
SIGKILL at random moments (seeded) of a run that would replace an earlier one; afterwards the target holds exactly
one whole run, the earlier or the new one, never a mixture, and the next run clears what a killed one left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cli_scenarios import TINY
from typer.testing import CliRunner

import orbitgrid
from orbitgrid import api
from orbitgrid.cli import app
from orbitgrid.results import RunDirError, run_status
from orbitgrid.scenario.loader import load_scenario_text as load_scenario

runner = CliRunner()

#: Run A: two dawn-dusk satellites and a small training workload (writes jobs, placements, faults, ...).
WITH_JOBS = TINY.replace("name: tiny", "name: folder-a", 1)

#: Run B: the same fleet without workloads (no job tables): what it leaves out must not survive from run A.
NO_JOBS = WITH_JOBS.split("tenants:")[0].replace("folder-a", "folder-b")

JOB_TABLES = {"jobs.parquet", "placements.parquet", "faults.parquet", "utilization.parquet", "node_usage.parquet"}


def _staging(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.orbitgrid-*"))


def _check_one_whole_run(target: Path) -> str:
    """The scenario name of the single complete run at ``target`` (its files all from that run)."""
    assert run_status(target) == "complete"
    manifest = json.loads((target / "manifest.json").read_text())
    summary = json.loads((target / "summary.json").read_text())
    name = manifest["scenario"]["name"]
    assert summary["scenario"] == name
    files = {p.name for p in target.iterdir()}
    if name == "folder-a":
        assert files >= JOB_TABLES and "jobs" in summary
    else:
        assert name == "folder-b" and not JOB_TABLES & files and "jobs" not in summary
    if "cost.json" in files:
        assert json.loads((target / "cost.json").read_text())["label"] == name
    return str(name)


def test_an_existing_run_is_refused_then_replaced_whole(tmp_path: Path) -> None:
    a, b = load_scenario(WITH_JOBS), load_scenario(NO_JOBS)
    target = tmp_path / "run"
    target.mkdir()  # an empty folder is fine
    api.simulate(a, target, report=False)
    assert _check_one_whole_run(target) == "folder-a" and not _staging(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(RunDirError, match="--overwrite"):
        api.simulate(b, target, report=False)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before and not _staging(target)
    api.simulate(b, target, report=False, overwrite=True)
    assert _check_one_whole_run(target) == "folder-b" and not _staging(target)
    # a folder holding anything but an orbitgrid run is never written into, --overwrite or not
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.tex").write_text("mine")
    with pytest.raises(RunDirError, match="not an orbitgrid run"):
        api.simulate(b, other, report=False, overwrite=True)
    assert [p.name for p in other.iterdir()] == ["thesis.tex"]


def test_a_run_that_stops_early_leaves_the_target_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "run"
    api.simulate(load_scenario(NO_JOBS), target, report=False, cost=False)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    import orbitgrid.pipeline.schedule as schedule

    monkeypatch.setattr(schedule, "run_schedule", interrupted)
    with pytest.raises(KeyboardInterrupt):
        api.simulate(load_scenario(WITH_JOBS), target, report=False, overwrite=True)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert not _staging(target)


def test_report_refuses_an_incomplete_run_and_simulate_names_the_flag(tmp_path: Path) -> None:
    sc = tmp_path / "a.yaml"
    sc.write_text(NO_JOBS)
    target = tmp_path / "run"
    first = runner.invoke(app, ["simulate", str(sc), "--out", str(target), "--no-report"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["simulate", str(sc), "--out", str(target), "--no-report"])
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert runner.invoke(app, ["report", str(target)]).exit_code == 0
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["status"] = "running"
    (target / "manifest.json").write_text(json.dumps(manifest))
    res = runner.invoke(app, ["report", str(target)])
    assert res.exit_code == 2 and "incomplete run" in " ".join(res.stderr.split())  # rich wraps lines
    assert runner.invoke(app, ["report", str(tmp_path)]).exit_code == 2  # not a run at all


def _simulate(folder: Path, scenario: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(orbitgrid.__file__).resolve().parents[1])}
    cmd = [sys.executable, "-m", "orbitgrid", "simulate", scenario, "--out", "run", *extra]
    return subprocess.Popen(
        cmd, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_default_sigint
    )


def _default_sigint() -> None:
    """In the child before ``exec``: Ctrl-C at its default (a test run started in the background by a shell without
    job control inherits SIGINT ignored, and Python keeps an inherited ignore: the SIGINT case would test nothing)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_at_random_moments(tmp_path: Path, sig: signal.Signals, moments: int, seed: int) -> None:
    (tmp_path / "a.yaml").write_text(WITH_JOBS)
    (tmp_path / "b.yaml").write_text(NO_JOBS)
    target = tmp_path / "run"
    t0 = time.monotonic()
    first = _simulate(tmp_path, "a.yaml")
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err.decode()
    length_s = time.monotonic() - t0
    rng = np.random.default_rng(seed)
    names = set()
    for delay in rng.uniform(0.1, 1.2 * length_s, size=moments):
        proc = _simulate(tmp_path, "b.yaml" if rng.random() < 0.5 else "a.yaml", "--overwrite")
        time.sleep(delay)
        proc.send_signal(sig)
        proc.communicate(timeout=600)
        names.add(_check_one_whole_run(target))
        if sig == signal.SIGINT:
            assert not _staging(target), f"Ctrl-C after {delay:.2f} s left a staging folder"
    # whatever a killed run left beside the target, the next run clears it
    last = _simulate(tmp_path, "b.yaml", "--overwrite")
    _, err = last.communicate(timeout=600)
    assert last.returncode == 0, err.decode()
    assert _check_one_whole_run(target) == "folder-b" and not _staging(target)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_stopping_simulate_at_a_random_moment_never_mixes_runs(tmp_path: Path, sig: signal.Signals) -> None:
    _stop_at_random_moments(tmp_path, sig, moments=1, seed=int(sig))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_stopping_simulate_at_many_random_moments_never_mixes_runs(tmp_path: Path, sig: signal.Signals) -> None:
    _stop_at_random_moments(tmp_path, sig, moments=12, seed=100 + int(sig))
