"""Every kind of room event, defined once with its properties (pure).

The rest of the room names event types only through ``EventType``: whether an event is stored,
whether storing it changes rows beyond the event log, whether it can change who is in the room,
who sees it and what it changes all come from ``SPECS``. A new event type is added here first;
``tests/domain/test_room_events.py`` fails until it has a spec and, when it changes state, an
``apply`` rule in ``state.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    MESSAGE = "message"
    PRIVATE = "private"
    QUESTION = "question"
    QUESTION_UPDATE = "question_update"
    DELETED = "deleted"
    REPORT = "report"
    MODERATION = "moderation"
    MEMBER = "member"
    STATUS = "status"
    ROOM = "room"
    PRESENCE = "presence"
    PRESENCE_SYNC = "presence_sync"
    HEARTBEAT = "heartbeat"
    LOBBY_JOINED = "lobby_joined"
    LOBBY_LEFT = "lobby_left"
    HAND = "hand"
    SIGNAL = "signal"
    AV = "av"
    MEDIA_MODERATION = "media_moderation"
    ACCESS = "access"
    NEED_TO_TALK = "need_to_talk"
    WARNING_OVERRIDDEN = "warning_overridden"
    HELD = "held"
    HELD_APPROVED = "held_approved"
    HELD_REJECTED = "held_rejected"


@dataclass(frozen=True)
class EventSpec:
    """What kind of thing an event of one type is.

    ``stored``: it gets the room's next sequence number, is kept in the event log, and is
    replayed to whoever may see it. ``effects``: storing it changes rows beyond the event log
    (memberships, room settings, bans, the moderation log), so it is written through the ORM even
    when it is not itself stored. ``membership``: it may change who is in the room (the media
    topology is checked after it). ``seen_by`` and ``changes`` document the audience rule the
    rules apply and what ``state.apply`` does with it.
    """

    stored: bool
    effects: bool
    membership: bool
    seen_by: str
    changes: str


SPECS: dict[EventType, EventSpec] = {
    EventType.MESSAGE: EventSpec(
        True, False, False, "everyone admitted", "a message; the author's last message time"
    ),
    EventType.PRIVATE: EventSpec(
        True, False, False, "the two people of the thread", "a private message; the thread"
    ),
    EventType.QUESTION: EventSpec(
        True,
        False,
        False,
        "moderators and the author while pending, then everyone admitted",
        "a question with its status",
    ),
    EventType.QUESTION_UPDATE: EventSpec(
        True, False, False, "as the question", "a question's status and voters"
    ),
    EventType.DELETED: EventSpec(
        True,
        True,
        False,
        "as the deleted message",
        "the message is deleted; its text is dropped from storage",
    ),
    EventType.REPORT: EventSpec(True, True, False, "moderators", "nothing (moderation log)"),
    EventType.MODERATION: EventSpec(
        True, True, True, "everyone admitted", "a member muted, removed or banned"
    ),
    EventType.MEMBER: EventSpec(
        False, True, True, "nobody (replicas only)", "a member appears with their status"
    ),
    EventType.STATUS: EventSpec(
        False, True, True, "nobody (replicas only)", "a member admitted or denied"
    ),
    EventType.ROOM: EventSpec(
        False, True, False, "everyone connected", "the room's settings and status"
    ),
    EventType.PRESENCE: EventSpec(
        False, False, True, "everyone admitted, or nobody", "where a member is connected"
    ),
    EventType.PRESENCE_SYNC: EventSpec(
        False, False, False, "nobody (instances only)", "nothing: others answer with presence"
    ),
    EventType.HEARTBEAT: EventSpec(
        False,
        False,
        False,
        "nobody (instances only)",
        "nothing itself: others show presence as its instance says (server.rooms.liveness)",
    ),
    EventType.LOBBY_JOINED: EventSpec(False, False, False, "moderators", "nothing"),
    EventType.LOBBY_LEFT: EventSpec(False, False, False, "moderators", "nothing"),
    EventType.HAND: EventSpec(False, False, False, "everyone admitted", "a raised hand"),
    EventType.SIGNAL: EventSpec(False, False, False, "one person", "nothing"),
    EventType.AV: EventSpec(
        False, False, False, "everyone admitted", "a member's microphone and camera state"
    ),
    EventType.MEDIA_MODERATION: EventSpec(
        True,
        True,
        False,
        "nobody (replicas and the moderation log)",
        "what a moderator allows of a member's microphone and camera",
    ),
    # Stored, so that a facilitator who reloads still sees who is waiting to talk; the
    # moderation log records that it was sent, withdrawn or answered, never more.
    EventType.NEED_TO_TALK: EventSpec(
        True,
        True,
        False,
        "moderators and the parent who sent it",
        "whether a parent waits for a facilitator to talk with them",
    ),
    EventType.ACCESS: EventSpec(
        False,
        True,
        True,
        "nobody (replicas only)",
        "a committed action outside the room banned, unbanned or shut out a member",
    ),
    EventType.WARNING_OVERRIDDEN: EventSpec(
        False,
        True,
        False,
        "nobody (the moderation log)",
        "nothing: someone posted what looked like identifying details after being asked",
    ),
    # A series may hold what a parent sends anyway after the room asked about identifying details
    # until a moderator approves it (``server.rooms.holding``); the moderation log names no text.
    EventType.HELD: EventSpec(
        True,
        True,
        False,
        "moderators and the author",
        "a message waits for a moderator's approval",
    ),
    EventType.HELD_APPROVED: EventSpec(
        True,
        True,
        False,
        "everyone admitted",
        "a held message is posted to everyone; the held copy's text is dropped from storage",
    ),
    EventType.HELD_REJECTED: EventSpec(
        True,
        True,
        False,
        "moderators and the author",
        "a held message is not posted; its text is dropped from storage",
    ),
}

# Looked up on every event: plain sets rather than a table lookup and an attribute.
STORED = frozenset(t for t, spec in SPECS.items() if spec.stored)
WITH_EFFECTS = frozenset(t for t, spec in SPECS.items() if spec.effects)
MEMBERSHIP_CHANGES = frozenset(t for t, spec in SPECS.items() if spec.membership)
# Stored events whose storing changes nothing but the event log (the hot path: chat).
ONLY_LOGGED = frozenset(t for t in EventType if t not in WITH_EFFECTS)


@dataclass(frozen=True)
class Audience:
    """Who may receive an event. The server decides; nothing is hidden by the client."""

    everyone: bool = False  # every admitted person
    connected: bool = False  # everyone connected, also those waiting or in the lobby
    moderators: bool = False
    peers: frozenset[str] = frozenset()
    # Written by a stage's audience: only moderators and the author see who wrote it.
    anonymous: bool = False

    def to_json(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"e": self.everyone, "c": self.connected, "m": self.moderators}
        stored["p"] = sorted(self.peers)
        if self.anonymous:
            stored["a"] = True
        return stored

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        flags = bool(data["e"]), bool(data["c"]), bool(data["m"])
        return cls(*flags, frozenset(data["p"]), bool(data.get("a", False)))


EVERYONE = Audience(everyone=True)
CONNECTED = Audience(connected=True)
MODERATORS = Audience(moderators=True)
NOBODY = Audience()  # replicas apply it; no connection receives it


@dataclass(frozen=True)
class Event:
    """Something that happened in a room. Stored events (see ``events.SPECS``) get a ``seq``."""

    type: EventType
    data: dict[str, Any]
    audience: Audience
    actor: str | None = None
    cid: str | None = None
    seq: int | None = None
    origin: str | None = None  # the instance that produced it; never sent to clients

    @property
    def lasting(self) -> bool:
        return self.type in STORED

    def wire(self, viewer: str | None = None, sees_authors: bool = True) -> dict[str, Any]:
        """The frame ``viewer`` is sent. A vote is counted, never shown: nobody learns who voted,
        and the voter only that the vote was theirs (``voted``). What a stage's audience wrote
        names its author only to the author and to those who ``sees_authors`` (moderators)."""
        frame: dict[str, Any] = {"type": self.type.value}
        if self.seq is not None:
            frame["seq"] = self.seq
        frame.update(self.data)
        if self.type is EventType.QUESTION_UPDATE:
            voter = frame.pop("voter", None)
            if voter is not None and voter == viewer:
                frame["voted"] = True
        if not sees_authors:
            # What the room asked the author about is for moderators to see, nobody else.
            frame.pop("flagged", None)
        if self.audience.anonymous and not sees_authors:
            asked = frame.get("asked")
            author = frame.get("peer") or (asked or {}).get("peer")
            if author != viewer:
                frame.pop("peer", None)
                frame.pop("name", None)
                if asked:  # a copy: the event's own data stays whole
                    frame["asked"] = {k: v for k, v in asked.items() if k not in ("peer", "name")}
        return frame

    @property
    def personal(self) -> bool:
        """Whether people may be sent different frames of it (see ``wire``)."""
        return (
            self.audience.anonymous
            or "flagged" in self.data
            or (self.type is EventType.QUESTION_UPDATE and "voter" in self.data)
        )

    def with_seq(self, seq: int) -> Event:
        return self._copy(seq, self.origin)

    def from_instance(self, origin: str) -> Event:
        return self._copy(self.seq, origin)

    def _copy(self, seq: int | None, origin: str | None) -> Event:
        # Spelled out rather than dataclasses.replace: this runs for every message.
        return Event(self.type, self.data, self.audience, self.actor, self.cid, seq, origin)
