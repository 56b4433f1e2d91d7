"""The live engine (jobs added while it runs) against the batch engine: adding every job of a workload at its submit
time, with the engine stopped and resumed in between, reproduces the batch run exactly; cancellation, quotas with
cohorts, the event record and the look-ahead."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_conservation import assert_same, mixed_fleet, mixed_workload

from orbitgrid.scheduling.engine import COMPLETED, QUEUED, RUNNING, Engine
from orbitgrid.scheduling.live import CANCELLED, CohortQuotas, LiveEngine, Quota
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import _COLUMNS, Contract, JobKind


def _live_replay(fleet, workload, policy, seed, pause_every_s=None):
    """Every job of ``workload`` added to a LiveEngine at its submit time; the engine is also stopped every
    ``pause_every_s`` in between (stopping must change nothing)."""
    eng = LiveEngine(fleet, policy, np.random.default_rng(seed))
    jobs = workload.jobs
    for name in jobs.tenants:
        eng.add_tenant(name)
    eng.prime()
    cols = [c for c in _COLUMNS if c != "submit_s"]
    t_pause = 0.0
    for j in range(len(jobs)):
        t = float(jobs.submit_s[j])
        while pause_every_s is not None and t_pause + pause_every_s < t:
            t_pause += pause_every_s
            eng.run_until(t_pause)
        eng.run_until(t)
        row = {c: getattr(jobs, c)[j].item() for c in cols}
        model = int(jobs.gpu_model[j])
        row["gpu_model"] = eng.gpu_model_index(jobs.gpu_models[model] if model >= 0 else None)
        assert eng.add_job(str(jobs.job_id[j]), t, **row) == j
    eng.run_until(eng.horizon_s)
    eng._finish(eng.horizon_s)
    return eng, eng._result(eng.events)


@pytest.mark.parametrize("policy", ["fifo-backfill", "priority", "fair-share"])
@pytest.mark.parametrize("pause", [None, 97.0])
def test_live_engine_reproduces_the_batch_run(make_fleet, make_workload, policy, pause) -> None:
    fleet = mixed_fleet(make_fleet)
    workload = mixed_workload(make_workload)
    batch = Engine(fleet, workload, make_policy(policy, power_aware=True), np.random.default_rng(5)).run()
    _, live = _live_replay(fleet, workload, make_policy(policy, power_aware=True), 5, pause)
    assert_same(batch, live)
    assert batch.faults["t_s"].size > 10 and (batch.placements["outcome"] == 3).any() == (policy == "priority")


def test_events_record_every_run_and_fault(make_fleet, make_workload) -> None:
    fleet = mixed_fleet(make_fleet)
    workload = mixed_workload(make_workload)
    eng, res = _live_replay(fleet, workload, make_policy("priority"), 5)
    kinds = [e.kind for e in eng.log]
    # one run per placement row; a start opens each run except the continuations of rollbacks and shrinks
    assert [(r.job, r.node, r.start_s, r.end_s) for r in eng.runs] == list(
        zip(*(res.placements[c].tolist() for c in ("job", "node", "start_s", "end_s")), strict=True)
    )
    starts = kinds.count("placed") + kinds.count("resumed")
    rollbacks = int(np.sum((res.faults["job"] >= 0) & (res.faults["cause"] != 2)))
    assert len(eng.runs) - rollbacks - np.sum(res.placements["outcome"] == 4) <= starts <= len(eng.runs)
    assert kinds.count("placed") == int(np.isfinite(res.first_start_s).sum())
    assert kinds.count("completed") == int(np.sum(res.state == COMPLETED))
    hits = int(np.sum(res.faults["job"] >= 0))
    assert kinds.count("interrupted") == hits
    pre = [e for e in eng.log if e.kind == "preempted"]
    assert len(pre) == int(res.preemptions.sum()) > 0
    for e in pre:  # the culprit is a job of a higher contract class
        culprit = eng.jobs.job_id.index(e.detail["by_job"])
        assert eng.contract[culprit] < eng.contract[e.job]
        assert any(x.job == culprit and x.kind in ("placed", "resumed") and x.t_s == e.t_s for x in eng.log)
    for e in (e for e in eng.log if e.kind == "checkpointed"):
        assert eng.kind[e.job] == JobKind.TRAINING


def _job(eng, t, tenant, gpus, work_h=1.0, contract=Contract.ON_DEMAND):
    eng.run_until(t)
    return eng.add_job(
        f"j{len(eng.kind)}",
        t,
        kind=int(JobKind.TRAINING),
        tenant=tenant,
        gpus=gpus,
        work_gpu_s=work_h * 3600 * gpus,
        contract=int(contract),
        checkpoint_interval_s=600.0,
        checkpoint_write_s=10.0,
    )


def test_cancel_queued_running_and_pending(make_fleet) -> None:
    eng = LiveEngine(make_fleet([8], 600), make_policy("fifo-backfill"), np.random.default_rng(0))
    eng.add_tenant("a")
    eng.prime()
    a = _job(eng, 0.0, 0, 8)
    b = _job(eng, 10.0, 0, 8)
    c = _job(eng, 20.0, 0, 8)
    eng.run_until(30.0)
    assert eng.state[a] == RUNNING and eng.state[b] == QUEUED
    assert eng.cancel(b, 30.0) and eng.state[b] == CANCELLED and eng.n_queued == 1
    assert eng.cancel(a, 30.0) and eng.busy[0] == 0
    eng.run_until(31.0)
    assert eng.state[c] == RUNNING and eng.first_start[c] == 30.0
    d = _job(eng, 40.0, 0, 8)
    assert eng.cancel(d, 40.0)  # before its arrival was processed
    eng.run_until(8000.0)
    assert eng.state[d] == CANCELLED and math.isnan(eng.first_start[d])
    assert eng.state[c] == COMPLETED and not eng.cancel(c, 8000.0)
    assert [r.outcome for r in eng.runs if r.job == a] == ["cancelled"]


def test_cohort_borrowing_and_lending_limits(make_fleet) -> None:
    pol = CohortQuotas(make_policy("fifo-backfill"))
    eng = LiveEngine(make_fleet([8, 8, 8, 8], 600), pol, np.random.default_rng(0))
    for name in ("a", "b", "c"):
        eng.add_tenant(name)
    pol.quotas = {
        0: Quota("research", nominal_gpus=8, borrowing_limit_gpus=8),
        1: Quota("research", nominal_gpus=16, lending_limit_gpus=4),
        2: Quota(None, nominal_gpus=8),
    }
    eng.prime()
    a1 = _job(eng, 0.0, 0, 8)
    a2 = _job(eng, 1.0, 0, 8)  # borrows 8: b lends at most 4 -> waits
    c1 = _job(eng, 2.0, 2, 8)
    c2 = _job(eng, 3.0, 2, 8)  # no cohort: never beyond its nominal
    a3 = _job(eng, 4.0, 0, 4)  # borrows 4 of b's lendable 4
    eng.run_until(10.0)
    assert eng.state[a1] == RUNNING and eng.state[a2] == QUEUED
    assert eng.state[c1] == RUNNING and eng.state[c2] == QUEUED
    assert eng.state[a3] == RUNNING and eng.tenant_busy[0] == 12
    b1 = _job(eng, 11.0, 1, 8)  # b uses 8 of its 16: unused 8, lendable min(8, 4) = 4, already lent 4
    eng.run_until(20.0)
    assert eng.state[b1] == RUNNING and pol.borrowable(eng, 0) == 4 and eng.tenant_busy[0] - 8 == 4
    assert pol.admit(eng, a2, 20.0) is False


def test_reserved_jobs_stay_within_the_reserved_gpus(make_fleet) -> None:
    pol = CohortQuotas(make_policy("priority"))
    eng = LiveEngine(make_fleet([8, 8], 600), pol, np.random.default_rng(0))
    eng.add_tenant("a")
    pol.quotas = {0: Quota(reserved_gpus=8)}
    eng.prime()
    r1 = _job(eng, 0.0, 0, 8, contract=Contract.RESERVED)
    r2 = _job(eng, 1.0, 0, 8, contract=Contract.RESERVED)
    eng.run_until(5.0)
    assert eng.state[r1] == RUNNING and eng.state[r2] == QUEUED
    eng.cancel(r1, 5.0)
    eng.run_until(6.0)
    assert eng.state[r2] == RUNNING and pol.reserved_busy[0] == 8


def test_look_ahead_estimates_starts_and_changes_nothing(make_fleet) -> None:
    eng = LiveEngine(
        make_fleet([8], 600, rates=(1e-6, 1e-6, 0.0)), make_policy("fifo-backfill"), np.random.default_rng(1)
    )
    eng.add_tenant("a")
    eng.prime()
    a = _job(eng, 0.0, 0, 8, work_h=1.0)
    b = _job(eng, 1.0, 0, 8, work_h=1.0)
    eng.run_until(2.0)
    before = (list(eng.state), eng.events, eng.rng.bit_generator.state)
    est = eng.estimated_starts(eng.horizon_s)
    assert (list(eng.state), eng.events, eng.rng.bit_generator.state) == before
    eng.run_until(eng.horizon_s)
    assert est[b] == eng.first_start[b] and a not in est


def _spot(eng, t, gpus, notice_s):
    eng.run_until(t)
    return eng.add_job(
        f"s{len(eng.kind)}",
        t,
        notice_s=notice_s,
        kind=int(JobKind.BATCH),
        tenant=0,
        gpus=gpus,
        work_gpu_s=100 * 3600.0,
        contract=int(Contract.SPOT),
    )


def test_spot_notice_before_preemption(make_fleet) -> None:
    eng = LiveEngine(make_fleet([8], 600), make_policy("priority"), np.random.default_rng(0))
    eng.add_tenant("a")
    eng.prime()
    s = _spot(eng, 0.0, 8, notice_s=120.0)
    r = _job(eng, 10.0, 0, 8, contract=Contract.RESERVED)
    eng.run_until(11.0)
    assert eng.state[s] == RUNNING and eng.state[r] == QUEUED and eng.n_queued == 0
    notice = [e for e in eng.log if e.kind == "preemption_notice"]
    assert len(notice) == 1 and notice[0].job == s and notice[0].detail["evicted_at_s"] == 130.0
    assert notice[0].detail["by_job"] == eng.jobs.job_id[r]
    eng.run_until(131.0)
    assert eng.state[r] == RUNNING and eng.first_start[r] == 130.0 and eng.state[s] == QUEUED
    pre = [e for e in eng.log if e.kind == "preempted"]
    assert len(pre) == 1 and pre[0].t_s == 130.0 and pre[0].detail["by_job"] == eng.jobs.job_id[r]
    assert [(x.start_s, x.end_s, x.outcome) for x in eng.runs if x.job == s] == [(0.0, 130.0, "preempted")]


def test_cancelling_the_preemptor_during_the_notice_keeps_the_victim(make_fleet) -> None:
    eng = LiveEngine(make_fleet([8], 600), make_policy("priority"), np.random.default_rng(0))
    eng.add_tenant("a")
    eng.prime()
    s = _spot(eng, 0.0, 8, notice_s=120.0)
    r = _job(eng, 10.0, 0, 8, contract=Contract.RESERVED)
    eng.run_until(50.0)
    assert eng.cancel(r, 50.0)
    eng.run_until(200.0)
    assert eng.state[s] == RUNNING and eng.preemptions[s] == 0 and eng.state[r] == CANCELLED
