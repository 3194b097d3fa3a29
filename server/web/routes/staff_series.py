"""Staff pages for series: the dashboard, planning a series, and running it session by session."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.accessibility import feedback as accessibility_feedback
from server.enrolment import bans
from server.enrolment import service as enrolment_service
from server.enrolment.questions import MAX_QUESTIONS, Question, define_questions
from server.enrolment.rules import SeriesStatus
from server.errors import ErrorCode, TupaError
from server.localised import TRANSLATED, Texts
from server.organisation import Organisation
from server.people.service import assignable_staff
from server.permissions import reads_accessibility_feedback, sees_every_series
from server.rooms import store as room_store
from server.scheduling import content
from server.scheduling import service as scheduling
from server.scheduling.content import SeriesTranslation
from server.scheduling.recurrence import (
    MAX_SESSIONS,
    Cadence,
    RecurrenceRule,
    session_starts,
    to_utc,
)
from server.scheduling.series import LifeSituation, MediaMode, needs_decision
from server.scheduling.service import MAX_DURATION, MIN_DURATION, SeriesPlan
from server.storage.tables import ProgramRow, SeriesRow
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org, StaffMember
from server.web.forms import FormReader, invalid_fields
from server.web.routes import staff_volunteering
from server.web.templating import render

router = APIRouter()


@router.get("/staff")
async def dashboard(request: Request, staff: StaffMember, db: Db, now: Now) -> Response:
    context: dict[str, Any] = {
        "my_sessions": await scheduling.sessions_of_staff(db, staff.id),
        "now": now,
    }
    if sees_every_series(staff.role):
        context["all_series"] = await scheduling.all_series(db, now)
    if reads_accessibility_feedback(staff.role):
        context["accessibility_unhandled"] = await accessibility_feedback.unhandled_count(db)
    return render(request, "staff/dashboard.html", context)


async def _assignable(db: Db) -> list[Any]:
    return list(await assignable_staff(db))


def _defaults_from(program: ProgramRow, now: datetime, org: Organisation) -> dict[str, Any]:
    """Form values prefilled from a template: the first session a fortnight ahead at 18:00."""
    first = (now.astimezone(org.zone) + timedelta(days=14)).date()
    weekday = 3 if program.cadence == Cadence.MONTHLY.value else first.weekday()
    return {
        "program_id": str(program.id),
        "title": program.name,
        "description": program.description,
        "life_situation": program.life_situation,
        "cadence": program.cadence,
        "weekday": str(weekday),
        "nth": "1",
        "interval": "1",
        "local_time": "18:00",
        "first_on": first.isoformat(),
        "session_count": str(program.session_count),
        "duration_minutes": str(program.duration_minutes),
        "media_mode": program.media_mode,
        "themes": "\n".join(program.themes),
        "capacity": str(program.capacity),
        "min_size": str(program.min_size),
        "deadline_date": "",
        "deadline_time": "",
        "staff_ids": [],
    }


async def _new_series_page(
    request: Request,
    db: Db,
    values: dict[str, Any],
    errors: list[str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "staff/series_new.html",
        {
            "values": values,
            "errors": errors,
            "programs": await scheduling.list_programs(db),
            "assignable": await _assignable(db),
            "question_slots": range(1, MAX_QUESTIONS + 1),
            "cadences": list(Cadence),
        },
        status_code=status_code,
    )


@router.get("/staff/series/new")
async def new_series_page(request: Request, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    program_raw = request.query_params.get("program", "")
    program = (
        await scheduling.program_by_id(db, int(program_raw))
        if program_raw.isdigit() and len(program_raw) < 10
        else None
    )
    if program is None:
        return render(
            request, "staff/series_choose.html", {"programs": await scheduling.list_programs(db)}
        )
    return await _new_series_page(request, db, _defaults_from(program, now, org), [])


def _read_plan(form: FormReader, org: Organisation) -> SeriesPlan:
    """A SeriesPlan from the form; raises INVALID_INPUT naming every bad field."""
    cadence = form.choice("cadence", Cadence)
    weekday = form.integer("weekday", 0, 6)
    nth = form.integer("nth", -1, 4, default=1)
    if nth == 0:
        form.errors.add("nth")
    interval = form.integer("interval", 1, 4, default=1)
    local_time = form.clock_time("local_time")
    first_on = form.day("first_on")
    session_count = form.integer("session_count", 1, MAX_SESSIONS)
    themes_text = form.text("themes", 52 * 201, multiline=True)
    themes = [line.strip() for line in themes_text.split("\n")] if themes_text else []
    translations = {lang: _read_translation(form, lang) for lang in TRANSLATED}
    question_rows = [
        (
            form.text(f"q{i}_label", 200),
            form.text(f"q{i}_options", 10 * 81),
            form.checkbox(f"q{i}_required"),
        )
        for i in range(1, MAX_QUESTIONS + 1)
    ]
    try:
        questions = define_questions(question_rows)
    except TupaError:
        form.errors.add("questions")
        questions = []
    plan_fields: dict[str, Any] = {
        "program_id": form.integer("program_id", 1, 2**31),
        "title": form.text("title", 160, min_len=3),
        "description": form.text("description", 4000, multiline=True),
        "life_situation": form.choice("life_situation", LifeSituation),
        "duration_minutes": form.integer("duration_minutes", MIN_DURATION, MAX_DURATION),
        "media_mode": form.choice("media_mode", MediaMode),
        "capacity": form.integer("capacity", 1, 200),
        "min_size": form.integer("min_size", 1, 200),
        "staff_ids": form.integers("staff_ids", 20),
    }
    deadline_date = form.raw("deadline_date").strip()
    deadline_time = (
        form.clock_time("deadline_time") if form.raw("deadline_time").strip() else time(23, 59)
    )
    form.check()
    rule = RecurrenceRule(
        cadence, weekday, local_time, interval if cadence is Cadence.WEEKLY else 1, nth
    )
    if deadline_date:
        day = form.day("deadline_date")
        form.check()
        deadline = to_utc(datetime.combine(day, deadline_time), org.zone)
    else:
        try:
            first_start = session_starts(rule, first_on, 1, org.zone)[0]
        except ValueError as exc:
            raise TupaError(ErrorCode.INVALID_INPUT, field="first_on") from exc
        deadline = scheduling.default_deadline(first_start)
    return SeriesPlan(
        rule=rule,
        first_on=first_on,
        session_count=session_count,
        themes=themes,
        questions=questions,
        enrolment_deadline=deadline,
        translations=translations,
        **plan_fields,
    )


def _optional_title(form: FormReader, name: str) -> str:
    """A translated title: empty, or 3 to 160 characters like the Finnish one."""
    title = form.text(name, content.MAX_TITLE)
    if 0 < len(title) < content.MIN_TITLE:
        form.errors.add(name)
    return title


def _read_translation(form: FormReader, lang: str) -> SeriesTranslation:
    """The Swedish or English fields of the form. Theme lines keep their places: an empty line
    (even the first) leaves that session's Finnish theme."""
    themes_name = f"themes_{lang}"
    themes_text = form.raw(themes_name).replace("\r\n", "\n").rstrip()
    if len(themes_text) > 52 * 201:
        form.errors.add(themes_name)
        themes_text = ""
    return SeriesTranslation(
        title=_optional_title(form, f"title_{lang}"),
        description=form.text(f"description_{lang}", content.MAX_DESCRIPTION, multiline=True),
        themes=[line.strip() for line in themes_text.split("\n")] if themes_text.strip() else [],
    )


