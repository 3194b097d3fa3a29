"""Finding one series or session by its id, and the parents enrolled in a series.

The lookups every scheduling action starts from, so that NOT_FOUND means the same everywhere
(a session asked for under another series is not found either).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import ACTIVE_STATUSES
from server.errors import ErrorCode, TupaError
from server.storage.tables import EnrolmentRow, RoomRow, SeriesRow, SessionRow


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


async def active_enrolments(db: AsyncSession, series_id: int) -> list[EnrolmentRow]:
    return list(
        await db.scalars(
            select(EnrolmentRow).where(
                EnrolmentRow.series_id == series_id,
                EnrolmentRow.status.in_([s.value for s in ACTIVE_STATUSES]),
            )
        )
    )
