"""What a series asks of its rooms beyond the media mode: whether a chat message with identifying
details that a parent sends anyway waits for a moderator's approval (``server.rooms.holding``).

A room reads it when it is loaded, so a change reaches rooms opened after it; a room already
open keeps the rule it opened with until it closes (the staff page says so).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.scheduling.service import get_series


async def hold_identifying(db: AsyncSession, series_id: int, held: bool) -> None:
    """Hold (or post as before) what a parent sends anyway after being asked. Raises NOT_FOUND."""
    series = await get_series(db, series_id)
    series.identifying_held = held
    await db.flush()
