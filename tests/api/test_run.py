"""The notebook API: ``simulate(scenario)`` in memory, typed results, tables, ``save``, ``load`` and ``report``.

The typed views are compared with the files the CLI wrote for the same scenario and seed: every key of
``summary.json`` and ``cost.json`` has a field, and every field holds the file's value. A run saved from memory is
the CLI's run directory byte for byte (``timings.json`` apart), which also checks that two simulations of one
scenario and seed agree; a saved run loads back to the same documents and tables.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from api_cases import EXAMPLE, Pair

from orbitgrid import api
from orbitgrid.api import TIMINGS_FILE, Report, Run, load_scenario, simulate
from orbitgrid.errors import InputError
from orbitgrid.results import RunDirError
from orbitgrid.results.records import Capacity, Cost, Summary, unmapped_keys
from orbitgrid.results.tables import TABLES
from orbitgrid.scenario import resolved_scenario_dict


def _jsonable(x: Any) -> Any:
    """A typed view as the JSON it came from (tuples as lists, instants as ISO text)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, _dt.datetime):
        return x.isoformat()
    return x


def _assert_holds(typed: Any, doc: Any, path: str = "") -> int:
    """Every value of ``doc`` is in ``typed`` at the same key path, exactly; returns the leaves compared."""
    if isinstance(doc, dict):
        assert isinstance(typed, dict), path
        return sum(_assert_holds(typed[k], v, f"{path}.{k}") for k, v in doc.items())
    assert typed == doc, f"{path}: typed {typed!r} != file {doc!r}"
    assert type(typed) is type(doc) or (isinstance(doc, int) and isinstance(typed, float)), path
    return 1


def _same_table(a: pa.Table, b: pa.Table) -> bool:
    """Same schema and values, NaN equal to NaN (Arrow's ``equals`` says NaN != NaN)."""

    def values(t: pa.Table) -> dict[str, list[Any]]:
        return {
            k: ["nan" if isinstance(v, float) and math.isnan(v) else v for v in col] for k, col in t.to_pydict().items()
        }

    return a.schema == b.schema and values(a) == values(b)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_typed_fields_equal_the_cli_run_summary_and_cost(pair: Pair) -> None:
    summary = json.loads((pair.cli_dir / "summary.json").read_text())
    cost = json.loads((pair.cli_dir / "cost.json").read_text())
    head = {k: v for k, v in summary.items() if k != "capacity"}
    run = pair.run
    assert unmapped_keys(Summary, head) == []
    assert unmapped_keys(Capacity, summary["capacity"], "capacity") == []
    assert unmapped_keys(Cost, cost) == []
    leaves = _assert_holds(_jsonable(run.summary), head)
    leaves += _assert_holds(_jsonable(run.capacity), summary["capacity"])
    leaves += _assert_holds(_jsonable(run.cost), cost)
    assert leaves > 400  # values compared (a list, such as the 200 draws of one output, counts once)
    # the headline numbers, by name
    s, c, k = run.summary, run.capacity, run.cost
    assert s.epoch == _dt.datetime(2027, 3, 20, tzinfo=_dt.UTC) and s.seed == 5
    assert s.jobs is not None and s.jobs.submitted == summary["jobs"]["submitted"] == 7
    assert s.gpu_hours is not None and s.gpu_hours.delivered == summary["gpu_hours"]["delivered"] > 0
    assert s.tenants["chat"].requests == summary["tenants"]["chat"]["requests"] > 0
    assert s.network is not None and s.network.contacts == summary["network"]["contacts"]
    assert s.network.gateway_sites["memphis"] == (35.1, -90.0)
    assert c.shells["dawn-dusk"].gpus == 4 * 8 and c.ground_sites["memphis"].accelerators == 64  # compute-sat: 8
    assert c.gpu_hours_deliverable == pytest.approx(
        summary["capacity"]["shells"]["dawn-dusk"]["gpu_hours_deliverable"]
        + summary["capacity"]["ground_sites"]["memphis"]["gpu_hours_deliverable"]
    )
    assert k is not None and k.ratio_orbit_to_ground == cost["ratio_orbit_to_ground"]
    assert k.orbit.gpu_hours_source == "simulated" and k.nominal is not None
    assert k.uncertainty is not None and k.uncertainty.monte_carlo is not None
    assert k.uncertainty.monte_carlo.n == len(k.uncertainty.monte_carlo.draws["ratio_orbit_to_ground"]) == 200


