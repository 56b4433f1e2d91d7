"""``orbitgrid export {omm,oem,czml}``: a scenario's shells in the field's interchange formats.

- **OMM** (``astro.ccsds``): every orbit of every shell at the scenario epoch, one file per shell in KVN, XML or
  JSON. Designed shells become SGP4 mean elements whose un-Kozai'd mean motion is the design's; a formation shell
  writes its cluster centres (``<shell>-c<k>``; members are the centre plus their HCW offsets, which mean elements
  of a circular orbit cannot carry); an element shell re-writes its own element sets. Catalogue numbers of
  designed orbits count from ``DESIGNED_CATALOG_START`` (alpha-5 "A0000", above every catalogued object) up to
  339,999; a fleet with more designed orbits than that is refused (SGP4 element sets cannot number them).
- **OEM**: ephemerides in TEME, ``days`` (default 7, the span NASA's conjunction-assessment handbook asks operators
  to share) at ``1/per_orbit`` of the period (default 100), one file per satellite (an OEM describes one object),
  for the first ``limit`` orbits of each shell. Designed shells by the J2 secular propagator the simulation uses,
  element shells by SGP4.
- **CZML** (``czml3``): positions in Cesium's ``FIXED`` frame (TEME rotated by GMST, ``astro.frames``) every
  ``step_s`` over ``hours``, Lagrange-interpolated; each satellite's point is coloured by illumination (sunlit,
  penumbra, umbra: ``astro.eclipse.shadow_code`` against the Sun of ``astro.sun``) as time intervals; or, given a
  complete run directory, by utilization: the fraction of the node's GPUs busy with the run's placements, averaged
  over each sample interval, on a ten-step dark-blue-to-yellow ramp (:func:`busy_fraction`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from orbitgrid.astro import ccsds
from orbitgrid.astro import j2 as j2mod
from orbitgrid.astro.eclipse import shadow_code
from orbitgrid.astro.frames import teme_to_ecef
from orbitgrid.astro.sgp4_adapter import codes_before_start, flight_codes, propagate_teme
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.time import TimeGrid, jd_to_datetime
from orbitgrid.pipeline.orbit import ShellOrbits, shell_orbits

if TYPE_CHECKING:
    from orbitgrid.scenario import Scenario

#: First NORAD_CAT_ID given to designed orbits: 100,000, alpha-5 "A0000", above every catalogued object (~67,000 in
#: 2026); the alpha-5 range that SGP4 tools (and ``astro.elements``) accept ends at 339,999 (alpha-5 "Z9999").
DESIGNED_CATALOG_START = 100_000
DESIGNED_CATALOG_END = 339_999
ORIGINATOR = "orbitgrid"
#: Point colours (RGBA) by shadow code 0 (lit), 1 (penumbra), 2-3 (umbra).
ILLUMINATION_RGBA = ((255, 200, 40, 255), (200, 110, 40, 255), (70, 110, 200, 255))
#: Utilization colour ramp, idle to fully busy (RGBA at 0 and 1; a busy fraction ``f`` is drawn at the step
#: ``round(f * (UTILIZATION_STEPS - 1))`` between them): the ends of viridis, readable with colour-blindness.
UTILIZATION_RGBA = ((68, 1, 84, 255), (253, 231, 37, 255))
UTILIZATION_STEPS = 11


@dataclass(frozen=True)
class Track:
    """One exported orbit: its name, catalogue number and OBJECT_ID."""

    name: str
    catalog_number: int
    object_id: str


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _tracks(scenario: Scenario) -> list[tuple[ShellOrbits, list[Track]]]:
    out = []
    next_cat = DESIGNED_CATALOG_START
    for shell in scenario.fleet.shells:
        so = shell_orbits(scenario, shell)
        if so.circular is not None:
            if next_cat + so.tracks - 1 > DESIGNED_CATALOG_END:
                raise ValueError(
                    f"shell {shell.name!r}: the scenario's designed orbits outnumber the alpha-5 catalogue numbers "
                    f"{DESIGNED_CATALOG_START}-{DESIGNED_CATALOG_END} that SGP4 element sets can carry"
                )
            sep = "-c" if so.members > 1 else "-"
            tracks = [
                Track(f"{shell.name}{sep}{k}", next_cat + k, f"ORBITGRID-{next_cat + k}") for k in range(so.tracks)
            ]
            next_cat += so.tracks
        else:
            el = so.elements
            assert el is not None
            tracks = [
                Track(el.names[k], int(el.catalog_numbers[k]), str(el.satrecs[k].intldesg or el.catalog_numbers[k]))
                for k in range(len(el))
            ]
        out.append((so, tracks))
    return out


def _element_records(so: ShellOrbits, tracks: list[Track]) -> list[dict[str, object]]:
    el = so.elements
    assert el is not None
    recs = []
    for k, tr in enumerate(tracks):
        sat = el.satrecs[k]
        epoch = jd_to_datetime(float(sat.jdsatepoch), float(sat.jdsatepochF))
        recs.append(
            {
                "OBJECT_NAME": tr.name,
                "OBJECT_ID": tr.object_id,
                "CENTER_NAME": "EARTH",
                "REF_FRAME": "TEME",
                "TIME_SYSTEM": "UTC",
                "MEAN_ELEMENT_THEORY": "SGP4",
                "EPOCH": epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"),
                "MEAN_MOTION": sat.no_kozai * 1440.0 / (2.0 * math.pi),
                "ECCENTRICITY": float(sat.ecco),
                "INCLINATION": math.degrees(sat.inclo),
                "RA_OF_ASC_NODE": math.degrees(sat.nodeo),
                "ARG_OF_PERICENTER": math.degrees(sat.argpo),
                "MEAN_ANOMALY": math.degrees(sat.mo),
                "EPHEMERIS_TYPE": 0,
                "CLASSIFICATION_TYPE": sat.classification or "U",
                "NORAD_CAT_ID": tr.catalog_number,
                "ELEMENT_SET_NO": int(sat.elnum),
                "REV_AT_EPOCH": int(sat.revnum),
                "BSTAR": float(sat.bstar),
                "MEAN_MOTION_DOT": float(sat.ndot) * 1440.0**2 / (2.0 * math.pi),
                "MEAN_MOTION_DDOT": float(sat.nddot) * 1440.0**3 / (2.0 * math.pi),
            }
        )
    return recs


def export_omm(scenario: Scenario, out_dir: Path, fmt: str = "json") -> list[Path]:
    """Write ``<out_dir>/<shell>.omm.{json,xml,kvn}``; returns the files."""
    if fmt not in ("json", "xml", "kvn"):
        raise ValueError(f"OMM format must be json, xml or kvn, got {fmt!r}")
    epoch = scenario.time_grid().epoch
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for so, tracks in _tracks(scenario):
        if so.circular is not None:
            c = so.circular
            recs = ccsds.omm_records(
                [t.name for t in tracks],
                [t.catalog_number for t in tracks],
                epoch,
                c.semi_major_axis_m,
                c.inclination_rad,
                c.raan_rad,
                c.arg_latitude_rad,
                object_ids=[t.object_id for t in tracks],
            )
        else:
            recs = _element_records(so, tracks)
        path = out_dir / f"{_safe(so.name)}.omm.{fmt}"
        if fmt == "json":
            path.write_text(json.dumps(recs, indent=1) + "\n")
        elif fmt == "xml":
            path.write_text(ccsds.omm_xml(recs, ORIGINATOR, created))
        else:
            path.write_text(ccsds.omm_kvn(recs, ORIGINATOR, created))
        files.append(path)
    return files


def _states(so: ShellOrbits, index: np.ndarray, grid: TimeGrid, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TEME positions and velocities ``(n, n_t, 3)`` of the shell's orbits ``index`` at ``t_s`` after the epoch
    (``t_s`` increasing). An element set is NaN from its first failure on (an SGP4 code, re-entry below the entry
    interface, or a failure between its epoch and the scenario epoch), as the run counts it lost: past a failure
    SGP4 can return error-free states that are no orbit."""
    if so.circular is not None:
        c = so.circular.subset(index)
        r, v = j2mod.positions_teme_m(
            c.semi_major_axis_m, c.inclination_rad, c.raan_rad, c.arg_latitude_rad, t_s, with_velocity=True
        )
        return r, v
    assert so.elements is not None
    jd, fr = grid.jd_utc(t_s)
    sub = so.elements.subset(index)
    r, v, err = propagate_teme(sub, jd, fr)
    failed = np.cumsum(flight_codes(err, r) != 0, axis=1) > 0
    failed |= (codes_before_start(sub, grid.epoch_jd) != 0)[:, None]
    r[failed] = np.nan
    v[failed] = np.nan
    return r, v


