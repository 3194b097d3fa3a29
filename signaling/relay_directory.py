"""Several relays through Redis: relays announce themselves, room servers read and place rooms.

The rules (who is alive, who is least loaded) are ``signaling.relay_rules``; this module only
moves them in and out of Redis:

- ``tupa:relay:<id>``: one relay's ``Announcement`` (JSON), rewritten every beat with a TTL of
  ``ttl`` seconds. A relay that is killed stops rewriting it; one that stops cleanly deletes it.
  One that keeps rewriting it but cannot be reached at its URL is found by the room servers'
  probes (``signaling.relay_probe``), each for itself.
- ``tupa:relay-room:<room>``: the id of the relay a room is placed on. Set and changed only by
  :data:`CLAIM`, atomically: of several web instances placing a room at once, or moving it off a
  dead relay, one wins and every other gets the winner's answer, so all agree where a room is.
  It lives :data:`PLACEMENT_SECONDS` and is renewed while any instance has the room loaded.
- ``tupa:relay-room2:<room>``: the room's second relay, fed by the first (``signaling.cascade``),
  claimed the same way; ``tupa:relay-subscribers:<room>``: a hash of subscriber to the relay
  that serves them (the first or the second), so that their answer reaches the same relay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from server.lifecycle import OwnedTask
from signaling.relay_probe import RelayProbe
from signaling.relay_rules import (
    Announcement,
    beat_interval,
    parse,
    probe_timeout,
    reachable,
    unreachable,
)

log = logging.getLogger(__name__)

RELAY_PREFIX = "tupa:relay:"
PLACEMENT_PREFIX = "tupa:relay-room:"
# A room's second relay (a stage past one relay's share) and which relay serves each subscriber.
SECOND_PREFIX = "tupa:relay-room2:"
SUBSCRIBERS_PREFIX = "tupa:relay-subscribers:"
FEED_LOCK_PREFIX = "tupa:relay-feed-lock:"
# A placement outlives a quiet minute of a room; every instance with the room loaded renews it.
PLACEMENT_SECONDS = 300
# Redis calls are short; a Redis that does not answer must not hold a beat for long.
REDIS_TIMEOUT = 2.0

# Place the room (KEYS[1]) on ARGV[2] if it is unplaced or still on ARGV[1] (the relay found
# dead, or "" when placing anew); return where the room is now, and 1 if this call put it there.
CLAIM = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return {ARGV[2], 1}
end
return {current, 0}
"""


def _redis(url: str) -> Any:
    from redis import asyncio as redis

    return redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)


class RelayAnnouncer:
    """A relay's beat: its announcement written to Redis every ``beat_interval(ttl)`` seconds.

    Redis being away is logged and tried again next beat: room servers then stop placing new
    rooms here (and move its rooms once the announcement is gone), which is all they can do.
    """

    def __init__(self, url: str, describe: Callable[[], Announcement], ttl: float) -> None:
        self._redis = _redis(url)
        self._describe = describe
        self._ttl = ttl
        self._task = OwnedTask("tupa-relay-announcer")
        self._failing = False

    async def start(self) -> None:
        await self.beat()
        self._task.start(self._run())

    async def beat(self) -> None:
        announcement = self._describe()
        try:
            await self._redis.set(
                RELAY_PREFIX + announcement.relay, announcement.to_json(), px=int(self._ttl * 1000)
            )
        except Exception as exc:
            if not self._failing:
                log.warning("the relay could not announce itself (%s)", type(exc).__name__)
            self._failing = True
        else:
            if self._failing:
                log.info("the relay announces itself again")
            self._failing = False

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(beat_interval(self._ttl))
            await self.beat()

    async def stop(self) -> None:
        """Stop announcing and withdraw: room servers move this relay's rooms at once."""
        await self._task.stop()
        try:
            await self._redis.delete(RELAY_PREFIX + self._describe().relay)
        except Exception as exc:
            log.warning("the relay could not withdraw its announcement (%s)", type(exc).__name__)
        await self._redis.aclose()


