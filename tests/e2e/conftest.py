"""Real-browser tests: the app runs as its own process and Debian's Chromium drives it.

The server is started exactly as a visitor would start it (``tupa serve --demo``), on a free port,
with its database and data directory in a temporary folder. Chromium is the system one at
/usr/bin/chromium, driven through Playwright; no browser is ever downloaded. When either is
missing the tests are skipped, or fail when ``TUPA_REQUIRE_SERVICES=1`` (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.e2e.servers import browser_contexts, tupa_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an e2e test, whether or not its module says so. (They all
    run in one process, one module after another: see tests/parallel.py.)"""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the services are required to be present."""
    if os.environ.get("TUPA_REQUIRE_SERVICES") == "1":
        pytest.fail(f"e2e requirement missing (TUPA_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def _missing_requirement() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the playwright package cannot be imported: {exc}"
    return None


@pytest.fixture(autouse=True, scope="session")
def _e2e_requirements() -> None:
    reason = _missing_requirement()
    if reason is not None:
        _unavailable(reason)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (no trailing slash) of a real Tupa server with the demo data loaded, one per
    module: what one module's tests change (a session moved, a room opened) is never what
    another module's find, whichever process runs them and in whatever order."""
    with tupa_server(tmp_path_factory.mktemp("tupa-live")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless system Chromium; each test opens its own contexts (one per person).

    Module scope, not session: sync Playwright runs an event loop in this thread while it is
    open, and pytest-asyncio cannot start the other tests' loops until it has stopped.
    """
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            _unavailable(f"Chromium at {CHROMIUM} could not be launched: {exc}")
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_context(browser: Browser, live_server: str) -> Iterator[Callable[..., BrowserContext]]:
    """Browser contexts (one per person) on the live server; see ``browser_contexts``."""
    with browser_contexts(browser, live_server) as open_context:
        yield open_context
