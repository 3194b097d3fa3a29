"""Media through the relay, driven over the room's WebSocket by aiortc clients: a stage audience
receives without ever sending, a stopped microphone stops at the relay, a group moves between
mesh and relay as people come and go, and leaving the room ends one's relay connections."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack

from server.rooms.relay_link import RelayLink
from server.scheduling.series import MediaMode
from signaling.client import RelayClient
from signaling.relay import Relay
from tests.domain.test_media_rules import SENDRECV_OFFER
from tests.roomclient import RoomClient, connect
from tests.rooms.support import open_room_with_parents
from tests.signaling.peers import MovingStripes, peer_connection
from tests.signaling.test_service import SECRET, RelayProcess


class Browser:
    """An aiortc stand-in for a browser on the room page: publishes and subscribes through the
    relay with `relay` frames, and counts the frames it decodes from each publisher."""

    def __init__(self, client: RoomClient) -> None:
        self.client = client
        self.upstream: RTCPeerConnection | None = None
        self.downstream: dict[str, RTCPeerConnection] = {}
        self.frames: dict[str, Counter[str]] = {}
        self._readers: list[asyncio.Task[None]] = []

    async def publish(self, kinds: tuple[str, ...] = ("audio", "video")) -> None:
        self.upstream = pc = peer_connection()
        if "audio" in kinds:
            pc.addTrack(AudioStreamTrack())
        if "video" in kinds:
            pc.addTrack(MovingStripes())
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await self.client.send(type="relay", kind="publish", sdp=sdp, cid="publish-1")
        answer = await self.client.expect("relay", kind="answer", cid="publish-1")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    async def subscribe(self, publisher: str) -> None:
        pc = self.downstream[publisher] = peer_connection()
        counts = self.frames[publisher] = Counter()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._readers.append(asyncio.create_task(self._read(track, counts)))

        await self.client.send(type="relay", kind="subscribe", publisher=publisher)
        offer = await self.client.expect("relay", kind="offer", publisher=publisher)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = pc.localDescription.sdp
        await self.client.send(type="relay", kind="answer", publisher=publisher, sdp=answer)

    @staticmethod
    async def _read(track: MediaStreamTrack, counts: Counter[str]) -> None:
        expected = av.VideoFrame if track.kind == "video" else av.AudioFrame
        try:
            while True:
                assert isinstance(await track.recv(), expected)
                counts[track.kind] += 1
        except MediaStreamError:
            pass

    async def close(self) -> None:
        for pc in [self.upstream, *self.downstream.values()]:
            if pc is not None:
                await pc.close()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@pytest.fixture
async def browsers() -> AsyncIterator[Callable[[RoomClient], Browser]]:
    made: list[Browser] = []

    def make(client: RoomClient) -> Browser:
        made.append(Browser(client))
        return made[-1]

    yield make
    for browser in made:
        await browser.close()


async def eventually(condition: Callable[[], Any], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def relay_of(server: Any) -> Relay:
    relay = server.app.state.hub.relay_link.relay
    assert isinstance(relay, Relay)  # the default: in this process
    return relay


async def a_watched_stage(server, org, clock, browsers):
    """A stage session whose facilitator publishes through the relay to one parent watching."""
    room, facilitator, parents = await open_room_with_parents(
        server, org, clock, "Mustikka", media_mode=MediaMode.STAGE
    )
    viewer = parents["Mustikka"]
    await facilitator.send(type="av", mic=True, camera=True, blurred=False)
    await browsers(facilitator).publish()
    await viewer.expect("av", peer=facilitator.peer, relay=1)
    watching = browsers(viewer)
    await watching.subscribe(facilitator.peer)
    return room, facilitator, viewer, watching.frames[facilitator.peer]


async def test_a_stage_audience_receives_through_the_relay_and_may_not_send(
    live_server, org, clock, browsers
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", media_mode=MediaMode.STAGE
    )
    viewer = parents["Mustikka"]
    assert viewer.welcome["media"]["topology"] == "relay"
    assert facilitator.welcome["media"]["topology"] == "relay"
    await facilitator.send(type="av", mic=True, camera=True, blurred=False)
    speaker = browsers(facilitator)
    await speaker.publish()
    published = await viewer.expect("av", peer=facilitator.peer)
    while not published["relay"]:
        published = await viewer.expect("av", peer=facilitator.peer)
    assert published["relay"] == 1

    watching = browsers(viewer)
    await watching.subscribe(facilitator.peer)
    await eventually(lambda: watching.frames[facilitator.peer]["video"] >= 15)
    assert watching.frames[facilitator.peer]["audio"] > 0

    # The audience's attempt to send is refused by the server, whatever its page does.
    sending = browsers(viewer)
    pc = sending.upstream = peer_connection()
    pc.addTrack(MovingStripes())
    await pc.setLocalDescription(await pc.createOffer())
    await viewer.send(type="relay", kind="publish", sdp=pc.localDescription.sdp, cid="try-1")
    refused = await viewer.expect("error", cid="try-1")
    assert refused["code"] == "not_allowed"
    assert relay_of(live_server).stats()[str(room.session_id)].publishers == (facilitator.peer,)


async def test_a_stopped_microphone_stops_at_the_relay_and_comes_back(
    live_server, org, clock, browsers
):
    live_server.app.state.hub.mesh_limit = 1  # two people who may publish: the relay
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.GROUP
    )
    a, b = parents["Mustikka"], parents["Puolukka"]
    assert b.welcome["media"]["topology"] == "relay"
    await a.send(type="av", mic=True, camera=True, blurred=False)
    sender, listener = browsers(a), browsers(b)
    await sender.publish()
    await b.expect("av", peer=a.peer, relay=1)
    await listener.subscribe(a.peer)
    heard = listener.frames[a.peer]
    await eventually(lambda: heard["audio"] >= 20 and heard["video"] >= 5)

    await facilitator.send(type="av_control", peer=a.peer, mic_allowed=False, camera_allowed=True)
    await b.expect("av", peer=a.peer, mic_allowed=False)
    stats = relay_of(live_server).stats
    await eventually(lambda: stats()[str(room.session_id)].frames_withheld["audio"] > 0)
    await asyncio.sleep(0.3)  # what was already on its way
    audio_then, video_then = heard["audio"], heard["video"]
    await asyncio.sleep(1.0)
    assert heard["audio"] == audio_then  # the browser still sends: the relay keeps it
    assert heard["video"] > video_then + 10  # the camera was not stopped

    await facilitator.send(type="av_control", peer=a.peer, mic_allowed=True, camera_allowed=True)
    await b.expect("av", peer=a.peer, mic_allowed=True)
    await a.send(type="av", mic=True, camera=True, blurred=False)  # and they switch it on again
    await eventually(lambda: heard["audio"] > audio_then + 20)


async def test_a_parent_with_a_microphone_only_is_heard_through_the_relay(
    live_server, org, clock, browsers
):
    live_server.app.state.hub.mesh_limit = 1  # two people who may publish: the relay
    room, _facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.GROUP
    )
    a, b = parents["Mustikka"], parents["Puolukka"]
    await a.send(type="av", mic=True, camera=False, blurred=False)
    await browsers(a).publish(kinds=("audio",))
    await b.expect("av", peer=a.peer, relay=1)
    listener = browsers(b)
    await listener.subscribe(a.peer)

    await eventually(lambda: listener.frames[a.peer]["audio"] >= 20)
    assert relay_of(live_server).stats()[str(room.session_id)].publishers == (a.peer,)


async def test_turning_ones_own_microphone_off_stops_it_at_the_relay(
    live_server, org, clock, browsers
):
    room, facilitator, _viewer, heard = await a_watched_stage(live_server, org, clock, browsers)
    await eventually(lambda: heard["audio"] >= 20)
    await facilitator.send(type="av", mic=False, camera=True, blurred=False)
    stats = relay_of(live_server).stats
    await eventually(lambda: stats()[str(room.session_id)].frames_withheld["audio"] > 0)


async def test_a_group_moves_to_the_relay_above_the_limit_and_back_without_anyone_reloading(
    live_server, org, clock, browsers
):
    live_server.app.state.hub.mesh_limit = 2
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", media_mode=MediaMode.GROUP
    )
    a = parents["Mustikka"]
    assert a.welcome["media"]["topology"] == "mesh"  # the facilitator and one parent

    third = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    assert (await third.expect("welcome"))["media"]["topology"] == "relay"
    for client in (facilitator, a):
        assert await client.expect("topology") == {"type": "topology", "topology": "relay"}

    await a.send(type="av", mic=True, camera=True, blurred=False)
    await browsers(a).publish()
    await facilitator.expect("av", peer=a.peer, relay=1)
    relay = relay_of(live_server)
    assert relay.stats()[str(room.session_id)].publishers == (a.peer,)

    await third.close()
    for client in (facilitator, a):
        assert await client.expect("topology") == {"type": "topology", "topology": "mesh"}
    # Back in the mesh: the relay lets go of the room, and nobody counts as publishing there.
    await facilitator.expect("av", peer=a.peer, relay=0)
    await eventually(lambda: str(room.session_id) not in relay.stats())
    await a.send(type="relay", kind="publish", sdp=SENDRECV_OFFER.text, cid="late")
    assert (await a.expect("error", cid="late"))["code"] == "wrong_mode"


async def test_leaving_the_room_ends_ones_connections_at_the_relay(
    live_server, org, clock, browsers
):
    room, facilitator, viewer, _heard = await a_watched_stage(live_server, org, clock, browsers)
    relay = relay_of(live_server)
    key = str(room.session_id)
    await eventually(lambda: relay.stats()[key].subscribers == (viewer.peer,))

    await viewer.close()
    await eventually(lambda: relay.stats()[key].subscribers == ())
    await facilitator.close()
    await eventually(lambda: key not in relay.stats())


async def test_subscribing_to_someone_who_does_not_publish_is_unknown_peer(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", media_mode=MediaMode.STAGE
    )
    viewer = parents["Mustikka"]
    await viewer.send(type="relay", kind="subscribe", publisher=facilitator.peer, cid="s1")
    assert (await viewer.expect("error", cid="s1"))["code"] == "unknown_peer"
    await facilitator.send(type="relay", kind="publish", sdp="v=0\r\nnonsense\r\n", cid="p1")
    assert (await facilitator.expect("error", cid="p1"))["code"] == "bad_sdp"


async def test_rooms_use_a_separate_tupa_relay_process_when_given_one(
    live_server, org, clock, browsers, tmp_path
):
    relay_process = RelayProcess(tmp_path)
    hub = live_server.app.state.hub
    in_process = hub.relay_link
    hub.relay_link = RelayLink(RelayClient(relay_process.url, SECRET))
    try:
        room, facilitator, _viewer, seen = await a_watched_stage(live_server, org, clock, browsers)
        await eventually(lambda: seen["video"] >= 15)

        await facilitator.send(type="av", mic=False, camera=True, blurred=False)
        client = hub.relay_link.relay
        key = str(room.session_id)

        async def withheld() -> int:
            return int((await client.stats())[key]["frames_withheld"]["audio"])

        deadline = asyncio.get_running_loop().time() + 10
        while await withheld() == 0:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
        assert in_process.relay.stats() == {}  # nothing went to the in-process one
    finally:
        await hub.relay_link.close()
        hub.relay_link = in_process
        relay_process.stop()
