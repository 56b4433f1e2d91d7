"""The report's "Cost: orbit vs ground" section, from the run's ``cost.json`` (written by ``api.simulate`` from the
run's simulated delivered GPU-hours, with the uncertainty block of ``pipeline.cost_uncertainty``):

* headline cards: levelized $ per delivered GPU-hour in orbit and on the ground, their ratio, and from the Monte
  Carlo the mean ratio with its standard error and the probability that orbit is cheaper;
* the cost lines side by side (undiscounted, $M): capital and operating lines of the orbital fleet and of the same
  GPUs on the ground, stacked, so the two totals and what makes them up read at a glance;
* the tornado of the orbit / ground ratio (10th to 90th percentile of each uncertain parameter);
* the Monte Carlo distribution of orbit and ground $ per GPU-hour;
* the break-even table.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from orbitgrid.report.data import Missing, RunData
from orbitgrid.report.html import _Body, _cards, _num, _pct, _Plots, _table

__all__ = ["cost_section", "read_cost"]


def read_cost(run: RunData) -> dict[str, Any]:
    path = run.path / "cost.json"
    if not path.is_file():
        raise Missing("this run has no cost.json (a run without an orbital fleet to price)")
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _lines(side: dict[str, Any]) -> list[tuple[str, float]]:
    return [(k, float(v)) for part in ("capex_usd", "opex_usd") for k, v in (side.get(part) or {}).items() if v]


def cost_section(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    doc = read_cost(run)
    o, g = doc["orbit"], doc["ground"]
    unc = doc.get("uncertainty") or {}
    mc = unc.get("monte_carlo") or {}
    cards = [
        ("orbit $ per delivered GPU-hour", _num(o.get("usd_per_gpu_hour"), ",.3f")),
        ("ground $ per GPU-hour (same GPUs)", _num(g.get("usd_per_gpu_hour"), ",.3f")),
        ("orbit / ground", _num(doc.get("ratio_orbit_to_ground"), ".3f")),
    ]
    if mc:
        r = mc["ratio_orbit_to_ground"]
        cards.append(
            (f"orbit / ground, Monte Carlo mean ± s.e. ({mc['n']:,} draws)", f"{r['mean']:.3f} ± {r['std_error']:.3f}")
        )
        cards.append(("P(orbit cheaper)", _pct(mc["p_orbit_cheaper"])))
    parts = [_cards(cards)]
    # cost lines, stacked per side
    fig = go.Figure()
    for side, label in ((o, "orbit"), (g, "ground")):
        for name, usd in _lines(side):
            fig.add_trace(go.Bar(x=[label], y=[usd / 1e6], name=f"{label}: {name}", hovertemplate="%{y:,.1f} $M"))
    fig.update_layout(barmode="stack", title="Cost lines, undiscounted ($M)", yaxis_title="$M", showlegend=True)
    parts.append(plots.div(fig, 420))
    tor = unc.get("tornado")
    if tor and tor.get("rows"):
        rows = list(reversed(tor["rows"]))  # largest swing on top
        base = float(tor["base"])
        fig = go.Figure()
        names = [r["parameter"] for r in rows]
        fig.add_trace(
            go.Bar(
                y=names, x=[r["output_at_low"] - base for r in rows], base=base, orientation="h", name="parameter low"
            )
        )
        fig.add_trace(
            go.Bar(
                y=names, x=[r["output_at_high"] - base for r in rows], base=base, orientation="h", name="parameter high"
            )
        )
        fig.update_layout(
            barmode="overlay",
            title=f"Tornado: orbit / ground around the scenario's {base:.3f} (10th-90th percentile of each parameter)",
            xaxis_title="orbit / ground $ per GPU-hour",
        )
        parts.append(plots.div(fig, 120 + 40 * len(rows)))
    if mc and mc.get("draws"):
        fig = go.Figure()
        for key, label in (("orbit.usd_per_gpu_hour", "orbit"), ("ground.usd_per_gpu_hour", "ground")):
            x = np.asarray(mc["draws"][key], dtype=np.float64)
            fig.add_trace(go.Histogram(x=x[np.isfinite(x)].astype(np.float32), name=label, opacity=0.6, nbinsx=60))
        fig.update_layout(
            barmode="overlay",
            title=f"Monte Carlo: $ per GPU-hour ({mc['n']:,} draws, seed {mc['seed']})",
            xaxis_title="$ per delivered GPU-hour",
            yaxis_title="draws",
        )
        parts.append(plots.div(fig, 360))
        rows_mc = []
        for key, label in (
            ("orbit.usd_per_gpu_hour", "orbit $/GPU-h"),
            ("ground.usd_per_gpu_hour", "ground $/GPU-h"),
            ("ratio_orbit_to_ground", "orbit / ground"),
        ):
            m = mc[key]
            rows_mc.append(
                [label, f"{m['mean']:.3f} ± {m['std_error']:.3f}", *(f"{m[q]:.3f}" for q in ("p5", "p50", "p95"))]
            )
        parts.append(_table(["", "mean ± s.e.", "p5", "p50", "p95"], rows_mc))
    be = unc.get("break_even")
    if be:
        rows_be = []
        for r in be:
            if r["value"] is not None:
                value = _num(r["value"], ",.4g")
            else:
                value = (
                    "none: orbit dearer throughout" if min(r["gap_at_ends"]) > 0 else "none: orbit cheaper throughout"
                )
            rows_be.append([r["parameter"], value, f"{r['bracket'][0]:,.4g} – {r['bracket'][1]:,.4g}"])
        parts.append(_table(["parameter", "orbit = ground at", "searched"], rows_be))
    notes = [
        f"GPU-hours: {o.get('gpu_hours_source', 'see cost.json')}; discount rate {_pct(o.get('discount_rate'))}; "
        "parameters, distributions and sources in cost.json's uncertainty block and docs/economics.md."
    ]
    notes += [str(n) for n in o.get("notes") or []]
    return "".join(parts), tuple(notes)
