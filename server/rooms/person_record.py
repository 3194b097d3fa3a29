"""What the rooms hold about one parent, for their export: memberships, presence, their writing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.rooms.erasure import WRITTEN
from server.storage.tables import PresenceRow, RoomEventRow, RoomMemberRow, SessionRow


async def rooms_of(db: AsyncSession, enrolment_id: int) -> list[dict[str, Any]]:
    """Each room the enrolment's parent came to, with their name and status there, when they were
    connected and what they wrote that is still stored (a deleted message without its text)."""
    members = await db.execute(
        select(RoomMemberRow, SessionRow)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(RoomMemberRow.enrolment_id == enrolment_id)
        .order_by(SessionRow.starts_at)
    )
    rooms = []
    for member, session in members:
        presence = await db.scalars(
            select(PresenceRow).where(PresenceRow.member_id == member.id).order_by(PresenceRow.id)
        )
        written = await db.scalars(
            select(RoomEventRow)
            .where(
                RoomEventRow.session_id == session.id,
                RoomEventRow.actor == member.peer,
                RoomEventRow.type.in_([t.value for t in WRITTEN]),
            )
            .order_by(RoomEventRow.seq)
        )
        rooms.append(
            {
                "session": {"starts_at": session.starts_at.isoformat(), "theme": session.theme},
                "name": member.name,
                "status": member.status,
                "admitted_at": _iso(member.admitted_at),
                "connected": [
                    {"from": _iso(p.joined_at), "until": _iso(p.left_at)} for p in presence
                ],
                "written": [
                    {
                        "kind": row.type,
                        "text": row.data.get("text"),
                        "at": row.data.get("at"),
                        "deleted": row.deleted_at is not None,
                    }
                    for row in written
                ],
            }
        )
    return rooms


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None
