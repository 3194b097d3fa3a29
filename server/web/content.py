"""Group content on a page: the reader's language where it was given, else the Finnish text,
marked with a ``lang`` attribute so a screen reader pronounces it as Finnish.

Templates reach these through the render context (``local``, ``shown``, ``lang_of``); the choice
itself is ``server.localised.localised``.
"""

from __future__ import annotations

from markupsafe import Markup

from server.localised import Texts, localised


def lang_of(texts: Texts, language: str) -> Markup:
    """` lang="fi"` for the element holding the text when it falls back to Finnish, else ""."""
    chosen = localised(texts, language)
    return Markup(' lang="{}"').format(chosen.language) if chosen.fallback else Markup("")


def shown(texts: Texts, language: str) -> Markup:
    """The text for the page, inside ``<span lang="fi">`` when it falls back to Finnish."""
    chosen = localised(texts, language)
    if chosen.fallback:
        return Markup('<span lang="{}">{}</span>').format(chosen.language, chosen.text)
    return Markup("{}").format(chosen.text)
