"""The reference files shipped in ``tests/data`` are what PROVENANCE.md says, and a missing shared file fails CI."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parent / "conftest.py"


@pytest.mark.parametrize(
    ("name", "sha256_prefix"),
    [("sgp4_verification/SGP4-VER.TLE", "d246d1d9d768ace4"), ("sgp4_verification/tcppver.out", "687bf28dbe52df86")],
)
def test_vallado_files_are_the_python_sgp4_release_files(reference_data: Path, name: str, sha256_prefix: str) -> None:
    digest = hashlib.sha256((reference_data / name).read_bytes()).hexdigest()
    assert digest.startswith(sha256_prefix)
    assert sha256_prefix in (reference_data / "PROVENANCE.md").read_text()


def _records(text: str) -> list[tuple[str, str, str]]:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return [(lines[k], lines[k + 1], lines[k + 2]) for k in range(0, len(lines), 3)]


def test_starlink_slice_is_the_stated_selection_of_the_snapshot(
    reference_data: Path, shared_file: Callable[[str], Path]
) -> None:
    full = _records(shared_file("tle_starlink/starlink_frozen_20260224_1413Z.tle").read_text())
    shipped = _records((reference_data / "tle_starlink" / "starlink_20260224_1413Z_slice.tle").read_text())
    assert shipped == [full[k] for k in range(0, len(full), 40)] + [full[790], full[791], full[1656]]


def test_starlink_2023_slice_is_the_first_ten_records(reference_data: Path, shared_file: Callable[[str], Path]) -> None:
    full = shared_file("tle_starlink/starlink_2023-07-18_wdlctc.tle").read_text().splitlines()
    assert (reference_data / "tle_starlink" / "starlink_20230718_first10.tle").read_text().splitlines() == full[:30]


@pytest.mark.parametrize(("require", "outcome"), [("", {"skipped": 1}), ("1", {"failed": 1}), ("0", {"skipped": 1})])
def test_missing_shared_data_skips_locally_and_fails_when_required(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, require: str, outcome: dict[str, int]
) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("def test_needs_data(shared_file):\n    shared_file('no/such/file.csv')\n")
    monkeypatch.setenv("ORBITGRID_SHARED_DATA", str(pytester.path / "absent"))
    monkeypatch.setenv("ORBITGRID_REQUIRE_DATA", require)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**outcome)


def test_other_skips_stay_skips_when_data_is_required(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile("import pytest\n\ndef test_no_browser():\n    pytest.skip('no chromium')\n")
    monkeypatch.setenv("ORBITGRID_REQUIRE_DATA", "1")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(skipped=1)
