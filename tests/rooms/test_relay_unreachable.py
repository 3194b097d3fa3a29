"""Several relays: a relay that runs on and keeps announcing itself in Redis, but whose address
the room server can no longer reach (a firewall, a network split), loses its rooms to a relay
that answers, and media flows again within 5 s for every viewer, without anyone reloading."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

from server.rooms.metrics import unreachable_relays
from signaling.relay_directory import RELAY_PREFIX
from tests.rooms import relays_support
from tests.rooms.relays_support import AnnouncedRelay, CuttableProxy, a_stage, eventually

# The fixtures: a Redis of the test's own, the hub placing rooms on the announced relays.
redis, placed = relays_support.redis, relays_support.placed
browsers, cascade_after = relays_support.browsers, relays_support.cascade_after

# What the issue asks: a relay that stops answering is dropped, and media flows again, in 5 s.
RECOVERY_SECONDS = 5.0


@pytest.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    proxy = CuttableProxy()
    await proxy.start()
    yield proxy


@pytest.fixture
def relays(tmp_path, redis, proxy) -> Iterator[list[AnnouncedRelay]]:
    """One relay at its own address, one announcing the proxy's address in front of it."""
    started = [
        AnnouncedRelay(tmp_path, redis.url),
        AnnouncedRelay(tmp_path, redis.url, announce_url=proxy.url),
    ]
    proxy.target = started[1].port
    yield started
    for relay in started:
        relay.stop()


async def test_a_relay_that_announces_itself_but_cannot_be_reached_loses_its_rooms(
    live_server, org, clock, redis, relays, proxy, placed, browsers
):
    directory = placed.directory
    behind = next(a.relay for a in directory.live() if a.url == proxy.url)
    (answering,) = directory.live_ids() - {behind}

    async def on_the_relay_behind_the_proxy(room: str) -> None:
        assert await directory.claim(room, None, behind) == (behind, True)

    room, speaker, viewers = await a_stage(
        live_server,
        org,
        clock,
        browsers,
        "Mustikka",
        "Puolukka",
        before_media=on_the_relay_behind_the_proxy,
    )
    a = speaker.client.peer
    assert speaker.published == 1 and all(v.subscribed[a] == 1 for v in viewers)

    cut_at = time.monotonic()
    await proxy.cut()
    # The room moves; the speaker publishes anew and every viewer subscribes anew, on their own.
    await eventually(
        lambda: speaker.published == 2 and all(v.subscribed[a] == 2 for v in viewers),
        timeout=RECOVERY_SECONDS + 10,
    )
    # Counted from the new subscriptions on: frames the reachable relay forwards.
    counts = [(v.seen(a, "video"), v.seen(a, "audio")) for v in viewers]
    await eventually(
        lambda: all(
            v.seen(a, "video") > video + 5 and v.seen(a, "audio") > audio + 5
            for v, (video, audio) in zip(viewers, counts, strict=True)
        ),
        timeout=RECOVERY_SECONDS + 10,
    )
    took = time.monotonic() - cut_at
    print(f"media flowed again {took:.2f} s after the relay's address was cut")

    assert await directory.placement(room) == answering
    # The relay cut off runs on and still announces itself: only its reach decided.
    assert relays[1].process.poll() is None
    assert await directory._redis.exists(RELAY_PREFIX + behind)
    assert directory.unreachable_ids() == {behind} and directory.live_ids() == {answering}
    assert unreachable_relays(placed).samples[0].value == 1
    assert took <= RECOVERY_SECONDS
