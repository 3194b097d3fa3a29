"""Parents who were in a session that has ended, and their feedback: for the feedback tests."""

import secrets
from datetime import timedelta

from sqlalchemy import select

from server.enrolment.service import EnrolmentRequest, enrol
from server.evaluation.answers import give_feedback, save_questionnaire
from server.evaluation.questionnaires import Question, QuestionKind, QuestionnaireKind
from server.storage.tables import (
    EnrolmentRow,
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SeriesRow,
    SessionRow,
)
from tests.factories import seed_series


async def parents_after_a_held_session(database, org, clock, how_many):
    """``how_many`` parents who were all in a session whose room has ended: (enrolment ids,
    session id)."""
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        series = await db.get(SeriesRow, series_id)
        series.capacity = how_many
        enrolments = [
            (await enrol(db, org, series_id, EnrolmentRequest(f"Vanhempi{n}"), clock.now)).enrolment
            for n in range(how_many)
        ]
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
        for enrolment in enrolments:
            member = RoomMemberRow(
                session_id=session.id,
                peer=secrets.token_urlsafe(12),
                enrolment_id=enrolment.id,
                name=enrolment.pseudonym,
                role="parent",
                status="admitted",
                created_at=session.starts_at,
                admitted_at=session.starts_at,
            )
            db.add(member)
            await db.flush()
            db.add(PresenceRow(member_id=member.id, joined_at=session.starts_at, left_at=end))
        return [e.id for e in enrolments], session.id


async def answer(database, enrolment_id, session_id, answers, now):
    async with database.unit_of_work() as db:
        enrolment = await db.get(EnrolmentRow, enrolment_id)
        await give_feedback(db, enrolment, session_id, answers, now)
