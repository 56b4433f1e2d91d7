"""Trace replay: the Alibaba 2023 openb GPU pods on a ground cluster built from the trace's own GPU node list.

Setup. One :class:`NodeTable` row per node of ``openb_node_list_gpu_node.csv`` (1,213 nodes, 6,212 GPUs) with its
GPU count, constant usable capacity, speed 1 (the pods' work is their observed run time on their own GPUs, so speed
1 replays the trace's durations), no faults. The pods are the 4,132 GPU pods of the shipped list that the trace
scheduled (``load_alibaba_openb_pods``), replayed as gangs (``JobKind.TRAINING``: a pod's GPUs sit on one node and
start together, as in Kubernetes) with FIFO + EASY backfill; and again with the contract-priority policy, since the
pods carry QoS classes (BE -> spot ... Guaranteed -> reserved). The 457 GPU pods the trace never scheduled are left
out: the trace gives them neither a wait nor a run time (they are 1- and 2-GPU pods deleted while pending on a
cluster that was 99 % idle, so they were held back by something other than GPUs).

What the data shows (measured here, see also ``docs/models.md``, "Trace replay"):

- the trace's cluster is nearly idle: over the busy window (1st percentile to last pod creation, days 115.5-140.0,
  588 hours) the trace's running pods hold 39.6 whole GPUs on average (busiest hour 60.9), 0.64 % of its 6,212;
  counted by their real GPU fraction (``gpu_milli``) 33.6. No pod ever had to wait for GPUs;
- its waits ``scheduled_time - creation_time`` are therefore scheduler latency, not queueing: p25 0 s, p50 2 s,
  p75 33 s, p90 71 s, p99 999 s, max 4.0 h; the 410 pods that waited longer than p90 did so with at most 61 GPUs
  busy.

The engine dispatches at the arrival instant and models no control-plane latency, so on this cluster it must give
zero waits. "In the range the trace shows" is therefore, honestly:

1. waits: the simulated median lies inside the trace's inter-quartile band [p25, p75] = [0, 33 s] and the
   simulated p90 at or below the trace's p90 (71 s): the simulated distribution sits in the trace's lower band;
   the trace's upper tail is latency the engine does not model. Could fail: any capacity wait, a gang that no node
   can hold, a dispatch that leaves a pod queued. Measured: every simulated wait is 0.
2. utilisation: per-hour mean busy GPUs, simulated vs the trace's running pods, both counted in whole GPUs (the
   loader rounds shared-GPU pods up to one GPU, so whole GPUs on both sides compare like with like). A simulated
   pod starts (and ends) one trace wait earlier than in the trace, so in each hour the two may differ by at most
   the GPU-time of those shifted spans; the test computes that bound per hour from the trace and holds the
   simulation to it (a duration stretched or a start delayed by the engine breaks it), and to 3 GPUs (0.05
   percentage points of the cluster) in every hour, and to 0.5 % on the window mean (the shifted spans total 70
   of 23,269 busy GPU-hours, 0.3 %). Measured: worst hour 1.8 GPUs, window mean 39.57 vs 39.57. As the loader's
   docstring warns, whole GPUs overstate the trace's real GPU-fraction use: measured by 17.6 %, asserted between
   5 % and 30 % and below the loader's bound (1 / the smallest fraction, 20x).

Two replays first exposed engine bugs, since fixed: with ground fault rates (free checkpoints gave a zero Daly interval
that was divided by) and with the pods as divisible BATCH jobs (they started on 1-2 GPUs of the tightest node while
whole nodes sat idle; a divisible job now runs on fewer GPUs only when no node can hold its whole request).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from orbitgrid.fleet.nodes import FleetTimeline, NodeKind, NodeTable
from orbitgrid.pipeline.nodes import ground_rates_per_gpu_s
from orbitgrid.scheduling.engine import COMPLETED, FAILED, Engine, EngineConfig, EngineResult
from orbitgrid.scheduling.policies import ContractPriority, FifoBackfill
from orbitgrid.workloads.jobs import JobKind, JobTable, Workload
from orbitgrid.workloads.traces import (
    alibaba_openb_gpu_fraction,
    alibaba_openb_observed_wait_s,
    default_path,
    load_alibaba_openb_gpu_nodes,
    load_alibaba_openb_pods,
)

HOUR = 3600.0
#: Horizon: the trace's snapshot ends at day 149.3 (``deletion_time`` of pods still running); 150 days covers it.
HORIZON_S = 150 * 86_400.0
#: Per-hour utilisation cap, GPUs (0.05 percentage points of 6,212): the per-hour shift bound reaches 2.75.
HOURLY_CAP_GPUS = 3.0
#: Window-mean tolerance: the shifted spans total 70 of 23,269 busy GPU-hours (0.3 %).
MEAN_REL_TOL = 0.005


@dataclass(frozen=True)
class Trace:
    jobs: JobTable
    wait_s: np.ndarray  # the trace's scheduled_time - creation_time, row-aligned with jobs
    gpu_fraction: np.ndarray  # num_gpu * gpu_milli / 1000
    fleet: FleetTimeline


def _fleet(fault_rates: np.ndarray | None) -> FleetTimeline:
    nodes = load_alibaba_openb_gpu_nodes(default_path("alibaba_openb_gpu_nodes"))
    n = len(nodes["node"])
    gpus = nodes["gpus"].astype(np.int32)
    table = NodeTable(
        name=nodes["node"],
        kind=np.full(n, NodeKind.GROUND, np.int8),
        group=np.full(n, "openb", dtype=object),
        gpu_model=nodes["model"],
        gpus=gpus,
        speed=np.ones(n),
        fabric_bytes_s=np.full(n, 50e9),
        power_per_gpu_w=np.full(n, 300.0),
        base_rate_per_gpu_s=np.tile(np.zeros(3) if fault_rates is None else fault_rates, (n, 1)),
        recovery_s=np.full(n, 600.0),
        lat_deg=np.zeros(n),
        lon_deg=np.zeros(n),
        altitude_m=np.zeros(n),
        energy_price_usd_per_kwh=np.zeros(n),
    )
    steps = int(HORIZON_S // HOUR)
    return FleetTimeline(table, HOUR, np.repeat(gpus[:, None], steps, axis=1))


def _trace(kind: JobKind = JobKind.TRAINING, fault_rates: np.ndarray | None = None) -> Trace:
    pods = default_path("alibaba_openb_pods")
    return Trace(
        jobs=load_alibaba_openb_pods(pods, kind=kind),
        wait_s=alibaba_openb_observed_wait_s(pods),
        gpu_fraction=alibaba_openb_gpu_fraction(pods),
        fleet=_fleet(fault_rates),
    )


def _replay(tr: Trace, policy: FifoBackfill | ContractPriority) -> EngineResult:
    return Engine(tr.fleet, Workload(tr.jobs), policy, np.random.default_rng(2023), EngineConfig()).run()


def _hourly_busy(start: np.ndarray, end: np.ndarray, gpus: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Mean busy GPUs in each bin ``[edges[i], edges[i+1])`` from intervals ``[start, end)`` holding ``gpus``."""
    lo = np.maximum(start[:, None], edges[None, :-1])
    hi = np.minimum(end[:, None], edges[None, 1:])
    return (np.clip(hi - lo, 0.0, None) * gpus[:, None]).sum(axis=0) / np.diff(edges)


