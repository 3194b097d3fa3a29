"""Help inside the room (issue 21, points 3 and 5): on a phone-sized screen a parent opens the
"Help now" panel with the keyboard alone (Enter and Space), sees the help lines as telephone
links, and opening it sends nothing at all, neither a request nor a room frame; with the panel
closed the message box is on the screen. Then the parent asks "I need to talk", the facilitator
sees who waits, opens the private conversation from that list and answers, and the parent's
notice goes away.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e.playwright_api import (
    BrowserContext,
    Page,
    Request,
    ViewportSize,
    expect,
)
from tests.e2e.room import (
    enrol_and_join,
    expect_in_view,
    move_next_session_to_soon,
    open_room_without_lobby,
    record_frames,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

SERIES_TITLE = "Tukea eron jälkeiseen vanhemmuuteen"  # demo data, a chat session
PHONE: ViewportSize = {"width": 390, "height": 844}
MOST_TABS = 20
ANSWER = "Hei Kanerva, olen tässä. Kirjoita kun ehdit."


def tab_to(page: Page, selector: str) -> None:
    """Presses Tab from the top of the page until the focused element matches."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"{selector} not reached in {MOST_TABS} presses of Tab")


def test_help_is_one_key_away_tells_nobody_and_a_parent_can_ask_the_facilitator_for_a_word(
    new_context: NewContext,
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)
    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)

    parent = new_context(lang="en").new_page()
    parent.set_viewport_size(PHONE)
    frames = record_frames(parent)
    enrol_and_join(parent, series_id, session_id, "Kanerva")
    expect(parent.locator("#room-grid")).to_be_visible()
    expect(parent.locator("#talk-ask")).to_be_visible()

    # The panel, by keyboard alone: Enter opens and closes it, and so does Space.
    requests: list[str] = []

    def keep(request: Request) -> None:
        requests.append(request.url)

    parent.on("request", keep)
    sent_before = [f for f in frames.sent if f.get("type") != "ping"]
    panel = parent.locator("#help-now-panel")
    parent.evaluate("document.activeElement?.blur()")
    tab_to(parent, "#help-now > summary")
    for key in ("Enter", "Space"):
        parent.keyboard.press(key)
        expect(panel).to_be_visible()
        phones = panel.locator('a[href^="tel:"]')
        expect(phones.first).to_be_visible()
        assert phones.count() >= 3  # 112, the Nollalinja and the crisis helpline at least
        assert "112" in [phone.inner_text() for phone in phones.all()]
        parent.keyboard.press(key)
        expect(panel).to_be_hidden()
    parent.remove_listener("request", keep)
    assert requests == [], f"opening Help now sent requests: {requests}"
    assert [f for f in frames.sent if f.get("type") != "ping"] == sent_before
    expect_in_view(parent, "#chat-text")

    # "I need to talk": the parent is told it went, the facilitator sees who waits.
    parent.locator("#talk-ask").click()
    expect(parent.locator("#talk-told")).to_be_visible()
    expect(parent.locator("#talk-ask")).to_be_hidden()
    waiting = facilitator.locator("#talk-list > li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Kanerva")
    expect(facilitator.locator("#talk-waiting")).to_have_class(re.compile(r"\bhas-waiting\b"))
    expect(facilitator.locator("#talk-jump")).to_have_text(re.compile(r":\s*1$"))
    expect(facilitator.locator("#talk-announce")).to_have_text(re.compile("Kanerva asks to talk"))

    # From the list to the 1:1 conversation; the answer settles the parent's wish.
    waiting.locator('button[data-act="private"]').click()
    box = facilitator.locator("#thread-list textarea")
    expect(box).to_be_focused()
    box.fill(ANSWER)
    box.press("Enter")
    expect(parent.locator("#thread-list .msg-text")).to_have_text(ANSWER)
    expect(parent.locator("#talk-told")).to_be_hidden()
    expect(parent.locator("#talk-ask")).to_be_visible()
    expect(waiting).to_have_count(0)
    expect(facilitator.locator("#talk-jump")).to_be_hidden()
    assert [f["state"] for f in frames.of("need_to_talk")] == ["pending", "answered"]
    assert frames.errors == []
