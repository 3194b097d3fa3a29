"""The rooms one instance holds in memory: loaded from storage by the first socket that enters,
dropped with the last one that leaves.

A room is loaded and dropped under one lock for all rooms, and dropped only under the room's own
lock as well, so that no socket is being let in while its room goes: an entrant that waited for
the lock of a room dropped meanwhile looks the room up again (``held``) instead of joining a
replica that nothing delivers to any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from server.rooms import store
from server.rooms.bus import Bus
from server.rooms.events import NOBODY, Event, EventType
from server.rooms.media import topology
from server.rooms.runtime import Handle, RoomRuntime
from server.storage.db import Database
from server.storage.tables import SessionRow

log = logging.getLogger(__name__)


class LoadedRooms:
    def __init__(self, database: Database, bus: Bus, opens_before: timedelta, instance: str):
        self.database = database
        self.bus = bus
        self.opens_before = opens_before
        self.instance = instance
        self.rooms: dict[int, RoomRuntime] = {}
        self._lock = asyncio.Lock()

    async def load(self, session: SessionRow, mesh_limit: int, handle: Handle) -> RoomRuntime:
        """The room's runtime, loaded and followed on the bus if it was not held yet."""
        async with self._lock:
            runtime = self.rooms.get(session.id)
            if runtime is None:
                await self.bus.follow(session.id)
                try:
                    async with self.database.unit_of_work() as db:
                        state = await store.load_state(db, session, self.opens_before)
                except BaseException:
                    await self.bus.unfollow(session.id)
                    raise
                state.mesh_limit = mesh_limit
                fill = store.reader(self.database, session.id)
                runtime = RoomRuntime(state, delivered_seq=state.last_seq, fill=fill)
                runtime.topology = topology(state)
                self.rooms[session.id] = runtime
                runtime.catch_up(handle)  # what was published while it loaded
                # Presence is not stored: ask the other instances who is connected there.
                sync = Event(EventType.PRESENCE_SYNC, {}, NOBODY, origin=self.instance)
                await self.bus.publish(session.id, [sync])
            return runtime

    @asynccontextmanager
    async def held(
        self, session: SessionRow, mesh_limit: int, handle: Handle
    ) -> AsyncIterator[RoomRuntime]:
        """The room's runtime with its lock held, loaded if need be and still the one held."""
        while True:
            runtime = await self.load(session, mesh_limit, handle)
            async with runtime.lock:
                if self.rooms.get(session.id) is runtime:
                    yield runtime
                    return

    async def drop_if_empty(self, session_id: int, runtime: RoomRuntime) -> None:
        """Drop the room if no socket of this instance is in it; the caller must not hold the
        room's lock."""
        async with runtime.lock, self._lock:
            if not runtime.connections and self.rooms.get(session_id) is runtime:
                del self.rooms[session_id]
                try:
                    await self.bus.unfollow(session_id)
                except Exception as error:
                    log.warning("an empty room was not unfollowed (%s)", type(error).__name__)
