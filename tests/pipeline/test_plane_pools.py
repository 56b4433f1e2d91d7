"""Plane pools built from the physics (``pipeline.nodes``, ``policy.node_pools: plane``) against the per-satellite
nodes of the same scenario; the pre-flight admission that replaced the 50,000-node wall."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from orbitgrid.errors import ResourceLimitError
from orbitgrid.network.budget import isl_capacity_bps, starlink_laser_link
from orbitgrid.pipeline import preflight
from orbitgrid.pipeline.capacity import shell_capacity
from orbitgrid.pipeline.nodes import GROUND_FABRIC_BYTES_S, build_fleet_timeline, pool_of_track
from orbitgrid.pipeline.orbit import survey_shells
from orbitgrid.pipeline.schedule import run_schedule
from orbitgrid.scenario import ScenarioError, load_scenario_text
from orbitgrid.scheduling.pools import neighbour_distance_m

PER_PLANE = 24


def _scenario(node_pools: str, handoff: str = "60s", per_plane: int = PER_PLANE, **extra: Any):
    # one satellite per plane at phasing 1 would put the two (nodes 180 deg apart) on top of each other at the nodes,
    # which loading refuses; phasing 0 keeps them on opposite sides
    phasing = 1 if per_plane > 1 else 0
    data: dict[str, Any] = {
        "schema_version": 1,
        "name": "pools",
        "epoch": "2027-03-20T00:00:00Z",
        "duration": "3h",
        "step": "60s",
        "fleet": {
            "shells": [
                {
                    "name": "w",
                    "orbit": {"type": "walker_delta", "altitude_km": 550, "inclination_deg": 53,
                              "total": 2 * per_plane, "planes": 2, "phasing": phasing},
                    "design": "starlink-v2-mini-compute",
                }
            ]
        },
        "tenants": [{"name": "lab", "contract": "on_demand"}],
        "workloads": [{"type": "training", "tenant": "lab", "count": 1, "gpus": 16, "work_gpu_hours": 1}],
        "policy": {"node_pools": node_pools, "handoff": handoff},
        **extra,
    }  # fmt: skip
    return load_scenario_text(yaml.safe_dump(data))


def _build(sc):
    surveys = survey_shells(sc)
    caps = [shell_capacity(sc, s, track_usable=True, pool_of_track=pool_of_track(sc, s)) for s in surveys]
    return caps, build_fleet_timeline(sc, surveys, caps, []).timeline


@pytest.fixture(scope="module")
def both():
    return _build(_scenario("satellite")), _build(_scenario("plane"))


def test_a_plane_pool_holds_its_satellites_less_the_handoffs(both) -> None:
    (sat_caps, sat), (pool_caps, pool) = both
    assert len(sat.nodes) == 2 * PER_PLANE and len(pool.nodes) == 2
    assert pool.nodes.name.tolist() == ["w/plane-0", "w/plane-1"]
    assert pool.nodes.gpus.tolist() == [16 * PER_PLANE] * 2 and pool.nodes.member_gpus.tolist() == [16, 16]
    assert pool_caps[0].tracks.track_usable_gpus is None  # no per-satellite timeline was kept
    per_sat = sat.usable_gpus.astype(np.int64).reshape(2, PER_PLANE, -1)
    summed = per_sat.sum(axis=1)
    assert np.array_equal(pool_caps[0].pools.usable_gpus, summed)
    drops = np.zeros_like(summed)
    drops[:, 1:] = np.maximum(per_sat[:, :, :-1] - per_sat[:, :, 1:], 0).sum(axis=1)
    assert drops.sum() > 0  # the satellites do drop (eclipses) ...
    # ... and with a handoff of one step each lost GPU costs exactly the step it was lost in
    assert np.array_equal(pool.usable_gpus, np.maximum(summed - drops, 0))
    # the per-shell physics is the same either way
    assert sat_caps[0].tracks.gpu_hours.sum() == pytest.approx(pool_caps[0].tracks.gpu_hours.sum(), rel=1e-12)


def test_a_plane_pool_spans_satellites_at_the_laser_link_budget(both) -> None:
    (_, sat), (_, pool) = both
    assert sat.nodes.member_gpus is None  # a satellite's gang never leaves it: the table as before pools
    d = neighbour_distance_m(6_378_137.0 + 550e3, PER_PLANE)
    link = float(isl_capacity_bps(np.array([d]), starlink_laser_link())[0])
    assert pool.nodes.span_fabric_bytes_s.tolist() == pytest.approx([min(link / 8 / 16, GROUND_FABRIC_BYTES_S)] * 2)
    assert pool.nodes.fabric_bytes_s.tolist() == [GROUND_FABRIC_BYTES_S] * 2


def test_the_pool_fault_modulation_samples_its_plane() -> None:
    """The pool's rate scale is the mean over 32 members spread around the plane. Against the mean over all 96: the
    same faults over the run (each member's profile averages 1), and within 10 % per step on average (where the
    members are over the SAA at each step is what a sample misses)."""
    (_, sat), (_, pool) = _build(_scenario("satellite", per_plane=96)), _build(_scenario("plane", per_plane=96))
    assert sat.rate_scale is not None and pool.rate_scale is not None
    full = sat.rate_scale.astype(np.float64).reshape(2, 96, -1).mean(axis=1)
    assert pool.rate_scale.sum(axis=1) == pytest.approx(full.sum(axis=1), rel=1e-6)
    err = np.abs(pool.rate_scale - full) / full
    assert err.mean() < 0.10, err.mean()
    assert np.std(pool.rate_scale) > 0.1  # the plane's mean still moves with the Earth below it


def test_small_planes_sample_every_member() -> None:
    (_, sat), (_, pool) = _build(_scenario("satellite", per_plane=12)), _build(_scenario("plane", per_plane=12))
    assert sat.rate_scale is not None and pool.rate_scale is not None
    full = sat.rate_scale.astype(np.float64).reshape(2, 12, -1).mean(axis=1)
    assert np.allclose(pool.rate_scale, full, rtol=1e-6)


def test_plane_pools_and_a_network_section_are_refused_by_path() -> None:
    with pytest.raises(ScenarioError, match=r"policy\.node_pools"):
        _scenario("plane", network={"gateways": {"providers": ["KSAT"]}})


MILLION = """\
schema_version: 1
name: million
epoch: 2027-03-20T00:00:00Z
duration: 24h
step: 60s
fleet:
  shells:
    - name: big
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 1000000, planes: 2000, phasing: 1}
      design: starlink-v2-mini-compute
