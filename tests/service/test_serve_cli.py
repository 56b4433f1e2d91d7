"""`orbitgrid serve`: a clear message without the service extra, bad options and a database of another scenario
refused with exit status 2 before the server starts."""

from __future__ import annotations

import importlib.util

import pytest
from typer.testing import CliRunner

from orbitgrid.cli import app
from orbitgrid.service import db
from orbitgrid.service.app import preflight
from orbitgrid.service.settings import Settings

runner = CliRunner()


def test_serve_without_the_service_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sse_starlette" else real(name, *a)
    )
    res = runner.invoke(app, ["serve"])
    assert res.exit_code == 2
    assert "orbitgrid[service]" in res.stderr and "sse_starlette" in res.stderr


def test_serve_refuses_a_bad_speed() -> None:
    res = runner.invoke(app, ["serve", "--speed", "-1"])
    assert res.exit_code == 2 and "speed" in res.stderr


def test_a_database_of_another_scenario_is_refused(live_fleet, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    settings = Settings(db_url=url)
    preflight(settings, live_fleet)  # a fresh database takes this scenario
    preflight(settings, live_fleet)  # and keeps it
    eng = db.make_engine(url)
    with eng.begin() as conn:
        conn.execute(db.Meta.__table__.update().where(db.Meta.key == "seed").values(value="999"))
    eng.dispose()
    with pytest.raises(RuntimeError, match="cannot serve 'service-test'"):
        preflight(settings, live_fleet)
