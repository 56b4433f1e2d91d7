"""Compiled kernels that cost nothing until they run, and can run as plain Python.

``@kernel(cache=True, ...)`` replaces ``@numba.njit(cache=True, ...)`` on orbitgrid's kernels. It returns a
``Kernel``: numba is imported, and the function handed to ``numba.njit``, only when the kernel is first called in
compiled mode (or typed by another kernel being compiled). Loading numba and its cached machine code costs ~1 s of a
process (``import numba`` 0.2 s with the ``scipy.linalg`` it loads, its one-time typing registries ~0.4 s, ~20 ms a
cached kernel; ``docs/benchmarks.md``, *Startup*), more than a small run's whole computation.

Two modes, per thread (``compiled`` unless ``set_mode`` or ``using`` says otherwise in that thread, so runs in
concurrent threads, as a sweep's on dask workers, never see each other's; ``api.simulate`` and ``api.orbit`` run a
scenario in the mode ``pipeline.preflight.kernel_mode`` picks from its size and the ``ORBITGRID_KERNELS`` environment
variable, ``auto`` by default):

- ``compiled``: every kernel runs numba's machine code (cached on disk, ``orbitgrid._numba_cache``); a call from
  Python costs ~0.3 us more than calling numba's dispatcher (the wrapper's ``__call__`` and its thread-local mode
  test: ~0.03 s of the default scenario's 106,000 calls);
- ``python``: every kernel runs its Python source (``Kernel.py_func``), numba is never imported; the stages whose
  kernels are too slow as Python loops (the shadow survey, the capacity stepping) take their numpy twins instead
  (``python_mode()`` is what they test).

Inside compiled code a ``Kernel`` called by another kernel is typed as its numba dispatcher (a ``typeof``
registration made when numba is loaded, which also swaps every module's ``prange`` for numba's), and numba's
inliner reads ``targetoptions`` and ``py_func`` from it as it does from a dispatcher, so ``inline="always"`` keeps
working across the wrapper.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

MODES = ("auto", "compiled", "python")
ENV = "ORBITGRID_KERNELS"


def _python_prange(*args: int) -> range:
    """``numba.prange`` without importing numba: ``range`` as Python (``prange`` until numba is loaded)."""
    return range(*args)


#: ``numba.prange`` once numba is loaded (``_load_numba``), ``range`` before.
prange: Callable[..., Any] = _python_prange

_local = threading.local()  # ``python``: True while this thread runs kernels as Python
_lock = threading.Lock()
_registered = False


def requested_mode() -> str:
    """The mode the environment asks for (``ORBITGRID_KERNELS``, default ``auto``); raises on an unknown value."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if value not in MODES:
        from orbitgrid.errors import InputError

        raise InputError(f"environment variable {ENV}={value!r}: allowed values are {', '.join(MODES)}")
    return value


def set_mode(mode: str) -> None:
    """Run kernels ``compiled`` or as ``python`` from now on in this thread."""
    if mode not in ("compiled", "python"):
        raise ValueError(f"kernel mode {mode!r}: allowed values are compiled, python")
    _local.python = mode == "python"


def mode() -> str:
    return "python" if python_mode() else "compiled"


@contextlib.contextmanager
def using(new_mode: str) -> Iterator[None]:
    """Run this thread's kernels in ``new_mode`` inside the block, then as before."""
    before = mode()
    set_mode(new_mode)
    try:
        yield
    finally:
        set_mode(before)


def python_mode() -> bool:
    """True when this thread runs kernels as Python (a stage with a numpy twin then takes it)."""
    return getattr(_local, "python", False)


def _load_numba() -> None:
    """Once, when the first kernel is wrapped: let numba type a ``Kernel`` met as a global of a kernel it compiles
    (as the kernel's own dispatcher), and make every module's ``prange`` numba's (numba recognises it by identity;
    modules imported later get it from here)."""
    global _registered, prange
    with _lock:
        if _registered:
            return
        import sys

        import numba
        from numba.extending import typeof_impl

        @typeof_impl.register(Kernel)
        def _typeof_kernel(val: Kernel, c: Any) -> Any:
            return typeof_impl(val.dispatcher, c)

        for module in list(sys.modules.values()):
            scope = getattr(module, "__dict__", None)
            if isinstance(scope, dict) and module is not sys.modules[__name__]:
                for name in [k for k, v in list(scope.items()) if v is _python_prange]:
                    scope[name] = numba.prange
        prange = numba.prange
        _registered = True


class Kernel:
    """A numba kernel compiled on first compiled use; see the module docstring."""

    def __init__(self, py_func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.py_func = py_func
        self.targetoptions = dict(options)
        self._dispatcher: Any = None
        self.__name__ = py_func.__name__
        self.__qualname__ = py_func.__qualname__
        self.__module__ = py_func.__module__
        self.__doc__ = py_func.__doc__

    @property
    def dispatcher(self) -> Any:
        """The numba dispatcher (numba imported and the function wrapped on first access; compiled on first call)."""
        d = self._dispatcher
        if d is None:
            _load_numba()
            import numba

            with _lock:
                if self._dispatcher is None:
                    self._dispatcher = numba.njit(**self.targetoptions)(self.py_func)
                d = self._dispatcher
        return d

    def __call__(self, *args: Any) -> Any:
        if getattr(_local, "python", False):
            return self.py_func(*args)
        d = self._dispatcher
        return (d if d is not None else self.dispatcher)(*args)

    def __getattr__(self, name: str) -> Any:  # stats, signatures, overloads...: the dispatcher's
        if name.startswith("__"):  # copy, pickle and friends probing for hooks: not numba's business
            raise AttributeError(name)
        return getattr(self.dispatcher, name)

    def __repr__(self) -> str:
        return f"<orbitgrid kernel {self.__module__}.{self.__qualname__}>"


def kernel(**options: Any) -> Callable[[Callable[..., Any]], Kernel]:
    """``numba.njit(**options)`` made lazy (module docstring)."""

    def wrap(fn: Callable[..., Any]) -> Kernel:
        return Kernel(fn, options)

    return wrap


def num_threads() -> int:
    """Threads numba's parallel kernels use (imports numba: call it only on the compiled path)."""
    import numba

    return int(numba.get_num_threads())


def set_num_threads(n: int) -> None:
    import numba

    numba.set_num_threads(n)
