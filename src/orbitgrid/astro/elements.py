"""Mean-element sets (TLE and CCSDS OMM) read into one columnar ``ElementSet``.

The orbit fields themselves are decoded by the ``sgp4`` package (``Satrec.twoline2rv`` for TLEs,
``sgp4.omm.initialize`` for OMM records), so the numbers SGP4 propagates are exactly the numbers the reference
implementation would read. This module adds only what ``sgp4`` does not do: grouping 2-line and 3-line files,
validating the fixed-column layout (``twoline2rv`` silently reads garbage as zeros), checksums, alpha-5
catalogue numbers that use the forbidden letters I and O, and error messages that name the file, line and what
was expected.

Units: angles in radians, mean motions in rad/s, epochs as split UTC Julian dates (whole, fraction) as SGP4
keeps them. B* stays in the TLE's unit (1/earth radii). Kilometres and rev/day appear only inside this
adapter.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sgp4 import omm as _omm
from sgp4.api import WGS72, Satrec

from orbitgrid.astro.time import datetime_to_jd, jd_to_datetime
from orbitgrid.errors import InputError

__all__ = [
    "DuplicateCatalogNumber",
    "ElementFormatError",
    "ElementSet",
    "deduplicate",
    "epoch_offset_days",
    "find_duplicates",
    "load_elements",
    "tle_checksum",
]

_SECONDS_PER_MINUTE = 60.0
_TLE_LINE_LENGTH = 69
_ALPHA5_RE = re.compile(r"^[A-HJ-NP-Z][0-9]{4}$")
_NUMERIC5_RE = re.compile(r"^ *[0-9]+$")
_EXP_FIELD_RE = re.compile(r"^[ +-][0-9 ]{5}[+-][0-9]$")
_OMM_EPOCH_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$")

# Fixed characters of a TLE line (0-based column -> character), the layout checks python-sgp4's own
# pure-Python reader makes.
_LINE1_FIXED = {1: " ", 8: " ", 23: ".", 32: " ", 34: ".", 43: " ", 52: " ", 61: " ", 63: " "}
_LINE2_FIXED = {
    1: " ",
    7: " ",
    11: ".",
    16: " ",
    20: ".",
    25: " ",
    33: " ",
    37: ".",
    42: " ",
    46: ".",
    51: " ",
}
# (first column 0-based, end column exclusive, description) of the plain decimal fields.
_LINE1_DECIMALS = ((18, 32, "epoch (YYDDD.DDDDDDDD)"), (33, 43, "first derivative of mean motion"))
_LINE2_DECIMALS = (
    (8, 16, "inclination (degrees)"),
    (17, 25, "right ascension of the ascending node (degrees)"),
    (34, 42, "argument of perigee (degrees)"),
    (43, 51, "mean anomaly (degrees)"),
    (52, 63, "mean motion (rev/day)"),
)

_OMM_FLOAT_FIELDS = (
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
_OMM_INT_MAX = 2**31 - 1
_OMM_OPTIONAL_DEFAULTS: dict[str, Any] = {
    "CLASSIFICATION_TYPE": "U",
    "OBJECT_ID": "",
    "EPHEMERIS_TYPE": "0",
    "ELEMENT_SET_NO": "999",
    "REV_AT_EPOCH": "0",
}


class ElementFormatError(InputError):
    """An unreadable element file: the message names the source, line (or record) and what was expected.

    Attributes ``source``, ``line_number`` (1-based, or None), ``record`` (1-based record index for formats
    without meaningful lines, or None), ``expected`` and ``found`` carry the same facts for programs.
    """

    def __init__(
        self,
        source: str,
        line_number: int | None,
        expected: str,
        found: str | None = None,
        record: int | None = None,
    ) -> None:
        self.source = source
        self.line_number = line_number
        self.record = record
        self.expected = expected
        self.found = found
        where = [source]
        if line_number is not None:
            where.append(f"line {line_number}")
        if record is not None:
            where.append(f"record {record}")
        message = f"{', '.join(where)}: expected {expected}"
        if found is not None:
            message += f"; found {found!r}"
        super().__init__(message)


def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of TLE columns 1-68: the sum of the digits, with each minus sign counting 1."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += ord(ch) - 48
        elif ch == "-":
            total += 1
    return total % 10


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class ElementSet:
    """Mean elements of ``n`` satellites, one row each, plus the initialised ``sgp4`` ``Satrec`` of each.

    Arrays are read-only. ``mean_motion_kozai_rad_s`` is the mean motion printed in the TLE/OMM (Kozai
    convention); ``mean_motion_brouwer_rad_s`` is the un-Kozai'd (Brouwer) mean motion SGP4 computes during
    initialisation (``no_unkozai = 1 / (tumin * a**1.5)`` with ``a`` the initialised semi-major axis in earth
    radii). A satellite whose SGP4 initialisation failed keeps its row; ``init_error`` is nonzero for it.

    Build one with a constructor per format: :meth:`from_tle_text`, :meth:`from_omm_json`,
    :meth:`from_omm_csv`, :meth:`from_satrecs`, or :func:`load_elements` for a file.
    """

    names: list[str]
    catalog_numbers: np.ndarray
    epoch_jd: np.ndarray
    epoch_fr: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    eccentricity: np.ndarray
    arg_perigee_rad: np.ndarray
    mean_anomaly_rad: np.ndarray
    mean_motion_kozai_rad_s: np.ndarray
    mean_motion_brouwer_rad_s: np.ndarray
    bstar: np.ndarray
    satrecs: list[Satrec]

    def __post_init__(self) -> None:
        n = len(self.satrecs)
        if len(self.names) != n:
            raise ValueError(f"{len(self.names)} names for {n} satellites")
        for name in (
            "catalog_numbers",
            "epoch_jd",
            "epoch_fr",
            "inclination_rad",
            "raan_rad",
            "eccentricity",
            "arg_perigee_rad",
            "mean_anomaly_rad",
            "mean_motion_kozai_rad_s",
            "mean_motion_brouwer_rad_s",
            "bstar",
        ):
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != (n,):
                raise ValueError(f"{name} must be a numpy array of shape ({n},)")

    def __len__(self) -> int:
        return len(self.satrecs)

    @property
    def init_error(self) -> np.ndarray:
        """SGP4 error code left by initialisation, per satellite (uint8; 0 = fine; see ``SGP4_ERRORS``)."""
        return np.array([s.error for s in self.satrecs], dtype=np.uint8)

    def subset(self, indices: Sequence[int] | np.ndarray | slice) -> ElementSet:
        """A new ``ElementSet`` with the rows selected by integer indices, a boolean mask or a slice."""
        idx = np.arange(len(self))[indices]
        idx = np.atleast_1d(idx)
        return ElementSet(
            names=[self.names[i] for i in idx],
            catalog_numbers=_readonly(self.catalog_numbers[idx]),
            epoch_jd=_readonly(self.epoch_jd[idx]),
            epoch_fr=_readonly(self.epoch_fr[idx]),
            inclination_rad=_readonly(self.inclination_rad[idx]),
            raan_rad=_readonly(self.raan_rad[idx]),
            eccentricity=_readonly(self.eccentricity[idx]),
            arg_perigee_rad=_readonly(self.arg_perigee_rad[idx]),
            mean_anomaly_rad=_readonly(self.mean_anomaly_rad[idx]),
            mean_motion_kozai_rad_s=_readonly(self.mean_motion_kozai_rad_s[idx]),
            mean_motion_brouwer_rad_s=_readonly(self.mean_motion_brouwer_rad_s[idx]),
            bstar=_readonly(self.bstar[idx]),
            satrecs=[self.satrecs[i] for i in idx],
        )

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_satrecs(cls, satrecs: Iterable[Satrec], names: Sequence[str] | None = None) -> ElementSet:
        """Columns from already initialised ``Satrec`` objects; names default to the catalogue numbers."""
        sats = list(satrecs)
        n = len(sats)
        if names is None:
            names = [str(s.satnum) for s in sats]
        names = [str(x) for x in names]
        if len(names) != n:
            raise ValueError(f"{len(names)} names for {n} satellites")

        def col(attr: str) -> np.ndarray:
            return np.fromiter((getattr(s, attr) for s in sats), dtype=np.float64, count=n)

        no_kozai_rad_min = col("no_kozai")
        a_er = col("a")
        tumin = col("tumin")
        with np.errstate(all="ignore"):
            # A failed initialisation can leave a <= 0; its Brouwer mean motion is then NaN.
            no_unkozai_rad_min = np.where(a_er > 0.0, 1.0 / (tumin * a_er**1.5), np.nan)
        return cls(
            names=names,
            catalog_numbers=_readonly(np.fromiter((s.satnum for s in sats), dtype=np.int64, count=n)),
            epoch_jd=_readonly(col("jdsatepoch")),
            epoch_fr=_readonly(col("jdsatepochF")),
            inclination_rad=_readonly(col("inclo")),
            raan_rad=_readonly(col("nodeo")),
            eccentricity=_readonly(col("ecco")),
            arg_perigee_rad=_readonly(col("argpo")),
            mean_anomaly_rad=_readonly(col("mo")),
            mean_motion_kozai_rad_s=_readonly(no_kozai_rad_min / _SECONDS_PER_MINUTE),
            mean_motion_brouwer_rad_s=_readonly(no_unkozai_rad_min / _SECONDS_PER_MINUTE),
            bstar=_readonly(col("bstar")),
            satrecs=sats,
        )

    @classmethod
    def from_tle_text(cls, text: str, source: str = "<tle text>", verify_checksum: bool = True) -> ElementSet:
        """Read 2-line or 3-line element sets (the two may be mixed).

        A name line is optional before each pair and may carry the ``"0 "`` prefix of the 3LE format. Blank
        lines, comment lines starting with ``#``, trailing whitespace and CR/CRLF line ends are ignored.
        Classification ``U``, ``C`` or ``S`` (blank is read as ``U``); alpha-5 catalogue numbers (``A0000`` =
        100000 .. ``Z9999`` = 339999, no I or O). Each line must have exactly 69 columns and, unless
        ``verify_checksum`` is False, a correct checksum in column 69. Raises :class:`ElementFormatError` naming
        ``source`` and the 1-based line number.
        """
        satrecs: list[Satrec] = []
        names: list[str] = []
        for name, (n1, l1), (n2, l2) in _group_tle_lines(text, source):
            _check_tle_line(l1, n1, 1, source, verify_checksum)
            _check_tle_line(l2, n2, 2, source, verify_checksum)
            if l1[2:7] != l2[2:7]:
                raise ElementFormatError(
                    source,
                    n2,
                    f"the catalogue number of line 1 ({l1[2:7].strip()!r}) in columns 3-7",
                    l2[2:7],
                )
            sat = Satrec.twoline2rv(l1, l2, WGS72)
            satrecs.append(sat)
            names.append(name if name is not None else str(sat.satnum))
        return cls.from_satrecs(satrecs, names)

    @classmethod
    def from_omm_json(cls, text: str, source: str = "<omm json>") -> ElementSet:
        """Read CCSDS OMM records in JSON (CelesTrak/Space-Track keys): a list of objects or one object."""
        if not text.strip():
            raise ElementFormatError(source, 1, "a JSON list of OMM objects", "empty file")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ElementFormatError(source, exc.lineno, f"valid JSON ({exc.msg}, column {exc.colno})") from None
        except RecursionError:  # the C decoder's own depth limit (~1,000 levels); OMM records are two deep
            raise ElementFormatError(
                source, None, "a list of OMM objects", "lists or objects nested too deep"
            ) from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise ElementFormatError(source, 1, "a JSON list of OMM objects or one OMM object", type(data).__name__)
        if not data:
            raise ElementFormatError(source, 1, "at least one OMM object", "an empty list")
        satrecs: list[Satrec] = []
        names: list[str] = []
        for k, rec in enumerate(data, start=1):
            if not isinstance(rec, dict):
                raise ElementFormatError(source, None, "an OMM object", type(rec).__name__, record=k)
            sat, name = _satrec_from_omm_fields(rec, source, None, k)
            satrecs.append(sat)
            names.append(name)
        return cls.from_satrecs(satrecs, names)

    @classmethod
    def from_omm_csv(cls, text: str, source: str = "<omm csv>") -> ElementSet:
        """Read CCSDS OMM records in CSV as CelesTrak writes it (a header of OMM keywords, one row each)."""
        if not text.strip():
            raise ElementFormatError(source, 1, "an OMM CSV header row", "empty file")
        reader = _omm.parse_csv(io.StringIO(text.lstrip("\ufeff")))
        try:
            return cls._from_csv_reader(reader, source)
        except csv.Error as exc:
            raise ElementFormatError(source, reader.line_num, "valid CSV", str(exc)) from None

    @classmethod
    def from_omm_xml(cls, text: str, source: str = "<omm xml>") -> ElementSet:
        """Read CCSDS OMM in XML (CCSDS 502.0-B-3 as CelesTrak and Space-Track write it, and as ``orbitgrid export
        omm --format xml`` writes it): one ``<segment>`` per object, its ``metadata``, ``meanElements`` and
        ``tleParameters`` children holding the OMM keywords. Namespaces on tags are ignored."""
        import xml.etree.ElementTree as ET

        if not text.strip():
            raise ElementFormatError(source, 1, "an OMM XML document", "empty file")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            line, col = exc.position
            what = f"well-formed XML ({exc.msg.split(':')[0]}, column {col + 1})"
            raise ElementFormatError(source, line, what) from None
        satrecs: list[Satrec] = []
        names: list[str] = []
        segments = [e for e in root.iter() if _xml_tag(e) == "segment"]
        if not segments:
            raise ElementFormatError(source, 1, "at least one OMM <segment> element", f"<{_xml_tag(root)}>")
        for k, segment in enumerate(segments, start=1):
            fields: dict[str, Any] = {}
            for part in segment.iter():
                if part is not segment and len(part) == 0:  # a leaf: one keyword and its value
                    fields[_xml_tag(part)] = (part.text or "").strip()
            sat, name = _satrec_from_omm_fields(fields, source, None, k)
            satrecs.append(sat)
            names.append(name)
        return cls.from_satrecs(satrecs, names)

    @classmethod
    def from_omm_kvn(cls, text: str, source: str = "<omm kvn>") -> ElementSet:
        """Read CCSDS OMM in KVN (``KEYWORD = value`` lines; CCSDS 502.0-B-3): each object starts at its
        ``CCSDS_OMM_VERS`` line; ``COMMENT`` and blank lines are skipped and a trailing unit in brackets
        (``MEAN_MOTION = 15.5 [rev/day]``) is dropped. Several objects may follow one another in one file."""
        records: list[tuple[int, dict[str, Any]]] = []
        lines_of: list[dict[str, int]] = []  # per object, the line of each keyword (for errors)
        for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("COMMENT"):
                continue
            key, eq, value = line.partition("=")
            key = key.strip()
            if not eq or not re.fullmatch(r"[A-Z][A-Z0-9_]*", key):
                raise ElementFormatError(source, n, "a 'KEYWORD = value' line of an OMM in KVN", raw.strip())
            value = re.sub(r"\s*\[[^\]]*\]\s*$", "", value.strip())
            if key == "CCSDS_OMM_VERS" or not records:
                records.append((n, {}))
                lines_of.append({})
            if key in records[-1][1]:
                raise ElementFormatError(
                    source, n, f"each keyword once per object (a CCSDS_OMM_VERS line starts the next), {key} again"
                )
            records[-1][1][key] = value
            lines_of[-1][key] = n
        if not records:
            raise ElementFormatError(source, 1, "at least one OMM in KVN", "empty file")
        satrecs: list[Satrec] = []
        names: list[str] = []
        for (first_line, fields), lines in zip(records, lines_of, strict=True):
            try:
                sat, name = _satrec_from_omm_fields(fields, source, first_line, None)
            except ElementFormatError as exc:  # point at the keyword's own line when it has one
                field = re.search(r"OMM field (\w+)", exc.expected)
                at = lines.get(field.group(1), first_line) if field else first_line
                raise ElementFormatError(source, at, exc.expected, exc.found) from None
            satrecs.append(sat)
            names.append(name)
        return cls.from_satrecs(satrecs, names)

    @classmethod
    def _from_csv_reader(cls, reader: Any, source: str) -> ElementSet:
        header = reader.fieldnames or []
        missing = [k for k in ("EPOCH", "NORAD_CAT_ID", *_OMM_FLOAT_FIELDS) if k not in header]
        if missing:
            raise ElementFormatError(source, 1, f"an OMM CSV header with columns {', '.join(missing)}")
        satrecs: list[Satrec] = []
        names: list[str] = []
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # blank line
            sat, name = _satrec_from_omm_fields(row, source, reader.line_num, None)
            satrecs.append(sat)
            names.append(name)
        if not satrecs:
            raise ElementFormatError(source, 2, "at least one OMM data row", "end of file")
        return cls.from_satrecs(satrecs, names)


# ---------------------------------------------------------------------------------------------- TLE helpers


def _group_tle_lines(text: str, source: str) -> Iterable[tuple[str | None, tuple[int, str], tuple[int, str]]]:
    """Yield (name or None, (line no, line 1), (line no, line 2)) for each element set in ``text``."""
    lines = [(n, ln.rstrip()) for n, ln in enumerate(text.lstrip("\ufeff").splitlines(), start=1)]
    # blank lines and comment lines (starting with '#', as in Vallado's SGP4-VER.TLE) carry no element set
    lines = [(n, ln) for n, ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise ElementFormatError(source, 1, "at least one two-line element set", "empty file")
    last_line = lines[-1][0]
    i = 0
    count = len(lines)
    while i < count:
        n, ln = lines[i]
        name: str | None = None
        next_is_line2 = i + 1 < count and lines[i + 1][1].startswith("2 ")
        if not (_is_line1(ln) or (ln.startswith("1 ") and next_is_line2)):
            if ln.startswith(("2 ",)) and len(ln) >= 60:
                raise ElementFormatError(source, n, "TLE line 1 (starting '1 ') or a name line before line 2", ln)
            name = ln[2:].strip() if ln.startswith("0 ") else ln.strip()
            name_line = n
            i += 1
            if i >= count:
                raise ElementFormatError(
                    source, last_line + 1, f"TLE line 1 after the name line {name_line}", "end of file"
                )
            n, ln = lines[i]
            if not ln.startswith("1 "):
                raise ElementFormatError(source, n, f"TLE line 1 (starting '1 ') after the name line {name_line}", ln)
        l1 = (n, ln)
        i += 1
        if i >= count:
            raise ElementFormatError(source, last_line + 1, f"TLE line 2 after line 1 at line {n}", "end of file")
        n2, ln2 = lines[i]
        if not ln2.startswith("2 "):
            raise ElementFormatError(source, n2, f"TLE line 2 (starting '2 ') after line 1 at line {n}", ln2)
        i += 1
        yield name, l1, (n2, ln2)


def _is_line1(ln: str) -> bool:
    """True when ``ln`` looks like TLE line 1, not a name line (a name may start with '1 ' but is short)."""
    return ln.startswith("1 ") and len(ln) >= 60


def _check_tle_line(line: str, lineno: int, which: int, source: str, verify_checksum: bool) -> None:
    if not line.isascii():
        raise ElementFormatError(source, lineno, f"TLE line {which} in plain ASCII", line)
    if len(line) != _TLE_LINE_LENGTH:
        raise ElementFormatError(
            source, lineno, f"TLE line {which} of {_TLE_LINE_LENGTH} columns (found {len(line)})", line
        )
    fixed = _LINE1_FIXED if which == 1 else _LINE2_FIXED
    for col, ch in fixed.items():
        if line[col] != ch:
            raise ElementFormatError(source, lineno, f"{ch!r} in column {col + 1} of TLE line {which}", line[col])
    catalog = line[2:7]
    if not (_NUMERIC5_RE.match(catalog) or _ALPHA5_RE.match(catalog)):
        raise ElementFormatError(
            source,
            lineno,
            "a catalogue number in columns 3-7 (5 digits, or alpha-5: a letter A-Z but not I or O, then 4 digits)",
            catalog,
        )
    decimals = _LINE1_DECIMALS if which == 1 else _LINE2_DECIMALS
    for a, b, what in decimals:
        try:
            float(line[a:b])
        except ValueError:
            raise ElementFormatError(source, lineno, f"{what} in columns {a + 1}-{b}", line[a:b]) from None
    if which == 1:
        if line[7] not in "UCS ":
            raise ElementFormatError(source, lineno, "classification U, C or S in column 8", line[7])
        for a, b, what in ((44, 52, "second derivative of mean motion"), (53, 61, "B* drag term")):
            if not _EXP_FIELD_RE.match(line[a:b]):
                raise ElementFormatError(source, lineno, f"{what} in columns {a + 1}-{b} (form ' 12345-6')", line[a:b])
        if not line[64:68].strip().isdigit() and line[64:68].strip():
            raise ElementFormatError(source, lineno, "element set number in columns 65-68", line[64:68])
    else:
        if not line[26:33].isdigit():
            raise ElementFormatError(source, lineno, "eccentricity digits in columns 27-33", line[26:33])
        rev = line[63:68].strip()
        if rev and not rev.isdigit():
            raise ElementFormatError(source, lineno, "revolution number in columns 64-68", line[63:68])
    if verify_checksum:
        if not line[68].isdigit():
            raise ElementFormatError(source, lineno, f"a checksum digit in column 69 of TLE line {which}", line[68])
        expected = tle_checksum(line)
        if int(line[68]) != expected:
            raise ElementFormatError(source, lineno, f"checksum {expected} in column 69 of TLE line {which}", line[68])


# ---------------------------------------------------------------------------------------------- OMM helpers


def _xml_tag(element: Any) -> str:
    """An XML element's tag without its namespace (``{uri}segment`` -> ``segment``)."""
    return str(element.tag).rpartition("}")[2]


