"""Individual times in the report count the attendance staff corrected, as the group sessions
do: a parent who joined by phone attended, a dead connection kept open did not."""

import secrets
from datetime import datetime, timedelta

from server.enrolment import service as enrolment_service
from server.evaluation.attendance_sheet import EvaluationRules, correct_attendance
from server.evaluation.individual import IndividualFigures, individual_figures
from server.people.roles import Role
from server.scheduling import individual
from server.storage.tables import PresenceRow, RoomMemberRow, RoomRow
from tests.factories import a_staff_member, enrol_parent, seed_series


async def held_time(database, org, series_id: int, now: datetime, present_minutes: int):
    """An individual time booked by a new parent and held, the parent present for
    ``present_minutes`` of its 45; returns (session id, enrolment id)."""
    new = await enrol_parent(database, org, series_id, "Mira", now)
    async with database.unit_of_work() as db:
        enrolment = await enrolment_service.enrolment_by_token(db, new.token)
        day = (now + timedelta(days=2)).date()
        offered = await individual.offer_time(db, org, series_id, day, now.time(), 45, now)
        offered.booked_enrolment_id = enrolment.id
        end = offered.starts_at + timedelta(minutes=45)
        db.add(
            RoomRow(
                session_id=offered.id, status="ended", opened_at=offered.starts_at, ended_at=end
            )
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
        db.add(member)
        await db.flush()
        left = offered.starts_at + timedelta(minutes=present_minutes)
        db.add(PresenceRow(member_id=member.id, joined_at=offered.starts_at, left_at=left))
        return offered.id, enrolment.id


async def corrected(database, series_id, session_id, enrolment_id, attended, now) -> None:
    async with database.unit_of_work() as db:
        staff = await a_staff_member(
            db, now, Role.FACILITATOR, email=f"{secrets.token_hex(4)}@x.fi"
        )
        reason = "Soitti puhelimella" if attended else "Yhteys jäi auki"
        await correct_attendance(
            db, series_id, session_id, enrolment_id, attended, reason, staff.id, now
        )


async def figures(database, series_id) -> IndividualFigures:
    async with database.unit_of_work() as db:
        return await individual_figures(db, series_id, EvaluationRules())


async def test_a_parent_staff_marked_present_counts_as_attending_their_individual_time(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    session_id, enrolment_id = await held_time(database, org, series_id, clock.now, 5)
    assert await figures(database, series_id) == IndividualFigures(1, 0, 0)

    after = clock.advance(days=3)
    await corrected(database, series_id, session_id, enrolment_id, True, after)

    assert await figures(database, series_id) == IndividualFigures(1, 1, 1)


async def test_the_newest_correction_counts_and_can_take_attendance_away(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    session_id, enrolment_id = await held_time(database, org, series_id, clock.now, 45)
    assert await figures(database, series_id) == IndividualFigures(1, 1, 1)

    await corrected(database, series_id, session_id, enrolment_id, True, clock.advance(days=3))
    await corrected(database, series_id, session_id, enrolment_id, False, clock.advance(hours=1))

    assert await figures(database, series_id) == IndividualFigures(1, 0, 0)
