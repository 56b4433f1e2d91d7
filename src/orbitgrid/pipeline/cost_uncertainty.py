"""Orbit vs ground with uncertainty: Monte Carlo, tornado and break-even over a scenario's cost-model parameters.

The scenario's ``economics.uncertainty`` block (:class:`orbitgrid.scenario.models.CostUncertainty`) names
distributions and break-even brackets by **cost-model parameter path**, applied to the priced case
(:class:`~orbitgrid.pipeline.economics.ScenarioCost`: one orbital fleet per shell and the terrestrial baseline):

- ``orbit.<field>``: a field of :class:`~orbitgrid.economics.tco.OrbitInputs`, dotted into its parts
  (``orbit.launch.price_usd_per_kg``, ``orbit.hardware.satellite_usd_per_w``, ``orbit.design_life_years``,
  ``orbit.reliability.gpu_failure_rate_per_year``), set on every shell's fleet. Two are special: a launch price
  turns a learning curve off (the price is then fixed), and ``orbit.nre_usd`` is the programme's NRE, carried by the
  first shell as the scenario does;
- ``ground.<field>``: a field of :class:`~orbitgrid.economics.terrestrial.GroundInputs` (``ground.pue``,
  ``ground.gas_usd_per_mmbtu``, ``ground.capex.electrical_usd_per_w``);
- ``shared.gpu_usd``, ``shared.life_years``, ``shared.discount_rate``, ``shared.gpu_failure_rate_per_year``: one
  value for both sides (the same GPUs, the same service life, the same investor and failure statistics), so a draw
  moves both together;
- ``satellite.kg_per_kw``: the fleet's launched mass per kW of compute (IT load), ``sum(N_s m_s) / sum(N_s P_s)``;
  a value ``x`` scales every satellite's mass, its deorbit propellant and its mass items by ``x / x_scenario``
  (the mix between shells kept). Mass drives launch (and its insurance), not the ``per_w`` hardware price.

**Base values** are the scenario's (the first shell's where shells differ; orbit's for ``shared.*``). A launch
price under a learning curve has none: its base is the mean price the curve gives the fleet
(``facts.launch_usd_per_kg_mean``).

**Monte Carlo** (:func:`orbitgrid.economics.uncertainty.monte_carlo`): ``n`` joint draws, each parameter's stream
seeded by (seed, parameter path), so the same scenario and seed give byte-identical ``cost.json``. The draws are
evaluated all at once (a chunk of draws as arrays through the same cost equations, ``economics.tco`` "Batches");
only a path the batch cannot carry (a count such as ``orbit.satellites``, a ground series field such as
``ground.utilization``, a switch) is evaluated one draw at a time (:meth:`ScenarioCostModel.batchable`); statistics of
orbit and ground $ per delivered GPU-hour and their ratio over the finite draws: mean, standard error
``s / sqrt(n)``, 5th/50th/95th percentiles; ``P(orbit cheaper)`` = share of draws with ratio < 1.
**Tornado**: each parameter at its distribution's 10th and 90th percentiles, the others at base, the ratio's swing,
largest first. **Break-even**: Brent's method on ``orbit $/GPU-h - ground $/GPU-h`` over the bracket, the others at
base; without a sign change the row has ``value: null`` and the gap at both ends (orbit dearer or cheaper
throughout).

cost.json's ``uncertainty`` block (stable keys): ``seed``; ``parameters.{path}.{distribution, base, p10, p90,
mean}``; ``monte_carlo.{n, seed, p_orbit_cheaper, orbit_usd_per_gpu_hour, ground_usd_per_gpu_hour,
ratio_orbit_to_ground, draws}`` with ``{mean, std_error, p5, p50, p95}`` per output and ``draws`` the ``n`` values
of each; ``tornado.{output, base, rows}`` with rows ``{parameter, low, high, output_at_low, output_at_high,
swing}``; ``break_even`` rows ``{parameter, base, bracket, value, status, gap_usd_per_gpu_hour_at_ends}`` in the
order of their paths.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from orbitgrid.economics import uncertainty as u
from orbitgrid.economics.report import CaseResult, flat_metrics, jsonable
from orbitgrid.economics.tco import OrbitInputs, combine_results, evaluate_orbit, replace_path
from orbitgrid.economics.terrestrial import SERIES_FIELDS, evaluate_ground
from orbitgrid.pipeline.economics import CostInputError, ScenarioCost
from orbitgrid.scenario.models import CostUncertainty, DistributionSpec

__all__ = [
    "OUTPUTS",
    "ScenarioCostModel",
    "base_values",
    "check_paths",
    "to_distribution",
    "uncertainty_block",
]

#: cost.json name -> the cost model's flat metric.
OUTPUTS = {
    "orbit_usd_per_gpu_hour": "orbit.usd_per_gpu_hour",
    "ground_usd_per_gpu_hour": "ground.usd_per_gpu_hour",
    "ratio_orbit_to_ground": "ratio_orbit_to_ground",
}
_SHARED = {
    "gpu_usd": ("hardware.gpu_usd", "gpu_usd"),
    "life_years": ("design_life_years", "life_years"),
    "discount_rate": ("discount_rate", "discount_rate"),
    "gpu_failure_rate_per_year": ("reliability.gpu_failure_rate_per_year", "gpu_failure_rate_per_year"),
}
_LAUNCH_PRICE = "launch.price_usd_per_kg"
#: Tornado bars at these quantiles of each distribution.
TORNADO_QUANTILES = (0.1, 0.9)


def to_distribution(spec: DistributionSpec) -> u.Distribution:
    """The sampling distribution of a scenario's distribution spec."""
    return u.from_fields(spec.type, spec.model_dump(exclude={"type"}))


