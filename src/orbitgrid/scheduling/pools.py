"""Node pools: the satellites of one orbital plane scheduled as one node, so that placement costs the same for a
plane of 20 satellites as for one of 500.

Why planes. The satellites of a Walker or sun-synchronous plane fly the same track, shifted in time (the physics
surveys them through that symmetry, ``astro.survey.ShiftedShell``), evenly spread around the orbit: at any instant
the same share of them is in the Earth's shadow. Each satellite's usable accelerators drop and recover a few dozen
times a day (eclipse, battery floor, heat), but their sum over the plane barely moves. A pool places work on that
sum, which the per-satellite path cannot do at a million satellites (every satellite a node of the event engine:
~50 capacity changes per satellite per day, and a placement search over every node for every job).

What a pool assumes, and charges for:

- **Work follows the power along the plane.** When a satellite loses accelerators, the work they carried moves to a
  satellite of the same plane that has power: the job checkpoints ahead of the predictable drop (as the power-aware
  policy does) and restores on the new satellite. Each moved GPU costs ``handoff_s`` of GPU time (default: a
  training workload's checkpoint write plus restore). The pool's usable accelerators in step ``k`` are the members'
  sum less the GPUs busy handing off, :func:`handoff_gpus`: every accelerator a member loses at a step boundary is
  counted as busy (the pool cannot know which were idle), so the charge is an upper bound on the overhead.
- **Gangs larger than one satellite span neighbours over the in-plane laser links.** A gang that fits one satellite
  all-reduces over the satellite's fabric (``NodeTable.fabric_bytes_s``); a larger one spans adjacent satellites
  and all-reduces at the laser link's capacity at the in-plane neighbour distance (``network.budget``), shared by
  the satellite's accelerators (the convention formation clusters use: one aperture link per satellite, shared),
  never faster than the satellite's own fabric (:func:`span_fabric_bytes_s`). The engine's gang-rate formula takes
  the bandwidth from ``NodeTable.gang_fabric_bytes_s``.
- **Packing inside the pool is not modelled**: a gang that fits one satellite is placed when the pool has that many
  accelerators free, wherever they are (the scheduler is assumed to consolidate work as it moves along the plane).
- **Faults** strike a pool's accelerators at the members' rates; the radiation modulation along the track is the
  mean over a sample of the plane's members (``pipeline.nodes.POOL_PROFILE_SAMPLES``), spread evenly around it.

A pool is an ordinary scheduler node: every policy, fault, maintenance and checkpoint rule of the engine applies
unchanged, and a plane of one satellite is that satellite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid._jit import kernel


@dataclass(frozen=True)
class PoolCapacity:
    """A designed shell's accelerators summed per pool (orbital plane) and step, without any per-satellite array.

    ``usable_gpus[p, k]``: the members' usable accelerators in step ``k``; ``drop_gpus[p, k]``: accelerators the
    members lost at the start of step ``k`` (the sum of each member's decrease from step ``k - 1``; 0 at ``k = 0``);
    ``members[p]``: satellites (tracks) in the pool; ``pool_of_track``: the pool of each track."""

    usable_gpus: np.ndarray  # (P, K) int64
    drop_gpus: np.ndarray  # (P, K) int64
    members: np.ndarray  # (P,) int64
    pool_of_track: np.ndarray  # (n_tracks,) int64

    @property
    def n_pools(self) -> int:
        return int(self.members.shape[0])


def pool_bounds(pool_of_track: np.ndarray) -> np.ndarray:
    """Row offsets ``b`` (length P + 1) of each pool's tracks, which must be grouped (non-decreasing pool indices,
    every pool from 0 to P - 1 present): pool ``p`` is tracks ``b[p]:b[p + 1]``."""
    p = np.asarray(pool_of_track, dtype=np.int64)
    if p.size and (np.any(np.diff(p) < 0) or p[0] != 0 or np.any(np.diff(p) > 1)):
        raise ValueError("pool_of_track must number pools 0, 1, ... in non-decreasing track order")
    n_pools = int(p[-1]) + 1 if p.size else 0
    return np.searchsorted(p, np.arange(n_pools + 1))


def accumulate(
    usable: np.ndarray, drops: np.ndarray, track_usable: np.ndarray, pool_of_track: np.ndarray, first_track: int
) -> None:
    """Add one chunk of tracks (``track_usable``: rows are tracks ``first_track ...``, columns steps) into the
    per-pool sums ``usable`` and ``drops`` (:class:`PoolCapacity`), in place."""
    u = np.ascontiguousarray(track_usable)
    if u.shape[0] == 0:
        return
    pools = np.ascontiguousarray(pool_of_track[first_track : first_track + u.shape[0]], dtype=np.int64)
    _accumulate(usable, drops, u, pools)


@kernel(cache=True)
def _accumulate(usable: np.ndarray, drops: np.ndarray, u: np.ndarray, pools: np.ndarray) -> None:
    """One pass over the chunk, no temporaries: each track's steps added to its pool's, each decrease to its drops."""
    n, k_steps = u.shape
    for i in range(n):
        p = pools[i]
        prev = u[i, 0]
        usable[p, 0] += prev
        for k in range(1, k_steps):
            x = u[i, k]
            usable[p, k] += x
            if x < prev:
                drops[p, k] += prev - x
            prev = x


def handoff_gpus(drop_gpus: np.ndarray, handoff_s: float, step_s: float) -> np.ndarray:
    """Accelerator-equivalents busy handing work off in each step, ``(P, K)`` float64: each GPU lost at the start of
    step ``k`` occupies one GPU for ``handoff_s`` from then, spread over steps ``k, k + 1, ...`` by overlap (the GPU
    time in a step divided by the step)."""
    d = np.asarray(drop_gpus, dtype=np.float64)
    out = np.zeros_like(d)
    k_total = d.shape[1]
    for j in range(min(k_total, math.ceil(handoff_s / step_s))):
        w = min(step_s, handoff_s - j * step_s) / step_s
        out[:, j:] += w * d[:, : k_total - j]
    return out


def pool_usable_gpus(capacity: PoolCapacity, handoff_s: float, step_s: float, gpus_per_pool: np.ndarray) -> np.ndarray:
    """What a pool can run in each step, ``(P, K)`` int32: the members' usable accelerators less those busy handing
    off (:func:`handoff_gpus`), rounded down, within ``[0, gpus_per_pool]``. A pool of one satellite hands nothing
    off (there is no other satellite to move to): its drops evict, as on a satellite node."""
    busy = handoff_gpus(capacity.drop_gpus, handoff_s, step_s)
    busy[np.asarray(capacity.members) <= 1] = 0.0
    left = np.floor(capacity.usable_gpus - busy + 1e-9)
    return np.clip(left, 0, np.asarray(gpus_per_pool)[:, None]).astype(np.int32)


def neighbour_distance_m(semi_major_axis_m: np.ndarray | float, per_plane: int) -> np.ndarray:
    """Chord between adjacent satellites of a plane of ``per_plane`` evenly spaced satellites, m:
    ``2 a sin(pi / per_plane)``."""
    return 2.0 * np.asarray(semi_major_axis_m, dtype=np.float64) * math.sin(math.pi / max(per_plane, 2))


def span_fabric_bytes_s(
    link_capacity_bps: np.ndarray | float, gpus_per_satellite: int, satellite_fabric_bytes_s: float
) -> np.ndarray:
    """Per-GPU all-reduce bandwidth (bytes/s) of a gang spanning satellites: the in-plane laser link's capacity
    shared by the satellite's accelerators, at most the satellite's own fabric."""
    per_gpu = np.asarray(link_capacity_bps, dtype=np.float64) / 8.0 / max(gpus_per_satellite, 1)
    return np.minimum(per_gpu, satellite_fabric_bytes_s)
