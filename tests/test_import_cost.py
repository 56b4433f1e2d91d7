"""``import orbitgrid.api`` loads the scenario layer only (issue 14: under a second on the 2-core machine, measured
by ``benchmarks/startup.py``): the heavy libraries are imported where they are used. A fresh interpreter lists
what the import loaded; a module that starts importing one of them at module level fails this test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orbitgrid

#: Libraries a scenario script does not need until it runs something (each costs 0.1-1 s of CPU to import).
HEAVY = ("scipy", "numba", "llvmlite", "pyarrow", "plotly", "pandas", "typer", "rich", "fastapi", "sqlalchemy")


def test_import_orbitgrid_api_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import orbitgrid.api\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(orbitgrid.__file__).resolve().parents[1])}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == []
