"""Several hubs in one process joined as Redis joins instances, and a room set up across them.

``SharedBus`` is a transport the tests swap in: each hub gets a bus of its own, and whatever one
publishes reaches every hub (itself included) in the publisher's turn. One hub's publishing can be
held, as a slow network between an instance and Redis would hold it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from server.organisation import Organisation
from server.people.roles import Role
from server.rooms.bus import Bus, Handler, Resubscribed
from server.rooms.connection import Connection
from server.rooms.events import Event
from server.rooms.heartbeats import PRESENCE_EXPIRY_SECONDS
from server.rooms.hub import RoomHub
from server.rooms.state import ParticipantRole
from server.rooms.store import Entrant
from server.scheduling import service as scheduling
from server.storage.db import Database
from server.storage.tables import SessionRow
from tests.conftest import Clock
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.rooms.machine_support import FakeSocket
from tests.rooms.support import eventually

OPENS_BEFORE = timedelta(minutes=30)


class SharedBus:
    """The bus between the hubs of one test."""

    def __init__(self) -> None:
        self.handlers: list[Handler] = []

    def member(self) -> HeldBus:
        return HeldBus(self)


class HeldBus:
    """One hub's side of a ``SharedBus``; ``hold`` keeps its publishes back until ``release``."""

    def __init__(self, shared: SharedBus) -> None:
        self.shared = shared
        self.handler: Handler | None = None
        self.released = asyncio.Event()
        self.released.set()
        self.waiting = 0  # publishes being held

    async def start(self, handler: Handler, resubscribed: Resubscribed | None = None) -> None:
        self.handler = handler
        self.shared.handlers.append(handler)

    async def follow(self, session_id: int) -> None:
        """Every room's events reach every hub anyway."""

    async def unfollow(self, session_id: int) -> None:
        """Every room's events reach every hub anyway."""

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    async def publish(self, session_id: int, events: list[Event]) -> None:
        if not self.released.is_set():
            self.waiting += 1
            await self.released.wait()
            self.waiting -= 1
        for handler in list(self.shared.handlers):
            await handler(session_id, events)

    async def stop(self) -> None:
        if self.handler in self.shared.handlers:
            self.shared.handlers.remove(self.handler)

    async def check(self) -> None:
        """Always up."""


@dataclass
class Person:
    socket: FakeSocket
    conn: Connection

    def messages(self) -> list[dict[str, Any]]:
        """Every message this person was sent, in the order sent: replayed, then live."""
        replayed = [f for w in self.socket.of_type("welcome") for f in w["events"]]
        return [f for f in replayed + self.socket.frames if f["type"] == "message"]

    def sees_online(self, name: str) -> bool:
        """Whether what this person was sent shows ``name`` online now: in the welcome, then
        the latest presence frame about them."""
        shown = False
        for frame in self.socket.frames:
            if frame["type"] == "welcome":
                shown = any(m["name"] == name and m["online"] for m in frame["members"])
            elif frame["type"] == "presence" and frame["name"] == name:
                shown = frame["online"]
        return shown


@dataclass
class SharedRoom:
    """An open room (lobby off) on two hubs sharing one database and one bus."""

    session: SessionRow
    series_id: int
    hubs: list[RoomHub]
    buses: list[Any]
    enrolments: dict[str, int] = field(default_factory=dict)
    staff_id: int = 0

    async def enter(self, hub: int, name: str, last_seq: int | None = None) -> Person:
        socket = FakeSocket()
        if name == "facilitator":
            role, key = ParticipantRole.FACILITATOR, {"staff_id": self.staff_id}
        else:
            role, key = ParticipantRole.PARENT, {"enrolment_id": self.enrolments[name]}
        entrant = Entrant(role, name, self.series_id, **key)
        conn = await self.hubs[hub].enter(
            self.session, entrant, last_seq, socket.send, socket.close, str
        )
        assert isinstance(conn, Connection), conn
        await eventually(lambda: socket.frames != [])  # its arrival frame has been written
        return Person(socket, conn)

    async def say(self, hub: int, person: Person, text: str) -> None:
        frame = json.dumps({"type": "send", "cid": f"c{abs(hash(text))}", "text": text})
        await self.hubs[hub].receive(self.session.id, person.conn, frame)

    async def stop(self) -> None:
        for hub in self.hubs:
            await hub.stop()


def shown_online(hub: RoomHub, room: SharedRoom) -> set[str]:
    """The names one hub's replica of the room shows online."""
    members = hub.rooms[room.session.id].state.members.values()
    return {m.name for m in members if m.online}


async def shared_room(
    database: Database,
    org: Organisation,
    clock: Clock,
    parents: list[str],
    hubs: int = 2,
    buses: Sequence[Bus] | None = None,
    presence_expiry: float = PRESENCE_EXPIRY_SECONDS,
) -> tuple[SharedRoom, Person]:
    """The room, with the facilitator in on the first hub having opened it. The hubs share a
    ``SharedBus`` unless ``buses`` gives each its own (Redis buses, say)."""
    series_id = await seed_series(database, org, clock.now)
    enrolments = {
        name: (await enrol_parent(database, org, series_id, name, clock.now)).enrolment.id
        for name in parents
    }
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now, Role.FACILITATOR)
        session = (await scheduling.get_series(db, series_id)).sessions[0]
    clock.now = session.starts_at - timedelta(minutes=5)
    if buses is None:
        shared = SharedBus()
        buses = [shared.member() for _ in range(hubs)]
    buses = list(buses)
    started = []
    for bus in buses:
        hub = RoomHub(database, bus, clock, OPENS_BEFORE, org=org, presence_expiry=presence_expiry)
        hub.sockets.rate_per_second = hub.sockets.burst = 100_000
        await hub.start()
        started.append(hub)
    room = SharedRoom(session, series_id, started, buses, enrolments, staff.id)
    facilitator = await room.enter(0, "facilitator")
    for frame in ('{"type":"open"}', '{"type":"lobby","enabled":false}'):
        await started[0].receive(session.id, facilitator.conn, frame)
    return room, facilitator
