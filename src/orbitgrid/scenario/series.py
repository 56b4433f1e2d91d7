"""Time series and node lists read from CSV files for ground sites: grid price and carbon intensity per step, and
accelerator inventories.

Series model
------------
A series file (CSV, gzip-compressed when its name ends in ``.gz``) has one row per interval: a timestamp and a
value. The value holds from its row's timestamp until the next row's timestamp (piecewise constant); the last row
holds for as long as the interval before it. Over a scenario step ``[t, t + h)`` the site sees the time-weighted mean
of the series over that step, so a step that spans two rows gets each row's value in proportion to the overlap, and
the energy-weighted sum over steps equals the integral of the series over the run.

Timestamps are ISO 8601 (``2022-01-01 00:00:00``, ``2022-01-01T00:00:00+01:00``) or follow ``time_format``
(:func:`datetime.datetime.strptime` codes). A timestamp without an offset is local time in ``timezone`` (an IANA name;
default UTC). When clocks go back the repeated local hour is read as its first occurrence, and as the second one when
the row before it already had that local time, so an hourly file written in local time keeps its 25 rows on that day.

Coverage and ``repeat``
-----------------------
The series covers ``[first timestamp, last timestamp + last interval)``. The run ``[epoch, epoch + duration)`` must lie
inside it. With ``repeat`` the run is read from a shifted window instead, never from a spliced one:

1. the window moved by a whole number of calendar years ``k`` (same month, day and clock time; the shift is
   ``epoch.replace(year=epoch.year + k) - epoch`` seconds), taking the ``k`` nearest to 0 whose window fits (the
   earlier one on a tie); an epoch on 29 February skips years without that day;
2. if no year fits (the series is shorter than a year, or the run straddles its ends), the window moved by a whole
   number of days of 86,400 s, again the nearest that fits.

If neither fits (the run is longer than the series) the scenario is rejected. A year shift keeps the season and the
clock time but not the weekday; a day shift keeps the clock time.

Node lists
----------
``alibaba_spot_v2026``: the node table of Alibaba's 2026 spot GPU cluster trace (``cluster-trace-v2026-spot-gpu/
node_info_df.csv`` in github.com/alibaba/clusterdata), one row per node with ``gpu_model`` and ``gpu_capacity_num``
(GPUs in the node). The inventory is the sum of ``gpu_capacity_num`` per ``gpu_model``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
import math
import zlib
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from orbitgrid.errors import InputError

SECONDS_PER_DAY = 86_400.0


class SeriesError(InputError):
    """A problem with a series or node-list file; ``field`` names the reference's field it concerns ("" = itself)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Series:
    """A piecewise-constant series: ``values[i]`` holds over ``[edges_s[i], edges_s[i + 1])`` (UNIX seconds)."""

    edges_s: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        if self.edges_s.shape != (self.values.size + 1,) or self.values.size < 1:
            raise ValueError("Series needs one more edge than values and at least one value")
        if not np.all(np.diff(self.edges_s) > 0):
            raise ValueError("Series edges must be strictly increasing")

    @property
    def start_s(self) -> float:
        return float(self.edges_s[0])

    @property
    def end_s(self) -> float:
        return float(self.edges_s[-1])

    def integral(self, t_s: np.ndarray) -> np.ndarray:
        """Integral of the series from its start to each time in ``t_s`` (value x seconds); ``t_s`` inside it."""
        rel = self.edges_s - self.edges_s[0]
        cum = np.concatenate(([0.0], np.cumsum(self.values * np.diff(rel))))
        x = np.asarray(t_s, dtype=np.float64) - self.edges_s[0]
        i = np.clip(np.searchsorted(rel, x, side="right") - 1, 0, self.values.size - 1)
        return np.asarray(cum[i] + self.values[i] * (x - rel[i]))

    def step_means(self, start_s: float, n_steps: int, step_s: float) -> np.ndarray:
        """Time-weighted mean over each step ``[start + k h, start + (k + 1) h)``; the steps must lie inside."""
        if start_s < self.start_s or start_s + n_steps * step_s > self.end_s * (1 + 1e-15):
            raise ValueError("the steps lie outside the series")
        f = self.integral(start_s + np.arange(n_steps + 1) * step_s)
        return np.asarray(np.diff(f) / step_s)


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_s(t_s: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t_s, dt.UTC)


