"""Thermospheric density: NRLMSIS 2.1 (``pymsis``) driven by observed F10.7 and Ap, averaged over circular orbits.

Model
-----
- **NRLMSIS 2.1** (Emmert et al., *Earth Space Sci.* 8 (2021) e2020EA001321; Emmert et al. 2022 for 2.1) through
  ``pymsis`` (the NRL Fortran compiled into the wheel). The solar and geomagnetic drivers are always passed
  explicitly, so pymsis never looks for its space-weather file: F10.7 of the previous day, its 81-day centred mean
  and the daily Ap (MSIS's default switches read only the daily Ap; ``storm_time=True`` switches to the 3-hourly ap
  history, MSIS switch 9 = -1).
- **Drivers** from ``data/space_weather_daily.csv``: the observed section of CelesTrak's ``SW-All`` file from
  2010-01-01 (observed, not 1-AU-adjusted, F10.7 as MSIS expects; daily and 3-hourly Ap). Provenance in
  ``data/PROVENANCE.md``.
- **Solar-activity scenarios** (:data:`SCENARIOS`) taken from that record: ``min`` the lowest 81-day mean of the
  cycle 24/25 minimum (2019-07-22, 67.1 sfu), ``max`` the highest of cycle 25 (2024-09-04, 227.2 sfu), ``mean`` the
  averages over solar cycle 24's span in the record (2010-01-01 to 2019-12-31), each with the mean daily Ap of the
  81 days around it; ``storm_2022_02`` the geomagnetic storm of 3-4 February 2022 that brought down 38 of the 49
  Starlink satellites of group 4-7 at ~210 km (SpaceX, 8 Feb 2022; docs/sources.md §7), at 4 Feb 2022 21:00 UT with its
  3-hourly ap history.
- **Orbit average.** A circular orbit of inclination ``i`` is sampled uniformly in argument of latitude ``u`` (time
  is uniform on a circle): geocentric latitude ``asin(sin i sin u)``, right ascension from the node
  ``atan2(cos i sin u, cos u)`` which, with the local time of the node, gives the local solar time (mean Sun,
  equation of time neglected) and from it the longitude at the date's UT. The height is geodetic over WGS84
  (``r - R(phi)``, ``R(phi) = a (1 - f sin^2 phi)`` to first order in the flattening): at 90 deg latitude a circle
  of radius ``a + h`` is 21 km higher than at the equator. Orbits whose node drifts through all local times (all but
  sun-synchronous ones over a lifetime) are averaged over node local times 0, 3, ..., 21 h; sun-synchronous ones
  keep their LTAN. Season: the average over the two equinoxes and the two solstices of 2020 (MSIS's annual and
  semi-annual terms), or the given date.

Validity
--------
MSIS 2.1 is fitted to 0-~1,000 km data and extrapolates the exosphere above; the F10.7 proxy misses EUV detail (
density errors ~15 % quiet, more in storms; Emmert 2021). Averages neglect the equation of time and the 27-day
rotation within a scenario.
"""

from __future__ import annotations

import csv
import importlib.resources
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, WGS84_F

#: Space-weather file shipped with the package (see the module docstring).
SPACE_WEATHER_FILE = "space_weather_daily.csv"

#: Dates of the seasonal average: equinoxes and solstices of 2020 at 00:00 UT.
SEASON_DATES = np.array(
    ["2020-03-20T00:00", "2020-06-20T00:00", "2020-09-22T00:00", "2020-12-21T00:00"], dtype="datetime64[s]"
)

#: Node local times averaged over for orbits whose node drifts in local time, hours.
NODE_LOCAL_TIMES_H = np.arange(0.0, 24.0, 3.0)

#: Samples per orbit in argument of latitude.
ORBIT_SAMPLES = 24


@dataclass(frozen=True)
class SpaceWeather:
    """Daily solar and geomagnetic drivers: dates, F10.7 (observed, sfu), its 81-day centred mean, daily Ap and
    the eight 3-hourly ap of each day."""

    dates: np.ndarray  # datetime64[D]
    f107: np.ndarray
    f107_81: np.ndarray
    ap_daily: np.ndarray
    ap_3h: np.ndarray  # (n, 8)

    def index(self, day: np.datetime64 | np.ndarray | str) -> int:
        d = np.asarray(day).astype("datetime64[D]")
        i = int(np.searchsorted(self.dates, d))
        if i >= self.dates.size or self.dates[i] != d:
            raise ValueError(f"{day} is outside the space-weather record {self.dates[0]} .. {self.dates[-1]}")
        return i


