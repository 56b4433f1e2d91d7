"""Orbit vs ground with uncertainty: Monte Carlo, tornado and break-even on a scenario's cost inputs.

The parameters whose published values disagree most (FIGURES.md, open disputes 2, 4 and 5), with the ranges the
docs and the example sweep use:

- ``launch_usd_per_kg`` (every shell's launch price): lognormal, median $500/kg, 90th percentile $1,500/kg —
  Nanjangud's re-pricing points ($500 and $1,000/kg) around the median, Falcon 9's $3,600/kg in the upper tail,
  Suncatcher's ~$200/kg (2035 projection) near the 10th percentile;
- ``satellite_usd_per_w`` (satellite without GPUs, per W of array): triangular $11-22-44/W around McCalip's
  $22/W Starlink V2 Mini bill of materials (half to double, an orbitgrid range);
- ``gpu_usd`` (GPU with its server share, both sides): PERT $25k-33.75k-45k around SemiAnalysis' DGX H100 ~$270k/8;
- ``discount_rate`` (both sides): uniform 4-10 % around OMB Circular A-94's 7 % base case;
- ``nre_usd`` (orbit): uniform $0-2 B around McCalip's $0.5 B.

Every draw prices the case the scenario defines (:class:`~orbitgrid.pipeline.economics.ScenarioCost`, one orbital
fleet per shell plus the terrestrial baseline) with these values set; the draws come from
:func:`orbitgrid.economics.uncertainty.monte_carlo` with the scenario's seed, so the same scenario gives the same
numbers. Break-even solves each parameter for orbit $/GPU-h = ground $/GPU-h by Brent's method on a wide bracket and
reports the bracket ends when there is no sign change (no value in the bracket makes orbit as cheap).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from orbitgrid.economics import uncertainty as u
from orbitgrid.economics.report import CaseResult, flat_metrics
from orbitgrid.economics.tco import OrbitInputs, combine_results, evaluate_orbit
from orbitgrid.economics.terrestrial import evaluate_ground
from orbitgrid.pipeline.economics import ScenarioCost

#: name -> (distribution, break-even bracket, what it sets)
PARAMETERS: dict[str, tuple[u.Distribution, tuple[float, float], str]] = {
    "launch_usd_per_kg": (u.LogNormal.from_median_p90(500.0, 1500.0), (1.0, 100_000.0), "every shell's launch price"),
    "satellite_usd_per_w": (u.Triangular(11.0, 22.0, 44.0), (0.01, 1_000.0), "satellite bus and array, $/W"),
    "gpu_usd": (u.Pert(25_000.0, 33_750.0, 45_000.0), (100.0, 1_000_000.0), "GPU with its server share (both sides)"),
    "discount_rate": (u.Uniform(0.04, 0.10), (0.0, 0.5), "real discount rate (both sides)"),
    "nre_usd": (u.Uniform(0.0, 2e9), (0.0, 1e12), "non-recurring engineering (orbit)"),
}
OUTPUTS = ("orbit.usd_per_gpu_hour", "ground.usd_per_gpu_hour", "ratio_orbit_to_ground")


def _apply(sc: ScenarioCost, params: Mapping[str, float]) -> ScenarioCost:
    orbit: list[OrbitInputs] = []
    for o in sc.orbit:
        hw, launch = o.hardware, o.launch
        if "satellite_usd_per_w" in params:
            hw = dataclasses.replace(hw, satellite_usd_per_w=float(params["satellite_usd_per_w"]))
        if "gpu_usd" in params:
            hw = dataclasses.replace(hw, gpu_usd=float(params["gpu_usd"]))
        if "launch_usd_per_kg" in params:
            launch = dataclasses.replace(launch, price_usd_per_kg=float(params["launch_usd_per_kg"]), learning=None)
        changes: dict[str, Any] = {"hardware": hw, "launch": launch}
        if "discount_rate" in params:
            changes["discount_rate"] = float(params["discount_rate"])
        if "nre_usd" in params:  # the programme's NRE, carried by the first shell
            changes["nre_usd"] = float(params["nre_usd"]) if not orbit else 0.0
        orbit.append(dataclasses.replace(o, **changes))
    ground = sc.ground
    if "gpu_usd" in params:
        ground = dataclasses.replace(ground, gpu_usd=float(params["gpu_usd"]))
    if "discount_rate" in params:
        ground = dataclasses.replace(ground, discount_rate=float(params["discount_rate"]))
    return dataclasses.replace(sc, orbit=tuple(orbit), ground=ground)


@dataclasses.dataclass(frozen=True)
class ScenarioCostModel:
    """``f(params) -> flat metrics`` of a scenario's cost case with the :data:`PARAMETERS` in ``params`` set."""

    base: ScenarioCost

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        sc = _apply(self.base, params)
        orbit = combine_results([evaluate_orbit(o) for o in sc.orbit])
        return flat_metrics(CaseResult(orbit, evaluate_ground(sc.ground)))


