import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from server.evaluation.charts import (
    PLOT_WIDTH,
    Bar,
    ChartText,
    PairedBar,
    bar_chart,
    paired_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
TEXT = ChartText(
    title="Läsnäolo kerroittain",
    description="Osallistujia kullakin kerralla.",
    suppressed="<3",
    axis="Osallistujia",
)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def child(root: ET.Element, tag: str) -> ET.Element:
    found = root.find(f"{SVG}{tag}")
    assert found is not None
    return found


def bar_widths(root: ET.Element) -> list[float]:
    return [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def attendance_chart(*bars: Bar, **kwargs) -> str:
    return bar_chart("attendance", list(bars), TEXT, **kwargs)


def contrast_on_white(colour: str) -> float:
    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


# structure and accessibility


def test_chart_is_well_formed_svg():
    root = parse(attendance_chart(Bar("1. kerta", 8), Bar("2. kerta", 6)))
    assert root.tag == f"{SVG}svg"


def test_chart_is_one_image_named_by_its_title_and_description():
    root = parse(attendance_chart(Bar("1. kerta", 8)))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "attendance-title attendance-desc"
    assert child(root, "title").get("id") == "attendance-title"
    assert child(root, "title").text == "Läsnäolo kerroittain"
    assert child(root, "desc").get("id") == "attendance-desc"


def test_description_reads_out_every_label_and_value():
    root = parse(attendance_chart(Bar("1. kerta", 8), Bar("2. kerta", None)))
    assert child(root, "desc").text == "Osallistujia kullakin kerralla. 1. kerta: 8; 2. kerta: <3"


def test_chart_has_a_fixed_viewbox_and_no_fixed_size_so_it_scales_on_a_phone():
    root = parse(attendance_chart(Bar("1. kerta", 8)))
    assert re.fullmatch(r"0 0 640 \d+", root.get("viewBox", ""))
    assert root.get("width") is None
    assert root.get("height") is None


def test_chart_loads_nothing_and_needs_no_inline_style():
    svg = attendance_chart(Bar("1. kerta", 8))
    assert re.findall(r"https?://[^\"]*", svg) == ["http://www.w3.org/2000/svg"]
    for forbidden in ("href", "url(", "@import", "<style", "style=", "<script", "<image"):
        assert forbidden not in svg


def test_every_colour_passes_contrast_on_white():
    svg = attendance_chart(Bar("a", 3)) + paired_bar_chart(
        "change", [PairedBar("b", 2, 4)], TEXT, ("Alku", "Loppu"), max_value=5
    )
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-f]{6})"', svg)) - {"#ffffff"}
    assert colours
    assert all(contrast_on_white(c) >= 3 for c in colours)


def test_text_colour_passes_contrast_for_small_text():
    text_colour = parse(attendance_chart(Bar("a", 3))).get("fill", "")
    assert contrast_on_white(text_colour) >= 4.5


def test_every_word_in_a_chart_comes_from_the_caller():
    words = ChartText(title="T", description="D", suppressed="S", axis="A")
    svg = paired_bar_chart("c", [PairedBar("L", 1, None)], words, ("F", "G"), max_value=5)
    root = parse(svg)
    assert set(texts(root)) <= {"A", "F", "G", "L", "1", "S"}
    assert child(root, "desc").text == "D L: F 1, G S"


# escaping


def test_label_that_looks_like_markup_is_escaped():
    svg = attendance_chart(Bar("<script>alert(1)</script>", 5))
    assert "<script>" not in svg
    root = parse(svg)
    assert "<script>alert(1)</script>" in texts(root)
    assert not list(root.iter(f"{SVG}script"))


def test_caller_words_with_quotes_and_ampersands_stay_well_formed():
    words = ChartText(title='"Äiti & isä"', description="<b>", suppressed="<3", axis="a & b")
    root = parse(bar_chart("c", [Bar("x", None)], words))
    assert child(root, "title").text == '"Äiti & isä"'


