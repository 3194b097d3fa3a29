"""The disclosed evaluation report: the one model the report page, the CSV and the PDF render.

Built once per request from the exact figures (``service.SeriesEvaluation``,
``service.ProgramEvaluation``), so the three outputs cannot disagree: every count, mean and
percentage in it has already passed the small-count rules of ``disclosure.py`` and is a string
formatted for the reader's language. A suppressed figure is the translated word "hidden" (the
``Report.hidden`` marker); "<3" would be false for a figure hidden because of its neighbours (20
who started, hidden because 21 enrolled), and a second marker for those would tell which is which.

Reports are for sharing (funders such as STEA and ESF). The coordinator's exact, unsuppressed
numbers are on the attendance page, never in a report.

``disclosure.py`` rules each figure alone; here figures are also protected from each other:

- a stage hidden in the funnel stays hidden in the commitment section, and the places and
  percentage that would give it back are hidden with it;
- while the funnel hides how many started, the attendances are hidden too, and so is any session
  count above the enrolled minus two (20 present of 21 enrolled tells that 20 started);
- session counts that add up to the shown attendances are hidden until the hidden ones add up to
  the threshold, so subtraction gives back no small number;
- a series of a program with a hidden stage is shown only summed with others, or the program's
  total minus the other series would give the stage back;
- a mean is never shown beside a distribution with hidden cells: the distribution goes.

Sessions held and their dates describe the schedule, not people, and are shown as they are.

What remains is inference from several figures at once (bounds on who completed worked out from
attendance counts); the threshold makes that coarse, not impossible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from server.evaluation.charts import Bar, ChartText, PairedBar, bar_chart, paired_bar_chart
from server.evaluation.disclosure import (
    DEFAULT_THRESHOLD,
    disclose_commitment,
    disclose_count,
    disclose_distribution,
    disclose_free_text,
    disclose_funnel,
    disclose_mean,
)
from server.evaluation.figures import Commitment, Funnel
from server.evaluation.questionnaires import FeedbackSummary, ItemChange, Questionnaire
from server.evaluation.service import ProgramEvaluation, SeriesEvaluation
from server.i18n import Translator
from server.storage.tables import SessionRow

# --- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Formatted cells under a header; ``numeric`` columns are aligned right."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


@dataclass(frozen=True)
class ChartRow:
    """One bar (or pair of bars): its values, None when hidden, and the same values as text."""

    label: str
    values: tuple[Decimal | None, ...]
    shown: tuple[str, ...]


@dataclass(frozen=True)
class Chart:
    """A chart as SVG for the page and as data for the PDF; both show the same disclosed values.

    ``legend`` names the bars of a pair and is empty for single bars. Bars run from zero to
    ``max_value``.
    """

    chart_id: str
    title: str
    legend: tuple[str, ...]
    rows: tuple[ChartRow, ...]
    max_value: Decimal
    svg: str


@dataclass(frozen=True)
class Section:
    """One part of a report; ``key`` is stable (funnel, commitment, attendance, feedback,
    self_assessment, series) so pages and tests can find it in any language."""

    key: str
    heading: str
    notes: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class Report:
    """A whole report, every figure disclosed and formatted; ``hidden`` marks a suppressed one
    and ``language`` is the reader's (the page's and the PDF's ``lang``)."""

    title: str
    subtitle: str
    notes: tuple[str, ...]
    sections: tuple[Section, ...]
    hidden: str
    language: str

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


# --- formatting -------------------------------------------------------------------------------


def decimal_text(t: Translator, value: Decimal | int | float) -> str:
    """Two decimals in the reader's language: "4,25" in Finnish and Swedish, "4.25" in English."""
    return format_decimal(value, "#,##0.00", locale=t.locale)


def percentage_text(t: Translator, value: Decimal | int | float) -> str:
    """A percentage with two decimals and a space before the sign: "84,68 %", "84.68 %".

    An ordinary space, not a no-break one, so a search for the figure finds it in every output.
    """
    return f"{decimal_text(t, value)} %"


class _Format:
    """The reader's formats, with the hidden marker for a suppressed figure."""

    def __init__(self, t: Translator, threshold: int) -> None:
        self.t = t
        self.threshold = threshold
        self.hidden = t.gettext("hidden")

    def count(self, value: int | None) -> str:
        return self.hidden if value is None else self.t.number(value)

    def mean(self, value: Decimal | None) -> str:
        return self.hidden if value is None else decimal_text(self.t, value)

    def percentage(self, value: Decimal | None) -> str:
        return self.hidden if value is None else percentage_text(self.t, value)

    def change(self, value: Decimal | None) -> str:
        """Signed, with an ASCII minus: Excel reads "-0,25" as a number, and "−" is not in the
        PDF's built-in font."""
        if value is None:
            return self.hidden
        sign = "+" if value > 0 else "-" if value < 0 else ""
        return sign + decimal_text(self.t, abs(value))

    def chart_text(self, title: str, description: str, axis: str = "") -> ChartText:
        return ChartText(title, description, self.hidden, axis)


