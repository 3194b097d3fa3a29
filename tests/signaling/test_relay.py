"""The media relay, end to end on loopback: aiortc publishers and subscribers in this process.

The publisher encodes a moving picture (VP8) and silence (Opus); subscribers decode what the
relay forwards. The relay itself must never decode. Assertions count frames rather than time
them, with generous deadlines, so that a loaded two-core machine passes too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator

import av
import pytest
from aiortc import (
    AudioStreamTrack,
    RTCRtpCodecParameters,
    RTCRtpSender,
)
from aiortc.codecs import get_decoder
from aiortc.codecs.vpx import Vp8Encoder
from av.stream import Stream

from server.errors import ErrorCode, TupaError
from signaling.direct_rtp import DirectRtp
from signaling.passthrough import KeyframeRequests
from signaling.relay import Relay

# Re-exported for tests/rooms/test_relay_rooms.py, which imports them from here; new code
# imports them from tests.signaling.peers.
from tests.signaling.peers import (
    ROOM,
    MovingStripes,
    Publisher,
    Subscriber,
    decode_failures,
    eventually,
    peer_connection,
)


class Stage:
    """A relay and the clients of one test; everything is closed at the end."""

    def __init__(self) -> None:
        self.relay = Relay()
        self.clients: list[Publisher | Subscriber] = []

    async def publisher(self, name: str = "puolukka") -> Publisher:
        publisher = Publisher(name)
        self.clients.append(publisher)
        await publisher.publish(self.relay)
        return publisher

    async def subscriber(
        self, name: str, publisher: str = "puolukka", reads: bool = True
    ) -> Subscriber:
        subscriber = Subscriber(name, reads)
        self.clients.append(subscriber)
        await subscriber.subscribe(self.relay, publisher)
        return subscriber

    async def close(self) -> None:
        await self.relay.close()
        for client in self.clients:
            await client.close()


@pytest.fixture
async def stage() -> AsyncIterator[Stage]:
    stage = Stage()
    try:
        yield stage
    finally:
        await stage.close()


@pytest.fixture
def decoders_created(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every decoder aiortc creates in this process (subscribers' and, if it did, the relay's)."""
    created: list[str] = []

    def spy(codec: RTCRtpCodecParameters) -> object:
        created.append(codec.mimeType.lower())
        return get_decoder(codec)

    monkeypatch.setattr("aiortc.rtcrtpreceiver.get_decoder", spy)
    return created


# Keyframe requests, without a network (fan-out: tests/signaling/test_forwarding.py).


async def test_keyframe_requests_are_merged_into_one_pli_per_interval() -> None:
    class Receiver:
        def __init__(self) -> None:
            self.plis: list[int] = []

        def getSynchronizationSources(self) -> list[object]:
            return [type("Source", (), {"source": 1234})()]

        async def _send_rtcp_pli(self, ssrc: int) -> None:
            self.plis.append(ssrc)

    receiver = Receiver()
    requests = KeyframeRequests(receiver, interval=0.5)  # type: ignore[arg-type]
    sending = asyncio.create_task(requests.run())
    for _ in range(50):
        requests.ask()
    await eventually(lambda: len(receiver.plis) == 1)
    for _ in range(50):  # within the interval
        requests.ask()
    await eventually(lambda: len(receiver.plis) == 2)
    await asyncio.sleep(0.6)
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    assert requests.asked == 100
    assert receiver.plis == [1234, 1234]  # one at once, one when the interval is over


# Through aiortc, on loopback.


