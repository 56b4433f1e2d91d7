"""NRLMSIS density (against NRL's own test output), drag decay (against the closed form), and the lifetime physics.

Documented comparisons (docs/models.md, "Orbital lifetime"): SpaceX's 550 -> 480 km statement and the February 2022
storm at 210 km are printed here with ``-s`` and bounded loosely, since docs/sources.md dispute 11 warns against
validating lifetime on a single number.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from orbitgrid.astro import atmosphere as atm
from orbitgrid.astro import lifetime as lt
from orbitgrid.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_MU_M3_S2, SECONDS_PER_JULIAN_YEAR

REF = Path(__file__).resolve().parents[1] / "data" / "nrlmsis" / "msis2.1_test_ref_dp_above100km.txt"


def _ref_rows() -> list[list[str]]:
    return [ln.split() for ln in REF.read_text().splitlines()[1:] if ln.strip()]


def test_density_matches_nrl_reference_output() -> None:
    rows = _ref_rows()
    assert len(rows) == 101
    ours, theirs = [], []
    for it in rows:
        iyd = int(it[0])
        year = iyd // 1000 + (1900 if iyd // 1000 > 60 else 2000)
        doy = iyd % 1000
        sec, alt, lat, lon, _stl, f107a, f107, ap = (float(x) for x in it[1:9])
        date = np.datetime64(str(year)) + np.timedelta64(doy - 1, "D") + np.timedelta64(int(sec), "s")
        act = atm.SolarActivity("ref", f107, f107a, (ap,) * 7)
        ours.append(atm.msis_density_kg_m3(np.array([date]), np.array([lon]), np.array([lat]), np.array([alt]), act))
        theirs.append(float(it[14]) * 1e3)  # g/cm3 -> kg/m3
    rel = np.abs(np.concatenate(ours) / np.array(theirs) - 1.0)
    # the reference prints four significant digits
    assert rel.max() < 1e-3


def test_scenarios_come_from_the_record() -> None:
    sc = atm.SCENARIOS
    assert sc["min"].f107a_sfu < sc["mean"].f107a_sfu < sc["max"].f107a_sfu
    assert 60.0 < sc["min"].f107a_sfu < 75.0  # cycle 24/25 minimum, 2019
    assert 200.0 < sc["max"].f107a_sfu < 260.0  # cycle 25 maximum, 2024
    assert sc["storm_2022_02"].ap[0] == 32.0  # daily Ap of 4 Feb 2022
    assert max(sc["storm_2022_02"].ap[1:5]) >= 27.0


def test_ap_vector_reads_the_3_hourly_history() -> None:
    sw = atm.space_weather()
    v = atm.ap_vector(sw, np.datetime64("2022-02-04T01:30"))
    # slot 0 of 4 Feb (27), then 21-24 UT, 18-21 UT and 15-18 UT of 3 Feb (12, 15, 15)
    assert v[:5] == (32.0, 27.0, 12.0, 15.0, 15.0)
    with pytest.raises(ValueError, match="outside the space-weather record"):
        atm.ap_vector(sw, np.datetime64("2009-12-31T00:00"))


def test_decay_matches_closed_form_in_constant_density() -> None:
    # da/dt = -sqrt(mu a) rho B  ->  sqrt(a) falls linearly: T = 2 (sqrt(a0) - sqrt(ae)) / (sqrt(mu) rho B)
    rho, b, h0 = 1e-12, 0.02, 500e3
    d = lt.decay(h0, b, lambda _t, _h: rho)
    a0 = EARTH_EQUATORIAL_RADIUS_M + h0
    ae = EARTH_EQUATORIAL_RADIUS_M + lt.REENTRY_ALTITUDE_M
    expect = 2.0 * (math.sqrt(a0) - math.sqrt(ae)) / (math.sqrt(EARTH_MU_M3_S2) * rho * b) / SECONDS_PER_JULIAN_YEAR
    assert d.lifetime_years == pytest.approx(expect, rel=1e-6)
    assert np.all(np.diff(d.altitude_m) <= 0.0)


@pytest.fixture(scope="module")
def profiles() -> dict[str, atm.DensityProfile]:
    return {a: atm.density_profile(a, math.radians(53.0)) for a in ("min", "mean", "max")}


def test_decays_faster_at_solar_maximum_and_with_more_area(profiles: dict[str, atm.DensityProfile]) -> None:
    life = {a: lt.decay(550e3, 0.05, lambda _t, h, p=p: float(p(h))).lifetime_years for a, p in profiles.items()}
    assert life["max"] < life["mean"] < life["min"]
    assert life["min"] / life["max"] > 5.0  # density swings by ~40x at 550 km over the cycle
    heavy = lt.decay(550e3, 0.01, lambda _t, h: float(profiles["mean"](h))).lifetime_years
    assert heavy == pytest.approx(5.0 * life["mean"], rel=0.02)  # lifetime ~ 1 / (C_D A / m) at fixed density


def test_spacex_550_to_480_km_statement(profiles: dict[str, atm.DensityProfile]) -> None:
    # SpaceX (2024-25, lowering ~4,400 Starlinks): at solar minimum decay time from 550 km is "over four years",
    # from 480 km "a few months". With C_D A / m chosen so that 550 km gives 4.5 years at the record's solar
    # minimum, NRLMSIS gives ~1 year from 480 km: the same direction, a factor ~4 (the density's scale height at
    # solar minimum) rather than the ~15 the statement implies (docs/models.md discusses it).
    p = profiles["min"]
    life550 = lt.decay(550e3, 1.0, lambda _t, h: float(p(h))).lifetime_years
    cdam = life550 / 4.5  # lifetime is inversely proportional to C_D A / m
    l550 = lt.decay(550e3, cdam, lambda _t, h: float(p(h))).lifetime_years
    l480 = lt.decay(480e3, cdam, lambda _t, h: float(p(h))).lifetime_years
    print(f"solar min, C_D A/m {cdam:.3f} m2/kg: 550 km {l550:.2f} yr, 480 km {l480:.2f} yr, ratio {l550 / l480:.1f}")
    assert l550 == pytest.approx(4.5, rel=1e-3)
    assert 2.5 < l550 / l480 < 8.0
    assert l480 < 2.0


def test_february_2022_storm_raises_density_at_210_km() -> None:
    # SpaceX (8 Feb 2022): the storm raised drag on group 4-7 at ~210 km "up to 50 percent" above earlier launches.
    inc = math.radians(53.2)
    storm_t = np.array(["2022-02-04T21:00"], dtype="datetime64[s]")
    quiet_t = np.array(["2022-02-01T21:00"], dtype="datetime64[s]")
    quiet = atm.activity_on(quiet_t[0], storm_time=True)
    r_storm = atm.orbit_average_density_kg_m3(210e3, inc, atm.SCENARIOS["storm_2022_02"], dates=storm_t)[0]
    r_quiet = atm.orbit_average_density_kg_m3(210e3, inc, quiet, dates=quiet_t)[0]
    print(
        f"210 km orbit-average density: quiet 1 Feb {r_quiet:.3e}, storm 4 Feb {r_storm:.3e}, x{r_storm / r_quiet:.2f}"
    )
    assert 1.05 < r_storm / r_quiet < 1.6


def test_hold_and_deorbit_delta_v() -> None:
    # Hohmann first burn 550 -> 200 km perigee, Vallado's formula evaluated independently
    r, rp = EARTH_EQUATORIAL_RADIUS_M + 550e3, EARTH_EQUATORIAL_RADIUS_M + 200e3
    vc = math.sqrt(EARTH_MU_M3_S2 / r)
    va = math.sqrt(EARTH_MU_M3_S2 * (2.0 / r - 2.0 / (r + rp)))
    assert lt.deorbit_delta_v_m_s(550e3, 200e3) == pytest.approx(vc - va, rel=1e-12)
    assert lt.deorbit_delta_v_m_s(550e3, 600e3) == 0.0
    dv = lt.hold_delta_v_m_s(1e-13, 550e3, 0.05, 1.0)
    assert dv == pytest.approx(0.5 * 1e-13 * vc * vc * 0.05 * SECONDS_PER_JULIAN_YEAR, rel=1e-12)


def test_density_profile_interpolates_within_a_percent(profiles: dict[str, atm.DensityProfile]) -> None:
    h = np.array([212.5e3, 487.5e3, 662.5e3])
    direct = atm.orbit_average_density_kg_m3(h, math.radians(53.0), atm.SCENARIOS["mean"])
    assert np.allclose(profiles["mean"](h), direct, rtol=0.01)
    with pytest.raises(ValueError, match="outside the density profile"):
        profiles["mean"](50e3)


@pytest.mark.parametrize("activity", ["min", "mean", "max"])
@pytest.mark.parametrize("altitude_km", [300.0, 450.0, 550.0])
def test_steady_lifetime_quadrature_matches_scipy(activity: str, altitude_km: float) -> None:
    """``steady_lifetime_years`` (the decay equation separated, Gauss-Legendre over altitude) against scipy's
    adaptive QUADPACK ``quad`` of the same integral (1e-10 relative), scipy's DOP853 time integration of the decay
    equation at rtol 1e-12 (1e-6: a 20-year integration accumulates ~3e-7), and :func:`lt.decay` (LSODA at its
    rtol 1e-8, which ends ~1e-5 early: 1e-4). The profile is cut at the shell's altitude as the lifetime table cuts
    it; the cut changes no density."""
    from scipy.integrate import quad, solve_ivp

    full = atm.density_profile(activity, math.radians(53.0))
    p = atm.density_profile(activity, math.radians(53.0), max_altitude_m=altitude_km * 1e3)
    assert np.array_equal(p.log_density, full.log_density[: p.log_density.size])
    cda, h0 = 0.05, altitude_km * 1e3
    ours = lt.steady_lifetime_years(h0, cda, p, p.altitude_m)

    def per_metre(h: float) -> float:
        return 1.0 / (math.sqrt(EARTH_MU_M3_S2 * (EARTH_EQUATORIAL_RADIUS_M + h)) * float(p(h)) * cda)

    inner = p.altitude_m[(p.altitude_m > lt.REENTRY_ALTITUDE_M) & (p.altitude_m < h0)]
    edges = np.concatenate([[lt.REENTRY_ALTITUDE_M], inner, [h0]])
    seconds = sum(
        quad(per_metre, lo, hi, epsabs=0.0, epsrel=1e-13, limit=200)[0] for lo, hi in itertools.pairwise(edges)
    )
    assert ours == pytest.approx(seconds / SECONDS_PER_JULIAN_YEAR, rel=1e-10)

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        h = max(float(y[0]) - EARTH_EQUATORIAL_RADIUS_M, lt.REENTRY_ALTITUDE_M)
        return [-math.sqrt(EARTH_MU_M3_S2 * float(y[0])) * float(p(h)) * cda]

    def entry(_t: float, y: np.ndarray) -> float:
        return float(y[0]) - EARTH_EQUATORIAL_RADIUS_M - lt.REENTRY_ALTITUDE_M

    entry.terminal = True  # type: ignore[attr-defined]
    span = (0.0, 200.0 * SECONDS_PER_JULIAN_YEAR)
    sol = solve_ivp(rhs, span, [EARTH_EQUATORIAL_RADIUS_M + h0], method="DOP853", rtol=1e-12, atol=1e-6, events=entry)
    assert ours == pytest.approx(sol.t_events[0][0] / SECONDS_PER_JULIAN_YEAR, rel=1e-6)
    lsoda = lt.decay(h0, cda, lambda _t, h: float(p(h))).lifetime_years
    assert ours == pytest.approx(lsoda, rel=1e-4)


def test_steady_lifetime_beyond_max_years_is_infinite() -> None:
    p = atm.density_profile("min", math.radians(53.0), max_altitude_m=1200e3)
    assert lt.steady_lifetime_years(1200e3, 0.005, p, p.altitude_m, max_years=200.0) == math.inf
    assert lt.steady_lifetime_years(100e3, 0.005, p, p.altitude_m) == 0.0


def test_steady_lifetime_matches_closed_form_in_constant_density() -> None:
    rho, b, h0 = 1e-12, 0.02, 500e3
    a0 = EARTH_EQUATORIAL_RADIUS_M + h0
    ae = EARTH_EQUATORIAL_RADIUS_M + lt.REENTRY_ALTITUDE_M
    expect = 2.0 * (math.sqrt(a0) - math.sqrt(ae)) / (math.sqrt(EARTH_MU_M3_S2) * rho * b) / SECONDS_PER_JULIAN_YEAR
    got = lt.steady_lifetime_years(h0, b, lambda h: np.full(np.shape(h), rho), max_years=1e6)
    assert got == pytest.approx(expect, rel=1e-12)
