"""Inputs shared by the API tests (a module with a unique name: every test directory has a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orbitgrid.api import Run

ROOT = Path(__file__).resolve().parents[2]

#: Every stage of a run in a few seconds: the scenario docs/python-api.md uses.
EXAMPLE = ROOT / "examples" / "notebook.yaml"


@dataclass(frozen=True)
class Pair:
    """A CLI run directory and the in-memory run of the same scenario, seed and command line."""

    cli_dir: Path
    run: Run
