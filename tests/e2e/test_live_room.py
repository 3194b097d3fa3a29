"""End to end, in a real browser: a facilitator runs a live chat session with two parents.

Three browser contexts (three people): the demo facilitator and two parents who enrol through
the public page. Everything is done through the pages as people would do it: the coordinator
moves the demo series' first session to start in ten minutes, the parents join from their
personal pages and wait in the waiting room, the facilitator opens the room and lets them in.
Then: chat both ways, a deleted message, a private 1:1 thread, a parent whose network drops for
a few seconds and who misses nothing, and a removed parent.

Elements are found by id and data attributes; wording is only read where the room has nothing
else to go by (its status line and its notes), and then in English (``/?lang=en``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.playwright_api import (
    BrowserContext,
    Locator,
    Page,
    expect,
)
from tests.e2e.room import (
    RoomSocketLine,
    accept_dialogs,
    chat_texts,
    enrol_and_join,
    move_next_session_to_soon,
    say,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

HELSINKI = ZoneInfo("Europe/Helsinki")
SERIES_TITLE = "Tukea eron jälkeiseen vanhemmuuteen"  # program data, not a translation
PIHLAJA = "Pihlaja"
KANERVA = "Kanerva"
# The client's reconnect backoff caps at 30 s; the browser's `online` event skips the wait.
RECONNECT_TIMEOUT_MS = 40_000


# ---- people and pages ---------------------------------------------------------------------------


def member(page: Page, name: str) -> Locator:
    return page.locator("#member-list > li.member").filter(
        has=page.locator(".member-name", has_text=re.compile(rf"^{name}$"))
    )


def member_actions(page: Page, name: str) -> Locator:
    """The facilitator's action menu for one member, unfolded."""
    actions = member(page, name).locator("details.member-actions")
    if actions.get_attribute("open") is None:
        actions.locator("summary").click()
    expect(actions).to_have_attribute("open", "")
    return actions


def thread_with(page: Page, name: str) -> Locator:
    return page.locator("#thread-list > details.thread").filter(has_text=name)


def write_in_thread(page: Page, thread: Locator, text: str) -> None:
    thread.locator("textarea").fill(text)
    thread.locator("textarea").press("Enter")
    expect(thread.locator("li.msg:not(.pending) .msg-text").filter(has_text=text)).to_have_count(1)


# ---- the session --------------------------------------------------------------------------------


