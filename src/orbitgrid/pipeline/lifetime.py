"""Lifetime and station-keeping table of a scenario's shells (``orbitgrid lifetime``).

For each shell: the design's satellite (``pipeline.economics.satellite_spec``: its dry mass, deorbit propellant and
drag area ``economics.mass.Propulsion.drag_area``, ``C_D`` 2.2), the orbit-averaged NRLMSIS 2.1 density at the
shell's altitude and inclination (sun-synchronous shells at their LTAN) under the solar-activity scenarios of
``astro.atmosphere.SCENARIOS``, and from ``astro.lifetime``:

- natural lifetime from the operating altitude of a satellite that stops at the end of its mission still carrying
  its deorbit propellant (mass ``dry + deorbit propellant``), at solar minimum, mean and maximum;
- Δv per year to hold the altitude at each, and the station-keeping propellant over the design life at the cycle
  mean: the mass budget's (``economics.mass.mass_budget`` with ``Propulsion.density_kg_m3`` set to NRLMSIS's mean;
  the rocket equation on the dry mass with the deorbit burn flown last);
- deorbit Δv to the scenario's disposal perigee, and compliance with the FCC's 5-year rule: passively when the
  lifetime at solar mean is at most 5 years, else by the deorbit burn (which the budget carries).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from orbitgrid.astro import atmosphere as atm
from orbitgrid.astro import lifetime as lt
from orbitgrid.economics.mass import Propulsion, propellant_mass_kg
from orbitgrid.errors import InputError
from orbitgrid.pipeline.economics import _altitude_m, satellite_spec
from orbitgrid.pipeline.orbit import shell_orbits

if TYPE_CHECKING:
    from orbitgrid.economics.tco import SatelliteSpec
    from orbitgrid.scenario import Scenario
    from orbitgrid.scenario.models import Shell

#: Solar-activity scenarios of the table's lifetime and Δv columns.
ACTIVITY_COLUMNS = ("min", "mean", "max")


@dataclass(frozen=True)
class ShellLifetime:
    """One row of the table (units in the names; lifetimes ``inf`` beyond ``max_years``)."""

    shell: str
    altitude_km: float
    inclination_deg: float
    ltan_hours: float | None
    dry_mass_kg: float
    drag_area_m2: float
    area_to_mass_m2_kg: float  # C_D A / m of the dead satellite (dry + deorbit propellant)
    density_kg_m3: dict[str, float]
    lifetime_years: dict[str, float]
    hold_delta_v_m_s_per_year: dict[str, float]
    design_life_years: float
    station_keeping_delta_v_m_s: float
    station_keeping_propellant_kg: float
    deorbit_delta_v_m_s: float
    deorbit_propellant_kg: float
    passive_disposal: bool
    fcc_5yr_compliant: bool

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        for k in ("lifetime_years",):
            d[k] = {a: (None if math.isinf(v) else v) for a, v in self.lifetime_years.items()}
        return d


def _orbit_geometry(scenario: Scenario, shell: Shell) -> tuple[float, float, float | None]:
    """Altitude (m), inclination (rad) and LTAN (h, sun-synchronous shells) of the shell's mean orbit."""
    altitude = _altitude_m(shell, scenario)
    orbits = shell_orbits(scenario, shell)
    if orbits.circular is not None:
        inc = float(np.mean(orbits.circular.inclination_rad))
    else:
        assert orbits.elements is not None
        inc = float(np.mean(orbits.elements.inclination_rad))
    ltan = getattr(shell.orbit, "ltan_hours", None)
    return altitude, inc, (float(ltan) if ltan is not None else None)


def drag_properties(
    scenario: Scenario, shell: Shell, density_kg_m3: float | None = None
) -> tuple[SatelliteSpec, float, float]:
    """The shell's satellite (mass budget at ``density_kg_m3``), its dry mass (kg) and its drag area (m²)."""
    spec, _ = satellite_spec(scenario, shell, density_kg_m3=density_kg_m3)
    sk_prop = float(spec.mass_items_kg.get("propellant_station_keeping", 0.0))
    dry = spec.mass_kg - spec.deorbit_propellant_kg - sk_prop
    area = Propulsion().drag_area(scenario.design_for(shell).solar_array.area_m2)
    return spec, dry, area


class OutsideAtmosphereError(InputError):
    """The shell's mean altitude is outside the density profile (:data:`atmosphere.PROFILE_ALTITUDES_M`)."""


