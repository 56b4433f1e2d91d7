"""``orbitgrid report A B``: one offline page comparing two run directories.

* headline numbers side by side (fleet, capacity, scheduling, network, cost) with B − A and B / A;
* distributions overlaid, each drawn from both runs where they have the table: the wait time of started jobs (CDF),
  usable GPUs of the whole fleet over time, eclipse durations, one-way latency to the ground, and the Monte Carlo
  orbit / ground cost ratio.

Like ``report.html`` it needs no network (plotly.js inlined) and has no timestamps; a distribution neither run has
is left out with a note, one that only one run has is drawn for that run and the note says so.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from orbitgrid.report.data import GROUND, ORBITAL, Missing, RunData, finite, nested
from orbitgrid.report.html import (
    CDF_POINTS,
    Section,
    _Body,
    _cdf_points,
    _dur,
    _num,
    _page,
    _pct,
    _Plots,
    _table,
)

__all__ = ["HEADLINE", "compare_rows", "render_comparison", "write_comparison"]

#: Colours of run A and run B in every overlaid plot.
COLOURS = ("#1f77b4", "#d62728")


def _cost(run: RunData) -> dict[str, Any]:
    try:
        return run.json("cost.json")
    except Missing:
        return {}


def _deliverable(run: RunData) -> float | None:
    cap = run.summary.get("capacity") or {}
    groups = [*(cap.get("shells") or {}).values(), *(cap.get("ground_sites") or {}).values()]
    return sum(float(c.get("gpu_hours_deliverable") or 0) for c in groups) if groups else None


def _ms(x: Any) -> float | None:
    return 1e3 * float(x) if finite(x) else None


def _ms_fmt(x: Any) -> str:
    return _num(x, ",.1f")


#: The headline rows: (label, value of a run, formatter). A value the run lacks is None and shows "–".
HEADLINE: tuple[tuple[str, Callable[[RunData], Any], Callable[[Any], str]], ...] = (
    ("satellites", lambda r: nested(r.summary, "fleet", "satellites"), _num),
    ("shells", lambda r: nested(r.summary, "fleet", "shells"), _num),
    ("GPUs in orbit", lambda r: r.installed_by_kind().get(ORBITAL), _num),
    ("GPUs on the ground", lambda r: r.installed_by_kind().get(GROUND), _num),
    ("duration, h", lambda r: r.duration_s / 3600, lambda x: _num(x, ",.1f")),
    ("GPU-hours deliverable", _deliverable, _num),
    ("GPU-hours delivered", lambda r: nested(r.summary, "gpu_hours", "delivered"), _num),
    ("goodput", lambda r: r.summary.get("goodput"), _pct),
    ("jobs submitted", lambda r: nested(r.summary, "jobs", "submitted"), _num),
    ("jobs completed", lambda r: nested(r.summary, "jobs", "completed"), _num),
    ("jobs failed", lambda r: nested(r.summary, "jobs", "failed"), _num),
    ("wait p50", lambda r: nested(r.summary, "wait_s", "p50"), _dur),
    ("wait p99", lambda r: nested(r.summary, "wait_s", "p99"), _dur),
    ("fleet sunlit", lambda r: nested(r.summary, "fleet", "sunlit_fraction_mean"), _pct),
    ("eclipses", lambda r: nested(r.summary, "fleet", "eclipses_total"), _num),
    ("latency to ground p50, ms", lambda r: _ms(nested(r.summary, "network", "latency_to_ground_s", "p50")), _ms_fmt),
    ("latency to ground p99, ms", lambda r: _ms(nested(r.summary, "network", "latency_to_ground_s", "p99")), _ms_fmt),
    ("orbit $ per GPU-hour", lambda r: nested(_cost(r), "orbit", "usd_per_gpu_hour"), lambda x: _num(x, ",.3f")),
    ("ground $ per GPU-hour", lambda r: nested(_cost(r), "ground", "usd_per_gpu_hour"), lambda x: _num(x, ",.3f")),
    ("orbit / ground, run's GPU-hours", lambda r: _cost(r).get("ratio_orbit_to_ground"), lambda x: _num(x, ".3f")),
    (
        "orbit / ground, nominal GPU-hours",
        lambda r: nested(_cost(r), "nominal", "ratio_orbit_to_ground"),
        lambda x: _num(x, ".3f"),
    ),
)


def compare_rows(a: RunData, b: RunData) -> list[list[str]]:
    """The headline table: label, A, B, B − A (in A's format) and B / A, rows neither run has left out."""
    rows = []
    for label, get, fmt in HEADLINE:
        va, vb = get(a), get(b)
        if va is None and vb is None:
            continue
        both = finite(va) and finite(vb)
        diff = float(vb) - float(va) if both else None
        sign = "+" if diff is not None and diff > 0 else ""
        ratio = f"{float(vb) / float(va):,.3g}×" if both and float(va) != 0 else "–"
        if diff is None:
            change = "–"
        elif fmt is _pct:  # a difference of two shares is in percentage points
            change = f"{sign}{100 * diff:.1f} pp"
        else:
            change = sign + fmt(diff)
        rows.append([label, fmt(va), fmt(vb), change, ratio])
    return rows


def _names(a: RunData, b: RunData) -> tuple[str, str]:
    na, nb = a.path.name, b.path.name
    if na == nb:
        na, nb = str(a.path), str(b.path)
    return f"A: {na}", f"B: {nb}"


def _headline(a: RunData, b: RunData, plots: _Plots) -> _Body:
    la, lb = _names(a, b)
    rows = compare_rows(a, b)
    return _table(["", la, lb, "B − A", "B / A"], rows), (
        "Numbers from each run's summary.json and cost.json; – where a run does not have the number.",
    )


def _overlay(
    a: RunData,
    b: RunData,
    plots: _Plots,
    read: Callable[[RunData], np.ndarray],
    draw: Callable[[Any, np.ndarray, str, str], None],
    layout: dict[str, Any],
    what: str,
    height: int = 400,
) -> _Body:
    """One figure with ``draw(fig, values, name, colour)`` for each run that has ``read(run)``; notes for the rest."""
    import plotly.graph_objects as go

    fig = go.Figure()
    notes: list[str] = []
    drawn = 0
    for run, name, colour in zip((a, b), _names(a, b), COLOURS, strict=True):
        try:
            values = read(run)
        except Missing as why:
            notes.append(f"{name}: not drawn, {why}.")
            continue
        if not values.size:
            notes.append(f"{name}: no {what}.")
            continue
        draw(fig, values, name, colour)
        drawn += 1
    if not drawn:
        raise Missing(f"neither run has {what}")
    fig.update_layout(showlegend=True, **layout)  # named even when only one run has the data
    return plots.div(fig, height), tuple(notes)


def _waits(run: RunData) -> np.ndarray:
    j = run.table("jobs", ("start_s", "wait_s"))
    ok = np.isfinite(j["start_s"]) & np.isfinite(j["wait_s"])
    return np.asarray(j["wait_s"][ok], dtype=np.float64)


def _wait_cdf(a: RunData, b: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    tops = []
    for run in (a, b):
        try:
            w = _waits(run)
        except Missing:
            continue
        if w.size:
            tops.append(float(np.quantile(w, 0.99)))
    p99 = max(tops) if tops else 1.0
    unit, scale = ("h", 3600.0) if p99 >= 7_200 else ("min", 60.0) if p99 >= 120 else ("s", 1.0)

    def draw(fig: Any, w: np.ndarray, name: str, colour: str) -> None:
        x, p = _cdf_points(w / scale)
        fig.add_trace(go.Scatter(x=x, y=p, mode="lines", name=f"{name} ({w.size:,} jobs)", line={"color": colour}))

    body, notes = _overlay(
        a, b, plots, _waits, draw,
        {
            "xaxis": {
                "title": {"text": f"wait from submission to first start ({unit})"}, "range": [0, 1.5 * p99 / scale]
            },
            "yaxis": {"title": {"text": "share of started jobs"}, "tickformat": ".0%", "range": [0, 1.02]},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        },
        "started jobs (jobs.parquet)",
    )  # fmt: skip
    note = f"The axis ends at 1.5 × the larger p99 ({_dur(p99)}); each curve has at most {CDF_POINTS} points."
    return body, (*notes, note)


def _usable(run: RunData) -> np.ndarray:
    ts = run.table("timeseries", ("t_s", "usable_accelerators"))
    times, inv = np.unique(ts["t_s"], return_inverse=True)
    total = np.bincount(inv.reshape(-1), weights=ts["usable_accelerators"].astype(np.float64), minlength=times.size)
    return np.stack([times / 3600.0, total])


def _fleet(a: RunData, b: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    def draw(fig: Any, v: np.ndarray, name: str, colour: str) -> None:
        fig.add_trace(
            go.Scatter(x=v[0].astype(np.float32), y=v[1].astype(np.float32), mode="lines", name=name,
                       line={"color": colour, "width": 1.5})
        )  # fmt: skip

    return _overlay(
        a, b, plots, lambda r: _usable(r) if r.has("timeseries") else np.zeros(0), draw,
        {
            "xaxis": {"title": {"text": "hours since each run's epoch"}},
            "yaxis": {"title": {"text": "usable GPUs, whole fleet"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        },
        "capacity timeline (timeseries.parquet)",
    )  # fmt: skip


def _eclipse_minutes(run: RunData) -> np.ndarray:
    e = run.table("eclipses", ("duration_s", "satellites"))
    d = e["duration_s"].astype(np.float64) / 60.0
    ok = np.isfinite(d) & (d > 0)
    return np.stack([d[ok], e["satellites"][ok].astype(np.float64)])


def _eclipses(a: RunData, b: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    def draw(fig: Any, v: np.ndarray, name: str, colour: str) -> None:
        fig.add_trace(
            go.Histogram(x=v[0], y=v[1] / v[1].sum(), histfunc="sum", name=name, opacity=0.55,
                         xbins={"start": 0.0, "size": 1.0}, marker={"color": colour})
        )  # fmt: skip

    return _overlay(
        a, b, plots, _eclipse_minutes, draw,
        {
            "barmode": "overlay",
            "xaxis": {"title": {"text": "minutes in shadow per passage (1-minute bins)"}},
            "yaxis": {"title": {"text": "share of satellite-passages"}, "tickformat": ".0%"},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        },
        "shadow passages (eclipses.parquet)",
    )  # fmt: skip


def _latency(run: RunData) -> np.ndarray:
    t = run.table("latency", ("kind", "target", "latency_s"))
    sel = (t["target"].astype(str) == "ground") & (t["kind"].astype(str) == "orbital")
    v = t["latency_s"][sel].astype(np.float64) * 1e3
    return v[np.isfinite(v)]


def _latencies(a: RunData, b: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    def draw(fig: Any, v: np.ndarray, name: str, colour: str) -> None:
        x, p = _cdf_points(v)
        fig.add_trace(go.Scatter(x=x, y=p, mode="lines", name=name, line={"color": colour}))

    return _overlay(
        a, b, plots, _latency, draw,
        {
            "xaxis": {"title": {"text": "one-way latency from a satellite to the ground, ms"}, "rangemode": "tozero"},
            "yaxis": {
                "title": {"text": "share of satellite-steps with a path"}, "tickformat": ".0%", "range": [0, 1.02]
            },
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        },
        "latency to the ground (latency.parquet)",
    )  # fmt: skip


def _ratio_draws(run: RunData) -> np.ndarray:
    draws = nested(_cost(run), "uncertainty", "monte_carlo", "draws", "ratio_orbit_to_ground")
    if not isinstance(draws, list):
        raise Missing("cost.json has no Monte Carlo draws")
    x = np.array([np.nan if v is None else v for v in draws], dtype=np.float64)
    return x[np.isfinite(x)]


def _monte_carlo(a: RunData, b: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    both = []
    for run in (a, b):
        try:
            both.append(_ratio_draws(run))
        except Missing:
            continue
    allx = np.concatenate(both) if both else np.zeros(0)
    lo, hi = (float(allx.min()), float(allx.max())) if allx.size else (0.0, 1.0)
    bins = {"start": lo, "end": hi, "size": max(hi - lo, 1e-9) / 60}  # the same 60 bins for both runs

    def draw(fig: Any, v: np.ndarray, name: str, colour: str) -> None:
        fig.add_trace(
            go.Histogram(x=v, histnorm="probability", name=f"{name} ({v.size:,} draws)", opacity=0.55, xbins=bins,
                         marker={"color": colour})
        )  # fmt: skip

    return _overlay(
        a, b, plots, _ratio_draws, draw,
        {
            "barmode": "overlay",
            "xaxis": {"title": {"text": "orbit / ground: ratio of the two $ per GPU-hour (1 = parity)"}},
            "yaxis": {"title": {"text": "share of draws"}, "tickformat": ".0%"},
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        },
        "Monte Carlo cost draws (cost.json)",
    )  # fmt: skip


#: The comparison's sections in order.
COMPARE_SECTIONS: tuple[tuple[str, str, Callable[[RunData, RunData, _Plots], _Body]], ...] = (
    ("headline", "Headline numbers", _headline),
    ("fleet", "Usable GPUs over time", _fleet),
    ("wait-cdf", "Wait time of started jobs", _wait_cdf),
    ("latency", "Latency to the ground", _latencies),
    ("eclipses", "Eclipse durations", _eclipses),
    ("monte-carlo", "Cost ratio, Monte Carlo", _monte_carlo),
)


def render_comparison(run_a: str | Path, run_b: str | Path) -> str:
    """The comparison page of two run directories as one HTML string (offline, like ``report.html``)."""
    a, b = RunData(run_a), RunData(run_b)
    plots = _Plots()
    sections = []
    for key, title, build in COMPARE_SECTIONS:
        try:
            body, notes = build(a, b, plots)
        except Missing as why:
            sections.append(Section(key, title, None, (str(why),)))
        else:
            sections.append(Section(key, title, body, notes))
    la, lb = _names(a, b)
    desc = [
        escape(
            f"{name} = scenario {r.summary.get('scenario', '?')}, epoch "
            f"{str(r.summary.get('epoch', ''))[:16].replace('T', ' ')} UTC, seed {r.summary.get('seed')}"
        )
        for name, r in ((la, a), (lb, b))
    ]
    header = (
        f"<header><h1>orbitgrid comparison: {escape(la[3:])} vs {escape(lb[3:])}</h1>"
        + "".join(f"<p>{d}</p>" for d in desc)
        + "</header>"
    )
    return _page(
        f"orbitgrid comparison: {la[3:]} vs {lb[3:]}",
        header,
        sections,
        "Written by <code>orbitgrid report A B</code> from the files in the two run directories.",
    )


def write_comparison(run_a: Path, run_b: Path, out: Path) -> Path:
    """Write the comparison page to ``out`` (through a temporary file beside it) and return its path."""
    out = Path(out)
    text = render_comparison(run_a, run_b)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
