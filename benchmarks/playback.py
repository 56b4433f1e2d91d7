"""Frame time of the offline Cesium playback with many satellites, in headless Chromium (issue 17).

Builds a Walker-delta shell of ``--satellites`` satellites (550 km, 53 deg, 100 planes, phasing 1), writes its
CZML (``--hours`` at ``--step`` seconds, coloured by illumination) and ``playback.html`` with CesiumJS from
``build/cesium`` (``scripts/fetch_cesium.sh``), serves the folder on loopback and opens it in Debian's Chromium
through Playwright (``executable_path``; no browser download). The page records the intervals between its first
rendered frames after the CZML loaded (``orbitgrid.pipeline.export.PLAYBACK_FRAMES``); this script reads them
``--repeats`` times.

Three pages in the same run: the playback's own loader (``points``: the CZML read into typed arrays and one point
collection, interpolated per frame), the best alternative, Cesium's ``CzmlDataSource`` on the same file (one entity
per satellite), and the floor of this stack, the playback with an empty CZML (the globe, its imagery, lighting and
the clock, no satellite), so the ratios say what the satellites cost on top of rendering the globe. The points page
also records the JavaScript time of each frame's update (interpolating and colouring every satellite), the part of a
frame that does not depend on the graphics card. Without a GPU, Chromium renders WebGL in software (SwiftShader): the
absolute frame times are this machine's CPU, not what a user with a graphics card sees.

    python benchmarks/playback.py [--satellites 10000] [--hours 1] [--step 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import http.server
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

from orbitgrid.pipeline import export as ex
from orbitgrid.scenario import load_scenario_text

CESIUM = Path(__file__).resolve().parents[1] / "build" / "cesium"

SCENARIO = """
schema_version: 1
name: playback-{n}
epoch: 2026-03-26T00:00:00Z
duration: 2h
step: 60s
fleet:
  shells:
    - name: walker-550
      orbit:
        {{type: walker_delta, altitude_km: 550, inclination_deg: 53, total: {n}, planes: {planes}, phasing: {phasing}}}
      design: compute-sat
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def measure(folder: Path, page: str, chromium: str, timeout_ms: int) -> dict[str, str]:
    """Open ``page`` served from ``folder`` and return the page's frame record (``document.body.dataset``)."""
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
            )
            tab = browser.new_page(viewport={"width": 800, "height": 450})
            t0 = time.perf_counter()
            tab.goto(f"http://127.0.0.1:{server.server_address[1]}/{page}")
            tab.wait_for_function("document.body.dataset.frames || document.body.dataset.error", timeout=timeout_ms)
            data = dict(tab.evaluate("Object.assign({}, document.body.dataset)"))
            data["load_and_frames_s"] = f"{time.perf_counter() - t0:.1f}"
            browser.close()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    if "error" in data:
        raise SystemExit(f"the page reported an error: {data['error']}")
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--satellites", type=int, default=10_000)
    ap.add_argument("--planes", type=int, default=100)
    ap.add_argument("--phasing", type=int, default=1)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--step", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout-s", type=float, default=900.0)
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
    if not (CESIUM / "Cesium.js").is_file():
        raise SystemExit(f"{CESIUM}: no Cesium.js; run scripts/fetch_cesium.sh first")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; commit {commit}; {chromium}")
    with tempfile.TemporaryDirectory() as tmp:
        cases = {}
        sc = load_scenario_text(SCENARIO.format(n=args.satellites, planes=args.planes, phasing=args.phasing))
        updates: list[float] = []
        for name, n, loader in (
            ("points", args.satellites, "points"),
            ("cesium czml", args.satellites, "czml-datasource"),
            ("empty globe", 0, "points"),
        ):
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            t0 = time.perf_counter()
            czml = ex.export_czml(sc, folder / "orbits.czml", hours=args.hours, step_s=args.step, limit=n)
            size = czml.stat().st_size
            page = ex.write_playback(czml, CESIUM, sc.name, loader=loader)
            print(f"{name}: CZML of {n:,} satellites, {args.hours:g} h at {args.step:g} s: {size / 1e6:.1f} MB "
                  f"written in {time.perf_counter() - t0:.1f} s")  # fmt: skip
            runs = []
            for _ in range(args.repeats):
                load = os.getloadavg()[0]
                d = measure(folder, page.name, chromium, int(args.timeout_s * 1000))
                runs.append(d)
                upd = f", update {d['updateMsMedian']} ms" if "updateMsMedian" in d else ""
                if "updateMsMedian" in d and n:
                    updates.append(float(d["updateMsMedian"]))
                print(
                    f"  satellites {d['satellites']}, {d['frames']} frames: median {d['frameMsMedian']} ms, p95 "
                    f"{d['frameMsP95']} ms{upd}; page open to last frame {d['load_and_frames_s']} s; load {load:.2f}"
                )
            cases[name] = statistics.median(float(r["frameMsMedian"]) for r in runs)
        pts, czml_ds, empty = cases["points"], cases["cesium czml"], cases["empty globe"]
        print(
            f"median frame time with {args.satellites:,} satellites: {pts:.1f} ms points ({1000 / pts:.1f} frames/s), "
            f"{czml_ds:.1f} ms Cesium's CzmlDataSource ({1000 / czml_ds:.1f} frames/s), {empty:.1f} ms the empty "
            f"globe ({1000 / empty:.1f} frames/s); ratios points / empty {pts / empty:.2f}, CzmlDataSource / points "
            f"{czml_ds / pts:.2f}; the points page's update (interpolate and colour every satellite) "
            f"{statistics.median(updates):.2f} ms a frame (median of the runs' medians)"
        )


if __name__ == "__main__":
    main()
