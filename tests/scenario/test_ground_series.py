"""Ground-site price and carbon series and node-list inventories: alignment to the time grid, units, repeat, errors."""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from orbitgrid.fleet.ground import site_capacity
from orbitgrid.pipeline.capacity import ground_capacities, ground_spec, write_capacity_tables
from orbitgrid.results import RunWriter
from orbitgrid.scenario import Problem, Scenario, ScenarioError, load_scenario, load_scenario_text

BELGIUM = "grid_carbon/belgium_dayahead_price_2022_2023_eur_per_kwh.csv"
FRANCE_CI = "grid_carbon/letswait_fr_ci.csv"
ALIBABA = "alibaba_spot_gpu_v2026/node_info_df.csv"
ALIBABA_NOT_IN_CATALOG = ["A10", "A100-SXM4-80GB", "A800-SXM4-80GB", "GPU-series-1", "GPU-series-2"]


def belgium_price(**extra: Any) -> dict[str, Any]:
    return {
        "file": BELGIUM,
        "column": "DAM_price",
        "time_column": "time",
        "time_format": "%d%b%Y %H:%M:%S",
        "timezone": "Europe/Brussels",
        "empty_values": "skip",
        "unit": "EUR/kWh",
        "exchange_rate_usd_per_eur": 1.0,
        **extra,
    }


def scenario(
    base_dir: Path, *, epoch: str, duration: str, step: str, price: Any = 0.05, carbon: Any = 400.0, gpus: Any = None
) -> Scenario:
    data = {
        "schema_version": 1,
        "name": "series",
        "epoch": epoch,
        "duration": duration,
        "step": step,
        "fleet": {
            "ground_sites": [
                {
                    "name": "site",
                    "lat_deg": 50.8,
                    "lon_deg": 4.4,
                    "gpus": gpus if gpus is not None else {"H100": 1000},
                    "grid_power_mw": 2,
                    "power_price_usd_per_kwh": price,
                    "carbon_g_per_kwh": carbon,
                }
            ]
        },
    }
    import yaml

    return load_scenario_text(yaml.safe_dump(data), base_dir=base_dir)


def problems(base_dir: Path, **kwargs: Any) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        scenario(base_dir, **kwargs)
    return info.value.problems


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("when", "price")) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


# -- a small series by hand ---------------------------------------------------------------------------------------


def test_step_means_of_a_small_series_by_hand(tmp_path: Path) -> None:
    # Rows at 00:00, 01:00, 02:00 of 10, 20, 40 EUR/MWh; the last row holds one hour (the spacing before it), to 03:00.
    # Steps of 90 min: [0, 1.5 h) = (10 x 1 + 20 x 0.5) / 1.5 = 13.333...; [1.5 h, 3 h) = (20 x 0.5 + 40 x 1) / 1.5
    # = 33.333... EUR/MWh. At 1.1 USD/EUR and 1/1000 MWh/kWh: 0.014666... and 0.036666... USD/kWh.
    write_csv(tmp_path / "p.csv", [("2030-01-01 00:00", "10"), ("2030-01-01 01:00", "20"), ("2030-01-01 02:00", "40")])
    price = {
        "file": "p.csv",
        "column": "price",
        "time_column": "when",
        "unit": "EUR/MWh",
        "exchange_rate_usd_per_eur": 1.1,
    }
    s = scenario(tmp_path, epoch="2030-01-01T00:00:00Z", duration="3h", step="90min", price=price)
    got = s.ground_sites[0].price_per_step(s.time_grid())
    np.testing.assert_allclose(got, [20 / 1.5 * 1.1e-3, 50 / 1.5 * 1.1e-3], rtol=1e-12)
    # Through the fleet layer: 1,275 kW IT x 1.5 h x 1.2 PUE = 2,295 kWh facility per step;
    # cost = 2,295 x (0.0146667 + 0.0366667) = 2,295 x 0.0513333... = 117.81 USD.
    cap = site_capacity(ground_spec(s.ground_sites[0], s.time_grid()), 2, 5400.0)
    assert cap.totals()["energy_cost_usd"] == pytest.approx(2295 * 70 / 1.5 * 1.1e-3, rel=1e-9)
    assert cap.totals()["energy_cost_usd"] == pytest.approx(117.81, rel=1e-9)


