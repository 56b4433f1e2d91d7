"""Every file in ``examples/`` works on a fresh clone: nothing it reads lies outside the repository, each scenario
passes ``orbitgrid validate`` (which reads every file it names) and simulates its first hours, and each sweep loads
with its base scenario and axis paths."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from orbitgrid.api import simulate
from orbitgrid.cli import app
from orbitgrid.scenario import load_scenario
from orbitgrid.scenario.loader import load_scenario_text, resolved_scenario_dict
from orbitgrid.scenario.sweep import load_sweep

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (REPO / "examples").rglob("*") if p.is_file())
#: Simulated span of each scenario example in this test: enough steps to exercise every stage, short enough to keep
#: the suite fast (the examples' full runs are in tests/cli/test_*_example.py and the docs).
SPAN_S = 2 * 3600.0


def _doc(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    return doc


SCENARIOS = [p for p in EXAMPLES if p.suffix == ".yaml" and "base" not in _doc(p)]
SWEEPS = [p for p in EXAMPLES if p.suffix == ".yaml" and "base" in _doc(p)]


def _id(p: Path) -> str:
    return str(p.relative_to(REPO / "examples"))


def test_the_examples_folder_holds_only_scenarios_and_sweeps() -> None:
    assert EXAMPLES and set(EXAMPLES) == set(SCENARIOS) | set(SWEEPS)
    assert len(SCENARIOS) >= 6 and len(SWEEPS) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=_id)
def test_nothing_outside_the_repository_is_named(path: Path) -> None:
    """No path in an example's data (comments may show how to point at more data) leaves the repository."""
    text = "\n".join(ln.split("#", 1)[0] for ln in path.read_text(encoding="utf-8").splitlines())
    assert "shared/data" not in text and "/work/" not in text
    for value in _strings(yaml.safe_load(text)):
        if "/" in value and value.endswith((".tle", ".csv", ".json", ".gz", ".parquet", ".yaml", ".txt", ".jsonl")):
            target = (path.parent / value).resolve()
            assert target.is_file(), f"{_id(path)} names {value}, which is not a file"
            assert target.is_relative_to(REPO), f"{_id(path)} names {value}, outside the repository"


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("path", SCENARIOS, ids=_id)
def test_each_scenario_validates_and_simulates_its_first_hours(path: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 0, res.output
    scenario = load_scenario(path)
    data = resolved_scenario_dict(scenario)
    span = max(SPAN_S, 2 * scenario.step_s)
    spe = scenario.environment.solar_particle_event
    if spe is not None:  # keep the event inside the shortened run
        span += (spe.start - scenario.epoch).total_seconds()
    span = min(scenario.duration_s, span)
    data["duration"] = math.ceil(span / scenario.step_s) * scenario.step_s
    short = load_scenario_text(json.dumps(data), base_dir=path.parent, source=str(path))
    run = simulate(short, tmp_path / "run", report=False, cost=False)
    summary = json.loads((run.path / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == scenario.name and summary["duration_s"] == data["duration"]
    installed = sum(c.get("gpus", 0) for c in summary["capacity"]["shells"].values()) + sum(
        g.get("accelerators", 0) for g in summary["capacity"]["ground_sites"].values()
    )
    assert installed > 0


@pytest.mark.parametrize("path", SWEEPS, ids=_id)
def test_each_sweep_loads_with_its_base_and_axes(path: Path) -> None:
    sweep = load_sweep(path)
    assert sweep.spec.n_points >= 2 and sweep.spec.axes
    res = CliRunner().invoke(app, ["validate", str((path.parent / sweep.spec.base).resolve())])
    if (path.parent / sweep.spec.base).is_file():
        assert res.exit_code == 0, res.output
