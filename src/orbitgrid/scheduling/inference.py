"""Serving an inference request stream on a pool of sequence slots that is up only in given intervals.

A service with ``n_slots`` concurrent sequences (GPUs x batch) serves requests in arrival order: a request starts
when the service is up and a slot is free, holds the slot for ``prefill + decode`` seconds, and its first token comes
``prefill`` seconds after it starts. When the service is down at a request's arrival, the request waits for the next
up interval; requests arriving after the last interval ends are not served (first token ``inf``). Requests that are
in progress when an interval ends finish on their slot (the replay does not model mid-request eviction).

:func:`serve_fifo_slots` is a numba kernel (a binary min-heap of slot free times, ``O(log n_slots)`` per request);
:func:`serve_fifo_slots_reference` is the plain-Python oracle it is tested against.
"""

from __future__ import annotations

import heapq

import numpy as np

from orbitgrid._jit import kernel


@kernel(cache=True)
def _sift_down(heap: np.ndarray, n: int) -> None:
    i = 0
    x = heap[0]
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and heap[c + 1] < heap[c]:
            c += 1
        if heap[c] >= x:
            break
        heap[i] = heap[c]
        i = c
    heap[i] = x


@kernel(cache=True)
def serve_fifo_slots(
    arrival_s: np.ndarray,
    prefill_s: np.ndarray,
    decode_s: np.ndarray,
    up_start_s: np.ndarray,
    up_end_s: np.ndarray,
    n_slots: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(time to first token without network, index of the up interval that served it or -1)`` per request.

    ``arrival_s`` must be sorted; the up intervals sorted and disjoint.
    """
    n = arrival_s.shape[0]
    ttft = np.full(n, np.inf)
    seg_of = np.full(n, -1, dtype=np.int64)
    heap = np.zeros(max(n_slots, 1))  # slot free times; all free at t = 0 (a min-heap with equal keys)
    seg = 0
    n_seg = up_start_s.shape[0]
    for r in range(n):
        t = arrival_s[r]
        while seg < n_seg and up_end_s[seg] <= t:
            seg += 1
        if seg >= n_seg:
            break
        if t < up_start_s[seg]:
            t = up_start_s[seg]
        begin = heap[0] if heap[0] > t else t
        heap[0] = begin + prefill_s[r] + decode_s[r]
        _sift_down(heap, heap.shape[0])
        ttft[r] = begin + prefill_s[r] - arrival_s[r]
        seg_of[r] = seg
    return ttft, seg_of


def serve_fifo_slots_reference(
    arrival_s: np.ndarray,
    prefill_s: np.ndarray,
    decode_s: np.ndarray,
    up_start_s: np.ndarray,
    up_end_s: np.ndarray,
    n_slots: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The same service in plain Python with ``heapq`` (the oracle of :func:`serve_fifo_slots`)."""
    n = arrival_s.shape[0]
    ttft = np.full(n, np.inf)
    seg_of = np.full(n, -1, dtype=np.int64)
    slots = [0.0] * max(n_slots, 1)
    seg = 0
    for r in range(n):
        t = float(arrival_s[r])
        while seg < up_start_s.size and up_end_s[seg] <= t:
            seg += 1
        if seg >= up_start_s.size:
            break
        t = max(t, float(up_start_s[seg]))
        free_at = heapq.heappop(slots)
        begin = max(t, free_at)
        heapq.heappush(slots, begin + float(prefill_s[r]) + float(decode_s[r]))
        ttft[r] = begin + float(prefill_s[r]) - float(arrival_s[r])
        seg_of[r] = seg
    return ttft, seg_of
