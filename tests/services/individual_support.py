"""An individual time as it ran: booked by a new parent, its room opened and ended, the parent
present for part of it. For tests of attendance and its corrections."""

import secrets
from datetime import datetime, timedelta

from server.enrolment import service as enrolment_service
from server.organisation import Organisation
from server.scheduling import individual
from server.storage.db import Database
from server.storage.tables import PresenceRow, RoomMemberRow, RoomRow
from tests.factories import enrol_parent


async def held_time(
    database: Database,
    org: Organisation,
    series_id: int,
    now: datetime,
    present_minutes: int,
    pseudonym: str = "Mira",
) -> tuple[int, int]:
    """An individual time two days after ``now``, booked by a new parent and held, the parent
    present for ``present_minutes`` of its 45; returns (session id, enrolment id)."""
    new = await enrol_parent(database, org, series_id, pseudonym, now)
    async with database.unit_of_work() as db:
        enrolment = await enrolment_service.enrolment_by_token(db, new.token)
        day = (now + timedelta(days=2)).date()
        offered = await individual.offer_time(db, org, series_id, day, now.time(), 45, now)
        offered.booked_enrolment_id = enrolment.id
        end = offered.starts_at + timedelta(minutes=45)
        room = RoomRow(
            session_id=offered.id, status="ended", opened_at=offered.starts_at, ended_at=end
        )
        member = RoomMemberRow(
            session_id=offered.id,
            peer=secrets.token_urlsafe(12),
            enrolment_id=enrolment.id,
            name=enrolment.pseudonym,
            role="parent",
            status="admitted",
            created_at=offered.starts_at,
            admitted_at=offered.starts_at,
        )
        db.add_all([room, member])
        await db.flush()
        left = offered.starts_at + timedelta(minutes=present_minutes)
        db.add(PresenceRow(member_id=member.id, joined_at=offered.starts_at, left_at=left))
        return offered.id, enrolment.id
