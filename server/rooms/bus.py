"""Fan-out of room events to every instance: in process, or Redis pub/sub.

An instance publishes each batch of events once; every instance (itself included) receives it and
delivers it to its own connections. The in-process bus hands the event objects over as they are;
the Redis bus encodes them as JSON on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from server.lifecycle import OwnedTask
from server.rooms.events import Audience, Event, EventType

log = logging.getLogger(__name__)

Handler = Callable[[int, list[Event]], Awaitable[None]]
# Told which rooms the bus follows again after it lost Redis: their events of the meantime are
# only in the database.
Resubscribed = Callable[[list[int]], None]
SUBSCRIBE_TIMEOUT_SECONDS = 10
CHECK_TIMEOUT_SECONDS = 2
# Reconnecting to Redis: the first wait, and the longest.
RECONNECT_FIRST_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 5.0
_JITTER = random.SystemRandom()
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
    async def check(self) -> None:
        """Raises ``BusUnavailable`` when events cannot travel between instances now."""


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

    async def check(self) -> None:
        """In process: always there."""


class BusUnavailable(Exception):
    """The bus cannot reach Redis now: a room cannot be followed (its client comes back later)."""


class RedisBus:
    """Many instances: a Redis pub/sub channel per room, followed by the instances that have
    people in that room. Where rooms are spread over instances (sticky by room), an instance
    hears only its own rooms.

    Redis delivers the messages of one channel in publish order per connection. Every instance
    publishes through one connection of its own, from one task, so its events keep their order;
    the hub orders events of different instances by their sequence numbers. Whatever was
    published while the previous round trip was under way goes out together in one pipeline:
    a busy instance makes one round trip per batch, not one per message.

    Redis may go away (a restart, the network). The listener then connects again with growing
    waits, subscribes to every room it follows, and tells the hub (``resubscribed``) which rooms
    those were: what was published meanwhile is read from the database. While it is away,
    ``follow`` fails at once with ``BusUnavailable`` and ``check`` says so.
    """

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # The listener's connection never reconnects behind the bus's back: a reconnection it
        # does not see would skip reading what was missed.
        self._redis = redis.from_url(url, retry=Retry(NoBackoff(), 0))
        # A pool of exactly one connection: concurrent publishes on several connections could
        # overtake each other. A publish that meets the connection a restart of Redis cut is
        # tried once more on a new one (a publish that went out twice is delivered once).
        self._publishing = redis.Redis(
            connection_pool=redis.BlockingConnectionPool.from_url(
                url, max_connections=1, retry=Retry(NoBackoff(), 1)
            )
        )
        self._pubsub: Any = None  # the listener's, while it is connected
        self._following: set[int] = set()
        self._subscribing: dict[bytes, asyncio.Future[None]] = {}
        self._outbox: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._connected = asyncio.Event()
        self._listener = OwnedTask("tupa-redis-bus")
        self._publisher = OwnedTask("tupa-redis-publisher")

    async def start(self, handler: Handler, resubscribed: Resubscribed | None = None) -> None:
        """Start listening; waits (a while) for the first connection, which a Redis that is
        down now does not get: the bus then keeps trying, and ``check`` fails meanwhile."""
        self._listener.start(self._listen(handler, resubscribed))
        self._publisher.start(self._publish_batches())
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                await self._connected.wait()
        except TimeoutError:
            log.warning("the room bus has no Redis yet; it keeps trying")

    async def _listen(self, handler: Handler, resubscribed: Resubscribed | None) -> None:
        failures = 0
        while True:
            pubsub = self._redis.pubsub()
            rooms = sorted(self._following)
            try:
                # Redis answers in order: once the idle channel is confirmed, so are the rooms.
                await pubsub.subscribe(*(channel(r) for r in rooms), IDLE_CHANNEL)
                async for message in pubsub.listen():
                    kind = message.get("type")
                    if kind == "subscribe":
                        if message["channel"] == IDLE_CHANNEL.encode() and self._pubsub is None:
                            self._pubsub, failures = pubsub, 0
                            self._connected.set()
                            if rooms and resubscribed is not None:
                                resubscribed(rooms)
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
                raise ConnectionError("the subscription ended")
            except Exception as exc:  # Redis went away (or never came): connect again
                log.warning("the room bus lost Redis (%s); reconnecting", type(exc).__name__)
            finally:
                self._disconnected()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            failures += 1
            await asyncio.sleep(reconnect_wait(failures))

    def _disconnected(self) -> None:
        self._pubsub = None
        self._connected.clear()
        for waiting in self._subscribing.values():
            if not waiting.done():
                waiting.set_exception(BusUnavailable("Redis went away"))
        self._subscribing.clear()

    async def follow(self, session_id: int) -> None:
        """Subscribe, and wait until Redis confirms: from then on nothing is missed. Raises
        ``BusUnavailable`` when Redis is away or goes away before it confirms."""
        pubsub = self._pubsub
        if pubsub is None:
            raise BusUnavailable("no Redis")
        name = channel(session_id)
        confirmed = asyncio.get_running_loop().create_future()
        self._subscribing[name.encode()] = confirmed
        self._following.add(session_id)
        try:
            await pubsub.subscribe(name)
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT_SECONDS):
                await confirmed
        except BaseException as exc:
            self._following.discard(session_id)
            if isinstance(exc, (BusUnavailable, asyncio.CancelledError)):
                raise
            raise BusUnavailable(type(exc).__name__) from exc
        finally:
            self._subscribing.pop(name.encode(), None)

    async def unfollow(self, session_id: int) -> None:
        self._following.discard(session_id)
        pubsub = self._pubsub
        if pubsub is not None:  # else the next connection does not subscribe to it
            with contextlib.suppress(Exception):  # gone with the connection, if that broke
                await pubsub.unsubscribe(channel(session_id))

    async def check(self) -> None:
        """Raises ``BusUnavailable`` unless the bus listens and Redis answers now."""
        if self._pubsub is None:
            raise BusUnavailable("not subscribed")
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._publishing.ping()  # the way events leave this instance
        except Exception as exc:
            raise BusUnavailable(type(exc).__name__) from exc

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
        await self._listener.stop()  # its connection is closed on the way out
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


def reconnect_wait(failures: int) -> float:
    """Seconds before connecting again after ``failures`` failures in a row: doubling up to a
    limit, spread so that instances cut off together do not return together."""
    wait = min(RECONNECT_MAX_SECONDS, RECONNECT_FIRST_SECONDS * 2 ** max(0, failures - 1))
    return float(wait * _JITTER.uniform(0.8, 1.2))


def bus_for(redis_url: str | None) -> Bus:
    """Redis when ``TUPA_REDIS_URL`` is set, the in-process bus otherwise."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
