"""Never count what did not fly: satellites SGP4 cannot propagate are excluded from the step they fail on.

Damaged element sets are made from six real Starlink TLEs (the first six records of
``tests/data/tle_starlink/starlink_20260224_1413Z_slice.tle``) by editing fields, with the checksum recomputed, so
SGP4 fails as Vallado's code does (error codes of Vallado et al. 2006, AIAA 2006-6753, as python-sgp4 returns them):

- B* raised to 0.99999 / earth radii: the satellite decays during the day; it is lost when it drops below the
  121.92 km entry interface (orbitgrid's code 254), hours before SGP4 itself returns error codes for it;
- eccentricity 0.9999999: SGP4 fails at the epoch itself (error 4, semi-latus rectum < 0);
- a duplicate of the first record with an older epoch: dropped, the latest epoch kept.

Exact reductions: every satellite SGP4 keeps delivers exactly the GPU-hours it delivers in the healthy set (tracks
are independent), the one failing at the epoch delivers 0, and the decaying one exactly what a run of that satellite
alone over the steps before the one holding its failure delivers (stepping is causal).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from sgp4.api import Satrec
from typer.testing import CliRunner

from orbitgrid.api import load_scenario, simulate
from orbitgrid.astro.elements import ElementSet, deduplicate, find_duplicates, load_elements, tle_checksum
from orbitgrid.astro.sgp4_adapter import (
    ERROR_MEANINGS,
    ERROR_NONFINITE,
    ERROR_REENTRY,
    REENTRY_ALTITUDE_M,
    codes_before_start,
)
from orbitgrid.astro.survey import survey_elements
from orbitgrid.astro.time import TimeGrid
from orbitgrid.cli import app
from orbitgrid.pipeline.capacity import ground_capacities, shell_capacity
from orbitgrid.pipeline.economics import scenario_cost
from orbitgrid.pipeline.nodes import build_fleet_timeline
from orbitgrid.pipeline.orbit import ElementSetLostError, survey_shells

runner = CliRunner()
EPOCH = "2026-02-24T15:00:00Z"
STEP_S = 60.0
DECAYING, AT_EPOCH = 5, 4  # rows of the damaged file (after the duplicate is dropped)


def _fix(line: str) -> str:
    return line[:68] + str(tle_checksum(line))


def _records(reference_data: Path) -> list[tuple[str, str, str]]:
    path = reference_data / "tle_starlink" / "starlink_20260224_1413Z_slice.tle"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    return [(lines[i].strip(), lines[i + 1], lines[i + 2]) for i in range(0, 18, 3)]


def decaying(rec: tuple[str, str, str]) -> tuple[str, str, str]:
    name, l1, l2 = rec
    return f"{name} DECAYING", _fix(l1[:53] + " 99999+0" + l1[61:]), l2


def unbound(rec: tuple[str, str, str]) -> tuple[str, str, str]:
    name, l1, l2 = rec
    return f"{name} E1", l1, _fix(l2[:26] + "9999999" + l2[33:])


def older(rec: tuple[str, str, str]) -> tuple[str, str, str]:
    """The same satellite with an epoch one day earlier (the elements left as they are)."""
    name, l1, l2 = rec
    day = float(l1[20:32]) - 1.0
    return f"{name} OLD", _fix(l1[:20] + f"{day:012.8f}" + l1[32:]), l2


def _write(path: Path, records: list[tuple[str, str, str]]) -> Path:
    path.write_text("".join(f"{n}\n{a}\n{b}\n" for n, a, b in records))
    return path


def _scenario(folder: Path, tle: Path, duration_s: float = 86_400.0, extra: str = "") -> str:
    text = f"""\
