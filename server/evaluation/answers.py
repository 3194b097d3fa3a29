"""Questionnaires and answers: a program's feedback form and self-assessment, as coordinators
define them, and parents answering them once each.

A feedback answer is stored apart from the receipt that says who answered, so what was said can
never be tied to a person; self-assessments are tied to the enrolment only so the report can pair
each parent's start with their end.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import EnrolmentStatus
from server.errors import ErrorCode, TupaError
from server.evaluation.questionnaires import (
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireKind,
    check_change,
    define_questionnaire,
    validate_answers,
)
from server.storage.tables import (
    EnrolmentRow,
    FeedbackAnswerRow,
    FeedbackReceiptRow,
    PresenceRow,
    ProgramRow,
    QuestionnaireRow,
    RoomMemberRow,
    RoomRow,
    SelfAssessmentRow,
    SessionRow,
)

# --- questionnaires ---------------------------------------------------------------------------


def _questionnaire(row: QuestionnaireRow) -> Questionnaire:
    questions = tuple(
        Question(q["key"], q["text"], QuestionKind(q["kind"]), q["min"], q["max"])
        for q in row.questions
    )
    return Questionnaire(QuestionnaireKind(row.kind), questions)


def _questions_json(questionnaire: Questionnaire) -> list[dict[str, object]]:
    return [
        {"key": q.key, "text": q.text, "kind": q.kind.value, "min": q.scale_min, "max": q.scale_max}
        for q in questionnaire.questions
    ]


async def program_questionnaire(
    db: AsyncSession, program_id: int, kind: QuestionnaireKind
) -> tuple[int, Questionnaire] | None:
    """The program's questionnaire of ``kind`` with its id, or None when none is defined."""
    row = await db.scalar(
        select(QuestionnaireRow).where(
            QuestionnaireRow.program_id == program_id, QuestionnaireRow.kind == kind.value
        )
    )
    return (row.id, _questionnaire(row)) if row else None


async def _has_answers(db: AsyncSession, questionnaire_id: int) -> bool:
    feedback = exists().where(FeedbackAnswerRow.questionnaire_id == questionnaire_id)
    assessed = exists().where(SelfAssessmentRow.questionnaire_id == questionnaire_id)
    return bool(await db.scalar(select(feedback | assessed)))


async def save_questionnaire(
    db: AsyncSession,
    program_id: int,
    kind: QuestionnaireKind,
    questions: list[Question],
    now: datetime,
) -> Questionnaire:
    """Define or change a program's questionnaire.

    Once answers exist, questions may be added and typos fixed, but nothing an answer refers to
    may be removed, retyped or rescaled (QUESTIONNAIRE_LOCKED); earlier answers are never lost.
    """
    if await db.get(ProgramRow, program_id) is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    new = define_questionnaire(kind, questions)
    row = await db.scalar(
        select(QuestionnaireRow)
        .where(QuestionnaireRow.program_id == program_id, QuestionnaireRow.kind == kind.value)
        .with_for_update()
    )
    if row is None:
        db.add(
            QuestionnaireRow(
                program_id=program_id,
                kind=kind.value,
                questions=_questions_json(new),
                updated_at=now,
            )
        )
    else:
        check_change(_questionnaire(row), new, await _has_answers(db, row.id))
        row.questions = _questions_json(new)
        row.updated_at = now
    await db.flush()
    return new


# --- a parent's questionnaires ----------------------------------------------------------------


async def _attended_any(db: AsyncSession, enrolment_id: int, session_id: int) -> bool:
    present = (
        exists()
        .where(PresenceRow.member_id == RoomMemberRow.id)
        .where(RoomMemberRow.enrolment_id == enrolment_id)
        .where(RoomMemberRow.session_id == session_id)
    )
    return bool(await db.scalar(select(present)))


