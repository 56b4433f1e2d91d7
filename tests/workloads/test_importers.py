"""Trace importers: every preset read from a small sample file written in its published format (tests/data/traces,
see PROVENANCE.md there), the generic mapping, the file formats, and replay scaling (window, warm start, rate and
time scale). Values are worked by hand from the sample rows."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orbitgrid.workloads import traces
from orbitgrid.workloads.importers.inspect import detect, inspect
from orbitgrid.workloads.importers.jobs import JOB_PRESETS, JobMapping, import_jobs, replay
from orbitgrid.workloads.importers.nodes import NODE_PRESETS, NodeMapping, import_nodes
from orbitgrid.workloads.importers.requests import REQUEST_PRESETS, import_requests
from orbitgrid.workloads.jobs import Contract, JobKind, TraceStatus

DATA = Path(__file__).resolve().parents[1] / "data" / "traces"


def _row(imp, job_id: str) -> int:
    return int(np.flatnonzero(imp.jobs.job_id == job_id)[0])


# --- job presets -------------------------------------------------------------------------------------------------


def test_openb_preset_maps_every_column() -> None:
    imp = import_jobs(DATA / "openb_pods.csv", JOB_PRESETS["alibaba_openb"].mapping)
    j = imp.jobs
    assert imp.rows == 6
    assert imp.dropped == {"status Pending": 1, "no GPUs (CPU-only)": 1}
    assert imp.adjusted == {"several GPU models allowed: any model": 1}
    assert j.job_id.tolist() == ["openb-pod-0000", "openb-pod-0001", "openb-pod-0002", "openb-pod-0004"]
    assert j.submit_s.tolist() == [0.0, 100.0, 200.0, 400.0]  # creation_time - 100
    assert j.gpus.tolist() == [1, 1, 8, 2]
    assert j.gpu_milli.tolist() == [1000, 460, 1000, 1000]
    assert j.work_gpu_s.tolist() == [3540.0, 7200.0, 8 * 1200.0, 2 * 800.0]  # gpus x (deletion - scheduled)
    assert j.cpu_milli.tolist() == [12000, 6000, 32000, 8000]
    assert j.memory_mib.tolist() == [16384.0, 12288.0, 65536.0, 30720.0]
    assert j.trace_status.tolist() == [TraceStatus.COMPLETED, TraceStatus.COMPLETED, TraceStatus.FAILED, 0]
    assert j.contract.tolist() == [Contract.ON_DEMAND, Contract.SPOT, Contract.RESERVED, Contract.ON_DEMAND]
    assert j.preemptible.tolist() == [False, True, False, False]
    assert j.gpu_models == ("V100M32",) and j.gpu_model.tolist() == [-1, -1, 0, -1]
    assert imp.observed_wait_s.tolist() == [60.0, 0.0, 600.0, 200.0]


def test_openb_preset_agrees_with_the_shipped_loader() -> None:
    path = traces.default_path("alibaba_openb_pods")
    imp = import_jobs(path, JOB_PRESETS["alibaba_openb"].mapping)
    old = traces.load_alibaba_openb_pods(path, kind=JobKind.BATCH)
    assert imp.jobs.job_id.tolist() == old.job_id.tolist()
    np.testing.assert_array_equal(imp.jobs.work_gpu_s, old.work_gpu_s)
    np.testing.assert_array_equal(imp.jobs.submit_s, old.submit_s)
    np.testing.assert_array_equal(imp.jobs.contract, old.contract)
    # the 5,353 pods: 764 CPU-only and 457 GPU pods never scheduled; a Pending pod counts once, as Pending
    assert imp.rows == 5353 and sum(imp.dropped.values()) == 764 + 457
    assert imp.dropped["status Pending"] == 484  # 457 GPU pods + 27 CPU-only pods pending


def test_pai_2020_preset_reads_the_headerless_task_table() -> None:
    imp = import_jobs(DATA / "pai_task_table.csv", JOB_PRESETS["alibaba_pai_2020"].mapping)
    j = imp.jobs
    assert imp.rows == 5
    assert imp.dropped == {"status Running": 1, "no GPUs (CPU-only)": 1}  # j3 Running; j1/ps has no plan_gpu
    assert imp.adjusted == {
        "GPU count not whole: rounded up": 1,  # j4: 150 % of a GPU takes 2 GPUs
        "GPU share on a job of several GPUs: whole GPUs": 1,  # j1: 2 instances of half a GPU
        "rows out of submit order: sorted": 1,
    }
    assert j.job_id.tolist() == ["j1/worker", "j4/worker", "j2/worker"]
    assert j.submit_s.tolist() == [0.0, 500.0, 1000.0]  # start_time - 1000 (no submit time: submitted at start)
    assert j.gpus.tolist() == [2, 2, 2]
    assert j.gpu_milli.tolist() == [1000, 1000, 1000]
    assert j.cpu_milli.tolist() == [2 * 6000, 6000, 8000]  # plan_cpu percent x instances
    np.testing.assert_allclose(j.memory_mib, [2 * 29.296875e9 / 2**20, 20e9 / 2**20, 50e9 / 2**20])
    assert j.work_gpu_s.tolist() == [2 * 3600.0, 2 * 400.0, 2 * 600.0]
    assert j.trace_status.tolist() == [TraceStatus.COMPLETED, TraceStatus.COMPLETED, TraceStatus.FAILED]
    assert [j.gpu_models[m] for m in j.gpu_model] == ["V100", "MISC", "P100"]


def test_pai_fraction_of_one_gpu_is_a_shared_gpu() -> None:
    m = JobMapping(submit="t", duration="d", gpus="g", gpu_unit="percent")
    cols = {"t": [0.0, 1.0, 2.0], "d": [10.0, 10.0, 10.0], "g": [25.0, 100.0, 150.0]}
    imp = _import_table(cols, m)
    assert imp.jobs.gpus.tolist() == [1, 1, 2]
    assert imp.jobs.gpu_milli.tolist() == [250, 1000, 1000]
    assert imp.adjusted == {"GPU count not whole: rounded up": 1}


def _import_table(columns: dict, mapping: JobMapping, tmp: Path | None = None):
    import tempfile

    folder = Path(tempfile.mkdtemp()) if tmp is None else tmp
    path = folder / "t.parquet"
    pq.write_table(pa.table(columns), path)
    try:
        return import_jobs(path, mapping)
    finally:
        if tmp is None:
            shutil.rmtree(folder)


def test_philly_preset_flattens_the_json_job_log() -> None:
    imp = import_jobs(DATA / "philly_cluster_job_log.json", JOB_PRESETS["philly"].mapping, kind=JobKind.TRAINING)
    j = imp.jobs
    assert imp.rows == 4
    assert imp.dropped == {"never started (no start time)": 1}  # the job without an attempt
    assert imp.users == 2
    # submitted 00:30 (killed, two attempts), 01:00 (passed, 8 GPUs on two machines), 02:00 (failed)
    assert j.job_id.tolist() == [
        "application_1506638472019_10239",
        "application_1506638472019_10238",
        "application_1506638472019_10240",
    ]
    assert j.submit_s.tolist() == [0.0, 1800.0, 5400.0]
    assert j.gpus.tolist() == [1, 8, 2]
    # first attempt's start to the last attempt's end
    assert j.work_gpu_s.tolist() == [1 * 80 * 60.0, 8 * 7200.0, 2 * 300.0]
    assert j.trace_status.tolist() == [TraceStatus.KILLED, TraceStatus.COMPLETED, TraceStatus.FAILED]
    assert (j.kind == JobKind.TRAINING).all()
    assert imp.observed_wait_s.tolist() == [600.0, 120.0, 30.0]


def test_helios_preset_reads_date_times_and_slurm_states() -> None:
    imp = import_jobs(DATA / "helios_cluster_log.csv", JOB_PRESETS["helios"].mapping)
    j = imp.jobs
    assert imp.dropped == {"no GPUs (CPU-only)": 1}
    assert j.job_id.tolist() == ["1425511", "1425512", "1425513", "1425515"]
    assert j.submit_s.tolist() == [0.0, 26.0, 27.0, 539.0]
    assert j.gpus.tolist() == [1, 4, 1, 16]
    assert j.cpu_milli.tolist() == [1000, 16000, 1000, 64000]
    # the run times match the trace's own duration column
    assert (j.work_gpu_s / j.gpus).tolist() == [36848.0, 249.0, 675233.0, 7200.0]
    assert j.trace_status.tolist() == [0, TraceStatus.FAILED, TraceStatus.KILLED, TraceStatus.FAILED]
    assert imp.observed_wait_s.tolist() == [0.0, 0.0, 0.0, 600.0]
    assert imp.datetime and imp.users == 3


def test_acme_preset_reads_offsets_and_job_types() -> None:
    imp = import_jobs(DATA / "acme_trace_seren.csv", JOB_PRESETS["acme"].mapping)
    j = imp.jobs
    assert imp.dropped == {"never started (no start time)": 1}
    assert j.submit_s.tolist() == [0.0, 336.0, 2498.0, 6098.0]
    assert (j.work_gpu_s / j.gpus).tolist() == [117.0, 2693.0, 43200.0, 1800.0]  # = the duration column
    assert j.kind.tolist() == [JobKind.BATCH, JobKind.BATCH, JobKind.TRAINING, JobKind.BATCH]
    assert j.trace_status.tolist() == [TraceStatus.FAILED, 0, 0, TraceStatus.KILLED]
    assert j.gpus.tolist() == [8, 8, 256, 1]
    # 2023-03-01 00:18:22+08:00 is 2023-02-28 16:18:22 UTC
    assert imp.t0_s == (np.datetime64("2023-02-28T16:18:22") - np.datetime64("2020-01-01T00:00:00")) / np.timedelta64(
        1, "s"
    )


# --- request and node presets ---------------------------------------------------------------------------------------


def test_azure_preset_sorts_and_reports_out_of_order_rows() -> None:
    imp = import_requests(DATA / "azure_code_2023.csv", REQUEST_PRESETS["azure_code_2023"].mapping)
    r = imp.requests
    assert imp.adjusted == {"rows out of arrival order: sorted": 1}
    np.testing.assert_allclose(r.arrival_s, [0.0, 0.103181, 0.220040, 0.373609], atol=1e-6)
    assert r.input_tokens.tolist() == [4808, 3180, 7433, 110]
    assert r.output_tokens.tolist() == [10, 8, 14, 27]


def test_azure_preset_reads_the_shipped_conversation_trace_as_the_loader() -> None:
    path = traces.default_path("azure_llm_conv")
    imp = import_requests(path, REQUEST_PRESETS["azure_conv_2023"].mapping)
    old = traces.load_azure_llm_requests(path)
    np.testing.assert_allclose(imp.requests.arrival_s, old.arrival_s, atol=1e-7)
    np.testing.assert_array_equal(imp.requests.input_tokens, old.input_tokens)
    np.testing.assert_array_equal(imp.requests.output_tokens, old.output_tokens)


def test_burstgpt_drops_failed_requests() -> None:
    imp = import_requests(DATA / "burstgpt.csv", REQUEST_PRESETS["burstgpt"].mapping)
    assert imp.dropped == {"failed request (no output tokens)": 1}
    assert imp.requests.arrival_s.tolist() == [0.0, 113.0, 120.5]
    assert imp.requests.input_tokens.tolist() == [472, 417, 2002]


def test_mooncake_reads_json_lines_in_milliseconds() -> None:
    imp = import_requests(DATA / "mooncake.jsonl", REQUEST_PRESETS["mooncake"].mapping)
    assert imp.requests.arrival_s.tolist() == [0.0, 0.0, 3.052, 3.852]
    assert imp.requests.output_tokens.tolist() == [52, 26, 20, 5]


@pytest.mark.parametrize(
    ("preset", "name", "counts", "dropped"),
    [
        ("alibaba_openb", "openb_nodes.csv", {"P100": 2, "V100M32": 8, "T4": 4}, {"no GPUs (CPU-only node)": 1}),
        ("alibaba_pai_2020", "pai_machine_spec.csv", {"V100": 8, "T4": 2, "P100": 2}, {"no GPUs (CPU-only node)": 1}),
        ("philly", "philly_machines.csv", {"": 18}, {}),
    ],
)
def test_node_presets(preset: str, name: str, counts: dict, dropped: dict) -> None:
    imp = import_nodes(DATA / name, NODE_PRESETS[preset].mapping)
    assert imp.counts() == counts
    assert imp.dropped == dropped


def test_node_units_per_node() -> None:
    pai = import_nodes(DATA / "pai_machine_spec.csv", NODE_PRESETS["alibaba_pai_2020"].mapping)
    assert pai.node.tolist() == ["a1", "a2", "a3"]
    assert pai.cpu_milli.tolist() == [96000, 64000, 64000]
    np.testing.assert_allclose(pai.memory_mib, 512e9 / 2**20)
    openb = import_nodes(DATA / "openb_nodes.csv", NODE_PRESETS["alibaba_openb"].mapping)
    assert openb.memory_mib.tolist() == [262144.0, 786432.0, 131072.0]


def test_generic_node_mapping() -> None:
    imp = import_nodes(DATA / "openb_nodes.csv", NodeMapping(gpus="gpu", gpu_model="model", cpu="cpu_milli"))
    assert imp.node.tolist() == ["node2", "node3", "node5"]  # named by line when no name column is mapped
    assert imp.gpus.tolist() == [2, 8, 4]


# --- generic mapping and file formats -------------------------------------------------------------------------------


def test_generic_mapping_with_durations_in_minutes_and_memory_in_gib(tmp_path: Path) -> None:
    text = "when,mins,n,share,mem,who\n10,2,1,0.25,1.5,a\n0,1,4,,8,b\n"
    (tmp_path / "jobs.csv").write_text(text)
    m = JobMapping(
        submit="when",
        duration="mins",
        duration_unit="min",
        gpus="n",
        gpu_share="share",
        gpu_share_unit="fraction",
        memory="mem",
        memory_unit="GiB",
        tenant="who",
    )
    imp = import_jobs(tmp_path / "jobs.csv", m)
    j = imp.jobs
    assert j.job_id.tolist() == ["row3", "row2"]  # sorted by submit; ids are the file's line numbers
    assert imp.adjusted == {"rows out of submit order: sorted": 1}
    assert j.gpus.tolist() == [4, 1] and j.gpu_milli.tolist() == [1000, 250]
    assert j.work_gpu_s.tolist() == [4 * 60.0, 120.0]
    assert j.memory_mib.tolist() == [8192.0, 1536.0]
    assert imp.users == 2


@pytest.mark.parametrize("suffix", ["csv.gz", "parquet", "jsonl"])
def test_the_same_trace_in_every_file_format(tmp_path: Path, suffix: str) -> None:
    src = DATA / "helios_cluster_log.csv"
    base = import_jobs(src, JOB_PRESETS["helios"].mapping)
    path = tmp_path / f"log.{suffix}"
    if suffix == "csv.gz":
        path.write_bytes(gzip.compress(src.read_bytes()))
    else:
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(
            str(src),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in ("job_id", "submit_time", "start_time", "end_time")}
            ),
        )
        if suffix == "parquet":
            pq.write_table(table, path)
        else:
            import json

            path.write_text("\n".join(json.dumps(r) for r in table.to_pylist()) + "\n")
    imp = import_jobs(path, JOB_PRESETS["helios"].mapping)
    assert imp.jobs.job_id.tolist() == base.jobs.job_id.tolist()
    np.testing.assert_array_equal(imp.jobs.work_gpu_s, base.jobs.work_gpu_s)
    np.testing.assert_array_equal(imp.jobs.submit_s, base.jobs.submit_s)
    assert imp.dropped == base.dropped


def test_inspect_recognises_each_sample_by_its_columns() -> None:
    assert detect(DATA / "openb_pods.csv") == ("jobs", "alibaba_openb")
    assert detect(DATA / "helios_cluster_log.csv") == ("jobs", "helios")
    assert detect(DATA / "acme_trace_seren.csv") == ("jobs", "acme")
    assert detect(DATA / "philly_cluster_job_log.json") == ("jobs", "philly")
    assert detect(DATA / "burstgpt.csv") == ("requests", "burstgpt")
    assert detect(DATA / "mooncake.jsonl") == ("requests", "mooncake")
    assert detect(DATA / "openb_nodes.csv") == ("nodes", "alibaba_openb")
    found = inspect(DATA / "openb_pods.csv")
    lines = dict(found.lines)
    assert lines["rows read"] == "6" and lines["jobs"] == "4"
    assert lines["dropped"] == "status Pending: 1; no GPUs (CPU-only): 1"
    assert lines["status"] == "completed: 3; failed: 1"
    assert lines["fractional jobs"] == "1 share one GPU (mean share 0.46)"


# --- replay scaling -------------------------------------------------------------------------------------------------


def _openb():
    return import_jobs(DATA / "openb_pods.csv", JOB_PRESETS["alibaba_openb"].mapping)


def test_window_and_warm_start() -> None:
    imp = _openb()  # submits 0, 100, 200, 400; recorded runs [60, 3600], [100, 7300], [800, 2000], [600, 1400]
    rep = replay(imp, window_start_s=300.0, window_end_s=1000.0, warm_start=True)
    j = rep.jobs
    # pods 0, 1, 2 were submitted before 300; 0 and 1 were running at 300 (2 had not started: it is not warm)
    assert j.job_id.tolist() == ["openb-pod-0000@warm", "openb-pod-0001@warm", "openb-pod-0004"]
    assert j.submit_s.tolist() == [0.0, 0.0, 100.0]
    assert j.work_gpu_s.tolist() == [3600.0 - 300.0, 7300.0 - 300.0, 1600.0]  # the run time they had left
    assert rep.warm == 2 and rep.outside_window == 1
    cold = replay(imp, window_start_s=300.0, window_end_s=1000.0)
    assert cold.jobs.job_id.tolist() == ["openb-pod-0004"] and cold.outside_window == 3


def test_rate_scale_compresses_arrivals_and_keeps_run_times() -> None:
    imp = _openb()
    rep = replay(imp, rate_scale=4.0)
    assert rep.jobs.submit_s.tolist() == [0.0, 25.0, 50.0, 100.0]
    np.testing.assert_array_equal(rep.jobs.work_gpu_s, imp.jobs.work_gpu_s)
    assert rep.transform["rate_scale"] == 4.0


def test_time_scale_compresses_arrivals_and_run_times() -> None:
    imp = _openb()
    rep = replay(imp, time_scale=2.0, limit=3)
    assert rep.jobs.submit_s.tolist() == [0.0, 50.0, 100.0]
    np.testing.assert_array_equal(rep.jobs.work_gpu_s, imp.jobs.work_gpu_s[:3] / 2.0)
    assert rep.beyond_limit == 1
    # offered load (GPU-seconds per second of arrivals) is unchanged by time compression
    full = replay(imp, time_scale=2.0)
    assert full.jobs.work_gpu_s.sum() / full.jobs.submit_s[-1] == pytest.approx(
        imp.jobs.work_gpu_s.sum() / imp.jobs.submit_s[-1]
    )


def test_inspect_needs_the_preset_of_a_headerless_table() -> None:
    found = inspect(DATA / "pai_task_table.csv", "alibaba_pai_2020")
    lines = dict(found.lines)
    assert lines["jobs"] == "3" and lines["GPU models"] == "V100: 1; P100: 1; MISC: 1; any: 0"
    nodes = dict(inspect(DATA / "pai_machine_spec.csv", "alibaba_pai_2020", "nodes").lines)
    assert nodes["GPU nodes"] == "3" and nodes["GPUs"] == "12" and nodes["CPU"] == "224 cores"


def test_a_byte_order_mark_and_tabs(tmp_path: Path) -> None:
    text = (DATA / "burstgpt.csv").read_text()
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "tabs.tsv").write_text(text.replace(",", "\t"))
    mapping = REQUEST_PRESETS["burstgpt"].mapping
    base = import_requests(DATA / "burstgpt.csv", mapping).requests
    for name in ("bom.csv", "tabs.tsv"):
        got = import_requests(tmp_path / name, mapping).requests
        np.testing.assert_array_equal(got.arrival_s, base.arrival_s)
        np.testing.assert_array_equal(got.input_tokens, base.input_tokens)
