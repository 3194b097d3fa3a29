"""Which language a page is in: the reader's explicit choice, else their browser's, else ours.

An explicit choice is ``?lang=`` (the switch in the page header) or the cookie it leaves; it always
wins, so a parent on a shared or borrowed computer reads the language they picked. Without one, a
first visit follows the browser's Accept-Language header, so a Swedish-speaking parent does not
first meet a Finnish page. The header is untrusted: it is cut to ``MAX_HEADER_CHARS`` and
``MAX_RANGES`` entries before it is looked at, and anything malformed in it is skipped, never
raised, so a long or hostile header costs a bounded split and gives the default.

Babel has no Accept-Language parser, so the q-values are read here (RFC 9110 §12.4.2: a weight is
0 to 1 with at most three decimals; ``q=0`` means "not this one"); Babel's ``negotiate_locale``
then matches the ranked primary language subtags against ours, with the ISO 639-3 code of
Northern Sámi (``sme``) as an alias of ``se``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.core import negotiate_locale

from server.i18n import parse_language
from server.settings import LANGUAGES, Language

MAX_HEADER_CHARS = 512  # a browser's real list is well under 200
MAX_RANGES = 32
ALIASES = {"sme": "se"}  # Northern Sámi: browsers send either code
WEIGHT = re.compile(r"q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)", re.IGNORECASE)
TAG = re.compile(r"([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*")  # RFC 4647's language-range


@dataclass(frozen=True)
class LanguageChoice:
    """The page's language, and whether the browser's header decided it (the answer then differs
    by that header, which caches must be told with ``Vary: Accept-Language``)."""

    language: Language
    from_header: bool


def choose(
    asked: str | None, remembered: str | None, accept_language: str | None, default: Language
) -> LanguageChoice:
    """The language for a request from ``?lang=``, the switch's cookie and Accept-Language."""
    explicit = parse_language(asked) or parse_language(remembered)
    if explicit is not None:
        return LanguageChoice(explicit, from_header=False)
    return LanguageChoice(negotiated(accept_language) or default, from_header=True)


def negotiated(accept_language: str | None) -> Language | None:
    """The language of ours the browser ranks highest, or None when it asks for none of them."""
    found = negotiate_locale(ranked(accept_language or ""), LANGUAGES, sep="-", aliases=ALIASES)
    return parse_language(found)


def ranked(header: str) -> list[str]:
    """The primary language subtags of an Accept-Language header, most wanted first (equal
    weights keep the browser's order); malformed or cut-off entries, ``*`` and ``q=0`` are left
    out."""
    weighted: list[tuple[float, int, str]] = []
    entries = header[:MAX_HEADER_CHARS].split(",", MAX_RANGES)
    if len(entries) > MAX_RANGES or len(header) > MAX_HEADER_CHARS:
        entries.pop()  # cut off (by count or length): not what the browser sent
    for position, entry in enumerate(entries):
        tag, _, parameters = entry.partition(";")
        language_range = TAG.fullmatch(tag.strip())
        if language_range is None:
            continue
        primary = language_range.group(1)
        weight = 1.0
        if parameters.strip():
            match = WEIGHT.fullmatch(parameters.strip().replace(" ", ""))
            if match is None:
                continue
            weight = float(match.group(1))
        if weight > 0:
            weighted.append((-weight, position, primary.lower()))
    return [primary for _, _, primary in sorted(weighted)]
