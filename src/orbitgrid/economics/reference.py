"""Reference cost cases: 40 MW and 1 GW of H100 compute in a 650 km dawn-dusk orbit against the same GPUs on the
ground. Frozen inputs, each sourced; regression fixtures for the cost model (``tests/economics/test_tco.py``).

Satellite (``REFERENCE_SATELLITE``): the output of ``design.size.size_satellite(compute_power_w=100e3)`` with its
defaults (H100, 650 km sun-synchronous at LTAN 18 h, radiator 330 K, 10 mm Al, 5-year life, specific masses of
``economics.mass.SpecificMasses``), frozen here because ``economics`` sits below ``design``;
``tests/design/test_size.py`` checks that the frozen numbers still equal the sizing. 79 H100 at 1,275 W each with
the host share (DGX H100 10.2 kW / 8, docs/sources.md §5) = 100.725 kW; array 197.1 kW at beginning of life; 7,021 kg
launched (69.7 kg/kW, inside the 10-59 kg/kW span of docs/sources.md dispute 4, at its heavy end).

Fleet: whole satellites for the power: ``ceil(P / 100.725 kW)`` = 398 (40.09 MW) and 9,928 (1.0000 GW).

Orbit, every other input at the ``tco`` defaults (McCalip's $22/W satellite hardware, $500M NRE, 0.2 %/yr
operations, 9 %/yr GPU failures lost (no repair in orbit), 2.5 %/yr cell degradation with an end-of-life-sized array,
availability 0.98 x utilization 0.85, 5 % launch insurance, 7 % discount rate, 5-year life), and:

- launch: Starship V3, 100 t (docs/sources.md §4) -> 14 satellites per launch; Suncatcher's learning curve (20 % per
  doubling from Falcon Heavy's ~$1,800/kg at ~400 t, §4.4) started at the ~370,000 t more that Suncatcher says
  brings the price under $200/kg (so the first launch costs ~$200/kg, the catalog's nominal Starship price), the
  whole launch billed; at most 180 launches a year, the rate of Suncatcher's learning path (~1,800 launches over
  ~10 years, §4.4);
- ground segment: not priced separately: McCalip's operations fraction is "comms, infra" (``ORBITAL_OPS_FRAC``).

Ground: the same number of GPUs (31,442 and 786,312) in a new hyperscale build with on-site gas (McCalip's buckets
and fuel: $1,450/kW generation, $12.50/W of electrical, mechanical, civil and fit-out, PUE 1.2, 6,200 BTU/kWh at
$4.30/MMBtu), utilization 0.85, 9 %/yr GPU failures replaced, GPUs at $33,750, 5-year life, 7 % discount rate.
"""

from __future__ import annotations

import math

from orbitgrid.economics.launch import STARSHIP_V3, WrightsLaw
from orbitgrid.economics.report import CostCase
from orbitgrid.economics.tco import LaunchPlan, OrbitInputs, SatelliteSpec
from orbitgrid.economics.terrestrial import GroundInputs

#: ``size_satellite(compute_power_w=100e3)`` (module docstring); kg by item.
REFERENCE_SATELLITE_MASS_ITEMS_KG = {
    "payload": 1288.19,
    "array": 2627.55,
    "battery": 558.40,
    "radiator": 792.83,
    "shielding": 288.45,
    "bus": 1388.86,
    "margin": 0.0,
    "propellant_station_keeping": 21.38,
    "propellant_deorbit": 55.80,
}

REFERENCE_SATELLITE = SatelliteSpec(
    gpus=79,
    compute_w=100_725.0,
    array_bol_w=197_066.3,
    mass_kg=sum(REFERENCE_SATELLITE_MASS_ITEMS_KG.values()),
    deorbit_propellant_kg=REFERENCE_SATELLITE_MASS_ITEMS_KG["propellant_deorbit"],
    mass_items_kg=REFERENCE_SATELLITE_MASS_ITEMS_KG,
)

#: Suncatcher: < $200/kg after ~370,000 t more than the ~400 t anchor (arXiv:2511.19468 §4.4).
_SUNCATCHER_CURVE = WrightsLaw()
REFERENCE_START_CUMULATIVE_KG = _SUNCATCHER_CURVE.cumulative_kg_at_price(200.0)

#: Launches per year: Suncatcher's path to < $200/kg flies ~180 Starship launches a year (§4.4).
REFERENCE_MAX_LAUNCHES_PER_YEAR = 180.0

REFERENCE_LAUNCH = LaunchPlan(
    vehicle=STARSHIP_V3,
    price_usd_per_kg=None,
    learning=_SUNCATCHER_CURVE,
    start_cumulative_kg=REFERENCE_START_CUMULATIVE_KG,
    max_launches_per_year=REFERENCE_MAX_LAUNCHES_PER_YEAR,
)


def satellites_for_power(power_w: float, satellite: SatelliteSpec = REFERENCE_SATELLITE) -> int:
    """Whole satellites whose compute adds up to at least ``power_w``."""
    return math.ceil(power_w / satellite.compute_w - 1e-9)


def reference_case(power_w: float, label: str) -> CostCase:
    """Orbit fleet of ``power_w`` compute and the same GPUs on the ground (module docstring)."""
    n = satellites_for_power(power_w)
    orbit = OrbitInputs(satellites=n, satellite=REFERENCE_SATELLITE, launch=REFERENCE_LAUNCH)
    ground = GroundInputs(gpus=n * REFERENCE_SATELLITE.gpus)
    return CostCase(orbit=orbit, ground=ground, label=label)


REFERENCE_40MW = reference_case(40e6, "40 MW H100, 650 km dawn-dusk vs on-site gas")
REFERENCE_1GW = reference_case(1e9, "1 GW H100, 650 km dawn-dusk vs on-site gas")
