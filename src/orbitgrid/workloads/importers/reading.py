"""Read the columns a mapping names from a trace file (CSV, gzip CSV, Parquet, JSON Lines), with every failure a
:class:`~orbitgrid.workloads.traces.TraceFormatError` naming the file, the line and column, what was found and what
was expected.

The fast path is pyarrow's multithreaded CSV reader restricted to the mapped columns, numbers read as float64 and
everything else as strings. pyarrow reports a malformed row without its line number, so when it fails the file is
scanned again with the standard library to find the first bad line (only on failure: a good file is read once).
A data row's line number assumes one record per line (no quoted line breaks), which holds for every published
trace this package has presets for.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from orbitgrid.workloads.traces import TraceFormatError

FileFormat = Literal["csv", "parquet", "jsonl", "json"]
#: Column kinds a mapping asks for: ``number`` (float64, empty cells NaN), ``string`` (pyarrow strings, empty cells
#: null).
ColumnKind = Literal["number", "string"]

_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}


def file_format(path: str | Path) -> FileFormat:
    """The format a file's suffix names (``.gz`` looked through): csv, parquet, jsonl or json. Unknown suffixes
    are read as CSV, the format of most published traces."""
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _SUFFIXES.get(Path(name).suffix, "csv")


@dataclass(frozen=True)
class Columns:
    """The columns read from a file: ``data[name]`` (float64, NaN for empty cells) for numbers, ``text[name]`` (a
    pyarrow string array, null for empty cells) for strings, ``rows`` data rows, and where row ``i`` is in the file
    (:meth:`where`)."""

    path: Path
    data: dict[str, np.ndarray]
    text: dict[str, Any]
    rows: int
    first_line: int  # file line of data row 0 (CSV: 2 with a header); 0 when rows have no line (Parquet, JSON array)
    header: tuple[str, ...]
    _categories: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict, repr=False)

    def strings(self, column: str) -> np.ndarray:
        """A string column as an object array (None for empty cells)."""
        return np.asarray(self.text[column].to_numpy(zero_copy_only=False), dtype=object)

    def categories(self, column: str) -> tuple[list[str], np.ndarray]:
        """The distinct values of a string column (in first-seen order) and each row's index into them (-1: empty),
        without a Python object per row."""
        import pyarrow as pa

        if column in self._categories:
            return self._categories[column]
        enc = self.text[column]
        enc = enc.combine_chunks() if isinstance(enc, pa.ChunkedArray) else enc
        enc = enc.dictionary_encode()
        codes = enc.indices.to_numpy(zero_copy_only=False)
        codes = np.where(np.isnan(codes), -1, codes).astype(np.int64) if codes.dtype.kind == "f" else codes
        found = ([str(v) for v in enc.dictionary.to_pylist()], np.asarray(codes, dtype=np.int64))
        self._categories[column] = found
        return found

    def where(self, row: int, column: str | None = None) -> str:
        """``line 7, column gpus`` (CSV, JSON Lines) or ``row 6, column gpus`` (Parquet, JSON array; 1-based)."""
        place = f"line {self.first_line + row}" if self.first_line else f"row {row + 1}"
        return f"{place}, column {column}" if column else place


def _open_text(path: Path) -> IO[str]:
    # utf-8-sig: a byte-order mark (spreadsheet exports) is not part of the first column name, as for pyarrow
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="strict", newline="")
    return open(path, encoding="utf-8-sig", errors="strict", newline="")


def _first_bad_utf8(path: Path) -> tuple[int, int, int] | None:
    """(line, column, byte) of the first byte sequence that is not UTF-8, or None."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, col = 1, 1
    with opener(path, "rb") as f:
        while chunk := f.read(1 << 20):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                good = decoder.decode(chunk[: exc.start]) if exc.start else ""
                text_before = good
                line += text_before.count("\n")
                col = len(text_before) - text_before.rfind("\n") if "\n" in text_before else col + len(text_before)
                return line, col, chunk[exc.start]
            line += text.count("\n")
            col = len(text) - text.rfind("\n") if "\n" in text else col + len(text)
    return None


