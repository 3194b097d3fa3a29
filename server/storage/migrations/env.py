"""Alembic environment: runs migrations through the async engine Tupa uses."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from server.storage.db import create_engine
from server.storage.tables import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration re-creates a table and drops the old one; with foreign keys
            # enforced, that drop first deletes every row referring to the table (ON DELETE
            # CASCADE) or fails. SQLite's own procedure for altering a table: keys off outside the
            # transaction, and checked once it is done.
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            before = await _broken_references(connection)
            await connection.commit()
        await connection.run_sync(_run)
        if sqlite:
            after = await _broken_references(connection)
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()
            if after - before:
                raise RuntimeError(f"the migration broke references: {sorted(after - before)}")
    await engine.dispose()


async def _broken_references(connection: AsyncConnection) -> Counter[tuple[str, str]]:
    """How many rows of each table refer to a missing row of each other table (SQLite)."""
    found = await connection.exec_driver_sql("PRAGMA foreign_key_check")
    rows: list[tuple[Any, ...]] = [tuple(row) for row in found]  # table, rowid, parent, key
    return Counter((str(row[0]), str(row[2])) for row in rows)


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
