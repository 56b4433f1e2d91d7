"""Conjunction screening of a SpaceX-filing-like fleet, against brute force (issue 17).

Fleet: ``--satellites`` circular orbits in ``--shells`` shells evenly spaced from 500 to 2,000 km (the filing of FCC
DA 26-113: up to 1,000,000 satellites at 500-2,000 km, 30 deg and sun-synchronous inclinations, shells <= 50 km
thick), alternately at 30 deg and sun-synchronous, each ``--thickness-km`` thick (altitudes uniform inside),
random nodes and phases (seeded). Threshold 5 km, J2 secular propagator.

Measures, in one process on this machine:

1. ``astro.conjunctions.screen`` (radial layers, latitude bands, longitude sweeps) over ``--hours`` at ``--step``
   seconds (default 20 s: with per-layer relative-speed bounds the cheapest per day of 10, 15, 20, 25 and 30 s at
   1,000,000 satellites): wall and CPU time, conjunctions, pairs refined, peak resident memory; extrapolated to 24 h
   (time per step x steps in a day; the conjunction arrays, 40 bytes each, scaled to the day).
1b. The previous screener (``screen_kdtree``, a k-d tree per grid time) on the same fleet over the first
   ``--kdtree-minutes``, against ``screen`` over the same span: the same conjunctions (pairs, TCA within 1 ms, miss
   within 1 mm), and the ratio of their times per step.
2. Zero misses: ``--subsets`` random 2,000-satellite subsets of the same fleet screened by ``screen`` and by the
   all-pairs ``brute_force_conjunctions`` (refined on the propagator, no index) over ``--subset-minutes``; prints
   matched and unmatched events (a random 2,000 of a large fleet is sparse: the counts say how much was checked).
   The subsets are drawn inside one shell so they hold conjunctions.
3. Brute force extrapolated: the all-pairs range and range-rate evaluation of 10,000 satellites per step (Gram-matrix
   form in 1,000-row blocks; the cheapest all-pairs pass, without any refinement) timed over a few steps, scaled by
   ``(N / 10,000)^2`` and by the number of steps; printed as a ratio against (1).

    python benchmarks/conjunctions.py [--satellites 1000000] [--hours 1] [--step 20] [--shells 20]
        [--kdtree-minutes 1] [--subsets 2]
"""

from __future__ import annotations

import os

# numba's OpenMP threads sleep when idle instead of spinning (libgomp's default): on a shared machine a spinning
# thread burns CPU another process needs and waits behind it. Set before numba starts its thread pool; an explicit
# OMP_WAIT_POLICY wins. Measured at load ~8, 1,000,000 satellites, 2 threads: 261 -> 214 ms CPU per step.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import platform
import resource
import subprocess
import time

import numpy as np

from orbitgrid.astro import conjunctions as cj
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.constellations import CircularOrbits, sun_synchronous_inclination_rad


def fleet(n: int, shells: int, thickness_km: float, seed: int) -> CircularOrbits:
    rng = np.random.default_rng(seed)
    shell = np.arange(n) % shells
    centre_km = 500.0 + (1500.0 - thickness_km) * shell / max(shells - 1, 1) + thickness_km / 2
    alt_km = centre_km + rng.uniform(-thickness_km / 2, thickness_km / 2, n)
    sso = np.array([sun_synchronous_inclination_rad(c * 1e3) for c in np.unique(centre_km)])
    inc = np.where(shell % 2 == 0, np.radians(30.0), sso[np.searchsorted(np.unique(centre_km), centre_km)])
    return CircularOrbits(
        EARTH_EQUATORIAL_RADIUS_M + alt_km * 1e3,
        inc,
        rng.uniform(0, 2 * np.pi, n),
        rng.uniform(0, 2 * np.pi, n),
        shell.astype(np.int32),
    )


def population(orbits: CircularOrbits, threshold_m: float) -> cj.Population:
    pop = cj.Population()
    pop.add("fleet", cj.CircularSource(orbits), threshold_m)
    return pop


