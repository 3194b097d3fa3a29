"""The PDF report prints Sámi letters: its font is embedded and has a glyph for each of them."""

import io
from typing import Any

import pypdf
from reportlab.pdfbase.ttfonts import TTFontFile  # type: ignore[import-untyped]

from server.evaluation.export import report_pdf
from server.evaluation.report_series import series_report
from tests.domain.test_evaluation_report import FI, seed_evaluation

# Northern Sámi, then Inari and Skolt letters beyond them, upper and lower case, beside Finnish
# and Swedish ones.
SAMI = "čđŋšŧž ČĐŊŠŦŽ á â ʒ ǯ ǧ ǥ ǩ õ ʹ"
TITLE = f"Áhččiid joavku {SAMI}"
COMMENT = f"Giitu, dát veahkehii: {SAMI} – äiti, åtta"


def pdf_of_sami_text() -> bytes:
    feedback: list[dict[str, int | str]] = [
        {"useful": 5, "comment": COMMENT},
        {"useful": 4, "comment": "Ŋuoktta ja đ"},
        {"useful": 4},
    ]
    report = series_report(seed_evaluation(title=TITLE, feedback=feedback), FI)
    return report_pdf(report, "Lapin ensi- ja turvakoti ry, Sámi giellaguovddáš")


def fonts_of(reader: pypdf.PdfReader) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
    return found


def test_sami_letters_in_a_title_and_free_text_come_out_of_the_pdf_intact():
    pages = pypdf.PdfReader(io.BytesIO(pdf_of_sami_text())).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())  # a long title wraps
    assert TITLE in text
    assert COMMENT in text
    assert "Ŋuoktta ja đ" in text
    assert "Sámi giellaguovddáš" in text  # the footer
    assert "■" not in text


def test_every_font_of_the_pdf_is_embedded_and_none_is_a_builtin_one():
    fonts = fonts_of(pypdf.PdfReader(io.BytesIO(pdf_of_sami_text())))
    assert fonts
    for name, font in fonts.items():
        assert "Helvetica" not in name
        assert "/FontFile2" in font["/FontDescriptor"], f"{name} is not embedded"


def test_the_embedded_font_has_a_drawn_glyph_for_every_sami_letter_it_prints():
    """Each letter's code in the embedded subset (from its ToUnicode map) leads to a glyph that
    is neither .notdef nor empty: a reader shows the letter, not a box."""
    fonts = fonts_of(pypdf.PdfReader(io.BytesIO(pdf_of_sami_text())))
    drawn: set[str] = set()
    for font in fonts.values():
        codes = _to_unicode(font["/ToUnicode"].get_object().get_data().decode("latin-1"))
        embedded = TTFontFile(
            io.BytesIO(font["/FontDescriptor"]["/FontFile2"].get_object().get_data())
        )
        for code, char in codes.items():
            glyph = embedded.charToGlyph.get(code, 0)
            ends = embedded.glyphPos
            if 0 < glyph < len(ends) - 1 and ends[glyph + 1] > ends[glyph]:
                drawn.add(char)
    missing = {c for c in SAMI if not c.isspace()} - drawn
    assert not missing, f"no glyph embedded for {sorted(missing)}"


def _to_unicode(cmap: str) -> dict[int, str]:
    """Codes to characters from a ToUnicode CMap's bfchar and bfrange entries."""
    import re

    codes: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            codes[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first = ord(bytes.fromhex(start).decode("utf-16-be"))
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                codes[code] = chr(first + offset)
    return codes
