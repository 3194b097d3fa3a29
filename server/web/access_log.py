"""Tupa's access log: one line per request naming its route, never a credential or an address.

uvicorn's access log writes the path with its query string and the client's address: every
``GET /me/<token>`` and ``/ws/rooms/…?link=<token>`` would put a working personal link and the
parent's IP address (behind a proxy, the real one) in the log. This line names the route template
(``/me/{token}``) or, for a path no route matched, the path with token-like segments masked; the
query string never. The client's address only when ``TUPA_LOG_CLIENT_IPS`` says so.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("tupa.access")

MAX_PATH_CHARS = 120
# A path segment that could be a credential or someone's address: long and token-shaped, or
# anything with an at sign or a percent escape (which could spell either).
SECRET_SEGMENT = re.compile(r"[A-Za-z0-9_-]{16,}(\.[a-z]{1,4})?|.*[@%].*")
PRINTABLE = re.compile(r"[^\x21-\x7e]")


def masked_path(path: str) -> str:
    """``path`` with every segment that could carry a secret replaced, and nothing unprintable."""
    segments = ["{masked}" if SECRET_SEGMENT.fullmatch(s) else s for s in path.split("/")]
    shown = PRINTABLE.sub("?", "/".join(segments))
    return shown if len(shown) <= MAX_PATH_CHARS else shown[:MAX_PATH_CHARS] + "…"


def route_name(scope: Scope) -> str:
    """The route template the router chose (``/me/{token}``), or the masked path."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template and not isinstance(route, Mount):
        return template
    return masked_path(scope.get("path", ""))


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


class AccessLog:
    """Writes ``GET /me/{token} 200 12ms`` for each HTTP request and WebSocket, when it ends."""

    def __init__(self, app: ASGIApp, client_ips: bool = False) -> None:
        self.app = app
        self.client_ips = client_ips

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        outcome: dict[str, Any] = {}

        async def noting(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                outcome.setdefault("status", message["status"])
            elif kind == "websocket.accept":
                outcome.setdefault("status", 101)
            elif kind == "websocket.close":
                outcome.setdefault("status", 403)  # closed before accepting: refused
                outcome.setdefault("close", message.get("code", 1000))
            elif kind == "websocket.http.response.start":
                outcome.setdefault("status", message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            self._write(scope, outcome, time.perf_counter() - started)

    def _write(self, scope: Scope, outcome: dict[str, Any], seconds: float) -> None:
        websocket = scope["type"] == "websocket"
        method = "WebSocket" if websocket else PRINTABLE.sub("?", scope.get("method", "?"))[:10]
        status = outcome.get("status", 500)
        line = f"{method} {route_name(scope)} {status}"
        if websocket and status == 101 and "close" in outcome:
            line += f" close {outcome['close']}"
        line += f" {seconds * 1000:.0f}ms"
        if self.client_ips:
            line = f"{client_address(scope)} {line}"
        log.info("%s", line)
