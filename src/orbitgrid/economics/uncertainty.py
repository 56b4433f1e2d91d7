"""Uncertainty and decisions: distributions, Monte Carlo, tornado sensitivity, break-even and Pareto fronts.

Everything here is generic over a model ``f(params: Mapping[str, float]) -> Mapping[str, float]`` (the cost model,
a simulation, or any function of named numbers), so the same tools serve the cost model and sweeps.

Distributions
-------------
Small frozen dataclasses that sample by inversion, ``x = F^-1(u)`` with ``u`` uniform on (0, 1): every distribution
consumes exactly one uniform per draw, so draws are reproducible and any quantile (``ppf``) is exact.

- ``Fixed(value)``; ``Uniform(low, high)``.
- ``Normal(mean, std, low=-inf, high=inf)``: optionally truncated to ``[low, high]`` (``scipy.stats.truncnorm``).
- ``LogNormal(mu, sigma)``: ``ln x ~ N(mu, sigma^2)``; ``LogNormal.from_median_p90(m, p90)`` gives ``mu = ln m``,
  ``sigma = ln(p90 / m) / z_0.9`` with ``z_0.9 = Phi^-1(0.9) = 1.2816``. Mean ``exp(mu + sigma^2 / 2)``.
- ``Triangular(low, mode, high)``: mean ``(a + c + b) / 3``.
- ``Pert(low, mode, high, shape=4)``: the beta-PERT of Malcolm, Roseboom, Clark & Fazar (Operations Research 7(5),
  1959): ``x = a + (b - a) B`` with ``B ~ Beta(1 + s (c - a) / (b - a), 1 + s (b - c) / (b - a))``, mean
  ``(a + s c + b) / (s + 2)``; ``s = 4`` is the classic choice (Vose, *Risk Analysis*, 3rd ed., 2008, sec. 9.1.4).
- ``Choice(values, weights=None)``: a discrete distribution over the given numbers.

Monte Carlo
-----------
``monte_carlo(f, distributions, n, seed=...)`` draws parameter ``name`` in blocks of ``BLOCK_DRAWS``; block ``b``
uses ``numpy.random.default_rng(SeedSequence(seed, spawn_key=(key(name), b)))`` with ``key`` a stable hash of the
name. The draws therefore depend only on (seed, name, draw index): not on the chunking, the executor or the worker
count, not on which other parameters are uncertain (common random numbers across studies), and the first ``n``
draws of a larger run are those of a smaller one. Draws are made in the calling process; only the evaluation of
``f`` is split into chunks and, optionally, sent to a ``concurrent.futures.Executor`` (a process pool or a
``dask.distributed`` client's executor). Statistics: mean, sample standard deviation (``ddof = 1``), standard error
``s / sqrt(n)`` and percentiles (numpy's linear interpolation) over the finite outputs.

Tornado, break-even, Pareto
---------------------------
- ``tornado``: one-at-a-time swings; each parameter is set to its low and high value (a range, or a distribution's
  10th and 90th percentiles) with the others at the base case; bars sorted by ``|f(high) - f(low)|``.
- ``break_even``: the parameter value where an output equals a target (a number or another output) by Brent's
  method (``scipy.optimize.brentq``) on a bracket with a sign change; without one, ``NoSignChangeError`` reports
  both ends.
- ``pareto_front``: the non-dominated points for any mix of minimized and maximized objectives; O(n log n) for
  two objectives (a sort and a running minimum), an incremental vectorised filter in lexicographic order for more.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "BLOCK_DRAWS",
    "BreakEven",
    "Choice",
    "Distribution",
    "Fixed",
    "InlineExecutor",
    "LogNormal",
    "MonteCarloResult",
    "NoSignChangeError",
    "Normal",
    "Pert",
    "Tornado",
    "TornadoBar",
    "Triangular",
    "Uniform",
    "break_even",
    "draw",
    "from_fields",
    "monte_carlo",
    "pareto_front",
    "pareto_rows",
    "solve_break_even",
    "tornado",
]

#: Draws per seeded block of one parameter (a constant of the stream layout: changing it changes every draw).
BLOCK_DRAWS = 4096

#: Phi^-1(0.9), the standard normal's 90th percentile (the standard library's inverse CDF, Wichura's AS241 to
#: ~1e-16, so that scenario validation, which imports this module, need not import scipy).
Z90 = statistics.NormalDist().inv_cdf(0.9)

_STANDARD_NORMAL = statistics.NormalDist()


def _ndtri(p: np.ndarray) -> np.ndarray:
    """The standard normal's quantile of each ``p`` in ``[0, 1]`` (-inf at 0, inf at 1): the standard library's
    inverse CDF (AS241, ~1e-16 relative; ``tests/economics/test_uncertainty.py`` holds it to ``scipy.special.ndtri``).
    A cost run draws a few blocks of ``BLOCK_DRAWS``; importing ``scipy.special`` for them took 0.16 s, a tenth of a
    small run (docs/benchmarks.md, *Startup*)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.where(p <= 0.0, -math.inf, np.where(p >= 1.0, math.inf, np.nan))  # NaN stays NaN
    inner = (p > 0.0) & (p < 1.0)
    out[inner] = [_STANDARD_NORMAL.inv_cdf(x) for x in p[inner].tolist()]
    return out[()]  # a scalar for a scalar, as numpy's ufuncs give


