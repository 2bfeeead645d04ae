"""The package's import graph (read from the source with ast, every import, lazy ones inside functions
included) has no cycle: each module can be read and tested after the modules it depends on."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _module(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(name: str, path: Path, node, modules: set[str]) -> set[str]:
    """The package modules one import statement of module ``name`` loads (an imported name that is a
    submodule counts as that submodule)."""
    if isinstance(node, ast.Import):
        wanted = [a.name for a in node.names]
    else:
        base = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        mod = node.module if not node.level else ".".join(x for x in (base, node.module) if x)
        wanted = [mod] + [f"{mod}.{a.name}" for a in node.names]
    found = set()
    for m in wanted:
        while m and m not in modules:
            m = m.rpartition(".")[0]
        if m and m != name:
            found.add(m)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package modules it imports, for every ``.py`` file under ``root/package``."""
    paths = {_module(root, p): p for p in (root / package).rglob("*.py")}
    return {name: {t for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))
                   for t in _targets(name, path, node, set(paths))} for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (each one an import cycle)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycle():
    graph = import_graph(SRC, "vaerep")
    assert len(graph) > 40 and "vaerep.train" in set().union(*graph.values())
    assert not cycles(graph), cycles(graph)


def test_a_cycle_through_a_lazy_relative_import_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("import os\n\ndef f():\n    from ..c import g\n")
    (pkg / "c.py").write_text("from pkg import a\n")
    (pkg / "d.py").write_text("from . import c\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.a"] == {"pkg.sub", "pkg.sub.b"} and graph["pkg.d"] == {"pkg", "pkg.c"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    (pkg / "c.py").write_text("import os\n")
    assert cycles(import_graph(tmp_path, "pkg")) == []
