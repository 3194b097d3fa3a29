"""A loaded room keeps in memory only what its rules need, whatever its length: recent messages'
authors and cids (older ones come back from the database when a rule needs them), and the hub lets
go of a room once it empties."""

import gc
import weakref
from datetime import UTC, datetime, timedelta

from server.rooms import store
from server.rooms.apply import apply
from server.rooms.events import EVERYONE, Event, EventType
from server.rooms.state import MAX_REMEMBERED_CIDS, MESSAGE_WINDOW, RoomState
from server.scheduling.series import MediaMode
from tests.rooms.hub_support import an_open_room, problems, until


def test_a_room_with_many_messages_keeps_a_bounded_number_of_them_in_memory():
    state = RoomState(session_id=1, series_id=1, mode=MediaMode.CHAT)
    at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    count = 10 * (MESSAGE_WINDOW + MAX_REMEMBERED_CIDS)
    for seq in range(1, count + 1):
        data = {"peer": "p1", "name": "A", "role": "parent", "text": "hei", "at": at}
        apply(state, Event(EventType.MESSAGE, data, EVERYONE, "p1", f"c{seq}", seq))

    assert state.last_seq == count
    assert len(state.messages) < 2 * MESSAGE_WINDOW
    assert len(state.cids) < 2 * MAX_REMEMBERED_CIDS
    assert set(range(count - MESSAGE_WINDOW + 1, count + 1)) <= set(state.messages)
    assert state.cids[("p1", f"c{count}")] == count


async def test_a_message_older_than_the_room_remembers_is_still_deleted_and_reported(
    database, org, clock, caplog, monkeypatch
):
    monkeypatch.setattr("server.rooms.state.MESSAGE_WINDOW", 2)
    room = await an_open_room(database, org, clock, "AB")
    try:
        for n in range(8):
            await room.receive("A", type="send", cid=f"c{n}", text=f"viesti {n}")
        [first] = await room.stored("c0")
        state = room.hub.rooms[room.session.id].state
        assert first not in state.messages  # forgotten: read back when a rule needs it

        await room.receive("B", type="report", seq=first, reason="asiaton")
        await room.receive("F", type="delete", seq=first)
        await until(lambda: bool(room.sockets["B"].of_type("deleted", message=first)))
        await room.receive("F", type="delete", seq=first)  # once is enough
        await until(lambda: bool(room.sockets["F"].of_type("error", code="unknown_message")))

        assert room.sockets["F"].of_type("report", message=first)
        assert not room.sockets["B"].of_type("error")
        async with database.unit_of_work() as db:
            rebuilt = await store.load_state(db, room.session, timedelta(minutes=30))
        assert rebuilt.durable() == state.durable()
        assert not problems(caplog)
    finally:
        await room.hub.stop()


async def test_the_hub_lets_go_of_a_room_once_everyone_has_left(database, org, clock):
    room = await an_open_room(database, org, clock, "A")
    try:
        for n in range(20):
            await room.receive("A", type="send", cid=f"c{n}", text=f"viesti {n}")
        runtime = weakref.ref(room.hub.rooms[room.session.id])
        state = weakref.ref(room.hub.rooms[room.session.id].state)

        for conn in room.conns.values():
            await room.hub.leave(room.session.id, conn)
        await until(lambda: not room.hub.busy)
        gc.collect()

        assert room.session.id not in room.hub.rooms
        assert runtime() is None
        assert state() is None
    finally:
        await room.hub.stop()
