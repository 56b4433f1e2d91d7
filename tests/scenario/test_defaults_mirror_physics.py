"""Every scenario default that mirrors a physics default equals it: one fact, one place, and no silent drift.

Generic part (introspection, so a new field is checked without being listed here): every numeric default of every
scenario model whose field has the same name as a field of a dataclass in the model packages (astro, spacecraft,
network, fleet, workloads, scheduling, economics) must equal that dataclass's default. Named part: scenario fields
that mirror a model figure under another name or unit. The scenario models read these figures from the model modules
(``Field(default=GroundInputs.pue)``, ``default=ATMOSPHERE_MARGIN_M / 1e3``); this test is what keeps a retyped
number from drifting.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
from collections import defaultdict
from typing import Any

import pytest
from pydantic import BaseModel

from orbitgrid.economics import launch, mass, tco, terrestrial
from orbitgrid.network import budget, routing, topology
from orbitgrid.scenario import models
from orbitgrid.spacecraft import battery, power, radiation

MODEL_PACKAGES = ("astro", "spacecraft", "network", "fleet", "workloads", "scheduling", "economics")

#: Same-named fields whose defaults differ on purpose, with the reason.
DIFFERENT_ON_PURPOSE = {
    ("RfGroundLinkSpec", "max_spectral_efficiency_bps_hz"): "budget.RfGroundLink is generic (no cap, Shannon); the "
    "scenario's rf_ka spec is one gateway's figures (DVB-S2 32APSK 9/10), written only there",
}


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _scenario_defaults() -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for name, cls in vars(models).items():
        if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__.startswith("orbitgrid.scenario."):
            for field, info in cls.model_fields.items():
                if _number(info.default):
                    out[(name, field)] = info.default
    return out


def _model_dataclass_defaults() -> dict[str, list[tuple[str, float]]]:
    by_field: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for package in MODEL_PACKAGES:
        pkg = importlib.import_module(f"orbitgrid.{package}")
        for info in pkgutil.walk_packages(pkg.__path__, f"{pkg.__name__}."):
            module = importlib.import_module(info.name)
            for cls in vars(module).values():
                if inspect.isclass(cls) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__:
                    for f in dataclasses.fields(cls):
                        if _number(f.default):
                            by_field[f.name].append((f"{cls.__module__}.{cls.__qualname__}", f.default))
    return by_field


def _same(a: float, b: float) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=1e-12))


def test_same_named_defaults_agree() -> None:
    physics = _model_dataclass_defaults()
    assert len(physics) > 100  # the introspection found the model packages' dataclasses
    scenario = _scenario_defaults()
    matched, drift = 0, []
    for (model, field), value in sorted(scenario.items()):
        for where, default in physics.get(field, []):
            if (model, field) in DIFFERENT_ON_PURPOSE:
                continue
            matched += 1
            if not _same(value, default):
                drift.append(f"{model}.{field} = {value!r} but {where}.{field} = {default!r}")
    assert not drift, "scenario defaults drifted from the model defaults they mirror:\n" + "\n".join(drift)
    assert matched >= 35
    for model, field in DIFFERENT_ON_PURPOSE:  # an exception that no longer differs must be removed
        assert any(not _same(scenario[(model, field)], d) for _, d in physics[field]), (model, field)


NAMED_MIRRORS = [
    ("SolarArray", "degradation_per_year", power.DEFAULT_DEGRADATION_PER_YEAR),
    ("SolarArray", "degradation_per_year", tco.Reliability.array_degradation_per_year),
    ("Battery", "depth_of_discharge", battery.DEFAULT_DEPTH_OF_DISCHARGE),
    ("SatelliteDesign", "shielding_mm_al", radiation.DEFAULT_SHIELDING_MM_AL),
    ("GroundSite", "water_l_per_kwh", terrestrial.STARCLOUD_WATER_L_PER_KWH),
    ("LearningCurveSpec", "start_cumulative_t", launch.SUNCATCHER_ANCHOR_CUMULATIVE_KG / 1e3),
    ("Economics", "design_life_years", terrestrial.GroundInputs.life_years),
    ("Economics", "satellite_usd_per_kg", tco.HardwareCost.default_usd_per_kg),
    ("Economics", "operations_fraction_per_year", tco.OrbitInputs.ops_fraction_of_hardware_per_year),
    ("Economics", "deorbit_perigee_km", mass.Propulsion.deorbit_perigee_altitude_m / 1e3),
    ("OpticalGroundLinkSpec", "clear_sky_probability", budget.GLOBAL_CLEAR_SKY_PROBABILITY),
    ("NetworkSpec", "terminals", topology.PLUS_GRID_TERMINALS),
    ("NetworkSpec", "neighbour_refresh", topology.REFRESH_S),
    ("NetworkSpec", "max_isl_range_km", topology.MAX_ISL_RANGE_M / 1e3),
    ("NetworkSpec", "atmosphere_margin_km", topology.ATMOSPHERE_MARGIN_M / 1e3),
    ("NetworkSpec", "elevation_mask_deg", routing.STARLINK_ELEVATION_MASK_DEG),
    ("NetworkSpec", "fibre_route_factor", routing.FIBRE_ROUTE_FACTOR),
    ("NetworkSpec", "fibre_route_factor", inspect.signature(routing.fibre_delay_s).parameters["route_factor"].default),
]


@pytest.mark.parametrize(("model", "field", "expected"), NAMED_MIRRORS)
def test_named_mirrors_agree(model: str, field: str, expected: float) -> None:
    assert _same(getattr(models, model).model_fields[field].default, expected)


def test_a_drifted_default_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The generic check fails when a scenario default is retyped differently (here PUE 1.3 vs the model's 1.2)."""
    info = models.GroundSite.model_fields["pue"]
    monkeypatch.setattr(info, "default", 1.3)
    with pytest.raises(AssertionError, match=r"GroundSite.pue = 1.3 but orbitgrid.economics.terrestrial.GroundInputs"):
        test_same_named_defaults_agree()
