"""The help lines under "Help now": the shipped Finnish lines, and an installation's own file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from server.help_lines import DEFAULT_HELP_LINES, HelpLinesError, parse_help_lines
from server.organisation import Organisation
from server.settings import Settings

OWN_LINE = {
    "name": {"fi": "Turvakoti Esimerkki", "sv": "Skyddshem Exempel"},
    "phone": "+358 40 123 4567",
    "hours": {"fi": "aina"},
    "description": {"fi": "Oma turvakotimme.", "en": "Our own shelter."},
    "url": "https://example.org/turvakoti",
    "checked": "2026-12-03",
}


def test_the_shipped_lines_are_112_the_nollalinja_and_the_crisis_helpline_each_dated():
    numbers = [line.phone for line in DEFAULT_HELP_LINES]
    assert numbers == ["112", "080 005 005", "09 2525 0111"]
    for line in DEFAULT_HELP_LINES:
        assert line.url.startswith("https://") and line.checked == date(2026, 12, 3)
        for texts in (line.name, line.hours, line.description):
            assert all(texts.given(language) for language in ("fi", "sv", "en", "se"))


def test_a_number_is_called_through_a_tel_address_of_its_digits():
    assert [line.phone_uri for line in DEFAULT_HELP_LINES] == [
        "tel:112",
        "tel:080005005",
        "tel:0925250111",
    ]


def test_an_installation_file_replaces_the_shipped_lines(tmp_path: Path):
    path = tmp_path / "help-lines.json"
    path.write_text(json.dumps([OWN_LINE]), encoding="utf-8")
    settings = Settings(help_lines_file=path, secret_key="x", data_dir=tmp_path)

    (line,) = Organisation.from_settings(settings).help_lines

    assert (line.name.fi, line.name.sv, line.name.en) == (
        "Turvakoti Esimerkki",
        "Skyddshem Exempel",
        None,
    )
    assert line.phone_uri == "tel:+358401234567" and line.checked == date(2026, 12, 3)


def test_without_a_file_the_shipped_lines_are_used(tmp_path: Path):
    settings = Settings(secret_key="x", data_dir=tmp_path)
    assert Organisation.from_settings(settings).help_lines == DEFAULT_HELP_LINES


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"phone": "call 112"}, "phone may hold digits"),
        ({"phone": ""}, "phone must be text"),
        ({"url": "http://example.org"}, "https://"),
        ({"checked": "3.12.2026"}, "YYYY-MM-DD"),
        ({"name": {"sv": "Bara svenska"}}, "name: fi must be text"),
        ({"hours": {"fi": "aina", "smn": "ain"}}, "hours must be"),
        ({"description": "x" * 10}, "description must be"),
        ({"email": "a@b.fi"}, "unknown fields"),
    ],
)
def test_a_mistake_in_the_file_is_refused_saying_where(change, complaint):
    with pytest.raises(HelpLinesError, match=complaint) as refused:
        parse_help_lines(json.dumps([{**OWN_LINE, **change}]))
    assert "line 1" in str(refused.value)


@pytest.mark.parametrize("text", ["", "{}", "[]", json.dumps([OWN_LINE] * 13), "[1]"])
def test_a_file_that_is_not_a_list_of_1_to_12_lines_is_refused(text):
    with pytest.raises(HelpLinesError):
        parse_help_lines(text)


def test_a_missing_or_broken_file_stops_the_start_naming_the_setting(tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    for path in (tmp_path / "missing.json", broken):
        settings = Settings(help_lines_file=path, secret_key="x", data_dir=tmp_path)
        with pytest.raises(ValueError, match="TUPA_HELP_LINES_FILE"):
            Organisation.from_settings(settings)
