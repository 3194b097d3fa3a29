"""What the room server needs from a media relay, wherever it runs (pure).

``signaling.relay.Relay`` is one in this process (the default); ``signaling.client.RelayClient``
talks to one started with ``tupa relay``. Rooms and people are plain strings (the session id and
the random peer id), SDP is text with every candidate in it. Failures are ``TupaError`` with
``INVALID_INPUT`` (an SDP the relay cannot use) or ``NOT_FOUND`` (no such publisher or pending
subscription), and ``RelayUnavailable`` when a separate relay cannot be reached.
"""

from __future__ import annotations

from typing import Protocol

# The longest SDP a relay takes, in characters: room frames and the relay's requests alike.
MAX_SDP = 20_000
# The media kinds a relay forwards, and the only ones its forwarding calls accept.
KINDS = ("audio", "video")


class RelayUnavailable(Exception):
    """The relay process did not answer (down, restarting, unreachable)."""


class MediaRelay(Protocol):
    async def publish(self, room: str, publisher: str, offer_sdp: str) -> str: ...

    async def subscribe(self, room: str, subscriber: str, publisher: str) -> str: ...

    async def answer(self, room: str, subscriber: str, publisher: str, answer_sdp: str) -> None: ...

    async def unpublish(self, room: str, publisher: str) -> None: ...

    async def leave(self, room: str, person: str) -> None: ...

    async def stop_forwarding(self, room: str, publisher: str, kind: str) -> None: ...

    async def resume_forwarding(self, room: str, publisher: str, kind: str) -> None: ...

    async def close(self) -> None: ...
