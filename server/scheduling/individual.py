"""Individual times: offered by a facilitator, booked, moved and cancelled by one parent.

An individual time is a session row of kind "individual" (``SessionRow.kind``): it gets a room,
reminders, a calendar entry and the rooms' safety like any session, but it is left out of the
series' group sessions and only its booked parent may enter. Booking takes the series lock
(``lock_series``, as enrolment does), so two parents racing for one time cannot both win and one
parent cannot pass their limit with two quick clicks, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.enrolment.service import lock_series
from server.errors import ErrorCode, TupaError
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.scheduling.individual_calendar import RELEASED, booked_times
from server.scheduling.individual_mail import BOOKED, CANCELLED, MOVED, tell_facilitators
from server.scheduling.individual_rules import (
    MAX_OFFERED,
    SessionKind,
    check_bookable,
    check_limit,
    check_releasable,
    individual_media,
)
from server.scheduling.recurrence import to_utc
from server.scheduling.series import MediaMode, SessionStatus
from server.storage.db import after_commit
from server.storage.tables import EnrolmentRow, SeriesRow, SessionRow

MIN_MINUTES = 15
MAX_MINUTES = 240  # as a group session (FIELD_MESSAGES["duration_minutes"])


@dataclass(frozen=True)
class OfferedTime:
    """An individual time as staff see it: who holds it, by pseudonym only."""

    session: SessionRow
    booked_by: str | None


@dataclass(frozen=True)
class ParentTimes:
    """What a parent's page offers: the times they hold and the free ones they may book."""

    booked: list[SessionRow]
    free: list[SessionRow]
    limit: int


def _individual(series_id: int) -> ColumnElement[bool]:
    return and_(SessionRow.series_id == series_id, SessionRow.kind == SessionKind.INDIVIDUAL.value)


async def offer_time(
    db: AsyncSession,
    org: Organisation,
    series_id: int,
    day: date,
    at: time,
    minutes: int,
    now: datetime,
) -> SessionRow:
    """Offer one time to the parents of a series, at a local day and time of the organisation.

    Raises NOT_FOUND, INVALID_INPUT (field ``start`` for a past time or one past MAX_OFFERED
    upcoming times on offer, ``duration_minutes``) and SERIES_CANCELLED.
    """
    series = await db.get(SeriesRow, series_id)
    if series is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if series.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise TupaError(ErrorCode.INVALID_INPUT, field="duration_minutes")
    starts_at = to_utc(datetime.combine(day, at), org.zone)
    if starts_at <= now:
        raise TupaError(ErrorCode.INVALID_INPUT, field="start")
    upcoming = await db.scalar(
        select(func.count(SessionRow.id)).where(
            _individual(series_id),
            SessionRow.status == SessionStatus.PLANNED.value,
            SessionRow.starts_at > now,
        )
    )
    if (upcoming or 0) >= MAX_OFFERED:
        raise TupaError(ErrorCode.INVALID_INPUT, field="start")
    session = SessionRow(
        series_id=series.id,
        kind=SessionKind.INDIVIDUAL.value,
        starts_at=starts_at,
        duration_minutes=minutes,
        media_mode=individual_media(_series_media(series)).value,
        status=SessionStatus.PLANNED.value,
        calendar_sequence=0,
    )
    db.add(session)
    await db.flush()
    return session


def _series_media(series: SeriesRow) -> MediaMode:
    """How the series meets: as its group sessions do (planning chose it), else its program."""
    modes = [s.media_mode for s in series.sessions]
    return MediaMode(modes[0] if modes else series.program.media_mode)


async def withdraw_time(
    db: AsyncSession, org: Organisation, series_id: int, session_id: int, now: datetime
) -> SessionRow:
    """Take an offered time back. Its parent, if one booked it, is told; its room ends. Under
    the series lock, so a booking made at the same moment is either seen here or refused."""
    await lock_series(db, series_id)
    session = await _time_of(db, series_id, session_id, fresh=True)
    if session.status == SessionStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SESSION_CANCELLED)
    session.status = SessionStatus.CANCELLED.value
    session.calendar_sequence += 1
    after_commit(db, AccessChange(AccessReason.SESSION_CANCELLED, session_id=session.id))
    if session.booked_enrolment_id is not None:
        enrolment = await db.get(EnrolmentRow, session.booked_enrolment_id)
        if enrolment is not None and enrolment.status == EnrolmentStatus.ENROLLED.value:
            start = session.starts_at.isoformat()
            await tell(db, org, enrolment, NoticeKind.SESSION_CANCELLED, now, start=start)
    return session


