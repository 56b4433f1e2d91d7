"""The root of a scenario file: :class:`Scenario` (when, how long, at which step, and every section), the checks
across sections, and the warnings about element sets."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import AwareDatetime, Field, PrivateAttr, Strict, field_validator
from pydantic_core import InitErrorDetails

from orbitgrid.astro.constants import SECONDS_PER_DAY
from orbitgrid.astro.elements import epoch_offset_days, find_duplicates
from orbitgrid.astro.sgp4_adapter import codes_at_epoch, summarize_codes
from orbitgrid.astro.time import TimeGrid, parse_duration_s
from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import (
    EPOCH_YEARS,
    MAX_SATELLITES,
    MAX_SEED,
    MAX_STEPS,
    Bounds,
    DurationS,
    Found,
    SafeName,
    SchemaVersion,
    StrictModel,
    _error,
    fmt_number,
)
from orbitgrid.scenario.colocation import colocation_problems
from orbitgrid.scenario.errors import Problem
from orbitgrid.scenario.messages import _friendly
from orbitgrid.scenario.sections.design import SatelliteDesign
from orbitgrid.scenario.sections.economics import Economics
from orbitgrid.scenario.sections.environment import EnvironmentSpec
from orbitgrid.scenario.sections.fleet import Fleet, GroundSite, Shell
from orbitgrid.scenario.sections.network import NetworkSpec, _link_step_checks, _station_providers
from orbitgrid.scenario.sections.orbits import ElementsOrbit
from orbitgrid.scenario.sections.policy import PolicySpec
from orbitgrid.scenario.sections.series import _SeriesFile
from orbitgrid.scenario.sections.tenants import Tenant
from orbitgrid.scenario.sections.workloads import WorkloadSpec
from orbitgrid.scenario.series import SeriesError


class Scenario(StrictModel):
    """One orbitgrid run: when, how long, at which step, and the fleet. ``schema_version`` must be 1."""

    schema_version: SchemaVersion = Field(description="Version of this file format; must be 1.")
    name: SafeName = Field(
        description="Scenario name; names the run folder runs/<name>: ASCII letters, digits, '.', '_', '-'."
    )
    description: str = Field(default="", description="Free text.")
    epoch: AwareDatetime = Field(
        description="Start time, ISO 8601 with a timezone, e.g. 2027-03-20T00:00:00Z; stored in UTC."
    )
    duration: DurationS = Field(
        description="Simulated span, e.g. 24h, 1h30m, 90min, 60s, 7d or seconds; stored as seconds."
    )
    step: DurationS = Field(description="Time step, same forms as duration; duration must be a whole number of steps.")
    seed: Annotated[int, Strict(), Bounds(0, MAX_SEED, why="seeds are stored as int64")] = Field(
        default=0, description="Random seed, 0 to 2^63-1."
    )
    designs: dict[str, SatelliteDesign] = Field(
        default={},
        description=("Satellite designs by name; they add to the design catalog and replace entries of the same name."),
    )
    fleet: Fleet = Field(description="Shells and ground sites.")
    tenants: list[Tenant] = Field(default=[], description="Customers of the compute service.")
    workloads: list[WorkloadSpec] = Field(default=[], description="Jobs and services the tenants run.")
    policy: PolicySpec = Field(default=PolicySpec(), description="Scheduling policy.")
    economics: Economics = Field(default=Economics(), description="Cost model inputs (orbitgrid cost).")
    environment: EnvironmentSpec = Field(
        default=EnvironmentSpec(),
        description="Solar-cycle phase and solar particle events (galactic cosmic rays and event upsets).",
    )
    network: NetworkSpec | None = Field(
        default=None,
        description="Links between satellites, to gateways and to users; null (the default): no link model, every "
        "node reaches the ground at no latency.",
    )

    _source_dir: Path | None = PrivateAttr(default=None)
    _warnings: list[Problem] = PrivateAttr(default_factory=list)

    @field_validator("epoch", mode="before")
    @classmethod
    def _no_unix_time(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise _error(
                "unix_time",
                "must be a date and time with a timezone, e.g. 2027-03-20T00:00:00Z, got the number "
                f"{fmt_number(v)} (numbers are not read as Unix times)",
            )
        return v

    @field_validator("epoch")
    @classmethod
    def _to_utc(cls, v: _dt.datetime) -> _dt.datetime:
        return v.astimezone(_dt.UTC)

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        found: Found = []
        try:
            duration_s, step_s = parse_duration_s(data["duration"]), parse_duration_s(data["step"])
        except (KeyError, TypeError, ValueError):
            duration_s = step_s = math.nan
        if math.isfinite(duration_s) and math.isfinite(step_s) and duration_s > 0 and step_s > 0:
            ratio = duration_s / step_s
            n = round(ratio) if math.isfinite(ratio) else 0
            if ratio > MAX_STEPS:
                msg = (
                    f"{ratio:,.0f} steps of {fmt_number(step_s)} s is too many: at most {MAX_STEPS:,} steps per run "
                    "(lengthen step or shorten duration)"
                )
                found.append((("duration",), msg, data["duration"]))
            elif n < 1 or abs(n * step_s - duration_s) > 1e-6 * step_s:
                msg = (
                    f"must be a whole number of steps of {fmt_number(step_s)} s, "
                    f"got {fmt_number(duration_s)} s ({ratio:.6g} steps)"
                )
                found.append((("duration",), msg, data["duration"]))
        found += _link_step_checks(data.get("network"), step_s)
        raw_designs = data.get("designs")
        known = set(catalog.designs()) | (set(map(str, raw_designs)) if isinstance(raw_designs, Mapping) else set())
        fleet = data.get("fleet")
        shells = fleet.get("shells") if isinstance(fleet, Mapping) else None
        for i, shell in enumerate(shells if isinstance(shells, list) else []):
            design = shell.get("design") if isinstance(shell, Mapping) else None
            if isinstance(design, str) and design not in known:
                msg = f"unknown design {design!r}; known designs: {', '.join(sorted(known))}"
                found.append((("fleet", "shells", i, "design"), msg, design))
        tenants = data.get("tenants")
        names = [t.get("name") for t in tenants if isinstance(t, Mapping)] if isinstance(tenants, list) else []
        seen_t: set[str] = set()
        for i, name in enumerate(names):
            if isinstance(name, str) and name in seen_t:
                found.append((("tenants", i, "name"), f"duplicate tenant name {name!r}", name))
            if isinstance(name, str):
                seen_t.add(name)
        workloads = data.get("workloads")
        for i, w in enumerate(workloads if isinstance(workloads, list) else []):
            tenant = w.get("tenant") if isinstance(w, Mapping) else None
            if isinstance(tenant, str) and tenant not in seen_t:
                allowed = ", ".join(sorted(seen_t)) or "none: add a tenants list"
                found.append((("workloads", i, "tenant"), f"unknown tenant {tenant!r}; tenants: {allowed}", tenant))
        return found

    @classmethod
    def _detail(cls, err: Mapping[str, Any]) -> InitErrorDetails:
        """The scenario is the root: errors get orbitgrid's wording and paths here (see ``_friendly``)."""
        loc, msg = _friendly(cls, err)
        return InitErrorDetails(type=_error(err["type"], msg), loc=loc, input=err.get("input"))

    @classmethod
    def _finish(cls, model: Any, context: Mapping[str, Any]) -> Any:
        base = context.get("base_dir")
        model._source_dir = Path(base).resolve() if base is not None else None
        found: Found = []
        first, last = EPOCH_YEARS
        end = model.epoch + _dt.timedelta(seconds=model.duration)
        if model.epoch.year < first or end > _dt.datetime(last, 1, 1, tzinfo=_dt.UTC):
            msg = (
                f"the run must lie within {first}-{last}, where the analytic Sun (Meeus) is valid; got "
                f"{model.epoch:%Y-%m-%d} to {end:%Y-%m-%d}"
            )
            found.append((("epoch",), msg, model.epoch.isoformat()))
        sizes = [(i, shell.orbit.n_satellites) for i, shell in enumerate(model.fleet.shells)]
        total = sum(n for _, n in sizes)
        if total > MAX_SATELLITES:
            biggest = max(sizes, key=lambda x: x[1])[0]
            msg = (
                f"the fleet has {total:,} satellites; at most {MAX_SATELLITES:,} (10x the largest constellation "
                "filed, SpaceX's 1,000,000-satellite application)"
            )
            found.append((("fleet", "shells", biggest, "orbit"), msg, total))
        for i, site in enumerate(model.fleet.ground_sites):
            for key in ("power_price_usd_per_kwh", "carbon_g_per_kwh"):
                ref = getattr(site, key)
                if isinstance(ref, _SeriesFile):
                    try:
                        ref.shift_s(model.epoch, model.duration)
                    except SeriesError as exc:
                        found.append((("fleet", "ground_sites", i, key), exc.message, str(ref.file)))
        net = model.network
        named = net is not None and bool(net.gateways.stations or net.gateways.providers)
        if net is not None and not named and not (net.gateways.beside_ground_sites and model.fleet.ground_sites):
            why = "beside_ground_sites is false" if model.fleet.ground_sites else "the fleet has no ground sites"
            msg = (
                f"no gateways: {why}; name catalog stations (stations) or providers (providers: "
                f"{', '.join(_station_providers())})"
            )
            found.append((("network", "gateways"), msg, None))
        spe = model.environment.solar_particle_event
        if spe is not None:
            run_end = model.epoch + _dt.timedelta(seconds=model.duration)
            spe_end = spe.start + _dt.timedelta(seconds=spe.duration)
            if spe_end <= model.epoch or spe.start >= run_end:
                msg = (
                    f"the event ({spe.start.isoformat()} for {fmt_number(spe.duration)} s) does not overlap the run "
                    f"({model.epoch.isoformat()} to {run_end.isoformat()})"
                )
                found.append((("environment", "solar_particle_event", "start"), msg, spe.start.isoformat()))
        if net is not None and model.policy.node_pools == "plane":
            msg = (
                "plane pools cannot be combined with a network section: the link timelines are per satellite "
                "(use node_pools: satellite, or remove network)"
            )
            found.append((("policy", "node_pools"), msg, "plane"))
        site = model.economics.terrestrial.site
        sites = [g.name for g in model.fleet.ground_sites]
        if site is not None and site not in sites:
            msg = f"unknown ground site {site!r}; ground sites: {', '.join(sites) or 'none'}"
            found.append((("economics", "terrestrial", "site"), msg, site))
        colocated, shared = colocation_problems(model)
        found += colocated
        if found:
            raise cls._merged([], found)
        model._warnings = _step_warnings(model) + _element_warnings(model) + shared
        return model

    @property
    def warnings(self) -> list[Problem]:
        """What is valid but doubtful (stale element sets, satellites SGP4 cannot start, shells sharing orbit
        planes): printed by the command line and kept in a run's manifest and summary, never an error."""
        return list(self._warnings)

    # -- derived values ----------------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        return self.duration

    @property
    def step_s(self) -> float:
        return self.step

    @property
    def n_steps(self) -> int:
        return round(self.duration / self.step)

    @property
    def source_dir(self) -> Path | None:
        """Folder of the scenario file, against which element paths were resolved (None: not from a file)."""
        return self._source_dir

    @property
    def shells(self) -> list[Shell]:
        return self.fleet.shells

    @property
    def ground_sites(self) -> list[GroundSite]:
        return self.fleet.ground_sites

    def time_grid(self) -> TimeGrid:
        return TimeGrid.from_duration(self.epoch, self.duration, self.step)

    def design(self, name: str) -> SatelliteDesign:
        """The design called ``name``: the scenario's own, else the catalog's. KeyError if neither has it."""
        if name in self.designs:
            return self.designs[name]
        return catalog.designs()[name]

    def design_for(self, shell: Shell) -> SatelliteDesign:
        return self.design(shell.design)

    def resolved_designs(self) -> dict[str, SatelliteDesign]:
        """The scenario's designs, then every catalog design a shell uses (in shell order)."""
        out = dict(self.designs)
        for shell in self.fleet.shells:
            out.setdefault(shell.design, self.design(shell.design))
        return out

    def replace(self, changes: Mapping[str, Any] | None = None, /, **fields: Any) -> Scenario:
        """A new, validated scenario with some fields changed; this one is left as it is. Fields are named by path,
        as in error messages (``sc.replace(**{"fleet.shells[1].orbit.altitude_km": 600})``, ``sc.replace(seed=4)``)
        or as a mapping (``sc.replace({"duration": "12h", "policy": {"power_aware": False}})``); a mapping given
        for a block is merged into it (``orbitgrid.scenario.edit``). A wrong path or value raises
        :class:`ScenarioError` naming the path and what is allowed."""
        from orbitgrid.scenario.edit import replace_fields

        return replace_fields(self, {**(changes or {}), **fields})


