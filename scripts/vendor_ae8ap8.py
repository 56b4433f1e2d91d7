"""Regenerate src/orbitgrid/spacecraft/data/ae8ap8_grid.npz from the shared AE8/AP8 flux grid CSV.

python scripts/vendor_ae8ap8.py                 # read ../shared/data/radiation_space_env/..., write the npz
python scripts/vendor_ae8ap8.py --csv PATH      # another copy of the CSV
python scripts/vendor_ae8ap8.py --check         # exit 1 if the packaged npz differs from the CSV

The CSV holds one row per (alt_km, lat_deg, lon_deg) node, altitude slowest, longitude fastest, and five flux
columns. The npz holds the three axes (float64) and each flux column as a float32 array of shape
``(n_alt, n_lat, n_lon)``, keyed by the CSV column name, plus ``columns`` (the flux column names, in CSV order) and
``source_sha256`` (hash of the CSV it was made from). NaN (model undefined) is kept as NaN; the loader decides what
it means. The CSV prints 5 significant digits, so float32 (24-bit mantissa, ~7 digits) stores every value exactly as
far as the source resolves it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "radiation_space_env" / "ae8ap8_integral_flux_grid_2deg_400-800km.csv"
NPZ_PATH = ROOT / "src" / "orbitgrid" / "spacecraft" / "data" / "ae8ap8_grid.npz"
AXES = ("alt_km", "lat_deg", "lon_deg")


def read_csv(csv_path: Path) -> dict[str, np.ndarray]:
    """Parse the CSV into the npz payload (axes, float32 flux cubes, column names, source hash)."""
    raw = csv_path.read_bytes()
    header = raw.split(b"\n", 1)[0].decode().strip().split(",")
    if tuple(header[:3]) != AXES:
        raise ValueError(f"unexpected CSV header {header[:3]}")
    table = np.loadtxt(csv_path, delimiter=",", skiprows=1, dtype=np.float64)
    axes = [np.unique(table[:, k]) for k in range(3)]
    shape = tuple(len(a) for a in axes)
    if table.shape[0] != int(np.prod(shape)):
        raise ValueError(f"{table.shape[0]} rows do not fill a {shape} grid")
    # Check the row order (altitude slowest, longitude fastest) rather than assume it.
    grid = np.meshgrid(*axes, indexing="ij")
    for k in range(3):
        if not np.array_equal(table[:, k], grid[k].ravel()):
            raise ValueError(f"CSV rows are not in (alt, lat, lon) C order (column {AXES[k]})")
    payload: dict[str, np.ndarray] = {name: axis for name, axis in zip(AXES, axes, strict=True)}
    flux_columns = header[3:]
    for k, name in enumerate(flux_columns):
        payload[name] = table[:, 3 + k].astype(np.float32).reshape(shape)
    payload["columns"] = np.array(flux_columns)
    payload["source_sha256"] = np.array(hashlib.sha256(raw).hexdigest())
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--out", type=Path, default=NPZ_PATH)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    payload = read_csv(args.csv)
    if args.check:
        with np.load(args.out, allow_pickle=False) as packaged:
            same = set(packaged.files) == set(payload) and all(
                np.array_equal(packaged[k], payload[k], equal_nan=payload[k].dtype.kind == "f") for k in payload
            )
        sys.stdout.write(f"{args.out}: {'up to date' if same else 'DIFFERS from ' + str(args.csv)}\n")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **payload)
    sys.stdout.write(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
