from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.evaluation.attendance import SessionRun
from server.evaluation.attendance_sheet import AttendanceSheet, SessionAttendance
from server.evaluation.figures import Cohort, Commitment, Funnel, series_figures
from server.evaluation.questionnaires import (
    Question,
    QuestionKind,
    QuestionnaireKind,
    define_questionnaire,
    self_assessment_change,
    summarise_feedback,
)
from server.evaluation.report import Report, ReportFormat, Section, Table, reading_notes
from server.evaluation.report_program import program_report
from server.evaluation.report_series import series_report
from server.evaluation.service import ProgramEvaluation, SeriesEvaluation
from server.i18n import Translator
from server.storage.tables import ProgramRow, SeriesRow, SessionRow
from tests.domain.test_evaluation_figures import seed_rows

HELSINKI = ZoneInfo("Europe/Helsinki")
FI = Translator("fi", HELSINKI)
EN = Translator("en", HELSINKI)
FIRST_SESSION = datetime(2026, 2, 3, 16, 0, tzinfo=UTC)  # Tuesday 18.00 in Helsinki

FEEDBACK = define_questionnaire(
    QuestionnaireKind.FEEDBACK,
    [
        Question("useful", "Was the session useful to you?"),
        Question("comment", "What would you like to say?", QuestionKind.TEXT),
    ],
)
SELF_ASSESSMENT = define_questionnaire(
    QuestionnaireKind.SELF_ASSESSMENT,
    [Question("coping", "I cope with everyday life"), Question("support", "I have support")],
)


# --- building evaluations in memory -----------------------------------------------------------


def a_session(session_id: int, series_id: int, when: datetime, theme: str = "", **kw: Any):
    return SessionRow(
        id=session_id,
        series_id=series_id,
        theme=theme,
        starts_at=when,
        duration_minutes=90,
        media_mode="group",
        status=kw.pop("status", "planned"),
        **kw,
    )


def an_evaluation(
    rows: Mapping[int, str],
    *,
    series_id: int = 1,
    title: str = "Vanhemmalta vanhemmalle, kevät 2026",
    themes: Sequence[str] = (),
    not_held: int = 0,
    feedback: Sequence[Mapping[str, int | str]] | None = None,
    self_assessment: tuple[Mapping[int, Mapping[str, int]], Mapping[int, Mapping[str, int]]]
    | None = None,
) -> SeriesEvaluation:
    """A series drawn as a matrix: one row per participant, "x" where they attended a session.

    Each column is a held session a week apart; ``not_held`` planned sessions follow them.
    """
    program = ProgramRow(id=1, name="Vanhemmalta vanhemmalle")
    series = SeriesRow(id=series_id, program_id=1, title=title)
    held = len(next(iter(rows.values())))
    sessions: list[SessionAttendance] = []
    for i in range(held + not_held):
        starts = FIRST_SESSION + timedelta(weeks=i)
        theme = themes[i] if i < len(themes) else ""
        row = a_session(series_id * 1000 + i, series_id, starts, theme)
        opened = starts if i < held else None
        run = SessionRun(starts, starts + timedelta(minutes=90), opened, opened)
        sessions.append(SessionAttendance(row, run))
    held_ids = tuple(s.session.id for s in sessions if s.held)
    cohort = Cohort(
        enrolled=tuple(rows),
        sessions_held=held_ids,
        attendance=frozenset(
            (p, held_ids[i]) for p, marks in rows.items() for i, m in enumerate(marks) if m == "x"
        ),
    )
    sheet = AttendanceSheet(series, sessions, [], {})
    return SeriesEvaluation(
        series=series,
        program=program,
        sheet=sheet,
        figures=series_figures(cohort),
        feedback=(FEEDBACK, summarise_feedback(FEEDBACK, feedback))
        if feedback is not None
        else None,
        feedback_by_session={},
        self_assessment=(
            (SELF_ASSESSMENT, self_assessment_change(SELF_ASSESSMENT, *self_assessment))
            if self_assessment is not None
            else None
        ),
    )


def seed_evaluation(**kwargs: Any) -> SeriesEvaluation:
    return an_evaluation(seed_rows(), **kwargs)


# A series where the second session had two participants present.
SMALL_SESSION_ROWS = {1: "xxx", 2: "x.x", 3: "xxx", 4: "x.x", 5: "x.x", 6: "x.x"}
SMALL_SESSION_THEMES = ("Arjen rytmi", "Vähäinen ilta", "Lopuksi")