def _normalise_omm_epoch(value: Any) -> str:
    """EPOCH as ``YYYY-MM-DDTHH:MM:SS.ffffff`` (as ``sgp4.omm.initialize`` parses it), rounded to 1 us."""
    m = _OMM_EPOCH_RE.match(str(value).strip())
    if m is None:
        raise ValueError(value)
    base = _dt.datetime.strptime(m.group(1).replace(" ", "T"), "%Y-%m-%dT%H:%M:%S")
    frac = m.group(2) or "0"
    micro = round(int(frac) * 10 ** (6 - len(frac))) if len(frac) <= 6 else round(float("0." + frac) * 1e6)
    return (base + _dt.timedelta(microseconds=micro)).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _satrec_from_omm_fields(
    rec: dict[str, Any], source: str, lineno: int | None, record: int | None
) -> tuple[Satrec, str]:
    fields: dict[str, Any] = {}
    for key, value in rec.items():
        if key is None:
            raise ElementFormatError(source, lineno, "no more values than header columns", str(value), record)
        fields[key] = value.strip() if isinstance(value, str) else value

    def bad(expected: str, found: Any) -> ElementFormatError:
        return ElementFormatError(source, lineno, expected, None if found is None else str(found), record)

    for key in _OMM_FLOAT_FIELDS:
        value = fields.get(key)
        try:
            ok = value is not None and value != "" and math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise bad(f"a number in OMM field {key}", value)
    try:
        catnum = int(fields.get("NORAD_CAT_ID"))  # type: ignore[arg-type]
        if not 0 <= catnum <= 339_999:
            raise ValueError
    except (TypeError, ValueError):
        raise bad("an integer 0..339999 in OMM field NORAD_CAT_ID", fields.get("NORAD_CAT_ID")) from None
    try:
        fields["EPOCH"] = _normalise_omm_epoch(fields.get("EPOCH"))
    except ValueError:
        raise bad("an ISO time YYYY-MM-DDTHH:MM:SS[.ffffff] in OMM field EPOCH", fields.get("EPOCH")) from None
    for key, default in _OMM_OPTIONAL_DEFAULTS.items():
        if fields.get(key) in (None, ""):
            fields[key] = default
    for key in ("EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH"):
        try:
            fields[key] = int(float(fields[key]))
            if not 0 <= fields[key] <= _OMM_INT_MAX:  # sgp4 keeps them in C longs
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise bad(f"an integer 0..{_OMM_INT_MAX} in OMM field {key}", fields[key]) from None
    fields["NORAD_CAT_ID"] = catnum
    fields["OBJECT_ID"] = str(fields["OBJECT_ID"])
    fields["CLASSIFICATION_TYPE"] = str(fields["CLASSIFICATION_TYPE"])
    if fields["CLASSIFICATION_TYPE"] not in ("U", "C", "S"):
        raise bad("classification U, C or S in OMM field CLASSIFICATION_TYPE", fields["CLASSIFICATION_TYPE"])
    sat = Satrec()
    with np.errstate(all="ignore"):
        _omm.initialize(sat, fields)
    # sgp4init takes the epoch as one float of days since 1949-12-31, which rounds it to ~0.3 microseconds
    # (~2 mm of along-track motion in LEO). Restore the exact split Julian date, as the TLE reader keeps it;
    # propagation uses only (jd - jdsatepoch) + (fr - jdsatepochF), and the epoch's effect inside
    # initialisation is 1e-11 rad of GMST.
    epoch = _dt.datetime.strptime(fields["EPOCH"], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=_dt.UTC)
    sat.jdsatepoch, sat.jdsatepochF = datetime_to_jd(epoch)
    sat.classification = fields["CLASSIFICATION_TYPE"][:1] or "U"  # sgp4init resets it to "U"
    name = str(fields.get("OBJECT_NAME") or catnum).strip()
    return sat, name


