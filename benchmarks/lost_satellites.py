"""What satellites SGP4 loses cost the capacity kernel: ``fleet.kernel.simulate_tracks_fast`` with ``life_steps``.

Times, in one process, the kernel on ``--tracks`` tracks x 1,440 steps (``compute-sat``, random lit fractions)
with no track lost (the baseline: the code every shell runs when nothing is lost) and with ``--lost`` counts of
tracks lost at distinct steps (each group of lost tracks with the same life is one more kernel call over its own
first steps, on one thread). Prints the best of ``--repeats`` runs and the ratio to the baseline.

    python benchmarks/lost_satellites.py [--tracks 20000] [--lost 20 400] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from orbitgrid.fleet.kernel import simulate_tracks_fast
from orbitgrid.pipeline.capacity import design_spec
from orbitgrid.scenario.catalog import designs

STEPS = 1440


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=20_000)
    ap.add_argument("--lost", type=int, nargs="*", default=[20, 400])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    n = args.tracks
    lit = np.clip(rng.uniform(-0.6, 1.6, (n, STEPS)), 0.0, 1.0)
    sun = np.full(STEPS, 1.496e11)
    alt = np.full(n, 550e3)
    spec = design_spec(designs()["compute-sat"])
    simulate_tracks_fast(spec, lit[:100], sun, alt[:100], 60.0, life_steps=np.arange(100) % 7)  # compile / warm up
    print(f"{n:,} tracks x {STEPS:,} steps, compute-sat; load average {os.getloadavg()[0]:.1f}")
    base = None
    for lost in [0, *args.lost]:
        life = np.full(n, STEPS)
        pick = rng.choice(n, lost, replace=False)
        life[pick] = rng.choice(STEPS, lost, replace=False)
        best = min(_timed(lambda life=life: simulate_tracks_fast(spec, lit, sun, alt, 60.0, life_steps=life))
                   for _ in range(args.repeats))  # fmt: skip
        base = best if base is None else base
        print(f"{lost:6,} lost at distinct steps: best {best:7.3f} s ({best / base:5.2f}x the run with none lost)")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
