"""The compiled node search makes the same choice as the policies' ``choose_node`` on candidate arrays.

``orbitgrid.scheduling.placement.search`` replaces, for the best-fit policies and their power-aware wrapper, the
candidate array and ``choose_node`` call of the engine's dispatch. The Python path is the reference: these tests
compare the two node for node on random engine states (eclipse dips, anomaly spikes, partial occupancy, divisible
jobs, EASY reservations), and whole runs with one and the other path, which must give identical results.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from orbitgrid.fleet.nodes import NodeKind
from orbitgrid.scheduling.engine import Engine, EngineConfig, EngineResult
from orbitgrid.scheduling.placement import NO_CANDIDATE, REFUSED
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import Contract, JobKind, Placement

N_STEPS = 240
STEP_S = 60.0


def _fleet(build_fleet, rng: np.random.Generator, n_orbit: int = 40, n_ground: int = 2):
    gpus = np.concatenate([rng.choice([4, 8, 16], n_orbit), [256] * n_ground]).astype(np.int32)
    n = gpus.size
    usable = np.repeat(gpus[:, None], N_STEPS, axis=1).astype(np.int32)
    for i in range(n_orbit):  # eclipses: the node drops to a random level for a third of a 95-minute orbit
        phase = rng.uniform(0, 95)
        k = np.arange(N_STEPS)
        dark = ((k + phase) % 95) < 32
        usable[i, dark] = rng.integers(0, gpus[i] + 1)
    scale = np.ones((n, N_STEPS), dtype=np.float32)
    for i in range(n_orbit):  # anomaly passes: short spikes of the fault-rate scale
        for k0 in rng.integers(0, N_STEPS, 3):
            scale[i, k0 : k0 + rng.integers(2, 12)] = rng.uniform(1.0, 40.0)
    kind = [NodeKind.ORBITAL] * n_orbit + [NodeKind.GROUND] * n_ground
    speed = np.concatenate([rng.uniform(0.8, 1.2, n_orbit), [1.0] * n_ground])
    return build_fleet(
        list(gpus),
        N_STEPS,
        STEP_S,
        usable=usable,
        rates=(2e-7, 1e-7, 2e-8),
        kind=kind,
        speed=list(speed),
        rate_scale=scale,
    )


def _jobs(build_workload, rng: np.random.Generator, n: int, horizon_s: float):
    kinds = rng.choice([JobKind.TRAINING, JobKind.BATCH, JobKind.INFERENCE], n, p=[0.6, 0.25, 0.15])
    gpus = rng.choice([1, 2, 4, 8, 16], n)
    work = rng.uniform(600.0, 20_000.0, n) * gpus
    return build_workload(
        kind=kinds,
        tenant=rng.integers(0, 2, n),
        tenants=("a", "b"),
        submit_s=np.sort(rng.uniform(0.0, 0.7 * horizon_s, n)),
        gpus=gpus,
        work_gpu_s=work,
        duration_s=rng.uniform(600.0, 7200.0, n),
        contract=rng.choice([Contract.RESERVED, Contract.ON_DEMAND, Contract.SPOT], n),
        preemptible=rng.random(n) < 0.5,
        placement=rng.choice([Placement.ANY, Placement.ORBIT, Placement.GROUND], n, p=[0.6, 0.3, 0.1]),
        checkpoint_interval_s=np.where(rng.random(n) < 0.5, np.nan, rng.uniform(300.0, 3600.0, n)),
        checkpoint_write_s=rng.uniform(5.0, 120.0, n),
        restore_s=rng.uniform(10.0, 300.0, n),
        step_compute_s=rng.uniform(0.2, 2.0, n),
        allreduce_bytes_per_step=np.where(rng.random(n) < 0.3, 0.0, rng.uniform(1e8, 5e9, n)),
    )


def _reference_choice(eng: Engine, j: int, reserved: tuple[int, float, int] | None, t: float) -> int:
    """The engine's Python path: candidate array, divisible-job preference, reservation, ``choose_node``."""
    g_min = 1 if eng.kind[j] == JobKind.BATCH else eng.gpus[j]
    cand = np.flatnonzero(eng.mask(j) & (eng.free_arr >= g_min))
    if g_min < eng.gpus[j] and cand.size:
        whole = cand[eng.free_arr[cand] >= eng.gpus[j]]
        cand = whole if whole.size else cand[eng.free_arr[cand] == eng.free_arr[cand].max()]
    if reserved is not None:
        cand = eng._respect_reservation(j, cand, reserved, t)
    if cand.size == 0:
        return NO_CANDIDATE
    n = eng.policy.choose_node(eng, j, cand, t)
    return REFUSED if n is None else int(n)


