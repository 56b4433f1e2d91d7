"""Sweeps at scale: a 10,000-point cost sweep on a local process pool, and a 64-point sweep of one-day simulations on
a local dask.distributed cluster with 1 and 2 workers.

1. **Cost sweep** (target < 60 s on 2 cores): ``--cost-points`` joint draws (a Monte Carlo over the scenario) of
   the launch price (lognormal, median $500/kg, p90 $1,500/kg), the GPU price (PERT $25k / $33.75k / $45k), the
   satellite hardware $/W (triangular 11 / 22 / 44) and the discount rate (uniform 4-10 %) on the built-in
   ``default`` scenario (2,636 satellites in three shells beside a ground site), ``evaluate: cost`` through
   ``orbitgrid.design.sweep`` exactly as ``orbitgrid sweep`` runs it (each point validated by the scenario model,
   priced, written to Parquet; then the combined table and the plots page), on a local process pool of
   ``--workers`` processes. The best alternative measured in the same run: the same sweep evaluated in this process
   (``workers=0``), which has no process start-up or pickling cost; ``--serial-points`` of it (all of them by
   default) are timed and its rate extrapolated when fewer.
2. **Simulation sweep**: 64 full one-day simulations of ``day-small`` (one day at 60 s steps, 48
   satellites, a 1,024-GPU ground site, ~1,200 jobs; about a second each) over LTAN x battery x altitude x
   power-aware placement, on a ``dask.distributed.LocalCluster`` of 1 worker process and then 2 (one thread each),
   through the client's executor as ``orbitgrid sweep --cluster`` does. Each worker is warmed up first (imports and
   numba compilation: one simulation per worker, timed separately). Prints both wall times and the speed-up
   against the worker count.

    python benchmarks/sweep.py [--cost-points 10000] [--serial-points 0] [--workers 2] [--sim-repeats 1]
                               [--skip-cost] [--skip-simulate]

Besides wall times it prints CPU seconds (this process, and the workers): the machine is shared, and under load
CPU time is the better guide to what an idle machine would take.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from orbitgrid import api
from orbitgrid.design import sweep as sw
from orbitgrid.scenario.sweep import load_sweep_text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sweeps"
BASE = EXAMPLES / "day-small.yaml"

COST_SPEC = """\
schema_version: 1
name: bench-cost
base: default
evaluate: cost
random:
  samples: {n}
  seed: 2027
  axes:
    economics.launch.price_usd_per_kg: {{type: lognormal, median: 500, p90: 1500}}
    economics.gpu_usd: {{type: pert, low: 25000, mode: 33750, high: 45000}}
    economics.satellite_usd_per_w: {{type: triangular, low: 11, mode: 22, high: 44}}
    economics.discount_rate: {{type: uniform, low: 0.04, high: 0.10}}
plot: [orbit.usd_per_gpu_hour, ratio_orbit_to_ground]
"""

#: 64 points: 4 LTAN x 2 batteries (none, compute-sat's 30 kWh) x 4 altitudes x power-aware placement on/off.
SIM_SPEC = """\
schema_version: 1
name: bench-simulate
base: {base}
evaluate: simulate
grid:
  fleet.shells.dawn-dusk.orbit.ltan_hours: [18.0, 16.5, 15.0, 13.5]
  designs.compute-sat.battery.capacity_wh: [0.0, 30000.0]
  fleet.shells.dawn-dusk.orbit.altitude_km: [550.0, 650.0, 750.0, 850.0]
  policy.power_aware: [true, false]
