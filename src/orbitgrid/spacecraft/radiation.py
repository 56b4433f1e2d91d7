"""Trapped-particle radiation: AE8/AP8 flux along tracks, total ionising dose behind aluminium, upset and failure rates.

Model
-----
**Flux.** Omnidirectional integral fluxes (particles cm^-2 s^-1) of the NASA AP8 (protons > 10 and > 100 MeV) and AE8
(electrons > 1 MeV) trapped-particle models on a 2 deg x 2 deg geodetic grid at every 50 km of geodetic height from
150 to 2,150 km, shipped with the package (``data/ae8ap8_grid.npz``, made by ``scripts/vendor_ae8ap8.py`` from
``aep8`` 1.1.0; provenance in ``data/PROVENANCE.md``). :func:`trapped_flux` interpolates **trilinearly in
log10(flux)** (longitude wraps at +-180 deg; latitudes beyond the +-88 deg rows take the edge row, where LEO trapped
fluxes vanish), because trapped fluxes vary roughly exponentially with height and across the belts' flanks:

- AE8/AP8 report no flux below 1 cm^-2 s^-1 (every positive value of the grid is >= 1; below that the model
  returns 0). A node without flux enters the interpolation at ``log10 = -0.5`` (:data:`NO_FLUX_LOG10`: half a
  decade under that floor, which puts a belt's interpolated edge on average halfway across the cell), and an
  interpolated value below the floor (``log10 < 0``) is returned as zero, as the model itself would. So a node
  without flux stays exactly zero, a cell whose corners are all zero is zero throughout, and towards a zero corner
  the flux falls log-linearly to zero within the cell instead of being blended linearly (the old linear fallback
  put half the neighbour's flux at a cell's middle: tens of times too much > 100 MeV flux on a 575 km, 6 deg orbit).
- The same weights apply to every species, and a weighted mean of logs keeps order, so integral spectra stay
  monotone: J(>100 MeV) <= J(>10 MeV) wherever the grid has it at the nodes (it does at every node; tested, and as
  a property over random points).
- Outside 150-2,150 km the nearest level is held (:func:`altitude_grid_status` flags such points). Designed shells
  cannot get there (the scenario rejects circular altitudes above :data:`SHELL_ALTITUDE_MAX_KM`); element sets can,
  and the run then prints and records the approximation (``pipeline.capacity.radiation_table_notes``).

Against ``aep8`` evaluated directly along one-day tracks (450-1,400 km, 0-98 deg; tests/validation/
test_radiation_aep8.py), orbit-averaged fluxes and 5 mm doses agree within the factors stated in docs/models.md.

The South Atlantic Anomaly is not put in by hand: it is the maximum of the AP8 grid (at 550 km the > 10 MeV AP8MIN
peak sits on the node 34 deg S 34 deg W).

**Spectra.** Two integral points per proton spectrum fix a spectrum exponential in energy and truncated at AP8's
upper energy, ``j(E) = c exp(-E / E_p)`` for 10 <= E <= 400 MeV, whose slope ``1/E_p`` solves
``J(>100)/J(>10) = int_100^400 j dE / int_10^400 j dE`` (J(>100)/J(>10) = 0.41 at the 550 km SAA peak gives
``E_p`` ~ 100 MeV). The shape was chosen by comparing with full AP8MIN spectra (``aep8`` 1.1.0 integral fluxes every
5 MeV from 10 to 400 MeV, epoch 2026-01-01, at every 60 s point of one-day tracks), run through the same transport:
the orbit-averaged proton dose of the exponential fit differs from the full-spectrum dose by -3..+6 % behind
10 mm Al, -8..+11 % behind 5-20 mm and -13..-1 % behind 1 mm (SSO at 450, 650 and 800 km; 30 and 53 deg at
550 km); with the earlier 400-800 km grid's interpolation in the loop as well, -9..+5 % at 10 mm. A power law
through the same two points is 20-27 % low at 5-20 mm (it pushes protons from 100-200 MeV up to 200-400 MeV, where they
deposit less) and the AP8 spectrum is itself flat below ~30 MeV and steepening above 100 MeV (at the SAA peak:
J(>30), J(>50), J(>200), J(>300) = 2649, 2183, 405, 149 /cm^2/s; the fit gives 2482, 2036, 465, 173).
Only AP8MIN has a > 100 MeV column, so the AP8MAX spectrum takes the AP8MIN slope at the same point.

Electrons above 1 MeV get an exponential spectrum ``J(>E) = J(>1) exp(-(E - 1)/E0)`` with ``E0 = 0.58 MeV`` above
1 MeV and ``0.45 MeV`` below it (down to the cut-off behind thin shields), truncated at AE8's 7 MeV. Both e-folding
energies were fitted, not to any dose, but to AE8 spectra: the flux-weighted ratios J(>E)/J(>1) over a 4-deg grid at
650 km from the same ``aep8`` 1.1.0 code that made the grid are 3.40 (0.5 MeV), 1.89 (0.7), 0.43 (1.5), 0.185 (2),
0.032 (3 MeV) for AE8MAX, i.e. e-folding energies 0.41-0.47 MeV below 1 MeV and 0.58-0.59 MeV above.

**Dose.** A small silicon target at the centre of a solid aluminium sphere of radius ``t`` (SHIELDOSE-2's
"spherical" geometry): every arriving particle has crossed ``t`` (in g/cm^2, ``2.699 g/cm^3 x t_mm / 10``). In the
continuous-slowing-down approximation a particle of incident energy ``E0`` leaves the shield with ``E'`` where
``R(E0) = R(E') + t``; the omnidirectional spectrum at the target is ``j'(E') = j(E0) dE0/dE'`` with
``dE0/dE' = R'(E') / R'(E0)``, and the dose rate is

    Ddot [rad(Si)/s] = 1.602177e-8 x int j'(E') S_Si(E') dE'          (1 MeV/g = 1.602177e-8 rad)

evaluated per unit J(>10 MeV) for protons (a table in the flux ratio J(>100)/J(>10), built once per thickness) and
per unit J(>1 MeV) for electrons, then ``Ddot = 1.602e-8 (J10 K_p(t, ratio) + J1 K_e(t))``.

- Protons: electronic stopping power from the Bethe formula without shell, Barkas or density corrections
  (PDG, *Review of Particle Physics*, "Passage of particles through matter", eq. 34.5, with
  ``W_max = 2 m_e c^2 b^2 g^2 / (1 + 2 g m_e/M + (m_e/M)^2)``), mean excitation energies 166 eV (Al) and 173 eV
  (Si) and Z/A 0.48181 and 0.49848 (PDG atomic and nuclear properties; ICRU Report 49). Below 0.5 MeV, where Bethe
  fails, ``S`` is taken proportional to velocity (it only sets ranges of microns). CSDA range ``R = int dE / S``.
  Checked against NIST PSTAR as quoted by Suncatcher (SC §4.3): 67 MeV protons stop in ~18 mm Al (ours 18.2 mm:
  4.91 g/cm^2) and 1 rad(Si) = 7.9e6 cm^-2 of 67 MeV protons (ours 7.91e6); see the tests.
- Electrons: the Katz & Penfold (Rev. Mod. Phys. 24, 28, 1952) practical range in aluminium,
  ``R = 0.412 E^(1.265 - 0.0954 ln E)`` g/cm^2 for 0.01-2.5 MeV and ``0.530 E - 0.106`` above, stands in for the
  CSDA range (it folds in the path lost to multiple scattering); energy deposited in Si with the collision
  stopping power of ICRU Report 37 (Rohrlich-Carlson formula for electrons, no density effect: 2-5 % high at MeV).
- Neglected: bremsstrahlung (for the > 1 MeV electrons at 650 km, ~5,700 MeV cm^-2 s^-1 of energy flux, a
  thick-target radiation yield ``Y ~ 6e-4 Z E`` ~ 1.2 % in Al (Evans, *The Atomic Nucleus*, 1955, ch. 21) and a
  photon energy-absorption coefficient ~0.03 cm^2/g in Si give of order 1 rad/yr, < 1 % of the total behind 10 mm);
  nuclear reactions of protons in the shield (nuclear interaction length of Al 107 g/cm^2, PDG, so ~2.5 % of the
  protons are removed in 10 mm, partly made up by secondaries); protons below 10 MeV
  (which only reach the target behind less than 0.63 mm Al, the 10 MeV range) and electrons below 0.04 MeV.
- Galactic cosmic rays and solar particle events are in :mod:`orbitgrid.spacecraft.cosmic_rays` (their upset rates
  add to the trapped ones in the fault timelines); their total dose is not added here (GCR: a few rad/yr at LEO).

**Upsets.** Per-chip single-event rates are data, as dose per event ``D`` (rad(Si)/event) measured with 67 MeV
protons; ``rate = Ddot / D``. The equivalent cross-section is ``sigma = 1 / (D Phi_rad)`` with
``Phi_rad = 7.9e6 cm^-2`` protons per rad, so ``sigma = 1.27e-7 / D`` cm^2/chip and ``rate = sigma Phi_eq`` with the
67-MeV-equivalent flux ``Phi_eq = Ddot Phi_rad`` (the two forms agree by construction). Carrying the accelerator
figure over to the space spectrum through dose assumes upsets scale with deposited dose: an approximation, since
proton upset cross-sections depend on energy, not on dose alone.

**Ground baseline.** Interruption rates per GPU-hour from Llama 3's 54-day training snapshot (see
:func:`ground_failure_rates_per_gpu_hour`). Functions here return rates; nothing draws random events.

Sources
-------
- AP8: Sawyer & Vette, "AP-8 trapped proton environment for solar maximum and solar minimum", NSSDC/WDC-A-R&S 76-06
  (1976); AE8: Vette, "The AE-8 trapped electron model environment", NSSDC/WDC-A-R&S 91-24 (1991); evaluated with
  the IRBEM Fortran through ``aep8`` 1.1.0 (BSD-3), date 2026-01-01 (``scripts/vendor_ae8ap8.py``).
- Suncatcher [SC]: Agüera y Arcas et al., arXiv:2511.19468v2, §2.3 and §4.3 (docs/sources.md §1): ~150 rad(Si)/yr in
  SSO behind ~10 mm Al; Trillium v6e per-chip dose per event: SDC 14.4-20 (~17) rad, HBM uncorrectable 44 rad,
  SEFI 5 krad; host CPU SEFI 450 rad, host RAM 400 rad; 1 rad ~ 7.9e6 p/cm^2, sigma ~ 1.27e-7 / D.
- Llama 3: Grattafiori et al., "The Llama 3 Herd of Models", arXiv:2407.21783, §3.3.4 and Table 5 (docs/sources.md §6).
- Stopping powers and ranges: PDG Review of Particle Physics (2024), ch. 34; ICRU Reports 37 and 49 (the basis of
  NIST ESTAR/PSTAR); Katz & Penfold (1952).

Validity
--------
Orbits from 150 to 2,150 km geodetic height (points outside are flagged and held at the nearest level); circular
shells up to 2,100 km; shields of 1-50 mm Al equivalent (thinner
than ~0.6 mm the missing < 10 MeV protons and the crude sub-MeV electron spectrum make the dose a lower bound).
Static AE8/AP8 (built on 1960s-70s data: solar-cycle dependence only as MIN/MAX, no storms, and the SAA where
the models' own fixed 1960s field epochs put it: ``aep8`` returns the same L, B/B0 and fluxes for any date
(checked for 1990, 2026 and 2040), while the real anomaly drifts ~0.3 deg/yr west, docs/sources.md §5). A 10 mm Al
sphere is harsher than a real
spacecraft's shielding distribution; slab geometry roughly halves the dose. Measured (no constant tuned): a 650 km
dawn-dusk SSO behind 10 mm Al gets 183 rad(Si)/yr (AP8MIN + AE8MAX; 181 from protons), 1.22x Suncatcher's ~150;
behind 1 mm, 7.2 krad/yr, dominated by electrons (the "tens of krad/yr behind 1 mm" of a secondary SHIELDOSE-2 note,
docs/sources.md §5, is 2-4x higher: the sub-MeV electron spectrum and the straight-ahead range model are crudest there).
Figures per orbit are in ``tests/spacecraft/test_radiation.py``.
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass, field

import numpy as np

from orbitgrid.astro.constants import SECONDS_PER_JULIAN_YEAR

__all__ = [
    "ABOVE_GRID",
    "BELOW_GRID",
    "GRID_ALTITUDE_RANGE_KM",
    "IN_GRID",
    "LLAMA3_GPU_HOURS",
    "LLAMA3_UNEXPECTED_INTERRUPTIONS",
    "MEV_PER_G_TO_RAD",
    "SDC_RAD_PER_EVENT_RANGE",
    "SECONDS_PER_JULIAN_YEAR",
    "SHELL_ALTITUDE_MAX_KM",
    "SPECIES",
    "TrappedFluxGrid",
    "UpsetCrossSections",
    "altitude_grid_status",
    "dose_rate_components_rad_s",
    "dose_rate_rad_s",
    "electron_collision_stopping_power_mev_cm2_g",
    "electron_dose_coefficient_mev_cm2_g",
    "electron_practical_range_g_cm2",
    "equivalent_proton_flux_cm2_s",
    "ground_failure_rates_per_gpu_hour",
    "load_trapped_flux_grid",
    "mcilwain_l",
    "proton_csda_range_g_cm2",
    "proton_dose_coefficient_mev_cm2_g",
    "proton_stopping_power_mev_cm2_g",
    "protons_per_rad_cm2",
    "trapped_flux",
    "trapped_fluxes",
    "upset_rates_from_flux_per_s",
    "upset_rates_per_s",
]

GRID_FILE = "ae8ap8_grid.npz"

#: Equivalent aluminium shielding around the payload when a design gives none, mm: the 10 mm Suncatcher's dose
#: estimate (~150 rad(Si)/yr in a dawn-dusk SSO) assumes (Agüera y Arcas et al., arXiv:2511.19468 §2.3).
DEFAULT_SHIELDING_MM_AL = 10.0

#: Species key -> column of the AE8/AP8 grid (omnidirectional integral flux, particles cm^-2 s^-1).
SPECIES: dict[str, str] = {
    "proton_10MeV_min": "proton_gt10MeV_AP8MIN_cm2_s",
    "proton_10MeV_max": "proton_gt10MeV_AP8MAX_cm2_s",
    "proton_100MeV_min": "proton_gt100MeV_AP8MIN_cm2_s",
    "electron_1MeV_max": "electron_gt1MeV_AE8MAX_cm2_s",
    "electron_1MeV_min": "electron_gt1MeV_AE8MIN_cm2_s",
}

#: Codes of :func:`altitude_grid_status`.
BELOW_GRID, IN_GRID, ABOVE_GRID = -1, 0, 1

#: Geodetic heights the packaged grid tabulates, km (its first and last levels; the tests check the file).
GRID_ALTITUDE_RANGE_KM = (150.0, 2150.0)
#: Highest circular-shell altitude (above the equatorial radius) whose track stays inside the grid: over the poles
#: the geodetic height of such an orbit is ~21.4 km higher (equatorial minus polar radius, WGS 84), so
#: 2,150 - 21.4 km, rounded down to 2,100 km.
SHELL_ALTITUDE_MAX_KM = 2100.0
#: log10(flux) given to nodes where the model has no flux. AE8/AP8 report nothing below 1 cm^-2 s^-1 (log10 = 0).
#: The nodes with flux next to such nodes have a median log10 of 0.40-0.63 for the three proton columns (0.32-0.94
#: interquartile; electrons 1.1), so -0.5 puts the interpolated edge of a belt, on average, halfway between the last
#: node with flux and the first without. One value for every species keeps integral spectra monotone.
NO_FLUX_LOG10 = -0.5

#: 1 MeV deposited per gram = 1.602176634e-13 J / 1e-3 kg = 1.602e-10 Gy = 1.602e-8 rad.
MEV_PER_G_TO_RAD = 1.602176634e-8

ALUMINIUM_DENSITY_G_CM3 = 2.699  # PDG atomic and nuclear properties

# Bethe-formula constants (PDG 2024, Table 34.1 and ch. 34).
_K_MEV_CM2_MOL = 0.307075
_ELECTRON_MASS_MEV = 0.51099895
_PROTON_MASS_MEV = 938.27208816
# Material: (Z/A, mean excitation energy I in MeV).
_MATERIALS = {"Al": (0.48181, 166.0e-6), "Si": (0.49848, 173.0e-6)}

_BETHE_LOW_MEV = 0.5  # below this, proton S ~ velocity (Bethe's logarithm collapses)
_PROTON_E_MIN_MEV = 10.0  # lowest energy the grid constrains
_PROTON_E_MAX_MEV = 400.0  # AP8 upper energy: its integral flux above 400 MeV is undefined
_PROTON_E_100_MEV = 100.0
_ELECTRON_E0_ABOVE_1MEV = 0.58  # e-folding energies fitted to AE8 at 650 km (module docstring)
_ELECTRON_E0_BELOW_1MEV = 0.45
_ELECTRON_E_MIN_MEV = 0.04  # AE8 energy range 0.04-7 MeV
_ELECTRON_E_MAX_MEV = 7.0
_LAMBDA_GRID = np.linspace(-0.02, 1.0, 1021)  # proton spectral slopes 1/E_p (1/MeV); lam = 0 handled analytically
_N_ENERGY = 1200


# ---------------------------------------------------------------------------------------------------------------------
# Flux grid
# ---------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrappedFluxGrid:
    """AE8/AP8 flux on a regular (altitude, latitude, longitude) grid, as ``log10(flux)``.

    ``log10_flux[key]`` is ``(n_alt, n_lat, n_lon)`` float32 for every :data:`SPECIES` key, particles cm^-2 s^-1,
    with :data:`NO_FLUX_LOG10` where the model gives no flux (zero below its 1 cm^-2 s^-1 floor, or undefined).
    Axes are ascending: ``alt_km`` (geodetic height, 150..2150 by 50), ``lat_deg`` (-88..88 by 2), ``lon_deg``
    (-180..178 by 2). ``inverse_l_squared`` is ``1 / L^2`` of the McIlwain L the fluxes were looked up with (the
    geomagnetic cutoff is proportional to it). ``epoch_utc`` is the date passed to ``aep8`` (which, like AE8/AP8,
    uses its models' fixed field epochs whatever the date).
    """

    alt_km: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    log10_flux: dict[str, np.ndarray] = field(repr=False)
    inverse_l_squared: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0)))
    epoch_utc: str = ""
    generator: str = ""

    def node_flux(self, species: str) -> np.ndarray:
        """The flux (cm^-2 s^-1, float64) at every node of ``species``; zero where the model gives none."""
        lf = self.log10_flux[species].astype(np.float64)
        return np.where(lf >= 0.0, 10.0**lf, 0.0)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@functools.cache
def load_trapped_flux_grid() -> TrappedFluxGrid:
    """Read the packaged AE8/AP8 grid (``orbitgrid/spacecraft/data/ae8ap8_grid.npz``) once; arrays are read-only.

    The file stores ``1 + round(log10(flux) x 4096)`` as uint16 with 0 for no flux (``scripts/vendor_ae8ap8.py``);
    every code times the quantum is exact in float32.
    """
    ref = importlib.resources.files("orbitgrid.spacecraft") / "data" / GRID_FILE
    with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        axes = [_readonly(np.asarray(npz[k], dtype=np.float64)) for k in ("alt_km", "lat_deg", "lon_deg")]
        quantum = float(npz["log10_quantum"])
        log10_flux = {}
        for key, col in SPECIES.items():
            code = npz[col]
            lf = np.where(code > 0, (code.astype(np.float32) - 1.0) * np.float32(quantum), NO_FLUX_LOG10)
            log10_flux[key] = _readonly(lf.astype(np.float32))
        ell = npz["mcilwain_L"].astype(np.float64) * float(npz["L_quantum"])
        inv_l2 = _readonly((1.0 / ell**2).astype(np.float32))
        epoch, generator = str(npz["epoch_utc"]), str(npz["generator"])
    return TrappedFluxGrid(axes[0], axes[1], axes[2], log10_flux, inv_l2, epoch, generator)


def altitude_grid_status(alt_m: np.ndarray | float, grid: TrappedFluxGrid | None = None) -> np.ndarray:
    """``BELOW_GRID`` (-1, held at the lowest level), ``IN_GRID`` (0) or ``ABOVE_GRID`` (+1, held at the top level:
    an underestimate) per point, by geodetic height."""
    g = grid or load_trapped_flux_grid()
    h_km = np.asarray(alt_m, dtype=np.float64) / 1e3
    return np.where(h_km < g.alt_km[0], BELOW_GRID, np.where(h_km > g.alt_km[-1], ABOVE_GRID, IN_GRID)).astype(np.int8)


@dataclass(frozen=True)
class _Stencil:
    k: np.ndarray  # lower altitude level
    w: np.ndarray  # altitude weight in [0, 1]
    i: np.ndarray  # lower latitude row
    wy: np.ndarray
    j0: np.ndarray
    j1: np.ndarray
    wx: np.ndarray


def _snap(x: np.ndarray) -> np.ndarray:
    """Round grid coordinates within 1e-9 of a cell of a node onto it (degree/radian round trips), for exact nodes."""
    r = np.round(x)
    return np.where(np.abs(x - r) < 1e-9, r, x)


def _stencil(
    lat_rad: np.ndarray | float, lon_rad: np.ndarray | float, alt_m: np.ndarray | float, g: TrappedFluxGrid
) -> _Stencil:
    lat = np.degrees(np.asarray(lat_rad, dtype=np.float64))
    lon = np.degrees(np.asarray(lon_rad, dtype=np.float64))
    h = np.asarray(alt_m, dtype=np.float64) / 1e3
    lat, lon, h = np.broadcast_arrays(lat, lon, h)
    n_alt, n_lat, n_lon = len(g.alt_km), len(g.lat_deg), len(g.lon_deg)
    # Altitude: the bracketing pair of levels; outside the grid the nearest level is held (flagged by
    # altitude_grid_status). The levels are evenly spaced (checked by the tests).
    dalt = g.alt_km[1] - g.alt_km[0]
    z = np.clip(_snap((h - g.alt_km[0]) / dalt), 0.0, n_alt - 1.0)
    k = np.minimum(np.floor(z).astype(np.intp), n_alt - 2)
    # Latitude (clamped to the grid's rows) and longitude (periodic).
    dlat = g.lat_deg[1] - g.lat_deg[0]
    y = np.clip(_snap((lat - g.lat_deg[0]) / dlat), 0.0, n_lat - 1.0)
    i = np.minimum(np.floor(y).astype(np.intp), n_lat - 2)
    dlon = g.lon_deg[1] - g.lon_deg[0]
    x = _snap(np.mod(lon - g.lon_deg[0], 360.0) / dlon)
    j = np.floor(x)
    j0 = j.astype(np.intp) % n_lon
    return _Stencil(k, z - k, i, y - i, j0, (j0 + 1) % n_lon, x - j)


def _trilinear(cube: np.ndarray, s: _Stencil) -> np.ndarray:
    """Trilinear interpolation of a grid cube (``log10(flux)``, no-flux nodes at :data:`NO_FLUX_LOG10`; ``1/L^2``)."""
    out = np.zeros(np.shape(s.w))
    for kk, wk in ((s.k, 1.0 - s.w), (s.k + 1, s.w)):
        for ii, wi in ((s.i, 1.0 - s.wy), (s.i + 1, s.wy)):
            for jj, wj in ((s.j0, 1.0 - s.wx), (s.j1, s.wx)):
                out += (wk * wi * wj) * cube[kk, ii, jj]
    return out


def _flux_from_log10(lf: np.ndarray) -> np.ndarray:
    """``10^lf`` where it is at least the models' 1 cm^-2 s^-1 floor, else zero (as AE8/AP8 do)."""
    return np.where(lf >= 0.0, 10.0 ** np.minimum(lf, 30.0), 0.0)


def trapped_flux(
    lat_rad: np.ndarray | float,
    lon_rad: np.ndarray | float,
    alt_m: np.ndarray | float,
    species: str = "proton_10MeV_min",
    grid: TrappedFluxGrid | None = None,
) -> np.ndarray:
    """AE8/AP8 omnidirectional integral flux (particles cm^-2 s^-1) at geodetic points (inputs broadcast).

    ``species`` is a :data:`SPECIES` key. Interpolation and the rules outside the grid are in the module docstring;
    :func:`altitude_grid_status` tells which points lie outside the tabulated heights.
    """
    if species not in SPECIES:
        raise ValueError(f"unknown species {species!r}; expected one of {sorted(SPECIES)}")
    g = grid or load_trapped_flux_grid()
    return _flux_from_log10(_trilinear(g.log10_flux[species], _stencil(lat_rad, lon_rad, alt_m, g)))


def mcilwain_l(
    lat_rad: np.ndarray | float,
    lon_rad: np.ndarray | float,
    alt_m: np.ndarray | float,
    grid: TrappedFluxGrid | None = None,
) -> np.ndarray:
    """McIlwain L at geodetic points, interpolated trilinearly in ``1 / L^2`` (smooth, and what cutoffs scale with)."""
    g = grid or load_trapped_flux_grid()
    return 1.0 / np.sqrt(_trilinear(g.inverse_l_squared, _stencil(lat_rad, lon_rad, alt_m, g)))


def trapped_fluxes(
    lat_rad: np.ndarray | float,
    lon_rad: np.ndarray | float,
    alt_m: np.ndarray | float,
    species: tuple[str, ...] = tuple(SPECIES),
    grid: TrappedFluxGrid | None = None,
) -> dict[str, np.ndarray]:
    """:func:`trapped_flux` of several species at the same points, sharing one stencil."""
    g = grid or load_trapped_flux_grid()
    for sp in species:
        if sp not in SPECIES:
            raise ValueError(f"unknown species {sp!r}; expected one of {sorted(SPECIES)}")
    s = _stencil(lat_rad, lon_rad, alt_m, g)
    return {sp: _flux_from_log10(_trilinear(g.log10_flux[sp], s)) for sp in species}


# ---------------------------------------------------------------------------------------------------------------------
# Stopping powers and ranges
# ---------------------------------------------------------------------------------------------------------------------


def _material(material: str) -> tuple[float, float]:
    try:
        return _MATERIALS[material]
    except KeyError:
        raise ValueError(f"unknown material {material!r}; expected one of {sorted(_MATERIALS)}") from None


def _bethe_proton(e_mev: np.ndarray, z_over_a: float, i_mev: float) -> np.ndarray:
    gamma = 1.0 + e_mev / _PROTON_MASS_MEV
    beta2 = 1.0 - 1.0 / gamma**2
    bg2 = beta2 * gamma**2
    ratio = _ELECTRON_MASS_MEV / _PROTON_MASS_MEV
    w_max = 2.0 * _ELECTRON_MASS_MEV * bg2 / (1.0 + 2.0 * gamma * ratio + ratio**2)
    log_term = 0.5 * np.log(2.0 * _ELECTRON_MASS_MEV * bg2 * w_max / i_mev**2)
    return _K_MEV_CM2_MOL * z_over_a / beta2 * (log_term - beta2)


def proton_stopping_power_mev_cm2_g(energy_mev: np.ndarray | float, material: str = "Si") -> np.ndarray:
    """Electronic mass stopping power of protons (MeV cm^2/g) in ``"Al"`` or ``"Si"``: Bethe, S ~ v below 0.5 MeV."""
    z_over_a, i_mev = _material(material)
    e = np.asarray(energy_mev, dtype=np.float64)
    s_low = _bethe_proton(np.asarray(_BETHE_LOW_MEV), z_over_a, i_mev)
    low = s_low * np.sqrt(np.maximum(e, 0.0) / _BETHE_LOW_MEV)
    return np.where(e >= _BETHE_LOW_MEV, _bethe_proton(np.maximum(e, _BETHE_LOW_MEV), z_over_a, i_mev), low)


@functools.cache
def _proton_range_table(material: str) -> tuple[np.ndarray, np.ndarray]:
    """(log E, log R) of the CSDA range from 1 keV to 20 GeV."""
    e = np.logspace(-3.0, np.log10(2.0e4), 4000)
    s = proton_stopping_power_mev_cm2_g(e, material)
    r0 = 2.0 * e[0] / s[0]  # S ~ sqrt(E) below 0.5 MeV integrates to R = 2E/S
    integrand = e / s  # dR = (E / S) d ln E
    r = r0 + np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(np.log(e)))])
    return _readonly(np.log(e)), _readonly(np.log(r))


