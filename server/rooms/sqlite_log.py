"""Storing a batch of chat events in SQLite with one hand-over to a thread, not one per statement.

Through SQLAlchemy's asyncio layer each statement on SQLite is several trips between the event
loop and aiosqlite's thread (a cursor, the execute, the fetch, the commit), and each trip waits
for the loop to come round. On a busy server the loop is slow to come round, so a flush of a few
statements took 45 ms of which little was work, and every message waited for it (measured with
bench/chat_fanout.py --probe). Here the whole transaction — taking each room's sequence numbers
and inserting the rows — runs as one function on a thread with its own connection to the same
file: one trip there and one back.

Only batches whose events change nothing but the event log come here (chat, private messages,
questions, hands); anything with effects on other tables goes through the ORM as before. Both
write through the same statements and the columns' own bind processors, so the rows are the same.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy.engine import Dialect, make_url

from server.rooms.event_log import BatchStatements, sequence_counts
from server.rooms.events import Event
from server.storage.db import configure_sqlite_connection


class SqliteEventLog:
    """The event log of one SQLite file, written from a single thread of its own.

    SQLite lets one connection write at a time; this one waits for the others (and they for it)
    through the busy timeout, in its thread, never on the event loop.
    """

    def __init__(self, path: str, dialect: Dialect) -> None:
        self.path = path
        self._statements = BatchStatements.for_dialect(dialect)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="tupa-sqlite-log")
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def for_url(cls, url: str, dialect: Dialect) -> SqliteEventLog | None:
        """A log for an SQLite database file; None for other databases and in-memory SQLite."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        return cls(parsed.database, dialect)

    async def write(self, batch: list[tuple[int, list[Event]]], now: datetime) -> list[list[Event]]:
        """Store the events of several rooms in one transaction; returns them as stored."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._write, batch, now)

    async def close(self) -> None:
        """Close the connection in its own thread and let the thread end."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            # Autocommit mode: the transaction below is begun and ended explicitly.
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            configure_sqlite_connection(connection)
            self._connection = connection
        return self._connection

    def _write(self, batch: list[tuple[int, list[Event]]], now: datetime) -> list[list[Event]]:
        connection = self._open()
        statements = self._statements
        # IMMEDIATE takes the write lock first, so reading the sequence numbers and writing
        # the rows cannot be overtaken by another writer in between.
        connection.execute("BEGIN IMMEDIATE")
        try:
            next_seq: dict[int, int] = {}
            for room, count in sorted(sequence_counts(batch).items()):
                row = connection.execute(
                    statements.take_seq_returning, statements.take_seq_params(count, room)
                ).fetchone()
                if row is None:
                    raise LookupError(f"room {room} has no row")
                next_seq[room] = row[0] - count + 1
            rows = statements.rows(now, next_seq)
            stored_batch = [[rows.add(room, event) for event in events] for room, events in batch]
            connection.executemany(statements.insert_event, rows.take())
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return stored_batch