"""


def _timed_sweep(sweep, evaluator, out: Path, executor, **kw) -> tuple[float, sw.SweepResult]:
    t0 = time.perf_counter()
    res = sw.run_sweep(sweep, evaluator, out, executor=executor, resume=False, **kw)
    return time.perf_counter() - t0, res


def cost_sweep(args: argparse.Namespace, tmp: Path) -> None:
    evaluator = api.SWEEP_EVALUATORS.get("cost")
    if evaluator is None:
        print("cost sweep: skipped, this build has no cost evaluator (api.SWEEP_EVALUATORS['cost'])")
        return
    n = args.cost_points
    sweep = load_sweep_text(COST_SPEC.format(n=n), base_dir=EXAMPLES, source="bench-cost")
    print(f"\n== {n:,}-point cost sweep (Monte Carlo over 4 economics parameters of the default scenario) ==")
    cpu0, kids0 = time.process_time(), _children_cpu_s()
    with sw.open_executor(workers=args.workers) as pool:
        wall, res = _timed_sweep(sweep, evaluator, tmp / "cost-pool", pool)
    cpu, kids = time.process_time() - cpu0, _children_cpu_s() - kids0  # the pool's processes are reaped by now
    assert res.failed == 0 and res.points == n, res
    eval_s = sorted(json.loads(res.timings_path.read_text())["eval_s"].values())
    print(
        f"process pool, {args.workers} workers: {wall:7.2f} s for {n:,} points = {n / wall:8.1f} points/s "
        f"(target < 60 s); per point in the workers: median {1e3 * eval_s[len(eval_s) // 2]:.2f} ms "
        f"(scenario validation + cost evaluation); {_load()}"
    )
    print(
        f"  CPU: this process {cpu:.1f} s, the {args.workers} workers {kids:.1f} s with their start-up "
        f"({1e3 * kids / n:.2f} ms per point); on an idle machine the wall time would be about "
        f"max({cpu:.1f}, {kids:.1f} / {args.workers}) s"
    )
    m = min(n, args.serial_points or n)
    serial_sweep = load_sweep_text(COST_SPEC.format(n=m), base_dir=EXAMPLES, source="bench-cost-serial")
    cpu0 = time.process_time()
    with sw.open_executor(workers=0) as inline:
        wall_serial, res_serial = _timed_sweep(serial_sweep, evaluator, tmp / "cost-serial", inline)
    cpu_serial = time.process_time() - cpu0
    assert res_serial.failed == 0, res_serial
    rate_serial = m / wall_serial
    print(
        f"in-process (best alternative): {wall_serial:7.2f} s for {m:,} points = {rate_serial:8.1f} points/s"
        + ("" if m == n else f" (extrapolated to {n:,}: {n / rate_serial:.1f} s)")
        + f"; CPU {cpu_serial:.1f} s ({1e3 * cpu_serial / m:.2f} ms per point); {_load()}"
    )
    print(f"ratio pool / in-process throughput: {(n / wall) / rate_serial:.2f}x")
    s = res.summary["outputs"]
    for key in ("orbit.usd_per_gpu_hour", "ground.usd_per_gpu_hour", "ratio_orbit_to_ground"):
        if key in s:
            v = s[key]
            print(f"  {key}: mean {v['mean']:.4g} ± {v['std_error']:.2g} (SE), p5 {v['p5']:.4g}, p95 {v['p95']:.4g}")


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished child processes (user + system)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu_s() -> float:
    """Runs in a dask worker: its process's CPU seconds so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _load() -> str:
    """The 1-minute load average: other jobs on a shared machine take cores from the workers."""
    return f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "load average unknown"


def _warm(base: str) -> float:
    """Runs in a worker: one simulation (imports, numba compilation); returns its wall time."""
    t0 = time.perf_counter()
    api.evaluate_simulate(api.load_scenario(base))
    return time.perf_counter() - t0


def simulate_sweep(args: argparse.Namespace, tmp: Path) -> None:
    from distributed import Client, LocalCluster

    sweep = load_sweep_text(SIM_SPEC.format(base=BASE), base_dir=EXAMPLES, source="bench-sim")
    n = sweep.spec.n_points
    print(f"\n== {n}-point sweep of one-day simulations of {BASE.name} on a dask LocalCluster ==")
    walls: dict[int, list[float]] = {1: [], 2: []}
    for repeat in range(args.sim_repeats):
        for workers in (1, 2):
            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
                ) as cluster,
                Client(cluster) as client,
            ):
                warm = client.run(_warm, str(BASE))
                before = client.run(_self_cpu_s)
                executor = client.get_executor(pure=False)
                out = tmp / f"sim-{workers}-{repeat}"
                wall, res = _timed_sweep(sweep, api.evaluate_simulate, out, executor, page=False)
                worker_cpu = sum(v - before[k] for k, v in client.run(_self_cpu_s).items())
            assert res.failed == 0, res
            walls[workers].append(wall)
            eval_s = sorted(json.loads(res.timings_path.read_text())["eval_s"].values())
            warm_s = ", ".join(f"{v:.1f}" for v in warm.values())
            print(
                f"{workers} worker{'s' if workers > 1 else ' '}: {wall:7.2f} s for {res.points} simulations = "
                f"{res.points / wall:.2f} /s; per simulation median {eval_s[len(eval_s) // 2]:.2f} s; workers' CPU "
                f"{worker_cpu:.1f} s; warm-up (not counted) {warm_s} s; {_load()}"
            )
        print(f"speed-up 2 workers vs 1: {walls[1][-1] / walls[2][-1]:.2f}x (worker count 2)")
    if args.sim_repeats > 1:
        best = min(walls[1]) / min(walls[2])
        print(f"best wall times: 1 worker {min(walls[1]):.2f} s, 2 workers {min(walls[2]):.2f} s: speed-up {best:.2f}x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cost-points", type=int, default=10_000)
    p.add_argument("--serial-points", type=int, default=0, help="points of the in-process run (0: all)")
    p.add_argument("--workers", type=int, default=2, help="process-pool workers for the cost sweep")
    p.add_argument("--sim-repeats", type=int, default=1, help="runs of the 1- and 2-worker simulation sweeps")
    p.add_argument("--skip-cost", action="store_true")
    p.add_argument("--skip-simulate", action="store_true")
    args = p.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="orbitgrid-bench-sweep-") as tmp:
        if not args.skip_cost:
            cost_sweep(args, Path(tmp))
        if not args.skip_simulate:
            simulate_sweep(args, Path(tmp))


if __name__ == "__main__":
    main()
