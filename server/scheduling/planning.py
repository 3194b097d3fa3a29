"""Planning a series from a program template, and choosing who runs it.

A plan is checked whole before anything is written: a bad field is refused with INVALID_INPUT
naming it, so the coordinator's form can show every culprit at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.questions import Question
from server.enrolment.rules import SeriesStatus
from server.errors import ErrorCode, TupaError
from server.organisation import Organisation
from server.people.roles import Role
from server.scheduling.content import (
    SeriesTranslation,
    checked_description,
    checked_themes,
    checked_title,
    checked_translations,
    write_translations,
)
from server.scheduling.lookups import get_series
from server.scheduling.public_listing import listed_by_default
from server.scheduling.recurrence import RecurrenceRule, session_starts
from server.scheduling.series import LifeSituation, MediaMode, SessionStatus, validate_sizes
from server.storage.db import after_commit
from server.storage.tables import ProgramRow, SeriesRow, SeriesStaffRow, SessionRow, StaffRow

MIN_DURATION = 15
MAX_DURATION = 360  # a training day of the Kokemuskumppani training


@dataclass(frozen=True)
class SeriesPlan:
    """Everything a coordinator decides when planning a series."""

    program_id: int
    title: str
    description: str
    life_situation: LifeSituation
    rule: RecurrenceRule
    first_on: date
    session_count: int
    duration_minutes: int
    media_mode: MediaMode
    themes: list[str]
    capacity: int
    min_size: int
    enrolment_deadline: datetime
    questions: list[Question] = field(default_factory=list)
    staff_ids: list[int] = field(default_factory=list)
    # Swedish and English content by language ("sv", "en"), each optional: title, description
    # and themes shown in that language where given (server/scheduling/content.py).
    translations: Mapping[str, SeriesTranslation] = field(default_factory=dict)


async def plan_series(
    db: AsyncSession, org: Organisation, plan: SeriesPlan, now: datetime
) -> SeriesRow:
    """Create a series and all its sessions. Raises INVALID_INPUT (``field`` names the culprit)."""
    title = checked_title(plan.title, "title")
    description = checked_description(plan.description, "description")
    if not MIN_DURATION <= plan.duration_minutes <= MAX_DURATION:
        raise TupaError(ErrorCode.INVALID_INPUT, field="duration_minutes")
    validate_sizes(plan.capacity, plan.min_size)
    themes = checked_themes(plan.themes, "themes")
    translations = checked_translations(plan.translations)
    program = await db.get(ProgramRow, plan.program_id)
    if program is None:
        raise TupaError(ErrorCode.INVALID_INPUT, field="program_id")
    try:
        starts = session_starts(plan.rule, plan.first_on, plan.session_count, org.zone)
    except ValueError as exc:
        raise TupaError(ErrorCode.INVALID_INPUT, field="session_count") from exc
    if starts[0] <= now:
        raise TupaError(ErrorCode.INVALID_INPUT, field="first_on")
    if not now < plan.enrolment_deadline <= starts[0]:
        raise TupaError(ErrorCode.INVALID_INPUT, field="enrolment_deadline")
    staff = await _assignable_staff(db, plan.staff_ids)
    series = SeriesRow(
        program_id=program.id,
        title=title,
        description=description,
        life_situation=plan.life_situation.value,
        capacity=plan.capacity,
        min_size=plan.min_size,
        enrolment_deadline=plan.enrolment_deadline,
        status=SeriesStatus.OPEN.value,
        cadence=plan.rule.cadence.value,
        weekday=plan.rule.weekday,
        nth=plan.rule.nth,
        interval=plan.rule.interval,
        local_time=plan.rule.local_time.strftime("%H:%M"),
        duration_minutes=plan.duration_minutes,
        questions=[q.to_json() for q in plan.questions],
        calendar_uid=uuid.uuid4().hex,
        created_at=now,
        lock_version=0,
        listed=listed_by_default(program.slug),
    )
    series.sessions = [
        SessionRow(
            theme=themes[i] if i < len(themes) else "",
            starts_at=start,
            duration_minutes=plan.duration_minutes,
            media_mode=plan.media_mode.value,
            status=SessionStatus.PLANNED.value,
            calendar_sequence=0,
        )
        for i, start in enumerate(starts)
    ]
    write_translations(series, series.sessions, translations)
    series.staff = [SeriesStaffRow(staff_id=s.id, member=s) for s in staff]
    db.add(series)
    await db.flush()
    return series


async def _assignable_staff(db: AsyncSession, staff_ids: list[int]) -> list[StaffRow]:
    if len(staff_ids) > 20:
        raise TupaError(ErrorCode.INVALID_INPUT, field="staff_ids")
    if not staff_ids:
        return []
    rows = list(
        await db.scalars(
            select(StaffRow).where(
                StaffRow.id.in_(staff_ids),
                StaffRow.deactivated_at.is_(None),
                StaffRow.role.in_([Role.FACILITATOR.value, Role.VOLUNTEER.value]),
            )
        )
    )
    if len(rows) != len(set(staff_ids)):
        raise TupaError(ErrorCode.INVALID_INPUT, field="staff_ids")
    return rows


async def assign_staff(db: AsyncSession, series_id: int, staff_ids: list[int]) -> SeriesRow:
    """Replace the facilitators and volunteers of a series. Raises NOT_FOUND or INVALID_INPUT."""
    series = await get_series(db, series_id)
    staff = await _assignable_staff(db, staff_ids)
    kept = {row.staff_id: row for row in series.staff}
    series.staff = [kept.get(s.id) or SeriesStaffRow(staff_id=s.id, member=s) for s in staff]
    await db.flush()
    for gone in set(kept) - {s.id for s in staff}:
        access = AccessChange(AccessReason.STAFF_UNASSIGNED, series_id=series_id, staff_id=gone)
        after_commit(db, access)
    return series


def default_deadline(first_start: datetime) -> datetime:
    """Enrolment closes two days before the first session unless the coordinator says otherwise."""
    return first_start - timedelta(days=2)