def _compare_on_random_states(
    make_fleet, make_workload, name: str, power_aware: bool, seed: int, n_orbit: int, trials: int
) -> dict:
    """The compiled search against the reference choice on ``trials`` random states of a fleet of ``n_orbit``
    satellites and two ground sites (25 jobs each); the count of each outcome."""
    rng = np.random.default_rng(seed)
    fleet = _fleet(make_fleet, rng, n_orbit=n_orbit)
    wl = _jobs(make_workload, rng, 300, fleet.horizon_s)
    policy = make_policy(name, power_aware=power_aware)
    eng = Engine(fleet, wl, policy, np.random.default_rng(0))  # type: ignore[arg-type]
    search = policy.search
    assert search == ("power-aware" if power_aware else "best-fit")
    outcomes = {"node": 0, NO_CANDIDATE: 0, REFUSED: 0}
    for trial in range(trials):
        t = float(rng.uniform(0.0, fleet.horizon_s - STEP_S))
        k = int(t // STEP_S)
        cap = np.minimum(fleet.usable_gpus[:, k], fleet.nodes.gpus).astype(np.int64)
        fill = rng.choice([0.0, 0.6, 0.9, 1.0], cap.size, p=[0.1, 0.2, 0.3, 0.4]) if trial % 2 else rng.random(cap.size)
        busy = np.minimum(np.ceil(cap * fill), cap).astype(np.int64)
        eng.node_state.reset(fleet.usable_gpus[:, k], busy)
        for j in rng.choice(len(wl.jobs), 25, replace=False).tolist():
            eng.done[j] = float(rng.choice([0.0, 0.3 * eng.work[j]]))
            reserved = None
            if trial % 3 == 0:
                reserved = (
                    int(rng.integers(0, len(fleet.nodes))),
                    t + float(rng.uniform(0, 7200)),
                    int(rng.integers(0, 4)),
                )
            want = _reference_choice(eng, j, reserved, t)
            g_min = 1 if eng.kind[j] == JobKind.BATCH else eng.gpus[j]
            mkey = eng._mask_key[j]
            m = eng.mask(j)
            nodes = np.flatnonzero(m).astype(np.int64)
            mf = int(eng.free_arr[nodes].max()) if nodes.size else 0
            got = eng._search(j, mkey, m, mf, g_min, reserved, t, search) if mf >= g_min else NO_CANDIDATE
            assert got == want, f"trial {trial}, job {j}: compiled {got}, reference {want}"
            outcomes["node" if want >= 0 else want] += 1
    return outcomes


@pytest.mark.parametrize(("name", "power_aware"), [("fifo-backfill", False), ("priority", True), ("fair-share", True)])
def test_search_matches_choose_node_on_random_states(make_fleet, make_workload, name: str, power_aware: bool) -> None:
    outcomes = _compare_on_random_states(make_fleet, make_workload, name, power_aware, 11, 40, 60)
    # the states exercise every outcome, refusals included when the power-aware test is on
    assert outcomes["node"] > 1000 and outcomes[NO_CANDIDATE] > 20
    if power_aware:
        assert outcomes[REFUSED] > 20


@pytest.mark.parametrize(("name", "power_aware"), [("fifo-backfill", False), ("priority", True)])
def test_search_matches_choose_node_across_bitset_words(
    make_fleet, make_workload, name: str, power_aware: bool
) -> None:
    """The same on 202 nodes: the free index and the masks span four 64-node words (the fleet above fits one)."""
    outcomes = _compare_on_random_states(make_fleet, make_workload, name, power_aware, 12, 200, 20)
    assert outcomes["node"] > 300 and outcomes[NO_CANDIDATE] > 5
    if power_aware:
        assert outcomes[REFUSED] > 5


def _same(a: EngineResult, b: EngineResult) -> None:
    for f in dataclasses.fields(EngineResult):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict) and f.name != "failure_reason":
            assert x.keys() == y.keys()
            for key in x:
                np.testing.assert_array_equal(x[key], y[key], err_msg=f"{f.name}.{key}")
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


