"""The rules of a room: who may do what, and which events a command produces (pure).

``decide`` never changes the state: it returns the events, and the hub persists and publishes
them; every instance then applies them (``state.apply``). Time is passed in, so tests drive a room
without sockets, a database or a clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from server.rooms import commands as c
from server.rooms import holding
from server.rooms.asking import ask_first, flags
from server.rooms.decision import Decision, Handler, refuse
from server.rooms.events import CONNECTED, EVERYONE, MODERATORS, NOBODY, Audience, Event, EventType
from server.rooms.frames import RoomError
from server.rooms.media_commands import av, av_control, relay_request, signal
from server.rooms.stage import about, posted
from server.rooms.state import (
    LEADER_ROLES,
    Member,
    MemberStatus,
    ParticipantRole,
    RoomState,
    RoomStatus,
)
from server.scheduling.series import MediaMode


def decide(state: RoomState, actor: Member, command: c.Command, now: datetime) -> Decision:
    """The events ``command`` from ``actor`` produces, or the error that refuses it."""
    if isinstance(command, c.Ping):
        return Decision(reply="pong")
    if isinstance(command, c.Hello):
        return refuse(RoomError.BAD_FRAME)  # only as the first frame
    if isinstance(command, c.OpenRoom | c.EndRoom | c.Lobby | c.VolunteersModerate):
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


def _send(state: RoomState, actor: Member, command: c.Send, now: datetime) -> Decision:
    stored = state.cids.get((actor.peer, command.cid))
    if stored is not None:
        return Decision(duplicate_of=stored)
    asked, logged, flagged = ask_first(actor, command, now)
    blocked = _writing_blocked(state, actor, now) or asked  # muted or slowed: asked nothing
    if blocked:
        return blocked
    data = {**_authored(actor, now, command.text), **flags(flagged)}
    audience, cid = posted(state, actor, EVERYONE), command.cid
    message = Event(EventType.MESSAGE, data, audience, actor.peer, cid)
    return holding.held_back(state, actor, message, logged)  # posted, or held for a moderator


def _private(state: RoomState, actor: Member, command: c.Private, now: datetime) -> Decision:
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
    asked, logged, flagged = ask_first(actor, command, now)
    blocked = _writing_blocked(state, actor, now) or asked  # muted or slowed: asked nothing
    if blocked:
        return blocked
    data = {**_authored(actor, now, command.text), **flags(flagged), "to": other.peer}
    event = Event(EventType.PRIVATE, data, Audience(peers=pair), actor.peer, command.cid)
    return Decision([*logged, event])


def _question_audience(state: RoomState, author: str, status: str) -> Audience:
    if status == "pending":
        return Audience(moderators=True, peers=frozenset({author}))
    return EVERYONE


def _ask(state: RoomState, actor: Member, command: c.Ask, now: datetime) -> Decision:
    if state.mode is not MediaMode.STAGE:
        return refuse(RoomError.WRONG_MODE)
    stored = state.cids.get((actor.peer, command.cid))
    if stored is not None:
        return Decision(duplicate_of=stored)
    asked, logged, flagged = ask_first(actor, command, now)
    blocked = _writing_blocked(state, actor, now) or asked  # muted or slowed: asked nothing
    if blocked:
        return blocked
    status = "pending" if state.questions_premoderated and not actor.is_staff else "approved"
    data = {**_authored(actor, now, command.text), **flags(flagged), "status": status, "votes": 0}
    audience = posted(state, actor, _question_audience(state, actor.peer, status))
    return Decision([*logged, Event(EventType.QUESTION, data, audience, actor.peer, command.cid)])


def _upvote(state: RoomState, actor: Member, command: c.Upvote, now: datetime) -> Decision:
    question = state.questions.get(command.question)
    if question is None or question.status not in ("approved", "answered"):
        return refuse(RoomError.UNKNOWN_MESSAGE)
    if actor.peer in question.voters:
        return refuse(RoomError.DUPLICATE)
    data = {
        "question": command.question,
        "status": question.status,
        "votes": len(question.voters) + 1,
        "voter": actor.peer,  # stored for the count; sent to nobody (``Event.wire``)
    }
    return Decision([Event(EventType.QUESTION_UPDATE, data, EVERYONE, actor.peer)])


def _hand(state: RoomState, actor: Member, command: c.Hand, now: datetime) -> Decision:
    if actor.hand == command.raised:
        return Decision()
    data = {"peer": actor.peer, "raised": command.raised}
    return Decision([Event(EventType.HAND, data, about(state, actor), actor.peer)])


def _visible_message(state: RoomState, actor: Member, seq: int) -> bool:
    info = state.messages.get(seq)
    if info is None or info.deleted:
        return False
    return info.kind == "message" or actor.peer in info.peers or state.is_moderator(actor)


def _report(state: RoomState, actor: Member, command: c.Report, now: datetime) -> Decision:
    if not _visible_message(state, actor, command.seq):
        return refuse(RoomError.UNKNOWN_MESSAGE)
    data = {"message": command.seq, "by": actor.peer, "reason": command.reason}
    return Decision([Event(EventType.REPORT, data, MODERATORS, actor.peer)])


# A parent may ask for a word again this long after last asking (also after taking it back).
TALK_AGAIN_SECONDS = 60


def _need_to_talk(
    state: RoomState, actor: Member, command: c.NeedToTalk, now: datetime
) -> Decision:
    """A parent asks a facilitator privately for a word, or takes it back. Only moderators and the
    parent see it; asking while waiting changes nothing, and asking again waits a minute."""
    if actor.role is not ParticipantRole.PARENT:
        return refuse(RoomError.NOT_ALLOWED)
    waiting = actor.peer in state.need_to_talk
    if command.pending == waiting:
        return Decision()
    if command.pending:
        asked = state.talk_asked_at.get(actor.peer)
        if asked is not None and asked + timedelta(seconds=TALK_AGAIN_SECONDS) > now:
            ready = asked + timedelta(seconds=TALK_AGAIN_SECONDS)
            return refuse(RoomError.RATE_LIMITED, _seconds_until(ready, now))
    return Decision([_talk(actor, "pending" if command.pending else "withdrawn", now, actor)])


def _talk(parent: Member, talk_state: str, now: datetime, by: Member) -> Event:
    data = {**parent.public(), "state": talk_state, "at": now.isoformat()}
    audience = Audience(moderators=True, peers=frozenset({parent.peer}))
    return Event(EventType.NEED_TO_TALK, data, audience, by.peer)


def _private_answering(
    state: RoomState, actor: Member, command: c.Private, now: datetime
) -> Decision:
    """A private message, which answers the other person's wish to talk when a leader writes."""
    decision = _private(state, actor, command, now)
    parent = state.members.get(command.to)
    if (
        decision.events
        and actor.role in LEADER_ROLES
        and parent is not None
        and parent.peer in state.need_to_talk
    ):
        decision.events.append(_talk(parent, "answered", now, actor))
    return decision


