"""Where compiled kernels are cached when the installed package folder is not writable (``orbitgrid._numba_cache``).

The choice is tested with a stand-in for the writability check (this suite may run as root, for whom every folder
is writable), and end to end: a child interpreter whose ``NUMBA_CACHE_DIR`` is set by that choice compiles a cached
kernel and a second child loads it from there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orbitgrid
from orbitgrid._numba_cache import choose_cache_dir


def test_a_writable_package_or_an_explicit_cache_dir_is_left_alone(tmp_path: Path) -> None:
    pkg = tmp_path / "site-packages" / "orbitgrid"
    assert choose_cache_dir(pkg, {}, writable=lambda p: True) is None
    assert choose_cache_dir(pkg, {"NUMBA_CACHE_DIR": "/x"}, writable=lambda p: False) is None


def test_a_read_only_package_falls_back_to_the_user_cache_then_the_temp_dir(tmp_path: Path) -> None:
    pkg = tmp_path / "site-packages" / "orbitgrid"
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    chosen = choose_cache_dir(pkg, env, writable=lambda p: p != pkg)
    assert chosen == str(tmp_path / "cache" / "orbitgrid" / "numba")
    user = tmp_path / "cache" / "orbitgrid" / "numba"
    chosen = choose_cache_dir(pkg, env, writable=lambda p: p not in (pkg, user))
    assert chosen is not None and Path(chosen).name.startswith("orbitgrid-numba-")
    assert choose_cache_dir(pkg, env, writable=lambda p: False) is None  # numba's own behaviour then


def test_kernels_cache_into_the_chosen_folder(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    src = str(Path(orbitgrid.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src, "NUMBA_CACHE_DIR": str(cache)}
    code = (
        "import numpy as np\n"
        "from orbitgrid.scheduling.inference import _sift_down as f\n"
        "f(np.array([3.0, 1.0, 2.0]), 3)\n"
        "print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert any(cache.rglob("*.nbi")), "no index written to NUMBA_CACHE_DIR"
    runs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600))
    assert runs[1].returncode == 0, runs[1].stderr
    assert [r.stdout.split() for r in runs] == [["0", "1"], ["1", "0"]]  # compiled and saved, then loaded
