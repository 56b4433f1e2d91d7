"""The million-satellite capacity chain: propagation, illumination, power, battery, thermal and dose, timed end to end.

Measures, on this machine and in one process:

1. the full chain on a designed Walker-delta shell (``--satellites`` at 550 km, 53 deg, ``--planes`` planes, design
   ``--design``) over one day at 60 s (1,440 steps) through the time-shift symmetry of the shell's planes (the path
   ``pipeline.capacity.shell_capacity`` takes for large designed shells): plane grouping, J2 + shadow survey of
   ``REFS_PER_PLANE`` reference tracks per plane on the extended grid (``astro.survey.survey_shell_references``),
   then node capacity — every satellite's step-mean sunlight binned from its reference's passages moved by its lag
   inside the compiled kernel (``fleet.kernel.simulate_shifted_tracks_fast``), array power, heat cap, battery
   policy, whole-GPU rounding, battery and radiator steps, reduced to per-node totals and per-step timelines — and
   the shell's dose rate (``pipeline.capacity.shell_dose_rate_rad_s``). Also timed, once per run: every satellite's
   passages derived by the shift (``expand_shifted``, what ``eclipses.parquet`` is written from);
2. the same chain through the per-satellite survey (``astro.survey.survey_circular``: every satellite propagated and
   searched, the *propagation-only* figure) and ``fleet.kernel.simulate_survey_tracks_fast``;
3. fleet totals of both chains side by side, and the numpy reference (``fleet.orbital.simulate_tracks``) against the
   kernel on the first ``--sample`` tracks of the per-satellite survey.

Each time is the median of ``--repeats`` runs after a warm-up at 1/100 scale.

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
from orbitgrid.astro.survey import (
    REFS_PER_PLANE,
    expand_shifted,
    shell_planes,
    sun_on_grid_m,
    survey_circular,
    survey_shell_references,
)
from orbitgrid.astro.time import TimeGrid
from orbitgrid.fleet.illumination import step_lit_fraction
from orbitgrid.fleet.kernel import (
    simulate_shifted_tracks_fast,
    simulate_survey_tracks_fast,
    simulate_tracks_fast,
    survey_intervals,
)
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


def _dose(orbits: con.CircularOrbits, survey, grid: TimeGrid, spec) -> float:
    shell = ShellSurvey(ShellOrbits("bench", "walker", 1, circular=orbits), survey)
    return shell_dose_rate_rad_s(shell, grid, spec.shielding_mm_al)


def chain_symmetry(orbits: con.CircularOrbits, grid: TimeGrid, sun_m: np.ndarray, spec, sun_distance) -> dict:
    """One run of the chain through the reference tracks; returns the stage times and the fleet totals."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    planes = shell_planes(orbits, grid, sun_m)
    shifted = survey_shell_references(orbits, grid, sun_m, planes=planes)
    assert shifted is not None
    t1 = time.perf_counter()
    intervals = shifted.intervals()
    alt = orbits.semi_major_axis_m - EARTH_EQUATORIAL_RADIUS_M
    n = len(orbits)
    totals = _Totals(grid.n_steps)
    for lo in range(0, n, CHUNK):
        sl = slice(lo, min(n, lo + CHUNK))
        totals.add(
            simulate_shifted_tracks_fast(
                spec, shifted, grid.n_steps, sun_distance, alt[sl], grid.step_s, tracks=sl, intervals=intervals
            )
        )
    t2 = time.perf_counter()
    dose = _dose(orbits, None, grid, spec)  # the dose reads only the shell's orbits
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    expanded = expand_shifted(shifted, orbits, grid, sun_m)
    t4 = time.perf_counter()
    rows = expanded.track.size
    del expanded
    return {
        "survey_s": t1 - t0,
        "capacity_s": t2 - t1,
        "dose_s": t3 - t2,
        "chain_s": t3 - t0,
        "chain_cpu_s": cpu,
        "expand_s": t4 - t3,
        "passages": rows,
        "max_lag_s": shifted.max_lag_s,
        **totals.as_dict(),
        "dose_rad_s": dose,
    }


