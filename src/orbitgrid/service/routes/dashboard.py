"""The dashboard (static HTML and JavaScript under ``service/web``, plotly.js from the installed plotly package, no
build step, no network) and the two API views it draws that the other routes do not give: the fleet on the map
(``/v1/fleet/map``) and capacity and utilization over time (``/v1/fleet/history``). The page calls only the
documented API with the key typed into it. The map's coastlines are the package's one copy
(``astro.coastlines.LAND_110M``), served as ``/dashboard/land-110m.json``."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field

from orbitgrid.astro.coastlines import LAND_110M
from orbitgrid.service import views
from orbitgrid.service.deps import PrincipalDep, ServiceDep, SessionDep
from orbitgrid.service.driver import ServiceError

WEB = Path(__file__).resolve().parent.parent / "web"
_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "land-110m.json": "application/json",
}
MAX_MAP_NODES = 20_000
MAX_BINS = 2_000
#: The shortest bin of the history: the usage ledger is metered per second, so a finer bin says nothing more.
MIN_BIN_S = 1.0

router = APIRouter(tags=["fleet"])
pages = APIRouter(include_in_schema=False)


def plotly_js() -> Path:
    """The plotly.js bundled in the plotly Python package (the same file the offline report embeds)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ServiceError(404, f"plotly.min.js is missing from the plotly package at {path}")
    return path


@pages.get("/dashboard")
def dashboard_root() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


@pages.get("/dashboard/")
def dashboard_index() -> FileResponse:
    return FileResponse(WEB / "index.html", media_type=_FILES["index.html"], headers={"Cache-Control": "no-cache"})


@pages.get("/dashboard/plotly.min.js")
def dashboard_plotly() -> FileResponse:
    return FileResponse(plotly_js(), media_type=_FILES["app.js"], headers={"Cache-Control": "max-age=86400"})


@pages.get("/dashboard/{name}")
def dashboard_file(name: str) -> FileResponse:
    media = _FILES.get(name)
    if media is None:
        raise ServiceError(404, f"no dashboard file {name!r}")
    path = LAND_110M if name == "land-110m.json" else WEB / name  # the coastlines every map shares
    return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})


# ------------------------------------------------------------------------------------------------- the map ---
class MapNode(BaseModel):
    id: int
    name: str
    group: str
    kind: str
    lat_deg: float | None = Field(description="WGS84 geodetic; null when the propagation failed")
    lon_deg: float | None
    alt_km: float | None = Field(description="height above the WGS84 ellipsoid (0 for ground sites)")
    sunlit_fraction: float | None = Field(description="orbital: fraction of the solar disc seen (0 = umbra)")
    daylight: bool = Field(description="ground: Sun above the horizon; orbital: any of the disc seen")
    installed_gpus: int
    usable_gpus: int
    busy_gpus: int


class FleetMap(BaseModel):
    t_s: float
    now: datetime
    subsolar_lat_deg: float
    subsolar_lon_deg: float
    nodes: int = Field(description="nodes in the fleet")
    data: list[MapNode] = Field(description="every node, or an evenly spaced sample of `limit` of them")
    count: int


