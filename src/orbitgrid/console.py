"""Terminal output of the CLI: stage progress that tells the truth, in a terminal and in a log.

The pipeline reports progress as ``progress(stage, done, total)`` calls (``api.Progress``); a stage is finished when
``done >= total``. :class:`StageProgress` renders them:

- in a terminal, one rich bar per stage that stays on screen when the stage ends, with the stage's own name, its
  counts in its own unit and its elapsed time (the time stops when the stage finishes);
- when the output is not a terminal (CI logs, pipes), plain lines: one when a stage starts, one every
  ``interval_s`` while it runs (when it reports), and one when it finishes with its elapsed time.

Stage names start with a word that selects the unit (:data:`STAGE_UNITS`): ``orbit <shell>`` counts orbits,
``schedule`` simulated hours (reported in seconds), ``cost`` steps (pricing, Monte Carlo chunks of 100 draws,
tornado and break-even), ``report`` sections.
"""

from __future__ import annotations

import math
import time
from typing import IO, Any

#: Unit and scale of each stage's counts, by the stage name's first word (``done / scale`` is printed).
STAGE_UNITS: dict[str, tuple[str, float]] = {
    "orbit": ("orbits", 1.0),  # a satellite's, or a formation cluster's reference orbit
    "capacity": ("shells and sites", 1.0),
    "links": ("steps", 1.0),
    "schedule": ("h simulated", 3600.0),
    "cost": ("steps", 1.0),
    "report": ("sections", 1.0),
}


def stage_unit(stage: str) -> tuple[str, float]:
    return STAGE_UNITS.get(stage.split(" ", 1)[0], ("", 1.0))


def format_count(done: float, total: float, stage: str) -> str:
    """``1,024/1,584 orbits``; hours with one decimal; nothing for a stage of one step without a unit."""
    unit, scale = stage_unit(stage)
    if total <= 1 and not unit:
        return ""
    text = f"{int(done):,}/{int(total):,}" if scale == 1.0 else f"{done / scale:,.1f}/{total / scale:,.1f}"
    return f"{text} {unit}".rstrip()


class StageProgress:
    """A ``progress(stage, done, total)`` callback for the CLI (module docstring); use as a context manager."""

    def __init__(self, console: Any, *, interval_s: float = 5.0, stream: IO[str] | None = None) -> None:
        self.console = console
        self.terminal = bool(console.is_terminal)
        self.interval_s = interval_s
        self.stream = stream
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._started: dict[str, float] = {}
        self._last_line: dict[str, float] = {}
        self._finished: set[str] = set()

    def __enter__(self) -> StageProgress:
        if self.terminal:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description:<24}"),
                BarColumn(bar_width=30),
                TaskProgressColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def _line(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text + "\n")
            self.stream.flush()
        else:
            self.console.print(text, markup=False, highlight=False)

    def __call__(self, stage: str, done: float, total: float) -> None:
        now = time.perf_counter()
        first = stage not in self._started
        if first:
            self._started[stage] = now
        if stage in self._finished:
            return
        total = max(total, 1)
        finished = done >= total
        count = format_count(done, total, stage)
        if self._bar is not None:
            if first:
                self._tasks[stage] = self._bar.add_task(stage, total=total, completed=done, count=count)
            else:
                self._bar.update(self._tasks[stage], total=total, completed=done, count=count)
        else:
            elapsed = now - self._started[stage]
            if finished:
                self._line(f"{stage}: {count or 'done'} in {elapsed:,.1f} s")
            elif first:
                self._line(f"{stage}: started{', ' + count if count else ''}")
                self._last_line[stage] = now
            elif now - self._last_line.get(stage, now) >= self.interval_s:
                self._line(f"{stage}: {count} ({100.0 * done / total:.0f} %), {elapsed:,.1f} s")
                self._last_line[stage] = now
        if finished:
            self._finished.add(stage)


def format_value(x: float) -> str:
    """A table value with thousands separators and four significant digits, never in exponent notation for the
    magnitudes a design table holds (``784,400``, ``1,234``, ``12.35``, ``0.5``, ``0.01235``); exponents only
    below 1e-4."""
    if x != x or x in (float("inf"), float("-inf")):
        return "-"
    a = abs(x)
    if a >= 1000 or (x == int(x) and a < 1e15):
        return f"{x:,.0f}"
    if a >= 1e-4:
        digits = max(0, 3 - math.floor(math.log10(a)))
        return f"{x:,.{digits}f}".rstrip("0").rstrip(".")
    return f"{x:.3e}"


def fit_table(table: Any) -> Any:
    """Let a rich table wrap to the terminal instead of cutting its numbers: every column keeps at least the width
    of its widest cell (values are never cut or folded) and its header and text wrap at spaces."""
    from rich.text import Text

    for column in table.columns:
        cells = [c.plain if isinstance(c, Text) else str(c) for c in column._cells]
        widest = max((len(c) for c in cells), default=0)
        column.no_wrap = False
        column.overflow = "fold"
        if all(_is_number(c) for c in cells):
            column.min_width = max(column.min_width or 0, widest)
    return table


def _is_number(text: str) -> bool:
    t = text.strip().replace(",", "").replace("%", "").replace("/", "").replace(".", "").replace("-", "")
    t = t.replace(" ", "").replace("to", "")
    return t.isdigit() or t == ""


def make_console(**kwargs: Any) -> Any:
    """A rich console whose tables wrap rather than cut (:func:`fit_table`)."""
    from rich.console import Console
    from rich.table import Table

    class _Console(Console):
        def print(self, *objects: Any, **kw: Any) -> None:
            super().print(*(fit_table(o) if isinstance(o, Table) else o for o in objects), **kw)

    return _Console(**kwargs)
