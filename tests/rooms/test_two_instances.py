"""Two real Tupa processes on different ports, sharing Redis and PostgreSQL, are one service.

Each instance holds its own replica of a room and its own sockets; stored events travel between
them over the Redis bus. These tests start ``python -m server.cli serve`` twice (the real clock,
the real bus, the real database) and talk to both over WebSockets.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from server.organisation import Organisation
from server.people.roles import Role
from server.rooms.frames import CloseCode
from server.rooms.limits import RATE_PER_SECOND
from server.scheduling import service as scheduling
from server.scheduling.recurrence import Cadence, RecurrenceRule
from server.storage.db import Database
from tests.conftest import (
    POSTGRES_PROBLEM,
    POSTGRES_URL,
    LiveServer,
    _truncate,
    csrf_of,
    free_port,
    in_thread,
    service_unavailable,
)
from tests.factories import PASSWORD, a_staff_member, enrol_parent, seed_series
from tests.roomclient import RoomClient, connect, parent_device, staff_cookie

REPO_ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Europe/Helsinki")
FACILITATOR_EMAIL = "facilitator@example.org"
COORDINATOR_EMAIL = "coordinator@example.org"
START_TIMEOUT = 30.0
TIMEOUT = 10.0  # generous: frames cross two processes and Redis


# --- two processes ----------------------------------------------------------------------------


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    database_url: str
    facilitator_id: int
    a: Instance
    b: Instance


async def _prepare_database(url: str) -> int:
    """An empty database with the program templates and two staff accounts; the facilitator's id.

    Session ids start at a random high number: Redis channels are named by session id and
    shared by everything that uses this Redis, so another run's rooms must not carry the same
    ids as ours.
    """
    database = Database(url)
    try:
        await _truncate(database)
        async with database.engine.begin() as conn:
            await conn.execute(
                text("SELECT setval(pg_get_serial_sequence('sessions', 'id'), :start)"),
                {"start": secrets.randbelow(1_000_000_000) + 1_000_000},
            )
        now = datetime.now(UTC)
        async with database.unit_of_work() as db:
            await scheduling.ensure_program_templates(db)
            await a_staff_member(db, now, Role.COORDINATOR)
            facilitator = await a_staff_member(
                db, now, Role.FACILITATOR, email=FACILITATOR_EMAIL, real_name="Olli Ohjaaja"
            )
            return facilitator.id
    finally:
        await database.dispose()


def _start(port: int, env: dict[str, str], workdir: Path) -> Instance:
    workdir.mkdir()
    log = workdir / "output.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            cwd=workdir,
            env={**env, "TUPA_PUBLIC_URL": url},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Instance(url, process, log)


def _wait_until_healthy(instance: Instance) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    problem = "no answer yet"
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            pytest.fail(
                f"Tupa at {instance.url} exited with {instance.process.returncode} on start:\n"
                + instance.output()
            )
        try:
            response = httpx.get(f"{instance.url}/healthz", timeout=1.0)
            if response.status_code == 200:
                return
            problem = f"/healthz answered {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            problem = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)  # polling
    pytest.fail(
        f"Tupa at {instance.url} not healthy after {START_TIMEOUT:.0f} s ({problem}):\n"
        + instance.output()
    )


def _stop(instance: Instance) -> None:
    if instance.process.poll() is not None:
        return
    instance.process.terminate()
    try:
        instance.process.wait(10)
    except subprocess.TimeoutExpired:
        instance.process.kill()
        instance.process.wait(10)


@pytest.fixture(scope="module")
def cluster(
    postgres_url: str | None, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two ``tupa serve`` processes on their own ports, sharing Redis and PostgreSQL."""
    if postgres_url is None:
        service_unavailable(f"PostgreSQL not usable at {POSTGRES_URL}: {POSTGRES_PROBLEM}")
    facilitator_id = in_thread(asyncio.run, _prepare_database(postgres_url))

    env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    env.update(
        TUPA_DATABASE_URL=postgres_url,
        TUPA_REDIS_URL=redis_url,
        TUPA_SECRET_KEY=secrets.token_urlsafe(32),  # the same for both: one login works on each
        TUPA_LOGIN_DELAY_SECONDS="0",
        PYTHONPATH=str(REPO_ROOT),
    )
    root = tmp_path_factory.mktemp("two-instances")
    instances: list[Instance] = []
    try:
        for name in ("a", "b"):
            instances.append(_start(free_port(), env, root / name))
        for instance in instances:
            _wait_until_healthy(instance)
        yield Cluster(postgres_url, facilitator_id, *instances)
    finally:
        for instance in instances:
            _stop(instance)


# --- one room across the two ------------------------------------------------------------------