def test_units_and_offsets(tmp_path: Path) -> None:
    # Timestamps with their own offset ignore `timezone`; lb/MWh -> g/kWh is x 0.45359237.
    rows = [("2030-01-01T01:00:00+01:00", "1000"), ("2030-01-01T02:00:00+01:00", "2000")]
    write_csv(tmp_path / "c.csv", rows, header=("t", "co2"))
    carbon = {"file": "c.csv", "column": "co2", "time_column": "t", "unit": "lb/MWh", "timezone": "Asia/Tokyo"}
    s = scenario(tmp_path, epoch="2030-01-01T00:00:00Z", duration="2h", step="1h", carbon=carbon)
    got = s.ground_sites[0].carbon_per_step(s.time_grid())
    np.testing.assert_allclose(got, [453.59237, 907.18474], rtol=1e-12)


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_gzip_and_byte_order_mark_read_as_the_plain_file(tmp_path: Path, line_end: str) -> None:
    import gzip

    text = "\ufeffwhen,price\n2030-01-01 00:00,10\n2030-01-01 01:00,20\n2030-01-01 02:00,40\n".replace("\n", line_end)
    (tmp_path / "p.csv").write_text(text, encoding="utf-8", newline="")
    (tmp_path / "p.csv.gz").write_bytes(gzip.compress(text.encode()))
    means = []
    for name in ("p.csv", "p.csv.gz"):
        price = {"file": name, "column": "price", "time_column": "when", "unit": "USD/MWh"}
        s = scenario(tmp_path, epoch="2030-01-01T00:00:00Z", duration="3h", step="1h", price=price)
        means.append(s.ground_sites[0].price_per_step(s.time_grid()))
    np.testing.assert_array_equal(means[0], [0.01, 0.02, 0.04])
    np.testing.assert_array_equal(means[1], means[0])
    # a damaged gzip file names the file, not a traceback
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(text.encode())[:30])
    price = {"file": "bad.csv.gz", "column": "price", "time_column": "when", "unit": "USD/MWh"}
    (problem,) = problems(tmp_path, epoch="2030-01-01T00:00:00Z", duration="3h", step="1h", price=price)
    assert problem.path.endswith("power_price_usd_per_kwh.file"), problem
    assert "bad.csv.gz" in problem.message and "gzip" in problem.message, problem
    assert "line 0" not in problem.message  # the data is decompressed ahead of the reader: no line to name


def test_repeat_by_days_when_the_series_is_shorter_than_a_year(tmp_path: Path) -> None:
    # Three days of 1, 2, 3; a one-day run a year later cannot be moved by whole years, so it moves by whole days to
    # the nearest day that fits: 2030-01-03, the last one (value 3).
    write_csv(tmp_path / "p.csv", [("2030-01-01", "1"), ("2030-01-02", "2"), ("2030-01-03", "3")])
    price = {"file": "p.csv", "column": "price", "time_column": "when", "unit": "USD/kWh", "repeat": True}
    s = scenario(tmp_path, epoch="2031-01-10T00:00:00Z", duration="1d", step="12h", price=price)
    np.testing.assert_allclose(s.ground_sites[0].price_per_step(s.time_grid()), [3.0, 3.0])
    # Before the series: the first day that fits, 2030-01-01 (no year fits either: 2030-12-31 is outside).
    s = scenario(tmp_path, epoch="2029-12-31T12:00:00Z", duration="1d", step="12h", price=price)
    np.testing.assert_allclose(s.ground_sites[0].price_per_step(s.time_grid()), [1.0, 2.0])


