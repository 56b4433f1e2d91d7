"""The uncertainty block of cost.json (``pipeline.cost_uncertainty``): reproducible draws, a Monte Carlo mean that
matches the closed form where the cost is linear in a uniformly distributed launch price, break-even values that
put orbit and ground level when the scenario is re-priced with them, a tornado sorted by swing at the quantiles
scipy gives, and the cost-model parameter paths."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from scipy import stats

from orbitgrid.api import load_scenario
from orbitgrid.pipeline.cost_uncertainty import ScenarioCostModel, base_values, to_distribution, uncertainty_block
from orbitgrid.pipeline.economics import CostInputError, ScenarioCost, scenario_cost
from orbitgrid.scenario import Scenario, load_scenario_text, resolved_scenario_dict
from orbitgrid.scenario.models import CostUncertainty

ORBIT, GROUND, RATIO = "orbit.usd_per_gpu_hour", "ground.usd_per_gpu_hour", "ratio_orbit_to_ground"


@pytest.fixture(scope="module")
def default() -> Scenario:
    return load_scenario("default")


@pytest.fixture(scope="module")
def cost(default: Scenario) -> ScenarioCost:
    return scenario_cost(default, None)


def _spec(**kw: Any) -> CostUncertainty:
    return CostUncertainty.model_validate(kw)


def test_same_seed_same_bytes_and_another_seed_other_draws(cost: ScenarioCost, default: Scenario) -> None:
    spec = default.economics.uncertainty
    assert spec is not None
    a = uncertainty_block(cost, spec, n=200, seed=3)
    b = uncertainty_block(cost, spec, n=200, seed=3)
    c = uncertainty_block(cost, spec, n=200, seed=4)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["monte_carlo"]["draws"] != c["monte_carlo"]["draws"]
    ratio = a["monte_carlo"]["draws"]["ratio_orbit_to_ground"]
    assert a["monte_carlo"]["p_orbit_cheaper"] == sum(r < 1.0 for r in ratio) / len(ratio)
    assert set(a["monte_carlo"]["orbit_usd_per_gpu_hour"]) == {"n_finite", "mean", "std_error", "p5", "p50", "p95"}


def test_monte_carlo_mean_matches_the_closed_form_of_a_linear_cost(cost: ScenarioCost) -> None:
    """With a fixed price per kg, launch, its insurance and the deorbit share all scale with the price, so orbit
    $/GPU-h is a + b x: over x ~ U(lo, hi) its mean is a + b (lo + hi) / 2 and its standard deviation
    |b| (hi - lo) / sqrt(12); ground does not depend on x."""
    lo, hi = 100.0, 3_000.0
    f = ScenarioCostModel(cost)
    path = "orbit.launch.price_usd_per_kg"
    y_lo, y_mid, y_hi = (f({path: x})[ORBIT] for x in (lo, (lo + hi) / 2, hi))
    assert y_mid == pytest.approx((y_lo + y_hi) / 2, rel=1e-12)  # linear indeed
    slope = (y_hi - y_lo) / (hi - lo)
    spec = _spec(parameters={path: {"type": "uniform", "low": lo, "high": hi}}, tornado=False, break_even={})
    mc = uncertainty_block(cost, spec, n=1000, seed=11)["monte_carlo"]
    orbit = mc["orbit_usd_per_gpu_hour"]
    assert abs(orbit["mean"] - y_mid) < 4 * orbit["std_error"]
    sd = orbit["std_error"] * math.sqrt(1000)
    assert sd == pytest.approx(abs(slope) * (hi - lo) / math.sqrt(12), rel=0.06)
    ground = mc["ground_usd_per_gpu_hour"]
    assert ground["std_error"] < 1e-12 * ground["mean"] and ground["mean"] == pytest.approx(f({})[GROUND], rel=1e-12)


def test_break_even_reprices_level(default: Scenario, cost: ScenarioCost) -> None:
    """The gas price at which the on-site gas build costs what orbit does, found by Brent on the cost model; the
    scenario written with that gas price and priced from scratch has orbit = ground to 1e-6."""
    spec = _spec(parameters={}, break_even={"ground.gas_usd_per_mmbtu": [0.0, 1000.0]})
    (row,) = uncertainty_block(cost, spec, n=0, seed=0)["break_even"]
    assert row["status"] == "solved" and row["base"] == 4.30 and row["value"] > 4.30
    data = resolved_scenario_dict(default)
    data["economics"]["terrestrial"]["gas_usd_per_mmbtu"] = row["value"]
    res = scenario_cost(load_scenario_text(json.dumps(data)), None).evaluate()
    assert res.orbit.usd_per_gpu_hour == pytest.approx(res.ground.usd_per_gpu_hour, rel=1e-6)


def test_no_break_even_reports_the_bracket_ends(cost: ScenarioCost, default: Scenario) -> None:
    """On the default scenario even a $1/kg launch leaves orbit dearer: no value, and the gap at both ends."""
    spec = default.economics.uncertainty
    assert spec is not None
    rows = {r["parameter"]: r for r in uncertainty_block(cost, spec, n=0, seed=0)["break_even"]}
    launch = rows["orbit.launch.price_usd_per_kg"]
    assert launch["value"] is None and launch["status"] == "orbit dearer throughout"
    f = ScenarioCostModel(cost)
    at_1 = f({"orbit.launch.price_usd_per_kg": 1.0})
    assert launch["gap_usd_per_gpu_hour_at_ends"][0] == pytest.approx(at_1[ORBIT] - at_1[GROUND], rel=1e-12)
    assert min(launch["gap_usd_per_gpu_hour_at_ends"]) > 0


def test_tornado_is_sorted_by_swing_at_scipys_quantiles(cost: ScenarioCost, default: Scenario) -> None:
    spec = default.economics.uncertainty
    assert spec is not None
    block = uncertainty_block(cost, spec, n=0, seed=0)
    tor = block["tornado"]
    swings = [r["swing"] for r in tor["rows"]]
    assert swings == sorted(swings, reverse=True) and len(swings) == len(spec.parameters)
    assert tor["base"] == pytest.approx(ScenarioCostModel(cost)({})[RATIO], rel=1e-12)
    oracle = {  # the same distributions in scipy's parametrisations
        "orbit.launch.price_usd_per_kg": stats.lognorm(s=math.log(3.0) / stats.norm.ppf(0.9), scale=500.0),
        "satellite.kg_per_kw": stats.triang(c=(27.4 - 10.0) / 49.0, loc=10.0, scale=49.0),
        "shared.discount_rate": stats.uniform(loc=0.03, scale=0.04),
        "shared.gpu_usd": stats.beta(1 + 4 * 8_750 / 15_000, 1 + 4 * 6_250 / 15_000, loc=25_000.0, scale=15_000.0),
    }
    rows = {r["parameter"]: r for r in tor["rows"]}
    for path, d in oracle.items():
        assert rows[path]["low"] == pytest.approx(d.ppf(0.1), rel=1e-9)
        assert rows[path]["high"] == pytest.approx(d.ppf(0.9), rel=1e-9)
        assert block["parameters"][path]["mean"] == pytest.approx(d.mean(), rel=1e-9)


def test_parameter_paths(cost: ScenarioCost) -> None:
    f = ScenarioCostModel(cost)
    base = f({})
    kw = sum(o.satellites * o.satellite.compute_w for o in cost.orbit) / 1e3
    kg_per_kw = base_values(cost, ["satellite.kg_per_kw"], {})["satellite.kg_per_kw"]
    assert kg_per_kw == pytest.approx(base["orbit.fleet_mass_kg"] / kw, rel=1e-12)
    assert f({"satellite.kg_per_kw": kg_per_kw}) == pytest.approx(base, rel=1e-12)  # at its base: nothing moves
    assert f({"satellite.kg_per_kw": 20.0})["orbit.fleet_mass_kg"] == pytest.approx(20.0 * kw, rel=1e-12)
    # shared: both sides; orbit/ground: one side
    dear = f({"shared.gpu_usd": 60_000.0})
    assert dear[ORBIT] > base[ORBIT] and dear[GROUND] > base[GROUND]
    assert f({"ground.pue": 1.5})[ORBIT] == base[ORBIT]
    # the programme's NRE once, not once per shell
    nre = f({"orbit.nre_usd": 2e9})
    assert nre["orbit.pv_usd"] - base["orbit.pv_usd"] == pytest.approx(2e9 - 5e8, rel=1e-9)
    assert to_distribution(_spec(parameters={"ground.pue": {"type": "fixed", "value": 1.3}}).parameters["ground.pue"])
    with pytest.raises(CostInputError, match=r"economics\.uncertainty\.parameters\.orbit\.launch\.price_per_kg: "):
        uncertainty_block(
            cost, _spec(parameters={"orbit.launch.price_per_kg": {"type": "fixed", "value": 1.0}}), n=0, seed=0
        )
    with pytest.raises(CostInputError, match=r"economics\.uncertainty\.break_even\.orbit\.launch: .*not a number"):
        uncertainty_block(cost, _spec(parameters={}, break_even={"orbit.launch": [0.0, 1.0]}), n=0, seed=0)


def test_a_fleet_that_delivered_nothing_gives_nulls_not_a_crash(default: Scenario) -> None:
    """A run whose orbital fleet delivered no GPU-hours has no finite cost per delivered GPU-hour: the Monte Carlo
    block reports no finite draw and null statistics (it raised IndexError on the empty percentile)."""
    summary = {
        "capacity": {"shells": {"s": {"gpu_hours_installed": 1000.0, "gpu_hours_deliverable": 0.0}}},
        "orbit_vs_ground": {"orbital": {"gpu_hours_delivered": 0.0}},
    }
    sc = scenario_cost(default, summary)
    spec = default.economics.uncertainty
    assert spec is not None
    block = uncertainty_block(sc, spec, n=50, seed=1)["monte_carlo"]
    assert block["orbit_usd_per_gpu_hour"]["n_finite"] == 0
    assert block["orbit_usd_per_gpu_hour"]["p50"] is None and block["orbit_usd_per_gpu_hour"]["mean"] is None
    assert block["ground_usd_per_gpu_hour"]["n_finite"] == 50
    assert block["ground_usd_per_gpu_hour"]["p50"] > 0
    json.dumps(block, allow_nan=False)
