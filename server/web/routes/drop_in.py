"""Dropping in to a live stage session from the group's public page (server/scheduling/drop_in.py).

The join answers with two cookies and a redirect to the room page: the parent device cookie
(Path /me, as if a personal link had been opened, so nothing that opens the room stays in the
address bar) and the browser cookie (Path /live) that lets a ban and the one feedback hold for
this browser. The quick exit lets the device go; the browser cookie stays, so a banned visitor
cannot simply come back. A form POST from this site's own page is a same-site navigation, so the
redirect carries the Strict cookies it set.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.accessibility.feedback_rules import SendingLimit
from server.accessibility.sending_limit import SendCounter
from server.enrolment import devices
from server.errors import ErrorCode, TupaError
from server.scheduling import drop_in
from server.scheduling import service as scheduling
from server.web.deps import Csrf, Db, Id, Now, T
from server.web.errors import HTTP_STATUS
from server.web.forms import FormReader
from server.web.routes.public import series_response
from server.web.throttling import client_address

router = APIRouter()

BROWSER_COOKIE_DAYS = 400  # the most a browser keeps a cookie; the ban must outlast the series
# Joins per client address in an hour: a family or a library behind one address still gets in.
JOINS = SendingLimit(sends=20, window=timedelta(hours=1))
_ANSWERED_HERE = (
    ErrorCode.INVALID_INPUT,
    ErrorCode.PSEUDONYM_TAKEN,
    ErrorCode.LIVE_NOT_RUNNING,
    ErrorCode.LIVE_FULL,
    ErrorCode.LIVE_REFUSED,
    ErrorCode.TOO_MANY_SENDS,
)


@router.post("/live/{series_id}/join", dependencies=[Csrf])
async def join(request: Request, series_id: Id, db: Db, now: Now, t: T) -> Response:
    series = await scheduling.get_series(db, series_id)
    settings = request.app.state.settings
    form = FormReader(await request.form())
    pseudonym = form.raw("pseudonym")[:200]
    asked = drop_in.DropInRequest(
        pseudonym=pseudonym,
        browser=request.cookies.get(drop_in.BROWSER_COOKIE),
        device=request.cookies.get(devices.COOKIE),
        language=t.language,
    )
    try:
        joined = await drop_in.join(
            db,
            series_id,
            asked,
            SendCounter(JOINS, settings.derived_key("form-sends")),
            client_address(request),
            settings.derived_key("drop-in-browsers"),
            now,
            timedelta(minutes=settings.room_opens_minutes_before),
            timedelta(hours=settings.parent_device_idle_hours),
        )
    except TupaError as error:
        if error.code not in _ANSWERED_HERE:
            raise
        # Answered rather than raised, so the count of this join commits with the unit of work.
        return await series_response(
            request,
            series,
            db,
            now,
            live={"values": {"pseudonym": pseudonym}, "code": error.code.value},
            status_code=HTTP_STATUS[error.code],
        )
    response = RedirectResponse(f"/me/sessions/{joined.session.id}/room", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    secure = settings.secure_cookies
    response.set_cookie(
        drop_in.BROWSER_COOKIE,
        joined.browser,
        max_age=BROWSER_COOKIE_DAYS * 24 * 3600,
        path=drop_in.BROWSER_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        devices.COOKIE,
        joined.device,
        max_age=30 * 24 * 3600,
        path=devices.COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response