schema_version: 1
name: lost
epoch: {EPOCH}
duration: {duration_s:g}s
step: {STEP_S:g}s
seed: 5
fleet:
  shells:
    - name: starlink
      orbit: {{type: elements, file: {tle.name}}}
      design: starlink-v2-mini-compute
{extra}"""
    path = folder / f"{tle.stem}-{duration_s:g}.yaml"
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module")
def files(reference_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lost")
    recs = _records(reference_data)
    damaged = list(recs)
    damaged[DECAYING] = decaying(recs[DECAYING])
    damaged[AT_EPOCH] = unbound(recs[AT_EPOCH])
    return {
        "folder": folder,
        "healthy": _write(folder / "healthy.tle", recs),
        "damaged": _write(folder / "damaged.tle", [older(recs[0]), *damaged]),
        "decaying": _write(folder / "decaying.tle", [decaying(recs[DECAYING])]),
        "all-lost": _write(folder / "all-lost.tle", [unbound(r) for r in recs[:3]] + [decaying(recs[3])]),
    }


def test_damaged_sets_fail_with_vallados_error_codes_or_reenter(files: dict[str, Path]) -> None:
    """The unbound set fails at initialisation (code 4); the decaying one drops below the 121.92 km entry interface
    (orbitgrid's code 254) hours before SGP4's own codes give up on it; its loss instant is that crossing to 1 ms."""
    es = load_elements(files["damaged"])
    assert es.init_error[1 + AT_EPOCH] == 4  # found at initialisation: SGP4 fails at every time
    grid = TimeGrid.from_duration(dt.datetime(2026, 2, 24, 15, tzinfo=dt.UTC), 86_400.0, STEP_S)
    survey = survey_elements(es.subset([1 + DECAYING, 1 + AT_EPOCH]), grid)
    assert list(survey.failure_code) == [ERROR_REENTRY, 4] and survey.failed_s[1] == 0.0 and survey.end_s[1] == 0.0
    onset = float(survey.failed_s[0])
    assert 0.0 < onset < grid.duration_s and survey.end_s[0] == math.floor(onset / STEP_S) * STEP_S
    sat = es.satrecs[1 + DECAYING]

    def height_m(t_s: float) -> tuple[int, float]:
        code, r_km, _v = sat.sgp4(*grid.jd_utc(t_s))
        r = np.asarray(r_km) * 1e3
        lat = math.asin(r[2] / np.linalg.norm(r))
        ellipsoid = 6_378_137.0 * math.sqrt((1 - 6.69437999014e-3) / (1 - 6.69437999014e-3 * math.cos(lat) ** 2))
        return code, float(np.linalg.norm(r) - ellipsoid)

    before, after = height_m(onset - 1e-3), height_m(onset)
    assert before[0] == 0 and after[0] == 0  # SGP4 itself still propagates there
    assert before[1] >= REENTRY_ALTITUDE_M > after[1] and before[1] - after[1] < 100.0
    t = np.arange(grid.n_steps + 1) * STEP_S
    codes = np.array([sat.sgp4(*grid.jd_utc(x))[0] for x in t])
    assert codes.any() and t[np.argmax(codes != 0)] > onset + 3600.0  # SGP4's own failure comes later
    assert set(codes[codes != 0].tolist()) <= set(ERROR_MEANINGS)


def test_duplicates_keep_the_latest_epoch(files: dict[str, Path]) -> None:
    es = load_elements(files["damaged"])
    dups = find_duplicates(es)
    assert len(dups) == 1
    d = dups[0]
    assert d.catalog_number == 44714 and d.kept == 1 and d.dropped == (0,)  # the later epoch is the second record
    assert d.epochs_utc[0] > d.epochs_utc[1] and d.names[1].endswith("OLD")
    assert "using record 2 (latest epoch)" in d.describe()
    kept, found = deduplicate(es)
    assert len(kept) == len(es) - 1 and found == dups
    assert list(kept.catalog_numbers) == list(es.catalog_numbers[1:])
    # equal epochs: the later record wins
    text = "".join(f"{n}\n{a}\n{b}\n" for n, a, b in [_tle(es, 2), _tle(es, 3), _tle(es, 2)])
    same = ElementSet.from_tle_text(text)
    assert find_duplicates(same)[0].kept == 2
    assert deduplicate(load_elements(files["healthy"]))[1] == []


def _tle(es: ElementSet, i: int) -> tuple[str, str, str]:
    from sgp4.exporter import export_tle

    l1, l2 = export_tle(es.satrecs[i])
    return es.names[i], l1, l2


def _nodes(run: Path) -> dict[str, np.ndarray]:
    t = pq.read_table(run / "nodes.parquet").to_pydict()
    return {k: np.asarray(v) for k, v in t.items()}


@pytest.fixture(scope="module")
def runs(files: dict[str, Path]) -> dict[str, Path]:
    folder = files["folder"]
    network = "tenants:\n  - {name: lab, contract: on_demand}\nworkloads:\n"
    network += (
        "  - {type: training, tenant: lab, count: 8, gpus: 16, gpu_model: H100, work_gpu_hours: 8, spacing: 3h}\n"
    )
    network += "network:\n  gateways: {providers: [KSAT]}\n"
    out = {}
    for name in ("healthy", "damaged"):
        scenario = load_scenario(_scenario(folder, files[name], extra=network))
        out[name] = simulate(scenario, folder / f"run-{name}").path
    return out


def test_lost_satellites_deliver_exactly_nothing_from_their_failing_step(
    files: dict[str, Path], runs: dict[str, Path]
) -> None:
    healthy, damaged = _nodes(runs["healthy"]), _nodes(runs["damaged"])
    summary = json.loads((runs["damaged"] / "summary.json").read_text())
    shell = summary["shells"]["starlink"]
    assert shell["satellites"] == 6 and shell["satellites_lost"] == 2 and shell["element_sets_dropped"] == 1
    lost = {x["catalog_number"]: x for x in shell["lost_satellites"]}
    es = deduplicate(load_elements(files["damaged"]))[0]
    at_epoch = lost[int(es.catalog_numbers[AT_EPOCH])]
    decay = lost[int(es.catalog_numbers[DECAYING])]
    assert at_epoch["error_code"] == 4 and at_epoch["failed_s"] == 0.0 and at_epoch["failed_utc"].startswith(EPOCH[:19])
    assert at_epoch["error"] == ERROR_MEANINGS[4]
    assert decay["error_code"] == ERROR_REENTRY and 0.0 < decay["failed_s"] < 86_400.0
    assert [x["catalog_number"] for x in shell["lost_satellites"]] == [
        at_epoch["catalog_number"],
        decay["catalog_number"],
    ]
    life = math.floor(decay["failed_s"] / STEP_S)  # whole steps flown before the one holding the failure

    # satellites SGP4 keeps: exactly their healthy GPU-hours; the one lost at the epoch: nothing
    kept = [i for i in range(6) if i not in (DECAYING, AT_EPOCH)]
    np.testing.assert_array_equal(damaged["gpu_hours"][kept], healthy["gpu_hours"][kept])
    assert damaged["gpu_hours"][AT_EPOCH] == 0.0 and damaged["harvested_energy_kwh"][AT_EPOCH] == 0.0
    assert np.isnan(damaged["battery_min_soc"][AT_EPOCH]) and damaged["sgp4_failed_s"][AT_EPOCH] == 0.0
    assert np.isnan(damaged["sgp4_failed_s"][kept]).all() and damaged["sgp4_failed_s"][DECAYING] == decay["failed_s"]
    # the decaying one: exactly a run of it alone over the steps it flew
    alone_sc = load_scenario(_scenario(files["folder"], files["decaying"], duration_s=life * STEP_S))
    alone = _nodes(simulate(alone_sc, files["folder"] / "run-alone", report=False, cost=False).path)
    assert alone["gpu_hours"][0] > 0.0
    assert damaged["gpu_hours"][DECAYING] == alone["gpu_hours"][0]
    assert damaged["harvested_energy_kwh"][DECAYING] == alone["harvested_energy_kwh"][0]

    # the shell's totals: the sum of the above; installed still counts all six over the day
    cap = summary["capacity"]["shells"]["starlink"]
    expected = float(np.sum(healthy["gpu_hours"][kept])) + float(alone["gpu_hours"][0])
    assert cap["gpu_hours_deliverable"] == pytest.approx(expected, rel=1e-12)
    assert cap["satellite_steps_flown"] == 4 * 1440 + life and cap["satellite_steps"] == 6 * 1440
    assert cap["gpu_hours_installed"] == 6 * 16 * 24.0
    base = json.loads((runs["healthy"] / "summary.json").read_text())["capacity"]["shells"]["starlink"]
    assert base["gpu_hours_installed"] == cap["gpu_hours_installed"]
    assert cap["gpu_hours_deliverable"] < base["gpu_hours_deliverable"]
    # the report names them in its capacity section
    import html as html_lib

    page = html_lib.unescape((runs["damaged"] / "report.html").read_text(encoding="utf-8"))
    assert "starlink: 2 of 6 satellites lost (SGP4 cannot propagate them, or they re-enter)" in page
    assert f"{decay['catalog_number']} {decay['name']} at {decay['failed_utc']} (error 254" in page
    assert "1 catalogue number given more than once; 1 older element set dropped" in page
    # the per-step timeline: from the decaying satellite's last flown step on, one fewer satellite contributes
    ts = pq.read_table(runs["damaged"] / "timeseries.parquet").to_pydict()
    usable = np.asarray(ts["usable_accelerators"])
    assert usable[:life].max() > 16 * 4 and usable[life:].max() <= 16 * 4  # 5 flying, then 4


def test_lost_satellites_reach_the_scheduler_network_and_cost(files: dict[str, Path], runs: dict[str, Path]) -> None:
    summary = json.loads((runs["damaged"] / "summary.json").read_text())
    decay = next(x for x in summary["shells"]["starlink"]["lost_satellites"] if x["error_code"] == ERROR_REENTRY)
    life = math.floor(decay["failed_s"] / STEP_S)
    # scheduler nodes: no usable accelerator from the failing step on (none at all for the one lost at the epoch)
    scenario = load_scenario(_scenario(files["folder"], files["damaged"]))
    surveys = survey_shells(scenario)
    caps = [shell_capacity(scenario, s, track_usable=True) for s in surveys]
    usable = build_fleet_timeline(scenario, surveys, caps, ground_capacities(scenario)).timeline.usable_gpus
    assert not usable[AT_EPOCH].any() and not usable[DECAYING, life:].any() and usable[DECAYING, :life].any()
    assert usable.sum() * STEP_S / 3600.0 == pytest.approx(
        summary["capacity"]["shells"]["starlink"]["gpu_hours_deliverable"], rel=1e-12
    )
    # network: a lost satellite has no link and no route to the ground once it is lost
    links = pq.read_table(runs["damaged"] / "links.parquet").to_pydict()
    names = {f"starlink/sat-{DECAYING}", f"starlink/sat-{AT_EPOCH}"}
    gone = {f"starlink/sat-{AT_EPOCH}": 0.0, f"starlink/sat-{DECAYING}": life * STEP_S}
    for a, b, t in zip(links["a"], links["b"], links["t_s"], strict=True):
        for end in {a, b} & names:
            assert t < gone[end], (end, t)
    lat = pq.read_table(runs["damaged"] / "latency.parquet").to_pydict()
    for node, t, latency in zip(lat["node"], lat["t_s"], lat["latency_s"], strict=True):
        if node in gone and t >= gone[node]:
            assert math.isinf(latency)
    contacts = pq.read_table(runs["damaged"] / "contacts.parquet").to_pydict()
    for sat, rise in zip(contacts["satellite"], contacts["rise_s"], strict=True):
        if sat in gone:
            assert rise < gone[sat]
    # cost: priced from the run's GPU-hours over the GPU-hours installed, lost satellites included (they were
    # launched): with the jobs' delivered hours (cost.json of these runs) and from capacity alone (no workloads)
    doc = json.loads((runs["damaged"] / "cost.json").read_text())
    assert doc["orbit"]["gpu_hours_source"] == "simulated"
    fraction = doc["assumptions"]["orbit"]["starlink"]["simulated_delivered_fraction"]
    delivered = summary["orbit_vs_ground"]["orbital"]["gpu_hours_delivered"]
    assert fraction == pytest.approx(delivered / (6 * 16 * 24.0), rel=1e-12)
    price, availability = {}, {}
    for k in runs:
        capacity_only = {
            key: v for key, v in json.loads((runs[k] / "summary.json").read_text()).items() if key != "orbit_vs_ground"
        }
        priced = scenario_cost(scenario, capacity_only).to_dict()
        price[k] = priced["orbit"]["usd_per_gpu_hour"]
        availability[k] = priced["assumptions"]["orbit"]["starlink"]["availability"]
        cap = capacity_only["capacity"]["shells"]["starlink"]
        assert availability[k] == pytest.approx(cap["gpu_hours_deliverable"] / (6 * 16 * 24.0), rel=1e-12)
    assert availability["damaged"] < availability["healthy"] and price["damaged"] > price["healthy"]


def test_an_element_set_that_never_flies_is_an_error_naming_the_file(files: dict[str, Path]) -> None:
    scenario = load_scenario(_scenario(files["folder"], files["all-lost"]))
    with pytest.raises(ElementSetLostError, match=r"all-lost\.tle"):
        survey_shells(scenario)
    for command in ("simulate", "orbit"):
        path = _scenario(files["folder"], files["all-lost"])
        res = runner.invoke(app, [command, path, "--out", str(files["folder"] / f"out-{command}")])
        assert res.exit_code == 2, res.output
        err = " ".join(res.stderr.split())
        assert "all-lost.tle" in err and "none of the 4 satellites of shell 'starlink' flies the run" in err
        assert "3 x error 4" in err and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("ECCENTRICITY", 1.0, ERROR_NONFINITE), ("ECCENTRICITY", 1.5, 1), ("MEAN_MOTION", -15.0, ERROR_NONFINITE)],
)
def test_omm_sets_sgp4_rejects_are_a_clear_error(
    files: dict[str, Path], tmp_path: Path, field: str, value: float, code: int
) -> None:
    """The issue's OMM cases (eccentricity 1 and above, negative mean motion) end in exit 2 naming the file."""
    from sgp4 import omm
    from sgp4.exporter import export_omm

    es = load_elements(files["healthy"])
    records = []
    for sat, name in zip(es.satrecs[:2], es.names[:2], strict=True):
        rec = export_omm(sat, name)
        rec[field] = value
        records.append(rec)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(records))
    sat = Satrec()
    omm.initialize(sat, dict(records[0]))
    e, r, _v = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF)  # python-sgp4 returns NaN without a code for some
    assert (e if e else ERROR_NONFINITE if not np.isfinite(r).all() else 0) == code
    res = runner.invoke(app, ["simulate", _scenario(tmp_path, path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    err = " ".join(res.stderr.split())
    assert "bad.json" in err and f"2 x error {code} ({ERROR_MEANINGS[code]})" in err and "Traceback" not in res.output


def test_cli_prints_lost_satellites_and_duplicates(files: dict[str, Path]) -> None:
    path = _scenario(files["folder"], files["damaged"], duration_s=86_400.0)
    res = runner.invoke(app, ["orbit", path, "--out", str(files["folder"] / "orbit-out")])
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())
    assert "2 of 6 satellites lost (SGP4 cannot propagate them, or they re-enter)" in err
    assert "error 4: semilatus rectum is less than zero" in err and "error 254: below the 121.92 km entry" in err
    assert "1 catalogue number appear more than once; 1 older element set dropped" in err
    assert "44714 (STARLINK-1008): record 2" in err
    doc = json.loads((files["folder"] / "orbit-out" / "orbit.json").read_text())
    assert doc["fleet"]["satellites_lost"] == 2


def _vallado(reference_data: Path, catalog: str) -> tuple[str, str]:
    lines = (reference_data / "sgp4_verification" / "SGP4-VER.TLE").read_text().splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(f"1 {catalog}"))
    return lines[i][:69], lines[i + 1][:69]  # line 2 carries Vallado's start/stop/step after column 69


def test_a_set_that_decayed_before_the_run_is_lost_at_its_start(reference_data: Path) -> None:
    """Vallado's case 29141 (B* 0.135, n-dot 1.0) decays within hours of its epoch (2006-06-19 06:25 UTC). Five days
    later SGP4 returns error-free states again that are no orbit (a radius of ~6e9 km moving at ~8 m/s): the set must
    count as lost from the first instant of a run that starts then, not fly until SGP4's next error code."""
    l1, l2 = _vallado(reference_data, "29141")
    leo = _vallado(reference_data, "28057")  # a healthy LEO set (epoch 2003) for contrast
    es = ElementSet.from_tle_text(f"{l1}\n{l2}\n{leo[0]}\n{leo[1]}\n")
    grid = TimeGrid.from_duration(dt.datetime(2006, 6, 25, tzinfo=dt.UTC), 3_600.0, STEP_S)
    sat = es.satrecs[0]
    code, r_km, v_km_s = sat.sgp4(*grid.jd_utc(0.0))
    assert code == 0 and np.linalg.norm(r_km) > 1e9 and np.linalg.norm(v_km_s) < 0.01  # what SGP4 returns there
    assert codes_before_start(es, grid.epoch_jd).tolist()[0] != 0
    survey = survey_elements(es, grid)
    assert survey.end_s[0] == 0.0 and survey.failed_s[0] == 0.0 and survey.failure_code[0] != 0
    # the healthy set is untouched (its epoch is three years before: SGP4 propagates it throughout)
    assert survey.failure_code[1] == 0 and survey.end_s[1] == grid.duration_s and np.isnan(survey.failed_s[1])
