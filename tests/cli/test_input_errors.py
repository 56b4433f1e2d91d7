"""Issue 12's cases: every bad input is one clear message and exit status 2, never a traceback; an unexpected
exception is exit status 70 asking for a bug report (``--debug`` shows the traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_scenarios import OMM, SSO, TINY
from typer.testing import CliRunner

from orbitgrid.cli import EXIT_BUG, EXIT_INPUT, app

runner = CliRunner()

OPENB_HEADER = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
)


def run(tmp_path: Path, text: str, command: str = "validate", *extra: str) -> Any:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    args = [command, str(path)]
    if command == "simulate":
        args += ["--out", str(tmp_path / "run"), "--no-report"]
    return runner.invoke(app, [*extra, *args])


def assert_input_error(res: Any, *expected: str) -> str:
    """Exit status 2, no traceback, and every ``expected`` text in the message."""
    out = res.output
    assert res.exit_code == EXIT_INPUT, out
    assert "Traceback" not in out and "internal error" not in out, out
    for text in expected:
        assert text in out, (text, out)
    return out


def with_elements(tmp_path: Path, records: list[dict[str, Any]] | str, name: str = "elements.json") -> str:
    path = tmp_path / name
    path.write_text(records if isinstance(records, str) else json.dumps(records), encoding="utf-8")
    return TINY.replace(SSO, f"orbit: {{type: elements, file: {name}}}")


def with_trace(tmp_path: Path, content: bytes, name: str = "pods.csv") -> str:
    (tmp_path / name).write_bytes(content)
    return TINY + f"  - {{type: trace, tenant: lab, file: {name}, limit: 5}}\n"


# ---------------------------------------------------------------------------------------------- scenario text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2027-03-20T00:00:00Z", "2027-13-45", ("line 3, column 8", "'2027-13-45' is not a valid date")),
        ("2027-03-20T00:00:00Z", "2027-02-30", ("line 3, column 8", "day is out of range for month")),
        ("2027-03-20T00:00:00Z", "2027-02-30T00:00:00Z", ("'2027-02-30T00:00:00Z' is not a valid date",)),
        ("seed: 3", "seed: 1" + "0" * 5000, ("line 6, column 7", "5,001 digits is too large")),
        ("duration: 2h", "duration: 1" + "0" * 400, ("line 4", "401 digits is too large")),
        ("altitude_km: 650", "altitude_km: 1" + "0" * 400, ("line 10", "401 digits is too large")),
        ("seed: 3", "seed: 1:30", ("line 6", "base-60")),
        ("schema_version: 1", "schema_version: true", ("schema_version: must be 1, got true",)),
        ("2027-03-20T00:00:00Z", "1700000000", ("epoch:", "not read as Unix times")),
        ("duration: 2h", "duration: '٢h'", ("duration:", "ASCII")),
        ("duration: 2h", "duration: nan", ("duration:",)),
        ("duration: 2h", "duration: 1e400", ("duration:",)),
        ("name: tiny", "name: '   '", ("name: must be 1-100 ASCII letters",)),
        ("name: tiny", "name: ../../escaped-run", ("name:", "'../../escaped-run'", "runs/<name>")),
        ("name: tiny", "name: a/b", ("name:",)),
        ("name: dd", "name: '  '", ("fleet.shells[0].name: must not be blank",)),
        ("name: lab,", 'name: "la\\x07b",', ("tenants[0].name", "control or invisible characters")),
    ],
)
def test_bad_scenario_text_is_one_message_and_exit_2(
    tmp_path: Path, old: str, new: str, expected: tuple[str, ...]
) -> None:
    assert old in TINY
    assert_input_error(run(tmp_path, TINY.replace(old, new, 1)), *expected)


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_an_error_not_a_recursion_error(tmp_path: Path, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = TINY + "description: " + opener * 1200 + ("1" if opener != "[" else "") + closer * 1200 + "\n"
    assert_input_error(run(tmp_path, text), "nested more than 64 levels deep", "line 16")


def test_a_name_cannot_write_outside_the_runs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(TINY.replace("name: tiny", "name: ../../escaped-run"))
    res = runner.invoke(app, ["simulate", "s.yaml", "--no-report"])
    assert_input_error(res, "name:")
    assert not (tmp_path.parent.parent / "escaped-run").exists()
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------------------------------------------- element files


def test_damaged_element_files_are_input_errors_naming_file_and_line(tmp_path: Path) -> None:
    res = run(tmp_path, with_elements(tmp_path, '[{"OBJECT_NAME": ', "broken.json"), "simulate")
    assert_input_error(res, "broken.json, line 1: expected valid JSON")
    res = run(tmp_path, with_elements(tmp_path, "ISS\n1 25544U 98067A   20\n2 25544\n", "broken.tle"), "simulate")
    assert_input_error(res, "broken.tle, line 2: expected TLE line 1 of 69 columns")
    bad = [OMM, {**OMM, "NORAD_CAT_ID": "x"}]
    res = run(tmp_path, with_elements(tmp_path, bad, "bad.json"), "simulate")
    assert_input_error(res, "bad.json, record 2: expected an integer 0..339999 in OMM field NORAD_CAT_ID")


@pytest.mark.parametrize(
    ("change", "code"),
    [({"ECCENTRICITY": 1.0}, 255), ({"ECCENTRICITY": 1.5}, 1), ({"MEAN_MOTION": -15.2}, 255)],
)
def test_element_sets_sgp4_cannot_start_are_read_at_validate(tmp_path: Path, change: dict[str, Any], code: int) -> None:
    """One such set is a warning (it counts as lost from the start, issue 12 item 4); a file of only such sets is an
    error at validate and at simulate, before any file is written."""
    from orbitgrid.astro.sgp4_adapter import ERROR_MEANINGS

    one_bad = with_elements(tmp_path, [OMM, {**OMM, "NORAD_CAT_ID": 44714, **change}])
    res = run(tmp_path, one_bad)
    assert res.exit_code == 0, res.output
    assert f"SGP4 cannot propagate 1 of 2 element sets even at their own epochs (1 x error {code} (" in res.output
    all_bad = with_elements(tmp_path, [{**OMM, **change}, {**OMM, "NORAD_CAT_ID": 44714, **change}])
    for command in ("validate", "simulate"):
        res = run(tmp_path, all_bad, command)
        assert_input_error(
            res, "fleet.shells[0].orbit.file:", "elements.json", f"2 x error {code} ({ERROR_MEANINGS[code]})"
        )
        assert not (tmp_path / "run").exists()  # refused before any file is written


def test_repeated_catalogue_numbers_are_a_warning_and_the_latest_set_is_used(tmp_path: Path) -> None:
    from orbitgrid.astro.elements import deduplicate
    from orbitgrid.scenario import load_scenario

    older = {**OMM, "EPOCH": "2027-03-18T12:00:00.000", "MEAN_ANOMALY": 90.0}
    text = with_elements(tmp_path, [older, OMM, {**OMM, "NORAD_CAT_ID": 5}])
    res = run(tmp_path, text)
    assert res.exit_code == 0 and "1 catalogue number appears more than once; the latest set" in res.output
    es, _ = deduplicate(load_scenario(tmp_path / "scenario.yaml").shells[0].orbit.elements)
    assert es.catalog_numbers.tolist() == [44713, 5]
    assert es.mean_anomaly_rad.tolist() == [0.0, 0.0]  # the 2027-03-19 set, not the older one


def test_stale_element_sets_are_a_warning_naming_the_farthest(tmp_path: Path) -> None:
    old = {**OMM, "NORAD_CAT_ID": 44714, "OBJECT_NAME": "OLD", "EPOCH": "2026-01-01T00:00:00"}
    res = run(tmp_path, with_elements(tmp_path, [OMM, old]))
    assert res.exit_code == 0, res.output
    assert "warning: fleet.shells[0].orbit.file: 1 of 2 element sets are more than 14 days from the run" in res.output
    assert "'OLD', catalogue number 44714, 1.2 years" in res.output
    text = with_elements(tmp_path, [OMM, old]).replace("type: elements,", "type: elements, epoch_window_days: 500,")
    res = run(tmp_path, text)
    assert res.exit_code == 0 and "warning" not in res.output, res.output


# ---------------------------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "gpus: 8,",
            "gpus: 1000000000000,",
            "workloads[0].gpus: must be at most 10000000 (~45x Colossus 1's 220,000 GPUs), got 1000000000000",
        ),
        (
            "count: 2,",
            "count: 9223372036854775808,",
            "workloads[0].count: must be at most 10000000 (rows of one job table)",
        ),
        ("planes: 1,", "planes: 1000000000000,", "fleet.shells[0].orbit.planes: must be at most 100000"),
        (
            "per_plane: 2}",
            "per_plane: 10000000}\n      design: compute-sat\n    - name: b\n"
            "      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 10, planes: 1}",
            "the fleet has 10,000,010 satellites",
        ),
        ("step: 60s", "step: 0.00001s", "duration: 720,000,000 steps of 1e-05 s is too many: at most 100,000,000"),
        ("2027-03-20T00:00:00Z", "2150-01-01T00:00:00Z", "epoch: the run must lie within 1950-2100"),
        ("duration: 2h", "duration: 30000d", "epoch: the run must lie within 1950-2100"),
        (
            "seed: 3",
            "seed: 9223372036854775808",
            "seed: must be at most 9223372036854775807 (seeds are stored as int64)",
        ),
        (
            "spacing: 10min}",
            "spacing: 10min}\n  - {type: generated, tenant: lab, rate_scale: 5e-324}",
            "workloads[1].rate_scale: must be at least 1e-06, got 5e-324",
        ),
    ],
)
def test_sizes_have_upper_bounds_with_their_reason(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in TINY
    assert_input_error(run(tmp_path, TINY.replace(old, new, 1)), expected)


def test_payload_gpus_beyond_int64_is_a_bound_not_an_overflow(tmp_path: Path) -> None:
    text = (
        TINY.replace("design: compute-sat", "design: mine")
        + """designs:
  mine:
    payload: {gpu: H100, gpus: 9223372036854775808}
    solar_array: {area_m2: 100, cell_efficiency: 0.3, packing_factor: 0.9}
    battery: {capacity_wh: 1000}
    radiator: {area_m2: 10, emissivity: 0.9, solar_absorptivity: 0.2}
