"""Formation report of a scenario's formation shells (``orbitgrid formation``).

For each ``formation`` shell: ``astro.formation.formation_report`` of one cluster (its members, radius, altitude and
sun-synchronous inclination), with drag from the orbit-averaged NRLMSIS density at the cycle mean at the shell's
LTAN and the ``C_D A / m`` of the shell's satellite (``pipeline.lifetime.drag_properties``: dry mass, ``C_D`` 2.2,
the design's drag area).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from orbitgrid.astro import atmosphere as atm
from orbitgrid.astro.formation import FormationReport, formation_report
from orbitgrid.economics.mass import Propulsion
from orbitgrid.pipeline.lifetime import drag_properties
from orbitgrid.pipeline.orbit import shell_orbits
from orbitgrid.scenario.models import FormationOrbit

if TYPE_CHECKING:
    from orbitgrid.scenario import Scenario


def formation_table(scenario: Scenario, orbits: int = 3) -> dict[str, FormationReport]:
    """Report per formation shell, by shell name (empty when the scenario has none)."""
    out: dict[str, FormationReport] = {}
    for shell in scenario.fleet.shells:
        orbit = shell.orbit
        if not isinstance(orbit, FormationOrbit):
            continue
        circ = shell_orbits(scenario, shell).circular
        assert circ is not None
        inc = float(np.mean(circ.inclination_rad))
        altitude = orbit.altitude_km * 1e3
        profile = atm.density_profile("mean", inc, orbit.ltan_hours)
        _, dry, area = drag_properties(scenario, shell, float(profile(altitude)))
        cdam = Propulsion().drag_coefficient * area / dry
        out[shell.name] = formation_report(
            orbit.per_cluster, orbit.radius_km * 1e3, altitude, inc, profile, cdam, orbits=orbits
        )
    return out


#: Rows of :func:`table_rows`: (label, attribute, format).
ROWS = (
    ("members", "members", "{:d}"),
    ("cluster radius, m", "radius_m", "{:.0f}"),
    ("lattice spacing, m", "spacing_m", "{:.1f}"),
    ("neighbour distance min / max, m", ("neighbour_min_m", "neighbour_max_m"), "{:.1f} / {:.1f}"),
    ("shape cycles per orbit", "shape_cycles_per_orbit", "{:d}"),
    ("HCW vs two-body, worst member, m (1 orbit)", "hcw_vs_two_body_m", "{:.3f}"),
    ("HCW vs two-body, neighbour distance, m", "hcw_vs_two_body_neighbour_m", "{:.3f}"),
    ("drift two-body, m/orbit", "drift_two_body_m_per_orbit", "{:.3f}"),
    ("drift J2, m/orbit", "drift_j2_m_per_orbit", "{:.2f}"),
    ("dv once to stop it, worst member, m/s", "delta_v_j2_once_m_s", "{:.3g}"),
    ("drift after that burn, J2 + drag, m/orbit", "drift_after_correction_m_per_orbit", "{:.3f}"),
    ("dv/yr re-nulling that every orbit, m/s", "delta_v_residual_m_s_per_year", "{:.3g}"),
    ("dv/yr per 1 % C_D A/m difference, m/s", "delta_v_drag_per_percent_m_s_per_year", "{:.3g}"),
)


def table_rows(report: FormationReport) -> list[tuple[str, str]]:
    """(label, value) display rows of one report."""
    rows = []
    for label, attr, fmt in ROWS:
        vals = [getattr(report, a) for a in ((attr,) if isinstance(attr, str) else attr)]
        text = "-" if any(isinstance(v, float) and math.isnan(v) for v in vals) else fmt.format(*vals)
        rows.append((label, text))
    return rows
