"""A write's answer leaves in the same turn as the message's delivery: the sender's ``ack`` goes out
in the same socket write as its own ``message`` frame, after it. At saturation that is one system
call fewer per message (issue 17: chat at saturation)."""

import json
from typing import Any

from tests.rooms.hub_support import Socket, an_open_room, until


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
