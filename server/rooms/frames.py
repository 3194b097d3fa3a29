"""Client frames of room protocol v1 (docs/protocol.md), parsed into commands (pure).

Parsing is strict: unknown types, missing or mistyped fields and oversized values are refused here,
so the rest of the room only ever sees well-formed commands. It is also total: whatever a client
sends, ``parse_frame`` returns a command or raises ``FrameError``, never anything else, so no frame
can put a traceback in the log or slip past the sender's rate limit.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from typing import Any

from server.bidi import without_reordering
from server.rooms.candidates import MAX_CANDIDATE, CandidateError, check_candidate
from server.rooms.commands import (
    Admit,
    AdmitAll,
    Ask,
    Av,
    AvControl,
    Ban,
    Command,
    Delete,
    Deny,
    EndRoom,
    Hand,
    Hello,
    IceCandidate,
    Lobby,
    Lock,
    ModerateHeld,
    ModerateQuestion,
    Mute,
    NeedToTalk,
    OpenRoom,
    Ping,
    Private,
    QuestionAction,
    RelayKind,
    RelayRequest,
    Remove,
    Report,
    Send,
    Signal,
    SignalKind,
    SlowMode,
    Upvote,
    VolunteersModerate,
)
from server.rooms.nesting import too_deep
from server.rooms.sdp import Sdp, SdpError, parse_sdp
from signaling.interface import MAX_SDP

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 32 * 1024  # a video offer's SDP is several KiB
MAX_TEXT = 2000
MAX_QUESTION = 500
MAX_REASON = 300
MAX_MUTE_SECONDS = 3600
MAX_SLOW_MODE_SECONDS = 300
MAX_NESTING = 8  # arrays and objects inside each other; real frames need 2
MAX_NUMBER_DIGITS = 20  # every number of the protocol fits (2**53 has 16 digits)
CID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MID = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,32}")  # an RFC 8866 token, as mids are
PEER = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


class RoomError(StrEnum):
    """Codes of ``error`` frames. Never rename one: clients and translations depend on them."""

    BAD_FRAME = "bad_frame"
    TOO_LONG = "too_long"
    NOT_ALLOWED = "not_allowed"
    NOT_ADMITTED = "not_admitted"
    MUTED = "muted"
    SLOW_MODE = "slow_mode"
    RATE_LIMITED = "rate_limited"
    UNKNOWN_PEER = "unknown_peer"
    UNKNOWN_MESSAGE = "unknown_message"
    ROOM_NOT_OPEN = "room_not_open"
    WRONG_MODE = "wrong_mode"
    DUPLICATE = "duplicate"
    MEDIA_STOPPED = "media_stopped"
    BAD_SDP = "bad_sdp"
    RELAY_UNAVAILABLE = "relay_unavailable"
    INVALID_TEXT = "invalid_text"  # a string that is not text (a lone surrogate): no UTF-8 for it
    INVALID_FRAME = "invalid_frame"  # too deeply nested, a number too large, a type not a string
    BAD_CANDIDATE = "bad_candidate"  # an ICE candidate not written as RFC 8839 says
    NOT_STORED = "not_stored"  # a write the database did not take in time: resend, same cid


class CloseCode:
    """WebSocket close codes of the room protocol."""

    NORMAL = 1000
    TOO_BIG = 1009
    PROTOCOL = 4000
    UNAUTHENTICATED = 4001
    FORBIDDEN = 4003
    NOT_FOUND = 4004
    RESYNC = 4008
    TOO_MANY_CONNECTIONS = 4009
    REMOVED = 4010
    ENDED = 4011
    LOCKED = 4023
    ABUSE = 4029


class FrameError(Exception):
    def __init__(self, code: RoomError, cid: str | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.cid = cid  # echoed in the error, when the refused frame carried a good one


def _field(frame: dict[str, Any], name: str, kind: type) -> Any:
    value = frame.get(name)
    # bool is an int in Python: a boolean is never accepted where a number is expected.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FrameError(RoomError.BAD_FRAME)
    return value


# Unicode's control characters (category Cc: C0, DEL and C1) but newline and tab.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text(frame: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = frame.get(name, None if required else "")
    if not isinstance(value, str):
        raise FrameError(RoomError.BAD_FRAME)
    # Control characters (except newline and tab) have no place in chat and can confuse screens;
    # a direction override or isolate could reverse the text shown around the message.
    value = without_reordering(_CONTROL_CHARACTERS.sub("", value))
    value = value.strip()
    if len(value) > limit:
        raise FrameError(RoomError.TOO_LONG)
    if required and not value:
        raise FrameError(RoomError.BAD_FRAME)
    return value


def _matching(frame: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = _field(frame, name, str)
    if not pattern.match(value):
        raise FrameError(RoomError.BAD_FRAME)
    return str(value)


def _seq(frame: dict[str, Any], name: str) -> int:
    value = _field(frame, name, int)
    if not 1 <= value <= 2**53:
        raise FrameError(RoomError.BAD_FRAME)
    return int(value)


def _bounded(frame: dict[str, Any], name: str, high: int) -> int:
    value = _field(frame, name, int)
    if not 0 <= value <= high:
        raise FrameError(RoomError.BAD_FRAME)
    return int(value)


def _confirmed(f: dict[str, Any]) -> bool:
    """A write's answer to the room's question about identifying details: absent is false."""
    return f.get("confirmed") is not None and bool(_field(f, "confirmed", bool))


def _hello(f: dict[str, Any]) -> Hello:
    if f.get("v") != PROTOCOL_VERSION:
        raise FrameError(RoomError.BAD_FRAME)
    if f.get("last_seq") is None:
        return Hello(None)
    value = _field(f, "last_seq", int)
    if not 0 <= value <= 2**53:
        raise FrameError(RoomError.BAD_FRAME)
    return Hello(int(value))


def _signal(f: dict[str, Any]) -> Signal:
    to = _matching(f, "to", PEER)
    try:
        kind = SignalKind(_field(f, "kind", str))
    except ValueError as exc:
        raise FrameError(RoomError.BAD_FRAME) from exc
    if kind in (SignalKind.OFFER, SignalKind.ANSWER):
        return Signal(to, kind, sdp=_sdp(f))
    if kind is SignalKind.CANDIDATE:
        raw = f.get("candidate")
        if raw is None:
            return Signal(to, kind)
        if not isinstance(raw, dict):
            raise FrameError(RoomError.BAD_FRAME)
        if set(raw) - {"candidate", "sdpMid", "sdpMLineIndex"}:
            raise FrameError(RoomError.BAD_CANDIDATE)  # nothing rides along with a candidate
        candidate, mid, index = raw.get("candidate"), raw.get("sdpMid"), raw.get("sdpMLineIndex")
        if not isinstance(candidate, str):
            raise FrameError(RoomError.BAD_FRAME)
        if len(candidate) > MAX_CANDIDATE:
            raise FrameError(RoomError.TOO_LONG)
        if mid is not None and (not isinstance(mid, str) or not MID.fullmatch(mid)):
            raise FrameError(RoomError.BAD_CANDIDATE)
        if index is not None and (
            not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= 64
        ):
            raise FrameError(RoomError.BAD_FRAME)
        try:
            check_candidate(candidate)
        except CandidateError as exc:
            raise FrameError(RoomError.BAD_CANDIDATE) from exc
        return Signal(to, kind, candidate=IceCandidate(candidate, mid, index))
    return Signal(to, kind)


def _sdp(f: dict[str, Any], cid: str | None = None) -> Sdp:
    """An offer or answer as RFC 8866 writes it and a browser reads it (``server.rooms.sdp``);
    a refusal carries the frame's ``cid``, which the client waits for."""
    sdp = _field(f, "sdp", str)
    if len(sdp) > MAX_SDP:
        raise FrameError(RoomError.TOO_LONG, cid)
    try:
        return parse_sdp(sdp)
    except SdpError as exc:
        raise FrameError(RoomError.BAD_SDP, cid) from exc


