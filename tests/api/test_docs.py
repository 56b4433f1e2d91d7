"""docs/python-api.md runs as written: every ``python`` block, in order, in one namespace, from a folder holding
the repository's ``examples/notebook.yaml``; a block followed by an "Output:" ``text`` block must print exactly
that. A failing block's traceback names its line in the page."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest
from api_cases import EXAMPLE, ROOT

PAGE = ROOT / "docs" / "python-api.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[int, str, str | None]]:
    """(first code line, code, expected output or None) of each python block of ``text``."""
    found = [(m.group(1), m.group(2), m.start(2), m.start(), m.end()) for m in _FENCE.finditer(text)]
    out = []
    for i, (lang, body, start, _, end) in enumerate(found):
        if lang != "python":
            continue
        expected = None
        if i + 1 < len(found):
            nxt_lang, nxt_body, _, nxt_start, _ = found[i + 1]
            between = text[end:nxt_start]
            if nxt_lang == "text" and between.strip() == "Output:":
                expected = nxt_body
        out.append((text.count("\n", 0, start) + 1, body, expected))
    return out


def test_the_page_has_examples_with_outputs() -> None:
    found = blocks(PAGE.read_text(encoding="utf-8"))
    assert len(found) >= 8 and sum(e is not None for _, _, e in found) >= 3


def test_python_api_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas")  # the tables example converts to pandas (the notebook extra; in the test extra)
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "examples" / EXAMPLE.name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "python_api_page"}
    for line, code, expected in blocks(PAGE.read_text(encoding="utf-8")):
        # padded so that a traceback's line numbers are the page's
        compiled = compile("\n" * (line - 1) + code, str(PAGE), "exec")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compiled, namespace)
        if expected is not None:
            assert printed.getvalue() == expected, f"docs/python-api.md line {line}: the output differs"
    assert (tmp_path / "runs" / "notebook" / "report.html").is_file()
