"""Checkpoint arithmetic: a segment's progress, saved work and finish time by hand, and the Young/Daly intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orbitgrid.scheduling.checkpoint import (
    Segment,
    daly_interval_array_s,
    daly_interval_s,
    expected_wall_time_s,
    young_interval_s,
)

# Segment started at t0 = 100 s, 2 work units per second, restore 120 s, then cycles of 600 s compute + 60 s write.
# Compute runs over [220, 820), the first write over [820, 880) (saving 1200 units at 880), compute over [880, 1480)...
SEG = Segment(t0=100.0, rate=2.0, tau=600.0, delta=60.0, restore=120.0, saves=True)


@pytest.mark.parametrize(
    ("t", "progress", "saved"),
    [
        (50.0, 0.0, 0.0),  # before the start
        (100.0, 0.0, 0.0),
        (220.0, 0.0, 0.0),  # end of restore
        (520.0, 600.0, 0.0),  # 300 s of compute
        (820.0, 1200.0, 0.0),  # first interval done, write starts: nothing saved yet
        (850.0, 1200.0, 0.0),  # mid-write: no progress
        (880.0, 1200.0, 1200.0),  # write complete
        (1000.0, 1440.0, 1200.0),  # 120 s into the second interval
        (1540.0, 2400.0, 2400.0),  # second write (1480-1540) complete
    ],
)
def test_segment_progress_and_saved(t: float, progress: float, saved: float) -> None:
    assert SEG.progress(t) == pytest.approx(progress, abs=1e-9)
    assert SEG.saved(t) == pytest.approx(saved, abs=1e-9)
    assert SEG.compute_s(t) == pytest.approx(progress / 2.0, abs=1e-9)


def test_segment_finish_time() -> None:
    # 2400 units = 1200 s compute = two intervals; one write between them, none after the last: 100+120+1200+60
    assert SEG.finish_time(2400.0) == pytest.approx(1480.0)
    assert SEG.progress(1480.0) == pytest.approx(2400.0)
    # 2500 units = 1250 s compute: three stretches, two writes: 100+120+1250+120
    assert SEG.finish_time(2500.0) == pytest.approx(1590.0)
    assert SEG.progress(1590.0) == pytest.approx(2500.0)
    # exactly one interval: no write at all
    assert SEG.finish_time(1200.0) == pytest.approx(820.0)
    assert Segment(0.0, 0.0, 600.0, 60.0, 0.0, True).finish_time(1.0) == math.inf


def test_segment_checkpoint_ahead() -> None:
    # a write ending at 1000 started at 940, when progress was 2 x (600 + 60) = 1320 (more than the saved 1200)
    assert SEG.saved_if_checkpoint_ends_at(1000.0) == pytest.approx(1320.0)
    # to end at 850 the write starts at 790, before the periodic one (820-880) would have: 2 x 570 = 1140 saved
    assert SEG.saved_if_checkpoint_ends_at(850.0) == pytest.approx(1140.0)
    # the segment's very start: nothing to save
    assert SEG.saved_if_checkpoint_ends_at(150.0) == 0.0


def test_segment_without_checkpoints() -> None:
    never = Segment(t0=0.0, rate=3.0, tau=math.inf, delta=60.0, restore=10.0, saves=True)
    assert never.progress(110.0) == pytest.approx(300.0)
    assert never.saved(1e6) == 0.0
    assert never.finish_time(300.0) == pytest.approx(110.0)
    continuous = Segment(t0=0.0, rate=3.0, tau=math.inf, delta=60.0, restore=0.0, saves=False)
    assert continuous.saved(100.0) == continuous.progress(100.0) == pytest.approx(300.0)
    assert continuous.finish_time(300.0) == pytest.approx(100.0)


def test_daly_by_hand() -> None:
    # delta = 300 s, M = 1 h: Young sqrt(2 * 300 * 3600) = 1469.694 s; r = delta / 2M = 0.0416667,
    # sqrt(r)/3 = 0.0680414, r/9 = 0.0046296, so Daly = 1469.694 * 1.0726710 - 300 = 1276.498 s.
    assert young_interval_s(300.0, 3600.0) == pytest.approx(1469.694, abs=1e-3)
    assert daly_interval_s(300.0, 3600.0) == pytest.approx(1276.498, abs=1e-3)
    # delta = 10 min, M = 24 h: Young sqrt(2 * 600 * 86400) = 10182.338 s; r = 0.00347222, sqrt(r)/3 = 0.0196419,
    # r/9 = 0.000385802: Daly = 10182.338 * 1.0200277 - 600 = 9786.266 s.
    assert young_interval_s(600.0, 86400.0) == pytest.approx(10182.338, abs=1e-3)
    assert daly_interval_s(600.0, 86400.0) == pytest.approx(9786.266, abs=1e-3)
    # delta >= 2M: checkpoint once per MTBF (Daly eq. 37, second branch)
    assert daly_interval_s(100.0, 50.0) == 50.0
    assert daly_interval_s(60.0, math.inf) == math.inf
    assert daly_interval_s(0.0, 3600.0) == 0.0


@pytest.mark.parametrize("ratio", [1e-2, 1e-4, 1e-6, 1e-8])
def test_daly_tends_to_young(ratio: float) -> None:
    """Daly / Young - 1 = -(2/3) sqrt(r) + r/9 - ... with r = delta / 2M (the - delta term is sqrt(r) x Young)."""
    m = 3600.0
    d = ratio * m
    r = d / (2 * m)
    rel = daly_interval_s(d, m) / young_interval_s(d, m) - 1.0
    assert rel == pytest.approx(-2.0 / 3.0 * math.sqrt(r) + r / 9.0, abs=1e-12)
    assert abs(rel) < math.sqrt(ratio)


def test_daly_array_equals_scalar() -> None:
    mtbf = np.array([math.inf, 0.0, -5.0, 10.0, 29.9, 30.0, 31.0, 60.0, 3600.0, 1e9])
    for write in (0.0, 15.0, 60.0):
        got = daly_interval_array_s(write, mtbf)
        want = np.array([daly_interval_s(write, float(m)) for m in mtbf])
        np.testing.assert_array_equal(got, want)
    assert daly_interval_array_s(60.0, np.array(3600.0)).shape == ()


@pytest.mark.parametrize(("write", "mtbf"), [(60.0, 3600.0), (300.0, 86400.0), (30.0, 36000.0)])
def test_daly_minimises_expected_wall_time(write: float, mtbf: float) -> None:
    """Daly's interval is (to its stated order) the minimiser of his expected wall time: within 2 % of the argmin
    on a fine grid, and the wall time there within 1e-4 of the minimum."""
    taus = np.geomspace(0.2, 5.0, 4001) * young_interval_s(write, mtbf)
    wall = np.array([expected_wall_time_s(1e6, float(t), write, 120.0, mtbf) for t in taus])
    best = float(taus[int(np.argmin(wall))])
    daly = daly_interval_s(write, mtbf)
    assert daly == pytest.approx(best, rel=0.02)
    assert expected_wall_time_s(1e6, daly, write, 120.0, mtbf) == pytest.approx(wall.min(), rel=1e-4)


def test_expected_wall_time_without_failures() -> None:
    # 3600 s of compute in 600 s intervals: five writes between six intervals, one restore
    assert expected_wall_time_s(3600.0, 600.0, 60.0, 120.0, math.inf) == pytest.approx(120.0 + 3600.0 + 300.0)
