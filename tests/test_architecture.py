"""The package's imports read one way: no module imports a module that imports it back (issue 16).

The graph is read from the source with ``ast``, not from what Python happens to import at run
time: an import inside a function counts as much as one at the top of the file, because it is
the same dependency, only deferred (deferring it is how a cycle hides, not how it goes away).
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "calfeed"


def _module_names(package: Path) -> dict[str, Path]:
    """Every module of ``package`` by dotted name; a package's ``__init__`` is named as the package."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import anywhere in the file (functions, classes, try blocks), except under ``if TYPE_CHECKING:``.

    Imports for the type checker alone never run, so they cannot form a cycle at run time;
    the ``else:`` of such an ``if`` does run and is read.
    """
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def _within(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` lies in: itself, or its nearest enclosing package of ours (None: not ours)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph(package: Path) -> dict[str, set[str]]:
    """The modules each module of ``package`` imports from the same package.

    ``from pkg import name`` imports ``pkg.name`` when that is a module, else ``pkg``;
    relative imports are resolved against the importing module's package.
    """
    modules = _module_names(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _import_nodes(ast.parse(path.read_bytes(), filename=str(path))):
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_within(alias.name, modules) for alias in node.names]
            else:
                if node.level:
                    base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    submodule = f"{source}.{alias.name}"
                    targets.append(submodule if submodule in modules else _within(source, modules))
            # A package's __init__ naming its own names (``from . import x``, x not a module) is no edge.
            graph[name].update(target for target in targets if target is not None and target != name)
    return graph


def tangles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import each other, directly or through others (sorted)."""
    # Tarjan's strongly connected components, iteratively (no recursion limit to meet).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return sorted(groups, key=sorted)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) for each group of modules that import each other, in a stable order."""
    cycles = []
    for group in tangles(graph):
        # The shortest way back to the group's first module, through the group only (breadth first).
        start = min(group)
        came_from: dict[str, str] = {}
        frontier = [start]
        while start not in came_from:
            following = []
            for node in frontier:
                for child in sorted(graph[node] & group):
                    if child not in came_from:
                        came_from[child] = node
                        following.append(child)
            frontier = following
        cycle = [start]
        node = came_from[start]
        while node != start:
            cycle.append(node)
            node = came_from[node]
        cycles.append([start, *reversed(cycle[1:]), start])
    return cycles


def test_issue_16_imports_have_no_cycles():
    graph = import_graph(PACKAGE)
    assert {"calfeed.importers.frab", "calfeed.model"} <= graph["calfeed.importers"] | graph["calfeed.importers.frab"], (
        "the graph does not see the package's imports")
    cycles = find_cycles(graph)
    report = [f"{' -> '.join(cycle)}  (the tangle: {', '.join(sorted(group))})"
              for cycle, group in zip(cycles, tangles(graph), strict=True)]
    assert cycles == [], "import cycles (each module imports the next):\n" + "\n".join(report)


def test_issue_16_import_graph_sees_every_kind_of_import(tmp_path):
    # The checker itself: a small package whose cycles hide in each way the rule covers.
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from .a import thing\n",
        "a.py": "def late():\n    from . import b  # inside a function: still an import\n",
        "b.py": "import pkg.a\n",
        "c.py": "from pkg.sub import helper\nfrom .sub import d\n",
        "sub/__init__.py": "helper = 1\n",
        "sub/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import c\nelse:\n    from ..e import x\n",
        "e.py": "try:\n    from .sub.d import y\nexcept ImportError:\n    pass\nfrom .sub import helper\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)

    graph = import_graph(package)

    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.a"},
        "pkg.c": {"pkg.sub", "pkg.sub.d"},
        "pkg.sub": set(),
        "pkg.sub.d": {"pkg.e"},
        "pkg.e": {"pkg.sub.d", "pkg.sub"},
    }
    assert find_cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"], ["pkg.e", "pkg.sub.d", "pkg.e"]]
