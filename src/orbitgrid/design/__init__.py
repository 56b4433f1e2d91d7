"""Design: size a compute satellite and tally its mass budget (``design.size``); run sweeps of scenario variants
through a local process pool or a dask.distributed cluster (``design.sweep``).

The package imports nothing itself, so ``import orbitgrid.design.size`` does not load the sweep machinery.
"""
