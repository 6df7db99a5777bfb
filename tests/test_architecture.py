"""The layer rules of docs/design.md, checked on the imports of every module under src/openeo_gip.

Dependencies point down the tiers below; modules of one tier may import each other as long as no two
packages import each other. No module import cycles at all, and SQL (sqlalchemy) only in ``db/`` and the
stores named in ``SQL_ALLOWED``.
"""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "openeo_gip"

# Top to bottom; each entry is a top-level module or package of openeo_gip.
TIERS: list[set[str]] = [
    {"app", "cli", "server", "wsgi", "demo", "worker", "runtime"},  # entry points and their wiring
    {"api", "web"},  # HTTP (web/: the browser app, to come)
    {"results", "jobs", "services", "auth"},  # what a request or job asks for (services/: map tiles)
    {"engine"},  # process graphs
    {"processes"},  # one function per openEO process
    {"catalog", "raster", "remote", "formats", "udf", "workspace", "demodata"},  # data in and out
    {"db"},  # persistence
    {"model", "config", "errors", ""},  # shared by all ("": the package itself, its version)
]
SQL_ALLOWED = ("db/", "jobs/store.py", "jobs/queue.py")
# Imports that point down but are still forbidden: the engine receives the predefined processes from its
# caller, as it receives the user's own.
FORBIDDEN = [("engine", "processes")]


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("openeo_gip", *parts))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports (at any depth, except under ``if TYPE_CHECKING``), with its line."""
    tree = ast.parse(path.read_text())
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            found.append((module, node.lineno))
            # "from openeo_gip.x import y" may name the module openeo_gip.x.y
            found.extend((f"{module}.{alias.name}", node.lineno) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from ... import`` names, relative ones (``from . import x``) resolved."""
    if node.level == 0:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _graph() -> dict[str, dict[str, int]]:
    modules = {_module_name(path): path for path in SOURCE.rglob("*.py") if "migrations" not in path.parts}
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in _imports(path):
            if target in modules and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _tier(module: str) -> int:
    area = _area(module)
    for index, tier in enumerate(TIERS):
        if area in tier:
            return index
    raise AssertionError(f"{module}: its area '{area}' is in no tier of tests/test_architecture.py")


def test_every_import_points_down_the_tiers():
    upward = [
        f"{source} (line {line}) imports {target}"
        for source, edges in _graph().items()
        for target, line in edges.items()
        if _tier(target) < _tier(source) or (_area(source), _area(target)) in FORBIDDEN
    ]
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def test_no_module_import_cycles():
    graph = {source: set(edges) for source, edges in _graph().items()}
    # A package's __init__ importing its own modules is how a package offers them, not a cycle.
    for source, targets in graph.items():
        graph[source] = {t for t in targets if not source.startswith(t + ".")}
    assert _cycles(graph) == []


def test_no_two_packages_import_each_other():
    areas: dict[str, set[str]] = {}
    for source, edges in _graph().items():
        for target in edges:
            if _area(target) != _area(source):
                areas.setdefault(_area(source), set()).add(_area(target))
    assert _cycles(areas) == []


def _opens_sessions(path: Path) -> list[int]:
    """Lines calling ``<something>.session(...)``: a database session opened outside a store."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "session"
    ]


def test_sql_only_in_db_and_the_stores():
    outside = []
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE).as_posix()
        if relative.startswith(SQL_ALLOWED[0]) or relative in SQL_ALLOWED:
            continue
        outside += [
            f"{relative}:{line}" for name, line in _imports(path) if name.split(".")[0] == "sqlalchemy"
        ]
        outside += [f"{relative}:{line} opens a session" for line in _opens_sessions(path)]
    assert outside == []


# For each rule, modules that break it (path below openeo_gip: text).
BREAKERS = [
    (test_every_import_points_down_the_tiers, {"model/upward.py": "from openeo_gip.app import create_app\n"}),
    (test_every_import_points_down_the_tiers, {"engine/uses.py": "import openeo_gip.processes.registry\n"}),
    (
        test_no_module_import_cycles,
        {
            "model/loop_a.py": "import openeo_gip.model.loop_b\n",
            "model/loop_b.py": "import openeo_gip.model.loop_a\n",
        },
    ),
    (test_every_import_points_down_the_tiers, {"model/relative.py": "from ..app import create_app\n"}),
    (test_no_two_packages_import_each_other, {"raster/back.py": "import openeo_gip.catalog.index\n"}),
    (test_sql_only_in_db_and_the_stores, {"engine/sql.py": "import sqlalchemy\n"}),
    (
        test_sql_only_in_db_and_the_stores,
        {"api/rows.py": "def rows(db):\n    with db.session() as s:\n        return s\n"},
    ),
]


@pytest.mark.parametrize(("rule", "breakers"), BREAKERS, ids=lambda value: getattr(value, "__name__", "+"))
def test_the_checker_sees_a_broken_rule(rule, breakers, monkeypatch, tmp_path):
    """Each rule holds on a copy of the tree and fails once a module that breaks it is added."""
    copy = tmp_path / "openeo_gip"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sys.modules[__name__], "SOURCE", copy)
    rule()
    for name, text in breakers.items():
        (copy / name).write_text(text)
    with pytest.raises(AssertionError):
        rule()
