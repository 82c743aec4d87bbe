"""No import cycle inside src/interplay and no import up the layers: the module import graph,
read from the source with ast.

Every import counts, wherever it stands (module level, inside a function, under TYPE_CHECKING):
a lazy import only hides a cycle until the function runs. ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg``. For the layers, a string naming a module
(``"interplay.run.runner"``, ``"pkg.mod:attr"``, what ``importlib`` and the lazy registries take)
counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "interplay"

#: The modules at the bottom: any module may import them, and they import only each other.
LEAVES = frozenset({"errors", "registry", "serialize", "accounting", "_lazy"})
#: What each lower package (or top-level module) of interplay may import besides itself, as
#: docs/architecture.md ("Which way imports go") draws it. ``run``, ``cli`` and the package
#: root (the public API, lazy) may import everything; nothing else imports them.
MAY_IMPORT: dict[str, frozenset[str]] = {
    **{leaf: LEAVES for leaf in LEAVES},
    "games": LEAVES,
    "llm": LEAVES,
    "agents": LEAVES | {"games", "llm"},
    "talk": LEAVES | {"agents", "games", "llm"},
    "decide": LEAVES | {"talk", "agents", "games", "llm"},
    "mechanisms": LEAVES | {"talk", "agents", "games", "llm"},
    "evaluate": LEAVES | {"agents", "games", "llm"},
    "safety": LEAVES | {"talk", "evaluate", "agents", "games", "llm"},
}
TOP = frozenset({"run", "cli", ""})  # "" is the package root, ``interplay/__init__.py``


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module name -> the package's modules it imports (``root`` is the package folder)."""
    files = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[mod].update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for a in node.names:
                    if f"{target}.{a.name}" in files:
                        graph[mod].add(f"{target}.{a.name}")
                    elif target in files:
                        graph[mod].add(target)
        graph[mod].discard(mod)
    return graph


def string_references(root: Path) -> dict[str, set[str]]:
    """Module name -> the package's modules named by a string constant in it (docstrings aside; a
    string naming the package itself, such as ``"interplay"``, names no module)."""
    graph = import_graph(root)
    out: dict[str, set[str]] = {m: set() for m in graph}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        mod = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                name = node.value.partition(":")[0]
                if name in graph and "." in name and name != mod:
                    out[mod].add(name)
    return out


def layer(module: str, package: str = "interplay") -> str:
    """The package (or top-level module) of interplay a module is in; "" for the root."""
    return module.removeprefix(package).lstrip(".").split(".")[0]


def upward_imports(root: Path, may_import: dict[str, frozenset[str]]) -> list[tuple[str, str]]:
    """(module, imported module) pairs where a listed layer imports outside what it may import;
    imports and module-naming strings both count."""
    graph, strings = import_graph(root), string_references(root)
    out = []
    for mod in sorted(graph):
        own = layer(mod, root.name)
        if own not in may_import:
            continue
        for target in sorted(graph[mod] | strings[mod]):
            other = layer(target, root.name)
            if other != own and other not in may_import[own]:
                out.append((mod, target))
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
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


def test_the_graph_sees_lazy_and_module_level_imports():
    g = import_graph(SRC)
    assert "interplay.agents.protocol" in g["interplay.agents.llm_agent"]  # module level
    assert "interplay.agents.llm_agent" in g["interplay.agents.factory"]  # inside player_from_spec
    assert "interplay.games.builtin" in g["interplay.games.registry"]  # inside _load_builtins


def test_a_cycle_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import x\n")
    (pkg / "c.py").write_text("import pkg.a\nx = 1\n")
    (pkg / "d.py").write_text("from pkg import a\n")
    assert cycles(import_graph(pkg)) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_an_upward_import_is_found_however_it_is_written(tmp_path):
    pkg = tmp_path / "pkg"
    for sub in ("low", "top"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "top" / "runner.py").write_text("from pkg.low import a\n")  # downward: fine
    (pkg / "low" / "a.py").write_text('"""Docs may name pkg.top.runner."""\n')
    (pkg / "low" / "b.py").write_text("def f():\n    from ..top.runner import x\n")  # lazy, relative
    (pkg / "low" / "c.py").write_text('import importlib\nimportlib.import_module("pkg.top.runner")\n')
    (pkg / "low" / "d.py").write_text('LAZY = {"x": "pkg.top:run"}\n')
    assert upward_imports(pkg, {"low": frozenset()}) == [
        ("pkg.low.b", "pkg.top.runner"), ("pkg.low.c", "pkg.top.runner"), ("pkg.low.d", "pkg.top")]


def test_no_lower_module_imports_run_or_cli():
    """The experiment kinds and the CLI sit on top: no module below them imports them, even lazily
    (there is no allow-list)."""
    graph, strings = import_graph(SRC), string_references(SRC)
    up = sorted((m, t) for m in graph if layer(m) not in TOP
                for t in graph[m] | strings[m] if layer(t) in ("run", "cli"))
    assert up == [], "imports of run/ or cli.py from below: " + "; ".join(f"{m} -> {t}" for m, t in up)
    assert "interplay.accounting" in graph["interplay.safety.redteam"]  # its accounting rows come from below


def test_every_package_imports_only_the_layers_below_it():
    layers = {layer(m) for m in import_graph(SRC)}
    assert layers - TOP == set(MAY_IMPORT), "place every package of interplay in MAY_IMPORT (docs/architecture.md)"
    up = upward_imports(SRC, MAY_IMPORT)
    assert up == [], "imports up the layers: " + "; ".join(f"{m} -> {t}" for m, t in up)


@pytest.mark.parametrize("package", ["interplay.agents", "interplay.games"])
def test_no_import_cycle_inside_agents_and_games(package):
    graph = import_graph(SRC)
    inside = {m: {t for t in ts if t.startswith(package + ".")} for m, ts in graph.items()
              if m == package or m.startswith(package + ".")}
    assert cycles(inside) == []


def test_no_import_cycle_in_src_interplay():
    graph = import_graph(SRC)
    found = cycles(graph)
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)
    protocol = graph["interplay.agents.protocol"]
    assert all(not m.startswith("interplay.agents.") for m in protocol), protocol  # it imports no implementation
