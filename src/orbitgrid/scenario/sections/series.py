"""Price and carbon-intensity time series of a ground site, read from CSV files (the reading is
:mod:`orbitgrid.scenario.series`); units and their conversion factors."""

from __future__ import annotations

import datetime as _dt
from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from orbitgrid.astro.time import TimeGrid
from orbitgrid.scenario.base import Found, Name, PositiveFloat, StrictModel, _resolve_file, fmt_number
from orbitgrid.scenario.series import Series, SeriesError, read_series_csv, repeat_shift_s

# Units a series file may be in, and the factor to orbitgrid's unit (USD/kWh for prices, before the exchange rate;
# gCO2e/kWh for carbon). 1 lb = 0.45359237 kg exactly (US Code of Federal Regulations, 15 CFR 1.1 / NIST HB 44);
# eGRID publishes lb/MWh.
PRICE_UNITS: dict[str, tuple[float, str]] = {
    "USD/kWh": (1.0, "USD"),
    "USD/MWh": (1e-3, "USD"),
    "EUR/kWh": (1.0, "EUR"),
    "EUR/MWh": (1e-3, "EUR"),
}
CARBON_UNITS: dict[str, float] = {"g/kWh": 1.0, "kg/MWh": 1.0, "kg/kWh": 1000.0, "lb/MWh": 0.45359237}


class _SeriesFile(StrictModel):
    """A value column of a CSV time series, piecewise constant between its timestamps (see
    ``orbitgrid.scenario.series``: each row holds until the next; a step gets the time-weighted mean)."""

    file: Path = Field(
        description="CSV file (gzip-compressed when it ends in .gz); a relative path is relative to the scenario "
        "file's folder."
    )
    column: Name = Field(description="Header of the value column.")
    time_column: Name = Field(description="Header of the timestamp column; each row's value holds until the next row.")
    time_format: Name | None = Field(
        default=None,
        description="strptime format of the timestamps, e.g. '%d%b%Y %H:%M:%S'; null: ISO 8601.",
    )
    timezone: Name = Field(
        default="UTC",
        description="IANA time zone of timestamps written without an offset, e.g. Europe/Brussels.",
    )
    empty_values: Literal["error", "skip"] = Field(
        default="error",
        description="A row with an empty value: error, or skip (the previous row's value then holds over its time).",
    )
    repeat: bool = Field(
        default=False,
        description="When the run lies outside the series: false is an error; true reads the same dates of the "
        "nearest year that fits, else the nearest whole-day shift that fits.",
    )

    _series: Series | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path, info: ValidationInfo) -> Path:
        return _resolve_file(v, info, "series file")

    @abstractmethod
    def _factor(self) -> float:
        """Multiplier from the file's unit to the field's unit (each series kind defines its units)."""

    def _check_values(self, values: np.ndarray) -> str | None:
        return None

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            raw = read_series_csv(
                model.file,
                model.column,
                model.time_column,
                time_format=model.time_format,
                timezone=model.timezone,
                skip_empty=model.empty_values == "skip",
            )
        except SeriesError as exc:
            loc = (exc.field,) if exc.field else ()
            raise cls._merged([], [(loc, exc.message, getattr(model, exc.field, None))]) from None
        problem = model._check_values(raw.values)
        if problem:
            raise cls._merged([], [(("column",), problem, model.column)])
        model._series = Series(edges_s=raw.edges_s, values=raw.values * model._factor())
        return model

    @property
    def series(self) -> Series:
        """The series in orbitgrid's unit (USD/kWh or gCO2e/kWh)."""
        assert self._series is not None, "validate the model to read its file"
        return self._series

    def shift_s(self, epoch: _dt.datetime, duration_s: float) -> float:
        """Seconds added to the run's times to read the series; SeriesError (field ``repeat``) if it cannot."""
        return repeat_shift_s(self.series, epoch, duration_s, self.repeat)

    def per_step(self, grid: TimeGrid) -> np.ndarray:
        """Mean of the series over each step of ``grid``, after the ``repeat`` shift."""
        start = grid.epoch.timestamp() + self.shift_s(grid.epoch, grid.duration_s)
        return self.series.step_means(start, grid.n_steps, grid.step_s)


class PriceSeries(_SeriesFile):
    """Grid energy price per interval from a CSV file. EUR units need ``exchange_rate_usd_per_eur``; orbitgrid
    applies no rate of its own. Negative prices (which day-ahead markets clear at) are kept."""

    unit: Literal["USD/kWh", "USD/MWh", "EUR/kWh", "EUR/MWh"] = Field(description="Unit of the value column.")
    exchange_rate_usd_per_eur: PositiveFloat | None = Field(
        default=None, description="USD per EUR applied to every value; required for EUR units, not allowed otherwise."
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        unit, rate = data.get("unit"), data.get("exchange_rate_usd_per_eur")
        if unit not in PRICE_UNITS:
            return []
        currency = PRICE_UNITS[unit][1]
        if currency == "EUR" and rate is None:
            return [(("exchange_rate_usd_per_eur",), f"required when unit is {unit}: USD per EUR", None)]
        if currency == "USD" and rate is not None:
            return [(("exchange_rate_usd_per_eur",), f"only allowed with a EUR unit, got unit {unit}", rate)]
        return []

    def _factor(self) -> float:
        scale, currency = PRICE_UNITS[self.unit]
        rate = self.exchange_rate_usd_per_eur if currency == "EUR" else None
        return scale * (rate if rate is not None else 1.0)


class CarbonSeries(_SeriesFile):
    """Grid carbon intensity per interval from a CSV file, converted to gCO2e/kWh."""

    unit: Literal["g/kWh", "kg/MWh", "kg/kWh", "lb/MWh"] = Field(
        description="Unit of the value column (CO2-equivalent per unit of energy)."
    )

    def _factor(self) -> float:
        return CARBON_UNITS[self.unit]

    def _check_values(self, values: np.ndarray) -> str | None:
        if np.any(values < 0):
            lowest = fmt_number(float(values.min()))
            return f"carbon intensity must not be negative; column {self.column!r} has {lowest}"
        return None
