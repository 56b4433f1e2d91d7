"""cost.json's uncertainty block on the default scenario, against pricing each draw through the scenario.

Measures, in one process on this machine (medians over ``--repeats``):

1. one draw of ``pipeline.cost_uncertainty.ScenarioCostModel`` (the default scenario's three shells and the ground
   baseline, all eight default parameters set): what the tornado and break-even call;
2. the ``--draws`` draws as one batch (arrays through the same equations, ``economics.tco`` "Batches"): what the
   Monte Carlo calls; its metrics must equal the per-draw ones to 1e-9;
3. the whole block as ``simulate`` writes it (``--draws`` Monte Carlo draws, the tornado, four break-even searches);
4. the best alternative measured here: each draw priced from the scenario, the way an ``evaluate: cost`` sweep
   prices a point (the resolved scenario with the draw's economics values, validated, then
   ``pipeline.economics.evaluate_cost``), over ``--scenario-draws`` draws of the parameters a scenario can express;
   its orbit / ground must equal the cost model's for the same values to 1e-9.

Prints draws per second and the ratio alternative / ours per draw.

    python benchmarks/cost_uncertainty.py [--draws 1000] [--repeats 3] [--scenario-draws 20]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import time

import numpy as np

from orbitgrid.api import load_scenario
from orbitgrid.economics import uncertainty as u
from orbitgrid.pipeline.cost_uncertainty import ScenarioCostModel, to_distribution, uncertainty_block
from orbitgrid.pipeline.economics import evaluate_cost, scenario_cost
from orbitgrid.scenario import load_scenario_text, resolved_scenario_dict

#: Cost-model path -> where the scenario writes it (economics section).
SCENARIO_PATHS = {
    "orbit.launch.price_usd_per_kg": ("launch", "price_usd_per_kg"),
    "orbit.hardware.satellite_usd_per_w": ("satellite_usd_per_w",),
    "orbit.nre_usd": ("nre_usd",),
    "shared.gpu_usd": ("gpu_usd",),
    "shared.life_years": ("design_life_years",),
    "shared.discount_rate": ("discount_rate",),
    "ground.pue": ("terrestrial", "pue"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenario-draws", type=int, default=20)
    args = ap.parse_args()

    scenario = load_scenario("default")
    spec = scenario.economics.uncertainty
    assert spec is not None
    sc = scenario_cost(scenario)
    f = ScenarioCostModel(sc)
    dists = {p: to_distribution(d) for p, d in spec.parameters.items()}
    draws = u.draw(dists, max(args.draws, args.scenario_draws), 7)
    points = [{p: float(v[i]) for p, v in draws.items()} for i in range(args.draws)]

    f(points[0])
    per_draw = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for p in points:
            f(p)
        per_draw.append((time.perf_counter() - t0) / len(points))
    ours = statistics.median(per_draw)

    columns = {p: v[: args.draws] for p, v in draws.items()}
    batch = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        together = f(columns)
        batch.append((time.perf_counter() - t0) / args.draws)
    one_by_one = [f(p)["ratio_orbit_to_ground"] for p in points]
    np.testing.assert_allclose(together["ratio_orbit_to_ground"], one_by_one, rtol=1e-9, atol=0.0)
    batched = statistics.median(batch)

    blocks = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        uncertainty_block(sc, spec, n=args.draws, seed=7)
        blocks.append(time.perf_counter() - t0)

    base = resolved_scenario_dict(scenario)
    alt = []
    for i in range(args.scenario_draws):
        values = {p: float(draws[p][i]) for p in SCENARIO_PATHS}
        t0 = time.perf_counter()
        data = copy.deepcopy(base)
        for path, keys in SCENARIO_PATHS.items():
            node = data["economics"]
            for k in keys[:-1]:
                node = node[k]
            node[keys[-1]] = values[path]
        got = evaluate_cost(load_scenario_text(json.dumps(data)))["ratio_orbit_to_ground"]
        alt.append(time.perf_counter() - t0)
        want = f(values)["ratio_orbit_to_ground"]
        assert abs(got / want - 1.0) < 1e-9, (i, got, want)
    scenario_s = statistics.median(alt)

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"default scenario: {len(sc.orbit)} shells, {sum(o.satellites for o in sc.orbit):,} satellites")
    print(f"ScenarioCostModel, one draw (8 parameters)     {ours * 1e3:8.3f} ms  {1 / ours:10,.0f} draws/s")
    print(f"ScenarioCostModel, {args.draws:,} draws as one batch {batched * 1e6:8.1f} us a draw")
    print(f"batch / one draw at a time: {ours / batched:.0f}x faster")
    print(f"uncertainty block, {args.draws:,} draws + tornado + break-even {statistics.median(blocks):8.2f} s")
    print(f"priced from the scenario, one draw            {scenario_s * 1e3:8.3f} ms  {1 / scenario_s:10,.0f} draws/s")
    print(f"scenario / cost model per draw: {scenario_s / ours:.1f}x")


if __name__ == "__main__":
    main()
