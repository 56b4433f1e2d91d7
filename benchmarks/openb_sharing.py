"""Replaying the openb trace with GPU sharing on its own node list (issue 16 item 7: at most 30 s).

The shipped Alibaba openb pod list (the default list, pods created before day 140) on the 1,213 GPU nodes of its
node list (GPUs, CPU and memory per node; speed 1, so the pods keep their observed run times; no faults), every GPU
pod the trace scheduled as a gang of its GPUs with its ``gpu_milli`` share, CPU and memory (fractional pods share
GPUs by best fit on the share), FIFO + EASY backfill, 150 days at 60 s steps. Timed, in one process:

1. building the fleet timeline and the job table (from the CSV files);
2. the engine (``Engine(...).run()``) with sharing;
3. the allocation table (``allocation_timeline``: the placements replayed through the packer, fragmentation and
   stranded GPUs at ``--samples`` sample times);
4. for comparison in the same run, the engine on the same pods rounded up to whole GPUs without CPU or memory (the
   replay before sharing).

    python benchmarks/openb_sharing.py [--repeats 3] [--samples 2000] [--step 3600]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
import pyarrow.csv as pacsv

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.scheduling.allocation import RunRequests, allocation_timeline
from orbitgrid.scheduling.engine import COMPLETED, Engine
from orbitgrid.scheduling.policies import make_policy
from orbitgrid.workloads.jobs import MILLI_PER_GPU, JobKind, JobTable, Workload
from orbitgrid.workloads.traces import default_path

HORIZON_S = 150 * 86_400.0


def _csv(name: str) -> dict[str, np.ndarray]:
    """Columns of a shipped CSV (an integer column with empty cells comes back as float with NaN)."""
    table = pacsv.read_csv(default_path(name))
    return {k: table.column(k).to_numpy() for k in table.column_names}


def build(step_s: float, sharing: bool) -> tuple[FleetTimeline, Workload]:
    nodes, pods = _csv("alibaba_openb_gpu_nodes"), _csv("alibaba_openb_pods")
    n = nodes["gpu"].size
    table = NodeTable(
        name=nodes["sn"].astype(object),
        kind=np.full(n, NodeKind.GROUND, dtype=np.int8),
        group=np.full(n, "openb", dtype=object),
        gpu_model=nodes["model"].astype(object),
        gpus=nodes["gpu"].astype(np.int32),
        speed=np.ones(n),
        fabric_bytes_s=np.full(n, 50e9),
        power_per_gpu_w=np.full(n, 300.0),
        base_rate_per_gpu_s=np.zeros((n, 3)),
        recovery_s=np.full(n, 600.0),
        lat_deg=np.zeros(n),
        lon_deg=np.zeros(n),
        altitude_m=np.zeros(n),
        energy_price_usd_per_kwh=np.zeros(n),
        cpu_milli=nodes["cpu_milli"] if sharing else None,
        memory_mib=nodes["memory_mib"].astype(float) if sharing else None,
    )
    k = int(np.ceil(HORIZON_S / step_s))
    fleet = FleetTimeline(table, step_s, np.repeat(table.gpus[:, None], k, axis=1))
    g = np.nan_to_num(pods["num_gpu"].astype(float)).astype(np.int64)
    scheduled = np.isfinite(pods["scheduled_time"].astype(float))
    keep = (g > 0) & scheduled
    run_s = (pods["deletion_time"] - pods["scheduled_time"]).astype(float)[keep]
    t0 = float(pods["creation_time"][keep].min())
    milli = np.where(g[keep] == 1, pods["gpu_milli"][keep], MILLI_PER_GPU)
    jobs = JobTable.build(
        job_id=pods["name"][keep].astype(object),
        kind=int(JobKind.TRAINING),
        submit_s=pods["creation_time"][keep].astype(float) - t0,
        gpus=g[keep],
        work_gpu_s=g[keep] * run_s,
        checkpoint_interval_s=1e12,
        gpu_milli=milli if sharing else MILLI_PER_GPU,
        cpu_milli=pods["cpu_milli"][keep] if sharing else 0,
        memory_mib=pods["memory_mib"][keep].astype(float) if sharing else 0.0,
    )
    return fleet, Workload(jobs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--step", type=float, default=3600.0)
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    results: dict[str, list[float]] = {}
    for label, sharing in (("sharing", True), ("whole GPUs", False)):
        for rep in range(args.repeats + 1):  # the first run compiles (numba cache) and is not counted
            c0 = time.process_time()
            t0 = time.perf_counter()
            fleet, wl = build(args.step, sharing)
            t1 = time.perf_counter()
            eng = Engine(fleet, wl, make_policy("fifo-backfill"), np.random.default_rng(0))
            res = eng.run()
            t2 = time.perf_counter()
            t3 = t2
            if sharing:
                jobs = wl.jobs
                frac = (jobs.gpus == 1) & (jobs.gpu_milli < MILLI_PER_GPU)
                req = RunRequests(
                    gpus=jobs.gpus.astype(np.int64),
                    share=np.where(frac, jobs.gpu_milli / MILLI_PER_GPU, jobs.gpus).astype(float),
                    cpu_milli=jobs.cpu_milli.astype(np.int64),
                    memory_mib=jobs.memory_mib.astype(float),
                    model=np.full(len(jobs), -1),
                    submit_s=jobs.submit_s,
                    end_s=res.end_s,
                )
                stride = max(1, fleet.n_steps // args.samples)
                samples = np.arange(0, fleet.n_steps, stride) * fleet.step_s
                nodes = fleet.nodes
                cols = allocation_timeline(
                    nodes.gpus, nodes.cpu_milli, nodes.memory_mib, np.zeros(len(nodes), np.int64), req,
                    res.placements, samples,
                )  # fmt: skip
                t3 = time.perf_counter()
            if rep == 0:
                done = int((res.state == COMPLETED).sum())
                print(f"[{label}] {len(wl.jobs):,} pods ({int((wl.jobs.gpu_milli < 1000).sum()):,} fractional), "
                      f"{len(fleet.nodes):,} nodes, {fleet.n_steps:,} steps; {done:,} completed, "
                      f"{res.events:,} events, delivered {res.delivered_gpu_s.sum() / 3600:,.0f} GPU-h")  # fmt: skip
                if sharing:
                    busy = np.flatnonzero(cols["allocated_gpus"] > 0)
                    print(f"  allocated GPUs mean {cols['allocated_gpus'].mean():.1f} (max "
                          f"{cols['allocated_gpus'].max():.1f}), occupied mean {cols['occupied_gpus'].mean():.1f}, "
                          f"fragmented mean {cols['fragmented_gpus'][busy].mean():.1f}, "
                          f"stranded max {cols['stranded_gpus'].max():.1f}")  # fmt: skip
                continue
            cpu = time.process_time() - c0
            for key, v in (
                ("build", t1 - t0), ("engine", t2 - t1), ("allocation", t3 - t2), ("total", t3 - t0), ("total CPU", cpu)
            ):  # fmt: skip
                results.setdefault(f"{label}: {key}", []).append(v)
    for key, v in results.items():
        print(f"{key:26s} median {statistics.median(v):7.2f} s   (runs: {', '.join(f'{x:.2f}' for x in v)})")
    share = statistics.median(results["sharing: total"])
    whole = statistics.median(results["whole GPUs: total"])
    print(
        f"sharing / whole-GPU replay time: {share / whole:.2f}x; target <= 30 s: {'met' if share <= 30 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