@lru_cache(maxsize=1)
def space_weather() -> SpaceWeather:
    """The shipped F10.7 / Ap record (module docstring)."""
    ref = importlib.resources.files("orbitgrid.astro") / "data" / SPACE_WEATHER_FILE
    with ref.open("r", encoding="ascii") as fh:
        header, *rows = csv.reader(fh)
    col = dict(zip(header, zip(*rows, strict=True), strict=True))  # name -> the column's strings
    return SpaceWeather(  # numpy parses the columns (a float() per value took ~0.1 s of every run)
        dates=np.array(col["date"], dtype="datetime64[D]"),
        f107=np.array(col["f107_obs_sfu"], dtype=np.float64),
        f107_81=np.array(col["f107_obs_ctr81_sfu"], dtype=np.float64),
        ap_daily=np.array(col["ap_daily"], dtype=np.float64),
        ap_3h=np.array(" ".join(col["ap_3h"]).split(), dtype=np.float64).reshape(len(rows), 8),
    )


@dataclass(frozen=True)
class SolarActivity:
    """MSIS drivers held constant: previous-day F10.7, 81-day mean F10.7 (sfu), and the seven-element ap vector
    (daily Ap, then the 3-hourly history MSIS reads in storm-time mode)."""

    name: str
    f107_sfu: float
    f107a_sfu: float
    ap: tuple[float, float, float, float, float, float, float]
    storm_time: bool = False
    description: str = ""


def _quiet(name: str, f107: float, f107a: float, ap: float, description: str) -> SolarActivity:
    return SolarActivity(name, f107, f107a, (ap,) * 7, False, description)


