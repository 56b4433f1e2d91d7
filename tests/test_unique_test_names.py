"""pytest's default import mode (rootdir-relative basenames, no ``__init__.py`` in the test folders) refuses two test
modules with the same file name: the whole run stops at collection. Two branches that each add a ``test_pools.py``
merge cleanly and break CI, so the names are checked here."""

from collections import Counter
from pathlib import Path


def test_test_module_names_are_unique() -> None:
    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []
