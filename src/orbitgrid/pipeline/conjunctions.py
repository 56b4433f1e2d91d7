"""Conjunction screening of a scenario's fleet, and of the fleet against an element-set catalogue
(``orbitgrid conjunctions``).

Every shell becomes a source of ``astro.conjunctions``: designed shells on the J2 propagator, formation shells as
their clusters' members (whitelisted within each cluster), element-set shells and the catalogue on SGP4. Writes
``conjunctions.parquet`` (one row per closest approach below the threshold) and ``conjunctions.json`` (the summary:
counts, minimum separation within and between shells, the manoeuvre estimate and the screening's figures).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from orbitgrid.astro import conjunctions as cj
from orbitgrid.astro.constants import SECONDS_PER_DAY
from orbitgrid.astro.constellations import formation_lattice_m
from orbitgrid.astro.elements import ElementSet, deduplicate, load_elements
from orbitgrid.pipeline.errors import ScenarioRunError
from orbitgrid.pipeline.orbit import shell_orbits
from orbitgrid.scenario.models import FormationOrbit

if TYPE_CHECKING:
    from orbitgrid.results import RunWriter
    from orbitgrid.scenario import Scenario

#: Default screening threshold, km: the 5 km sphere of CelesTrak SOCRATES and of ESA cascade's week-of-LEO example
#: (docs/sources.md §7).
DEFAULT_THRESHOLD_KM = 5.0
#: Separations above this are reported as "above" (the exact minimum costs ~U^2 in a shell): 50 km, ten times the
#: default threshold.
MIN_SEPARATION_HORIZON_M = 50_000.0
#: Name of the catalogue's shell in the outputs.
CATALOGUE = "catalogue"
#: Rows per row group of ``conjunctions.parquet``.
PARQUET_ROWS = 1_000_000


@dataclass
class ConjunctionStudy:
    """A screening of one scenario: the population, the conjunctions and the minimum separations."""

    scenario: str
    epoch: _dt.datetime
    population: cj.Population
    names: list[str]
    result: cj.Conjunctions
    min_sep_m: np.ndarray
    min_sep_tca_s: np.ndarray
    fleet_satellites: int
    catalogue_satellites: int

    def manoeuvres(self) -> dict[str, float]:
        """``astro.conjunctions.manoeuvres_per_day`` for the fleet: each conjunction counts once per fleet object
        in it, per fleet satellite per day; the reference rate is the catalogue's among itself (both ends)."""
        days = self.result.duration_s / SECONDS_PER_DAY
        cat = np.array(self.population.catalogue)[self.population.shell_of]
        fleet_hits = np.count_nonzero(~cat[self.result.i]) + np.count_nonzero(~cat[self.result.j])
        ref = None
        if self.catalogue_satellites and fleet_hits:  # no fleet conjunction in the span: no rate to scale
            ref = 2.0 * self.result.catalogue_pairs / self.catalogue_satellites / days
        return cj.manoeuvres_per_day(self.fleet_satellites, fleet_hits / days, ref or None)

    def summary(self) -> dict[str, Any]:
        r = self.result
        shells = self.population.names
        sep = [
            {
                "shell_a": shells[a],
                "shell_b": shells[b],
                "min_separation_m": float(self.min_sep_m[a, b]) if math.isfinite(self.min_sep_m[a, b]) else None,
                "tca_s": float(self.min_sep_tca_s[a, b]) if math.isfinite(self.min_sep_tca_s[a, b]) else None,
            }
            for a in range(len(shells))
            for b in range(a, len(shells))
            if not (self.population.catalogue[a] and self.population.catalogue[b])
        ]
        return {
            "scenario": self.scenario,
            "epoch": self.epoch.isoformat(),
            "duration_s": r.duration_s,
            "step_s": r.step_s,
            "min_separation_horizon_m": MIN_SEPARATION_HORIZON_M,
            "thresholds_m": dict(zip(shells, self.population.thresholds_m, strict=True)),
            "fleet_satellites": self.fleet_satellites,
            "catalogue_satellites": self.catalogue_satellites,
            "conjunctions": len(r),
            "pairs": int(np.unique(r.i * max(len(self.population), 1) + r.j).size),
            "catalogue_catalogue_conjunctions": r.catalogue_pairs,
            "search_radius_m": r.search_radius_m,
            "speed_bound_m_s": r.speed_bound_m_s,
            "candidate_pair_steps": r.n_candidates,
            "min_separation": sep,
            "manoeuvres": self.manoeuvres(),
        }

    def columns(self, rows: slice = slice(None)) -> dict[str, np.ndarray]:
        """The ``conjunctions.parquet`` columns of the conjunctions ``rows`` (default: all)."""
        r = self.result
        i, j = r.i[rows], r.j[rows]
        shell_of = self.population.shell_of
        names = np.array(self.names, dtype=object)
        shells = np.array(self.population.names, dtype=object)
        epoch = np.datetime64(self.epoch.replace(tzinfo=None), "us")
        tca_utc = epoch + np.round(r.tca_s[rows] * 1e6).astype("timedelta64[us]")
        return {
            "object_a": names[i].astype(str),
            "object_b": names[j].astype(str),
            "shell_a": shells[shell_of[i]].astype(str),
            "shell_b": shells[shell_of[j]].astype(str),
            "tca_utc": tca_utc,
            "tca_s": r.tca_s[rows],
            "miss_m": r.miss_m[rows],
            "rel_speed_m_s": r.rel_speed_m_s[rows],
        }

    def write(self, writer: RunWriter) -> None:
        """``conjunctions.parquet`` in row groups of :data:`PARQUET_ROWS` (the name columns of a million-satellite
        day would not fit in memory at once) and ``conjunctions.json``."""
        n = len(self.result)
        parts = (self.columns(slice(a, a + PARQUET_ROWS)) for a in range(0, max(n, 1), PARQUET_ROWS))
        writer.table_stream("conjunctions.parquet", parts)
        writer.json("conjunctions.json", self.summary())


