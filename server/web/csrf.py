"""CSRF protection for forms: a per-browser secret in a cookie of its own, echoed by each form.

A cross-site page can make the browser post a form, but it cannot read the token from our page
nor set our cookie, so a post whose field does not match the cookie is refused before the handler
runs. The cookie holds nothing else and is not tied to a staff or parent session: a login or a
logout does not change it.
"""

from __future__ import annotations

import hmac
import re
import secrets
from http.cookies import SimpleCookie

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import ErrorCode, TupaError

FIELD = "csrf_token"
COOKIE = "tupa_csrf"
_STATE_KEY = "tupa.new_csrf"
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def _sent_cookie(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    return token if token is not None and _SHAPE.fullmatch(token) else None


def csrf_token(request: Request) -> str:
    """The token to embed in this browser's forms (created on first use; ``CsrfCookie`` sets the
    cookie on the response)."""
    token = _sent_cookie(request)
    if token is None:
        state = request.scope.setdefault("state", {})
        token = state.get(_STATE_KEY)
        if not isinstance(token, str):
            token = state[_STATE_KEY] = secrets.token_urlsafe(32)
    return token


async def verify_csrf(request: Request) -> None:
    """A dependency for every form POST. Raises CSRF_FAILED."""
    form = await request.form()
    sent = form.get(FIELD)
    expected = _sent_cookie(request)
    if not (isinstance(sent, str) and expected is not None):
        raise TupaError(ErrorCode.CSRF_FAILED)
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise TupaError(ErrorCode.CSRF_FAILED)


class CsrfCookie:
    """Sets the CSRF cookie on a response whose page made a new token."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            token = scope.get("state", {}).get(_STATE_KEY)
            if message["type"] == "http.response.start" and isinstance(token, str):
                cookie: SimpleCookie = SimpleCookie()
                cookie[COOKIE] = token
                morsel = cookie[COOKIE]
                morsel["path"], morsel["httponly"], morsel["samesite"] = "/", True, "Lax"
                morsel["secure"] = self.secure
                header = cookie.output(header="").strip().encode("latin-1")
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
