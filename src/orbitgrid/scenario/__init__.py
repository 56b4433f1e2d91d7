"""Scenario files: pydantic models, YAML loading with all-problems-at-once errors, the catalog and built-ins.

Use :func:`load_scenario` to read a YAML file or a built-in scenario by name; ``docs/scenario-reference.md``
describes every field.
"""

from orbitgrid.scenario.catalog import GpuModel, GroundStation, LaunchVehicle
from orbitgrid.scenario.errors import Problem, ScenarioError
from orbitgrid.scenario.loader import (
    builtin_scenario_text,
    dump_scenario_yaml,
    list_builtin_scenarios,
    load_scenario,
    load_scenario_text,
    resolved_scenario_dict,
    scenario_json_schema,
)
from orbitgrid.scenario.models import (
    SCHEMA_VERSION,
    Battery,
    ElementsOrbit,
    Fleet,
    FormationOrbit,
    GroundSite,
    OrbitSpec,
    Payload,
    Radiator,
    SatelliteDesign,
    Scenario,
    Shell,
    SolarArray,
    SunSynchronousOrbit,
    WalkerOrbit,
)

__all__ = [
    "SCHEMA_VERSION",
    "Battery",
    "ElementsOrbit",
    "Fleet",
    "FormationOrbit",
    "GpuModel",
    "GroundSite",
    "GroundStation",
    "LaunchVehicle",
    "OrbitSpec",
    "Payload",
    "Problem",
    "Radiator",
    "SatelliteDesign",
    "Scenario",
    "ScenarioError",
    "Shell",
    "SolarArray",
    "SunSynchronousOrbit",
    "WalkerOrbit",
    "builtin_scenario_text",
    "dump_scenario_yaml",
    "list_builtin_scenarios",
    "load_scenario",
    "load_scenario_text",
    "resolved_scenario_dict",
    "scenario_json_schema",
]
