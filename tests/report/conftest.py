"""Run directories for the report tests: the real default scenario, and the same run with scheduler tables added."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from synthetic_tables import N_JOBS, add_scheduler_tables, copy_run

from orbitgrid.api import load_scenario, simulate
from orbitgrid.pipeline.lifetime import LIFETIME_FILE, lifetime_document
from orbitgrid.report import write_report


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``simulate`` on the built-in default fleet without its workloads (a capacity-only run; report written by
    ``simulate`` itself). The samples table comes with any run that has shells; the scheduler's tables do not."""
    out = tmp_path_factory.mktemp("default") / "run"
    scenario = load_scenario("default").model_copy(update={"workloads": [], "tenants": []})
    simulate(scenario, out)
    return out


@pytest.fixture(scope="session")
def scheduled_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``simulate`` on the built-in default scenario with its tenants and workloads."""
    out = tmp_path_factory.mktemp("scheduled") / "run"
    simulate(load_scenario("default"), out)
    return out


@pytest.fixture(scope="session")
def full_run(default_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default run plus jobs, placements, faults, utilization and samples tables and the scheduler's keys."""
    out = copy_run(default_run, tmp_path_factory.mktemp("full") / "run")
    add_scheduler_tables(out, n_jobs=N_JOBS)
    doc = lifetime_document(load_scenario("default"))  # what `orbitgrid report` adds to a run
    (out / LIFETIME_FILE).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def full_report(full_run: Path) -> tuple[str, float]:
    """The full run's report text and the seconds it took to write."""
    t0 = time.perf_counter()
    path = write_report(full_run)
    return path.read_text(encoding="utf-8"), time.perf_counter() - t0
