"""``report.html``: one self-contained page of a run's results, viewable offline.

plotly.js is inlined once in the page's head; each figure is a ``<div>`` plus a short script that draws it with a
shared template, so the page needs no network (no CDN, fonts or images). Every section is built from one part of
the run directory; when that part is absent (a run written before the scheduler existed has no ``jobs.parquet``)
the section is replaced by a one-line note saying what is missing. The page has no timestamps: the same run
directory gives the same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from orbitgrid.report.data import GROUND, ORBITAL, Missing, RunData, finite, nested

__all__ = ["REPORT_NAME", "render_report", "write_report"]

REPORT_NAME = "report.html"

#: Nodes shown in the Gantt chart (the busiest) and the most bars drawn on them.
GANTT_NODES = 30
GANTT_MAX_BARS = 3_000
#: Points per time-series line; longer series are averaged over consecutive steps.
MAX_POINTS = 1_500
#: Node groups drawn one panel each in the fleet chart; sample satellites; tenants with their own CDF line.
MAX_GROUPS = 12
MAX_SATELLITES = 12
MAX_TENANTS = 12
CDF_POINTS = 400
#: Points per ground track (longer tracks are drawn at every k-th step); shells whose gateway coverage is drawn.
TRACK_POINTS = 4_000
MAX_COVERAGE_SHELLS = 3
#: The wait-time axis ends at WAIT_AXIS_MARGIN x p99 when the longest wait exceeds WAIT_AXIS_CLIP_FACTOR x p99.
WAIT_AXIS_MARGIN = 1.5
WAIT_AXIS_CLIP_FACTOR = 3.0

_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#ad494a",
)  # fmt: skip
_KIND_COLOUR = {ORBITAL: "#1f77b4", GROUND: "#8c564b", "unknown": "#7f7f7f"}

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d2430;
background:#f5f6f8}
header{background:#16213a;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:2px 0;color:#c8d0e0;font-size:13px}header code{color:#fff}
nav{padding:8px 32px;background:#e6e9ef;font-size:13px}nav a{margin-right:14px;color:#16213a}
main{max-width:1320px;margin:0 auto;padding:8px 24px 32px}
section{background:#fff;border:1px solid #dde1e8;border-radius:6px;margin:18px 0;padding:10px 20px 16px}
h2{font-size:19px;margin:8px 0}p.note{color:#5b6577;font-size:13px;margin:4px 0}
p.omitted{color:#5b6577;font-size:13px;margin:6px 4px;font-style:italic}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.card{border:1px solid #dde1e8;border-radius:6px;padding:8px 14px;min-width:130px;background:#fafbfc}
.card .v{font-size:22px;font-weight:600}.card .k{font-size:12px;color:#5b6577}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
.wide{overflow-x:auto}th,td{padding:4px 8px;border-bottom:1px solid #e5e8ee;text-align:right;white-space:nowrap}
th{background:#f0f2f6;font-weight:600;white-space:normal;vertical-align:bottom}td:first-child,th:first-child{text-align:left}
tr.total td{font-weight:600;border-top:2px solid #c5cbd6}.plot{width:100%}
footer{color:#5b6577;font-size:12px;text-align:center;padding:12px}
"""

#: Gap between an axis and its tick labels, px (with none, the first x and y labels overlap at the plot's corner).
TICK_LABEL_STANDOFF_PX = 5
#: Draws one figure; a trace whose ``meta`` is ``COAST_META`` gets the page's one copy of the coastlines (OG_COAST).
COAST_META = "og-coast"
_DRAW = (
    "function ogPlot(id,fig){var l=fig.layout;l.template=OG_TEMPLATE;fig.data.forEach(function(t){"
    f'if(t.meta==="{COAST_META}"){{t.x=OG_COAST.x;t.y=OG_COAST.y;}}}});'
    "Plotly.newPlot(id,fig.data,l,OG_CONFIG);}"
)


@dataclass(frozen=True)
class Section:
    """One part of the page: ``body`` is its HTML, or None when the run lacks what it needs (``notes[0]`` says)."""

    key: str
    title: str
    body: str | None
    notes: tuple[str, ...] = ()


#: What a section builder returns: its HTML body and the notes printed above it.
_Body = tuple[str, tuple[str, ...]]


# ---------------------------------------------------------------------------------------------------- formatting


def _num(x: Any, spec: str = ",.0f") -> str:
    return format(x, spec) if finite(x) else "–"


def _times(x: Any) -> str:
    return f"{x:.2f}×" if finite(x) else "–"


def _pct(x: Any, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %" if finite(x) else "–"


def _dur(s: Any) -> str:
    if not finite(s):
        return "–"
    a = abs(s)
    if a < 120:
        return f"{s:.0f} s"
    if a < 7_200:
        return f"{s / 60:.1f} min"
    if a < 172_800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86_400:.1f} d"


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 and math.isfinite(a) else float("nan")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], total_rows: int = 0) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, r in enumerate(rows):
        cls = ' class="total"' if i >= len(rows) - total_rows else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>")
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _cards(items: Sequence[tuple[str, str]]) -> str:
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
            for k, v in items
        )
        + "</div>"
    )


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


# ------------------------------------------------------------------------------------------------------- figures


class _Plots:
    """Turns plotly figures into ``<div>``s drawn by the page's single copy of plotly.js."""

    def __init__(self) -> None:
        self.count = 0
        self.coast = False  # a figure draws the coastlines: the page carries them once

    def div(self, fig: Any, height: int) -> str:
        import plotly.io as pio

        self.count += 1
        spec = fig.to_dict()
        layout = spec.get("layout", {})
        layout.pop("template", None)
        layout["height"] = height
        layout.setdefault("margin", {"l": 64, "r": 24, "t": 48, "b": 48})
        self.coast = self.coast or any(t.get("meta") == COAST_META for t in spec.get("data", []))
        payload = pio.json.to_json_plotly({"data": spec.get("data", []), "layout": layout}).replace("</", "<\\/")
        div_id = f"plot-{self.count}"
        return (
            f'<div class="plot" id="{div_id}" style="height:{height}px"></div>'
            f'<script>ogPlot("{div_id}",{payload});</script>'
        )


