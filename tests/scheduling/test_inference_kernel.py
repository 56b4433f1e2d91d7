"""The inference slot kernel against its plain-Python heapq oracle, and hand cases."""

from __future__ import annotations

import numpy as np

from orbitgrid.scheduling.inference import serve_fifo_slots, serve_fifo_slots_reference


def test_kernel_matches_the_heapq_oracle_on_random_streams() -> None:
    rng = np.random.default_rng(5)
    for n_slots in (1, 3, 64):
        arrival = np.sort(rng.uniform(0, 1000, 4000))
        prefill = rng.uniform(0.01, 0.5, arrival.size)
        decode = rng.uniform(0.1, 20.0, arrival.size)
        starts = np.array([0.0, 300.0, 700.0])
        ends = np.array([250.0, 650.0, 900.0])
        a = serve_fifo_slots(arrival, prefill, decode, starts, ends, n_slots)
        b = serve_fifo_slots_reference(arrival, prefill, decode, starts, ends, n_slots)
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_allclose(a[0], b[0], rtol=0, atol=1e-9)


def test_hand_case_one_slot_queue_and_downtime() -> None:
    # One slot, up on [0, 10) and [20, 30). Request 0 at t=0: prefill 1 + decode 3 -> slot free at 4, TTFT 1.
    # Request 1 at t=1 waits for the slot (4) -> TTFT = 4 + 1 - 1 = 4. Request 2 at t=12 (service down) waits for
    # t=20 -> TTFT = 20 + 1 - 12 = 9. Request 3 at t=31 finds no interval -> not served.
    arrival = np.array([0.0, 1.0, 12.0, 31.0])
    prefill = np.ones(4)
    decode = np.full(4, 3.0)
    ttft, seg = serve_fifo_slots(arrival, prefill, decode, np.array([0.0, 20.0]), np.array([10.0, 30.0]), 1)
    np.testing.assert_allclose(ttft[:3], [1.0, 4.0, 9.0])
    assert np.isinf(ttft[3])
    assert seg.tolist() == [0, 0, 1, -1]
