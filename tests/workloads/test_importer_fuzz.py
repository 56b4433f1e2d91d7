"""Damaged trace files never crash an importer: every preset's sample file, mutated at random (bytes deleted,
inserted or replaced, lines cut, repeated or swapped, fields emptied or replaced by text), either imports or raises
TraceFormatError naming the file; nothing else escapes (a traceback would be a bug, issue 16 item 4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orbitgrid.workloads.importers.jobs import JOB_PRESETS, import_jobs
from orbitgrid.workloads.importers.nodes import NODE_PRESETS, import_nodes
from orbitgrid.workloads.importers.requests import REQUEST_PRESETS, import_requests
from orbitgrid.workloads.traces import TraceFormatError

DATA = Path(__file__).resolve().parents[1] / "data" / "traces"
MUTANTS = 120  # per sample file; seeded, so every run tries the same files

CASES = [
    ("openb_pods.csv", lambda p: import_jobs(p, JOB_PRESETS["alibaba_openb"].mapping)),
    ("pai_task_table.csv", lambda p: import_jobs(p, JOB_PRESETS["alibaba_pai_2020"].mapping)),
    ("philly_cluster_job_log.json", lambda p: import_jobs(p, JOB_PRESETS["philly"].mapping)),
    ("helios_cluster_log.csv", lambda p: import_jobs(p, JOB_PRESETS["helios"].mapping)),
    ("acme_trace_seren.csv", lambda p: import_jobs(p, JOB_PRESETS["acme"].mapping)),
    ("azure_code_2023.csv", lambda p: import_requests(p, REQUEST_PRESETS["azure_code_2023"].mapping)),
    ("burstgpt.csv", lambda p: import_requests(p, REQUEST_PRESETS["burstgpt"].mapping)),
    ("mooncake.jsonl", lambda p: import_requests(p, REQUEST_PRESETS["mooncake"].mapping)),
    ("openb_nodes.csv", lambda p: import_nodes(p, NODE_PRESETS["alibaba_openb"].mapping)),
    ("pai_machine_spec.csv", lambda p: import_nodes(p, NODE_PRESETS["alibaba_pai_2020"].mapping)),
]

_TEXT = [b"", b"x", b"-1", b"1e400", b"nan", b"None", b"\xff", b",", b"\n", b'"', b"{", b"2020-13-45 99:99:99"]


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random damage of ``data``."""
    kind = int(rng.integers(7))
    n = len(data)
    i = int(rng.integers(max(n, 1)))
    if kind == 0:  # delete a run of bytes
        return data[:i] + data[i + int(rng.integers(1, 20)) :]
    if kind == 1:  # insert a token
        return data[:i] + _TEXT[int(rng.integers(len(_TEXT)))] + data[i:]
    if kind == 2:  # cut the file
        return data[:i]
    lines = data.split(b"\n")
    k = int(rng.integers(len(lines)))
    if kind == 3:  # repeat a line
        return b"\n".join([*lines[: k + 1], lines[k], *lines[k + 1 :]])
    if kind == 4:  # swap two lines
        m = int(rng.integers(len(lines)))
        lines[k], lines[m] = lines[m], lines[k]
        return b"\n".join(lines)
    sep = b","
    fields = lines[k].split(sep)
    f = int(rng.integers(len(fields)))
    fields[f] = b"" if kind == 5 else _TEXT[int(rng.integers(len(_TEXT)))]  # empty or replace a field
    lines[k] = sep.join(fields)
    return b"\n".join(lines)


@pytest.mark.parametrize(("name", "read"), CASES, ids=[c[0] for c in CASES])
def test_mutated_files_import_or_fail_with_the_file_named(tmp_path: Path, name: str, read) -> None:
    data = (DATA / name).read_bytes()
    rng = np.random.default_rng(sum(name.encode()))
    outcomes = {"read": 0, "refused": 0}
    for k in range(MUTANTS):
        path = tmp_path / f"m{k}{Path(name).suffix}"
        path.write_bytes(mutate(data, rng))
        try:
            read(path)
        except TraceFormatError as exc:
            assert str(exc).startswith(str(path)), str(exc)
            outcomes["refused"] += 1
        else:
            outcomes["read"] += 1
    assert outcomes["refused"] > 0 and outcomes["read"] > 0, outcomes  # the mutations both break and spare files