def _get(obj: Any, path: str) -> Any:
    """The value at dotted ``path`` in a tree of dataclasses (``KeyError`` naming the fields when unknown)."""
    for part in path.split("."):
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
            raise KeyError(f"{part!r}: {type(obj).__name__} has no fields")
        names = [f.name for f in dataclasses.fields(obj)]
        if part not in names:
            raise KeyError(f"{part!r} is not a field of {type(obj).__name__}; fields: {', '.join(names)}")
        obj = getattr(obj, part)
    return obj


def _kg_per_kw(sc: ScenarioCost) -> float:
    mass = sum(o.satellites * o.satellite.mass_kg for o in sc.orbit)
    kw = sum(o.satellites * o.satellite.compute_w for o in sc.orbit) / 1e3
    return mass / kw


def _scaled_mass(o: OrbitInputs, k: float) -> OrbitInputs:
    s = o.satellite
    sat = dataclasses.replace(
        s,
        mass_kg=s.mass_kg * k,
        deorbit_propellant_kg=s.deorbit_propellant_kg * k,
        mass_items_kg={name: kg * k for name, kg in s.mass_items_kg.items()},
    )
    return dataclasses.replace(o, satellite=sat)


def _set(sc: ScenarioCost, path: str, value: Any) -> ScenarioCost:
    """``sc`` with the cost-model parameter ``path`` set to ``value`` (module docstring): a float, or an array of
    one value per draw (a batch)."""
    root, _, rest = path.partition(".")
    orbit, ground = sc.orbit, sc.ground
    if root == "orbit":
        if rest == "nre_usd":  # the programme's NRE, carried by the first shell
            orbit = tuple(dataclasses.replace(o, nre_usd=value if i == 0 else 0.0) for i, o in enumerate(orbit))
        elif rest == _LAUNCH_PRICE:
            orbit = tuple(
                dataclasses.replace(o, launch=dataclasses.replace(o.launch, price_usd_per_kg=value, learning=None))
                for o in orbit
            )
        else:
            orbit = tuple(replace_path(o, rest, value) for o in orbit)
    elif root == "ground":
        ground = replace_path(ground, rest, value)
    elif root == "shared" and rest in _SHARED:
        orbit_path, ground_path = _SHARED[rest]
        orbit = tuple(replace_path(o, orbit_path, value) for o in orbit)
        ground = replace_path(ground, ground_path, value)
    elif root == "satellite" and rest == "kg_per_kw":
        k = value / _kg_per_kw(sc)
        orbit = tuple(_scaled_mass(o, k) for o in orbit)
    else:
        raise KeyError(f"unknown cost-model parameter path {path!r}")
    return dataclasses.replace(sc, orbit=orbit, ground=ground)