def ap_vector(
    sw: SpaceWeather, when: np.datetime64 | np.ndarray | str
) -> tuple[float, float, float, float, float, float, float]:
    """MSIS's seven-element ap at ``when`` (UT) from the 3-hourly record: daily Ap, ap now, 3, 6 and 9 h before,
    and the means of the 3-hourly values 12-33 h and 36-57 h before."""
    t = np.asarray(when).astype("datetime64[s]")
    day = sw.index(t.astype("datetime64[D]"))
    slot = int((t - t.astype("datetime64[D]")).astype(np.int64) // 10800)
    flat = sw.ap_3h[: day + 1].ravel()
    k = day * 8 + slot
    if k < 19:
        raise ValueError(f"{when}: the ap history needs 57 h of record before it")
    return (
        float(sw.ap_daily[day]),
        float(flat[k]),
        float(flat[k - 1]),
        float(flat[k - 2]),
        float(flat[k - 3]),
        float(flat[k - 11 : k - 3].mean()),
        float(flat[k - 19 : k - 11].mean()),
    )


def activity_on(
    when: np.datetime64 | np.ndarray | str, storm_time: bool = True, name: str | None = None
) -> SolarActivity:
    """The record's drivers at ``when``: previous day's F10.7, the day's 81-day mean, the ap vector."""
    sw = space_weather()
    t = np.asarray(when).astype("datetime64[s]")
    i = sw.index(t.astype("datetime64[D]"))
    if i == 0:
        raise ValueError(f"{when}: the previous day's F10.7 is outside the record")
    ap = ap_vector(sw, t) if storm_time else (float(sw.ap_daily[i]),) * 7
    return SolarActivity(name or str(t), float(sw.f107[i - 1]), float(sw.f107_81[i]), ap, storm_time, f"record {t}")


def _scenarios() -> dict[str, SolarActivity]:
    sw = space_weather()
    window = 40
    out: dict[str, SolarActivity] = {}
    for name, i in (("min", int(np.argmin(sw.f107_81))), ("max", int(np.argmax(sw.f107_81)))):
        lo, hi = max(0, i - window), min(sw.dates.size, i + window + 1)
        f = float(sw.f107_81[i])
        out[name] = _quiet(
            name, f, f, float(sw.ap_daily[lo:hi].mean()), f"81-day mean F10.7 {name} of the record, {sw.dates[i]}"
        )
    cyc = (sw.dates >= np.datetime64("2010-01-01")) & (sw.dates <= np.datetime64("2019-12-31"))
    f = float(sw.f107[cyc].mean())
    out["mean"] = _quiet("mean", f, f, float(sw.ap_daily[cyc].mean()), "solar cycle 24 mean, 2010-2019")
    storm = activity_on(np.datetime64("2022-02-04T21:00"), storm_time=True, name="storm_2022_02")
    out["storm_2022_02"] = SolarActivity(
        storm.name, storm.f107_sfu, storm.f107a_sfu, storm.ap, True, "geomagnetic storm of 3-4 Feb 2022, 21 UT"
    )
    return out


#: Solar-activity scenarios from the shipped record (module docstring).
SCENARIOS: dict[str, SolarActivity] = _scenarios()


def msis_density_kg_m3(
    dates: np.ndarray,
    lon_deg: np.ndarray,
    lat_deg: np.ndarray,
    alt_km: np.ndarray,
    activity: SolarActivity,
) -> np.ndarray:
    """NRLMSIS 2.1 total mass density (kg/m³) at aligned points (geodetic lat/lon in degrees, geodetic height km)."""
    import pymsis

    dates = np.asarray(dates, dtype="datetime64[s]")
    n = dates.size
    opts = {"geomagnetic_activity": -1} if activity.storm_time else {}
    out = pymsis.calculate(
        dates,
        np.asarray(lon_deg, dtype=np.float64),
        np.asarray(lat_deg, dtype=np.float64),
        np.asarray(alt_km, dtype=np.float64),
        f107s=np.full(n, activity.f107_sfu),
        f107as=np.full(n, activity.f107a_sfu),
        aps=np.tile(np.asarray(activity.ap, dtype=np.float64), (n, 1)),
        version=2.1,
        **opts,
    )
    return np.asarray(out[..., pymsis.Variable.MASS_DENSITY], dtype=np.float64).reshape(n)


def orbit_average_density_kg_m3(
    altitude_m: np.ndarray | float,
    inclination_rad: float,
    activity: SolarActivity,
    ltan_hours: float | None = None,
    dates: np.ndarray | None = None,
) -> np.ndarray:
    """Time-averaged density around circular orbits of radius ``a + altitude_m`` (module docstring), kg/m³.

    ``ltan_hours`` fixes the node's local time (sun-synchronous); ``None`` averages over :data:`NODE_LOCAL_TIMES_H`.
    ``dates`` defaults to :data:`SEASON_DATES`.
    """
    h = np.atleast_1d(np.asarray(altitude_m, dtype=np.float64))
    dts = SEASON_DATES if dates is None else np.atleast_1d(np.asarray(dates, dtype="datetime64[s]"))
    lt_nodes = NODE_LOCAL_TIMES_H if ltan_hours is None else np.array([float(ltan_hours)])
    u = (np.arange(ORBIT_SAMPLES) + 0.5) * (2.0 * np.pi / ORBIT_SAMPLES)
    si, ci = np.sin(inclination_rad), np.cos(inclination_rad)
    phi = np.arcsin(si * np.sin(u))
    dra_h = np.degrees(np.arctan2(ci * np.sin(u), np.cos(u))) / 15.0
    # grid: dates x node local times x u x altitude
    d_ix, l_ix, u_ix, h_ix = np.meshgrid(
        np.arange(dts.size), np.arange(lt_nodes.size), np.arange(u.size), np.arange(h.size), indexing="ij"
    )
    ut_h = (dts - dts.astype("datetime64[D]")).astype(np.float64) / 3600.0
    stl = lt_nodes[l_ix] + dra_h[u_ix]
    lon = np.mod(15.0 * (stl - ut_h[d_ix]) + 180.0, 360.0) - 180.0
    lat_c = phi[u_ix]
    # geodetic latitude and height to first order in the flattening
    lat_d = np.degrees(lat_c + WGS84_F * np.sin(2.0 * lat_c))
    r = EARTH_EQUATORIAL_RADIUS_M + h[h_ix]
    hgt_km = (r - EARTH_EQUATORIAL_RADIUS_M * (1.0 - WGS84_F * np.sin(lat_c) ** 2)) / 1e3
    rho = msis_density_kg_m3(dts[d_ix].ravel(), lon.ravel(), lat_d.ravel(), hgt_km.ravel(), activity)
    return np.asarray(rho.reshape(d_ix.shape).mean(axis=(0, 1, 2)))


@dataclass(frozen=True)
class DensityProfile:
    """Orbit-averaged density on an altitude grid, interpolated log-linearly (density falls nearly exponentially)."""

    altitude_m: np.ndarray
    log_density: np.ndarray
    activity: SolarActivity

    def __call__(self, altitude_m: np.ndarray | float) -> np.ndarray:
        h = np.asarray(altitude_m, dtype=np.float64)
        if np.any(h < self.altitude_m[0]) or np.any(h > self.altitude_m[-1]):
            raise ValueError(
                f"altitude outside the density profile {self.altitude_m[0] / 1e3:.0f}-"
                f"{self.altitude_m[-1] / 1e3:.0f} km"
            )
        return np.exp(np.interp(h, self.altitude_m, self.log_density))


#: Altitude grid of :func:`density_profile`: 100-2,100 km every 25 km (MSIS's scale height is >= 6 km at
#: 100 km and > 40 km above 200 km, so log-linear interpolation between 25 km nodes is within ~1 %).
PROFILE_ALTITUDES_M = np.arange(100e3, 2100e3 + 1.0, 25e3)


def density_profile(
    activity: SolarActivity | str,
    inclination_rad: float,
    ltan_hours: float | None = None,
    dates: np.ndarray | None = None,
    max_altitude_m: float | None = None,
) -> DensityProfile:
    """Orbit-averaged density profile for ``activity`` (a :data:`SCENARIOS` name or drivers).

    ``max_altitude_m``: the profile ends at the second grid node above it (the nodes and their values are those of
    the whole profile), for a decay that starts there and only descends: a shell at 550 km evaluates NRLMSIS on 21
    of the 81 altitudes."""
    act = SCENARIOS[activity] if isinstance(activity, str) else activity
    grid = PROFILE_ALTITUDES_M
    if max_altitude_m is not None:
        grid = grid[: int(np.searchsorted(grid, max_altitude_m, side="right")) + 2]
    rho = orbit_average_density_kg_m3(grid, inclination_rad, act, ltan_hours, dates)
    return DensityProfile(grid.copy(), np.log(rho), act)
