"""Peer-volunteer invitations: a coordinator invites a parent who completed a series; the parent
refuses, or accepts by choosing an alias, a login and a password, which makes a volunteer
account.

The invitation row is the only link between the new account and the old enrolment, and only
coordinators are shown it (the series page, the staff accounts page). The account itself holds
nothing of the enrolment: its alias may not be the old pseudonym, and an erasure of the
parent's data cuts the link (``server.enrolment.forgetting``) while the account stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import EnrolmentStatus
from server.enrolment.service import enrolment_in_series
from server.errors import ErrorCode, TupaError
from server.evaluation.attendance_sheet import EvaluationRules, attendance_sheet
from server.evaluation.figures import completed_participants
from server.notify.notices import NoticeKind, tell
from server.organisation import Organisation
from server.people import service as people
from server.people.login_names import is_email
from server.people.roles import Role
from server.scheduling.endings import series_ends
from server.storage.tables import EnrolmentRow, PeerInvitationRow, SeriesRow, StaffRow
from server.volunteering.invitation_rules import (
    VALID_FOR,
    InvitationStatus,
    alias_gives_away,
    may_invite,
    shown_status,
    stands,
)


@dataclass(frozen=True)
class Acceptance:
    """What the parent chose: ``login`` is an e-mail address or a login name."""

    real_name: str
    alias: str
    login: str
    password: str
    repeated: str


@dataclass(frozen=True)
class SeriesInvitations:
    """For the coordinator's series page: who may be invited, and each enrolment's latest
    invitation with its status as shown and, once accepted, the volunteer's alias."""

    invitable: frozenset[int]
    latest: dict[int, tuple[InvitationStatus, datetime, str | None]]


@dataclass(frozen=True)
class FormerParticipant:
    """Where a volunteer came from, for coordinators only."""

    series_id: int
    series_title: str
    pseudonym: str


async def _completed(
    db: AsyncSession, series: SeriesRow, rules: EvaluationRules, now: datetime
) -> frozenset[int]:
    """The enrolments that completed ``series``; none until the series has ended."""
    ends = await series_ends(db, [series.id])
    if series.status == "cancelled" or not ends or ends[series.id] > now:
        return frozenset()
    cohort = (await attendance_sheet(db, series.id, rules)).cohort()
    return completed_participants(cohort, rules.completion_share)


async def _of_enrolments(
    db: AsyncSession, enrolment_ids: list[int]
) -> dict[int, list[PeerInvitationRow]]:
    found: dict[int, list[PeerInvitationRow]] = {i: [] for i in enrolment_ids}
    rows = await db.scalars(
        select(PeerInvitationRow)
        .where(PeerInvitationRow.enrolment_id.in_(enrolment_ids))
        .order_by(PeerInvitationRow.created_at, PeerInvitationRow.id)
    )
    for row in rows:
        assert row.enrolment_id is not None
        found[row.enrolment_id].append(row)
    return found


async def in_series(
    db: AsyncSession,
    series: SeriesRow,
    enrolments: list[EnrolmentRow],
    rules: EvaluationRules,
    now: datetime,
) -> SeriesInvitations:
    completed = await _completed(db, series, rules, now)
    by_enrolment = await _of_enrolments(db, [e.id for e in enrolments])
    aliases = {
        row.id: row.alias
        for row in await db.scalars(
            select(StaffRow).where(
                StaffRow.id.in_(
                    [
                        i.volunteer_id
                        for rows in by_enrolment.values()
                        for i in rows
                        if i.volunteer_id
                    ]
                )
            )
        )
    }
    invitable = frozenset(
        e.id
        for e in enrolments
        if may_invite(
            e.id in completed,
            e.status,
            e.personal_data_deleted_at is not None,
            [(i.status, i.expires_at) for i in by_enrolment[e.id]],
            now,
        )
    )
    latest = {
        enrolment_id: (
            shown_status(rows[-1].status, rows[-1].expires_at, now),
            rows[-1].expires_at,
            aliases.get(rows[-1].volunteer_id) if rows[-1].volunteer_id else None,
        )
        for enrolment_id, rows in by_enrolment.items()
        if rows
    }
    return SeriesInvitations(invitable, latest)


