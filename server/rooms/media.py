"""Who may publish audio and video in a room, and what an SDP would send (pure).

The browser decides how to connect; the server decides what is allowed: in a ``stage`` session the
audience only receives, so an offer or answer of theirs that would send media is refused here, not
just hidden by the page; and a person whose microphone or camera a moderator stopped cannot
negotiate sending it again until it is allowed.
"""

from __future__ import annotations

from server.rooms.state import STAFF_ROLES, ParticipantRole
from server.scheduling.series import MediaMode

SENDING_DIRECTIONS = frozenset({"sendrecv", "sendonly"})
DIRECTIONS = SENDING_DIRECTIONS | {"recvonly", "inactive"}


def may_publish(role: ParticipantRole, mode: MediaMode) -> bool:
    """Everyone publishes in a ``group`` session; in ``stage`` only staff (the audience listens)."""
    if mode is MediaMode.GROUP:
        return True
    if mode is MediaMode.STAGE:
        return role in STAFF_ROLES
    return False


def sent_kinds(sdp: str) -> frozenset[str]:
    """The media kinds ("audio", "video") an SDP offer or answer would send.

    A media section sends unless it says ``recvonly`` or ``inactive``; a section without a
    direction inherits the session-level one, and without that means ``sendrecv`` (RFC 8866).
    A port of 0 rejects the section: it sends nothing.
    """
    session_direction = "sendrecv"
    sections: list[tuple[str, bool, str | None]] = []  # kind, rejected, own direction
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            kind = parts[0] if parts else ""
            rejected = len(parts) > 1 and parts[1] == "0"
            sections.append((kind, rejected, None))
        elif line.startswith("a=") and line[2:] in DIRECTIONS:
            if sections:
                kind, rejected, _ = sections[-1]
                sections[-1] = (kind, rejected, line[2:])
            else:
                session_direction = line[2:]
    return frozenset(
        kind
        for kind, rejected, direction in sections
        if kind in ("audio", "video")
        and not rejected
        and (direction or session_direction) in SENDING_DIRECTIONS
    )