def test_per_step_columns_in_timeseries_parquet(tmp_path: Path) -> None:
    write_csv(tmp_path / "p.csv", [("2030-01-01 00:00", "0.1"), ("2030-01-01 01:00", "0.3")])
    price = {"file": "p.csv", "column": "price", "time_column": "when", "unit": "USD/kWh"}
    s = scenario(tmp_path, epoch="2030-01-01T00:00:00Z", duration="2h", step="1h", price=price, carbon=200.0)
    sites = ground_capacities(s)
    write_capacity_tables(RunWriter(tmp_path / "run"), [], sites)
    table = pq.read_table(tmp_path / "run" / "timeseries.parquet").to_pydict()
    # 1,275 kWh IT x 1.2 = 1,530 kWh facility per hour: 153 and 459 USD; 1,530 x 200 g = 306 kg each hour.
    np.testing.assert_allclose(table["energy_cost_usd"], [153.0, 459.0], rtol=1e-12)
    np.testing.assert_allclose(table["carbon_kg"], [306.0, 306.0], rtol=1e-12)
    assert sites[0].totals()["energy_cost_usd"] == pytest.approx(612.0, rel=1e-12)


# -- real series from ../shared/data/grid_carbon ------------------------------------------------------------------


def _rows_for_day(path: Path, day: dt.date, time_column: str, column: str, parse: Any) -> list[float]:
    with path.open(newline="", encoding="utf-8") as f:
        return [float(r[column]) for r in csv.DictReader(f) if r[column].strip() and parse(r[time_column]) == day]


def test_belgian_prices_on_a_day_match_the_file(shared_data: Path) -> None:
    # 15 June 2022, local midnight to midnight (UTC+2): 24 hourly rows, one per step, in EUR/kWh (rate 1).
    day = dt.date(2022, 6, 15)
    rows = _rows_for_day(
        shared_data / BELGIUM, day, "time", "DAM_price", lambda t: dt.datetime.strptime(t, "%d%b%Y %H:%M:%S").date()
    )
    assert len(rows) == 24
    hourly = scenario(shared_data, epoch="2022-06-15T00:00:00+02:00", duration="24h", step="1h", price=belgium_price())
    np.testing.assert_allclose(hourly.ground_sites[0].price_per_step(hourly.time_grid()), rows, rtol=1e-9)
    daily = scenario(shared_data, epoch="2022-06-15T00:00:00+02:00", duration="24h", step="24h", price=belgium_price())
    assert daily.ground_sites[0].price_per_step(daily.time_grid())[0] == pytest.approx(np.mean(rows), rel=1e-9)
    # At 1.08 USD/EUR every step scales by 1.08.
    usd = scenario(
        shared_data,
        epoch="2022-06-15T00:00:00+02:00",
        duration="24h",
        step="24h",
        price=belgium_price(exchange_rate_usd_per_eur=1.08),
    )
    assert usd.ground_sites[0].price_per_step(usd.time_grid())[0] == pytest.approx(1.08 * np.mean(rows), rel=1e-9)


def test_belgian_series_across_the_autumn_clock_change(shared_data: Path) -> None:
    # 30 Oct 2022 in Brussels has 25 hours; the file repeats 02:00. The day's 25 rows cover exactly 25 UTC hours.
    day = dt.date(2022, 10, 30)
    rows = _rows_for_day(
        shared_data / BELGIUM, day, "time", "DAM_price", lambda t: dt.datetime.strptime(t, "%d%b%Y %H:%M:%S").date()
    )
    assert len(rows) == 25
    s = scenario(shared_data, epoch="2022-10-29T22:00:00Z", duration="25h", step="1h", price=belgium_price())
    np.testing.assert_allclose(s.ground_sites[0].price_per_step(s.time_grid()), rows, rtol=1e-9)


def test_french_carbon_half_hourly_rows_average_to_the_day(shared_data: Path) -> None:
    day = dt.date(2020, 7, 1)
    rows = _rows_for_day(
        shared_data / FRANCE_CI,
        day,
        "Time",
        "Carbon Intensity",
        lambda t: dt.datetime.fromisoformat(t).date(),
    )
    assert len(rows) == 48
    carbon = {"file": FRANCE_CI, "column": "Carbon Intensity", "time_column": "Time", "unit": "g/kWh"}
    s = scenario(shared_data, epoch="2020-07-01T00:00:00Z", duration="24h", step="4h", carbon=carbon)
    got = s.ground_sites[0].carbon_per_step(s.time_grid())
    np.testing.assert_allclose(got, np.mean(np.reshape(rows, (6, 8)), axis=1), rtol=1e-9)
    assert np.mean(got) == pytest.approx(np.mean(rows), rel=1e-9)


