"""CSRF protection for forms: a per-browser secret in the signed session, echoed by each form.

A cross-site page can make the browser post a form, but it cannot read the token from our page,
so a post without the matching token is refused before the handler runs.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from server.errors import ErrorCode, TupaError

FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The token to embed in this browser's forms (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """A dependency for every form POST. Raises CSRF_FAILED."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str)):
        raise TupaError(ErrorCode.CSRF_FAILED)
    if not hmac.compare_digest(sent, expected):
        raise TupaError(ErrorCode.CSRF_FAILED)
