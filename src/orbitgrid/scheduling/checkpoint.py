"""Checkpoint intervals and the progress of a job that checkpoints periodically.

A running segment of a job, started at ``t0`` on a node where it advances ``rate`` units of work per second of
compute, first restores (``restore_s``), then alternates ``tau`` seconds of compute and ``delta`` seconds of
checkpoint write. Work becomes *saved* when a write completes; a failure loses the work done since the last saved
checkpoint. The completion needs no final checkpoint (the result is written by the job's completion itself).

Optimum interval: Young (1974), ``tau = sqrt(2 delta M)``, and Daly's higher-order correction (J. T. Daly, "A higher
order estimate of the optimum checkpoint interval for restart dumps", FGCS 22(3), 2006, eq. 37):
``tau = sqrt(2 delta M) [1 + sqrt(delta / (2M)) / 3 + delta / (18 M)] - delta`` for ``delta < 2M``, else ``tau = M``,
where ``M`` is the mean time between failures seen by the job (``1 / (gpus x rate per GPU)``).
"""

from __future__ import annotations

import math

import numpy as np


def young_interval_s(write_s: float, mtbf_s: float) -> float:
    """Young's first-order optimum compute time between checkpoints, s."""
    return math.sqrt(2.0 * write_s * mtbf_s)


def daly_interval_s(write_s: float, mtbf_s: float) -> float:
    """Daly's higher-order optimum compute time between checkpoints, s (``inf`` when there are no failures)."""
    if not math.isfinite(mtbf_s):
        return math.inf
    if mtbf_s <= 0.0 or write_s <= 0.0:
        return 0.0
    if write_s >= 2.0 * mtbf_s:
        return mtbf_s
    r = write_s / (2.0 * mtbf_s)
    return math.sqrt(2.0 * write_s * mtbf_s) * (1.0 + math.sqrt(r) / 3.0 + r / 9.0) - write_s


def daly_interval_array_s(write_s: float, mtbf_s: np.ndarray) -> np.ndarray:
    """:func:`daly_interval_s` over an array of MTBFs."""
    m = np.asarray(mtbf_s, dtype=np.float64)
    out = np.full(m.shape, np.inf)
    finite = np.isfinite(m)
    if write_s <= 0.0:
        return np.where(finite, 0.0, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = write_s / (2.0 * m)
        tau = np.sqrt(2.0 * write_s * m) * (1.0 + np.sqrt(r) / 3.0 + r / 9.0) - write_s
    out[finite] = np.where(write_s >= 2.0 * m[finite], m[finite], tau[finite])
    out[finite & (m <= 0.0)] = 0.0
    return out


def expected_wall_time_s(work_s: float, tau_s: float, write_s: float, restore_s: float, mtbf_s: float) -> float:
    """Expected wall time to finish ``work_s`` of compute under exponential failures (Daly 2006, eq. 13 form).

    Each segment of ``tau + delta`` either completes (probability ``exp(-(tau + delta)/M)``) or fails and restarts
    after ``restore_s`` from the last checkpoint. Used to check that the simulated lost work is minimal at the
    Young/Daly interval and by the hybrid placement policy to compare nodes.
    """
    if not math.isfinite(mtbf_s):
        n_ckpt = max(math.ceil(work_s / tau_s) - 1, 0) if math.isfinite(tau_s) else 0
        return restore_s + work_s + n_ckpt * write_s
    m = mtbf_s
    seg = tau_s + write_s
    return m * math.exp(restore_s / m) * (math.exp(seg / m) - 1.0) * work_s / tau_s


class Segment:
    """Progress of one running segment as a function of wall time (all in seconds / work units).

    ``saves`` is False for work that is saved continuously (batch items, stateless inference), in which case
    progress is never lost to a failure beyond the in-flight item.
    """

    __slots__ = ("delta", "rate", "restore", "saves", "t0", "tau")

    def __init__(self, t0: float, rate: float, tau: float, delta: float, restore: float, saves: bool) -> None:
        self.t0 = t0
        self.rate = rate
        self.tau = tau
        self.delta = delta
        self.restore = restore
        # A zero interval (Daly's optimum when a write costs nothing) is the limit of checkpointing continuously at
        # no cost: every unit of work is saved as it is done.
        self.saves = saves and tau > 0.0

    def _elapsed(self, t: float) -> float:
        return max(t - self.t0 - self.restore, 0.0)

    def compute_s(self, t: float) -> float:
        """Seconds of compute done by time ``t`` (excludes restore and checkpoint writes)."""
        e = self._elapsed(t)
        if not self.saves or not math.isfinite(self.tau):
            return e
        cycle = self.tau + self.delta
        n = math.floor(e / cycle)
        return n * self.tau + min(e - n * cycle, self.tau)

    def progress(self, t: float) -> float:
        """Work done by time ``t``."""
        return self.rate * self.compute_s(t)

    def saved(self, t: float) -> float:
        """Work safely checkpointed by time ``t``."""
        if not self.saves:
            return self.progress(t)
        if not math.isfinite(self.tau):
            return 0.0
        n = math.floor(self._elapsed(t) / (self.tau + self.delta))
        return self.rate * self.tau * n

    def saved_if_checkpoint_ends_at(self, t: float) -> float:
        """Work saved if a checkpoint write was started ``delta`` before ``t`` (checkpoint ahead of a known outage)."""
        if not self.saves:
            return self.progress(t)
        return max(self.saved(t), self.progress(t - self.delta) if t - self.delta > self.t0 else 0.0)

    def finish_time(self, work: float) -> float:
        """Wall time at which ``work`` is done (checkpoint writes included, none after the last compute)."""
        if self.rate <= 0.0:
            return math.inf
        c = work / self.rate
        if not self.saves or not math.isfinite(self.tau):
            return self.t0 + self.restore + c
        n_ckpt = max(math.ceil(c / self.tau - 1e-12) - 1, 0)
        return self.t0 + self.restore + c + n_ckpt * self.delta
