"""Checks of the code's layers, as functions of paths and sources, so each can be shown to fail.

Three rules (STYLE.md §4): a pure module imports no transport, storage or event loop, and of Tupa
only other pure modules; packages import one way, downward, without cycles; route modules run no
SQL. A module is pure when the first line of its docstring says so: "... (pure)" (or "(pure; time
is passed in)", "(pure values)"): a new pure module is checked without editing any list.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

# Top-level packages that are Tupa's own code.
OURS = ("server", "signaling")
# Never imported by a pure module: event loop, web frameworks, database, network, media, templates.
FORBIDDEN = frozenset(
    {
        "asyncio",
        "fastapi",
        "starlette",
        "sqlalchemy",
        "alembic",
        "redis",
        "aiortc",
        "httpx",
        "jinja2",
        "websockets",
        "uvicorn",
    }
)
PURE_MARK = "(pure"
# Statements that run SQL, whatever the session object is called.
SQL_CALLS = frozenset({"select", "insert", "update", "delete", "text"})
SQL_METHODS = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars"})


def modules_under(root: Path, packages: Sequence[str] = OURS) -> dict[str, Path]:
    """Every Python module of ``packages`` below ``root`` by dotted name; migrations left out
    (Alembic's revisions are storage by definition and import nothing of ours)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def says_pure(source: str) -> bool:
    """Whether a module's docstring declares it pure on its first line."""
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return PURE_MARK in (docstring.splitlines() or [""])[0]


def pure_modules(root: Path, packages: Sequence[str] = OURS) -> dict[str, Path]:
    return {
        name: path
        for name, path in modules_under(root, packages).items()
        if says_pure(path.read_text())
    }


def imported_modules(source: str, known: Iterable[str] = ()) -> set[str]:
    """Every module a source imports, anywhere in it (lazy imports in functions too).

    ``from a.b import c`` counts as ``a.b.c`` when that is one of the ``known`` modules, otherwise
    as ``a.b``. Relative imports are not used in Tupa and are left out.
    """
    known = set(known)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
    return found


def forbidden_imports(source: str) -> set[str]:
    """The forbidden top-level packages a (pure) module imports."""
    return {name.split(".")[0] for name in imported_modules(source)} & FORBIDDEN


def impure_imports(source: str, pure: Iterable[str], known: Iterable[str]) -> set[str]:
    """Modules of Tupa a (pure) module imports that are not pure themselves."""
    ours = {m for m in imported_modules(source, known) if m.split(".")[0] in OURS}
    return ours - set(pure)


def package_of(module: str) -> str:
    """The unit the layering ranks: a subpackage or top-level module of ``server``
    (``server.rooms``, ``server.settings``), or a top-level package (``signaling``)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "server" and len(parts) > 1 else parts[0]


Graph = dict[str, dict[str, set[str]]]


def package_graph(sources: Mapping[str, str]) -> Graph:
    """Which package imports which, from module name -> source: importer -> imported -> the
    importing modules (kept to say where a wrong import is)."""
    graph: Graph = {package_of(name): {} for name in sources}
    for name, source in sources.items():
        here = package_of(name)
        for imported in imported_modules(source, sources):
            if imported.split(".")[0] not in OURS:
                continue
            there = package_of(imported)
            if there != here:
                graph[here].setdefault(there, set()).add(name)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The groups of packages that import each other, round in a circle (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def layering_problems(graph: Graph, layers: Sequence[Iterable[str]]) -> list[str]:
    """Imports that do not point strictly downward in ``layers`` (lowest first), and packages that
    have no layer. Packages of one layer may not import each other either."""
    rank = {package: level for level, group in enumerate(layers) for package in group}
    problems = [f"{package} has no layer" for package in sorted(graph) if package not in rank]
    for importer, targets in sorted(graph.items()):
        for imported, where in sorted(targets.items()):
            if importer in rank and imported in rank and rank[imported] >= rank[importer]:
                way = "sideways" if rank[imported] == rank[importer] else "upward"
                problems.append(f"{importer} -> {imported} ({way}, in {', '.join(sorted(where))})")
    return problems


def sql_in(source: str) -> list[str]:
    """What in a (route) module runs SQL itself: SQLAlchemy imported, a statement built, a
    session's query methods called, or a row loaded by its key (``db.get(SomeRow, id)``)."""
    imports = sorted(
        f"imports {name}" for name in imported_modules(source) if name.split(".")[0] == "sqlalchemy"
    )
    calls: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in SQL_CALLS:
            calls.append((node.lineno, f"{func.id}()"))
        elif isinstance(func, ast.Attribute) and func.attr in SQL_METHODS:
            calls.append((node.lineno, f".{func.attr}()"))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id.endswith("Row")
        ):
            calls.append((node.lineno, f".get({node.args[0].id}, ...)"))
    return imports + [f"line {line}: {what}" for line, what in sorted(calls)]
