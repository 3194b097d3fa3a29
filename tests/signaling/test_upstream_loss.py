"""Packets lost between the publisher and the relay: subscribers see no broken pictures, and
the receiver's own request for a keyframe is merged with everyone else's."""

from __future__ import annotations

import asyncio

from signaling.forwarding import Fanout
from signaling.passthrough import KeyframeRequests
from tests.signaling.peers import eventually
from tests.signaling.test_relay import vp8


class Receiver:
    """The parts of aiortc's RTCRtpReceiver that KeyframeRequests uses."""

    def __init__(self) -> None:
        self.plis: list[int] = []

    def getSynchronizationSources(self) -> list[object]:
        return [type("Source", (), {"source": 4321})()]

    async def _send_rtcp_pli(self, ssrc: int) -> None:
        self.plis.append(ssrc)


async def test_after_upstream_loss_video_waits_for_the_next_keyframe() -> None:
    receiver = Receiver()
    fanout: Fanout | None = None

    def lost() -> None:
        assert fanout is not None
        fanout.upstream_lost()

    requests = KeyframeRequests(receiver, interval=0.2, on_loss=lost)  # type: ignore[arg-type]
    fanout = Fanout("video", requests.ask)
    sending = asyncio.create_task(requests.run())
    track = fanout.track()
    first = asyncio.create_task(track.recv())
    await asyncio.sleep(0)
    fanout.push(vp8(key=True, pts=1))
    assert (await first).pts == 1
    fanout.push(vp8(key=False, pts=2))
    assert (await track.recv()).pts == 2

    # aiortc's jitter buffer gave up on lost packets and asks the publisher for a keyframe.
    await receiver._send_rtcp_pli(4321)
    fanout.push(vp8(key=False, pts=5))  # refers to the lost frames 3 and 4
    fanout.push(vp8(key=True, pts=6))
    assert (await track.recv()).pts == 6
    assert track.dropped == 1
    assert requests.losses == 1

    for _ in range(5):  # more losses within the interval: still one PLI at a time
        await receiver._send_rtcp_pli(4321)
    await eventually(lambda: len(receiver.plis) >= 2)
    await asyncio.sleep(0.3)
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    assert receiver.plis == [4321, 4321]  # the original PLI method, merged


def test_audio_does_not_wait_for_anything_after_a_loss() -> None:
    fanout = Fanout("audio")
    fanout.upstream_lost()  # nothing to hold: every Opus frame stands alone
    assert fanout.track().waiting_for_keyframe is False
