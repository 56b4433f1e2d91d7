"""The event queue pops in ``(time, priority, insertion order)`` order, whatever the order of pushes and pops."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orbitgrid.scheduling.events import EventQueue, Priority

# few distinct times and priorities, so that ties are the common case
_event = st.tuples(st.sampled_from([0.0, 1.0, 1.5, 60.0]), st.sampled_from(list(Priority)), st.integers(0, 2))


@given(st.lists(_event, max_size=60))
def test_pops_in_sorted_order(events: list[tuple[float, int, int]]) -> None:
    q = EventQueue()
    for i, (t, p, kind) in enumerate(events):
        q.push(t, p, kind, a=i)
    expected = sorted((t, int(p), i) for i, (t, p, _) in enumerate(events))
    popped = [q.pop() for _ in range(len(events))]
    assert [(e[0], e[1], e[4]) for e in popped] == expected
    assert [e[2] for e in popped] == [i for _, _, i in expected]  # the sequence number is the push order
    assert len(q) == 0 and q.peek() is None and q.peek_time() == float("inf")
    assert q.popped == len(events)


@given(st.lists(st.one_of(_event, st.none()), max_size=80))
def test_interleaved_pushes_and_pops(ops: list[tuple[float, int, int] | None]) -> None:
    """``None`` pops; the model is a plain list whose minimum by (time, priority, push index) must come out."""
    q = EventQueue()
    model: list[tuple[float, int, int]] = []
    for i, op in enumerate(ops):
        if op is None:
            if not model:
                continue
            want = min(model)
            model.remove(want)
            assert q.peek_time() == want[0]
            got = q.pop()
            assert (got[0], got[1], got[4]) == want
        else:
            q.push(op[0], op[1], op[2], a=i)
            model.append((op[0], int(op[1]), i))
        assert len(q) == len(model)


def test_priority_order_at_one_instant() -> None:
    """Capacity changes come before completions, faults, resumes and arrivals at the same time."""
    q = EventQueue()
    for p in reversed(Priority):
        q.push(5.0, p, 0)
    assert [q.pop()[1] for _ in Priority] == sorted(int(p) for p in Priority)
    assert min(Priority) == Priority.CAPACITY and max(Priority) == Priority.ARRIVAL
