"""Chat fan-out benchmark: the real Tupa server against a bare ``websockets`` broadcast server.

    .venv/bin/python bench/chat_fanout.py                       # 200 rooms x 10 people x 1 msg/s
    .venv/bin/python bench/chat_fanout.py --rooms 10 --people 5 --seconds 5
    .venv/bin/python bench/chat_fanout.py --saturate            # 0.25 ... 4 msg/s per person
    .venv/bin/python bench/chat_fanout.py --database postgresql
    .venv/bin/python bench/chat_fanout.py --only tupa --probe   # + commit, GC and loop-lag timings

Both servers run as subprocesses on 127.0.0.1, one after the other; one load process (this one,
a single asyncio loop) opens rooms x people WebSockets and has every person send ``--rate``
messages a second to their room. Every message goes to every member of the room, the sender
included, so the offered load is rooms x people x rate x people deliveries a second. The send
time (``time.perf_counter`` of this process) travels in the message text; a receiver's latency is
the time it reads the frame minus that. Only messages sent inside the measured window (after
``--warmup``) count; a grace period after the window lets stragglers arrive.

The load side speaks WebSocket itself (a minimal RFC 6455 client on ``asyncio.Protocol``) so that
reading 20,000+ frames a second costs as little CPU as possible on a small machine; it is the
same client for both servers.

Not a test: it prints measurements. Everything stops by itself (``--max-seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import fcntl
import hashlib
import heapq
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import machine  # bench/machine.py, beside this script

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SATURATION_RATES = "0.25,0.5,0.75,1,1.5,2,3,4"
PASS_FRACTION = 0.99  # a saturation step "holds" while at least this share is delivered
# Message texts carry their send time and sender with digits written as letters: most chat lines
# have no digits, and a line of them is checked as a possible phone number (6 % of such lines
# looked like one and were held for approval; server.rooms.identifying), which real chat is not.
_TO_LETTERS = str.maketrans("0123456789", "abcdefghij")
_FROM_LETTERS = bytes.maketrans(b"abcdefghij", b"0123456789")


def _letters(number: str) -> str:
    return number.translate(_TO_LETTERS)


def _sent_at(written: bytes) -> float:
    return float(written.translate(_FROM_LETTERS))


try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the pure-Python fallback
    from websockets.utils import apply_mask


# --- the baseline: a bare websockets broadcast server ---------------------------------------


async def _baseline_server(port: int) -> None:
    """Rooms by URL path; each ``send`` becomes one ``message`` frame serialised once and
    broadcast to everyone in the room (the sender included), plus an ``ack``. No storage."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve
    from websockets.exceptions import ConnectionClosed

    rooms: dict[str, set[ServerConnection]] = defaultdict(set)
    seqs: Counter[str] = Counter()
    peers = iter(range(1, 1 << 62))

    async def handler(ws: ServerConnection) -> None:
        room = ws.request.path.split("?", 1)[0] if ws.request else "/"
        try:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except (TimeoutError, ConnectionClosed, ValueError):
            return
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await ws.close(4000)
            return
        peer = f"p{next(peers)}"
        you = {"peer": peer, "name": peer, "role": "parent"}
        members = rooms[room]
        members.add(ws)
        try:
            await ws.send(
                json.dumps(
                    {
                        "type": "welcome",
                        "you": {**you, "moderator": False},
                        "events": [],
                        "seq": seqs[room],
                    }
                )
            )
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "send":
                    seqs[room] += 1
                    seq = seqs[room]
                    message = {
                        "type": "message",
                        "seq": seq,
                        **you,
                        "text": frame["text"],
                        "at": datetime.now(UTC).isoformat(),
                    }
                    broadcast(members, json.dumps(message, ensure_ascii=False))
                    await ws.send(json.dumps({"type": "ack", "cid": frame["cid"], "seq": seq}))
                elif kind == "ping":
                    await ws.send('{"type": "pong"}')
        except ConnectionClosed:
            pass
        finally:
            members.discard(ws)

    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with serve(handler, HOST, port, max_size=8192, compression=None, backlog=4096):
        print(f"baseline listening on {HOST}:{port}", flush=True)
        await stop


# --- the load side: a lean WebSocket client ------------------------------------------------


def _masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame (clients must mask)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = random.randbytes(4)
    return header + mask + apply_mask(payload, mask)


@dataclass
class Step:
    """What one measured window saw."""

    rate: float
    start: float  # perf_counter of the window's start (messages sent from here count)
    end: float
    tag: str  # prefix of the cids of messages sent in the window, to count their acks
    sent: int = 0
    expected: int = 0
    delivered: int = 0
    acks: int = 0
    latencies: array = field(default_factory=lambda: array("d"))
    send_lag: array = field(default_factory=lambda: array("d"))
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)


