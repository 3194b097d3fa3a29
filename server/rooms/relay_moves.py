"""Rooms whose relay died move to another, and their people connect there again.

Only with several relays (``signaling.placed``): every beat, this instance asks the placement
about the media rooms it has loaded (renewing their placements too). For each room this instance
moved off a dead relay, it commits ``relay_moved`` for everyone who published there; the events
reach every instance's people through the bus like any microphone change. The publisher's own
browser publishes anew (``moved``), the others drop their subscriptions to the old publication
and subscribe to the new one when it comes. When a stage's second relay died, only the
subscribers it served are told to subscribe again (``relay_resubscribe``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from functools import partial
from typing import Any, Protocol, runtime_checkable

from server.lifecycle import OwnedTask
from server.rooms import media_commands
from server.rooms.events import Event
from server.rooms.media import Topology
from server.rooms.runtime import RoomRuntime
from server.rooms.state import Member
from signaling.interface import RelayUnavailable
from signaling.placed import Moves

log = logging.getLogger(__name__)

Committer = Callable[[str, Callable[[Member], list[Event]]], Coroutine[Any, Any, None]]


@runtime_checkable
class MovingRelays(Protocol):
    """A relay of relays whose rooms can move (``signaling.placed.PlacedRelays``)."""

    async def start(self) -> None: ...

    async def moves(self, rooms: Iterable[str]) -> Moves: ...

    async def changed(self) -> None: ...


class RelayMoves:
    """The beat that finds rooms on dead relays and tells their people to connect again."""

    def __init__(
        self,
        relays: MovingRelays,
        rooms: Mapping[int, RoomRuntime],
        committer: Callable[[RoomRuntime], Committer],
    ) -> None:
        self.relays = relays
        self.rooms = rooms
        self.committer = committer
        self._task = OwnedTask("tupa-relay-moves")
        # What this instance moved but could not tell yet (the bus or the database was away):
        # nobody else will tell, since the room now is on a live relay. Tried again each beat.
        self._untold: list[tuple[RoomRuntime, Callable[[Member], list[Event]]]] = []

    async def start(self) -> None:
        await self.relays.start()
        self._task.start(self._run())

    async def stop(self) -> None:
        await self._task.stop()

    async def _run(self) -> None:
        while True:
            await self.relays.changed()
            try:
                await self.check()
            except RelayUnavailable as exc:
                log.warning("rooms on dead relays could not be moved (%s)", exc)
            except Exception:
                log.exception("checking where rooms' relays are failed")

    async def check(self) -> Moves:
        """Move this instance's relay rooms off dead relays, and tell their people."""
        relayed = {
            str(session_id): runtime
            for session_id, runtime in list(self.rooms.items())
            if runtime.topology is Topology.RELAY
        }
        moved = await self.relays.moves(relayed)
        for room in moved.rooms:
            self._untold.append((relayed[room], media_commands.relay_moved))
        for room, subscribers in moved.subscribers.items():
            resubscribe = partial(
                media_commands.relay_resubscribe, subscribers=frozenset(subscribers)
            )
            self._untold.append((relayed[room], resubscribe))
        while self._untold:
            runtime, make = self._untold[0]
            if self.rooms.get(runtime.state.session_id) is runtime:  # still loaded here
                await self._tell(runtime, make)
            self._untold.pop(0)
        return moved

    async def _tell(self, runtime: RoomRuntime, make: Callable[[Member], list[Event]]) -> None:
        """Events about everyone publishing in the room, made from their state as it is now."""
        commit = self.committer(runtime)
        for member in list(runtime.state.members.values()):
            if member.av.relay:
                await commit(member.peer, make)
