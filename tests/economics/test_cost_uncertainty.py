"""The uncertainty block of cost.json (``pipeline.cost_uncertainty``): reproducible draws, a Monte Carlo mean that
matches the closed form where the cost is linear in the uncertain parameter, break-even values that do put orbit
and ground level, and a tornado sorted by swing."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from orbitgrid.api import load_scenario
from orbitgrid.economics import uncertainty as u
from orbitgrid.pipeline.cost_uncertainty import PARAMETERS, ScenarioCostModel, base_values, uncertainty_block
from orbitgrid.pipeline.economics import scenario_cost


@pytest.fixture(scope="module")
def cost():  # type: ignore[no-untyped-def]
    return scenario_cost(load_scenario("default"), None)


def test_same_seed_same_numbers_and_another_seed_other_draws(cost) -> None:  # type: ignore[no-untyped-def]
    a = uncertainty_block(cost, n=200, seed=3)
    b = uncertainty_block(cost, n=200, seed=3)
    c = uncertainty_block(cost, n=200, seed=4)
    assert a == b
    assert a["monte_carlo"]["draws"] != c["monte_carlo"]["draws"]
    ratio = np.array(a["monte_carlo"]["draws"]["ratio_orbit_to_ground"])
    assert a["monte_carlo"]["p_orbit_cheaper"] == pytest.approx(float(np.mean(ratio < 1.0)))


def test_monte_carlo_mean_matches_the_closed_form_of_a_linear_cost(cost) -> None:  # type: ignore[no-untyped-def]
    """Orbit $/GPU-h is linear in the launch price (launch and its insurance scale with it), so its mean over a
    lognormal price is the cost at the mean price exp(mu + sigma^2 / 2)."""
    f = ScenarioCostModel(cost)
    dist = PARAMETERS["launch_usd_per_kg"][0]
    assert isinstance(dist, u.LogNormal)
    a, b = f({"launch_usd_per_kg": 100.0}), f({"launch_usd_per_kg": 300.0})
    mid = f({"launch_usd_per_kg": 200.0})
    key = "orbit.usd_per_gpu_hour"
    assert mid[key] == pytest.approx((a[key] + b[key]) / 2, rel=1e-9)  # linear indeed
    mc = u.monte_carlo(f, {"launch_usd_per_kg": dist}, 4000, seed=11)
    expected = f({"launch_usd_per_kg": math.exp(dist.mu + dist.sigma**2 / 2)})[key]
    assert abs(mc.mean(key) - expected) < 4 * mc.std_error(key)


def test_break_even_puts_orbit_and_ground_level(cost) -> None:  # type: ignore[no-untyped-def]
    # the default scenario's orbit is dearer at every launch price; with $1/kWh on the ground it breaks even
    dear_ground = dataclasses.replace(cost, ground=dataclasses.replace(cost.ground, electricity_usd_per_kwh=1.0))
    block = uncertainty_block(dear_ground, n=0, seed=0)
    rows = {r["parameter"]: r for r in block["break_even"]}
    launch = rows["launch_usd_per_kg"]
    assert launch["value"] is not None
    f = ScenarioCostModel(dear_ground)
    at = f({**base_values(dear_ground), "launch_usd_per_kg": launch["value"]})
    assert at["orbit.usd_per_gpu_hour"] == pytest.approx(at["ground.usd_per_gpu_hour"], rel=1e-6)
    # and where there is none, both ends of the bracket have orbit dearer (the default scenario)
    plain = {r["parameter"]: r for r in uncertainty_block(cost, n=0, seed=0)["break_even"]}
    assert plain["launch_usd_per_kg"]["value"] is None
    assert min(plain["launch_usd_per_kg"]["gap_at_ends"]) > 0


def test_tornado_is_sorted_by_swing_and_uses_the_10th_90th_percentiles(cost) -> None:  # type: ignore[no-untyped-def]
    block = uncertainty_block(cost, n=0, seed=0)
    rows = block["tornado"]["rows"]
    swings = [r["swing"] for r in rows]
    assert swings == sorted(swings, reverse=True) and len(rows) == len(PARAMETERS)
    for r in rows:
        d = PARAMETERS[r["parameter"]][0]
        assert r["low"] == pytest.approx(float(d.ppf(0.1))) and r["high"] == pytest.approx(float(d.ppf(0.9)))
