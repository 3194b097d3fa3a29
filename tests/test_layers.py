"""Layers that can be checked: pure modules stay pure, packages import downward, routes run no SQL.

The checks are the functions of ``tests/layering.py``; each is shown to fail on a bad module of
its own below, since a check that cannot fail is not a check.
"""

from pathlib import Path

import pytest

from tests.layering import (
    cycles,
    forbidden_imports,
    impure_imports,
    layering_problems,
    modules_under,
    package_graph,
    pure_modules,
    sql_in,
)

ROOT = Path(__file__).resolve().parents[1]
MODULES = modules_under(ROOT)
PURE = pure_modules(ROOT)

# Modules the design calls pure. Each must declare itself pure, so that taking the word out of its
# docstring cannot quietly take it out of the checks. Later modules are checked once they exist.
DESIGNED_PURE = [
    "server/access.py",
    "server/bidi.py",
    "server/errors.py",
    "server/localised.py",
    "server/help_lines.py",
    "server/turn.py",
    "server/people/roles.py",
    "server/people/throttle_rules.py",
    "server/scheduling/recurrence.py",
    "server/scheduling/series.py",
    "server/scheduling/programs.py",
    "server/enrolment/rules.py",
    "server/enrolment/questions.py",
    "server/enrolment/links.py",
    "server/accessibility/feedback_rules.py",
    "server/evaluation/attendance.py",
    "server/evaluation/figures.py",
    "server/evaluation/questionnaires.py",
    "server/evaluation/disclosure.py",
    "server/evaluation/charts.py",
    "server/rooms/state.py",
    "server/rooms/protocol.py",
    "server/rooms/frames.py",
    "server/rooms/media.py",
    "server/rooms/limits.py",
    "server/rooms/ice.py",
    "server/rooms/sdp.py",
    "server/rooms/candidates.py",
    "server/rooms/stage.py",
    "signaling/interface.py",
]
LATER_PURE = ["server/rooms/events.py", "server/rooms/entry.py", "server/permissions.py"]

# Packages from the lowest up; a package imports only packages of lower layers. Within one layer
# packages do not import each other.
LAYERS = [
    {
        "server",
        "server.bidi",
        "server.errors",
        "server.localised",
        "server.lifecycle",
        "server.gctuning",
        "server.turn",
        "server.access",
        "server.private_files",
        "server.logs",
        "server.counts",
        "server.metrics",
    },
    {"server.settings", "server.help_lines"},
    {"server.organisation", "server.i18n", "server.storage"},
    {"server.people", "server.notify", "signaling"},
    {"server.enrolment", "server.permissions", "server.accessibility"},
    {"server.scheduling", "server.evaluation"},
    {"server.calendar", "server.rooms", "server.volunteering"},
    # privacy asks every feature what it holds about one parent; demo_rooms drives rooms
    {"server.privacy", "server.demo_rooms"},
    {"server.web", "server.background", "server.demo_history"},
    {"server.app", "server.demo"},
    {"server.cli"},
]


def pure_module_ids() -> list[str]:
    return sorted(MODULES[name].relative_to(ROOT).as_posix() for name in PURE)


def write(root: Path, path: str, source: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)


def sources_under(root: Path) -> dict[str, str]:
    return {name: path.read_text() for name, path in modules_under(root).items()}


@pytest.mark.parametrize("path", DESIGNED_PURE + LATER_PURE)
def test_a_module_the_design_calls_pure_says_so(path):
    if path in LATER_PURE and not (ROOT / path).exists():
        pytest.skip(f"{path} does not exist yet")
    discovered = {MODULES[name] for name in PURE}
    assert ROOT / path in discovered, f'{path}: first docstring line must say "(pure)"'


@pytest.mark.parametrize("path", pure_module_ids())
def test_domain_module_imports_no_transport_or_storage(path):
    assert not forbidden_imports((ROOT / path).read_text())


