"""Planning series from program templates, and changing their sessions one by one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.questions import Question
from server.enrolment.rules import ACTIVE_STATUSES, EnrolmentStatus, Occupancy, SeriesStatus
from server.enrolment.service import lock_series, occupancy
from server.errors import ErrorCode, TupaError
from server.localised import Texts
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.people.roles import Role
from server.scheduling.content import (
    SeriesTranslation,
    checked_description,
    checked_theme_texts,
    checked_themes,
    checked_title,
    checked_translations,
    write_translations,
)
from server.scheduling.programs import PROGRAM_TEMPLATES
from server.scheduling.recurrence import RecurrenceRule, session_starts, to_utc
from server.scheduling.series import (
    LifeSituation,
    MediaMode,
    SessionStatus,
    check_can_move,
    needs_decision,
    validate_sizes,
)
from server.storage.db import after_commit
from server.storage.idempotent import insert_unless_exists
from server.storage.tables import (
    EnrolmentRow,
    ProgramRow,
    RoomRow,
    SeriesRow,
    SeriesStaffRow,
    SessionRow,
    StaffRow,
)

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


async def ensure_program_templates(db: AsyncSession) -> None:
    """Insert the shipped program templates that are missing.

    Safe when several instances start at once: each template is keyed by its slug, and a
    template a coordinator already has is never overwritten.
    """
    for t in PROGRAM_TEMPLATES:
        await insert_unless_exists(
            db,
            ProgramRow,
            ["slug"],
            slug=t.slug,
            name=t.name,
            name_sv=t.name_sv,
            name_en=t.name_en,
            description=t.description,
            life_situation=t.life_situation.value,
            media_mode=t.media_mode.value,
            session_count=t.session_count,
            duration_minutes=t.duration_minutes,
            cadence=t.cadence.value,
            capacity=t.capacity,
            min_size=t.min_size,
            themes=list(t.themes),
        )


async def list_programs(db: AsyncSession) -> list[ProgramRow]:
    return list(await db.scalars(select(ProgramRow).order_by(ProgramRow.name)))


async def program_by_id(db: AsyncSession, program_id: int) -> ProgramRow | None:
    return await db.get(ProgramRow, program_id)


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


async def get_series(db: AsyncSession, series_id: int) -> SeriesRow:
    """Raises NOT_FOUND."""
    series = await db.get(SeriesRow, series_id)
    if series is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    return series


async def session_by_id(db: AsyncSession, session_id: int) -> SessionRow:
    """Any session, whatever its series. Raises NOT_FOUND."""
    session = await db.get(SessionRow, session_id)
    if session is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    return session


async def get_session(db: AsyncSession, series_id: int, session_id: int) -> SessionRow:
    session = await db.get(SessionRow, session_id)
    if session is None or session.series_id != series_id:
        raise TupaError(ErrorCode.NOT_FOUND)
    return session


async def ended_rooms(db: AsyncSession, series_id: int) -> set[int]:
    """The sessions of the series whose room a facilitator has ended."""
    return set(
        await db.scalars(
            select(RoomRow.session_id)
            .join(SessionRow, SessionRow.id == RoomRow.session_id)
            .where(SessionRow.series_id == series_id, RoomRow.ended_at.is_not(None))
        )
    )


async def _active_enrolments(db: AsyncSession, series_id: int) -> list[EnrolmentRow]:
    return list(
        await db.scalars(
            select(EnrolmentRow).where(
                EnrolmentRow.series_id == series_id,
                EnrolmentRow.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
        )
    )


async def move_session(
    db: AsyncSession,
    org: Organisation,
    series_id: int,
    session_id: int,
    new_day: date,
    new_time: time,
    now: datetime,
) -> SessionRow:
    """Move one session to another local day and time and tell every enrolled parent.

    Raises NOT_FOUND, SESSION_CANCELLED or SESSION_IN_PAST.
    """
    session = await get_session(db, series_id, session_id)
    new_start = to_utc(datetime.combine(new_day, new_time), org.zone)
    check_can_move(SessionStatus(session.status), new_start, now)
    if new_start == session.starts_at:
        return session
    old_start = session.starts_at
    session.starts_at = new_start
    session.calendar_sequence += 1
    after_commit(db, AccessChange(AccessReason.SESSION_MOVED, session_id=session.id))
    for enrolment in await _active_enrolments(db, series_id):
        await tell(
            db,
            org,
            enrolment,
            NoticeKind.SESSION_MOVED,
            now,
            old_start=old_start.isoformat(),
            new_start=new_start.isoformat(),
        )
    return session


async def cancel_session(
    db: AsyncSession, org: Organisation, series_id: int, session_id: int, now: datetime
) -> SessionRow:
    """Cancel one session and tell every enrolled parent. Raises NOT_FOUND or SESSION_CANCELLED."""
    session = await get_session(db, series_id, session_id)
    if session.status == SessionStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SESSION_CANCELLED)
    session.status = SessionStatus.CANCELLED.value
    session.calendar_sequence += 1
    after_commit(db, AccessChange(AccessReason.SESSION_CANCELLED, session_id=session.id))
    for enrolment in await _active_enrolments(db, series_id):
        await tell(
            db,
            org,
            enrolment,
            NoticeKind.SESSION_CANCELLED,
            now,
            start=session.starts_at.isoformat(),
        )
    return session


async def edit_session(
    db: AsyncSession, series_id: int, session_id: int, theme: Texts, media_mode: MediaMode
) -> SessionRow:
    """Change the theme (in every language) or media mode of one session. Raises NOT_FOUND or
    INVALID_INPUT."""
    session = await get_session(db, series_id, session_id)
    checked = checked_theme_texts(theme)
    session.theme, session.theme_sv, session.theme_en = checked.fi, checked.sv, checked.en
    if session.media_mode != media_mode.value:
        session.media_mode = media_mode.value
    session.calendar_sequence += 1
    return session


async def confirm_series(
    db: AsyncSession, org: Organisation, series_id: int, now: datetime
) -> SeriesRow:
    """The coordinator decides the series runs (even below its minimum) and tells the parents.

    Raises NOT_FOUND, SERIES_CANCELLED, or INVALID_INPUT for an intake (its groups are
    confirmed when composed: ``server.scheduling.intakes``).
    """
    series = await lock_series(db, series_id)
    if series.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    if series.intake:
        raise TupaError(ErrorCode.INVALID_INPUT, field="intake")
    if series.status == SeriesStatus.CONFIRMED.value:
        return series
    series.status = SeriesStatus.CONFIRMED.value
    for enrolment in await _active_enrolments(db, series_id):
        if enrolment.status == EnrolmentStatus.ENROLLED.value:
            await tell(db, org, enrolment, NoticeKind.SERIES_CONFIRMED, now)
    return series


async def cancel_series(
    db: AsyncSession, org: Organisation, series_id: int, now: datetime
) -> SeriesRow:
    """Cancel the whole series: every session, every enrolment, and tell every parent.

    Raises NOT_FOUND or SERIES_CANCELLED (already cancelled).
    """
    series = await lock_series(db, series_id)
    if series.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    series.status = SeriesStatus.CANCELLED.value
    after_commit(db, AccessChange(AccessReason.SERIES_CANCELLED, series_id=series_id))
    for session in series.sessions:
        if session.status != SessionStatus.CANCELLED.value:
            session.status = SessionStatus.CANCELLED.value
            session.calendar_sequence += 1
    for enrolment in await _active_enrolments(db, series_id):
        enrolment.status = EnrolmentStatus.CANCELLED.value
        enrolment.updated_at = now
        await tell(db, org, enrolment, NoticeKind.SERIES_CANCELLED, now)
    return series


@dataclass(frozen=True)
class SeriesListing:
    series: SeriesRow
    occupancy: Occupancy
    upcoming: list[SessionRow]


async def open_series(
    db: AsyncSession,
    now: datetime,
    life_situation: LifeSituation | None = None,
    program_id: int | None = None,
) -> list[SeriesListing]:
    """Series a parent can still enrol in, soonest first, with seats and the minimum."""
    query = select(SeriesRow).where(
        SeriesRow.status != SeriesStatus.CANCELLED.value, SeriesRow.enrolment_deadline > now
    )
    if life_situation is not None:
        query = query.where(SeriesRow.life_situation == life_situation.value)
    if program_id is not None:
        query = query.where(SeriesRow.program_id == program_id)
    listings = []
    for series in await db.scalars(query):
        upcoming = [s for s in series.sessions if s.status == SessionStatus.PLANNED.value]
        listings.append(SeriesListing(series, await occupancy(db, series), upcoming))
    listings.sort(
        key=lambda x: x.upcoming[0].starts_at if x.upcoming else x.series.enrolment_deadline
    )
    return listings


async def all_series(db: AsyncSession, now: datetime) -> list[tuple[SeriesListing, bool]]:
    """Every series for the coordinator, newest first, each with its needs-a-decision flag."""
    result = []
    for series in await db.scalars(select(SeriesRow).order_by(SeriesRow.id.desc())):
        occ = await occupancy(db, series)
        upcoming = [s for s in series.sessions if s.status == SessionStatus.PLANNED.value]
        flag = needs_decision(SeriesStatus(series.status), series.enrolment_deadline, occ, now)
        result.append((SeriesListing(series, occ, upcoming), flag))
    return result


async def sessions_of_staff(db: AsyncSession, staff_id: int) -> list[SessionRow]:
    """Every session of the series this staff member is assigned to, for their own calendar."""
    return list(
        await db.scalars(
            select(SessionRow)
            .join(SeriesStaffRow, SeriesStaffRow.series_id == SessionRow.series_id)
            .where(SeriesStaffRow.staff_id == staff_id)
            .order_by(SessionRow.starts_at)
        )
    )


async def series_needing_decision(db: AsyncSession, now: datetime) -> list[SeriesRow]:
    """Open series whose enrolment closed below the minimum size."""
    candidates = await db.scalars(
        select(SeriesRow).where(
            SeriesRow.status == SeriesStatus.OPEN.value, SeriesRow.enrolment_deadline <= now
        )
    )
    return [
        s
        for s in candidates
        if needs_decision(SeriesStatus(s.status), s.enrolment_deadline, await occupancy(db, s), now)
    ]


def default_deadline(first_start: datetime) -> datetime:
    """Enrolment closes two days before the first session unless the coordinator says otherwise."""
    return first_start - timedelta(days=2)
