"""The package's modules import each other one way: no import cycles.

Every ``import`` / ``from . import`` statement of ``python/pycauset/*.py`` counts,
function-local ones included; only imports under ``if TYPE_CHECKING:`` (never
executed) are left out. A cycle fails the test and is named. The order is the
one docs/architecture.md gives; ``_array`` reaches the modules above it that
implement some of its methods only through ``_array.install`` (called by
``pycauset/__init__.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pycauset

PACKAGE = Path(pycauset.__file__).parent
MODULES = {p.stem for p in PACKAGE.glob("*.py")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Set[str]:
    """Package modules imported anywhere in `tree` (not under ``if TYPE_CHECKING:``)."""
    found: Set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the else branch runs
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from . import x / from .x import y
                if node.module:
                    found.add(node.module.split(".")[0])
                else:
                    found.update(alias.name for alias in node.names)
            elif node.level == 0 and node.module and node.module.split(".")[0] == "pycauset":
                parts = node.module.split(".")
                if len(parts) > 1:
                    found.add(parts[1])
                else:
                    found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "pycauset" and len(parts) > 1:
                    found.add(parts[1])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> Dict[str, List[str]]:
    """module -> the package modules it imports (sorted), for every module of the package."""
    graph: Dict[str, List[str]] = {}
    for name in sorted(MODULES):
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(), filename=f"{name}.py")
        graph[name] = sorted(m for m in _imports(tree) if m in MODULES and m != name)
    return graph


def find_cycle(graph: Dict[str, List[str]]) -> List[str]:
    """One import cycle as [a, b, ..., a], or [] when the graph is acyclic."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def dfs(node: str) -> List[str]:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = dfs(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return []

    for start in graph:
        if start not in state:
            cycle = dfs(start)
            if cycle:
                return cycle
    return []


def test_the_checker_finds_cycles_and_local_imports():
    # The checker itself, on small sources: a function-local import counts, a
    # TYPE_CHECKING one does not.
    local = ast.parse("def f():\n    from . import _b\n")
    assert _imports(local) == {"_b"}
    typed = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import _b\n"
                      "else:\n    from . import _c\n")
    assert _imports(typed) == {"_c"}
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) == []


def test_package_has_no_import_cycles():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_array_core_imports_only_the_layers_below_it():
    # The class core may use dtypes, lazy expressions and export, nothing above it.
    assert set(import_graph()["_array"]) <= {"_dtypes", "_errors", "_export", "_lazy"}
