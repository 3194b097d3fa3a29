"""A slow consumer never stalls a room: the real hub, with one connection that stops reading."""

import asyncio
import json
from datetime import timedelta
from typing import Any

from server.counts import ROOMS
from server.people.roles import Role
from server.rooms.bus import MemoryBus
from server.rooms.connection import Connection
from server.rooms.frames import CloseCode
from server.rooms.hub import RoomHub
from server.rooms.state import ParticipantRole
from server.rooms.store import Entrant
from server.scheduling import service as scheduling
from tests.factories import a_staff_member, enrol_parent, seed_series


class Socket:
    """What the hub sees of a WebSocket: a send that may never finish, and a close."""

    def __init__(self, stalled: bool = False) -> None:
        self.frames: list[dict[str, Any]] = []
        self.closed_with: int | None = None
        self.stalled = stalled
        self.never = asyncio.Event()

    async def send(self, text: str) -> None:
        if self.stalled and self.frames:
            await self.never.wait()  # stops reading after its first frame
        self.frames.append(json.loads(text))

    async def close(self, code: int) -> None:
        self.closed_with = code

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]


async def test_slow_consumer_is_cut_off_with_resync_while_others_receive_everything(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    links = {
        n: await enrol_parent(database, org, series_id, f"{n}-vanhempi", clock.now) for n in "AB"
    }
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with database.unit_of_work() as db:
        session = (await scheduling.get_series(db, series_id)).sessions[0]
    clock.now = session.starts_at - timedelta(minutes=5)
    hub = RoomHub(database, MemoryBus(), clock, timedelta(minutes=30), queue_size=16, org=org)
    hub.sockets.rate_per_second = hub.sockets.burst = 100_000
    await hub.start()
    try:
        sockets = {"F": Socket(), "A": Socket(), "B": Socket(stalled=True)}

        async def enter(name: str, entrant: Entrant, last_seq: int | None = None) -> Connection:
            s = sockets[name]
            conn = await hub.enter(session, entrant, last_seq, s.send, s.close, str)
            assert isinstance(conn, Connection)
            return conn

        facilitator = await enter(
            "F", Entrant(ParticipantRole.FACILITATOR, "Ohjaaja", series_id, staff_id=staff.id)
        )
        for frame in ('{"type":"open"}', '{"type":"lobby","enabled":false}'):
            await hub.receive(session.id, facilitator, frame)
        for name in ("A", "B"):
            enrolment = links[name].enrolment
            await enter(
                name, Entrant(ParticipantRole.PARENT, name, series_id, enrolment_id=enrolment.id)
            )

        total = 300
        for i in range(total):
            await hub.receive(
                session.id,
                facilitator,
                json.dumps({"type": "send", "cid": f"m{i}", "text": str(i)}),
            )
        for _ in range(100):  # let the sender tasks drain
            if len(sockets["A"].of_type("message")) == total:
                break
            await asyncio.sleep(0.02)

        assert [m["text"] for m in sockets["A"].of_type("message")] == [
            str(i) for i in range(total)
        ]
        assert sockets["B"].closed_with == CloseCode.RESYNC

        # B comes back with the last seq it saw and gets exactly the rest.
        sockets["B"] = Socket()
        seen = 0
        await enter(
            "B",
            Entrant(ParticipantRole.PARENT, "B", series_id, enrolment_id=links["B"].enrolment.id),
            seen,
        )
        await asyncio.sleep(0.1)
        welcome = sockets["B"].of_type("welcome")[0]
        assert [e["text"] for e in welcome["events"] if e["type"] == "message"] == [
            str(i) for i in range(total)
        ]
    finally:
        await hub.stop()


async def test_direct_writes_fall_back_to_the_queue_in_order_and_a_stuck_socket_is_cut_off():
    """When the transport stops taking frames, later frames queue behind it, never overtake it,
    and a connection whose queue overflows is closed with RESYNC."""
    from server.rooms.connection import Phase
    from server.rooms.limits import TokenBucket

    written: list[bytes] = []
    sent: list[str] = []
    room = {"accepting": True}
    release = asyncio.Event()

    def write_now(frame: bytes) -> bool:
        if room["accepting"]:
            written.append(frame)
            return True
        return False

    async def send(text: str) -> None:
        await release.wait()
        sent.append(text)

    closed: list[int] = []

    async def close(code: int) -> None:
        closed.append(code)

    conn = Connection(
        "peer-0001", send, close, str, 4, TokenBucket(), write_now, lambda t: t.encode()
    )
    conn.phase = Phase.READY
    conn.push("a")
    await asyncio.sleep(0)  # written at the end of the event loop's turn
    conn.push("b")
    await asyncio.sleep(0)
    room["accepting"] = False
    conn.push("c")  # the socket is full: queued
    await asyncio.sleep(0)
    room["accepting"] = True
    conn.push("d")  # must not overtake "c", though the socket takes frames again
    await asyncio.sleep(0)
    assert written == [b"a", b"b"] and sent == []
    release.set()
    await asyncio.sleep(0.01)
    assert sent == ["c", "d"]

    release.clear()
    room["accepting"] = False
    full_before = ROOMS.send_queue_full
    for i in range(10):
        conn.push(f"x{i}")
    await asyncio.sleep(0.05)
    assert closed == [CloseCode.RESYNC]
    assert ROOMS.send_queue_full == full_before + 1  # what /metrics reports as 4008 closes


async def test_frames_pushed_in_one_turn_of_the_loop_go_out_in_one_write_in_order():
    """A burst of room events (a stored batch handed over by the bus) costs one system call
    per socket, not one per frame; a close made in the same turn comes after them."""
    from server.rooms.connection import Phase
    from server.rooms.limits import TokenBucket

    written: list[bytes] = []
    closed: list[int] = []

    def write_now(frame: bytes) -> bool:
        written.append(frame)
        return True

    async def send(text: str) -> None:
        raise AssertionError("nothing should queue")

    async def close(code: int) -> None:
        closed.append(code)

    conn = Connection(
        "peer-0001", send, close, str, 4, TokenBucket(), write_now, lambda t: t.encode()
    )
    conn.phase = Phase.READY
    for text in ("m1", "m2", "m3"):
        conn.push(text)
    assert written == []
    await asyncio.sleep(0)
    assert written == [b"m1m2m3"]

    conn.push("removed")
    conn.terminate(CloseCode.REMOVED)
    assert written == [b"m1m2m3", b"removed"]  # before the close, not lost with the cork
    await asyncio.sleep(0.01)
    assert closed == [CloseCode.REMOVED]
