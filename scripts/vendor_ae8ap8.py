"""Generate src/orbitgrid/spacecraft/data/ae8ap8_grid.npz: NASA AE8/AP8 integral fluxes on a dense altitude grid.

python scripts/vendor_ae8ap8.py              # evaluate aep8 on the full grid (~5 min on one core), write the npz
python scripts/vendor_ae8ap8.py --check      # re-evaluate 3 levels and compare them with the packaged file (exit 1)

The generator evaluates the ``aep8`` package (1.1.0, BSD-3; IRBEM's AE8/AP8 Fortran with IGRF) directly, the same
calls as the shared folder's ``gen_aep8_grid.py`` that made the earlier 400/550/800 km cut: ``integral_flux`` at
epoch 2026-01-01T00:00Z for protons > 10 MeV (AP8MIN, AP8MAX), > 100 MeV (AP8MIN) and electrons > 1 MeV (AE8MAX,
AE8MIN), on geodetic latitude -88..88 deg and longitude -180..178 deg by 2 deg, at every 50 km of geodetic height
from 150 to 2,150 km. The geomagnetic coordinates (L, B/B0) are computed once per field model (AP8MAX uses its
own, ``geomag4``; the others share ``geomag3``) and the fluxes evaluated from them, which is what ``integral_flux``
does internally. The McIlwain L of the shared coordinates is stored too (``mcilwain_L``): the galactic cosmic-ray
model takes its geomagnetic cutoff from it.

Storage: each flux cube as ``log10(flux)`` quantised to uint16, ``code = 1 + round(log10(flux) * 4096)``, with code
0 for "no flux" (AE8/AP8 return 0 below their 1 cm^-2 s^-1 floor, and NaN where the model is undefined: both mean
no trapped flux). The quantum 1/4096 decade is a relative step of 5.6e-4 (at most 2.8e-4 error), far finer than the
model resolves; the floor of 1 cm^-2 s^-1 makes every positive value's log non-negative (checked). The npz also
holds the axes (float64), the column names, the epoch, the aep8 version and the quantum. L is stored as uint16
``round(L x 100)`` (values above 655 are capped there, far beyond any cutoff of interest; L dips slightly below 1
over the equator at the lowest levels, as it does in the real field); where IRBEM finds no drift shell (open field
lines at high latitude: -1e31) L takes the cap as well.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NPZ_PATH = ROOT / "src" / "orbitgrid" / "spacecraft" / "data" / "ae8ap8_grid.npz"
EPOCH_UTC = "2026-01-01T00:00:00"
ALT_KM = np.arange(150.0, 2150.0 + 1.0, 50.0)
LAT_DEG = np.arange(-88.0, 88.0 + 1.0, 2.0)
LON_DEG = np.arange(-180.0, 180.0, 2.0)
#: (column, particle, solar, energy MeV): the same five cases as the earlier grid.
CASES = (
    ("proton_gt10MeV_AP8MIN_cm2_s", "p", "min", 10.0),
    ("proton_gt10MeV_AP8MAX_cm2_s", "p", "max", 10.0),
    ("proton_gt100MeV_AP8MIN_cm2_s", "p", "min", 100.0),
    ("electron_gt1MeV_AE8MAX_cm2_s", "e", "max", 1.0),
    ("electron_gt1MeV_AE8MIN_cm2_s", "e", "min", 1.0),
)
LOG_QUANTUM = 1.0 / 4096.0
L_QUANTUM = 1.0 / 100.0


def evaluate(alt_km: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray) -> dict[str, np.ndarray]:
    """Fluxes (cm^-2 s^-1, float64, NaN where AE8/AP8 are undefined) of every case on the (alt, lat, lon) grid."""
    import aep8
    import astropy.units as u
    from astropy.coordinates import EarthLocation
    from astropy.time import Time

    t = Time(EPOCH_UTC, scale="utc")
    la, lo = np.meshgrid(lat_deg, lon_deg, indexing="ij")
    out = {name: np.empty((len(alt_km), *la.shape)) for name, *_ in CASES}
    out["mcilwain_L"] = np.empty((len(alt_km), *la.shape))
    for k, h in enumerate(alt_km):
        loc = EarthLocation.from_geodetic(lo.ravel() * u.deg, la.ravel() * u.deg, np.full(la.size, h) * u.km)
        coords: dict[object, tuple] = {}
        for name, particle, solar, energy in CASES:
            m = aep8.model(particle, solar)
            if m._geomag not in coords:  # AP8MAX has its own field model; the others share one
                coords[m._geomag] = m.geomagnetic_coordinates(loc, t)
            ell, b = coords[m._geomag]
            with np.errstate(invalid="ignore"):
                f = m.integral_flux_for_geomagnetic_coordinates(ell, b, energy * u.MeV)
            out[name][k] = np.asarray(f.to_value(1 / (u.cm**2 * u.s))).reshape(la.shape)
            if (particle, solar) == ("p", "min"):
                out["mcilwain_L"][k] = np.asarray(ell, dtype=np.float64).reshape(la.shape)
        sys.stderr.write(f"\r{h:.0f} km ({k + 1}/{len(alt_km)})")
    sys.stderr.write("\n")
    return out


def encode(flux: np.ndarray) -> np.ndarray:
    """uint16 codes of ``flux`` (see the module docstring)."""
    pos = np.isfinite(flux) & (flux > 0.0)
    logf = np.log10(np.where(pos, flux, 1.0))
    if np.any(logf < 0.0):
        raise ValueError(f"a positive flux below 1 cm^-2 s^-1 ({flux[pos].min()}): the encoding assumes the floor")
    code = 1 + np.rint(logf / LOG_QUANTUM)
    if code.max() > np.iinfo(np.uint16).max:
        raise ValueError("log-flux beyond the uint16 range")
    return np.where(pos, code, 0).astype(np.uint16)


def encode_l(ell: np.ndarray) -> np.ndarray:
    """uint16 codes of McIlwain L (``round(L / L_QUANTUM)``), capped at the uint16 maximum (L = 655.35); nodes on
    field lines without a drift shell (IRBEM's -1e31) take the cap too: a cutoff of ~0 GV, open to every particle."""
    cap = np.iinfo(np.uint16).max
    defined = np.isfinite(ell) & (ell > 0.0)  # L dips to ~0.93 over the equator at 150 km in the real field
    return np.where(defined, np.minimum(np.rint(np.where(defined, ell, 1.0) / L_QUANTUM), cap), cap).astype(np.uint16)


def payload(fluxes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    p: dict[str, np.ndarray] = {"alt_km": ALT_KM, "lat_deg": LAT_DEG, "lon_deg": LON_DEG}
    for name, *_ in CASES:
        p[name] = encode(fluxes[name])
    p["mcilwain_L"] = encode_l(fluxes["mcilwain_L"])
    p["columns"] = np.array([c[0] for c in CASES])
    p["epoch_utc"] = np.array(EPOCH_UTC)
    p["generator"] = np.array(f"aep8=={version('aep8')}")
    p["log10_quantum"] = np.array(LOG_QUANTUM)
    p["L_quantum"] = np.array(L_QUANTUM)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=NPZ_PATH)
    parser.add_argument("--check", action="store_true", help="re-evaluate 3 levels and compare instead of writing")
    args = parser.parse_args(argv)
    if args.check:
        levels = np.array([0, len(ALT_KM) // 2, len(ALT_KM) - 1])
        fresh = evaluate(ALT_KM[levels], LAT_DEG, LON_DEG)
        with np.load(args.out, allow_pickle=False) as packaged:
            same = all(np.array_equal(packaged[n][levels], encode(fresh[n])) for n, *_ in CASES)
            same = same and np.array_equal(packaged["mcilwain_L"][levels], encode_l(fresh["mcilwain_L"]))
        sys.stdout.write(f"{args.out}: {'up to date' if same else 'DIFFERS from aep8'} at {ALT_KM[levels]} km\n")
        return 0 if same else 1
    p = payload(evaluate(ALT_KM, LAT_DEG, LON_DEG))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **p)
    sys.stdout.write(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
