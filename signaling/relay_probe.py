"""Asking every announced relay's ``GET /health`` at once: which of them this process can reach.

A relay announces itself over its own connection to Redis, which says nothing about whether the
room servers can reach the address it announced (a wrong ``TUPA_RELAY_ANNOUNCE_URL``, a firewall,
a network split, an HTTP listener gone). Only a call from here tells; ``/health`` needs no secret.

One ``httpx.AsyncClient`` serves every probe of the process (one connection pool, kept alive
between beats), with the same settings as ``signaling.client``: no proxy from the environment,
since relays are on the installation's own network. The transport can be given, so that tests
swap it rather than mock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx


class RelayProbe:
    """Probes relays' ``/health`` concurrently, each for at most ``timeout`` seconds."""

    def __init__(self, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), trust_env=False, transport=transport
        )
        self._timeout = timeout

    async def answering(self, urls: Mapping[str, str]) -> set[str]:
        """The relays (id to base URL) that answered ``200 {"status": "ok"}`` in time."""
        relays = list(urls)
        answers = await asyncio.gather(*(self._answers(urls[relay]) for relay in relays))
        return {relay for relay, answered in zip(relays, answers, strict=True) if answered}

    async def _answers(self, url: str) -> bool:
        try:
            # The whole call, not each phase, is bounded: a beat must not wait on a relay.
            async with asyncio.timeout(self._timeout):
                response = await self._http.get(f"{url}/health")
        except (httpx.HTTPError, TimeoutError):
            return False
        if response.status_code != 200:
            return False
        try:
            body = response.json()
        except ValueError:  # a proxy's error page or something else at that address
            return False
        return isinstance(body, dict) and body.get("status") == "ok"

    async def close(self) -> None:
        await self._http.aclose()