def small_session_evaluation() -> SeriesEvaluation:
    return an_evaluation(SMALL_SESSION_ROWS, themes=SMALL_SESSION_THEMES, not_held=1)


def a_program(*evaluations: SeriesEvaluation) -> ProgramEvaluation:
    """A program of these series, its totals summed as ``service.program_evaluation`` does."""
    funnel = Funnel(
        sum(e.funnel.enrolled for e in evaluations),
        sum(e.funnel.started for e in evaluations),
        sum(e.funnel.completed for e in evaluations),
    )
    commitment = Commitment(
        sum(e.commitment.attendances for e in evaluations),
        sum(e.commitment.started for e in evaluations),
        sum(e.commitment.sessions_held for e in evaluations),
        sum(e.commitment.places for e in evaluations),
    )
    return ProgramEvaluation(evaluations[0].program, list(evaluations), funnel, commitment)


def section(report: Report, key: str) -> Section:
    found = report.section(key)
    assert found is not None, key
    return found


def figure(report: Report, key: str, label: str) -> str:
    """The value beside ``label`` in the section's first table."""
    rows = {row[0]: row[-1] for row in section(report, key).tables[0].rows}
    return rows[label]


def every_cell(report: Report) -> list[str]:
    return [
        cell
        for s in report.sections
        for table in s.tables
        for cell in (table.caption, *table.header, *(c for row in table.rows for c in row))
    ]


# --- the seed cohort --------------------------------------------------------------------------


def test_seed_cohort_funnel_shows_21_enrolled_18_started_14_completed():
    report = series_report(seed_evaluation(), EN)
    assert [row[1] for row in section(report, "funnel").tables[0].rows] == ["21", "18", "14"]


def test_seed_cohort_commitment_is_84_68_percent_with_a_decimal_comma_in_finnish():
    commitment = FI.gettext("Commitment")
    assert figure(series_report(seed_evaluation(), FI), "commitment", commitment) == "84,68 %"
    assert figure(series_report(seed_evaluation(), EN), "commitment", "Commitment") == "84.68 %"


def test_commitment_spells_out_its_formula_and_counts():
    report = series_report(seed_evaluation(), EN)
    commitment = section(report, "commitment")
    assert "attendances / (participants who started × sessions held)" in commitment.notes[0]
    assert commitment.notes[1] == "503 / (18 × 33) = 503 / 594 = 84.68 %"
    values = {row[0]: row[1] for row in commitment.tables[0].rows}
    assert values["Attendances"] == "503"
    assert values["Participants who started"] == "18"
    assert values["Sessions held"] == "33"
    assert values["Places (started × sessions held)"] == "594"


def test_subtitle_names_the_program_and_the_period_in_helsinki_dates():
    report = series_report(seed_evaluation(), FI)
    assert report.subtitle == FI.gettext(
        "%(program)s, sessions %(period)s",
        program="Vanhemmalta vanhemmalle",
        period="3.2.2026–15.9.2026",
    )


def test_attendance_lists_every_planned_session_and_whether_it_was_held():
    report = series_report(small_session_evaluation(), EN)
    table = section(report, "attendance").tables[0]
    assert [row[3] for row in table.rows] == ["Held", "Held", "Held", "Not held"]
    assert table.rows[0][1] == "Tue 3.2.2026"
    assert table.rows[1][2] == "Vähäinen ilta"
    assert table.rows[3][4] == "–"


def test_charts_come_as_svg_for_the_page_and_as_the_same_values_for_the_pdf():
    report = series_report(seed_evaluation(), FI)
    chart = section(report, "funnel").charts[0]
    assert chart.svg.startswith("<svg")
    assert [row.shown for row in chart.rows] == [("21",), ("18",), ("14",)]
    assert [row.values for row in chart.rows] == [(Decimal(21),), (Decimal(18),), (Decimal(14),)]


# --- suppression ------------------------------------------------------------------------------


def test_a_session_with_two_present_shows_the_hidden_marker():
    report = series_report(small_session_evaluation(), EN)
    row = section(report, "attendance").tables[0].rows[1]
    assert row[2] == "Vähäinen ilta"
    assert row[4] == report.hidden == "hidden"


