"""End to end, in a real browser: a session is held with two parents, they answer the feedback,
and the coordinator downloads the evaluation report as a PDF with the attendance and commitment.

Four browser contexts (four people): the demo coordinator, the demo facilitator and two parents
of the demo's autumn group of "Minä, tunteet ja taidot", which has held four sessions: 7 of its
10 parents started, with 7, 6, 6 and 5 present, 24 attendances of 7 × 4 places. The coordinator
moves the group's next session to start in ten minutes and makes new personal links for Kaisla
and Lumikki, who both came before (so 7 have still started). They join and wait; the facilitator
lets newcomers straight in and opens the room, everyone writes, and the facilitator ends it, so
both were present for the whole time the room ran. Both answer the feedback from the ended room.

Then the report counts 5 sessions held and 26 attendances of 35 places (74.29 %), with the new
session's 2 present hidden, and the PDF, read back with pypdf, says the same and names nobody.

Elements are found by id, name and href; wording is only read where the room and the report have
nothing else to go by (the room's status line, the figures and the "hidden" marker), and then in
English (``/?lang=en``), so the PDF is in English too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from server.demo_history import PARENTS
from tests.e2e.playwright_api import BrowserContext, Locator, Page, expect
from tests.e2e.room import (
    chat_texts,
    move_next_session_to_soon,
    open_room_without_lobby,
    say,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

HELSINKI = ZoneInfo("Europe/Helsinki")
SERIES_TITLE = "Minä, tunteet ja taidot – syksyn ryhmä"  # demo data, not a translation
KAISLA = "Kaisla"
LUMIKKI = "Lumikki"
HIDDEN = "hidden"  # the report's marker for a suppressed figure, in English


# ---- people and pages ---------------------------------------------------------------------------


def new_personal_link(coordinator: Page, series_id: str, pseudonym: str) -> str:
    """Makes a new personal link for an enrolled parent from the series page's enrolments, as for
    a parent who lost theirs, and returns it: the answer to that post shows it once."""
    coordinator.goto(f"/staff/series/{series_id}")
    row = coordinator.locator("table.enrolments > tbody > tr").filter(
        has=coordinator.get_by_role("rowheader", name=pseudonym, exact=True)
    )
    expect(row).to_have_count(1)
    reissue = row.locator(
        f'form[action^="/staff/series/{series_id}/enrolments/"][action$="/reissue"]'
    )
    reissue.locator('button[type="submit"]').click()
    expect(coordinator).to_have_url(
        re.compile(rf"/staff/series/{series_id}/enrolments/\d+/reissue$")
    )
    link = coordinator.locator("input.link-box")
    expect(link).to_have_value(re.compile(r"/me/[^/]+$"))
    return link.input_value()


def join_and_wait(parent: Page, personal_link: str, session_id: str) -> None:
    """Joins the session from the personal page; the room is not open yet, so they wait."""
    parent.goto(personal_link)
    join = parent.locator(f'a[href*="/sessions/{session_id}/"][href$="/room"]')
    expect(join).to_have_count(1)
    join.click()
    expect(parent).to_have_url(re.compile(rf"/me/sessions/{session_id}/room$"))
    expect(status(parent)).to_contain_text("not open yet")
    expect(parent.locator("#room-grid")).to_be_hidden()


def give_feedback(parent: Page, session_id: str, q1: int, q2: int, q3: str) -> None:
    """Answers the session's feedback through the ended room's button: two scales and a text."""
    parent.locator("#room-feedback").click()
    expect(parent).to_have_url(re.compile(rf"/me/feedback/{session_id}$"))
    form = parent.locator(f'form[action$="/feedback/{session_id}"]')
    form.locator(f'input[type="radio"][name="q1"][value="{q1}"]').check()
    form.locator(f'input[type="radio"][name="q2"][value="{q2}"]').check()
    form.locator('textarea[name="q3"]').fill(q3)
    form.locator('button[type="submit"]').click()
    expect(parent).to_have_url(re.compile(r"/me\?answered=feedback$"))
    expect(parent.locator('p.notice[role="status"]')).to_be_visible()
    # Answered once: the personal page no longer offers this session's feedback.
    expect(parent.locator(f'a[href$="/feedback/{session_id}"]')).to_have_count(0)


def cells(table: Locator) -> list[list[str]]:
    """The body rows of a report table, each as the text of its cells (row header first)."""
    return [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in table.locator("tbody > tr").all()
    ]


def pdf_text(path: Path) -> str:
    """The text of every page, as pypdf extracts it, with each run of white space made one
    space: table cells and wrapped lines come out on lines of their own."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# ---- the session and the report -----------------------------------------------------------------