"""
    )
    assert_input_error(
        run(tmp_path, text, "simulate"),
        "designs.mine.payload.gpus: must be at most 100000 (~100 MW of accelerators on one satellite)",
    )


# ---------------------------------------------------------------------------------------------- traces


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x00\x01\x02\xff\xfe garbage\n", "line 1, character 4: byte 0xff is not UTF-8"),
        (b"name,foo\na,1\n", "line 1: missing columns creation_time"),
        (
            OPENB_HEADER.encode() + b"a,1,1,x,1000,,BE,Running,0,10,1\n",
            "line 2, column num_gpu: expected a number, found 'x'",
        ),
        (
            OPENB_HEADER.encode() + b"a,1,1,1,1000,,BE,Running,0,10,1,5,6\n",
            "line 2: expected 11 fields as in the header, found 13",
        ),
        (b"", "empty file: expected a header line"),
        (
            OPENB_HEADER.encode() + b"a,1,1,1,1000,,ZZ,Running,0,10,1\n",
            "line 2, column qos: unknown contract class 'ZZ'",
        ),
        (
            OPENB_HEADER.encode() + b"a,1,1,-3,1000,,BE,Running,0,10,1\n",
            "line 2, column num_gpu: expected a whole number",
        ),
        (
            OPENB_HEADER.encode() + b"a,1,1,2,1000,,BE,Running,5,1,10\n",
            "line 2, column deletion_time: ends 9 s before it",
        ),
        (
            OPENB_HEADER.encode() + b"a,1,1,1e12,1000,,BE,Running,0,10,1\n",
            "line 2, column num_gpu: expected a whole number",
        ),
    ],
)
def test_damaged_traces_name_the_file(tmp_path: Path, content: bytes, expected: str) -> None:
    res = run(tmp_path, with_trace(tmp_path, content), "simulate")
    assert_input_error(res, "pods.csv", expected)


def test_a_gzip_trace_that_is_not_gzip(tmp_path: Path) -> None:
    res = run(tmp_path, with_trace(tmp_path, b"not gzip at all", "pods.csv.gz"), "simulate")
    assert_input_error(res, "pods.csv.gz: not a readable CSV file")


# ---------------------------------------------------------------------------------------------- bugs: exit 70


def test_an_unexpected_exception_is_exit_70_asking_for_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orbitgrid import api

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(api, "simulate", broken)
    res = run(tmp_path, TINY, "simulate")
    assert res.exit_code == EXIT_BUG, res.output
    assert "internal error: ZeroDivisionError: float division by zero" in res.output
    assert "please report it with the scenario" in res.output and "--debug" in res.output
    assert "Traceback" not in res.output
    res = run(tmp_path, TINY, "simulate", "--debug")
    assert res.exit_code == EXIT_BUG
    assert "Traceback (most recent call last)" in res.output and "in broken" in res.output


def test_a_fleet_that_delivers_no_gpu_hour_is_a_correct_run_with_a_report(tmp_path: Path) -> None:
    """Gangs larger than any node never start: cost.json's $/GPU-hour and Monte Carlo are null, the report says so."""
    text = TINY.replace("gpus: 8,", "gpus: 4096,").replace("planes: 1, per_plane: 2", "planes: 1, per_plane: 1")
    path = tmp_path / "s.yaml"
    path.write_text(text)
    res = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "run" / "cost.json").read_text())
    assert doc["orbit"]["usd_per_gpu_hour"] is None
    assert doc["uncertainty"]["monte_carlo"]["ratio_orbit_to_ground"]["p50"] is None
    assert "delivered no GPU-hour" in (tmp_path / "run" / "report.html").read_text()


