"""What happens to an accelerator that fails for good: repaired on the ground, replaced by a cold spare in orbit, or
lost. One module both the scheduling engine (which draws the failures and decides each one's fate) and the cost model
(which prices the fates over a service life) import, so the two cannot disagree on what is replaced and what is lost.

Fates (:data:`FATES`), decided when a permanent failure strikes a node:

- ``repair`` — a ground site repairs its GPUs: the failed GPU returns to service after a repair time. Repairs wait in
  one first-come-first-served queue per site served by ``technicians`` at once (``0``: as many as needed, every
  failed GPU is worked on at once). Each repair takes an exponentially distributed time with mean
  ``repair_s`` (the classical machine-repair assumption, Gross & Harris, *Fundamentals of Queueing Theory*, §2.8,
  "finite-source queues"); with unlimited technicians the mean number in repair, ``N f MTTR / (1 + f MTTR)``,
  does not depend on the repair-time distribution.
- ``spare`` — a satellite carrying cold spares swaps one in for the failed accelerator after a switch-over time (the
  spare is on the same satellite: a formation cluster's satellites do not share spares).
- ``lost`` — neither: the capacity is gone for the rest of the run (and of the service life).

Default ground repair time: one day. A failed GPU is swapped by a technician in 2-4 hours and the node returned to
production after diagnostics; with spares kept on site "the full cycle takes under a day", next business day with an
advance-replacement contract, 3-14 business days without (amcompute.com, "When a GPU Dies in Production", 2026;
docs/sources.md confidence L: a vendor's note, no fleet statistic). A site that waits for RMA shipments should set
``repair_time`` to 3-20 days.

Expected values over a service life (the cost model, same parameters as the engine):

- :func:`machine_repair_in_repair` — the finite-source ``M/M/c//N`` steady state: ``N`` GPUs each failing at rate
  ``f`` while working, ``c`` technicians each repairing at rate ``mu = 1 / MTTR``. With ``r = f / mu``,
  ``p_k = p_0 C(N, k) r^k`` for ``k <= c`` and ``p_k = p_0 C(N, k) k! / (c! c^(k-c)) r^k`` for ``k > c``; the mean
  number in repair (queued or being repaired) is ``sum k p_k`` (Gross & Harris eq. 2.71-2.73).
- :func:`spare_alive_mean` — ``G`` accelerators per satellite failing at ``f`` each, ``s`` cold spares: the first
  ``s`` failures are replaced (a Poisson process of rate ``G f`` until the ``s``-th, at the Erlang time ``T_s``),
  after which each of the ``G`` survivors fails independently. So
  ``E[alive(t)] = G (P(T_s >= t) + E[exp(-f (t - T_s)); T_s < t])`` with ``P(T_s >= t) = P(Poisson(G f t) < s)`` and
  ``E[exp(-f (t - T_s)); T_s < t] = exp(-f t) (G / (G - 1))^s P(Poisson((G - 1) f t) >= s)``
  (``(f t)^s / s!`` for ``G = 1``); spares used by ``t`` are ``E[min(N(t), s)]`` for ``N(t) ~ Poisson(G f t)``.
  Switch-over times (minutes) are neglected over years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Permanent-failure fates, in the order of the engine's fate codes (``-1``: not a permanent failure).
FATES = ("repair", "spare", "lost")
REPAIR, SPARE, LOST = 0, 1, 2

#: Default time for a failed GPU at a ground site to return to service: one day (module docstring).
DEFAULT_GROUND_REPAIR_S = 86_400.0

#: Reset and reload of a node after a functional interrupt, s (orbitgrid assumption: no published figure found).
RECOVERY_S = 600.0

#: Default time to bring a cold spare into service: the same node reset and reload (the spare is powered, mapped in
#: and the node restarted), :data:`RECOVERY_S`.
DEFAULT_SPARE_SWITCHOVER_S = RECOVERY_S


@dataclass(frozen=True)
class Maintenance:
    """Per node (length-``n`` arrays, the order of the fleet's :class:`~orbitgrid.fleet.nodes.NodeTable`).

    ``repair_s``: mean time to repair a failed GPU (``inf``: never repaired). ``crew``: the repair crew (ground site)
    the node's repairs queue for; nodes of one site share it (``-1`` for nodes that do not repair).
    ``technicians``: the crew's technicians (repairs in progress at once; ``0``: as many as needed).
    ``members``: satellites in the node (1 for a satellite or a ground site). ``spares_per_member``: cold spares on
    each of those satellites. ``switchover_s``: time to bring a spare into service.
    """

    repair_s: np.ndarray
    crew: np.ndarray
    technicians: np.ndarray
    members: np.ndarray
    spares_per_member: np.ndarray
    switchover_s: np.ndarray

    def __post_init__(self) -> None:
        n = self.repair_s.shape[0]
        for name in ("crew", "technicians", "members", "spares_per_member", "switchover_s"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"Maintenance.{name} must have one entry per node ({n})")
        if np.any(self.repair_s <= 0.0) or np.any(np.isnan(self.repair_s)):
            raise ValueError("Maintenance.repair_s must be > 0 (inf: never repaired)")
        if np.any(np.isfinite(self.repair_s) & (self.crew < 0)):
            raise ValueError("a node that repairs needs a repair crew (crew >= 0)")
        if np.any(self.technicians < 0) or np.any(self.members < 1) or np.any(self.spares_per_member < 0):
            raise ValueError("technicians and spares must be >= 0 and members >= 1")
        if np.any(~np.isfinite(self.switchover_s)) or np.any(self.switchover_s < 0.0):
            raise ValueError("Maintenance.switchover_s must be finite and >= 0")

    @classmethod
    def none(cls, n: int) -> Maintenance:
        """Nothing repaired, no spares: every permanent failure is lost."""
        return cls(
            repair_s=np.full(n, np.inf),
            crew=np.full(n, -1, np.int64),
            technicians=np.zeros(n, np.int64),
            members=np.ones(n, np.int64),
            spares_per_member=np.zeros(n, np.int64),
            switchover_s=np.zeros(n),
        )

    @property
    def spares(self) -> np.ndarray:
        """Cold spares on board each node."""
        return self.members * self.spares_per_member


def fate_of(repairs: bool, spare_left: bool) -> int:
    """The fate of one permanent failure (module docstring): repaired where the node repairs, else a spare where
    one is left on the failed accelerator's satellite, else lost."""
    if repairs:
        return REPAIR
    return SPARE if spare_left else LOST


def machine_repair_in_repair(n: int, fail_rate: float, repair_s: float, technicians: int = 0) -> float:
    """Mean number of ``n`` GPUs down (queued or in repair) in the finite-source ``M/M/c//N`` steady state
    (module docstring); ``fail_rate`` per GPU-second, ``technicians = 0``: as many as needed."""
    if n <= 0 or fail_rate <= 0.0:
        return 0.0
    if not math.isfinite(repair_s):
        return float(n)
    r = fail_rate * repair_s
    c = n if technicians <= 0 else min(technicians, n)
    if c >= n:  # independent GPUs: each is down a fraction r / (1 + r) of the time
        return n * r / (1.0 + r)
    from scipy import special  # imported where used: scenario validation imports this module

    k = np.arange(n + 1, dtype=np.float64)
    log_binom = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)
    log_p = log_binom + k * math.log(r)
    above = k > c
    log_p[above] += special.gammaln(k[above] + 1) - special.gammaln(c + 1) - (k[above] - c) * math.log(c)
    log_p -= log_p.max()
    p = np.exp(log_p)
    return float(np.dot(k, p) / p.sum())