def proton_csda_range_g_cm2(energy_mev: np.ndarray | float, material: str = "Al") -> np.ndarray:
    """CSDA range of protons (g/cm^2) from the stopping power above (1 keV - 20 GeV)."""
    log_e, log_r = _proton_range_table(material)
    return np.exp(np.interp(np.log(np.asarray(energy_mev, dtype=np.float64)), log_e, log_r))


def _proton_energy_from_range(range_g_cm2: np.ndarray, material: str = "Al") -> np.ndarray:
    log_e, log_r = _proton_range_table(material)
    return np.exp(np.interp(np.log(range_g_cm2), log_r, log_e))


_KP_A, _KP_B, _KP_C = 0.412, 1.265, 0.0954  # Katz & Penfold (1952), 0.01-2.5 MeV
_KP_SLOPE, _KP_OFFSET, _KP_BREAK_MEV = 0.530, 0.106, 2.5


def electron_practical_range_g_cm2(energy_mev: np.ndarray | float) -> np.ndarray:
    """Katz-Penfold practical range of electrons in aluminium (g/cm^2), 0.01-7 MeV and beyond."""
    e = np.asarray(energy_mev, dtype=np.float64)
    ln_e = np.log(np.maximum(e, 1e-12))
    low = _KP_A * np.exp((_KP_B - _KP_C * ln_e) * ln_e)
    return np.where(e <= _KP_BREAK_MEV, low, _KP_SLOPE * e - _KP_OFFSET)


