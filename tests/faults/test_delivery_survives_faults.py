"""Nothing acknowledged is ever lost (issue 19, point 6): two real instances on a PostgreSQL and a
Redis of the test's own, browser-like clients writing all along, and one fault per test. After
each, every acknowledged message reached every admitted person exactly once and in order, nobody
is left online and no socket is left open. ``TUPA_FAULTS_LONG=1`` runs the long variants."""

from __future__ import annotations

import asyncio

from tests.faults.cluster import (
    LONG,
    Cluster,
    chatter,
    check_delivery,
    check_nothing_left,
    open_room,
    settle,
)
from tests.faults.processes import OwnPostgres

SECONDS = 20.0 if LONG else 4.0  # how long the clients write around each fault
PRESENCE_EXPIRY = 15.0 + 5.0  # an instance that stops heartbeating loses its people by then


async def test_killing_an_instance_loses_nothing_acknowledged(cluster: Cluster) -> None:
    room = await open_room(cluster, parents=4)
    writes = asyncio.create_task(chatter(room, SECONDS))
    await asyncio.sleep(SECONDS / 2)
    cluster.b.kill()
    written = await writes
    await settle(room)
    check_delivery(room, "kill -9 of instance B", written)
    await check_nothing_left(room, PRESENCE_EXPIRY)


async def test_restarting_redis_loses_nothing_acknowledged(cluster: Cluster) -> None:
    room = await open_room(cluster, parents=4)
    writes = asyncio.create_task(chatter(room, SECONDS))
    await asyncio.sleep(SECONDS / 2)
    await cluster.redis.stop()
    await asyncio.sleep(0.4)  # Redis away as long as in the restart
    await cluster.redis.start()
    written = await writes
    await settle(room)
    check_delivery(room, "Redis restarted", written)
    await check_nothing_left(room)


async def test_restarting_postgresql_loses_nothing_acknowledged(
    cluster: Cluster, own_postgres: OwnPostgres
) -> None:
    room = await open_room(cluster, parents=4)
    writes = asyncio.create_task(chatter(room, SECONDS))
    await asyncio.sleep(SECONDS / 2)
    await asyncio.to_thread(own_postgres.stop)
    await asyncio.sleep(1.0)  # the database away for a second
    await asyncio.to_thread(own_postgres.start)
    written = await writes
    await settle(room)
    check_delivery(room, "PostgreSQL restarted", written)
    await check_nothing_left(room)


async def test_freezing_an_instance_loses_nothing_acknowledged(cluster: Cluster) -> None:
    room = await open_room(cluster, parents=4)
    writes = asyncio.create_task(chatter(room, SECONDS))
    await asyncio.sleep(SECONDS / 4)
    cluster.b.freeze()
    await asyncio.sleep(SECONDS / 2)  # B stands still while A goes on
    cluster.b.thaw()
    written = await writes
    await settle(room)
    check_delivery(room, "instance B frozen (SIGSTOP) and thawed", written)
    await check_nothing_left(room)