@pytest.mark.parametrize(
    ("name", "power_aware"),
    [("fifo-backfill", False), ("fifo-backfill", True), ("priority", False), ("priority", True), ("fair-share", True)],
)
def test_whole_runs_identical_with_and_without_the_compiled_search(
    make_fleet, make_workload, name: str, power_aware: bool
) -> None:
    rng = np.random.default_rng(5)
    fleet = _fleet(make_fleet, rng, n_orbit=24, n_ground=1)
    wl = _jobs(make_workload, rng, 400, fleet.horizon_s)
    runs = []
    for compiled in (True, False):
        policy = make_policy(name, power_aware=power_aware)
        cfg = EngineConfig(compiled_search=compiled)
        runs.append(Engine(fleet, wl, policy, np.random.default_rng(9), cfg).run())  # type: ignore[arg-type]
    _same(*runs)
    assert runs[0].placements["job"].size > 200  # the run did place work


def test_power_aware_hybrid_matches_its_definition_on_random_states(make_fleet, make_workload) -> None:
    """PowerAware over Hybrid searches price tiers with the compiled search; by definition it is the hybrid
    choice among the candidates the power-aware test accepts (``safe``, the array path)."""
    rng = np.random.default_rng(23)
    fleet = _fleet(make_fleet, rng, n_orbit=30, n_ground=3)
    # energy prices that make several price tiers (ground sites dearer or cheaper than orbit)
    nodes = dataclasses.replace(fleet.nodes, energy_price_usd_per_kwh=rng.choice([0.0, 0.05, 0.2], len(fleet.nodes)))
    fleet = dataclasses.replace(fleet, nodes=nodes)
    wl = _jobs(make_workload, rng, 300, fleet.horizon_s)
    policy = make_policy(
        "hybrid", power_aware=True, price_usd_per_gpu_hour={NodeKind.ORBITAL: 1.0, NodeKind.GROUND: 1.2}
    )
    eng = Engine(fleet, wl, policy, np.random.default_rng(0))  # type: ignore[arg-type]
    outcomes = {"node": 0, "none": 0}
    for _ in range(40):
        t = float(rng.uniform(0.0, fleet.horizon_s - STEP_S))
        k = int(t // STEP_S)
        cap = np.minimum(fleet.usable_gpus[:, k], fleet.nodes.gpus).astype(np.int64)
        busy = np.minimum(np.ceil(cap * rng.random(cap.size)), cap).astype(np.int64)
        eng.node_state.reset(fleet.usable_gpus[:, k], busy)
        for j in rng.choice(len(wl.jobs), 20, replace=False).tolist():
            g_min = 1 if eng.kind[j] == JobKind.BATCH else eng.gpus[j]
            cand = np.flatnonzero(eng.mask(j) & (eng.free_arr >= g_min))
            if cand.size == 0:
                continue
            ok = cand[policy.safe(eng, j, cand, t)]
            want = policy.base.choose_node(eng, j, ok, t) if ok.size else None
            got = policy.choose_node(eng, j, cand, t)
            assert got == want
            outcomes["none" if want is None else "node"] += 1
    assert outcomes["node"] > 200 and outcomes["none"] > 10