def epoch_offset_days(elements: ElementSet, start_jd: tuple[float, float], span_days: float) -> np.ndarray:
    """Per satellite, the longest time (days) SGP4 propagates its set over a run that starts at the split Julian
    date ``start_jd`` and lasts ``span_days``: the distance from the set's epoch to the farther end of the run."""
    to_start = (start_jd[0] - elements.epoch_jd) + (start_jd[1] - elements.epoch_fr)
    return np.maximum(np.abs(to_start), np.abs(to_start + span_days))


# ---------------------------------------------------------------------------------------------- files

_TLE_SUFFIXES = {".tle", ".txt", ".3le", ".2le"}
_FORMATS = ("auto", "tle", "omm-json", "omm-csv", "omm-xml", "omm-kvn")


def load_elements(path: str | Path, format: str = "auto") -> ElementSet:
    """Read an element file: ``format`` is ``"tle"``, ``"omm-json"``, ``"omm-csv"``, ``"omm-xml"``, ``"omm-kvn"``
    or ``"auto"``.

    ``"auto"`` dispatches on the extension (.tle/.txt/.3le/.2le -> TLE, .json -> OMM JSON, .csv -> OMM CSV,
    .xml -> OMM XML, .kvn -> OMM KVN) and otherwise on the content (a leading ``[`` or ``{`` -> JSON, ``<`` -> XML,
    a first line ``CCSDS_OMM_VERS`` -> KVN, a header naming ``NORAD_CAT_ID`` -> CSV, else TLE). A name ending in
    ``.gz`` is read through gzip and dispatched on the extension before it (``catalog.tle.gz`` -> TLE).
    """
    if format not in _FORMATS:
        raise ValueError(f"unknown element format {format!r}; use one of {', '.join(_FORMATS)}")
    p = Path(path)
    source = str(p)
    gz = p.name.lower().endswith(".gz")
    try:
        data = p.read_bytes()
        if gz:
            import gzip
            import zlib

            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise ElementFormatError(source, None, f"a readable gzip file ({exc})") from None
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ElementFormatError(source, None, f"UTF-8 text (bad byte at offset {exc.start})") from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ElementFormatError(source, 1, "at least one element set", "empty file")
    if format == "auto":
        suffix = Path(p.name[:-3]).suffix.lower() if gz else p.suffix.lower()
        if suffix in _TLE_SUFFIXES:
            format = "tle"
        elif suffix == ".json":
            format = "omm-json"
        elif suffix == ".csv":
            format = "omm-csv"
        elif suffix == ".xml":
            format = "omm-xml"
        elif suffix == ".kvn":
            format = "omm-kvn"
        else:
            head = text.lstrip()
            first_line = head.splitlines()[0] if head else ""
            if head.startswith(("[", "{")):
                format = "omm-json"
            elif head.startswith("<"):
                format = "omm-xml"
            elif first_line.replace(" ", "").startswith("CCSDS_OMM_VERS="):
                format = "omm-kvn"
            elif "NORAD_CAT_ID" in first_line and "," in first_line:
                format = "omm-csv"
            else:
                format = "tle"
    if format == "tle":
        return ElementSet.from_tle_text(text, source=source)
    if format == "omm-json":
        return ElementSet.from_omm_json(text, source=source)
    if format == "omm-xml":
        return ElementSet.from_omm_xml(text, source=source)
    if format == "omm-kvn":
        return ElementSet.from_omm_kvn(text, source=source)
    return ElementSet.from_omm_csv(text, source=source)