Params = Mapping[str, Any]
Model = Callable[[Params], Mapping[str, Any]]
_T = TypeVar("_T")


# ------------------------------------------------------------------------------------------------ distributions


class Distribution(Protocol):
    """What Monte Carlo and tornado need of a distribution."""

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantile function (inverse CDF) at probabilities ``q`` in (0, 1)."""
        ...

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws using ``rng``."""
        ...

    def expected_value(self) -> float:
        """The distribution's mean."""
        ...


def open_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniforms on the open interval (0, 1): ``(k + 1/2) / 2^53`` for the integer ``k`` behind ``rng.random``.

    ``rng.random`` returns ``k / 2^53`` and can return exactly 0, whose normal quantile is infinite.
    """
    return (np.floor(rng.random(n) * 2.0**53) + 0.5) / 2.0**53


class _Inversion(ABC):
    """Sampling by inversion: one open-interval uniform per draw through ``ppf``."""

    @abstractmethod
    def ppf(self, q: ArrayLike) -> np.ndarray:
        """Quantile function at probabilities ``q``."""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.ppf(open_uniform(rng, n))


def _check_finite(kind: str, **values: float) -> None:
    for name, v in values.items():
        if not math.isfinite(v):
            raise ValueError(f"{kind}: {name} must be a finite number, got {v!r}")


def _q(q: ArrayLike) -> np.ndarray:
    arr = np.asarray(q, dtype=np.float64)
    if np.any((arr < 0.0) | (arr > 1.0)):
        raise ValueError("probabilities must lie in [0, 1]")
    return arr


@dataclass(frozen=True)
class Fixed(_Inversion):
    """A known value (a degenerate distribution)."""

    value: float

    def __post_init__(self) -> None:
        _check_finite("fixed", value=self.value)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        return np.full(np.shape(_q(q)), float(self.value))

    def expected_value(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Uniform(_Inversion):
    """Uniform on ``[low, high]``."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_finite("uniform", low=self.low, high=self.high)
        if not self.low < self.high:
            raise ValueError(f"uniform: low must be below high, got low={self.low!r}, high={self.high!r}")

    def ppf(self, q: ArrayLike) -> np.ndarray:
        return self.low + _q(q) * (self.high - self.low)

    def expected_value(self) -> float:
        return 0.5 * (self.low + self.high)


@dataclass(frozen=True)
class Normal(_Inversion):
    """Normal with ``mean`` and ``std``, optionally truncated to ``[low, high]`` (then ``mean`` and ``std`` are
    those of the parent normal, as in ``scipy.stats.truncnorm``)."""

    mean: float
    std: float
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        _check_finite("normal", mean=self.mean, std=self.std)
        if not self.std > 0.0:
            raise ValueError(f"normal: std must be > 0, got {self.std!r}")
        if not self.low < self.high:
            raise ValueError(f"normal: low must be below high, got low={self.low!r}, high={self.high!r}")

    @property
    def truncated(self) -> bool:
        return math.isfinite(self.low) or math.isfinite(self.high)

    def _truncnorm(self) -> Any:
        from scipy import stats  # scipy.stats takes ~1 s to import: only truncated normals need it

        a, b = (self.low - self.mean) / self.std, (self.high - self.mean) / self.std
        return stats.truncnorm(a, b, loc=self.mean, scale=self.std)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        if self.truncated:
            return np.asarray(self._truncnorm().ppf(_q(q)), dtype=np.float64)
        return self.mean + self.std * _ndtri(_q(q))

    def expected_value(self) -> float:
        return float(self._truncnorm().mean()) if self.truncated else float(self.mean)


