"""Trace import and replay speed (issue 16 item 7): a 1,000,000-row job trace imported in <= 5 s, and an inference
trace of 1,000,000 requests imported and replayed in <= 20 s.

Measures, on this machine and in one process (files generated here with a fixed seed, in a temporary folder):

1. a job trace of ``--jobs`` rows in the Alibaba openb pod-list format (numbers: creation, scheduled and deletion
   times in seconds, fractional GPU shares, CPU, memory, QoS and pod phase) read through the ``alibaba_openb``
   preset (``workloads.importers.jobs.import_jobs``), against the best alternatives measured in the same run: the
   openb loader it replaces (``workloads.traces.load_alibaba_openb_pods``, pyarrow as well) and ``pandas.read_csv``
   of the same columns with nothing mapped (the floor of any pandas-based importer);
2. the same rows in the Helios format (date-time text columns, Slurm states) through the ``helios`` preset: the
   date-time parse is the costlier path;
3. an inference trace of ``--requests`` requests in the Azure LLM inference format (``TIMESTAMP`` text with 7
   fractional digits, ``ContextTokens``, ``GeneratedTokens``): import (``import_requests``) and replay, i.e. the
   whole ``orbitgrid simulate`` of a ground-only scenario whose inference service reads the file (validation with
   the import, the engine, every request served on the replicas the engine kept up, the run's tables written),
   timed end to end in-process.

Each timing is the median of ``--repeats`` runs (the first of a process pays imports, reported apart).

    python benchmarks/traces.py [--jobs 1000000] [--requests 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = 16


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_openb(path: Path, n: int, rng: np.random.Generator) -> None:
    """``n`` pods: Poisson arrivals over 140 days, 1-8 GPUs (72 % on one, 40 % of those shared), lognormal runs."""
    creation = np.sort(rng.integers(0, 140 * 86400, n))
    wait = rng.integers(0, 120, n)
    run = np.maximum(1, rng.lognormal(7.0, 2.0, n)).astype(np.int64)
    gpus = rng.choice([0, 1, 2, 4, 8], n, p=[0.14, 0.72, 0.05, 0.04, 0.05])
    milli = np.where((gpus == 1) & (rng.random(n) < 0.4), rng.integers(50, 1000, n), 1000)
    qos = rng.choice(np.array(["LS", "BE", "Burstable", "Guaranteed"]), n, p=[0.53, 0.45, 0.015, 0.005])
    phase = rng.choice(np.array(["Running", "Failed", "Succeeded", "Pending"]), n, p=[0.63, 0.26, 0.02, 0.09])
    sched = np.where(phase == "Pending", -1, creation + wait)
    delete = np.where(phase == "Pending", -1, sched + run)
    cpu = rng.choice([2000, 4000, 8000, 12000, 32000], n)
    mem = rng.choice([4096, 12288, 30720, 65536], n)
    with path.open("w") as f:
        f.write(
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,"
            "scheduled_time\n"
        )
        for i in range(n):
            s = "" if sched[i] < 0 else str(sched[i])
            d = "" if delete[i] < 0 else str(delete[i])
            f.write(
                f"openb-pod-{i:07d},{cpu[i]},{mem[i]},{gpus[i]},{milli[i]},,{qos[i]},{phase[i]},{creation[i]},{d},{s}\n"
            )


def write_helios(path: Path, n: int, rng: np.random.Generator) -> None:
    t0 = dt.datetime(2020, 4, 1)
    submit = np.sort(rng.integers(0, 180 * 86400, n))
    wait = rng.integers(0, 600, n)
    run = np.maximum(1, rng.lognormal(6.5, 2.2, n)).astype(np.int64)
    gpus = rng.choice([0, 1, 2, 4, 8, 16], n, p=[0.5, 0.35, 0.05, 0.04, 0.05, 0.01])
    state = rng.choice(np.array(["COMPLETED", "CANCELLED", "FAILED"]), n, p=[0.65, 0.2, 0.15])
    stamps = np.datetime64(t0) + submit.astype("timedelta64[s]")
    starts = stamps + wait.astype("timedelta64[s]")
    ends = starts + run.astype("timedelta64[s]")
    fmt = [np.datetime_as_string(a, unit="s") for a in (stamps, starts, ends)]
    with path.open("w") as f:
        f.write("job_id,user,vc,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue\n")
        for i in range(n):
            sub, sta, end = (x[i].replace("T", " ") for x in fmt)
            f.write(
                f"{i},u{i % 997},vc{i % 31},{gpus[i]},{4 * max(1, gpus[i])},1,{state[i]},"
                f"{sub},{sta},{end},{run[i]},{wait[i]}\n"
            )


def write_azure(path: Path, n: int, rng: np.random.Generator) -> float:
    """``n`` requests at the Azure conversation trace's 5.5 per second; returns the span in seconds."""
    gaps = rng.exponential(1.0 / 5.5, n)
    t = np.cumsum(gaps)
    ns = (t * 1e9).astype(np.int64) + np.datetime64("2023-11-16T18:15:46", "ns").astype(np.int64)
    stamps = np.datetime_as_string(ns.astype("datetime64[ns]"), unit="ns")
    prompt = np.maximum(1, rng.lognormal(6.8, 0.8, n)).astype(np.int64)
    out = np.maximum(1, rng.lognormal(4.9, 0.9, n)).astype(np.int64)
    with path.open("w") as f:
        f.write("TIMESTAMP,ContextTokens,GeneratedTokens\n")
        for i in range(n):
            f.write(f"{stamps[i][:-2].replace('T', ' ')},{prompt[i]},{out[i]}\n")
    return float(t[-1])


