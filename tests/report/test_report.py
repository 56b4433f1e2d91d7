"""report.html: every section present when its data exists, omitted with a note when not, self-contained and fast."""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pages import figures, parse, section, table_rows, values
from plotly.offline import get_plotlyjs
from synthetic_tables import N_JOBS, add_scheduler_tables, copy_run

from orbitgrid.report import REPORT_NAME, SECTIONS, render_report, write_report
from orbitgrid.report.html import GANTT_MAX_BARS, GANTT_NODES, MAX_POINTS

KEYS = [k for k, _, _ in SECTIONS]
#: Sections a run without the scheduler can fill from summary.json, timeseries.parquet and eclipses.parquet (and,
#: with the default scenario's network: section, links, latency and contacts tables).
WITHOUT_SCHEDULER = {
    "headline",
    "capacity",
    "fleet",
    "eclipses",
    "samples",
    "ground-tracks",
    "links",
    "cost",
    "lifetime",
}


def _read(path: Path) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in pq.read_table(path).to_pydict().items()}


def test_simulate_writes_a_report_of_what_the_run_has(default_run: Path) -> None:
    html = (default_run / REPORT_NAME).read_text(encoding="utf-8")
    page = parse(html)
    assert set(page.sections) == WITHOUT_SCHEDULER
    assert set(page.omitted) == set(KEYS) - WITHOUT_SCHEDULER
    assert "placements.parquet" in page.omitted["gantt"]
    assert "jobs.parquet" in page.omitted["wait-cdf"]
    assert "tenants" in page.omitted["tenants"]
    for key, note in page.omitted.items():
        assert "\n" not in note.strip() and len(note) < 200, key
    assert sorted(page.nav) == sorted(WITHOUT_SCHEDULER)
    # Without utilization.parquet the fleet chart shows installed and usable capacity only, and says so.
    fleet = section(html, "fleet")
    assert "Busy GPUs appear when the run has utilization.parquet" in fleet
    names = {t["name"] for f in figures(fleet) for t in f["data"]}
    assert names == {"installed GPUs", "usable GPUs"}
    # Capacity table: one row per shell and site, with the summary's numbers.
    summary = json.loads((default_run / "summary.json").read_text())
    rows = {r[0]: r for r in table_rows(section(html, "capacity"))}
    for shell, c in summary["capacity"]["shells"].items():
        assert rows[shell][3] == f"{c['gpus']:,}"
        assert rows[shell][4] == f"{c['gpu_hours_deliverable']:,.0f}"
    for site, g in summary["capacity"]["ground_sites"].items():
        assert rows[site][1] == "ground" and rows[site][3] == f"{g['accelerators']:,}"
    headline = section(html, "headline")
    assert f"{summary['fleet']['satellites']:,}" in headline
    assert "No scheduler results in summary.json" in headline


def test_the_default_scenario_fills_every_section(scheduled_run: Path) -> None:
    # simulate writes lifetime.json with cost.json, so its own page has the lifetime table too
    page = parse((scheduled_run / REPORT_NAME).read_text(encoding="utf-8"))
    assert set(page.sections) == set(KEYS), page.omitted


def test_fleet_totals_match_the_timeseries(default_run: Path) -> None:
    html = (default_run / REPORT_NAME).read_text(encoding="utf-8")
    fig = figures(section(html, "fleet"))[0]
    ts = _read(default_run / "timeseries.parquet")
    usable = [t for t in fig["data"] if t["name"] == "usable GPUs"]
    whole_fleet = values(usable[0]["y"])  # the first panel sums every group
    steps = np.unique(ts["t_s"])
    expected = np.array([ts["usable_accelerators"][ts["t_s"] == t].sum() for t in steps])
    assert len(whole_fleet) == len(steps) <= MAX_POINTS
    np.testing.assert_allclose(whole_fleet, expected, rtol=1e-6)
    assert len(usable) == 1 + len(np.unique(ts["group"]))  # the total plus one panel per group


def test_full_run_has_every_section(full_report: tuple[str, float]) -> None:
    html, _ = full_report
    page = parse(html)
    assert page.sections == KEYS
    assert page.omitted == {}
    assert page.nav == KEYS
    fleet = section(html, "fleet")
    assert {t["name"] for f in figures(fleet) for t in f["data"]} == {"installed GPUs", "usable GPUs", "busy GPUs"}
    for key in ("fleet", "samples", "gantt", "wait-cdf", "lost-work", "eclipses"):
        assert len(figures(section(html, key))) == 1, key


