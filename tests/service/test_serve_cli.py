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


def test_a_fleet_too_large_to_serve_here_is_refused_before_it_is_built(tmp_path) -> None:
    """200,000 satellites scheduled one by one over 30 days at 60 s: 8.6e9 node steps, over a terabyte by the
    pre-flight estimate. Refused with exit status 2 naming what drives it and the plane pools that shrink it, in
    the time it takes to read the scenario (nothing is propagated)."""
    path = tmp_path / "huge.yaml"
    path.write_text(
        "schema_version: 1\nname: huge\nepoch: 2027-03-20T00:00:00Z\nduration: 30d\nstep: 60s\nseed: 1\n"
        "fleet:\n  shells:\n    - name: w\n      orbit: {type: walker_delta, altitude_km: 550, inclination_deg: 53.0,"
        " total: 200000, planes: 1000, phasing: 1}\n      design: compute-sat\npolicy: {name: priority}\n"
    )
    res = runner.invoke(app, ["serve", str(path), "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert res.exit_code == 2, res.output
    out = " ".join(res.stderr.split())
    assert "huge: this run needs an estimated" in out and "TB of memory" in out
    assert "node timelines" in out and "policy.node_pools: plane" in out and "--force" in out
    assert not (tmp_path / "s.db").exists()  # refused before the database or the fleet
