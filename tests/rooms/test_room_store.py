"""Writing a batch of room events: sequence numbers per room, values as stored, effects in order."""

import asyncio

import pytest
from sqlalchemy import select

from server.rooms.event_log import write_events
from server.rooms.events import EVERYONE, Audience, Event, EventType
from server.rooms.sqlite_log import SqliteEventLog
from server.storage.tables import RoomEventRow, RoomRow, SessionRow
from tests.factories import seed_series


async def two_rooms(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    async with database.unit_of_work() as db:
        sessions = list(
            await db.scalars(
                select(SessionRow.id)
                .where(SessionRow.series_id == series_id)
                .order_by(SessionRow.id)
            )
        )[:2]
        for session_id in sessions:
            db.add(RoomRow(session_id=session_id, status="open", lobby=False))
    return sessions


def message(text, cid=None, to=None):
    audience = Audience(peers=frozenset({"aaaa", to})) if to else EVERYONE
    return Event(EventType.MESSAGE, {"peer": "aaaa", "text": text}, audience, "aaaa", cid)


async def test_a_batch_numbers_each_rooms_events_in_order(database, org, clock):
    first, second = await two_rooms(database, org, clock)
    typing = Event(EventType.HAND, {"peer": "aaaa", "up": True}, EVERYONE, "aaaa")
    batch = [
        (second, [message("b1")]),
        (first, [message("a1", cid="c-1"), typing]),
        (second, [message("b2", to="bbbb"), message("b3")]),
        (first, [message("a2")]),
    ]
    async with database.unit_of_work() as db:
        stored = await write_events(db, batch, clock.now, org)

    assert [[e.seq for e in job] for job in stored] == [[1], [1, None], [2, 3], [2]]
    async with database.unit_of_work() as db:
        rows = list(await db.scalars(select(RoomEventRow).order_by(RoomEventRow.id)))
        last = {r.session_id: r.last_seq for r in await db.scalars(select(RoomRow))}
    assert last == {first: 2, second: 3}
    assert [(r.session_id, r.seq, r.data["text"]) for r in rows] == [
        (second, 1, "b1"),
        (first, 1, "a1"),
        (second, 2, "b2"),
        (second, 3, "b3"),
        (first, 2, "a2"),
    ]
    assert rows[1].cid == "c-1"
    assert rows[1].created_at == clock.now  # an aware UTC time, as the ORM would store it
    assert Audience.from_json(rows[2].audience) == Audience(peers=frozenset({"aaaa", "bbbb"}))


async def test_a_message_deleted_in_the_same_batch_is_stored_deleted(database, org, clock):
    room, _other = await two_rooms(database, org, clock)
    deletion = Event(EventType.DELETED, {"message": 1}, EVERYONE, "ffff")
    async with database.unit_of_work() as db:
        await write_events(db, [(room, [message("oops")]), (room, [deletion])], clock.now, org)
    async with database.unit_of_work() as db:
        row = await db.scalar(select(RoomEventRow).where(RoomEventRow.seq == 1))
    assert row is not None
    assert row.deleted_at == clock.now
    # The text is gone; who wrote it stays, for the room's state to be rebuilt from.
    assert row.data == {"peer": "aaaa", "deleted": True}


# --- SQLite's one-trip log (the hot path for chat on the embedded database) ------------------


# Quotes, backslashes, newlines and emoji: stored as they were sent.
TRICKY = 'she said "no" \\ then\nleft 👋 ä'


async def test_the_sqlite_log_stores_a_batch_as_the_orm_would(sqlite_database, org, clock):
    first, second = await two_rooms(sqlite_database, org, clock)
    log = sqlite_log(sqlite_database)
    typing = Event(EventType.HAND, {"peer": "aaaa", "up": True}, EVERYONE, "aaaa")
    batch = [
        (second, [message("b1")]),
        (first, [message("a1", cid="c-1"), typing]),
        (second, [message("b2", to="bbbb"), message(TRICKY)]),
    ]
    try:
        stored = await log.write(batch, clock.now)
    finally:
        await log.close()

    assert [[e.seq for e in job] for job in stored] == [[1], [1, None], [2, 3]]
    async with sqlite_database.unit_of_work() as db:
        rows = list(await db.scalars(select(RoomEventRow).order_by(RoomEventRow.id)))
        last = {r.session_id: r.last_seq for r in await db.scalars(select(RoomRow))}
    assert last == {first: 1, second: 3}
    assert [(r.session_id, r.seq, r.data["text"]) for r in rows] == [
        (second, 1, "b1"),
        (first, 1, "a1"),
        (second, 2, "b2"),
        (second, 3, TRICKY),
    ]
    assert rows[1].cid == "c-1"
    assert rows[1].created_at == clock.now
    assert rows[0].actor == "aaaa" and rows[0].type == "message" and rows[0].cid is None
    assert Audience.from_json(rows[2].audience) == Audience(peers=frozenset({"aaaa", "bbbb"}))


async def test_two_sqlite_logs_on_one_file_never_hand_out_a_number_twice(
    sqlite_database, org, clock
):
    """Two processes on one SQLite file: each takes its numbers inside its own write lock."""
    room, _other = await two_rooms(sqlite_database, org, clock)
    logs = [sqlite_log(sqlite_database), sqlite_log(sqlite_database)]

    async def send(log, n):
        numbers = []
        for i in range(n):
            stored = await log.write([(room, [message(f"m{i}")])], clock.now)
            numbers.append(stored[0][0].seq)
        return numbers

    try:
        got = await asyncio.gather(send(logs[0], 30), send(logs[1], 30))
    finally:
        for log in logs:
            await log.close()
    assert sorted(got[0] + got[1]) == list(range(1, 61))
    assert got[0] == sorted(got[0]) and got[1] == sorted(got[1])


async def test_a_failed_sqlite_batch_stores_nothing_and_the_log_goes_on(
    sqlite_database, org, clock
):
    room, _other = await two_rooms(sqlite_database, org, clock)
    log = sqlite_log(sqlite_database)
    try:
        with pytest.raises(LookupError):
            await log.write([(room, [message("kept out")]), (999_999, [message("x")])], clock.now)
        stored = await log.write([(room, [message("after")])], clock.now)
    finally:
        await log.close()
    assert stored[0][0].seq == 1
    async with sqlite_database.unit_of_work() as db:
        texts = [r.data["text"] for r in await db.scalars(select(RoomEventRow))]
    assert texts == ["after"]


def test_only_a_file_database_gets_the_sqlite_log(sqlite_database):
    dialect = sqlite_database.engine.dialect
    assert SqliteEventLog.for_url(sqlite_database.url, dialect) is not None
    assert SqliteEventLog.for_url("sqlite+aiosqlite:///:memory:", dialect) is None
    assert SqliteEventLog.for_url("postgresql+asyncpg://x@localhost/y", dialect) is None


def sqlite_log(database):
    log = SqliteEventLog.for_url(database.url, database.engine.dialect)
    assert log is not None
    return log
