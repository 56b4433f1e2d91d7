"""Plot the orbit-averaged trapped dose behind 5 mm Al against altitude, 400-2,000 km (docs/img/dose_vs_altitude.png).

python scripts/plot_dose_vs_altitude.py [--out docs/img/dose_vs_altitude.png] [--direct]

Circular J2 orbits at 0, 30, 53 and 98 deg, one day from 2027-03-20 at 120 s, every 50 km from 400 to 2,000 km,
through the product's path (``radiation.dose_rate_components_rad_s``, AP8MIN + AE8MAX, sphere of 5 mm Al). With
``--direct`` (needs ``aep8``), the same transport fed with ``aep8`` fluxes evaluated directly along the tracks is
drawn as markers every 200 km. Prints the plotted values as a table (rad(Si)/yr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

from orbitgrid.astro import frames, j2
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.time import TimeGrid
from orbitgrid.spacecraft import radiation as rad

ROOT = Path(__file__).resolve().parent.parent
EPOCH = dt.datetime(2027, 3, 20, tzinfo=dt.UTC)
SHIELD_MM = 5.0
INCLINATIONS = (0.0, 30.0, 53.0, 98.0)
ALTITUDES = np.arange(400.0, 2000.0 + 1.0, 50.0)


def track(alt_km: float, inc_deg: float):
    grid = TimeGrid.from_duration(EPOCH, 86_400.0, 120.0)
    r = j2.positions_teme_m(
        np.array([EARTH_EQUATORIAL_RADIUS_M + alt_km * 1e3]), np.radians([inc_deg]), np.zeros(1), np.zeros(1), grid.t_s
    )
    jd, fr = grid.jd_utc(grid.t_s)
    lat, lon, h = frames.ecef_to_geodetic(frames.teme_to_ecef(r, jd, fr)[0])
    return lat, lon, h, jd, fr


def dose_from_fluxes(j10: np.ndarray, j100: np.ndarray, j1: np.ndarray) -> float:
    ratio = np.where(j10 > 0.0, j100 / np.where(j10 > 0.0, j10, 1.0), 0.0)
    d = j10 * rad.proton_dose_coefficient_mev_cm2_g(SHIELD_MM, ratio) + j1 * rad.electron_dose_coefficient_mev_cm2_g(
        SHIELD_MM
    )
    return float(np.mean(d) * rad.MEV_PER_G_TO_RAD * rad.SECONDS_PER_JULIAN_YEAR)


def direct_dose(lat, lon, h, jd, fr) -> float:
    import aep8
    import astropy.units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    loc = EarthLocation.from_geodetic(np.degrees(lon) * u.deg, np.degrees(lat) * u.deg, h * u.m)
    ell, b = aep8.model("p", "min").geomagnetic_coordinates(loc, Time(jd, fr, format="jd", scale="utc"))
    f = []
    for particle, solar, e in (("p", "min", 10.0), ("p", "min", 100.0), ("e", "max", 1.0)):
        with np.errstate(invalid="ignore"):
            v = aep8.model(particle, solar).integral_flux_for_geomagnetic_coordinates(ell, b, e * u.MeV)
        f.append(np.nan_to_num(np.asarray(v.to_value(1 / (u.cm**2 * u.s))), nan=0.0))
    return dose_from_fluxes(*f)


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "dose_vs_altitude.png")
    parser.add_argument("--direct", action="store_true", help="also evaluate aep8 directly every 200 km")
    args = parser.parse_args(argv)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    sys.stdout.write("altitude_km " + " ".join(f"{i:g}deg" for i in INCLINATIONS) + "\n")
    table = {}
    for inc in INCLINATIONS:
        doses = []
        for a in ALTITUDES:
            lat, lon, h, *_ = track(a, inc)
            comps = rad.dose_rate_components_rad_s(lat, lon, h, SHIELD_MM)
            doses.append(float(comps["total"].mean() * rad.SECONDS_PER_JULIAN_YEAR))
        table[inc] = doses
        (line,) = ax.semilogy(ALTITUDES, doses, label=f"{inc:g}°")
        if args.direct:
            pts = ALTITUDES[::4]
            ax.semilogy(pts, [direct_dose(*track(a, inc)) for a in pts], "o", color=line.get_color(), ms=4)
    for k, a in enumerate(ALTITUDES):
        sys.stdout.write(f"{a:.0f} " + " ".join(f"{table[i][k]:.4g}" for i in INCLINATIONS) + "\n")
    ax.set_xlabel("circular altitude, km")
    ax.set_ylabel("trapped dose behind 5 mm Al, rad(Si)/yr")
    title = "AE8/AP8 (AP8MIN + AE8MAX), sphere of 5 mm Al, one-day orbit average"
    ax.set_title(title + ("\nlines: packaged table; dots: aep8 evaluated directly" if args.direct else ""), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="inclination")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out)
    sys.stdout.write(f"wrote {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