_PARTICIPANT: dict[type, Handler] = {
    c.Signal: signal,
    c.RelayRequest: relay_request,
    c.Av: av,
    c.Send: _send,
    c.Private: _private_answering,
    c.NeedToTalk: _need_to_talk,
    c.Ask: _ask,
    c.Upvote: _upvote,
    c.Hand: _hand,
    c.Report: _report,
}


# --- what moderators do ------------------------------------------------------------------------


def _target(state: RoomState, peer: str) -> Member | None:
    return state.members.get(peer)


def _moderation(
    state: RoomState, actor: Member, action: str, target: Member, **data: object
) -> Event:
    """A mute, removal or ban, told to whoever may know about ``target`` (``stage.about``)."""
    data = {"action": action, "peer": target.peer, "name": target.name, **data}
    return Event(EventType.MODERATION, data, about(state, target), actor.peer)


def _admit_one(state: RoomState, actor: Member, target: Member) -> list[Event]:
    """``actor`` is the moderator who let ``target`` in (the moderation log names them)."""
    return [
        Event(EventType.STATUS, {"peer": target.peer, "status": "admitted"}, NOBODY, actor.peer),
        Event(EventType.LOBBY_LEFT, target.public(), MODERATORS),
        Event(EventType.PRESENCE, {**target.public(), "online": True}, about(state, target)),
    ]


def _admit(state: RoomState, actor: Member, command: c.Admit, now: datetime) -> Decision:
    target = _target(state, command.peer)
    if target is None or target.status is not MemberStatus.LOBBY:
        return refuse(RoomError.UNKNOWN_PEER)
    return Decision(_admit_one(state, actor, target))


def _admit_all(state: RoomState, actor: Member, command: c.AdmitAll, now: datetime) -> Decision:
    events: list[Event] = []
    for target in state.lobby_members():
        events += _admit_one(state, actor, target)
    return Decision(events)


