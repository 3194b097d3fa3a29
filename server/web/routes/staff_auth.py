"""Staff login (password, then an optional TOTP code), logout and the security page.

Each login is a session on the server (``server.people.staff_sessions``); the cookie holds its
random id only. A login waiting for its code is a session too, which opens the code page alone;
the code swaps it for a fresh one, so no id seen before the second factor ever opens a page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import TupaError
from server.organisation import Organisation
from server.people import calendar_feeds, recovery_codes, staff_sessions, two_factor
from server.people import service as people
from server.storage.tables import StaffRow, StaffSessionRow
from server.web import staff_cookie
from server.web.deps import Csrf, Db, Id, Now, Org, StaffMember, ThisSession
from server.web.errors import HTTP_STATUS
from server.web.forms import FormReader
from server.web.templating import render
from server.web.throttling import guarded

router = APIRouter()

T = TypeVar("T")


def _safe_next(value: str) -> str:
    """Only a local staff path: never an open redirect to another site."""
    return (
        value
        if value.startswith("/staff") and "//" not in value and "\\" not in value
        else "/staff"
    )


async def _start(
    request: Request, db: Db, staff: StaffRow, now: Now, to: str, *, code_due: bool = False
) -> Response:
    """A fresh session in place of whatever session this browser's cookie had (no fixation)."""
    token = await staff_sessions.start(
        db,
        staff,
        now,
        request.headers.get("user-agent", ""),
        instead_of=request.cookies.get(staff_cookie.COOKIE),
        code_due=code_due,
        next_path=to if code_due else None,
    )
    response = RedirectResponse("/staff/login/code" if code_due else to, status_code=303)
    staff_cookie.give(response, token, request.app.state.settings)
    return response


@router.get("/staff/login")
async def login_page(request: Request) -> Response:
    return render(
        request, "staff/login.html", {"next": _safe_next(request.query_params.get("next", ""))}
    )


@router.post("/staff/login", dependencies=[Csrf])
async def login(request: Request, db: Db, now: Now) -> Response:
    form = FormReader(await request.form())
    email = form.raw("email")[:254]
    password = form.raw("password")[:256]
    next_path = _safe_next(form.raw("next"))
    try:
        staff = await guarded(
            request, db, now, email, lambda: people.check_password(db, email, password, now)
        )
    except TupaError as error:
        return render(
            request,
            "staff/login.html",
            {"error_code": error.code, "email": email, "next": next_path},
            status_code=HTTP_STATUS[error.code],
        )
    return await _start(request, db, staff, now, next_path, code_due=bool(staff.totp_secret))


async def _waiting(request: Request, db: Db, now: Now) -> StaffSessionRow | None:
    limits = staff_cookie.session_limits(request.app.state.settings)
    token = request.cookies.get(staff_cookie.COOKIE)
    return await staff_sessions.waiting_for_code(db, token, now, limits)


@router.get("/staff/login/code")
async def code_page(request: Request, db: Db, now: Now) -> Response:
    if await _waiting(request, db, now) is None:
        return RedirectResponse("/staff/login", status_code=303)
    return render(request, "staff/login_code.html")


@router.post("/staff/login/code", dependencies=[Csrf])
async def code(request: Request, db: Db, now: Now) -> Response:
    pending = await _waiting(request, db, now)
    staff = None if pending is None else await people.staff_by_id(db, pending.staff_id)
    if pending is None or staff is None:
        return RedirectResponse("/staff/login", status_code=303)
    form = FormReader(await request.form())
    code = form.raw("code")[: recovery_codes.MAX_LENGTH]
    try:
        await guarded(
            request,
            db,
            now,
            people.login_of(staff),
            lambda: two_factor.check_code(db, staff, code, now),
        )
    except TupaError as error:
        return render(
            request,
            "staff/login_code.html",
            {"error_code": error.code},
            status_code=HTTP_STATUS[error.code],
        )
    return await _start(request, db, staff, now, _safe_next(pending.next_path or ""))


@router.post("/staff/logout", dependencies=[Csrf])
async def logout(request: Request, db: Db, now: Now) -> Response:
    await staff_sessions.sign_out(db, request.cookies.get(staff_cookie.COOKIE), now)
    response = RedirectResponse("/", status_code=303)
    staff_cookie.take_back(response, request.app.state.settings)
    return response


def _qr_data_uri(text: str) -> str:
    # A standalone SVG image, namespace included: without it a browser draws nothing.
    return str(segno.make(text, error="m").svg_data_uri(scale=4))


