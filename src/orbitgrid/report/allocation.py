"""The report's "GPU allocation and fragmentation" section, from ``allocation.parquet`` and summary.json.

* cards: mean requested and allocated GPUs and their ratio, mean and peak fragmented and stranded GPUs, and the jobs
  that could never fit;
* over time: GPUs requested by the jobs in the system, allocated to running jobs (by share: a 0.5-GPU pod counts
  half), occupied (GPUs holding any job), fragmented by the openb paper's measure for the run's mix of requests,
  and stranded (free share no waiting job can use);
* a table of the reasons jobs could never fit (``jobs.parquet``'s ``reason`` for ``never_fits`` jobs, counted in
  summary.json's ``never_fits``).

Definitions in docs/models.md, "GPU sharing, CPU and memory, fragmentation".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orbitgrid.report.data import Missing, RunData
from orbitgrid.report.html import MAX_POINTS, _bin_means, _Body, _cards, _hours_axis, _num, _pct, _Plots, _table

__all__ = ["allocation_section"]

_SERIES = (
    ("requested_gpus", "requested", {"color": "#7f7f7f", "dash": "dash", "width": 1.5}),
    ("allocated_gpus", "allocated", {"color": "#1f77b4", "width": 1.5}),
    ("occupied_gpus", "occupied", {"color": "#2ca02c", "width": 1}),
    ("fragmented_gpus", "fragmented", {"color": "#d62728", "width": 1.5}),
    ("stranded_gpus", "stranded", {"color": "#ff7f0e", "width": 1}),
)


def allocation_section(run: RunData, plots: _Plots) -> _Body:
    import plotly.graph_objects as go

    a = run.table("allocation", ("t_s", *(c for c, _, _ in _SERIES)))
    t = a["t_s"]
    if t.size == 0:
        raise Missing("allocation.parquet has no rows")
    s: dict[str, Any] = run.summary.get("allocation") or {}
    req = float(np.mean(a["requested_gpus"]))
    alloc = float(np.mean(a["allocated_gpus"]))
    never: dict[str, Any] = run.summary.get("never_fits") or {}
    cards = [
        ("GPUs requested (mean)", _num(req, ",.1f")),
        ("GPUs allocated (mean)", _num(alloc, ",.1f")),
        ("allocated / requested", _pct(alloc / req if req > 0 else float("nan"))),
        ("fragmented GPUs (mean / peak)", f"{_num(np.mean(a['fragmented_gpus']), ',.1f')} / "
         f"{_num(np.max(a['fragmented_gpus']), ',.1f')}"),
        ("stranded GPUs (mean / peak)", f"{_num(np.mean(a['stranded_gpus']), ',.1f')} / "
         f"{_num(np.max(a['stranded_gpus']), ',.1f')}"),
        ("jobs that never fit", _num(sum(int(v) for v in never.values()))),
    ]  # fmt: skip
    if s.get("installed_gpus"):
        cards.insert(0, ("GPUs installed", _num(s["installed_gpus"])))
    k = max(1, -(-t.size // MAX_POINTS))
    hours = _bin_means(t / 3600.0, k).astype(np.float32)
    fig = go.Figure()
    for col, label, line in _SERIES:
        y = _bin_means(a[col].astype(np.float64), k).astype(np.float32)
        fig.add_trace(
            go.Scatter(x=hours, y=y, name=f"{label} GPUs", mode="lines", line=line, hovertemplate="%{y:,.1f}")
        )
    fig.update_layout(
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom"},
        xaxis_title=_hours_axis(run),
        yaxis={"title": "GPUs", "rangemode": "tozero"},
    )
    body = _cards(cards) + plots.div(fig, 420)
    if never:
        rows = [[str(why), _num(n)] for why, n in sorted(never.items(), key=lambda kv: -int(kv[1]))]
        body += _table(["why the job could never fit", "jobs"], rows)
    notes = [
        "Requested: the GPU demand of the jobs queued or running, by share (a 0.5-GPU pod counts half). Allocated: "
        "the share running jobs hold. Occupied: GPUs holding at least one job.",
        "Fragmented: the openb paper's measure (Weng et al., USENIX ATC 2023) for this run's mix of requests: the "
        "free GPU share the next job, drawn from that mix, is expected not to be able to use (on a node too small for "
        "it, or a GPU with too little share left). Stranded: free share that no job waiting at that moment can use.",
        f"From allocation.parquet ({t.size:,} sample times" + (f"; each point the mean of {k}" if k > 1 else "") + ").",
    ]
    return body, tuple(notes)
