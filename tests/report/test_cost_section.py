"""Every simulate run with an orbital fleet prices itself (cost.json from its simulated GPU-hours) and its report
shows the orbit-vs-ground cost section with the same numbers."""

from __future__ import annotations

import json
from pathlib import Path


def test_simulate_writes_cost_json_and_the_report_shows_it(default_run: Path) -> None:
    doc = json.loads((default_run / "cost.json").read_text(encoding="utf-8"))
    # a capacity-only run (no workloads) has no delivered GPU-hours to use: the nominal ones, and it says so
    assert doc["orbit"]["gpu_hours_source"] == "nominal"
    mc = doc["uncertainty"]["monte_carlo"]
    assert mc["n"] == 1000 and len(mc["draws"]["ratio_orbit_to_ground"]) == 1000
    html = (default_run / "report.html").read_text(encoding="utf-8")
    start = html.index('<section id="cost">')
    section = html[start : html.index("</section>", start)]
    assert f"{doc['orbit']['usd_per_gpu_hour']:,.3f}" in section
    assert f"{doc['ground']['usd_per_gpu_hour']:,.3f}" in section
    assert f"{doc['ratio_orbit_to_ground']:.3f}" in section
    assert section.count('class="plot"') == 3  # cost lines, tornado, Monte Carlo
    for row in doc["uncertainty"]["break_even"]:
        assert row["parameter"] in section


def test_a_run_with_workloads_is_priced_from_its_simulated_gpu_hours(scheduled_run: Path) -> None:
    doc = json.loads((scheduled_run / "cost.json").read_text(encoding="utf-8"))
    summary = json.loads((scheduled_run / "summary.json").read_text(encoding="utf-8"))
    assert doc["orbit"]["gpu_hours_source"] == "simulated"
    assert summary["gpu_hours"]["delivered"] > 0
