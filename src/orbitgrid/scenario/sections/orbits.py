"""``fleet.shells[].orbit``: the orbit specs, a union on ``type`` (Walker delta/star, sun-synchronous, formation
clusters, element files)."""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, Strict, ValidationInfo, field_validator

from orbitgrid.astro import constellations as con
from orbitgrid.astro.constellations import SUN_SYNCHRONOUS_MAX_ALTITUDE_M
from orbitgrid.astro.elements import ElementFormatError, ElementSet, load_elements
from orbitgrid.astro.sgp4_adapter import codes_at_epoch, summarize_codes
from orbitgrid.astro.time import TimeGrid
from orbitgrid.scenario.base import (
    ALTITUDE_MAX_KM,
    MAX_PER_CLUSTER,
    MAX_PLANES,
    MAX_SATELLITES,
    AltitudeKm,
    Bounds,
    Found,
    HourOfDay,
    PositiveFloat,
    StrictModel,
    _error,
    _int,
    _number,
    fmt_number,
)
from orbitgrid.spacecraft.radiation import GRID_ALTITUDE_RANGE_KM, SHELL_ALTITUDE_MAX_KM

# Highest altitude at which a circular orbit can be sun-synchronous (about 5,970 km; astro.constellations).
SSO_MAX_ALTITUDE_KM = SUN_SYNCHRONOUS_MAX_ALTITUDE_M / 1000.0

ELEMENT_FILE_FORMATS: dict[str, str] = {
    ".tle": "tle",
    ".txt": "tle",
    ".3le": "tle",
    ".2le": "tle",
    ".json": "omm_json",
    ".csv": "omm_csv",
    ".xml": "omm_xml",
    ".kvn": "omm_kvn",
}


def _element_suffix(path: Path) -> str:
    """The extension that names an element file's format, looking through ``.gz`` (``sats.tle.gz`` -> ``.tle``)."""
    name = path.name.lower()
    return Path(name[:-3]).suffix if name.endswith(".gz") else Path(name).suffix


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


class WalkerOrbit(StrictModel):
    """Walker constellation i:t/p/f of circular orbits (J. G. Walker, J. Br. Interplanet. Soc. 24, 369,
    1971, and 37, 559, 1984).

    ``walker_delta`` spreads the ``planes`` ascending nodes evenly over 360 deg, ``walker_star`` over 180 deg,
    starting at ``raan_deg``. Satellites are evenly spaced in each plane; satellites in adjacent planes are offset in
    argument of latitude by ``phasing * 360 / total`` degrees.
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
    raan_deg: Annotated[float, Strict(), Bounds(0.0, 360.0, hi_open=True)] = Field(
        default=0.0,
        description="Right ascension of the ascending node of plane 0 at the epoch (TEME), deg, [0, 360): turns the "
        "whole pattern about the Earth's axis, e.g. to interleave the planes of two shells at one altitude and "
        "inclination.",
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

    def pattern(self, grid: TimeGrid) -> con.Pattern:
        """The shell's layout at the epoch (``astro.constellations``); ``grid`` is unused (the nodes are inertial)."""
        kind = "delta" if self.type == "walker_delta" else "star"
        return con.walker_pattern(
            self.altitude_km * 1e3,
            math.radians(self.inclination_deg),
            self.total,
            self.planes,
            self.phasing,
            kind,
            math.radians(self.raan_deg),
        )


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

    def pattern(self, grid: TimeGrid) -> con.Pattern:
        """The shell's layout at the epoch of ``grid`` (the nodes follow from the LTAN and the epoch)."""
        gmst0, ut0 = con.epoch_angles(grid.epoch_jd)
        return con.sun_synchronous_pattern(
            self.altitude_km * 1e3,
            self.ltan_hours,
            self.planes,
            self.per_plane,
            gmst0,
            ut0,
            self.raan_spread_hours,
            self.phasing,
        )


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

    def pattern(self, grid: TimeGrid) -> con.Pattern:
        """The layout of the clusters' reference orbits (one row per cluster) at the epoch of ``grid``."""
        gmst0, ut0 = con.epoch_angles(grid.epoch_jd)
        per_plane = self.clusters // self.planes
        return con.sun_synchronous_pattern(
            self.altitude_km * 1e3, self.ltan_hours, self.planes, per_plane, gmst0, ut0, self.raan_spread_hours, 0
        )


#: Default largest time between an element set's epoch and either end of the run before a warning: SGP4's
#: along-track error grows by ~1-3 km a day from a TLE's epoch in LEO, so element sets older than about two weeks
#: are stale for anything that depends on where a satellite is (Vallado & Cefola, "Two-line element sets - practice
#: and use", IAC-12-C1.6.12, 2012).
ELEMENT_EPOCH_WINDOW_DAYS = 14.0


class ElementsOrbit(StrictModel):
    """Satellites read from an element file: TLE / 3LE text (.tle, .txt, .3le, .2le), or CCSDS OMM in JSON, CSV,
    XML or KVN.

    ``file`` holds an absolute path once validated; relative paths resolve against the scenario's folder. The file
    is read and checked when the scenario is validated (``orbitgrid validate`` reads it as ``simulate`` does): a file
    none of whose sets SGP4 can propagate at its own epoch is an error; sets that fail there (eccentricity outside
    [0, 1), a negative mean motion, decayed) are a warning and count as lost from the start, a repeated catalogue
    number is a warning and its latest set is used (``astro.elements.find_duplicates``), and sets whose epoch lies
    more than ``epoch_window_days`` from either end of the run are propagated with a warning.
    """

    type: Literal["elements"] = Field(description="elements.")
    file: Path = Field(description="Element file; a relative path is relative to the scenario file's folder.")
    format: Literal["auto", "tle", "omm_json", "omm_csv", "omm_xml", "omm_kvn"] = Field(
        default="auto",
        description="File format; auto picks it from the extension (.tle/.txt/.3le/.2le, .json, .csv, .xml, .kvn; "
        "any of them gzip-compressed with .gz after it).",
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
        fmt = self.resolved_format.replace("_", "-")
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
        ext = _element_suffix(v)
        if ext not in ELEMENT_FILE_FORMATS:
            raise _error(
                "file_extension",
                f"must end in {', '.join(ELEMENT_FILE_FORMATS)} (or one of them then .gz), got {str(v)!r}",
            )
        base = (info.context or {}).get("base_dir")
        path = (Path(base) / v if base is not None else v).expanduser().resolve()
        if not path.is_file():
            raise _error("file_not_found", f"element file not found: {path}")
        return path

    @property
    def resolved_format(self) -> Literal["tle", "omm_json", "omm_csv", "omm_xml", "omm_kvn"]:
        """The format to parse with: ``format`` unless it is auto, else the one the extension implies."""
        if self.format != "auto":
            return self.format
        return typing.cast(
            Literal["tle", "omm_json", "omm_csv", "omm_xml", "omm_kvn"],
            ELEMENT_FILE_FORMATS[_element_suffix(self.file)],
        )

    @property
    def n_satellites(self) -> int:
        """Satellites in the file (after ``duplicates``)."""
        return len(self.elements)


OrbitSpec = Annotated[WalkerOrbit | SunSynchronousOrbit | FormationOrbit | ElementsOrbit, Field(discriminator="type")]
