"""Orbit vs ground: one cost case, its evaluation, and ``cost.json`` as a plain dict with stable keys.

``CostCase`` pairs the orbital and the terrestrial inputs. ``evaluate_case`` prices both; ``cost_dict`` turns the
two results into the ``cost.json`` document (writing files and the HTML report section are done elsewhere).
``CostModel`` is the same evaluation as a picklable ``f(params) -> metrics`` over dotted parameter paths, which is
the model signature of ``economics.uncertainty`` and the sweeps.

``cost.json`` keys (stable; values in USD, hours, kWh, W unless the key says otherwise):

- ``schema``: ``"orbitgrid.cost/1"``;
- ``orbit`` and ``ground``: ``usd_per_gpu_hour``, ``usd_per_kwh``, ``usd_per_w``, ``usd_per_pflop_day``, ``pv_usd``,
  ``pv_usd_by_line``, ``capex_usd.{line}``, ``opex_usd.{line}``, ``total_usd``, ``gpu_hours_delivered``,
  ``gpu_hours_installed``, ``gpu_hours_lost_failures``, ``gpu_hours_source`` (``"simulated"`` or ``"nominal"``),
  ``compute_energy_kwh``, ``installed_compute_w``, ``discount_rate``, ``years``, ``cash_usd_by_year.{line}``,
  ``facts.{name}``, ``notes``; orbit capex lines ``hardware, launch, deorbit, insurance, nre,
  ground_segment_capex``, opex ``ground_segment_opex, operations, insurance_in_orbit, replacements``; ground capex
  ``power_generation, electrical, mechanical, civil, fit_out, backup_power, it_hardware``, opex ``energy_it,
  energy_overhead, water, carbon, replacements``;
- ``lease``: ``usd_per_gpu_hour``, ``usd_per_kw_year``, ``source`` (the Colossus-class lease view);
- ``ratio_orbit_to_ground``: orbit / ground cost per delivered GPU-hour; ``ratios.{metric}`` for the four metrics;
- ``assumptions``: ``orbit`` and ``ground`` inputs as nested dicts (series summarised by length, mean, min, max).

Non-finite numbers become ``null``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from orbitgrid.economics import terrestrial
from orbitgrid.economics.tco import CostResult, OrbitInputs, as_number, evaluate_orbit, replace_path
from orbitgrid.economics.terrestrial import GroundInputs, evaluate_ground

SCHEMA = "orbitgrid.cost/1"
METRICS = ("usd_per_gpu_hour", "usd_per_kwh", "usd_per_w", "usd_per_pflop_day")


@dataclass(frozen=True)
class CostCase:
    """An orbital fleet and its terrestrial baseline."""

    orbit: OrbitInputs
    ground: GroundInputs
    label: str = ""


@dataclass(frozen=True)
class CaseResult:
    orbit: CostResult
    ground: CostResult

    @property
    def ratio_orbit_to_ground(self) -> Any:
        return as_number(np.asarray(self.orbit.usd_per_gpu_hour) / self.ground.usd_per_gpu_hour)


def evaluate_case(case: CostCase) -> CaseResult:
    """Price both sides of ``case``."""
    return CaseResult(evaluate_orbit(case.orbit), evaluate_ground(case.ground))


def with_overrides(case: CostCase, overrides: Mapping[str, Any]) -> CostCase:
    """``case`` with dotted paths set, e.g. ``{"orbit.launch.price_usd_per_kg": 500, "ground.pue": 1.4}``."""
    for path, value in overrides.items():
        case = replace_path(case, path, value)
    return case


def jsonable(x: Any) -> Any:
    """``x`` as JSON-ready plain data: dataclasses and mappings as dicts, arrays summarised, non-finite -> None."""
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return jsonable(float(x))
        return {
            "series_length": int(x.size),
            "mean": jsonable(float(np.mean(x))),
            "min": jsonable(float(np.min(x))),
            "max": jsonable(float(np.max(x))),
        }
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, bool | str) or x is None:
        return x
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    return str(x)


def cost_dict(
    result: CaseResult,
    case: CostCase | None = None,
    lease_usd_per_gpu_hour: float | None = None,
) -> dict[str, Any]:
    """The ``cost.json`` document (module docstring)."""
    o, g = result.orbit, result.ground
    lease = terrestrial.lease_usd_per_gpu_hour() if lease_usd_per_gpu_hour is None else lease_usd_per_gpu_hour
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "label": case.label if case is not None else "",
        "orbit": o.to_dict(),
        "ground": g.to_dict(),
        "lease": {
            "usd_per_gpu_hour": lease,
            "usd_per_kw_year": terrestrial.lease_usd_per_kw_year(),
            "source": "Anthropic lease of xAI Colossus 1: ~$1.25B/month, ~300 MW, >220,000 GPUs (docs/sources.md §4)",
        },
        "ratio_orbit_to_ground": result.ratio_orbit_to_ground,
        "ratios": {m: getattr(o, m) / getattr(g, m) for m in METRICS},
        "assumptions": {"orbit": case.orbit, "ground": case.ground} if case is not None else {},
    }
    return dict(jsonable(doc))


def flat_metrics(result: CaseResult) -> dict[str, Any]:
    """Headline numbers as one flat ``{"orbit.usd_per_gpu_hour": ..., ...}`` dict of floats (of arrays, one value
    per draw, for a batch: ``tco`` "Batches")."""
    out: dict[str, Any] = {}
    for side, r in (("orbit", result.orbit), ("ground", result.ground)):
        for m in METRICS:
            out[f"{side}.{m}"] = as_number(getattr(r, m))
        out[f"{side}.pv_usd"] = r.pv_total_usd
        out[f"{side}.gpu_hours_delivered"] = as_number(np.sum(r.gpu_hours, axis=-1))
    for k in ("fleet_mass_kg", "launches", "deployment_years", "launch_usd_per_kg_mean", "satellites"):
        out[f"orbit.{k}"] = as_number(result.orbit.facts[k])
    out["ratio_orbit_to_ground"] = as_number(result.ratio_orbit_to_ground)
    return out


@dataclass(frozen=True)
class CostModel:
    """``f(params) -> metrics``: evaluate ``base`` with the dotted-path overrides in ``params`` (picklable, so it
    runs on a process pool or a dask cluster)."""

    base: CostCase

    def __call__(self, params: Mapping[str, Any]) -> dict[str, float]:
        return flat_metrics(evaluate_case(with_overrides(self.base, params)))
