"""The fleet of a scenario for the live service: the node timelines the engine reads (as ``simulate`` builds them,
network included; a node per satellite, or per orbital plane with ``policy.node_pools: plane``) and, per
satellite node, its state over time from the capacity kernel (sunlit fraction, battery, radiator temperature),
computed on first request and kept. A plane pool has no single satellite's state (``node_state`` is None)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.fleet.nodes import FleetTimeline
from orbitgrid.pipeline.capacity import ground_capacities, shell_capacity, step_sun_distance_m
from orbitgrid.pipeline.network import run_network
from orbitgrid.pipeline.nodes import build_fleet_timeline, pool_of_track, track_state
from orbitgrid.pipeline.orbit import ShellSurvey, survey_shells
from orbitgrid.pipeline.schedule import build_policy
from orbitgrid.scenario import Scenario
from orbitgrid.workloads.jobs import JobTable, Workload


@dataclass
class LiveFleet:
    """A scenario's fleet timeline and the surveys behind it (for per-node state)."""

    scenario: Scenario
    timeline: FleetTimeline
    surveys: list[ShellSurvey]
    #: Per shell, how many plane pools are its nodes (None, or no entry: a node per track).
    pools: list[int | None] = field(default_factory=list)
    _states: dict[int, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

    def track_of(self, node: int) -> tuple[ShellSurvey, int] | None:
        """The shell survey and track of a satellite's node (``None`` for a ground site or a plane pool)."""
        first = 0
        for i, s in enumerate(self.surveys):
            n_pools = self.pools[i] if i < len(self.pools) else None
            if n_pools is not None:
                if node < first + n_pools:
                    return None
                first += n_pools
                continue
            if node < first + s.orbits.tracks:
                return s, node - first
            first += s.orbits.tracks
        return None

    def node_state(self, node: int) -> dict[str, np.ndarray] | None:
        """Per step: ``lit_fraction``, ``battery_soc``, ``radiator_k``, ``usable_gpus`` of an orbital node; ``None``
        for a ground site."""
        st = self._states.get(node)
        if st is None:
            where = self.track_of(node)
            if where is None:
                return None
            st = self._states[node] = track_state(self.scenario, where[0], where[1])
        return st


def build_live_fleet(scenario: Scenario) -> LiveFleet:
    """Survey the shells, build their capacity and the ground sites', the node timelines and the network's."""
    surveys = survey_shells(scenario)
    sun_distance = step_sun_distance_m(scenario.time_grid())
    pools = [pool_of_track(scenario, s) for s in surveys]
    shells = [
        shell_capacity(scenario, s, sun_distance, track_usable=True, pool_of_track=p)
        for s, p in zip(surveys, pools, strict=True)
    ]
    sites = ground_capacities(scenario)
    nodes = build_fleet_timeline(scenario, surveys, shells, sites)
    net = run_network(scenario, surveys, nodes.timeline.nodes)
    timeline = nodes.timeline if net is None else net.attach(nodes.timeline)
    return LiveFleet(
        scenario, timeline, surveys, [None if p is None else int(p[-1]) + 1 if p.size else 0 for p in pools]
    )


def live_policy(scenario: Scenario) -> Any:
    """The scenario's policy for tenants that come and go (no per-tenant settings: quotas do that in the service)."""
    return build_policy(scenario, Workload(JobTable.build(tenants=()), None, ()))
