"""The cost model on a batch of draws (``economics.tco`` "Batches") gives, draw for draw, what it gives one draw at a
time: the Monte Carlo of cost.json evaluates its draws as arrays through the same equations, so every metric must
equal the per-draw evaluation to 1e-9 relative, on the catalog scenarios and on cost cases that switch on the
learning curve, a launch cadence, cold spares, replacements, array degradation, a ground segment, ground repairs
and bottom-up hardware pricing, with chunk sizes that put the batch length beside the number of years."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from orbitgrid.api import load_scenario
from orbitgrid.economics import uncertainty as u
from orbitgrid.economics.launch import WrightsLaw
from orbitgrid.economics.tco import GroundSegment
from orbitgrid.pipeline.cost_uncertainty import ScenarioCostModel, to_distribution, uncertainty_block
from orbitgrid.pipeline.economics import ScenarioCost, scenario_cost
from orbitgrid.scenario.models import CostUncertainty

#: The default uncertain parameters plus float fields of every part of the model the defaults leave fixed.
EXTRA = {
    "orbit.launch.max_launches_per_year": {"type": "uniform", "low": 0.7, "high": 40.0},
    "orbit.launch.vehicle.payload_kg": {"type": "uniform", "low": 30_000.0, "high": 150_000.0},
    "shared.gpu_failure_rate_per_year": {"type": "triangular", "low": 0.0, "mode": 0.09, "high": 0.3},
    "orbit.reliability.array_degradation_per_year": {"type": "uniform", "low": 0.0, "high": 0.05},
    "orbit.ground_segment.downlink_bits_per_satellite_day": {"type": "uniform", "low": 0.0, "high": 4e13},
    "orbit.in_orbit_insurance_fraction_per_year": {"type": "uniform", "low": 0.0, "high": 0.02},
    "orbit.simulated_delivered_fraction": {"type": "uniform", "low": 0.05, "high": 0.9},
    "ground.gas_usd_per_mmbtu": {"type": "lognormal", "median": 4.3, "p90": 9.0},
    "ground.capex.electrical_usd_per_w": {"type": "uniform", "low": 3.0, "high": 8.0},
    "ground.repair_s": {"type": "uniform", "low": 3_600.0, "high": 7 * 86_400.0},
}


def _with(sc: ScenarioCost, **orbit_changes: object) -> ScenarioCost:
    return dataclasses.replace(sc, orbit=tuple(dataclasses.replace(o, **orbit_changes) for o in sc.orbit))


def _variants() -> dict[str, ScenarioCost]:
    default = scenario_cost(load_scenario("default"), None)
    o = default.orbit[0]
    learning = dataclasses.replace(o.launch, price_usd_per_kg=None, learning=WrightsLaw(), max_launches_per_year=12.0)
    rel_spares = dataclasses.replace(o.reliability, spares_per_satellite=2, replace_failed=True, array_bol_margin=1.1)
    spares_sat = dataclasses.replace(o.satellite, spare_gpus=2)
    gs = GroundSegment(
        downlink_bits_per_satellite_day=1e13,
        station_capacity_bits_per_day=2e14,
        station_capex_usd=5e6,
        station_opex_usd_per_year=4e5,
        min_stations=2,
        ops_usd_per_satellite_year=1e4,
    )
    hw = dataclasses.replace(o.hardware, method="bottom_up", array_usd_per_w=3.0, usd_per_compute_w={"radiators": 2.0})
    return {
        "default": default,
        "suncatcher": scenario_cost(load_scenario("suncatcher"), None),
        "starlink-gen1": scenario_cost(load_scenario("starlink-gen1"), None),
        "learning-cadence-groundsegment": _with(default, launch=learning, ground_segment=gs),
        "spares-replaced-bottom-up": _with(default, reliability=rel_spares, satellite=spares_sat, hardware=hw),
        "ground-repairs": dataclasses.replace(
            default, ground=dataclasses.replace(default.ground, repair_s=86_400.0, technicians=3)
        ),
    }


VARIANTS = _variants()


def _assert_same(a: u.MonteCarloResult, b: u.MonteCarloResult) -> None:
    assert set(a.outputs) == set(b.outputs)
    for key, x in a.outputs.items():
        y = b.outputs[key]
        assert np.array_equal(np.isfinite(x), np.isfinite(y)), key
        ok = np.isfinite(x)
        np.testing.assert_allclose(y[ok], x[ok], rtol=1e-9, atol=0.0, err_msg=key)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_batch_equals_per_draw(name: str) -> None:
    sc = VARIANTS[name]
    spec = CostUncertainty.model_validate({})
    params = {**spec.model_dump()["parameters"], **EXTRA}
    if name == "spares-replaced-bottom-up":  # spares: each distinct (failure rate, life) priced once; fewer draws
        params = {k: v for k, v in params.items() if k != "ground.repair_s"}
    dists = {
        p: to_distribution(CostUncertainty.model_validate({"parameters": {p: d}}).parameters[p])
        for p, d in params.items()
    }
    f = ScenarioCostModel(sc)
    assert f.batchable(dists)
    # spares and a limited repair crew solve a small model per distinct draw (scipy): fewer draws there
    n = {"spares-replaced-bottom-up": 40, "ground-repairs": 12}.get(name, 150)
    per_draw = u.monte_carlo(f, dists, n, seed=20261207)
    for chunk in (n, 7, 1):  # 7: a batch as long as a run of years; 1: a batch of one
        _assert_same(per_draw, u.monte_carlo(f, dists, n, seed=20261207, chunk_size=chunk, vectorized=True))


def test_the_run_block_is_the_per_draw_block() -> None:
    """cost.json's uncertainty block (batched draws) equals the block computed with the draws one at a time."""
    sc = VARIANTS["default"]
    spec = CostUncertainty.model_validate({})
    block = uncertainty_block(sc, spec, n=400, seed=42)
    dists = {path: to_distribution(d) for path, d in spec.parameters.items()}
    per_draw = u.monte_carlo(ScenarioCostModel(sc), dists, 400, seed=42)
    for key, metric in (
        ("orbit_usd_per_gpu_hour", "orbit.usd_per_gpu_hour"),
        ("ratio_orbit_to_ground", "ratio_orbit_to_ground"),
    ):
        np.testing.assert_allclose(block["monte_carlo"]["draws"][key], per_draw.outputs[metric], rtol=1e-9, atol=0.0)
    assert json.dumps(block, sort_keys=True) == json.dumps(uncertainty_block(sc, spec, n=400, seed=42), sort_keys=True)


