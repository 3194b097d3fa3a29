"""Chat retention: what was written in a room is deleted a set time after the session ends.

Messages, private threads and questions all live in ``room_events``; the moderation log and the
memberships (who was admitted, attendance facts) stay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.tables import RoomEventRow, RoomRow, SessionRow


def session_end(room: RoomRow, session: SessionRow) -> datetime:
    """When the session ended: the facilitator's "end", or else its scheduled end."""
    return room.ended_at or session.starts_at + timedelta(minutes=session.duration_minutes)


async def purge_expired_chats(db: AsyncSession, now: datetime, keep_for: timedelta) -> list[int]:
    """Delete the room events of sessions that ended more than ``keep_for`` ago.

    Returns the purged session ids. A zero ``keep_for`` purges as soon as a session has ended.
    """
    rows = await db.execute(
        select(RoomRow, SessionRow)
        .join(SessionRow, SessionRow.id == RoomRow.session_id)
        .where(RoomRow.purged_at.is_(None), SessionRow.starts_at <= now)
    )
    purged = []
    for room, session in rows:
        if session_end(room, session) + keep_for <= now:
            await db.execute(delete(RoomEventRow).where(RoomEventRow.session_id == session.id))
            room.purged_at = now
            purged.append(session.id)
    return purged
