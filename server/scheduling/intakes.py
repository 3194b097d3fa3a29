"""Intakes: parents enrol once, and a coordinator composes groups from them after the deadline.

An intake is a series flagged ``intake``: parents find it, enrol under a pseudonym and answer its
questions exactly as for a group (``server.enrolment.service``), but it has no sessions. Once its
deadline has passed, the coordinator asks for a proposal (``server.enrolment.composition``),
moves people between the proposed groups and confirms: each group becomes a confirmed series with
its own schedule and staff, and each enrolment *moves* into its group. Moving keeps the enrolment
row (its pseudonym, answers, notices and personal link, whose hash is on the row) and tells the
parent on their page and by e-mail.

What stays behind in the intake: the waiting list (only seats are placed; a coordinator places
them later into a group's free seat, ``server.scheduling.intake_places``), enrolments held for a
coordinator's decision because of a ban, and ended or banned enrolments with their bans (which
hold in the groups too, ``server.enrolment.bans``). A held enrolment accepted later is placed by
composing again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.composition import Person
from server.enrolment.questions import Question
from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.enrolment.service import lock_series
from server.errors import ErrorCode, TupaError
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.scheduling.content import checked_description, checked_title
from server.scheduling.recurrence import MAX_SESSIONS, Cadence, RecurrenceRule, session_starts
from server.scheduling.series import LifeSituation, MediaMode, validate_sizes
from server.scheduling.service import SeriesPlan, plan_series
from server.storage.tables import EnrolmentRow, ProgramRow, SeriesRow

MAX_TOTAL = 600  # everyone an intake takes in; the rest wait (a bound on a proposal's work)


@dataclass(frozen=True)
class IntakePlan:
    """What a coordinator decides when opening an intake."""

    program_id: int
    title: str
    description: str
    life_situation: LifeSituation
    capacity: int  # places in all its groups together; later enrolments wait
    min_size: int  # the smallest group worth holding
    enrolment_deadline: datetime
    questions: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class GroupPlan:
    """One composed group's own title, schedule and staff (the rest comes from the program)."""

    title: str
    first_on: date
    local_time: time
    staff_ids: list[int] = field(default_factory=list)


async def plan_intake(db: AsyncSession, plan: IntakePlan, now: datetime) -> SeriesRow:
    """Open an intake. Raises INVALID_INPUT (``field`` names the culprit)."""
    title = checked_title(plan.title, "title")
    description = checked_description(plan.description, "description")
    if not 1 <= plan.capacity <= MAX_TOTAL:
        raise TupaError(ErrorCode.INVALID_INPUT, field="capacity")
    if not 1 <= plan.min_size <= plan.capacity:
        raise TupaError(ErrorCode.INVALID_INPUT, field="min_size")
    if plan.enrolment_deadline <= now:
        raise TupaError(ErrorCode.INVALID_INPUT, field="enrolment_deadline")
    program = await db.get(ProgramRow, plan.program_id)
    if program is None:
        raise TupaError(ErrorCode.INVALID_INPUT, field="program_id")
    intake = SeriesRow(
        program_id=program.id,
        title=title,
        description=description,
        life_situation=plan.life_situation.value,
        capacity=plan.capacity,
        min_size=plan.min_size,
        enrolment_deadline=plan.enrolment_deadline,
        status=SeriesStatus.OPEN.value,
        # The program's rhythm, kept so each group starts from it; the intake meets never.
        cadence=program.cadence,
        weekday=0,
        local_time="18:00",
        duration_minutes=program.duration_minutes,
        questions=[q.to_json() for q in plan.questions],
        calendar_uid=uuid.uuid4().hex,
        created_at=now,
        lock_version=0,
        intake=True,
    )
    intake.sessions = []
    intake.staff = []
    db.add(intake)
    await db.flush()
    return intake


async def get_intake(db: AsyncSession, intake_id: int) -> SeriesRow:
    """Raises NOT_FOUND unless the series is an intake."""
    intake = await db.get(SeriesRow, intake_id)
    if intake is None or not intake.intake:
        raise TupaError(ErrorCode.NOT_FOUND)
    return intake


async def close_now(db: AsyncSession, intake_id: int, now: datetime) -> SeriesRow:
    """The coordinator ends enrolment early (enough parents, or a date moved): the deadline
    becomes now, and composing may start. Raises NOT_FOUND or SERIES_CANCELLED."""
    await get_intake(db, intake_id)
    intake = await lock_series(db, intake_id)
    if intake.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    if intake.enrolment_deadline > now:
        intake.enrolment_deadline = now
    return intake


async def seated(db: AsyncSession, intake_id: int) -> list[EnrolmentRow]:
    """The enrolments holding a seat in the intake: the people a composition places."""
    return list(
        await db.scalars(
            select(EnrolmentRow)
            .where(
                EnrolmentRow.series_id == intake_id,
                EnrolmentRow.status == EnrolmentStatus.ENROLLED.value,
            )
            .order_by(EnrolmentRow.id)
        )
    )


