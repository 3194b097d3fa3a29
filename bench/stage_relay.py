"""Stage relay benchmark: one aiortc publisher through ``signaling.Relay`` to N aiortc subscribers.

    .venv/bin/python bench/stage_relay.py                         # N = 10, 25, 50, 100, 200
    .venv/bin/python bench/stage_relay.py --only 100 --seconds 30
    .venv/bin/python bench/stage_relay.py --subscribers 10,50 --seconds 5   # quick check
    .venv/bin/python bench/stage_relay.py --relay-loop uvloop --video-kbps 800

One speaker, many viewers, on this machine. Per step, three kinds of processes, all children of
this one (they die with it) talking over 127.0.0.1 and the machine's own address:

- the relay: ``signaling.Relay`` behind a tiny JSON-lines-over-TCP server (``--serve-relay``;
  publish, subscribe, answer, stats). aiortc gathers every candidate before it returns a
  description, so one offer and one answer connect a peer;
- the publisher: a synthetic 640x360 30 fps moving picture (precomputed frames, cycled) encoded
  as VP8, and a 400 Hz tone as Opus in 20 ms frames (``--serve-publisher``);
- the subscribers, ``--per-process`` to a process at a lower priority (``--nice``), so that the
  load generator takes what the relay leaves (``--serve-subscribers``). Subscriber 0 decodes
  everything, to show that the stream is decodable, and counts decode errors. The others count
  frames without decoding: by default straight from the decrypted RTP (``--viewers lean``: a
  frame counts when all its packets arrived), or through aiortc's receivers made to yield
  encoded frames by :func:`_yield_encoded_frames` (``--viewers aiortc``; their
  per-packet Python costs about as much CPU as the relay itself, so the machine runs out first).

This process drives them (commands on their stdin, one JSON reply a line on their stdout),
connects the subscribers in batches, waits until every one has received a keyframe and audio,
lets the joins' keyframe burst settle, then measures a window: frames the publisher sent,
frames each subscriber received, the relay's counters (``Relay.stats()``), the kernel's UDP
drop counters, and the CPU of every process from ``/proc``. Delivered share = frames received
by subscribers / (frames sent x N). Steps run one after the other on fresh processes;
escalation stops below 50 % delivered.

Not a test: it prints measurements. Everything stops by itself (``--step-timeout``,
``--max-seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import logging
import math
import os
import platform
import random
import re
import resource
import signal
import socket
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import machine  # bench/machine.py, beside this script

SELF = Path(__file__).resolve()
REPO = SELF.parent.parent
HOST = "127.0.0.1"
ROOM = "stage"
SPEAKER = "speaker"
WIDTH, HEIGHT, FPS = 640, 360, 30
AUDIO_RATE, AUDIO_SAMPLES = 48000, 960  # 20 ms
TARGET_N, TARGET_SHARE = 100, 0.95
GIVE_UP_SHARE = 0.5
READ_LIMIT = 1 << 22  # SDP and counts travel as single JSON lines

logger = logging.getLogger("stage_relay")


# --- synthetic media (publisher process) -----------------------------------------------------


def _test_card(count: int = 60) -> list[tuple[bytes, bytes, bytes]]:
    """``count`` frames of moving diagonal stripes, a sliding box and a patch of fresh noise.

    Precomputed once so that the publisher's cost is the VP8 encoder, not Python drawing; the
    noise makes every frame carry residual like a camera picture does.
    """
    rnd = random.Random(7)
    period = bytes(16 + (x * 7) % 200 for x in range(64))
    stripes = period * (WIDTH // len(period) + 8)
    frames = []
    for i in range(count):
        luma = bytearray()
        box_x = (i * 8) % (WIDTH - 96)
        for row in range(HEIGHT):
            line = bytearray(stripes[(i * 3 + row) % 64 :][:WIDTH])
            if 120 <= row < 216:
                line[box_x : box_x + 96] = b"\xeb" * 96
            if 40 <= row < 112:
                line[440:568] = rnd.randbytes(128)
            luma += line
        chroma_u = bytes([96 + i % 32]) * (WIDTH // 2 * HEIGHT // 2)
        chroma_v = bytes([160 - i % 32]) * (WIDTH // 2 * HEIGHT // 2)
        frames.append((bytes(luma), chroma_u, chroma_v))
    return frames


def _tone() -> bytes:
    """20 ms of a 400 Hz tone, signed 16-bit mono: exactly eight periods, so it loops cleanly."""
    samples = array(
        "h",
        (int(6000 * math.sin(2 * math.pi * 400 * n / AUDIO_RATE)) for n in range(AUDIO_SAMPLES)),
    )
    return samples.tobytes()


def _media_tracks() -> tuple[Any, Any]:
    import av
    from aiortc import MediaStreamTrack, VideoStreamTrack
    from aiortc.mediastreams import MediaStreamError

    class TestCard(VideoStreamTrack):
        """640x360 at 30 fps from the precomputed cycle; a new ``VideoFrame`` each time, since
        aiortc marks a frame it must encode as a keyframe on the frame object itself."""

        def __init__(self) -> None:
            super().__init__()
            self._frames = _test_card()
            self.sent = 0

        async def recv(self) -> av.VideoFrame:
            pts, time_base = await self.next_timestamp()
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            for plane, data in zip(
                frame.planes, self._frames[self.sent % len(self._frames)], strict=True
            ):
                plane.update(data)
            frame.pts, frame.time_base = pts, time_base
            self.sent += 1
            return frame

    class Tone(MediaStreamTrack):
        """A 400 Hz tone at 48 kHz in 20 ms frames, paced like aiortc's ``AudioStreamTrack``."""

        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self._samples = _tone()
            self._start: float | None = None
            self._timestamp = 0
            self.sent = 0

        async def recv(self) -> av.AudioFrame:
            if self.readyState != "live":
                raise MediaStreamError
            if self._start is None:
                self._start = time.time()
            else:
                self._timestamp += AUDIO_SAMPLES
                await asyncio.sleep(self._start + self._timestamp / AUDIO_RATE - time.time())
            frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
            frame.planes[0].update(self._samples)
            frame.pts = self._timestamp
            frame.sample_rate = AUDIO_RATE
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.sent += 1
            return frame

    return TestCard(), Tone()


# --- talking to the relay and to the children ------------------------------------------------