def test_characters_xml_cannot_hold_are_dropped_from_labels():
    root = parse(attendance_chart(Bar("Kerta\x00\x07 1\ufffe", 5)))
    assert "Kerta 1" in texts(root)


def test_long_label_is_shortened_on_screen_but_read_out_whole():
    label = "Lapsen tunteet ja tarpeet vanhempien erotessa " * 4
    root = parse(attendance_chart(Bar(label, 5)))
    shown = next(t for t in texts(root) if t.startswith("Lapsen"))
    assert len(shown) == 80
    assert shown.endswith("…")
    assert " ".join(label.split()) in (child(root, "desc").text or "")


@pytest.mark.parametrize("chart_id", ["", "1abc", 'x" onload="alert(1)', "a b"])
def test_chart_id_must_be_a_plain_name(chart_id):
    with pytest.raises(ValueError):
        bar_chart(chart_id, [Bar("a", 1)], TEXT)


# bars


def test_bar_lengths_are_proportional_to_the_values():
    root = parse(attendance_chart(Bar("1", 10), Bar("2", 5), Bar("3", 2)))
    assert bar_widths(root) == [PLOT_WIDTH, PLOT_WIDTH / 2, PLOT_WIDTH / 5]


def test_bars_are_scaled_to_the_given_maximum():
    root = parse(attendance_chart(Bar("1", Decimal("2.5")), max_value=5))
    assert bar_widths(root) == [PLOT_WIDTH / 2]


def test_suppressed_value_is_drawn_as_no_bar_with_the_callers_marker():
    root = parse(attendance_chart(Bar("1", 8), Bar("2", None), Bar("3", 4)))
    assert len(bar_widths(root)) == 2
    assert texts(root).count("<3") == 1


def test_value_is_formatted_by_the_caller():
    root = parse(
        attendance_chart(
            Bar("Sitoutuminen", Decimal("84.68")),
            max_value=100,
            value_text=lambda v: f"{v} %".replace(".", ","),
        )
    )
    assert "84,68 %" in texts(root)


def test_chart_with_only_zeros_or_suppressed_values_draws_no_bar_lengths():
    root = parse(attendance_chart(Bar("1", 0), Bar("2", None)))
    assert bar_widths(root) == [0]


def test_negative_values_and_values_above_the_maximum_are_refused():
    with pytest.raises(ValueError):
        attendance_chart(Bar("1", -1))
    with pytest.raises(ValueError):
        attendance_chart(Bar("1", 6), max_value=5)


# start and end


def test_paired_chart_draws_start_and_end_of_each_item_proportionally():
    items = [
        PairedBar("Pystyn rauhoittumaan", Decimal("2.50"), Decimal("4.00")),
        PairedBar("Osaan puhua", 3, 5),
    ]
    root = parse(paired_bar_chart("change", items, TEXT, ("Alussa", "Lopussa"), max_value=5))
    assert bar_widths(root) == [PLOT_WIDTH / 2, PLOT_WIDTH * 4 / 5, PLOT_WIDTH * 3 / 5, PLOT_WIDTH]
    assert {"Alussa", "Lopussa", "Pystyn rauhoittumaan", "Osaan puhua"} <= set(texts(root))


def test_start_and_end_bars_differ_in_shape_not_only_in_colour():
    root = parse(
        paired_bar_chart("change", [PairedBar("a", 2, 4)], TEXT, ("Alussa", "Lopussa"), max_value=5)
    )
    start, end = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert start.get("fill") == "#ffffff"
    assert start.get("stroke") is not None
    assert end.get("fill") != "#ffffff"


def test_paired_chart_shows_a_suppressed_item_without_bars():
    root = parse(
        paired_bar_chart(
            "change", [PairedBar("a", None, None)], TEXT, ("Alussa", "Lopussa"), max_value=5
        )
    )
    assert bar_widths(root) == []
    assert texts(root).count("<3") == 2
