"""Pydantic models of an orbitgrid scenario file, ``schema_version: 1``.

A scenario names a start time, a duration and a time step, a fleet of orbital shells (each built from one
orbit spec and one satellite design) and ground data-centre sites. Every model forbids unknown keys. Numbers
are strict: a quoted ``"550"`` is a string, not a number.

Units are in the field names (``_km``, ``_deg``, ``_hours``, ``_m2``, ``_wh``, ``_mw``). Durations are
written as ``"24h"``, ``"1h30m"``, ``"90min"``, ``"60s"``, ``"7d"`` or a number of seconds and are stored,
once validated, as float seconds in the same field (``Scenario.duration``, ``Scenario.step``; also
``duration_s`` and ``step_s``).

Validation reports every problem at once. :meth:`Scenario.model_validate` raises a pydantic
``ValidationError`` whose entries already carry orbitgrid's plain-English messages and paths without
pydantic's union tags; the loader turns them into :class:`orbitgrid.scenario.errors.Problem` rows. Pass
``context={"base_dir": folder}`` so that relative element-file paths resolve against the scenario file's
folder (the loader does this; without it they resolve against the current directory).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import re
import types
import typing
import unicodedata
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import numpy as np
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PrivateAttr,
    Strict,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from orbitgrid.astro.constants import SECONDS_PER_DAY
from orbitgrid.astro.constellations import SUN_SYNCHRONOUS_MAX_ALTITUDE_M
from orbitgrid.astro.elements import ElementFormatError, ElementSet, epoch_offset_days, find_duplicates, load_elements
from orbitgrid.astro.sgp4_adapter import codes_at_epoch, summarize_codes
from orbitgrid.astro.time import TimeGrid, parse_duration_s
from orbitgrid.economics.launch import WrightsLaw
from orbitgrid.economics.mass import Propulsion
from orbitgrid.economics.tco import (
    DEFAULT_DISCOUNT_RATE,
    DEFAULT_LAUNCH_INSURANCE_FRACTION,
    H100_SERVER_USD_PER_GPU,
    MCCALIP_CAPACITY_FACTOR,
    MCCALIP_GPU_FAILURE_RATE_PER_YEAR,
    MCCALIP_NRE_USD,
    MCCALIP_OPS_FRACTION_PER_YEAR,
    MCCALIP_SATELLITE_USD_PER_KG,
    MCCALIP_SATELLITE_USD_PER_W,
    TERMINATOR_SUNLIT_FRACTION,
    OrbitInputs,
)
from orbitgrid.economics.terrestrial import STARCLOUD_WATER_L_PER_KWH, CapexBuckets, GroundInputs
from orbitgrid.economics.uncertainty import Pert
from orbitgrid.fleet.maintenance import DEFAULT_GROUND_REPAIR_S, DEFAULT_SPARE_SWITCHOVER_S
from orbitgrid.network.budget import STARLINK_MAX_RANGE_M, OpticalGroundLink
from orbitgrid.network.constants import (
    ATMOSPHERE_MARGIN_M,
    FIBRE_ROUTE_FACTOR,
    PLUS_GRID_TERMINALS,
    REFRESH_S,
    STARLINK_ELEVATION_MASK_DEG,
)
from orbitgrid.scenario import catalog
from orbitgrid.scenario.errors import Problem
from orbitgrid.scenario.series import Series, SeriesError, read_node_list, read_series_csv, repeat_shift_s
from orbitgrid.spacecraft.battery import DEFAULT_DEPTH_OF_DISCHARGE
from orbitgrid.spacecraft.cosmic_rays import MODULATION_POTENTIAL_MV, SOLAR_EVENTS
from orbitgrid.spacecraft.power import DEFAULT_DEGRADATION_PER_YEAR
from orbitgrid.spacecraft.radiation import DEFAULT_SHIELDING_MM_AL, GRID_ALTITUDE_RANGE_KM, SHELL_ALTITUDE_MAX_KM
from orbitgrid.workloads.jobs import JobKind, JobTable
from orbitgrid.workloads.traces import TraceFormatError, default_path, load_alibaba_openb_pods

SCHEMA_VERSION = 1

ALTITUDE_MIN_KM = 160.0
ALTITUDE_MAX_KM = 40_000.0

# Highest altitude at which a circular orbit can be sun-synchronous (about 5,970 km; astro.constellations).
SSO_MAX_ALTITUDE_KM = SUN_SYNCHRONOUS_MAX_ALTITUDE_M / 1000.0

ELEMENT_FILE_FORMATS: dict[str, str] = {
    ".tle": "tle",
    ".txt": "tle",
    ".3le": "tle",
    ".json": "omm_json",
    ".csv": "omm_csv",
}


def fmt_number(v: float | int) -> str:
    """A number as people write it: ``90`` rather than ``90.0``; other floats by their exact repr."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def _error(kind: str, message: str) -> PydanticCustomError:
    # No context is passed, so pydantic keeps the message verbatim (braces in user text stay as they are).
    return PydanticCustomError(kind, message)


@dataclass(frozen=True)
class Bounds:
    """A numeric range as ``Annotated`` metadata: checked after type validation, one message names both ends.

    The JSON Schema gets ``minimum`` / ``exclusiveMinimum`` / ``maximum`` / ``exclusiveMaximum`` to match.
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    why: str = ""  # the reason for the range, added to the message

    def describe(self) -> str:
        text = self._describe()
        return f"{text} ({self.why})" if self.why else text

    def _describe(self) -> str:
        if self.lo is not None and self.hi is not None and not (self.lo_open or self.hi_open):
            return f"must be between {fmt_number(self.lo)} and {fmt_number(self.hi)}"
        parts = []
        if self.lo is not None:
            parts.append(f"{'greater than' if self.lo_open else 'at least'} {fmt_number(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'less than' if self.hi_open else 'at most'} {fmt_number(self.hi)}")
        return "must be " + " and ".join(parts)

    def contains(self, v: float) -> bool:
        ok = True
        if self.lo is not None:
            ok = v > self.lo if self.lo_open else v >= self.lo
        if ok and self.hi is not None:
            ok = v < self.hi if self.hi_open else v <= self.hi
        return ok

    def _check(self, v: float) -> float:
        if self.contains(v):
            return v
        if self.why and self.hi is not None:  # ``hi`` is a cap with a reason: name only the side that was crossed
            above = v >= self.hi if self.hi_open else v > self.hi
            side = Bounds(None, self.hi, hi_open=self.hi_open) if above else Bounds(self.lo, lo_open=self.lo_open)
            text = f"{side.describe()} ({self.why})" if above else side.describe()
        else:
            text = self.describe()
        raise _error("out_of_range", f"{text}, got {fmt_number(v)}")

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        js = handler(schema)
        if self.lo is not None:
            js["exclusiveMinimum" if self.lo_open else "minimum"] = self.lo
        if self.hi is not None:
            js["exclusiveMaximum" if self.hi_open else "maximum"] = self.hi
        return js


AltitudeKm = Annotated[float, Strict(), Bounds(ALTITUDE_MIN_KM, ALTITUDE_MAX_KM)]
PositiveFloat = Annotated[float, Strict(), Bounds(0.0, lo_open=True)]
NonNegativeFloat = Annotated[float, Strict(), Bounds(0.0)]
UnitFraction = Annotated[float, Strict(), Bounds(0.0, 1.0, lo_open=True)]  # (0, 1]
Count = Annotated[int, Strict(), Bounds(1)]

# Upper bounds on sizes, each with its reason. They keep every count inside the integer types the arrays use and far
# above anything built or proposed; whether a valid size fits this machine is the pre-flight estimate's call
# (``pipeline.preflight``).
#: Satellites in one scenario: 10x SpaceX's orbital data-centre application of up to 1,000,000 satellites (FCC PN
#: DA 26-113, 2026; FIGURES.md §4).
MAX_SATELLITES = 10_000_000
#: Orbital planes of one shell: as many as a Walker shell may have.
MAX_PLANES = 100_000
#: Satellites of one formation cluster: ~100x Suncatcher's 81 (arXiv:2511.19468 §2.2); with ``MAX_PAYLOAD_GPUS``
#: a cluster node's GPUs stay below 2^31 (the engine's int32 GPU counts).
MAX_PER_CLUSTER = 10_000
#: Accelerators on one satellite: 100,000 (~100 MW of H100s), >100x the largest compute satellite proposed.
MAX_PAYLOAD_GPUS = 100_000
#: Accelerators of one kind at one ground site, one gang or one service: 10,000,000, ~45x Colossus 1's 220,000 GPUs
#: (FIGURES.md §4); below the engine's int32 GPU counts.
MAX_GPUS = 10_000_000
#: Jobs of one workload entry (rows of the job table): 100x the 100,000 jobs of the engine benchmark.
MAX_JOBS = 10_000_000
#: Time steps of a run: a year at 0.32 s; beyond any study and below the int32 step indices of the tables.
MAX_STEPS = 100_000_000
#: Multiplier on a trace's arrival rate (generated jobs, inference requests).
RATE_SCALE_BOUNDS = (1e-6, 1e4)
#: Largest seed: numpy's SeedSequence takes any size, but seeds are stored as int64 in tables and manifests.
MAX_SEED = 2**63 - 1
#: The run must lie inside the analytic Sun's stated validity (Meeus; ``astro.sun``): 1950-2100.
EPOCH_YEARS = (1950, 2100)
HourOfDay = Annotated[float, Strict(), Bounds(0.0, 24.0, hi_open=True)]  # [0, 24)


def _plain_name(v: str) -> str:
    if not v.strip():
        raise _error("blank_name", "must not be blank (spaces only)")
    bad = sorted({c for c in v if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise _error("control_character", f"must not contain control or invisible characters, found {codes}")
    return v


Name = Annotated[str, Strict(), Field(min_length=1, max_length=200), AfterValidator(_plain_name)]

#: Characters of a scenario or sweep name, which names the output folder (``runs/<name>``): ASCII letters and digits,
#: then also ``.``, ``_`` and ``-``; at most 100 characters. Nothing that is a path separator or ``..``.
SAFE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _safe_name(v: str) -> str:
    if not SAFE_NAME_RE.fullmatch(v) or ".." in v:
        shown = repr(v) if len(v) <= 60 else repr(v[:57] + "...")
        raise _error(
            "unsafe_name",
            "must be 1-100 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit and without '..' "
            f"(it names the output folder runs/<name>), got {shown}",
        )
    return v


def _schema_version(v: Any) -> Any:
    if isinstance(v, bool):  # Literal[1] would take true for 1
        raise _error("schema_version", f"must be 1, got {'true' if v else 'false'}")
    return v


SchemaVersion = Annotated[Literal[1], BeforeValidator(_schema_version)]

SafeName = Annotated[
    str, Strict(), AfterValidator(_safe_name), Field(json_schema_extra={"pattern": SAFE_NAME_RE.pattern})
]


def _parse_duration(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value  # the float validator then reports the wrong type
    try:
        return parse_duration_s(value)
    except ValueError as exc:
        raise _error("duration", str(exc)) from None


RateScale = Annotated[float, Strict(), Bounds(*RATE_SCALE_BOUNDS, why="beyond it a run holds no arrivals, or billions")]

DurationS = Annotated[
    float,
    BeforeValidator(_parse_duration, json_schema_input_type=str | float),
    Strict(),
    Bounds(0.0, lo_open=True),
]


def _gpu_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(catalog.gpu_models())


def _check_gpu(name: str) -> str:
    known = catalog.gpu_models()
    if name not in known:
        raise _error("unknown_gpu", f"unknown GPU model {name!r}; allowed: {', '.join(known)}")
    return name


Found = list[tuple[tuple[str | int, ...], str, Any]]  # (loc, message, offending input)
_PYDANTIC_ERROR_TYPES = frozenset(get_args(core_schema.ErrorType))


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys are errors, numbers must be finite, instances are immutable.

    Checks that involve several fields are written as ``_raw_checks`` on the raw input mapping and run
    together with field validation, so they are reported even when some field is invalid (an ``after`` model
    validator would run only once every field had passed).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        """Problems in the raw input. Checks skip values of the wrong type: field validation reports those."""
        return []

    @classmethod
    def _detail(cls, err: Mapping[str, Any]) -> InitErrorDetails:
        """How one of pydantic's errors is raised again: unchanged (the scenario, as root, rewrites them)."""
        return _redetail(err)

    @classmethod
    def _merged(cls, errors: list[Any], found: Found) -> ValidationError:
        """One ValidationError: pydantic's ``errors`` first, then the ``found`` problems."""
        details = [cls._detail(err) for err in errors]
        details += [InitErrorDetails(type=_error("orbitgrid", msg), loc=loc, input=inp) for loc, msg, inp in found]
        return ValidationError.from_exception_data(cls.__name__, details)

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        return model

    @model_validator(mode="wrap")
    @classmethod
    def _validate_with_raw_checks(cls, data: Any, handler: Callable[[Any], Any], info: ValidationInfo) -> Any:
        context = info.context or {}
        found = cls._raw_checks(data, context) if isinstance(data, Mapping) else []
        try:
            model = handler(data)
        except ValidationError as exc:
            raise cls._merged(exc.errors(), found) from None
        if found:
            raise cls._merged([], found)
        return cls._finish(model, context)


