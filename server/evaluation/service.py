"""Evaluation services: attendance from the rooms, questionnaires and their answers, reports.

The figures themselves are computed by the pure modules next to this one; here they are fed from
the database. Who may call what is decided by the routes; these functions check only that the
things named belong together (a session of this series, an enrolment of that series).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import EnrolmentStatus
from server.errors import ErrorCode, TupaError
from server.evaluation.attendance import (
    AttendanceMark,
    Presence,
    SessionRun,
    attendance_window,
    attended,
    check_share,
    time_present,
)
from server.evaluation.figures import (
    Cohort,
    Commitment,
    Funnel,
    SeriesFigures,
    program_figures,
    series_figures,
)
from server.evaluation.questionnaires import (
    Answers,
    FeedbackSummary,
    ItemChange,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireKind,
    check_change,
    define_questionnaire,
    self_assessment_change,
    summarise_feedback,
    validate_answers,
)
from server.storage.tables import (
    AttendanceCorrectionRow,
    EnrolmentRow,
    FeedbackAnswerRow,
    FeedbackReceiptRow,
    PresenceRow,
    ProgramRow,
    QuestionnaireRow,
    RoomMemberRow,
    RoomRow,
    SelfAssessmentRow,
    SeriesRow,
    SessionRow,
)

MAX_REASON = 300


@dataclass(frozen=True)
class EvaluationRules:
    """The organisation's definitions: how much of a session is attending, how many sessions
    is completing. From ``TUPA_ATTENDANCE_SHARE`` and ``TUPA_COMPLETION_SHARE``."""

    attendance_share: Decimal = Decimal("0.5")
    completion_share: Decimal = Decimal("0.5")


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


# --- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionAttendance:
    """One planned session of a series as it ran."""

    session: SessionRow
    run: SessionRun

    @property
    def held(self) -> bool:
        return self.run.held


@dataclass(frozen=True)
class AttendanceCell:
    """One participant at one held session: time present and the mark (computed, corrected)."""

    present: timedelta
    mark: AttendanceMark
    corrected_by: str | None = None  # reason of the newest correction


@dataclass(frozen=True)
class AttendanceSheet:
    """Who attended which session of a series: what a coordinator checks and corrects."""

    series: SeriesRow
    sessions: list[SessionAttendance]
    participants: list[EnrolmentRow]
    cells: dict[tuple[int, int], AttendanceCell]  # (enrolment id, session id), held sessions only

    def cohort(self) -> Cohort:
        held = tuple(s.session.id for s in self.sessions if s.held)
        attendance = frozenset(key for key, cell in self.cells.items() if cell.mark.counts)
        return Cohort(tuple(p.id for p in self.participants), held, attendance)


async def attendance_sheet(
    db: AsyncSession, series_id: int, rules: EvaluationRules
) -> AttendanceSheet:
    """Every participant's attendance at every held session of the series, corrections applied.

    Participants are the parents holding a seat, plus those who left after attending at least
    once (they are the drop-outs a funder asks about); the waiting list is not a participant.
    """
    series = await db.get(SeriesRow, series_id)
    if series is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    check_share(rules.attendance_share, "attendance_share")
    share = rules.attendance_share
    rows = await db.execute(
        select(SessionRow, RoomRow)
        .outerjoin(RoomRow, RoomRow.session_id == SessionRow.id)
        .where(SessionRow.series_id == series_id)
        .order_by(SessionRow.starts_at)
    )
    sessions = [
        SessionAttendance(
            session,
            SessionRun(
                session.starts_at,
                session.starts_at + timedelta(minutes=session.duration_minutes),
                room.opened_at if room else None,
                room.ended_at if room and room.opened_at else None,
            ),
        )
        for session, room in rows
    ]
    intervals: dict[tuple[int, int], list[Presence]] = defaultdict(list)
    presence = await db.execute(
        select(
            RoomMemberRow.enrolment_id,
            RoomMemberRow.session_id,
            PresenceRow.joined_at,
            PresenceRow.left_at,
        )
        .join(RoomMemberRow, RoomMemberRow.id == PresenceRow.member_id)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(SessionRow.series_id == series_id, RoomMemberRow.enrolment_id.is_not(None))
    )
    for enrolment_id, session_id, joined_at, left_at in presence:
        if enrolment_id is not None and (left_at is None or left_at >= joined_at):
            intervals[(enrolment_id, session_id)].append(Presence(joined_at, left_at))
    corrections: dict[tuple[int, int], AttendanceCorrectionRow] = {}
    for newer in await db.scalars(
        select(AttendanceCorrectionRow)
        .join(SessionRow, SessionRow.id == AttendanceCorrectionRow.session_id)
        .where(SessionRow.series_id == series_id)
        .order_by(AttendanceCorrectionRow.created_at, AttendanceCorrectionRow.id)
    ):
        corrections[(newer.enrolment_id, newer.session_id)] = newer  # the newest wins
    enrolments = list(
        await db.scalars(
            select(EnrolmentRow)
            .where(EnrolmentRow.series_id == series_id)
            .order_by(EnrolmentRow.pseudonym_key)
        )
    )
    cells: dict[tuple[int, int], AttendanceCell] = {}
    for enrolment in enrolments:
        for planned in sessions:
            window = attendance_window(planned.run)
            if window is None:
                continue
            key = (enrolment.id, planned.session.id)
            present = time_present(intervals.get(key, []), window.start, window.end)
            correction = corrections.get(key)
            mark = AttendanceMark(
                attended(present, window.length, share),
                correction.attended if correction else None,
            )
            cells[key] = AttendanceCell(present, mark, correction.reason if correction else None)
    participants = [
        e
        for e in enrolments
        if e.status == EnrolmentStatus.ENROLLED.value
        or (
            e.status in (EnrolmentStatus.WITHDRAWN.value, EnrolmentStatus.REMOVED.value)
            and any(cells[k].mark.counts for k in cells if k[0] == e.id)
        )
    ]
    return AttendanceSheet(series, sessions, participants, cells)


async def correct_attendance(
    db: AsyncSession,
    series_id: int,
    session_id: int,
    enrolment_id: int,
    attended_: bool,
    reason: str,
    staff_id: int,
    now: datetime,
) -> None:
    """Record a staff member's correction; the newest counts and all of them stay in the log."""
    reason = " ".join(reason.split())
    if not 1 <= len(reason) <= MAX_REASON:
        raise TupaError(ErrorCode.INVALID_INPUT, field="reason")
    session = await db.get(SessionRow, session_id)
    enrolment = await db.get(EnrolmentRow, enrolment_id)
    if session is None or enrolment is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if session.series_id != series_id or enrolment.series_id != series_id:
        raise TupaError(ErrorCode.NOT_FOUND)
    room = await db.get(RoomRow, session_id)
    if room is None or room.opened_at is None:
        raise TupaError(ErrorCode.NOT_YET_OPEN)  # a session never held has no attendance
    db.add(
        AttendanceCorrectionRow(
            session_id=session_id,
            enrolment_id=enrolment_id,
            attended=attended_,
            reason=reason,
            staff_id=staff_id,
            created_at=now,
        )
    )


