"""The report's "Links and latency" section: the network of a run with a ``network:`` scenario section.

Built from summary.json's ``network`` block, ``links.parquet``, ``latency.parquet`` and ``contacts.parquet``
(written by ``pipeline.network``):

* headline cards (gateways, reachable share, latency to the ground, ISLs, contacts, flows);
* the ISL graph at the first recorded link step: satellites and their links over longitude / latitude (an evenly
  spaced sample of at most ``MAX_MAP_LINKS`` links; links crossing the antimeridian are left out of the drawing),
  with the gateways;
* the latency map at that step: every satellite coloured by its one-way latency to the ground and to each user
  location (at most ``MAX_TARGETS`` panels, two a row, one colour scale);
* latency over the run: median and 99th percentile over the satellites with a path, and the share with one;
* the contact timeline per station: satellites in view of each gateway per link step (from the contact windows),
  for the ``MAX_STATIONS`` stations with the most contact time.

The maps are longitude / latitude axes at one scale with the coastlines orbitgrid ships (``astro.coastlines``,
Natural Earth 1:110m) drawn as a line: plotly's geographic plots would fetch their base map from the network, and
the page must work offline.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from orbitgrid.report.data import Missing, RunData, finite
from orbitgrid.report.html import _Body, _cards, _coastline, _dur, _hours_axis, _num, _pct, _Plots, _table

__all__ = ["MAX_MAP_LINKS", "MAX_STATIONS", "MAX_TARGETS", "links_section"]

#: Links drawn in the ISL graph; panels of the latency map; stations in the contact timeline.
MAX_MAP_LINKS = 2_000
MAX_TARGETS = 4
MAX_STATIONS = 40
_KIND_STYLE = {"isl": ("#1f77b4", 0.8), "ground": ("#d62728", 1.0)}


def _read(run: RunData, name: str, columns: tuple[str, ...], t_s: float | None = None) -> dict[str, np.ndarray]:
    """Columns of ``<name>.parquet``, optionally only the rows at ``t_s`` (each link step is one row group)."""
    if t_s is None:
        return run.table(name, columns)
    if not run.has(name):
        raise Missing(f"this run has no {name}.parquet")
    import pyarrow.parquet as pq

    from orbitgrid.report.data import _column

    path = run.path / f"{name}.parquet"
    present = set(pq.read_schema(path).names)
    lacking = [c for c in columns if c not in present]
    if lacking:
        raise Missing(f"{name}.parquet lacks column{'s' if len(lacking) > 1 else ''} {', '.join(lacking)}")
    table = pq.read_table(path, columns=list(columns), filters=[("t_s", "=", t_s)])
    return {c: _column(table.column(c)) for c in columns}


def _first_step(run: RunData) -> float:
    import pyarrow.parquet as pq

    if not run.has("latency"):
        raise Missing("this run has no latency.parquet")
    f = pq.ParquetFile(run.path / "latency.parquet")
    if f.metadata.num_rows == 0:
        raise Missing("latency.parquet has no rows")
    return float(f.read_row_group(0, columns=["t_s"]).column("t_s")[0].as_py())


def _segments(lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray, lat_b: np.ndarray) -> tuple[Any, Any]:
    """Line segments as one trace: a, b, gap (NaN) for each link, float32."""
    n = lon_a.size
    x = np.full(3 * n, np.nan, dtype=np.float32)
    y = np.full(3 * n, np.nan, dtype=np.float32)
    x[0::3], x[1::3] = lon_a, lon_b
    y[0::3], y[1::3] = lat_a, lat_b
    return x, y


def _map_axes(fig: Any, rows: int = 1, cols: int = 1) -> None:
    """Longitude / latitude axes at one scale (a degree of latitude as long as a degree of longitude) on every
    panel of a ``rows`` x ``cols`` grid, the axis titles only on the outer panels (they would sit on the next
    panel's title otherwise)."""
    grid = fig._grid_ref is not None  # a make_subplots figure (panels addressed by row and column)
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            ref = "x" if (r, c) == (1, 1) else f"x{(r - 1) * cols + c}"
            at = {"row": r, "col": c} if grid else {}
            x = {"range": [-180, 180], "dtick": 60, "title_text": "longitude °" if r == rows else None}
            y = {"range": [-90, 90], "dtick": 30, "title_text": "latitude °" if c == 1 else None}
            fig.update_xaxes(constrain="domain", **at, **x)
            fig.update_yaxes(scaleanchor=ref, scaleratio=1, constrain="domain", **at, **y)


def links_section(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    net = run.summary.get("network")
    if not isinstance(net, dict):
        raise Missing("summary.json has no network block (the scenario has no network: section)")
    t0 = _first_step(run)
    notes: list[str] = []
    lat_g = _block(net, "latency_to_ground_s")
    fc = _block(net, "flow_completion_s")
    bytes_moved: Any = net.get("bytes_moved")
    cards = _cards(
        [
            ("gateways", _num(net.get("gateways"))),
            ("node-steps with a ground path", _pct(net.get("reachable_fraction"), 2)),
            ("to ground p50", _ms(lat_g.get("p50"))),
            ("to ground p99", _ms(lat_g.get("p99"))),
            ("ISLs per link step", _num(net.get("isl_links_per_step"))),
            ("contacts (passes)", _num(net.get("contacts"))),
        ]
        + (
            [
                ("flows", _num(net.get("flows"))),
                ("TB moved", _num(float(bytes_moved) / 1e12 if finite(bytes_moved) else None, ",.2f")),
                ("flow completion p50", _dur(fc.get("p50"))),
                ("flow completion p99", _dur(fc.get("p99"))),
            ]
            if "flows_simulated" in net
            else []
        )
    )
    if "flows_simulated" not in net:
        notes.append("No data flows: the run has no workloads.")
    # --- positions and links at the first recorded step
    pos = _read(run, "latency", ("node", "kind", "lat_deg", "lon_deg", "target", "latency_s"), t0)
    at_ground = pos["target"].astype(str) == "ground"
    orbital = at_ground & (pos["kind"].astype(str) == "orbital")
    where = {str(n): i for i, n in enumerate(pos["node"][at_ground].astype(str).tolist())}
    g_lon = pos["lon_deg"][at_ground].astype(np.float64)
    g_lat = pos["lat_deg"][at_ground].astype(np.float64)
    lk = _read(run, "links", ("a", "b", "kind"), t0)
    kinds = lk["kind"].astype(str)
    fig = go.Figure(_coastline())
    drawn, total, wrapped = 0, 0, 0
    gw_sites = _block(net, "gateway_sites")
    for kind in ("isl", "ground"):
        sel = np.flatnonzero(kinds == kind)
        total += sel.size
        if not sel.size:
            continue
        share = max(1, math.ceil(sel.size * (2 if kind == "isl" else 1) / MAX_MAP_LINKS))
        sel = sel[::share]
        ia = np.array([where.get(str(x), -1) for x in lk["a"][sel].astype(str).tolist()])
        if kind == "isl":
            ib = np.array([where.get(str(x), -1) for x in lk["b"][sel].astype(str).tolist()])
            ok = (ia >= 0) & (ib >= 0)
            la, lo, lb, lob = g_lat[ia[ok]], g_lon[ia[ok]], g_lat[ib[ok]], g_lon[ib[ok]]
        else:
            site = [gw_sites.get(str(x)) or (math.nan, math.nan) for x in lk["b"][sel].astype(str).tolist()]
            coords = np.array(site, dtype=np.float64).reshape(-1, 2)
            ok = (ia >= 0) & np.isfinite(coords[:, 0])
            la, lo = g_lat[ia[ok]], g_lon[ia[ok]]
            lb, lob = coords[ok, 0], coords[ok, 1]
        keep = np.abs(lo - lob) <= 180.0
        wrapped += int(np.sum(~keep))
        x, y = _segments(lo[keep], la[keep], lob[keep], lb[keep])
        drawn += int(keep.sum())
        colour, width = _KIND_STYLE[kind]
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines", name=f"{kind} links", line={"color": colour, "width": width},
                hoverinfo="skip", opacity=0.6 if kind == "isl" else 0.9,
            )
        )  # fmt: skip
    sats = np.flatnonzero(orbital[at_ground]) if orbital.any() else np.zeros(0, int)
    fig.add_trace(
        go.Scatter(
            x=g_lon[sats].astype(np.float32), y=g_lat[sats].astype(np.float32), mode="markers", name="satellites",
            marker={"size": 3, "color": "#16213a"}, hoverinfo="skip",
        )
    )  # fmt: skip
    if gw_sites:
        names = list(gw_sites)
        fig.add_trace(
            go.Scatter(
                x=[gw_sites[n][1] for n in names], y=[gw_sites[n][0] for n in names], mode="markers",
                name="gateways", text=names, hovertemplate="%{text}<extra></extra>",
                marker={"size": 8, "symbol": "triangle-up", "color": "#d62728"},
            )
        )  # fmt: skip
    _map_axes(fig)
    fig.update_layout(legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"})
    notes.append(
        f"The ISL graph and the latency map are drawn at the first recorded link step ({t0 / 3600:.2f} h into the "
        f"run); {drawn:,} of its {total:,} inter-satellite and ground links are drawn"
        + (f" ({wrapped:,} crossing the antimeridian are left out)" if wrapped else "")
        + ". Coastlines: Natural Earth 1:110m, shipped with orbitgrid (the page fetches nothing)."
    )
    body = cards + plots.div(fig, 700)
    # --- latency map per target: two panels a row, one colour scale (one colour bar, beside no legend)
    targets = list(dict.fromkeys(pos["target"].astype(str).tolist()))[:MAX_TARGETS]
    lat_ms = pos["latency_s"].astype(np.float64) * 1e3
    orbital_all = pos["kind"].astype(str) == "orbital"
    finite_all = lat_ms[orbital_all & np.isfinite(lat_ms)]
    cmax = float(np.max(finite_all)) if finite_all.size else 1.0
    cols = 2 if len(targets) > 1 else 1
    rows = -(-len(targets) // cols)
    height = 90 + (360 if cols == 2 else 640) * rows
    fig2 = make_subplots(
        rows=rows, cols=cols, subplot_titles=[f"one-way latency to {t}" for t in targets],
        vertical_spacing=90 / height, horizontal_spacing=0.06,
    )  # fmt: skip
    for k, target in enumerate(targets):
        r, col = k // cols + 1, k % cols + 1
        fig2.add_trace(_coastline(), row=r, col=col)
        sel = (pos["target"].astype(str) == target) & orbital_all
        z = lat_ms[sel]
        finite_z = np.isfinite(z)
        fig2.add_trace(
            go.Scatter(
                x=pos["lon_deg"][sel][finite_z].astype(np.float32), y=pos["lat_deg"][sel][finite_z].astype(np.float32),
                mode="markers", showlegend=False, hovertemplate="%{marker.color:.1f} ms<extra></extra>",
                marker={"size": 4, "color": z[finite_z].astype(np.float32), "coloraxis": "coloraxis"},
            ),
            row=r, col=col,
        )  # fmt: skip
        if (~finite_z).any():
            fig2.add_trace(
                go.Scatter(
                    x=pos["lon_deg"][sel][~finite_z].astype(np.float32),
                    y=pos["lat_deg"][sel][~finite_z].astype(np.float32), mode="markers", name="no path",
                    marker={"size": 4, "color": "#d62728", "symbol": "x"}, showlegend=k == 0, legendgroup="none",
                ),
                row=r, col=col,
            )  # fmt: skip
        ground = (pos["target"].astype(str) == target) & (pos["kind"].astype(str) == "ground")
        if ground.any():
            fig2.add_trace(
                go.Scatter(
                    x=pos["lon_deg"][ground].astype(np.float32), y=pos["lat_deg"][ground].astype(np.float32),
                    mode="markers", name="ground sites", showlegend=k == 0, legendgroup="ground",
                    marker={"size": 10, "symbol": "square", "color": "#8c564b"},
                ),
                row=r, col=col,
            )  # fmt: skip
    _map_axes(fig2, rows=rows, cols=cols)
    fig2.update_layout(
        coloraxis={
            "colorscale": "Viridis", "cmin": 0.0, "cmax": cmax,
            "colorbar": {"title": {"text": "one-way<br>latency ms"}, "len": 0.8, "y": 0.5, "yanchor": "middle"},
        },
        legend={"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "top", "yref": "container"},
        margin={"l": 64, "r": 24, "t": 70, "b": 48},
    )  # fmt: skip
    body += plots.div(fig2, height)
    # --- latency over the run
    allt = _read(run, "latency", ("t_s", "kind", "target", "latency_s"))
    sel = (allt["target"].astype(str) == "ground") & (allt["kind"].astype(str) == "orbital")
    times, inv = np.unique(allt["t_s"][sel], return_inverse=True)
    lat_all = allt["latency_s"][sel].astype(np.float64) * 1e3
    p50, p99, reach = (np.full(times.size, np.nan) for _ in range(3))
    for i in range(times.size):
        v = lat_all[inv == i]
        ok = np.isfinite(v)
        reach[i] = ok.mean() if v.size else np.nan
        if ok.any():
            p50[i], p99[i] = np.percentile(v[ok], [50, 99])
    fig3 = make_subplots(specs=[[{"secondary_y": True}]])
    hours = (times / 3600.0).astype(np.float32)
    fig3.add_trace(go.Scatter(x=hours, y=p50.astype(np.float32), name="latency to ground p50 (ms)"))
    fig3.add_trace(go.Scatter(x=hours, y=p99.astype(np.float32), name="p99 (ms)"))
    fig3.add_trace(
        go.Scatter(x=hours, y=reach.astype(np.float32), name="satellites with a path", line={"dash": "dot"}),
        secondary_y=True,
    )
    fig3.update_yaxes(title_text="ms", rangemode="tozero", secondary_y=False)
    fig3.update_yaxes(title_text="share", range=[0, 1.02], dtick=0.25, tickformat=".0%", secondary_y=True)
    fig3.update_xaxes(title_text=_hours_axis(run))
    fig3.update_layout(hovermode="x unified", legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"})
    body += plots.div(fig3, 360)
    # --- contact timeline per station
    if run.has("contacts"):
        body += _contacts(run, plots, net, notes)
    else:
        notes.append("No contacts.parquet: the contact timeline is not shown.")
    return body, tuple(notes)


def _block(d: dict[str, Any], key: str) -> dict[str, Any]:
    v = d.get(key)
    return v if isinstance(v, dict) else {}


def _ms(x: Any) -> str:
    return f"{1e3 * x:.1f} ms" if finite(x) else "–"


def _contacts(run: RunData, plots: _Plots, net: dict[str, Any], notes: list[str]) -> str:
    import plotly.graph_objects as go

    c = run.table("contacts", ("station", "rise_s", "set_s", "bytes"))
    station = c["station"].astype(str)
    if not station.size:
        notes.append("No contact windows in this run.")
        return ""
    step = float(net.get("link_step_s") or 600.0)
    horizon = run.duration_s if math.isfinite(run.duration_s) else float(np.max(c["set_s"]))
    edges = np.arange(0.0, horizon + step * 0.5, step)
    mid = edges[:-1] + step / 2
    names, inv = np.unique(station, return_inverse=True)
    dur = np.clip(c["set_s"] - c["rise_s"], 0, None)
    contact_h = np.bincount(inv, weights=dur, minlength=names.size) / 3600.0
    order = np.argsort(-contact_h, kind="stable")[:MAX_STATIONS]
    z = np.zeros((order.size, mid.size), dtype=np.uint16)
    for row, s in enumerate(order.tolist()):
        sel = inv == s
        rise, set_ = c["rise_s"][sel], c["set_s"][sel]
        z[row] = np.sum((rise[None, :] <= mid[:, None]) & (set_[None, :] > mid[:, None]), axis=1)
    fig = go.Figure(
        go.Heatmap(
            x=(mid / 3600.0).astype(np.float32), y=[str(names[s]) for s in order.tolist()], z=z,
            colorscale="Blues", colorbar={"title": "in view"},
            hovertemplate="%{y}: %{z} satellites at %{x:.2f} h<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(title_text=_hours_axis(run))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title="Satellites in view of each gateway (above its mask), most contact time first")
    if names.size > order.size:
        notes.append(
            f"The contact timeline shows the {order.size} of {names.size} gateways with the most contact time."
        )
    rows = [
        [
            str(names[s]),
            _num(int(np.sum(inv == s))),
            _num(contact_h[s], ",.1f"),
            _num(np.nansum(c["bytes"][inv == s]) / 1e12, ",.1f"),
        ]
        for s in order[:10].tolist()
    ]
    table = _table(["gateway", "passes", "contact hours", "TB over its passes"], rows)
    return plots.div(fig, 160 + 16 * order.size) + table
