"""Pydantic models of an orbitgrid scenario file, ``schema_version: 1``, as one namespace.

A scenario names a start time, a duration and a time step, a fleet of orbital shells (each built from one
orbit spec and one satellite design) and ground data-centre sites, and optionally tenants, workloads, a policy,
economics, the environment and a network. Every model forbids unknown keys. Numbers are strict: a quoted ``"550"``
is a string, not a number.

Units are in the field names (``_km``, ``_deg``, ``_hours``, ``_m2``, ``_wh``, ``_mw``). Durations are
written as ``"24h"``, ``"1h30m"``, ``"90min"``, ``"60s"``, ``"7d"`` or a number of seconds and are stored,
once validated, as float seconds in the same field (``Scenario.duration``, ``Scenario.step``; also
``duration_s`` and ``step_s``).

Validation reports every problem at once. :meth:`Scenario.model_validate` raises a pydantic
``ValidationError`` whose entries already carry orbitgrid's plain-English messages and paths without
pydantic's union tags; the loader turns them into :class:`orbitgrid.scenario.errors.Problem` rows. Pass
``context={"base_dir": folder}`` so that relative file paths resolve against the scenario file's
folder (the loader does this; without it they resolve against the current directory).

Where each part lives (this module only re-exports them):

- :mod:`orbitgrid.scenario.base` — the validation framework (``StrictModel``, ``Bounds``, shared field types,
  size limits, file path resolution); :mod:`orbitgrid.scenario.messages` — orbitgrid's wording of errors.
- :mod:`orbitgrid.scenario.sections` — one module per section: ``root`` (``Scenario``), ``design``, ``orbits``,
  ``fleet``, ``series`` (price and carbon files), ``nodes`` (node lists), ``tenants``, ``workloads``, ``traces``
  (trace files, column mappings and presets), ``policy``, ``economics``, ``distributions``, ``network``,
  ``environment``.
- File reading is in the readers the sections call: :mod:`orbitgrid.scenario.series` (CSV time series),
  :mod:`orbitgrid.astro.elements` (element sets), :mod:`orbitgrid.workloads.traces` and
  :mod:`orbitgrid.workloads.importers` (traces and node lists).
"""

from orbitgrid.scenario.base import (
    ALTITUDE_MAX_KM,
    ALTITUDE_MIN_KM,
    EPOCH_YEARS,
    MAX_GPUS,
    MAX_JOBS,
    MAX_PAYLOAD_GPUS,
    MAX_PER_CLUSTER,
    MAX_PLANES,
    MAX_SATELLITES,
    MAX_SEED,
    MAX_STEPS,
    RATE_SCALE_BOUNDS,
    SAFE_NAME_RE,
    SCHEMA_VERSION,
    AltitudeKm,
    Bounds,
    Count,
    DurationS,
    Found,
    HourOfDay,
    Name,
    NonNegativeFloat,
    PositiveFloat,
    RateScale,
    SafeName,
    SchemaVersion,
    StrictModel,
    UnitFraction,
    fmt_number,
)
from orbitgrid.scenario.sections.design import Battery, Payload, Radiator, SatelliteDesign, SolarArray
from orbitgrid.scenario.sections.distributions import (
    ChoiceSpec,
    DistributionSpec,
    FixedSpec,
    LogNormalSpec,
    NormalSpec,
    Number,
    PertSpec,
    TriangularSpec,
    UniformSpec,
)
from orbitgrid.scenario.sections.economics import (
    COST_PATH_ROOTS,
    DEFAULT_BREAK_EVEN,
    DEFAULT_UNCERTAIN_PARAMETERS,
    SATELLITE_COST_PARAMETERS,
    SHARED_COST_PARAMETERS,
    Bracket,
    CostUncertainty,
    Economics,
    Fraction,
    GroundSegmentSpec,
    LaunchSpec,
    LearningCurveSpec,
    TerrestrialSpec,
)
from orbitgrid.scenario.sections.environment import EnvironmentSpec, SolarParticleEventSpec
from orbitgrid.scenario.sections.fleet import CarbonValue, Fleet, GpuCounts, GpuInventory, GroundSite, PriceValue, Shell
from orbitgrid.scenario.sections.network import (
    DEFAULT_LINK_STEP_S,
    GatewaySpec,
    GroundLinkSpec,
    IslTerminalSpec,
    NetworkSpec,
    OpticalGroundLinkSpec,
    ProviderName,
    RfGroundLinkSpec,
    StationName,
)
from orbitgrid.scenario.sections.nodes import GpuNodeList
from orbitgrid.scenario.sections.orbits import (
    ELEMENT_EPOCH_WINDOW_DAYS,
    ELEMENT_FILE_FORMATS,
    SSO_MAX_ALTITUDE_KM,
    ElementsOrbit,
    FormationOrbit,
    OrbitSpec,
    SunSynchronousOrbit,
    WalkerOrbit,
)
from orbitgrid.scenario.sections.policy import PolicySpec
from orbitgrid.scenario.sections.root import Scenario
from orbitgrid.scenario.sections.series import CARBON_UNITS, PRICE_UNITS, CarbonSeries, PriceSeries
from orbitgrid.scenario.sections.tenants import ContractName, PlacementName, Tenant
from orbitgrid.scenario.sections.traces import TraceJobs
from orbitgrid.scenario.sections.workloads import GeneratedJobs, InferenceServices, TrainingJobs, UserSite, WorkloadSpec

