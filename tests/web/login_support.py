"""Browsers at other client addresses, and the steps of a staff login, for the login tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pyotp

from tests.conftest import post_form
from tests.factories import PASSWORD

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


@asynccontextmanager
async def browser_at(client: httpx.AsyncClient, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same application, connecting from ``address`` (as the proxy
    headers would give it)."""
    app = client.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        other.app = app  # type: ignore[attr-defined]
        yield other


async def log_in(
    browser: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await post_form(
        browser,
        "/staff/login",
        "/staff/login",
        {"email": email, "password": password, "next": "/staff"},
    )


async def send_code(browser: httpx.AsyncClient, code: str) -> httpx.Response:
    return await post_form(browser, "/staff/login/code", "/staff/login/code", {"code": code})


async def turn_on_two_factor(browser: httpx.AsyncClient, clock) -> tuple[str, httpx.Response]:
    """Turn two-factor on from the security page; its secret and the answer (which shows the
    recovery codes)."""
    page = await browser.get("/staff/security")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    answer = await post_form(
        browser,
        "/staff/security",
        "/staff/security/totp",
        {"code": pyotp.TOTP(secret).at(clock.now)},
    )
    assert answer.status_code == 200, answer.text
    return secret, answer
