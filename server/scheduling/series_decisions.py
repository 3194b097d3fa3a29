"""The coordinator's decision on a whole series: it runs (even below its minimum) or is cancelled.

Both take the series lock, as enrolment does, so no parent enrols into a series being cancelled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.enrolment.service import lock_series
from server.errors import ErrorCode, TupaError
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.scheduling.lookups import active_enrolments
from server.scheduling.series import SessionStatus
from server.storage.db import after_commit
from server.storage.tables import SeriesRow


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
    for enrolment in await active_enrolments(db, series_id):
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
    for enrolment in await active_enrolments(db, series_id):
        enrolment.status = EnrolmentStatus.CANCELLED.value
        enrolment.updated_at = now
        await tell(db, org, enrolment, NoticeKind.SERIES_CANCELLED, now)
    return series