def not_a_file(path: Path, what: str) -> str:
    """Why ``path`` (not a regular file) cannot be read as ``what``: missing, a directory, or a device or pipe."""
    if path.is_dir():
        return f"is a directory, not a {what}"
    if path.exists():
        return f"is not a regular file (a device, pipe or socket); give a {what}"
    return f"{what} not found"


def _check_readable(path: Path, what: str) -> None:
    if not path.is_file():
        raise TraceFormatError(path, not_a_file(path, what))
    if path.stat().st_size == 0:
        raise TraceFormatError(path, "empty file: expected a header line naming the columns, then one row per line")
    refuse_archive(path)


def refuse_archive(path: Path) -> None:
    """A TraceFormatError when ``path`` is a tar or zip archive (public traces ship as ``.tar.gz``, e.g. Alibaba's
    PAI 2020 tables): orbitgrid reads one table per file, so the message names the members to extract."""
    import tarfile
    import zipfile

    members: list[str] | None = None
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                members, kind, how = z.namelist(), "zip", f"unzip {path.name}"
        elif tarfile.is_tarfile(path):
            with tarfile.open(path) as t:
                members, kind, how = t.getnames(), "tar", f"tar xf {path.name}"
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile):
        return  # not a readable archive: the CSV reader reports what it finds
    if members is not None:
        shown = ", ".join(members[:5]) + (f" and {len(members) - 5:,} more" if len(members) > 5 else "")
        raise TraceFormatError(
            path,
            f"a {kind} archive holding {shown or 'no files'}; orbitgrid reads one CSV, gzip CSV, Parquet or JSON "
            f"file: extract it first ({how}) and name the extracted file",
        )


