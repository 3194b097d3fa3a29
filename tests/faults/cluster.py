"""Two ``tupa serve`` instances on a PostgreSQL and a Redis of the test's own, one open room across
them with browser-like clients, and the check every fault test ends with: every acknowledged
message reached every admitted person exactly once, in order; nobody is left online; no socket
is left open."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import websockets

from server.organisation import Organisation
from server.people.roles import Role
from server.scheduling import service as scheduling
from server.scheduling.recurrence import Cadence, RecurrenceRule
from server.storage.db import Database
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.faults.browser import BrowserClient
from tests.faults.processes import REPO_ROOT, HoldingProxy, Instance
from tests.redis_server import RedisServer
from tests.roomclient import parent_device, staff_cookie

ZONE = ZoneInfo("Europe/Helsinki")
SETTLE_SECONDS = 30.0
LONG = os.environ.get("TUPA_FAULTS_LONG") == "1"  # the long variants (see the README)
REPORT: list[str] = []  # what each fault test counted, printed at the end of the run


@dataclass
class Site:
    """What ``staff_cookie`` and ``parent_device`` need of a server: its address."""

    url: str


@dataclass
class Cluster:
    database_url: str
    redis: RedisServer
    a: Instance
    b: Instance
    proxy: HoldingProxy | None = None

    @property
    def instances(self) -> tuple[Instance, Instance]:
        return self.a, self.b


def instance_env(database_url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    env.update(
        TUPA_DATABASE_URL=database_url,
        TUPA_SECRET_KEY=secret,  # the same for both: a login or a device works on each
        TUPA_LOGIN_DELAY_SECONDS="0",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


async def start_cluster(
    database_url: str, redis: RedisServer, root: Path, proxied: bool = False
) -> Cluster:
    """Instances A and B; with ``proxied``, B reaches Redis through a ``HoldingProxy``."""
    proxy = None
    if proxied:
        proxy = HoldingProxy(redis.port)
        await proxy.start()
    env = instance_env(database_url, secrets.token_urlsafe(32))
    a = Instance("A", {**env, "TUPA_REDIS_URL": redis.url}, root / "a")
    b = Instance("B", {**env, "TUPA_REDIS_URL": proxy.url if proxy else redis.url}, root / "b")
    cluster = Cluster(database_url, redis, a, b, proxy)
    try:
        await asyncio.gather(a.start(), b.start())
    except BaseException:
        await stop_cluster(cluster)
        raise
    return cluster


async def stop_cluster(cluster: Cluster) -> None:
    for instance in cluster.instances:
        instance.stop()
    if cluster.proxy is not None:
        await cluster.proxy.stop()


@dataclass
class Room:
    cluster: Cluster
    session_id: int
    facilitator: BrowserClient
    parents: list[BrowserClient] = field(default_factory=list)

    @property
    def everyone(self) -> list[BrowserClient]:
        return [self.facilitator, *self.parents]

    async def stop(self) -> None:
        for client in self.everyone:
            await client.stop()


def _first_session_soon(now: datetime) -> dict[str, Any]:
    local = (now + timedelta(minutes=10)).astimezone(ZONE).replace(second=0, microsecond=0)
    return {
        "rule": RecurrenceRule(Cadence.WEEKLY, weekday=local.weekday(), local_time=local.time()),
        "first_on": local.date(),
        "enrolment_deadline": now + timedelta(minutes=5),
        "capacity": 10,
    }


def socket_urls(cluster: Cluster, path: str, home: Instance) -> list[str]:
    order = [home] + [i for i in cluster.instances if i is not home]
    return [i.url.replace("http://", "ws://") + path for i in order]


async def open_room(
    cluster: Cluster, parents: int, homes: Callable[[int], Instance] | None = None
) -> Room:
    """A series starting in ten minutes (real time); its facilitator on A opens the room with
    the lobby off; ``parents`` parents enter, alternately through B and A unless ``homes`` says."""
    now = datetime.now(UTC)
    org = Organisation("Tupa", ZONE, cluster.a.url)
    database = Database(cluster.database_url)
    try:
        async with database.unit_of_work() as db:
            facilitator = await a_staff_member(
                db, now, Role.FACILITATOR, email=f"f{secrets.token_hex(4)}@example.org"
            )
        series_id = await seed_series(
            database, org, now, staff_ids=[facilitator.id], **_first_session_soon(now)
        )
        links = [
            (await enrol_parent(database, org, series_id, f"Vanhempi {i}", now)).token
            for i in range(parents)
        ]
        async with database.unit_of_work() as db:
            session_id = (await scheduling.get_series(db, series_id)).sessions[0].id
    finally:
        await database.dispose()
    cookie = await staff_cookie(Site(cluster.a.url), facilitator.email)  # type: ignore[arg-type]
    staff = BrowserClient(
        "facilitator", socket_urls(cluster, f"/ws/rooms/{session_id}", cluster.a), cookie
    )
    room = Room(cluster, session_id, staff)
    staff.start()
    await within(staff.admitted.wait(), "the facilitator's welcome")
    async with websockets.connect(
        staff.urls[0], additional_headers={"Cookie": cookie}
    ) as ws:  # commands on a socket of their own, so the recorded one stays a plain reader
        await ws.send('{"type":"hello","v":1}')
        for command in ('{"type":"open"}', '{"type":"lobby","enabled":false}'):
            await ws.send(command)
        async for text in ws:
            frame = json.loads(text)
            if frame.get("type") == "room" and frame.get("lobby") is False:
                break
    for i, link in enumerate(links):
        home = homes(i) if homes else (cluster.b if i % 2 == 0 else cluster.a)
        device = await parent_device(Site(home.url), link)  # type: ignore[arg-type]
        path = f"/me/rooms/{session_id}/socket"
        parent = BrowserClient(f"parent {i}", socket_urls(cluster, path, home), f"tupa_me={device}")
        room.parents.append(parent)
        parent.start()
        await within(parent.admitted.wait(), f"parent {i}'s welcome")
    return room


async def within(awaitable: Any, what: str, timeout: float = SETTLE_SECONDS) -> Any:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout:.0f} s") from None


async def chatter(room: Room, seconds: float, per_second: float = 2.0) -> int:
    """Everyone writes ``per_second`` messages a second for ``seconds``; how many were written."""
    written = 0
    rounds = int(seconds * per_second)
    for n in range(rounds):
        for client in room.everyone:
            if client.final is None:
                client.write(f"{client.name}: viesti {n}")
                written += 1
        await asyncio.sleep(1 / per_second)  # pacing for the rate limit
    return written


async def settle(room: Room, timeout: float = SETTLE_SECONDS) -> None:
    """Wait until every write is acknowledged and everyone has every acknowledged message."""

    def done() -> bool:
        acked = {seq for c in room.everyone for seq in c.acked.values()}
        return all(not c.outbox for c in room.everyone) and all(
            acked <= set(c.messages) for c in room.everyone
        )

    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        if asyncio.get_running_loop().time() > deadline:
            return  # the check below says what is missing
        await asyncio.sleep(0.1)  # polling the clients' records


def check_delivery(room: Room, scenario: str, written: int) -> None:
    """Every acknowledged message reached every admitted person exactly once and in order."""
    acked = sorted({seq for c in room.everyone for seq in c.acked.values()})
    problems = []
    for client in room.everyone:
        if client.outbox:
            problems.append(f"{client.name}: {len(client.outbox)} writes never acknowledged")
        if client.refused:
            problems.append(f"{client.name}: refused {client.refused[:3]}")
        duplicates = len(client.messages) - len(set(client.messages))
        if duplicates:
            problems.append(f"{client.name}: {duplicates} messages received twice")
        if any(x >= y for x, y in pairwise(client.messages)):
            problems.append(f"{client.name}: messages out of order")
        missing = set(acked) - set(client.messages)
        if missing:
            problems.append(f"{client.name}: {len(missing)} acknowledged messages missing")
    deliveries = sum(len(c.messages) for c in room.everyone)
    reconnects = sum(len(c.closes) for c in room.everyone)
    REPORT.append(
        f"{scenario}: {written} written, {len(acked)} acknowledged, {deliveries} deliveries to "
        f"{len(room.everyone)} people, {reconnects} reconnects, "
        f"{sum(c.not_stored for c in room.everyone)} not_stored, "
        f"{sum(c.replays for c in room.everyone)} replay pages, closes "
        f"{sorted({str(code) for c in room.everyone for code in c.closes})}"
        + (f"; PROBLEMS: {problems}" if problems else "")
    )
    assert not problems, problems
    assert len(acked) == written


async def check_nothing_left(room: Room, presence_timeout: float = SETTLE_SECONDS) -> None:
    """Once everyone has left: a newcomer sees nobody else online, on either instance, and
    neither instance holds a socket open."""
    await room.stop()
    cookie = room.facilitator.cookie
    alive = [i for i in room.cluster.instances if i.alive]
    for instance in alive:
        url = socket_urls(room.cluster, f"/ws/rooms/{room.session_id}", instance)[0]
        deadline = asyncio.get_running_loop().time() + presence_timeout
        while True:
            async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
                await ws.send('{"type":"hello","v":1}')
                welcome: dict[str, Any] = {}
                async for text in ws:
                    frame = json.loads(text)
                    if frame.get("type") == "welcome":
                        welcome = frame
                        break
            me = welcome["you"]["peer"]
            ghosts = [m["name"] for m in welcome["members"] if m["peer"] != me]
            if not ghosts:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"still online on {instance.name}: {ghosts}")
            await asyncio.sleep(0.5)  # presence expires on its own clock
    for instance in alive:
        deadline = asyncio.get_running_loop().time() + 10
        while instance.established():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{instance.name} holds {instance.established()} sockets")
            await asyncio.sleep(0.1)  # polling the kernel's table