@dataclass(frozen=True)
class LogNormal(_Inversion):
    """``ln x ~ N(mu, sigma^2)``: median ``exp(mu)``, mean ``exp(mu + sigma^2 / 2)``."""

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        _check_finite("lognormal", mu=self.mu, sigma=self.sigma)
        if not self.sigma > 0.0:
            raise ValueError(f"lognormal: sigma must be > 0, got {self.sigma!r}")

    @classmethod
    def from_median_p90(cls, median: float, p90: float) -> LogNormal:
        """The lognormal with this median and 90th percentile: ``sigma = ln(p90 / median) / Phi^-1(0.9)``."""
        _check_finite("lognormal", median=median, p90=p90)
        if not 0.0 < median < p90:
            raise ValueError(f"lognormal: need 0 < median < p90, got median={median!r}, p90={p90!r}")
        return cls(math.log(median), math.log(p90 / median) / Z90)

    @property
    def median(self) -> float:
        return math.exp(self.mu)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        return np.exp(self.mu + self.sigma * _ndtri(_q(q)))

    def expected_value(self) -> float:
        return math.exp(self.mu + 0.5 * self.sigma**2)


#: Points of the table a beta quantile is bracketed in (``_beta_ppf``), and the iterations it may then take.
_BETA_TABLE = 1_025
_BETA_MAX_ITER = 100


def _beta_cf(a: float, b: float, x: np.ndarray) -> np.ndarray:
    """The continued fraction ``1 + d1 / (1 + d2 / (1 + ...))`` of ``I_x(a, b)`` (DLMF 8.17.22), by the modified
    Lentz method to ~1e-16; it converges fast for ``x < (a + 1) / (a + b + 2)``."""
    tiny = 1e-300
    f = np.ones_like(x)
    c = np.ones_like(x)
    d = np.zeros_like(x)
    for j in range(1, 4_000):
        m = j // 2
        if j % 2 == 0:
            coef = m * (b - m) / ((a + 2 * m - 1.0) * (a + 2 * m))
        else:
            coef = -(a + m) * (a + b + m) / ((a + 2 * m) * (a + 2 * m + 1.0))
        d = 1.0 + coef * x * d
        d = 1.0 / np.where(np.abs(d) < tiny, tiny, d)
        c = 1.0 + coef * x / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        delta = c * d
        f *= delta
        if np.all(np.abs(delta - 1.0) < 4e-16):
            break
    return f


def _beta_log_cdf(a: float, b: float, x: np.ndarray, log_beta: float) -> np.ndarray:
    """``log I_x(a, b)`` for ``x`` in ``(0, 1)``: ``log(x^a (1 - x)^b / (a B(a, b)) / cf)`` below the continued
    fraction's cut, ``log(1 - I_{1-x}(b, a))`` (DLMF 8.17.4) above it; logs keep the far lower tail from
    underflowing."""
    low = x < (a + 1.0) / (a + b + 2.0)
    out = np.empty_like(x)
    xl = x[low]
    out[low] = a * np.log(xl) + b * np.log1p(-xl) - log_beta - np.log(a * _beta_cf(a, b, xl))
    y = 1.0 - x[~low]
    upper = np.exp(b * np.log(y) + a * np.log1p(-y) - log_beta) / (b * _beta_cf(b, a, y))
    out[~low] = np.log1p(-upper)
    return out


def _beta_ppf(a: float, b: float, q: np.ndarray) -> np.ndarray:
    """The beta(a, b) distribution's quantile of each ``q`` in ``[0, 1]``, for ``a, b >= 1`` (a PERT's shape).

    A ``q`` above one half is the complement's quantile of beta(b, a) taken from 1, so the equation solved is always
    a lower tail's, ``log I_x(a, b) = log q``: bracketed in a table of ``I_x`` on ``_BETA_TABLE`` points, then
    solved by Newton's method on ``log x`` (near 0, ``I_x ~ x^a``: one step lands close), kept inside the bracket (a
    step leaving it bisects instead), to a step below 4e-15 of ``x``. ``scipy.special.betaincinv`` answers the same
    question; ``tests/economics/test_uncertainty.py`` holds the two together. It is not used because importing
    ``scipy.special`` took 0.16 s, a tenth of a small run (docs/benchmarks.md, *Startup*).
    """
    q = np.asarray(q, dtype=np.float64)
    flat = q.reshape(-1)
    out = np.where(flat >= 1.0, 1.0, np.where(flat <= 0.0, 0.0, np.nan))  # NaN stays NaN
    upper = flat > 0.5
    lower = (flat > 0.0) & ~upper
    inner_upper = upper & (flat < 1.0)
    with np.errstate(divide="ignore", under="ignore", over="ignore", invalid="ignore"):  # extreme shapes' tails
        out[lower] = _beta_ppf_lower(a, b, flat[lower])
        out[inner_upper] = 1.0 - _beta_ppf_lower(b, a, 1.0 - flat[inner_upper])
    return out.reshape(q.shape)[()]  # a scalar for a scalar, as numpy's ufuncs give


