"""The JSON API (v1): open series and enrolling. Errors are ``{"code", "message"}`` bodies."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from server.enrolment import service as enrolment_service
from server.enrolment.service import EnrolmentRequest
from server.errors import TupaError
from server.scheduling import service as scheduling
from server.scheduling.series import LifeSituation
from server.web.deps import Db, Id, Now, Org
from server.web.errors import error_response
from server.web.schemas import EnrolmentIn, EnrolmentOut, SeriesOut
from server.web.throttling import count_enrolment

router = APIRouter(prefix="/api/v1")


@router.get("/series")
async def list_series(
    db: Db,
    now: Now,
    situation: LifeSituation | None = None,
    program: int | None = Query(default=None, ge=1, le=2**31),
) -> list[SeriesOut]:
    return [
        SeriesOut.of_listing(x) for x in await scheduling.open_series(db, now, situation, program)
    ]


@router.get("/series/{series_id}")
async def get_series(series_id: Id, db: Db) -> SeriesOut:
    series = await scheduling.get_series(db, series_id)
    return SeriesOut.of(series, await enrolment_service.occupancy(db, series))


@router.post("/series/{series_id}/enrolments", status_code=201, response_model=EnrolmentOut)
async def enrol(
    http: Request, series_id: Id, body: EnrolmentIn, db: Db, now: Now, org: Org
) -> EnrolmentOut | Response:
    try:
        await count_enrolment(http, db, now)
    except TupaError as error:
        return error_response(http, error)  # answered, not raised: the count commits
    request = EnrolmentRequest(body.pseudonym, body.email, dict(body.answers), body.language)  # type: ignore[arg-type]
    new = await enrolment_service.enrol(db, org, series_id, request, now)
    return EnrolmentOut(
        status=new.enrolment.status,
        waitlist_position=new.waitlist_position,
        personal_link=org.url(enrolment_service.personal_path(new.token)),
    )