def _form_values(form: FormReader) -> dict[str, Any]:
    """What the coordinator typed, to show the form again with their input kept."""
    values: dict[str, Any] = {k: form.raw(k)[:8000] for k in form.form if k != "staff_ids"}
    values["staff_ids"] = [str(v) for v in form.form.getlist("staff_ids")][:20]
    return values


@router.post("/staff/series/new", dependencies=[Csrf])
async def create_series(request: Request, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    form = FormReader(await request.form())
    try:
        plan = _read_plan(form, org)
        series = await scheduling.plan_series(db, org, plan, now)
    except TupaError as error:
        if error.code is not ErrorCode.INVALID_INPUT:
            raise
        return await _new_series_page(request, db, _form_values(form), invalid_fields(error), 422)
    return RedirectResponse(f"/staff/series/{series.id}?done=created", status_code=303)


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
            "assignable": await _assignable(db),
            "assigned_ids": {s.staff_id for s in series.staff},
            "now": now,
            "done": done,
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


def _back(series_id: Id, done: str) -> Response:
    return RedirectResponse(f"/staff/series/{series_id}?done={done}", status_code=303)


@router.post("/staff/series/{series_id}/sessions/{session_id}/move", dependencies=[Csrf])
async def move_session(
    request: Request, series_id: Id, session_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    form = FormReader(await request.form())
    day = form.day("date")
    at = form.clock_time("time")
    form.check()
    await scheduling.move_session(db, org, series_id, session_id, day, at, now)
    return _back(series_id, "moved")


@router.post("/staff/series/{series_id}/sessions/{session_id}/cancel", dependencies=[Csrf])
async def cancel_session(
    series_id: Id, session_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    await scheduling.cancel_session(db, org, series_id, session_id, now)
    return _back(series_id, "session_cancelled")


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
    return _back(series_id, "saved")


TEXT_FIELDS = [
    f"{name}{suffix}" for name in ("title", "description") for suffix in ("", "_sv", "_en")
]


@router.post("/staff/series/{series_id}/texts", dependencies=[Csrf])
async def edit_texts(request: Request, series_id: Id, _: Coordinator, db: Db, now: Now) -> Response:
    """The series' title and description in Finnish, Swedish and English."""
    form = FormReader(await request.form())
    title = Texts(
        form.text("title", content.MAX_TITLE, min_len=content.MIN_TITLE),
        *(_optional_title(form, f"title_{lang}") for lang in TRANSLATED),
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
    return _back(series_id, "saved")


@router.post("/staff/series/{series_id}/confirm", dependencies=[Csrf])
async def confirm_series(series_id: Id, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    await scheduling.confirm_series(db, org, series_id, now)
    return _back(series_id, "confirmed")


@router.post("/staff/series/{series_id}/cancel", dependencies=[Csrf])
async def cancel_series(series_id: Id, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    await scheduling.cancel_series(db, org, series_id, now)
    return _back(series_id, "cancelled")


@router.post("/staff/series/{series_id}/staff", dependencies=[Csrf])
async def assign_staff(request: Request, series_id: Id, _: Coordinator, db: Db) -> Response:
    form = FormReader(await request.form())
    staff_ids = form.integers("staff_ids", 20)
    form.check()
    await scheduling.assign_staff(db, series_id, staff_ids)
    return _back(series_id, "saved")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/remove", dependencies=[Csrf])
async def remove_enrolment(
    series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    await enrolment_service.remove(db, org, series_id, enrolment_id, now)
    return _back(series_id, "removed")


@router.post("/staff/series/{series_id}/enrolments/{enrolment_id}/revoke", dependencies=[Csrf])
async def revoke_link(
    series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now
) -> Response:
    await enrolment_service.revoke_link(db, series_id, enrolment_id, now)
    return _back(series_id, "revoked")


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
