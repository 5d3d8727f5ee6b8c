"""The plan, enforced: layers point one way, sub-packages keep their seams, no back doors.

- cli -> evals -> extractor, one way;
- inside extractor: `rules` and `llm` never import each other, `importers` import neither,
  `schema` imports nothing internal, value parsers import no reader, and no core module
  reaches into a sub-package past its `__init__` (the pipeline imports `extractor.rules`, not
  `extractor.rules.reader`);
- no module imports another's private (`_name`) names; no import cycles; every package states
  its public surface with `__all__` and says what it is for in its opening docstring.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("extractor", "evals", "batch", "review", "service", "cli")
# What each package may import from the project (itself included):
# cli -> service -> review -> evals -> extractor, and batch -> extractor beside them.
ALLOWED = {
    "extractor": {"extractor"},
    "evals": {"evals", "extractor"},
    "batch": {"batch", "extractor"},
    "review": {"review", "evals", "extractor"},
    "service": {"service", "review", "batch", "evals", "extractor"},
    "cli": {"cli", "service", "review", "batch", "evals", "extractor"},
}
SUBPACKAGES = ("rules", "llm", "importers", "outputs")
# Sub-packages of extractor each may not import.
FORBIDDEN_SUBPACKAGES = {"rules": {"llm", "importers"}, "llm": {"rules", "importers"}, "importers": {"rules", "llm"},
                         "outputs": {"rules", "llm", "importers"}}
# The rules' value parsers read values, not pages: they import no reader.
PARSERS = ("extractor/rules/parsers.py", "extractor/rules/site_parsers.py", "extractor/rules/lexicon.py")
RULES_READERS = {"reader", "titles", "design", "eligibility", "parties", "arms_outcomes", "table_records",
                 "keyword_fallback", "section_values", "segment", "header_tables", "backend"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(imported module, imported names) for each absolute import of a project package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in PACKAGES:
                yield node.module, [alias.name for alias in node.names]


def _internal_imports(path: Path) -> set[str]:
    return {module for module, _ in imports_of(path)}


def project_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_top_level_package_is_layered() -> None:
    """A new top-level package must take its place in the layers before it can ship."""
    shipped = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert shipped <= set(PACKAGES), f"unlayered packages: {sorted(shipped - set(PACKAGES))}"


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_point_one_way(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _internal_imports(path):
            assert name.split(".")[0] in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"


def test_schema_imports_nothing_internal() -> None:
    assert _internal_imports(ROOT / "extractor" / "schema.py") == set()


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_rules_llm_and_importers_never_import_each_other(sub: str) -> None:
    for path in sorted((ROOT / "extractor" / sub).rglob("*.py")):
        for name in _internal_imports(path):
            parts = name.split(".")
            if parts[0] == "extractor" and len(parts) > 1:
                assert parts[1] not in FORBIDDEN_SUBPACKAGES[sub], f"{path.relative_to(ROOT)} imports {name}"


def test_no_module_reaches_into_a_subpackage_past_its_init() -> None:
    """Outside a sub-package, only its `__init__` (the `extractor.rules` surface) may be imported."""
    for path in project_files():
        here = module_name(path)
        for name in _internal_imports(path):
            parts = name.split(".")
            if parts[0] == "extractor" and len(parts) > 2 and parts[1] in SUBPACKAGES:
                assert here.startswith(f"extractor.{parts[1]}"), f"{path.relative_to(ROOT)} imports {name}"


def test_value_parsers_import_no_reader() -> None:
    for rel in PARSERS:
        for name in _internal_imports(ROOT / rel):
            parts = name.split(".")
            assert not (parts[:2] == ["extractor", "rules"] and len(parts) > 2 and parts[2] in RULES_READERS), \
                f"{rel} imports {name}"


def test_no_private_name_is_imported_across_modules() -> None:
    for path in project_files():
        for module, names in imports_of(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{path.relative_to(ROOT)} imports private {private} from {module}"


def test_no_import_cycles() -> None:
    """Module-level imports form a DAG (imports inside functions count too: a cycle is a cycle)."""
    graph: dict[str, set[str]] = {}
    for path in project_files():
        here = module_name(path)
        edges = graph.setdefault(here, set())
        for module, names in imports_of(path):
            edges.add(module)
            edges.update(f"{module}.{n}" for n in names)  # `from extractor.rules import reader`
    known = set(graph)
    graph = {m: {e for e in edges if e in known and e != m} for m, edges in graph.items()}
    # a package's __init__ re-exports its modules: an edge into a package is an edge into its __init__ only
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1 and not _through_own_init(stack[stack.index(nxt):]):
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def _through_own_init(cycle: list[str]) -> bool:
    """`pkg/__init__` importing `pkg.mod`, which imports a sibling through `pkg`: Python resolves it."""
    return any(b.startswith(a + ".") for a, b in zip(cycle, cycle[1:]))


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from evals.scoring import _score\nimport cli.main\n", encoding="utf-8")
    assert _internal_imports(bad) == {"evals.scoring", "cli.main"}
    assert ("evals.scoring", ["_score"]) in list(imports_of(bad))


@pytest.mark.parametrize("package", ["extractor", "extractor.rules", "extractor.llm", "extractor.importers",
                                     "extractor.outputs", "evals", "batch", "review", "service", "cli"])
def test_public_surface_is_explicit(package: str) -> None:
    import importlib

    module = importlib.import_module(package)
    assert module.__all__, f"{package}/__init__.py must declare __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name}"
    lines = [line for line in (module.__doc__ or "").strip().splitlines() if line.strip()]
    assert len(lines) >= 2, f"{package}/__init__.py needs an opening docstring of two lines or more"
