"""A seeded scenario fuzzer (issue 12): a careful user's mistakes and a hostile file, thrown at ``orbitgrid validate``
and at tiny ``simulate`` runs. Every outcome must be a success, or exit status 2 with a message that names a field
path, a line or the file: never a traceback (exit 70 or an escaped exception), never a hang.

Mutations: a value anywhere in a built-in scenario replaced by a nasty one (huge, negative, tiny, NaN, wrong type,
non-ASCII digits, impossible dates, path-like names, deep nesting, ...), keys deleted, unknown keys added, list
entries repeated; bytes and fields of small element files (TLE, OMM JSON, OMM CSV), an openb trace, a node list and
a price series changed. The default suite runs a few dozen examples; ``-m slow`` runs ~500 (same seeds, more of
them).
"""

from __future__ import annotations

import copy
import json
import re
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_scenarios import OMM as BASE_OMM
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from orbitgrid.cli import EXIT_INPUT, app
from orbitgrid.scenario import builtin_scenario_text, list_builtin_scenarios

runner = CliRunner()

#: Seconds one example may take before it counts as a hang (validate takes ~0.1 s, a tiny simulation a few).
HANG_S = 120

NASTY: list[Any] = [
    0,
    -1,
    1,
    2,
    2**31,
    2**63,
    -(2**63) - 1,
    10**25,
    10**29,
    1e308,
    -1e308,
    5e-324,
    float("nan"),
    float("inf"),
    -float("inf"),
    0.5,
    "",
    " ",
    "nan",
    "inf",
    "٢h",
    "1:30",
    "24h",
    "-5s",
    "1e400s",
    "0s",
    True,
    False,
    None,
    [],
    {},
    [1, 2],
    {"a": 1},
    "../../escaped",
    "a/b",
    "2027-02-30",
    "2027-13-45T00:00:00Z",
    "1850-01-01T00:00:00Z",
    "x" * 5000,
    "\u202e",
    1700000000,
    "H100",
    "elements",
    "walker_delta",
    "missing.tle",
]

BUILTINS = {name: yaml.safe_load(builtin_scenario_text(name)) for name, _ in list_builtin_scenarios()}

TINY: dict[str, Any] = {
    "schema_version": 1,
    "name": "fuzz",
    "epoch": "2027-03-20T00:00:00Z",
    "duration": "1h",
    "step": "60s",
    "seed": 1,
    "fleet": {
        "shells": [
            {
                "name": "dd",
                "orbit": {
                    "type": "sun_synchronous",
                    "altitude_km": 650,
                    "ltan_hours": 18.0,
                    "planes": 1,
                    "per_plane": 2,
                },
                "design": "compute-sat",
            }
        ],
        "ground_sites": [{"name": "g", "lat_deg": 35.1, "lon_deg": -90.0, "gpus": {"H100": 64}, "grid_power_mw": 1}],
    },
    "tenants": [{"name": "lab", "contract": "on_demand"}],
    "workloads": [
        {"type": "training", "tenant": "lab", "count": 2, "gpus": 8, "work_gpu_hours": 2, "spacing": "10min"},
        {"type": "inference", "tenant": "lab", "services": 1, "gpus": 8, "rate_scale": 0.01},
    ],
}

TLE = (
    "VANGUARD 1\n"
    "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753\n"
    "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667\n"
    "STARLINK-1008\n"
    "1 44714U 19074B   26054.54089312  .00000969  00000+0  43797-4 0  9997\n"
    "2 44714  53.1568 244.5638 0001273  95.0474 265.0672 15.31036083346702\n"
)
OMM = [BASE_OMM]
OMM.append({**OMM[0], "NORAD_CAT_ID": 44714, "OBJECT_NAME": "SAT B", "MEAN_ANOMALY": 180.0})
OMM_CSV = ",".join(OMM[0]) + "\n" + "\n".join(",".join(str(v) for v in rec.values()) for rec in OMM) + "\n"
TRACE = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n"
    "openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537,0\n"
    "openb-pod-0001,6000,12288,2,460,,BE,Running,427,12902,427\n"
    "openb-pod-0002,12000,24576,8,1000,,Guaranteed,Running,1558,12902,1558\n"
)
NODES = "gpu_model,gpu_capacity_num,cpu_num,node_name\nH100,8,192,0\nH100,8,192,1\nA10,4,96,2\n"
PRICES = "time,price\n2027-03-19T00:00:00Z,45.0\n2027-03-20T00:00:00Z,50.5\n2027-03-21T00:00:00Z,40.0\n"

