from orbitgrid import _numba_cache

__version__ = "0.1.0"

_numba_cache.configure()  # before any kernel is decorated (a read-only install still caches its kernels)
