"""Sweeps (orbitgrid.design.sweep, orbitgrid.scenario.sweep): points, paths, execution, resume, and results.

Oracles: the points' outputs are closed-form functions of the values the evaluator reads back from the validated
scenario (so each row proves its point was applied); the serial run is the reference for a local process pool and a
real dask.distributed LocalCluster; evaluation counts come from marker files written by the evaluator (worker
processes share no memory); the `simulate` evaluator's row is compared with a direct ``api.simulate`` of the same
point's scenario.
"""

from __future__ import annotations

import copy
import functools
import json
import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitgrid.design import sweep as sw
from orbitgrid.economics import uncertainty as unc
from orbitgrid.scenario import ScenarioError
from orbitgrid.scenario.sweep import apply_point, check_paths, load_sweep, load_sweep_text

BASE = """\
schema_version: 1
name: sweep-base
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
fleet:
  shells:
    - name: dawn-dusk
      orbit: {type: sun_synchronous, altitude_km: 650, ltan_hours: 18.0, planes: 1, per_plane: 4}
      design: compute-sat
  ground_sites:
    - {name: memphis, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 64}, grid_power_mw: 1, pue: 1.2}
"""

SPEC = """\
schema_version: 1
name: test-sweep
base: base.yaml
evaluate: cost
grid:
  fleet.shells.dawn-dusk.orbit.altitude_km: [550, 650, 800]
random:
  samples: 4
  seed: 3
  axes:
    fleet.ground_sites.0.pue: {type: triangular, low: 1.1, mode: 1.2, high: 1.5}
"""

ALT = "param.fleet.shells.dawn-dusk.orbit.altitude_km"
PUE = "param.fleet.ground_sites.0.pue"


def toy_outputs(scenario):
    """A closed-form function of two values read back from the validated scenario (nested, as evaluators may be)."""
    alt = scenario.shells[0].orbit.altitude_km
    pue = scenario.ground_sites[0].pue
    return {"cost": {"usd_per_gpu_hour": 1.0 + alt / 1000.0 * pue}, "alt_km": alt, "label": "toy", "series": [1, 2]}


def marking_outputs(scenario, marker_dir: str, fail_once_at_km: float | None = None):
    """toy_outputs, leaving one marker file per call; raises the first time it meets each point at
    ``fail_once_at_km``."""
    alt = scenario.shells[0].orbit.altitude_km
    pue = scenario.ground_sites[0].pue
    d = Path(marker_dir)
    (d / f"{alt!r}_{pue!r}_{uuid.uuid4().hex}.call").touch()
    flag = d / f"failed-{alt!r}-{pue!r}.flag"
    if fail_once_at_km is not None and alt == fail_once_at_km and not flag.exists():
        flag.touch()
        raise RuntimeError(f"transient failure at {alt} km")
    return toy_outputs(scenario)


def numba_threads_outputs(scenario):
    """toy_outputs plus the number of threads numba's parallel kernels would use while this point runs."""
    import numba

    return {**toy_outputs(scenario), "numba_threads": numba.get_num_threads()}


def _calls(marker_dir: Path) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for p in marker_dir.glob("*.call"):
        alt, pue, _ = p.name.split("_")
        out[(alt, pue)] = out.get((alt, pue), 0) + 1
    return out


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    return tmp_path


def _load(folder: Path, text: str = SPEC):
    return load_sweep_text(text, base_dir=folder, source="test.yaml")


def _comparable(table) -> list[dict]:
    assert "eval_s" not in table.column_names  # wall times are in timings.json, not in the rows
    return table.to_pylist()


# --------------------------------------------------------------------------------------------------- points


