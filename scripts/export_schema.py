"""Regenerate docs/scenario.schema.json and docs/scenario-reference.md from the scenario models.

python scripts/export_schema.py           # write both files
python scripts/export_schema.py --check   # exit 1 if either file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orbitgrid.scenario import scenario_json_schema
from orbitgrid.scenario.reference import render_reference_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCHEMA_PATH = DOCS / "scenario.schema.json"
REFERENCE_PATH = DOCS / "scenario-reference.md"


def generated() -> dict[Path, str]:
    """File path -> the text it should hold."""
    schema = scenario_json_schema()
    return {
        SCHEMA_PATH: json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
        REFERENCE_PATH: render_reference_markdown(schema),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        sys.stdout.write(f"{'out of date' if args.check else 'wrote'}: {path}\n")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
