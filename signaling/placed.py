"""``MediaRelay`` over several ``tupa relay`` processes: each room at the relay it is placed on.

A room is placed on its first relay call (the least-loaded live relay, claimed atomically in
Redis, ``signaling.relay_directory``) and every later call for it goes to that relay, from
whichever web instance. A relay that stops announcing itself, or that this instance has not
reached for a TTL (``RelayDirectory``), is dead: :meth:`moves`, called by
the room server every beat for the rooms it has loaded, places those rooms on another relay and
returns the ones this instance moved, whose people the room server then tells to publish and
subscribe again (``server.rooms.relay_moves``). Until then, calls for a room on a dead relay
raise ``RelayUnavailable``, as calls to one unreachable relay always did: clients try again.

A room whose relay serves ``cascade_after`` of its subscribers gets a second relay for the next
ones, fed each speaker's streams once by the first (``signaling.cascade``). Each subscriber is
served by one of the two for all their subscriptions; when the second dies, the room server
tells its subscribers to subscribe again, served by another second relay if one is alive, else
by the first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from server.errors import ErrorCode, TupaError
from signaling.cascade import feed, feeder
from signaling.client import RelayClient
from signaling.interface import RelayUnavailable
from signaling.relay_directory import RelayDirectory
from signaling.relay_rules import (
    beat_interval,
    keeps,
    least_loaded,
    relay_for_subscriber,
    second_relay,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# Waiting at start for the first reading of the relays: a room server that starts before any
# relay still starts (rooms get "relay unavailable" until one announces itself).
FIRST_READ_SECONDS = 5.0


@dataclass
class Moves:
    """What one check moved: whole rooms (their relay died), and per room the subscribers whose
    second relay died (they subscribe again, at the first)."""

    rooms: list[str] = field(default_factory=list)
    subscribers: dict[str, list[str]] = field(default_factory=dict)


class PlacedRelays:
    """Rooms spread over the relays announced in Redis; see the module docstring."""

    def __init__(
        self,
        directory: RelayDirectory,
        secret: str,
        client: Callable[[str, str], RelayClient] = RelayClient,
        cascade_after: int | None = None,
    ) -> None:
        self.directory = directory
        self.cascade_after = cascade_after
        self._secret = secret
        self._client = client
        self._clients: dict[str, RelayClient] = {}

    @property
    def beat(self) -> float:
        """How often the room server checks for rooms to move: as often as relays announce."""
        return beat_interval(self.directory.ttl)

    async def changed(self) -> None:
        """Wait a beat, or less if a relay was found gone meanwhile (its rooms move at once)."""
        try:
            async with asyncio.timeout(self.beat):
                await self.directory.dropped.wait()
        except TimeoutError:
            return
        self.directory.dropped.clear()

    async def start(self) -> None:
        self.directory.start()
        try:
            async with asyncio.timeout(FIRST_READ_SECONDS):
                await self.directory.refreshed.wait()
        except TimeoutError:
            log.warning("no relays read from Redis yet; the room server keeps trying")

    async def publish(self, room: str, publisher: str, offer_sdp: str) -> str:
        answer = await (await self._at(room)).publish(room, publisher, offer_sdp)
        # A feed of the earlier publication to the second relay is stale now: its viewers
        # subscribe anew (a new publication) and the feed is set up again from this one.
        second = await self._second(room)
        if second is not None:
            await _quietly(second[1].unpublish(room, publisher))
        return answer

    async def subscribe(self, room: str, subscriber: str, publisher: str) -> str:
        first = await self._at(room)
        served = await self._serving(room, subscriber)
        if served is None:
            return await first.subscribe(room, subscriber, publisher)
        second_id, second = served
        try:
            return await second.subscribe(room, subscriber, publisher)
        except TupaError as exc:
            if exc.code is not ErrorCode.NOT_FOUND:
                raise
        await self._redis(feed(self.directory, room, publisher, first, second, second_id))
        return await second.subscribe(room, subscriber, publisher)

    async def answer(self, room: str, subscriber: str, publisher: str, answer_sdp: str) -> None:
        relay = await self._at(room)
        served = await self._redis(self.directory.subscribers(room))
        second_id = served.get(subscriber)
        url = self.directory.url_of(second_id) if second_id is not None else None
        if url is not None and second_id != await self._redis(self.directory.placement(room)):
            relay = self._client_of(url)
        await relay.answer(room, subscriber, publisher, answer_sdp)

    async def stop_forwarding(self, room: str, publisher: str, kind: str) -> None:
        # At the first relay only: what it withholds never reaches the second.
        await (await self._at(room)).stop_forwarding(room, publisher, kind)

    async def resume_forwarding(self, room: str, publisher: str, kind: str) -> None:
        await (await self._at(room)).resume_forwarding(room, publisher, kind)

    async def unpublish(self, room: str, publisher: str) -> None:
        for relay in await self._all(room):
            await relay.unpublish(room, publisher)

    async def leave(self, room: str, person: str) -> None:
        for relay in await self._all(room):
            await relay.leave(room, person)
        await self._redis(self.directory.unserve(room, [person]))

    async def moves(self, rooms: Iterable[str]) -> Moves:
        """Renew the placements of ``rooms``; move those on a dead relay to a live one (the
        rooms this instance moved: another instance may have been first with some), and send
        the subscribers of a dead second relay back to the first."""
        rooms = list(rooms)
        moved = Moves()
        if not rooms:
            return moved
        await self._redis(self.directory.renew(rooms))
        live = self.directory.live_ids()
        where = await self._redis(self.directory.placements(rooms))
        for room, (placed, second) in zip(rooms, where, strict=True):
            if placed is None:
                continue
            if not keeps(placed, live):
                if await self._move(room, placed):
                    moved.rooms.append(room)
                continue
            if second is not None and second not in live:
                back = await self._second_died(room, placed, second)
                if back:
                    moved.subscribers[room] = back
        return moved

    async def close(self) -> None:
        await self.directory.stop()
        await asyncio.gather(*(c.close() for c in self._clients.values()))
        self._clients.clear()

    async def _move(self, room: str, dead: str) -> bool:
        choice = least_loaded(self.directory.live(), avoid=[dead])
        if choice is None:
            return False  # no relay at all: nothing to move to; calls fail until one comes
        where, by_us = await self._redis(self.directory.claim(room, dead, choice.relay))
        if by_us:
            log.warning("room %s moved from a dead relay %s to %s", room, dead, where)
            # Everyone connects anew: the second relay (if any) is the first's to choose again.
            await self._redis(self.directory.forget_second(room))
            await self._redis(self.directory.unserve(room))
        return by_us

    async def _second_died(self, room: str, first: str, dead: str) -> list[str]:
        """Forget the dead second relay; its subscribers (to tell), if this instance was first."""
        if await self._redis(self.directory.second(room)) != dead:
            return []  # another instance saw to it
        await self._redis(self.directory.forget_second(room))
        served = await self._redis(self.directory.subscribers(room))
        back = sorted(s for s, relay in served.items() if relay == dead)
        await self._redis(self.directory.unserve(room, back))
        log.warning("room %s: its second relay %s died; %d subscribers back", room, dead, len(back))
        url = self.directory.url_of(first)
        if url is not None:  # the feeds to the dead relay end at once, not when ICE gives up
            await _quietly(self._client_of(url).leave(room, feeder(dead)))
        return back

    async def _at(self, room: str) -> RelayClient:
        """The client of the room's relay, placing the room first if it is nowhere yet."""
        relay = await self._where(room, place=True)
        if relay is None:
            raise RelayUnavailable(f"room {room}: its relay is not alive")
        return relay

    async def _where(self, room: str, place: bool) -> RelayClient | None:
        """The client of the room's live relay, if it has one (placing it first if ``place``)."""
        placed = await self._redis(self.directory.placement(room))
        if placed is None and place:
            choice = least_loaded(self.directory.live())
            if choice is None:
                raise RelayUnavailable("no relay is alive")
            placed, _ = await self._redis(self.directory.claim(room, None, choice.relay))
        url = self.directory.url_of(placed) if placed is not None else None
        return self._client_of(url) if url is not None else None

    async def _second(self, room: str) -> tuple[str, RelayClient] | None:
        """The room's live second relay, if it has one."""
        second = await self._redis(self.directory.second(room))
        url = self.directory.url_of(second) if second is not None else None
        if second is None or url is None:
            return None
        return second, self._client_of(url)

    async def _all(self, room: str) -> list[RelayClient]:
        first = await self._where(room, place=False)
        second = await self._second(room)
        return [r for r in (first, second[1] if second else None) if r is not None]

    async def _serving(self, room: str, subscriber: str) -> tuple[str, RelayClient] | None:
        """The second relay that serves ``subscriber``, or None for the room's first relay.

        A subscriber keeps the relay they were given; a new one goes to the first until it
        serves ``cascade_after`` of the room's subscribers, then to the second (chosen now, the
        least loaded other live relay, if the room has none yet)."""
        if self.cascade_after is None:
            return None
        first = await self._redis(self.directory.placement(room))
        if first is None:
            return None
        served = await self._redis(self.directory.subscribers(room))
        given = served.get(subscriber)
        if given is None or given not in self.directory.live_ids():
            served.pop(subscriber, None)
            placed_second = await self._redis(self.directory.second(room))
            second_id = placed_second
            if placed_second is None:
                candidate = second_relay(self.directory.live(), first)
                second_id = candidate.relay if candidate else None
            elif placed_second not in self.directory.live_ids():
                # Dead, not yet cleared by the move check (which tells its subscribers to come
                # back): until then new subscribers stay at the first relay.
                second_id = None
            given = relay_for_subscriber(served, first, second_id, self.cascade_after)
            if given != first and placed_second is None:
                given = await self._redis(self.directory.claim_second(room, None, given))
            await self._redis(self.directory.serve(room, subscriber, given))
        url = self.directory.url_of(given)
        if given == first or url is None:
            return None
        return given, self._client_of(url)

    def _client_of(self, url: str) -> RelayClient:
        client = self._clients.get(url)
        if client is None:
            client = self._clients[url] = self._client(url, self._secret)
        return client

    @staticmethod
    async def _redis(work: Awaitable[T]) -> T:
        try:
            return await work
        except (RelayUnavailable, TupaError):  # a relay's own answer, as it is
            raise
        except Exception as exc:  # Redis away: as good as no relay, for this call
            raise RelayUnavailable(f"Redis: {type(exc).__name__}") from exc


async def _quietly(work: Awaitable[None]) -> None:
    """Tidying up at a relay that may be gone: its failure changes nothing for the caller."""
    try:
        await work
    except (RelayUnavailable, TupaError) as exc:
        log.info("tidying up at a relay failed (%s)", type(exc).__name__)