class Client(asyncio.Protocol):
    """One participant's socket: handshake, hello, then counting ``message`` frames."""

    def __init__(self, driver: Driver, room: int, sid: int, path: str, port: int) -> None:
        self.driver = driver
        self.room = room
        self.sid = sid
        self.path = path
        self.port = port
        self.buf = bytearray()
        self.fragments: bytearray | None = None
        self.upgraded = False
        self.ready = False
        self.n = 0
        self.close_code: int | None = None
        self.transport: asyncio.Transport | None = None
        self.welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.welcomed.add_done_callback(lambda f: f.cancelled() or f.exception())

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        key = base64.b64encode(random.randbytes(16)).decode()
        path, _, cookie = self.path.partition("#")  # a parent's device cookie rides after "#"
        cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
        transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n{cookie_line}"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.ready:
            self.driver.room_ready[self.room] -= 1
        self.ready = False
        step = self.driver.step
        if step is not None:
            step.closes[self.close_code or 1006] += 1
        if not self.welcomed.done():
            self.welcomed.set_exception(
                ConnectionError(f"closed before welcome (code {self.close_code or 1006})")
            )

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.welcomed.set_exception(ConnectionError(status.decode(errors="replace")))
                self.abort()
                return
            self.upgraded = True
            self.send_text('{"type": "hello", "v": 1}')
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            mask = b""
            if b1 & 0x80:  # servers do not mask, but be lenient
                if size - pos < head + 4:
                    break
                mask = bytes(buf[pos + head : pos + head + 4])
                head += 4
            if size - pos < head + length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            if mask:
                payload = apply_mask(payload, mask)
            pos += head + length
            self._frame(b0 & 0x80, b0 & 0x0F, payload)
        if pos:
            del buf[:pos]

    # frames
    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode in (0x1, 0x2, 0x0):
            if opcode == 0x0:
                if self.fragments is None:
                    return
                self.fragments += payload
                if not fin:
                    return
                payload, self.fragments = bytes(self.fragments), None
            elif not fin:
                self.fragments = bytearray(payload)
                return
            self._message(payload)
        elif opcode == 0x9:  # ping
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(_masked_frame(0xA, payload))
        elif opcode == 0x8:  # close
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(_masked_frame(0x8, payload[:2]))
                self.transport.close()

    def _message(self, payload: bytes) -> None:
        # Fast path for chat frames (both servers serialise "type" first with json.dumps'
        # default separators): find our send time without parsing the whole frame.
        if payload.startswith(b'{"type": "message"'):
            at = payload.find(b'"text": "t=')
            if at >= 0:
                step = self.driver.step
                if step is not None:
                    sent_at = _sent_at(payload[at + 11 : payload.index(b";", at)])
                    if step.start <= sent_at < step.end:
                        step.delivered += 1
                        step.latencies.append(time.perf_counter() - sent_at)
                return
        frame = json.loads(payload)
        kind = frame.get("type")
        step = self.driver.step
        if kind == "message":
            if step is None:
                return
            text = frame.get("text", "")
            if text.startswith("t="):
                sent_at = _sent_at(text[2 : text.index(";")].encode())
                if step.start <= sent_at < step.end:
                    step.delivered += 1
                    step.latencies.append(time.perf_counter() - sent_at)
        elif kind == "ack":
            if step is not None and str(frame.get("cid")).startswith(step.tag):
                step.acks += 1
        elif kind == "welcome":
            if not self.ready:
                self.ready = True
                self.driver.room_ready[self.room] += 1
            if not self.welcomed.done():
                self.welcomed.set_result(None)
        elif kind == "error":
            if step is not None:
                step.errors[str(frame.get("code"))] += 1
        elif kind in ("lobby", "waiting") and not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError(f"got {kind!r} instead of welcome"))

    # sending
    def send_text(self, text: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_masked_frame(0x1, text.encode()))

    def say(self, step: Step, now: float) -> None:
        self.n += 1
        counted = step.start <= now < step.end
        cid = f"{step.tag if counted else 'c'}{self.sid}n{self.n}"
        self.send_text(
            f'{{"type": "send", "cid": "{cid}", '
            f'"text": "t={_letters(f"{now:.7f}")};s={_letters(str(self.sid))};'
            f'n={_letters(str(self.n))}"}}'
        )
        if counted:
            step.sent += 1
            step.expected += self.driver.room_ready[self.room]

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_masked_frame(0x8, (1000).to_bytes(2, "big")))
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


# --- CPU accounting --------------------------------------------------------------------------