def _electron_range_derivative(e: np.ndarray) -> np.ndarray:
    """dR/dE of the Katz-Penfold range (g/cm^2/MeV)."""
    ln_e = np.log(e)
    low = electron_practical_range_g_cm2(e) * (_KP_B - 2.0 * _KP_C * ln_e) / e
    return np.where(e <= _KP_BREAK_MEV, low, _KP_SLOPE)


def electron_collision_stopping_power_mev_cm2_g(energy_mev: np.ndarray | float, material: str = "Si") -> np.ndarray:
    """Collision stopping power of electrons (MeV cm^2/g), ICRU 37 (Rohrlich-Carlson), no density-effect term."""
    z_over_a, i_mev = _material(material)
    tau = np.asarray(energy_mev, dtype=np.float64) / _ELECTRON_MASS_MEV
    gamma = tau + 1.0
    beta2 = 1.0 - 1.0 / gamma**2
    f_minus = 1.0 - beta2 + (tau**2 / 8.0 - (2.0 * tau + 1.0) * np.log(2.0)) / gamma**2
    log_term = np.log(tau**2 * (tau + 2.0) / (2.0 * (i_mev / _ELECTRON_MASS_MEV) ** 2))
    return 0.5 * _K_MEV_CM2_MOL * z_over_a / beta2 * (log_term + f_minus)