def test_points_are_the_grid_times_the_same_random_draws(folder: Path) -> None:
    sweep = _load(folder)
    points = sw.plan_points(sweep)
    assert len(points) == sweep.spec.n_points == 12
    alts = [p.params["fleet.shells.dawn-dusk.orbit.altitude_km"] for p in points]
    assert alts == [550] * 4 + [650] * 4 + [800] * 4
    pues = [p.params["fleet.ground_sites.0.pue"] for p in points]
    expected = unc.draw({"fleet.ground_sites.0.pue": unc.Triangular(1.1, 1.2, 1.5)}, 4, 3)["fleet.ground_sites.0.pue"]
    assert pues == expected.tolist() * 3  # common random numbers at every grid point
    assert all(type(v) is float for v in pues)
    assert [p.index for p in points] == list(range(12))
    assert len({p.point_id for p in points}) == 12
    assert [p.point_id for p in sw.plan_points(_load(folder))] == [p.point_id for p in points]  # stable


def test_point_id_is_a_hash_of_the_values() -> None:
    a = sw.point_id({"x": 1, "y": 2.5})
    assert a == sw.point_id({"y": 2.5, "x": 1}) == sw.point_id({"y": np.float64(2.5), "x": np.int64(1)})
    assert a != sw.point_id({"x": 1, "y": 2.5000000000000004})
    assert len(a) == 16 and int(a, 16) >= 0


def test_repeated_grid_values_give_one_point(folder: Path) -> None:
    text = SPEC.replace("[550, 650, 800]", "[550, 650, 550]")
    assert len(sw.plan_points(_load(folder, text))) == 8


def test_distribution_specs_map_to_uncertainty_distributions(folder: Path) -> None:
    text = SPEC.replace(
        "    fleet.ground_sites.0.pue: {type: triangular, low: 1.1, mode: 1.2, high: 1.5}\n",
        "    fleet.ground_sites.0.pue: {type: normal, mean: 1.2, std: 0.1, low: 1.05}\n"
        "    fleet.ground_sites.0.grid_power_mw: {type: lognormal, median: 1.0, p90: 2.0}\n"
        "    fleet.ground_sites.0.lat_deg: {type: pert, low: 30, mode: 35, high: 45}\n"
        "    fleet.ground_sites.0.lon_deg: {type: uniform, low: -100, high: -80}\n"
        "    fleet.shells.0.orbit.per_plane: {type: choice, values: [2, 4, 8], weights: [1, 1, 2]}\n"
        "    fleet.ground_sites.0.water_l_per_kwh: {type: fixed, value: 0.5}\n",
    )
    sweep = _load(folder, text)
    got = {path: sw.to_distribution(d) for path, d in sweep.spec.random.axes.items()}
    assert got["fleet.ground_sites.0.pue"] == unc.Normal(1.2, 0.1, 1.05)
    assert got["fleet.ground_sites.0.grid_power_mw"] == unc.LogNormal.from_median_p90(1.0, 2.0)
    assert got["fleet.ground_sites.0.lat_deg"] == unc.Pert(30.0, 35.0, 45.0)
    assert got["fleet.ground_sites.0.lon_deg"] == unc.Uniform(-100.0, -80.0)
    assert got["fleet.shells.0.orbit.per_plane"] == unc.Choice((2, 4, 8), (1.0, 1.0, 2.0))
    assert got["fleet.ground_sites.0.water_l_per_kwh"] == unc.Fixed(0.5)
    for p in sw.plan_points(sweep):
        assert type(p.params["fleet.shells.0.orbit.per_plane"]) is int  # integer fields get integers
        apply_point(sweep.base_dict, p.params)  # every drawn point is a valid scenario


# ---------------------------------------------------------------------------------------- paths and errors


def test_unknown_path_names_the_path_and_what_is_allowed(folder: Path) -> None:
    text = SPEC.replace("fleet.shells.dawn-dusk.orbit.altitude_km", "fleet.shells.dawn-dusk.orbit.altitude_m")
    with pytest.raises(ScenarioError) as info:
        _load(folder, text)
    (problem,) = info.value.problems
    assert problem.path == "grid['fleet.shells.dawn-dusk.orbit.altitude_m']"
    assert "no field 'altitude_m'" in problem.message
    assert "allowed: altitude_km, ltan_hours, per_plane, phasing, planes, raan_spread_hours, type" in problem.message


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("fleet.shells.3.design", "fleet.shells has 1 entry; index 3 is out of range (0-0)"),
        ("fleet.shells.nope.design", "fleet.shells is a list: use an index 0-0 or a name (dawn-dusk), got 'nope'"),
        ("fleet.ground_sites.0.pue.x", "fleet.ground_sites.0.pue is a value (float), not a mapping or list"),
        (
            "fleets",
            "the scenario has no field 'fleets'; allowed: description, designs, duration, economics, environment, "
            "epoch,",
        ),
        ("fleet..pue", "is not a dotted path"),
    ],
)
def test_bad_paths(folder: Path, path: str, message: str) -> None:
    problems = check_paths(_load(folder).base_dict, [path])
    assert message in problems[path]


