"""One parent's export: everything Tupa holds about an enrolment, asked of each feature.

Not in it: the feedback answers themselves (nobody can tell whose they are, so they are nobody's
to hand out) and the moderation log (the organisation's record of what its staff did).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.person_record import enrolment_of
from server.evaluation.person_record import feedback_receipts_of, self_assessments_of
from server.rooms.person_record import rooms_of
from server.scheduling.individual import individual_times_of
from server.storage.tables import EnrolmentRow
from server.volunteering.person_record import invitations_of

FORMAT = "tupa-personal-data/1"


async def personal_record(db: AsyncSession, row: EnrolmentRow, now: datetime) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "made_at": now.isoformat(),
        "enrolment": await enrolment_of(db, row),
        "rooms": await rooms_of(db, row.id),
        "feedback_given_for": await feedback_receipts_of(db, row.id),
        "self_assessments": await self_assessments_of(db, row.id),
        "peer_volunteer_invitations": await invitations_of(db, row.id),
        "individual_times": await individual_times_of(db, row),
    }


def as_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=2).encode()


def file_name(now: datetime) -> str:
    """A name that says what the file is without naming the person (it may lie in Downloads)."""
    return f"tupa-{now.date().isoformat()}.json"
