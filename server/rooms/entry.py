"""Who gets into a room and where they go; arrivals and departures as events (pure).

The hub asks ``refusal`` before it takes a socket in, ``entry_status`` where the person goes
(lobby or room), and commits the events ``arrive``, ``still_here`` and ``depart`` return.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.rooms.events import MODERATORS, NOBODY, Event, EventType
from server.rooms.frames import CloseCode
from server.rooms.stage import about
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState, RoomStatus

MAX_CONNECTIONS_PER_PERSON = 3


@dataclass(frozen=True)
class Refusal:
    """A socket kept out of the room, with the close code that says why."""

    code: int


def refusal(
    state: RoomState, status: MemberStatus, role: ParticipantRole, connections: int
) -> int | None:
    """The close code that keeps a person out, or None to let them in.

    ``status`` is their membership's, ``connections`` how many sockets they already have here.
    """
    if status is MemberStatus.BANNED:
        return CloseCode.FORBIDDEN
    if status in (MemberStatus.REMOVED, MemberStatus.DENIED):
        return CloseCode.REMOVED
    if state.status is RoomStatus.ENDED:
        return CloseCode.ENDED
    if connections >= MAX_CONNECTIONS_PER_PERSON:
        return CloseCode.TOO_MANY_CONNECTIONS
    locked_out = state.locked and status is not MemberStatus.ADMITTED
    if locked_out and role is ParticipantRole.PARENT:
        return CloseCode.LOCKED
    return None


def arrive(state: RoomState, member: Member) -> list[Event]:
    """Events for a person whose first connection just arrived (status already decided)."""
    data = {**member.public(), "status": member.status.value}
    events = [Event(EventType.MEMBER, data, NOBODY, actor=member.peer)]
    if member.status is MemberStatus.LOBBY:
        events.append(Event(EventType.LOBBY_JOINED, member.public(), MODERATORS))
    else:
        presence = {**member.public(), "online": True}
        events.append(Event(EventType.PRESENCE, presence, about(state, member)))
    return events


def still_here(state: RoomState, member: Member) -> list[Event]:
    """What another instance needs to learn that ``member`` is connected here."""
    presence = {**member.public(), "online": True, "sync": True}
    if member.status is MemberStatus.LOBBY:
        return [
            Event(EventType.PRESENCE, presence, NOBODY),
            Event(EventType.LOBBY_JOINED, member.public(), MODERATORS),
        ]
    if member.status is MemberStatus.ADMITTED:
        return [Event(EventType.PRESENCE, presence, about(state, member))]
    return []


def depart(state: RoomState, member: Member) -> list[Event]:
    """Events for a person whose last connection (on this instance) closed."""
    offline = {**member.public(), "online": False}
    if member.status is MemberStatus.LOBBY:
        return [
            Event(EventType.PRESENCE, offline, NOBODY),
            Event(EventType.LOBBY_LEFT, member.public(), MODERATORS),
        ]
    # Someone removed or banned was already announced as gone: only the replicas need to know.
    audience = about(state, member) if member.status is MemberStatus.ADMITTED else NOBODY
    return [Event(EventType.PRESENCE, offline, audience)]


def entry_status(state: RoomState, member: Member | None, role: ParticipantRole) -> MemberStatus:
    """Where a person arriving goes: staff straight in, parents through the lobby if it is on."""
    if member is not None and member.status is not MemberStatus.LOBBY:
        return member.status
    if role is not ParticipantRole.PARENT or not state.lobby:
        return MemberStatus.ADMITTED
    return MemberStatus.LOBBY
