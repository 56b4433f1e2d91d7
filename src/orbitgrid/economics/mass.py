"""Mass budget of one compute satellite: payload, array, battery, radiator, shielding, bus, margin and propellant.

This module is the one place the mass arithmetic lives; ``design.size`` sizes the parts (array power, battery
capacity, radiator area, shielding thickness) with the physics modules and hands the numbers here.

Model
-----
**Dry mass.** Each part is its size over a specific mass (``SpecificMasses``, every default sourced in
``SpecificMasses.SOURCES``):

- payload: ``m_gpu x GPUs`` (a DGX H100 is 130.45 kg for 8 GPUs including chassis, CPUs and power supplies);
- solar array: ``P_BOL / (W/kg)`` with ``P_BOL`` the beginning-of-life rating at 1 AU;
- battery: ``E_nominal / (Wh/kg)``, cell level;
- radiator: ``A x (kg/m²)``;
- shielding: aluminium of thickness ``t`` over the enclosure area ``S``: ``m = rho_Al t S`` with
  ``rho_Al = 2.70 g/cm³``;
- bus (structure, attitude control, propulsion hardware, avionics, harness, power conditioning) as a fraction ``f``
  of the dry mass: ``m_dry = m_known / (1 - f)``, ``m_bus = m_dry - m_known``;
- a design margin ``x m_dry``.

**Propellant** (on top of the dry mass, so that the budget is the launched mass):

- *Station keeping against drag.* The drag deceleration of a circular orbit is ``a_D = rho v² / (2 B)`` with the
  ballistic coefficient ``B = m / (C_D A)``; holding the altitude for ``L`` years costs ``Δv_SK = a_D L``
  (the drag equation; per revolution this is ``π (C_D A / m) rho a v``). ``B`` uses the dry mass (the lightest the
  satellite gets, so the largest deceleration).
- *Density* ``rho(h)`` from the piecewise-exponential atmosphere of Vallado (*Fundamentals of Astrodynamics and
  Applications*, 4th ed., 2013, Table 8-4, after Wertz 1978: CIRA-72, exospheric temperature 1000 K above 500 km),
  ``rho = rho_0 exp(-(h - h_0) / H)``: 7.3e-14 kg/m³ at 650 km. NRLMSIS 2.1 gives ~1.6e-13 at moderate activity
  and the density swings ~100x over the solar cycle (docs/sources.md §5, open dispute 11), so the table is multiplied by
  ``solar_activity_factor`` (1 = the table; 0.1 and 10 bracket the solar cycle). The station-keeping propellant is
  uncertain by that same ~100x; at 650 km it stays a few percent of the dry mass even at 10x (electric propulsion).
- *Deorbit.* One tangential burn from the circular orbit of radius ``r`` to an ellipse with perigee ``r_p``:
  ``Δv_D = sqrt(mu / r) (1 - sqrt(2 r_p / (r + r_p)))`` (the first burn of a Hohmann transfer, Vallado 4th ed. ch. 6).
  The default perigee, 200 km, decays within weeks at any solar activity (the table density at 200 km is ~4,000x
  that at 650 km): an orbitgrid assumption that meets the FCC 5-year disposal rule (docs/sources.md §5).
- *Rocket equation* (Tsiolkovsky): ``m_prop = m_dry (exp(Δv / (g0 Isp)) - 1)`` for the total ``Δv_SK + Δv_D``;
  the two are split in proportion to their ``Δv``'s share of the exponent (station keeping is flown first, so the
  deorbit burn pushes only the dry mass plus its own propellant: ``m_D = m_dry (exp(Δv_D / v_e) - 1)``, and
  station keeping carries the rest).

Validity
--------
Mass is linear in each part's size with constant specific masses: no scale economies in structure, no tanks
(inside the bus fraction), no propellant for collision avoidance or for the J2-induced formation drift. Drag from a
mean density over the design life: real density follows the 11-year cycle and the daily/27-day variation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from orbitgrid.astro.lifetime import deorbit_delta_v_m_s as deorbit_delta_v_m_s
from orbitgrid.astro.lifetime import hold_delta_v_m_s

#: Standard gravity, m/s² (CGPM 1901; the definition used for specific impulse).
G0_M_S2 = 9.80665

#: Aluminium density, kg/m³ (2.70 g/cm³; radiation.py uses PDG's 2.699 for the dose, the same to 0.04 %).
ALUMINIUM_DENSITY_KG_M3 = 2700.0

#: NVIDIA DGX H100 system: 8 H100 SXM, 130.45 kg (287.6 lb), 8U, 356 x 482.2 x 897.1 mm (NVIDIA DGX H100 User Guide,
#: "Hardware Overview" specifications); 10.2 kW max (docs/sources.md §5).
DGX_H100_MASS_KG = 130.45
DGX_H100_GPUS = 8
DGX_H100_POWER_W = 10_200.0
DGX_H100_DIMENSIONS_M = (0.897, 0.482, 0.356)  # length, width, height

#: Piecewise-exponential atmosphere (Vallado 4th ed. Table 8-4): base altitude km, base density kg/m³, scale height
#: km; the rows from 150 km up (below that nothing orbits).
_ATMOSPHERE = np.array(
    [
        (150.0, 2.070e-9, 22.523),
        (180.0, 5.464e-10, 29.740),
        (200.0, 2.789e-10, 37.105),
        (250.0, 7.248e-11, 45.546),
        (300.0, 2.418e-11, 53.628),
        (350.0, 9.518e-12, 53.298),
        (400.0, 3.725e-12, 58.515),
        (450.0, 1.585e-12, 60.828),
        (500.0, 6.967e-13, 63.822),
        (600.0, 1.454e-13, 71.835),
        (700.0, 3.614e-14, 88.667),
        (800.0, 1.170e-14, 124.64),
        (900.0, 5.245e-15, 181.05),
        (1000.0, 3.019e-15, 268.00),
    ]
)

#: Mass items of a budget in display order; ``total`` is their sum (the launched mass).
ITEMS = (
    "payload",
    "array",
    "battery",
    "radiator",
    "shielding",
    "bus",
    "margin",
    "propellant_station_keeping",
    "propellant_deorbit",
)


@dataclass(frozen=True)
class SpecificMasses:
    """Specific masses of the budget; each default is sourced in ``SOURCES``."""

    payload_kg_per_gpu: float = DGX_H100_MASS_KG / DGX_H100_GPUS
    array_w_per_kg: float = 75.0
    battery_wh_per_kg: float = 200.0
    radiator_kg_per_m2: float = 7.0
    bus_fraction_of_dry_mass: float = 0.20

    SOURCES: ClassVar[dict[str, str]] = {
        "payload_kg_per_gpu": "DGX H100 130.45 kg / 8 GPUs incl. chassis, CPUs, PSUs (NVIDIA DGX H100 User Guide)",
        "array_w_per_kg": "iROSA ~75 W/kg 'flight-real', BOL rated (docs/sources.md §5; rigid 40-100)",
        "battery_wh_per_kg": (
            "Li-ion space cells 150-250 Wh/kg, midpoint, cell level, no pack (docs/sources.md §5, conf. L)"
        ),
        "radiator_kg_per_m2": "conventional 5-10 kg/m², Thermacore SBIR '7 kg/m² conventional' (docs/sources.md §5)",
        "bus_fraction_of_dry_mass": "structure+ADCS+propulsion+avionics+harness+PCU: orbitgrid assumption",
    }


@dataclass(frozen=True)
class Propulsion:
    """Station keeping and deorbit: engine, drag properties and the disposal orbit.

    ``isp_s`` 1,600 s: the SPT-100 Hall thruster on xenon (Goebel & Katz, *Fundamentals of Electric Propulsion*,
    2008, ch. 7), the class of the argon/krypton Hall thrusters Starlink flies (docs/sources.md §4).
    ``drag_coefficient`` 2.2: the value customarily assumed for a satellite in free-molecular flow when none is
    measured (an assumption). ``drag_area_m2=None``:
    ``2/π`` of the array area, the mean projection of a flat array turning once per orbit about the orbit normal to
    track the Sun; a dawn-dusk array flies nearly edge-on to the velocity, so this overstates its drag.
    ``solar_activity_factor`` scales the density table (see the module docstring). ``density_kg_m3`` replaces the
    table (and the factor) with a given orbit-averaged density: ``orbitgrid lifetime`` passes NRLMSIS's
    (``astro.atmosphere``) so that its propellant is this budget's.
    """

    isp_s: float = 1600.0
    drag_coefficient: float = 2.2
    drag_area_m2: float | None = None
    solar_activity_factor: float = 1.0
    deorbit_perigee_altitude_m: float = 200e3
    density_kg_m3: float | None = None

    def drag_area(self, array_area_m2: float) -> float:
        """``drag_area_m2``, or ``2/π`` of ``array_area_m2`` (the class docstring)."""
        return self.drag_area_m2 if self.drag_area_m2 is not None else 2.0 / math.pi * array_area_m2


@dataclass(frozen=True)
class MassBudget:
    """A satellite's mass by item (kg, ``ITEMS``), with the Δv's that set the propellant."""

    kg: dict[str, float]
    delta_v_station_keeping_m_s: float
    delta_v_deorbit_m_s: float
    density_kg_m3: float
    ballistic_coefficient_kg_m2: float
    sources: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def dry_kg(self) -> float:
        """Dry mass: every item but propellant."""
        return self.total_kg - self.propellant_kg

    @property
    def propellant_kg(self) -> float:
        return self.kg["propellant_station_keeping"] + self.kg["propellant_deorbit"]

    @property
    def total_kg(self) -> float:
        """Launched (wet) mass: the sum of the items."""
        return math.fsum(self.kg[k] for k in ITEMS)


def shielding_mass_kg(thickness_mm_al: float, area_m2: float) -> float:
    """Aluminium shield of ``thickness_mm_al`` over ``area_m2``: ``rho_Al t S`` (2.70 g/cm³)."""
    return ALUMINIUM_DENSITY_KG_M3 * thickness_mm_al / 1e3 * area_m2


def server_enclosure_area_m2(n_servers: int) -> float:
    """Outer area of ``n_servers`` DGX H100 chassis stacked into one box (top and bottom once, sides per server)."""
    ln, wd, ht = DGX_H100_DIMENSIONS_M
    return 2.0 * (ln * wd + (ln + wd) * ht * n_servers)


def atmospheric_density_kg_m3(altitude_m: float | np.ndarray, solar_activity_factor: float = 1.0) -> np.ndarray:
    """Density of the exponential atmosphere (Vallado Table 8-4) at ``altitude_m`` (150-1,000 km base rows; above
    1,000 km the last row's scale height continues), times ``solar_activity_factor``."""
    h_km = np.asarray(altitude_m, dtype=np.float64) / 1e3
    if np.any(h_km < _ATMOSPHERE[0, 0]):
        raise ValueError("the atmosphere table starts at 150 km")
    i = np.searchsorted(_ATMOSPHERE[:, 0], h_km, side="right") - 1
    h0, rho0, scale = _ATMOSPHERE[i, 0], _ATMOSPHERE[i, 1], _ATMOSPHERE[i, 2]
    return np.asarray(solar_activity_factor * rho0 * np.exp(-(h_km - h0) / scale))


def drag_delta_v_m_s(
    altitude_m: float, ballistic_coefficient_kg_m2: float, years: float, solar_activity_factor: float = 1.0
) -> float:
    """Δv to hold a circular orbit against drag for ``years`` at the table density: ``rho v² / (2 B) x L``
    (``astro.lifetime.hold_delta_v_m_s``, which ``orbitgrid lifetime`` drives with NRLMSIS)."""
    rho = float(atmospheric_density_kg_m3(altitude_m, solar_activity_factor))
    return hold_delta_v_m_s(rho, altitude_m, 1.0 / ballistic_coefficient_kg_m2, years)


def propellant_mass_kg(final_mass_kg: float, delta_v_m_s: float, isp_s: float) -> float:
    """Rocket equation: propellant to give ``final_mass_kg`` (after the burns) ``delta_v_m_s`` at ``isp_s``."""
    return final_mass_kg * math.expm1(delta_v_m_s / (G0_M_S2 * isp_s))


def mass_budget(
    *,
    gpus: int = 0,
    payload_kg: float | None = None,
    array_bol_w: float,
    battery_wh: float,
    radiator_area_m2: float,
    shielding_mm_al: float,
    shielded_area_m2: float,
    array_area_m2: float = 0.0,
    altitude_m: float,
    design_life_years: float,
    masses: SpecificMasses = SpecificMasses(),
    margin_fraction: float = 0.0,
    propulsion: Propulsion | None = Propulsion(),
) -> MassBudget:
    """Mass budget of one satellite (see the module docstring); ``propulsion=None`` leaves out the propellant.

    ``payload_kg`` overrides ``gpus x masses.payload_kg_per_gpu``. ``array_area_m2`` sets the default drag area.
    """
    kg = {
        "payload": gpus * masses.payload_kg_per_gpu if payload_kg is None else float(payload_kg),
        "array": array_bol_w / masses.array_w_per_kg,
        "battery": battery_wh / masses.battery_wh_per_kg,
        "radiator": radiator_area_m2 * masses.radiator_kg_per_m2,
        "shielding": shielding_mass_kg(shielding_mm_al, shielded_area_m2),
    }
    known = math.fsum(kg.values())
    dry_core = known / (1.0 - masses.bus_fraction_of_dry_mass)
    kg["bus"] = dry_core - known
    kg["margin"] = margin_fraction * dry_core
    dry = dry_core + kg["margin"]
    dv_sk = dv_d = rho = b = 0.0
    if propulsion is not None and dry > 0.0:
        area = propulsion.drag_area(array_area_m2)
        if propulsion.density_kg_m3 is not None:
            rho = propulsion.density_kg_m3
        else:
            rho = float(atmospheric_density_kg_m3(altitude_m, propulsion.solar_activity_factor))
        if area > 0.0:
            b = dry / (propulsion.drag_coefficient * area)
            dv_sk = hold_delta_v_m_s(rho, altitude_m, 1.0 / b, design_life_years)
        else:
            b = math.inf
        dv_d = deorbit_delta_v_m_s(altitude_m, propulsion.deorbit_perigee_altitude_m)
        total_prop = propellant_mass_kg(dry, dv_sk + dv_d, propulsion.isp_s)
        kg["propellant_deorbit"] = propellant_mass_kg(dry, dv_d, propulsion.isp_s)
        kg["propellant_station_keeping"] = total_prop - kg["propellant_deorbit"]
    else:
        kg["propellant_deorbit"] = kg["propellant_station_keeping"] = 0.0
    return MassBudget(
        kg={k: kg[k] for k in ITEMS},
        delta_v_station_keeping_m_s=dv_sk,
        delta_v_deorbit_m_s=dv_d,
        density_kg_m3=rho,
        ballistic_coefficient_kg_m2=b,
        sources=dict(SpecificMasses.SOURCES),
    )
