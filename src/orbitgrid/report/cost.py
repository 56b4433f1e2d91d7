"""The report's "Cost: orbit vs ground" section, from the run's ``cost.json`` (written by ``api.simulate`` from the
run's simulated delivered GPU-hours, with the uncertainty block of ``pipeline.cost_uncertainty``):

* cards: levelized $ per delivered GPU-hour in orbit and on the ground and their ratio; from the Monte Carlo the
  mean ratio with its standard error and P(orbit cheaper);
* the cost waterfalls side by side: each line's levelized share, ``PV(line) / PV(delivered GPU-hours)``, stacked
  from capital to operating lines up to the $ per GPU-hour (the shares add up to it exactly, as cost.json's
  ``pv_usd_by_line`` adds up to ``pv_usd``);
* the tornado of orbit / ground (each uncertain parameter at its 10th and 90th percentile, the others at base);
* the Monte Carlo distribution of orbit and ground $ per GPU-hour (histograms of the draws) and its statistics;
* the uncertain parameters (distribution, base, 10th-90th percentile) and the break-even table.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from orbitgrid.report.data import Missing, RunData
from orbitgrid.report.html import _Body, _cards, _num, _pct, _Plots, _table

__all__ = ["MC_OUTPUTS", "cost_section", "read_cost", "waterfall_steps"]

#: Monte Carlo outputs in cost.json and their labels.
MC_OUTPUTS = (
    ("orbit_usd_per_gpu_hour", "orbit $/GPU-h"),
    ("ground_usd_per_gpu_hour", "ground $/GPU-h"),
    ("ratio_orbit_to_ground", "orbit / ground"),
)
_SIDES = (("orbit", "orbit"), ("ground", "ground (same GPUs)"))


def _mean_se(m: dict[str, Any]) -> str:
    """``mean ± s.e.`` of a Monte Carlo output; a dash where no draw was finite (null in cost.json)."""
    return f"{_num(m['mean'], '.3f')} ± {_num(m['std_error'], '.3f')}"


def read_cost(run: RunData) -> dict[str, Any]:
    path = run.path / "cost.json"
    if not path.is_file():
        raise Missing("this run has no cost.json (no orbital fleet to price, or simulate ran with cost off)")
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def waterfall_steps(side: dict[str, Any]) -> list[tuple[str, float]]:
    """(line, $ per delivered GPU-hour) of one side of cost.json: ``PV(line) / PV(total) x usd_per_gpu_hour``, capital
    lines first, lines that cost nothing left out."""
    pv = side.get("pv_usd_by_line") or {}
    total, per_h = side.get("pv_usd"), side.get("usd_per_gpu_hour")
    if not pv or not total or per_h is None:
        return []
    order = [*(side.get("capex_usd") or {}), *(side.get("opex_usd") or {})]
    order += [k for k in pv if k not in order]
    return [(k, float(pv[k]) / float(total) * float(per_h)) for k in order if pv.get(k)]


#: Waterfall steps smaller than this share of the $ per GPU-hour carry no text label (their value is in the hover):
#: labels of slivers would sit on top of each other.
WATERFALL_LABEL_SHARE = 0.02


def _waterfalls(doc: dict[str, Any], plots: _Plots) -> str:
    """Orbit above ground, each across the page's width (side by side, a dozen lines' labels collided)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sides = [(k, label) for k, label in _SIDES if doc[k].get("usd_per_gpu_hour") is not None]
    if not sides:  # no GPU-hour delivered: no price per GPU-hour to break down
        return ""
    fig = make_subplots(
        rows=len(sides), cols=1, subplot_titles=[label for _, label in sides], vertical_spacing=0.3 / len(sides)
    )
    for row, (key, label) in enumerate(sides, start=1):
        side = doc[key]
        steps = waterfall_steps(side)
        total = float(side["usd_per_gpu_hour"])
        values = [v for _, v in steps] + [total]
        text = [f"{v:,.3g}" if abs(v) >= WATERFALL_LABEL_SHARE * abs(total) else "" for v in values]
        fig.add_trace(
            go.Waterfall(
                name=label,
                x=[name for name, _ in steps] + ["$ per GPU-hour"],
                y=values,
                measure=["relative"] * len(steps) + ["total"],
                text=text,
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{x}: %{y:,.4f} $/GPU-h<extra>" + label + "</extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(title_text="$ per GPU-hour", rangemode="tozero", row=row, col=1)
    fig.update_layout(
        title="Cost waterfall: each line's levelized share, PV(line) / PV(delivered GPU-hours), $ per GPU-hour",
        showlegend=False,
        margin={"l": 64, "r": 24, "t": 64, "b": 48},
    )
    return plots.div(fig, 120 + 340 * len(sides))


def _tornado(tor: dict[str, Any], plots: _Plots) -> str:
    import plotly.graph_objects as go

    rows = list(reversed(tor["rows"]))  # largest swing on top
    base = float(tor["base"])
    names = [r["parameter"] for r in rows]
    fig = go.Figure()
    for end, label in (("low", "parameter at p10"), ("high", "parameter at p90")):
        fig.add_trace(
            go.Bar(
                y=names,
                x=[r[f"output_at_{end}"] - base for r in rows],
                base=base,
                orientation="h",
                name=label,
                customdata=[r[end] for r in rows],
                hovertemplate="%{y} = %{customdata:,.4g}: orbit / ground %{x:.3f}<extra></extra>",
            )
        )
    ends = [r[f"output_at_{e}"] for r in rows for e in ("low", "high")] + [base]
    parity = min(ends) <= 1.0 <= max(ends)
    if parity:  # only where a parameter's range crosses it: a line far off would squeeze the bars
        fig.add_vline(x=1.0, line={"color": "#5b6577", "dash": "dot", "width": 1})
    fig.update_layout(
        barmode="overlay",
        title=f"Tornado: orbit / ground around the scenario's {base:.3f}" + (" (dotted: parity)" if parity else ""),
        xaxis_title="orbit / ground: ratio of the two $ per GPU-hour (1 = parity)",
        margin={"l": 260, "r": 24, "t": 48, "b": 48},
    )
    return plots.div(fig, 140 + 36 * len(rows))


def _monte_carlo(mc: dict[str, Any], plots: _Plots) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for key, label in MC_OUTPUTS[:2]:
        x = np.array([np.nan if v is None else v for v in mc["draws"][key]], dtype=np.float64)
        fig.add_trace(go.Histogram(x=x[np.isfinite(x)], name=label, opacity=0.6, nbinsx=60))
    fig.update_layout(
        barmode="overlay",
        title=(
            f"Monte Carlo: $ per delivered GPU-hour, {mc['n']:,} draws (seed {mc['seed']}); "
            f"P(orbit cheaper) = {mc['p_orbit_cheaper']:.3f}"
        ),
        xaxis_title="$ per delivered GPU-hour",
        yaxis_title="draws",
    )
    rows = [
        [label, _mean_se(m), *(_num(m[q], ".3f") for q in ("p5", "p50", "p95"))]
        for key, label in MC_OUTPUTS
        for m in (mc[key],)
    ]
    return plots.div(fig, 380) + _table(["", "mean ± s.e.", "p5", "p50", "p95"], rows)


def _parameters(params: dict[str, Any]) -> str:
    rows = []
    for path, p in params.items():
        d = dict(p["distribution"])
        kind = d.pop("type")
        rows.append(
            [
                path,
                f"{kind} "
                + ", ".join(f"{k} {v:,.6g}" if isinstance(v, float | int) else f"{k} {v}" for k, v in d.items()),
                _num(p["base"], ",.6g"),
                f"{p['p10']:,.4g} – {p['p90']:,.4g}",
            ]
        )
    return _table(["uncertain parameter", "distribution", "scenario", "p10 – p90"], rows)


def _break_even(rows_in: list[dict[str, Any]]) -> str:
    rows = []
    for r in rows_in:
        value = _num(r["value"], ",.6g") if r["value"] is not None else f"none: {r['status']}"
        lo, hi = r["bracket"]
        gap = r.get("gap_usd_per_gpu_hour_at_ends")
        gaps = f"{gap[0]:+,.4g} / {gap[1]:+,.4g}" if gap and None not in gap else "–"
        rows.append([r["parameter"], _num(r["base"], ",.6g"), value, f"{lo:,.6g} – {hi:,.6g}", gaps])
    header = [
        "break-even parameter",
        "scenario",
        "orbit = ground at",
        "searched",
        "orbit - ground at the ends, $/GPU-h",
    ]
    return _table(header, rows)


def cost_section(run: RunData, plots: _Plots) -> _Body:
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
        cards.append((f"orbit / ground, Monte Carlo mean ± s.e. ({mc['n']:,} draws)", _mean_se(r)))
        cards.append(("P(orbit cheaper)", _pct(mc["p_orbit_cheaper"])))
    parts = [_cards(cards), _waterfalls(doc, plots)]
    tor = unc.get("tornado")
    if tor and tor.get("rows") and tor.get("base") is not None:
        parts.append(_tornado(tor, plots))
    draws = mc.get("draws") or {}
    if draws and any(x is not None for xs in draws.values() for x in xs):
        parts.append(_monte_carlo(mc, plots))
    if unc.get("parameters"):
        parts.append(_parameters(unc["parameters"]))
    if unc.get("break_even"):
        parts.append(_break_even(unc["break_even"]))
    notes = [
        f"GPU-hours: {o.get('gpu_hours_source', 'see cost.json')}; discount rate {_pct(o.get('discount_rate'))}; "
        "the parameter paths, their sources and the model are in docs/economics.md."
    ]
    if not unc:
        notes.append("cost.json has no uncertainty block (economics.uncertainty: null).")
    if o.get("usd_per_gpu_hour") is None:
        notes.append("the orbital fleet delivered no GPU-hour in this run, so it has no price per GPU-hour.")
    notes += [str(n) for n in o.get("notes") or []]
    return "".join(parts), tuple(notes)
