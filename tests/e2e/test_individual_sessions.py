"""End to end, in Chromium: individual sessions (issue 16, point 3).

The demo facilitator offers four times to the parents of the demo's autumn group of "Minä,
tunteet ja taidot" (three starting within minutes, one tomorrow) and lets one parent hold three.
Myrsky books tomorrow's time from their page and moves it to the first soon one, then books the
other two. Nokkonen, another parent of the group, finds none of Myrsky's times on offer and is
refused at the first one's room. Myrsky and the facilitator meet in each room, and the
evaluation report then counts three individual sessions held and attended, apart from the group
sessions, with the one parent's count hidden as every count below three is.

Elements are found by id, name and action; wording is read only for the figures (in English).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.accessibility import Sweep
from tests.e2e.playwright_api import BrowserContext, Locator, Page, expect
from tests.e2e.room import chat_texts, open_room_without_lobby, say, status
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

HELSINKI = ZoneInfo("Europe/Helsinki")
SERIES_TITLE = "Minä, tunteet ja taidot – syksyn ryhmä"  # demo data, not a translation
BOOKER = "Myrsky"
OTHER = "Nokkonen"
HIDDEN = "hidden"
HREFS = "links => links.map(link => link.getAttribute('href'))"


def demo_series_id(page: Page) -> str:
    """The demo group's id, from the staff dashboard (the first series of that title: the live
    demo rooms are planned after the demo data)."""
    page.goto("/staff")
    links = page.locator('a[href^="/staff/series/"][href$="/individual"]')
    rows = (
        page.locator("li")
        .filter(has_text=SERIES_TITLE)
        .locator('a[href^="/staff/series/"][href$="/individual"]')
    )
    expect(links.first).to_be_visible()
    ids = {int(str(href).split("/")[3]) for href in rows.evaluate_all(HREFS)}
    return str(min(ids))


def new_personal_link(coordinator: Page, series_id: str, pseudonym: str) -> str:
    """A new personal link for an enrolled parent, made from the series page's enrolments."""
    coordinator.goto(f"/staff/series/{series_id}")
    row = coordinator.locator("table.enrolments > tbody > tr").filter(
        has=coordinator.get_by_role("rowheader", name=pseudonym, exact=True)
    )
    expect(row).to_have_count(1)
    row.locator('form[action$="/reissue"] button[type="submit"]').click()
    link = coordinator.locator("input.link-box")
    expect(link).to_have_value(re.compile(r"/me/[^/]+$"))
    return link.input_value()


def offer(facilitator: Page, series_id: str, starts: datetime) -> str:
    """Offers a 45-minute time at ``starts`` (Finnish time); returns its session id."""
    facilitator.goto(f"/staff/series/{series_id}/individual")
    form = facilitator.locator(f'form[action="/staff/series/{series_id}/individual"]')
    form.locator('input[name="date"]').fill(starts.strftime("%Y-%m-%d"))
    form.locator('input[name="time"]').fill(starts.strftime("%H:%M"))
    form.locator('input[name="duration_minutes"]').fill("45")
    before = set(
        facilitator.locator("table.individual-times tr[data-session-id]").evaluate_all(
            "rows => rows.map(row => row.dataset.sessionId)"
        )
    )
    form.locator('button[type="submit"]').click()
    expect(facilitator).to_have_url(re.compile(r"/individual\?done=offered$"))
    after = set(
        facilitator.locator("table.individual-times tr[data-session-id]").evaluate_all(
            "rows => rows.map(row => row.dataset.sessionId)"
        )
    )
    (new,) = after - before
    return str(new)


def open_personal_link(parent: Page, link: str) -> None:
    """Opens the link and waits until it has been swapped for the device cookie and the page has
    moved on to /me: a navigation started before then is interrupted by that one."""
    parent.goto(link)
    expect(parent).to_have_url(re.compile(r"/me$"))


def book(parent: Page, session_id: str) -> None:
    parent.goto("/me")
    parent.locator(f'form[action="/me/individual/{session_id}/book"] button').click()
    expect(parent).to_have_url(re.compile(r"/me\?individual=booked"))
    expect(
        parent.locator(f'ul.individual-booked > li[data-session-id="{session_id}"]')
    ).to_be_visible()


