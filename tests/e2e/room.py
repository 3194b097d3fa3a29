"""Steps the browser tests share: moving a session to "soon", the room page's basics, the frames
a page exchanges, and a server with other settings."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.playwright_api import (
    EXPECT_TIMEOUT_MS,
    BrowserContext,
    Dialog,
    Locator,
    Page,
    PlaywrightTimeout,
    WebSocket,
    WebSocketRoute,
    expect,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
REPO_ROOT = Path(__file__).resolve().parents[2]
# The room socket: staff at /ws/rooms/N, parents under /me, where their device cookie goes.
ROOM_SOCKET = re.compile(r"/(ws/rooms/\d+|me/rooms/\d+/socket)(\?|$)")


def accept_dialogs(page: Page) -> None:
    """The room asks confirm() before opening, ending, deleting and removing: say yes."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


HREFS = "links => links.map((link) => link.getAttribute('href'))"


def move_next_session_to_soon(coordinator: Page, series_title: str) -> tuple[str, str]:
    """Moves the series' next session (the first one that can still be moved: held ones cannot)
    to ten minutes from now (Finnish time), through the series page's move form. Returns the
    series id and the session id.

    Of the series with that title, the first planned: with ``--demo`` the live demo rooms
    (server/demo_rooms) are series of the same programs, planned after the demo data and opened
    by their simulated facilitator, which would let nobody else open them."""
    coordinator.goto("/staff")
    links = coordinator.locator('a[href^="/staff/series/"]', has_text=series_title)
    expect(links.first).to_be_visible()
    ids = {int(str(href).rsplit("/", 1)[1]) for href in links.evaluate_all(HREFS)}
    coordinator.goto(f"/staff/series/{min(ids)}")
    series_id = str(min(ids))

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


# ---- media ------------------------------------------------------------------------------------


@dataclass
class Frames:
    """Every room-socket frame one page sent and received (parsed), for checks afterwards."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def of(self, frame_type: str, *, received: bool = True) -> list[dict[str, Any]]:
        frames = self.received if received else self.sent
        return [frame for frame in frames if frame.get("type") == frame_type]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.of("error")


def record_frames(page: Page) -> Frames:
    """Starts keeping the frames of this page's room sockets (also those opened later)."""
    frames = Frames()

    def on_socket(socket: WebSocket) -> None:
        if not ROOM_SOCKET.search(socket.url):
            return

        def keep(into: list[dict[str, Any]]) -> Callable[[str | bytes], None]:
            def add(payload: str | bytes) -> None:
                into.append(json.loads(payload))

            return add

        socket.on("framesent", keep(frames.sent))
        socket.on("framereceived", keep(frames.received))

    page.on("websocket", on_socket)
    return frames


class RelayRefusal:
    """Stands in for a relay that is down, once: this person's first `relay` `publish` is
    answered with `error` `relay_unavailable` (the server's answer when the relay process cannot
    be reached) without reaching the server; everything else passes unchanged. A routed socket
    is not seen by ``record_frames``: `frames` keeps what went each way (the refusal too)."""

    def __init__(self, context: BrowserContext) -> None:
        self.refused: list[dict[str, Any]] = []
        self.frames = Frames()
        context.route_web_socket(ROOM_SOCKET, self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def upstream(message: str | bytes) -> None:
            frame = json.loads(message)
            self.frames.sent.append(frame)
            if frame.get("type") == "relay" and frame.get("kind") == "publish" and not self.refused:
                self.refused.append(frame)
                error = {"type": "error", "code": "relay_unavailable", "cid": frame.get("cid")}
                error["message"] = "Video is not available right now."
                self.frames.received.append(error)
                socket.send(json.dumps(error))
                return
            server.send(message)

        def downstream(message: str | bytes) -> None:
            self.frames.received.append(json.loads(message))
            socket.send(message)

        socket.on_message(upstream)
        server.on_message(downstream)


def enrol_and_join(parent: Page, series_id: str, session_id: str, pseudonym: str) -> None:
    """Enrols under `pseudonym` from the public page, then joins from the personal page."""
    parent.goto(f"/series/{series_id}")
    form = parent.locator(f'form[action="/series/{series_id}/enrol"]')
    expect(form.locator('input[name="csrf_token"]')).to_have_value(re.compile(r".{16,}"))
    form.locator("#pseudonym").fill(pseudonym)
    form.locator('button[type="submit"]').click()
    expect(parent.locator("#personal-link")).to_have_value(re.compile(r"/me/[^/]+$"))
    personal_link = parent.locator("#personal-link").input_value()

    parent.goto(personal_link)
    join = parent.locator(f'a[href*="/sessions/{session_id}/"][href$="/room"]')
    expect(join).to_have_count(1)
    join.click()
    expect(parent).to_have_url(re.compile(rf"/me/sessions/{session_id}/room$"))


@dataclass
class Connection:
    """One room socket through the line, with the frames that went each way."""

    page_side: WebSocketRoute
    server_side: WebSocketRoute
    sent: list[dict[str, Any]] = field(default_factory=list)  # page → server
    received: list[dict[str, Any]] = field(default_factory=list)  # server → page

    def first(self, kind: str, frames: list[dict[str, Any]]) -> dict[str, Any]:
        return next(frame for frame in frames if frame.get("type") == kind)


class RoomSocketLine:
    """The line between one person's room page and the server, which the test can cut.

    ``context.set_offline(True)`` makes Chromium fail new connections and fire ``offline``, but a
    WebSocket that is already open only stalls (Playwright issue #4910): its frames arrive late,
    on the same socket, once the network is back, so nothing would have to be resumed. So the
    room socket goes through Playwright (``route_web_socket``) and a network drop is played in
    full: the open socket is cut (the page sees close 1006, the server sees the connection go),
    and new sockets are refused, as an offline browser refuses them, until the line is restored.
    The frames are passed on unchanged, and kept, so the test can see what a resume carried.
    """

    def __init__(self, context: BrowserContext) -> None:
        self.up = True
        self.refused = 0
        self.connections: list[Connection] = []
        self._open: list[Connection] = []
        context.route_web_socket(ROOM_SOCKET, self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        if not self.up:
            self.refused += 1
            socket.close(code=1006)
            return
        server = socket.connect_to_server()
        connection = Connection(socket, server)

        def upstream(message: str | bytes) -> None:
            connection.sent.append(json.loads(message))
            server.send(message)

        def downstream(message: str | bytes) -> None:
            connection.received.append(json.loads(message))
            socket.send(message)

        socket.on_message(upstream)
        server.on_message(downstream)
        self.connections.append(connection)
        self._open.append(connection)

    def cut(self) -> None:
        self.up = False
        while self._open:
            connection = self._open.pop()
            connection.page_side.close(code=1006)
            connection.server_side.close()  # a browser may only send 1000 or 3000-4999 itself

    def restore(self) -> None:
        self.up = True


IN_VIEW = """selector => {
  const box = document.querySelector(selector)?.getBoundingClientRect();
  return Boolean(box) && box.top + scrollY >= 0 && box.bottom + scrollY <= innerHeight;
}"""


def expect_in_view(page: Page, selector: str) -> None:
    """The whole element is on the screen with the page at its top, without scrolling (waiting
    for the room's layout to settle once it has opened)."""
    page.evaluate("window.scrollTo(0, 0)")
    try:
        page.wait_for_function(IN_VIEW, arg=selector, timeout=EXPECT_TIMEOUT_MS)
    except PlaywrightTimeout:
        box = page.locator(selector).bounding_box()
        raise AssertionError(f"{selector} is not in view: {box}, {page.viewport_size}") from None
