"""The published JSON Schema and Markdown reference are up to date, and every field is described."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orbitgrid.scenario import scenario_json_schema
from orbitgrid.scenario.reference import render_reference_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "regenerate with: python scripts/export_schema.py"


def test_exported_schema_matches_the_models() -> None:
    published = json.loads((DOCS / "scenario.schema.json").read_text(encoding="utf-8"))
    assert published == scenario_json_schema(), REGENERATE


def test_reference_matches_the_schema() -> None:
    published = (DOCS / "scenario-reference.md").read_text(encoding="utf-8")
    assert published == render_reference_markdown(scenario_json_schema()), REGENERATE


def test_every_field_has_a_description() -> None:
    schema = scenario_json_schema()
    models: dict[str, Any] = {"Scenario": schema, **schema["$defs"]}
    missing = [
        f"{model}.{field}"
        for model, spec in models.items()
        for field, prop in spec["properties"].items()
        if not prop.get("description")
    ]
    assert missing == []
    assert all(spec.get("description") for spec in models.values())


def test_reference_has_a_section_per_model() -> None:
    schema = scenario_json_schema()
    text = render_reference_markdown(schema)
    for name in ["Scenario", *schema["$defs"]]:
        assert f"\n## {name}\n" in text
    assert "| `altitude_km` | number | required | [160, 40000] |" in text
