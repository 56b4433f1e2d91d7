"""Pre-flight estimate: a run's peak memory and time from the scenario's sizes, before any work.

``simulate`` and ``orbit`` call :func:`check` first: a run whose estimated peak memory exceeds the memory this machine
has available is refused with a :class:`~orbitgrid.errors.ResourceLimitError` that names the scenario fields driving
the estimate (``force=True``, ``--force`` on the command line, runs it anyway: for a bigger machine than the one
measuring).

The estimate is a linear model over sizes that the pipeline's arrays scale with (``sizes``):

- ``steps``: per-step arrays (the Sun on the grid, each shell's and site's time series);
- ``passages``: the shadow-passage table, one row per track and orbit (a bound: not every orbit is eclipsed);
- ``sgp4_block``: SGP4 propagates element sets 2,048 at a time over the whole grid (positions and velocities of a
  block are held at once);
- ``node_steps``: with workloads, every scheduler node's usable accelerators and fault-rate scale per step (a node
  per satellite, or per orbital plane with ``policy.node_pools: plane``, ``scheduling.pools``);
- ``job_nodes``: jobs x scheduler nodes, the engine's placement searches (time only: each job's search scans the
  nodes its mask allows; 0.16 ms per job at 10,003 nodes and 0.39 ms at 50,003 on the 100,000-job week of
  ``benchmarks/engine.py``, 2026-12-07, give 5.75e-9 s per job and node);
- ``jobs`` and ``requests``: the job table and engine state, and the inference requests replayed;
- ``link_cells``: with a ``network`` section, satellites x link steps (positions, links and routes per link step);
- ``track_steps`` and ``sgp4_track_steps``: the propagation work of the J2 and SGP4 paths (time only).

Coefficients come from measured runs (``benchmarks/preflight_accuracy.py``: peak resident memory and wall time of
runs spanning the sizes above, fitted by non-negative least squares; its leave-one-out error is stated in
``docs/benchmarks.md``). Times assume numba's compiled kernels are cached (a first run compiles for ~40 s more).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from orbitgrid import _jit
from orbitgrid.astro.constants import EARTH_MU_M3_S2
from orbitgrid.astro.elements import ElementSet
from orbitgrid.errors import ResourceLimitError
from orbitgrid.pipeline.nodes import schedulable_nodes
from orbitgrid.scenario import ElementsOrbit, FormationOrbit, Scenario, SunSynchronousOrbit, WalkerOrbit
from orbitgrid.scenario.models import (
    DEFAULT_LINK_STEP_S,
    GeneratedJobs,
    InferenceServices,
    TraceJobs,
    TrainingJobs,
)
from orbitgrid.workloads.generators import AZURE_CONV_FIT, OPENB_TRAINING_FIT

#: SGP4 propagates element sets in blocks of this many satellites (``astro.survey.survey_elements``' chunk).
SGP4_BLOCK = 2_048

#: Peak resident memory of a run, bytes: a fixed part (the interpreter, numpy, numba, pyarrow, the catalogs) plus
#: bytes per unit of each size. Fitted by ``benchmarks/preflight_accuracy.py`` to 14 measured runs (2026-12-07, see
#: docs/benchmarks.md; leave-one-out: median error factor 1.14, worst 2.2), rounded.
MEMORY_BASE_BYTES = 366e6
MEMORY_BYTES_PER: dict[str, float] = {
    "steps": 693.0,
    "passages": 158.0,
    "sgp4_block": 26.2,
    "node_steps": 143.0,
    "jobs": 1130.0,
    "requests": 46.6,
    "link_cells": 439.0,
}
#: Wall time of a run after imports, seconds: a fixed part plus seconds per unit of each size (same fit, made on a
#: machine loaded 5-10x its 2 cores: a quiet machine takes ~2-3x less; leave-one-out median error factor 1.37,
#: worst 2.7).
TIME_BASE_S = 12.6
TIME_S_PER: dict[str, float] = {
    "steps": 5.98e-5,
    "track_steps": 3.46e-7,
    "sgp4_track_steps": 5.64e-6,
    "passages": 0.0,
    "node_steps": 6.69e-6,
    "jobs": 1.78e-3,
    "job_nodes": 5.75e-9,
    "requests": 5.09e-6,
    "link_cells": 4.77e-5,
}
#: Share of the available memory a run may be estimated to use before it is refused (the estimate's error, and room
#: for the rest of the machine).
MEMORY_HEADROOM = 0.8

# Which scenario fields drive each size (for the refusal message).
_DRIVERS = {
    "steps": ("duration", "step"),
    "passages": ("fleet.shells", "duration"),
    "sgp4_block": ("fleet.shells[].orbit.file", "duration", "step"),
    "node_steps": ("fleet.shells", "policy.node_pools", "fleet.ground_sites", "workloads", "duration", "step"),
    "job_nodes": ("workloads", "fleet.shells", "policy.node_pools"),
    "jobs": ("workloads",),
    "requests": ("workloads[].rate_scale", "duration"),
    "link_cells": ("fleet.shells", "network.link_step", "duration"),
    "track_steps": ("fleet.shells", "duration", "step"),
    "sgp4_track_steps": ("fleet.shells[].orbit.file", "duration", "step"),
}


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak memory and wall time, and the sizes they come from."""

    command: str
    sizes: dict[str, float]
    peak_bytes: float
    seconds: float

    def memory_terms(self) -> list[tuple[str, float]]:
        """(size, bytes) contributions, largest first."""
        terms = [(k, MEMORY_BYTES_PER[k] * self.sizes.get(k, 0.0)) for k in MEMORY_BYTES_PER]
        return sorted((t for t in terms if t[1] > 0), key=lambda t: -t[1])

    def time_terms(self) -> list[tuple[str, float]]:
        terms = [(k, TIME_S_PER[k] * self.sizes.get(k, 0.0)) for k in TIME_S_PER]
        return sorted((t for t in terms if t[1] > 0), key=lambda t: -t[1])

    def summary(self) -> str:
        return f"~{format_bytes(self.peak_bytes)} peak memory, ~{format_duration(self.seconds)}"


