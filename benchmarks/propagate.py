"""Propagation and illumination throughput at million-satellite scale, against python-sgp4 in the same run.

Measures, on this machine and in one process:

1. our J2 path (``survey_circular``) on 1,000,000 satellites in Walker-delta shells at 500-650 km over one day at
   60 s (1,441 grid nodes), reduced per satellite to sunlit seconds and eclipse count — full passages (penumbra,
   half-disc and umbra crossings) and half-disc only;
2. our SGP4 path (``survey_elements``: SGP4 + shadow survey) on a 20,000-satellite sample;
3. python-sgp4's ``SatrecArray.sgp4`` alone (positions only) on the same sample — the baseline;
4. optionally (``--cli``) ``orbitgrid orbit mega-1m`` end to end, outputs included, in a subprocess.

Each timing is the median of ``--repeats`` runs after one warm-up (which also compiles the numba kernels).
Peak memory is the process's maximum resident set size. Prints satellite-steps per second and ratios.

    python benchmarks/propagate.py [--satellites 1000000] [--sample 20000] [--repeats 3] [--cli]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
from sgp4.api import WGS72, Satrec, SatrecArray

from orbitgrid.astro import constellations as con
from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.j2 import mean_motion_rad_s
from orbitgrid.astro.survey import sun_on_grid_m, survey_circular, survey_elements
from orbitgrid.astro.time import TimeGrid

EPOCH = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
SHELLS = [(500e3, 43.0), (550e3, 53.0), (600e3, 70.0), (650e3, 97.6)]  # altitude m, inclination deg


def fleet(total: int) -> con.CircularOrbits:
    """``total`` satellites split evenly over four Walker-delta shells (planes ~ sqrt of the shell size)."""
    parts = []
    per = [total // len(SHELLS)] * len(SHELLS)
    per[-1] += total - sum(per)
    for (alt, inc), n in zip(SHELLS, per, strict=True):
        planes = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
        parts.append(con.walker(alt, math.radians(inc), n, planes, 1 % planes))
    return con.CircularOrbits.concatenate(parts)


def satrecs_for(orbits: con.CircularOrbits, epoch_jd: float) -> list[Satrec]:
    out = []
    n_rad_min = mean_motion_rad_s(orbits.semi_major_axis_m) * 60.0
    for k in range(len(orbits)):
        s = Satrec()
        s.sgp4init(
            WGS72, "i", k, epoch_jd - 2433281.5, 0.0, 0.0, 0.0, 1e-4, 0.0,
            float(orbits.inclination_rad[k]), float(orbits.arg_latitude_rad[k]), float(n_rad_min[k]),
            float(orbits.raan_rad[k]),
        )  # fmt: skip
        out.append(s)
    return out


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: numba compilation (cached on disk afterwards) and page faults
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--satellites", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cli", action="store_true", help="also time `orbitgrid orbit mega-1m` end to end")
    args = ap.parse_args()

    grid = TimeGrid.from_duration(EPOCH, 86_400.0, 60.0)
    n_t = grid.n_steps + 1
    sun = sun_on_grid_m(grid)
    orbits = fleet(args.satellites)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"fleet: {len(orbits):,} satellites, {n_t:,} grid nodes ({grid.duration_s / 3600:g} h at {grid.step_s:g} s)")

    results = {}
    t_full = median_time(lambda: survey_circular(orbits, grid, sun), args.repeats)
    results["j2_full"] = len(orbits) * n_t / t_full
    t_centre = median_time(lambda: survey_circular(orbits, grid, sun, centre_only=True), args.repeats)
    results["j2_centre"] = len(orbits) * n_t / t_centre
    s = survey_circular(orbits, grid, sun, centre_only=True)
    print(
        f"  check: mean sunlit fraction {np.mean(s.sunlit_fraction):.4f}, "
        f"{int(np.sum(s.eclipses)):,} eclipses ({np.mean(s.eclipses):.2f} per satellite)"
    )

    peak_j2_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    sample = orbits.subset(np.linspace(0, len(orbits) - 1, args.sample).astype(np.int64))
    jd0, fr0 = grid.epoch_jd
    sats = satrecs_for(sample, jd0 + fr0)
    elements = ElementSet.from_satrecs(sats)
    t = np.arange(n_t) * grid.step_s
    jd, fr = grid.jd_utc(t)
    arr = SatrecArray(sats)
    t_sgp4 = median_time(lambda: arr.sgp4(jd, fr), args.repeats)
    results["satrecarray"] = len(sats) * n_t / t_sgp4
    t_ours_sgp4 = median_time(lambda: survey_elements(elements, grid, sun), args.repeats)
    results["sgp4_path"] = len(sats) * n_t / t_ours_sgp4
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    base = results["satrecarray"]
    print(f"\n{'path':54s} {'M sat-steps/s':>14s} {'x SatrecArray':>14s} {'time':>9s}")
    rows = [
        ("J2 + shadow survey, full passages", "j2_full", t_full),
        ("J2 + shadow survey, half-disc crossings only", "j2_centre", t_centre),
        (f"SGP4 + shadow survey, ours ({len(sats):,})", "sgp4_path", t_ours_sgp4),
        (f"python-sgp4 SatrecArray.sgp4 positions only ({len(sats):,})", "satrecarray", t_sgp4),
    ]
    for label, key, secs in rows:
        print(f"{label:54s} {results[key] / 1e6:14.1f} {results[key] / base:14.1f} {secs:8.2f}s")
    overhead = results["satrecarray"] / results["sgp4_path"] - 1.0
    print(f"\nshadow survey overhead on the SGP4 path: {100 * overhead:.0f}% over SatrecArray alone")
    print(f"peak resident memory: {peak_j2_gb:.2f} GB after the J2 runs, {peak_gb:.2f} GB after the SGP4 runs")

    if args.cli:
        out = "/tmp/orbitgrid-bench-mega"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "orbitgrid.cli", "orbit", "mega-1m", "--out", out],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"`orbitgrid orbit mega-1m` end to end (outputs in {out}): {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
