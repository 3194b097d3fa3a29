"""What a room knows about itself, and how each event changes it (pure).

Every instance keeps a replica of the state of each room it serves and applies every event, its own
and other instances', in the same way; the database is where a replica is rebuilt from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from server.permissions import moderates_room
from server.rooms.events import Audience, Event, EventType
from server.scheduling.series import MediaMode

MAX_REMEMBERED_CIDS = 20_000


class ParticipantRole(StrEnum):
    PARENT = "parent"
    FACILITATOR = "facilitator"
    VOLUNTEER = "volunteer"
    COORDINATOR = "coordinator"


STAFF_ROLES = frozenset(
    {ParticipantRole.FACILITATOR, ParticipantRole.VOLUNTEER, ParticipantRole.COORDINATOR}
)
LEADER_ROLES = frozenset({ParticipantRole.FACILITATOR, ParticipantRole.COORDINATOR})


class MemberStatus(StrEnum):
    LOBBY = "lobby"
    ADMITTED = "admitted"
    DENIED = "denied"
    REMOVED = "removed"
    BANNED = "banned"


class RoomStatus(StrEnum):
    WAITING = "waiting"
    OPEN = "open"
    ENDED = "ended"


@dataclass
class AvState:
    """A person's microphone, camera and hidden face, and what moderators allow."""

    mic: bool = False
    camera: bool = False
    blurred: bool = False
    mic_allowed: bool = True
    camera_allowed: bool = True
    # 0 when not publishing at the relay; each new publication there gets the next number, so
    # subscribers know to subscribe again (the relay ends subscriptions to a replaced one).
    relay: int = 0

    @property
    def forwarded(self) -> frozenset[str]:
        """The kinds the relay may forward: switched on by the person and allowed by moderators."""
        kinds = set()
        if self.mic and self.mic_allowed:
            kinds.add("audio")
        if self.camera and self.camera_allowed:
            kinds.add("video")
        return frozenset(kinds)

    def public(self) -> dict[str, bool | int]:
        return {
            "mic": self.mic,
            "camera": self.camera,
            "blurred": self.blurred,
            "mic_allowed": self.mic_allowed,
            "camera_allowed": self.camera_allowed,
            "relay": self.relay,
        }


@dataclass
class Member:
    peer: str
    name: str
    role: ParticipantRole
    status: MemberStatus
    muted_until: datetime | None = None
    hand: bool = False
    online_on: set[str] = field(default_factory=set)  # instances where this person has a socket
    last_message_at: datetime | None = None
    av: AvState = field(default_factory=lambda: AvState())

    @property
    def online(self) -> bool:
        return bool(self.online_on)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def public(self) -> dict[str, Any]:
        """What others see of this person: the display name and role badge, nothing else."""
        return {"peer": self.peer, "name": self.name, "role": self.role.value}


@dataclass
class MessageInfo:
    author: str
    kind: str  # message | private | question
    peers: frozenset[str] = frozenset()  # the two people of a private message
    deleted: bool = False


@dataclass
class Question:
    author: str
    status: str  # pending | approved | answered | hidden
    voters: set[str] = field(default_factory=set)
    asked: dict[str, Any] = field(default_factory=dict)  # author's name, role, text and time


