"""Designed shells whose satellites would be co-located (an error) or that fly the same orbit planes (a warning),
checked when a scenario is validated (``astro.colocation`` has the geometry; docs/design.md, 2026-12-07)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from orbitgrid.astro.colocation import (
    CLOSE_APPROACH_M,
    COINCIDENCE_TOLERANCE_M,
    Colocation,
    ShellLayout,
    find_colocations,
    orbit_offset_m,
    safest_phasing,
    same_orbit,
)
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.scenario.base import Found
from orbitgrid.scenario.errors import Problem
from orbitgrid.scenario.sections.orbits import FormationOrbit, SunSynchronousOrbit, WalkerOrbit

if TYPE_CHECKING:
    from orbitgrid.scenario.sections.root import Scenario

#: Largest plane count for which a better phasing is searched and suggested (planes^2 closed-form evaluations).
_SUGGEST_MAX_PLANES = 2000


def shell_layouts(scenario: Scenario) -> tuple[list[ShellLayout], list[int]]:
    """The designed shells' layouts at the epoch and their indices in ``fleet.shells`` (element shells are left
    out: their satellites are real objects on their own orbits, screened by ``orbitgrid conjunctions``)."""
    grid = scenario.time_grid()
    layouts, index = [], []
    for k, shell in enumerate(scenario.fleet.shells):
        orbit = shell.orbit
        if isinstance(orbit, WalkerOrbit | SunSynchronousOrbit):
            layouts.append(ShellLayout(shell.name, orbit.pattern(grid)))
        elif isinstance(orbit, FormationOrbit):
            layouts.append(ShellLayout(shell.name, orbit.pattern(grid), orbit.radius_km * 1e3))
        else:
            continue
        index.append(k)
    return layouts, index


def colocation_problems(scenario: Scenario) -> tuple[Found, list[Problem]]:
    """Errors (satellites that meet twice every orbit) and warnings (shells sharing orbit planes), each at the
    path of the later shell and naming the earlier one's."""
    layouts, index = shell_layouts(scenario)
    errors: Found = []
    warnings: list[Problem] = []
    for c in find_colocations(layouts):
        path = ("fleet", "shells", index[c.second], "orbit")
        if c.kind == "coincide":
            errors.append((path, _meet_message(scenario, layouts, index, c), layouts[c.second].name))
        elif c.kind == "close":
            warnings.append(Problem(_dotted(path), _meet_message(scenario, layouts, index, c)))
        else:
            warnings.append(Problem(_dotted(path), _shared_message(layouts, index, c)))
    return errors, warnings


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


def _distance(d_m: float) -> str:
    if d_m < COINCIDENCE_TOLERANCE_M:
        return "0 m"
    return f"{d_m:,.0f} m" if d_m < 1e3 else f"{d_m / 1e3:,.1f} km"


def _orbit_words(layout: ShellLayout) -> str:
    p = layout.pattern
    alt_km = (p.semi_major_axis_m - EARTH_EQUATORIAL_RADIUS_M) / 1e3
    return f"{alt_km:,.1f} km and {math.degrees(p.inclination_rad):.3f} deg"


def _unit(a: ShellLayout, b: ShellLayout, n: int) -> str:
    if a.envelope_m and b.envelope_m:
        kind = "cluster pair"
    elif a.envelope_m or b.envelope_m:
        kind = "satellite-cluster pair"
    else:
        kind = "satellite pair"
    return f"{n:,} {kind}{'' if n == 1 else 's'}"


def _how_close(a: ShellLayout, b: ShellLayout, c: Colocation) -> str:
    closest = f"closest approach {_distance(c.min_distance_m)}"
    occupied = a.envelope_m + b.envelope_m
    if not occupied:
        return closest
    if c.kind == "coincide":
        return f"{closest}, inside the {occupied / 1e3:g} km formation clusters' members occupy around their orbits"
    return (
        f"{closest} between the reference orbits, {_distance(c.min_distance_m - occupied)} outside the "
        f"{occupied / 1e3:g} km formation clusters' members occupy around them"
    )


def _meet_message(scenario: Scenario, layouts: list[ShellLayout], index: list[int], c: Colocation) -> str:
    a, b = layouts[c.first], layouts[c.second]
    node = f"nodes {abs(math.degrees(c.node_difference_rad)):.2f} deg apart"
    one = c.pairs == 1
    if c.kind == "coincide":
        what, verb = "are co-located", "meets" if one else "meet"
    else:
        # the limit the check applied: the close-approach distance beyond what formation clusters occupy
        what = f"pass within {_distance(CLOSE_APPROACH_M + a.envelope_m + b.envelope_m)} of each other"
        verb = "passes that close" if one else "pass that close"
    if c.first == c.second:
        msg = (
            f"{a.name}'s own satellites {what}: {_unit(a, b, c.pairs)} {verb} twice every orbit "
            f"({_how_close(a, b, c)}; first: planes {c.first_plane} and {c.second_plane}, {node}, reach their "
            f"crossing together); the shell flies one altitude and inclination ({_orbit_words(a)}), so the geometry "
            "repeats on every orbit"
        )
        return msg + _phasing_hint(scenario.fleet.shells[index[c.first]].orbit, a)
    where = _dotted(("fleet", "shells", index[c.first], "orbit"))
    if same_orbit(a.pattern, b.pattern):
        orbits = f"both fly at {_orbit_words(a)}, so the geometry repeats on every orbit"
    else:
        orbits = (
            f"they fly at {_orbit_words(a)} and {_orbit_words(b)}, {_distance(orbit_offset_m(a.pattern, b.pattern))} "
            "apart, so the geometry drifts only slowly from one orbit to the next"
        )
    return (
        f"{b.name} and {a.name} ({where}) {what}: {_unit(a, b, c.pairs)} {verb} twice every orbit "
        f"({_how_close(a, b, c)}; first: {a.name} plane {c.first_plane} and {b.name} plane {c.second_plane}, "
        f"{node}); {orbits}; give one shell another altitude, inclination, node or phasing"
    )


def _phasing_hint(orbit: object, layout: ShellLayout) -> str:
    """What phasing would do for a shell whose own satellites meet or pass close."""
    if not isinstance(orbit, WalkerOrbit | SunSynchronousOrbit):
        return "; change the number of clusters, planes or the node spread"
    if layout.pattern.planes > _SUGGEST_MAX_PLANES:
        return "; change the phasing, the number of planes or satellites per plane"
    f, d = safest_phasing(layout.pattern)
    if d < COINCIDENCE_TOLERANCE_M:
        return "; no phasing separates them: change the number of planes, satellites per plane or the node spread"
    return f"; the phasing that keeps them farthest apart is {f} ({_distance(d)})"


def _shared_message(layouts: list[ShellLayout], index: list[int], c: Colocation) -> str:
    a, b = layouts[c.first], layouts[c.second]
    where = _dotted(("fleet", "shells", index[c.first], "orbit"))
    return (
        f"{b.name} flies the same orbit planes as {a.name} ({where}): {c.pairs:,} plane pair"
        f"{'s share' if c.pairs != 1 else ' shares'} altitude, inclination and node ({_orbit_words(a)}; first: "
        f"{a.name} plane {c.first_plane} and {b.name} plane {c.second_plane}); their satellites interleave, closest "
        f"approach {_distance(c.min_distance_m)} on every orbit, and any change to either shell's phasing can "
        "co-locate them"
    )
