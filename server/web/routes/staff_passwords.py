"""A staff member's own password change, and the reset link a coordinator made for them.

Opening a reset link swaps it for a cookie of its own (path ``/staff/reset`` only, HttpOnly) and
moves on to ``/staff/reset``, as a parent's link does: the link does not stay in the address bar
or the history, and the page that asks for the new password reads the cookie. The link works until
it is used or 24 hours have passed (``server.people.password_resets``).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import ErrorCode, TupaError
from server.people import password_changes, password_resets
from server.people import service as people
from server.people.password_policy import MAX_LENGTH
from server.people.password_resets import VALID_FOR
from server.web.deps import Csrf, Db, Now, StaffMember, ThisSession
from server.web.forms import FormReader
from server.web.templating import render
from server.web.throttling import guarded

router = APIRouter()

RESET_COOKIE = "tupa_reset"
RESET_PATH = "/staff/reset"
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,100}")

# What the security page says after a password change, by the refusal's code.
_CHANGE_REFUSED = {
    ErrorCode.LOGIN_FAILED: "password_wrong",
    ErrorCode.TOO_MANY_ATTEMPTS: "too_many_attempts",
    ErrorCode.PASSWORDS_DIFFER: "passwords_differ",
    ErrorCode.PASSWORD_TOO_COMMON: "password_too_common",
    ErrorCode.INVALID_INPUT: "password_length",
}
# What a reset form is refused for while its link still works.
_NEW_PASSWORD_REFUSED = (
    ErrorCode.PASSWORDS_DIFFER,
    ErrorCode.PASSWORD_TOO_COMMON,
    ErrorCode.INVALID_INPUT,
)


def _new_passwords(form: FormReader) -> tuple[str, str]:
    """The new password and its repetition, one character past the limit so that a longer one is
    refused rather than cut."""
    return form.raw("new_password")[: MAX_LENGTH + 1], form.raw("repeat_password")[: MAX_LENGTH + 1]


@router.post("/staff/security/password", dependencies=[Csrf])
async def change_password(
    request: Request, db: Db, staff: StaffMember, this: ThisSession, now: Now
) -> Response:
    """The current password is checked under the login throttle; every other session ends."""
    form = FormReader(await request.form())
    new, repeated = _new_passwords(form)
    current = form.raw("current_password")[:MAX_LENGTH]
    try:
        await guarded(
            request,
            db,
            now,
            people.login_of(staff),
            lambda: password_changes.change_password(
                db, staff, current, new, repeated, this.id, now
            ),
        )
    except TupaError as error:
        if error.code not in _CHANGE_REFUSED:
            raise
        done = _CHANGE_REFUSED[error.code]
        return RedirectResponse(f"/staff/security?done={done}#password", status_code=303)
    return RedirectResponse("/staff/security?done=password_changed#password", status_code=303)


def _link_gone(request: Request) -> Response:
    """The page of a link that no longer works; the browser lets its cookie go."""
    context = {"error_code": ErrorCode.RESET_LINK_INVALID}
    response = render(request, "staff/reset_password.html", context, status_code=410)
    response.delete_cookie(RESET_COOKIE, path=RESET_PATH)
    return response


@router.get("/staff/reset/done")
async def reset_done(request: Request) -> Response:
    return render(request, "staff/reset_done.html")


@router.get("/staff/reset/{token}")
async def open_reset_link(request: Request, token: str) -> Response:
    """Keep the link in a cookie and move on to /staff/reset (a page, not a redirect: a link
    clicked in a mail app is a cross-site navigation, see ``parent_device``)."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return _link_gone(request)
    response = render(request, "staff/reset_opening.html")
    response.set_cookie(
        RESET_COOKIE,
        token,
        max_age=int(VALID_FOR.total_seconds()),
        path=RESET_PATH,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


@router.get("/staff/reset")
async def reset_page(request: Request, db: Db, now: Now) -> Response:
    staff = await password_resets.staff_for(db, request.cookies.get(RESET_COOKIE), now)
    if staff is None:
        return _link_gone(request)
    return render(request, "staff/reset_password.html", {"email": people.login_of(staff)})


@router.post("/staff/reset", dependencies=[Csrf])
async def reset_password(request: Request, db: Db, now: Now) -> Response:
    """Set the new password; every session of that person ends, and they log in with it."""
    token = request.cookies.get(RESET_COOKIE)
    new, repeated = _new_passwords(FormReader(await request.form()))
    try:
        await password_resets.use(db, token, new, repeated, now)
    except TupaError as error:
        if error.code is ErrorCode.RESET_LINK_INVALID:
            return _link_gone(request)
        if error.code not in _NEW_PASSWORD_REFUSED:
            raise
        staff = await password_resets.staff_for(db, token, now)
        context = {"email": people.login_of(staff) if staff else "", "error_code": error.code}
        return render(request, "staff/reset_password.html", context, status_code=422)
    response = RedirectResponse("/staff/reset/done", status_code=303)
    response.delete_cookie(RESET_COOKIE, path=RESET_PATH)
    return response