def _chart(
    chart_id: str,
    text: ChartText,
    rows: Sequence[tuple[str, tuple[Decimal | int | None, ...]]],
    value_text: Callable[[Decimal], str],
    legend: tuple[str, str] | None = None,
    max_value: Decimal | int | None = None,
) -> Chart:
    values = [tuple(None if v is None else Decimal(v) for v in vs) for _, vs in rows]
    top = Decimal(max_value) if max_value is not None else None
    if top is None:
        top = max((v for vs in values for v in vs if v is not None), default=Decimal(0))
    top = top if top > 0 else Decimal(1)

    def shown(value: int | float | Decimal) -> str:
        return value_text(Decimal(value))

    if legend is None:
        bars = [Bar(label, vs[0]) for (label, _), vs in zip(rows, values, strict=True)]
        svg = bar_chart(chart_id, bars, text, top, shown)
    else:
        pairs = [
            PairedBar(label, vs[0], vs[1]) for (label, _), vs in zip(rows, values, strict=True)
        ]
        svg = paired_bar_chart(chart_id, pairs, text, legend, top, shown)
    chart_rows = tuple(
        ChartRow(label, vs, tuple(text.suppressed if v is None else value_text(v) for v in vs))
        for (label, _), vs in zip(rows, values, strict=True)
    )
    return Chart(chart_id, text.title, legend or (), chart_rows, top, svg)


# --- disclosure across figures ----------------------------------------------------------------


def _protect_sum(
    exact: Sequence[int], shown: Sequence[int | None], threshold: int
) -> list[int | None]:
    """Cells of a shown total, with more hidden until the hidden ones add up to the threshold.

    Otherwise the total minus the shown cells gives back a small count (or a zero), as
    ``disclose_distribution`` does for the cells of a distribution. The smallest are hidden first.
    """
    cells = list(shown)
    while True:
        hidden = [i for i, v in enumerate(cells) if v is None]
        if not hidden or sum(exact[i] for i in hidden) >= threshold:
            return cells
        still_shown = [(exact[i], i) for i, v in enumerate(cells) if v is not None]
        if not still_shown:
            return cells
        cells[min(still_shown)[1]] = None


def _disclosed_stages(funnel: Funnel, threshold: int) -> list[int | None]:
    shown = disclose_funnel(funnel, threshold)
    return [shown.enrolled, shown.started, shown.completed]


def _sum_funnels(funnels: Sequence[Funnel]) -> Funnel:
    return Funnel(
        sum(f.enrolled for f in funnels),
        sum(f.started for f in funnels),
        sum(f.completed for f in funnels),
    )


def _sum_commitments(commitments: Sequence[Commitment]) -> Commitment:
    return Commitment(
        sum(c.attendances for c in commitments),
        sum(c.started for c in commitments),
        sum(c.sessions_held for c in commitments),
        sum(c.places for c in commitments),
    )


def _series_on_own_rows(funnels: Sequence[Funnel], threshold: int) -> list[bool]:
    """Which series of a program get a row of their own; the others are shown only together.

    A series with a hidden stage cannot have its own row: the program's total minus the other
    rows would give the stage back. Such series are summed into one row; while that row has a
    hidden stage itself, the smallest series still on its own joins it. Rows whose stages are
    all shown add up to a total whose stages are all shown (their drops are 0 or at least the
    threshold, and so is the sum), so nothing is left to subtract. When every series has joined,
    the joint row is the program's total.
    """
    own = [None not in _disclosed_stages(f, threshold) for f in funnels]
    while True:
        joined = [f for f, alone in zip(funnels, own, strict=True) if not alone]
        if not joined or not any(own):
            return own
        if None not in _disclosed_stages(_sum_funnels(joined), threshold):
            return own
        smallest = min((f.enrolled, i) for i, f in enumerate(funnels) if own[i])[1]
        own[smallest] = False


# --- sections ---------------------------------------------------------------------------------


def _figure_table(fmt: _Format, rows: Sequence[tuple[str, str]]) -> Table:
    t = fmt.t
    return Table("", (t.gettext("Figure"), t.gettext("Value")), tuple(rows), (False, True))


