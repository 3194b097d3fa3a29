"""Staff pages for intakes: opening one, following it, and composing its groups (coordinators).

The proposal page holds its whole state in its form (who is in which group, each group's title,
first day, time and staff), so moving people and recounting needs no draft stored anywhere;
confirming posts the same form once more.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from server.enrolment import service as enrolment_service
from server.enrolment.composition import (
    MAX_GROUPS,
    NoFit,
    Person,
    answer_counts,
    propose,
    unlike_pairs,
)
from server.enrolment.questions import MAX_QUESTIONS, Question
from server.errors import ErrorCode, TupaError
from server.organisation import Organisation
from server.people.service import assignable_staff
from server.scheduling import intake_places, intakes
from server.scheduling import service as scheduling
from server.scheduling.intakes import GroupPlan, IntakePlan
from server.scheduling.recurrence import to_utc
from server.scheduling.series import MAX_CAPACITY, LifeSituation
from server.storage.tables import ProgramRow, SeriesRow
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org
from server.web.forms import FormReader, invalid_fields
from server.web.planning_forms import program_asked, read_questions
from server.web.templating import render

router = APIRouter()


def _defaults_from(program: ProgramRow, now: datetime, org: Organisation) -> dict[str, Any]:
    """An intake prefilled from a template: three groups' worth of places, a fortnight to enrol."""
    deadline = (now.astimezone(org.zone) + timedelta(days=14)).date()
    return {
        "program_id": str(program.id),
        "title": program.name,
        "description": program.description,
        "life_situation": program.life_situation,
        "capacity": str(min(program.capacity * 3, intakes.MAX_TOTAL)),
        "min_size": str(program.min_size),
        "deadline_date": deadline.isoformat(),
        "deadline_time": "23:59",
    }


async def _new_page(
    request: Request, db: Db, values: dict[str, Any], errors: list[str], status_code: int = 200
) -> Response:
    return render(
        request,
        "staff/intake_new.html",
        {
            "values": values,
            "errors": errors,
            "programs": await scheduling.list_programs(db),
            "question_slots": range(1, MAX_QUESTIONS + 1),
            "life_situations": list(LifeSituation),
        },
        status_code=status_code,
    )


