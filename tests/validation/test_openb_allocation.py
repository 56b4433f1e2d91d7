"""The openb trace on its own node list reproduces the GPU allocation ratio its paper publishes for Best-fit.

Reference. Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient
Descent", USENIX ATC 2023, Fig. 9(a): the Default openb trace on the 1,213 GPU nodes (6,212 GPUs) of
``openb_node_list_gpu_node.csv``, workload inflation (§6.1: pods drawn from the trace with replacement and submitted
to an empty cluster, none leaving, until the GPU demand that has arrived reaches 130 % of the cluster's GPUs), the
allocated share of the cluster's GPUs against the arrived demand, per scheduling policy, 10 seeds. The numbers behind
the figure are published with the paper's simulator (github.com/hkust-adsl/kubernetes-scheduler-simulator,
``experiments/analysis/expected_results/analysis_allo_discrete.csv``, rows ``openb_pod_list_default``, tune 1.3).
At an arrived demand of 100 % of the cluster, seed 42:

=========  ===========
policy     allocated
=========  ===========
Random     86.17 %
DotProd    90.34 %
Packing    91.37 %
Best-fit   92.94 %  (seeds 43, 48, 50: 92.97, 92.68, 92.64 %)
FGD        95.14 %
=========  ===========

orbitgrid's packing (:mod:`orbitgrid.scheduling.sharing`) is the paper's Best-fit baseline: GPU sharing by milli-GPU
share with best fit on a GPU's remaining share, CPU and memory as placement dimensions, and the node with the least
weighted CPU + GPU leftover. The test replays the same experiment on the shipped pod list and node list and asserts
the median allocation over five seeds at 100 % arrived lies within 1.5 percentage points of Best-fit's 92.94 %, and
strictly between the published Random and FGD figures; and that the same packer with the fractional pods rounded up
to whole GPUs (the replay before sharing) falls below Random (measured 81.1 %): the test tells sharing from none.

Tolerance, 1.5 points, for what differs from the paper's run: the shipped pod list is the subset created before day
140 (5,353 pods of ``openb_pod_list_default.csv``: the same kinds of pod in a smaller sample), and
the paper's simulator scores nodes in integers 0-100 and breaks ties at random (Kubernetes), where this packer
compares exact scores and takes the lowest node index. Measured: 93.6 % (seeds 42-46 median); the seeds spread 0.9
points.
"""

from __future__ import annotations

import numpy as np
import pyarrow.csv as pacsv

from orbitgrid.scheduling.sharing import MILLI, SharedCluster, TaskClasses, inflate
from orbitgrid.workloads.traces import default_path

#: Fig. 9(a) at 100 % arrived, seed 42 (module docstring): allocated share of the cluster's GPUs.
PAPER_BEST_FIT = 0.9294
PAPER_RANDOM = 0.8617
PAPER_FGD = 0.9514
TOLERANCE = 0.015  # allocated fraction of the cluster's GPUs (1.5 percentage points)
SEEDS = range(42, 47)
INFLATION = 1.3  # the paper's "tune" ratio: pods are drawn until the arrived demand reaches 130 % of the cluster


def _columns(name: str) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in pacsv.read_csv(default_path(name)).to_pydict().items()}


