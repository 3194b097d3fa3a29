"""Group content in the languages an organisation writes it in, and the choice for a reader (pure).

Series titles, descriptions, session themes and program names are the organisation's own words,
not interface text, so they are not in the Babel catalogues: Finnish is always given, Swedish and
English optionally, per text. A reader sees their language where it was given and the Finnish text
otherwise; the choice says which language it fell back to, so a page can mark foreign text with a
``lang`` attribute for screen readers and an e-mail can be written in the parent's language.
"""

from __future__ import annotations

from dataclasses import dataclass

ORIGINAL = "fi"
TRANSLATED: tuple[str, ...] = ("sv", "en")


@dataclass(frozen=True)
class Texts:
    """One piece of content: the Finnish original and the translations given (None: not given)."""

    fi: str
    sv: str | None = None
    en: str | None = None
    # Northern Sámi: only Tupa's own help lines have it (series content is written in fi/sv/en).
    se: str | None = None

    def given(self, language: str) -> str | None:
        """The text in ``language`` if it was given (a blank translation counts as not given)."""
        text = {"fi": self.fi, "sv": self.sv, "en": self.en, "se": self.se}.get(language)
        return text if text and text.strip() else None

    def translations(self) -> list[tuple[str, str]]:
        """(language, text) of every translation given, in a fixed order."""
        return [(lang, text) for lang in TRANSLATED if (text := self.given(lang)) is not None]


@dataclass(frozen=True)
class Localised:
    """The text chosen for a reader and the language it is in. Prints as its text."""

    text: str
    language: str
    fallback: bool  # True when the reader asked for another language than ``language``

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def localised(texts: Texts, language: str) -> Localised:
    """The text in ``language`` where it was given, else the Finnish original."""
    text = texts.given(language)
    if text is not None:
        return Localised(text, language, fallback=False)
    return Localised(texts.fi, ORIGINAL, fallback=language != ORIGINAL)


def translation_or_none(text: str) -> str | None:
    """How a translation is stored: blank means not given (None), so the original is shown."""
    cleaned = text.strip()
    return cleaned or None
