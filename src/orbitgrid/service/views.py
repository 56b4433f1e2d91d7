"""What the dashboard draws, computed from the twin and the database: where each node is and whether it is in
sunlight now, and the fleet's capacity and utilization over time.

Positions come from the same propagators the network stage uses (``network.contacts.circular_states``: the J2
secular model for designed shells; ``sgp4_states``: SGP4 for element sets), in the Earth-fixed frame, reduced to
WGS84 geodetic latitude, longitude and height (``astro.frames.ecef_to_geodetic``). Illumination is the fraction of
the solar disc seen from the node (``astro.eclipse.illuminated_fraction``, conical umbra and penumbra) with the Sun of
``astro.sun``; a ground site is in daylight when the Sun's centre is above its geodetic horizon. A formation
cluster is drawn at its reference orbit (the members sit within its radius).

Capacity over time is the fleet timeline's usable GPUs summed over nodes (known to the horizon: the forecast the
scheduler plans with); utilization is the mean of GPUs held by jobs per bin, integrated from the per-second ledger
(``usage_runs``: every run's GPUs from its start to its end, open runs through the committed clock), so it shows
only what was committed and survives restarts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from orbitgrid.astro.eclipse import illuminated_fraction
from orbitgrid.astro.frames import ecef_to_geodetic, geodetic_to_ecef, teme_to_ecef
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.fleet.nodes import NodeKind
from orbitgrid.network.contacts import StateFn, circular_states, sgp4_states
from orbitgrid.pipeline.live import LiveFleet
from orbitgrid.service import db


@dataclass(frozen=True)
class _Shell:
    offset: int
    n: int
    states: StateFn


class FleetGeometry:
    """Node positions and illumination at any simulated instant (module docstring)."""

    def __init__(self, fleet: LiveFleet) -> None:
        self.fleet = fleet
        self.grid = fleet.scenario.time_grid()
        epoch_jd = self.grid.epoch_jd
        self.shells: list[_Shell] = []
        offset = 0
        for s in fleet.surveys:
            o = s.orbits
            if o.circular is not None:
                states = circular_states(o.circular, epoch_jd)
            else:
                assert o.elements is not None
                states = sgp4_states(o.elements, epoch_jd)
            self.shells.append(_Shell(offset, o.tracks, states))
            offset += o.tracks
        nodes = fleet.timeline.nodes
        self.orbital = np.asarray(nodes.kind) == NodeKind.ORBITAL
        if not np.array_equal(np.flatnonzero(self.orbital), np.arange(offset)):
            raise ValueError("orbital nodes must come first, one per shell track, in the order of the surveys")
        self.site_lat_deg = np.asarray(nodes.lat_deg, dtype=np.float64)
        self.site_lon_deg = np.asarray(nodes.lon_deg, dtype=np.float64)
        self.site_ecef_m = geodetic_to_ecef(np.radians(self.site_lat_deg), np.radians(self.site_lon_deg), 0.0)

    def sun_ecef_m(self, t_s: float) -> np.ndarray:
        jd, fr = self.grid.jd_utc(t_s)
        return teme_to_ecef(sun_position_teme_m(self.grid.jd_tt(t_s)), jd, fr)

    def at(self, t_s: float, idx: np.ndarray) -> dict[str, Any]:
        """For nodes ``idx`` at ``t_s``: ``lat_deg``, ``lon_deg``, ``alt_km`` (NaN: propagation failed),
        ``sunlit_fraction`` (orbital; NaN for sites), ``daylight`` (sites: Sun above the horizon; orbital: any of
        the disc seen), and the subsolar point."""
        idx = np.asarray(idx, dtype=np.int64)
        sun = self.sun_ecef_m(t_s)
        lat = self.site_lat_deg[idx].copy()
        lon = self.site_lon_deg[idx].copy()
        alt = np.zeros(idx.size)
        lit = np.full(idx.size, np.nan)
        day = np.zeros(idx.size, dtype=bool)
        orb = self.orbital[idx]
        for sh in self.shells:
            sel = np.flatnonzero(orb & (idx >= sh.offset) & (idx < sh.offset + sh.n))
            if sel.size == 0:
                continue
            r, _v = sh.states(idx[sel] - sh.offset, np.array([float(t_s)]))
            r = r[:, 0, :]
            ok = np.all(np.isfinite(r), axis=1) & (np.linalg.norm(r, axis=1) > 0)
            la, lo, h = ecef_to_geodetic(np.where(ok[:, None], r, 1.0))
            lat[sel] = np.where(ok, np.degrees(la), np.nan)
            lon[sel] = np.where(ok, np.degrees(lo), np.nan)
            alt[sel] = np.where(ok, h / 1e3, np.nan)
            f = illuminated_fraction(np.where(ok[:, None], r, 1e7), sun)
            lit[sel] = np.where(ok, f, np.nan)
            day[sel] = ok & (f > 0.0)
        site = ~orb
        if site.any():
            g = self.site_ecef_m[idx[site]]
            la = np.radians(lat[site])
            lo = np.radians(lon[site])
            up = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
            rel = sun - g
            day[site] = np.einsum("ij,ij->i", rel, up) > 0.0
        rho = math.hypot(float(sun[0]), float(sun[1]))
        return {
            "lat_deg": lat,
            "lon_deg": lon,
            "alt_km": alt,
            "sunlit_fraction": lit,
            "daylight": day,
            "subsolar_lat_deg": math.degrees(math.atan2(float(sun[2]), rho)),
            "subsolar_lon_deg": math.degrees(math.atan2(float(sun[1]), float(sun[0]))),
        }


def sample_nodes(n: int, limit: int) -> np.ndarray:
    """All ``n`` node ids, or ``limit`` of them evenly spaced (every shell and site keeps its share)."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def capacity_bins(usable_gpus: np.ndarray, step_s: float, t0: float, bin_s: float, n_bins: int) -> np.ndarray:
    """Mean usable GPUs of the fleet in each bin ``[t0 + i bin_s, t0 + (i+1) bin_s)`` (steps are piecewise
    constant; bins beyond the horizon are NaN)."""
    total = usable_gpus.sum(axis=0, dtype=np.int64).astype(np.float64)
    horizon = total.size * step_s
    # the integral of the step function at the step edges, then at the bin edges by linear interpolation
    cum = np.concatenate([[0.0], np.cumsum(total * step_s)])
    edges = t0 + bin_s * np.arange(n_bins + 1)
    at = np.interp(np.clip(edges, 0.0, horizon), step_s * np.arange(total.size + 1), cum)
    out = np.diff(at) / bin_s
    out[edges[1:] > horizon + 1e-9] = np.nan
    out[edges[:-1] < 0.0] = np.nan
    return out


