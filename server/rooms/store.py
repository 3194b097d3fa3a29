"""Room storage: rebuilding a room's state, memberships, presence, and whom an action concerns."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.access import AccessChange, AccessReason
from server.enrolment.service import is_banned as is_banned  # bans belong to enrolment now
from server.rooms.apply import apply
from server.rooms.events import Audience, Event, EventType
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState, RoomStatus
from server.scheduling.series import MediaMode
from server.storage.db import Database
from server.storage.idempotent import insert_unless_exists
from server.storage.tables import (
    ModerationLogRow,
    PresenceRow,
    RoomEventRow,
    RoomMemberRow,
    RoomRow,
    SeriesRow,
    SessionRow,
)


@dataclass(frozen=True)
class Entrant:
    """Who is arriving, as the access checks established it."""

    role: ParticipantRole
    name: str
    series_id: int
    enrolment_id: int | None = None
    staff_id: int | None = None
    staff_session_id: int | None = None  # the staff session whose cookie opened the socket


# A stored event's columns, in the order ``_event`` reads them.
_EVENT_COLUMNS = (
    RoomEventRow.seq,
    RoomEventRow.type,
    RoomEventRow.data,
    RoomEventRow.audience,
    RoomEventRow.actor,
    RoomEventRow.cid,
)


def _event(row: Sequence[Any]) -> Event:
    """A stored event as the room's rules read it, from a row of ``_EVENT_COLUMNS``."""
    seq, kind, data, audience, actor, cid = row
    return Event(EventType(kind), data, Audience.from_json(audience), actor, cid, seq)


async def load_state(db: AsyncSession, session: SessionRow, opens_before: timedelta) -> RoomState:
    """The room's state rebuilt from the database (its row is created on first use)."""
    await insert_unless_exists(db, RoomRow, ["session_id"], session_id=session.id)
    room = await db.get(RoomRow, session.id, populate_existing=True)
    assert room is not None
    state = RoomState(
        session_id=session.id,
        series_id=session.series_id,
        mode=MediaMode(session.media_mode),
        status=RoomStatus(room.status),
        locked=room.locked,
        slow_mode=room.slow_mode,
        lobby=room.lobby,
        volunteers_moderate=room.volunteers_moderate,
        questions_premoderated=room.questions_premoderated,
        identifying_held=bool(
            await db.scalar(
                select(SeriesRow.identifying_held).where(SeriesRow.id == session.series_id)
            )
        ),
        last_seq=room.last_seq,
        opens_at=session.starts_at - opens_before,
    )
    members = list(
        await db.scalars(select(RoomMemberRow).where(RoomMemberRow.session_id == session.id))
    )
    for row in members:
        state.members[row.peer] = Member(
            row.peer, row.name, ParticipantRole(row.role), MemberStatus(row.status), row.muted_until
        )
    events = await db.execute(
        select(*_EVENT_COLUMNS)
        .where(RoomEventRow.session_id == session.id)
        .order_by(RoomEventRow.seq)
    )
    for stored in events:
        apply(state, _event(stored))
    # Who may be here is kept in the membership rows, written by the same events' effects and by
    # actions outside the room's log since (a lifted ban): they have the last word.
    for row in members:
        member = state.members[row.peer]
        member.status = MemberStatus(row.status)
        member.muted_until = row.muted_until
    return state


async def membership(
    db: AsyncSession, session_id: int, entrant: Entrant, now: datetime
) -> RoomMemberRow:
    """The entrant's membership of this room, created with a fresh random peer id if new."""
    key = (
        RoomMemberRow.enrolment_id == entrant.enrolment_id
        if entrant.enrolment_id is not None
        else RoomMemberRow.staff_id == entrant.staff_id
    )
    query = select(RoomMemberRow).where(RoomMemberRow.session_id == session_id, key)
    row = await db.scalar(query)
    if row is not None:
        return row
    await insert_unless_exists(
        db,
        RoomMemberRow,
        ["session_id", "enrolment_id" if entrant.enrolment_id is not None else "staff_id"],
        session_id=session_id,
        peer=secrets.token_urlsafe(12),
        enrolment_id=entrant.enrolment_id,
        staff_id=entrant.staff_id,
        name=entrant.name,
        role=entrant.role.value,
        status=MemberStatus.LOBBY.value,
        created_at=now,
    )
    row = await db.scalar(query)  # ours, or the one another connection created at the same time
    assert row is not None
    return row


_ABOUT_A_QUESTION = frozenset({EventType.QUESTION.value, EventType.QUESTION_UPDATE.value})


async def replay(db: AsyncSession, state: RoomState, member: Member, after_seq: int) -> list[Event]:
    """Every lasting event after ``after_seq`` that ``member`` may see, oldest first (never cut:
    ``welcome.welcome_frames`` pages them).

    A deleted message comes back as a ``deleted`` event, never with its text (a settled held one
    not at all); a hidden question comes back only to its author and to moderators.
    """
    rows = await db.scalars(
        select(RoomEventRow)
        .where(RoomEventRow.session_id == state.session_id, RoomEventRow.seq > after_seq)
        .order_by(RoomEventRow.seq)
    )
    events: list[Event] = []
    for row in rows:
        audience = Audience.from_json(row.audience)
        if not state.can_see(member, audience):
            continue
        if row.type in _ABOUT_A_QUESTION and state.withholds_question(
            member, row.seq if row.type == EventType.QUESTION.value else row.data["question"]
        ):
            continue
        if row.deleted_at is not None and row.type == EventType.HELD.value:
            continue  # settled: its approval or rejection, replayed itself, says what became of it
        if row.deleted_at is not None:
            event = Event(EventType.DELETED, {"message": row.seq}, audience, None, None, row.seq)
        else:
            event = Event(EventType(row.type), row.data, audience, row.actor, row.cid, row.seq)
        events.append(event)
    return events


