"""The analytic Sun (orbitgrid.astro.sun) against Skyfield with the JPL DE421 ephemeris, 2020-2035.

Reference: ``(eph['sun'] - eph['earth']).at(t).frame_xyz(TEME)``, the geometric geocentric Sun (no light time, no
aberration, as ``is_sunlit`` uses) rotated by Skyfield into TEME. Our Sun is evaluated at ``TimeGrid.jd_tt``, which
takes TT = UTC + 69.184 s; Skyfield's builtin timescale gives the same TT for these dates (checked below). Nothing
is downloaded: DE421 comes from the ``skyfield_data`` package.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
from skyfield.api import Loader, load
from skyfield.sgp4lib import TEME

from orbitgrid.astro.sun import sun_position_teme_m
from orbitgrid.astro.time import TimeGrid

# Every 3 d 7.3 h (so the samples walk through all times of day) from 2020-01-01 to 2035-12-31: 1,769 instants.
SAMPLE_STEP_S = 3 * 86_400.0 + 7.3 * 3_600.0
# Issue: direction < 0.01 deg. Measured max 0.00344 deg (median 0.00087 deg); tolerance ~2x the measurement.
DIRECTION_TOL_DEG = 0.007
# Issue: distance within 1e-4 relative. Measured max 7.9e-5 (the Moon's pull on the Earth, ~3e-5, and the
# neglected planetary terms in the radius); twice the measurement would exceed the bound, so it is kept.
DISTANCE_REL_TOL = 1e-4
TT_TOL_S = 1e-3  # TimeGrid.jd_tt vs Skyfield's builtin TT: measured < 1e-5 s (float64 resolution of a JD)


@pytest.fixture(scope="module")
def de421():
    skyfield_data = pytest.importorskip("skyfield_data")
    with warnings.catch_warnings():
        # skyfield_data warns when its bundled finals2000A.all is past its expiry date; DE421 is unaffected.
        warnings.filterwarnings("ignore", message="The file .* has expired", category=RuntimeWarning)
        eph = Loader(skyfield_data.get_skyfield_data_path())("de421.bsp")
    yield eph
    eph.close()


def test_sun_direction_and_distance_vs_de421(de421) -> None:
    epoch = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    span_s = (dt.datetime(2035, 12, 31, tzinfo=dt.UTC) - epoch).total_seconds()
    grid = TimeGrid.from_duration(epoch, span_s, 86_400.0)
    t_s = np.arange(0.0, span_s, SAMPLE_STEP_S)

    ours = sun_position_teme_m(grid.jd_tt(t_s))
    ts = load.timescale(builtin=True)
    t = ts.utc(2020, 1, 1, 0, 0, t_s)
    ref = (de421["sun"] - de421["earth"]).at(t).frame_xyz(TEME).m.T

    assert np.abs(t.tt - grid.jd_tt(t_s)).max() * 86_400.0 < TT_TOL_S
    n_ours = np.linalg.norm(ours, axis=-1)
    n_ref = np.linalg.norm(ref, axis=-1)
    # Angle from the cross product: accurate for tiny angles, unlike arccos of the dot product.
    angle_deg = np.degrees(np.arcsin(np.linalg.norm(np.cross(ours, ref), axis=-1) / (n_ours * n_ref)))
    rel = np.abs(n_ours / n_ref - 1.0)
    print(
        f"{t_s.size} samples: direction max {angle_deg.max():.5f} deg, median {np.median(angle_deg):.5f} deg; "
        f"distance max {rel.max():.2e} relative"
    )
    assert angle_deg.max() < DIRECTION_TOL_DEG
    assert rel.max() < DISTANCE_REL_TOL
    # Both in the same hemisphere everywhere (guards against a sign error hiding behind arcsin).
    assert (np.einsum("ij,ij->i", ours, ref) > 0.0).all()
