"""The report's "GPU allocation and fragmentation" section on a small run directory written by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orbitgrid.report.allocation import allocation_section
from orbitgrid.report.data import Missing, RunData
from orbitgrid.report.html import _Plots


def _run(tmp_path: Path, never_fits: dict[str, int]) -> RunData:
    t = np.arange(4) * 3600.0
    pq.write_table(
        pa.table(
            {
                "t_s": t,
                "requested_gpus": np.array([4.0, 6.0, 6.0, 2.0]),
                "allocated_gpus": np.array([2.0, 3.0, 3.0, 2.0]),
                "occupied_gpus": np.array([3, 4, 4, 2]),
                "fragmented_gpus": np.array([0.5, 1.5, 1.0, 0.0]),
                "stranded_gpus": np.array([0.0, 2.0, 1.0, 0.0]),
                "queued_jobs": np.array([1, 2, 2, 0]),
            }
        ),
        tmp_path / "allocation.parquet",
    )
    summary = {"epoch": "2027-03-20T00:00:00Z", "allocation": {"installed_gpus": 16}, "never_fits": never_fits}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    return RunData(tmp_path)


def test_cards_curves_and_reasons(tmp_path: Path) -> None:
    why = "never_fits: needs 16 GPUs on one node, largest node has 8"
    body, notes = allocation_section(_run(tmp_path, {why: 3}), _Plots())
    # means over the four samples: requested 4.5, allocated 2.5 (55.6 %), fragmented 0.8 / peak 1.5, stranded 0.8 / 2.0
    for text in (">4.5<", ">2.5<", ">55.6 %<", ">0.8 / 1.5<", ">0.8 / 2.0<", ">3<", why):
        assert text in body, text
    for name in ("requested GPUs", "allocated GPUs", "occupied GPUs", "fragmented GPUs", "stranded GPUs"):
        assert f'"name":"{name}"' in body
    assert any("openb paper" in n for n in notes)


def test_omitted_without_the_table(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}")
    with pytest.raises(Missing, match=r"allocation\.parquet"):
        allocation_section(RunData(tmp_path), _Plots())
