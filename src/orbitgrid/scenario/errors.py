"""Problems found in a scenario, and the error that carries all of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from orbitgrid.errors import InputError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (``fleet.shells[1].orbit.altitude_km``, or empty) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(InputError):
    """A scenario could not be loaded. ``problems`` lists every problem; ``str()`` has one per line."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__("\n".join(str(p) for p in self.problems))


def format_loc(loc: Sequence[Any]) -> str:
    """``("fleet", "shells", 1, "orbit")`` -> ``fleet.shells[1].orbit``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue  # pydantic's marker for an invalid mapping key; the key itself is the previous part
        else:
            out += f".{part}" if out else str(part)
    return out


def problems_from_validation_error(exc: ValidationError) -> list[Problem]:
    """Problems from a ValidationError of ``Scenario.model_validate`` (its messages are final)."""
    return [Problem(format_loc(err["loc"]), err["msg"]) for err in exc.errors(include_url=False)]
