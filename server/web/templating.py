"""Rendering pages: one Jinja2 environment, a translator and the page's shared context."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.i18n import N_, Translator, catalogue
from server.localised import Texts, localised
from server.scheduling.series import LifeSituation, MediaMode, SessionStatus, room_is_joinable
from server.settings import LANGUAGES
from server.web.content import lang_of, shown
from server.web.csrf import FIELD as CSRF_FIELD
from server.web.csrf import csrf_token
from server.web.labels import (
    IDENTIFYING_LABELS,
    LIFE_SITUATION_LABELS,
    MEDIA_MODE_LABELS,
    MODERATION_LABELS,
    ROLE_LABELS,
    SECURITY_EVENT_LABELS,
    STATUS_LABELS,
)
from server.web.messages import ANSWER_PROBLEM_MESSAGES, error_message, field_message
from web import TEMPLATES_DIR

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["as_datetime"] = datetime.fromisoformat
# The i18n extension wants callables installed; the real, per-request ones come in the context.
environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]

# Shown under every page in Northern Sámi until TUPA_NORTHERN_SAMI_REVIEWED says a native speaker
# has reviewed the catalogue; in Finnish too, for the organisation's staff reading along.
DRAFT_NOTICE = N_(
    "This Northern Sámi translation is a draft awaiting review by a native speaker. Text not yet"
    " translated is shown in Finnish."
)


def draft_notice(language: str, reviewed: bool) -> tuple[str, str] | None:
    """The footer's notice of a draft translation in ``language`` and in Finnish, or None."""
    if language != "se" or reviewed:
        return None
    return catalogue("se").gettext(DRAFT_NOTICE), catalogue("fi").gettext(DRAFT_NOTICE)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` in the reader's language with the context every page needs."""
    t: Translator = request.state.translator
    settings = request.app.state.settings
    page = {
        "request": request,
        "t": t,
        "gettext": t.gettext,
        "_": t.gettext,
        "ngettext": t.ngettext,
        "language": t.language,
        "languages": LANGUAGES,
        "organisation": settings.organisation_name,
        "contact": request.app.state.organisation.contact,
        "help_lines": request.app.state.organisation.help_lines,
        "quick_exit_url": settings.quick_exit_url,
        "draft_notice": draft_notice(t.language, settings.northern_sami_reviewed),
        # static_url("room/main.js"): the address under the static tree's digest.
        "static_url": request.app.state.static.url,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "staff": getattr(request.state, "staff", None),
        "life_situations": list(LifeSituation),
        "media_modes": list(MediaMode),
        "life_situation_label": lambda v: t.gettext(LIFE_SITUATION_LABELS[LifeSituation(v)]),
        "media_mode_label": lambda v: t.gettext(MEDIA_MODE_LABELS[MediaMode(v)]),
        "role_label": lambda v: t.gettext(ROLE_LABELS[v]),
        "status_label": lambda v: t.gettext(STATUS_LABELS[v]),
        "joinable": lambda session: room_is_joinable(
            SessionStatus(session.status),
            session.starts_at,
            session.duration_minutes,
            request.app.state.clock(),
            timedelta(minutes=settings.room_opens_minutes_before),
        ),
        # What the public pages tell a parent before enrolling (public/_before_enrolling.html).
        "room_opens_minutes": settings.room_opens_minutes_before,
        # Group content (titles, themes …) in the page's language, else Finnish: plain text for
        # attributes and <title>, or marked with its lang where shown (server/web/content.py).
        "local": lambda texts: localised(texts, t.language),
        "shown": lambda texts: shown(texts, t.language),
        "lang_of": lambda texts: lang_of(texts, t.language),
        # Staff pages name content by its Finnish original, the one every series has.
        "original": lambda texts: shown(Texts(texts.fi), t.language),
        "moderation_label": lambda v: t.gettext(MODERATION_LABELS.get(v) or v),
        "identifying_label": lambda v: t.gettext(IDENTIFYING_LABELS.get(v) or v),
        "security_event_label": lambda v: t.gettext(SECURITY_EVENT_LABELS[v]),
        "error_message": lambda code: error_message(t, code),
        "field_message": lambda field, code=None: field_message(t, field, code),
        "answer_problem": lambda problem: t.gettext(
            ANSWER_PROBLEM_MESSAGES.get(problem, "Please check the highlighted fields.")
        ),
        **(context or {}),
    }
    html = environment.get_template(template).render(page)
    return HTMLResponse(html, status_code=status_code)
