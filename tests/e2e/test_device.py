"""The device a parent uses: a personal link opened from an e-mail leaves no working link in
Chromium's history, and after a quick exit Back never shows a Tupa page (four pages deep)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.playwright_api import Browser, BrowserContext, Page, PlaywrightTimeout, Route, expect
from tests.e2e.room import move_next_session_to_soon
from tests.e2e.staff import COORDINATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]
SERIES_TITLE = "Tukea eron jälkeiseen vanhemmuuteen"  # program data, not a translation
MAIL_SITE = "https://mail.example/"  # another site, as a webmail is
BEFORE_URL = "https://before.example/"
NEUTRAL_SITE = "https://www.yle.fi/"


def serve_offline(page: Page, link: str = "") -> None:
    """The network is closed: the webmail, a page seen before Tupa and the neutral site are fake."""

    def mail(route: Route) -> None:
        route.fulfill(body=f'<a id="link" href="{link}">Tupa</a>', content_type="text/html")

    def neutral(route: Route) -> None:
        route.fulfill(body="neutral", content_type="text/plain")

    page.route(f"{MAIL_SITE}**", mail)
    page.route(f"{BEFORE_URL}**", neutral)
    page.route(f"{NEUTRAL_SITE}**", neutral)


def enrol_from_the_front_page(page: Page, pseudonym: str) -> str:
    """Front page -> series -> enrolment; returns the personal link the enrolment shows."""
    page.goto("/")
    page.locator('main a[href^="/series/"]', has_text=SERIES_TITLE).first.click()
    expect(page).to_have_url(re.compile(r"/series/\d+$"))
    form = page.locator('form[action$="/enrol"]')
    expect(form.locator('input[name="csrf_token"]')).to_have_value(re.compile(r".{16,}"))
    form.locator("#pseudonym").fill(pseudonym)
    form.locator('button[type="submit"]').click()
    expect(page.locator("#personal-link")).to_have_value(re.compile(r"/me/[^/]+$"))
    return page.locator("#personal-link").input_value()


def history_urls(profile: Path) -> list[str]:
    with sqlite3.connect(profile / "Default" / "History") as db:
        return [url for (url,) in db.execute("SELECT url FROM urls")]


def test_a_link_opened_from_an_email_leaves_no_working_link_in_the_browser_history(
    browser: Browser, live_server: str, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    context = browser.browser_type.launch_persistent_context(
        profile,
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server,
        locale="fi-FI",  # the series' Finnish title is looked for
    )
    page = context.new_page()
    link = enrol_from_the_front_page(page, "Kataja")
    token = link.rsplit("/", 1)[1]
    serve_offline(page, link)

    # Clicked in a webmail, another site: the SameSite=Strict cookie still reaches the page.
    page.goto(MAIL_SITE)
    page.locator("#link").click()
    expect(page).to_have_url(f"{live_server}/me")
    expect(page.locator("main")).to_contain_text("Kataja")
    expect(page.locator("#forget-device")).to_be_visible()
    context.close()

    # Chromium keeps the link's address in its history (this cannot be avoided), but that
    # address no longer opens anything while this browser holds the device.
    urls = history_urls(profile)
    assert f"{live_server}/me" in urls
    with_token = [url for url in urls if token in url]
    assert with_token, "Chromium's history is expected to hold the opened link"
    for url in with_token:
        response = httpx.get(url)
        assert response.status_code == 409
        assert 'data-code="link_in_use"' in response.text
        assert "Kataja" not in response.text


@pytest.mark.parametrize("how", ["button", "escape_twice"])
def test_after_a_quick_exit_from_a_room_back_never_shows_a_tupa_page(
    new_context: NewContext, live_server: str, how: str
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    _series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)

    context = new_context(lang="en")
    parent = context.new_page()
    serve_offline(parent)
    parent.goto(BEFORE_URL)
    enrol_from_the_front_page(parent, f"Katve{how[:3]}")  # front page, series, enrolment
    parent.locator('main a.button[href^="/me/"]').click()  # the parent page
    expect(parent).to_have_url(f"{live_server}/me")
    parent.locator(f'a[href="/me/sessions/{session_id}/room"]').click()  # the room
    expect(parent).to_have_url(f"{live_server}/me/sessions/{session_id}/room")

    if how == "button":
        parent.locator("#quick-exit").click()
    else:
        # Two presses within a second leave. On a loaded machine Playwright's round trips have
        # spaced the two further apart, as a person's slow second press would: press twice again.
        for _attempt in range(3):
            parent.locator("body").press("Escape")
            parent.locator("body").press("Escape")
            try:
                parent.wait_for_url(f"{NEUTRAL_SITE}**", timeout=5_000)
                break
            except PlaywrightTimeout:
                continue
    parent.wait_for_url(f"{NEUTRAL_SITE}**", timeout=30_000)  # 10 s once passed in a loaded run

    seen = []
    while parent.go_back() is not None:
        seen.append(parent.url)
        assert not parent.url.startswith(live_server), seen
    assert seen and seen[-1] == BEFORE_URL, seen

    # The device was forgotten too: the parent's page now asks for the link.
    again = context.new_page()
    for _ in range(50):  # the forgetting is a beacon: wait until the server has it
        response = again.goto(f"{live_server}/me")
        if response is not None and response.status == 401:
            break
        again.wait_for_timeout(100)
    expect(again.locator('[data-code="link_needed"]')).to_be_visible()
