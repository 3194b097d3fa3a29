"""Headers and limits every response and request gets.

The Content-Security-Policy allows nothing from other origins: no CDN, no third-party fonts, no
inline script. ``Referrer-Policy: no-referrer`` keeps a parent's personal link (which is in the
path) from leaking to any site they go to next. Staff pages and exports are never stored by the
browser or a proxy (``Cache-Control: no-store``): names, answers and reports must not stay in the
cache of a shared computer after logout. HSTS is the proxy's (deploy/Caddyfile), where TLS is.
"""

from __future__ import annotations

import json
from urllib.parse import SplitResult, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(self), geolocation=(), payment=()"),
]


# Paths whose answers no browser or proxy may keep: staff pages, their exports (CSV, PDF), the
# JSON API and a staff member's calendar feed.
NO_STORE_PREFIXES = ("/staff", "/api/", "/calendar/staff/")
NO_STORE = (b"cache-control", b"no-store")


def no_store(path: str) -> bool:
    """Whether the answer to ``path`` must not be stored anywhere."""
    return path.startswith(NO_STORE_PREFIXES)


def same_origin(origin: str, public_url: str) -> bool:
    """Whether a browser's Origin header is this site's public address: the same scheme, host and
    port (a default port written out or left out is the same port)."""
    try:
        sent, ours = urlsplit(origin.strip()), urlsplit(public_url)
        return _origin(sent) == _origin(ours)
    except ValueError:  # a malformed port or address
        return False


def _origin(url: SplitResult) -> tuple[str, str, int | None]:
    scheme = url.scheme.lower()
    port = url.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (url.hostname or "").lower(), port


class SecurityHeaders:
    """Adds the security headers to every HTTP response, and ``no-store`` where it belongs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = no_store(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if private:  # whatever a handler said about caching, this wins
                    headers = [h for h in headers if h[0].lower() != NO_STORE[0]] + [NO_STORE]
                names = {name for name, _ in headers}
                message["headers"] = headers + [h for h in SECURITY_HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimit:
    """Answers 413 with a stable code when a request body exceeds ``max_bytes``.

    The declared Content-Length is checked first; a body streamed without one is counted as it
    arrives, so an oversized upload is cut off before it is buffered whole.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_bytes
                except ValueError:
                    too_large = True
                if too_large:
                    await self._reject(send)
                    return
        received = 0
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _TooLarge:
            await self._reject(send)

    @staticmethod
    async def _reject(send: Send) -> None:
        body = json.dumps(
            {"code": "request_too_large", "message": "Request body too large"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class DirectWebSocketSend:
    """Keeps the server's own ``send`` of a WebSocket in the scope, before middleware wraps it.

    Room frames are the hottest path in Tupa (one send per recipient per message). None of the
    HTTP middleware has anything to do with ``websocket.send`` messages, so the room endpoint
    sends them straight to the server instead of through eight wrappers.
    """

    SCOPE_KEY = "tupa.direct_send"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[self.SCOPE_KEY] = send
        await self.app(scope, receive, send)