def _thresholds(scenario: Scenario, thresholds_km: Mapping[str, float], default_km: float) -> dict[str, float]:
    names = [s.name for s in scenario.fleet.shells] + [CATALOGUE]
    unknown = sorted(set(thresholds_km) - set(names))
    if unknown:
        raise ScenarioRunError(
            f"--threshold-km names {', '.join(unknown)}: not a shell of scenario {scenario.name} "
            f"(shells: {', '.join(names)})"
        )
    out = {}
    for name in names:
        km = thresholds_km.get(name, default_km)
        if not (math.isfinite(km) and 0.0 < km <= 1_000.0):
            raise ScenarioRunError(f"--threshold-km for {name}: {km} is not in (0, 1000] km")
        out[name] = km * 1e3
    return out


def build_population(
    scenario: Scenario,
    thresholds_km: Mapping[str, float] | None = None,
    default_threshold_km: float = DEFAULT_THRESHOLD_KM,
    catalogue: ElementSet | None = None,
) -> tuple[cj.Population, list[str]]:
    """The scenario's fleet (and ``catalogue``) as a screening population, and one name per object."""
    thr = _thresholds(scenario, thresholds_km or {}, default_threshold_km)
    epoch = scenario.time_grid().epoch
    pop = cj.Population()
    names: list[str] = []
    for shell in scenario.fleet.shells:
        orbits = shell_orbits(scenario, shell)
        if isinstance(shell.orbit, FormationOrbit):
            assert orbits.circular is not None
            lattice = formation_lattice_m(shell.orbit.per_cluster, shell.orbit.radius_km * 1e3)
            src: cj.CircularSource | cj.FormationSource | cj.ElementSource = cj.FormationSource(
                orbits.circular, lattice
            )
            m = shell.orbit.per_cluster
            names += [f"{shell.name}/{c}.{k}" for c in range(len(orbits.circular)) for k in range(m)]
        elif orbits.circular is not None:
            src = cj.CircularSource(orbits.circular)
            names += [f"{shell.name}/{k}" for k in range(len(orbits.circular))]
        else:
            assert orbits.elements is not None
            src = cj.ElementSource(orbits.elements, epoch)
            names += _element_names(orbits.elements)
        pop.add(shell.name, src, thr[shell.name])
    if catalogue is not None:
        pop.add(CATALOGUE, cj.ElementSource(catalogue, epoch), thr[CATALOGUE], catalogue=True)
        names += _element_names(catalogue)
    return pop, names


