"""The offline Cesium playback in a real browser: Chromium (SwiftShader WebGL) loads playback.html over loopback
HTTP, with CesiumJS and its Natural Earth II imagery from the folder and no network, and reports the entities it
loaded and its frame times."""

from __future__ import annotations

import http.server
import shutil
import threading
from functools import partial
from pathlib import Path

import pytest

from orbitgrid.pipeline import export as ex
from orbitgrid.pipeline.orbit import shell_orbits
from orbitgrid.scenario import load_scenario

CESIUM = Path(__file__).resolve().parents[2] / "build" / "cesium"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
    pytest.mark.skipif(not (CESIUM / "Cesium.js").exists(), reason="run scripts/fetch_cesium.sh first"),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_playback_loads_every_satellite_and_renders_frames(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    sc = load_scenario("default")
    czml = ex.export_czml(sc, tmp_path / "orbits.czml", hours=1.0, step_s=60.0, limit=40)
    page_path = ex.write_playback(czml, CESIUM, sc.name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requests: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
            )
            page = browser.new_page(viewport={"width": 800, "height": 450})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{page_path.name}")
            page.wait_for_function("document.body.dataset.frames || document.body.dataset.error", timeout=240_000)
            data = page.evaluate("Object.assign({}, document.body.dataset)")
            browser.close()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    print(f"playback: {data}")
    assert "error" not in data
    expect = sum(min(40, shell_orbits(sc, s).tracks) for s in sc.fleet.shells)
    assert int(data["entities"]) == expect  # the document packet is not an entity
    assert int(data["frames"]) == ex.PLAYBACK_FRAMES
    assert float(data["frameMsMedian"]) > 0.0
    outside = [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert outside == []  # nothing from the network: no Ion, no CDN