def _batchable(sc: ScenarioCost, path: str) -> bool:
    """Whether ``path`` can take an array of draws (``economics.tco`` "Batches"): a float (or unset optional float)
    parameter, not a count, a switch, a name or a ground series field."""
    root, _, rest = path.partition(".")
    if root in ("shared", "satellite") or (root == "orbit" and rest in ("nre_usd", _LAUNCH_PRICE)):
        return True
    if root == "ground" and rest.partition(".")[0] in SERIES_FIELDS:
        return False
    try:
        value = _get(sc.orbit[0] if root == "orbit" else sc.ground, rest)
    except KeyError:
        return False
    return value is None or isinstance(value, float)  # an optional float (None: not set) takes a float per draw


def _base(sc: ScenarioCost, path: str) -> float | None:
    root, _, rest = path.partition(".")
    if root == "orbit":
        if rest == "nre_usd":
            return float(sum(o.nre_usd for o in sc.orbit))
        value = _get(sc.orbit[0], rest)
    elif root == "ground":
        value = _get(sc.ground, rest)
    elif root == "shared" and rest in _SHARED:
        value = _get(sc.orbit[0], _SHARED[rest][0])
    elif root == "satellite" and rest == "kg_per_kw":
        value = _kg_per_kw(sc)
    else:
        raise KeyError(f"unknown cost-model parameter path {path!r}")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KeyError(f"{path!r} is not a number (it is {type(value).__name__})")
    return float(value)


def check_paths(sc: ScenarioCost, spec: CostUncertainty) -> None:
    """Every path of ``spec`` names a numeric parameter of the cost model; else ``CostInputError`` naming the
    scenario field (``economics.uncertainty.parameters.<path>``)."""
    for where, paths in (("parameters", spec.parameters), ("break_even", spec.break_even)):
        for path in paths:
            try:
                _base(sc, path)
            except (KeyError, TypeError) as why:
                msg = why.args[0] if why.args else str(why)
                raise CostInputError(f"economics.uncertainty.{where}.{path}: {msg}") from None


