"""Several real ``tupa relay`` processes announced in a Redis of the test's own, a room server
placing rooms on them, and aiortc stand-ins for browsers that follow the room protocol on their
own (publish again when their room moved, subscribe to every new publication), as the page does.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack

from server.rooms.hub import RoomHub
from server.rooms.relay_link import RelayLink
from server.scheduling.series import MediaMode
from signaling.placed import PlacedRelays
from signaling.relay_directory import RelayDirectory
from tests.conftest import free_port
from tests.redis_server import RedisServer
from tests.roomclient import RoomClient
from tests.rooms.support import open_room_with_parents
from tests.signaling.peers import MovingStripes, peer_connection
from tests.signaling.test_service import SECRET, RelayProcess, tupa

# Short, so that a dead relay is found within the 5 s the issue asks for, media included.
TTL = 2.0


class AnnouncedRelay(RelayProcess):
    """``tupa relay`` that announces itself in ``redis_url``, and can be killed outright.

    It announces ``announce_url`` if given (an address in front of it, such as a
    :class:`CuttableProxy`), else where it listens (``url``)."""

    def __init__(
        self, directory: Path, redis_url: str, ttl: float = TTL, announce_url: str | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.announced_url = announce_url or self.url
        self.log = directory / f"relay-{self.port}.log"
        env = {
            "TUPA_REDIS_URL": redis_url,
            "TUPA_RELAY_ANNOUNCE_URL": self.announced_url,
            "TUPA_RELAY_TTL_SECONDS": str(ttl),
        }
        with self.log.open("w") as out:
            self.process = tupa(
                "relay",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                cwd=directory,
                extra_env=env,
                stdout=out,
                stderr=-2,  # subprocess.STDOUT
            )
        self._wait_until_ready()

    def kill(self) -> None:
        """``kill -9``: no shutdown, no withdrawn announcement, every connection just stops."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