#: A step longer than this fraction of a shell's longest shadow passage (at beta 0) is warned about: passages shorter
#: than a step can fall between two steps and go unseen. At a quarter only passages within ~1 deg of the critical
#: beta angle are that short (550 km: those above 65.9 deg of the 67.0 deg critical angle).
STEP_PASSAGE_FRACTION = 0.25


def _step_warnings(scenario: Scenario) -> list[Problem]:
    """The step against each shell's shadow passages: the survey classifies sunlight at the grid instants and refines
    the boundaries between them, so a passage shorter than the step can fall between two instants and be missed (a
    60 min step on a 550 km orbit of 95.6 min reported 8.6 eclipses a day of up to 83 min instead of 15 of 35 min).
    The longest passage of a circular orbit of radius ``a`` and period ``T`` is ``(T / pi) asin(R / a)`` (cylindrical
    shadow at beta 0), and a passage at beta ``b`` lasts ``(T / pi) acos(cos(asin(R / a)) / cos b)``."""
    from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2

    out = []
    step = scenario.step
    for shell in scenario.shells:
        orbit = shell.orbit
        if isinstance(orbit, ElementsOrbit):
            n = orbit.elements.mean_motion_brouwer_rad_s
            n = n[np.isfinite(n) & (n > 0.0)]
            if n.size == 0:
                continue
            a_all = (EARTH_MU_M3_S2 / n**2) ** (1.0 / 3.0)
            a_all = a_all[a_all > EARTH_EQUATORIAL_RADIUS_M]
            if a_all.size == 0:
                continue
            # the set whose longest passage is the shortest (not simply the lowest or the highest: the period grows
            # with the radius while the Earth's angular radius shrinks)
            longest_all = 2.0 * np.sqrt(a_all**3 / EARTH_MU_M3_S2) * np.arcsin(EARTH_EQUATORIAL_RADIUS_M / a_all)
            a = float(a_all[np.argmin(longest_all)])
        else:
            a = EARTH_EQUATORIAL_RADIUS_M + float(orbit.altitude_km) * 1e3
        if a <= EARTH_EQUATORIAL_RADIUS_M:
            continue
        period = 2.0 * math.pi * math.sqrt(a**3 / EARTH_MU_M3_S2)
        rho = math.asin(EARTH_EQUATORIAL_RADIUS_M / a)  # the Earth's angular radius seen from the orbit
        longest = period / math.pi * rho
        if step <= STEP_PASSAGE_FRACTION * longest:
            continue
        half = math.pi * step / period  # half the orbit angle a step covers
        if half >= rho:
            missed = "a passage at any beta angle can fall between two steps"
        else:
            beta = math.degrees(math.acos(math.cos(rho) / math.cos(half)))
            missed = (
                f"passages at beta angles above {beta:.1f} deg (critical {math.degrees(rho):.1f} deg) are shorter "
                "than a step and can fall between two"
            )
        out.append(
            Problem(
                "step",
                f"{fmt_number(step)} s is more than {STEP_PASSAGE_FRACTION:g} of the longest shadow passage of shell "
                f"{shell.name!r} ({longest / 60.0:.1f} min of a {period / 60.0:.1f} min orbit): {missed}, and the "
                f"eclipses and shadow time of those are not counted; at a step of at most "
                f"{fmt_number(math.floor(STEP_PASSAGE_FRACTION * longest))} s only passages within about 1 deg of the "
                "critical angle are",
            )
        )
    return out


