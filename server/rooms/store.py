"""Room storage: rebuilding a room's state, memberships, and writing events with their effects."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

from server.access import AccessChange
from server.enrolment.bans import ban
from server.enrolment.service import is_banned as is_banned  # bans belong to enrolment now
from server.organisation import Organisation
from server.rooms.events import ONLY_LOGGED, Audience, Event, EventType
from server.rooms.state import (
    ENDS_ROOM,
    Member,
    MemberStatus,
    ParticipantRole,
    RoomState,
    RoomStatus,
    apply,
)
from server.scheduling.series import MediaMode
from server.settings import get_settings
from server.storage.idempotent import insert_unless_exists
from server.storage.tables import (
    ModerationLogRow,
    PresenceRow,
    RoomEventRow,
    RoomMemberRow,
    RoomRow,
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
        select(
            RoomEventRow.seq,
            RoomEventRow.type,
            RoomEventRow.data,
            RoomEventRow.audience,
            RoomEventRow.actor,
            RoomEventRow.cid,
        )
        .where(RoomEventRow.session_id == session.id)
        .order_by(RoomEventRow.seq)
    )
    for seq, kind, data, audience, actor, cid in events:
        apply(state, Event(EventType(kind), data, Audience.from_json(audience), actor, cid, seq))
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


async def write_events(
    db: AsyncSession, batch: list[tuple[int, list[Event]]], now: datetime
) -> list[list[Event]]:
    """Store the events of several rooms (lasting ones get each room's next sequence numbers)
    with their effects, in one transaction; returns each job's events as stored.

    The UPDATE that hands out a room's sequence numbers also takes that room row's lock, so the
    numbers are ordered across instances and commit in that order. Rooms are updated in key
    order, the same order in every instance's batches, so two instances never deadlock.
    """
    wanted = sequence_counts(batch)
    connection = await db.connection()
    statements = BatchStatements.for_dialect(connection.dialect)
    next_seq: dict[int, int] = {}
    if wanted:
        rooms = sorted(wanted)
        await connection.exec_driver_sql(
            statements.take_seq, [statements.take_seq_params(wanted[r], r) for r in rooms]
        )
        result = await connection.execute(_LAST_SEQ, {"rooms": rooms})
        for session_id, last in result:
            next_seq[session_id] = last - wanted[session_id] + 1
        assert len(next_seq) == len(wanted), "a room row is missing"
    stored_batch: list[list[Event]] = []
    rows = statements.rows(now, next_seq)
    for session_id, events in batch:
        stored: list[Event] = []
        for event in events:
            event = rows.add(session_id, event)
            stored.append(event)
            if event.type not in ONLY_LOGGED:
                # Effects may touch rows inserted earlier in this batch (a deletion of a
                # message sent a moment before), so those go in first.
                if earlier := rows.take():
                    await connection.exec_driver_sql(statements.insert_event, earlier)
                await _effects(db, session_id, event, now)
        stored_batch.append(stored)
    if remaining := rows.take():
        await connection.exec_driver_sql(statements.insert_event, remaining)
    return stored_batch


def sequence_counts(batch: list[tuple[int, list[Event]]]) -> dict[int, int]:
    """How many sequence numbers each room of a batch takes: one per lasting event."""
    wanted: dict[int, int] = {}
    for session_id, events in batch:
        lasting = sum(1 for e in events if e.lasting)
        if lasting:
            wanted[session_id] = wanted.get(session_id, 0) + lasting
    return wanted


def only_logged(batch: list[tuple[int, list[Event]]]) -> bool:
    """Whether the batch's events change nothing but the event log (the hot path: chat)."""
    return all(e.type in ONLY_LOGGED for _, events in batch for e in events)


ROOM_EVENTS = RoomEventRow.metadata.tables["room_events"]
ROOMS = RoomRow.metadata.tables["rooms"]

_LAST_SEQ = select(ROOMS.c.session_id, ROOMS.c.last_seq).where(
    ROOMS.c.session_id.in_(bindparam("rooms", expanding=True))
)
_EVENT_COLUMNS = ("session_id", "seq", "type", "data", "audience", "actor", "cid", "created_at")


class BatchStatements:
    """The statements a busy room runs for every message, compiled once per dialect.

    A flush of hundreds of messages then costs one driver ``executemany`` per statement and a
    tuple per row: no SQL compilation and no per-row statement machinery. Values still pass
    through the columns' own bind processors (JSON, UTC timestamps), so they are stored exactly
    as the ORM would store them.
    """

    _compiled: ClassVar[dict[str, BatchStatements]] = {}

    def __init__(self, dialect: Dialect) -> None:
        take = (
            update(ROOMS)
            .where(ROOMS.c.session_id == bindparam("room"))
            .values(last_seq=ROOMS.c.last_seq + bindparam("count"))
        )
        take_seq = take.compile(dialect=dialect)
        self.take_seq = str(take_seq)
        self._take_seq_order = _positions(take_seq, ("count", "room"))
        # The same, answering with the room's new last number (PostgreSQL, SQLite >= 3.35);
        # take_seq_params serves both, so their parameters must come in the same order.
        take_seq_returning = take.returning(ROOMS.c.last_seq).compile(dialect=dialect)
        self.take_seq_returning = str(take_seq_returning)
        if _positions(take_seq_returning, ("count", "room")) != self._take_seq_order:
            raise RuntimeError(f"unexpected parameter order in {self.take_seq_returning!r}")
        insert_event = insert(ROOM_EVENTS).compile(dialect=dialect, column_keys=_EVENT_COLUMNS)
        self.insert_event = str(insert_event)
        order = _positions(insert_event, _EVENT_COLUMNS)
        if order != tuple(range(len(_EVENT_COLUMNS))):
            raise RuntimeError(f"unexpected parameter order in {self.insert_event!r}")
        processors = [
            ROOM_EVENTS.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in _EVENT_COLUMNS
        ]
        self._data, self._audience, self._created = (
            processors[3] or _same,
            processors[4] or _same,
            processors[7] or _same,
        )
        self._audiences: dict[Audience, object] = {}

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> BatchStatements:
        compiled = cls._compiled.get(dialect.name)
        if compiled is None:
            compiled = cls._compiled[dialect.name] = cls(dialect)
        return compiled

    def take_seq_params(self, count: int, room: int) -> tuple[int, int]:
        return (count, room) if self._take_seq_order == (0, 1) else (room, count)

    def rows(self, now: datetime, next_seq: dict[int, int]) -> BatchRows:
        """The rows of a batch stored at ``now``, numbered on from each room's ``next_seq``."""
        return BatchRows(self._data, self.stored_audience, self._created(now), next_seq)

    def stored_audience(self, audience: Audience) -> object:
        # Most events go to everyone, the moderators or a pair of people: a handful of values
        # per room, each encoded once.
        stored = self._audiences.get(audience)
        if stored is None:
            if len(self._audiences) >= _REMEMBERED_AUDIENCES:
                self._audiences.clear()
            stored = self._audiences[audience] = self._audience(audience.to_json())
        return stored


class BatchRows:
    """The rows of one batch: each lasting event gets its room's next number and a row.

    The time, processed once, is the same for all of them.
    """

    __slots__ = ("_audience", "_created", "_data", "_next_seq", "_rows")

    def __init__(
        self,
        data: Callable[[Any], object],
        audience: Callable[[Audience], object],
        created: object,
        next_seq: dict[int, int],
    ) -> None:
        self._data = data
        self._audience = audience
        self._created = created
        self._next_seq = next_seq
        self._rows: list[tuple[object, ...]] = []

    def add(self, session_id: int, event: Event) -> Event:
        """The event as stored: numbered, with its row kept for insertion, if it lasts."""
        if not event.lasting:
            return event
        seq = self._next_seq[session_id]
        self._next_seq[session_id] = seq + 1
        event = event.with_seq(seq)
        self._rows.append(
            (
                session_id,
                seq,
                event.type,
                self._data(event.data),
                self._audience(event.audience),
                event.actor,
                event.cid,
                self._created,
            )
        )
        return event

    def take(self) -> list[tuple[object, ...]]:
        """The rows kept since the last call, in the insert statement's column order."""
        rows, self._rows = self._rows, []
        return rows


_REMEMBERED_AUDIENCES = 4096


def _positions(compiled: SQLCompiler, names: tuple[str, ...]) -> tuple[int, ...]:
    """Where each named parameter sits in a compiled positional statement."""
    order = list(compiled.positiontup or ())
    if sorted(order) != sorted(names):
        raise RuntimeError(f"unexpected parameters {order} in {compiled}")
    return tuple(order.index(name) for name in names)


def _same(value: object) -> object:
    return value


async def _effects(db: AsyncSession, session_id: int, event: Event, now: datetime) -> None:
    """What an event changes beyond the event log: memberships, bans, settings, the log."""
    data = event.data
    if event.type in (EventType.MEMBER, EventType.STATUS):
        values: dict[str, object] = {"status": data["status"]}
        if data["status"] == MemberStatus.ADMITTED.value:
            values["admitted_at"] = now
        await db.execute(
            update(RoomMemberRow).where(RoomMemberRow.peer == data["peer"]).values(**values)
        )
        if event.type is EventType.STATUS:
            await _log(db, session_id, event, f"lobby_{data['status']}", data["peer"], now)
    elif event.type is EventType.DELETED:
        author = await db.scalar(  # whose message it was: the log names them, never the text
            select(RoomEventRow.actor).where(
                RoomEventRow.session_id == session_id, RoomEventRow.seq == data["message"]
            )
        )
        await _redact(db, session_id, data["message"], now)
        await _log(db, session_id, event, "deleted_message", author, now)
    elif event.type is EventType.MODERATION:
        await _moderation_effects(db, session_id, event, now)
    elif event.type is EventType.ROOM:
        await _room_effects(db, session_id, event, now)
    elif event.type is EventType.REPORT:
        await _log(db, session_id, event, "report", None, now, {"message": data["message"]})
    elif event.type is EventType.MEDIA_MODERATION:
        for action in data["actions"]:
            await _log(db, session_id, event, action, data["peer"], now)
    elif event.type is EventType.ACCESS:
        await _access_effects(db, session_id, event)


async def _access_effects(db: AsyncSession, session_id: int, event: Event) -> None:
    """Keep the rows a room is loaded from in step with what ``apply`` did with the change.

    The action itself (the ban, the cancelled session) was committed by its service already.
    """
    reason = event.data["reason"]
    if reason in ENDS_ROOM:
        await db.execute(
            update(RoomRow)
            .where(RoomRow.session_id == session_id)
            .values(status=RoomStatus.ENDED.value)
        )
        return
    peer = event.data.get("peer")
    if reason == "banned":
        await db.execute(
            update(RoomMemberRow)
            .where(RoomMemberRow.peer == peer)
            .values(status=MemberStatus.BANNED.value)
        )
    elif reason == "unbanned":
        await db.execute(
            update(RoomMemberRow)
            .where(RoomMemberRow.peer == peer, RoomMemberRow.status == MemberStatus.BANNED.value)
            .values(status=MemberStatus.REMOVED.value)
        )


async def _redact(db: AsyncSession, session_id: int, seq: int, now: datetime) -> None:
    """Drop a deleted message's text from storage, keeping what the room's state is built from
    (who wrote it, when, to whom); a question's text also goes from the updates that carried it."""
    row = await db.scalar(
        select(RoomEventRow).where(RoomEventRow.session_id == session_id, RoomEventRow.seq == seq)
    )
    if row is None:
        return
    row.data = {**_without_text(row.data), "deleted": True}
    row.deleted_at = now
    if row.type != EventType.QUESTION:
        return
    updates = await db.scalars(
        select(RoomEventRow).where(
            RoomEventRow.session_id == session_id,
            RoomEventRow.type == EventType.QUESTION_UPDATE.value,
            RoomEventRow.seq > seq,
        )
    )
    for update_row in updates:
        asked = update_row.data.get("asked")
        if update_row.data.get("question") == seq and isinstance(asked, dict):
            update_row.data = {**update_row.data, "asked": _without_text(asked)}


def _without_text(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "text"}


async def _moderation_effects(
    db: AsyncSession, session_id: int, event: Event, now: datetime
) -> None:
    data = event.data
    action = data["action"]
    target = await db.scalar(select(RoomMemberRow).where(RoomMemberRow.peer == data["peer"]))
    assert target is not None
    if action == "muted":
        target.muted_until = datetime.fromisoformat(data["until"]) if data["until"] else None
    elif action == "removed":
        target.status = MemberStatus.REMOVED.value
    elif action == "banned":
        target.status = MemberStatus.BANNED.value
        session = await db.get(SessionRow, session_id)
        assert session is not None and target.enrolment_id is not None
        # The enrolment feature owns bans: it ends the enrolment and frees the seat. The room
        # logs the action itself just below, and its event reaches every instance on the bus.
        # TODO(lead): pass the app's Organisation down.
        by = await db.scalar(select(RoomMemberRow.name).where(RoomMemberRow.peer == event.actor))
        org = Organisation.from_settings(get_settings())
        series_id, enrolment_id = session.series_id, target.enrolment_id
        await ban(db, org, series_id, enrolment_id, now, by or "?", session_id, by_room=True)
    detail = {"until": data["until"]} if action == "muted" else {}
    await _log(db, session_id, event, action, data["peer"], now, detail)


async def _room_effects(db: AsyncSession, session_id: int, event: Event, now: datetime) -> None:
    data = event.data
    room = await db.get(RoomRow, session_id)
    assert room is not None
    changed = {
        key: data[key]
        for key in ("locked", "slow_mode", "lobby", "volunteers_moderate")
        if getattr(room, key) != data[key]
    }
    if data["status"] != room.status:
        changed["status"] = data["status"]
        if data["status"] == RoomStatus.OPEN.value:
            room.opened_at = now
        elif data["status"] == RoomStatus.ENDED.value:
            room.ended_at = now
    for key, value in changed.items():
        setattr(room, key, value)
    for key, value in changed.items():
        action = f"room_{data['status']}" if key == "status" else key
        await _log(db, session_id, event, action, None, now, {"value": value})


async def _log(
    db: AsyncSession,
    session_id: int,
    event: Event,
    action: str,
    target_peer: str | None,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    names = {}
    peers = [p for p in (event.actor, target_peer) if p]
    if peers:
        rows = await db.execute(
            select(RoomMemberRow.peer, RoomMemberRow.name, RoomMemberRow.role).where(
                RoomMemberRow.peer.in_(peers)
            )
        )
        names = {peer: (name, role) for peer, name, role in rows}
    session = await db.get(SessionRow, session_id)
    assert session is not None
    actor_name, actor_role = names.get(event.actor or "", ("?", "?"))
    db.add(
        ModerationLogRow(
            series_id=session.series_id,
            session_id=session_id,
            actor_name=actor_name,
            actor_role=actor_role,
            action=action,
            target_name=names.get(target_peer or "", (None, None))[0],
            detail=detail or {},
            created_at=now,
        )
    )


async def replay(
    db: AsyncSession, state: RoomState, member: Member, after_seq: int, limit: int = 1000
) -> list[Event]:
    """The lasting events after ``after_seq`` that ``member`` may see, oldest first.

    A deleted message comes back as a ``deleted`` event, never with its text.
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
        if row.deleted_at is not None:
            event = Event(EventType.DELETED, {"message": row.seq}, audience, None, None, row.seq)
        else:
            event = Event(EventType(row.type), row.data, audience, row.actor, row.cid, row.seq)
        events.append(event)
    return events[-limit:]


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
    peers: list[str]
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
    else:  # the whole room: every session the change names
        if not where:
            return []
        rooms = await db.execute(select(SessionRow.id, SessionRow.starts_at).where(*where))
        return [AccessTarget(s, [], starts - opens_before) for s, starts in rooms]
    rows = await db.execute(
        select(RoomMemberRow.session_id, RoomMemberRow.peer, SessionRow.starts_at)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(*where)
        .order_by(RoomMemberRow.session_id)
    )
    targets: dict[int, AccessTarget] = {}
    for session_id, peer, starts in rows:
        target = targets.setdefault(session_id, AccessTarget(session_id, [], starts - opens_before))
        target.peers.append(peer)
    return list(targets.values())
