"""Relay to relay: a second relay fed by the first forwards the speaker's packets to its own
viewers, and what a lossy link between them loses is asked again (NACK) from the first relay,
as its keyframe requests (PLI) are: both travel back up the chain."""

from __future__ import annotations

from typing import Any

from aiortc.rtp import RtpPacket

from signaling.cascade import feed, feeder
from signaling.relay import Relay
from tests.signaling.peers import ROOM, Publisher, Subscriber, eventually

EVERY = 25  # the link between the relays loses one video packet in this many


class Locks:
    """One process: nobody else sets up feeds."""

    async def lock_feed(self, name: str, seconds: float) -> bool:
        return True

    async def unlock_feed(self, name: str) -> None:
        pass

    async def feed_locked(self, name: str) -> bool:
        return False


def lose_some_video(relay: Relay, publisher: str) -> list[int]:
    """Drop one in ``EVERY`` video packets as they reach ``relay`` from ``publisher`` (before
    aiortc's receiver sees them, so it notices the gap and sends a NACK); the dropped ones."""
    publication = relay._rooms[ROOM].publications[publisher]
    (receiver,) = [t.receiver for t in publication.pc.getTransceivers() if t.kind == "video"]
    handle = receiver._handle_rtp_packet
    dropped: list[int] = []

    async def lossy(packet: RtpPacket, arrival_time_ms: int) -> Any:
        if packet.payload and packet.sequence_number % EVERY == 0:
            dropped.append(packet.sequence_number)
            return None
        return await handle(packet, arrival_time_ms)

    setattr(receiver, "_handle_rtp_packet", lossy)  # noqa: B010
    return dropped


async def test_a_second_relay_forwards_packets_and_asks_the_first_for_keyframes_and_losses():
    first, second = Relay(), Relay()
    speaker, viewer, late = Publisher("speaker"), Subscriber("viewer"), Subscriber("late")
    try:
        await speaker.publish(first, ROOM)
        await feed(Locks(), ROOM, "speaker", first, second, "second")
        dropped = lose_some_video(second, "speaker")
        await viewer.subscribe(second, "speaker", ROOM)

        await eventually(lambda: viewer.frames["video"] >= 60 and viewer.frames["audio"] >= 30)
        await eventually(lambda: len(dropped) >= 3)
        at_first = next(
            s for s in first.stats()[ROOM].subscriptions if s.subscriber == feeder("second")
        )
        assert at_first.retransmitted > 0  # the second relay's NACKs, answered by the first

        # A viewer who comes later starts at a keyframe: the second relay asks the first,
        # which asks the speaker's camera.
        asked, made = at_first.keyframe_requests, speaker.keyframe_requests
        await late.subscribe(second, "speaker", ROOM)
        await eventually(lambda: late.frames["video"] >= 10)
        at_first = next(
            s for s in first.stats()[ROOM].subscriptions if s.subscriber == feeder("second")
        )
        assert at_first.keyframe_requests > asked
        assert speaker.keyframe_requests > made
        # The speaker sends once, to the first relay; the second forwards to its own viewers.
        assert first.stats()[ROOM].subscribers == (feeder("second"),)
        assert second.stats()[ROOM].subscribers == ("late", "viewer")
        assert second.stats()[ROOM].frames_received["video"] > 0
    finally:
        await viewer.close()
        await late.close()
        await speaker.close()
        await first.close()
        await second.close()