def busy_bins(session: Session, t0: float, bin_s: float, n_bins: int, through_s: float) -> np.ndarray:
    """Mean GPUs held by jobs in each bin, from the ledger (module docstring); bins after ``through_s`` (the
    committed clock) are NaN, the bin holding it is averaged over its committed part."""
    hi = t0 + bin_s * n_bins
    end = func.coalesce(db.UsageRun.end_s, literal(through_s))  # an open run is held through the clock
    rows = session.execute(
        select(db.UsageRun.start_s, end, db.UsageRun.gpus).where(db.UsageRun.start_s < hi, end > t0)
    ).all()
    edges = t0 + bin_s * np.arange(n_bins + 1)
    cut = np.minimum(edges, through_s)
    if rows:
        a = np.array(rows, dtype=np.float64)
        start, stop, g = a[:, 0], np.maximum(np.minimum(a[:, 1], through_s), a[:, 0]), a[:, 2]
        # GPUs held is a step function changing at run starts (+g) and ends (-g); its integral is piecewise
        # linear between the change points, so GPU-seconds held before each cut interpolate exactly
        t = np.concatenate([start, stop])
        dg = np.concatenate([g, -g])
        order = np.argsort(t, kind="stable")
        t, dg = t[order], dg[order]
        level = np.cumsum(dg)
        integral = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(t))])
        held = np.interp(cut, t, integral)
    else:
        held = np.zeros(edges.size)
    width = np.diff(cut)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.diff(held) / width
    out[width <= 0.0] = np.nan
    return out
