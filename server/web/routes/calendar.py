"""Calendar feeds that are not tied to one page: each staff member's private webcal feed."""

from __future__ import annotations

from fastapi import APIRouter, Response

from server.calendar import ics
from server.errors import ErrorCode, TupaError
from server.people.calendar_feeds import staff_by_feed_token
from server.people.service import shown_name
from server.scheduling.service import sessions_of_staff
from server.web.deps import Db, Now, Org, T

router = APIRouter()


def ics_response(body: bytes, filename: str = "tupa.ics") -> Response:
    """A downloadable calendar that no cache keeps (it may name a group a parent is in)."""
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/calendar/staff/{token}.ics")
async def staff_feed(token: str, db: Db, now: Now, org: Org, t: T) -> Response:
    """Subscribed to by URL from a calendar app, so the unguessable token is the credential."""
    staff = await staff_by_feed_token(db, token)
    if staff is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    sessions = await sessions_of_staff(db, staff.id)
    return ics_response(
        ics.staff_calendar(shown_name(staff), sessions, org, now, t), "tupa-staff.ics"
    )
