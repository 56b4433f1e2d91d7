"""Policies on small hand-built fleets where the right decision is known.

Unless a test says otherwise: no faults, 60 s steps, and jobs are training gangs of reference-speed GPUs without
communication, so a gang of ``g`` GPUs does ``g`` work units per second and its timing can be read off by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.fleet.nodes import NodeKind
from orbitgrid.scheduling.engine import COMPLETED, FAILED
from orbitgrid.workloads.jobs import Contract, JobKind, Placement

CAPACITY, PREEMPTED, COMPLETED_OUT = 4, 3, 0  # placement outcomes (engine.OUTCOMES)


def eclipse(n_steps: int, gpus: int, start: int, stop: int) -> np.ndarray:
    """One node's usable GPUs: all of them, except none over steps ``[start, stop)`` (an eclipse on an empty
    battery)."""
    u = np.full((1, n_steps), gpus, dtype=np.int32)
    u[0, start:stop] = 0
    return u


# ----------------------------------------------------------------------------------------------- power-aware ---
@pytest.mark.parametrize("power_aware", [False, True])
def test_power_aware_waits_out_a_predictable_drop(make_fleet, make_workload, run_engine, check_invariants, power_aware):
    """A 2-hour 8-GPU gang that cannot checkpoint (no faults: Daly's interval is infinite) arrives 10 minutes before
    its node goes dark for 30 minutes (steps 10-39). The plain policy starts it at once and loses the 10 minutes
    (8 GPUs x 600 s = 4800 units); the power-aware one starts it when the node comes back at 2400 s and loses
    nothing. Both finish at 2400 + 7200 s."""
    fleet = make_fleet([8], 300, usable=eclipse(300, 8, 10, 40))
    wl = make_workload(submit_s=[0.0], gpus=[8], work_gpu_s=[8 * 7200.0], checkpoint_write_s=60.0)
    res = run_engine(fleet, wl, "fifo-backfill", power_aware=power_aware)
    check_invariants(fleet, wl, res)
    assert res.state[0] == COMPLETED and res.end_s[0] == pytest.approx(9600.0)
    assert res.checkpoint_interval_s[0] == np.inf
    if power_aware:
        assert res.first_start_s[0] == 2400.0
        assert res.lost_work[0] == 0.0 and res.placements["job"].size == 1
    else:
        assert res.first_start_s[0] == 0.0
        assert res.lost_work[0] == pytest.approx(4800.0)
        assert res.placements["outcome"][0] == CAPACITY and res.placements["end_s"][0] == 600.0


def test_power_aware_starts_what_ends_before_the_drop(make_fleet, make_workload, run_engine):
    """The same node and drop, a 5-minute gang: it fits before the eclipse, so power-awareness must not delay it."""
    fleet = make_fleet([8], 300, usable=eclipse(300, 8, 10, 40))
    wl = make_workload(submit_s=[0.0], gpus=[8], work_gpu_s=[8 * 300.0])
    res = run_engine(fleet, wl, "fifo-backfill", power_aware=True)
    assert res.first_start_s[0] == 0.0 and res.end_s[0] == pytest.approx(300.0)


@pytest.mark.parametrize("power_aware", [False, True])
def test_checkpoint_ahead_of_a_predictable_drop(make_fleet, make_workload, run_engine, check_invariants, power_aware):
    """A gang checkpointing every 1800 s (write 60 s) starts at 0; its first window (1860 s) ends before the drop at
    3000 s, so the power-aware policy starts it too. At 3000 s it has saved 1800 s of compute and done 1140 s more.
    The plain policy loses those 1140 s (9120 units); the power-aware one writes a checkpoint ending at the drop,
    and loses only the 60 s the write took (480 units, = rate x write)."""
    fleet = make_fleet([8], 300, usable=eclipse(300, 8, 50, 80))
    wl = make_workload(
        submit_s=[0.0], gpus=[8], work_gpu_s=[8 * 7200.0], checkpoint_interval_s=1800.0, checkpoint_write_s=60.0
    )
    res = run_engine(fleet, wl, "fifo-backfill", power_aware=power_aware)
    check_invariants(fleet, wl, res)
    assert res.first_start_s[0] == 0.0
    first = res.placements
    assert first["outcome"][0] == CAPACITY and first["end_s"][0] == 3000.0
    assert res.lost_work[0] == pytest.approx(480.0 if power_aware else 9120.0)
    assert res.state[0] == COMPLETED


# ------------------------------------------------------------------------------------------- EASY backfill ---
def easy_workload(make_workload, small_work: float, small_kind: int = JobKind.TRAINING, **small: float):
    """Node of 8: job 0 (6 GPUs) runs [0, 3600); job 1 (8 GPUs, the head) arrives at 10 s and is blocked, its
    reservation at 3600 s with no GPU to spare; job 2 (2 GPUs) arrives at 20 s and could run now."""
    cols = {
        "submit_s": [0.0, 10.0, 20.0],
        "gpus": [6, 8, 2],
        "work_gpu_s": [6 * 3600.0, 8 * 3600.0, small_work],
        "kind": [JobKind.TRAINING, JobKind.TRAINING, small_kind],
    }
    for k, v in small.items():
        cols[k] = [np.nan if k == "checkpoint_interval_s" else 0.0, np.nan if k == "checkpoint_interval_s" else 0.0, v]
    return make_workload(**cols)


def test_backfill_starts_a_short_job_ahead_of_the_head(make_fleet, make_workload, run_engine, check_invariants):
    """Job 2 needs 1800 s on 2 GPUs and ends at 1820 s, before the head's reservation: EASY starts it at once
    (without waiting for another event to trigger the scan), and the head still starts at 3600 s."""
    fleet = make_fleet([8], 300)
    wl = easy_workload(make_workload, 2 * 1800.0)
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    assert res.first_start_s[2] == pytest.approx(20.0, abs=60.0)  # within one backfill interval
    assert res.end_s[2] < 3600.0
    assert res.first_start_s[1] == 3600.0


@pytest.mark.parametrize(
    ("work", "small"),
    [
        (2 * 7200.0, {}),  # its work alone runs past the reservation
        # 3500 s of compute fits before 3600 s, but five 60 s checkpoint writes push it to 3820 s
        (2 * 3500.0, {"checkpoint_interval_s": 600.0, "checkpoint_write_s": 60.0}),
    ],
    ids=["long", "long-with-checkpoints"],
)
def test_backfill_never_delays_the_head(make_fleet, make_workload, run_engine, check_invariants, work, small):
    fleet = make_fleet([8], 400)
    wl = easy_workload(make_workload, work, **small)
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    assert res.first_start_s[1] == 3600.0, "the head job was delayed by a backfilled job"
    assert res.first_start_s[2] >= res.end_s[1]


def test_backfill_counts_the_spare_gpus_once(make_fleet, make_workload, run_engine, check_invariants):
    """Node of 8: job 0 (4 GPUs) runs to 3600 s; the head (6 GPUs) is blocked with 2 GPUs to spare at its
    reservation. Two long 2-GPU jobs arrive: one may take the 2 spare GPUs, the second would delay the head."""
    fleet = make_fleet([8], 400)
    wl = make_workload(
        submit_s=[0.0, 10.0, 20.0, 21.0],
        gpus=[4, 6, 2, 2],
        work_gpu_s=[4 * 3600.0, 6 * 3600.0, 2 * 20000.0, 2 * 20000.0],
    )
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    assert res.first_start_s[1] == 3600.0, "the head job was delayed by backfilled jobs"
    assert res.first_start_s[2] < 100.0
    assert res.first_start_s[3] >= 3600.0


# ------------------------------------------------------------------------------------------ contract priority ---
@pytest.mark.parametrize(
    ("running", "preemptible", "arriving", "evicted"),
    [
        (Contract.SPOT, False, Contract.RESERVED, True),
        (Contract.SPOT, False, Contract.ON_DEMAND, True),  # spot yields to either
        (Contract.ON_DEMAND, True, Contract.RESERVED, True),  # a preemptible on-demand job yields to reserved
        (Contract.ON_DEMAND, False, Contract.RESERVED, False),  # a non-preemptible one does not
        (Contract.RESERVED, False, Contract.RESERVED, False),  # reserved is never preempted
        (Contract.RESERVED, True, Contract.RESERVED, False),  # ... not even by reserved, when marked preemptible
        (Contract.SPOT, False, Contract.SPOT, False),  # same class: no preemption
    ],
)
def test_contract_priority_preemption(
    make_fleet, make_workload, run_engine, check_invariants, running, preemptible, arriving, evicted
):
    """A full 8-GPU node runs a 2-hour gang from 0 s; another 8-GPU gang arrives at 600 s."""
    fleet = make_fleet([8], 400)
    wl = make_workload(
        submit_s=[0.0, 600.0],
        gpus=[8, 8],
        work_gpu_s=[8 * 7200.0, 8 * 3600.0],
        contract=[running, arriving],
        preemptible=[preemptible, False],
    )
    res = run_engine(fleet, wl, "priority")
    check_invariants(fleet, wl, res)
    if evicted:
        assert res.first_start_s[1] == 600.0
        assert res.preemptions[0] == 1 and res.placements["outcome"][0] == PREEMPTED
        assert res.first_start_s[0] == 0.0 and res.end_s[0] > res.end_s[1]
    else:
        assert res.preemptions.sum() == 0 and not (res.placements["outcome"] == PREEMPTED).any()
        assert res.end_s[0] == pytest.approx(7200.0) and res.first_start_s[1] == res.end_s[0]


def test_reserved_evicts_spot_not_reserved_on_a_shared_node(make_fleet, make_workload, run_engine, check_invariants):
    """Node of 8 holds a reserved 4-GPU gang and a spot 4-GPU gang; a reserved 4-GPU gang arrives: the spot one
    goes, the reserved one stays."""
    fleet = make_fleet([8], 400)
    wl = make_workload(
        submit_s=[0.0, 1.0, 600.0],
        gpus=[4, 4, 4],
        work_gpu_s=[4 * 7200.0, 4 * 7200.0, 4 * 3600.0],
        contract=[Contract.RESERVED, Contract.SPOT, Contract.RESERVED],
    )
    res = run_engine(fleet, wl, "priority")
    check_invariants(fleet, wl, res)
    assert res.first_start_s[2] == 600.0
    assert res.preemptions.tolist() == [0, 1, 0]


def test_priority_orders_the_queue_by_contract(make_fleet, make_workload, run_engine):
    """With a busy node, a later reserved job is started before an earlier spot job when the node frees up
    (a non-preemptible on-demand job holds the node, so nothing is evicted)."""
    fleet = make_fleet([8], 400)
    wl = make_workload(
        submit_s=[0.0, 10.0, 20.0],
        gpus=[8, 8, 8],
        work_gpu_s=[8 * 3600.0, 8 * 600.0, 8 * 600.0],
        contract=[Contract.ON_DEMAND, Contract.SPOT, Contract.RESERVED],
    )
    res = run_engine(fleet, wl, "priority")
    assert res.first_start_s[2] == 3600.0 and res.first_start_s[1] == pytest.approx(4200.0)
    fifo = run_engine(fleet, wl, "fifo-backfill")
    assert fifo.first_start_s[1] == 3600.0  # the order is the policy's, not an accident of the workload


# ------------------------------------------------------------------------------------------------ fair share ---
def test_fair_share_converges_to_equal_shares(make_fleet, make_workload, run_engine, check_invariants):
    """One 8-GPU node, saturated for the whole 24 h: tenant a submits 400 one-GPU 30-minute jobs at 0-10 s,
    tenant b the same at 20-30 s. FIFO gives a everything first (b gets nothing before 25 h); fair share must split
    the delivered GPU-seconds 50/50. Tolerance 2 %: with 8 slots and 30-minute jobs the split can be off by at most
    a few jobs in flight (4 x 1800 GPU-s = 1 % of the 691,200 delivered)."""
    fleet = make_fleet([8], 1440)
    n = 400
    wl = make_workload(
        submit_s=np.concatenate([np.linspace(0, 10, n), np.linspace(20, 30, n)]),
        tenant=np.repeat([0, 1], n),
        tenants=("a", "b"),
        gpus=1,
        work_gpu_s=1800.0,
    )
    share = {}
    for policy in ("fair-share", "fifo-backfill"):
        res = run_engine(fleet, wl, policy)
        check_invariants(fleet, wl, res)
        per_tenant = np.bincount(wl.jobs.tenant, weights=res.delivered_gpu_s, minlength=2)
        assert per_tenant.sum() == pytest.approx(8 * fleet.horizon_s, rel=1e-5)  # saturated (but the first 0.2 s)
        share[policy] = per_tenant[0] / per_tenant.sum()
    assert share["fair-share"] == pytest.approx(0.5, abs=0.02), share
    assert share["fifo-backfill"] > 0.99, share


def test_fair_share_weights(make_fleet, make_workload, run_engine):
    """Shares 3:1 split a saturated node 75/25 (same setup, 2 % tolerance)."""
    fleet = make_fleet([8], 1440)
    n = 600
    wl = make_workload(
        submit_s=np.concatenate([np.linspace(0, 10, n), np.linspace(20, 30, n)]),
        tenant=np.repeat([0, 1], n),
        tenants=("a", "b"),
        gpus=1,
        work_gpu_s=1800.0,
    )
    res = run_engine(fleet, wl, "fair-share", shares={0: 1.0, 1: 3.0})
    per_tenant = np.bincount(wl.jobs.tenant, weights=res.delivered_gpu_s, minlength=2)
    assert per_tenant[1] / per_tenant.sum() == pytest.approx(0.75, abs=0.02)


# ---------------------------------------------------------------------------------------------------- hybrid ---
@pytest.mark.parametrize(
    ("prices", "energy", "want"),
    [
        ({NodeKind.ORBITAL: 0.0, NodeKind.GROUND: 0.0}, 0.10, NodeKind.ORBITAL),  # ground pays its electricity
        ({NodeKind.ORBITAL: 4.0, NodeKind.GROUND: 2.0}, 0.10, NodeKind.GROUND),  # 2 + 0.1 $/GPU-h < 4
        ({NodeKind.ORBITAL: 2.05, NodeKind.GROUND: 2.0}, 0.10, NodeKind.ORBITAL),  # 2.05 < 2 + 0.1
    ],
)
def test_hybrid_picks_the_cheaper_node_kind(make_fleet, make_workload, run_engine, prices, energy, want):
    """Two identical 8-GPU nodes, one of each kind; the cheaper one is put second and third so that best fit's
    tie-break (lowest index) cannot pick it by accident. Energy: 1 kW per GPU x 0.10 $/kWh = 0.10 $/GPU-h."""
    for order in ([NodeKind.GROUND, NodeKind.ORBITAL], [NodeKind.ORBITAL, NodeKind.GROUND]):
        fleet = make_fleet([8, 8], 400, kind=order, energy_price=[energy if k == NodeKind.GROUND else 0 for k in order])
        wl = make_workload(submit_s=[0.0], gpus=[4], work_gpu_s=[4 * 3600.0])
        res = run_engine(fleet, wl, "hybrid", price_usd_per_gpu_hour=prices)
        assert fleet.nodes.kind[res.node[0]] == want, (order, prices)


def test_hybrid_prefers_the_faster_fabric_for_communication_heavy_gangs(make_fleet, make_workload, run_engine):
    """Same price per GPU-hour; node 0 has a slow fabric, node 1 a fast one: a gang that all-reduces 10 GB per step
    runs faster, hence cheaper, on node 1."""
    fleet = make_fleet([8, 8], 400, kind=[NodeKind.GROUND, NodeKind.ORBITAL])
    slow = fleet.nodes.fabric_bytes_s.copy()
    slow[0] = 1e9
    nodes = type(fleet.nodes)(**{**fleet.nodes.__dict__, "fabric_bytes_s": slow})
    fleet = type(fleet)(nodes, fleet.step_s, fleet.usable_gpus)
    wl = make_workload(submit_s=[0.0], gpus=[8], work_gpu_s=[8 * 3600.0], allreduce_bytes_per_step=1e10)
    prices = {NodeKind.ORBITAL: 2.0, NodeKind.GROUND: 2.0}
    assert run_engine(fleet, wl, "hybrid", price_usd_per_gpu_hour=prices).node[0] == 1


# ------------------------------------------------------------------------------------------ impossible jobs ---
def test_jobs_that_fit_no_node_fail_with_a_reason(make_fleet, make_workload, run_engine, check_invariants):
    """Nodes of 8 and 4 orbital GPUs: a 16-GPU gang, a 16-GPU inference service and a ground-only job can never run
    and fail at arrival with a reason; a 16-GPU batch job can (it runs on fewer GPUs) and completes."""
    fleet = make_fleet([8, 4], 400)
    wl = make_workload(
        submit_s=[0.0, 5.0, 10.0, 15.0],
        kind=[JobKind.TRAINING, JobKind.INFERENCE, JobKind.TRAINING, JobKind.BATCH],
        gpus=[16, 16, 2, 16],
        work_gpu_s=[1e5, np.nan, 1e4, 8 * 3600.0],
        duration_s=[np.nan, 3600.0, np.nan, np.nan],
        placement=[Placement.ANY, Placement.ANY, Placement.GROUND, Placement.ANY],
    )
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    assert res.state.tolist() == [FAILED, FAILED, FAILED, COMPLETED]
    assert sorted(res.failure_reason) == [0, 1, 2]
    assert res.failure_reason == {
        0: "never_fits: needs 16 GPUs on one node, largest node has 8",
        1: "never_fits: needs 16 GPUs on one node, largest node has 8",
        2: "never_fits: no ground nodes",
    }
    assert res.end_s[:3].tolist() == [0.0, 5.0, 10.0]
    assert res.placements["gpus"][res.placements["job"] == 3].max() <= 8


# ------------------------------------------------------------------------------------------------ batch shrink ---
def shrink_case(make_fleet, make_workload, low: int):
    """A node of 8 runs a 4-GPU gang and a 4-GPU batch job (same contract); usable drops to ``low`` over
    600-1200 s."""
    usable = np.full((1, 400), 8, dtype=np.int32)
    usable[0, 10:20] = low
    fleet = make_fleet([8], 400, usable=usable)
    wl = make_workload(
        submit_s=[0.0, 0.0],
        kind=[JobKind.TRAINING, JobKind.BATCH],
        gpus=[4, 4],
        work_gpu_s=[4 * 7200.0, 4 * 7200.0],
        restore_s=300.0,
    )
    return fleet, wl


def test_batch_shrinks_instead_of_being_evicted(make_fleet, make_workload, run_engine, check_invariants):
    """Usable drops to 6: the batch job gives up 2 GPUs and keeps running with all its progress (no restart, no
    restore); the gang is untouched. Its work is conserved: it completes having done exactly its work."""
    fleet, wl = shrink_case(make_fleet, make_workload, 6)
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    pl = res.placements
    batch = pl["job"] == 1
    assert pl["gpus"][batch][:2].tolist() == [4, 2]
    assert pl["start_s"][batch][1] == 600.0 and pl["outcome"][batch][0] == CAPACITY
    assert res.lost_work[1] == 0.0 and res.restarts[1] == 0
    assert res.restarts[0] == 0 and (pl["job"] == 0).sum() == 1
    assert res.state[1] == COMPLETED and res.done_work[1] == pytest.approx(4 * 7200.0)
    # 600 s on 4 GPUs, then 2 GPUs until the remaining 26,400 units are done: 600 + 13,200 s, no restore
    assert res.end_s[1] == pytest.approx(600.0 + (4 * 7200.0 - 4 * 600.0) / 2)


def test_batch_keeps_what_is_left_after_a_gang_is_evicted(make_fleet, make_workload, run_engine, check_invariants):
    """Usable drops to 2: the gang (4 > 2) must go; the divisible batch job should shrink to the 2 GPUs left, not
    be evicted and restarted."""
    fleet, wl = shrink_case(make_fleet, make_workload, 2)
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    assert res.restarts[0] == 1
    assert res.restarts[1] == 0


def test_capacity_evictions_do_not_count_toward_the_crash_loop_limit(make_fleet, make_workload, run_engine):
    """A node that loses all capacity for 10 of every 30 minutes evicts a long gang 20 times in 10 hours; with
    max_restarts = 3 it must still finish (the limit is for fault restarts), and its restarts column counts them."""
    from orbitgrid.scheduling.engine import EngineConfig

    k = np.arange(600)
    usable = np.where((k % 30) >= 20, 0, 8)[None, :]
    fleet = make_fleet(8, usable=usable)
    wl = make_workload(
        submit_s=[0.0], gpus=8, work_gpu_s=8 * 4 * 3600.0, checkpoint_interval_s=300.0, checkpoint_write_s=10.0
    )
    res = run_engine(fleet, wl, "fifo-backfill", config=EngineConfig(max_restarts=3))
    assert res.state[0] == COMPLETED
    assert res.restarts[0] >= 10


def test_reserved_jobs_beyond_their_quota_do_not_preempt_on_demand_work(make_fleet, make_workload, run_engine):
    """Tenant 0 has a reserved quota of 4 GPUs. Its second 4-GPU job counts as on-demand, so it must not preempt a
    preemptible on-demand job of tenant 1 (a reserved job within quota would)."""
    fleet = make_fleet(8)
    wl = make_workload(
        tenants=("lab", "other"),
        tenant=[1, 0, 0],
        submit_s=[0.0, 10.0, 20.0],
        gpus=[4, 4, 4],
        work_gpu_s=4 * 7200.0,
        contract=[int(Contract.ON_DEMAND), int(Contract.RESERVED), int(Contract.RESERVED)],
        preemptible=[True, False, False],
    )
    res = run_engine(fleet, wl, "priority", reserved_gpus={0: 4})
    # job 1 (reserved, within quota) fits beside job 0; job 2 would exceed the quota: it waits, job 0 keeps running
    assert res.preemptions.tolist() == [0, 0, 0]
    assert res.first_start_s[2] >= res.end_s[0] - 1e-6 or res.first_start_s[2] >= res.end_s[1] - 1e-6