def _period_s(altitude_km: float) -> float:
    a = 6_378_137.0 + altitude_km * 1e3
    return 2.0 * math.pi * math.sqrt(a**3 / EARTH_MU_M3_S2)


def _element_periods_s(es: ElementSet) -> float:
    """The shortest period of a set (the most orbits over a run)."""
    n = es.mean_motion_kozai_rad_s
    return float(2.0 * math.pi / n.max()) if len(es) else math.inf


def sizes(scenario: Scenario, command: str = "simulate") -> dict[str, float]:
    """The sizes the estimate scales with (see the module docstring); nothing is propagated."""
    steps = float(scenario.n_steps)
    duration = scenario.duration_s
    tracks = track_steps = sgp4_tracks = passages = 0.0
    sgp4_block = 0.0
    for shell in scenario.shells:
        orbit = shell.orbit
        if isinstance(orbit, ElementsOrbit):
            n = float(len(orbit.elements))
            period = _element_periods_s(orbit.elements)
            sgp4_tracks += n
            sgp4_block = max(sgp4_block, min(n, SGP4_BLOCK) * (steps + 1.0))
        else:
            assert isinstance(orbit, WalkerOrbit | SunSynchronousOrbit | FormationOrbit)
            n = float(orbit.clusters if isinstance(orbit, FormationOrbit) else orbit.n_satellites)
            period = _period_s(orbit.altitude_km)
            track_steps += n * (steps + 1.0)
        tracks += n
        passages += n * (duration / period + 1.0)
    out = {
        "tracks": tracks,
        "steps": steps,
        "passages": passages,
        "sgp4_block": sgp4_block,
        "track_steps": track_steps,
        "sgp4_track_steps": sgp4_tracks * (steps + 1.0),
        "node_steps": 0.0,
        "nodes": 0.0,
        "jobs": 0.0,
        "job_nodes": 0.0,
        "requests": 0.0,
        "link_cells": 0.0,
    }
    if command == "serve":  # the service schedules on every node from the start; its jobs come later, by request
        out["nodes"] = float(schedulable_nodes(scenario))
        out["node_steps"] = out["nodes"] * steps
    elif command != "simulate":
        return out
    if scenario.workloads and command == "simulate":
        out["nodes"] = float(schedulable_nodes(scenario))
        out["node_steps"] = out["nodes"] * steps
        out["jobs"], out["requests"] = _jobs_and_requests(scenario)
        out["job_nodes"] = out["jobs"] * out["nodes"]
    if scenario.network is not None:
        link_step = scenario.network.link_step or DEFAULT_LINK_STEP_S
        out["link_cells"] = tracks * max(1.0, math.ceil(duration / link_step))
    return out


