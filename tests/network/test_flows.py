"""Flows with contention: max-min fair rates by progressive filling and completion times, checked by hand and
against the bottleneck characterisation of max-min fairness (Bertsekas & Gallager, *Data Networks*, 2nd ed.,
sec. 6.5.2: a feasible allocation is max-min fair if and only if every flow crosses a saturated link on which no
other flow has a larger rate)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitgrid.network import routing as rt


def chain(delay_s: float = 1e-3) -> rt.StepGraph:
    """A - B - C (nodes 0, 1, 2): A-B carries 80 bit/s each way, B-C 32 bit/s."""
    return rt.graph_from_edges(3, np.array([[0, 1], [1, 2]]), np.full(2, delay_s), np.array([80.0, 32.0]))


def test_max_min_rates_hand_case() -> None:
    """Flows A->C, A->B, B->C on the chain: B-C splits 16/16, A->B takes the 64 A-B has left."""
    # resources: 0 = A->B, 1 = B->C
    rates = rt.max_min_fair_rates(np.array([0, 0, 1, 2]), np.array([0, 1, 0, 1]), np.array([80.0, 32.0]), 3)
    np.testing.assert_allclose(rates, [16.0, 64.0, 16.0], rtol=1e-12)
    # A flow with no resource (or only unlimited ones) is not limited.
    rates = rt.max_min_fair_rates(np.array([0, 1]), np.array([0, 1]), np.array([10.0, np.inf]), 3)
    np.testing.assert_array_equal(rates, [10.0, np.inf, np.inf])


def test_flow_completion_times_hand_case() -> None:
    """Five flows on the chain (1 ms per hop), worked by hand:

    * t in [0, 4): A->C 16, A->B 64, B->C 16 bit/s; B->A (the other direction, its own capacity) 80 until its 160
      bits are through at 2 s.
    * B->C's 64 bits finish at 4 s. A->C has 256 bits left, A->B 224; now A->C is limited by B-C to 32 and A->B
      gets 48: A->B finishes at 4 + 224/48 = 8.667 s, when A->C has 106.67 bits left.
    * At 9 s (96 bits left for A->C) a second A->B flow of 80 bits starts: 32 / 48 again, so it ends at
      9 + 80/48 = 10.667 s and A->C at 10.667 + (96 - 53.33)/32 = 12 s.

    Completion adds the path latency: 2 ms for A->C, 1 ms for the others.
    """
    flows = rt.Flows(
        src=np.array([0, 0, 1, 0, 1]),
        dst=np.array([2, 1, 2, 1, 0]),
        size_bytes=np.array([40.0, 60.0, 8.0, 10.0, 20.0]),
        start_s=np.array([0.0, 0.0, 0.0, 9.0, 0.0]),
    )
    out = rt.simulate_flows(flows, [chain()], np.array([0.0]))
    expected = np.array([12.0 + 2e-3, 4 + 224 / 48 + 1e-3, 4.0 + 1e-3, 9 + 80 / 48 + 1e-3, 2.0 + 1e-3])
    np.testing.assert_allclose(out.finish_s, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(out.latency_s, [2e-3, 1e-3, 1e-3, 1e-3, 1e-3], rtol=1e-12)


def test_an_idle_gap_between_flows() -> None:
    """The second flow starts after the first is through (nothing active in between): each runs alone, at the
    A-B capacity of the chain (80 bit/s, 1 ms)."""
    flows = rt.Flows(
        src=np.array([0, 0]), dst=np.array([1, 1]), size_bytes=np.array([20.0, 20.0]), start_s=np.array([0.0, 10.0])
    )
    out = rt.simulate_flows(flows, [chain()], np.array([0.0]))
    np.testing.assert_allclose(out.finish_s, [2.0 + 1e-3, 12.0 + 1e-3], rtol=0, atol=1e-9)


def test_flow_waits_for_a_path_and_is_rerouted_between_steps() -> None:
    """Step 0 (t < 5 s): only A-B exists, the A->C flow waits. Step 1 (5-7 s): A-B-C at 16 bit/s, 32 of its 80 bits
    go through. Step 2 (from 7 s): a direct A-C link at 32 bit/s carries the remaining 48 bits in 1.5 s."""
    g0 = rt.graph_from_edges(3, np.array([[0, 1]]), np.array([1e-3]), np.array([16.0]))
    g1 = rt.graph_from_edges(3, np.array([[0, 1], [1, 2]]), np.array([1e-3, 1e-3]), np.array([16.0, 16.0]))
    g2 = rt.graph_from_edges(3, np.array([[0, 2]]), np.array([5e-3]), np.array([32.0]))
    flows = rt.Flows(np.array([0]), np.array([2]), np.array([10.0]), np.array([1.0]))
    out = rt.simulate_flows(flows, [g0, g1, g2], np.array([0.0, 5.0, 7.0]))
    assert out.finish_s[0] == pytest.approx(8.5 + 5e-3, abs=1e-9)
    never = rt.simulate_flows(flows, [g0], np.array([0.0]))
    assert never.finish_s[0] == np.inf


def test_downlinks_and_uploads_use_the_nearest_gateway() -> None:
    """Satellites 0 - 1 - gateway 2 (sat links 100 bit/s, downlink 50 bit/s). Two checkpoint downlinks share 1->2
    at 25 each: the 400-bit one ends at 16 s, the 800-bit one then gets 50 and ends at 16 + 400/50 = 24 s. An
    upload from the ground to satellite 0 runs the other way at 50 and ends at 4 s."""
    g = rt.graph_from_edges(3, np.array([[0, 1], [1, 2]]), np.array([0.0, 0.0]) + 1e-3, np.array([100.0, 50.0]), 1)
    flows = rt.Flows(
        src=np.array([0, 1, rt.ANY_GATEWAY, 2]),
        dst=np.array([rt.ANY_GATEWAY, rt.ANY_GATEWAY, 0, 2]),
        size_bytes=np.array([100.0, 50.0, 25.0, 1e9]),
        start_s=np.zeros(4),
    )
    out = rt.simulate_flows(flows, [g], np.array([0.0]))
    np.testing.assert_allclose(out.finish_s, [24.0 + 2e-3, 16.0 + 1e-3, 4.0 + 2e-3, 0.0], atol=1e-9)


@st.composite
def contention_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n_flows = draw(st.integers(1, 12))
    n_res = draw(st.integers(1, 10))
    cap = np.array(draw(st.lists(st.floats(1.0, 1e3), min_size=n_res, max_size=n_res)))
    f: list[int] = []
    r: list[int] = []
    for k in range(n_flows):
        uses = draw(st.sets(st.integers(0, n_res - 1), min_size=1, max_size=n_res))
        f += [k] * len(uses)
        r += sorted(uses)
    return np.array(f), np.array(r), cap, n_flows


@settings(max_examples=150, deadline=None)
@given(contention_cases())
def test_progressive_filling_is_max_min_fair(case: tuple[np.ndarray, np.ndarray, np.ndarray, int]) -> None:
    f, r, cap, n = case
    rates = rt.max_min_fair_rates(f, r, cap, n)
    load = np.bincount(r, weights=rates[f], minlength=cap.size)
    assert np.all(load <= cap * (1 + 1e-9))
    saturated = load >= cap * (1 - 1e-9)
    top = np.zeros(cap.size)
    np.maximum.at(top, r, rates[f])
    for k in range(n):
        mine = r[f == k]
        assert np.any(saturated[mine] & (rates[k] >= top[mine] * (1 - 1e-9)))
