"""A disclosed report as CSV for spreadsheets and as PDF for funders: rendering only.

Both take a ``report.Report``, whose figures are already disclosed and formatted, and add no
figure of their own: a cell reads the same on the page, in Excel and in the PDF.

CSV: semicolon-separated, with CRLF line ends. Excel in Finnish and Swedish locales (the decimal
comma) splits on ``;``, and the decimal commas in the cells then need no quoting; an English Excel
reader uses Data > From Text. The caller adds the UTF-8 byte-order mark, without which Excel
reads ä and ö as Latin-1 (no ``sep=`` line: with one, Excel ignores the mark).

PDF: A4 through reportlab's platypus, in Roboto (the ``font-roboto`` package from PyPI, Apache
2.0), embedded as a subset of the glyphs used. Its coverage holds Finnish, Swedish and every Sámi
letter (Northern č đ ŋ š ŧ ž, Inari â, Skolt ʒ ǯ ǧ ǥ ǩ õ ʹ), which the built-in Helvetica and
its Windows-1252 encoding printed as a box. Emoji in free text still do; the page and the CSV keep
them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from importlib.resources import files
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import registerFont, stringWidth  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from server.evaluation.charts import ACCENT, CONTRAST, INK
from server.evaluation.report import Chart, Report, Table

# --- CSV --------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIGURE = re.compile(r"[+-]?[0-9][0-9\u00a0 ,.]*( %)?")


def _csv_cell(text: str) -> str:
    """The cell, defused when a spreadsheet would run it as a formula ("=HYPERLINK(…)").

    Titles, themes and free text come from people; a leading apostrophe makes Excel and
    LibreOffice show them as text. Signed figures such as "+0,50" are left as numbers.
    """
    if text.startswith(FORMULA_START) and not FIGURE.fullmatch(text):
        return "'" + text
    return text


def report_csv(report: Report) -> str:
    """The report as CSV text: title lines, then per section its heading, notes and tables.

    An empty line goes before each section and each table; a table is its caption (when it has
    one), a header row and its rows.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")

    def line(*cells: str) -> None:
        writer.writerow([_csv_cell(c) for c in cells])

    line(report.title)
    if report.subtitle:
        line(report.subtitle)
    if report.made:
        line(report.made)
    for note in report.notes:
        line(note)
    for section in report.sections:
        writer.writerow([])
        line(section.heading)
        for note in section.notes:
            line(note)
        for table in section.tables:
            writer.writerow([])
            if table.caption:
                line(table.caption)
            line(*table.header)
            for row in table.rows:
                line(*row)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------------

FONT = "Roboto"
BOLD = "Roboto-Bold"
FONT_FILES = files("font_roboto") / "files"  # installed with Tupa, never fetched at run time
registerFont(TTFont(FONT, str(FONT_FILES / "Roboto-Regular.ttf")))
registerFont(TTFont(BOLD, str(FONT_FILES / "Roboto-Bold.ttf")))
MARGIN = 18 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN
GRID = colors.HexColor("#b0b8bf")
HEADER_FILL = colors.HexColor("#e8eef3")
MUTED = colors.HexColor("#4a545c")  # 8:1 on white

TITLE = ParagraphStyle("title", fontName=BOLD, fontSize=18, leading=22, spaceAfter=4)
SUBTITLE = ParagraphStyle("subtitle", fontName=FONT, fontSize=11, leading=14, spaceAfter=8)
# Headings, captions and a section's notes keep with what follows them: no orphaned heading.
HEADING = ParagraphStyle(
    "heading", fontName=BOLD, fontSize=13, leading=16, spaceBefore=12, spaceAfter=4, keepWithNext=1
)
CAPTION = ParagraphStyle(
    "caption", fontName=BOLD, fontSize=9.5, leading=12, spaceBefore=6, keepWithNext=1
)
BODY = ParagraphStyle(
    "body", fontName=FONT, fontSize=9.5, leading=12.5, spaceAfter=4, keepWithNext=1
)
NOTE = ParagraphStyle(
    "note", fontName=FONT, fontSize=8.5, leading=11, spaceAfter=4, textColor=MUTED
)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=11)
CELL_RIGHT = ParagraphStyle("cell-right", parent=CELL, alignment=TA_RIGHT)
HEAD = ParagraphStyle("head", parent=CELL, fontName=BOLD)
HEAD_RIGHT = ParagraphStyle("head-right", parent=HEAD, alignment=TA_RIGHT)

