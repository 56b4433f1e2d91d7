"""The crash test (scripts/crash_test.py): jobs submitted while the server is SIGKILLed and restarted on loopback,
the history checked. Three kills on a ground-only fleet in the default suite, 100 kills with satellites in the
slow one; and the checker itself, shown to catch each kind of violation."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "crash_test.py"
_spec = importlib.util.spec_from_file_location("crash_test", _PATH)
assert _spec is not None and _spec.loader is not None
crash_test = importlib.util.module_from_spec(_spec)
sys.modules["crash_test"] = crash_test
_spec.loader.exec_module(crash_test)


def _history(*acks: tuple[str, str], infos: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for key, job in acks:
        rows += [
            {"type": "invoke", "f": "submit", "key": key},
            {"type": "ok", "f": "submit", "key": key, "job_id": job},
        ]
    for key in infos:
        rows += [{"type": "invoke", "f": "submit", "key": key}, {"type": "info", "f": "submit", "key": key}]
    return rows


INVOICE = {
    "period": "2027-04",
    "usage_usd": "1.00",
    "total_usd": "1.00",
    "reconciliation": {
        "ledger_usage_usd": "1.00",
        "lines_usage_usd": "1.00",
        "ledger_gpu_seconds": 10,
        "lines_gpu_seconds": 10,
    },
}
USAGE = {"gpu_seconds": 10, "amount_usd": "1.000000"}


def test_the_checker_catches_every_violation() -> None:
    ok = _history(("a", "j1"), ("b", "j2"))
    jobs = [{"id": "j1", "name": "a", "state": "queued"}, {"id": "j2", "name": "b", "state": "running"}]
    assert crash_test.check(ok, jobs, [(0, 1), (1, 1), (2, 5)], [INVOICE], USAGE)["acknowledged_jobs"] == 2
    with pytest.raises(AssertionError, match="acknowledged"):  # an acknowledged job lost
        crash_test.check(ok, jobs[:1], [], [INVOICE], USAGE)
    with pytest.raises(AssertionError, match="acknowledged"):  # stored twice
        crash_test.check(ok, [*jobs, {"id": "j3", "name": "a", "state": "queued"}], [], [INVOICE], USAGE)
    with pytest.raises(AssertionError, match="different jobs"):  # two answers for one key named two jobs
        crash_test.check(ok + _history(("a", "j9")), jobs, [], [INVOICE], USAGE)
    with pytest.raises(AssertionError, match="never submitted"):
        crash_test.check(ok, [*jobs, {"id": "j4", "name": "zz", "state": "queued"}], [], [INVOICE], USAGE)
    with pytest.raises(AssertionError, match="never acknowledged"):  # an unknown outcome that created a job
        crash_test.check(
            ok + _history(infos=("c",)), [*jobs, {"id": "j5", "name": "c", "state": "queued"}], [], [INVOICE], USAGE
        )
    with pytest.raises(AssertionError, match="decreased"):
        crash_test.check(ok, jobs, [(0, 5), (1, 4)], [INVOICE], USAGE)
    bad = {**INVOICE, "reconciliation": {**INVOICE["reconciliation"], "lines_usage_usd": "1.01"}}
    with pytest.raises(AssertionError, match="2027-04"):
        crash_test.check(ok, jobs, [], [bad], USAGE)


def test_sigkill_loses_no_accepted_job(tmp_path: Path) -> None:
    summary = crash_test.run(3, tmp_path, cycle_s=(2.5, 4.0), ground_only=True)
    assert summary["acknowledged_jobs"] == summary["jobs_stored"] > 0
    assert summary["unresolved_keys"] == 0 and summary["usage_reads"] > 0


@pytest.mark.slow
def test_sigkill_100_times(tmp_path: Path) -> None:
    summary = crash_test.run(100, tmp_path)
    assert summary["acknowledged_jobs"] == summary["jobs_stored"] > 0 and summary["unresolved_keys"] == 0