# A message names where: a field path ("fleet.shells[0].orbit.planes: ..."), a line, or a file.
_WHERE = re.compile(r"^\s+[\w\[\]\.\-]+: |line \d+|\.(tle|json|csv)\b", re.MULTILINE)


@contextmanager
def no_hang(seconds: int = HANG_S) -> Iterator[None]:
    def fail(signum: int, frame: Any) -> None:
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check(args: list[str], shown: str = "") -> Any:
    """Run the command line; assert success, or exit 2 naming a field, line or file (``shown``: the input, for
    the failure message)."""
    with no_hang():
        res = runner.invoke(app, args)
    out = res.output + ("\n--- input ---\n" + shown if shown else "")
    assert res.exception is None or isinstance(res.exception, SystemExit), (res.exception, out)
    assert "Traceback" not in out and "internal error" not in out, out
    assert res.exit_code in (0, EXIT_INPUT), (res.exit_code, out)
    if res.exit_code == EXIT_INPUT:
        assert _WHERE.search(out), f"exit 2 without a field path, line or file:\n{out}"
    return res


# ---------------------------------------------------------------------------------------------- mutations


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    doc = copy.deepcopy(docs[draw(st.sampled_from(sorted(docs)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "repeat", "nest"]))
        if op == "replace":
            parent[path[-1]] = draw(
                st.one_of(
                    st.sampled_from(NASTY),
                    st.integers(-(10**20), 10**20),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=12),
                )
            )
        elif op == "delete":
            del parent[path[-1]]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "eccentricity", "gpus", "file", "type"]))] = draw(
                st.sampled_from(NASTY)
            )
        elif op == "repeat" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif op == "nest":
            value: Any = parent[path[-1]]
            for _ in range(draw(st.sampled_from([1, 5, 70]))):
                value = [value]
            parent[path[-1]] = value
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1_000_000)


