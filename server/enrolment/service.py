"""Enrolling, withdrawing and promoting from the waiting list (bans: ``server.enrolment.bans``).

Every change to who holds a seat starts with ``lock_series``: the seat count read afterwards cannot
change until the transaction ends, so two parents racing for the last seat get one seat and one
waiting-list place, on PostgreSQL and on SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.links import new_link_token, token_hash
from server.enrolment.questions import Question, check_answers
from server.enrolment.rules import (
    ACTIVE_STATUSES,
    EnrolmentStatus,
    Occupancy,
    Seat,
    SeriesStatus,
    clean_email,
    clean_pseudonym,
    decide,
    email_key,
    pseudonym_key,
)
from server.errors import ErrorCode, TupaError
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.settings import Language
from server.storage.db import after_commit
from server.storage.tables import EnrolmentRow, NoticeRow, SeriesBanRow, SeriesRow


@dataclass(frozen=True)
class EnrolmentRequest:
    pseudonym: str
    email: str | None = None
    answers: dict[str, str] = field(default_factory=dict)
    language: Language = "fi"


@dataclass(frozen=True)
class NewEnrolment:
    enrolment: EnrolmentRow
    token: str  # shown to the parent once; only its hash is stored
    waitlist_position: int | None


def personal_path(token: str) -> str:
    return f"/me/{token}"


async def lock_series(db: AsyncSession, series_id: int) -> SeriesRow:
    """Take the series' write lock for the rest of the transaction. Raises NOT_FOUND."""
    result = await db.execute(
        update(SeriesRow)
        .where(SeriesRow.id == series_id)
        .values(lock_version=SeriesRow.lock_version + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise TupaError(ErrorCode.NOT_FOUND)
    series = await db.get(SeriesRow, series_id, populate_existing=True)
    assert series is not None
    return series


async def occupancy(db: AsyncSession, series: SeriesRow) -> Occupancy:
    """Seats taken and places on the waiting list in ``series`` now."""
    result = await db.execute(
        select(EnrolmentRow.status, func.count())
        .where(EnrolmentRow.series_id == series.id)
        .group_by(EnrolmentRow.status)
    )
    counts: dict[str, int] = {status: count for status, count in result}
    return Occupancy(
        capacity=series.capacity,
        min_size=series.min_size,
        enrolled=counts.get(EnrolmentStatus.ENROLLED.value, 0),
        waitlisted=counts.get(EnrolmentStatus.WAITLISTED.value, 0),
    )


async def enrol(
    db: AsyncSession, org: Organisation, series_id: int, request: EnrolmentRequest, now: datetime
) -> NewEnrolment:
    """Give the parent a seat, or a waiting-list place when the series is full.

    An enrolment whose e-mail address is a banned enrolment's in the same series gets neither: it
    waits for a coordinator's decision (``bans.accept_held``, ``bans.refuse_held``).

    Raises NOT_FOUND, SERIES_CANCELLED, ENROLMENT_CLOSED, PSEUDONYM_TAKEN or INVALID_INPUT.
    """
    pseudonym = clean_pseudonym(request.pseudonym)
    email = clean_email(request.email)
    series = await lock_series(db, series_id)
    questions = [Question.from_json(q) for q in series.questions]
    answers = check_answers(questions, request.answers)
    decision = decide(
        SeriesStatus(series.status), series.enrolment_deadline, await occupancy(db, series), now
    )
    key = pseudonym_key(pseudonym)
    clash = await db.scalar(
        select(func.count()).where(
            EnrolmentRow.series_id == series.id,
            EnrolmentRow.pseudonym_key == key,
            # A drop-in viewer of the series' live (server/scheduling/drop_in.py) keeps theirs.
            EnrolmentRow.status.in_([*(s.value for s in ACTIVE_STATUSES), EnrolmentStatus.DROP_IN]),
        )
    )
    if clash:
        raise TupaError(ErrorCode.PSEUDONYM_TAKEN)
    token = new_link_token()
    held = email is not None and await matches_ban(db, series.id, email)
    if held:
        status = EnrolmentStatus.PENDING_REVIEW
    elif isinstance(decision, Seat):
        status = EnrolmentStatus.ENROLLED
    else:
        status = EnrolmentStatus.WAITLISTED
    row = EnrolmentRow(
        series_id=series.id,
        pseudonym=pseudonym,
        pseudonym_key=key,
        email=email,
        language=request.language,
        answers=answers,
        status=status.value,
        token_hash=token_hash(token),
        created_at=now,
        updated_at=now,
    )
    row.series = series
    db.add(row)
    await db.flush()
    position = None if held or isinstance(decision, Seat) else decision.position
    link = org.url(personal_path(token))
    if held:
        # The parent learns only that the enrolment is being processed, never why.
        await tell(db, org, row, NoticeKind.RECEIVED, now, link=link)
    elif position is None:
        await tell(db, org, row, NoticeKind.ENROLLED, now, link=link)
    else:
        await tell(db, org, row, NoticeKind.WAITLISTED, now, link=link, position=position)
    return NewEnrolment(row, token, position)


async def ban_sources(db: AsyncSession, series_id: int) -> list[int]:
    """The series whose bans hold in ``series_id``: itself and, for a group composed from an
    intake, that intake. A ban in the intake is read where it was given rather than copied into
    each group: there is one row to give or lift, it holds for groups composed after it, and a
    ban's enrolment (which stays in the intake) needs no counterpart in the group."""
    intake_id = await db.scalar(select(SeriesRow.intake_id).where(SeriesRow.id == series_id))
    return [series_id] if intake_id is None else [series_id, intake_id]


async def banned_addresses(db: AsyncSession, series_id: int) -> list[tuple[str, str]]:
    """(pseudonym, e-mail address) of every banned enrolment that holds in the series."""
    rows = await db.execute(
        select(EnrolmentRow.pseudonym, EnrolmentRow.email)
        .join(
            SeriesBanRow,
            (SeriesBanRow.series_id == EnrolmentRow.series_id)
            & (SeriesBanRow.enrolment_id == EnrolmentRow.id),
        )
        .where(
            EnrolmentRow.series_id.in_(await ban_sources(db, series_id)),
            EnrolmentRow.email.is_not(None),
        )
        .order_by(EnrolmentRow.id)
    )
    return [(pseudonym, email) for pseudonym, email in rows if email]


async def matches_ban(db: AsyncSession, series_id: int, email: str) -> bool:
    """Whether ``email`` is the address of an enrolment banned from the series or from the
    intake it was composed from (compared trimmed and case-insensitively, against the addresses
    stored for mailing)."""
    key = email_key(email)
    return any(email_key(address) == key for _, address in await banned_addresses(db, series_id))


async def is_banned(db: AsyncSession, series_id: int, enrolment_id: int) -> bool:
    row = await db.get(SeriesBanRow, (series_id, enrolment_id))
    return row is not None


async def enrolment_by_token(db: AsyncSession, token: str) -> EnrolmentRow:
    """The enrolment behind a personal link. Raises NOT_FOUND or LINK_REVOKED."""
    if not 20 <= len(token) <= 100:
        raise TupaError(ErrorCode.NOT_FOUND)
    row = await db.scalar(select(EnrolmentRow).where(EnrolmentRow.token_hash == token_hash(token)))
    if row is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if row.link_revoked_at is not None:
        raise TupaError(ErrorCode.LINK_REVOKED)
    return row


async def waitlist_position(db: AsyncSession, enrolment: EnrolmentRow) -> int | None:
    """1 for the first in line; None when the enrolment is not waiting."""
    if enrolment.status != EnrolmentStatus.WAITLISTED.value:
        return None
    ahead = await db.scalar(
        select(func.count()).where(
            EnrolmentRow.series_id == enrolment.series_id,
            EnrolmentRow.status == EnrolmentStatus.WAITLISTED.value,
            EnrolmentRow.id < enrolment.id,
        )
    )
    return int(ahead or 0) + 1


async def withdraw(db: AsyncSession, org: Organisation, token: str, now: datetime) -> EnrolmentRow:
    """The parent cancels their own enrolment; a freed seat goes to the first on the waiting list.

    Raises NOT_FOUND, LINK_REVOKED or ALREADY_WITHDRAWN.
    """
    row = await enrolment_by_token(db, token)
    await withdraw_enrolment(db, org, row, now)
    return row


async def withdraw_enrolment(
    db: AsyncSession, org: Organisation, row: EnrolmentRow, now: datetime
) -> None:
    """``withdraw`` for a parent already known by their device. Raises ALREADY_WITHDRAWN."""
    await _end(db, org, row, EnrolmentStatus.WITHDRAWN, NoticeKind.WITHDRAWN, now)


async def enrolment_in_series(db: AsyncSession, series_id: int, enrolment_id: int) -> EnrolmentRow:
    """Raises NOT_FOUND unless the enrolment belongs to the series."""
    row = await db.get(EnrolmentRow, enrolment_id)
    if row is None or row.series_id != series_id:
        raise TupaError(ErrorCode.NOT_FOUND)
    return row


async def remove(
    db: AsyncSession, org: Organisation, series_id: int, enrolment_id: int, now: datetime
) -> EnrolmentRow:
    """A coordinator ends an enrolment. Raises NOT_FOUND or ALREADY_WITHDRAWN."""
    row = await enrolment_in_series(db, series_id, enrolment_id)
    await _end(db, org, row, EnrolmentStatus.REMOVED, NoticeKind.REMOVED, now)
    return row


async def _end(
    db: AsyncSession,
    org: Organisation,
    row: EnrolmentRow,
    status: EnrolmentStatus,
    kind: NoticeKind,
    now: datetime,
) -> None:
    series = await lock_series(db, row.series_id)
    await db.refresh(row)
    if row.status not in {s.value for s in ACTIVE_STATUSES}:
        raise TupaError(ErrorCode.ALREADY_WITHDRAWN)
    freed_seat = row.status == EnrolmentStatus.ENROLLED.value
    row.status = status.value
    row.updated_at = now
    access = AccessChange(
        AccessReason.ENROLMENT_ENDED, series_id=row.series_id, enrolment_id=row.id
    )
    after_commit(db, access)
    await tell(db, org, row, kind, now)
    if freed_seat and series.status != SeriesStatus.CANCELLED.value:
        await promote_waitlist(db, org, series, now)


async def end_as_banned(
    db: AsyncSession, org: Organisation, series: SeriesRow, row: EnrolmentRow, now: datetime
) -> None:
    """End an enrolment because of a ban, active or not; a freed seat goes to the waiting list.

    The caller holds the series lock and has refreshed ``row``.
    """
    if row.status == EnrolmentStatus.BANNED.value:
        return
    freed_seat = row.status == EnrolmentStatus.ENROLLED.value
    row.status = EnrolmentStatus.BANNED.value
    row.updated_at = now
    await tell(db, org, row, NoticeKind.BANNED, now)
    if freed_seat and series.status != SeriesStatus.CANCELLED.value:
        await promote_waitlist(db, org, series, now)


async def promote_waitlist(
    db: AsyncSession, org: Organisation, series: SeriesRow, now: datetime
) -> list[EnrolmentRow]:
    """Fill free seats from the waiting list, first come first served, and tell those promoted.

    The caller holds the series lock.
    """
    free = (await occupancy(db, series)).seats_left
    if free <= 0:
        return []
    waiting = list(
        await db.scalars(
            select(EnrolmentRow)
            .where(
                EnrolmentRow.series_id == series.id,
                EnrolmentRow.status == EnrolmentStatus.WAITLISTED.value,
            )
            .order_by(EnrolmentRow.id)
            .limit(free)
        )
    )
    for row in waiting:
        row.status = EnrolmentStatus.ENROLLED.value
        row.updated_at = now
        await tell(db, org, row, NoticeKind.PROMOTED, now)
    return waiting


async def revoke_link(
    db: AsyncSession, series_id: int, enrolment_id: int, now: datetime
) -> EnrolmentRow:
    """Make a personal link stop working (lost phone, shared device). Raises NOT_FOUND."""
    row = await enrolment_in_series(db, series_id, enrolment_id)
    row.link_revoked_at = now
    row.updated_at = now
    _link_stopped(db, row)
    return row


def _link_stopped(db: AsyncSession, row: EnrolmentRow) -> None:
    """Whoever is in a room with the old link is shut out once this commits."""
    access = AccessChange(AccessReason.LINK_REVOKED, series_id=row.series_id, enrolment_id=row.id)
    after_commit(db, access)


async def reissue_link(db: AsyncSession, series_id: int, enrolment_id: int, now: datetime) -> str:
    """A new personal link for the enrolment (the old one stops working). Raises NOT_FOUND.

    The coordinator hands the new link over in person or by phone; it is shown once.
    """
    row = await enrolment_in_series(db, series_id, enrolment_id)
    token = new_link_token()
    row.token_hash = token_hash(token)
    row.link_revoked_at = None
    row.device_hash = None  # the browser that held the old link lets it go too
    row.device_expires_at = None
    row.updated_at = now
    _link_stopped(db, row)
    return token


async def notices_for(db: AsyncSession, enrolment: EnrolmentRow) -> list[NoticeRow]:
    return list(
        await db.scalars(
            select(NoticeRow)
            .where(NoticeRow.enrolment_id == enrolment.id)
            .order_by(NoticeRow.created_at.desc(), NoticeRow.id.desc())
        )
    )


async def enrolments_in(db: AsyncSession, series_id: int) -> list[EnrolmentRow]:
    return list(
        await db.scalars(
            select(EnrolmentRow)
            .where(EnrolmentRow.series_id == series_id)
            .order_by(EnrolmentRow.id)
        )
    )
