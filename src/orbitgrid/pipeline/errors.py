"""Errors of a valid scenario that a run cannot carry out (the CLI prints the message and exits with status 2)."""

from __future__ import annotations

from orbitgrid.errors import OrbitgridError


class ScenarioRunError(OrbitgridError, ValueError):
    """A valid scenario this run cannot carry out; the message names the file or field and what to change."""
