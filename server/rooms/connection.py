"""One WebSocket of one person in a room: its phase, rate buckets and bounded send queue.

Frames pushed in one turn of the event loop leave in one write at its end (``EndOfTurn``); a
connection whose queue is full is closed with RESYNC rather than slowing anyone else down, and so is
one whose frames cannot be encoded or written: a failing socket never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.counts import ROOMS
from server.rooms.events import Event
from server.rooms.frames import CloseCode, RoomError
from server.rooms.limits import (
    BURST,
    RATE_PER_SECOND,
    SIGNAL_BURST,
    SIGNAL_RATE_PER_SECOND,
    TokenBucket,
)

SendText = Callable[[str], Awaitable[None]]
WriteNow = Callable[[bytes], bool]  # write an encoded frame now; False when the socket is full
Encode = Callable[[str], bytes]  # a text as an encoded frame
CloseSocket = Callable[[int], Awaitable[None]]
Describe = Callable[[str], str]

log = logging.getLogger(__name__)
# A frame's JSON text. One encoder for all: ``json.dumps`` with an option makes a new one per
# call, and a message makes at least two frames (its delivery and the sender's ack).
frame_text = json.JSONEncoder(ensure_ascii=False).encode
WARN_EVERY_SECONDS = 10.0  # failing sockets are reported in one line at most this often


class Phase(StrEnum):
    WAITING = "waiting"  # the room is not open yet
    LOBBY = "lobby"
    PENDING = "pending"  # welcome being prepared: live events are held back
    READY = "ready"
    CLOSED = "closed"


class Outgoing:
    """A frame's text, and its encoded form, made at most once however many sockets take it."""

    __slots__ = ("_frame", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame: bytes | None = None

    def frame(self, encode: Encode) -> bytes:
        if self._frame is None:
            self._frame = encode(self.text)
        return self._frame


class EndOfTurn:
    """Connections that were pushed frames in this turn of the event loop, written at its end.

    One callback per turn for all of them, rather than one per connection: a stored batch of
    messages reaches hundreds of sockets in the same turn.
    """

    def __init__(self) -> None:
        self._corked: list[Connection] = []
        self._warned_at: float | None = None
        self._unreported = 0  # sockets closed since the last warning

    def add(self, conn: Connection) -> None:
        if not self._corked:
            asyncio.get_running_loop().call_soon(self.uncork)
        self._corked.append(conn)

    def uncork(self) -> None:
        corked, self._corked = self._corked, []
        for conn in corked:
            try:
                conn.uncork()  # closes the connection itself when its write fails
            except Exception as error:  # whatever it was, the others get their frames
                conn.fail(error)

    def failed(self, error: Exception) -> None:
        """Report a socket closed because a frame could not be encoded or written: one line, no
        traceback and nothing of the frame (it may hold someone's message), at most so often."""
        self._unreported += 1
        now = time.monotonic()
        if self._warned_at is not None and now - self._warned_at < WARN_EVERY_SECONDS:
            return
        log.warning(
            "closed %d room connection(s): a frame could not be encoded or written (%s)",
            self._unreported,
            type(error).__name__,
        )
        self._warned_at, self._unreported = now, 0


class Connection:
    """One WebSocket of one person, with its own bounded send queue and sender task."""

    def __init__(
        self,
        peer: str,
        send: SendText,
        close: CloseSocket,
        describe: Describe,
        queue_size: int,
        bucket: TokenBucket,
        write_now: WriteNow | None = None,
        encode: Encode | None = None,
        end_of_turn: EndOfTurn | None = None,
    ) -> None:
        self.peer = peer
        # The hub shares one among its connections; a connection made alone has its own.
        self._end_of_turn = end_of_turn if end_of_turn is not None else EndOfTurn()
        self._write_now = write_now if encode is not None else None
        self._encode = encode
        self._busy = False  # the pump holds a frame: nothing may overtake it
        # Frames pushed in this turn of the event loop, written together at its end.
        self._corked: list[Outgoing] | None = None
        self.phase = Phase.PENDING
        self.last_seq = 0
        self.presence_id: int | None = None  # this socket's attendance record, once in the room
        self.staff_session_id: int | None = None  # the staff session that opened it, if any
        self.held: list[tuple[Event, Outgoing]] = []
        self.bucket = bucket
        # ICE candidates come in bursts: signalling has a bucket of its own.
        self.signal_bucket = TokenBucket(
            SIGNAL_RATE_PER_SECOND, SIGNAL_BURST, SIGNAL_BURST, time.monotonic()
        )
        self.describe = describe
        self._send = send
        self._close = close
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._pump = asyncio.create_task(self._run(), name=f"tupa-send-{peer}")
        self._closing: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            text = await self._queue.get()
            self._busy = True
            try:
                await self._send(text)
            except Exception as error:  # the socket went away or broke: close it, and only it
                if isinstance(error, UnicodeError):
                    self.fail(error)  # worth a line in the log: the socket did not just go away
                else:
                    self.terminate(CloseCode.RESYNC)
                return
            finally:
                self._busy = False
                self._queue.task_done()

    def push(self, out: Outgoing | str) -> None:
        """Send a frame: straight to the socket when it has room and nothing is queued before
        it, otherwise through the queue. A connection too far behind is closed with RESYNC.

        Straight to the socket means at the end of this turn of the event loop, together with
        whatever else this connection is sent in the same turn: the room's events arrive in
        bursts (the writer stores messages in batches and the bus hands them over in one go),
        and one write of several frames costs one system call instead of several.
        """
        if self._corked is not None:  # (uncork drops them if the socket closes meanwhile)
            self._corked.append(out if isinstance(out, Outgoing) else Outgoing(out))
            return
        if self.phase is Phase.CLOSED:
            return
        if isinstance(out, str):
            out = Outgoing(out)
        if self._write_now is not None and not self._busy and self._queue.empty():
            self._corked = [out]
            self._end_of_turn.add(self)
            return
        self._enqueue(out.text)

    def uncork(self) -> None:
        """Write what this turn pushed, in one go; through the queue if the socket is full."""
        corked, self._corked = self._corked, None
        if not corked or self.phase is Phase.CLOSED:
            return
        assert self._write_now is not None and self._encode is not None
        encode = self._encode
        try:
            frames = b"".join(out.frame(encode) for out in corked)
            if not self._busy and self._queue.empty() and self._write_now(frames):
                return
        except Exception as error:  # its encoder or transport failed: this socket alone
            self.fail(error)
            return
        for out in corked:
            self._enqueue(out.text)

    def fail(self, error: Exception) -> None:
        """A frame for this socket could not be encoded or written: close this socket alone, with
        RESYNC, so that a client that can come back resumes from what it last saw."""
        if self.phase is Phase.CLOSED:
            return
        self._corked = None
        self._end_of_turn.failed(error)
        self.terminate(CloseCode.RESYNC)

    def _enqueue(self, text: str) -> None:
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            if self.phase is not Phase.CLOSED:  # once per socket, not per frame it refused
                ROOMS.send_queue_full += 1
            self.terminate(CloseCode.RESYNC)

    def within_rate(self, signalling: bool) -> bool:
        """Take a token for one frame (signalling has its own bucket). Over the rate the sender
        gets ``rate_limited``; far over it, the socket is closed as abusive."""
        bucket = self.signal_bucket if signalling else self.bucket
        if bucket.take(time.monotonic()):
            return True
        if bucket.abusive:
            self.terminate(CloseCode.ABUSE)
        else:
            self.error(RoomError.RATE_LIMITED)
        return False

    def push_frame(self, frame: dict[str, Any]) -> None:
        self.push(frame_text(frame))

    def error(
        self, code: RoomError, retry_after: int | None = None, cid: str | None = None
    ) -> None:
        frame: dict[str, Any] = {
            "type": "error",
            "code": code.value,
            "message": self.describe(code),
        }
        if retry_after is not None:
            frame["retry_after"] = retry_after
        if cid is not None:
            frame["cid"] = cid  # which send the error answers
        self.push_frame(frame)

    @property
    def gone(self) -> bool:
        return self.phase is Phase.CLOSED

    def terminate(self, code: int) -> None:
        """Close the socket with ``code`` after what is already queued (or at once, if stuck)."""
        if self.phase is Phase.CLOSED:
            return
        self.uncork()  # frames of this turn (e.g. "you were removed") go before the close
        if self.gone:
            return  # writing them failed, and closed the socket already
        self.phase = Phase.CLOSED
        ROOMS.closes[code] += 1

        async def close() -> None:
            if code != CloseCode.RESYNC:
                # Let the queued frames (e.g. "you were removed") reach the client first.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._drain(), timeout=2)
            self._pump.cancel()
            with contextlib.suppress(Exception):
                await self._close(code)

        self._closing = asyncio.create_task(close())

    async def _drain(self) -> None:
        await self._queue.join()

    async def stopped(self) -> None:
        """Stop sending (the socket is gone)."""
        self.phase = Phase.CLOSED
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._pump


SEND_QUEUE_FRAMES = 256


@dataclass
class Sockets:
    """How this instance makes its connections: queue size, rate limit, the transport's frame
    encoder (set by a transport that can write frames itself) and the shared end-of-turn write."""

    queue_size: int = SEND_QUEUE_FRAMES
    rate_per_second: float = RATE_PER_SECOND
    burst: int = BURST
    encode: Encode | None = None
    end_of_turn: EndOfTurn = field(default_factory=EndOfTurn)

    def connect(
        self,
        peer: str,
        send: SendText,
        close: CloseSocket,
        describe: Describe,
        write_now: WriteNow | None,
    ) -> Connection:
        bucket = TokenBucket(self.rate_per_second, self.burst, self.burst, time.monotonic())
        return Connection(
            peer,
            send,
            close,
            describe,
            self.queue_size,
            bucket,
            write_now,
            self.encode,
            self.end_of_turn,
        )
