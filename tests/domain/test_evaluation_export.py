import csv
import io
from datetime import UTC, datetime

import pypdf
import pytest

from server.evaluation.export import report_csv, report_pdf
from server.evaluation.report import Report
from server.evaluation.report_program import program_report
from server.evaluation.report_series import series_report
from server.i18n import Translator
from tests.domain.test_evaluation_report import (
    EN,
    FI,
    HELSINKI,
    SMALL_SESSION_ROWS,
    SMALL_SESSION_THEMES,
    a_program,
    an_evaluation,
    seed_evaluation,
)

ORGANISATION = "Tukiyhdistys ry"
MADE_AT = datetime(2026, 12, 4, 6, 24, tzinfo=UTC)  # Friday 8.24 in Helsinki
SECRET_FEEDBACK: list[dict[str, int | str]] = [
    {"useful": 5, "comment": "Minun tarinani on salainen"},
    {"useful": 4, "comment": "Toinen kommentti"},
]
OPEN_FEEDBACK: list[dict[str, int | str]] = [
    {"useful": 5, "comment": "Vertaistuki <b>auttoi</b> & kantoi"},
    {"useful": 4, "comment": '=HYPERLINK("http://example.invalid")'},
    {"useful": 4},
]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


@pytest.fixture(scope="module")
def seed_fi() -> Report:
    return series_report(seed_evaluation(), FI, made_at=MADE_AT)


@pytest.fixture(scope="module")
def seed_pdf(seed_fi: Report) -> bytes:
    return report_pdf(seed_fi, ORGANISATION)


@pytest.fixture(scope="module")
def small_session() -> Report:
    evaluation = an_evaluation(
        SMALL_SESSION_ROWS, themes=SMALL_SESSION_THEMES, not_held=1, feedback=SECRET_FEEDBACK
    )
    return series_report(evaluation, EN)


@pytest.fixture(scope="module")
def small_session_pdf(small_session: Report) -> bytes:
    return report_pdf(small_session, ORGANISATION)


# --- CSV --------------------------------------------------------------------------------------


def test_csv_has_every_table_row_of_the_report_as_it_reads_on_the_page(seed_fi):
    rows = csv_rows(report_csv(seed_fi))
    for section in seed_fi.sections:
        assert [section.heading] in rows
        for table in section.tables:
            assert list(table.header) in rows
            for row in table.rows:
                assert list(row) in rows


def test_csv_says_when_the_report_was_made_as_the_page_and_the_pdf_do(seed_fi):
    assert seed_fi.made == "Luotu Tupassa pe 4.12.2026 8.24"
    assert [seed_fi.made] in csv_rows(report_csv(seed_fi))


def test_csv_shows_the_seed_cohort_commitment_with_a_decimal_comma(seed_fi):
    rows = csv_rows(report_csv(seed_fi))
    assert [FI.gettext("Commitment"), "84,68 %"] in rows
    assert [FI.gettext("Attendances"), "503"] in rows
    assert ["503 / (18 × 33) = 503 / 594 = 84,68 %"] in rows


def test_csv_is_semicolon_separated_with_crlf_lines_and_starts_with_the_title(seed_fi):
    text = report_csv(seed_fi)
    assert text.startswith(seed_fi.title + "\r\n" + seed_fi.subtitle + "\r\n")
    assert f"{FI.gettext('Commitment')};84,68 %\r\n" in text
    assert not text.startswith("\ufeff")  # the route adds the byte-order mark


def test_csv_shows_the_hidden_marker_and_never_2_for_a_session_with_two_present(small_session):
    rows = csv_rows(report_csv(small_session))
    (session,) = [row for row in rows if "Vähäinen ilta" in row]
    assert session[-1] == "hidden"
    assert "2" not in session[1:]


def test_csv_never_contains_free_text_from_two_respondents(small_session):
    text = report_csv(small_session)
    assert "salainen" not in text
    assert "Toinen kommentti" not in text


