"""Per-track capacity stepping at million-satellite scale: the compiled kernel against the numpy reference.

Measures, on this machine and in one process:

1. ``fleet.kernel.simulate_tracks_fast`` on ``--satellites`` tracks x ``--steps`` steps of 60 s, fed chunk by chunk
   (``--chunk`` tracks at a time; 1M x 1440 lit fractions would be 11.5 GB) from a synthetic 53 deg LEO eclipse
   pattern: 35 min of shadow per 95.6 min orbit, 10 s linear penumbra ramps, random phase per track;
2. ``fleet.orbital.simulate_tracks`` (the numpy reference) on a ``--sample``-track slice of the first chunk, and the
   kernel on the same slice (the check that they agree is printed too).

Lit generation is timed apart from the kernel. The kernel is compiled (or loaded from numba's cache) before timing.
Peak memory is the process's maximum resident set size.

    python benchmarks/fleet.py [--satellites 1000000] [--steps 1440] [--chunk 65536] [--sample 2000]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import time

import numba as nb
import numpy as np

from orbitgrid.astro.constants import AU_M
from orbitgrid.fleet.kernel import simulate_tracks_fast
from orbitgrid.fleet.orbital import simulate_tracks
from orbitgrid.pipeline.capacity import design_spec
from orbitgrid.scenario.catalog import designs

STEP_S = 60.0
PERIOD_S = 95.6 * 60.0
DARK_S = 35.0 * 60.0
RAMP_S = 10.0


@nb.njit(cache=True, inline="always")
def _hidden_cumulative(t, start, period, dark, ramp):
    """Seconds of Sun hidden from 0 to ``t``: ramps of ``ramp`` s into and out of ``dark`` s of shadow a period."""
    x = t - start
    m = math.floor(x / period)
    x = x - m * period
    if x <= ramp:
        h = x * x / (2.0 * ramp)
    elif x <= dark:
        h = ramp / 2.0 + (x - ramp)
    elif x <= dark + ramp:
        y = x - dark
        h = dark - ramp / 2.0 + y - y * y / (2.0 * ramp)
    else:
        h = dark
    return m * dark + h


@nb.njit(cache=True, parallel=True)
def fill_lit(out, phase, step_s, period, dark, ramp):
    """Step-mean lit fraction of each track (exact for the piecewise-linear shadow profile), written into ``out``."""
    n, k_steps = out.shape
    for i in nb.prange(n):
        start = phase[i] * period
        prev = _hidden_cumulative(0.0, start, period, dark, ramp)
        for k in range(k_steps):
            cur = _hidden_cumulative((k + 1) * step_s, start, period, dark, ramp)
            out[i, k] = min(max(1.0 - (cur - prev) / step_s, 0.0), 1.0)
            prev = cur


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--satellites", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=1440)
    ap.add_argument("--chunk", type=int, default=65_536)
    ap.add_argument("--sample", type=int, default=2000)
    ap.add_argument("--design", default="starlink-v2-mini-compute")
    ap.add_argument("--seed", type=int, default=53)
    args = ap.parse_args()

    spec = design_spec(designs()[args.design])
    k_steps = args.steps
    sun = AU_M * (1.0 + 0.0167 * np.cos(np.linspace(0.0, 2.0 * np.pi * k_steps * STEP_S / 3.15576e7, k_steps)))
    rng = np.random.default_rng(args.seed)
    buf = np.empty((min(args.chunk, args.satellites), k_steps))

    t0 = time.perf_counter()
    fill_lit(buf[:8, :16], rng.random(8), STEP_S, PERIOD_S, DARK_S, RAMP_S)
    simulate_tracks_fast(spec, buf[:8, :16], sun[:16], 550e3, STEP_S)
    warm_s = time.perf_counter() - t0

    # numpy reference vs kernel on a sample of the first chunk
    sample = min(args.sample, buf.shape[0])
    fill_lit(buf[:sample], rng.random(sample), STEP_S, PERIOD_S, DARK_S, RAMP_S)
    alt_sample = rng.uniform(540e3, 560e3, sample)
    t0 = time.perf_counter()
    ref = simulate_tracks(spec, buf[:sample], sun, alt_sample, STEP_S)
    ref_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = simulate_tracks_fast(spec, buf[:sample], sun, alt_sample, STEP_S)
    fast_sample_s = time.perf_counter() - t0
    gpu_h_diff = float(np.abs(fast.gpu_hours - ref.gpu_hours).max())
    temp_diff = float(np.abs(fast.radiator_mean_k - ref.radiator_mean_k).max())

    # the full run, chunk by chunk
    gen_s = kern_s = 0.0
    gpu_hours = 0.0
    closure = 0.0
    done = 0
    while done < args.satellites:
        n = min(args.chunk, args.satellites - done)
        lit = buf[:n]
        t0 = time.perf_counter()
        fill_lit(lit, rng.random(n), STEP_S, PERIOD_S, DARK_S, RAMP_S)
        alt = rng.uniform(540e3, 560e3, n)
        t1 = time.perf_counter()
        out = simulate_tracks_fast(spec, lit, sun, alt, STEP_S)
        t2 = time.perf_counter()
        gen_s += t1 - t0
        kern_s += t2 - t1
        gpu_hours += float(out.gpu_hours.sum())
        closure = max(closure, float(np.abs(out.energy_closure_wh).max()))
        done += n

    sat_steps = args.satellites * k_steps
    ref_rate = sample * k_steps / ref_s
    fast_rate = sat_steps / kern_s
    print(
        f"orbitgrid fleet kernel benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"numba {nb.__version__} ({nb.get_num_threads()} threads), design {args.design}"
    )
    print(f"{'run':<44}{'tracks':>10}{'sat-steps':>15}{'seconds':>10}{'sat-steps/s':>14}")
    rows = [
        ("numpy reference simulate_tracks", sample, sample * k_steps, ref_s),
        ("kernel, same sample", sample, sample * k_steps, fast_sample_s),
        (f"kernel, full run ({math.ceil(args.satellites / args.chunk)} chunks)", args.satellites, sat_steps, kern_s),
        ("lit generation, full run (not in kernel)", args.satellites, sat_steps, gen_s),
    ]
    for label, n, ss, s in rows:
        print(f"{label:<44}{n:>10,}{ss:>15,}{s:>10.2f}{ss / s:>14.3e}")
    print(
        f"kernel / reference throughput: {fast_rate / ref_rate:.0f}x (full run), "
        f"{ref_s / fast_sample_s:.0f}x (same sample)"
    )
    print(
        f"total wall incl. generation {gen_s + kern_s:.1f} s; compile/cache load {warm_s:.1f} s; "
        f"peak RSS {peak_rss_mb():,.0f} MB"
    )
    print(
        f"sample agreement: max |gpu-hours diff| {gpu_h_diff:.3g}, max |mean radiator T diff| {temp_diff:.3g} K; "
        f"full run: {gpu_hours:,.0f} GPU-hours, max |energy closure| {closure:.3g} Wh"
    )


if __name__ == "__main__":
    main()