def _redetail(err: Mapping[str, Any]) -> InitErrorDetails:
    """A pydantic error entry rebuilt to be raised again with the same type, context and message."""
    kind, ctx = err["type"], err.get("ctx")
    if kind in _PYDANTIC_ERROR_TYPES and not (ctx and "error" in ctx):
        detail = InitErrorDetails(type=kind, loc=err["loc"], input=err.get("input"))
        if ctx:
            detail["ctx"] = ctx
        return detail
    return InitErrorDetails(type=_error(kind, err["msg"]), loc=err["loc"], input=err.get("input"))


def _int(data: Mapping[str, Any], key: str, default: int | None = None) -> int | None:
    v = data.get(key, default)
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _number(data: Mapping[str, Any], key: str) -> float | None:
    v = data.get(key)
    if not isinstance(v, int | float) or isinstance(v, bool):
        return None
    try:
        return float(v)
    except OverflowError:  # an int beyond float range: the field's own bounds report it
        return None


def _divisible_by_planes(data: Mapping[str, Any], key: str, planes_default: int | None = None) -> Found:
    n, planes = _int(data, key), _int(data, "planes", planes_default)
    if n is not None and planes is not None and planes >= 1 and n % planes:
        return [((key,), f"must be divisible by planes ({planes}), got {n}", n)]
    return []


def _phasing_below_planes(data: Mapping[str, Any]) -> Found:
    phasing, planes = _int(data, "phasing", 0), _int(data, "planes")
    if phasing is not None and planes is not None and planes >= 1 and phasing >= planes:
        return [(("phasing",), f"must be less than planes ({planes}), got {phasing}", phasing)]
    return []


def _sun_synchronous_altitude(data: Mapping[str, Any]) -> Found:
    altitude_km = _number(data, "altitude_km")
    if altitude_km is not None and SSO_MAX_ALTITUDE_KM < altitude_km <= ALTITUDE_MAX_KM:
        limit = f"{SSO_MAX_ALTITUDE_KM:.0f}"
        msg = f"no sun-synchronous orbit exists above {limit} km, got {fmt_number(altitude_km)}"
        return [(("altitude_km",), msg, altitude_km)]
    return []


_RADIATION_TABLE_LIMIT = f"at most {fmt_number(SHELL_ALTITUDE_MAX_KM)} (the top of the trapped-radiation table)"
_SHELL_ALTITUDE_DESCRIPTION = f"Circular orbit altitude above the equatorial radius, km; {_RADIATION_TABLE_LIMIT}."


def _radiation_table_altitude(data: Mapping[str, Any]) -> Found:
    """A designed shell must stay inside the trapped-radiation table: dose and upset rates are computed for every
    shell, and above it they would be guessed (``spacecraft.radiation.SHELL_ALTITUDE_MAX_KM``)."""
    altitude_km = _number(data, "altitude_km")
    if altitude_km is not None and SHELL_ALTITUDE_MAX_KM < altitude_km <= ALTITUDE_MAX_KM:
        lo, hi = GRID_ALTITUDE_RANGE_KM
        msg = (
            f"must be at most {fmt_number(SHELL_ALTITUDE_MAX_KM)} km, the highest circular orbit inside orbitgrid's "
            f"AE8/AP8 trapped-radiation table ({fmt_number(lo)}-{fmt_number(hi)} km geodetic), got "
            f"{fmt_number(altitude_km)}"
        )
        return [(("altitude_km",), msg, altitude_km)]
    return []


