"""The report's rough edges (issue 14 item 5) stay fixed: axes sized to the data, ratios labelled as ratios, counts
that count, small nodes visible beside large ones, coastlines drawn from the package, ground tracks with the
gateways' coverage, the lifetime table, and the comparison of two runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pages import figures, parse, section, table_rows, values
from synthetic_tables import copy_run
from typer.testing import CliRunner

from orbitgrid.astro.coastlines import LAND_110M, coastline_path, land_rings
from orbitgrid.cli import app
from orbitgrid.network.geometry import WGS84_MEAN_RADIUS_M, great_circle_distance_m
from orbitgrid.pipeline.lifetime import LIFETIME_FILE, lifetime_document
from orbitgrid.report.cost import WATERFALL_LABEL_SHARE
from orbitgrid.report.html import COAST_META, WAIT_AXIS_MARGIN, render_report

runner = CliRunner()


def test_the_coastlines_are_one_shipped_file() -> None:
    rings = land_rings()
    assert len(rings) > 100 and all(r.shape[1] == 2 and len(r) >= 4 for r in rings)
    lon = np.concatenate([r[:, 0] for r in rings])
    lat = np.concatenate([r[:, 1] for r in rings])
    assert lon.min() >= -180 and lon.max() <= 180 and lat.min() >= -90 and lat.max() <= 84
    x, _ = coastline_path()
    ok = np.isfinite(x[:-1]) & np.isfinite(x[1:])
    assert np.all(np.abs(np.diff(x)[ok]) <= 180)  # no segment drawn across the map
    # the dashboard serves this file, not a copy of it
    assert not list((Path(__file__).parents[2] / "src/orbitgrid/service/web").glob("*.json"))
    assert LAND_110M.name == "land-110m.json" and LAND_110M.parent.name == "data"


def test_maps_draw_the_coastlines_from_the_page(default_run: Path) -> None:
    html = (default_run / "report.html").read_text(encoding="utf-8")
    assert html.count("var OG_COAST=") == 1  # once per page, however many maps
    for key in ("links", "ground-tracks"):
        coast = [t for f in figures(section(html, key)) for t in f["data"] if t.get("meta") == COAST_META]
        assert coast, key
    assert "geo" not in {t["type"] for f in figures(html) for t in f["data"] if "type" in t}


def test_gateway_passes_are_counted_from_the_contact_windows(default_run: Path) -> None:
    html = (default_run / "report.html").read_text(encoding="utf-8")
    c = pq.read_table(default_run / "contacts.parquet", columns=["station"]).column("station").to_pylist()
    rows = [r for r in table_rows(section(html, "links")) if len(r) == 4]
    assert len(rows) == 10
    for name, passes, _hours, _tb in rows:
        assert passes == f"{c.count(name):,}" and passes != "–"


def test_the_wait_axis_ends_near_the_p99_and_says_what_runs_past(full_run: Path, tmp_path: Path) -> None:
    run = copy_run(full_run, tmp_path / "run")
    n = 1_000
    wait = np.r_[np.linspace(0.0, 60.0, n - 3), [40_000.0, 44_000.0, 45_000.0]]
    pq.write_table(
        pa.table({"tenant": ["a"] * n, "start_s": np.arange(n, dtype=float), "wait_s": wait}), run / "jobs.parquet"
    )
    html = render_report(run)
    cdf = section(html, "wait-cdf")
    axis = figures(cdf)[0]["layout"]["xaxis"]
    p99 = float(np.quantile(wait, 0.99))
    assert axis["range"][1] == pytest.approx(WAIT_AXIS_MARGIN * p99)  # seconds: the p99 is under 2 minutes
    assert "(s)" in axis["title"]["text"]
    assert "3 waits run past it, the longest 12.5 h" in cdf
    # a run whose longest wait is near its p99 keeps the whole range
    even = np.linspace(0.0, 100.0, n)
    pq.write_table(
        pa.table({"tenant": ["a"] * n, "start_s": np.arange(n, dtype=float), "wait_s": even}), run / "jobs.parquet"
    )
    cdf = section(render_report(run), "wait-cdf")
    assert figures(cdf)[0]["layout"]["xaxis"]["range"][1] == pytest.approx(100.0)
    assert "run past it" not in cdf


def test_cost_charts_label_ratios_as_ratios_and_waterfall_slivers_without_text(default_run: Path) -> None:
    doc = json.loads((default_run / "cost.json").read_text(encoding="utf-8"))
    waterfall, tornado, _hist = figures(section((default_run / "report.html").read_text(encoding="utf-8"), "cost"))
    title = tornado["layout"]["xaxis"]["title"]["text"]
    assert title.startswith("orbit / ground: ratio") and "$ per GPU-hour," not in title
    for trace, side in zip(waterfall["data"], (doc["orbit"], doc["ground"]), strict=True):
        total = side["usd_per_gpu_hour"]
        for y, text in zip(values(trace["y"]), trace["text"], strict=True):
            assert (text == "") == (abs(y) < WATERFALL_LABEL_SHARE * abs(total))
    # one side per row, each across the page
    assert [t["xaxis"] for t in waterfall["data"]] == ["x", "x2"]
    assert waterfall["layout"]["xaxis"]["domain"] == waterfall["layout"]["xaxis2"]["domain"]


def test_small_satellites_share_the_axis_with_large_clusters(default_run: Path) -> None:
    html = (default_run / "report.html").read_text(encoding="utf-8")
    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    fig = figures(section(html, "samples"))[0]
    usable = [t for t in fig["data"] if t["yaxis"] == "y4"]
    smp = pq.read_table(default_run / "samples.parquet").to_pydict()
    for t in usable:
        sat = t["name"].split(" (")[0]
        shell = next(s for s, n in zip(smp["shell"], smp["satellite"], strict=True) if n == sat)
        per_node = summary["capacity"]["shells"][shell]["gpus"] / summary["shells"][shell]["tracks"]
        assert f"{per_node:,.0f} GPUs" in t["name"]
        raw = np.array([u for u, n in zip(smp["usable_gpus"], smp["satellite"], strict=True) if n == sat])
        np.testing.assert_allclose(values(t["y"]), raw / per_node, rtol=1e-6)  # a share of its installed GPUs
    assert fig["layout"]["yaxis4"]["range"] == [-0.02, 1.02]
    names = {t["name"] for t in usable}
    assert any("16 GPUs" in n for n in names) and any("6,480 GPUs" in n for n in names)


def test_ground_tracks_and_gateway_coverage(default_run: Path) -> None:
    html = (default_run / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((default_run / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    fig = figures(section(html, "ground-tracks"))[0]
    smp = pq.read_table(default_run / "samples.parquet").to_pydict()
    tracks = [t for t in fig["data"] if t.get("mode") == "lines" and t.get("name") in set(_labels(smp))]
    assert {t["name"] for t in tracks} == set(_labels(smp))
    for t in tracks:
        x = values(t["x"]).astype(np.float64)
        ok = np.isfinite(x[:-1]) & np.isfinite(x[1:])
        assert np.all(np.abs(np.diff(x)[ok]) < 180)  # broken at the antimeridian, never drawn across the map
    # each track is drawn through the sample's sub-satellite points: its first orbit at every step, the rest at
    # every other step
    sat = smp["satellite"][0]
    lat = np.array([a for a, n in zip(smp["lat_deg"], smp["satellite"], strict=True) if n == sat], dtype=np.float32)
    drawn = np.concatenate([values(t["y"]) for t in tracks if t["name"].startswith(sat + " ")])
    drawn = drawn[np.isfinite(drawn)]
    assert np.isin(drawn, lat).all() and np.unique(drawn).size >= lat.size // 2
    period_steps = int(summary["shells"][smp["shell"][0]]["nodal_period_s_mean"] // summary["step_s"])
    assert np.isin(lat[:period_steps], drawn).all()
    # every gateway's coverage circle: points at the Earth central angle where the shell's satellites sit at the mask
    gw = summary["network"]["gateway_sites"]
    mask = math.radians(manifest["scenario"]["network"]["elevation_mask_deg"])
    circles = [t for t in fig["data"] if t.get("name", "").startswith("gateway coverage at")]
    assert circles
    for c in circles:
        alt_m = float(c["name"].split(" at ")[1].split(" km")[0].replace(",", "")) * 1e3
        lam = math.acos(WGS84_MEAN_RADIUS_M * math.cos(mask) / (WGS84_MEAN_RADIUS_M + alt_m)) - mask
        x, y = values(c["x"]).astype(np.float64), values(c["y"]).astype(np.float64)
        ok = np.isfinite(x)
        lat0, lon0 = np.radians([v[0] for v in gw.values()]), np.radians([v[1] for v in gw.values()])
        d = great_circle_distance_m(
            np.radians(y[ok])[:, None], np.radians(x[ok])[:, None], lat0[None, :], lon0[None, :], radius_m=1.0
        )
        assert np.all(np.min(np.abs(d - lam), axis=1) < 2e-4)  # each point on a gateway's circle (float32 degrees)
        assert np.all(np.max(np.abs(d - lam) < 2e-4, axis=0))  # and every gateway has its circle
    names = {t.get("name") for t in fig["data"]}
    assert {"gateways", "ground data centres"} <= names


def _labels(smp: dict[str, list]) -> list[str]:
    return list(dict.fromkeys(f"{s} ({h})" for s, h in zip(smp["satellite"], smp["shell"], strict=True)))


def test_the_report_command_adds_the_lifetime_table(default_run: Path, tmp_path: Path) -> None:
    run = copy_run(default_run, tmp_path / "run")
    (run / LIFETIME_FILE).unlink()  # a run written before simulate kept the table: `report` computes it
    res = runner.invoke(app, ["report", str(run)])
    assert res.exit_code == 0, res.output
    doc = json.loads((run / LIFETIME_FILE).read_text(encoding="utf-8"))
    from orbitgrid.api import load_scenario

    expected = lifetime_document(load_scenario("default").model_copy(update={"workloads": [], "tenants": []}))
    assert doc == json.loads(json.dumps(expected))  # what `orbitgrid lifetime` computes, for the run's scenario
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "lifetime" in parse(html).sections
    rows = {r[0]: r for r in table_rows(section(html, "lifetime"))}
    for r in doc["rows"]:
        life = r["lifetime_years"]["mean"]
        assert rows[r["shell"]][4] == (f"{life * 365.25:,.0f} d" if life < 1 else f"{life:,.3g} yr")
        rule = "passive" if r["passive_disposal"] else "deorbit burn" if r["fcc_5yr_compliant"] else "NOT MET"
        assert rows[r["shell"]][-1] == rule
    bars = figures(section(html, "lifetime"))[0]
    assert bars["layout"]["yaxis"]["type"] == "log" and len(bars["data"]) == 3
    assert bars["layout"]["yaxis"]["dtick"] == 1  # one label per decade (2-9 labels overlap on a short range)
    # cached: a second report reuses the file
    mtime = (run / LIFETIME_FILE).stat().st_mtime_ns
    assert runner.invoke(app, ["report", str(run)]).exit_code == 0
    assert (run / LIFETIME_FILE).stat().st_mtime_ns == mtime


def test_report_a_b_compares_two_runs(default_run: Path, full_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp.html"
    res = runner.invoke(app, ["report", str(default_run), str(full_run), "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    page = parse(html)
    assert page.external == []
    assert {"headline", "fleet", "eclipses", "latency", "monte-carlo", "wait-cdf"} == set(page.sections)
    rows = {r[0]: r for r in table_rows(section(html, "headline"))}
    a = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    b = json.loads((full_run / "summary.json").read_text(encoding="utf-8"))
    assert rows["satellites"][1:] == [f"{a['fleet']['satellites']:,}", f"{b['fleet']['satellites']:,}", "0", "1×"]
    assert rows["jobs submitted"][1] == "–" and rows["jobs submitted"][2] == f"{b['jobs']['submitted']:,}"
    # overlays: both runs where both have the table, only B's jobs; each named A: / B:
    for key in ("fleet", "eclipses", "latency", "monte-carlo"):
        names = [t["name"] for t in figures(section(html, key))[0]["data"]]
        assert len(names) == 2 and names[0].startswith("A: ") and names[1].startswith("B: "), key
    wait = section(html, "wait-cdf")
    assert [t["name"][:3] for t in figures(wait)[0]["data"]] == ["B: "]
    assert figures(wait)[0]["layout"]["showlegend"] is True and "not drawn, this run has no jobs.parquet" in wait
    # the usable-GPU line of each run is its timeseries summed over groups
    ts = pq.read_table(default_run / "timeseries.parquet").to_pydict()
    first = figures(section(html, "fleet"))[0]["data"][0]
    t0 = min(ts["t_s"])
    assert values(first["y"])[0] == pytest.approx(
        sum(u for t, u in zip(ts["t_s"], ts["usable_accelerators"], strict=True) if t == t0), rel=1e-6
    )


def test_report_takes_one_or_two_runs(default_run: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["report", str(default_run), str(default_run), str(default_run)])
    assert res.exit_code == 2 and "one run directory, or two to compare" in " ".join(res.output.split())
    res = runner.invoke(app, ["report", str(default_run), str(tmp_path), "--out", str(tmp_path / "x.html")])
    assert res.exit_code == 2 and not (tmp_path / "x.html").exists()
