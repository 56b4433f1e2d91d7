"""Small hand-built fleets and workloads for the scheduling engine's tests, and the invariants every run must keep.

The helpers are handed to tests as fixtures (``make_fleet``, ``make_workload``, ``run_engine``, ``check_invariants``)
so that test modules need not import this file by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from orbitgrid.fleet.nodes import PERMANENT, FleetTimeline, NodeKind, NodeTable
from orbitgrid.scheduling.engine import (
    COMPLETED,
    FAILED,
    PENDING,
    QUEUED,
    RUNNING,
    Engine,
    EngineConfig,
    EngineResult,
)
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import JobKind, JobTable, Workload


def build_fleet(
    gpus: Sequence[int] | int = 8,
    n_steps: int = 600,
    step_s: float = 60.0,
    *,
    usable: np.ndarray | None = None,
    rates: Sequence[float] = (0.0, 0.0, 0.0),
    kind: Sequence[int] | None = None,
    speed: Sequence[float] | float = 1.0,
    fabric_bytes_s: float = 50e9,
    recovery_s: float = 600.0,
    energy_price: Sequence[float] | float = 0.0,
    rate_scale: np.ndarray | None = None,
) -> FleetTimeline:
    """A fleet of ``len(gpus)`` nodes on ``n_steps`` steps of ``step_s``; full capacity unless ``usable`` is given.

    ``rates`` are per GPU-second for (sdc, interrupt, permanent), the same on every node."""
    g = np.atleast_1d(np.asarray(gpus, dtype=np.int32))
    n = g.size
    nodes = NodeTable(
        name=np.array([f"n{i}" for i in range(n)], dtype=object),
        kind=np.asarray(kind if kind is not None else [NodeKind.ORBITAL] * n, dtype=np.int8),
        group=np.array(["test"] * n, dtype=object),
        gpu_model=np.array(["H100"] * n, dtype=object),
        gpus=g,
        speed=np.broadcast_to(np.asarray(speed, dtype=np.float64), (n,)).copy(),
        fabric_bytes_s=np.full(n, fabric_bytes_s),
        power_per_gpu_w=np.full(n, 1000.0),
        base_rate_per_gpu_s=np.tile(np.asarray(rates, dtype=np.float64), (n, 1)),
        recovery_s=np.full(n, recovery_s),
        lat_deg=np.full(n, np.nan),
        lon_deg=np.full(n, np.nan),
        altitude_m=np.full(n, 550e3),
        energy_price_usd_per_kwh=np.broadcast_to(np.asarray(energy_price, dtype=np.float64), (n,)).copy(),
    )
    u = np.repeat(g[:, None], n_steps, axis=1) if usable is None else np.asarray(usable, dtype=np.int32)
    return FleetTimeline(nodes, step_s, u, rate_scale)


def build_workload(**columns: Any) -> Workload:
    """A workload from JobTable columns (scalars broadcast); ``tenants`` names the tenants."""
    tenants = columns.pop("tenants", ("default",))
    return Workload(JobTable.build(tenants=tenants, **columns))


def run(
    fleet: FleetTimeline,
    workload: Workload,
    policy: str | object = "fifo-backfill",
    seed: int = 0,
    *,
    power_aware: bool = False,
    config: EngineConfig | None = None,
    **policy_kwargs: Any,
) -> EngineResult:
    """One engine run; ``policy`` is a name for :func:`make_policy` or a policy object."""
    pol = make_policy(policy, power_aware=power_aware, **policy_kwargs) if isinstance(policy, str) else policy
    eng = Engine(fleet, workload, pol, np.random.default_rng(seed), config)
    return eng.run()


def invariants(fleet: FleetTimeline, workload: Workload, res: EngineResult, horizon_s: float | None = None) -> None:
    """Conservation checks that must hold for every run (they assert, so each can fail on its own)."""
    jobs = workload.jobs
    n_jobs = len(jobs)
    horizon = fleet.horizon_s if horizon_s is None else horizon_s
    pl = res.placements
    # --- every job in exactly one state, and each state consistent with the records ---
    assert res.state.shape == (n_jobs,)
    assert np.isin(res.state, [PENDING, QUEUED, RUNNING, COMPLETED, FAILED]).all()
    assert np.array_equal(res.state == PENDING, jobs.submit_s >= horizon)
    done = res.state == COMPLETED
    work = np.where(jobs.kind == JobKind.INFERENCE, jobs.duration_s, jobs.work_gpu_s)
    np.testing.assert_allclose(res.done_work[done], work[done], rtol=1e-9)
    assert np.all(res.end_s[done] <= horizon + 1e-6) and np.all(res.end_s[done] >= jobs.submit_s[done])
    assert np.all(res.done_work <= work * (1 + 1e-12) + 1e-9)
    assert set(res.failure_reason) == set(np.flatnonzero(res.state == FAILED).tolist())
    horizon_rows = pl["outcome"] == 5
    assert sorted(pl["job"][horizon_rows].tolist()) == np.flatnonzero(res.state == RUNNING).tolist()
    placed = np.zeros(n_jobs, dtype=bool)
    placed[pl["job"]] = True
    assert not placed[(res.state == PENDING)].any()
    assert placed[done & (work > 0)].all()
    # --- placements: GPU-seconds add up to delivered, gangs keep their size, batch only shrinks ---
    assert np.all(pl["end_s"] >= pl["start_s"]) and np.all(pl["start_s"] >= 0) and np.all(pl["end_s"] <= horizon)
    gpu_s = (pl["end_s"] - pl["start_s"]) * pl["gpus"]
    per_job = np.bincount(pl["job"], weights=gpu_s, minlength=n_jobs)
    np.testing.assert_allclose(per_job, res.delivered_gpu_s, rtol=1e-9, atol=1e-6)
    kind = jobs.kind[pl["job"]]
    want = jobs.gpus[pl["job"]]
    gang = kind != JobKind.BATCH
    assert np.array_equal(pl["gpus"][gang], want[gang]), "a gang ran on a number of GPUs other than its size"
    assert np.all(pl["gpus"][~gang] <= want[~gang]) and np.all(pl["gpus"] >= 1)
    # --- busy GPUs per node over time: never negative, never above usable minus permanent failures ---
    bc = res.busy_changes
    n_nodes = len(fleet.nodes)
    ac = res.alive_changes
    installed = fleet.nodes.gpus

    def failed_at(n: int, times: np.ndarray) -> np.ndarray:
        """GPUs of node ``n`` out of service just after each of ``times`` (failed, in repair or awaiting a spare)."""
        sel = ac["node"] == n
        if not sel.any():
            return np.zeros(np.shape(times), np.int64)
        idx = np.searchsorted(ac["t_s"][sel], times, side="right") - 1
        return np.where(idx >= 0, installed[n] - ac["alive"][sel][np.maximum(idx, 0)], 0)

    # the alive log agrees with the fault table: one step down per permanent failure, one up per return
    perm = res.faults["cause"] == PERMANENT
    downs = np.zeros(n_nodes, np.int64)
    for n in range(n_nodes):
        sel = ac["node"] == n
        steps = np.diff(np.concatenate([[installed[n]], ac["alive"][sel]]))
        assert np.all(np.abs(steps) == 1), f"node {n}: alive GPUs changed by more than one at once"
        downs[n] = int((steps < 0).sum())
    assert np.array_equal(downs, np.bincount(res.faults["node"][perm], minlength=n_nodes))
    for n in range(n_nodes):
        sel = bc["node"] == n
        t = bc["t_s"][sel]
        assert np.all(np.diff(t) >= 0), "busy changes out of time order"
        busy = np.cumsum(bc["delta"][sel])
        assert np.all(busy >= 0), f"node {n}: busy GPUs went negative"
        if t.size == 0:
            continue
        last_of_instant = np.append(t[1:] != t[:-1], True)  # the state after all changes of one instant
        k = np.minimum((t // fleet.step_s).astype(np.int64), fleet.n_steps - 1)
        failed = failed_at(n, t)
        cap = np.minimum(fleet.usable_gpus[n, k], fleet.nodes.gpus[n] - failed)
        over = last_of_instant & (busy > cap)
        assert not over.any(), f"node {n}: busy {busy[over][:3]} above capacity {cap[over][:3]} at {t[over][:3]}"
        # capacity drops between busy changes must also be respected: at each capacity step, busy <= usable
        steps = np.arange(fleet.n_steps) * fleet.step_s
        idx = np.searchsorted(t, steps, side="right") - 1
        busy_at = np.where(idx >= 0, busy[np.maximum(idx, 0)], 0)
        cap_at = np.minimum(fleet.usable_gpus[n], fleet.nodes.gpus[n] - failed_at(n, steps))
        assert np.all(busy_at <= cap_at), f"node {n}: busy above usable at a step start"
        # the integral of busy GPUs over the run is the placements' GPU-seconds on that node
        t_end = np.append(t[1:], horizon)
        on_node = pl["node"] == n
        np.testing.assert_allclose(np.sum(busy * (t_end - t)), gpu_s[on_node].sum(), rtol=1e-9, atol=1e-6)
    assert np.all(res.lost_work >= -1e-6)


@pytest.fixture
def make_fleet() -> Callable[..., FleetTimeline]:
    return build_fleet


@pytest.fixture
def make_workload() -> Callable[..., Workload]:
    return build_workload


@pytest.fixture
def run_engine() -> Callable[..., EngineResult]:
    return run


@pytest.fixture
def check_invariants() -> Callable[..., None]:
    return invariants