def test_save_writes_the_cli_run_directory_byte_for_byte(pair: Pair, tmp_path: Path) -> None:
    saved = pair.run.save(tmp_path / "saved")
    assert saved == tmp_path / "saved"
    cli, ours = _files(pair.cli_dir), _files(saved)
    assert set(ours) == set(cli)
    assert {f"{t}.parquet" for t in TABLES} <= set(ours)  # every table simulate writes is in this run
    differ = sorted(n for n in cli if n != TIMINGS_FILE and cli[n] != ours[n])
    assert differ == []
    assert json.loads(ours["manifest.json"])["status"] == "complete"
    assert not list(tmp_path.glob(".saved.orbitgrid-*"))  # no staging folder left
    timings = json.loads(ours[TIMINGS_FILE])
    assert set(timings["stages_s"]) >= {"orbit", "schedule", "cost", "report"}


def test_save_refuses_an_existing_run_unless_overwrite(pair: Pair, tmp_path: Path) -> None:
    target = pair.run.save(tmp_path / "r", report=False)
    assert "report.html" not in _files(target)
    with pytest.raises(RunDirError, match="already holds an orbitgrid run"):
        pair.run.save(target)
    pair.run.save(target, overwrite=True)
    assert "report.html" in _files(target)


def test_load_reads_back_what_was_saved(pair: Pair, tmp_path: Path) -> None:
    saved = pair.run.save(tmp_path / "saved", report=False)
    run = Run.load(saved)
    assert run.path == saved and pair.run.path is None
    assert run.files == pair.run.files
    assert run.documents == pair.run.documents
    assert (run.summary, run.capacity, run.cost) == (pair.run.summary, pair.run.capacity, pair.run.cost)
    assert run.tables.names == pair.run.tables.names
    for name in run.tables:
        assert _same_table(run.tables[name], pair.run.tables[name]), name
        assert _same_table(run.tables[name], pq.read_table(saved / f"{name}.parquet")), name
    assert resolved_scenario_dict(run.scenario) == resolved_scenario_dict(pair.run.scenario)
    again = run.save(tmp_path / "again", report=False)  # a loaded run saves to the same bytes
    first, second = _files(saved), _files(again)
    assert sorted(n for n in first if n != TIMINGS_FILE and first[n] != second[n]) == []


def test_load_refuses_an_incomplete_run_and_a_folder_that_is_no_run(pair: Pair, tmp_path: Path) -> None:
    saved = pair.run.save(tmp_path / "saved", report=False)
    partial = tmp_path / "partial"
    shutil.copytree(saved, partial)
    manifest = json.loads((partial / "manifest.json").read_text())
    (partial / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    with pytest.raises(RunDirError, match="incomplete run"):
        Run.load(partial)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunDirError, match="not a run directory"):
        Run.load(tmp_path / "empty")
    with pytest.raises(RunDirError, match="no such run directory"):
        Run.load(tmp_path / "missing")


def test_report_renders_the_page_save_writes(pair: Pair, tmp_path: Path) -> None:
    page = pair.run.report()
    assert isinstance(page, Report) and page.html.startswith("<!DOCTYPE html>")
    assert page.html.encode("utf-8") == (pair.cli_dir / "report.html").read_bytes()
    assert "<iframe srcdoc=" in page._repr_html_()
    written = tmp_path / "page.html"
    assert pair.run.report(written).html == page.html and written.read_text(encoding="utf-8") == page.html
    loaded = Run.load(pair.cli_dir).report()  # from the folder directly
    assert loaded.html == page.html


