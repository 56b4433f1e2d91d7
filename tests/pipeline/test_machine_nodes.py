"""A ground site given by a node list is scheduled machine by machine: one node per machine with its GPUs, CPU and
memory (the openb node list), and a grid cap powers whole machines down rather than idling a GPU on each."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest

from orbitgrid.pipeline.capacity import ground_capacities
from orbitgrid.pipeline.nodes import build_fleet_timeline
from orbitgrid.scenario import load_scenario_text
from orbitgrid.workloads.traces import default_path

MODELS = "{G2: H100, T4: H100, G3: H100, P100: H100, V100M32: H100, V100M16: H100, A10: H100}"


def _fleet(tmp_path: Path, grid_mw: float, models: str = MODELS):
    shutil.copy(default_path("alibaba_openb_gpu_nodes"), tmp_path / "nodes.csv.gz")
    scenario = load_scenario_text(
        f"""
schema_version: 1
name: machines
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 1h
fleet:
  ground_sites:
    - name: openb
      lat_deg: 30.3
      lon_deg: 120.2
      gpus: {{file: nodes.csv.gz, format: alibaba_openb, models: {models}}}
      grid_power_mw: {grid_mw}
""",
        base_dir=tmp_path,
    )
    sites = ground_capacities(scenario)
    return build_fleet_timeline(scenario, [], [], sites).timeline, sites[0]


def test_one_node_per_machine_with_its_cpu_and_memory(tmp_path: Path) -> None:
    fleet, _ = _fleet(tmp_path, 10.0)
    table = pacsv.read_csv(default_path("alibaba_openb_gpu_nodes"))
    ref = {k: table.column(k).to_numpy() for k in table.column_names}
    nodes = fleet.nodes
    assert len(nodes) == 1213
    assert list(nodes.name[:2]) == ["openb/openb-node-0000", "openb/openb-node-0001"]
    np.testing.assert_array_equal(nodes.gpus, ref["gpu"])
    np.testing.assert_array_equal(nodes.cpu_milli, ref["cpu_milli"])
    np.testing.assert_array_equal(nodes.memory_mib, ref["memory_mib"])
    assert set(nodes.gpu_model) == {"H100"}
    assert (fleet.usable_gpus == nodes.gpus[:, None]).all()  # 10 MW: no cap


def test_the_preflight_counts_the_machines(tmp_path: Path) -> None:
    from orbitgrid.pipeline.nodes import schedulable_nodes

    shutil.copy(default_path("alibaba_openb_gpu_nodes"), tmp_path / "nodes.csv.gz")
    text = f"""
schema_version: 1
name: machines
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 1h
fleet:
  ground_sites:
    - {{name: openb, lat_deg: 30.3, lon_deg: 120.2, grid_power_mw: 10,
        gpus: {{file: nodes.csv.gz, format: alibaba_openb, models: {MODELS}}}}}
"""
    assert schedulable_nodes(load_scenario_text(text, base_dir=tmp_path)) == 1213


def test_a_grid_cap_powers_whole_machines_down(tmp_path: Path) -> None:
    fleet, site = _fleet(tmp_path, 2.0)
    usable = fleet.usable_gpus
    cap = site.usable_accelerators
    assert (cap < fleet.nodes.gpus.sum()).all()  # 2 MW caps the site
    np.testing.assert_array_equal(usable.sum(axis=0), cap)  # every usable GPU the site has is on some machine
    partly = (usable > 0) & (usable < fleet.nodes.gpus[:, None])
    assert (partly.sum(axis=0) <= 1).all()  # at most one machine is partly powered, the rest all or nothing


def test_heterogeneous_models_keep_their_speed_and_a_job_restricted_to_one_runs_only_there(tmp_path: Path) -> None:
    """The named models counted as their catalog GPUs (V100, T4, A10, P100; the anonymised G2 and G3 as A100, an
    assumption of this test): each machine's speed is its catalog rate over the H100's (datasheet figures, e.g. T4
    65 TFLOPS FP16 / H100 989 BF16 dense = 0.0657), and a job asking for T4 runs on a T4 machine at that speed."""
    from orbitgrid.scheduling.engine import Engine
    from orbitgrid.scheduling.policies import make_policy
    from orbitgrid.workloads.jobs import JobTable, Workload

    models = "{G2: A100, G3: A100, T4: T4, P100: P100, V100M32: V100, V100M16: V100, A10: A10}"
    fleet, _ = _fleet(tmp_path, 10.0, models)
    nodes = fleet.nodes
    speed = {m: float(nodes.speed[nodes.gpu_model == m][0]) for m in set(nodes.gpu_model.tolist())}
    assert speed["T4"] == pytest.approx(65e12 / 989e12) and speed["P100"] == pytest.approx(21.2e12 / 989e12)
    assert speed["V100"] == pytest.approx(125e12 / 989e12) and speed["A100"] == pytest.approx(312e12 / 989e12)
    assert int((nodes.gpu_model == "T4").sum()) == 404  # 387 two-GPU and 17 four-GPU T4 machines
    jobs = JobTable.build(
        gpus=1, work_gpu_s=np.array([300.0]), checkpoint_interval_s=1e9, gpu_model=np.array([0]), gpu_models=("T4",)
    )
    res = Engine(fleet, Workload(jobs), make_policy("fifo-backfill"), np.random.default_rng(0)).run()
    assert nodes.gpu_model[res.node[0]] == "T4"
    assert res.end_s[0] == pytest.approx(300.0 / speed["T4"])  # 300 reference GPU-seconds at the T4 speed: 76 min