def _mean_a(so: ShellOrbits) -> float:
    if so.circular is not None:
        return float(np.mean(so.circular.semi_major_axis_m))
    assert so.elements is not None
    return float(np.mean(j2mod.semi_major_axis_m(so.elements.mean_motion_brouwer_rad_s)))


def export_oem(
    scenario: Scenario, out_dir: Path, days: float = 7.0, per_orbit: int = 100, limit: int = 10
) -> list[Path]:
    """Write ``<out_dir>/<shell>/<satellite>.oem`` for the first ``limit`` orbits of each shell."""
    grid = scenario.time_grid()
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    files = []
    for so, tracks in _tracks(scenario):
        step = ccsds.oem_step_s(_mean_a(so), per_orbit)
        t_s = np.arange(0.0, days * 86_400.0 + 0.5 * step, step)
        index = np.arange(min(limit, len(tracks)))
        r, v = _states(so, index, grid, t_s)
        d = out_dir / _safe(so.name)
        d.mkdir(parents=True, exist_ok=True)
        for k in index:
            tr = tracks[int(k)]
            ok = np.all(np.isfinite(r[k]), axis=1)
            if not ok.any():
                continue
            p = d / f"{_safe(tr.name)}.oem"
            p.write_text(
                ccsds.oem_kvn(tr.name, tr.object_id, grid.epoch, t_s[ok], r[k][ok], v[k][ok], ORIGINATOR, created)
            )
            files.append(p)
    return files