def _element_names(elements: ElementSet) -> list[str]:
    nums = [s.satnum for s in elements.satrecs]
    return [f"{(nm or '').strip() or 'NORAD'} {num}" for nm, num in zip(elements.names, nums, strict=True)]


def load_catalogue(path: str | Path) -> ElementSet:
    """An element-set file (TLE, OMM JSON or CSV) with duplicate catalogue numbers reduced to the latest epoch."""
    elements, _ = deduplicate(load_elements(path))
    return elements


#: Most screening steps one run takes (30 days at 0.26 s): the step times alone are 80 MB there.
MAX_SCREENING_STEPS = 10_000_000


def screen_scenario(
    scenario: Scenario,
    duration_s: float | None = None,
    step_s: float = 20.0,
    thresholds_km: Mapping[str, float] | None = None,
    default_threshold_km: float = DEFAULT_THRESHOLD_KM,
    catalogue: ElementSet | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ConjunctionStudy:
    """Screen the scenario's fleet (and ``catalogue``) over ``duration_s`` (default: the scenario's duration)."""
    duration = scenario.time_grid().duration_s if duration_s is None else duration_s
    if not (math.isfinite(duration) and 0.0 < duration <= 30 * SECONDS_PER_DAY):
        raise ScenarioRunError(f"--duration must be in (0, 30 days], got {duration} s")
    if not (math.isfinite(step_s) and 0.0 < step_s <= 600.0):
        raise ScenarioRunError(f"--step must be in (0, 600] s, got {step_s} s")
    if duration / step_s > MAX_SCREENING_STEPS:  # a 1e-9 s step asked numpy for 26 TiB of step times
        raise ScenarioRunError(
            f"--duration / --step is {duration / step_s:,.0f} steps, more than {MAX_SCREENING_STEPS:,}: give a "
            f"step of at least {duration / MAX_SCREENING_STEPS:.3g} s (closest approaches are refined inside each step)"
        )
    pop, names = build_population(scenario, thresholds_km, default_threshold_km, catalogue)
    if len(pop) - (len(catalogue) if catalogue is not None else 0) == 0:
        raise ScenarioRunError(f"scenario {scenario.name} has no orbital satellite to screen")
    try:
        result = cj.screen(pop, duration, step_s, progress=progress)
        fleet = _fleet_only(pop)
        # shell pairs with a conjunction have their exact minimum among the conjunctions: search only the others
        known = result if max(fleet.thresholds_m, default=0.0) <= MIN_SEPARATION_HORIZON_M else None
        sep, sep_t, _, _ = cj.min_separation(fleet, duration, step_s, MIN_SEPARATION_HORIZON_M, known=known)
    except cj.ScreeningError as exc:
        raise ScenarioRunError(f"scenario {scenario.name}: {exc}") from None
    n_cat = len(catalogue) if catalogue is not None else 0
    n_sh = len(pop.names)
    full_sep = np.full((n_sh, n_sh), np.inf)
    full_t = np.full((n_sh, n_sh), np.nan)
    k = sep.shape[0]
    full_sep[:k, :k], full_t[:k, :k] = sep, sep_t
    # fleet-catalogue minima: below the threshold they are the conjunctions themselves
    shell_of = pop.shell_of
    for i, j, miss, t in zip(result.i, result.j, result.miss_m, result.tca_s, strict=True):
        a, b = sorted((int(shell_of[i]), int(shell_of[j])))
        if b >= k and miss < full_sep[a, b]:
            full_sep[a, b] = full_sep[b, a] = miss
            full_t[a, b] = full_t[b, a] = t
    return ConjunctionStudy(
        scenario=scenario.name,
        epoch=scenario.time_grid().epoch,
        population=pop,
        names=names,
        result=result,
        min_sep_m=full_sep,
        min_sep_tca_s=full_t,
        fleet_satellites=len(pop) - n_cat,
        catalogue_satellites=n_cat,
    )


def _fleet_only(pop: cj.Population) -> cj.Population:
    out = cj.Population()
    for name, src, thr, cat, grp in zip(
        pop.names, pop.sources, pop.thresholds_m, pop.catalogue, pop.groups, strict=True
    ):
        if not cat:
            out.add(name, src, thr, group=grp)
    return out


def parse_thresholds(values: list[str]) -> tuple[float, dict[str, float]]:
    """``--threshold-km`` values: ``KM`` (every shell) or ``SHELL=KM`` (one shell; ``catalogue`` for the catalogue)."""
    default, per_shell = DEFAULT_THRESHOLD_KM, {}
    for v in values:
        name, _, km = v.rpartition("=")
        try:
            x = float(km)
        except ValueError:
            raise ScenarioRunError(f"--threshold-km {v!r}: expected KM or SHELL=KM with KM a number") from None
        if name:
            per_shell[name] = x
        else:
            default = x
    if not (math.isfinite(default) and 0.0 < default <= 1_000.0):
        raise ScenarioRunError(f"--threshold-km: {default} is not in (0, 1000] km")
    return default, per_shell


def table_rows(study: ConjunctionStudy) -> list[tuple[str, str]]:
    """The summary table the CLI prints: (quantity, value)."""
    s = study.summary()
    m = s["manoeuvres"]
    rows = [
        ("fleet satellites / catalogue objects", f"{s['fleet_satellites']:,} / {s['catalogue_satellites']:,}"),
        ("span, step", f"{s['duration_s'] / 3600:.3g} h, {s['step_s']:g} s"),
        ("thresholds, km", ", ".join(f"{k} {v / 1e3:g}" for k, v in s["thresholds_m"].items())),
        ("search radius (threshold + v_max h), km", f"{s['search_radius_m'] / 1e3:.1f}"),
        ("conjunctions / distinct pairs", f"{s['conjunctions']:,} / {s['pairs']:,}"),
    ]
    for row in s["min_separation"]:
        d = row["min_separation_m"]
        where = (
            "within " + row["shell_a"] if row["shell_a"] == row["shell_b"] else f"{row['shell_a']} - {row['shell_b']}"
        )
        text = (
            f"> {MIN_SEPARATION_HORIZON_M / 1e3:g} km"
            if d is None
            else f"{d / 1e3:,.3f} km at t = {row['tca_s']:,.0f} s"
        )
        if d is None and CATALOGUE in (row["shell_a"], row["shell_b"]):
            text = "above the threshold"
        rows.append((f"min separation {where}", text))
    rows.append(
        (
            "CA manoeuvres/day, Starlink's per-satellite rate",
            f"{m['baseline_per_day']:,.0f} ({m['starlink_per_satellite_day']:.3f}/sat/day x fleet)",
        )
    )
    if "encounter_scaled_per_day" in m:
        rows.append(
            (
                "CA manoeuvres/day, scaled by encounter rate",
                f"{m['encounter_scaled_per_day']:,.0f} (fleet {m['fleet_encounters_per_satellite_day']:.3g} vs "
                f"catalogue {m['reference_encounters_per_satellite_day']:.3g} conjunctions/sat/day)",
            )
        )
    return rows