@dataclass
class Room:
    """A series whose first session starts in about ten minutes (real time), its room open on
    instance A with the lobby off: the facilitator on A, Mustikka on B and Puolukka on A."""

    cluster: Cluster
    a: LiveServer
    b: LiveServer
    session_id: int
    other_session_id: int
    links: dict[str, str]
    facilitator_cookie: str
    series_id: int = 0
    enrolments: dict[str, int] = field(default_factory=dict)
    clients: list[RoomClient] = field(default_factory=list)

    async def join(self, server: LiveServer, session_id: int, **kwargs: Any) -> RoomClient:
        client = await connect(server, session_id, **kwargs)
        self.clients.append(client)
        return client


async def expect(
    client: RoomClient, kind: str, where: str, timeout: float = TIMEOUT, **match: Any
) -> dict[str, Any]:
    """``client.expect``, failing with every frame it saw rather than a bare timeout."""
    try:
        return await client.expect(kind, timeout=timeout, **match)
    except TimeoutError:
        pytest.fail(f"{where}: no {kind} {match} within {timeout} s; frames: {client.received}")


def first_session_in_ten_minutes(now: datetime) -> dict[str, Any]:
    """Series overrides putting the first session ~10 minutes after ``now``, Helsinki time (the
    next day's date and weekday when that crosses midnight)."""
    local = (now + timedelta(minutes=10)).astimezone(ZONE).replace(second=0, microsecond=0)
    return {
        "rule": RecurrenceRule(Cadence.WEEKLY, weekday=local.weekday(), local_time=local.time()),
        "first_on": local.date(),
        "enrolment_deadline": now + timedelta(minutes=5),
    }


@pytest.fixture
async def room(cluster: Cluster) -> AsyncIterator[Room]:
    now = datetime.now(UTC)
    a = LiveServer(cluster.a.url, app=None, database=Database(cluster.database_url))
    b = LiveServer(cluster.b.url, app=None, database=a.database)
    org = Organisation("Tupa", ZONE, cluster.a.url)
    try:
        series_id = await seed_series(
            a.database,
            org,
            now,
            staff_ids=[cluster.facilitator_id],
            **first_session_in_ten_minutes(now),
        )
        links, enrolments = {}, {}
        for name in ("Mustikka", "Puolukka"):
            new = await enrol_parent(a.database, org, series_id, name, now)
            links[name], enrolments[name] = new.token, new.enrolment.id
        async with a.database.unit_of_work() as db:
            sessions = (await scheduling.get_series(db, series_id)).sessions
    finally:
        await a.database.dispose()
    assert now + timedelta(minutes=8) < sessions[0].starts_at <= now + timedelta(minutes=11)
    logged = {i.url: len(i.output()) for i in (cluster.a, cluster.b)}
    setup = Room(
        cluster,
        a,
        b,
        sessions[0].id,
        sessions[1].id,
        links,
        await staff_cookie(a, FACILITATOR_EMAIL),
        series_id,
        enrolments,
    )
    try:
        yield setup
    finally:
        for client in setup.clients:
            await client.close()
        for instance in (cluster.a, cluster.b):  # shown by pytest when the test fails
            print(f"--- output of {instance.url} during the test ---")
            print(instance.output()[logged[instance.url] :])


async def open_room(room: Room) -> tuple[RoomClient, float, dict[str, RoomClient]]:
    """The facilitator opens the room on A and turns the lobby off; Mustikka enters through B and
    Puolukka through A. Returns the facilitator, when they last sent a command, and the parents."""
    facilitator = await room.join(room.a, room.session_id, cookies=room.facilitator_cookie)
    await expect(facilitator, "welcome", "facilitator on A")
    await facilitator.send(type="open")
    await expect(facilitator, "room", "facilitator on A", status="open")
    await facilitator.send(type="lobby", enabled=False)
    last_command = asyncio.get_running_loop().time()
    await expect(facilitator, "room", "facilitator on A", lobby=False)
    parents = {}
    for name, server in (("Mustikka", room.b), ("Puolukka", room.a)):
        parents[name] = await room.join(server, room.session_id, link=room.links[name])
        await expect(parents[name], "welcome", f"{name} on {server.url}")
    return facilitator, last_command, parents


# --- the tests --------------------------------------------------------------------------------