def _deny(state: RoomState, actor: Member, command: c.Deny, now: datetime) -> Decision:
    target = _target(state, command.peer)
    if target is None or target.status is not MemberStatus.LOBBY:
        return refuse(RoomError.UNKNOWN_PEER)
    return Decision(
        [
            Event(EventType.STATUS, {"peer": target.peer, "status": "denied"}, NOBODY, actor.peer),
            Event(EventType.LOBBY_LEFT, target.public(), MODERATORS),
        ]
    )


def _delete(state: RoomState, actor: Member, command: c.Delete, now: datetime) -> Decision:
    info = state.messages.get(command.seq)
    if info is None or info.deleted or info.kind == "held":  # a held one is rejected instead
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


def _mute(state: RoomState, actor: Member, command: c.Mute, now: datetime) -> Decision:
    target = _removable(state, actor, command.peer)
    if isinstance(target, Decision):
        return target
    until = (now + timedelta(seconds=command.seconds)).isoformat() if command.seconds else None
    return Decision([_moderation(state, actor, "muted", target, until=until)])


def _remove(state: RoomState, actor: Member, command: c.Remove, now: datetime) -> Decision:
    target = _removable(state, actor, command.peer)
    if isinstance(target, Decision):
        return target
    return Decision([_moderation(state, actor, "removed", target)])


def _ban(state: RoomState, actor: Member, command: c.Ban, now: datetime) -> Decision:
    """Anyone who has been in the session may be banned: also after being removed, or gone."""
    removed = _target(state, command.peer)
    if removed is not None and removed.status is MemberStatus.REMOVED and not removed.is_staff:
        return Decision([_moderation(state, actor, "banned", removed)])
    target = _removable(state, actor, command.peer)
    if isinstance(target, Decision):
        return target
    return Decision([_moderation(state, actor, "banned", target)])


def _room_event(state: RoomState, actor: Member, **changes: object) -> Event:
    # Not lasting: a welcome always carries the current settings, so nobody needs to replay them.
    return Event(EventType.ROOM, {**state.settings(), **changes}, CONNECTED, actor.peer)


def _lock(state: RoomState, actor: Member, command: c.Lock, now: datetime) -> Decision:
    return Decision([_room_event(state, actor, locked=command.locked)])


def _slow_mode(state: RoomState, actor: Member, command: c.SlowMode, now: datetime) -> Decision:
    return Decision([_room_event(state, actor, slow_mode=command.seconds)])


def _moderate_question(
    state: RoomState, actor: Member, command: c.ModerateQuestion, now: datetime
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
    author = state.members.get(question.author)
    if author is not None and "asked" in data:
        audience = posted(state, author, audience)
    return Decision([Event(EventType.QUESTION_UPDATE, data, audience, actor.peer)])


_MODERATOR: dict[type, Handler] = {
    c.Admit: _admit,
    c.AdmitAll: _admit_all,
    c.Deny: _deny,
    c.Delete: _delete,
    c.Mute: _mute,
    c.Remove: _remove,
    c.Ban: _ban,
    c.Lock: _lock,
    c.SlowMode: _slow_mode,
    c.ModerateQuestion: _moderate_question,
    c.ModerateHeld: holding.moderate_held,
    c.AvControl: av_control,
}


# --- what only facilitators do ---------------------------------------------------------------


def _leader_command(state: RoomState, actor: Member, command: c.Command, now: datetime) -> Decision:
    if actor.role not in LEADER_ROLES:
        return refuse(RoomError.NOT_ALLOWED)
    if state.status is RoomStatus.ENDED:
        return refuse(RoomError.ROOM_NOT_OPEN)
    if isinstance(command, c.OpenRoom):
        if state.status is RoomStatus.OPEN:
            return Decision()
        if state.opens_at is not None and now < state.opens_at:
            return refuse(RoomError.ROOM_NOT_OPEN)
        return Decision([_room_event(state, actor, status=RoomStatus.OPEN.value)])
    if isinstance(command, c.EndRoom):
        return Decision([_room_event(state, actor, status=RoomStatus.ENDED.value)])
    if isinstance(command, c.Lobby):
        events = [_room_event(state, actor, lobby=command.enabled)]
        if not command.enabled:  # turning the lobby off lets everyone waiting in
            for target in state.lobby_members():
                events += _admit_one(state, actor, target)
        return Decision(events)
    assert isinstance(command, c.VolunteersModerate)
    return Decision([_room_event(state, actor, volunteers_moderate=command.allowed)])
