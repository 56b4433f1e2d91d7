"""The simulation clock: float seconds since a UTC epoch, and conversions to Julian dates.

One ``TimeGrid`` drives every model. Times inside the engine are ``t_s`` (float64 seconds since the scenario epoch);
Julian dates appear only at the edges (SGP4, the Sun, sidereal time).

Time scales: UT1 is taken equal to UTC (|UT1-UTC| < 0.9 s by IERS convention; at the equator that is < 0.42 km of
Earth rotation and moves an eclipse instant by nothing, since shadows are computed in the inertial frame). Terrestrial
Time is UTC + 69.184 s (TAI-UTC = 37 s since 2017-01-01, IERS Bulletin C; TT-TAI = 32.184 s). Before 2017 this is
off by at most a few seconds, which moves the analytic Sun by < 0.0002 deg.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import SECONDS_PER_DAY

TT_MINUS_UTC_S = 69.184

_UNIX_EPOCH_JD = 2_440_587.5
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(d|h|min|m|s)", re.ASCII)
_NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?", re.ASCII)
_UNIT_S = {"d": 86_400.0, "h": 3_600.0, "min": 60.0, "m": 60.0, "s": 1.0}


def parse_duration_s(text: str | float | int) -> float:
    """Seconds in a duration such as ``"24h"``, ``"1h30m"``, ``"90min"``, ``"60s"``, ``"7d"`` or a plain number.

    Digits are ASCII only (``float`` would also read other scripts' digits), numbers are written in decimal
    (no ``inf``, ``nan`` or ``1_000``), and the result is finite. Raises ``ValueError`` naming the accepted forms
    when the text is not a duration.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        try:
            value = float(text)
        except OverflowError:
            raise ValueError(f"a duration of {len(str(abs(text))):,} digits of seconds is too large") from None
        if not math.isfinite(value):
            raise ValueError(f"a duration must be a finite number of seconds, got {text!r}")
        return value
    s = str(text).strip().lower().replace(" ", "")
    shown = repr(text) if len(str(text)) <= 40 else repr(str(text)[:37] + "...")
    if not s:
        raise ValueError("empty duration")
    if not s.isascii():
        raise ValueError(
            f"{shown} is not a duration: write digits 0-9 and units d, h, m (or min), s in ASCII, e.g. '24h'"
        )
    if _NUMBER_RE.fullmatch(s):
        value = float(s)
        if not math.isfinite(value):
            raise ValueError(f"{shown} is too large for a duration")
        return value
    pos = 0
    total = 0.0
    for m in _DURATION_RE.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    if pos != len(s) or pos == 0:
        raise ValueError(
            f"{shown} is not a duration; use a number of seconds or amounts with units d, h, m (or min), s, "
            "e.g. '24h', '1h30m', '60s'"
        )
    if not math.isfinite(total):
        raise ValueError(f"{shown} is too large for a duration")
    return total


def datetime_to_jd(when: _dt.datetime) -> tuple[float, float]:
    """Split Julian date (whole, fraction) of a timezone-aware UTC datetime, in the UTC scale."""
    if when.tzinfo is None:
        raise ValueError("datetime must be timezone-aware (UTC)")
    when = when.astimezone(_dt.UTC)
    midnight = when.replace(hour=0, minute=0, second=0, microsecond=0)
    days = (midnight - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)).days
    jd_whole = _UNIX_EPOCH_JD + days
    fr = (when - midnight).total_seconds() / SECONDS_PER_DAY
    return float(jd_whole), float(fr)


def jd_to_datetime(jd: float, fr: float = 0.0) -> _dt.datetime:
    """The UTC datetime (rounded to the microsecond) of a split Julian date, the inverse of :func:`datetime_to_jd`."""
    days = (float(jd) - _UNIX_EPOCH_JD) + float(fr)
    whole = math.floor(days)
    micro = round((days - whole) * SECONDS_PER_DAY * 1e6)
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(days=whole, microseconds=micro)


@dataclass(frozen=True)
class TimeGrid:
    """Uniform time grid ``t_s = k * step_s`` for ``k = 0 .. n_steps-1`` after ``epoch`` (UTC).

    Each step stands for the interval ``[t_k, t_k + step_s)``, so a day at 60 s has 1,440 steps and covers
    exactly ``duration_s``.
    """

    epoch: _dt.datetime
    step_s: float
    n_steps: int

    @classmethod
    def from_duration(cls, epoch: _dt.datetime, duration_s: float, step_s: float) -> TimeGrid:
        if step_s <= 0:
            raise ValueError("step must be positive")
        if duration_s < step_s:
            raise ValueError("duration must be at least one step")
        n = round(duration_s / step_s)
        if abs(n * step_s - duration_s) > 1e-6 * step_s:
            raise ValueError(f"duration {duration_s} s is not a whole number of steps of {step_s} s")
        return cls(epoch=epoch.astimezone(_dt.UTC), step_s=float(step_s), n_steps=int(n))

    @property
    def duration_s(self) -> float:
        return self.step_s * self.n_steps

    @property
    def t_s(self) -> np.ndarray:
        return np.arange(self.n_steps, dtype=np.float64) * self.step_s

    @property
    def epoch_jd(self) -> tuple[float, float]:
        return datetime_to_jd(self.epoch)

    def jd_utc(self, t_s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Split UTC Julian dates (whole, fraction) at ``t_s`` seconds after the epoch, as SGP4 takes them."""
        jd0, fr0 = self.epoch_jd
        fr = fr0 + np.asarray(t_s, dtype=np.float64) / SECONDS_PER_DAY
        whole = np.floor(fr)
        return jd0 + whole, fr - whole

    def jd_tt(self, t_s: np.ndarray | float) -> np.ndarray:
        """Julian date in Terrestrial Time (single float64: ~40 microsecond resolution, ample for the Sun)."""
        jd, fr = self.jd_utc(t_s)
        return jd + (fr + TT_MINUS_UTC_S / SECONDS_PER_DAY)
