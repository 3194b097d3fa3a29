"""Room memory benchmark: what one loaded room keeps per message, and whether it is let go.

    .venv/bin/python bench/room_memory.py                          # 48,000 messages, 8 parents
    .venv/bin/python bench/room_memory.py --messages 5000          # quick check

The real hub (``server.rooms.hub.RoomHub``, in-process bus) on a fresh SQLite file in a temporary
directory: one open room, a facilitator and ``--people`` parents on sockets that discard what they
are sent, and ``--messages`` chat messages sent through ``hub.receive`` round the room, each
stored, acknowledged and delivered. ``tracemalloc`` measures what the process holds after the room
was loaded, after the messages, and after everyone left (the room empty); ``RSS`` is the
process's resident size from ``/proc``, which the allocator rarely gives back. A weak reference
shows whether the hub still holds the room once it is empty.

Not a test: it prints measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
import tracemalloc
import weakref
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _traced_mb() -> float:
    gc.collect()
    return tracemalloc.get_traced_memory()[0] / 2**20


class _Socket:
    """A socket that counts the frames it is sent and keeps none of them."""

    def __init__(self) -> None:
        self.frames = 0
        self.acks = 0

    async def send(self, text: str) -> None:
        self.frames += 1
        if text.startswith('{"type": "ack"'):
            self.acks += 1

    async def close(self, code: int) -> None:
        pass


async def _run(url: str, messages: int, people: int, batch: int) -> None:
    from server.enrolment.service import EnrolmentRequest, enrol
    from server.organisation import Organisation
    from server.people.roles import Role
    from server.rooms.bus import MemoryBus
    from server.rooms.connection import Connection
    from server.rooms.hub import RoomHub
    from server.rooms.state import ParticipantRole
    from server.rooms.store import Entrant
    from server.scheduling import service as scheduling
    from server.storage.db import Database
    from tests.factories import a_series, a_staff_member

    org = Organisation("Tupa bench", ZoneInfo("Europe/Helsinki"), "http://127.0.0.1")
    now = datetime.now(UTC)
    database = Database(url)
    async with database.unit_of_work() as db:
        series = await a_series(
            db, org, now, capacity=people, min_size=1, questions=[], session_count=1
        )
        series_id = series.id
    enrolments = []
    async with database.unit_of_work() as db:
        for i in range(people):
            new = await enrol(db, org, series_id, EnrolmentRequest(f"Vanhempi {i + 1}"), now)
            enrolments.append(new.enrolment.id)
        staff = await a_staff_member(db, now, Role.FACILITATOR)
        staff_id = staff.id
    async with database.unit_of_work() as db:
        session = (await scheduling.get_series(db, series_id)).sessions[0]
    clock_now = session.starts_at - timedelta(minutes=5)
    hub = RoomHub(database, MemoryBus(), lambda: clock_now, timedelta(minutes=30), org=org)
    hub.sockets.rate_per_second = hub.sockets.burst = 10**9
    await hub.start()

    tracemalloc.start()
    before_room = _traced_mb()
    entrants = [Entrant(ParticipantRole.FACILITATOR, "Ohjaaja", series_id, staff_id=staff_id)]
    entrants += [
        Entrant(ParticipantRole.PARENT, f"Vanhempi {i + 1}", series_id, enrolment_id=e)
        for i, e in enumerate(enrolments)
    ]
    sockets: list[_Socket] = []
    conns: list[Connection] = []
    for entrant in entrants:
        socket = _Socket()
        conn = await hub.enter(session, entrant, None, socket.send, socket.close, str)
        assert isinstance(conn, Connection), conn
        sockets.append(socket)
        conns.append(conn)
        if len(conns) == 1:
            for frame in ({"type": "open"}, {"type": "lobby", "enabled": False}):
                await hub.receive(session.id, conn, json.dumps(frame))
    runtime = hub.rooms[session.id]
    room_ref = weakref.ref(runtime)
    state_ref = weakref.ref(runtime.state)
    del runtime
    loaded = _traced_mb()

    began = time.perf_counter()
    text = "Tämä on tavallisen mittainen viesti vertaisryhmässä."
    for start in range(0, messages, batch):
        sends = []
        for n in range(start, min(messages, start + batch)):
            conn = conns[n % len(conns)]
            frame = {"type": "send", "cid": f"{n:08d}-{conn.peer[:6]}", "text": f"{text} {n}"}
            sends.append(hub.receive(session.id, conn, json.dumps(frame)))
        await asyncio.gather(*sends)
    while sum(s.acks for s in sockets) < messages:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    while any(c._queue.qsize() for c in conns):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    seconds = time.perf_counter() - began
    full = _traced_mb()
    rss_full = _rss_mb()
    state = state_ref()
    assert state is not None
    kept = {"messages": len(state.messages), "cids": len(state.cids)}
    del state

    for conn in conns:
        await hub.leave(session.id, conn)
    while hub.busy:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    empty = _traced_mb()
    rss_empty = _rss_mb()
    top = tracemalloc.take_snapshot().statistics("lineno")[:5]
    tracemalloc.stop()
    await hub.stop()
    await database.dispose()

    per_message = (full - loaded) * 2**20 / messages
    print(f"room: 1 facilitator + {people} parents, {messages:,} messages in {seconds:.1f} s")
    print(f"  kept in the room's state: {kept}")
    print(f"  traced memory, room loaded and empty of messages: {loaded - before_room:8.2f} MB")
    print(f"  traced memory, after the messages:                {full - before_room:8.2f} MB")
    print(f"  per message while loaded:                         {per_message:8.0f} bytes")
    print(f"  traced memory, after everyone left:               {empty - before_room:8.2f} MB")
    print(f"  hub holds the room after it emptied: {room_ref() is not None}")
    print(f"  the room's state still alive:        {state_ref() is not None}")
    print(f"  RSS after the messages {rss_full:.0f} MB, after everyone left {rss_empty:.0f} MB")
    print("  largest allocations still traced after everyone left:")
    for stat in top:
        print(f"    {stat}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=48_000)
    parser.add_argument("--people", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64, help="sends in flight at once")
    args = parser.parse_args()

    from server.storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="tupa-room-memory-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'tupa.db'}"
        upgrade(url)
        asyncio.run(_run(url, args.messages, args.people, args.batch))


if __name__ == "__main__":
    main()
