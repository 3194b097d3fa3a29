"""A write's answer leaves in the same turn as the message's delivery: the sender's ``ack`` goes out
in the same socket write as its own ``message`` frame, after it. At saturation that is one system
call fewer per message (issue 17: chat at saturation)."""

import asyncio
import json
from typing import Any

import pytest

from server.rooms import protocol
from tests.rooms.hub_support import Outage, Socket, an_open_room, until


class WritingSocket(Socket):
    """A socket whose frames the hub writes itself, one ``write_now`` call per turn; each call is
    kept as it came (one JSON text a line, see ``an_open_room``)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[list[dict[str, Any]]] = []

    def write_now(self, data: bytes) -> bool:
        frames = [json.loads(line) for line in data.decode().splitlines()]
        self.writes.append(frames)
        self.frames.extend(frames)
        return True


async def test_a_senders_ack_leaves_in_the_same_write_as_its_own_message(database, org, clock):
    room = await an_open_room(database, org, clock, "AB", present="")
    try:
        for name in "AB":
            await room.enter(name, WritingSocket())
        await until(lambda: all(s.of_type("welcome") for s in room.sockets.values()))
        sender = room.sockets["A"]
        assert isinstance(sender, WritingSocket)

        for i in range(3):
            await room.receive("A", type="send", cid=f"c{i}", text=f"viesti {i}")
        await until(lambda: len(room.sockets["B"].of_type("message")) == 3)

        for i in range(3):
            [seq] = await room.stored(f"c{i}")
            [write] = [w for w in sender.writes if any(f.get("cid") == f"c{i}" for f in w)]
            kinds = [(f["type"], f.get("seq")) for f in write]
            assert kinds == [("message", seq), ("ack", seq)]
        assert [f["text"] for f in room.sockets["B"].of_type("message")] == [
            f"viesti {i}" for i in range(3)
        ]
    finally:
        await room.hub.stop()


async def test_every_write_still_waiting_past_its_answer_time_is_answered_and_lands_once(
    database, org, clock, monkeypatch
):
    """The deadlines share one timer: writes of two people that hang are each answered
    ``not_stored`` in time, a write after them still is, and their resends are acked once."""
    room = await an_open_room(database, org, clock, "AB")
    try:
        room.hub.sends.answer_seconds = 0.2
        writes = Outage(room.hub.writer.write)
        monkeypatch.setattr(room.hub.writer, "write", writes)
        writes.hold()
        first = [
            asyncio.create_task(room.receive(name, type="send", cid=f"{name}1", text="hei"))
            for name in "AB"
        ]
        await asyncio.wait_for(asyncio.gather(*first), 5)
        await room.receive("A", type="send", cid="A2", text="toinen")  # after the first sweep
        for name, cid in (("A", "A1"), ("B", "B1"), ("A", "A2")):
            [refused] = room.sockets[name].answers(cid)
            assert refused["code"] == "not_stored"

        writes.release()
        for name, cid in (("A", "A1"), ("B", "B1"), ("A", "A2")):
            await room.receive(name, type="send", cid=cid, text="hei")
            [seq] = await room.stored(cid)
            assert room.sockets[name].answers(cid)[1:] == [{"type": "ack", "cid": cid, "seq": seq}]
        assert room.hub.sends._in_flight == {}
    finally:
        await room.hub.stop()


async def test_a_write_whose_storing_fails_unforeseen_lets_its_socket_go_on(
    database, org, clock, monkeypatch
):
    """A bug in the room's rules for a write reaches the socket's loop (which logs it) instead of
    leaving the socket waiting for its answer time; the next write is acked."""
    room = await an_open_room(database, org, clock, "A")
    try:
        real = protocol.decide

        def broken(*args: object) -> None:
            raise ZeroDivisionError

        monkeypatch.setattr(protocol, "decide", broken)
        with pytest.raises(ZeroDivisionError):
            await asyncio.wait_for(room.receive("A", type="send", cid="c1", text="hei"), 2)
        monkeypatch.setattr(protocol, "decide", real)
        await room.receive("A", type="send", cid="c2", text="hei")
        [seq] = await room.stored("c2")
        assert room.sockets["A"].answers("c2") == [{"type": "ack", "cid": "c2", "seq": seq}]
        assert room.hub.sends._in_flight == {}
    finally:
        await room.hub.stop()
