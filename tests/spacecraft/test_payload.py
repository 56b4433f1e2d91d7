"""Payload power: the DGX H100 anchor and whole-accelerator throttling."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.spacecraft.payload import Payload


def h100(count: int = 8) -> Payload:
    return Payload(model="H100", count=count, tdp_w=700.0, bf16_dense_flops=9.89e14, hbm_gb=80.0)


def test_dgx_h100_draws_its_published_10_2_kw() -> None:
    # NVIDIA DGX H100: 10.2 kW for 8 H100 SXM at 700 W (docs/sources.md §5).
    assert h100().full_load_w == pytest.approx(10_200.0, abs=1e-9)
    assert h100().power_w(8, 1.0) == pytest.approx(10_200.0)


def test_idle_and_partial_load() -> None:
    p = h100()
    assert p.power_w(8, 0.0) == pytest.approx(8 * (70.0 + 575.0))
    assert p.power_w(4, 0.5) == pytest.approx(4 * (70.0 + 0.5 * 630.0 + 575.0))
    assert p.power_w(0, 1.0) == 0.0


def test_accelerators_for_power_rounds_down_to_whole_units() -> None:
    p = h100()
    assert p.accelerators_for_power(10_200.0) == 8
    assert p.accelerators_for_power(10_199.0) == 7
    assert p.accelerators_for_power(1_274.0) == 0
    assert p.accelerators_for_power(1e9) == 8
    np.testing.assert_array_equal(p.accelerators_for_power(np.array([-5.0, 1275.0, 2550.0])), [0, 1, 2])
