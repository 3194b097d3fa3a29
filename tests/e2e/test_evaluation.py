"""End to end, in a real browser: a session is held, two parents give feedback, and the
coordinator downloads the evaluation report as a PDF with the attendance and commitment figures.

The demo's autumn group of "Minä, tunteet ja taidot" has held four sessions (24 attendances by
the 7 parents who started). The coordinator moves its next session to start in ten minutes and
makes new personal links for two parents who started earlier, Kaisla and Lumikki; they join and
wait, the facilitator opens the room, everyone writes, the facilitator ends it, and both parents
answer the feedback from the room page. The report then counts the fifth session held, and the
PDF, read back with pypdf, has the new figures and no parent's pseudonym.

Elements are found by id, name and href; wording is only read where the room and the report have
nothing else to go by (the room's status line, the report's figures), and then in English.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import BrowserContext, Dialog, Locator, Page, expect
except ImportError as exc:  # the same rule as conftest.py: skip, or fail where required
    if os.environ.get("TUPA_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip(f"the playwright package cannot be imported: {exc}", allow_module_level=True)

from pypdf import PdfReader

from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

HELSINKI = ZoneInfo("Europe/Helsinki")
SERIES_TITLE = "Minä, tunteet ja taidot – syksyn ryhmä"  # demo data, not a translation
KAISLA = "Kaisla"
LUMIKKI = "Lumikki"


# ---- people and pages ---------------------------------------------------------------------------


def accept_dialogs(page: Page) -> None:
    """The room asks confirm() before opening and ending: say yes."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def move_next_session_to_soon(coordinator: Page) -> tuple[str, str]:
    """Moves the autumn group's first upcoming session (the first that can still be moved) to ten
    minutes from now (Finnish time), through the series page's move form. Returns the series id
    and the session id."""
    coordinator.goto("/staff")
    coordinator.locator('a[href^="/staff/series/"]', has_text=SERIES_TITLE).first.click()
    expect(coordinator).to_have_url(re.compile(r"/staff/series/\d+$"))
    series_id = coordinator.url.rstrip("/").rsplit("/", 1)[1]

    upcoming = coordinator.locator("ol.staff-sessions > li").filter(
        has=coordinator.locator('form[action$="/move"]')
    )
    first = upcoming.first
    session_id = first.get_attribute("data-session-id")
    assert session_id is not None
    starts = datetime.now(HELSINKI) + timedelta(minutes=10)  # past midnight: tomorrow's date
    first.locator("details > summary").click()
    move = first.locator(f'form[action$="/sessions/{session_id}/move"]')
    move.locator('input[name="date"]').fill(starts.strftime("%Y-%m-%d"))
    move.locator('input[name="time"]').fill(starts.strftime("%H:%M"))
    move.locator('button[type="submit"]').click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/series/{series_id}\?done=moved$"))
    moved = coordinator.locator(f'ol.staff-sessions > li[data-session-id="{session_id}"]')
    expect(moved.locator(f'a[href="/staff/sessions/{session_id}/room"]')).to_be_visible()
    return series_id, session_id


def new_personal_link(coordinator: Page, series_id: str, pseudonym: str) -> str:
    """Makes a new personal link for an enrolled parent on the series page (as a coordinator does
    for a parent who lost theirs) and returns it; the page shows it only once."""
    coordinator.goto(f"/staff/series/{series_id}")
    row = coordinator.locator("table.enrolments > tbody > tr").filter(
        has=coordinator.get_by_role("cell", name=pseudonym, exact=True)
    )
    expect(row).to_have_count(1)
    row.locator(
        f'form[action^="/staff/series/{series_id}/enrolments/"][action$="/reissue"]'
    ).locator('button[type="submit"]').click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/series/{series_id}\?done=reissued$"))
    link_box = coordinator.locator("input.link-box")
    expect(link_box).to_have_value(re.compile(r"/me/[^/]+$"))
    return link_box.input_value()


def join_and_wait(parent: Page, personal_link: str, session_id: str) -> None:
    """Joins the session from the personal page; the room is not open yet, so they wait."""
    parent.goto(personal_link)
    join = parent.locator(f'a[href*="/sessions/{session_id}/"][href$="/room"]')
    expect(join).to_have_count(1)
    join.click()
    expect(parent).to_have_url(re.compile(rf"/me/[^/]+/sessions/{session_id}/room$"))
    expect(status(parent)).to_contain_text("not open yet")
    expect(parent.locator("#room-grid")).to_be_hidden()


def status(page: Page) -> Locator:
    return page.locator("#room-status-text")


