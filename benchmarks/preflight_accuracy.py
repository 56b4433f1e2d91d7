"""How good is the pre-flight estimate (``orbitgrid.pipeline.preflight``)? Runs of different sizes, each in its own
process, measured for peak resident memory (``ru_maxrss``) and wall time of ``api.simulate`` (report included, as
``orbitgrid simulate`` writes it), against the estimate made before the run.

Prints, per scenario, the sizes that drive the estimate, the measured and estimated memory and time and their
ratios; then the coefficients a non-negative least-squares fit of the measurements gives (what
``preflight.MEMORY_BYTES_PER`` and ``TIME_S_PER`` were set from) and the leave-one-out error of that fit: each
scenario predicted from a fit of the others, the honest error of the method on a scenario it has not seen.

    python benchmarks/preflight_accuracy.py [--only NAME ...] [--save runs.json] [--load runs.json ...]

Needs the Starlink element set of the shared data folder (beside the repository, or ``ORBITGRID_SHARED_DATA``) for
the two SGP4 cases (skipped without it). Run on a quiet machine; numba's cache is warmed first (a compile is not
part of the estimate).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

SHARED = Path(os.environ.get("ORBITGRID_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
TLE = SHARED / "tle_starlink" / "starlink_frozen_20260224_1413Z.tle"
EPOCH = "2026-02-24T12:00:00Z"


def _base(name: str, duration: str, step: str, shells: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": name,
        "epoch": EPOCH,
        "duration": duration,
        "step": step,
        "seed": 1,
        "fleet": {"shells": shells},
    }
    doc.update(extra)
    return doc


def _walker(total: int, planes: int) -> dict[str, Any]:
    # phasing 1: with phasing 0, an even number of planes and of satellites per plane puts satellites of planes 180 deg
    # apart on top of each other at the nodes, which loading refuses (docs/models.md, co-location)
    orbit = {
        "type": "walker_delta",
        "altitude_km": 550,
        "inclination_deg": 53,
        "total": total,
        "planes": planes,
        "phasing": 1,
    }
    return {"name": f"w{total}", "orbit": orbit, "design": "starlink-v2-mini-compute"}


def _sso(planes: int, per_plane: int) -> dict[str, Any]:
    orbit = {
        "type": "sun_synchronous",
        "altitude_km": 650,
        "ltan_hours": 18.0,
        "planes": planes,
        "per_plane": per_plane,
    }
    return {"name": f"s{planes * per_plane}", "orbit": orbit, "design": "compute-sat"}


def _elements(limit: int | None) -> dict[str, Any]:
    path = TLE
    if limit is not None:
        lines = TLE.read_text().splitlines()
        path = Path(tempfile.gettempdir()) / f"preflight-starlink-{limit}.tle"
        path.write_text("\n".join(lines[: 3 * limit]) + "\n")
    return {"name": "starlink", "orbit": {"type": "elements", "file": str(path)}, "design": "compute-sat"}


_GROUND = {"name": "g", "lat_deg": 35.1, "lon_deg": -90.0, "gpus": {"H100": 4096}, "grid_power_mw": 10}
_TENANTS = [{"name": "lab", "contract": "on_demand"}]


def _training(count: int, gpus: int = 16) -> dict[str, Any]:
    return {"type": "training", "tenant": "lab", "count": count, "gpus": gpus, "work_gpu_hours": 64, "spacing": "2min"}


def scenarios() -> dict[str, dict[str, Any]]:
    out = {
        "tiny-jobs": _base("tiny-jobs", "2h", "60s", [_sso(1, 2)], tenants=_TENANTS, workloads=[_training(2)]),
        "walker-50k-1d": _base("walker-50k-1d", "24h", "60s", [_walker(50_000, 100)]),
        "walker-200k-6h": _base("walker-200k-6h", "6h", "60s", [_walker(200_000, 200)]),
        "walker-1m-12h": _base("walker-1m-12h", "12h", "60s", [_walker(1_000_000, 1000)]),
        "sso-20-30d": _base("sso-20-30d", "30d", "60s", [_sso(4, 5)]),
        "sso-2-10d-1s": _base("sso-2-10d-1s", "10d", "1s", [_sso(1, 2)]),
        "sso-4-2d-1s": _base("sso-4-2d-1s", "2d", "1s", [_sso(2, 2)]),
        "sso-2000-jobs": _base(
            "sso-2000-jobs",
            "24h",
            "60s",
            [_sso(20, 100)],
            fleet={"shells": [_sso(20, 100)], "ground_sites": [_GROUND]},
            tenants=_TENANTS,
            workloads=[_training(300)],
        ),
        "walker-1584-network": _base(
            "walker-1584-network",
            "12h",
            "60s",
            [_walker(1584, 72)],
            network={"gateways": {"providers": ["KSAT"]}},
        ),
        "sso-100-inference": _base(
            "sso-100-inference",
            "12h",
            "60s",
            [],
            fleet={"shells": [_sso(4, 25)], "ground_sites": [_GROUND]},
            tenants=_TENANTS,
            workloads=[{"type": "inference", "tenant": "lab", "services": 4, "gpus": 64, "rate_scale": 5}],
        ),
    }
    out["ground-200k-jobs"] = _base(
        "ground-200k-jobs",
        "24h",
        "60s",
        [],
        fleet={"ground_sites": [_GROUND]},
        tenants=_TENANTS,
        workloads=[{"type": "generated", "tenant": "lab", "count": 200_000}],
    )
    from orbitgrid.scenario import builtin_scenario_text

    out["default"] = yaml.safe_load(builtin_scenario_text("default"))  # workloads, network, 4.8 M requests
    if TLE.is_file():
        out["starlink-9594-6h"] = _base("starlink-9594-6h", "6h", "60s", [_elements(None)])
        out["starlink-500-1d-10s"] = _base("starlink-500-1d-10s", "24h", "10s", [_elements(500)])
    return out


def child(path: str) -> None:
    """Estimate, then run one scenario; print one JSON line."""
    import resource

    from orbitgrid import api
    from orbitgrid.pipeline import preflight
    from orbitgrid.scenario import load_scenario

    sc = load_scenario(path)
    est = preflight.estimate(sc, "simulate")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        api.simulate(sc, Path(tmp) / "run")
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"sizes": est.sizes, "est_bytes": est.peak_bytes, "est_s": est.seconds, "bytes": peak, "s": wall}))


def measure(names: list[str] | None) -> dict[str, dict[str, Any]]:
    docs = scenarios()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, doc in docs.items():
            if names and name not in names:
                continue
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump(doc))
            res = subprocess.run(
                [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=False
            )
            if res.returncode:
                print(f"{name}: failed\n{res.stderr[-2000:]}", file=sys.stderr)
                continue
            out[name] = json.loads(res.stdout.strip().splitlines()[-1])
            r = out[name]
            print(f"measured {name}: {r['bytes'] / 1e6:,.0f} MB, {r['s']:,.1f} s", flush=True)
    return out


def _fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.optimize import nnls

    scale = np.where(x.max(axis=0) > 0, x.max(axis=0), 1.0)
    coef, _ = nnls(x / scale, y)
    return coef / scale


def report(runs: dict[str, dict[str, Any]]) -> None:
    from orbitgrid.pipeline import preflight

    mem_keys = list(preflight.MEMORY_BYTES_PER)
    time_keys = list(preflight.TIME_S_PER)
    names = list(runs)
    for r in runs.values():  # the shipped coefficients on the measured sizes (a --load may predate a change)
        r["est_bytes"] = preflight.MEMORY_BASE_BYTES + sum(
            c * r["sizes"].get(k, 0.0) for k, c in preflight.MEMORY_BYTES_PER.items()
        )
        r["est_s"] = preflight.TIME_BASE_S + sum(c * r["sizes"].get(k, 0.0) for k, c in preflight.TIME_S_PER.items())
    print(f"\n{'scenario':<22}{'MB':>9}{'est MB':>9}{'ratio':>7}{'s':>9}{'est s':>9}{'ratio':>7}")
    for n in names:
        r = runs[n]
        print(
            f"{n:<22}{r['bytes'] / 1e6:>9,.0f}{r['est_bytes'] / 1e6:>9,.0f}{r['est_bytes'] / r['bytes']:>7.2f}"
            f"{r['s']:>9,.1f}{r['est_s']:>9,.1f}{r['est_s'] / r['s']:>7.2f}"
        )
    for label, keys, base_key, target in (
        ("memory", mem_keys, "bytes", "MEMORY_BYTES_PER"),
        ("time", time_keys, "s", "TIME_S_PER"),
    ):
        x = np.array([[1.0] + [runs[n]["sizes"].get(k, 0.0) for k in keys] for n in names])
        y = np.array([runs[n][base_key] for n in names])
        coef = _fit(x, y)
        print(
            f"\n{label}: NNLS fit on all {len(names)} runs: base {coef[0]:.4g}; {target} = "
            + json.dumps({k: float(f"{c:.3g}") for k, c in zip(keys, coef[1:], strict=True)})
        )
        errs = []
        for i, n in enumerate(names):
            keep = np.arange(len(names)) != i
            c = _fit(x[keep], y[keep])
            pred = float(x[i] @ c)
            errs.append(pred / y[i])
            print(f"  leave-one-out {n:<22} predicted / measured {pred / y[i]:.2f}")
        e = np.abs(np.log(errs))
        print(f"  leave-one-out: median factor {np.exp(np.median(e)):.2f}, worst {np.exp(e.max()):.2f}")
        shipped = np.array([runs[n][f"est_{base_key}"] / runs[n][base_key] for n in names])
        print(f"  shipped coefficients: estimate / measured from {shipped.min():.2f} to {shipped.max():.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--save")
    ap.add_argument("--load", nargs="*", help="measurements saved by --save (several files are merged)")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    print(
        f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.2f}, python {platform.python_version()}"
    )
    if args.load:
        runs = {}
        for path in args.load:
            runs.update(json.loads(Path(path).read_text()))
    else:
        measure(["tiny-jobs"])  # warm numba's cache
        runs = measure(args.only)
        if args.save:
            Path(args.save).write_text(json.dumps(runs, indent=1))
    report(runs)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