def brute_step_s(orbits: CircularOrbits, steps: int = 3, block: int = 1000) -> float:
    """Seconds per step of the all-pairs range and range-rate evaluation of ``orbits`` (no refinement)."""
    src = cj.CircularSource(orbits)
    n = len(orbits)
    t0 = time.perf_counter()
    for k in range(steps):
        r, v = src.states(10.0 * k)
        rr = np.einsum("ij,ij->i", r, r)
        rv = np.einsum("ij,ij->i", r, v)
        hits = 0
        for a in range(0, n, block):
            ra, va = r[a : a + block], v[a : a + block]
            d2 = rr[a : a + block, None] + rr[None, :] - 2.0 * ra @ r.T
            g = rv[a : a + block, None] + rv[None, :] - ra @ v.T - va @ r.T
            hits += int(np.count_nonzero((d2 < 25e6) & (g <= 0.0)))
    return (time.perf_counter() - t0) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--satellites", type=int, default=1_000_000)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--kdtree-minutes", type=float, default=1.0)
    ap.add_argument("--step", type=float, default=20.0)
    ap.add_argument("--shells", type=int, default=20)
    ap.add_argument("--thickness-km", type=float, default=20.0)
    ap.add_argument("--threshold-km", type=float, default=5.0)
    ap.add_argument("--subsets", type=int, default=2)
    ap.add_argument("--subset-minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    load0 = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; commit {commit}")
    print(f"load average before: {load0[0]:.1f} {load0[1]:.1f} {load0[2]:.1f}")
    thr = args.threshold_km * 1e3
    orbits = fleet(args.satellites, args.shells, args.thickness_km, args.seed)
    pop = population(orbits, thr)
    duration = args.hours * 3600.0
    cj.screen(population(orbits.subset(slice(0, 60_000)), thr), 2 * args.step, args.step)  # compile the kernels
    cpu0, t0 = time.process_time(), time.perf_counter()
    every = max(1, round(3600.0 / args.step))

    def progress(done: int, total: int) -> None:  # one line per simulated hour (a full day runs for many minutes)
        if done % every == 0 or done == total:
            print(
                f"  {done * args.step / 3600:g} h screened: {time.perf_counter() - t0:.0f} s wall, "
                f"{time.process_time() - cpu0:.0f} s CPU, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )

    res = cj.screen(pop, duration, args.step, progress)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    steps = int(np.ceil(duration / args.step))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"screen: {args.satellites:,} satellites x {args.hours:g} h at {args.step:g} s ({steps:,} steps), "
        f"threshold {args.threshold_km:g} km, search radius {res.search_radius_m / 1e3:.1f} km"
    )
    print(
        f"  wall {wall:.1f} s, CPU {cpu:.1f} s, {wall / steps * 1e3:.0f} ms/step wall, {cpu / steps * 1e3:.0f} ms/step "
        f"CPU; {len(res):,} conjunctions; {res.n_candidates:,} pairs refined "
        f"({res.n_candidates / max(len(res), 1):.2f} per conjunction)"
    )
    print(f"  peak resident memory {rss:.0f} MB")
    print(f"  satellite-days per CPU second: {args.satellites * args.hours / 24 / cpu:,.0f}")
    day_steps = 86_400 / args.step
    per_day = len(res) * 86_400 / duration
    print(
        f"  24 h extrapolated: {wall / steps * day_steps:,.0f} s wall, {cpu / steps * day_steps:,.0f} s CPU "
        f"({cpu / steps * day_steps / (os.cpu_count() or 1):,.0f} s on {os.cpu_count()} idle cores); "
        f"~{per_day:,.0f} conjunctions, {per_day * 40 / 1e9:.1f} GB of result arrays"
    )

    if args.kdtree_minutes > 0:
        span = min(args.kdtree_minutes * 60.0, duration)
        k_steps = int(np.ceil(span / args.step))
        c0, w0 = time.process_time(), time.perf_counter()
        new = cj.screen(pop, span, args.step)
        new_wall, new_cpu = time.perf_counter() - w0, time.process_time() - c0
        c0, w0 = time.process_time(), time.perf_counter()
        old = cj.screen_kdtree(pop, span, args.step)
        old_wall, old_cpu = time.perf_counter() - w0, time.process_time() - c0
        ma, mb, oa, ob = cj.pairs_matching(new, old, 1e-3)
        dmiss = float(np.max(np.abs(new.miss_m[ma] - old.miss_m[mb]), initial=0.0))
        print(
            f"previous screener (k-d tree per grid time) over the first {span / 60:g} min ({k_steps} steps): "
            f"{old_wall:.1f} s wall, {old_cpu:.1f} s CPU, {old.n_candidates:,} pairs refined; screen on the same span "
            f"{new_wall:.1f} s wall, {new_cpu:.1f} s CPU"
        )
        print(
            f"  same conjunctions: {len(new):,} vs {len(old):,}, matched {len(ma):,}, only screen {len(oa)}, only "
            f"k-d tree {len(ob)}, max |dmiss| {dmiss:.2e} m; ratio k-d tree / screen: {old_wall / new_wall:.1f} "
            f"(wall), {old_cpu / new_cpu:.1f} (CPU)"
        )

    rng = np.random.default_rng(args.seed + 1)
    shell0 = np.nonzero(orbits.plane == 0)[0]
    for k in range(args.subsets):
        pick = np.sort(rng.choice(shell0, size=min(2000, shell0.size), replace=False))
        sub = population(orbits.subset(pick), thr)
        span = args.subset_minutes * 60.0
        a = cj.screen(sub, span, args.step)
        b = cj.brute_force_conjunctions(sub, span, args.step)
        ma, mb, oa, ob = cj.pairs_matching(a, b, 1.0)
        dmiss = float(np.max(np.abs(a.miss_m[ma] - b.miss_m[mb]), initial=0.0))
        dt = float(np.max(np.abs(a.tca_s[ma] - b.tca_s[mb]), initial=0.0))
        print(
            f"subset {k}: 2,000 satellites of shell 0 over {args.subset_minutes:g} min: screen {len(a)}, brute force "
            f"{len(b)}, matched {len(ma)}, missed {len(ob)}, extra {len(oa)}; max |dTCA| {dt:.2e} s, "
            f"max |dmiss| {dmiss:.3f} m"
        )

    per_step = brute_step_s(orbits.subset(slice(0, 10_000)))
    brute = per_step * (args.satellites / 10_000) ** 2 * steps
    print(
        f"brute force: {per_step:.2f} s/step at 10,000 satellites -> {brute:,.0f} s extrapolated to "
        f"{args.satellites:,} x {steps:,} steps; ratio brute / screen = {brute / wall:,.0f}"
    )
    load1 = os.getloadavg()
    print(f"load average after: {load1[0]:.1f} {load1[1]:.1f} {load1[2]:.1f}")


if __name__ == "__main__":
    main()