def test_tables_are_arrow_and_convert_to_pandas(pair: Pair) -> None:
    pd = pytest.importorskip("pandas")
    jobs = pair.run.tables.jobs
    assert jobs is not None and jobs.num_rows == pair.run.summary.jobs.submitted  # type: ignore[union-attr]
    frame = jobs.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == jobs.column_names
    assert frame["state"].value_counts()["completed"] == pair.run.summary.jobs.completed  # type: ignore[union-attr]
    assert pair.run.tables["links"].num_rows > 0 and "links" in pair.run.tables


def test_a_run_without_workloads_or_network_has_none_of_their_results(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(EXAMPLE).replace(workloads=[], tenants=[], network=None, duration="30min")
    run = simulate(sc)
    assert list(tmp_path.iterdir()) == []  # nothing written without a folder
    s = run.summary
    assert (s.jobs, s.gpu_hours, s.wait_s, s.network, s.tenants) == (None, None, None, None, {})
    assert run.tables.jobs is None and run.tables.links is None and run.tables.eclipses is not None
    with pytest.raises(KeyError, match="this run has no 'jobs' table; its tables: eclipses, nodes"):
        run.tables["jobs"]
    assert run.capacity.shells["dawn-dusk"].gpu_hours_deliverable > 0
    assert run.cost is not None and run.cost.orbit.gpu_hours_source == "nominal"  # nothing delivered: nominal hours
    assert simulate(sc, cost=False).cost is None
    assert "Run('notebook', in memory, tables: eclipses" in repr(run)


def test_a_run_in_memory_has_no_folder_to_write_into() -> None:
    writer = api.RunDirError  # exported beside Run
    from orbitgrid.results import RunWriter

    mem = RunWriter.in_memory()
    with pytest.raises(writer, match="held in memory"):
        _ = mem.path


def test_two_runs_in_memory_are_the_same_bytes(tmp_path: Path) -> None:
    """Same scenario and seed, same files (a run in memory has no timings file); a folder run types the same."""
    sc = load_scenario(EXAMPLE).replace(duration="30min", network=None)
    first, second = simulate(sc), simulate(sc)
    assert first.files == second.files and "jobs.parquet" in first.files
    assert [n for n in first.files if first.read_bytes(n) != second.read_bytes(n)] == []
    folder = simulate(sc, tmp_path / "run", report=False)
    assert folder.path == tmp_path / "run" and folder.summary == first.summary and folder.cost == first.cost
    assert first.timings["total_s"] > 0 and TIMINGS_FILE not in first.files


def test_a_summary_that_does_not_fit_names_the_file_and_key(pair: Pair, tmp_path: Path) -> None:
    saved = pair.run.save(tmp_path / "saved", report=False)
    doc = json.loads((saved / "summary.json").read_text())
    del doc["fleet"]
    doc["capacity"]["shells"]["dawn-dusk"]["gpus"] = "many"
    (saved / "summary.json").write_text(json.dumps(doc))
    run = Run.load(saved)
    with pytest.raises(InputError, match=r"saved/summary\.json: fleet: missing \(a damaged file"):
        _ = run.summary
    with pytest.raises(
        InputError, match=r"summary\.json: capacity\.shells\.dawn-dusk\.gpus: expected int, found .many."
    ):
        _ = run.capacity


def test_a_notebook_shows_the_headline_numbers(pair: Pair) -> None:
    html = pair.run._repr_html_()
    s, k = pair.run.summary, pair.run.cost
    assert k is not None and s.jobs is not None
    assert f"{s.jobs.completed:,} of {s.jobs.submitted:,}" in html
    assert f"{k.ratio_orbit_to_ground:,.2f} (simulated)" in html and "notebook (in memory)" in html
    assert html.startswith("<table>") and "allocation, contacts" in html
