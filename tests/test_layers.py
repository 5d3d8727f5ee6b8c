"""Layers point one way: cli -> evals -> extractor; schema.py imports nothing internal."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("extractor", "evals", "cli")
# What each package may import from the project (itself included).
ALLOWED = {
    "extractor": {"extractor"},
    "evals": {"evals", "extractor"},
    "cli": {"cli", "evals", "extractor"},
}


def _internal_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in PACKAGES:
                found.add(name)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_point_one_way(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _internal_imports(path):
            assert name.split(".")[0] in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"


def test_schema_imports_nothing_internal() -> None:
    assert _internal_imports(ROOT / "extractor" / "schema.py") == set()


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from evals.scoring import score\nimport cli.main\n", encoding="utf-8")
    assert _internal_imports(bad) == {"evals.scoring", "cli.main"}


def test_public_surface_is_explicit() -> None:
    import extractor

    assert extractor.__all__, "extractor/__init__.py must declare __all__"
    for name in extractor.__all__:
        assert hasattr(extractor, name), name
