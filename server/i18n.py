"""The translation layer: gettext catalogues through Babel, and locale-aware formatting.

Message ids are English; Finnish is the default language, Swedish and English are complete;
Northern Sámi (``se``) is a draft awaiting a native speaker's review, and whatever it does not yet
translate reads in Finnish, the language every parent of a Finnish organisation can be assumed to
read (English would be a stranger's language, the bare msgid a developer's). The ``.po``
catalogues under ``web/translations`` are compiled in memory when first used, so there is no build
step and no generated ``.mo`` file to keep in sync.

An organisation may override any message in any language without touching the code: a
``<lang>.po`` or ``<lang>.mo`` under ``<data dir>/translations`` holding only the messages it
changes. ``install_overrides`` reads and checks them once at start-up, so a broken file stops the
start with its name and line instead of failing a page later (a placeholder the page does not
fill would raise in the middle of a request).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal
from babel.support import Translations

from server.settings import LANGUAGES, Language
from web import TRANSLATIONS_DIR

DOMAIN = "messages"

DateTimeStyle = Literal["short", "medium", "long"]


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later (at render time)."""
    return message


# A draft catalogue's gaps read in this language rather than in the English msgid.
FALLBACK: dict[str, Language] = {"se": "fi"}
OVERRIDES_DIR = "translations"  # under the data directory
PLACEHOLDER = re.compile(r"%\((\w+)\)")

log = logging.getLogger(__name__)
_overrides: dict[str, bytes] = {}  # language -> compiled .mo of the organisation's messages


class CatalogueError(ValueError):
    """An organisation's override catalogue that cannot be used; the text names file and line."""


@lru_cache(maxsize=len(LANGUAGES))
def _shipped(language: Language) -> bytes:
    """The shipped ``.po`` of ``language`` compiled to ``.mo`` bytes, once per process."""
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        parsed = read_po(po, locale=language)
    return _compiled(parsed)


def _compiled(parsed: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    return buffer.getvalue()


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: Language) -> Translations:
    """What a reader of ``language`` sees: the organisation's overrides, then the shipped
    catalogue, then (for a draft such as Northern Sámi) the Finnish one.

    Built fresh per cache fill: ``add_fallback`` appends to a chain, so sharing one object in two
    chains would join them.
    """
    chain = Translations(fp=io.BytesIO(_shipped(language)), domain=DOMAIN)
    if (fallback := FALLBACK.get(language)) is not None:
        chain.add_fallback(catalogue(fallback))
    if (override := _overrides.get(language)) is not None:
        top = Translations(fp=io.BytesIO(override), domain=DOMAIN)
        top.add_fallback(chain)
        return top
    return chain


def install_overrides(data_dir: Path) -> None:
    """Read and check the organisation's catalogues under ``data_dir``/translations and use them
    from now on (none there: the shipped texts). Raises ``CatalogueError`` for a broken file."""
    found = read_overrides(data_dir / OVERRIDES_DIR)
    _overrides.clear()
    _overrides.update(found)
    catalogue.cache_clear()
    for language in sorted(found):
        log.info("Interface texts in %s: the organisation's own catalogue is in use", language)


def read_overrides(directory: Path) -> dict[str, bytes]:
    """Each ``<lang>.po`` or ``<lang>.mo`` in ``directory``, checked and compiled (pure reading:
    nothing is installed). Other files are left alone; a missing directory holds none."""
    if not directory.is_dir():
        return {}
    found: dict[str, bytes] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix not in {".po", ".mo"}:
            continue
        language = parse_language(path.stem)
        if language is None:
            raise CatalogueError(
                f"{path}: no language {path.stem!r}; name the file after one of "
                f"{', '.join(LANGUAGES)} (fi.po, se.mo …)"
            )
        if language in found:
            raise CatalogueError(f"{path}: {language} has both a .po and a .mo file; keep one")
        parsed = _read_catalogue(path, language)
        _check(parsed, path)
        found[language] = _compiled(parsed)
    return found


PO_LINE = re.compile(r'(#.*|((msgctxt|msgid|msgid_plural|msgstr(\[\d\])?)\s+)?"([^"\\]|\\.)*"|)')


