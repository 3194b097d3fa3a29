"""Heartbeats between instances, so that no one is shown online through an instance that died.

Every instance publishes a heartbeat in each room it holds every quarter of the expiry time (and
at once when it was cut off from Redis, or another instance asks). Hearing one, an instance makes
its replica agree with it (``server.rooms.liveness``). A sweep at the same pace shows the people of
an instance silent for three quarters of the expiry as gone, so they are offline within the
expiry of its last heartbeat: a killed instance leaves no "online" ghosts, and a frozen one comes
back with its next heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from server.lifecycle import OwnedTask
from server.rooms import liveness
from server.rooms.bus import Bus
from server.rooms.events import NOBODY, Event, EventType
from server.rooms.runtime import RoomRuntime

log = logging.getLogger(__name__)

PRESENCE_EXPIRY_SECONDS = 15.0

Handle = Callable[[RoomRuntime, Event], None]


class Heartbeats:
    def __init__(
        self, rooms: dict[int, RoomRuntime], bus: Bus, instance: str, expiry_seconds: float
    ) -> None:
        self.rooms = rooms
        self.bus = bus
        self.instance = instance
        self.interval = expiry_seconds / 4
        self.silence = expiry_seconds * 3 / 4
        # Per room, when each other instance was last heard (the event loop's clock).
        self._heard: dict[int, dict[str, float]] = {}
        self._task = OwnedTask("tupa-heartbeats")

    def start(self, handle: Handle) -> None:
        self._task.start(self._run(handle))

    async def stop(self) -> None:
        await self._task.stop()

    async def _run(self, handle: Handle) -> None:
        while True:
            await asyncio.sleep(self.interval)
            for session_id in [s for s in self._heard if s not in self.rooms]:
                del self._heard[session_id]  # unloaded
            for runtime in list(self.rooms.values()):
                try:
                    await self.beat(runtime)
                except Exception as error:  # the bus is away: it says so itself
                    log.debug("a heartbeat was not published (%s)", type(error).__name__)
                self._expire(runtime, handle)

    async def beat(self, runtime: RoomRuntime, ask: bool = False) -> None:
        """Tell the other instances who is connected through this one; with ``ask``, ask them
        to answer with theirs."""
        async with runtime.lock:
            events = [liveness.heartbeat(runtime.state, self.instance, runtime.connections)]
            if ask:
                events.append(Event(EventType.PRESENCE_SYNC, {}, NOBODY, origin=self.instance))
            await self.bus.publish(runtime.state.session_id, events)

    def heard(self, runtime: RoomRuntime, beat: Event, handle: Handle) -> None:
        """Another instance's heartbeat: show presence as it says."""
        if beat.origin is None or beat.origin == self.instance:
            return
        self._heard.setdefault(runtime.state.session_id, {})[beat.origin] = self._now()
        for event in liveness.reconcile(runtime.state, beat):
            handle(runtime, event)

    def _expire(self, runtime: RoomRuntime, handle: Handle) -> None:
        state = runtime.state
        now = self._now()
        holders = liveness.holders(state) - {self.instance}
        heard = self._heard.setdefault(state.session_id, {})
        for gone in set(heard) - holders:
            del heard[gone]
        silent = {h for h in holders if now - heard.setdefault(h, now) > self.silence}
        if silent:
            log.info(
                "room %s: presence through %d silent instance(s) expired",
                state.session_id,
                len(silent),
            )
            for event in liveness.expired(state, silent):
                handle(runtime, event)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()
