"""A coordinator's export and erasure of one parent's data, for a person who asks by phone."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.enrolment import service as enrolment_service
from server.enrolment.forgetting import Eraser, erase
from server.people.service import shown_name
from server.privacy.export import as_json, file_name, personal_record
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org
from server.web.series_redirect import back_to_series
from server.web.templating import render

router = APIRouter()


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/staff/series/{series_id}/enrolments/{enrolment_id}/export")
async def export(series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now) -> Response:
    row = await enrolment_service.enrolment_in_series(db, series_id, enrolment_id)
    body = as_json(await personal_record(db, row, now))
    disposition = f'attachment; filename="{file_name(now)}"'
    return _private(
        Response(body, media_type="application/json", headers={"Content-Disposition": disposition})
    )


@router.get("/staff/series/{series_id}/enrolments/{enrolment_id}/erase")
async def erase_page(
    request: Request, series_id: Id, enrolment_id: Id, _: Coordinator, db: Db
) -> Response:
    row = await enrolment_service.enrolment_in_series(db, series_id, enrolment_id)
    return _private(render(request, "staff/erase.html", {"series": row.series, "enrolment": row}))


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/erase", dependencies=[Csrf])
async def erase_enrolment(
    request: Request,
    series_id: Id,
    enrolment_id: Id,
    staff: Coordinator,
    db: Db,
    now: Now,
    org: Org,
) -> Response:
    back = f"/staff/series/{series_id}/enrolments/{enrolment_id}/erase"
    if (await request.form()).get("confirm") != "on":
        return RedirectResponse(back, status_code=303)  # irreversible: nothing unconfirmed
    await erase(db, org, series_id, enrolment_id, now, Eraser(shown_name(staff), staff.role))
    return back_to_series(series_id, "erased")