# ------------------------------------------------------------------------------------------------------------
# Satellite design
# ------------------------------------------------------------------------------------------------------------


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
    <0.15 %/yr for thin-film cells (FIGURES.md §5, low confidence).
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
    of life (FIGURES.md §5, NASA NTRS via Gilmore, Spacecraft Thermal Control Handbook, ch. 6)."""

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


# ------------------------------------------------------------------------------------------------------------
# Orbit specs (a discriminated union on `type`)
# ------------------------------------------------------------------------------------------------------------


class WalkerOrbit(StrictModel):
    """Walker constellation i:t/p/f of circular orbits (J. G. Walker, J. Br. Interplanet. Soc. 24, 369,
    1971, and 37, 559, 1984).

    ``walker_delta`` spreads the ``planes`` ascending nodes evenly over 360 deg, ``walker_star`` over 180 deg.
    Satellites are evenly spaced in each plane; satellites in adjacent planes are offset in argument of
    latitude by ``phasing * 360 / total`` degrees.
    """

    type: Literal["walker_delta", "walker_star"] = Field(description="walker_delta or walker_star.")
    altitude_km: AltitudeKm = Field(description=_SHELL_ALTITUDE_DESCRIPTION)
    inclination_deg: Annotated[float, Strict(), Bounds(0.0, 180.0)] = Field(description="Inclination, deg.")
    total: Annotated[int, Strict(), Bounds(1, MAX_SATELLITES, why="10x the largest constellation filed")] = Field(
        description="Total number of satellites t."
    )
    planes: Annotated[int, Strict(), Bounds(1, MAX_PLANES, why="an upper bound on orbital planes")] = Field(
        description="Number of orbital planes p."
    )
    phasing: Annotated[int, Strict(), Bounds(0)] = Field(
        default=0, description="Walker phasing factor f, 0 <= f < planes."
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _divisible_by_planes(data, "total") + _phasing_below_planes(data) + _radiation_table_altitude(data)

    @property
    def per_plane(self) -> int:
        return self.total // self.planes

    @property
    def n_satellites(self) -> int:
        return self.total


_RAAN_SPREAD_DESCRIPTION = (
    "Local-time spread of the planes, hours, [0, 24]: plane k (k = 0 .. planes-1) has LTAN "
    "ltan_hours + raan_spread_hours * k / planes, so 24 spaces the planes evenly around the clock and 0 "
    "stacks them."
)


class SunSynchronousOrbit(StrictModel):
    """Sun-synchronous circular orbits; the inclination follows from the altitude (J2 nodal rate = the Sun's
    mean motion). ``ltan_hours`` 18 (or 6) is a dawn-dusk orbit, sunlit ~98 % of the year (McCalip's
    terminator-orbit figure).

    Satellites are evenly spaced in each plane; adjacent planes are offset in argument of latitude by
    ``phasing * 360 / (planes * per_plane)`` degrees, as in a Walker pattern.
    """

    type: Literal["sun_synchronous"] = Field(description="sun_synchronous.")
    altitude_km: AltitudeKm = Field(description=_SHELL_ALTITUDE_DESCRIPTION)
    ltan_hours: HourOfDay = Field(description="Local time of the ascending node of plane 0, hours, [0, 24).")
    planes: Annotated[int, Strict(), Bounds(1, MAX_PLANES, why="an upper bound on orbital planes")] = Field(
        description="Number of orbital planes."
    )
    per_plane: Annotated[int, Strict(), Bounds(1, MAX_SATELLITES, why="10x the largest constellation filed")] = Field(
        description="Satellites per plane."
    )
    raan_spread_hours: Annotated[float, Strict(), Bounds(0.0, 24.0)] = Field(
        default=0.0, description=_RAAN_SPREAD_DESCRIPTION
    )
    phasing: Annotated[int, Strict(), Bounds(0)] = Field(
        default=0, description="Walker-style phasing factor between adjacent planes, 0 <= phasing < planes."
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        altitude = _sun_synchronous_altitude(data) or _radiation_table_altitude(data)
        return altitude + _phasing_below_planes(data)

    @property
    def n_satellites(self) -> int:
        return self.planes * self.per_plane


class FormationOrbit(StrictModel):
    """Project Suncatcher-style formation clusters (Agüera y Arcas et al., arXiv:2511.19468 §2.2): each
    cluster is a planar lattice of ``per_cluster`` satellites within ``radius_km`` of a reference satellite in
    a sun-synchronous orbit (the paper's example: 81 satellites, R = 1 km, dawn-dusk at 650 km).

    The ``clusters`` are split evenly over ``planes`` sun-synchronous planes (LTAN rule as for
    ``sun_synchronous``) and spaced evenly along each plane.
    """

    type: Literal["formation"] = Field(description="formation.")
    altitude_km: AltitudeKm = Field(
        description=f"Altitude of the clusters' reference orbit, km; {_RADIATION_TABLE_LIMIT}."
    )
    ltan_hours: HourOfDay = Field(description="Local time of the ascending node of plane 0, hours, [0, 24).")
    clusters: Annotated[int, Strict(), Bounds(1, MAX_SATELLITES, why="10x the largest constellation filed")] = Field(
        description="Number of clusters."
    )
    per_cluster: Annotated[int, Strict(), Bounds(1, MAX_PER_CLUSTER, why="~100x Suncatcher's 81-satellite cluster")] = (
        Field(description="Satellites per cluster.")
    )
    radius_km: Annotated[float, Strict(), Bounds(0.0, 100.0, lo_open=True)] = Field(
        description="Cluster radius R: largest distance of a member from the reference orbit, km, (0, 100]."
    )
    planes: Annotated[int, Strict(), Bounds(1, MAX_PLANES, why="an upper bound on orbital planes")] = Field(
        default=1, description="Number of planes the clusters are split over; divides clusters."
    )
    raan_spread_hours: Annotated[float, Strict(), Bounds(0.0, 24.0)] = Field(
        default=0.0, description=_RAAN_SPREAD_DESCRIPTION
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        altitude = _sun_synchronous_altitude(data) or _radiation_table_altitude(data)
        return altitude + _divisible_by_planes(data, "clusters", planes_default=1)

    @property
    def n_satellites(self) -> int:
        return self.clusters * self.per_cluster


#: Default largest time between an element set's epoch and either end of the run before a warning: SGP4's
#: along-track error grows by ~1-3 km a day from a TLE's epoch in LEO, so element sets older than about two weeks
#: are stale for anything that depends on where a satellite is (Vallado & Cefola, "Two-line element sets - practice
#: and use", IAC-12-C1.6.12, 2012).
ELEMENT_EPOCH_WINDOW_DAYS = 14.0


class ElementsOrbit(StrictModel):
    """Satellites read from an element file: TLE / 3LE text (.tle, .txt, .3le), OMM JSON or OMM CSV.

    ``file`` holds an absolute path once validated; relative paths resolve against the scenario's folder. The file
    is read and checked when the scenario is validated (``orbitgrid validate`` reads it as ``simulate`` does): a file
    none of whose sets SGP4 can propagate at its own epoch is an error; sets that fail there (eccentricity outside
    [0, 1), a negative mean motion, decayed) are a warning and count as lost from the start, a repeated catalogue
    number is a warning and its latest set is used (``astro.elements.find_duplicates``), and sets whose epoch lies
    more than ``epoch_window_days`` from either end of the run are propagated with a warning.
    """

    type: Literal["elements"] = Field(description="elements.")
    file: Path = Field(description="Element file; a relative path is relative to the scenario file's folder.")
    format: Literal["auto", "tle", "omm_json", "omm_csv"] = Field(
        default="auto",
        description="File format; auto picks it from the extension (.tle/.txt/.3le, .json, .csv).",
    )
    epoch_window_days: PositiveFloat = Field(
        default=ELEMENT_EPOCH_WINDOW_DAYS,
        description="Warn about sets whose epoch is farther than this from either end of the run, days (default 14: "
        "SGP4's error grows ~1-3 km/day from the epoch, Vallado & Cefola 2012).",
    )

    _elements: ElementSet | None = PrivateAttr(default=None)

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            model._elements = model.read()
        except ElementFormatError as exc:
            raise cls._merged([], [(("file",), str(exc), str(model.file))]) from None
        codes = codes_at_epoch(model._elements.satrecs)
        if codes.all():
            msg = (
                f"{model.file}: SGP4 cannot propagate any of the {len(codes):,} satellites even at their own epochs "
                f"({summarize_codes(codes)}): nothing of this shell would fly"
            )
            raise cls._merged([], [(("file",), msg, str(model.file))])
        return model

    def read(self) -> ElementSet:
        """Read the file (the one reader of element files for validation and runs alike): an
        :class:`ElementFormatError` names the file, line or record, what was found and what is allowed. Sets SGP4
        cannot propagate stay in (they count as lost from their first failing instant); duplicates are resolved by
        ``astro.elements.deduplicate`` where the run uses the sets."""
        fmt = {"tle": "tle", "omm_json": "omm-json", "omm_csv": "omm-csv"}[self.resolved_format]
        return load_elements(self.file, format=fmt)

    @property
    def elements(self) -> ElementSet:
        """The checked element sets (read again after unpickling: ``sgp4``'s ``Satrec`` does not pickle)."""
        if self._elements is None:
            self._elements = self.read()
        return self._elements

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private["_elements"] = None
        return {**state, "__pydantic_private__": private}

    @field_validator("file")
    @classmethod
    def _resolve_file(cls, v: Path, info: ValidationInfo) -> Path:
        ext = v.suffix.lower()
        if ext not in ELEMENT_FILE_FORMATS:
            raise _error("file_extension", f"must end in {', '.join(ELEMENT_FILE_FORMATS)}, got {str(v)!r}")
        base = (info.context or {}).get("base_dir")
        path = (Path(base) / v if base is not None else v).expanduser().resolve()
        if not path.is_file():
            raise _error("file_not_found", f"element file not found: {path}")
        return path

    @property
    def resolved_format(self) -> Literal["tle", "omm_json", "omm_csv"]:
        """The format to parse with: ``format`` unless it is auto, else the one the extension implies."""
        if self.format != "auto":
            return self.format
        return typing.cast(Literal["tle", "omm_json", "omm_csv"], ELEMENT_FILE_FORMATS[self.file.suffix.lower()])

    @property
    def n_satellites(self) -> int:
        """Satellites in the file (after ``duplicates``)."""
        return len(self.elements)


OrbitSpec = Annotated[WalkerOrbit | SunSynchronousOrbit | FormationOrbit | ElementsOrbit, Field(discriminator="type")]


# ------------------------------------------------------------------------------------------------------------
# Fleet
# ------------------------------------------------------------------------------------------------------------


class Shell(StrictModel):
    """A group of identical satellites generated from one orbit spec."""

    name: Name = Field(description="Unique shell name.")
    orbit: OrbitSpec = Field(description="Orbit spec; its `type` selects the kind.")
    design: Name = Field(description="Satellite design: a name under `designs:` or in the design catalog.")


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


def _resolve_file(v: Path, info: ValidationInfo, what: str) -> Path:
    base = (info.context or {}).get("base_dir")
    path = (Path(base) / v if base is not None else v).expanduser().resolve()
    if not path.is_file():
        raise _error("file_not_found", f"{what} not found: {path}")
    return path


class _SeriesFile(StrictModel):
    """A value column of a CSV time series, piecewise constant between its timestamps (see
    ``orbitgrid.scenario.series``: each row holds until the next; a step gets the time-weighted mean)."""

    file: Path = Field(description="CSV file; a relative path is relative to the scenario file's folder.")
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


class GpuNodeList(StrictModel):
    """Accelerators counted from a cluster's node list. A model the file names is counted as the catalog GPU
    ``models`` maps it to, else as the catalog GPU of the same name; ``ignore`` leaves models out. Any other model
    is an error: orbitgrid maps no names on its own."""

    file: Path = Field(description="Node-list CSV; a relative path is relative to the scenario file's folder.")
    format: Literal["alibaba_spot_v2026"] = Field(
        description="alibaba_spot_v2026: node_info_df.csv of Alibaba's 2026 spot GPU trace (gpu_model, "
        "gpu_capacity_num per node)."
    )
    models: dict[str, Annotated[str, AfterValidator(_check_gpu)]] = Field(
        default={},
        description="File GPU model -> catalog GPU to count it as, e.g. {H800: H100}.",
        json_schema_extra=lambda s: s.update(additionalProperties={"enum": list(catalog.gpu_models())}),
    )
    ignore: list[Name] = Field(default=[], description="File GPU models to leave out.")

    _counts: dict[str, int] | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path, info: ValidationInfo) -> Path:
        return _resolve_file(v, info, "node-list file")

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            found = read_node_list(model.file, model.format)
        except SeriesError as exc:
            raise cls._merged([], [((exc.field,), exc.message, str(model.file))]) from None
        problems: Found = []
        for key, names in (("models", list(model.models)), ("ignore", list(model.ignore))):
            for name in names:
                if name not in found:
                    msg = f"no GPU model {name!r} in {model.file.name}; its models: {', '.join(found)}"
                    problems.append(((key, name) if key == "models" else (key,), msg, name))
        known = catalog.gpu_models()
        counts: dict[str, int] = {}
        unmapped = []
        for name, n in found.items():
            if name in model.ignore:
                continue
            target = model.models.get(name, name if name in known else None)
            if target is None:
                unmapped.append(f"{name} ({n:,} GPUs)")
            else:
                counts[target] = counts.get(target, 0) + n
        for target, n in counts.items():
            if n > MAX_GPUS:
                msg = f"{model.file.name} counts {n:,} {target} GPUs; at most {MAX_GPUS:,} of one model at one site"
                problems.append((("file",), msg, str(model.file)))
        if unmapped:
            msg = (
                f"no catalog GPU for {', '.join(unmapped)}; map each to one of {', '.join(known)} under models, "
                "or list it under ignore"
            )
            problems.append((("models",), msg, dict(model.models)))
        elif not counts:
            problems.append((("ignore",), f"every GPU model in {model.file.name} is ignored", list(model.ignore)))
        if problems:
            raise cls._merged([], problems)
        model._counts = counts
        return model

    @property
    def counts(self) -> dict[str, int]:
        """Catalog GPU -> count."""
        assert self._counts is not None, "validate the model to read its file"
        return dict(self._counts)


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
        "paper via FIGURES.md §5).",
    )
    carbon_g_per_kwh: CarbonValue = Field(
        default=423.94,
        description="Grid carbon intensity, gCO2e/kWh, or a carbon series file (default: USA, Green Algorithms table "
        "from EPA eGRID 2019).",
    )
    water_l_per_kwh: NonNegativeFloat = Field(
        default=STARCLOUD_WATER_L_PER_KWH,
        description="Cooling water per kWh of IT energy, L (default: 1.7 Mt per 40 MW over 10 years, Starcloud white "
        "paper via FIGURES.md §5; LBNL 2024's US figures give a similar 0.46-0.47).",
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


# ------------------------------------------------------------------------------------------------------------
# Tenants, workloads, policy
# ------------------------------------------------------------------------------------------------------------

ContractName = Literal["reserved", "on_demand", "spot"]
PlacementName = Literal["any", "orbit", "ground"]
TRACE_SOURCES = ("alibaba_openb",)
REQUEST_SOURCES = ("azure_conv",)


def _resolve_data_file(v: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = (Path(base) / v if base is not None else v).expanduser().resolve()
    if not path.is_file():
        raise _error("file_not_found", f"file not found: {path}")
    return path


class Tenant(StrictModel):
    """A customer of the compute service and its contract."""

    name: Name = Field(description="Unique tenant name.")
    contract: ContractName = Field(
        default="on_demand",
        description="Contract class: reserved (never preempted, up to reserved_gpus), on_demand, or spot "
        "(preemptible).",
    )
    reserved_gpus: Annotated[int, Strict(), Bounds(0, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")] = Field(
        default=0, description="GPUs reserved for this tenant (reserved contracts); jobs beyond it queue as on-demand."
    )
    share: PositiveFloat = Field(default=1.0, description="Fair-share weight.")
    price_usd_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Price billed per delivered GPU-hour, USD."
    )


class _JobsBase(StrictModel):
    tenant: Name = Field(description="Tenant that owns these jobs (a name from tenants).")
    placement: PlacementName = Field(default="any", description="Where the jobs may run: any, orbit or ground.")
    contract: ContractName | None = Field(default=None, description="Contract override; default: the tenant's.")
    preemptible: bool = Field(default=False, description="May be preempted by higher contract classes.")
    priority: Annotated[int, Strict(), Bounds(-1_000_000, 1_000_000, why="an upper bound on priorities")] = Field(
        default=0, description="Priority inside a contract class (higher first)."
    )
    max_restarts: Annotated[int, Strict(), Bounds(0, 1_000_000, why="an upper bound on restarts")] | None = Field(
        default=None,
        description="Fault restarts after which a job of this workload fails; default: the policy's (none: restart "
        "until done).",
    )
    gpu_model: str | None = Field(
        default=None,
        description="Required accelerator model (catalog name); default: any model.",
        json_schema_extra=lambda s: s.update({"anyOf": [{"enum": list(catalog.gpu_models())}, {"type": "null"}]}),
    )

    @field_validator("gpu_model")
    @classmethod
    def _known_model(cls, v: str | None) -> str | None:
        return None if v is None else _check_gpu(v)


class TrainingJobs(_JobsBase):
    """``count`` identical training gangs submitted ``spacing`` apart from ``submit``."""

    type: Literal["training"] = Field(description="Explicit training gangs.")
    count: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] = Field(
        default=1, description="Number of jobs."
    )
    gpus: Annotated[int, Strict(), Bounds(1, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")] = Field(
        description="Gang size: GPUs that start and stop together."
    )
    work_gpu_hours: PositiveFloat = Field(description="Work per job in GPU-hours at the reference GPU's speed (H100).")
    submit: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=0.0, description="Submission time of the first job after the epoch (duration)."
    )
    spacing: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=0.0, description="Time between submissions (duration)."
    )
    checkpoint_interval: DurationS | None = Field(
        default=None, description="Compute time between checkpoints; default: the Young/Daly optimum on each node."
    )
    checkpoint_write: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=60.0, description="Time to write one checkpoint (duration)."
    )
    restore: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=120.0, description="Time to restore from a checkpoint after a restart (duration)."
    )
    allreduce_gb_per_step: NonNegativeFloat = Field(
        default=0.0, description="Gradient bytes all-reduced per GPU per training step, GB."
    )
    step_compute: DurationS = Field(default=1.0, description="Compute time of one training step on the reference GPU.")


class GeneratedJobs(_JobsBase):
    """Jobs drawn from a generator calibrated on a public trace (``orbitgrid.workloads.generators``)."""

    type: Literal["generated"] = Field(description="Jobs from a calibrated generator.")
    source: Literal["alibaba_openb"] = Field(
        default="alibaba_openb", description="Trace the generator was calibrated on (Alibaba 2023 openb GPU pods)."
    )
    kind: Literal["training", "batch"] = Field(default="batch", description="Job kind of the generated jobs.")
    count: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] | None = Field(
        default=None, description="Number of jobs; default: the trace's rate over the run."
    )
    rate_scale: RateScale = Field(default=1.0, description="Multiplier on the trace's arrival rate, [1e-6, 1e4].")
    gpu_scale: Annotated[int, Strict(), Bounds(1, 10_000, why="an upper bound on the scale")] = Field(
        default=1, description="Multiplier on each job's GPU count (scales the trace's pods up), at most 10,000."
    )


