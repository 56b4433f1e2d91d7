"""Contact windows against closed-form passes and a brute-force 1 s elevation scan."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from orbitgrid.astro import constellations as con
from orbitgrid.astro.time import datetime_to_jd
from orbitgrid.network import contacts as ct
from orbitgrid.network.geometry import look_angles
from orbitgrid.network.stations import Stations

A_M = 6_378_137.0
EPOCH_JD = datetime_to_jd(dt.datetime(2027, 3, 20, tzinfo=dt.UTC))


def _great_circle_states(radius_m: float, rate_rad_s: float, beta_rad: float, t_closest_s: float) -> ct.StateFn:
    """An Earth-fixed great-circle track passing ``beta`` north of (lat 0, lon 0) at ``t_closest_s``.

    ``cos(central angle) = cos(beta) cos(w (t - tc))`` to the station on the equator at longitude 0, whose WGS84
    normal is radial there, so the elevation has a closed form.
    """
    p = np.array([math.cos(beta_rad), 0.0, math.sin(beta_rad)])
    q = np.array([0.0, 1.0, 0.0])

    def states(idx: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        psi = rate_rad_s * (np.asarray(t_s) - t_closest_s)
        r = radius_m * (np.cos(psi)[:, None] * p + np.sin(psi)[:, None] * q)
        v = radius_m * rate_rad_s * (-np.sin(psi)[:, None] * p + np.cos(psi)[:, None] * q)
        return np.broadcast_to(r, (len(idx), *r.shape)).copy(), np.broadcast_to(v, (len(idx), *v.shape)).copy()

    return states


def _closed_form(radius_m: float, rate: float, beta: float, tc: float, mask_rad: float) -> tuple[float, float, float]:
    # Central angle at the mask: A cos(el) = r cos(el + lam)  ->  lam_m = acos(A cos el / r) - el.
    lam_m = math.acos(A_M * math.cos(mask_rad) / radius_m) - mask_rad
    half = math.acos(math.cos(lam_m) / math.cos(beta)) / rate
    el_max = math.atan2(math.cos(beta) - A_M / radius_m, math.sin(beta))
    return tc - half, tc + half, math.degrees(el_max)


@pytest.mark.parametrize("beta_deg", [0.0, 5.0, 12.0, 14.5])
def test_pass_matches_closed_form(beta_deg):
    radius = A_M + 550e3
    rate = math.sqrt(3.986004418e14 / radius**3) - 7.292115e-5  # prograde equatorial rate over the ground
    beta = math.radians(beta_deg)
    tc = 3_000.0
    mask = math.radians(10.0)
    station = Stations.from_degrees(["eq"], [0.0], [0.0], 0.0, 10.0)
    cw = ct.contact_windows(_great_circle_states(radius, rate, beta, tc), 1, station, 6_000.0)
    rise, set_, el_max = _closed_form(radius, rate, beta, tc, mask)
    assert len(cw) == 1
    assert cw.rise_s[0] == pytest.approx(rise, abs=0.01)  # seconds
    assert cw.set_s[0] == pytest.approx(set_, abs=0.01)
    assert cw.culmination_s[0] == pytest.approx(tc, abs=0.01)
    assert cw.max_elevation_deg[0] == pytest.approx(el_max, abs=1e-4)  # degrees
    assert not cw.rise_truncated[0] and not cw.set_truncated[0]


def test_grazing_pass_shorter_than_the_step_is_found():
    # Choose beta so the maximum elevation is 10.001 deg: the pass lasts about 3 s, far less than the 120 s step.
    radius = A_M + 550e3
    rate = math.sqrt(3.986004418e14 / radius**3) - 7.292115e-5
    mask = math.radians(10.0)
    lam_m = math.acos(A_M * math.cos(mask) / radius) - mask
    station = Stations.from_degrees(["eq"], [0.0], [0.0], 0.0, 10.0)
    for d_beta, expect in ((-2e-6, 1), (2e-6, 0)):
        beta = lam_m + d_beta
        cw = ct.contact_windows(_great_circle_states(radius, rate, beta, 1_234.5), 1, station, 6_000.0)
        assert len(cw) == expect
        if expect:
            rise, set_, _ = _closed_form(radius, rate, beta, 1_234.5, mask)
            assert 0.0 < set_ - rise < 20.0
            assert cw.rise_s[0] == pytest.approx(rise, abs=0.05)
            assert cw.set_s[0] == pytest.approx(set_, abs=0.05)


def test_pass_in_progress_at_the_ends_is_truncated():
    radius = A_M + 550e3
    rate = math.sqrt(3.986004418e14 / radius**3) - 7.292115e-5
    station = Stations.from_degrees(["eq"], [0.0], [0.0], 0.0, 10.0)
    states = _great_circle_states(radius, rate, 0.0, 0.0)
    cw = ct.contact_windows(states, 1, station, 5_000.0, start_s=-100.0)
    assert len(cw) == 1
    assert cw.rise_s[0] == -100.0 and cw.rise_truncated[0] and not cw.set_truncated[0]
    _, set_, _ = _closed_form(radius, rate, 0.0, 0.0, math.radians(10.0))
    assert cw.set_s[0] == pytest.approx(set_, abs=0.01)
    cw = ct.contact_windows(states, 1, station, 150.0, start_s=-50.0)
    assert cw.rise_truncated[0] and cw.set_truncated[0]
    assert (cw.rise_s[0], cw.set_s[0]) == (-50.0, 100.0)


def _brute_force(states, n_sat, stations, duration_s):
    """Passes from the elevation at every second, states computed directly (no interpolation)."""
    t = np.arange(0.0, duration_s + 0.5, 1.0)
    r, _v = states(np.arange(n_sat), t)
    el, _az, _rng = look_angles(r, stations.ecef_m, stations.lat_rad, stations.lon_rad)
    above = el >= stations.elevation_mask_rad
    out = []
    for i in range(n_sat):
        for j in range(len(stations)):
            a = above[i, :, j].astype(np.int8)
            edges = np.flatnonzero(np.diff(np.concatenate(([0], a, [0]))))
            for k0, k1 in zip(edges[::2], edges[1::2], strict=True):
                kc = k0 + int(np.argmax(el[i, k0:k1, j]))
                out.append((i, j, t[k0], t[kc], t[k1 - 1], math.degrees(el[i, kc, j])))
    return np.array(out).reshape(-1, 6)


def test_walker_shell_against_brute_force_scan():
    orbits = con.walker(550e3, math.radians(53.0), 24, 6, 1)
    stations = Stations.from_degrees(
        ["Svalbard", "Ireland", "Singapore", "Punta Arenas", "Hawaii", "high mask"],
        [78.23, 53.24, 1.31, -52.94, 21.32, 40.0],
        [15.41, -6.13, 103.7, -70.87, -157.84, 10.0],
        [0.0, 50.0, 0.0, 0.0, 0.0, 2_000.0],
        [5.0, 10.0, 10.0, 10.0, 25.0, 40.0],
    )
    states = ct.circular_states(orbits, EPOCH_JD)
    duration = 6 * 3_600.0
    cw = ct.contact_windows(states, len(orbits), stations, duration)
    brute = _brute_force(states, len(orbits), stations, duration)
    assert len(brute) > 40
    ours = {
        (int(i), int(j), round(float(c) / 60))
        for i, j, c in zip(cw.sat_index, cw.station_index, cw.culmination_s, strict=True)
    }
    matched = 0
    for i, j, rise, cul, set_, el in brute:
        hit = np.flatnonzero((cw.sat_index == i) & (cw.station_index == j) & (np.abs(cw.culmination_s - cul) < 60.0))
        assert len(hit) == 1, (i, j, cul)
        k = hit[0]
        # 1 s grid: the brute force's events are the first/last whole second above the mask. Our states between
        # grid points are interpolated (Hermite, ~5 m at the 112 s step): allow 10 ms and 1e-3 deg for that.
        if not cw.rise_truncated[k]:
            assert rise - 1.01 <= cw.rise_s[k] <= rise + 0.01
        if not cw.set_truncated[k]:
            assert set_ - 0.01 <= cw.set_s[k] <= set_ + 1.01
        assert cw.culmination_s[k] == pytest.approx(cul, abs=1.0)
        assert cw.max_elevation_deg[k] >= el - 1e-3  # the continuous maximum is above every sample
        # ... and is the elevation at our culmination instant, computed directly.
        r_c, _v = states(np.array([int(i)]), np.array([cw.culmination_s[k]]))
        el_c = look_angles(r_c[0, 0], stations.ecef_m, stations.lat_rad, stations.lon_rad)[0][int(j)]
        assert cw.max_elevation_deg[k] == pytest.approx(math.degrees(el_c), abs=1e-3)
        matched += 1
    assert matched == len(brute)
    # Any pass we found that the 1 s scan did not is one that fits between two of its samples.
    assert len(ours) == len(cw)
    extra = len(cw) - matched
    assert extra == int(np.sum(cw.duration_s < 1.0))
    assert np.all(cw.rise_s <= cw.culmination_s) and np.all(cw.culmination_s <= cw.set_s)
    assert np.all(cw.max_elevation_deg >= np.degrees(stations.elevation_mask_rad[cw.station_index]) - 1e-6)


def test_more_passes_than_the_first_buffer_holds(monkeypatch):
    orbits = con.walker(550e3, math.radians(53.0), 12, 3, 1)
    stations = Stations.from_degrees(["a", "b", "c"], [10.0, 40.0, -30.0], [0.0, 100.0, -60.0], 0.0, 10.0)
    states = ct.circular_states(orbits, EPOCH_JD)
    expected = ct.contact_windows(states, len(orbits), stations, 86_400.0)
    monkeypatch.setattr(ct, "_initial_capacity", lambda *args: 1)
    again = ct.contact_windows(states, len(orbits), stations, 86_400.0)
    assert len(expected) > 3 * len(orbits)
    for name, col in expected.columns().items():
        np.testing.assert_array_equal(getattr(again, name), col)


def test_capacity_per_pass_integrates_the_ground_link():
    radius = A_M + 550e3
    rate = math.sqrt(3.986004418e14 / radius**3) - 7.292115e-5
    station = Stations.from_degrees(["eq"], [0.0], [0.0], 0.0, 10.0)
    states = _great_circle_states(radius, rate, math.radians(4.0), 2_000.0)
    # A constant 1 Gbit/s: bytes = 1e9 x duration / 8 exactly.
    cw = ct.contact_windows(states, 1, station, 4_000.0, capacity_fn=lambda rng, el: np.full_like(rng, 1e9))
    assert cw.volume_bytes[0] == pytest.approx(1e9 * cw.duration_s[0] / 8.0, rel=1e-12)

    # Inverse-square of range with a cap: against a dense sum on directly computed states (0.05 s).
    def cap(rng, el):
        return np.minimum(1e9 * (1_000e3 / rng) ** 2, 1.5e9) * np.sin(el)

    cw = ct.contact_windows(states, 1, station, 4_000.0, capacity_fn=cap, fine_step_s=10.0)
    t = np.linspace(cw.rise_s[0], cw.set_s[0], 20_001)
    r, _v = states(np.arange(1), t)
    el, _az, rng = look_angles(r, station.ecef_m, station.lat_rad, station.lon_rad)
    dense = np.trapezoid(cap(rng[0, :, 0], el[0, :, 0]), t) / 8.0
    assert cw.volume_bytes[0] == pytest.approx(dense, rel=2e-3)
    no_cap = ct.contact_windows(states, 1, station, 4_000.0)
    assert np.isnan(no_cap.volume_bytes).all()


def test_propagation_errors_end_passes_without_failing():
    orbits = con.walker(550e3, math.radians(53.0), 6, 2, 1)
    stations = Stations.from_degrees(["a", "b"], [20.0, -20.0], [0.0, 90.0], 0.0, 10.0)
    good = ct.circular_states(orbits, EPOCH_JD)

    def decayed(idx, t):
        r, v = good(idx, t)
        r[:, t > 43_200.0] = np.nan
        v[:, t > 43_200.0] = np.nan
        return r, v

    full = ct.contact_windows(good, len(orbits), stations, 86_400.0, step_s=120.0)
    cut = ct.contact_windows(decayed, len(orbits), stations, 86_400.0, step_s=120.0)
    early = full.set_s < 43_000.0
    np.testing.assert_allclose(cut.rise_s[: early.sum()], full.rise_s[early])
    assert np.all(cut.set_s <= 43_200.0 + 1e-9)


def test_visible_and_step_rule():
    orbits = con.walker(550e3, math.radians(53.0), 40, 5, 1)
    r, _v = ct.circular_states(orbits, EPOCH_JD)(np.arange(40), np.array([0.0]))
    stations = Stations.from_degrees(["a", "b", "c"], [0.0, 45.0, -30.0], [0.0, 60.0, 120.0], 0.0, [0.0, 10.0, 30.0])
    el, _az, _rng = look_angles(r[:, 0], stations.ecef_m, stations.lat_rad, stations.lon_rad)
    np.testing.assert_array_equal(ct.visible(r[:, 0], stations), el >= stations.elevation_mask_rad)
    # 1/48 of the synodic period: 112 s at 550 km; capped at 300 s for high orbits.
    assert ct.coarse_step_s(A_M + 550e3) == pytest.approx(112.1, abs=0.1)
    assert ct.coarse_step_s(42_164e3) == 300.0


def test_circular_states_equal_the_numpy_propagator_and_frame_rotation():
    from orbitgrid.astro.frames import teme_to_ecef_rv
    from orbitgrid.astro.j2 import positions_teme_m

    orbits = con.walker(700e3, math.radians(97.6), 30, 5, 2)
    t = np.arange(0.0, 86_400.0, 997.0)
    r, v = ct.circular_states(orbits, EPOCH_JD, ut1_minus_utc_s=0.3)(np.arange(30), t)
    rt, vt = positions_teme_m(
        orbits.semi_major_axis_m, orbits.inclination_rad, orbits.raan_rad, orbits.arg_latitude_rad, t, True
    )
    fr = EPOCH_JD[1] + t / 86_400.0
    whole = np.floor(fr)
    re, ve = teme_to_ecef_rv(rt, vt, EPOCH_JD[0] + whole, fr - whole, 0.3)
    np.testing.assert_allclose(r, re, rtol=0, atol=1e-6)  # 1 um
    np.testing.assert_allclose(v, ve, rtol=0, atol=1e-9)
