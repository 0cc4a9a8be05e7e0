"""The C++ core keeps its layer order: core -> {storage, kernels} -> array -> linalg -> causet.

Every ``#include`` in ``include/pycauset/<layer>/`` and ``src/<layer>/`` is read
and resolved to the layer it reaches (``"pycauset/<layer>/..."``, or a quoted
path relative to the including file). A file may include its own layer and the
layers below it; storage and kernels sit side by side and include neither each
other nor anything above them. Private headers shared between layers live in
``include/pycauset/<layer>/detail/`` and are included by that path, never by a
relative path that climbs out of a directory (``"../core/..."``).

Run as a script (``python tests/python/test_layers.py``) to print the graph.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Rank of each layer: a layer may include layers of lower rank (and itself).
# Equal ranks are siblings that must not include each other.
RANKS = {"core": 0, "storage": 1, "kernels": 1, "array": 2, "linalg": 3, "causet": 4}

_INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)
_SOURCES = (".hpp", ".cpp", ".h", ".cc", ".inl")


def _layer_of_file(path: Path) -> str:
    """The layer a source file of include/pycauset/ or src/ belongs to."""
    rel = path.relative_to(ROOT).parts
    return rel[2] if rel[0] == "include" else rel[1]


def _source_files() -> list[Path]:
    files: list[Path] = []
    for top in (ROOT / "include" / "pycauset", ROOT / "src"):
        files += [p for p in sorted(top.rglob("*")) if p.is_file() and p.suffix in _SOURCES]
    return files


def _resolve(path: Path, delim: str, target: str) -> str | None:
    """The layer an include reaches, or None for system and third-party headers."""
    if target.startswith("pycauset/"):
        return target.split("/")[1]
    if delim == "<":
        return None
    resolved = (path.parent / target).resolve()
    for top, depth in ((ROOT / "include" / "pycauset", 0), (ROOT / "src", 0)):
        try:
            return resolved.relative_to(top).parts[depth]
        except ValueError:
            continue
    return None


def include_edges() -> list[tuple[str, str, str, str]]:
    """(from layer, to layer, file, include text) for every include of a pycauset file."""
    edges = []
    for path in _source_files():
        here = _layer_of_file(path)
        for delim, target in _INCLUDE.findall(path.read_text(encoding="utf-8")):
            there = _resolve(path, delim, target)
            if there is not None:
                edges.append((here, there, str(path.relative_to(ROOT)), target))
    return edges


def layer_graph() -> dict[str, set[str]]:
    """Which layers each layer includes (itself left out)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for here, there, _, _ in include_edges():
        graph[here]  # every layer appears, even one that includes nothing else
        if here != there:
            graph[here].add(there)
    return dict(graph)


def test_every_directory_is_a_known_layer() -> None:
    layers = {_layer_of_file(p) for p in _source_files()}
    unknown = sorted(layers - RANKS.keys())
    assert not unknown, (
        f"unknown layer directories {unknown}: give each a place in RANKS "
        "(and in docs/architecture.md)"
    )


def test_no_layer_includes_a_layer_above_or_beside_it() -> None:
    bad = [
        f"{file}: {here} includes {there} ({target})"
        for here, there, file, target in include_edges()
        if there in RANKS and here in RANKS and here != there and RANKS[there] >= RANKS[here]
    ]
    assert not bad, "includes against the layer order core -> {storage, kernels} -> array -> linalg:\n" + "\n".join(bad)


def test_includes_of_other_layers_use_their_public_path() -> None:
    bad = [
        f"{file}: \"{target}\" reaches {there} by a relative path; include \"pycauset/{there}/...\" "
        "(private headers shared across layers go in include/pycauset/<layer>/detail/)"
        for here, there, file, target in include_edges()
        if not target.startswith("pycauset/") and ("../" in target or there != here)
    ]
    assert not bad, "\n".join(bad)


def test_the_core_has_no_python_in_it() -> None:
    bad = [
        f"{p.relative_to(ROOT)}: <{target}>"
        for p in _source_files()
        for delim, target in _INCLUDE.findall(p.read_text(encoding="utf-8"))
        if target == "Python.h" or target.startswith(("nanobind/", "pybind11/"))
    ]
    assert not bad, "the core library is built without Python; move these to bindings/:\n" + "\n".join(bad)


def test_the_graph_is_read_from_the_sources() -> None:
    # Guards the parser: the array layer is built on storage, so an empty graph
    # would mean the includes were not found at all.
    assert "storage" in layer_graph().get("array", set())


if __name__ == "__main__":
    for layer, targets in sorted(layer_graph().items(), key=lambda kv: (RANKS.get(kv[0], 99), kv[0])):
        print(f"{layer:8} -> {', '.join(sorted(targets, key=lambda t: (RANKS.get(t, 99), t))) or '(nothing)'}")
    sys.exit(0)
