"""Real-browser tests: the app runs as its own process and Debian's Chromium drives it.

The server is started exactly as a visitor would start it (``tupa serve --demo``), on a free port,
with its database and data directory in a temporary folder. Chromium is the system one at
/usr/bin/chromium, driven through Playwright; no browser is ever downloaded. When either is
missing the tests are skipped, or fail when ``TUPA_REQUIRE_SERVICES=1`` (as in CI).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

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
START_TIMEOUT_SECONDS = 30.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is an e2e test, whether or not its module says so."""
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local http only
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (no trailing slash) of a real Tupa server with the demo data loaded."""
    home = tmp_path_factory.mktemp("tupa-live")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    env |= {
        "TUPA_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'tupa.db'}",
        "TUPA_DATA_DIR": str(home / "var"),
        "TUPA_PUBLIC_URL": base_url,
        "TUPA_LOGIN_DELAY_SECONDS": "0",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
            cwd=home,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(f"{base_url}/"):
            if process.poll() is not None:
                pytest.fail(
                    f"the Tupa server exited with {process.returncode} before answering:\n"
                    + log_path.read_text(errors="replace")
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the Tupa server did not answer GET / within {START_TIMEOUT_SECONDS:.0f} s:\n"
                    + log_path.read_text(errors="replace")
                )
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


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
    """Opens browser contexts (separate cookie jars: separate people) closed after the test.

    ``new_context(lang="en")`` visits ``/?lang=en`` first, so the pages are in English.
    """
    contexts: list[BrowserContext] = []

    def open_context(lang: str | None = None) -> BrowserContext:
        context = browser.new_context(base_url=live_server, accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        if lang:
            page = context.new_page()
            page.goto(f"/?lang={lang}")
            page.close()
        return context

    yield open_context
    for context in contexts:
        context.close()
