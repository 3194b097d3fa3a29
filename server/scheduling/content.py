"""A series' content in Finnish, Swedish and English: the bounds of its titles, descriptions and
themes, and changing them once the series is planned.

Finnish is required (a title of 3 to 160 characters); Swedish and English are optional text by
text, with the same bounds where given, and are stored as None where not (server/localised.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ErrorCode, TupaError
from server.localised import TRANSLATED, Texts
from server.scheduling.series import MAX_THEMES
from server.storage.tables import SeriesRow, SessionRow

MIN_TITLE = 3
MAX_TITLE = 160
MAX_DESCRIPTION = 4000
MAX_THEME = 200


@dataclass(frozen=True)
class SeriesTranslation:
    """A series' content in one more language; whatever is left blank shows the Finnish."""

    title: str = ""
    description: str = ""
    themes: list[str] = field(default_factory=list)  # in session order; "" keeps the Finnish


def checked_title(text: str, field: str, *, required: bool = True) -> str:
    """The title on one line; raises INVALID_INPUT naming ``field`` unless 3 to 160 characters
    (or blank, for a translation)."""
    title = " ".join(text.split())
    if (required or title) and not MIN_TITLE <= len(title) <= MAX_TITLE:
        raise TupaError(ErrorCode.INVALID_INPUT, field=field)
    return title


def checked_description(text: str, field: str) -> str:
    description = text.strip()
    if len(description) > MAX_DESCRIPTION:
        raise TupaError(ErrorCode.INVALID_INPUT, field=field)
    return description


def checked_theme(text: str, field: str) -> str:
    theme = " ".join(text.split())
    if len(theme) > MAX_THEME:
        raise TupaError(ErrorCode.INVALID_INPUT, field=field)
    return theme


def checked_themes(themes: list[str], field: str) -> list[str]:
    if len(themes) > MAX_THEMES:
        raise TupaError(ErrorCode.INVALID_INPUT, field=field)
    return [checked_theme(theme, field) for theme in themes]


def checked_translations(
    given: Mapping[str, SeriesTranslation],
) -> dict[str, SeriesTranslation]:
    """Every translated language's content, checked; raises INVALID_INPUT naming the field
    (``title_sv``, ``themes_en`` …)."""
    if set(given) - set(TRANSLATED):
        raise TupaError(ErrorCode.INVALID_INPUT, field="translations")
    checked = {}
    for lang in TRANSLATED:
        t = given.get(lang, SeriesTranslation())
        checked[lang] = SeriesTranslation(
            checked_title(t.title, f"title_{lang}", required=False),
            checked_description(t.description, f"description_{lang}"),
            checked_themes(t.themes, f"themes_{lang}"),
        )
    return checked


def _stored(text: str) -> str | None:
    return text or None


def write_translations(
    series: SeriesRow, sessions: list[SessionRow], translations: Mapping[str, SeriesTranslation]
) -> None:
    """Put checked translations on a new series and its sessions (in session order)."""
    sv, en = translations["sv"], translations["en"]
    series.title_sv, series.title_en = _stored(sv.title), _stored(en.title)
    series.description_sv, series.description_en = _stored(sv.description), _stored(en.description)
    for i, session in enumerate(sessions):
        session.theme_sv = _stored(sv.themes[i]) if i < len(sv.themes) else None
        session.theme_en = _stored(en.themes[i]) if i < len(en.themes) else None


def checked_theme_texts(theme: Texts) -> Texts:
    """One session's theme in every language, checked (fields ``theme``, ``theme_sv`` …)."""
    return Texts(
        checked_theme(theme.fi, "theme"),
        _stored(checked_theme(theme.sv or "", "theme_sv")),
        _stored(checked_theme(theme.en or "", "theme_en")),
    )


async def edit_series_texts(
    db: AsyncSession, series_id: int, title: Texts, description: Texts
) -> SeriesRow:
    """Change a series' title and description in every language at once (a translation left
    blank is removed). Raises NOT_FOUND or INVALID_INPUT naming the field."""
    series = await db.get(SeriesRow, series_id)
    if series is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    # Everything is checked before anything changes: a refused edit leaves the row as it was.
    titles = (
        checked_title(title.fi, "title"),
        _stored(checked_title(title.sv or "", "title_sv", required=False)),
        _stored(checked_title(title.en or "", "title_en", required=False)),
    )
    descriptions = (
        checked_description(description.fi, "description"),
        _stored(checked_description(description.sv or "", "description_sv")),
        _stored(checked_description(description.en or "", "description_en")),
    )
    series.title, series.title_sv, series.title_en = titles
    series.description, series.description_sv, series.description_en = descriptions
    return series