def _busy_window(jobs: JobTable) -> np.ndarray:
    """Hour edges from the 1st percentile of submission to the last one (the trace's busy window)."""
    lo = np.floor(np.percentile(jobs.submit_s, 1) / HOUR) * HOUR
    hi = np.ceil(jobs.submit_s.max() / HOUR) * HOUR
    return np.arange(lo, hi + HOUR / 2, HOUR)


@pytest.fixture(scope="module")
def trace() -> Trace:
    return _trace()


@pytest.fixture(scope="module")
def fifo(trace: Trace) -> EngineResult:
    return _replay(trace, FifoBackfill())


def test_cluster_is_the_trace_node_list(trace: Trace) -> None:
    nodes = trace.fleet.nodes
    assert len(nodes) == 1213 and int(nodes.gpus.sum()) == 6212
    # every pod fits some node whole (8-GPU pods need the 8-GPU nodes): the node shape matters, not only the total
    assert int(trace.jobs.gpus.max()) <= int(nodes.gpus.max())
    assert len(trace.jobs) == 4132


def test_every_pod_runs_and_keeps_its_duration(trace: Trace, fifo: EngineResult) -> None:
    # the horizon (150 d) is past the trace's end (149.3 d) and nothing waits: every pod completes
    assert np.all(fifo.state == COMPLETED)
    observed_run = trace.jobs.work_gpu_s / trace.jobs.gpus
    np.testing.assert_allclose(fifo.end_s - fifo.first_start_s, observed_run, rtol=1e-9, atol=1e-6)
    assert np.all(fifo.placements["gpus"] == trace.jobs.gpus[fifo.placements["job"]])


