"""The room without a mouse (issue 15): a parent on a phone-sized screen joins, writes, answers a
private message and leaves through the quick exit, and a facilitator opens the room, lets the
parent in, deletes a message and mutes the parent, all with the keyboard alone (``Tab``,
``Enter``, the arrow keys and typing: nothing is clicked). The skip links reach the content and
the message box, and the message box is on the screen when the room opens, on the phone and on
the facilitator's laptop.

Playwright cannot press keys in the browser's own confirm() dialog: the test answers it yes, as
Enter would.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e.playwright_api import (
    BrowserContext,
    Locator,
    Page,
    Route,
    ViewportSize,
    expect,
)
from tests.e2e.room import (
    accept_dialogs,
    chat_texts,
    expect_in_view,
    move_next_session_to_soon,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

SERIES_TITLE = "Tukea eron jälkeiseen vanhemmuuteen"  # demo data, a chat session
NEUTRAL_SITE = "https://www.yle.fi/"  # the default quick exit; faked, the network is closed
PHONE: ViewportSize = {"width": 390, "height": 844}
LAPTOP: ViewportSize = {"width": 1280, "height": 720}
MOST_TABS = 40  # more than this between two places is itself a failure


# ---- the keyboard ------------------------------------------------------------------------------


def focused(page: Page, selector: str) -> bool:
    return bool(page.evaluate("s => document.activeElement?.matches(s) ?? false", selector))


def tab_to(page: Page, selector: str, *, backwards: bool = False, most: int = MOST_TABS) -> int:
    """Presses Tab (or Shift+Tab) until the focused element matches; returns how many presses."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, most + 1):
        page.keyboard.press(key)
        if focused(page, selector):
            return presses
    where = page.evaluate("document.activeElement?.outerHTML.slice(0, 200)")
    raise AssertionError(f"{selector} not reached in {most} × {key}; focus is on {where}")


def expect_focus(page: Page, selector: str) -> None:
    expect(page.locator(selector)).to_be_focused()


def log_items(page: Page) -> Locator:
    return page.locator("#chat-log > li")


def tab_stops(page: Page) -> Locator:
    """The log's tab stops: its messages and their buttons that Tab reaches."""
    return page.locator('#chat-log [tabindex="0"]:visible')


def serve_offline(page: Page) -> None:
    def neutral(route: Route) -> None:
        route.fulfill(body="neutral", content_type="text/plain")

    page.route(f"{NEUTRAL_SITE}**", neutral)


# ---- the session ------------------------------------------------------------------------------