def _beta_ppf_lower(a: float, b: float, p: np.ndarray) -> np.ndarray:
    """``_beta_ppf`` for ``p`` in ``(0, 1/2]``."""
    if p.size == 0:
        return p
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    grid = np.linspace(0.0, 1.0, _BETA_TABLE)
    table = np.zeros(_BETA_TABLE)
    table[1:-1] = np.exp(_beta_log_cdf(a, b, grid[1:-1], log_beta))
    table[-1] = 1.0
    table = np.maximum.accumulate(table)
    i = np.clip(np.searchsorted(table, p, side="right") - 1, 0, _BETA_TABLE - 2)
    lo, hi = grid[i], grid[i + 1]
    f_lo, f_hi = table[i], table[i + 1]
    x = lo + (hi - lo) * np.clip((p - f_lo) / np.maximum(f_hi - f_lo, 1e-300), 0.0, 1.0)
    x = np.clip(x, np.maximum(np.nextafter(lo, 1.0), 1e-300), np.nextafter(hi, 0.0))
    _newton_in_bracket(a, b, log_beta, x, lo, hi, np.log(p), np.arange(p.size))
    return x


def _newton_in_bracket(
    a: float, b: float, log_beta: float, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, log_p: np.ndarray,
    active: np.ndarray,
) -> None:  # fmt: skip
    """``_beta_ppf_lower``'s iteration, in place on ``x`` (a step that would underflow to 0 stops at the smallest
    normal number: a quantile below 2.2e-308 is returned as that)."""
    tiny = np.finfo(np.float64).tiny
    for _ in range(_BETA_MAX_ITER):
        xa = x[active]
        log_cdf = _beta_log_cdf(a, b, xa, log_beta)
        g = log_cdf - log_p[active]
        below = g < 0.0
        lo[active] = np.where(below, xa, lo[active])
        hi[active] = np.where(below, hi[active], xa)
        log_x = np.log(xa)
        log_pdf = (a - 1.0) * log_x + (b - 1.0) * np.log1p(-xa) - log_beta
        slope = np.exp(log_x + log_pdf - log_cdf)  # d log I / d log x
        nxt = np.where(g == 0.0, xa, np.exp(log_x - g / slope))
        la, ha = lo[active], hi[active]
        bad = ~np.isfinite(nxt) | (nxt < la) | (nxt > ha)
        nxt = np.maximum(np.where(bad, np.where(la > 0.0, np.sqrt(la * ha), 0.5 * ha), nxt), tiny)
        x[active] = nxt
        active = active[(np.abs(nxt - xa) > 4e-15 * xa) & (g != 0.0)]
        if active.size == 0:
            break


def _check_three_point(kind: str, low: float, mode: float, high: float) -> None:
    _check_finite(kind, low=low, mode=mode, high=high)
    if not (low <= mode <= high and low < high):
        raise ValueError(f"{kind}: need low <= mode <= high and low < high, got {low!r}, {mode!r}, {high!r}")


@dataclass(frozen=True)
class Triangular(_Inversion):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _check_three_point("triangular", self.low, self.mode, self.high)

    def ppf(self, q: ArrayLike) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        p = _q(q)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(p * (b - a) * (c - a))
        right = b - np.sqrt((1.0 - p) * (b - a) * (b - c))
        return np.where(p < fc, left, right)

    def expected_value(self) -> float:
        return (self.low + self.mode + self.high) / 3.0


@dataclass(frozen=True)
class Pert(_Inversion):
    """Beta-PERT on ``[low, high]`` with mode ``mode`` and shape ``s`` (4 is the classic PERT)."""

    low: float
    mode: float
    high: float
    shape: float = 4.0

    def __post_init__(self) -> None:
        _check_three_point("pert", self.low, self.mode, self.high)
        if not (math.isfinite(self.shape) and self.shape > 0.0):
            raise ValueError(f"pert: shape must be > 0, got {self.shape!r}")

    @property
    def alpha_beta(self) -> tuple[float, float]:
        span = self.high - self.low
        return (
            1.0 + self.shape * (self.mode - self.low) / span,
            1.0 + self.shape * (self.high - self.mode) / span,
        )

    def ppf(self, q: ArrayLike) -> np.ndarray:
        a, b = self.alpha_beta
        return self.low + (self.high - self.low) * _beta_ppf(a, b, _q(q))

    def expected_value(self) -> float:
        return (self.low + self.shape * self.mode + self.high) / (self.shape + 2.0)


