"""Reading scenarios: YAML files, built-ins by name, and the resolved form written into run manifests.

YAML is read with PyYAML's safe loader plus these changes: a key repeated in one mapping is an error (PyYAML
would keep the last silently); exponent floats without a dot (``1e6``) are numbers as in YAML 1.2 (PyYAML,
following YAML 1.1, would read them as strings); an impossible date (``2027-02-30``), an integer of more than
``MAX_INT_DIGITS`` digits, a YAML 1.1 base-60 number (``1:30``, which PyYAML would read as 90) and nesting deeper
than ``MAX_NESTING`` levels are errors naming the line and column.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from orbitgrid.scenario.catalog import catalog_dir
from orbitgrid.scenario.errors import Problem, ScenarioError, problems_from_validation_error
from orbitgrid.scenario.models import Scenario

_SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")

#: Deepest nesting of lists and mappings read (a scenario needs 6; PyYAML's recursive composer fails near 1,000).
MAX_NESTING = 64
#: Longest integer read, in digits: every count, seed and size of a scenario has at most 19 (int64); Python refuses
#: to convert more than 4,300.
MAX_INT_DIGITS = 30


class _ScenarioYamlLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys, impossible dates, huge and base-60 integers, and reads ``1e6`` as a
    float."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date and time ({exc})", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        text = str(node.value)
        if ":" in text:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{text!r} is a YAML 1.1 base-60 number, which is not accepted: write a plain number, or a duration "
                "such as '1h30m' (quoted times of day and durations are strings)",
                node.start_mark,
            )
        digits = sum(c.isdigit() for c in text)
        if digits > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"an integer of {digits:,} digits is too large: at most {MAX_INT_DIGITS} digits are read",
                node.start_mark,
            )
        return super().construct_yaml_int(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = key in first_line
            except TypeError:  # unhashable key: the base class reports it
                continue
            if seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first_line[key] + 1})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _ScenarioYamlLoader.construct_yaml_timestamp)
_ScenarioYamlLoader.add_constructor("tag:yaml.org,2002:int", _ScenarioYamlLoader.construct_yaml_int)
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_ScenarioYamlLoader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789."))


class _ScenarioYamlDumper(yaml.SafeDumper):
    """Safe dumper that knows the loader's extra float form, so a string such as ``"0E0"`` is written quoted and
    reads back as the same string."""


_ScenarioYamlDumper.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789."))


def dump_scenario_yaml(data: Any) -> str:
    """YAML text that :func:`load_scenario_text` reads back as ``data`` (keys in the given order)."""
    return yaml.dump(data, Dumper=_ScenarioYamlDumper, sort_keys=False, allow_unicode=True)


def _check_nesting(text: str) -> None:
    """Raise a MarkedYAMLError at the first list or mapping nested deeper than ``MAX_NESTING`` (PyYAML's parser is
    iterative, its composer recursive: this pass keeps deep input from reaching the composer)."""
    depth = 0
    for event in yaml.parse(text, Loader=_ScenarioYamlLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise yaml.MarkedYAMLError(
                    None, None, f"lists and mappings nested more than {MAX_NESTING} levels deep", event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _parse_yaml(text: str, source: str) -> Any:
    try:
        _check_nesting(text)
        return yaml.load(text, Loader=_ScenarioYamlLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = ", ".join(str(s) for s in (exc.context, exc.problem) if s)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ScenarioError([Problem("", f"invalid YAML{where}: {what}")], source) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem("", f"invalid YAML: {exc}")], source) from None


def load_scenario_text(
    text: str, *, base_dir: str | os.PathLike[str] | None = None, source: str = "<text>"
) -> Scenario:
    """Validate scenario YAML (or JSON) text. Relative element-file paths resolve against ``base_dir``
    (default: the current directory). Raises :class:`ScenarioError` listing every problem."""
    data = _parse_yaml(text, source)
    if data is None:
        raise ScenarioError([Problem("", "the scenario is empty")], source)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ScenarioError(
            [Problem("", f"a scenario must be a mapping of fields (schema_version, name, ...), got {kind}")],
            source,
        )
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    try:
        return Scenario.model_validate(data, context={"base_dir": base})
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation_error(exc), source) from None


def _scenarios_dir() -> Any:
    return catalog_dir().joinpath("scenarios")


@functools.cache
def _builtins() -> dict[str, str]:
    """Built-in scenario name -> YAML text."""
    entries = [e for e in _scenarios_dir().iterdir() if e.name.endswith(".yaml")]
    return {e.name[: -len(".yaml")]: e.read_text(encoding="utf-8") for e in sorted(entries, key=lambda e: e.name)}


def list_builtin_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every built-in scenario, sorted by name; the description on one line."""
    out = []
    for name, text in _builtins().items():
        data = yaml.safe_load(text)
        description = data.get("description", "") if isinstance(data, dict) else ""
        out.append((name, " ".join(str(description).split())))
    return out


def builtin_scenario_text(name: str) -> str:
    """The YAML text of a built-in scenario (for ``orbitgrid scenario show NAME``)."""
    try:
        return _builtins()[name]
    except KeyError:
        raise ScenarioError(
            [Problem("", f"no built-in scenario called {name!r}; built-in scenarios: {', '.join(_builtins())}")],
            name,
        ) from None


def load_scenario(source: str | os.PathLike[str]) -> Scenario:
    """Load a scenario from a YAML file, or a built-in scenario by name (an existing file of that name wins).

    Raises :class:`ScenarioError` (a ``ValueError``) whose ``problems`` list everything wrong with it.
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.is_file():
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError([Problem("", f"cannot read {path.resolve()}: {exc}")], text) from None
        return load_scenario_text(content, base_dir=path.resolve().parent, source=str(path))
    looks_like_path = (
        isinstance(source, os.PathLike) or path.suffix.lower() in _SCENARIO_SUFFIXES or "/" in text or os.sep in text
    )
    if not looks_like_path and text in _builtins():
        folder = Path(str(_scenarios_dir()))
        return load_scenario_text(_builtins()[text], base_dir=folder if folder.is_dir() else None, source=text)
    if looks_like_path or path.exists():
        what = "is not a file" if path.exists() else "not found"
        raise ScenarioError([Problem("", f"scenario file {what}: {path.resolve()}")], text)
    known = ", ".join(_builtins())
    message = f"no scenario file or built-in scenario called {text!r}; built-in scenarios: {known}"
    raise ScenarioError([Problem("", message)], text)


def resolved_scenario_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-ready data with every default filled in, for the run manifest.

    Durations are seconds, the epoch is ISO 8601 UTC, element files are absolute paths, and ``designs`` holds
    every design the fleet uses (catalog designs copied in), so loading this dict again gives the same
    scenario.
    """
    data = scenario.model_dump(mode="json")
    data["designs"] = {name: d.model_dump(mode="json") for name, d in scenario.resolved_designs().items()}
    return data


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, as published in ``docs/scenario.schema.json``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Scenario.model_json_schema(mode="validation"),
    }
