"""No module of ``impact`` imports itself back, through any path, and no package either.

Every ``import`` statement counts, at module level or inside a function: a deferred
import only hides a cycle until someone moves it to the top of the file. The graph is
read from the source with ``ast`` (nothing is imported), once between modules and once
between packages (``impact.ingest``, ``impact.audit``, ...; a module directly under
``impact`` is its own node).
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import impact

ROOT = Path(impact.__file__).parent
Graph = dict[str, set[str]]


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = ["impact", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """The ``impact`` modules that ``module`` imports (``from pkg import name``: the package,
    and its submodule ``name`` when there is one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import sub`` runs ``pkg/__init__`` first: the package counts too.
            names = [base] + [
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known
            ]
        else:
            continue
        for name in names:
            while name and name not in known:  # ``import impact.a.b`` imports impact.a.b
                name = name.rpartition(".")[0]
            if name and name != module:
                yield name


def module_graph() -> Graph:
    modules = _modules()
    known = set(modules)
    return {m: set(_imported(m, path, known)) for m, path in modules.items()}


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and (ROOT / parts[1]).is_dir() else module


def package_graph(modules: Graph) -> Graph:
    graph: Graph = {}
    for module, imported in modules.items():
        node = package_of(module)
        graph.setdefault(node, set()).update(
            package_of(other) for other in imported if package_of(other) != node
        )
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_imports_it_should():
    graph = module_graph()
    assert "impact.errors" in graph["impact.settings"]
    assert "impact.ledger" in graph["impact.bootstrap"]
    assert "impact.errors" in graph["impact.domain.program"]
    assert package_of("impact.ingest.relay") == "impact.ingest"
    assert package_of("impact.settings") == "impact.settings"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_of_impact_imports_itself_back():
    assert cycles(module_graph()) == []


def test_no_package_of_impact_imports_itself_back():
    assert cycles(package_graph(module_graph())) == []
