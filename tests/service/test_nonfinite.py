"""A state the twin reports as NaN (a satellite SGP4 lost mid-run has no sunlight, battery or temperature) is
answered as null, never as a 500 (Starlette's JSON encoder refuses NaN)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from svc_helpers import new_tenant

from orbitgrid.service.responses import FiniteJSONResponse, finite_or_null


def test_finite_or_null_replaces_only_non_finite_floats() -> None:
    got = finite_or_null({"a": math.nan, "b": [1.5, math.inf, -math.inf, 2], "c": (0.0, "x"), "d": None, "e": True})
    assert got == {"a": None, "b": [1.5, None, None, 2], "c": [0.0, "x"], "d": None, "e": True}
    assert FiniteJSONResponse({"x": math.nan, "y": 1.0}).body == b'{"x":null,"y":1.0}'


def test_lost_satellite_state_reads_as_null(make_client, monkeypatch: pytest.MonkeyPatch) -> None:
    c = make_client()
    _, h = new_tenant(c, "lab")
    fleet = c.app.state.service.driver.fleet
    node = c.get("/v1/fleet/nodes", params={"kind": "orbital"}, headers=h).json()["data"][0]["id"]
    real = fleet.node_state(node)
    lost = {k: np.full_like(v, np.nan, dtype=float) for k, v in real.items()}
    monkeypatch.setattr(fleet, "node_state", lambda n: lost if n == node else real)
    r = c.get(f"/v1/fleet/nodes/{node}", headers=h)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["sunlit_fraction"] is None and d["battery_soc"] is None and d["radiator_c"] is None
