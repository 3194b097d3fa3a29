"""End to end, in a real browser: a coordinator plans a group, a parent finds it and enrols.

Pages are switched to English with ``/?lang=en`` and elements are found by id, name and href
wherever possible, so Finnish wording can change without breaking these tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.playwright_api import BrowserContext, Page, Route, expect
from tests.e2e.staff import COORDINATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

TEMPLATE_NAME = "Vanhemmalta vanhemmalle"  # program data, not a translation
TEMPLATE_SESSIONS = 8
AGE_QUESTION = "Lapsen ikä"
AGE_OPTIONS = ("0–2 v", "3–6 v")
PSEUDONYM = "Pihlaja"


def create_series_from_template(page: Page, title: str) -> str:
    """Plans a series from the template with one enrolment question; returns its staff URL."""
    page.goto("/staff/series/new")
    page.locator('a[href^="/staff/series/new?program="]', has_text=TEMPLATE_NAME).click()
    expect(page.locator("#title")).to_have_value(TEMPLATE_NAME)
    page.locator("#title").fill(title)
    staff_boxes = page.locator('input[type="checkbox"][name="staff_ids"]')
    # The demo facilitator and volunteer, and the simulated ones of the live demo rooms.
    expect(staff_boxes).to_have_count(4)
    for box in staff_boxes.all():
        box.check()
    page.locator("#q1_label").fill(AGE_QUESTION)
    page.locator("#q1_options").fill(" | ".join(AGE_OPTIONS))
    page.locator('form[action="/staff/series/new"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/staff/series/\d+\?done=created$"))
    expect(page.locator("h1")).to_have_text(title)
    return page.url.split("?")[0]


def unfolded(ics: bytes) -> str:
    """The calendar text with RFC 5545 line folding undone, so long values can be searched."""
    return ics.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8")


def test_coordinator_creates_series_and_parent_enrols_and_downloads_calendar(
    new_context: NewContext, tmp_path: Path
) -> None:
    title = f"{TEMPLATE_NAME} e2e {uuid.uuid4().hex[:8]}"

    # The coordinator plans a new series from the program template.
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_url = create_series_from_template(coordinator, title)
    sessions = coordinator.locator("ol.staff-sessions > li")
    expect(sessions).to_have_count(TEMPLATE_SESSIONS)
    expect(coordinator.locator("table.enrolments")).not_to_contain_text(PSEUDONYM)
    series_id = series_url.rsplit("/", 1)[1]

    # A parent, without any account, finds the group on the public listing.
    parent = new_context(lang="en").new_page()
    parent.goto("/")
    card = parent.locator(f'li.series-card[data-series-id="{series_id}"]')
    expect(card.locator("h2")).to_have_text(title)
    card.locator(f'h2 a[href="/series/{series_id}"]').click()
    expect(parent).to_have_url(re.compile(rf"/series/{series_id}$"))
    expect(parent.locator("h1")).to_have_text(title)
    expect(parent.locator("ol.sessions > li")).to_have_count(TEMPLATE_SESSIONS)

    # The parent enrols under a pseudonym and answers the coordinator's question.
    enrol_form = parent.locator(f'form[action="/series/{series_id}/enrol"]')
    expect(enrol_form.locator('input[name="csrf_token"]')).to_have_value(re.compile(r".{16,}"))
    enrol_form.locator("#pseudonym").fill(PSEUDONYM)
    expect(enrol_form.locator("fieldset legend")).to_have_text(AGE_QUESTION)
    enrol_form.locator(f'input[type="radio"][value="{AGE_OPTIONS[1]}"]').check()
    enrol_form.locator('button[type="submit"]').click()

    # The personal link is shown once, on the page that confirms the enrolment.
    expect(parent.locator("#personal-link")).to_have_value(re.compile(r"/me/[^/]+$"))
    personal_link = parent.locator("#personal-link").input_value()

    # The personal page greets the parent by their pseudonym, at an address without the link.
    parent.locator('main a.button[href^="/me/"]').click()
    expect(parent).to_have_url(re.compile(r"/me$"))
    assert personal_link.rsplit("/", 1)[1] not in parent.url
    expect(parent.locator("h1")).to_have_text(title)
    expect(parent.locator("main")).to_contain_text(PSEUDONYM)

    # The sessions download as a calendar file with one event per session.
    with parent.expect_download() as download_info:
        parent.locator('a[href="/me/calendar.ics"]').click()
    download = download_info.value
    saved = tmp_path / "tupa.ics"
    download.save_as(saved)
    calendar = unfolded(saved.read_bytes())
    assert calendar.startswith("BEGIN:VCALENDAR")
    assert title in calendar
    assert calendar.count("BEGIN:VEVENT") == TEMPLATE_SESSIONS

    # The coordinator sees the new enrolment, with the answer, on the series page.
    coordinator.reload()
    row = coordinator.locator("table.enrolments tbody tr", has_text=PSEUDONYM)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(AGE_OPTIONS[1])


BEFORE_URL = "https://before.example/"
NEUTRAL_SITE = "https://www.yle.fi/"


def serve_offline(page: Page) -> None:
    """The network is closed: the neutral site and a page visited before Tupa are faked."""

    def neutral(route: Route) -> None:
        route.fulfill(body="neutral", content_type="text/plain")

    page.route(f"{NEUTRAL_SITE}**", neutral)
    page.route(f"{BEFORE_URL}**", neutral)


@pytest.mark.parametrize("how", ["escape_twice", "button"])
def test_quick_exit_leaves_for_a_neutral_site_and_back_does_not_return(
    new_context: NewContext, live_server: str, how: str
) -> None:
    page = new_context().new_page()
    serve_offline(page)
    page.goto(BEFORE_URL)
    page.goto("/")
    listing_url = page.url
    assert listing_url.startswith(live_server)
    expect(page.locator("body")).to_have_attribute(
        "data-quick-exit-url", re.compile("^https://www.yle.fi/")
    )

    if how == "escape_twice":
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    else:
        page.locator("#quick-exit").click()

    page.wait_for_url(f"{NEUTRAL_SITE}**")
    assert page.url.startswith(NEUTRAL_SITE)

    # The Tupa page was replaced in the history, not pushed: Back skips it.
    page.go_back()
    assert page.url != listing_url
    assert not page.url.startswith(live_server)
