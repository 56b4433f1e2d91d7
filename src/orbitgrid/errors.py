"""The one error type users see: :class:`OrbitgridError`.

Everything a user gives orbitgrid (a scenario, an element file, a trace, a node list, a series) and every limit a
run cannot exceed (memory, time, sizes) fails with an ``OrbitgridError`` whose message names the file, the field
path or line and column, what was found and what is allowed. The command line prints that message and exits with
status 2; any other exception is a bug (exit status 70, see ``orbitgrid.cli``).

This module imports nothing from orbitgrid, so every layer (physics included) may raise these errors.
"""

from __future__ import annotations

__all__ = ["InputError", "OrbitgridError", "ResourceLimitError"]


class OrbitgridError(Exception):
    """Base of every user-facing failure: ``str(exc)`` is the complete message, one problem per line."""


class InputError(OrbitgridError, ValueError):
    """A file or value a user gave is malformed or out of range (a ``ValueError`` too, for callers that catch
    those)."""


class ResourceLimitError(OrbitgridError):
    """A valid scenario this machine cannot run: its estimated peak memory or time exceeds what is available.
    ``fields`` names the scenario fields that drive the estimate."""

    def __init__(self, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = fields
