"""Staff pages for one series: its page, and running it session by session (moves, cancellations,
texts, the decision to run or cancel, its staff, its enrolments, its moderation log)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from server.enrolment import bans
from server.enrolment import service as enrolment_service
from server.enrolment.questions import Question
from server.enrolment.rules import SeriesStatus
from server.errors import ErrorCode, TupaError
from server.localised import TRANSLATED, Texts
from server.people.service import assignable_staff
from server.rooms import store as room_store
from server.scheduling import content
from server.scheduling import service as scheduling
from server.scheduling.public_listing import set_listed
from server.scheduling.series import MediaMode, needs_decision
from server.storage.tables import SeriesRow
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org
from server.web.forms import FormReader, invalid_fields
from server.web.routes import staff_volunteering
from server.web.routes.staff_series_new import optional_title
from server.web.series_redirect import back_to_series
from server.web.templating import render

router = APIRouter()


@router.get("/staff/series/{series_id}")
async def series_detail(
    request: Request, series_id: Id, _: Coordinator, db: Db, now: Now
) -> Response:
    return await _detail(request, db, series_id, now, request.query_params.get("done", ""))


async def _detail(
    request: Request,
    db: Db,
    series_id: int,
    now: datetime,
    done: str,
    new_link: tuple[int, str] | None = None,
    texts_form: tuple[dict[str, str], list[str]] | None = None,
) -> Response:
    """The series page; ``texts_form`` is a refused edit of its texts (what was typed, and the
    fields at fault), shown again with the form open."""
    series = await scheduling.get_series(db, series_id)
    occupancy = await enrolment_service.occupancy(db, series)
    enrolments = await enrolment_service.enrolments_in(db, series.id)
    return render(
        request,
        "staff/series_detail.html",
        {
            "series": series,
            "occupancy": occupancy,
            "needs_decision": needs_decision(
                SeriesStatus(series.status), series.enrolment_deadline, occupancy, now
            ),
            "enrolments": enrolments,
            "peer": await staff_volunteering.series_section(request, db, series, enrolments, now),
            "bans": await bans.bans_in(db, series.id),
            "held": await bans.held_in(db, series.id),
            "questions": [Question.from_json(q) for q in series.questions],
            "assignable": await assignable_staff(db),
            "assigned_ids": {s.staff_id for s in series.staff},
            "now": now,
            "done": done,
            "series_address": request.app.state.organisation.url(f"/series/{series.id}"),
            "new_link": new_link,
            "text_values": texts_form[0] if texts_form else _text_values(series),
            "text_errors": texts_form[1] if texts_form else [],
        },
        status_code=422 if texts_form else 200,
    )


def _text_values(series: SeriesRow) -> dict[str, str]:
    """The texts form filled with what the series has now."""
    values = {"title": series.title, "description": series.description}
    for name, texts in (("title", series.title_texts), ("description", series.description_texts)):
        for lang in TRANSLATED:
            values[f"{name}_{lang}"] = texts.given(lang) or ""
    return values


@router.post("/staff/series/{series_id}/sessions/{session_id}/move", dependencies=[Csrf])
async def move_session(
    request: Request, series_id: Id, session_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    form = FormReader(await request.form())
    day = form.day("date")
    at = form.clock_time("time")
    form.check()
    await scheduling.move_session(db, org, series_id, session_id, day, at, now)
    return back_to_series(series_id, "moved")


@router.post("/staff/series/{series_id}/sessions/{session_id}/cancel", dependencies=[Csrf])
async def cancel_session(
    series_id: Id, session_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    await scheduling.cancel_session(db, org, series_id, session_id, now)
    return back_to_series(series_id, "session_cancelled")


@router.post("/staff/series/{series_id}/sessions/{session_id}/edit", dependencies=[Csrf])
async def edit_session(
    request: Request, series_id: Id, session_id: Id, _: Coordinator, db: Db
) -> Response:
    form = FormReader(await request.form())
    theme = Texts(
        *(form.text(name, content.MAX_THEME) for name in ("theme", "theme_sv", "theme_en"))
    )
    mode = form.choice("media_mode", MediaMode)
    form.check()
    await scheduling.edit_session(db, series_id, session_id, theme, mode)
    return back_to_series(series_id, "saved")


TEXT_FIELDS = [
    f"{name}{suffix}" for name in ("title", "description") for suffix in ("", "_sv", "_en")
]


@router.post("/staff/series/{series_id}/texts", dependencies=[Csrf])
async def edit_texts(request: Request, series_id: Id, _: Coordinator, db: Db, now: Now) -> Response:
    """The series' title and description in Finnish, Swedish and English."""
    form = FormReader(await request.form())
    title = Texts(
        form.text("title", content.MAX_TITLE, min_len=content.MIN_TITLE),
        *(optional_title(form, f"title_{lang}") for lang in TRANSLATED),
    )
    description = Texts(
        *(
            form.text(name, content.MAX_DESCRIPTION, multiline=True)
            for name in ("description", "description_sv", "description_en")
        )
    )
    try:
        form.check()
        await content.edit_series_texts(db, series_id, title, description)
    except TupaError as error:
        if error.code is not ErrorCode.INVALID_INPUT:
            raise
        typed = {name: form.raw(name)[:8000] for name in TEXT_FIELDS}
        return await _detail(request, db, series_id, now, "", None, (typed, invalid_fields(error)))
    return back_to_series(series_id, "saved")


