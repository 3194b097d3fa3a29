"""What a room knows about itself, and how each event changes it (pure).

Every instance keeps a replica of the state of each room it serves and applies every event, its own
and other instances', in the same way; the database is where a replica is rebuilt from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

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


@dataclass(frozen=True)
class Audience:
    """Who may receive an event. The server decides; nothing is hidden by the client."""

    everyone: bool = False  # every admitted person
    connected: bool = False  # everyone connected, also those waiting or in the lobby
    moderators: bool = False
    peers: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {
            "e": self.everyone,
            "c": self.connected,
            "m": self.moderators,
            "p": sorted(self.peers),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(bool(data["e"]), bool(data["c"]), bool(data["m"]), frozenset(data["p"]))


EVERYONE = Audience(everyone=True)
CONNECTED = Audience(connected=True)
MODERATORS = Audience(moderators=True)


@dataclass(frozen=True)
class Event:
    """Something that happened in a room. ``lasting`` events are stored and get a ``seq``."""

    type: str
    data: dict[str, Any]
    audience: Audience
    lasting: bool
    actor: str | None = None
    cid: str | None = None
    seq: int | None = None
    origin: str | None = None  # the instance that produced it; never sent to clients

    def wire(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": self.type}
        if self.seq is not None:
            frame["seq"] = self.seq
        frame.update(self.data)
        return frame

    def with_seq(self, seq: int) -> Event:
        return self._copy(seq, self.origin)

    def from_instance(self, origin: str) -> Event:
        return self._copy(self.seq, origin)

    def _copy(self, seq: int | None, origin: str | None) -> Event:
        # Spelled out rather than dataclasses.replace: this runs for every message.
        return Event(
            self.type, self.data, self.audience, self.lasting, self.actor, self.cid, seq, origin
        )


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
        if member.role in LEADER_ROLES:
            return True
        return member.role is ParticipantRole.VOLUNTEER and self.volunteers_moderate

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

    def lobby_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.status is MemberStatus.LOBBY and m.online]


def apply(state: RoomState, event: Event) -> None:
    """Change ``state`` as ``event`` says. Every instance calls this for every event."""
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
    state.messages[event.seq] = MessageInfo(event.actor, "message")
    member = _member(state, event.actor)
    if member is not None:
        member.last_message_at = datetime.fromisoformat(event.data["at"])


def _on_private(state: RoomState, event: Event) -> None:
    assert event.seq is not None and event.actor is not None
    pair = frozenset({event.actor, event.data["to"]})
    state.messages[event.seq] = MessageInfo(event.actor, "private", pair)
    state.threads.add(pair)


def _on_question(state: RoomState, event: Event) -> None:
    assert event.seq is not None and event.actor is not None
    state.messages[event.seq] = MessageInfo(event.actor, "question")
    asked = {k: event.data[k] for k in ("peer", "name", "role", "text", "at")}
    state.questions[event.seq] = Question(event.actor, event.data["status"], asked=asked)


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


_APPLY = {
    "av": _on_av,
    "message": _on_message,
    "private": _on_private,
    "question": _on_question,
    "question_update": _on_question_update,
    "deleted": _on_deleted,
    "room": _on_room,
    "member": _on_member,
    "presence": _on_presence,
    "hand": _on_hand,
    "status": _on_status,
    "moderation": _on_moderation,
}
