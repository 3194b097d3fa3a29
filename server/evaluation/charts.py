"""Bar charts as SVG text, drawn on the server and readable without JavaScript (pure).

Every word in a chart comes from the caller, already translated; this module only draws. Bars are
horizontal, one row per bar with its label above it, so long labels (session themes,
self-assessment items) read on a phone. The SVG has a fixed viewBox and no width, so it scales to
its container; it loads nothing (no fonts, no links) and uses presentation attributes, not style,
so the Content-Security-Policy (``style-src 'self'``) lets it through when inlined.

For screen readers the chart is one image (``role="img"``) named by its ``<title>`` and described
by its ``<desc>``: the caller's description followed by every label and value, separated by
semicolons (a full stop after a number reads as an ordinal in Finnish).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

ChartValue = int | float | Decimal

WIDTH = 640
MARGIN = 16
VALUE_SPACE = 96  # room right of the longest bar for its value
PLOT_X = MARGIN
PLOT_WIDTH = WIDTH - 2 * MARGIN - VALUE_SPACE
LINE = 20  # one line of 14 px text
BAR_HEIGHT = 22
PAIRED_BAR_HEIGHT = 18
ROW_GAP = 14
MAX_LABEL_CHARS = 80  # about the width of the chart at 14 px; the full label is in <desc>

INK = "#1d2327"  # text and axis: 15.4:1 on white
ACCENT = "#1f5f8b"  # bars and the second of a pair: 6.9:1 on white
CONTRAST = "#8a5a00"  # outline of the first of a pair: 5.9:1 on white
PAPER = "#ffffff"

CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
NOT_IN_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class ChartText:
    """The words of a chart, translated by the caller.

    ``suppressed`` is shown in place of a suppressed value (such as "<3"); ``axis`` names what the
    bars measure (such as "Participants present") and may be empty.
    """

    title: str
    description: str
    suppressed: str
    axis: str = ""


@dataclass(frozen=True)
class Bar:
    """One bar; ``value`` None means suppressed: no bar, only the suppressed marker."""

    label: str
    value: ChartValue | None


@dataclass(frozen=True)
class PairedBar:
    """One item with two values side by side, such as a mean at the start and at the end."""

    label: str
    first: ChartValue | None
    second: ChartValue | None


def _text(raw: str) -> str:
    """Text safe inside an XML element or attribute: invalid characters dropped, markup escaped."""
    return escape(NOT_IN_XML.sub("", raw), {'"': "&quot;"})


def _label(raw: str) -> str:
    one_line = " ".join(raw.split())
    if len(one_line) > MAX_LABEL_CHARS:
        one_line = one_line[: MAX_LABEL_CHARS - 1] + "…"
    return _text(one_line)


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _scale(values: Sequence[ChartValue | None], max_value: ChartValue | None) -> float:
    shown = [float(v) for v in values if v is not None]
    if any(v < 0 for v in shown):
        raise ValueError("bar charts draw no negative values")
    top = float(max_value) if max_value is not None else max(shown, default=0.0)
    if any(v > top for v in shown):
        raise ValueError("a value exceeds max_value")
    return top if top > 0 else 1.0


def _svg(chart_id: str, height: int, text: ChartText, data: list[str], body: list[str]) -> str:
    if not CHART_ID.fullmatch(chart_id):
        raise ValueError("chart_id must be a letter followed by letters, digits, - or _")
    description = " ".join(part for part in [text.description, "; ".join(data)] if part)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
            f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
            f'font-family="sans-serif" font-size="14" fill="{INK}">',
            f'<title id="{chart_id}-title">{_text(text.title)}</title>',
            f'<desc id="{chart_id}-desc">{_text(description)}</desc>',
            f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="{PAPER}"/>',
            *body,
            "</svg>",
        ]
    )


def _bar(
    y: float,
    height: int,
    value: ChartValue | None,
    top: float,
    text: ChartText,
    value_text: Callable[[ChartValue], str],
    fill: str,
    stroke: str | None = None,
) -> list[str]:
    if value is None:
        return [
            f'<text x="{PLOT_X + 4}" y="{_num(y + height - 5)}">{_text(text.suppressed)}</text>'
        ]
    width = float(value) / top * PLOT_WIDTH
    outline = f' stroke="{stroke}" stroke-width="2"' if stroke else ""
    return [
        f'<rect class="bar" x="{PLOT_X}" y="{_num(y)}" width="{_num(width)}" '
        f'height="{height}" fill="{fill}"{outline}/>',
        f'<text x="{_num(PLOT_X + width + 6)}" y="{_num(y + height - 5)}">'
        f"{_text(value_text(value))}</text>",
    ]


def _shown(
    value: ChartValue | None, text: ChartText, value_text: Callable[[ChartValue], str]
) -> str:
    return text.suppressed if value is None else value_text(value)


def _axis_title(text: ChartText, y: int) -> tuple[list[str], int]:
    if not text.axis:
        return [], y
    return [
        f'<text x="{MARGIN}" y="{y + 14}" font-weight="bold">{_text(text.axis)}</text>'
    ], y + LINE


def bar_chart(
    chart_id: str,
    bars: Sequence[Bar],
    text: ChartText,
    max_value: ChartValue | None = None,
    value_text: Callable[[ChartValue], str] = str,
) -> str:
    """A horizontal bar chart as SVG, such as attendance per session or the enrolment funnel.

    Bar lengths are proportional to the values, from zero to ``max_value`` (by default the largest
    value). ``value_text`` formats a value for the reader's language (a decimal comma in Finnish).
    ``chart_id`` must be unique on the page: it names the title and description.
    """
    top = _scale([b.value for b in bars], max_value)
    body, y = _axis_title(text, MARGIN)
    first_row = y
    data: list[str] = []
    for bar in bars:
        body.append(f'<text x="{MARGIN}" y="{y + 14}">{_label(bar.label)}</text>')
        body += _bar(y + LINE, BAR_HEIGHT, bar.value, top, text, value_text, ACCENT)
        data.append(f"{' '.join(bar.label.split())}: {_shown(bar.value, text, value_text)}")
        y += LINE + BAR_HEIGHT + ROW_GAP
    axis_end = max(y - ROW_GAP, first_row + LINE)
    body.append(
        f'<line x1="{PLOT_X}" y1="{first_row + LINE}" x2="{PLOT_X}" y2="{axis_end}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    return _svg(chart_id, y + MARGIN, text, data, body)


def paired_bar_chart(
    chart_id: str,
    items: Sequence[PairedBar],
    text: ChartText,
    legend: tuple[str, str],
    max_value: ChartValue | None = None,
    value_text: Callable[[ChartValue], str] = str,
) -> str:
    """Two bars per item as SVG, such as each self-assessment item at the start and at the end.

    ``legend`` names the first and the second bar (such as "Start", "End"). The first is drawn
    hollow with a brown outline and the second solid blue, so the pair reads without colour too.
    Bar lengths are proportional from zero to ``max_value`` (for a mean, the top of its scale).
    """
    top = _scale([v for item in items for v in (item.first, item.second)], max_value)
    body, y = _axis_title(text, MARGIN)
    for name, fill, stroke in ((legend[0], PAPER, CONTRAST), (legend[1], ACCENT, None)):
        outline = f' stroke="{stroke}" stroke-width="2"' if stroke else ""
        body.append(
            f'<rect x="{MARGIN + 1}" y="{y + 3}" width="14" height="14" fill="{fill}"{outline}/>'
            f'<text x="{MARGIN + 22}" y="{y + 14}">{_text(name)}</text>'
        )
        y += LINE
    y += ROW_GAP // 2
    data: list[str] = []
    for item in items:
        body.append(f'<text x="{MARGIN}" y="{y + 14}">{_label(item.label)}</text>')
        bar_y = y + LINE
        body += _bar(bar_y, PAIRED_BAR_HEIGHT, item.first, top, text, value_text, PAPER, CONTRAST)
        bar_y += PAIRED_BAR_HEIGHT + 4
        body += _bar(bar_y, PAIRED_BAR_HEIGHT, item.second, top, text, value_text, ACCENT)
        first = _shown(item.first, text, value_text)
        second = _shown(item.second, text, value_text)
        label = " ".join(item.label.split())
        data.append(f"{label}: {legend[0]} {first}, {legend[1]} {second}")
        y += LINE + 2 * PAIRED_BAR_HEIGHT + 4 + ROW_GAP
    return _svg(chart_id, y + MARGIN, text, data, body)
