"""What a scheduling policy sees of the engine: :class:`EngineView`, a narrow read-only interface, and the
:class:`Policy` protocol the engine calls.

A policy orders the queue and chooses nodes; it reads the engine only through :class:`EngineView` (static job
columns, free and busy GPUs per node, tenants' usage, and questions answered by the engine from the one place each
formula lives: a gang's rate, the window it must keep, the capacity timeline over a window). It never changes
engine state: the engine starts, stops and accounts jobs itself. ``docs/scheduling.md`` shows a policy written
against this interface in one screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from orbitgrid.fleet.nodes import LinkTimeline, NodeTable
    from orbitgrid.workloads.jobs import RequestTable


class EngineView(Protocol):
    """The engine as a policy sees it (read-only). Jobs and nodes are integer indices."""

    # --- jobs: static columns of the job table (``work``: reference GPU-seconds; seconds of service for inference)
    @property
    def kind(self) -> Sequence[int]: ...  # orbitgrid.workloads.jobs.JobKind
    @property
    def gpus(self) -> Sequence[int]: ...  # GPUs asked (a gang's size; a divisible batch job's most)
    @property
    def contract(self) -> Sequence[int]: ...  # orbitgrid.workloads.jobs.Contract
    @property
    def tenant(self) -> Sequence[int]: ...
    @property
    def submit(self) -> Sequence[float]: ...  # s
    @property
    def priority(self) -> Sequence[int]: ...  # higher first within a contract class
    @property
    def work(self) -> Sequence[float]: ...

    # --- jobs: state
    @property
    def done(self) -> Sequence[float]: ...  # saved work

    # --- nodes: the static table (kind, GPU model, speed, fabric, power, energy price, ...) and GPUs now
    @property
    def nodes(self) -> NodeTable: ...
    @property
    def free_arr(self) -> np.ndarray: ...  # free GPUs per node now (do not write)
    @property
    def busy(self) -> np.ndarray: ...  # busy GPUs per node now (do not write)

    # --- tenants
    @property
    def tenant_busy(self) -> Sequence[int]: ...  # GPUs busy now
    @property
    def tenant_used_gpu_s(self) -> Sequence[float]: ...  # GPU-seconds of finished segments

    # --- time and the world
    @property
    def step_s(self) -> float: ...  # the capacity timeline's step
    @property
    def links(self) -> LinkTimeline | None: ...  # the fleet's link timeline (latencies to users), if any
    @property
    def requests(self) -> RequestTable | None: ...  # inference requests (users' locations), if any

    # --- questions (orbitgrid.scheduling.formulas and orbitgrid.scheduling.windows: one place each)
    def rates(self, j: int, nodes: np.ndarray, g: np.ndarray | int) -> np.ndarray:
        """Work units per second of job ``j`` on ``g`` GPUs of each of ``nodes``."""
        ...

    def run_windows(self, j: int, nodes: np.ndarray, g: np.ndarray, t: float) -> tuple[int, np.ndarray]:
        """The steps ``[k0, k1[i])`` job ``j`` started at ``t`` on ``g[i]`` GPUs of ``nodes[i]`` must keep them: to
        its first checkpoint or its end (``formulas.node_window``)."""
        ...

    def window_min_usable(self, nodes: np.ndarray, k0: int, k1: np.ndarray) -> np.ndarray:
        """The least usable GPUs of each node over steps ``[k0, k1[i])``."""
        ...

    def first_window_fit(self, nodes: np.ndarray, k0: int, k1: np.ndarray, needed: np.ndarray) -> int:
        """The first ``i`` whose node keeps ``needed[i]`` usable GPUs over steps ``[k0, k1[i])``, or -1."""
        ...

    def next_rate_scale_above(self, nodes: np.ndarray, k0: int, threshold: float) -> np.ndarray:
        """The first step ``>= k0`` at which each node's fault-rate scale exceeds ``threshold`` (the number of steps
        when it never does, or the fleet has no rate scale)."""
        ...

    def power_aware_safe(self, j: int, n: int, t: float, saa_threshold: float) -> bool:
        """The compiled power-aware test for job ``j`` started at ``t`` on node ``n`` (``placement.safe``)."""
        ...

    def power_aware_best_fit(
        self, j: int, nodes: np.ndarray, g_min: int, exclude: int, t: float, saa_threshold: float
    ) -> int:
        """The first of ``nodes`` in best-fit order passing :meth:`power_aware_safe` (``placement.search``)."""
        ...


class Policy(Protocol):
    """Ordering and placement, injected into the engine."""

    name: str
    backfill: bool  # EASY backfill behind a blocked head job
    preempt: bool  # may evict lower contract classes
    checkpoint_ahead: bool  # writes a checkpoint ahead of a predictable capacity drop

    def within_key(self, eng: EngineView, j: int) -> tuple:
        """Static order of jobs inside one queue class (same tenant, contract, placement, model and size)."""
        ...

    def key(self, eng: EngineView, j: int) -> tuple:
        """Order between the heads of the queue classes, evaluated at each dispatch (may depend on state)."""
        ...

    # A policy may also define ``admit(eng, j, t) -> bool``: whether job ``j`` may start now at all (a quota); a job
    # it refuses is neither placed nor allowed to preempt, and waits for the next dispatch. And
    # ``effective_contract(eng, j) -> int``: the class job ``j`` counts as for preemption (default: its contract).

    def choose_node(self, eng: EngineView, j: int, candidates: np.ndarray, t: float) -> int | None:
        """The node for job ``j`` among ``candidates`` (ascending indices, all with the GPUs free), or ``None``.

        A policy whose choice is best fit (fewest free GPUs, then lowest index) may say so with a ``search``
        attribute of ``"best-fit"`` (``"power-aware"`` for the power-aware test over best fit): the engine then
        makes the same choice with a compiled search (:mod:`orbitgrid.scheduling.placement`) without building the
        candidate array. A subclass that changes ``choose_node`` must set ``search = None``."""
        ...