def meet(facilitator: Page, parent: Page, session_id: str, line: str) -> None:
    """The parent waits in the time's room; the facilitator opens it, they talk, it ends."""
    parent.goto("/me")
    booked = parent.locator(f'ul.individual-booked > li[data-session-id="{session_id}"]')
    booked.locator(f'a[href="/me/sessions/{session_id}/room"]').click()
    expect(parent).to_have_url(re.compile(rf"/me/sessions/{session_id}/room$"))
    expect(status(parent)).to_contain_text("not open yet")
    open_room_without_lobby(facilitator, session_id)
    for page in (facilitator, parent):
        expect(page.locator("#member-list > li.member")).to_have_count(2)
    say(parent, line)
    expect(chat_texts(facilitator)).to_have_text([line])
    facilitator.locator("#room-end").click()
    for page in (facilitator, parent):
        expect(page.locator("#room-status")).to_have_attribute("data-tone", "final")


def cells(table: Locator) -> list[list[str]]:
    return [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in table.locator("tbody > tr").all()
    ]


def test_a_parent_books_moves_and_meets_the_facilitator_alone(new_context: NewContext) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    series_id = demo_series_id(facilitator)
    links = {name: new_personal_link(coordinator, series_id, name) for name in (BOOKER, OTHER)}

    # The facilitator offers three times within minutes and one tomorrow, and allows three.
    now = datetime.now(HELSINKI)
    soon = [offer(facilitator, series_id, now + timedelta(minutes=m)) for m in (6, 7, 8)]
    tomorrow = offer(facilitator, series_id, now + timedelta(days=1))
    limit = facilitator.locator(f'form[action="/staff/series/{series_id}/individual/limit"]')
    limit.locator('input[name="individual_limit"]').fill("3")
    limit.locator('button[type="submit"]').click()
    expect(facilitator).to_have_url(re.compile(r"/individual\?done=limit$"))

    # Myrsky books tomorrow's time, then moves it to the first soon one.
    myrsky = new_context(lang="en").new_page()
    open_personal_link(myrsky, links[BOOKER])
    book(myrsky, tomorrow)
    moving = myrsky.locator(f'form[action="/me/individual/{tomorrow}/move"]')
    moving.locator('select[name="to"]').select_option(soon[0])
    moving.locator('button[type="submit"]').click()
    expect(myrsky).to_have_url(re.compile(r"/me\?individual=moved"))
    expect(
        myrsky.locator(f'ul.individual-booked > li[data-session-id="{soon[0]}"]')
    ).to_be_visible()
    expect(
        myrsky.locator(f'ul.individual-booked > li[data-session-id="{tomorrow}"]')
    ).to_have_count(0)
    book(myrsky, soon[1])
    book(myrsky, soon[2])
    expect(myrsky.locator("ul.individual-booked > li")).to_have_count(3)
    # The facilitator's list names who holds each time; tomorrow's is free again.
    facilitator.goto(f"/staff/series/{series_id}/individual")
    for session_id in soon:
        row = facilitator.locator(f'tr[data-session-id="{session_id}"] td[data-booked-by]')
        expect(row).to_have_text(BOOKER)
    expect(
        facilitator.locator(f'tr[data-session-id="{tomorrow}"] td[data-booked-by]')
    ).to_have_text("Free")
    sweep = Sweep(lambda path: path)  # the new page and the parent's new section pass axe too
    sweep.check(facilitator, "a series' individual times")
    sweep.check(myrsky, "a parent's page with individual times")

    # Another parent of the group sees only the free time, and is refused at Myrsky's room.
    nokkonen = new_context(lang="en").new_page()
    open_personal_link(nokkonen, links[OTHER])
    expect(nokkonen.locator(f'form[action="/me/individual/{tomorrow}/book"]')).to_have_count(1)
    for session_id in soon:
        expect(nokkonen.locator(f'form[action="/me/individual/{session_id}/book"]')).to_have_count(
            0
        )
    refused = nokkonen.goto(f"/me/sessions/{soon[0]}/room")
    assert refused is not None and refused.status == 403

    # Myrsky and the facilitator meet in each of the three rooms; nobody else is there.
    for number, session_id in enumerate(soon, start=1):
        meet(facilitator, myrsky, session_id, f"Kiitos ajasta, kerta {number}.")

    # The report counts the individual sessions apart from the group's.
    facilitator.goto(f"/staff/series/{series_id}/report")
    assert cells(facilitator.locator("#report-individual table")) == [
        ["Individual sessions held", "3"],
        ["Individual sessions attended", "3"],
        ["Parents who attended an individual session", HIDDEN],
    ]
    sessions_held = cells(facilitator.locator("#report-commitment table"))[2]
    assert sessions_held == ["Sessions held", "4"]  # the demo group's four, not seven
    assert BOOKER not in facilitator.locator("main").inner_text()
    sweep.assert_clean(set())
