"""Solar-array power: the Suncatcher proxy, Sun-distance scaling, shadow, geometry, degradation and temperature."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbitgrid.astro import eclipse
from orbitgrid.astro.constants import AU_M, EARTH_EQUATORIAL_RADIUS_M
from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.time import datetime_to_jd
from orbitgrid.spacecraft import power as pw

# Suncatcher's Starlink V2 mini proxy (docs/sources.md §1, arXiv:2511.19468 §4.4): 105 m², 22 % cells, 90 % packing.
SC_AREA_M2, SC_EFF, SC_PACKING = 105.0, 0.22, 0.9


def test_suncatcher_proxy_is_28_kw() -> None:
    p = float(pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING))
    assert p == pytest.approx(105.0 * 0.22 * 0.9 * 1361.0, rel=1e-12)  # 28,295 W
    assert abs(p - 28_300.0) / 28_300.0 < 0.01
    assert round(p / 1000.0) == 28  # the paper's "~28 kW"
    assert p / SC_AREA_M2 == pytest.approx(270.0, rel=0.01)  # docs/sources.md §5: ≈ 270 W/m²


def test_flux_scales_with_inverse_square_of_sun_distance() -> None:
    at_1au = float(pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING))
    peri = float(pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, sun_distance_m=0.98329 * AU_M))
    aph = float(pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, sun_distance_m=1.01671 * AU_M))
    assert peri / at_1au == pytest.approx(1.0 / 0.98329**2, rel=1e-12)
    assert 1.033 < peri / at_1au < 1.035  # +3.4 %
    assert 0.966 < aph / at_1au < 0.968  # -3.3 %
    assert pw.solar_flux_w_m2(2.0 * AU_M) == pytest.approx(1361.0 / 4.0)


def test_flux_from_the_analytic_sun_at_perihelion_and_aphelion() -> None:
    days = [dt.datetime(2025, 1, 4, tzinfo=dt.UTC), dt.datetime(2025, 7, 3, tzinfo=dt.UTC)]
    jd = np.array([sum(datetime_to_jd(d)) for d in days])
    r = np.linalg.norm(sun_position_teme_m(jd), axis=-1)
    flux = pw.solar_flux_w_m2(r)
    assert 1361.0 * 1.033 < flux[0] < 1361.0 * 1.035
    assert 1361.0 * 0.966 < flux[1] < 1361.0 * 0.968


def test_eclipse_gives_zero_power() -> None:
    assert float(pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, illuminated_fraction=0.0)) == 0.0
    # a satellite 650 km up straight behind the Earth: umbra, so no power; on the day side: full power
    sun = np.array([AU_M, 0.0, 0.0])
    r = np.array([[-(EARTH_EQUATORIAL_RADIUS_M + 650e3), 0.0, 0.0], [EARTH_EQUATORIAL_RADIUS_M + 650e3, 0.0, 0.0]])
    f = eclipse.illuminated_fraction(r, sun)
    p = pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, illuminated_fraction=f)
    assert p[0] == 0.0
    assert p[1] == pytest.approx(pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING))
    half = pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, illuminated_fraction=0.5)
    assert half == pytest.approx(0.5 * pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING))


def test_body_fixed_incidence_and_tracking() -> None:
    n = np.array([0.0, 0.0, 2.0])  # normalised inside
    sun_60deg = np.array([np.sin(np.pi / 3), 0.0, np.cos(np.pi / 3)])
    assert pw.incidence_cosine(n, sun_60deg) == pytest.approx(0.5)
    assert pw.incidence_cosine(n, -sun_60deg) == 0.0  # light on the back face gives nothing
    cos_i = pw.array_cos_incidence("body_fixed", panel_normal=n, sun_direction=sun_60deg)
    p = pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, cos_incidence=cos_i)
    assert p == pytest.approx(0.5 * pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING))
    assert pw.array_cos_incidence("sun_tracking") == 1.0
    assert pw.array_cos_incidence("sun_tracking", tracking_factor=0.98) == pytest.approx(0.98)
    with pytest.raises(ValueError, match="panel_normal"):
        pw.array_cos_incidence("body_fixed")
    with pytest.raises(ValueError, match="tracking must be"):
        pw.array_cos_incidence("spinning")


def test_time_degradation_compounds() -> None:
    f10 = float(pw.time_degradation_factor(10.0, 0.025))
    assert f10 == pytest.approx(0.975**10)  # 0.7763, not the linear 0.75
    assert f10 > 1.0 - 10 * 0.025
    assert f10 == pytest.approx(float(pw.time_degradation_factor(5.0, 0.025)) ** 2)
    p = pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, years_in_orbit=10.0, degradation_per_year=0.025)
    assert p == pytest.approx(f10 * pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING))


@given(
    t1=st.floats(0.0, 20.0),
    t2=st.floats(0.0, 20.0),
    d=st.floats(0.0, 0.2),
)
def test_time_degradation_is_multiplicative(t1: float, t2: float, d: float) -> None:
    f = pw.time_degradation_factor
    assert float(f(t1 + t2, d)) == pytest.approx(float(f(t1, d)) * float(f(t2, d)), rel=1e-12, abs=1e-300)
    assert 0.0 <= float(f(t1 + t2, d)) <= float(f(t1, d)) <= 1.0


def test_radiation_curve_matches_the_xtj_points_and_decreases() -> None:
    assert pw.radiation_degradation_factor(0.0) == 1.0
    assert pw.radiation_degradation_factor(5e14) == pytest.approx(0.89, abs=1e-3)
    assert pw.radiation_degradation_factor(1e15) == pytest.approx(0.84, abs=1e-3)
    phi = np.logspace(10, 18, 50)
    f = pw.radiation_degradation_factor(phi)
    assert np.all(np.diff(f) < 0.0)
    assert np.all((f >= 0.0) & (f <= 1.0))


def test_temperature_coefficient_sign() -> None:
    ref = pw.REFERENCE_CELL_TEMPERATURE_K
    assert pw.temperature_factor(ref) == 1.0
    assert pw.temperature_factor(ref + 10.0) == pytest.approx(0.975)  # -0.25 %/K
    assert pw.temperature_factor(ref - 10.0) == pytest.approx(1.025)
    assert pw.temperature_factor(ref + 10.0, pw.SILICON_TEMPERATURE_COEFFICIENT) == pytest.approx(0.955)
    hot = pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, cell_temperature_k=ref + 50.0)
    cold = pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING, cell_temperature_k=ref - 50.0)
    assert hot < pw.array_power_w(SC_AREA_M2, SC_EFF, SC_PACKING) < cold
    assert pw.temperature_factor(ref + 1000.0) == 0.0  # never negative


def test_breakdown_multiplies_out_and_conditions() -> None:
    n_sat, n_t = 3, 5
    lit = np.linspace(0.0, 1.0, n_t)[None, :]
    b = pw.power_breakdown(
        np.array([50.0, 105.0, 200.0])[:, None],
        SC_EFF,
        SC_PACKING,
        sun_distance_m=1.01 * AU_M,
        illuminated_fraction=lit,
        cos_incidence=0.9,
        years_in_orbit=3.0,
        degradation_per_year=0.025,
        fluence_1mev_e_cm2=1e14,
        cell_temperature_k=330.0,
        conditioning_efficiency=0.92,
        housekeeping_w=400.0,
    )
    assert b.array_w.shape == (n_sat, n_t)
    product = (
        b.bol_sun_facing_w
        * b.illuminated_fraction
        * b.cos_incidence
        * b.time_factor
        * b.radiation_factor
        * b.temperature_factor
    )
    np.testing.assert_allclose(b.array_w, product, rtol=1e-14)
    np.testing.assert_allclose(b.conditioned_w, 0.92 * b.array_w, rtol=1e-14)
    np.testing.assert_allclose(b.conditioned_w + b.conditioning_loss_w, b.array_w, rtol=1e-14)
    np.testing.assert_allclose(b.net_w, b.conditioned_w - 400.0, rtol=1e-14)
    assert np.all(b.net_w[:, 0] == -400.0)  # in the shadow the bus needs the battery for housekeeping
    direct = pw.array_power_w(
        np.array([50.0, 105.0, 200.0])[:, None],
        SC_EFF,
        SC_PACKING,
        sun_distance_m=1.01 * AU_M,
        illuminated_fraction=lit,
        cos_incidence=0.9,
        years_in_orbit=3.0,
        degradation_per_year=0.025,
        fluence_1mev_e_cm2=1e14,
        cell_temperature_k=330.0,
    )
    np.testing.assert_array_equal(direct, b.array_w)
    np.testing.assert_allclose(pw.bus_power_w(direct, 0.92), b.conditioned_w, rtol=1e-15)
    assert pw.bus_power_w(1000.0) == pytest.approx(1000.0 * pw.DEFAULT_CONDITIONING_EFFICIENCY)


def test_orbit_normal_array_cosine_is_abs_sin_beta() -> None:
    """The body-fixed array on the orbit normal, on the Sun's side: |sin beta| for either sign of beta."""
    h = np.array([0.0, 0.0, 3.0])
    for beta_deg in (-80.0, -30.0, 0.0, 12.0, 90.0):
        b = np.radians(beta_deg)
        sun = np.array([np.cos(b), 0.0, np.sin(b)]) * 1.5e11
        assert pw.orbit_normal_array_cosine(h, sun) == pytest.approx(abs(np.sin(b)), abs=1e-15)
    # the one-sided panel cosine with the normal turned to the Sun's side gives the same
    sun = np.array([0.6, 0.0, -0.8])
    assert pw.orbit_normal_array_cosine(h, sun) == pytest.approx(pw.incidence_cosine(-h, sun))
