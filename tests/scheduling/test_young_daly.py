"""A sweep of fixed checkpoint intervals for one gang under a constant fault rate: the completion time is minimal at
Daly's interval (the engine's default when the job leaves the interval open), and it follows Daly's expected wall
time at every interval."""

from __future__ import annotations

import math

import numpy as np

from orbitgrid.scheduling.checkpoint import daly_interval_s, expected_wall_time_s
from orbitgrid.scheduling.engine import COMPLETED, EngineConfig

MTBF, WRITE, RESTORE = 1800.0, 60.0, 60.0
COMPUTE_S = 50 * 3600.0  # 50 h of compute for the 8-GPU gang
SEEDS = 30


def test_completion_time_is_minimal_at_daly(make_fleet, make_workload, run_engine) -> None:
    """Gang MTBF 30 min (sdc, restart at once), write 60 s, restore 60 s: Daly's interval is 425.6 s. The sweep is
    tau_D x {1/2, 1/sqrt 2, 1, sqrt 2, 2}, 30 seeds each. Measured mean completion times (h): 71.5, 68.7, 67.6,
    68.6, 72.2 (standard errors 0.14-0.38 h): the neighbours of tau_D are ~1 h (2.8 and 4 combined sigma) slower;
    the test asks for 2.

    Each mean is also held to Daly's expected wall time ``M e^(R/M) (e^((tau+delta)/M) - 1) W / tau`` within
    3 standard errors plus ``delta + R`` (the engine writes no final checkpoint and restores nothing on the first
    start, which the formula counts)."""
    tau_d = daly_interval_s(WRITE, MTBF)
    fleet = make_fleet([8], 7200, rates=(1.0 / (8 * MTBF), 0.0, 0.0))  # 120 h horizon
    config = EngineConfig(max_restarts=10**9)
    factors = [0.5, 1 / math.sqrt(2), 1.0, math.sqrt(2), 2.0]
    means, errors = [], []
    for f in factors:
        wl = make_workload(
            submit_s=[0.0],
            gpus=[8],
            work_gpu_s=[8 * COMPUTE_S],
            checkpoint_interval_s=np.nan if f == 1.0 else f * tau_d,  # NaN: the engine's default
            checkpoint_write_s=WRITE,
            restore_s=RESTORE,
        )
        ends = []
        for seed in range(SEEDS):
            res = run_engine(fleet, wl, "fifo-backfill", seed=1000 + seed, config=config)
            assert res.state[0] == COMPLETED
            assert res.checkpoint_interval_s[0] == (tau_d if f == 1.0 else f * tau_d)
            ends.append(res.end_s[0])
        mean, err = float(np.mean(ends)), float(np.std(ends, ddof=1) / math.sqrt(SEEDS))
        expected = expected_wall_time_s(COMPUTE_S, f * tau_d, WRITE, RESTORE, MTBF)
        assert abs(mean - expected) < 3 * err + WRITE + RESTORE, (f, mean / 3600, expected / 3600, err / 3600)
        means.append(mean)
        errors.append(err)
    best = int(np.argmin(means))
    assert factors[best] == 1.0, [m / 3600 for m in means]
    for i in (best - 1, best + 1):  # the optimum is resolved, not a tie within noise
        assert means[i] - means[best] > 2 * math.hypot(errors[i], errors[best])