def test_page_is_self_contained(full_report: tuple[str, float], default_run: Path) -> None:
    for html in (full_report[0], (default_run / REPORT_NAME).read_text(encoding="utf-8")):
        page = parse(html)
        assert page.external == []
        assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
        assert "@import" not in html.split("</style>")[0] and "url(" not in html.split("</style>")[0]
        js = get_plotlyjs()
        assert html.count(js[:300]) == 1  # plotly.js inlined exactly once
        assert sum(n > 1_000_000 for n in page.scripts) == 1  # and no other large script


def test_headline_and_tenants_come_from_the_summary(full_run: Path, full_report: tuple[str, float]) -> None:
    html, _ = full_report
    summary = json.loads((full_run / "summary.json").read_text())
    headline = section(html, "headline")
    assert f'<div class="v">{N_JOBS:,}</div><div class="k">jobs submitted</div>' in headline
    completed = summary["jobs"]["completed"]
    assert f'<div class="v">{completed:,}</div><div class="k">jobs completed</div>' in headline
    goodput = f"{100 * summary['goodput']:.1f} %"
    assert f'<div class="v">{goodput}</div><div class="k">goodput</div>' in headline
    rows = {r[0]: r for r in table_rows(section(html, "tenants"))}
    assert set(rows) == set(summary["tenants"])
    for name, t in summary["tenants"].items():
        assert rows[name][1] == f"{t['gpu_hours_delivered']:,.0f}"
        assert rows[name][6] == f"{t['jobs_completed']:,}"


def test_gantt_draws_the_busiest_nodes_and_samples_many_placements(
    full_run: Path, full_report: tuple[str, float]
) -> None:
    html, _ = full_report
    gantt = section(html, "gantt")
    p = _read(full_run / "placements.parquet")
    busy: dict[str, float] = {}
    for node, s, e, g in zip(p["node"], p["start_s"], p["end_s"], p["gpus"], strict=True):
        busy[node] = busy.get(node, 0.0) + (e - s) * g
    top = sorted(busy, key=lambda n: -busy[n])[:GANTT_NODES]
    on_top = int(np.isin(p["node"], top).sum())
    assert on_top > GANTT_MAX_BARS  # the synthetic workload is big enough to need sampling
    fig = figures(gantt)[0]
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    drawn = sum(len(values(t["base"])) for t in bars)
    assert drawn == GANTT_MAX_BARS
    assert {str(y) for t in bars for y in values(t["y"])} == set(top)
    assert f"Sampled: {on_top:,} placements on these nodes, the {GANTT_MAX_BARS:,} longest are drawn" in gantt
    assert f"The {GANTT_NODES} busiest of {len(busy)} nodes" in gantt


def test_small_gantt_draws_every_placement(default_run: Path, tmp_path: Path) -> None:
    run = copy_run(default_run, tmp_path / "run")
    add_scheduler_tables(run, n_jobs=60, nodes_per_group=3)
    html = write_report(run).read_text(encoding="utf-8")
    gantt = section(html, "gantt")
    n = len(_read(run / "placements.parquet")["node"])
    bars = [t for t in figures(gantt)[0]["data"] if t["type"] == "bar"]
    assert sum(len(values(t["base"])) for t in bars) == n
    assert "Sampled" not in gantt


def test_wait_cdf_per_tenant(full_run: Path, full_report: tuple[str, float]) -> None:
    html, _ = full_report
    jobs = _read(full_run / "jobs.parquet")
    started = np.isfinite(jobs["start_s"])
    traces = figures(section(html, "wait-cdf"))[0]["data"]
    by_name = {t["name"]: t for t in traces}
    assert "all tenants" in by_name
    for tenant in np.unique(jobs["tenant"]):
        n = int((started & (jobs["tenant"] == tenant)).sum())
        assert f"{tenant} ({n:,})" in by_name
    for t in traces:
        y = values(t["y"])
        assert np.all(np.diff(y) >= 0) and y[-1] == pytest.approx(1.0)
    x_all = values(by_name["all tenants"]["x"])
    unit = {"h": 3600.0, "min": 60.0, "s": 1.0}[
        re.search(r"\((h|min|s)\)", figures(section(html, "wait-cdf"))[0]["layout"]["xaxis"]["title"]["text"])[1]
    ]
    assert x_all[-1] * unit == pytest.approx(jobs["wait_s"][started].max(), rel=1e-9)
    assert f"{int((~started).sum()):,} jobs never started" in section(html, "wait-cdf")