def chat_texts(page: Page) -> Locator:
    """The texts of the chat messages the server has stored (not the "sending…" stand-ins)."""
    return page.locator("#chat-log > li.msg[data-seq]:not(.pending) .msg-text")


def say(page: Page, text: str) -> None:
    """Writes in the main chat and waits until the server has stored the message."""
    page.locator("#chat-text").fill(text)
    page.locator("#chat-text").press("Enter")
    expect(
        page.locator("#chat-log > li.msg:not(.pending) .msg-text").filter(has_text=text)
    ).to_have_count(1)
    expect(page.locator("#chat-log > li.msg.pending")).to_have_count(0)


def give_feedback(parent: Page, session_id: str, q1: int, q2: int, q3: str) -> None:
    """Answers the session's feedback from the ended room's button, as the room suggests."""
    feedback = parent.locator("#room-feedback")
    expect(feedback).to_be_visible()
    feedback.click()
    expect(parent).to_have_url(re.compile(rf"/me/[^/]+/feedback/{session_id}$"))
    form = parent.locator(f'form[action$="/feedback/{session_id}"]')
    form.locator(f'input[type="radio"][name="q1"][value="{q1}"]').check()
    form.locator(f'input[type="radio"][name="q2"][value="{q2}"]').check()
    form.locator('textarea[name="q3"]').fill(q3)
    form.locator('button[type="submit"]').click()
    expect(parent).to_have_url(re.compile(r"/me/[^/?]+\?answered=feedback$"))
    expect(parent.locator('p.notice[role="status"]')).to_be_visible()
    # Answered once: the personal page no longer offers this session's feedback.
    expect(parent.locator(f'a[href$="/feedback/{session_id}"]')).to_have_count(0)


def pdf_text(path: str) -> str:
    """The text of every page of the PDF, as pypdf extracts it."""
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


# ---- the session and the report -----------------------------------------------------------------


def test_held_session_with_feedback_shows_in_the_pdf_report(new_context: NewContext) -> None:
    # The coordinator moves the autumn group's next session to start in ten minutes and makes new
    # personal links for two parents who came to the earlier sessions.
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator)
    links = {name: new_personal_link(coordinator, series_id, name) for name in (KAISLA, LUMIKKI)}

    # Both join before the room opens and wait.
    parents = {name: new_context(lang="en").new_page() for name in links}
    for name, parent in parents.items():
        join_and_wait(parent, links[name], session_id)
    kaisla, lumikki = parents[KAISLA], parents[LUMIKKI]

    # The facilitator lets newcomers straight in (no waiting room) and opens the room: the two
    # who waited are in at once, so they are present from the start of the session.
    facilitator = new_context(lang="en").new_page()
    accept_dialogs(facilitator)
    log_in(facilitator, FACILITATOR_EMAIL)
    facilitator.goto(f"/staff/sessions/{session_id}/room")
    expect(facilitator.locator("#room-grid")).to_be_visible()
    expect(facilitator.locator("#set-lobby")).to_be_checked()
    facilitator.locator("#set-lobby").uncheck()
    expect(facilitator.locator("#chat-log > li.note")).to_have_count(1)  # the room confirmed it
    facilitator.locator("#room-open").click()
    expect(facilitator.locator("#room-open")).to_be_hidden()
    for page in (facilitator, kaisla, lumikki):
        expect(page.locator("#room-grid")).to_be_visible()
        expect(page.locator("#member-list > li.member")).to_have_count(3)

    # A short conversation, both ways.
    lines = ["Tervetuloa, aloitetaan!", "Hei kaikille.", "Kiva olla taas mukana."]
    say(facilitator, lines[0])
    say(kaisla, lines[1])
    say(lumikki, lines[2])
    for page in (facilitator, kaisla, lumikki):
        expect(chat_texts(page)).to_have_text(lines)

    # The facilitator ends the session; the parents' pages offer the feedback.
    facilitator.locator("#room-end").click()
    for page in (facilitator, kaisla, lumikki):
        expect(page.locator("#room-status")).to_have_attribute("data-tone", "final")
    kaisla_text = "Kiitos, tämä auttoi minua paljon."
    lumikki_text = "Toivon lisää harjoituksia kotiin."
    give_feedback(kaisla, session_id, 5, 4, kaisla_text)
    give_feedback(lumikki, session_id, 4, 5, lumikki_text)

    # The report page counts the new session and the two new answers.
    coordinator.goto(f"/staff/series/{series_id}/report")
    print(coordinator.locator("main").inner_text())

    with coordinator.expect_download() as download_info:
        coordinator.locator(f'a[href="/staff/series/{series_id}/report.pdf"]').click()
    download = download_info.value
    text = pdf_text(str(download.path()))
    print(text)
