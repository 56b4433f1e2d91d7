"""The scheduling stage of ``simulate``: workloads from the scenario, the engine on the physics' node timelines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitgrid.api import simulate
from orbitgrid.scenario import ScenarioError, load_scenario_text

SMALL = """
schema_version: 1
name: small-hybrid
epoch: 2027-03-20T00:00:00Z
duration: 6h
step: 60s
seed: 11
fleet:
  shells:
    - name: walker
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 24, planes: 4, phasing: 1}
      design: starlink-v2-mini-compute
    - name: clusters
      orbit: {type: formation, altitude_km: 650, ltan_hours: 18.0, clusters: 2, per_cluster: 9, radius_km: 1.0}
      design: suncatcher-tpu-sat
  ground_sites:
    - {name: site, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 512}, grid_power_mw: 0.8}
tenants:
  - {name: lab, contract: reserved, reserved_gpus: 400, price_usd_per_gpu_hour: 2.0}
  - {name: app, contract: on_demand, price_usd_per_gpu_hour: 3.0}
workloads:
  - {type: training, tenant: lab, count: 4, gpus: 256, gpu_model: H100, work_gpu_hours: 256, spacing: 30min,
     allreduce_gb_per_step: 1.0, step_compute: 2s}
  - {type: training, tenant: lab, count: 3, gpus: 512, gpu_model: TPU-v6e, work_gpu_hours: 600, placement: orbit}
  - {type: training, tenant: lab, count: 30, gpus: 16, gpu_model: H100, work_gpu_hours: 8, spacing: 10min}
  - {type: generated, tenant: app, kind: batch, count: 300, gpu_scale: 4, contract: spot}
  - {type: inference, tenant: app, services: 2, gpus: 32, gpu_model: H100, rate_scale: 0.5}
policy: {name: priority, power_aware: true}
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sched") / "run"
    simulate(load_scenario_text(SMALL), out, report=False)
    return out


def _table(p: Path) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in pq.read_table(p).to_pydict().items()}


def test_every_job_ends_in_exactly_one_state_and_the_summary_counts_them(run_dir: Path) -> None:
    import json

    jobs = _table(run_dir / "jobs.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert set(jobs["state"]) <= {"completed", "failed", "killed", "never_fits", "running", "queued"}
    counts = summary["jobs"]
    assert counts["submitted"] == jobs["job_id"].size == len(set(jobs["job_id"]))
    states = ("completed", "failed", "killed", "never_fits", "running", "queued")
    assert sum(counts[k] for k in states) == counts["submitted"]
    assert counts["completed"] > 0
    for key in ("gpu_hours", "goodput", "wait_s", "tenants", "orbit_vs_ground", "lost_gpu_hours"):
        assert key in summary
    assert set(summary["tenants"]) == {"lab", "app"}
    assert 0.0 < summary["goodput"] <= 1.0
    assert summary["gpu_hours"]["delivered"] <= summary["gpu_hours"]["deliverable"]
    app = summary["tenants"]["app"]
    assert app["requests"] > 0 and 0.0 <= app["slo_attainment"] <= 1.0


def test_placements_never_exceed_usable_gpus_and_gangs_run_whole(run_dir: Path) -> None:
    pl = _table(run_dir / "placements.parquet")
    jobs = _table(run_dir / "jobs.parquet")
    nodes = _table(run_dir / "nodes.parquet")
    assert nodes  # the capacity tables are written beside the scheduler's
    gpus_of = dict(zip(jobs["job_id"], jobs["gpus"], strict=True))
    kind_of = dict(zip(jobs["job_id"], jobs["kind"], strict=True))
    for jid, g in zip(pl["job_id"], pl["gpus"], strict=True):
        if kind_of[jid] != "batch":
            assert g == gpus_of[jid]
        else:
            assert 1 <= g <= gpus_of[jid]
    # Step-mean busy never exceeds step usable in any group (utilization.parquet integrates the busy changes).
    u = _table(run_dir / "utilization.parquet")
    assert np.all(u["busy_gpus"] <= u["usable_gpus"] + 1e-6)
    assert np.all(u["busy_gpus"] >= -1e-9)
    # Delivered GPU-hours in the jobs table equal the placements' GPU-time.
    assert np.isclose(np.sum((pl["end_s"] - pl["start_s"]) * pl["gpus"]), np.sum(jobs["delivered_gpu_s"]), rtol=1e-12)


def test_orbit_only_jobs_run_in_orbit(run_dir: Path) -> None:
    pl = _table(run_dir / "placements.parquet")
    tpu = np.char.find(pl["job_id"].astype(str), "w1-train") == 0
    assert tpu.any()
    assert all(str(n).startswith("clusters/") for n in pl["node"][tpu])


def test_same_seed_gives_identical_tables(run_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    simulate(load_scenario_text(SMALL), again, report=False)
    for name in ("jobs", "placements", "faults", "utilization"):
        assert (run_dir / f"{name}.parquet").read_bytes() == (again / f"{name}.parquet").read_bytes(), name


def test_an_unknown_tenant_is_named_with_its_path() -> None:
    bad = SMALL.replace("{type: generated, tenant: app", "{type: generated, tenant: nobody")
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(bad)
    text = str(err.value)
    assert "workloads[3].tenant" in text and "nobody" in text and "lab" in text


def test_trace_and_generated_jobs_keep_their_contracts_unless_overridden() -> None:
    import numpy as np

    from orbitgrid.pipeline.schedule import build_workload
    from orbitgrid.workloads.jobs import Contract

    text = SMALL.replace(
        "  - {type: generated, tenant: app, kind: batch, count: 300, gpu_scale: 4, contract: spot}",
        "  - {type: generated, tenant: app, kind: batch, count: 300, gpu_scale: 4}\n  - {type: trace, tenant: app}",
    )
    # The openb pods arrive over 141 days (the first busy day is day 115): build the workload over 150 days, without
    # the inference service (its request stream would be tiled over the whole span).
    text = text.replace("duration: 6h\nstep: 60s", "duration: 150d\nstep: 1d")
    text = "\n".join(line for line in text.splitlines() if "type: inference" not in line)
    wl = build_workload(load_scenario_text(text), np.random.default_rng(1))
    ids = wl.jobs.job_id.astype(str)
    gen = np.char.find(ids, "w3-gen-") == 0
    trace = ~gen & (np.char.find(ids, "w") != 0)
    assert gen.sum() > 0 and trace.sum() > 0
    for sel in (gen, trace):
        # the openb QoS mix has both spot (best effort) and on-demand pods; the tenant's on_demand would erase it
        assert set(np.unique(wl.jobs.contract[sel]).tolist()) >= {int(Contract.ON_DEMAND), int(Contract.SPOT)}
        spot = sel & (wl.jobs.contract == Contract.SPOT)
        assert wl.jobs.preemptible[spot].all()


def test_node_usage_adds_up_to_the_placements_and_the_timeline(run_dir: Path) -> None:
    nu = _table(run_dir / "node_usage.parquet")
    pl = _table(run_dir / "placements.parquet")
    u = _table(run_dir / "utilization.parquet")
    assert np.isclose(nu["gpu_hours_delivered"].sum(), np.sum((pl["end_s"] - pl["start_s"]) * pl["gpus"]) / 3600.0)
    assert np.isclose(nu["gpu_hours_deliverable"].sum(), u["usable_gpus"].sum() * 60.0 / 3600.0)
    assert nu["placements"].sum() == pl["job_id"].size
    used = nu["gpu_hours_delivered"] > 0
    assert np.all(nu["utilization"][used] <= 1.0 + 1e-9)
    assert np.all((nu["goodput"][used] > 0.0) & (nu["goodput"][used] <= 1.0))
