"""Bans from a series: giving and lifting them, and deciding on enrolments held because of one.

A ban ends the enrolment (its seat goes to the waiting list) and keeps the parent out of every
room of the series; a new enrolment with a banned enrolment's e-mail address waits for a
coordinator's decision (``enrol`` holds it). Every ban and lift goes to the moderation log under
the name the acting staff member is shown by, and reaches live rooms once it commits.

An intake's bans hold in the groups composed from it, given before or after composing: a group's
check for a banned address reads its intake's bans too (``service.ban_sources``), and a ban given
in the intake bans the same address's active enrolments in its groups (``_reach_groups``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.rules import ACTIVE_STATUSES, EnrolmentStatus, SeriesStatus, email_key
from server.enrolment.service import (
    banned_addresses,
    end_as_banned,
    enrolment_in_series,
    lock_series,
    occupancy,
    waitlist_position,
)
from server.errors import ErrorCode, TupaError
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.storage.db import after_commit
from server.storage.tables import (
    EnrolmentRow,
    ModerationLogRow,
    SeriesBanRow,
    SeriesRow,
    SessionRow,
)

COORDINATOR = "coordinator"  # the role a series-page action is logged under unless told


@dataclass(frozen=True)
class BanEntry:
    """One ban as the series page lists it."""

    enrolment_id: int
    pseudonym: str
    by_name: str
    created_at: datetime
    session: SessionRow | None


@dataclass(frozen=True)
class HeldEnrolment:
    """An enrolment waiting for a decision, with the pseudonyms of the bans it matches."""

    enrolment: EnrolmentRow
    matches: list[str]


async def ban(
    db: AsyncSession,
    org: Organisation,
    series_id: int,
    enrolment_id: int,
    now: datetime,
    by_name: str,
    session_id: int | None = None,
    *,
    by_role: str = COORDINATOR,
    by_room: bool = False,
) -> EnrolmentRow:
    """Ban the enrolment's parent from the series and end the enrolment.

    ``by_name`` is the acting staff member's shown name; ``session_id`` the room the ban was given
    in, if any. A room's own ban event is logged by the room and reaches every instance on its
    bus, so the room passes ``by_room=True`` and the service neither logs it nor announces an
    ``AccessChange`` (which, sent from inside the room's writer, would wait on that writer).
    Banning an enrolment already banned changes nothing. Raises NOT_FOUND.
    """
    row = await enrolment_in_series(db, series_id, enrolment_id)
    series = await lock_series(db, series_id)
    if await db.get(SeriesBanRow, (series_id, enrolment_id), populate_existing=True) is not None:
        return row
    await db.refresh(row)
    db.add(
        SeriesBanRow(
            series_id=series_id,
            enrolment_id=enrolment_id,
            session_id=session_id,
            by_name=by_name[:60],
            created_at=now,
        )
    )
    await end_as_banned(db, org, series, row, now)
    if by_room:
        return row
    _log(db, series_id, session_id, by_name, by_role, "banned", row.pseudonym, now)
    after_commit(
        db, AccessChange(AccessReason.BANNED, series_id=series_id, enrolment_id=enrolment_id)
    )
    if series.intake and row.email:
        await _reach_groups(db, org, series, email_key(row.email), now, by_name, by_role)
    return row


async def _reach_groups(
    db: AsyncSession,
    org: Organisation,
    intake: SeriesRow,
    key: str,
    now: datetime,
    by_name: str,
    by_role: str,
) -> None:
    """A ban given in an intake also bans, from each group composed from it, the enrolments
    still active there with the banned address (made before the ban: one made after it is held,
    ``matches_ban`` reads the intake's bans). Each is a ban of the group's own, so the group's
    page lists it, its log records it and its rooms shut the person out; lifting the intake's
    ban does not lift these (they are lifted on the group's page, where they were felt).

    Locks go intake first, then groups in id order, as composing and placing take them.
    """
    group_ids = await db.scalars(
        select(SeriesRow.id).where(SeriesRow.intake_id == intake.id).order_by(SeriesRow.id)
    )
    active = [s.value for s in ACTIVE_STATUSES]
    for group_id in list(group_ids):
        group = await lock_series(db, group_id)
        rows = await db.scalars(
            select(EnrolmentRow)
            .where(
                EnrolmentRow.series_id == group_id,
                EnrolmentRow.status.in_(active),
                EnrolmentRow.email.is_not(None),
            )
            .order_by(EnrolmentRow.id)
            .execution_options(populate_existing=True)
        )
        for row in [r for r in rows if email_key(r.email or "") == key]:
            db.add(
                SeriesBanRow(
                    series_id=group_id,
                    enrolment_id=row.id,
                    session_id=None,
                    by_name=by_name[:60],
                    created_at=now,
                )
            )
            await end_as_banned(db, org, group, row, now)
            _log(db, group_id, None, by_name, by_role, "banned", row.pseudonym, now)
            access = AccessChange(AccessReason.BANNED, series_id=group_id, enrolment_id=row.id)
            after_commit(db, access)


async def lift_ban(
    db: AsyncSession,
    series_id: int,
    enrolment_id: int,
    now: datetime,
    by_name: str,
    *,
    by_role: str = COORDINATOR,
) -> EnrolmentRow:
    """Lift a ban: the enrolment stays ended, and the parent may enrol again like anyone.

    Lifting a ban that is not there changes nothing. Raises NOT_FOUND.
    """
    row = await enrolment_in_series(db, series_id, enrolment_id)
    await lock_series(db, series_id)
    existing = await db.get(SeriesBanRow, (series_id, enrolment_id), populate_existing=True)
    if existing is None:
        return row
    await db.delete(existing)
    await db.refresh(row)
    if row.status == EnrolmentStatus.BANNED.value:
        row.status = EnrolmentStatus.REMOVED.value  # ended by the organiser, no longer banned
        row.updated_at = now
    _log(db, series_id, None, by_name, by_role, "unbanned", row.pseudonym, now)
    after_commit(
        db, AccessChange(AccessReason.UNBANNED, series_id=series_id, enrolment_id=enrolment_id)
    )
    return row


async def bans_in(db: AsyncSession, series_id: int) -> list[BanEntry]:
    """The series' bans, newest first, with the session each was given in."""
    rows = await db.execute(
        select(SeriesBanRow, EnrolmentRow.pseudonym, SessionRow)
        .join(EnrolmentRow, EnrolmentRow.id == SeriesBanRow.enrolment_id)
        .outerjoin(SessionRow, SessionRow.id == SeriesBanRow.session_id)
        .where(SeriesBanRow.series_id == series_id)
        .order_by(SeriesBanRow.created_at.desc(), SeriesBanRow.enrolment_id.desc())
    )
    return [
        BanEntry(b.enrolment_id, pseudonym, b.by_name, b.created_at, session)
        for b, pseudonym, session in rows
    ]


async def held_in(db: AsyncSession, series_id: int) -> list[HeldEnrolment]:
    """Enrolments waiting for a coordinator's decision, oldest first, with the bans they match."""
    held = list(
        await db.scalars(
            select(EnrolmentRow)
            .where(
                EnrolmentRow.series_id == series_id,
                EnrolmentRow.status == EnrolmentStatus.PENDING_REVIEW.value,
            )
            .order_by(EnrolmentRow.id)
        )
    )
    if not held:
        return []
    by_email: dict[str, list[str]] = {}
    for pseudonym, email in await banned_addresses(db, series_id):
        by_email.setdefault(email_key(email), []).append(pseudonym)
    return [HeldEnrolment(e, by_email.get(email_key(e.email or ""), [])) for e in held]


async def accept_held(
    db: AsyncSession, org: Organisation, series_id: int, enrolment_id: int, now: datetime
) -> EnrolmentRow:
    """The coordinator lets a held enrolment in: a seat if one is free, else the waiting list.

    Accepting one already let in changes nothing. Raises NOT_FOUND, SERIES_CANCELLED or
    ALREADY_WITHDRAWN (the enrolment has ended meanwhile).
    """
    row, series = await _held(db, series_id, enrolment_id)
    if row.status != EnrolmentStatus.PENDING_REVIEW.value:
        return row
    if series.status == SeriesStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    row.updated_at = now
    if (await occupancy(db, series)).seats_left > 0:
        row.status = EnrolmentStatus.ENROLLED.value
        await tell(db, org, row, NoticeKind.ENROLLED, now)
    else:
        row.status = EnrolmentStatus.WAITLISTED.value
        await db.flush()
        position = await waitlist_position(db, row)
        await tell(db, org, row, NoticeKind.WAITLISTED, now, position=position)
    return row


async def refuse_held(
    db: AsyncSession, org: Organisation, series_id: int, enrolment_id: int, now: datetime
) -> EnrolmentRow:
    """The coordinator refuses a held enrolment; the parent is told it could not be accepted.

    Raises NOT_FOUND or ALREADY_WITHDRAWN (no longer waiting for a decision).
    """
    row, _ = await _held(db, series_id, enrolment_id)
    if row.status != EnrolmentStatus.PENDING_REVIEW.value:
        raise TupaError(ErrorCode.ALREADY_WITHDRAWN)
    row.status = EnrolmentStatus.REFUSED.value
    row.updated_at = now
    await tell(db, org, row, NoticeKind.REFUSED, now)
    return row


async def _held(
    db: AsyncSession, series_id: int, enrolment_id: int
) -> tuple[EnrolmentRow, SeriesRow]:
    """The enrolment, fresh, under the series lock; ALREADY_WITHDRAWN once it has ended."""
    row = await enrolment_in_series(db, series_id, enrolment_id)
    series = await lock_series(db, series_id)
    await db.refresh(row)
    if row.status not in {s.value for s in ACTIVE_STATUSES}:
        raise TupaError(ErrorCode.ALREADY_WITHDRAWN)
    return row, series


def _log(
    db: AsyncSession,
    series_id: int,
    session_id: int | None,
    by_name: str,
    by_role: str,
    action: str,
    pseudonym: str,
    now: datetime,
) -> None:
    db.add(
        ModerationLogRow(
            series_id=series_id,
            session_id=session_id,
            actor_name=by_name[:60],
            actor_role=by_role,
            action=action,
            target_name=pseudonym,
            detail={},
            created_at=now,
        )
    )