def _iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def busy_fraction(run_dir: Path, t_s: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Per node of a complete run, the fraction of its GPUs busy over each interval ``[t_s[k], t_s[k+1]]`` (seconds
    since the epoch), from the run's ``placements`` (each holds ``gpus`` GPUs of ``node`` over ``[start_s, end_s)``)
    over the node's GPUs (``node_usage``); and each node's GPU count. Exact: the busy GPU-seconds of a placement in
    an interval are ``gpus * |[start, end) & interval|``."""
    import pyarrow.parquet as pq

    from orbitgrid.results.run import RunDirError, require_complete

    run_dir = require_complete(run_dir)
    for name in ("placements", "node_usage"):
        if not (run_dir / f"{name}.parquet").is_file():
            raise RunDirError(f"{run_dir}: no {name}.parquet (a run with workloads has one): nothing to colour by")
    usage = pq.read_table(run_dir / "node_usage.parquet", columns=["node", "gpus"]).to_pydict()
    gpus = {str(n): int(g) for n, g in zip(usage["node"], usage["gpus"], strict=True)}
    pl = pq.read_table(run_dir / "placements.parquet", columns=["node", "start_s", "end_s", "gpus"]).to_pydict()
    names = sorted(gpus)
    row = {n: k for k, n in enumerate(names)}
    node = np.array([row.get(str(n), -1) for n in pl["node"]], dtype=np.int64)
    start = np.asarray(pl["start_s"], dtype=np.float64)
    end = np.asarray(pl["end_s"], dtype=np.float64)
    g = np.asarray(pl["gpus"], dtype=np.float64)
    if np.any(node < 0):
        bad = next(str(n) for n, k in zip(pl["node"], node, strict=True) if k < 0)
        raise RunDirError(f"{run_dir}: placements.parquet names node {bad!r}, which node_usage.parquet does not hold")
    t = np.asarray(t_s, dtype=np.float64)
    busy = np.zeros((len(names), max(t.size - 1, 0)))
    for lo in range(0, node.size, 20_000):  # placements x intervals in blocks
        sl = slice(lo, lo + 20_000)
        overlap = np.minimum(end[sl, None], t[None, 1:]) - np.maximum(start[sl, None], t[None, :-1])
        np.add.at(busy, node[sl], g[sl, None] * np.maximum(overlap, 0.0))
    width = np.diff(t)
    out = {}
    for n, k in row.items():
        cap = gpus[n] * width
        out[n] = np.divide(busy[k], cap, out=np.zeros_like(width), where=cap > 0)
    return out, gpus


def _track_nodes(scenario: Scenario, so: ShellOrbits, n_tracks: int) -> list[str]:
    """The run's node of each of the shell's first ``n_tracks`` tracks: ``shell/sat-k``, ``shell/cluster-k`` (a
    formation's cluster), or ``shell/plane-p`` when the scheduler pooled the shell by plane
    (``pipeline.nodes.pool_of_track``)."""
    from types import SimpleNamespace
    from typing import cast

    from orbitgrid.pipeline.nodes import pool_of_track
    from orbitgrid.pipeline.orbit import ShellSurvey

    pools = pool_of_track(scenario, cast(ShellSurvey, SimpleNamespace(orbits=so)))
    if pools is not None:
        return [f"{so.name}/plane-{int(p)}" for p in pools[:n_tracks]]
    kind = "cluster" if so.kind == "formation" else "sat"
    return [f"{so.name}/{kind}-{k}" for k in range(n_tracks)]


def _utilization_rgba(fraction: float) -> list[int]:
    step = round(min(max(fraction, 0.0), 1.0) * (UTILIZATION_STEPS - 1)) / (UTILIZATION_STEPS - 1)
    lo, hi = UTILIZATION_RGBA
    return [round(a + (b - a) * step) for a, b in zip(lo, hi, strict=True)]


def czml_document(
    scenario: Scenario, hours: float = 2.0, step_s: float = 60.0, limit: int = 2000, run_dir: Path | None = None
) -> Any:
    """A ``czml3.Document``: a clock packet and one packet per orbit (the first ``limit`` of each shell), coloured by
    illumination, or by utilization from the complete run in ``run_dir`` (:func:`busy_fraction`)."""
    from czml3 import Document, Packet
    from czml3.properties import Clock, Color, Point, Position
    from czml3.types import IntervalValue, TimeInterval, TimeIntervalCollection

    grid = scenario.time_grid()
    epoch = grid.epoch
    t_s = np.arange(0.0, hours * 3600.0 + 0.5 * step_s, step_s)
    jd, fr = grid.jd_utc(t_s)
    sun = sun_position_teme_m(grid.jd_tt(t_s))
    end = epoch + _dt.timedelta(seconds=float(t_s[-1]))
    busy = busy_fraction(run_dir, t_s)[0] if run_dir is not None else None
    packets = [
        Packet(
            id="document",
            name=f"orbitgrid {scenario.name}",
            version="1.0",
            clock=Clock(
                interval=TimeInterval(start=_iso(epoch), end=_iso(end)), currentTime=_iso(epoch), multiplier=60.0
            ),
        )
    ]
    for so, tracks in _tracks(scenario):
        index = np.arange(min(limit, len(tracks)))
        r, _ = _states(so, index, grid, t_s)
        ecef = teme_to_ecef(r, jd, fr)
        codes = np.minimum(shadow_code(r, sun[None]), 2)
        nodes = _track_nodes(scenario, so, index.size) if busy is not None else []
        for k in index:
            ok = np.all(np.isfinite(r[k]), axis=1)
            if not ok.any():
                continue
            samples = np.column_stack([t_s[ok], ecef[k][ok]]).ravel().tolist()
            if busy is None:
                c = codes[k]
                rgba = [list(ILLUMINATION_RGBA[int(x)]) for x in c]
                legend = "point colour: yellow sunlit, orange penumbra, blue umbra"
            else:
                node = nodes[int(k)]
                if node not in busy:
                    raise ValueError(f"the run has no node {node!r}: was it simulated from this scenario?")
                f = np.append(busy[node], busy[node][-1:])  # the last sample keeps the last interval's colour
                c = np.round(np.clip(f, 0.0, 1.0) * (UTILIZATION_STEPS - 1)).astype(np.int64)
                rgba = [_utilization_rgba(float(x)) for x in f]
                legend = f"node {node}; point colour: busy GPU fraction, dark blue idle to yellow fully busy"
            cuts = np.flatnonzero(np.diff(c)) + 1
            starts = np.concatenate([[0], cuts])
            ends = np.concatenate([cuts, [t_s.size - 1]])
            intervals = [
                IntervalValue(
                    start=_iso(epoch + _dt.timedelta(seconds=float(t_s[a]))),
                    end=_iso(epoch + _dt.timedelta(seconds=float(t_s[b]))),
                    value=Color(rgba=rgba[int(a)]),
                )
                for a, b in zip(starts, ends, strict=True)
            ]
            packets.append(
                Packet(
                    id=tracks[int(k)].name,
                    name=tracks[int(k)].name,
                    description=f"shell {so.name}; {legend}",
                    position=Position.model_validate(
                        {
                            "epoch": _iso(epoch),
                            "referenceFrame": "FIXED",
                            "cartesian": samples,
                            "interpolationAlgorithm": "LAGRANGE",
                            "interpolationDegree": 5,
                        }
                    ),
                    point=Point(pixelSize=4.0, color=TimeIntervalCollection(values=intervals)),
                )
            )
    return Document(packets=packets)


def export_czml(
    scenario: Scenario,
    out: Path,
    hours: float = 2.0,
    step_s: float = 60.0,
    limit: int = 2000,
    run_dir: Path | None = None,
) -> Path:
    """Write the :func:`czml_document` to ``out`` (a ``.czml`` file)."""
    doc = czml_document(scenario, hours, step_s, limit, run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(doc.dumps())
    return out


#: The offline playback page: CesiumJS from ``./cesium`` (``scripts/fetch_cesium.sh``), its bundled Natural Earth II
#: imagery, no Ion token, the CZML beside it. The page records frame intervals over the first ``FRAMES`` rendered
#: frames after the data loaded into ``<body data-frames="n" data-frame-ms-median=... data-satellites=...>``.
PLAYBACK_FRAMES = 20

#: The page's head and viewer, shared by both loaders.
_PAGE_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>orbitgrid playback: __TITLE__</title>
<script src="cesium/Cesium.js"></script>
<link href="cesium/Widgets/widgets.css" rel="stylesheet">
<style>html, body, #view { width: 100%; height: 100%; margin: 0; padding: 0; overflow: hidden; }</style>
</head>
<body>
<div id="view"></div>
<script>
"use strict";
Cesium.Ion.defaultAccessToken = "";
const viewer = new Cesium.Viewer("view", {
  baseLayer: Cesium.ImageryLayer.fromProviderAsync(
    Cesium.TileMapServiceImageryProvider.fromUrl(Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"))
  ),
  baseLayerPicker: false, geocoder: false, homeButton: true, sceneModePicker: true, navigationHelpButton: false,
  timeline: true, animation: true, fullscreenButton: false, infoBox: true, selectionIndicator: true,
});
viewer.scene.globe.enableLighting = true;
const FRAMES = __FRAMES__;
function recordFrames(extra) {
  const times = [];
  let last = null;
  const remove = viewer.scene.postRender.addEventListener(() => {
    const now = performance.now();
    if (last !== null) times.push(now - last);
    last = now;
    if (times.length >= FRAMES) {
      remove();
      const sorted = times.slice().sort((a, b) => a - b);
      document.body.dataset.frames = String(times.length);
      document.body.dataset.frameMsMedian = sorted[Math.floor(sorted.length / 2)].toFixed(2);
      document.body.dataset.frameMsP95 = sorted[Math.floor(sorted.length * 0.95)].toFixed(2);
      if (extra) extra();
    }
  });
}
"""

#: Cesium's own CZML loader (``CzmlDataSource``: one entity per satellite, its properties evaluated per frame). Kept
#: as the baseline of ``benchmarks/playback.py``.
_CZML_DATASOURCE_JS = """
Cesium.CzmlDataSource.load(__CZML__).then((ds) => {
  viewer.dataSources.add(ds);
  viewer.clock.shouldAnimate = true;
  document.body.dataset.satellites = String(ds.entities.values.length);
  recordFrames(null);
}).catch((e) => { document.body.dataset.error = String(e); });
"""

#: The playback's loader: reads the same CZML (positions sampled in the Earth-fixed frame, Lagrange interpolation,
#: colour intervals) into typed arrays and draws one ``PointPrimitiveCollection``. Each frame interpolates every
#: satellite with the packet's Lagrange degree, with the weights computed once per group of satellites sharing their
#: sample times, and looks its colour up from a cursor into its intervals. A click shows the satellite's name and
#: description in the info box. Per-frame update times are recorded beside the frame times.
_POINTS_JS = """
const points = viewer.scene.primitives.add(new Cesium.PointPrimitiveCollection());
const sats = [];
const groups = [];
const groupsByKey = new Map();
const updateMs = [];
let epoch = null;
const scratch = new Cesium.Cartesian3();
const white = Cesium.Color.WHITE;
function secondsOf(iso) {
  return Cesium.JulianDate.secondsDifference(Cesium.JulianDate.fromIso8601(iso), epoch);
}
function sameTimes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function colourOf(c) {
  if (c.rgba) return Cesium.Color.fromBytes(c.rgba[0], c.rgba[1], c.rgba[2], c.rgba[3]);
  if (c.rgbaf) return new Cesium.Color(c.rgbaf[0], c.rgbaf[1], c.rgbaf[2], c.rgbaf[3]);
  return white;
}
function load(packets) {
  const doc = packets.find((p) => p.id === "document") || {};
  const clock = doc.clock || {};
  const first = packets.find((p) => p.position && p.position.epoch);
  const span = clock.interval ? clock.interval.split("/") : null;
  epoch = Cesium.JulianDate.fromIso8601(span ? span[0] : (first ? first.position.epoch : "2000-01-01T12:00:00Z"));
  for (const p of packets) {
    if (!p.position || !p.position.cartesian) continue;
    const pos = p.position;
    if (pos.referenceFrame && pos.referenceFrame !== "FIXED") {
      throw new Error(`${p.id}: only Earth-fixed positions are played back, got ${pos.referenceFrame}`);
    }
    const c = pos.cartesian;
    const sampled = c.length % 4 === 0 && c.length >= 8;
    const n = sampled ? c.length / 4 : 1;
    const t0 = sampled ? (pos.epoch ? secondsOf(pos.epoch) : 0) : 0;
    const times = new Float64Array(n);
    const xyz = new Float64Array(3 * n);
    for (let k = 0; k < n; k++) {
      if (sampled) {
        times[k] = t0 + c[4 * k];
        xyz[3 * k] = c[4 * k + 1]; xyz[3 * k + 1] = c[4 * k + 2]; xyz[3 * k + 2] = c[4 * k + 3];
      } else {
        times[0] = -Infinity;
        xyz[0] = c[0]; xyz[1] = c[1]; xyz[2] = c[2];
      }
    }
    const degree = Math.min(sampled ? (pos.interpolationDegree || 1) : 0, n - 1);
    const key = `${degree}|${n}|${times[0]}|${times[n - 1]}`;
    const candidates = groupsByKey.get(key) || [];
    let group = candidates.find((g) => sameTimes(g.times, times));
    if (!group) {
      group = { times, degree, start: -1, weights: new Float64Array(degree + 1), live: false };
      candidates.push(group);
      groupsByKey.set(key, candidates);
      groups.push(group);
    }
    const colours = [];
    const pc = p.point && p.point.color;
    if (Array.isArray(pc)) {
      for (const v of pc) {
        const [a, b] = v.interval ? v.interval.split("/") : [null, null];
        colours.push({ start: a ? secondsOf(a) : -Infinity, end: b ? secondsOf(b) : Infinity, colour: colourOf(v) });
      }
    } else if (pc) {
      colours.push({ start: -Infinity, end: Infinity, colour: colourOf(pc) });
    }
    const point = points.add({
      pixelSize: (p.point && p.point.pixelSize) || 4,
      color: colours.length ? colours[0].colour : white,
      id: { name: p.name || p.id, description: p.description || "" },
    });
    sats.push({ group, xyz, colours, cursor: 0, point });
  }
  const start = epoch;
  const stop = span
    ? Cesium.JulianDate.fromIso8601(span[1])
    : Cesium.JulianDate.addSeconds(epoch, 3600, new Cesium.JulianDate());
  viewer.clock.startTime = start.clone();
  viewer.clock.stopTime = stop.clone();
  viewer.clock.currentTime = clock.currentTime ? Cesium.JulianDate.fromIso8601(clock.currentTime) : start.clone();
  viewer.clock.multiplier = clock.multiplier || 60;
  viewer.clock.clockRange = Cesium.ClockRange.LOOP_STOP;
  viewer.timeline.zoomTo(start, stop);
}
function weigh(g, t) {
  const n = g.times.length;
  if (g.degree === 0 && n === 1) { g.start = 0; g.weights[0] = 1; g.live = true; return; }
  if (t < g.times[0] || t > g.times[n - 1]) { g.live = false; return; }
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (g.times[mid] <= t) lo = mid; else hi = mid; }
  const m = g.degree + 1;
  const s = Math.max(0, Math.min(lo - (g.degree >> 1), n - m));
  for (let j = 0; j < m; j++) {
    let w = 1;
    for (let q = 0; q < m; q++) if (q !== j) w *= (t - g.times[s + q]) / (g.times[s + j] - g.times[s + q]);
    g.weights[j] = w;
  }
  g.start = s;
  g.live = true;
}
function interpolate(sat, g, out) {
  let x = 0, y = 0, z = 0;
  for (let j = 0; j < g.weights.length; j++) {
    const w = g.weights[j], k = 3 * (g.start + j);
    x += w * sat.xyz[k]; y += w * sat.xyz[k + 1]; z += w * sat.xyz[k + 2];
  }
  out.x = x; out.y = y; out.z = z;
  return out;
}
function update(time) {
  const began = performance.now();
  const t = Cesium.JulianDate.secondsDifference(time, epoch);
  for (const g of groups) weigh(g, t);
  for (const sat of sats) {
    const g = sat.group;
    if (!g.live) { sat.point.show = false; continue; }
    sat.point.position = interpolate(sat, g, scratch);
    sat.point.show = true;
    const cs = sat.colours;
    if (cs.length > 1) {
      let c = Math.min(sat.cursor, cs.length - 1);
      while (c > 0 && t < cs[c].start) c--;
      while (c < cs.length - 1 && t > cs[c].end) c++;
      sat.cursor = c;
      sat.point.color = cs[c].start <= t && t <= cs[c].end ? cs[c].colour : white;
    }
  }
  updateMs.push(performance.now() - began);
}
// for tests: satellite k's interpolated Earth-fixed position (m) at a JulianDate, null outside its samples
window.orbitgridPlayback = {
  count: () => sats.length,
  positionAt: (k, time) => {
    const sat = sats[k];
    const g = { times: sat.group.times, degree: sat.group.degree, start: -1,
      weights: new Float64Array(sat.group.degree + 1), live: false };
    weigh(g, Cesium.JulianDate.secondsDifference(time, epoch));
    return g.live ? interpolate(sat, g, new Cesium.Cartesian3()) : null;
  },
  colourAt: (k) => sats[k].point.color,
};
viewer.screenSpaceEventHandler.setInputAction((click) => {
  const picked = viewer.scene.pick(click.position);
  viewer.selectedEntity = picked && picked.id && picked.id.name
    ? new Cesium.Entity({ name: picked.id.name, description: picked.id.description })
    : undefined;
}, Cesium.ScreenSpaceEventType.LEFT_CLICK);
fetch(__CZML__).then((r) => {
  if (!r.ok) throw new Error(`${r.url}: HTTP ${r.status}`);
  return r.json();
}).then((packets) => {
  load(packets);
  update(viewer.clock.currentTime);
  viewer.scene.preUpdate.addEventListener((scene, time) => update(time));
  viewer.clock.shouldAnimate = true;
  document.body.dataset.satellites = String(sats.length);
  recordFrames(() => {
    const sorted = updateMs.slice().sort((a, b) => a - b);
    document.body.dataset.updateMsMedian = sorted[Math.floor(sorted.length / 2)].toFixed(3);
  });
}).catch((e) => { document.body.dataset.error = String(e); });
"""

_PAGE_TAIL = """</script>
</body>
</html>
"""

#: Loaders ``write_playback`` can write: ``points`` (the playback's own) and ``czml-datasource`` (Cesium's).
PLAYBACK_LOADERS = {"points": _POINTS_JS, "czml-datasource": _CZML_DATASOURCE_JS}


def write_playback(czml_path: Path, cesium_dir: Path, title: str, loader: str = "points") -> Path:
    """``playback.html`` beside ``czml_path`` with CesiumJS copied from ``cesium_dir`` (a ``Build/Cesium``, as
    ``scripts/fetch_cesium.sh`` leaves it) into ``cesium/``. Serve the folder over HTTP (``python -m http.server``):
    browsers refuse Cesium's web workers from ``file://``. ``loader``: ``points`` (the CZML read into one point
    collection, ``_POINTS_JS``) or ``czml-datasource`` (Cesium's entity loader, the benchmark's baseline)."""
    import html
    import json
    import shutil

    if loader not in PLAYBACK_LOADERS:
        raise ValueError(f"loader must be one of {sorted(PLAYBACK_LOADERS)}, got {loader!r}")

    if not (cesium_dir / "Cesium.js").is_file():
        raise ValueError(f"{cesium_dir}: no Cesium.js (run scripts/fetch_cesium.sh and pass its folder)")
    dest = czml_path.parent / "cesium"
    if not dest.exists():
        shutil.copytree(cesium_dir, dest)
    page = czml_path.parent / "playback.html"
    text = _PAGE_HEAD + PLAYBACK_LOADERS[loader] + _PAGE_TAIL
    text = text.replace("__TITLE__", html.escape(title)).replace("__FRAMES__", str(PLAYBACK_FRAMES))
    page.write_text(text.replace("__CZML__", json.dumps(czml_path.name)))
    return page
