"""A new user's first hour, timed: import, the first (cold) and later (warm) default simulate, and a small scenario.

Every case runs as its own process, as a user would start it, and is timed by wall clock and by the CPU time the
process used (user + system, from ``getrusage`` of the children); on a shared machine the CPU time is the steadier
figure, so both are printed with the 1-minute load average (``os.getloadavg``) read before each run.

- ``import``: ``python -c "import orbitgrid.api"`` (median of ``--repeats`` x 3).
- ``cold simulate``: ``python -m orbitgrid simulate`` with ``NUMBA_CACHE_DIR`` pointing at a fresh, empty folder
  (nothing compiled yet, as after ``pip install .``); once. The child records every numba compilation (numba's
  ``numba:compile`` events) and the benchmark prints what the first run compiles and for how long.
- ``warm simulate``: the same command again with that cache (median of ``--repeats``).
- ``small scenario``: 100 satellites (Walker 550 km / 53 deg), 24 h at 60 s, 200 generated jobs (the case of
  ``benchmarks/peer_orbital_compute.py``), ``python -m orbitgrid simulate FILE --no-report`` end to end, warm
  (median of ``--repeats`` x 3); the kernel mode the run chose (its manifest's ``kernels``) is printed with it.

Targets (issue 14): cold <= 60 s, warm <= 15 s, import <= 1 s, small scenario <= 1.5 s.

The children run with ``PYTHONDONTWRITEBYTECODE`` removed from the environment, as a user's shell has it: with it set
every process compiles orbitgrid's sources again (~0.35 s of CPU a process). ``--python`` times another interpreter,
e.g. a fresh virtual environment with orbitgrid installed (``python3.11 -m venv V && V/bin/pip install .``); the
children then import the orbitgrid that interpreter has installed unless ``--src`` is given.

    python benchmarks/startup.py [--repeats 3] [--skip-cold] [--python V/bin/python] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_orbital_compute import HOURS, JOBS, ORBITGRID_SCENARIO, SATELLITES

SRC = Path(__file__).resolve().parents[1] / "src"

#: Runs ``orbitgrid simulate`` (argv after ``--``) in this process, recording numba's compile events to a JSON file.
COMPILE_RECORDER = """
import json, sys, time
from numba.core import event
compiles = []
class Recorder(event.Listener):
    def on_start(self, ev):
        ev.data["t0"] = time.perf_counter()
    def on_end(self, ev):
        d = ev.data["dispatcher"]
        name = getattr(d, "py_func", d).__module__ + "." + getattr(d, "__name__", str(d))
        compiles.append({"function": name, "s": time.perf_counter() - ev.data.get("t0", time.perf_counter())})
event.register("numba:compile", Recorder())
out = sys.argv[1]
sys.argv = ["orbitgrid", *sys.argv[2:]]
from orbitgrid.cli import main
try:
    main()
except SystemExit as e:
    if e.code not in (0, None):
        raise
finally:
    json.dump(compiles, open(out, "w"))
"""


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Wall and CPU seconds of one child process, with the load average before it."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "load_1min": load}


def summary(name: str, runs: list[dict[str, float]], target_s: float) -> dict[str, Any]:
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    load = statistics.median(r["load_1min"] for r in runs)
    walls = ", ".join(f"{r['wall_s']:.2f}" for r in runs)
    print(
        f"{name:<16} median of {len(runs)}: {wall:7.2f} s wall, {cpu:7.2f} s CPU (load {load:.1f}); target <= "
        f"{target_s:g} s; all wall: {walls}",
        flush=True,
    )
    return {"runs": runs, "median_wall_s": wall, "median_cpu_s": cpu, "median_load_1min": load, "target_s": target_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-cold", action="store_true", help="reuse --cache instead of compiling from empty")
    ap.add_argument("--cache", type=Path, help="numba cache folder (default: a fresh temporary one)")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--python", type=Path, help="interpreter to time (default: this one, with --src)")
    ap.add_argument(
        "--src",
        type=Path,
        help="orbitgrid sources to put on PYTHONPATH (default: this checkout's src, unless --python is given)",
    )
    ap.add_argument("--skip-warm", action="store_true", help="skip the warm default simulate")
    args = ap.parse_args()
    py = str(args.python or sys.executable)
    src = args.src if args.src is not None else (None if args.python else SRC)
    work = Path(tempfile.mkdtemp(prefix="orbitgrid-startup-"))
    cache = args.cache or work / "numba-cache"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["NUMBA_CACHE_DIR"] = str(cache)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    print(f"{py}: {os.cpu_count()} CPUs, NUMBA_CACHE_DIR={cache}, PYTHONPATH={src}", flush=True)
    results: dict[str, Any] = {"cpus": os.cpu_count(), "python": py, "src": str(src), "load_before": os.getloadavg()}

    results["import"] = summary(
        "import", [run([py, "-c", "import orbitgrid.api"], env, work) for _ in range(3 * args.repeats)], 1.0
    )

    if not args.skip_cold:
        compiles_file = work / "compiles.json"
        cold = run([py, "-c", COMPILE_RECORDER, str(compiles_file), "simulate", "--out", "cold"], env, work)
        results["cold_simulate"] = summary("cold simulate", [cold], 60.0)
        compiles = json.loads(compiles_file.read_text())
        by_fn: dict[str, float] = {}
        for c in compiles:
            by_fn[c["function"]] = by_fn.get(c["function"], 0.0) + c["s"]
        top = sorted(by_fn.items(), key=lambda kv: -kv[1])
        outer = sum(s for _, s in top)
        print(
            f"  the first run compiled {len(compiles)} specialisations of {len(by_fn)} functions "
            f"(compile events, nested ones counted in their callers too: {outer:.1f} s summed); the longest:"
        )
        for fn, s in top[:12]:
            print(f"    {s:6.2f} s  {fn}")
        results["cold_simulate"]["compiles"] = compiles

    if not args.skip_warm:
        warm = [run([py, "-m", "orbitgrid", "simulate", "--out", f"warm{i}"], env, work) for i in range(args.repeats)]
        results["warm_simulate"] = summary("warm simulate", warm, 15.0)

    scenario = work / "small.yaml"
    scenario.write_text(ORBITGRID_SCENARIO.format(n=SATELLITES, h=HOURS, j=JOBS))
    cmd = [py, "-m", "orbitgrid", "simulate", str(scenario), "--no-report", "--out"]
    run([*cmd, "small-first"], env, work)  # compiles what the default scenario did not use
    small = [run([*cmd, f"small{i}"], env, work) for i in range(3 * args.repeats)]
    results["small_scenario"] = summary("small scenario", small, 1.5)
    kernels = json.loads((work / "small0" / "manifest.json").read_text()).get("kernels", "compiled")
    results["small_scenario"]["kernels"] = kernels
    print(f"  (its kernels ran {kernels}: orbitgrid._jit, pipeline.preflight.kernel_mode)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
