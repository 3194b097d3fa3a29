"""Changes committed outside a room (over HTTP) told to its replicas on every instance.

The hub hands ``committed`` to the database's commit listeners. For each ``AccessChange`` it finds
the rooms and memberships concerned, stores an ``access`` event for its effects (membership rows,
a cancelled room) and publishes it on the bus; every instance then applies it and closes the
people concerned (``effects.follow_up``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from server.access import AccessChange, AccessReason
from server.lifecycle import FollowUps
from server.rooms.bus import Bus
from server.rooms.effects import access_events
from server.rooms.erasure import deletions
from server.rooms.store import access_targets
from server.rooms.writer import EventWriter
from server.storage.db import Database

log = logging.getLogger(__name__)


class AccessAnnouncer:
    def __init__(
        self, database: Database, writer: EventWriter, bus: Bus, opens_before: timedelta
    ) -> None:
        self.database = database
        self.writer = writer
        self.bus = bus
        self.opens_before = opens_before
        self._follow_ups = FollowUps()

    @property
    def busy(self) -> bool:
        return self._follow_ups.busy

    async def committed(self, items: list[Any]) -> None:
        """Told from a task of its own: the commit may be the room writer's own (a ban given in
        a room ends the enrolment), and waiting here for that writer would wait on itself."""
        changes = [item for item in items if isinstance(item, AccessChange)]
        if changes:
            self._follow_ups.spawn(self._tell_rooms_about(changes))

    async def _tell_rooms_about(self, changes: list[AccessChange]) -> None:
        for change in changes:
            try:
                await self._tell_rooms(change)
            except Exception:  # the change is committed: one failure must not stop the others
                log.exception("telling the rooms about a committed %s failed", change.reason.value)

    async def _tell_rooms(self, change: AccessChange) -> None:
        async with self.database.unit_of_work() as db:
            targets = await access_targets(db, change, self.opens_before)
        for target in targets:
            events = access_events(
                change.reason, target.people, target.opens_at, change.staff_session_id
            )
            if change.reason is AccessReason.ERASED:
                async with self.database.unit_of_work() as db:
                    events += await deletions(db, target.session_id, target.people)
            if events:
                stored = await self.writer.write(target.session_id, events)
                await self.bus.publish(target.session_id, stored)
