"""``network``: links between satellites, to gateways and to users (``docs/network.md``, "Links in a
simulation")."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, Strict

from orbitgrid.astro.time import parse_duration_s
from orbitgrid.network.budget import STARLINK_MAX_RANGE_M, OpticalGroundLink
from orbitgrid.network.constants import (
    ATMOSPHERE_MARGIN_M,
    FIBRE_ROUTE_FACTOR,
    PLUS_GRID_TERMINALS,
    REFRESH_S,
    STARLINK_ELEVATION_MASK_DEG,
)
from orbitgrid.scenario import catalog
from orbitgrid.scenario.base import (
    Bounds,
    DurationS,
    Found,
    NonNegativeFloat,
    PositiveFloat,
    StrictModel,
    UnitFraction,
    _error,
    fmt_number,
)

#: The link step when ``network.link_step`` is not given, seconds.
DEFAULT_LINK_STEP_S = 600.0
_STATION_PROVIDERS_SEPARATOR = "/"


def _station_providers() -> list[str]:
    return list(dict.fromkeys(g.provider for g in catalog.ground_stations()))


def _station_names() -> list[str]:
    return list(dict.fromkeys(g.name for g in catalog.ground_stations()))


def _check_station(name: str) -> str:
    """A catalog station: ``Name`` (every provider's station of that name) or ``Provider/Name``."""
    stations = catalog.ground_stations()
    if any(name in (g.name, f"{g.provider}{_STATION_PROVIDERS_SEPARATOR}{g.name}") for g in stations):
        return name
    raise _error(
        "unknown_station",
        f"unknown ground station {name!r}; allowed: a name from the ground-station catalog, optionally as "
        f"Provider/Name: {', '.join(_station_names())}",
    )


def _check_provider(name: str) -> str:
    known = _station_providers()
    if name not in known:
        raise _error("unknown_provider", f"unknown ground-station provider {name!r}; allowed: {', '.join(known)}")
    return name


def _provider_items_enum(schema: dict[str, Any]) -> None:
    schema["items"]["enum"] = _station_providers()


StationName = Annotated[str, Strict(), AfterValidator(_check_station)]
ProviderName = Annotated[str, Strict(), AfterValidator(_check_provider)]


class IslTerminalSpec(StrictModel):
    """A laser terminal pair: a preset, and any of its figures replaced. Presets (docs/network.md "Link budgets"):
    ``suncatcher``, Suncatcher's per-aperture design (arXiv:2511.19468 §4.2: 5 W, 10 cm apertures of 80 %, 1550 nm,
    3 dB of other losses, PM-16QAM at 196 photons per bit, 24 x 400 Gb/s DWDM = 9.6 Tb/s); ``starlink``, a
    Starlink-like terminal (100 Gb/s sustained at 5,400 km and 200 Gb/s peak, SpaceX at SPIE Photonics West 2024,
    docs/sources.md §5; Suncatcher's optical chain with the aperture derived, 11.5 cm). A field left out keeps the
    preset's value."""

    preset: Literal["suncatcher", "starlink"] = Field(
        default="starlink", description="Terminal the figures start from: suncatcher or starlink."
    )
    tx_power_w: PositiveFloat | None = Field(default=None, description="Optical transmit power, W (both presets: 5).")
    aperture_diameter_m: PositiveFloat | None = Field(
        default=None, description="Diameter of both apertures, m (suncatcher: 0.10; starlink: derived, 0.115)."
    )
    aperture_efficiency: UnitFraction | None = Field(
        default=None, description="Efficiency of both apertures, (0, 1] (both presets: 0.8)."
    )
    wavelength_nm: PositiveFloat | None = Field(default=None, description="Wavelength, nm (both presets: 1550).")
    other_loss_db: NonNegativeFloat | None = Field(
        default=None, description="Losses outside the apertures and the path, dB (both presets: 3)."
    )
    pointing_loss_db: NonNegativeFloat | None = Field(
        default=None, description="Pointing loss on top of the other losses, dB (both presets: 0)."
    )
    photons_per_bit: PositiveFloat | None = Field(
        default=None, description="Received photons each bit needs, (both presets: 196, PM-16QAM; OOK: 71)."
    )
    channels: Annotated[int, Strict(), Bounds(1, 1_000, why="an upper bound on DWDM channels")] | None = Field(
        default=None, description="DWDM channels (suncatcher: 24; starlink: 1), at most 1,000."
    )
    channel_rate_gbps: PositiveFloat | None = Field(
        default=None, description="Rate of one channel, Gb/s (suncatcher: 400; starlink: 200)."
    )
    rate_cap_gbps: PositiveFloat | None = Field(
        default=None, description="The terminal's own rate limit, Gb/s (suncatcher: none; starlink: 200)."
    )


class GatewaySpec(StrictModel):
    """Where the fleet meets the ground: catalog stations (brahe's list: AWS, NASA DSN, KSAT, Leaf Space, SSC) and a
    gateway beside each ground site. Gateways are joined by terrestrial fibre."""

    stations: list[StationName] = Field(
        default=[],
        description="Catalog stations by name (every provider's station of that name) or as Provider/Name.",
    )
    providers: list[ProviderName] = Field(
        default=[],
        description="Every catalog station of these providers.",
        json_schema_extra=_provider_items_enum,
    )
    beside_ground_sites: bool = Field(default=True, description="A gateway at each ground site of the fleet.")


class RfGroundLinkSpec(StrictModel):
    """A Ka-band RF gateway link (docs/network.md, "Links in a simulation"). Band and receive gain from SpaceX's
    Ka-band gateway earth station (FCC file SES-AMD-20210409-00640: space-to-Earth 17.8-18.6 and 18.8-19.3 GHz in
    480 MHz carriers, 46.9 dBi at 19 GHz); system noise temperature 398 K (26.0 dB-K, from SpaceX's 5 m Ka-band
    TT&C stations: 57 dBi and G/T 31 dB/K in its Starlink experimental earth-station exhibit); spectral efficiency
    capped at DVB-S2's best MODCOD (32APSK 9/10, 4.45 bit/s/Hz, ETSI EN 302 307-1). The satellite's gateway-beam
    EIRP is not published: by default it is derived so that a satellite at 550 km seen at the elevation mask gets
    the capped rate under the zenith loss given."""

    type: Literal["rf_ka"] = Field(description="rf_ka.")
    frequency_ghz: PositiveFloat = Field(
        default=18.55, description="Carrier frequency, GHz (centre of 17.8-19.3 GHz, the gateway downlink band)."
    )
    bandwidth_mhz: PositiveFloat = Field(
        default=1300.0, description="Occupied bandwidth, MHz (17.8-18.6 plus 18.8-19.3 GHz: 1,300)."
    )
    g_over_t_db_k: Annotated[float, Strict()] = Field(
        default=20.9, description="Gateway figure of merit G/T, dB/K (46.9 dBi less 26.0 dB-K)."
    )
    eirp_dbw: Annotated[float, Strict()] | None = Field(
        default=None,
        description="Satellite EIRP toward the gateway, dBW; default: derived (capped rate at the mask from 550 km).",
    )
    zenith_loss_db: NonNegativeFloat = Field(
        default=0.0,
        description="Gases plus rain at the zenith for the design availability, dB, scaled by 1/sin(elevation) "
        "(ITU-R P.618); 0: clear sky.",
    )
    max_spectral_efficiency_bps_hz: PositiveFloat = Field(
        default=4.45, description="Best modulation and coding, bit/s/Hz (DVB-S2 32APSK 9/10: 4.45)."
    )


class OpticalGroundLinkSpec(StrictModel):
    """A laser downlink to a ground telescope: the satellite side is Suncatcher's optical chain (5 W, 10 cm, 80 %,
    1550 nm, 3 dB, PM-16QAM), capped at NASA TBIRD's 200 Gb/s LEO-to-ground rate (docs/sources.md §1); clouds block it,
    so each link carries its clear-sky capacity times the chance of a cloud-free line of sight (0.33: about two
    thirds of the globe is cloud-covered, King et al., IEEE TGRS 51(7), 2013, MODIS)."""

    type: Literal["optical"] = Field(description="optical.")
    telescope_diameter_m: PositiveFloat = Field(
        default=0.10,
        description="Ground telescope diameter, m (Suncatcher's 10 cm aperture: from 550 km at 25 deg elevation it "
        "collects photons for ~1.3 Tb/s, so the rate cap binds).",
    )
    rate_cap_gbps: PositiveFloat = Field(default=200.0, description="Terminal rate, Gb/s (TBIRD: 200).")
    zenith_loss_db: NonNegativeFloat = Field(
        default=0.0, description="Clear-air extinction at the zenith, dB, scaled by 1/sin(elevation); 0: none."
    )
    clear_sky_probability: Annotated[float, Strict(), Bounds(0.0, 1.0)] = Field(
        default=OpticalGroundLink.clear_sky_probability,
        description="Probability of a cloud-free line of sight, [0, 1] (global mean: 0.33).",
    )


GroundLinkSpec = Annotated[RfGroundLinkSpec | OpticalGroundLinkSpec, Field(discriminator="type")]


def _link_step_checks(network: Any, step_s: float) -> Found:
    """``network.link_step`` must be a whole multiple of the scenario step (the link timeline's grid)."""
    if not isinstance(network, Mapping) or not (math.isfinite(step_s) and step_s > 0):
        return []
    given = "link_step" in network
    try:
        link_s = parse_duration_s(network["link_step"]) if given else DEFAULT_LINK_STEP_S
    except (TypeError, ValueError):
        return []  # field validation reports it
    if isinstance(network.get("link_step"), bool) or not math.isfinite(link_s) or link_s <= 0:
        return []
    n = round(link_s / step_s)
    if n >= 1 and abs(n * step_s - link_s) <= 1e-6 * step_s:
        return []
    step = fmt_number(step_s)
    if given:
        msg = f"must be a whole multiple of the scenario step ({step} s), got {fmt_number(link_s)} s"
    else:
        msg = f"must be a whole multiple of the scenario step ({step} s); the default is {fmt_number(link_s)} s: set it"
    return [(("network", "link_step"), msg, network.get("link_step", link_s))]


class NetworkSpec(StrictModel):
    """Links in a simulation: laser links between satellites (+Grid for Walker shells, nearest neighbours for other
    shells, a fabric inside formation clusters), gateways, ground links, routing to the ground and to users. Every
    default and its source: docs/network.md. A scenario without this section has no link model."""

    isl: IslTerminalSpec = Field(
        default=IslTerminalSpec(), description="Laser terminal of the links between satellites and between clusters."
    )
    fabric: IslTerminalSpec = Field(
        default=IslTerminalSpec(preset="suncatcher"),
        description="Laser terminal of the links inside a formation cluster (default: suncatcher).",
    )
    terminals: Annotated[int, Strict(), Bounds(1, 100, why="an upper bound on terminals")] = Field(
        default=PLUS_GRID_TERMINALS,
        description="Laser terminals per satellite (4: the +Grid, Bhattacherjee & Singla, CoNEXT 2019).",
    )
    topology: Literal["auto", "neighbours", "none"] = Field(
        default="auto",
        description="auto: +Grid for Walker shells, nearest neighbours for the others; neighbours: nearest "
        "neighbours everywhere; none: no links between satellites (each reaches the ground only directly).",
    )
    neighbour_refresh: DurationS = Field(
        default=REFRESH_S,
        description="How often nearest-neighbour links are re-planned (checked at every link step in between); "
        "300 s, ~10x as often as Starlink's lasers change partners (266,141 acquisitions a day for ~9,000 lasers).",
    )
    max_isl_range_km: PositiveFloat = Field(
        default=STARLINK_MAX_RANGE_M / 1e3,
        description="Longest link between satellites, km (Starlink's reported longest: 5,400).",
    )
    atmosphere_margin_km: NonNegativeFloat = Field(
        default=ATMOSPHERE_MARGIN_M / 1e3, description="Lowest altitude a link may graze, km (the mesopause: 80)."
    )
    fabric_links: Literal["lattice", "all"] = Field(
        default="lattice",
        description="Links inside a formation cluster: lattice (neighbours one spacing apart) or all (every pair).",
    )
    gateways: GatewaySpec = Field(default=GatewaySpec(), description="Ground gateways.")
    elevation_mask_deg: Annotated[float, Strict(), Bounds(0.0, 90.0, hi_open=True)] = Field(
        default=STARLINK_ELEVATION_MASK_DEG,
        description="Lowest elevation of a gateway or user link, deg, [0, 90) (25: the FCC's minimum for Starlink "
        "earth stations, FCC 21-48).",
    )
    ground_link: GroundLinkSpec = Field(
        default=RfGroundLinkSpec(type="rf_ka"), description="Satellite-to-gateway link: rf_ka or optical."
    )
    users_direct: bool = Field(
        default=False,
        description="false: users reach the fleet through terrestrial fibre and a gateway; true: each user location "
        "also links straight to any satellite above the mask (a user terminal).",
    )
    link_step: DurationS = Field(
        default=DEFAULT_LINK_STEP_S,
        description="Time between link evaluations, a whole multiple of the scenario step (default 10min); links, "
        "routes and latencies hold from each step's start.",
    )
    switching_delay_ms: NonNegativeFloat = Field(
        default=0.0, description="Delay per radio or laser hop, ms (0: no published flight-router figure)."
    )
    fibre_route_factor: Annotated[float, Strict(), Bounds(1.0, 10.0)] = Field(
        default=FIBRE_ROUTE_FACTOR,
        description="Fibre path over great-circle distance, [1, 10] (1.3: US long-haul conduits, Bozkurt et al. "
        "2018; 2.1 for measured Internet paths).",
    )