def test_lost_work_counts_every_fault_and_interruption(full_run: Path, full_report: tuple[str, float]) -> None:
    html, _ = full_report
    faults = _read(full_run / "faults.parquet")
    placements = _read(full_run / "placements.parquet")
    rows = table_rows(section(html, "lost-work"))
    assert [r[0] for r in rows] == ["orbital", "ground"]

    def total(col: int) -> int:
        return sum(int(r[col].replace(",", "")) for r in rows)

    for col, cause in enumerate(("sdc", "interrupt", "permanent"), start=1):
        assert total(col) == int((faults["cause"] == cause).sum())
    assert total(4) == int((placements["outcome"] == "preempted").sum())
    assert total(5) == int((placements["outcome"] == "capacity").sum())
    fault_h = sum(float(r[6].replace(",", "")) for r in rows)
    assert fault_h == pytest.approx(faults["lost_gpu_s"].sum() / 3600, abs=0.1)


def test_orbit_versus_ground_numbers(full_run: Path, full_report: tuple[str, float]) -> None:
    html, _ = full_report
    rows = {r[0]: r for r in table_rows(section(html, "orbit-vs-ground"))}
    assert set(rows) == {"orbital", "ground"}
    summary = json.loads((full_run / "summary.json").read_text())
    kind = {g: "orbital" for g in summary["capacity"]["shells"]} | {
        g: "ground" for g in summary["capacity"]["ground_sites"]
    }
    p = _read(full_run / "placements.parquet")
    jobs = _read(full_run / "jobs.parquet")
    faults = _read(full_run / "faults.parquet")
    u = _read(full_run / "utilization.parquet")
    days = summary["duration_s"] / 86_400
    for k, row in rows.items():
        in_k = np.array([kind[g] == k for g in p["node_group"]])
        busy_h = float(((p["end_s"] - p["start_s"]) * p["gpus"])[in_k].sum()) / 3600
        assert row[3] == f"{busy_h:,.0f}"
        sel = jobs["node_kind"] == k
        use, lost = jobs["useful_gpu_s"][sel].sum(), jobs["lost_gpu_s"][sel].sum()
        assert row[6] == f"{100 * use / (use + lost):.1f} %"
        assert row[7] == f"{int(sel.sum()):,}"
        uk = u["kind"] == k
        assert row[5] == f"{100 * u['busy_gpus'][uk].sum() / u['installed_gpus'][uk].sum():.1f} %"
        installed = sum(c["gpus"] for c in summary["capacity"]["shells"].values()) if k == "orbital" else 100_000
        n_faults = sum(kind[g] == k for g in faults["node_group"])
        assert row[1] == f"{installed:,}"
        assert row[10] == f"{n_faults / (installed * days):.4f}"


def test_eclipse_section_matches_the_orbit_summary(default_run: Path) -> None:
    html = (default_run / REPORT_NAME).read_text(encoding="utf-8")
    ecl = section(html, "eclipses")
    summary = json.loads((default_run / "summary.json").read_text())
    bars = figures(ecl)[0]["data"][0]
    shadow = dict(zip(values(bars["x"]).tolist(), values(bars["y"]).tolist(), strict=True))
    for name, s in summary["shells"].items():
        assert shadow[name] == pytest.approx(1 - s["sunlit_fraction_mean"])
    hist = [t for t in figures(ecl)[0]["data"][1:]]
    e = _read(default_run / "eclipses.parquet")
    assert sum(values(t["y"]).sum() for t in hist) == pytest.approx(e["satellites"].sum())
    assert "Never in shadow during the run: dawn-dusk-650, suncatcher-clusters." in ecl