def test_waits_in_the_trace_band(trace: Trace, fifo: EngineResult) -> None:
    sim = fifo.first_start_s - trace.jobs.submit_s
    p25, p50, p75, p90 = np.percentile(trace.wait_s, [25, 50, 75, 90])
    assert (p25, p50, p75, p90) == pytest.approx((0.0, 2.0, 33.25, 71.0))  # the trace's band, as documented
    assert np.all(np.isfinite(sim)) and np.all(sim >= 0.0)
    assert p25 <= float(np.median(sim)) <= p75
    assert float(np.percentile(sim, 90)) <= p90


def test_trace_waits_are_latency_not_queueing(trace: Trace) -> None:
    """The long trace waits happened on an idle cluster: the engine (no control-plane latency) cannot and should
    not reproduce them. Busy GPUs at the start of each wait above the trace's p90 stay under 2 % of the cluster."""
    jobs, wait = trace.jobs, trace.wait_s
    start = jobs.submit_s + wait
    end = start + jobs.work_gpu_s / jobs.gpus
    long = wait > np.percentile(wait, 90)
    t = jobs.submit_s[long]
    busy = ((start[None, :] <= t[:, None]) & (end[None, :] > t[:, None])) @ jobs.gpus
    assert long.sum() > 300  # measured 410
    assert busy.max() < 0.02 * trace.fleet.nodes.gpus.sum()  # measured 61 of 6,212


def test_utilisation_follows_the_trace(trace: Trace, fifo: EngineResult) -> None:
    jobs, pl = trace.jobs, fifo.placements
    edges = _busy_window(jobs)
    t_start = jobs.submit_s + trace.wait_s
    t_end = t_start + jobs.work_gpu_s / jobs.gpus
    gpus = jobs.gpus.astype(float)
    trace_whole = _hourly_busy(t_start, t_end, gpus, edges)
    trace_frac = _hourly_busy(t_start, t_end, trace.gpu_fraction, edges)
    sim = _hourly_busy(pl["start_s"], pl["end_s"], pl["gpus"].astype(float), edges)
    installed = float(trace.fleet.nodes.gpus.sum())
    assert 500 <= edges.size - 1 <= 700  # the busy window is days ~115-140
    assert 0.003 < trace_whole.mean() / installed < 0.01  # the trace's own utilisation: under 1 %
    # the GPU-time each pod's wait shifts, at its start and at its end, per hour
    shift = _hourly_busy(jobs.submit_s, t_start, gpus, edges) + _hourly_busy(t_end - trace.wait_s, t_end, gpus, edges)
    assert np.all(np.abs(sim - trace_whole) <= shift + 1e-6)
    assert np.max(np.abs(sim - trace_whole)) <= HOURLY_CAP_GPUS
    assert sim.mean() == pytest.approx(trace_whole.mean(), rel=MEAN_REL_TOL)
    # the rounding of shared-GPU pods overstates GPU use, by less than the loader's bound
    over = sim.mean() / trace_frac.mean()
    assert 1.05 < over < 1.3  # measured 1.176
    assert over < 1.0 / float(trace.gpu_fraction.min())


def test_priority_policy_gives_the_same_replay(trace: Trace, fifo: EngineResult) -> None:
    """QoS classes matter only under contention; the trace's cluster never has any, so contract priority (with
    preemption of BE/spot pods) must start every pod at the same instant and preempt nothing."""
    pri = _replay(trace, ContractPriority())
    np.testing.assert_array_equal(pri.first_start_s, fifo.first_start_s)
    assert int(pri.preemptions.sum()) == 0


def test_replay_with_ground_fault_rates() -> None:
    """With free checkpoints (write time 0, the openb loader's), Daly's interval is 0: the limit of saving every unit
    of work as it is done, so faults cost restarts but never lost work, and every pod still completes."""
    tr = _trace(fault_rates=ground_rates_per_gpu_s())
    res = _replay(tr, FifoBackfill())
    assert not np.any(res.state == FAILED)
    assert float(res.lost_work.sum()) == 0.0


def test_batch_pods_get_their_gpus_on_an_idle_cluster() -> None:
    tr = _trace(kind=JobKind.BATCH)
    res = _replay(tr, FifoBackfill())
    pl = res.placements
    assert np.all(pl["gpus"] == tr.jobs.gpus[pl["job"]])
