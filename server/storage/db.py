"""The async engine and session factory for one database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from server.private_files import private_sqlite_file


def configure_sqlite_connection(dbapi_connection: Any) -> None:
    """Settings every connection to Tupa's SQLite file needs, whoever opens it."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs at checkpoints instead of every commit: a power cut may lose the
    # last moments of chat but never corrupts the file, and commits stop waiting on the disk.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    configure_sqlite_connection(dbapi_connection)


def create_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout and its directory and
    file, readable by their owner only."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite_file(Path(parsed.database))
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


_AFTER_COMMIT = "tupa_after_commit"

CommitListener = Callable[[list[Any]], Awaitable[None]]


def after_commit(db: AsyncSession, item: object) -> None:
    """Hand ``item`` to the database's commit listeners once this unit of work commits.

    Nothing is handed on if it rolls back: a room is never told about a change that did not
    happen (Zulip's ``send_event_on_commit``).
    """
    db.info.setdefault(_AFTER_COMMIT, []).append(item)


class Database:
    """One database: its engine and a factory of sessions (units of work)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._listeners: list[CommitListener] = []

    def on_commit(self, listener: CommitListener) -> None:
        """Call ``listener`` with what a unit of work recorded by ``after_commit``, after it
        commits."""
        self._listeners.append(listener)

    def stop_listening(self, listener: CommitListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block succeeds and rolls back when it raises."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
            committed = session.info.pop(_AFTER_COMMIT, None)
        if committed:
            for listener in list(self._listeners):
                await listener(committed)

    async def dispose(self) -> None:
        await self.engine.dispose()
