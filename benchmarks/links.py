"""ISL topology and routing per step at 100,000 satellites, with the brute-force baselines measured in the same run.

Per step, for two fleets of ``--satellites`` at 550 km:

1. a Walker delta shell (53 deg, ``--planes`` planes) with the fixed +Grid edge list: line of sight, lengths and
   capacities of the step (``topology.evaluate_links``), then the step graph with ``--gateways`` gateways
   (visibility above 25 deg, fibre mesh; ``routing.build_step_graph``) and every node's shortest path to the
   nearest gateway (``routing.routes_to_gateways``: one multi-source Dijkstra, then hops and bottlenecks);
2. a random fleet (circular orbits of random inclination, node and phase) with k-d tree neighbour links
   (``topology.nearest_neighbour_links``: candidates, line of sight, greedy terminal matching), the reuse step that
   only re-checks the last plan (``topology.evaluate_links`` on its edges), then the same graph and routes.

Baselines, in the same process:

* neighbour search: every pair's distance in chunks, then each satellite's ``2 x terminals`` nearest by
  ``argpartition`` (what the k-d tree query returns), on ``--subset`` satellites, and scaled by ``(n / subset)^2``
  to the full fleet (its cost is quadratic; the k-d tree is timed on the same subset too);
* routing: Dijkstra from each gateway separately (``min_only=False``: a distance row per gateway, then the minimum
  over gateways), against the single multi-source run.

``--million`` also times a 1,000,000-satellite +Grid step (line of sight and lengths only, the part a reused edge
list needs per step). Times are medians over ``--steps`` steps (60 s apart) after a warm-up at small scale, of wall
time and of this process's CPU time: the machine is shared, so the load average is printed with the results, and on a
loaded machine the CPU time (the code is single-threaded: ``cKDTree`` with ``workers=1``) is the better estimate of
the wall time on a quiet one.

    python benchmarks/links.py [--satellites 100000] [--planes 400] [--gateways 100] [--steps 5] [--subset 10000]
                               [--million]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import platform
import resource
import statistics
import time
from collections.abc import Iterator

import numpy as np
from scipy.sparse.csgraph import dijkstra

from orbitgrid.astro import constellations as con
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.frames import teme_to_ecef
from orbitgrid.astro.j2 import positions_teme_m
from orbitgrid.network import routing as rt
from orbitgrid.network import topology as tp
from orbitgrid.network.budget import isl_capacity_bps, starlink_laser_link
from orbitgrid.network.stations import Stations

ALTITUDE_M = 550e3
JD0, FR0 = 2_461_000.5, 0.25
STEP_S = 60.0


def ground_capacity(range_m: np.ndarray, elevation_rad: np.ndarray) -> np.ndarray:
    """A flat 20 Gb/s per gateway link: routing cost does not depend on the capacity model."""
    return np.full(np.shape(range_m), 20e9)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def positions(orbits: con.CircularOrbits, t_s: float) -> tuple[np.ndarray, np.ndarray]:
    r = positions_teme_m(
        orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, orbits.arg_latitude_rad, np.array([t_s])
    )[:, 0, :]
    return r, teme_to_ecef(r, JD0, FR0 + t_s / 86_400.0)


def random_fleet(n: int, seed: int) -> con.CircularOrbits:
    rng = np.random.default_rng(seed)
    return con.CircularOrbits(
        np.full(n, EARTH_EQUATORIAL_RADIUS_M + ALTITUDE_M),
        np.arccos(rng.uniform(-1.0, 1.0, n)),
        rng.uniform(0.0, 2 * np.pi, n),
        rng.uniform(0.0, 2 * np.pi, n),
        np.zeros(n, dtype=np.int32),
    )


def gateways(n: int, seed: int) -> Stations:
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-0.9, 0.9, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return Stations.from_degrees([f"gw{i}" for i in range(n)], lat, lon, 0.0, rt.STARLINK_ELEVATION_MASK_DEG)


class Timer:
    """Wall-clock and process CPU samples by stage name: ``with timer("stage"): ...``."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0, c0 = time.perf_counter(), time.process_time()
        yield
        self.times.setdefault(name, []).append(time.perf_counter() - t0)
        self.cpu.setdefault(name, []).append(time.process_time() - c0)

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def median_cpu(self, name: str) -> float:
        return statistics.median(self.cpu[name])


