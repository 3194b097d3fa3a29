"""What an event means for an instance's sockets beyond delivering it (pure).

``follow_up`` returns effects as values; the hub carries them out on its own connections, like
websockets' asyncio layer runs what its sans-I/O protocol decided. The same module turns a
committed action outside the room (``server.access.AccessChange``) into the room event that
every instance applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.access import AccessReason
from server.rooms.apply import ENDS_ROOM
from server.rooms.events import NOBODY, Event, EventType
from server.rooms.frames import CloseCode
from server.rooms.state import Member, MemberStatus, RoomState, RoomStatus


@dataclass(frozen=True)
class Close:
    """Close this person's connections (every connection when ``peer`` is None), only those a
    staff session opened when ``staff_session_id`` is given."""

    peer: str | None
    code: int
    staff_session_id: int | None = None


@dataclass(frozen=True)
class Welcome:
    """This person was admitted: their connections waiting in the lobby get a welcome."""

    peer: str


@dataclass(frozen=True)
class EnterOpened:
    """The room opened: connections waiting for it move on to the lobby or the room."""


@dataclass(frozen=True)
class SharePresence:
    """Another instance loaded the room: tell it who is connected here."""


@dataclass(frozen=True)
class TellWaiting:
    """The opening time changed: connections waiting for the room are told the new one."""


Effect = Close | Welcome | EnterOpened | SharePresence | TellWaiting

# The documented close code (docs/protocol.md) for each committed change that shuts people out.
ACCESS_CLOSE_CODES: dict[AccessReason, int] = {
    AccessReason.ENROLMENT_ENDED: CloseCode.FORBIDDEN,
    AccessReason.LINK_REVOKED: CloseCode.UNAUTHENTICATED,
    AccessReason.BANNED: CloseCode.FORBIDDEN,
    AccessReason.STAFF_UNASSIGNED: CloseCode.FORBIDDEN,
    AccessReason.STAFF_DEACTIVATED: CloseCode.UNAUTHENTICATED,
    AccessReason.STAFF_SIGNED_OUT: CloseCode.UNAUTHENTICATED,
    AccessReason.ERASED: CloseCode.UNAUTHENTICATED,  # the link stopped working
    AccessReason.SESSION_CANCELLED: CloseCode.ENDED,
    AccessReason.SERIES_CANCELLED: CloseCode.ENDED,
    AccessReason.BOOKING_ENDED: CloseCode.FORBIDDEN,
}


def follow_up(state: RoomState, event: Event, instance: str) -> list[Effect]:
    """The effects of ``event`` (already applied to ``state``) on one instance's sockets."""
    data = event.data
    kind = event.type
    if kind is EventType.STATUS:
        if data["status"] == MemberStatus.ADMITTED.value:
            return [Welcome(data["peer"])]
        if data["status"] == MemberStatus.DENIED.value:
            return [Close(data["peer"], CloseCode.REMOVED)]
    elif kind is EventType.MODERATION and data["action"] in ("removed", "banned"):
        return [Close(data["peer"], CloseCode.REMOVED)]
    elif kind is EventType.PRESENCE_SYNC and event.origin != instance:
        return [SharePresence()]
    elif kind is EventType.ROOM and state.status is RoomStatus.ENDED:
        return [Close(None, CloseCode.ENDED)]
    elif kind is EventType.ROOM and state.status is RoomStatus.OPEN:
        return [EnterOpened()]
    elif kind is EventType.ACCESS:
        reason = AccessReason(data["reason"])
        if reason is AccessReason.SESSION_MOVED:
            return [TellWaiting()]
        code = ACCESS_CLOSE_CODES.get(reason)
        if code is not None:
            peer = None if reason in ENDS_ROOM else data["peer"]
            return [Close(peer, code, data.get("staff_session"))]
    return []


def access_events(
    reason: AccessReason,
    people: list[Member],
    opens_at: datetime | None = None,
    staff_session_id: int | None = None,
) -> list[Event]:
    """The room events for a committed change: one per affected person, or one for the room.

    Nobody receives them as frames: the people concerned are told by their socket's close code,
    and the room's replicas change as ``state.apply`` says.
    """
    if reason in ENDS_ROOM:
        return [Event(EventType.ACCESS, {"reason": reason.value}, NOBODY)]
    if reason is AccessReason.SESSION_MOVED:
        moved = {"reason": reason.value, "opens_at": opens_at.isoformat() if opens_at else None}
        return [Event(EventType.ACCESS, moved, NOBODY)]
    # Name and role too: someone who only came to the door is not yet a member of the replicas,
    # and a ban must make them one, as it marks their membership row.
    extra = {} if staff_session_id is None else {"staff_session": staff_session_id}
    return [
        Event(EventType.ACCESS, {"reason": reason.value, **p.public(), **extra}, NOBODY)
        for p in people
    ]