def base_values(sc: ScenarioCost) -> dict[str, float]:
    """The scenario's own values of the :data:`PARAMETERS` (the first shell's where shells differ)."""
    o = sc.orbit[0]
    launch = o.launch.price_usd_per_kg
    return {
        "launch_usd_per_kg": float(launch) if launch is not None else float("nan"),
        "satellite_usd_per_w": float(o.hardware.satellite_usd_per_w),
        "gpu_usd": float(o.hardware.gpu_usd),
        "discount_rate": float(o.discount_rate),
        "nre_usd": float(sum(x.nre_usd for x in sc.orbit)),
    }


def uncertainty_block(sc: ScenarioCost, n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """cost.json's ``uncertainty`` block: Monte Carlo (``n`` draws), tornado and break-even (module docstring)."""
    f = ScenarioCostModel(sc)
    dists = {k: v[0] for k, v in PARAMETERS.items()}
    base = base_values(sc)
    base = {k: (v if np.isfinite(v) else float(dists[k].ppf(0.5))) for k, v in base.items()}
    out: dict[str, Any] = {
        "parameters": {
            k: {"distribution": type(d).__name__, **_params(d), "sets": what, "base": base[k]}
            for k, (d, _, what) in PARAMETERS.items()
        }
    }
    if n > 0:
        mc = u.monte_carlo(f, dists, n, seed=seed)
        block: dict[str, Any] = {"n": n, "seed": seed}
        for name in OUTPUTS:
            pct = mc.percentiles(name, (5.0, 50.0, 95.0))
            block[name] = {
                "mean": mc.mean(name),
                "std_error": mc.std_error(name),
                "p5": pct[5.0],
                "p50": pct[50.0],
                "p95": pct[95.0],
            }
        ratio = mc.outputs["ratio_orbit_to_ground"]
        block["p_orbit_cheaper"] = float(np.mean(ratio < 1.0))
        block["draws"] = {name: [float(x) for x in mc.outputs[name]] for name in OUTPUTS}
        out["monte_carlo"] = block
    tor = u.tornado(f, base, dists, "ratio_orbit_to_ground")
    out["tornado"] = {"output": tor.output, "base": tor.base_output, "rows": tor.rows()}
    rows: list[dict[str, Any]] = []
    for k, (_, bracket, _) in PARAMETERS.items():
        try:
            be = u.break_even(f, base, k, bracket, "orbit.usd_per_gpu_hour", "ground.usd_per_gpu_hour")
        except u.NoSignChangeError as e:
            rows.append({"parameter": k, "value": None, "bracket": list(bracket), "gap_at_ends": list(e.g_ends)})
        else:
            rows.append(
                {"parameter": k, "value": be.value, "bracket": list(bracket), "gap_at_ends": list(be.g_at_ends)}
            )
    out["break_even"] = rows
    return out


def _params(d: u.Distribution) -> dict[str, float]:
    if dataclasses.is_dataclass(d):
        return {
            f.name: float(getattr(d, f.name))
            for f in dataclasses.fields(d)
            if isinstance(getattr(d, f.name), float | int)
        }
    return {}
