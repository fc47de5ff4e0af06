"""The import graph of ``detector/`` and ``desktop/``: no cycles.

Every ``import`` counts, at module level or inside a function (a cycle through a deferred import
still ties the two modules together); only ``if TYPE_CHECKING:`` blocks are left out, since they
never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("detector", "desktop")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under the packages."""
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skip.update(id(n) for n in ast.walk(child))
    return skip


def imported_modules(path: Path, module: str, known: set[str]) -> set[str]:
    """The known modules that ``path`` (module ``module``) imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    deps: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        deps.update(n for n in names if n in known and n != module)
    return deps


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    return {m: imported_modules(p, m, set(files)) for m, p in files.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = import_graph()
    assert "detector.report" in graph and "desktop.main_window" in graph
    assert find_cycles(graph) == []


def test_cycle_finder_sees_deferred_imports(tmp_path):
    # The cycle this test was written for went through an import inside a function.
    pkg = tmp_path / "detector"
    pkg.mkdir()
    (tmp_path / "desktop").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from detector.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from detector import a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from detector.a import x\n")
    (pkg / "d.py").write_text("from .c import y\n")
    graph = import_graph(tmp_path)
    assert graph["detector.d"] == {"detector.c"}
    assert graph["detector.c"] == set()
    assert find_cycles(graph) == [["detector.a", "detector.b"]]


def test_timeline_stands_alone():
    # The shared helpers' module imports no other project module, so anything may use it.
    assert import_graph()["detector.timeline"] == set()
