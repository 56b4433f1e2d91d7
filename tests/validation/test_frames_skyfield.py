"""TEME -> Earth-fixed and WGS84 geodetic conversions against Skyfield, and closed-form checks of frames.py.

Skyfield takes TEME through GCRS (IAU 2000A/2006 precession-nutation) to ITRS, with UT1 from its bundled IERS
table and, by default, no polar motion. Our frame uses the IAU-82 GMST rotation with UT1 = UTC and no polar
motion, so the expected difference is the Earth rotation during UT1-UTC (Skyfield's bundled value for
2026-02-24 is +0.062 s) plus centimetres of model difference. Nothing here downloads:
``load.timescale(builtin=True)`` and the ``skyfield_data`` copy of ``finals2000A.all`` are both on disk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sgp4.propagation import gstime
from skyfield.api import EarthSatellite, load, wgs84
from skyfield.data import iers
from skyfield.framelib import itrs
from skyfield.positionlib import ICRF
from skyfield.sgp4lib import TEME
from skyfield.units import Distance, Velocity

from orbitgrid.astro.constants import WGS84_A_M, WGS84_E2
from orbitgrid.astro.elements import load_elements
from orbitgrid.astro.frames import ecef_to_geodetic, geodetic_to_ecef, gmst_rad, teme_to_ecef, teme_to_ecef_rv
from orbitgrid.astro.sgp4_adapter import propagate_teme
from orbitgrid.astro.time import datetime_to_jd

# Measured on 20 Starlink satellites x 144 times (2026-02-24, every 10 min), Skyfield 1.55 builtin timescale.
# Tolerances are about twice the measurement.
ECEF_TOL_M = 65.0  # measured max 31.6 m (mean 25.7 m): Earth rotation during UT1-UTC = 0.062 s at LEO radius
ECEF_VEL_TOL_M_S = 0.07  # measured 0.035 m/s
ECEF_DUT1_TOL_M = 0.08  # with Skyfield's UT1-UTC applied: measured 0.039 m (GMST82 vs the IAU 2000A chain)
ECEF_DUT1_VEL_TOL_M_S = 1e-4  # measured 4.4e-5 m/s
# Polar motion alone (x = 0.060", y = 0.355" predicted for the date): measured 12.2 m.
POLAR_MOTION_TOL_M = 25.0
LAT_TOL_M = 0.005  # measured 2.3 mm: Skyfield stops its latitude iteration after 3 passes (see test below)
LON_TOL_M = 60.0  # measured 29.0 m along the parallel: the same UT1-UTC rotation
HEIGHT_TOL_M = 1e-6  # measured 5e-8 m
GEODETIC_EXACT_TOL_M = 1e-6  # vs a fully converged iteration / round trip: measured < 3e-8 m


@pytest.fixture(scope="module")
def starlink_day(reference_data: Path):
    path = reference_data / "tle_starlink" / "starlink_20260224_1413Z_slice.tle"
    elements = load_elements(path).subset(slice(0, 240, 12))  # 20 satellites across the shells (every 480th)
    jd0, fr0 = datetime_to_jd(dt.datetime(2026, 2, 24, tzinfo=dt.UTC))
    t_s = np.arange(0.0, 86400.0, 600.0)
    jd = np.full(t_s.shape, jd0)
    fr = fr0 + t_s / 86400.0
    r_m, v_m_s, err = propagate_teme(elements, jd, fr)
    assert (err == 0).all()
    n_sat, n_t = err.shape

    ts = load.timescale(builtin=True)
    t = ts.utc(2026, 2, 24, 0, 0, np.tile(t_s, n_sat))
    pos = ICRF.from_time_and_frame_vectors(
        t, TEME, Distance(m=r_m.reshape(-1, 3).T), Velocity(km_per_s=v_m_s.reshape(-1, 3).T / 1000.0)
    )
    pos.center = 399
    r_sky, v_sky = pos.frame_xyz_and_velocity(itrs)
    lat_sky, lon_sky = wgs84.latlon_of(pos)
    sub = wgs84.subpoint_of(pos)
    shape = (n_sat, n_t)
    return {
        "elements": elements,
        "jd": jd,
        "fr": fr,
        "t_s": t_s,
        "r": r_m,
        "v": v_m_s,
        "ts": ts,
        "t": t,
        "pos": pos,
        "dut1_s": float(np.mean(t.dut1)),
        "r_sky": r_sky.m.T.reshape(*shape, 3),
        "v_sky": v_sky.m_per_s.T.reshape(*shape, 3),
        "lat_sky": lat_sky.radians.reshape(shape),
        "lon_sky": lon_sky.radians.reshape(shape),
        "h_sky": wgs84.height_of(pos).m.reshape(shape),
        "sub_lat": sub.latitude.radians.reshape(shape),
        "sub_lon": sub.longitude.radians.reshape(shape),
    }


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2.0 * np.pi) - np.pi


def test_teme_to_ecef_vs_skyfield_itrs(starlink_day) -> None:
    d = starlink_day
    assert 0.0 < d["dut1_s"] < 0.1  # the UT1-UTC our default (UT1 = UTC) leaves out
    r_e, v_e = teme_to_ecef_rv(d["r"], d["v"], d["jd"], d["fr"])
    dr = np.linalg.norm(r_e - d["r_sky"], axis=-1)
    dv = np.linalg.norm(v_e - d["v_sky"], axis=-1)
    print(f"UT1=UTC: |dr| max {dr.max():.2f} m mean {dr.mean():.2f} m; |dv| max {dv.max():.4f} m/s")
    assert dr.max() < ECEF_TOL_M
    assert dv.max() < ECEF_VEL_TOL_M_S
    np.testing.assert_array_equal(teme_to_ecef(d["r"], d["jd"], d["fr"]), r_e)


def test_teme_to_ecef_with_ut1_matches_skyfield_to_centimetres(starlink_day) -> None:
    d = starlink_day
    r_e, v_e = teme_to_ecef_rv(d["r"], d["v"], d["jd"], d["fr"], ut1_minus_utc_s=d["dut1_s"])
    dr = np.linalg.norm(r_e - d["r_sky"], axis=-1)
    dv = np.linalg.norm(v_e - d["v_sky"], axis=-1)
    print(f"with UT1-UTC {d['dut1_s']:.4f} s: |dr| max {dr.max():.4f} m; |dv| max {dv.max():.2e} m/s")
    assert dr.max() < ECEF_DUT1_TOL_M
    assert dv.max() < ECEF_DUT1_VEL_TOL_M_S


def test_end_to_end_against_skyfield_earth_satellite(starlink_day) -> None:
    d = starlink_day
    es = d["elements"].subset([0, 7, 19])
    r, _, _ = propagate_teme(es, d["jd"], d["fr"])
    r_e = teme_to_ecef(r, d["jd"], d["fr"], ut1_minus_utc_s=d["dut1_s"])
    t = d["ts"].utc(2026, 2, 24, 0, 0, d["t_s"])
    for k in range(len(es)):
        sky = EarthSatellite.from_satrec(es.satrecs[k], d["ts"]).at(t).frame_xyz(itrs).m.T
        assert np.linalg.norm(r_e[k] - sky, axis=-1).max() < ECEF_DUT1_TOL_M


def test_polar_motion_left_out_is_tens_of_metres_at_most(starlink_day) -> None:
    import skyfield_data

    finals = Path(skyfield_data.__file__).parent / "data" / "finals2000A.all"
    if not finals.is_file():
        pytest.skip("skyfield_data's finals2000A.all not found")
    d = starlink_day
    ts = load.timescale(builtin=True)
    with finals.open("rb") as f:
        iers.install_polar_motion_table(ts, iers.parse_x_y_dut1_from_finals_all(f))
    t = ts.utc(2026, 2, 24, 0, 0, np.tile(d["t_s"], d["r"].shape[0]))
    pos = ICRF.from_time_and_frame_vectors(
        t, TEME, Distance(m=d["r"].reshape(-1, 3).T), Velocity(km_per_s=np.zeros((3, t.shape[0])))
    )
    r_sky_pm = pos.frame_xyz(itrs).m.T.reshape(d["r"].shape)
    r_e = teme_to_ecef(d["r"], d["jd"], d["fr"], ut1_minus_utc_s=float(np.mean(t.dut1)))
    dr = np.linalg.norm(r_e - r_sky_pm, axis=-1)
    print(f"polar motion ignored: |dr| max {dr.max():.2f} m")
    assert 1.0 < dr.max() < POLAR_MOTION_TOL_M


def test_geodetic_vs_skyfield(starlink_day) -> None:
    d = starlink_day
    lat, lon, h = ecef_to_geodetic(teme_to_ecef(d["r"], d["jd"], d["fr"]))
    dlat_m = np.abs(lat - d["lat_sky"]).max() * WGS84_A_M
    dlon_m = (np.abs(_wrap(lon - d["lon_sky"])) * np.cos(lat)).max() * WGS84_A_M
    dh_m = np.abs(h - d["h_sky"]).max()
    print(f"geodetic vs Skyfield: lat {dlat_m * 1e3:.2f} mm, lon {dlon_m:.2f} m, height {dh_m:.1e} m")
    assert dlat_m < LAT_TOL_M
    assert dlon_m < LON_TOL_M
    assert dh_m < HEIGHT_TOL_M
    assert np.abs(lat - d["sub_lat"]).max() * WGS84_A_M < LAT_TOL_M
    assert (np.abs(_wrap(lon - d["sub_lon"])) * np.cos(lat)).max() * WGS84_A_M < LON_TOL_M
    assert ((h > 300e3) & (h < 700e3)).all()


def _converged_geodetic(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point latitude iteration (Skyfield's scheme) run to convergence: an independent reference."""
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    rho = np.hypot(x, y)
    lat = np.arctan2(z, rho)
    for _ in range(30):
        n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
        lat = np.arctan2(z + n * WGS84_E2 * np.sin(lat), rho)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    h = np.hypot(rho, z + n * WGS84_E2 * np.sin(lat)) - n
    return lat, h


