"""Reclaiming lent quota by preemption (Kueue's ``reclaimWithinCohort: Any``, kubernetes-sigs/kueue docs "Preemption"):
a cohort member that needs GPUs of its own nominal quota back evicts the borrowers' jobs, lowest priority first,
never a borrower's jobs within its own nominal quota, and never for a job that would take its tenant beyond its
nominal quota; with reclaim off the lender waits."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.scheduling.engine import QUEUED, RUNNING
from orbitgrid.scheduling.live import CohortQuotas, LiveEngine, Quota
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import Contract, JobKind


def _job(eng, t, tenant, gpus, priority=0):
    eng.run_until(t)
    return eng.add_job(
        f"j{len(eng.kind)}",
        t,
        kind=int(JobKind.TRAINING),
        tenant=tenant,
        gpus=gpus,
        work_gpu_s=3600.0 * gpus,
        contract=int(Contract.ON_DEMAND),
        priority=priority,
        checkpoint_interval_s=600.0,
        checkpoint_write_s=10.0,
    )


def _cohort(make_fleet, reclaim=True):
    """One 16-GPU node; ``lender`` and ``borrower`` share cohort ``lab``, 8 nominal GPUs each."""
    pol = CohortQuotas(make_policy("priority"), reclaim=reclaim)
    eng = LiveEngine(make_fleet([16], 600, rates=(0.0, 0.0, 0.0)), pol, np.random.default_rng(0))
    for name in ("lender", "borrower"):
        eng.add_tenant(name)
    pol.quotas = {0: Quota("lab", nominal_gpus=8), 1: Quota("lab", nominal_gpus=8)}
    eng.prime()
    return eng, pol


@pytest.mark.parametrize("reclaim", [True, False])
def test_a_lender_takes_its_nominal_quota_back(make_fleet, reclaim: bool) -> None:
    eng, pol = _cohort(make_fleet, reclaim)
    low = [_job(eng, 0.0, 1, 4, priority=0) for _ in range(2)]
    high = [_job(eng, 1.0, 1, 4, priority=5) for _ in range(2)]
    eng.run_until(5.0)
    assert eng.tenant_busy == [0, 16]  # the borrower holds the lender's 8 unused GPUs too
    mine = _job(eng, 10.0, 0, 8)
    eng.run_until(11.0)
    if not reclaim:
        assert eng.state[mine] == QUEUED and eng.tenant_busy == [0, 16]
        return
    # the lender's job starts at once; the borrower's two low-priority jobs went, its high-priority ones stay
    assert eng.state[mine] == RUNNING and eng.first_start[mine] == 10.0
    assert [eng.state[j] for j in low] == [QUEUED, QUEUED] and [eng.state[j] for j in high] == [RUNNING, RUNNING]
    assert eng.tenant_busy == [8, 8] and [eng.preemptions[j] for j in low] == [1, 1]
    ev = [e for e in eng.log if e.kind == "preempted"]
    assert sorted(e.job for e in ev) == low and all(e.t_s == 10.0 for e in ev)
    assert all(e.detail["by_job"] == f"j{mine}" and e.detail["by_tenant"] == "lender" for e in ev)
    assert all("reclaimed" in e.detail["reason"] for e in ev)
    # nobody is above its nominal quota now: the evicted jobs wait for GPUs within the borrower's quota
    assert pol.borrowers(eng, "lab", 0) == [] and pol.admit(eng, low[0], 10.0) is False


def test_no_reclaim_beyond_the_lenders_nominal_quota_or_below_the_borrowers(make_fleet) -> None:
    eng, _ = _cohort(make_fleet)
    b = [_job(eng, 0.0, 1, 4) for _ in range(3)]  # 12 GPUs: 4 borrowed
    eng.run_until(5.0)
    big = _job(eng, 6.0, 0, 12)  # more than the lender's nominal 8: it may only borrow, never reclaim
    eng.run_until(6.5)
    assert eng.state[big] == QUEUED and [eng.state[j] for j in b] == [RUNNING] * 3
    eng.cancel(big, 6.5)
    small = [_job(eng, 7.0, 0, 4) for _ in range(2)]  # 4 GPUs are free; the second takes back the 4 lent
    eng.run_until(7.5)
    assert [eng.state[j] for j in small] == [RUNNING, RUNNING]
    assert sum(eng.state[j] == RUNNING for j in b) == 2 and eng.tenant_busy == [8, 8]
    # the borrower is at its nominal quota: another lender job beyond 8 evicts nothing
    more = _job(eng, 8.0, 0, 4)
    eng.run_until(8.5)
    assert eng.state[more] == QUEUED and eng.tenant_busy == [8, 8]


def test_kueue_replay_with_reclaim_keeps_the_quota_rules() -> None:
    """The small Kueue baseline replayed with reclaim: the cohort rules of tests/scheduling/test_kueue.py hold at
    every admission (re-admissions after a reclaim included), lenders did reclaim, and every workload still held
    its GPUs for its whole run time (a preempted one over its runs)."""
    from test_kueue import _checker, _small_baseline

    from orbitgrid.scheduling import kueue

    config = _small_baseline(4)
    w = kueue.generate(config)
    log: list = []
    r = kueue.replay(config, on_admit=_checker(w.quotas, log), reclaim=True)
    n = w.t_s.size
    eng = r.engine
    preempted = [e for e in eng.log if e.kind == "preempted"]
    assert preempted and all("reclaimed" in e.detail["reason"] for e in preempted)
    assert len(log) == n + len(preempted)  # each eviction is followed by one more admission
    held = np.zeros(n)
    for run in eng.runs:
        if run.job < n:
            held[run.job] += run.end_s - run.start_s
    np.testing.assert_allclose(held, w.runtime_s, atol=1e-9)


def test_the_cohorts_follow_every_change_of_the_quotas() -> None:
    """The quota check reads each cohort's members from a cache (CohortQuotas.cohorts); a changed limit, an added or
    replaced quota and a new mapping all show at the next check."""

    from types import SimpleNamespace

    eng = SimpleNamespace(tenant_busy=[6, 2, 0])  # what the check reads of the engine
    pol = CohortQuotas(make_policy("priority"))
    pol.quotas = {0: Quota("lab", nominal_gpus=8), 1: Quota("lab", nominal_gpus=8)}
    assert pol.pool(eng, "lab") == (8, 16) and pol.borrowable(eng, 0) == 6
    pol.quotas[1].lending_limit_gpus = 2  # lends 2 of its 8: guaranteed 6, and it holds 2
    assert pol.pool(eng, "lab") == (6, 10) and pol.borrowable(eng, 0) == 2
    pol.quotas[2] = Quota("lab", nominal_gpus=4)
    assert pol.pool(eng, "lab") == (6, 14) and pol.borrowable(eng, 0) == 6
    pol.quotas.setdefault(3, Quota("other", nominal_gpus=4))
    assert set(pol.cohorts()) == {"lab", "other"}
    pol.quotas[2] = Quota(None, nominal_gpus=4)
    assert pol.pool(eng, "lab") == (6, 10)
    pol.quotas = {0: Quota("lab", nominal_gpus=4)}
    assert pol.pool(eng, "lab") == (6, 4) and pol.borrowers(eng, "lab", 1) == [0]