class TraceJobs(_JobsBase):
    """Jobs replayed from a trace file (submit times, GPU counts and run times as recorded)."""

    type: Literal["trace"] = Field(description="Replay of a job trace.")
    format: Literal["alibaba_openb"] = Field(default="alibaba_openb", description="Trace format.")
    file: Path | None = Field(default=None, description="Trace file; default: the copy shipped with orbitgrid.")
    kind: Literal["training", "batch"] = Field(default="batch", description="Job kind of the replayed jobs.")
    limit: Annotated[int, Strict(), Bounds(1, MAX_JOBS, why="rows of one job table")] | None = Field(
        default=None, description="Replay only the first jobs."
    )

    _table: JobTable | None = PrivateAttr(default=None)

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        return None if v is None else _resolve_data_file(v, info)

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        try:
            model._table = model.read()
        except TraceFormatError as exc:
            raise cls._merged([], [(("file",), str(exc), str(exc.path))]) from None
        return model

    def read(self) -> JobTable:
        """Read and check the trace (the one reader for validation and runs): a :class:`TraceFormatError` names the
        file, column and row."""
        kind = JobKind.TRAINING if self.kind == "training" else JobKind.BATCH
        return load_alibaba_openb_pods(self.file or default_path("alibaba_openb_pods"), kind=kind)

    @property
    def table(self) -> JobTable:
        """Every job of the trace (before ``limit`` and the run's end), as read when the scenario was validated."""
        if self._table is None:
            self._table = self.read()
        return self._table


class UserSite(StrictModel):
    """A place inference requests come from."""

    lat_deg: Annotated[float, Strict(), Bounds(-90.0, 90.0)] = Field(description="Latitude, deg.")
    lon_deg: Annotated[float, Strict(), Bounds(-180.0, 180.0)] = Field(description="Longitude, deg east.")


class InferenceServices(_JobsBase):
    """LLM inference services serving a request stream (defaults: a Llama-3-70B-class model on H100s)."""

    type: Literal["inference"] = Field(description="Inference services.")
    services: Annotated[int, Strict(), Bounds(1, 100_000, why="an upper bound on services")] = Field(
        default=1, description="Number of services (the request stream is split among them), at most 100,000."
    )
    gpus: Annotated[int, Strict(), Bounds(1, MAX_GPUS, why="~45x Colossus 1's 220,000 GPUs")] = Field(
        description="GPUs per service."
    )
    start: Annotated[float, BeforeValidator(_parse_duration), Strict(), Bounds(0.0)] = Field(
        default=0.0, description="When the services are submitted (duration)."
    )
    requests: Literal["azure_conv"] = Field(
        default="azure_conv",
        description="Request stream: the Azure LLM inference 2023 conversation trace, repeated over the run.",
    )
    rate_scale: RateScale = Field(default=1.0, description="Multiplier on the trace's request rate, [1e-6, 1e4].")
    prefill_tokens_per_s: PositiveFloat = Field(default=10_000.0, description="Prefill tokens/s per GPU.")
    decode_tokens_per_s: PositiveFloat = Field(
        default=40.0, description="Decode tokens/s of one sequence (time per output token = 1 / this)."
    )
    max_batch: Annotated[int, Strict(), Bounds(1, 100_000, why="an upper bound on batch size")] = Field(
        default=32, description="Concurrent sequences per GPU."
    )
    ttft_slo: DurationS = Field(default=2.0, description="Time-to-first-token objective.")
    tpot_slo: DurationS = Field(default=0.1, description="Time-per-output-token objective.")
    users: list[UserSite] = Field(
        default=[], description="Where requests come from (round robin); default: beside each ground site."
    )


WorkloadSpec = Annotated[TrainingJobs | GeneratedJobs | TraceJobs | InferenceServices, Field(discriminator="type")]


class PolicySpec(StrictModel):
    """The scheduling policy."""

    name: Literal["fifo-backfill", "priority", "fair-share", "hybrid"] = Field(
        default="priority", description="Queue order and placement."
    )
    power_aware: bool = Field(
        default=True,
        description="Avoid starting gangs that an eclipse, battery floor or the SAA would stop before their next "
        "checkpoint, and checkpoint ahead of predictable capacity drops.",
    )
    saa_threshold: PositiveFloat = Field(
        default=5.0, description="Power-aware: the fault-rate multiple (vs orbit mean) that counts as the SAA."
    )
    orbit_price_usd_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Hybrid: operator cost of an orbital GPU-hour (capital recovery), USD."
    )
    ground_price_usd_per_gpu_hour: NonNegativeFloat = Field(
        default=0.0, description="Hybrid: operator cost of a ground GPU-hour before energy, USD."
    )
    max_restarts: Annotated[int, Strict(), Bounds(0, 1_000_000, why="an upper bound on restarts")] | None = Field(
        default=None,
        description="Fault restarts after which a job fails (an operator giving up); null: every job restarts "
        "until done, as long training runs do. A workload's max_restarts overrides it.",
    )


# ------------------------------------------------------------------------------------------------------------
# Distributions (economics.uncertainty; random axes of sweep files, scenario.sweep)
# ------------------------------------------------------------------------------------------------------------

Number = Annotated[float, Strict()]


class FixedSpec(StrictModel):
    """A known value."""

    type: Literal["fixed"] = Field(description="fixed.")
    value: Number = Field(description="The value.")


class UniformSpec(StrictModel):
    """Uniform on [low, high]."""

    type: Literal["uniform"] = Field(description="uniform.")
    low: Number = Field(description="Lower end.")
    high: Number = Field(description="Upper end, > low.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "high"), strict=True)


class NormalSpec(StrictModel):
    """Normal, optionally truncated to [low, high]."""

    type: Literal["normal"] = Field(description="normal.")
    mean: Number = Field(description="Mean of the (untruncated) normal.")
    std: PositiveFloat = Field(description="Standard deviation of the (untruncated) normal, > 0.")
    low: Number | None = Field(default=None, description="Truncate below this value.")
    high: Number | None = Field(default=None, description="Truncate above this value.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "high"), strict=True)


class LogNormalSpec(StrictModel):
    """Lognormal from its median and 90th percentile, or from mu and sigma of ln x."""

    type: Literal["lognormal"] = Field(description="lognormal.")
    median: PositiveFloat | None = Field(default=None, description="Median (with p90).")
    p90: PositiveFloat | None = Field(default=None, description="90th percentile, > median (with median).")
    mu: Number | None = Field(default=None, description="Mean of ln x (with sigma).")
    sigma: PositiveFloat | None = Field(default=None, description="Standard deviation of ln x (with mu).")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        given = {k for k, v in data.items() if v is not None}  # null is not given (a resolved scenario has it)
        by_quantiles = "median" in given or "p90" in given
        by_moments = "mu" in given or "sigma" in given
        if by_quantiles == by_moments:
            return [((), "give either median and p90, or mu and sigma", None)]
        keys = ("median", "p90") if by_quantiles else ("mu", "sigma")
        missing = [k for k in keys if k not in given]
        if missing:
            return [((k,), f"required field is missing (with {' and '.join(keys)})", None) for k in missing]
        return _ordered(data, ("median", "p90"), strict=True) if by_quantiles else []


class TriangularSpec(StrictModel):
    """Triangular on [low, high] peaking at mode."""

    type: Literal["triangular"] = Field(description="triangular.")
    low: Number = Field(description="Lower end.")
    mode: Number = Field(description="Most likely value, low <= mode <= high.")
    high: Number = Field(description="Upper end, > low.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "mode", "high")) + _ordered(data, ("low", "high"), strict=True)


class PertSpec(StrictModel):
    """Beta-PERT on [low, high] with mode and shape (4: classic PERT)."""

    type: Literal["pert"] = Field(description="pert.")
    low: Number = Field(description="Lower end.")
    mode: Number = Field(description="Most likely value, low <= mode <= high.")
    high: Number = Field(description="Upper end, > low.")
    shape: PositiveFloat = Field(default=Pert.shape, description="Weight of the mode, > 0 (4: classic PERT).")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "mode", "high")) + _ordered(data, ("low", "high"), strict=True)


class ChoiceSpec(StrictModel):
    """One of the listed numbers (integers stay integers), with optional weights."""

    type: Literal["choice"] = Field(description="choice.")
    values: list[int | float] = Field(min_length=1, description="The possible values (numbers).")
    weights: list[Annotated[float, Strict(), Bounds(0.0)]] | None = Field(
        default=None, description="Relative weights, one per value, >= 0 (default: equal)."
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        values, weights = data.get("values"), data.get("weights")
        found: Found = []
        if isinstance(values, list):
            for i, v in enumerate(values):
                if isinstance(v, bool) or not isinstance(v, int | float):
                    found.append((("values", i), "must be a number", v))
        if isinstance(values, list) and isinstance(weights, list) and len(values) != len(weights):
            found.append((("weights",), f"must have one weight per value ({len(values)}), got {len(weights)}", None))
        return found


DistributionSpec = Annotated[
    FixedSpec | UniformSpec | NormalSpec | LogNormalSpec | TriangularSpec | PertSpec | ChoiceSpec,
    Discriminator("type"),
]


def _ordered(data: Mapping[str, Any], keys: Sequence[str], strict: bool = False) -> Found:
    """``data[keys[0]] <= data[keys[1]] <= ...`` (``<`` when strict), checked where both are numbers."""
    found: Found = []
    for a, b in itertools.pairwise(keys):
        va, vb = data.get(a), data.get(b)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (va, vb)):
            continue
        assert isinstance(va, int | float) and isinstance(vb, int | float)
        bad = va >= vb if strict else va > vb
        if bad:
            rel = "greater than" if strict else "at least"
            found.append(((b,), f"must be {rel} {a} ({fmt_number(va)}), got {fmt_number(vb)}", vb))
    return found


# ------------------------------------------------------------------------------------------------------------
# Economics (the cost model; equations and sources in docs/economics.md)
# ------------------------------------------------------------------------------------------------------------

Fraction = Annotated[float, Strict(), Bounds(0.0, 1.0)]  # [0, 1]


class LearningCurveSpec(StrictModel):
    """Wright's law for the launch price: it falls by ``learning_rate`` per doubling of cumulative launched mass.
    Defaults: Suncatcher's fit, ~20 % per doubling from Falcon Heavy's ~$1,800/kg at ~400 t (arXiv:2511.19468
    §4.4)."""

    learning_rate: Annotated[float, Strict(), Bounds(0.0, 1.0, hi_open=True)] = Field(
        default=WrightsLaw.learning_rate,
        description="Price drop per doubling of cumulative mass, [0, 1) (Suncatcher: ~0.20, 0.18-0.24).",
    )
    start_price_usd_per_kg: PositiveFloat = Field(
        default=WrightsLaw.start_price_usd_per_kg,
        description="Price at the curve's anchor, USD/kg (Suncatcher: Falcon Heavy ~1,800).",
    )
    start_cumulative_t: PositiveFloat = Field(
        default=WrightsLaw.start_cumulative_kg / 1e3,
        description="Cumulative launched mass at the anchor, t (Suncatcher: ~400).",
    )
    programme_start_cumulative_t: PositiveFloat | None = Field(
        default=None,
        description="Cumulative mass when this programme's first launch flies, t; default: the anchor. "
        "Suncatcher's < $200/kg point is ~368,560 t.",
    )
    world_t_per_year: NonNegativeFloat = Field(
        default=0.0, description="Mass others launch each year, which moves the curve along too, t/yr."
    )


class LaunchSpec(StrictModel):
    """How the fleet flies: a vehicle from the launch-vehicle catalog, its price and the launch cadence."""

    vehicle: Name = Field(
        default="Starship", description="Launch vehicle, a name from the catalog (launch_vehicles.yaml)."
    )
    price_usd_per_kg: PositiveFloat | None = Field(
        default=None,
        description="Fixed price, USD/kg; default: the vehicle's catalog price (Starship: $200/kg, Suncatcher's "
        "~2035 projection), unless a learning curve is given.",
    )
    learning_curve: LearningCurveSpec | None = Field(
        default=None, description="Price from Wright's law instead of a fixed price."
    )
    max_launches_per_year: PositiveFloat | None = Field(
        default=None,
        description="Launch cadence limit; deployment stretches over years (Suncatcher's path: ~180/yr). "
        "null: no limit.",
    )
    billed: Literal["launch", "mass"] = Field(
        default="launch", description="launch: the whole payload of each launch is paid; mass: only the mass flown."
    )

    @field_validator("vehicle")
    @classmethod
    def _known_vehicle(cls, v: str) -> str:
        known = catalog.launch_vehicles()
        if v not in known:
            raise _error("unknown_vehicle", f"unknown launch vehicle {v!r}; known: {', '.join(known)}")
        return v


class GroundSegmentSpec(StrictModel):
    """Ground stations sized from downlink demand, and per-satellite operations. Not priced by default (no
    published station cost was found): McCalip's operations fraction covers "comms, infra"."""

    downlink_gbit_per_satellite_day: NonNegativeFloat = Field(
        default=0.0, description="Data each satellite sends down per day, Gbit (0: no stations sized)."
    )
    station_capacity_gbit_per_day: PositiveFloat = Field(
        default=1e6, description="What one station takes in per day (link rate x contact time), Gbit."
    )
    station_capex_usd: NonNegativeFloat = Field(default=0.0, description="Cost of building one station, USD.")
    station_opex_usd_per_year: NonNegativeFloat = Field(default=0.0, description="Running one station, USD/yr.")
    min_stations: Annotated[int, Strict(), Bounds(0, 100_000, why="an upper bound on stations")] = Field(
        default=0, description="Stations needed whatever the demand (coverage)."
    )
    ops_usd_per_satellite_year: NonNegativeFloat = Field(
        default=0.0, description="Operations per satellite per year, USD."
    )


class TerrestrialSpec(StrictModel):
    """The ground baseline: the same GPUs in a new data centre. Defaults: McCalip's on-site gas build
    (andrewmccalip.com/space-datacenters, FIGURES.md §3); with ``site`` the PUE, energy price, carbon and water
    come from that ground site and power generation is bought from the grid (0 capex)."""

    site: Name | None = Field(
        default=None, description="A ground site of the fleet to take PUE, energy price, carbon and water from."
    )
    pue: Annotated[float, Strict(), Bounds(1.0, 3.0)] | None = Field(
        default=None, description="Power usage effectiveness; default: the site's, else 1.2 (McCalip)."
    )
    electricity_usd_per_kwh: NonNegativeFloat | None = Field(
        default=None, description="Grid energy price, USD/kWh; default: the site's mean price, else fuel."
    )
    heat_rate_btu_per_kwh: PositiveFloat = Field(
        default=GroundInputs.heat_rate_btu_per_kwh,
        description="On-site generation heat rate, BTU/kWh (McCalip: frame CCGT 6,200).",
    )
    gas_usd_per_mmbtu: NonNegativeFloat = Field(
        default=GroundInputs.gas_usd_per_mmbtu,
        description="Gas price, USD/MMBtu (McCalip: EIA 2025 Henry Hub forecast 4.30).",
    )
    power_generation_usd_per_kw: NonNegativeFloat | None = Field(
        default=None, description="Generation capex per kW of facility power; default 1,450 with fuel, 0 with grid."
    )
    electrical_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.electrical_usd_per_w, description="Electrical, USD/W of IT (McCalip)."
    )
    mechanical_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.mechanical_usd_per_w, description="Mechanical, USD/W of IT (McCalip)."
    )
    civil_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.civil_usd_per_w, description="Civil and shell, USD/W of IT (McCalip)."
    )
    fit_out_usd_per_w: NonNegativeFloat = Field(
        default=CapexBuckets.fit_out_usd_per_w, description="Fit-out, USD/W of IT (McCalip)."
    )
    backup_power_usd_per_w: NonNegativeFloat = Field(
        default=0.0, description="Backup power not in electrical, USD/W of IT (Starcloud: 0.50)."
    )
    utilization: UnitFraction | None = Field(
        default=None,
        description="Fraction of GPU-hours used; default: a run's ground utilization, else 0.85 (McCalip).",
    )
    water_usd_per_m3: NonNegativeFloat = Field(default=0.0, description="Water price, USD/m3 (0: not priced).")
    carbon_usd_per_t: NonNegativeFloat = Field(default=0.0, description="Carbon price, USD/t CO2 (0: not priced).")
    replace_failed: bool = Field(default=True, description="Failed GPUs are replaced (else their capacity is lost).")