# ---------------------------------------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class DuplicateCatalogNumber:
    """A catalogue number that appears in more than one element set of a file.

    ``kept`` is the 0-based row of the set that is used: the one with the latest epoch (a later element set of the
    same object supersedes an earlier one, as catalogue providers publish them); among sets with the same epoch,
    the last in the file. ``dropped`` are the other rows, in file order. ``epochs_utc`` holds the epochs
    (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) of ``kept`` then of each ``dropped`` row; ``names`` their names in that order.
    """

    catalog_number: int
    kept: int
    dropped: tuple[int, ...]
    epochs_utc: tuple[str, ...]
    names: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """For JSON (``summary.json``): rows as 1-based record numbers, as :meth:`describe` says them."""
        return {
            "catalog_number": self.catalog_number,
            "kept_record": self.kept + 1,
            "dropped_records": [r + 1 for r in self.dropped],
            "epochs_utc": list(self.epochs_utc),
            "names": list(self.names),
        }

    def describe(self) -> str:
        """One line for people: which records share the number, which one is used and why."""
        rows = [self.kept, *self.dropped]
        order = sorted(range(len(rows)), key=lambda k: rows[k])
        listed = ", ".join(f"record {rows[k] + 1} ({self.names[k]}, epoch {self.epochs_utc[k]})" for k in order)
        return (
            f"catalogue number {self.catalog_number} appears {len(rows)} times: {listed}; "
            f"using record {self.kept + 1} (latest epoch)"
        )


