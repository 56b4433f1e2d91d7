"""Sweep files: a base scenario, grid and random axes over dotted scenario paths, and how to evaluate each point.

A sweep file (YAML, ``schema_version: 1``)::

    schema_version: 1
    name: dawn-dusk-altitude
    base: default                 # a built-in scenario, or a scenario file relative to this file
    evaluate: simulate            # simulate | cost
    grid:                         # cartesian product of the listed values
      fleet.shells.0.orbit.altitude_km: [550, 650, 800]
      policy.power_aware: [true, false]
    random:                       # `samples` joint draws, the same draws at every grid point
      samples: 8
      seed: 1
      axes:
        fleet.ground_sites.memphis.pue: {type: triangular, low: 1.1, mode: 1.2, high: 1.5}
    plot: [goodput, gpu_hours.delivered]   # outputs drawn on the plots page (default: those that vary)

A dotted path walks the scenario as written in its resolved form (every default filled in, catalog designs copied
under ``designs``): mapping keys, list indexes (``fleet.shells.0``) or, for lists of named entries, names
(``fleet.shells.dawn-dusk-650``), also in the bracket form of error messages (``fleet.shells[0].orbit``,
``fleet.shells['a.b']`` for a name holding a dot); ``duration_s`` and ``step_s`` are accepted for ``duration`` and
``step``. Paths
are checked against the base scenario before anything runs (:func:`check_paths`), and each point's scenario is
validated by the real scenario model (:func:`apply_point`), so a wrong path or value is reported with its path and
what is allowed, in the style of :mod:`orbitgrid.scenario.errors`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, ValidationError
from pydantic_core import InitErrorDetails

from orbitgrid.scenario.base import _error
from orbitgrid.scenario.errors import Problem, ScenarioError, format_loc, problems_from_validation_error
from orbitgrid.scenario.loader import _parse_yaml, load_scenario, resolved_scenario_dict
from orbitgrid.scenario.messages import _friendly
from orbitgrid.scenario.models import (
    Bounds,
    ChoiceSpec,
    Count,
    DistributionSpec,
    FixedSpec,
    Found,
    LogNormalSpec,
    Name,
    NormalSpec,
    PertSpec,
    SafeName,
    Scenario,
    SchemaVersion,
    StrictModel,
    TriangularSpec,
    UniformSpec,
    fmt_number,
)

__all__ = [
    "ChoiceSpec",
    "DistributionSpec",
    "FixedSpec",
    "LogNormalSpec",
    "NormalSpec",
    "PertSpec",
    "RandomAxes",
    "SweepFile",
    "SweepSpec",
    "TriangularSpec",
    "UniformSpec",
    "apply_point",
    "check_paths",
    "load_sweep",
    "load_sweep_text",
    "set_path",
    "split_path",
]

#: Names accepted in paths for fields stored under another name (``Scenario.duration_s`` is ``duration``).
PATH_ALIASES = {"duration_s": "duration", "step_s": "step"}


# ------------------------------------------------------------------------------------------------ sweep spec


class RandomAxes(StrictModel):
    """Random axes: ``samples`` joint draws of every axis from ``seed``."""

    samples: Count = Field(description="Number of joint draws (at every grid point).")
    seed: Annotated[int, Strict(), Bounds(0)] = Field(default=0, description="Seed of the draws, >= 0.")
    axes: dict[str, DistributionSpec] = Field(
        min_length=1, description="Dotted scenario path -> distribution (`type`: fixed, uniform, normal, ...)."
    )


class SweepSpec(StrictModel):
    """A sweep: a base scenario, grid and random axes over dotted scenario paths, and the evaluation of a point."""

    schema_version: SchemaVersion = Field(description="Version of this file format; must be 1.")
    name: SafeName = Field(
        description="Sweep name; the default output folder is sweeps/<name>: ASCII letters, digits, '.', '_', '-'."
    )
    description: str = Field(default="", description="Free text.")
    base: Name = Field(description="Base scenario: a built-in name or a scenario file relative to this file.")
    evaluate: Literal["simulate", "cost"] = Field(
        description="simulate: a full simulation per point (summary.json's keys); cost: the cost model."
    )
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default={}, description="Dotted scenario path -> list of values; every combination is a point."
    )
    random: RandomAxes | None = Field(default=None, description="Random axes, drawn the same at every grid point.")
    plot: list[Name] | None = Field(
        default=None, description="Outputs on the plots page (default: every numeric output that varies)."
    )
    batch_size: Count | None = Field(
        default=None, description="Points per task sent to a worker (default: 1 for simulate, automatic for cost)."
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        grid = data.get("grid")
        rnd = data.get("random")
        axes = rnd.get("axes") if isinstance(rnd, Mapping) else None
        grid_paths = set(grid) if isinstance(grid, Mapping) else set()
        random_paths = set(axes) if isinstance(axes, Mapping) else set()
        found: Found = [
            (("random", "axes", p), "is also a grid axis; a path can be on one axis only", p)
            for p in sorted(grid_paths & random_paths, key=str)
        ]
        if not grid_paths and not isinstance(rnd, Mapping):
            found.append(((), "a sweep needs at least one axis: add grid or random.axes", None))
        return found

    @classmethod
    def _detail(cls, err: Mapping[str, Any]) -> InitErrorDetails:
        loc, msg = _friendly(cls, err)
        return InitErrorDetails(type=_error(err["type"], msg), loc=loc, input=err.get("input"))

    @property
    def axes(self) -> list[str]:
        """Every axis path: grid axes first, then random axes, in file order."""
        return [*self.grid, *(self.random.axes if self.random else {})]

    @property
    def n_points(self) -> int:
        n = math.prod(len(v) for v in self.grid.values())
        return n * (self.random.samples if self.random else 1)


@dataclass(frozen=True)
class SweepFile:
    """A validated sweep spec and its base scenario (loaded, with the resolved form points are applied to)."""

    spec: SweepSpec
    base: Scenario
    source: str

    @property
    def base_dict(self) -> dict[str, Any]:
        return resolved_scenario_dict(self.base)


def load_sweep_text(text: str, *, base_dir: str | os.PathLike[str] | None = None, source: str = "<text>") -> SweepFile:
    """Validate sweep YAML text, load its base scenario (relative to ``base_dir``) and check its axis paths."""
    data = _parse_yaml(text, source)
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError([Problem("", f"a sweep must be a mapping (schema_version, name, base, ...), got {what}")])
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_sweep_problems(exc), source) from None
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    candidate = folder / spec.base
    try:
        base = load_scenario(candidate if candidate.is_file() else spec.base)
    except ScenarioError as exc:
        raise ScenarioError([Problem(_join("base", p.path), p.message) for p in exc.problems], source) from None
    resolved = resolved_scenario_dict(base)
    problems = [Problem(_axis_loc(spec, path), msg) for path, msg in check_paths(resolved, spec.axes).items()]
    if problems:
        raise ScenarioError(problems, source)
    return SweepFile(spec, base, source)


def load_sweep(path: str | os.PathLike[str]) -> SweepFile:
    """Load a sweep file; :class:`ScenarioError` lists every problem (spec, base scenario, or axis paths)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ScenarioError([Problem("", f"sweep file not found: {p.resolve()}")], str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"cannot read {p.resolve()}: {exc}")], str(path)) from None
    return load_sweep_text(text, base_dir=p.resolve().parent, source=str(path))


