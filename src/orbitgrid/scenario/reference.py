"""Render the scenario JSON Schema as a Markdown reference (``docs/scenario-reference.md``).

One section per model, root first, then the models in the order they are first referenced; each section is a
table of field, type, default, allowed values and description, all read from the schema.
"""

from __future__ import annotations

import json
from typing import Any

_INTRO = """\
# Scenario file reference

Generated from the JSON Schema (`docs/scenario.schema.json`) by `scripts/export_schema.py`; do not edit by
hand.

A scenario is a YAML file (JSON works too) that `orbitgrid.scenario.load_scenario` validates. Unknown keys are
errors, numbers must be written unquoted, and every problem in a file is reported at once, one line each, e.g.
`fleet.shells[1].orbit.altitude_km: must be between 160 and 40000, got 90`. Units are in the field names.
Durations (`duration`, `step`) take `24h`, `1h30m`, `90min`, `60s`, `7d` or a number of seconds. Relative
element file paths are relative to the scenario file's folder. Design and GPU names come from the catalog
(`src/orbitgrid/scenario/catalog/`), and a scenario's own `designs` add to or replace the catalog designs.

Allowed ranges use interval notation: `[a, b]` includes both ends, `(a, b]` excludes `a`.
"""


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _link(ref: str) -> str:
    name = _name(ref)
    return f"[{name}](#{name.lower()})"


def _value(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return json.dumps(v, ensure_ascii=False)


def _type(s: dict[str, Any]) -> str:
    if "$ref" in s:
        return _link(s["$ref"])
    if "oneOf" in s:
        return "one of " + ", ".join(_type(x) for x in s["oneOf"])
    if "anyOf" in s:
        return " or ".join(_type(x) for x in s["anyOf"])
    if "const" in s:
        return f"`{_value(s['const'])}`"
    t = s.get("type")
    if t == "array":
        return f"list of {_type(s.get('items', {}))}"
    if t == "object" and isinstance(s.get("additionalProperties"), dict):
        return f"mapping of name to {_type(s['additionalProperties'])}"
    if t == "string" and "format" in s:
        return {"date-time": "date-time string", "path": "path"}.get(s["format"], f"string ({s['format']})")
    return str(t) if t else "any"


def _interval(s: dict[str, Any]) -> str:
    lo = s.get("minimum", s.get("exclusiveMinimum"))
    hi = s.get("maximum", s.get("exclusiveMaximum"))
    if lo is None and hi is None:
        return ""
    if lo is not None and hi is not None:
        left = "(" if "exclusiveMinimum" in s else "["
        right = ")" if "exclusiveMaximum" in s else "]"
        return f"{left}{_value(lo)}, {_value(hi)}{right}"
    if lo is not None:
        return f"{'>' if 'exclusiveMinimum' in s else '>='} {_value(lo)}"
    return f"{'<' if 'exclusiveMaximum' in s else '<='} {_value(hi)}"


def _allowed(s: dict[str, Any]) -> str:
    parts = []
    if "enum" in s:
        parts.append("one of " + ", ".join(f"`{v}`" for v in s["enum"]))
    interval = _interval(s)
    if interval:
        parts.append(interval)
    for option in s.get("anyOf", []):
        sub = _allowed(option)
        if sub:
            parts.append(sub)
    if "minLength" in s:
        parts.append("non-empty" if s["minLength"] == 1 else f"at least {s['minLength']} characters")
    if "maxLength" in s:
        parts.append(f"at most {s['maxLength']} characters")
    if "minProperties" in s:
        parts.append(f"at least {s['minProperties']} entr{'y' if s['minProperties'] == 1 else 'ies'}")
    if "propertyNames" in s and "enum" in s["propertyNames"]:
        parts.append("keys: " + ", ".join(f"`{v}`" for v in s["propertyNames"]["enum"]))
    if isinstance(s.get("additionalProperties"), dict):
        sub = _allowed(s["additionalProperties"])
        if sub:
            parts.append(f"values {sub}")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _refs(s: Any) -> list[str]:
    """Model names referenced anywhere inside ``s``, in order of appearance."""
    if isinstance(s, dict):
        found = [_name(s["$ref"])] if "$ref" in s else []
        for key, v in s.items():
            if key != "discriminator":
                found += _refs(v)
        return found
    if isinstance(s, list):
        return [name for item in s for name in _refs(item)]
    return []


def _section(title: str, model: dict[str, Any]) -> list[str]:
    lines = [f"## {title}", ""]
    if model.get("description"):
        lines += [model["description"].replace("``", "`"), ""]
    required = set(model.get("required", []))
    lines += ["| field | type | default | allowed | description |", "|---|---|---|---|---|"]
    for field, s in model.get("properties", {}).items():
        default = "required" if field in required else (f"`{_value(s['default'])}`" if "default" in s else "")
        row = [f"`{field}`", _type(s), default, _allowed(s), s.get("description", "")]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def render_reference_markdown(schema: dict[str, Any]) -> str:
    """The Markdown reference for a scenario JSON Schema (as returned by ``scenario_json_schema()``)."""
    defs: dict[str, Any] = schema.get("$defs", {})
    order: list[str] = []
    pending = _refs(schema.get("properties", {}))
    while pending:
        name = pending.pop(0)
        if name not in order and name in defs:
            order.append(name)
            pending += _refs(defs[name].get("properties", {}))
    order += [name for name in defs if name not in order]
    lines = [_INTRO]
    lines += _section(schema.get("title", "Scenario"), schema)
    for name in order:
        lines += _section(name, defs[name])
    return "\n".join(lines).rstrip() + "\n"