def spare_alive_mean(t_s: np.ndarray | float, rate_per_s: float, gpus: int, spares: int) -> np.ndarray:
    """Expected working accelerators of one satellite at ``t_s`` (module docstring)."""
    t = np.asarray(t_s, dtype=np.float64)
    if gpus <= 0:
        return np.zeros_like(t)
    f = rate_per_s
    if f <= 0.0:
        return np.full_like(t, float(gpus))
    if spares <= 0:
        return gpus * np.exp(-f * t)
    from scipy import special, stats

    lam = gpus * f
    still_spares = stats.poisson.cdf(spares - 1, lam * t)  # P(T_s >= t)
    if gpus == 1:  # the Erlang integral is (f t)^s / s!
        with np.errstate(divide="ignore"):
            decayed = np.exp(-f * t + spares * np.log(f * t) - special.gammaln(spares + 1))
    else:
        log_factor = spares * math.log(gpus / (gpus - 1.0))
        tail = stats.poisson.sf(spares - 1, (gpus - 1) * f * t)  # P(Poisson >= s)
        with np.errstate(divide="ignore"):
            decayed = np.exp(-f * t + log_factor + np.log(tail))
    return gpus * (still_spares + decayed)


def spares_used_mean(t_s: np.ndarray | float, rate_per_s: float, gpus: int, spares: int) -> np.ndarray:
    """Expected spares swapped in by ``t_s`` on one satellite: ``E[min(N, s)]``, ``N ~ Poisson(G f t)``."""
    t = np.asarray(t_s, dtype=np.float64)
    if spares <= 0 or rate_per_s <= 0.0 or gpus <= 0:
        return np.zeros_like(t)
    from scipy import stats

    mu = gpus * rate_per_s * t
    k = np.arange(spares)  # E[min(N, s)] = sum_{k=0}^{s-1} P(N > k)
    return stats.poisson.sf(k[:, None], mu.ravel()[None, :]).sum(axis=0).reshape(mu.shape)


