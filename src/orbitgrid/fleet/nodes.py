"""The physics -> scheduling boundary: schedulable nodes and what each can deliver at every step.

Physics writes a :class:`FleetTimeline`; the scheduling engine reads it and never sees an orbit (ARCHITECTURE.md §1).

- A node is one satellite, one formation cluster (its satellites share illumination and a fabric; capacities add)
  or one ground site.
- ``usable_gpus[n, k]`` is how many of node ``n``'s accelerators can run during step ``k`` (power- and heat-limited,
  from the fused capacity kernel for orbital nodes, from the grid cap for ground sites).
- Links (optional, :class:`LinkTimeline`): per node and link step, the one-way latency and bottleneck bandwidth of
  its best path to a ground gateway (``inf`` / 0 when it has none) and the latency to each user location, from the
  network layer's topology and routing.
- Fault rates are per GPU per second: ``base_rate_per_gpu_s[n, c]`` for each cause ``c`` in :data:`FAULT_CAUSES`,
  modulated per step by ``rate_scale[n, k]`` (the trapped-proton flux along the track relative to its orbit mean,
  so the South Atlantic Anomaly shows; 1 on the ground). Permanent failures are not modulated.
- Maintenance (optional, :class:`~orbitgrid.fleet.maintenance.Maintenance`): what becomes of a GPU that fails for
  good on each node (repaired after a repair time, replaced by a cold spare, or lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orbitgrid.fleet.maintenance import Maintenance

#: Fault causes, in the column order of ``base_rate_per_gpu_s``.
FAULT_CAUSES = ("sdc", "interrupt", "permanent")
SDC, INTERRUPT, PERMANENT = 0, 1, 2


class NodeKind:
    ORBITAL = 0
    GROUND = 1


@dataclass(frozen=True)
class NodeTable:
    """Static facts per node (length ``n`` arrays)."""

    name: np.ndarray  # object array of str
    kind: np.ndarray  # int8, NodeKind
    group: np.ndarray  # object array of str: shell or site name
    gpu_model: np.ndarray  # object array of str (catalog name)
    gpus: np.ndarray  # int32: installed accelerators
    speed: np.ndarray  # float64: accelerator speed relative to the reference GPU (bf16 dense FLOP/s ratio)
    fabric_bytes_s: np.ndarray  # float64: per-GPU all-reduce bandwidth inside the node
    power_per_gpu_w: np.ndarray  # float64: wall power per accelerator at full load incl. host share
    base_rate_per_gpu_s: np.ndarray  # (n, 3) float64: sdc, interrupt, permanent per GPU-second
    recovery_s: np.ndarray  # float64: time to recover a node after a functional interrupt
    lat_deg: np.ndarray  # float64: ground sites' latitude (NaN for orbital nodes)
    lon_deg: np.ndarray
    altitude_m: np.ndarray  # float64: mean orbit altitude (0 on the ground)
    energy_price_usd_per_kwh: np.ndarray  # float64: wall-plug energy price (0 in orbit: the sunlight is paid)
    # host CPU (int64 milli-cores) and memory (float64 MiB) per node for placement; 0: not modelled. Left out (None),
    # __post_init__ fills zeros, so they are always arrays after construction.
    cpu_milli: np.ndarray = None  # type: ignore[assignment]
    memory_mib: np.ndarray = None  # type: ignore[assignment]
    # A node that pools several satellites (``scheduling.pools``): the accelerators of one satellite, and the per-GPU
    # all-reduce bandwidth of a gang larger than that, which spans satellites over laser links. None: a gang never
    # leaves one fabric (every node of a table built before pools; ``fabric_bytes_s`` for any gang).
    member_gpus: np.ndarray | None = None  # int32
    span_fabric_bytes_s: np.ndarray | None = None  # float64

    def __len__(self) -> int:
        return int(self.gpus.shape[0])

    def __post_init__(self) -> None:
        n = len(self)
        for name, dtype in (("cpu_milli", np.int64), ("memory_mib", np.float64)):
            v = getattr(self, name)
            v = np.zeros(n, dtype=dtype) if v is None else np.asarray(v, dtype=dtype)
            if v.shape != (n,):
                raise ValueError(f"NodeTable.{name} has shape {v.shape}, expected ({n},)")
            object.__setattr__(self, name, v)

    def gang_fabric_bytes_s(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(member_gpus, fabric_bytes_s, span_fabric_bytes_s)`` with the defaults filled in: a gang of ``g`` GPUs
        on node ``n`` all-reduces at ``fabric_bytes_s[n]`` when ``g <= member_gpus[n]``, else at
        ``span_fabric_bytes_s[n]``."""
        member = self.gpus if self.member_gpus is None else self.member_gpus
        span = self.fabric_bytes_s if self.span_fabric_bytes_s is None else self.span_fabric_bytes_s
        return (
            np.asarray(member, dtype=np.int64),
            np.asarray(self.fabric_bytes_s, dtype=np.float64),
            np.asarray(span, dtype=np.float64),
        )