async def attendance_corrections(
    db: AsyncSession, series_id: int
) -> list[tuple[AttendanceCorrectionRow, EnrolmentRow, SessionRow]]:
    """Every correction in the series, newest first: the log of who changed what."""
    rows = await db.execute(
        select(AttendanceCorrectionRow, EnrolmentRow, SessionRow)
        .join(EnrolmentRow, EnrolmentRow.id == AttendanceCorrectionRow.enrolment_id)
        .join(SessionRow, SessionRow.id == AttendanceCorrectionRow.session_id)
        .where(SessionRow.series_id == series_id)
        .order_by(AttendanceCorrectionRow.created_at.desc(), AttendanceCorrectionRow.id.desc())
    )
    return [(c, e, s) for c, e, s in rows]


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
    session = await db.get(SessionRow, session_id)
    if session is None or session.series_id != enrolment.series_id:
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
    return session, found[1]


async def give_feedback(
    db: AsyncSession,
    enrolment: EnrolmentRow,
    session_id: int,
    answers: dict[str, object],
    now: datetime,
) -> None:
    """Store one parent's feedback on a session: once, and without a link to the parent.

    The receipt (who answered) and the answer (what was said) are separate rows; a second answer
    is refused by the receipt's key, so it can never replace or add to the first.
    """
    await feedback_form(db, enrolment, session_id)
    found = await program_questionnaire(db, enrolment.series.program_id, QuestionnaireKind.FEEDBACK)
    assert found is not None
    questionnaire_id, questionnaire = found
    clean = validate_answers(questionnaire, answers)
    try:
        async with db.begin_nested():
            db.add(
                FeedbackReceiptRow(session_id=session_id, enrolment_id=enrolment.id, created_at=now)
            )
            await db.flush()
    except IntegrityError:
        raise TupaError(ErrorCode.ALREADY_ANSWERED) from None
    db.add(
        FeedbackAnswerRow(session_id=session_id, questionnaire_id=questionnaire_id, answers=clean)
    )


class Moment:
    START = "start"
    END = "end"