def test_another_session_is_hidden_so_the_attendances_total_does_not_give_the_small_one_back():
    report = series_report(small_session_evaluation(), EN)
    present = [row[4] for row in section(report, "attendance").tables[0].rows]
    assert figure(report, "commitment", "Attendances") == "14"
    assert present[:3].count("hidden") == 2
    assert "6" in present[:3]


def test_the_chart_hides_the_small_session_too():
    report = series_report(small_session_evaluation(), EN)
    chart = section(report, "attendance").charts[0]
    assert chart.rows[1].values == (None,)
    assert chart.rows[1].shown == ("hidden",)
    assert ">2<" not in chart.svg


def test_started_one_below_enrolled_hides_started_commitment_and_near_full_sessions():
    rows = {p: "xxxx" for p in range(1, 21)} | {21: "...."}
    report = series_report(an_evaluation(rows), EN)
    assert [r[1] for r in section(report, "funnel").tables[0].rows] == ["21", "hidden", "hidden"]
    assert figure(report, "commitment", "Commitment") == "hidden"
    assert figure(report, "commitment", "Attendances") == "hidden"
    assert figure(report, "commitment", "Places (started × sessions held)") == "hidden"
    assert {row[4] for row in section(report, "attendance").tables[0].rows} == {"hidden"}
    assert "20" not in every_cell(report)


def test_commitment_of_two_starters_is_hidden():
    rows = {1: "xxxx", 2: "xx..", 3: "....", 4: "....", 5: "...."}
    report = series_report(an_evaluation(rows), EN)
    assert figure(report, "commitment", "Commitment") == "hidden"
    assert figure(report, "commitment", "Participants who started") == "hidden"


def test_free_text_from_two_respondents_never_appears():
    feedback = [
        {"useful": 5, "comment": "Minun tarinani on salainen"},
        {"useful": 4, "comment": "Toinen kommentti"},
    ]
    report = series_report(seed_evaluation(feedback=feedback), EN)
    cells = " ".join(every_cell(report) + list(section(report, "feedback").notes))
    assert "salainen" not in cells
    assert "Toinen" not in cells
    assert "Written answers are shown when at least 3 people have answered." in cells


def test_free_text_from_three_respondents_is_shown_sorted():
    feedback = [
        {"useful": 5, "comment": "Vertaistuki auttoi"},
        {"useful": 5, "comment": "Aikataulu sopi"},
        {"useful": 4},
    ]
    report = series_report(seed_evaluation(feedback=feedback), EN)
    texts = section(report, "feedback").tables[-1]
    assert texts.caption == "What would you like to say?"
    assert texts.rows == (("Aikataulu sopi",), ("Vertaistuki auttoi",))


def distribution_tables(report: Report) -> list[Table]:
    return [t for t in section(report, "feedback").tables if t.header[-1] == "Chosen by"]


def test_scale_question_shows_n_and_mean_and_leaves_out_the_distribution_the_mean_would_solve():
    feedback = [{"useful": 5}, {"useful": 5}, {"useful": 5}, {"useful": 4}]
    report = series_report(seed_evaluation(feedback=feedback), FI)
    summary = section(report, "feedback").tables[0]
    assert summary.rows == (("Was the session useful to you?", "4", "4,75"),)
    assert distribution_tables(report) == []
    assert section(report, "feedback").notes[1] == FI.gettext(
        "A distribution of answers is shown only when none of its parts needs hiding:"
        " beside the mean, a hidden part could be worked out."
    )


def test_a_full_distribution_is_shown_when_no_cell_is_small():
    feedback = [{"useful": point} for point in (1, 2, 3, 4, 5) for _ in range(3)]
    report = series_report(seed_evaluation(feedback=feedback), EN)
    summary = section(report, "feedback").tables[0]
    assert summary.rows[0][1:] == ("15", "3.00")
    (distribution,) = distribution_tables(report)
    assert distribution.caption == "Was the session useful to you?"
    assert distribution.rows == tuple((str(point), "3") for point in (1, 2, 3, 4, 5))
    assert len(section(report, "feedback").notes) == 1


def test_hidden_zeros_beside_a_mean_leave_the_whole_distribution_out():
    feedback = [{"useful": 5}] * 3 + [{"useful": 4}] * 3 + [{"useful": 1}] * 3
    report = series_report(seed_evaluation(feedback=feedback), EN)
    assert section(report, "feedback").tables[0].rows[0][2] == "3.33"
    assert distribution_tables(report) == []


