"""The staff session cookie: a random id and nothing else; the session itself is on the server.

HttpOnly (no script reads it), ``Secure`` behind HTTPS, path ``/`` (the room socket needs it too)
and ``SameSite=Lax``: every change is a POST with a CSRF token, which Lax already keeps from other
sites, while a link to a staff page from a mail or calendar still opens it signed in (with Strict
it would show the login page to someone who is signed in).
"""

from __future__ import annotations

from starlette.responses import Response

from server.people.session_rules import SessionLimits
from server.people.staff_sessions import limits_of
from server.settings import Settings

COOKIE = "tupa_staff"


def session_limits(settings: Settings) -> SessionLimits:
    return limits_of(settings)


def give(response: Response, token: str, settings: Settings) -> None:
    """Set the cookie of a new session; it lasts no longer than the session could."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.staff_session_max_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def take_back(response: Response, settings: Settings) -> None:
    """Remove the cookie from this browser (its session has ended on the server already)."""
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )
