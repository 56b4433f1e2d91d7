"""Probability distributions of uncertain inputs (``economics.uncertainty`` and the random axes of sweep files,
:mod:`orbitgrid.scenario.sweep`), a union on ``type``."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Strict

from orbitgrid.economics.uncertainty import Pert
from orbitgrid.scenario.base import Bounds, Found, PositiveFloat, StrictModel, fmt_number

Number = Annotated[float, Strict()]


class FixedSpec(StrictModel):
    """A known value."""

    type: Literal["fixed"] = Field(description="fixed.")
    value: Number = Field(description="The value.")


class UniformSpec(StrictModel):
    """Uniform on [low, high]."""

    type: Literal["uniform"] = Field(description="uniform.")
    low: Number = Field(description="Lower end.")
    high: Number = Field(description="Upper end, > low.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "high"), strict=True)


class NormalSpec(StrictModel):
    """Normal, optionally truncated to [low, high]."""

    type: Literal["normal"] = Field(description="normal.")
    mean: Number = Field(description="Mean of the (untruncated) normal.")
    std: PositiveFloat = Field(description="Standard deviation of the (untruncated) normal, > 0.")
    low: Number | None = Field(default=None, description="Truncate below this value.")
    high: Number | None = Field(default=None, description="Truncate above this value.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "high"), strict=True)


class LogNormalSpec(StrictModel):
    """Lognormal from its median and 90th percentile, or from mu and sigma of ln x."""

    type: Literal["lognormal"] = Field(description="lognormal.")
    median: PositiveFloat | None = Field(default=None, description="Median (with p90).")
    p90: PositiveFloat | None = Field(default=None, description="90th percentile, > median (with median).")
    mu: Number | None = Field(default=None, description="Mean of ln x (with sigma).")
    sigma: PositiveFloat | None = Field(default=None, description="Standard deviation of ln x (with mu).")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        given = {k for k, v in data.items() if v is not None}  # null is not given (a resolved scenario has it)
        by_quantiles = "median" in given or "p90" in given
        by_moments = "mu" in given or "sigma" in given
        if by_quantiles == by_moments:
            return [((), "give either median and p90, or mu and sigma", None)]
        keys = ("median", "p90") if by_quantiles else ("mu", "sigma")
        missing = [k for k in keys if k not in given]
        if missing:
            return [((k,), f"required field is missing (with {' and '.join(keys)})", None) for k in missing]
        return _ordered(data, ("median", "p90"), strict=True) if by_quantiles else []


class TriangularSpec(StrictModel):
    """Triangular on [low, high] peaking at mode."""

    type: Literal["triangular"] = Field(description="triangular.")
    low: Number = Field(description="Lower end.")
    mode: Number = Field(description="Most likely value, low <= mode <= high.")
    high: Number = Field(description="Upper end, > low.")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "mode", "high")) + _ordered(data, ("low", "high"), strict=True)


class PertSpec(StrictModel):
    """Beta-PERT on [low, high] with mode and shape (4: classic PERT)."""

    type: Literal["pert"] = Field(description="pert.")
    low: Number = Field(description="Lower end.")
    mode: Number = Field(description="Most likely value, low <= mode <= high.")
    high: Number = Field(description="Upper end, > low.")
    shape: PositiveFloat = Field(default=Pert.shape, description="Weight of the mode, > 0 (4: classic PERT).")

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        return _ordered(data, ("low", "mode", "high")) + _ordered(data, ("low", "high"), strict=True)


class ChoiceSpec(StrictModel):
    """One of the listed numbers (integers stay integers), with optional weights."""

    type: Literal["choice"] = Field(description="choice.")
    values: list[int | float] = Field(min_length=1, description="The possible values (numbers).")
    weights: list[Annotated[float, Strict(), Bounds(0.0)]] | None = Field(
        default=None, description="Relative weights, one per value, >= 0 (default: equal)."
    )

    @classmethod
    def _raw_checks(cls, data: Mapping[str, Any], context: Mapping[str, Any]) -> Found:
        values, weights = data.get("values"), data.get("weights")
        found: Found = []
        if isinstance(values, list):
            for i, v in enumerate(values):
                if isinstance(v, bool) or not isinstance(v, int | float):
                    found.append((("values", i), "must be a number", v))
        if isinstance(values, list) and isinstance(weights, list) and len(values) != len(weights):
            found.append((("weights",), f"must have one weight per value ({len(values)}), got {len(weights)}", None))
        return found


DistributionSpec = Annotated[
    FixedSpec | UniformSpec | NormalSpec | LogNormalSpec | TriangularSpec | PertSpec | ChoiceSpec,
    Discriminator("type"),
]


def _ordered(data: Mapping[str, Any], keys: Sequence[str], strict: bool = False) -> Found:
    """``data[keys[0]] <= data[keys[1]] <= ...`` (``<`` when strict), checked where both are numbers."""
    found: Found = []
    for a, b in itertools.pairwise(keys):
        va, vb = data.get(a), data.get(b)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (va, vb)):
            continue
        assert isinstance(va, int | float) and isinstance(vb, int | float)
        bad = va >= vb if strict else va > vb
        if bad:
            rel = "greater than" if strict else "at least"
            found.append(((b,), f"must be {rel} {a} ({fmt_number(va)}), got {fmt_number(vb)}", vb))
    return found
