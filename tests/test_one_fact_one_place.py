"""No precise constant is typed into two modules: a figure with four or more significant digits (the speed of light,
mu, an Earth radius, the solar constant, a particle mass, a derived default) is defined once and imported elsewhere.

The scan reads every module of the package as text (``ast``): module-level and class-level assignments whose value is
a number or arithmetic on number literals only. Round figures (``300.0``, ``0.05``) coincide between unrelated facts
and are left out; at four significant digits a coincidence is a copy. The scenario-versus-model defaults have their
own test (``tests/scenario/test_defaults_mirror_physics.py``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import orbitgrid

SRC = Path(orbitgrid.__file__).resolve().parent
MIN_SIGNIFICANT_DIGITS = 4


def _literal_value(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant):
        v = node.value
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    if isinstance(node, ast.UnaryOp | ast.BinOp) and not any(isinstance(n, ast.Name) for n in ast.walk(node)):
        try:
            v = eval(compile(ast.Expression(node), "<literal>", "eval"), {"__builtins__": {}})
        except ArithmeticError:  # e.g. 1 / 0: not a constant
            return None
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    return None


def _significant_digits(x: float) -> int:
    digits = Decimal(repr(abs(x))).normalize().as_tuple().digits
    return len(digits) if x != 0.0 else 0


def _assignments(tree: ast.Module) -> list[tuple[str, int, ast.expr]]:
    out = []
    bodies = [("", tree.body)] + [(f"{n.name}.", n.body) for n in tree.body if isinstance(n, ast.ClassDef)]
    for prefix, body in bodies:
        for node in body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                out.append((prefix + node.targets[0].id, node.lineno, node.value))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                out.append((prefix + node.target.id, node.lineno, node.value))
    return out


def precise_constants(root: Path) -> dict[float, list[str]]:
    found: dict[float, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        for name, line, value in _assignments(ast.parse(path.read_text(encoding="utf-8"))):
            v = _literal_value(value)
            if v is not None and _significant_digits(v) >= MIN_SIGNIFICANT_DIGITS:
                found[v].append(f"{path.relative_to(root)}:{line} {name}")
    return found


def test_no_precise_constant_is_defined_twice() -> None:
    found = precise_constants(SRC)
    assert len(found) > 30  # the scan sees the package's constants (44 today)
    copies = {v: places for v, places in found.items() if len({p.split(":")[0] for p in places}) > 1}
    assert not copies, "define once, import elsewhere:\n" + "\n".join(f"{v!r}: {p}" for v, p in copies.items())


def test_the_scan_finds_a_copy(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("SPEED_OF_LIGHT_M_S = 299_792_458.0\nROUND = 300.0\n")
    b = "class K:\n    c_m_s: float = 2.99792458e8\n\nROUND_TOO = 300.0\nD = 1.7e9 / 3.504e9\n"
    (tmp_path / "b.py").write_text(b)
    found = precise_constants(tmp_path)
    assert found[299_792_458.0] == ["a.py:1 SPEED_OF_LIGHT_M_S", "b.py:2 K.c_m_s"]
    assert 300.0 not in found and 1.7e9 / 3.504e9 in found
