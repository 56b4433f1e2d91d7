"""Launch price: a fixed $/kg or a Wright's-law learning curve, vehicles, and a cadence that stretches deployment.

Model
-----
**Fixed price.** ``cost = price_usd_per_kg x mass``.

**Learning curve (Wright's law).** The price per kg falls by a learning rate ``LR`` with every doubling of the
cumulative mass launched:

    p(C) = p0 (C / C0)^b,   b = log2(1 - LR)

so ``p(C0) = p0`` and ``p(2C) = (1 - LR) p(C)`` exactly. The cost of launching ``m`` kg starting at cumulative mass
``C`` is the integral ``int_C^{C+m} p dx = p0 C0 / (b + 1) [((C+m)/C0)^(b+1) - (C/C0)^(b+1)]`` (``b != -1``), so a
large programme pays less per kg than a small one that starts at the same point. Suncatcher fits ``LR ~ 20 %`` per
doubling (18-24 % depending on the start point) with the anchor Falcon Heavy ~$1,800/kg at ~400 t cumulative, and
reads off that < $200/kg needs ~370,000 t more (~1,800 Starship launches of 200 t); at only 104,000 t more the price
is ~$300/kg (Agüera y Arcas et al., arXiv:2511.19468 §2.4, §4.4; docs/sources.md §1).

**Launched power price** (Suncatcher Table 1): ``launch $ / (kW x life)`` = ``$/kg x kg / (kW x years)``.

**Vehicles and cadence.** A vehicle carries ``payload_kg`` per launch; satellites are not split across launches, so
a launch carries ``floor(payload / m_sat)`` of them (a satellite heavier than the payload is an error). The customer
pays for the whole launch (``billed="launch"``: price/kg x payload, or the vehicle's price per launch) or for the
mass it flies (``billed="mass"``, a rideshare-like price). At most ``max_launches_per_year`` launches fly per year,
which stretches deployment over several years. Vehicle data (payload, $/kg, reuse) is in the scenario catalog
(``scenario/catalog/launch_vehicles.yaml``); the scenario layer converts it to :class:`LaunchVehicle`.

Validity
--------
Wright's law is an empirical fit to SpaceX's price history; it says nothing about when the mass is launched, and
the curve is extrapolated a thousandfold past its data. One price per programme launch; no launch failures (see
insurance in ``tco``), no volume discounts beyond the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Suncatcher's learning-curve fit (arXiv:2511.19468 §2.4, §4.4; docs/sources.md §1).
SUNCATCHER_LEARNING_RATE = 0.20
SUNCATCHER_ANCHOR_USD_PER_KG = 1800.0  # Falcon Heavy
SUNCATCHER_ANCHOR_CUMULATIVE_KG = 400e3  # ~400 t


@dataclass(frozen=True)
class WrightsLaw:
    """``p(C) = p0 (C / C0)^log2(1 - LR)``; defaults: Suncatcher's fit and anchor (module docstring)."""

    start_price_usd_per_kg: float = SUNCATCHER_ANCHOR_USD_PER_KG
    start_cumulative_kg: float = SUNCATCHER_ANCHOR_CUMULATIVE_KG
    learning_rate: float = SUNCATCHER_LEARNING_RATE

    def __post_init__(self) -> None:
        lr = np.asarray(self.learning_rate, dtype=np.float64)
        if not np.all((lr >= 0.0) & (lr < 1.0)):
            raise ValueError(f"learning_rate must be in [0, 1), got {self.learning_rate}")
        if np.any(np.asarray(self.start_cumulative_kg) <= 0.0) or np.any(np.asarray(self.start_price_usd_per_kg) < 0.0):
            raise ValueError("start_cumulative_kg must be > 0 and start_price_usd_per_kg >= 0")

    @property
    def exponent(self) -> Any:
        """``b = log2(1 - LR)`` (negative); an array when the learning rate is one (a batch of draws)."""
        b = np.log2(1.0 - np.asarray(self.learning_rate, dtype=np.float64))
        return float(b) if b.ndim == 0 else b

    def price_usd_per_kg(self, cumulative_kg: float | np.ndarray) -> np.ndarray:
        """Marginal price per kg at cumulative launched mass ``cumulative_kg``."""
        c = np.asarray(cumulative_kg, dtype=np.float64)
        return np.asarray(self.start_price_usd_per_kg * (c / self.start_cumulative_kg) ** self.exponent)

    def cost_usd(self, start_cumulative_kg: float | np.ndarray, mass_kg: float | np.ndarray) -> np.ndarray:
        """Cost of launching ``mass_kg`` from cumulative ``start_cumulative_kg``: the integral of the price.

        The curve's fields may be arrays of one value per draw (shape ``(B,)``) against ``(B, launches)`` masses."""
        b1 = as_column(self.exponent + 1.0)
        c0 = as_column(self.start_cumulative_kg)
        p0 = as_column(self.start_price_usd_per_kg)
        x0 = np.asarray(start_cumulative_kg, dtype=np.float64) / c0
        x1 = x0 + np.asarray(mass_kg, dtype=np.float64) / c0
        half = np.abs(b1) < 1e-12  # LR = 50 %: the integral of 1/x
        with np.errstate(divide="ignore", invalid="ignore"):
            power = p0 * c0 / np.where(half, 1.0, b1) * (x1**b1 - x0**b1)
            log = p0 * c0 * np.log(x1 / x0)
        return np.asarray(np.where(half, log, power))

    def cumulative_kg_at_price(self, price_usd_per_kg: float) -> float:
        """Cumulative mass at which the marginal price falls to ``price_usd_per_kg``."""
        if float(self.learning_rate) == 0.0:
            raise ValueError("a zero learning rate never changes the price")
        return self.start_cumulative_kg * (price_usd_per_kg / self.start_price_usd_per_kg) ** (1.0 / self.exponent)


@dataclass(frozen=True)
class LaunchVehicle:
    """A launcher: payload to LEO per launch, and optionally a price per launch (else the plan's $/kg applies)."""

    name: str
    payload_kg: float
    price_usd_per_launch: float | None = None
    reusable: bool = True


#: Starship V3: 100+ t to LEO (docs/sources.md §4; Suncatcher uses 200 t for an "updated" spec); priced by the plan.
STARSHIP_V3 = LaunchVehicle("Starship", 100_000.0)


def launched_power_price_usd_per_kw_year(
    mass_kg: float, power_kw: float, life_years: float, price_usd_per_kg: float
) -> float:
    """Suncatcher Table 1's metric: launch cost over the power delivered over the life, ``$/kg x kg / (kW x yr)``."""
    return price_usd_per_kg * mass_kg / (power_kw * life_years)


def as_column(x: Any) -> Any:
    """A per-draw value as a column against a trailing axis (launches, years): ``(B,) -> (B, 1)``; scalars as is."""
    if isinstance(x, float | int):  # the common one-draw case, without numpy's overhead
        return x
    a = np.asarray(x, dtype=np.float64)
    return a[..., None] if a.ndim else x


def satellites_per_launch(vehicle: LaunchVehicle, satellite_mass_kg: Any) -> Any:
    """Whole satellites one launch carries (an int; an int array for an array of masses or payloads)."""
    k = np.floor(np.asarray(vehicle.payload_kg, dtype=np.float64) / satellite_mass_kg + 1e-9).astype(np.int64)
    if np.any(k < 1):
        heaviest = float(np.max(np.asarray(satellite_mass_kg, dtype=np.float64)))
        raise ValueError(
            f"a {heaviest:,.0f} kg satellite does not fit the {float(np.min(vehicle.payload_kg)):,.0f} kg payload of "
            f"{vehicle.name}"
        )
    return int(k) if k.ndim == 0 else k


@dataclass(frozen=True)
class LaunchSchedule:
    """Launches of a deployment: per launch, the year index it flies in, the satellites and mass it carries, and
    its price.

    For a batch of draws (a satellite mass, price or cadence given as an array of ``B`` values) every array is
    ``(B, launches)`` with ``launches`` the most any draw needs; a draw's launches beyond its own count carry no
    satellites, mass or cost, in year 0.
    """

    year: np.ndarray
    satellites: np.ndarray
    mass_kg: np.ndarray
    cost_usd: np.ndarray
    satellites_per_launch: Any  # int, or an int array per draw

    @property
    def launches(self) -> Any:
        """Launches flown (an int; per draw for a batch)."""
        n = np.count_nonzero(self.satellites > 0, axis=-1)
        return int(n) if np.ndim(n) == 0 else n

    @property
    def deployment_years(self) -> Any:
        """Years with at least one launch (the deployment span; per draw for a batch)."""
        d = np.max(np.where(self.satellites > 0, self.year + 1, 0), axis=-1, initial=0)
        return int(d) if np.ndim(d) == 0 else d

    def by_year(self, per_launch: np.ndarray, n_years: int) -> np.ndarray:
        """``per_launch`` (shaped like the schedule) summed by launch year over years ``0 .. n_years - 1``."""
        v = np.asarray(per_launch, dtype=np.float64)
        shape = np.broadcast_shapes(v.shape, np.shape(self.year))  # a draw may vary the years alone (the cadence)
        v = np.broadcast_to(v, shape)
        flat_v = v.reshape(-1, v.shape[-1])
        flat_y = np.broadcast_to(self.year, shape).reshape(-1, v.shape[-1])
        out = np.zeros((flat_v.shape[0], n_years))
        np.add.at(out, (np.arange(flat_v.shape[0])[:, None], flat_y), flat_v)
        return out.reshape((*v.shape[:-1], n_years))