class CuttableProxy:
    """A TCP forwarder on a free loopback port to ``127.0.0.1:<target>``, that the test can cut:
    the address a relay announced stops answering (as behind a firewall or a network split)
    while the relay runs on and keeps announcing itself. Only its HTTP is cut: media between
    browsers and the relay does not pass here."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target: int | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.target is None:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(
            _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
        )

    async def cut(self) -> None:
        """Nothing listens at the address any more, and every open connection is closed."""
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def use_placed_relays(
    hub: RoomHub, redis_url: str, ttl: float = TTL, cascade_after: int | None = None
) -> PlacedRelays:
    """Make the hub place its rooms on the announced relays (as TUPA_RELAY_DISCOVERY does)."""
    directory = RelayDirectory(redis_url, ttl)
    placed = PlacedRelays(directory, SECRET, cascade_after=cascade_after)
    hub.relay_link = RelayLink(placed)
    await hub.relay_link.start(hub.rooms, hub._committer)
    return placed


async def stop_placed_relays(hub: RoomHub) -> None:
    await hub.relay_link.close()


class FollowingBrowser:
    """What the room page does with the relay, driven by the frames it receives: publishes
    (again when its own ``av`` says ``moved``) and subscribes to every publication it hears of.
    Counts decoded frames per publisher and kind, and when each last arrived."""

    def __init__(self, client: RoomClient, publishes: bool) -> None:
        self.client = client
        self.publishes = publishes
        self.upstream: RTCPeerConnection | None = None
        self.downstream: dict[str, RTCPeerConnection] = {}
        self.generations: dict[str, int] = {}
        self.frames: dict[str, Counter[str]] = {}
        self.last_frame: dict[str, float] = {}
        self.published = 0
        self.subscribed: Counter[str] = Counter()  # subscriptions made, per publisher
        self._tasks: list[asyncio.Task[None]] = []
        self._loop = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        if self.publishes:
            await self._publish()
        while True:
            try:
                frame = await self.client.next(timeout=3600)
            except Exception:
                return
            kind = frame.get("type")
            if kind == "av":
                await self._on_av(frame)
            elif kind == "relay" and frame.get("kind") == "answer" and self.upstream is not None:
                answer = RTCSessionDescription(sdp=frame["sdp"], type="answer")
                await self.upstream.setRemoteDescription(answer)
                self.published += 1
            elif kind == "relay" and frame.get("kind") == "offer":
                await self._answer(frame["publisher"], frame["sdp"])

    async def _on_av(self, frame: dict[str, Any]) -> None:
        peer, generation = frame["peer"], frame.get("relay", 0)
        if peer == self.client.peer:
            if frame.get("moved") and self.publishes:
                await self._publish()
            return
        if not generation:
            self.generations.pop(peer, None)  # no publication (any more): the page unsubscribes
        elif generation != self.generations.get(peer):
            self.generations[peer] = generation
            await self._subscribe(peer)

    async def _publish(self) -> None:
        if self.upstream is not None:
            await self.upstream.close()
        self.upstream = pc = peer_connection()
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(MovingStripes())
        await pc.setLocalDescription(await pc.createOffer())
        await self.client.send(type="relay", kind="publish", sdp=pc.localDescription.sdp)

    async def _subscribe(self, publisher: str) -> None:
        old = self.downstream.pop(publisher, None)
        if old is not None:
            await old.close()
        pc = self.downstream[publisher] = peer_connection()
        self.subscribed[publisher] += 1
        counts = self.frames.setdefault(publisher, Counter())

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.create_task(self._read(publisher, track, counts)))

        await self.client.send(type="relay", kind="subscribe", publisher=publisher)

    async def _answer(self, publisher: str, offer: str) -> None:
        pc = self.downstream.get(publisher)
        if pc is None:
            return
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = pc.localDescription.sdp
        await self.client.send(type="relay", kind="answer", publisher=publisher, sdp=answer)

    async def _read(self, publisher: str, track: MediaStreamTrack, counts: Counter[str]) -> None:
        expected = av.VideoFrame if track.kind == "video" else av.AudioFrame
        try:
            while True:
                assert isinstance(await track.recv(), expected)
                counts[track.kind] += 1
                self.last_frame[f"{publisher}/{track.kind}"] = time.monotonic()
        except MediaStreamError:
            pass

    def seen(self, publisher: str, kind: str) -> int:
        return self.frames.get(publisher, Counter())[kind]

    async def close(self) -> None:
        self._loop.cancel()
        for pc in [self.upstream, *self.downstream.values()]:
            if pc is not None:
                await pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(self._loop, *self._tasks, return_exceptions=True)


@pytest.fixture
async def browsers() -> AsyncIterator[Callable[[RoomClient, bool], FollowingBrowser]]:
    made: list[FollowingBrowser] = []

    def make(client: RoomClient, publishes: bool) -> FollowingBrowser:
        made.append(FollowingBrowser(client, publishes))
        return made[-1]

    yield make
    for browser in made:
        await browser.close()


async def a_stage(
    server: Any,
    org: Any,
    clock: Any,
    browsers: Callable[[RoomClient, bool], FollowingBrowser],
    *names: str,
    before_media: Callable[[str], Awaitable[None]] | None = None,
) -> tuple[str, FollowingBrowser, list[FollowingBrowser]]:
    """A stage whose facilitator publishes through the relay to the named parents: the room's
    id, the facilitator's and the viewers' browsers. ``before_media`` is given the room's id
    before anyone publishes (to place the room on a relay of the test's choosing)."""
    room, facilitator, parents = await open_room_with_parents(
        server, org, clock, *names, media_mode=MediaMode.STAGE
    )
    if before_media is not None:
        await before_media(str(room.session_id))
    await facilitator.send(type="av", mic=True, camera=True, blurred=False)
    await facilitator.expect("av", peer=facilitator.peer)
    speaking = browsers(facilitator, True)
    watching = [browsers(parents[name], False) for name in names]

    def everyone_sees_and_hears() -> bool:
        kinds = ("video", "audio")
        return all(v.seen(facilitator.peer, k) >= 10 for v in watching for k in kinds)

    await eventually(everyone_sees_and_hears, timeout=30)
    return str(room.session_id), speaking, watching


async def eventually(condition: Callable[[], Any], timeout: float = 15.0) -> float:
    """Wait until ``condition`` holds; the seconds it took."""
    start = asyncio.get_running_loop().time()
    while not condition():
        assert asyncio.get_running_loop().time() - start < timeout, "timed out"
        await asyncio.sleep(0.05)
    return asyncio.get_running_loop().time() - start


@pytest.fixture
async def redis(tmp_path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def relays(tmp_path, redis) -> Iterator[list[AnnouncedRelay]]:
    started = [AnnouncedRelay(tmp_path, redis.url) for _ in range(2)]
    yield started
    for relay in started:
        relay.stop()


@pytest.fixture
def cascade_after() -> int | None:
    """How many subscribers of a room its relay serves before a second one serves the next
    (None: never); a module overrides it."""
    return None


@pytest.fixture
async def placed(live_server, redis, relays, cascade_after) -> AsyncIterator[PlacedRelays]:
    hub = live_server.app.state.hub
    in_process = hub.relay_link
    placed = await use_placed_relays(hub, redis.url, cascade_after=cascade_after)
    await eventually(lambda: len(placed.directory.live()) == 2)
    yield placed
    await stop_placed_relays(hub)
    hub.relay_link = in_process
