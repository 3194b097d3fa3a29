"""Staff pages for individual times: offering times to the parents of a series, taking one back,
and how many one parent may hold at once. Coordinators and the series' facilitators."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server.errors import ErrorCode, TupaError
from server.scheduling import individual
from server.scheduling.individual_rules import MAX_LIMIT
from server.storage.tables import SeriesRow
from server.web.deps import Csrf, Db, Id, Now, Org, StaffMember
from server.web.forms import FormReader, invalid_fields
from server.web.series_access import series_run_by
from server.web.series_redirect import back_to_series
from server.web.templating import render

router = APIRouter()


def _back(series_id: int, done: str) -> Response:
    return back_to_series(series_id, done, "/individual")


async def _page(
    request: Request,
    db: Db,
    series: SeriesRow,
    now: Now,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "staff/individual.html",
        {
            "series": series,
            "times": await individual.times_of_series(db, series.id),
            "now": now,
            "done": request.query_params.get("done", ""),
            "errors": errors or [],
            "values": values or {"duration_minutes": "45"},
            "max_limit": MAX_LIMIT,
            "min_minutes": individual.MIN_MINUTES,
            "max_minutes": individual.MAX_MINUTES,
        },
        status_code=422 if errors else 200,
    )


@router.get("/staff/series/{series_id}/individual")
async def individual_page(
    request: Request, series_id: Id, staff: StaffMember, db: Db, now: Now
) -> Response:
    return await _page(request, db, await series_run_by(db, series_id, staff), now)


@router.post("/staff/series/{series_id}/individual", dependencies=[Csrf])
async def offer_time(
    request: Request, series_id: Id, staff: StaffMember, db: Db, now: Now, org: Org
) -> Response:
    series = await series_run_by(db, series_id, staff)
    form = FormReader(await request.form())
    values = {name: form.raw(name)[:20] for name in ("date", "time", "duration_minutes")}
    try:
        day = form.day("date")
        at = form.clock_time("time")
        minutes = form.integer("duration_minutes", individual.MIN_MINUTES, individual.MAX_MINUTES)
        form.check()
        await individual.offer_time(db, org, series.id, day, at, minutes, now)
    except TupaError as error:
        if error.code is not ErrorCode.INVALID_INPUT:
            raise
        return await _page(request, db, series, now, invalid_fields(error), values)
    return _back(series.id, "offered")


@router.post("/staff/series/{series_id}/individual/{session_id}/withdraw", dependencies=[Csrf])
async def withdraw_time(
    series_id: Id, session_id: Id, staff: StaffMember, db: Db, now: Now, org: Org
) -> Response:
    await series_run_by(db, series_id, staff)
    await individual.withdraw_time(db, org, series_id, session_id, now)
    return _back(series_id, "withdrawn")


@router.post("/staff/series/{series_id}/individual/limit", dependencies=[Csrf])
async def set_limit(request: Request, series_id: Id, staff: StaffMember, db: Db) -> Response:
    await series_run_by(db, series_id, staff)
    form = FormReader(await request.form())
    limit = form.integer("individual_limit", 1, MAX_LIMIT)
    form.check()
    await individual.set_limit(db, series_id, limit)
    return _back(series_id, "limit")