def _open_csv(path: Path) -> tuple[list[str], Iterable[list[str]], Callable[[], None]]:
    try:
        # gzip-compressed CSV as the trace readers accept it; the caller closes the file
        f: IO[str]
        if path.name.lower().endswith(".gz"):
            f = io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")  # noqa: SIM115
        else:
            f = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SeriesError("file", f"cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.reader(f)
    rows = _checked_rows(reader, path)
    try:
        header = [h.strip() for h in next(rows, [])]
    except SeriesError:
        f.close()
        raise
    if not header:
        f.close()
        raise SeriesError("file", f"{path} is empty")
    return header, rows, f.close


def _checked_rows(reader: Any, path: Path) -> Iterator[list[str]]:
    """The reader's rows; a malformed line or bytes that are not UTF-8 become a SeriesError naming the line."""
    try:
        yield from reader
    except csv.Error as exc:
        raise SeriesError("file", f"{path.name} line {reader.line_num}: not valid CSV ({exc})") from None
    except UnicodeDecodeError as exc:
        raise SeriesError("file", f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (OSError, EOFError, zlib.error) as exc:  # a damaged or truncated gzip file
        # the data is decompressed in chunks ahead of the CSV reader: a line number would not say where it broke
        where = f"after line {reader.line_num}" if reader.line_num else "before its first line"
        raise SeriesError("file", f"{path.name}: cannot read the gzip data {where} ({exc})") from None


def _column(header: list[str], name: str, field: str, path: Path) -> int:
    if name not in header:
        raise SeriesError(field, f"no column {name!r} in {path.name}; its columns are: {', '.join(header)}")
    return header.index(name)


def _parse_time(text: str, time_format: str | None) -> dt.datetime:
    if time_format is None:
        return dt.datetime.fromisoformat(text)
    return dt.datetime.strptime(text, time_format)


def read_series_csv(
    path: Path,
    column: str,
    time_column: str,
    *,
    time_format: str | None = None,
    timezone: str = "UTC",
    skip_empty: bool = False,
) -> Series:
    """Read one value column of a CSV time series (values in the file's own unit).

    Raises :class:`SeriesError` naming ``file``, ``column``, ``time_column``, ``time_format``, ``timezone`` or
    ``empty_values`` for a missing file, an unknown column, an unreadable timestamp or value, timestamps that do not
    increase, or fewer than two rows. A file read before with the same arguments, size and modification time is not
    read again; the arrays returned are read-only.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise SeriesError("file", f"cannot read {path}: {exc.strerror or exc}") from None
    return _read_series_cached(
        path, stat.st_mtime_ns, stat.st_size, column, time_column, time_format, timezone, skip_empty
    )


@functools.lru_cache(maxsize=32)
def _read_series_cached(
    path: Path,
    mtime_ns: int,
    size: int,
    column: str,
    time_column: str,
    time_format: str | None,
    timezone: str,
    skip_empty: bool,
) -> Series:
    series = _read_series(path, column, time_column, time_format=time_format, timezone=timezone, skip_empty=skip_empty)
    series.edges_s.setflags(write=False)
    series.values.setflags(write=False)
    return series


def _read_series(
    path: Path,
    column: str,
    time_column: str,
    *,
    time_format: str | None = None,
    timezone: str = "UTC",
    skip_empty: bool = False,
) -> Series:
    try:
        tz = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {timezone!r}; use an IANA name such as UTC or Europe/Brussels"
        raise SeriesError("timezone", msg) from None
    header, rows, close = _open_csv(path)
    try:
        i_t = _column(header, time_column, "time_column", path)
        i_v = _column(header, column, "column", path)
        times: list[float] = []
        values: list[float] = []
        last_local: dt.datetime | None = None
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            cell_t = row[i_t].strip() if i_t < len(row) else ""
            cell_v = row[i_v].strip() if i_v < len(row) else ""
            if not cell_v:
                if skip_empty:
                    continue
                msg = f"{path.name} line {line} has no value in column {column!r}; set empty_values: skip to leave such"
                raise SeriesError("empty_values", msg + " rows out")
            try:
                when = _parse_time(cell_t, time_format)
            except ValueError:
                expected = f"the format {time_format!r}" if time_format else "ISO 8601 (e.g. 2022-01-01 00:00:00)"
                msg = f"{path.name} line {line}: cannot read time {cell_t!r} in column {time_column!r} as {expected}"
                raise SeriesError("time_format", msg) from None
            try:
                value = float(cell_v)
            except ValueError:
                msg = f"{path.name} line {line}: {cell_v!r} in column {column!r} is not a number"
                raise SeriesError("column", msg) from None
            if not math.isfinite(value):
                raise SeriesError("column", f"{path.name} line {line}: {cell_v!r} in column {column!r} is not finite")
            if when.tzinfo is None:
                local = when
                when = local.replace(tzinfo=tz)
                if last_local == local:  # the repeated hour when clocks go back: its second occurrence
                    when = when.replace(fold=1)
                last_local = local
            t = when.timestamp()
            if times and t <= times[-1]:
                msg = (
                    f"{path.name} line {line}: time {cell_t!r} ({_utc(when)}) does not come after the row before it "
                    f"({_utc(_from_s(times[-1]))}); rows must be in time order, each time once"
                )
                raise SeriesError("time_column", msg)
            times.append(t)
            values.append(value)
    finally:
        close()
    if len(times) < 2:
        raise SeriesError("file", f"{path.name} has {len(times)} usable rows; a series needs at least 2")
    edges = np.array([*times, 2 * times[-1] - times[-2]])
    return Series(edges_s=edges, values=np.array(values))


def _fits(series: Series, start_s: float, duration_s: float) -> bool:
    return series.start_s <= start_s and start_s + duration_s <= series.end_s


def repeat_shift_s(series: Series, epoch: dt.datetime, duration_s: float, repeat: bool) -> float:
    """Seconds to add to the run's times to read them from the series (0 when the run lies inside it).

    The rule (whole calendar years, else whole days, nearest to the epoch) is in the module docstring. Raises
    :class:`SeriesError` (field ``repeat``) when the run does not fit.
    """
    start = epoch.timestamp()
    if _fits(series, start, duration_s):
        return 0.0
    covers = f"the series covers {_utc(_from_s(series.start_s))} to {_utc(_from_s(series.end_s))}"
    run = f"the run covers {_utc(epoch)} to {_utc(_from_s(start + duration_s))}"
    if not repeat:
        raise SeriesError("repeat", f"{covers} but {run}; set repeat: true to read the same dates of another year")
    first, last = _from_s(series.start_s).year, _from_s(series.end_s).year
    shifts: list[float] = []
    for year in range(first - 1, last + 2):
        try:
            moved = epoch.replace(year=year)
        except ValueError:  # 29 February in a year without it
            continue
        shift = moved.timestamp() - start
        if _fits(series, start + shift, duration_s):
            shifts.append(shift)
    if shifts:
        return min(shifts, key=lambda s: (abs(s), s))
    lo = math.ceil((series.start_s - start) / SECONDS_PER_DAY)
    hi = math.floor((series.end_s - duration_s - start) / SECONDS_PER_DAY)
    if lo <= hi:
        return (lo if abs(lo) <= abs(hi) else hi) * SECONDS_PER_DAY
    span_days = (series.end_s - series.start_s) / SECONDS_PER_DAY
    msg = f"{covers} ({span_days:.6g} days), shorter than the run ({duration_s / SECONDS_PER_DAY:.6g} days)"
    raise SeriesError("repeat", msg)