def test_aliases_and_names_resolve_and_the_base_is_left_alone(folder: Path) -> None:
    base = _load(folder).base_dict
    before = copy.deepcopy(base)
    assert check_paths(base, ["duration_s", "step_s", "fleet.shells.dawn-dusk.orbit.planes", "designs"]) == {}
    sc = apply_point(base, {"duration_s": 3600.0, "fleet.ground_sites.memphis.gpus.H100": 8})
    assert sc.duration_s == 3600.0 and sc.ground_sites[0].gpus == {"H100": 8}
    sc2 = apply_point(base, {"fleet.shells.0.orbit.altitude_km": 700.0, "fleet.shells.0.orbit.planes": 2})
    assert (sc2.shells[0].orbit.altitude_km, sc2.shells[0].orbit.planes) == (700.0, 2)
    assert base == before  # points are set on copies of the containers they touch, never on the shared base


def test_bad_value_names_the_scenario_path_and_the_point(folder: Path) -> None:
    base = _load(folder).base_dict
    with pytest.raises(ScenarioError) as info:
        apply_point(base, {"fleet.shells.0.orbit.altitude_km": 50})
    (p,) = info.value.problems
    assert p.path == "fleet.shells[0].orbit.altitude_km"
    assert "must be between 160 and 40000, got 50" in p.message
    assert "at the point fleet.shells.0.orbit.altitude_km = 50" in p.message
    with pytest.raises(ScenarioError, match="must be an integer"):
        apply_point(base, {"fleet.shells.0.orbit.per_plane": 2.5})


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (("type: triangular", "type: gamma"), "random.axes['fleet.ground_sites.0.pue'].type", "unknown type 'gamma'"),
        (("mode: 1.2", "mode: 1.0"), "random.axes['fleet.ground_sites.0.pue'].mode", "must be at least low (1.1)"),
        (("evaluate: cost", "evaluate: price"), "evaluate", "must be 'simulate' or 'cost'"),
        (("  samples: 4\n", ""), "random.samples", "required field is missing"),
        (("name: test-sweep", "name: test-sweep\nfoo: 1"), "foo", "unknown field; allowed: schema_version, name,"),
        (
            ("fleet.shells.dawn-dusk.orbit.altitude_km", "fleet.ground_sites.0.pue"),
            "random.axes['fleet.ground_sites.0.pue']",
            "is also a grid axis",
        ),
        (("base: base.yaml", "base: missing.yaml"), "base", "scenario file not found"),
    ],
)
def test_bad_spec_fields(folder: Path, edit, path: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        _load(folder, SPEC.replace(*edit))
    assert any(p.path == path and message in p.message for p in info.value.problems), info.value.problems


def test_a_sweep_needs_an_axis(folder: Path) -> None:
    text = "schema_version: 1\nname: x\nbase: base.yaml\nevaluate: cost\n"
    with pytest.raises(ScenarioError, match="at least one axis"):
        _load(folder, text)


# ------------------------------------------------------------------------------------------------- running


def _check_rows(table) -> None:
    rows = table.to_pylist()
    for r in rows:
        assert r["error"] is None
        assert r["cost.usd_per_gpu_hour"] == 1.0 + r[ALT] / 1000.0 * r[PUE]  # the point reached the scenario
        assert r["alt_km"] == r[ALT] and r["label"] == "toy"
    assert "series" not in table.column_names  # lists are left out of rows
    assert [r["point_index"] for r in rows] == list(range(len(rows)))


def test_serial_run_writes_one_row_per_point(folder: Path) -> None:
    sweep = _load(folder)
    seen = []
    res = sw.run_sweep(sweep, toy_outputs, folder / "out", progress=lambda d, t: seen.append((d, t)))
    assert (res.points, res.evaluated, res.skipped, res.failed) == (12, 12, 0, 0)
    assert seen[0] == (0, 12) and seen[-1] == (12, 12)
    table = res.table()
    assert table.num_rows == 12
    _check_rows(table)
    assert [r["point_id"] for r in table.to_pylist()] == [p.point_id for p in sw.plan_points(sweep)]
    meta = json.loads((folder / "out" / "sweep.json").read_text())
    assert meta["points"] == 12 and meta["summary"] == {"points": 12, "failed": 0}
    page = (folder / "out" / "sweep.html").read_text()
    # cost.usd_per_gpu_hour is drawn; alt_km varies too but repeats the altitude axis, and label is a string.
    # Titles carry units (cost.usd_per_gpu_hour -> "cost ($/GPU-h)"); the parallel-coordinates view comes first.
    assert "Plotly.newPlot" in page and page.count('class="plot"') == 1 and '"text":"cost ($/GPU-h)"' in page
    assert page.count('class="plot tall"') == 1 and '"type":"parcoords"' in page
    assert "https://" not in page.split("<script>", 1)[0]  # nothing fetched before plotly.js


def test_two_runs_of_a_sweep_write_the_same_bytes_and_their_wall_times_apart(folder: Path) -> None:
    """sweep.parquet, sweep.json and sweep.html are byte-identical between two runs; wall times are only in
    timings.json (one eval_s per point, and the run's wall_s)."""
    sweep = _load(folder)
    first = sw.run_sweep(sweep, toy_outputs, folder / "out", resume=False)
    names = ("sweep.parquet", "sweep.json", "sweep.html")
    before = {n: (folder / "out" / n).read_bytes() for n in names}
    timings = json.loads(first.timings_path.read_text())
    second = sw.run_sweep(sweep, toy_outputs, folder / "out", resume=False)
    assert second.evaluated == 12
    assert {n: (folder / "out" / n).read_bytes() for n in names} == before
    assert "eval_s" not in first.table().column_names
    ids = [p.point_id for p in sw.plan_points(sweep)]
    assert sorted(timings["eval_s"]) == sorted(ids) and all(v > 0.0 for v in timings["eval_s"].values())
    assert timings["evaluated"] == 12 and timings["wall_s"] >= sum(timings["eval_s"].values())


def test_pure_random_sweep_summarizes_outputs(folder: Path) -> None:
    text = SPEC.replace("grid:\n  fleet.shells.dawn-dusk.orbit.altitude_km: [550, 650, 800]\n", "").replace(
        "samples: 4", "samples: 200"
    )
    res = sw.run_sweep(_load(folder, text), toy_outputs, folder / "mc", batch_size=50)
    s = res.summary["outputs"]["cost.usd_per_gpu_hour"]
    # 1 + 0.65 * pue with pue triangular(1.1, 1.2, 1.5): mean 1 + 0.65 * 1.2667, within 4 standard errors.
    assert abs(s["mean"] - (1.0 + 0.65 * (1.1 + 1.2 + 1.5) / 3.0)) < 4.0 * s["std_error"]
    assert s["n"] == 200


@pytest.fixture(scope="module")
def process_pool():
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0", silence_logs=50
    )
    try:
        yield cluster
    finally:
        cluster.close()


