"""``MediaRelay`` for a relay in its own process (``tupa relay``), called over HTTP.

The room server cannot tell this from a ``Relay`` in its own process, except that the relay may
be unreachable: then every call raises ``RelayUnavailable`` and the room tells the person to
try again later (``relay_unavailable``). What the relay refuses comes back as the ``TupaError``
it raised there; anything else unexpected (a wrong URL, a proxy's error page, a wrong secret) is
``RelayUnavailable`` too, since the caller can do nothing about it but wait for an operator, and
is logged for that operator.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from server.errors import ErrorCode, TupaError
from signaling.interface import RelayUnavailable

logger = logging.getLogger(__name__)

# A relay that is down refuses at once; one that is unreachable should not hold a room's request
# for the whole timeout, which has to cover the relay gathering ICE candidates (STUN, TURN).
CONNECT_TIMEOUT = 3.0
DEFAULT_TIMEOUT = 15.0


class RelayClient:
    """Calls the relay service at ``url`` with ``secret`` as a bearer token.

    One connection pool for every room of this process; safe for concurrent calls. ``close``
    closes only that pool: the relay keeps its connections, which other web processes may be
    using, and ends those of people who went away when their ICE fails.
    """

    def __init__(self, url: str, secret: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._url = url
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        self._http = httpx.AsyncClient(
            base_url=url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
            # The relay is on the installation's own network: an HTTP proxy configured in the
            # environment for outgoing traffic must never see the secret or people's SDP.
            trust_env=False,
        )

    async def publish(self, room: str, publisher: str, offer_sdp: str) -> str:
        return await self._sdp("/publish", room=room, publisher=publisher, sdp=offer_sdp)

    async def subscribe(self, room: str, subscriber: str, publisher: str) -> str:
        return await self._sdp("/subscribe", room=room, subscriber=subscriber, publisher=publisher)

    async def answer(self, room: str, subscriber: str, publisher: str, answer_sdp: str) -> None:
        await self._post(
            "/answer", room=room, subscriber=subscriber, publisher=publisher, sdp=answer_sdp
        )

    async def unpublish(self, room: str, publisher: str) -> None:
        await self._post("/unpublish", room=room, publisher=publisher)

    async def leave(self, room: str, person: str) -> None:
        await self._post("/leave", room=room, person=person)

    async def stop_forwarding(self, room: str, publisher: str, kind: str) -> None:
        await self._post("/stop_forwarding", room=room, publisher=publisher, kind=kind)

    async def resume_forwarding(self, room: str, publisher: str, kind: str) -> None:
        await self._post("/resume_forwarding", room=room, publisher=publisher, kind=kind)

    async def stats(self) -> dict[str, Any]:
        """``Relay.stats()`` of the relay process: per room, its ``RoomStats`` as a JSON object."""
        response = await self._request("GET", "/stats")
        stats = _json(response)
        if not isinstance(stats, dict):
            raise self._unexpected("/stats", response)
        return stats

    async def close(self) -> None:
        await self._http.aclose()

    async def _sdp(self, path: str, **fields: str) -> str:
        response = await self._post(path, **fields)
        body = _json(response)
        sdp = body.get("sdp") if isinstance(body, dict) else None
        if not isinstance(sdp, str):
            raise self._unexpected(path, response)
        return sdp

    async def _post(self, path: str, **fields: str) -> httpx.Response:
        return await self._request("POST", path, fields)

    async def _request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:  # refused, unreachable, timed out, cut off
            logger.warning("relay %s%s: %s", self._url, path, type(exc).__name__)
            raise RelayUnavailable(f"{path}: {type(exc).__name__}") from exc
        if response.is_success:
            return response
        raise self._failure(path, response)

    def _failure(self, path: str, response: httpx.Response) -> Exception:
        status = response.status_code
        body = _json(response)
        code = body.get("code") if isinstance(body, dict) else None
        if (status, code) == (400, ErrorCode.INVALID_INPUT.value):
            return TupaError(ErrorCode.INVALID_INPUT, **_params(body))
        if (status, code) == (404, ErrorCode.NOT_FOUND.value):
            return TupaError(ErrorCode.NOT_FOUND, **_params(body))
        if status == 413:  # what the room server passed on was too large for the relay
            return TupaError(ErrorCode.INVALID_INPUT, reason="request too large for the relay")
        if status == 401:
            logger.error(
                "the relay at %s refused our secret: set the same TUPA_RELAY_SECRET for the web "
                "processes and for `tupa relay`",
                self._url,
            )
            return RelayUnavailable(f"{path}: the relay refused the secret")
        if status >= 500:
            logger.warning("relay %s%s: HTTP %d", self._url, path, status)
            return RelayUnavailable(f"{path}: HTTP {status}")
        return self._unexpected(path, response)

    def _unexpected(self, path: str, response: httpx.Response) -> RelayUnavailable:
        logger.error(
            "unexpected answer from the relay at %s%s (HTTP %d): is TUPA_RELAY_URL the address "
            "of `tupa relay`?",
            self._url,
            path,
            response.status_code,
        )
        return RelayUnavailable(f"{path}: unexpected answer (HTTP {response.status_code})")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # not JSON, or not UTF-8
        return None


def _params(body: dict[str, Any]) -> dict[str, str]:
    """A refusal's params (or the field the service refused), as ``TupaError`` params."""
    params = body.get("params")
    found = dict(params) if isinstance(params, dict) else {}
    if isinstance(body.get("field"), str):
        found["field"] = body["field"]
    return {str(k): str(v) for k, v in found.items() if k != "code"}
