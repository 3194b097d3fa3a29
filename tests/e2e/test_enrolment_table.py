"""The enrolment table on a series page fits its column at a desktop width and stacks each
enrolment on a phone, with every action (end, revoke, ban, new link, export, erase) in reach and
no sideways scrolling (issue 15)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest

from tests.e2e.playwright_api import BrowserContext, Page, ViewportSize, expect
from tests.e2e.staff import COORDINATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

SERIES_WITH_ENROLMENTS = "Tukea eron jälkeiseen vanhemmuuteen"  # demo data: parents enrolled
ACTIONS = ["remove", "revoke", "ban", "reissue"]

# How far the table and each action reach past the page's column, in CSS pixels.
OVERFLOW = """(table) => {
  const column = table.closest('main').getBoundingClientRect();
  const style = getComputedStyle(table.closest('main'));
  const right = column.right - parseFloat(style.paddingRight);
  const reach = [...table.querySelectorAll('td.actions button, td.actions a')]
    .map((el) => el.getBoundingClientRect().right);
  return {
    scroll: table.scrollWidth - table.clientWidth,
    table: table.getBoundingClientRect().right - right,
    actions: Math.max(...reach) - right,
    page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


LONG_ADDRESS = "vanhempi.jolla.on.hyvin.pitka.osoite+vertaisryhmat@perhetyon-yhdistys.example.org"


def demo_series_id(page: Page) -> int:
    """The demo's own series of that title: the lowest id (the live demo rooms, made later, are
    series of the same program under the same title)."""
    links = page.locator('main a[href^="/series/"]', has_text=SERIES_WITH_ENROLMENTS)
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    return min(int(re.search(r"/series/(\d+)", h).group(1)) for h in hrefs)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def enrolled_with_a_long_address(browser, live_server) -> int:
    """A parent who gave a long e-mail address: the widest row a coordinator meets. Returns the
    series' id."""
    context = browser.new_context(base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/?lang=en")
        series_id = demo_series_id(page)
        page.goto(f"/series/{series_id}?lang=en")
        form = page.locator('form[action$="/enrol"]')
        expect(form.locator('input[name="csrf_token"]')).to_have_value(re.compile(r".{16,}"))
        form.locator("#pseudonym").fill(f"Pitkäosoite {uuid.uuid4().hex[:6]}")
        form.locator("#email").fill(LONG_ADDRESS)
        form.locator('button[type="submit"]').click()
        expect(page.locator("#personal-link")).to_be_visible()
    finally:
        context.close()
    return series_id


def series_page(
    new_context: Callable[..., BrowserContext], series_id: int, width: int, height: int
) -> Page:
    page = new_context(lang="en").new_page()
    page.set_viewport_size(ViewportSize(width=width, height=height))
    log_in(page, COORDINATOR_EMAIL)
    page.goto(f"/staff/series/{series_id}")
    expect(page.locator("table.enrolments tbody tr[data-enrolment-id]").first).to_be_visible()
    return page


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_every_enrolment_action_fits_without_sideways_scrolling(
    new_context, enrolled_with_a_long_address, width, height
):
    page = series_page(new_context, enrolled_with_a_long_address, width, height)
    table = page.locator("table.enrolments")
    expect(table).to_contain_text(LONG_ADDRESS)

    reach = table.evaluate(OVERFLOW)

    assert reach["scroll"] <= 0 and reach["table"] <= 0.5, reach
    assert reach["actions"] <= 0.5 and reach["page"] <= 0, reach
    row = table.locator("tbody tr[data-enrolment-id]").first
    for action in ACTIONS:
        expect(row.locator(f'form[action$="/{action}"] button')).to_be_visible()
    expect(row.locator('a[href$="/export"]')).to_be_visible()
    expect(row.locator('a[href$="/erase"]')).to_be_visible()
