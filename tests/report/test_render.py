"""The page in a real browser: headless Chromium runs plotly.js from the file and draws every figure, offline."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from pages import figures

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
        if p and Path(p).exists()
    ),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); the page is not rendered"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _png_rows(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the (filtered) scanlines of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    raw = zlib.decompress(b"".join(idat))
    stride = 1 + width * (3 if colour == 2 else 4)
    assert len(raw) == stride * height
    return width, height, [raw[i * stride : (i + 1) * stride] for i in range(height)]


def test_every_plot_renders(full_run: Path, full_report: tuple[str, float], tmp_path: Path) -> None:
    html, _ = full_report
    ids = re.findall(r'<div class="plot" id="(plot-\d+)"', html)
    assert len(ids) == len(figures(html)) >= 6
    res = _chromium(tmp_path, "--dump-dom", (full_run / "report.html").as_uri())
    dom = res.stdout
    assert res.returncode == 0 and "</html>" in dom, res.stderr[-2000:]
    drawn = list(re.finditer(r'<div class="plot js-plotly-plot" id="(plot-\d+)"', dom))
    assert [m[1] for m in drawn] == ids  # plotly.js ran and took over every figure's div
    for m, nxt in zip(drawn, [*drawn[1:], None], strict=True):
        body = dom[m.start() : nxt.start() if nxt else len(dom)]
        assert 'class="main-svg"' in body, m[1]  # the figure's SVG was drawn
        assert re.search(r'class="(trace|bars|scatterlayer|hm")', body), m[1]  # with data in it (hm: a heatmap)


def test_screenshot_is_a_real_rendering(full_run: Path, full_report: tuple[str, float], tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    res = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1400,3000", (full_run / "report.html").as_uri())
    assert res.returncode == 0 and png.is_file(), res.stderr[-2000:]
    width, height, rows = _png_rows(png.read_bytes())
    assert (width, height) == (1400, 3000)
    # A single-colour image filters to the same bytes on every row; a page of tables and plots does not.
    assert len(set(rows)) > 500
    assert png.stat().st_size > 100_000


#: Every visible SVG text of each figure (tick labels, axis and subplot titles, legend entries, colour-bar labels,
#: bar labels, annotations) as a box in page pixels; the pairs whose boxes overlap by more than 2 px both ways.
_OVERLAPS_JS = r"""
() => {
  const shown = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentNode) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return false;
    }
    return true;
  };
  const out = [];
  let texts = 0;
  document.querySelectorAll('.js-plotly-plot').forEach((plot) => {
    const boxes = [];
    plot.querySelectorAll('svg text').forEach((t) => {
      const label = (t.textContent || '').trim();
      if (!label || !shown(t)) return;
      const r = t.getBoundingClientRect();
      if (r.width >= 1 && r.height >= 1) boxes.push({label, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
    });
    texts += boxes.length;
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0), h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
      if (w > 2 && h > 2) out.push(`${plot.id}: "${a.label}" over "${b.label}" (${w.toFixed(0)} x ${h.toFixed(0)} px)`);
    }
  });
  return {overlaps: out, texts: texts, plots: document.querySelectorAll('.js-plotly-plot').length};
}
"""


def test_labels_never_overlap_at_1400_px_and_nothing_is_fetched(
    full_run: Path, full_report: tuple[str, float], default_run: Path, tmp_path: Path
) -> None:
    """The full report (every section) and a comparison page, in Chromium at 1,400 px wide: no two labels of a
    figure overlap, and the page asks for nothing but itself (no request leaves the machine)."""
    from playwright.sync_api import sync_playwright
    from typer.testing import CliRunner

    from orbitgrid.cli import app

    compare = tmp_path / "compare.html"
    assert CliRunner().invoke(app, ["report", str(default_run), str(full_run), "--out", str(compare)]).exit_code == 0
    pages = [full_run / "report.html", compare]
    args = [f for f in FLAGS if not f.startswith("--virtual-time-budget")]
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
            for path in pages:
                n_plots = len(re.findall(r'<div class="plot" id="plot-\d+"', path.read_text(encoding="utf-8")))
                page.goto(path.as_uri())
                page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_plots}")
                found = page.evaluate(_OVERLAPS_JS)
                assert found["plots"] == n_plots and found["texts"] > 10 * n_plots, (path.name, found)
                assert found["overlaps"] == [], (path.name, found["overlaps"])
        finally:
            browser.close()
    assert requests and all(u.startswith("file://") for u in requests), [u for u in requests if "file://" not in u]
