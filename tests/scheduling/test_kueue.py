"""Kueue's performance scenario through the service's scheduler: the generator reproduces Kueue's baseline
configuration, and on small versions the cohort quota semantics (nominal quota, borrowing limit, lending limit)
hold at every admission, checked from their definitions, not from the scheduler's own code."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from orbitgrid.scheduling import kueue
from orbitgrid.scheduling.kueue import CohortSet, QueueSet, WorkloadClass, WorkloadSet


def _small_baseline(lending: int | None) -> tuple[CohortSet, ...]:
    """Kueue's baseline shapes at a tenth of the volume: 2 cohorts of 3 queues (nominal 20, borrowing 100), and a
    third queue per cohort that lends at most ``lending`` of its nominal 20."""
    sets = (
        WorkloadSet(35, 0.1, (WorkloadClass("small", 0.2, 50, 1),)),
        WorkloadSet(10, 0.5, (WorkloadClass("medium", 0.5, 100, 5),)),
        WorkloadSet(5, 1.2, (WorkloadClass("large", 1.0, 200, 20),)),
    )
    return (
        CohortSet(
            "c",
            2,
            (
                QueueSet("cq", 3, 20, 100, None, sets),
                QueueSet("tight", 1, 20, 10, lending, sets[:1]),
            ),
        ),
    )


def _checker(quotas: list, log: list) -> object:
    """An ``on_admit`` hook asserting Kueue's quota rules after every admission (module docstring)."""
    cohorts: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(quotas):
        cohorts[q.cohort].append(i)

    def check(eng, j: int, t: float) -> None:
        busy = eng.tenant_busy
        me = eng.tenant[j]
        q = quotas[me]
        assert busy[me] <= q.nominal_gpus + (q.borrowing_limit_gpus if q.borrowing_limit_gpus is not None else 10**9)
        members = cohorts[q.cohort]
        borrowed = sum(max(busy[m] - quotas[m].nominal_gpus, 0) for m in members)
        lendable_unused = 0
        for m in members:
            unused = max(quotas[m].nominal_gpus - busy[m], 0)
            limit = quotas[m].lending_limit_gpus
            lendable_unused += unused if limit is None else min(unused, limit)
        assert borrowed <= lendable_unused, (t, q.cohort, borrowed, lendable_unused)
        assert sum(busy[m] for m in members) <= sum(quotas[m].nominal_gpus for m in members)
        log.append((t, me, busy[me], borrowed, lendable_unused))

    return check


@pytest.mark.parametrize("lending", [None, 4])
def test_quotas_hold_at_every_admission(lending: int | None) -> None:
    config = _small_baseline(lending)
    w = kueue.generate(config)
    log: list = []
    r = kueue.replay(config, on_admit=_checker(w.quotas, log))
    n = w.t_s.size
    assert n == 2 * (3 * 50 + 35)
    eng = r.engine
    first = np.asarray(eng.first_start[:n])
    end = np.asarray(eng.end[:n])
    # every workload admitted once, after its creation, and held its GPUs for exactly its run time
    assert len(log) == n and np.all(r.admitted_after_s >= 0)
    np.testing.assert_allclose(end - first, w.runtime_s, atol=1e-9)
    # the scenario exercises borrowing: queues went beyond their nominal quota, and some admissions waited
    assert max(b for *_, b, _ in log) > 0
    assert r.mean_admission_s()["small"] > 0
    # and the limits bound: at some admissions the cohort had lent all it could
    assert any(b == lu and b > 0 for *_, b, lu in log)
    tight = [i for i, name in enumerate(w.queues) if name.startswith("tight")]
    assert len(tight) == 2 and all(w.quotas[i].lending_limit_gpus == lending for i in tight)


def test_lent_quota_is_not_taken_twice() -> None:
    """A queue within its nominal quota waits while a borrower holds its lent-out GPUs (the cohort never holds
    more than its members' nominal quotas); it starts when the borrower's job ends."""
    config = (
        CohortSet(
            "c",
            1,
            (
                QueueSet("a", 1, 8, 8, None, (WorkloadSet(2, 0.1, (WorkloadClass("a", 10.0, 0, 8),)),)),
                QueueSet("b", 1, 8, 0, None, (WorkloadSet(1, 0.3, (WorkloadClass("b", 10.0, 0, 8),)),)),
            ),
        ),
    )
    w = kueue.generate(config)
    r = kueue.replay(config, on_admit=_checker(w.quotas, []))
    delay = dict(zip(w.cls, r.admitted_after_s, strict=False))
    b = w.cls.index("b")
    assert r.admitted_after_s[b] == pytest.approx(10.1 - 0.3)  # a's first job ends at 0.1 + 10
    assert delay["a"] == 0.0


def test_baseline_generator_matches_kueues_configuration() -> None:
    w = kueue.generate(kueue.BASELINE)
    assert w.t_s.size == 15_000 and len(w.queues) == 30
    cls = np.array(w.cls)
    assert {c: int((cls == c).sum()) for c in ("small", "medium", "large")} == {
        "small": 10_500,
        "medium": 3_000,
        "large": 1_500,
    }
    assert {q.nominal_gpus for q in w.quotas} == {20} and {q.borrowing_limit_gpus for q in w.quotas} == {100}
    assert len({q.cohort for q in w.quotas}) == 5
    # each stream's first workload comes one interval after the start; the last large one at 50 x 1.2 s
    assert w.t_s.min() == pytest.approx(0.1) and w.t_s.max() == pytest.approx(60.0)
    demand = {c: float(np.sum((w.runtime_s * w.request)[cls == c])) for c in ("small", "medium", "large")}
    assert demand == pytest.approx({"small": 2_100.0, "medium": 7_500.0, "large": 30_000.0})