async def _last_session_over(db: AsyncSession, series_id: int, now: datetime) -> bool:
    sessions = list(
        await db.execute(
            select(SessionRow, RoomRow)
            .outerjoin(RoomRow, RoomRow.session_id == SessionRow.id)
            .where(SessionRow.series_id == series_id, SessionRow.status != "cancelled")
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
    return found[1]


async def give_self_assessment(
    db: AsyncSession,
    enrolment: EnrolmentRow,
    moment: str,
    answers: dict[str, object],
    now: datetime,
) -> None:
    """Store the parent's start or end self-assessment, once."""
    questionnaire = await self_assessment_form(db, enrolment, moment, now)
    found = await program_questionnaire(
        db, enrolment.series.program_id, QuestionnaireKind.SELF_ASSESSMENT
    )
    assert found is not None
    clean = validate_answers(questionnaire, answers)
    try:
        async with db.begin_nested():
            db.add(
                SelfAssessmentRow(
                    series_id=enrolment.series_id,
                    enrolment_id=enrolment.id,
                    moment=moment,
                    questionnaire_id=found[0],
                    answers=clean,
                    created_at=now,
                )
            )
            await db.flush()
    except IntegrityError:
        raise TupaError(ErrorCode.ALREADY_ANSWERED) from None


# --- reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesEvaluation:
    """Everything a series report shows, exact; disclosure rules are applied when rendering."""

    series: SeriesRow
    program: ProgramRow
    sheet: AttendanceSheet
    figures: SeriesFigures
    feedback: tuple[Questionnaire, FeedbackSummary] | None
    feedback_by_session: dict[int, FeedbackSummary]
    self_assessment: tuple[Questionnaire, tuple[ItemChange, ...]] | None

    @property
    def funnel(self) -> Funnel:
        return self.figures.funnel

    @property
    def commitment(self) -> Commitment:
        return self.figures.commitment


async def series_evaluation(
    db: AsyncSession, series_id: int, rules: EvaluationRules
) -> SeriesEvaluation:
    """The figures of one series: funnel, attendance, commitment, feedback, self-assessment."""
    sheet = await attendance_sheet(db, series_id, rules)
    program = await db.get(ProgramRow, sheet.series.program_id)
    assert program is not None
    figures = series_figures(sheet.cohort(), rules.completion_share)
    feedback = None
    by_session: dict[int, FeedbackSummary] = {}
    found = await program_questionnaire(db, program.id, QuestionnaireKind.FEEDBACK)
    if found is not None:
        questionnaire = found[1]
        answers: dict[int, list[Answers]] = defaultdict(list)
        for session_id, given in await db.execute(
            select(FeedbackAnswerRow.session_id, FeedbackAnswerRow.answers)
            .join(SessionRow, SessionRow.id == FeedbackAnswerRow.session_id)
            .where(SessionRow.series_id == series_id)
        ):
            answers[session_id].append(given)
        feedback = (
            questionnaire,
            summarise_feedback(questionnaire, [a for g in answers.values() for a in g]),
        )
        by_session = {s: summarise_feedback(questionnaire, g) for s, g in answers.items()}
    assessment = None
    found = await program_questionnaire(db, program.id, QuestionnaireKind.SELF_ASSESSMENT)
    if found is not None:
        at: dict[str, dict[int, Answers]] = {Moment.START: {}, Moment.END: {}}
        for enrolment_id, moment, given in await db.execute(
            select(
                SelfAssessmentRow.enrolment_id, SelfAssessmentRow.moment, SelfAssessmentRow.answers
            ).where(SelfAssessmentRow.series_id == series_id)
        ):
            at[moment][enrolment_id] = given
        assessment = (
            found[1],
            self_assessment_change(found[1], at[Moment.START], at[Moment.END]),
        )
    return SeriesEvaluation(sheet.series, program, sheet, figures, feedback, by_session, assessment)


@dataclass(frozen=True)
class ProgramEvaluation:
    """A program's series and their summed figures (commitment as the ratio of sums)."""

    program: ProgramRow
    series: list[SeriesEvaluation]
    funnel: Funnel
    commitment: Commitment


async def program_evaluation(
    db: AsyncSession, program_id: int, rules: EvaluationRules
) -> ProgramEvaluation:
    """Every series of the program that has held a session, and their totals."""
    program = await db.get(ProgramRow, program_id)
    if program is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    series_ids = list(
        await db.scalars(
            select(SeriesRow.id)
            .where(SeriesRow.program_id == program_id)
            .order_by(SeriesRow.created_at)
        )
    )
    evaluations = [await series_evaluation(db, sid, rules) for sid in series_ids]
    evaluations = [e for e in evaluations if e.commitment.sessions_held]
    figures = program_figures([e.sheet.cohort() for e in evaluations], rules.completion_share)
    return ProgramEvaluation(program, evaluations, figures.funnel, figures.commitment)