def protons_per_rad_cm2(energy_mev: float = 67.0) -> float:
    """Fluence of monoenergetic protons (cm^-2) that deposits 1 rad(Si): ``1 / (S_Si(E) x 1.602e-8)``."""
    return float(1.0 / (proton_stopping_power_mev_cm2_g(energy_mev, "Si") * MEV_PER_G_TO_RAD))


# ---------------------------------------------------------------------------------------------------------------------
# Dose coefficients
# ---------------------------------------------------------------------------------------------------------------------


def _shield_g_cm2(shielding_mm_al: float) -> float:
    t = float(shielding_mm_al)
    if not np.isfinite(t) or t < 0.0:
        raise ValueError(f"shielding must be a finite thickness >= 0 mm, got {shielding_mm_al}")
    return ALUMINIUM_DENSITY_G_CM3 * t / 10.0


def _exp_integral(a: float, b: float, lam: np.ndarray) -> np.ndarray:
    """int_a^b exp(-lam E) dE, with the lam -> 0 limit b - a."""
    small = np.abs(lam) < 1e-12
    ls = np.where(small, 1.0, lam)
    return np.where(small, b - a, (np.exp(-ls * a) - np.exp(-ls * b)) / ls)


@functools.lru_cache(maxsize=64)
def _proton_table(shielding_mm_al: float) -> tuple[np.ndarray, np.ndarray]:
    """(J100/J10 ascending, dose coefficient per unit J10 in MeV cm^2/g) over the spectral-slope grid."""
    t = _shield_g_cm2(shielding_mm_al)
    lam = _LAMBDA_GRID
    norm = _exp_integral(_PROTON_E_MIN_MEV, _PROTON_E_MAX_MEV, lam)
    ratio = _exp_integral(_PROTON_E_100_MEV, _PROTON_E_MAX_MEV, lam) / norm
    # Residual energies E' of protons of 10..400 MeV after the shield.
    r_lo = float(proton_csda_range_g_cm2(_PROTON_E_MIN_MEV, "Al")) - t
    r_hi = float(proton_csda_range_g_cm2(_PROTON_E_MAX_MEV, "Al")) - t
    e_top = float(_proton_energy_from_range(np.asarray(r_hi)))
    e_bottom = float(_proton_energy_from_range(np.asarray(r_lo))) if r_lo > 0 else 1e-3
    e_res = np.logspace(np.log10(e_bottom), np.log10(e_top), _N_ENERGY)
    e0 = _proton_energy_from_range(proton_csda_range_g_cm2(e_res, "Al") + t)
    e0 = np.clip(e0, _PROTON_E_MIN_MEV, _PROTON_E_MAX_MEV)
    jacobian = proton_stopping_power_mev_cm2_g(e0, "Al") / proton_stopping_power_mev_cm2_g(e_res, "Al")
    weight = jacobian * proton_stopping_power_mev_cm2_g(e_res, "Si") * e_res  # times d ln E'
    spectra = np.exp(-lam[:, None] * e0[None, :]) / norm[:, None]  # per unit J(>10 MeV)
    y = spectra * weight[None, :]
    coeff = np.sum(0.5 * (y[:, 1:] + y[:, :-1]) * np.diff(np.log(e_res))[None, :], axis=1)
    order = np.argsort(ratio)
    return _readonly(ratio[order]), _readonly(coeff[order])