def _element_warnings(scenario: Scenario) -> list[Problem]:
    """Element sets far from the run's span (``epoch_window_days``), and sets SGP4 cannot initialise."""
    out = []
    start = TimeGrid.from_duration(scenario.epoch, scenario.duration, scenario.step).epoch_jd
    span_days = scenario.duration / SECONDS_PER_DAY
    for i, shell in enumerate(scenario.shells):
        orbit = shell.orbit
        if not isinstance(orbit, ElementsOrbit):
            continue
        where = f"fleet.shells[{i}].orbit"
        es = orbit.elements
        offset = epoch_offset_days(es, start, span_days)
        far = offset > orbit.epoch_window_days
        if far.any():
            worst = int(np.argmax(offset))
            out.append(
                Problem(
                    f"{where}.file",
                    f"{int(far.sum()):,} of {len(es):,} element sets are more than "
                    f"{fmt_number(orbit.epoch_window_days)} days from the run (farthest: {es.names[worst]!r}, "
                    f"catalogue number {es.catalog_numbers[worst]}, "
                    f"{_days_text(offset[worst])}); SGP4's error grows ~1-3 km a day away from a set's epoch "
                    "(raise epoch_window_days to accept them)",
                )
            )
        codes = codes_at_epoch(es.satrecs)
        if codes.any():
            out.append(
                Problem(
                    f"{where}.file",
                    f"SGP4 cannot propagate {int(np.count_nonzero(codes)):,} of {len(es):,} element sets even at their "
                    f"own epochs ({summarize_codes(codes)}); they count as lost from the start",
                )
            )
        dups = find_duplicates(es)
        if dups:
            d = dups[0]
            out.append(
                Problem(
                    f"{where}.file",
                    f"{len(dups):,} catalogue number{'s appear' if len(dups) > 1 else ' appears'} more than once; the "
                    f"latest set of each is used (first: {d.catalog_number}, {len(d.dropped):,} older set"
                    f"{'s' if len(d.dropped) > 1 else ''} dropped)",
                )
            )
    return out


def _days_text(days: float) -> str:
    return f"{days / 365.25:,.1f} years" if days >= 365.25 else f"{days:,.1f} days"