async def test_message_sent_on_one_instance_reaches_a_participant_on_the_other_in_order(
    room: Room,
) -> None:
    facilitator, last_command, parents = await open_room(room)
    mustikka, puolukka = parents["Mustikka"], parents["Puolukka"]

    # The room allows a burst of 20 frames per connection; "open" and "lobby" took two tokens,
    # which come back in 0.2 s. Pace for the rate limit (not for synchronisation), then burst.
    refilled = last_command + 2 / RATE_PER_SECOND + 0.05
    await asyncio.sleep(max(0.0, refilled - asyncio.get_running_loop().time()))
    texts = [f"viesti {i:02d}" for i in range(20)]
    cids = [await facilitator.say(t) for t in texts]

    acked: dict[str, int] = {}
    while len(acked) < len(cids):
        frame = await facilitator.next(TIMEOUT)
        assert frame["type"] != "error", f"facilitator's burst refused: {frame}"
        if frame["type"] == "ack":
            acked[frame["cid"]] = frame["seq"]

    on_b = [await expect(mustikka, "message", "Mustikka on B") for _ in texts]
    assert [m["text"] for m in on_b] == texts
    seqs = [m["seq"] for m in on_b]
    assert all(x < y for x, y in pairwise(seqs)), seqs
    assert seqs == [acked[c] for c in cids]  # the very events the facilitator's instance stored
    assert {m["peer"] for m in on_b} == {facilitator.peer}
    on_a = [await expect(puolukka, "message", "Puolukka on A") for _ in texts]
    assert [m["seq"] for m in on_a] == seqs

    await mustikka.say("Kiitos, luin kaikki")
    answer = await expect(facilitator, "message", "facilitator on A", text="Kiitos, luin kaikki")
    assert answer["peer"] == mustikka.peer and answer["name"] == "Mustikka"
    assert answer["seq"] > seqs[-1]


async def test_ban_on_one_instance_takes_effect_on_the_other(room: Room) -> None:
    facilitator, _, parents = await open_room(room)
    mustikka = parents["Mustikka"]
    peer = mustikka.peer

    await facilitator.send(type="ban", peer=peer)
    assert await mustikka.closed_with(TIMEOUT) == CloseCode.REMOVED, mustikka.received
    await expect(parents["Puolukka"], "moderation", "Puolukka on A", action="banned", peer=peer)

    again = await room.join(room.b, room.session_id, link=room.links["Mustikka"])
    code = await again.closed_with(TIMEOUT)
    assert code in {CloseCode.REMOVED, CloseCode.FORBIDDEN}, (code, again.received)

    next_session = await room.join(room.b, room.other_session_id, link=room.links["Mustikka"])
    code = await next_session.closed_with(TIMEOUT)
    assert code == CloseCode.FORBIDDEN, (code, next_session.received)


async def test_presence_is_shared_between_instances(room: Room) -> None:
    """Who is in the room is the same on both instances, though presence itself is not stored."""
    facilitator, _, parents = await open_room(room)
    mustikka = parents["Mustikka"]  # entered through B after the facilitator entered through A
    names = {m["name"] for m in mustikka.welcome["members"]}
    if "Olli Ohjaaja" not in names:
        await mustikka.expect("presence", timeout=10, name="Olli Ohjaaja", online=True)
    # Leaving B does not make Mustikka look gone while she still has a socket on A.
    second = await room.join(room.a, room.session_id, link=room.links["Mustikka"])
    await second.expect("welcome")
    await mustikka.close()
    frames = await facilitator.silent(1.0)
    assert not [
        f for f in frames if f["type"] == "presence" and f["name"] == "Mustikka" and not f["online"]
    ]


# --- actions over HTTP reach the rooms of both instances ---------------------------------------