@dataclass
class RoomState:
    session_id: int
    series_id: int
    mode: MediaMode
    status: RoomStatus = RoomStatus.WAITING
    locked: bool = False
    slow_mode: int = 0
    lobby: bool = True
    volunteers_moderate: bool = False
    questions_premoderated: bool = True
    last_seq: int = 0
    opens_at: datetime | None = None
    # A group room's media goes through the relay above this many possible publishers.
    mesh_limit: int = 4
    members: dict[str, Member] = field(default_factory=dict)
    messages: dict[int, MessageInfo] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)
    threads: set[frozenset[str]] = field(default_factory=set)
    cids: dict[tuple[str, str], int] = field(default_factory=dict)

    def is_moderator(self, member: Member) -> bool:
        return moderates_room(member.role, self.volunteers_moderate)

    def can_see(self, member: Member, audience: Audience) -> bool:
        """Whether ``member`` receives an event meant for ``audience``."""
        if audience.connected:
            return True
        if member.status is not MemberStatus.ADMITTED:
            return False
        return (
            audience.everyone
            or (audience.moderators and self.is_moderator(member))
            or member.peer in audience.peers
        )

    def settings(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "locked": self.locked,
            "slow_mode": self.slow_mode,
            "lobby": self.lobby,
            "volunteers_moderate": self.volunteers_moderate,
            "mode": self.mode.value,
            "questions_premoderated": self.questions_premoderated,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
        }

    def durable(self) -> dict[str, Any]:
        """What a reload must give back: everything but who is connected where, raised hands and
        microphones, which live only as long as the sockets. Members waiting in the lobby are
        left out too: a person refused at the door has a membership row but never arrived."""
        return {
            "settings": self.settings(),
            "last_seq": self.last_seq,
            "members": {
                m.peer: (m.name, m.role, m.status, m.muted_until, m.last_message_at)
                for m in self.members.values()
                if m.status is not MemberStatus.LOBBY
            },
            "messages": {
                seq: (i.author, i.kind, i.peers, i.deleted) for seq, i in self.messages.items()
            },
            "questions": {
                seq: (
                    q.author,
                    q.status,
                    frozenset(q.voters),
                    q.asked if seq in self.messages and not self.messages[seq].deleted else None,
                )
                for seq, q in self.questions.items()
            },
            "threads": frozenset(self.threads),
            "cids": dict(self.cids),
        }

    def lobby_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.status is MemberStatus.LOBBY and m.online]


def apply(state: RoomState, event: Event) -> None:
    """Change ``state`` as ``event`` says. Every instance calls this once for every event, live
    and when a room is loaded from its stored events: there is no other reader of stored events.

    Stored payloads may have been redacted since (a deleted message keeps who wrote it and when,
    not its text), so the rules read only what redaction keeps.
    """
    if event.seq is not None:
        state.last_seq = max(state.last_seq, event.seq)
    handler = _APPLY.get(event.type)
    if handler is not None:
        handler(state, event)
    if event.cid is not None and event.actor is not None and event.seq is not None:
        if len(state.cids) >= MAX_REMEMBERED_CIDS:
            state.cids.pop(next(iter(state.cids)))
        state.cids[(event.actor, event.cid)] = event.seq


def _member(state: RoomState, peer: str | None) -> Member | None:
    return state.members.get(peer) if peer else None


def _on_message(state: RoomState, event: Event) -> None:
    assert event.seq is not None and event.actor is not None
    state.messages[event.seq] = MessageInfo(event.actor, "message", deleted=_redacted(event))
    member = _member(state, event.actor)
    at = event.data.get("at")
    if member is not None and at is not None:
        member.last_message_at = datetime.fromisoformat(at)


def _on_private(state: RoomState, event: Event) -> None:
    assert event.seq is not None and event.actor is not None
    pair = event.audience.peers  # the two people of the thread, kept however the text is redacted
    state.messages[event.seq] = MessageInfo(event.actor, "private", pair, _redacted(event))
    state.threads.add(pair)


def _on_question(state: RoomState, event: Event) -> None:
    assert event.seq is not None and event.actor is not None
    state.messages[event.seq] = MessageInfo(event.actor, "question", deleted=_redacted(event))
    asked = {k: event.data[k] for k in ASKED_FIELDS if k in event.data}
    status = event.data.get("status", "hidden")
    state.questions[event.seq] = Question(event.actor, status, asked=asked)


def _redacted(event: Event) -> bool:
    return bool(event.data.get("deleted"))


def _on_question_update(state: RoomState, event: Event) -> None:
    question = state.questions.get(event.data["question"])
    if question is None:
        return
    question.status = event.data["status"]
    if event.data.get("voter"):
        question.voters.add(event.data["voter"])


def _on_deleted(state: RoomState, event: Event) -> None:
    info = state.messages.get(event.data["message"])
    if info is not None:
        info.deleted = True


def _on_room(state: RoomState, event: Event) -> None:
    data = event.data  # the whole settings snapshot, as it is after the change
    state.status = RoomStatus(data["status"])
    state.locked = data["locked"]
    state.slow_mode = data["slow_mode"]
    state.lobby = data["lobby"]
    state.volunteers_moderate = data["volunteers_moderate"]