def _sweep_problems(exc: ValidationError) -> list[Problem]:
    """Problems with paths in which an axis (a dotted path itself) is shown as a quoted key:
    ``random.axes['fleet.shells.0.orbit.altitude_km'].high``."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        head: tuple[Any, ...] = ()
        if loc[:2] == ("random", "axes") and len(loc) > 2:
            head, key, rest = loc[:2], loc[2], loc[3:]
        elif loc[:1] == ("grid",) and len(loc) > 1:
            head, key, rest = loc[:1], loc[1], loc[2:]
        path = _join(f"{format_loc(head)}[{key!r}]", format_loc(rest)) if head else format_loc(loc)
        out.append(Problem(path, err["msg"]))
    return out


def _join(a: str, b: str) -> str:
    if not b:
        return a
    return f"{a}{b}" if b.startswith("[") else f"{a}.{b}"


def _axis_loc(spec: SweepSpec, path: str) -> str:
    return f"grid[{path!r}]" if path in spec.grid else f"random.axes[{path!r}]"


# --------------------------------------------------------------------------------------------- dotted paths


class PathError(KeyError):
    """A dotted path that does not address a field of the scenario; ``str()`` says where and what is allowed."""

    def __str__(self) -> str:
        return str(self.args[0])


def _step(node: Any, part: str, done: str) -> tuple[Any, str | int]:
    """The child of ``node`` named by ``part`` (and the key or index used); ``done`` is the path so far."""
    where = done or "the scenario"
    if isinstance(node, dict):
        key = PATH_ALIASES.get(part, part) if not done else part
        if key not in node:
            allowed = ", ".join(sorted(map(str, node))) or "none (empty mapping)"
            raise PathError(f"{where} has no field {part!r}; allowed: {allowed}")
        return node[key], key
    if isinstance(node, list):
        names = [e.get("name") for e in node if isinstance(e, dict)]
        if part.lstrip("-").isdigit():
            i = int(part)
            if not 0 <= i < len(node):
                span = f"0-{len(node) - 1}" if node else "none: the list is empty"
                entries = f"{len(node)} entr{'y' if len(node) == 1 else 'ies'}"
                raise PathError(f"{where} has {entries}; index {i} is out of range ({span})")
            return node[i], i
        if part in names:
            return node[names.index(part)], names.index(part)
        named = f" or a name ({', '.join(map(str, names))})" if any(names) else ""
        raise PathError(f"{where} is a list: use an index 0-{len(node) - 1}{named}, got {part!r}")
    kind = "null" if node is None else type(node).__name__
    raise PathError(f"{where} is a value ({kind}), not a mapping or list; {part!r} cannot follow it")


_BRACKET = re.compile(r"\[(?:'([^']*)'|\"([^\"]*)\"|([^\[\]'\"]+))\]")


def split_path(path: str) -> list[str]:
    """The parts of a scenario path: dotted (``fleet.shells.1.orbit.altitude_km``) or with brackets as in error
    messages (``fleet.shells[1].orbit.altitude_km``, ``fleet.shells['dd.650'].design`` for a name holding a dot).
    :class:`PathError` for anything else."""
    parts: list[str] = []
    i, n = 0, len(path)
    bad = PathError(
        f"{path!r} is not a dotted path (e.g. fleet.shells.0.orbit.altitude_km or fleet.shells[0].orbit.altitude_km)"
    )
    while i < n:
        if path[i] == "[":
            m = _BRACKET.match(path, i)
            if m is None or not parts or path[i - 1] == ".":
                raise bad
            parts.append(next(g for g in m.groups() if g is not None).strip())
            i = m.end()
            if i < n and path[i] not in ".[":
                raise bad
            i += i < n and path[i] == "."
            continue
        j = i
        while j < n and path[j] not in ".[":
            j += 1
        if j == i:
            raise bad
        parts.append(path[i:j])
        i = j + (j < n and path[j] == ".")
        if i == n and path.endswith("."):
            raise bad
    if not parts or any(not p for p in parts):
        raise bad
    return parts


def _resolve(data: Any, path: str, fresh: set[int] | None = None) -> tuple[Any, str | int, str]:
    """The container holding the last part of ``path``, the key or index in it, and the canonical path.

    With ``fresh`` (ids of containers that are copies already, starting with ``data``), every container on the way
    that is not yet a copy is replaced in its parent by a shallow copy: setting a value then changes only copies,
    never the shared base (copy on write, much cheaper than a deep copy of the whole scenario).
    """
    parts = split_path(path)
    node, done = data, ""
    canonical: list[str] = []
    for part in parts[:-1]:
        parent = node
        node, key = _step(node, part, done)
        if fresh is not None and isinstance(node, dict | list) and id(node) not in fresh:
            node = dict(node) if isinstance(node, dict) else list(node)
            parent[key] = node
            fresh.add(id(node))
        canonical.append(str(key))
        done = ".".join(canonical)
    if not isinstance(node, dict | list):
        _step(node, parts[-1], done)  # raises with the message for a value
    _, key = _step(node, parts[-1], done)
    canonical.append(str(key))
    return node, key, ".".join(canonical)


def check_paths(resolved: Mapping[str, Any], paths: Sequence[str]) -> dict[str, str]:
    """Problems with dotted ``paths`` on a resolved scenario dict: path -> message (empty when all are fine)."""
    out: dict[str, str] = {}
    for p in paths:
        try:
            _resolve(resolved, p)
        except PathError as exc:
            out[p] = str(exc)
    return out


def set_path(data: dict[str, Any], path: str, value: Any, fresh: set[int] | None = None) -> None:
    """Set ``value`` at the dotted ``path`` of a resolved scenario dict (in place; see ``_resolve`` for ``fresh``).
    :class:`PathError` if the path does not exist."""
    container, key, _ = _resolve(data, path, fresh)
    container[key] = value


def apply_point(
    resolved: Mapping[str, Any], params: Mapping[str, Any], *, base_dir: str | os.PathLike[str] | None = None
) -> Scenario:
    """The scenario at one sweep point: ``params`` (dotted path -> value) set on a copy of the resolved base and
    validated by the scenario model. :class:`ScenarioError` names each bad path and value and what is allowed."""
    data = dict(resolved)
    fresh = {id(data)}
    problems: list[Problem] = []
    for path, value in params.items():
        try:
            set_path(data, path, value, fresh)
        except PathError as exc:
            problems.append(Problem(path, str(exc)))
    if problems:
        raise ScenarioError(problems)
    try:
        return Scenario.model_validate(data, context={"base_dir": Path(base_dir) if base_dir else Path.cwd()})
    except ValidationError as exc:
        shown = ", ".join(f"{p} = {_show_value(v)}" for p, v in params.items())
        problems = [Problem(p.path, f"{p.message} (at the point {shown})") for p in problems_from_validation_error(exc)]
        raise ScenarioError(problems) from None


def _show_value(v: Any) -> str:
    return fmt_number(v) if isinstance(v, int | float) and not isinstance(v, bool) else repr(v)
