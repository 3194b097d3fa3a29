"""How each event changes a room's state (pure): the one ``apply``, live and on load.

Every instance calls ``apply`` once for every event of a room it holds, its own and other
instances'; loading a room folds its stored events through it. There is no other reader of stored
event payloads, so what a room shows and what it rebuilds cannot disagree.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from server.rooms.events import Event, EventType
from server.rooms.state import (
    AvState,
    Member,
    MemberStatus,
    MessageInfo,
    ParticipantRole,
    Question,
    RoomState,
    RoomStatus,
)


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
        state.cids[(event.actor, event.cid)] = event.seq
    if event.seq is not None:
        state.forget_old()


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


def _on_media_moderation(state: RoomState, event: Event) -> None:
    """What a moderator stopped stays stopped, also in a room loaded again from storage."""
    member = _member(state, event.data["peer"])
    if member is None:
        return
    av = member.av
    for action in event.data["actions"]:
        kind, _, verdict = action.partition("_")  # mic_stopped, camera_allowed, ...
        allowed = verdict == "allowed"
        if kind == "mic":
            av = replace(av, mic_allowed=allowed, mic=av.mic and allowed)
        elif kind == "camera":
            av = replace(av, camera_allowed=allowed, camera=av.camera and allowed)
    member.av = av


def _on_access(state: RoomState, event: Event) -> None:
    """A committed action outside the room: a ban or its lifting changes the member's status,
    a cancelled session or series ends the room, a moved one opens at another time, an erasure
    deletes what the person wrote. Other reasons only close sockets."""
    reason = event.data["reason"]
    if reason in ENDS_ROOM:
        state.status = RoomStatus.ENDED
        return
    if reason == "session_moved":
        opens_at = event.data.get("opens_at")
        state.opens_at = datetime.fromisoformat(opens_at) if opens_at else None
        return
    if reason == "erased":  # the person's data was erased: all they wrote is deleted
        for info in state.messages.values():
            if info.author == event.data["peer"]:
                info.deleted = True
        for seq in [s for s, held in state.held.items() if held["peer"] == event.data["peer"]]:
            del state.held[seq]
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


def _on_need_to_talk(state: RoomState, event: Event) -> None:
    peer, at = event.data["peer"], datetime.fromisoformat(event.data["at"])
    if event.data["state"] == "pending":
        state.need_to_talk[peer] = at
        state.talk_asked_at[peer] = at
    else:  # withdrawn or answered
        state.need_to_talk.pop(peer, None)


def _on_held(state: RoomState, event: Event) -> None:
    """A message waits for a moderator. Once approved or rejected its stored text is dropped, so
    a redacted one is already settled: a reloaded room does not wait for it again."""
    assert event.seq is not None and event.actor is not None
    redacted = _redacted(event)
    state.messages[event.seq] = MessageInfo(event.actor, "held", deleted=redacted)
    if not redacted:
        state.held[event.seq] = {k: event.data[k] for k in HELD_FIELDS if k in event.data}
    member = _member(state, event.actor)
    if member is not None:  # slow mode counts it as the message it would have been
        member.last_message_at = datetime.fromisoformat(event.data["at"])


def _on_held_settled(state: RoomState, event: Event) -> None:
    """Approved (posted as a message of its author under this event's seq) or rejected."""
    held = event.data["held"]
    state.held.pop(held, None)
    info = state.messages.get(held)
    if info is not None:
        info.deleted = True  # the held copy's text is gone from storage either way
    if event.type is EventType.HELD_APPROVED:
        assert event.seq is not None
        author = event.data["peer"]
        state.messages[event.seq] = MessageInfo(author, "message", deleted=_redacted(event))


# What a held message keeps for its approval: all that the message it becomes carries.
HELD_FIELDS = ("peer", "name", "role", "text", "at", "flagged")

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
    EventType.MEDIA_MODERATION: _on_media_moderation,
    EventType.NEED_TO_TALK: _on_need_to_talk,
    EventType.HELD: _on_held,
    EventType.HELD_APPROVED: _on_held_settled,
    EventType.HELD_REJECTED: _on_held_settled,
}
# Types whose events change the state (the others only pass through to those who see them).
APPLIED = frozenset(_APPLY)