def _bin_means(values: np.ndarray, k: int) -> np.ndarray:
    """Means over consecutive blocks of ``k`` along the last axis, ignoring NaN (all-NaN blocks give NaN)."""
    n = values.shape[-1]
    m = -(-n // k)
    pad = np.full((*values.shape[:-1], m * k - n), np.nan)
    v = np.concatenate([values.astype(np.float64), pad], axis=-1).reshape(*values.shape[:-1], m, k)
    ok = np.isfinite(v)
    total = np.where(ok, v, 0.0).sum(axis=-1)
    count = ok.sum(axis=-1)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _thin(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Series with at most MAX_POINTS points (block means); the block length (1 if unchanged)."""
    if len(t) <= MAX_POINTS:
        return t, y, 1
    k = -(-len(t) // MAX_POINTS)
    return _bin_means(t, k), _bin_means(y, k), k


def _grid(t: np.ndarray, group: np.ndarray, order: Sequence[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Times, groups and row indices for long rows (t, group) -> a group-by-time matrix; groups in ``order`` first."""
    times, ti = np.unique(t, return_inverse=True)
    present = set(np.unique(group.astype(str)).tolist())
    names = [g for g in order if g in present] + sorted(present - set(order))
    index = {g: i for i, g in enumerate(names)}
    gi = np.array([index[g] for g in group.astype(str).tolist()], dtype=np.int64)
    return times, names, np.stack([gi, ti.reshape(-1)])


def _matrix(values: np.ndarray, where: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    m = np.full(shape, np.nan)
    m[where[0], where[1]] = values
    return m


def _coastline() -> Any:
    """The shipped coastlines (``astro.coastlines``, Natural Earth 1:110m) as one grey line trace for a
    longitude / latitude map. The trace carries no points: the page holds the coastlines once (``OG_COAST``,
    :func:`_coast_script`) and ``ogPlot`` fills them in, so four maps cost one copy; nothing is fetched."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=[], y=[], mode="lines", name="coastline", showlegend=False, hoverinfo="skip", meta=COAST_META,
        line={"color": "#a3acb9", "width": 0.8},
    )  # fmt: skip


def _coast_script() -> str:
    """``var OG_COAST={x:[...],y:[...]};``: the coastline polyline in degrees (null between rings)."""
    from orbitgrid.astro.coastlines import coastline_path

    def flat(v: np.ndarray) -> str:
        return ",".join("null" if not math.isfinite(a) else f"{a:.2f}".rstrip("0").rstrip(".") for a in v.tolist())

    x, y = coastline_path()
    return f"var OG_COAST={{x:[{flat(x)}],y:[{flat(y)}]}};"


def _hours_axis(run: RunData) -> str:
    epoch = str(run.summary.get("epoch", ""))[:16].replace("T", " ")
    return f"hours since {epoch} UTC" if epoch else "hours since start"


# ------------------------------------------------------------------------------------------------------ sections


def _headline(run: RunData, plots: _Plots) -> _Body:
    s = run.summary
    fleet = s.get("fleet") or {}
    cap = s.get("capacity") or {}
    shells = cap.get("shells") or {}
    sites = cap.get("ground_sites") or {}
    inst = run.installed_by_kind()
    deliverable = sum(float(c.get("gpu_hours_deliverable") or 0) for c in [*shells.values(), *sites.values()])
    installed_h = sum(float(c.get("gpu_hours_installed") or 0) for c in [*shells.values(), *sites.values()])
    notes: list[str] = []
    cards: list[tuple[str, str]] = []
    if nested(s, "jobs", "submitted") is not None:
        cards += [
            ("jobs submitted", _num(nested(s, "jobs", "submitted"))),
            ("jobs completed", _num(nested(s, "jobs", "completed"))),
            ("jobs failed", _num(nested(s, "jobs", "failed"))),
        ]
    if nested(s, "gpu_hours", "delivered") is not None:
        d, dd = nested(s, "gpu_hours", "delivered"), nested(s, "gpu_hours", "deliverable")
        cards += [
            ("GPU-hours delivered", _num(d)),
            ("of deliverable", _pct(_ratio(float(d), float(dd)) if finite(d) and finite(dd) else None)),
        ]
    if "goodput" in s:
        cards.append(("goodput", _pct(s.get("goodput"))))
    if nested(s, "wait_s", "p50") is not None:
        cards += [("wait p50", _dur(nested(s, "wait_s", "p50"))), ("wait p99", _dur(nested(s, "wait_s", "p99")))]
    if not cards:
        notes.append(
            "No scheduler results in summary.json: job, GPU-hour, goodput and wait figures appear when it has them."
        )
    # what validating the scenario found doubtful (shells passing close every orbit, stale element sets, ...)
    notes += [f"Scenario warning: {w}" for w in s.get("warnings") or []]
    cards += _cost_cards(run)
    cards += [
        ("satellites", _num(fleet.get("satellites"))),
        ("shells", _num(fleet.get("shells"))),
        ("ground sites", _num(len(sites))),
        ("GPUs in orbit", _num(inst.get(ORBITAL))),
        ("GPUs on the ground", _num(inst.get(GROUND))),
        ("GPU-hours deliverable", _num(deliverable)),
        ("of installed", _pct(_ratio(deliverable, installed_h))),
        ("fleet sunlit", _pct(fleet.get("sunlit_fraction_mean"))),
        ("eclipses", _num(fleet.get("eclipses_total"))),
    ]
    return _cards(cards), tuple(notes)


def _cost_cards(run: RunData) -> list[tuple[str, str]]:
    """The run's cost answer (cost.json): $ per GPU-hour in orbit and on the ground and their ratio at the
    GPU-hours the run delivered, and the ratio at the nominal ones; none without cost.json."""
    path = run.path / "cost.json"
    if not path.is_file():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    o, g = doc.get("orbit") or {}, doc.get("ground") or {}
    basis = "delivered" if o.get("gpu_hours_source") == "simulated" else "nominal"
    cards = [
        (f"orbit $ per {basis} GPU-hour", _num(o.get("usd_per_gpu_hour"), ",.2f")),
        (f"ground $ per {basis} GPU-hour", _num(g.get("usd_per_gpu_hour"), ",.2f")),
        (f"orbit / ground ({basis} GPU-hours)", _times(doc.get("ratio_orbit_to_ground"))),
    ]
    nominal = doc.get("nominal")
    if isinstance(nominal, dict):
        cards.append(("orbit / ground (nominal GPU-hours)", _times(nominal.get("ratio_orbit_to_ground"))))
    return cards


def _tenants(run: RunData, plots: _Plots) -> _Body:
    tenants = run.summary.get("tenants")
    if not isinstance(tenants, dict) or not tenants:
        raise Missing("summary.json has no tenants block")
    rows = []
    for name, t in sorted(tenants.items()):
        t = t if isinstance(t, dict) else {}
        rows.append(
            [
                str(name),
                _num(t.get("gpu_hours_delivered")),
                _pct(t.get("slo_attainment")),
                "$" + _num(t.get("bill_usd")) if finite(t.get("bill_usd")) else "–",
                _dur(t.get("wait_s_p50")),
                _dur(t.get("wait_s_p99")),
                _num(t.get("jobs_completed")),
            ]
        )
    header = ["tenant", "GPU-h delivered", "SLO attained", "bill", "wait p50", "wait p99", "jobs completed"]
    return _table(header, rows), ()


def _capacity(run: RunData, plots: _Plots) -> _Body:
    cap = run.summary.get("capacity") or {}
    shells, sites = cap.get("shells") or {}, cap.get("ground_sites") or {}
    if not shells and not sites:
        raise Missing("summary.json has no capacity block")
    rows: list[list[str]] = []
    totals = {ORBITAL: [0.0, 0.0, 0.0, 0.0], GROUND: [0.0, 0.0, 0.0, 0.0]}  # gpus, deliverable, installed, MWh
    for name, c in shells.items():
        thr = [c.get(f"throttled_fraction_{k}") for k in ("eclipse", "array", "heat")]
        rows.append(
            [
                name,
                "orbital",
                str(c.get("gpu_model", "")),
                _num(c.get("gpus")),
                _num(c.get("gpu_hours_deliverable")),
                _pct(_ratio(c.get("gpu_hours_deliverable") or 0.0, c.get("gpu_hours_installed") or 0.0)),
                _num(c.get("compute_energy_mwh"), ",.1f"),
                " / ".join(_pct(x, 0) for x in thr),
                _num(c.get("radiator_peak_c"), ".1f"),
                _pct(c.get("battery_min_soc"), 0),
                _num(c.get("dose_rad_per_year")),
                _num(nested(c, "upsets_per_gpu_day", "sdc"), ".3f"),
            ]
        )
        for i, k in enumerate(("gpus", "gpu_hours_deliverable", "gpu_hours_installed", "compute_energy_mwh")):
            totals[ORBITAL][i] += float(c.get(k) or 0.0)
    for name, g in sites.items():
        rows.append(
            [
                name,
                "ground",
                "",
                _num(g.get("accelerators")),
                _num(g.get("gpu_hours_deliverable")),
                _pct(_ratio(g.get("gpu_hours_deliverable") or 0.0, g.get("gpu_hours_installed") or 0.0)),
                _num((g.get("it_energy_kwh") or float("nan")) / 1e3, ",.1f"),
                f"grid-limited {_pct(g.get('grid_limited_fraction'), 0)}",
                "–",
                "–",
                "–",
                "–",
            ]
        )
        vals = (g.get("accelerators"), g.get("gpu_hours_deliverable"), g.get("gpu_hours_installed"))
        for i, v in enumerate(vals):
            totals[GROUND][i] += float(v or 0.0)
        totals[GROUND][3] += float(g.get("it_energy_kwh") or 0.0) / 1e3
    n_total = 0
    for kind, label, present in ((ORBITAL, "all orbital", shells), (GROUND, "all ground", sites)):
        if present:
            gpus, deliv, inst, mwh = totals[kind]
            rows.append([label, kind, "", _num(gpus), _num(deliv), _pct(_ratio(deliv, inst)), _num(mwh, ",.1f")])
            rows[-1] += ["", "", "", "", ""]
            n_total += 1
    header = [
        "node group", "kind", "model", "GPUs", "GPU-h deliverable", "of installed", "compute MWh",
        "throttled eclipse / array / heat", "radiator max °C", "battery min", "dose rad/yr", "SDC per GPU-day",
    ]  # fmt: skip
    notes = (
        "Deliverable GPU-hours are what power and heat allowed over the run; throttled shares are the fraction of "
        "the run with some accelerators switched off, by cause.",
        *_lost_notes(run.summary.get("shells") or {}),
    )
    return _table(header, rows, n_total), tuple(notes)


#: Lost satellites named one by one per shell in the report (summary.json lists up to 1,000).
REPORT_LOST_LISTED = 10


def _lost_notes(shells: dict[str, Any]) -> list[str]:
    """One note per element shell that lost satellites (SGP4 failures, re-entry) or dropped duplicate sets."""
    out = []
    for name, sh in shells.items():
        n_lost = int(sh.get("satellites_lost") or 0)
        if n_lost:
            listed = [
                f"{x['catalog_number']} {x['name']} at {x.get('failed_utc') or _dur(x['failed_s'])} "
                f"(error {x['error_code']}: {x['error']})"
                for x in (sh.get("lost_satellites") or [])[:REPORT_LOST_LISTED]
            ]
            more = f"; {n_lost - len(listed):,} more in summary.json" if n_lost > len(listed) else ""
            out.append(
                f"{name}: {n_lost:,} of {sh.get('satellites', 0):,} satellites lost (SGP4 cannot propagate them, or "
                f"they re-enter) and counted for nothing from the step they were lost in: {'; '.join(listed)}{more}."
            )
        dropped = int(sh.get("element_sets_dropped") or 0)
        if dropped:
            dups = sh.get("duplicate_catalog_numbers") or []
            out.append(
                f"{name}: {len(dups):,} catalogue number{'s' if len(dups) != 1 else ''} given more than once; "
                f"{dropped:,} older element set{'s' if dropped != 1 else ''} dropped (the latest epoch is used)."
            )
    return out


def _fleet(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    notes: list[str] = []
    if run.has("utilization"):
        u = run.table("utilization", ("t_s", "group", "installed_gpus", "usable_gpus", "busy_gpus"))
        t, group = u["t_s"], u["group"]
        cols = {"installed": u["installed_gpus"], "usable": u["usable_gpus"], "busy": u["busy_gpus"]}
        source = "utilization.parquet"
    else:
        ts = run.table("timeseries", ("t_s", "group", "usable_accelerators"))
        t, group = ts["t_s"], ts["group"]
        gpus = {g: float(v["gpus"]) for g, v in run.groups.items()}
        installed = np.array([gpus.get(g, np.nan) for g in group.astype(str).tolist()])
        cols = {"installed": installed, "usable": ts["usable_accelerators"]}
        source = "timeseries.parquet"
        notes.append("Busy GPUs appear when the run has utilization.parquet; this run shows installed and usable only.")
    times, names, where = _grid(t, group, list(run.groups))
    mats = {k: _matrix(v.astype(np.float64), where, (len(names), len(times))) for k, v in cols.items()}
    if not len(times):
        raise Missing(f"{source} has no rows")
    kinds = {g: run.groups.get(g, {}).get("kind", "unknown") for g in names}
    by_installed = sorted(names, key=lambda g: -np.nansum(mats["installed"][names.index(g)]))
    shown = [g for g in names if g in by_installed[:MAX_GROUPS]]
    if len(shown) < len(names):
        notes.append(
            f"The {len(shown)} largest of {len(names)} node groups have their own panel; all are in the total."
        )
    k = max(1, -(-len(times) // MAX_POINTS))
    hours = _bin_means(times / 3600.0, k)
    if k > 1:
        notes.append(f"Each point is the mean over {k} consecutive steps.")
    panels = [("whole fleet", {c: np.nansum(m, axis=0) for c, m in mats.items()})]
    panels += [(f"{g} ({kinds[g]})", {c: m[names.index(g)] for c, m in mats.items()}) for g in shown]
    titles = []
    for label, series in panels:
        inst = float(np.nansum(series["installed"]))
        extra = f"usable {_pct(_ratio(float(np.nansum(series['usable'])), inst), 0)}"
        if "busy" in series:
            extra += f", busy {_pct(_ratio(float(np.nansum(series['busy'])), inst), 0)} of installed"
        titles.append(f"{label}: {extra}")
    rows = len(panels)
    fig = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=min(0.08, 0.6 / rows)
    )
    style: dict[str, dict[str, Any]] = {
        "installed": {"line": {"color": "#7f7f7f", "dash": "dash", "width": 1.5}},
        "usable": {"line": {"color": "#1f77b4", "width": 1.5}},
        "busy": {"line": {"color": "#ff7f0e", "width": 1}, "fill": "tozeroy", "fillcolor": "rgba(255,127,14,0.35)"},
    }
    for row, (_label, series) in enumerate(panels, start=1):
        for col in ("installed", "usable", "busy"):
            if col not in series:
                continue
            y = _bin_means(series[col], k).astype(np.float32)
            fig.add_trace(
                go.Scatter(
                    x=hours.astype(np.float32), y=y, name=f"{col} GPUs", legendgroup=col, showlegend=row == 1,
                    mode="lines", hovertemplate="%{y:,.0f}", **style[col],
                ),
                row=row, col=1,
            )  # fmt: skip
        fig.update_yaxes(title_text="GPUs", rangemode="tozero", row=row, col=1)
    fig.update_xaxes(title_text=_hours_axis(run), row=rows, col=1)
    fig.update_layout(hovermode="x unified", legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"})
    notes.append(f"From {source}.")
    return plots.div(fig, 120 + 210 * rows), tuple(notes)


def _samples(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    cols = ("t_s", "satellite", "shell", "lit_fraction", "battery_soc", "radiator_k", "usable_gpus")
    smp = run.table("samples", cols)
    sats, first = np.unique(smp["satellite"].astype(str), return_index=True)
    order = [str(s) for s in sats[np.argsort(first)]]
    if not order:
        raise Missing("samples.parquet has no rows")
    notes = []
    if len(order) > MAX_SATELLITES:
        notes.append(f"The first {MAX_SATELLITES} of {len(order)} sample satellites are drawn.")
        order = order[:MAX_SATELLITES]
    installed = _node_gpus(run)
    share = all(installed.get(str(smp["shell"][smp["satellite"].astype(str) == sat][0])) for sat in order)
    panels = [
        ("lit_fraction", "sunlit fraction"),
        ("battery_soc", "battery state of charge"),
        ("radiator_k", "radiator °C"),
        ("usable_gpus", "usable GPUs, share of the node's installed" if share else "usable GPUs"),
    ]
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, subplot_titles=[p[1] for p in panels], vertical_spacing=0.06)
    block = 1
    for i, sat in enumerate(order):
        sel = smp["satellite"].astype(str) == sat
        idx = np.argsort(smp["t_s"][sel], kind="stable")
        shell = str(smp["shell"][sel][0])
        colour = _PALETTE[i % len(_PALETTE)]
        gpus = installed.get(shell)
        label = f"{sat} ({shell}, {gpus:,.0f} GPUs)" if gpus else f"{sat} ({shell})"
        for row, (col, _title) in enumerate(panels, start=1):
            y = smp[col][sel][idx].astype(np.float64)
            if col == "radiator_k":
                y = y - 273.15
            if col == "usable_gpus" and share and gpus:
                y = y / gpus
            x, y, block = _thin(smp["t_s"][sel][idx] / 3600.0, y)
            fig.add_trace(
                go.Scatter(
                    x=x.astype(np.float32), y=y.astype(np.float32), mode="lines", name=label,
                    legendgroup=sat, showlegend=row == 1, line={"color": colour, "width": 1.3},
                ),
                row=row, col=1,
            )  # fmt: skip
    fig.update_yaxes(range=[-0.02, 1.02], row=1, col=1)
    fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", row=2, col=1)
    if share:
        fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%", row=4, col=1)
        notes.append(
            "Usable GPUs are drawn as a share of each node's installed GPUs (in the legend), so a 16-GPU satellite "
            "and a cluster of thousands share one axis."
        )
    else:
        fig.update_yaxes(rangemode="tozero", row=4, col=1)
    fig.update_xaxes(title_text=_hours_axis(run), row=4, col=1)
    fig.update_layout(hovermode="x unified")
    if block > 1:
        notes.append(f"Each point is the mean over {block} consecutive samples.")
    return plots.div(fig, 900), tuple(notes)


def _node_gpus(run: RunData) -> dict[str, float]:
    """Installed GPUs of one node (a satellite, or a formation cluster of them) of each shell: the shell's GPUs over
    its tracks (summary.json); shells whose numbers are missing are left out."""
    out = {}
    for name, c in (nested(run.summary, "capacity", "shells") or {}).items():
        tracks = nested(run.summary, "shells", name, "tracks")
        if finite(c.get("gpus")) and finite(tracks) and tracks > 0:
            out[str(name)] = float(c["gpus"]) / float(tracks)
    return out


def _split_antimeridian(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A track as one polyline with a NaN wherever it jumps across the antimeridian (so no line spans the map)."""
    cut = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
    return np.insert(lon, cut, np.nan), np.insert(lat, cut, np.nan)


def _ground_tracks(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    from orbitgrid.network.geometry import coverage_angle_rad, small_circle_deg

    smp = run.table("samples", ("t_s", "satellite", "shell", "lat_deg", "lon_deg", "alt_km"))
    sats, first = np.unique(smp["satellite"].astype(str), return_index=True)
    order = [str(x) for x in sats[np.argsort(first)]][:MAX_SATELLITES]
    if not order:
        raise Missing("samples.parquet has no rows")
    notes: list[str] = []
    fig = go.Figure(_coastline())
    gateways = nested(run.summary, "network", "gateway_sites") or {}
    mask_deg = nested(run.manifest, "scenario", "network", "elevation_mask_deg")
    altitudes: dict[str, float] = {}
    stride = 1
    for i, sat in enumerate(order):
        sel = np.flatnonzero(smp["satellite"].astype(str) == sat)
        sel = sel[np.argsort(smp["t_s"][sel], kind="stable")]
        stride = max(1, -(-sel.size // TRACK_POINTS))
        sel = sel[::stride]
        lon, lat = smp["lon_deg"][sel].astype(np.float64), smp["lat_deg"][sel].astype(np.float64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            notes.append(f"{sat} has no position (lost before the run started).")
            continue
        shell = str(smp["shell"][sel][0])
        altitudes.setdefault(shell, float(np.nanmean(smp["alt_km"][sel])))
        t_h = smp["t_s"][sel].astype(np.float64) / 3600.0
        period_h = nested(run.summary, "shells", shell, "nodal_period_s_mean")
        first = t_h - t_h[0] <= (float(period_h) / 3600.0 if finite(period_h) else 0.0)
        colour = _PALETTE[i % len(_PALETTE)]
        rest = np.flatnonzero(t_h >= t_h[first][-1])[::2]  # the faint part at every other step, hover off
        x, y = _split_antimeridian(lon[rest], lat[rest])
        fig.add_trace(
            go.Scatter(
                x=x.astype(np.float32), y=y.astype(np.float32), mode="lines", name=f"{sat} ({shell})",
                legendgroup=sat, showlegend=False, line={"color": colour, "width": 0.7}, opacity=0.35,
                hoverinfo="skip",
            )
        )  # fmt: skip
        x, y = _split_antimeridian(lon[first], lat[first])
        hours = np.insert(t_h[first], np.flatnonzero(np.abs(np.diff(lon[first])) > 180.0) + 1, np.nan)
        fig.add_trace(
            go.Scatter(
                x=x.astype(np.float32), y=y.astype(np.float32), mode="lines", name=f"{sat} ({shell})",
                legendgroup=sat, line={"color": colour, "width": 2.2}, customdata=hours.astype(np.float32),
                hovertemplate=f"{sat}<br>%{{customdata:.2f}} h: %{{y:.1f}}°, %{{x:.1f}}°<extra></extra>",
            )
        )  # fmt: skip
        start = int(np.flatnonzero(ok)[0])
        fig.add_trace(
            go.Scatter(
                x=[float(lon[start])], y=[float(lat[start])], mode="markers", legendgroup=sat, showlegend=False,
                marker={"color": colour, "size": 8, "symbol": "circle-open", "line": {"width": 2}},
                hovertemplate=f"{sat} at the start of the run<extra></extra>",
            )
        )  # fmt: skip
    if gateways:
        names = list(gateways)
        glat = np.array([float(gateways[n][0]) for n in names])
        glon = np.array([float(gateways[n][1]) for n in names])
        if finite(mask_deg):
            by_alt: dict[float, list[str]] = {}  # shells within 10 km share one set of circles
            for shell, alt_km in sorted(altitudes.items(), key=lambda kv: kv[1]):
                by_alt.setdefault(round(alt_km, -1), []).append(shell)
            for k, (alt_km, shells) in enumerate(list(by_alt.items())[:MAX_COVERAGE_SHELLS]):
                shell = ", ".join(shells)
                style = ({"color": "#d62728", "dash": "dot"}, {"color": "#5b6577", "dash": "dash"})[k % 2]
                lam = float(coverage_angle_rad(math.radians(float(mask_deg)), alt_km * 1e3))
                xs: list[np.ndarray] = []
                ys: list[np.ndarray] = []
                for la, lo in zip(glat.tolist(), glon.tolist(), strict=True):
                    cy, cx = small_circle_deg(la, lo, lam)
                    cx, cy = _split_antimeridian(cx, cy)
                    xs += [cx, np.array([np.nan])]
                    ys += [cy, np.array([np.nan])]
                fig.add_trace(
                    go.Scatter(
                        x=np.concatenate(xs).astype(np.float32), y=np.concatenate(ys).astype(np.float32),
                        mode="lines", name=f"gateway coverage at {alt_km:,.0f} km ({shell})", hoverinfo="skip",
                        line={"width": 1, **style}, opacity=0.7,
                    )
                )  # fmt: skip
            notes.append(
                f"Circles: where a satellite at the shell's mean altitude is at least {float(mask_deg):g}° "
                "above a gateway's horizon (network.elevation_mask_deg; spherical Earth, Earth central angle "
                "arccos(R cos ε / (R + h)) − ε)."
            )
        fig.add_trace(
            go.Scatter(
                x=glon.astype(np.float32), y=glat.astype(np.float32), mode="markers", name="gateways", text=names,
                hovertemplate="%{text}<extra></extra>", marker={"size": 8, "symbol": "triangle-up", "color": "#d62728"},
            )
        )  # fmt: skip
    else:
        notes.append("No gateways: the scenario has no network: section, so only the tracks are drawn.")
    sites = run.ground_sites()
    if sites:
        fig.add_trace(
            go.Scatter(
                x=[s[2] for s in sites], y=[s[1] for s in sites], mode="markers", name="ground data centres",
                text=[s[0] for s in sites], hovertemplate="%{text}<extra></extra>",
                marker={"size": 10, "symbol": "square", "color": "#8c564b"},
            )
        )  # fmt: skip
    x_axis = {"range": [-180, 180], "dtick": 30, "title_text": "longitude °", "constrain": "domain"}
    fig.update_xaxes(**x_axis)
    fig.update_yaxes(range=[-90, 90], dtick=30, title_text="latitude °", scaleanchor="x", constrain="domain")
    fig.update_layout(legend={"orientation": "h", "y": -0.12, "yanchor": "top"}, margin={"l": 64, "r": 24, "t": 24})
    run_hours = run.duration_s / 3600 if finite(run.duration_s) else float("nan")
    notes.insert(
        0,
        f"Sub-satellite points of {len(order)} sample satellites over the whole run ({_num(run_hours, ',.1f')} h; the "
        "first orbit bold from the open circle where each starts, the rest of the run faint at every other step), "
        "from samples.parquet; "
        "coastlines: Natural Earth 1:110m, shipped with orbitgrid.",
    )
    if stride > 1:
        notes.append(f"Every {stride}th step of each track is drawn.")
    return plots.div(fig, 760), tuple(notes)


def _gantt(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    cols = ("job_id", "tenant", "node", "node_group", "start_s", "end_s", "gpus", "outcome")
    p = run.table("placements", cols)
    n_all = len(p["start_s"])
    if not n_all:
        raise Missing("placements.parquet has no rows")
    horizon = run.duration_s if math.isfinite(run.duration_s) else float(np.nanmax(p["start_s"]))
    start = p["start_s"].astype(np.float64)
    end = np.where(np.isfinite(p["end_s"]), p["end_s"], horizon).astype(np.float64)
    gpu_s = np.clip(end - start, 0, None) * p["gpus"].astype(np.float64)
    nodes, inverse = np.unique(p["node"].astype(str), return_inverse=True)
    busy = np.bincount(inverse, weights=gpu_s, minlength=len(nodes))
    top = np.argsort(-busy, kind="stable")[:GANTT_NODES]
    on_top = np.isin(inverse, top)
    idx = np.flatnonzero(on_top)
    notes = [
        f"The {len(top)} busiest of {len(nodes):,} nodes by GPU-hours ({_pct(busy[top].sum() / busy.sum())} of all "
        f"placed GPU-hours); bars are coloured by tenant, markers show how a run ended when it did not complete."
    ]
    if len(idx) > GANTT_MAX_BARS:
        longest = np.argsort(-(end[idx] - start[idx]), kind="stable")[:GANTT_MAX_BARS]
        notes.append(
            f"Sampled: {len(idx):,} placements on these nodes, the {GANTT_MAX_BARS:,} longest are drawn "
            f"(they hold {_pct(gpu_s[idx[longest]].sum() / gpu_s[idx].sum())} of these nodes' GPU-hours)."
        )
        idx = np.sort(idx[longest])
    node_order = [str(nodes[i]) for i in top]
    tenants, t_counts = np.unique(p["tenant"][idx].astype(str), return_counts=True)
    named = [str(t) for t in tenants[np.argsort(-t_counts, kind="stable")][:MAX_TENANTS]]
    tenant_of = np.array([t if t in named else "other tenants" for t in p["tenant"][idx].astype(str).tolist()])
    fig = go.Figure()
    for i, tenant in enumerate([*named, "other tenants"]):
        sel = idx[tenant_of == tenant]
        if not len(sel):
            continue
        custom = np.stack([p["job_id"][sel].astype(str), p["outcome"][sel].astype(str), p["gpus"][sel].astype(str)], 1)
        fig.add_trace(
            go.Bar(
                y=p["node"][sel].astype(str), base=(start[sel] / 3600).astype(np.float32),
                x=((end[sel] - start[sel]) / 3600).astype(np.float32), orientation="h", name=tenant,
                marker={"color": _PALETTE[i % len(_PALETTE)] if tenant != "other tenants" else "#c7c7c7"},
                customdata=custom,
                hovertemplate="job %{customdata[0]} · %{customdata[2]} GPUs<br>%{base:.2f} h → "
                "+%{x:.2f} h · %{customdata[1]}<extra>%{fullData.name}</extra>",
            )
        )  # fmt: skip
    symbols = {"fault": "x", "preempted": "triangle-down", "capacity": "square", "checkpoint": "line-ns"}
    for outcome, symbol in symbols.items():
        sel = idx[p["outcome"][idx].astype(str) == outcome]
        if len(sel):
            fig.add_trace(
                go.Scatter(
                    x=(end[sel] / 3600).astype(np.float32), y=p["node"][sel].astype(str), mode="markers",
                    name=f"ended: {outcome}", marker={"symbol": symbol, "color": "#222", "size": 7,
                                                      "line": {"width": 1.5, "color": "#222"}},
                    hovertemplate=f"{outcome} at %{{x:.2f}} h<extra></extra>",
                )
            )  # fmt: skip
    fig.update_layout(barmode="overlay", bargap=0.25, legend={"orientation": "v"})
    fig.update_yaxes(categoryorder="array", categoryarray=node_order[::-1], title_text="node")
    fig.update_xaxes(title_text=_hours_axis(run))
    height = 140 + 22 * len(node_order)
    return plots.div(fig, max(height, 360)), tuple(notes)


def _cdf_points(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(x)
    n = len(x)
    p = np.arange(1, n + 1) / n
    if n > CDF_POINTS:
        keep = np.unique(np.linspace(0, n - 1, CDF_POINTS).round().astype(np.int64))
        return x[keep], p[keep]
    return x, p


def _wait_cdf(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    j = run.table("jobs", ("tenant", "start_s", "wait_s"))
    started = np.isfinite(j["start_s"]) & np.isfinite(j["wait_s"])
    if not started.any():
        raise Missing("no job in jobs.parquet has started")
    wait = j["wait_s"][started].astype(np.float64)
    tenant = j["tenant"][started].astype(str)
    p99 = float(np.quantile(wait, 0.99))
    longest = float(np.max(wait))
    # The axis ends a little past the 99th percentile when a few long waits would squeeze the curves into its
    # left edge (a p99 of a minute beside a longest wait of half a day); the note says what runs past it.
    clip = longest > WAIT_AXIS_CLIP_FACTOR * p99
    top = WAIT_AXIS_MARGIN * p99 if clip and p99 > 0 else longest
    unit, scale = ("h", 3600.0) if top >= 7_200 else ("min", 60.0) if top >= 120 else ("s", 1.0)
    names, counts = np.unique(tenant, return_counts=True)
    order = [str(t) for t in names[np.argsort(-counts, kind="stable")]]
    fig = go.Figure()
    x, p = _cdf_points(wait / scale)
    fig.add_trace(go.Scatter(x=x, y=p, name="all tenants", mode="lines", line={"color": "#222", "width": 3}))
    for i, name in enumerate(order[:MAX_TENANTS]):
        x, p = _cdf_points(wait[tenant == name] / scale)
        n = int((tenant == name).sum())
        fig.add_trace(
            go.Scatter(
                x=x,
                y=p,
                name=f"{name} ({n:,})",
                mode="lines",
                line={"color": _PALETTE[i % len(_PALETTE)], "width": 1.6},
            )
        )
    fig.update_xaxes(title_text=f"wait from submission to first start ({unit})", range=[0, max(top, 1.0) / scale])
    fig.update_yaxes(title_text="share of started jobs", tickformat=".0%", range=[0, 1.02])
    notes = [f"{int(started.sum()):,} started jobs; p50 {_dur(float(np.median(wait)))}, p99 {_dur(p99)}."]
    if clip and p99 > 0:
        beyond = int(np.sum(wait > top))
        notes.append(
            f"The axis ends at {WAIT_AXIS_MARGIN:g} × p99 ({_dur(top)}): {beyond:,} wait{'s' if beyond != 1 else ''} "
            f"run past it, the longest {_dur(longest)}."
        )
    never = int((~started).sum())
    if never:
        notes.append(f"{never:,} jobs never started and are not in the curves.")
    if len(order) > MAX_TENANTS:
        notes.append(f"The {MAX_TENANTS} tenants with the most jobs have their own line; all are in the black one.")
    return plots.div(fig, 440), tuple(notes)


def _lost_work(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if not run.has("faults") and not run.has("placements"):
        raise Missing("this run has neither faults.parquet nor placements.parquet")
    notes: list[str] = []
    causes = ["sdc", "interrupt", "permanent", "preempted", "capacity"]
    kinds = [ORBITAL, GROUND, "unknown"]
    events = {k: dict.fromkeys(causes, 0.0) for k in kinds}
    lost_h = {k: dict.fromkeys([*causes[:3], "preemption + capacity"], 0.0) for k in kinds}
    fault_lost_by_kind = dict.fromkeys(kinds, 0.0)
    if run.has("faults"):
        f = run.table("faults", ("node_group", "cause", "job_id", "lost_gpu_s"))
        fk = run.kind_of(f["node_group"])
        lost = np.nan_to_num(f["lost_gpu_s"].astype(np.float64))
        for kind in kinds:
            for cause in causes[:3]:
                sel = (fk == kind) & (f["cause"].astype(str) == cause)
                events[kind][cause] += float(sel.sum())
                lost_h[kind][cause] += float(lost[sel].sum()) / 3600
            fault_lost_by_kind[kind] = float(lost[fk == kind].sum())
        on_idle = int((f["job_id"].astype(str) == "").sum())
        if on_idle:
            notes.append(f"{on_idle:,} of {len(lost):,} faults hit idle GPUs and cost no work.")
    else:
        notes.append("No faults.parquet: fault causes are not shown.")
    if run.has("placements"):
        p = run.table("placements", ("node_group", "outcome"))
        pk = run.kind_of(p["node_group"])
        for kind in kinds:
            for cause in ("preempted", "capacity"):
                events[kind][cause] += float(((pk == kind) & (p["outcome"].astype(str) == cause)).sum())
    else:
        notes.append("No placements.parquet: preemptions and capacity losses are not counted.")
    if run.has("jobs"):
        j = run.table("jobs", ("node_kind", "lost_gpu_s"))
        jl = np.nan_to_num(j["lost_gpu_s"].astype(np.float64))
        for kind in kinds:
            total = float(jl[j["node_kind"].astype(str) == kind].sum())
            lost_h[kind]["preemption + capacity"] = max(0.0, total - fault_lost_by_kind[kind]) / 3600
        notes.append(
            "Preemption + capacity GPU-hours are the jobs' lost work not explained by faults, by each job's last node."
        )
    else:
        notes.append("No jobs.parquet: GPU-hours lost to preemption and capacity are not shown.")
    fig = make_subplots(rows=1, cols=2, subplot_titles=["GPU-hours of work lost", "interruptions (events)"])
    for kind in kinds:
        if not any(lost_h[kind].values()) and not any(events[kind].values()):
            continue
        colour = _KIND_COLOUR[kind]
        fig.add_trace(
            go.Bar(x=list(lost_h[kind]), y=list(lost_h[kind].values()), name=kind, legendgroup=kind,
                   marker={"color": colour}),
            row=1, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Bar(x=causes, y=list(events[kind].values()), name=kind, legendgroup=kind, showlegend=False,
                   marker={"color": colour}),
            row=1, col=2,
        )  # fmt: skip
    fig.update_layout(barmode="stack")
    header = ["node kind", *[f"{c} events" for c in causes], "GPU-h lost: faults", "GPU-h lost: preemption + capacity"]
    rows = []
    for kind in kinds:
        if not any(events[kind].values()) and not any(lost_h[kind].values()):
            continue
        fault_h = sum(lost_h[kind][c] for c in causes[:3])
        rows.append(
            [kind, *[_num(events[kind][c]) for c in causes], _num(fault_h, ",.1f"),
             _num(lost_h[kind]["preemption + capacity"], ",.1f")]
        )  # fmt: skip
    return plots.div(fig, 420) + _table(header, rows), tuple(notes)


def _maintenance(run: RunData, plots: _Plots) -> _Body:
    blocks = run.summary.get("maintenance")
    if not isinstance(blocks, dict) or not blocks:
        raise Missing("summary.json has no maintenance block (the run had no workloads)")
    header = [
        "shell / site", "kind", "GPUs", "spares carried", "failed for good", "sent to repair", "repaired",
        "in repair at end", "spares used", "lost", "capacity lost GPU-h", "of deliverable",
    ]  # fmt: skip
    rows = []
    for name, b in blocks.items():
        b = b if isinstance(b, dict) else {}
        rows.append(
            [str(name), str(b.get("kind", "")), _num(b.get("gpus")), _num(b.get("spares_carried")),
             _num(b.get("failures")), _num(b.get("repairs")), _num(b.get("repaired")), _num(b.get("in_repair")),
             _num(b.get("spares_used")), _num(b.get("lost")), _num(b.get("capacity_lost_gpu_hours"), ",.1f"),
             _pct(b.get("capacity_lost_fraction"), 3)]
        )  # fmt: skip
    notes = (
        "A GPU that fails for good is repaired at a ground site (it returns after the site's repair time, queued for "
        "its technicians), replaced by a cold spare on its own satellite, or lost for the rest of the run.",
        "Capacity lost: usable GPU-hours the failed GPUs took while out of service (min(usable, installed) - "
        "min(usable, working) over the run).",
    )
    return _table(header, rows), notes


def _orbit_vs_ground(run: RunData, plots: _Plots) -> _Body:
    names = ("jobs", "placements", "utilization", "faults")
    if not any(run.has(n) for n in names):
        raise Missing("this run has none of jobs.parquet, placements.parquet, utilization.parquet or faults.parquet")
    kinds = [ORBITAL, GROUND]
    inst = run.installed_by_kind()
    days = run.duration_s / 86_400
    cap = run.summary.get("capacity") or {}
    deliverable = {
        ORBITAL: sum(float(c.get("gpu_hours_deliverable") or 0) for c in (cap.get("shells") or {}).values()),
        GROUND: sum(float(c.get("gpu_hours_deliverable") or 0) for c in (cap.get("ground_sites") or {}).values()),
    }
    nan = float("nan")
    busy_h = dict.fromkeys(kinds, nan)
    util = dict.fromkeys(kinds, nan)
    notes = []
    if run.has("placements"):
        p = run.table("placements", ("node_group", "start_s", "end_s", "gpus"))
        end = np.where(np.isfinite(p["end_s"]), p["end_s"], run.duration_s)
        gs = np.clip(end - p["start_s"], 0, None) * p["gpus"].astype(np.float64)
        pk = run.kind_of(p["node_group"])
        busy_h = {k: float(np.nansum(gs[pk == k])) / 3600 for k in kinds}
    if run.has("utilization"):
        u = run.table("utilization", ("t_s", "kind", "installed_gpus", "busy_gpus"))
        times = np.unique(u["t_s"])
        step = float(np.median(np.diff(times))) if len(times) > 1 else run.duration_s
        for k in kinds:
            sel = u["kind"].astype(str) == k
            b, i = float(np.nansum(u["busy_gpus"][sel])), float(np.nansum(u["installed_gpus"][sel]))
            util[k] = _ratio(b, i)
            if not run.has("placements"):
                busy_h[k] = b * step / 3600
    else:
        util = {k: _ratio(busy_h[k], inst.get(k, 0) * run.duration_s / 3600) for k in kinds}
    useful_h, goodput, wait, energy, jobs_n = (dict.fromkeys(kinds, nan) for _ in range(5))
    if run.has("jobs"):
        j = run.table("jobs", ("node_kind", "start_s", "wait_s", "useful_gpu_s", "lost_gpu_s", "energy_kwh"))
        jk = j["node_kind"].astype(str)
        for k in kinds:
            sel = jk == k
            use, lost = float(np.nansum(j["useful_gpu_s"][sel])), float(np.nansum(j["lost_gpu_s"][sel]))
            useful_h[k] = use / 3600
            goodput[k] = _ratio(use, use + lost)
            w = j["wait_s"][sel & np.isfinite(j["start_s"])]
            wait[k] = float(np.nanmean(w)) if np.isfinite(w).any() else nan
            energy[k] = float(np.nansum(j["energy_kwh"][sel]))
            jobs_n[k] = float(sel.sum())
        notes.append("Job columns count each job at the kind of its last node.")
    faults_per = dict.fromkeys(kinds, nan)
    if run.has("faults"):
        f = run.table("faults", ("node_group",))
        fk = run.kind_of(f["node_group"])
        faults_per = {k: _ratio(float((fk == k).sum()), inst.get(k, 0) * days) for k in kinds}
    header = [
        "node kind", "GPUs", "GPU-h deliverable", "GPU-h delivered (busy)", "useful GPU-h", "utilization",
        "goodput", "jobs", "mean wait", "energy kWh", "faults per GPU-day",
    ]  # fmt: skip
    rows = [
        [
            k, _num(inst.get(k)), _num(deliverable[k]), _num(busy_h[k]), _num(useful_h[k]), _pct(util[k]),
            _pct(goodput[k]), _num(jobs_n[k]), _dur(wait[k]), _num(energy[k]), _num(faults_per[k], ".4f"),
        ]
        for k in kinds
    ]  # fmt: skip
    missing = [n for n in names if not run.has(n)]
    if missing:
        notes.append(f"Not in this run: {', '.join(n + '.parquet' for n in missing)}; their columns show –.")
    notes.append("Utilization is busy over installed GPU-time.")
    return _table(header, rows), tuple(notes)


def _eclipses(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    shells = run.summary.get("shells") or {}
    if not shells:
        raise Missing("summary.json has no shells")
    names = list(shells)

    def shadow(s: dict[str, Any], key: str) -> float:
        v: Any = s.get(key)
        return 1.0 - float(v) if finite(v) else float("nan")

    frac = np.array([shadow(s, "sunlit_fraction_mean") for s in shells.values()])
    most = np.array([shadow(s, "sunlit_fraction_min") for s in shells.values()])
    least = np.array([shadow(s, "sunlit_fraction_max") for s in shells.values()])
    hi, lo = np.nan_to_num(np.clip(most - frac, 0, None)), np.nan_to_num(np.clip(frac - least, 0, None))
    has_table = run.has("eclipses")
    fig = make_subplots(
        rows=1, cols=2 if has_table else 1, column_widths=[0.4, 0.6] if has_table else None,
        subplot_titles=["time in shadow (mean, min–max over satellites)", "eclipse durations (satellite-passages)"]
        [: 2 if has_table else 1],
    )  # fmt: skip
    colours = {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(names)}
    fig.add_trace(
        go.Bar(
            x=names, y=frac, marker={"color": [colours[n] for n in names]}, showlegend=False,
            error_y={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo, "color": "#444"},
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        ),
        row=1, col=1,
    )  # fmt: skip
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    notes = []
    if has_table:
        e = run.table("eclipses", ("shell", "duration_s", "satellites"))
        dur_min = e["duration_s"].astype(np.float64) / 60
        ok = np.isfinite(dur_min)
        top = float(np.max(dur_min[ok])) if ok.any() else 1.0
        edges = np.linspace(0.0, max(top, 1.0) * 1.0001, 61)
        centres = (edges[:-1] + edges[1:]) / 2
        for name in names:
            sel = ok & (e["shell"].astype(str) == name)
            if not sel.any():
                continue
            counts, _ = np.histogram(dur_min[sel], bins=edges, weights=e["satellites"][sel].astype(np.float64))
            fig.add_trace(
                go.Bar(x=centres, y=counts, name=name, marker={"color": colours[name]}, width=edges[1] - edges[0]),
                row=1, col=2,
            )  # fmt: skip
        fig.update_xaxes(title_text="minutes in shadow per passage", row=1, col=2)
        fig.update_layout(barmode="stack")
        no_shadow = [n for n in names if not int(shells[n].get("eclipses_total") or 0)]
        if no_shadow:
            notes.append(f"Never in shadow during the run: {', '.join(no_shadow)}.")
    else:
        notes.append("No eclipses.parquet: eclipse durations are not shown.")
    rows = [
        [
            n, _num(s.get("satellites")), _pct(1 - s["sunlit_fraction_mean"]) if finite(s.get("sunlit_fraction_mean"))
            else "–", _num(s.get("eclipses_per_satellite_day"), ".2f"), _dur(s.get("longest_eclipse_s")),
            f"{_num(s.get('beta_deg_min'), '.1f')} to {_num(s.get('beta_deg_max'), '.1f')}",
        ]
        for n, s in shells.items()
    ]  # fmt: skip
    header = ["shell", "satellites", "in shadow", "eclipses per satellite-day", "longest eclipse", "beta °"]
    table = _table(header, rows)
    return plots.div(fig, 420) + table, tuple(notes)


def _years(x: Any, max_years: Any) -> str:
    if x is None:
        return f"> {_num(max_years, 'g')} yr"
    if not finite(x):
        return "–"
    return f"{x * 365.25:,.0f} d" if x < 1.0 else f"{x:,.3g} yr"


def _lifetime(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    try:
        doc = run.json("lifetime.json")
    except Missing:
        raise Missing("this run has no lifetime.json (`orbitgrid report RUN_DIR` computes and adds it)") from None
    rows_in = [r for r in doc.get("rows") or [] if isinstance(r, dict)]
    if not rows_in:
        raise Missing("lifetime.json has no shell")
    acts = ("min", "mean", "max")
    max_years = doc.get("max_years")
    rule_years = doc.get("fcc_disposal_years", 5.0)
    rows = []
    for r in rows_in:
        life, hold = r.get("lifetime_years") or {}, r.get("hold_delta_v_m_s_per_year") or {}
        rule = "passive" if r.get("passive_disposal") else "deorbit burn" if r.get("fcc_5yr_compliant") else "NOT MET"
        rows.append(
            [str(r.get("shell", "")), _num(r.get("altitude_km")), _num(r.get("area_to_mass_m2_kg"), ".3g"),
             *(_years(life.get(a), max_years) for a in acts), *(_num(hold.get(a), ",.3g") for a in acts),
             _num(r.get("station_keeping_propellant_kg"), ",.3g"), _num(r.get("deorbit_delta_v_m_s"), ",.0f"),
             _num(r.get("deorbit_propellant_kg"), ",.3g"), rule]
        )  # fmt: skip
    header = [
        "shell", "altitude km", "C_D A / m, m²/kg", "lifetime, solar min", "lifetime, mean", "lifetime, max",
        "Δv to hold, m/s per yr (min)", "(mean)", "(max)", "station-keeping propellant kg", "deorbit Δv m/s",
        "deorbit propellant kg", f"{_num(rule_years, 'g')}-year disposal rule",
    ]  # fmt: skip
    fig = go.Figure()
    cap = float(max_years) if max_years is not None and finite(max_years) else float("nan")
    for i, a in enumerate(acts):
        years = [(r.get("lifetime_years") or {}).get(a) for r in rows_in]
        fig.add_trace(
            go.Bar(
                x=[str(r.get("shell", "")) for r in rows_in], y=[cap if y is None else y for y in years],
                name=f"solar {a}", marker={"color": ("#2ca02c", "#1f77b4", "#d62728")[i]},
                hovertemplate="%{x}: %{y:,.3g} years<extra>solar " + a + "</extra>",
            )
        )  # fmt: skip
    shown = [
        cap if y is None else float(y)
        for r in rows_in
        for y in (r.get("lifetime_years") or {}).values()
        if y is None or (finite(y) and y > 0)
    ]
    shown = [y for y in shown if finite(y)]
    if finite(rule_years):
        shown.append(float(rule_years))
        fig.add_hline(y=float(rule_years), line={"color": "#5b6577", "dash": "dot", "width": 1})
        fig.add_annotation(  # a log axis places annotations at log10 of the value
            x=0.0, xref="paper", xanchor="left", y=math.log10(float(rule_years)), yanchor="bottom",
            text=f"{float(rule_years):g}-year disposal rule", showarrow=False, font={"size": 11, "color": "#5b6577"},
        )  # fmt: skip
    low, high = (min(shown), max(shown)) if shown else (0.1, 100.0)
    fig.update_yaxes(
        type="log",
        title_text="years to re-entry (log scale)",
        range=[math.log10(low) - 0.3, math.log10(high) + 0.3],
        dtick=1,
        minor={"showgrid": True},  # a label per decade: plotly's 2-9 labels crowd a short range
    )
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"})
    act = doc.get("activity") or {}
    drivers = "; ".join(
        f"{a}: F10.7 {_num(act[a].get('f107_sfu'), '.0f')} sfu, Ap {_num(act[a].get('ap_daily'), '.0f')} "
        f"({act[a].get('description', '')})"
        for a in acts
        if isinstance(act.get(a), dict)
    )
    notes = [
        "Natural decay of a satellite that stops at the end of its mission still carrying its deorbit propellant, "
        "from its shell's altitude to re-entry, in NRLMSIS 2.1 densities held at each solar-activity level ("
        + drivers
        + "); Δv per year to hold the altitude against drag; station-keeping propellant over the design life at "
        "the cycle mean; the same table as `orbitgrid lifetime` (docs/models.md).",
    ]
    if any(None in (r.get("lifetime_years") or {}).values() for r in rows_in):
        notes.append(f"Bars at {_num(max_years, 'g')} years: still in orbit when the integration stopped there.")
    for name, why in (doc.get("skipped") or {}).items():
        notes.append(f"{name}: not in the table ({why}).")
    return plots.div(fig, 360) + _table(header, rows), tuple(notes)


def _links(run: RunData, plots: _Plots) -> _Body:
    from orbitgrid.report.network import links_section  # it imports this module's helpers

    return links_section(run, plots)


def _allocation(run: RunData, plots: _Plots) -> _Body:
    from orbitgrid.report.allocation import allocation_section  # it imports this module's helpers

    return allocation_section(run, plots)


def _cost(run: RunData, plots: _Plots) -> _Body:
    from orbitgrid.report.cost import cost_section  # it imports this module's helpers

    return cost_section(run, plots)


#: The page's sections in order: (key, title, builder).
SECTIONS: tuple[tuple[str, str, Callable[[RunData, _Plots], _Body]], ...] = (
    ("headline", "Headline numbers", _headline),
    ("tenants", "Tenants", _tenants),
    ("capacity", "Capacity per shell and site", _capacity),
    ("fleet", "Fleet capacity and utilization over time", _fleet),
    ("samples", "Illumination and battery of sample satellites", _samples),
    ("ground-tracks", "Ground tracks of sample satellites and gateway coverage", _ground_tracks),
    ("gantt", "Jobs on the busiest nodes", _gantt),
    ("wait-cdf", "Wait time per tenant", _wait_cdf),
    ("lost-work", "Lost work by cause", _lost_work),
    ("allocation", "GPU allocation and fragmentation", _allocation),
    ("maintenance", "Failed GPUs: repairs, spares and losses", _maintenance),
    ("orbit-vs-ground", "Orbit versus ground", _orbit_vs_ground),
    ("links", "Links and latency", _links),
    ("cost", "Cost: orbit vs ground", _cost),
    ("eclipses", "Eclipse fraction per shell", _eclipses),
    ("lifetime", "Orbital lifetime, station keeping and disposal per shell", _lifetime),
)


# ---------------------------------------------------------------------------------------------------------- page


def _build_sections(run: RunData, plots: _Plots, progress: Callable[[int, int], None] | None = None) -> list[Section]:
    out: list[Section] = []
    for key, title, build in SECTIONS:
        if progress is not None:
            progress(len(out), len(SECTIONS) + 1)
        try:
            body, notes = build(run, plots)
        except Missing as why:
            out.append(Section(key, title, None, (str(why),)))
        else:
            out.append(Section(key, title, body, notes))
    return out


def _render_section(s: Section) -> str:
    if s.body is None:
        reason = s.notes[0] if s.notes else "not available"
        return f'<p class="omitted" data-section="{s.key}">{escape(s.title)}: omitted, {escape(reason)}.</p>'
    notes = "".join(_note(n) for n in s.notes)
    return f'<section id="{s.key}"><h2>{escape(s.title)}</h2>{notes}{s.body}</section>'


def _header(run: RunData) -> str:
    s = run.summary
    name = str(s.get("scenario", run.path.name))
    epoch = str(s.get("epoch", ""))[:16].replace("T", " ")
    parts = [
        f"epoch {epoch} UTC" if epoch else "",
        f"{_num(run.duration_s / 3600, 'g')} h" if finite(run.duration_s) else "",
        f"{_num(s.get('step_s'), 'g')} s steps" if finite(s.get("step_s")) else "",
        f"seed {s.get('seed')}" if s.get("seed") is not None else "",
    ]
    version = nested(run.manifest, "versions", "orbitgrid")
    command = run.manifest.get("command")
    lines = [f"<p>{escape(' · '.join(p for p in parts if p))}</p>"]
    if command:
        lines.append(f"<p>command <code>{escape(str(command))}</code></p>")
    if version:
        lines.append(f"<p>orbitgrid {escape(str(version))}</p>")
    return f"<header><h1>orbitgrid run: {escape(name)}</h1>{''.join(lines)}</header>"


def _page(title: str, header: str, sections: Sequence[Section], footer: str, coast: bool = False) -> str:
    """The HTML page around rendered sections: plotly.js and the shared template inlined in the head (and the
    coastlines once, when a map draws them), a nav bar of the sections that have a body."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    template = pio.templates["plotly_white"].to_plotly_json()
    for axis in ("xaxis", "yaxis"):  # the first x and y tick labels would touch at the plot's corner
        template["layout"].setdefault(axis, {})["ticklabelstandoff"] = TICK_LABEL_STANDOFF_PX
    config = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    setup = (
        f"var OG_TEMPLATE={json.dumps(template, sort_keys=True)};var OG_CONFIG={json.dumps(config, sort_keys=True)};"
        + (_coast_script() if coast else "")
        + _DRAW
    ).replace("</", "<\\/")
    nav = "".join(f'<a href="#{s.key}">{escape(s.title)}</a>' for s in sections if s.body is not None)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script>{get_plotlyjs()}</script>\n<script>{setup}</script>\n</head>\n<body>\n"
        f"{header}\n<nav>{nav}</nav>\n<main>\n"
        + "\n".join(_render_section(s) for s in sections)
        + f"\n</main>\n<footer>{footer}</footer>\n</body>\n</html>\n"
    )


def render_report(run_dir: str | Path, progress: Callable[[int, int], None] | None = None) -> str:
    """The report page of a run directory as one HTML string (plotly.js inlined; no network needed to view it).
    ``progress(done, total)`` counts the sections built, then the page assembled."""
    run = RunData(run_dir)
    plots = _Plots()
    sections = _build_sections(run, plots, progress)
    return _page(
        f"orbitgrid run: {run.summary.get('scenario', run.path.name)}",
        _header(run),
        sections,
        "Written by <code>orbitgrid report</code> from the files in the run directory.",
        coast=plots.coast,
    )


def write_report(run_dir: Path, progress: Callable[[int, int], None] | None = None, out: Path | None = None) -> Path:
    """Write ``run_dir/report.html`` (or ``out``) from the run directory's files and return its path (``progress``:
    as :func:`render_report`, finished once the file is written)."""
    run_dir = Path(run_dir)
    out = run_dir / REPORT_NAME if out is None else Path(out)
    text = render_report(run_dir, progress)
    tmp = out.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    if progress is not None:
        progress(len(SECTIONS) + 1, len(SECTIONS) + 1)
    return out
