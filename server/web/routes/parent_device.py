"""Opening a personal link swaps it for a device cookie; "Forget this device" lets the cookie go.

Why a page and not a redirect: the link is usually clicked in a mail app or webmail, another
site, and a server redirect keeps that navigation cross-site, so Chromium does not send the
SameSite=Strict cookie it just set on the redirected request. The small page answered here moves
on itself (``<meta http-equiv="refresh">``: no inline script is allowed), which is a same-site
navigation that carries the cookie. See server/enrolment/devices.py for what the link and the
device may do.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.enrolment import devices
from server.web.deps import Csrf, Db, Now
from server.web.routes.parent import private_page
from server.web.templating import render

router = APIRouter()

COOKIE_DAYS = 30  # the server decides sooner: a device unused for the idle time opens nothing


@router.post("/me/forget", dependencies=[Csrf])
async def forget_device(request: Request, db: Db, now: Now) -> Response:
    """Also sent by the quick exit (navigator.sendBeacon) from any page, so it never fails."""
    await devices.forget(db, request.cookies.get(devices.COOKIE), now)
    response = RedirectResponse("/me/forgotten", status_code=303)
    response.delete_cookie(devices.COOKIE, path=devices.COOKIE_PATH)
    return response


@router.get("/me/forgotten")
async def forgotten(request: Request) -> Response:
    return private_page(render(request, "parent/forgotten.html", {}))


@router.get("/me/{token}")
async def open_link(request: Request, token: str, db: Db, now: Now) -> Response:
    settings = request.app.state.settings
    idle = timedelta(hours=settings.parent_device_idle_hours)
    _, secret = await devices.open_link(db, token, request.cookies.get(devices.COOKIE), now, idle)
    return device_opened(request, secret)


def device_opened(request: Request, secret: str | None) -> Response:
    """The page that moves on to /me, giving this browser the device ``secret`` (None: it holds
    its device already). The demo's "Join as a parent" ends here too."""
    settings = request.app.state.settings
    response = private_page(render(request, "parent/opening.html", {}))
    if secret is not None:
        response.set_cookie(
            devices.COOKIE,
            secret,
            max_age=COOKIE_DAYS * 24 * 3600,
            path=devices.COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
        )
    return response
