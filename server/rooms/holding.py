"""Holding a message with identifying details for a moderator's approval (pure).

A series may choose (``identifying_held``) that what a parent sends anyway after the room asked
about identifying details (``asking``) is not posted but held: only moderators and its author see
it, until a moderator approves it (it is then posted to everyone, under the approval's seq) or
rejects it (its author is told; the text is dropped from storage, ``projections``). Private
messages reach only staff anyway and a stage's questions are pre-moderated already, so only chat
messages are held.
"""

from __future__ import annotations

from datetime import datetime

from server.rooms import commands as c
from server.rooms.decision import Decision, refuse
from server.rooms.events import EVERYONE, Audience, Event, EventType
from server.rooms.frames import RoomError
from server.rooms.stage import posted
from server.rooms.state import Member, RoomState

# Held messages one person may have waiting at once: each is kept in the room's memory.
MAX_HELD_PER_AUTHOR = 10


def held_back(state: RoomState, actor: Member, message: Event, logged: list[Event]) -> Decision:
    """``message`` posted, or held when the series holds what was flagged (``asking.flags``)."""
    if not state.identifying_held or "flagged" not in message.data:
        return Decision([*logged, message])
    waiting = sum(1 for held in state.held.values() if held["peer"] == actor.peer)
    if waiting >= MAX_HELD_PER_AUTHOR:
        return refuse(RoomError.RATE_LIMITED, 60)
    audience = Audience(moderators=True, peers=frozenset({actor.peer}))
    held = Event(EventType.HELD, message.data, audience, actor.peer, message.cid)
    return Decision([*logged, held])


def moderate_held(
    state: RoomState, actor: Member, command: c.ModerateHeld, now: datetime
) -> Decision:
    """A moderator approves a held message (posted to everyone) or rejects it (its author is
    told). Each event's actor is the author, whose writing it is (an erasure finds it); ``by``
    names the moderator for the moderation log."""
    held = state.held.get(command.message)
    if held is None:
        return refuse(RoomError.UNKNOWN_MESSAGE)
    author = held["peer"]
    if not command.approve:
        data = {"held": command.message, "peer": author, "by": actor.peer}
        audience = Audience(moderators=True, peers=frozenset({author}))
        return Decision([Event(EventType.HELD_REJECTED, data, audience, author)])
    writer = state.members.get(author)
    audience = posted(state, writer, EVERYONE) if writer is not None else EVERYONE
    data = {**held, "held": command.message, "by": actor.peer}
    return Decision([Event(EventType.HELD_APPROVED, data, audience, author)])