def _relay(f: dict[str, Any]) -> RelayRequest:
    try:
        kind = RelayKind(_field(f, "kind", str))
    except ValueError as exc:
        raise FrameError(RoomError.BAD_FRAME) from exc
    cid = _matching(f, "cid", CID) if f.get("cid") is not None else None
    sdp = _sdp(f, cid) if kind in (RelayKind.PUBLISH, RelayKind.ANSWER) else None
    publisher = (
        _matching(f, "publisher", PEER) if kind in (RelayKind.SUBSCRIBE, RelayKind.ANSWER) else None
    )
    return RelayRequest(kind, sdp=sdp, publisher=publisher, cid=cid)


_PARSERS: dict[str, Any] = {
    "hello": _hello,
    "send": lambda f: Send(_matching(f, "cid", CID), _text(f, "text", MAX_TEXT), _confirmed(f)),
    "private": lambda f: Private(
        _matching(f, "cid", CID),
        _matching(f, "to", PEER),
        _text(f, "text", MAX_TEXT),
        _confirmed(f),
    ),
    "ask": lambda f: Ask(_matching(f, "cid", CID), _text(f, "text", MAX_QUESTION), _confirmed(f)),
    "upvote": lambda f: Upvote(_seq(f, "question")),
    "hand": lambda f: Hand(_field(f, "raised", bool)),
    "need_to_talk": lambda f: NeedToTalk(_field(f, "pending", bool)),
    "report": lambda f: Report(_seq(f, "seq"), _text(f, "reason", MAX_REASON, required=False)),
    "ping": lambda f: Ping(),
    "open": lambda f: OpenRoom(),
    "end": lambda f: EndRoom(),
    "admit": lambda f: Admit(_matching(f, "peer", PEER)),
    "admit_all": lambda f: AdmitAll(),
    "deny": lambda f: Deny(_matching(f, "peer", PEER)),
    "delete": lambda f: Delete(_seq(f, "seq")),
    "mute": lambda f: Mute(_matching(f, "peer", PEER), _bounded(f, "seconds", MAX_MUTE_SECONDS)),
    "remove": lambda f: Remove(_matching(f, "peer", PEER)),
    "ban": lambda f: Ban(_matching(f, "peer", PEER)),
    "lock": lambda f: Lock(_field(f, "locked", bool)),
    "slow_mode": lambda f: SlowMode(_bounded(f, "seconds", MAX_SLOW_MODE_SECONDS)),
    "lobby": lambda f: Lobby(_field(f, "enabled", bool)),
    "volunteers_moderate": lambda f: VolunteersModerate(_field(f, "allowed", bool)),
    "question": lambda f: ModerateQuestion(_seq(f, "question"), _question_action(f)),
    "held": lambda f: ModerateHeld(_seq(f, "message"), _field(f, "approve", bool)),
    "signal": _signal,
    "relay": _relay,
    "av": lambda f: Av(
        _field(f, "mic", bool), _field(f, "camera", bool), _field(f, "blurred", bool)
    ),
    "av_control": lambda f: AvControl(
        _matching(f, "peer", PEER),
        _field(f, "mic_allowed", bool),
        _field(f, "camera_allowed", bool),
    ),
}