def test_geodetic_vs_converged_iteration(starlink_day) -> None:
    r_e = teme_to_ecef(starlink_day["r"], starlink_day["jd"], starlink_day["fr"])
    lat, _, h = ecef_to_geodetic(r_e)
    lat_ref, h_ref = _converged_geodetic(r_e)
    assert np.abs(lat - lat_ref).max() * WGS84_A_M < GEODETIC_EXACT_TOL_M
    assert np.abs(h - h_ref).max() < GEODETIC_EXACT_TOL_M


# ----------------------------------------------------------------------------------------- closed-form checks


def test_gmst_vallado_example_3_5() -> None:
    # Vallado, Fundamentals of Astrodynamics and Applications, example 3-5:
    # 1992-08-20 12:14 UT1 -> GMST 152.578787810 deg
    jd, fr = datetime_to_jd(dt.datetime(1992, 8, 20, 12, 14, tzinfo=dt.UTC))
    assert np.degrees(gmst_rad(jd, fr)) == pytest.approx(152.578787810, abs=1e-7)


def test_gmst_matches_sgp4_gstime() -> None:
    rng = np.random.default_rng(3)
    jd = 2451544.5 + rng.integers(-20000, 20000, 200).astype(float)
    fr = rng.uniform(0.0, 1.0, 200)
    ours = gmst_rad(jd, fr)
    ref = np.array([gstime(a + b) for a, b in zip(jd, fr, strict=True)])
    # gstime takes one float64 Julian date (resolution 4.7e-10 day = 3e-9 rad); ours keeps the split date.
    assert np.abs(_wrap(ours - ref)).max() < 1e-8
    assert ((ours >= 0.0) & (ours < 2.0 * np.pi)).all()


