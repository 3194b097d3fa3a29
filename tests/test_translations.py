"""Every message in the code and templates is translated into Finnish and Swedish; the Northern
Sámi draft may be partial, and what it leaves out reads in Finnish."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from server.i18n import Translator
from server.i18n import catalogue as compiled
from web import TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def source_messages() -> set[str]:
    """Message ids extracted from the code and templates right now (not from the .pot file)."""
    method_map = [
        ("server/**.py", "python"),
        ("web/templates/**.html", "jinja2"),
    ]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map=options
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def catalogue(language: str):
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = source_messages()
    assert len(found) > 100, "extraction found the application's messages"
    return found


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_message_is_in_the_catalogue_and_translated(messages, language):
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id: m.string for m in catalogue(language) if m.id
    }
    missing = sorted(m for m in messages if not translated.get(m))
    assert not missing, f"missing from the {language} catalogue: {missing[:10]}"
    untranslated = sorted(k for k, v in translated.items() if isinstance(v, tuple) and not all(v))
    assert not untranslated, f"plural forms missing in {language}: {untranslated}"


@pytest.mark.parametrize("language", ["fi", "sv", "se"])
def test_translations_keep_every_placeholder(language):
    for message in catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"num"}
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) - {"num"} == wanted, (language, message.id)


def test_finnish_is_the_default_and_dates_are_formatted_in_helsinki_time():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    t = Translator("fi", ZoneInfo("Europe/Helsinki"))
    assert t.datetime(datetime(2026, 12, 3, 16, 0, tzinfo=UTC), "long") == "to 3.12.2026 18.00"
    assert t.gettext("Open groups") != "Open groups"
    sv = Translator("sv", ZoneInfo("Europe/Helsinki"))
    assert sv.gettext("Open groups") not in {"Open groups", t.gettext("Open groups")}


def test_the_northern_sami_draft_translates_only_messages_the_application_has(messages):
    stale = sorted(
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalogue("se")
        if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in messages
    )
    assert not stale, f"not in the code or templates: {stale[:10]}"


def test_northern_sami_has_three_plural_forms_and_fills_each_one():
    parsed = catalogue("se")
    assert parsed.num_plurals == 3  # one, two (the dual), other: CLDR's rule for se
    for message in parsed:
        if isinstance(message.id, tuple) and any(message.string):
            assert len(message.string) == 3 and all(message.string), message.id


def test_what_northern_sami_does_not_translate_yet_reads_in_finnish_not_english():
    from zoneinfo import ZoneInfo

    se = Translator("se", ZoneInfo("Europe/Helsinki"))
    fi = Translator("fi", ZoneInfo("Europe/Helsinki"))
    drafted = {
        m.id[0] if isinstance(m.id, tuple) else m.id: m.string
        for m in catalogue("se")
        if m.id and m.string and (not isinstance(m.string, tuple) or all(m.string))
    }
    assert drafted, "the draft translates something"
    left = 0
    for message in catalogue("fi"):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            one, many = message.id
            for n, form in ((1, 0), (2, 1), (5, 2)):
                finnish = compiled("fi").ngettext(one, many, n)
                wanted = drafted[one][form] if one in drafted else finnish
                assert compiled("se").ngettext(one, many, n) == wanted, (message.id, n)
            continue
        left += message.id not in drafted
        wanted = drafted.get(message.id) or fi.gettext(message.id)
        assert se.gettext(message.id) == wanted, message.id
    assert left, "staff pages are left to Finnish; this test must see some"
    assert se.gettext("Quick exit") not in {fi.gettext("Quick exit"), "Quick exit"}


def test_northern_sami_dates_and_numbers_follow_babels_se_locale():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    se = Translator("se", ZoneInfo("Europe/Helsinki"))
    assert se.datetime(datetime(2026, 12, 3, 16, 0, tzinfo=UTC), "long") == "duor 3.12.2026 18:00"
    assert se.number(1234.5) == "1\u00a0234,5"
    assert se.weekday_name(0) == "vuossárga"
    assert se.zone_place() == "Suopma"


# What a visitor and a parent read: the pages, the room, Help now, mail and the statement.
VISITOR_AND_PARENT_SOURCES = [
    ("web/templates/base.html", "jinja2"),
    ("web/templates/_*.html", "jinja2"),
    ("web/templates/error.html", "jinja2"),
    ("web/templates/room.html", "jinja2"),
    ("web/templates/public/**.html", "jinja2"),
    ("web/templates/parent/**.html", "jinja2"),
    ("server/notify/notices.py", "python"),
    ("server/scheduling/reminders.py", "python"),
    ("server/accessibility/statement.py", "python"),
    ("server/web/routes/parent.py", "python"),
    ("server/web/templating.py", "python"),
    ("server/demo_rooms/people.py", "python"),
    ("server/calendar/ics.py", "python"),
]


def test_northern_sami_covers_every_message_of_the_visitors_and_parents_pages():
    from babel.messages.extract import extract_from_dir

    options = {path: {"extensions": "jinja2.ext.i18n"} for path, kind in VISITOR_AND_PARENT_SOURCES}
    wanted = {
        message[0] if isinstance(message, tuple) else message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), VISITOR_AND_PARENT_SOURCES, options_map=options
        )
    }
    assert len(wanted) > 300
    drafted = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue("se") if m.string}
    missing = sorted(wanted - drafted)
    assert not missing, f"not in the Northern Sámi draft: {missing[:10]}"


def test_the_translators_template_holds_every_message(messages):
    """web/translations/messages.pot is what a translator or an organisation starts from (a new
    language, an override): it had fallen to half of the messages. Regenerate it with
    ``pybabel extract -F web/babel.cfg -o web/translations/messages.pot --sort-output .``"""
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as pot:
        template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(pot) if m.id}
    missing = sorted(messages - template)
    assert not missing, f"{len(missing)} messages missing from messages.pot, e.g. {missing[:5]}"
