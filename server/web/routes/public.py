"""Public pages: the listing of open groups, a group's page and enrolling in it."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.calendar import ics
from server.enrolment import service as enrolment_service
from server.enrolment.questions import Question
from server.enrolment.rules import PSEUDONYM_MAX, SeriesStatus, enrolment_is_open
from server.enrolment.service import EnrolmentRequest
from server.errors import ErrorCode, TupaError
from server.people.service import shown_name
from server.scheduling import drop_in
from server.scheduling import service as scheduling
from server.scheduling.series import LifeSituation
from server.storage.tables import SeriesRow
from server.web.deps import Csrf, Db, Id, Now, Org, T
from server.web.errors import HTTP_STATUS
from server.web.forms import FormReader, invalid_fields
from server.web.routes.calendar import ics_response
from server.web.routes.demo import try_it
from server.web.templating import render
from server.web.throttling import count_enrolment

router = APIRouter()


@router.get("/")
async def listing(request: Request, db: Db, now: Now) -> Response:
    situation_raw = request.query_params.get("situation", "")
    program_raw = request.query_params.get("program", "")
    situation = LifeSituation(situation_raw) if situation_raw in set(LifeSituation) else None
    program_id = int(program_raw) if program_raw.isdigit() and len(program_raw) < 10 else None
    listings = await scheduling.open_series(db, now, situation, program_id)
    programs = await scheduling.list_programs(db)
    return render(
        request,
        "public/index.html",
        {
            "listings": listings,
            "programs": programs,
            "situation": situation.value if situation else "",
            "program_id": program_id,
            "try_it": await try_it(request, db, now),
        },
    )


def _enrol_context(series: SeriesRow, now: Now) -> dict[str, object]:
    return {
        "series": series,
        "questions": [Question.from_json(q) for q in series.questions],
        "enrolment_open": enrolment_is_open(
            SeriesStatus(series.status), series.enrolment_deadline, now
        ),
        "pseudonym_max": PSEUDONYM_MAX,
        "leaders": [(shown_name(s.member), s.member.role) for s in series.staff],
    }


@router.get("/series/{series_id}")
async def series_page(request: Request, series_id: Id, db: Db, now: Now) -> Response:
    series = await scheduling.get_series(db, series_id)
    return await series_response(request, series, db, now)


async def series_response(
    request: Request,
    series: SeriesRow,
    db: Db,
    now: Now,
    live: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    """The group's page; ``live`` carries a refused drop-in's values and error code."""
    occupancy = await enrolment_service.occupancy(db, series)
    opens_before = timedelta(minutes=request.app.state.settings.room_opens_minutes_before)
    live_session = await drop_in.live_session(db, series, now, opens_before)
    return render(
        request,
        "public/series.html",
        {
            **_enrol_context(series, now),
            "occupancy": occupancy,
            "values": {},
            "errors": [],
            "live_session": live_session,
            "live": live or {"values": {}, "code": None},
            "answered": request.query_params.get("answered") == "feedback",
        },
        status_code=status_code,
    )


_ANSWERED_HERE = (ErrorCode.INVALID_INPUT, ErrorCode.PSEUDONYM_TAKEN, ErrorCode.TOO_MANY_SENDS)


@router.post("/series/{series_id}/enrol", dependencies=[Csrf])
async def enrol(request: Request, series_id: Id, db: Db, now: Now, org: Org, t: T) -> Response:
    series = await scheduling.get_series(db, series_id)
    form = FormReader(await request.form())
    questions = [Question.from_json(q) for q in series.questions]
    values = {
        "pseudonym": form.raw("pseudonym")[:200],
        "email": form.raw("email")[:300],
        **{q.key: form.raw(q.key)[:400] for q in questions},
    }
    enrol_request = EnrolmentRequest(
        pseudonym=values["pseudonym"],
        email=values["email"],
        answers={q.key: values[q.key] for q in questions},
        language=t.language,
    )
    try:
        await count_enrolment(request, db, now)
        new = await enrolment_service.enrol(db, org, series_id, enrol_request, now)
    except TupaError as error:
        if error.code not in _ANSWERED_HERE:
            raise
        # Answered rather than raised, so that the count of this send commits.
        occupancy = await enrolment_service.occupancy(db, series)
        too_many = error.code is ErrorCode.TOO_MANY_SENDS
        errors = [] if too_many else invalid_fields(error) or ["pseudonym"]
        return render(
            request,
            "public/series.html",
            {
                **_enrol_context(series, now),
                "occupancy": occupancy,
                "values": values,
                "errors": errors,
                "error_code": error.code.value,
            },
            status_code=HTTP_STATUS[error.code],
        )
    response = render(
        request,
        "public/enrolled.html",
        {
            "series": series,
            "enrolment": new.enrolment,
            "position": new.waitlist_position,
            "link": org.url(enrolment_service.personal_path(new.token)),
            "token": new.token,
        },
        status_code=201,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/series/{series_id}/calendar.ics")
async def series_calendar(
    request: Request, series_id: Id, db: Db, now: Now, org: Org, t: T
) -> Response:
    series = await scheduling.get_series(db, series_id)
    discreet = request.query_params.get("discreet") == "1"
    return ics_response(ics.series_calendar(series, org, now, t, discreet=discreet))