def test_paths_a_batch_cannot_carry_fall_back_to_one_draw_at_a_time() -> None:
    """A count (``orbit.satellites``) and a ground series field (``ground.utilization``: an array there is a time
    series) are evaluated draw by draw, with the same results as the scalar model."""
    sc = VARIANTS["default"]
    f = ScenarioCostModel(sc)
    assert not f.batchable(["orbit.satellites"]) and not f.batchable(["ground.utilization"])
    assert f.batchable(["ground.pue", "shared.life_years", "orbit.launch.price_usd_per_kg", "satellite.kg_per_kw"])
    spec = CostUncertainty.model_validate(
        {"parameters": {"ground.utilization": {"type": "uniform", "low": 0.5, "high": 0.95}}, "break_even": {}}
    )
    block = uncertainty_block(sc, spec, n=20, seed=1)
    draws = block["monte_carlo"]["draws"]["ground_usd_per_gpu_hour"]
    values = u.draw({"ground.utilization": to_distribution(spec.parameters["ground.utilization"])}, 20, 1)
    expected = [f({"ground.utilization": float(x)})["ground.usd_per_gpu_hour"] for x in values["ground.utilization"]]
    np.testing.assert_allclose(draws, expected, rtol=1e-12)


def _float_paths(obj: object, prefix: str) -> list[tuple[str, float]]:
    """Every float field of a cost-input dataclass tree, as (path, value)."""
    out: list[tuple[str, float]] = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            out += _float_paths(v, f"{prefix}{f.name}.")
        elif isinstance(v, float) and not isinstance(v, bool) and np.isfinite(v) and v > 0.0:
            out.append((f"{prefix}{f.name}", v))
    return out


@pytest.mark.parametrize("name", ["default", "learning-cadence-groundsegment"])  # the second: a finite cadence
def test_every_float_parameter_batches_alone(name: str) -> None:
    """Each float field of the cost inputs, drawn alone (+-10 % around its value), batches to the per-draw results.
    The catalogue cases above always drew the satellite mass and the life too, which reshape every per-year array to
    a row per draw; alone, a draw that changes one array (the launch cadence, the failure rate without replacement,
    the compute power, the FLOPS) crashed the batch in broadcasting (found by review, 2026-12-07)."""
    sc = VARIANTS[name]
    f = ScenarioCostModel(sc)
    paths = _float_paths(sc.orbit[0], "orbit.") + _float_paths(sc.ground, "ground.")
    checked, failures = 0, []
    for path, value in paths:
        if not f.batchable([path]):
            continue
        try:
            spec = CostUncertainty.model_validate(
                {"parameters": {path: {"type": "uniform", "low": 0.9 * value, "high": 1.1 * value}}}
            )
        except Exception:  # not a path the scenario accepts (a derived input)
            continue
        dists = {path: to_distribution(spec.parameters[path])}
        per_draw = u.monte_carlo(f, dists, 6, seed=7)
        try:
            batch = u.monte_carlo(f, dists, 6, seed=7, chunk_size=6, vectorized=True)
            _assert_same(per_draw, batch)
        except Exception as why:  # collected, so one run names every failing path
            failures.append(f"{path}: {type(why).__name__}: {str(why)[:200]}")
        checked += 1
    assert failures == []
    assert checked >= 20  # the walk reached the model's float inputs