__all__ = [
    "ALTITUDE_MAX_KM",
    "ALTITUDE_MIN_KM",
    "CARBON_UNITS",
    "COST_PATH_ROOTS",
    "DEFAULT_BREAK_EVEN",
    "DEFAULT_LINK_STEP_S",
    "DEFAULT_UNCERTAIN_PARAMETERS",
    "ELEMENT_EPOCH_WINDOW_DAYS",
    "ELEMENT_FILE_FORMATS",
    "EPOCH_YEARS",
    "MAX_GPUS",
    "MAX_JOBS",
    "MAX_PAYLOAD_GPUS",
    "MAX_PER_CLUSTER",
    "MAX_PLANES",
    "MAX_SATELLITES",
    "MAX_SEED",
    "MAX_STEPS",
    "PRICE_UNITS",
    "RATE_SCALE_BOUNDS",
    "SAFE_NAME_RE",
    "SATELLITE_COST_PARAMETERS",
    "SCHEMA_VERSION",
    "SHARED_COST_PARAMETERS",
    "SSO_MAX_ALTITUDE_KM",
    "AltitudeKm",
    "Battery",
    "Bounds",
    "Bracket",
    "CarbonSeries",
    "CarbonValue",
    "ChoiceSpec",
    "ContractName",
    "CostUncertainty",
    "Count",
    "DistributionSpec",
    "DurationS",
    "Economics",
    "ElementsOrbit",
    "EnvironmentSpec",
    "FixedSpec",
    "Fleet",
    "FormationOrbit",
    "Found",
    "Fraction",
    "GatewaySpec",
    "GeneratedJobs",
    "GpuCounts",
    "GpuInventory",
    "GpuNodeList",
    "GroundLinkSpec",
    "GroundSegmentSpec",
    "GroundSite",
    "HourOfDay",
    "InferenceServices",
    "IslTerminalSpec",
    "LaunchSpec",
    "LearningCurveSpec",
    "LogNormalSpec",
    "Name",
    "NetworkSpec",
    "NonNegativeFloat",
    "NormalSpec",
    "Number",
    "OpticalGroundLinkSpec",
    "OrbitSpec",
    "Payload",
    "PertSpec",
    "PlacementName",
    "PolicySpec",
    "PositiveFloat",
    "PriceSeries",
    "PriceValue",
    "ProviderName",
    "Radiator",
    "RateScale",
    "RfGroundLinkSpec",
    "SafeName",
    "SatelliteDesign",
    "Scenario",
    "SchemaVersion",
    "Shell",
    "SolarArray",
    "SolarParticleEventSpec",
    "StationName",
    "StrictModel",
    "SunSynchronousOrbit",
    "Tenant",
    "TerrestrialSpec",
    "TraceJobs",
    "TrainingJobs",
    "TriangularSpec",
    "UniformSpec",
    "UnitFraction",
    "UserSite",
    "WalkerOrbit",
    "WorkloadSpec",
    "fmt_number",
]