async def set_limit(db: AsyncSession, series_id: int, limit: int) -> None:
    """How many times one parent may hold at once. Raises NOT_FOUND or INVALID_INPUT."""
    check_limit(limit)
    series = await lock_series(db, series_id)
    series.individual_limit = limit


async def times_of_series(db: AsyncSession, series_id: int) -> list[OfferedTime]:
    """Every time offered in the series, oldest first, with the pseudonym holding it."""
    rows = await db.execute(
        select(SessionRow, EnrolmentRow.pseudonym)
        .outerjoin(EnrolmentRow, EnrolmentRow.id == SessionRow.booked_enrolment_id)
        .where(_individual(series_id))
        .order_by(SessionRow.starts_at, SessionRow.id)
    )
    return [OfferedTime(session, pseudonym) for session, pseudonym in rows]


async def times_for_parent(db: AsyncSession, enrolment: EnrolmentRow, now: datetime) -> ParentTimes:
    """The parent's own upcoming or running times, and the free upcoming ones of their series."""
    rows = await db.execute(
        select(SessionRow, EnrolmentRow.status)
        .outerjoin(EnrolmentRow, EnrolmentRow.id == SessionRow.booked_enrolment_id)
        .where(
            _individual(enrolment.series_id),
            SessionRow.status == SessionStatus.PLANNED.value,
            SessionRow.starts_at > now - timedelta(minutes=MAX_MINUTES),
        )
        .order_by(SessionRow.starts_at, SessionRow.id)
    )
    booked, free = [], []
    for session, holder_status in rows:
        if session.booked_enrolment_id == enrolment.id:
            booked.append(session)
        elif session.starts_at > now and not _held(session, holder_status):
            free.append(session)
    return ParentTimes(booked, free, enrolment.series.individual_limit)


def _held(session: SessionRow, holder_status: str | None) -> bool:
    """A time whose parent's enrolment ended is free again: it blocks nobody."""
    return (
        session.booked_enrolment_id is not None and holder_status == EnrolmentStatus.ENROLLED.value
    )


async def book(
    db: AsyncSession,
    org: Organisation,
    enrolment: EnrolmentRow,
    session_id: int,
    now: datetime,
    staff_language: str = "fi",
) -> SessionRow:
    """Book a free time for the parent, who is told (on their page, and by e-mail if they gave
    an address). Raises NOT_FOUND, FORBIDDEN, SESSION_CANCELLED, SESSION_IN_PAST, TIME_TAKEN or
    BOOKING_LIMIT (``check_bookable``)."""
    series = await lock_series(db, enrolment.series_id)
    session = await _book_locked(db, series, enrolment, session_id, now, releasing=None)
    booked = NoticeKind.INDIVIDUAL_BOOKED
    await _tell_both(
        db, org, series, enrolment, booked, now, staff_language, start=session.starts_at
    )
    return session


async def move(
    db: AsyncSession,
    org: Organisation,
    enrolment: EnrolmentRow,
    from_id: int,
    to_id: int,
    now: datetime,
    staff_language: str = "fi",
) -> SessionRow:
    """Swap one of the parent's times for a free one in one transaction: both or neither."""
    series = await lock_series(db, enrolment.series_id)
    old = await _own_time(db, enrolment, from_id)
    check_releasable(old.status, old.starts_at, now)
    new = await _book_locked(db, series, enrolment, to_id, now, releasing=old)
    _release(db, old, enrolment)
    await _tell_both(
        db,
        org,
        series,
        enrolment,
        NoticeKind.INDIVIDUAL_MOVED,
        now,
        staff_language,
        released=old,
        old_start=old.starts_at,
        new_start=new.starts_at,
    )
    return new


async def cancel(
    db: AsyncSession,
    org: Organisation,
    enrolment: EnrolmentRow,
    session_id: int,
    now: datetime,
    staff_language: str = "fi",
) -> SessionRow:
    """Give one of the parent's times back; it is free for others again."""
    series = await lock_series(db, enrolment.series_id)
    session = await _own_time(db, enrolment, session_id)
    check_releasable(session.status, session.starts_at, now)
    _release(db, session, enrolment)
    cancelled = NoticeKind.INDIVIDUAL_CANCELLED
    start = session.starts_at
    await _tell_both(
        db, org, series, enrolment, cancelled, now, staff_language, released=session, start=start
    )
    return session