@dataclass(frozen=True)
class LinkTimeline:
    """What the network delivers to each node over time, on a link grid of ``step_s`` (a multiple of the capacity
    step; link step ``l`` covers ``[l step_s, (l+1) step_s)``).

    ``ground_latency_s[n, l]``: one-way latency of node ``n``'s best path to a ground gateway (light time in vacuum
    and fibre plus switching; ``inf`` without a path; 0 for a ground site, which is its own gateway).
    ``ground_bandwidth_bps[n, l]``: the bottleneck capacity of that path (0 without a path; ``inf`` on the ground).
    ``user_latency_s[u, n, l]``: one-way latency from node ``n`` to user location ``u`` (``user_names[u]``).
    """

    step_s: float
    ground_latency_s: np.ndarray  # (n, L) float64
    ground_bandwidth_bps: np.ndarray  # (n, L) float64
    user_latency_s: np.ndarray  # (U, n, L) float64
    user_names: tuple[str, ...] = ()
    user_lat_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (U,) user locations, WGS84 degrees
    user_lon_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        if self.step_s <= 0:
            raise ValueError("link step_s must be positive")
        if self.ground_latency_s.ndim != 2 or self.ground_bandwidth_bps.shape != self.ground_latency_s.shape:
            raise ValueError("ground_latency_s and ground_bandwidth_bps must both be (n_nodes, L)")
        n, steps = self.ground_latency_s.shape
        if self.user_latency_s.shape != (len(self.user_names), n, steps):
            raise ValueError(f"user_latency_s must be (n_users={len(self.user_names)}, {n}, {steps})")
        if self.user_lat_deg.shape != (len(self.user_names),) or self.user_lon_deg.shape != self.user_lat_deg.shape:
            raise ValueError("user_lat_deg and user_lon_deg must have one entry per user name")

    def user_index(self, lat_deg: float, lon_deg: float) -> int:
        """The user location at these coordinates (to 1e-6 deg), or -1."""
        hit = np.flatnonzero(
            (np.abs(self.user_lat_deg - lat_deg) <= 1e-6) & (np.abs(self.user_lon_deg - lon_deg) <= 1e-6)
        )
        return int(hit[0]) if hit.size else -1

    @property
    def n_steps(self) -> int:
        return int(self.ground_latency_s.shape[1])

    def step_at(self, t_s: float) -> int:
        """The link step covering ``t_s`` (clamped to the grid)."""
        return min(max(int(t_s // self.step_s), 0), self.n_steps - 1)

    def reachable(self, link_step: int) -> np.ndarray:
        """Nodes with a path to the ground during ``link_step`` (finite latency and some bandwidth; bool per node)."""
        return np.isfinite(self.ground_latency_s[:, link_step]) & (self.ground_bandwidth_bps[:, link_step] > 0.0)


@dataclass(frozen=True)
class FleetTimeline:
    """Nodes and their per-step capacity on the scenario's time grid (step ``k`` covers ``[k h, (k+1) h)``)."""

    nodes: NodeTable
    step_s: float
    usable_gpus: np.ndarray  # (n, K) int32
    rate_scale: np.ndarray | None = None  # (n, K) float32, or None for constant rates
    links: LinkTimeline | None = None  # the network's view per node, or None (every node reachable, no latency)
    maintenance: Maintenance | None = None  # repairs and spares per node, or None (every permanent failure is lost)

    def __post_init__(self) -> None:
        n = len(self.nodes)
        if self.usable_gpus.ndim != 2 or self.usable_gpus.shape[0] != n:
            raise ValueError(f"usable_gpus must be (n_nodes={n}, K), got {self.usable_gpus.shape}")
        if np.any(self.usable_gpus < 0) or np.any(self.usable_gpus > self.nodes.gpus[:, None]):
            raise ValueError("usable_gpus must lie in [0, installed gpus]")
        if self.rate_scale is not None and self.rate_scale.shape != self.usable_gpus.shape:
            raise ValueError("rate_scale must have the shape of usable_gpus")
        if self.links is not None and self.links.ground_latency_s.shape[0] != n:
            raise ValueError(f"links must describe the {n} nodes")
        if self.maintenance is not None and self.maintenance.repair_s.shape != (n,):
            raise ValueError(f"maintenance must describe the {n} nodes")

    @property
    def n_steps(self) -> int:
        return int(self.usable_gpus.shape[1])

    @property
    def horizon_s(self) -> float:
        return self.n_steps * self.step_s

    def changes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Capacity change events ``(t_s, node, usable)`` sorted by time, then node: one per step boundary where a
        node's usable count differs from the previous step (step 0 is the initial state, not an event)."""
        u = self.usable_gpus
        k_idx, n_idx = np.nonzero((u[:, 1:] != u[:, :-1]).T)
        k_idx = k_idx + 1
        return k_idx * self.step_s, n_idx, u[n_idx, k_idx]

    def cumulative_hazard(self, node: int) -> np.ndarray:
        """``H[k]``: integral of the rate scale from 0 to ``k h`` (length K+1), for inverse-transform sampling of
        faults whose rate is piecewise constant per step."""
        scale = np.ones(self.n_steps) if self.rate_scale is None else self.rate_scale[node].astype(np.float64)
        return np.concatenate([[0.0], np.cumsum(scale) * self.step_s])
