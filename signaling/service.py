"""One ``Relay`` as a service of its own (``tupa relay``), over HTTP with JSON, for room servers.

Why a process of its own: forwarding media takes about a core (see the README's benchmark), and
every web process of an installation must reach the same relay, or two people of one room,
connected to different web processes, would publish and subscribe at different relays.

Only room servers talk to it, never browsers. Its calls are ``MediaRelay``'s
(``signaling.interface``), one POST each, with JSON bodies of exactly their fields::

    POST /publish            {"room", "publisher", "sdp"}                -> 200 {"sdp"}
    POST /subscribe          {"room", "subscriber", "publisher"}         -> 200 {"sdp"}
    POST /answer             {"room", "subscriber", "publisher", "sdp"}  -> 204
    POST /unpublish          {"room", "publisher"}                       -> 204
    POST /leave              {"room", "person"}                          -> 204
    POST /stop_forwarding    {"room", "publisher", "kind"}               -> 204
    POST /resume_forwarding  {"room", "publisher", "kind"}               -> 204
    GET  /stats              -> 200 {room: RoomStats as an object}
    GET  /health             -> 200 {"status": "ok"} (no secret needed: for health checks)

Every other call needs ``Authorization: Bearer <secret>``, otherwise 401 ``{"code":
"unauthorized"}``. Whoever can call the relay can publish media into any room and subscribe to
anyone's camera, so a relay without a secret refuses to listen anywhere but on loopback
(:func:`check_exposure`). Bodies over 64 KiB get 413 ``{"code": "request_too_large"}``; a field
that is missing, extra, not a string or out of bounds gets 400 ``{"code": "invalid_input",
"field"}``. The relay's own refusals are ``TupaError``: 400 ``invalid_input`` (an SDP it cannot
use) and 404 ``not_found`` (no such publisher or pending subscription), with their ``params``.
Stopping the service (lifespan shutdown) closes every connection of the relay.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import asdict
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.errors import ErrorCode, TupaError
from signaling.interface import KINDS, MAX_SDP
from signaling.relay import Relay

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # an SDP of MAX_SDP characters, escaped, and the ids fit easily
# Room and person ids: the room server's session ids and random peer ids fit. Anything else is
# refused, which also keeps the relay's log lines (they name rooms and people) free of
# characters a request could use to forge lines.
ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_PARAM_CHARS = 300  # an aiortc error message in a refusal's params, for the room server's log

STATUS = {ErrorCode.INVALID_INPUT: 400, ErrorCode.NOT_FOUND: 404}


class ExposedWithoutSecret(Exception):
    """The relay would listen beyond loopback without a secret."""


def check_exposure(host: str, secret: str) -> None:
    """Refuse a relay that anyone on the network could use.

    Without a secret, anyone who can reach the relay could inject media into a room or watch and
    listen to anyone publishing there; on loopback only processes of this machine can.
    """
    if not secret and not listens_only_on_loopback(host):
        raise ExposedWithoutSecret(
            f"the relay would listen on {host} without a secret: anyone who can reach it could "
            "inject media into a room or receive anyone's; set TUPA_RELAY_SECRET (and the same "
            "on the web processes) or listen on 127.0.0.1"
        )


def listens_only_on_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` or ``localhost``; ``0.0.0.0``, ``::`` and names are not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Refused(Exception):
    """A request the service answers with an error before it reaches the relay."""

    def __init__(self, status: int, body: Mapping[str, object]) -> None:
        super().__init__(status, body)
        self.response = JSONResponse(dict(body), status_code=status)


Arguments = dict[str, str]
Call = Callable[[Relay, Arguments], Awaitable[str | None]]


def _check_id(value: str) -> bool:
    return ID.fullmatch(value) is not None


def _check_sdp(value: str) -> bool:
    return 0 < len(value) <= MAX_SDP


def _check_kind(value: str) -> bool:
    return value in KINDS


FIELDS: dict[str, Callable[[str], bool]] = {
    "room": _check_id,
    "publisher": _check_id,
    "subscriber": _check_id,
    "person": _check_id,
    "sdp": _check_sdp,
    "kind": _check_kind,
}


async def _publish(relay: Relay, a: Arguments) -> str:
    return await relay.publish(a["room"], a["publisher"], a["sdp"])


async def _subscribe(relay: Relay, a: Arguments) -> str:
    return await relay.subscribe(a["room"], a["subscriber"], a["publisher"])


async def _answer(relay: Relay, a: Arguments) -> None:
    await relay.answer(a["room"], a["subscriber"], a["publisher"], a["sdp"])


async def _unpublish(relay: Relay, a: Arguments) -> None:
    await relay.unpublish(a["room"], a["publisher"])


async def _leave(relay: Relay, a: Arguments) -> None:
    await relay.leave(a["room"], a["person"])


async def _stop_forwarding(relay: Relay, a: Arguments) -> None:
    await relay.stop_forwarding(a["room"], a["publisher"], a["kind"])


async def _resume_forwarding(relay: Relay, a: Arguments) -> None:
    await relay.resume_forwarding(a["room"], a["publisher"], a["kind"])


# Each call's path, its exact fields, and what it does.
CALLS: dict[str, tuple[tuple[str, ...], Call]] = {
    "publish": (("room", "publisher", "sdp"), _publish),
    "subscribe": (("room", "subscriber", "publisher"), _subscribe),
    "answer": (("room", "subscriber", "publisher", "sdp"), _answer),
    "unpublish": (("room", "publisher"), _unpublish),
    "leave": (("room", "person"), _leave),
    "stop_forwarding": (("room", "publisher", "kind"), _stop_forwarding),
    "resume_forwarding": (("room", "publisher", "kind"), _resume_forwarding),
}


def relay_service(
    relay: Relay,
    secret: str,
    while_serving: Callable[[], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """The ASGI app serving ``relay``; its shutdown closes the relay.

    ``secret`` empty means no authorisation at all: only for a relay on loopback, which
    :func:`check_exposure` makes sure of before it is served.
    """
    expected = f"Bearer {secret}".encode()

    def authorise(request: Request) -> None:
        if not secret:
            return
        # Starlette decodes headers as Latin-1, so this gives back the bytes that were sent.
        given = request.headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            raise _Refused(401, {"code": "unauthorized"})

    def endpoint(fields: tuple[str, ...], call: Call) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            try:
                authorise(request)
                arguments = _arguments(await _json_body(request), fields)
                result = await call(relay, arguments)
            except _Refused as refused:
                return refused.response
            except TupaError as error:
                return _refusal(error)
            if result is None:
                return Response(status_code=204)
            return JSONResponse({"sdp": result})

        return handle

    async def stats(request: Request) -> Response:
        try:
            authorise(request)
        except _Refused as refused:
            return refused.response
        return JSONResponse({room: asdict(s) for room, s in relay.stats().items()})

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            # Announcing itself to room servers (several relays), from start to shutdown.
            async with while_serving() if while_serving else nullcontext():
                yield
        finally:
            await relay.close()
            logger.info("relay closed")

    routes = [
        Route(f"/{name}", endpoint(fields, call), methods=["POST"])
        for name, (fields, call) in CALLS.items()
    ]
    routes += [Route("/stats", stats, methods=["GET"]), Route("/health", health, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)


async def _json_body(request: Request) -> Any:
    """The request's JSON, read at most ``MAX_BODY_BYTES`` far (uvicorn has no limit of its own)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _Refused(413, {"code": ErrorCode.REQUEST_TOO_LARGE.value})
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(413, {"code": ErrorCode.REQUEST_TOO_LARGE.value})
    try:
        return json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        raise _Refused(400, {"code": ErrorCode.INVALID_INPUT.value, "field": "body"}) from None


def _arguments(body: Any, fields: tuple[str, ...]) -> Arguments:
    """Exactly ``fields``, each a string that passes its check; the first bad one is named."""
    if not isinstance(body, dict):
        raise _Refused(400, {"code": ErrorCode.INVALID_INPUT.value, "field": "body"})
    extra = sorted(set(body) - set(fields))
    if extra:
        raise _Refused(400, {"code": ErrorCode.INVALID_INPUT.value, "field": str(extra[0])[:64]})
    arguments: Arguments = {}
    for name in fields:
        value = body.get(name)
        if not isinstance(value, str) or not FIELDS[name](value):
            raise _Refused(400, {"code": ErrorCode.INVALID_INPUT.value, "field": name})
        arguments[name] = value
    return arguments


def _refusal(error: TupaError) -> Response:
    """The relay's own refusal, with its params as short strings for the caller's log."""
    params = {str(k): str(v)[:MAX_PARAM_CHARS] for k, v in error.params.items()}
    body = {"code": error.code.value, "params": params}
    return JSONResponse(body, status_code=STATUS.get(error.code, 500))