# What the series' facilitators are mailed for each notice the parent gets.
_STAFF_MAIL = {
    NoticeKind.INDIVIDUAL_BOOKED: BOOKED,
    NoticeKind.INDIVIDUAL_MOVED: MOVED,
    NoticeKind.INDIVIDUAL_CANCELLED: CANCELLED,
}


async def _tell_both(
    db: AsyncSession,
    org: Organisation,
    series: SeriesRow,
    enrolment: EnrolmentRow,
    kind: NoticeKind,
    now: datetime,
    staff_language: str,
    released: SessionRow | None = None,
    **starts: datetime,
) -> None:
    """Tell the parent of their booking change (on their page, and by mail if they gave an
    address) and mail the series' facilitators, by pseudonym; ``starts`` are its instants in
    UTC. A ``released`` time is named in the notice: the parent's calendar file cancels it."""
    params: dict[str, Any] = {key: value.isoformat() for key, value in starts.items()}
    if released is not None:
        params[RELEASED] = released.id
    await tell(db, org, enrolment, kind, now, **params)
    mail = _STAFF_MAIL[kind]
    name = enrolment.pseudonym
    await tell_facilitators(db, org, series, mail, staff_language, now, name=name, **starts)


async def _book_locked(
    db: AsyncSession,
    series: SeriesRow,
    enrolment: EnrolmentRow,
    session_id: int,
    now: datetime,
    releasing: SessionRow | None,
) -> SessionRow:
    session = await _time_of(db, enrolment.series_id, session_id, fresh=True)
    holder_status = None
    if session.booked_enrolment_id is not None:
        holder = await db.get(EnrolmentRow, session.booked_enrolment_id)
        holder_status = holder.status if holder is not None else None
    held = await db.scalar(
        select(func.count(SessionRow.id)).where(
            _individual(enrolment.series_id),
            SessionRow.booked_enrolment_id == enrolment.id,
            SessionRow.status == SessionStatus.PLANNED.value,
            SessionRow.starts_at > now,
        )
    )
    check_bookable(
        enrolment_status=enrolment.status,
        time_status=session.status,
        starts_at=session.starts_at,
        taken_by_another=_held(session, holder_status),
        held=(held or 0) - (1 if releasing is not None else 0),
        limit=series.individual_limit,
        now=now,
    )
    if session.booked_enrolment_id is not None:  # an ended enrolment's leftover hold
        after_commit(
            db,
            AccessChange(
                AccessReason.BOOKING_ENDED,
                session_id=session.id,
                enrolment_id=session.booked_enrolment_id,
            ),
        )
    session.booked_enrolment_id = enrolment.id
    session.calendar_sequence += 1
    return session


def _release(db: AsyncSession, session: SessionRow, enrolment: EnrolmentRow) -> None:
    """Free the time and, after commit, shut its parent out of its room."""
    session.booked_enrolment_id = None
    session.calendar_sequence += 1
    change = AccessChange(
        AccessReason.BOOKING_ENDED, session_id=session.id, enrolment_id=enrolment.id
    )
    after_commit(db, change)


async def _time_of(
    db: AsyncSession, series_id: int, session_id: int, fresh: bool = False
) -> SessionRow:
    session = await db.get(SessionRow, session_id, populate_existing=fresh)
    if (
        session is None
        or session.series_id != series_id
        or session.kind != SessionKind.INDIVIDUAL.value
    ):
        raise TupaError(ErrorCode.NOT_FOUND)
    return session


async def _own_time(db: AsyncSession, enrolment: EnrolmentRow, session_id: int) -> SessionRow:
    session = await _time_of(db, enrolment.series_id, session_id, fresh=True)
    if session.booked_enrolment_id != enrolment.id:
        raise TupaError(ErrorCode.NOT_FOUND)
    return session


async def individual_times_of(db: AsyncSession, enrolment: EnrolmentRow) -> list[dict[str, str]]:
    """The times the parent holds, for their export: when, and whether still on."""
    return [
        {"starts_at": s.starts_at.isoformat(), "status": s.status}
        for s in await booked_times(db, enrolment)
    ]
