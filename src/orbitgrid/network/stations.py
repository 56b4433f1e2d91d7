"""Ground stations as plain columns: what contact and visibility kernels take.

The catalog (``orbitgrid.scenario.catalog.ground_stations()``, brahe's station list, MIT licence) and scenario
gateways live in the scenario layer, which this package may not import; the pipeline converts them with
:meth:`Stations.from_degrees`. Coordinates are WGS84 geodetic; ``ecef_m`` and ``up`` (the ellipsoid normal, the
zenith elevations are measured from) are computed once at construction.

Elevation masks: the catalog gives none. A mask is each operator's choice per antenna (terrain, regulation); 10 deg
is a common default for LEO ground stations and is what :meth:`Stations.from_degrees` uses unless told otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from orbitgrid.network.geometry import enu_basis, station_ecef_m

__all__ = ["DEFAULT_ELEVATION_MASK_DEG", "Stations"]

DEFAULT_ELEVATION_MASK_DEG = 10.0
_DEFAULT_MASK_RAD = math.radians(DEFAULT_ELEVATION_MASK_DEG)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Stations:
    """``n`` ground stations as columns (radians, metres); build with :meth:`from_arrays` or :meth:`from_degrees`."""

    names: tuple[str, ...]
    lat_rad: np.ndarray
    lon_rad: np.ndarray
    alt_m: np.ndarray
    elevation_mask_rad: np.ndarray
    ecef_m: np.ndarray = field(repr=False)
    up: np.ndarray = field(repr=False)

    @classmethod
    def from_arrays(
        cls,
        names: Sequence[str],
        lat_rad: np.ndarray | Sequence[float],
        lon_rad: np.ndarray | Sequence[float],
        alt_m: np.ndarray | Sequence[float] | float = 0.0,
        elevation_mask_rad: np.ndarray | Sequence[float] | float = _DEFAULT_MASK_RAD,
    ) -> Stations:
        """Stations from WGS84 geodetic latitude/longitude (rad), height (m) and a mask (rad), scalars broadcast."""
        lat = np.atleast_1d(np.asarray(lat_rad, dtype=np.float64))
        n = lat.shape[0]
        lon = np.broadcast_to(np.asarray(lon_rad, dtype=np.float64), (n,))
        alt = np.broadcast_to(np.asarray(alt_m, dtype=np.float64), (n,))
        mask = np.broadcast_to(np.asarray(elevation_mask_rad, dtype=np.float64), (n,))
        if lat.ndim != 1 or len(names) != n:
            raise ValueError(f"need one name per station: {len(names)} names for {n} latitudes")
        if np.any(np.abs(lat) > np.pi / 2) or not np.all(np.isfinite(lon)):
            raise ValueError("latitudes must be within +-pi/2 and longitudes finite")
        if np.any(mask < -np.pi / 2) or np.any(mask >= np.pi / 2):
            raise ValueError("elevation masks must be in [-pi/2, pi/2)")
        ecef = station_ecef_m(lat, lon, alt)
        up = enu_basis(lat, lon)[:, 2, :]
        return cls(
            names=tuple(str(s) for s in names),
            lat_rad=_readonly(lat),
            lon_rad=_readonly(lon),
            alt_m=_readonly(alt),
            elevation_mask_rad=_readonly(mask),
            ecef_m=_readonly(ecef),
            up=_readonly(up),
        )

    @classmethod
    def from_degrees(
        cls,
        names: Sequence[str],
        lat_deg: np.ndarray | Sequence[float],
        lon_deg: np.ndarray | Sequence[float],
        alt_m: np.ndarray | Sequence[float] | float = 0.0,
        elevation_mask_deg: np.ndarray | Sequence[float] | float = DEFAULT_ELEVATION_MASK_DEG,
    ) -> Stations:
        """As :meth:`from_arrays` with latitude, longitude and mask in degrees (the catalog's units)."""
        return cls.from_arrays(
            names,
            np.radians(np.asarray(lat_deg, dtype=np.float64)),
            np.radians(np.asarray(lon_deg, dtype=np.float64)),
            alt_m,
            np.radians(np.asarray(elevation_mask_deg, dtype=np.float64)),
        )

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, index: Sequence[int] | np.ndarray | slice) -> Stations:
        """The stations at ``index`` (in that order)."""
        idx = np.arange(len(self))[index]
        return Stations(
            names=tuple(self.names[i] for i in idx),
            lat_rad=_readonly(self.lat_rad[idx]),
            lon_rad=_readonly(self.lon_rad[idx]),
            alt_m=_readonly(self.alt_m[idx]),
            elevation_mask_rad=_readonly(self.elevation_mask_rad[idx]),
            ecef_m=_readonly(self.ecef_m[idx]),
            up=_readonly(self.up[idx]),
        )