CHART_ROW = 15.0  # points per single bar
PAIR_ROW = 25.0  # points per pair of bars
CHART_ROWS_PER_DRAWING = 24  # a drawing cannot break across pages; long charts come in parts
LABEL_SHARE = 0.42  # of the frame's width, left of the bars
VALUE_SPACE = 64.0
CHART_FONT_SIZE = 8.0

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _markup(text: str) -> str:
    """Plain text as Paragraph markup: reportlab parses tags, so "<script>" must be escaped."""
    return escape(CONTROL.sub("", text)).replace("\n", "<br/>")


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(text), style)


def _column_widths(table: Table) -> list[float]:
    """Numeric columns as wide as their widest cell; text columns share what is left, but are no
    wider than their longest line needs (a table of two short columns stays narrow)."""
    needed = []
    for i in range(len(table.header)):
        lines = [table.header[i], *(row[i] for row in table.rows)]
        needed.append(
            max(stringWidth(line, BOLD, 9) for cell in lines for line in cell.split("\n"))
        )
    numeric = {
        i: min(max(needed[i] + 12, 18 * mm), 34 * mm)
        for i, is_numeric in enumerate(table.numeric)
        if is_numeric
    }
    text_columns = len(table.numeric) - len(numeric)
    share = (FRAME_WIDTH - sum(numeric.values())) / text_columns if text_columns else 0.0
    return [numeric.get(i, min(share, max(needed[i] + 12, 30 * mm))) for i in range(len(needed))]


