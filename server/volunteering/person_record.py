"""What the peer-volunteer feature holds about one parent, for their export: the invitations
made to them and their answers. Never the volunteer account or its alias: the export is a file
that may lie on a shared device, and the account is not the parent's data but a person's own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.tables import PeerInvitationRow


async def invitations_of(db: AsyncSession, enrolment_id: int) -> list[dict[str, Any]]:
    rows = await db.scalars(
        select(PeerInvitationRow)
        .where(PeerInvitationRow.enrolment_id == enrolment_id)
        .order_by(PeerInvitationRow.created_at, PeerInvitationRow.id)
    )
    return [
        {
            "invited_at": row.created_at.isoformat(),
            "stands_until": row.expires_at.isoformat(),
            "status": row.status,
            "answered_at": row.decided_at.isoformat() if row.decided_at else None,
        }
        for row in rows
    ]