def test_csv_defuses_formulas_but_keeps_signed_figures():
    start = {p: {"coping": 2, "support": 3} for p in (1, 2, 3)}
    end = {p: {"coping": 3, "support": 2} for p in (1, 2, 3)}
    evaluation = seed_evaluation(
        title="=cmd|' /C calc'!A0", feedback=OPEN_FEEDBACK, self_assessment=(start, end)
    )
    rows = csv_rows(report_csv(series_report(evaluation, FI)))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://example.invalid")' in cells
    assert not any(cell.startswith("=") for cell in cells)
    assert "+1,00" in cells
    assert "-1,00" in cells


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_is_a4_with_the_report_title_as_metadata(seed_pdf, seed_fi):
    reader = pypdf.PdfReader(io.BytesIO(seed_pdf))
    assert seed_pdf.startswith(b"%PDF")
    assert reader.metadata is not None
    assert reader.metadata.title == seed_fi.title
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_pdf_text_shows_the_seed_cohort_figures_exactly_as_the_report(seed_pdf):
    text = pdf_text(seed_pdf)
    assert "84,68 %" in text
    assert "503 / (18 × 33) = 503 / 594 = 84,68 %" in text
    lines = lines_of(text)
    assert lines.count("594") >= 1
    for count in ("21", "18", "14"):
        assert count in lines


def test_pdf_footer_names_the_organisation_and_numbers_the_pages(seed_pdf):
    reader = pypdf.PdfReader(io.BytesIO(seed_pdf))
    pages = len(reader.pages)
    assert pages > 1
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"{ORGANISATION} · Luotu Tupassa pe 4.12.2026 8.24" in text
        assert f"{number} / {pages}" in text


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_pdf_prints_the_time_the_report_was_made_as_the_translator_formats_it(language):
    t = Translator(language, HELSINKI)
    report = series_report(seed_evaluation(), t, made_at=MADE_AT)
    when = t.datetime(MADE_AT, "long")
    assert report.made == t.gettext("Made with Tupa %(when)s", when=when)
    assert "\u202f" not in report.made  # English "8:24 AM": the PDF's font has no such space
    # Text extraction reads the no-break space of "8:24 AM" as a space.
    assert report.made.replace("\xa0", " ") in pdf_text(report_pdf(report, ORGANISATION))


def test_pdf_shows_the_hidden_marker_and_never_2_for_a_session_with_two_present(
    small_session_pdf,
):
    lines = lines_of(pdf_text(small_session_pdf))
    places = [i for i, line in enumerate(lines) if "Vähäinen ilta" in line]
    assert len(places) == 2  # the chart's label and the table's row
    for i in places:
        following = lines[i + 1 : i + 3]
        assert "hidden" in following
        assert "2" not in following


def test_pdf_never_contains_free_text_from_two_respondents(small_session_pdf):
    text = pdf_text(small_session_pdf)
    assert "salainen" not in text
    assert "Toinen kommentti" not in text


def test_markup_in_a_title_and_free_text_prints_as_text_with_finnish_letters():
    evaluation = seed_evaluation(title="Äidit & isät <script>x</script>", feedback=OPEN_FEEDBACK)
    report = series_report(evaluation, FI)
    data = report_pdf(report, "Förening för familjer rf")
    text = pdf_text(data)
    assert "Äidit & isät <script>x</script>" in text
    assert "Vertaistuki <b>auttoi</b> & kantoi" in text
    assert "Förening för familjer rf" in text
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata is not None
    title = FI.gettext("Evaluation report: %(title)s", title="Äidit & isät <script>x</script>")
    assert reader.metadata.title == title


def test_pdf_says_why_in_place_of_a_chart_whose_every_value_is_hidden():
    start = {p: {"coping": 2, "support": 3} for p in (1, 2)}
    end = {p: {"coping": 4, "support": 4} for p in (1, 2)}
    report = series_report(seed_evaluation(self_assessment=(start, end)), EN)
    text = pdf_text(report_pdf(report, ORGANISATION))
    assert "Too few answers to show a chart without identifying anyone." in text
    assert text.count("I cope with everyday life") == 1  # in the table; no chart label
    assert "At the start" not in text  # no legend of a chart that is not drawn


def test_program_report_renders_to_csv_and_pdf_alike():
    one_never_came = {p: "xxxx" for p in range(1, 5)} | {5: "...."}
    three_never_came = {p: "xxxx" for p in range(1, 8)} | {p: "...." for p in range(8, 11)}
    program = a_program(
        seed_evaluation(),
        an_evaluation(three_never_came, series_id=2, title="Kesä"),
        an_evaluation(one_never_came, series_id=3, title="Syksy"),
    )
    report = program_report(program, EN)
    rows = csv_rows(report_csv(report))
    assert ["Series with hidden figures, together", "15", "11", "11", "100.00 %"] in rows
    text = pdf_text(report_pdf(report, ORGANISATION))
    assert "Series with hidden figures, together" in text
    assert "84.68 %" in text