def _table(table: Table) -> list[Any]:
    def cells(row: tuple[str, ...], left: ParagraphStyle, right: ParagraphStyle) -> list[Any]:
        return [
            _para(text, right if numeric else left)
            for text, numeric in zip(row, table.numeric, strict=True)
        ]

    data = [
        cells(table.header, HEAD, HEAD_RIGHT),
        *(cells(r, CELL, CELL_RIGHT) for r in table.rows),
    ]
    grid = PdfTable(data, colWidths=_column_widths(table), repeatRows=1, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),  # the cells' own default: Helvetica
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
                ("BOX", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    flowables: list[Any] = []
    if table.caption:
        flowables.append(_para(table.caption, CAPTION))
    flowables += [grid, Spacer(1, 6)]
    return flowables


def _fit(text: str, width: float) -> str:
    """One line of chart label, cut with an ellipsis to ``width`` points."""
    line = " ".join(text.split())
    if stringWidth(line, FONT, CHART_FONT_SIZE) <= width:
        return line
    while line and stringWidth(line + "…", FONT, CHART_FONT_SIZE) > width:
        line = line[:-1]
    return line + "…"


def _label(x: float, y: float, text: str, colour: Any) -> Any:
    """Chart text: drawn as it is, not parsed, so it needs no escaping."""
    return String(x, y, text, fontName=FONT, fontSize=CHART_FONT_SIZE, fillColor=colour)


def _bars(chart: Chart, rows: range) -> Drawing:
    """Part of a chart: a label left, then one bar (or a pair) with its value or the marker."""
    paired = len(chart.legend) == 2
    row_height = PAIR_ROW if paired else CHART_ROW
    legend_height = CHART_ROW if paired else 0.0
    height = legend_height + row_height * len(rows) + 2
    drawing = Drawing(FRAME_WIDTH, height, initialFontName=FONT)  # its default: Helvetica
    label_width = FRAME_WIDTH * LABEL_SHARE
    plot_x = label_width + 6
    plot_width = FRAME_WIDTH - plot_x - VALUE_SPACE
    top = float(chart.max_value)
    styles = [(colors.white, colors.HexColor(CONTRAST)), (colors.HexColor(ACCENT), None)]
    ink = colors.HexColor(INK)
    if paired:
        x = plot_x
        for name, (fill, stroke) in zip(chart.legend, styles, strict=True):
            drawing.add(Rect(x, height - 10, 8, 8, fillColor=fill, strokeColor=stroke or fill))
            drawing.add(_label(x + 12, height - 9, name, ink))
            x += 24 + stringWidth(name, FONT, CHART_FONT_SIZE)
    y = height - legend_height
    bar_height = (row_height - 7) / len(chart.rows[0].values) if chart.rows else 0.0
    for i in rows:
        row = chart.rows[i]
        y -= row_height
        drawing.add(_label(0, y + row_height / 2 - 3, _fit(row.label, label_width), ink))
        for j, (value, shown) in enumerate(zip(row.values, row.shown, strict=True)):
            bar_y = y + row_height - 3 - (j + 1) * bar_height
            if value is None:
                drawing.add(_label(plot_x + 2, bar_y + 1.5, shown, MUTED))
                continue
            width = float(value) / top * plot_width if top else 0.0
            fill, stroke = styles[j] if paired else styles[1]
            drawing.add(
                Rect(plot_x, bar_y, width, bar_height - 1, fillColor=fill, strokeColor=stroke)
            )
            drawing.add(_label(plot_x + width + 4, bar_y + 1.5, shown, ink))
    axis_top = height - legend_height
    drawing.add(Rect(plot_x - 0.5, 0, 0.5, axis_top, fillColor=ink, strokeColor=None))
    return drawing


def _chart(chart: Chart, heading: str) -> list[Any]:
    flowables: list[Any] = []
    if chart.title != heading:
        flowables.append(_para(chart.title, CAPTION))
    if chart.withheld:  # every value hidden: the words in place of an empty frame
        return [*flowables, _para(chart.withheld, BODY)]
    for start in range(0, len(chart.rows), CHART_ROWS_PER_DRAWING):
        part = range(start, min(start + CHART_ROWS_PER_DRAWING, len(chart.rows)))
        flowables += [_bars(chart, part), Spacer(1, 4)]
    return flowables


def _story(report: Report) -> list[Any]:
    story: list[Any] = [_para(report.title, TITLE)]
    if report.subtitle:
        story.append(_para(report.subtitle, SUBTITLE))
    story += [_para(note, NOTE) for note in report.notes]
    for section in report.sections:
        story += [_para(section.heading, HEADING), *(_para(n, BODY) for n in section.notes)]
        for chart in section.charts:
            story += _chart(chart, section.heading)
        for table in section.tables:
            story += _table(table)
    return story


def _footer(organisation_name: str, footer: str, pages: int | None) -> Callable[[Any, Any], None]:
    left = " · ".join(part for part in (organisation_name, footer) if part)

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 10 * mm, left)
        number = f"{doc.page} / {pages}" if pages else str(doc.page)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, number)
        canvas.restoreState()

    return draw


def _build(
    report: Report, organisation_name: str, footer: str, pages: int | None
) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=report.title,
        subject=report.subtitle,
        author=organisation_name,
        creator="Tupa",
        lang=report.language,
        initialFontName=FONT,  # else each page names Helvetica, unembedded, though nothing uses it
    )
    on_page = _footer(organisation_name, footer, pages)
    doc.build(_story(report), onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue(), int(doc.page)


def report_pdf(report: Report, organisation_name: str) -> bytes:
    """The report as an A4 PDF: title, subtitle, notes, then each section's charts and tables.

    Each page's footer shows the organisation, when the report was made (``Report.made``, the
    same string the page shows) and "page / pages". The document's metadata title is the
    report's title. Laid out twice: the first pass counts the pages.
    """
    _, pages = _build(report, organisation_name, report.made, None)
    pdf, _ = _build(report, organisation_name, report.made, pages)
    return pdf
