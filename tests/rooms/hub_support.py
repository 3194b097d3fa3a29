"""Helpers for tests that drive the real hub with fake sockets and a database that fails on cue."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from server.people.roles import Role
from server.rooms.bus import MemoryBus
from server.rooms.connection import Connection
from server.rooms.hub import RoomHub
from server.rooms.state import ParticipantRole
from server.rooms.store import Entrant
from server.scheduling import service as scheduling
from server.scheduling.room_rules import hold_identifying
from server.storage.tables import RoomEventRow, SessionRow
from tests.factories import a_staff_member, enrol_parent, seed_series


class Socket:
    """What the hub sees of a WebSocket: the frames it was sent and the code it was closed with."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.closed_with: int | None = None

    async def send(self, text: str) -> None:
        self.frames.append(json.loads(text))

    async def close(self, code: int) -> None:
        self.closed_with = code

    def of_type(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [
            f
            for f in self.frames
            if f["type"] == kind and all(f.get(k) == v for k, v in match.items())
        ]

    def answers(self, cid: str) -> list[dict[str, Any]]:
        """The ``ack`` and ``error`` frames that answer the frame sent with ``cid``."""
        return [f for f in self.frames if f["type"] in ("ack", "error") and f.get("cid") == cid]


def database_restarting() -> OperationalError:
    """What SQLAlchemy raises when the database goes away in the middle of a transaction."""
    return OperationalError("COMMIT", None, ConnectionResetError("the database is restarting"))


class Outage:
    """Stands in for a database that fails (``down``) or does not answer (``hold``): wraps one
    async function of the hub's storage, and passes calls on to it otherwise."""

    def __init__(self, real: Callable[..., Awaitable[Any]]) -> None:
        self.real = real
        self.down = False
        self.held = asyncio.Event()
        self.held.set()
        self.calls = 0

    def hold(self) -> None:
        self.held.clear()

    def release(self) -> None:
        self.held.set()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        await self.held.wait()
        if self.down:
            raise database_restarting()
        return await self.real(*args, **kwargs)


@dataclass
class HubRoom:
    hub: RoomHub
    session: SessionRow
    sockets: dict[str, Socket]
    conns: dict[str, Connection]
    _enter: Callable[[str, Socket], Awaitable[Connection | Any]]

    async def enter(self, name: str, socket: Socket | None = None) -> Connection | Any:
        """Bring ``name`` (F: the facilitator; else a parent) in on a new socket."""
        socket = socket or Socket()
        self.sockets[name] = socket
        conn = await self._enter(name, socket)
        if isinstance(conn, Connection):
            self.conns[name] = conn
        return conn

    async def receive(self, name: str, **frame: Any) -> None:
        await self.hub.receive(self.session.id, self.conns[name], json.dumps(frame))

    async def stored(self, cid: str) -> list[int]:
        """The seq of each stored event carrying ``cid`` (one, for a message that landed once)."""
        async with self.hub.database.unit_of_work() as db:
            rows = await db.scalars(
                select(RoomEventRow.seq).where(
                    RoomEventRow.session_id == self.session.id, RoomEventRow.cid == cid
                )
            )
            return list(rows)


async def an_open_room(
    database: Any,
    org: Any,
    clock: Any,
    parents: str,
    present: str | None = None,
    identifying_held: bool = False,
) -> HubRoom:
    """A hub with an open room (lobby off) and its facilitator F; the named parents are enrolled,
    and those ``present`` (all, unless said) are in. ``identifying_held``: the series holds
    messages with identifying details for approval (``server.rooms.holding``)."""
    series_id = await seed_series(database, org, clock.now)
    if identifying_held:
        async with database.unit_of_work() as db:
            await hold_identifying(db, series_id, True)
    links = {
        n: await enrol_parent(database, org, series_id, f"{n}-nimi", clock.now) for n in parents
    }
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with database.unit_of_work() as db:
        session = (await scheduling.get_series(db, series_id)).sessions[0]
    clock.now = session.starts_at - timedelta(minutes=5)
    hub = RoomHub(database, MemoryBus(), clock, timedelta(minutes=30), queue_size=256, org=org)
    hub.sockets.rate_per_second = hub.sockets.burst = 100_000
    hub.sockets.encode = lambda text: text.encode() + b"\n"  # for a socket with write_now
    await hub.start()

    async def enter(name: str, socket: Socket) -> Connection | Any:
        if name == "F":
            entrant = Entrant(ParticipantRole.FACILITATOR, "Ohjaaja", series_id, staff_id=staff.id)
        else:
            enrolment_id = links[name].enrolment.id
            entrant = Entrant(ParticipantRole.PARENT, name, series_id, enrolment_id=enrolment_id)
        # A socket that can write frames itself (``write_now``) gets them the way uvicorn's do.
        write_now = getattr(socket, "write_now", None)
        return await hub.enter(session, entrant, None, socket.send, socket.close, str, write_now)

    room = HubRoom(hub, session, {}, {}, enter)
    await room.enter("F")
    await room.receive("F", type="open")
    await room.receive("F", type="lobby", enabled=False)
    for name in parents if present is None else present:
        await room.enter(name)
    await until(lambda: all(s.of_type("welcome") for s in room.sockets.values()))
    return room


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``condition`` holds (for state another task changes)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def problems(caplog: Any) -> list[logging.LogRecord]:
    """Log records with a traceback or at ERROR and above."""
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
