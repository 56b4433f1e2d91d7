"""``orbitgrid conjunctions``: the parquet and JSON outputs, the summary table and bad input (exit 2, one message)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from orbitgrid.cli import app

SLICE = Path(__file__).resolve().parents[1] / "data" / "tle_starlink" / "starlink_20260224_1413Z_slice.tle"


def _dense(tmp_path: Path) -> Path:
    """Two Walker shells 500 m apart in altitude, crossing inclinations: conjunctions within minutes."""
    text = """schema_version: 1
name: crossing
epoch: 2026-02-24T14:00:00Z
duration: 1h
step: 60s
seed: 1
fleet:
  shells:
    - name: low
      orbit: {type: walker_delta, altitude_km: 550.0, inclination_deg: 53.0, total: 400, planes: 20, phasing: 1}
      design: starlink-v2-mini-compute
    - name: high
      orbit: {type: walker_delta, altitude_km: 550.5, inclination_deg: 70.0, total: 400, planes: 20, phasing: 3}
      design: starlink-v2-mini-compute
"""
    p = tmp_path / "crossing.yaml"
    p.write_text(text)
    return p


def test_outputs_and_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = CliRunner().invoke(
        app,
        [
            "conjunctions",
            str(_dense(tmp_path)),
            "--duration",
            "20min",
            "--threshold-km",
            "3",
            "--threshold-km",
            "high=4",
            "--catalogue",
            str(SLICE),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "min separation within low" in res.output
    assert "CA manoeuvres/day" in res.output
    doc = json.loads((out / "conjunctions.json").read_text())
    table = pq.read_table(out / "conjunctions.parquet").to_pydict()
    assert doc["conjunctions"] == len(table["tca_s"]) > 0
    assert doc["thresholds_m"] == {"low": 3000.0, "high": 4000.0, "catalogue": 3000.0}
    for a, b, miss in zip(table["shell_a"], table["shell_b"], table["miss_m"], strict=True):
        assert miss <= (4000.0 if "high" in (a, b) else 3000.0)
        assert not (a == b == "catalogue")
    assert set(table) >= {"object_a", "object_b", "tca_utc", "tca_s", "miss_m", "rel_speed_m_s"}
    cross = next(r for r in doc["min_separation"] if {r["shell_a"], r["shell_b"]} == {"low", "high"})
    rows = zip(table["shell_a"], table["shell_b"], table["miss_m"], strict=True)
    assert cross["min_separation_m"] == min(m for a, b, m in rows if {a, b} == {"low", "high"})


def test_bad_input_exits_2(tmp_path: Path) -> None:
    sc = str(_dense(tmp_path))
    bad_tle = tmp_path / "bad.tle"
    bad_tle.write_text("1 25544U 98067A   not a tle\n")
    for args, message in [
        (["--threshold-km", "nowhere=3"], "not a shell"),
        (["--threshold-km", "-1"], "not in (0, 1000]"),
        (["--threshold-km", "x=abc"], "expected KM or SHELL=KM"),
        (["--duration", "banana"], "--duration"),
        (["--duration", "1h", "--step", "1e-9"], "more than 10,000,000: give a step of at least"),
        (["--catalogue", str(bad_tle)], "bad.tle"),
    ]:
        res = CliRunner().invoke(app, ["conjunctions", sc, "--out", str(tmp_path / "o"), *args])
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output, (args, res.output)
        assert "Traceback" not in res.output


def test_parquet_written_in_row_groups_holds_every_conjunction(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``conjunctions.parquet`` is written a row group at a time (a million-satellite day has ~74 M rows): the rows,
    in order, are the study's columns."""
    import numpy as np
    import pyarrow as pa

    from orbitgrid.pipeline import conjunctions as pc
    from orbitgrid.results.run import RunWriter
    from orbitgrid.scenario import load_scenario

    study = pc.screen_scenario(load_scenario(str(_dense(tmp_path))), duration_s=900.0, step_s=20.0)
    assert len(study.result) > 14  # three row groups at least
    monkeypatch.setattr(pc, "PARQUET_ROWS", 7)
    writer = RunWriter.in_memory()
    study.write(writer)
    data = pa.BufferReader(writer.files()["conjunctions.parquet"])
    assert pq.ParquetFile(data).num_row_groups == -(-len(study.result) // 7)
    table = pq.read_table(pa.BufferReader(writer.files()["conjunctions.parquet"]))
    ref = study.columns()
    assert table.num_rows == len(study.result)
    for name in ("object_a", "object_b", "shell_a", "shell_b"):
        assert table.column(name).to_pylist() == ref[name].tolist()
    for name in ("tca_s", "miss_m", "rel_speed_m_s"):
        assert np.array_equal(table.column(name).to_numpy(), ref[name])
