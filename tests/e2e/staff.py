"""Staff steps shared by the browser tests (import after the playwright guard of a test module)."""

from __future__ import annotations

import re

from server.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from server.people.roles import Role
from tests.e2e.playwright_api import Page, expect

COORDINATOR_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.role is Role.COORDINATOR)
FACILITATOR_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.role is Role.FACILITATOR)


def log_in(page: Page, email: str) -> None:
    """Log in as a demo staff member through the login form, as a person would."""
    page.goto("/staff/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    expect(page.locator('form[action="/staff/login"] input[name="csrf_token"]')).to_have_value(
        re.compile(r".{16,}")
    )
    page.locator('form[action="/staff/login"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/staff$"))
    expect(page.locator('form[action="/staff/logout"]')).to_be_visible()
