"""Workloads on the whole million-satellite fleet: ``orbitgrid simulate mega-1m`` end to end, and the scheduler's
cost per job as the fleet grows.

The ``mega-1m`` built-in scenario: 1,000,000 satellites in four Walker-delta shells (16 H100 each), three
Colossus 1-scale ground sites (100,000 H100 each), 24 h at 60 s, 1,000,000 training jobs from the generator
calibrated on the Alibaba 2023 GPU trace (pods scaled to 16 GPUs per trace GPU) and 64 inference services replaying
the Azure conversation trace at 10x, scheduled by orbital plane (``policy.node_pools: plane``, 2,000 pools).

Measured, each in its own subprocess (``python -m orbitgrid simulate SCENARIO --no-report``, everything else as
``simulate`` does it: physics, node pools, workload, engine, inference replay, tables, cost):

1. the fleet scaled to 1 %, 10 % and 100 % of ``mega-1m`` (planes per shell 5, 50, 500; jobs 10,000, 100,000,
   1,000,000; the ground sites and inference services unchanged): wall and CPU time, peak resident memory of the
   run, the stage times ``timings.json`` records, engine events and events per second of engine time, and the
   scheduling cost per job (engine time / jobs; the goal is flat);
2. the same-run alternative at the first size: the satellites scheduled one by one (``node_pools: satellite``; at
   1 %, 10,003 scheduler nodes instead of 23), its engine cost per job against the pools';
3. with ``--partition``, the first size partitioned by shell and ground site (``policy.partition: group``, seven
   engines on a process pool of the machine's cores) against the single engine.

    python benchmarks/million.py [--sizes 0.01,0.1,1] [--no-alternative] [--partition]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from orbitgrid.scenario import builtin_scenario_text

MEGA_PLANES = 500
MEGA_PER_SHELL = 250_000
MEGA_JOBS = 1_000_000


def scaled(fraction: float, pools: str = "plane", partition: str = "none") -> str:
    """``mega-1m`` with ``fraction`` of its planes (satellites per plane unchanged) and of its generated jobs."""
    text = builtin_scenario_text("mega-1m")
    planes = max(1, round(MEGA_PLANES * fraction))
    per_plane = MEGA_PER_SHELL // MEGA_PLANES
    old = f"total: {MEGA_PER_SHELL}, planes: {MEGA_PLANES}"
    assert text.count(old) == 4 and f"count: {MEGA_JOBS}" in text and "node_pools: plane" in text
    text = text.replace(old, f"total: {planes * per_plane}, planes: {planes}")
    text = text.replace(f"count: {MEGA_JOBS}", f"count: {max(1, round(MEGA_JOBS * fraction))}")
    return text.replace("node_pools: plane", f"node_pools: {pools}, partition: {partition}")


def run(text: str, label: str, work: Path) -> dict[str, Any]:
    path = work / f"{label}.yaml"
    path.write_text(text, encoding="utf-8")
    out = work / label
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # a fresh interpreter that reports its own peak (ru_maxrss of children is the largest child so far)
    code = (
        "import resource, sys; from orbitgrid.cli import main; sys.argv = ['orbitgrid', 'simulate', sys.argv[1], "
        "'--out', sys.argv[2], '--no-report', '--overwrite']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out)], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{label}: simulate exited with {proc.returncode}")
    peak_kb = int(next(line.split()[1] for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB")))
    timings = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    jobs = summary["jobs"]["submitted"]
    engine_s = timings["engine_s"]
    return {
        "label": label,
        "wall_s": wall,
        "cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "peak_gb": peak_kb / 1e6,
        "stages_s": timings["stages_s"],
        "stages_cpu_s": timings["stages_cpu_s"],
        "engine_s": engine_s,
        "events": summary["engine_events"],
        "jobs": jobs,
        "per_job_ms": 1e3 * engine_s / jobs,
        "schedule_cpu_per_job_ms": 1e3 * timings["stages_cpu_s"]["schedule"] / jobs,
        "events_per_s": summary["engine_events"] / engine_s,
        "completed": summary["jobs"]["completed"],
        "gpu_hours": summary["gpu_hours"],
        "wait_s": summary["wait_s"],
        "cost_note": summary.get("cost_note"),
    }


def show(r: dict[str, Any]) -> None:
    stages = ", ".join(f"{k} {v:.0f}/{r['stages_cpu_s'][k]:.0f}" for k, v in r["stages_s"].items())
    gh = r["gpu_hours"]
    print(
        f"{r['label']}: wall {r['wall_s']:.0f} s, CPU {r['cpu_s']:.0f} s, peak {r['peak_gb']:.2f} GB; "
        f"stages (wall/CPU s) {stages}; engine {r['engine_s']:.1f} s, {r['events']:,} events "
        f"({r['events_per_s']:,.0f}/s), "
        f"{r['jobs']:,} jobs ({r['per_job_ms']:.3f} ms of engine wall per job; schedule stage CPU "
        f"{r['schedule_cpu_per_job_ms']:.3f} ms per job), {r['completed']:,} completed; "
        f"GPU-h delivered {gh['delivered']:,.0f} of {gh['deliverable']:,.0f} deliverable; "
        f"wait p50/p99 {r['wait_s']['p50']:.0f}/{r['wait_s']['p99']:.0f} s",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0.01,0.1,1", help="fractions of mega-1m, comma-separated (ascending)")
    ap.add_argument("--no-alternative", action="store_true", help="skip the per-satellite run at 1 %%")
    ap.add_argument(
        "--partition", action="store_true", help="also run the first size partitioned by shell and site (2 workers)"
    )
    args = ap.parse_args()
    sizes = [float(x) for x in args.sizes.split(",")]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at start {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="orbitgrid-million-") as tmp:
        work = Path(tmp)
        for f in sizes:
            r = run(scaled(f), f"pools-{f:g}", work)
            show(r)
            results.append(r)
        if not args.no_alternative:
            alt = run(scaled(sizes[0], "satellite"), f"satellites-{sizes[0]:g}", work)
            show(alt)
            base = results[0]
            print(
                f"per-job engine cost at {sizes[0]:g} of mega-1m: satellites {alt['per_job_ms']:.3f} ms vs pools "
                f"{base['per_job_ms']:.3f} ms ({alt['per_job_ms'] / base['per_job_ms']:.1f}x); run wall "
                f"{alt['wall_s']:.0f} s vs {base['wall_s']:.0f} s, peak {alt['peak_gb']:.2f} vs "
                f"{base['peak_gb']:.2f} GB"
            )
        if args.partition:
            part = run(scaled(sizes[0], partition="group"), f"partitioned-{sizes[0]:g}", work)
            show(part)
            base = results[0]
            print(
                f"partitioned by shell and site at {sizes[0]:g} of mega-1m: wall {part['wall_s']:.0f} s vs "
                f"{base['wall_s']:.0f} s single, schedule stage {part['stages_s']['schedule']:.0f} s vs "
                f"{base['stages_s']['schedule']:.0f} s, CPU {part['cpu_s']:.0f} s vs {base['cpu_s']:.0f} s, peak "
                f"{part['peak_gb']:.2f} vs {base['peak_gb']:.2f} GB"
            )
    first, last = results[0], results[-1]
    print(
        f"per-job engine cost from {sizes[0]:g} to {sizes[-1]:g} of mega-1m: {first['per_job_ms']:.3f} -> "
        f"{last['per_job_ms']:.3f} ms ({last['per_job_ms'] / first['per_job_ms']:.2f}x) of engine wall, "
        f"{first['schedule_cpu_per_job_ms']:.3f} -> {last['schedule_cpu_per_job_ms']:.3f} ms of schedule-stage CPU; "
        f"load average at end "
        f"{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