def test_repeat_reads_the_same_dates_of_the_nearest_year(shared_data: Path) -> None:
    # The series covers 2022-2023 (Brussels time); a 2027 run reads 2023, the nearest year that fits.
    moved = scenario(
        shared_data, epoch="2027-06-15T00:00:00+02:00", duration="24h", step="1h", price=belgium_price(repeat=True)
    )
    direct = scenario(shared_data, epoch="2023-06-15T00:00:00+02:00", duration="24h", step="1h", price=belgium_price())
    np.testing.assert_array_equal(
        moved.ground_sites[0].price_per_step(moved.time_grid()),
        direct.ground_sites[0].price_per_step(direct.time_grid()),
    )


def test_alibaba_node_list_counts_by_catalog_model(shared_data: Path) -> None:
    # H800 (219 nodes of 8) counted as H100; the file's other models are ignored.
    with (shared_data / ALIBABA).open(newline="") as f:
        h800 = sum(int(r["gpu_capacity_num"]) for r in csv.DictReader(f) if r["gpu_model"] == "H800")
    gpus = {
        "file": ALIBABA,
        "format": "alibaba_spot_v2026",
        "models": {"H800": "H100"},
        "ignore": ALIBABA_NOT_IN_CATALOG,
    }
    s = scenario(shared_data, epoch="2030-01-01T00:00:00Z", duration="1h", step="1h", gpus=gpus)
    assert s.ground_sites[0].gpu_counts == {"H100": h800}
    assert h800 == 1752
    spec = ground_spec(s.ground_sites[0], s.time_grid())
    assert spec.accelerators == 1752


# -- errors name the field ----------------------------------------------------------------------------------------


def test_missing_file_names_the_field(tmp_path: Path) -> None:
    price = {"file": "nope.csv", "column": "price", "time_column": "when", "unit": "USD/kWh"}
    assert problems(tmp_path, epoch="2030-01-01T00:00:00Z", duration="1h", step="1h", price=price) == [
        Problem(
            "fleet.ground_sites[0].power_price_usd_per_kwh.file",
            f"series file not found: {(tmp_path / 'nope.csv').resolve()}",
        )
    ]


def test_wrong_column_names_the_field_and_lists_the_columns(tmp_path: Path) -> None:
    write_csv(tmp_path / "p.csv", [("2030-01-01 00:00", "1"), ("2030-01-01 01:00", "2")])
    price = {"file": "p.csv", "column": "Price", "time_column": "when", "unit": "USD/kWh"}
    assert problems(tmp_path, epoch="2030-01-01T00:00:00Z", duration="1h", step="1h", price=price) == [
        Problem(
            "fleet.ground_sites[0].power_price_usd_per_kwh.column",
            "no column 'Price' in p.csv; its columns are: when, price",
        )
    ]
    carbon = {"file": "p.csv", "column": "price", "time_column": "time", "unit": "g/kWh"}
    [p] = problems(tmp_path, epoch="2030-01-01T00:00:00Z", duration="1h", step="1h", carbon=carbon)
    assert p.path == "fleet.ground_sites[0].carbon_g_per_kwh.time_column"


