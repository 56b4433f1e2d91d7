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