#: Roots of a cost-model parameter path (``pipeline.cost_uncertainty``): ``orbit.<field of tco.OrbitInputs>`` (every
#: shell), ``ground.<field of terrestrial.GroundInputs>``, and the named parameters below.
COST_PATH_ROOTS = ("orbit", "ground", "shared", "satellite")
#: Parameters set on both sides at once (one draw): GPU price, GPU (and satellite / site) life, discount rate, GPU
#: failure rate.
SHARED_COST_PARAMETERS = ("gpu_usd", "life_years", "discount_rate", "gpu_failure_rate_per_year")
#: ``satellite.kg_per_kw``: the fleet's launched mass per kW of compute; every satellite's mass scales with it.
SATELLITE_COST_PARAMETERS = ("kg_per_kw",)

#: Default uncertain parameters: the ranges on which published analyses disagree (sources in docs/economics.md,
#: "Uncertainty in the product"; FIGURES.md §3-5 and open disputes 2, 4, 5).
DEFAULT_UNCERTAIN_PARAMETERS: dict[str, DistributionSpec] = {
    # median: McCalip's current $500/kg; 99th percentile ~$3,700/kg, Falcon 9's price (dispute 2)
    "orbit.launch.price_usd_per_kg": LogNormalSpec(type="lognormal", median=500.0, p90=1500.0),
    # SpaceX filing 10 kg/kW, McCalip's Starlink V2 Mini 27.4 kg/kW (36.5 W/kg), Turyshev 59 kg/kW (dispute 4)
    "satellite.kg_per_kw": TriangularSpec(type="triangular", low=10.0, mode=27.4, high=59.0),
    # McCalip's satellite hardware slider, $5-40/W around the V2 Mini's $22/W
    "orbit.hardware.satellite_usd_per_w": TriangularSpec(type="triangular", low=5.0, mode=22.0, high=40.0),
    # McCalip's NRE slider $0-10B around his model's $0.5B
    "orbit.nre_usd": PertSpec(type="pert", low=0.0, mode=5e8, high=1e10),
    # H100 per-unit prices $25,000-40,000 (2023-26 market reports) around DGX H100 $270k / 8
    "shared.gpu_usd": PertSpec(type="pert", low=25_000.0, mode=33_750.0, high=40_000.0),
    # McCalip's analysis-period slider, 3-10 years around his 5 (Suncatcher's 5-year dose requirement)
    "shared.life_years": TriangularSpec(type="triangular", low=3.0, mode=5.0, high=10.0),
    # OMB Circular A-4's two real discount rates, 3 % and 7 %
    "shared.discount_rate": UniformSpec(type="uniform", low=0.03, high=0.07),
    # Suncatcher's PUE range 1.09-1.4 around McCalip's 1.2
    "ground.pue": TriangularSpec(type="triangular", low=1.09, mode=1.2, high=1.4),
}

#: Default break-even searches: parameter path -> bracket searched.
DEFAULT_BREAK_EVEN: dict[str, list[float]] = {
    "orbit.launch.price_usd_per_kg": [1.0, 100_000.0],
    "satellite.kg_per_kw": [0.1, 500.0],
    "shared.life_years": [1.0, 30.0],
    "orbit.hardware.satellite_usd_per_w": [0.0, 500.0],
}

Bracket = Annotated[list[Number], Field(min_length=2, max_length=2)]


def _cost_path_problems(where: str, paths: Any) -> Found:
    """Paths whose root (or named parameter) is unknown; fields under ``orbit.`` and ``ground.`` are checked
    against the cost model when it is priced (``pipeline.cost_uncertainty``)."""
    if not isinstance(paths, Mapping):
        return []
    found: Found = []
    named = {"shared": SHARED_COST_PARAMETERS, "satellite": SATELLITE_COST_PARAMETERS}
    for path in paths:
        if not isinstance(path, str):
            continue
        root, _, rest = path.partition(".")
        if root not in COST_PATH_ROOTS or not rest:
            msg = (
                f"unknown cost-model parameter path {path!r}; a path starts with one of "
                f"{', '.join(r + '.' for r in COST_PATH_ROOTS)} (e.g. orbit.launch.price_usd_per_kg)"
            )
            found.append(((where, path), msg, path))
        elif root in named and rest not in named[root]:
            msg = f"unknown parameter {path!r}; allowed: {', '.join(f'{root}.{n}' for n in named[root])}"
            found.append(((where, path), msg, path))
    return found


