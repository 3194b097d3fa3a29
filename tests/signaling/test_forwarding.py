"""Packets from one publisher to each subscriber, without a network.

A stand-in for aiortc's sender records what the relay sends to one subscriber; what it records
is read back with aiortc's RTP parser, as the subscriber's browser would read it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpSendParameters,
)
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from signaling.forwarding import MID_EXTENSION, Fanout, ForwardedTrack

SUBSCRIBER_SSRC, SUBSCRIBER_RTX_SSRC = 0x5B5B5B5B, 0x6C6C6C6C
VP8, RTX, OPUS = 97, 98, 111
PUBLISHER_VP8, PUBLISHER_OPUS = 96, 109
READERS: set[asyncio.Task[None]] = set()


class Transport:
    """Where a subscriber's packets go; a closed gate makes every send wait."""

    state = "connected"

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.gate: asyncio.Event | None = None

    async def _send_rtp(self, data: bytes) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append(data)


class Sender:
    """The parts of aiortc's RTCRtpSender that ForwardedTrack takes over or keeps up."""

    def __init__(self) -> None:
        self.transport = Transport()
        self._ssrc = SUBSCRIBER_SSRC
        self._rtx_ssrc = SUBSCRIBER_RTX_SSRC
        self._RTCRtpSender__ntp_timestamp = 0
        self._RTCRtpSender__rtp_timestamp = 0
        self._RTCRtpSender__packet_count = 0
        self._RTCRtpSender__octet_count = 0

    async def send(self, parameters: RTCRtpSendParameters) -> None:
        pass

    def _send_keyframe(self) -> None:
        raise AssertionError("the relay's track takes keyframe requests")

    async def _retransmit(self, sequence_number: int) -> None:
        raise AssertionError("the relay's track answers NACKs")

    def received(self) -> list[RtpPacket]:
        extensions = HeaderExtensionsMap()
        extensions.configure(parameters("video", rtx=False))
        return [RtpPacket.parse(data, extensions) for data in self.transport.sent]


def parameters(kind: str, rtx: bool = True) -> RTCRtpSendParameters:
    if kind == "audio":
        codecs = [RTCRtpCodecParameters("audio/opus", 48000, 2, payloadType=OPUS)]
    else:
        codecs = [RTCRtpCodecParameters("video/VP8", 90000, payloadType=VP8)]
        if rtx:
            codecs.append(
                RTCRtpCodecParameters("video/rtx", 90000, payloadType=RTX, parameters={"apt": VP8})
            )
    return RTCRtpSendParameters(
        codecs=codecs,
        headerExtensions=[RTCRtpHeaderExtensionParameters(id=4, uri=MID_EXTENSION)],
        muxId="1",
    )


async def subscribe(fanout: Fanout, rtx: bool = True) -> tuple[ForwardedTrack, Sender]:
    """A subscriber whose sender has started, the way aiortc starts it once DTLS is up."""
    track, sender = fanout.track(), Sender()
    track.attach(sender)  # type: ignore[arg-type]
    await sender.send(parameters(fanout.kind, rtx))
    reading = asyncio.create_task(track.recv())  # the sender's first read joins the fan-out
    READERS.add(reading)
    reading.add_done_callback(READERS.discard)
    await asyncio.sleep(0)
    return track, sender


class Publisher:
    """Numbers the publisher's packets: a frame is one or more packets, the last marked."""

    def __init__(self, fanout: Fanout, sequence_number: int = 65530) -> None:
        self.fanout = fanout
        self.sequence_number = sequence_number
        self.timestamp = 3000

    def frame(self, key: bool = False, packets: int = 2, skip: int = 0) -> None:
        self.timestamp += 3000
        for i in range(packets):
            self.packet(
                key, start=i == 0, last=i == packets - 1, skip=skip if i == packets - 1 else 0
            )

    def packet(self, key: bool, start: bool, last: bool, skip: int = 0) -> None:
        self.sequence_number = (self.sequence_number + skip) & 0xFFFF
        descriptor = bytes(VpxPayloadDescriptor(partition_start=int(start), partition_id=0))
        header = bytes([0x10 if key else 0x11]) if start else b""
        packet = RtpPacket(
            payload_type=PUBLISHER_VP8,
            marker=int(last),
            sequence_number=self.sequence_number,
            timestamp=self.timestamp,
            ssrc=0x11111111,
            payload=descriptor + header + b"\x00" * 20,
        )
        self.sequence_number = (self.sequence_number + 1) & 0xFFFF
        self.fanout.forward(packet)


