"""One run of ``examples/notebook.yaml`` (every stage in a few seconds) through the CLI, and the same scenario and
seed simulated in memory with the CLI's command line recorded, shared by the API tests."""

from __future__ import annotations

import sys

import pytest
from api_cases import EXAMPLE, Pair
from typer.testing import CliRunner

from orbitgrid.api import load_scenario, simulate


@pytest.fixture(scope="session")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    from orbitgrid.cli import app

    out = tmp_path_factory.mktemp("cli") / "run"
    argv = ["simulate", str(EXAMPLE), "--out", str(out)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["orbitgrid", *argv])  # the command the CLI records in the manifest
        res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, res.output
    run = simulate(load_scenario(EXAMPLE), command=" ".join(["orbitgrid", *argv]))
    return Pair(out, run)
