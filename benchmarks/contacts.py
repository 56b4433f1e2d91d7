"""Contact windows for 10,000 satellites x 100 ground stations over one day, against a brute-force 1 s scan.

Measures, in one process on this machine:

1. ``orbitgrid.network.contacts.contact_windows`` end to end: states of a 10,000-satellite Walker-delta shell
   (550 km, 53 deg, 100 planes x 100, J2 secular model, ECEF) on the coarse grid, the scan, refinement of every
   rise, culmination and set to 1 ms, and the bytes each pass carries over an illustrative X-band link (capacity
   integrated every <= 10 s). ``--source tle`` uses the Starlink element sets in ``shared/data/tle_starlink``
   (SGP4) instead. Stations: the 79 of the packaged brahe catalog plus 21 synthetic ones (seeded, |lat| < 60 deg)
   to make 100, all with a 10 deg mask.
2. The brute-force baseline: the same satellites' states computed directly every second (no interpolation) and
   the elevation of each satellite from each station tested against the mask at every second (numba, same
   threads), on a ``--brute-sample`` subset of satellites, extrapolated linearly to the whole fleet. It resolves
   events only to +-1 s and can miss passes shorter than a second.

Each timing is the median of ``--repeats`` runs after a warm-up that compiles the kernels. Prints pass counts,
wall and process CPU times (all threads: on a shared machine CPU / threads estimates a quiet machine's wall time),
the ratio brute / ours, the peak resident memory and the load average before and after.

    python benchmarks/contacts.py [--satellites 10000] [--stations 100] [--repeats 3] [--brute-sample 100]
                                  [--source walker|tle]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numba as nb
import numpy as np

from orbitgrid.astro import constellations as con
from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.time import datetime_to_jd
from orbitgrid.network.budget import RfGroundLink
from orbitgrid.network.contacts import StateFn, circular_states, contact_windows, sgp4_states
from orbitgrid.network.stations import Stations
from orbitgrid.scenario.catalog import ground_stations

EPOCH = dt.datetime(2026, 2, 24, 15, 0, tzinfo=dt.UTC)
DAY_S = 86_400.0
TLE = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "tle_starlink"
    / "starlink_frozen_20260224_1413Z.tle"
)

# An illustrative X-band downlink for the per-pass volume (not a library default): 8.2 GHz, 20 dBW EIRP, G/T 30 dB/K
# (a ~7 m dish), 400 MHz, capped at 4.45 bit/s/Hz (DVB-S2 32APSK 9/10, ETSI EN 302 307-1 table 13), 0.3 dB of
# gases at the zenith, 2 dB of implementation and pointing losses.
XBAND = RfGroundLink(
    frequency_hz=8.2e9,
    eirp_dbw=20.0,
    g_over_t_db_k=30.0,
    bandwidth_hz=400e6,
    zenith_loss_db=0.3,
    other_loss_db=2.0,
    max_spectral_efficiency_bps_hz=4.45,
)


def stations(n: int) -> Stations:
    cat = ground_stations()
    names = [f"{g.provider} {g.name}" for g in cat]
    lat = [g.lat_deg for g in cat]
    lon = [g.lon_deg for g in cat]
    rng = np.random.default_rng(5)
    extra = max(0, n - len(cat))
    names += [f"synthetic {k}" for k in range(extra)]
    lat += list(np.degrees(np.arcsin(rng.uniform(-math.sin(math.radians(60)), math.sin(math.radians(60)), extra))))
    lon += list(rng.uniform(-180.0, 180.0, extra))
    return Stations.from_degrees(names[:n], lat[:n], lon[:n], 0.0, 10.0)


def fleet(source: str, n: int) -> tuple[StateFn, int, str]:
    jd = datetime_to_jd(EPOCH)
    if source == "tle":
        elements = ElementSet.from_tle_text(TLE.read_text())
        n = min(n, len(elements))
        return sgp4_states(elements.subset(np.arange(n)), jd), n, f"{n:,} Starlink element sets (SGP4)"
    planes = math.isqrt(n)
    while n % planes:
        planes -= 1
    orbits = con.walker(550e3, math.radians(53.0), n, planes, 1)
    label = f"Walker delta 53 deg: {n}/{planes}/1 at 550 km (J2)"
    return circular_states(orbits, jd), n, label


@nb.njit(cache=True, parallel=True)
def _brute_scan(r, st, up, smask):  # pragma: no cover - benchmark kernel
    """Passes counted from the elevation at every sample (rise = below -> above the mask)."""
    n_sat, n_t = r.shape[0], r.shape[1]
    counts = np.zeros(n_sat, dtype=np.int64)
    for i in nb.prange(n_sat):
        c = 0
        for j in range(st.shape[0]):
            above_prev = False
            for k in range(n_t):
                dx = r[i, k, 0] - st[j, 0]
                dy = r[i, k, 1] - st[j, 1]
                dz = r[i, k, 2] - st[j, 2]
                dn = math.sqrt(dx * dx + dy * dy + dz * dz)
                above = dx * up[j, 0] + dy * up[j, 1] + dz * up[j, 2] >= smask[j] * dn
                if above and not above_prev:
                    c += 1
                above_prev = above
        counts[i] = c
    return counts


def brute_force(states: StateFn, sample: np.ndarray, stns: Stations, chunk: int = 10) -> int:
    t = np.arange(0.0, DAY_S + 0.5, 1.0)
    smask = np.ascontiguousarray(np.sin(stns.elevation_mask_rad))
    total = 0
    for lo in range(0, len(sample), chunk):
        r, _v = states(sample[lo : lo + chunk], t)
        total += int(_brute_scan(np.ascontiguousarray(r), stns.ecef_m, stns.up, smask).sum())
    return total


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """Median wall time and median process CPU time (all threads) of ``repeats`` calls, and the last result."""
    walls, cpus = [], []
    out: object = None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--satellites", type=int, default=10_000)
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--brute-sample", type=int, default=100)
    ap.add_argument("--source", choices=["walker", "tle"], default="walker")
    args = ap.parse_args()

    states, n_sat, label = fleet(args.source, args.satellites)
    stns = stations(args.stations)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, numba threads {nb.get_num_threads()}")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"fleet: {label}; {len(stns)} stations (10 deg mask); one day from {EPOCH.isoformat()}")

    # Warm-up: compiles (or loads cached) kernels on a small problem.
    contact_windows(states, min(n_sat, 64), stns, DAY_S, capacity_fn=XBAND.capacity_bps)
    brute_force(states, np.arange(2), stns)

    t_ours, c_ours, cw_obj = median_time(
        lambda: contact_windows(states, n_sat, stns, DAY_S, capacity_fn=XBAND.capacity_bps), args.repeats
    )
    t_nocap, c_nocap, _ = median_time(lambda: contact_windows(states, n_sat, stns, DAY_S), args.repeats)
    cw = cw_obj
    assert hasattr(cw, "rise_s")
    n_pass = len(cw)  # type: ignore[arg-type]

    rng = np.random.default_rng(11)
    sample = np.sort(rng.choice(n_sat, size=min(args.brute_sample, n_sat), replace=False))
    t_brute_s, c_brute_s, brute_obj = median_time(
        lambda: brute_force(states, sample, stns), 1 if args.repeats < 3 else 2
    )
    brute_passes = int(brute_obj)  # type: ignore[call-overload]
    t_brute = t_brute_s * n_sat / len(sample)
    c_brute = c_brute_s * n_sat / len(sample)
    ours_in_sample = int(np.isin(cw.sat_index, sample).sum())  # type: ignore[attr-defined]

    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    vol = cw.volume_bytes  # type: ignore[attr-defined]
    dur = cw.duration_s  # type: ignore[attr-defined]
    print(f"\npasses: {n_pass:,} ({n_pass / n_sat:.1f} per satellite), mean {dur.mean():.0f} s, ", end="")
    print(f"{vol.sum() / 1e15:.2f} PB in the day over the example X-band link (mean {vol.mean() / 1e9:.1f} GB/pass)")
    print(f"brute-force sample: {len(sample)} satellites, {brute_passes} passes at 1 s; ours {ours_in_sample} there")
    print(f"\n{'method':56s} {'wall':>9s} {'CPU':>9s} {'x faster (wall)':>16s}")
    rows = [
        ("contact_windows, with capacity per pass (median)", t_ours, c_ours),
        ("contact_windows, events only (median)", t_nocap, c_nocap),
        ("brute force 1 s grid, extrapolated from the sample", t_brute, c_brute),
    ]
    for name, wall, cpu in rows:
        print(f"{name:56s} {wall:8.2f}s {cpu:8.2f}s {t_brute / wall:16.1f}")
    print(f"\npeak resident memory: {peak_gb:.2f} GB")
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