def test_mean_of_two_answers_is_hidden():
    report = series_report(seed_evaluation(feedback=[{"useful": 5}, {"useful": 1}]), EN)
    assert section(report, "feedback").tables[0].rows[0][1:] == ("hidden", "hidden")


def test_self_assessment_shows_start_end_and_signed_change_from_three_pairs():
    start = {1: {"coping": 2, "support": 3}, 2: {"coping": 3, "support": 3}, 3: {"coping": 2}}
    end = {1: {"coping": 4, "support": 4}, 2: {"coping": 4, "support": 2}, 3: {"coping": 3}}
    report = series_report(seed_evaluation(self_assessment=(start, end)), FI)
    rows = section(report, "self_assessment").tables[0].rows
    assert rows[0] == ("I cope with everyday life", "3", "2,33", "3,67", "+1,33")
    assert rows[1] == ("I have support", *[report.hidden] * 4)
    chart = section(report, "self_assessment").charts[0]
    assert chart.legend == (FI.gettext("At the start"), FI.gettext("At the end"))
    assert chart.max_value == Decimal(5)


def test_a_self_assessment_with_every_mean_hidden_says_why_instead_of_drawing_an_empty_chart():
    start = {p: {"coping": 2, "support": 3} for p in (1, 2)}
    end = {p: {"coping": 4, "support": 4} for p in (1, 2)}
    report = series_report(seed_evaluation(self_assessment=(start, end)), EN)
    (chart,) = section(report, "self_assessment").charts
    assert chart.svg == ""
    assert chart.withheld == "Too few answers to show a chart without identifying anyone."


def test_a_chart_with_some_values_shown_is_drawn_with_the_others_marked_hidden():
    chart = section(series_report(small_session_evaluation(), EN), "attendance").charts[0]
    assert chart.withheld == ""
    assert chart.svg.startswith("<svg") and ">hidden<" in chart.svg


def test_a_funnel_with_every_stage_hidden_says_why_instead_of_drawing_an_empty_chart():
    report = series_report(small_session_evaluation(), EN, threshold=7)
    (chart,) = section(report, "funnel").charts
    assert chart.svg == ""
    assert chart.withheld == "Too few participants to show a chart without identifying anyone."


def test_a_fall_shows_with_an_ascii_minus():
    start = {p: {"coping": 4, "support": 4} for p in (1, 2, 3, 4)}
    end = {p: {"coping": 3, "support": 4} for p in (1, 2, 3, 4)}
    report = series_report(seed_evaluation(self_assessment=(start, end)), EN)
    assert section(report, "self_assessment").tables[0].rows[0][-1] == "-1.00"
    assert section(report, "self_assessment").tables[0].rows[1][-1] == "0.00"


def test_missing_questionnaires_are_said_not_left_out():
    report = series_report(seed_evaluation(), EN)
    assert section(report, "feedback").notes == ("The program has no feedback form.",)
    assert section(report, "self_assessment").notes == ("The program has no self-assessment.",)


def test_the_report_explains_the_hidden_marker():
    report = series_report(seed_evaluation(), EN)
    assert "fewer than 3 people" in report.notes[0]
    assert "“hidden”" in report.notes[0]


def test_a_higher_threshold_hides_more():
    report = series_report(small_session_evaluation(), EN, threshold=7)
    assert [r[1] for r in section(report, "funnel").tables[0].rows] == ["hidden"] * 3


# --- language ---------------------------------------------------------------------------------


class Marked(Translator):
    """A reader whose catalogue puts a mark on every message, so untranslated words stand out."""

    def gettext(self, message: str, **params: Any) -> str:
        return "»" + super().gettext(message, **params)


def test_every_heading_and_header_goes_through_the_translator():
    report = series_report(seed_evaluation(feedback=[{"useful": 4}] * 3), Marked("fi", HELSINKI))
    words = [report.title, report.hidden]
    for s in report.sections:
        words += [s.heading, *s.notes[:1]]
        for table in s.tables:
            words += list(table.header)
    assert all(w.startswith("»") for w in words), [w for w in words if not w.startswith("»")]


