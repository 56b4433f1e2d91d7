"""Allocation and fragmentation over a run (orbitgrid.scheduling.allocation), worked by hand on one 2-GPU node."""

from __future__ import annotations

import numpy as np
import pytest

from orbitgrid.scheduling.allocation import RunRequests, allocation_timeline


def test_timeline_by_hand() -> None:
    """J0 (0.5 GPU) runs 0-100 s on GPU 0; J1 (0.3 GPU) joins it 10-50 s (best fit: GPU 0 has 0.5 left); J2 (a
    2-GPU gang, submitted at 20 s) must wait for GPU 0 to be entirely free and runs 100-150 s.

    At 60 s: 2.5 GPUs requested (0.5 + 2), 0.5 allocated, one GPU occupied, J2 waiting. Stranded: J2 cannot use the
    node (one whole GPU free), so all 1.5 free GPUs are. Fragmented, for the run's mix (the three requests, 1/3
    each): the 0.5 and 0.3 pods can use every free GPU (GPU 0 has exactly 0.5 left), the gang none of them:
    1/3 x 1.5 = 0.5."""
    jobs = RunRequests(
        gpus=np.array([1, 1, 2]),
        share=np.array([0.5, 0.3, 2.0]),
        cpu_milli=np.zeros(3, np.int64),
        memory_mib=np.zeros(3),
        model=np.full(3, -1),
        submit_s=np.array([0.0, 10.0, 20.0]),
        end_s=np.array([100.0, 50.0, 150.0]),
    )
    placements = {
        "job": np.array([1, 0, 2]),
        "node": np.zeros(3, np.int64),
        "start_s": np.array([10.0, 0.0, 100.0]),
        "end_s": np.array([50.0, 100.0, 150.0]),
        "gpus": np.array([1, 1, 2]),
    }
    t = np.array([0.0, 15.0, 60.0, 120.0, 200.0])
    cols = allocation_timeline(np.array([2]), np.zeros(1), np.zeros(1), np.zeros(1, np.int64), jobs, placements, t)
    assert cols["requested_gpus"] == pytest.approx([0.5, 0.8, 2.5, 2.0, 0.0])
    assert cols["allocated_gpus"] == pytest.approx([0.5, 0.8, 0.5, 2.0, 0.0])
    assert list(cols["occupied_gpus"]) == [1, 1, 1, 2, 0]
    assert list(cols["queued_jobs"]) == [0, 0, 1, 0, 0]
    assert cols["stranded_gpus"] == pytest.approx([0.0, 0.0, 1.5, 0.0, 0.0])
    assert cols["fragmented_gpus"][2] == pytest.approx(0.5)
    assert cols["fragmented_gpus"][3] == 0.0  # nothing free