def brute_force_knn(r: np.ndarray, k: int, max_range_m: float, chunk: int = 1024) -> int:
    """Each point's ``k`` nearest within range from all pair distances, in chunks; returns the pair count."""
    n = r.shape[0]
    sq = np.einsum("ij,ij->i", r, r)
    found = 0
    for lo in range(0, n, chunk):
        blk = r[lo : lo + chunk]
        d2 = np.einsum("ij,ij->i", blk, blk)[:, None] + sq[None, :] - 2.0 * (blk @ r.T)
        d2[np.arange(blk.shape[0]), np.arange(lo, lo + blk.shape[0])] = np.inf
        part = np.argpartition(d2, k, axis=1)[:, :k]
        found += int(np.count_nonzero(np.take_along_axis(d2, part, axis=1) <= max_range_m**2))
    return found


def run_fleet(
    label: str, kind: str, orbits: con.CircularOrbits, gws: Stations, capacity: tp.CapacityFn, steps: int, timer: Timer
) -> dict[str, float]:
    edges = None
    if kind == "grid":
        t0 = time.perf_counter()
        edges = tp.plus_grid_edges(tp.walker_layout(orbits))
        print(f"  {label}: +Grid edge list built once in {time.perf_counter() - t0:.3f} s ({len(edges):,} edges)")
    stats: dict[str, float] = {}
    for k in range(steps):
        t_s = 600.0 + STEP_S * k
        with timer(f"{label}:positions"):
            r_teme, r_ecef = positions(orbits, t_s)
        with timer(f"{label}:links"):
            if edges is not None:
                links = tp.evaluate_links(edges, r_teme, capacity)
            else:
                links = tp.nearest_neighbour_links(r_teme, capacity)
        if edges is None:
            # The reuse step between re-plans: the same edges re-checked at the next step's positions.
            r_next, _ = positions(orbits, t_s + STEP_S)
            with timer(f"{label}:reuse"):
                tp.evaluate_links(links.edges, r_next, capacity, max_range_m=tp.MAX_ISL_RANGE_M)
        with timer(f"{label}:graph"):
            graph = rt.build_step_graph(r_ecef, links, gws, ground_capacity)
        with timer(f"{label}:routes"):
            routes = rt.routes_to_gateways(graph)
    stats["links"] = len(links)
    stats["entries"] = graph.graph.nnz
    stats["reach"] = float(routes.reachable[: len(orbits)].mean())
    stats["lat_ms"] = float(np.median(routes.latency_s[: len(orbits)][routes.reachable[: len(orbits)]]) * 1e3)
    stats["hops"] = float(np.median(routes.hops[: len(orbits)][routes.reachable[: len(orbits)]]))
    # Routing baseline on the last step: one Dijkstra per gateway, then the minimum over gateways.
    with timer(f"{label}:routes-each"):
        best = dijkstra(graph.graph, directed=True, indices=graph.gateway_nodes, min_only=False).min(axis=0)
    if not np.array_equal(np.isfinite(best), routes.reachable) or not np.allclose(
        best[routes.reachable], routes.latency_s[routes.reachable], rtol=1e-12, atol=0.0
    ):
        raise AssertionError("per-gateway Dijkstra disagrees with the multi-source run")
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--satellites", type=int, default=100_000)
    ap.add_argument("--planes", type=int, default=400)
    ap.add_argument("--gateways", type=int, default=100)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--subset", type=int, default=10_000)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    n = args.satellites
    print(
        f"links benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}"
    )
    capacity = functools.partial(isl_capacity_bps, link=starlink_laser_link())
    gws = gateways(args.gateways, 1)

    # Warm-up at small scale (numba greedy kernel, scipy and numpy code paths).
    warm = Timer()
    run_fleet("warm-grid", "grid", con.walker(ALTITUDE_M, np.radians(53.0), 2000, 40, 1), gws, capacity, 1, warm)
    run_fleet("warm-knn", "knn", random_fleet(2000, 0), gws, capacity, 1, warm)

    timer = Timer()
    shell = con.walker(ALTITUDE_M, np.radians(53.0), n, args.planes, 1)
    print(f"\n{n:,} satellites, {args.gateways} gateways, {args.steps} steps; medians per step (s)")
    grid = run_fleet("grid", "grid", shell, gws, capacity, args.steps, timer)
    knn = run_fleet("knn", "knn", random_fleet(n, 2), gws, capacity, args.steps, timer)

    def row(label: str, stats: dict[str, float], stages: list[str]) -> None:
        med = {s: timer.median(f"{label}:{s}") for s in stages}
        cpu = {s: timer.median_cpu(f"{label}:{s}") for s in stages}
        core = sum(med[s] for s in stages if s not in ("positions", "reuse"))
        core_cpu = sum(cpu[s] for s in stages if s not in ("positions", "reuse"))
        parts = ", ".join(f"{s} {med[s]:.3f}" for s in stages)
        print(f"  {label:5s}: {parts} | topology+graph+routes {core:.3f} s per step (wall)")
        parts = ", ".join(f"{s} {cpu[s]:.3f}" for s in stages)
        print(f"  {'':5s}  {parts} | topology+graph+routes {core_cpu:.3f} s per step (process CPU)")
        print(
            f"         {int(stats['links']):,} ISLs, {int(stats['entries']):,} graph entries, "
            f"{stats['reach']:.1%} of satellites reach a gateway, median {stats['lat_ms']:.2f} ms, "
            f"{stats['hops']:.0f} hops"
        )

    row("grid", grid, ["positions", "links", "graph", "routes"])
    row("knn", knn, ["positions", "links", "reuse", "graph", "routes"])

    print("\nRouting: one Dijkstra per gateway (min over gateways) vs one multi-source run (min_only), last step")
    for label in ("grid", "knn"):
        each = timer.times[f"{label}:routes-each"][0]
        ms = timer.times[f"{label}:routes"][-1]
        print(
            f"  {label:5s}: per gateway {each:.3f} s, multi-source {ms:.3f} s (incl. hops/bottleneck): {each / ms:.1f}x"
        )

    sub = min(args.subset, n)
    r_sub, _ = positions(random_fleet(sub, 3), 0.0)
    kk = 2 * tp.PLUS_GRID_TERMINALS
    t0 = time.perf_counter()
    brute_force_knn(r_sub, kk, tp.MAX_ISL_RANGE_M)
    t_brute = time.perf_counter() - t0
    t0 = time.perf_counter()
    tp.neighbour_candidates(r_sub, kk, tp.MAX_ISL_RANGE_M)
    t_tree_sub = time.perf_counter() - t0
    scaled = t_brute * (n / sub) ** 2
    t_knn = timer.median("knn:links")
    print(
        f"\nNeighbour search: brute force (all pairs, chunked) at {sub:,} satellites {t_brute:.3f} s, k-d tree "
        f"candidates {t_tree_sub:.4f} s ({t_brute / t_tree_sub:.0f}x)"
    )
    print(
        f"  scaled to {n:,} (x{(n / sub) ** 2:.0f}): brute force ~{scaled:.1f} s vs k-d tree links (candidates, line "
        f"of sight, matching) {t_knn:.3f} s: {scaled / t_knn:.0f}x"
    )

    if args.million:
        big = con.walker(ALTITUDE_M, np.radians(53.0), 1_000_000, 1000, 1)
        t0 = time.perf_counter()
        edges = tp.plus_grid_edges(tp.walker_layout(big))
        t_edges = time.perf_counter() - t0
        mt = Timer()
        for k in range(3):
            r_big, _ = positions(big, 600.0 + STEP_S * k)
            with mt("1m"):
                tp.link_valid(edges, r_big, tp.ATMOSPHERE_MARGIN_M)
        print(
            f"\n1,000,000-satellite +Grid: edge list once {t_edges:.2f} s ({len(edges):,} edges); line of sight and "
            f"lengths per step {mt.median('1m'):.3f} s wall, {mt.median_cpu('1m'):.3f} s CPU (median of 3)"
        )
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB; load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