async def test_three_subscribers_decode_what_the_relay_forwards_without_decoding(
    stage: Stage,
    decoders_created: list[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    packs = Counter[str]()
    original_pack = Vp8Encoder.pack

    def counting_pack(self: Vp8Encoder, packet: av.Packet[Stream]) -> tuple[list[bytes], int]:
        packs["video"] += 1
        return original_pack(self, packet)

    direct = Counter[bool]()
    original_send = DirectRtp.send

    def counting_send(self: DirectRtp, data: bytes) -> bool:
        sent = original_send(self, data)
        direct[sent] += 1
        return sent

    monkeypatch.setattr(Vp8Encoder, "pack", counting_pack)
    monkeypatch.setattr(DirectRtp, "send", counting_send)
    caplog.set_level(logging.WARNING)
    await stage.publisher()
    subscribers = [await stage.subscriber(name) for name in ("kuusi", "koivu", "haapa")]

    await eventually(
        lambda: all(s.frames["video"] >= 60 and s.frames["audio"] >= 50 for s in subscribers)
    )

    # Each subscriber made one decoder per kind; the relay's two receivers made none.
    assert sorted(decoders_created) == ["audio/opus"] * 3 + ["video/vp8"] * 3
    room = stage.relay.stats()[ROOM]
    assert room.publishers == ("puolukka",)
    assert room.subscribers == ("haapa", "koivu", "kuusi")
    assert room.frames_received["video"] >= 60 and room.frames_received["audio"] >= 50
    assert room.frames_forwarded["video"] >= 3 * 60
    assert packs["video"] == 0  # not even re-packetized: packets are forwarded as they came
    assert direct[True] > 0 and direct[False] == 0  # straight to the sockets, none the slow way
    assert decode_failures(caplog) == []


async def test_a_late_subscriber_decodes_video_after_a_keyframe_request(
    stage: Stage, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    publisher = await stage.publisher()
    early = await stage.subscriber("kuusi")
    await eventually(lambda: early.frames["video"] >= 10)
    await asyncio.sleep(2)
    plis_before = stage.relay.stats()[ROOM].plis_sent
    requests_before = publisher.keyframe_requests

    late = await stage.subscriber("koivu")
    await eventually(lambda: late.frames["video"] >= 1, timeout=5)  # measured: about 0.25 s
    await eventually(lambda: late.frames["video"] >= 15, timeout=10)

    assert stage.relay.stats()[ROOM].plis_sent > plis_before
    assert publisher.keyframe_requests > requests_before  # the PLI reached the camera
    assert decode_failures(caplog) == []


async def test_a_subscribers_picture_loss_report_reaches_the_publisher(stage: Stage) -> None:
    publisher = await stage.publisher()
    subscriber = await stage.subscriber("kuusi")
    await eventually(lambda: subscriber.frames["video"] >= 10)
    await asyncio.sleep(0.6)  # past the relay's own join request's interval
    before = publisher.keyframe_requests

    receiver = next(t.receiver for t in subscriber.pc.getTransceivers() if t.kind == "video")
    (relay_camera,) = receiver.getSynchronizationSources()
    await receiver._send_rtcp_pli(relay_camera.source)

    await eventually(lambda: publisher.keyframe_requests > before, timeout=5)
    (subscription,) = stage.relay.stats()[ROOM].subscriptions
    assert subscription.keyframe_requests == 1


@pytest.mark.parametrize(("stopped", "flowing"), [("video", "audio"), ("audio", "video")])
async def test_stopping_a_kind_stops_it_for_subscribers_while_the_other_flows(
    stage: Stage, caplog: pytest.LogCaptureFixture, stopped: str, flowing: str
) -> None:
    caplog.set_level(logging.WARNING)
    await stage.publisher()
    subscriber = await stage.subscriber("kuusi")
    await eventually(lambda: subscriber.frames["video"] >= 15 and subscriber.frames["audio"] >= 15)

    await stage.relay.stop_forwarding(ROOM, "puolukka", stopped)
    await asyncio.sleep(0.5)  # what was already on its way arrives
    before = subscriber.frames.copy()
    await eventually(lambda: subscriber.frames[flowing] >= before[flowing] + 30)
    assert subscriber.frames[stopped] - before[stopped] <= 2
    assert stage.relay.stats()[ROOM].frames_withheld[stopped] > 0

    await stage.relay.resume_forwarding(ROOM, "puolukka", stopped)
    resumed = subscriber.frames[stopped]
    await eventually(lambda: subscriber.frames[stopped] >= resumed + 15, timeout=10)
    assert decode_failures(caplog) == []


async def test_a_stop_made_before_publishing_holds_once_the_publisher_publishes(
    stage: Stage,
) -> None:
    await stage.relay.stop_forwarding(ROOM, "puolukka", "audio")
    await stage.publisher()
    subscriber = await stage.subscriber("kuusi")
    await eventually(lambda: subscriber.frames["video"] >= 30)
    room = stage.relay.stats()[ROOM]
    assert subscriber.frames["audio"] == 0
    assert room.frames_forwarded["audio"] == 0 and room.frames_withheld["audio"] > 0


async def test_a_subscriber_that_never_reads_does_not_hold_back_the_others(stage: Stage) -> None:
    await stage.publisher()
    idle = await stage.subscriber("haapa", reads=False)
    readers = [await stage.subscriber(name) for name in ("kuusi", "koivu")]
    await eventually(lambda: all(r.frames["video"] >= 45 for r in readers))

    # The relay keeps nothing back for a subscriber: what it cannot take, its own socket drops.
    assert idle.frames == Counter()


async def test_a_subscriber_whose_sends_wait_holds_back_nobody_and_recovers(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ordinary path through aiortc's transports, as over a TURN server, can wait.
    monkeypatch.setattr(DirectRtp, "of", classmethod(lambda cls, dtls: None))
    await stage.publisher()
    stalled = await stage.subscriber("haapa")
    reading = await stage.subscriber("kuusi")
    await eventually(lambda: stalled.frames["video"] >= 15 and reading.frames["video"] >= 15)

    # Hold every packet the relay sends to this subscriber until the gate opens.
    transport = (
        stage.relay._rooms[ROOM]
        .subscriptions[("haapa", "puolukka")]
        .pc.getTransceivers()[0]
        .sender.transport
    )
    gate = asyncio.Event()
    send = transport._send_rtp

    async def held(data: bytes) -> None:
        await gate.wait()
        await send(data)

    setattr(transport, "_send_rtp", held)  # noqa: B010
    stalled_frames = stalled.frames["video"]
    reading_frames = reading.frames["video"]
    await eventually(lambda: reading.frames["video"] >= reading_frames + 60)

    room = stage.relay.stats()[ROOM]
    haapa = next(s for s in room.subscriptions if s.subscriber == "haapa")
    assert haapa.dropped["video"] > 0
    assert stalled.frames["video"] <= stalled_frames + 2

    setattr(transport, "_send_rtp", send)  # noqa: B010
    gate.set()
    await eventually(lambda: stalled.frames["video"] >= stalled_frames + 30, timeout=10)


async def test_leaving_closes_the_persons_connections_and_ends_their_media(stage: Stage) -> None:
    await stage.publisher()
    first, second = await stage.subscriber("kuusi"), await stage.subscriber("koivu")
    await eventually(lambda: first.frames["video"] >= 10 and second.frames["video"] >= 10)

    await stage.relay.leave(ROOM, "kuusi")
    await eventually(lambda: first.ended == {"audio", "video"})
    assert stage.relay.stats()[ROOM].subscribers == ("koivu",)

    await stage.relay.leave(ROOM, "puolukka")
    await eventually(lambda: second.ended == {"audio", "video"})
    assert stage.relay.stats() == {}


async def test_leaving_forgets_what_was_stopped_so_the_room_can_be_forgotten() -> None:
    relay = Relay()
    await relay.stop_forwarding(ROOM, "puolukka", "audio")
    assert ROOM in relay.stats()  # the stop holds until they publish
    await relay.leave(ROOM, "puolukka")
    assert relay.stats() == {}
    await relay.close()


async def test_publishing_again_replaces_the_connection_and_ends_its_subscriptions(
    stage: Stage,
) -> None:
    await stage.publisher()
    subscriber = await stage.subscriber("kuusi")
    await eventually(lambda: subscriber.frames["video"] >= 5)

    await stage.publisher()
    await eventually(lambda: subscriber.ended == {"audio", "video"})
    room = stage.relay.stats()[ROOM]
    assert room.publishers == ("puolukka",) and room.subscriptions == ()
    again = await stage.subscriber("kuusi")
    await eventually(lambda: again.frames["video"] >= 5)


async def test_closing_the_relay_leaves_no_connection_or_task_behind(stage: Stage) -> None:
    await stage.publisher()
    subscriber = await stage.subscriber("kuusi")
    await eventually(lambda: subscriber.frames["video"] >= 10)

    await stage.relay.close()
    assert stage.relay.stats() == {}
    await eventually(lambda: subscriber.ended == {"audio", "video"})
    for client in stage.clients:
        await client.close()
    stage.clients.clear()

    def others() -> set[asyncio.Task[object]]:
        return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    await eventually(lambda: not others(), timeout=5)
    assert not [t.name for t in threading.enumerate() if t.name.endswith("-decoder")]
    with pytest.raises(RuntimeError):
        await stage.relay.publish(ROOM, "puolukka", "v=0")


@pytest.mark.parametrize("kind", ["audio", "video"])
async def test_a_publisher_of_one_kind_only_is_forwarded_to_subscribers(
    stage: Stage, kind: str
) -> None:
    publisher = Publisher("puolukka")
    stage.clients.append(publisher)
    await publisher.publish(stage.relay, kinds=(kind,))
    subscriber = await stage.subscriber("kuusi")

    await eventually(lambda: subscriber.frames[kind] >= 15)
    room = stage.relay.stats()[ROOM]
    assert room.publishers == ("puolukka",)
    assert set(room.subscriptions[0].forwarded) == {kind}


async def test_an_offer_of_two_tracks_of_one_kind_is_invalid_input() -> None:
    relay = Relay()
    pc = peer_connection()
    pc.addTrack(AudioStreamTrack())
    pc.addTrack(AudioStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    with pytest.raises(TupaError) as raised:
        await relay.publish(ROOM, "puolukka", pc.localDescription.sdp)
    assert raised.value.code is ErrorCode.INVALID_INPUT
    assert relay.stats() == {}
    await pc.close()
    await relay.close()


async def test_subscribing_to_someone_not_publishing_is_not_found() -> None:
    relay = Relay()
    with pytest.raises(TupaError) as raised:
        await relay.subscribe(ROOM, "kuusi", "puolukka")
    assert raised.value.code is ErrorCode.NOT_FOUND
    assert relay.stats() == {}
    await relay.close()


async def test_an_offer_that_cannot_be_applied_is_invalid_input() -> None:
    relay = Relay()
    with pytest.raises(TupaError) as raised:
        await relay.publish(ROOM, "puolukka", "v=0\r\nnonsense\r\n")
    assert raised.value.code is ErrorCode.INVALID_INPUT
    assert relay.stats() == {}
    await relay.close()


async def test_an_offer_of_video_without_vp8_is_invalid_input() -> None:
    relay = Relay()
    pc = peer_connection()
    camera = pc.addTransceiver(MovingStripes())
    camera.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    )
    await pc.setLocalDescription(await pc.createOffer())
    with pytest.raises(TupaError) as raised:
        await relay.publish(ROOM, "puolukka", pc.localDescription.sdp)
    assert raised.value.code is ErrorCode.INVALID_INPUT
    await pc.close()
    await relay.close()


async def test_stopping_a_kind_other_than_audio_or_video_is_invalid_input() -> None:
    relay = Relay()
    with pytest.raises(TupaError) as raised:
        await relay.stop_forwarding(ROOM, "puolukka", "screen")
    assert raised.value.code is ErrorCode.INVALID_INPUT
    await relay.close()
