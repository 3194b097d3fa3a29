"""Staff login (password, then an optional TOTP code), logout and the security page."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import timedelta

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import ErrorCode, TupaError
from server.organisation import Organisation
from server.people import service as people
from server.people.lockout import LockoutPolicy
from server.storage.tables import StaffRow
from server.web.deps import Csrf, Db, Now, Org, StaffMember
from server.web.forms import FormReader
from server.web.templating import render

router = APIRouter()

PENDING_KEY = "pending_staff_id"
PENDING_SECONDS = 300


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


def _sign_in(request: Request, staff: StaffRow) -> None:
    csrf = request.session.get("csrf")
    request.session.clear()  # a fresh session on login: no fixation of a pre-login session
    request.session["staff_id"] = staff.id
    if csrf:
        request.session["csrf"] = csrf


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
        request.session[PENDING_KEY] = [staff.id, int(time.time()), next_path]
        return RedirectResponse("/staff/login/code", status_code=303)
    people.record_success(staff)
    _sign_in(request, staff)
    return RedirectResponse(next_path, status_code=303)


def _pending(request: Request) -> tuple[int, str] | None:
    value = request.session.get(PENDING_KEY)
    if not (isinstance(value, list) and len(value) == 3):
        return None
    staff_id, started, next_path = value
    if time.time() - started > PENDING_SECONDS:
        return None
    return int(staff_id), str(next_path)


@router.get("/staff/login/code")
async def code_page(request: Request) -> Response:
    if _pending(request) is None:
        return RedirectResponse("/staff/login", status_code=303)
    return render(request, "staff/login_code.html")


@router.post("/staff/login/code", dependencies=[Csrf])
async def code(request: Request, db: Db, now: Now) -> Response:
    pending = _pending(request)
    if pending is None:
        return RedirectResponse("/staff/login", status_code=303)
    staff = await people.staff_by_id(db, pending[0])
    if staff is None:
        return RedirectResponse("/staff/login", status_code=303)
    form = FormReader(await request.form())
    try:
        people.check_totp(staff, form.raw("code")[:20], now, _policy(request))
    except TupaError as error:
        await _slow_down(request, error)
        if error.code is ErrorCode.ACCOUNT_LOCKED:
            request.session.pop(PENDING_KEY, None)
        return render(request, "staff/login_code.html", {"error_code": error.code}, status_code=401)
    people.record_success(staff)
    _sign_in(request, staff)
    return RedirectResponse(pending[1], status_code=303)


@router.post("/staff/logout", dependencies=[Csrf])
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _qr_data_uri(text: str) -> str:
    svg = segno.make(text, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _security_context(request: Request, staff: StaffRow, org: Organisation) -> dict[str, object]:
    """The feed link and, while two-factor is off, a pending secret with its QR code."""
    context: dict[str, object] = {
        "feed_url": org.url(f"/calendar/staff/{staff.calendar_token}.ics"),
        "totp_enabled": staff.totp_secret is not None,
        "done": request.query_params.get("done", ""),
    }
    if staff.totp_secret is None:
        secret = request.session.get("totp_setup")
        if not isinstance(secret, str):
            secret = people.new_totp_secret()
            request.session["totp_setup"] = secret
        uri = people.totp_uri(staff, secret, org.name)
        context |= {"totp_secret": secret, "totp_qr": _qr_data_uri(uri)}
    return context


@router.get("/staff/security")
async def security_page(request: Request, staff: StaffMember, org: Org) -> Response:
    return render(request, "staff/security.html", _security_context(request, staff, org))


@router.post("/staff/security/totp", dependencies=[Csrf])
async def enable_totp(request: Request, staff: StaffMember, now: Now, org: Org) -> Response:
    secret = request.session.get("totp_setup")
    if not isinstance(secret, str):
        return RedirectResponse("/staff/security", status_code=303)
    form = FormReader(await request.form())
    try:
        people.enable_totp(staff, secret, form.raw("code")[:20], now)
    except TupaError as error:
        context = _security_context(request, staff, org) | {"error_code": error.code}
        return render(request, "staff/security.html", context, status_code=422)
    request.session.pop("totp_setup", None)
    return RedirectResponse("/staff/security?done=on", status_code=303)


@router.post("/staff/security/totp/disable", dependencies=[Csrf])
async def disable_totp(request: Request, staff: StaffMember) -> Response:
    form = FormReader(await request.form())
    try:
        people.disable_totp(staff, form.raw("password")[:256])
    except TupaError:
        return RedirectResponse("/staff/security?done=wrong_password", status_code=303)
    return RedirectResponse("/staff/security?done=off", status_code=303)