CPU: list[float] = []  # CPU seconds (all threads) of the last timed() median run


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """(first wall time, median wall time of the rest or the first, last result); the median run's CPU seconds
    (every thread of the process) in ``CPU[-1]``: on a shared, loaded machine wall time is mostly waiting."""
    times, cpus = [], []
    res = None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        res = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    rest, rest_c = (times[1:], cpus[1:]) if len(times) > 1 else (times, cpus)
    CPU.append(statistics.median(rest_c))
    return times[0], statistics.median(rest), res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-replay", action="store_true", help="import only (no simulate of the request trace)")
    args = ap.parse_args(argv)

    from orbitgrid.workloads import traces
    from orbitgrid.workloads.importers.jobs import JOB_PRESETS, import_jobs
    from orbitgrid.workloads.importers.requests import REQUEST_PRESETS, import_requests

    print(
        f"machine: {platform.machine()} {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"python {sys.version.split()[0]}"
    )
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        openb = folder / "openb_pods.csv"
        t = time.perf_counter()
        write_openb(openb, args.jobs, rng)
        print(
            f"generated {args.jobs:,} openb rows ({openb.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t:.1f} s"
        )

        first, med, imp = timed(lambda: import_jobs(openb, JOB_PRESETS["alibaba_openb"].mapping), args.repeats)
        print(
            f"import openb preset:      {med:6.2f} s median ({first:.2f} s first, {CPU[-1]:.2f} CPU-s)  "
            f"{args.jobs / med:12,.0f} rows/s  "
            f"{len(imp.jobs):,} jobs, dropped {imp.dropped}"
        )
        _, med_old, _ = timed(lambda: traces.load_alibaba_openb_pods(openb), args.repeats)
        print(
            f"legacy openb loader:      {med_old:6.2f} s median ({CPU[-1]:.2f} CPU-s)  "
            f"{args.jobs / med_old:12,.0f} rows/s  (preset / legacy {med / med_old:.2f})"
        )
        try:
            import pandas as pd

            cols = ["name", "num_gpu", "gpu_milli", "cpu_milli", "memory_mib", "qos", "pod_phase", "creation_time",
                    "scheduled_time", "deletion_time"]  # fmt: skip
            _, med_pd, _ = timed(lambda: pd.read_csv(openb, usecols=cols), args.repeats)
            print(
                f"pandas.read_csv (parse):  {med_pd:6.2f} s median ({CPU[-1]:.2f} CPU-s)  "
                f"{args.jobs / med_pd:12,.0f} rows/s  (preset / pandas {med / med_pd:.2f})"
            )
        except ImportError:
            print("pandas not installed: no pandas comparison")
        openb.unlink()

        helios = folder / "cluster_log.csv"
        t = time.perf_counter()
        write_helios(helios, args.jobs, rng)
        print(
            f"generated {args.jobs:,} Helios rows ({helios.stat().st_size / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t:.1f} s"
        )
        first, med_h, imp_h = timed(lambda: import_jobs(helios, JOB_PRESETS["helios"].mapping), args.repeats)
        print(
            f"import helios preset:     {med_h:6.2f} s median ({first:.2f} s first, {CPU[-1]:.2f} CPU-s)  "
            f"{args.jobs / med_h:12,.0f} rows/s  "
            f"{len(imp_h.jobs):,} jobs (date-times parsed)"
        )
        helios.unlink()

        azure = folder / "requests.csv"
        t = time.perf_counter()
        span = write_azure(azure, args.requests, rng)
        print(
            f"generated {args.requests:,} Azure-format requests over {span / 3600:.1f} h "
            f"({azure.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s"
        )
        first, med_r, _imp_r = timed(
            lambda: import_requests(azure, REQUEST_PRESETS["azure_conv_2023"].mapping), args.repeats
        )
        print(
            f"import azure requests:    {med_r:6.2f} s median ({first:.2f} s first, {CPU[-1]:.2f} CPU-s)  "
            f"{args.requests / med_r:12,.0f} rows/s"
        )
        if not args.skip_replay:
            from orbitgrid import api
            from orbitgrid.scenario import load_scenario_text

            hours = int(np.ceil(span / 3600.0))
            text = f"""\
schema_version: 1
name: request-replay
epoch: 2027-03-20T00:00:00Z
duration: {hours}h
step: 300s
fleet:
  ground_sites:
    - {{name: dc, lat_deg: 40.0, lon_deg: -100.0, gpus: {{H100: 64}}, grid_power_mw: 5}}
tenants:
  - {{name: lab}}
workloads:
  - {{type: inference, tenant: lab, gpus: 64, requests: {{file: {azure}, format: azure_conv_2023}}}}
"""

            def run() -> object:
                sc = load_scenario_text(text)  # validation reads and imports the request trace
                out = folder / "run"
                return api.simulate(sc, out, report=False, cost=False, overwrite=True, force=True)

            first, med_s, _ = timed(run, max(1, min(args.repeats, 2)))
            import json

            served = json.loads((folder / "run" / "summary.json").read_text())["tenants"]["lab"]["requests"]
            print(
                f"import + replay (simulate, {hours} h, 64 GPUs): {med_s:6.2f} s median ({first:.2f} s first, "
                f"{CPU[-1]:.2f} CPU-s)" + (f", {served:,} requests served" if served else "")
            )
    print(f"peak RSS {_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