async def invite(
    db: AsyncSession,
    org: Organisation,
    series_id: int,
    enrolment_id: int,
    by: int,
    rules: EvaluationRules,
    now: datetime,
) -> PeerInvitationRow:
    """Invite the enrolment's parent. Raises NOT_FOUND or PEER_INVITATION_NOT_ALLOWED."""
    enrolment = await enrolment_in_series(db, series_id, enrolment_id)
    completed = await _completed(db, enrolment.series, rules, now)
    earlier = (await _of_enrolments(db, [enrolment.id]))[enrolment.id]
    if not may_invite(
        enrolment.id in completed,
        enrolment.status,
        enrolment.personal_data_deleted_at is not None,
        [(i.status, i.expires_at) for i in earlier],
        now,
    ):
        raise TupaError(ErrorCode.PEER_INVITATION_NOT_ALLOWED)
    for old in earlier:  # an open one left unanswered past its time makes way for the new one
        if old.status == InvitationStatus.OPEN:
            old.status = InvitationStatus.EXPIRED.value
    await db.flush()
    row = PeerInvitationRow(
        enrolment_id=enrolment.id,
        series_id=series_id,
        program_id=enrolment.series.program_id,
        invited_by=by,
        status=InvitationStatus.OPEN.value,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    db.add(row)
    await db.flush()
    # Told on their page, and by e-mail while the address is still kept; never with a link that
    # would open the page, as every notice after the first.
    await tell(db, org, enrolment, NoticeKind.PEER_INVITED, now)
    return row


async def withdraw(db: AsyncSession, series_id: int, enrolment_id: int, now: datetime) -> None:
    """A coordinator takes back the enrolment's standing invitation. Raises NOT_FOUND or
    PEER_INVITATION_CLOSED."""
    enrolment = await enrolment_in_series(db, series_id, enrolment_id)
    if not await _close(db, enrolment, InvitationStatus.WITHDRAWN, now):
        raise TupaError(ErrorCode.PEER_INVITATION_CLOSED)


async def standing_for(
    db: AsyncSession, enrolment: EnrolmentRow, now: datetime
) -> PeerInvitationRow | None:
    """The invitation the parent can still answer, if any: none once their enrolment ended."""
    if enrolment.status != EnrolmentStatus.ENROLLED:
        return None
    row = await db.scalar(
        select(PeerInvitationRow).where(
            PeerInvitationRow.enrolment_id == enrolment.id,
            PeerInvitationRow.status == InvitationStatus.OPEN.value,
        )
    )
    return row if row is not None and stands(row.status, row.expires_at, now) else None


async def accepted_for(db: AsyncSession, enrolment: EnrolmentRow) -> bool:
    """Whether the parent has become a volunteer with an invitation of this enrolment."""
    found = await db.scalar(
        select(PeerInvitationRow.id).where(
            PeerInvitationRow.enrolment_id == enrolment.id,
            PeerInvitationRow.status == InvitationStatus.ACCEPTED.value,
        )
    )
    return found is not None


async def _close(
    db: AsyncSession,
    enrolment: EnrolmentRow,
    status: InvitationStatus,
    now: datetime,
    volunteer_id: int | None = None,
) -> bool:
    """Close the standing invitation with ``status``, once: a conditional UPDATE, so of two
    answers racing (two tabs, accept and refuse) exactly one wins on both databases."""
    result = await db.execute(
        update(PeerInvitationRow)
        .where(
            PeerInvitationRow.enrolment_id == enrolment.id,
            PeerInvitationRow.status == InvitationStatus.OPEN.value,
            PeerInvitationRow.expires_at > now,
        )
        .values(status=status.value, decided_at=now, volunteer_id=volunteer_id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


async def refuse(db: AsyncSession, enrolment: EnrolmentRow, now: datetime) -> None:
    """The parent says no. Raises PEER_INVITATION_CLOSED."""
    if not await _close(db, enrolment, InvitationStatus.REFUSED, now):
        raise TupaError(ErrorCode.PEER_INVITATION_CLOSED)


async def accept(
    db: AsyncSession, enrolment: EnrolmentRow, acceptance: Acceptance, now: datetime
) -> StaffRow:
    """Make the volunteer account and close the invitation. Raises PEER_INVITATION_CLOSED,
    INVALID_INPUT (field set; ``alias_is_pseudonym`` for the old pseudonym), PASSWORDS_DIFFER,
    PASSWORD_TOO_COMMON, EMAIL_TAKEN or LOGIN_NAME_TAKEN, having written nothing."""
    if await standing_for(db, enrolment, now) is None:
        raise TupaError(ErrorCode.PEER_INVITATION_CLOSED)
    if alias_gives_away(acceptance.alias, enrolment.pseudonym):
        raise TupaError(ErrorCode.INVALID_INPUT, field="alias_is_pseudonym")
    login = acceptance.login.strip()
    if not login:
        raise TupaError(ErrorCode.INVALID_INPUT, field="login")
    if acceptance.password != acceptance.repeated:
        raise TupaError(ErrorCode.PASSWORDS_DIFFER)
    new = people.NewStaff(
        email=login if is_email(login) else None,
        login_name=None if is_email(login) else login,
        real_name=acceptance.real_name,
        role=Role.VOLUNTEER,
        password=acceptance.password,
        alias=acceptance.alias,
    )
    try:
        staff = await people.create_staff(db, new, now)
    except TupaError as error:
        if error.params.get("field") == "email":  # the one login field said it
            raise TupaError(error.code, field="login") from None
        raise
    if not await _close(db, enrolment, InvitationStatus.ACCEPTED, now, volunteer_id=staff.id):
        await db.delete(staff)  # the other answer won the race: no account without invitation
        await db.flush()
        raise TupaError(ErrorCode.PEER_INVITATION_CLOSED)
    return staff


async def former_participants(db: AsyncSession) -> dict[int, FormerParticipant]:
    """By volunteer account: the series and pseudonym each came from, while the link lasts."""
    rows = await db.execute(
        select(
            PeerInvitationRow.volunteer_id, SeriesRow.id, SeriesRow.title, EnrolmentRow.pseudonym
        )
        .join(EnrolmentRow, EnrolmentRow.id == PeerInvitationRow.enrolment_id)
        .join(SeriesRow, SeriesRow.id == PeerInvitationRow.series_id)
        .where(
            PeerInvitationRow.status == InvitationStatus.ACCEPTED.value,
            PeerInvitationRow.volunteer_id.is_not(None),
        )
    )
    found: dict[int, FormerParticipant] = {}
    for volunteer_id, series_id, title, pseudonym in rows:
        if volunteer_id is not None:
            found[volunteer_id] = FormerParticipant(series_id, title, pseudonym)
    return found
