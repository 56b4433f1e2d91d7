"""Kernels that load numba only when they run compiled, and the Python mode small runs take (``orbitgrid._jit``).

The stage twins are held to independent references where the compiled kernels are (the survey to the numpy
reference and Skyfield in ``tests/validation/test_illumination_skyfield.py``, the capacity stepping to
``fleet.orbital.simulate_tracks`` in ``tests/fleet/test_kernel.py``, both parametrized over the two modes). Here: the
mode machinery, which runs ``auto`` picks, and whole runs in the two modes against each other, file by file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import orbitgrid
from orbitgrid import _jit, api
from orbitgrid.astro import constellations, survey
from orbitgrid.astro.constants import AU_M
from orbitgrid.astro.time import TimeGrid
from orbitgrid.errors import InputError
from orbitgrid.fleet.kernel import simulate_tracks_fast
from orbitgrid.pipeline import preflight
from orbitgrid.pipeline.capacity import design_spec
from orbitgrid.scenario import load_scenario, load_scenario_text
from orbitgrid.scenario.catalog import designs

SRC = str(Path(orbitgrid.__file__).resolve().parents[1])
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

SMALL = """
schema_version: 1
name: small-{name}
epoch: 2026-03-26T00:00:00Z
duration: {hours}h
step: 60s
seed: 7
fleet:
  shells:
    - name: walker
      orbit: {{type: walker_delta, altitude_km: 550, inclination_deg: 53, total: {n}, planes: 5, phasing: 1}}
      design: compute-sat
    - name: dawn-dusk
      orbit: {{type: sun_synchronous, altitude_km: 700, ltan_hours: 18.0, planes: 1, per_plane: 4}}
      design: compute-sat
  ground_sites:
    - {{name: ashburn, lat_deg: 39.04, lon_deg: -77.49, gpus: {{H100: 512}}, grid_power_mw: 1}}
tenants:
  - {{name: users, contract: on_demand}}
workloads:
  - {{type: generated, tenant: users, kind: batch, count: {jobs}}}
policy: {{name: priority, power_aware: true}}
"""


def small(name: str = "run", hours: int = 6, n: int = 40, jobs: int = 60):
    return load_scenario_text(SMALL.format(name=name, hours=hours, n=n, jobs=jobs))


# ------------------------------------------------------------------------------------------------ the machinery


def test_a_kernel_runs_its_python_source_without_numba_in_python_mode() -> None:
    def add(a, b):
        return a + b

    k = _jit.kernel(cache=False)(add)
    assert (k.__name__, k.__doc__, k.py_func, k.targetoptions) == ("add", None, add, {"cache": False})
    with _jit.using("python"):
        assert _jit.python_mode()
        assert k(Fraction(1, 2), Fraction(1, 3)) == Fraction(5, 6)  # plain Python: numba cannot type a Fraction
    assert k._dispatcher is None  # numba never wrapped it
    assert _jit.mode() == "compiled"
    assert k(4, 5) == 9
    assert k._dispatcher is not None and len(k.signatures) == 1  # compiled, the dispatcher's attributes through k


def test_using_restores_the_mode_after_an_exception() -> None:
    with pytest.raises(RuntimeError), _jit.using("python"):
        raise RuntimeError("boom")
    assert _jit.mode() == "compiled"
    with pytest.raises(ValueError, match="allowed values are compiled, python"):
        _jit.set_mode("fast")


def test_the_mode_is_each_threads_own() -> None:
    """A run in one thread never changes another's kernels (a sweep runs points in threads of one process)."""
    seen: list[str] = []
    inside, release = threading.Event(), threading.Event()

    def python_run() -> None:
        with _jit.using("python"):
            inside.set()
            release.wait(60)
            seen.append(_jit.mode())

    worker = threading.Thread(target=python_run)
    worker.start()
    assert inside.wait(60)
    assert _jit.mode() == "compiled"  # this thread, while the other is in python mode
    with _jit.using("compiled"):
        release.set()
        worker.join(60)
    assert seen == ["python"] and _jit.mode() == "compiled"


def test_the_environment_chooses_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = small()
    monkeypatch.delenv(_jit.ENV, raising=False)
    assert preflight.kernel_mode(sc) == "python"
    monkeypatch.setenv(_jit.ENV, "compiled")
    assert preflight.kernel_mode(sc) == "compiled"
    monkeypatch.setenv(_jit.ENV, " Python ")
    assert preflight.kernel_mode(sc) == "python"
    monkeypatch.setenv(_jit.ENV, "fast")
    with pytest.raises(InputError, match=r"ORBITGRID_KERNELS='fast': allowed values are auto, compiled, python"):
        preflight.kernel_mode(sc)


