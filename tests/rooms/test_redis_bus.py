"""The Redis bus between instances: a channel per room, followed only where people are, and each
instance's events in the order it published them. Real Redis, two buses in one test."""

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from server.rooms.bus import RedisBus
from server.rooms.events import EVERYONE, Event, EventType

TIMEOUT = 10.0
# Redis channels are shared by everything using that Redis (whatever the database number):
# room ids of this run must not be another's.
ROOM = 1_000_000 + secrets.randbelow(1_000_000_000)


class Heard:
    """What one instance's bus handed to its hub."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str]] = []
        self._changed = asyncio.Event()

    async def __call__(self, session_id: int, events: list[Event]) -> None:
        self.events += [(session_id, e.data["text"]) for e in events]
        self._changed.set()

    async def until(self, count: int) -> list[tuple[int, str]]:
        async with asyncio.timeout(TIMEOUT):
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.events


def said(text: str) -> list[Event]:
    return [Event(EventType.MESSAGE, {"text": text}, EVERYONE, "aaaa", seq=1)]


@pytest.fixture
async def buses(redis_url: str) -> AsyncIterator[tuple[RedisBus, RedisBus, Heard]]:
    """Instance A publishes; instance B listens and records what it hears."""
    a, b, heard = RedisBus(redis_url), RedisBus(redis_url), Heard()
    await a.start(Heard())
    await b.start(heard)
    try:
        yield a, b, heard
    finally:
        await a.stop()
        await b.stop()


async def test_an_instance_hears_only_the_rooms_it_follows(buses):
    a, b, heard = buses
    await b.follow(ROOM)
    await a.publish(ROOM + 1, said("elsewhere"))
    await a.publish(ROOM, said("here"))
    assert await heard.until(1) == [(ROOM, "here")]
    await asyncio.sleep(0.2)
    assert heard.events == [(ROOM, "here")]


async def test_a_burst_of_publishes_arrives_in_the_order_it_was_published(buses):
    a, b, heard = buses
    await b.follow(ROOM)
    await b.follow(ROOM + 1)
    texts = [f"m{i}" for i in range(300)]
    await asyncio.gather(*(a.publish(ROOM + i % 2, said(t)) for i, t in enumerate(texts)))
    got = await heard.until(300)
    assert [text for _, text in got] == texts


async def test_after_unfollowing_a_room_its_events_stop(buses):
    a, b, heard = buses
    await b.follow(ROOM)
    await a.publish(ROOM, said("before"))
    await heard.until(1)
    await b.unfollow(ROOM)
    await b.follow(ROOM + 2)
    await a.publish(ROOM, said("after"))
    await a.publish(ROOM + 2, said("marker"))  # the same publisher: it comes after "after"
    assert await heard.until(2) == [(ROOM, "before"), (ROOM + 2, "marker")]


async def test_a_publish_to_an_unreachable_redis_raises_and_the_next_one_still_tries(
    redis_url,
):
    bus = RedisBus(redis_url)
    await bus.start(Heard())
    try:
        # Its publishing connection now points where nothing listens (the bus hides it).
        await bus._publishing.aclose()
        bus._publishing = type(bus._publishing).from_url(
            "redis://127.0.0.1:1/0", socket_connect_timeout=1
        )
        for _ in range(2):
            with pytest.raises(RedisConnectionError):
                await bus.publish(ROOM, said("lost"))
    finally:
        await bus.stop()