def _all_cpu() -> dict[int, tuple[str, float]]:
    """Every process's name and CPU seconds so far."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                out[int(entry.name)] = (
                    (entry / "comm").read_text().strip(),
                    machine.proc_cpu(int(entry.name)),
                )
    return out


@dataclass
class CpuSnapshot:
    wall: float
    load: float
    server: float
    server_main: float  # the server's main thread (the event loop)
    procs: dict[int, tuple[str, float]]
    system: tuple[float, float]

    @classmethod
    def take(cls, server_pids: list[int]) -> CpuSnapshot:
        return cls(
            time.perf_counter(),
            time.process_time(),
            sum(machine.proc_cpu(pid) for pid in server_pids),
            sum(machine.proc_cpu(pid, pid) for pid in server_pids),
            _all_cpu(),
            machine.system_cpu(),
        )


def _cpu_shares(
    a: CpuSnapshot, b: CpuSnapshot, server_pids: list[int], with_db: bool
) -> tuple[dict[str, float | None], list[str]]:
    """Shares of a core used in the window, and the biggest other consumers."""
    wall = b.wall - a.wall
    busy = (b.system[0] - a.system[0]) / max(b.system[1] - a.system[1], 1)
    used = {  # processes started during the window count from zero
        pid: (name, (cpu - a.procs.get(pid, (name, 0.0))[1]) / wall)
        for pid, (name, cpu) in b.procs.items()
        if pid != os.getpid() and pid not in server_pids
    }
    db = sum(share for name, share in used.values() if name == "postgres") if with_db else None
    load = (b.load - a.load) / wall
    server = (b.server - a.server) / wall
    system = busy * (os.cpu_count() or 1)
    by_name: Counter[str] = Counter()
    for name, share in used.values():
        if not (with_db and name == "postgres"):
            by_name[name] += share
    culprits = [f"{name} {share:.0%}" for name, share in by_name.most_common(4) if share >= 0.05]
    shares: dict[str, float | None] = {
        "load": load,
        "server": server,
        "loop": (b.server_main - a.server_main) / wall,
        "db": db,
        "system": system,
        "other": max(0.0, system - load - server - (db or 0.0)),
    }
    return shares, culprits


async def _quiet_between_steps(
    limit: float, server_pids: list[int], out: Callable[[str], None], threshold: float = 0.2
) -> None:
    """Before a step: wait (up to ``limit`` s) while other programs use more than ``threshold``
    of a core, not counting this process and the server under test."""
    mine = {os.getpid(), *server_pids}
    deadline = time.monotonic() + limit
    waited = False
    while True:
        a, began = _all_cpu(), time.perf_counter()
        await asyncio.sleep(1.0)
        b, wall = _all_cpu(), time.perf_counter() - began
        busy = (
            sum(
                cpu - a.get(pid, (name, 0.0))[1]
                for pid, (name, cpu) in b.items()
                if pid not in mine
            )
            / wall
        )
        if busy <= threshold or time.monotonic() > deadline:
            break
        if not waited:
            out(f"    waiting for other work ({busy:.0%} of a core) to stop before the next step")
            waited = True
    if busy > threshold:
        out(f"    other work still at {busy:.0%} of a core; going on")


# --- driving one server ----------------------------------------------------------------------


@dataclass
class StepResult:
    server: str
    rate: float
    seconds: float
    people: int
    sent: int
    expected: int
    delivered: int
    acks: int
    p50: float | None
    p99: float | None
    max: float | None
    lag_p99: float | None
    errors: dict[str, int]
    closes: dict[int, int]
    cpu: dict[str, float | None]
    culprits: list[str]

    @property
    def delivered_share(self) -> float:
        return self.delivered / self.expected if self.expected else 0.0

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds

    def holds(self, p99_limit: float) -> bool:
        """Sustained: nearly everything delivered, and no backlog building up (p99 bounded)."""
        if self.expected == 0 or self.delivered_share < PASS_FRACTION:
            return False
        return not p99_limit or (self.p99 is not None and self.p99 <= p99_limit)


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


class Driver:
    def __init__(
        self,
        name: str,
        ports: list[int],
        rooms: list[list[str]],
        server_pids: list[int],
        with_db: bool,
        sticky: bool = False,
    ) -> None:
        self.name = name
        # Several instances: participants are dealt round the ports, or whole rooms (sticky).
        self.ports = ports
        self.sticky = sticky
        self.rooms = rooms  # per room, one path per participant
        self.server_pids = server_pids
        self.with_db = with_db
        self.clients: list[Client] = []
        self.room_ready: list[int] = [0] * len(rooms)
        self.step: Step | None = None
        self.steps = 0

    async def connect(self, concurrency: int, limit: float) -> tuple[int, Counter[str], float]:
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency)
        failures: Counter[str] = Counter()
        began = time.perf_counter()
        deadline = began + limit

        async def one(room: int, sid: int, path: str) -> None:
            async with gate:
                left = deadline - time.perf_counter()
                if left <= 0:
                    failures["connect phase timed out"] += 1
                    return
                try:
                    port = self.ports[(room if self.sticky else sid) % len(self.ports)]
                    _, client = await asyncio.wait_for(
                        loop.create_connection(
                            lambda: Client(self, room, sid, path, port), HOST, port
                        ),
                        left,
                    )
                    self.clients.append(client)
                    await asyncio.wait_for(asyncio.shield(client.welcomed), min(left, 30))
                except (OSError, ConnectionError, TimeoutError) as exc:
                    failures[f"{type(exc).__name__}: {exc}"[:120]] += 1

        jobs = []
        sid = 0
        for member in range(max(len(paths) for paths in self.rooms)):
            for room, paths in enumerate(self.rooms):  # interleave rooms: a realistic arrival
                if member < len(paths):
                    sid += 1
                    jobs.append(one(room, sid, paths[member]))
        await asyncio.gather(*jobs)
        ready = sum(1 for c in self.clients if c.ready)
        return ready, failures, time.perf_counter() - began

    async def _pace(self, step: Step, begin: float) -> None:
        """Every participant sends ``rate`` messages a second from a random phase until the
        window ends; late sends catch up so the offered load stays what was asked."""
        period = 1.0 / step.rate
        heap = [(begin + random.random() * period, i) for i in range(len(self.clients))]
        heapq.heapify(heap)
        clients = self.clients
        while heap:
            now = time.perf_counter()
            while heap and heap[0][0] <= now:
                due, i = heapq.heappop(heap)
                if due >= step.end:
                    continue
                client = clients[i]
                if client.ready:
                    now = time.perf_counter()
                    client.say(step, now)
                    if step.start <= now < step.end:
                        step.send_lag.append(now - due)
                heapq.heappush(heap, (due + period, i))
            if heap and heap[0][0] >= step.end:
                break  # nobody is due again before the window ends
            if heap:
                await asyncio.sleep(max(0.0, heap[0][0] - time.perf_counter()))

    async def run_step(
        self, rate: float, warmup: float, seconds: float, grace: float
    ) -> StepResult:
        begin = time.perf_counter() + 0.1
        self.steps += 1
        step = Step(rate, begin + warmup, begin + warmup + seconds, f"w{self.steps}x")
        self.step = step
        pace = asyncio.create_task(self._pace(step, begin))
        await asyncio.sleep(max(0.0, step.start - time.perf_counter()))
        before = CpuSnapshot.take(self.server_pids)
        await asyncio.sleep(max(0.0, step.end - time.perf_counter()))
        after = CpuSnapshot.take(self.server_pids)
        cpu, culprits = _cpu_shares(before, after, self.server_pids, self.with_db)
        await pace
        await asyncio.sleep(grace)
        self.step = None
        latencies = sorted(step.latencies)
        lags = sorted(step.send_lag)
        people = max(len(paths) for paths in self.rooms)
        return StepResult(
            self.name,
            rate,
            seconds,
            people,
            step.sent,
            step.expected,
            step.delivered,
            step.acks,
            _quantile(latencies, 0.5),
            _quantile(latencies, 0.99),
            latencies[-1] if latencies else None,
            _quantile(lags, 0.99),
            dict(step.errors),
            dict(step.closes),
            cpu,
            culprits,
        )

    async def close(self) -> None:
        for client in self.clients:
            client.close()
        await asyncio.sleep(0.5)
        for client in self.clients:
            client.abort()


async def _drive(
    driver: Driver, args: argparse.Namespace, rates: list[float], out: Callable[[str], None]
) -> list[StepResult]:
    ready, failures, took = await driver.connect(args.connect_concurrency, args.connect_timeout)
    total = sum(len(p) for p in driver.rooms)
    out(f"  {driver.name}: {ready}/{total} connections welcomed in {took:.1f} s")
    for reason, count in failures.most_common(5):
        out(f"    {count} x {reason}")
    results: list[StepResult] = []
    try:
        if ready == 0:
            return results
        for rate in rates:
            await _quiet_between_steps(args.quiet_wait, driver.server_pids, out)
            began = time.time()
            result = await driver.run_step(rate, args.warmup, args.seconds, args.grace)
            results.append(result)
            out(f"  {_row(result)}")
            if args.probe:
                start = began + 0.1 + args.warmup
                out(f"    window t={start:.1f}..{start + args.seconds:.1f}")
            if result.culprits:
                out(f"    other CPU in the window: {', '.join(result.culprits)}")
            if args.saturate and not result.holds(args.saturation_p99_ms / 1000):
                break  # past saturation: later steps would start behind
            if args.saturate:
                await asyncio.sleep(args.grace)
    finally:
        await driver.close()
    return results


# --- servers as subprocesses -----------------------------------------------------------------


def _start(
    cmd: list[str],
    env: dict[str, str],
    log: Path,
    port: int,
    cwd: Path,
    cpus: set[int] | None = None,
    timeout: float = 90,
) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            cmd,
            env=env,
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=machine.child_setup(cpus),  # pinned as `taskset -c` would
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{cmd[1:3]} exited with {proc.returncode}:\n{machine.tail(log, 30)}"
            )
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return proc
        time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(
        f"{cmd[1:3]} did not listen on {port} within {timeout} s:\n{machine.tail(log, 30)}"
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def run_baseline(
    args: argparse.Namespace, tmp: Path, out: Callable[[str], None]
) -> list[StepResult]:
    port = machine.free_port(HOST)
    loop = args.baseline_loop
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve-baseline",
        str(port),
        "--baseline-loop",
        loop,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    proc = _start(cmd, env, tmp / "baseline.log", port, tmp, args.server_cpus)
    out(
        f"  baseline server pid {proc.pid} on port {port} ({loop} loop, "
        f"{machine.cpus_text(args.server_cpus)})"
    )
    try:
        rooms = [
            [f"/ws/rooms/{r + 1}?link=x" for _ in range(args.people)] for r in range(args.rooms)
        ]
        driver = Driver("baseline", [port], rooms, [proc.pid], with_db=False)
        return machine.run(_drive(driver, args, _rates(args), out), args.load_loop)
    finally:
        _stop(proc)


# --- Tupa: seeding and serving ---------------------------------------------------------------


async def _create_postgres_database(admin_url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from server.storage.db import create_engine

    name = f"tupa_bench_{random.randbytes(4).hex()}"
    admin = create_engine(admin_url)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(admin_url: str, url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from server.storage.db import create_engine

    admin = create_engine(admin_url)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
            )
    finally:
        await admin.dispose()


async def _seed(url: str, public_url: str, rooms: int, people: int) -> list[list[str]]:
    """Series of up to ten sessions, ``people`` parents enrolled in each, every session's room
    open without a lobby. Returns, per room, the WebSocket path of each participant, with the
    device cookie their personal link was swapped for after a "#" (as a browser that opened the
    link would send it; server.enrolment.devices)."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from server.enrolment.devices import COOKIE, open_link
    from server.enrolment.service import EnrolmentRequest, enrol
    from server.organisation import Organisation
    from server.storage.db import Database
    from server.storage.tables import RoomRow, SessionRow
    from tests.factories import a_series

    org = Organisation("Tupa bench", ZoneInfo("Europe/Helsinki"), public_url)
    now = datetime.now(UTC)
    database = Database(url)
    paths: list[list[str]] = []
    try:
        left = rooms
        number = 0
        while left > 0:
            number += 1
            count = min(10, left)
            left -= count
            async with database.unit_of_work() as db:
                series = await a_series(
                    db,
                    org,
                    now,
                    title=f"Kuormatesti {number}",
                    session_count=count,
                    capacity=max(people, 2),
                    min_size=1,
                    questions=[],
                    enrolment_deadline=now + timedelta(days=5),
                )
                series_id = series.id
            tokens = []
            async with database.unit_of_work() as db:
                for i in range(people):
                    new = await enrol(
                        db, org, series_id, EnrolmentRequest(f"Vanhempi {i + 1:03d}"), now
                    )
                    assert new.waitlist_position is None
                    _, device = await open_link(db, new.token, None, now, timedelta(days=1))
                    assert device is not None
                    tokens.append(device)
            async with database.unit_of_work() as db:
                sessions = list(
                    await db.scalars(
                        select(SessionRow.id)
                        .where(SessionRow.series_id == series_id)
                        .order_by(SessionRow.starts_at)
                    )
                )
                for session_id in sessions:
                    db.add(RoomRow(session_id=session_id, status="open", lobby=False))
                    paths.append([f"/me/rooms/{session_id}/socket#{COOKIE}={t}" for t in tokens])
    finally:
        await database.dispose()
    return paths


