"""Domain modules stay pure: no web framework, database, network or event loop in them."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_MODULES = [
    "server/people/roles.py",
    "server/people/lockout.py",
    "server/scheduling/recurrence.py",
    "server/scheduling/series.py",
    "server/scheduling/programs.py",
    "server/enrolment/rules.py",
    "server/enrolment/questions.py",
    "server/enrolment/links.py",
    "server/errors.py",
    "server/evaluation/attendance.py",
    "server/evaluation/figures.py",
    "server/evaluation/questionnaires.py",
    "server/evaluation/disclosure.py",
    "server/evaluation/charts.py",
]
FORBIDDEN = {"fastapi", "starlette", "sqlalchemy", "redis", "aiortc", "asyncio", "httpx", "jinja2"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", PURE_MODULES)
def test_domain_module_imports_no_transport_or_storage(module):
    assert not imported_roots(ROOT / module) & FORBIDDEN


@pytest.mark.parametrize("module", PURE_MODULES)
def test_domain_module_imports_only_other_pure_modules_of_tupa(module):
    tree = ast.parse((ROOT / module).read_text())
    tupa_imports = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("server")
    }
    pure = {m.removesuffix(".py").replace("/", ".") for m in PURE_MODULES}
    assert tupa_imports <= pure, tupa_imports - pure
