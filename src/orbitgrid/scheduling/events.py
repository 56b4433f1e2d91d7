"""The event queue: a binary heap ordered by ``(time, priority, sequence)``.

Ties in time are broken by priority (lower first), then by insertion order, so a run is a pure function of its
inputs and seed (the SimPy ordering; ARCHITECTURE.md §5). Cancelled events are not removed from the heap: handlers
carry a version number and ignore stale events (lazy deletion), which keeps push and pop ``O(log n)``.
"""

from __future__ import annotations

import heapq
from enum import IntEnum


class Priority(IntEnum):
    """Order of events at the same instant: capacity first (so decisions see it), arrivals last."""

    CAPACITY = 0
    COMPLETION = 1
    FAULT = 2
    RESUME = 3
    ARRIVAL = 4


class EventQueue:
    """A heap of ``(t_s, priority, seq, kind, a, b)`` tuples; ``kind``, ``a``, ``b`` are small ints for handlers."""

    __slots__ = ("_heap", "_seq", "popped")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, int, int, int]] = []
        self._seq = 0
        self.popped = 0

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, t_s: float, priority: int, kind: int, a: int = 0, b: int = 0) -> int:
        seq = self._seq
        self._seq = seq + 1
        heapq.heappush(self._heap, (t_s, priority, seq, kind, a, b))
        return seq

    def pop(self) -> tuple[float, int, int, int, int, int]:
        self.popped += 1
        return heapq.heappop(self._heap)

    def peek_time(self) -> float:
        return self._heap[0][0] if self._heap else float("inf")

    def peek(self) -> tuple[float, int, int, int, int, int] | None:
        return self._heap[0] if self._heap else None


# Event kinds (the ``kind`` of a queued event)
ARRIVAL, COMPLETION, FAULT, WAKE, RETURN = 0, 1, 2, 3, 4
