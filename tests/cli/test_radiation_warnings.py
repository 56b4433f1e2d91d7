"""An element set flying above the trapped-radiation table: ``simulate`` prints the approximation and records it in
``summary.json`` and ``manifest.json``; a designed shell there is refused at validation (exit 2, field named)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from orbitgrid.astro.elements import tle_checksum
from orbitgrid.cli import app

# STARLINK-1007 (tests/data/tle_starlink/starlink_20230718_first10.tle) raised to 10.5 rev/day: a ~2,440 km orbit.
LINE1 = "1 44713U 19074A   23198.31707558  .00000000  00000+0  00000-0 0  999"
LINE2 = "2 44713  53.0547 204.8335 0000977  90.1304 269.9797 10.5000000020326"


def _scenario(folder: Path, orbit: dict) -> Path:
    data = {
        "schema_version": 1,
        "name": "high",
        "epoch": "2023-07-18T08:00:00Z",
        "duration": "1h",
        "step": "60s",
        "fleet": {"shells": [{"name": "high", "orbit": orbit, "design": "compute-sat"}]},
    }
    path = folder / "high.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_element_set_above_the_table_is_printed_and_recorded(tmp_path: Path) -> None:
    tle = tmp_path / "high.tle"
    tle.write_text(
        "HIGH\n" + LINE1 + str(tle_checksum(LINE1)) + "\n" + LINE2 + str(tle_checksum(LINE2)) + "\n", encoding="utf-8"
    )
    path = _scenario(tmp_path, {"type": "elements", "file": str(tle)})
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["simulate", str(path), "--out", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())
    assert "warning: shell 'high': 100.0 % of the sampled track points are above 2150 km" in err
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert summary["approximations"] == manifest["approximations"]
    assert len(summary["approximations"]) == 1 and "held at the 2150 km level" in summary["approximations"][0]
    # no drag lifetime outside the atmosphere model: the run's lifetime table names the shell and why
    skipped = json.loads((out / "lifetime.json").read_text())["skipped"]
    assert list(skipped) == ["high"] and "outside the atmosphere model's 100-2,100 km profile" in skipped["high"]
    res = CliRunner().invoke(app, ["lifetime", str(path)])
    assert res.exit_code == 2 and "outside the atmosphere model" in " ".join(res.output.split())


def test_designed_shell_above_the_table_exits_2_naming_the_field(tmp_path: Path) -> None:
    orbit = {"type": "walker_delta", "altitude_km": 2400, "inclination_deg": 53, "total": 4, "planes": 2}
    res = CliRunner().invoke(app, ["validate", str(_scenario(tmp_path, orbit))])
    assert res.exit_code == 2
    assert "fleet.shells[0].orbit.altitude_km: must be at most 2100 km" in " ".join(res.output.split())
