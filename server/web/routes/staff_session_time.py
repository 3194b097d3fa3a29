"""How long the staff session still lasts, and its renewal: what the staff pages' warning asks
before the session ends (WCAG 2.2.1 Timing Adjustable, web/static/session-warning.js).

The answers carry seconds and limits only, never the session's id. Asking the time left is not
activity (``staff_sessions.time_left``), or a tab left open would keep its session alive for
ever; "Continue" is a form POST with the CSRF token like every other change. No session: 401 with
the stable code, as JSON, since a script reads it (the page routes redirect to the login).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from server.errors import ErrorCode
from server.people import staff_sessions
from server.people.session_rules import SessionLimits, TimeLeft, warnings_before
from server.web import staff_cookie
from server.web.deps import Csrf, Db, Now

router = APIRouter()


def _answer(left: TimeLeft | None, limits: SessionLimits) -> JSONResponse:
    if left is None:
        return JSONResponse({"code": ErrorCode.LOGIN_REQUIRED.value}, status_code=401)
    idle_warning, absolute_warning = warnings_before(limits)
    return JSONResponse(
        {
            "idle_seconds": int(left.idle.total_seconds()),
            "absolute_seconds": int(left.absolute.total_seconds()),
            "idle_warning_seconds": int(idle_warning.total_seconds()),
            "absolute_warning_seconds": int(absolute_warning.total_seconds()),
        }
    )


@router.get("/staff/session/time-left")
async def time_left(request: Request, db: Db, now: Now) -> JSONResponse:
    limits = staff_cookie.session_limits(request.app.state.settings)
    token = request.cookies.get(staff_cookie.COOKIE)
    return _answer(await staff_sessions.time_left(db, token, now, limits), limits)


@router.post("/staff/session/continue", dependencies=[Csrf])
async def keep_going(request: Request, db: Db, now: Now) -> JSONResponse:
    limits = staff_cookie.session_limits(request.app.state.settings)
    token = request.cookies.get(staff_cookie.COOKIE)
    return _answer(await staff_sessions.renew(db, token, now, limits), limits)
