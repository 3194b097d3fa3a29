"""A ``tupa relay`` that announces itself in Redis, so that room servers place rooms on it.

Only when ``TUPA_RELAY_ANNOUNCE_URL`` is set: the address room servers reach this relay at (it
cannot be guessed from where it listens, ``0.0.0.0`` or behind a NAT). Its id is random per
start (:func:`new_relay_id`): a relay that restarts has lost its rooms, and room servers must see
a new relay. The same id labels the relay's metrics, so a scrape and Redis name it alike.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from signaling.relay import Relay
from signaling.relay_directory import RelayAnnouncer
from signaling.relay_rules import Announcement, packets_per_second


class LoadMeter:
    """Turns the relay's counters into an announcement, the rate measured since the last one."""

    def __init__(self, relay: Relay, relay_id: str, url: str) -> None:
        self.relay = relay
        self.relay_id = relay_id
        self.url = url
        self._last = (relay.load().packets, time.monotonic())

    def __call__(self) -> Announcement:
        load = self.relay.load()
        now = (load.packets, time.monotonic())
        rate = packets_per_second(self._last, now)
        self._last = now
        return Announcement(self.relay_id, self.url, round(rate, 1), load.subscriptions, load.rooms)


def new_relay_id() -> str:
    """A relay's id for one run: random, so that a restarted relay is a new one."""
    return secrets.token_hex(6)


def announced(
    relay: Relay, relay_id: str, redis_url: str, url: str, ttl: float
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """While serving: the relay's announcement kept alive in Redis, withdrawn at shutdown."""

    @asynccontextmanager
    async def announcing() -> AsyncIterator[None]:
        announcer = RelayAnnouncer(redis_url, LoadMeter(relay, relay_id, url), ttl)
        await announcer.start()
        try:
            yield
        finally:
            await announcer.stop()

    return announcing
