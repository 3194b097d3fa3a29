"""aiortc peers for the relay's tests: a publisher of a synthetic camera and microphone, and a
subscriber that decodes and counts what arrives. They talk to any ``MediaRelay``: a ``Relay`` in
the test's process, or ``tupa relay`` through ``RelayClient``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import av
import pytest
from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError

from signaling.interface import MediaRelay

ROOM = "kestrel-room"
WIDTH, HEIGHT = 320, 240
STRIPES = bytes(range(256)) * 3


class MovingStripes(VideoStreamTrack):
    """320x240 at 30 fps: diagonal stripes that move every frame, so every frame differs."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        shift = pts // 3000 % 256
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma = b"".join(STRIPES[(shift + row) % 256 :][:WIDTH] for row in range(HEIGHT))
        frame.planes[0].update(luma)
        frame.planes[1].update(bytes([90]) * frame.planes[1].buffer_size)
        frame.planes[2].update(bytes([200]) * frame.planes[2].buffer_size)
        frame.pts = pts
        frame.time_base = time_base
        return frame


def peer_connection() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class Publisher:
    """Sends audio and video (or one of them); counts the keyframe requests (PLI/FIR) that
    reach its camera."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pc = peer_connection()
        self.keyframe_requests = 0

    async def publish(
        self, relay: MediaRelay, room: str = ROOM, kinds: tuple[str, ...] = ("audio", "video")
    ) -> None:
        if "audio" in kinds:
            self.pc.addTrack(AudioStreamTrack())
        if "video" in kinds:
            camera = self.pc.addTrack(MovingStripes())
            force_keyframe = camera._send_keyframe

            def counted() -> None:
                self.keyframe_requests += 1
                force_keyframe()

            setattr(camera, "_send_keyframe", counted)  # noqa: B010
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await relay.publish(room, self.name, self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def close(self) -> None:
        await self.pc.close()


class Subscriber:
    """Decodes what arrives and counts it; ``reads=False`` never calls ``recv`` at all."""

    def __init__(self, name: str, reads: bool = True) -> None:
        self.name = name
        self.reads = reads
        self.pc = peer_connection()
        self.frames: Counter[str] = Counter()
        self.ended: set[str] = set()
        self._readers: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self.reads:
            self._readers.append(asyncio.create_task(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        expected = av.VideoFrame if track.kind == "video" else av.AudioFrame
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, expected)
                self.frames[track.kind] += 1
        except MediaStreamError:
            self.ended.add(track.kind)

    async def subscribe(self, relay: MediaRelay, publisher: str, room: str = ROOM) -> None:
        offer = await relay.subscribe(room, self.name, publisher)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await relay.answer(room, self.name, publisher, self.pc.localDescription.sdp)

    async def close(self) -> None:
        await self.pc.close()
        await asyncio.gather(*self._readers)


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def decode_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "failed to decode" in r.getMessage()]
