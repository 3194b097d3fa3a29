"""Whether the database answers: the health check's one query."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def check_database(db: AsyncSession) -> None:
    """Runs the cheapest query there is; raises whatever the driver raises when it cannot."""
    await db.execute(text("SELECT 1"))