class CostUncertainty(StrictModel):
    """Uncertainty of the cost model in ``orbitgrid cost`` and every run's cost.json: a Monte Carlo over
    distributions on cost-model parameter paths, a tornado (each parameter at its 10th and 90th percentile) and
    break-even searches (the value at which orbit and ground cost the same per GPU-hour). A path is
    ``orbit.<field>`` (the orbital inputs of every shell, e.g. ``orbit.launch.price_usd_per_kg``,
    ``orbit.hardware.satellite_usd_per_w``, ``orbit.nre_usd``), ``ground.<field>`` (``ground.pue``,
    ``ground.gas_usd_per_mmbtu``), ``shared.<gpu_usd|life_years|discount_rate|gpu_failure_rate_per_year>`` (both
    sides at once) or ``satellite.kg_per_kw`` (the fleet's launched mass per kW of compute). Defaults: sourced
    ranges in docs/economics.md ("Uncertainty in the product")."""

    parameters: dict[str, DistributionSpec] = Field(
        default=DEFAULT_UNCERTAIN_PARAMETERS,
        description="Cost-model parameter path -> distribution (`type`: fixed, uniform, normal, lognormal, "
        "triangular, pert, choice); given, it replaces the default set.",
    )
    monte_carlo: Annotated[int, Strict(), Bounds(0, 1_000_000, why="~25 min of draws at 1.5 ms each")] = Field(
        default=1000,
        description="Monte Carlo draws (0: none); a simulate run draws at most 1,000 (~1.5 ms each).",
    )
    seed: Annotated[int, Strict(), Bounds(0, MAX_SEED, why="seeds are stored as int64")] | None = Field(
        default=None, description="Seed of the draws, >= 0; default: the scenario's seed."
    )
    tornado: bool = Field(default=True, description="One-at-a-time swings of orbit / ground $ per GPU-hour.")
    break_even: dict[str, Bracket] = Field(
        default=DEFAULT_BREAK_EVEN,
        description="Parameter path -> [low, high] searched for the value at which orbit $ per GPU-hour equals "
        "ground's (Brent's method; the others at the scenario's values).",
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        found = _cost_path_problems("parameters", data.get("parameters"))
        found += _cost_path_problems("break_even", data.get("break_even"))
        brackets = data.get("break_even")
        if isinstance(brackets, Mapping):
            for path, b in brackets.items():
                if isinstance(b, list) and len(b) == 2:
                    lo, hi = (v if isinstance(v, int | float) and not isinstance(v, bool) else None for v in b)
                    if lo is not None and hi is not None and lo >= hi:
                        msg = f"the bracket's high end must be greater than its low end ({fmt_number(lo)})"
                        found.append((("break_even", path, 1), f"{msg}, got {fmt_number(hi)}", hi))
        return found


class Economics(StrictModel):
    """Cost model inputs for ``orbitgrid cost``: orbital TCO and the terrestrial baseline. Every default is
    sourced in docs/economics.md."""

    design_life_years: PositiveFloat = Field(
        default=OrbitInputs.design_life_years, description="Service life of a satellite and a site, yr."
    )
    discount_rate: Annotated[float, Strict(), Bounds(0.0, 1.0)] = Field(
        default=DEFAULT_DISCOUNT_RATE, description="Real discount rate (OMB Circular A-94 base case: 0.07)."
    )
    hardware_method: Literal["per_w", "bottom_up"] = Field(
        default="per_w",
        description="per_w: USD per W of array nameplate; bottom_up: USD per kg of the mass budget's items.",
    )
    satellite_usd_per_w: NonNegativeFloat = Field(
        default=MCCALIP_SATELLITE_USD_PER_W,
        description="Satellite without GPUs, USD/W of array (McCalip: Starlink V2 Mini BOM).",
    )
    satellite_usd_per_kg: NonNegativeFloat = Field(
        default=MCCALIP_SATELLITE_USD_PER_KG, description="Bottom-up: satellite without GPUs, USD/kg (McCalip: ~800)."
    )
    gpu_usd: NonNegativeFloat = Field(
        default=H100_SERVER_USD_PER_GPU,
        description="One GPU with its server share, USD (DGX H100 ~$270k / 8, SemiAnalysis).",
    )
    nre_usd: NonNegativeFloat = Field(
        default=MCCALIP_NRE_USD, description="Non-recurring engineering, USD (McCalip: $0.5B)."
    )
    operations_fraction_per_year: Fraction = Field(
        default=MCCALIP_OPS_FRACTION_PER_YEAR,
        description="Operations per year as a fraction of hardware (McCalip: 1 % over 5 years).",
    )
    launch_insurance_fraction: Fraction = Field(
        default=DEFAULT_LAUNCH_INSURANCE_FRACTION,
        description="Launch insurance, fraction of hardware + launch (~1 launch in 20 fails).",
    )
    in_orbit_insurance_fraction_per_year: Fraction = Field(
        default=0.0, description="In-orbit insurance per year, fraction of hardware + launch."
    )
    availability: UnitFraction = Field(
        default=TERMINATOR_SUNLIT_FRACTION,
        description="Nominal fraction of orbital GPU-hours power allows (terminator orbit: 0.98).",
    )
    utilization: UnitFraction = Field(
        default=MCCALIP_CAPACITY_FACTOR,
        description="Nominal fraction of available orbital GPU-hours used (McCalip: 0.85).",
    )
    gpu_failure_rate_per_year: Fraction = Field(
        default=MCCALIP_GPU_FAILURE_RATE_PER_YEAR,
        description="Permanent GPU failures per GPU-year (McCalip: 0.09, Meta); a run's measured rate replaces it.",
    )
    replace_failed_in_orbit: bool = Field(
        default=False,
        description="true: failed orbital GPUs are replaced by flying new capacity (paid); false: capacity lost.",
    )
    isp_s: PositiveFloat = Field(
        default=Propulsion.isp_s, description="Thruster specific impulse, s (SPT-100-class Hall)."
    )
    solar_activity_factor: PositiveFloat = Field(
        default=Propulsion.solar_activity_factor,
        description="Multiplier on the drag density table (solar cycle: ~0.1-10).",
    )
    deorbit_perigee_km: Annotated[float, Strict(), Bounds(0.0, 1000.0)] = Field(
        default=Propulsion.deorbit_perigee_altitude_m / 1e3,
        description="Perigee the disposal burn lowers the orbit to, km.",
    )
    launch: LaunchSpec = Field(default=LaunchSpec(), description="Launch vehicle, price and cadence.")
    ground_segment: GroundSegmentSpec = Field(
        default=GroundSegmentSpec(), description="Ground stations and per-satellite operations."
    )
    terrestrial: TerrestrialSpec = Field(default=TerrestrialSpec(), description="The ground baseline.")
    uncertainty: CostUncertainty | None = Field(
        default=CostUncertainty(), description="Monte Carlo, tornado and break-even of the cost; null: none."
    )


# ------------------------------------------------------------------------------------------------------------
# Network (links between satellites, to gateways and to users; docs/network.md "Links in a simulation")
# ------------------------------------------------------------------------------------------------------------

#: The link step when ``network.link_step`` is not given, seconds.
DEFAULT_LINK_STEP_S = 600.0
_STATION_PROVIDERS_SEPARATOR = "/"


def _station_providers() -> list[str]:
    return list(dict.fromkeys(g.provider for g in catalog.ground_stations()))


def _station_names() -> list[str]:
    return list(dict.fromkeys(g.name for g in catalog.ground_stations()))


def _check_station(name: str) -> str:
    """A catalog station: ``Name`` (every provider's station of that name) or ``Provider/Name``."""
    stations = catalog.ground_stations()
    if any(name in (g.name, f"{g.provider}{_STATION_PROVIDERS_SEPARATOR}{g.name}") for g in stations):
        return name
    raise _error(
        "unknown_station",
        f"unknown ground station {name!r}; allowed: a name from the ground-station catalog, optionally as "
        f"Provider/Name: {', '.join(_station_names())}",
    )


def _check_provider(name: str) -> str:
    known = _station_providers()
    if name not in known:
        raise _error("unknown_provider", f"unknown ground-station provider {name!r}; allowed: {', '.join(known)}")
    return name


def _provider_items_enum(schema: dict[str, Any]) -> None:
    schema["items"]["enum"] = _station_providers()


StationName = Annotated[str, Strict(), AfterValidator(_check_station)]
ProviderName = Annotated[str, Strict(), AfterValidator(_check_provider)]


class IslTerminalSpec(StrictModel):
    """A laser terminal pair: a preset, and any of its figures replaced. Presets (docs/network.md "Link budgets"):
    ``suncatcher``, Suncatcher's per-aperture design (arXiv:2511.19468 §4.2: 5 W, 10 cm apertures of 80 %, 1550 nm,
    3 dB of other losses, PM-16QAM at 196 photons per bit, 24 x 400 Gb/s DWDM = 9.6 Tb/s); ``starlink``, a
    Starlink-like terminal (100 Gb/s sustained at 5,400 km and 200 Gb/s peak, SpaceX at SPIE Photonics West 2024,
    FIGURES.md §5; Suncatcher's optical chain with the aperture derived, 11.5 cm). A field left out keeps the
    preset's value."""

    preset: Literal["suncatcher", "starlink"] = Field(
        default="starlink", description="Terminal the figures start from: suncatcher or starlink."
    )
    tx_power_w: PositiveFloat | None = Field(default=None, description="Optical transmit power, W (both presets: 5).")
    aperture_diameter_m: PositiveFloat | None = Field(
        default=None, description="Diameter of both apertures, m (suncatcher: 0.10; starlink: derived, 0.115)."
    )
    aperture_efficiency: UnitFraction | None = Field(
        default=None, description="Efficiency of both apertures, (0, 1] (both presets: 0.8)."
    )
    wavelength_nm: PositiveFloat | None = Field(default=None, description="Wavelength, nm (both presets: 1550).")
    other_loss_db: NonNegativeFloat | None = Field(
        default=None, description="Losses outside the apertures and the path, dB (both presets: 3)."
    )
    pointing_loss_db: NonNegativeFloat | None = Field(
        default=None, description="Pointing loss on top of the other losses, dB (both presets: 0)."
    )
    photons_per_bit: PositiveFloat | None = Field(
        default=None, description="Received photons each bit needs, (both presets: 196, PM-16QAM; OOK: 71)."
    )
    channels: Annotated[int, Strict(), Bounds(1, 1_000, why="an upper bound on DWDM channels")] | None = Field(
        default=None, description="DWDM channels (suncatcher: 24; starlink: 1), at most 1,000."
    )
    channel_rate_gbps: PositiveFloat | None = Field(
        default=None, description="Rate of one channel, Gb/s (suncatcher: 400; starlink: 200)."
    )
    rate_cap_gbps: PositiveFloat | None = Field(
        default=None, description="The terminal's own rate limit, Gb/s (suncatcher: none; starlink: 200)."
    )


class GatewaySpec(StrictModel):
    """Where the fleet meets the ground: catalog stations (brahe's list: AWS, NASA DSN, KSAT, Leaf Space, SSC) and a
    gateway beside each ground site. Gateways are joined by terrestrial fibre."""

    stations: list[StationName] = Field(
        default=[],
        description="Catalog stations by name (every provider's station of that name) or as Provider/Name.",
    )
    providers: list[ProviderName] = Field(
        default=[],
        description="Every catalog station of these providers.",
        json_schema_extra=_provider_items_enum,
    )
    beside_ground_sites: bool = Field(default=True, description="A gateway at each ground site of the fleet.")


class RfGroundLinkSpec(StrictModel):
    """A Ka-band RF gateway link (docs/network.md, "Links in a simulation"). Band and receive gain from SpaceX's
    Ka-band gateway earth station (FCC file SES-AMD-20210409-00640: space-to-Earth 17.8-18.6 and 18.8-19.3 GHz in
    480 MHz carriers, 46.9 dBi at 19 GHz); system noise temperature 398 K (26.0 dB-K, from SpaceX's 5 m Ka-band
    TT&C stations: 57 dBi and G/T 31 dB/K in its Starlink experimental earth-station exhibit); spectral efficiency
    capped at DVB-S2's best MODCOD (32APSK 9/10, 4.45 bit/s/Hz, ETSI EN 302 307-1). The satellite's gateway-beam
    EIRP is not published: by default it is derived so that a satellite at 550 km seen at the elevation mask gets
    the capped rate under the zenith loss given."""

    type: Literal["rf_ka"] = Field(description="rf_ka.")
    frequency_ghz: PositiveFloat = Field(
        default=18.55, description="Carrier frequency, GHz (centre of 17.8-19.3 GHz, the gateway downlink band)."
    )
    bandwidth_mhz: PositiveFloat = Field(
        default=1300.0, description="Occupied bandwidth, MHz (17.8-18.6 plus 18.8-19.3 GHz: 1,300)."
    )
    g_over_t_db_k: Annotated[float, Strict()] = Field(
        default=20.9, description="Gateway figure of merit G/T, dB/K (46.9 dBi less 26.0 dB-K)."
    )
    eirp_dbw: Annotated[float, Strict()] | None = Field(
        default=None,
        description="Satellite EIRP toward the gateway, dBW; default: derived (capped rate at the mask from 550 km).",
    )
    zenith_loss_db: NonNegativeFloat = Field(
        default=0.0,
        description="Gases plus rain at the zenith for the design availability, dB, scaled by 1/sin(elevation) "
        "(ITU-R P.618); 0: clear sky.",
    )
    max_spectral_efficiency_bps_hz: PositiveFloat = Field(
        default=4.45, description="Best modulation and coding, bit/s/Hz (DVB-S2 32APSK 9/10: 4.45)."
    )


class OpticalGroundLinkSpec(StrictModel):
    """A laser downlink to a ground telescope: the satellite side is Suncatcher's optical chain (5 W, 10 cm, 80 %,
    1550 nm, 3 dB, PM-16QAM), capped at NASA TBIRD's 200 Gb/s LEO-to-ground rate (FIGURES.md §1); clouds block it,
    so each link carries its clear-sky capacity times the chance of a cloud-free line of sight (0.33: about two
    thirds of the globe is cloud-covered, King et al., IEEE TGRS 51(7), 2013, MODIS)."""

    type: Literal["optical"] = Field(description="optical.")
    telescope_diameter_m: PositiveFloat = Field(
        default=0.10,
        description="Ground telescope diameter, m (Suncatcher's 10 cm aperture: from 550 km at 25 deg elevation it "
        "collects photons for ~1.3 Tb/s, so the rate cap binds).",
    )
    rate_cap_gbps: PositiveFloat = Field(default=200.0, description="Terminal rate, Gb/s (TBIRD: 200).")
    zenith_loss_db: NonNegativeFloat = Field(
        default=0.0, description="Clear-air extinction at the zenith, dB, scaled by 1/sin(elevation); 0: none."
    )
    clear_sky_probability: Annotated[float, Strict(), Bounds(0.0, 1.0)] = Field(
        default=OpticalGroundLink.clear_sky_probability,
        description="Probability of a cloud-free line of sight, [0, 1] (global mean: 0.33).",
    )


GroundLinkSpec = Annotated[RfGroundLinkSpec | OpticalGroundLinkSpec, Field(discriminator="type")]


def _link_step_checks(network: Any, step_s: float) -> Found:
    """``network.link_step`` must be a whole multiple of the scenario step (the link timeline's grid)."""
    if not isinstance(network, Mapping) or not (math.isfinite(step_s) and step_s > 0):
        return []
    given = "link_step" in network
    try:
        link_s = parse_duration_s(network["link_step"]) if given else DEFAULT_LINK_STEP_S
    except (TypeError, ValueError):
        return []  # field validation reports it
    if isinstance(network.get("link_step"), bool) or not math.isfinite(link_s) or link_s <= 0:
        return []
    n = round(link_s / step_s)
    if n >= 1 and abs(n * step_s - link_s) <= 1e-6 * step_s:
        return []
    step = fmt_number(step_s)
    if given:
        msg = f"must be a whole multiple of the scenario step ({step} s), got {fmt_number(link_s)} s"
    else:
        msg = f"must be a whole multiple of the scenario step ({step} s); the default is {fmt_number(link_s)} s: set it"
    return [(("network", "link_step"), msg, network.get("link_step", link_s))]


class NetworkSpec(StrictModel):
    """Links in a simulation: laser links between satellites (+Grid for Walker shells, nearest neighbours for other
    shells, a fabric inside formation clusters), gateways, ground links, routing to the ground and to users. Every
    default and its source: docs/network.md. A scenario without this section has no link model."""

    isl: IslTerminalSpec = Field(
        default=IslTerminalSpec(), description="Laser terminal of the links between satellites and between clusters."
    )
    fabric: IslTerminalSpec = Field(
        default=IslTerminalSpec(preset="suncatcher"),
        description="Laser terminal of the links inside a formation cluster (default: suncatcher).",
    )
    terminals: Annotated[int, Strict(), Bounds(1, 100, why="an upper bound on terminals")] = Field(
        default=PLUS_GRID_TERMINALS,
        description="Laser terminals per satellite (4: the +Grid, Bhattacherjee & Singla, CoNEXT 2019).",
    )
    topology: Literal["auto", "neighbours", "none"] = Field(
        default="auto",
        description="auto: +Grid for Walker shells, nearest neighbours for the others; neighbours: nearest "
        "neighbours everywhere; none: no links between satellites (each reaches the ground only directly).",
    )
    neighbour_refresh: DurationS = Field(
        default=REFRESH_S,
        description="How often nearest-neighbour links are re-planned (checked at every link step in between); "
        "300 s, ~10x as often as Starlink's lasers change partners (266,141 acquisitions a day for ~9,000 lasers).",
    )
    max_isl_range_km: PositiveFloat = Field(
        default=STARLINK_MAX_RANGE_M / 1e3,
        description="Longest link between satellites, km (Starlink's reported longest: 5,400).",
    )
    atmosphere_margin_km: NonNegativeFloat = Field(
        default=ATMOSPHERE_MARGIN_M / 1e3, description="Lowest altitude a link may graze, km (the mesopause: 80)."
    )
    fabric_links: Literal["lattice", "all"] = Field(
        default="lattice",
        description="Links inside a formation cluster: lattice (neighbours one spacing apart) or all (every pair).",
    )
    gateways: GatewaySpec = Field(default=GatewaySpec(), description="Ground gateways.")
    elevation_mask_deg: Annotated[float, Strict(), Bounds(0.0, 90.0, hi_open=True)] = Field(
        default=STARLINK_ELEVATION_MASK_DEG,
        description="Lowest elevation of a gateway or user link, deg, [0, 90) (25: the FCC's minimum for Starlink "
        "earth stations, FCC 21-48).",
    )
    ground_link: GroundLinkSpec = Field(
        default=RfGroundLinkSpec(type="rf_ka"), description="Satellite-to-gateway link: rf_ka or optical."
    )
    users_direct: bool = Field(
        default=False,
        description="false: users reach the fleet through terrestrial fibre and a gateway; true: each user location "
        "also links straight to any satellite above the mask (a user terminal).",
    )
    link_step: DurationS = Field(
        default=DEFAULT_LINK_STEP_S,
        description="Time between link evaluations, a whole multiple of the scenario step (default 10min); links, "
        "routes and latencies hold from each step's start.",
    )
    switching_delay_ms: NonNegativeFloat = Field(
        default=0.0, description="Delay per radio or laser hop, ms (0: no published flight-router figure)."
    )
    fibre_route_factor: Annotated[float, Strict(), Bounds(1.0, 10.0)] = Field(
        default=FIBRE_ROUTE_FACTOR,
        description="Fibre path over great-circle distance, [1, 10] (1.3: US long-haul conduits, Bozkurt et al. "
        "2018; 2.1 for measured Internet paths).",
    )


# ------------------------------------------------------------------------------------------------------------
# Scenario
# ------------------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------------------
# Space environment
# ------------------------------------------------------------------------------------------------------------


class SolarParticleEventSpec(StrictModel):
    """A solar particle event during the run: its proton fluence arrives at a constant rate from ``start`` for
    ``duration`` and raises the upset rates of every satellite it reaches (``spacecraft.cosmic_rays``)."""

    event: Literal[tuple(SOLAR_EVENTS)] = Field(  # type: ignore[valid-type]
        default="august_1972",
        description="Event fluence spectrum: august_1972 (King 1974, J(>E) = 7.9e9 exp((30 - E)/26.5) protons/cm^2).",
    )
    start: AwareDatetime = Field(description="Start of the event, ISO 8601 with a timezone; stored in UTC.")
    duration: DurationS = Field(description="How long the fluence takes to arrive, e.g. 48h; stored as seconds.")

    @field_validator("start")
    @classmethod
    def _to_utc(cls, v: _dt.datetime) -> _dt.datetime:
        return v.astimezone(_dt.UTC)


class EnvironmentSpec(StrictModel):
    """Space environment beyond the trapped belts: the solar-cycle phase and an optional solar particle event.

    The default phase is solar minimum, the conservative case: galactic cosmic rays are most intense then (the
    heliosphere modulates them least) and AP8MIN gives more trapped protons than AP8MAX at LEO (Sawyer & Vette 1976).
    """

    solar_cycle: Literal["minimum", "maximum"] = Field(
        default="minimum",
        description="Solar-cycle phase: galactic cosmic-ray modulation (400 or 1000 MV) and the trapped-proton model "
        "(AP8MIN or AP8MAX); electrons use AE8MAX either way.",
    )
    modulation_potential_mv: Annotated[float, Strict(), Bounds(0.0, 3000.0)] | None = Field(
        default=None,
        description="Galactic cosmic-ray modulation potential, MV (force field, Burger et al. 2000 LIS); null: the "
        "phase's value.",
    )
    solar_particle_event: SolarParticleEventSpec | None = Field(
        default=None, description="A solar particle event during the run; null: none."
    )

    @property
    def phi_mv(self) -> float:
        """The modulation potential used (MV)."""
        if self.modulation_potential_mv is not None:
            return self.modulation_potential_mv
        return MODULATION_POTENTIAL_MV[self.solar_cycle]


class Scenario(StrictModel):
    """One orbitgrid run: when, how long, at which step, and the fleet. ``schema_version`` must be 1."""

    schema_version: SchemaVersion = Field(description="Version of this file format; must be 1.")
    name: SafeName = Field(
        description="Scenario name; names the run folder runs/<name>: ASCII letters, digits, '.', '_', '-'."
    )
    description: str = Field(default="", description="Free text.")
    epoch: AwareDatetime = Field(
        description="Start time, ISO 8601 with a timezone, e.g. 2027-03-20T00:00:00Z; stored in UTC."
    )
    duration: DurationS = Field(
        description="Simulated span, e.g. 24h, 1h30m, 90min, 60s, 7d or seconds; stored as seconds."
    )
    step: DurationS = Field(description="Time step, same forms as duration; duration must be a whole number of steps.")
    seed: Annotated[int, Strict(), Bounds(0, MAX_SEED, why="seeds are stored as int64")] = Field(
        default=0, description="Random seed, 0 to 2^63-1."
    )
    designs: dict[str, SatelliteDesign] = Field(
        default={},
        description=("Satellite designs by name; they add to the design catalog and replace entries of the same name."),
    )
    fleet: Fleet = Field(description="Shells and ground sites.")
    tenants: list[Tenant] = Field(default=[], description="Customers of the compute service.")
    workloads: list[WorkloadSpec] = Field(default=[], description="Jobs and services the tenants run.")
    policy: PolicySpec = Field(default=PolicySpec(), description="Scheduling policy.")
    economics: Economics = Field(default=Economics(), description="Cost model inputs (orbitgrid cost).")
    environment: EnvironmentSpec = Field(
        default=EnvironmentSpec(),
        description="Solar-cycle phase and solar particle events (galactic cosmic rays and event upsets).",
    )
    network: NetworkSpec | None = Field(
        default=None,
        description="Links between satellites, to gateways and to users; null (the default): no link model, every "
        "node reaches the ground at no latency.",
    )

    _source_dir: Path | None = PrivateAttr(default=None)
    _warnings: list[Problem] = PrivateAttr(default_factory=list)

    @field_validator("epoch", mode="before")
    @classmethod
    def _no_unix_time(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise _error(
                "unix_time",
                "must be a date and time with a timezone, e.g. 2027-03-20T00:00:00Z, got the number "
                f"{fmt_number(v)} (numbers are not read as Unix times)",
            )
        return v

    @field_validator("epoch")
    @classmethod
    def _to_utc(cls, v: _dt.datetime) -> _dt.datetime:
        return v.astimezone(_dt.UTC)

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        found: Found = []
        try:
            duration_s, step_s = parse_duration_s(data["duration"]), parse_duration_s(data["step"])
        except (KeyError, TypeError, ValueError):
            duration_s = step_s = math.nan
        if math.isfinite(duration_s) and math.isfinite(step_s) and duration_s > 0 and step_s > 0:
            ratio = duration_s / step_s
            n = round(ratio) if math.isfinite(ratio) else 0
            if ratio > MAX_STEPS:
                msg = (
                    f"{ratio:,.0f} steps of {fmt_number(step_s)} s is too many: at most {MAX_STEPS:,} steps per run "
                    "(lengthen step or shorten duration)"
                )
                found.append((("duration",), msg, data["duration"]))
            elif n < 1 or abs(n * step_s - duration_s) > 1e-6 * step_s:
                msg = (
                    f"must be a whole number of steps of {fmt_number(step_s)} s, "
                    f"got {fmt_number(duration_s)} s ({ratio:.6g} steps)"
                )
                found.append((("duration",), msg, data["duration"]))
        found += _link_step_checks(data.get("network"), step_s)
        raw_designs = data.get("designs")
        known = set(catalog.designs()) | (set(map(str, raw_designs)) if isinstance(raw_designs, Mapping) else set())
        fleet = data.get("fleet")
        shells = fleet.get("shells") if isinstance(fleet, Mapping) else None
        for i, shell in enumerate(shells if isinstance(shells, list) else []):
            design = shell.get("design") if isinstance(shell, Mapping) else None
            if isinstance(design, str) and design not in known:
                msg = f"unknown design {design!r}; known designs: {', '.join(sorted(known))}"
                found.append((("fleet", "shells", i, "design"), msg, design))
        tenants = data.get("tenants")
        names = [t.get("name") for t in tenants if isinstance(t, Mapping)] if isinstance(tenants, list) else []
        seen_t: set[str] = set()
        for i, name in enumerate(names):
            if isinstance(name, str) and name in seen_t:
                found.append((("tenants", i, "name"), f"duplicate tenant name {name!r}", name))
            if isinstance(name, str):
                seen_t.add(name)
        workloads = data.get("workloads")
        for i, w in enumerate(workloads if isinstance(workloads, list) else []):
            tenant = w.get("tenant") if isinstance(w, Mapping) else None
            if isinstance(tenant, str) and tenant not in seen_t:
                allowed = ", ".join(sorted(seen_t)) or "none: add a tenants list"
                found.append((("workloads", i, "tenant"), f"unknown tenant {tenant!r}; tenants: {allowed}", tenant))
        return found

    @classmethod
    def _detail(cls, err: Mapping[str, Any]) -> InitErrorDetails:
        """The scenario is the root: errors get orbitgrid's wording and paths here (see ``_friendly``)."""
        loc, msg = _friendly(cls, err)
        return InitErrorDetails(type=_error(err["type"], msg), loc=loc, input=err.get("input"))

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        base = context.get("base_dir")
        model._source_dir = Path(base).resolve() if base is not None else None
        found: Found = []
        first, last = EPOCH_YEARS
        end = model.epoch + _dt.timedelta(seconds=model.duration)
        if model.epoch.year < first or end > _dt.datetime(last, 1, 1, tzinfo=_dt.UTC):
            msg = (
                f"the run must lie within {first}-{last}, where the analytic Sun (Meeus) is valid; got "
                f"{model.epoch:%Y-%m-%d} to {end:%Y-%m-%d}"
            )
            found.append((("epoch",), msg, model.epoch.isoformat()))
        sizes = [(i, shell.orbit.n_satellites) for i, shell in enumerate(model.fleet.shells)]
        total = sum(n for _, n in sizes)
        if total > MAX_SATELLITES:
            biggest = max(sizes, key=lambda x: x[1])[0]
            msg = (
                f"the fleet has {total:,} satellites; at most {MAX_SATELLITES:,} (10x the largest constellation "
                "filed, SpaceX's 1,000,000-satellite application)"
            )
            found.append((("fleet", "shells", biggest, "orbit"), msg, total))
        for i, site in enumerate(model.fleet.ground_sites):
            for key in ("power_price_usd_per_kwh", "carbon_g_per_kwh"):
                ref = getattr(site, key)
                if isinstance(ref, _SeriesFile):
                    try:
                        ref.shift_s(model.epoch, model.duration)
                    except SeriesError as exc:
                        found.append((("fleet", "ground_sites", i, key), exc.message, str(ref.file)))
        net = model.network
        named = net is not None and bool(net.gateways.stations or net.gateways.providers)
        if net is not None and not named and not (net.gateways.beside_ground_sites and model.fleet.ground_sites):
            why = "beside_ground_sites is false" if model.fleet.ground_sites else "the fleet has no ground sites"
            msg = (
                f"no gateways: {why}; name catalog stations (stations) or providers (providers: "
                f"{', '.join(_station_providers())})"
            )
            found.append((("network", "gateways"), msg, None))
        spe = model.environment.solar_particle_event
        if spe is not None:
            run_end = model.epoch + _dt.timedelta(seconds=model.duration)
            spe_end = spe.start + _dt.timedelta(seconds=spe.duration)
            if spe_end <= model.epoch or spe.start >= run_end:
                msg = (
                    f"the event ({spe.start.isoformat()} for {fmt_number(spe.duration)} s) does not overlap the run "
                    f"({model.epoch.isoformat()} to {run_end.isoformat()})"
                )
                found.append((("environment", "solar_particle_event", "start"), msg, spe.start.isoformat()))
        site = model.economics.terrestrial.site
        sites = [g.name for g in model.fleet.ground_sites]
        if site is not None and site not in sites:
            msg = f"unknown ground site {site!r}; ground sites: {', '.join(sites) or 'none'}"
            found.append((("economics", "terrestrial", "site"), msg, site))
        if found:
            raise cls._merged([], found)
        model._warnings = _element_warnings(model)
        return model

    @property
    def warnings(self) -> list[Problem]:
        """What is valid but doubtful (stale element sets, satellites SGP4 cannot start): printed by the command
        line, never an error."""
        return list(self._warnings)

    # -- derived values ----------------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        return self.duration

    @property
    def step_s(self) -> float:
        return self.step

    @property
    def n_steps(self) -> int:
        return round(self.duration / self.step)

    @property
    def source_dir(self) -> Path | None:
        """Folder of the scenario file, against which element paths were resolved (None: not from a file)."""
        return self._source_dir

    @property
    def shells(self) -> list[Shell]:
        return self.fleet.shells

    @property
    def ground_sites(self) -> list[GroundSite]:
        return self.fleet.ground_sites

    def time_grid(self) -> TimeGrid:
        return TimeGrid.from_duration(self.epoch, self.duration, self.step)

    def design(self, name: str) -> SatelliteDesign:
        """The design called ``name``: the scenario's own, else the catalog's. KeyError if neither has it."""
        if name in self.designs:
            return self.designs[name]
        return catalog.designs()[name]

    def design_for(self, shell: Shell) -> SatelliteDesign:
        return self.design(shell.design)

    def resolved_designs(self) -> dict[str, SatelliteDesign]:
        """The scenario's designs, then every catalog design a shell uses (in shell order)."""
        out = dict(self.designs)
        for shell in self.fleet.shells:
            out.setdefault(shell.design, self.design(shell.design))
        return out

    def replace(self, changes: Mapping[str, Any] | None = None, /, **fields: Any) -> Scenario:
        """A new, validated scenario with some fields changed; this one is left as it is. Fields are named by path,
        as in error messages (``sc.replace(**{"fleet.shells[1].orbit.altitude_km": 600})``, ``sc.replace(seed=4)``)
        or as a mapping (``sc.replace({"duration": "12h", "policy": {"power_aware": False}})``); a mapping given
        for a block is merged into it (``orbitgrid.scenario.edit``). A wrong path or value raises
        :class:`ScenarioError` naming the path and what is allowed."""
        from orbitgrid.scenario.edit import replace_fields

        return replace_fields(self, {**(changes or {}), **fields})


def _element_warnings(scenario: Scenario) -> list[Problem]:
    """Element sets far from the run's span (``epoch_window_days``), and sets SGP4 cannot initialise."""
    out = []
    start = TimeGrid.from_duration(scenario.epoch, scenario.duration, scenario.step).epoch_jd
    span_days = scenario.duration / SECONDS_PER_DAY
    for i, shell in enumerate(scenario.shells):
        orbit = shell.orbit
        if not isinstance(orbit, ElementsOrbit):
            continue
        where = f"fleet.shells[{i}].orbit"
        es = orbit.elements
        offset = epoch_offset_days(es, start, span_days)
        far = offset > orbit.epoch_window_days
        if far.any():
            worst = int(np.argmax(offset))
            out.append(
                Problem(
                    f"{where}.file",
                    f"{int(far.sum()):,} of {len(es):,} element sets are more than "
                    f"{fmt_number(orbit.epoch_window_days)} days from the run (farthest: {es.names[worst]!r}, "
                    f"catalogue number {es.catalog_numbers[worst]}, "
                    f"{_days_text(offset[worst])}); SGP4's error grows ~1-3 km a day away from a set's epoch "
                    "(raise epoch_window_days to accept them)",
                )
            )
        codes = codes_at_epoch(es.satrecs)
        if codes.any():
            out.append(
                Problem(
                    f"{where}.file",
                    f"SGP4 cannot propagate {int(np.count_nonzero(codes)):,} of {len(es):,} element sets even at their "
                    f"own epochs ({summarize_codes(codes)}); they count as lost from the start",
                )
            )
        dups = find_duplicates(es)
        if dups:
            d = dups[0]
            out.append(
                Problem(
                    f"{where}.file",
                    f"{len(dups):,} catalogue number{'s appear' if len(dups) > 1 else ' appears'} more than once; the "
                    f"latest set of each is used (first: {d.catalog_number}, {len(d.dropped):,} older set"
                    f"{'s' if len(d.dropped) > 1 else ''} dropped)",
                )
            )
    return out


def _days_text(days: float) -> str:
    return f"{days / 365.25:,.1f} years" if days >= 365.25 else f"{days:,.1f} days"


# ------------------------------------------------------------------------------------------------------------
# Message rewriting
# ------------------------------------------------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (typing.Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
    """Follow ``loc`` through the model types: return it without pydantic's discriminated-union tags, and the
    type found there (None when the location cannot be followed)."""
    tp: Any = root
    clean: list[Any] = []
    for i, part in enumerate(loc):
        tp = _unwrap(tp)
        origin = get_origin(tp)
        if _is_model(tp) and isinstance(part, str) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif origin is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin in (typing.Union, types.UnionType) and isinstance(part, str):
            tagged = [m for m in get_args(tp) if any(isinstance(x, Tag) and x.tag == part for x in _metadata(m))]
            if tagged:
                tp = tagged[0]
                continue  # a Tag chosen by a callable discriminator: not part of the user's path either
            members = [m for m in get_args(tp) if _is_model(m) and part in _tags(m)]
            if not members:
                return (*clean, *loc[i:]), None
            tp = members[0]
            continue  # the tag is pydantic's bookkeeping, not part of the user's path
        else:
            return (*clean, *loc[i:]), None
        clean.append(part)
    return tuple(clean), _unwrap(tp)


def _metadata(tp: Any) -> tuple[Any, ...]:
    return tuple(getattr(tp, "__metadata__", ())) if get_origin(tp) is Annotated else ()


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    field = model.model_fields.get("type")
    return get_args(field.annotation) if field is not None else ()


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return fmt_number(v)
    if isinstance(v, str):
        return repr(v)
    if v is None:
        return "null"
    if isinstance(v, Mapping):
        return "a mapping"
    if isinstance(v, list | tuple):
        return "a list"
    if isinstance(v, _dt.datetime | _dt.date):
        return v.isoformat()
    return type(v).__name__


_TYPE_MESSAGES = {
    "int": "must be an integer",
    "float": "must be a number",
    "bool": "must be true or false",
    "string": "must be a string",
    "dict": "must be a mapping (key: value)",
    "model": "must be a mapping (key: value)",
    "list": "must be a list",
    "datetime": "must be a date and time with a timezone, e.g. 2027-03-20T00:00:00Z",
    "path": "must be a file path",
}


def _friendly(root: type[BaseModel], err: Mapping[str, Any]) -> tuple[tuple[Any, ...], str]:
    """orbitgrid's (loc, message) for one pydantic error entry."""
    kind: str = err["type"]
    ctx = err.get("ctx") or {}
    inp = err.get("input")
    loc, tp = _walk(root, tuple(err["loc"]))
    got = f", got {_show(inp)}"
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        _, parent = _walk(root, tuple(err["loc"])[:-1])
        allowed = f"; allowed: {', '.join(parent.model_fields)}" if _is_model(parent) else ""
        return loc, f"unknown field{allowed}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ", ".join(str(t) for m in get_args(tp) if _is_model(m) for t in _tags(m))
        what = "required field is missing" if kind == "union_tag_not_found" else f"unknown type {ctx.get('tag')!r}"
        return (*loc, ctx.get("discriminator", "type").strip("'")), f"{what}; allowed: {tags}"
    if kind == "literal_error":
        return loc, f"must be {ctx.get('expected')}{got}"
    if kind == "timezone_aware":
        return (
            loc,
            f"must include a timezone, e.g. 2027-03-20T00:00:00Z (times without one are ambiguous){got}",
        )
    if kind == "finite_number":
        return loc, f"must be a finite number{got}"
    if kind == "string_too_short":
        return loc, "must not be empty"
    if kind == "string_too_long":
        return loc, f"must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        return (
            loc,
            f"must have at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}",
        )
    if kind == "value_error":
        return loc, str(ctx.get("error", err["msg"]))
    prefix = kind.split("_", 1)[0]
    if prefix in _TYPE_MESSAGES and kind.endswith(("_type", "_parsing", "_from_float", "_fractional_part")):
        return loc, _TYPE_MESSAGES[prefix] + got
    if kind.startswith(("datetime_", "date_")):
        return loc, _TYPE_MESSAGES["datetime"] + got
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return loc, _TYPE_MESSAGES["dict"] + got
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return loc, f"{err['msg'].replace('Input should be', 'must be')}{got}"
    return loc, str(err["msg"])