def test_facilitator_runs_a_live_chat_with_two_parents(
    new_context: NewContext, tmp_path: Path
) -> None:
    # The coordinator moves the demo series' first session to start in ten minutes.
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)

    # Two parents enrol and join; the room is not open yet, so they wait.
    pihlaja_context = new_context(lang="en")
    kanerva_context = new_context(lang="en")
    pihlaja = pihlaja_context.new_page()
    kanerva_line = RoomSocketLine(kanerva_context)
    kanerva = kanerva_context.new_page()
    enrol_and_join(pihlaja, series_id, session_id, PIHLAJA)
    enrol_and_join(kanerva, series_id, session_id, KANERVA)
    for parent in (pihlaja, kanerva):
        expect(status(parent)).to_contain_text("not open yet")
        expect(parent.locator("#room-grid")).to_be_hidden()

    # The facilitator goes to the room from the dashboard and opens it.
    facilitator = new_context(lang="en").new_page()
    accept_dialogs(facilitator)
    log_in(facilitator, FACILITATOR_EMAIL)
    facilitator.locator(f'a[href="/staff/sessions/{session_id}/room"]').click()
    expect(facilitator).to_have_url(re.compile(rf"/staff/sessions/{session_id}/room$"))
    expect(facilitator.locator("#room-grid")).to_be_visible()
    facilitator.locator("#room-open").click()
    expect(facilitator.locator("#room-open")).to_be_hidden()

    # The parents now wait in the waiting room; the facilitator lets them in one by one.
    for parent in (pihlaja, kanerva):
        expect(status(parent)).to_contain_text("Waiting for the facilitator")
        expect(parent.locator("#room-grid")).to_be_hidden()
    lobby = facilitator.locator("#lobby-list > li")
    expect(lobby).to_have_count(2)
    for name, parent in ((PIHLAJA, pihlaja), (KANERVA, kanerva)):
        facilitator.locator(
            f'#lobby-list > li[data-name="{name}"] button[data-act="admit"]'
        ).click()
        expect(parent.locator("#room-grid")).to_be_visible()
        expect(parent.locator("#chat-form")).to_be_visible()
        expect(member(facilitator, name)).to_have_count(1)
    expect(lobby).to_have_count(0)
    for page in (facilitator, pihlaja, kanerva):
        expect(page.locator("#member-list > li.member")).to_have_count(3)

    # Chat both ways.
    say(facilitator, "Tervetuloa ryhmään!")
    say(pihlaja, "Kiitos, kiva olla täällä.")
    say(kanerva, "Hei kaikille.")
    for page in (facilitator, pihlaja, kanerva):
        expect(chat_texts(page)).to_have_text(
            ["Tervetuloa ryhmään!", "Kiitos, kiva olla täällä.", "Hei kaikille."]
        )
        expect(page.locator("#chat-log > li.msg.staff .msg-text")).to_have_text(
            ["Tervetuloa ryhmään!"]
        )

    # The facilitator deletes a parent's message: it is gone for everyone.
    regret = "Tämän viestin poistan pian."
    say(pihlaja, regret)
    for page in (facilitator, kanerva):
        expect(chat_texts(page).filter(has_text=regret)).to_have_count(1)
    doomed = facilitator.locator("#chat-log > li.msg").filter(has_text=regret)
    seq = doomed.get_attribute("data-seq")
    assert seq is not None
    doomed.locator('button[data-act="delete"]').click()
    for page in (facilitator, pihlaja, kanerva):
        expect(page.locator(f'#chat-log > li.msg.deleted[data-seq="{seq}"]')).to_have_count(1)
        expect(page.locator("#chat-log")).not_to_contain_text(regret)
        expect(chat_texts(page)).to_have_count(3)
    # Parents cannot delete; they can report instead.
    expect(pihlaja.locator('#chat-log button[data-act="delete"]').first).to_be_hidden()

    # A private 1:1: the facilitator writes to Pihlaja, who answers; Kanerva sees neither.
    secret = "Haluatko jutella kahden kesken?"
    secret_reply = "Kyllä, kiitos kysymästä."
    member_actions(facilitator, PIHLAJA).locator('button[data-act="private"]').click()
    facilitator_thread = thread_with(facilitator, PIHLAJA)
    expect(facilitator_thread).to_have_count(1)
    write_in_thread(facilitator, facilitator_thread, secret)
    expect(pihlaja.locator("#threads")).to_be_visible()
    pihlaja_thread = pihlaja.locator("#thread-list > details.thread")
    expect(pihlaja_thread).to_have_count(1)
    expect(pihlaja_thread.locator("li.msg .msg-text")).to_have_text([secret])
    write_in_thread(pihlaja, pihlaja_thread, secret_reply)
    expect(facilitator_thread.locator("li.msg:not(.pending) .msg-text")).to_have_text(
        [secret, secret_reply]
    )
    for page in (facilitator, pihlaja):
        expect(page.locator("#chat-log")).not_to_contain_text(secret)
        expect(page.locator("#chat-log")).not_to_contain_text(secret_reply)
    say(facilitator, "Jatketaan yhteistä keskustelua.")  # Kanerva's view is current after this
    expect(chat_texts(kanerva).last).to_have_text("Jatketaan yhteistä keskustelua.")
    expect(kanerva.locator("#threads")).to_be_hidden()
    kanerva_html = kanerva.content()
    assert secret not in kanerva_html
    assert secret_reply not in kanerva_html

    # Kanerva's network drops for a few seconds while three messages are sent; when it comes
    # back, the page reconnects by itself and shows each of them once, in order, without a reload.
    missed = ["Ensimmäinen poissaollessa.", "Toinen poissaollessa.", "Kolmas poissaollessa."]
    before = chat_texts(kanerva).all_inner_texts()
    seen = max(
        int(seq)
        for seq in kanerva.locator("#chat-log > li[data-seq]").evaluate_all(
            "items => items.map((li) => li.dataset.seq)"
        )
    )
    assert len(kanerva_line.connections) == 1
    kanerva_line.cut()
    offline_at = time.monotonic()
    expect(status(kanerva)).to_contain_text("Reconnecting")
    expect(member(facilitator, KANERVA)).to_have_class(re.compile(r"\boffline\b"))
    kanerva_context.set_offline(True)
    say(facilitator, missed[0])
    say(pihlaja, missed[1])
    say(facilitator, missed[2])
    kanerva.wait_for_timeout(max(0.0, 4.0 - (time.monotonic() - offline_at)) * 1000)
    expect(chat_texts(kanerva)).to_have_text(before)  # nothing arrived while offline
    kanerva_line.restore()
    kanerva_context.set_offline(False)  # the page's `online` listener reconnects at once
    expect(chat_texts(kanerva)).to_have_text([*before, *missed], timeout=RECONNECT_TIMEOUT_MS)
    expect(status(kanerva)).not_to_contain_text("Reconnecting")
    assert kanerva_line.refused >= 1, "it tried to reconnect while offline"
    assert len(kanerva_line.connections) == 2, "one new socket once back online"
    resumed = kanerva_line.connections[1]
    # It resumed from the last event it had seen, and the welcome carried just what it missed.
    assert resumed.first("hello", resumed.sent) == {"type": "hello", "v": 1, "last_seq": seen}
    welcome = resumed.first("welcome", resumed.received)
    assert [e["text"] for e in welcome["events"] if e["type"] == "message"] == missed
    assert all(e["seq"] > seen for e in welcome["events"] if "seq" in e)
    expect(member(facilitator, KANERVA)).not_to_have_class(re.compile(r"\boffline\b"))  # here again
    for page in (facilitator, pihlaja):
        expect(chat_texts(page)).to_have_text([*before, *missed])
    kanerva.wait_for_timeout(500)  # a late duplicate would show up now
    expect(chat_texts(kanerva)).to_have_text([*before, *missed])

    # The facilitator removes Pihlaja: her page says so and the chat is gone from it.
    member_actions(facilitator, PIHLAJA).locator('button[data-act="remove"]').click()
    expect(pihlaja.locator("#room-status")).to_have_attribute("data-tone", "final")
    expect(status(pihlaja)).to_contain_text("removed you")
    expect(pihlaja.locator("#room-grid")).to_be_hidden()
    expect(pihlaja.locator("#chat-form")).to_be_hidden()
    expect(pihlaja.locator("#room-back")).to_be_visible()
    for page in (facilitator, kanerva):
        expect(member(page, PIHLAJA)).to_have_count(0)
        expect(page.locator("#chat-log > li.note")).to_contain_text(
            [re.compile(rf"{PIHLAJA} was removed")]
        )
    # Her messages stay in the others' logs: removing a person does not delete what they said.
    expect(chat_texts(kanerva).filter(has_text=missed[1])).to_have_count(1)

    # For a look at the layout: E2E_SCREENSHOT_DIR=/some/dir keeps them (default: pytest's tmp).
    shots = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path)
    for page in (facilitator, kanerva, pihlaja):
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-picture
    facilitator.screenshot(path=shots / "room-facilitator.png", full_page=True)
    kanerva.screenshot(path=shots / "room-parent.png", full_page=True)
    pihlaja.screenshot(path=shots / "room-parent-removed.png", full_page=True)
