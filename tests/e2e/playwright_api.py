"""Playwright's names for the browser tests, imported once: a test module that imports them from
here is skipped when the playwright package is missing, or fails where services are required
(``TUPA_REQUIRE_SERVICES=1``), the same rule as conftest.py applies to Chromium."""

from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import Browser as Browser
    from playwright.sync_api import BrowserContext as BrowserContext
    from playwright.sync_api import Dialog as Dialog
    from playwright.sync_api import Locator as Locator
    from playwright.sync_api import Page as Page
    from playwright.sync_api import Request as Request
    from playwright.sync_api import Route as Route
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import ViewportSize as ViewportSize
    from playwright.sync_api import WebSocket as WebSocket
    from playwright.sync_api import WebSocketRoute as WebSocketRoute
    from playwright.sync_api import expect as expect
except ImportError as exc:
    if os.environ.get("TUPA_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip(f"the playwright package cannot be imported: {exc}", allow_module_level=True)

__all__ = [
    "EXPECT_TIMEOUT_MS",
    "Browser",
    "BrowserContext",
    "Dialog",
    "Locator",
    "Page",
    "PlaywrightTimeout",
    "Request",
    "Route",
    "ViewportSize",
    "WebSocket",
    "WebSocketRoute",
    "expect",
]

# Playwright's assertions wait 5 s by default. CI runs the suite on three processes over two
# cores, the browser tests beside servers, browsers and state machines of the other processes:
# a condition that holds after 6 s there is not a failure. A passing assertion returns as soon as
# it holds, so only a failing one waits longer.
EXPECT_TIMEOUT_MS = 15_000
expect.set_options(timeout=EXPECT_TIMEOUT_MS)
