"""Keeps the simulated staff in the live demo rooms (demo only; ``tupa serve --demo`` starts it).

Every couple of seconds it looks at the live sessions whose rooms may be open: where the simulated
facilitator or volunteer is not in the room, and no real staff member of that role is online
there, it sends them in (again, ``rejoin_after`` seconds after they last left, so a visitor who
looks in and out as the facilitator does not make them come and go). The first time the simulated
facilitator finds a room still waiting, it opens it and writes its history. When a session's time
is over, the simulated facilitator ends it, if it is the one running the room.

Whether a real staff member is online is read from this process's replica of the room: the demo
runs one instance. The simulated people themselves only ever see the room's frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.demo_rooms import sessions as live
from server.demo_rooms.accounts import simulated_staff
from server.demo_rooms.client import HubClient, RoomClosed
from server.demo_rooms.history import write_history
from server.demo_rooms.people import REPLY, Crew, Reply, SimulatedStaff
from server.i18n import Translator, parse_language
from server.lifecycle import OwnedTask
from server.organisation import Organisation
from server.people.roles import Role
from server.rooms.access import AccessRefused, staff_entrant
from server.rooms.frames import CloseCode
from server.rooms.hub import RoomHub
from server.rooms.state import ParticipantRole
from server.scheduling.series import MediaMode
from server.settings import Language
from server.storage.db import Database
from server.storage.tables import SessionRow

log = logging.getLogger(__name__)

ROLES = (ParticipantRole.VOLUNTEER, ParticipantRole.FACILITATOR)  # the volunteer first: see _tend


@dataclass
class LiveRoom:
    session: SessionRow
    crew: Crew = field(default_factory=Crew)
    clients: dict[ParticipantRole, HubClient] = field(default_factory=dict)
    tasks: dict[ParticipantRole, asyncio.Task[None]] = field(default_factory=dict)
    left_at: dict[ParticipantRole, float] = field(default_factory=dict)
    finished: bool = False  # ended before its time: nobody goes in again


class DemoPeople:
    def __init__(
        self,
        hub: RoomHub,
        database: Database,
        clock: Callable[[], datetime],
        org: Organisation,
        opens_before: timedelta,
        admit_delay: float,
        default_language: Language,
        tick: float = 2.0,
        rejoin_after: float = 10.0,
    ) -> None:
        self.hub = hub
        self.database = database
        self.clock = clock
        self.org = org
        self.opens_before = opens_before
        self.admit_delay = admit_delay
        self.default_language = default_language
        self.tick = tick
        self.rejoin_after = rejoin_after
        self.rooms: dict[int, LiveRoom] = {}
        self._task = OwnedTask("tupa-demo-people")

    def start(self) -> None:
        self._task.start(self._loop())

    async def stop(self) -> None:
        await self._task.stop()
        for room in self.rooms.values():
            await self._leave_all(room)
        self.rooms.clear()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tend_once()
            except Exception as error:  # the next round tries again
                log.warning("the demo's simulated staff could not look round (%s)", error)
            await asyncio.sleep(self.tick)

    async def tend_once(self) -> None:
        """One round over the live rooms: send simulated people in, end rooms whose time is up."""
        now = self.clock()
        async with self.database.unit_of_work() as db:
            running = await live.running(db, now, self.opens_before)
        for session in running:
            room = self.rooms.setdefault(session.id, LiveRoom(session))
            if not room.finished:
                await self._tend(room)
        for session_id in set(self.rooms) - {s.id for s in running}:
            await self._end(self.rooms.pop(session_id))

    def _real_one_here(self, room: LiveRoom, role: ParticipantRole) -> bool:
        runtime = self.hub.rooms.get(room.session.id)
        if runtime is None:
            return False
        return any(
            m.role is role and m.online and m.peer not in room.crew.simulated
            for m in runtime.state.members.values()
        )

    def _may_enter(self, room: LiveRoom, role: ParticipantRole) -> bool:
        task = room.tasks.get(role)
        if task is not None:
            if not task.done():
                return False
            del room.tasks[role]
            room.clients.pop(role, None)
            room.left_at[role] = asyncio.get_running_loop().time()
        left_at = room.left_at.get(role)
        if left_at is not None and asyncio.get_running_loop().time() - left_at < self.rejoin_after:
            return False
        return not self._real_one_here(room, role)

    async def _enter(self, room: LiveRoom, role: ParticipantRole) -> HubClient | None:
        async with self.database.unit_of_work() as db:
            staff = (await simulated_staff(db, self.clock())).get(Role(role.value))
            if staff is None:
                return None
            try:
                entrant = await staff_entrant(db, staff.id, room.session)
            except AccessRefused:  # taken off the series by a coordinator
                return None
        client = HubClient(self.hub, room.session)
        if not await client.enter(entrant):
            room.finished = client.refused == CloseCode.ENDED
            room.left_at[role] = asyncio.get_running_loop().time()
            return None
        await client.expect("welcome")
        assert client.peer is not None
        room.crew.simulated.add(client.peer)
        return client

    async def _tend(self, room: LiveRoom) -> None:
        """Send in whoever is missing. The volunteer comes first, so that a facilitator who
        opens the room writes its history with them; their reactions start afterwards (the history
        reads their frames until then)."""
        arrived: dict[ParticipantRole, HubClient] = {}
        for role in ROLES:
            if self._may_enter(room, role):
                client = await self._enter(room, role)
                if client is not None:
                    arrived[role] = client
        facilitator = arrived.get(ParticipantRole.FACILITATOR)
        if facilitator is not None and facilitator.welcome["room"]["status"] == "waiting":
            await self._write_history(room, facilitator, arrived.get(ParticipantRole.VOLUNTEER))
        for role, client in arrived.items():
            person = SimulatedStaff(client, role, room.crew, self.admit_delay, self._reply(room))
            room.clients[role] = client
            room.tasks[role] = asyncio.create_task(person.run(), name=f"tupa-demo-{role.value}")

    async def _write_history(
        self, room: LiveRoom, facilitator: HubClient, volunteer: HubClient | None
    ) -> None:
        async with self.database.unit_of_work() as db:
            parents = await live.history_entrants(db, room.session)
        room.crew.history = {p.name for p in parents}
        try:
            await write_history(facilitator, volunteer, parents, MediaMode(room.session.media_mode))
        except (TimeoutError, RoomClosed) as error:
            log.warning("a demo room's history was not written in full (%s)", type(error).__name__)

    def _reply(self, room: LiveRoom) -> Reply:
        async def reply(name: str) -> str:
            async with self.database.unit_of_work() as db:
                language = await live.parent_language(db, room.session.series_id, name)
            t = Translator(parse_language(language) or self.default_language, self.org.zone)
            return t.gettext(REPLY, name=name)

        return reply

    async def _end(self, room: LiveRoom) -> None:
        """The session's time is over: the simulated facilitator, if it runs the room, ends it."""
        facilitator = room.clients.get(ParticipantRole.FACILITATOR)
        task = room.tasks.get(ParticipantRole.FACILITATOR)
        if facilitator is not None and task is not None and not task.done():
            with contextlib.suppress(RoomClosed):
                await facilitator.send(type="end")
        await self._leave_all(room)

    async def _leave_all(self, room: LiveRoom) -> None:
        for task in room.tasks.values():
            task.cancel()
        for task in room.tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for client in room.clients.values():
            await client.leave()
        room.tasks.clear()
        room.clients.clear()
