"""One answer per person per session, even when the same form is sent twice at once."""

import asyncio
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.enrolment.service import EnrolmentRequest, enrol
from server.errors import ErrorCode, TupaError
from server.evaluation.answers import give_feedback, save_questionnaire
from server.evaluation.questionnaires import Question, QuestionKind, QuestionnaireKind
from server.storage.tables import (
    EnrolmentRow,
    FeedbackAnswerRow,
    FeedbackReceiptRow,
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SeriesRow,
    SessionRow,
)
from tests.factories import seed_series


async def a_parent_after_a_held_session(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        new = await enrol(db, org, series_id, EnrolmentRequest("Mustikka"), clock.now)
        series = await db.get(SeriesRow, series_id)
        await save_questionnaire(
            db,
            series.program_id,
            QuestionnaireKind.FEEDBACK,
            [Question("q1", "Miten meni?"), Question("q2", "Terveiset", QuestionKind.TEXT)],
            clock.now,
        )
        session = await db.scalar(
            select(SessionRow).where(SessionRow.series_id == series_id).limit(1)
        )
        end = session.starts_at + timedelta(minutes=90)
        db.add(
            RoomRow(
                session_id=session.id, status="ended", opened_at=session.starts_at, ended_at=end
            )
        )
        member = RoomMemberRow(
            session_id=session.id,
            peer=secrets.token_urlsafe(12),
            enrolment_id=new.enrolment.id,
            name="Mustikka",
            role="parent",
            status="admitted",
            created_at=session.starts_at,
            admitted_at=session.starts_at,
        )
        db.add(member)
        await db.flush()
        db.add(PresenceRow(member_id=member.id, joined_at=session.starts_at, left_at=end))
        return new.enrolment.id, session.id


async def answer(database, enrolment_id, session_id, answers, now):
    async with database.unit_of_work() as db:
        enrolment = await db.get(EnrolmentRow, enrolment_id)
        await give_feedback(db, enrolment, session_id, answers, now)


async def count(database, row_type):
    async with database.unit_of_work() as db:
        return await db.scalar(select(func.count()).select_from(row_type))


async def test_the_same_feedback_sent_twice_at_once_is_stored_once(database, org, clock):
    enrolment_id, session_id = await a_parent_after_a_held_session(database, org, clock)
    results = await asyncio.gather(
        *(answer(database, enrolment_id, session_id, {"q1": "4"}, clock.now) for _ in range(4)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, TupaError)]
    assert len([r for r in results if r is None]) == 1
    assert len(refused) == 3 and all(r.code is ErrorCode.ALREADY_ANSWERED for r in refused)
    assert await count(database, FeedbackAnswerRow) == 1
    assert await count(database, FeedbackReceiptRow) == 1


async def test_a_wrong_answer_stores_nothing_and_the_right_one_still_can_be_given(
    database, org, clock
):
    enrolment_id, session_id = await a_parent_after_a_held_session(database, org, clock)
    with pytest.raises(TupaError) as wrong:
        await answer(database, enrolment_id, session_id, {"q1": "6"}, clock.now)
    assert wrong.value.params["problem"] == "out_of_range"
    assert await count(database, FeedbackReceiptRow) == 0
    await answer(database, enrolment_id, session_id, {"q1": "5", "q2": "Kiitos"}, clock.now)
    assert await count(database, FeedbackAnswerRow) == 1
