"""A parent's personal page behind their link: sessions, status, notices, calendar, cancelling."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.calendar import ics
from server.enrolment import service as enrolment_service
from server.notify.notices import NoticeKind, notice_text
from server.web.deps import Csrf, Db, Now, Org, T
from server.web.routes.calendar import ics_response
from server.web.templating import render

router = APIRouter()


def private_page(response: Response) -> Response:
    # The page is reached through a secret link: no cache may keep it, no robot may index it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/me/{token}")
async def personal_page(request: Request, token: str, db: Db, t: T) -> Response:
    enrolment = await enrolment_service.enrolment_by_token(db, token)
    notices = await enrolment_service.notices_for(db, enrolment)
    return private_page(
        render(
            request,
            "parent/me.html",
            {
                "enrolment": enrolment,
                "series": enrolment.series,
                "position": await enrolment_service.waitlist_position(db, enrolment),
                "notices": [
                    (n.created_at, notice_text(t, NoticeKind(n.kind), n.params)) for n in notices
                ],
                "token": token,
                "withdrawn": request.query_params.get("withdrawn") == "1",
            },
        )
    )


@router.post("/me/{token}/withdraw", dependencies=[Csrf])
async def withdraw(request: Request, token: str, db: Db, now: Now, org: Org) -> Response:
    if (await request.form()).get("confirm") != "on":
        return RedirectResponse(f"/me/{token}", status_code=303)  # nothing is done unconfirmed
    await enrolment_service.withdraw(db, org, token, now)
    return RedirectResponse(f"/me/{token}?withdrawn=1", status_code=303)


@router.get("/me/{token}/calendar.ics")
async def enrolment_calendar(
    request: Request, token: str, db: Db, now: Now, org: Org, t: T
) -> Response:
    enrolment = await enrolment_service.enrolment_by_token(db, token)
    discreet = request.query_params.get("discreet") == "1"
    return ics_response(ics.series_calendar(enrolment.series, org, now, t, discreet=discreet))