@st.composite
def damaged_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few characters or lines changed, cut or repeated."""
    for _ in range(draw(st.integers(1, 3))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["char", "cut", "insert", "line", "truncate"]))
        if op == "char":
            text = text[:i] + draw(st.sampled_from(list('0-9.e+ ,\n\x00é٢"[]{}:x'))) + text[i + 1 :]
        elif op == "cut":
            text = text[:i] + text[i + draw(st.integers(1, 10)) :]
        elif op == "insert":
            text = (
                text[:i] + draw(st.sampled_from(["-1", "1e400", "nan", "99999999999999999999", ",,", "\n"])) + text[i:]
            )
        elif op == "line":
            lines = text.splitlines(keepends=True)
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            text = "".join(lines)
        else:
            text = text[:i]
    return text


@st.composite
def omm_json(draw: st.DrawFn) -> str:
    records = copy.deepcopy(OMM)
    rec = records[draw(st.integers(0, 1))]
    key = draw(st.sampled_from(sorted(rec)))
    rec[key] = draw(st.one_of(st.sampled_from(NASTY[:20]), st.floats(-2.0, 20.0), st.text(max_size=8)))
    return json.dumps(records)


SCENARIO_DOCS = {**BUILTINS, "tiny": TINY}


def _files_scenario(tmp_path: Path, kind: str) -> dict[str, Any]:
    doc = copy.deepcopy(TINY)
    if kind in ("tle", "json", "csv"):
        doc["fleet"]["shells"][0]["orbit"] = {"type": "elements", "file": f"sats.{kind}"}
    elif kind == "trace":
        doc["workloads"].append({"type": "trace", "tenant": "lab", "file": "pods.csv", "limit": 3})
    elif kind == "nodes":
        doc["fleet"]["ground_sites"][0]["gpus"] = {
            "file": "nodes.csv",
            "format": "alibaba_spot_v2026",
            "models": {"A10": "H100"},
        }
    else:
        doc["fleet"]["ground_sites"][0]["power_price_usd_per_kwh"] = {
            "file": "prices.csv",
            "column": "price",
            "time_column": "time",
            "unit": "USD/MWh",
        }
    return doc


FILE_NAMES = {"tle": "sats.tle", "json": "sats.json", "csv": "sats.csv", "trace": "pods.csv"}
FILE_NAMES |= {"nodes": "nodes.csv", "prices": "prices.csv"}
FILE_TEXT = {"tle": TLE, "json": json.dumps(OMM), "csv": OMM_CSV, "trace": TRACE, "nodes": NODES, "prices": PRICES}


def _fuzz_settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=False,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------------------------------------- tests


def _validate_scenarios(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    check(["validate", str(path)], _dump(doc)[:3000])


def _validate_files(tmp_path: Path, kind: str, text: str) -> None:
    (tmp_path / FILE_NAMES[kind]).write_text(text, encoding="utf-8")
    path = tmp_path / "fuzz.yaml"
    path.write_text(_dump(_files_scenario(tmp_path, kind)), encoding="utf-8")
    res = check(["validate", str(path)], f"{FILE_NAMES[kind]}:\n{text}")
    if res.exit_code == EXIT_INPUT and "file" in res.output:
        assert FILE_NAMES[kind] in res.output or "line" in res.output, res.output


_file_cases = st.sampled_from(sorted(FILE_TEXT)).flatmap(lambda k: st.tuples(st.just(k), damaged_text(FILE_TEXT[k])))


@seed(12)
@_fuzz_settings(35)
@given(doc=mutated(SCENARIO_DOCS))
def test_fuzz_validate_scenarios(tmp_path: Path, doc: dict[str, Any]) -> None:
    _validate_scenarios(tmp_path, doc)


@seed(12)
@_fuzz_settings(15)
@given(case=st.one_of(_file_cases, st.tuples(st.just("json"), omm_json())))
def test_fuzz_validate_input_files(tmp_path: Path, case: tuple[str, str]) -> None:
    _validate_files(tmp_path, *case)


@seed(12)
@_fuzz_settings(3)
@given(doc=mutated({"tiny": TINY}))
def test_fuzz_tiny_simulations(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    check(["simulate", str(path), "--out", str(tmp_path / f"run-{uuid.uuid4().hex}"), "--no-report"])


@pytest.mark.slow
@seed(1212)
@_fuzz_settings(400)
@given(doc=mutated(SCENARIO_DOCS))
def test_fuzz_validate_scenarios_long(tmp_path: Path, doc: dict[str, Any]) -> None:
    _validate_scenarios(tmp_path, doc)


@pytest.mark.slow
@seed(1212)
@_fuzz_settings(150)
@given(case=st.one_of(_file_cases, st.tuples(st.just("json"), omm_json())))
def test_fuzz_validate_input_files_long(tmp_path: Path, case: tuple[str, str]) -> None:
    _validate_files(tmp_path, *case)


@pytest.mark.slow
@seed(1212)
@_fuzz_settings(40)
@given(doc=mutated({"tiny": TINY}))
def test_fuzz_tiny_simulations_long(tmp_path: Path, doc: dict[str, Any]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    check(["simulate", str(path), "--out", str(tmp_path / f"run-{uuid.uuid4().hex}"), "--no-report"])