async def feedback_due(db: AsyncSession, enrolment: EnrolmentRow) -> list[SessionRow]:
    """Sessions this parent was in whose room has ended and whose feedback they have not given.

    Only when the program has a feedback questionnaire.
    """
    series = enrolment.series
    if await program_questionnaire(db, series.program_id, QuestionnaireKind.FEEDBACK) is None:
        return []
    given = select(FeedbackReceiptRow.session_id).where(
        FeedbackReceiptRow.enrolment_id == enrolment.id
    )
    rows = await db.scalars(
        select(SessionRow)
        .join(RoomRow, RoomRow.session_id == SessionRow.id)
        .join(RoomMemberRow, RoomMemberRow.session_id == SessionRow.id)
        .where(
            SessionRow.series_id == series.id,
            SessionRow.kind == "group",  # an individual time's feedback would name its parent
            RoomRow.ended_at.is_not(None),
            RoomMemberRow.enrolment_id == enrolment.id,
            RoomMemberRow.admitted_at.is_not(None),
            SessionRow.id.not_in(given),
        )
        .order_by(SessionRow.starts_at)
    )
    return list(rows)


async def feedback_form(
    db: AsyncSession, enrolment: EnrolmentRow, session_id: int
) -> tuple[SessionRow, Questionnaire]:
    """The feedback questionnaire for one of the parent's sessions, if it is theirs to answer.

    NOT_FOUND for a session of another series; NOT_YET_OPEN while the room has not ended or for
    a session they were not in; ALREADY_ANSWERED when they have answered.
    """
    session, _questionnaire_id, questionnaire = await _open_feedback(db, enrolment, session_id)
    return session, questionnaire


async def _open_feedback(
    db: AsyncSession, enrolment: EnrolmentRow, session_id: int
) -> tuple[SessionRow, int, Questionnaire]:
    session = await db.get(SessionRow, session_id)
    if session is None or session.series_id != enrolment.series_id or session.kind != "group":
        raise TupaError(ErrorCode.NOT_FOUND)
    found = await program_questionnaire(db, enrolment.series.program_id, QuestionnaireKind.FEEDBACK)
    if found is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if await db.get(FeedbackReceiptRow, (session_id, enrolment.id)) is not None:
        raise TupaError(ErrorCode.ALREADY_ANSWERED)
    room = await db.get(RoomRow, session_id)
    if (
        room is None
        or room.ended_at is None
        or not await _attended_any(db, enrolment.id, session_id)
    ):
        raise TupaError(ErrorCode.NOT_YET_OPEN)
    return session, found[0], found[1]


async def give_feedback(
    db: AsyncSession,
    enrolment: EnrolmentRow,
    session_id: int,
    answers: dict[str, object],
    now: datetime,
) -> None:
    """Store one parent's feedback on a session: once, and without a link to the parent.

    The receipt (who answered) and the answer (what was said) are separate rows; a second answer
    is refused by the receipt's key, so it can never replace or add to the first. The receipt has
    no time and the answer a random id, but both databases lay rows down in the order they are
    inserted, so a dump would still pair the n-th answer with the n-th receipt. Each new answer
    therefore re-writes all of the session's answers, in a shuffled order and with new random
    ids, in the same transaction: a session has tens of answers, so the cost is small, and no
    second table or background pass is needed. Dead row versions left on a PostgreSQL page until
    vacuum are outside what a dump reads.
    """
    _session, questionnaire_id, questionnaire = await _open_feedback(db, enrolment, session_id)
    clean = validate_answers(questionnaire, answers)
    await _lock_answers(db, session_id)
    try:
        async with db.begin_nested():
            db.add(FeedbackReceiptRow(session_id=session_id, enrolment_id=enrolment.id))
            await db.flush()
    except IntegrityError:
        raise TupaError(ErrorCode.ALREADY_ANSWERED) from None
    await _shuffle_in(
        db,
        FeedbackAnswerRow(session_id=session_id, questionnaire_id=questionnaire_id, answers=clean),
    )


async def _lock_answers(db: AsyncSession, session_id: int) -> None:
    """Take the session row's write lock for the rest of the transaction, so two parents
    answering at once cannot each re-write a set without the other's answer.

    A write that changes nothing, not SELECT ... FOR UPDATE: SQLite ignores FOR UPDATE, and its
    driver opens the transaction only at the first write, which must therefore come before the
    answers are read (and before the receipt's savepoint, whose release would otherwise commit).
    """
    await db.execute(
        update(SessionRow)
        .where(SessionRow.id == session_id)
        .values(id=SessionRow.id)
        .execution_options(synchronize_session=False)
    )


