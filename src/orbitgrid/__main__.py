"""``python -m orbitgrid``: the same command line as the ``orbitgrid`` script."""

from orbitgrid.cli import main

main()
