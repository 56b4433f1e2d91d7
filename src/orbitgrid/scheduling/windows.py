"""Questions about a window of the fleet's capacity timeline: the least usable GPUs of a node over steps
``[k0, k1)``, whether a node keeps a number of GPUs over such a window, and the first step at which a node's
fault-rate scale exceeds a threshold (the South Atlantic Anomaly test).

The usable-GPU timeline is ``nodes x steps``; a window check visits at most two partial blocks of :data:`BLOCK`
steps and the block minima between them (built once), so its cost does not grow with the window's length. All
answers are exact (min and max over blocks are exact).
"""

from __future__ import annotations

import numpy as np

from orbitgrid._jit import kernel

BLOCK = 64  # steps per block of the window-minimum table


def block_reduce(a: np.ndarray, reduce: np.ufunc) -> np.ndarray:
    """``reduce`` over consecutive blocks of :data:`BLOCK` steps of each row of ``a`` (the last block may be short)."""
    n, k = a.shape
    full = k // BLOCK
    out = np.empty((n, -(-k // BLOCK)), dtype=a.dtype)
    if full:
        out[:, :full] = reduce.reduce(a[:, : full * BLOCK].reshape(n, full, BLOCK), axis=2)
    if k % BLOCK:
        out[:, full] = reduce.reduce(a[:, full * BLOCK :], axis=1)
    return out


def window_reduce(
    a: np.ndarray, blocks: np.ndarray, rows: np.ndarray, k0: int, k1: np.ndarray, reduce: np.ufunc, fill: float
) -> np.ndarray:
    """``reduce(a[rows[i], k0 : k1[i]])`` for every ``i`` (``k1 > k0``) from at most two partial blocks of ``a`` and
    the whole blocks between them in ``blocks`` (:func:`block_reduce` of ``a``), in numpy (the reference path)."""
    if rows.size == 0:
        return np.zeros(0, dtype=a.dtype)
    k = a.shape[1]
    steps = np.arange(BLOCK)
    head = a[rows, k0 : k0 + BLOCK]
    head = np.where(steps[: head.shape[1]][None, :] < (k1 - k0)[:, None], head, fill)
    last = (k1 - 1) // BLOCK * BLOCK
    cols = last[:, None] + steps[None, :]
    tail = a[rows[:, None], np.minimum(cols, k - 1)]
    tail = np.where((cols < k1[:, None]) & (cols >= k0), tail, fill)
    out = reduce(reduce.reduce(head, axis=1), reduce.reduce(tail, axis=1))
    b0 = k0 // BLOCK + 1
    b1 = (k1 - 1) // BLOCK  # whole blocks b0 .. b1 - 1
    nb_ = int(b1.max()) - b0
    if nb_ > 0:
        mid = blocks[rows, b0 : b0 + nb_]
        mid = np.where(np.arange(nb_)[None, :] < (b1 - b0)[:, None], mid, fill)
        out = reduce(out, reduce.reduce(mid, axis=1))
    return out


@kernel(cache=True)
def fits(usable: np.ndarray, blocks: np.ndarray, n: int, k0: int, end: int, need: int) -> bool:
    """Whether ``usable[n, k0:end] >= need`` everywhere: whole blocks whose minimum (``blocks``) clears the need are
    skipped, and the scan stops at the first short step."""
    k = k0
    while k < end:
        if k % BLOCK == 0 and k + BLOCK <= end and blocks[n, k // BLOCK] >= need:
            k += BLOCK
        elif usable[n, k] < need:
            return False
        else:
            k += 1
    return True


@kernel(cache=True)
def first_fit(
    usable: np.ndarray, blocks: np.ndarray, rows: np.ndarray, k0: int, k1: np.ndarray, needed: np.ndarray
) -> int:
    """The first ``i`` with :func:`fits` ``(rows[i], k0, k1[i], needed[i])``, or -1."""
    for i in range(rows.size):
        if fits(usable, blocks, rows[i], k0, k1[i], needed[i]):
            return i
    return -1


def scale_above_table(scale: np.ndarray, threshold: float) -> np.ndarray:
    """Per node and step ``k``: the first step ``>= k`` whose rate scale exceeds ``threshold`` (or is NaN), or the
    number of steps when there is none (int16 when it fits, else int32)."""
    n, k = scale.shape
    table = np.empty((n, k), dtype=np.int16 if k < 32767 else np.int32)
    steps = np.arange(k, dtype=table.dtype)
    for lo in range(0, n, 1024):
        above = ~(scale[lo : lo + 1024] <= threshold)
        idx = np.where(above, steps, k).astype(table.dtype)
        table[lo : lo + 1024] = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
    return table


class CapacityWindows:
    """Window questions on one fleet's usable-GPU timeline and rate scale (tables built on first use)."""

    def __init__(self, usable: np.ndarray, rate_scale: np.ndarray | None) -> None:
        self.usable = usable
        self.rate_scale = rate_scale
        self._blocks: np.ndarray | None = None
        self._scale_above: dict[float, np.ndarray] = {}

    @property
    def blocks(self) -> np.ndarray:
        """The usable GPUs' minimum over each block of :data:`BLOCK` steps, per node."""
        if self._blocks is None:
            self._blocks = block_reduce(self.usable, np.minimum)
        return self._blocks

    def min_usable(self, nodes: np.ndarray, k0: int, k1: np.ndarray) -> np.ndarray:
        """The least usable GPUs of each node over steps ``[k0, k1)`` (``k1 > k0``, per node), in numpy."""
        fill = np.iinfo(self.usable.dtype).max
        return window_reduce(self.usable, self.blocks, nodes, k0, k1, np.minimum, fill)

    def first_fit(self, nodes: np.ndarray, k0: int, k1: np.ndarray, needed: np.ndarray) -> int:
        """The first ``i`` whose node keeps at least ``needed[i]`` usable GPUs over steps ``[k0, k1[i])``, or -1."""
        return int(first_fit(self.usable, self.blocks, nodes, k0, k1, needed))

    def fits_one(self, n: int, k0: int, k1: int, needed: int) -> bool:
        """Whether node ``n`` keeps ``needed`` usable GPUs over steps ``[k0, k1)``."""
        return bool(fits(self.usable, self.blocks, n, k0, k1, needed))

    def scale_above(self, threshold: float) -> np.ndarray:
        """:func:`scale_above_table` for ``threshold`` (built once per threshold; needs a rate scale)."""
        table = self._scale_above.get(threshold)
        if table is None:
            assert self.rate_scale is not None
            table = self._scale_above[threshold] = scale_above_table(self.rate_scale, threshold)
        return table
