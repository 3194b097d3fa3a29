"""Real Tupa servers and browser contexts for the browser tests (no Playwright import at run time,
so that conftest can use it before knowing whether Playwright is installed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30.0


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


@contextmanager
def tupa_server(home: Path, **env: str) -> Iterator[str]:
    """``tupa serve --demo`` as a visitor starts it, on a free port, its database and data
    directory in ``home``, with extra ``TUPA_*`` settings. Yields its base URL (no slash)."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    environment |= {
        "TUPA_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'tupa.db'}",
        "TUPA_DATA_DIR": str(home / "var"),
        "TUPA_PUBLIC_URL": base_url,
        "TUPA_LOGIN_DELAY_SECONDS": "0",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    log_path = home / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--demo", "--port", str(port)],
            cwd=home,
            env=environment,
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


@contextmanager
def browser_contexts(
    browser: Browser, base_url: str, default_lang: str | None = None
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (separate cookie jars: separate people), closed at the end.

    ``open_context(lang="en")`` visits ``/?lang=en`` first, so the pages are in English. Without
    it the pages follow the browser's language, which is set to Finnish (the machine's own, often
    American English, would otherwise decide): most visitors' browsers are Finnish.
    """
    contexts: list[BrowserContext] = []

    def open_context(lang: str | None = default_lang) -> BrowserContext:
        context = browser.new_context(base_url=base_url, accept_downloads=True, locale="fi-FI")
        context.set_default_timeout(10_000)
        contexts.append(context)
        if lang:
            page = context.new_page()
            page.goto(f"/?lang={lang}")
            page.close()
        return context

    try:
        yield open_context
    finally:
        for context in contexts:
            context.close()