class _Totals:
    def __init__(self, k: int) -> None:
        self.gpu_h = self.harvested = self.closure = 0.0
        self.usable = np.zeros(k)
        self.gpu_hours: list[np.ndarray] = []
        self.harvested_wh: list[np.ndarray] = []
        self.radiator_mean_k: list[np.ndarray] = []

    def add(self, c) -> None:
        self.gpu_h += float(c.gpu_hours.sum())
        self.harvested += float(c.harvested_wh.sum())
        self.closure = max(self.closure, float(np.abs(c.energy_closure_wh).max()))
        self.usable += c.step_usable_gpus
        self.gpu_hours.append(c.gpu_hours)
        self.harvested_wh.append(c.harvested_wh)
        self.radiator_mean_k.append(c.radiator_mean_k)

    def as_dict(self) -> dict:
        return {
            "gpu_hours": self.gpu_h,
            "harvested_wh": self.harvested,
            "closure_wh": self.closure,
            "usable": self.usable,
            "track_gpu_hours": np.concatenate(self.gpu_hours),
            "track_harvested_wh": np.concatenate(self.harvested_wh),
            "track_radiator_mean_k": np.concatenate(self.radiator_mean_k),
        }


def chain_full(orbits: con.CircularOrbits, grid: TimeGrid, sun_m: np.ndarray, spec, sun_distance: np.ndarray) -> dict:
    """One run of the chain through the per-satellite survey; returns the stage times and the fleet totals."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    survey = survey_circular(orbits, grid, sun_m)
    t1 = time.perf_counter()
    intervals = survey_intervals(survey)
    alt = orbits.semi_major_axis_m - EARTH_EQUATORIAL_RADIUS_M
    n = len(orbits)
    totals = _Totals(grid.n_steps)
    for lo in range(0, n, CHUNK):
        sl = slice(lo, min(n, lo + CHUNK))
        totals.add(
            simulate_survey_tracks_fast(
                spec, survey, grid.n_steps, sun_distance, alt[sl], grid.step_s, tracks=sl, intervals=intervals
            )
        )
    t2 = time.perf_counter()
    dose = _dose(orbits, survey, grid, spec)
    t3 = time.perf_counter()
    return {
        "survey_s": t1 - t0,
        "capacity_s": t2 - t1,
        "dose_s": t3 - t2,
        "chain_s": t3 - t0,
        "chain_cpu_s": time.process_time() - c0,
        **totals.as_dict(),
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
    load0 = os.getloadavg()

    grid = TimeGrid.from_duration(EPOCH, 86_400.0, 60.0)
    sun_m = sun_on_grid_m(grid)
    sun_distance = step_sun_distance_m(grid)
    spec = design_spec(designs()[args.design])
    inc = math.radians(INCLINATION_DEG)
    orbits = con.walker(ALTITUDE_M, inc, args.satellites, args.planes, 1)
    small = con.walker(ALTITUDE_M, inc, max(args.satellites // 100, args.planes), args.planes, 1)

    t0 = time.perf_counter()
    chain_symmetry(small, grid, sun_m, spec, sun_distance)  # compiles or loads the kernels, touches the code paths
    chain_full(small, grid, sun_m, spec, sun_distance)
    warm_s = time.perf_counter() - t0

    sym, full = [], []
    for _ in range(args.repeats):
        sym.append(chain_symmetry(orbits, grid, sun_m, spec, sun_distance))
        r = chain_full(orbits, grid, sun_m, spec, sun_distance)
        survey = r.pop("survey")
        full.append(r)
    for runs in (sym, full):
        for r in runs[:-1]:
            for key in ("usable", "track_gpu_hours", "track_harvested_wh", "track_radiator_mean_k"):
                r.pop(key)

    # numpy reference vs kernel on the first tracks of the per-satellite survey
    sample = min(args.sample, args.satellites)
    lit = step_lit_fraction(survey, grid.step_s, grid.n_steps, slice(0, sample))
    del survey
    alt = orbits.semi_major_axis_m[:sample] - EARTH_EQUATORIAL_RADIUS_M
    simulate_tracks_fast(spec, lit[:16], sun_distance, alt[:16], grid.step_s, track_usable=True)  # compile / load
    t0 = time.perf_counter()
    ref = simulate_tracks(spec, lit, sun_distance, alt, grid.step_s, track_usable=True)
    ref_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = simulate_tracks_fast(spec, lit, sun_distance, alt, grid.step_s, track_usable=True)
    fast_s = time.perf_counter() - t0
    assert ref.track_usable_gpus is not None and fast.track_usable_gpus is not None
    usable_diff = int(np.count_nonzero(ref.track_usable_gpus != fast.track_usable_gpus))

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    sat_steps = args.satellites * grid.n_steps
    print(
        f"orbitgrid capacity chain benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"numba {nb.__version__} ({nb.get_num_threads()} threads), design {args.design}, "
        f"{args.satellites:,} satellites ({args.planes} planes, {ALTITUDE_M / 1e3:.0f} km, {INCLINATION_DEG} deg) "
        f"x {grid.n_steps} steps of {grid.step_s:.0f} s; median of {args.repeats} runs; load average before "
        f"{load0[0]:.2f}, after {os.getloadavg()[0]:.2f}"
    )
    print(f"{'stage':<66}{'median s':>10}{'runs':>26}{'M sat-steps/s':>15}")
    rows = (
        (sym, f"symmetry: plane grouping + J2/shadow survey of {REFS_PER_PLANE} reference tracks/plane", "survey_s"),
        (sym, "symmetry: capacity kernel, binning each satellite by its lag", "capacity_s"),
        (sym, "symmetry: dose (orbit average over 32 tracks)", "dose_s"),
        (sym, "symmetry: FULL CHAIN", "chain_s"),
        (sym, "symmetry: every satellite's passages by shift (eclipses.parquet)", "expand_s"),
        (full, "per-satellite: J2 + shadow survey (propagation only)", "survey_s"),
        (full, "per-satellite: capacity kernel, binning each satellite's passages", "capacity_s"),
        (full, "per-satellite: dose", "dose_s"),
        (full, "per-satellite: FULL CHAIN", "chain_s"),
    )
    for runs, label, key in rows:
        each = ", ".join(f"{r[key]:.2f}" for r in runs)
        print(f"{label:<66}{med(runs, key):>10.2f}{each:>26}{sat_steps / med(runs, key) / 1e6:>15.1f}")
    print(
        f"symmetry chain / propagation only: {med(sym, 'chain_s') / med(full, 'survey_s'):.2f}; "
        f"per-satellite chain / propagation only: {med(full, 'chain_s') / med(full, 'survey_s'):.2f}; "
        f"symmetry chain CPU time {med(sym, 'chain_cpu_s'):.1f} s against {med(sym, 'chain_s'):.1f} s wall, "
        f"per-satellite chain CPU {med(full, 'chain_cpu_s'):.1f} s against {med(full, 'chain_s'):.1f} s wall "
        f"(a wall time near the CPU time means the run had about one core, not two)"
    )
    s, f = sym[-1], full[-1]
    print(
        f"largest lag {s['max_lag_s']:.1f} s; passages {s['passages']:,} by shift, "
        f"fleet: symmetry {s['gpu_hours']:,.0f} GPU-hours, {s['harvested_wh'] / 1e6:,.3f} MWh harvested; "
        f"per-satellite {f['gpu_hours']:,.0f} GPU-hours, {f['harvested_wh'] / 1e6:,.3f} MWh; "
        f"max |energy closure| {max(s['closure_wh'], f['closure_wh']):.3g} Wh, dose {s['dose_rad_s'] * 3.15576e7:.0f} "
        f"rad/yr"
    )
    print(
        "symmetry vs per-satellite per track: "
        f"max |GPU-hours| rel {np.max(np.abs(s['track_gpu_hours'] / f['track_gpu_hours'] - 1.0)):.3g}, "
        f"max |harvest| rel {np.max(np.abs(s['track_harvested_wh'] / f['track_harvested_wh'] - 1.0)):.3g}, "
        f"max |radiator mean T| {np.max(np.abs(s['track_radiator_mean_k'] - f['track_radiator_mean_k'])):.3g} K, "
        f"max |usable GPUs per step| {np.max(np.abs(s['usable'] - f['usable'])):.0f}"
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
