"""A test client for the room protocol over a real WebSocket, recording every frame it receives."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from server.people.roles import Role
from server.scheduling import service as scheduling
from tests.conftest import Clock, LiveServer, csrf_of
from tests.factories import PASSWORD, a_staff_member, enrol_parent, seed_series

# A request to the in-process server; generous, as the whole suite shares two CPUs (a login once
# took more than httpx's 5 s default there).
HTTP_TIMEOUT = 30.0
# How long a frame the test expects may take: generous for the same reason (a room told of a
# moved session once answered after more than 5 s in CI). A test that checks that nothing comes
# passes its own, short timeout.
FRAME_TIMEOUT = 10.0


@dataclass
class RoomClient:
    ws: ClientConnection
    received: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    last_seq: int = 0
    welcome: dict[str, Any] = field(default_factory=dict)

    @property
    def peer(self) -> str:
        """This person's random peer id, from the last welcome."""
        return str(self.welcome["you"]["peer"])

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    async def say(self, text: str, cid: str | None = None) -> str:
        cid = cid or uuid.uuid4().hex
        await self.send(type="send", cid=cid, text=text)
        return cid

    async def next(self, timeout: float = FRAME_TIMEOUT) -> dict[str, Any]:
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(text, str)
        self.raw.append(text)
        frame: dict[str, Any] = json.loads(text)
        self.received.append(frame)
        if isinstance(frame.get("seq"), int) and frame["type"] != "welcome":
            self.last_seq = max(self.last_seq, frame["seq"])
        if frame["type"] == "welcome":
            self.welcome = frame
            self.last_seq = max(self.last_seq, frame["seq"])
        return frame

    async def expect(
        self, frame_type: str, /, timeout: float = FRAME_TIMEOUT, **match: Any
    ) -> dict[str, Any]:
        """Read frames until one of ``frame_type`` (whose fields include ``match``) arrives."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self.next(max(remaining, 0.01))
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def silent(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Frames that arrive within ``seconds`` (to check that nothing more came)."""
        frames = []
        try:
            while True:
                frames.append(await self.next(seconds))
        except TimeoutError:
            return frames

    async def closed_with(self, timeout: float = FRAME_TIMEOUT) -> int | None:
        try:
            while True:
                await self.next(timeout)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.ws.close()


async def connect(
    server: LiveServer,
    session_id: int,
    *,
    link: str | None = None,
    cookies: str | None = None,
    last_seq: int | None = None,
    hello: bool = True,
) -> RoomClient:
    if link is not None:  # a parent: their socket is under /me, where their device cookie goes
        url = f"{server.ws_url}/me/rooms/{session_id}/socket"
        device = await parent_device(server, link)
        cookies = f"tupa_me={device}" if device else cookies
    else:
        url = f"{server.ws_url}/ws/rooms/{session_id}"
    headers = {"Cookie": cookies} if cookies else {}
    ws = await websockets.connect(url, additional_headers=headers, max_size=2**22)
    client = RoomClient(ws)
    if hello:
        frame: dict[str, Any] = {"type": "hello", "v": 1}
        if last_seq is not None:
            frame["last_seq"] = last_seq
        await client.send(**frame)
    return client


_DEVICES: dict[str, str] = {}  # personal link -> the device secret it was swapped for


async def parent_device(server: LiveServer, link: str) -> str | None:
    """The device cookie a browser gets for ``link`` (None for a link that opens nothing). A link
    opens nothing while a device holds it, so the device is remembered and shown again, as the
    browser that opened it would."""
    cookies = {"tupa_me": _DEVICES[link]} if link in _DEVICES else {}
    async with httpx.AsyncClient(
        base_url=server.url, cookies=cookies, timeout=HTTP_TIMEOUT
    ) as http:
        opened = await http.get(f"/me/{link}")
    if opened.status_code != 200:
        return None
    fresh = opened.cookies.get("tupa_me")
    if fresh:
        _DEVICES[link] = fresh
    return _DEVICES.get(link)


async def staff_cookie(server: LiveServer, email: str) -> str:
    """Log in over HTTP and return the Cookie header a browser would send on the WebSocket."""
    async with httpx.AsyncClient(base_url=server.url, timeout=HTTP_TIMEOUT) as http:
        page = await http.get("/staff/login")
        response = await http.post(
            "/staff/login",
            data={"csrf_token": csrf_of(page.text), "email": email, "password": PASSWORD},
        )
        assert response.status_code == 303, response.text
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


@dataclass
class RoomSetup:
    session_id: int
    other_session_id: int
    series_id: int
    parent_links: dict[str, str]
    facilitator: str  # cookie header
    volunteer: str
    coordinator: str


async def a_room(server: LiveServer, org: Any, clock: Clock, **series: Any) -> RoomSetup:
    """A series with a facilitator, a volunteer and parents Mustikka and Puolukka; the clock
    is set to ten minutes before its first session."""
    db = server.database
    async with db.unit_of_work() as s:
        coordinator = await a_staff_member(s, clock.now, Role.COORDINATOR)
        facilitator = await a_staff_member(s, clock.now, Role.FACILITATOR, real_name="Olli Ohjaaja")
        volunteer = await a_staff_member(s, clock.now, Role.VOLUNTEER, real_name="Veera Virtanen")
    series_id = await seed_series(
        db, org, clock.now, staff_ids=[facilitator.id, volunteer.id], **series
    )
    links = {}
    for name, email in (("Mustikka", "mustikka@example.org"), ("Puolukka", None)):
        new = await enrol_parent(db, org, series_id, name, clock.now, email=email)
        links[name] = new.token
    async with db.unit_of_work() as s:
        sessions = (await scheduling.get_series(s, series_id)).sessions
    clock.now = sessions[0].starts_at - __import__("datetime").timedelta(minutes=10)
    return RoomSetup(
        sessions[0].id,
        sessions[1].id,
        series_id,
        links,
        await staff_cookie(server, str(facilitator.email)),
        await staff_cookie(server, str(volunteer.email)),
        await staff_cookie(server, str(coordinator.email)),
    )
