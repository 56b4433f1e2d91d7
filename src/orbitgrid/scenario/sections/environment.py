"""``environment``: the solar-cycle phase and an optional solar particle event."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, Strict, field_validator

from orbitgrid.scenario.base import Bounds, DurationS, StrictModel
from orbitgrid.spacecraft.cosmic_rays import MODULATION_POTENTIAL_MV, SOLAR_EVENTS


class SolarParticleEventSpec(StrictModel):
    """A solar particle event during the run: its proton fluence arrives at a constant rate from ``start`` for
    ``duration`` and raises the upset rates of every satellite it reaches (``spacecraft.cosmic_rays``)."""

    event: Literal[tuple(SOLAR_EVENTS)] = Field(  # type: ignore[valid-type]
        default="august_1972",
        description="Event fluence spectrum: august_1972 (King 1974, J(>E) = 7.9e9 exp((30 - E)/26.5) protons/cm^2).",
    )
    start: AwareDatetime = Field(description="Start of the event, ISO 8601 with a timezone; stored in UTC.")
    duration: DurationS = Field(description="How long the fluence takes to arrive, e.g. 48h; stored as seconds.")

    @field_validator("start")
    @classmethod
    def _to_utc(cls, v: _dt.datetime) -> _dt.datetime:
        return v.astimezone(_dt.UTC)


class EnvironmentSpec(StrictModel):
    """Space environment beyond the trapped belts: the solar-cycle phase and an optional solar particle event.

    The default phase is solar minimum, the conservative case: galactic cosmic rays are most intense then (the
    heliosphere modulates them least) and AP8MIN gives more trapped protons than AP8MAX at LEO (Sawyer & Vette 1976).
    """

    solar_cycle: Literal["minimum", "maximum"] = Field(
        default="minimum",
        description="Solar-cycle phase: galactic cosmic-ray modulation (400 or 1000 MV) and the trapped-proton model "
        "(AP8MIN or AP8MAX); electrons use AE8MAX either way.",
    )
    modulation_potential_mv: Annotated[float, Strict(), Bounds(0.0, 3000.0)] | None = Field(
        default=None,
        description="Galactic cosmic-ray modulation potential, MV (force field, Burger et al. 2000 LIS); null: the "
        "phase's value.",
    )
    solar_particle_event: SolarParticleEventSpec | None = Field(
        default=None, description="A solar particle event during the run; null: none."
    )

    @property
    def phi_mv(self) -> float:
        """The modulation potential used (MV)."""
        if self.modulation_potential_mv is not None:
            return self.modulation_potential_mv
        return MODULATION_POTENTIAL_MV[self.solar_cycle]