def proton_dose_coefficient_mev_cm2_g(shielding_mm_al: float, flux_ratio_100_10: np.ndarray | float) -> np.ndarray:
    """Dose in Si (MeV/g) per unit > 10 MeV proton fluence (cm^-2) behind a sphere of ``shielding_mm_al`` of Al.

    ``flux_ratio_100_10`` = J(>100 MeV) / J(>10 MeV) sets the slope of the truncated exponential spectrum; ratios
    beyond the tabulated slopes (1/E_p from -0.02 to 1 per MeV, i.e. ratios ~1e-39 to 0.81) take the nearest end.
    """
    ratio_grid, coeff = _proton_table(float(shielding_mm_al))
    return np.interp(np.asarray(flux_ratio_100_10, dtype=np.float64), ratio_grid, coeff)


@functools.lru_cache(maxsize=64)
def electron_dose_coefficient_mev_cm2_g(shielding_mm_al: float) -> float:
    """Dose in Si (MeV/g) per unit > 1 MeV electron fluence (cm^-2) behind ``shielding_mm_al`` of Al (sphere)."""
    t = _shield_g_cm2(shielding_mm_al)
    e_tab = np.logspace(np.log10(0.01), np.log10(20.0), 3000)
    r_tab = electron_practical_range_g_cm2(e_tab)

    def energy_from_range(r: np.ndarray) -> np.ndarray:
        return np.exp(np.interp(np.log(r), np.log(r_tab), np.log(e_tab)))

    r_hi = float(electron_practical_range_g_cm2(_ELECTRON_E_MAX_MEV)) - t
    if r_hi <= float(r_tab[0]):
        return 0.0
    r_lo = float(electron_practical_range_g_cm2(_ELECTRON_E_MIN_MEV)) - t
    e_bottom = float(energy_from_range(np.asarray(r_lo))) if r_lo > r_tab[0] else 0.01
    e_res = np.logspace(np.log10(e_bottom), np.log10(float(energy_from_range(np.asarray(r_hi)))), _N_ENERGY)
    e0 = np.clip(energy_from_range(electron_practical_range_g_cm2(e_res) + t), _ELECTRON_E_MIN_MEV, _ELECTRON_E_MAX_MEV)
    e_fold = np.where(e0 >= 1.0, _ELECTRON_E0_ABOVE_1MEV, _ELECTRON_E0_BELOW_1MEV)
    spectrum = np.exp(-(e0 - 1.0) / e_fold) / e_fold  # per unit J(>1 MeV)
    jacobian = _electron_range_derivative(e_res) / _electron_range_derivative(e0)
    y = spectrum * jacobian * electron_collision_stopping_power_mev_cm2_g(e_res, "Si") * e_res
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(np.log(e_res))))


