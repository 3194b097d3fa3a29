"""Fan-out of stored room events to every instance: in process, or Redis pub/sub.

An instance publishes each event once; every instance (itself included) receives it and delivers
it to its own connections. Payloads are opaque bytes here: the hub encodes and decodes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger(__name__)

Handler = Callable[[bytes], Awaitable[None]]
CHANNEL = "tupa:rooms"


class Bus(Protocol):
    async def start(self, handler: Handler) -> None: ...
    async def publish(self, payload: bytes) -> None: ...
    async def stop(self) -> None: ...


class MemoryBus:
    """One process: publish hands the payload to the handler in order, through a queue."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self, handler: Handler) -> None:
        async def pump() -> None:
            while True:
                payload = await self._queue.get()
                try:
                    await handler(payload)
                except Exception:  # one bad event must not stop every room
                    log.exception("room event handler failed")

        self._task = asyncio.create_task(pump(), name="tupa-memory-bus")

    async def publish(self, payload: bytes) -> None:
        self._queue.put_nowait(payload)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class RedisBus:
    """Many instances: one Redis pub/sub channel that every instance subscribes to.

    Redis delivers the messages of one channel in publish order per connection, and every
    instance publishes through a single connection, so each instance's events keep their order;
    the hub orders events of different instances by their sequence numbers.
    """

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis

        self._redis = redis.from_url(url)
        self._task: asyncio.Task[None] | None = None

    async def start(self, handler: Handler) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)

        async def pump() -> None:
            try:
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        await handler(message["data"])
                    except Exception:
                        log.exception("room event handler failed")
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]

        self._task = asyncio.create_task(pump(), name="tupa-redis-bus")

    async def publish(self, payload: bytes) -> None:
        await self._redis.publish(CHANNEL, payload)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._redis.aclose()


def bus_for(redis_url: str | None) -> Bus:
    """Redis when ``TUPA_REDIS_URL`` is set, the in-process bus otherwise."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