#: Largest work ``kernel_mode`` runs as Python under ``ORBITGRID_KERNELS=auto`` (measured on the 2-core machine,
#: docs/benchmarks.md, *Startup*): loading numba and a run's cached kernels costs ~1 s, while as Python the shadow
#: survey costs ~1 us a track-step, the capacity stepping ~0.1 ms a step of each shell whatever its size (numpy
#: vectors over its tracks), each job a Python placement search over the nodes it may use, and the allocation
#: walk a pass over the scheduler's nodes at every sample (a 4,900-node ground site over a day: 2.5 s as Python,
#: 0.3 s compiled).
PYTHON_MAX_TRACK_STEPS = 300_000
PYTHON_MAX_NODE_STEPS = 300_000
PYTHON_MAX_SHELL_STEPS = 3_000
PYTHON_MAX_JOB_NODES = 200_000
PYTHON_MAX_JOBS = 1_000


def kernel_mode(scenario: Scenario) -> str:
    """``compiled`` or ``python``: how this run's kernels run (``orbitgrid._jit``).

    ``ORBITGRID_KERNELS`` (``auto``, ``compiled``, ``python``) decides when set to one of the two modes; ``auto``
    picks ``python`` for a run small enough that loading numba would cost more than the compiled code saves:
    designed circular shells only (no element sets, no formations), no network, no inference services, and at
    most ``PYTHON_MAX_TRACK_STEPS`` track-steps, ``PYTHON_MAX_SHELL_STEPS`` shell-steps, ``PYTHON_MAX_NODE_STEPS``
    scheduler node-steps, ``PYTHON_MAX_JOBS`` jobs and ``PYTHON_MAX_JOB_NODES`` jobs x nodes. The two modes agree
    within the tolerances of ``tests/test_kernel_modes.py``; the run's manifest records which one ran."""
    requested = _jit.requested_mode()
    if requested != "auto":
        return requested
    if scenario.network is not None:
        return "compiled"
    if any(not isinstance(shell.orbit, WalkerOrbit | SunSynchronousOrbit) for shell in scenario.shells):
        return "compiled"
    if any(isinstance(w, InferenceServices) for w in scenario.workloads):
        return "compiled"
    s = sizes(scenario)
    small = (
        s["track_steps"] <= PYTHON_MAX_TRACK_STEPS
        and len(scenario.shells) * (s["steps"] + 1.0) <= PYTHON_MAX_SHELL_STEPS
        and s["node_steps"] <= PYTHON_MAX_NODE_STEPS
        and s["jobs"] <= PYTHON_MAX_JOBS
        and s["job_nodes"] <= PYTHON_MAX_JOB_NODES
    )
    return "python" if small else "compiled"