def _funnel_section(fmt: _Format, shown: Sequence[int | None], chart_max: int | None) -> Section:
    t = fmt.t
    labels = (t.gettext("Enrolled"), t.gettext("Started"), t.gettext("Completed"))
    chart = _chart(
        "funnel",
        fmt.chart_text(
            t.gettext("Enrolment funnel"),
            t.gettext("Participants at each stage, from enrolment to completion."),
            t.gettext("Participants"),
        ),
        [(label, (value,)) for label, value in zip(labels, shown, strict=True)],
        lambda v: t.number(int(v)),
        max_value=chart_max,
    )
    return Section(
        "funnel",
        t.gettext("Enrolment funnel"),
        notes=(
            t.gettext(
                "Enrolled: got a seat in the group. Started: attended at least one session."
                " Completed: attended at least the required share of the sessions held."
            ),
        ),
        tables=(
            _figure_table(
                fmt, [(label, fmt.count(v)) for label, v in zip(labels, shown, strict=True)]
            ),
        ),
        charts=(chart,),
    )


def _worked_formula(fmt: _Format, c: Commitment, percentage: Decimal | None) -> tuple[str, ...]:
    if percentage is None:
        return ()
    n = fmt.t.number
    return (
        f"{n(c.attendances)} / ({n(c.started)} × {n(c.sessions_held)})"
        f" = {n(c.attendances)} / {n(c.places)} = {fmt.percentage(percentage)}",
    )


