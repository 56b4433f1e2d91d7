"""Our TLE reader + ``propagate_teme`` against Vallado's SGP4 verification output (``tcppver.out``).

``SGP4-VER.TLE`` gives, after column 69 of line 2, the start, stop and step (minutes from epoch) of each case;
``tcppver.out`` holds one block per satellite ("NNNNN xx") whose lines start with the minutes since epoch,
then TEME position (km) and velocity (km/s). The reference C++ driver prints the epoch (t = 0) line first,
then start..stop by step, then stop itself when the steps miss it, and stops a block at the first SGP4 error.
A satellite whose initialisation fails (33334 here) gets, at t = 0, the previous satellite's last line
reprinted by that driver.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orbitgrid.astro.elements import ElementSet
from orbitgrid.astro.sgp4_adapter import iter_teme_chunks, propagate_teme

POS_TOL_KM = 1e-6  # 1 mm; measured max 1.6e-7 km (20413 at 1,844,000 min, 3.5 years out), else <= 5e-9 km
VEL_TOL_KM_S = 1e-9  # the file prints 9 decimals; the measured max difference is 5e-10 (rounding)


def _read_cases(path: Path) -> tuple[list[str], list[tuple[float, float, float]]]:
    """69-column TLE pairs and each case's (start, stop, step) in minutes."""
    pairs: list[str] = []
    spans: list[tuple[float, float, float]] = []
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("1 "):
            l2 = lines[i + 1]
            assert l2.startswith("2 ")
            pairs.append(f"{line[:69]}\n{l2[:69]}")
            start, stop, step = (float(x) for x in l2[69:].split())
            spans.append((start, stop, step))
    return pairs, spans


def _read_expected(path: Path) -> list[tuple[int, np.ndarray]]:
    """(catalogue number, rows of [t_min, x, y, z, vx, vy, vz]) per block of ``tcppver.out``."""
    blocks: list[tuple[int, list[list[float]]]] = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields:
            continue
        if fields[-1] == "xx":
            blocks.append((int(fields[0]), []))
        else:
            blocks[-1][1].append([float(x) for x in fields[:7]])
    return [(num, np.array(rows).reshape(-1, 7)) for num, rows in blocks]


def _schedule(start: float, stop: float, step: float) -> list[float]:
    """Minutes at which the reference driver evaluates a case, in its order."""
    times = [0.0]
    t = start
    while t <= stop:
        if not (t == start == 0.0):
            times.append(t)
        t += step
    if t - stop < step - 1e-6:
        times.append(stop)
    return times


@pytest.fixture(scope="module")
def vallado(reference_data: Path):
    folder = reference_data / "sgp4_verification"  # shipped: tests/data/PROVENANCE.md
    tle, out = folder / "SGP4-VER.TLE", folder / "tcppver.out"
    pairs, spans = _read_cases(tle)
    # Cases 33333-33335 carry deliberately wrong checksums, so this file is read without checking them.
    elements = ElementSet.from_tle_text("\n".join(pairs), source=str(tle), verify_checksum=False)
    return elements, spans, _read_expected(out)


