"""Which individual times go in a parent's calendar file: the ones they hold, and the ones they
gave up, until these have passed.

A calendar app that imported the file before keeps a time it no longer finds in it; only an
entry with the same UID, a higher SEQUENCE and STATUS:CANCELLED makes it drop the time (RFC
5545). So a time the parent moved away from or cancelled stays in the file, cancelled, for as
long as the time they held would have been shown. The times given up are remembered by the
parent's own notices of moving and cancelling, which name them (``RELEASED``): no new table,
and they last exactly as long as the enrolment's personal data, go with an erasure and tell
nothing the parent was not told already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.service import notices_for
from server.notify.notices import NoticeKind
from server.scheduling.individual_rules import SessionKind
from server.storage.tables import EnrolmentRow, SessionRow

# The notice parameter naming the time a parent moved away from or cancelled.
RELEASED = "released"
_GIVING_UP = {NoticeKind.INDIVIDUAL_MOVED.value, NoticeKind.INDIVIDUAL_CANCELLED.value}


@dataclass(frozen=True)
class CalendarTimes:
    """A parent's individual times in their calendar file: ``held`` as they stand (cancelled
    when staff withdrew them), ``released`` always as CANCELLED."""

    held: list[SessionRow]
    released: list[SessionRow]


async def booked_times(db: AsyncSession, enrolment: EnrolmentRow) -> list[SessionRow]:
    """Every time the parent holds, past ones and withdrawn ones too."""
    return list(
        await db.scalars(
            select(SessionRow)
            .where(
                SessionRow.series_id == enrolment.series_id,
                SessionRow.kind == SessionKind.INDIVIDUAL.value,
                SessionRow.booked_enrolment_id == enrolment.id,
            )
            .order_by(SessionRow.starts_at)
        )
    )


async def calendar_times(db: AsyncSession, enrolment: EnrolmentRow, now: datetime) -> CalendarTimes:
    """The times the parent holds, and those they gave up that have not ended by ``now``; a
    time given up and booked again is held, and in the file once."""
    held = await booked_times(db, enrolment)
    given_up = await _released_ids(db, enrolment) - {s.id for s in held}
    if not given_up:
        return CalendarTimes(held, [])
    released = await db.scalars(
        select(SessionRow)
        .where(
            SessionRow.series_id == enrolment.series_id,
            SessionRow.kind == SessionKind.INDIVIDUAL.value,
            SessionRow.id.in_(given_up),
        )
        .order_by(SessionRow.starts_at, SessionRow.id)
    )
    return CalendarTimes(held, [s for s in released if _ends_at(s) > now])


async def _released_ids(db: AsyncSession, enrolment: EnrolmentRow) -> set[int]:
    return {
        notice.params[RELEASED]
        for notice in await notices_for(db, enrolment)
        if notice.kind in _GIVING_UP and isinstance(notice.params.get(RELEASED), int)
    }


def _ends_at(session: SessionRow) -> datetime:
    return session.starts_at + timedelta(minutes=session.duration_minutes)
