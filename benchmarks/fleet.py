"""The million-satellite capacity chain: propagation, illumination, power, battery, thermal and dose, timed end to end.

Measures, on this machine and in one process:

1. the full chain on a designed Walker-delta shell (``--satellites`` at 550 km, 53 deg, ``--planes`` planes, design
   ``--design``) over one day at 60 s (1,440 steps): the J2 + shadow survey (``astro.survey.survey_circular``, full
   passages: the *propagation-only* figure, timed inside the same run), then node capacity — the passages binned to
   step-mean sunlight inside the compiled kernel (``fleet.kernel.simulate_survey_tracks_fast``, the path
   ``pipeline.capacity.shell_capacity`` takes), array power, heat cap, battery policy, whole-GPU rounding, battery and
   radiator steps, reduced to per-node totals and per-step timelines — and the shell's dose rate
   (``pipeline.capacity.shell_dose_rate_rad_s``); median of ``--repeats`` runs after a warm-up at 1/100 scale;
2. the numpy reference (``fleet.orbital.simulate_tracks``) against the kernel on the first ``--sample`` tracks of the
   survey (lit fractions from ``fleet.illumination.step_lit_fraction``), with their largest differences.

Peak memory is the process's maximum resident set size.

    python benchmarks/fleet.py [--satellites 1000000] [--planes 1000] [--repeats 3] [--sample 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import resource
import statistics
import time

import numba as nb
import numpy as np

from orbitgrid.astro import constellations as con
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.survey import sun_on_grid_m, survey_circular
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.illumination import step_lit_fraction
from orbitgrid.fleet.kernel import simulate_survey_tracks_fast, simulate_tracks_fast, survey_intervals
from orbitgrid.fleet.orbital import simulate_tracks
from orbitgrid.pipeline.capacity import design_spec, shell_dose_rate_rad_s, step_sun_distance_m
from orbitgrid.pipeline.orbit import ShellOrbits, ShellSurvey
from orbitgrid.scenario.catalog import designs

EPOCH = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
ALTITUDE_M = 550e3
INCLINATION_DEG = 53.0
CHUNK = 65_536


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def chain(orbits: con.CircularOrbits, grid: TimeGrid, sun_m: np.ndarray, spec, sun_distance: np.ndarray) -> dict:
    """One full run; returns the stage times and the fleet totals."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    survey = survey_circular(orbits, grid, sun_m)
    t1 = time.perf_counter()
    intervals = survey_intervals(survey)
    alt = orbits.semi_major_axis_m - EARTH_EQUATORIAL_RADIUS_M
    n = len(orbits)
    gpu_h = harvested = closure = 0.0
    usable = np.zeros(grid.n_steps)
    for lo in range(0, n, CHUNK):
        sl = slice(lo, min(n, lo + CHUNK))
        c = simulate_survey_tracks_fast(
            spec, survey, grid.n_steps, sun_distance, alt[sl], grid.step_s, tracks=sl, intervals=intervals
        )
        gpu_h += float(c.gpu_hours.sum())
        harvested += float(c.harvested_wh.sum())
        closure = max(closure, float(np.abs(c.energy_closure_wh).max()))
        usable += c.step_usable_gpus
    t2 = time.perf_counter()
    shell = ShellSurvey(ShellOrbits("bench", "walker", 1, circular=orbits), survey)
    dose = shell_dose_rate_rad_s(shell, grid, spec.shielding_mm_al)
    t3 = time.perf_counter()
    return {
        "survey_s": t1 - t0,
        "capacity_s": t2 - t1,
        "dose_s": t3 - t2,
        "chain_s": t3 - t0,
        "chain_cpu_s": time.process_time() - c0,
        "gpu_hours": gpu_h,
        "harvested_wh": harvested,
        "closure_wh": closure,
        "usable_min": float(usable.min()),
        "dose_rad_s": dose,
        "survey": survey,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--satellites", type=int, default=1_000_000)
    ap.add_argument("--planes", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--design", default="compute-sat")
    args = ap.parse_args()

    grid = TimeGrid.from_duration(EPOCH, 86_400.0, 60.0)
    sun_m = sun_on_grid_m(grid)
    sun_distance = step_sun_distance_m(grid)
    spec = design_spec(designs()[args.design])
    inc = math.radians(INCLINATION_DEG)
    orbits = con.walker(ALTITUDE_M, inc, args.satellites, args.planes, 1)
    small = con.walker(ALTITUDE_M, inc, max(args.satellites // 100, args.planes), args.planes, 1)

    t0 = time.perf_counter()
    chain(small, grid, sun_m, spec, sun_distance)  # compiles or loads the kernels, touches the code paths
    warm_s = time.perf_counter() - t0

    runs = []
    for _ in range(args.repeats):
        r = chain(orbits, grid, sun_m, spec, sun_distance)
        if len(runs) < args.repeats - 1:
            r.pop("survey")
        runs.append(r)
    survey = runs[-1].pop("survey")

    # numpy reference vs kernel on the first tracks of the same survey
    sample = min(args.sample, args.satellites)
    lit = step_lit_fraction(survey, grid.step_s, grid.n_steps, slice(0, sample))
    alt = orbits.semi_major_axis_m[:sample] - EARTH_EQUATORIAL_RADIUS_M
    t0 = time.perf_counter()
    ref = simulate_tracks(spec, lit, sun_distance, alt, grid.step_s, track_usable=True)
    ref_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = simulate_tracks_fast(spec, lit, sun_distance, alt, grid.step_s, track_usable=True)
    fast_s = time.perf_counter() - t0
    assert ref.track_usable_gpus is not None and fast.track_usable_gpus is not None
    usable_diff = int(np.count_nonzero(ref.track_usable_gpus != fast.track_usable_gpus))

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    sat_steps = args.satellites * grid.n_steps
    print(
        f"orbitgrid capacity chain benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"numba {nb.__version__} ({nb.get_num_threads()} threads), design {args.design}, "
        f"{args.satellites:,} satellites ({args.planes} planes, {ALTITUDE_M / 1e3:.0f} km, {INCLINATION_DEG} deg) "
        f"x {grid.n_steps} steps of {grid.step_s:.0f} s; median of {args.repeats} runs"
    )
    print(f"{'stage':<58}{'median s':>10}{'runs':>26}{'M sat-steps/s':>15}")
    for label, key in (
        ("survey: J2 + shadow passages (propagation only)", "survey_s"),
        ("capacity: binning + power/heat/battery/radiator kernel", "capacity_s"),
        ("dose (orbit average over 32 tracks)", "dose_s"),
        ("full chain", "chain_s"),
    ):
        each = ", ".join(f"{r[key]:.2f}" for r in runs)
        print(f"{label:<58}{med(key):>10.2f}{each:>26}{sat_steps / med(key) / 1e6:>15.1f}")
    print(
        f"full chain / propagation only: {med('chain_s') / med('survey_s'):.2f}; "
        f"full chain CPU time (both threads) {med('chain_cpu_s'):.1f} s against {med('chain_s'):.1f} s wall "
        f"(a wall time above half the CPU time means the machine was shared)"
    )
    print(
        f"fleet: {runs[-1]['gpu_hours']:,.0f} GPU-hours, {runs[-1]['harvested_wh'] / 1e6:,.1f} MWh harvested, "
        f"max |energy closure| {runs[-1]['closure_wh']:.3g} Wh, dose {runs[-1]['dose_rad_s'] * 3.15576e7:.0f} rad/yr"
    )
    print(
        f"reference check on {sample:,} tracks: numpy {ref_s:.2f} s, kernel {fast_s:.3f} s ({ref_s / fast_s:.0f}x); "
        f"max |gpu-hours diff| {np.abs(fast.gpu_hours - ref.gpu_hours).max():.3g} h, "
        f"max |radiator mean T diff| {np.abs(fast.radiator_mean_k - ref.radiator_mean_k).max():.3g} K, "
        f"max |peak T diff| {np.abs(fast.radiator_peak_k - ref.radiator_peak_k).max():.3g} K, "
        f"max |harvest diff| {np.abs(fast.harvested_wh - ref.harvested_wh).max():.3g} Wh, "
        f"usable-GPU steps differing {usable_diff}"
    )
    print(f"warm-up (compile or cache load, 1/100 scale) {warm_s:.1f} s; peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
