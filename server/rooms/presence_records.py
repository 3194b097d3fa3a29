"""Closing a socket's attendance record best-effort, retried in the background: a database that is
restarting delays it, and never keeps the socket, or the person's presence, in the room.

Attendance figures (``server.evaluation.attendance``) are read from these records; one the
database never took the end of, through every retry, counts as open until the session's end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from server.lifecycle import FollowUps
from server.rooms import store
from server.storage.db import Database

log = logging.getLogger(__name__)

RETRY_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # about half a minute in all


class PresenceRecords:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self.retry_seconds: tuple[float, ...] = RETRY_SECONDS
        self._writes = FollowUps()

    @property
    def busy(self) -> bool:
        """Whether a record is still waiting to be closed (tests wait for this)."""
        return self._writes.busy

    def ended(self, presence_id: int | None) -> None:
        """The socket left now: close its record, without keeping the caller waiting."""
        if presence_id is not None:
            self._writes.spawn(self._end(presence_id, self.clock()))

    async def _end(self, presence_id: int, now: datetime) -> None:
        failure = ""
        for attempt, pause in enumerate((0.0, *self.retry_seconds)):
            await asyncio.sleep(pause)
            try:
                async with self.database.unit_of_work() as db:
                    await store.presence_ended(db, presence_id, now)
                return
            except Exception as error:
                failure = type(error).__name__
                if attempt == 0:
                    log.info("closing an attendance record failed (%s): retrying", failure)
        log.warning("an attendance record stays open: the database did not take it (%s)", failure)