async def _ask_relay(port: int, request: dict[str, Any], within: float = 60.0) -> dict[str, Any]:
    """One request on a fresh TCP connection; the relay answers with one JSON line."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(HOST, port, limit=READ_LIMIT), within
    )
    try:
        writer.write(json.dumps(request).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), within)
    finally:
        writer.close()
    reply = json.loads(line) if line else {"error": "the relay closed the connection"}
    if "error" in reply:
        raise RuntimeError(f"relay {request['op']}: {reply['error']}")
    return dict(reply)


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _serve_commands(handlers: dict[str, Callable[..., Awaitable[dict[str, Any]]]]) -> None:
    """A child's main loop: one JSON command a line on stdin, one JSON reply a line on stdout.
    ``stop`` (or this program's end: stdin closes) ends it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=READ_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    _emit({"ready": True})
    while line := await reader.readline():
        request = json.loads(line)
        op = request.pop("op")
        try:
            reply = await handlers[op](**request)
        except Exception as exc:
            logger.exception("%s failed", op)
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        _emit({"reply": op, **reply})
        if op == "stop":
            return
    if "stop" in handlers:
        await handlers["stop"]()


class LoopLag:
    """How late the event loop wakes up: a timer every 50 ms, its worst and mean lateness."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.worst = 0.0
        self.total = 0.0
        self.count = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            await asyncio.sleep(self.interval)
            late = loop.time() - began - self.interval
            self.worst = max(self.worst, late)
            self.total += late
            self.count += 1

    def take(self) -> dict[str, float]:
        """Since the last call."""
        taken = {"lag_max": self.worst, "lag_mean": self.total / max(self.count, 1)}
        self.worst = self.total = 0.0
        self.count = 0
        return taken


def _child_setup() -> None:
    """Logging to stderr (this program's log file for the child), every file descriptor the
    hard limit allows, and Ctrl-C left to this program, which stops its children in order."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the relay process -----------------------------------------------------------------------


async def _serve_relay(port: int) -> None:
    """``signaling.Relay`` behind JSON lines on TCP: publish, subscribe, answer, stats."""
    from server.errors import TupaError
    from signaling.relay import Relay

    _child_setup()
    relay = Relay()
    lag = LoopLag()
    lag_task = asyncio.create_task(lag.run())

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = json.loads(await reader.readline())
            op = request["op"]
            if op == "publish":
                reply = {"sdp": await relay.publish(ROOM, request["publisher"], request["sdp"])}
            elif op == "subscribe":
                reply = {"sdp": await relay.subscribe(ROOM, request["subscriber"], SPEAKER)}
            elif op == "answer":
                await relay.answer(ROOM, request["subscriber"], SPEAKER, request["sdp"])
                reply = {}
            elif op == "stats":
                reply = {**_relay_counts(relay), **lag.take()}
            else:
                reply = {"error": f"unknown op {op!r}"}
        except TupaError as exc:
            reply = {"error": f"{exc.code.value} {exc.params}"}
        except Exception as exc:
            logger.exception("request failed")
            reply = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        with contextlib.suppress(ConnectionError):
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        writer.close()

    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    server = await asyncio.start_server(handle, HOST, port, limit=READ_LIMIT, backlog=1024)
    _emit({"ready": True})
    await stop
    server.close()
    began = time.perf_counter()
    await relay.close()
    lag_task.cancel()
    _emit({"closed_in": time.perf_counter() - began})


def _relay_counts(relay: Any) -> dict[str, Any]:
    """The room's totals from ``Relay.stats()``, and the process's RTP packets in and out
    (``signaling.traffic``, what ``tupa relay`` exposes as metrics), as plain JSON."""
    from signaling.traffic import TRAFFIC

    packets = {"packets_in": TRAFFIC.packets_in, "packets_out": TRAFFIC.packets_out}
    room = relay.stats().get(ROOM)
    if room is None:
        return {"subscribers": 0, **packets}
    return {
        **packets,
        "publishers": list(room.publishers),
        "subscribers": len(room.subscribers),
        "received": dict(room.frames_received),
        "forwarded": dict(room.frames_forwarded),
        "dropped": dict(room.frames_dropped),
        "retransmitted": sum(s.retransmitted for s in room.subscriptions),
        "dropped_by": {s.subscriber: sum(s.dropped.values()) for s in room.subscriptions},
        "keyframe_requests": room.keyframe_requests,
        "plis_sent": room.plis_sent,
    }


# --- the publisher process -------------------------------------------------------------------


async def _serve_publisher(relay_port: int, video_kbps: int | None) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.codecs import vpx

    _child_setup()
    if video_kbps:  # the encoder follows the relay's REMB up to this (aiortc's own cap: 1500)
        vpx.MAX_BITRATE = video_kbps * 1000
        vpx.MIN_BITRATE = min(vpx.MIN_BITRATE, vpx.MAX_BITRATE)
        vpx.DEFAULT_BITRATE = min(vpx.DEFAULT_BITRATE, vpx.MAX_BITRATE)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    camera, microphone = _media_tracks()
    forced = Counter[str]()

    async def publish() -> dict[str, Any]:
        pc.addTrack(microphone)
        sender = pc.addTrack(camera)
        force_keyframe = sender._send_keyframe

        def counted() -> None:
            forced["keyframes"] += 1
            force_keyframe()

        setattr(sender, "_send_keyframe", counted)  # noqa: B010 - counts PLIs reaching the camera
        await pc.setLocalDescription(await pc.createOffer())
        reply = await _ask_relay(
            relay_port, {"op": "publish", "publisher": SPEAKER, "sdp": pc.localDescription.sdp}
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
        return {}

    async def counts() -> dict[str, Any]:
        sent_bytes = 0
        for sender in pc.getSenders():
            if sender.track is camera:
                report = await sender.getStats()
                sent_bytes = sum(
                    getattr(s, "bytesSent", 0) for s in report.values() if s.type == "outbound-rtp"
                )
        return {
            "video": camera.sent,
            "audio": microphone.sent,
            "video_bytes": sent_bytes,
            "forced_keyframes": forced["keyframes"],
            "state": pc.connectionState,
        }

    async def stop() -> dict[str, Any]:
        await pc.close()
        return {}

    await _serve_commands({"publish": publish, "counts": counts, "stop": stop})


# --- the subscribers' processes --------------------------------------------------------------


class _DecodeErrors(logging.Handler):
    """Counts aiortc's "failed to decode" warnings (only the decoding subscriber can log them)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "failed to decode" in record.getMessage():
            self.count += 1


class _RtpCounter:
    """Counts intact frames in a subscriber's decrypted RTP, in place of aiortc's receivers.

    It takes the place of ``RTCDtlsTransport._handle_rtp_data`` on one connection, after SRTP
    is removed: no RTP parsing into objects, no jitter buffer, NACK generator or bandwidth
    estimator per packet. An Opus packet is a frame; a VP8 frame counts when its first packet
    (S bit, partition 0) and every packet up to its marker arrived without a gap. Late or
    repeated packets (and RTX, another payload type) are ignored. Nothing is sent back: no
    receiver reports, REMB, NACK or PLI.
    """

    def __init__(self, kinds: dict[int, str], frames: Counter[str]) -> None:
        self.kinds = kinds  # payload type -> "audio" / "video", media codecs only
        self.frames = frames
        self.next_seq: dict[str, int] = {}
        self.in_frame = False
        self.video_bytes = 0
        self.lost = 0
        self.packets = 0
        self.first_not_keyframe: bool | None = None

    async def handle(self, data: bytes, arrival_time_ms: int = 0) -> None:
        if len(data) < 13:
            return
        kind = self.kinds.get(data[1] & 0x7F)
        if kind is None:
            return
        seq = data[2] << 8 | data[3]
        ahead = (seq - self.next_seq.get(kind, seq)) & 0xFFFF
        if ahead >= 0x8000:
            return  # late or repeated
        self.next_seq[kind] = (seq + 1) & 0xFFFF
        self.lost += ahead
        self.packets += 1
        if kind == "audio":
            self.frames["audio"] += 1
            return
        self.video_bytes += len(data)
        offset = 12 + 4 * (data[0] & 0x0F)
        if data[0] & 0x10:  # header extensions: 4 bytes, then their length in 32-bit words
            offset += 4 + 4 * (data[offset + 2] << 8 | data[offset + 3])
        descriptor = data[offset]
        if descriptor & 0x10 and not descriptor & 0x0F:  # a frame's first packet
            self.in_frame = True
            if self.first_not_keyframe is None:
                from aiortc.codecs.vpx import VpxPayloadDescriptor

                _, payload = VpxPayloadDescriptor.parse(data[offset:])
                self.first_not_keyframe = bool(payload[0] & 1)
        elif ahead:
            self.in_frame = False
        if data[1] & 0x80:  # marker: the frame's last packet
            if self.in_frame:
                self.frames["video"] += 1
            self.in_frame = False


def _yield_encoded_frames(receiver: Any) -> None:
    """Make an aiortc receiver's track yield encoded ``av.Packet``s instead of decoded frames.

    The frames its jitter buffer reassembles go to the track's queue instead of the decoder
    thread's (aiortc 1.16's private ``__decoder_queue``, as ``signaling.passthrough`` reaches it),
    so no decoder is created; the ``None`` that stops the receiver still reaches the idle decoder
    thread, which ends the track. Call it before the receiver starts.
    """
    import queue
    from fractions import Fraction

    import av

    track_queue = receiver.track._queue

    class EncodedFrames(queue.Queue[Any]):
        def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
            if item is None:
                super().put(None, block, timeout)
                return
            codec, frame = item
            if frame.data:
                packet = av.Packet(frame.data)
                packet.pts = frame.timestamp
                packet.time_base = Fraction(1, codec.clockRate)
                track_queue.put_nowait(packet)

    setattr(receiver, "_RTCRtpReceiver__decoder_queue", EncodedFrames())  # noqa: B010


@dataclass
class _Viewer:
    """One subscriber: counts the frames of each kind it receives.

    ``how`` is ``"decode"`` (aiortc decodes everything), ``"aiortc"`` (aiortc's receivers,
    made to yield encoded frames by :func:`_yield_encoded_frames`) or ``"lean"`` (an
    :class:`_RtpCounter`).
    """

    name: str
    how: str
    rcvbuf: int = 0
    pc: Any = None
    frames: Counter[str] = field(default_factory=Counter)
    video_bytes: int = 0
    first_not_keyframe: bool = False
    picture: str = ""
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    counter: _RtpCounter | None = None
    closing: bool = False

    async def subscribe(self, relay_port: int) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
        from aiortc.sdp import SessionDescription

        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        began = time.monotonic()

        @self.pc.on("connectionstatechange")
        def changed() -> None:
            if not self.closing and self.pc.connectionState not in ("connecting", "connected"):
                logger.warning(
                    "%s: connection %s after %.1f s",
                    self.name,
                    self.pc.connectionState,
                    time.monotonic() - began,
                )

        offer = await _ask_relay(relay_port, {"op": "subscribe", "subscriber": self.name})
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        for transceiver in self.pc.getTransceivers():
            if self.how == "aiortc":
                _yield_encoded_frames(transceiver.receiver)  # it has not started yet
            if self.how != "lean":
                self.readers.append(asyncio.create_task(self._read(transceiver.receiver.track)))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        if self.rcvbuf:
            self._enlarge_receive_buffers()
        if self.how == "lean":  # DTLS is not up yet: no media has arrived
            kinds = {
                codec.payloadType: media.kind
                for media in SessionDescription.parse(offer["sdp"]).media
                for codec in media.rtp.codecs
                if codec.mimeType.lower() in ("audio/opus", "video/vp8")
            }
            self.counter = _RtpCounter(kinds, self.frames)
            for transport in {
                id(t.receiver.transport): t.receiver.transport for t in self.pc.getTransceivers()
            }.values():
                setattr(transport, "_handle_rtp_data", self.counter.handle)  # noqa: B010
        await _ask_relay(
            relay_port,
            {"op": "answer", "subscriber": self.name, "sdp": self.pc.localDescription.sdp},
        )

    def _enlarge_receive_buffers(self) -> None:
        """Give this viewer's UDP sockets (gathered by now) a receive buffer of ``rcvbuf`` bytes.

        A browser on its own device reads its socket as packets come; a viewer process here
        sits at a lower priority than the relay on a shared core, and while the relay sends a
        key frame to everyone it gets no CPU. A bigger buffer holds that burst (the kernel caps
        it at net.core.rmem_max) instead of counting the load generator's stall as the relay's.
        """
        for transceiver in self.pc.getTransceivers():
            connection = transceiver.receiver.transport.transport._connection
            for protocol in connection._protocols:
                sock = protocol.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)

    @property
    def received_bytes(self) -> int:
        return self.counter.video_bytes if self.counter else self.video_bytes

    @property
    def started_without_keyframe(self) -> bool:
        if self.counter:
            return bool(self.counter.first_not_keyframe)
        return self.first_not_keyframe

    async def _read(self, track: Any) -> None:
        import av
        from aiortc.mediastreams import MediaStreamError

        kind = track.kind
        frames = self.frames
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if kind == "video":
                    if isinstance(frame, av.Packet):
                        if not frames["video"]:
                            # Bit 0 of a VP8 frame tag is 0 for a key frame (RFC 6386 9.1).
                            data = bytes(frame)
                            self.first_not_keyframe = not data or bool(data[0] & 1)
                        self.video_bytes += frame.size
                    elif not self.picture:
                        self.picture = f"{frame.width}x{frame.height}"
                frames[kind] += 1

    async def close(self) -> None:
        self.closing = True
        if self.pc is not None:
            await self.pc.close()
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def _serve_subscribers(relay_port: int) -> None:
    _child_setup()
    decode_errors = _DecodeErrors()
    logging.getLogger("aiortc").addHandler(decode_errors)
    viewers: dict[str, _Viewer] = {}
    lag = LoopLag()
    lag_task = asyncio.create_task(lag.run())

    async def connect(
        names: list[str], decode: list[str], concurrency: int, how: str, rcvbuf: int = 0
    ) -> dict[str, Any]:
        gate = asyncio.Semaphore(concurrency)
        failures: Counter[str] = Counter()

        async def one(name: str) -> None:
            async with gate:
                viewer = viewers[name] = _Viewer(name, "decode" if name in decode else how, rcvbuf)
                try:
                    await viewer.subscribe(relay_port)
                except Exception as exc:
                    failures[f"{type(exc).__name__}: {exc}"[:160]] += 1

        await asyncio.gather(*(one(name) for name in names))
        return {"failures": dict(failures)}

    async def counts() -> dict[str, Any]:
        ordered = sorted(viewers.values(), key=lambda v: v.name)
        return {
            "names": [v.name for v in ordered],
            "video": [v.frames["video"] for v in ordered],
            "audio": [v.frames["audio"] for v in ordered],
            "video_bytes": sum(v.received_bytes for v in ordered),
            "first_not_keyframe": sum(v.started_without_keyframe for v in ordered),
            "lost_packets": sum(v.counter.lost for v in ordered if v.counter),
            "lean_packets": sum(v.counter.packets for v in ordered if v.counter),
            "lean": sum(1 for v in ordered if v.counter),
            "decoded": {v.name: v.picture for v in ordered if v.how == "decode"},
            "decode_errors": decode_errors.count,
            "states": dict(Counter(v.pc.connectionState if v.pc else "none" for v in ordered)),
            **lag.take(),
        }

    async def stop() -> dict[str, Any]:
        lag_task.cancel()
        await asyncio.gather(*(v.close() for v in viewers.values()), return_exceptions=True)
        return {}

    await _serve_commands({"connect": connect, "counts": counts, "stop": stop})


# --- CPU and kernel counters -----------------------------------------------------------------


def _udp_counters() -> dict[str, int]:
    """The kernel's UDP counters (whole network namespace): drops show as buffer errors."""
    lines = [
        line.split()
        for line in Path("/proc/net/snmp").read_text().splitlines()
        if line[:4] == "Udp:"
    ]
    return dict(zip(lines[0][1:], map(int, lines[1][1:]), strict=True))


# --- the children, from this side ------------------------------------------------------------


STARTED: list[int] = []  # every child's pid, for the last-resort cleanup in main()


@dataclass
class Child:
    """A child process of this program, commanded through its stdin and stdout."""

    role: str
    proc: asyncio.subprocess.Process
    log: Path
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    async def start(
        cls,
        role: str,
        argv: list[str],
        log: Path,
        loop: str,
        nice: int = 0,
        cpus: set[int] | None = None,
    ) -> Child:
        def prepare() -> None:  # in the child, before exec
            machine.die_with_parent()
            machine.pin(cpus)  # as `taskset -c` would
            if nice:
                os.nice(nice)

        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with log.open("wb") as sink:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(SELF),
                *argv,
                "--loop",
                loop,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=sink,
                cwd=REPO,
                env=env,
                preexec_fn=prepare,
                limit=READ_LIMIT,
            )
        STARTED.append(proc.pid)
        child = cls(role, proc, log)
        await child._line(60.0)  # {"ready": true}
        return child

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def _line(self, within: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), within)
        if not line:
            raise RuntimeError(
                f"{self.role} (pid {self.pid}) exited:\n{machine.tail(self.log, 20)}"
            )
        return dict(json.loads(line))

    async def call(self, op: str, within: float = 60.0, **params: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        async with self.lock:
            self.proc.stdin.write(json.dumps({"op": op, **params}).encode() + b"\n")
            await self.proc.stdin.drain()
            reply = await self._line(within)
        if "error" in reply:
            raise RuntimeError(f"{self.role}: {op}: {reply['error']}")
        return reply

    async def stop(self, within: float = 20.0) -> dict[str, Any]:
        """Ask it to close its connections and exit; kill it if it does not in time."""
        said: dict[str, Any] = {}
        if self.proc.returncode is None:
            try:
                if self.role.startswith("relay"):
                    self.proc.send_signal(signal.SIGINT)
                    said = await self._line(within)
                else:
                    said = await self.call("stop", within)
                await asyncio.wait_for(self.proc.wait(), within)
            except (TimeoutError, RuntimeError, ConnectionError, ValueError) as exc:
                said = {"problem": f"{type(exc).__name__}: {exc}"[:200]}
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        return said


def _log_problems(log: Path, limit: int = 4) -> list[str]:
    """The commonest warnings and errors in a child's log, numbers blanked out to group them."""
    counts: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in log.read_text(errors="replace").splitlines():
            match = re.search(r" (WARNING|ERROR|CRITICAL) (.*)", line)
            if match:
                counts[re.sub(r"\d+", "#", match.group(2))[:150]] += 1
            elif line.startswith(("Traceback", "Task exception", "RuntimeError", "Exception")):
                counts[line[:150]] += 1
    return [f"{n} x {text}" for text, n in counts.most_common(limit)]


# --- one step --------------------------------------------------------------------------------


@dataclass
class Snapshot:
    wall: float
    cpu: dict[str, float]
    system: tuple[float, float]
    udp: dict[str, int]
    publisher: dict[str, Any]
    relay: dict[str, Any]
    viewers: list[dict[str, Any]]

    @property
    def video(self) -> list[int]:
        return [n for v in self.viewers for n in v["video"]]

    @property
    def audio(self) -> list[int]:
        return [n for v in self.viewers for n in v["audio"]]


@dataclass
class StepResult:
    n: int
    seconds: float
    receiving: int
    connect_seconds: float
    cpu: dict[str, float]
    machine: float
    publisher_fps: dict[str, float]
    publisher_kbps: float
    relay_fps: dict[str, float]
    fps_mean: dict[str, float]
    fps_min: dict[str, float]
    share: dict[str, float]
    relay_dropped: dict[str, int]
    subscriptions_with_drops: int
    keyframe_requests: int
    plis: int
    forced_keyframes: int
    step_keyframe_requests: int
    step_plis: int
    decoded: int
    decode_errors: int
    picture: str
    first_not_keyframe: int
    lost_packets: int
    packets_per_second: float  # RTP packets reaching subscribers, all N (lean ones' rate x N)
    udp_drops: dict[str, int]
    relay_lag_max: float
    viewers_lag_max: float
    states: dict[str, int]
    publisher_state: str
    relay_room: str  # who Relay.stats() says publishes and how many subscribe, at the end
    problems: dict[str, list[str]]
    relay_closed_in: float | None = None
    relay: int = 1  # which of --relays (each with its own copy of the stage)
    packets_in_per_second: float = 0.0  # RTP packets the relay received, and sent on
    packets_out_per_second: float = 0.0


async def _snapshot(
    relay_port: int, relay_pid: int, publisher: Child, viewers: list[Child]
) -> Snapshot:
    pub, relay, *counts = await asyncio.gather(
        publisher.call("counts"),
        _ask_relay(relay_port, {"op": "stats"}),
        *(v.call("counts") for v in viewers),
    )
    cpu = {
        "relay": machine.proc_cpu(relay_pid),
        "relay_loop": machine.proc_cpu(relay_pid, relay_pid),
        "publisher": machine.proc_cpu(publisher.pid),
        "subscribers": sum(machine.proc_cpu(v.pid) for v in viewers),
        "bench": time.process_time(),
    }
    return Snapshot(
        time.perf_counter(), cpu, machine.system_cpu(), _udp_counters(), pub, relay, list(counts)
    )


def _per_kind(after: dict[str, Any], before: dict[str, Any], key: str) -> dict[str, int]:
    a, b = after.get(key, {}), before.get(key, {})
    return {kind: a.get(kind, 0) - b.get(kind, 0) for kind in ("video", "audio")}


def _measure(
    n: int, before: Snapshot, after: Snapshot, receiving: int, connect_seconds: float
) -> StepResult:
    wall = after.wall - before.wall
    cpu = {k: (after.cpu[k] - before.cpu[k]) / wall for k in after.cpu}
    busy = (after.system[0] - before.system[0]) / max(after.system[1] - before.system[1], 1)
    machine = busy * (os.cpu_count() or 1)
    cpu["other"] = max(
        0.0, machine - cpu["relay"] - cpu["publisher"] - cpu["subscribers"] - cpu["bench"]
    )
    sent = {k: after.publisher[k] - before.publisher[k] for k in ("video", "audio")}
    got = {
        "video": [a - b for a, b in zip(after.video, before.video, strict=False)],
        "audio": [a - b for a, b in zip(after.audio, before.audio, strict=False)],
    }
    for kind in got:  # subscribers that never connected received nothing
        got[kind] += [0] * (n - len(got[kind]))
    relay_received = _per_kind(after.relay, before.relay, "received")
    last = after.viewers[0]
    decoding = next(iter(last["decoded"]), None)
    decoded = 0
    if decoding is not None:
        at = last["names"].index(decoding)
        decoded = after.viewers[0]["video"][at] - (
            before.viewers[0]["video"][at] if at < len(before.viewers[0]["video"]) else 0
        )
    states: Counter[str] = Counter()
    for v in after.viewers:
        states.update(v["states"])
    return StepResult(
        n=n,
        seconds=wall,
        receiving=receiving,
        connect_seconds=connect_seconds,
        cpu=cpu,
        machine=machine,
        publisher_fps={k: sent[k] / wall for k in sent},
        publisher_kbps=(after.publisher["video_bytes"] - before.publisher["video_bytes"])
        * 8
        / wall
        / 1000,
        relay_fps={k: relay_received[k] / wall for k in relay_received},
        fps_mean={k: sum(v) / len(v) / wall for k, v in got.items()},
        fps_min={k: min(v) / wall for k, v in got.items()},
        share={k: sum(got[k]) / (sent[k] * n) if sent[k] else 0.0 for k in got},
        relay_dropped=_per_kind(after.relay, before.relay, "dropped"),
        subscriptions_with_drops=sum(
            1
            for name, dropped in after.relay.get("dropped_by", {}).items()
            if dropped > before.relay.get("dropped_by", {}).get(name, 0)
        ),
        keyframe_requests=after.relay.get("keyframe_requests", 0)
        - before.relay.get("keyframe_requests", 0),
        plis=after.relay.get("plis_sent", 0) - before.relay.get("plis_sent", 0),
        forced_keyframes=after.publisher["forced_keyframes"] - before.publisher["forced_keyframes"],
        step_keyframe_requests=after.relay.get("keyframe_requests", 0),
        step_plis=after.relay.get("plis_sent", 0),
        decoded=decoded,
        decode_errors=sum(v["decode_errors"] for v in after.viewers),
        picture=last["decoded"].get(decoding, "") if decoding else "",
        first_not_keyframe=sum(v["first_not_keyframe"] for v in after.viewers),
        lost_packets=sum(v["lost_packets"] for v in after.viewers)
        - sum(v["lost_packets"] for v in before.viewers),
        packets_per_second=(
            sum(v["lean_packets"] for v in after.viewers)
            - sum(v["lean_packets"] for v in before.viewers)
        )
        / wall
        * n
        / max(sum(v["lean"] for v in after.viewers), 1),
        udp_drops={
            k: after.udp.get(k, 0) - before.udp.get(k, 0)
            for k in ("RcvbufErrors", "SndbufErrors", "InErrors")
        },
        relay_lag_max=after.relay.get("lag_max", 0.0),
        viewers_lag_max=max(v["lag_max"] for v in after.viewers),
        states=dict(states),
        publisher_state=after.publisher["state"],
        relay_room=f"publishers {after.relay.get('publishers', [])}, "
        f"{after.relay.get('subscribers', 0)} subscribers",
        problems={},
        packets_in_per_second=(after.relay["packets_in"] - before.relay["packets_in"]) / wall,
        packets_out_per_second=(after.relay["packets_out"] - before.relay["packets_out"]) / wall,
    )


async def _receiving(viewers: list[Child]) -> tuple[int, int]:
    """(subscribers that have had video, subscribers that have had video and audio)."""
    counts = await asyncio.gather(*(v.call("counts") for v in viewers))
    video = sum(1 for c in counts for n in c["video"] if n)
    both = sum(1 for c in counts for a, b in zip(c["video"], c["audio"], strict=True) if a and b)
    return video, both


@dataclass
class Stage:
    """One relay process with a publisher of its own and its share of the viewers: a copy of
    the stage per relay, the way to use several relays in parallel until a cascade exists."""

    number: int  # 1, 2, ...
    port: int
    relay: Child
    publisher: Child
    viewers: list[Child]
    names: list[str]


def _viewer_shares(n: int, relays: int) -> list[int]:
    """N viewers dealt round the relays: 101 over 2 is 51 and 50."""
    return [n // relays + (1 if i < n % relays else 0) for i in range(relays)]


async def _start_stage(
    number: int, n: int, viewers: int, args: argparse.Namespace, tmp: Path, children: list[Child]
) -> Stage:
    """Start one relay, its publisher and its viewers' processes (each into ``children`` as it
    starts, so that a failure still stops everything)."""
    several = args.relays > 1
    tag = f"{n}-r{number}" if several else f"{n}"
    port = machine.free_port(HOST)
    relay = await Child.start(
        f"relay-{number}" if several else "relay",
        ["--serve-relay", str(port)],
        tmp / f"relay-{tag}.log",
        args.relay_loop,
        cpus=args.relay_cpus[number - 1] if args.relay_cpus else None,
    )
    children.append(relay)
    processes = max(1, math.ceil(viewers / args.per_process))
    starting = [
        Child.start(
            f"publisher-{number}" if several else "publisher",
            ["--serve-publisher", str(port)]
            + (["--video-kbps", str(args.video_kbps)] if args.video_kbps else []),
            tmp / f"publisher-{tag}.log",
            args.client_loop,
        ),
        *(
            Child.start(
                f"subscribers-{number}-{i}" if several else f"subscribers-{i}",
                ["--serve-subscribers", str(port)],
                tmp / f"subscribers-{tag}-{i}.log",
                args.client_loop,
                args.nice,
            )
            for i in range(processes)
        ),
    ]
    outcomes = await asyncio.gather(*starting, return_exceptions=True)
    started = [c for c in outcomes if isinstance(c, Child)]
    children += started  # stopped in ``finally``
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    prefix = f"r{number}-" if several else ""
    names = [f"{prefix}viewer-{i:03d}" for i in range(viewers)]
    return Stage(number, port, relay, started[0], started[1:], names)


async def _publish(stage: Stage) -> None:
    await stage.publisher.call("publish")
    began = time.perf_counter()
    while (await _ask_relay(stage.port, {"op": "stats"})).get("received", {}).get("video", 0) < FPS:
        if time.perf_counter() - began > 20:
            raise RuntimeError(f"relay {stage.number} received no video from its publisher in 20 s")
        await asyncio.sleep(0.2)


async def _connect_batch(
    stage: Stage, first: int, args: argparse.Namespace, decode: list[str]
) -> Counter[str]:
    """Subscribe the stage's viewers ``first`` .. ``first + --batch``, dealt round its
    processes."""
    batch = stage.names[first : first + args.batch]
    processes = len(stage.viewers)
    replies = await asyncio.gather(
        *(
            v.call(
                "connect",
                within=args.connect_timeout,
                names=[name for j, name in enumerate(batch, first) if j % processes == i],
                decode=decode,
                concurrency=args.concurrency,
                how=args.viewers,
                rcvbuf=args.viewer_rcvbuf * 1024,
            )
            for i, v in enumerate(stage.viewers)
        )
    )
    failures: Counter[str] = Counter()
    for reply in replies:
        failures.update(reply["failures"])
    return failures


async def run_step(
    n: int, args: argparse.Namespace, tmp: Path, out: Callable[[str], None]
) -> list[StepResult] | None:
    """One step of N viewers: one result per relay (one relay unless ``--relays``)."""
    children: list[Child] = []
    stages: list[Stage] = []
    results: list[StepResult] = []
    try:
        for number, viewers in enumerate(_viewer_shares(n, args.relays), start=1):
            stages.append(await _start_stage(number, n, viewers, args, tmp, children))
        for stage in stages:
            out(
                f"  pids: relay {stage.relay.pid}"
                + (f" (#{stage.number}, port {stage.port})" if args.relays > 1 else "")
                + f", publisher {stage.publisher.pid}, "
                f"subscribers {', '.join(str(v.pid) for v in stage.viewers)} "
                f"({len(stage.viewers)} processes)"
            )
        await asyncio.gather(*(_publish(stage) for stage in stages))

        # Connect in batches; the first viewer of the first stage decodes.
        everyone = [v for stage in stages for v in stage.viewers]
        decoder = stages[0].names[:1]
        began = time.perf_counter()
        failures: Counter[str] = Counter()
        for first in range(0, max(len(stage.names) for stage in stages), args.batch):
            for found in await asyncio.gather(
                *(
                    _connect_batch(stage, first, args, decoder)
                    for stage in stages
                    if first < len(stage.names)
                )
            ):
                failures.update(found)
            video, _ = await _receiving(everyone)
            connected = sum(min(len(stage.names), first + args.batch) for stage in stages)
            out(
                f"  connected {connected}/{n} "
                f"({video} receiving video) after {time.perf_counter() - began:.1f} s"
            )
        for reason, count in failures.most_common(5):
            out(f"    {count} x {reason}")

        # Warm-up: every subscriber has had its keyframe (and audio); then the burst settles.
        deadline = time.perf_counter() + args.warmup_timeout
        while True:
            video, both = await _receiving(everyone)
            if both >= n or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.5)
        connect_seconds = time.perf_counter() - began
        out(
            f"  {both}/{n} receiving video and audio {connect_seconds:.1f} s after the first "
            f"subscribe; settling {args.warmup:g} s, then measuring {args.seconds:g} s"
        )
        await asyncio.sleep(args.warmup)

        def snapshots() -> Any:
            return asyncio.gather(
                *(
                    _snapshot(stage.port, stage.relay.pid, stage.publisher, stage.viewers)
                    for stage in stages
                )
            )

        before = await snapshots()
        await asyncio.sleep(args.seconds)
        after = await snapshots()
        for stage, first_snapshot, last_snapshot in zip(stages, before, after, strict=True):
            receiving = (await _receiving(stage.viewers))[1]
            result = _measure(
                len(stage.names), first_snapshot, last_snapshot, receiving, connect_seconds
            )
            result.relay = stage.number
            results.append(result)
    finally:
        relays = [c for c in children if c.role.startswith("relay")]
        others = [c for c in children if not c.role.startswith("relay")]
        said = await asyncio.gather(*(c.stop() for c in reversed(others)), return_exceptions=True)
        relays_said = [await relay.stop() for relay in relays]
        stopped = [
            *zip(reversed(others), said, strict=True),
            *zip(relays, relays_said, strict=True),
        ]
        for child, words in stopped:
            if isinstance(words, dict) and "problem" in words:
                out(f"  {child.role} did not stop cleanly: {words['problem']}")
        left = [c.pid for c in children if c.proc.returncode is None]
        if left:
            out(f"  still running after teardown: {left}")
    if len(results) != len(stages) or not results:
        return None
    for stage, result in zip(stages, results, strict=True):
        result.relay_closed_in = relays_said[stage.number - 1].get("closed_in")
        for child in [stage.relay, stage.publisher, *stage.viewers]:
            problems = _log_problems(child.log)
            if problems:
                result.problems[child.role] = problems
    return results


# --- reporting -------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} ms"


def _describe(r: StepResult, out: Callable[[str], None]) -> None:
    c = r.cpu
    out(
        f"  N={r.n}{f' on relay {r.relay}' if r.relay > 1 or r.packets_in_per_second else ''}: "
        f"window {r.seconds:.1f} s; cpu (one core = 100%): relay {_pct(c['relay'])} "
        f"(event-loop thread {_pct(c['relay_loop'])}), publisher {_pct(c['publisher'])}, "
        f"subscribers {_pct(c['subscribers'])}, this program {_pct(c['bench'])}, "
        f"other {_pct(c['other'])}; machine {_pct(r.machine)} of {(os.cpu_count() or 1) * 100}%"
    )
    out(
        f"    publisher ({r.publisher_state}) sent {r.publisher_fps['video']:.1f} fps video at "
        f"{r.publisher_kbps:.0f} "
        f"kbps, {r.publisher_fps['audio']:.1f} fps audio; the relay received "
        f"{r.relay_fps['video']:.1f} / {r.relay_fps['audio']:.1f} fps"
    )
    out(
        f"    per subscriber: video {r.fps_mean['video']:.1f} fps mean, "
        f"{r.fps_min['video']:.1f} min; audio {r.fps_mean['audio']:.1f} mean, "
        f"{r.fps_min['audio']:.1f} min"
    )
    out(
        f"    delivered: video {r.share['video']:.1%}, audio {r.share['audio']:.1%}; the relay "
        f"skipped {r.relay_dropped['video']} video / {r.relay_dropped['audio']} audio frames "
        f"for subscribers waiting for a keyframe (in {r.subscriptions_with_drops} subscriptions)"
    )
    out(
        f"    keyframes in the window: {r.keyframe_requests} requests, {r.plis} PLIs to the "
        f"publisher, {r.forced_keyframes} forced at its encoder (whole step: "
        f"{r.step_keyframe_requests} requests, {r.step_plis} PLIs)"
    )
    out(
        f"    sample subscriber decoded {r.decoded} video frames {r.picture or '(none)'}, "
        f"{r.decode_errors} decode errors; first video frame not a keyframe: "
        f"{r.first_not_keyframe}; packets lost to lean subscribers {r.lost_packets}; "
        + (
            f"RTP packets/s to all subscribers {r.packets_per_second:.0f} "
            f"({r.cpu['relay'] / r.packets_per_second * 1e6:.0f} us of relay CPU each); "
            if r.packets_per_second
            else ""
        )
        + f"connections {r.states}"
    )
    if r.packets_out_per_second:
        out(
            f"    relay packets: {r.packets_in_per_second:.0f}/s in, "
            f"{r.packets_out_per_second:.0f}/s out "
            f"({c['relay'] / r.packets_out_per_second * 1e6:.0f} us of relay CPU per packet out)"
        )
    out(
        f"    kernel UDP drops (whole machine) {r.udp_drops}; worst loop lag: relay "
        f"{_ms(r.relay_lag_max)}, subscribers {_ms(r.viewers_lag_max)}; relay closed in "
        + ("-" if r.relay_closed_in is None else f"{r.relay_closed_in:.1f} s")
    )
    out(f"    limited by: {'; '.join(_limits(r)) or 'nothing seen'}")
    for role, problems in r.problems.items():
        for line in problems:
            out(f"    {role} log: {line}")


def _limits(r: StepResult) -> list[str]:
    """What the counters say held a step back."""
    seen = []
    upstream_loss = r.relay_fps["video"] < 0.97 * r.publisher_fps["video"]
    if upstream_loss:
        seen.append(
            f"the relay lost upstream packets ({r.relay_fps['video']:.1f} of "
            f"{r.publisher_fps['video']:.1f} fps arrived whole; its socket overflows while its "
            "event loop is behind)"
        )
    if r.cpu["relay"] >= 0.9:
        seen.append(f"the relay's event loop is saturated ({_pct(r.cpu['relay'])} of a core)")
    if sum(r.relay_dropped.values()):
        seen.append("subscribers missed frames at the relay (waiting for a keyframe)")
    drops = r.udp_drops.get("RcvbufErrors", 0)
    if drops and not upstream_loss:
        seen.append(
            f"the kernel dropped {drops} datagrams at full subscriber sockets (the load "
            "generator fell behind, not the relay)"
        )
    if r.lost_packets:
        seen.append(
            f"subscriber processes lost {r.lost_packets} packets (starved of CPU: the load "
            "generator, not the relay)"
        )
    if r.publisher_state != "connected":
        seen.append(
            f"the publisher's connection is {r.publisher_state}: its ICE consent checks (one "
            "STUN request every ~5 s, answered within 0.5 s) failed 6 times in a row because "
            f"the relay was that far behind, and nothing reconnects it (Relay.stats(): "
            f"{r.relay_room})"
        )
    closed = sum(n for state, n in r.states.items() if state != "connected")
    if closed:
        seen.append(f"{closed} subscriber connections are no longer connected ({r.states})")
    if r.machine >= 0.95 * (os.cpu_count() or 1):
        seen.append("the machine was saturated")
    return seen


TABLE_HEADER = (
    "| N | relay CPU | publisher CPU | subscribers CPU | machine busy | fps/subscriber "
    "mean (min) | video delivered | audio delivered | keyframe requests / PLIs | decode errors |"
)


def _table_row(r: StepResult) -> str:
    c = r.cpu
    return (
        f"| {r.n} | {_pct(c['relay'])} | {_pct(c['publisher'])} | {_pct(c['subscribers'])} | "
        f"{_pct(r.machine)} | {r.fps_mean['video']:.1f} ({r.fps_min['video']:.1f}) | "
        f"{r.share['video']:.1%} | {r.share['audio']:.1%} | "
        f"{r.keyframe_requests} / {r.plis} | {r.decode_errors} |"
    )


RELAYS_HEADER = (
    "| viewers | relay | its viewers | relay CPU | packets in/s | packets out/s | "
    "µs relay CPU per packet out | video delivered | audio delivered | fps per viewer (min) |"
)


def _relays_summary(results: list[StepResult], out: Callable[[str], None]) -> None:
    """Per relay of each step, and the step's total: what N relays carry side by side."""
    out("")
    out(RELAYS_HEADER)
    out("|---|---|---|---|---|---|---|---|---|---|")
    by_step: list[list[StepResult]] = []
    for r in results:
        if r.relay == 1:
            by_step.append([])
        by_step[-1].append(r)
    for step in by_step:
        total = sum(r.n for r in step)
        for r in step:
            per_packet = (
                r.cpu["relay"] / r.packets_out_per_second * 1e6 if r.packets_out_per_second else 0
            )
            out(
                f"| {total} | {r.relay} | {r.n} | {_pct(r.cpu['relay'])} | "
                f"{r.packets_in_per_second:.0f} | {r.packets_out_per_second:.0f} | "
                f"{per_packet:.0f} | {r.share['video']:.1%} | {r.share['audio']:.1%} | "
                f"{r.fps_mean['video']:.1f} ({r.fps_min['video']:.1f}) |"
            )
        video = sum(r.share["video"] * r.n for r in step) / max(total, 1)
        audio = sum(r.share["audio"] * r.n for r in step) / max(total, 1)
        out(
            f"| {total} | all | {total} | {_pct(sum(r.cpu['relay'] for r in step))} | "
            f"{sum(r.packets_in_per_second for r in step):.0f} | "
            f"{sum(r.packets_out_per_second for r in step):.0f} | | {video:.1%} | {audio:.1%} | "
            f"machine {_pct(step[0].machine)} |"
        )
    out("")
    out(
        "Each relay has a publisher of its own (a copy of the stage) and its share of the "
        "viewers; CPU: share of one core in the window; packets from signaling.traffic."
    )


def _summary(results: list[StepResult], out: Callable[[str], None]) -> None:
    if any(r.relay > 1 for r in results):
        _relays_summary(results, out)
        return
    out("")
    out(TABLE_HEADER)
    out("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        out(_table_row(r))
    out("")
    out(
        "CPU: share of one core in the window (the machine has "
        f"{os.cpu_count()}); keyframe requests / PLIs: in the window, from relay.stats(); "
        "decode errors: the decoding subscriber's, over the whole step."
    )
    at_target = next((r for r in results if r.n == TARGET_N), None)
    if at_target is None:
        out(f"target ({TARGET_SHARE:.0%} of frames delivered at N = {TARGET_N}): not measured")
        return
    met = at_target.share["video"] >= TARGET_SHARE and at_target.share["audio"] >= TARGET_SHARE
    out(
        f"target: >= {TARGET_SHARE:.0%} of frames delivered to {TARGET_N} subscribers - "
        + ("MET" if met else "NOT MET")
        + f" (video {at_target.share['video']:.1%}, audio {at_target.share['audio']:.1%}, "
        f"relay {_pct(at_target.cpu['relay'])} of a core, machine {_pct(at_target.machine)})"
    )
    held = [r.n for r in results if min(r.share.values()) >= TARGET_SHARE]
    if held:
        out(f"largest N with >= {TARGET_SHARE:.0%} delivered: {max(held)}")


# --- the program -----------------------------------------------------------------------------


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds asyncio.run and every ``finally`` like Ctrl-C would


LOCK_FILE = Path(tempfile.gettempdir()) / "tupa-stage-relay.lock"


def _one_run_at_a_time(out: Callable[[str], None]) -> Any:
    """Two runs at once would measure each other."""
    handle = LOCK_FILE.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        out("another stage_relay run is going on on this machine; waiting for it ...")
        fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _reap_leftovers() -> None:
    """Last resort: kill any child of ours still alive (PR_SET_PDEATHSIG covers our death)."""
    for pid in STARTED:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z":
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


async def _run_steps(
    args: argparse.Namespace,
    tmp: Path,
    out: Callable[[str], None],
    started: float,
    results: list[StepResult],
) -> None:
    per_subscriber = 0.5  # seconds to connect one, until a step has measured it
    for n in args.steps:
        left = args.max_seconds - (time.monotonic() - started)
        needed = per_subscriber * n * 1.5 + args.warmup + args.seconds + 30
        if needed > left:
            out(f"N={n}: skipped - about {needed:.0f} s needed, {left:.0f} s left of --max-seconds")
            break
        out(f"N={n}:")
        machine.wait_for_quiet(args.quiet_wait, out, "the step")
        try:
            step = await asyncio.wait_for(run_step(n, args, tmp, out), args.step_timeout)
        except TimeoutError:
            out(f"  N={n} failed: longer than --step-timeout={args.step_timeout:g} s")
            break
        except (RuntimeError, OSError) as exc:
            out(f"  N={n} failed: {type(exc).__name__}: {exc}")
            break
        if step is None:
            break
        results += step
        for result in step:
            _describe(result, out)
        result = min(step, key=lambda r: r.share["video"])
        per_subscriber = max(per_subscriber * 0.5, result.connect_seconds / n)
        if result.share["video"] < GIVE_UP_SHARE:
            c = result.cpu
            out(
                f"  stopping: only {result.share['video']:.0%} of video frames delivered at "
                f"N={n} (relay {_pct(c['relay'])}, subscribers {_pct(c['subscribers'])}, "
                f"machine {_pct(result.machine)} of {(os.cpu_count() or 1) * 100}%); "
                "larger steps would only fail harder"
            )
            break


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--subscribers", default="10,25,50,100,200", help="the steps, in order")
    p.add_argument("--only", type=int, metavar="N", help="one step of N subscribers")
    p.add_argument("--seconds", type=float, default=15.0, help="measured window per step")
    p.add_argument(
        "--warmup",
        type=float,
        default=3.0,
        help="seconds to settle after every subscriber has had a keyframe, before the window",
    )
    p.add_argument("--warmup-timeout", type=float, default=30.0)
    p.add_argument("--batch", type=int, default=25, help="subscribers connected per batch")
    p.add_argument(
        "--concurrency", type=int, default=8, help="negotiations at once per subscriber process"
    )
    p.add_argument("--per-process", type=int, default=50, help="subscribers per process")
    p.add_argument(
        "--video-kbps",
        type=int,
        help="cap the publisher's VP8 bitrate (default: aiortc's, which follows the relay's "
        "REMB up to 1500 kbps; a browser allows 640x360 up to 1700)",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=10,
        help="lower the subscriber processes' priority by this much, so that they take what the "
        "relay and the publisher leave (in production they are browsers elsewhere); 0: equal",
    )
    p.add_argument(
        "--viewers",
        choices=["lean", "aiortc"],
        default="lean",
        help="how subscribers other than the first count frames: straight from the decrypted "
        "RTP (lean) or through aiortc's receivers made to yield encoded frames (aiortc)",
    )
    p.add_argument(
        "--viewer-rcvbuf",
        type=int,
        default=1024,
        metavar="KIB",
        help="each subscriber socket's receive buffer, so that a viewer process starved of CPU "
        "while the relay sends a burst does not drop it (0: the system default)",
    )
    p.add_argument("--connect-timeout", type=float, default=120.0, help="per batch")
    p.add_argument("--step-timeout", type=float, default=300.0, help="hard limit per step")
    p.add_argument("--max-seconds", type=int, default=720, help="hard stop for the whole run")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=30.0,
        help="wait up to this long for other work on the machine to stop before each step",
    )
    p.add_argument(
        "--relay-loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="event loop of the relay process",
    )
    p.add_argument(
        "--client-loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="event loop of the publisher and subscriber processes",
    )
    p.add_argument(
        "--relays",
        type=int,
        default=1,
        help="relay processes, each with a publisher of its own (a copy of the stage) and its "
        "share of the N viewers: the relays' parallel capacity",
    )
    p.add_argument(
        "--relay-cpus",
        metavar="CPUS/CPUS",
        help="pin each relay to cores, as taskset -c takes them, one list per relay separated "
        "by / (0/1: relay 1 on core 0, relay 2 on core 1)",
    )
    p.add_argument("--loop", choices=["asyncio", "uvloop"], help=argparse.SUPPRESS)
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    p.add_argument("--serve-relay", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--serve-publisher", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--serve-subscribers", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.steps = [args.only] if args.only else [int(n) for n in args.subscribers.split(",")]
    if any(n < 1 for n in args.steps):
        p.error("subscriber counts must be positive")
    if args.relays < 1 or any(n < args.relays for n in args.steps):
        p.error("--relays must be at least 1 and at most the smallest N")
    if args.relay_cpus:
        try:
            args.relay_cpus = [machine.parse_cpus(part) for part in args.relay_cpus.split("/")]
        except ValueError as error:
            p.error(str(error))
        if len(args.relay_cpus) != args.relays:
            p.error("--relay-cpus needs one list per relay")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    for serve, port in (
        (_serve_relay, args.serve_relay),
        (lambda port: _serve_publisher(port, args.video_kbps), args.serve_publisher),
        (_serve_subscribers, args.serve_subscribers),
    ):
        if port:
            machine.run(serve(port), args.loop or "asyncio")
            return 0

    def out(line: str) -> None:
        print(line, flush=True)

    import aiortc
    import av

    lock = _one_run_at_a_time(out)
    started = time.monotonic()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_alarm)
    signal.alarm(args.max_seconds)
    tmp = Path(tempfile.mkdtemp(prefix="tupa-stage-relay-"))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    out(
        f"stage relay: one publisher ({WIDTH}x{HEIGHT} {FPS} fps VP8 + Opus 20 ms) -> "
        f"signaling.Relay -> N subscribers, N = {', '.join(map(str, args.steps))}; "
        f"window {args.seconds:g} s after {args.warmup:g} s settling"
    )
    if args.relays > 1:
        out(
            f"{args.relays} relays, each with a publisher of its own and its share of the N "
            "subscribers; relays "
            + (
                ", ".join(machine.cpus_text(c) for c in args.relay_cpus)
                if args.relay_cpus
                else "not pinned"
            )
        )
    out("load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3]))
    out(
        f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"aiortc {aiortc.__version__}, PyAV {av.__version__}; event loops: relay "
        f"{args.relay_loop}, clients {args.client_loop}; relay, "
        "publisher and subscriber processes share these cores"
    )
    out(
        f"subscribers: {args.per_process} a process at nice +{args.nice}, counting frames "
        + ("straight from the decrypted RTP" if args.viewers == "lean" else "through aiortc")
        + "; subscriber 0 decodes everything; socket receive buffers "
        + (f"{args.viewer_rcvbuf} KiB" if args.viewer_rcvbuf else "the system default")
    )
    results: list[StepResult] = []
    try:
        machine.run(_run_steps(args, tmp, out, started, results), "asyncio")
    except KeyboardInterrupt:
        out(f"stopped early (interrupted, or longer than --max-seconds={args.max_seconds})")
    finally:
        signal.alarm(0)
        _reap_leftovers()
        if args.keep:
            out(f"kept {tmp}")
        else:
            for log in tmp.iterdir():
                log.unlink()
            tmp.rmdir()
        lock.close()
    _summary(results, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
