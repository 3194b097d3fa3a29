"""What evaluation holds about one parent, for their export: feedback receipts (which sessions
they answered, never what: the answers cannot be linked to anyone) and their self-assessments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.tables import FeedbackReceiptRow, SelfAssessmentRow, SessionRow


async def feedback_receipts_of(db: AsyncSession, enrolment_id: int) -> list[dict[str, Any]]:
    sessions = await db.scalars(
        select(SessionRow)
        .join(FeedbackReceiptRow, FeedbackReceiptRow.session_id == SessionRow.id)
        .where(FeedbackReceiptRow.enrolment_id == enrolment_id)
        .order_by(SessionRow.starts_at)
    )
    return [{"session": {"starts_at": s.starts_at.isoformat(), "theme": s.theme}} for s in sessions]


async def self_assessments_of(db: AsyncSession, enrolment_id: int) -> list[dict[str, Any]]:
    rows = await db.scalars(
        select(SelfAssessmentRow)
        .where(SelfAssessmentRow.enrolment_id == enrolment_id)
        .order_by(SelfAssessmentRow.id)
    )
    return [
        {"moment": row.moment, "answers": row.answers, "at": row.created_at.isoformat()}
        for row in rows
    ]