def numbers(packets: list[RtpPacket]) -> list[int]:
    return [p.sequence_number for p in packets]


def gapless(packets: list[RtpPacket]) -> bool:
    return all(
        (b.sequence_number - a.sequence_number) & 0xFFFF == 1
        for a, b in itertools.pairwise(packets)
    )


async def test_a_new_subscriber_starts_at_the_first_packet_of_a_key_frame() -> None:
    asked = Counter[str]()
    fanout = Fanout("video", lambda: asked.update(["keyframe"]))
    publisher = Publisher(fanout)
    track, sender = await subscribe(fanout)
    assert asked["keyframe"] == 1  # on joining

    publisher.frame(key=False)
    assert sender.transport.sent == []
    assert track.dropped == 1 and asked["keyframe"] == 2  # the missed frame asked again

    publisher.frame(key=True, packets=3)
    publisher.frame(key=False)
    received = sender.received()
    assert len(received) == 5 and gapless(received)
    assert {(p.ssrc, p.payload_type) for p in received} == {(SUBSCRIBER_SSRC, VP8)}
    assert {p.extensions.mid for p in received} == {"1"}
    assert [p.marker for p in received] == [0, 0, 1, 0, 1]
    assert received[0].payload[1] == 0x10  # the key frame's first byte, as the publisher sent it
    assert track.forwarded == 2 and fanout.received == 3


async def test_after_a_pause_the_subscriber_sees_no_gap_in_sequence_numbers() -> None:
    asked = Counter[str]()
    fanout = Fanout("video", lambda: asked.update(["keyframe"]))
    publisher = Publisher(fanout)
    _, sender = await subscribe(fanout)
    publisher.frame(key=True)
    publisher.frame()

    fanout.pause()
    for _ in range(5):
        publisher.frame()
    assert fanout.withheld == 5
    asked.clear()
    fanout.resume()
    assert asked["keyframe"] == 1
    publisher.frame()  # not a keyframe: skipped
    publisher.frame(key=True)

    received = sender.received()
    assert len(received) == 6 and gapless(received)
    timestamps = [p.timestamp for p in received]
    assert timestamps[4] - timestamps[3] == 7 * 3000  # media time is the publisher's


async def test_a_gap_from_the_publisher_reaches_the_subscriber_as_a_gap() -> None:
    fanout = Fanout("video")
    publisher = Publisher(fanout)
    _, sender = await subscribe(fanout)
    publisher.frame(key=True)
    publisher.frame(skip=1)  # one packet lost on the way to the relay

    sent = numbers(sender.received())
    # The subscriber's own receiver notices, asks again (NACK) and, failing that, for a keyframe.
    assert [(n - sent[0]) & 0xFFFF for n in sent] == [0, 1, 2, 4]


async def test_a_late_retransmission_from_before_a_restart_is_not_sent() -> None:
    fanout = Fanout("video")
    publisher = Publisher(fanout, sequence_number=100)
    _, sender = await subscribe(fanout)
    publisher.frame(key=True)  # 100, 101
    fanout.pause()
    fanout.resume()
    publisher.frame(key=True)  # 102, 103: the restart
    before = len(sender.transport.sent)

    late = RtpPacket(payload_type=PUBLISHER_VP8, sequence_number=101, timestamp=6000)
    late.payload = bytes(VpxPayloadDescriptor(partition_start=0, partition_id=0)) + b"\x00"
    fanout.forward(late)
    assert len(sender.transport.sent) == before


