"""Run directories: JSON and Parquet writing with stable keys, and the manifest that makes a run reproducible."""

from orbitgrid.results.run import RunWriter, package_versions, read_json

__all__ = ["RunWriter", "package_versions", "read_json"]
