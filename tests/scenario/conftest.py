"""Helpers for the scenario tests: a valid base scenario and a writer for YAML files in tmp_path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

BASE: dict[str, Any] = {
    "schema_version": 1,
    "name": "test",
    "epoch": "2027-03-20T00:00:00Z",
    "duration": "2h",
    "step": "60s",
    "seed": 7,
    "fleet": {
        "shells": [
            {
                "name": "sso",
                "orbit": {
                    "type": "sun_synchronous",
                    "altitude_km": 650,
                    "ltan_hours": 18.0,
                    "planes": 2,
                    "per_plane": 10,
                },
                "design": "compute-sat",
            },
            {
                "name": "walker",
                "orbit": {
                    "type": "walker_delta",
                    "altitude_km": 550,
                    "inclination_deg": 53,
                    "total": 40,
                    "planes": 4,
                    "phasing": 1,
                },
                "design": "compute-sat",
            },
        ],
        "ground_sites": [],
    },
}


@pytest.fixture
def base() -> dict[str, Any]:
    """A fresh copy of a valid scenario as a dict."""
    return copy.deepcopy(BASE)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write data (a dict, or raw text) as a YAML file in tmp_path and return its path."""

    def write(data: Any, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
