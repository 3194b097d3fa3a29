"""Help lines a parent is shown under "Help now", and how an installation replaces them (pure).

A parent in a group may be in danger tonight; the room and every parent page list numbers to call
(web/templates/_help_now.html). Tupa ships Finnish national lines, each checked against the
service's own published page on the date given in ``checked`` (and in the README's "Help lines"
table). An organisation elsewhere, or one that wants its own shelter's number first, gives a JSON
file in TUPA_HELP_LINES_FILE instead; it is read once at start-up and a mistake in it stops the
start rather than show a parent a wrong number.

Lines left out of the defaults because their current opening hours could not be confirmed on the
service's own page on the date checked: Rikosuhripäivystys 116 006, MIELI's Swedish-language line
09 2525 0112. See the README before adding them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from server.localised import Texts

MAX_LINES = 12
MAX_TEXT = 300
MAX_PHONE = 40


@dataclass(frozen=True)
class HelpLine:
    """One service: what it is called and for, its number, when it answers, where it says so."""

    name: Texts
    phone: str
    hours: Texts
    description: Texts
    url: str  # the service's own page the entry was checked against
    checked: date

    @property
    def phone_uri(self) -> str:
        """The number as a ``tel:`` address: digits and a leading plus only."""
        return "tel:" + "".join(c for c in self.phone if c.isdigit() or c == "+")


CHECKED = date(2026, 12, 3)

DEFAULT_HELP_LINES: tuple[HelpLine, ...] = (
    HelpLine(
        Texts("Hätänumero", "Nödnumret", "Emergency number", se="Heahtenummir"),
        "112",
        Texts("aina", "alltid", "always", se="álo"),
        Texts(
            "Kun henki, terveys tai turvallisuus on uhattuna nyt.",
            "När liv, hälsa eller säkerhet är hotade nu.",
            "When life, health or safety is in danger now.",
            se="Go eallin, dearvvašvuohta dahje oadjebasvuohta lea dál áitojuvvon.",
        ),
        "https://112.fi/ohjeita-eri-tilanteisiin",
        CHECKED,
    ),
    HelpLine(
        Texts("Nollalinja", "Nollinjen", "Nollalinja", se="Nollalinja"),
        "080 005 005",
        Texts(
            "joka päivä ympäri vuorokauden, maksuton",
            "alla dagar dygnet runt, avgiftsfri",
            "every day, around the clock, free of charge",
            se="juohke beaivvi birra jándora, nuvttá",
        ),
        Texts(
            "Lähisuhdeväkivaltaa tai sen uhkaa kokeneille ja heidän läheisilleen. Voit soittaa "
            "nimettömänä; numerosi ei näy päivystäjälle eikä puhelinlaskussa.",
            "För den som har upplevt våld eller hot om våld i en nära relation och deras "
            "närstående. Du kan ringa anonymt; ditt nummer syns inte.",
            "For anyone who has experienced violence or its threat in a close relationship, and "
            "their loved ones. You can call anonymously; your number is not shown.",
            se="Sidjiide geat leat vásihan lagasoktavuođaveahkaváldima dahje dan áitaga, ja sin "
            "lagamusaide. Sáhtát riŋget almmá nama haga; du nummir ii oidno.",
        ),
        "https://nollalinja.fi/en",
        CHECKED,
    ),
    HelpLine(
        Texts(
            "MIELI Kriisipuhelin",
            "MIELI Kristelefonen",
            "MIELI Crisis Helpline",
            se="MIELI Kriisipuhelin (kriisatelefovdna)",
        ),
        "09 2525 0111",
        Texts(
            "suomeksi joka päivä ympäri vuorokauden",
            "på finska alla dagar dygnet runt",
            "in Finnish, every day, around the clock",
            se="suomagillii juohke beaivvi birra jándora",
        ),
        Texts(
            "Keskusteluapua kriisissä ja kun omat voimat eivät riitä. MIELI ry ei peri "
            "puhelusta maksua; operaattorisi veloittaa tavallisen puhelun hinnan.",
            "Samtalsstöd i en kris. MIELI rf tar ingen avgift; din operatör debiterar ett "
            "vanligt samtal.",
            "Someone to talk to in a crisis. MIELI does not charge for the call; your operator "
            "charges a normal call.",
            se="Ságastallanveahkki go leat kriisas. MIELI ii váldde máksu riŋgemis; du "
            "operáhtor váldá dábálaš riŋgema hatti.",
        ),
        "https://mieli.fi/helpline",
        CHECKED,
    ),
)


class HelpLinesError(ValueError):
    """The help-lines file cannot be used; the message says where and why."""


def parse_help_lines(text: str) -> tuple[HelpLine, ...]:
    """The lines in a help-lines file (a JSON list), or ``HelpLinesError`` saying what is wrong.

    Each entry: ``name``, ``hours`` and ``description`` as ``{"fi": …, "sv": …, "en": …}``
    (Finnish required, Northern Sámi ``"se"`` optional too), ``phone``, ``url`` (https) and
    ``checked`` (YYYY-MM-DD).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise HelpLinesError(f"not JSON: {error}") from None
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_LINES:
        raise HelpLinesError(f"must be a list of 1 to {MAX_LINES} lines")
    return tuple(_line(entry, index) for index, entry in enumerate(data))


def _line(entry: Any, index: int) -> HelpLine:
    where = f"line {index + 1}"
    if not isinstance(entry, dict):
        raise HelpLinesError(f"{where}: must be an object")
    unknown = set(entry) - {"name", "phone", "hours", "description", "url", "checked"}
    if unknown:
        raise HelpLinesError(f"{where}: unknown fields {sorted(unknown)}")
    phone = _text(entry, "phone", where, MAX_PHONE)
    if not all(c.isdigit() or c in "+ -()" for c in phone) or not any(c.isdigit() for c in phone):
        raise HelpLinesError(f"{where}: phone may hold digits, spaces, +, - and brackets only")
    url = _text(entry, "url", where, MAX_TEXT)
    if not url.startswith("https://") or any(c.isspace() for c in url):
        raise HelpLinesError(f"{where}: url must be one https:// address")
    try:
        checked = date.fromisoformat(_text(entry, "checked", where, 10))
    except ValueError:
        raise HelpLinesError(f"{where}: checked must be a date, YYYY-MM-DD") from None
    return HelpLine(
        _texts(entry, "name", where),
        " ".join(phone.split()),
        _texts(entry, "hours", where),
        _texts(entry, "description", where),
        url,
        checked,
    )


def _text(entry: dict[str, Any], field: str, where: str, limit: int) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise HelpLinesError(f"{where}: {field} must be text of 1 to {limit} characters")
    return value.strip()


def _texts(entry: dict[str, Any], field: str, where: str) -> Texts:
    value = entry.get(field)
    if not isinstance(value, dict) or set(value) - {"fi", "sv", "en", "se"}:
        raise HelpLinesError(f'{where}: {field} must be {{"fi": …, "sv": …, "en": …, "se": …}}')
    fi = _text(value, "fi", f"{where} {field}", MAX_TEXT)
    translated = {}
    for language in ("sv", "en", "se"):
        if value.get(language) is not None:
            translated[language] = _text(value, language, f"{where} {field}", MAX_TEXT)
    return Texts(fi, translated.get("sv"), translated.get("en"), translated.get("se"))
