"""Reading a report page back in tests: its sections, omission notes, outside references and plotly figures."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from typing import Any

import numpy as np

_PLOT = re.compile(r'ogPlot\("(plot-\d+)",(.*?)\);</script>', re.S)
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.omitted: dict[str, str] = {}
        self.external: list[tuple[str, str, str]] = []
        self.scripts: list[int] = []  # length of each inline script
        self.nav: list[str] = []
        self._in: str | None = None
        self._text: list[str] = []
        self._script: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("src", "href", "data", "srcset", "poster", "action"):
            if key in a and _EXTERNAL.match(a[key]):
                self.external.append((tag, key, a[key]))
        if tag == "link":  # any stylesheet, font or icon link would be fetched
            self.external.append((tag, "href", a.get("href", "")))
        if tag == "section":
            self.sections.append(a.get("id", ""))
        if tag == "p" and "omitted" in a.get("class", "").split():
            self._in, self._text = a.get("data-section", ""), []
        if tag == "script":
            if "src" in a:
                self.external.append((tag, "src", a["src"]))
            self._script = []
        if tag == "a" and a.get("href", "").startswith("#"):
            self.nav.append(a["href"][1:])

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)
        self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._in is not None:
            self.omitted[self._in] = "".join(self._text)
            self._in = None
        if tag == "script":
            self.scripts.append(len("".join(self._script)))


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def section(html: str, key: str) -> str:
    m = re.search(rf'<section id="{re.escape(key)}">(.*?)</section>', html, re.S)
    assert m, f"no section {key}"
    return m.group(1)


def figures(fragment: str) -> list[dict[str, Any]]:
    return [json.loads(m.group(2)) for m in _PLOT.finditer(fragment)]


def values(v: Any) -> np.ndarray:
    """A plotly data array: plain JSON list or plotly's base64 typed array."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v)


def table_rows(fragment: str) -> list[list[str]]:
    """Cells of every body row of the tables in a fragment (markup stripped)."""
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S):
        cells = re.findall(r"<td>(.*?)</td>", tr, re.S)
        if cells:
            rows.append([re.sub(r"<[^>]+>", "", c).replace("&#x27;", "'").replace("&amp;", "&") for c in cells])
    return rows
