"""``MediaRelay`` over several ``tupa relay`` processes: each room at the relay it is placed on.

A room is placed on its first relay call (the least-loaded live relay, claimed atomically in
Redis, ``signaling.relay_directory``) and every later call for it goes to that relay, from
whichever web instance. A relay that stops announcing itself is dead: :meth:`moves`, called by
the room server every beat for the rooms it has loaded, places those rooms on another relay and
returns the ones this instance moved, whose people the room server then tells to publish and
subscribe again (``server.rooms.relay_moves``). Until then, calls for a room on a dead relay
raise ``RelayUnavailable``, as calls to one unreachable relay always did: clients try again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from signaling.client import RelayClient
from signaling.interface import RelayUnavailable
from signaling.relay_directory import RelayDirectory
from signaling.relay_rules import beat_interval, keeps, least_loaded

log = logging.getLogger(__name__)

T = TypeVar("T")
# Waiting at start for the first reading of the relays: a room server that starts before any
# relay still starts (rooms get "relay unavailable" until one announces itself).
FIRST_READ_SECONDS = 5.0


class PlacedRelays:
    """Rooms spread over the relays announced in Redis; see the module docstring."""

    def __init__(
        self,
        directory: RelayDirectory,
        secret: str,
        client: Callable[[str, str], RelayClient] = RelayClient,
    ) -> None:
        self.directory = directory
        self._secret = secret
        self._client = client
        self._clients: dict[str, RelayClient] = {}

    @property
    def beat(self) -> float:
        """How often the room server checks for rooms to move: as often as relays announce."""
        return beat_interval(self.directory.ttl)

    async def start(self) -> None:
        self.directory.start()
        try:
            async with asyncio.timeout(FIRST_READ_SECONDS):
                await self.directory.refreshed.wait()
        except TimeoutError:
            log.warning("no relays read from Redis yet; the room server keeps trying")

    async def publish(self, room: str, publisher: str, offer_sdp: str) -> str:
        return await (await self._at(room)).publish(room, publisher, offer_sdp)

    async def subscribe(self, room: str, subscriber: str, publisher: str) -> str:
        return await (await self._at(room)).subscribe(room, subscriber, publisher)

    async def answer(self, room: str, subscriber: str, publisher: str, answer_sdp: str) -> None:
        await (await self._at(room)).answer(room, subscriber, publisher, answer_sdp)

    async def stop_forwarding(self, room: str, publisher: str, kind: str) -> None:
        await (await self._at(room)).stop_forwarding(room, publisher, kind)

    async def resume_forwarding(self, room: str, publisher: str, kind: str) -> None:
        await (await self._at(room)).resume_forwarding(room, publisher, kind)

    async def unpublish(self, room: str, publisher: str) -> None:
        relay = await self._where(room, place=False)
        if relay is not None:
            await relay.unpublish(room, publisher)

    async def leave(self, room: str, person: str) -> None:
        relay = await self._where(room, place=False)
        if relay is not None:
            await relay.leave(room, person)

    async def moves(self, rooms: Iterable[str]) -> list[str]:
        """Renew the placements of ``rooms`` and move those on a dead relay to a live one;
        the rooms this instance moved (another instance may have been first with some)."""
        rooms = list(rooms)
        if not rooms:
            return []
        await self._redis(self.directory.renew(rooms))
        moved = []
        live = self.directory.live_ids()
        for room in rooms:
            placed = await self._redis(self.directory.placement(room))
            if placed is None or keeps(placed, live):
                continue
            choice = least_loaded(self.directory.live(), avoid=[placed])
            if choice is None:
                continue  # no relay at all: nothing to move to; calls fail until one comes
            where, by_us = await self._redis(self.directory.claim(room, placed, choice.relay))
            if by_us:
                log.warning("room %s moved from a dead relay %s to %s", room, placed, where)
                moved.append(room)
        return moved

    async def close(self) -> None:
        await self.directory.stop()
        await asyncio.gather(*(c.close() for c in self._clients.values()))
        self._clients.clear()

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
        if url is None:
            return None
        client = self._clients.get(url)
        if client is None:
            client = self._clients[url] = self._client(url, self._secret)
        return client

    @staticmethod
    async def _redis(work: Awaitable[T]) -> T:
        try:
            return await work
        except RelayUnavailable:
            raise
        except Exception as exc:  # Redis away: as good as no relay, for this call
            raise RelayUnavailable(f"Redis: {type(exc).__name__}") from exc