@pytest.mark.parametrize(
    ("removed", "omitted", "note"),
    [
        (("jobs",), {"wait-cdf"}, ("orbit-vs-ground", "Not in this run: jobs.parquet")),
        (("placements",), {"gantt"}, ("lost-work", "No placements.parquet")),
        (("samples",), {"samples", "ground-tracks"}, None),
        (("faults",), set(), ("lost-work", "No faults.parquet")),
        (("utilization",), set(), ("fleet", "Busy GPUs appear when the run has utilization.parquet")),
        (("faults", "placements"), {"gantt", "lost-work"}, None),
        (("jobs", "placements", "faults", "utilization"), {"wait-cdf", "gantt", "lost-work", "orbit-vs-ground"}, None),
        (("latency",), {"links"}, None),
        (("contacts",), set(), ("links", "No contacts.parquet: the contact timeline is not shown.")),
    ],
)
def test_each_table_drives_its_sections(
    full_run: Path, tmp_path: Path, removed: tuple[str, ...], omitted: set[str], note: tuple[str, str] | None
) -> None:
    run = copy_run(full_run, tmp_path / "run")
    for name in removed:
        (run / f"{name}.parquet").unlink()
    html = render_report(run)
    page = parse(html)
    assert set(page.omitted) == omitted
    assert set(page.sections) == set(KEYS) - omitted
    for key in omitted:
        assert any(f"{n}.parquet" in page.omitted[key] for n in removed), page.omitted[key]
    if note is not None:
        assert note[1] in section(html, note[0])


def test_a_missing_column_omits_the_section_and_names_the_column(default_run: Path, tmp_path: Path) -> None:
    run = copy_run(default_run, tmp_path / "run")
    pq.write_table(pa.table({"tenant": ["a", "b"], "start_s": [0.0, 5.0]}), run / "jobs.parquet")
    page = parse(render_report(run))
    assert page.omitted["wait-cdf"].endswith("jobs.parquet lacks column wait_s.")
    assert "orbit-vs-ground" in page.omitted and "lacks columns" in page.omitted["orbit-vs-ground"]