def test_auto_runs_only_small_runs_of_designed_circular_shells_as_python(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(_jit.ENV, raising=False)
    assert preflight.kernel_mode(small(hours=24, n=100, jobs=200)) == "python"  # the benchmark's small case
    assert preflight.kernel_mode(small(hours=48, n=100, jobs=200)) == "compiled"  # 2 shells x 2,881 steps
    assert preflight.kernel_mode(small(hours=6, n=1_000, jobs=200)) == "compiled"  # 361,000+ track-steps
    assert preflight.kernel_mode(small(jobs=5_000)) == "compiled"
    nodes_csv = tmp_path / "nodes.csv"
    nodes_csv.write_text("node,gpus\n" + "".join(f"m{i},8\n" for i in range(250)))
    node_list = (
        f"gpus: {{{{file: {nodes_csv}, format: custom, columns: {{{{node: node, gpus: gpus}}}}, default_model: H100}}}}"
    )
    many = load_scenario_text(SMALL.replace("gpus: {{H100: 512}}", node_list).format(name="n", hours=24, n=20, jobs=40))
    s = preflight.sizes(many)
    assert s["node_steps"] > preflight.PYTHON_MAX_NODE_STEPS  # 274 nodes x 1,441 steps; every other size is small
    assert s["track_steps"] < preflight.PYTHON_MAX_TRACK_STEPS and s["job_nodes"] < preflight.PYTHON_MAX_JOB_NODES
    assert preflight.kernel_mode(many) == "compiled"
    text = SMALL.format(name="f", hours=6, n=40, jobs=10).replace(
        "{type: sun_synchronous, altitude_km: 700, ltan_hours: 18.0, planes: 1, per_plane: 4}",
        "{type: formation, altitude_km: 650, ltan_hours: 18.0, clusters: 2, per_cluster: 9, radius_km: 1.0}",
    )
    assert preflight.kernel_mode(load_scenario_text(text)) == "compiled"


# ------------------------------------------------------------------------------------------- the stage twins


@pytest.mark.parametrize("centre_only", [False, True])
def test_the_survey_twin_gives_the_kernels_passages(centre_only: bool) -> None:
    """``astro.kernels.survey_circular_numpy`` against the compiled kernel on a 53 deg Walker shell, a polar star
    and a sun-synchronous shell through an equinox day: the same passages, their instants within 1 ms (the twin
    classifies with exact trigonometry where the kernel interpolates, which can move a change by one step only where
    an instant lies within ~20 m of a boundary), hidden times within 1 ms, beta extremes within 1e-12 rad."""
    grid = TimeGrid.from_duration(dt.datetime(2026, 3, 20, tzinfo=dt.UTC), 86_400.0, 60.0)
    shells = [
        constellations.walker(550e3, math.radians(53.0), 60, 6, 1),
        constellations.walker(1_200e3, math.radians(87.9), 24, 4, 1, pattern="star"),
        constellations.sun_synchronous(700e3, 18.0, 2, 6, 0.0, 0.0, raan_spread_hours=3.0),
    ]
    for orbits in shells:
        got = {}
        for mode in ("compiled", "python"):
            with _jit.using(mode):
                got[mode] = survey.survey_circular(orbits, grid, centre_only=centre_only)
        a, b = got["compiled"], got["python"]
        assert a.track.size > 0 or orbits is shells[2]
        np.testing.assert_array_equal(a.track, b.track)
        np.testing.assert_array_equal(a.truncated, b.truncated)
        np.testing.assert_array_equal(a.eclipses, b.eclipses)
        for col in survey.PASSAGE_COLUMNS:
            np.testing.assert_array_equal(np.isnan(a.passages[col]), np.isnan(b.passages[col]), err_msg=col)
            np.testing.assert_allclose(b.passages[col], a.passages[col], rtol=0, atol=1e-3, err_msg=col)
        np.testing.assert_allclose(b.shadow_s, a.shadow_s, rtol=0, atol=1e-3)
        np.testing.assert_allclose(b.beta_min_rad, a.beta_min_rad, rtol=0, atol=1e-12)
        np.testing.assert_allclose(b.beta_max_rad, a.beta_max_rad, rtol=0, atol=1e-12)


def test_the_stepping_twin_refuses_nan_and_matches_the_kernel_on_zero_steps() -> None:
    spec = design_spec(designs()["compute-sat"])
    with pytest.raises(ValueError, match="lit fractions must be finite"):
        simulate_tracks_fast(spec, np.array([[1.0, np.nan]]), np.full(2, AU_M), 550e3, 60.0)
    got = {}
    for mode in ("compiled", "python"):
        with _jit.using(mode):
            got[mode] = simulate_tracks_fast(spec, np.ones((3, 0)), np.full(0, AU_M), 550e3, 60.0)
    for field in ("gpu_hours", "radiator_peak_k", "radiator_mean_k", "battery_min_soc", "harvested_wh"):
        np.testing.assert_array_equal(getattr(got["python"], field), getattr(got["compiled"], field), err_msg=field)


# ----------------------------------------------------------------------------------------- whole runs, both modes


def _tables_and_documents(run: api.Run) -> tuple[dict[str, object], dict[str, object]]:
    tables = {n: pq.read_table(io.BytesIO(run.read_bytes(n))) for n in run.files if n.endswith(".parquet")}
    docs = {n: json.loads(run.read_bytes(n)) for n in run.files if n.endswith(".json")}
    return tables, docs


def _assert_close(a: object, b: object, where: str) -> None:
    """Equal, floats to 1e-12 relative (the modes sum per-step totals in different orders: ~1 ulp)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _assert_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-9) or (math.isnan(a) and math.isnan(b)), where
    else:
        assert a == b, where


def test_a_small_run_gives_the_same_files_in_both_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two shells (Walker and sun-synchronous), a ground site and generated jobs over 6 h: every JSON document and
    every table column of the run equal in the two modes (floats to 1e-12 relative), the manifest saying which ran."""
    runs = {}
    for mode in ("compiled", "python"):
        monkeypatch.setenv(_jit.ENV, mode)
        runs[mode] = api.simulate(small(), cost=True)
    assert runs["compiled"].documents["summary.json"]["jobs"]["completed"] > 0
    _assert_same_runs(runs["compiled"], runs["python"])


def _assert_same_runs(compiled: api.Run, python: api.Run) -> None:
    (t_c, d_c), (t_p, d_p) = _tables_and_documents(compiled), _tables_and_documents(python)
    assert d_c["manifest.json"].pop("kernels") == "compiled" and d_p["manifest.json"].pop("kernels") == "python"
    assert t_c.keys() == t_p.keys() and d_c.keys() == d_p.keys()
    _assert_close(d_c, d_p, "documents")
    for name, table in t_c.items():
        other = t_p[name]
        assert table.schema == other.schema and table.num_rows == other.num_rows, name
        for col in table.column_names:
            x = table.column(col).to_numpy(zero_copy_only=False)
            y = other.column(col).to_numpy(zero_copy_only=False)
            if x.dtype.kind == "f":
                np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-9, err_msg=f"{name}:{col}")
            else:
                assert np.array_equal(x, y), f"{name}:{col}"