def test_every_case_matches_tcppver(vallado) -> None:
    elements, spans, expected = vallado
    assert len(elements) == len(spans) == len(expected) == 33
    errors_seen: list[int] = []
    compared = 0
    max_dr_km = max_dv_km_s = 0.0
    previous_last_row: np.ndarray | None = None
    for i, ((catnum, rows), span) in enumerate(zip(expected, spans, strict=True)):
        assert elements.catalog_numbers[i] == catnum
        times = np.array(_schedule(*span))
        whole, frac = np.divmod(times / 1440.0, 1.0)
        jd = elements.epoch_jd[i] + whole
        fr = elements.epoch_fr[i] + frac
        r_m, v_m_s, err = propagate_teme(elements.subset([i]), jd, fr)
        r_km, v_km_s, err = r_m[0] / 1000.0, v_m_s[0] / 1000.0, err[0]

        if err[0] != 0:
            # Initialisation failed: the reference driver reprinted the previous satellite's last line.
            assert previous_last_row is not None and len(rows) == 1
            np.testing.assert_array_equal(rows[0, 1:], previous_last_row[1:])
            assert np.isnan(r_km[0]).all() and np.isnan(v_km_s[0]).all()
            errors_seen.append(int(err[0]))
            previous_last_row = rows[-1]
            continue

        n_ok = len(rows)
        np.testing.assert_allclose(rows[:, 0], times[:n_ok], rtol=0, atol=1e-6)
        assert (err[:n_ok] == 0).all(), f"{catnum}: unexpected SGP4 error where tcppver.out has output"
        dr = np.abs(r_km[:n_ok] - rows[:, 1:4]).max()
        dv = np.abs(v_km_s[:n_ok] - rows[:, 4:7]).max()
        assert dr < POS_TOL_KM, f"{catnum}: position differs by {dr * 1e6:.3f} mm"
        assert dv < VEL_TOL_KM_S, f"{catnum}: velocity differs by {dv:.2e} km/s"
        max_dr_km, max_dv_km_s = max(max_dr_km, dr), max(max_dv_km_s, dv)
        compared += n_ok
        if n_ok < len(times):
            # The reference driver stopped here because SGP4 reported an error: so must we.
            assert err[n_ok] != 0, f"{catnum}: tcppver.out stops at t={times[n_ok]} min, we report no error"
            assert np.isnan(r_km[n_ok]).all() and np.isnan(v_km_s[n_ok]).all()
            errors_seen.append(int(err[n_ok]))
        previous_last_row = rows[-1]

    assert compared == sum(len(rows) for _, rows in expected) - 1  # all lines but 33334's reprint
    # The same error sequence python-sgp4's own tcppver test expects.
    assert errors_seen == [1, 1, 6, 6, 4, 3, 6]
    print(f"tcppver: {compared} states, max |dr| {max_dr_km * 1e6:.4f} mm, max |dv| {max_dv_km_s:.2e} km/s")


def test_batch_with_failing_satellites_is_errors_as_data(vallado) -> None:
    """All 33 cases (decaying, failing and healthy) in one batch: no exception, NaN exactly where err != 0."""
    elements, _, _ = vallado
    jd = np.full(50, elements.epoch_jd.max())
    fr = np.linspace(0.0, 3.0, 50)  # up to 3 days past the latest epoch; years past the oldest
    r_m, v_m_s, err = propagate_teme(elements, jd, fr)
    assert r_m.shape == v_m_s.shape == (33, 50, 3) and err.shape == (33, 50) and err.dtype == np.uint8
    bad = err != 0
    assert bad.any() and (~bad).any()
    assert np.isnan(r_m[bad]).all() and np.isnan(v_m_s[bad]).all()
    assert np.isfinite(r_m[~bad]).all() and np.isfinite(v_m_s[~bad]).all()
    assert bad[list(elements.catalog_numbers).index(33334)].all()  # initialisation failed: NaN at every time
    assert elements.init_error[list(elements.catalog_numbers).index(33334)] != 0


def test_chunks_equal_one_batch(vallado) -> None:
    elements, _, _ = vallado
    jd = np.full(20, elements.epoch_jd[0])
    fr = np.linspace(0.0, 2.0, 20)
    r_all, v_all, e_all = propagate_teme(elements, jd, fr)
    seen = 0
    for sl, r_m, v_m_s, err in iter_teme_chunks(elements, jd, fr, chunk_size=7):
        assert r_m.shape[0] <= 7 and sl.start == seen
        np.testing.assert_array_equal(r_m, r_all[sl])
        np.testing.assert_array_equal(v_m_s, v_all[sl])
        np.testing.assert_array_equal(err, e_all[sl])
        seen = sl.stop
    assert seen == len(elements)
    with pytest.raises(ValueError, match="chunk_size"):
        next(iter_teme_chunks(elements, jd, fr, chunk_size=0))


def test_scalar_time_and_units(vallado) -> None:
    elements, _, expected = vallado
    r_m, v_m_s, err = propagate_teme(elements.subset([0]), elements.epoch_jd[0], elements.epoch_fr[0])
    assert r_m.shape == (1, 1, 3) and err[0, 0] == 0
    np.testing.assert_allclose(r_m[0, 0], expected[0][1][0, 1:4] * 1000.0, rtol=0, atol=1e-3)
    np.testing.assert_allclose(v_m_s[0, 0], expected[0][1][0, 4:7] * 1000.0, rtol=0, atol=1e-6)
    r_m, _, err = propagate_teme(elements.subset([]), np.zeros(3), np.zeros(3))
    assert r_m.shape == (0, 3, 3) and err.shape == (0, 3)
