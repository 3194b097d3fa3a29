"""End to end, in Chromium: a series that holds identifying details (issue 21, point 2).

The coordinator ticks the setting on the series page; a parent sends a phone number anyway and
sees it waiting; the facilitator approves it and the other parent then sees it, and a second one
is rejected, which only its author is told.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.playwright_api import BrowserContext, expect
from tests.e2e.room import (
    chat_texts,
    enrol_and_join,
    move_next_session_to_soon,
    open_room_without_lobby,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

SERIES_TITLE = "Tukea eron jälkeiseen vanhemmuuteen"  # demo data, a chat session
PHONE = "Soita mulle 040 123 4567 niin jutellaan"
ADDRESS = "Asun osoitteessa Hämeenkatu 3 B 12"


def test_a_held_message_waits_for_the_facilitator_who_approves_or_rejects_it(
    new_context: Callable[..., BrowserContext],
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)
    coordinator.goto(f"/staff/series/{series_id}")
    coordinator.get_by_label(
        "Hold messages with identifying details for a moderator's approval"
    ).check()
    setting = coordinator.locator("section[aria-labelledby=holding-heading]")
    setting.get_by_role("button", name="Save").click()
    expect(coordinator.get_by_role("status")).to_contain_text("Rooms opened from now on follow it")

    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    author = new_context(lang="en").new_page()
    enrol_and_join(author, series_id, session_id, "Varovainen")
    other = new_context(lang="en").new_page()
    enrol_and_join(other, series_id, session_id, "Toinen")

    for text in (PHONE, ADDRESS):
        box = author.locator("#chat-text")
        box.fill(text)
        box.press("Enter")
        author.get_by_role("dialog", name="Send this?").get_by_role(
            "button", name="Send anyway"
        ).click()
        mine = author.locator("#chat-log > li.held").filter(has_text=text)
        expect(mine).to_contain_text("Waiting for the facilitator's approval.")
    expect(author.locator("#chat-log li.pending")).to_have_count(0)  # no "Sending…" left behind

    held = facilitator.locator("#chat-log > li.held")
    expect(held).to_have_count(2)
    expect(held.first).to_contain_text("Held for your approval")
    expect(chat_texts(other).filter(has_text=PHONE)).to_have_count(0)

    held.filter(has_text=PHONE).get_by_role("button", name="Approve").click()
    expect(chat_texts(other).filter(has_text=PHONE)).to_have_count(1)
    expect(author.locator("#chat-log > li.held")).to_have_count(1)
    expect(chat_texts(author).filter(has_text=PHONE)).to_have_count(1)

    held.filter(has_text=ADDRESS).get_by_role("button", name="Reject").click()
    expect(author.locator("#chat-log")).to_contain_text(
        "The facilitator did not approve your message."
    )
    expect(author.locator("#chat-log")).not_to_contain_text(ADDRESS)
    expect(facilitator.locator("#chat-log > li.held")).to_have_count(0)
    expect(other.locator("#chat-log")).not_to_contain_text(ADDRESS)
