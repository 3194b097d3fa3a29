"""What a room knows about itself (pure).

Every instance keeps a replica of the state of each room it serves; ``apply.apply`` changes it
for every event, its own and other instances', and the database is where a replica is rebuilt
from. ``RoomState.durable`` is what a rebuilt replica must equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from server.permissions import moderates_room
from server.rooms.events import Audience
from server.scheduling.series import MediaMode

# What a room keeps in memory is bounded by sequence numbers, not by how long it has run: the
# cids of the stored events among the last this many (a resend comes within seconds; an older one
# is found through the database's unique index, ``server.rooms.sends``), and who wrote each of the
# last this many messages (an older one is read back when someone deletes or reports it,
# ``server.rooms.recall``). A question's stays while the room is loaded: its rules need it.
MAX_REMEMBERED_CIDS = 1_000
MESSAGE_WINDOW = 1_000


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


@dataclass(slots=True)
class MessageInfo:
    author: str
    kind: str  # message | private | question | held
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
    # The series holds a message sent anyway after the identifying-details question until a
    # moderator approves it (``server.rooms.holding``); read from the series when the room loads.
    identifying_held: bool = False
    last_seq: int = 0
    opens_at: datetime | None = None
    # A group room's media goes through the relay above this many possible publishers.
    mesh_limit: int = 4
    members: dict[str, Member] = field(default_factory=dict)
    messages: dict[int, MessageInfo] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)
    threads: set[frozenset[str]] = field(default_factory=set)
    cids: dict[tuple[str, str], int] = field(default_factory=dict)
    # Parents waiting for a facilitator to talk with them: when each asked (``need_to_talk``),
    # and when each last asked at all, which paces asking again.
    need_to_talk: dict[str, datetime] = field(default_factory=dict)
    talk_asked_at: dict[str, datetime] = field(default_factory=dict)
    # Held messages waiting for a moderator, by seq: what approving one posts (author and text).
    held: dict[int, dict[str, Any]] = field(default_factory=dict)

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

    def withholds_question(self, member: Member, question: int) -> bool:
        """Whether what was said of ``question`` is kept from ``member`` when history is sent
        again (a welcome or a resume): a question a moderator hid goes on only to its author and
        to moderators. Those who saw it live have it already; nobody else is sent its text."""
        asked = self.questions.get(question)
        return (
            asked is not None
            and asked.status == "hidden"
            and asked.author != member.peer
            and not self.is_moderator(member)
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
            "identifying_held": self.identifying_held,
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
                m.peer: (
                    (m.name, m.role, m.status, m.muted_until, m.last_message_at),
                    (m.av.mic_allowed, m.av.camera_allowed),
                )
                for m in self.members.values()
                if m.status is not MemberStatus.LOBBY
            },
            "messages": {
                seq: (i.author, i.kind, i.peers, i.deleted)
                for seq, i in self.messages.items()
                if seq > self.last_seq - MESSAGE_WINDOW or seq in self.questions
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
            "need_to_talk": (dict(self.need_to_talk), dict(self.talk_asked_at)),
            "held": dict(self.held),
            "cids": {
                key: seq
                for key, seq in self.cids.items()
                if seq > self.last_seq - MAX_REMEMBERED_CIDS
            },
        }

    def forget_old(self) -> None:
        """Let go of what falls out of the windows above. Done in batches, once a window's worth
        has piled up, so that it costs nothing per event."""
        if len(self.messages) >= 2 * MESSAGE_WINDOW:
            cutoff = self.last_seq - MESSAGE_WINDOW
            self.messages = {
                seq: info
                for seq, info in self.messages.items()
                if seq > cutoff or seq in self.questions
            }
        if len(self.cids) >= 2 * MAX_REMEMBERED_CIDS:
            cutoff = self.last_seq - MAX_REMEMBERED_CIDS
            self.cids = {key: seq for key, seq in self.cids.items() if seq > cutoff}

    def lobby_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.status is MemberStatus.LOBBY and m.online]
