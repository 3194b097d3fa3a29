"""Staff login (password, then an optional TOTP code), logout and the security page.

Each login is a session on the server (``server.people.staff_sessions``); the cookie holds its
random id only. A login waiting for its code is a session too, which opens the code page alone;
the code swaps it for a fresh one, so no id seen before the second factor ever opens a page.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import ErrorCode, TupaError
from server.organisation import Organisation
from server.people import calendar_feeds, staff_sessions
from server.people import service as people
from server.people.lockout import LockoutPolicy
from server.storage.tables import StaffRow, StaffSessionRow
from server.web import staff_cookie
from server.web.deps import Csrf, Db, Id, Now, Org, StaffMember, ThisSession
from server.web.forms import FormReader
from server.web.templating import render

router = APIRouter()


def _policy(request: Request) -> LockoutPolicy:
    s = request.app.state.settings
    return LockoutPolicy(
        failures_before_lock=s.login_failures_before_lock,
        lock_for=timedelta(minutes=s.login_lock_minutes),
        delay_per_failure_seconds=s.login_delay_seconds,
    )


def _safe_next(value: str) -> str:
    """Only a local staff path: never an open redirect to another site."""
    return (
        value
        if value.startswith("/staff") and "//" not in value and "\\" not in value
        else "/staff"
    )


async def _slow_down(request: Request, error: TupaError) -> None:
    """Wait longer after each failure, so guessing is slow even before the lock."""
    failures = int(error.params.get("failures", 1))
    await asyncio.sleep(_policy(request).delay(failures))


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
        staff = await people.check_password(db, email, password, now, _policy(request))
    except TupaError as error:
        await _slow_down(request, error)
        return render(
            request,
            "staff/login.html",
            {"error_code": error.code, "email": email, "next": next_path},
            status_code=429 if error.code is ErrorCode.ACCOUNT_LOCKED else 401,
        )
    if staff.totp_secret:
        return await _start(request, db, staff, now, next_path, code_due=True)
    people.record_success(staff)
    return await _start(request, db, staff, now, next_path)


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
    try:
        people.check_totp(staff, form.raw("code")[:20], now, _policy(request))
    except TupaError as error:
        await _slow_down(request, error)
        if error.code is ErrorCode.ACCOUNT_LOCKED:
            await staff_sessions.forget(db, request.cookies.get(staff_cookie.COOKIE))
        return render(request, "staff/login_code.html", {"error_code": error.code}, status_code=401)
    people.record_success(staff)
    return await _start(request, db, staff, now, _safe_next(pending.next_path or ""))


@router.post("/staff/logout", dependencies=[Csrf])
async def logout(request: Request, db: Db) -> Response:
    await staff_sessions.forget(db, request.cookies.get(staff_cookie.COOKIE))
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
        "done": request.query_params.get("done", ""),
        "sessions": await staff_sessions.sessions_of(db, staff.id, now, limits),
        "this_session_id": this.id,
        "session_idle_minutes": request.app.state.settings.staff_session_idle_minutes,
        "session_max_hours": request.app.state.settings.staff_session_max_hours,
    }
    if staff.totp_secret is None:
        secret = this.totp_setup or people.new_totp_secret()
        staff_sessions.hold_totp_setup(this, secret)
        uri = people.totp_uri(staff, secret, org.name)
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
    if this.totp_setup is None:
        return RedirectResponse("/staff/security", status_code=303)
    form = FormReader(await request.form())
    try:
        people.enable_totp(staff, this.totp_setup, form.raw("code")[:20], now)
    except TupaError as error:
        context = await _security_context(request, db, staff, this, org, now)
        context["error_code"] = error.code
        return render(request, "staff/security.html", context, status_code=422)
    staff_sessions.hold_totp_setup(this, None)
    return RedirectResponse("/staff/security?done=on", status_code=303)


@router.post("/staff/security/totp/disable", dependencies=[Csrf])
async def disable_totp(request: Request, staff: StaffMember) -> Response:
    form = FormReader(await request.form())
    try:
        people.disable_totp(staff, form.raw("password")[:256])
    except TupaError:
        return RedirectResponse("/staff/security?done=wrong_password", status_code=303)
    return RedirectResponse("/staff/security?done=off", status_code=303)


@router.post("/staff/security/sessions/{session_id}/end", dependencies=[Csrf])
async def end_session(
    request: Request, session_id: Id, db: Db, staff: StaffMember, this: ThisSession
) -> Response:
    """End one of one's own sessions (a lost phone, a shared computer); ending this one signs
    out here."""
    await staff_sessions.end(db, staff.id, session_id)
    if session_id != this.id:
        return RedirectResponse("/staff/security?done=session_ended", status_code=303)
    response = RedirectResponse("/staff/login", status_code=303)
    staff_cookie.take_back(response, request.app.state.settings)
    return response


@router.post("/staff/security/sessions/end-all", dependencies=[Csrf])
async def end_all_sessions(request: Request, db: Db, staff: StaffMember) -> Response:
    """End every session of one's own, this one included."""
    await staff_sessions.end_all(db, staff.id)
    response = RedirectResponse("/staff/login", status_code=303)
    staff_cookie.take_back(response, request.app.state.settings)
    return response
