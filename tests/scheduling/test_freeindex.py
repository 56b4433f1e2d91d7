"""The index of nodes by free GPUs against a scan of the free array, after random changes: the largest free count
of a mask, and the order of best fit (fewest free GPUs, then lowest index) over the nodes with enough free."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.scheduling.freeindex import FreeIndex, mask_bits, max_free, next_fit


def _order(free: np.ndarray, mask: np.ndarray, need: int) -> list[int]:
    """Best-fit order by brute force."""
    nodes = np.flatnonzero(mask & (free >= need))
    return nodes[np.lexsort((nodes, free[nodes]))].tolist()


def _walk(index: FreeIndex, bits: np.ndarray, free: np.ndarray, need: int) -> list[int]:
    out = []
    n, level = next_fit(index.arrays, bits, free, need, need, -1)
    while n >= 0:
        out.append(int(n))
        n, level = next_fit(index.arrays, bits, free, need, level, n)
    return out


@pytest.mark.parametrize(("n_nodes", "levels"), [(1, 18), (63, 18), (64, 18), (200, 10), (4_100, 18), (5_000, 258)])
def test_index_follows_the_free_array(n_nodes: int, levels: int) -> None:
    rng = np.random.default_rng(n_nodes + levels)
    gpus = rng.choice([8, 16, 16, 512], n_nodes) if levels > 100 else rng.choice([4, 8, 16], n_nodes)
    free = gpus.astype(np.int64).copy()
    index = FreeIndex(free, levels)
    masks = [np.ones(n_nodes, bool), rng.random(n_nodes) < 0.3, np.zeros(n_nodes, bool)]
    for _ in range(30):
        # random changes, some below zero (busy above a dropped capacity), some in bulk
        nodes = rng.choice(n_nodes, size=min(n_nodes, 40), replace=False)
        free[nodes] = rng.integers(-3, gpus[nodes] + 1)
        for n in nodes[: nodes.size // 2].tolist():
            index.move(n, int(free[n]))
        index.move_many(nodes[nodes.size // 2 :].astype(np.int64), free)
        for mask in masks:
            bits = mask_bits(mask)
            want_max = max(int(free[mask].max(initial=0)), 0)
            assert max_free(index.arrays, bits, free) == want_max
            for need in (1, 3, 8, 16, 17, 300):
                assert _walk(index, bits, free, need) == _order(free, mask, need)


def test_mask_bits_puts_node_i_at_bit_i() -> None:
    mask = np.zeros(130, bool)
    mask[[0, 63, 64, 129]] = True
    bits = mask_bits(mask)
    assert bits.dtype == np.uint64 and bits.size == 3
    assert bits.tolist() == [1 | (1 << 63), 1, 1 << 1]
