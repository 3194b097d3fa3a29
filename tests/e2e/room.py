"""Steps the browser tests share: moving a session to "soon", and the room page's basics."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Dialog, Locator, Page, expect

HELSINKI = ZoneInfo("Europe/Helsinki")


def accept_dialogs(page: Page) -> None:
    """The room asks confirm() before opening, ending, deleting and removing: say yes."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def move_next_session_to_soon(coordinator: Page, series_title: str) -> tuple[str, str]:
    """Moves the series' next session (the first one that can still be moved: held ones cannot)
    to ten minutes from now (Finnish time), through the series page's move form. Returns the
    series id and the session id."""
    coordinator.goto("/staff")
    coordinator.locator('a[href^="/staff/series/"]', has_text=series_title).first.click()
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


def open_room_without_lobby(facilitator: Page, session_id: str) -> None:
    """The facilitator (logged in) enters the room, turns the lobby off and opens it: whoever
    waits comes straight in."""
    accept_dialogs(facilitator)
    facilitator.goto(f"/staff/sessions/{session_id}/room")
    expect(facilitator.locator("#room-grid")).to_be_visible()
    expect(facilitator.locator("#set-lobby")).to_be_checked()  # the room's settings are here
    facilitator.locator("#set-lobby").uncheck()
    expect(facilitator.locator("#chat-log > li.note").last).to_contain_text("come straight in")
    facilitator.locator("#room-open").click()
    expect(facilitator.locator("#room-open")).to_be_hidden()
