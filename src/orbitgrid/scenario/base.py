"""The validation framework every scenario section is built on.

:class:`StrictModel` (unknown keys are errors, numbers finite, instances frozen; checks across fields run with field
validation so every problem is reported at once), :class:`Bounds` (a range with one message naming both ends and the
matching JSON Schema keywords), the shared field types (``Name``, ``DurationS``, ``PositiveFloat``, ...), the size
limits with their reasons, and the resolution of file paths against the scenario file's folder (``base_dir`` in the
validation context). Reading what a file holds is not done here: the section that names a file calls its reader.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from orbitgrid.astro.time import parse_duration_s
from orbitgrid.scenario import catalog

SCHEMA_VERSION = 1

ALTITUDE_MIN_KM = 160.0
ALTITUDE_MAX_KM = 40_000.0


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
#: DA 26-113, 2026; docs/sources.md §4).
MAX_SATELLITES = 10_000_000
#: Orbital planes of one shell: as many as a Walker shell may have.
MAX_PLANES = 100_000
#: Satellites of one formation cluster: ~100x Suncatcher's 81 (arXiv:2511.19468 §2.2); with ``MAX_PAYLOAD_GPUS``
#: a cluster node's GPUs stay below 2^31 (the engine's int32 GPU counts).
MAX_PER_CLUSTER = 10_000
#: Accelerators on one satellite: 100,000 (~100 MW of H100s), >100x the largest compute satellite proposed.
MAX_PAYLOAD_GPUS = 100_000
#: Accelerators of one kind at one ground site, one gang or one service: 10,000,000, ~45x Colossus 1's 220,000 GPUs
#: (docs/sources.md §4); below the engine's int32 GPU counts.
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


def _resolve_file(v: Path, info: ValidationInfo, what: str) -> Path:
    base = (info.context or {}).get("base_dir")
    path = (Path(base) / v if base is not None else v).expanduser().resolve()
    if not path.is_file():
        raise _error("file_not_found", f"{what} not found: {path}")
    return path


def _resolve_data_file(v: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = (Path(base) / v if base is not None else v).expanduser().resolve()
    if not path.is_file():
        raise _error("file_not_found", f"file not found: {path}")
    return path