def test_teme_to_ecef_shapes_and_rotation() -> None:
    jd = np.array([2461095.5, 2461095.5, 2461095.5])
    fr = np.array([0.0, 0.25, 0.5])
    r = np.random.default_rng(0).normal(size=(4, 3, 3)) * 7e6
    out = teme_to_ecef(r, jd, fr)
    assert out.shape == (4, 3, 3)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(r, axis=-1), rtol=1e-15)
    np.testing.assert_array_equal(out[..., 2], r[..., 2])
    theta = gmst_rad(jd[1], fr[1])
    x, y = r[2, 1, 0], r[2, 1, 1]
    assert out[2, 1, 0] == pytest.approx(np.cos(theta) * x + np.sin(theta) * y, rel=1e-14)
    single = teme_to_ecef(r[0, 0], jd[0], fr[0])
    np.testing.assert_array_equal(single, out[0, 0])


def test_geodetic_round_trip_everywhere() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    lat = rng.uniform(-np.pi / 2, np.pi / 2, n)
    lat[:4] = [np.pi / 2, -np.pi / 2, 0.0, 1e-12]
    lon = rng.uniform(-np.pi, np.pi, n)
    h = rng.uniform(-1_000.0, 40_000e3, n)
    r = geodetic_to_ecef(lat, lon, h)
    lat2, lon2, h2 = ecef_to_geodetic(r)
    err = np.linalg.norm(geodetic_to_ecef(lat2, lon2, h2) - r, axis=-1)
    assert err.max() < GEODETIC_EXACT_TOL_M
    assert np.abs(h2 - h).max() < GEODETIC_EXACT_TOL_M
    assert np.abs(lat2 - lat).max() * WGS84_A_M < GEODETIC_EXACT_TOL_M


def test_geodetic_known_points() -> None:
    r = geodetic_to_ecef(0.0, 0.0, 0.0)
    np.testing.assert_allclose(r, [WGS84_A_M, 0.0, 0.0], atol=1e-9)
    lat, lon, h = ecef_to_geodetic(np.array([[0.0, 0.0, 6_356_752.314245 + 100.0], [0.0, 7e6, 0.0]]))
    np.testing.assert_allclose(lat, [np.pi / 2, 0.0], atol=1e-15)
    np.testing.assert_allclose(h, [100.0, 7e6 - WGS84_A_M], atol=1e-6)
    assert lon[1] == pytest.approx(np.pi / 2)