def test_finnish_swedish_and_english_readers_get_their_own_headings():
    finnish = series_report(seed_evaluation(), FI)
    swedish = series_report(seed_evaluation(), Translator("sv", HELSINKI))
    english = series_report(seed_evaluation(), EN)
    assert section(finnish, "commitment").heading == "Sitoutumisprosentti"
    assert section(swedish, "commitment").heading == "Engagemangsprocent"
    assert section(english, "commitment").heading == "Commitment"


# --- programs ---------------------------------------------------------------------------------


def small_series(series_id: int, rows: Mapping[int, str], title: str) -> SeriesEvaluation:
    return an_evaluation(rows, series_id=series_id, title=title)


def test_program_report_sums_the_series_and_lists_each():
    other = {p: "xxxx" for p in range(1, 7)} | {p: "x..." for p in range(7, 10)}
    program = a_program(seed_evaluation(), small_series(2, other, "Syksy 2026"))
    report = program_report(program, EN)
    assert [r[1] for r in section(report, "funnel").tables[0].rows] == ["30", "27", "20"]
    rows = section(report, "series").tables[0].rows
    assert rows[0] == ("Vanhemmalta vanhemmalle, kevät 2026", "21", "18", "14", "84.68 %")
    assert rows[1] == ("Syksy 2026", "9", "9", "6", "75.00 %")
    assert (
        figure(report, "commitment", "Commitment") == "84.13 %"
    )  # 530 / 630, not the mean 79.84 %


def test_a_series_with_a_hidden_stage_is_shown_only_together_with_others():
    one_never_came = {p: "xxxx" for p in range(1, 5)} | {5: "...."}  # 5 enrolled, 4 started
    three_never_came = {p: "xxxx" for p in range(1, 8)} | {p: "...." for p in range(8, 11)}
    program = a_program(
        seed_evaluation(),
        small_series(2, three_never_came, "Kesä"),
        small_series(3, one_never_came, "Syksy"),
    )
    report = program_report(program, EN)
    rows = {row[0]: row[1:] for row in section(report, "series").tables[0].rows}
    assert rows["Syksy"] == ("hidden",) * 4
    assert rows["Kesä"] == ("hidden",) * 4  # alone with Syksy, 5 − 4 would show one never came
    assert rows["Series with hidden figures, together"] == ("15", "11", "11", "100.00 %")
    assert rows["Vanhemmalta vanhemmalle, kevät 2026"] == ("21", "18", "14", "84.68 %")
    assert [r[1] for r in section(report, "funnel").tables[0].rows] == ["36", "29", "25"]
    assert figure(report, "commitment", "Places") == "hidden"
    assert figure(report, "commitment", "Commitment") != "hidden"


def test_when_every_series_must_join_only_the_program_total_is_shown():
    one_never_came = {p: "xxxx" for p in range(1, 5)} | {5: "...."}
    program = a_program(
        small_series(1, one_never_came, "Kevät"), small_series(2, one_never_came, "Syksy")
    )
    report = program_report(program, EN)
    rows = section(report, "series").tables[0].rows
    assert [row[0] for row in rows] == ["Kevät", "Syksy"]
    assert {cell for row in rows for cell in row[1:]} == {"hidden"}
    assert [r[1] for r in section(report, "funnel").tables[0].rows] == ["10", "hidden", "hidden"]
    (chart,) = section(report, "series").charts
    assert (chart.svg, chart.withheld) == (
        "",
        "Too few participants to show a chart without identifying anyone.",
    )


def test_program_subtitle_spans_all_its_series():
    program = a_program(seed_evaluation(), small_series(2, {p: "xx" for p in range(4)}, "B"))
    assert program_report(program, EN).subtitle == "Sessions 3.2.2026–15.9.2026"


@pytest.mark.parametrize("threshold", [0, -1])
def test_a_threshold_below_one_is_refused(threshold):
    from server.errors import TupaError

    with pytest.raises(TupaError):
        series_report(seed_evaluation(), EN, threshold=threshold)


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        ("en", "fewer than 1 person,", "fewer than 3 people,"),
        ("sv", "färre än 1 person ", "färre än 3 personer "),
    ],
)
def test_the_reading_note_takes_the_plural_of_its_threshold(language, one, three):
    t = Translator(language, HELSINKI)

    assert one in reading_notes(ReportFormat(t, 1))[0]
    assert three in reading_notes(ReportFormat(t, 3))[0]