def run_tupa(args: argparse.Namespace, tmp: Path, out: Callable[[str], None]) -> list[StepResult]:
    from server.storage.migrate import upgrade

    port = machine.free_port(HOST)
    public_url = f"http://{HOST}:{port}"
    scratch = None
    if args.database == "postgresql":
        scratch = asyncio.run(_create_postgres_database(args.postgres_url))
        url = scratch
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'tupa.db'}"
    try:
        began = time.perf_counter()
        upgrade(url)  # blocking; outside any event loop
        paths = asyncio.run(_seed(url, public_url, args.rooms, args.people))
        out(
            f"  tupa: migrated and seeded {len(paths)} rooms in "
            f"{time.perf_counter() - began:.1f} s ({args.database})"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
        env.update(
            TUPA_DATABASE_URL=url,
            TUPA_SECRET_KEY="bench",  # noqa: S106 - a throwaway server
            TUPA_PUBLIC_URL=public_url,
            TUPA_DATA_DIR=str(tmp / "var"),
            PYTHONPATH=str(REPO),
        )
        if args.probe:  # bench/probe/sitecustomize.py times commits, GC and loop lag
            env["PYTHONPATH"] = f"{REPO / 'bench' / 'probe'}{os.pathsep}{REPO}"
            env["BENCH_PROBE_GC"] = args.probe_gc
        if args.instances > 1:  # instances share the database and Redis
            env["TUPA_REDIS_URL"] = args.redis_url
        ports = [port] + [machine.free_port(HOST) for _ in range(args.instances - 1)]
        code = _code_state()  # read as the server starts: the code may be edited meanwhile
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for number, instance_port in enumerate(ports, start=1):
                cmd = [sys.executable, "-m", "server.cli", "serve", "--port", str(instance_port)]
                if args.profile_tupa and number == 1:  # cProfile of the first instance
                    cmd[1:1] = ["-m", "cProfile", "-o", str(Path(args.profile_tupa).resolve())]
                log = tmp / f"tupa-{number}.log"
                procs.append(_start(cmd, env, log, instance_port, tmp, args.server_cpus))
                out(
                    f"  tupa server pid {procs[-1].pid} on port {instance_port} "
                    f"({machine.cpus_text(args.server_cpus)}, log {log})"
                )
            out(f"  tupa code: {code}")
            driver = Driver(
                "tupa",
                ports,
                paths,
                [p.pid for p in procs],
                with_db=scratch is not None,
                sticky=args.sticky,
            )
            return machine.run(_drive(driver, args, _rates(args), out), args.load_loop)
        finally:
            for proc in procs:
                _stop(proc)
            if args.probe:
                out("  probe (server side, every 5 s; t = unix time):")
                for number in range(1, len(procs) + 1):
                    log_text = (tmp / f"tupa-{number}.log").read_text(errors="replace")
                    for line in log_text.splitlines():
                        if line.startswith("probe"):
                            out(f"    [{number}] {line}")
    finally:
        if scratch is not None:
            asyncio.run(_drop_postgres_database(args.postgres_url, scratch))


# --- reporting -------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


HEADER = (
    f"{'server':<9}{'msg/s/p':>8}{'sent':>9}{'delivered':>11}{'expected':>11}{'deliv%':>9}"
    f"{'deliv/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'lag99':>7}"
    f"{'cpu load':>9}{'server':>8}{'(loop)':>7}{'db':>6}{'other':>6}  problems"
)


def _row(r: StepResult) -> str:
    problems = [f"{n} error {k}" for k, n in r.errors.items()]
    problems += [f"{n} closed {k}" for k, n in r.closes.items()]
    if r.acks != r.sent:
        problems.append(f"{r.acks} acks")
    return (
        f"{r.server:<9}{r.rate:>8g}{r.sent:>9}{r.delivered:>11}{r.expected:>11}"
        f"{r.delivered_share * 100:>8.2f}%{r.per_second:>10.0f}{_ms(r.p50):>9}{_ms(r.p99):>9}"
        f"{_ms(r.max):>9}{_ms(r.lag_p99):>7}{_pct(r.cpu['load']):>9}{_pct(r.cpu['server']):>8}"
        f"{_pct(r.cpu['loop']):>7}"
        f"{_pct(r.cpu['db']):>6}{_pct(r.cpu['other']):>6}  {', '.join(problems) or '-'}"
    )


def _report(
    args: argparse.Namespace, results: dict[str, list[StepResult]], out: Callable[[str], None]
) -> None:
    out("")
    out(HEADER)
    for steps in results.values():
        for r in steps:
            out(_row(r))
    out("")
    out("deliv/s counts deliveries of messages sent in the window, over the window's length;")
    out("lag99 = p99 of how late the load process sent (its own overload); cpu: share of one")
    out("core used by the load process, the server (and its event-loop thread alone), PostgreSQL,")
    out("and everything else on the machine (other: above ~10% another program disturbed the run).")
    tupa, base = results.get("tupa"), results.get("baseline")
    if not tupa or not base:
        return
    out("")
    if not args.saturate:
        t, b = tupa[0], base[0]
        all_delivered = t.expected > 0 and t.delivered == t.expected
        ratio_p99 = t.p99 / b.p99 if t.p99 and b.p99 else None
        ratio_rate = t.per_second / b.per_second if b.per_second else None
        out(
            f"tupa/baseline: p99 {ratio_p99:.2f}x (target <= 2.00x)"
            if ratio_p99
            else "tupa/baseline: p99 -"
        )
        out(
            f"tupa/baseline: deliveries/s {ratio_rate:.2f}"
            if ratio_rate
            else "tupa/baseline: deliveries/s -"
        )
        out(
            f"tupa delivered every message: {'yes' if all_delivered else 'NO'} "
            f"({t.delivered}/{t.expected}); baseline: {b.delivered}/{b.expected}"
        )
        return
    best = {}
    for name, steps in results.items():
        limit = args.saturation_p99_ms / 1000
        held = [r for r in steps if r.holds(limit)]
        top = max(held, key=lambda r: r.per_second) if held else None
        first_fail = next((r for r in steps if not r.holds(limit)), None)
        best[name] = top
        out(
            f"{name}: highest step with >= {PASS_FRACTION:.0%} delivered"
            + (f" and p99 <= {args.saturation_p99_ms:g} ms: " if limit else ": ")
            + (
                f"{top.rate:g} msg/s/person, {top.per_second:.0f} deliveries/s, "
                f"p99 {_ms(top.p99)} ms"
                if top
                else "none"
            )
            + (
                f"; overloaded at {first_fail.rate:g} msg/s/person "
                f"({first_fail.delivered_share:.1%} delivered, {first_fail.per_second:.0f}/s, "
                f"p99 {_ms(first_fail.p99)} ms)"
                if first_fail
                else "; never overloaded (raise --rates)"
            )
        )
    if best.get("tupa") and best.get("baseline"):
        ratio = best["tupa"].per_second / best["baseline"].per_second
        out(f"tupa/baseline deliveries/s at saturation: {ratio:.2f} (target >= 0.60)")


def _rates(args: argparse.Namespace) -> list[float]:
    if args.saturate:
        return [float(r) for r in args.rates.split(",")]
    return [args.rate]


def _raise_file_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # unwinds asyncio.run and every ``finally`` like Ctrl-C would


LOCK_FILE = Path(tempfile.gettempdir()) / "tupa-chat-fanout.lock"


def _one_run_at_a_time(limit: float, out: Callable[[str], None]) -> Any:
    """Two runs at once would measure each other: wait for any other run on this machine."""
    handle = LOCK_FILE.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        out("waiting for another chat_fanout run on this machine to finish ...")
        deadline = time.monotonic() + limit
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
    return handle


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--rooms", type=int, default=200)
    p.add_argument("--people", type=int, default=10, help="participants per room (<= 200)")
    p.add_argument("--rate", type=float, default=1.0, help="messages a second per person")
    p.add_argument(
        "--seconds", type=float, help="measured window (default 20; 10 per step with --saturate)"
    )
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--grace", type=float, default=3.0, help="wait for stragglers after a window")
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="server to create (and drop) a scratch database on",
    )
    p.add_argument(
        "--saturate",
        action="store_true",
        help="raise the rate step by step until under 99%% is delivered (or p99 is over "
        "--saturation-p99-ms)",
    )
    p.add_argument(
        "--saturation-p99-ms",
        type=float,
        default=1000.0,
        help="a saturation step also fails when p99 exceeds this: the backlog is growing and a "
        "longer window would lose messages (0: only the 99%% rule)",
    )
    p.add_argument("--rates", default=SATURATION_RATES, help="steps for --saturate (msg/s/person)")
    p.add_argument("--only", choices=["tupa", "baseline"])
    p.add_argument(
        "--instances",
        type=int,
        default=1,
        help="Tupa server processes sharing the database and Redis (--redis-url); "
        "participants are dealt round them",
    )
    p.add_argument(
        "--sticky",
        action="store_true",
        help="with --instances: deal whole rooms round the instances, as a proxy that routes "
        "room sockets by room would",
    )
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument(
        "--baseline-loop",
        choices=["asyncio", "uvloop"],
        default="uvloop" if _uvloop_available() else "asyncio",
        help="event loop of the baseline server (default: what uvicorn picks for "
        "Tupa, uvloop when installed)",
    )
    p.add_argument("--load-loop", choices=["asyncio", "uvloop"], default="asyncio")
    p.add_argument("--connect-concurrency", type=int, default=50)
    p.add_argument("--connect-timeout", type=float, default=120.0)
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="wait up to this long for other work on the machine to stop before each server",
    )
    p.add_argument("--max-seconds", type=int, default=900, help="hard stop for the whole run")
    p.add_argument(
        "--probe",
        action="store_true",
        help="time the Tupa server's commits, GC pauses and loop lag (bench/probe)",
    )
    p.add_argument(
        "--probe-gc",
        choices=["default", "disable", "freeze"],
        default="default",
        help="with --probe: a garbage-collector experiment in the Tupa server (bench/probe)",
    )
    p.add_argument(
        "--profile-tupa", metavar="FILE", help="run the Tupa server under cProfile into FILE"
    )
    p.add_argument(
        "--server-cpus",
        metavar="CPUS",
        help="pin the server under test (the baseline, every Tupa instance and its writer "
        "thread) to these cores, as taskset -c takes them (1, 0-1)",
    )
    p.add_argument(
        "--load-cpus",
        metavar="CPUS",
        help="pin this load process to these cores (give it others than --server-cpus)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    p.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.probe_gc != "default":
        args.probe = True
    if args.seconds is None:
        args.seconds = 10.0 if args.saturate else 20.0
    if not 1 <= args.people <= 200:
        p.error("--people must be 1..200 (a series' capacity)")
    try:
        args.server_cpus = machine.parse_cpus(args.server_cpus) if args.server_cpus else None
        args.load_cpus = machine.parse_cpus(args.load_cpus) if args.load_cpus else None
    except ValueError as error:
        p.error(str(error))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_baseline:
        machine.run(_baseline_server(args.serve_baseline), args.baseline_loop)
        return 0
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    limit = _raise_file_limit(args.rooms * args.people + 1000)
    machine.pin(args.load_cpus)  # before any server starts: they get their own pinning

    def out(line: str) -> None:
        print(line, flush=True)

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_alarm)
    try:
        lock = _one_run_at_a_time(args.max_seconds, out)
    except (BlockingIOError, KeyboardInterrupt):
        out("gave up waiting for the other run")
        return 1
    signal.alarm(args.max_seconds)
    tmp = Path(tempfile.mkdtemp(prefix="tupa-bench-"))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    offered = args.rooms * args.people * args.rate * args.people
    out(
        f"chat fan-out: {args.rooms} rooms x {args.people} people, "
        + (
            f"rates {args.rates} msg/s/person"
            if args.saturate
            else f"{args.rate:g} msg/s/person = {offered:.0f} deliveries/s offered"
        )
        + f"; window {args.seconds:g} s after {args.warmup:g} s warm-up, {args.grace:g} s grace"
    )
    out(
        f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; "
        "the load process, the server under test and the database share these cores"
    )
    out(
        f"tupa: uvicorn (loop {'uvloop' if _uvloop_available() else 'asyncio'}), "
        f"{args.database}; baseline: websockets {_websockets_version()} broadcast, "
        f"{args.baseline_loop} loop, no storage; load: one {args.load_loop} process, "
        f"open-file limit {limit}"
    )
    out(
        f"pinned: server {machine.cpus_text(args.server_cpus)}, "
        f"load {machine.cpus_text(args.load_cpus)}; load average "
        + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    )
    results: dict[str, list[StepResult]] = {}
    try:
        if args.only in (None, "baseline"):
            out("baseline:")
            machine.wait_for_quiet(args.quiet_wait, out, "start")
            results["baseline"] = run_baseline(args, tmp, out)
        if args.only in (None, "tupa"):
            out("tupa:")
            machine.wait_for_quiet(args.quiet_wait, out, "start")
            results["tupa"] = run_tupa(args, tmp, out)
    except KeyboardInterrupt:
        out(f"stopped early (interrupted, or longer than --max-seconds={args.max_seconds})")
    finally:
        signal.alarm(0)
        if args.keep:
            out(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    _report(args, results, out)
    lock.close()
    return 0


def _code_state() -> str:
    """Which server code was measured: the commit, and a digest of uncommitted changes."""
    try:
        git = shutil.which("git") or "git"
        head = subprocess.run(  # noqa: S603 - git on our own repository
            [git, "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        diff = subprocess.run(  # noqa: S603
            [git, "diff", "HEAD", "--", "server"],
            cwd=REPO,
            capture_output=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not diff:
        return head
    digest = hashlib.sha256(diff).hexdigest()[:8]
    return f"{head} + uncommitted server changes (diff sha256 {digest})"


def _websockets_version() -> str:
    import websockets

    return str(getattr(websockets, "__version__", "?"))


if __name__ == "__main__":
    sys.exit(main())