@router.get("/staff/intakes/new")
async def new_intake_page(request: Request, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    program = await program_asked(request, db)
    if program is None:
        return RedirectResponse("/staff/series/new", status_code=303)
    return await _new_page(request, db, _defaults_from(program, now, org), [])


def _read_intake(form: FormReader, org: Organisation) -> IntakePlan:
    questions = read_questions(form)
    fields: dict[str, Any] = {
        "program_id": form.integer("program_id", 1, 2**31),
        "title": form.text("title", 160, min_len=3),
        "description": form.text("description", 4000, multiline=True),
        "life_situation": form.choice("life_situation", LifeSituation),
        "capacity": form.integer("capacity", 1, intakes.MAX_TOTAL),
        "min_size": form.integer("min_size", 1, MAX_CAPACITY),
    }
    day = form.day("deadline_date")
    at = form.clock_time("deadline_time") if form.raw("deadline_time").strip() else time(23, 59)
    form.check()
    deadline = to_utc(datetime.combine(day, at), org.zone)
    return IntakePlan(**fields, enrolment_deadline=deadline, questions=questions)


@router.post("/staff/intakes/new", dependencies=[Csrf])
async def create_intake(request: Request, _: Coordinator, db: Db, now: Now, org: Org) -> Response:
    form = FormReader(await request.form())
    try:
        intake = await intakes.plan_intake(db, _read_intake(form, org), now)
    except TupaError as error:
        if error.code is not ErrorCode.INVALID_INPUT:
            raise
        values = {k: form.raw(k)[:8000] for k in form.form}
        return await _new_page(request, db, values, invalid_fields(error), 422)
    return RedirectResponse(f"/staff/intakes/{intake.id}?done=created", status_code=303)


def _choice_questions(intake: SeriesRow) -> list[Question]:
    """The questions a composition can keep alike: those with options (free text never is)."""
    return [q for q in (Question.from_json(j) for j in intake.questions) if q.options]


@router.get("/staff/intakes/{intake_id}")
async def intake_page(
    request: Request, intake_id: Id, _: Coordinator, db: Db, now: Now
) -> Response:
    intake = await intakes.get_intake(db, intake_id)
    choice_questions = _choice_questions(intake)
    seated = intakes.people_of(await intakes.seated(db, intake.id))
    return render(
        request,
        "staff/intake.html",
        {
            # How the seated parents answered, to choose the questions and the number of groups.
            "answers_now": answer_counts([seated], [q.key for q in choice_questions])[0],
            "intake": intake,
            "occupancy": await enrolment_service.occupancy(db, intake),
            "enrolments": await enrolment_service.enrolments_in(db, intake.id),
            "questions": [Question.from_json(q) for q in intake.questions],
            "choice_questions": choice_questions,
            "groups": await intake_places.free_seats(db, intake.id),
            "waiting": await intakes.waiting(db, intake.id),
            "closed": intake.enrolment_deadline <= now,
            "program": intake.program,
            "done": request.query_params.get("done", ""),
        },
    )


@router.post("/staff/intakes/{intake_id}/close", dependencies=[Csrf])
async def close_intake(intake_id: Id, _: Coordinator, db: Db, now: Now) -> Response:
    await intakes.close_now(db, intake_id, now)
    return RedirectResponse(f"/staff/intakes/{intake_id}?done=closed", status_code=303)


@router.post("/staff/intakes/{intake_id}/place", dependencies=[Csrf])
async def place_waiting(
    request: Request, intake_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    """Place the waiting parents ticked into one group's free seats. A page out of date (the
    seats or the line changed meanwhile) gets PLACES_CHANGED, which says to look again."""
    form = FormReader(await request.form())
    group_id = form.integer("group_id", 1, 2**31)
    chosen = form.integers("enrolment", intakes.MAX_TOTAL)
    form.check()
    if not chosen:
        return RedirectResponse(f"/staff/intakes/{intake_id}?done=nobody_chosen", status_code=303)
    await intake_places.place(db, org, intake_id, group_id, chosen, now)
    return RedirectResponse(f"/staff/intakes/{intake_id}?done=placed", status_code=303)


class _Settings:
    """The composition's settings as typed in: questions to keep alike, bounds, group count."""

    def __init__(self, values: FormReader, intake: SeriesRow) -> None:
        known = {q.key for q in _choice_questions(intake)}
        picked = [str(k) for k in values.form.getlist("keys")][:MAX_QUESTIONS]
        self.keys = [k for k in dict.fromkeys(picked) if k in known]
        self.min_size = values.integer("min_size", 1, MAX_CAPACITY, default=intake.min_size)
        self.capacity = values.integer("capacity", 1, MAX_CAPACITY, default=intake.program.capacity)
        raw_groups = values.raw("groups").strip()
        self.groups = values.integer("groups", 1, MAX_GROUPS) if raw_groups else None


def _group_defaults(
    intake: SeriesRow, count: int, now: datetime, org: Organisation
) -> list[dict[str, Any]]:
    first = (now.astimezone(org.zone) + timedelta(days=14)).date()
    return [
        {
            "title": f"{intake.title} {i + 1}",
            "first_on": (first + timedelta(days=i)).isoformat(),
            "local_time": "18:00",
            "staff_ids": [],
        }
        for i in range(count)
    ]


def _groups_typed(form: FormReader, count: int) -> list[dict[str, Any]]:
    return [
        {
            "title": form.raw(f"g{i}_title")[:160],
            "first_on": form.raw(f"g{i}_first_on")[:10],
            "local_time": form.raw(f"g{i}_local_time")[:5],
            "staff_ids": [str(v) for v in form.form.getlist(f"g{i}_staff_ids")][:20],
        }
        for i in range(1, count + 1)
    ]


async def _compose_page(
    request: Request,
    db: Db,
    intake: SeriesRow,
    settings: _Settings,
    members: list[list[Person]] | NoFit,
    groups: list[dict[str, Any]],
    errors: list[str],
    error_group: int | None = None,
    status_code: int = 200,
) -> Response:
    pseudonyms = {row.id: row for row in await intakes.seated(db, intake.id)}
    context: dict[str, Any] = {
        "intake": intake,
        "settings": settings,
        "choice_questions": _choice_questions(intake),
        "picked": [q for q in _choice_questions(intake) if q.key in settings.keys],
        "errors": errors,
        "error_group": error_group,
        "enrolments": pseudonyms,
        "assignable": list(await assignable_staff(db)),
    }
    if isinstance(members, NoFit):
        context["no_fit"] = members
    else:
        sizes = [len(g) for g in members]
        context |= {
            "members": members,
            "groups": groups,
            "counts": answer_counts(members, settings.keys),
            "unlike": unlike_pairs(members, settings.keys),
            "out_of_bounds": [
                i + 1
                for i, size in enumerate(sizes)
                if not settings.min_size <= size <= settings.capacity
            ],
        }
    return render(request, "staff/intake_compose.html", context, status_code=status_code)


@router.get("/staff/intakes/{intake_id}/compose")
async def proposal_page(
    request: Request, intake_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    intake = await intakes.get_intake(db, intake_id)
    form = FormReader(request.query_params)  # type: ignore[arg-type]
    settings = _Settings(form, intake)
    if form.errors or settings.capacity < settings.min_size:
        return RedirectResponse(f"/staff/intakes/{intake_id}?done=bad_settings", status_code=303)
    people = intakes.people_of(await intakes.seated(db, intake.id))
    # Pure, but up to seconds for hundreds of people: off the event loop, so rooms keep moving.
    result = await run_in_threadpool(
        propose, people, settings.keys, settings.min_size, settings.capacity, settings.groups
    )
    if isinstance(result, NoFit):
        return await _compose_page(request, db, intake, settings, result, [], [])
    by_id = {p.id: p for p in people}
    members = [[by_id[i] for i in g] for g in result.groups]
    defaults = _group_defaults(intake, len(members), now, org)
    return await _compose_page(request, db, intake, settings, members, defaults, [])


@router.post("/staff/intakes/{intake_id}/compose", dependencies=[Csrf])
async def compose(
    request: Request, intake_id: Id, _: Coordinator, db: Db, now: Now, org: Org
) -> Response:
    """``action=recount`` shows the moved groups with their counts; ``action=confirm`` creates
    them and moves every parent."""
    intake = await intakes.get_intake(db, intake_id)
    form = FormReader(await request.form())
    settings = _Settings(form, intake)
    count = form.integer("group_count", 1, MAX_GROUPS)
    form.check()
    people = intakes.people_of(await intakes.seated(db, intake.id))
    assignment: dict[int, int] = {}
    for person in people:
        chosen = form.integer(f"p{person.id}", 1, count, default=1)
        # Out of range: noted as an error (the page is shown again) and placed in the first group.
        assignment[person.id] = chosen - 1 if 1 <= chosen <= count else 0
    members: list[list[Person]] = [[] for _ in range(count)]
    for person in people:
        members[assignment[person.id]].append(person)
    typed = _groups_typed(form, count)
    if form.errors or form.raw("action") != "confirm":
        return await _compose_page(request, db, intake, settings, members, typed, [])
    plans, errors = _read_groups(form, count)
    try:
        if errors:
            raise TupaError(ErrorCode.INVALID_INPUT, fields=errors)
        await intakes.compose(
            db, org, intake.id, plans, assignment, settings.min_size, settings.capacity, now
        )
    except TupaError as error:
        if error.code is not ErrorCode.INVALID_INPUT:
            raise
        group = error.params.get("group")
        return await _compose_page(
            request, db, intake, settings, members, typed, invalid_fields(error), group, 422
        )
    return RedirectResponse(f"/staff/intakes/{intake_id}?done=composed", status_code=303)


def _read_groups(form: FormReader, count: int) -> tuple[list[GroupPlan], list[str]]:
    """Each group's title, first day, time and staff; the names of the fields at fault."""
    plans = []
    before = set(form.errors)
    for i in range(1, count + 1):
        title = form.text(f"g{i}_title", 160, min_len=3)
        day: date = form.day(f"g{i}_first_on")
        at = form.clock_time(f"g{i}_local_time")
        staff_ids = form.integers(f"g{i}_staff_ids", 20)
        plans.append(GroupPlan(title, day, at, staff_ids))
    return plans, sorted(form.errors - before)
