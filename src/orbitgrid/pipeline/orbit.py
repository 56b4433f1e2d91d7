"""Orbit study of a scenario: build every shell's orbits, survey sunlight and shadow, and reduce to tables.

This is where scenario models become plain arrays: designed shells become ``CircularOrbits`` for the J2 kernel,
element files become an ``ElementSet`` for SGP4. A formation shell is surveyed through its clusters' reference
orbits: members sit within ``radius_km`` of the centre, which shifts their shadow instants by at most
``R / v`` (0.13 s for R = 1 km in LEO), so every member shares its cluster's passages.

Large designed shells (``SYMMETRY_MIN_TRACKS`` tracks or more, at least ``2 * REFS_PER_PLANE`` per plane) are
surveyed through the time-shift symmetry of their planes (``astro.survey.survey_shell_references``): a few reference
tracks per plane are surveyed and every track's passages are derived by shifting them in time; the shell keeps the
reference survey (``ShellSurvey.shifted``) so capacity can bin straight from it.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from orbitgrid.astro import constellations as con
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, SECONDS_PER_DAY
from orbitgrid.astro.elements import DuplicateCatalogNumber, ElementSet, deduplicate
from orbitgrid.astro.j2 import keplerian_period_s, nodal_period_s, secular_rates, semi_major_axis_m
from orbitgrid.astro.sgp4_adapter import REENTRY_ALTITUDE_M
from orbitgrid.astro.survey import (
    PASSAGE_COLUMNS,
    REFS_PER_PLANE,
    ShiftedShell,
    Survey,
    expand_shifted,
    sun_on_grid_m,
    survey_circular,
    survey_elements,
    survey_shell_references,
)
from orbitgrid.pipeline.errors import ScenarioRunError
from orbitgrid.scenario import ElementsOrbit, FormationOrbit, Scenario, Shell, SunSynchronousOrbit, WalkerOrbit


@dataclass(frozen=True)
class ShellOrbits:
    """The orbits of one shell: ``circular`` (designed, J2 path) or ``elements`` (SGP4 path).

    ``tracks`` orbits are propagated; each stands for ``members`` satellites (the cluster size for formations).
    An element shell keeps its file (``source``) and the catalogue numbers it held more than once (``duplicates``;
    only the latest epoch of each is propagated, ``astro.elements.deduplicate``).
    """

    name: str
    kind: str
    members: int
    circular: con.CircularOrbits | None = None
    elements: ElementSet | None = None
    source: str | None = None
    duplicates: tuple[DuplicateCatalogNumber, ...] = ()

    @property
    def tracks(self) -> int:
        return len(self.circular) if self.circular is not None else len(self.elements or ())

    @property
    def satellites(self) -> int:
        return self.tracks * self.members


def shell_orbits(scenario: Scenario, shell: Shell) -> ShellOrbits:
    """Build the orbits of ``shell`` at the scenario epoch."""
    orbit = shell.orbit
    grid = scenario.time_grid()
    if isinstance(orbit, WalkerOrbit | SunSynchronousOrbit):
        return ShellOrbits(shell.name, orbit.type, 1, circular=orbit.pattern(grid).orbits())
    if isinstance(orbit, FormationOrbit):
        return ShellOrbits(shell.name, orbit.type, orbit.per_cluster, circular=orbit.pattern(grid).orbits())
    if isinstance(orbit, ElementsOrbit):  # read when the scenario was validated; one rule for duplicates
        elements, duplicates = deduplicate(orbit.elements)
        return ShellOrbits(
            shell.name, orbit.type, 1, elements=elements, source=str(orbit.file), duplicates=tuple(duplicates)
        )
    raise TypeError(f"unknown orbit spec {type(orbit).__name__}")


#: The geometry keys of a shell's summary (orbit.json), in order.
GEOMETRY_KEYS = (
    "mean_altitude_km_min",
    "mean_altitude_km_max",
    "inclination_deg_min",
    "inclination_deg_max",
    "nodal_period_s_mean",
    "nodal_period_s_min",
    "nodal_period_s_max",
    "keplerian_period_s_mean",
    "nodal_drift_deg_per_day_mean",
)


def _shell_geometry_stats(orbits: ShellOrbits) -> dict[str, float]:
    """Altitude, inclination, periods and node drift of a shell, the same way for designed shells and element sets.

    Both kinds carry mean elements: a designed shell's semi-major axis is the J2 kernel's mean ``a`` (its altitude
    above the equatorial radius is the scenario's ``altitude_km``); an element set's is the Brouwer mean ``a`` SGP4
    initialises from the TLE/OMM mean motion (``no_unkozai``). So the altitudes are *mean* altitudes,
    ``a - R_eq`` (not the osculating or geodetic height, which swings by about +-10 km of short-period J2 terms and
    up to 21 km of Earth flattening around the orbit), and both periods come from the same ``a``, ``i`` and ``e``:
    the nodal period from the first-order J2 secular rates (``astro.j2.nodal_period_s``), the Keplerian period
    from ``a`` alone. Satellites SGP4 could not initialise have no mean elements and are left out (all NaN if none
    is left); they count in ``tracks_failed``.
    """
    if orbits.circular is not None:
        c = orbits.circular
        a = c.semi_major_axis_m
        inc_rad = c.inclination_rad
        ecc: np.ndarray | float = 0.0
    else:
        assert orbits.elements is not None
        e = orbits.elements
        e = e.subset(np.flatnonzero(e.init_error == 0))  # SGP4 could not initialise the others: no mean elements
        if len(e) == 0:
            return dict.fromkeys(GEOMETRY_KEYS, math.nan)
        a = semi_major_axis_m(e.mean_motion_brouwer_rad_s)
        inc_rad = e.inclination_rad
        ecc = e.eccentricity
    alt_km = (a - EARTH_EQUATORIAL_RADIUS_M) / 1e3
    inc = np.degrees(inc_rad)
    nodal = nodal_period_s(a, inc_rad, ecc)
    raan_dot = secular_rates(a, inc_rad, ecc)[0]
    values = (
        np.min(alt_km),
        np.max(alt_km),
        np.min(inc),
        np.max(inc),
        np.mean(nodal),
        np.min(nodal),
        np.max(nodal),
        np.mean(keplerian_period_s(a)),
        np.degrees(np.mean(raan_dot)) * SECONDS_PER_DAY,
    )
    return {k: float(v) for k, v in zip(GEOMETRY_KEYS, values, strict=True)}


#: Most lost satellites a shell's summary names one by one (all are counted).
MAX_LISTED_LOST = 1_000


class ElementSetLostError(ScenarioRunError):
    """No satellite of an element set flies the whole run (SGP4 cannot propagate it, or it re-enters)."""


def lost_satellites(orbits: ShellOrbits, survey: Survey, epoch: _dt.datetime | None) -> list[dict[str, Any]]:
    """The satellites of an element shell lost during the run (SGP4 failed or they re-entered), in order of loss:
    catalogue number, name, error code and its meaning, and the first failing instant (seconds after the scenario
    epoch and UTC)."""
    from orbitgrid.astro.sgp4_adapter import ERROR_MEANINGS

    if orbits.elements is None:
        return []
    lost = np.flatnonzero(survey.lost)
    order = lost[np.argsort(survey.failed_s[lost], kind="stable")]
    out = []
    for i in order.tolist():
        t = float(survey.failed_s[i])
        code = int(survey.failure_code[i])
        out.append(
            {
                "catalog_number": int(orbits.elements.catalog_numbers[i]),
                "name": orbits.elements.names[i],
                "error_code": code,
                "error": ERROR_MEANINGS.get(code, f"SGP4 error {code}"),
                "failed_s": t,
                "failed_utc": None
                if epoch is None
                else (epoch + _dt.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
        )
    return out


#: Designed shells with fewer tracks are surveyed track by track (exact, and under ~0.5 s at a day of 60 s steps).
SYMMETRY_MIN_TRACKS = 20_000


@dataclass(frozen=True)
class ShellSurvey:
    """A shell's survey; ``shifted`` holds the reference tracks it was derived from when the symmetry was used."""

    orbits: ShellOrbits
    survey: Survey
    shifted: ShiftedShell | None = None
    epoch: _dt.datetime | None = None  # the scenario epoch (UTC instants of lost satellites; None: not given)

    @property
    def lost(self) -> list[dict[str, Any]]:
        """The satellites SGP4 lost during the run (:func:`lost_satellites`); empty for designed shells."""
        return lost_satellites(self.orbits, self.survey, self.epoch)

    def summary(self) -> dict[str, float | int | str]:
        """Orbit and sunlight statistics over the tracks that flew the whole window (``tracks_failed`` did not); an
        element shell adds ``satellites_lost``, ``lost_satellites`` (the first ``MAX_LISTED_LOST`` by time of loss),
        ``duplicate_catalog_numbers`` and ``element_sets_dropped``."""
        s = self.survey
        ok = s.valid
        dur = s.eclipse_duration_s
        hidden = (dur > 0) & ok[s.track]  # passages of tracks that flew the whole window, as every statistic here
        out: dict[str, float | int | str] = {
            "kind": self.orbits.kind,
            "satellites": self.orbits.satellites,
            "tracks": self.orbits.tracks,
            "members_per_track": self.orbits.members,
            "tracks_failed": int(np.count_nonzero(~ok)),
        }
        if self.orbits.elements is not None:
            lost = self.lost
            out["satellites_lost"] = len(lost)
            out["lost_satellites"] = lost[:MAX_LISTED_LOST]  # type: ignore[assignment]
            out["duplicate_catalog_numbers"] = [d.to_dict() for d in self.orbits.duplicates]  # type: ignore[assignment]
            out["element_sets_dropped"] = sum(len(d.dropped) for d in self.orbits.duplicates)
        out.update(_shell_geometry_stats(self.orbits))
        frac = s.sunlit_fraction[ok]
        days = s.span_s / SECONDS_PER_DAY
        out.update(
            {
                "sunlit_fraction_mean": float(np.mean(frac)) if frac.size else math.nan,
                "sunlit_fraction_min": float(np.min(frac)) if frac.size else math.nan,
                "sunlit_fraction_max": float(np.max(frac)) if frac.size else math.nan,
                "eclipses_total": int(np.sum(s.eclipses[ok]) * self.orbits.members),
                "eclipses_per_satellite_day": float(np.mean(s.eclipses[ok]) / days) if frac.size else math.nan,
                "eclipsed_satellites_fraction": float(np.mean(s.eclipses[ok] > 0)) if frac.size else math.nan,
                "longest_eclipse_s": float(np.max(dur[hidden])) if np.any(hidden) else 0.0,
                "beta_deg_min": float(np.degrees(np.min(s.beta_min_rad[ok]))) if frac.size else math.nan,
                "beta_deg_max": float(np.degrees(np.max(s.beta_max_rad[ok]))) if frac.size else math.nan,
            }
        )
        return out

    def passage_columns(self) -> dict[str, np.ndarray]:
        """Per-passage table columns (the shell name is added by the writer)."""
        s = self.survey
        cols: dict[str, np.ndarray] = {"track": s.track.astype(np.int32)}
        if self.orbits.elements is not None:
            cols["catalog_number"] = np.asarray(self.orbits.elements.catalog_numbers)[s.track].astype(np.int64)
        else:
            cols["catalog_number"] = np.full(s.track.shape, -1, dtype=np.int64)
        cols["satellites"] = np.full(s.track.shape, self.orbits.members, dtype=np.int32)
        for name in PASSAGE_COLUMNS:
            # Instants stay float64 (microseconds over years); durations fit float32 (0.2 ms at 2,000 s).
            cols[name] = s.passages[name].astype(np.float32) if name == "shadow_s" else s.passages[name]
        cols["duration_s"] = s.eclipse_duration_s.astype(np.float32)
        cols["truncated"] = s.truncated
        return cols


def _use_symmetry(circ: con.CircularOrbits, symmetry: bool | None) -> bool:
    if symmetry is False:
        return False
    n_planes = np.unique(circ.plane).size
    enough = len(circ) >= 2 * REFS_PER_PLANE * n_planes
    return enough if symmetry else enough and len(circ) >= SYMMETRY_MIN_TRACKS


def survey_shells(
    scenario: Scenario,
    *,
    centre_only: bool = False,
    symmetry: bool | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ShellSurvey]:
    """Survey every shell of ``scenario``; ``progress(shell, done, total)`` is called as chunks finish.

    ``symmetry``: None (default) uses the time-shift symmetry for designed shells of at least
    ``SYMMETRY_MIN_TRACKS`` tracks and ``2 * REFS_PER_PLANE`` tracks per plane; True for every designed shell with
    that many per plane; False never (every track surveyed).
    """
    grid = scenario.time_grid()
    sun = sun_on_grid_m(grid)
    out = []
    for shell in scenario.shells:
        orbits = shell_orbits(scenario, shell)
        done = [0]

        def tick(n: int, _name: str = shell.name, _total: int = orbits.tracks, _done: list[int] = done) -> None:
            _done[0] += n
            if progress is not None:
                progress(_name, _done[0], _total)

        tick(0)  # the shell starts (its first chunk may take a while: propagation, or a first compile)
        shifted = None
        if orbits.circular is not None:
            if _use_symmetry(orbits.circular, symmetry):
                shifted = survey_shell_references(orbits.circular, grid, sun, centre_only=centre_only)
            if shifted is not None:
                survey = expand_shifted(shifted, orbits.circular, grid, sun)
                tick(orbits.tracks)
            else:
                survey = survey_circular(orbits.circular, grid, sun, centre_only=centre_only, progress=tick)
        else:
            assert orbits.elements is not None
            survey = survey_elements(orbits.elements, grid, sun, progress=tick)
            if survey.lost.all():
                raise ElementSetLostError(_all_lost_message(shell.name, orbits, survey, scenario.epoch))
        out.append(ShellSurvey(orbits, survey, shifted, scenario.epoch))
    return out


def _all_lost_message(shell: str, orbits: ShellOrbits, survey: Survey, epoch: _dt.datetime) -> str:
    lost = lost_satellites(orbits, survey, epoch)
    codes: dict[str, int] = {}
    for x in lost:
        key = f"error {x['error_code']} ({x['error']})"
        codes[key] = codes.get(key, 0) + 1
    first = lost[0]
    return (
        f"{orbits.source}: none of the {len(lost):,} satellites of shell {shell!r} flies the run (SGP4 cannot "
        f"propagate them, or they re-enter: {'; '.join(f'{n:,} x {k}' for k, n in codes.items())}; the first, "
        f"{first['catalog_number']} {first['name']}, at {first['failed_utc']}). Use element sets that propagate "
        "from the scenario epoch to its end (eccentricity below 1, positive mean motion, perigee above the "
        f"{REENTRY_ALTITUDE_M / 1e3:.2f} km entry interface; epochs near the scenario's)."
    )
