"""The Redis bus survives Redis going away (issue 19, point 2): it connects again, follows its
rooms again, and the hub reads what was published meanwhile from the database. A redis-server of
the test's own is restarted; the shared one is never touched."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from server.rooms.bus import BusUnavailable, RedisBus
from server.rooms.events import EVERYONE, Event, EventType
from tests.redis_server import RedisServer
from tests.rooms.bus_support import shared_room, shown_online
from tests.rooms.support import eventually

ROOM = 42
TIMEOUT = 10.0


@pytest.fixture
async def own_redis(tmp_path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def fails_now(bus: RedisBus) -> bool:
    try:
        await bus.check()
    except BusUnavailable:
        return True
    return False


async def test_the_bus_follows_its_rooms_again_after_redis_restarts(own_redis):
    heard: list[str] = []
    resubscribed: list[list[int]] = []

    async def hear(session_id: int, events: list[Event]) -> None:
        heard.extend(e.data["text"] for e in events)

    listener, publisher = RedisBus(own_redis.url), RedisBus(own_redis.url)
    await listener.start(hear, resubscribed.append)
    await publisher.start(hear)
    try:
        await listener.follow(ROOM)
        await listener.check()
        await own_redis.stop()
        async with asyncio.timeout(TIMEOUT):
            while not await fails_now(listener):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        started = asyncio.get_running_loop().time()
        with pytest.raises(BusUnavailable):
            await listener.follow(ROOM + 1)  # at once, not after a timeout
        assert asyncio.get_running_loop().time() - started < 1.0

        await own_redis.start()
        await eventually(lambda: resubscribed == [[ROOM]], timeout=TIMEOUT)
        await listener.check()
        message = Event(EventType.MESSAGE, {"text": "taas"}, EVERYONE, "aaaa", seq=1)
        await publisher.publish(ROOM, [message])
        await eventually(lambda: heard == ["taas"], timeout=TIMEOUT)
    finally:
        await listener.stop()
        await publisher.stop()


async def test_a_room_delivers_again_after_redis_restarts_and_nothing_stored_is_lost(
    database, org, clock, own_redis
):
    buses = [RedisBus(own_redis.url), RedisBus(own_redis.url)]
    room, facilitator = await shared_room(
        database, org, clock, ["Mustikka", "Puolukka"], buses=buses
    )
    try:
        mustikka = await room.enter(0, "Mustikka")
        puolukka = await room.enter(1, "Puolukka")
        everyone = (facilitator, mustikka, puolukka)
        await room.say(0, facilitator, "ennen")
        await eventually(lambda: all(len(p.messages()) == 1 for p in everyone), timeout=TIMEOUT)

        await own_redis.stop()
        with contextlib.suppress(Exception):  # stored; its publishing fails
            await room.say(1, puolukka, "katkon aikana")
        await own_redis.start()

        await eventually(lambda: all(len(p.messages()) == 2 for p in everyone), timeout=TIMEOUT)
        await room.say(0, mustikka, "jälkeen")  # live again, from both instances
        await room.say(1, puolukka, "ja vielä")
        await eventually(lambda: all(len(p.messages()) == 4 for p in everyone), timeout=TIMEOUT)
        for person in everyone:
            got = person.messages()
            assert [m["text"] for m in got] == ["ennen", "katkon aikana", "jälkeen", "ja vielä"]
            assert [m["seq"] for m in got] == sorted({m["seq"] for m in got})
    finally:
        await room.stop()


@pytest.mark.parametrize("outage_outlasts_expiry", [False, True], ids=["short", "long"])
async def test_presence_is_right_on_both_instances_after_redis_restarts(
    database, org, clock, own_redis, outage_outlasts_expiry
):
    """A departure while Redis was away reaches the other instance with the heartbeats after it;
    people shown offline because their instance went silent meanwhile are shown again."""
    expiry = 1.0 if outage_outlasts_expiry else 60.0
    buses = [RedisBus(own_redis.url), RedisBus(own_redis.url)]
    room, facilitator = await shared_room(
        database,
        org,
        clock,
        ["Mustikka", "Puolukka", "Mansikka"],
        buses=buses,
        presence_expiry=expiry,
    )
    try:
        await room.enter(0, "Mustikka")
        await room.enter(1, "Puolukka")
        mansikka = await room.enter(1, "Mansikka")
        before = shown_online(room.hubs[0], room)
        assert {"Mustikka", "Puolukka", "Mansikka"} <= before
        await eventually(lambda: shown_online(room.hubs[1], room) == before, timeout=TIMEOUT)
        staff = before - {"Mustikka", "Puolukka", "Mansikka"}

        await own_redis.stop()
        await room.hubs[1].leave(room.session.id, mansikka.conn)  # its departure is not published
        if outage_outlasts_expiry:  # each shows only its own people now
            await eventually(lambda: shown_online(room.hubs[0], room) == {"Mustikka", *staff})
            await eventually(lambda: shown_online(room.hubs[1], room) == {"Puolukka"})
        await own_redis.start()

        after = {"Mustikka", "Puolukka", *staff}
        for hub in room.hubs:
            await eventually(lambda: shown_online(hub, room) == after, timeout=TIMEOUT)  # noqa: B023
        await eventually(lambda: not facilitator.sees_online("Mansikka"), timeout=TIMEOUT)
        assert facilitator.sees_online("Puolukka")
    finally:
        await room.stop()
