"""Each publisher track's RTP packets, sent on to every subscriber the moment they arrive.

The relay does not decode, and it does not re-packetize either: a packet from the publisher is
written once per subscriber with that subscriber's SSRC, payload type and sequence number, and
sent through the subscriber connection's SRTP (``signaling.direct_rtp``). Going through aiortc's
sender instead (encoded frames into ``Encoder.pack``, a task per subscriber, an ``RtpPacket``
and two NTP clock reads per packet) was measured at 55 µs of relay CPU per forwarded packet;
one relay process then topped out near 60 viewers of one speaker. Packets as they are: 38 µs,
most of it the kernel's ``sendto`` and SRTP (bench/README.md).

Skipping the sender's packetizer means doing here what it did for free:

- a subscriber starts at the first packet of a key frame and, when the relay skips packets for
  it (waiting for a key frame, a moderator's stop), its sequence numbers go on without a gap, so
  its jitter buffer never waits for what will not come;
- its keyframe requests (RTCP PLI/FIR), which aiortc gives to ``RTCRtpSender._send_keyframe``,
  go to the publisher; its NACKs, which aiortc answers in ``RTCRtpSender._retransmit`` from the
  packets the sender made, are answered from this module's short history (as RTX when the
  subscriber negotiated it);
- the sender's RTCP sender reports count what was sent (the counters ``_run_rtp`` would keep).

The aiortc sender still does everything else: negotiation, RTCP, its SSRCs. Its track never
yields a frame; it ends when the publisher's does. The private names used are checked when a
sender is attached (aiortc 1.16 is pinned).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc import MediaStreamTrack, RTCDtlsTransport, RTCRtpSender
from aiortc.clock import current_ntp_time
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import RtpPacket

from signaling import eager
from signaling.direct_rtp import DirectRtp
from signaling.rtp import (
    one_byte_extensions,
    retransmission_payload,
    rtp_packet,
    sequence_delta,
    vp8_starts_key_frame,
)
from signaling.traffic import TRAFFIC

MID_EXTENSION = "urn:ietf:params:rtp-hdrext:sdes:mid"
# Video packets kept per subscriber for answering NACKs: about two seconds at 1.5 Mbps. A
# retransmission later than that arrives after the picture was given up anyway.
HISTORY_SIZE = 256

# What RTCRtpSender._run_rtp would keep for its RTCP sender reports.
_SENDER_REPORT_FIELDS = (
    "_RTCRtpSender__ntp_timestamp",
    "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
)


class ForwardedTrack(MediaStreamTrack):
    """One subscriber's leg of one publisher track: where its packets are rewritten and sent.

    It is the aiortc sender's track so that the sender negotiates and runs RTCP, but it never
    yields a frame: packets reach the subscriber through :meth:`send`. It joins its
    :class:`Fanout` when the sender starts (the connection is up by then), and asks for the
    keyframe it starts at.
    """

    def __init__(self, fanout: Fanout, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._fanout = fanout
        self._sender: RTCRtpSender | None = None
        self._transport: RTCDtlsTransport | None = None
        self._ended = asyncio.Event()
        self._joined = False
        # The subscriber's side, learnt when its sender starts.
        self._payload_type = 0
        self._rtx_payload_type: int | None = None
        self._ssrc = 0
        self._rtx_ssrc = 0
        self._extensions = b""
        # Sequence numbers: the subscriber's = the publisher's - offset, from ``_start`` on.
        self._offset = 0
        self._start = 0
        self._next_sequence_number = 0
        self._restarting = True
        self._rtx_sequence_number = 0
        self._history: list[tuple[int, bool, int, bytes] | None] = []
        self._direct: DirectRtp | None = None
        self._direct_tried = False
        # A send that had to wait (see signaling.eager): packets are skipped until it is done.
        self._waiting_send: asyncio.Task[None] | None = None
        self._packets = 0
        self._octets = 0
        self.waiting_for_keyframe = kind == "video"
        self.forwarded = 0
        self.dropped = 0
        self.keyframe_requests = 0
        self.retransmitted = 0

    @property
    def packets(self) -> int:
        """RTP packets sent to the subscriber (their relay's load, announced to room servers)."""
        return self._packets

    def attach(self, sender: RTCRtpSender) -> None:
        """Take over the sender's packets: call once, right after ``addTransceiver``.

        Its start (``send``) is where the subscriber's payload types, SSRCs and media id become
        known; its keyframe requests and retransmissions become this track's.
        """
        missing = [
            name
            for name in ("send", "_send_keyframe", "_retransmit", "_ssrc", "_rtx_ssrc")
            if not hasattr(sender, name)
        ] + [name for name in _SENDER_REPORT_FIELDS if not hasattr(sender, name)]
        if missing:
            raise RuntimeError(f"aiortc's RTCRtpSender changed (no {', '.join(missing)})")
        self._sender = sender
        start_sending = sender.send

        async def send(parameters: RTCRtpSendParameters) -> None:
            self._learn(sender, parameters)
            await start_sending(parameters)

        setattr(sender, "send", send)  # noqa: B010
        setattr(sender, "_send_keyframe", self.keyframe_requested)  # noqa: B010
        setattr(sender, "_retransmit", self._retransmit)  # noqa: B010

    def _learn(self, sender: RTCRtpSender, parameters: RTCRtpSendParameters) -> None:
        codec = parameters.codecs[0]
        self._payload_type = codec.payloadType or 0
        for other in parameters.codecs:
            if is_rtx(other) and other.parameters.get("apt") == codec.payloadType:
                self._rtx_payload_type = other.payloadType
        self._ssrc = sender._ssrc
        self._rtx_ssrc = sender._rtx_ssrc
        mid = parameters.muxId.encode()
        self._extensions = one_byte_extensions(
            (extension.id, mid)
            for extension in parameters.headerExtensions
            if extension.uri == MID_EXTENSION and mid
        )
        self._transport = sender.transport
        if self.kind == "video":
            self._history = [None] * HISTORY_SIZE

    async def recv(self) -> Any:
        """Wait until the publisher's track ends: the packets travel through :meth:`send`."""
        if self.readyState != "live":
            raise MediaStreamError
        if not self._joined:
            self._joined = True
            self._fanout.join(self)
        await self._ended.wait()
        self.stop()
        raise MediaStreamError

    def stop(self) -> None:
        self._fanout.leave(self)
        if self._waiting_send is not None:
            self._waiting_send.cancel()
        super().stop()

    def end(self) -> None:
        """The publisher's track ended: the sender stops."""
        self._ended.set()

    def restart(self) -> None:
        """Stop here: after a pause, audio goes on from the next packet and video from the next
        keyframe, numbered on from the last packet sent."""
        self._restarting = True
        self.waiting_for_keyframe = self.kind == "video"

    def keyframe_requested(self) -> None:
        """The subscriber asked for a keyframe (RTCP PLI or FIR)."""
        self.keyframe_requests += 1
        TRAFFIC.keyframe_requests += 1
        self._fanout.ask_keyframe()

    def send(self, packet: RtpPacket, starts_key_frame: bool, ends_frame: bool, ntp: int) -> bool:
        """Send the publisher's packet on to this subscriber, if it can use it.

        Returns True when the subscriber waits for a keyframe (once per frame it misses), so
        that the fan-out asks the publisher for one. A subscriber whose previous send is still
        waiting misses packets meanwhile, and its video starts again at a keyframe.
        """
        transport = self._transport
        if transport is None:
            return False
        if self._waiting_send is not None:
            if not self._waiting_send.done():
                if ends_frame:
                    self.dropped += 1
                self.restart()
                return False
            self._waiting_send = None
        sequence_number = packet.sequence_number
        if self.waiting_for_keyframe:
            if not starts_key_frame:
                if ends_frame:
                    self.dropped += 1
                return ends_frame
            self.waiting_for_keyframe = False
        if self._restarting:
            self._restarting = False
            self._start = sequence_number
            self._offset = (sequence_number - self._next_sequence_number) & 0xFFFF
        elif sequence_delta(sequence_number, self._start) < 0:
            return False  # a late retransmission of something from before the restart
        number = (sequence_number - self._offset) & 0xFFFF
        if sequence_delta(number, self._next_sequence_number) >= 0:
            self._next_sequence_number = (number + 1) & 0xFFFF
        payload = packet.payload
        data = rtp_packet(
            self._payload_type,
            number,
            packet.timestamp,
            self._ssrc,
            bool(packet.marker),
            self._extensions,
            payload,
        )
        if self._history:
            entry = (number, bool(packet.marker), packet.timestamp, payload)
            self._history[number % HISTORY_SIZE] = entry
        if not self._direct_tried and transport.state == "connected":
            # Looked up once the connection is up (aiortc starts senders only then anyway).
            self._direct_tried = True
            self._direct = DirectRtp.of(transport)
        if self._direct is None or not self._direct.send(data):
            try:
                self._waiting_send = eager.start(transport._send_rtp(data))
            except ConnectionError:
                return False  # closing: the connection's own state change cleans up
            if self._waiting_send is not None:
                self._waiting_send.add_done_callback(_missed_if_failed)
        self._packets += 1
        TRAFFIC.packets_out += 1
        self._octets += len(payload)
        if ends_frame:
            self.forwarded += 1
        sender = self._sender
        if sender is not None:
            ntp_field, rtp_field, packets_field, octets_field = _SENDER_REPORT_FIELDS
            setattr(sender, ntp_field, ntp)
            setattr(sender, rtp_field, packet.timestamp)
            setattr(sender, packets_field, self._packets)
            setattr(sender, octets_field, self._octets)
        return False

    async def _retransmit(self, sequence_number: int) -> None:
        """Answer the subscriber's NACK for one packet, if it is still in the history."""
        TRAFFIC.nacks += 1
        transport = self._transport
        entry = self._history[sequence_number % HISTORY_SIZE] if self._history else None
        if transport is None or entry is None or entry[0] != sequence_number:
            return
        number, marker, timestamp, payload = entry
        if self._rtx_payload_type is None:
            data = rtp_packet(
                self._payload_type, number, timestamp, self._ssrc, marker, self._extensions, payload
            )
        else:
            data = rtp_packet(
                self._rtx_payload_type,
                self._rtx_sequence_number,
                timestamp,
                self._rtx_ssrc,
                marker,
                self._extensions,
                retransmission_payload(number, payload),
            )
            self._rtx_sequence_number = (self._rtx_sequence_number + 1) & 0xFFFF
        self.retransmitted += 1
        await transport._send_rtp(data)


def _missed_if_failed(send: asyncio.Task[None]) -> None:
    """A send that waited and then failed (the connection closed meanwhile) is one missed
    packet, like a datagram lost on the way: taken here so asyncio does not log it."""
    if not send.cancelled():
        send.exception()


class Fanout:
    """One publisher track: each packet, as it arrives, sent to every joined subscriber.

    Nothing is queued: a packet is sent to everyone before the next one is read, so a
    subscriber cannot fall behind the others, and one that cannot take a packet misses it.
    Counts are in frames (a video frame ends with the RTP marker bit; every Opus packet is one).
    """

    def __init__(self, kind: str, ask_keyframe: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._ask_keyframe = ask_keyframe
        self._joined: set[ForwardedTrack] = set()
        self._ended = False
        self.paused = False
        self.received = 0
        self.withheld = 0

    def track(self) -> ForwardedTrack:
        """A new subscriber's leg; it joins when its sender starts."""
        track = ForwardedTrack(self, self.kind)
        if self._ended:
            track.end()
        return track

    async def run(self, source: MediaStreamTrack) -> None:
        """Wait for the publisher's track to end, then end every subscriber's track.

        The source yields no frames (the receiver discards them, see
        ``signaling.passthrough.tap``); it only tells when the publisher is gone.
        """
        try:
            while True:
                await source.recv()
        except MediaStreamError:
            pass
        finally:
            self._ended = True
            for track in list(self._joined):
                track.end()

    def forward(self, packet: RtpPacket) -> None:
        """Send one packet from the publisher (retransmissions already unwrapped) onwards."""
        TRAFFIC.packets_in += 1
        ends_frame = self.kind == "audio" or bool(packet.marker)
        if ends_frame:
            self.received += 1
        if self.paused:
            if ends_frame:
                self.withheld += 1
            return
        if not self._joined:
            return
        starts_key_frame = self.kind == "video" and vp8_starts_key_frame(packet.payload)
        ntp = current_ntp_time()
        needs_keyframe = False
        for track in tuple(self._joined):
            if track.send(packet, starts_key_frame, ends_frame, ntp):
                needs_keyframe = True
        if needs_keyframe:
            self.ask_keyframe()

    def join(self, track: ForwardedTrack) -> None:
        if self._ended:
            track.end()
            return
        if track in self._joined:
            return
        self._joined.add(track)
        if track.waiting_for_keyframe and not self.paused:
            self.ask_keyframe()

    def leave(self, track: ForwardedTrack) -> None:
        self._joined.discard(track)

    def pause(self) -> None:
        """Stop forwarding: a moderator turned this microphone or camera off."""
        self.paused = True
        for track in self._joined:
            track.restart()

    def resume(self) -> None:
        """Forward again; video restarts at the keyframe asked for now."""
        if not self.paused:
            return
        self.paused = False
        if self._joined and self.kind == "video":
            self.ask_keyframe()

    def ask_keyframe(self) -> None:
        if self._ask_keyframe is not None:
            self._ask_keyframe()
