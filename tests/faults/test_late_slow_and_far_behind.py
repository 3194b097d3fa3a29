"""Delivery that is late, slow or far behind (issue 19, point 6): an instance whose traffic to
Redis is held, a reader that stops reading, and a person who missed more than one replay page.
Real instances and browser-like clients, as in ``test_delivery_survives_faults``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.rooms.welcome import REPLAY_PAGE
from tests.faults.cluster import (
    LONG,
    REPORT,
    Cluster,
    chatter,
    check_delivery,
    check_nothing_left,
    open_room,
    settle,
    start_cluster,
    stop_cluster,
)
from tests.faults.processes import OwnPostgres
from tests.redis_server import RedisServer

HOLDS = 15 if LONG else 5
BEHIND = 3 * REPLAY_PAGE if LONG else REPLAY_PAGE + 100


@pytest.fixture
async def proxied(
    own_postgres: OwnPostgres, own_redis: RedisServer, tmp_path: Path
) -> AsyncIterator[Cluster]:
    """A and B, with B's Redis traffic through a proxy that can hold it."""
    started = await start_cluster(own_postgres.url, own_redis, tmp_path, proxied=True)
    try:
        yield started
    finally:
        await stop_cluster(started)


async def test_publishes_held_on_the_way_to_redis_are_delivered_late_not_lost(
    proxied: Cluster,
) -> None:
    assert proxied.proxy is not None
    room = await open_room(proxied, parents=4)
    writes = asyncio.create_task(chatter(room, 2.0 * HOLDS))
    for _ in range(HOLDS):
        proxied.proxy.hold()
        await asyncio.sleep(1.0)  # B's publishes held for a second, as in the issue
        proxied.proxy.release()
        await asyncio.sleep(1.0)
    written = await writes
    await settle(room)
    check_delivery(room, f"B's Redis traffic held {proxied.proxy.holds} times for 1 s", written)
    await check_nothing_left(room)


async def test_a_slow_reader_delays_nobody_and_then_gets_everything_once(
    cluster: Cluster,
) -> None:
    room = await open_room(cluster, parents=3)
    slow = room.parents[0]
    await slow.stop()
    slow.small_buffer, slow.stopped = True, False
    slow.start()
    await asyncio.wait_for(slow.admitted.wait(), 10)
    slow.pause_reading()
    others = [c for c in room.everyone if c is not slow]
    written = 0
    for n in range(120 if LONG else 60):  # long messages fill the slow reader's queue quickly
        for client in others:
            client.write(f"{client.name} {n}: " + "pitkä viesti " * 150)
            written += 1
        await asyncio.sleep(0.15)  # pacing for the rate limit
    acked = {seq for c in others for seq in c.acked.values()}
    room.parents.remove(slow)  # the others have everything while the slow reader still waits
    await settle(room)
    room.parents.insert(0, slow)
    reached = all(acked <= set(c.messages) for c in others)
    slow.resume_reading()
    await settle(room)
    REPORT.append(
        f"slow reader: the others had every message while it was stalled: {reached}; "
        f"the server closed it with {slow.closes or 'nothing (its queue never filled)'}"
    )
    assert reached
    check_delivery(room, "a slow reader stalled and resumed", written)
    await check_nothing_left(room)


async def test_a_person_who_missed_more_than_a_replay_page_gets_everything_in_pages(
    cluster: Cluster,
) -> None:
    room = await open_room(cluster, parents=5)
    away = room.parents[0]
    await away.stop()
    writers = [c for c in room.everyone if c is not away]
    written, rate = 0, 8.0
    while written < BEHIND:
        for client in writers:
            client.write(f"{client.name}: {written}")
            written += 1
        await asyncio.sleep(1 / rate)  # pacing for the rate limit
    room.parents.remove(away)
    await settle(room, timeout=120)
    room.parents.insert(0, away)
    away.stopped = False
    away.start()
    await settle(room, timeout=60)
    assert away.replays >= 1, "the resume came in one welcome"
    check_delivery(room, f"a person away for {written} messages came back", written)
    await check_nothing_left(room)