def test_epoch_outside_the_series_without_repeat(tmp_path: Path) -> None:
    write_csv(tmp_path / "p.csv", [("2030-01-01 00:00", "1"), ("2030-01-01 01:00", "2")])
    price = {"file": "p.csv", "column": "price", "time_column": "when", "unit": "USD/kWh"}
    assert problems(tmp_path, epoch="2030-01-01T01:00:00Z", duration="2h", step="1h", price=price) == [
        Problem(
            "fleet.ground_sites[0].power_price_usd_per_kwh",
            "the series covers 2030-01-01T00:00:00Z to 2030-01-01T02:00:00Z but the run covers 2030-01-01T01:00:00Z "
            "to 2030-01-01T03:00:00Z; set repeat: true to read the same dates of another year",
        )
    ]
    # repeat cannot help a run longer than the series.
    [p] = problems(tmp_path, epoch="2030-01-01T00:00:00Z", duration="3h", step="1h", price={**price, "repeat": True})
    assert p.path == "fleet.ground_sites[0].power_price_usd_per_kwh"
    assert "shorter than the run" in p.message


def test_other_series_mistakes(tmp_path: Path) -> None:
    write_csv(tmp_path / "p.csv", [("2030-01-01 00:00", "1"), ("2030-01-01 01:00", ""), ("2030-01-01 02:00", "-3")])
    at = "fleet.ground_sites[0]"
    kw: dict[str, Any] = {"epoch": "2030-01-01T00:00:00Z", "duration": "1h", "step": "1h"}
    eur = {"file": "p.csv", "column": "price", "time_column": "when", "unit": "EUR/MWh", "empty_values": "skip"}
    assert problems(tmp_path, price=eur, **kw) == [
        Problem(f"{at}.power_price_usd_per_kwh.exchange_rate_usd_per_eur", "required when unit is EUR/MWh: USD per EUR")
    ]
    [p] = problems(tmp_path, price={**eur, "unit": "USD/kWh", "exchange_rate_usd_per_eur": 1.1}, **kw)
    assert p == Problem(
        f"{at}.power_price_usd_per_kwh.exchange_rate_usd_per_eur", "only allowed with a EUR unit, got unit USD/kWh"
    )
    [p] = problems(
        tmp_path, price={**eur, "unit": "EUR/MWh", "exchange_rate_usd_per_eur": 1.1, "empty_values": "error"}, **kw
    )
    assert p.path == f"{at}.power_price_usd_per_kwh.empty_values" and "line 3" in p.message
    carbon = {**eur, "unit": "g/kWh", "exchange_rate_usd_per_eur": None}
    del carbon["exchange_rate_usd_per_eur"]
    [p] = problems(tmp_path, carbon=carbon, **kw)
    assert p == Problem(f"{at}.carbon_g_per_kwh.column", "carbon intensity must not be negative; column 'price' has -3")
    [p] = problems(tmp_path, carbon={**carbon, "unit": "t/kWh"}, **kw)
    assert p.path == f"{at}.carbon_g_per_kwh.unit" and "'g/kWh', 'kg/MWh', 'kg/kWh' or 'lb/MWh'" in p.message
    [p] = problems(tmp_path, price={**eur, "time_format": "%d/%m/%Y", "unit": "USD/kWh"}, **kw)
    assert p.path == f"{at}.power_price_usd_per_kwh.time_format"
    assert p.message == "p.csv line 2: cannot read time '2030-01-01 00:00' in column 'when' as the format '%d/%m/%Y'"
    [p] = problems(tmp_path, price={**eur, "timezone": "Mars/Olympus", "unit": "USD/kWh"}, **kw)
    assert p.path == f"{at}.power_price_usd_per_kwh.timezone"
    assert problems(tmp_path, price="cheap", **kw) == [
        Problem(f"{at}.power_price_usd_per_kwh", "must be a number, got 'cheap'")
    ]


def test_times_out_of_order(tmp_path: Path) -> None:
    write_csv(tmp_path / "p.csv", [("2030-01-01 01:00", "1"), ("2030-01-01 00:00", "2")])
    price = {"file": "p.csv", "column": "price", "time_column": "when", "unit": "USD/kWh"}
    [p] = problems(tmp_path, epoch="2030-01-01T00:00:00Z", duration="1h", step="1h", price=price)
    assert p.path == "fleet.ground_sites[0].power_price_usd_per_kwh.time_column"
    assert "does not come after the row before it" in p.message


