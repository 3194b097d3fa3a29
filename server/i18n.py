"""The translation layer: gettext catalogues through Babel, and locale-aware formatting.

Message ids are English; Finnish is the default language, Swedish and English are complete. The
``.po`` catalogues under ``web/translations`` are compiled in memory when first used, so there is no
build step and no generated ``.mo`` file to keep in sync.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from server.settings import LANGUAGES, Language
from web import TRANSLATIONS_DIR

DOMAIN = "messages"

DateTimeStyle = Literal["short", "medium", "long"]


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later (at render time)."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: Language) -> Translations:
    """The compiled catalogue of ``language``, read from its ``.po`` file once per process."""
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        parsed = read_po(po, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, parsed)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def parse_language(value: str | None) -> Language | None:
    """A supported language code from a cookie or query value, else None."""
    if value in LANGUAGES:
        return value
    return None


def _printable(text: str) -> str:
    """CLDR's narrow no-break space (English "8:24 AM") as a no-break space: the PDF's built-in
    font has no narrow one, and the page and the PDF must print the same string."""
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
