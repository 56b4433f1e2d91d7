"""Repairs and spares from the scenario to the run's outputs: the fleet's maintenance, the faults table's fates, the
summary's per shell / site block, and the scenario fields' validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitgrid.api import simulate
from orbitgrid.fleet.maintenance import DEFAULT_GROUND_REPAIR_S
from orbitgrid.scenario import ScenarioError, load_scenario_text

SCENARIO = """
schema_version: 1
name: repairs
epoch: 2027-03-20T00:00:00Z
duration: 2d
step: 10min
seed: 5
designs:
  mini-spares:
    payload: {gpu: H100, gpus: 16, spares: 2, spare_switchover: 15min}
    solar_array: {area_m2: 105, cell_efficiency: 0.22, packing_factor: 0.9}
    battery: {capacity_wh: 17000}
    radiator: {area_m2: 45, emissivity: 0.92, solar_absorptivity: 0.15}
    shielding_mm_al: 3
    bus_mass_kg: 575
fleet:
  shells:
    - name: walker
      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53, total: 12, planes: 3, phasing: 1}
      design: mini-spares
  ground_sites:
    - {name: big, lat_deg: 35.1, lon_deg: -90.0, gpus: {H100: 60000}, grid_power_mw: 120, repair_time: 8h,
       technicians: 2}
    - {name: never, lat_deg: 40.0, lon_deg: -100.0, gpus: {H100: 40000}, grid_power_mw: 80, repair_time: null}
tenants:
  - {name: lab}
workloads:
  - {type: training, tenant: lab, count: 2, gpus: 16384, gpu_model: H100, work_gpu_hours: 300000, placement: ground}
  - {type: training, tenant: lab, count: 4, gpus: 16, gpu_model: H100, work_gpu_hours: 40, placement: orbit}
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("maint") / "run"
    simulate(load_scenario_text(SCENARIO), out, report=True)
    return out


def test_fates_in_the_faults_table_add_up_to_the_summary_per_site_and_shell(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    m = summary["maintenance"]
    assert set(m) == {"walker", "big", "never"}
    f = {k: np.asarray(v) for k, v in pq.read_table(run_dir / "faults.parquet").to_pydict().items()}
    perm = f["cause"] == "permanent"
    assert set(f["fate"][~perm].tolist()) <= {""}
    for group, block in m.items():
        sel = perm & (f["node_group"] == group)
        assert block["failures"] == int(sel.sum())
        for fate, key in (("repair", "repairs"), ("spare", "spares_used"), ("lost", "lost")):
            assert block[key] == int((f["fate"][sel] == fate).sum())
        assert block["failures"] == block["repairs"] + block["spares_used"] + block["lost"]
        assert block["repairs"] == block["repaired"] + block["in_repair"]
    # ~7e-6 faulty-GPU failures per GPU-hour (Llama 3): ~20 at 'big', ~13 at 'never' in 48 h
    assert m["big"]["failures"] > 5 and m["big"]["repairs"] == m["big"]["failures"] and m["big"]["lost"] == 0
    assert m["never"]["failures"] > 3 and m["never"]["lost"] == m["never"]["failures"]
    assert m["walker"]["spares_carried"] == 24 and m["walker"]["repairs"] == 0
    # lost GPUs at 'never' keep costing capacity to the end; repaired ones at 'big' only while in repair
    assert m["never"]["capacity_lost_gpu_hours"] > 0 and m["big"]["capacity_lost_gpu_hours"] > 0
    nu = {k: np.asarray(v) for k, v in pq.read_table(run_dir / "node_usage.parquet").to_pydict().items()}
    for group, block in m.items():
        sel = nu["group"] == group
        assert int(nu["gpu_failures"][sel].sum()) == block["failures"]
        assert float(nu["capacity_lost_gpu_hours"][sel].sum()) == pytest.approx(block["capacity_lost_gpu_hours"])
    html = (run_dir / "report.html").read_text()
    assert "Failed GPUs: repairs, spares and losses" in html


def test_repair_and_spare_fields_validate_with_their_paths() -> None:
    bad = SCENARIO.replace("spares: 2,", "spares: -1,").replace("technicians: 2", "technicians: 0")
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(bad)
    text = str(err.value)
    assert "designs.mini-spares.payload.spares" in text
    assert "fleet.ground_sites[0].technicians" in text
    sc = load_scenario_text(SCENARIO.replace(" repair_time: 8h,\n       technicians: 2}", "}"))
    assert sc.ground_sites[0].repair_time == DEFAULT_GROUND_REPAIR_S and sc.ground_sites[0].technicians is None
    assert sc.policy.max_restarts is None and sc.workloads[0].max_restarts is None
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(SCENARIO.replace("repair_time: null}", "repair_time: null, technicians: 3}"))
    assert "fleet.ground_sites[1].technicians" in str(err.value) and "never repairs" in str(err.value)


def test_the_cost_model_expects_the_fates_the_run_counted(run_dir: Path) -> None:
    """cost.json's maintenance block: the cost model's fate rule and failure rate (the engine's), applied to the
    run's duration, against the run's counts. Failures are Poisson: held to ``|run - expected| <= 4 sqrt(expected)
    + 1``; the fates follow the rule exactly (a repairing site loses none, a site without repairs repairs none)."""
    cost = json.loads((run_dir / "cost.json").read_text())
    m = cost["maintenance"]
    assert m["failure_rate_per_gpu_year"] == pytest.approx(0.0611, abs=5e-4)  # Llama 3 faulty-GPU rate
    groups = {**m["shells"], **m["ground_sites"]}
    assert set(groups) == {"walker", "big", "never"}
    for name, block in groups.items():
        run, want = block["run"], block["run_expected"]
        assert abs(run["failures"] - want["failures"]) <= 4.0 * want["failures"] ** 0.5 + 1.0, name
        for key in ("repairs", "spares_used", "lost"):
            if want[key] == 0.0:
                assert run[key] == 0, (name, key)
    assert m["ground_sites"]["big"]["repair_time_s"] == 8 * 3600.0 and m["ground_sites"]["big"]["technicians"] == 2
    assert m["shells"]["walker"]["spares_per_satellite"] == 2
    # the spares are priced (one line per satellite: 2 x the GPU price) and flown (mass)
    hw = cost["orbit"]["facts"]["hardware_usd_per_satellite.spare_gpus"]
    assert hw == pytest.approx(2 * 33_750.0)