def test_a_parent_and_a_facilitator_take_part_with_the_keyboard_alone(
    new_context: NewContext,
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)

    # The parent enrols and goes to the room from their page, on a phone-sized screen.
    parent = new_context(lang="en").new_page()
    parent.set_viewport_size(PHONE)
    serve_offline(parent)
    parent.goto(f"/series/{series_id}")
    tab_to(parent, "#pseudonym")
    parent.keyboard.type("Näppis")
    parent.keyboard.press("Enter")
    expect(parent.locator("#personal-link")).to_have_value(re.compile(r"/me/[^/]+$"))
    tab_to(parent, 'main a[href^="/me/"]')
    parent.keyboard.press("Enter")
    expect(parent).to_have_url(re.compile(r"/me$"))
    tab_to(parent, f'a[href="/me/sessions/{session_id}/room"]')
    parent.keyboard.press("Enter")
    expect(parent).to_have_url(re.compile(rf"/me/sessions/{session_id}/room$"))
    expect(status(parent)).to_contain_text("not open yet")
    expect(parent.locator("#skip-composer")).to_be_hidden()  # no message box to skip to yet

    # The facilitator opens the room and lets the parent in from the waiting room.
    facilitator = new_context(lang="en").new_page()
    facilitator.set_viewport_size(LAPTOP)
    accept_dialogs(facilitator)
    log_in(facilitator, FACILITATOR_EMAIL)
    facilitator.goto(f"/staff/sessions/{session_id}/room")
    expect(facilitator.locator("#room-grid")).to_be_visible()
    facilitator.keyboard.press("Tab")
    expect_focus(facilitator, "a.skip-link[href='#main']")
    facilitator.keyboard.press("Enter")
    expect_focus(facilitator, "#main")  # the base page's skip link
    tab_to(facilitator, "#room-open")
    facilitator.keyboard.press("Enter")
    expect(facilitator.locator("#room-open")).to_be_hidden()
    expect_focus(facilitator, "#chat-text")  # not lost with the button
    expect(status(parent)).to_contain_text("Waiting for the facilitator")
    tab_to(facilitator, "#lobby-jump", backwards=True)  # the chat's own way to the waiting room
    facilitator.keyboard.press("Enter")
    expect_focus(facilitator, "#lobby-title")
    facilitator.keyboard.press("Tab")
    expect_focus(facilitator, '#lobby-list button[data-act="admit"]')
    facilitator.keyboard.press("Enter")
    expect(parent.locator("#room-grid")).to_be_visible()
    expect(facilitator.locator("#lobby-list > li")).to_have_count(0)
    expect_in_view(parent, "#chat-form")  # the message box, without scrolling
    expect_in_view(facilitator, "#chat-form")

    # The facilitator writes; then no message adds a tab stop but the current one and its button.
    tab_to(facilitator, "#chat-text", backwards=True)
    for text in ("Tervetuloa!", "Aloitetaan esittelyillä.", "Kuka haluaa aloittaa?"):
        facilitator.keyboard.type(text)
        facilitator.keyboard.press("Enter")
        expect(chat_texts(parent).filter(has_text=text)).to_have_count(1)
    expect(tab_stops(parent)).to_have_count(2)  # the newest message and its Report button
    expect(parent.locator("#chat-log button:visible")).to_have_count(3)  # all still pressable

    # The parent's skip link goes straight to the message box; the parent writes there.
    parent.keyboard.press("Tab")
    expect_focus(parent, "a.skip-link[href='#main']")
    parent.keyboard.press("Tab")
    expect_focus(parent, "#skip-composer")
    parent.keyboard.press("Enter")
    expect_focus(parent, "#chat-text")
    parent.keyboard.type("Hei kaikille, olen Näppis.")
    parent.keyboard.press("Enter")
    expect(chat_texts(facilitator).filter(has_text="olen Näppis")).to_have_count(1)
    expect_focus(parent, "#chat-text")

    # Back from the box: the newest message (their own: nothing to report), then the arrows to
    # an older one and its button, and on to the box past every other message's buttons.
    parent.keyboard.press("Shift+Tab")
    expect_focus(parent, "#chat-log > li:last-child")
    parent.keyboard.press("ArrowUp")
    expect(log_items(parent).nth(-2)).to_be_focused()
    expect(log_items(parent).nth(-2)).to_contain_text("Kuka haluaa aloittaa?")
    parent.keyboard.press("Tab")
    expect(log_items(parent).nth(-2).locator('button[data-act="report"]')).to_be_focused()
    parent.keyboard.press("Tab")
    expect_focus(parent, "#chat-text")

    # The facilitator deletes the parent's message: Shift+Tab from the box to it, its button.
    tab_to(facilitator, '#chat-log > li:last-child button[data-act="delete"]', backwards=True)
    doomed = facilitator.locator("#chat-log > li:last-child")
    expect(doomed).to_contain_text("olen Näppis")
    seq = doomed.get_attribute("data-seq")
    facilitator.keyboard.press("Enter")
    for page in (facilitator, parent):
        expect(page.locator(f'#chat-log > li.msg.deleted[data-seq="{seq}"]')).to_have_count(1)
    expect_focus(facilitator, f'#chat-log > li.deleted[data-seq="{seq}"]')  # not lost

    # A private message: the facilitator opens a thread from the parent's actions and writes.
    tab_to(facilitator, "#member-list details.member-actions > summary")
    facilitator.keyboard.press("Enter")
    facilitator.keyboard.press("Tab")
    expect_focus(facilitator, '#member-list button[data-act="private"]')
    facilitator.keyboard.press("Enter")
    expect_focus(facilitator, "#thread-list textarea")
    facilitator.keyboard.type("Haluatko jutella kahden kesken?")
    facilitator.keyboard.press("Enter")

    # The parent answers: the thread comes after the chat in the keyboard's order.
    expect(parent.locator("#thread-list li.msg .msg-text")).to_have_text(
        ["Haluatko jutella kahden kesken?"]
    )
    tab_to(parent, "#thread-list textarea", most=8)
    parent.keyboard.type("Kyllä, kiitos.")
    parent.keyboard.press("Enter")
    expect(
        facilitator.locator("#thread-list li.msg:not(.pending) .msg-text").filter(
            has_text="Kyllä, kiitos."
        )
    ).to_have_count(1)

    # The facilitator mutes the parent from the same actions: focus stays on the button.
    tab_to(facilitator, '#member-list button[data-act="mute"][data-seconds="300"]')
    facilitator.keyboard.press("Enter")
    expect(parent.locator("#chat-state")).to_contain_text("muted you")
    expect_focus(facilitator, '#member-list button[data-act="mute"][data-seconds="300"]')
    expect(facilitator.locator("#chat-log > li.note").last).to_contain_text("Näppis cannot write")

    # The parent leaves through the quick exit, reached with Shift+Tab.
    tab_to(parent, "#quick-exit", backwards=True)
    parent.keyboard.press("Enter")
    parent.wait_for_url(f"{NEUTRAL_SITE}**")
    expect(facilitator.locator("#member-list li.member.offline")).to_contain_text("Näppis")

    # The demo series is shared with the other room tests, which take the next session that can
    # be moved: this one is cancelled, which also ends its room.
    coordinator.goto(f"/staff/series/{series_id}")
    session = coordinator.locator(f'ol.staff-sessions > li[data-session-id="{session_id}"]')
    session.locator("details > summary").focus()
    coordinator.keyboard.press("Enter")
    session.locator(f'form[action$="/sessions/{session_id}/cancel"] button').focus()
    coordinator.keyboard.press("Enter")
    expect(coordinator).to_have_url(re.compile(rf"/staff/series/{series_id}\?done="))
