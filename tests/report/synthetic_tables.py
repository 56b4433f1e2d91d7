"""Scheduler tables in the agreed schemas, made up for a real run directory so the report can be tested before the
scheduler writes them. Numbers are random but consistent: placements tile each job's run, faults match placements
that ended in a fault, utilization never exceeds usable capacity, and summary.json gains the agreed keys."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: Jobs in the shared synthetic workload: enough placements that the Gantt chart must sample.
N_JOBS = 12_000
TENANTS = ("acme", "globex", "initech", "umbrella")


def copy_run(src: Path, dst: Path) -> Path:
    """The run directory's files without its report."""
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.name != "report.html":
            shutil.copy2(f, dst / f.name)
    return dst


def _write(path: Path, cols: dict[str, object]) -> None:
    pq.write_table(pa.table(cols), path)


def add_scheduler_tables(run_dir: Path, *, n_jobs: int = 400, nodes_per_group: int = 24, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    summary = json.loads((run_dir / "summary.json").read_text())
    duration = float(summary["duration_s"])
    step = float(summary["step_s"])
    groups = {g: "orbital" for g in summary["capacity"]["shells"]} | {
        g: "ground" for g in summary["capacity"]["ground_sites"]
    }
    installed = {g: c["gpus"] for g, c in summary["capacity"]["shells"].items()} | {
        g: c["accelerators"] for g, c in summary["capacity"]["ground_sites"].items()
    }
    node_names = [f"{g}/n{i:03d}" for g in groups for i in range(nodes_per_group)]
    node_group = {n: n.split("/")[0] for n in node_names}

    # jobs
    tenant = rng.choice(TENANTS, n_jobs)
    kind = rng.choice(["training", "batch", "inference"], n_jobs, p=[0.3, 0.5, 0.2])
    contract = rng.choice(["reserved", "on_demand", "spot"], n_jobs)
    gpus = rng.choice([8, 16, 64, 256], n_jobs)
    submit = np.sort(rng.uniform(0, 0.8 * duration, n_jobs))
    scale = np.array([{"acme": 300.0, "globex": 1_800.0, "initech": 60.0, "umbrella": 7_200.0}[t] for t in tenant])
    wait = rng.exponential(scale)
    queued = rng.random(n_jobs) < 0.03
    start = np.where(queued, np.nan, submit + wait)
    start = np.where(start >= duration, np.nan, start)
    run = rng.exponential(4 * 3600.0, n_jobs)
    end = start + run
    running = np.isfinite(start) & (end >= duration)
    end = np.where(running | ~np.isfinite(start), np.nan, end)
    failed = np.isfinite(end) & (rng.random(n_jobs) < 0.05)
    state = np.where(
        ~np.isfinite(start), "queued", np.where(running, "running", np.where(failed, "failed", "completed"))
    )
    run_s = np.where(np.isfinite(start), np.where(np.isfinite(end), end, duration) - start, 0.0)
    lost = np.where(rng.random(n_jobs) < 0.25, rng.uniform(0, 0.2, n_jobs) * run_s * gpus, 0.0)
    useful = run_s * gpus - lost

    # placements: each started job runs in 1-3 contiguous pieces
    p_rows: dict[str, list] = {k: [] for k in ("job_id", "tenant", "node", "node_group", "start_s", "end_s", "gpus")}
    p_rows["outcome"] = []
    f_rows: dict[str, list] = {k: [] for k in ("t_s", "node", "node_group", "cause", "job_id", "lost_gpu_s")}
    last_node = np.full(n_jobs, "", dtype=object)
    restarts = np.zeros(n_jobs, dtype=np.int64)
    preemptions = np.zeros(n_jobs, dtype=np.int64)
    for i in np.flatnonzero(np.isfinite(start)):
        stop = end[i] if np.isfinite(end[i]) else duration
        pieces = int(rng.integers(1, 4))
        cuts = np.sort(rng.uniform(start[i], stop, pieces - 1))
        bounds = [start[i], *cuts.tolist(), stop]
        for k in range(pieces):
            node = str(rng.choice(node_names))
            if k < pieces - 1:
                outcome = str(rng.choice(["checkpoint", "fault", "preempted", "capacity"]))
            else:
                outcome = "completed" if np.isfinite(end[i]) else "horizon"
            p_rows["job_id"].append(f"j{i:05d}")
            p_rows["tenant"].append(str(tenant[i]))
            p_rows["node"].append(node)
            p_rows["node_group"].append(node_group[node])
            p_rows["start_s"].append(bounds[k])
            p_rows["end_s"].append(bounds[k + 1])
            p_rows["gpus"].append(int(gpus[i]))
            p_rows["outcome"].append(outcome)
            if outcome == "fault":
                restarts[i] += 1
                f_rows["t_s"].append(bounds[k + 1])
                f_rows["node"].append(node)
                f_rows["node_group"].append(node_group[node])
                f_rows["cause"].append(str(rng.choice(["sdc", "interrupt", "permanent"])))
                f_rows["job_id"].append(f"j{i:05d}")
                f_rows["lost_gpu_s"].append(float(min(lost[i], 600.0 * gpus[i])))
            elif outcome == "preempted":
                preemptions[i] += 1
            last_node[i] = node
    for _ in range(20):  # faults on idle GPUs
        node = str(rng.choice(node_names))
        f_rows["t_s"].append(float(rng.uniform(0, duration)))
        f_rows["node"].append(node)
        f_rows["node_group"].append(node_group[node])
        f_rows["cause"].append("sdc")
        f_rows["job_id"].append("")
        f_rows["lost_gpu_s"].append(0.0)
    node_kind = np.array([groups[node_group[n]] if n else "" for n in last_node], dtype=object)
    _write(
        run_dir / "jobs.parquet",
        {
            "job_id": [f"j{i:05d}" for i in range(n_jobs)],
            "tenant": tenant.tolist(),
            "kind": kind.tolist(),
            "contract": contract.tolist(),
            "gpus": gpus.astype(np.int64),
            "submit_s": submit,
            "start_s": start,
            "end_s": end,
            "state": state.tolist(),
            "node": last_node.tolist(),
            "node_kind": node_kind.tolist(),
            "wait_s": np.where(np.isfinite(start), start - submit, duration - submit),
            "run_s": run_s,
            "useful_gpu_s": useful,
            "lost_gpu_s": lost,
            "restarts": restarts,
            "preemptions": preemptions,
            "energy_kwh": useful / 3600 * 0.9,
            "cost_usd": useful / 3600 * 2.5,
        },
    )
    _write(run_dir / "placements.parquet", {k: pa.array(v) for k, v in p_rows.items()})
    _write(run_dir / "faults.parquet", {k: pa.array(v) for k, v in f_rows.items()})

    # utilization from the real usable capacity
    ts = pq.read_table(run_dir / "timeseries.parquet").to_pydict()
    ts_group = np.array([str(g) for g in ts["group"]])
    usable = np.asarray(ts["usable_accelerators"], dtype=np.float64)
    phase = rng.uniform(0, 2 * np.pi)
    busy = np.floor(usable * (0.55 + 0.3 * np.sin(np.asarray(ts["t_s"]) / 20_000 + phase)))
    _write(
        run_dir / "utilization.parquet",
        {
            "t_s": np.asarray(ts["t_s"], dtype=np.float64),
            "group": ts_group.tolist(),
            "kind": [groups[g] for g in ts_group.tolist()],
            "installed_gpus": np.array([installed[g] for g in ts_group.tolist()], dtype=np.int64),
            "usable_gpus": usable.astype(np.int64),
            "busy_gpus": busy.astype(np.int64),
        },
    )

    # allocation: requested above allocated, fragments and strands a small part of what is free
    a_t = np.unique(np.asarray(ts["t_s"], dtype=np.float64))
    total = float(sum(installed.values()))
    allocated = np.floor(total * (0.5 + 0.3 * np.sin(a_t / 30_000 + phase) ** 2))
    _write(
        run_dir / "allocation.parquet",
        {
            "t_s": a_t,
            "requested_gpus": allocated * 1.2,
            "allocated_gpus": allocated,
            "occupied_gpus": np.ceil(allocated * 1.05).astype(np.int64),
            "fragmented_gpus": (total - allocated) * 0.1,
            "stranded_gpus": (total - allocated) * 0.05,
            "queued_jobs": np.full(a_t.size, 7, dtype=np.int64),
        },
    )

    # sample satellites: two per orbital shell, eclipsed ones cycling through shadow
    t = np.arange(0.0, duration, step)
    s_rows: dict[str, list] = {
        k: []
        for k in (
            "t_s", "satellite", "shell", "lit_fraction", "battery_soc", "radiator_k", "usable_gpus", "lat_deg",
            "lon_deg", "alt_km",
        )
    }  # fmt: skip
    for shell, c in summary["capacity"]["shells"].items():
        for j in range(2):
            eclipsed = c["throttled_fraction_eclipse"] > 0
            lit = np.where(eclipsed & (np.sin(2 * np.pi * t / 5_700 + j) < -0.5), 0.0, 1.0)
            soc = np.clip(1 - 0.6 * np.convolve(1 - lit, np.ones(30) / 30, mode="same"), 0.2, 1)
            s_rows["t_s"] += t.tolist()
            s_rows["satellite"] += [f"{shell}-sat{j}"] * len(t)
            s_rows["shell"] += [shell] * len(t)
            s_rows["lit_fraction"] += lit.tolist()
            s_rows["battery_soc"] += soc.tolist()
            s_rows["radiator_k"] += (280 + 15 * lit).tolist()
            s_rows["usable_gpus"] += np.where(soc > 0.25, 8, 4).tolist()
            # a 53 deg track: latitude swinging once per 5,700 s orbit, longitude drifting west and wrapping
            phase = 2 * np.pi * t / 5_700 + j
            s_rows["lat_deg"] += (53 * np.sin(phase)).tolist()
            s_rows["lon_deg"] += ((360 * t / 5_700 - 360 * t / 86_164 + 120 * j + 180) % 360 - 180).tolist()
            s_rows["alt_km"] += [550.0] * len(t)
    _write(run_dir / "samples.parquet", {k: pa.array(v) for k, v in s_rows.items()})

    delivered = float(useful.sum() + lost.sum()) / 3600
    summary |= {
        "jobs": {
            "submitted": n_jobs,
            "completed": int((state == "completed").sum()),
            "failed": int((state == "failed").sum()),
        },
        "gpu_hours": {"delivered": delivered, "deliverable": delivered / 0.7},
        "goodput": float(useful.sum() / (useful.sum() + lost.sum())),
        "wait_s": {"p50": float(np.nanmedian(start - submit)), "p99": float(np.nanquantile(start - submit, 0.99))},
        "tenants": {
            t: {
                "gpu_hours_delivered": float(useful[tenant == t].sum()) / 3600,
                "slo_attainment": 0.9,
                "bill_usd": float(useful[tenant == t].sum()) / 3600 * 2.5,
                "wait_s_p50": float(np.nanmedian((start - submit)[tenant == t])),
                "wait_s_p99": float(np.nanquantile((start - submit)[tenant == t], 0.99)),
                "jobs_completed": int(((state == "completed") & (tenant == t)).sum()),
            }
            for t in TENANTS
        },
        # per shell / site: the permanent faults above, repaired on the ground and lost in orbit (no spares)
        "maintenance": {
            g: {
                "kind": k,
                "gpus": int(installed[g]),
                "spares_carried": 0,
                "failures": (
                    n_perm := sum(
                        1
                        for ng, c in zip(f_rows["node_group"], f_rows["cause"], strict=True)
                        if ng == g and c == "permanent"
                    )
                ),
                "repairs": n_perm if k == "ground" else 0,
                "repaired": n_perm if k == "ground" else 0,
                "in_repair": 0,
                "spares_used": 0,
                "lost": 0 if k == "ground" else n_perm,
                "capacity_lost_gpu_hours": float(n_perm) * (24.0 if k == "ground" else duration / 7200.0),
                "capacity_lost_fraction": 0.0,
            }
            for g, k in groups.items()
        },
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
