"""A publisher's media out of aiortc's receiver without decoding, and keyframes asked of it.

Decoding a publisher's video only to encode it again for each subscriber was measured at about a
sixth of a core per subscriber; forwarding encoded media at well under a percent. aiortc has
no public way to receive media undecoded, so this module reaches into the receiver of the pinned
aiortc minor (1.16); every private name is checked when a receiver is taken over:

- ``RTCRtpReceiver.__jitter_buffer``: ``_handle_rtp_packet`` gives it every media packet after
  unwrapping retransmissions and noting gaps for NACKs. :func:`tap` hands each packet to the
  relay there, before the jitter buffer reassembles frames (which it still does, to notice loss).
- ``RTCRtpReceiver.__decoder_queue``: the ``queue.Queue`` through which ``_handle_rtp_packet``
  hands each reassembled ``(codec, JitterFrame)`` to the decoder thread. :func:`tap` puts a
  queue there that drops frames, so no decoder is ever created; the ``None`` that stops the
  receiver still reaches the idle decoder thread, which then ends the track as usual.
- ``RTCRtpReceiver.__started``: the stand-in must be in place before ``receive()`` starts.
- ``RTCRtpReceiver._send_rtcp_pli``: sends one RTCP Picture Loss Indication to the publisher;
  ``__rtx_ssrc`` tells which SSRCs are retransmissions, not worth a PLI.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from signaling.traffic import TRAFFIC

# How often, at most, the relay asks one publisher for a keyframe. Each keyframe costs the
# publisher's uplink several times a delta frame, and joins and losses tend to come in bursts.
KEYFRAME_INTERVAL = 0.5

_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
_STARTED = "_RTCRtpReceiver__started"
_RTX_SSRCS = "_RTCRtpReceiver__rtx_ssrc"


class _DiscardFrames(queue.Queue[Any]):
    """Stands in for a receiver's decoder queue when packets are forwarded as they arrive: the
    frames the jitter buffer reassembles are not needed; only the stop signal goes through."""

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None, block, timeout)


def tap(receiver: RTCRtpReceiver, forward: Callable[[RtpPacket], None]) -> None:
    """Give each media packet the receiver gets to ``forward``, and decode nothing.

    Packets come in arrival order, retransmissions unwrapped (so a packet may come late or
    twice, as on the wire); ``forward`` must not wait. Call it after ``setRemoteDescription``
    has created the receiver's track and before the connection starts the receiver.
    """
    jitter_buffer = getattr(receiver, _JITTER_BUFFER, None)
    add = getattr(jitter_buffer, "add", None)
    if not (
        callable(add)
        and isinstance(getattr(receiver, _DECODER_QUEUE, None), queue.Queue)
        and isinstance(getattr(receiver, _STARTED, None), bool)
    ):
        raise RuntimeError("aiortc's receiver internals changed: the relay is built for 1.16")
    if getattr(receiver, _STARTED):
        raise RuntimeError("the receiver must be taken over before it starts")

    def forward_and_add(packet: RtpPacket) -> Any:
        forward(packet)
        return add(packet)

    setattr(jitter_buffer, "add", forward_and_add)  # noqa: B010
    setattr(receiver, _DECODER_QUEUE, _DiscardFrames())


def media_ssrcs(receiver: RTCRtpReceiver) -> list[int]:
    """The publisher's media SSRCs heard lately, without the retransmission (RTX) ones."""
    rtx = getattr(receiver, _RTX_SSRCS, {})
    return [s.source for s in receiver.getSynchronizationSources() if s.source not in rtx]


class KeyframeRequests:
    """Keyframe requests for one publisher's camera, merged into at most one PLI per interval.

    Joins, drops and subscribers' own requests all call :meth:`ask`; however many ask within an
    interval, the publisher gets one PLI at its start and at most one more at its end.
    """

    def __init__(self, receiver: RTCRtpReceiver, interval: float = KEYFRAME_INTERVAL) -> None:
        send_pli = getattr(receiver, "_send_rtcp_pli", None)
        if not callable(send_pli):
            raise RuntimeError("aiortc's RTCRtpReceiver no longer has _send_rtcp_pli")
        self._receiver = receiver
        self._send_pli: Callable[[int], Awaitable[None]] = send_pli
        self._interval = interval
        self._wanted = asyncio.Event()
        self.asked = 0
        self.sent = 0
        self.losses = 0
        # aiortc's receiver sends a PLI of its own when its jitter buffer gives up on lost
        # packets. Subscribers miss the same packets (their own receivers notice the gap and
        # ask too); the receiver's PLI is merged with everyone else's.
        setattr(receiver, "_send_rtcp_pli", self._upstream_lost)  # noqa: B010

    async def _upstream_lost(self, ssrc: int) -> None:
        self.losses += 1
        self.ask()

    def ask(self) -> None:
        self.asked += 1
        self._wanted.set()

    async def run(self) -> None:
        """Send the merged requests until cancelled."""
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            ssrcs = media_ssrcs(self._receiver)
            if not ssrcs:
                # Nothing heard yet: the publisher's first frame is a keyframe anyway, and a
                # subscriber still waiting will ask again with the next frame it drops.
                continue
            for ssrc in ssrcs:
                await self._send_pli(ssrc)
            self.sent += 1
            TRAFFIC.plis_sent += 1
            await asyncio.sleep(self._interval)
