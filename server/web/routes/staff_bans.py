"""Staff pages for bans: banning a parent from a series, lifting a ban, and deciding on
enrolments held because their e-mail address matches a ban."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server.enrolment import bans
from server.enrolment import service as enrolment_service
from server.enrolment.rules import ACTIVE_STATUSES
from server.people.roles import Role
from server.people.service import shown_name
from server.scheduling.room_rules import allow_drop_in, hold_identifying
from server.storage.tables import StaffRow
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org, StaffMember
from server.web.forms import FormReader
from server.web.series_access import series_run_by
from server.web.series_redirect import back_to_series
from server.web.templating import render

router = APIRouter()


def _back(staff: StaffRow, series_id: int, done: str) -> Response:
    # Coordinators work on the series page; facilitators have the bans page of their series.
    page = "" if staff.role == Role.COORDINATOR.value else "/bans"
    return back_to_series(series_id, done, page)


@router.get("/staff/series/{series_id}/bans")
async def bans_page(request: Request, series_id: Id, staff: StaffMember, db: Db) -> Response:
    series = await series_run_by(db, series_id, staff)
    active = {s.value for s in ACTIVE_STATUSES}
    return render(
        request,
        "staff/bans.html",
        {
            "series": series,
            "bans": await bans.bans_in(db, series.id),
            "participants": [
                e
                for e in await enrolment_service.enrolments_in(db, series.id)
                if e.status in active
            ],
            "done": request.query_params.get("done", ""),
        },
    )


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/ban", dependencies=[Csrf])
async def ban(
    series_id: Id, enrolment_id: Id, staff: StaffMember, db: Db, now: Now, org: Org
) -> Response:
    await series_run_by(db, series_id, staff)
    await bans.ban(db, org, series_id, enrolment_id, now, shown_name(staff), by_role=staff.role)
    return _back(staff, series_id, "banned")


@router.post("/staff/series/{series_id}/bans/{enrolment_id}/lift", dependencies=[Csrf])
async def lift_ban(
    series_id: Id, enrolment_id: Id, staff: StaffMember, db: Db, now: Now
) -> Response:
    await series_run_by(db, series_id, staff)
    await bans.lift_ban(db, series_id, enrolment_id, now, shown_name(staff), by_role=staff.role)
    return _back(staff, series_id, "unbanned")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/accept", dependencies=[Csrf])
async def accept_held(
    series_id: Id, enrolment_id: Id, staff: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    await bans.accept_held(db, org, series_id, enrolment_id, now)
    return _back(staff, series_id, "accepted")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/refuse", dependencies=[Csrf])
async def refuse_held(
    series_id: Id, enrolment_id: Id, staff: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    await bans.refuse_held(db, org, series_id, enrolment_id, now)
    return _back(staff, series_id, "refused")


@router.post("/staff/series/{series_id}/identifying-held", dependencies=[Csrf])
async def identifying_held(request: Request, series_id: Id, staff: StaffMember, db: Db) -> Response:
    """Whether the series' rooms hold a message with identifying details for approval."""
    await series_run_by(db, series_id, staff)
    form = FormReader(await request.form())
    held = form.checkbox("held")
    form.check()
    await hold_identifying(db, series_id, held)
    return _back(staff, series_id, "holding")


@router.post("/staff/series/{series_id}/drop-in", dependencies=[Csrf])
async def drop_in(request: Request, series_id: Id, staff: StaffMember, db: Db) -> Response:
    """Whether visitors may drop in to the series' running stage sessions without enrolling."""
    await series_run_by(db, series_id, staff)
    form = FormReader(await request.form())
    allowed = form.checkbox("drop_in")
    form.check()
    await allow_drop_in(db, series_id, allowed)
    return _back(staff, series_id, "drop_in")
