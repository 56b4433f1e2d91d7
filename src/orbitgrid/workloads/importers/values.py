"""Value checks and unit conversions shared by the job, request and node-list importers: times in seconds from
numbers or date-time text, whole counts, non-negative amounts; every bad value is a
:class:`~orbitgrid.workloads.traces.TraceFormatError` naming its line and column."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Literal

import numpy as np

from orbitgrid.workloads.importers.reading import Columns
from orbitgrid.workloads.traces import TraceFormatError

TimeUnit = Literal["s", "ms", "us", "ns", "min", "h", "datetime"]
#: Seconds per unit of a numeric time column.
SECONDS_PER: dict[str, float] = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "min": 60.0, "h": 3600.0}
#: Date-time columns are read as seconds since this instant (Unix nanoseconds): near the traces' own dates, so a
#: float64 keeps them to ~20 ns rather than the ~200 ns of Unix seconds.
DATETIME_ZERO_NS = 1_577_836_800 * 10**9  # 2020-01-01T00:00:00Z

#: Largest time accepted, seconds (about 3,000 years: beyond it a number is a unit mistake, not a time).
MAX_TIME_S = 1e11


#: A UTC offset ending a date-time: Z, +08:00, -0500.
_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


def first(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def fail(cols: Columns, row: int, column: str, message: str) -> TraceFormatError:
    return TraceFormatError(cols.path, f"{cols.where(row, column)}: {message}")


def _shown(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e15 else f"{v:.3e}"


def datetimes_s(cols: Columns, column: str, timezone: str = "UTC") -> np.ndarray:
    """Seconds since 2020-01-01T00:00:00Z (:data:`DATETIME_ZERO_NS`) of an ISO 8601 date-time column
    (``2020-06-09 18:41:01``, ``2023-03-01T00:18:22+08:00``); text
    without an offset is in ``timezone`` (IANA name). Empty cells (and ``None``) are NaN."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = cols.text[column]
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = pc.if_else(pc.equal(arr, "None"), pa.scalar(None, pa.string()), arr)  # Philly writes None for no time
    # One parse: with a UTC offset when the first value has one (a failed parse costs as much as a good one).
    valid = arr.drop_null()
    sample = valid[0].as_py() if len(valid) else ""
    stamps = None
    try:
        if _OFFSET.search(sample):
            stamps = pc.cast(arr, pa.timestamp("ns", tz="UTC"))
        else:
            naive = pc.cast(arr, pa.timestamp("ns"))
            stamps = naive if timezone == "UTC" else pc.assume_timezone(naive, timezone, ambiguous="earliest")
    except (pa.ArrowInvalid, ValueError):
        stamps = None
    if stamps is None:
        aware = None
        for i, v in enumerate(arr.to_pylist()):
            if v is None:
                continue
            try:
                t = _dt.datetime.fromisoformat(v)
            except ValueError:
                raise fail(
                    cols, i, column, f"expected a date and time (e.g. 2020-06-09 18:41:01 or ISO 8601), found {v!r}"
                ) from None
            if aware is None:
                aware = t.tzinfo is not None
            elif aware != (t.tzinfo is not None):
                raise fail(cols, i, column, f"{v!r} mixes times with and without a UTC offset in one column")
        raise TraceFormatError(cols.path, f"column {column}: date-times pyarrow cannot read")
    ns = pc.subtract(stamps.cast(pa.int64()), DATETIME_ZERO_NS).to_numpy(zero_copy_only=False)
    return np.asarray(ns, dtype=np.float64) / 1e9


def times_s(cols: Columns, column: str, unit: TimeUnit, timezone: str = "UTC") -> np.ndarray:
    """A time column in seconds (numbers times the unit, or date-times as seconds since 2020-01-01 UTC); NaN for
    empty cells."""
    if unit == "datetime":
        return datetimes_s(cols, column, timezone)
    t = cols.data[column] * SECONDS_PER[unit]
    bad = np.isfinite(t) & (np.abs(t) > MAX_TIME_S)
    if bad.any():
        i = first(bad)
        raise fail(
            cols,
            i,
            column,
            f"expected a time of at most {MAX_TIME_S:.0e} s in {unit}, found {_shown(cols.data[column][i])} "
            "(is the unit right?)",
        )
    inf = np.isinf(t)
    if inf.any():
        raise fail(cols, first(inf), column, "expected a finite time, found infinity")
    return t


def durations_s(cols: Columns, column: str, unit: TimeUnit) -> np.ndarray:
    """A duration column in seconds (NaN for empty cells); negative durations are errors."""
    if unit == "datetime":
        raise TraceFormatError(cols.path, f"column {column}: a duration needs a numeric unit (s, ms, min, h)")
    d = times_s(cols, column, unit)
    neg = d < 0
    if neg.any():
        i = first(neg)
        raise fail(cols, i, column, f"expected a duration >= 0, found {_shown(cols.data[column][i])}")
    return d


def amounts(cols: Columns, column: str, what: str, hi: float, *, whole: bool = False) -> np.ndarray:
    """A non-negative amount (NaN for empty cells) at most ``hi``, whole when ``whole``."""
    v = cols.data[column]
    ok = np.isnan(v) | ((v >= 0) & (v <= hi))
    if whole:
        ok &= np.isnan(v) | (v == np.floor(v))
    if not ok.all():
        i = first(~ok)
        kind = "a whole number" if whole else "a number"
        raise fail(cols, i, column, f"expected {kind} of {what} from 0 to {hi:,.0f}, found {_shown(v[i])}")
    return v
