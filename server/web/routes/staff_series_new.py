"""The coordinator plans a series: a program template chosen, the form prefilled from it, and the
plan read back strictly (every bad field named at once, what was typed kept)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from server.enrolment.questions import MAX_QUESTIONS
from server.errors import ErrorCode, TupaError
from server.localised import TRANSLATED
from server.organisation import Organisation
from server.people.service import assignable_staff
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
from server.scheduling.series import LifeSituation, MediaMode
from server.scheduling.service import MAX_DURATION, MIN_DURATION, SeriesPlan
from server.storage.tables import ProgramRow
from server.web.deps import Coordinator, Csrf, Db, Now, Org
from server.web.forms import FormReader, invalid_fields
from server.web.planning_forms import program_asked, read_questions
from server.web.series_redirect import back_to_series
from server.web.templating import render

router = APIRouter()


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
            "assignable": await assignable_staff(db),
            "question_slots": range(1, MAX_QUESTIONS + 1),
            "cadences": list(Cadence),
        },
        status_code=status_code,
    )


@router.get("/staff/series/new")
async def new_series_page(request: Request, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    program = await program_asked(request, db)
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
    questions = read_questions(form)
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


def optional_title(form: FormReader, name: str) -> str:
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
        title=optional_title(form, f"title_{lang}"),
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
    return back_to_series(series.id, "created")