def dose_rate_components_rad_s(
    lat_rad: np.ndarray | float,
    lon_rad: np.ndarray | float,
    alt_m: np.ndarray | float,
    shielding_mm_al: float = 10.0,
    proton_solar: str = "min",
    electron_solar: str = "max",
    grid: TrappedFluxGrid | None = None,
) -> dict[str, np.ndarray]:
    """Trapped-particle dose rate in Si (rad/s) behind a sphere of Al: ``{"proton", "electron", "total"}``.

    Defaults pair AP8MIN (higher LEO proton fluxes) with AE8MAX (higher electron fluxes), the conservative choice.
    The orbit-averaged rate of a track is the mean over evenly spaced samples; multiply by
    :data:`SECONDS_PER_JULIAN_YEAR` for rad/yr.
    """
    if proton_solar not in ("min", "max") or electron_solar not in ("min", "max"):
        raise ValueError("proton_solar and electron_solar must be 'min' or 'max'")
    keys = ("proton_10MeV_min", "proton_100MeV_min", f"proton_10MeV_{proton_solar}", f"electron_1MeV_{electron_solar}")
    f = trapped_fluxes(lat_rad, lon_rad, alt_m, tuple(dict.fromkeys(keys)), grid)
    j10_min, j100, j10, j1 = (f[k] for k in keys)
    ratio = np.where(j10_min > 0.0, j100 / np.where(j10_min > 0.0, j10_min, 1.0), 0.0)
    proton = j10 * proton_dose_coefficient_mev_cm2_g(shielding_mm_al, ratio) * MEV_PER_G_TO_RAD
    electron = j1 * electron_dose_coefficient_mev_cm2_g(float(shielding_mm_al)) * MEV_PER_G_TO_RAD
    return {"proton": proton, "electron": electron, "total": proton + electron}