@pytest.mark.parametrize("command", [["cost", "--run"], ["report"]])
def test_a_damaged_run_directory_names_the_file(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "summary.json").write_text('{"scenario": ')
    (tmp_path / "manifest.json").write_text("{}")
    res = runner.invoke(app, [*command, str(tmp_path)])
    assert_input_error(res, "summary.json, line 1, column 14: not valid JSON")


def test_numbers_beyond_float_range_through_the_api_are_problems_not_overflow_errors() -> None:
    """YAML stops integers over 30 digits; a dict built in Python can still hold 10**400 (OverflowError in
    ``parse_duration_s`` and ``models._number`` before issue 12)."""
    import yaml

    from orbitgrid.astro.time import parse_duration_s
    from orbitgrid.scenario import Scenario, ScenarioError
    from orbitgrid.scenario.loader import load_scenario_text

    with pytest.raises(ValueError, match="401 digits of seconds is too large"):
        parse_duration_s(10**400)
    data = yaml.safe_load(TINY)
    data["duration"] = 10**400
    data["fleet"]["shells"][0]["orbit"]["altitude_km"] = 10**400
    with pytest.raises(Exception) as info:
        Scenario.model_validate(data)
    assert not isinstance(info.value, OverflowError)
    paths = {e["loc"] for e in info.value.errors()}  # type: ignore[attr-defined]
    assert ("duration",) in paths and ("fleet", "shells", 0, "orbit", "altitude_km") in paths
    with pytest.raises(ScenarioError):
        load_scenario_text(TINY.replace("duration: 2h", "duration: '1" + "0" * 400 + "s'"))


@pytest.mark.parametrize("command", ["export omm default --out {bad}", "lifetime default --json {bad}"])
def test_an_output_path_that_cannot_be_written_is_an_input_error(tmp_path: Path, command: str) -> None:
    """An output path under a regular file is the user's path problem (exit 2 naming it), not a bug (exit 70)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = blocker / "out.json"
    res = runner.invoke(app, command.format(bad=bad).split())
    assert_input_error(res, f"cannot read or write {bad}", "check that the path exists and is writable")


def test_an_unexpected_exception_is_still_a_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError that names no file (not about a user's path) keeps the bug path: exit 70."""
    import orbitgrid.scenario

    def broken(*_a: Any, **_k: Any) -> None:
        raise OSError("no file involved")

    monkeypatch.setattr(orbitgrid.scenario, "load_scenario", broken)
    path = tmp_path / "s.yaml"
    path.write_text(TINY)
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == EXIT_BUG, res.output
    assert "internal error: OSError: no file involved" in res.output
