"""Individual times in the report count the attendance staff corrected, as the group sessions
do: a parent who joined by phone attended, a dead connection kept open did not."""

import secrets

from server.evaluation.attendance_sheet import EvaluationRules, correct_attendance
from server.evaluation.individual import IndividualFigures, individual_figures
from server.people.roles import Role
from tests.factories import a_staff_member, seed_series
from tests.services.individual_support import held_time


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
