"""Topocentric geometry against Skyfield, slant range against plane trigonometry, grazing altitude on hand cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.frames import ecef_to_geodetic, teme_to_ecef
from orbitgrid.astro.sgp4_adapter import propagate_teme
from orbitgrid.network.geometry import (
    WGS84_B_M,
    WGS84_MEAN_RADIUS_M,
    coverage_angle_rad,
    enu_basis,
    grazing_altitude_m,
    great_circle_distance_m,
    line_of_sight,
    look_angles,
    slant_range_m,
    small_circle_deg,
)
from orbitgrid.network.stations import Stations

A_M = 6_378_137.0


def _stations() -> Stations:
    # Svalbard and Singapore from the brahe catalog, Goldstone (DSN), at a few heights.
    return Stations.from_degrees(
        ["Svalbard", "Goldstone", "Singapore"], [78.23, 35.426667, 1.31], [15.41, -116.89, 103.7], [500.0, 1000.0, 0.0]
    )


@pytest.fixture(scope="module")
def skyfield_case(reference_data: Path):
    tle = reference_data / "tle_starlink" / "starlink_20230718_first10.tle"
    from skyfield.api import EarthSatellite, load, wgs84

    lines = tle.read_text().splitlines()[:30]
    ts = load.timescale(builtin=True)
    t = ts.utc(2023, 7, 18, 12, 0, np.arange(0.0, 600.0, 13.0))
    utc = t.ut1 - t.dut1 / 86_400.0
    jd = np.floor(utc - 0.5) + 0.5
    fr = utc - jd
    stations = _stations()
    sats = [EarthSatellite(lines[k + 1], lines[k + 2], lines[k], ts) for k in range(0, 30, 3)]
    sky = np.empty((3, len(sats), len(t), 3))
    for i, sat in enumerate(sats):
        for j in range(3):
            top = wgs84.latlon(
                math.degrees(stations.lat_rad[j]), math.degrees(stations.lon_rad[j]), float(stations.alt_m[j])
            )
            alt, az, dist = (sat - top).at(t).altaz()
            sky[0, i, :, j], sky[1, i, :, j], sky[2, i, :, j] = alt.radians, az.radians, dist.m
    r, _v, err = propagate_teme(ElementSet.from_tle_text("\n".join(lines)), jd, fr)
    assert not err.any()
    return r, jd, fr, float(np.mean(t.dut1)), stations, sky


def test_station_ecef_matches_skyfield_wgs84():
    pytest.importorskip("skyfield")
    from skyfield.api import wgs84

    stations = _stations()
    for j in range(3):
        top = wgs84.latlon(
            math.degrees(stations.lat_rad[j]), math.degrees(stations.lon_rad[j]), float(stations.alt_m[j])
        )
        np.testing.assert_allclose(stations.ecef_m[j], top.itrs_xyz.m, atol=1e-6)  # 1 um


@pytest.mark.parametrize("use_dut1", [True, False])
def test_look_angles_match_skyfield_altaz(skyfield_case, use_dut1):
    r_teme, jd, fr, dut1, stations, sky = skyfield_case
    # With Skyfield's UT1-UTC the two chains differ only by Skyfield's polar motion and rounding: measured 9e-6 deg
    # and 0.3 m. With UT1 = UTC (our default), |dUT1| = 0.022 s turns the Earth by 10 m at the equator: 0.0004 deg.
    ecef = teme_to_ecef(r_teme, jd, fr, dut1 if use_dut1 else 0.0)
    el, az, rng = look_angles(ecef, stations.ecef_m, stations.lat_rad, stations.lon_rad)
    assert el.shape == (10, len(jd), 3)
    tol_deg, tol_m = (1e-4, 2.0) if use_dut1 else (2e-3, 30.0)
    assert np.degrees(np.abs(el - sky[0])).max() < tol_deg
    daz = np.angle(np.exp(1j * (az - sky[1]))) * np.cos(el)  # arc on the sky
    assert np.degrees(np.abs(daz)).max() < tol_deg
    assert np.abs(rng - sky[2]).max() < tol_m
    assert np.all((az >= 0.0) & (az < 2 * np.pi))


def test_enu_basis_and_cardinal_directions():
    lat, lon = np.radians([30.0, -60.0]), np.radians([45.0, 170.0])
    basis = enu_basis(lat, lon)
    for k in range(2):
        np.testing.assert_allclose(basis[k] @ basis[k].T, np.eye(3), atol=1e-15)
        assert np.linalg.det(basis[k]) == pytest.approx(1.0)  # right-handed: east x north = up
    stn = Stations.from_degrees(["eq"], [0.0], [0.0], 0.0)
    base = stn.ecef_m[0]
    # 100 km north, east and straight up from a station at (0, 0).
    targets = base + np.array([[0.0, 0.0, 1e5], [0.0, 1e5, 0.0], [1e5, 0.0, 0.0]])
    el, az, rng = look_angles(targets, stn.ecef_m, stn.lat_rad, stn.lon_rad)
    np.testing.assert_allclose(np.degrees(el[:, 0]), [0.0, 0.0, 90.0], atol=1e-9)
    np.testing.assert_allclose(np.degrees(az[:2, 0]), [0.0, 90.0], atol=1e-9)
    np.testing.assert_allclose(rng[:, 0], 1e5)


@pytest.mark.parametrize("alt_m", [550e3, 1_200e3, 35_786e3])
def test_slant_range_against_plane_geometry(alt_m):
    # Station at (R, 0), satellite at radius R + h and central angle lam: distance and elevation by plane vectors.
    r = WGS84_MEAN_RADIUS_M
    lam = np.linspace(0.0, math.acos(r / (r + alt_m)), 200)
    sat = (r + alt_m) * np.stack([np.cos(lam), np.sin(lam)], axis=-1)
    d = sat - np.array([r, 0.0])
    dist = np.hypot(d[:, 0], d[:, 1])
    el = np.arctan2(d[:, 0], d[:, 1])  # up is +x, horizontal is +y
    np.testing.assert_allclose(slant_range_m(el, alt_m), dist, rtol=1e-9, atol=1e-6)
    assert float(slant_range_m(math.pi / 2, alt_m)) == pytest.approx(alt_m)
    assert float(slant_range_m(0.0, alt_m)) == pytest.approx(math.sqrt(alt_m * (2 * r + alt_m)))


# ------------------------------------------------------------------------------------------------- grazing altitude


def test_chord_through_the_earth_is_blocked():
    a = np.array([A_M + 550e3, 0.0, 0.0])
    for earth in ("sphere", "wgs84"):
        g = grazing_altitude_m(a, -a, earth=earth)
        assert g < -6_000e3
        assert not line_of_sight(a, -a, earth=earth)


@pytest.mark.parametrize("h_m", [0.0, 80e3, 100e3])
def test_tangent_chord_grazes_at_its_height(h_m):
    # A chord of a circle of radius R + h tangent to the sphere R + h_t at its midpoint: grazing altitude h_t.
    r_sat = 6_921e3
    for earth, radius in (("sphere", WGS84_MEAN_RADIUS_M), ("wgs84", A_M)):
        rt = radius + h_m
        half = math.acos(rt / r_sat)
        a = r_sat * np.array([math.cos(half), math.sin(half), 0.0])
        b = r_sat * np.array([math.cos(half), -math.sin(half), 0.0])
        assert float(grazing_altitude_m(a, b, earth=earth)) == pytest.approx(h_m, abs=1e-3)  # 1 mm
        assert bool(line_of_sight(a, b, margin_m=h_m - 1.0, earth=earth))
        assert not bool(line_of_sight(a, b, margin_m=h_m + 1.0, earth=earth))
    # Over the pole (x-z plane) the WGS84 surface is 21 km lower: the same chord clears it by b's radius.
    rt = WGS84_B_M + h_m
    half = math.acos(rt / r_sat)
    a = r_sat * np.array([math.sin(half), 0.0, math.cos(half)])
    b = r_sat * np.array([-math.sin(half), 0.0, math.cos(half)])
    assert float(grazing_altitude_m(a, b, earth="wgs84")) == pytest.approx(h_m, abs=1e-3)


def test_segment_endpoint_is_lowest_when_the_chord_rises():
    # Both ends above the same point, one higher: the lowest point is the lower end.
    a = np.array([A_M + 500e3, 0.0, 0.0])
    b = np.array([A_M + 900e3, 0.0, 0.0])
    assert float(grazing_altitude_m(a, b, earth="sphere")) == pytest.approx(A_M + 500e3 - WGS84_MEAN_RADIUS_M)
    assert float(grazing_altitude_m(a, b, earth="wgs84")) == pytest.approx(500e3, abs=1e-6)


def test_wgs84_grazing_altitude_against_dense_search():
    rng = np.random.default_rng(7)
    n = 300
    u = rng.normal(size=(2, n, 3))
    u /= np.linalg.norm(u, axis=-1, keepdims=True)
    a = u[0] * (A_M + rng.uniform(300e3, 2_000e3, n))[:, None]
    b = u[1] * (A_M + rng.uniform(300e3, 2_000e3, n))[:, None]
    g = grazing_altitude_m(a, b, earth="wgs84")
    shallow = g > -400e3
    assert shallow.sum() > 50
    t = np.linspace(0.0, 1.0, 4001)
    worst = 0.0
    for i in np.flatnonzero(shallow):
        pts = a[i] + t[:, None] * (b[i] - a[i])
        h = ecef_to_geodetic(pts)[2]
        k = int(np.argmin(h))
        t2 = np.linspace(t[max(k - 1, 0)], t[min(k + 1, len(t) - 1)], 4001)
        h_min = ecef_to_geodetic(a[i] + t2[:, None] * (b[i] - a[i]))[2].min()
        assert g[i] >= h_min - 1e-6  # a point of the segment: never below the minimum
        worst = max(worst, g[i] - h_min)
    assert worst < 1.0  # metres (measured: < 1e-8 m)
    # The sign (through the ellipsoid or not) agrees with the dense search for every pair, deep ones included.
    dense = np.array([ecef_to_geodetic(a[i] + t[:, None] * (b[i] - a[i]))[2].min() for i in range(n)])
    clear = np.abs(dense) > 1.0
    np.testing.assert_array_equal((g > 0)[clear], (dense > 0)[clear])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-1.0, 1.0), min_size=6, max_size=6).filter(
        lambda x: np.linalg.norm(x[:3]) > 0.1 and np.linalg.norm(x[3:]) > 0.1
    ),
    st.floats(200e3, 40_000e3),
    st.floats(200e3, 40_000e3),
)
def test_grazing_altitude_properties(x, h_a, h_b):
    ua, ub = np.array(x[:3]), np.array(x[3:])
    a = ua / np.linalg.norm(ua) * (WGS84_MEAN_RADIUS_M + h_a)
    b = ub / np.linalg.norm(ub) * (WGS84_MEAN_RADIUS_M + h_b)
    g = float(grazing_altitude_m(a, b))
    assert g <= min(h_a, h_b) + 1e-6
    assert g == pytest.approx(float(grazing_altitude_m(b, a)), abs=1e-6)
    assert g >= -WGS84_MEAN_RADIUS_M - 1e-6


def test_stations_columns_subset_and_validation():
    stations = _stations()
    assert len(stations) == 3
    np.testing.assert_allclose(stations.elevation_mask_rad, math.radians(10.0))  # the documented default
    np.testing.assert_allclose(np.linalg.norm(stations.up, axis=1), 1.0)
    np.testing.assert_allclose(stations.up, enu_basis(stations.lat_rad, stations.lon_rad)[:, 2, :])
    sub = stations.subset([2, 0])
    assert sub.names == ("Singapore", "Svalbard")
    np.testing.assert_array_equal(sub.ecef_m, stations.ecef_m[[2, 0]])
    with pytest.raises(ValueError):  # the columns are read-only
        stations.lat_rad[0] = 0.0
    with pytest.raises(ValueError, match="one name per station"):
        Stations.from_degrees(["a"], [1.0, 2.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="latitudes"):
        Stations.from_degrees(["a"], [91.0], [0.0])
    with pytest.raises(ValueError, match="masks"):
        Stations.from_degrees(["a"], [10.0], [0.0], 0.0, 95.0)


@pytest.mark.parametrize("alt_m", [350e3, 550e3, 1_200e3])
@pytest.mark.parametrize("mask_deg", [0.0, 10.0, 25.0, 40.0])
def test_coverage_angle_is_where_the_elevation_reaches_the_mask(alt_m, mask_deg):
    # A satellite at the coverage angle, by plane vectors: its elevation seen from the station is the mask.
    r = WGS84_MEAN_RADIUS_M
    lam = float(coverage_angle_rad(math.radians(mask_deg), alt_m))
    sat = (r + alt_m) * np.array([math.cos(lam), math.sin(lam)])
    d = sat - np.array([r, 0.0])
    assert math.degrees(math.atan2(d[0], d[1])) == pytest.approx(mask_deg, abs=1e-9)
    # and its distance is the slant range at the mask
    assert math.hypot(*d) == pytest.approx(float(slant_range_m(math.radians(mask_deg), alt_m)), rel=1e-12)


def test_coverage_angle_worked_by_hand():
    # 550 km, 25 deg mask, R = 6,371.0088 km: R / (R + h) = 0.920533, x cos 25 deg = 0.834285, arccos = 33.4585 deg,
    # minus the mask: 8.4585 deg of Earth central angle, a coverage radius of 940.5 km on the ground.
    lam = float(coverage_angle_rad(math.radians(25.0), 550e3))
    assert math.degrees(lam) == pytest.approx(8.4585, abs=1e-3)
    assert lam * WGS84_MEAN_RADIUS_M / 1e3 == pytest.approx(940.5, abs=0.5)


@pytest.mark.parametrize(("lat", "lon"), [(0.0, 0.0), (78.23, 15.41), (-33.9, 151.2), (10.0, 179.0)])
def test_small_circle_points_are_at_the_radius(lat, lon):
    radius = math.radians(8.0)
    la, lo = small_circle_deg(lat, lon, radius, points=73)
    d = great_circle_distance_m(math.radians(lat), math.radians(lon), np.radians(la), np.radians(lo), radius_m=1.0)
    np.testing.assert_allclose(d, radius, atol=1e-12)
    assert np.all((lo >= -180.0) & (lo < 180.0)) and la[0] == pytest.approx(la[-1])