def dose_rate_rad_s(
    lat_rad: np.ndarray | float,
    lon_rad: np.ndarray | float,
    alt_m: np.ndarray | float,
    shielding_mm_al: float = 10.0,
    proton_solar: str = "min",
    electron_solar: str = "max",
    grid: TrappedFluxGrid | None = None,
) -> np.ndarray:
    """Total trapped proton + electron dose rate in Si (rad/s); see :func:`dose_rate_components_rad_s`."""
    return dose_rate_components_rad_s(lat_rad, lon_rad, alt_m, shielding_mm_al, proton_solar, electron_solar, grid)[
        "total"
    ]


# ---------------------------------------------------------------------------------------------------------------------
# Single-event upsets
# ---------------------------------------------------------------------------------------------------------------------

#: Suncatcher's measured spread of the SDC dose per event (rad(Si)/event, SC §4.3).
SDC_RAD_PER_EVENT_RANGE = (14.4, 20.0)


@dataclass(frozen=True)
class UpsetCrossSections:
    """Per-chip single-event sensitivities as dose per event (rad(Si)/event), 67 MeV protons.

    Defaults: Google's Trillium (TPU v6e) tests with an AMD host (Suncatcher, arXiv:2511.19468v2, §2.3, §4.3):
    silent data corruption in core logic + SRAM ~1 per 17 rad (measured 14.4-20), HBM uncorrectable errors 1 per
    44 rad (203 events), functional interrupt / SEFI needing a reset 1 per 5 krad, host CPU SEFI 1 per 450 rad and
    host RAM SEFI 1 per 400 rad. ``protons_per_rad_cm2`` converts to cross-sections (SC: 1 rad ~ 7.9e6 p/cm^2).
    """

    sdc_rad_per_event: float = 17.0
    hbm_uncorrectable_rad_per_event: float = 44.0
    sefi_rad_per_event: float = 5_000.0
    host_cpu_sefi_rad_per_event: float = 450.0
    host_ram_sefi_rad_per_event: float = 400.0
    protons_per_rad_cm2: float = 7.9e6

    def rad_per_event(self) -> dict[str, float]:
        """Event kind -> dose per event (rad(Si))."""
        return {
            "sdc": self.sdc_rad_per_event,
            "hbm_uncorrectable": self.hbm_uncorrectable_rad_per_event,
            "sefi": self.sefi_rad_per_event,
            "host_cpu_sefi": self.host_cpu_sefi_rad_per_event,
            "host_ram_sefi": self.host_ram_sefi_rad_per_event,
        }

    def sigma_cm2(self) -> dict[str, float]:
        """Event kind -> cross-section per chip, ``1 / (D x protons_per_rad_cm2)`` (SC: 1.27e-7 / D)."""
        return {k: 1.0 / (d * self.protons_per_rad_cm2) for k, d in self.rad_per_event().items()}


