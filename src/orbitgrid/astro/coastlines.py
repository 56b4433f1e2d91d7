"""The coastlines every map of orbitgrid draws (the dashboard's world map, the report's ground tracks and link maps).

One file, ``data/land-110m.json``: Natural Earth's 1:110m land polygons (public domain) as rings of longitude /
latitude in degrees, rounded to 0.01 deg; built by ``scripts/coastlines.py``, provenance in ``data/PROVENANCE.md``.
It ships with the package, so no map ever fetches anything at view time.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["LAND_110M", "coastline_path", "land_rings"]

#: The shipped land rings: ``{"source": str, "rings": [[lon, lat, lon, lat, ...], ...]}`` (degrees).
LAND_110M = Path(__file__).resolve().parent / "data" / "land-110m.json"


@lru_cache(maxsize=1)
def land_rings() -> tuple[np.ndarray, ...]:
    """Every land ring as an ``(n, 2)`` array of (longitude, latitude) degrees."""
    doc = json.loads(LAND_110M.read_text(encoding="utf-8"))
    return tuple(np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in doc["rings"])


def coastline_path() -> tuple[np.ndarray, np.ndarray]:
    """All rings as one polyline for an equirectangular map: longitudes and latitudes (float32, degrees) with NaN
    between rings and wherever a ring crosses the antimeridian (a jump of more than 180 deg in longitude), so a
    plotting library draws no line across the map."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    gap = np.array([np.nan])
    for ring in land_rings():
        lon, lat = ring[:, 0], ring[:, 1]
        cut = np.flatnonzero(np.abs(np.diff(lon)) > 180.0) + 1
        xs += [np.insert(lon, cut, np.nan), gap]
        ys += [np.insert(lat, cut, np.nan), gap]
    if not xs:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.float32)
