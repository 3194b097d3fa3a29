"""When a series ends, and the pass that deletes what is kept about parents only until a set
time after that (``TUPA_PERSONAL_DATA_RETENTION_DAYS``).

A series ends when its last session that was not cancelled ends; a series with none (cancelled
before it began) ends at its enrolment deadline. An intake (no sessions of its own) ends at its
deadline too, but not while parents in it still wait to be placed in a group: their answers are
what the groups are composed by. Once composed, an intake with a waiting list ends with its last
group: until then a coordinator may place those waiting into a free seat
(``server.scheduling.intake_places``), and their address and answers go with them. The e-mail
addresses, enrolment answers and
notices of its enrolments go then (``server.enrolment.forgetting``); what the reports count
(enrolments and their status, attendance, feedback, self-assessments) stays with the series.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.forgetting import forget_personal_data, series_holding_personal_data
from server.enrolment.rules import EnrolmentStatus
from server.scheduling.series import SessionStatus
from server.storage.tables import EnrolmentRow, SeriesRow, SessionRow


async def series_ends(db: AsyncSession, series_ids: list[int]) -> dict[int, datetime]:
    """When each of ``series_ids`` ends (or ended), as the module docstring says; an intake
    with parents still to place is left out (it has not ended)."""
    if not series_ids:
        return {}
    deadlines = await db.execute(
        select(SeriesRow.id, SeriesRow.enrolment_deadline).where(SeriesRow.id.in_(series_ids))
    )
    ends: dict[int, datetime] = {series_id: deadline for series_id, deadline in deadlines}
    held: dict[int, datetime] = {}
    sessions = await db.execute(
        select(SessionRow.series_id, SessionRow.starts_at, SessionRow.duration_minutes).where(
            SessionRow.series_id.in_(series_ids),
            SessionRow.status != SessionStatus.CANCELLED.value,
        )
    )
    for series_id, starts_at, minutes in sessions:
        end = starts_at + timedelta(minutes=minutes)
        held[series_id] = max(held.get(series_id, end), end)
    for intake_id, end in (await _groups_ends_while_waiting(db, series_ids)).items():
        held[intake_id] = max(ends[intake_id], end)
    unplaced = set(
        await db.scalars(
            select(EnrolmentRow.series_id)
            .join(SeriesRow, SeriesRow.id == EnrolmentRow.series_id)
            .where(
                SeriesRow.id.in_(series_ids),
                SeriesRow.intake.is_(True),
                EnrolmentRow.status == EnrolmentStatus.ENROLLED.value,
            )
        )
    )
    return {k: v for k, v in {**ends, **held}.items() if k not in unplaced}


async def _groups_ends_while_waiting(
    db: AsyncSession, series_ids: list[int]
) -> dict[int, datetime]:
    """For each intake among ``series_ids`` with someone on its waiting list, when the last
    session of its groups ends (intakes without groups or without a waiting list are left out)."""
    waiting = select(EnrolmentRow.series_id).where(
        EnrolmentRow.series_id.in_(series_ids),
        EnrolmentRow.status == EnrolmentStatus.WAITLISTED.value,
    )
    rows = await db.execute(
        select(SeriesRow.intake_id, SessionRow.starts_at, SessionRow.duration_minutes)
        .join(SessionRow, SessionRow.series_id == SeriesRow.id)
        .where(
            SeriesRow.intake_id.in_(waiting),
            SessionRow.status != SessionStatus.CANCELLED.value,
        )
    )
    ends: dict[int, datetime] = {}
    for intake_id, starts_at, minutes in rows:
        if intake_id is None:  # never: the query names only groups of an intake
            continue
        end = starts_at + timedelta(minutes=minutes)
        ends[intake_id] = max(ends.get(intake_id, end), end)
    return ends


async def forget_expired_personal_data(
    db: AsyncSession, now: datetime, keep_for: timedelta
) -> list[int]:
    """Delete the personal data of series that ended more than ``keep_for`` ago; returns their
    ids. Enrolments done before (by this pass or an erasure) are left alone, but for what an
    erasure kept of a banned one for its ban (``forgetting._holding``)."""
    ends = await series_ends(db, await series_holding_personal_data(db))
    expired = sorted(series_id for series_id, end in ends.items() if end + keep_for <= now)
    await forget_personal_data(db, expired, now)
    return expired
