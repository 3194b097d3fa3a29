"""Fan-out of room events to every instance: in process, or Redis pub/sub.

An instance publishes each batch of events once; every instance (itself included) receives it and
delivers it to its own connections. The in-process bus hands the event objects over as they are;
the Redis bus encodes them as JSON on the wire.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from server.lifecycle import OwnedTask
from server.rooms.state import Audience, Event

log = logging.getLogger(__name__)

Handler = Callable[[int, list[Event]], Awaitable[None]]
CHANNEL = "tupa:rooms"


class Bus(Protocol):
    async def start(self, handler: Handler) -> None: ...
    async def publish(self, session_id: int, events: list[Event]) -> None: ...
    async def stop(self) -> None: ...


class MemoryBus:
    """One process: publish hands the events to the handler in order, through a queue."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[int, list[Event]]] = asyncio.Queue()
        self._task = OwnedTask("tupa-memory-bus")

    async def start(self, handler: Handler) -> None:
        async def pump() -> None:
            while True:
                session_id, events = await self._queue.get()
                try:
                    await handler(session_id, events)
                except Exception:  # one bad event must not stop every room
                    log.exception("room event handler failed")

        self._task.start(pump())

    async def publish(self, session_id: int, events: list[Event]) -> None:
        self._queue.put_nowait((session_id, events))

    async def stop(self) -> None:
        await self._task.stop()


class RedisBus:
    """Many instances: one Redis pub/sub channel that every instance subscribes to.

    Redis delivers the messages of one channel in publish order per connection, and every
    instance publishes through a single connection, so each instance's events keep their order;
    the hub orders events of different instances by their sequence numbers.
    """

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis

        self._redis = redis.from_url(url)
        self._task = OwnedTask("tupa-redis-bus")

    async def start(self, handler: Handler) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)

        async def pump() -> None:
            try:
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        await handler(*decode(message["data"]))
                    except Exception:
                        log.exception("room event handler failed")
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]

        self._task.start(pump())

    async def publish(self, session_id: int, events: list[Event]) -> None:
        await self._redis.publish(CHANNEL, encode(session_id, events))

    async def stop(self) -> None:
        await self._task.stop()
        await self._redis.aclose()


def encode(session_id: int, events: list[Event]) -> bytes:
    """Events of one room as a JSON message for the wire between instances."""
    body = {
        "s": session_id,
        "e": [
            {
                "t": e.type,
                "d": e.data,
                "a": e.audience.to_json(),
                "l": e.lasting,
                "ac": e.actor,
                "c": e.cid,
                "q": e.seq,
                "o": e.origin,
            }
            for e in events
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def decode(payload: bytes) -> tuple[int, list[Event]]:
    body = json.loads(payload)
    events = [
        Event(e["t"], e["d"], Audience.from_json(e["a"]), e["l"], e["ac"], e["c"], e["q"], e["o"])
        for e in body["e"]
    ]
    return int(body["s"]), events


def bus_for(redis_url: str | None) -> Bus:
    """Redis when ``TUPA_REDIS_URL`` is set, the in-process bus otherwise."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
