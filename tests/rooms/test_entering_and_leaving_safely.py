"""Entering and leaving a room survive a database that fails: a socket that leaves is detached and
shown offline at once, its attendance record closed once the database is back; a socket whose
entry fails is refused with RESYNC (to come back and resume) and leaves nothing behind."""

import logging

import pytest
from sqlalchemy import select

from server.rooms import store
from server.rooms.connection import Connection, Phase
from server.rooms.entry import Refusal
from server.rooms.frames import CloseCode
from server.storage.tables import PresenceRow
from tests.roomclient import a_room, connect
from tests.rooms.hub_support import Outage, Socket, an_open_room, problems, until
from tests.rooms.support import LoggedProblems, eventually

FAST_RETRIES = (0.05, 0.05, 0.05, 0.05)


async def _left_at(database, presence_id: int):
    async with database.unit_of_work() as db:
        return await db.scalar(select(PresenceRow.left_at).where(PresenceRow.id == presence_id))


async def test_a_socket_leaving_while_the_database_fails_is_detached_and_shown_offline_at_once(
    database, org, clock, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "AB")
    try:
        hub, a = room.hub, room.conns["A"]
        hub.presence.retry_seconds = FAST_RETRIES
        presence_ended = Outage(store.presence_ended)
        monkeypatch.setattr("server.rooms.store.presence_ended", presence_ended)
        presence_ended.down = True
        peer, presence_id = a.peer, a.presence_id
        assert presence_id is not None

        await hub.leave(room.session.id, a)

        runtime = hub.rooms[room.session.id]
        assert peer not in runtime.connections
        assert not runtime.state.members[peer].online

        def offline_to(name: str) -> bool:
            return room.sockets[name].of_type("presence", peer=peer)[-1]["online"] is False

        await until(lambda: offline_to("F") and offline_to("B"))
        await until(lambda: presence_ended.calls >= 2)  # retried
        assert await _left_at(database, presence_id) is None

        presence_ended.down = False  # the database is back: the record is closed
        await until(lambda: not hub.presence.busy)
        assert await _left_at(database, presence_id) is not None
        assert not problems(caplog)
    finally:
        await room.hub.stop()


async def test_the_last_sockets_leaving_while_the_database_fails_unload_the_room(
    database, org, clock, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "A")
    try:
        hub = room.hub
        hub.presence.retry_seconds = FAST_RETRIES
        presence_ended = Outage(store.presence_ended)
        monkeypatch.setattr("server.rooms.store.presence_ended", presence_ended)
        presence_ended.down = True
        for name in "AF":
            await hub.leave(room.session.id, room.conns[name])
        assert room.session.id not in hub.rooms
        await until(lambda: not hub.presence.busy)  # given up: one warning, no traceback
        assert not problems(caplog)
        assert any("attendance record stays open" in r.getMessage() for r in caplog.records)
    finally:
        await room.hub.stop()


@pytest.mark.parametrize("failing", ["membership", "arrival"])
async def test_a_socket_whose_entry_fails_is_refused_with_resync_and_leaves_nothing_behind(
    database, org, clock, caplog, monkeypatch, failing
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "A", present="")
    try:
        hub = room.hub
        if failing == "membership":
            outage = Outage(store.membership)
            monkeypatch.setattr("server.rooms.store.membership", outage)
        else:
            outage = Outage(hub.writer.write)  # the arrival is stored through the writer
            monkeypatch.setattr(hub.writer, "write", outage)
        outage.down = True

        refused = await room.enter("A")
        assert refused == Refusal(CloseCode.RESYNC)
        runtime = hub.rooms[room.session.id]
        assert list(runtime.connections) == [room.conns["F"].peer]
        online = [peer for peer, member in runtime.state.members.items() if member.online]
        assert online == [room.conns["F"].peer]
        assert not problems(caplog)

        outage.down = False  # the database is back: the client's next try gets in
        entered = await room.enter("A")
        assert isinstance(entered, Connection)
        await until(lambda: bool(room.sockets["A"].of_type("welcome")))
    finally:
        await room.hub.stop()


async def test_a_refused_entry_into_an_empty_room_does_not_keep_the_room_loaded(
    database, org, clock, caplog
):
    """Found by the state machine: a parent refused at a locked room that nobody was in left the
    room loaded (and following its bus channel) until somebody else came and went."""
    room = await an_open_room(database, org, clock, "A", present="")
    try:
        hub = room.hub
        await room.receive("F", type="lock", locked=True)
        await until(lambda: hub.rooms[room.session.id].state.locked)
        await hub.leave(room.session.id, room.conns["F"])
        assert room.session.id not in hub.rooms

        assert await room.enter("A") == Refusal(CloseCode.LOCKED)

        assert room.session.id not in hub.rooms
        assert not problems(caplog)
    finally:
        await room.hub.stop()


async def test_a_welcome_after_admission_that_fails_closes_the_socket_to_resume(
    database, org, clock, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "A", present="")
    try:
        await room.receive("F", type="lobby", enabled=True)
        waiting = Socket()
        conn = await room.enter("A", waiting)
        assert isinstance(conn, Connection) and conn.phase is Phase.LOBBY
        replay = Outage(store.replay)
        monkeypatch.setattr("server.rooms.store.replay", replay)
        replay.down = True

        await room.receive("F", type="admit", peer=conn.peer)
        await until(lambda: waiting.closed_with is not None)
        assert waiting.closed_with == CloseCode.RESYNC
        await until(lambda: not room.hub.busy)
        assert not problems(caplog)
    finally:
        await room.hub.stop()


async def test_clients_that_close_before_or_right_after_hello_write_no_traceback(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock)
    with LoggedProblems() as logged:
        for hello in (True, False):
            for abrupt in (True, False):
                for who in ("staff", "parent"):
                    if who == "staff":
                        client = await connect(
                            live_server, room.session_id, cookies=room.facilitator, hello=hello
                        )
                    else:
                        link = room.parent_links["Mustikka"]
                        client = await connect(live_server, room.session_id, link=link, hello=hello)
                    if abrupt:
                        client.ws.transport.abort()  # no close frame: the connection just ends
                    else:
                        await client.ws.close()
        # Everyone who came is gone again, and a newcomer is served as usual.
        facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
        await facilitator.expect("welcome")
        await eventually(lambda: len(live_server.app.state.hub.rooms) <= 1)
        hub = live_server.app.state.hub
        await eventually(lambda: sum(len(r.local()) for r in hub.rooms.values()) == 1)
        await facilitator.close()
    assert not logged.records, [r.getMessage() for r in logged.records]
