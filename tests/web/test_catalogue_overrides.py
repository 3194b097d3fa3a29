"""An organisation changes any interface text in any language by placing a catalogue in its data
directory: no code changes, and a broken file stops the start with its name instead of a page."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from server.app import create_app
from server.i18n import CatalogueError, Translator, install_overrides
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
FI_OVERRIDE = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: fi\\n"

msgid "Quick exit"
msgstr "Lähde heti"

#, python-format
msgid "%(enrolled)s / at least %(minimum)s"
msgstr "%(enrolled)s ilmoittautunutta, tarvitaan %(minimum)s"
"""


@pytest.fixture(autouse=True)
def shipped_texts_afterwards(tmp_path: Path) -> Iterator[None]:
    """Overrides are process-wide: later tests in this process get the shipped texts back."""
    yield
    install_overrides(tmp_path / "nothing-here")


def translations_of(settings: Settings) -> Path:
    directory = settings.data_dir / "translations"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def swedish_mo(path: Path) -> None:
    catalog = Catalog(locale="sv")
    catalog.add("Quick exit", "Gå genast")
    with path.open("wb") as mo:
        write_mo(mo, catalog)


async def test_overriding_one_finnish_and_one_swedish_text_changes_the_page(
    settings, sqlite_database, clock, mailer
):
    (translations_of(settings) / "fi.po").write_text(FI_OVERRIDE, encoding="utf-8")
    swedish_mo(translations_of(settings) / "sv.mo")
    app = create_app(
        settings, database=sqlite_database, clock=clock, mailer=mailer, background=False
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        finnish = (await client.get("/", params={"lang": "fi"})).text
        swedish = (await client.get("/", params={"lang": "sv"})).text
        english = (await client.get("/", params={"lang": "en"})).text
    assert ">Lähde heti</a>" in finnish and "Poistu nopeasti" not in finnish
    assert "Siirry sisältöön" in finnish  # a text it does not override stays the shipped one
    assert ">Gå genast</a>" in swedish
    assert ">Quick exit</a>" in english


async def test_a_northern_sami_reader_sees_the_finnish_override_where_the_draft_has_no_text(
    settings,
):
    (translations_of(settings) / "fi.po").write_text(
        FI_OVERRIDE + '\nmsgid "Account deactivated"\nmsgstr "Tunnus suljettu"\n', "utf-8"
    )
    install_overrides(settings.data_dir)
    se = Translator("se", ZoneInfo("Europe/Helsinki"))
    assert se.gettext("Account deactivated") == "Tunnus suljettu"  # staff only: no draft
    assert se.gettext("Quick exit") not in {"Lähde heti", "Quick exit"}  # the draft comes first


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("fi.po", 'msgid "Quick exit"\nmsgstr "Lähde heti\n', "fi.po: line 2"),
        ("fi.po", 'msgid "Quick exit"\nmsgtsr "Lähde heti"\n', "fi.po: line 2"),
        ("fi.po", b'msgid "Quick exit"\nmsgstr "L\xe4hde"\n', "not UTF-8"),
        (
            "fi.po",
            '#, python-format\nmsgid "Reason: %(reason)s"\nmsgstr "Syy: %(syy)s"\n',
            "%(reason)s",
        ),
        ("sv.po", 'msgid "Open:"\nmsgstr "Öppet: 100 %"\n', ""),
        ("sv.mo", "this is not a compiled catalogue", "sv.mo"),
        ("xx.po", 'msgid "Open:"\nmsgstr "Auki:"\n', "fi, sv, en, se"),
        ("fi.po", '#, python-format\nmsgid "Votes: %(votes)s"\nmsgstr "Ääniä: 100 %"\n', "%%"),
    ],
)
def test_a_broken_override_is_refused_at_start_with_the_file_named(
    settings, name: str, content: str | bytes, says: str
):
    target = translations_of(settings) / name
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    if name == "sv.po":  # a lone % in a text never filled in is fine
        install_overrides(settings.data_dir)
        return
    with pytest.raises(CatalogueError) as refused:
        create_app(settings, background=False)
    assert name in str(refused.value) and says in str(refused.value)


def test_both_a_po_and_a_mo_for_one_language_is_refused(settings):
    (translations_of(settings) / "fi.po").write_text(FI_OVERRIDE, encoding="utf-8")
    swedish_mo(translations_of(settings) / "fi.mo")
    with pytest.raises(CatalogueError, match=r"both a \.po and a \.mo"):
        install_overrides(settings.data_dir)


def test_tupa_serve_with_a_broken_override_stops_at_once_and_says_which_file(tmp_path):
    data = tmp_path / "var"
    (data / "translations").mkdir(parents=True)
    (data / "translations" / "fi.po").write_text(
        '#, python-format\nmsgid "Reason: %(reason)s"\nmsgstr "Syy: %(syy)s"\n', "utf-8"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TUPA_DATA_DIR": str(data),
        "TUPA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tupa.db'}",
        "TUPA_PORT": "1",  # never reached
    }
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Tupa was not started:" in done.stderr and "fi.po" in done.stderr
    assert "%(reason)s" in done.stderr
    assert "Traceback" not in done.stderr
