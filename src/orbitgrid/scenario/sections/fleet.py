"""``fleet``: orbital shells and ground sites (location, accelerators, grid power, price, carbon, water, repairs)."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Discriminator, Field, Strict, Tag, field_validator

from orbitgrid.astro.time import TimeGrid
from orbitgrid.economics.terrestrial import STARCLOUD_WATER_L_PER_KWH, GroundInputs
from orbitgrid.fleet.maintenance import DEFAULT_GROUND_REPAIR_S
from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import (
    MAX_GPUS,
    Bounds,
    DurationS,
    Found,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    StrictModel,
    _check_gpu,
)
from orbitgrid.scenario.sections.nodes import GpuNodeList
from orbitgrid.scenario.sections.orbits import OrbitSpec
from orbitgrid.scenario.sections.series import CarbonSeries, PriceSeries


class Shell(StrictModel):
    """A group of identical satellites generated from one orbit spec."""

    name: Name = Field(description="Unique shell name.")
    orbit: OrbitSpec = Field(description="Orbit spec; its `type` selects the kind.")
    design: Name = Field(description="Satellite design: a name under `designs:` or in the design catalog.")


def _number_or_series(v: Any) -> str:
    return "series" if isinstance(v, Mapping | BaseModel) else "number"


def _counts_or_file(v: Any) -> str:
    return "file" if isinstance(v, GpuNodeList) or (isinstance(v, Mapping) and "file" in v) else "counts"


def _gpu_counts_schema(s: dict[str, Any]) -> None:
    s.update(propertyNames={"enum": list(catalog.gpu_models())})


GpuCounts = Annotated[
    dict[str, Annotated[int, Strict(), Bounds(1, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")]],
    Field(min_length=1, json_schema_extra=_gpu_counts_schema),
]
PriceValue = Annotated[
    typing.Union[Annotated[NonNegativeFloat, Tag("number")], Annotated[PriceSeries, Tag("series")]],  # noqa: UP007
    Discriminator(_number_or_series),
]
CarbonValue = Annotated[
    typing.Union[Annotated[NonNegativeFloat, Tag("number")], Annotated[CarbonSeries, Tag("series")]],  # noqa: UP007
    Discriminator(_number_or_series),
]
GpuInventory = Annotated[
    typing.Union[Annotated[GpuCounts, Tag("counts")], Annotated[GpuNodeList, Tag("file")]],  # noqa: UP007
    Discriminator(_counts_or_file),
]


class GroundSite(StrictModel):
    """A ground data centre. Default PUE 1.2: McCalip's liquid-cooled figure (Suncatcher quotes 1.09-1.4).

    Price and carbon intensity are a constant or a CSV time series (``PriceSeries``, ``CarbonSeries``); the
    accelerators are counts by catalog model or a cluster node list (``GpuNodeList``).
    """

    name: Name = Field(description="Unique site name.")
    lat_deg: Annotated[float, Strict(), Bounds(-90.0, 90.0)] = Field(description="Geodetic latitude, deg.")
    lon_deg: Annotated[float, Strict(), Bounds(-180.0, 180.0)] = Field(description="Longitude, deg east.")
    gpus: GpuInventory = Field(
        description="Installed accelerators: a mapping of GPU catalog model -> count, or a node-list file reference.",
    )
    grid_power_mw: PositiveFloat = Field(description="Grid connection capacity, MW.")
    pue: Annotated[float, Strict(), Bounds(1.0, 3.0)] = Field(
        default=GroundInputs.pue, description="Power usage effectiveness, facility power / IT power, [1, 3]."
    )
    power_price_usd_per_kwh: PriceValue = Field(
        default=0.045,
        description="Price of grid energy, USD/kWh, or a price series file (default: US wholesale, Starcloud white "
        "paper via docs/sources.md §5).",
    )
    carbon_g_per_kwh: CarbonValue = Field(
        default=423.94,
        description="Grid carbon intensity, gCO2e/kWh, or a carbon series file (default: USA, Green Algorithms table "
        "from EPA eGRID 2019).",
    )
    water_l_per_kwh: NonNegativeFloat = Field(
        default=STARCLOUD_WATER_L_PER_KWH,
        description="Cooling water per kWh of IT energy, L (default: 1.7 Mt per 40 MW over 10 years, Starcloud white "
        "paper via docs/sources.md §5; LBNL 2024's US figures give a similar 0.46-0.47).",
    )
    repair_time: DurationS | None = Field(
        default=DEFAULT_GROUND_REPAIR_S,
        description="Mean time for a GPU that failed for good to return to service (detection, board swap by a "
        "technician, diagnostics; exponential), or null: never repaired (capacity lost). Default 1 day: with spares "
        "on site the cycle takes under a day, next business day with advance replacement, 3-14 business days "
        "without (amcompute.com 2026, low confidence).",
    )
    technicians: Annotated[int, Strict(), Bounds(1, 10_000_000, why="an upper bound on technicians")] | None = Field(
        default=None,
        description="Repairs in progress at once (each holds one technician for its repair time; failures wait "
        "first come, first served); null: as many as needed.",
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        if "repair_time" in data and data["repair_time"] is None and data.get("technicians") is not None:
            msg = "a site that never repairs (repair_time: null) has no repair queue; remove technicians"
            return [(("technicians",), msg, data["technicians"])]
        return []

    @field_validator("gpus")
    @classmethod
    def _known_gpus(cls, v: dict[str, int] | GpuNodeList) -> dict[str, int] | GpuNodeList:
        if isinstance(v, dict):
            for name in v:
                _check_gpu(name)
        return v

    @property
    def gpu_counts(self) -> dict[str, int]:
        """Catalog GPU -> count, whether written out or read from a node list."""
        return self.gpus.counts if isinstance(self.gpus, GpuNodeList) else dict(self.gpus)

    def price_per_step(self, grid: TimeGrid) -> np.ndarray:
        """Energy price over each step of ``grid``, USD/kWh (the constant repeated, or the series' step means)."""
        v = self.power_price_usd_per_kwh
        return v.per_step(grid) if isinstance(v, PriceSeries) else np.full(grid.n_steps, float(v))

    def carbon_per_step(self, grid: TimeGrid) -> np.ndarray:
        """Carbon intensity over each step of ``grid``, gCO2e/kWh."""
        v = self.carbon_g_per_kwh
        return v.per_step(grid) if isinstance(v, CarbonSeries) else np.full(grid.n_steps, float(v))


class Fleet(StrictModel):
    """Orbital shells and ground sites; at least one of either."""

    shells: list[Shell] = Field(default=[], description="Orbital shells.")
    ground_sites: list[GroundSite] = Field(default=[], description="Ground data centres.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        found: Found = []
        if not data.get("shells") and not data.get("ground_sites"):
            found.append((("shells",), "the fleet is empty: add at least one shell or ground site", []))
        for key in ("shells", "ground_sites"):
            items = data.get(key)
            seen: dict[str, int] = {}
            for i, item in enumerate(items if isinstance(items, list) else []):
                name = item.get("name") if isinstance(item, Mapping) else None
                if not isinstance(name, str):
                    continue
                if name in seen:
                    found.append(
                        (
                            (key, i, "name"),
                            f"duplicate name {name!r}, first used by entry [{seen[name]}]",
                            name,
                        )
                    )
                else:
                    seen[name] = i
        return found
