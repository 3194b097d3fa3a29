"""The evaluation report of one series: funnel, commitment, attendance, feedback, self-assessment.

Built from the exact figures of ``service.SeriesEvaluation``; every number passes the rules of
``disclosure.py`` (see ``report.py`` for what the report model promises).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from server.evaluation.disclosure import (
    DEFAULT_THRESHOLD,
    disclose_commitment,
    disclose_count,
    disclose_distribution,
    disclose_free_text,
    disclose_mean,
    disclosed_stages,
    protect_sum,
)
from server.evaluation.figures import Commitment
from server.evaluation.individual import IndividualFigures
from server.evaluation.questionnaires import FeedbackSummary, ItemChange, Questionnaire
from server.evaluation.report import (
    Report,
    ReportFormat,
    Section,
    Table,
    decimal_text,
    figure_table,
    funnel_section,
    made_text,
    period_text,
    reading_notes,
    report_chart,
    too_few_participants,
)
from server.evaluation.service import SeriesEvaluation
from server.i18n import Translator
from server.storage.tables import SessionRow


def _worked_formula(
    fmt: ReportFormat, c: Commitment, percentage: Decimal | None
) -> tuple[str, ...]:
    if percentage is None:
        return ()
    n = fmt.t.number
    return (
        f"{n(c.attendances)} / ({n(c.started)} × {n(c.sessions_held)})"
        f" = {n(c.attendances)} / {n(c.places)} = {fmt.percentage(percentage)}",
    )


def _series_commitment_section(
    fmt: ReportFormat, c: Commitment, started: int | None, attendances: int | None
) -> Section:
    t = fmt.t
    percentage = (
        disclose_commitment(c, fmt.threshold)
        if started is not None and attendances is not None
        else None
    )
    places = disclose_count(c.places, fmt.threshold) if started is not None else None
    return Section(
        "commitment",
        t.gettext("Commitment"),
        notes=(
            t.gettext(
                "Commitment = attendances / (participants who started × sessions held). A place"
                " is one participant who started at one session held."
            ),
            *_worked_formula(fmt, c, percentage),
        ),
        tables=(
            figure_table(
                fmt,
                [
                    (t.gettext("Attendances"), fmt.count(attendances)),
                    (t.gettext("Participants who started"), fmt.count(started)),
                    (t.gettext("Sessions held"), t.number(c.sessions_held)),
                    (t.gettext("Places (started × sessions held)"), fmt.count(places)),
                    (t.gettext("Commitment"), fmt.percentage(percentage)),
                ],
            ),
        ),
    )


def _session_status(fmt: ReportFormat, session: SessionRow, held: bool) -> str:
    if held:
        return fmt.t.gettext("Held")
    if session.status == "cancelled":
        return fmt.t.gettext("Cancelled")
    return fmt.t.gettext("Not held")


def _attendance_section(
    fmt: ReportFormat, evaluation: SeriesEvaluation, started: int | None, attendances: int | None
) -> Section:
    t = fmt.t
    held = [s for s in evaluation.sheet.sessions if s.held]
    exact = dict(evaluation.figures.attendance_per_session)
    counts = [exact.get(s.session.id, 0) for s in held]
    cells = [disclose_count(n, fmt.threshold) for n in counts]
    if started is None:  # 20 present of 21 enrolled would tell that 20 started
        cells = [
            None if n > evaluation.funnel.enrolled - 2 else v
            for n, v in zip(counts, cells, strict=True)
        ]
    if attendances is not None:
        cells = protect_sum(counts, cells, fmt.threshold)
    shown = {s.session.id: v for s, v in zip(held, cells, strict=True)}
    # Drop-in viewers of a live series (server/scheduling/drop_in.py), each count disclosed
    # alone under the same small-number rule; a series that had none shows no such column.
    viewers = evaluation.sheet.drop_in_viewers
    with_viewers = any(viewers.values())
    rows = tuple(
        (
            t.number(number),
            t.date(s.session.starts_at),
            s.session.theme,
            _session_status(fmt, s.session, s.held),
            fmt.count(shown[s.session.id]) if s.held else "–",
            *(
                (fmt.count(disclose_count(viewers.get(s.session.id, 0), fmt.threshold)),)
                if with_viewers and s.held
                else ("–",)
                if with_viewers
                else ()
            ),
        )
        for number, s in enumerate(evaluation.sheet.sessions, start=1)
    )
    header = (
        t.gettext("No."),
        t.gettext("Date"),
        t.gettext("Theme"),
        t.gettext("Status"),
        t.gettext("Participants present"),
        *((t.gettext("Drop-in viewers"),) if with_viewers else ()),
    )
    chart = report_chart(
        "attendance",
        fmt.chart_text(
            t.gettext("Attendance per session"),
            t.gettext("Participants present at each session held."),
            t.gettext("Participants present"),
        ),
        [
            (
                " ".join([t.date(s.session.starts_at), s.session.theme]).strip(),
                (shown[s.session.id],),
            )
            for s in held
        ],
        lambda v: t.number(int(v)),
        too_few_participants(t),
        max_value=started,
    )
    return Section(
        "attendance",
        t.gettext("Attendance per session"),
        tables=(
            Table("", header, rows, (True, False, False, False, True, *((True,) * with_viewers))),
        ),
        charts=(chart,) if held else (),
    )


def _feedback_section(
    fmt: ReportFormat,
    feedback: tuple[Questionnaire, FeedbackSummary] | None,
    written_answers: bool = True,
) -> Section:
    t = fmt.t
    heading = t.gettext("Feedback after sessions")
    if feedback is None:
        return Section("feedback", heading, notes=(t.gettext("The program has no feedback form."),))
    questionnaire, summary = feedback
    scale_rows: list[tuple[str, str, str]] = []
    distributions: list[Table] = []
    for scale in summary.scales:
        question = questionnaire.question(scale.key)
        text = question.text if question else scale.key
        mean = disclose_mean(scale.mean, scale.n, fmt.threshold)
        cells = disclose_distribution(scale.distribution, fmt.threshold)
        scale_rows.append((text, fmt.count(disclose_count(scale.n, fmt.threshold)), fmt.mean(mean)))
        if all(count is not None for _, count in cells):  # beside the mean, a gap can be solved
            distributions.append(
                Table(
                    text,
                    (t.gettext("Answer"), t.gettext("Chosen by")),
                    tuple((t.number(point), fmt.count(count)) for point, count in cells),
                    (True, True),
                )
            )
    notes = [
        t.gettext(
            "Responses: %(responses)s.",
            responses=fmt.count(disclose_count(summary.responses, fmt.threshold)),
        )
    ]
    if len(distributions) < len(scale_rows):
        notes.append(
            t.gettext(
                "A distribution of answers is shown only when none of its parts needs hiding:"
                " beside the mean, a hidden part could be worked out."
            )
        )
    texts: list[Table] = []
    if summary.texts and not written_answers:
        notes.append(t.gettext("Written answers are read by the coordinators."))
    for answers in summary.texts if written_answers else ():
        question = questionnaire.question(answers.key)
        shown = disclose_free_text(answers, summary.responses, fmt.threshold)
        if shown is None:
            notes.append(
                t.ngettext(
                    "Written answers are shown when at least %(threshold)s person has answered.",
                    "Written answers are shown when at least %(threshold)s people have answered.",
                    fmt.threshold,
                    threshold=t.number(fmt.threshold),
                )
            )
            break
        rows = tuple((a,) for a in shown) or ((t.gettext("No written answers."),),)
        texts.append(
            Table(
                question.text if question else answers.key,
                (t.gettext("Written answers"),),
                rows,
                (False,),
            )
        )
    summary_table = Table(
        "",
        (t.gettext("Question"), t.gettext("Answers"), t.gettext("Mean")),
        tuple(scale_rows),
        (False, True, True),
    )
    tables = (summary_table, *distributions, *texts) if scale_rows else tuple(texts)
    return Section("feedback", heading, notes=tuple(notes), tables=tables)


def _self_assessment_section(
    fmt: ReportFormat, assessment: tuple[Questionnaire, tuple[ItemChange, ...]] | None
) -> Section:
    t = fmt.t
    heading = t.gettext("Self-assessment at the start and at the end")
    if assessment is None:
        return Section(
            "self_assessment", heading, notes=(t.gettext("The program has no self-assessment."),)
        )
    questionnaire, changes = assessment
    rows: list[tuple[str, ...]] = []
    bars: list[tuple[str, tuple[Decimal | int | None, ...]]] = []
    top = 0
    for item in changes:
        question = questionnaire.question(item.key)
        text = question.text if question else item.key
        top = max(top, question.scale_max if question else 0)
        start = disclose_mean(item.mean_start, item.n, fmt.threshold)
        end = disclose_mean(item.mean_end, item.n, fmt.threshold)
        change = disclose_mean(item.mean_change, item.n, fmt.threshold)
        n = disclose_count(item.n, fmt.threshold)
        rows.append((text, fmt.count(n), fmt.mean(start), fmt.mean(end), fmt.change(change)))
        bars.append((text, (start, end)))
    chart = report_chart(
        "self-assessment",
        fmt.chart_text(
            t.gettext("Self-assessment at the start and at the end"),
            t.gettext("Mean of each item at the start and at the end of the group."),
        ),
        bars,
        lambda v: decimal_text(t, v),
        t.gettext("Too few answers to show a chart without identifying anyone."),
        legend=(t.gettext("At the start"), t.gettext("At the end")),
        max_value=top or None,
    )
    header = (
        t.gettext("Item"),
        t.gettext("Answered at start and end"),
        t.gettext("Mean at start"),
        t.gettext("Mean at end"),
        t.gettext("Change from start to end"),
    )
    return Section(
        "self_assessment",
        heading,
        notes=(
            t.gettext(
                "Only participants who answered both at the start and at the end are counted."
            ),
        ),
        tables=(Table("", header, tuple(rows), (False, True, True, True, True)),),
        charts=(chart,) if bars else (),
    )


def individual_section(fmt: ReportFormat, figures: IndividualFigures) -> Section:
    """Individual times, apart from the group sessions. Each was one parent's, so even the
    number held is a count of people and is suppressed below the threshold."""
    t = fmt.t
    return Section(
        "individual",
        t.gettext("Individual sessions"),
        notes=(
            t.gettext(
                "Individual sessions are times one parent booked with a facilitator. They are not"
                " counted in the group sessions, attendance or commitment above."
            ),
        ),
        tables=(
            figure_table(
                fmt,
                [
                    (
                        t.gettext("Individual sessions held"),
                        fmt.count(disclose_count(figures.held, fmt.threshold)),
                    ),
                    (
                        t.gettext("Individual sessions attended"),
                        fmt.count(disclose_count(figures.attended, fmt.threshold)),
                    ),
                    (
                        t.gettext("Parents who attended an individual session"),
                        fmt.count(disclose_count(figures.parents, fmt.threshold)),
                    ),
                ],
            ),
        ),
    )


def series_report(
    evaluation: SeriesEvaluation,
    t: Translator,
    threshold: int = DEFAULT_THRESHOLD,
    written_answers: bool = True,
    made_at: datetime | None = None,
) -> Report:
    """The report on one series, every figure disclosed and formatted for ``t``'s reader.

    ``written_answers=False`` leaves out the free text of the feedback: facilitators see only
    totals of what their group said, coordinators also read it (without names). ``made_at`` is
    the instant the report is made, shown as ``Report.made``.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    fmt = ReportFormat(t, threshold)
    funnel = disclosed_stages(evaluation.funnel, threshold)
    started = funnel[1]
    attendances = (
        disclose_count(evaluation.commitment.attendances, threshold)
        if started is not None
        else None
    )
    period = period_text(t, [(s.session, s.held) for s in evaluation.sheet.sessions])
    program = evaluation.program.name
    return Report(
        title=t.gettext("Evaluation report: %(title)s", title=evaluation.series.title),
        subtitle=(
            t.gettext("%(program)s, sessions %(period)s", program=program, period=period)
            if period
            else program
        ),
        notes=reading_notes(fmt),
        sections=(
            funnel_section(fmt, funnel, funnel[0]),
            _series_commitment_section(fmt, evaluation.commitment, started, attendances),
            _attendance_section(fmt, evaluation, started, attendances),
            _feedback_section(fmt, evaluation.feedback, written_answers),
            _self_assessment_section(fmt, evaluation.self_assessment),
            individual_section(fmt, evaluation.individual),
        ),
        hidden=fmt.hidden,
        language=t.language,
        made=made_text(t, made_at),
    )