FILL_PAGE = 1000


async def stored_after(
    db: AsyncSession, session_id: int, after_seq: int, before_seq: int | None, limit: int
) -> list[Event]:
    """The room's stored events with ``after_seq < seq < before_seq``, oldest first, at most
    ``limit``: as ``load_state`` folds them (a deleted message redacted, marked ``deleted``)."""
    query = select(*_EVENT_COLUMNS).where(
        RoomEventRow.session_id == session_id, RoomEventRow.seq > after_seq
    )
    if before_seq is not None:
        query = query.where(RoomEventRow.seq < before_seq)
    rows = await db.execute(query.order_by(RoomEventRow.seq).limit(limit))
    return [_event(row) for row in rows]


def reader(
    database: Database, session_id: int, limit: int = FILL_PAGE
) -> Callable[[int, int | None], Awaitable[list[Event]]]:
    """What a room's runtime fills its gaps with: ``stored_after``, a page at a time."""

    async def read(after_seq: int, before_seq: int | None) -> list[Event]:
        async with database.unit_of_work() as db:
            return await stored_after(db, session_id, after_seq, before_seq, limit)

    return read


async def presence_began(db: AsyncSession, peer: str, now: datetime) -> int:
    """Record that a socket of ``peer`` is in the room from ``now``; returns the record id."""
    member_id = await db.scalar(select(RoomMemberRow.id).where(RoomMemberRow.peer == peer))
    assert member_id is not None
    row = PresenceRow(member_id=member_id, joined_at=now)
    db.add(row)
    await db.flush()
    return row.id


async def presence_ended(db: AsyncSession, presence_id: int, now: datetime) -> None:
    """Close a presence record when its socket leaves the room."""
    await db.execute(
        update(PresenceRow)
        .where(PresenceRow.id == presence_id, PresenceRow.left_at.is_(None))
        .values(left_at=now)
    )


async def member_by_peer(db: AsyncSession, peer: str) -> RoomMemberRow | None:
    return await db.scalar(select(RoomMemberRow).where(RoomMemberRow.peer == peer))


async def moderation_log(
    db: AsyncSession, series_id: int
) -> list[tuple[ModerationLogRow, SessionRow | None]]:
    """Every moderation action in the series, newest first, with its session (None for a ban
    given or lifted on the series page)."""
    rows = await db.execute(
        select(ModerationLogRow, SessionRow)
        .outerjoin(SessionRow, SessionRow.id == ModerationLogRow.session_id)
        .where(ModerationLogRow.series_id == series_id)
        .order_by(ModerationLogRow.created_at.desc(), ModerationLogRow.id.desc())
    )
    return [(log, session) for log, session in rows]


@dataclass(frozen=True)
class AccessTarget:
    """A room a committed change concerns, and the people in it the change is about."""

    session_id: int
    people: list[Member]  # as their memberships know them (a ban may find them only there)
    opens_at: datetime | None  # when the room opens now (for a moved session)


async def access_targets(
    db: AsyncSession, change: AccessChange, opens_before: timedelta
) -> list[AccessTarget]:
    """Which rooms a committed change reaches: its session, its series' sessions, or (for a
    staff account) every room the person has been in; with the memberships it is about."""
    where = []
    if change.session_id is not None:
        where.append(SessionRow.id == change.session_id)
    elif change.series_id is not None:
        where.append(SessionRow.series_id == change.series_id)
    if change.enrolment_id is not None:
        where.append(RoomMemberRow.enrolment_id == change.enrolment_id)
    elif change.staff_id is not None:
        where.append(RoomMemberRow.staff_id == change.staff_id)
        if change.reason is AccessReason.STAFF_SIGNED_OUT:
            # A logout is frequent: only the rooms the person is connected to now, not every
            # room they were ever in. (An instance that died leaves a presence open: harmless.)
            where.append(
                select(PresenceRow.id)
                .where(PresenceRow.member_id == RoomMemberRow.id, PresenceRow.left_at.is_(None))
                .exists()
            )
    else:  # the whole room: every session the change names
        if not where:
            return []
        rooms = await db.execute(select(SessionRow.id, SessionRow.starts_at).where(*where))
        return [AccessTarget(s, [], starts - opens_before) for s, starts in rooms]
    rows = await db.execute(
        select(RoomMemberRow, SessionRow.starts_at)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(*where)
        .order_by(RoomMemberRow.session_id, RoomMemberRow.id)
    )
    targets: dict[int, AccessTarget] = {}
    for row, starts in rows:
        target = targets.setdefault(
            row.session_id, AccessTarget(row.session_id, [], starts - opens_before)
        )
        role, status = ParticipantRole(row.role), MemberStatus(row.status)
        target.people.append(Member(row.peer, row.name, role, status))
    return list(targets.values())
