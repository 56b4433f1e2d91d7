"""Element-set readers: TLE (2-line, 3-line, alpha-5, checksums, errors), OMM JSON/CSV, file dispatch."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.model import Satrec as PySatrec

from orbitgrid.astro.elements import ElementFormatError, ElementSet, load_elements, tle_checksum
from orbitgrid.astro.sgp4_adapter import propagate_teme
from orbitgrid.astro.time import datetime_to_jd

TWO_PI = 2.0 * math.pi

# Public element sets (Vallado's SGP4 verification file and a CelesTrak Starlink set).
VANGUARD = (
    "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753",
    "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667",
)
MOLNIYA = (
    "1 08195U 75081A   06176.33215444  .00000099  00000-0  11873-3 0   813",
    "2 08195  64.1586 279.0717 6877146 264.7651  20.2257  2.00491383225656",
)
STARLINK = (
    "1 44714U 19074B   26054.54089312  .00000969  00000+0  43797-4 0  9997",
    "2 44714  53.1568 244.5638 0001273  95.0474 265.0672 15.31036083346702",
)
NEG_BSTAR = (  # MOLNIYA 1-83: negative B*
    "1 21897U 92011A   06176.02341244 -.00001273  00000-0 -13525-3 0  3044",
    "2 21897  62.1749 198.0096 7421690 253.0462  20.1561  2.01269994104880",
)
PAIRS = {
    "VANGUARD 1": VANGUARD,
    "MOLNIYA 2-14": MOLNIYA,
    "STARLINK-1008": STARLINK,
    "MOLNIYA 1-83": NEG_BSTAR,
}


def with_checksum(line68: str) -> str:
    assert len(line68) == 68, len(line68)
    return line68 + str(tle_checksum(line68))


def edit(line: str, col0: int, text: str) -> str:
    """Replace characters from 0-based column ``col0`` and recompute the checksum."""
    body = line[:68]
    body = body[:col0] + text + body[col0 + len(text) :]
    return with_checksum(body)


def test_known_checksums_are_valid() -> None:
    for l1, l2 in PAIRS.values():
        assert tle_checksum(l1) == int(l1[68]) and tle_checksum(l2) == int(l2[68])


# ----------------------------------------------------------------------------------------- TLE layouts


def test_two_line_set() -> None:
    es = ElementSet.from_tle_text("\n".join(VANGUARD) + "\n")
    assert len(es) == 1
    assert es.names == ["5"]
    assert es.catalog_numbers.tolist() == [5]
    assert es.epoch_jd[0] == 2451722.5 and es.epoch_fr[0] == pytest.approx(0.78495062, abs=1e-12)
    assert math.degrees(es.inclination_rad[0]) == pytest.approx(34.2682, abs=1e-12)
    assert math.degrees(es.raan_rad[0]) == pytest.approx(348.7242, abs=1e-12)
    assert es.eccentricity[0] == pytest.approx(0.1859667, abs=1e-15)
    assert math.degrees(es.arg_perigee_rad[0]) == pytest.approx(331.7664, abs=1e-12)
    assert math.degrees(es.mean_anomaly_rad[0]) == pytest.approx(19.3264, abs=1e-12)
    assert es.mean_motion_kozai_rad_s[0] * 86400 / TWO_PI == pytest.approx(10.82419157, abs=1e-12)
    assert es.bstar[0] == pytest.approx(0.28098e-4, rel=1e-12)
    assert (es.init_error == 0).all()


def test_brouwer_mean_motion_is_sgp4s_unkozai() -> None:
    es = ElementSet.from_tle_text("\n".join(line for pair in PAIRS.values() for line in pair))
    for k, (l1, l2) in enumerate(PAIRS.values()):
        ref = PySatrec.twoline2rv(l1, l2)  # the pure-Python port exposes no_unkozai (rad/min)
        assert es.mean_motion_brouwer_rad_s[k] == pytest.approx(ref.no_unkozai / 60.0, rel=1e-14)
        assert es.mean_motion_brouwer_rad_s[k] != es.mean_motion_kozai_rad_s[k]


def test_three_line_mixed_with_two_line_blank_lines_and_crlf() -> None:
    text = (
        "\r\n"
        "VANGUARD 1              \r\n" + "\r\n".join(VANGUARD) + "\r\n\r\n"
        "0 MOLNIYA 2-14\r\n" + "\r\n".join(MOLNIYA) + "\r\n" + "\r\n".join(STARLINK) + "\r\n   \r\n"
    )
    es = ElementSet.from_tle_text(text)
    assert es.names == ["VANGUARD 1", "MOLNIYA 2-14", "44714"]
    assert es.catalog_numbers.tolist() == [5, 8195, 44714]
    # a lone CR as line end (old Mac files) too
    assert len(ElementSet.from_tle_text(text.replace("\r\n", "\r"))) == 3


def test_comment_lines_are_skipped() -> None:
    # Vallado's SGP4-VER.TLE puts '#' comment lines before and between element sets.
    text = "#   ----- cases -----\n#   # TEME example\n" + "\n".join(VANGUARD) + "\n  # MOLNIYA\n0 MOLNIYA 2-14\n"
    es = ElementSet.from_tle_text(text + "\n".join(MOLNIYA) + "\n# end\n")
    assert es.names == ["5", "MOLNIYA 2-14"]
    assert es.catalog_numbers.tolist() == [5, 8195]
    with pytest.raises(ElementFormatError, match="empty file"):
        ElementSet.from_tle_text("# only a comment\n")


def test_name_line_that_starts_like_line_one() -> None:
    es = ElementSet.from_tle_text("1 SHORT NAME\n" + "\n".join(STARLINK))
    assert es.names == ["1 SHORT NAME"]


@pytest.mark.parametrize("cls", ["U", "C", "S"])
def test_classification(cls: str) -> None:
    l1 = edit(VANGUARD[0], 7, cls)
    es = ElementSet.from_tle_text(f"{l1}\n{VANGUARD[1]}")
    assert es.satrecs[0].classification == cls


def test_bad_classification() -> None:
    l1 = edit(VANGUARD[0], 7, "X")
    with pytest.raises(ElementFormatError, match=r"line 1: expected classification U, C or S in column 8"):
        ElementSet.from_tle_text(f"{l1}\n{VANGUARD[1]}")


@pytest.mark.parametrize(
    ("field", "number"),
    [
        ("A0000", 100000),
        ("A0005", 100005),
        ("H9999", 179999),
        ("J0000", 180000),
        ("P1234", 231234),
        ("Z9999", 339999),
        ("99999", 99999),
    ],
)
def test_alpha5_catalog_numbers(field: str, number: int) -> None:
    l1, l2 = edit(STARLINK[0], 2, field), edit(STARLINK[1], 2, field)
    es = ElementSet.from_tle_text(f"STAR\n{l1}\n{l2}\n")
    assert es.catalog_numbers.tolist() == [number]
    assert es.satrecs[0].satnum_str == field


@pytest.mark.parametrize("field", ["I0001", "O0001", "a0001", "A00X1"])
def test_invalid_alpha5(field: str) -> None:
    l1, l2 = edit(STARLINK[0], 2, field), edit(STARLINK[1], 2, field)
    with pytest.raises(ElementFormatError, match=r"line 2: expected a catalogue number in columns 3-7"):
        ElementSet.from_tle_text(f"STAR\n{l1}\n{l2}\n")


def test_catalog_numbers_of_the_two_lines_must_match() -> None:
    l2 = edit(STARLINK[1], 2, "44715")
    with pytest.raises(ElementFormatError, match=r"line 3: expected the catalogue number of line 1"):
        ElementSet.from_tle_text(f"STAR\n{STARLINK[0]}\n{l2}\n")


def test_bad_checksum_names_file_and_line(tmp_path: Path) -> None:
    bad = STARLINK[1][:68] + str((int(STARLINK[1][68]) + 1) % 10)
    path = tmp_path / "sats.tle"
    path.write_text("VANGUARD 1\n" + "\n".join(VANGUARD) + "\n\nSTARLINK-1008\n" + STARLINK[0] + "\n" + bad + "\n")
    with pytest.raises(ElementFormatError) as info:
        load_elements(path)
    msg = str(info.value)
    assert str(path) in msg and "line 7" in msg and "checksum 2 in column 69" in msg
    assert info.value.line_number == 7 and info.value.source == str(path)
    assert isinstance(info.value, ValueError)
    # the same text is accepted when the caller opts out of the check
    assert len(ElementSet.from_tle_text(path.read_text(), verify_checksum=False)) == 2


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.tle"
    path.write_text("VANGUARD 1\n" + "\n".join(VANGUARD) + "\nSTARLINK-1008\n" + STARLINK[0] + "\n")
    with pytest.raises(ElementFormatError, match=r"cut\.tle, line 6: expected TLE line 2 after line 1 at line 5"):
        load_elements(path)
    path.write_text("VANGUARD 1\n" + "\n".join(VANGUARD) + "\nSTARLINK-1008\n")
    with pytest.raises(ElementFormatError, match=r"line 5: expected TLE line 1 after the name line 4; found 'end"):
        load_elements(path)
    path.write_text("VANGUARD 1\n" + VANGUARD[0] + "\n" + VANGUARD[1][:50] + "\n")
    with pytest.raises(ElementFormatError, match=r"line 3: expected TLE line 2 of 69 columns \(found 50\)"):
        load_elements(path)


def test_short_line_one_in_a_two_line_file() -> None:
    with pytest.raises(ElementFormatError, match=r"line 1: expected TLE line 1 of 69 columns \(found 50\)"):
        ElementSet.from_tle_text(VANGUARD[0][:50] + "\n" + VANGUARD[1] + "\n")


def test_missing_line_one_after_name() -> None:
    with pytest.raises(
        ElementFormatError, match=r"line 2: expected TLE line 1 \(starting '1 '\) after the name line 1"
    ):
        ElementSet.from_tle_text("NAME\n" + VANGUARD[1] + "\n")
    with pytest.raises(ElementFormatError, match=r"line 1: expected TLE line 1 .* or a name line before line 2"):
        ElementSet.from_tle_text(VANGUARD[1] + "\n" + VANGUARD[0] + "\n")


def test_garbage_fields_are_rejected_not_read_as_zero() -> None:
    l2 = edit(STARLINK[1], 8, " 5x.1568")
    with pytest.raises(ElementFormatError, match=r"line 2: expected inclination \(degrees\) in columns 9-16"):
        ElementSet.from_tle_text(f"{STARLINK[0]}\n{l2}")
    l1 = edit(STARLINK[0], 53, " 4379?-4")
    with pytest.raises(ElementFormatError, match=r"line 1: expected B\* drag term in columns 54-61"):
        ElementSet.from_tle_text(f"{l1}\n{STARLINK[1]}")
    l1 = edit(STARLINK[0], 23, ",")
    with pytest.raises(ElementFormatError, match=r"expected '\.' in column 24 of TLE line 1"):
        ElementSet.from_tle_text(f"{l1}\n{STARLINK[1]}")


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.tle"
    path.write_text(content)
    with pytest.raises(ElementFormatError, match=r"empty\.tle, line 1: expected at least one element set"):
        load_elements(path)
    with pytest.raises(ElementFormatError, match="empty file"):
        ElementSet.from_tle_text(content)


def test_subset_len_and_read_only() -> None:
    es = ElementSet.from_tle_text("\n".join(line for pair in PAIRS.values() for line in pair))
    assert len(es) == 4
    sub = es.subset([2, 0])
    assert sub.catalog_numbers.tolist() == [44714, 5] and sub.names == ["44714", "5"]
    assert sub.satrecs[0] is es.satrecs[2]
    assert es.subset(slice(1, 3)).catalog_numbers.tolist() == [8195, 44714]
    assert es.subset(es.eccentricity > 0.5).catalog_numbers.tolist() == [8195, 21897]
    assert len(es.subset([])) == 0
    with pytest.raises(ValueError):
        es.inclination_rad[0] = 0.0


# ----------------------------------------------------------------------------------------- OMM

OMM_KEYS = [
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
]


def _implied(field: str) -> str:
    """TLE ' 12345-6' notation -> '0.12345e-6'."""
    sign = "-" if field[0] == "-" else ""
    return f"{sign}0.{field[1:6]}e{field[6:8]}"


def omm_from_tle(name: str, l1: str, l2: str) -> dict[str, str]:
    """OMM keyword values (as text) carrying exactly the numbers printed in a TLE."""
    yy = int(l1[18:20])
    year = 2000 + yy if yy < 57 else 1900 + yy
    day_int, day_frac = l1[20:32].strip().split(".")
    # 1e-8 day = 864 microseconds exactly, so the TLE epoch is a whole number of microseconds.
    epoch = dt.datetime(year, 1, 1) + dt.timedelta(days=int(day_int) - 1, microseconds=int(day_frac) * 864)
    intl = l1[9:17].strip()
    launch_year = (1900 if int(intl[:2]) >= 57 else 2000) + int(intl[:2])
    return {
        "OBJECT_NAME": name,
        "OBJECT_ID": f"{launch_year}-{intl[2:]}",
        "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "MEAN_MOTION": l2[52:63].strip(),
        "ECCENTRICITY": "0." + l2[26:33],
        "INCLINATION": l2[8:16].strip(),
        "RA_OF_ASC_NODE": l2[17:25].strip(),
        "ARG_OF_PERICENTER": l2[34:42].strip(),
        "MEAN_ANOMALY": l2[43:51].strip(),
        "EPHEMERIS_TYPE": l1[62],
        "CLASSIFICATION_TYPE": l1[7],
        "NORAD_CAT_ID": str(int(l1[2:7])),
        "ELEMENT_SET_NO": l1[64:68].strip(),
        "REV_AT_EPOCH": l2[63:68].strip(),
        "BSTAR": _implied(l1[53:61]),
        "MEAN_MOTION_DOT": l1[33:43].strip(),
        "MEAN_MOTION_DDOT": _implied(l1[44:52]),
    }


def omm_json_text(records: list[dict[str, str]]) -> str:
    """CelesTrak-style JSON: numbers as JSON numbers, names and ids as strings."""
    text_keys = {"OBJECT_NAME", "OBJECT_ID", "EPOCH", "CLASSIFICATION_TYPE"}
    int_keys = {"EPHEMERIS_TYPE", "NORAD_CAT_ID", "ELEMENT_SET_NO", "REV_AT_EPOCH"}
    out = []
    for rec in records:
        out.append({k: (v if k in text_keys else int(v) if k in int_keys else float(v)) for k, v in rec.items()})
    return json.dumps(out, indent=1)


def omm_csv_text(records: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=OMM_KEYS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def _states_one_day_later(es: ElementSet) -> np.ndarray:
    jd = es.epoch_jd[0] + 1.0
    fr = es.epoch_fr[0]
    r_m, _, err = propagate_teme(es, jd, fr)
    assert (err == 0).all()
    return r_m[:, 0, :]


def _assert_same_sets(a: ElementSet, b: ElementSet, tol_m: float = 1e-3) -> float:
    assert a.names == b.names
    np.testing.assert_array_equal(a.catalog_numbers, b.catalog_numbers)
    np.testing.assert_array_equal(a.epoch_jd, b.epoch_jd)
    np.testing.assert_allclose(a.epoch_fr, b.epoch_fr, rtol=0, atol=1e-13)  # 10 ns
    for name in (
        "inclination_rad",
        "raan_rad",
        "eccentricity",
        "arg_perigee_rad",
        "mean_anomaly_rad",
        "mean_motion_kozai_rad_s",
        "mean_motion_brouwer_rad_s",
        "bstar",
    ):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-14, atol=1e-18, err_msg=name)
    assert [s.classification for s in a.satrecs] == [s.classification for s in b.satrecs]
    d = np.linalg.norm(_states_one_day_later(a) - _states_one_day_later(b), axis=-1)
    assert d.max() < tol_m, f"positions differ by up to {d.max() * 1e3:.3f} mm after one day"
    return float(d.max())


def test_omm_json_and_csv_match_tle() -> None:
    # Same epoch for all so one propagation time serves; element values are the real ones.
    tle_text = "".join(f"{name}\n{l1}\n{l2}\n" for name, (l1, l2) in PAIRS.items())
    records = [omm_from_tle(name, l1, l2) for name, (l1, l2) in PAIRS.items()]
    from_tle = ElementSet.from_tle_text(tle_text)
    from_json = ElementSet.from_omm_json(omm_json_text(records))
    from_csv = ElementSet.from_omm_csv(omm_csv_text(records))
    _assert_same_sets(from_tle, from_json)
    _assert_same_sets(from_tle, from_csv)
    _assert_same_sets(from_json, from_csv)
    assert from_json.satrecs[0].intldesg == "58002B"
    # a single OMM object (not a list) is accepted too
    single = ElementSet.from_omm_json(json.dumps(json.loads(omm_json_text(records[:1]))[0]))
    assert single.names == ["VANGUARD 1"]


_META = ("OBJECT_NAME", "OBJECT_ID")
_MEAN = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "MEAN_ANOMALY")


def omm_xml_text(records: list[dict[str, str]]) -> str:
    """CCSDS OMM XML laid out as CelesTrak serves it (an ``ndm`` root with an XSD location attribute, an empty header,
    one ``omm`` per object)."""
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ndm xmlns:xsi="{xsi}" xsi:noNamespaceSchemaLocation="x.xsd">']
    for rec in records:
        meta = "".join(f"<{k}>{rec[k]}</{k}>" for k in _META)
        mean = "".join(f"<{k}>{rec[k]}</{k}>" for k in _MEAN)
        tle = "".join(f"<{k}>{v}</{k}>" for k, v in rec.items() if k not in _META + _MEAN)
        parts.append(
            '<omm id="CCSDS_OMM_VERS" version="2.0"><header><CREATION_DATE/><ORIGINATOR/></header><body><segment>'
            f"<metadata>{meta}<CENTER_NAME>EARTH</CENTER_NAME><REF_FRAME>TEME</REF_FRAME><TIME_SYSTEM>UTC"
            "</TIME_SYSTEM><MEAN_ELEMENT_THEORY>SGP4</MEAN_ELEMENT_THEORY></metadata>"
            f"<data><meanElements>{mean}</meanElements><tleParameters>{tle}</tleParameters></data></segment></body>"
            "</omm>"
        )
    return "\n".join([*parts, "</ndm>"]) + "\n"


def omm_kvn_text(records: list[dict[str, str]]) -> str:
    """CCSDS OMM KVN, one object after another, with comments and bracketed units as the standard allows."""
    blocks = []
    for rec in records:
        lines = ["CCSDS_OMM_VERS = 2.0", "COMMENT from a test", "CREATION_DATE = 2026-02-24T14:13:58", "ORIGINATOR = X"]
        for k, v in rec.items():
            unit = {"MEAN_MOTION": " [rev/day]", "INCLINATION": " [deg]"}.get(k, "")
            lines.append(f"{k:<20} = {v}{unit}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def test_omm_xml_and_kvn_match_tle(tmp_path: Path) -> None:
    tle_text = "".join(f"{name}\n{l1}\n{l2}\n" for name, (l1, l2) in PAIRS.items())
    records = [omm_from_tle(name, l1, l2) for name, (l1, l2) in PAIRS.items()]
    from_tle = ElementSet.from_tle_text(tle_text)
    _assert_same_sets(from_tle, ElementSet.from_omm_xml(omm_xml_text(records)))
    _assert_same_sets(from_tle, ElementSet.from_omm_kvn(omm_kvn_text(records)))
    # python-sgp4's own OMM XML parser reads the same fields (an independent reader of the same text)
    from sgp4 import omm as sgp4_omm

    parsed = list(sgp4_omm.parse_xml(io.StringIO(omm_xml_text(records))))
    assert [(f["NORAD_CAT_ID"], f["MEAN_MOTION"], f["BSTAR"]) for f in parsed] == [
        (r["NORAD_CAT_ID"], r["MEAN_MOTION"], r["BSTAR"]) for r in records
    ]
    # files: by extension, and by content when the extension says nothing
    for name, text in (("a.xml", omm_xml_text(records)), ("b.kvn", omm_kvn_text(records))):
        (tmp_path / name).write_text(text)
        (tmp_path / (name + ".dat")).write_text(text)
        _assert_same_sets(from_tle, load_elements(tmp_path / name))
        _assert_same_sets(from_tle, load_elements(tmp_path / (name + ".dat")))


def test_gzip_element_files_read_as_the_plain_ones(tmp_path: Path) -> None:
    import gzip

    records = [omm_from_tle(name, l1, l2) for name, (l1, l2) in PAIRS.items()]
    tle_text = "".join(f"{name}\n{l1}\n{l2}\n" for name, (l1, l2) in PAIRS.items())
    ref = ElementSet.from_tle_text(tle_text)
    for name, text in (("a.tle", tle_text), ("b.json", omm_json_text(records)), ("c.xml", omm_xml_text(records))):
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
        _assert_same_sets(ref, load_elements(tmp_path / f"{name}.gz"))
    (tmp_path / "bad.tle.gz").write_bytes(gzip.compress(tle_text.encode())[:40])
    with pytest.raises(ElementFormatError, match=r"bad.tle.gz: expected a readable gzip file"):
        load_elements(tmp_path / "bad.tle.gz")


def test_omm_xml_and_kvn_errors_name_line_or_record() -> None:
    rec = omm_from_tle("X", *STARLINK)
    with pytest.raises(ElementFormatError, match=r"<omm xml>, line 3: expected well-formed XML \(unclosed token"):
        ElementSet.from_omm_xml(omm_xml_text([rec])[:300])
    with pytest.raises(ElementFormatError, match=r"record 2: expected a number in OMM field MEAN_MOTION"):
        ElementSet.from_omm_xml(omm_xml_text([rec, {**rec, "MEAN_MOTION": "fast"}]))
    with pytest.raises(ElementFormatError, match=r"expected at least one OMM <segment> element; found '<ndm>'"):
        ElementSet.from_omm_xml("<ndm></ndm>")
    text = omm_kvn_text([rec, {**rec, "BSTAR": ""}])
    with pytest.raises(ElementFormatError, match=r"<omm kvn>, line 41: expected a number in OMM field BSTAR"):
        ElementSet.from_omm_kvn(text)
    with pytest.raises(ElementFormatError, match=r"line 4: expected a .KEYWORD = value. line"):
        ElementSet.from_omm_kvn(omm_kvn_text([rec]).replace("ORIGINATOR = X", "ORIGINATOR X"))
    with pytest.raises(ElementFormatError, match=r"each keyword once per object .*, EPOCH again"):
        ElementSet.from_omm_kvn(omm_kvn_text([rec]) + f"EPOCH = {rec['EPOCH']}\n")


def test_omm_alpha5_number_and_classification() -> None:
    rec = omm_from_tle("X", *STARLINK)
    rec.update(NORAD_CAT_ID="100005", CLASSIFICATION_TYPE="S")
    es = ElementSet.from_omm_csv(omm_csv_text([rec]))
    assert es.catalog_numbers.tolist() == [100005]
    assert es.satrecs[0].satnum_str == "A0005" and es.satrecs[0].classification == "S"


def test_omm_epoch_forms() -> None:
    rec = omm_from_tle("X", *STARLINK)
    base = ElementSet.from_omm_csv(omm_csv_text([rec]))
    for epoch in (rec["EPOCH"] + "Z", rec["EPOCH"] + "000"):
        other = ElementSet.from_omm_csv(omm_csv_text([{**rec, "EPOCH": epoch}]))
        assert other.epoch_fr[0] == base.epoch_fr[0]
    whole = ElementSet.from_omm_csv(omm_csv_text([{**rec, "EPOCH": "2026-02-23T12:00:00"}]))
    # JD of 2026-02-23 00:00 UTC = 2461094.5
    assert (whole.epoch_jd[0], whole.epoch_fr[0]) == (2461094.5, 0.5)


def test_omm_errors_name_line_and_field() -> None:
    rec = omm_from_tle("X", *STARLINK)
    text = omm_csv_text([rec, {**rec, "MEAN_MOTION": ""}])
    with pytest.raises(ElementFormatError, match=r"<omm csv>, line 3: expected a number in OMM field MEAN_MOTION"):
        ElementSet.from_omm_csv(text)
    text = omm_csv_text([{**rec, "EPOCH": "26054.54089312"}])
    with pytest.raises(ElementFormatError, match=r"line 2: expected an ISO time .* in OMM field EPOCH"):
        ElementSet.from_omm_csv(text)
    bad = json.loads(omm_json_text([rec, rec]))
    del bad[1]["INCLINATION"]
    with pytest.raises(ElementFormatError, match=r"record 2: expected a number in OMM field INCLINATION"):
        ElementSet.from_omm_json(json.dumps(bad))
    with pytest.raises(ElementFormatError, match=r"line 2: expected valid JSON"):
        ElementSet.from_omm_json('[\n{"EPOCH": }]')
    with pytest.raises(ElementFormatError, match=r"line 1: expected an OMM CSV header with columns"):
        ElementSet.from_omm_csv("A,B\n1,2\n")
    with pytest.raises(ElementFormatError, match="at least one OMM object"):
        ElementSet.from_omm_json("[]")


def test_load_elements_dispatch(tmp_path: Path) -> None:
    records = [omm_from_tle(name, l1, l2) for name, (l1, l2) in PAIRS.items()]
    tle_text = "".join(f"{name}\n{l1}\n{l2}\n" for name, (l1, l2) in PAIRS.items())
    files = {
        "a.tle": tle_text,
        "a.txt": tle_text,
        "a.3le": tle_text,
        "a.json": omm_json_text(records),
        "a.csv": omm_csv_text(records),
        "a_json.dat": omm_json_text(records),
        "a_csv.dat": omm_csv_text(records),
        "a_tle.dat": tle_text,
    }
    for fname, text in files.items():
        (tmp_path / fname).write_text(text)
        es = load_elements(tmp_path / fname)
        assert es.catalog_numbers.tolist() == [5, 8195, 44714, 21897], fname
    assert len(load_elements(tmp_path / "a_csv.dat", format="omm-csv")) == 4
    with pytest.raises(ValueError, match="unknown element format"):
        load_elements(tmp_path / "a.tle", format="xml")
    (tmp_path / "bad.tle").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ElementFormatError, match="UTF-8"):
        load_elements(tmp_path / "bad.tle")


# ----------------------------------------------------------------------------------------- real data


def test_whole_starlink_file_loads(shared_file: Callable[[str], Path]) -> None:
    path = shared_file("tle_starlink/starlink_frozen_20260224_1413Z.tle")
    es = load_elements(path)
    assert len(es) == 9594
    assert len(np.unique(es.catalog_numbers)) == len(es)
    assert all(name.startswith("STARLINK") for name in es.names)
    assert (es.init_error == 0).all()
    fetched = datetime_to_jd(dt.datetime(2026, 2, 24, 14, 14, tzinfo=dt.UTC))
    age_days = (fetched[0] - es.epoch_jd) + (fetched[1] - es.epoch_fr)
    assert (age_days > 0).all() and np.median(age_days) < 2.0
    period_min = TWO_PI / es.mean_motion_kozai_rad_s / 60.0
    assert 85 < np.median(period_min) < 100


def test_starlink_omm_round_trip(reference_data: Path) -> None:
    path = reference_data / "tle_starlink" / "starlink_20260224_1413Z_slice.tle"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    groups = [(lines[i].strip(), lines[i + 1], lines[i + 2]) for i in range(0, len(lines), 3)]
    assert len(groups) == 243
    from_tle = ElementSet.from_tle_text("\n".join("\n".join(g) for g in groups))
    records = [omm_from_tle(*g) for g in groups]
    _assert_same_sets(from_tle, ElementSet.from_omm_json(omm_json_text(records)))
    _assert_same_sets(from_tle, ElementSet.from_omm_csv(omm_csv_text(records)))


# ----------------------------------------------------------------------------------------- round trip


def _implied_field(x: float) -> str:
    """Format ``x`` as the TLE ' 12345-6' notation (5-digit mantissa, 1-digit exponent)."""
    if x == 0.0:
        return " 00000-0"
    e = math.floor(math.log10(abs(x))) + 1
    m = round(abs(x) / 10.0**e * 1e5)
    if m == 100000:
        m, e = 10000, e + 1
    return f"{'-' if x < 0 else ' '}{m:05d}{'-' if e < 0 else '+'}{abs(e)}"


def _catalog_field(n: int) -> str:
    if n < 100000:
        return f"{n:05d}"
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
    return f"{letters[n // 10000 - 10]}{n % 10000:04d}"


def format_tle(el: dict) -> tuple[str, str]:
    ndot = el["ndot"]
    l1 = (
        f"1 {_catalog_field(el['catnum'])}{el['cls']} {'98067A':8} {el['year'] % 100:02d}{el['day']:012.8f} "
        f"{'-' if ndot < 0 else ' '}{f'{abs(ndot):.8f}'[1:]} {_implied_field(el['nddot'])} "
        f"{_implied_field(el['bstar'])} 0 {el['elset']:4d}"
    )
    l2 = (
        f"2 {_catalog_field(el['catnum'])} {el['incl']:8.4f} {el['raan']:8.4f} {round(el['ecc'] * 1e7):07d} "
        f"{el['argp']:8.4f} {el['ma']:8.4f} {el['n']:11.8f}{el['rev']:5d}"
    )
    return with_checksum(l1), with_checksum(l2)


def _small_or_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    mag = st.floats(lo, hi)
    return st.one_of(st.just(0.0), mag, mag.map(lambda x: -x))


elements_strategy = st.fixed_dictionaries(
    {
        "catnum": st.integers(0, 339_999),
        "cls": st.sampled_from("UCS"),
        "year": st.integers(1957, 2056),
        "day": st.floats(1.0, 365.99999999),
        "ndot": st.floats(-0.4, 0.4),
        "nddot": _small_or_zero(1e-8, 0.99),
        "bstar": _small_or_zero(1e-8, 0.99),
        "elset": st.integers(0, 9999),
        "incl": st.floats(0.0, 180.0),
        "raan": st.floats(0.0, 359.9999),
        "ecc": st.floats(0.0, 0.9999999),
        "argp": st.floats(0.0, 359.9999),
        "ma": st.floats(0.0, 359.9999),
        "n": st.floats(0.2, 17.0),
        "rev": st.integers(0, 99999),
    }
)


@settings(max_examples=300, deadline=None)
@given(el=elements_strategy)
def test_tle_round_trip(el: dict) -> None:
    l1, l2 = format_tle(el)
    es = ElementSet.from_tle_text(f"OBJ\n{l1}\n{l2}\n")
    assert es.catalog_numbers[0] == el["catnum"]
    assert es.satrecs[0].classification == el["cls"]
    jd0, _ = datetime_to_jd(dt.datetime(el["year"], 1, 1, tzinfo=dt.UTC))
    day = (es.epoch_jd[0] - jd0) + es.epoch_fr[0] + 1.0
    assert abs(day - el["day"]) <= 0.5e-8 + 1e-11
    deg = math.degrees
    assert abs(deg(es.inclination_rad[0]) - el["incl"]) <= 0.5e-4 + 1e-9
    assert abs(deg(es.raan_rad[0]) - el["raan"]) <= 0.5e-4 + 1e-9
    assert abs(deg(es.arg_perigee_rad[0]) - el["argp"]) <= 0.5e-4 + 1e-9
    assert abs(deg(es.mean_anomaly_rad[0]) - el["ma"]) <= 0.5e-4 + 1e-9
    assert abs(es.eccentricity[0] - el["ecc"]) <= 0.5e-7 + 1e-15
    assert abs(es.mean_motion_kozai_rad_s[0] * 86400.0 / TWO_PI - el["n"]) <= 0.5e-8 + 1e-12
    b = el["bstar"]
    if b == 0.0:
        assert es.bstar[0] == 0.0
    else:
        half_unit = 0.5e-5 * 10.0 ** (math.floor(math.log10(abs(b))) + 1)  # half the mantissa's last digit
        assert abs(es.bstar[0] - b) <= half_unit * 1.0001
