"""``orbitgrid export``: OMM round trips through the element reader (and sgp4's XML parser), OEM parsed by the
third-party ``oem`` package, CZML validated by ``czml3``'s models; designed-orbit SGP4 elements reproduce the
design's positions."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from sgp4 import omm as sgp4_omm
from typer.testing import CliRunner

from orbitgrid.astro import j2 as j2mod
from orbitgrid.astro.constants import EARTH_MU_M3_S2
from orbitgrid.astro.elements import load_elements
from orbitgrid.cli import app
from orbitgrid.pipeline import export as ex
from orbitgrid.pipeline.orbit import shell_orbits
from orbitgrid.scenario import load_scenario


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_scenario("default")


@pytest.fixture(scope="module")
def omm_dir(tmp_path_factory: pytest.TempPathFactory, scenario) -> Path:  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("omm")
    for fmt in ("json", "xml", "kvn"):
        ex.export_omm(scenario, d, fmt)
    return d


def test_omm_json_round_trip_gives_the_same_satellites(omm_dir: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    for shell in scenario.fleet.shells:
        c = shell_orbits(scenario, shell).circular
        el = load_elements(omm_dir / f"{shell.name}.omm.json")
        assert len(el) == len(c)
        assert not el.init_error.any()
        np.testing.assert_allclose(
            el.mean_motion_brouwer_rad_s, np.sqrt(EARTH_MU_M3_S2 / c.semi_major_axis_m**3), rtol=1e-13
        )
        np.testing.assert_allclose(el.inclination_rad, c.inclination_rad, atol=1e-12)
        np.testing.assert_allclose(np.cos(el.raan_rad - c.raan_rad), 1.0, atol=1e-12)
        u = el.arg_perigee_rad + el.mean_anomaly_rad
        np.testing.assert_allclose(np.cos(u - c.arg_latitude_rad), 1.0, atol=1e-12)
        assert np.all(el.eccentricity == 0.0)


def test_omm_xml_and_kvn_carry_the_json_values(omm_dir: Path) -> None:
    recs = json.loads((omm_dir / "walker-550.omm.json").read_text())
    with (omm_dir / "walker-550.omm.xml").open() as fh:
        xml_recs = list(sgp4_omm.parse_xml(fh))
    assert len(xml_recs) == len(recs)
    for a, b in zip(recs, xml_recs, strict=True):
        for key in ("OBJECT_NAME", "EPOCH", "NORAD_CAT_ID"):
            assert str(a[key]) == b[key]
        for key in ("MEAN_MOTION", "INCLINATION", "RA_OF_ASC_NODE", "MEAN_ANOMALY"):
            assert float(b[key]) == a[key]
    root = ET.parse(omm_dir / "walker-550.omm.xml").getroot()
    assert root.find("omm").get("version") == "3.0"
    kvn = (omm_dir / "walker-550.omm.kvn").read_text()
    blocks = [b for b in kvn.split("CCSDS_OMM_VERS = 3.0\n") if b.strip()]
    assert len(blocks) == len(recs)
    fields = dict(ln.split(" = ", 1) for ln in blocks[7].splitlines() if " = " in ln)
    assert float(fields["MEAN_MOTION"]) == recs[7]["MEAN_MOTION"]
    assert fields["REF_FRAME"] == "TEME" and fields["MEAN_ELEMENT_THEORY"] == "SGP4"


def test_omm_xml_and_kvn_read_back_as_the_json(omm_dir: Path) -> None:
    # The element reader takes what export writes in every format: the same sets, value for value.
    for shell in ("walker-550", "dawn-dusk-650"):
        ref = load_elements(omm_dir / f"{shell}.omm.json")
        for fmt in ("xml", "kvn"):
            got = load_elements(omm_dir / f"{shell}.omm.{fmt}")
            assert got.names == ref.names
            for attr in ("catalog_numbers", "epoch_jd", "epoch_fr", "mean_motion_kozai_rad_s", "raan_rad", "bstar"):
                np.testing.assert_array_equal(getattr(got, attr), getattr(ref, attr), err_msg=f"{fmt} {attr}")


def test_sgp4_from_the_omm_flies_the_designed_orbit(omm_dir: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    # SGP4 from the written elements against the J2 secular path of the design, over one hour: both are mean-element
    # theories of the same orbit; they differ by SGP4's short-period J2 terms (~10 km, j2.py's docstring)
    from orbitgrid.astro.sgp4_adapter import propagate_teme

    shell = scenario.fleet.shells[1]
    c = shell_orbits(scenario, shell).circular.subset(slice(0, 5))
    el = load_elements(omm_dir / f"{shell.name}.omm.json").subset(np.arange(5))
    grid = scenario.time_grid()
    t = np.linspace(0.0, 3600.0, 7)
    jd, fr = grid.jd_utc(t)
    r_sgp4, _, err = propagate_teme(el, jd, fr)
    r_j2 = j2mod.positions_teme_m(c.semi_major_axis_m, c.inclination_rad, c.raan_rad, c.arg_latitude_rad, t)
    assert not err.any()
    assert np.max(np.linalg.norm(r_sgp4 - r_j2, axis=-1)) < 25e3


def test_oem_parses_with_a_third_party_reader(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    from oem import OrbitEphemerisMessage

    files = ex.export_oem(scenario, tmp_path, days=7.0, per_orbit=100, limit=1)
    assert len(files) == 3
    a = scenario.fleet.shells[1].orbit.altitude_km * 1e3 + 6_378_137.0
    period = 2.0 * math.pi * math.sqrt(a**3 / EARTH_MU_M3_S2)
    f = tmp_path / "walker-550" / "walker-550-0.oem"
    msg = OrbitEphemerisMessage.open(f)
    (seg,) = list(msg)
    states = list(seg.states)
    assert seg.metadata["REF_FRAME"] == "TEME" and seg.metadata["OBJECT_NAME"] == "walker-550-0"
    step = (states[1].epoch - states[0].epoch).sec
    assert period / 101.0 < step <= period / 100.0
    assert (states[-1].epoch - states[0].epoch).sec >= 7 * 86400.0
    c = shell_orbits(scenario, scenario.fleet.shells[1]).circular.subset(slice(0, 1))
    r, v = j2mod.positions_teme_m(
        c.semi_major_axis_m, c.inclination_rad, c.raan_rad, c.arg_latitude_rad, np.array([0.0, 100 * step]), True
    )
    np.testing.assert_allclose(states[0].position, r[0, 0] / 1e3, atol=1e-6)
    np.testing.assert_allclose(states[100].position, r[0, 1] / 1e3, atol=1e-6)
    np.testing.assert_allclose(states[100].velocity, v[0, 1] / 1e3, atol=1e-9)


def test_czml_validates_against_czml3_and_colours_by_illumination(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    from czml3 import Document

    out = ex.export_czml(scenario, tmp_path / "x.czml", hours=2.0, step_s=60.0, limit=3)
    doc = Document.model_validate_json(out.read_text())
    assert doc.packets[0].id == "document"
    sats = doc.packets[1:]
    assert len(sats) == 9
    raw = json.loads(out.read_text())
    walker = next(p for p in raw if p["id"] == "walker-550-0")
    assert walker["position"]["referenceFrame"] == "FIXED"
    assert len(walker["position"]["cartesian"]) == 121 * 4
    colours = {tuple(iv["rgba"]) for iv in walker["point"]["color"]}
    # a 53 deg orbit at the March equinox crosses the shadow within two hours; the dawn-dusk one stays lit
    assert tuple(ex.ILLUMINATION_RGBA[0]) in colours and tuple(ex.ILLUMINATION_RGBA[2]) in colours
    dawn = next(p for p in raw if p["id"] == "dawn-dusk-650-0")
    assert [tuple(iv["rgba"]) for iv in dawn["point"]["color"]] == [tuple(ex.ILLUMINATION_RGBA[0])]


def test_export_cli(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["export", "omm", "default", "--format", "kvn", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "walker-550.omm.kvn").exists()
    res = CliRunner().invoke(app, ["export", "omm", "default", "--format", "yaml", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--format" in res.output
    res = CliRunner().invoke(app, ["export", "oem", "default", "--days", "0", "--out", str(tmp_path)])
    assert res.exit_code == 2
    res = CliRunner().invoke(
        app, ["export", "czml", "default", "--hours", "0.5", "--limit", "1", "-o", str(tmp_path / "a.czml")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a.czml").exists()


def test_a_fleet_beyond_the_alpha5_range_is_refused_with_a_clear_error() -> None:
    res = CliRunner().invoke(app, ["export", "omm", "mega-1m", "--out", "/nonexistent-orbitgrid-dir"])
    assert res.exit_code == 2
    assert "alpha-5" in res.output


def test_an_element_shell_is_rewritten_as_the_same_element_sets(tmp_path: Path) -> None:
    slice_ = Path(__file__).resolve().parents[1] / "data" / "tle_starlink" / "starlink_20260224_1413Z_slice.tle"
    (tmp_path / "sl.tle").write_text(slice_.read_text())
    (tmp_path / "s.yaml").write_text(
        "schema_version: 1\nname: sl\nepoch: 2026-02-24T14:00:00Z\nduration: 600s\nstep: 60s\nseed: 1\n"
        "fleet:\n  shells:\n    - name: starlink\n      orbit: {type: elements, file: sl.tle}\n"
        "      design: starlink-v2-mini-compute\n"
    )
    sc = load_scenario(str(tmp_path / "s.yaml"))
    (path,) = ex.export_omm(sc, tmp_path / "omm", "json")
    back = load_elements(path)
    orig = shell_orbits(sc, sc.fleet.shells[0]).elements
    assert back.names == orig.names
    np.testing.assert_array_equal(back.catalog_numbers, orig.catalog_numbers)
    for field in ("inclination_rad", "raan_rad", "eccentricity", "mean_motion_kozai_rad_s", "bstar", "epoch_jd"):
        np.testing.assert_allclose(getattr(back, field), getattr(orig, field), rtol=1e-12, atol=1e-12, err_msg=field)
    np.testing.assert_allclose(back.epoch_fr, orig.epoch_fr, atol=1e-11)  # 1 us of EPOCH text


def test_oem_of_an_element_set_stops_at_its_first_failure(tmp_path: Path) -> None:
    # Vallado's decaying case 29141 fails within hours of its epoch; a scenario five days later would get error-free
    # SGP4 states 6e9 km out. Its OEM is not written (no state before the failure), the healthy set's is.
    text = (Path(__file__).resolve().parents[1] / "data" / "sgp4_verification" / "SGP4-VER.TLE").read_text()
    lines = text.splitlines()
    sets = []
    for cat in ("29141", "28057"):
        i = next(k for k, ln in enumerate(lines) if ln.startswith(f"1 {cat}"))
        sets += [lines[i][:69], lines[i + 1][:69]]
    (tmp_path / "v.tle").write_text("\n".join(sets) + "\n")
    (tmp_path / "s.yaml").write_text(
        "schema_version: 1\nname: v\nepoch: 2006-06-25T00:00:00Z\nduration: 600s\nstep: 60s\nseed: 1\n"
        "fleet:\n  shells:\n    - name: v\n      orbit: {type: elements, file: v.tle, epoch_window_days: 2000}\n"
        "      design: compute-sat\n"
    )
    sc = load_scenario(str(tmp_path / "s.yaml"))
    files = ex.export_oem(sc, tmp_path / "oem", days=0.1)
    assert [f.name for f in files] == ["28057.oem"]
    radii = [float(np.linalg.norm([float(x) for x in ln.split()[1:4]])) for ln in files[0].read_text().splitlines()
             if ln[:4].isdigit()]  # fmt: skip
    assert radii and min(radii) > 6_900.0 and max(radii) < 7_300.0  # km: the healthy LEO set, 700-800 km high


def _run_with_placements(run_dir: Path, placements: list[tuple[str, float, float, int]], nodes: dict[str, int]) -> Path:
    """A complete run directory holding only the tables the utilization colouring reads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    run_dir.mkdir()
    (run_dir / "manifest.json").write_text(
        json.dumps({"format": 1, "scenario": {"name": "default"}, "status": "complete"})
    )
    pq.write_table(pa.table({"node": list(nodes), "gpus": list(nodes.values())}), run_dir / "node_usage.parquet")
    cols = list(zip(*placements, strict=True)) if placements else [[], [], [], []]
    pq.write_table(
        pa.table(
            {
                "node": pa.array(cols[0], pa.string()),
                "start_s": pa.array(cols[1], pa.float64()),
                "end_s": pa.array(cols[2], pa.float64()),
                "gpus": pa.array(cols[3], pa.int64()),
            }
        ),
        run_dir / "placements.parquet",
    )
    return run_dir