@pytest.mark.parametrize(
    "example",
    ["solar-storm-1200km", "llama3-54-days", pytest.param("openb-window-100x", marks=pytest.mark.slow)],
)  # the trace replay takes ~6 s as Python: in the slow step
def test_the_examples_give_the_same_files_in_both_modes(monkeypatch: pytest.MonkeyPatch, example: str) -> None:
    """Features the small run leaves out, forced into both modes: training gangs in orbit through a solar particle
    event (two shells, 48 h), a 54-day training job with failures and checkpoints on a ground cluster, and a trace
    replay that shares GPUs; every file equal (floats to 1e-12 relative) but the manifest's ``kernels``."""
    sc = load_scenario(EXAMPLES / f"{example}.yaml")
    runs = {}
    for mode in ("compiled", "python"):
        monkeypatch.setenv(_jit.ENV, mode)
        runs[mode] = api.simulate(sc, cost=False)
    _assert_same_runs(runs["compiled"], runs["python"])


def test_a_small_run_from_the_command_line_imports_neither_numba_nor_scipy(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL.format(name="cli", hours=3, n=20, jobs=20))
    code = (
        "import sys\n"
        "from orbitgrid.cli import main\n"
        f"sys.argv = ['orbitgrid', 'simulate', {str(scenario)!r}, '--no-report', '-o', {str(tmp_path / 'run')!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "print('LOADED', sorted(m for m in ('numba', 'llvmlite', 'scipy') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop(_jit.ENV, None)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "LOADED []" in r.stdout
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["kernels"] == "python"


def test_a_bad_kernel_mode_is_a_clear_error_on_the_command_line(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL.format(name="bad", hours=1, n=10, jobs=5))
    env = {**os.environ, "PYTHONPATH": SRC, _jit.ENV: "turbo"}
    r = subprocess.run(
        [sys.executable, "-m", "orbitgrid", "simulate", str(scenario), "--no-report", "-o", str(tmp_path / "r")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 2, r.stderr
    assert "ORBITGRID_KERNELS='turbo': allowed values are auto, compiled, python" in r.stderr
    assert "Traceback" not in r.stderr
