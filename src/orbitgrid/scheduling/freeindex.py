"""An index of the nodes by free GPUs, so that a best-fit node search costs the nodes it looks at, not the fleet.

Best fit takes the node with the fewest free GPUs among those with enough, ties to the lowest index. A scan of every
node of the job's mask does this in time proportional to the fleet (10,003 nodes: two passes per placement, the
largest cost of a ``fifo-backfill`` week of 1.1 million placements). The index keeps, per free level ``0 ..
LEVELS - 2``, the set of nodes with exactly that many free GPUs as a bitset over node indices (nodes with no or
negative free GPUs at level 0, nodes with ``LEVELS - 1`` or more in the last level, whose free counts are read from
the free array), and above each level's bitset a summary bitset of its non-empty words. A search walks the levels
upward from the need and, inside a level, the nodes in ascending index (intersected with the mask's bitset), so it
visits candidates in exactly the (free GPUs, index) order of best fit and stops at the first acceptable one.

:class:`FreeIndex` is kept in step by :class:`orbitgrid.scheduling.state.NodeState`, the only writer of the free
counts; the compiled searches of :mod:`orbitgrid.scheduling.placement` read it. ``tests/scheduling/test_placement.py``
checks the searches against the policies' ``choose_node`` on candidate arrays (the reference), and
``tests/scheduling/test_freeindex.py`` the index against a scan of the free array after random changes.
"""

from __future__ import annotations

import numpy as np

from orbitgrid._jit import kernel

_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


@kernel(cache=True)
def lowest_bit(x: np.uint64) -> int:
    """The index of the lowest set bit of ``x`` (``x`` not 0)."""
    n = 0
    if (x & np.uint64(0xFFFFFFFF)) == _ZERO:
        n += 32
        x = x >> np.uint64(32)
    if (x & np.uint64(0xFFFF)) == _ZERO:
        n += 16
        x = x >> np.uint64(16)
    if (x & np.uint64(0xFF)) == _ZERO:
        n += 8
        x = x >> np.uint64(8)
    if (x & np.uint64(0xF)) == _ZERO:
        n += 4
        x = x >> np.uint64(4)
    if (x & np.uint64(0x3)) == _ZERO:
        n += 2
        x = x >> np.uint64(2)
    if (x & _ONE) == _ZERO:
        n += 1
    return n


@kernel(cache=True)
def _level(free: int, levels: int) -> int:
    return min(max(free, 0), levels - 1)


@kernel(cache=True)
def _set(bits: np.ndarray, summary: np.ndarray, count: np.ndarray, level: int, n: int) -> None:
    w = n >> 6
    bits[level, w] |= _ONE << np.uint64(n & 63)
    summary[level, w >> 6] |= _ONE << np.uint64(w & 63)
    count[level] += 1


@kernel(cache=True)
def _clear(bits: np.ndarray, summary: np.ndarray, count: np.ndarray, level: int, n: int) -> None:
    w = n >> 6
    bits[level, w] &= ~(_ONE << np.uint64(n & 63))
    if bits[level, w] == _ZERO:
        summary[level, w >> 6] &= ~(_ONE << np.uint64(w & 63))
    count[level] -= 1


@kernel(cache=True)
def move(index: tuple, n: int, free: int) -> None:
    """Node ``n`` now has ``free`` free GPUs."""
    bits, summary, count, level_of = index
    levels = bits.shape[0]
    new = _level(free, levels)
    old = level_of[n]
    if new != old:
        _clear(bits, summary, count, old, n)
        _set(bits, summary, count, new, n)
        level_of[n] = new


@kernel(cache=True)
def move_many(index: tuple, nodes: np.ndarray, free: np.ndarray) -> None:
    """Every node of ``nodes`` now has ``free[node]`` free GPUs (``free``: the whole free array)."""
    for i in range(nodes.size):
        move(index, nodes[i], free[nodes[i]])


@kernel(cache=True)
def _build(free: np.ndarray, levels: int) -> tuple:
    n = free.size
    words = max((n + 63) >> 6, 1)
    bits = np.zeros((levels, words), dtype=np.uint64)
    summary = np.zeros((levels, (words + 63) >> 6), dtype=np.uint64)
    count = np.zeros(levels, dtype=np.int64)
    level_of = np.empty(n, dtype=np.int64)
    for i in range(n):
        lv = _level(free[i], levels)
        level_of[i] = lv
        _set(bits, summary, count, lv, i)
    return bits, summary, count, level_of