def test_busy_fraction_integrates_placements_over_each_interval(tmp_path: Path) -> None:
    """Worked by hand on a 600 s grid: 8 of 8 GPUs over [0, 3600) is 1 in the first six intervals; 4 of 8 from
    2,100 s to 5,400 s is 4 x 300 / (8 x 600) = 0.25 in [1800, 2400], then 0.5, and 0 after; overlapping placements
    add."""
    nodes = {"s/sat-0": 8, "s/sat-1": 8, "s/sat-2": 8}
    run = _run_with_placements(
        tmp_path / "run",
        [("s/sat-0", 0.0, 3_600.0, 8), ("s/sat-1", 2_100.0, 5_400.0, 4), ("s/sat-1", 2_400.0, 3_000.0, 2)],
        nodes,
    )
    t = np.arange(0.0, 7_200.0 + 1.0, 600.0)
    busy, gpus = ex.busy_fraction(run, t)
    assert gpus == nodes
    assert np.allclose(busy["s/sat-0"], [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert np.allclose(busy["s/sat-1"], [0, 0, 0, 0.25, 0.75, 0.5, 0.5, 0.5, 0.5, 0, 0, 0])
    assert np.allclose(busy["s/sat-2"], 0.0)


def test_busy_fraction_names_what_is_wrong(tmp_path: Path) -> None:
    from orbitgrid.results.run import RunDirError

    with pytest.raises(RunDirError, match="no such run directory"):
        ex.busy_fraction(tmp_path / "missing", np.arange(3.0))
    run = _run_with_placements(tmp_path / "run", [("s/sat-9", 0.0, 10.0, 1)], {"s/sat-0": 8})
    with pytest.raises(RunDirError, match="'s/sat-9'"):
        ex.busy_fraction(run, np.arange(3.0))


def test_czml_coloured_by_utilization(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    """The default scenario's first dawn-dusk satellite busy (8 of 8 GPUs) for the first hour, the second half busy
    from 30 min on, the third idle: their points take the ramp's ends and middle over those intervals."""
    from czml3 import Document

    shell = next(s for s in scenario.fleet.shells if s.name.startswith("dawn-dusk"))
    dawn = shell.name
    gpus = 8  # the run's GPUs per node: node_usage says so
    nodes = {
        f"{s.name}/{'cluster' if s.orbit.type == 'formation' else 'sat'}-{k}": gpus
        for s in scenario.fleet.shells
        for k in range(3)
    }
    run = _run_with_placements(
        tmp_path / "run",
        [(f"{dawn}/sat-0", 0.0, 3_600.0, gpus), (f"{dawn}/sat-1", 1_800.0, 7_200.0, gpus // 2)],
        nodes,
    )
    out = ex.export_czml(scenario, tmp_path / "u.czml", hours=2.0, step_s=600.0, limit=3, run_dir=run)
    Document.model_validate_json(out.read_text())
    raw = {p["id"]: p for p in json.loads(out.read_text())}
    idle, full = (list(c) for c in ex.UTILIZATION_RGBA)
    half = ex._utilization_rgba(0.5)

    def colours(k: int) -> list[tuple[str, list[int]]]:
        return [(iv["interval"], iv["rgba"]) for iv in raw[f"{dawn}-{k}"]["point"]["color"]]

    assert [c for _, c in colours(0)] == [full, idle]
    assert colours(0)[0][0] == "2027-03-20T00:00:00Z/2027-03-20T01:00:00Z"
    assert [c for _, c in colours(1)] == [idle, half]
    assert [c for _, c in colours(2)] == [idle]
    assert "busy GPU fraction" in raw[f"{dawn}-0"]["description"]


def test_export_czml_cli_by_utilization_refuses_an_unfinished_run(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.json").write_text(json.dumps({"format": 1, "scenario": {}, "status": "running"}))
    res = CliRunner().invoke(
        app,
        ["export", "czml", "default", "--hours", "0.5", "--run", str(tmp_path / "run"), "-o", str(tmp_path / "a.czml")],
    )
    assert res.exit_code == 2 and "incomplete run" in res.output
