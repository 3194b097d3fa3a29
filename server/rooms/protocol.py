"""The rules of a room: who may do what, and which events a command produces (pure).

``decide`` never changes the state: it returns the events, and the hub persists and publishes
them; every instance then applies them (``state.apply``). Time is passed in, so tests drive a room
without sockets, a database or a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from server.rooms import frames as f
from server.rooms import media
from server.rooms.events import CONNECTED, EVERYONE, MODERATORS, Audience, Event, EventType
from server.rooms.frames import RoomError
from server.rooms.state import (
    LEADER_ROLES,
    AvState,
    Member,
    MemberStatus,
    ParticipantRole,
    RoomState,
    RoomStatus,
)
from server.scheduling.series import MediaMode

NOBODY = Audience()


@dataclass
class Decision:
    events: list[Event] = field(default_factory=list)
    error: RoomError | None = None
    retry_after: int | None = None
    duplicate_of: int | None = None  # a retried send: the seq it was stored under
    reply: str | None = None  # a direct answer such as "pong"


def refuse(code: RoomError, retry_after: int | None = None) -> Decision:
    return Decision(error=code, retry_after=retry_after)


def decide(state: RoomState, actor: Member, command: f.Command, now: datetime) -> Decision:
    """The events ``command`` from ``actor`` produces, or the error that refuses it."""
    if isinstance(command, f.Ping):
        return Decision(reply="pong")
    if isinstance(command, f.Hello):
        return refuse(RoomError.BAD_FRAME)  # only as the first frame
    if isinstance(command, f.OpenRoom | f.EndRoom | f.Lobby | f.VolunteersModerate):
        return _leader_command(state, actor, command, now)
    if actor.status is not MemberStatus.ADMITTED:
        return refuse(RoomError.NOT_ADMITTED)
    if state.status is not RoomStatus.OPEN:
        return refuse(RoomError.ROOM_NOT_OPEN)
    handler = _PARTICIPANT.get(type(command))
    if handler is not None:
        return handler(state, actor, command, now)
    if not state.is_moderator(actor):
        return refuse(RoomError.NOT_ALLOWED)
    return _MODERATOR[type(command)](state, actor, command, now)


# --- entering --------------------------------------------------------------------------------


def arrive(state: RoomState, member: Member) -> list[Event]:
    """Events for a person whose first connection just arrived (status already decided)."""
    data = {**member.public(), "status": member.status.value}
    events = [Event(EventType.MEMBER, data, NOBODY, actor=member.peer)]
    if member.status is MemberStatus.LOBBY:
        events.append(Event(EventType.LOBBY_JOINED, member.public(), MODERATORS))
    else:
        events.append(Event(EventType.PRESENCE, {**member.public(), "online": True}, EVERYONE))
    return events


def still_here(member: Member) -> list[Event]:
    """What another instance needs to learn that ``member`` is connected here."""
    presence = {**member.public(), "online": True, "sync": True}
    if member.status is MemberStatus.LOBBY:
        return [
            Event(EventType.PRESENCE, presence, NOBODY),
            Event(EventType.LOBBY_JOINED, member.public(), MODERATORS),
        ]
    if member.status is MemberStatus.ADMITTED:
        return [Event(EventType.PRESENCE, presence, EVERYONE)]
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
    audience = EVERYONE if member.status is MemberStatus.ADMITTED else NOBODY
    return [Event(EventType.PRESENCE, offline, audience)]


def entry_status(state: RoomState, member: Member | None, role: ParticipantRole) -> MemberStatus:
    """Where a person arriving goes: staff straight in, parents through the lobby if it is on."""
    if member is not None and member.status is not MemberStatus.LOBBY:
        return member.status
    if role is not ParticipantRole.PARENT or not state.lobby:
        return MemberStatus.ADMITTED
    return MemberStatus.LOBBY


# --- what participants do --------------------------------------------------------------------


def _writing_blocked(state: RoomState, actor: Member, now: datetime) -> Decision | None:
    if actor.muted_until is not None and actor.muted_until > now:
        return refuse(RoomError.MUTED, _seconds_until(actor.muted_until, now))
    if state.slow_mode and not actor.is_staff and actor.last_message_at is not None:
        ready = actor.last_message_at + timedelta(seconds=state.slow_mode)
        if ready > now:
            return refuse(RoomError.SLOW_MODE, _seconds_until(ready, now))
    return None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def _authored(actor: Member, now: datetime, text: str) -> dict[str, object]:
    return {**actor.public(), "text": text, "at": now.isoformat()}


def _send(state: RoomState, actor: Member, command: f.Send, now: datetime) -> Decision:
    stored = state.cids.get((actor.peer, command.cid))
    if stored is not None:
        return Decision(duplicate_of=stored)
    blocked = _writing_blocked(state, actor, now)
    if blocked:
        return blocked
    data = _authored(actor, now, command.text)
    return Decision([Event(EventType.MESSAGE, data, EVERYONE, actor.peer, command.cid)])


def _private(state: RoomState, actor: Member, command: f.Private, now: datetime) -> Decision:
    stored = state.cids.get((actor.peer, command.cid))
    if stored is not None:
        return Decision(duplicate_of=stored)
    other = state.members.get(command.to)
    if other is None or other.status is not MemberStatus.ADMITTED or other.peer == actor.peer:
        return refuse(RoomError.UNKNOWN_PEER)
    # A facilitator opens a thread with anyone; a participant may only answer a facilitator
    # who already wrote to them. Volunteers never read private threads.
    pair = frozenset({actor.peer, other.peer})
    if actor.role not in LEADER_ROLES and not (
        other.role in LEADER_ROLES and pair in state.threads
    ):
        return refuse(RoomError.NOT_ALLOWED)
    if actor.role in LEADER_ROLES and other.role in LEADER_ROLES:
        return refuse(RoomError.NOT_ALLOWED)
    blocked = _writing_blocked(state, actor, now)
    if blocked:
        return blocked
    data = {**_authored(actor, now, command.text), "to": other.peer}
    return Decision([Event(EventType.PRIVATE, data, Audience(peers=pair), actor.peer, command.cid)])


def _question_audience(state: RoomState, author: str, status: str) -> Audience:
    if status == "pending":
        return Audience(moderators=True, peers=frozenset({author}))
    return EVERYONE


def _ask(state: RoomState, actor: Member, command: f.Ask, now: datetime) -> Decision:
    if state.mode is not MediaMode.STAGE:
        return refuse(RoomError.WRONG_MODE)
    stored = state.cids.get((actor.peer, command.cid))
    if stored is not None:
        return Decision(duplicate_of=stored)
    blocked = _writing_blocked(state, actor, now)
    if blocked:
        return blocked
    status = "pending" if state.questions_premoderated and not actor.is_staff else "approved"
    data = {**_authored(actor, now, command.text), "status": status, "votes": 0}
    audience = _question_audience(state, actor.peer, status)
    return Decision([Event(EventType.QUESTION, data, audience, actor.peer, command.cid)])


def _upvote(state: RoomState, actor: Member, command: f.Upvote, now: datetime) -> Decision:
    question = state.questions.get(command.question)
    if question is None or question.status not in ("approved", "answered"):
        return refuse(RoomError.UNKNOWN_MESSAGE)
    if actor.peer in question.voters:
        return refuse(RoomError.DUPLICATE)
    data = {
        "question": command.question,
        "status": question.status,
        "votes": len(question.voters) + 1,
        "voter": actor.peer,
    }
    return Decision([Event(EventType.QUESTION_UPDATE, data, EVERYONE, actor.peer)])


def _hand(state: RoomState, actor: Member, command: f.Hand, now: datetime) -> Decision:
    if actor.hand == command.raised:
        return Decision()
    data = {"peer": actor.peer, "raised": command.raised}
    return Decision([Event(EventType.HAND, data, EVERYONE, actor.peer)])


def _visible_message(state: RoomState, actor: Member, seq: int) -> bool:
    info = state.messages.get(seq)
    if info is None or info.deleted:
        return False
    return info.kind == "message" or actor.peer in info.peers or state.is_moderator(actor)


def _report(state: RoomState, actor: Member, command: f.Report, now: datetime) -> Decision:
    if not _visible_message(state, actor, command.seq):
        return refuse(RoomError.UNKNOWN_MESSAGE)
    data = {"message": command.seq, "by": actor.peer, "reason": command.reason}
    return Decision([Event(EventType.REPORT, data, MODERATORS, actor.peer)])


Handler = Callable[[RoomState, Member, Any, datetime], Decision]

# --- media: signalling and microphone/camera state ---------------------------------------------


def _signal(state: RoomState, actor: Member, command: f.Signal, now: datetime) -> Decision:
    """Relay WebRTC signalling to one admitted, online person; refuse sending what may not be."""
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    target = state.members.get(command.to)
    if (
        target is None
        or target.peer == actor.peer
        or target.status is not MemberStatus.ADMITTED
        or not target.online
    ):
        return refuse(RoomError.UNKNOWN_PEER)
    data: dict[str, Any] = {"from": actor.peer, "kind": command.kind.value}
    if command.sdp is not None:
        if media.topology(state) is media.Topology.RELAY:
            # Media goes through the relay now; a late mesh offer must not connect two
            # browsers directly behind the server's back.
            return refuse(RoomError.WRONG_MODE)
        refusal = _sending_refusal(actor, state, command.sdp)
        if refusal:
            return refuse(refusal)
        data["sdp"] = command.sdp
    if command.kind is f.SignalKind.CANDIDATE:
        data["candidate"] = command.candidate.wire() if command.candidate else None
    audience = Audience(peers=frozenset({target.peer}))
    return Decision([Event(EventType.SIGNAL, data, audience, actor.peer)])


def _sending_refusal(actor: Member, state: RoomState, sdp: str) -> RoomError | None:
    """Why an SDP of the actor's may not be used: it sends what their role may not send in this
    mode, or what a moderator stopped."""
    sending = media.sent_kinds(sdp)
    if sending and not media.may_publish(actor.role, state.mode):
        return RoomError.NOT_ALLOWED
    if ("audio" in sending and not actor.av.mic_allowed) or (
        "video" in sending and not actor.av.camera_allowed
    ):
        return RoomError.MEDIA_STOPPED
    return None


def _relay_request(
    state: RoomState, actor: Member, command: f.RelayRequest, now: datetime
) -> Decision:
    """Whether a relay request may go ahead; the hub then carries it out with the relay.

    Publishing follows the same rules as a mesh offer. Subscribing needs a publisher who is in
    the room and publishing at the relay now; a subscriber's answer must not send anything.
    Unpublishing and leaving are always allowed (a client switching back to the mesh leaves).
    """
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    kind = command.kind
    if kind in (f.RelayKind.UNPUBLISH, f.RelayKind.LEAVE):
        return Decision()
    if media.topology(state) is not media.Topology.RELAY:
        return refuse(RoomError.WRONG_MODE)
    if kind is f.RelayKind.PUBLISH:
        assert command.sdp is not None
        if not media.may_publish(actor.role, state.mode):
            return refuse(RoomError.NOT_ALLOWED)
        refusal = _sending_refusal(actor, state, command.sdp)
        return refuse(refusal) if refusal else Decision()
    publisher = state.members.get(command.publisher or "")
    if (
        publisher is None
        or publisher.peer == actor.peer
        or publisher.status is not MemberStatus.ADMITTED
        or not publisher.online
        or not publisher.av.relay
    ):
        return refuse(RoomError.UNKNOWN_PEER)
    if kind is f.RelayKind.ANSWER and media.sent_kinds(command.sdp or ""):
        return refuse(RoomError.NOT_ALLOWED)
    return Decision()


def relay_published(member: Member) -> list[Event]:
    """The member publishes (anew) at the relay: a new number tells others to subscribe."""
    av = replace(member.av, relay=member.av.relay + 1)
    return [_av_event(member, av, member)]


def relay_ended(member: Member) -> list[Event]:
    """The member no longer publishes at the relay (if they did)."""
    if not member.av.relay:
        return []
    return [_av_event(member, replace(member.av, relay=0), member)]


def _av_event(target: Member, av: AvState, actor: Member) -> Event:
    return Event(EventType.AV, {"peer": target.peer, **av.public()}, EVERYONE, actor.peer)


def _av(state: RoomState, actor: Member, command: f.Av, now: datetime) -> Decision:
    """A person's own microphone, camera and hidden-face state, for everyone's tiles."""
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    if (command.mic or command.camera) and not media.may_publish(actor.role, state.mode):
        return refuse(RoomError.NOT_ALLOWED)
    if (command.mic and not actor.av.mic_allowed) or (
        command.camera and not actor.av.camera_allowed
    ):
        return refuse(RoomError.MEDIA_STOPPED)
    av = replace(actor.av, mic=command.mic, camera=command.camera, blurred=command.blurred)
    if av == actor.av:
        return Decision()
    return Decision([_av_event(actor, av, actor)])


def _av_control(state: RoomState, actor: Member, command: f.AvControl, now: datetime) -> Decision:
    """A moderator stops (or allows again) someone's microphone or camera.

    Everyone is told at once (receiving browsers stop playing it); the person's signalling that
    would send it is refused from now on; the change goes to the moderation log.
    """
    if state.mode is MediaMode.CHAT:
        return refuse(RoomError.WRONG_MODE)
    target = _target(state, command.peer)
    if target is None or target.status is not MemberStatus.ADMITTED:
        return refuse(RoomError.UNKNOWN_PEER)
    before = target.av
    av = replace(
        before,
        mic=before.mic and command.mic_allowed,
        camera=before.camera and command.camera_allowed,
        mic_allowed=command.mic_allowed,
        camera_allowed=command.camera_allowed,
    )
    actions = []
    if av.mic_allowed != before.mic_allowed:
        actions.append("mic_allowed" if av.mic_allowed else "mic_stopped")
    if av.camera_allowed != before.camera_allowed:
        actions.append("camera_allowed" if av.camera_allowed else "camera_stopped")
    if not actions:
        return Decision()
    logged = {"peer": target.peer, "name": target.name, "actions": actions}
    return Decision(
        [
            _av_event(target, av, actor),
            Event(EventType.MEDIA_MODERATION, logged, NOBODY, actor.peer),
        ]
    )


_PARTICIPANT: dict[type, Handler] = {
    f.Signal: _signal,
    f.RelayRequest: _relay_request,
    f.Av: _av,
    f.Send: _send,
    f.Private: _private,
    f.Ask: _ask,
    f.Upvote: _upvote,
    f.Hand: _hand,
    f.Report: _report,
}


# --- what moderators do ------------------------------------------------------------------------


def _target(state: RoomState, peer: str) -> Member | None:
    return state.members.get(peer)


def _moderation(actor: Member, action: str, **data: object) -> Event:
    return Event(EventType.MODERATION, {"action": action, **data}, EVERYONE, actor.peer)


def _admit_one(state: RoomState, actor: Member, target: Member) -> list[Event]:
    """``actor`` is the moderator who let ``target`` in (the moderation log names them)."""
    return [
        Event(EventType.STATUS, {"peer": target.peer, "status": "admitted"}, NOBODY, actor.peer),
        Event(EventType.LOBBY_LEFT, target.public(), MODERATORS),
        Event(EventType.PRESENCE, {**target.public(), "online": True}, EVERYONE),
    ]


def _admit(state: RoomState, actor: Member, command: f.Admit, now: datetime) -> Decision:
    target = _target(state, command.peer)
    if target is None or target.status is not MemberStatus.LOBBY:
        return refuse(RoomError.UNKNOWN_PEER)
    return Decision(_admit_one(state, actor, target))


def _admit_all(state: RoomState, actor: Member, command: f.AdmitAll, now: datetime) -> Decision:
    events: list[Event] = []
    for target in state.lobby_members():
        events += _admit_one(state, actor, target)
    return Decision(events)


def _deny(state: RoomState, actor: Member, command: f.Deny, now: datetime) -> Decision:
    target = _target(state, command.peer)
    if target is None or target.status is not MemberStatus.LOBBY:
        return refuse(RoomError.UNKNOWN_PEER)
    return Decision(
        [
            Event(EventType.STATUS, {"peer": target.peer, "status": "denied"}, NOBODY, actor.peer),
            Event(EventType.LOBBY_LEFT, target.public(), MODERATORS),
        ]
    )


def _delete(state: RoomState, actor: Member, command: f.Delete, now: datetime) -> Decision:
    info = state.messages.get(command.seq)
    if info is None or info.deleted:
        return refuse(RoomError.UNKNOWN_MESSAGE)
    if info.kind == "private" and actor.peer not in info.peers:
        return refuse(RoomError.UNKNOWN_MESSAGE)  # a private thread is not a moderator's to see
    audience = Audience(peers=info.peers) if info.kind == "private" else EVERYONE
    return Decision([Event(EventType.DELETED, {"message": command.seq}, audience, actor.peer)])


def _removable(state: RoomState, actor: Member, peer: str) -> Member | Decision:
    target = _target(state, peer)
    if target is None or target.status in (MemberStatus.REMOVED, MemberStatus.BANNED):
        return refuse(RoomError.UNKNOWN_PEER)
    if target.is_staff:
        return refuse(RoomError.NOT_ALLOWED)  # moderators act on participants, not on each other
    return target


def _mute(state: RoomState, actor: Member, command: f.Mute, now: datetime) -> Decision:
    target = _removable(state, actor, command.peer)
    if isinstance(target, Decision):
        return target
    until = (now + timedelta(seconds=command.seconds)).isoformat() if command.seconds else None
    return Decision([_moderation(actor, "muted", peer=target.peer, name=target.name, until=until)])


def _remove(state: RoomState, actor: Member, command: f.Remove, now: datetime) -> Decision:
    target = _removable(state, actor, command.peer)
    if isinstance(target, Decision):
        return target
    return Decision([_moderation(actor, "removed", peer=target.peer, name=target.name)])


def _ban(state: RoomState, actor: Member, command: f.Ban, now: datetime) -> Decision:
    """Anyone who has been in the session may be banned: also after being removed, or gone."""
    removed = _target(state, command.peer)
    if removed is not None and removed.status is MemberStatus.REMOVED and not removed.is_staff:
        return Decision([_moderation(actor, "banned", peer=removed.peer, name=removed.name)])
    target = _removable(state, actor, command.peer)
    if isinstance(target, Decision):
        return target
    return Decision([_moderation(actor, "banned", peer=target.peer, name=target.name)])


def _room_event(state: RoomState, actor: Member, **changes: object) -> Event:
    # Not lasting: a welcome always carries the current settings, so nobody needs to replay them.
    return Event(EventType.ROOM, {**state.settings(), **changes}, CONNECTED, actor.peer)


def _lock(state: RoomState, actor: Member, command: f.Lock, now: datetime) -> Decision:
    return Decision([_room_event(state, actor, locked=command.locked)])


def _slow_mode(state: RoomState, actor: Member, command: f.SlowMode, now: datetime) -> Decision:
    return Decision([_room_event(state, actor, slow_mode=command.seconds)])


def _moderate_question(
    state: RoomState, actor: Member, command: f.ModerateQuestion, now: datetime
) -> Decision:
    question = state.questions.get(command.question)
    if question is None:
        return refuse(RoomError.UNKNOWN_MESSAGE)
    status = {"approve": "approved", "answered": "answered", "hide": "hidden"}[command.action]
    data: dict[str, object] = {
        "question": command.question,
        "status": status,
        "votes": len(question.voters),
    }
    if question.status == "pending" and status != "hidden":
        # Those who never saw the pending question get all of it now.
        data["asked"] = question.asked
    # A question hidden before anyone but staff saw it stays between staff and its author.
    stays_private = question.status == "pending" and status == "hidden"
    audience = _question_audience(state, question.author, "pending" if stays_private else status)
    return Decision([Event(EventType.QUESTION_UPDATE, data, audience, actor.peer)])


_MODERATOR: dict[type, Handler] = {
    f.Admit: _admit,
    f.AdmitAll: _admit_all,
    f.Deny: _deny,
    f.Delete: _delete,
    f.Mute: _mute,
    f.Remove: _remove,
    f.Ban: _ban,
    f.Lock: _lock,
    f.SlowMode: _slow_mode,
    f.ModerateQuestion: _moderate_question,
    f.AvControl: _av_control,
}


# --- what only facilitators do ---------------------------------------------------------------


def _leader_command(state: RoomState, actor: Member, command: f.Command, now: datetime) -> Decision:
    if actor.role not in LEADER_ROLES:
        return refuse(RoomError.NOT_ALLOWED)
    if state.status is RoomStatus.ENDED:
        return refuse(RoomError.ROOM_NOT_OPEN)
    if isinstance(command, f.OpenRoom):
        if state.status is RoomStatus.OPEN:
            return Decision()
        if state.opens_at is not None and now < state.opens_at:
            return refuse(RoomError.ROOM_NOT_OPEN)
        return Decision([_room_event(state, actor, status=RoomStatus.OPEN.value)])
    if isinstance(command, f.EndRoom):
        return Decision([_room_event(state, actor, status=RoomStatus.ENDED.value)])
    if isinstance(command, f.Lobby):
        events = [_room_event(state, actor, lobby=command.enabled)]
        if not command.enabled:  # turning the lobby off lets everyone waiting in
            for target in state.lobby_members():
                events += _admit_one(state, actor, target)
        return Decision(events)
    assert isinstance(command, f.VolunteersModerate)
    return Decision([_room_event(state, actor, volunteers_moderate=command.allowed)])
