"""``docs/sources.md`` is where every published figure is cited: each reference to it in code, catalog, CLI text,
docs, examples and tests names a section or dispute it has, every catalog entry names a source, and nothing points
at a figures file outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "docs" / "sources.md"
CATALOG = REPO / "src" / "orbitgrid" / "scenario" / "catalog"
#: ``sources.md §3``, ``sources.md §3-5``, ``sources.md §1/§5``, ``sources.md dispute 4``, ``sources.md, dispute 11``
_SECTION = re.compile(r"sources\.md[`']*,? (?:section |§)(\d+)(?:[-/]§?(\d+))?")
_DISPUTE = re.compile(r"sources\.md[`']*[^.\n]{0,40}?(?:open )?disputes? (\d+)(?:,? (?:and )?(\d+))*")


def _tracked_text_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    keep = (".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".sh", ".js", ".html")
    return [REPO / p for p in out.splitlines() if p.endswith(keep) and (REPO / p).is_file()]


def _sections() -> tuple[set[int], set[int]]:
    text = SOURCES.read_text(encoding="utf-8")
    sections = {int(m) for m in re.findall(r"^## (\d+)\. ", text, re.M)}
    disputes_part = text.split("## Open disputes", 1)[1]
    disputes = {int(m) for m in re.findall(r"^(\d+)\. \*\*", disputes_part, re.M)}
    return sections, disputes


def test_sources_has_its_sections_and_disputes() -> None:
    sections, disputes = _sections()
    assert sections == set(range(1, 8))
    assert disputes == set(range(1, 14))


def test_every_reference_names_a_section_or_dispute_it_has() -> None:
    sections, disputes = _sections()
    seen = 0
    for path in _tracked_text_files():
        if path == SOURCES or path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(REPO)
        for m in _SECTION.finditer(text):
            for g in m.groups():
                if g is not None:
                    assert int(g) in sections, f"{where}: {m.group(0)!r} names no section of sources.md"
                    seen += 1
        for m in _DISPUTE.finditer(text):
            for n in re.findall(r"\d+", m.group(0).split("dispute", 1)[1]):
                assert int(n) in disputes, f"{where}: {m.group(0)!r} names no dispute of sources.md"
                seen += 1
    assert seen > 100  # the code, catalog and docs do cite it


def test_no_reference_to_a_figures_file_outside_the_repository() -> None:
    for path in _tracked_text_files():
        if path == Path(__file__):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "FIGURES" not in text, f"{path.relative_to(REPO)} still names the reference figures file"
        assert "shared/reference" not in text, f"{path.relative_to(REPO)} names a file outside the repository"


@pytest.mark.parametrize("name", ["gpus.yaml", "designs.yaml", "launch_vehicles.yaml"])
def test_every_catalog_entry_names_its_source(name: str) -> None:
    doc = yaml.safe_load((CATALOG / name).read_text(encoding="utf-8"))
    entries = next(v for v in doc.values() if isinstance(v, dict | list))
    items = entries.values() if isinstance(entries, dict) else entries
    sources = [e.get("source") for e in items if isinstance(e, dict)]
    assert sources and all(isinstance(s, str) and len(s) > 20 for s in sources), name
    assert any("sources.md" in s for s in sources), name