@router.post("/staff/series/{series_id}/confirm", dependencies=[Csrf])
async def confirm_series(series_id: Id, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    await scheduling.confirm_series(db, org, series_id, now)
    return back_to_series(series_id, "confirmed")


@router.post("/staff/series/{series_id}/cancel", dependencies=[Csrf])
async def cancel_series(series_id: Id, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    await scheduling.cancel_series(db, org, series_id, now)
    return back_to_series(series_id, "cancelled")


@router.post("/staff/series/{series_id}/staff", dependencies=[Csrf])
async def assign_staff(request: Request, series_id: Id, _: Coordinator, db: Db) -> Response:
    form = FormReader(await request.form())
    staff_ids = form.integers("staff_ids", 20)
    form.check()
    await scheduling.assign_staff(db, series_id, staff_ids)
    return back_to_series(series_id, "saved")


@router.post("/staff/series/{series_id}/listed", dependencies=[Csrf])
async def list_publicly(request: Request, series_id: Id, _: Coordinator, db: Db) -> Response:
    """Whether the series is on the public lists or reached by its address only."""
    form = FormReader(await request.form())
    listed = form.checkbox("listed")
    form.check()
    await set_listed(db, series_id, listed)
    return back_to_series(series_id, "listed")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/remove", dependencies=[Csrf])
async def remove_enrolment(
    series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    await enrolment_service.remove(db, org, series_id, enrolment_id, now)
    return back_to_series(series_id, "removed")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/revoke", dependencies=[Csrf])
async def revoke_link(
    series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now
) -> Response:
    await enrolment_service.revoke_link(db, series_id, enrolment_id, now)
    return back_to_series(series_id, "revoked")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/reissue", dependencies=[Csrf])
async def reissue_link(
    request: Request, series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    token = await enrolment_service.reissue_link(db, series_id, enrolment_id, now)
    # Shown once, in this answer and stored nowhere (not even in a session): the coordinator
    # passes it on in person or by phone. Reloading would post again and make another link.
    new_link = (enrolment_id, org.url(enrolment_service.personal_path(token)))
    return await _detail(request, db, series_id, now, "reissued", new_link)


@router.get("/staff/series/{series_id}/moderation")
async def moderation_page(request: Request, series_id: Id, _: Coordinator, db: Db) -> Response:
    series = await scheduling.get_series(db, series_id)
    return render(
        request,
        "staff/moderation_log.html",
        {"series": series, "entries": await room_store.moderation_log(db, series.id)},
    )
