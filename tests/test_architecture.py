"""The layer contracts in pyproject.toml hold (import-linter), the code is lint-clean (ruff) and type-checks (mypy)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("lint-imports", []),
        ("ruff", ["check", "src", "tests", "benchmarks", "scripts"]),
        ("mypy", []),  # files and options from [tool.mypy]
    ],
)
def test_tool_passes(tool: str, args: list[str]) -> None:
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"{tool} not installed (it is in the test extras)")
    res = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