def mask_bits(mask: np.ndarray) -> np.ndarray:
    """A boolean node mask as a bitset (64 nodes a word, node ``i`` at bit ``i % 64`` of word ``i // 64``)."""
    n = mask.size
    padded = np.zeros(max((n + 63) // 64, 1) * 64, dtype=bool)
    padded[:n] = mask
    return np.packbits(padded, bitorder="little").view("<u8").astype(np.uint64)


class FreeIndex:
    """The nodes by free GPUs (module docstring): ``levels`` levels, the last one holding every node with at least
    ``levels - 1`` free GPUs. ``arrays`` is the tuple the compiled functions take."""

    def __init__(self, free: np.ndarray, levels: int) -> None:
        self.levels = levels
        self.arrays = _build(free.astype(np.int64), levels)

    def move(self, n: int, free: int) -> None:
        move(self.arrays, n, free)

    def move_many(self, nodes: np.ndarray, free: np.ndarray) -> None:
        move_many(self.arrays, nodes, free)


@kernel(cache=True)
def next_in_level(index: tuple, mask: np.ndarray, level: int, after: int) -> int:
    """The lowest node of the mask at ``level`` with an index above ``after`` (-1 to start), or -1."""
    bits, summary, _, _ = index
    start = after + 1
    w0 = start >> 6
    n_words = bits.shape[1]
    if w0 >= n_words:
        return -1
    # the rest of the first word
    x = bits[level, w0] & mask[w0] & (_ALL << np.uint64(start & 63))
    if x != _ZERO:
        return (w0 << 6) + lowest_bit(x)
    # then the non-empty words after it, found through the summary
    s0 = (w0 + 1) >> 6
    for s in range(s0, summary.shape[1]):
        y = summary[level, s]
        if s == s0:
            y = y & (_ALL << np.uint64((w0 + 1) & 63))
        while y != _ZERO:
            w = (s << 6) + lowest_bit(y)
            y = y & (y - _ONE)
            x = bits[level, w] & mask[w]
            if x != _ZERO:
                return (w << 6) + lowest_bit(x)
    return -1


@kernel(cache=True)
def max_free(index: tuple, mask: np.ndarray, free: np.ndarray) -> int:
    """The most free GPUs on any node of the mask (0 when none has any)."""
    _, _, count, _ = index
    top = count.size - 1
    best = 0
    if count[top] > 0:  # the last level: read the nodes' free counts
        n = next_in_level(index, mask, top, -1)
        while n >= 0:
            if free[n] > best:
                best = free[n]
            n = next_in_level(index, mask, top, n)
        if best > 0:
            return best
    for level in range(top - 1, 0, -1):
        if count[level] > 0 and next_in_level(index, mask, level, -1) >= 0:
            return level
    return 0


@kernel(cache=True)
def next_fit(index: tuple, mask: np.ndarray, free: np.ndarray, need: int, level: int, after: int) -> tuple[int, int]:
    """The node after ``(level, after)`` in best-fit order among the mask's nodes with at least ``need`` free GPUs:
    ``(node, level)``, node -1 when there is none. Start with ``level = need``, ``after = -1``. In the last level
    the order is (free GPUs, index) over the nodes read from the free array."""
    _, _, count, _ = index
    top = count.size - 1
    lv = min(max(level, need), top)
    while lv < top:
        if count[lv] > 0:
            n = next_in_level(index, mask, lv, after)
            if n >= 0:
                return n, lv
        lv += 1
        after = -1
    # the last level: the next (free, index) after (free[after], after), or the smallest from the start
    if count[top] == 0:
        return -1, top
    f0 = free[after] if after >= 0 else -1
    best = -1
    best_f = 0
    n = next_in_level(index, mask, top, -1)
    while n >= 0:
        f = free[n]
        if f >= need and (f > f0 or (f == f0 and n > after)) and (best < 0 or f < best_f):
            best = n
            best_f = f
        n = next_in_level(index, mask, top, n)
    return best, top