def upset_rates_per_s(
    dose_rate_rad_s_: np.ndarray | float, cross_sections: UpsetCrossSections | None = None
) -> dict[str, np.ndarray]:
    """Expected events per second per chip, ``Ddot / D`` for each kind in :class:`UpsetCrossSections`."""
    xs = cross_sections or UpsetCrossSections()
    d = np.asarray(dose_rate_rad_s_, dtype=np.float64)
    return {k: d / dose for k, dose in xs.rad_per_event().items()}


def equivalent_proton_flux_cm2_s(
    dose_rate_rad_s_: np.ndarray | float, protons_per_rad_cm2_: float = 7.9e6
) -> np.ndarray:
    """Flux of 67 MeV protons (cm^-2 s^-1) that deposits the same dose rate in Si."""
    return np.asarray(dose_rate_rad_s_, dtype=np.float64) * protons_per_rad_cm2_


def upset_rates_from_flux_per_s(
    equivalent_flux_cm2_s: np.ndarray | float, cross_sections: UpsetCrossSections | None = None
) -> dict[str, np.ndarray]:
    """Expected events per second per chip, ``sigma x Phi_eq`` (67-MeV-equivalent flux); = :func:`upset_rates_per_s`."""
    xs = cross_sections or UpsetCrossSections()
    phi = np.asarray(equivalent_flux_cm2_s, dtype=np.float64)
    return {k: sigma * phi for k, sigma in xs.sigma_cm2().items()}


# ---------------------------------------------------------------------------------------------------------------------
# Ground baseline
# ---------------------------------------------------------------------------------------------------------------------

#: Llama 3 54-day snapshot: unexpected interruptions by root cause (arXiv:2407.21783, Table 5; docs/sources.md §6).
LLAMA3_UNEXPECTED_INTERRUPTIONS: dict[str, int] = {
    "faulty_gpu": 148,
    "gpu_hbm3": 72,
    "software_bug": 54,
    "network_switch_cable": 35,
    "gpu_sram": 19,
    "gpu_system_processor": 17,
    "silent_data_corruption": 6,
    "host_cpu": 2,
    "other": 419 - 353,  # the remaining Table 5 rows (host maintenance, NIC, storage, ...), not itemised here
}
LLAMA3_PLANNED_INTERRUPTIONS = 47
LLAMA3_GPUS = 16_384
LLAMA3_DAYS = 54
LLAMA3_GPU_HOURS = LLAMA3_GPUS * LLAMA3_DAYS * 24  # 21,233,664


def ground_failure_rates_per_gpu_hour() -> dict[str, float]:
    """Unexpected job interruptions per GPU-hour on the ground, by cause, from Llama 3's training snapshot.

    Llama 3 405B pre-training saw 466 interruptions in 54 days on 16,384 H100 GPUs: 47 planned and 419 unexpected
    (Grattafiori et al., arXiv:2407.21783, §3.3.4, Table 5; docs/sources.md §6). Assuming all 16,384 GPUs ran for the
    whole window, the exposure is ``16,384 x 54 d x 24 h = 21,233,664`` GPU-hours, so

    - faulty GPU 148 / 21,233,664 = 6.97e-6 /GPU-h (0.061 per GPU-year)
    - GPU HBM3 72 -> 3.39e-6;  software bug 54 -> 2.54e-6;  network switch/cable 35 -> 1.65e-6
    - GPU SRAM 19 -> 8.95e-7;  GPU system processor 17 -> 8.01e-7;  silent data corruption 6 -> 2.83e-7
    - host CPU 2 -> 9.42e-8;  other (419 - 353 itemised = 66) -> 3.11e-6
    - all unexpected 419 -> 1.97e-5 /GPU-h (one per ~50,700 GPU-hours; 0.173 per GPU-year)

    Keys are those of :data:`LLAMA3_UNEXPECTED_INTERRUPTIONS` (the rates sum to the all-unexpected rate; planned
    interruptions are excluded). These are interruptions of a synchronous job, the baseline that any
    radiation-induced events add to; how many were permanent hardware replacements the paper does not say
    (faulty GPU, HBM3, SRAM and system-processor failures are the hardware candidates).
    """
    return {k: n / LLAMA3_GPU_HOURS for k, n in LLAMA3_UNEXPECTED_INTERRUPTIONS.items()}