def _question_action(f: dict[str, Any]) -> QuestionAction:
    try:
        return QuestionAction(_field(f, "action", str))
    except ValueError as exc:
        raise FrameError(RoomError.BAD_FRAME) from exc


def parse_frame(raw: str | bytes) -> Command:
    """One client frame as a command. Raises FrameError, and nothing else, whatever ``raw`` is.

    BAD_FRAME: not JSON, not an object, no known type, a field missing or of the wrong kind.
    INVALID_TEXT: a string that cannot be encoded as UTF-8 (a lone surrogate, such as the JSON
    escape ``\\ud800``). INVALID_FRAME: nested too deeply, a number too large or not finite,
    a ``type`` that is not a string, or anything else the parser cannot read. TOO_LONG: a frame
    or field over its limit.
    """
    try:
        return _parse(raw)
    except FrameError:
        raise
    except Exception as exc:  # a frame no rule foresaw: refused like the others, no traceback
        raise FrameError(RoomError.INVALID_FRAME) from exc


def _parse(raw: str | bytes) -> Command:
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError(RoomError.TOO_LONG)
    if isinstance(raw, bytes):
        try:
            # As json.loads decodes bytes, so that encoded surrogates are caught below.
            raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
        except UnicodeDecodeError as exc:
            raise FrameError(RoomError.BAD_FRAME) from exc
    if not raw.isascii() and _SURROGATE.search(raw):
        raise FrameError(RoomError.INVALID_TEXT)
    if raw.count("[") + raw.count("{") > MAX_NESTING and too_deep(raw, MAX_NESTING):
        raise FrameError(RoomError.INVALID_FRAME)
    try:
        frame = _DECODER.decode(raw)
    except json.JSONDecodeError as exc:
        raise FrameError(RoomError.BAD_FRAME) from exc
    if not isinstance(frame, dict):
        raise FrameError(RoomError.BAD_FRAME)
    if "\\u" in raw and _SURROGATE_ESCAPE.search(raw) and _holds_surrogate(frame):
        raise FrameError(RoomError.INVALID_TEXT)
    kind = frame.get("type")
    if kind is None:
        raise FrameError(RoomError.BAD_FRAME)
    if not isinstance(kind, str):
        raise FrameError(RoomError.INVALID_FRAME)
    parser = _PARSERS.get(kind)
    if parser is None:
        raise FrameError(RoomError.BAD_FRAME)
    command: Command = parser(frame)
    return command


_SURROGATE = re.compile("[\ud800-\udfff]")
# A \u escape in the surrogate range: the only way an ASCII frame can hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _holds_surrogate(value: Any) -> bool:
    """Whether any string in a decoded frame, key or value, holds a lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _number(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_NUMBER_DIGITS:
        raise FrameError(RoomError.INVALID_FRAME)
    return int(text)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999999 is infinity
        raise FrameError(RoomError.INVALID_FRAME)
    return value


def _no_constant(name: str) -> Any:
    raise FrameError(RoomError.INVALID_FRAME)  # NaN, Infinity and -Infinity are not JSON


_DECODER = json.JSONDecoder(parse_int=_number, parse_float=_finite, parse_constant=_no_constant)
