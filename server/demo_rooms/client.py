"""A room client inside the process (demo only): the room protocol's JSON frames, through the hub.

The demo's simulated people speak the protocol of docs/protocol.md like a browser does, with the
hub's ``enter``, ``receive`` and ``leave`` standing in for the WebSocket: they read the frames the
hub sends, and what they do is a frame the hub parses and decides on like anyone's. Only the way in
differs: a simulated staff member enters as its (assigned) account, without a cookie, and a demo
parent of the history as its enrolment, without a device.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from server.rooms.connection import Connection
from server.rooms.entry import Refusal
from server.rooms.hub import RoomHub
from server.rooms.store import Entrant
from server.storage.tables import SessionRow

Frame = dict[str, Any]
CLOSED: Frame = {"type": "closed"}  # put in the inbox when the hub closes the connection


class RoomClosed(Exception):
    """The hub closed this client's connection (ended, removed, replaced)."""


class HubClient:
    """One person's connection to one room, through the hub of this process."""

    def __init__(self, hub: RoomHub, session: SessionRow) -> None:
        self.hub = hub
        self.session = session
        self.inbox: asyncio.Queue[Frame] = asyncio.Queue()
        self.welcome: Frame = {}
        self.refused: int | None = None
        self.closed: int | None = None
        self._conn: Connection | None = None

    @property
    def session_id(self) -> int:
        return self.session.id

    @property
    def peer(self) -> str | None:
        you = self.welcome.get("you")
        return str(you["peer"]) if isinstance(you, dict) else None

    @property
    def here(self) -> bool:
        return self._conn is not None and self.closed is None

    async def enter(self, entrant: Entrant) -> bool:
        """Enter (``hello`` without ``last_seq``). False when the room refuses: ``refused`` says
        with which close code."""
        entered = await self.hub.enter(self.session, entrant, None, self._receive, self._close, str)
        if isinstance(entered, Refusal):
            self.refused = entered.code
            return False
        self._conn = entered
        return True

    async def _receive(self, text: str) -> None:
        frame: Frame = json.loads(text)
        if frame.get("type") == "welcome":
            self.welcome = frame
        self.inbox.put_nowait(frame)

    async def _close(self, code: int) -> None:
        self.closed = code
        self.inbox.put_nowait(CLOSED)

    async def send(self, **frame: Any) -> None:
        if self._conn is None or self.closed is not None:
            raise RoomClosed
        await self.hub.receive(self.session.id, self._conn, json.dumps(frame, ensure_ascii=False))

    async def next(self, within: float | None) -> Frame | None:
        """The next frame, or None after ``within`` seconds. Raises RoomClosed once closed."""
        try:
            frame = await asyncio.wait_for(self.inbox.get(), within)
        except TimeoutError:
            return None
        if frame is CLOSED:
            raise RoomClosed
        return frame

    async def expect(self, frame_type: str, within: float = 10.0, **match: Any) -> Frame:
        """Read frames until one of ``frame_type`` whose fields include ``match`` arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            frame = await self.next(max(deadline - loop.time(), 0.0))
            if frame is None:
                raise TimeoutError(frame_type)
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame

    async def leave(self) -> None:
        """Close this connection (as a browser tab closing would); safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await self.hub.leave(self.session.id, conn)