def service_year_profile(
    rate_per_year: float, gpus: int, spares: int, life_years: float, points_per_year: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per service year ``a = 1 .. ceil(L)`` of a satellite with cold spares and no repair: (mean working fraction of
    its ``gpus``, spares swapped in, accelerators lost) — the year's mean of :func:`spare_alive_mean` (composite
    Simpson, ``points_per_year`` intervals) and the year's increments of spares used and GPUs lost."""
    n_years = max(1, math.ceil(life_years - 1e-9))
    ends = np.minimum(np.arange(1, n_years + 1, dtype=np.float64), life_years)
    starts = np.arange(n_years, dtype=np.float64)
    m = points_per_year + points_per_year % 2
    working = np.zeros(n_years)
    for a in range(n_years):
        if ends[a] <= starts[a]:
            continue
        tt = np.linspace(starts[a], ends[a], m + 1)
        y = spare_alive_mean(tt, rate_per_year, gpus, spares)
        w = np.ones(m + 1)
        w[1:-1:2], w[2:-1:2] = 4.0, 2.0
        working[a] = float(np.dot(w, y)) / (3.0 * m) / gpus
    edges = np.concatenate([[0.0], ends])
    used = np.diff(spares_used_mean(edges, rate_per_year, gpus, spares))
    alive = spare_alive_mean(edges, rate_per_year, gpus, spares)
    lost = -np.diff(alive)
    return working, used, lost


def expected_fates(
    gpus_per_node: int,
    nodes: int,
    rate_per_s: float,
    horizon_s: float,
    repairs: bool,
    spares_per_member: int = 0,
    members: int = 1,
) -> dict[str, float]:
    """Expected permanent failures of a shell or site over ``[0, horizon_s]`` and their fates, from the same rules
    the engine applies (:func:`fate_of`): where the nodes repair, every failure goes to repair (failures at the
    rate of the GPUs in service, ``N f T`` less the small share down in repair, neglected here); else each
    satellite of ``gpus_per_node / members`` accelerators swaps in its spares (:func:`spares_used_mean`) and loses
    the rest (:func:`spare_alive_mean`). Keys: ``failures``, ``repairs``, ``spares_used``, ``lost``."""
    n_gpus = gpus_per_node * nodes
    if repairs:
        f = rate_per_s * n_gpus * horizon_s
        return {"failures": f, "repairs": f, "spares_used": 0.0, "lost": 0.0}
    per_sat = gpus_per_node // max(members, 1)
    sats = nodes * max(members, 1)
    used = float(spares_used_mean(horizon_s, rate_per_s, per_sat, spares_per_member)) * sats
    alive = float(spare_alive_mean(horizon_s, rate_per_s, per_sat, spares_per_member)) * sats
    lost = per_sat * sats - alive
    return {"failures": used + lost, "repairs": 0.0, "spares_used": used, "lost": lost}
