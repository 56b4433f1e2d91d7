"""The per-band longitude sort of the conjunction screen (``astro.conjunction_kernels.sort_run``): a stable sort
whatever the input, linear on the nearly sorted runs it gets, and a merge sort (not a quadratic insertion sort) on
runs far from sorted, such as a band whose objects all fall in one longitude bucket (one orbit plane)."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.astro import conjunction_kernels as ck


@pytest.mark.parametrize("case", ["reversed", "random", "nearly sorted", "ties", "short"])
def test_sort_run_equals_a_stable_argsort(case: str) -> None:
    rng = np.random.default_rng(7)
    n = 5 if case == "short" else 2_000
    keys = {
        "reversed": np.linspace(1.0, -1.0, n),
        "random": rng.uniform(-np.pi, np.pi, n),
        "nearly sorted": np.sort(rng.uniform(-np.pi, np.pi, n)) + rng.normal(0.0, 1e-4, n),
        "ties": rng.integers(0, 7, n).astype(np.float64),
        "short": rng.uniform(-1.0, 1.0, n),
    }[case]
    idx = np.full(n + 10, -1, dtype=np.int64)  # a run inside a longer array: its ends stay untouched
    idx[5 : 5 + n] = np.arange(n)
    ck.sort_run(keys, idx, 5, 5 + n)
    assert idx[5 : 5 + n].tolist() == np.argsort(keys, kind="stable").tolist()
    assert (idx[:5] == -1).all() and (idx[5 + n :] == -1).all()


@pytest.mark.parametrize("seed", range(5))
def test_merge_unique_equals_union1d(seed: int) -> None:
    """The screen's union of two sorted pair lists (repeats within and across them) is numpy's ``union1d``."""
    rng = np.random.default_rng(seed)
    a = np.sort(rng.integers(0, 50, rng.integers(0, 40)))
    b = np.sort(rng.integers(0, 50, rng.integers(0, 40)))
    np.testing.assert_array_equal(ck.merge_unique(a, b), np.union1d(a, b))
