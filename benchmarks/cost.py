"""One cost evaluation of one design against the 5 ms target, and against the same evaluation written naively.

Measures, in one process on this machine, the median wall time of one call (median over ``--repeats`` batches of
``--calls`` calls each, after a warm-up):

1. ``tco.evaluate_orbit`` on the 1 GW reference fleet (9,929 satellites, 710 Starship launches on Suncatcher's
   learning curve at 180 a year, 5-year life, 7 % discount rate) and on the 40 MW one;
2. ``terrestrial.evaluate_ground`` on the 1 GW baseline (the other side of the comparison);
3. ``report.CostModel`` on the 1 GW case with one dotted-path override: what ``economics.uncertainty`` and the sweeps
   call per point (both sides, the override and the flat metrics);
4. the best alternative measured here: the same orbital evaluation written naively, satellite by satellite and
   year by year in plain Python (the way a spreadsheet or a first script does it); it must agree with (1) to 1e-9.

Prints evaluations per second, the 5 ms target, and the ratio naive / ours.

    python benchmarks/cost.py [--calls 200] [--repeats 7]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from orbitgrid.economics.reference import REFERENCE_1GW, REFERENCE_40MW
from orbitgrid.economics.report import CostModel
from orbitgrid.economics.tco import OrbitInputs, evaluate_orbit
from orbitgrid.economics.terrestrial import evaluate_ground

TARGET_MS = 5.0


def naive_usd_per_gpu_hour(inp: OrbitInputs) -> float:
    """The reference configuration's levelized cost, satellite by satellite (no numpy): launch costs from the
    learning curve per launch, each satellite's cash flows and GPU-hours in each year of its life."""
    sat, lp, rel = inp.satellite, inp.launch, inp.reliability
    assert lp.learning is not None and lp.billed == "launch" and not rel.replace_failed
    assert inp.ground_segment.downlink_bits_per_satellite_day == 0 and rel.array_bol_margin is None
    per_launch = math.floor(lp.vehicle.payload_kg / sat.mass_kg + 1e-9)
    hw = sum(inp.hardware.lines_usd(sat).values())
    cost: dict[int, float] = {0: inp.nre_usd}
    hours: dict[int, float] = {}
    cumulative = lp.start_cumulative_kg if lp.start_cumulative_kg is not None else lp.learning.start_cumulative_kg
    launch_cost = 0.0
    n_launch = -(-inp.satellites // per_launch)
    launch_price = []
    for _ in range(n_launch):
        c = float(lp.learning.cost_usd(cumulative, lp.vehicle.payload_kg))
        launch_price.append(c)
        launch_cost += c
        cumulative += lp.vehicle.payload_kg
    launch_per_sat = launch_cost / inp.satellites
    frac = inp.availability * inp.utilization
    f = rel.gpu_failure_rate_per_year
    life = inp.design_life_years
    for i in range(inp.satellites):
        launch = i // per_launch
        year = math.floor(launch / lp.max_launches_per_year + 1e-9)
        first_of_launch = i % per_launch == 0
        c = hw + (launch_price[launch] if first_of_launch else 0.0)
        c += inp.launch_insurance_fraction * (hw + (launch_price[launch] if first_of_launch else 0.0))
        cost[year] = cost.get(year, 0.0) + c
        a = 0
        while a < life:
            w = min(1.0, life - a)
            t = year + 1 + a
            working = (1.0 - f) ** a * (1.0 - 0.5 * f)
            hours[t] = hours.get(t, 0.0) + sat.gpus * inp.hours_per_year * w * working * frac
            ops = w * hw * inp.ops_fraction_of_hardware_per_year + w * (hw + launch_per_sat) * (
                inp.in_orbit_insurance_fraction_per_year
            )
            cost[t] = cost.get(t, 0.0) + ops
            a += 1
    r = inp.discount_rate
    pv_cost = sum(v / (1 + r) ** t for t, v in cost.items())
    pv_hours = sum(v / (1 + r) ** t for t, v in hours.items())
    return pv_cost / pv_hours


def median_call_s(fn: Callable[[], object], calls: int, repeats: int) -> float:
    fn()
    batches = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        batches.append((time.perf_counter() - t0) / calls)
    return statistics.median(batches)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    orbit_1g, orbit_40, ground_1g = REFERENCE_1GW.orbit, REFERENCE_40MW.orbit, REFERENCE_1GW.ground
    model = CostModel(REFERENCE_1GW)
    ours = evaluate_orbit(orbit_1g).usd_per_gpu_hour
    naive = naive_usd_per_gpu_hour(orbit_1g)
    assert abs(naive / ours - 1.0) < 1e-9, (naive, ours)

    rows = [
        ("evaluate_orbit, 1 GW (9,929 sats)", lambda: evaluate_orbit(orbit_1g), args.calls),
        ("evaluate_orbit, 40 MW (398 sats)", lambda: evaluate_orbit(orbit_40), args.calls),
        ("evaluate_ground, 1 GW", lambda: evaluate_ground(ground_1g), args.calls),
        (
            "CostModel 1 GW, both sides + override",
            lambda: model({"orbit.launch.max_launches_per_year": 90.0}),
            args.calls,
        ),
        ("naive per-satellite loop, 1 GW orbit", lambda: naive_usd_per_gpu_hour(orbit_1g), max(3, args.calls // 20)),
    ]
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"1 GW orbit: {ours:.6f} $/GPU-h (naive loop: {naive:.6f})")
    times = {}
    for label, fn, calls in rows:
        s = median_call_s(fn, calls, args.repeats)
        times[label] = s
        flag = "meets" if s * 1e3 < TARGET_MS else "MISSES"
        print(f"{label:42s} {s * 1e3:8.3f} ms  {1 / s:10,.0f} evals/s  ({flag} the {TARGET_MS:g} ms target)")
    ratio = times[rows[4][0]] / times[rows[0][0]]
    print(f"naive / evaluate_orbit (1 GW): {ratio:.1f}x")


if __name__ == "__main__":
    main()
