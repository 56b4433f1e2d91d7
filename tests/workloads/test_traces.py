"""Trace loaders parse the real files: row counts, value ranges, ordering, and the documented mappings."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest

from orbitgrid.workloads import traces
from orbitgrid.workloads.jobs import Contract, JobKind

OPENB = "alibaba_gpu_v2023_openb"


def _csv_column(path: Path, name: str) -> np.ndarray:
    return pacsv.read_csv(str(path))[name].to_numpy(zero_copy_only=False)


# --- shipped copies ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(traces.SHIPPED))
def test_default_path_finds_each_shipped_file_and_it_is_small(name: str) -> None:
    path = traces.default_path(name)
    assert path.is_file()
    assert path.stat().st_size < 1_000_000
    assert (path.parent / "PROVENANCE.md").read_text().count(path.name) >= 1
    assert (path.parent / "LICENSE_CC-BY-4.0.txt").read_text().lstrip("\ufeff").startswith("Attribution 4.0")


def test_default_path_rejects_unknown_names() -> None:
    with pytest.raises(KeyError, match="azure_llm_conv"):
        traces.default_path("no_such_trace")


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("azure_llm_conv", "azure_llm_inference_2023/AzureLLMInferenceTrace_conv.csv"),
        ("alibaba_openb_pods", f"{OPENB}/split_dev_openb_default_creation_lt_day140.csv"),
        ("alibaba_openb_gpu_nodes", f"{OPENB}/openb_node_list_gpu_node.csv"),
    ],
)
def test_shipped_files_are_the_shared_sources_unchanged(shared_data: Path, name: str, source: str) -> None:
    shipped = gzip.decompress(traces.default_path(name).read_bytes())
    original = (shared_data / source).read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == hashlib.sha256(original).hexdigest()


# --- Alibaba openb -----------------------------------------------------------------------------------------------


def test_openb_pods_mapping_on_the_shipped_list() -> None:
    path = traces.default_path("alibaba_openb_pods")
    jobs = traces.load_alibaba_openb_pods(path)
    # 5,353 pods: 764 CPU-only and 457 GPU pods never scheduled are dropped.
    assert len(jobs) == 4132
    assert np.all(np.diff(jobs.submit_s) >= 0)
    assert jobs.submit_s[0] == 0.0
    assert 139 * 86_400 < jobs.submit_s[-1] < 140 * 86_400
    assert np.array_equal(np.unique(jobs.gpus), [1, 2, 4, 8])
    assert np.all(jobs.kind == JobKind.TRAINING)
    assert np.all(jobs.gpu_model == -1)
    run_s = jobs.work_gpu_s / jobs.gpus
    assert run_s.min() >= 1.0
    assert run_s.max() <= 12_902_960  # the trace end
    assert np.all(np.isnan(jobs.duration_s))
    # BE pods become preemptible spot jobs; no other class is preemptible.
    assert np.array_equal(jobs.preemptible, jobs.contract == Contract.SPOT)
    assert set(np.unique(jobs.contract)) == {Contract.RESERVED, Contract.ON_DEMAND, Contract.SPOT}


def test_openb_pods_agree_with_the_raw_rows(shared_data: Path) -> None:
    path = shared_data / OPENB / "split_dev_openb_default_creation_lt_day140.csv"
    jobs = traces.load_alibaba_openb_pods(path)
    raw = pacsv.read_csv(str(path)).to_pydict()
    row = {n: i for i, n in enumerate(raw["name"])}
    for k in (0, 1, 1000, len(jobs) - 1):
        i = row[jobs.job_id[k]]
        assert jobs.gpus[k] == raw["num_gpu"][i]
        assert jobs.work_gpu_s[k] == raw["num_gpu"][i] * (raw["deletion_time"][i] - raw["scheduled_time"][i])
        assert jobs.submit_s[k] == raw["creation_time"][i] - min(raw["creation_time"])


def test_openb_observed_wait_and_gpu_fraction_align_with_the_jobs() -> None:
    path = traces.default_path("alibaba_openb_pods")
    jobs = traces.load_alibaba_openb_pods(path)
    wait = traces.alibaba_openb_observed_wait_s(path)
    frac = traces.alibaba_openb_gpu_fraction(path)
    assert wait.shape == frac.shape == (len(jobs),)
    assert np.all(wait >= 0)
    assert np.median(wait) <= 10.0  # most pods start within seconds
    assert wait.max() == 14_330.0
    # shared pods ask for part of one GPU; whole-GPU pods ask for exactly their GPU count
    assert np.all((frac > 0) & (frac <= jobs.gpus))
    shared = frac < 1
    assert 0.3 < shared.mean() < 0.5
    assert np.all(jobs.gpus[shared] == 1)
    assert np.array_equal(frac[~shared], jobs.gpus[~shared])


def test_openb_pending_pods_are_kept_on_request_with_no_work() -> None:
    path = traces.default_path("alibaba_openb_pods")
    with_pending = traces.load_alibaba_openb_pods(path, include_pending=True, kind=JobKind.BATCH)
    wait = traces.alibaba_openb_observed_wait_s(path, include_pending=True)
    assert len(with_pending) == 4132 + 457
    assert np.all(with_pending.kind == JobKind.BATCH)
    assert np.array_equal(np.isnan(wait), with_pending.work_gpu_s == 0)
    assert np.isnan(wait).sum() == 457


def test_openb_gpushare_variant_parses(shared_data: Path) -> None:
    path = shared_data / OPENB / "openb_pod_list_gpushare40.csv"
    jobs = traces.load_alibaba_openb_pods(path)
    # 8,152 pods: 1,088 CPU-only, 981 pending (945 of them GPU pods)
    raw = pacsv.read_csv(str(path))
    gpu = raw["num_gpu"].to_numpy() > 0
    scheduled = raw["scheduled_time"].is_valid().to_numpy(zero_copy_only=False)
    assert len(jobs) == (gpu & scheduled).sum() == 8152 - 1088 - 945
    # this file is not in creation order; the table is
    creation = raw["creation_time"].to_numpy()
    assert np.any(np.diff(creation) < 0)
    assert np.all(np.diff(jobs.submit_s) >= 0)
    assert np.array_equal(np.sort(creation[gpu & scheduled] - creation[gpu & scheduled].min()), jobs.submit_s)


def test_openb_gpu_inventory() -> None:
    inv = traces.load_alibaba_openb_gpu_inventory(traces.default_path("alibaba_openb_gpu_nodes"))
    assert inv == {"A10": 2, "G2": 4392, "G3": 312, "P100": 265, "T4": 842, "V100M16": 195, "V100M32": 204}
    nodes = traces.load_alibaba_openb_gpu_nodes(traces.default_path("alibaba_openb_gpu_nodes"))
    assert len(nodes["node"]) == 1213
    assert nodes["gpus"].sum() == sum(inv.values()) == 6212
    assert set(np.unique(nodes["gpus"])) <= {1, 2, 4, 8}


def test_openb_all_node_list_keeps_cpu_nodes_out_of_the_inventory(shared_data: Path) -> None:
    path = shared_data / OPENB / "openb_node_list_all_node.csv"
    nodes = traces.load_alibaba_openb_gpu_nodes(path)
    assert len(nodes["node"]) == 1523
    assert np.all(nodes["model"][nodes["gpus"] == 0] == "")
    assert sum(traces.load_alibaba_openb_gpu_inventory(path).values()) == 6212


def test_spot_gpu_inventory(shared_data: Path) -> None:
    path = shared_data / "alibaba_spot_gpu_v2026" / "node_info_df.csv"
    inv = traces.load_alibaba_spot_gpu_inventory(path)
    assert sum(inv.values()) == int(_csv_column(path, "gpu_capacity_num").sum())
    assert inv["H800"] == 1752
    assert inv["A100-SXM4-80GB"] == 3456


# --- Philly ------------------------------------------------------------------------------------------------------


def test_philly_runtimes(shared_data: Path) -> None:
    run_s = traces.load_philly_runtimes(shared_data / "philly_msr" / "philly_runtime_from_alibaba.csv")
    assert run_s.shape == (83_154,)
    assert run_s.min() == 0.0
    assert (run_s == 0).sum() == 2
    assert 1_000 < np.median(run_s) < 1_400
    assert 50 * 86_400 < run_s.max() < 60 * 86_400  # the longest job ran 53.6 days


# --- Azure LLM inference ----------------------------------------------------------------------------------------


def test_azure_conv_requests() -> None:
    req = traces.load_azure_llm_requests(traces.default_path("azure_llm_conv"), service=3, user_lat_deg=47.6)
    assert len(req) == 19_366
    assert req.arrival_s[0] == 0.0
    assert np.all(np.diff(req.arrival_s) > 0)
    assert req.arrival_s[-1] == pytest.approx(3501.7219369, abs=1e-6)
    assert np.all(req.service == 3)
    assert req.input_tokens.min() == 2 and req.input_tokens.max() == 14_050
    assert req.output_tokens.min() == 7 and req.output_tokens.max() == 1_000
    assert np.all(req.user_lat_deg == 47.6)
    assert np.all(np.isnan(req.user_lon_deg))
    assert req.input_tokens[:3].tolist() == [374, 396, 879]
    assert req.output_tokens[:3].tolist() == [44, 109, 55]


def test_azure_sub_microsecond_timestamps_are_kept(shared_data: Path) -> None:
    path = shared_data / "azure_llm_inference_2023" / "AzureLLMInferenceTrace_conv.csv"
    req = traces.load_azure_llm_requests(path)
    # rows 1 and 2: 18:15:46.6805900 and 18:15:50.9951690
    assert req.arrival_s[1] == pytest.approx(50.9951690 - 46.6805900, abs=1e-9)


# --- Alibaba 2025 DLRM -------------------------------------------------------------------------------------------


def test_dlrm_services(shared_data: Path) -> None:
    path = shared_data / "alibaba_gpu_v2025_dlrm" / "disaggregated_DLRM_trace.csv"
    jobs = traces.load_alibaba_dlrm_services(path)
    assert len(jobs) == 7386  # the HN (GPU) instances; 16,485 CPU-only CN instances are dropped
    assert len(jobs.tenants) == 156
    assert np.all(jobs.kind == JobKind.INFERENCE)
    assert np.all(jobs.gpus == 1)
    assert np.all(np.isnan(jobs.work_gpu_s))
    assert np.all(np.diff(jobs.submit_s) >= 0)
    assert np.all(jobs.duration_s >= 0)
    t_end = 2_677_541.0
    assert np.all(jobs.submit_s + jobs.duration_s <= t_end + 1e-6)
    # 3,123 instances were already serving when the window opened; 3,322 still serving when it closed
    assert (jobs.submit_s == 0).sum() == 3123
    raw = pacsv.read_csv(str(path)).to_pydict()
    hn = {n: i for i, n in enumerate(raw["instance_sn"]) if raw["gpu_request"][i] >= 1}
    open_end = np.array([raw["deletion_time"][hn[j]] is None for j in jobs.job_id])
    assert open_end.sum() == 3322
    scheduled = np.array([raw["scheduled_time"][hn[j]] or 0.0 for j in jobs.job_id])
    assert np.allclose(scheduled[open_end] + jobs.duration_s[open_end], t_end)
    deleted = np.array([raw["deletion_time"][hn[j]] or np.nan for j in jobs.job_id])
    assert np.allclose(scheduled[~open_end] + jobs.duration_s[~open_end], deleted[~open_end])
    # an instance alive across the whole window serves for the whole window
    assert jobs.duration_s.max() == pytest.approx(t_end)
