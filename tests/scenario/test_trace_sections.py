"""Scenario sections that name trace files: presets and column mappings, GPU model names mapped to the catalog, node
lists read per node, request traces, and the errors each gives with its field path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orbitgrid.scenario import ScenarioError, load_scenario_text
from orbitgrid.workloads.jobs import JobKind, TraceStatus

DATA = Path(__file__).resolve().parents[1] / "data" / "traces"

BASE = """\
schema_version: 1
name: t
epoch: 2027-03-20T00:00:00Z
duration: 2h
step: 60s
fleet:
  ground_sites:
    - {{name: dc, lat_deg: 40.0, lon_deg: -100.0, gpus: {gpus}, grid_power_mw: 5}}
tenants:
  - {{name: lab}}
workloads:
{workloads}"""


def load(workloads: str = "  []", gpus: str = "{H100: 8}"):
    return load_scenario_text(BASE.format(workloads=workloads, gpus=gpus), base_dir=DATA)


def problems(workloads: str = "  []", gpus: str = "{H100: 8}") -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as exc:
        load(workloads, gpus)
    return [(p.path, p.message) for p in exc.value.problems]


def test_pai_preset_needs_its_gpu_models_mapped_to_the_catalog() -> None:
    [(path, msg)] = problems("  - {type: trace, tenant: lab, format: alibaba_pai_2020, file: pai_task_table.csv}")
    assert path == "workloads[0].models"
    # V100 and P100 are catalog GPUs (counted as themselves unless mapped); MISC is not
    assert msg.startswith("pai_task_table.csv asks for GPU models MISC that are not in the catalog")
    sc = load(
        "  - {type: trace, tenant: lab, format: alibaba_pai_2020, file: pai_task_table.csv,\n"
        "     models: {V100: H100, MISC: H100, P100: H100}}"
    )
    t = sc.workloads[0].table
    assert t.gpu_models == ("H100",) and (t.gpu_model == 0).all()
    assert t.kind.tolist() == [JobKind.BATCH] * 3  # the preset's kind


def test_a_custom_mapping_over_any_file() -> None:
    sc = load(
        "  - type: trace\n"
        "    tenant: lab\n"
        "    format: custom\n"
        "    file: helios_cluster_log.csv\n"
        "    columns: {submit: submit_time, duration: duration, gpus: gpu_num, status: state}\n"
        "    units: {time: datetime}\n"
        "    status_values: {COMPLETED: completed, FAILED: failed, CANCELLED: drop, TIMEOUT: failed}\n"
        "    kind: training\n"
    )
    w = sc.workloads[0]
    t = w.table
    assert t.job_id.tolist() == ["row2", "row3", "row6"]  # CANCELLED dropped, the CPU-only job dropped
    assert (t.work_gpu_s / t.gpus).tolist() == [36848.0, 249.0, 7200.0]  # the duration column
    assert t.trace_status.tolist() == [TraceStatus.COMPLETED, TraceStatus.FAILED, TraceStatus.FAILED]
    assert w.report()["dropped"] == {"status CANCELLED": 1, "no GPUs (CPU-only)": 1}
    assert (t.kind == JobKind.TRAINING).all()


def test_a_preset_with_one_column_replaced() -> None:
    sc = load(
        "  - {type: trace, tenant: lab, format: helios, file: helios_cluster_log.csv, columns: {start: submit_time}}"
    )
    w = sc.workloads[0]
    # runs now count from the submit: the one job that waited (600 s) runs 7,800 s instead of 7,200 s
    assert (w.table.work_gpu_s / w.table.gpus).tolist() == [36848.0, 249.0, 675233.0, 7800.0]
    assert (w.imported.observed_wait_s == 0).all()


@pytest.mark.parametrize(
    ("workload", "path", "text"),
    [
        ("{type: trace, tenant: lab, format: helios}", "workloads[0].file", "required with format helios"),
        ("{type: trace, tenant: lab, format: custom, file: burstgpt.csv}", "workloads[0].columns.submit", "required"),
        (
            "{type: trace, tenant: lab, format: alibaba_openb, file: openb_pods.csv,"
            " window: {start: 2020-01-01T00:00:00Z}}",
            "workloads[0].window.start",
            "a date-time window needs a trace with date-time columns",
        ),
        (
            "{type: trace, tenant: lab, format: helios, file: helios_cluster_log.csv, window: {start: 2h, end: 1h}}",
            "workloads[0].window.end",
            "must be after window.start",
        ),
        (
            "{type: trace, tenant: lab, format: helios, file: helios_cluster_log.csv, window: {start: 30d}}",
            "workloads[0].window",
            "no jobs in the window",
        ),
        (
            "{type: trace, tenant: lab, format: helios, file: helios_cluster_log.csv, units: {timezone: Mars/Base}}",
            "workloads[0].units.timezone",
            "unknown time zone 'Mars/Base'",
        ),
        (
            "{type: trace, tenant: lab, format: helios, file: helios_cluster_log.csv, time_scale: 0}",
            "workloads[0].time_scale",
            "must be between 0.001 and 1000000",
        ),
        (
            "{type: inference, tenant: lab, gpus: 8, requests: {file: mooncake.jsonl, format: custom}}",
            "workloads[0].requests.columns.arrival",
            "required with format custom",
        ),
    ],
)
def test_errors_name_the_field(workload: str, path: str, text: str) -> None:
    found = problems("  - " + workload)
    assert any(p == path and text in m for p, m in found), found


def test_an_inference_service_reads_a_request_trace() -> None:
    sc = load("  - {type: inference, tenant: lab, gpus: 8, requests: {file: mooncake.jsonl, format: mooncake}}")
    r = sc.workloads[0].requests.imported.requests
    assert r.arrival_s.tolist() == [0.0, 0.0, 3.052, 3.852]


def test_node_lists_per_node_with_models_and_a_default_model() -> None:
    sc = load(gpus="{file: openb_nodes.csv, format: alibaba_openb, models: {V100M32: H100, P100: H100, T4: H100}}")
    nodes = sc.ground_sites[0].gpus.nodes
    assert nodes.node.tolist() == ["openb-node-0000", "openb-node-0001", "openb-node-0003"]
    assert nodes.model.tolist() == ["H100"] * 3 and nodes.gpus.tolist() == [2, 8, 4]
    assert nodes.cpu_milli.tolist() == [64000, 96000, 32000]
    assert sc.ground_sites[0].gpu_counts == {"H100": 14}
    assert nodes.dropped == {"no GPUs (CPU-only node)": 1}
    sc = load(gpus="{file: philly_machines.csv, format: philly, default_model: H100}")
    assert sc.ground_sites[0].gpu_counts == {"H100": 18}
    np.testing.assert_array_equal(sc.ground_sites[0].gpus.nodes.gpus, [2, 8, 8])
    [(path, msg)] = problems(gpus="{file: philly_machines.csv, format: philly}")
    assert path == "fleet.ground_sites[0].gpus.models"
    assert "no catalog GPU for no model (18 GPUs); give default_model" in msg