def _jobs_and_requests(scenario: Scenario) -> tuple[float, float]:
    jobs = requests = 0.0
    duration = scenario.duration_s
    for w in scenario.workloads:
        if isinstance(w, TrainingJobs):
            jobs += w.count
        elif isinstance(w, GeneratedJobs):
            jobs += w.count if w.count is not None else OPENB_TRAINING_FIT.mean_rate_per_s * w.rate_scale * duration
        elif isinstance(w, TraceJobs):
            jobs += len(w.table)  # after its window, scaling and limit
        elif isinstance(w, InferenceServices):
            jobs += w.services
            if isinstance(w.requests, str):
                rate = AZURE_CONV_FIT.rate_per_s
            else:
                r = w.requests.imported.requests
                rate = len(r) / max(float(r.arrival_s[-1]), 1.0)
            requests += rate * w.rate_scale * max(0.0, duration - w.start)
    return jobs, requests


def estimate(scenario: Scenario, command: str = "simulate") -> Estimate:
    """Peak memory and wall time of ``orbitgrid <command>`` on ``scenario`` (``simulate``, ``orbit``, or ``serve``:
    building the fleet the service schedules, a node timeline per satellite or plane pool whatever the workloads)."""
    s = sizes(scenario, command)
    peak = MEMORY_BASE_BYTES + sum(MEMORY_BYTES_PER[k] * s.get(k, 0.0) for k in MEMORY_BYTES_PER)
    seconds = TIME_BASE_S + sum(TIME_S_PER[k] * s.get(k, 0.0) for k in TIME_S_PER)
    return Estimate(command, s, peak, seconds)


def available_memory_bytes() -> int:
    """Memory this machine can give a new run now: psutil's ``available`` (free plus reclaimable caches), capped by
    a cgroup limit (containers) when one is set."""
    import psutil

    available = int(psutil.virtual_memory().available)
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit():
            limit = int(text)
            used = _cgroup_usage(path)
            if limit < 1 << 60:
                available = min(available, max(0, limit - used))
    return available


def _cgroup_usage(limit_path: str) -> int:
    folder = os.path.dirname(limit_path)
    for name in ("memory.current", "memory.usage_in_bytes"):
        try:
            with open(os.path.join(folder, name), encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            continue
    return 0


def check(scenario: Scenario, command: str = "simulate", *, force: bool = False) -> Estimate:
    """The estimate, after refusing (``ResourceLimitError``) a run whose peak memory would exceed
    ``MEMORY_HEADROOM`` of the available memory, unless ``force``."""
    est = estimate(scenario, command)
    if force:
        return est
    available = available_memory_bytes()
    if est.peak_bytes > MEMORY_HEADROOM * available:
        terms = est.memory_terms()[:3]
        fields: list[str] = []
        for key, _ in terms:
            fields += [f for f in _DRIVERS[key] if f not in fields]
        drivers = "; ".join(f"{_label(k)} {format_bytes(b)}" for k, b in terms)
        raise ResourceLimitError(
            f"{scenario.name}: this run needs an estimated {format_bytes(est.peak_bytes)} of memory ({drivers}); "
            f"this machine has {format_bytes(available)} available. The estimate is driven by {', '.join(fields)}: "
            f"{_pool_hint(scenario, est)}use fewer satellites, a longer step or a shorter duration, or give --force "
            f"to run it on a machine with more memory (estimated time {format_duration(est.seconds)})",
            tuple(fields),
        )
    return est


def _pool_hint(scenario: Scenario, est: Estimate) -> str:
    """Advice when per-satellite scheduler timelines drive the estimate and plane pools would shrink them."""
    top = est.memory_terms()[:1]
    if scenario.policy.node_pools == "satellite" and top and top[0][0] == "node_steps":
        return "schedule by orbital plane (policy.node_pools: plane), "
    return ""


def _label(key: str) -> str:
    return {
        "steps": "per-step series",
        "passages": "shadow passages",
        "sgp4_block": "SGP4 positions",
        "node_steps": "node timelines",
        "jobs": "jobs",
        "requests": "inference requests",
        "link_cells": "link timelines",
    }[key]


def format_bytes(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def format_duration(s: float) -> str:
    if s >= 86_400:
        return f"{s / 86_400:,.1f} days"
    if s >= 3_600:
        return f"{s / 3_600:,.1f} h"
    if s >= 60:
        return f"{s / 60:,.1f} min"
    return f"{s:,.0f} s"