async def _security_context(
    request: Request, db: Db, staff: StaffRow, this: StaffSessionRow, org: Organisation, now: Now
) -> dict[str, object]:
    """Whether there is a calendar feed, the signed-in sessions and, while two-factor is off, a
    secret on offer (kept in this session's row until confirmed) with its QR code."""
    limits = staff_cookie.session_limits(request.app.state.settings)
    context: dict[str, object] = {
        "has_feed": calendar_feeds.has_feed(staff),
        "totp_enabled": staff.totp_secret is not None,
        "recovery_codes_left": await recovery_codes.remaining(db, staff.id),
        "done": request.query_params.get("done", ""),
        "sessions": await staff_sessions.sessions_of(db, staff.id, now, limits),
        "this_session_id": this.id,
        "session_idle_minutes": request.app.state.settings.staff_session_idle_minutes,
        "session_max_hours": request.app.state.settings.staff_session_max_hours,
    }
    if staff.totp_secret is None:
        secret = this.totp_setup or two_factor.new_secret()
        staff_sessions.hold_totp_setup(this, secret)
        uri = two_factor.totp_uri(staff, secret, org.name)
        context |= {"totp_secret": secret, "totp_qr": _qr_data_uri(uri)}
    return context


@router.get("/staff/security")
async def security_page(
    request: Request, db: Db, staff: StaffMember, this: ThisSession, org: Org, now: Now
) -> Response:
    context = await _security_context(request, db, staff, this, org, now)
    return render(request, "staff/security.html", context)


@router.post("/staff/security/calendar-feed", dependencies=[Csrf])
async def new_calendar_feed(
    request: Request, db: Db, staff: StaffMember, this: ThisSession, org: Org, now: Now
) -> Response:
    """A new private feed address, ending the old one. Shown once, in this answer and stored
    nowhere (the database keeps its hash only); reloading would post again and make another."""
    token = calendar_feeds.make_feed(staff)
    context = await _security_context(request, db, staff, this, org, now)
    context["new_feed_url"] = org.url(calendar_feeds.feed_path(token))
    return render(request, "staff/security.html", context)


@router.post("/staff/security/totp", dependencies=[Csrf])
async def enable_totp(
    request: Request, db: Db, staff: StaffMember, this: ThisSession, now: Now, org: Org
) -> Response:
    """Turn two-factor on; the answer shows the recovery codes, once (reloading would post
    again, and the code is used by then)."""
    if this.totp_setup is None or staff.totp_secret is not None:
        return RedirectResponse("/staff/security", status_code=303)
    form = FormReader(await request.form())
    secret = this.totp_setup
    try:
        codes = await two_factor.turn_on(db, staff, secret, form.raw("code")[:20], now)
    except TupaError as error:
        context = await _security_context(request, db, staff, this, org, now)
        context["error_code"] = error.code
        return render(request, "staff/security.html", context, status_code=422)
    staff_sessions.hold_totp_setup(this, None)
    context = await _security_context(request, db, staff, this, org, now)
    context |= {"new_recovery_codes": codes, "done": "on"}
    return render(request, "staff/security.html", context)


async def _password_form(
    request: Request, db: Db, staff: StaffRow, now: Now, action: Callable[[str], Awaitable[T]]
) -> T:
    """Run ``action`` with the password the form sent, under the login throttle."""
    password = FormReader(await request.form()).raw("password")[:256]
    return await guarded(request, db, now, people.login_of(staff), lambda: action(password))


@router.post("/staff/security/totp/disable", dependencies=[Csrf])
async def disable_totp(request: Request, db: Db, staff: StaffMember, now: Now) -> Response:
    try:
        await _password_form(
            request, db, staff, now, lambda p: two_factor.turn_off(db, staff, p, now)
        )
    except TupaError as error:
        return RedirectResponse(f"/staff/security?done={error.code.value}", status_code=303)
    return RedirectResponse("/staff/security?done=off", status_code=303)


@router.post("/staff/security/recovery-codes", dependencies=[Csrf])
async def new_recovery_codes(
    request: Request, db: Db, staff: StaffMember, this: ThisSession, now: Now, org: Org
) -> Response:
    """Ten new recovery codes for the password, in place of the old ones; shown once."""
    if staff.totp_secret is None:
        return RedirectResponse("/staff/security", status_code=303)
    try:
        codes = await _password_form(
            request, db, staff, now, lambda p: two_factor.new_recovery_codes(db, staff, p, now)
        )
    except TupaError as error:
        return RedirectResponse(f"/staff/security?done={error.code.value}", status_code=303)
    context = await _security_context(request, db, staff, this, org, now)
    context["new_recovery_codes"] = codes
    return render(request, "staff/security.html", context)


@router.post("/staff/security/sessions/{session_id}/end", dependencies=[Csrf])
async def end_session(
    request: Request, session_id: Id, db: Db, staff: StaffMember, this: ThisSession, now: Now
) -> Response:
    """End one of one's own sessions (a lost phone, a shared computer); ending this one signs
    out here."""
    await staff_sessions.end(db, staff.id, session_id, now)
    if session_id != this.id:
        return RedirectResponse("/staff/security?done=session_ended", status_code=303)
    response = RedirectResponse("/staff/login", status_code=303)
    staff_cookie.take_back(response, request.app.state.settings)
    return response


@router.post("/staff/security/sessions/end-all", dependencies=[Csrf])
async def end_all_sessions(request: Request, db: Db, staff: StaffMember, now: Now) -> Response:
    """End every session of one's own, this one included."""
    await staff_sessions.end_own(db, staff.id, now)
    response = RedirectResponse("/staff/login", status_code=303)
    staff_cookie.take_back(response, request.app.state.settings)
    return response
