"""What a client may ask of a room, as typed values ``frames.parse_frame`` makes (pure).

Every field is already checked: the rules in ``protocol`` never see raw client input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.rooms.sdp import Sdp


@dataclass(frozen=True)
class Hello:
    last_seq: int | None


@dataclass(frozen=True)
class Send:
    cid: str
    text: str
    # Sent anyway after the room asked about identifying details (``identifying``).
    confirmed: bool = False


@dataclass(frozen=True)
class Private:
    cid: str
    to: str
    text: str
    # Sent anyway after the room asked about identifying details (``identifying``).
    confirmed: bool = False


@dataclass(frozen=True)
class Ask:
    cid: str
    text: str
    # Sent anyway after the room asked about identifying details (``identifying``).
    confirmed: bool = False


@dataclass(frozen=True)
class Upvote:
    question: int


@dataclass(frozen=True)
class Hand:
    raised: bool


@dataclass(frozen=True)
class Report:
    seq: int
    reason: str


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class OpenRoom:
    pass


@dataclass(frozen=True)
class EndRoom:
    pass


@dataclass(frozen=True)
class Admit:
    peer: str


@dataclass(frozen=True)
class AdmitAll:
    pass


@dataclass(frozen=True)
class Deny:
    peer: str


@dataclass(frozen=True)
class Delete:
    seq: int


@dataclass(frozen=True)
class Mute:
    peer: str
    seconds: int


@dataclass(frozen=True)
class Remove:
    peer: str


@dataclass(frozen=True)
class Ban:
    peer: str


@dataclass(frozen=True)
class Lock:
    locked: bool


@dataclass(frozen=True)
class SlowMode:
    seconds: int


@dataclass(frozen=True)
class Lobby:
    enabled: bool


@dataclass(frozen=True)
class VolunteersModerate:
    allowed: bool


class QuestionAction(StrEnum):
    APPROVE = "approve"
    ANSWERED = "answered"
    HIDE = "hide"


@dataclass(frozen=True)
class ModerateQuestion:
    question: int
    action: QuestionAction


class SignalKind(StrEnum):
    OFFER = "offer"
    ANSWER = "answer"
    CANDIDATE = "candidate"
    BYE = "bye"


@dataclass(frozen=True)
class IceCandidate:
    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None

    def wire(self) -> dict[str, object]:
        return {
            "candidate": self.candidate,
            "sdpMid": self.sdp_mid,
            "sdpMLineIndex": self.sdp_mline_index,
        }


@dataclass(frozen=True)
class Signal:
    to: str
    kind: SignalKind
    sdp: Sdp | None = None
    candidate: IceCandidate | None = None  # None with kind "candidate": the end of candidates


class RelayKind(StrEnum):
    PUBLISH = "publish"
    SUBSCRIBE = "subscribe"
    ANSWER = "answer"
    UNPUBLISH = "unpublish"
    LEAVE = "leave"


@dataclass(frozen=True)
class RelayRequest:
    """Media through the relay: publish an offer, subscribe to a publisher, answer its offer."""

    kind: RelayKind
    sdp: Sdp | None = None  # publish (an offer), answer
    publisher: str | None = None  # subscribe, answer
    cid: str | None = None  # echoed in an error that answers this frame


@dataclass(frozen=True)
class Av:
    mic: bool
    camera: bool
    blurred: bool


@dataclass(frozen=True)
class AvControl:
    peer: str
    mic_allowed: bool
    camera_allowed: bool


@dataclass(frozen=True)
class NeedToTalk:
    """A parent asks a facilitator privately for a word (``pending``), or takes it back."""

    pending: bool


@dataclass(frozen=True)
class ModerateHeld:
    """A moderator approves (posts) or rejects a held message (``holding``)."""

    message: int
    approve: bool


Command = (
    Hello
    | Send
    | Private
    | Ask
    | Upvote
    | Hand
    | Report
    | Ping
    | OpenRoom
    | EndRoom
    | Admit
    | AdmitAll
    | Deny
    | Delete
    | Mute
    | Remove
    | Ban
    | Lock
    | SlowMode
    | Lobby
    | VolunteersModerate
    | ModerateQuestion
    | Signal
    | RelayRequest
    | Av
    | AvControl
    | NeedToTalk
    | ModerateHeld
)


# Commands that touch only the sender's own state (mute, slow mode, client ids, their own
# signalling): the hub handles them without the room-wide lock, one connection's frames one after
# another.
LOCK_FREE = (Send, Private, Ask, Hand, Report, Upvote, Ping, Signal, Av, RelayRequest)
