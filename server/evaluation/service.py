"""The exact figures of a series or a program, gathered for the reports.

Nothing here is disclosed yet: ``report_series.py`` and ``report_program.py`` apply the
small-count rules before anything is shown or exported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.evaluation.answers import Moment, program_questionnaire
from server.evaluation.attendance_sheet import AttendanceSheet, EvaluationRules, attendance_sheet
from server.evaluation.figures import (
    Commitment,
    Funnel,
    SeriesFigures,
    program_figures,
    series_figures,
)
from server.evaluation.individual import IndividualFigures, individual_figures
from server.evaluation.questionnaires import (
    Answers,
    FeedbackSummary,
    ItemChange,
    Questionnaire,
    QuestionnaireKind,
    self_assessment_change,
    summarise_feedback,
)
from server.storage.tables import (
    FeedbackAnswerRow,
    PeerInvitationRow,
    ProgramRow,
    SelfAssessmentRow,
    SeriesRow,
    SessionRow,
)

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
    # Counted apart from the group sessions (evaluation/individual.py).
    individual: IndividualFigures = field(default_factory=IndividualFigures)

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
    individual = await individual_figures(db, series_id, rules)
    return SeriesEvaluation(
        sheet.series, program, sheet, figures, feedback, by_session, assessment, individual
    )


@dataclass(frozen=True)
class ProgramEvaluation:
    """A program's series and their summed figures (commitment as the ratio of sums)."""

    program: ProgramRow
    series: list[SeriesEvaluation]
    funnel: Funnel
    commitment: Commitment
    # Outcomes beyond the series themselves: parents who went on as peer volunteers (accepted
    # invitations, server/volunteering; counted even after an erasure cut their link).
    continued_as_volunteers: int = 0


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
    volunteers = await db.scalar(
        select(func.count()).where(
            PeerInvitationRow.program_id == program_id, PeerInvitationRow.status == "accepted"
        )
    )
    return ProgramEvaluation(
        program, evaluations, figures.funnel, figures.commitment, volunteers or 0
    )
