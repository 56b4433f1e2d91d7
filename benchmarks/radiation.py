"""Trapped-particle fluxes along tracks: the packaged AE8/AP8 table against evaluating ``aep8`` directly.

The product needs, per point of a track, the five AE8/AP8 integral fluxes (``spacecraft.radiation.SPECIES``). Two
ways are timed on the same ``--points`` geodetic points (random latitude, longitude, and height 300-2,000 km):

1. the table: ``radiation.trapped_fluxes`` (one trilinear stencil, log-flux of five species) and the full dose rate
   ``radiation.dose_rate_rad_s`` behind 10 mm Al (warm: the grid load and the dose tables are built before timing);
2. ``aep8`` 1.1.0 (IRBEM Fortran): ``geomagnetic_coordinates`` for the two field models the five fluxes need (AP8MAX
   uses its own), then ``integral_flux_for_geomagnetic_coordinates`` for each species, on ``--direct-points`` of the
   points (it is ~1,000x slower, so a subset is timed and reported per point).

It also times loading the packaged table from a cold cache. Wall and process CPU time are printed with the load
average: the machine is shared and the code single-threaded, so CPU time estimates a quiet machine's wall time.

    python benchmarks/radiation.py [--points 1000000] [--direct-points 4000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from orbitgrid.spacecraft import radiation as rad


def timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0


def direct(lat_deg: np.ndarray, lon_deg: np.ndarray, alt_km: np.ndarray) -> dict[str, np.ndarray]:
    import aep8
    import astropy.units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    loc = EarthLocation.from_geodetic(lon_deg * u.deg, lat_deg * u.deg, alt_km * u.km)
    t = Time("2026-01-01T00:00:00", scale="utc")
    cases = {
        "proton_10MeV_min": ("p", "min", 10.0),
        "proton_10MeV_max": ("p", "max", 10.0),
        "proton_100MeV_min": ("p", "min", 100.0),
        "electron_1MeV_max": ("e", "max", 1.0),
        "electron_1MeV_min": ("e", "min", 1.0),
    }
    coords: dict[object, tuple] = {}
    out = {}
    for key, (particle, solar, energy) in cases.items():
        m = aep8.model(particle, solar)
        if m._geomag not in coords:
            coords[m._geomag] = m.geomagnetic_coordinates(loc, t)
        ell, b = coords[m._geomag]
        with np.errstate(invalid="ignore"):
            out[key] = np.asarray(m.integral_flux_for_geomagnetic_coordinates(ell, b, energy * u.MeV).value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--direct-points", type=int, default=4_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    n = args.points
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))  # uniform over the sphere
    lon = rng.uniform(-180.0, 180.0, n)
    alt_km = rng.uniform(300.0, 2000.0, n)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}")

    rad.load_trapped_flux_grid.cache_clear()
    _, w, c = timed(rad.load_trapped_flux_grid)
    print(f"load packaged table (cold): {w * 1e3:.0f} ms wall, {c * 1e3:.0f} ms CPU")
    rad.dose_rate_rad_s(0.0, 0.0, 500e3, 10.0)  # build the dose tables

    la, lo, h = np.radians(lat), np.radians(lon), alt_km * 1e3
    _, w_tab, c_tab = timed(rad.trapped_fluxes, la, lo, h)
    print(f"table, 5 species: {n:,} points in {w_tab:.2f} s wall ({n / w_tab:,.0f} points/s), {c_tab:.2f} s CPU")
    _, w_dose, c_dose = timed(rad.dose_rate_rad_s, la, lo, h, 10.0)
    print(f"table, dose rate behind 10 mm: {n / w_dose:,.0f} points/s wall, {n / c_dose:,.0f} points/s CPU")

    m = args.direct_points
    _, w_dir, c_dir = timed(direct, lat[:m], lon[:m], alt_km[:m])
    print(f"aep8 direct, 5 species: {m:,} points in {w_dir:.2f} s wall ({m / w_dir:,.0f} points/s), {c_dir:.2f} s CPU")
    ratio_wall = (n / w_tab) / (m / w_dir)
    ratio_cpu = (n / c_tab) / (m / c_dir)
    print(f"table / direct throughput: {ratio_wall:,.0f}x wall, {ratio_cpu:,.0f}x CPU")
    track_points = 1000 * 1440  # a 1,000-satellite shell, one day at 60 s (the SAA fault-rate profile)
    print(
        f"one day at 60 s for 1,000 satellites ({track_points:,} points): table {track_points / (n / c_tab):.1f} s, "
        f"aep8 {track_points / (m / c_dir) / 60:.0f} min (CPU)"
    )


if __name__ == "__main__":
    main()
