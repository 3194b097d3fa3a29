"""The room event log: numbering events and storing a batch of them in one transaction.

Chat events are the hot path: they only add rows, with statements compiled once per dialect.
Events with effects beyond the log have them written by ``projections`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

from server.organisation import Organisation
from server.rooms.events import ONLY_LOGGED, Audience, Event
from server.rooms.projections import effects
from server.storage.tables import (
    RoomEventRow,
    RoomRow,
)


async def write_events(
    db: AsyncSession, batch: list[tuple[int, list[Event]]], now: datetime, org: Organisation
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
                await effects(db, session_id, event, now, org)
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