def test_process_pool_and_dask_give_the_serial_results(folder: Path, process_pool, dask_cluster, monkeypatch) -> None:
    sweep = _load(folder)
    serial = sw.run_sweep(sweep, toy_outputs, folder / "serial", page=False).table()
    pooled = sw.run_sweep(sweep, toy_outputs, folder / "pool", executor=process_pool, batch_size=2, page=False)
    monkeypatch.setenv(sw.CLUSTER_ENV, dask_cluster.scheduler_address)
    with sw.open_executor() as executor:  # the address comes from ORBITGRID_CLUSTER
        assert type(executor).__name__ == "ClientExecutor"
        on_dask = sw.run_sweep(sweep, toy_outputs, folder / "dask", executor=executor, batch_size=3, page=False)
    _check_rows(serial)
    assert _comparable(pooled.table()) == _comparable(serial)
    assert _comparable(on_dask.table()) == _comparable(serial)


def test_points_on_a_pool_run_numba_kernels_on_one_thread(folder: Path, process_pool) -> None:
    """One point per core: on a pool, a point's numba kernels get one thread (not every core); in process they keep
    numba's default, and the setting is restored after the batch."""
    import numba

    sweep = _load(folder)
    pooled = sw.run_sweep(sweep, numba_threads_outputs, folder / "pool", executor=process_pool, page=False)
    assert set(pooled.table().column("numba_threads").to_pylist()) == {1}
    before = numba.get_num_threads()
    inline = sw.run_sweep(sweep, numba_threads_outputs, folder / "inline", page=False)
    assert set(inline.table().column("numba_threads").to_pylist()) == {before}
    capped = sw.run_sweep(sweep, numba_threads_outputs, folder / "capped", page=False, numba_threads=1)
    assert set(capped.table().column("numba_threads").to_pylist()) == {1}
    assert numba.get_num_threads() == before


