"""``policy.partition: group`` through the pipeline: each shell and ground site scheduled by an engine of its own
(``scheduling.partition``), the same on a process pool as in this process, every job run by exactly one."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import yaml

from orbitgrid.pipeline.capacity import ground_capacities, shell_capacity
from orbitgrid.pipeline.nodes import build_fleet_timeline, pool_of_track
from orbitgrid.pipeline.orbit import survey_shells
from orbitgrid.pipeline.schedule import run_schedule, schedule_summary
from orbitgrid.scenario import load_scenario_text

SCENARIO = {
    "schema_version": 1,
    "name": "partitioned",
    "epoch": "2027-03-20T00:00:00Z",
    "duration": "4h",
    "step": "60s",
    "seed": 3,
    "fleet": {
        "shells": [
            {"name": "low", "orbit": {"type": "walker_delta", "altitude_km": 550, "inclination_deg": 53,
                                      "total": 40, "planes": 2, "phasing": 1}, "design": "starlink-v2-mini-compute"},
            {"name": "sso", "orbit": {"type": "walker_delta", "altitude_km": 650, "inclination_deg": 98,
                                      "total": 40, "planes": 2, "phasing": 1}, "design": "starlink-v2-mini-compute"},
        ],
        "ground_sites": [{"name": "memphis", "lat_deg": 35.1, "lon_deg": -90.0, "gpus": {"H100": 256},
                          "grid_power_mw": 1, "pue": 1.2}],
    },
    "tenants": [{"name": "lab", "contract": "reserved", "reserved_gpus": 300}, {"name": "web", "contract": "spot"}],
    "workloads": [
        {"type": "generated", "tenant": "lab", "kind": "training", "count": 300, "gpu_scale": 16},
        {"type": "generated", "tenant": "web", "kind": "batch", "count": 200, "gpu_scale": 4},
    ],
    "policy": {"name": "priority", "node_pools": "plane", "partition": "group"},
}  # fmt: skip


def test_a_partitioned_run_schedules_every_job_once_and_the_same_on_a_pool() -> None:
    sc = load_scenario_text(yaml.safe_dump(SCENARIO))
    surveys = survey_shells(sc)
    caps = [shell_capacity(sc, s, track_usable=True, pool_of_track=pool_of_track(sc, s)) for s in surveys]
    fleet = build_fleet_timeline(sc, surveys, caps, ground_capacities(sc)).timeline
    here = run_schedule(sc, fleet)
    with ProcessPoolExecutor(max_workers=2) as pool:
        there = run_schedule(sc, fleet, executor=pool)
    assert here is not None and there is not None
    r = here.result
    n = len(here.workload.jobs)
    assert r.state.size == n and np.all(r.state >= 0)  # every job was in one partition's queue
    assert (r.state == 2).sum() > 100
    # a placement's node is in the group of the job's other placements: a job never moves between partitions
    pl = r.placements
    groups = fleet.nodes.group[pl["node"]]
    for j in np.unique(pl["job"]):
        assert len(set(groups[pl["job"] == j].tolist())) == 1
    assert len(set(groups.tolist())) == 3  # all three partitions ran work
    for name in ("state", "node", "first_start_s", "end_s", "restarts"):
        assert np.array_equal(getattr(r, name), getattr(there.result, name), equal_nan=True), name
    a, b = schedule_summary(here), schedule_summary(there)
    assert a["gpu_hours"] == b["gpu_hours"] and a["jobs"] == b["jobs"]
