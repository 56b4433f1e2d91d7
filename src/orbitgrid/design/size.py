"""Size a compute satellite for a compute load in a circular orbit and tally its mass budget.

Method
------
Every physical step calls the project's models; nothing is re-derived here.

1. **Orbit and eclipses.** One circular J2 orbit (``astro.constellations``: sun-synchronous inclination and the node
   from the LTAN, or a given inclination with node 0) is surveyed over one year after the epoch at 30 s steps by the
   shadow kernel (``astro.survey.survey_circular``). The worst passage's shadow integral ``T_e`` (time-weighted hidden
   fraction of the solar disc, so penumbra counts in part) sets the array and battery; the passage count sets the
   battery's cycling; the beta-angle extremes set the worst albedo on the radiator. Orbit period: the nodal period
   (``astro.j2.nodal_period_s``); ``T_d = T - T_e``.
2. **Array.** The classic sizing equation (Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed., 1999,
   sec. 11.4, eq. 11-5): ``P_sa = (P_e T_e / X_e + P_d T_d / X_d) / T_d`` with ``P_e = P_d`` the bus load (compute +
   housekeeping), ``X_d = eta_pcu`` (array to loads) and ``X_e = eta_pcu eta_c eta_d`` (array to battery to loads),
   the efficiencies of ``spacecraft.power`` and ``spacecraft.battery``; times ``1 + margins.power``. That is the
   end-of-life power in sunlight; the area follows from ``spacecraft.power.power_breakdown`` per m² at end of life:
   aphelion flux, ``(1 - d)^life`` degradation, cells at ``cell_temperature_k``, sun-tracking.
3. **Battery.** End-of-life capacity is the largest of: the worst eclipse energy ``P_load T_e / eta_d`` over the
   depth of discharge; the discharge C-rate ``P_load / k_d``; the charge C-rate, the recharge ``P_load T_e /
   (eta_d eta_c)`` spread at ``k_c`` over the fully lit time (the period less the worst passage from penumbra entry
   to penumbra exit: the shadow integral alone would leave no time for the partly lit penumbra). The nominal
   capacity adds the fade of ``spacecraft.battery`` (``C = C0 - f Q / 2``) over the design life, counting every
   eclipse of the year as a worst one:
   ``C0 = C_eol + f N_eclipses E_cell``; times ``1 + margins.battery``.
4. **Radiator.** ``spacecraft.thermal.radiator_area_m2`` for the heat load (bus load plus the conditioning loss,
   times ``1 + margins.radiator``) at the given temperature, for a two-sided Z-93 panel edge-on to nadir
   (``panel_earth_view_factor``) and edge-on to the Sun, with the worst albedo of the year (sub-satellite Sun zenith
   equal to the smallest |beta| reached) at perihelion flux.
5. **Shielding.** Bisection on the thickness of ``spacecraft.radiation.dose_rate_rad_s`` averaged over one day of
   the track at 60 s (AP8MIN + AE8MAX), to meet a dose target in rad(Si)/yr; or the dose at a given thickness.
6. **Mass.** ``economics.mass.mass_budget``: named specific masses (``SpecificMasses``, each with its source), bus
   as a fraction of dry mass, and propellant for drag make-up over the design life and for deorbit (rocket
   equation).
7. **Availability.** The fraction of the surveyed year the power system carries the full load
   (:func:`powered_fraction`): each passage's shadow integral beyond what the end-of-life battery carries
   (``C_eol DoD eta_d / P_load``) is time without power. The battery above is sized for the worst passage, so this
   is 1; it replaces the terminator-orbit 0.98 the cost model would otherwise apply to every orbit (the no-battery
   value, the year's sunlit fraction, is 0.960 for a 650 km dawn-dusk orbit and 0.703 at 53 deg, and is reported).

Validity
--------
A point design at the mean-element level: constant load, no duty cycling, no pointing losses, no array/radiator
mutual shading, battery energy treated as in ``spacecraft.battery`` (no voltage model).
The kg/kW it yields is that of these assumptions; the published figures it is compared with use others.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orbitgrid.astro import frames, j2
from orbitgrid.astro.constants import AU_M, EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.constellations import CircularOrbits, raan_from_ltan_rad, sun_synchronous_inclination_rad
from orbitgrid.astro.eclipse import illuminated_fraction
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.survey import survey_circular
from orbitgrid.astro.time import TimeGrid
from orbitgrid.economics.launch import LaunchVehicle
from orbitgrid.economics.mass import (
    DGX_H100_GPUS,
    DGX_H100_MASS_KG,
    DGX_H100_POWER_W,
    MassBudget,
    Propulsion,
    SpecificMasses,
    mass_budget,
    server_enclosure_area_m2,
)
from orbitgrid.economics.report import CaseResult, CostCase, evaluate_case
from orbitgrid.economics.tco import DEFAULT_DISCOUNT_RATE, DEFAULT_LIFE_YEARS, LaunchPlan, OrbitInputs, SatelliteSpec
from orbitgrid.economics.terrestrial import GroundInputs
from orbitgrid.fleet.orbital import HOUSEKEEPING_FRACTION
from orbitgrid.spacecraft import battery, power, radiation, thermal
from orbitgrid.spacecraft.payload import Payload

DEFAULT_EPOCH = _dt.datetime(2027, 3, 20, tzinfo=_dt.UTC)
SECONDS_PER_YEAR = radiation.SECONDS_PER_JULIAN_YEAR
#: Earth's orbital eccentricity (aphelion 1.0167 AU, perihelion 0.9833 AU; power.py docstring).
_EARTH_ECCENTRICITY = 0.0167

_MASSES = SpecificMasses()
_PROPULSION = Propulsion()

#: Published kg per kW of compute, docs/sources.md dispute 4: (label, low, high).
PUBLISHED_KG_PER_KW = (
    ("Turyshev (JPL) total, arXiv:2604.27197", 34.0, 59.0),
    ("McCalip, Starlink-derived 36.5 W/kg", 27.0, 27.0),
    ("SpaceX AI1, ~70 kW/t", 14.0, 14.0),
    ("SpaceX filing, 100 kW/t", 10.0, 10.0),
)


@dataclass(frozen=True)
class Margins:
    """Fractional design margins on array power, battery capacity, radiator heat load and dry mass."""

    power: float = 0.05
    battery: float = 0.0
    radiator: float = 0.10
    mass: float = 0.0


@dataclass(frozen=True)
class PowerChain:
    """Array and battery parameters of the sizing (defaults from ``spacecraft.power`` / ``spacecraft.battery``)."""

    cell_efficiency: float = 0.22
    packing_factor: float = 0.90
    degradation_per_year: float = power.DEFAULT_DEGRADATION_PER_YEAR
    cell_temperature_k: float = 333.15
    conditioning_efficiency: float = power.DEFAULT_CONDITIONING_EFFICIENCY
    depth_of_discharge: float = battery.DEFAULT_DEPTH_OF_DISCHARGE
    charge_efficiency: float = battery.DEFAULT_CHARGE_EFFICIENCY
    discharge_efficiency: float = battery.DEFAULT_DISCHARGE_EFFICIENCY
    max_charge_c_rate_per_h: float = battery.DEFAULT_MAX_CHARGE_C_RATE
    max_discharge_c_rate_per_h: float = battery.DEFAULT_MAX_DISCHARGE_C_RATE
    fade_per_equivalent_cycle: float = battery.DEFAULT_FADE_PER_EQUIVALENT_CYCLE
    housekeeping_fraction: float = HOUSEKEEPING_FRACTION


@dataclass(frozen=True)
class Sizing:
    """Result of :func:`size_satellite`; ``rows()`` lists it as (item, value, unit, source)."""

    # inputs
    gpu: str | None
    gpus: int
    compute_w: float
    housekeeping_w: float
    altitude_m: float
    inclination_rad: float
    orbit_label: str
    epoch: _dt.datetime
    design_life_years: float
    radiator_temperature_k: float
    chain: PowerChain
    masses: SpecificMasses
    margins: Margins
    orbit: CircularOrbits = field(repr=False)
    # orbit
    period_s: float
    worst_shadow_s: float
    worst_eclipse_start_s: float
    eclipses_per_year: int
    beta_min_abs_rad: float
    #: Shadow integral of every passage of the surveyed year (s) and the year's mean sunlit fraction.
    shadow_passages_s: np.ndarray = field(repr=False)
    survey_span_s: float
    sunlit_fraction: float
    # power
    array_eol_w: float
    array_w_per_m2_eol: float
    array_area_m2: float
    array_bol_w: float
    battery_eol_capacity_wh: float
    battery_capacity_wh: float
    battery_driver: str
    #: Fraction of the year the power system carries the full load (:func:`powered_fraction`).
    availability: float
    # thermal
    heat_load_w: float
    radiator_environment: thermal.RadiatorEnvironment = field(repr=False)
    radiator_area_m2: float
    # radiation
    shielding_mm_al: float
    dose_rad_per_year: float
    dose_target_rad_per_year: float | None
    shielded_area_m2: float
    # mass
    mass_kg: dict[str, float]
    budget: MassBudget = field(repr=False)
    propulsion: Propulsion | None = field(repr=False)

    @property
    def load_w(self) -> float:
        """Bus load: compute plus housekeeping."""
        return self.compute_w + self.housekeeping_w

    @property
    def total_mass_kg(self) -> float:
        """Launched mass: dry mass plus propellant."""
        return self.mass_kg["total"]

    @property
    def dry_mass_kg(self) -> float:
        return self.budget.dry_kg

    @property
    def kg_per_kw(self) -> float:
        """Launched mass per kW of compute load."""
        return self.total_mass_kg / (self.compute_w / 1e3)

    def battery_params(self, end_of_life: bool = True) -> battery.BatteryParams:
        """``BatteryParams`` of the sized battery; at end of life the faded capacity and no further fade."""
        c = self.chain
        return battery.BatteryParams(
            capacity_wh=self.battery_eol_capacity_wh if end_of_life else self.battery_capacity_wh,
            depth_of_discharge=c.depth_of_discharge,
            charge_efficiency=c.charge_efficiency,
            discharge_efficiency=c.discharge_efficiency,
            max_charge_c_rate_per_h=c.max_charge_c_rate_per_h,
            max_discharge_c_rate_per_h=c.max_discharge_c_rate_per_h,
            fade_per_equivalent_cycle=0.0 if end_of_life else c.fade_per_equivalent_cycle,
        )

    def lit_fraction(self, t_s: np.ndarray) -> np.ndarray:
        """Illuminated fraction of the solar disc at ``t_s`` seconds after the epoch along the sized orbit."""
        t = np.asarray(t_s, dtype=np.float64)
        o = self.orbit
        r = j2.positions_teme_m(o.semi_major_axis_m, o.inclination_rad, o.raan_rad, o.arg_latitude_rad, t)
        assert isinstance(r, np.ndarray)  # without velocities
        r = r[0]
        grid = TimeGrid.from_duration(self.epoch, 1.0, 1.0)
        return illuminated_fraction(r, sun_position_teme_m(grid.jd_tt(t)))

    def bus_power_w(self, lit_fraction: np.ndarray, end_of_life: bool = True) -> np.ndarray:
        """Array bus power (after conditioning) at the given lit fractions, end of life at aphelion by default."""
        c = self.chain
        return power.power_breakdown(
            self.array_area_m2,
            c.cell_efficiency,
            c.packing_factor,
            sun_distance_m=AU_M * (1.0 + _EARTH_ECCENTRICITY),
            illuminated_fraction=lit_fraction,
            years_in_orbit=self.design_life_years if end_of_life else 0.0,
            degradation_per_year=c.degradation_per_year,
            cell_temperature_k=c.cell_temperature_k,
            conditioning_efficiency=c.conditioning_efficiency,
        ).conditioned_w

    def rows(self) -> list[tuple[str, float, str, str]]:
        """(item, value, unit, source) for display."""
        c, m, s = self.chain, self.masses, self.masses.SOURCES
        kg = self.mass_kg
        smad = "SMAD (Wertz & Larson 1999) §11.4 eq. 11-5"
        rows: list[tuple[str, float, str, str]] = [
            (
                "orbit",
                self.altitude_m / 1e3,
                "km",
                f"{self.orbit_label}, i={math.degrees(self.inclination_rad):.2f} deg",
            ),
            ("payload GPUs", float(self.gpus), self.gpu or "-", "Payload.power_per_accelerator_w (TDP + host share)"),
            (
                "compute load",
                self.compute_w / 1e3,
                "kW",
                f"spacecraft.payload: {self.gpu or 'GPU'} TDP + host share 0.82 x TDP (the DGX H100's ratio)"
                if self.gpu
                else "given compute load",
            ),
            (
                "housekeeping load",
                self.housekeeping_w / 1e3,
                "kW",
                f"{c.housekeeping_fraction:.0%} of compute: assumption",
            ),
            ("nodal period (J2)", self.period_s / 60.0, "min", "astro.j2.nodal_period_s"),
            ("worst eclipse (shadow integral)", self.worst_shadow_s / 60.0, "min", "astro.survey, 1 yr at 30 s"),
            ("eclipses per year", float(self.eclipses_per_year), "-", "astro.survey, 1 yr at 30 s"),
            ("array power EOL, sunlit", self.array_eol_w / 1e3, "kW", f"{smad}, +{self.margins.power:.0%} margin"),
            (
                "array EOL areal power",
                self.array_w_per_m2_eol,
                "W/m2",
                f"power.power_breakdown: {c.cell_efficiency:.0%} cells, {c.packing_factor:.0%} packing, aphelion, "
                f"{c.degradation_per_year:.1%}/yr x {self.design_life_years:g} yr, "
                f"cells {c.cell_temperature_k - 273.15:.0f} C",
            ),
            ("array area", self.array_area_m2, "m2", "EOL power / EOL areal power"),
            ("array BOL rating (1 AU, 28 C)", self.array_bol_w / 1e3, "kW", "area x eff x packing x 1361 W/m2"),
            ("battery EOL capacity", self.battery_eol_capacity_wh / 1e3, "kWh", f"set by {self.battery_driver}"),
            ("sunlit fraction (year)", self.sunlit_fraction, "-", "astro.survey, 1 yr at 30 s"),
            (
                "availability (power)",
                self.availability,
                "-",
                "fraction of the year the array and EOL battery carry the full load (powered_fraction)",
            ),
            (
                "battery nominal capacity",
                self.battery_capacity_wh / 1e3,
                "kWh",
                "EOL + life fade (battery.py fade/cycle)",
            ),
            ("radiator heat load", self.heat_load_w / 1e3, "kW", f"bus load + PCU loss, +{self.margins.radiator:.0%}"),
            (
                "radiator area (2-sided)",
                self.radiator_area_m2,
                "m2",
                f"thermal.radiator_area_m2 at {self.radiator_temperature_k:.0f} K, Z-93, edge-on to nadir and Sun",
            ),
            (
                "shielding",
                self.shielding_mm_al,
                "mm Al",
                "bisection on radiation.dose_rate_rad_s" if self.dose_target_rad_per_year is not None else "given",
            ),
            ("dose behind shielding", self.dose_rad_per_year, "rad(Si)/yr", "AP8MIN+AE8MAX, 1 day at 60 s"),
            (
                "shielded enclosure area",
                self.shielded_area_m2,
                "m2",
                f"8-{self.gpu or 'GPU'} servers as stacked DGX H100-size chassis boxes: assumption",
            ),
            ("mass: payload", kg["payload"], "kg", s["payload_kg_per_gpu"]),
            ("mass: solar array", kg["array"], "kg", f"{m.array_w_per_kg:g} W/kg: {s['array_w_per_kg']}"),
            ("mass: battery", kg["battery"], "kg", f"{m.battery_wh_per_kg:g} Wh/kg: {s['battery_wh_per_kg']}"),
            ("mass: radiator", kg["radiator"], "kg", f"{m.radiator_kg_per_m2:g} kg/m2: {s['radiator_kg_per_m2']}"),
            ("mass: shielding", kg["shielding"], "kg", "2.70 g/cm3 x thickness x enclosure area"),
            (
                "mass: bus",
                kg["bus"],
                "kg",
                f"{m.bus_fraction_of_dry_mass:.0%} of dry mass: {s['bus_fraction_of_dry_mass']}",
            ),
            ("mass: margin", kg["margin"], "kg", f"{self.margins.mass:.0%} of dry mass: assumption"),
            ("mass: total (dry)", self.dry_mass_kg, "kg", "sum of the above"),
        ]
        b, p = self.budget, self.propulsion
        if p is not None:
            rows += [
                (
                    "atmospheric density",
                    b.density_kg_m3,
                    "kg/m3",
                    f"Vallado Table 8-4 exponential atmosphere x {p.solar_activity_factor:g} (solar cycle: ~100x)",
                ),
                (
                    "delta-v: station keeping",
                    b.delta_v_station_keeping_m_s,
                    "m/s",
                    f"drag rho v^2/(2B) x {self.design_life_years:g} yr, B = {b.ballistic_coefficient_kg_m2:.3g} kg/m2",
                ),
                (
                    "delta-v: deorbit",
                    b.delta_v_deorbit_m_s,
                    "m/s",
                    f"tangential burn to a {p.deorbit_perigee_altitude_m / 1e3:g} km perigee",
                ),
                (
                    "mass: propellant, station keeping",
                    kg["propellant_station_keeping"],
                    "kg",
                    f"rocket equation, Isp {p.isp_s:g} s",
                ),
                ("mass: propellant, deorbit", kg["propellant_deorbit"], "kg", f"rocket equation, Isp {p.isp_s:g} s"),
            ]
        rows += [
            ("mass: total at launch", kg["total"], "kg", "dry + propellant (economics.mass)"),
            ("specific mass", self.kg_per_kw, "kg/kW", "launched mass / compute kW"),
        ]
        for label, lo, hi in PUBLISHED_KG_PER_KW:
            rows.append(
                (
                    "published: " + label,
                    lo if lo == hi else (lo + hi) / 2,
                    "kg/kW",
                    f"docs/sources.md dispute 4 ({lo:g}-{hi:g})" if lo != hi else "docs/sources.md dispute 4",
                )
            )
        return rows


def _orbit(
    altitude_m: float, orbit: str, ltan_hours: float | None, inclination_deg: float | None, epoch: _dt.datetime
) -> tuple[CircularOrbits, str]:
    a = EARTH_EQUATORIAL_RADIUS_M + altitude_m
    if orbit == "sun_synchronous":
        if ltan_hours is None:
            raise ValueError("a sun_synchronous orbit needs ltan_hours")
        inc = sun_synchronous_inclination_rad(altitude_m)
        jd, fr = TimeGrid.from_duration(epoch, 1.0, 1.0).epoch_jd
        raan = raan_from_ltan_rad(ltan_hours, float(frames.gmst_rad(jd, fr)), fr * 24.0)
        label = f"SSO LTAN {ltan_hours:g} h"
    elif orbit == "inclined":
        if inclination_deg is None:
            raise ValueError("an inclined orbit needs inclination_deg")
        inc, raan, label = math.radians(inclination_deg), 0.0, f"circular {inclination_deg:g} deg, node 0"
    else:
        raise ValueError(f"orbit must be 'sun_synchronous' or 'inclined', not {orbit!r}")
    arr = np.array
    return CircularOrbits(arr([a]), arr([inc]), arr([raan]), arr([0.0]), arr([0], dtype=np.int32)), label


def _annual_dose_rad(mm: float, lat: np.ndarray, lon: np.ndarray, h: np.ndarray) -> float:
    return float(np.mean(radiation.dose_rate_rad_s(lat, lon, h, mm)) * SECONDS_PER_YEAR)


def _track_geodetic(orbit: CircularOrbits, epoch: _dt.datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid = TimeGrid.from_duration(epoch, 86_400.0, 60.0)
    t = grid.t_s
    r = j2.positions_teme_m(orbit.semi_major_axis_m, orbit.inclination_rad, orbit.raan_rad, orbit.arg_latitude_rad, t)
    assert isinstance(r, np.ndarray)  # without velocities
    jd, fr = grid.jd_utc(t)
    return frames.ecef_to_geodetic(frames.teme_to_ecef(r, jd, fr)[0])


def shielding_for_dose(
    orbit: CircularOrbits,
    epoch: _dt.datetime,
    target_rad_per_year: float,
    lo_mm: float = 1.0,
    hi_mm: float = 50.0,
    tol_mm: float = 0.01,
) -> tuple[float, float]:
    """Thinnest Al sphere (mm, within ``tol_mm``) whose orbit-averaged dose meets the target; (mm, rad/yr).

    Returns ``lo_mm`` when even that meets the target; ValueError when ``hi_mm`` does not.
    """
    lat, lon, h = _track_geodetic(orbit, epoch)

    def dose(mm: float) -> float:
        return _annual_dose_rad(mm, lat, lon, h)

    if dose(lo_mm) <= target_rad_per_year:
        return lo_mm, dose(lo_mm)
    if dose(hi_mm) > target_rad_per_year:
        raise ValueError(f"{hi_mm:g} mm Al gives {dose(hi_mm):.0f} rad/yr, above the target {target_rad_per_year:g}")
    while hi_mm - lo_mm > tol_mm:
        mid = 0.5 * (lo_mm + hi_mm)
        lo_mm, hi_mm = (mid, hi_mm) if dose(mid) > target_rad_per_year else (lo_mm, mid)
    return hi_mm, dose(hi_mm)


def powered_fraction(shadow_s: np.ndarray, carried_s: float, span_s: float) -> float:
    """Fraction of ``span_s`` during which the power system carries the full load.

    ``shadow_s`` holds each shadow passage's shadow integral (the time-weighted hidden fraction of the solar disc, so
    a penumbra counts in part: ``astro.survey``), ``carried_s`` how long the battery's usable end-of-life energy
    carries the load (``C_eol DoD eta_d / P_load``). The part of a passage beyond ``carried_s`` is time the load
    cannot run, so ``1 - sum(max(0, T_e,i - carried_s)) / span``. The array is assumed to recharge the battery
    between passages (sizing checks the charge rate). With no battery this is the sunlit fraction of the span
    (docs/sources.md §5's terminator-orbit 0.98 is a rule of thumb for it on a dawn-dusk orbit; the survey gives
    0.960 at 650 km over 2027-28); a battery sized for the worst passage makes it 1.
    """
    short = np.clip(np.asarray(shadow_s, dtype=np.float64) - carried_s, 0.0, None)
    return float(1.0 - short.sum() / span_s)


def size_satellite(
    *,
    compute_power_w: float | None = None,
    gpu: str | None = "H100",
    gpus: int | None = None,
    altitude_m: float = 650e3,
    orbit: str = "sun_synchronous",
    ltan_hours: float | None = 18.0,
    inclination_deg: float | None = None,
    epoch: _dt.datetime = DEFAULT_EPOCH,
    radiator_temperature_k: float = 330.0,
    dose_target_rad_per_year: float | None = None,
    shielding_mm_al: float | None = None,
    design_life_years: float = DEFAULT_LIFE_YEARS,
    margins: Margins = Margins(),
    chain: PowerChain = PowerChain(),
    masses: SpecificMasses = _MASSES,
    shielded_area_m2: float | None = None,
    propulsion: Propulsion | None = _PROPULSION,
) -> Sizing:
    """Size a compute satellite (see the module docstring).

    Load: ``gpus`` of catalog model ``gpu`` (TDP + host share each, ``spacecraft.payload``), or ``compute_power_w``
    rounded up to whole GPUs of ``gpu``; with ``gpu=None`` the load is ``compute_power_w`` and the payload mass is
    scaled from the DGX H100 (130.45 kg per 10.2 kW). Orbit: ``"sun_synchronous"`` at ``ltan_hours`` or
    ``"inclined"`` at ``inclination_deg``. Shielding: ``dose_target_rad_per_year`` (bisection) or
    ``shielding_mm_al`` (default 10 mm, Suncatcher §2.3). ``shielded_area_m2`` overrides the enclosure assumption.
    Propellant for drag make-up and deorbit per ``propulsion`` (``economics.mass``); ``None`` leaves it out.
    """
    # --- load
    if gpu is not None:
        from orbitgrid.scenario.catalog import gpu_models

        model = gpu_models()[gpu]
        pl = Payload(gpu, 1, model.tdp_w, model.bf16_dense_flops, model.hbm_gb)
        if gpus is None:
            if compute_power_w is None:
                raise ValueError("give gpus or compute_power_w")
            gpus = math.ceil(compute_power_w / pl.power_per_accelerator_w - 1e-9)
        compute_w = gpus * pl.power_per_accelerator_w
        payload_kg = gpus * masses.payload_kg_per_gpu
        n_servers = math.ceil(gpus / DGX_H100_GPUS)
    else:
        if compute_power_w is None:
            raise ValueError("without a gpu model give compute_power_w")
        gpus, compute_w = 0, float(compute_power_w)
        payload_kg = compute_w * DGX_H100_MASS_KG / DGX_H100_POWER_W
        n_servers = math.ceil(compute_w / DGX_H100_POWER_W)
    housekeeping_w = chain.housekeeping_fraction * compute_w
    load_w = compute_w + housekeeping_w

    # --- orbit and eclipses over a year
    if not 0.0 < altitude_m <= radiation.SHELL_ALTITUDE_MAX_KM * 1e3:
        raise ValueError(
            f"altitude {altitude_m / 1e3:g} km is outside 0-{radiation.SHELL_ALTITUDE_MAX_KM:g} km, where the "
            "trapped-radiation table sizes the shielding"
        )
    orb, label = _orbit(altitude_m, orbit, ltan_hours, inclination_deg, epoch)
    period_s = float(j2.nodal_period_s(orb.semi_major_axis_m, orb.inclination_rad)[0])
    survey = survey_circular(orb, TimeGrid.from_duration(epoch, 365.0 * 86_400.0, 30.0))
    shadows = survey.passages["shadow_s"]
    if shadows.size:
        k = int(np.argmax(shadows))
        t_e = float(shadows[k])
        start = survey.passages["penumbra_entry_s"][k]
        worst_start = float(start) if np.isfinite(start) else float(survey.passages["entry_s"][k])
        span = survey.passages["penumbra_exit_s"][k] - start
        t_shade = float(span) if np.isfinite(span) else t_e
    else:
        t_e, worst_start, t_shade = 0.0, 0.0, 0.0
    n_ecl = int(survey.eclipses[0])
    bmin, bmax = float(survey.beta_min_rad[0]), float(survey.beta_max_rad[0])
    beta_min_abs = 0.0 if bmin <= 0.0 <= bmax else min(abs(bmin), abs(bmax))
    t_d = period_s - t_e

    # --- array: SMAD eq. 11-5 at end of life
    eta = chain.conditioning_efficiency
    x_d, x_e = eta, eta * chain.charge_efficiency * chain.discharge_efficiency
    p_sa = (load_w * t_e / x_e + load_w * t_d / x_d) / t_d * (1.0 + margins.power)
    per_m2 = float(
        power.array_power_w(
            1.0,
            chain.cell_efficiency,
            chain.packing_factor,
            sun_distance_m=AU_M * (1.0 + _EARTH_ECCENTRICITY),
            years_in_orbit=design_life_years,
            degradation_per_year=chain.degradation_per_year,
            cell_temperature_k=chain.cell_temperature_k,
        )
    )
    if not per_m2 > 0.0:  # degradation over the life leaves nothing (e.g. --life-years 1e9)
        raise ValueError(
            f"the solar array delivers no power after {design_life_years:g} years at "
            f"{chain.degradation_per_year:g}/year degradation: give a shorter design life"
        )
    area = p_sa / per_m2
    bol_w = float(power.array_power_w(area, chain.cell_efficiency, chain.packing_factor))

    # --- battery
    e_cell_wh = load_w * t_e / 3600.0 / chain.discharge_efficiency
    need = {
        "eclipse energy / DoD": e_cell_wh / chain.depth_of_discharge,
        "discharge C-rate": load_w / chain.max_discharge_c_rate_per_h / 1.0,
        "charge C-rate": (
            e_cell_wh / chain.charge_efficiency / ((period_s - t_shade) / 3600.0) / chain.max_charge_c_rate_per_h
            if t_e > 0
            else 0.0
        ),
    }
    if t_e <= 0.0:
        need = {"no eclipse": 0.0}
    driver = max(need, key=lambda key: need[key])
    c_eol = need[driver] * (1.0 + margins.battery)
    c_bol = c_eol + chain.fade_per_equivalent_cycle * n_ecl * design_life_years * e_cell_wh
    # How long the usable end-of-life energy carries the full load through a shadow (the availability below).
    carried_s = c_eol * chain.depth_of_discharge * chain.discharge_efficiency * 3600.0 / load_w

    # --- radiator
    heat_w = (load_w / eta) * (1.0 + margins.radiator)
    env = thermal.RadiatorEnvironment(
        faces=2,
        cos_sun=0.0,
        earth_view_factor=float(thermal.panel_earth_view_factor(altitude_m)),
        cos_sun_zenith_subsatellite=math.cos(beta_min_abs),
        solar_flux_w_m2=float(thermal.solar_flux_w_m2(AU_M * (1.0 - _EARTH_ECCENTRICITY))),
    )
    rad_area = float(thermal.radiator_area_m2(heat_w, radiator_temperature_k, env))

    # --- shielding
    if dose_target_rad_per_year is not None:
        if shielding_mm_al is not None:
            raise ValueError("give dose_target_rad_per_year or shielding_mm_al, not both")
        mm, dose = shielding_for_dose(orb, epoch, dose_target_rad_per_year)
    else:
        mm = radiation.DEFAULT_SHIELDING_MM_AL if shielding_mm_al is None else float(shielding_mm_al)
        dose = _annual_dose_rad(mm, *_track_geodetic(orb, epoch))
    if shielded_area_m2 is None:
        shielded_area_m2 = server_enclosure_area_m2(n_servers)

    # --- mass budget (economics.mass)
    budget = mass_budget(
        payload_kg=payload_kg,
        array_bol_w=bol_w,
        battery_wh=c_bol,
        radiator_area_m2=rad_area,
        shielding_mm_al=mm,
        shielded_area_m2=shielded_area_m2,
        array_area_m2=area,
        altitude_m=altitude_m,
        design_life_years=design_life_years,
        masses=masses,
        margin_fraction=margins.mass,
        propulsion=propulsion,
    )
    kg = dict(budget.kg)
    kg["total"] = budget.total_kg

    return Sizing(
        gpu=gpu,
        gpus=gpus,
        compute_w=compute_w,
        housekeeping_w=housekeeping_w,
        altitude_m=altitude_m,
        inclination_rad=float(orb.inclination_rad[0]),
        orbit_label=label,
        epoch=epoch,
        design_life_years=design_life_years,
        radiator_temperature_k=radiator_temperature_k,
        chain=chain,
        masses=masses,
        margins=margins,
        orbit=orb,
        period_s=period_s,
        worst_shadow_s=t_e,
        worst_eclipse_start_s=worst_start,
        eclipses_per_year=n_ecl,
        beta_min_abs_rad=beta_min_abs,
        shadow_passages_s=np.asarray(shadows, dtype=np.float64),
        survey_span_s=float(survey.span_s),
        sunlit_fraction=float(survey.sunlit_fraction[0]),
        array_eol_w=p_sa,
        array_w_per_m2_eol=per_m2,
        array_area_m2=area,
        array_bol_w=bol_w,
        battery_eol_capacity_wh=c_eol,
        battery_capacity_wh=c_bol,
        battery_driver=driver,
        availability=powered_fraction(shadows, carried_s, survey.span_s),
        heat_load_w=heat_w,
        radiator_environment=env,
        radiator_area_m2=rad_area,
        shielding_mm_al=mm,
        dose_rad_per_year=dose,
        dose_target_rad_per_year=dose_target_rad_per_year,
        shielded_area_m2=shielded_area_m2,
        mass_kg=kg,
        budget=budget,
        propulsion=propulsion,
    )


@dataclass(frozen=True)
class FleetDesign:
    """A fleet sized for a compute requirement: the satellite, how many, how they fly, and what they cost against
    the same GPUs on the ground (``economics``)."""

    requirement_w: float
    sizing: Sizing
    satellites: int
    case: CostCase
    result: CaseResult

    @property
    def installed_compute_w(self) -> float:
        return self.satellites * self.sizing.compute_w

    def rows(self) -> list[tuple[str, float, str, str]]:
        """(item, value, unit, source) of the fleet, for display."""
        o, g, s = self.result.orbit, self.result.ground, self.sizing
        lp = self.case.orbit.launch
        price = (
            "learning curve"
            if lp.learning is not None
            else f"${lp.price_usd_per_kg:,.0f}/kg"
            if lp.price_usd_per_kg is not None
            else "per launch"
        )
        return [
            ("requirement", self.requirement_w / 1e6, "MW", "compute (GPUs + host share)"),
            ("satellites", float(self.satellites), "-", f"ceil(requirement / {s.compute_w / 1e3:,.1f} kW each)"),
            ("GPUs", float(self.satellites * s.gpus), s.gpu or "-", f"{s.gpus} per satellite"),
            ("installed compute", self.installed_compute_w / 1e6, "MW", "satellites x compute per satellite"),
            ("satellite mass at launch", s.total_mass_kg, "kg", f"{s.kg_per_kw:.1f} kg/kW (economics.mass)"),
            ("fleet mass", o.facts["fleet_mass_kg"] / 1e3, "t", "satellites x launched mass"),
            (
                "launches",
                o.facts["launches"],
                lp.vehicle.name,
                f"{o.facts['satellites_per_launch']:.0f} satellites per {lp.vehicle.payload_kg / 1e3:g} t launch",
            ),
            (
                "deployment",
                o.facts["deployment_years"],
                "yr",
                "no cadence limit"
                if math.isinf(lp.max_launches_per_year)
                else f"at most {lp.max_launches_per_year:g} launches/yr",
            ),
            ("launch price, mean", o.facts["launch_usd_per_kg_mean"], "$/kg", price),
            ("capex, orbit", sum(o.totals_usd(o.capex_lines).values()) / 1e9, "$B", "hardware+launch+NRE+insurance"),
            ("orbit $/GPU-hour", o.usd_per_gpu_hour, "$", f"levelized, {o.gpu_hours_source} GPU-hours"),
            ("ground $/GPU-hour", g.usd_per_gpu_hour, "$", "same GPUs, McCalip on-site gas build"),
            ("orbit / ground", self.result.ratio_orbit_to_ground, "x", "cost per delivered GPU-hour"),
        ]


#: Longest deployment ``size_fleet`` prices (years): the cash flows are laid out year by year.
MAX_DEPLOYMENT_YEARS = 1000


def size_fleet(
    power_w: float,
    *,
    satellite_power_w: float = 100e3,
    gpu: str = "H100",
    altitude_m: float = 650e3,
    orbit: str = "sun_synchronous",
    ltan_hours: float | None = 18.0,
    inclination_deg: float | None = None,
    design_life_years: float = DEFAULT_LIFE_YEARS,
    vehicle: str = "Starship",
    price_usd_per_kg: float | None = None,
    max_launches_per_year: float = math.inf,
    discount_rate: float = DEFAULT_DISCOUNT_RATE,
    **size_kwargs: Any,
) -> FleetDesign:
    """Size a fleet for ``power_w`` of compute: one satellite of ~``satellite_power_w`` by :func:`size_satellite`,
    as many as the requirement needs (whole satellites), launched on a catalog ``vehicle`` (its catalog price per
    kg unless ``price_usd_per_kg``), priced by ``economics.tco`` against the same GPUs on the ground
    (``economics.terrestrial``, McCalip's on-site gas build), with the sizing's availability (step 7 of the module
    docstring). Other inputs at the ``economics`` defaults."""
    from orbitgrid.scenario.catalog import launch_vehicles

    if power_w <= 0 or satellite_power_w <= 0:
        raise ValueError("power_w and satellite_power_w must be > 0")
    vehicles = launch_vehicles()
    if vehicle not in vehicles:
        raise ValueError(f"unknown launch vehicle {vehicle!r}; known: {', '.join(vehicles)}")
    lv = vehicles[vehicle]
    sizing = size_satellite(
        compute_power_w=min(satellite_power_w, power_w),
        gpu=gpu,
        altitude_m=altitude_m,
        orbit=orbit,
        ltan_hours=ltan_hours,
        inclination_deg=inclination_deg,
        design_life_years=design_life_years,
        **size_kwargs,
    )
    n = math.ceil(power_w / sizing.compute_w - 1e-9)
    from orbitgrid.scenario.base import MAX_SATELLITES

    if n > MAX_SATELLITES:
        raise ValueError(
            f"{power_w / 1e6:,.6g} MW at {sizing.compute_w / 1e3:,.6g} kW a satellite needs {n:,} satellites, more "
            f"than the {MAX_SATELLITES:,} a scenario may fly: ask for less power or larger satellites"
        )
    per_launch = math.floor(float(lv.payload_leo_kg) / sizing.total_mass_kg)
    if per_launch >= 1 and math.ceil(n / per_launch) / max_launches_per_year > MAX_DEPLOYMENT_YEARS:
        raise ValueError(
            f"{math.ceil(n / per_launch):,} launches at {max_launches_per_year:g} a year take more than "
            f"{MAX_DEPLOYMENT_YEARS:,} years to deploy: allow more launches a year"
        )
    sat = SatelliteSpec(
        gpus=sizing.gpus,
        compute_w=sizing.compute_w,
        array_bol_w=sizing.array_bol_w,
        mass_kg=sizing.total_mass_kg,
        deorbit_propellant_kg=sizing.mass_kg["propellant_deorbit"],
        mass_items_kg={k: v for k, v in sizing.mass_kg.items() if k != "total"},
    )
    if gpu is not None:
        from orbitgrid.scenario.catalog import gpu_models

        sat = dataclasses.replace(sat, flops_per_gpu=gpu_models()[gpu].bf16_dense_flops)
    launch = LaunchPlan(
        vehicle=LaunchVehicle(lv.name, float(lv.payload_leo_kg), None, bool(lv.reusable)),
        price_usd_per_kg=float(lv.price_usd_per_kg) if price_usd_per_kg is None else price_usd_per_kg,
        max_launches_per_year=max_launches_per_year,
    )
    orbit_in = OrbitInputs(
        satellites=n,
        satellite=sat,
        launch=launch,
        design_life_years=design_life_years,
        discount_rate=discount_rate,
        availability=sizing.availability,
    )
    ground_in = GroundInputs(
        gpus=n * sat.gpus,
        it_w_per_gpu=sat.compute_w / sat.gpus if sat.gpus else sat.compute_w,
        flops_per_gpu=sat.flops_per_gpu,
        life_years=design_life_years,
        discount_rate=discount_rate,
    )
    case = CostCase(orbit_in, ground_in, label=f"{power_w / 1e6:g} MW of {gpu} at {altitude_m / 1e3:g} km")
    return FleetDesign(power_w, sizing, n, case, evaluate_case(case))