async def waiting(db: AsyncSession, intake_id: int) -> list[EnrolmentRow]:
    """The intake's waiting list, first in line first: told when the groups are composed
    without them, and placed later into a group's free seat (``intake_places``)."""
    return list(
        await db.scalars(
            select(EnrolmentRow)
            .where(
                EnrolmentRow.series_id == intake_id,
                EnrolmentRow.status == EnrolmentStatus.WAITLISTED.value,
            )
            .order_by(EnrolmentRow.id)
        )
    )


def people_of(enrolments: Sequence[EnrolmentRow]) -> list[Person]:
    """What the proposal sees of each enrolment: its id and answers, nothing else."""
    return [Person(row.id, {str(k): str(v) for k, v in row.answers.items()}) for row in enrolments]


async def groups_of(db: AsyncSession, intake_id: int) -> list[SeriesRow]:
    """The groups composed from the intake so far, oldest first."""
    return list(
        await db.scalars(
            select(SeriesRow).where(SeriesRow.intake_id == intake_id).order_by(SeriesRow.id)
        )
    )


def _rule_for(program_cadence: str, first_on: date, at: time) -> RecurrenceRule:
    """The program's rhythm, anchored on the group's first day: weekly on that weekday, or
    monthly on that weekday's place in the month (the first Thursday, the second…)."""
    cadence = Cadence(program_cadence)
    nth = min((first_on.day - 1) // 7 + 1, 4)
    return RecurrenceRule(cadence, first_on.weekday(), at, 1, nth)


async def compose(
    db: AsyncSession,
    org: Organisation,
    intake_id: int,
    plans: Sequence[GroupPlan],
    assignment: Mapping[int, int],
    min_size: int,
    capacity: int,
    now: datetime,
) -> list[SeriesRow]:
    """Create a series per group and move each seated enrolment into its group.

    ``assignment`` maps every seated enrolment's id to its group's index in ``plans``; it must
    name exactly the people seated now (someone who withdrew meanwhile makes it stale) and give
    every group ``min_size`` to ``capacity`` people.

    Raises NOT_FOUND, SERIES_CANCELLED, or INVALID_INPUT with ``field``: "enrolment_deadline"
    (enrolment still open), "assignment" (stale or out of bounds; ``group`` names the group),
    or a group's own field prefixed by ``g<number>_``.
    """
    await get_intake(db, intake_id)
    intake = await lock_series(db, intake_id)
    if intake.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    if intake.enrolment_deadline > now:
        raise TupaError(ErrorCode.INVALID_INPUT, field="enrolment_deadline")
    validate_sizes(capacity, min_size)
    people = await seated(db, intake_id)
    if not plans or set(assignment) != {row.id for row in people}:
        raise TupaError(ErrorCode.INVALID_INPUT, field="assignment")
    for index in range(len(plans)):
        size = sum(1 for g in assignment.values() if g == index)
        if not min_size <= size <= capacity:
            raise TupaError(ErrorCode.INVALID_INPUT, field="assignment", group=index + 1)
    # A savepoint: a page that catches a refused group (to show the form again) still commits,
    # and the groups made before the refused one must not be in that commit.
    async with db.begin_nested():
        groups = [
            await _create_group(db, org, intake, plan, index, (min_size, capacity), now)
            for index, plan in enumerate(plans)
        ]
        for row in people:
            group = groups[assignment[row.id]]
            row.series_id = group.id
            row.series = group
            row.updated_at = now
            first_start = group.sessions[0].starts_at.isoformat()
            await tell(
                db, org, row, NoticeKind.PLACED, now, intake=intake.title, first_start=first_start
            )
        for row in await waiting(db, intake_id):
            await tell(db, org, row, NoticeKind.NOT_PLACED, now)
        await db.flush()
    return groups


async def _create_group(
    db: AsyncSession,
    org: Organisation,
    intake: SeriesRow,
    plan: GroupPlan,
    index: int,
    sizes: tuple[int, int],
    now: datetime,
) -> SeriesRow:
    """One group as a confirmed series, its enrolment closed: its members were composed."""
    prefix = f"g{index + 1}_"
    program = intake.program
    try:
        rule = _rule_for(program.cadence, plan.first_on, plan.local_time)
        count = min(program.session_count, MAX_SESSIONS)
        starts = session_starts(rule, plan.first_on, count, org.zone)
    except ValueError as exc:
        raise TupaError(ErrorCode.INVALID_INPUT, field=f"{prefix}first_on") from exc
    series_plan = SeriesPlan(
        program_id=program.id,
        title=plan.title,
        description=intake.description,
        life_situation=LifeSituation(intake.life_situation),
        rule=rule,
        first_on=plan.first_on,
        session_count=len(starts),
        duration_minutes=program.duration_minutes,
        media_mode=MediaMode(program.media_mode),
        themes=list(program.themes),
        min_size=sizes[0],
        capacity=sizes[1],
        enrolment_deadline=starts[0],
        questions=[Question.from_json(q) for q in intake.questions],
        staff_ids=plan.staff_ids,
    )
    try:
        group = await plan_series(db, org, series_plan, now)
    except TupaError as error:
        if error.code is ErrorCode.INVALID_INPUT:
            name = str(error.params.get("field", "title"))
            raise TupaError(ErrorCode.INVALID_INPUT, field=prefix + name) from error
        raise
    group.intake_id = intake.id
    group.status = SeriesStatus.CONFIRMED.value
    group.enrolment_deadline = now
    return group