class RelayDirectory:
    """A room server's view of the relays: refreshed every beat, and where rooms are placed.

    A relay is live for this process while it announces itself in Redis *and* answered this
    process's ``/health`` probe within the TTL (``relay_rules.reachable``). Placement waits for
    the first probe: a relay just announced gets rooms from its first answer on, never before,
    so one that nobody here can reach never gets any. Each beat probes right after reading
    Redis, so that first answer comes within the beat that first read the relay.
    """

    def __init__(self, url: str, ttl: float, probe: RelayProbe | None = None) -> None:
        self._redis = _redis(url)
        self._claim = self._redis.register_script(CLAIM)
        self.ttl = ttl
        self._probe = probe if probe is not None else RelayProbe(probe_timeout(ttl))
        self._seen: dict[str, float] = {}
        self._first_seen: dict[str, float] = {}
        self._answered: dict[str, float] = {}
        self._unreachable: set[str] = set()  # as last logged: a line per change, not per probe
        self._announced: dict[str, Announcement] = {}
        self._task = OwnedTask("tupa-relay-directory")
        self.refreshed = asyncio.Event()
        self.dropped = asyncio.Event()  # set when a relay was found gone: rooms to move now

    def start(self) -> None:
        self._task.start(self._run())

    async def stop(self) -> None:
        await self._task.stop()
        await self._redis.aclose()
        await self._probe.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:
                log.warning("the relays could not be read from Redis (%s)", type(exc).__name__)
            await asyncio.sleep(beat_interval(self.ttl))

    async def refresh(self) -> None:
        """Read every announcement, then probe every announced relay; a relay is alive while it
        was read and answered within its TTL."""
        keys = [key async for key in self._redis.scan_iter(match=RELAY_PREFIX + "*", count=100)]
        values = await self._redis.mget(keys) if keys else []
        now = time.monotonic()
        present = set()
        for raw in values:
            announcement = parse(raw) if raw is not None else None
            if announcement is not None:
                present.add(announcement.relay)
                self._seen[announcement.relay] = now
                self._first_seen.setdefault(announcement.relay, now)
                self._announced[announcement.relay] = announcement
        # Gone from Redis (expired, or withdrawn by a relay that stopped): dead at once. While
        # Redis cannot be read, relays last read die as their TTL passes (``live_ids``).
        for relay in set(self._seen) - present:
            for known in (self._seen, self._first_seen, self._answered, self._announced):
                known.pop(relay, None)
            self._unreachable.discard(relay)
            self.dropped.set()
        await self._probe_all()
        self.refreshed.set()

    async def _probe_all(self) -> None:
        """Ask every announced relay's ``/health``; log and act on changes of reach only."""
        urls = {relay: a.url for relay, a in self._announced.items()}
        answering = await self._probe.answering(urls)
        now = time.monotonic()
        for relay in answering & set(self._announced):  # not one withdrawn meanwhile
            self._answered[relay] = now
        out_of_reach = self.unreachable_ids()
        for relay in sorted(out_of_reach - self._unreachable):
            log.warning("relay %s is announced but does not answer here; its rooms move", relay)
            self.dropped.set()  # the move check moves its rooms now, not a beat later
        for relay in sorted((self._unreachable - out_of_reach) & answering):
            log.info("relay %s answers again", relay)
        self._unreachable = out_of_reach

    def live_ids(self) -> set[str]:
        return reachable(self._seen, self._answered, time.monotonic(), self.ttl)

    def unreachable_ids(self) -> set[str]:
        """Relays announced but not answering this process (for a log line and a gauge)."""
        return unreachable(self._seen, self._answered, self._first_seen, time.monotonic(), self.ttl)

    def live(self) -> list[Announcement]:
        ids = self.live_ids()
        return [a for relay, a in self._announced.items() if relay in ids]

    def url_of(self, relay: str) -> str | None:
        announcement = self._announced.get(relay)
        return announcement.url if announcement and relay in self.live_ids() else None

    async def placement(self, room: str) -> str | None:
        raw = await self._redis.get(PLACEMENT_PREFIX + room)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def claim(self, room: str, expected: str | None, relay: str) -> tuple[str, bool]:
        """Place ``room`` on ``relay`` unless another instance placed or moved it first (off
        ``expected``): where the room is now, and whether this call put it there."""
        keys = [PLACEMENT_PREFIX + room]
        args = [expected or "", relay, PLACEMENT_SECONDS * 1000]
        winner, placed = await self._claim(keys=keys, args=args)
        return (winner.decode() if isinstance(winner, bytes) else str(winner)), placed == 1

    async def renew(self, rooms: Iterable[str]) -> None:
        """Keep the placements of rooms still in use (their second relay and subscribers too)."""
        pipe = self._redis.pipeline(transaction=False)
        for room in rooms:
            for prefix in (PLACEMENT_PREFIX, SECOND_PREFIX, SUBSCRIBERS_PREFIX):
                pipe.pexpire(prefix + room, PLACEMENT_SECONDS * 1000)
        await pipe.execute()

    async def placements(self, rooms: list[str]) -> list[tuple[str | None, str | None]]:
        """Each room's first and second relay, in one round trip (the move check's every beat)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.mget([PLACEMENT_PREFIX + room for room in rooms])
        pipe.mget([SECOND_PREFIX + room for room in rooms])
        firsts, seconds = await pipe.execute()
        return [
            (_text(f) if f is not None else None, _text(s) if s is not None else None)
            for f, s in zip(firsts, seconds, strict=True)
        ]

    async def second(self, room: str) -> str | None:
        raw = await self._redis.get(SECOND_PREFIX + room)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def claim_second(self, room: str, expected: str | None, relay: str) -> str:
        """Give ``room`` a second relay (the same atomic claim as :meth:`claim`)."""
        keys = [SECOND_PREFIX + room]
        args = [expected or "", relay, PLACEMENT_SECONDS * 1000]
        winner, _ = await self._claim(keys=keys, args=args)
        return winner.decode() if isinstance(winner, bytes) else str(winner)

    async def forget_second(self, room: str) -> None:
        await self._redis.delete(SECOND_PREFIX + room)

    async def subscribers(self, room: str) -> dict[str, str]:
        """Which relay serves each subscriber of the room."""
        raw = await self._redis.hgetall(SUBSCRIBERS_PREFIX + room)
        return {_text(k): _text(v) for k, v in raw.items()}

    async def serve(self, room: str, subscriber: str, relay: str) -> None:
        key = SUBSCRIBERS_PREFIX + room
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(key, subscriber, relay)
        pipe.pexpire(key, PLACEMENT_SECONDS * 1000)
        await pipe.execute()

    async def unserve(self, room: str, subscribers: Iterable[str] | None = None) -> None:
        """Forget who serves these subscribers (all of the room's with None)."""
        key = SUBSCRIBERS_PREFIX + room
        if subscribers is None:
            await self._redis.delete(key)
            return
        names = list(subscribers)
        if names:
            await self._redis.hdel(key, *names)

    async def lock_feed(self, name: str, seconds: float) -> bool:
        """Whether this caller may set up the feed ``name`` (one instance at a time)."""
        return bool(
            await self._redis.set(FEED_LOCK_PREFIX + name, "1", nx=True, px=int(seconds * 1000))
        )

    async def unlock_feed(self, name: str) -> None:
        await self._redis.delete(FEED_LOCK_PREFIX + name)

    async def feed_locked(self, name: str) -> bool:
        return bool(await self._redis.exists(FEED_LOCK_PREFIX + name))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