def _read_catalogue(path: Path, language: Language) -> Catalog:
    try:
        with path.open("rb") as file:
            if path.suffix == ".mo":
                return read_mo(file)
            text = file.read().decode("utf-8")
        # Babel reads an unclosed quote by dropping the text's last letter: refuse it instead.
        for number, line in enumerate(text.splitlines(), start=1):
            if not PO_LINE.fullmatch(line.strip()):
                raise CatalogueError(
                    f"{path}: line {number}: not a comment, keyword or text in double quotes"
                )
        return read_po(io.BytesIO(text.encode()), locale=language, abort_invalid=True)
    except PoFileError as error:
        raise CatalogueError(f"{path}: {error}") from None
    except UnicodeDecodeError:
        raise CatalogueError(f"{path}: not UTF-8 text") from None
    except (OSError, ValueError, KeyError, IndexError, struct.error) as error:  # a damaged .mo
        raise CatalogueError(f"{path}: not a readable catalogue ({error})") from None


def _check(parsed: Catalog, path: Path) -> None:
    """Refuse a translation that would fail when a page fills it in: an unknown placeholder or a
    lone %; warn about ids the application does not use (a typo, or a text since changed)."""
    known = _known_ids()
    unknown = 0
    for message in parsed:
        if not message.id:
            continue
        ids = _texts(message.id)
        strings = _texts(message.string)
        if ids[0] not in known:
            unknown += 1
        wanted = set(PLACEHOLDER.findall(" ".join(ids))) | {"num"}
        if len(ids) == 1 and "%(" not in ids[0]:  # never %-formatted; ngettext always is
            continue
        for text in strings:
            if not text:
                continue
            try:
                text % dict.fromkeys(wanted, 1)
            except (KeyError, ValueError, TypeError) as error:
                where = f"line {message.lineno}: " if message.lineno else ""
                raise CatalogueError(
                    f"{path}: {where}the translation of {ids[0]!r} does not fit its "
                    f"placeholders ({type(error).__name__}: {error}); use only "
                    f"{', '.join(f'%({p})s' for p in sorted(wanted - {'num'}))} and write % as %%"
                ) from None
    if unknown:
        log.warning("%s: %d message ids are not Tupa's (mistyped or since changed)", path, unknown)


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or string as a tuple: one text, or the plural forms."""
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value)
    return (str(value or ""),)


@lru_cache(maxsize=1)
def _known_ids() -> frozenset[str]:
    """The message ids the application has, from the Finnish catalogue that holds them all."""
    with (TRANSLATIONS_DIR / "fi" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        parsed = read_po(po)
    return frozenset(_texts(m.id)[0] for m in parsed if m.id)


def parse_language(value: str | None) -> Language | None:
    """A supported language code from a cookie or query value, else None."""
    if value in LANGUAGES:
        return value
    return None


def _printable(text: str) -> str:
    """CLDR's narrow no-break space (English "8:24 AM") as a no-break space: the PDF's font
    has no narrow one, and the page and the PDF must print the same string."""
    return text.replace("\u202f", "\u00a0")


class Translator:
    """Everything language-dependent for one reader: messages, dates, numbers."""

    def __init__(self, language: Language, zone: ZoneInfo) -> None:
        self.language = language
        self.zone = zone
        self.locale = Locale.parse(language)
        self._catalogue = catalogue(language)

    def gettext(self, message: str, **params: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._catalogue.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def datetime(self, value: dt.datetime, fmt: DateTimeStyle = "medium") -> str:
        """A UTC instant in the organisation's zone, e.g. "to 4.12.2026 18.00".

        The one way an instant becomes text, on pages, in mail and in the PDF alike: a style,
        never a pattern of the caller's own, so no output drifts from the others (a PDF said
        "08:24" where the page said "8.24").
        """
        if fmt == "long":
            day = format_date(value.astimezone(self.zone), "EEE d.M.yyyy", locale=self.locale)
            return f"{day} {self.time(value)}"
        return _printable(format_datetime(value, fmt, tzinfo=self.zone, locale=self.locale))

    def local(self, value: dt.datetime) -> dt.datetime:
        """The instant as wall-clock time in the organisation's zone (for form values)."""
        return value.astimezone(self.zone)

    def date(self, value: dt.date | dt.datetime, fmt: str = "EEE d.M.yyyy") -> str:
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.zone)
        return format_date(value, fmt, locale=self.locale)

    def time(self, value: dt.datetime) -> str:
        return _printable(format_time(value, "short", tzinfo=self.zone, locale=self.locale))

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def weekday_name(self, weekday: int) -> str:
        """Monday = 0, in this language."""
        return str(self.locale.days["format"]["wide"][weekday])

    def zone_place(self) -> str:
        """Where the organisation's clock is, in this language ("Suomi", "Finland", "Åland"), so
        pages can say whose time they show; a zone of no country gives its city or name."""
        territory = get_global("zone_territories").get(self.zone.key)
        if territory and territory != "ZZ" and territory in self.locale.territories:
            return str(self.locale.territories[territory])
        return str(get_timezone_location(self.zone, locale=self.locale, return_city=True))