def _jd_text(jd: float, fr: float) -> str:
    """A split Julian date as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC)."""
    return jd_to_datetime(jd, fr).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def find_duplicates(elements: ElementSet) -> list[DuplicateCatalogNumber]:
    """Every catalogue number that ``elements`` holds more than once, in the order of first appearance.

    This is the one rule for duplicates (``validate`` reports them, the run drops them with :func:`deduplicate`):
    the set with the latest epoch is kept, and among equal epochs the last one in the file.
    """
    numbers = np.asarray(elements.catalog_numbers)
    if numbers.size == len(np.unique(numbers)):
        return []
    jd, fr = np.asarray(elements.epoch_jd), np.asarray(elements.epoch_fr)
    epoch = (jd - jd.min()) + fr  # days since the earliest whole date: ~1e-16 day resolution for comparing
    out: list[DuplicateCatalogNumber] = []
    seen: set[int] = set()
    for num in numbers.tolist():
        if num in seen:
            continue
        seen.add(num)
        rows = np.flatnonzero(numbers == num)
        if rows.size < 2:
            continue
        # latest epoch; ties go to the later row (lexsort: last key is primary)
        kept = int(rows[np.lexsort((rows, epoch[rows]))[-1]])
        dropped = tuple(int(r) for r in rows if r != kept)
        order = (kept, *dropped)
        out.append(
            DuplicateCatalogNumber(
                catalog_number=int(num),
                kept=kept,
                dropped=dropped,
                epochs_utc=tuple(_jd_text(jd[r], fr[r]) for r in order),
                names=tuple(elements.names[r] for r in order),
            )
        )
    return out


def deduplicate(elements: ElementSet) -> tuple[ElementSet, list[DuplicateCatalogNumber]]:
    """``elements`` with one set per catalogue number (:func:`find_duplicates`' rule), in file order, and the
    duplicates found (empty when there are none; ``elements`` itself is then returned)."""
    dups = find_duplicates(elements)
    if not dups:
        return elements, []
    drop = np.zeros(len(elements), dtype=bool)
    for d in dups:
        drop[list(d.dropped)] = True
    return elements.subset(np.flatnonzero(~drop)), dups
