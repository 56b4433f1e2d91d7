"""The engine reads the fleet's link timeline: reachability, dataset uploads, and the path to inference users.

Hand-built fleets where the right decision is known: a node with no path to the ground takes no new work until a
link step gives it one; a dataset upload delays the start of compute by ``bytes x 8 / bottleneck``; the hybrid
policy puts an inference service on the node with the shorter path to its users; request replay adds the routed
round trip.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from orbitgrid.fleet.nodes import LinkTimeline, NodeKind
from orbitgrid.network import geometry as geo
from orbitgrid.network import routing as rt
from orbitgrid.network.stations import Stations
from orbitgrid.pipeline.schedule import one_way_latency_s
from orbitgrid.scheduling.engine import COMPLETED, Engine
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import InferenceProfile, JobKind, RequestTable, Workload

LINK_STEP_S = 600.0


def _links(n_nodes: int, n_steps: int, **overrides: np.ndarray) -> LinkTimeline:
    lat = overrides.get("ground_latency_s", np.full((n_nodes, n_steps), 0.005))
    bw = overrides.get("ground_bandwidth_bps", np.full((n_nodes, n_steps), 1e11))
    users = overrides.get("user_latency_s", np.zeros((0, n_nodes, n_steps)))
    n_users = users.shape[0]
    return LinkTimeline(
        LINK_STEP_S,
        lat,
        bw,
        users,
        tuple(f"u{i}" for i in range(n_users)),
        np.linspace(10.0, 20.0, n_users),
        np.linspace(30.0, 40.0, n_users),
    )


def test_no_new_work_without_a_ground_path(make_fleet, make_workload, run_engine, check_invariants) -> None:
    fleet = make_fleet([8, 8], n_steps=120)  # two hours
    latency = np.full((2, 12), 0.004)
    latency[0, :3] = np.inf  # node 0 has no path to the ground for the first 30 minutes
    latency[1, :] = np.inf  # node 1 never has one
    fleet = dataclasses.replace(fleet, links=_links(2, 12, ground_latency_s=latency))
    wl = make_workload(kind=int(JobKind.TRAINING), submit_s=[0.0, 60.0], gpus=[8, 8], work_gpu_s=8 * 600.0)
    res = run_engine(fleet, wl, "fifo-backfill")
    check_invariants(fleet, wl, res)
    np.testing.assert_array_equal(res.placements["node"], [0, 0])
    assert res.first_start_s[0] == 3 * LINK_STEP_S  # the link step at which node 0 becomes reachable
    assert res.first_start_s[1] == res.end_s[0]  # then it waits for node 0, never node 1
    assert np.all(res.state == COMPLETED)
    # without links both start at once, one per node
    res_free = run_engine(dataclasses.replace(fleet, links=None), wl, "fifo-backfill")
    np.testing.assert_array_equal(res_free.first_start_s, [0.0, 60.0])


def test_dataset_upload_delays_compute_on_orbital_nodes_only(make_fleet, make_workload, run_engine) -> None:
    fleet = make_fleet([8, 8], n_steps=240, kind=[NodeKind.ORBITAL, NodeKind.GROUND])
    bw = np.full((2, 24), 1e10)  # 10 Gb/s bottleneck to the ground
    bw[1] = np.inf
    lat = np.full((2, 24), 0.004)
    lat[1] = 0.0
    fleet = dataclasses.replace(fleet, links=_links(2, 24, ground_latency_s=lat, ground_bandwidth_bps=bw))
    work = 8 * 3600.0
    wl = make_workload(
        kind=int(JobKind.TRAINING),
        submit_s=[0.0, 0.0],
        gpus=8,
        work_gpu_s=work,
        dataset_bytes=1e12,  # 1 TB: 800 s at 10 Gb/s
        allreduce_bytes_per_step=0.0,
        checkpoint_interval_s=np.inf,
    )
    res = run_engine(fleet, wl, "fifo-backfill")
    on = res.node
    orbital = int(np.flatnonzero(on == 0)[0])
    ground = int(np.flatnonzero(on == 1)[0])
    assert res.upload_s[orbital] == 800.0 and res.upload_s[ground] == 0.0
    np.testing.assert_allclose(res.end_s[orbital] - res.first_start_s[orbital], 800.0 + work / 8, rtol=1e-12)
    np.testing.assert_allclose(res.end_s[ground] - res.first_start_s[ground], work / 8, rtol=1e-12)


def test_hybrid_puts_an_inference_service_on_the_shorter_path(make_fleet, make_workload) -> None:
    fleet = make_fleet([8, 8], n_steps=120)
    users = np.zeros((1, 2, 12))
    users[0, 0] = 0.030  # node 0: 30 ms to the users (best fit alone would take node 0, the lower index)
    users[0, 1] = 0.010
    fleet = dataclasses.replace(fleet, links=_links(2, 12, user_latency_s=users))
    jobs = make_workload(kind=int(JobKind.INFERENCE), submit_s=[0.0], gpus=8, duration_s=3600.0).jobs
    links = fleet.links
    assert links is not None
    req = RequestTable(
        service=np.zeros(3, dtype=np.int64),
        arrival_s=np.array([10.0, 20.0, 700.0]),
        input_tokens=np.full(3, 100.0),
        output_tokens=np.full(3, 10.0),
        user_lat_deg=np.full(3, links.user_lat_deg[0]),
        user_lon_deg=np.full(3, links.user_lon_deg[0]),
    )
    wl = Workload(jobs, req, inference={0: InferenceProfile(1e4, 50.0, 2.0, 0.2)})
    res = Engine(fleet, wl, make_policy("hybrid"), np.random.default_rng(0)).run()  # type: ignore[arg-type]
    assert res.node[0] == 1
    # the same service with no link timeline goes to the best fit, node 0
    res0 = Engine(dataclasses.replace(fleet, links=None), wl, make_policy("hybrid"), np.random.default_rng(0)).run()  # type: ignore[arg-type]
    assert res0.node[0] == 0
    # and a latency budget below both paths leaves it unplaced
    tight = make_policy("hybrid", latency_budget_s=0.005)
    res_tight = Engine(fleet, wl, tight, np.random.default_rng(0)).run()  # type: ignore[arg-type]
    assert res_tight.node[0] == -1


def test_request_latency_is_the_routed_latency_at_arrival(make_fleet) -> None:
    fleet = make_fleet([8], n_steps=120)
    users = np.zeros((2, 1, 12))
    users[0, 0] = np.linspace(0.010, 0.021, 12)  # the path to user 0 changes every link step
    users[1, 0] = 0.050
    fleet = dataclasses.replace(fleet, links=_links(1, 12, user_latency_s=users))
    links = fleet.links
    assert links is not None
    lat = np.array([links.user_lat_deg[0], links.user_lat_deg[1], links.user_lat_deg[0], -45.0])
    lon = np.array([links.user_lon_deg[0], links.user_lon_deg[1], links.user_lon_deg[0], 100.0])
    t = np.array([0.0, 100.0, 3 * LINK_STEP_S + 1.0, 0.0])
    got = one_way_latency_s(fleet, 0, lat, lon, t)
    np.testing.assert_allclose(got[:3], [0.010, 0.050, 0.013], rtol=1e-12)
    # a user location the timeline does not know falls back to the geometric estimate (550 km at 25 deg elevation)
    np.testing.assert_allclose(got[3], one_way_latency_s(dataclasses.replace(fleet, links=None), 0, lat[3:], lon[3:]))
    assert got[3] > 550e3 / 299_792_458.0


def test_a_gang_across_satellites_runs_at_the_link_budgets_bandwidth(make_fleet, make_workload, run_engine) -> None:
    """A formation-cluster node's gang crosses satellites over their laser links: with the fabric set from the link
    budget at the lattice spacing (as the network stage does), a Starlink-class terminal (100 Gb/s) slows a
    communication-heavy gang against Suncatcher's DWDM terminal (9.6 Tb/s), by exactly the work model's ratio."""
    from orbitgrid.network.budget import starlink_laser_link, suncatcher_link

    spacing_m, gpus_per_sat, g = 150.0, 8, 64
    c, a = 1.0, 20e9  # 1 s of compute and 20 GB of all-reduce per GPU per step
    ends = {}
    for name, link in (("suncatcher", suncatcher_link()), ("starlink", starlink_laser_link())):
        fabric = float(link.capacity_bps(spacing_m)) / 8.0 / gpus_per_sat
        fleet = make_fleet([g], n_steps=24 * 60, fabric_bytes_s=fabric)
        wl = make_workload(
            kind=int(JobKind.TRAINING),
            submit_s=[0.0],
            gpus=g,
            work_gpu_s=g * 3600.0,
            step_compute_s=c,
            allreduce_bytes_per_step=a,
            checkpoint_interval_s=np.inf,
        )
        res = run_engine(fleet, wl, "fifo-backfill")
        assert res.state[0] == COMPLETED
        ends[name] = (res.end_s[0], fabric)
    for end, fabric in ends.values():  # the work model: g c / (c + 2 (g - 1) / g * a / B) units per second
        np.testing.assert_allclose(end, g * 3600.0 / (g * c / (c + 2 * (g - 1) / g * a / fabric)), rtol=1e-12)
    assert ends["starlink"][0] > 5 * ends["suncatcher"][0]


def test_estimate_without_links_is_the_routed_graphs_own_edges(make_fleet) -> None:
    """Without a link timeline the latency estimate uses the network models' facts, not a second copy of them: a
    ground site is the routed graph's user fibre edge (route factor, group index, sphere), an orbital node the
    light time of the ground-edge slant range at the Starlink mask."""
    fleet = make_fleet([8, 8], n_steps=12, kind=[NodeKind.GROUND, NodeKind.ORBITAL])
    nodes = dataclasses.replace(fleet.nodes, lat_deg=np.array([50.85, np.nan]), lon_deg=np.array([4.35, np.nan]))
    fleet = dataclasses.replace(fleet, nodes=nodes, links=None)
    lat, lon = np.array([40.71, -33.87, 50.85]), np.array([-74.01, 151.21, 4.35])
    users = Stations.from_degrees(["ny", "sydney", "brussels"], lat, lon)
    site = Stations.from_degrees(["site"], [50.85], [4.35])
    routed = rt.fibre_delay_s(rt.great_circle_m(users, site))[:, 0]
    np.testing.assert_allclose(one_way_latency_s(fleet, 0, lat, lon), routed, rtol=1e-12, atol=1e-15)
    # Brussels - New York, 5,890 km on the mean sphere: 1.3 x 5,890 km at c / 1.468, 37.5 ms one way
    assert routed[0] == pytest.approx(1.3 * 5.890e6 * 1.468 / 299_792_458.0, rel=2e-3)
    assert routed[2] == 0.0
    light = geo.slant_range_m(math.radians(rt.STARLINK_ELEVATION_MASK_DEG), 550e3) / 299_792_458.0
    np.testing.assert_allclose(one_way_latency_s(fleet, 1, lat, lon), np.full(3, light), rtol=1e-15)