def test_interrupted_sweep_resumes_without_rerunning_finished_points(folder: Path) -> None:
    sweep = _load(folder)
    markers = folder / "markers"
    markers.mkdir()
    evaluator = functools.partial(marking_outputs, marker_dir=str(markers))

    def interrupt_after_five(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(sweep, evaluator, folder / "out", batch_size=1, progress=interrupt_after_five)
    assert len(list((folder / "out" / "points").glob("part-*.parquet"))) == 5
    assert not (folder / "out" / "sweep.parquet").exists()
    res = sw.run_sweep(sweep, evaluator, folder / "out", batch_size=1)
    assert (res.evaluated, res.skipped) == (7, 5)
    calls = _calls(markers)
    assert len(calls) == 12 and set(calls.values()) == {1}  # every point evaluated exactly once over both runs
    table = pq.read_table(folder / "out" / "sweep.parquet")
    assert table.num_rows == 12 and len(set(table.column("point_id").to_pylist())) == 12
    _check_rows(table)


def test_subset_then_full_sweep_on_a_process_pool(folder: Path, process_pool) -> None:
    """A sweep over fewer grid values, then the full one in the same folder: only the new points run (counted by
    marker files, since the workers are other processes); a transient failure is retried on the next run."""
    markers = folder / "markers"
    markers.mkdir()
    evaluator = functools.partial(marking_outputs, marker_dir=str(markers), fail_once_at_km=800.0)
    subset = _load(folder, SPEC.replace("[550, 650, 800]", "[550, 650]"))
    first = sw.run_sweep(subset, evaluator, folder / "out", executor=process_pool, batch_size=3)
    assert (first.points, first.evaluated, first.failed) == (8, 8, 0)
    full = sw.run_sweep(_load(folder), evaluator, folder / "out", executor=process_pool, batch_size=3)
    assert (full.points, full.evaluated, full.skipped, full.failed) == (12, 4, 8, 4)
    errors = [r["error"] for r in full.table().to_pylist() if r["error"]]
    assert errors == ["RuntimeError: transient failure at 800.0 km"] * 4
    again = sw.run_sweep(_load(folder), evaluator, folder / "out", executor=process_pool, batch_size=3)
    assert (again.evaluated, again.skipped, again.failed) == (4, 8, 0)
    calls = _calls(markers)
    assert sum(v for (alt, _), v in calls.items() if alt != "800.0") == 8  # the first 8 points ran once
    assert sum(v for (alt, _), v in calls.items() if alt == "800.0") == 8  # 800 km: failed once, then succeeded
    table = again.table()
    assert table.num_rows == 12
    _check_rows(table)


def test_invalid_points_are_rows_with_an_error(folder: Path) -> None:
    text = SPEC.replace("[550, 650, 800]", "[550, 50]")  # 50 km is below the scenario's 160 km minimum
    res = sw.run_sweep(_load(folder, text), toy_outputs, folder / "out")
    assert (res.points, res.failed) == (8, 4)
    bad = [r for r in res.table().to_pylist() if r["error"]]
    assert all(r[ALT] == 50 for r in bad)
    assert bad[0]["error"].startswith("invalid point: fleet.shells[0].orbit.altitude_km: must be between 160")
    assert "Failed points" in (folder / "out" / "sweep.html").read_text()


def test_an_axis_mixing_numbers_and_strings_is_stored(folder: Path) -> None:
    text = SPEC.replace("[550, 650, 800]", "[550, 'high']")
    res = sw.run_sweep(_load(folder, text), toy_outputs, folder / "out", page=False)
    assert (res.points, res.failed) == (8, 4)
    column = res.table().column(ALT).to_pylist()
    assert column == ["550"] * 4 + ['"high"'] * 4  # no common Arrow type: JSON text


def test_resume_refuses_a_different_base_and_no_resume_starts_afresh(folder: Path) -> None:
    sw.run_sweep(_load(folder), toy_outputs, folder / "out", page=False)
    (folder / "base.yaml").write_text(BASE.replace("pue: 1.2", "pue: 1.3"))
    changed = _load(folder)
    with pytest.raises(sw.SweepError, match="different base scenario"):
        sw.run_sweep(changed, toy_outputs, folder / "out", page=False)
    res = sw.run_sweep(changed, toy_outputs, folder / "out", resume=False, page=False)
    assert (res.evaluated, res.skipped) == (12, 0)
    assert len(list((folder / "out" / "points").glob("part-*.parquet"))) == 12  # the first run's 12 are gone


def test_flatten_outputs() -> None:
    flat = sw.flatten_outputs({"a": {"b": np.float64(1.5), "c": {"d": None}}, "e": [1], "f": True, "g": "s"})
    assert flat == {"a.b": 1.5, "a.c.d": None, "f": True, "g": "s"}
    assert type(flat["a.b"]) is float


SIM_BASE = (
    BASE
    + """\
tenants:
  - {name: lab, contract: on_demand, price_usd_per_gpu_hour: 2.0}
workloads:
  - {type: training, tenant: lab, count: 6, gpus: 8, gpu_model: H100, work_gpu_hours: 4, spacing: 10min}
"""
)


def test_simulate_evaluator_matches_a_direct_simulation(folder: Path, tmp_path_factory) -> None:
    """The `simulate` evaluator's row for a point equals summary.json of api.simulate on that point's scenario."""
    from orbitgrid import api

    (folder / "simbase.yaml").write_text(SIM_BASE)
    text = SPEC.replace("evaluate: cost", "evaluate: simulate").replace("base.yaml", "simbase.yaml")
    text = text.split("random:")[0].replace("[550, 650, 800]", "[550, 800]")
    (folder / "sim.yaml").write_text(text)
    res = api.sweep(folder / "sim.yaml", folder / "out", workers=0)
    assert (res.points, res.failed) == (2, 0)
    rows = res.table().to_pylist()
    sweep = _load(folder, text)
    keys = [
        "jobs.completed",
        "gpu_hours.delivered",
        "goodput",
        "wait_s.p50",
        "fleet.sunlit_fraction_mean",
        "capacity.shells.dawn-dusk.gpu_hours_deliverable",
        "capacity.ground_sites.memphis.gpu_hours_deliverable",
    ]
    point = sw.plan_points(sweep)[1]
    direct = api.simulate(apply_point(sweep.base_dict, point.params), tmp_path_factory.mktemp("run"), report=False)
    flat = sw.flatten_outputs(direct.documents["summary.json"])
    assert {k: rows[1][k] for k in keys} == {k: flat[k] for k in keys}
    assert rows[0]["jobs.submitted"] == rows[1]["jobs.submitted"] == 6
    # The orbit periods follow the swept altitude: the Keplerian period is T = 2 pi sqrt(a^3 / mu) of the mean a,
    # the J2 nodal period within 0.5 % of it (J2 shifts it by ~0.1 %).
    for row in rows:
        a_m = 6_378_137.0 + 1e3 * row[ALT]
        kepler_s = 2.0 * np.pi * np.sqrt(a_m**3 / 3.986004418e14)
        assert row["shells.dawn-dusk.keplerian_period_s_mean"] == pytest.approx(kepler_s, rel=1e-12)
        assert row["shells.dawn-dusk.nodal_period_s_mean"] == pytest.approx(kepler_s, rel=5e-3)
        assert row["shells.dawn-dusk.mean_altitude_km_min"] == pytest.approx(row[ALT], abs=1e-9)


COST_SPEC = """\
schema_version: 1
name: cost-sweep
base: default
evaluate: cost
grid:
  economics.launch.price_usd_per_kg: [200.0, 1000.0]
"""


def test_cost_sweep_rows_are_the_cost_model_of_each_point(folder: Path) -> None:
    """`evaluate: cost` on the built-in default scenario: each row is pipeline.economics.evaluate_cost of the point's
    scenario; the launch price moves the orbital cost only."""
    from orbitgrid import api

    (folder / "cost.yaml").write_text(COST_SPEC)
    res = api.sweep(folder / "cost.yaml", folder / "out", workers=0)
    assert (res.points, res.failed) == (2, 0)
    rows = res.table().to_pylist()
    sweep = load_sweep(folder / "cost.yaml")
    for point, row in zip(sw.plan_points(sweep), rows, strict=True):
        direct = api.evaluate_cost(apply_point(sweep.base_dict, point.params))
        assert {k: row[k] for k in direct} == direct
    assert rows[0]["ground.usd_per_gpu_hour"] == rows[1]["ground.usd_per_gpu_hour"]
    assert rows[1]["orbit.usd_per_gpu_hour"] > rows[0]["orbit.usd_per_gpu_hour"]
    # Whole launches are billed, so the price per kg flown is the list price over the same fill factor at both points.
    fill = [r["orbit.launch_usd_per_kg_mean"] / p for r, p in zip(rows, (200.0, 1000.0), strict=True)]
    assert fill[0] == pytest.approx(fill[1], rel=1e-12) and fill[0] >= 1.0


def test_scenario_model_feeds_the_uncertainty_tools(process_pool) -> None:
    """Monte Carlo on a scenario path, on a process pool and serially (identical), and a break-even on the ground
    side's grid price where the default scenario's orbit and ground cost per GPU-hour meet."""
    from orbitgrid import api

    model = sw.ScenarioModel.from_scenario(api.load_scenario("default"), api.evaluate_cost)
    dists = {"economics.launch.price_usd_per_kg": unc.LogNormal.from_median_p90(500.0, 1500.0)}
    serial = unc.monte_carlo(model, dists, 24, seed=4)
    pooled = unc.monte_carlo(model, dists, 24, seed=4, executor=process_pool, chunk_size=5)
    for k in serial.outputs:
        np.testing.assert_array_equal(serial.outputs[k], pooled.outputs[k])
    # Orbit cost rises with every launch-price draw: its rank order follows the draws'.
    order = np.argsort(serial.inputs["economics.launch.price_usd_per_kg"])
    assert np.all(np.diff(serial.outputs["orbit.usd_per_gpu_hour"][order]) > 0)
    be = unc.break_even(
        model,
        {},
        "economics.terrestrial.electricity_usd_per_kwh",
        (0.0, 5.0),
        "orbit.usd_per_gpu_hour",
        target="ground.usd_per_gpu_hour",
    )
    at = model({"economics.terrestrial.electricity_usd_per_kwh": be.value})
    assert at["orbit.usd_per_gpu_hour"] == pytest.approx(at["ground.usd_per_gpu_hour"], abs=1e-9)  # USD/GPU-h
