"""Placing an intake's waiting list into free seats of its groups after they were composed.

Composing places only those with a seat; the rest wait in the intake. When a group later has a
free seat (someone withdrew, was removed or banned, or the group was composed below its
capacity), a coordinator places waiting parents into it from the intake's page, first in line
first unless they choose. Placing moves the enrolment row as composing does (pseudonym,
answers, notices and personal link stay), and tells the parent with the same ``placed`` notice.

Race-safe: the intake's lock and then the group's (the order composing and an intake's ban take
them) are held while the free seats are counted and the rows moved, so two coordinators placing
the last seat give one placement and one ``PLACES_CHANGED``, the same error as a page showing a
waiting list that has changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.enrolment.service import lock_series, matches_ban, occupancy
from server.errors import ErrorCode, TupaError
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.scheduling.intakes import get_intake, groups_of, waiting
from server.scheduling.series import SessionStatus
from server.storage.tables import EnrolmentRow, SeriesRow


@dataclass(frozen=True)
class GroupSeats:
    """One composed group and how many seats it has free now."""

    group: SeriesRow
    free: int


async def free_seats(db: AsyncSession, intake_id: int) -> list[GroupSeats]:
    """Every group composed from the intake with its free seats (a cancelled one has none)."""
    seats = []
    for group in await groups_of(db, intake_id):
        cancelled = group.status == SeriesStatus.CANCELLED.value
        free = 0 if cancelled else (await occupancy(db, group)).seats_left
        seats.append(GroupSeats(group, free))
    return seats


async def place(
    db: AsyncSession,
    org: Organisation,
    intake_id: int,
    group_id: int,
    enrolment_ids: Sequence[int] | None,
    now: datetime,
    *,
    limit: int | None = None,
) -> list[EnrolmentRow]:
    """Move waiting parents of the intake into the group, in waiting-list order.

    ``enrolment_ids`` names whom to place; None places the first in line, as many as the group
    has free seats (or ``limit``, if fewer). Someone whose e-mail address is banned in the group
    (or its intake) is moved but held for a coordinator's decision, without a seat, as a new
    enrolment would be. Returns the rows moved.

    Raises NOT_FOUND (no such intake, or the group is not one of its), SERIES_CANCELLED,
    INVALID_INPUT (nobody to place) or PLACES_CHANGED (someone named no longer waits, or more
    are named than the group has seats free).
    """
    await get_intake(db, intake_id)
    intake = await lock_series(db, intake_id)
    group = await lock_series(db, group_id)
    if group.intake_id != intake.id:
        raise TupaError(ErrorCode.NOT_FOUND)
    if group.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    line = await waiting(db, intake.id)
    for row in line:
        await db.refresh(row)
    free = (await occupancy(db, group)).seats_left
    if enrolment_ids is None:
        chosen = line[: min(free, limit if limit is not None else free)]
    else:
        wanted = set(enrolment_ids)
        chosen = [row for row in line if row.id in wanted]
        if len(chosen) != len(wanted):
            raise TupaError(ErrorCode.PLACES_CHANGED)
    if not chosen:
        raise TupaError(ErrorCode.INVALID_INPUT, field="enrolments")
    held = [row for row in chosen if row.email and await matches_ban(db, group.id, row.email)]
    if len(chosen) - len(held) > free:
        raise TupaError(ErrorCode.PLACES_CHANGED)
    first_start = _next_start(group, now)
    for row in chosen:
        row.series_id = group.id
        row.series = group
        row.updated_at = now
        if row in held:
            # The parent learns only that the enrolment is being processed, as on enrolling.
            row.status = EnrolmentStatus.PENDING_REVIEW.value
            await tell(db, org, row, NoticeKind.RECEIVED, now)
        else:
            row.status = EnrolmentStatus.ENROLLED.value
            await tell(
                db, org, row, NoticeKind.PLACED, now, intake=intake.title, first_start=first_start
            )
    await db.flush()
    return chosen


def _next_start(group: SeriesRow, now: datetime) -> str:
    """When the placed parent's first session is: the group's next one not cancelled (its
    first, if all have passed)."""
    held = [s for s in group.sessions if s.status != SessionStatus.CANCELLED.value]
    upcoming = [s for s in held if s.starts_at > now]
    chosen = upcoming[0] if upcoming else (held or group.sessions)[0]
    return chosen.starts_at.isoformat()
