"""Group commit: events of many rooms written in one transaction, so a busy server makes few.

A submission waits for the next flush; while one flush runs, new submissions gather for the one
after it. Under light load a message is written at once; under heavy load each transaction carries
many messages of many rooms, which is what lets one database keep up with thousands a second.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from server.counts import FLUSH_SECONDS, ROOMS
from server.lifecycle import OwnedTask
from server.organisation import Organisation
from server.rooms.event_log import only_logged, write_events
from server.rooms.events import Event
from server.rooms.sqlite_log import SqliteEventLog
from server.storage.db import Database

log = logging.getLogger(__name__)
MAX_BATCH = 500
# The database is away (restarting, unreachable): every job of the batch fails alike.
UNAVAILABLE = (OperationalError, InterfaceError, OSError, TimeoutError, sqlite3.OperationalError)
# The database refused one job (a resent cid meeting its stored original).
REFUSED = (IntegrityError, sqlite3.IntegrityError)


@dataclass
class _Job:
    session_id: int
    events: list[Event]
    done: asyncio.Future[list[Event]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class EventWriter:
    def __init__(
        self, database: Database, clock: Callable[[], datetime], org: Organisation
    ) -> None:
        self.database = database
        self.org = org  # a ban given in a room tells the parent, in the organisation's name
        self.clock = clock
        self._pending: list[_Job] = []
        self._wakeup = asyncio.Event()
        self._task = OwnedTask("tupa-event-writer")
        self._sqlite_log = SqliteEventLog.for_url(database.url, database.engine.dialect)

    def start(self) -> None:
        self._task.start(self._run())

    async def stop(self) -> None:
        await self._task.stop()
        if self._sqlite_log is not None:
            await self._sqlite_log.close()

    async def write(self, session_id: int, events: list[Event]) -> list[Event]:
        """Store ``events`` of one room; returns them with sequence numbers once committed."""
        job = _Job(session_id, events)
        self._pending.append(job)
        self._wakeup.set()
        return await job.done

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._flush(batch)

    async def _flush(self, batch: list[_Job]) -> None:
        now = self.clock()
        jobs = [(j.session_id, j.events) for j in batch]
        started = time.perf_counter()
        try:
            if self._sqlite_log is not None and only_logged(jobs):
                results = await self._sqlite_log.write(jobs, now)
            else:
                async with self.database.unit_of_work() as db:
                    results = await write_events(db, jobs, now, self.org)
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, UNAVAILABLE):
                # One bad job must not sink the others: retry them one by one.
                for job in batch:
                    await self._flush([job])
                return
            if isinstance(exc, (*UNAVAILABLE, *REFUSED)):
                # The callers answer for it (server.rooms.sends); an outage fails many batches,
                # and a refusal's message may quote a row: one line, no traceback.
                log.warning("writing room events failed (%s)", type(exc).__name__)
            else:
                log.exception("writing room events failed")
            for job in batch:
                if not job.done.done():
                    job.done.set_exception(exc)
            return
        FLUSH_SECONDS.observe(time.perf_counter() - started)
        ROOMS.stored += sum(len(stored) for stored in results)
        for job, stored in zip(batch, results, strict=True):
            if not job.done.done():
                job.done.set_result(stored)
