"""What a person is sent on arriving: waiting, lobby or welcome frames (pure).

The hub fetches what the person missed from storage and the ICE servers from its settings; what
the frames contain, and for whom, is decided here. However much was missed, all of it is sent:
the welcome carries the oldest page and ``replay`` frames the rest (``welcome_frames``).
"""

from __future__ import annotations

from typing import Any

from server.rooms.events import Event
from server.rooms.media import may_publish, topology
from server.rooms.stage import listed, watching
from server.rooms.state import Member, MemberStatus, ParticipantRole, RoomState
from server.scheduling.series import MediaMode

# The most missed events one frame carries: a frame stays well below what a socket's queue and a
# phone's parser handle at once.
REPLAY_PAGE = 1000


def waiting_frame(state: RoomState) -> dict[str, Any]:
    """For a parent who came before the room was opened."""
    opens_at = state.opens_at.isoformat() if state.opens_at else None
    return {"type": "waiting", "opens_at": opens_at, "room": state.settings()}


def lobby_frame(state: RoomState, peer: str) -> dict[str, Any]:
    """For a parent waiting to be admitted: their place in the queue."""
    position = [m.peer for m in state.lobby_members()].index(peer) + 1
    return {"type": "lobby", "position": position, "room": state.settings()}


def welcome_frame(
    state: RoomState,
    member: Member,
    missed: list[Event],
    last_seq: int | None,
    media: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The snapshot an admitted person starts from, with the stored events they missed.

    Moderators also get the lobby and everyone who has been in the session (also those who were
    removed or have left), so that they can still ban them. On a stage the audience sees the
    speakers and staff and a count of those watching, not who they are (``stage``).
    """
    moderator = state.is_moderator(member)
    frame: dict[str, Any] = {
        "type": "welcome",
        "you": {
            **member.public(),
            "moderator": moderator,
            "muted_until": member.muted_until.isoformat() if member.muted_until else None,
            "av": member.av.public(),
        },
        "room": state.settings(),
        "members": [
            {**m.public(), "hand": m.hand, "online": m.online, "av": m.av.public()}
            for m in state.members.values()
            if m.status is MemberStatus.ADMITTED and m.online and listed(state, member, m)
        ],
        "lobby": [m.public() for m in state.lobby_members()] if moderator else [],
        "visited": [m.public() for m in visited(state)] if moderator else [],
        "events": [e.wire(member.peer, moderator) for e in missed],
        "seq": seen_after(missed, last_seq),
    }
    if member.role is ParticipantRole.PARENT:
        frame["you"]["need_to_talk"] = member.peer in state.need_to_talk
    if moderator:  # parents waiting for a word, oldest first
        frame["need_to_talk"] = [
            {**state.members[peer].public(), "at": at.isoformat()}
            for peer, at in sorted(state.need_to_talk.items(), key=lambda item: item[1])
            if peer in state.members
        ]
    count = watching(state)
    if count is not None:
        frame["watching"] = count
    if media is not None and state.mode is not MediaMode.CHAT:
        # Only admitted people get here: TURN credentials are never given to the lobby.
        frame["media"] = {
            "mode": state.mode.value,
            "publish": may_publish(member.role, state.mode),
            "topology": topology(state).value,
            "mesh_limit": state.mesh_limit,
            **media,
        }
    return frame


def welcome_frames(
    state: RoomState,
    member: Member,
    missed: list[Event],
    last_seq: int | None,
    media: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The welcome and, when more was missed than one frame carries, ``replay`` frames with the
    rest: oldest first, each frame's ``seq`` the last it carries and ``more`` whether another
    follows, so that a client cut off in between resumes from where it got to."""
    size = REPLAY_PAGE
    pages = [missed[i : i + size] for i in range(0, len(missed), size)] or [[]]
    first = welcome_frame(state, member, pages[0], last_seq, media)
    first["more"] = len(pages) > 1
    frames, seen = [first], first["seq"]
    moderator = state.is_moderator(member)
    for number, page in enumerate(pages[1:], start=2):
        seen = seen_after(page, seen)
        events = [e.wire(member.peer, moderator) for e in page]
        frames.append(
            {"type": "replay", "events": events, "seq": seen, "more": number < len(pages)}
        )
    return frames


def seen_after(missed: list[Event], last_seq: int | None) -> int:
    """The highest sequence number a person has after receiving ``missed``."""
    return max([last_seq or 0, *(e.seq or 0 for e in missed)])


def visited(state: RoomState) -> list[Member]:
    """Parents who have been in the room and may still be banned from the series."""
    return [
        m
        for m in state.members.values()
        if m.role is ParticipantRole.PARENT
        and m.status in (MemberStatus.ADMITTED, MemberStatus.REMOVED)
    ]
