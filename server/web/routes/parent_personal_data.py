"""A parent's own copy and erasure of what Tupa holds about them, from their page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.enrolment import devices
from server.enrolment.forgetting import Eraser, erase
from server.privacy.export import as_json, file_name, personal_record
from server.web.deps import Csrf, Db, Now, Org, Parent
from server.web.routes.parent import private_page
from server.web.templating import render

router = APIRouter()

PARENT = "parent"  # the moderation log's role for an erasure the parent asked for themself


@router.get("/me/data.json")
async def download(enrolment: Parent, db: Db, now: Now) -> Response:
    body = as_json(await personal_record(db, enrolment, now))
    disposition = f'attachment; filename="{file_name(now)}"'
    return private_page(
        Response(body, media_type="application/json", headers={"Content-Disposition": disposition})
    )


@router.get("/me/erase")
async def erase_page(request: Request, enrolment: Parent) -> Response:
    context = {"enrolment": enrolment, "series": enrolment.series}
    return private_page(render(request, "parent/erase.html", context))


@router.post("/me/erase", dependencies=[Csrf])
async def erase_own(request: Request, enrolment: Parent, db: Db, now: Now, org: Org) -> Response:
    if (await request.form()).get("confirm") != "on":
        return RedirectResponse("/me/erase", status_code=303)  # irreversible: nothing unconfirmed
    by = Eraser(enrolment.pseudonym, PARENT)
    await erase(db, org, enrolment.series_id, enrolment.id, now, by)
    response = RedirectResponse("/me/erased", status_code=303)
    response.delete_cookie(devices.COOKIE, path=devices.COOKIE_PATH)
    return response


@router.get("/me/erased")
async def erased(request: Request) -> Response:
    """Reached without the device, which is gone: the page names nobody."""
    return private_page(render(request, "parent/erased.html", {}))
