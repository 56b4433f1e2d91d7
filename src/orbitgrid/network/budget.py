"""Link budgets: free-space optical inter-satellite links, RF and optical ground links, capacity from received power.

Units: SI throughout (W, m, Hz, bit/s); decibel quantities say so in their names (``_db``, ``_dbw``, ``_db_k``).
Losses are positive numbers of dB (``loss_db = 3`` divides the power by 10^0.3); Suncatcher writes the same
term as "L_other = -3 dB".

Free-space optical (FSO) link
-----------------------------
Source **[SC]**: Agüera y Arcas et al., "Towards a future space-based, highly scalable AI infrastructure system
design", arXiv:2511.19468 (Google Project Suncatcher), sec. 4.2; the figures are the rows "Link budget inputs",
"DWDM design per aperture", "Received power needed", "Photons per bit" and "Commercial ISLs" of section 1 of
``docs/sources.md``.

* Aperture gain of a diffraction-limited telescope of diameter ``D`` and efficiency ``eta``::

      G = eta (pi D / lambda)^2            (10 cm, 80 %, 1.55 um -> 105.1 dB, [SC] sec. 4.2)

* Far field (Friis)::

      P_rx = P_t G_t G_r (lambda / (4 pi d))^2 / L          (5 W, 2 x 105.1 dB, L = 3 dB: 1.6 uW at 5,000 km)

* Beam divergence (half-angle to the first null of the Airy pattern) and spot radius::

      theta = 1.22 lambda / D   (18.9 urad for 10 cm),    r_spot(d) = theta d   (~95 m at 5,000 km)

* Confocal distance of an aperture of radius ``a``: ``L_c = pi a^2 / lambda`` (5.07 km for a = 5 cm, [SC] sec. 4.2).
  Closer than this the beam no longer spreads by diffraction and Friis, which grows as 1/d^2, would promise more
  power than was sent (with the defaults Friis reaches P_t / L at 4.1 km).

  Near-field model used here: the transmitter launches a Gaussian beam of waist ``w0`` at its aperture; its radius
  at distance ``d`` is ``w(d) = w0 sqrt(1 + (d / z_R)^2)`` with Rayleigh range ``z_R = pi w0^2 / lambda``; the
  receiving aperture of radius ``a_r`` collects the fraction ``1 - exp(-2 a_r^2 / w(d)^2)`` of the power
  (Siegman, *Lasers*, 1986, ch. 17), which the receiver couples with its efficiency ``eta_r``::

      P_rx = P_t eta_r (1 - exp(-2 a_r^2 / w(d)^2)) / L,      w0^2 = eta_t a_t^2 / 2.

  The waist is chosen so that the far-field limit (``2 a_r^2 / w^2 -> 2 pi^2 a_r^2 w0^2 / (lambda d)^2``) is
  exactly Friis with the gains above; so the model *is* Friis beyond a few Rayleigh ranges (relative difference
  ``~ (z_R/d)^2 + a_r^2/w^2``: < 1 % beyond 38 km and < 0.1 % beyond 120 km for the defaults) and saturates at
  ``P_t eta_r / L`` (all the light collected, never more than was sent) as ``d -> 0``.
  ``z_R = (eta_t / 2) L_c`` (2.0 km for the defaults).

* Capacity from received power: each bit needs ``PPB`` photons of energy ``h c / lambda``::

      R = P_rx / (PPB h c / lambda)      PPB: OOK ~71, PM-16QAM ~196, Shannon-Hartley limit 2 ln 2 ~ 1.39 ([SC])

  (400 Gb/s PM-16QAM at 1550 nm needs 10.0 uW = -20.0 dBm per channel, 0.24 mW for 24 channels: [SC]
  sec. 4.2),
  capped by the DWDM plan ``n_channels x channel_rate`` (24 x 400G on the 100 GHz grid = 9.6 Tbps; 32 x 400G on
  75 GHz = 12.8 Tbps) and by the terminal's rate. With ``whole_channels`` the rate is quantised to the number of
  channels whose required power is received (``floor(R / channel_rate)`` channels).

  Starlink preset: 100 Gb/s sustained, 200 Gb/s peak, links up to ~5,400 km (SpaceX at SPIE Photonics West, Jan
  2024; docs/sources.md section 5 "Starlink laser ISL" and [SC] sec. 2.1). The terminal's optics are not published: the
  preset keeps Suncatcher's optical chain (5 W, 80 % efficiency, 3 dB other losses, 1550 nm, PM-16QAM) and
  *derives* the aperture diameter (11.5 cm) for which 100 Gb/s is received at 5,400 km; its peak cap is 200 Gb/s.

Ground links
------------
RF (ITU-R P.525-4 for free-space loss; Maral & Bousquet, *Satellite Communications Systems*, 5th ed., ch. 5)::

    FSPL = (4 pi d f / c)^2,     C/N0 = EIRP - FSPL - L_atm(el) - L_other + G/T - 10 log10 k   [dB, dBHz]
    C/N  = C/N0 - 10 log10 B,    R = min(B log2(1 + C/N / gap),  B * eta_max,  (C/N0) / (Eb/N0)_req)

with Boltzmann's constant ``k`` (``-228.6 dBW/K/Hz``), an optional implementation gap to Shannon, a spectral
efficiency cap ``eta_max`` (the best modulation and code the modem has) and an optional required Eb/N0.

Atmospheric and rain loss on the slant path by the cosecant law (a horizontally stratified atmosphere: the path
through it scales as ``1 / sin el``; ITU-R P.618-13 sec. 2.2.1.1 and P.676-12 annex 2 use it from 5 deg)::

    L_atm(el) = L_zenith / sin(max(el, el_min)),   el_min = 5 deg by default.

Below 5 deg the law overstates the loss of the curved atmosphere and refraction and scintillation dominate; the
floor keeps it finite. ``L_zenith`` is the loss at the zenith for the station's climate and the availability the
link is designed for (gases plus rain exceeded for that fraction of the year: the caller's input).

Optical ground: the FSO budget with a ground telescope, plus ``L_zenith / sin el`` of clear-air extinction, and a
cloud-free line-of-sight probability per station: clouds block the beam outright, so the *expected* rate is
``p_clear x R_clear`` (clouds taken independent of the pass timing), and with independent stations the
probability that at least one of several is clear is ``1 - prod(1 - p_i)`` (:func:`site_diversity_probability`).

Slant range for a spherical Earth: :func:`orbitgrid.network.geometry.slant_range_m`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from orbitgrid.astro.constants import SPEED_OF_LIGHT_M_S

__all__ = [
    "BOLTZMANN_J_K",
    "GLOBAL_CLEAR_SKY_PROBABILITY",
    "PHOTONS_PER_BIT_OOK",
    "PHOTONS_PER_BIT_PM16QAM",
    "PHOTONS_PER_BIT_SHANNON",
    "PLANCK_J_S",
    "SPEED_OF_LIGHT_M_S",
    "STARLINK_MAX_RANGE_M",
    "STARLINK_PEAK_BPS",
    "STARLINK_SUSTAINED_BPS",
    "FsoLink",
    "OpticalGroundLink",
    "RfGroundLink",
    "aperture_diameter_for_power_m",
    "aperture_gain",
    "aperture_gain_db",
    "confocal_distance_m",
    "cosecant_loss_db",
    "db_to_linear",
    "divergence_rad",
    "free_space_path_loss_db",
    "friis_received_power_w",
    "isl_capacity_bps",
    "linear_to_db",
    "photon_energy_j",
    "photon_limited_rate_bps",
    "site_diversity_probability",
    "spot_radius_m",
    "starlink_laser_link",
    "suncatcher_link",
    "suncatcher_link_75ghz",
]

#: Exact SI defining constants (BIPM, SI Brochure 9th ed., 2019); the speed of light lives in ``astro.constants``.
PLANCK_J_S = 6.626_070_15e-34
BOLTZMANN_J_K = 1.380_649e-23

#: Photons per bit at the receiver ([SC] sec. 4.2; docs/sources.md "Photons per bit"). The PM-16QAM figure is 195.6 in
#: [SC]'s figure label, ~196 in its text; the Shannon-Hartley limit for a photon-counting channel is 2 ln 2.
PHOTONS_PER_BIT_OOK = 71.0
PHOTONS_PER_BIT_PM16QAM = 196.0
PHOTONS_PER_BIT_SHANNON = 2.0 * math.log(2.0)


def linear_to_db(x: np.ndarray | float) -> np.ndarray:
    """``10 log10 x``."""
    return np.asarray(10.0 * np.log10(np.asarray(x, dtype=np.float64)))


def db_to_linear(x_db: np.ndarray | float) -> np.ndarray:
    """``10^(x/10)``."""
    return np.asarray(10.0 ** (np.asarray(x_db, dtype=np.float64) / 10.0))


# ----------------------------------------------------------------------------------------------- optics, term by term


def aperture_gain(diameter_m: np.ndarray | float, wavelength_m: float, efficiency: float) -> np.ndarray:
    """Antenna (telescope) gain ``eta (pi D / lambda)^2``, linear."""
    d = np.asarray(diameter_m, dtype=np.float64)
    return np.asarray(efficiency * (np.pi * d / wavelength_m) ** 2)


def aperture_gain_db(diameter_m: np.ndarray | float, wavelength_m: float, efficiency: float) -> np.ndarray:
    """Aperture gain in dB (105.1 dB for 10 cm, 80 %, 1.55 um: [SC] sec. 4.2)."""
    return linear_to_db(aperture_gain(diameter_m, wavelength_m, efficiency))


def divergence_rad(diameter_m: np.ndarray | float, wavelength_m: float) -> np.ndarray:
    """Far-field half-angle to the first dark ring of a uniformly lit circular aperture, ``1.22 lambda / D``."""
    return np.asarray(1.22 * wavelength_m / np.asarray(diameter_m, dtype=np.float64))


def spot_radius_m(distance_m: np.ndarray | float, diameter_m: float, wavelength_m: float) -> np.ndarray:
    """Beam radius at ``distance_m`` from the divergence, ``1.22 lambda d / D`` (far field)."""
    return np.asarray(np.asarray(distance_m, dtype=np.float64) * divergence_rad(diameter_m, wavelength_m))


def confocal_distance_m(aperture_radius_m: np.ndarray | float, wavelength_m: float) -> np.ndarray:
    """Confocal link distance ``pi a^2 / lambda`` of an aperture of radius ``a`` ([SC] sec. 4.2: ~5 km for 5 cm)."""
    a = np.asarray(aperture_radius_m, dtype=np.float64)
    return np.asarray(np.pi * a * a / wavelength_m)


def free_space_path_loss_db(distance_m: np.ndarray | float, wavelength_m: float) -> np.ndarray:
    """Free-space loss ``20 log10(4 pi d / lambda)`` between isotropic antennas (a positive number of dB)."""
    d = np.asarray(distance_m, dtype=np.float64)
    return np.asarray(20.0 * np.log10(4.0 * np.pi * d / wavelength_m))


def friis_received_power_w(
    distance_m: np.ndarray | float,
    tx_power_w: float,
    gain_tx: float,
    gain_rx: float,
    wavelength_m: float,
    loss_db: float = 0.0,
) -> np.ndarray:
    """Far-field received power ``P_t G_t G_r (lambda / (4 pi d))^2 / 10^(L/10)`` (gains linear, loss in dB)."""
    d = np.asarray(distance_m, dtype=np.float64)
    scale = tx_power_w * gain_tx * gain_rx * (wavelength_m / (4.0 * np.pi)) ** 2 * 10.0 ** (-loss_db / 10.0)
    return np.asarray(scale / (d * d))


def photon_energy_j(wavelength_m: float) -> float:
    """Energy of one photon, ``h c / lambda`` (1.282e-19 J at 1550 nm)."""
    return PLANCK_J_S * SPEED_OF_LIGHT_M_S / wavelength_m


def photon_limited_rate_bps(
    received_power_w: np.ndarray | float, photons_per_bit: float, wavelength_m: float
) -> np.ndarray:
    """Bit rate a receiver needing ``photons_per_bit`` photons per bit sustains: ``P / (PPB h c / lambda)``."""
    p = np.asarray(received_power_w, dtype=np.float64)
    return np.asarray(p / (photons_per_bit * photon_energy_j(wavelength_m)))


# -------------------------------------------------------------------------------------------------------- FSO link


@dataclass(frozen=True)
class FsoLink:
    """A free-space optical link between two terminals (transmit side ``tx_``, receive side ``rx_``).

    Defaults are Suncatcher's per-aperture design ([SC] sec. 4.2; docs/sources.md section 1): 5 W EDFA, 10 cm
    apertures of ~80 % efficiency (105.1 dB), 1550 nm, 3 dB of other losses, PM-16QAM (196 photons per bit),
    24 x 400 Gb/s DWDM channels (half the C band on the 100 GHz grid). ``pointing_loss_db`` is extra to
    ``other_loss_db`` (Suncatcher's "best case" has none beyond the 3 dB). ``rate_cap_bps`` is the terminal's own
    limit (switch port, modem), infinite by default.
    """

    tx_power_w: float = 5.0
    tx_diameter_m: float = 0.10
    rx_diameter_m: float = 0.10
    tx_efficiency: float = 0.8
    rx_efficiency: float = 0.8
    wavelength_m: float = 1.55e-6
    other_loss_db: float = 3.0
    pointing_loss_db: float = 0.0
    photons_per_bit: float = PHOTONS_PER_BIT_PM16QAM
    n_channels: int = 24
    channel_rate_bps: float = 400e9
    rate_cap_bps: float = math.inf
    whole_channels: bool = False

    def __post_init__(self) -> None:
        positive = ("tx_power_w", "tx_diameter_m", "rx_diameter_m", "wavelength_m", "photons_per_bit")
        for name in positive:
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("tx_efficiency", "rx_efficiency"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)!r}")
        if self.n_channels < 1 or not self.channel_rate_bps > 0.0 or not self.rate_cap_bps > 0.0:
            raise ValueError("n_channels, channel_rate_bps and rate_cap_bps must be positive")

    @property
    def gain_tx(self) -> float:
        """Transmit aperture gain (linear)."""
        return float(aperture_gain(self.tx_diameter_m, self.wavelength_m, self.tx_efficiency))

    @property
    def gain_rx(self) -> float:
        """Receive aperture gain (linear)."""
        return float(aperture_gain(self.rx_diameter_m, self.wavelength_m, self.rx_efficiency))

    @property
    def loss_db(self) -> float:
        """All losses outside the apertures and the path: other + pointing (dB)."""
        return self.other_loss_db + self.pointing_loss_db

    @property
    def waist_m(self) -> float:
        """Gaussian waist ``w0 = a_t sqrt(eta_t / 2)`` that makes the far field equal Friis (module docstring)."""
        return 0.5 * self.tx_diameter_m * math.sqrt(self.tx_efficiency / 2.0)

    @property
    def rayleigh_range_m(self) -> float:
        """``z_R = pi w0^2 / lambda``; Friis holds to < 1 % beyond about 19 of these (38 km for the defaults)."""
        return math.pi * self.waist_m**2 / self.wavelength_m

    @property
    def max_rate_bps(self) -> float:
        """The rate at unlimited power: ``min(n_channels x channel_rate, rate_cap)``."""
        return min(self.n_channels * self.channel_rate_bps, self.rate_cap_bps)

    @property
    def power_per_bit_w_s(self) -> float:
        """Received energy per bit, ``PPB h c / lambda`` (J)."""
        return self.photons_per_bit * photon_energy_j(self.wavelength_m)

    def friis_received_power_w(self, distance_m: np.ndarray | float) -> np.ndarray:
        """Far-field received power (W) by Friis, valid well beyond the Rayleigh range."""
        return friis_received_power_w(
            distance_m, self.tx_power_w, self.gain_tx, self.gain_rx, self.wavelength_m, self.loss_db
        )

    def received_power_w(self, distance_m: np.ndarray | float, extra_loss_db: np.ndarray | float = 0.0) -> np.ndarray:
        """Received power (W) with the Gaussian-beam model: Friis in the far field, saturating near the terminal.

        ``extra_loss_db`` (broadcasting) adds a path-dependent loss, e.g. the atmosphere of a ground link.
        """
        d = np.asarray(distance_m, dtype=np.float64)
        w0 = self.waist_m
        zr = self.rayleigh_range_m
        a_r = 0.5 * self.rx_diameter_m
        w2 = w0 * w0 * (1.0 + (d / zr) ** 2)
        collected = -np.expm1(-2.0 * a_r * a_r / w2)
        loss = 10.0 ** (-(self.loss_db + np.asarray(extra_loss_db, dtype=np.float64)) / 10.0)
        return np.asarray(self.tx_power_w * self.rx_efficiency * loss * collected)

    def rate_from_power_bps(self, received_power_w: np.ndarray | float) -> np.ndarray:
        """Capacity (bit/s) for a received power: photon-limited, capped by the DWDM plan and the terminal."""
        rate = photon_limited_rate_bps(received_power_w, self.photons_per_bit, self.wavelength_m)
        if self.whole_channels:
            rate = np.minimum(np.floor(rate / self.channel_rate_bps), self.n_channels) * self.channel_rate_bps
        return np.asarray(np.minimum(rate, self.max_rate_bps))

    def capacity_bps(self, distance_m: np.ndarray | float) -> np.ndarray:
        """Capacity (bit/s) at each distance (m): see :func:`isl_capacity_bps` for the fast path."""
        return self.rate_from_power_bps(self.received_power_w(distance_m))

    def distance_for_rate_m(self, rate_bps: float) -> float:
        """Far-field distance (m) at which the photon-limited rate falls to ``rate_bps`` (Friis solved for d)."""
        p_needed = rate_bps * self.power_per_bit_w_s
        p_at_1m = float(self.friis_received_power_w(1.0))
        return math.sqrt(p_at_1m / p_needed)


def isl_capacity_bps(distance_m: np.ndarray, link: FsoLink | None = None) -> np.ndarray:
    """Capacity (bit/s) of an ISL terminal pair at each distance (m), for every link at every step.

    Same result as ``link.capacity_bps`` (Gaussian-beam received power, photon-limited rate, DWDM and terminal
    caps; ``link`` defaults to Suncatcher's :func:`suncatcher_link`) with the constants folded once and the
    work done in place: ~20 ms for 10^6 distances here. Distances must be positive.
    """
    lk = suncatcher_link() if link is None else link
    d = np.asarray(distance_m, dtype=np.float64)
    a_r = 0.5 * lk.rx_diameter_m
    w0sq = lk.waist_m**2
    inv_zr2 = 1.0 / lk.rayleigh_range_m**2
    k = 2.0 * a_r * a_r / w0sq
    # rate = P_t eta_r 10^(-L/10) (1 - exp(-k / (1 + (d/zR)^2))) / E_bit
    scale = lk.tx_power_w * lk.rx_efficiency * 10.0 ** (-lk.loss_db / 10.0) / lk.power_per_bit_w_s
    x = d * d
    x *= inv_zr2
    x += 1.0
    np.divide(-k, x, out=x)
    np.expm1(x, out=x)
    x *= -scale
    if lk.whole_channels:
        np.floor(x / lk.channel_rate_bps, out=x)
        np.minimum(x, lk.n_channels, out=x)
        x *= lk.channel_rate_bps
    np.minimum(x, lk.max_rate_bps, out=x)
    return x


def aperture_diameter_for_power_m(
    received_power_w: float,
    distance_m: float,
    tx_power_w: float,
    efficiency: float,
    wavelength_m: float,
    loss_db: float,
) -> float:
    """Diameter of two equal apertures for which Friis gives ``received_power_w`` at ``distance_m``.

    From ``P_rx = P_t eta^2 (pi D / lambda)^4 (lambda / (4 pi d))^2 / L``:
    ``D = (P_rx L (4 d)^2 lambda^2 / (P_t eta^2 pi^2))^(1/4)``.
    """
    loss = 10.0 ** (loss_db / 10.0)
    d4 = received_power_w * loss * (4.0 * distance_m) ** 2 * wavelength_m**2 / (tx_power_w * efficiency**2 * np.pi**2)
    return float(d4**0.25)


def suncatcher_link() -> FsoLink:
    """Suncatcher's per-aperture ISL ([SC] sec. 4.2): 24 x 400G PM-16QAM on the 100 GHz grid, 9.6 Tbps."""
    return FsoLink()


def suncatcher_link_75ghz() -> FsoLink:
    """The same link on the 75 GHz grid: 32 x 400G = 12.8 Tbps over the same half of the C band ([SC] sec. 4.2)."""
    return FsoLink(n_channels=32)


#: Probability of a cloud-free line of sight from a ground station, global mean: about two thirds of the globe is
#: cloud-covered (King et al., "Spatial and temporal distribution of clouds observed by MODIS onboard the Terra and
#: Aqua satellites", IEEE TGRS 51(7), 2013: global cloud fraction ~0.67).
GLOBAL_CLEAR_SKY_PROBABILITY = 0.33

#: Starlink laser ISL figures (docs/sources.md section 5, "Starlink laser ISL"; [SC] sec. 2.1, 4.2).
STARLINK_SUSTAINED_BPS = 100e9
STARLINK_PEAK_BPS = 200e9
STARLINK_MAX_RANGE_M = 5_400e3


def starlink_laser_link() -> FsoLink:
    """A Starlink-like laser ISL: 100 Gb/s sustained at 5,400 km, 200 Gb/s peak (module docstring).

    Suncatcher's optical chain (5 W, 80 %, 3 dB, 1550 nm, PM-16QAM) with the aperture diameter derived so that the
    photon-limited rate at 5,400 km is the sustained 100 Gb/s (11.5 cm; the real terminal's optics are not
    published). One 200 Gb/s channel, so the rate is capped at the published peak at short range.
    """
    base = FsoLink()
    diameter = aperture_diameter_for_power_m(
        STARLINK_SUSTAINED_BPS * base.power_per_bit_w_s,
        STARLINK_MAX_RANGE_M,
        base.tx_power_w,
        base.tx_efficiency,
        base.wavelength_m,
        base.loss_db,
    )
    return FsoLink(
        tx_diameter_m=diameter,
        rx_diameter_m=diameter,
        n_channels=1,
        channel_rate_bps=STARLINK_PEAK_BPS,
        rate_cap_bps=STARLINK_PEAK_BPS,
    )


# ----------------------------------------------------------------------------------------------------- ground links


def cosecant_loss_db(
    elevation_rad: np.ndarray | float, zenith_loss_db: float, min_elevation_rad: float = math.radians(5.0)
) -> np.ndarray:
    """Slant-path loss ``L_zenith / sin(max(el, el_min))`` (dB) of a horizontally stratified atmosphere."""
    el = np.maximum(np.asarray(elevation_rad, dtype=np.float64), min_elevation_rad)
    return np.asarray(zenith_loss_db / np.sin(el))


@dataclass(frozen=True)
class RfGroundLink:
    """An RF space-to-ground (or ground-to-space) link; every figure is the caller's (no universal defaults).

    ``eirp_dbw`` of the transmitter, ``g_over_t_db_k`` of the receiver, carrier ``frequency_hz``, occupied
    ``bandwidth_hz``; ``zenith_loss_db`` is gases plus rain at the zenith for the design availability (scaled by
    the cosecant law); ``other_loss_db`` pointing, polarisation, implementation. Capacity is Shannon's
    ``B log2(1 + C/N / gap)`` capped by ``max_spectral_efficiency_bps_hz`` and, if given, by the rate a modem
    needing ``required_ebn0_db`` sustains, ``(C/N0) / (Eb/N0)_req``.
    """

    frequency_hz: float
    eirp_dbw: float
    g_over_t_db_k: float
    bandwidth_hz: float
    zenith_loss_db: float = 0.0
    other_loss_db: float = 0.0
    max_spectral_efficiency_bps_hz: float = math.inf
    shannon_gap_db: float = 0.0
    required_ebn0_db: float | None = None
    min_elevation_rad: float = math.radians(5.0)

    def __post_init__(self) -> None:
        if not (self.frequency_hz > 0.0 and self.bandwidth_hz > 0.0 and self.max_spectral_efficiency_bps_hz > 0.0):
            raise ValueError("frequency_hz, bandwidth_hz and max_spectral_efficiency_bps_hz must be positive")

    @property
    def wavelength_m(self) -> float:
        return SPEED_OF_LIGHT_M_S / self.frequency_hz

    def cn0_dbhz(self, range_m: np.ndarray | float, elevation_rad: np.ndarray | float) -> np.ndarray:
        """Carrier-to-noise-density ratio (dBHz) at slant ``range_m`` and ``elevation_rad`` (broadcasting)."""
        fspl = free_space_path_loss_db(range_m, self.wavelength_m)
        atm = cosecant_loss_db(elevation_rad, self.zenith_loss_db, self.min_elevation_rad)
        k_dbw = 10.0 * math.log10(BOLTZMANN_J_K)
        return np.asarray(self.eirp_dbw - fspl - atm - self.other_loss_db + self.g_over_t_db_k - k_dbw)

    def capacity_bps(self, range_m: np.ndarray | float, elevation_rad: np.ndarray | float) -> np.ndarray:
        """Capacity (bit/s) at slant ``range_m`` and ``elevation_rad`` (broadcasting)."""
        cn0 = 10.0 ** (self.cn0_dbhz(range_m, elevation_rad) / 10.0)
        snr = cn0 / self.bandwidth_hz / 10.0 ** (self.shannon_gap_db / 10.0)
        rate = self.bandwidth_hz * np.log2(1.0 + snr)
        rate = np.minimum(rate, self.bandwidth_hz * self.max_spectral_efficiency_bps_hz)
        if self.required_ebn0_db is not None:
            rate = np.minimum(rate, cn0 / 10.0 ** (self.required_ebn0_db / 10.0))
        return np.asarray(rate)


@dataclass(frozen=True)
class OpticalGroundLink:
    """A space-to-ground laser link: the FSO budget through the atmosphere, and the chance of a cloud-free sky.

    ``link`` holds both terminals (the ground telescope is the receive side); ``zenith_loss_db`` is the clear-air
    extinction at the zenith at the link's wavelength (cosecant law); ``clear_sky_probability`` is the station's
    cloud-free line-of-sight probability (0..1), used by :meth:`expected_capacity_bps`; default the global mean
    ``GLOBAL_CLEAR_SKY_PROBABILITY`` (a site study gives a better one, and site diversity raises it:
    :func:`site_diversity_probability`).
    """

    link: FsoLink
    zenith_loss_db: float = 0.0
    clear_sky_probability: float = GLOBAL_CLEAR_SKY_PROBABILITY
    min_elevation_rad: float = math.radians(5.0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.clear_sky_probability <= 1.0:
            raise ValueError(f"clear_sky_probability must be in [0, 1], got {self.clear_sky_probability!r}")

    def capacity_bps(self, range_m: np.ndarray | float, elevation_rad: np.ndarray | float) -> np.ndarray:
        """Clear-sky capacity (bit/s) at slant ``range_m`` and ``elevation_rad`` (broadcasting)."""
        atm = cosecant_loss_db(elevation_rad, self.zenith_loss_db, self.min_elevation_rad)
        return self.link.rate_from_power_bps(self.link.received_power_w(range_m, extra_loss_db=atm))

    def expected_capacity_bps(self, range_m: np.ndarray | float, elevation_rad: np.ndarray | float) -> np.ndarray:
        """Mean capacity over weather: ``clear_sky_probability x`` the clear-sky capacity."""
        return np.asarray(self.clear_sky_probability * self.capacity_bps(range_m, elevation_rad))


def site_diversity_probability(clear_sky_probability: np.ndarray, axis: int = -1) -> np.ndarray:
    """Probability that at least one of several independent stations is cloud-free: ``1 - prod(1 - p_i)``."""
    p = np.asarray(clear_sky_probability, dtype=np.float64)
    return np.asarray(1.0 - np.prod(1.0 - p, axis=axis))
