"""``designs``: a satellite design (payload, solar array, battery, radiator, shielding)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, Strict, field_validator

from orbitgrid.fleet.maintenance import DEFAULT_SPARE_SWITCHOVER_S
from orbitgrid.scenario.base import (
    MAX_PAYLOAD_GPUS,
    Bounds,
    NonNegativeFloat,
    PositiveFloat,
    StrictModel,
    UnitFraction,
    _check_gpu,
    _gpu_enum,
    _parse_duration,
)
from orbitgrid.spacecraft.battery import DEFAULT_DEPTH_OF_DISCHARGE
from orbitgrid.spacecraft.power import DEFAULT_DEGRADATION_PER_YEAR
from orbitgrid.spacecraft.radiation import DEFAULT_SHIELDING_MM_AL


class Payload(StrictModel):
    """The compute payload: which accelerator and how many of them one satellite carries."""

    gpu: str = Field(
        description="Accelerator model, a name from the GPU catalog (gpus.yaml).", json_schema_extra=_gpu_enum
    )
    gpus: Annotated[int, Strict(), Bounds(1, MAX_PAYLOAD_GPUS, why="~100 MW of accelerators on one satellite")] = Field(
        description="Number of accelerators on one satellite."
    )
    spares: Annotated[int, Strict(), Bounds(0, MAX_PAYLOAD_GPUS, why="~100 MW of accelerators on one satellite")] = (
        Field(
            default=0,
            description="Cold spare accelerators on one satellite (unpowered; one is swapped in for each failed "
            "accelerator until none is left, then failed capacity is lost). They add GPU price and mass.",
        )
    )
    spare_switchover: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=DEFAULT_SPARE_SWITCHOVER_S,
        description="Time to bring a spare into service (duration; default: a node reset and reload, 600 s, the "
        "recovery time of a functional interrupt; orbitgrid assumption).",
    )

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, v: str) -> str:
        return _check_gpu(v)


class SolarArray(StrictModel):
    """Photovoltaic array. Beginning-of-life power = area x cell efficiency x packing factor x 1361 W/m^2.

    Default degradation 2.5 %/yr is McCalip's default (andrewmccalip.com/space-datacenters); Starcloud claims
    <0.15 %/yr for thin-film cells (docs/sources.md §5, low confidence).
    """

    area_m2: PositiveFloat = Field(description="Total cell-side array area of one satellite, m^2.")
    cell_efficiency: UnitFraction = Field(description="Cell conversion efficiency at beginning of life, (0, 1].")
    packing_factor: UnitFraction = Field(description="Fraction of the array area covered by active cells, (0, 1].")
    tracking: Literal["sun_tracking", "body_fixed"] = Field(
        default="sun_tracking",
        description=(
            "sun_tracking: the array normal follows the Sun (normal incidence). body_fixed: the array is fixed to a "
            "nadir-pointing bus with its normal along the orbit normal, on the Sun's side of the orbit plane (a 180 "
            "deg yaw when beta changes sign), so it gets cos(incidence) = |sin beta| at every step: ~0.99 for a "
            "dawn-dusk sun-synchronous orbit at the equinox, ~0.5 on average for a 53 deg shell."
        ),
    )
    degradation_per_year: Annotated[float, Strict(), Bounds(0.0, 1.0, hi_open=True)] = Field(
        default=DEFAULT_DEGRADATION_PER_YEAR,
        description="Fractional loss of array output per year in orbit, [0, 1). Default: McCalip.",
    )


class Battery(StrictModel):
    """Energy storage that carries the load through eclipse. Default depth of discharge: 80 %."""

    capacity_wh: NonNegativeFloat = Field(description="Nameplate capacity, Wh (0 = no battery).")
    depth_of_discharge: UnitFraction = Field(
        default=DEFAULT_DEPTH_OF_DISCHARGE, description="Usable fraction of the capacity, (0, 1]."
    )


class Radiator(StrictModel):
    """Heat-rejection surface. Typical finishes: white paint emissivity ~0.92, absorptivity ~0.15 at beginning
    of life (docs/sources.md §5, NASA NTRS via Gilmore, Spacecraft Thermal Control Handbook, ch. 6)."""

    area_m2: PositiveFloat = Field(description="Radiator panel area (one face), m^2.")
    emissivity: UnitFraction = Field(description="Infrared hemispherical emissivity of the finish, (0, 1].")
    solar_absorptivity: UnitFraction = Field(description="Solar absorptivity of the finish, (0, 1].")
    two_sided: bool = Field(default=True, description="true when both faces of the panel radiate.")


class SatelliteDesign(StrictModel):
    """A satellite: compute payload, solar array, battery, radiator, shielding and mass.

    Default shielding 10 mm aluminium: the Suncatcher dose estimate (~150 rad(Si)/yr in SSO) assumes it
    (arXiv:2511.19468 §2.3).
    """

    description: str = Field(default="", description="Free text describing the design.")
    source: str = Field(default="", description="Where the design's figures come from.")
    payload: Payload = Field(description="Compute payload.")
    solar_array: SolarArray = Field(description="Photovoltaic array.")
    battery: Battery = Field(description="Battery.")
    radiator: Radiator = Field(description="Radiator.")
    shielding_mm_al: NonNegativeFloat = Field(
        default=DEFAULT_SHIELDING_MM_AL,
        description="Equivalent aluminium shielding around the payload, mm (Suncatcher: ~10 mm).",
    )
    bus_mass_kg: PositiveFloat | None = Field(
        default=None,
        description="Mass of the satellite without its compute payload, kg; null when not specified.",
    )
