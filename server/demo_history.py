"""Demo data with a past: a group halfway through its series, so the evaluation pages show
something at once (attendance, commitment, feedback, self-assessment at the start).

The history is written as the live rooms would have written it: rooms opened and ended by a
facilitator, presence records per parent, feedback receipts apart from anonymous answers. The
pattern is fixed, so a visitor (and the browser test) sees the same figures every time.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import SeriesStatus
from server.enrolment.service import EnrolmentRequest, enrol
from server.evaluation.answers import program_questionnaire, save_questionnaire
from server.evaluation.questionnaires import Question, QuestionKind, QuestionnaireKind
from server.organisation import Organisation
from server.scheduling.recurrence import Cadence, RecurrenceRule
from server.scheduling.series import LifeSituation, MediaMode
from server.scheduling.service import SeriesPlan, plan_series
from server.storage.tables import (
    EnrolmentRow,
    FeedbackAnswerRow,
    FeedbackReceiptRow,
    PresenceRow,
    ProgramRow,
    RoomMemberRow,
    RoomRow,
    SelfAssessmentRow,
    SessionRow,
)

HELD_SESSIONS = 4
PARENTS = (
    "Kaisla",
    "Lumikki",
    "Myrsky",
    "Nokkonen",
    "Orvokki",
    "Paju",
    "Ruska",
    "Sara",
    "Tuuli",
    "Usva",
)
# Which parents (by index) attended each held session: Sara, Tuuli and Usva never came (three,
# so the report may show how many started), Myrsky stopped after two.
ATTENDANCE = (
    (0, 1, 2, 3, 4, 5, 6),
    (0, 1, 2, 3, 4, 6),
    (0, 1, 3, 4, 5, 6),
    (0, 1, 3, 5, 6),
)

FEEDBACK_QUESTIONS = (
    Question("q1", "Miten tapaaminen onnistui mielestäsi?"),
    Question("q2", "Sainko tapaamisesta jotain omaan arkeeni?"),
    Question("q3", "Mitä haluaisit sanoa ohjaajille?", QuestionKind.TEXT),
)
SELF_ASSESSMENT_QUESTIONS = (
    Question("q1", "Tunnistan, mitä tunnen."),
    Question("q2", "Pystyn rauhoittamaan itseni, kun suutun."),
    Question("q3", "Osaan puhua tunteista lapseni kanssa."),
    Question("q4", "Jaksan arjessa."),
)
FEEDBACK_TEXTS = (
    "Oli helpottavaa kuulla, etten ole ainoa.",
    "Ohjaajat antoivat kaikille tilaa puhua.",
    "Toivoisin enemmän aikaa loppukeskusteluun.",
)


async def define_demo_questionnaires(db: AsyncSession, program: ProgramRow, now: datetime) -> None:
    """A feedback form and a self-assessment for the emotion-skills program."""
    for kind, questions in (
        (QuestionnaireKind.FEEDBACK, FEEDBACK_QUESTIONS),
        (QuestionnaireKind.SELF_ASSESSMENT, SELF_ASSESSMENT_QUESTIONS),
    ):
        if await program_questionnaire(db, program.id, kind) is None:
            await save_questionnaire(db, program.id, kind, list(questions), now)


async def define_live_feedback(db: AsyncSession, program: ProgramRow, now: datetime) -> None:
    """A feedback form for the eroneuvo live, which its viewers (drop-in ones too) answer once
    the live has ended."""
    if await program_questionnaire(db, program.id, QuestionnaireKind.FEEDBACK) is None:
        await save_questionnaire(
            db, program.id, QuestionnaireKind.FEEDBACK, list(FEEDBACK_QUESTIONS), now
        )


async def running_group(
    db: AsyncSession,
    org: Organisation,
    program: ProgramRow,
    staff_ids: list[int],
    today: date,
    now: datetime,
) -> int:
    """The autumn group of the emotion-skills program, four sessions held, five to come."""
    first_on = today - timedelta(days=7 * HELD_SESSIONS - 1)
    first_on -= timedelta(days=(first_on.weekday() - 1) % 7)  # a Tuesday
    planned_at = datetime.combine(first_on - timedelta(days=21), time(9, 0), tzinfo=org.zone)
    series = await plan_series(
        db,
        org,
        SeriesPlan(
            program_id=program.id,
            title="Minä, tunteet ja taidot – syksyn ryhmä",
            description=program.description,
            life_situation=LifeSituation.WELLBEING,
            rule=RecurrenceRule(Cadence.WEEKLY, 1, time(17, 30)),
            first_on=first_on,
            session_count=program.session_count,
            duration_minutes=program.duration_minutes,
            media_mode=MediaMode.CHAT,
            themes=list(program.themes),
            capacity=12,
            min_size=4,
            enrolment_deadline=planned_at + timedelta(days=14),
            staff_ids=staff_ids,
        ),
        planned_at,
    )
    series.status = SeriesStatus.CONFIRMED.value
    enrolments: list[EnrolmentRow] = []
    for pseudonym in PARENTS:
        new = await enrol(
            db, org, series.id, EnrolmentRequest(pseudonym), planned_at + timedelta(days=1)
        )
        enrolments.append(new.enrolment)
    sessions = list(
        await db.scalars(
            select(SessionRow)
            .where(SessionRow.series_id == series.id)
            .order_by(SessionRow.starts_at)
        )
    )
    for number, (session, present) in enumerate(zip(sessions, ATTENDANCE, strict=False)):
        if session.starts_at > now:
            break
        end = session.starts_at + timedelta(minutes=session.duration_minutes)
        db.add(
            RoomRow(
                session_id=session.id,
                status="ended",
                lobby=False,
                opened_at=session.starts_at - timedelta(minutes=10),
                ended_at=end,
                purged_at=end,  # its chat is long gone; attendance and the log stay
            )
        )
        for index in present:
            enrolment = enrolments[index]
            member = RoomMemberRow(
                session_id=session.id,
                peer=secrets.token_urlsafe(12),
                enrolment_id=enrolment.id,
                name=enrolment.pseudonym,
                role="parent",
                status="admitted",
                created_at=session.starts_at - timedelta(minutes=5),
                admitted_at=session.starts_at - timedelta(minutes=5),
            )
            db.add(member)
            await db.flush()
            late = timedelta(minutes=(index * 7 + number * 3) % 20)
            db.add(
                PresenceRow(member_id=member.id, joined_at=session.starts_at + late, left_at=end)
            )
            db.add(FeedbackReceiptRow(session_id=session.id, enrolment_id=enrolment.id))
            answers: dict[str, object] = {"q1": 3 + (index + number) % 3, "q2": 2 + index % 4}
            if index < len(FEEDBACK_TEXTS) and number == 0:
                answers["q3"] = FEEDBACK_TEXTS[index]
            questionnaire = await program_questionnaire(db, program.id, QuestionnaireKind.FEEDBACK)
            assert questionnaire is not None
            db.add(
                FeedbackAnswerRow(
                    session_id=session.id, questionnaire_id=questionnaire[0], answers=answers
                )
            )
    assessment = await program_questionnaire(db, program.id, QuestionnaireKind.SELF_ASSESSMENT)
    assert assessment is not None
    for index, enrolment in enumerate(enrolments[:7]):
        db.add(
            SelfAssessmentRow(
                series_id=series.id,
                enrolment_id=enrolment.id,
                moment="start",
                questionnaire_id=assessment[0],
                answers={
                    q.key: 2 + (index + n) % 3 for n, q in enumerate(SELF_ASSESSMENT_QUESTIONS)
                },
                created_at=sessions[0].starts_at - timedelta(days=1),
            )
        )
    await db.flush()
    return series.id