def test_a_minimal_run_directory_and_a_long_utilization_series(tmp_path: Path) -> None:
    """Only summary.json and a 10-day utilization table at 60 s: the fleet chart averages, the rest is omitted."""
    summary = {
        "scenario": "tiny",
        "epoch": "2027-01-01T00:00:00+00:00",
        "duration_s": 864_000.0,
        "step_s": 60.0,
        "capacity": {"shells": {"s1": {"gpus": 80}}, "ground_sites": {"g1": {"accelerators": 1000}}},
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    t = np.arange(0, 864_000.0, 60.0)
    n = len(t)
    pq.write_table(
        pa.table(
            {
                "t_s": np.concatenate([t, t]),
                "group": ["s1"] * n + ["g1"] * n,
                "kind": ["orbital"] * n + ["ground"] * n,
                "installed_gpus": np.r_[np.full(n, 80), np.full(n, 1000)],
                "usable_gpus": np.r_[np.full(n, 60), np.full(n, 1000)],
                "busy_gpus": np.r_[np.full(n, 30), np.full(n, 250)],
            }
        ),
        tmp_path / "utilization.parquet",
    )
    html = write_report(tmp_path).read_text(encoding="utf-8")
    page = parse(html)
    assert set(page.sections) == {"headline", "capacity", "fleet", "orbit-vs-ground"}
    fleet = section(html, "fleet")
    k = -(-n // MAX_POINTS)
    assert f"Each point is the mean over {k} consecutive steps." in fleet
    traces = figures(fleet)[0]["data"]
    assert all(len(values(tr["y"])) <= MAX_POINTS for tr in traces)
    busy = [values(tr["y"]) for tr in traces if tr["name"] == "busy GPUs"]
    assert busy[0] == pytest.approx(280.0) and busy[1] == pytest.approx(30.0) and busy[2] == pytest.approx(250.0)
    rows = {r[0]: r for r in table_rows(section(html, "orbit-vs-ground"))}
    assert rows["orbital"][5] == "37.5 %" and rows["ground"][5] == "25.0 %"
    assert rows["orbital"][3] == f"{30 * 864_000 / 3600:,.0f}"


def test_the_scenarios_warnings_head_the_page(tmp_path: Path) -> None:
    warning = "fleet.shells[1].orbit: b and a (fleet.shells[0].orbit) pass within 1.0 km of each other: ..."
    summary = {
        "scenario": "warned",
        "epoch": "2027-01-01T00:00:00+00:00",
        "duration_s": 3600.0,
        "step_s": 60.0,
        "capacity": {"shells": {"a": {"gpus": 8}, "b": {"gpus": 8}}, "ground_sites": {}},
        "warnings": [warning],
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    headline = section(write_report(tmp_path).read_text(encoding="utf-8"), "headline")
    assert f"Scenario warning: {warning}" in html_unescape(headline)


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no summary\.json"):
        write_report(tmp_path)


def test_report_is_deterministic_and_reasonably_small(
    default_run: Path, full_run: Path, full_report: tuple[str, float]
) -> None:
    # how long it takes is measured by benchmarks/engine.py --simulate (report included), not asserted here
    html, _ = full_report
    assert render_report(full_run) == html
    path = write_report(default_run)
    plotly_js = len(get_plotlyjs())
    # the run's data (samples at 1,440 steps and their ground tracks, the coastlines once) adds < 1.2 MB
    assert path.stat().st_size < plotly_js + 1_200_000
    assert len(html.encode()) < plotly_js + 2_500_000  # 12,000 jobs and their placements, sampled


def test_links_section_draws_the_network_tables(default_run: Path) -> None:
    """Cards from summary.json's network block; the ISL map's segments are the links of the first link step between
    the satellites' positions in latency.parquet; the latency-over-time line is the percentile of latency.parquet;
    the contact timeline counts the passes in contacts.parquet covering each link step's middle."""
    from orbitgrid.report.network import MAX_MAP_LINKS, MAX_STATIONS

    html = (default_run / REPORT_NAME).read_text(encoding="utf-8")
    links = section(html, "links")
    net = json.loads((default_run / "summary.json").read_text())["network"]
    assert f'<div class="v">{net["gateways"]}</div><div class="k">gateways</div>' in links
    p50 = f"{1e3 * net['latency_to_ground_s']['p50']:.1f} ms"
    assert f'<div class="v">{p50}</div><div class="k">to ground p50</div>' in links
    assert "No data flows: the run has no workloads." in links
    isl_map, latency_map, over_time, contacts = figures(links)
    # ISL map: every drawn segment joins the positions of a link's two satellites at t = 0.
    lat = _read(default_run / "latency.parquet")
    first = (lat["t_s"] == 0.0) & (lat["target"] == "ground")
    where = {
        str(n): (float(a), float(b))
        for n, a, b in zip(lat["node"][first], lat["lon_deg"][first], lat["lat_deg"][first], strict=True)
    }
    lk = _read(default_run / "links.parquet")
    isl = (lk["t_s"] == 0.0) & (lk["kind"] == "isl")
    pairs = {(where[str(a)], where[str(b)]) for a, b in zip(lk["a"][isl], lk["b"][isl], strict=True)}
    trace = next(t for t in isl_map["data"] if t["name"] == "isl links")
    x, y = values(trace["x"]).reshape(-1, 3), values(trace["y"]).reshape(-1, 3)
    assert 0 < len(x) <= MAX_MAP_LINKS and np.all(np.isnan(x[:, 2]))
    drawn = {
        ((float(a), float(b)), (float(c), float(d)))
        for a, b, c, d in zip(x[:, 0], y[:, 0], x[:, 1], y[:, 1], strict=True)
    }
    assert drawn <= pairs
    # Latency over time: the median over satellites with a path, per link step.
    sel = (lat["target"] == "ground") & (lat["kind"] == "orbital")
    times = np.unique(lat["t_s"][sel])
    expected = [
        np.percentile(v[np.isfinite(v)], 50) * 1e3 for v in (lat["latency_s"][sel][lat["t_s"][sel] == t] for t in times)
    ]
    line = next(t for t in over_time["data"] if t["name"].startswith("latency to ground p50"))
    np.testing.assert_allclose(values(line["y"]), expected, rtol=1e-6)
    # Contact timeline: passes covering each bin's middle, per station.
    c = _read(default_run / "contacts.parquet")
    heat = contacts["data"][0]
    shape = [int(n) for n in str(heat["z"]["shape"]).split(",")]
    z = values(heat["z"]).reshape(shape)
    mid = values(heat["x"]).astype(np.float64) * 3600.0
    assert len(heat["y"]) == min(MAX_STATIONS, len(np.unique(c["station"])))
    for row, name in enumerate(heat["y"][:5]):
        rise, set_ = c["rise_s"][c["station"] == name], c["set_s"][c["station"] == name]
        count = [(np.sum((rise <= m) & (set_ > m))) for m in mid]
        np.testing.assert_array_equal(z[row], count)
    assert latency_map["data"]