async def _shuffle_in(db: AsyncSession, new: FeedbackAnswerRow) -> None:
    """Re-write the session's answers with ``new`` among them, in random order, new ids."""
    kept = list(
        await db.execute(
            select(FeedbackAnswerRow.questionnaire_id, FeedbackAnswerRow.answers).where(
                FeedbackAnswerRow.session_id == new.session_id
            )
        )
    )
    await db.execute(
        delete(FeedbackAnswerRow).where(FeedbackAnswerRow.session_id == new.session_id)
    )
    rows = [new] + [
        FeedbackAnswerRow(session_id=new.session_id, questionnaire_id=q, answers=a) for q, a in kept
    ]
    random.SystemRandom().shuffle(rows)
    db.add_all(rows)  # a flush inserts one mapper's rows in the order they were added
    await db.flush()


class Moment:
    START = "start"
    END = "end"


async def _last_session_over(db: AsyncSession, series_id: int, now: datetime) -> bool:
    sessions = list(
        await db.execute(
            select(SessionRow, RoomRow)
            .outerjoin(RoomRow, RoomRow.session_id == SessionRow.id)
            .where(
                SessionRow.series_id == series_id,
                SessionRow.kind == "group",
                SessionRow.status != "cancelled",
            )
            .order_by(SessionRow.starts_at.desc())
            .limit(1)
        )
    )
    if not sessions:
        return False
    last, room = sessions[0]
    ended = room is not None and room.ended_at is not None
    return ended or now >= last.starts_at + timedelta(minutes=last.duration_minutes)


async def self_assessment_due(
    db: AsyncSession, enrolment: EnrolmentRow, now: datetime
) -> str | None:
    """Which self-assessment the parent can fill in now: "start" until the last session is
    over, then "end"; None when the program has none or it is done."""
    if enrolment.status != EnrolmentStatus.ENROLLED.value:
        return None
    program_id = enrolment.series.program_id
    if await program_questionnaire(db, program_id, QuestionnaireKind.SELF_ASSESSMENT) is None:
        return None
    done = set(
        await db.scalars(
            select(SelfAssessmentRow.moment).where(SelfAssessmentRow.enrolment_id == enrolment.id)
        )
    )
    moment = Moment.END if await _last_session_over(db, enrolment.series_id, now) else Moment.START
    return None if moment in done else moment


async def self_assessment_form(
    db: AsyncSession, enrolment: EnrolmentRow, moment: str, now: datetime
) -> Questionnaire:
    """The self-assessment the parent may answer at ``moment``, or why not."""
    _questionnaire_id, questionnaire = await _open_self_assessment(db, enrolment, moment, now)
    return questionnaire


async def _open_self_assessment(
    db: AsyncSession, enrolment: EnrolmentRow, moment: str, now: datetime
) -> tuple[int, Questionnaire]:
    if moment not in (Moment.START, Moment.END):
        raise TupaError(ErrorCode.NOT_FOUND)
    found = await program_questionnaire(
        db, enrolment.series.program_id, QuestionnaireKind.SELF_ASSESSMENT
    )
    if found is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    answered = await db.scalar(
        select(SelfAssessmentRow.id).where(
            SelfAssessmentRow.enrolment_id == enrolment.id, SelfAssessmentRow.moment == moment
        )
    )
    if answered is not None:
        raise TupaError(ErrorCode.ALREADY_ANSWERED)
    if await self_assessment_due(db, enrolment, now) != moment:
        raise TupaError(ErrorCode.NOT_YET_OPEN)
    return found


async def give_self_assessment(
    db: AsyncSession,
    enrolment: EnrolmentRow,
    moment: str,
    answers: dict[str, object],
    now: datetime,
) -> None:
    """Store the parent's start or end self-assessment, once."""
    questionnaire_id, questionnaire = await _open_self_assessment(db, enrolment, moment, now)
    clean = validate_answers(questionnaire, answers)
    try:
        async with db.begin_nested():
            db.add(
                SelfAssessmentRow(
                    series_id=enrolment.series_id,
                    enrolment_id=enrolment.id,
                    moment=moment,
                    questionnaire_id=questionnaire_id,
                    answers=clean,
                    created_at=now,
                )
            )
            await db.flush()
    except IntegrityError:
        raise TupaError(ErrorCode.ALREADY_ANSWERED) from None
