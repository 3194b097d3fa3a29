"""The evaluation report of a program: its totals, then its series, none giving another away.

See ``report.py`` for the model and ``disclosure.series_on_own_rows`` for why some series are
shown only summed together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from server.evaluation.disclosure import (
    DEFAULT_THRESHOLD,
    disclose_commitment,
    disclose_count,
    disclosed_stages,
    series_on_own_rows,
)
from server.evaluation.figures import sum_commitments, sum_funnels
from server.evaluation.individual import IndividualFigures
from server.evaluation.report import (
    Report,
    ReportFormat,
    Section,
    Table,
    figure_table,
    funnel_section,
    made_text,
    percentage_text,
    period_text,
    reading_notes,
    report_chart,
    too_few_participants,
)
from server.evaluation.report_series import individual_section
from server.evaluation.service import ProgramEvaluation
from server.i18n import Translator


def _program_commitment_section(
    fmt: ReportFormat,
    evaluation: ProgramEvaluation,
    every_series_own: bool,
    total_started: int | None,
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
            figure_table(
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


def _series_section(
    fmt: ReportFormat, evaluation: ProgramEvaluation, own: Sequence[bool]
) -> Section:
    t = fmt.t
    rows: list[tuple[str, list[int | None], Decimal | None]] = []
    for series, alone in zip(evaluation.series, own, strict=True):
        if alone:
            shown = disclosed_stages(series.funnel, fmt.threshold)
            rows.append(
                (series.series.title, shown, disclose_commitment(series.commitment, fmt.threshold))
            )
        else:
            rows.append((series.series.title, [None, None, None], None))
    joined = [s for s, alone in zip(evaluation.series, own, strict=True) if not alone]
    notes: tuple[str, ...] = ()
    if joined and any(own):
        together = sum_funnels([s.funnel for s in joined])
        commitment = sum_commitments([s.commitment for s in joined])
        rows.append(
            (
                t.gettext("Series with hidden figures, together"),
                disclosed_stages(together, fmt.threshold),
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
        t.gettext("Parents enrolled"),
        t.gettext("Parents who started"),
        t.gettext("Parents who completed"),
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
    chart = report_chart(
        "series-commitment",
        fmt.chart_text(
            t.gettext("Commitment per series"),
            t.gettext("The commitment percentage of each series."),
            t.gettext("Commitment"),
        ),
        [(title, (p,)) for title, _, p in rows],
        lambda v: percentage_text(t, v),
        too_few_participants(t),
        max_value=100,
    )
    return Section(
        "series", t.gettext("Series"), notes=notes, tables=(table,), charts=(chart,) if rows else ()
    )


def _outcomes_section(fmt: ReportFormat, evaluation: ProgramEvaluation) -> Section:
    """What came of the program beyond its sessions; a count below the threshold is hidden like
    every other (one volunteer in a small program is a person others can name)."""
    t = fmt.t
    volunteers = disclose_count(evaluation.continued_as_volunteers, fmt.threshold)
    return Section(
        "outcomes",
        t.gettext("Outcomes"),
        notes=(
            t.gettext(
                "Continued as peer volunteers: parents of the program's series who accepted a"
                " coordinator's invitation and made a volunteer account."
            ),
        ),
        tables=(
            figure_table(fmt, [(t.gettext("Continued as peer volunteers"), fmt.count(volunteers))]),
        ),
    )


def program_report(
    evaluation: ProgramEvaluation,
    t: Translator,
    threshold: int = DEFAULT_THRESHOLD,
    made_at: datetime | None = None,
) -> Report:
    """The report on a program: its totals, then one row per series, all disclosed; ``made_at``
    is the instant the report is made, shown as ``Report.made``.

    Raises INVALID_INPUT (field ``threshold``) when the threshold is below 1.
    """
    fmt = ReportFormat(t, threshold)
    total = disclosed_stages(evaluation.funnel, threshold)
    own = series_on_own_rows([s.funnel for s in evaluation.series], threshold)
    period = period_text(
        t, [(a.session, a.held) for s in evaluation.series for a in s.sheet.sessions]
    )
    return Report(
        title=t.gettext("Evaluation report: %(title)s", title=evaluation.program.name),
        subtitle=t.gettext("Sessions %(period)s", period=period) if period else "",
        notes=reading_notes(fmt),
        sections=(
            funnel_section(fmt, total, total[0]),
            _program_commitment_section(fmt, evaluation, all(own), total[1]),
            _series_section(fmt, evaluation, own),
            _outcomes_section(fmt, evaluation),
            individual_section(
                fmt,
                IndividualFigures(
                    sum(s.individual.held for s in evaluation.series),
                    sum(s.individual.attended for s in evaluation.series),
                    sum(s.individual.parents for s in evaluation.series),
                ),
            ),
        ),
        hidden=fmt.hidden,
        language=t.language,
        made=made_text(t, made_at),
    )