def schedule_launches(
    satellites: int,
    satellite_mass_kg: Any,
    vehicle: LaunchVehicle,
    *,
    price_usd_per_kg: Any = None,
    learning: WrightsLaw | None = None,
    start_cumulative_kg: Any = None,
    world_kg_per_year: Any = 0.0,
    max_launches_per_year: Any = math.inf,
    billed: str = "launch",
) -> LaunchSchedule:
    """Fly ``satellites`` on ``vehicle``, at most ``max_launches_per_year`` a year, and price each launch.

    Price, first that applies: the ``learning`` curve, evaluated on the cumulative mass before each launch
    (``start_cumulative_kg``, default the curve's start, plus ``world_kg_per_year`` for every year elapsed plus the
    programme's own billed mass so far); ``price_usd_per_kg``; the vehicle's ``price_usd_per_launch``.
    ``billed`` is ``"launch"`` (the whole payload is paid for) or ``"mass"`` (only the mass flown).

    The mass, the prices, the cadence and the vehicle's payload may be arrays of one value per draw (shape
    ``(B,)``): the schedule is then a batch (:class:`LaunchSchedule`), each draw by the same equations.
    """
    if billed not in ("launch", "mass"):
        raise ValueError(f"billed must be 'launch' or 'mass', not {billed!r}")
    if satellites <= 0:
        empty = np.zeros(0)
        return LaunchSchedule(empty.astype(np.int64), empty.astype(np.int64), empty, empty, 0)
    k = np.asarray(satellites_per_launch(vehicle, satellite_mass_kg))
    n = -(-satellites // k)  # launches, per draw
    idx = np.arange(int(np.max(n)))
    flown = idx < n[..., None]  # (B, launches) for a batch, all True for one draw
    last = satellites - k * (n - 1)
    sats = np.where(flown, np.where(idx == (n - 1)[..., None], last[..., None], k[..., None]), 0)
    mass = sats * as_column(satellite_mass_kg)
    cap = np.asarray(max_launches_per_year, dtype=np.float64)
    if not np.all(cap > 0):
        raise ValueError("max_launches_per_year must be > 0")
    year = np.where(flown, np.floor(idx / as_column(cap) + 1e-9), 0).astype(np.int64)  # idx / inf = 0: one year
    payload = as_column(vehicle.payload_kg)
    billed_kg = np.where(flown, payload, 0.0) if billed == "launch" else mass
    if learning is not None:
        c0 = learning.start_cumulative_kg if start_cumulative_kg is None else start_cumulative_kg
        so_far = np.cumsum(billed_kg, axis=-1)[..., :-1]  # the programme's billed mass before each launch
        done = np.concatenate([np.zeros((*so_far.shape[:-1], 1)), so_far], axis=-1)
        before = as_column(c0) + as_column(world_kg_per_year) * year + done
        cost = learning.cost_usd(before, billed_kg)
    elif price_usd_per_kg is not None:
        cost = as_column(price_usd_per_kg) * billed_kg
    elif vehicle.price_usd_per_launch is not None:
        share = 1.0 if billed == "launch" else mass / payload
        cost = np.where(flown, as_column(vehicle.price_usd_per_launch) * share, 0.0)
    else:
        raise ValueError("give price_usd_per_kg, a learning curve, or a vehicle with price_usd_per_launch")
    per_launch = int(k) if k.ndim == 0 else k
    return LaunchSchedule(
        year, sats, np.asarray(mass, dtype=np.float64), np.asarray(cost, dtype=np.float64), per_launch
    )