@router.get("/v1/fleet/map", operation_id="getFleetMap", response_model=FleetMap)
def get_fleet_map(
    request: Request, svc: ServiceDep, _: PrincipalDep, limit: int = Query(5_000, ge=1, le=MAX_MAP_NODES)
) -> FleetMap:
    """Every node where it is now (latitude, longitude, height), whether it is in sunlight (the fraction of the
    solar disc seen from orbit; daylight at a ground site), and its installed, usable and busy GPUs; the subsolar
    point. Large fleets: an evenly spaced sample of ``limit`` nodes."""
    d = svc.driver
    geo = getattr(request.app.state, "fleet_geometry", None)
    if geo is None or geo.fleet is not d.fleet:
        geo = request.app.state.fleet_geometry = views.FleetGeometry(d.fleet)
    with d.lock:
        t = d.t_engine
        all_views = d.node_views()
    idx = views.sample_nodes(len(all_views), limit)
    at = geo.at(t, idx)

    def num(x: float) -> float | None:
        return None if not math.isfinite(x) else float(x)

    data = []
    for i, n in enumerate(idx.tolist()):
        v = all_views[n]
        data.append(
            MapNode(
                id=n,
                name=v["name"],
                group=v["group"],
                kind=v["kind"],
                lat_deg=num(at["lat_deg"][i]),
                lon_deg=num(at["lon_deg"][i]),
                alt_km=num(at["alt_km"][i]),
                sunlit_fraction=num(at["sunlit_fraction"][i]),
                daylight=bool(at["daylight"][i]),
                installed_gpus=v["installed_gpus"],
                usable_gpus=v["usable_gpus"],
                busy_gpus=v["busy_gpus"],
            )
        )
    return FleetMap(
        t_s=t,
        now=d.at(t),
        subsolar_lat_deg=at["subsolar_lat_deg"],
        subsolar_lon_deg=at["subsolar_lon_deg"],
        nodes=len(all_views),
        data=data,
        count=len(data),
    )


# ------------------------------------------------------------------------------------------------- history ---
class FleetHistory(BaseModel):
    start_s: float
    bin_s: float
    t_s: list[float] = Field(description="start of each bin, simulated seconds")
    at: list[datetime]
    installed_gpus: int
    usable_gpus: list[float | None] = Field(description="mean usable GPUs of the fleet (the timeline's forecast)")
    busy_gpus: list[float | None] = Field(description="mean GPUs held by jobs (committed ledger; null ahead)")
    committed_t_s: float
    horizon_s: float


@router.get("/v1/fleet/history", operation_id="getFleetHistory", response_model=FleetHistory)
def get_fleet_history(
    session: SessionDep,
    svc: ServiceDep,
    _: PrincipalDep,
    start_s: float | None = Query(None, ge=0, le=1e12, description="default: 6 h before the clock"),
    end_s: float | None = Query(None, ge=0, le=1e12, description="default: 6 h after the clock; at most the horizon"),
    bins: int = Query(240, ge=1, le=MAX_BINS),
) -> FleetHistory:
    """Capacity (usable GPUs, known ahead to the horizon) and utilization (GPUs held by jobs, from the per-second
    ledger up to the committed clock) over time, as bin means."""
    d = svc.driver
    clock = d.committed_t_s
    lo = max(0.0, clock - 6 * 3600.0) if start_s is None else start_s
    hi = min(d.horizon_s, clock + 6 * 3600.0 if end_s is None else end_s)
    if lo >= d.horizon_s:
        raise ServiceError(422, f"start_s ({lo:g}) is after the end of the simulated period ({d.horizon_s:g} s)")
    if hi <= lo:
        raise ServiceError(422, f"end_s ({hi:g}) must be after start_s ({lo:g})")
    bin_s = (hi - lo) / bins
    if bin_s < MIN_BIN_S:  # also keeps a denormal span (end_s=5e-324) from dividing by a zero-length bin
        raise ServiceError(
            422,
            f"bins ({bins}) over {hi - lo:g} s gives bins of {bin_s:g} s; bins are at least {MIN_BIN_S:g} s "
            "(the ledger is metered per second): ask for fewer bins or a longer span",
        )
    fleet = d.fleet.timeline
    usable = views.capacity_bins(fleet.usable_gpus, fleet.step_s, lo, bin_s, bins)
    busy = views.busy_bins(session, lo, bin_s, bins, clock)
    t = lo + bin_s * np.arange(bins)

    def opt(a: np.ndarray) -> list[float | None]:
        return [None if not math.isfinite(x) else round(float(x), 3) for x in a.tolist()]

    return FleetHistory(
        start_s=lo,
        bin_s=bin_s,
        t_s=t.tolist(),
        at=[d.at(x) for x in t.tolist()],
        installed_gpus=int(fleet.nodes.gpus.sum()),
        usable_gpus=opt(usable),
        busy_gpus=opt(busy),
        committed_t_s=clock,
        horizon_s=d.horizon_s,
    )
