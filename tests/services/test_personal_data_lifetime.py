"""E-mail addresses, enrolment answers and notices are deleted by the background pass a set number
of days after their series ends; what the reports count stays."""

from datetime import timedelta

from sqlalchemy import func, select

from server.background import BackgroundWork
from server.enrolment.service import EnrolmentRequest, enrol
from server.evaluation.attendance_sheet import EvaluationRules
from server.evaluation.service import series_evaluation
from server.scheduling import service as scheduling
from server.scheduling.endings import series_ends
from server.storage.tables import EnrolmentRow, NoticeRow
from tests.conftest import RecordingMailer
from tests.factories import seed_series


async def enrol_with_answers(database, org, series_id, pseudonym, email, now):
    request = EnrolmentRequest(pseudonym, email, {"q1": "3–6 v"})
    async with database.unit_of_work() as db:
        return (await enrol(db, org, series_id, request, now)).enrolment.id


async def enrolments(database, series_id):
    async with database.unit_of_work() as db:
        rows = await db.scalars(select(EnrolmentRow).where(EnrolmentRow.series_id == series_id))
        return {row.pseudonym: row for row in rows}


async def notices(database, series_id):
    async with database.unit_of_work() as db:
        return await db.scalar(
            select(func.count())
            .select_from(NoticeRow)
            .join(EnrolmentRow, EnrolmentRow.id == NoticeRow.enrolment_id)
            .where(EnrolmentRow.series_id == series_id)
        )


async def funnel(database, series_id):
    async with database.unit_of_work() as db:
        evaluation = await series_evaluation(db, series_id, EvaluationRules())
    return evaluation.funnel, evaluation.commitment


async def test_addresses_answers_and_notices_go_the_set_number_of_days_after_the_series_ends(
    database, org, clock, settings
):
    ended = await seed_series(database, org, clock.now)
    running = await seed_series(
        database, org, clock.now, first_on=(clock.now + timedelta(days=60)).date()
    )
    for series_id in (ended, running):
        await enrol_with_answers(
            database, org, series_id, "Mustikka", "mustikka@example.org", clock.now
        )
        await enrol_with_answers(database, org, series_id, "Puolukka", None, clock.now)
    async with database.unit_of_work() as db:
        end = (await series_ends(db, [ended]))[ended]
    figures = await funnel(database, ended)
    work = BackgroundWork(
        database,
        settings.model_copy(update={"personal_data_retention_days": 90}),
        RecordingMailer(),
        clock,
    )

    clock.now = end + timedelta(days=89)
    await work.run_once()
    kept = await enrolments(database, ended)
    assert kept["Mustikka"].email == "mustikka@example.org"
    assert kept["Mustikka"].answers == {"q1": "3–6 v"}
    assert kept["Mustikka"].personal_data_deleted_at is None

    clock.now = end + timedelta(days=90, minutes=1)
    await work.run_once()
    gone = await enrolments(database, ended)
    for row in gone.values():
        assert (row.email, row.answers) == (None, {})
        assert row.personal_data_deleted_at == clock.now
    assert await notices(database, ended) == 0
    assert await funnel(database, ended) == figures  # the reports count the same people
    assert {row.status for row in gone.values()} == {row.status for row in kept.values()}

    untouched = await enrolments(database, running)  # its sessions are not over
    assert untouched["Mustikka"].email == "mustikka@example.org"
    assert untouched["Puolukka"].answers == {"q1": "3–6 v"}
    assert await notices(database, running) > 0


async def test_a_series_ends_with_its_last_session_not_cancelled(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        sessions = (await scheduling.get_series(db, series_id)).sessions
        await scheduling.cancel_session(db, org, series_id, sessions[-1].id, clock.now)
    async with database.unit_of_work() as db:
        end = (await series_ends(db, [series_id]))[series_id]
    assert end == sessions[-2].starts_at + timedelta(minutes=sessions[-2].duration_minutes)
