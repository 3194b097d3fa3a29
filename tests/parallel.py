"""How the suite spreads over processes (pytest-xdist): how many, which tests share one, and the
end-of-run lines that tests write in a process but the person running the suite must see.

The whole suite (``pytest`` with no paths: the README's one command and CI) runs on
``WORKERS_PER_CPU`` processes per CPU: most of its time is spent waiting on subprocesses,
sockets and timers, not computing. A run of chosen paths or tests (``pytest tests/web/x.py -x``)
stays in one process, where ``-s``, ``--pdb`` and print debugging behave as usual. ``-n N`` on
the command line, or ``PYTEST_XDIST_AUTO_NUM_WORKERS``, decides instead.

Each module's tests run in one process, in order, as they do in one process: module fixtures
hold state across them (two ``tupa serve`` sharing the process's PostgreSQL database in
tests/rooms/test_two_instances.py, which another module's test would empty); the tests of
``SPLIT_MODULES`` are units of their own. The browser tests and the fault suite are one unit
each: each of their modules starts servers, a browser or a cluster, and several of those starting
at once on two CPUs start too slowly. Those units and the slowest modules are handed out first,
so that none of them starts last and runs alone.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# Two per CPU made browser tests miss their timeouts on this 2-core machine (the e2e unit shares
# the CPUs with the other workers); one and a half keeps most of the gain.
WORKERS_PER_CPU = 1.5
# Path prefix -> the one unit of work all its tests make up.
UNITS = {"tests/e2e/": "browser tests", "tests/faults/": "fault suite"}
# Modules that take minutes (--durations): started early, after the units above.
SLOW_MODULES = ("tests/rooms/test_room_state_machine.py", "tests/test_cli.py")
# Modules whose tests share nothing but session fixtures: each test is a unit of its own (the
# three state machines take two minutes each).
SPLIT_MODULES = ("tests/rooms/test_room_state_machine.py",)

SUMMARY = "end-of-run summary: "  # how a user property that carries such a line is named
_summary: dict[str, list[str]] = {}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Processes for ``-n auto`` (set in pyproject.toml): none unless the whole suite runs."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own reading of it
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return 0
    return max(1, int(WORKERS_PER_CPU * len(os.sched_getaffinity(0))))


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, or one of ``UNITS``."""
    for prefix, unit in UNITS.items():
        if nodeid.startswith(prefix):
            return unit
    module = nodeid.split("::", 1)[0]
    return nodeid if module in SPLIT_MODULES else module


def _first_the_long(unit: str, tests: int) -> tuple[int, int]:
    if unit in UNITS.values():
        return (0, -tests)
    if unit.split("::", 1)[0] in SLOW_MODULES:
        return (1, -tests)
    return (2, -tests)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` (set in pyproject.toml) with the units above. xdist's own grouping
    by marker (``loadgroup``) renames node ids, which pytest 9.2 no longer allows."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):  # type: ignore[misc]
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the first hand-out: the queue is complete
                self.ordered = True
                queue = sorted(self.workqueue.items(), key=lambda u: _first_the_long(*_size(u)))
                self.workqueue.clear()
                self.workqueue.update(queue)
            super()._assign_work_unit(node)

    return UnitScheduling(config, log)


def _size(unit: tuple[str, dict[str, bool]]) -> tuple[str, int]:
    return unit[0], len(unit[1])


def add_to_summary(item: pytest.Item, title: str, line: str) -> None:
    """Print ``line`` under ``title`` at the end of the run, from whichever process ran ``item``
    (a worker's own terminal summary is never shown)."""
    item.user_properties.append((SUMMARY + title, line))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # The setup, call and teardown reports share one list of properties: read it once.
    if report.when != "teardown":
        return
    for name, line in report.user_properties:
        if name.startswith(SUMMARY):
            _summary.setdefault(name.removeprefix(SUMMARY), []).append(str(line))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, lines in _summary.items():
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
