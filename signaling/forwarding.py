"""Each publisher track's encoded frames, copied to a bounded queue per subscriber.

A subscriber's aiortc sender given ``av.Packet``s instead of decoded frames skips its encoder and
only re-packetizes them (``Encoder.pack``), so forwarding costs the same whatever the subscriber
count. What the encoder did for free must then be done here: a subscriber starts at a keyframe, a
queue that overflows drops until the next keyframe rather than corrupting the picture, and a
subscriber's own keyframe request (RTCP PLI or FIR) goes to the publisher. aiortc hands that
request to ``RTCRtpSender._send_keyframe``, which only sets a flag for the encoder it no longer
uses; :func:`forward_keyframe_requests` replaces that method on one sender instance.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import av
from aiortc import MediaStreamTrack, RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from av.stream import Stream

logger = logging.getLogger(__name__)

# Frames a subscriber's sender may fall behind before the relay drops: about one second each.
# Media older than that is no use in a conversation, and the bound caps the relay's memory.
QUEUE_LIMITS = {"audio": 50, "video": 30}


class ForwardedTrack(MediaStreamTrack):
    """One subscriber's copy of one publisher track: a bounded queue of encoded frames.

    It joins its :class:`Fanout` on the sender's first ``recv``, not before, so frames never
    pile up for a subscriber that is still connecting, and the keyframe it needs is asked for
    when it can use it.
    """

    def __init__(self, fanout: Fanout, kind: str, limit: int) -> None:
        super().__init__()
        self.kind = kind
        self._fanout = fanout
        self._limit = limit
        self._frames: deque[av.Packet[Stream]] = deque()
        self._arrived = asyncio.Event()
        self._joined = False
        self._ended = False
        # True while the sender waits in recv(): it can send a keyframe as soon as one comes.
        self._idle = False
        self.waiting_for_keyframe = kind == "video"
        self.forwarded = 0
        self.dropped = 0
        self.keyframe_requests = 0

    @property
    def queued(self) -> int:
        return len(self._frames)

    async def recv(self) -> av.Packet[Stream]:
        if self.readyState != "live":
            raise MediaStreamError
        if not self._joined:
            self._joined = True
            self._fanout.join(self)
        while not self._frames:
            if self._ended:
                self.stop()
                raise MediaStreamError
            self._arrived.clear()
            self._idle = True
            try:
                await self._arrived.wait()
            finally:
                self._idle = False
        self.forwarded += 1
        return self._frames.popleft()

    def stop(self) -> None:
        self._fanout.leave(self)
        super().stop()

    def offer(self, frame: av.Packet[Stream]) -> bool:
        """Queue the frame if the subscriber can use it.

        Returns True when the subscriber needs a keyframe and its sender is ready for one. A
        sender that is stuck (its queue overflowed) does not ask: a keyframe would only be
        dropped too, and asking again and again would make the publisher's uplink pay for one
        stalled subscriber. It asks once it is back waiting for frames.
        """
        if self.waiting_for_keyframe:
            if not frame.is_keyframe:
                self.dropped += 1
                return self._idle
            self.waiting_for_keyframe = False
        if len(self._frames) >= self._limit:
            if self.kind == "audio":
                # Opus frames stand alone: losing the oldest is a short glitch.
                self._frames.popleft()
                self.dropped += 1
            else:
                # A delta frame needs every frame before it since the last keyframe.
                self.dropped += len(self._frames)
                self._frames.clear()
                if not frame.is_keyframe:
                    self.dropped += 1
                    self.waiting_for_keyframe = True
                    return False
        self._frames.append(frame)
        self._arrived.set()
        return False

    def restart(self) -> None:
        """Forget what is queued; video waits for the next keyframe (after a pause)."""
        self.dropped += len(self._frames)
        self._frames.clear()
        self.waiting_for_keyframe = self.kind == "video"

    def end(self) -> None:
        """The publisher's track ended: the sender stops once it has sent what is queued."""
        self._ended = True
        self._arrived.set()

    def keyframe_requested(self) -> None:
        """The subscriber asked for a keyframe (RTCP PLI or FIR)."""
        self.keyframe_requests += 1
        self._fanout.ask_keyframe()


class Fanout:
    """One publisher track, read from its first frame and copied to every joined subscriber.

    A single reader per publisher track keeps the receiver's queue empty (no stale backlog) and
    never waits on a subscriber: copying to a full queue drops instead.
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
        """A new subscriber's track; it joins when its sender first reads it."""
        track = ForwardedTrack(self, self.kind, QUEUE_LIMITS[self.kind])
        if self._ended:
            track.end()
        return track

    async def run(self, source: MediaStreamTrack) -> None:
        """Read the publisher's track until it ends, then end every subscriber's track."""
        try:
            while True:
                frame = await source.recv()
                if not isinstance(frame, av.Packet):
                    logger.error(
                        "%s track yields %r, not encoded packets: not forwarded", self.kind, frame
                    )
                    return
                self.push(frame)
        except MediaStreamError:
            pass
        finally:
            self._ended = True
            for track in list(self._joined):
                track.end()

    def push(self, frame: av.Packet[Stream]) -> None:
        self.received += 1
        if self.paused:
            self.withheld += 1
            return
        needs_keyframe = False
        for track in self._joined:
            if track.offer(frame):
                needs_keyframe = True
        if needs_keyframe:
            self.ask_keyframe()

    def upstream_lost(self) -> None:
        """Frames from the publisher were lost: video waits for the next keyframe, which is
        being asked for, rather than forward pictures that refer to what never came."""
        if self.kind != "video":
            return
        for track in self._joined:
            track.waiting_for_keyframe = True

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


def forward_keyframe_requests(sender: RTCRtpSender, track: ForwardedTrack) -> None:
    """Turn the subscriber's PLI/FIR, which aiortc gives to ``sender._send_keyframe``, into a
    keyframe request to the publisher. Only this sender instance is changed."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise RuntimeError("aiortc's RTCRtpSender no longer has _send_keyframe")
    setattr(sender, "_send_keyframe", track.keyframe_requested)  # noqa: B010
