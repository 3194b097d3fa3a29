"""End to end, in Chromium: a parent is asked before posting a phone number (issue 21).

The room answers the message with a question instead of posting it; "Edit" (here by Esc) keeps
the text in the box, "Send anyway" posts it, and only the facilitator sees it marked.
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
TEXT = "Soita mulle 040 123 4567 niin jutellaan"


def test_a_parent_is_asked_before_posting_a_phone_number_and_may_edit_or_send_anyway(
    new_context: Callable[..., BrowserContext],
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)
    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    parent = new_context(lang="en").new_page()
    enrol_and_join(parent, series_id, session_id, "Varovainen")
    expect(parent.locator("#chat-text")).to_be_enabled()

    box = parent.locator("#chat-text")
    box.fill(TEXT)
    box.press("Enter")
    dialog = parent.get_by_role("dialog", name="Send this?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This looks like a phone number.")
    expect(dialog).to_contain_text("Everyone in the room will see it.")
    expect(dialog.get_by_role("button", name="Edit")).to_be_focused()  # the safe answer first

    parent.keyboard.press("Escape")  # the same as Edit
    expect(dialog).to_have_count(0)
    expect(box).to_have_value(TEXT)
    expect(box).to_be_focused()
    expect(chat_texts(facilitator).filter(has_text=TEXT)).to_have_count(0)

    box.press("Enter")
    dialog = parent.get_by_role("dialog", name="Send this?")
    dialog.get_by_role("button", name="Send anyway").click()
    expect(chat_texts(parent).filter(has_text=TEXT)).to_have_count(1)
    posted = facilitator.locator("#chat-log > li.msg[data-seq]").filter(has_text=TEXT)
    expect(posted.locator(".msg-flagged")).to_have_text("Sent after a warning: a phone number")
    mine = parent.locator("#chat-log > li.msg[data-seq]").filter(has_text=TEXT)
    expect(mine.locator(".msg-flagged")).to_have_count(0)  # for moderators only