def _on_member(state: RoomState, event: Event) -> None:
    """A person appeared (joined the lobby or was admitted directly): create or update them."""
    data = event.data
    member = state.members.get(data["peer"])
    if member is None:
        member = Member(
            data["peer"], data["name"], ParticipantRole(data["role"]), MemberStatus(data["status"])
        )
        state.members[member.peer] = member
    member.status = MemberStatus(data["status"])
    if event.origin:
        member.online_on.add(event.origin)


def _on_presence(state: RoomState, event: Event) -> None:
    member = _member(state, event.data["peer"])
    if member is None or event.origin is None:
        return
    if event.data["online"]:
        member.online_on.add(event.origin)
    else:
        member.online_on.discard(event.origin)
        if not member.online:
            member.hand = False
            # Gone: nothing is sent any more; what a moderator stopped stays stopped.
            member.av = replace(member.av, mic=False, camera=False, relay=0)


def _on_hand(state: RoomState, event: Event) -> None:
    member = _member(state, event.data["peer"])
    if member is not None:
        member.hand = event.data["raised"]


def _on_status(state: RoomState, event: Event) -> None:
    """Admitted, denied: only the member's status changes."""
    member = _member(state, event.data["peer"])
    if member is not None:
        member.status = MemberStatus(event.data["status"])


def _on_av(state: RoomState, event: Event) -> None:
    member = _member(state, event.data["peer"])
    if member is not None:
        data = event.data
        member.av = AvState(
            data["mic"],
            data["camera"],
            data["blurred"],
            data["mic_allowed"],
            data["camera_allowed"],
            data.get("relay", 0),
        )


def _on_moderation(state: RoomState, event: Event) -> None:
    action = event.data["action"]
    member = _member(state, event.data.get("peer"))
    if member is None:
        return
    if action == "muted":
        until = event.data.get("until")
        member.muted_until = datetime.fromisoformat(until) if until else None
    elif action in ("removed", "banned"):
        member.status = MemberStatus.REMOVED if action == "removed" else MemberStatus.BANNED
        member.hand = False


def _on_access(state: RoomState, event: Event) -> None:
    """A committed action outside the room: a ban or its lifting changes the member's status,
    a cancelled session or series ends the room, a moved one opens at another time. Other
    reasons only close sockets."""
    reason = event.data["reason"]
    if reason in ENDS_ROOM:
        state.status = RoomStatus.ENDED
        return
    if reason == "session_moved":
        opens_at = event.data.get("opens_at")
        state.opens_at = datetime.fromisoformat(opens_at) if opens_at else None
        return
    member = _member(state, event.data.get("peer"))
    if member is None and reason == "banned":
        data = event.data  # someone who only came to the door: the ban makes them known
        role = ParticipantRole(data["role"])
        member = state.members[data["peer"]] = Member(
            data["peer"], data["name"], role, MemberStatus.BANNED
        )
    if member is None:
        return
    if reason == "banned":
        member.status = MemberStatus.BANNED
        member.hand = False
    elif reason == "unbanned" and member.status is MemberStatus.BANNED:
        member.status = MemberStatus.REMOVED


# Access reasons (server.access.AccessReason) after which the room is over.
ENDS_ROOM = frozenset({"session_cancelled", "series_cancelled"})
# What a question keeps of its asking; a deleted question keeps all but the text.
ASKED_FIELDS = ("peer", "name", "role", "text", "at")

_APPLY = {
    EventType.AV: _on_av,
    EventType.MESSAGE: _on_message,
    EventType.PRIVATE: _on_private,
    EventType.QUESTION: _on_question,
    EventType.QUESTION_UPDATE: _on_question_update,
    EventType.DELETED: _on_deleted,
    EventType.ROOM: _on_room,
    EventType.MEMBER: _on_member,
    EventType.PRESENCE: _on_presence,
    EventType.HAND: _on_hand,
    EventType.STATUS: _on_status,
    EventType.MODERATION: _on_moderation,
    EventType.ACCESS: _on_access,
}
# Types whose events change the state (the others only pass through to those who see them).
APPLIED = frozenset(_APPLY)
