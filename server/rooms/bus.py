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
from server.rooms.events import Audience, Event, EventType

log = logging.getLogger(__name__)

Handler = Callable[[int, list[Event]], Awaitable[None]]
# Told which rooms the bus follows again after it lost Redis: their events of the meantime are
# only in the database.
Resubscribed = Callable[[list[int]], None]
SUBSCRIBE_TIMEOUT_SECONDS = 10
# Subscribed from the start and never published on: redis-py's listen() ends while its
# connection follows no channel at all.
IDLE_CHANNEL = "tupa:idle"


def channel(session_id: int) -> str:
    """The Redis channel of one room's events."""
    return f"tupa:room:{session_id}"


class Bus(Protocol):
    async def start(self, handler: Handler, resubscribed: Resubscribed | None = None) -> None: ...
    async def follow(self, session_id: int) -> None:
        """Receive this room's events from now on (before its state is loaded, so that
        nothing published in between is missed)."""

    async def unfollow(self, session_id: int) -> None:
        """Nobody here is in this room any more."""

    async def publish(self, session_id: int, events: list[Event]) -> None: ...
    async def stop(self) -> None: ...


class MemoryBus:
    """One process: publish hands the events straight to the handler, in the publisher's turn.

    The handler only delivers to sockets (it never waits), so there is nothing to gain from a
    queue and a task of its own, and a turn of the event loop to lose: on a busy server every
    turn a message waits for is several milliseconds.
    """

    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self, handler: Handler, resubscribed: Resubscribed | None = None) -> None:
        self._handler = handler  # never cut off: nothing is missed

    async def follow(self, session_id: int) -> None:
        """Every room's events reach the handler anyway."""

    async def unfollow(self, session_id: int) -> None:
        """Every room's events reach the handler anyway."""

    async def publish(self, session_id: int, events: list[Event]) -> None:
        if self._handler is None:
            return  # stopped (or not started): nobody here to deliver to
        try:
            await self._handler(session_id, events)
        except Exception:  # one bad event must not fail its publisher, nor stop every room
            log.exception("room event handler failed")

    async def stop(self) -> None:
        self._handler = None


class RedisBus:
    """Many instances: a Redis pub/sub channel per room, followed by the instances that have
    people in that room. Where rooms are spread over instances (sticky by room), an instance
    hears only its own rooms.

    Redis delivers the messages of one channel in publish order per connection. Every instance
    publishes through one connection of its own, from one task, so its events keep their order;
    the hub orders events of different instances by their sequence numbers. Whatever was
    published while the previous round trip was under way goes out together in one pipeline:
    a busy instance makes one round trip per batch, not one per message.
    """

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis

        self._redis = redis.from_url(url)
        # A pool of exactly one connection: concurrent publishes on several connections could
        # overtake each other.
        self._publishing = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(url, max_connections=1)
        )
        self._pubsub = self._redis.pubsub()
        self._subscribing: dict[bytes, asyncio.Future[None]] = {}
        self._outbox: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._listener = OwnedTask("tupa-redis-bus")
        self._publisher = OwnedTask("tupa-redis-publisher")

    async def start(self, handler: Handler, resubscribed: Resubscribed | None = None) -> None:
        pubsub = self._pubsub
        await pubsub.subscribe(IDLE_CHANNEL)

        async def listen() -> None:
            async for message in pubsub.listen():
                kind = message.get("type")
                if kind == "subscribe":
                    waiting = self._subscribing.pop(message["channel"], None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(None)
                    continue
                if kind != "message":
                    continue
                try:
                    await handler(*decode(message["data"]))
                except Exception:
                    log.exception("room event handler failed")

        self._listener.start(listen())
        self._publisher.start(self._publish_batches())

    async def follow(self, session_id: int) -> None:
        """Subscribe, and wait until Redis confirms: from then on nothing is missed."""
        name = channel(session_id)
        confirmed = asyncio.get_running_loop().create_future()
        self._subscribing[name.encode()] = confirmed
        try:
            await self._pubsub.subscribe(name)
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                await confirmed
        finally:
            self._subscribing.pop(name.encode(), None)

    async def unfollow(self, session_id: int) -> None:
        await self._pubsub.unsubscribe(channel(session_id))

    async def publish(self, session_id: int, events: list[Event]) -> None:
        """Hand the events to Redis; returns once Redis has taken them (or raises why not)."""
        done = asyncio.get_running_loop().create_future()
        self._outbox.append((channel(session_id), encode(session_id, events), done))
        self._wakeup.set()
        await done

    async def _publish_batches(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._outbox = self._outbox, []
            if not batch:
                continue
            try:
                async with self._publishing.pipeline(transaction=False) as pipe:
                    for name, payload, _ in batch:
                        pipe.publish(name, payload)
                    await pipe.execute()
            except Exception as exc:  # Redis unreachable: every publisher of the batch hears why
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def stop(self) -> None:
        await self._publisher.stop()
        for _, _, done in self._outbox:
            done.cancel()
        self._outbox = []
        await self._listener.stop()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._publishing.aclose()
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
        Event(
            EventType(e["t"]), e["d"], Audience.from_json(e["a"]), e["ac"], e["c"], e["q"], e["o"]
        )
        for e in body["e"]
    ]
    return int(body["s"]), events


def bus_for(redis_url: str | None) -> Bus:
    """Redis when ``TUPA_REDIS_URL`` is set, the in-process bus otherwise."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
