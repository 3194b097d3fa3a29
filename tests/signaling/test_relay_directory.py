"""Relays announcing themselves in Redis and room servers reading them: the thin Redis part,
against a redis-server of the test's own (it is stopped in one test)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from signaling.relay_directory import PLACEMENT_PREFIX, RELAY_PREFIX, RelayAnnouncer, RelayDirectory
from signaling.relay_rules import Announcement
from tests.redis_server import RedisServer

TTL = 1.0


@pytest.fixture
async def redis(tmp_path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


def describing(name: str, subscriptions: int = 0) -> Announcement:
    return Announcement(name, f"http://127.0.0.1:9/{name}", 0.0, subscriptions, 0)


async def test_an_announced_relay_is_read_alive_and_withdrawn_when_it_stops(redis):
    announcer = RelayAnnouncer(redis.url, lambda: describing("r1", subscriptions=4), TTL)
    directory = RelayDirectory(redis.url, TTL)
    try:
        await announcer.start()
        await directory.refresh()
        assert directory.live() == [describing("r1", subscriptions=4)]
        assert directory.url_of("r1") == "http://127.0.0.1:9/r1"
        assert 0 < await directory._redis.pttl(RELAY_PREFIX + "r1") <= TTL * 1000

        await announcer.stop()
        await directory.refresh()
        assert directory.live() == [] and directory.url_of("r1") is None
        assert directory.dropped.is_set()  # the room server moves its rooms at once
    finally:
        await directory.stop()


async def test_a_killed_relays_announcement_expires_with_its_ttl(redis):
    directory = RelayDirectory(redis.url, TTL)
    try:
        await directory._redis.set(RELAY_PREFIX + "r2", describing("r2").to_json(), px=300)
        await directory.refresh()
        assert [a.relay for a in directory.live()] == ["r2"]
        await directory._redis.delete(RELAY_PREFIX + "r2")  # as Redis does once the TTL passed
        await directory.refresh()
        assert directory.live() == []
    finally:
        await directory.stop()


async def test_what_is_not_an_announcement_is_ignored(redis):
    directory = RelayDirectory(redis.url, TTL)
    try:
        await directory._redis.set(RELAY_PREFIX + "junk", b"\xff not json")
        await directory._redis.set(RELAY_PREFIX + "r3", describing("r3").to_json())
        await directory.refresh()
        assert [a.relay for a in directory.live()] == ["r3"]
    finally:
        await directory.stop()


async def test_placements_are_claimed_once_and_renewed(redis):
    directory = RelayDirectory(redis.url, TTL)
    try:
        assert await directory.claim("7", None, "r1") == ("r1", True)
        assert await directory.claim("7", None, "r2") == ("r1", False)  # someone was first
        assert await directory.claim("7", "r1", "r2") == ("r2", True)  # moved off r1
        assert await directory.claim("7", "r1", "r3") == ("r2", False)  # already moved
        await directory._redis.pexpire(PLACEMENT_PREFIX + "7", 1000)
        await directory.renew(["7"])
        assert await directory._redis.pttl(PLACEMENT_PREFIX + "7") > 1000
    finally:
        await directory.stop()


async def test_a_relay_without_redis_keeps_running_and_says_so_once(redis, caplog):
    announcer = RelayAnnouncer(redis.url, lambda: describing("r4"), TTL)
    await announcer.start()
    await redis.stop()
    with caplog.at_level(logging.WARNING, logger="signaling.relay_directory"):
        await announcer.beat()
        await announcer.beat()
    assert len([r for r in caplog.records if "could not announce" in r.getMessage()]) == 1
    await announcer.stop()


async def test_where_many_rooms_are_is_read_at_once(redis):
    directory = RelayDirectory(redis.url, TTL)
    try:
        await directory.claim("1", None, "r1")
        await directory.claim("2", None, "r2")
        assert await directory.claim_second("2", None, "r1") == "r1"
        assert await directory.placements(["1", "2", "3"]) == [
            ("r1", None),
            ("r2", "r1"),
            (None, None),
        ]
    finally:
        await directory.stop()