def _draw(demand: np.ndarray, total: float, seed: int) -> np.ndarray:
    """Pod indices drawn with replacement until their GPU demand reaches ``INFLATION`` x the cluster."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, demand.size, int(2 * INFLATION * total / demand.mean()))
    return idx[: int(np.searchsorted(np.cumsum(demand[idx]), INFLATION * total)) + 1]


def test_openb_best_fit_allocation_matches_paper() -> None:
    pods = _columns("alibaba_openb_pods")
    nodes = _columns("alibaba_openb_gpu_nodes")
    g, milli = pods["num_gpu"].astype(np.int64), pods["gpu_milli"].astype(np.int64)
    demand = np.where(g == 1, np.minimum(milli, MILLI), g * MILLI) / MILLI
    total = float(nodes["gpu"].sum())
    assert total == 6212 and nodes["gpu"].size == 1213  # the paper's cluster
    allocated = []
    for seed in SEEDS:
        idx = _draw(demand, total, seed)
        cluster = SharedCluster(nodes["gpu"], nodes["cpu_milli"], nodes["memory_mib"].astype(float))
        run = inflate(
            cluster,
            np.zeros(nodes["gpu"].size, np.int64),  # the Default trace's pods name no GPU model
            g[idx],
            milli[idx],
            pods["cpu_milli"][idx],
            pods["memory_mib"][idx].astype(float),
            np.full(idx.size, -1),
        )
        allocated.append(run.allocation_at(1.0))
        # conservation: what the cluster says is allocated is what the placed pods asked for
        assert abs(cluster.allocated_gpus() - run.allocated_gpus[-1]) < 1e-6
    median = float(np.median(allocated))
    assert abs(median - PAPER_BEST_FIT) <= TOLERANCE, (median, allocated)
    assert min(allocated) > PAPER_RANDOM and max(allocated) < PAPER_FGD
    # without sharing: every pod takes whole GPUs; what counts is still the share the placed pods asked for
    rounded = []
    for seed in SEEDS:
        idx = _draw(demand, total, seed)
        cluster = SharedCluster(nodes["gpu"], nodes["cpu_milli"], nodes["memory_mib"].astype(float))
        run = inflate(
            cluster, np.zeros(nodes["gpu"].size, np.int64), g[idx], np.full(idx.size, MILLI),
            pods["cpu_milli"][idx], pods["memory_mib"][idx].astype(float), np.full(idx.size, -1),
        )  # fmt: skip
        arrived = int(np.searchsorted(np.cumsum(demand[idx]), total, side="left"))
        rounded.append(float(np.cumsum(np.where(run.node >= 0, demand[idx], 0.0))[arrived]) / total)
    assert float(np.median(rounded)) < PAPER_RANDOM, rounded


def test_openb_fragmentation_measure_at_saturation() -> None:
    """The fragmentation measure on the empty cluster equals a direct count, and at the end of the inflation the
    cluster's unallocated GPUs are (almost) all fragments for the trace's pod mix:
    the paper's premise (§3, Fig. 7: near saturation the fragmentation rate approaches 100 %). Asserted: the
    fragmented GPUs are at least 90 % of the unallocated GPUs, and never more than them; measured (seed 42): 365.0 of
    365.6 unallocated GPUs (99.8 %)."""
    pods = _columns("alibaba_openb_pods")
    nodes = _columns("alibaba_openb_gpu_nodes")
    g, milli = pods["num_gpu"].astype(np.int64), pods["gpu_milli"].astype(np.int64)
    demand = np.where(g == 1, np.minimum(milli, MILLI), g * MILLI) / MILLI
    total = float(nodes["gpu"].sum())
    idx = _draw(demand, total, 42)
    cluster = SharedCluster(nodes["gpu"], nodes["cpu_milli"], nodes["memory_mib"].astype(float))
    model = np.zeros(nodes["gpu"].size, np.int64)
    gpu_pods = g > 0
    classes = TaskClasses.of(g[gpu_pods], milli[gpu_pods], pods["cpu_milli"][gpu_pods], pods["memory_mib"][gpu_pods])
    # on the empty cluster the only fragments are whole nodes too small for a class (fewer GPUs, CPU or memory than
    # it asks): the measure against that count done directly
    small = (
        (nodes["gpu"][None, :] < classes.gpus[:, None])
        | (nodes["cpu_milli"][None, :] < classes.cpu[:, None])
        | (nodes["memory_mib"][None, :] < classes.mem[:, None])
    )
    expected = float(np.sum(classes.weight[:, None] * small * nodes["gpu"][None, :]))
    assert abs(classes.fragmented_gpus(cluster, model) - expected) < 1e-9
    inflate(
        cluster, model, g[idx], milli[idx], pods["cpu_milli"][idx], pods["memory_mib"][idx].astype(float), idx * 0 - 1
    )
    free = total - cluster.allocated_gpus()
    frag = classes.fragmented_gpus(cluster, model)
    assert 0.9 * free <= frag <= free + 1e-9, (frag, free)


#: Fig. 7(a) data (``analysis_frag_discrete.csv``, rows ``openb_pod_list_default``, tune 1.3), fragmented GPUs as a
#: share of the cluster's GPUs at an arrived demand of 0 % (0.25 % of the GPUs allocated), over the ten seeds and six
#: policies: 13.9-14.2 %.
PAPER_FRAG_EMPTY = (0.139, 0.142)
FRAG_TOLERANCE = 0.01  # of the cluster's GPUs


def test_openb_fragmentation_of_the_empty_cluster_matches_paper() -> None:
    """The paper's measure on the (nearly) empty cluster for the Default trace's whole pod mix, CPU-only pods
    included (a task that asks no GPU can use none: every free GPU is a fragment to it). Ours on the empty cluster:
    the CPU-only pods' share of the list (764 of 5,353, 14.3 %) plus 0.5 % from nodes too small for the largest
    pods, 14.8 % of the GPUs, within 1 point of the published 13.9-14.2 % (the shipped list is a subset of the
    paper's pods, and the paper's curve starts with 0.25 % of the GPUs allocated)."""
    pods = _columns("alibaba_openb_pods")
    nodes = _columns("alibaba_openb_gpu_nodes")
    g, milli = pods["num_gpu"].astype(np.int64), pods["gpu_milli"].astype(np.int64)
    classes = TaskClasses.of(g, milli, pods["cpu_milli"], pods["memory_mib"])
    cluster = SharedCluster(nodes["gpu"], nodes["cpu_milli"], nodes["memory_mib"].astype(float))
    share = classes.fragmented_gpus(cluster, np.zeros(nodes["gpu"].size, np.int64)) / float(nodes["gpu"].sum())
    cpu_only = float(np.mean(g == 0))
    assert cpu_only < share < cpu_only + 0.01  # the CPU-only pods, plus the few nodes too small for the big pods
    assert PAPER_FRAG_EMPTY[0] - FRAG_TOLERANCE <= share <= PAPER_FRAG_EMPTY[1] + FRAG_TOLERANCE, share
