"""Changing fields of a validated scenario: ``Scenario.replace``.

A change names a field by its path in the resolved scenario (every default filled in, catalog designs copied under
``designs``), in the form error messages use (``fleet.shells[1].orbit.altitude_km``) or the dotted form of sweep
files (``fleet.shells.1.orbit.altitude_km``, ``fleet.shells.dawn-dusk-650.orbit.altitude_km``); the value is what
the scenario file would hold there. A mapping given for a block is merged into it key by key (``policy={"power_aware":
True}`` changes one field of ``policy``), except that a mapping whose ``type`` differs from the block's replaces it
whole (a Walker orbit in place of a sun-synchronous one); lists and other values replace what was there. The result
is validated by the scenario model, so a wrong path or value raises :class:`ScenarioError` naming the path and what
is allowed, exactly as loading a file with that change would.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from orbitgrid.scenario.errors import Problem, ScenarioError, problems_from_validation_error
from orbitgrid.scenario.loader import resolved_scenario_dict
from orbitgrid.scenario.models import Scenario
from orbitgrid.scenario.sweep import PathError, _resolve

__all__ = ["replace_fields"]


def _plain(value: Any) -> Any:
    """A scenario model given as a value becomes the data a file would hold (so it can be merged and validated)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _merge(old: Any, new: Any) -> Any:
    """``new`` merged into ``old`` (both plain data; see the module docstring for the rule)."""
    if not (isinstance(old, dict) and isinstance(new, Mapping)):
        return new
    if "type" in new and "type" in old and new["type"] != old["type"]:
        return dict(new)
    out = dict(old)
    for key, value in new.items():
        out[key] = _merge(old[key], value) if key in old else value
    return out


def replace_fields(scenario: Scenario, changes: Mapping[str, Any]) -> Scenario:
    """A new scenario: ``scenario`` with ``changes`` (path -> value) applied and validated (module docstring).
    :class:`ScenarioError` lists every bad path and every value the model refuses, with what is allowed."""
    data = resolved_scenario_dict(scenario)  # a fresh copy: changing it leaves ``scenario`` as it was
    problems: list[Problem] = []
    for path, value in changes.items():
        if not isinstance(path, str):
            problems.append(Problem(str(path), f"a field path must be a string, got {type(path).__name__}"))
            continue
        try:
            container, key, _ = _resolve(data, path)
        except PathError as exc:
            problems.append(Problem(path, str(exc)))
            continue
        container[key] = _merge(container[key], _plain(value))
    if problems:
        raise ScenarioError(problems)
    base = scenario.source_dir if scenario.source_dir is not None else Path.cwd()
    try:
        return Scenario.model_validate(data, context={"base_dir": base})
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation_error(exc)) from None