def shell_lifetime(scenario: Scenario, shell: Shell, max_years: float = 200.0) -> ShellLifetime:
    """The table row of ``shell`` (module docstring); :class:`OutsideAtmosphereError` for a shell (an element set)
    whose mean altitude lies outside the atmosphere model's 100-2,100 km profile."""
    econ = scenario.economics
    altitude, inc, ltan = _orbit_geometry(scenario, shell)
    lo, hi = float(atm.PROFILE_ALTITUDES_M[0]), float(atm.PROFILE_ALTITUDES_M[-1])
    if not lo <= altitude <= hi:
        raise OutsideAtmosphereError(
            f"shell {shell.name!r}: mean altitude {altitude / 1e3:,.0f} km is outside the atmosphere model's "
            f"{lo / 1e3:,.0f}-{hi / 1e3:,.0f} km profile, so no drag lifetime is computed for it"
        )
    profiles = {a: atm.density_profile(a, inc, ltan, max_altitude_m=altitude) for a in ACTIVITY_COLUMNS}
    rho = {a: float(p(altitude)) for a, p in profiles.items()}
    spec, dry, area = drag_properties(scenario, shell, rho["mean"])
    items = spec.mass_items_kg
    sk_prop = float(items.get("propellant_station_keeping", 0.0))
    prop = Propulsion(isp_s=econ.isp_s)
    cda_m = prop.drag_coefficient * area / (dry + spec.deorbit_propellant_kg)
    life = {  # a constant solar scenario: the decay equation's quadrature (astro.lifetime), no time integration
        a: lt.steady_lifetime_years(altitude, cda_m, p, p.altitude_m, max_years=max_years) for a, p in profiles.items()
    }
    cda_dry = prop.drag_coefficient * area / dry
    hold = {a: lt.hold_delta_v_m_s(r, altitude, cda_dry, 1.0) for a, r in rho.items()}
    dv_sk = hold["mean"] * econ.design_life_years
    dv_d = lt.deorbit_delta_v_m_s(altitude, econ.deorbit_perigee_km * 1e3)
    if "propellant_station_keeping" not in items:  # a design with a given bus mass: the budget's split here
        sk_prop = propellant_mass_kg(dry, dv_sk + dv_d, econ.isp_s) - propellant_mass_kg(dry, dv_d, econ.isp_s)
    passive = life["mean"] <= lt.FCC_DISPOSAL_YEARS
    return ShellLifetime(
        shell=shell.name,
        altitude_km=altitude / 1e3,
        inclination_deg=math.degrees(inc),
        ltan_hours=ltan,
        dry_mass_kg=dry,
        drag_area_m2=area,
        area_to_mass_m2_kg=cda_m,
        density_kg_m3=rho,
        lifetime_years=life,
        hold_delta_v_m_s_per_year=hold,
        design_life_years=econ.design_life_years,
        station_keeping_delta_v_m_s=dv_sk,
        station_keeping_propellant_kg=sk_prop,
        deorbit_delta_v_m_s=dv_d,
        deorbit_propellant_kg=spec.deorbit_propellant_kg,
        passive_disposal=passive,
        fcc_5yr_compliant=passive or spec.deorbit_propellant_kg > 0.0,
    )


def lifetime_table(scenario: Scenario, max_years: float = 200.0) -> list[ShellLifetime]:
    """:func:`shell_lifetime` of every shell of the scenario's fleet."""
    return [shell_lifetime(scenario, s, max_years) for s in scenario.fleet.shells]


#: The run file of the table (written by ``simulate`` with cost.json, by ``orbitgrid report`` into a run that lacks
#: it; read by the report).
LIFETIME_FILE = "lifetime.json"


def lifetime_document(scenario: Scenario, max_years: float = 200.0) -> dict[str, object]:
    """The table of every designed shell as a JSON document (``rows``: :meth:`ShellLifetime.to_dict`, as
    ``orbitgrid lifetime --json`` writes them) with the solar-activity drivers of its columns, the disposal rule and
    ``max_years``; a shell the mass budget cannot price (``CostInputError``, e.g. an element set with no orbit
    left) or whose mean altitude lies outside the atmosphere model (``OutsideAtmosphereError``: an element set far
    above 2,100 km) is named in ``skipped`` with the reason."""
    from orbitgrid.pipeline.economics import CostInputError

    rows: list[dict[str, object]] = []
    skipped: dict[str, str] = {}
    for shell in scenario.fleet.shells:
        try:
            rows.append(shell_lifetime(scenario, shell, max_years).to_dict())
        except (CostInputError, OutsideAtmosphereError) as why:
            skipped[shell.name] = str(why)
    return {
        "scenario": scenario.name,
        "max_years": max_years,
        "fcc_disposal_years": lt.FCC_DISPOSAL_YEARS,
        "activity": {
            a: {
                "f107_sfu": atm.SCENARIOS[a].f107_sfu,
                "f107a_sfu": atm.SCENARIOS[a].f107a_sfu,
                "ap_daily": atm.SCENARIOS[a].ap[0],
                "description": atm.SCENARIOS[a].description,
            }
            for a in ACTIVITY_COLUMNS
        },
        "rows": rows,
        "skipped": skipped,
    }


__all__ = [
    "ACTIVITY_COLUMNS",
    "LIFETIME_FILE",
    "TABLE_HEADERS",
    "OutsideAtmosphereError",
    "ShellLifetime",
    "lifetime_document",
    "lifetime_table",
    "shell_lifetime",
    "table_rows",
]


def _years(x: float) -> str:
    if math.isinf(x):
        return "> max"
    return f"{x * 365.25:.0f} d" if x < 1.0 else f"{x:.3g} yr"


#: Column headers of :func:`table_rows`.
TABLE_HEADERS = (
    "shell",
    "alt km",
    "C_D A/m m2/kg",
    "life min",
    "life mean",
    "life max",
    "dv/yr min",
    "dv/yr mean",
    "dv/yr max",
    "SK prop kg",
    "deorbit dv",
    "deorbit prop kg",
    "5-yr rule",
)


def table_rows(rows: list[ShellLifetime]) -> list[tuple[str, ...]]:
    """Display strings of the lifetime table, one tuple per shell (``TABLE_HEADERS``; Δv in m/s)."""
    out = []
    for r in rows:
        rule = "passive" if r.passive_disposal else ("deorbit burn" if r.fcc_5yr_compliant else "NO")
        out.append(
            (
                r.shell,
                f"{r.altitude_km:.0f}",
                f"{r.area_to_mass_m2_kg:.3g}",
                *(_years(r.lifetime_years[a]) for a in ACTIVITY_COLUMNS),
                *(f"{r.hold_delta_v_m_s_per_year[a]:.3g}" for a in ACTIVITY_COLUMNS),
                f"{r.station_keeping_propellant_kg:.3g}",
                f"{r.deorbit_delta_v_m_s:.0f}",
                f"{r.deorbit_propellant_kg:.3g}",
                rule,
            )
        )
    return out
