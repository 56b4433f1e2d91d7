"""Same-run comparison with the peer simulator ``orbital-compute`` (PyPI, pinned 0.3.0): 100 satellites, 24 h, 200 jobs.

The peer runs in its own virtual environment (``--venv``, created with ``python3.11 -m venv`` and filled with
``pip install orbital-compute==0.3.0`` on first use), in a subprocess, through its public ``Simulation`` class
(``SimulationConfig(n_satellites=100, sim_duration_hours=24, time_step_seconds=60, n_jobs=200)``, then ``setup()``
and ``run()``). orbitgrid runs the matching case in a subprocess too: a 100-satellite Walker-delta shell at 550 km /
53 deg (the peer's shell), 24 h at 60 s, 200 jobs from the calibrated generator, through ``orbitgrid.api.simulate``
(run directory written, no HTML report). Each side is timed as the wall time of its subprocess (interpreter start and
imports included) and as the time the child measures around its own simulation; median of ``--repeats`` runs.

What each tool computes in this case is not the same; ``docs/benchmarks.md`` (Engine section) lists the differences.

    python benchmarks/peer_orbital_compute.py [--venv /tmp/peer-venv] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PEER = "orbital-compute==0.3.0"
SATELLITES, HOURS, JOBS = 100, 24, 200

PEER_CHILD = """
import io, json, sys, time
from contextlib import redirect_stdout
t0 = time.perf_counter()
from orbital_compute.simulator import Simulation, SimulationConfig
t1 = time.perf_counter()
sim = Simulation(SimulationConfig(n_satellites={n}, sim_duration_hours={h}, time_step_seconds=60.0, n_jobs={j}))
with redirect_stdout(io.StringIO()):
    sim.setup()
    t2 = time.perf_counter()
    res = sim.run()
t3 = time.perf_counter()
s = res["scheduler"]
print(json.dumps({{"import_s": t1 - t0, "setup_s": t2 - t1, "run_s": t3 - t2, "sim_s": t3 - t1,
                  "completed": s["completed"], "running": s["running"], "queued": s["queued"],
                  "preempted": s["preempted"], "compute_hours": res["total_compute_hours"]}}))
"""

ORBITGRID_SCENARIO = """
schema_version: 1
name: peer-case
epoch: 2026-03-26T00:00:00Z
duration: {h}h
step: 60s
seed: 42
fleet:
  shells:
    - name: walker-550
      orbit: {{type: walker_delta, altitude_km: 550, inclination_deg: 53, total: {n}, planes: 10, phasing: 1}}
      design: compute-sat
tenants:
  - {{name: users, contract: on_demand}}
workloads:
  - {{type: generated, tenant: users, kind: batch, count: {j}}}
policy: {{name: priority, power_aware: true}}
"""

ORBITGRID_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from orbitgrid.api import simulate
from orbitgrid.scenario import load_scenario_text
t1 = time.perf_counter()
run = simulate(load_scenario_text(sys.argv[1]), sys.argv[2], report=False)
t2 = time.perf_counter()
s = run.documents["summary.json"]
print(json.dumps({"import_s": t1 - t0, "sim_s": t2 - t1, "jobs": s["jobs"], "engine_events": s["engine_events"],
                  "engine_wall_s": run.timings["engine_s"], "gpu_hours_delivered": s["gpu_hours"]["delivered"],
                  "faults": s["faults"]}))
"""


def ensure_peer_venv(venv: Path) -> Path | None:
    """The peer's interpreter, installing it when needed; ``None`` (with a message) when it cannot be installed."""
    py = venv / "bin" / "python"
    check = [str(py), "-c", "import orbital_compute.simulator"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    base = shutil.which("python3.11") or sys.executable
    steps = [[base, "-m", "venv", str(venv)], [str(py), "-m", "pip", "install", "-q", PEER]]
    for cmd in steps:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"peer skipped: `{' '.join(cmd)}` failed:\n{(r.stderr or r.stdout).strip()[-2000:]}")
            return None
    if subprocess.run(check, capture_output=True).returncode != 0:
        print(f"peer skipped: {PEER} installed in {venv} but `import orbital_compute.simulator` fails")
        return None
    return py


def timed(cmd: list[str]) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{r.stderr[-3000:]}")
    return wall, json.loads(r.stdout.strip().splitlines()[-1])


def compare(venv: Path, repeats: int) -> dict | None:
    """Run both sides ``repeats`` times; print and return the medians (``None`` when the peer is unavailable)."""
    py = ensure_peer_venv(venv)
    if py is None:
        return None
    version = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('orbital-compute'))"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    peer_code = PEER_CHILD.format(n=SATELLITES, h=HOURS, j=JOBS)
    scenario = ORBITGRID_SCENARIO.format(n=SATELLITES, h=HOURS, j=JOBS)
    peer_runs: list[tuple[float, dict]] = []
    og_runs: list[tuple[float, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            peer_runs.append(timed([str(py), "-c", peer_code]))
            og_runs.append(timed([sys.executable, "-c", ORBITGRID_CHILD, scenario, str(Path(tmp) / f"run{i}")]))

    def med(runs: list[tuple[float, dict]], key: str | None = None) -> float:
        return statistics.median(w if key is None else d[key] for w, d in runs)

    out: dict[str, Any] = {
        "peer_version": version,
        "peer_wall_s": med(peer_runs),
        "peer_sim_s": med(peer_runs, "sim_s"),
        "peer_setup_s": med(peer_runs, "setup_s"),
        "peer_run_s": med(peer_runs, "run_s"),
        "orbitgrid_wall_s": med(og_runs),
        "orbitgrid_sim_s": med(og_runs, "sim_s"),
        "orbitgrid_engine_s": med(og_runs, "engine_wall_s"),
        "peer_last": peer_runs[-1][1],
        "orbitgrid_last": og_runs[-1][1],
    }
    print(
        f"same case, {SATELLITES} satellites, {HOURS} h at 60 s, {JOBS} jobs; median of {repeats} runs, each in its "
        f"own subprocess"
    )
    print(f"{'':<34}{'subprocess wall s':>18}{'simulation s':>14}{'runs (wall)':>28}")
    for label, runs, sim in (
        (f"orbital-compute {version} (peer)", peer_runs, out["peer_sim_s"]),
        ("orbitgrid simulate (no report)", og_runs, out["orbitgrid_sim_s"]),
    ):
        each = ", ".join(f"{w:.2f}" for w, _ in runs)
        print(f"{label:<34}{med(runs):>18.2f}{sim:>14.2f}{each:>28}")
    print(
        f"peer / orbitgrid: {out['peer_wall_s'] / out['orbitgrid_wall_s']:.2f}x (subprocess wall), "
        f"{out['peer_sim_s'] / out['orbitgrid_sim_s']:.2f}x (simulation only); peer setup (SGP4 contact windows) "
        f"{out['peer_setup_s']:.2f} s + stepping {out['peer_run_s']:.2f} s; "
        f"orbitgrid engine {out['orbitgrid_engine_s']:.3f} s"
    )
    print(f"peer result: {json.dumps(out['peer_last'])}")
    print(f"orbitgrid result: {json.dumps(out['orbitgrid_last'])}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--venv", type=Path, default=Path("/tmp/peer-venv"))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    compare(args.venv, args.repeats)


if __name__ == "__main__":
    main()