async def coordinator_posts(server: LiveServer, path: str, **form: str) -> float:
    """Log in as the coordinator on ``server`` and post a form; returns when it was answered."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/staff/login")
        await http.post(
            "/staff/login",
            data={
                "csrf_token": csrf_of(page.text),
                "email": COORDINATOR_EMAIL,
                "password": PASSWORD,
            },
        )
        page = await http.get("/staff")
        response = await http.post(path, data={"csrf_token": csrf_of(page.text), **form})
        assert response.status_code == 303, response.text
    return time.monotonic()


async def closed_within_a_second(client: RoomClient, answered: float, code: int) -> None:
    assert await client.closed_with(TIMEOUT) == code, client.received
    assert time.monotonic() - answered < 1.0


async def test_a_link_revoked_on_one_instance_closes_the_parent_on_the_other(room: Room) -> None:
    _facilitator, _, parents = await open_room(room)  # Mustikka is on B
    path = f"/staff/series/{room.series_id}/enrolments/{room.enrolments['Mustikka']}/revoke"
    answered = await coordinator_posts(room.a, path)
    await closed_within_a_second(parents["Mustikka"], answered, CloseCode.UNAUTHENTICATED)
    await parents["Puolukka"].send(type="ping")
    await expect(parents["Puolukka"], "pong", "Puolukka on A")


async def test_an_enrolment_ended_on_one_instance_closes_the_parent_on_the_other(
    room: Room,
) -> None:
    await open_room(room)
    path = f"/staff/series/{room.series_id}/enrolments/{room.enrolments['Mustikka']}/remove"
    answered = await coordinator_posts(room.a, path)
    await closed_within_a_second(room.clients[1], answered, CloseCode.FORBIDDEN)


async def test_a_ban_and_its_lifting_on_the_series_page_reach_both_instances(room: Room) -> None:
    facilitator, _, parents = await open_room(room)
    enrolment = room.enrolments["Mustikka"]
    answered = await coordinator_posts(
        room.a, f"/staff/series/{room.series_id}/enrolments/{enrolment}/ban"
    )
    await closed_within_a_second(parents["Mustikka"], answered, CloseCode.FORBIDDEN)
    again = await room.join(room.b, room.session_id, link=room.links["Mustikka"])
    assert await again.closed_with(TIMEOUT) == CloseCode.FORBIDDEN
    await coordinator_posts(room.b, f"/staff/series/{room.series_id}/bans/{enrolment}/lift")
    await facilitator.send(type="ping")
    await expect(facilitator, "pong", "facilitator on A")


async def test_a_session_cancelled_on_one_instance_ends_its_room_on_both(room: Room) -> None:
    facilitator, _, parents = await open_room(room)
    path = f"/staff/series/{room.series_id}/sessions/{room.session_id}/cancel"
    answered = await coordinator_posts(room.b, path)
    await closed_within_a_second(facilitator, answered, CloseCode.ENDED)
    await closed_within_a_second(parents["Mustikka"], answered, CloseCode.ENDED)
    await closed_within_a_second(parents["Puolukka"], answered, CloseCode.ENDED)


async def test_a_series_cancelled_on_one_instance_ends_its_rooms_on_both(room: Room) -> None:
    facilitator, _, parents = await open_room(room)
    answered = await coordinator_posts(room.a, f"/staff/series/{room.series_id}/cancel")
    await closed_within_a_second(parents["Mustikka"], answered, CloseCode.ENDED)
    await closed_within_a_second(facilitator, answered, CloseCode.ENDED)


async def test_a_facilitator_taken_off_the_series_is_closed_on_every_instance(room: Room) -> None:
    facilitator, _, parents = await open_room(room)  # the facilitator is on A
    answered = await coordinator_posts(room.b, f"/staff/series/{room.series_id}/staff")
    await closed_within_a_second(facilitator, answered, CloseCode.FORBIDDEN)
    await parents["Mustikka"].send(type="ping")
    await expect(parents["Mustikka"], "pong", "Mustikka on B")


async def test_a_parent_waiting_on_one_instance_hears_the_session_moved_on_the_other(
    room: Room,
) -> None:
    waiting = await room.join(room.b, room.other_session_id, link=room.links["Mustikka"])
    first = await expect(waiting, "waiting", "Mustikka on B")
    opens = datetime.fromisoformat(first["opens_at"])
    later = (opens + timedelta(days=1, minutes=30)).astimezone(ZONE)
    path = f"/staff/series/{room.series_id}/sessions/{room.other_session_id}/move"
    await coordinator_posts(
        room.a, path, date=later.date().isoformat(), time=later.strftime("%H:%M")
    )
    moved = await expect(waiting, "waiting", "Mustikka on B")
    assert datetime.fromisoformat(moved["opens_at"]) == opens + timedelta(days=1)


async def test_a_parent_who_withdraws_on_one_instance_is_closed_on_the_other(room: Room) -> None:
    _facilitator, _, parents = await open_room(room)  # Mustikka is on B
    token = room.links["Mustikka"]
    device = await parent_device(room.a, token)  # the browser Mustikka joined from
    async with httpx.AsyncClient(base_url=room.a.url, cookies={"tupa_me": device or ""}) as http:
        page = await http.get("/me")
        response = await http.post(
            "/me/withdraw", data={"csrf_token": csrf_of(page.text), "confirm": "on"}
        )
        assert response.status_code == 303, response.text
    answered = time.monotonic()
    await closed_within_a_second(parents["Mustikka"], answered, CloseCode.FORBIDDEN)


async def test_a_facilitator_deactivated_on_one_instance_is_closed_on_the_other(
    room: Room,
) -> None:
    facilitator = await room.join(room.b, room.session_id, cookies=room.facilitator_cookie)
    await expect(facilitator, "welcome", "facilitator on B")
    staff_id = room.cluster.facilitator_id
    try:
        answered = await coordinator_posts(room.a, f"/staff/people/{staff_id}/deactivate")
        await closed_within_a_second(facilitator, answered, CloseCode.UNAUTHENTICATED)
        again = await room.join(room.b, room.session_id, cookies=room.facilitator_cookie)
        assert await again.closed_with(TIMEOUT) == CloseCode.UNAUTHENTICATED
    finally:  # the cluster's facilitator serves the other tests of this module
        await coordinator_posts(room.a, f"/staff/people/{staff_id}/activate")