async def test_a_nack_is_answered_from_the_history_as_a_retransmission() -> None:
    fanout = Fanout("video")
    publisher = Publisher(fanout)
    track, sender = await subscribe(fanout)
    publisher.frame(key=True)
    publisher.frame()
    original = sender.received()[2]

    await sender._retransmit(original.sequence_number)
    await sender._retransmit((original.sequence_number + 1000) & 0xFFFF)  # never sent: ignored

    extensions = HeaderExtensionsMap()
    extensions.configure(parameters("video"))
    (rtx,) = [RtpPacket.parse(data, extensions) for data in sender.transport.sent[4:]]
    assert (rtx.ssrc, rtx.payload_type) == (SUBSCRIBER_RTX_SSRC, RTX)
    assert rtx.payload == original.sequence_number.to_bytes(2, "big") + original.payload
    assert rtx.timestamp == original.timestamp and rtx.extensions.mid == "1"
    assert track.retransmitted == 1


async def test_without_rtx_a_nack_is_answered_with_the_packet_itself() -> None:
    fanout = Fanout("video")
    Publisher(fanout).frame(key=True)
    publisher = Publisher(fanout)
    _, sender = await subscribe(fanout, rtx=False)
    publisher.frame(key=True)
    original = sender.transport.sent[1]
    await sender._retransmit(sender.received()[1].sequence_number)
    assert sender.transport.sent[2] == original


async def test_a_subscribers_keyframe_request_reaches_the_publisher() -> None:
    asked = Counter[str]()
    fanout = Fanout("video", lambda: asked.update(["keyframe"]))
    Publisher(fanout)
    track, sender = await subscribe(fanout)
    asked.clear()
    sender._send_keyframe()
    assert asked["keyframe"] == 1 and track.keyframe_requests == 1


async def test_a_subscriber_whose_send_waits_holds_back_nobody_and_comes_back() -> None:
    fanout = Fanout("video")
    publisher = Publisher(fanout)
    _, waiting = await subscribe(fanout)
    _, flowing = await subscribe(fanout)
    gate = waiting.transport.gate = asyncio.Event()

    publisher.frame(key=True, packets=3)
    for _ in range(10):
        publisher.frame()
    assert len(flowing.transport.sent) == 23
    assert waiting.transport.sent == []  # its first send is still waiting; the rest missed

    gate.set()
    await asyncio.sleep(0.01)  # the waiting send goes out
    publisher.frame()  # not a keyframe: it waits for one
    publisher.frame(key=True)
    received = waiting.received()
    # The first packet it was sent, then the new keyframe, numbered on without a gap.
    assert len(received) == 3 and gapless(received)


async def test_sender_reports_count_what_was_sent() -> None:
    fanout = Fanout("video")
    publisher = Publisher(fanout)
    _, sender = await subscribe(fanout)
    publisher.frame(key=True, packets=3)
    assert sender._RTCRtpSender__packet_count == 3
    assert sender._RTCRtpSender__octet_count == sum(len(p.payload) for p in sender.received())
    assert sender._RTCRtpSender__rtp_timestamp == publisher.timestamp
    assert sender._RTCRtpSender__ntp_timestamp > 0


async def test_every_audio_packet_is_a_frame_and_needs_no_keyframe() -> None:
    fanout = Fanout("audio")
    track, sender = await subscribe(fanout)
    for n in range(5):
        fanout.forward(
            RtpPacket(
                payload_type=PUBLISHER_OPUS, sequence_number=n, timestamp=n * 960, payload=b"\x78"
            )
        )
    received = sender.received()
    assert len(received) == 5 and gapless(received)
    assert {p.payload_type for p in received} == {OPUS}
    assert track.forwarded == 5 and fanout.received == 5


async def test_when_the_publisher_ends_every_subscriber_track_ends() -> None:
    class Source:
        async def recv(self) -> None:
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError

    fanout = Fanout("video")
    track, _ = await subscribe(fanout)
    await fanout.run(Source())  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert track.readyState == "ended"
    late = fanout.track()
    assert late._ended.is_set()
