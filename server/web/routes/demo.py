"""The front page's "Try it" section (demo only): a visitor walks into a live demo room.

"Join as a parent" is one POST: it enrols a fresh demo parent under a generated pseudonym in the
live session of the chosen media mode and swaps the new personal link for a device cookie at once,
as opening the link would (``parent_device``), so the visitor lands on their page with no token in
the address bar or the history. Each address may join a few times in a while (the login throttle
counts joins). The staff buttons are plain login forms with the demo's public credentials, opened
in a new window. This router is part of the application only with ``tupa serve --demo``: without
it ``/demo/join`` is a 404 and ``try_it`` gives the front page nothing to show.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from server.demo_rooms import sessions as live
from server.demo_rooms.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from server.enrolment import devices
from server.errors import ErrorCode, TupaError
from server.scheduling.series import MediaMode
from server.web.deps import Csrf, Db, Now, Org, T
from server.web.forms import FormReader
from server.web.routes.parent_device import device_opened
from server.web.throttling import counted

router = APIRouter()

JOINS = "demo:join"  # the throttle's account for joins: an address joins a few times a while


def demo_mode(request: Request) -> bool:
    return bool(getattr(request.app.state, "demo", False))


async def try_it(request: Request, db: Db, now: datetime) -> dict[str, Any] | None:
    """What the front page's "Try it" section shows: the live rooms and the public staff
    logins. None without ``--demo``."""
    if not demo_mode(request):
        return None
    sessions = await live.live_sessions(db, now)
    return {
        "rooms": [sessions[mode] for mode in MediaMode if mode in sessions],
        "accounts": DEMO_ACCOUNTS,
        "password": DEMO_PASSWORD,
    }


@router.post("/demo/join", dependencies=[Csrf])
async def join(request: Request, db: Db, now: Now, org: Org, t: T) -> Response:
    form = FormReader(await request.form())
    mode = form.choice("mode", MediaMode)
    if form.errors:
        raise TupaError(ErrorCode.INVALID_INPUT, field="mode")
    new = await counted(
        request, db, now, JOINS, lambda: live.join_as_parent(db, org, mode, now, t.language)
    )
    idle = timedelta(hours=request.app.state.settings.parent_device_idle_hours)
    device = request.cookies.get(devices.COOKIE)
    _, secret = await devices.open_link(db, new.token, device, now, idle)
    return device_opened(request, secret)
