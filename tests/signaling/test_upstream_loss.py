"""Packets lost between the publisher and the relay: the receiver's own request for a keyframe
is merged with everyone else's (subscribers see the same gap and ask for themselves)."""

from __future__ import annotations

import asyncio

from signaling.passthrough import KeyframeRequests
from tests.signaling.peers import eventually


class Receiver:
    """The parts of aiortc's RTCRtpReceiver that KeyframeRequests uses."""

    def __init__(self) -> None:
        self.plis: list[int] = []

    def getSynchronizationSources(self) -> list[object]:
        return [type("Source", (), {"source": 4321})()]

    async def _send_rtcp_pli(self, ssrc: int) -> None:
        self.plis.append(ssrc)


async def test_the_receivers_own_requests_after_a_loss_are_merged_with_the_others() -> None:
    receiver = Receiver()
    requests = KeyframeRequests(receiver, interval=0.2)  # type: ignore[arg-type]
    sending = asyncio.create_task(requests.run())

    # aiortc's jitter buffer gave up on lost packets and asks the publisher for a keyframe,
    # again and again, while a subscriber asks too.
    for _ in range(3):
        await receiver._send_rtcp_pli(4321)
    requests.ask()
    await eventually(lambda: len(receiver.plis) == 1)
    for _ in range(2):  # within the interval
        await receiver._send_rtcp_pli(4321)
    await eventually(lambda: len(receiver.plis) == 2)
    await asyncio.sleep(0.3)
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    assert requests.losses == 5 and requests.asked == 6
    assert receiver.plis == [4321, 4321]  # the original PLI method: one at once, one after
