"""A socket that fails while its frames are encoded or written closes alone: every other connection
in the room, in the same turn of the event loop and after it, gets its frames."""

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

from server.people.roles import Role
from server.rooms.bus import MemoryBus
from server.rooms.connection import Connection, EndOfTurn, Phase
from server.rooms.frames import CloseCode
from server.rooms.hub import RoomHub
from server.rooms.limits import TokenBucket
from server.rooms.state import ParticipantRole
from server.rooms.store import Entrant
from server.scheduling import service as scheduling
from tests.factories import a_staff_member, enrol_parent, seed_series


class Socket:
    """What the hub sees of a WebSocket that can write frames itself; ``broken`` ones raise."""

    def __init__(self, broken: str = "") -> None:
        self.broken = broken  # "write" or "send": which of the two raises
        self.frames: list[dict[str, Any]] = []
        self.closed_with: int | None = None

    def write_now(self, data: bytes) -> bool:
        if self.broken == "write":
            raise OSError("the transport broke")
        self.frames.extend(json.loads(line) for line in data.decode().splitlines())
        return True

    async def send(self, text: str) -> None:
        if self.broken == "send":
            raise RuntimeError("the socket broke")
        self.frames.append(json.loads(text))

    async def close(self, code: int) -> None:
        self.closed_with = code

    def texts(self) -> list[str]:
        return [f["text"] for f in self.frames if f["type"] == "message"]


def encode(text: str) -> bytes:
    return text.encode() + b"\n"  # one JSON text a line: Socket.write_now splits them again


def problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def until(condition, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def a_hub_with_a_room(database, org, clock, parents: str):
    series_id = await seed_series(database, org, clock.now)
    links = {
        n: await enrol_parent(database, org, series_id, f"{n}-nimi", clock.now) for n in parents
    }
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with database.unit_of_work() as db:
        session = (await scheduling.get_series(db, series_id)).sessions[0]
    clock.now = session.starts_at - timedelta(minutes=5)
    hub = RoomHub(database, MemoryBus(), clock, timedelta(minutes=30), queue_size=64, org=org)
    hub.sockets.rate_per_second = hub.sockets.burst = 100_000
    hub.sockets.encode = encode
    await hub.start()

    async def enter(name: str, socket: Socket, direct: bool = True) -> Connection:
        if name == "F":
            entrant = Entrant(ParticipantRole.FACILITATOR, "Ohjaaja", series_id, staff_id=staff.id)
        else:
            enrolment_id = links[name].enrolment.id
            entrant = Entrant(ParticipantRole.PARENT, name, series_id, enrolment_id=enrolment_id)
        write_now = socket.write_now if direct else None
        conn = await hub.enter(session, entrant, None, socket.send, socket.close, str, write_now)
        assert isinstance(conn, Connection)
        return conn

    return hub, session, enter


async def test_a_socket_whose_write_raises_is_closed_alone_and_the_room_goes_on(
    database, org, clock, caplog
):
    caplog.set_level(logging.INFO)
    hub, session, enter = await a_hub_with_a_room(database, org, clock, "ABCD")
    try:
        sockets = {"F": Socket(), "A": Socket(), "B": Socket(), "C": Socket()}
        facilitator = await enter("F", sockets["F"])
        for frame in ('{"type":"open"}', '{"type":"lobby","enabled":false}'):
            await hub.receive(session.id, facilitator, frame)
        conns = {name: await enter(name, sockets[name]) for name in "ABC"}
        await until(lambda: all(s.frames for s in sockets.values()))
        sockets["B"].broken = "write"  # in the middle of the room's connections

        for i in range(3):  # each stored and delivered to everyone in one turn
            frame = json.dumps({"type": "send", "cid": f"m{i}", "text": f"viesti {i}"})
            await hub.receive(session.id, facilitator, frame)
        expected = ["viesti 0", "viesti 1", "viesti 2"]
        await until(lambda: sockets["C"].texts() == expected and sockets["A"].texts() == expected)
        await until(lambda: sockets["B"].closed_with is not None)
        assert sockets["B"].closed_with == CloseCode.RESYNC
        assert conns["B"].phase is Phase.CLOSED
        assert sockets["F"].texts() == expected
        assert conns["A"].phase is conns["C"].phase is Phase.READY

        # A newcomer is welcomed with the whole history, and the others still hear them.
        newcomer = Socket()
        await enter("D", newcomer)
        await until(lambda: any(f["type"] == "welcome" for f in newcomer.frames))
        welcome = next(f for f in newcomer.frames if f["type"] == "welcome")
        assert [e["text"] for e in welcome["events"] if e["type"] == "message"] == expected
        await hub.receive(session.id, conns["A"], '{"type":"send","cid":"a1","text":"tervetuloa"}')
        await until(lambda: newcomer.texts() == ["tervetuloa"])
        await until(lambda: sockets["C"].texts() == [*expected, "tervetuloa"])

        assert not problems(caplog)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) <= 1
        assert all("viesti" not in r.getMessage() for r in caplog.records)
    finally:
        await hub.stop()


