"""Writing room frames straight to the socket when it has room, bypassing per-frame ASGI calls.

A chat message to a room of ten is ten sends. Through ASGI each send is a coroutine call, a task
switch and a fresh WebSocket frame; here the frame is encoded once per event and written to each
socket's transport at once, the way ``websockets.broadcast`` does it, as long as the socket keeps
up. When it does not (its transport has paused writing), or on a server other than uvicorn's
websockets-sansio implementation, frames go through the connection's queue and the ordinary ASGI
send, so behaviour never depends on this module, only speed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from websockets.frames import Frame, Opcode

WriteNow = Callable[[bytes], bool]


def text_frame(text: str) -> bytes:
    """One unmasked, unfragmented server-to-client text frame."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


def direct_writer(asgi_send: Any) -> WriteNow | None:
    """A function that writes a frame now and says whether it could, or None where unsupported.

    It needs the uvicorn protocol object behind the server's own ``send`` and refuses to work when
    an extension (compression) was negotiated, since raw frames would bypass it.
    """
    protocol = getattr(asgi_send, "__self__", None)
    needed = ("transport", "writable", "close_sent", "disconnected", "conn")
    if protocol is None or not all(hasattr(protocol, name) for name in needed):
        return None
    if getattr(protocol.conn, "extensions", None):
        return None

    def write_now(frame: bytes) -> bool:
        transport = protocol.transport
        if protocol.close_sent or protocol.disconnected or not protocol.writable.is_set():
            return False
        if transport is None or transport.is_closing():
            return False
        transport.write(frame)
        return True

    return write_now
