"""The package's shape, as docs/contributing.rst promises it: no import cycle between
its modules (an import inside a function counts: it is a cycle deferred, not removed;
a package's ``__init__`` counts where an import names it, not for each submodule
imported from it), and no module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import django_rq_poll

PACKAGE = Path(django_rq_poll.__file__).parent
LINE_LIMIT = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports, wherever in it the import stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from .. import api`` names the module api; ``from .x import y`` names x.
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                named.add(submodule if submodule in modules else base)
    return {
        target
        for target in (_deepest_module(n, modules) for n in named)
        if target is not None and target != name
    }


def _deepest_module(dotted: str, modules: dict[str, Path]) -> str | None:
    while dotted:
        if dotted in modules:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_the_import_graph_is_read_whole():
    graph = _graph()
    assert "django_rq_poll.compat.madrona" in graph
    assert "django_rq_poll.compat.celery_results" in graph["django_rq_poll.compat.madrona"]
    assert "django_rq_poll.api" in graph["django_rq_poll.compat.celery_results"]
    # ``from .. import api`` inside a function is read too.
    assert all(targets <= set(graph) for targets in graph.values())


def test_the_cycle_finder_finds_a_cycle_through_a_deferred_import():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules():
    assert _cycles(_graph()) == []


def test_no_module_over_the_line_limit():
    lengths = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    assert {name: n for name, n in lengths.items() if n > LINE_LIMIT} == {}
    assert max(lengths.values()) > LINE_LIMIT / 2  # the lines were counted
