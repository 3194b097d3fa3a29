"""A room client that behaves like the browser's (``web/static/room/connection.js``), recording
every message frame the server sends it.

It says hello with the highest ``seq`` it has seen, keeps each write in an outbox until its
``ack`` (or its message) comes, sends the outbox again with the same ``cid`` after a reconnect
or after ``not_stored``'s ``retry_after``, follows ``replay`` pages, and reconnects with backoff
(to the next instance when its own does not answer, as a load balancer would send it). Unlike the
browser it drops nothing it has seen already: the test counts duplicates instead.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

FINAL_CODES = {4000, 4001, 4003, 4004, 4010, 4011, 4023}
BACKOFF_BASE = 0.25  # the browser's is 1 s: shorter, so that a fault test stays short
BACKOFF_CAP = 2.0


@dataclass
class BrowserClient:
    name: str
    urls: list[str]  # ws:// addresses of the socket, one per instance; the first is home
    cookie: str
    small_buffer: bool = False  # a slow reader's socket: a tiny receive buffer
    messages: list[int] = field(default_factory=list)  # seq of each message frame, as received
    acked: dict[str, int] = field(default_factory=dict)  # cid -> seq
    outbox: dict[str, str] = field(default_factory=dict)  # cid -> text, not yet acknowledged
    refused: list[dict[str, Any]] = field(default_factory=list)  # errors other than not_stored
    closes: list[int | None] = field(default_factory=list)
    welcomes: list[dict[str, Any]] = field(default_factory=list)
    replays: int = 0
    not_stored: int = 0
    last_seq: int | None = None
    reading: asyncio.Event = field(default_factory=asyncio.Event)
    admitted: asyncio.Event = field(default_factory=asyncio.Event)
    ws: ClientConnection | None = None
    task: asyncio.Task[None] | None = None
    stopped: bool = False
    final: int | None = None

    def start(self) -> None:
        self.reading.set()
        self.task = asyncio.create_task(self._run(), name=f"browser-{self.name}")

    async def stop(self) -> None:
        self.stopped = True
        if self.ws is not None:
            with suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task

    def given_up(self) -> bool:
        """Whether the test stopped this client (its own close is not the server's)."""
        return self.stopped

    def write(self, text: str) -> str:
        """Queue a chat message; it is sent now if the client is in the room, else on entry."""
        cid = uuid.uuid4().hex
        self.outbox[cid] = text
        if self.admitted.is_set():
            self._transmit(cid)
        return cid

    def pause_reading(self) -> None:
        self.reading.clear()

    def resume_reading(self) -> None:
        self.reading.set()

    def _transmit(self, cid: str) -> None:
        if self.ws is None or cid not in self.outbox:
            return
        frame = json.dumps({"type": "send", "cid": cid, "text": self.outbox[cid]})
        task = asyncio.create_task(self._send_quietly(frame))
        task.add_done_callback(lambda _: None)

    async def _send_quietly(self, frame: str) -> None:
        with suppress(Exception):  # a closed socket: the outbox is sent again on reconnect
            assert self.ws is not None
            await self.ws.send(frame)

    async def _connect(self, url: str) -> ClientConnection:
        headers = {"Cookie": self.cookie}
        if not self.small_buffer:
            return await websockets.connect(url, additional_headers=headers, open_timeout=5)
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        return await websockets.connect(url, sock=sock, additional_headers=headers, open_timeout=5)

    async def _run(self) -> None:
        attempt, where = 0, 0
        while not self.stopped:
            try:
                self.ws = await self._connect(self.urls[where % len(self.urls)])
            except (OSError, TimeoutError, websockets.InvalidHandshake):
                where += 1  # that instance does not answer: the next one
                await self._pause(attempt)
                attempt += 1
                continue
            hello: dict[str, Any] = {"type": "hello", "v": 1}
            if self.last_seq is not None:
                hello["last_seq"] = self.last_seq
            code: int | None = None
            try:
                await self.ws.send(json.dumps(hello))
                async for text in self.ws:
                    await self.reading.wait()
                    if self._receive(json.loads(text)):
                        attempt = 0
            except websockets.ConnectionClosed:
                pass
            finally:
                code = self.ws.close_code if self.ws is not None else None
                self.ws = None
                self.admitted.clear()
            if self.given_up():
                return
            self.closes.append(code)
            if code in FINAL_CODES:
                self.final = code
                return
            if code is None or code == 1006:
                where += 1
            await self._pause(attempt)
            attempt += 1

    async def _pause(self, attempt: int) -> None:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt) * (0.8 + 0.4 * random.random())
        await asyncio.sleep(delay)  # the browser's backoff, not a synchronisation

    def _receive(self, frame: dict[str, Any]) -> bool:
        """Handle one frame; True when it was a welcome."""
        kind = frame.get("type")
        if kind in ("welcome", "replay"):
            for event in frame.get("events", []):
                self._event(event)
            if isinstance(frame.get("seq"), int):
                self.last_seq = max(self.last_seq or 0, frame["seq"])
            if kind == "replay":
                self.replays += 1
                return False
            self.welcomes.append(frame)
            self.admitted.set()
            for cid in list(self.outbox):
                self._transmit(cid)
            return True
        if kind == "ack":
            self.acked[frame["cid"]] = frame["seq"]
            self.outbox.pop(frame["cid"], None)
        elif kind == "error":
            self._error(frame)
        elif self.admitted.is_set():
            self._event(frame)
        return False

    def _event(self, event: dict[str, Any]) -> None:
        if not isinstance(event.get("seq"), int):
            return
        self.last_seq = max(self.last_seq or 0, event["seq"])
        if event.get("type") == "message":
            self.messages.append(event["seq"])
            if isinstance(event.get("cid"), str) and event["cid"] in self.outbox:
                self.acked[event["cid"]] = event["seq"]
                self.outbox.pop(event["cid"])

    def _error(self, frame: dict[str, Any]) -> None:
        cid = frame.get("cid")
        if frame.get("code") == "not_stored" and cid in self.outbox:
            self.not_stored += 1
            later = asyncio.get_running_loop().call_later
            later(float(frame.get("retry_after", 2)), self._transmit, cid)
            return
        self.refused.append(frame)
        if isinstance(cid, str):
            self.outbox.pop(cid, None)
