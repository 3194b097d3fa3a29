"""CPU per delivered message through the real hub, without uvicorn or a network in between.

    .venv/bin/python bench/room_cpu.py . 200 10 40    # REPO ROOMS PEOPLE ROUNDS

The hub of the tree at REPO (in-process bus, a fresh SQLite file, uvloop): ROOMS rooms of PEOPLE,
each room's people taking turns to send, all rooms at once, so that a stored batch holds about one
message per room, as at saturation. Sockets take their frames through ``write_now``, one
``os.write`` to /dev/null per socket write (a system call each, as a transport's write is).
Prints the process's CPU time (event loop and the SQLite writer thread) per delivery and per
message, and socket writes per message. Not a test: it prints measurements.
"""

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(REPO))
ROOMS, PEOPLE, ROUNDS = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
NULL = os.open("/dev/null", os.O_WRONLY)


class Sock:
    def __init__(self):
        self.frames = 0
        self.writes = 0
        self.acks = 0

    def write_now(self, data: bytes) -> bool:
        os.write(NULL, data)
        self.writes += 1
        self.frames += data.count(b"\n")
        self.acks += data.count(b'"ack"')
        return True

    async def send(self, text):
        os.write(NULL, text.encode())
        self.frames += 1
        self.writes += 1
        self.acks += text.count('"ack"')

    async def close(self, code):
        pass


async def main(url):
    from server.enrolment.service import EnrolmentRequest, enrol
    from server.organisation import Organisation
    from server.people.roles import Role
    from server.rooms.bus import MemoryBus
    from server.rooms.hub import RoomHub
    from server.rooms.state import ParticipantRole
    from server.rooms.store import Entrant
    from server.scheduling import service as scheduling
    from server.storage.db import Database
    from tests.factories import a_series, a_staff_member

    org = Organisation("bench", ZoneInfo("Europe/Helsinki"), "http://127.0.0.1")
    now = datetime.now(UTC)
    database = Database(url)
    rooms = []
    async with database.unit_of_work() as db:
        staff = await a_staff_member(db, now, Role.FACILITATOR)
    for _ in range(ROOMS):
        async with database.unit_of_work() as db:
            series = await a_series(
                db, org, now, capacity=PEOPLE, min_size=1, questions=[], session_count=1
            )
            sid = series.id
        enr = []
        async with database.unit_of_work() as db:
            for i in range(PEOPLE - 1):
                enr.append(
                    (await enrol(db, org, sid, EnrolmentRequest(f"V {i}"), now)).enrolment.id
                )
        async with database.unit_of_work() as db:
            session = (await scheduling.get_series(db, sid)).sessions[0]
        rooms.append((sid, session, enr))
    clock_now = rooms[0][1].starts_at - timedelta(minutes=5)
    hub = RoomHub(database, MemoryBus(), lambda: clock_now, timedelta(minutes=30), org=org)
    hub.sockets.rate_per_second = hub.sockets.burst = 10**9
    hub.sockets.encode = lambda t: t.encode() + b"\n"
    await hub.start()
    conns = []
    socks = []
    for sid, session, enr in rooms:
        ents = [Entrant(ParticipantRole.FACILITATOR, "O", sid, staff_id=staff.id)]
        ents += [
            Entrant(ParticipantRole.PARENT, f"V {i}", sid, enrolment_id=e)
            for i, e in enumerate(enr)
        ]
        for k, ent in enumerate(ents):
            s = Sock()
            c = await hub.enter(session, ent, None, s.send, s.close, str, s.write_now)
            if k == 0:
                for f in ({"type": "open"}, {"type": "lobby", "enabled": False}):
                    await hub.receive(session.id, c, json.dumps(f))
            conns.append((session.id, c))
            socks.append(s)
    await asyncio.sleep(0.5)
    base_frames = sum(s.frames for s in socks)
    base_writes = sum(s.writes for s in socks)
    text = "Tämä on tavallisen mittainen viesti vertaisryhmässä."
    cpu0 = time.process_time()
    t0 = time.perf_counter()

    async def room(i):
        members = conns[i * PEOPLE : (i + 1) * PEOPLE]
        for r in range(ROUNDS):
            sid, c = members[r % PEOPLE]
            await hub.receive(
                sid, c, json.dumps({"type": "send", "cid": f"{i}-{r}", "text": f"{text} {r}"})
            )

    await asyncio.gather(*(room(i) for i in range(ROOMS)))
    msgs = ROOMS * ROUNDS
    while sum(s.acks for s in socks) < msgs:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - t0
    deliveries = msgs * PEOPLE
    frames = sum(s.frames for s in socks) - base_frames
    writes = sum(s.writes for s in socks) - base_writes
    print(
        f"{REPO.name}: {msgs} messages, {deliveries} deliveries, "
        f"cpu {cpu:.2f} s, wall {wall:.2f} s, {cpu / deliveries * 1e6:.2f} us cpu/delivery, "
        f"{cpu / msgs * 1e6:.1f} us/message, frames {frames}, "
        f"writes {writes} ({writes / msgs:.2f}/message)"
    )
    await hub.stop()
    await database.dispose()


if __name__ == "__main__":
    import uvloop

    from server.storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'tupa.db'}"
        upgrade(url)
        uvloop.run(main(url))
