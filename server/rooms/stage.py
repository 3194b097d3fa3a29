"""Who on a stage sees whom: the audience sees speakers, staff and a count of itself (pure).

In a ``stage`` session the audience (everyone who may not publish there: the parents) does not
learn who else is watching. What is about one audience member (their arrival and departure, a
raised hand, their microphone and camera state, a mute, removal or ban) goes to that person and
the moderators only; the welcome lists audience members to moderators only; everyone is told how
many are watching. What an audience member writes in the chat, or asks once a question is
approved, still shows their alias: writing is their choice to be seen, watching is not. Rooms of
other modes show every admitted person to every other, as before.
"""

from __future__ import annotations

from dataclasses import replace

from server.rooms.events import EVERYONE, Audience
from server.rooms.media import may_publish
from server.rooms.state import Member, MemberStatus, RoomState
from server.scheduling.series import MediaMode


def in_audience(state: RoomState, member: Member) -> bool:
    """Whether ``member`` watches a stage rather than speaks on it."""
    return state.mode is MediaMode.STAGE and not may_publish(member.role, state.mode)


def about(state: RoomState, member: Member) -> Audience:
    """Who is told something about ``member``: every admitted person, or on a stage, when the
    member is in the audience, that person and the moderators."""
    if in_audience(state, member):
        return Audience(moderators=True, peers=frozenset({member.peer}))
    return EVERYONE


def posted(state: RoomState, author: Member, audience: Audience) -> Audience:
    """``audience`` of what ``author`` wrote, told to name them only to moderators and
    themselves when they are in a stage's audience (``Event.wire``)."""
    if audience.everyone and in_audience(state, author):
        return replace(audience, anonymous=True)
    return audience


def listed(state: RoomState, viewer: Member, member: Member) -> bool:
    """Whether ``viewer`` sees ``member`` among the people in the room."""
    return (
        not in_audience(state, member) or member.peer == viewer.peer or state.is_moderator(viewer)
    )


def watching(state: RoomState) -> int | None:
    """How many of the audience are here now (on a stage; None in other rooms)."""
    if state.mode is not MediaMode.STAGE:
        return None
    return sum(
        1
        for m in state.members.values()
        if m.status is MemberStatus.ADMITTED and m.online and in_audience(state, m)
    )
