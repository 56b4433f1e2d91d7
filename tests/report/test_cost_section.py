"""Every simulate run with an orbital fleet prices itself (cost.json with the uncertainty block; a run with
workloads from its simulated GPU-hours: tests/cli/test_cost_cli.py) and its report's "Cost: orbit vs ground"
section draws cost.json's numbers: the waterfalls add each line's levelized share up to the $ per GPU-hour, the
tornado bars are the tornado rows, the histograms are the Monte Carlo draws, and the tables show the statistics and
the break-even rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pages import figures, parse, section, table_rows, values
from synthetic_tables import copy_run

from orbitgrid.api import SIMULATE_MONTE_CARLO_DRAWS
from orbitgrid.report.html import render_report


def _doc(run: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((run / "cost.json").read_text(encoding="utf-8"))
    return doc


def test_simulate_writes_cost_json_with_its_uncertainty(default_run: Path) -> None:
    doc = _doc(default_run)
    # a capacity-only run (no workloads) has no delivered GPU-hours to use: the nominal ones, and it says so
    assert doc["orbit"]["gpu_hours_source"] == "nominal"
    unc = doc["uncertainty"]
    manifest = json.loads((default_run / "manifest.json").read_text(encoding="utf-8"))
    assert unc["seed"] == manifest["seed"] and unc["monte_carlo"]["n"] == SIMULATE_MONTE_CARLO_DRAWS
    assert len(unc["monte_carlo"]["draws"]["ratio_orbit_to_ground"]) == SIMULATE_MONTE_CARLO_DRAWS
    assert set(unc["parameters"]) == set(manifest["scenario"]["economics"]["uncertainty"]["parameters"])


def test_the_section_draws_cost_json(default_run: Path) -> None:
    doc = _doc(default_run)
    unc = doc["uncertainty"]
    mc = unc["monte_carlo"]
    html = section((default_run / "report.html").read_text(encoding="utf-8"), "cost")
    for text in (
        f'<div class="v">{doc["orbit"]["usd_per_gpu_hour"]:,.3f}</div>',
        f'<div class="v">{doc["ground"]["usd_per_gpu_hour"]:,.3f}</div>',
        f'<div class="v">{doc["ratio_orbit_to_ground"]:.3f}</div>',
        f"{mc['ratio_orbit_to_ground']['mean']:.3f} ± {mc['ratio_orbit_to_ground']['std_error']:.3f}",
    ):
        assert text in html
    waterfall, tornado, histogram = figures(html)
    # waterfalls: PV(line) / PV(total) x $/GPU-h per line, adding up to the side's $/GPU-h, orbit beside ground
    for trace, side in zip(waterfall["data"], (doc["orbit"], doc["ground"]), strict=True):
        steps = values(trace["y"])[:-1]
        assert steps.sum() == pytest.approx(side["usd_per_gpu_hour"], rel=1e-9)
        assert values(trace["y"])[-1] == side["usd_per_gpu_hour"] and trace["measure"][-1] == "total"
        for name, y in zip(trace["x"][:-1], steps, strict=True):
            assert y == pytest.approx(side["pv_usd_by_line"][name] / side["pv_usd"] * side["usd_per_gpu_hour"])
    assert [t["xaxis"] for t in waterfall["data"]] == ["x", "x2"]
    # tornado: one bar per row at p10 and at p90, largest swing on top
    rows = unc["tornado"]["rows"]
    low, high = tornado["data"]
    assert list(reversed(low["y"])) == [r["parameter"] for r in rows]
    base = unc["tornado"]["base"]
    assert list(values(low["x"]) + base) == pytest.approx([r["output_at_low"] for r in reversed(rows)])
    assert list(values(high["x"]) + base) == pytest.approx([r["output_at_high"] for r in reversed(rows)])
    # Monte Carlo: the draws themselves
    for trace, key in zip(histogram["data"], ("orbit_usd_per_gpu_hour", "ground_usd_per_gpu_hour"), strict=True):
        assert list(values(trace["x"])) == mc["draws"][key]
    assert f"P(orbit cheaper) = {mc['p_orbit_cheaper']:.3f}" in histogram["layout"]["title"]["text"]
    tables = table_rows(html)
    stats = {r[0]: r[1:] for r in tables if r[0] in ("orbit $/GPU-h", "ground $/GPU-h", "orbit / ground")}
    m = mc["orbit_usd_per_gpu_hour"]
    assert stats["orbit $/GPU-h"] == [
        f"{m['mean']:.3f} ± {m['std_error']:.3f}",
        *(f"{m[q]:.3f}" for q in ("p5", "p50", "p95")),
    ]
    be = {r[0]: r for r in tables if r[0] in {b["parameter"] for b in unc["break_even"]} and len(r) == 5}
    assert len(be) == len(unc["break_even"])
    for b in unc["break_even"]:
        shown = be[b["parameter"]][2]
        assert shown == (f"{b['value']:,.6g}" if b["value"] is not None else f"none: {b['status']}")
        gap = b["gap_usd_per_gpu_hour_at_ends"]
        assert be[b["parameter"]][4] == f"{gap[0]:+,.4g} / {gap[1]:+,.4g}"


def test_a_run_without_cost_json_omits_the_section(default_run: Path, tmp_path: Path) -> None:
    run = copy_run(default_run, tmp_path / "run")
    (run / "cost.json").unlink()
    page = parse(render_report(run))
    assert "cost" not in page.sections and "no cost.json" in page.omitted["cost"]