def test_node_list_errors_name_the_field(shared_data: Path) -> None:
    kw: dict[str, Any] = {"epoch": "2030-01-01T00:00:00Z", "duration": "1h", "step": "1h"}
    gpus: dict[str, Any] = {"file": ALIBABA, "format": "alibaba_spot_v2026", "models": {"H800": "H100"}}
    [p] = problems(shared_data, gpus=gpus, **kw)
    assert p.path == "fleet.ground_sites[0].gpus.models"
    # A10 is a catalog GPU (counted as itself); the file's A100 is named A100-SXM4-80GB, not the catalog's A100
    assert p.message.startswith("no catalog GPU for GPU-series-1 (1,558 GPUs), A100-SXM4-80GB (3,456 GPUs), ")
    assert p.message.endswith(
        "map each to one of H100, H200, B200, GB200, TPU-v6e, A100, V100, A10, T4, P100 under models, or list it under "
        "ignore"
    )
    [p] = problems(shared_data, gpus={**gpus, "models": {"H800": "H900"}, "ignore": ALIBABA_NOT_IN_CATALOG}, **kw)
    assert p.path == "fleet.ground_sites[0].gpus.models.H800" and p.message.startswith("unknown GPU model 'H900'")
    [p] = problems(shared_data, gpus={**gpus, "ignore": [*ALIBABA_NOT_IN_CATALOG, "H900"]}, **kw)
    assert p.path == "fleet.ground_sites[0].gpus.ignore"
    assert p.message.startswith("no GPU model 'H900' in node_info_df.csv; its models: GPU-series-1, A10")
    [p] = problems(shared_data, gpus={**gpus, "format": "slurm"}, **kw)
    assert p.path == "fleet.ground_sites[0].gpus.format"
    [p] = problems(shared_data, gpus={"file": "nope.csv", "format": "alibaba_spot_v2026"}, **kw)
    assert p.path == "fleet.ground_sites[0].gpus.file"


def test_the_colossus_example_loads() -> None:
    repo = Path(__file__).resolve().parents[2]
    s = load_scenario(repo / "examples" / "colossus-1.yaml")
    site = s.ground_sites[0]
    assert sum(site.gpu_counts.values()) == 220_000
    assert site.grid_power_mw == 300


def test_the_belgian_example_loads_and_its_numbers_come_from_the_files(examples_shared_data: Path) -> None:
    """The example runs on a fresh clone (a GPU count and a constant price); the block in its comments reads the
    two shared files it took them from, and gives the same 1,752 GPUs and the same mean price over the run."""
    repo = Path(__file__).resolve().parents[2]
    example = repo / "examples" / "ground-site-belgian-prices.yaml"
    s = load_scenario(example)
    site = s.ground_sites[0]
    assert site.gpu_counts == {"H100": 1752}
    constant = site.price_per_step(s.time_grid())
    assert np.all(constant == 0.1598)
    text = example.read_text(encoding="utf-8")
    block = [ln[1:] for ln in text.splitlines() if ln.startswith("#      ")]  # the commented site fields
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    start = next(i for i, ln in enumerate(body) if ln.strip().startswith("gpus:"))
    price = next(i for i, ln in enumerate(body) if ln.strip().startswith("power_price_usd_per_kwh:"))
    hourly = "\n".join([*body[:start], *block, *body[start + 1 : price], *body[price + 1 :]])
    h = load_scenario_text(hourly, base_dir=example.parent, source=str(example))
    hsite = h.ground_sites[0]
    assert hsite.gpu_counts == {"H100": 1752}
    prices = hsite.price_per_step(h.time_grid())
    assert prices.shape == (h.n_steps,) == (168,) and np.all(np.isfinite(prices))
    assert float(prices.mean()) == pytest.approx(0.1598, abs=5e-5)
    assert (round(float(prices.min()), 4), round(float(prices.max()), 4)) == (0.0030, 0.2820)


def test_zoneinfo_is_available() -> None:
    # The Belgian file is in Brussels local time; the series reader needs the IANA database.
    assert zoneinfo.ZoneInfo("Europe/Brussels").utcoffset(dt.datetime(2022, 6, 15)) == dt.timedelta(hours=2)
