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


#: In the page: each of the first satellites' position from the playback's interpolation against Cesium's own
#: ``SampledPositionProperty`` (Lagrange, the packet's degree) built from the same CZML samples, at sample times and
#: between them; the largest difference in metres.
_COMPARE_JS = """async () => {
  const packets = await (await fetch("orbits.czml")).json();
  const pb = window.orbitgridPlayback;
  let worst = 0, checked = 0, k = 0;
  for (const p of packets) {
    if (!p.position) continue;
    const pos = p.position;
    const prop = new Cesium.SampledPositionProperty(Cesium.ReferenceFrame.FIXED);
    prop.setInterpolationOptions({
      interpolationAlgorithm: Cesium.LagrangePolynomialApproximation,
      interpolationDegree: pos.interpolationDegree,
    });
    const epoch = Cesium.JulianDate.fromIso8601(pos.epoch);
    const c = pos.cartesian;
    for (let i = 0; i < c.length; i += 4) {
      prop.addSample(Cesium.JulianDate.addSeconds(epoch, c[i], new Cesium.JulianDate()),
        new Cesium.Cartesian3(c[i + 1], c[i + 2], c[i + 3]));
    }
    const last = c[c.length - 4];
    for (const s of [0, 60, 61.3, 95.5, last / 2 + 7.25, last - 13.1, last]) {
      const when = Cesium.JulianDate.addSeconds(epoch, s, new Cesium.JulianDate());
      const mine = pb.positionAt(k, when);
      const ref = prop.getValue(when);
      worst = Math.max(worst, Cesium.Cartesian3.distance(mine, ref));
      checked++;
    }
    const after = pb.positionAt(k, Cesium.JulianDate.addSeconds(epoch, last + 1, new Cesium.JulianDate()));
    if (after !== null) return { error: "a position after the last sample" };
    if (++k >= 10) break;
  }
  return { worst, checked };
}"""


def _open(tmp_path: Path, page_name: str, script: str | None = None) -> tuple[dict[str, str], list[str], object]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requests: list[str] = []
    extra = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
            )
            page = browser.new_page(viewport={"width": 800, "height": 450})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{page_name}")
            page.wait_for_function("document.body.dataset.frames || document.body.dataset.error", timeout=240_000)
            data = page.evaluate("Object.assign({}, document.body.dataset)")
            if script is not None:
                extra = page.evaluate(script)
            browser.close()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    return data, requests, extra


def test_playback_loads_every_satellite_and_renders_frames(tmp_path: Path) -> None:
    """The playback's own loader (one point collection): every satellite of the CZML, frames rendered, positions
    within 1 mm of Cesium's Lagrange interpolation of the same samples, nothing fetched from the network."""
    sc = load_scenario("default")
    czml = ex.export_czml(sc, tmp_path / "orbits.czml", hours=1.0, step_s=60.0, limit=40)
    page_path = ex.write_playback(czml, CESIUM, sc.name)
    data, requests, compared = _open(tmp_path, page_path.name, _COMPARE_JS)
    print(f"playback: {data}; against Cesium's interpolation: {compared}")
    assert "error" not in data
    expect = sum(min(40, shell_orbits(sc, s).tracks) for s in sc.fleet.shells)
    assert int(data["satellites"]) == expect  # the document packet is not a satellite
    assert int(data["frames"]) == ex.PLAYBACK_FRAMES
    assert float(data["frameMsMedian"]) > 0.0 and float(data["updateMsMedian"]) >= 0.0
    assert isinstance(compared, dict) and "error" not in compared, compared
    assert compared["checked"] == 70 and compared["worst"] < 1e-3  # metres
    outside = [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert outside == []  # nothing from the network: no Ion, no CDN


def test_cesium_czml_loader_reads_the_same_file(tmp_path: Path) -> None:
    """The same CZML through Cesium's ``CzmlDataSource`` (the benchmark's baseline): one entity per satellite."""
    sc = load_scenario("default")
    czml = ex.export_czml(sc, tmp_path / "orbits.czml", hours=1.0, step_s=60.0, limit=5)
    page_path = ex.write_playback(czml, CESIUM, sc.name, loader="czml-datasource")
    data, requests, _ = _open(tmp_path, page_path.name)
    assert "error" not in data
    assert not [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    assert int(data["satellites"]) == sum(min(5, shell_orbits(sc, s).tracks) for s in sc.fleet.shells)
    assert int(data["frames"]) == ex.PLAYBACK_FRAMES
