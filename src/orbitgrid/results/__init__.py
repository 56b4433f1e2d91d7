"""Run directories: JSON and Parquet writing with stable keys, and the manifest that makes a run reproducible."""

from orbitgrid.results.run import (
    STATUS_COMPLETE,
    RunDirError,
    RunWriter,
    package_versions,
    read_json,
    require_complete,
    run_status,
)

__all__ = [
    "STATUS_COMPLETE",
    "RunDirError",
    "RunWriter",
    "package_versions",
    "read_json",
    "require_complete",
    "run_status",
]
