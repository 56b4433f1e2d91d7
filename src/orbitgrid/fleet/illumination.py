"""Step-averaged sunlight of every track, rebuilt from its shadow passages.

The power models need, for each time step ``[t_k, t_k + h)``, the mean illuminated fraction of the solar disc. The
survey already holds each passage's hidden time ``shadow_s = integral (1 - f) dt``; this module spreads it over
the passage's hidden interval and bins it by step:

- a passage that hides the Sun's centre spreads ``shadow_s`` uniformly over ``[entry_s, exit_s]`` (the window's
  edge where the centre was hidden at the window's start or end); by the antisymmetry of each penumbral crossing
  about its half-disc instant this is where the energy goes, to within the penumbra's duration (4-15 s in LEO);
- a penumbral graze spreads it over ``[penumbra_entry_s, penumbra_exit_s]``.

So the step means add up exactly to the survey's sunlit time (energy is conserved), and a step's mean is off from
the true mean ``(1/h) integral f dt`` only in the steps that hold a penumbral crossing (by at most the penumbra's
duration over the step length).
"""

from __future__ import annotations

import math

import numpy as np

from orbitgrid._jit import kernel
from orbitgrid.astro.survey import Survey


@kernel(cache=True, error_model="numpy")
def _bin_hidden(track, start_s, end_s, hidden_s, n_tracks, n_steps, step_s, first_track):
    out = np.zeros((n_tracks, n_steps), dtype=np.float64)
    for q in range(track.shape[0]):
        i = track[q] - first_track
        if i < 0 or i >= n_tracks:
            continue
        a, b, w = start_s[q], end_s[q], hidden_s[q]
        if not b > a or w <= 0.0:
            continue
        density = w / (b - a)
        k0 = max(math.floor(a / step_s), 0)
        k1 = min(math.floor(b / step_s), n_steps - 1)
        for k in range(k0, k1 + 1):
            lo = max(a, k * step_s)
            hi = min(b, (k + 1) * step_s)
            if hi > lo:
                out[i, k] += density * (hi - lo)
    return out


def hidden_intervals(survey: Survey) -> tuple[np.ndarray, np.ndarray]:
    """``(start_s, end_s)`` of the interval over which each passage's hidden time is spread."""
    p = survey.passages
    centre = (survey.eclipse_duration_s > 0.0) | ~np.isnan(p["entry_s"]) | ~np.isnan(p["exit_s"])
    start_c = np.where(np.isnan(p["entry_s"]), 0.0, p["entry_s"])
    end = survey.passage_end_s  # the window's end, or the last instant before SGP4 lost the track
    end_c = np.where(np.isnan(p["exit_s"]), end, p["exit_s"])
    start_p = np.where(np.isnan(p["penumbra_entry_s"]), 0.0, p["penumbra_entry_s"])
    end_p = np.where(np.isnan(p["penumbra_exit_s"]), end, p["penumbra_exit_s"])
    return np.where(centre, start_c, start_p), np.where(centre, end_c, end_p)


def step_lit_fraction(survey: Survey, step_s: float, n_steps: int, tracks: slice | None = None) -> np.ndarray:
    """Mean illuminated fraction of each track over each step, shape ``(n_tracks, n_steps)``.

    ``tracks`` selects a contiguous range of tracks (default: all), so callers can work chunk by chunk.
    """
    sl = tracks if tracks is not None else slice(0, survey.shadow_s.shape[0])
    start, end = hidden_intervals(survey)
    hidden = _bin_hidden(
        survey.track,
        start,
        end,
        np.nan_to_num(survey.passages["shadow_s"]),
        sl.stop - sl.start,
        n_steps,
        step_s,
        sl.start,
    )
    return np.clip(1.0 - hidden / step_s, 0.0, 1.0)