tenants: [{name: lab, contract: on_demand}]
workloads: [{type: generated, tenant: lab, kind: batch, count: 1000000}]
"""


def test_admission_names_the_node_pools_for_a_per_satellite_million(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(preflight, "available_memory_bytes", lambda: int(16e9))
    sc = load_scenario_text(MILLION)
    with pytest.raises(ResourceLimitError) as info:
        preflight.check(sc)
    assert "node timelines" in str(info.value) and "policy.node_pools: plane" in str(info.value)
    assert "policy.node_pools" in info.value.fields
    per_sat = preflight.estimate(sc)
    pooled = preflight.estimate(load_scenario_text(MILLION + "policy: {node_pools: plane}\n"))
    assert per_sat.sizes["nodes"] == 1_000_000 and pooled.sizes["nodes"] == 2_000
    assert pooled.sizes["node_steps"] == 2_000 * 1440 and pooled.sizes["job_nodes"] == 1e6 * 2_000
    assert pooled.seconds < per_sat.seconds / 5  # placement searches and timelines no longer scale with satellites
    preflight.check(load_scenario_text(MILLION + "policy: {node_pools: plane}\n"))  # admitted on 16 GB


def test_a_pooled_run_says_why_it_has_no_allocation_table(both) -> None:
    """The allocation table replays placements on particular GPUs; a pool places on a plane's accelerators, so the
    table is empty and the summary says why (instead of a packing that never happened)."""
    from orbitgrid.pipeline.schedule import ALLOCATION_NOT_BUILT, allocation_columns, schedule_summary

    (_, sat), (_, pool) = both
    pooled = run_schedule(_scenario("plane"), pool)
    assert pooled is not None and pooled.result.state.tolist() == [2]  # the one gang ran to completion
    assert all(v.size == 0 for v in allocation_columns(pooled).values())
    assert schedule_summary(pooled)["allocation"] == {"note": ALLOCATION_NOT_BUILT}
    per_sat = run_schedule(_scenario("satellite"), sat)
    assert per_sat is not None and allocation_columns(per_sat)["t_s"].size > 0


def test_pools_of_one_satellite_reproduce_the_per_satellite_run() -> None:
    """Planes of one satellite each: the pooled fleet is the per-satellite fleet (no handoffs: there is nowhere to
    move work; the fault modulation of the one member; the satellite's fabric), and the run is the same job for
    job."""
    extra = {
        "workloads": [
            {"type": "generated", "tenant": "lab", "kind": "training", "count": 150, "gpu_scale": 4},
            {"type": "training", "tenant": "lab", "count": 4, "gpus": 16, "work_gpu_hours": 20, "spacing": "20min"},
        ]
    }
    sat = _build(_scenario("satellite", per_plane=1, **extra))[1]
    pool = _build(_scenario("plane", per_plane=1, **extra))[1]
    assert len(pool.nodes) == len(sat.nodes) == 2 and pool.nodes.member_gpus.tolist() == [16, 16]
    assert np.array_equal(pool.usable_gpus, sat.usable_gpus) and np.any(np.diff(sat.usable_gpus[0]) < 0)
    assert np.allclose(pool.rate_scale, sat.rate_scale)
    a = run_schedule(_scenario("satellite", per_plane=1, **extra), sat)
    b = run_schedule(_scenario("plane", per_plane=1, **extra), pool)
    assert a is not None and b is not None and np.sum(a.result.state == 2) > 20
    for name in ("state", "node", "first_start_s", "end_s", "done_work", "restarts", "lost_work"):
        assert np.array_equal(getattr(a.result, name), getattr(b.result, name), equal_nan=True), name
    assert np.array_equal(a.result.faults["t_s"], b.result.faults["t_s"])
