"""Issue 16 item 4: every malformed trace, request trace or node list fails ``orbitgrid validate`` and ``simulate``
with exit status 2 and one message naming the file, the line and column and what was expected, never a traceback;
rows dropped or reordered are counted and reported (``orbitgrid trace inspect``), never silent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from orbitgrid.cli import EXIT_INPUT, app

runner = CliRunner()

#: One ground site of 64 H100s for two hours: the errors come from reading the trace, before any simulation.
SCENARIO = """\
schema_version: 1
name: traces
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
fleet:
  ground_sites:
    - {{name: dc, lat_deg: 40.0, lon_deg: -100.0, gpus: {gpus}, grid_power_mw: 5}}
tenants:
  - {{name: lab}}
workloads:
{workloads}"""

H = "job_id,user,gpu_num,cpu_num,state,submit_time,start_time,end_time\n"
OK = "1,u1,1,4,COMPLETED,2020-06-09 18:41:01,2020-06-09 18:41:01,2020-06-09 18:51:01\n"


def scenario(
    tmp_path: Path, trace: bytes | None = None, *, requests: bytes | None = None, nodes: bytes | None = None
) -> Path:
    workloads = []
    if trace is not None:
        (tmp_path / "log.csv").write_bytes(trace)
        workloads.append("  - {type: trace, tenant: lab, format: helios, file: log.csv}")
    if requests is not None:
        (tmp_path / "req.csv").write_bytes(requests)
        workloads.append("  - {type: inference, tenant: lab, gpus: 8, requests: {file: req.csv, format: burstgpt}}")
    gpus = "{H100: 64}"
    if nodes is not None:
        (tmp_path / "nodes.csv").write_bytes(nodes)
        gpus = "{file: nodes.csv, format: alibaba_openb, models: {V100M32: H100}}"
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.format(gpus=gpus, workloads="\n".join(workloads) + "\n"))
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def both_fail(tmp_path: Path, path: Path, *expected: str) -> None:
    """validate and simulate: exit 2, no traceback, every ``expected`` text in the message."""
    for args in (["validate", str(path)], ["simulate", str(path), "--out", str(tmp_path / "run"), "--no-report"]):
        res = invoke(*args)
        out = res.output
        assert res.exit_code == EXIT_INPUT, (args[0], out)
        assert "Traceback" not in out and "internal error" not in out, out
        for text in expected:
            assert text in out, (args[0], text, out)
        assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # truncated line (a row cut short)
        (H.encode() + OK.encode() + b"2,u1,1,4,COMPLETED,2020-06-09\n", "line 3: expected 8 fields as in the header"),
        # a number that is not one
        (H.encode() + b"1,u1,one,4,COMPLETED,2020-06-09 18:41:01,2020-06-09 18:41:01,2020-06-09 18:51:01\n",
         "line 2, column gpu_num: expected a number, found 'one'"),
        # a time that is not one
        (H.encode() + b"1,u1,1,4,COMPLETED,yesterday,2020-06-09 18:41:01,2020-06-09 18:51:01\n",
         "line 2, column submit_time: expected a date and time"),
        # a missing column
        (b"job_id,user,gpu_num,state,submit_time,start_time,end_time\n1,u,1,COMPLETED,2020-06-09 18:41:01,,\n",
         "line 1: missing column cpu_num"),
        # empty file
        (b"", "empty file: expected a header line"),
        # header only
        (H.encode(), "no data rows: the file holds a header line only"),
        # negative and huge values
        (H.encode() + OK.replace(",1,4,", ",-2,4,").encode(),
         "line 2, column gpu_num: expected a whole number of GPUs from 0 to 1,000,000, found -2"),
        (H.encode() + OK.replace(",1,4,", ",1e9,4,").encode(),
         "line 2, column gpu_num: expected a whole number of GPUs from 0 to 1,000,000, found 1e+09"),
        (H.encode() + OK.replace(",1,4,", ",1,-4,").encode(),
         "line 2, column cpu_num: expected a number of CPU (cores) from 0"),
        # an end before its start
        (H.encode() + b"1,u1,1,4,COMPLETED,2020-06-09 18:41:01,2020-06-09 18:51:01,2020-06-09 18:41:01\n",
         "line 2, column end_time: ends 600 s before it starts"),
        # duplicate ids
        (H.encode() + OK.encode() + OK.encode(), "line 3, column job_id: id '1' repeats line 2; ids must be unique"),
        # an unknown status
        (H.encode() + OK.replace("COMPLETED", "EXPLODED").encode(), "line 2, column state: unknown status 'EXPLODED'"),
        # not UTF-8
        (H.encode() + OK.replace("u1", "u\xe9").encode("latin-1"), "line 2, character 4: byte 0xe9 is not UTF-8"),
    ],
    ids=["truncated", "bad-number", "bad-time", "missing-column", "empty", "header-only", "negative", "huge",
         "negative-cpu", "end-before-start", "duplicate-id", "unknown-status", "not-utf8"],
)  # fmt: skip
def test_malformed_job_traces_fail_validate_and_simulate(tmp_path: Path, content: bytes, expected: str) -> None:
    both_fail(tmp_path, scenario(tmp_path, content), "log.csv", expected)


def test_message_names_the_scenario_field_and_the_file(tmp_path: Path) -> None:
    path = scenario(tmp_path, H.encode())
    res = invoke("validate", str(path))
    assert "workloads[0].file" in res.output and str(tmp_path / "log.csv") in res.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Timestamp,Model,Request tokens,Response tokens\n5,ChatGPT,12\n", "line 2: expected 4 fields"),
        (b"Timestamp,Model,Request tokens,Response tokens\n5,ChatGPT,-12,4\n",
         "line 2, column Request tokens: expected a whole number of tokens"),
        (b"Timestamp,Model,Request tokens\n5,ChatGPT,12\n", "line 1: missing column Response tokens"),
        (b"Timestamp,Model,Request tokens,Response tokens\n5,ChatGPT,12,0\n", "no requests left after dropping"),
    ],
    ids=["truncated", "negative", "missing-column", "all-failed"],
)  # fmt: skip
def test_malformed_request_traces_fail(tmp_path: Path, content: bytes, expected: str) -> None:
    both_fail(tmp_path, scenario(tmp_path, requests=content), "req.csv", expected)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,2.5,V100M32\n",
         "line 2, column gpu: expected a whole number of GPUs"),
        (b"sn,cpu_milli,memory_mib,gpu\nn0,64000,262144,2\n", "line 1: missing column model"),
        (b"sn,cpu_milli,memory_mib,gpu,model\n", "no data rows"),
        (b"sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,0,\n", "no node with GPUs among 1 rows"),
        (b"sn,cpu_milli,memory_mib,gpu,model\nn0,64000,262144,8,V100M32\nn1,64000\n", "line 3: expected 5 fields"),
    ],
    ids=["fractional-gpus", "missing-column", "header-only", "no-gpus", "truncated"],
)  # fmt: skip
def test_malformed_node_lists_fail(tmp_path: Path, content: bytes, expected: str) -> None:
    both_fail(tmp_path, scenario(tmp_path, nodes=content), "nodes.csv", expected)


def test_unsorted_rows_and_dropped_rows_are_reported_not_silent(tmp_path: Path) -> None:
    late = "2,u2,2,8,FAILED,2020-06-09 19:41:01,2020-06-09 19:41:01,2020-06-09 19:51:01\n"
    cpu = "3,u2,0,8,COMPLETED,2020-06-09 18:00:00,2020-06-09 18:00:00,2020-06-09 18:10:00\n"
    (tmp_path / "log.csv").write_text(H + late + OK + cpu)
    res = invoke("trace", "inspect", str(tmp_path / "log.csv"))
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "helios job trace" in out
    assert "rows read │ 3" in out and "jobs │ 2" in out
    assert "no GPUs (CPU-only): 1" in out
    assert "rows out of submit order: sorted: 1" in out
    assert "completed: 1; failed: 1" in out
    # and the scenario replays the two GPU jobs in submit order
    path = scenario(tmp_path, (H + late + OK + cpu).encode())
    res = invoke("validate", str(path))
    assert res.exit_code == 0, res.output
    note = "workloads[0]: log.csv (helios): 3 rows, 2 jobs, 2 replayed; dropped no GPUs (CPU-only): 1; adjusted rows "
    assert note + "out of submit order: sorted: 1" in " ".join(res.output.split())
    from orbitgrid.scenario import load_scenario

    w = load_scenario(path).workloads[0]
    assert w.table.job_id.tolist() == ["1", "2"] and w.table.submit_s.tolist() == [0.0, 3600.0]
    assert w.report()["dropped"] == {"no GPUs (CPU-only)": 1}


def test_inspect_errors_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    res = invoke("trace", "inspect", str(tmp_path / "x.csv"))
    assert res.exit_code == EXIT_INPUT and "no preset matches the columns a, b" in res.output
    res = invoke("trace", "inspect", str(tmp_path / "missing.csv"))
    assert res.exit_code == EXIT_INPUT and "missing.csv: file not found" in res.output
    res = invoke("trace", "inspect", str(tmp_path))  # a folder was reported as "file not found"
    assert res.exit_code == EXIT_INPUT and "is a directory, not a file" in " ".join(res.output.split())
    res = invoke("trace", "inspect", str(tmp_path / "x.csv"), "--preset", "nope")
    assert res.exit_code == EXIT_INPUT and "unknown job preset 'nope'" in res.output


def test_presets_are_listed() -> None:
    res = invoke("trace", "presets")
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    for name in ("alibaba_openb", "alibaba_pai_2020", "philly", "helios", "acme", "azure_code_2023", "burstgpt",
                 "mooncake", "alibaba_spot_v2026"):  # fmt: skip
        assert name in out


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_inspect_recognises_a_preset_behind_a_byte_order_mark(tmp_path: Path, line_end: str) -> None:
    # Spreadsheet exports start with a UTF-8 byte-order mark: it is not part of the first column's name.
    (tmp_path / "log.csv").write_bytes(("\ufeff" + H + OK).replace("\n", line_end).encode())
    res = invoke("trace", "inspect", str(tmp_path / "log.csv"))
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "helios job trace" in out and "rows read │ 1" in out


def test_inspect_names_an_empty_file_and_a_header_split_by_another_delimiter(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    res = invoke("trace", "inspect", str(tmp_path / "empty.csv"))
    assert res.exit_code == EXIT_INPUT and "empty.csv: empty file: no header line" in res.output
    (tmp_path / "semi.csv").write_text((H + OK).replace(",", ";"))
    res = invoke("trace", "inspect", str(tmp_path / "semi.csv"))
    out = " ".join(res.output.split())
    assert res.exit_code == EXIT_INPUT and "split by ';': orbitgrid reads comma-separated files" in out


@pytest.mark.parametrize("kind", ["tar.gz", "zip"])
def test_an_archive_is_named_with_its_members_not_read_as_csv(tmp_path: Path, kind: str) -> None:
    # Alibaba ships its PAI 2020 tables as .tar.gz: reading the archive's bytes as CSV would give garbage columns.
    import tarfile
    import zipfile

    member = tmp_path / "cluster_log.csv"
    member.write_text(H + OK)
    archive = tmp_path / f"log.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            z.write(member, "cluster_log.csv")
    else:
        with tarfile.open(archive, "w:gz") as t:
            t.add(member, "cluster_log.csv")
    res = invoke("trace", "inspect", str(archive))
    out = " ".join(res.output.split())
    assert res.exit_code == EXIT_INPUT, res.output
    assert f"a {kind[:3]} archive holding cluster_log.csv" in out and "extract it first" in out
    (tmp_path / "log.csv").unlink(missing_ok=True)
    path = scenario(tmp_path, archive.read_bytes())  # the scenario reads it as log.csv: the content decides
    both_fail(tmp_path, path, "log.csv", f"a {kind[:3]} archive holding cluster_log.csv")
