"""The dashboard: its files and plotly.js are served without a network, the map and history views it draws, and
a browser (Debian's chromium driven by Playwright) that types a tenant's key, submits a job through the form and
sees it placed."""

from __future__ import annotations

import math
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from svc_helpers import ADMIN, ADMIN_KEY, TRAIN, bearer, msg, new_tenant

from orbitgrid.service import views

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and Path(p).is_file()), None)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_pages_and_plotly_are_served_offline(make_client) -> None:
    c = make_client()
    r = c.get("/dashboard", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/dashboard/"
    page = c.get("/dashboard/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # every script and style the page loads is served by the app (no CDN, no build step)
    for src in ("plotly.min.js", "app.js", "style.css", "land-110m.json"):
        assert f'"{src}"' in page.text or src == "land-110m.json"
        r = c.get(f"/dashboard/{src}")
        assert r.status_code == 200, src
    assert "http://" not in page.text and "https://" not in page.text
    js = c.get("/dashboard/plotly.min.js")
    import plotly

    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert js.content == bundled.read_bytes()
    assert c.get("/dashboard/../app.py").status_code == 404
    assert c.get("/dashboard/secrets.txt").status_code == 404
    coast = c.get("/dashboard/land-110m.json").json()
    assert len(coast["rings"]) > 100 and all(len(r) % 2 == 0 for r in coast["rings"])
    # the views are documented in the OpenAPI with stable operation ids; the pages are not API
    ops = {op["operationId"] for p in c.get("/openapi.json").json()["paths"].values() for op in p.values()}
    assert {"getFleetMap", "getFleetHistory"} <= ops
    assert "/dashboard/" not in c.get("/openapi.json").json()["paths"]


def test_map_places_nodes_and_sunlight(make_client, live_fleet) -> None:
    c = make_client()
    assert c.get("/v1/fleet/map").status_code == 401
    _tid, auth = new_tenant(c, "mapper")
    m = c.get("/v1/fleet/map", headers=auth).json()
    assert m["nodes"] == m["count"] == len(live_fleet.timeline.nodes)
    by_kind = {n["kind"]: n for n in m["data"]}
    site = by_kind["ground"]
    assert (site["lat_deg"], site["lon_deg"], site["alt_km"]) == (35.1, -90.0, 0.0)
    # 2027-03-31 22:00 UTC: the Sun is over the Pacific west of the Americas (equation of time about -4 min,
    # declination about +4.1 deg), so the subsolar longitude is near -150 deg and Memphis (90 W) is in daylight
    assert m["subsolar_lat_deg"] == pytest.approx(4.2, abs=0.5)
    assert m["subsolar_lon_deg"] == pytest.approx(-149.0, abs=1.0)
    assert site["daylight"] is True and site["sunlit_fraction"] is None
    for n in m["data"]:
        if n["kind"] == "orbital":
            assert 640 < n["alt_km"] < 680  # a 650 km sun-synchronous shell (mean, J2 secular: within 25 km)
            assert 0.0 <= n["sunlit_fraction"] <= 1.0 and n["daylight"] == (n["sunlit_fraction"] > 0)
    sample = c.get("/v1/fleet/map?limit=2", headers=auth).json()
    assert sample["count"] == 2 and sample["nodes"] == 3
    assert c.get("/v1/fleet/map?limit=0", headers=auth).status_code == 422


def test_orbital_illumination_matches_the_shadow_cone(live_fleet) -> None:
    """The map's sunlit fraction agrees with the shadow cones over a day: 0 in the umbra, 1 outside the
    penumbra."""
    from orbitgrid.astro.eclipse import shadow_code

    geo = views.FleetGeometry(live_fleet)
    idx = np.array([0, 1])
    lit_all = []
    for t in np.arange(0.0, 86_400.0, 600.0):
        at = geo.at(t, idx)
        sh = geo.shells[0]
        r, _ = sh.states(idx, np.array([t]))
        code = shadow_code(r[:, 0, :], geo.sun_ecef_m(t))
        for k in range(2):
            f = at["sunlit_fraction"][k]
            if code[k] == 3:  # umbra
                assert f == 0.0
            if code[k] == 0:  # lit
                assert f == 1.0
            lit_all.append(f)
    assert min(lit_all) >= 0.0 and max(lit_all) == 1.0


def test_subsolar_point_matches_skyfield(live_fleet) -> None:
    skyfield_data = pytest.importorskip("skyfield_data")
    from skyfield.api import Loader, wgs84

    with warnings.catch_warnings():
        # skyfield_data warns when its bundled finals2000A.all is past its expiry date; DE421 is unaffected.
        warnings.filterwarnings("ignore", message="The file .* has expired", category=RuntimeWarning)
        load = Loader(skyfield_data.get_skyfield_data_path())
        eph = load("de421.bsp")
    ts = load.timescale(builtin=True)
    geo = views.FleetGeometry(live_fleet)
    epoch = live_fleet.scenario.epoch
    try:
        for t_s in (0.0, 21_600.0, 50_000.0, 200_000.0):
            at = geo.at(t_s, np.array([2]))
            when = ts.from_datetime(epoch) + t_s / 86_400.0
            sun = eph["earth"].at(when).observe(eph["sun"]).apparent()
            lat, lon = wgs84.latlon_of(sun)  # at the Sun's distance geodetic and geocentric latitude agree
            assert at["subsolar_lat_deg"] == pytest.approx(lat.degrees, abs=0.02)  # degrees (about 2 km)
            dlon = (at["subsolar_lon_deg"] - lon.degrees + 180.0) % 360.0 - 180.0
            assert abs(dlon) < 0.05  # degrees: GMST without nutation in longitude and UT1-UTC
    finally:
        eph.close()


def test_history_bins() -> None:
    usable = np.array([[4, 4, 0, 0], [2, 2, 2, 2]], dtype=np.int32)  # two nodes, four 60 s steps
    out = views.capacity_bins(usable, 60.0, 30.0, 60.0, 4)
    assert out[:3].tolist() == [6.0, 4.0, 2.0] and math.isnan(out[3])  # the last bin runs past the horizon


def test_history_from_the_ledger(make_client, live_fleet) -> None:
    c = make_client()
    _tid, auth = new_tenant(c, "hist")
    r = c.post("/v1/jobs", json=TRAIN, headers=auth)
    assert r.status_code == 201, r.text
    c.post("/v1/clock/advance", json={"by_s": 1800.0}, headers=ADMIN)
    h = c.get("/v1/fleet/history?start_s=0&end_s=3600&bins=4", headers=auth).json()
    assert h["bin_s"] == 900.0 and h["installed_gpus"] == int(live_fleet.timeline.nodes.gpus.sum())
    job = c.get(f"/v1/jobs/{r.json()['id']}", headers=auth).json()
    assert job["state"] == "running"
    start = job["submit_t_s"]
    # 8 GPUs held from the start through the committed clock: bin means are exact
    committed = h["committed_t_s"]
    assert committed == pytest.approx(start + 1800.0, abs=1.0)
    assert h["busy_gpus"][0] == pytest.approx(8.0 * (900.0 - start) / 900.0, rel=1e-6)
    assert h["busy_gpus"][1] == pytest.approx(8.0, rel=1e-6)
    assert h["busy_gpus"][3] is None  # after the committed clock
    assert all(u is not None and 0 < u <= h["installed_gpus"] for u in h["usable_gpus"])
    bad = c.get("/v1/fleet/history?start_s=10&end_s=5", headers=auth)
    assert bad.status_code == 422 and "end_s" in msg(bad)
    # a span shorter than a second per bin (schemathesis found end_s=5e-324, which divided by a zero-length bin)
    for query in ("start_s=0&end_s=5e-324&bins=2", "start_s=0&end_s=10&bins=20"):
        tiny = c.get(f"/v1/fleet/history?{query}", headers=auth)
        assert tiny.status_code == 422 and "at least 1 s" in msg(tiny), tiny.text


# ------------------------------------------------------------------------------------------------ browser ---
@pytest.fixture
def live_server(live_fleet, tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn on a loopback port in a thread (the simulated clock at 60x)."""
    import uvicorn

    from orbitgrid.service.app import create_app
    from orbitgrid.service.settings import Settings

    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'dash.db'}", speed=60.0, admin_key=ADMIN_KEY, tick_s=0.1, eta_refresh_s=0.5
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, fleet=live_fleet), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_browser_submits_a_job_and_sees_it_placed(live_server: str, tmp_path: Path) -> None:
    import httpx2 as httpx
    from playwright.sync_api import expect, sync_playwright

    with httpx.Client(base_url=live_server, timeout=30) as http:
        r = http.post("/v1/tenants", json={"name": "browser"}, headers=ADMIN)
        assert r.status_code == 201, r.text
        tid, key = r.json()["tenant"]["id"], r.json()["api_key"]
        r = http.post(
            f"/v1/tenants/{tid}/contracts", json={"kind": "on_demand", "price_usd_per_gpu_hour": "3.50"}, headers=ADMIN
        )
        assert r.status_code == 201, r.text

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        outside: list[str] = []
        page.on("request", lambda req: None if req.url.startswith(live_server) else outside.append(req.url))
        page.goto(f"{live_server}/dashboard/")
        page.fill("#api-key", key)
        page.click("#use-key")
        expect(page.locator("#status")).to_contain_text("Connected", timeout=30_000)
        assert page.evaluate("sessionStorage.getItem('orbitgrid.apiKey')") == key
        # the map and the capacity plot are drawn (plotly SVG inside each div)
        expect(page.locator("#map .main-svg").first).to_be_visible(timeout=30_000)
        expect(page.locator("#history .main-svg").first).to_be_visible(timeout=30_000)
        assert page.locator("#map").get_attribute("data-nodes") == "3"
        # submit a job through the form
        page.select_option("#f-kind", "training")
        page.fill("#f-gpus", "8")
        page.select_option("#f-model", "H100")
        page.fill("#f-work", "16")
        page.select_option("#f-placement", "ground")
        page.fill("#f-name", "from-the-browser")
        page.click("#f-submit")
        expect(page.locator("#submit-result")).to_contain_text("Submitted job_", timeout=30_000)
        job_id = page.locator("#submit-result").get_attribute("data-job-id")
        assert job_id and job_id.startswith("job_")
        row = page.locator(f"#jobs tbody tr[data-id='{job_id}']")
        expect(row).to_contain_text("running", timeout=30_000)
        expect(row).to_contain_text("memphis")
        expect(page.locator("#events tbody")).to_contain_text("placed", timeout=30_000)
        expect(page.locator("#bill")).to_contain_text(tid, timeout=30_000)
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert shot.stat().st_size > 20_000
    assert errors == []
    assert outside == []  # nothing was fetched from outside the app (works offline)
    with httpx.Client(base_url=live_server, timeout=30) as http:
        job = http.get(f"/v1/jobs/{job_id}", headers=bearer(key)).json()
    assert job["name"] == "from-the-browser" and job["gpus"] == 8 and job["state"] in ("running", "completed")
