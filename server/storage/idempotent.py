"""Inserts that two instances may run at the same moment without either failing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.tables import Base


async def insert_unless_exists(
    db: AsyncSession, row_type: type[Base], key_columns: list[str], **values: Any
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the unique ``key_columns`` (PostgreSQL and SQLite);
    whether this call inserted the row."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await db.execute(
        insert(row_type).values(**values).on_conflict_do_nothing(index_elements=key_columns)
    )
    return bool(getattr(result, "rowcount", 0))
