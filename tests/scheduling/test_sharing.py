"""GPU sharing and multi-resource packing (orbitgrid.scheduling.sharing): hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.scheduling.sharing import SharedCluster, TaskClasses, inflate


def test_fractional_pod_takes_the_tightest_gpu_that_holds_it() -> None:
    c = SharedCluster(np.array([3]), cpu_milli=0, memory_mib=0.0)
    assert c.allocate(0, 1, 600) == (0, 1)  # no shared GPU yet: it opens one (slot 0)
    assert c.allocate(0, 1, 400) == (0, 0)  # shared GPU 0 has exactly 400 left: best fit, nothing opened
    assert c.allocate(0, 1, 300) == (1, 1)  # GPU 0 full; a second GPU opened
    assert c.allocate(0, 1, 200) == (1, 0)  # 700 left on shared GPU 1 beats opening GPU 2
    assert c.shared_free(0) == [0, 500]
    assert list(c.whole_free()) == [1] and list(c.touched()) == [2]
    assert c.allocated_gpus() == pytest.approx(1.5)
    # the last pod leaving a shared GPU makes it entirely free again
    assert c.release(0, 1, 1, 300) == 0 and c.release(0, 1, 1, 200) == 1
    assert c.shared_free(0) == [0] and list(c.whole_free()) == [2]


def test_whole_gpus_never_include_a_shared_gpu() -> None:
    c = SharedCluster(np.array([2]), cpu_milli=0, memory_mib=0.0)
    c.allocate(0, 1, 100)
    assert not c.fits(0, 2)  # one GPU is shared: a 2-GPU gang does not fit
    assert c.allocate(0, 1) == (-1, 1)
    assert list(c.touched()) == [2] and list(c.whole_free()) == [0]


def test_cpu_and_memory_limit_placement_and_release_restores() -> None:
    c = SharedCluster(np.array([4, 4]), cpu_milli=np.array([8000, 64000]), memory_mib=np.array([1024.0, 0.0]))
    assert not c.fits(0, 1, cpu=9000) and c.fits(1, 1, cpu=9000)
    assert not c.fits(0, 1, mem=2048.0) and c.fits(1, 1, mem=1e9)  # node 1 does not model memory
    nodes = np.arange(2, dtype=np.int64)
    assert c.best_fit(nodes, 1, cpu=9000) == 1
    before = [a.copy() for a in c.arrays()]
    slot, opened = c.allocate(0, 2, cpu=4000, mem=512.0)
    assert (slot, opened) == (-1, 2) and c.cpu_free[0] == 4000 and c.mem_free[0] == 512.0
    assert c.release(0, slot, 2, cpu=4000, mem=512.0) == 2
    for a, b in zip(before, c.arrays(), strict=True):
        assert np.array_equal(a, b)


def test_a_huge_pooled_node_costs_no_row_per_gpu() -> None:
    """A ground site pooled as one node of 200,000 GPUs: the shared table is as wide as the pods that may share."""
    c = SharedCluster(np.array([200_000, 8]), cpu_milli=0, memory_mib=0.0, max_shared=4)
    assert c.shared.shape == (2, 4)
    assert c.allocate(0, 1000) == (-1, 1000)
    assert c.allocate(0, 1, 250) == (0, 1)
    assert list(c.touched()) == [1001, 0]


def test_best_fit_prefers_the_least_leftover_node() -> None:
    # node 0: 8 free GPUs; node 1: 2 free GPUs; same CPU: a 1-GPU pod goes to node 1 (less left over)
    c = SharedCluster(np.array([8, 2]), cpu_milli=np.array([32000, 32000]), memory_mib=0.0)
    assert c.best_fit(np.arange(2, dtype=np.int64), 1, cpu=1000) == 1
    # an 8-GPU pod fits only node 0
    assert c.best_fit(np.arange(2, dtype=np.int64), 8) == 0
    assert c.best_fit(np.arange(2, dtype=np.int64), 16) == -1


def test_fragmentation_measure_by_hand() -> None:
    """One node, two GPUs: GPU 0 has 300 milli free, GPU 1 is free. For a 0.5-GPU task the 0.3 on GPU 0 is a
    fragment; for a 1-GPU task too (it is partly allocated); a 2-GPU task cannot run: all 1.3 free GPUs are."""
    c = SharedCluster(np.array([2]), cpu_milli=0, memory_mib=0.0)
    c.allocate(0, 1, 700)
    model = np.zeros(1, np.int64)
    half = TaskClasses.of(np.array([1]), np.array([500]))
    one = TaskClasses.of(np.array([1]), np.array([1000]))
    two = TaskClasses.of(np.array([2]), np.array([1000]))
    assert half.fragmented_gpus(c, model) == pytest.approx(0.3)
    assert one.fragmented_gpus(c, model) == pytest.approx(0.3)
    assert two.fragmented_gpus(c, model) == pytest.approx(1.3)
    mix = TaskClasses.of(np.array([1, 1, 1, 2]), np.array([500, 500, 1000, 1000]))  # p = 0.5, 0.25, 0.25
    assert mix.fragmented_gpus(c, model) == pytest.approx(0.5 * 0.3 + 0.25 * 0.3 + 0.25 * 1.3)
    small = TaskClasses.of(np.array([1]), np.array([200]))  # a 0.2-GPU task can use the 0.3 left
    assert small.fragmented_gpus(c, model) == 0.0
    other_model = TaskClasses.of(np.array([1]), np.array([200]), model=np.array([1]))
    assert other_model.fragmented_gpus(c, model) == pytest.approx(1.3)  # cannot run here: all free GPUs


def test_inflation_counts_arrived_and_allocated_demand() -> None:
    c = SharedCluster(np.array([1]), cpu_milli=0, memory_mib=0.0)
    run = inflate(
        c,
        np.zeros(1, np.int64),
        np.array([1, 1, 1, 0]),
        np.array([600, 600, 300, 1000]),
        np.zeros(4, np.int64),
        np.zeros(4),
        np.full(4, -1),
    )
    assert list(run.node) == [0, -1, 0, 0]  # the second 0.6 does not fit; the CPU-only pod always does
    assert list(run.arrived_gpus) == pytest.approx([0.6, 1.2, 1.5, 1.5])
    assert list(run.allocated_gpus) == pytest.approx([0.6, 0.6, 0.9, 0.9])
    assert run.allocation_at(1.0) == pytest.approx(0.6)


def test_never_fits_reasons_name_the_limit() -> None:
    from orbitgrid.scheduling.sharing import never_fits_reason

    gpus = np.array([8, 2])
    cpu = np.array([64_000, 16_000])
    mem = np.array([262_144.0, 0.0])  # node 1 does not model memory
    everywhere = np.ones(2, dtype=bool)

    def why(
        g: int, c: int = 0, m: float = 0.0, divisible: bool = False, eligible: np.ndarray = everywhere
    ) -> str | None:
        return never_fits_reason(g, divisible, c, m, eligible, gpus, cpu, mem, "nodes")

    assert why(16) == "never_fits: needs 16 GPUs on one node, largest node has 8"
    assert why(16, divisible=True) is None  # a divisible job runs on whatever one node has
    assert why(1, c=96_000) == "never_fits: needs 96000 mCPU on one node, largest node has 64000"
    assert why(1, m=1e6) is None  # node 1 does not model memory: it never limits
    only_big = np.array([True, False])
    assert why(1, m=1e6, eligible=only_big) == (
        "never_fits: needs 1e+06 MiB of memory on one node, largest node has 262144"
    )
    assert why(8, c=1000) is None
    assert why(4, c=32_000, eligible=np.array([False, True])) == (
        "never_fits: needs 4 GPUs on one node, largest node has 2"
    )
    assert why(1, eligible=np.zeros(2, dtype=bool)) == "never_fits: no nodes"
    # each limit alone is met by some node, but no node meets all: 4 GPUs (node 0 only) and memory beyond node 0's
    assert why(4, m=300_000.0) == "never_fits: no node has 4 GPUs, 0 mCPU and 300000 MiB together"
