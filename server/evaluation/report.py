"""The disclosed evaluation report: the one model the report page, the CSV and the PDF render.

This module holds the model and the building blocks; ``report_series.py`` and ``report_program.py``
build the two reports. Built once per request from the exact figures (``service.SeriesEvaluation``,
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
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal

from server.evaluation.charts import Bar, ChartText, PairedBar, bar_chart, paired_bar_chart
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
    ``max_value``. ``withheld`` is empty for a chart that is drawn; when every value is hidden
    there is nothing to draw, so ``svg`` is empty and ``withheld`` says why, in place of the chart
    on the page and in the PDF (a frame of "hidden" markers looks like a broken chart).
    """

    chart_id: str
    title: str
    legend: tuple[str, ...]
    rows: tuple[ChartRow, ...]
    max_value: Decimal
    svg: str
    withheld: str = ""


@dataclass(frozen=True)
class Section:
    """One part of a report; ``key`` is stable (funnel, commitment, attendance, feedback,
    self_assessment, series, outcomes) so pages and tests can find it in any language."""

    key: str
    heading: str
    notes: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


@dataclass(frozen=True)
class Report:
    """A whole report, every figure disclosed and formatted; ``hidden`` marks a suppressed one
    and ``language`` is the reader's (the page's and the PDF's ``lang``). ``made`` says when it
    was made ("Luotu Tupassa pe 4.12.2026 8.24"), one string for the page, the CSV and every
    page of the PDF; empty when the builder was given no time."""

    title: str
    subtitle: str
    notes: tuple[str, ...]
    sections: tuple[Section, ...]
    hidden: str
    language: str
    made: str = ""

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


def decimal_text(t: Translator, value: Decimal | int | float) -> str:
    """Two decimals in the reader's language: "4,25" in Finnish and Swedish, "4.25" in English."""
    return format_decimal(value, "#,##0.00", locale=t.locale)


def percentage_text(t: Translator, value: Decimal | int | float) -> str:
    """A percentage with two decimals and a space before the sign: "84,68 %", "84.68 %".

    An ordinary space, not a no-break one, so a search for the figure finds it in every output.
    """
    return f"{decimal_text(t, value)} %"


class ReportFormat:
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


def report_chart(
    chart_id: str,
    text: ChartText,
    rows: Sequence[tuple[str, tuple[Decimal | int | None, ...]]],
    value_text: Callable[[Decimal], str],
    withheld: str,
    legend: tuple[str, str] | None = None,
    max_value: Decimal | int | None = None,
) -> Chart:
    """The chart of ``rows``, or, when every value is hidden, no drawing and ``withheld``: the
    caller's translated words for why (too few answers, too few participants)."""
    values = [tuple(None if v is None else Decimal(v) for v in vs) for _, vs in rows]
    top = Decimal(max_value) if max_value is not None else None
    if top is None:
        top = max((v for vs in values for v in vs if v is not None), default=Decimal(0))
    top = top if top > 0 else Decimal(1)

    def shown(value: int | float | Decimal) -> str:
        return value_text(Decimal(value))

    chart_rows = tuple(
        ChartRow(label, vs, tuple(text.suppressed if v is None else value_text(v) for v in vs))
        for (label, _), vs in zip(rows, values, strict=True)
    )
    if all(v is None for vs in values for v in vs):
        return Chart(chart_id, text.title, legend or (), chart_rows, top, "", withheld)
    if legend is None:
        bars = [Bar(label, vs[0]) for (label, _), vs in zip(rows, values, strict=True)]
        svg = bar_chart(chart_id, bars, text, top, shown)
    else:
        pairs = [
            PairedBar(label, vs[0], vs[1]) for (label, _), vs in zip(rows, values, strict=True)
        ]
        svg = paired_bar_chart(chart_id, pairs, text, legend, top, shown)
    return Chart(chart_id, text.title, legend or (), chart_rows, top, svg)


def too_few_participants(t: Translator) -> str:
    """Said in place of a chart of counts about people whose every value is hidden."""
    return t.gettext("Too few participants to show a chart without identifying anyone.")


def figure_table(fmt: ReportFormat, rows: Sequence[tuple[str, str]]) -> Table:
    t = fmt.t
    return Table("", (t.gettext("Figure"), t.gettext("Value")), tuple(rows), (False, True))


def funnel_section(
    fmt: ReportFormat, shown: Sequence[int | None], chart_max: int | None
) -> Section:
    t = fmt.t
    labels = (
        t.gettext("Parents enrolled"),
        t.gettext("Parents who started"),
        t.gettext("Parents who completed"),
    )
    chart = report_chart(
        "funnel",
        fmt.chart_text(
            t.gettext("Enrolment funnel"),
            t.gettext("Participants at each stage, from enrolment to completion."),
            t.gettext("Participants"),
        ),
        [(label, (value,)) for label, value in zip(labels, shown, strict=True)],
        lambda v: t.number(int(v)),
        too_few_participants(t),
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
            figure_table(
                fmt, [(label, fmt.count(v)) for label, v in zip(labels, shown, strict=True)]
            ),
        ),
        charts=(chart,),
    )


def period_text(t: Translator, sessions: Sequence[tuple[SessionRow, bool]]) -> str | None:
    """First to last session held, or planned when none was held yet; None without sessions."""
    held = [s.starts_at for s, was_held in sessions if was_held]
    dates = held or [s.starts_at for s, _ in sessions if s.status != "cancelled"]
    if not dates:
        return None
    return f"{t.date(min(dates), 'd.M.yyyy')}–{t.date(max(dates), 'd.M.yyyy')}"


def made_text(t: Translator, made_at: datetime | None) -> str:
    """When the report was made, in the reader's language and the organisation's zone, through
    the translator's one format for an instant (the page's and the PDF's cannot differ)."""
    if made_at is None:
        return ""
    return t.gettext("Made with Tupa %(when)s", when=t.datetime(made_at, "long"))


def reading_notes(fmt: ReportFormat) -> tuple[str, ...]:
    return (
        fmt.t.ngettext(
            "Figures about fewer than %(threshold)s person, and figures from which such a number"
            " could be worked out, are not shown: they read “%(hidden)s”.",
            "Figures about fewer than %(threshold)s people, and figures from which such a number"
            " could be worked out, are not shown: they read “%(hidden)s”.",
            fmt.threshold,
            threshold=fmt.t.number(fmt.threshold),
            hidden=fmt.hidden,
        ),
    )
