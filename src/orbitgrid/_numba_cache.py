"""Where numba caches orbitgrid's compiled kernels, chosen before numba is imported.

Every kernel is compiled with ``cache=True``: numba writes the machine code beside the source (``__pycache__`` in
the installed package) and later processes load it instead of compiling (the first run's ~35 s of compiling,
docs/benchmarks.md, *Startup*). When the package folder is not writable (a system-wide or read-only install),
numba itself tries its user-wide cache folder; if that is not writable either, decorating a kernel raises and
nothing imports. So, unless ``NUMBA_CACHE_DIR`` is set (it always wins), an installed orbitgrid whose folder is not
writable gets ``NUMBA_CACHE_DIR`` set to the first writable of ``$XDG_CACHE_HOME/orbitgrid/numba`` (default
``~/.cache``) and ``<temp dir>/orbitgrid-numba-<uid>``; with none writable, caching is left to numba (each run then
compiles again).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path


def _writable(path: Path) -> bool:
    """``path`` exists and is writable, or can be created."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def choose_cache_dir(
    package_dir: Path,
    env: Mapping[str, str],
    writable: Callable[[Path], bool] = _writable,
) -> str | None:
    """The ``NUMBA_CACHE_DIR`` to set, or ``None`` to leave numba's own choice (module docstring)."""
    if env.get("NUMBA_CACHE_DIR") or writable(package_dir):
        return None
    import tempfile  # only here: every orbitgrid import runs this module

    uid = os.getuid() if hasattr(os, "getuid") else "user"
    home_cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    for candidate in (home_cache / "orbitgrid" / "numba", Path(tempfile.gettempdir()) / f"orbitgrid-numba-{uid}"):
        if writable(candidate):
            return str(candidate)
    return None


def configure(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Set ``NUMBA_CACHE_DIR`` when the package folder is not writable (module docstring); returns what it set."""
    chosen = choose_cache_dir(Path(__file__).resolve().parent, environ)
    if chosen is not None:
        environ["NUMBA_CACHE_DIR"] = chosen
        config = sys.modules.get("numba.core.config")
        if config is not None:  # numba was imported first: its config has already read the environment
            config.CACHE_DIR = chosen  # type: ignore[attr-defined]
    return chosen