@pytest.mark.parametrize("path", pure_module_ids())
def test_domain_module_imports_only_other_pure_modules_of_tupa(path):
    assert not impure_imports((ROOT / path).read_text(), PURE, MODULES)


def test_a_pure_module_that_imports_the_event_loop_or_a_database_fails_the_check(tmp_path):
    write(tmp_path, "server/__init__.py", '"""Tupa."""\n')
    write(tmp_path, "server/helper.py", '"""Something that does input and output."""\n')
    write(
        tmp_path,
        "server/bad.py",
        '"""A rule that forgot what it is (pure)."""\n\nimport asyncio\n'
        "from sqlalchemy import select\n\nfrom server.helper import thing\n",
    )
    pure = pure_modules(tmp_path)
    assert set(pure) == {"server.bad"}
    source = pure["server.bad"].read_text()
    assert forbidden_imports(source) == {"asyncio", "sqlalchemy"}
    assert impure_imports(source, pure, modules_under(tmp_path)) == {"server.helper"}


def test_packages_import_one_way_without_cycles():
    graph = package_graph({name: path.read_text() for name, path in MODULES.items()})
    assert cycles(graph) == []
    assert layering_problems(graph, LAYERS) == []


def test_the_package_check_fails_on_a_cycle(tmp_path):
    write(tmp_path, "server/enrolment/service.py", "from server.scheduling.service import plan\n")
    write(tmp_path, "server/scheduling/service.py", "import server.enrolment.service\n")
    write(tmp_path, "server/storage/tables.py", "")
    graph = package_graph(sources_under(tmp_path))
    assert cycles(graph) == [["server.enrolment", "server.scheduling"]]
    assert layering_problems(graph, LAYERS) == [
        "server.enrolment -> server.scheduling (upward, in server.enrolment.service)"
    ]


def test_the_package_check_fails_on_an_upward_or_sideways_import_and_an_unranked_package(
    tmp_path,
):
    write(
        tmp_path,
        "server/settings.py",
        "def ice():\n    from server.rooms.ice import IceConfig\n    return IceConfig\n",
    )
    write(tmp_path, "server/rooms/ice.py", "")
    write(tmp_path, "server/people/service.py", "from server.notify import notices\n")
    write(tmp_path, "server/notify/notices.py", "")
    write(tmp_path, "server/newcomer.py", "from server import errors\n")
    write(tmp_path, "server/errors.py", "")
    graph = package_graph(sources_under(tmp_path))
    assert cycles(graph) == []
    assert layering_problems(graph, LAYERS) == [
        "server.newcomer has no layer",
        "server.people -> server.notify (sideways, in server.people.service)",
        "server.settings -> server.rooms (upward, in server.settings)",
    ]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "server/web/routes").glob("*.py")), ids=lambda p: p.name
)
def test_route_modules_run_no_sql(path):
    assert sql_in(path.read_text()) == [], "move it into the owning feature's service"


def test_the_route_check_fails_on_a_route_that_runs_sql(tmp_path):
    write(
        tmp_path,
        "server/web/routes/bad.py",
        "from sqlalchemy import select\n"
        "from server.storage.tables import StaffRow\n\n\n"
        "async def page(db, token, staff_id):\n"
        "    first = await db.scalar(select(StaffRow).where(StaffRow.token == token))\n"
        "    await db.execute(statement)\n"
        "    return first, await db.get(StaffRow, staff_id)\n",
    )
    found = sql_in((tmp_path / "server/web/routes/bad.py").read_text())
    assert found == [
        "imports sqlalchemy",
        "line 6: .scalar()",
        "line 6: select()",
        "line 7: .execute()",
        "line 8: .get(StaffRow, ...)",
    ]


def test_no_room_module_is_over_400_lines():
    """A room module past 400 lines has a second job: split it (STYLE.md, issue 18)."""
    long = {
        path.name: lines
        for path in sorted((ROOT / "server" / "rooms").glob("*.py"))
        if (lines := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