def _csv_lines(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    with _open_text(path) as f:
        for i, fields in enumerate(csv.reader(f, delimiter=delimiter)):
            yield i + 1, fields


def _diagnose_csv(path: Path, delimiter: str, header: bool, ncols: int | None) -> str | None:
    """The first structural problem of a CSV file that pyarrow refused: not UTF-8, or a line with the wrong number
    of fields (a truncated or merged line)."""
    bad = _first_bad_utf8(path)
    if bad is not None:
        line, col, byte = bad
        return f"line {line}, character {col}: byte 0x{byte:02x} is not UTF-8; the file must be UTF-8 text"
    try:
        expected = ncols
        for line, fields in _csv_lines(path, delimiter):
            if not fields:
                continue
            if expected is None:
                expected = len(fields)
                continue
            if len(fields) != expected:
                shown = delimiter.join(fields)
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                return (
                    f"line {line}: expected {expected} fields{' as in the header' if header else ''}, found "
                    f"{len(fields)} ({shown!r}); a truncated or merged line"
                )
    except (csv.Error, EOFError, OSError) as exc:
        return f"not a readable CSV file: {exc}"
    return None


def _bad_number_row(values: np.ndarray) -> int | None:
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            float(v)
        except ValueError:
            return i
    return None


def _read_csv(
    path: Path, kinds: Mapping[str, ColumnKind], column_names: Sequence[str] | None, delimiter: str
) -> Columns:
    import pyarrow as pa  # imported here: scenario validation imports this module
    import pyarrow.csv as pacsv

    header = column_names is None
    read = pacsv.ReadOptions(column_names=list(column_names) if column_names else None, block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=delimiter)
    # Header names with surrounding spaces (Philly's machine list: "machineId, number of GPUs") are matched stripped.
    try:
        names = _header(path, delimiter) if header else list(column_names or ())
    except UnicodeDecodeError:
        raise TraceFormatError(path, _diagnose_csv(path, delimiter, header, None) or "not UTF-8 text") from None
    except (csv.Error, OSError, EOFError) as exc:
        raise TraceFormatError(path, f"not a readable CSV file: {exc}") from None
    stripped = {n.strip(): n for n in names}
    missing = [c for c in kinds if c not in stripped]
    if missing:
        found = ", ".join(n.strip() for n in names) or "none"
        raise TraceFormatError(
            path,
            f"line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; found {found}",
        )
    types = {stripped[c]: (pa.float64() if k == "number" else pa.string()) for c, k in kinds.items()}
    convert = pacsv.ConvertOptions(
        column_types=types, include_columns=[stripped[c] for c in kinds], strings_can_be_null=True
    )
    try:
        table = pacsv.read_csv(str(path), read_options=read, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, OSError, UnicodeDecodeError, EOFError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        m = re.match(r"In CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'", message)
        if m is not None and _first_bad_utf8(path) is None:
            raise TraceFormatError(
                path, _conversion_problem(path, names, int(m.group(1)), m.group(3), delimiter, header)
            ) from None
        raise TraceFormatError(
            path, _diagnose_csv(path, delimiter, header, len(names)) or f"not a readable CSV file: {message}"
        ) from None
    data: dict[str, np.ndarray] = {}
    text: dict[str, Any] = {}
    for c, k in kinds.items():
        col = table.column(stripped[c])
        if k == "number":
            data[c] = col.to_numpy()
        else:
            text[c] = col
    rows = table.num_rows
    if rows == 0:
        raise TraceFormatError(path, "no data rows: the file holds a header line only")
    return Columns(path, data, text, rows, 2 if header else 1, tuple(n.strip() for n in names))


def _header(path: Path, delimiter: str) -> list[str]:
    with _open_text(path) as f:
        for fields in csv.reader(f, delimiter=delimiter):
            if fields:
                return fields
    return []


def _conversion_problem(path: Path, names: list[str], index: int, value: str, delimiter: str, header: bool) -> str:
    """``line N, column X: expected a number, found 'abc'`` for pyarrow's conversion error of column ``index``."""
    name = names[index].strip() if index < len(names) else f"#{index + 1}"
    for line, fields in _csv_lines(path, delimiter):
        if header and line == 1:
            continue
        if index < len(fields) and fields[index] == value:
            return f"line {line}, column {name}: expected a number, found {value!r}"
    return f"column {name}: expected a number, found {value!r}"


def _from_records(path: Path, records: list[Any], kinds: Mapping[str, ColumnKind], first_line: int) -> Columns:
    """Columns from a list of JSON objects (JSON Lines or a JSON array); ``first_line`` 1 for JSON Lines."""
    rows = len(records)
    if rows == 0:
        raise TraceFormatError(path, "no records: the file holds no JSON objects")
    import pyarrow as pa

    data: dict[str, np.ndarray] = {}
    text: dict[str, Any] = {}
    for c, k in kinds.items():
        values = np.empty(rows, dtype=object)
        for i, r in enumerate(records):
            if not isinstance(r, Mapping):
                where = f"line {first_line + i}" if first_line else f"record {i + 1}"
                raise TraceFormatError(path, f"{where}: expected a JSON object, found {type(r).__name__}")
            if c not in r:
                where = f"line {first_line + i}" if first_line else f"record {i + 1}"
                raise TraceFormatError(path, f"{where}: missing key {c!r}; found keys {', '.join(map(str, r))}")
            values[i] = r[c]
        if k == "number":
            out = np.full(rows, np.nan)
            for i, v in enumerate(values):
                if v is None or v == "":
                    continue
                if isinstance(v, bool) or not isinstance(v, int | float | str):
                    where = f"line {first_line + i}" if first_line else f"record {i + 1}"
                    raise TraceFormatError(path, f"{where}, key {c}: expected a number, found {v!r}")
                try:
                    out[i] = float(v)
                except (ValueError, OverflowError):
                    where = f"line {first_line + i}" if first_line else f"record {i + 1}"
                    raise TraceFormatError(path, f"{where}, key {c}: expected a number, found {v!r}") from None
            data[c] = out
        else:
            text[c] = pa.array([None if v is None or v == "" else str(v) for v in values], type=pa.string())
    return Columns(path, data, text, rows, first_line, tuple(kinds))


def _read_jsonl(path: Path, kinds: Mapping[str, ColumnKind]) -> Columns:
    import pyarrow as pa
    import pyarrow.json as pajson

    try:
        table = pajson.read_json(str(path))
        names = table.column_names  # decoded here: a key that is not UTF-8 fails now, not later
    except (pa.ArrowException, OSError, UnicodeDecodeError, EOFError):
        table, names = None, []
    if table is not None and all(c in names for c in kinds):
        data: dict[str, np.ndarray] = {}
        text: dict[str, Any] = {}
        ok = True
        for c, k in kinds.items():
            col = table.column(c)
            if k == "number":
                if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_null(col.type)):
                    ok = False
                    break
                data[c] = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
            else:
                text[c] = col.cast(pa.string())
        if ok:
            if table.num_rows == 0:
                raise TraceFormatError(path, "no records: the file holds no JSON objects")
            return Columns(path, data, text, table.num_rows, 1, tuple(names))
    # Slow path with a line for every problem.
    bad = _first_bad_utf8(path)
    if bad is not None:
        line, col, byte = bad
        raise TraceFormatError(path, f"line {line}, character {col}: byte 0x{byte:02x} is not UTF-8")
    records = []
    with _open_text(path) as f:
        for line, content in enumerate(f, 1):
            if not content.strip():
                continue
            try:
                records.append(json.loads(content))
            except json.JSONDecodeError as exc:
                raise TraceFormatError(
                    path, f"line {line}, character {exc.colno}: not a JSON object ({exc.msg}); one object per line"
                ) from None
    return _from_records(path, records, kinds, 1)


def _read_parquet(path: Path, kinds: Mapping[str, ColumnKind]) -> Columns:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(str(path))
    except (pa.ArrowException, OSError) as exc:
        raise TraceFormatError(path, f"not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    missing = [c for c in kinds if c not in schema.names]
    if missing:
        raise TraceFormatError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; found {', '.join(schema.names)}",
        )
    try:
        table = pq.read_table(str(path), columns=list(kinds))
    except (pa.ArrowException, OSError) as exc:
        raise TraceFormatError(path, f"not a readable Parquet file: {str(exc).splitlines()[0]}") from None
    if table.num_rows == 0:
        raise TraceFormatError(path, "no data rows: the file holds no rows")
    data: dict[str, np.ndarray] = {}
    text: dict[str, Any] = {}
    for c, k in kinds.items():
        col = table.column(c)
        if k == "number":
            if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_null(col.type):
                data[c] = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
            elif pa.types.is_timestamp(col.type):
                data[c] = col.cast(pa.timestamp("ns")).cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e9
            else:
                values = col.to_numpy(zero_copy_only=False)
                row = _bad_number_row(values)
                if row is not None:
                    raise TraceFormatError(path, f"row {row + 1}, column {c}: expected a number, found {values[row]!r}")
                data[c] = np.array([np.nan if v is None else float(v) for v in values])
        else:
            text[c] = col.cast(pa.string())
    return Columns(path, data, text, table.num_rows, 0, tuple(schema.names))


def read_columns(
    path: str | Path,
    kinds: Mapping[str, ColumnKind],
    *,
    fmt: FileFormat | None = None,
    column_names: Sequence[str] | None = None,
    delimiter: str = ",",
    what: str = "trace file",
) -> Columns:
    """The columns ``kinds`` names from ``path`` (format from the suffix unless ``fmt``). ``column_names`` names the
    columns of a CSV file that has no header line (the PAI 2020 tables). Raises :class:`TraceFormatError`."""
    p = Path(path)
    _check_readable(p, what)
    f = fmt or file_format(p)
    if f == "parquet":
        return _read_parquet(p, kinds)
    if f == "jsonl":
        return _read_jsonl(p, kinds)
    if f == "json":
        return records_columns(p, read_json_records(p), kinds)
    if delimiter == "," and p.name.lower().removesuffix(".gz").endswith(".tsv"):
        delimiter = "\t"
    return _read_csv(p, kinds, column_names, delimiter)


def read_json_records(path: str | Path) -> list[Any]:
    """The top-level array of a JSON file (Philly's ``cluster_job_log``), or a TraceFormatError naming the line and
    column where it stops being JSON."""
    p = Path(path)
    _check_readable(p, "trace file")
    bad = _first_bad_utf8(p)
    if bad is not None:
        line, col, byte = bad
        raise TraceFormatError(p, f"line {line}, character {col}: byte 0x{byte:02x} is not UTF-8")
    with _open_text(p) as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TraceFormatError(p, f"line {exc.lineno}, character {exc.colno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, list):
        raise TraceFormatError(p, f"expected a JSON array of job records, found a JSON {type(doc).__name__}")
    return doc


def records_columns(path: Path, records: list[Any], kinds: Mapping[str, ColumnKind]) -> Columns:
    """Columns from records already parsed (a JSON array): rows are named ``record N``."""
    return _from_records(path, records, kinds, 0)