@dataclass(frozen=True)
class ScenarioCostModel:
    """``f(params) -> flat metrics`` of a scenario's priced case with cost-model parameter paths set (picklable)."""

    base: ScenarioCost

    def __call__(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The metrics with ``params`` set: floats for single values; for arrays of draws (all of one length, paths
        :meth:`batchable`), arrays of the metrics per draw from one evaluation through the same equations."""
        sc = self.base
        for path, value in params.items():
            v = np.asarray(value, dtype=np.float64)
            sc = _set(sc, path, float(v) if v.ndim == 0 else v)
        orbit = combine_results([evaluate_orbit(o) for o in sc.orbit])
        return flat_metrics(CaseResult(orbit, evaluate_ground(sc.ground)))

    def batchable(self, paths: Iterable[str]) -> bool:
        """Whether every path can take an array of draws at once (else evaluate one draw at a time)."""
        return all(_batchable(self.base, p) for p in paths)


def base_values(sc: ScenarioCost, paths: list[str], dists: Mapping[str, u.Distribution]) -> dict[str, float]:
    """The scenario's value of each path (module docstring: a launch price under a learning curve takes the mean
    price the curve gives the fleet)."""
    out: dict[str, float] = {}
    mean_price: float | None = None
    for path in paths:
        v = _base(sc, path)
        if v is None and path == f"orbit.{_LAUNCH_PRICE}":
            if mean_price is None:
                mean_price = float(
                    combine_results([evaluate_orbit(o) for o in sc.orbit]).facts["launch_usd_per_kg_mean"]
                )
            v = mean_price
        if v is None:
            v = float(dists[path].ppf(0.5)) if path in dists else math.nan
        out[path] = v
    return out


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def uncertainty_block(
    sc: ScenarioCost,
    spec: CostUncertainty,
    *,
    n: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """cost.json's ``uncertainty`` block for the priced case ``sc``: ``n`` Monte Carlo draws seeded by ``seed``,
    the tornado when ``spec.tornado``, and the break-even rows (module docstring). ``progress(draws_done, n)``
    follows the Monte Carlo draws (in chunks of 100; the draws are the same whatever the chunks)."""
    check_paths(sc, spec)
    f = ScenarioCostModel(sc)
    dists = {path: to_distribution(d) for path, d in spec.parameters.items()}
    paths = list(dict.fromkeys([*spec.parameters, *spec.break_even]))
    base = base_values(sc, paths, dists)
    out: dict[str, Any] = {"seed": seed, "parameters": {}}
    for path, d in dists.items():
        lo, hi = (float(x) for x in d.ppf(np.asarray(TORNADO_QUANTILES)))
        out["parameters"][path] = {
            "distribution": spec.parameters[path].model_dump(exclude_none=True),
            "base": base[path],
            "p10": lo,
            "p90": hi,
            "mean": float(d.expected_value()),
        }
    if n > 0 and dists:
        mc = u.monte_carlo(
            f,
            dists,
            n,
            seed=seed,
            progress=progress,
            chunk_size=100 if progress else 1024,
            vectorized=f.batchable(dists),
        )
        block: dict[str, Any] = {"n": n, "seed": seed}
        for key, metric in OUTPUTS.items():
            pct = mc.percentiles(metric, (5.0, 50.0, 95.0))
            block[key] = {  # null where no draw is finite (an orbital fleet that delivered no GPU-hours)
                "n_finite": int(np.isfinite(mc.outputs[metric]).sum()),
                "mean": _finite(mc.mean(metric)),
                "std_error": _finite(mc.std_error(metric)),
                "p5": _finite(pct[5.0]),
                "p50": _finite(pct[50.0]),
                "p95": _finite(pct[95.0]),
            }
        block["p_orbit_cheaper"] = float(np.mean(mc.outputs["ratio_orbit_to_ground"] < 1.0))
        block["draws"] = {key: [_finite(x) for x in mc.outputs[metric]] for key, metric in OUTPUTS.items()}
        out["monte_carlo"] = block
    if spec.tornado and dists:
        tor = u.tornado(f, {p: base[p] for p in dists}, dists, "ratio_orbit_to_ground", quantiles=TORNADO_QUANTILES)
        out["tornado"] = {"output": "ratio_orbit_to_ground", "base": tor.base_output, "rows": tor.rows()}
    rows: list[dict[str, Any]] = []
    for path, (lo, hi) in sorted(spec.break_even.items()):  # by path: a run's manifest stores the block sorted
        row: dict[str, Any] = {"parameter": path, "base": base[path], "bracket": [float(lo), float(hi)]}
        try:
            be = u.break_even(f, base, path, (lo, hi), "orbit.usd_per_gpu_hour", "ground.usd_per_gpu_hour")
        except u.NoSignChangeError as e:
            g_lo, g_hi = e.g_ends
            status = "orbit dearer throughout" if g_lo > 0.0 else "orbit cheaper throughout"
            row.update(value=None, status=status, gap_usd_per_gpu_hour_at_ends=[g_lo, g_hi])
        except ValueError as e:  # not finite at an end of the bracket
            row.update(value=None, status=f"not solved: {e}", gap_usd_per_gpu_hour_at_ends=None)
        else:
            row.update(value=be.value, status="solved", gap_usd_per_gpu_hour_at_ends=list(be.g_at_ends))
        rows.append(row)
    out["break_even"] = rows
    return dict(jsonable(out))  # non-finite numbers -> null