async def test_a_socket_whose_send_raises_is_closed_alone(database, org, clock, caplog):
    """The queued path (no direct writes): the sender task stops and the socket is closed."""
    caplog.set_level(logging.INFO)
    hub, session, enter = await a_hub_with_a_room(database, org, clock, "AB")
    try:
        sockets = {"F": Socket(), "A": Socket(), "B": Socket()}
        facilitator = await enter("F", sockets["F"], direct=False)
        for frame in ('{"type":"open"}', '{"type":"lobby","enabled":false}'):
            await hub.receive(session.id, facilitator, frame)
        conns = {name: await enter(name, sockets[name], direct=False) for name in "AB"}
        await until(lambda: all(s.frames for s in sockets.values()))
        sockets["A"].broken = "send"

        await hub.receive(session.id, facilitator, '{"type":"send","cid":"x","text":"hei"}')
        await until(lambda: sockets["B"].texts() == ["hei"])
        await until(lambda: sockets["A"].closed_with is not None)
        assert conns["A"].phase is Phase.CLOSED
        assert not problems(caplog)
    finally:
        await hub.stop()


async def test_a_frame_that_cannot_be_encoded_closes_only_the_connections_it_was_for(caplog):
    """Encoding is per connection's transport: one that raises ends that connection, and the
    connections after it in the same turn are still written, in this turn and the next."""
    caplog.set_level(logging.INFO)
    end_of_turn = EndOfTurn()
    written: dict[str, list[bytes]] = {"a": [], "b": [], "c": []}
    closed: dict[str, int] = {}

    def connection(name: str, encoder) -> Connection:
        async def send(text: str) -> None:
            raise AssertionError("nothing should queue")

        async def close(code: int) -> None:
            closed[name] = code

        def write_now(data: bytes) -> bool:
            written[name].append(data)
            return True

        conn = Connection(
            f"peer-000{name}", send, close, str, 4, TokenBucket(), write_now, encoder, end_of_turn
        )
        conn.phase = Phase.READY
        return conn

    def strict(text: str) -> bytes:
        return text.encode()  # a lone surrogate cannot be encoded

    a, b, c = connection("a", strict), connection("b", strict), connection("c", strict)
    a.push("yksi")
    b.push("kaksi \ud800")
    c.push("kolme")
    await asyncio.sleep(0)
    assert written == {"a": [b"yksi"], "b": [], "c": [b"kolme"]}
    await until(lambda: "b" in closed)
    assert closed == {"b": CloseCode.RESYNC}
    for conn in (a, b, c):
        conn.push("neljä")
    await asyncio.sleep(0)
    assert written == {"a": [b"yksi", "neljä".encode()], "b": [], "c": [b"kolme", "neljä".encode()]}
    assert not problems(caplog)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "kaksi" not in warnings[0].getMessage()
