"""A stage bigger than one relay: a second relay fed each speaker's streams once by the first.

The second relay subscribes at the first like any viewer (as ``feed.<its id>``) and publishes
what it receives in the room under the speaker's own name, so its viewers subscribe there as
they would at the first. What flows between them is the speaker's RTP packets, never decoded:
the first relay forwards them to the feed as to any subscriber, the second fans them out. The
second relay's keyframe requests (PLI) reach the first as any subscriber's do, which passes them
to the speaker, and its NACKs are answered from the first relay's history of the feed: both
travel back up the chain.

Several web instances may find the feed missing at once (viewers subscribing together): a lock
in Redis lets one set it up while the others wait for it, since a second feed would replace the
first and end the subscriptions made on it meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from signaling.interface import MediaRelay, RelayUnavailable

# Setting up a feed is two negotiations (each relay gathers its candidates): well under this.
FEED_SECONDS = 15.0
FEEDER_PREFIX = "feed."


class FeedLocks(Protocol):
    """One feed set up at a time across web instances (``RelayDirectory`` keeps them in Redis)."""

    async def lock_feed(self, name: str, seconds: float) -> bool: ...

    async def unlock_feed(self, name: str) -> None: ...

    async def feed_locked(self, name: str) -> bool: ...


def feeder(second: str) -> str:
    """The subscriber id the second relay has at the first."""
    return FEEDER_PREFIX + second


async def feed(
    locks: FeedLocks,
    room: str,
    publisher: str,
    first: MediaRelay,
    second: MediaRelay,
    second_id: str,
) -> None:
    """Make ``second`` publish ``publisher``'s streams of ``room`` as the first relay forwards
    them; if another instance is doing it, wait until it is done."""
    name = f"{room}:{publisher}:{second_id}"
    if not await locks.lock_feed(name, FEED_SECONDS):
        try:
            async with asyncio.timeout(FEED_SECONDS):
                while await locks.feed_locked(name):  # noqa: ASYNC110 (another instance)
                    await asyncio.sleep(0.05)
        except TimeoutError as exc:
            raise RelayUnavailable("feeding the second relay took too long") from exc
        return
    try:
        offer = await first.subscribe(room, feeder(second_id), publisher)
        answer = await second.publish(room, publisher, offer)
        await first.answer(room, feeder(second_id), publisher, answer)
    finally:
        await locks.unlock_feed(name)
