"""`orbitgrid simulate` prints a Network table from summary.json's network block; without `network:` it does not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.scenario import builtin_scenario_text

runner = CliRunner()


def _short_default(tmp_path: Path, network: bool) -> Path:
    data = yaml.safe_load(builtin_scenario_text("default"))
    data["duration"] = "1h"
    if not network:
        del data["network"]
    path = tmp_path / ("with.yaml" if network else "without.yaml")
    path.write_text(yaml.safe_dump(data))
    return path


def _row(output: str, label: str) -> str:
    line = next(x for x in output.splitlines() if label in x)
    return line.split(label, 1)[1].strip(" │|")


def test_simulate_prints_the_network_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["simulate", str(_short_default(tmp_path, True)), "--out", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    net = json.loads((out / "summary.json").read_text())["network"]
    assert "Network" in res.output
    assert _row(res.output, "link step, gateways") == f"600 s, {net['gateways']:,}"
    assert _row(res.output, "reachable node-steps %") == f"{100 * net['reachable_fraction']:.2f}"
    lat = net["latency_to_ground_s"]
    assert _row(res.output, "to ground p50 / p99 ms") == f"{1e3 * lat['p50']:.2f} / {1e3 * lat['p99']:.2f}"
    assert _row(res.output, "to user memphis p50 / p99 ms").startswith(
        f"{1e3 * net['latency_to_users_s']['memphis']['p50']:.2f} / "
    )
    assert _row(res.output, "contacts (passes), hours").startswith(f"{net['contacts']:,}, ")
    flows = re.fullmatch(r"([\d,]+) \(([\d,]+)\)", _row(res.output, "flows (simulated)"))
    assert flows is not None and int(flows[1].replace(",", "")) == net["flows"]
    for name in ("links.parquet", "latency.parquet", "contacts.parquet", "flows.parquet"):
        assert name in res.output and (out / name).is_file()


def test_without_a_network_section_there_is_no_network_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    path = _short_default(tmp_path, False)
    data = yaml.safe_load(path.read_text())
    data["workloads"], data["tenants"] = [], []
    path.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["simulate", str(path), "--out", str(out), "--no-report"])
    assert res.exit_code == 0, res.output
    assert "Network" not in res.output
    assert "network" not in json.loads((out / "summary.json").read_text())
    assert not (out / "links.parquet").exists() and not (out / "contacts.parquet").exists()
