"""Lists of series and sessions: open for enrolment, all for the coordinator, one person's calendar.

Each listed series carries its occupancy, so pages show seats and the minimum without asking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import Occupancy, SeriesStatus
from server.enrolment.service import occupancy
from server.scheduling.series import LifeSituation, SessionStatus, needs_decision
from server.storage.tables import SeriesRow, SeriesStaffRow, SessionRow


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
    """Listed series a parent can still enrol in, soonest first, with seats and the minimum
    (an unlisted one is reached by its address: server/scheduling/public_listing.py)."""
    query = select(SeriesRow).where(
        SeriesRow.listed,
        SeriesRow.status != SeriesStatus.CANCELLED.value,
        SeriesRow.enrolment_deadline > now,
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
