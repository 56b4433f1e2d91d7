"""The pre-flight estimate: runs this machine cannot hold are refused before any work or file, naming the fields that
drive the estimate; ``--force`` runs them anyway. (How close the estimate is: benchmarks/preflight_accuracy.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orbitgrid.cli import EXIT_INPUT, app
from orbitgrid.errors import ResourceLimitError
from orbitgrid.pipeline import preflight
from orbitgrid.scenario import load_scenario_text

runner = CliRunner()
GB = 1e9

TEN_MILLION = """\
schema_version: 1
name: ten-million
epoch: 2027-03-20T00:00:00Z
duration: 24h
step: 60s
fleet:
  shells:
    - name: big
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 10000000, planes: 1000, phasing: 1}
      design: compute-sat
"""
YEAR_1S = """\
schema_version: 1
name: year-at-1s
epoch: 2027-01-01T00:00:00Z
duration: 365d
step: 1s
fleet:
  shells:
    - name: two
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 2}
      design: compute-sat
"""


@pytest.fixture
def sixteen_gb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight, "available_memory_bytes", lambda: int(16 * GB))


@pytest.mark.parametrize(
    ("text", "command", "expected"),
    [
        (TEN_MILLION, "simulate", ("shadow passages", "fleet.shells, duration", "--force")),
        (TEN_MILLION, "orbit", ("shadow passages", "fleet.shells")),
        (YEAR_1S, "simulate", ("per-step series", "duration, step")),
    ],
)
def test_runs_that_cannot_fit_are_refused_before_any_file(
    tmp_path: Path, sixteen_gb: None, text: str, command: str, expected: tuple[str, ...]
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(text)
    out = tmp_path / "run"
    res = runner.invoke(app, [command, str(path), "--out", str(out)])
    assert res.exit_code == EXIT_INPUT, res.output
    assert "this run needs an estimated" in res.output and "16.0 GB available" in res.output
    for text_ in expected:
        assert text_ in res.output, res.output
    assert "Traceback" not in res.output and not out.exists()


def test_force_skips_the_refusal_and_validate_states_the_estimate(tmp_path: Path, sixteen_gb: None) -> None:
    sc = load_scenario_text(YEAR_1S)
    with pytest.raises(ResourceLimitError) as info:
        preflight.check(sc)
    assert info.value.fields[:2] == ("duration", "step")
    est = preflight.check(sc, force=True)
    assert est.peak_bytes > 16 * GB and est.sizes["steps"] == 365 * 86_400
    path = tmp_path / "big.yaml"
    path.write_text(YEAR_1S)
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 0 and f"simulate: {est.summary()}" in res.output, res.output
    # valid, but not runnable on this (16 GB) machine: validate says so, naming what drives it
    assert "warning: simulate would refuse it here" in res.output and "duration, step" in res.output


def test_sizes_follow_the_scenario() -> None:
    sc = load_scenario_text(TEN_MILLION)
    s = preflight.sizes(sc)
    assert s["tracks"] == 10_000_000 and s["steps"] == 1440
    # a 550 km orbit lasts ~95.6 min: ~15.1 orbits a day, each a possible shadow passage
    assert s["passages"] / 10_000_000 == pytest.approx(86_400 / 5736.0 + 1.0, rel=1e-3)
    assert s["node_steps"] == s["jobs"] == 0.0  # no workloads