def test_held_session_and_feedback_reach_the_pdf_report(new_context: NewContext) -> None:
    # The coordinator moves the autumn group's next session to start in ten minutes and makes new
    # personal links for two parents who came to the earlier sessions.
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)
    links = {name: new_personal_link(coordinator, series_id, name) for name in (KAISLA, LUMIKKI)}

    # Both join before the room opens, and wait.
    kaisla = new_context(lang="en").new_page()
    lumikki = new_context(lang="en").new_page()
    join_and_wait(kaisla, links[KAISLA], session_id)
    join_and_wait(lumikki, links[LUMIKKI], session_id)

    # The facilitator lets newcomers straight in and opens the room: the two who waited are in
    # at once, so they are present for the whole time the room runs.
    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
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

    # The facilitator ends the session; the parents' room pages then offer the feedback.
    facilitator.locator("#room-end").click()
    for page in (facilitator, kaisla, lumikki):
        expect(page.locator("#room-status")).to_have_attribute("data-tone", "final")
    for parent in (kaisla, lumikki):
        expect(parent.locator("#room-feedback")).to_be_visible()
        expect(parent.locator("#chat-text")).to_be_disabled()  # the log stays to read

    # Both answer. Kaisla answers first, with the text that sorts last: the report must list the
    # written answers sorted, not in the order given (which could tell who wrote what).
    kaisla_text = "Toivon lisää harjoituksia kotiin."
    lumikki_text = "Kiitos, tämä auttoi minua paljon."
    give_feedback(kaisla, session_id, 5, 4, kaisla_text)
    give_feedback(lumikki, session_id, 4, 5, lumikki_text)

    # The report page: 5 sessions held, 7 started, 24 + 2 = 26 attendances of 7 × 5 = 35 places.
    coordinator.goto(f"/staff/series/{series_id}/report")
    commitment = coordinator.locator("#report-commitment")
    expect(commitment).to_contain_text("26 / (7 × 5) = 26 / 35 = 74.29 %")
    assert cells(commitment.locator("table")) == [
        ["Attendances", "26"],
        ["Participants who started", "7"],
        ["Sessions held", "5"],
        ["Places (started × sessions held)", "35"],
        ["Commitment", "74.29 %"],
    ]
    # Per session: the new session's 2 present is hidden (fewer than 3), and so is the next
    # smallest count (5), or 26 minus the shown ones would give the 2 back.
    attendance = cells(coordinator.locator("#report-attendance table"))
    held = [row for row in attendance if row[3] == "Held"]
    assert [row[4] for row in held] == ["7", "6", "6", HIDDEN, HIDDEN]
    # Feedback: the two new answers are counted, and the written ones listed sorted, unnamed.
    feedback = coordinator.locator("#report-feedback")
    expect(feedback).to_contain_text("Responses: 26.")
    tables = feedback.locator("table")
    assert [row[1] for row in cells(tables.first)] == ["26", "26"]
    written = [row[0] for row in cells(tables.last)]
    assert kaisla_text in written
    assert lumikki_text in written
    assert written == sorted(written, key=str.casefold)
    page_text = coordinator.locator("main").inner_text()
    for pseudonym in PARENTS:
        assert pseudonym not in page_text

    # The PDF, downloaded as the coordinator does, says the same.
    with coordinator.expect_download() as download_info:
        coordinator.locator(f'a[href="/staff/series/{series_id}/report.pdf"]').click()
    download = download_info.value
    assert download.suggested_filename == f"tupa-report-series-{series_id}.pdf"
    pdf = pdf_text(download.path())
    for figure in (
        "26 / (7 × 5) = 26 / 35 = 74.29 %",
        "Attendances 26",
        "Participants who started 7",
        "Sessions held 5",
        "Places (started × sessions held) 35",
        "Commitment 74.29 %",
        "Responses: 26.",
    ):
        assert figure in pdf, f"{figure!r} is not in the PDF:\n{pdf}"
    for row in attendance:  # each session's row, the same cells as on the page
        assert " ".join(row) in pdf, f"{row!r} is not in the PDF:\n{pdf}"
    assert pdf.index(lumikki_text) < pdf.index(kaisla_text)  # sorted, as on the page
    for pseudonym in PARENTS:
        assert pseudonym not in pdf, f"{pseudonym} is named in the PDF"
    for line in lines:  # what was said in the room is not evaluation data
        assert line not in pdf
