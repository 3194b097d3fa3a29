"""What an enrolment holds about its parent, for their export: the enrolment, answers, notices."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.service import is_banned, notices_for
from server.storage.tables import EnrolmentRow


async def enrolment_of(db: AsyncSession, row: EnrolmentRow) -> dict[str, Any]:
    """Everything on the enrolment row but the link's hash, with its notices, newest first."""
    notices = await notices_for(db, row)
    return {
        "series": row.series.title,
        "pseudonym": row.pseudonym,
        "email": row.email,
        "language": row.language,
        "answers": row.answers,
        "status": row.status,
        "banned": await is_banned(db, row.series_id, row.id),
        "enrolled_at": row.created_at.isoformat(),
        "changed_at": row.updated_at.isoformat(),
        "link_revoked_at": row.link_revoked_at.isoformat() if row.link_revoked_at else None,
        "personal_data_deleted_at": (
            row.personal_data_deleted_at.isoformat() if row.personal_data_deleted_at else None
        ),
        "notices": [
            {"kind": n.kind, "details": n.params, "at": n.created_at.isoformat()} for n in notices
        ],
    }
