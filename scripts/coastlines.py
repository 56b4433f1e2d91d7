"""Build ``src/orbitgrid/astro/data/land-110m.json`` (the coastlines of the dashboard and the report) from Natural
Earth's 1:110m land polygons as redistributed in TopoJSON by the npm package ``world-atlas`` 2.0.2
(``land-110m.json``).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/coastlines.py package/land-110m.json src/orbitgrid/astro/data/land-110m.json

The output is ``{"source": ..., "rings": [[lon, lat, lon, lat, ...], ...]}``: every ring of the land polygons as a
flat list of degrees rounded to 0.01 deg (about 1 km, below the 1:110m scale's resolution).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs (quantized, delta-encoded) as lists of (lon, lat) degrees."""
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def ring(arcs: list[list[tuple[float, float]]], refs: list[int]) -> list[tuple[float, float]]:
    """A ring from arc references (a negative reference ``~i`` is arc ``i`` reversed; shared end points once)."""
    pts: list[tuple[float, float]] = []
    for r in refs:
        a = arcs[r] if r >= 0 else arcs[~r][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def main(src: str, dst: str) -> None:
    topo = json.loads(Path(src).read_text())
    arcs = decode_arcs(topo)
    rings = []
    for geom in topo["objects"]["land"]["geometries"]:
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for poly in polys:
            for refs in poly:
                flat = []
                for lon, lat in ring(arcs, refs):
                    flat += [round(lon, 2), round(lat, 2)]
                rings.append(flat)
    doc = {
        "source": "Natural Earth 1:110m land (public domain), TopoJSON of world-atlas 2.0.2 (ISC), decoded",
        "rings": rings,
    }
    Path(dst).write_text(json.dumps(doc, separators=(",", ":")))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
