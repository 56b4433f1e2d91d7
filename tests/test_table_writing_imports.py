"""A run's Parquet tables are built from their numpy columns' buffers (``results.run.arrow_array``), because
``pyarrow.array`` imports pandas (~0.7 s of CPU, a third of a small run's start-up, issue 14) just to ask whether its
input is a pandas object. The arrays must be exactly what ``pyarrow.array`` makes, and writing a table must not import
pandas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import orbitgrid
from orbitgrid.results.run import arrow_array, arrow_strings

RNG = np.random.default_rng(20261207)
COLUMNS = {
    "float64": RNG.normal(size=37),
    "float64 with nan and inf": np.array([0.5, np.nan, -np.inf, np.inf, -0.0, 1e308]),
    "float32": RNG.normal(size=5).astype(np.float32),
    "int64": RNG.integers(-(2**62), 2**62, size=11),
    "int32": RNG.integers(-1000, 1000, size=9).astype(np.int32),
    "uint8": np.arange(250, 256, dtype=np.uint8),
    "bool, 13 values (bits across two bytes)": RNG.random(13) < 0.5,
    "bool, strided view": (RNG.random(40) < 0.3)[::3],
    "float64, strided view": np.arange(30.0)[::4],
    "datetime64[s]": np.array(["2026-03-26T00:00:00", "2026-12-07T06:20:00"], dtype="datetime64[s]"),
    # Arrow's date32 is 32-bit and NaT is null: these take pyarrow.array (over numpy's buffer they read wrong)
    "datetime64[D]": np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[D]"),
    "datetime64[us] with NaT": np.array(["2026-03-26T00:00:00", "NaT"], dtype="datetime64[us]"),
    "float64, big-endian": np.array([1.5, -2.0, 3.25], dtype=">f8"),
    "strings": np.array(["walker-550/0", "dawn-dusk-650/12", "", "ünïcode ☀"]),
    "ascii strings, NUL inside, empty": np.array(["gs-memphis", "a\x00b", "", " x ", "z" * 40]),
    "ascii strings, many": np.array([f"dawn-dusk-650/{i}" for i in range(3000)]),
    "ascii strings, all empty": np.array(["", ""]),
    "empty float": np.zeros(0),
    "empty strings": np.array([], dtype=str),
}


@pytest.mark.parametrize("name", list(COLUMNS))
def test_arrow_array_is_what_pyarrow_array_makes(name: str) -> None:
    """Same type and values as ``pyarrow.array``; for text, numpy's own values (``pyarrow.array`` cuts a numpy string
    at its first NUL character, ``"a\\x00b"`` -> ``"a"``; ours keeps it)."""
    values = COLUMNS[name]
    native = values if values.dtype.isnative else values.astype(values.dtype.newbyteorder("="))
    ours, theirs = arrow_array(values), pa.array(native)  # pyarrow.array refuses byte-swapped arrays
    assert ours.type == theirs.type
    assert ours.null_count == theirs.null_count == int(values.dtype.kind in "mM" and np.isnat(values).any())
    if values.dtype.kind == "U":
        assert ours.to_pylist() == values.tolist()
        assert ours.to_pylist() == theirs.to_pylist() or "\x00" in "".join(values.tolist())
    else:
        got = ours.to_numpy(zero_copy_only=False)
        want = theirs.to_numpy(zero_copy_only=False)
        assert got.dtype == want.dtype
        assert np.array_equal(got, want, equal_nan=got.dtype.kind in "fmM")


def test_arrow_strings_is_a_string_array() -> None:
    labels = ["walker-550", "", "ünïcode ☀", "dawn-dusk-650"]
    assert arrow_strings(labels).equals(pa.array(labels, type=pa.string()))


def test_writing_a_run_table_does_not_import_pandas(tmp_path: Path) -> None:
    """What ``simulate`` does for each table (numbers, booleans, strings, a label column), in a fresh interpreter."""
    code = (
        "import sys, numpy as np\n"
        "from orbitgrid.results.run import RunWriter\n"
        "w = RunWriter(sys.argv[1])\n"
        "w.table('t', {'x': np.arange(5.0), 'ok': np.arange(5) % 2 == 0, 'name': np.array(list('abcde'))})\n"
        "w.table_stream('s.parquet', [{'v': np.ones(3), 'shell': 'a'}, {'v': np.zeros(2), 'shell': 'b'}],"
        " labels={'shell': ['a', 'b']})\n"
        "print('pandas' in sys.modules)\n"
        "import pyarrow.parquet as pq\n"
        "print(pq.read_table(sys.argv[1] + '/s.parquet').column('shell').to_pylist())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(orbitgrid.__file__).resolve().parents[1])}
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    pandas_loaded, shells = res.stdout.splitlines()
    assert shells == "['a', 'a', 'a', 'b', 'b']"
    assert pandas_loaded == "False"
