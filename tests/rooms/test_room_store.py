"""Writing a batch of room events: sequence numbers per room, values as stored, effects in order."""

from sqlalchemy import select

from server.rooms.state import EVERYONE, Audience, Event
from server.rooms.store import write_events
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
    return Event("message", {"peer": "aaaa", "text": text}, audience, True, "aaaa", cid)


async def test_a_batch_numbers_each_rooms_events_in_order(database, org, clock):
    first, second = await two_rooms(database, org, clock)
    typing = Event("hand", {"peer": "aaaa", "up": True}, EVERYONE, False, "aaaa")
    batch = [
        (second, [message("b1")]),
        (first, [message("a1", cid="c-1"), typing]),
        (second, [message("b2", to="bbbb"), message("b3")]),
        (first, [message("a2")]),
    ]
    async with database.unit_of_work() as db:
        stored = await write_events(db, batch, clock.now)

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
    deletion = Event("deleted", {"message": 1}, EVERYONE, True, "ffff")
    async with database.unit_of_work() as db:
        await write_events(db, [(room, [message("oops")]), (room, [deletion])], clock.now)
    async with database.unit_of_work() as db:
        row = await db.scalar(select(RoomEventRow).where(RoomEventRow.seq == 1))
    assert row is not None
    assert row.deleted_at == clock.now
    assert row.data == {"deleted": True}
