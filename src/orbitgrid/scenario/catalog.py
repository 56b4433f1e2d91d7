"""The built-in catalog: accelerators, launch vehicles, satellite designs, ground stations, scenarios.

The data lives in YAML files in ``catalog/`` beside this module; every entry carries a ``source`` string
naming where its figures come from (mostly rows of the project's reference figures, docs/sources.md, which cite the
primary documents: NVIDIA and Google Cloud datasheets, Project Suncatcher arXiv:2511.19468, the Starcloud
white paper, McCalip's model). Each file is read once per process (``functools.cache``) into frozen
dataclasses; the mappings returned are read-only.

Designs are returned as :class:`orbitgrid.scenario.models.SatelliteDesign`, the same model a scenario's
``designs:`` section uses, so a built-in design and a user design are interchangeable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

if TYPE_CHECKING:
    from orbitgrid.scenario.models import SatelliteDesign


T = TypeVar("T")


class CatalogError(RuntimeError):
    """A packaged catalog file is missing or malformed (a packaging bug, not a user error)."""


@dataclass(frozen=True)
class GpuModel:
    """One accelerator: board power, peak dense BF16 rate and memory (figures and sources in gpus.yaml)."""

    name: str
    tdp_w: float
    bf16_dense_flops: float
    hbm_gb: float
    source: str
    description: str = ""
    tdp_estimated: bool = False


@dataclass(frozen=True)
class LaunchVehicle:
    """A launcher: payload to LEO the price refers to, nominal price per kg and the published range."""

    name: str
    payload_leo_kg: float
    price_usd_per_kg: float
    price_low_usd_per_kg: float
    price_high_usd_per_kg: float
    reusable: bool
    source: str
    description: str = ""


@dataclass(frozen=True)
class GroundStation:
    """An antenna site (WGS84 geodetic degrees) and the bands it serves (data from brahe, MIT licence)."""

    name: str
    provider: str
    lat_deg: float
    lon_deg: float
    bands: tuple[str, ...]
    source: str


def _as_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError(f"expected a number, got {v!r}")
    return float(v)


def _as_str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"expected a string, got {v!r}")
    return v.strip()


def _as_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"expected true or false, got {v!r}")
    return v


def _as_str_tuple(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list):
        raise TypeError(f"expected a list, got {v!r}")
    return tuple(_as_str(x) for x in v)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "float": _as_float,
    "str": _as_str,
    "bool": _as_bool,
    "tuple[str, ...]": _as_str_tuple,
}


def catalog_dir() -> Traversable:
    """The packaged ``catalog/`` folder."""
    return resources.files("orbitgrid.scenario").joinpath("catalog")


def _read_yaml(name: str) -> Any:
    try:
        text = catalog_dir().joinpath(name).read_text(encoding="utf-8")
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog file {name}: {exc}") from exc


def _records(name: str, key: str) -> list[Any]:
    data = _read_yaml(name)
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise CatalogError(f"catalog file {name} must hold a list under {key!r}")
    return data[key]


def _build(cls: type[T], entry: Any, where: str) -> T:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: expected a mapping, got {entry!r}")
    spec = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(entry) - set(spec))
    missing = sorted(n for n, f in spec.items() if f.default is MISSING and n not in entry)
    if unknown or missing:
        raise CatalogError(f"{where}: unknown keys {unknown}, missing keys {missing}")
    try:
        kwargs = {n: _CONVERTERS[str(spec[n].type)](v) for n, v in entry.items()}
    except TypeError as exc:
        raise CatalogError(f"{where}: {exc}") from exc
    return cls(**kwargs)


def _by_name(items: list[T], where: str) -> Mapping[str, T]:
    out: dict[str, T] = {}
    for item in items:
        name = item.name  # type: ignore[attr-defined]
        if name in out:
            raise CatalogError(f"{where}: duplicate name {name!r}")
        out[name] = item
    return MappingProxyType(out)


@functools.cache
def gpu_models() -> Mapping[str, GpuModel]:
    """Accelerator models by name (``H100``, ``H200``, ``B200``, ``GB200``, ``TPU-v6e``), in catalog order."""
    rows = _records("gpus.yaml", "gpus")
    return _by_name([_build(GpuModel, r, f"gpus.yaml[{i}]") for i, r in enumerate(rows)], "gpus.yaml")


@functools.cache
def launch_vehicles() -> Mapping[str, LaunchVehicle]:
    """Launch vehicles by name (``Falcon 9``, ``Falcon Heavy``, ``Starship``)."""
    rows = _records("launch_vehicles.yaml", "launch_vehicles")
    items = [_build(LaunchVehicle, r, f"launch_vehicles.yaml[{i}]") for i, r in enumerate(rows)]
    for lv in items:
        if not (0 < lv.price_low_usd_per_kg <= lv.price_usd_per_kg <= lv.price_high_usd_per_kg):
            raise CatalogError(f"launch_vehicles.yaml: {lv.name}: price must lie inside its low/high range")
    return _by_name(items, "launch_vehicles.yaml")


@functools.cache
def ground_stations() -> tuple[GroundStation, ...]:
    """All ground stations, in file order (providers AWS, NASA DSN, KSAT, Leaf Space, SSC)."""
    rows = _records("ground_stations.yaml", "ground_stations")
    items = tuple(_build(GroundStation, r, f"ground_stations.yaml[{i}]") for i, r in enumerate(rows))
    for gs in items:
        if not (-90.0 <= gs.lat_deg <= 90.0 and -180.0 <= gs.lon_deg <= 180.0):
            raise CatalogError(f"ground_stations.yaml: {gs.name}: coordinates out of range")
    return items


@functools.cache
def designs() -> Mapping[str, SatelliteDesign]:
    """Built-in satellite designs by name, validated with the scenario's ``SatelliteDesign`` model."""
    from pydantic import ValidationError

    from orbitgrid.scenario.models import SatelliteDesign

    data = _read_yaml("designs.yaml")
    if not isinstance(data, dict) or not isinstance(data.get("designs"), dict):
        raise CatalogError("catalog file designs.yaml must hold a mapping under 'designs'")
    out: dict[str, SatelliteDesign] = {}
    for name, spec in data["designs"].items():
        try:
            out[str(name)] = SatelliteDesign.model_validate(spec)
        except ValidationError as exc:
            raise CatalogError(f"designs.yaml: design {name!r} is invalid: {exc}") from exc
    return MappingProxyType(out)
