"""Helpers shared by the room tests over real WebSockets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from server.rooms.state import RoomState
from server.rooms.store import load_state
from server.storage.tables import SessionRow
from tests.conftest import Clock, LiveServer
from tests.roomclient import RoomClient, RoomSetup, a_room, connect


async def open_room_with_parents(
    server: LiveServer, org: Any, clock: Clock, *names: str, lobby: bool = False, **series: Any
) -> tuple[RoomSetup, RoomClient, dict[str, RoomClient]]:
    """An open room with the lobby off (unless asked), the facilitator and the named parents in."""
    room = await a_room(server, org, clock, **series)
    facilitator = await connect(server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    if not lobby:
        await facilitator.send(type="lobby", enabled=False)
        await facilitator.expect("room", lobby=False)
    parents = {}
    for name in names:
        parents[name] = await connect(server, room.session_id, link=room.parent_links[name])
        await parents[name].expect("welcome")
    return room, facilitator, parents


async def reloaded_state(server: LiveServer, session_id: int) -> RoomState:
    """The room's state as it is loaded from storage (to compare with the live one)."""
    async with server.database.unit_of_work() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        return await load_state(db, session, server.app.state.hub.opens_before)


async def eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait until ``condition`` holds: for state another task changes with no event to wait on."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


class LoggedProblems(logging.Handler):
    """Records with a traceback or at ERROR and above, from every logger, uvicorn's included
    (whose loggers may not propagate to the root, where pytest's caplog listens)."""

    NAMES = ("", "uvicorn", "uvicorn.error", "uvicorn.asgi")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)

    def __enter__(self) -> LoggedProblems:
        for name in self.NAMES:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self.NAMES:
            logging.getLogger(name).removeHandler(self)
