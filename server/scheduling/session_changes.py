"""Changing the sessions of a series one by one: moved, cancelled, or given another theme or mode.

Each change raises the session's calendar sequence so calendars replace their copy; a move or a
cancellation reaches a live room after commit and is told to every enrolled parent.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.errors import ErrorCode, TupaError
from server.localised import Texts
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.scheduling.content import checked_theme_texts
from server.scheduling.lookups import active_enrolments, get_session
from server.scheduling.recurrence import to_utc
from server.scheduling.series import MediaMode, SessionStatus, check_can_move
from server.storage.db import after_commit
from server.storage.tables import SessionRow


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
    for enrolment in await active_enrolments(db, series_id):
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
    for enrolment in await active_enrolments(db, series_id):
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
