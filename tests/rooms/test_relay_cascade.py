"""A stage bigger than one relay: past its share of the first relay, further viewers are served
by a second relay that receives the speaker's streams once from the first (packets, with the
keyframe requests going back up), and when the second relay is killed its viewers come back to
the first without anyone reloading."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.errors import ErrorCode, TupaError
from server.scheduling.series import MediaMode
from signaling.cascade import feeder
from signaling.client import RelayClient
from tests.rooms import relays_support
from tests.rooms.relays_support import eventually
from tests.rooms.support import open_room_with_parents
from tests.signaling.peers import Publisher, Subscriber
from tests.signaling.test_service import SECRET

redis, relays, placed = relays_support.redis, relays_support.relays, relays_support.placed
browsers = relays_support.browsers


@pytest.fixture
def cascade_after() -> int:
    """The first relay serves one viewer of a room; the next go to a second relay."""
    return 1


async def test_viewers_past_the_first_relays_share_are_served_by_a_second_fed_by_the_first(
    live_server, org, clock, relays, placed, browsers
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    key, speaker_peer = str(room.session_id), facilitator.peer
    await facilitator.send(type="av", mic=True, camera=True, blurred=False)
    await facilitator.expect("av", peer=facilitator.peer)
    speaker = browsers(facilitator, True)
    near = browsers(parents["Mustikka"], False)
    await eventually(lambda: near.seen(speaker_peer, "video") >= 10, timeout=30)
    far = browsers(parents["Puolukka"], False)
    await eventually(lambda: far.seen(speaker_peer, "video") >= 10, timeout=30)
    await eventually(lambda: far.seen(speaker_peer, "audio") >= 10, timeout=30)

    directory = placed.directory
    first, second = await directory.placement(key), await directory.second(key)
    assert first is not None and second is not None and first != second
    served = await directory.subscribers(key)
    assert served == {near.client.peer: first, far.client.peer: second}
    by_url = {r.url: r for r in relays}
    first_url, second_url = directory.url_of(first), directory.url_of(second)
    assert first_url is not None and second_url is not None

    # The first relay sends the speaker once to the second (its feed); the second forwards to
    # its own viewer only (keyframe requests and NACKs up the chain: tests/signaling/test_cascade).
    upstream, downstream = RelayClient(first_url, SECRET), RelayClient(second_url, SECRET)
    try:
        at_first = (await upstream.stats())[key]
        feeds = [s for s in at_first["subscriptions"] if s["subscriber"] == feeder(second)]
        assert len(feeds) == 1 and feeds[0]["forwarded"]["video"] > 0
        assert sorted(at_first["subscribers"]) == sorted([near.client.peer, feeder(second)])
        at_second = (await downstream.stats())[key]
        assert at_second["publishers"] == [speaker_peer]
        assert at_second["subscribers"] == [far.client.peer]
    finally:
        await upstream.close()
        await downstream.close()

    # The second relay dies: its viewer is sent back to the first and sees video again; the
    # first relay's viewer never stopped, and the speaker was not asked to publish again.
    before_near, before_far = near.seen(speaker_peer, "video"), far.seen(speaker_peer, "video")
    killed_at = time.monotonic()
    by_url[second_url].kill()
    back = {near.client.peer: first, far.client.peer: first}
    async with asyncio.timeout(20):
        while await directory.subscribers(key) != back:  # noqa: ASYNC110 (state in Redis)
            await asyncio.sleep(0.05)
    # Frames decoded before the kill may still be counted; these come through the first relay.
    since = far.seen(speaker_peer, "video")
    await eventually(lambda: far.seen(speaker_peer, "video") > since + 10, timeout=20)
    assert far.seen(speaker_peer, "video") > before_far
    print(f"the second relay's viewer saw video again {time.monotonic() - killed_at:.2f} s later")
    assert await directory.second(key) is None
    assert near.seen(speaker_peer, "video") > before_near + 10
    assert speaker.published == 1


async def test_subscribing_at_the_second_relay_to_someone_not_publishing_is_not_found(placed):
    speaker, viewer = Publisher("speaker"), Subscriber("viewer")
    try:
        await speaker.publish(placed, "room-9")
        await viewer.subscribe(placed, "speaker", "room-9")  # the first relay's one viewer
        with pytest.raises(TupaError) as refused:
            await placed.subscribe("room-9", "second-viewer", "nobody")  # at the second
        assert refused.value.code is ErrorCode.NOT_FOUND
        served = await placed.directory.subscribers("room-9")
        assert served["second-viewer"] == await placed.directory.second("room-9")
    finally:
        await viewer.close()
        await speaker.close()
