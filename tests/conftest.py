"""Shared pytest fixtures, and the rule that a missing reference data set fails CI instead of skipping.

Two folders of real data feed the tests:

* ``tests/data`` ships with the repository (``tests/data/PROVENANCE.md``): the Vallado SGP4 verification files and
  small slices of the Starlink element sets. The ``reference_data`` fixture returns it; it is always there.
* the shared data folder (``../shared/data`` beside the repository, or ``$ORBITGRID_SHARED_DATA``) holds the larger
  sets (whole element sets, price and carbon series, raw traces). The ``shared_data`` fixture returns it, and
  ``shared_file`` one file in it; both skip the test when it is absent with :class:`DataMissing`.

With ``ORBITGRID_REQUIRE_DATA=1`` (``.ci/run`` sets it) a :class:`DataMissing` skip is reported as a failure, so a CI
run without the data cannot pass without having checked it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from pathlib import Path

import pytest

REFERENCE_DATA = Path(__file__).resolve().parent / "data"
REQUIRE_DATA_ENV = "ORBITGRID_REQUIRE_DATA"
SHARED_DATA_ENV = "ORBITGRID_SHARED_DATA"


class DataMissing(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """A skip because a shared data file is absent; a failure under ``ORBITGRID_REQUIRE_DATA=1``."""


def shared_data_dir() -> Path:
    """``$ORBITGRID_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    env = os.environ.get(SHARED_DATA_ENV)
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def require_shared(path: Path) -> Path:
    """``path`` if it exists, else skip (fail in CI) with :class:`DataMissing` naming it."""
    if not path.exists():
        raise DataMissing(
            f"shared data not found: {path} (the shared data folder sits beside the repository clone, "
            f"or set {SHARED_DATA_ENV}; {REQUIRE_DATA_ENV}=1 makes this a failure)",
            allow_module_level=True,
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder; skips the test (fails it in CI) if absent."""
    return require_shared(shared_data_dir())


@pytest.fixture(scope="session")
def shared_file() -> Callable[[str], Path]:
    """``shared_file("tle_starlink/x.tle")``: a file of the shared data folder; skips (fails in CI) if absent."""
    return lambda relative: require_shared(shared_data_dir() / relative)


@pytest.fixture(scope="session")
def examples_shared_data() -> Path:
    """``../shared/data`` beside the repository, which the scenarios in ``examples/`` name by relative path
    (``$ORBITGRID_SHARED_DATA`` cannot move it for them); skips (fails in CI) if absent."""
    return require_shared(Path(__file__).resolve().parents[1].parent / "shared" / "data")


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """``tests/data``: reference files shipped with the repository (see its PROVENANCE.md)."""
    return REFERENCE_DATA


def require_data() -> bool:
    return os.environ.get(REQUIRE_DATA_ENV, "") not in ("", "0")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and call.excinfo is not None and call.excinfo.errisinstance(DataMissing) and require_data():
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_DATA_ENV}=1 and the test needs data that is missing: {call.excinfo.value}"
