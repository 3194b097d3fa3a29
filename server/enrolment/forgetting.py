"""Deleting what an enrolment holds about a parent: once its series is long over, or when asked.

Two ways, one result on the enrolment row: the e-mail address, the answers to the enrolment
questions and the notices go, and ``personal_data_deleted_at`` says when. The row itself stays with
its pseudonym and status, because attendance, feedback receipts and self-assessments hang on it and
the reports count them.

An erasure (the parent's own, or a coordinator's for a person who asks by phone) also ends the
enrolment, makes the personal link stop working, lets the parent's device go and, once committed,
deletes in every room of the series what the person wrote (``AccessReason.ERASED``: the rooms do
that through their own events).
An erasure also cuts the enrolment's peer-volunteer invitations loose (``server.volunteering``):
a standing one is withdrawn, and an accepted one no longer says which pseudonym the volunteer
was. The volunteer account is a person's own account, not the parent's data: it stays, and
nothing of it is erased or shown with the erasure. The invitation rows are updated here, not
through that package, because it ranks above enrolment; the reports still count them.
A banned enrolment keeps its e-mail address until the lifetime pass: the ban holds a new enrolment
with that address for a coordinator, and an erasure must not lift it. A drop-in visitor's browser
key (server/scheduling/drop_in.py) goes the same way, and is likewise kept by an erasure of a
banned one: it is what keeps that browser out of the series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.devices import let_go
from server.enrolment.links import new_link_token, token_hash
from server.enrolment.rules import ACTIVE_STATUSES, EnrolmentStatus, SeriesStatus
from server.enrolment.service import enrolment_in_series, lock_series, promote_waitlist
from server.notify.outbox import discard_waiting_for
from server.organisation import Organisation
from server.storage.db import after_commit
from server.storage.tables import EnrolmentRow, ModerationLogRow, NoticeRow, PeerInvitationRow

ERASED = "erased"  # the moderation log's action


@dataclass(frozen=True)
class Eraser:
    """Who erased: the parent themself (by their pseudonym) or a coordinator (by their name)."""

    name: str
    role: str


async def series_holding_personal_data(db: AsyncSession) -> list[int]:
    """The series with an enrolment whose e-mail address, answers and notices are still kept."""
    rows = await db.scalars(select(EnrolmentRow.series_id).where(_holding()).distinct())
    return sorted(rows)


async def forget_personal_data(db: AsyncSession, series_ids: list[int], now: datetime) -> int:
    """Delete the e-mail addresses, answers and notices of every enrolment of ``series_ids``
    not done before. Returns how many enrolments changed."""
    if not series_ids:
        return 0
    rows = list(
        await db.scalars(
            select(EnrolmentRow).where(EnrolmentRow.series_id.in_(series_ids), _holding())
        )
    )
    for row in rows:
        _forget(row, now)
    await _delete_notices(db, [row.id for row in rows])
    return len(rows)


async def erase(
    db: AsyncSession,
    org: Organisation,
    series_id: int,
    enrolment_id: int,
    now: datetime,
    by: Eraser,
) -> EnrolmentRow:
    """Erase what Tupa holds about the enrolment's parent; irreversible. Raises NOT_FOUND.

    An active enrolment ends as withdrawn (its seat goes to the waiting list); the link stops
    working; the moderation log says who erased, never what. Erasing again repeats the deletion
    (the rooms may have kept nothing more) and logs it again.
    """
    row = await enrolment_in_series(db, series_id, enrolment_id)
    series = await lock_series(db, series_id)
    await db.refresh(row)
    freed_seat = row.status == EnrolmentStatus.ENROLLED.value
    if row.status in {s.value for s in ACTIVE_STATUSES} | {EnrolmentStatus.DROP_IN.value}:
        row.status = EnrolmentStatus.WITHDRAWN.value
    banned = row.status == EnrolmentStatus.BANNED.value
    keep_email, keep_browser = (row.email, row.browser_key) if banned else (None, None)
    _forget(row, now)
    row.email = keep_email
    row.browser_key = keep_browser
    row.token_hash = token_hash(new_link_token())  # nobody knows this token: the link is dead
    row.link_revoked_at = row.link_revoked_at or now
    let_go(row)  # the browser that held the enrolment's page holds nothing now
    await _delete_notices(db, [row.id])
    await _cut_invitations(db, row.id, now)
    db.add(
        ModerationLogRow(
            series_id=series_id,
            session_id=None,
            actor_name=by.name[:60],
            actor_role=by.role,
            action=ERASED,
            target_name=row.pseudonym,
            detail={},
            created_at=now,
        )
    )
    after_commit(
        db, AccessChange(AccessReason.ERASED, series_id=series_id, enrolment_id=enrolment_id)
    )
    if freed_seat and series.status != SeriesStatus.CANCELLED.value:
        await promote_waitlist(db, org, series, now)
    return row


def _holding() -> ColumnElement[bool]:
    """Enrolments still holding personal data: not done yet, or done by an erasure that kept a
    banned one's e-mail address and browser key for the ban until the series' lifetime ends."""
    return or_(
        EnrolmentRow.personal_data_deleted_at.is_(None),
        EnrolmentRow.email.is_not(None),
        EnrolmentRow.browser_key.is_not(None),
    )


async def _cut_invitations(db: AsyncSession, enrolment_id: int, now: datetime) -> None:
    """Withdraw a standing invitation and unlink every invitation from the erased enrolment."""
    invitation = PeerInvitationRow
    await db.execute(
        update(invitation)
        .where(invitation.enrolment_id == enrolment_id, invitation.status == "open")
        .values(status="withdrawn", decided_at=now)
        .execution_options(synchronize_session=False)
    )
    await db.execute(
        update(invitation)
        .where(invitation.enrolment_id == enrolment_id)
        .values(enrolment_id=None)
        .execution_options(synchronize_session=False)
    )


def _forget(row: EnrolmentRow, now: datetime) -> None:
    row.email = None
    row.browser_key = None
    row.answers = {}
    row.personal_data_deleted_at = row.personal_data_deleted_at or now
    row.updated_at = now


async def _delete_notices(db: AsyncSession, enrolment_ids: list[int]) -> None:
    if enrolment_ids:
        await db.execute(delete(NoticeRow).where(NoticeRow.enrolment_id.in_(enrolment_ids)))
        await discard_waiting_for(db, enrolment_ids)  # the mail about them: it holds the address
