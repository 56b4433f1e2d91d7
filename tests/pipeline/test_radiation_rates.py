"""Radiation in the node fault-rate timelines: trapped protons, galactic cosmic rays and a solar particle event reach
the engine through ``base_rate_per_gpu_s`` and ``rate_scale`` (``pipeline.nodes``), and approximations are recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from orbitgrid.pipeline.capacity import radiation_table_notes, shell_capacity
from orbitgrid.pipeline.nodes import build_fleet_timeline, gcr_rates_per_gpu_s, radiation_rates_per_gpu_s
from orbitgrid.pipeline.orbit import survey_shells
from orbitgrid.scenario import load_scenario_text
from orbitgrid.spacecraft import cosmic_rays as cr

BASE: dict[str, Any] = {
    "schema_version": 1,
    "name": "rad-rates",
    "epoch": "2027-03-20T00:00:00Z",
    "duration": "6h",
    "step": "60s",
    "fleet": {
        "shells": [
            {
                "name": "polar",
                "orbit": {
                    "type": "walker_delta",
                    "altitude_km": 650,
                    "inclination_deg": 97.9,
                    "total": 4,
                    "planes": 2,
                    "phasing": 1,
                },
                "design": "compute-sat",
            },
            {
                "name": "equatorial",
                "orbit": {"type": "walker_delta", "altitude_km": 575, "inclination_deg": 6, "total": 2, "planes": 1},
                "design": "compute-sat",
            },
        ]
    },
}


def _build(environment: dict[str, Any] | None = None):
    data = dict(BASE)
    if environment is not None:
        data["environment"] = environment
    sc = load_scenario_text(yaml.safe_dump(data))
    surveys = survey_shells(sc)
    caps = [shell_capacity(sc, s, track_usable=True) for s in surveys]
    return sc, caps, build_fleet_timeline(sc, surveys, caps, []).timeline


def test_base_rates_add_trapped_and_cosmic_rays_and_the_scale_averages_one() -> None:
    _, caps, tl = _build()
    polar, equatorial = caps
    assert polar.gcr_flux_cm2_s > equatorial.gcr_flux_cm2_s > 0.0
    base = tl.nodes.base_rate_per_gpu_s
    expected = radiation_rates_per_gpu_s(polar.dose_rate_rad_s) + gcr_rates_per_gpu_s(polar.gcr_flux_cm2_s)
    ground = (
        base[-1]
        - radiation_rates_per_gpu_s(equatorial.dose_rate_rad_s)
        - gcr_rates_per_gpu_s(equatorial.gcr_flux_cm2_s)
    )
    np.testing.assert_allclose(base[0], ground + expected, rtol=1e-12)
    # The per-step scale is the rate relative to the base: its time mean over a track is ~1 (means over the same
    # midpoints the profiles were normalised on; the trapped dose mean is sampled on other points, hence 5 %).
    assert tl.rate_scale is not None
    np.testing.assert_allclose(tl.rate_scale.mean(axis=1), 1.0, atol=0.05)
    summary = polar.summary()
    assert summary["gcr_upsets_per_gpu_day"]["sdc"] == pytest.approx(polar.gcr_flux_cm2_s / (17 * 7.9e6) * 86_400)


def test_solar_maximum_lowers_cosmic_rays() -> None:
    _, minimum, _ = _build()
    _, maximum, _ = _build({"solar_cycle": "maximum"})
    assert maximum[0].gcr_flux_cm2_s < 0.7 * minimum[0].gcr_flux_cm2_s
    assert maximum[0].dose_rate_rad_s < minimum[0].dose_rate_rad_s  # AP8MAX < AP8MIN at LEO


def test_solar_particle_event_raises_polar_fault_rates_only_while_it_lasts() -> None:
    _, _, quiet = _build()
    sc, caps, tl = _build({"solar_particle_event": {"start": "2027-03-20T02:00:00Z", "duration": "2h"}})
    assert tl.rate_scale is not None and quiet.rate_scale is not None
    k = np.arange(tl.rate_scale.shape[1])
    during = (k >= 120) & (k < 240)
    np.testing.assert_array_equal(tl.rate_scale[:, ~during], quiet.rate_scale[:, ~during])
    extra = tl.rate_scale[:, during] - quiet.rate_scale[:, during]
    assert np.all(extra >= 0.0)
    # The polar shell crosses the caps during the event: fault rates rise there by orders of magnitude.
    assert extra[:4].max() > 100.0
    # The equatorial shell stays under cutoffs the event cannot cross.
    assert extra[4:].max() < 1e-6
    # Extra SDC + interrupt events per accelerator of a polar satellite over the event: the event's dose where it
    # is fully transmitted (714 rad(Si) behind 10 mm at 650 km, tests/spacecraft/test_cosmic_rays.py) times the
    # share of the event spent over the caps, divided by the doses per event (1/17 + 1/44 + 1/5000 + 1/450 + 1/400).
    base_si = tl.nodes.base_rate_per_gpu_s[0, :2].sum()
    extra_events = extra[:4].sum(axis=1) * base_si * sc.step_s
    per_rad = radiation_rates_per_gpu_s(1.0)[:2].sum()
    cap_share = extra_events / (714.0 * per_rad)
    print(f"extra events per accelerator over the 2 h event: {extra_events}; share over the caps: {cap_share}")
    assert np.all((cap_share > 0.05) & (cap_share < 0.6))
    # The shell summary's event dose (5-minute samples of the dose tracks) agrees with the fault timelines (60 s
    # steps): both are the event's dose over the caps, sampled differently.
    polar, equatorial = caps
    assert polar.spe_dose_rad == pytest.approx(float(np.mean(extra_events)) / per_rad, rel=0.25)
    assert equatorial.spe_dose_rad < 1e-6
    summary = polar.summary()
    assert summary["spe_dose_rad"] == polar.spe_dose_rad
    assert summary["spe_upsets_per_gpu"]["sdc"] == pytest.approx(polar.spe_dose_rad / 17.0)


def test_outside_the_table_notes() -> None:
    notes = radiation_table_notes("elements", np.array([500e3, 2300e3, 2400e3, 120e3]))
    assert len(notes) == 2
    assert notes[0].startswith("shell 'elements': 50.0 % of the sampled track points are above 2150 km")
    assert "below 150 km" in notes[1]
    assert radiation_table_notes("fine", np.array([400e3, 2100e3])) == []


def test_modulation_defaults_are_the_physics_defaults() -> None:
    sc = load_scenario_text(yaml.safe_dump(BASE))
    assert sc.environment.phi_mv == cr.MODULATION_POTENTIAL_MV["minimum"]
