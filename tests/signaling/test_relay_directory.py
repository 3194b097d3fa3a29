"""Relays announcing themselves in Redis and room servers reading them: the thin Redis part,
against a redis-server of the test's own (it is stopped in one test), and the probes of the
relays' ``/health``: swapped for an answering transport where only Redis is the point, real
against real sockets where reach is."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from signaling.relay import Relay
from signaling.relay_directory import PLACEMENT_PREFIX, RELAY_PREFIX, RelayAnnouncer, RelayDirectory
from signaling.relay_probe import RelayProbe
from signaling.relay_rules import Announcement, beat_interval, probe_timeout
from signaling.service import relay_service
from tests.conftest import free_port
from tests.redis_server import RedisServer

TTL = 1.0


def answering_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"status": "ok"})


def answered_directory(url: str) -> RelayDirectory:
    """A directory whose probes every relay answers: for tests of what Redis holds."""
    return RelayDirectory(url, TTL, RelayProbe(1.0, httpx.MockTransport(answering_ok)))


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
    directory = answered_directory(redis.url)
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
    directory = answered_directory(redis.url)
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
    directory = answered_directory(redis.url)
    try:
        await directory._redis.set(RELAY_PREFIX + "junk", b"\xff not json")
        await directory._redis.set(RELAY_PREFIX + "r3", describing("r3").to_json())
        await directory.refresh()
        assert [a.relay for a in directory.live()] == ["r3"]
    finally:
        await directory.stop()


async def test_placements_are_claimed_once_and_renewed(redis):
    directory = answered_directory(redis.url)
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
    directory = answered_directory(redis.url)
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


@pytest.fixture
async def real_relay() -> AsyncIterator[str]:
    """A relay service (``tupa relay``'s app) under uvicorn on a free port: its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        relay_service(Relay(), "secret"), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never answers: a hung listener."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


async def announce(directory: RelayDirectory, name: str, url: str) -> None:
    announcement = Announcement(name, url, 0.0, 0, 0)
    await directory._redis.set(RELAY_PREFIX + name, announcement.to_json(), px=60_000)


async def refresh_until(directory: RelayDirectory, seconds: float) -> None:
    """Refresh as the directory's own loop does, a beat apart, for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await directory.refresh()
        await asyncio.sleep(beat_interval(directory.ttl))


async def test_a_relay_that_announces_itself_but_does_not_answer_is_not_live(
    redis, real_relay, silent_port, caplog
):
    directory = RelayDirectory(redis.url, TTL)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    try:
        await announce(directory, "real", real_relay)
        await announce(directory, "closed", closed)
        await announce(directory, "silent", f"http://127.0.0.1:{silent_port}")
        started = time.monotonic()
        await directory.refresh()
        # Live from the first answer on; the others never were, so no room may go there.
        assert [a.relay for a in directory.live()] == ["real"]
        assert directory.url_of("closed") is None and directory.url_of("silent") is None
        assert time.monotonic() - started < probe_timeout(TTL) + 0.5  # probed at once

        with caplog.at_level(logging.INFO, logger="signaling.relay_directory"):
            await refresh_until(directory, TTL + beat_interval(TTL))
        assert directory.live_ids() == {"real"}
        assert directory.unreachable_ids() == {"closed", "silent"}
        lines = [r.getMessage() for r in caplog.records]
        assert sum("closed is announced but does not answer" in line for line in lines) == 1
        assert sum("silent is announced but does not answer" in line for line in lines) == 1
        assert not any("real" in line for line in lines)
    finally:
        await directory.stop()


async def test_a_relay_that_stops_answering_is_dropped_within_its_ttl_and_counts_again(
    redis, real_relay, caplog
):
    answering = {"yes": True}

    def health(request: httpx.Request) -> httpx.Response:
        return answering_ok(request) if answering["yes"] else httpx.Response(502)

    probe = RelayProbe(probe_timeout(TTL), httpx.MockTransport(health))
    directory = RelayDirectory(redis.url, TTL, probe)
    try:
        await announce(directory, "r5", "http://10.0.0.5:8100")
        await directory.refresh()
        assert directory.live_ids() == {"r5"}
        directory.dropped.clear()

        answering["yes"] = False
        cut = time.monotonic()
        with caplog.at_level(logging.INFO, logger="signaling.relay_directory"):
            while "r5" in directory.live_ids():
                await directory.refresh()
                await asyncio.sleep(beat_interval(TTL))
            assert time.monotonic() - cut <= TTL + beat_interval(TTL)
            await directory.refresh()
            assert directory.dropped.is_set()  # its rooms move at once
            assert directory.unreachable_ids() == {"r5"} and directory.url_of("r5") is None

            answering["yes"] = True
            await directory.refresh()
            assert directory.live_ids() == {"r5"}
            assert directory.unreachable_ids() == set()
            await directory.refresh()
        lines = [r.getMessage() for r in caplog.records]
        assert sum("r5 is announced but does not answer" in line for line in lines) == 1
        assert sum("r5 answers again" in line for line in lines) == 1
    finally:
        await directory.stop()