@dataclass(frozen=True)
class Choice(_Inversion):
    """One of ``values`` with probabilities proportional to ``weights`` (equal when omitted).

    Integer values are drawn as integers (an int64 array), so they can feed integer fields.
    """

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            raise ValueError("choice: values must not be empty")
        for v in self.values:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"choice: values must be finite numbers, got {v!r}")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                n, m = len(self.weights), len(self.values)
                raise ValueError(f"choice: {n} weights for {m} values")
            w = np.asarray(self.weights, dtype=np.float64)
            if not (np.all(np.isfinite(w)) and np.all(w >= 0.0) and w.sum() > 0.0):
                raise ValueError(f"choice: weights must be finite, >= 0 and not all 0, got {self.weights!r}")

    def _array(self) -> np.ndarray:
        ints = all(isinstance(v, int) for v in self.values)
        return np.asarray(self.values, dtype=np.int64 if ints else np.float64)

    def _cumulative(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0
        return cum

    def ppf(self, q: ArrayLike) -> np.ndarray:
        """The smallest listed value (in list order) whose cumulative probability reaches ``q``."""
        idx = np.searchsorted(self._cumulative(), _q(q), side="left")
        return self._array()[np.minimum(idx, len(self.values) - 1)]

    def expected_value(self) -> float:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        return float(np.dot(w, np.asarray(self.values, dtype=np.float64)) / w.sum())


def from_fields(kind: str, fields: Mapping[str, Any]) -> Distribution:
    """The distribution named ``kind`` from the fields a scenario or sweep file writes (``null`` fields omitted):
    ``fixed`` (value), ``uniform`` (low, high), ``normal`` (mean, std, optional low/high truncation),
    ``lognormal`` (median and p90, or mu and sigma), ``triangular`` (low, mode, high), ``pert`` (low, mode, high,
    shape), ``choice`` (values, weights)."""
    f = {k: v for k, v in fields.items() if v is not None}
    if kind == "fixed":
        return Fixed(float(f["value"]))
    if kind == "uniform":
        return Uniform(float(f["low"]), float(f["high"]))
    if kind == "normal":
        return Normal(float(f["mean"]), float(f["std"]), float(f.get("low", -math.inf)), float(f.get("high", math.inf)))
    if kind == "lognormal":
        if "median" in f:
            return LogNormal.from_median_p90(float(f["median"]), float(f["p90"]))
        return LogNormal(float(f["mu"]), float(f["sigma"]))
    if kind == "triangular":
        return Triangular(float(f["low"]), float(f["mode"]), float(f["high"]))
    if kind == "pert":
        return Pert(float(f["low"]), float(f["mode"]), float(f["high"]), float(f.get("shape", 4.0)))
    if kind == "choice":
        weights = f.get("weights")
        return Choice(tuple(f["values"]), None if weights is None else tuple(float(w) for w in weights))
    raise ValueError(
        f"unknown distribution {kind!r}; known: fixed, uniform, normal, lognormal, triangular, pert, choice"
    )


# -------------------------------------------------------------------------------------------------- executors


class InlineExecutor(Executor):
    """An ``Executor`` that runs each call at ``submit``, in the calling thread (the serial path of the same code)."""

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Future[_T]:
        fut: Future[_T] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            fut.set_exception(exc)
        return fut


# ------------------------------------------------------------------------------------------------- Monte Carlo


def _name_key(name: str) -> int:
    """A stable 32-bit key for a parameter name (the same in every process and Python version)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


def _seed_sequence(seed: int | np.random.SeedSequence, *keys: int) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *keys))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0 or a numpy SeedSequence, got {seed!r}")
    return np.random.SeedSequence(int(seed), spawn_key=keys)


def draw(
    distributions: Mapping[str, Distribution], n: int, seed: int | np.random.SeedSequence
) -> dict[str, np.ndarray]:
    """``n`` draws of each named parameter; draw ``i`` of ``name`` depends only on (seed, name, i)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out: dict[str, np.ndarray] = {}
    n_blocks = -(-n // BLOCK_DRAWS)
    for name, dist in distributions.items():
        key = _name_key(name)
        blocks = [
            dist.sample(np.random.default_rng(_seed_sequence(seed, key, b)), BLOCK_DRAWS) for b in range(n_blocks)
        ]
        out[name] = np.concatenate(blocks)[:n] if blocks else np.asarray(dist.ppf(np.empty(0)))
    return out


def evaluate_rows(
    f: Model,
    columns: Mapping[str, np.ndarray],
    fixed: Mapping[str, Any] | None = None,
    vectorized: bool = False,
) -> dict[str, np.ndarray]:
    """Evaluate ``f`` on each row of ``columns`` (plus the ``fixed`` parameters); outputs as float64 columns.

    With ``vectorized=True``, ``f`` is called once with the whole columns and must return arrays of the same
    length. A top-level function: it is what an executor runs for each chunk.
    """
    names = list(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    if vectorized:
        params: dict[str, Any] = dict(fixed or {})
        params.update(columns)
        res = f(params)
        return {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy() for k, v in res.items()}
    rows = [columns[name].tolist() for name in names]
    keys: list[str] | None = None
    out: list[list[float]] = []
    for i in range(n):
        params = dict(fixed or {})
        params.update({name: rows[j][i] for j, name in enumerate(names)})
        res = f(params)
        if keys is None:
            keys = list(res)
        elif set(res) != set(keys):
            raise ValueError(f"f returned outputs {sorted(res)} at draw {i}, but {sorted(keys)} before")
        out.append([float(res[k]) for k in keys])
    if keys is None:
        return {}
    arr = np.asarray(out, dtype=np.float64).reshape(n, len(keys))
    return {k: arr[:, j].copy() for j, k in enumerate(keys)}


@dataclass(frozen=True)
class MonteCarloResult:
    """Draws and outputs of a Monte Carlo run, one array per name, row ``i`` is draw ``i``."""

    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    seed: int | np.random.SeedSequence = field(repr=False)

    @property
    def n(self) -> int:
        return len(next(iter(self.inputs.values()))) if self.inputs else 0

    def _finite(self, name: str) -> np.ndarray:
        x = self.outputs[name]
        return x[np.isfinite(x)]

    def mean(self, name: str) -> float:
        """Mean of the finite outputs; NaN when no draw gave a finite value (e.g. a fleet that delivers nothing)."""
        x = self._finite(name)
        return float(x.mean()) if x.size else math.nan

    def std(self, name: str) -> float:
        """Sample standard deviation (``ddof = 1``) of the finite outputs; NaN with fewer than two."""
        x = self._finite(name)
        return float(np.std(x, ddof=1)) if x.size > 1 else math.nan

    def std_error(self, name: str) -> float:
        """Standard error of the mean, ``s / sqrt(n)`` over the finite outputs."""
        x = self._finite(name)
        return float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan

    def percentiles(self, name: str, q: Sequence[float] = (5.0, 50.0, 95.0)) -> dict[float, float]:
        """Percentiles of the finite outputs (numpy's linear interpolation); NaN when there are none."""
        x = self._finite(name)
        if not x.size:
            return {float(p): math.nan for p in q}
        vals = np.percentile(x, list(q))
        return {float(p): float(v) for p, v in zip(q, vals, strict=True)}

    def summary(self, q: Sequence[float] = (5.0, 50.0, 95.0)) -> dict[str, dict[str, float]]:
        """Per output: n (finite), mean, std, std_error and ``p5``/``p50``/``p95``-style percentiles."""
        out: dict[str, dict[str, float]] = {}
        for name in self.outputs:
            x = self._finite(name)
            row: dict[str, float] = {"n": float(x.size)}
            if x.size:
                row["mean"] = float(x.mean())
                row["std"] = float(x.std(ddof=1)) if x.size > 1 else math.nan
                row["std_error"] = row["std"] / math.sqrt(x.size)
                row.update({f"p{p:g}": v for p, v in self.percentiles(name, q).items()})
            out[name] = row
        return out


def monte_carlo(
    f: Model,
    distributions: Mapping[str, Distribution],
    n: int,
    *,
    seed: int | np.random.SeedSequence,
    fixed: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    chunk_size: int = 1024,
    vectorized: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> MonteCarloResult:
    """Run ``f`` on ``n`` joint draws of the named parameters (independent draws; see the module docstring).

    ``fixed`` parameters are passed unchanged to every call. With an ``executor``, chunks of ``chunk_size`` draws
    are submitted to it (``f`` must then be picklable: a top-level function); the results are identical to a
    serial run whatever the executor and chunk size. ``progress(draws_done, n)`` is called as chunks finish.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    clash = set(distributions) & set(fixed or {})
    if clash:
        raise ValueError(f"parameters both fixed and uncertain: {', '.join(sorted(clash))}")
    inputs = draw(distributions, n, seed)
    runner = executor if executor is not None else InlineExecutor()

    def submit(lo: int) -> Future[dict[str, np.ndarray]]:
        chunk = {k: v[lo : lo + chunk_size] for k, v in inputs.items()}
        return runner.submit(evaluate_rows, f, chunk, dict(fixed or {}), vectorized)

    # Inline, each chunk runs when it is taken (so progress follows the work); an executor gets them all at once.
    starts = range(0, n, chunk_size)
    futures = (submit(lo) for lo in starts) if executor is None else iter([submit(lo) for lo in starts])
    parts = []
    for fut in futures:
        parts.append(fut.result())
        if progress is not None:
            progress(min(n, len(parts) * chunk_size), n)
    keys = list(parts[0]) if parts else []
    outputs = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    return MonteCarloResult(inputs, outputs, seed)


# ----------------------------------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class TornadoBar:
    """One parameter's swing: the output with the parameter at ``low`` and at ``high``, the others at base."""

    parameter: str
    low: float
    high: float
    output_at_low: float
    output_at_high: float

    @property
    def swing(self) -> float:
        return abs(self.output_at_high - self.output_at_low)


@dataclass(frozen=True)
class Tornado:
    """A tornado diagram's data: the base output and the bars, largest swing first."""

    output: str
    base_output: float
    bars: tuple[TornadoBar, ...]

    def rows(self) -> list[dict[str, float | str]]:
        return [
            {
                "parameter": b.parameter,
                "low": b.low,
                "high": b.high,
                "output_at_low": b.output_at_low,
                "output_at_high": b.output_at_high,
                "swing": b.swing,
            }
            for b in self.bars
        ]


def _range(spec: tuple[float, float] | Distribution, quantiles: tuple[float, float]) -> tuple[float, float]:
    if isinstance(spec, tuple):
        lo, hi = spec
        return float(lo), float(hi)
    lo_hi = np.asarray(spec.ppf(np.asarray(quantiles, dtype=np.float64)), dtype=np.float64)
    return float(lo_hi[0]), float(lo_hi[1])


def _output(res: Mapping[str, Any], output: str) -> float:
    if output not in res:
        raise KeyError(f"output {output!r} not among the model's outputs: {', '.join(res)}")
    return float(res[output])


def tornado(
    f: Model,
    base: Mapping[str, Any],
    ranges: Mapping[str, tuple[float, float] | Distribution],
    output: str,
    *,
    quantiles: tuple[float, float] = (0.1, 0.9),
    executor: Executor | None = None,
) -> Tornado:
    """One-at-a-time sensitivity of ``f(...)[output]`` around ``base``.

    ``ranges`` gives each parameter's (low, high), or a distribution whose ``quantiles`` (default 10th and 90th
    percentiles) are used. Bars are sorted by swing, largest first (ties by parameter name).
    """
    unknown = [k for k in ranges if k not in base]
    if unknown:
        raise KeyError(f"tornado parameters not in the base case: {', '.join(unknown)}; base has {', '.join(base)}")
    runner = executor if executor is not None else InlineExecutor()
    lows_highs = {name: _range(spec, quantiles) for name, spec in ranges.items()}
    cases: list[dict[str, Any]] = [dict(base)]
    for name, (lo, hi) in lows_highs.items():
        cases.append({**base, name: lo})
        cases.append({**base, name: hi})
    results = [fut.result() for fut in [runner.submit(f, case) for case in cases]]
    values = [_output(r, output) for r in results]
    bars = [
        TornadoBar(name, lo, hi, values[1 + 2 * i], values[2 + 2 * i])
        for i, (name, (lo, hi)) in enumerate(lows_highs.items())
    ]
    bars.sort(key=lambda b: (-b.swing, b.parameter))
    return Tornado(output, values[0], tuple(bars))


# -------------------------------------------------------------------------------------------------- break-even


class NoSignChangeError(ValueError):
    """The bracket of a break-even search does not change sign: no root is known to lie inside it."""

    def __init__(self, parameter: str, bracket: tuple[float, float], g_ends: tuple[float, float]) -> None:
        self.parameter, self.bracket, self.g_ends = parameter, bracket, g_ends
        (lo, hi), (g_lo, g_hi) = bracket, g_ends
        super().__init__(
            f"no break-even for {parameter} in [{lo:g}, {hi:g}]: the difference is {g_lo:.6g} at {parameter} = {lo:g} "
            f"and {g_hi:.6g} at {parameter} = {hi:g} (same sign; widen the bracket or check the model)"
        )


@dataclass(frozen=True)
class BreakEven:
    """The solved value of ``parameter`` and the search that found it."""

    parameter: str
    value: float
    bracket: tuple[float, float]
    g_at_ends: tuple[float, float]
    iterations: int
    function_calls: int


def solve_break_even(
    g: Callable[[float], float],
    bracket: tuple[float, float],
    *,
    parameter: str = "x",
    xtol: float = 1e-12,
    rtol: float = 4.0 * np.finfo(float).eps,
    maxiter: int = 200,
) -> BreakEven:
    """The root of ``g`` inside ``bracket`` by Brent's method. ``NoSignChangeError`` if ``g`` has one sign at both
    ends; ``ValueError`` if ``g`` is not finite there."""
    lo, hi = float(bracket[0]), float(bracket[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"bracket for {parameter} must be two finite numbers, low < high, got {bracket!r}")
    g_lo, g_hi = float(g(lo)), float(g(hi))
    if not (math.isfinite(g_lo) and math.isfinite(g_hi)):
        raise ValueError(f"break-even for {parameter}: the difference is {g_lo} at {lo:g} and {g_hi} at {hi:g}")
    if g_lo == 0.0 or g_hi == 0.0:
        value = lo if g_lo == 0.0 else hi
        return BreakEven(parameter, value, (lo, hi), (g_lo, g_hi), 0, 2)
    if (g_lo > 0.0) == (g_hi > 0.0):
        raise NoSignChangeError(parameter, (lo, hi), (g_lo, g_hi))
    from scipy import optimize

    root, info = optimize.brentq(g, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter, full_output=True)
    return BreakEven(parameter, float(root), (lo, hi), (g_lo, g_hi), int(info.iterations), int(info.function_calls) + 2)


def break_even(
    f: Model,
    base: Mapping[str, Any],
    parameter: str,
    bracket: tuple[float, float],
    output: str,
    target: float | str = 0.0,
    **solver: Any,
) -> BreakEven:
    """The value of ``parameter`` (others at ``base``) at which ``f(...)[output]`` equals ``target``: a number, or
    the name of another output (e.g. orbit $/GPU-h against ground $/GPU-h)."""

    def g(x: float) -> float:
        res = f({**base, parameter: x})
        ref = _output(res, target) if isinstance(target, str) else float(target)
        return _output(res, output) - ref

    return solve_break_even(g, bracket, parameter=parameter, **solver)


# ------------------------------------------------------------------------------------------------------ Pareto


Sense = Literal["min", "max"]


def _as_minimized(points: ArrayLike, senses: Sequence[Sense]) -> np.ndarray:
    p = np.array(points, dtype=np.float64, ndmin=2, copy=True)
    if p.ndim != 2:
        raise ValueError(f"points must be a 2-D array (n points x k objectives), got shape {p.shape}")
    if p.shape[1] != len(senses):
        raise ValueError(f"{len(senses)} senses for {p.shape[1]} objectives")
    for j, s in enumerate(senses):
        if s == "max":
            p[:, j] = -p[:, j]
        elif s != "min":
            raise ValueError(f"sense must be 'min' or 'max', got {s!r}")
    return p


def _front_2d(p: np.ndarray) -> np.ndarray:
    """Non-dominated mask of finite 2-D points (both minimized) by one sort and a running minimum."""
    n = p.shape[0]
    order = np.lexsort((p[:, 1], p[:, 0]))
    a0, a1 = p[order, 0], p[order, 1]
    starts = np.flatnonzero(np.r_[True, a0[1:] != a0[:-1]])
    group = np.cumsum(np.r_[True, a0[1:] != a0[:-1]]) - 1
    group_min = a1[starts][group]  # sorted by a1 within a group: its first entry is its minimum
    running = np.minimum.accumulate(a1)
    before = np.r_[np.inf, running[starts[1:] - 1]][group]  # best a1 among strictly smaller a0
    dominated = (before <= a1) | (group_min < a1)
    mask = np.zeros(n, dtype=bool)
    mask[order] = ~dominated
    return mask


def _front_nd(p: np.ndarray) -> np.ndarray:
    """Non-dominated mask of finite points (all minimized), any number of objectives.

    In lexicographic order a point can only be dominated by points before it, and a dominated point's dominator
    is dominated by or equal to a front member (transitivity), so each point is checked against the front so far.
    """
    n = p.shape[0]
    order = np.lexsort(p.T[::-1])
    front = np.empty_like(p)
    members: list[int] = []
    for i in order:
        x = p[i]
        f = front[: len(members)]
        if len(members) and np.any(np.all(f <= x, axis=1) & np.any(f < x, axis=1)):
            continue
        front[len(members)] = x
        members.append(int(i))
    mask = np.zeros(n, dtype=bool)
    mask[members] = True
    return mask


def pareto_front(points: ArrayLike, senses: Sequence[Sense]) -> np.ndarray:
    """Boolean mask of the Pareto-optimal rows of ``points`` (n points x k objectives).

    ``senses[j]`` is ``"min"`` or ``"max"`` for objective ``j``. A point is dominated when another is at least as
    good in every objective and better in one; equal points do not dominate each other (both stay). Rows with a
    non-finite objective are never on the front.
    """
    p = _as_minimized(points, senses)
    ok = np.all(np.isfinite(p), axis=1)
    mask = np.zeros(p.shape[0], dtype=bool)
    if not ok.any():
        return mask
    sub = p[ok]
    mask[ok] = _front_2d(sub) if sub.shape[1] == 2 else _front_nd(sub)
    return mask


def pareto_rows(columns: Mapping[str, ArrayLike], senses: Mapping[str, Sense]) -> np.ndarray:
    """Indices of the Pareto-optimal rows of named columns, e.g. ``{"usd_per_gpu_hour": "min", "mass_kg": "min",
    "gpu_hours": "max"}``, in ascending row order."""
    names = list(senses)
    pts = np.column_stack([np.asarray(columns[k], dtype=np.float64) for k in names])
    return np.flatnonzero(pareto_front(pts, [senses[k] for k in names]))
