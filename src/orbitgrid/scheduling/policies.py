"""Scheduling policies: queue order and node choice, injected into the engine
(:class:`~orbitgrid.scheduling.view.Policy`), reading it through the narrow read-only
:class:`~orbitgrid.scheduling.view.EngineView`.

- :class:`FifoBackfill` — first come first served with EASY backfill (Lifka, "The ANL/IBM SP scheduling system",
  JSSPP 1995): the blocked head job gets a reservation on the node where it can start earliest; later jobs may start
  only if they do not delay it. Runtime estimates are the jobs' true work at the node's rate (perfect estimates).
- :class:`ContractPriority` — reserved > on-demand > spot, preemption of lower classes (a tenant's jobs count as
  reserved up to its ``reserved_gpus``; beyond that they queue as on-demand).
- :class:`PowerAware` — wraps another policy: never starts a gang on a node whose capacity timeline (eclipse,
  battery floor, heat) drops below what it needs before the job's next checkpoint, or whose trapped-proton rate
  scale over that window exceeds ``saa_threshold`` (the South Atlantic Anomaly); and writes a checkpoint ahead of
  predictable capacity drops so evictions lose nothing.
- :class:`Hybrid` — chooses orbit or ground per job by the expected cost of running it there: energy price, the
  fabric's effect on a gang's speed (communication-heavy training prefers nodes with a fast fabric), and a user
  latency budget for inference services.
- :class:`FairShare` — orders by each tenant's GPU-seconds used divided by its share (weighted max-min fairness).

Node choice among the nodes that fit now is best fit (fewest free GPUs left), ties to the lowest node index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from orbitgrid.fleet.nodes import NodeKind
from orbitgrid.workloads.jobs import Contract, JobKind

if TYPE_CHECKING:
    from orbitgrid.scheduling.view import EngineView


def best_fit(eng: EngineView, j: int, candidates: np.ndarray) -> int:
    free = eng.free_arr[candidates]
    return int(candidates[int(np.argmin(free))])


@dataclass
class FifoBackfill:
    name: str = "fifo-backfill"
    backfill: bool = True
    preempt: bool = False
    checkpoint_ahead: bool = False
    search: ClassVar[str | None] = "best-fit"  # choose_node is best fit: the engine may use its compiled search

    def within_key(self, eng: EngineView, j: int) -> tuple:
        return (eng.submit[j], j)

    def key(self, eng: EngineView, j: int) -> tuple:
        return (eng.submit[j], j)

    def choose_node(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int | None:
        return best_fit(eng, j, candidates)


@dataclass
class ContractPriority:
    name: str = "priority"
    backfill: bool = True
    preempt: bool = True
    checkpoint_ahead: bool = False
    search: ClassVar[str | None] = "best-fit"  # choose_node is best fit: the engine may use its compiled search
    reserved_gpus: dict[int, int] = field(default_factory=dict)  # tenant index -> reserved GPUs

    def effective_contract(self, eng: EngineView, j: int) -> int:
        c = eng.contract[j]
        if c == Contract.RESERVED:
            quota = self.reserved_gpus.get(eng.tenant[j])
            if quota is not None and eng.tenant_busy[eng.tenant[j]] + eng.gpus[j] > quota:
                return int(Contract.ON_DEMAND)
        return c

    def within_key(self, eng: EngineView, j: int) -> tuple:
        return (-eng.priority[j], eng.submit[j], j)

    def key(self, eng: EngineView, j: int) -> tuple:
        return (self.effective_contract(eng, j), -eng.priority[j], eng.submit[j], j)

    def choose_node(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int | None:
        return best_fit(eng, j, candidates)


@dataclass
class FairShare:
    name: str = "fair-share"
    backfill: bool = True
    preempt: bool = False
    checkpoint_ahead: bool = False
    search: ClassVar[str | None] = "best-fit"  # choose_node is best fit: the engine may use its compiled search
    shares: dict[int, float] = field(default_factory=dict)  # tenant index -> weight (default 1)

    def within_key(self, eng: EngineView, j: int) -> tuple:
        return (eng.submit[j], j)

    def key(self, eng: EngineView, j: int) -> tuple:
        """Tenants ordered by GPU-seconds used (finished segments plus GPUs busy now x elapsed) per share."""
        ten = eng.tenant[j]
        used = eng.tenant_used_gpu_s[ten] + eng.tenant_busy[ten] * eng.step_s
        return (used / self.shares.get(ten, 1.0), eng.submit[j], j)

    def choose_node(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int | None:
        return best_fit(eng, j, candidates)


_SCALAR_FIRST = 12  # candidates checked one by one before the array path takes over
_HYBRID_TIERS = 8  # price tiers searched one by one (compiled) before the array test on every candidate


@dataclass
class PowerAware:
    """Wraps ``base``: filters nodes whose timeline would stop the gang before its next checkpoint."""

    base: FifoBackfill | ContractPriority | FairShare | Hybrid = field(default_factory=FifoBackfill)
    saa_threshold: float = 5.0
    checkpoint_ahead: bool = True

    @property
    def name(self) -> str:
        return f"power-aware({self.base.name})"

    @property
    def backfill(self) -> bool:
        return self.base.backfill

    @property
    def preempt(self) -> bool:
        return self.base.preempt

    @property
    def search(self) -> str | None:
        """``"power-aware"`` over a best-fit base: the engine may use the compiled search, which applies
        :meth:`_safe_one` to the candidates in best-fit order exactly as :meth:`choose_node` does."""
        return "power-aware" if self.base.search == "best-fit" else None

    def within_key(self, eng: EngineView, j: int) -> tuple:
        return self.base.within_key(eng, j)

    def key(self, eng: EngineView, j: int) -> tuple:
        return self.base.key(eng, j)

    def gangs(self, eng: EngineView, j: int, candidates: np.ndarray) -> np.ndarray:
        if eng.kind[j] == JobKind.BATCH:
            return np.minimum(eng.gpus[j], eng.free_arr[candidates])
        return np.full(candidates.size, eng.gpus[j], dtype=np.int64)

    def _steps(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> tuple[int, np.ndarray]:
        """The window each candidate must keep, in steps: ``[k0, k1)`` (``EngineView.run_windows``)."""
        return eng.run_windows(j, candidates, self.gangs(eng, j, candidates), t)

    def _needed(self, eng: EngineView, j: int, nodes: np.ndarray) -> np.ndarray:
        return eng.busy[nodes] + self.gangs(eng, j, nodes)

    def _out_of_anomaly(self, eng: EngineView, candidates: np.ndarray, k0: int, k1: np.ndarray) -> np.ndarray:
        """No step of the window above the threshold."""
        return eng.next_rate_scale_above(candidates, k0, self.saa_threshold) >= k1

    def safe(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> np.ndarray:
        """Which candidates keep the gang's GPUs (and stay out of the anomaly) for the whole window, tested on
        arrays (numpy window minima: the reference for the compiled test)."""
        k0, k1 = self._steps(eng, j, candidates, t)
        ok = self._out_of_anomaly(eng, candidates, k0, k1)
        sel = np.flatnonzero(ok)
        nodes = candidates[sel]
        ok[sel] = eng.window_min_usable(nodes, k0, k1[sel]) >= self._needed(eng, j, nodes)
        return ok

    def first_safe(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int:
        """The index of the first candidate :meth:`safe` accepts, or -1 (stops at the first)."""
        k0, k1 = self._steps(eng, j, candidates, t)
        sel = np.flatnonzero(self._out_of_anomaly(eng, candidates, k0, k1))
        if not sel.size:
            return -1
        nodes = candidates[sel]
        i = eng.first_window_fit(nodes, k0, k1[sel], self._needed(eng, j, nodes))
        return -1 if i < 0 else int(sel[i])

    @staticmethod
    def _order(candidates: np.ndarray, free: np.ndarray) -> np.ndarray:
        """The candidates in best-fit order: free GPUs, then position."""
        if free.size and int(free.max()) < 32768:
            free = free.astype(np.int16)  # a stable sort of small integers is a radix sort
        return candidates[np.argsort(free, kind="stable")]

    def choose_node(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int | None:
        if isinstance(self.base, Hybrid):
            # The hybrid choice among the safe candidates without testing them all: the cheapest safe candidate
            # sets the price tier (costs within 1e-12 of it); inside the tier the pick is the shortest path (for
            # inference with links) then best fit, so the answer is the first safe node of the first tier that has
            # one, in (latency, free GPUs, index) order. Without latencies each tier is one compiled search.
            cand, costs, latency = self.base.rank(eng, j, candidates, t)
            if cand.size == 0:
                return None
            levels = np.unique(costs)
            if latency is None and levels.size <= _HYBRID_TIERS:
                order = np.argsort(cand)
                for level in levels.tolist():
                    tier = cand[order][costs[order] <= level * (1 + 1e-12)]
                    g_min = 1 if eng.kind[j] == JobKind.BATCH else eng.gpus[j]
                    n = eng.power_aware_best_fit(j, tier.astype(np.int64), g_min, -1, t, self.saa_threshold)
                    if n >= 0:
                        return n
                return None
            sel = np.flatnonzero(self.safe(eng, j, cand, t))
            lat = None if latency is None else latency[sel]
            return self.base.pick(eng, j, cand[sel], costs[sel], lat)
        # The base policy is best fit: the first safe candidate in (free GPUs, position) order is the best fit among
        # the safe ones, so the window is checked on the best fit alone first, then on growing chunks of that order.
        free = eng.free_arr[candidates]
        best = int(candidates[int(np.argmin(free))])
        if eng.power_aware_safe(j, best, t, self.saa_threshold):
            return best
        if candidates.size > 4 * _SCALAR_FIRST:
            # the first _SCALAR_FIRST of the (free, position) order without sorting them all: the keys are unique
            key = free.astype(np.int64) * candidates.size + np.arange(candidates.size)
            part = np.argpartition(key, _SCALAR_FIRST)[:_SCALAR_FIRST]
            head = candidates[part[np.argsort(key[part])]]
        else:
            head = self._order(candidates, free)[:_SCALAR_FIRST]
        for n in head[1:].tolist():  # head[0] is the best fit, refused above
            if eng.power_aware_safe(j, n, t, self.saa_threshold):
                return int(n)
        order = self._order(candidates, free)[_SCALAR_FIRST:]
        lo, chunk = 0, 64
        while lo < order.size:
            part = order[lo : lo + chunk]
            i = self.first_safe(eng, j, part, t)
            if i >= 0:
                return int(part[i])
            lo += chunk
            chunk *= 4
        return None


@dataclass
class Hybrid:
    """Orbit or ground per job, by expected cost: ``GPU-hours at the node's speed x (price per GPU-hour)``.

    ``price_usd_per_gpu_hour[kind]`` is the operator's cost of a GPU-hour on orbital and ground nodes (capital
    recovery; from the economics model when present); ground nodes add their wall-plug energy price times the
    GPU's power. Inference services must fit ``latency_budget_s`` one-way to their users: with a link timeline,
    the routed latency from each node to the service's user locations (request-weighted mean), and among equally
    cheap nodes the one with the shortest path wins; without one, ``orbit_latency_s`` for orbital nodes and ground
    sites assumed near their users. Remaining ties fall back to best fit.
    """

    name: str = "hybrid"
    backfill: bool = True
    preempt: bool = False
    checkpoint_ahead: bool = False
    search: ClassVar[str | None] = None  # choice by cost: the engine calls choose_node
    price_usd_per_gpu_hour: dict[int, float] = field(
        default_factory=lambda: {NodeKind.ORBITAL: 0.0, NodeKind.GROUND: 0.0}
    )
    orbit_latency_s: float = 0.02
    latency_budget_s: float = math.inf
    _users: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, init=False)

    def within_key(self, eng: EngineView, j: int) -> tuple:
        return (eng.submit[j], j)

    def key(self, eng: EngineView, j: int) -> tuple:
        return (eng.contract[j], eng.submit[j], j)

    def cost(self, eng: EngineView, j: int, candidates: np.ndarray) -> np.ndarray:
        """Expected cost (USD) of the job's remaining work on each candidate node."""
        if eng.kind[j] == JobKind.BATCH:
            g = np.minimum(eng.gpus[j], np.maximum(eng.free_arr[candidates], 1))
        else:
            g = np.full(candidates.size, eng.gpus[j], dtype=np.int64)
        hours = (eng.work[j] - eng.done[j]) / np.maximum(eng.rates(j, candidates, g), 1e-12) / 3600.0
        kinds = eng.nodes.kind[candidates]
        price = np.where(
            kinds == NodeKind.ORBITAL,
            self.price_usd_per_gpu_hour.get(NodeKind.ORBITAL, 0.0),
            self.price_usd_per_gpu_hour.get(NodeKind.GROUND, 0.0),
        )
        energy = eng.nodes.energy_price_usd_per_kwh[candidates] * eng.nodes.power_per_gpu_w[candidates] / 1000.0
        return hours * g * (price + energy)

    def user_latency_s(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> np.ndarray | None:
        """Request-weighted mean one-way latency from each candidate to inference service ``j``'s users at ``t``,
        from the fleet's link timeline; ``None`` without links or known users."""
        links = eng.links
        req = eng.requests
        if links is None or req is None or not links.user_names:
            return None
        users = self._users.get(j)
        if users is None:
            sel = req.service == j
            coords, counts = np.unique(
                np.stack([req.user_lat_deg[sel], req.user_lon_deg[sel]], axis=1), axis=0, return_counts=True
            )
            idx = np.array([links.user_index(float(a), float(b)) for a, b in coords], dtype=np.int64)
            known = idx >= 0
            users = self._users[j] = (idx[known], counts[known].astype(np.float64))
        idx, weight = users
        if idx.size == 0:
            return None
        lat = links.user_latency_s[idx][:, candidates, links.step_at(t)]
        return (weight[:, None] * lat).sum(axis=0) / weight.sum()

    def rank(
        self, eng: EngineView, j: int, candidates: np.ndarray, t: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The candidates within the latency budget, their expected costs, and (an inference service with a link
        timeline) their latencies to its users. Every value is per node, independent of the other candidates."""
        latency = None
        if eng.kind[j] == JobKind.INFERENCE:
            latency = self.user_latency_s(eng, j, candidates, t)
            if latency is not None:  # routed latency per node: keep those within the budget
                ok = latency <= self.latency_budget_s
                candidates, latency = candidates[ok], latency[ok]
            elif self.orbit_latency_s > self.latency_budget_s:
                candidates = candidates[eng.nodes.kind[candidates] == NodeKind.GROUND]
        costs = self.cost(eng, j, candidates) if candidates.size else np.zeros(0)
        return candidates, costs, latency

    def pick(
        self, eng: EngineView, j: int, candidates: np.ndarray, costs: np.ndarray, latency: np.ndarray | None
    ) -> int | None:
        """The cheapest (to 1e-12 relative), then the shortest path for inference, then best fit."""
        if candidates.size == 0:
            return None
        cheapest = costs <= costs.min() * (1 + 1e-12)
        best = candidates[cheapest]
        if latency is not None:  # among equally cheap nodes an inference service takes the shortest path
            lat = latency[cheapest]
            best = best[lat <= lat.min()]
        return best_fit(eng, j, best)

    def choose_node(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int | None:
        return self.pick(eng, j, *self.rank(eng, j, candidates, t))


POLICIES = ("fifo-backfill", "priority", "fair-share", "hybrid")


def make_policy(name: str, power_aware: bool = False, **kwargs: object) -> object:
    """A policy by name (``fifo-backfill``, ``priority``, ``fair-share``, ``hybrid``), optionally power-aware."""
    classes = {"fifo-backfill": FifoBackfill, "priority": ContractPriority, "fair-share": FairShare, "hybrid": Hybrid}
    if name not in classes:
        raise ValueError(f"unknown policy {name!r}; allowed: {', '.join(POLICIES)}")
    base = classes[name](**kwargs)
    return PowerAware(base=base) if power_aware else base