def _series_commitment_section(
    fmt: _Format, c: Commitment, started: int | None, attendances: int | None
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
            _figure_table(
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


def _session_status(fmt: _Format, session: SessionRow, held: bool) -> str:
    if held:
        return fmt.t.gettext("Held")
    if session.status == "cancelled":
        return fmt.t.gettext("Cancelled")
    return fmt.t.gettext("Not held")


def _attendance_section(
    fmt: _Format, evaluation: SeriesEvaluation, started: int | None, attendances: int | None
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
        cells = _protect_sum(counts, cells, fmt.threshold)
    shown = {s.session.id: v for s, v in zip(held, cells, strict=True)}
    rows = tuple(
        (
            t.number(number),
            t.date(s.session.starts_at),
            s.session.theme,
            _session_status(fmt, s.session, s.held),
            fmt.count(shown[s.session.id]) if s.held else "–",
        )
        for number, s in enumerate(evaluation.sheet.sessions, start=1)
    )
    header = (
        t.gettext("No."),
        t.gettext("Date"),
        t.gettext("Theme"),
        t.gettext("Status"),
        t.gettext("Participants present"),
    )
    chart = _chart(
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
        max_value=started,
    )
    return Section(
        "attendance",
        t.gettext("Attendance per session"),
        tables=(Table("", header, rows, (True, False, False, False, True)),),
        charts=(chart,) if held else (),
    )


def _feedback_section(
    fmt: _Format,
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
                t.gettext(
                    "Written answers are shown when at least %(threshold)s people have answered.",
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
    fmt: _Format, assessment: tuple[Questionnaire, tuple[ItemChange, ...]] | None
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
    chart = _chart(
        "self-assessment",
        fmt.chart_text(
            t.gettext("Self-assessment at the start and at the end"),
            t.gettext("Mean of each item at the start and at the end of the group."),
        ),
        bars,
        lambda v: decimal_text(t, v),
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


# --- reports ----------------------------------------------------------------------------------


def _period(t: Translator, sessions: Sequence[tuple[SessionRow, bool]]) -> str | None:
    """First to last session held, or planned when none was held yet; None without sessions."""
    held = [s.starts_at for s, was_held in sessions if was_held]
    dates = held or [s.starts_at for s, _ in sessions if s.status != "cancelled"]
    if not dates:
        return None
    return f"{t.date(min(dates), 'd.M.yyyy')}–{t.date(max(dates), 'd.M.yyyy')}"


def _notes(fmt: _Format) -> tuple[str, ...]:
    return (
        fmt.t.gettext(
            "Figures about fewer than %(threshold)s people, and figures from which such a number"
            " could be worked out, are not shown: they read “%(hidden)s”.",
            threshold=fmt.t.number(fmt.threshold),
            hidden=fmt.hidden,
        ),
    )


def series_report(
    evaluation: SeriesEvaluation,
    t: Translator,
    threshold: int = DEFAULT_THRESHOLD,
    written_answers: bool = True,
) -> Report:
    """The report on one series, every figure disclosed and formatted for ``t``'s reader.

    ``written_answers=False`` leaves out the free text of the feedback: facilitators see only
    totals of what their group said, coordinators also read it (without names).

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    fmt = _Format(t, threshold)
    funnel = _disclosed_stages(evaluation.funnel, threshold)
    started = funnel[1]
    attendances = (
        disclose_count(evaluation.commitment.attendances, threshold)
        if started is not None
        else None
    )
    period = _period(t, [(s.session, s.held) for s in evaluation.sheet.sessions])
    program = evaluation.program.name
    return Report(
        title=t.gettext("Evaluation report: %(title)s", title=evaluation.series.title),
        subtitle=(
            t.gettext("%(program)s, sessions %(period)s", program=program, period=period)
            if period
            else program
        ),
        notes=_notes(fmt),
        sections=(
            _funnel_section(fmt, funnel, funnel[0]),
            _series_commitment_section(fmt, evaluation.commitment, started, attendances),
            _attendance_section(fmt, evaluation, started, attendances),
            _feedback_section(fmt, evaluation.feedback, written_answers),
            _self_assessment_section(fmt, evaluation.self_assessment),
        ),
        hidden=fmt.hidden,
        language=t.language,
    )


def _program_commitment_section(
    fmt: _Format, evaluation: ProgramEvaluation, every_series_own: bool, total_started: int | None
) -> Section:
    t = fmt.t
    c = evaluation.commitment
    percentage = disclose_commitment(c, fmt.threshold) if total_started is not None else None
    # Places add up started × held per series, so with two series held different numbers of
    # times, total places and total started would solve how many started in each.
    attendances = disclose_count(c.attendances, fmt.threshold) if every_series_own else None
    places = disclose_count(c.places, fmt.threshold) if every_series_own else None
    return Section(
        "commitment",
        t.gettext("Commitment"),
        notes=(
            t.gettext(
                "Commitment = attendances / places, where the places of a series are its"
                " participants who started × its sessions held. The program's figure is all"
                " attendances over all places, not the mean of the series' figures."
            ),
        ),
        tables=(
            _figure_table(
                fmt,
                [
                    (t.gettext("Series"), t.number(len(evaluation.series))),
                    (t.gettext("Sessions held"), t.number(c.sessions_held)),
                    (t.gettext("Attendances"), fmt.count(attendances)),
                    (t.gettext("Places"), fmt.count(places)),
                    (t.gettext("Commitment"), fmt.percentage(percentage)),
                ],
            ),
        ),
    )


def _series_section(fmt: _Format, evaluation: ProgramEvaluation, own: Sequence[bool]) -> Section:
    t = fmt.t
    rows: list[tuple[str, list[int | None], Decimal | None]] = []
    for series, alone in zip(evaluation.series, own, strict=True):
        if alone:
            shown = _disclosed_stages(series.funnel, fmt.threshold)
            rows.append(
                (series.series.title, shown, disclose_commitment(series.commitment, fmt.threshold))
            )
        else:
            rows.append((series.series.title, [None, None, None], None))
    joined = [s for s, alone in zip(evaluation.series, own, strict=True) if not alone]
    notes: tuple[str, ...] = ()
    if joined and any(own):
        together = _sum_funnels([s.funnel for s in joined])
        commitment = _sum_commitments([s.commitment for s in joined])
        rows.append(
            (
                t.gettext("Series with hidden figures, together"),
                _disclosed_stages(together, fmt.threshold),
                disclose_commitment(commitment, fmt.threshold),
            )
        )
        notes = (
            t.gettext(
                "A series whose figures are partly hidden is counted in the row of series"
                " together: on its own row, the total minus the other rows would show them."
            ),
        )
    header = (
        t.gettext("Series"),
        t.gettext("Enrolled"),
        t.gettext("Started"),
        t.gettext("Completed"),
        t.gettext("Commitment"),
    )
    table = Table(
        "",
        header,
        tuple(
            (title, *(fmt.count(v) for v in stages), fmt.percentage(p)) for title, stages, p in rows
        ),
        (False, True, True, True, True),
    )
    chart = _chart(
        "series-commitment",
        fmt.chart_text(
            t.gettext("Commitment per series"),
            t.gettext("The commitment percentage of each series."),
            t.gettext("Commitment"),
        ),
        [(title, (p,)) for title, _, p in rows],
        lambda v: percentage_text(t, v),
        max_value=100,
    )
    return Section(
        "series", t.gettext("Series"), notes=notes, tables=(table,), charts=(chart,) if rows else ()
    )


def program_report(
    evaluation: ProgramEvaluation, t: Translator, threshold: int = DEFAULT_THRESHOLD
) -> Report:
    """The report on a program: its totals, then one row per series, all disclosed.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    fmt = _Format(t, threshold)
    total = _disclosed_stages(evaluation.funnel, threshold)
    own = _series_on_own_rows([s.funnel for s in evaluation.series], threshold)
    period = _period(t, [(a.session, a.held) for s in evaluation.series for a in s.sheet.sessions])
    return Report(
        title=t.gettext("Evaluation report: %(title)s", title=evaluation.program.name),
        subtitle=t.gettext("Sessions %(period)s", period=period) if period else "",
        notes=_notes(fmt),
        sections=(
            _funnel_section(fmt, total, total[0]),
            _program_commitment_section(fmt, evaluation, all(own), total[1]),
            _series_section(fmt, evaluation, own),
        ),
        hidden=fmt.hidden,
        language=t.language,
    )
